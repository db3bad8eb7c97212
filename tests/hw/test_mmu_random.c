// SPDX-License-Identifier: MIT
/*
 * Differential test of the emulated MMU: mmu_translate() (hw/mmu.c) against the reference walker
 * of refwalk.c. Each of many random setups has a random CPU (PA size, FEAT_HAFDBS), TCR_EL1,
 * SCTLR_EL1 and TTBRs, RAM in one or two regions at a random base, and translation tables grown
 * along the VAs being translated: invalid, table, block, page and reserved descriptors with random
 * attributes, pointing into RAM, into the hole, below or beyond the output size. Each VA is
 * translated for random accesses by both walkers (without hardware updates) and every
 * disagreement is printed with what it takes to reproduce it: a setup depends only on the seed
 * and its index, so `kmm-test --seed N mmu_random` replays it.
 */
#include "refwalk.h"

#include "hw/ram.h"
#include <aarch64/geometry.h>
#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#include "../ktest/ktest.h"

#include <string.h>

#define PATHS 8	   /* VAs per setup, each grown into the tables */
#define ACCESSES 2 /* translations per VA */
#define RAM_BYTES (4ULL << 20)
#define CHUNK (64ULL << 10) /* the largest granule; RAM bases, garbage and cleaning go by it */
#define MAX_TABLES 64
#define MAX_REPORTS 8

/* The host memory behind every setup's RAM; a setup cleans the chunks the last one wrote. */
static uint8_t ram_buf[RAM_BYTES];

struct region {
	paddr_t base;
	uint64_t size;
	uint64_t buf_off; /* where it lies in ram_buf */
	uint64_t next;	  /* table allocator: first free byte */
};

/* One setup, and the generator's state. */
struct gen {
	uint64_t rng;
	struct mmu_regs regs;
	struct mmu_features feat;
	unsigned int osize; /* output-address bits, as the generator reckons them */
	unsigned int nregions;
	struct region region[2];
	struct hw_ram ram;
	struct ref_mem mem;
	bool geom_ok[2];
	struct xlat_geometry geom[2];
	paddr_t root[2];
	paddr_t tables[MAX_TABLES];
	unsigned int ntables;
	vaddr_t vas[PATHS];
	unsigned int nvas;
	uint64_t dirty; /* chunks of ram_buf written, one bit each */
};

struct stats {
	unsigned long translations, mismatches;
	unsigned long faults[MMU_FAULT_PERMISSION + 1]; /* by the reference's answer */
	unsigned long leaves[XLAT_LEVELS_MAX];		/* successful walks by leaf level */
};

static uint64_t rnd(struct gen *s)
{
	return ktest_rand(&s->rng);
}

static uint64_t below(struct gen *s, uint64_t n)
{
	return ktest_rand_below(&s->rng, n);
}

static bool chance(struct gen *s, unsigned int percent)
{
	return below(s, 100) < percent;
}

/* TnSZ: mostly 16..39, now and then anything the 6-bit field holds. */
static unsigned int gen_tsz(struct gen *s)
{
	return (unsigned int)(chance(s, 92) ? 16 + below(s, 24) : below(s, 64));
}

/* TGn: one of the three granules, or now and then the @reserved encoding. */
static unsigned int gen_tg(struct gen *s, unsigned int reserved)
{
	return chance(s, 8) ? reserved : (unsigned int)(reserved + 1 + below(s, 3)) & 3;
}

/* A random CPU, TCR_EL1 and SCTLR_EL1; the TTBRs come with the tables. */
static void gen_regs(struct gen *s, bool hafdbs)
{
	static const unsigned int pa_bits[] = { 36, 40, 44, 48, 52 };
	uint64_t tcr = rnd(s) & (TCR_IRGN0_MASK | TCR_ORGN0_MASK | TCR_SH0_MASK | TCR_IRGN1_MASK |
				 TCR_ORGN1_MASK | TCR_SH1_MASK | TCR_A1 | TCR_AS | TCR_TBI0 |
				 TCR_TBI1 | TCR_HA | TCR_HD);

	/* The ARMv8.0 case leaves out the later features; the other has them all, now and then
	 * closing a half to EL0 (E0PD) or running with PSTATE.PAN. */
	s->feat = (struct mmu_features){ pa_bits[below(s, 5)], hafdbs, hafdbs };
	if (hafdbs)
		tcr |= (chance(s, 10) ? TCR_E0PD0 : 0) | (chance(s, 10) ? TCR_E0PD1 : 0);
	tcr |= FIELD_PREP(TCR_T0SZ_MASK, gen_tsz(s)) | FIELD_PREP(TCR_T1SZ_MASK, gen_tsz(s));
	tcr |= FIELD_PREP(TCR_TG0_MASK, gen_tg(s, 3)) | FIELD_PREP(TCR_TG1_MASK, gen_tg(s, 0));
	tcr |= (chance(s, 6) ? TCR_EPD0 : 0) | (chance(s, 6) ? TCR_EPD1 : 0);
	tcr |= FIELD_PREP(TCR_IPS_MASK, chance(s, 50) ? below(s, 8) : 5 + below(s, 3));
	s->regs = (struct mmu_regs){ .tcr = tcr, .mair = rnd(s), .pan = hafdbs && chance(s, 25) };
	s->regs.sctlr =
	    (chance(s, 97) ? SCTLR_M : 0) | (rnd(s) & (SCTLR_WXN | SCTLR_A | SCTLR_C | SCTLR_I));
	unsigned int ips = tcr_ips_bits((unsigned int)FIELD_GET(TCR_IPS_MASK, tcr));
	s->osize = ips && ips < s->feat.pa_bits ? ips : s->feat.pa_bits;
	s->osize = s->osize < 48 ? s->osize : 48; /* 48-bit descriptors */
}

/* Zero what the previous setup wrote. */
static void clean_ram(struct gen *s)
{
	for (unsigned int i = 0; i < RAM_BYTES / CHUNK; i++)
		if (s->dirty & BIT(i))
			memset(ram_buf + i * CHUNK, 0, CHUNK);
	s->dirty = 0;
}

/*
 * The last chunk of a region holds random words (half with addresses below 4 GiB), for
 * descriptors that point at memory that is not a table.
 */
static void fill_garbage(struct gen *s, const struct region *r)
{
	uint64_t off = r->buf_off + r->size - CHUNK;

	for (uint64_t i = 0; i < CHUNK; i += 8) {
		uint64_t w = rnd(s);
		if (w >> 63)
			w &= ~GENMASK(47, 32);
		memcpy(ram_buf + off + i, &w, 8);
	}
	s->dirty |= BIT(off / CHUNK);
}

/* One 4 MiB region, or two of 2 MiB with a hole between, at a random 64K-aligned base. */
static int gen_ram(struct gen *s)
{
	bool two = chance(s, 40);
	uint64_t size = two ? RAM_BYTES / 2 : RAM_BYTES;
	uint64_t hole = two ? (1 + below(s, 256)) * CHUNK : 0;
	uint64_t limit = chance(s, 50) ? 1ULL << 32 : 1ULL << s->feat.pa_bits;
	paddr_t base = below(s, (limit - RAM_BYTES - hole) / CHUNK) * CHUNK;

	hw_ram_init(&s->ram);
	s->nregions = s->mem.nr = two ? 2 : 1;
	for (unsigned int i = 0; i < s->nregions; i++) {
		struct region *r = &s->region[i];
		*r = (struct region){ base + i * (size + hole), size, i * size, 0 };
		s->mem.region[i] = (struct ref_mem_region){ r->base, size, ram_buf + r->buf_off };
		fill_garbage(s, r);
		int err = hw_ram_add_buffer(&s->ram, r->base, ram_buf + r->buf_off, size);
		if (err)
			return err;
	}
	return 0;
}

/* Write a descriptor the generator made, noting the chunk it lands in. */
static void gen_write(struct gen *s, paddr_t pa, uint64_t val)
{
	for (unsigned int i = 0; i < s->nregions; i++) {
		const struct region *r = &s->region[i];
		if (pa >= r->base && pa - r->base < r->size)
			s->dirty |= BIT((r->buf_off + pa - r->base) / CHUNK);
	}
	hw_ram_write64(&s->ram, pa, val);
}

/* A new zeroed table of 2^@g bytes at a 2^@g-aligned address, outside the garbage chunks. */
static bool alloc_table(struct gen *s, unsigned int g, paddr_t *pa)
{
	uint64_t bytes = 1ULL << g;
	unsigned int first = (unsigned int)below(s, s->nregions);

	for (unsigned int k = 0; k < s->nregions; k++) {
		struct region *r = &s->region[(first + k) % s->nregions];
		uint64_t off = ALIGN_UP(r->next, bytes);
		if (off + bytes > r->size - CHUNK)
			continue;
		r->next = off + bytes;
		memset(ram_buf + r->buf_off + off, 0, bytes);
		s->dirty |= BIT((r->buf_off + off) / CHUNK);
		*pa = r->base + off;
		if (s->ntables < MAX_TABLES)
			s->tables[s->ntables++] = *pa;
		return true;
	}
	return false;
}

/* An address anywhere of interest: in RAM, in the hole, below the output size, or beyond it. */
static paddr_t gen_addr(struct gen *s)
{
	const struct region *lo = &s->region[0], *hi = &s->region[s->nregions - 1];
	unsigned int r = (unsigned int)below(s, 100);

	if (r < 45)
		return lo->base + below(s, hi->base + hi->size - lo->base);
	if (r < 55 && s->nregions == 2)
		return lo->base + lo->size + below(s, hi->base - lo->base - lo->size);
	if (r < 80)
		return below(s, 1ULL << s->osize);
	if (r < 93)
		return below(s, 1ULL << s->feat.pa_bits);
	return rnd(s) & GENMASK(47, 0);
}

/* A table descriptor: mostly to a new table, else to an old one or to any address. */
static uint64_t gen_table_desc(struct gen *s, const struct xlat_geometry *g)
{
	unsigned int r = (unsigned int)below(s, 100);
	paddr_t t;

	if (r >= 80 || !alloc_table(s, g->granule_shift, &t))
		t = r < 90 && s->ntables ? s->tables[below(s, s->ntables)] : gen_addr(s);
	uint64_t d = (t & GENMASK(47, g->granule_shift)) | DESC_TYPE_TABLE;
	d |= (chance(s, 15) ? TABLE_PXN : 0) | (chance(s, 15) ? TABLE_UXN : 0);
	d |= (chance(s, 15) ? TABLE_AP_NO_EL0 : 0) | (chance(s, 15) ? TABLE_AP_RDONLY : 0);
	/* Bits the walk ignores: NSTable, [58:52], [11:2], and RES0 [g-1:12] under the address. */
	d |= chance(s, 50) ? TABLE_NS : 0;
	if (chance(s, 15))
		d |= rnd(s) & (GENMASK(58, 52) | GENMASK(g->granule_shift - 1, 2));
	return d;
}

/*
 * A leaf: 0b01 (a block, or reserved where blocks are not allowed), or at level 3 mostly a page
 * (0b11); every attribute random, AF mostly set.
 */
static uint64_t gen_leaf_desc(struct gen *s, const struct xlat_geometry *g, unsigned int level)
{
	unsigned int shift = g->level_shift[level];
	uint64_t d = gen_addr(s) & GENMASK(47, shift);

	if (chance(s, 10))
		d |= rnd(s) & GENMASK(shift - 1, 12); /* RES0 bits under the output address */
	d |= rnd(s) & GENMASK(11, 2);		      /* AttrIndx, NS, AP[2:1], SH, AF, nG */
	d |= chance(s, 70) ? PTE_AF : 0;
	d |= rnd(s) & (PTE_DBM | PTE_CONT | PTE_PXN | PTE_UXN | PTE_SW_MASK | GENMASK(63, 59));
	return d | (level == 3 && chance(s, 92) ? DESC_TYPE_PAGE : DESC_TYPE_BLOCK);
}

static uint64_t gen_desc(struct gen *s, const struct xlat_geometry *g, unsigned int level)
{
	unsigned int r = (unsigned int)below(s, 100);

	if (r < 6)
		return rnd(s) & ~DESC_VALID;
	if (level < 3 && r < (xlat_block_allowed(g, level) ? 55 : 90))
		return gen_table_desc(s, g);
	return gen_leaf_desc(s, g, level);
}

/* Walk @va down its half's tables while they lie in RAM, giving empty slots new descriptors. */
static void grow_path(struct gen *s, vaddr_t va)
{
	unsigned int half = (va >> 55) & 1;
	const struct xlat_geometry *g = &s->geom[half];
	paddr_t table = s->root[half];

	if (!s->geom_ok[half])
		return;
	for (unsigned int level = g->start_level; level < XLAT_LEVELS_MAX; level++) {
		paddr_t slot = table + 8ULL * xlat_index(g, level, va);
		uint64_t desc;
		if (hw_ram_read64(&s->ram, slot, &desc))
			return;
		if (!desc && chance(s, 92)) {
			desc = gen_desc(s, g, level);
			gen_write(s, slot, desc);
		}
		if ((desc & DESC_TYPE_MASK) != DESC_TYPE_TABLE || level == 3)
			return;
		table = desc & GENMASK(47, g->granule_shift);
	}
}

/* The generator's view of a half's geometry (a reserved TGn as 4K); not valid for a bad TnSZ. */
static void gen_geometry(struct gen *s, unsigned int half)
{
	struct tcr_fields f;

	tcr_decode(s->regs.tcr, &f);
	uint64_t granule = f.half[half].granule ? f.half[half].granule : 4096;
	s->geom_ok[half] = !xlat_geometry_init(&s->geom[half], granule, 64 - f.half[half].tsz);
}

/*
 * TTBRn: a root table in RAM, placed anywhere its (possibly short) size aligns it to, or now and
 * then any address; a random ASID and CnP; sometimes junk in the base bits the walk ignores.
 */
static void gen_ttbr(struct gen *s, unsigned int half)
{
	const struct xlat_geometry *g = &s->geom[half];
	unsigned int gs = s->geom_ok[half] ? g->granule_shift : 12;
	unsigned int align = s->geom_ok[half] ? g->index_bits[g->start_level] + 3 : gs;
	paddr_t root;

	if (chance(s, 8) || !alloc_table(s, gs, &root))
		root = gen_addr(s) & GENMASK(47, gs);
	root |= below(s, 1ULL << (gs - align)) << align;
	s->root[half] = root;
	uint64_t ttbr = root | FIELD_PREP(TTBR_ASID_MASK, rnd(s)) | (rnd(s) & TTBR_CNP);
	if (chance(s, 30))
		ttbr |= rnd(s) & GENMASK(align - 1, 1);
	*(half ? &s->regs.ttbr1 : &s->regs.ttbr0) = ttbr;
}

/* Bits of VA a half translates: 64 - TnSZ, with TnSZ brought into 16..39. */
static unsigned int gen_inputsize(const struct gen *s, unsigned int half)
{
	uint64_t tsz = FIELD_GET(half ? TCR_T1SZ_MASK : TCR_T0SZ_MASK, s->regs.tcr);

	return 64 - (unsigned int)(tsz < 16 ? 16 : tsz > 39 ? 39 : tsz);
}

/*
 * A VA: near one translated before (sharing its upper tables), anything at all, or in a half's
 * range, maybe tagged, maybe pushed into the gap between the halves.
 */
static vaddr_t gen_va(struct gen *s)
{
	if (s->nvas && chance(s, 40)) {
		vaddr_t prev = s->vas[below(s, s->nvas)];
		unsigned int in = gen_inputsize(s, (prev >> 55) & 1);
		unsigned int split = 12 + (unsigned int)below(s, in - 11);
		return (prev & ~GENMASK(split - 1, 0)) | (rnd(s) & GENMASK(split - 1, 0));
	}
	if (chance(s, 4))
		return rnd(s);
	unsigned int half = (unsigned int)below(s, 2);
	unsigned int in = gen_inputsize(s, half);
	vaddr_t va = (rnd(s) & GENMASK(in - 1, 0)) | (half ? GENMASK(63, in) : 0);
	bool tbi = s->regs.tcr & (half ? TCR_TBI1 : TCR_TBI0);
	if (chance(s, tbi ? 70 : 4))
		va = (va & GENMASK(55, 0)) | (rnd(s) << 56);
	if (chance(s, 4))
		va ^= BIT(in + below(s, 55 - in));
	return va;
}

static bool same(const struct mmu_result *m, const struct ref_result *r, bool stage1)
{
	if (m->fault != r->fault || m->level != r->level)
		return false;
	if (m->fault != MMU_FAULT_NONE)
		return true;
	if (!stage1)
		return m->pa == r->pa;
	return m->pa == r->pa && m->tr.desc == r->desc && m->tr.size == r->size &&
	       m->tr.level == r->level && m->tr.ttbr == r->ttbr && m->tr.asid == r->asid &&
	       m->tr.global == r->global;
}

/* Without @update the MMU writes nothing: the last descriptor walked is still in memory. */
static bool unchanged(const struct gen *s, const struct ref_result *r)
{
	uint64_t now = 0;

	if (!r->nreads || r->fault == MMU_FAULT_EXTERNAL)
		return true;
	hw_ram_read64(&s->ram, r->read_pa[r->nreads - 1], &now);
	return now == r->read_desc[r->nreads - 1];
}

typedef unsigned long long ull;

static void report(struct ktest *kt, const struct gen *s, unsigned int setup, vaddr_t va,
		   unsigned int el, enum mmu_access acc, const struct mmu_result *m,
		   const struct ref_result *r)
{
	const struct mmu_regs *g = &s->regs;

	ktest_log(kt, "mismatch: seed %llu setup %u: va %#llx el%u %s", kt->seed, setup, (ull)va,
		  el, mmu_access_name(acc));
	ktest_log(kt, "  sctlr %#llx tcr %#llx ttbr0 %#llx ttbr1 %#llx pa_bits %u hafdbs %d",
		  (ull)g->sctlr, (ull)g->tcr, (ull)g->ttbr0, (ull)g->ttbr1, s->feat.pa_bits,
		  s->feat.hafdbs);
	for (unsigned int i = 0; i < s->nregions; i++)
		ktest_log(kt, "  ram [%#llx, %#llx)", (ull)s->region[i].base,
			  (ull)(s->region[i].base + s->region[i].size));
	ktest_log(kt, "  mmu: %s level %u pa %#llx desc %#llx size %#llx ttbr%u asid %#x global %d",
		  mmu_fault_name(m->fault), m->level, (ull)m->pa, (ull)m->tr.desc, (ull)m->tr.size,
		  m->tr.ttbr, m->tr.asid, m->tr.global);
	ktest_log(kt, "  ref: %s level %u pa %#llx desc %#llx size %#llx ttbr%u asid %#x global %d",
		  mmu_fault_name(r->fault), r->level, (ull)r->pa, (ull)r->desc, (ull)r->size,
		  r->ttbr, r->asid, r->global);
	for (unsigned int i = 0; i < r->nreads; i++)
		ktest_log(kt, "  ref read [%#llx] = %#llx", (ull)r->read_pa[i],
			  (ull)r->read_desc[i]);
	if (!unchanged(s, r))
		ktest_log(kt, "  the MMU changed the last descriptor without update");
}

/* Translate @va once, for a random EL and access, with both walkers. */
static void check_one(struct ktest *kt, struct gen *s, struct stats *st, unsigned int setup,
		      vaddr_t va)
{
	unsigned int el = (unsigned int)below(s, 2);
	enum mmu_access acc = (enum mmu_access)below(s, 3);
	struct mmu_result m;
	struct ref_result r;

	ref_translate(&s->mem, &s->regs, &s->feat, va, el, acc, &r);
	mmu_translate(&s->ram, &s->regs, &s->feat, va, el, acc, false, &m);
	st->translations++;
	st->faults[r.fault]++;
	if (r.fault == MMU_FAULT_NONE && (s->regs.sctlr & SCTLR_M))
		st->leaves[r.level]++;
	bool ok = same(&m, &r, s->regs.sctlr & SCTLR_M) && unchanged(s, &r);
	if (!ok && st->mismatches++ < MAX_REPORTS)
		report(kt, s, setup, va, el, acc, &m, &r);
}

/* One random setup: registers, RAM, root tables, then VAs grown into tables and translated. */
static int run_setup(struct ktest *kt, struct gen *s, struct stats *st, unsigned int setup,
		     bool hafdbs)
{
	clean_ram(s);
	s->ntables = s->nvas = 0;
	gen_regs(s, hafdbs);
	int err = gen_ram(s);
	for (unsigned int half = 0; !err && half < 2; half++) {
		gen_geometry(s, half);
		gen_ttbr(s, half);
	}
	for (unsigned int p = 0; !err && p < PATHS; p++) {
		vaddr_t va = gen_va(s);
		grow_path(s, va);
		s->vas[s->nvas++] = va;
		for (unsigned int a = 0; a < ACCESSES; a++)
			check_one(kt, s, st, setup, va);
	}
	hw_ram_destroy(&s->ram);
	return err;
}

/* Run @setups random setups, FEAT_HAFDBS implemented in none or all of them. */
static void run(struct ktest *kt, unsigned int setups, bool hafdbs)
{
	struct gen s = { 0 };
	struct stats st = { 0 };
	uint64_t seeds = kt->seed ^ (hafdbs ? 0x6866646273ULL : 0x6d6d752d72616e64ULL);

	memset(ram_buf, 0, sizeof(ram_buf));
	for (unsigned int i = 0; i < setups; i++) {
		s.rng = ktest_rand(&seeds);
		KT_ASSERT_EQ(kt, run_setup(kt, &s, &st, i, hafdbs), 0);
	}
	ktest_log(kt,
		  "%lu translations: none %lu, translation %lu, address_size %lu, "
		  "external %lu, access_flag %lu, permission %lu; leaves at L0-3 %lu %lu %lu %lu",
		  st.translations, st.faults[MMU_FAULT_NONE], st.faults[MMU_FAULT_TRANSLATION],
		  st.faults[MMU_FAULT_ADDRESS_SIZE], st.faults[MMU_FAULT_EXTERNAL],
		  st.faults[MMU_FAULT_ACCESS_FLAG], st.faults[MMU_FAULT_PERMISSION], st.leaves[0],
		  st.leaves[1], st.leaves[2], st.leaves[3]);
	KT_EXPECT_EQ(kt, st.mismatches, 0ul);
	/* The generator must keep reaching every outcome, or the comparison proves little. */
	for (unsigned int f = 0; f < ARRAY_SIZE(st.faults); f++)
		KT_EXPECT_GT(kt, st.faults[f], st.translations / 100);
	for (unsigned int level = 1; level < XLAT_LEVELS_MAX; level++)
		KT_EXPECT_GT(kt, st.leaves[level], st.translations / 100);
}

/* ARMv8.0: no hardware updates, TCR.HA and TCR.HD (set at random) have no effect. */
KTEST(mmu_random, differential)
{
	run(kt, 1500, false);
}

/* FEAT_HAFDBS: TCR.HA lets AF-clear entries through, TCR.HD makes DBM entries writable. */
KTEST(mmu_random, differential_hafdbs)
{
	run(kt, 400, true);
}

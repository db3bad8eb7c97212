// SPDX-License-Identifier: MIT
/*
 * The part "at-crosscheck": kmm's software MMU (hw/mmu.c) against the CPU's, on random
 * translation tables in real memory (the contract of the pieces is in at_crosscheck.h).
 *
 * Each table set is built in a 2 MiB pool from the page allocator for one of the granules the
 * CPU supports (ID_AA64MMFR0_EL1.TGran4/16/64), a VA size of 25..48 bits (T0SZ 16..39), TBI0 on
 * or off, and an IPS from the kernel's up to PARange. Each table gets a few entries among:
 * tables (APTable, UXNTable and PXNTable cycling through their 16 combinations, random ignored
 * bits), blocks at the levels that allow them and pages (AP[2:1], UXN and PXN cycling through
 * their 16 combinations; AF clear one time in eight; random AttrIndx, SH, nG and software bits;
 * output addresses now and then beyond the output size), invalid descriptors (bit 0 clear, the
 * rest random), the reserved encoding 0b01 at level 3 and where no block is allowed, and tables
 * beyond the output size; the other entries stay zero, holes. Now and then TTBR0 itself lies
 * beyond the output size. First a probe finds the levels where the CPU does not fault on 0b01
 * (probe_reserved: QEMU before 8.2); the encoding is not written there, and the log says so.
 *
 * The tables are written with TTBR0 walks off (at_park) and installed with this CPU's TLB
 * invalidated (at_install), interrupts masked throughout; the kernel's TCR and TTBR0 come back
 * at the end (at_end). The sets take the granules by turns; the first two rounds use 48 and 25
 * bits of VA, the others a random size.
 *
 * The VAs translated follow the tables down, mostly through written entries and sometimes
 * through holes, with random bits below; a few carry bits above the VA range or a tag. Each is
 * translated with AT S1E1R, S1E1W, S1E0R and S1E0W and by the walker, and the answers compared
 * (at_par_key, at_walker_key): any difference is a mismatch, printed with the walk's
 * descriptors. The closing line is "at-crosscheck: N translations, M mismatches".
 */
#include "at_crosscheck.h"

#include "tests/ktest/ktest.h"

#include <aarch64/esr.h>
#include <aarch64/machine.h>
#include <aarch64/sysreg.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>

#include <string.h>

#define PAR_EL1_F BIT(0) /* the translation failed */

#define POOL_ORDER 9 /* the tables' memory: 2 MiB, naturally aligned */
#define POOL_SIZE (4096ULL << POOL_ORDER)
#define TABLES_MAX 40	      /* tables in a set */
#define FILL_MAX 6	      /* entries written in one table */
#define CHILDREN_MAX 3	      /* next-level tables under one table */
#define SETS 240	      /* table sets per boot (divisible by 1, 2 and 3 granules) */
#define VAS_PER_SET 64	      /* VAs translated per set, each by the four ATs */
#define DETAILS_MAX 20	      /* mismatches printed in full */
#define SYS_PAN s3_0_c4_c2_3  /* PSTATE.PAN as a register (FEAT_PAN) */
#define ID_MMFR2 s3_0_c0_c7_2 /* ID_AA64MMFR2_EL1 */
/* read_sysreg and write_sysreg of a register named by a macro (expanded first). */
#define read_sysreg_m(r) read_sysreg(r)
#define write_sysreg_m(v, r) write_sysreg(v, r)

/* ---------------------------------------------------------------------------------------- */
/* AT and PAR_EL1                                                                           */

const char *at_op_name(enum at_op op)
{
	static const char *const names[] = { "S1E1R", "S1E1W", "S1E0R", "S1E0W" };

	return names[op];
}

unsigned int at_op_el(enum at_op op)
{
	return op == AT_S1E1R || op == AT_S1E1W ? 1 : 0;
}

enum mmu_access at_op_access(enum at_op op)
{
	return op == AT_S1E1W || op == AT_S1E0W ? MMU_WRITE : MMU_READ;
}

uint64_t at_run(enum at_op op, vaddr_t va)
{
	switch (op) {
	case AT_S1E1R:
		__asm__ volatile("at s1e1r, %0" : : "r"(va) : "memory");
		break;
	case AT_S1E1W:
		__asm__ volatile("at s1e1w, %0" : : "r"(va) : "memory");
		break;
	case AT_S1E0R:
		__asm__ volatile("at s1e0r, %0" : : "r"(va) : "memory");
		break;
	default:
		__asm__ volatile("at s1e0w, %0" : : "r"(va) : "memory");
		break;
	}
	__asm__ volatile("isb" : : : "memory");
	return read_sysreg(par_el1);
}

uint64_t at_par_key(uint64_t par)
{
	return (par & PAR_EL1_F) ? par & GENMASK(9, 0) : par & GENMASK(51, 12);
}

/* The fault status code's type for a walker fault (ARM ARM D19.2 "ESR_EL1", DFSC). */
static unsigned int fsc_type(enum mmu_fault f)
{
	switch (f) {
	case MMU_FAULT_ADDRESS_SIZE:
		return ESR_ELx_FSC_ADDRSZ;
	case MMU_FAULT_ACCESS_FLAG:
		return ESR_ELx_FSC_ACCESS;
	case MMU_FAULT_PERMISSION:
		return ESR_ELx_FSC_PERM;
	case MMU_FAULT_EXTERNAL:
		return ESR_ELx_FSC_SEA_TTW;
	default:
		return ESR_ELx_FSC_FAULT;
	}
}

uint64_t at_walker_key(const struct mmu_result *r)
{
	if (r->fault == MMU_FAULT_NONE)
		return r->pa & GENMASK(47, 12);
	return ((uint64_t)(fsc_type(r->fault) | r->level) << 1) | PAR_EL1_F;
}

void at_key_describe(uint64_t key, char *buf, size_t len)
{
	static const char *const types[] = { "address-size",   "translation",
					     "access-flag",    "permission",
					     "external abort", "external abort on walk" };
	unsigned int fst = (unsigned int)(key >> 1) & 0x3f;
	unsigned int type = fst >> 2;

	if (!(key & PAR_EL1_F))
		kmm_snprintf(buf, len, "PA 0x%llx", (unsigned long long)key);
	else
		kmm_snprintf(buf, len, "FST 0x%02x: %s fault, level %u%s", fst,
			     type < ARRAY_SIZE(types) ? types[type] : "other", fst & 3,
			     key & GENMASK(9, 7) ? " (S/PTW set)" : "");
}

/* ---------------------------------------------------------------------------------------- */
/* The CPU's state around a cross-check                                                     */

void at_cpu_probe(struct at_cpu *c)
{
	uint64_t mmfr0 = read_sysreg(id_aa64mmfr0_el1);
	uint64_t mmfr1 = read_sysreg(id_aa64mmfr1_el1);
	uint64_t mmfr2 = read_sysreg_m(ID_MMFR2);

	/* ID_AA64MMFR0_EL1: PARange [3:0], TGran16 [23:20], TGran64 [27:24], TGran4 [31:28]. */
	c->parange = (unsigned int)(mmfr0 & 0xf);
	c->gran16 = ((mmfr0 >> 20) & 0xf) != 0;	  /* 0: not implemented */
	c->gran64 = ((mmfr0 >> 24) & 0xf) != 0xf; /* 0xf: not implemented */
	c->gran4 = ((mmfr0 >> 28) & 0xf) != 0xf;
	/* ID_AA64MMFR1_EL1: HAFDBS [3:0], PAN [23:20]; ID_AA64MMFR2_EL1: E0PD [63:60]. */
	c->pan = ((mmfr1 >> 20) & 0xf) != 0;
	c->feat = (struct mmu_features){ .pa_bits = tcr_ips_bits(c->parange),
					 .hafdbs = (mmfr1 & 0xf) != 0,
					 .e0pd = (mmfr2 >> 60) != 0 };
}

static void local_flush_tlb_all(void)
{
	__asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" : : : "memory");
}

void at_begin(const struct at_cpu *c, struct at_saved *s)
{
	s->irqs = arch_local_irq_save();
	s->tcr = read_sysreg(tcr_el1);
	s->ttbr0 = read_sysreg(ttbr0_el1);
	s->pan = c->pan ? read_sysreg_m(SYS_PAN) : 0;
	if (s->pan) {
		write_sysreg_m(0, SYS_PAN);
		arch_isb();
	}
}

void at_park(void)
{
	write_sysreg(read_sysreg(tcr_el1) | TCR_EPD0, tcr_el1);
	arch_isb();
}

void at_install(uint64_t tcr, uint64_t ttbr0)
{
	arch_dsb_ishst();
	at_park();
	write_sysreg(ttbr0, ttbr0_el1);
	write_sysreg(tcr | TCR_EPD0, tcr_el1);
	arch_isb();
	local_flush_tlb_all();
	write_sysreg(tcr, tcr_el1);
	arch_isb();
}

void at_end(const struct at_cpu *c, const struct at_saved *s)
{
	at_install(s->tcr, s->ttbr0);
	if (c->pan && s->pan) {
		write_sysreg_m(s->pan, SYS_PAN);
		arch_isb();
	}
	arch_local_irq_restore(s->irqs);
}

uint64_t at_tcr(uint64_t tcr, uint64_t granule, unsigned int va_bits, bool tbi0, unsigned int ips)
{
	/* TCR_EL1.TG0: 0b00 4K, 0b10 16K, 0b01 64K. */
	uint64_t tg0 = granule == 16384 ? 2 : granule == 65536 ? 1 : 0;

	tcr &= ~(TCR_T0SZ_MASK | TCR_EPD0 | TCR_TG0_MASK | TCR_TBI0 | TCR_IPS_MASK);
	return tcr | FIELD_PREP(TCR_T0SZ_MASK, 64 - va_bits) | FIELD_PREP(TCR_TG0_MASK, tg0) |
	       (tbi0 ? TCR_TBI0 : 0) | FIELD_PREP(TCR_IPS_MASK, ips);
}

struct mmu_regs at_walker_regs(uint64_t tcr, uint64_t ttbr0)
{
	return (struct mmu_regs){ .sctlr = read_sysreg(sctlr_el1),
				  .tcr = tcr,
				  .ttbr0 = ttbr0,
				  .ttbr1 = read_sysreg(ttbr1_el1),
				  .mair = read_sysreg(mair_el1) };
}

/* ---------------------------------------------------------------------------------------- */
/* Random table sets                                                                        */

enum { GRAN_4K, GRAN_16K, GRAN_64K, GRANS };

static const uint64_t gran_size[GRANS] = { 4096, 16384, 65536 };

/* One table of a set, with the entries written in it. */
struct xtable {
	paddr_t pa;
	uint64_t *slot; /* the table through the linear map */
	unsigned int level, nfill, nchildren;
	unsigned int idx[FILL_MAX];
};

/* A table set and the TCR that walks it. */
struct xset {
	unsigned int gran;
	struct xlat_geometry g;
	uint64_t tcr, ttbr0;
	unsigned int obits; /* output address bits: IPS, PARange and 48, the least */
	unsigned int ntables, max_tables;
	struct xtable tables[TABLES_MAX]; /* [0]: the root */
};

/* The answers for the sets of one granule. */
struct xstats {
	unsigned int sets, va_min, va_max;
	unsigned long by_fault[MMU_FAULT_PERMISSION + 1];
};

struct xcheck {
	struct at_cpu cpu;
	struct at_saved saved;
	struct hw_ram ram;
	struct hw_ram_region regions[AARCH64_RAM_MAX];
	struct page *pool_page;
	paddr_t pool;
	uint8_t *pool_va;
	uint64_t rng;
	unsigned int leaf_combo, table_combo; /* the next attribute combinations */
	unsigned int grans[GRANS], ngrans;    /* the granules the CPU supports */
	uint8_t reserved_levels[GRANS];	      /* where 0b01 is written: a bit per level */
	struct xset set;
	unsigned long translations, mismatches;
	struct xstats stats[GRANS];
	uint16_t leaf_seen, table_seen;		       /* combinations reached, a bit each */
	uint8_t levels_seen[MMU_FAULT_PERMISSION + 1]; /* by answer: a bit per level */
};

static uint64_t rnd(struct xcheck *x)
{
	return ktest_rand(&x->rng);
}

static unsigned int rnd_below(struct xcheck *x, uint64_t n)
{
	return (unsigned int)ktest_rand_below(&x->rng, n);
}

/* A new zeroed table at @level from the pool, or NULL when the set has all it may. */
static struct xtable *new_table(struct xcheck *x, unsigned int level)
{
	struct xset *s = &x->set;
	uint64_t size = xlat_granule_size(&s->g);

	if (s->ntables == s->max_tables)
		return NULL;
	struct xtable *t = &s->tables[s->ntables];
	uint64_t off = size * s->ntables++;
	*t = (struct xtable){ .pa = x->pool + off,
			      .slot = (uint64_t *)(x->pool_va + off),
			      .level = level };
	memset(t->slot, 0, size);
	return t;
}

/* Whether 0b01 is written at @level: where the CPU takes it for the reserved encoding. */
static bool reserved_ok(const struct xcheck *x, unsigned int level)
{
	return (x->reserved_levels[x->set.gran] >> level) & 1;
}

enum xkind { XK_TABLE, XK_LEAF, XK_FAR_TABLE, XK_RESERVED, XK_INVALID };

/* Tables mostly where no leaf may be, else tables and leaves about evenly; a fault now and then. */
static enum xkind pick_kind(struct xcheck *x, const struct xtable *t)
{
	const struct xset *s = &x->set;
	bool table_ok = t->level < 3 && t->nchildren < CHILDREN_MAX && s->ntables < s->max_tables;
	bool leaf_ok = t->level == 3 || xlat_block_allowed(&s->g, t->level);
	unsigned int r = rnd_below(x, 32);

	if (table_ok && r < (leaf_ok ? 14u : 24u))
		return XK_TABLE;
	if (leaf_ok && r < 26)
		return XK_LEAF;
	if (r == 26 && t->level < 3 && s->obits < XLAT_PA_BITS_MAX)
		return XK_FAR_TABLE;
	if (r >= 29 && reserved_ok(x, t->level))
		return XK_RESERVED;
	return XK_INVALID;
}

/* A table descriptor for @table, with the next hierarchical attributes and ignored bits set. */
static uint64_t table_desc(struct xcheck *x, paddr_t table)
{
	unsigned int c = x->table_combo++ % 16;
	struct table_attrs a = { .ap_table = c & 3, .uxn_table = c & 4, .pxn_table = c & 8 };
	/* Bits [11:2] and [58:52] of a table descriptor are ignored (ARM ARM D8.3.1). */
	uint64_t ignored = rnd(x) & (GENMASK(11, 2) | GENMASK(58, 52));

	return desc_make_table(&x->set.g, table, &a) | ignored;
}

/* A random output address aligned to @shift: within the output size, or now and then beyond. */
static paddr_t random_oa(struct xcheck *x, unsigned int shift)
{
	unsigned int bits = x->set.obits;

	if (bits < XLAT_PA_BITS_MAX && !rnd_below(x, 8))
		bits = bits + 4 < XLAT_PA_BITS_MAX ? bits + 4 : XLAT_PA_BITS_MAX;
	return rnd(x) & GENMASK(bits - 1, shift);
}

/* A block (levels 0-2) or page (level 3) with the next AP/UXN/PXN combination. */
static uint64_t leaf_desc(struct xcheck *x, unsigned int level)
{
	static const uint8_t sh[] = { SH_NON, SH_OUTER, SH_INNER }; /* 0b01 is reserved */
	const struct xlat_geometry *g = &x->set.g;
	unsigned int c = x->leaf_combo++ % 16;
	struct pte_attrs a = { .attrindx = (uint8_t)rnd_below(x, 8),
			       .sh = sh[rnd_below(x, ARRAY_SIZE(sh))],
			       .ap = (uint8_t)(c & 3),
			       .sw = (uint8_t)rnd_below(x, 16),
			       .af = rnd_below(x, 8) != 0,
			       .ng = rnd(x) & 1,
			       .uxn = c & 4,
			       .pxn = c & 8 };
	paddr_t oa = random_oa(x, g->level_shift[level]);

	return level == 3 ? desc_make_page(g, oa, &a) : desc_make_block(g, level, oa, &a);
}

static void fill_table(struct xcheck *x, struct xtable *t);

/* The descriptor of entry @idx of @t (a new table below it for XK_TABLE). */
static uint64_t make_desc(struct xcheck *x, struct xtable *t)
{
	const struct xlat_geometry *g = &x->set.g;
	struct xtable *child;

	switch (pick_kind(x, t)) {
	case XK_TABLE:
		child = new_table(x, t->level + 1);
		t->nchildren++;
		fill_table(x, child);
		return table_desc(x, child->pa);
	case XK_LEAF:
		return leaf_desc(x, t->level);
	case XK_FAR_TABLE:
		return table_desc(
		    x, (rnd(x) & GENMASK(47, g->granule_shift)) |
			   BIT(x->set.obits + rnd_below(x, XLAT_PA_BITS_MAX - x->set.obits)));
	case XK_RESERVED:
		return (rnd(x) & ~DESC_TYPE_MASK) | DESC_TYPE_BLOCK;
	default:
		return rnd(x) & ~DESC_VALID;
	}
}

/* Write 1..FILL_MAX random entries of @t (the same entry may come twice: the last stays). */
static void fill_table(struct xcheck *x, struct xtable *t)
{
	uint64_t entries = xlat_entries(&x->set.g, t->level);

	t->nfill = 1 + rnd_below(x, FILL_MAX);
	for (unsigned int i = 0; i < t->nfill; i++) {
		t->idx[i] = rnd_below(x, entries);
		t->slot[t->idx[i]] = make_desc(x, t);
	}
}

static uint64_t set_tcr(const struct xcheck *x, const struct xset *s, unsigned int ips, bool tbi)
{
	return at_tcr(x->saved.tcr, gran_size[s->gran], s->g.va_bits, tbi, ips);
}

/*
 * Build set @n: its granule by turns, 48 then 25 bits of VA the first two times round, then a
 * random size; an IPS no smaller than the kernel's (the TTBR1 half walks with it too).
 */
static void build_set(struct xcheck *x, unsigned int n)
{
	struct xset *s = &x->set;
	unsigned int round = n / x->ngrans;
	unsigned int va_bits = round == 0 ? 48 : round == 1 ? 25 : 25 + rnd_below(x, 24);
	unsigned int ips = (unsigned int)FIELD_GET(TCR_IPS_MASK, x->saved.tcr);

	s->gran = x->grans[n % x->ngrans];
	xlat_geometry_init(&s->g, gran_size[s->gran], va_bits);
	if (x->cpu.parange > ips)
		ips += rnd_below(x, x->cpu.parange - ips + 1);
	s->obits = tcr_ips_bits(ips);
	if (s->obits > x->cpu.feat.pa_bits)
		s->obits = x->cpu.feat.pa_bits;
	if (s->obits > XLAT_PA_BITS_MAX)
		s->obits = XLAT_PA_BITS_MAX;
	s->ntables = 0;
	s->max_tables = POOL_SIZE / gran_size[s->gran];
	if (s->max_tables > TABLES_MAX)
		s->max_tables = TABLES_MAX;
	fill_table(x, new_table(x, s->g.start_level));
	s->ttbr0 = ttbr_make(s->tables[0].pa, (uint16_t)rnd_below(x, 256), false);
	if (s->obits < XLAT_PA_BITS_MAX && !rnd_below(x, 32))
		s->ttbr0 |= BIT(s->obits + rnd_below(x, XLAT_PA_BITS_MAX - s->obits));
	s->tcr = set_tcr(x, s, ips, rnd(x) & 1);
}

/* ---------------------------------------------------------------------------------------- */
/* Translating                                                                              */

static const struct xtable *find_table(const struct xset *s, paddr_t pa)
{
	for (unsigned int i = 0; i < s->ntables; i++)
		if (s->tables[i].pa == pa)
			return &s->tables[i];
	return NULL;
}

/* One time in sixteen a bit above the VA range (a level-0 fault), one in sixteen a tag. */
static vaddr_t top_bits(struct xcheck *x)
{
	unsigned int va_bits = x->set.g.va_bits;

	switch (rnd_below(x, 16)) {
	case 0:
		return BIT(va_bits + rnd_below(x, 55 - va_bits));
	case 1:
		return (vaddr_t)rnd_below(x, 256) << 56;
	default:
		return 0;
	}
}

/* A VA down the tables: a written entry fifteen times in sixteen at each level, else any. */
static vaddr_t sample_va(struct xcheck *x)
{
	const struct xset *s = &x->set;
	const struct xlat_geometry *g = &s->g;
	const struct xtable *t = &s->tables[0];
	vaddr_t va = 0;
	unsigned int level;

	for (;;) {
		level = t->level;
		unsigned int idx = rnd_below(x, 16) ? t->idx[rnd_below(x, t->nfill)]
						    : rnd_below(x, xlat_entries(g, level));
		va |= (vaddr_t)idx << g->level_shift[level];
		uint64_t desc = t->slot[idx];
		if (level == 3 || desc_kind(g, level, desc) != DESC_TABLE)
			break;
		t = find_table(s, desc_oa(g, level, desc));
		if (!t)
			break;
	}
	va |= rnd(x) & (xlat_entry_size(g, level) - 1);
	return va | top_bits(x);
}

/* The descriptors the walker reads for @va, one line a level. */
static void print_walk(struct xcheck *x, const struct mmu_regs *regs, vaddr_t va)
{
	struct mmu_walk_result w;

	mmu_walk(&x->ram, regs, &x->cpu.feat, va, 1, MMU_READ, false, NULL, &w);
	if (!w.nsteps)
		printk("    no descriptor read (the walk stops at TTBR0_EL1 or the VA range)\n");
	for (unsigned int i = 0; i < w.nsteps; i++) {
		const struct mmu_walk_step *st = &w.steps[i];
		unsigned int idx = xlat_index(&x->set.g, st->level, va);
		uint64_t desc = 0;
		hw_ram_read64(&x->ram, st->table + 8ULL * idx, &desc);
		printk("    level %u: table 0x%llx [%u] = 0x%016llx\n", st->level,
		       (unsigned long long)st->table, idx, (unsigned long long)desc);
	}
}

static void report_mismatch(struct xcheck *x, const struct mmu_regs *regs, vaddr_t va,
			    enum at_op op, uint64_t par, const struct mmu_result *r)
{
	char cpu[80], walker[80];

	at_key_describe(at_par_key(par), cpu, sizeof(cpu));
	at_key_describe(at_walker_key(r), walker, sizeof(walker));
	printk("at-crosscheck mismatch: AT %s VA 0x%016llx (%lluK granule, %u-bit VA, TCR_EL1 "
	       "0x%llx, TTBR0_EL1 0x%llx): CPU PAR_EL1 0x%llx (%s), walker %s (%s fault)\n",
	       at_op_name(op), (unsigned long long)va,
	       (unsigned long long)(gran_size[x->set.gran] >> 10), x->set.g.va_bits,
	       (unsigned long long)regs->tcr, (unsigned long long)regs->ttbr0,
	       (unsigned long long)par, cpu, walker, mmu_fault_name(r->fault));
	print_walk(x, regs, va);
}

static void note(struct xcheck *x, const struct mmu_result *r)
{
	x->stats[x->set.gran].by_fault[r->fault]++;
	x->levels_seen[r->fault] |= (uint8_t)(1u << r->level);
	if (r->fault != MMU_FAULT_NONE && r->fault != MMU_FAULT_PERMISSION &&
	    r->fault != MMU_FAULT_ACCESS_FLAG)
		return;
	uint64_t d = r->tr.desc;
	const struct mmu_table_acc *a = &r->tr.acc;
	x->leaf_seen |= (uint16_t)(1u << (FIELD_GET(PTE_AP_MASK, d) | (d & PTE_UXN ? 4 : 0) |
					  (d & PTE_PXN ? 8 : 0)));
	x->table_seen |= (uint16_t)(1u << (a->no_el0 | a->rdonly << 1 | a->uxn << 2 | a->pxn << 3));
}

/* @va by the four ATs and by the walker. */
static void check_va(struct xcheck *x, const struct mmu_regs *regs, vaddr_t va)
{
	for (enum at_op op = 0; op < AT_OPS; op++) {
		uint64_t par = at_run(op, va);
		struct mmu_result r;

		mmu_translate(&x->ram, regs, &x->cpu.feat, va, at_op_el(op), at_op_access(op),
			      false, &r);
		x->translations++;
		note(x, &r);
		if (at_par_key(par) == at_walker_key(&r))
			continue;
		if (++x->mismatches <= DETAILS_MAX)
			report_mismatch(x, regs, va, op, par, &r);
	}
}

static void run_set(struct xcheck *x, unsigned int n)
{
	struct xstats *st;

	at_park();
	build_set(x, n);
	at_install(x->set.tcr, x->set.ttbr0);
	struct mmu_regs regs = at_walker_regs(x->set.tcr, x->set.ttbr0);
	for (unsigned int i = 0; i < VAS_PER_SET; i++)
		check_va(x, &regs, sample_va(x));
	st = &x->stats[x->set.gran];
	if (!st->sets++ || x->set.g.va_bits < st->va_min)
		st->va_min = x->set.g.va_bits;
	if (x->set.g.va_bits > st->va_max)
		st->va_max = x->set.g.va_bits;
}

/*
 * Whether the CPU takes 0b01 at @level of granule @gran for the reserved encoding, as the
 * architecture makes it at the levels where no block is allowed (ARM ARM
 * AArch64.BlockDescSupported): a translation fault at @level at the end of a chain of tables.
 * QEMU before 8.2 takes it for a block at every level but 3 (fixed by its commit
 * "target/arm/ptw: Check for block descriptors at invalid levels"); with FEAT_LPA, 64K level-1
 * blocks exist. The walker models neither.
 */
static bool probe_reserved(struct xcheck *x, unsigned int gran, unsigned int level)
{
	struct xset *s = &x->set;
	const struct table_attrs none = { 0 };
	const struct mmu_result fault = { .fault = MMU_FAULT_TRANSLATION, .level = level };

	at_park();
	s->gran = gran;
	xlat_geometry_init(&s->g, gran_size[gran], XLAT_VA_BITS_MAX);
	s->ntables = 0;
	s->max_tables = XLAT_LEVELS_MAX;
	struct xtable *t = new_table(x, s->g.start_level);
	for (unsigned int l = s->g.start_level; l < level; l++) {
		struct xtable *next = new_table(x, l + 1);
		t->slot[0] = desc_make_table(&s->g, next->pa, &none);
		t = next;
	}
	t->slot[0] = PTE_AF | DESC_TYPE_BLOCK;
	at_install(set_tcr(x, s, (unsigned int)FIELD_GET(TCR_IPS_MASK, x->saved.tcr), false),
		   ttbr_make(s->tables[0].pa, 0, false));
	return at_par_key(at_run(AT_S1E1R, 0)) == at_walker_key(&fault);
}

/* x->reserved_levels: level 3, and the levels without blocks where the CPU faults on 0b01. */
static void probe_reserved_levels(struct xcheck *x)
{
	for (unsigned int i = 0; i < x->ngrans; i++) {
		unsigned int gran = x->grans[i];
		struct xlat_geometry g;

		xlat_geometry_init(&g, gran_size[gran], XLAT_VA_BITS_MAX);
		x->reserved_levels[gran] = 1u << 3;
		for (unsigned int l = g.start_level; l < 3; l++) {
			if (xlat_block_allowed(&g, l))
				continue;
			if (probe_reserved(x, gran, l)) {
				x->reserved_levels[gran] |= (uint8_t)(1u << l);
				continue;
			}
			printk("kmm: at-crosscheck: the CPU takes 0b01 at level %u of the %lluK "
			       "granule for a block, not a translation fault (QEMU before 8.2, or "
			       "FEAT_LPA): not written there\n",
			       l, (unsigned long long)(gran_size[gran] >> 10));
		}
	}
}

/* ---------------------------------------------------------------------------------------- */
/* The part                                                                                 */

/* The granules the CPU supports, into x->grans. */
static void pick_granules(struct xcheck *x)
{
	const bool ok[GRANS] = { x->cpu.gran4, x->cpu.gran16, x->cpu.gran64 };

	x->ngrans = 0;
	for (unsigned int g = 0; g < GRANS; g++)
		if (ok[g])
			x->grans[x->ngrans++] = g;
}

/* The levels of bitmap @bits as "0-3" or "1,3" ("-" for none). */
static void levels_str(unsigned int bits, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int l = 0; l < XLAT_LEVELS_MAX && n + 3 < len; l++) {
		if (!(bits & (1u << l)))
			continue;
		bool run_end = !(bits & (2u << l));
		bool run_mid = l && (bits & (1u << (l - 1)));
		if (run_mid && !run_end)
			continue;
		n += (size_t)kmm_snprintf(buf + n, len - n, "%s%u",
					  !n	    ? ""
					  : run_mid ? "-"
						    : ",",
					  l);
	}
	if (!n)
		kmm_snprintf(buf, len, "-");
}

/* The summary lines; returns 1 if an attribute combination was never reached, else 0. */
static unsigned int print_summary(const struct xcheck *x, unsigned long long seed, unsigned long ms)
{
	static const char *const answers[] = { "mapped",	 "translation", "address-size",
					       "external-abort", "access-flag", "permission" };
	char lv[ARRAY_SIZE(answers)][16];

	for (unsigned int i = 0; i < x->ngrans; i++) {
		const struct xstats *st = &x->stats[x->grans[i]];
		const unsigned long *f = st->by_fault;
		printk(
		    "kmm: at-crosscheck: %lluK granule: %u table sets, VA %u-%u bits: %lu mapped, "
		    "faults: %lu translation, %lu address-size, %lu access-flag, %lu "
		    "permission\n",
		    (unsigned long long)(gran_size[x->grans[i]] >> 10), st->sets, st->va_min,
		    st->va_max, f[MMU_FAULT_NONE], f[MMU_FAULT_TRANSLATION],
		    f[MMU_FAULT_ADDRESS_SIZE], f[MMU_FAULT_ACCESS_FLAG], f[MMU_FAULT_PERMISSION]);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(answers); i++)
		levels_str(x->levels_seen[i], lv[i], sizeof(lv[i]));
	printk("kmm: at-crosscheck: reached %u/16 AP/UXN/PXN and %u/16 APTable/UXNTable/PXNTable "
	       "combinations; levels: mapped %s, translation %s, address-size %s, access-flag %s, "
	       "permission %s; seed %llu, %lu ms\n",
	       (unsigned int)__builtin_popcount(x->leaf_seen),
	       (unsigned int)__builtin_popcount(x->table_seen), lv[MMU_FAULT_NONE],
	       lv[MMU_FAULT_TRANSLATION], lv[MMU_FAULT_ADDRESS_SIZE], lv[MMU_FAULT_ACCESS_FLAG],
	       lv[MMU_FAULT_PERMISSION], seed, ms);
	return x->leaf_seen != 0xffff || x->table_seen != 0xffff;
}

static unsigned long long boot_seed(const struct kernel *k)
{
	char s[32];
	unsigned long long v = 0;

	if (!bootarg(&k->machine, "kmm.seed", s, sizeof(s)) || !s[0])
		return 1;
	for (const char *p = s; *p >= '0' && *p <= '9'; p++)
		v = v * 10 + (unsigned long long)(*p - '0');
	return v;
}

/* The pool of table memory, naturally aligned (the buddy allocator's blocks are). */
static int alloc_pool(struct xcheck *x)
{
	x->pool_page = alloc_pages(GFP_KERNEL, POOL_ORDER);
	if (!x->pool_page)
		return -ENOMEM;
	x->pool_va = page_address(x->pool_page);
	x->pool = arch_virt_to_phys(x->pool_va);
	if (x->pool & (POOL_SIZE - 1)) {
		__free_pages(x->pool_page, POOL_ORDER);
		return -EINVAL;
	}
	return 0;
}

unsigned int kernel_at_crosscheck(struct kernel *k)
{
	static struct xcheck xc; /* large: kept off the stack */
	struct xcheck *x = &xc;
	unsigned long t0 = kernel_uptime_ms(k);
	unsigned long long seed = boot_seed(k);

	*x = (struct xcheck){ .rng = seed };
	at_cpu_probe(&x->cpu);
	pick_granules(x);
	const char *why = !x->ngrans ? "the CPU supports no granule"
			  : at_ram_init(&x->ram, x->regions, ARRAY_SIZE(x->regions), k)
			      ? "more RAM ranges than it takes"
			  : alloc_pool(x) ? "no naturally aligned 2 MiB for the tables"
					  : NULL;
	if (why) {
		printk("kmm: at-crosscheck: cannot run: %s\n", why);
		return 1;
	}
	at_begin(&x->cpu, &x->saved);
	probe_reserved_levels(x);
	for (unsigned int n = 0; n < SETS; n++)
		run_set(x, n);
	at_end(&x->cpu, &x->saved);
	__free_pages(x->pool_page, POOL_ORDER);

	unsigned int failed = print_summary(x, seed, kernel_uptime_ms(k) - t0);
	if (failed)
		printk("kmm: at-crosscheck: some attribute combination was never translated\n");
	if (x->mismatches > DETAILS_MAX)
		printk("kmm: at-crosscheck: %lu more mismatches not printed\n",
		       x->mismatches - DETAILS_MAX);
	printk("at-crosscheck: %lu translations, %lu mismatches\n", x->translations, x->mismatches);
	return failed + (unsigned int)x->mismatches;
}

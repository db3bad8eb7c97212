// SPDX-License-Identifier: MIT
/*
 * The emulated CPUs over hand-built page tables: a CPU keeps translating through what its TLB
 * cached until the right TLBI, and each TLBI reaches exactly what the ARM ARM says (D8.13):
 *
 *   op       leaf entries dropped                      walk cache    CPUs
 *   VMALLE1  all                                       all           this (IS: all)
 *   ASIDE1   non-global of the ASID                    the ASID's    this (IS: all)
 *   VAE1     containing VA, global or of the ASID      VA's, ASID's  this (IS: all)
 *   VALE1    as VAE1                                   kept          this (IS: all)
 *   VAAE1    containing VA, any ASID                   VA's, all     this (IS: all)
 *   VAALE1   as VAAE1                                  kept          this (IS: all)
 *
 * Also: counters, LRU through the CPU, split accesses, external aborts, MMU off, TBI, ASID
 * widths, and FEAT_HAFDBS updates seen in memory. Every granule is used.
 *
 * The tests that use stale entries on purpose claim each use from the rule checker
 * (HW_RULE_STALE_TLB, and HW_RULE_TLBI_LOCAL for local TLBIs leaving other CPUs stale).
 */
#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>
#include <hw/cpu.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

#include <string.h>

/*
 * Physical memory: 1 GiB of RAM at 1 GiB. Tables come from its first half, data pages (64K
 * apart, so that any granule can map them) from its second half. Above 2 GiB is no RAM.
 */
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x40000000ULL
#define DATA(n) (RAM_BASE + 0x20000000ULL + (n)*0x10000ULL)
#define NO_RAM 0x100000000ULL

/* Faults compare as ints: an enum constant is an int, the enum type here unsigned. */
#define EXPECT_FAULT(kt, a, b) KT_EXPECT_EQ(kt, (int)(a), (int)(b))

#define ASID_A 1
#define ASID_B 2
#define M2 0x200000ULL
#define G1 0x40000000ULL

/* The roots: two user address spaces (TTBR0) and the kernel's (TTBR1). */
enum { AS_A, AS_B, AS_KERN, NR_AS };

struct env {
	struct hw_machine m;
	struct xlat_geometry g;
	paddr_t next_table;
	paddr_t root[NR_AS];
};

static uint64_t rd64(struct env *e, paddr_t pa)
{
	uint64_t v = 0;

	hw_ram_read64(&e->m.ram, pa, &v);
	return v;
}

static void wr64(struct env *e, paddr_t pa, uint64_t v)
{
	hw_ram_write64(&e->m.ram, pa, v);
}

static paddr_t table_alloc(struct env *e)
{
	paddr_t t = e->next_table;

	e->next_table += xlat_granule_size(&e->g);
	return t;
}

/* The registers of a CPU running address space A (ASID_A) with the kernel in TTBR1. */
static struct mmu_regs env_regs(struct env *e, uint64_t tcr_extra)
{
	struct tcr_fields f = { .ips = (unsigned int)tcr_ips_from_bits(48) };

	for (unsigned int h = 0; h < 2; h++)
		f.half[h] = (struct tcr_half){
			.tsz = 64 - e->g.va_bits,
			.granule = xlat_granule_size(&e->g),
			.irgn = TCR_RGN_WBWA,
			.orgn = TCR_RGN_WBWA,
			.sh = SH_INNER,
		};
	return (struct mmu_regs){
		.sctlr = SCTLR_M,
		.tcr = tcr_encode(&f) | tcr_extra,
		.ttbr0 = ttbr_make(e->root[AS_A], ASID_A, false),
		.ttbr1 = ttbr_make(e->root[AS_KERN], 0, false),
		.mair = MAIR_ATTR(MAIR_NORMAL_WB, 0),
	};
}

/* A machine of @ncpus CPUs with the MMU on, a @granule / @va_bits geometry, empty tables. */
static int env_init(struct env *e, uint64_t granule, unsigned int va_bits, unsigned int ncpus,
		    const struct tlb_config *cfg, const struct mmu_features *feat,
		    uint64_t tcr_extra)
{
	int err = hw_machine_init(&e->m, ncpus, cfg, feat);

	if (!err)
		err = hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE);
	if (!err)
		err = xlat_geometry_init(&e->g, granule, va_bits);
	if (err)
		return err;
	e->next_table = RAM_BASE;
	for (unsigned int i = 0; i < NR_AS; i++)
		e->root[i] = table_alloc(e);
	for (unsigned int i = 0; i < ncpus; i++)
		e->m.cpus[i].regs = env_regs(e, tcr_extra);
	return 0;
}

static int env_simple(struct env *e, uint64_t granule, unsigned int va_bits)
{
	return env_init(e, granule, va_bits, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT, 0);
}

/* The address of the descriptor for @va at @level under root @as, making tables down to it. */
static paddr_t slot(struct env *e, unsigned int as, vaddr_t va, unsigned int level)
{
	paddr_t table = e->root[as];

	for (unsigned int l = e->g.start_level; l < level; l++) {
		paddr_t s = table + 8ULL * xlat_index(&e->g, l, va);
		uint64_t d = rd64(e, s);
		if (desc_kind(&e->g, l, d) != DESC_TABLE) {
			d = desc_make_table(&e->g, table_alloc(e), &(struct table_attrs){ 0 });
			wr64(e, s, d);
		}
		table = desc_oa(&e->g, l, d);
	}
	return table + 8ULL * xlat_index(&e->g, level, va);
}

/* Read-write at EL1, accessed; non-global unless @global. */
static struct pte_attrs rw(bool global)
{
	return (struct pte_attrs){ .sh = SH_INNER, .ap = AP_RW_EL1, .af = true, .ng = !global };
}

/* Map @va to @pa at @level (a page at 3, else a block) under root @as; returns the slot. */
static paddr_t map_attrs(struct env *e, unsigned int as, vaddr_t va, paddr_t pa, unsigned int level,
			 const struct pte_attrs *a)
{
	paddr_t s = slot(e, as, va, level);

	wr64(e, s,
	     level == 3 ? desc_make_page(&e->g, pa, a) : desc_make_block(&e->g, level, pa, a));
	return s;
}

static paddr_t map(struct env *e, unsigned int as, vaddr_t va, paddr_t pa, unsigned int level)
{
	struct pte_attrs a = rw(as == AS_KERN);

	return map_attrs(e, as, va, pa, level, &a);
}

/* Repoint the leaf at @s (a page at level 3 or a block) to @pa, keeping its attributes. */
static void repoint(struct env *e, paddr_t s, unsigned int level, paddr_t pa)
{
	uint64_t d = rd64(e, s);
	uint64_t mask = GENMASK(47, level == 3 ? e->g.granule_shift : e->g.level_shift[level]);

	wr64(e, s, (d & ~mask) | (pa & mask));
}

/* Run @cpu in address space @as with @asid. */
static void use_as(struct env *e, struct hw_cpu *cpu, unsigned int as, uint16_t asid)
{
	cpu->regs.ttbr0 = ttbr_make(e->root[as], asid, false);
}

/* The PA a read of @va translates to (~0 on a fault); whether the TLB gave it in @hit. */
static paddr_t xlate(struct hw_cpu *cpu, vaddr_t va, bool *hit)
{
	struct hw_access r;

	if (hw_cpu_translate(cpu, va, MMU_READ, &r) != MMU_FAULT_NONE)
		return ~0ULL;
	if (hit)
		*hit = r.tlb_hit;
	return r.pa;
}

/* The VA of the kernel half at offset @off. */
static vaddr_t kva(const struct env *e, uint64_t off)
{
	return GENMASK(63, e->g.va_bits) | off;
}

KTEST(cpu, machine_init)
{
	struct hw_machine m;
	struct mmu_features narrow = { .pa_bits = 20 };

	KT_EXPECT_EQ(kt, hw_machine_init(&m, 0, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT),
		     -EINVAL);
	KT_EXPECT_EQ(kt, hw_machine_init(&m, 1, &TLB_CONFIG_DEFAULT, &narrow), -EINVAL);
	KT_EXPECT_EQ(
	    kt, hw_machine_init(&m, 2, &(struct tlb_config){ 10, 4, 0 }, &MMU_FEATURES_DEFAULT),
	    -EINVAL);
	KT_ASSERT_EQ(kt, hw_machine_init(&m, 3, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT), 0);
	KT_EXPECT_EQ(kt, m.ncpus, 3u);
	for (unsigned int i = 0; i < 3; i++) {
		KT_EXPECT_EQ(kt, m.cpus[i].id, i);
		KT_EXPECT_TRUE(kt, m.cpus[i].machine == &m);
		KT_EXPECT_EQ(kt, m.cpus[i].el, 1u);
		KT_EXPECT_EQ(kt, m.cpus[i].regs.sctlr, 0u);
		KT_EXPECT_EQ(kt, m.cpus[i].tlb.cfg.entries, 1024u);
	}
	hw_machine_destroy(&m);
}

/* MMU off: VA = PA, no TLB; beyond the PA size an address-size fault, outside RAM an abort. */
KTEST(cpu, mmu_off_flat)
{
	struct hw_machine m;
	struct hw_access r;
	uint64_t v = 0x1122334455667788ULL, got = 0;

	KT_ASSERT_EQ(kt, hw_machine_init(&m, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT), 0);
	KT_ASSERT_EQ(kt, hw_ram_add(&m.ram, RAM_BASE, 2 * 0x1000), 0);
	struct hw_cpu *cpu = &m.cpus[0];
	EXPECT_FAULT(kt, hw_cpu_write(cpu, RAM_BASE + 0xffc, &v, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, r.pa, RAM_BASE + 0xffc);
	KT_EXPECT_EQ(kt, hw_ram_read64(&m.ram, RAM_BASE + 0x1000, &got), 0);
	KT_EXPECT_EQ(kt, got, 0x11223344u);
	got = 0;
	EXPECT_FAULT(kt, hw_cpu_read(cpu, RAM_BASE + 0xffc, &got, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, got, v);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, BIT(48), MMU_READ, &r), MMU_FAULT_ADDRESS_SIZE);
	KT_EXPECT_EQ(kt, r.level, 0u);
	KT_EXPECT_EQ(kt, r.va, BIT(48));
	/* The second page is RAM, the third is not: the first is written, the fault names the
	 * third. */
	uint8_t buf[0x1800] = { 0 };
	EXPECT_FAULT(kt, hw_cpu_write(cpu, RAM_BASE + 0x1800, buf, sizeof(buf), &r),
		     MMU_FAULT_EXTERNAL);
	KT_EXPECT_EQ(kt, r.va, RAM_BASE + 0x2000);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.hits + cpu->tlb.stats.misses + cpu->tlb.stats.walks, 0u);
	hw_machine_destroy(&m);
}

/* A geometry: granule, VA bits. */
struct geo {
	uint64_t granule;
	unsigned int va_bits;
};
static const struct geo geos[] = { { 4096, 48 },  { 4096, 39 },	 { 16384, 47 },
				   { 16384, 36 }, { 65536, 48 }, { 65536, 42 } };

/*
 * After the PTE changes in memory the CPU goes on translating to the old page, through TLBIs
 * that do not reach the entry, until one that does.
 */
KTEST(cpu, stale_until_tlbi)
{
	for (size_t i = 0; i < ARRAY_SIZE(geos); i++) {
		struct env e;
		bool hit = false;
		KT_ASSERT_EQ(kt, env_simple(&e, geos[i].granule, geos[i].va_bits), 0);
		struct hw_cpu *cpu = &e.m.cpus[0];
		uint64_t gsz = xlat_granule_size(&e.g);
		vaddr_t va = BIT(geos[i].va_bits - 2) + 3 * gsz;
		paddr_t s = map(&e, AS_A, va, DATA(1), 3);
		KT_EXPECT_EQ(kt, xlate(cpu, va + 8, &hit), DATA(1) + 8);
		KT_EXPECT_FALSE(kt, hit);
		repoint(&e, s, 3, DATA(2));
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(1));
		KT_EXPECT_TRUE(kt, hit);
		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va, ASID_B));
		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va + gsz, ASID_A));
		hw_cpu_tlbi(cpu, TLBI_ASIDE1, tlbi_operand(0, ASID_B));
		KT_EXPECT_EQ(kt, xlate(cpu, va + gsz - 1, &hit), DATA(1) + gsz - 1);
		KT_EXPECT_TRUE(kt, hit);
		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va + gsz - 1, ASID_A));
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(2));
		KT_EXPECT_FALSE(kt, hit);
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 2ul);
		if (kt->failures)
			ktest_log(kt, "granule %llu, %u bits", (unsigned long long)geos[i].granule,
				  geos[i].va_bits);
		hw_machine_destroy(&e.m);
	}
}

/*
 * The reach of each TLBI, seen through staleness. Cached: V and W of address space A (ASID_A),
 * V of address space B (ASID_B), and the kernel's global page K (through A). Then every PTE moves
 * to a new page, a TLBI runs, and each view is either still the old page or already the new one.
 */
enum { A_V, A_W, A_K, B_V, B_K, NR_VIEWS };

struct reach_case {
	enum tlbi_op op;
	int va;		    /* -1: none, else a view whose VA the operand names */
	uint16_t asid;	    /* in the operand */
	unsigned int fresh; /* views (bits) that see the new page afterwards */
};

static const struct reach_case reach_cases[] = {
	{ TLBI_VAE1, A_V, ASID_A, BIT(A_V) },
	{ TLBI_VAE1, B_V, ASID_B, BIT(B_V) },
	{ TLBI_VAE1, A_W, ASID_B, 0 },
	{ TLBI_VAE1, A_K, ASID_B, BIT(A_K) | BIT(B_K) }, /* global: any ASID names it */
	{ TLBI_VALE1, A_V, ASID_A, BIT(A_V) },
	{ TLBI_VAAE1, A_V, 7, BIT(A_V) | BIT(B_V) },
	{ TLBI_VAALE1, A_V, 7, BIT(A_V) | BIT(B_V) },
	{ TLBI_VAAE1, A_K, 0, BIT(A_K) | BIT(B_K) },
	{ TLBI_ASIDE1, -1, ASID_A, BIT(A_V) | BIT(A_W) }, /* the global page stays */
	{ TLBI_ASIDE1, -1, ASID_B, BIT(B_V) },
	{ TLBI_VMALLE1, -1, 0, BIT(NR_VIEWS) - 1 },
};

struct view {
	unsigned int as;
	uint16_t asid;
	vaddr_t va;
	paddr_t slot;
};

/* Map the scene's pages (DATA(1 + view)); B_K is A_K's kernel page seen from B. */
static void reach_map(struct env *e, struct view *views)
{
	const vaddr_t v = 0x40000000, w = 0x40010000, k = kva(e, 0x200000);

	views[A_V] = (struct view){ AS_A, ASID_A, v, map(e, AS_A, v, DATA(1 + A_V), 3) };
	views[A_W] = (struct view){ AS_A, ASID_A, w, map(e, AS_A, w, DATA(1 + A_W), 3) };
	views[A_K] = (struct view){ AS_A, ASID_A, k, map(e, AS_KERN, k, DATA(1 + A_K), 3) };
	views[B_V] = (struct view){ AS_B, ASID_B, v, map(e, AS_B, v, DATA(1 + B_V), 3) };
	views[B_K] = (struct view){ AS_B, ASID_B, k, views[A_K].slot };
}

/* Every view through @cpu, so that its TLB holds them all. */
static void reach_cache(struct env *e, struct hw_cpu *cpu, const struct view *views)
{
	for (unsigned int i = 0; i < NR_VIEWS; i++) {
		use_as(e, cpu, views[i].as, views[i].asid);
		xlate(cpu, views[i].va, NULL);
	}
}

/* Move every page: view i's to DATA(10 + i) (B_K's is A_K's). */
static void reach_move(struct env *e, const struct view *views)
{
	for (unsigned int i = 0; i < NR_VIEWS; i++)
		if (i != B_K)
			repoint(e, views[i].slot, 3, DATA(10 + i));
}

/* Which views of @cpu see the new pages (bits); @sane: every view saw the old or the new. */
static unsigned int reach_fresh(struct env *e, struct hw_cpu *cpu, const struct view *views,
				bool *sane)
{
	unsigned int fresh = 0;

	*sane = true;
	for (unsigned int i = 0; i < NR_VIEWS; i++) {
		unsigned int n = i == B_K ? A_K : i;
		use_as(e, cpu, views[i].as, views[i].asid);
		paddr_t pa = xlate(cpu, views[i].va, NULL);
		fresh |= (unsigned int)(pa == DATA(10 + n)) << i;
		*sane &= pa == DATA(10 + n) || pa == DATA(1 + n);
	}
	return fresh;
}

/* The operand of @rc in the scene @views: a VA inside the named view's page, and the ASID. */
static uint64_t reach_operand(const struct reach_case *rc, const struct view *views)
{
	return tlbi_operand(rc->va < 0 ? 0 : views[rc->va].va + 0x123, rc->asid);
}

KTEST(cpu, tlbi_reach)
{
	for (size_t c = 0; c < ARRAY_SIZE(reach_cases); c++) {
		const struct reach_case *rc = &reach_cases[c];
		struct view views[NR_VIEWS];
		struct env e;
		bool sane;
		KT_ASSERT_EQ(kt, env_simple(&e, 4096, 48), 0);
		struct hw_cpu *cpu = &e.m.cpus[0];
		reach_map(&e, views);
		reach_cache(&e, cpu, views);
		reach_move(&e, views);
		KT_EXPECT_EQ(kt, reach_fresh(&e, cpu, views, &sane), 0u);
		hw_cpu_tlbi(cpu, rc->op, reach_operand(rc, views));
		unsigned int fresh = reach_fresh(&e, cpu, views, &sane);
		KT_EXPECT_TRUE(kt, sane);
		if (!KT_EXPECT_EQ(kt, fresh, rc->fresh))
			ktest_log(kt, "case %zu (op %d)", c, rc->op);
		/* Every view read stale before the TLBI, the ones it missed after. */
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB),
			     2 * NR_VIEWS - (unsigned long)__builtin_popcount(rc->fresh));
		hw_machine_destroy(&e.m);
	}
}

/*
 * On a 2-CPU machine (16K granule) both CPUs cache the scene; CPU 0 runs a TLBI. A local one
 * leaves CPU 1 all stale; the IS form reaches CPU 1 exactly as it reaches CPU 0.
 */
KTEST(cpu, tlbi_is_vs_local)
{
	static const struct {
		enum tlbi_op local, is;
		struct reach_case rc;
	} ops[] = {
		{ TLBI_VMALLE1, TLBI_VMALLE1IS, { 0, -1, 0, BIT(NR_VIEWS) - 1 } },
		{ TLBI_ASIDE1, TLBI_ASIDE1IS, { 0, -1, ASID_A, BIT(A_V) | BIT(A_W) } },
		{ TLBI_VAE1, TLBI_VAE1IS, { 0, A_V, ASID_A, BIT(A_V) } },
		{ TLBI_VALE1, TLBI_VALE1IS, { 0, B_V, ASID_B, BIT(B_V) } },
		{ TLBI_VAAE1, TLBI_VAAE1IS, { 0, A_V, 9, BIT(A_V) | BIT(B_V) } },
		{ TLBI_VAALE1, TLBI_VAALE1IS, { 0, A_K, 9, BIT(A_K) | BIT(B_K) } },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
		for (unsigned int bcast = 0; bcast < 2; bcast++) {
			struct view views[NR_VIEWS];
			struct env e;
			bool sane;
			KT_ASSERT_EQ(kt,
				     env_init(&e, 16384, 47, 2, &TLB_CONFIG_DEFAULT,
					      &MMU_FEATURES_DEFAULT, 0),
				     0);
			reach_map(&e, views);
			reach_cache(&e, &e.m.cpus[0], views);
			reach_cache(&e, &e.m.cpus[1], views);
			reach_move(&e, views);
			hw_cpu_tlbi(&e.m.cpus[0], bcast ? ops[i].is : ops[i].local,
				    reach_operand(&ops[i].rc, views));
			unsigned int f0 = reach_fresh(&e, &e.m.cpus[0], views, &sane);
			unsigned int f1 = reach_fresh(&e, &e.m.cpus[1], views, &sane);
			KT_EXPECT_TRUE(kt, sane);
			KT_EXPECT_EQ(kt, f0, ops[i].rc.fresh);
			if (!KT_EXPECT_EQ(kt, f1, bcast ? ops[i].rc.fresh : 0u))
				ktest_log(kt, "op %zu, %s", i, bcast ? "IS" : "local");
			/* The views each CPU still read stale; a local TLBI other than VMALLE1
			 * leaving CPU 1 stale is reported too. */
			unsigned long fresh = (unsigned long)__builtin_popcount(ops[i].rc.fresh);
			KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB),
				     2 * NR_VIEWS - (bcast ? 2 * fresh : fresh));
			KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_TLBI_LOCAL),
				     !bcast && ops[i].local != TLBI_VMALLE1 ? 1ul : 0ul);
			hw_machine_destroy(&e.m);
		}
	}
}

/*
 * VALE1 drops the leaf but keeps the walk cache, VAE1 drops both. Seen by moving a *table*: the
 * level-2 descriptor is repointed to a new level-3 table mapping the VA elsewhere. After VALE1 the
 * walk resumes from the cached old table; only after VAE1 does it walk to the new one.
 */
KTEST(cpu, vale1_keeps_walk_cache)
{
	static const struct geo g3[] = { { 4096, 48 }, { 16384, 47 }, { 65536, 42 } };

	for (size_t i = 0; i < ARRAY_SIZE(g3); i++) {
		struct env e;
		bool hit = true;
		KT_ASSERT_EQ(kt, env_simple(&e, g3[i].granule, g3[i].va_bits), 0);
		struct hw_cpu *cpu = &e.m.cpus[0];
		struct tlb_stats *st = &cpu->tlb.stats;
		const vaddr_t va = 0x40050000;
		map(&e, AS_A, va, DATA(1), 3);
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(1));
		/* The new level-3 table maps va to DATA(2); the level-2 entry points to it. */
		paddr_t t3 = table_alloc(&e);
		struct pte_attrs a = rw(false);
		wr64(&e, t3 + 8ULL * xlat_index(&e.g, 3, va), desc_make_page(&e.g, DATA(2), &a));
		wr64(&e, slot(&e, AS_A, va, 2),
		     desc_make_table(&e.g, t3, &(struct table_attrs){ 0 }));
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(1));
		KT_EXPECT_TRUE(kt, hit);

		hw_cpu_tlbi(cpu, TLBI_VALE1, tlbi_operand(va, ASID_A));
		uint64_t reads = st->reads, resumed = st->walk_cache_hits;
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(1));
		KT_EXPECT_FALSE(kt, hit);
		KT_EXPECT_EQ(kt, st->walk_cache_hits, resumed + 1);
		KT_EXPECT_EQ(kt, st->reads, reads + 1); /* only the level-3 descriptor */

		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va, ASID_A));
		reads = st->reads;
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), DATA(2));
		KT_EXPECT_EQ(kt, st->walk_cache_hits, resumed + 1);
		KT_EXPECT_EQ(kt, st->reads, reads + e.g.levels);
		/* The stale leaf, then the stale walk-cache table. */
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 2ul);
		hw_machine_destroy(&e.m);
	}
}

/* Blocks of every size are cached whole and dropped by a TLBI of any VA inside them. */
KTEST(cpu, block_entries)
{
	static const struct {
		struct geo geo;
		unsigned int level;
		uint64_t size;
	} blocks[] = {
		{ { 4096, 48 }, 2, 0x200000ULL },    { { 4096, 48 }, 1, 0x40000000ULL },
		{ { 16384, 47 }, 2, 0x2000000ULL },  { { 65536, 48 }, 2, 0x20000000ULL },
		{ { 65536, 42 }, 2, 0x20000000ULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		struct env e;
		bool hit = false;
		KT_ASSERT_EQ(kt, env_simple(&e, blocks[i].geo.granule, blocks[i].geo.va_bits), 0);
		struct hw_cpu *cpu = &e.m.cpus[0];
		const uint64_t size = blocks[i].size;
		const vaddr_t va = 8 * size;
		KT_ASSERT_EQ(kt, xlat_entry_size(&e.g, blocks[i].level), size);
		paddr_t s = map(&e, AS_A, va, RAM_BASE, blocks[i].level);
		KT_EXPECT_EQ(kt, xlate(cpu, va + size / 3, &hit), RAM_BASE + size / 3);
		KT_EXPECT_EQ(kt, cpu->tlb.size_mask, size);
		repoint(&e, s, blocks[i].level, 2 * RAM_BASE);
		KT_EXPECT_EQ(kt, xlate(cpu, va + size - 8, &hit), RAM_BASE + size - 8);
		KT_EXPECT_TRUE(kt, hit);
		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va + size, ASID_A));
		hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(va - 1, ASID_A));
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), RAM_BASE);
		hw_cpu_tlbi(cpu, TLBI_VALE1, tlbi_operand(va + size / 2 + 0x10000, ASID_A));
		KT_EXPECT_EQ(kt, xlate(cpu, va, &hit), 2 * RAM_BASE);
		KT_EXPECT_FALSE(kt, hit);
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 2ul);
		if (kt->failures)
			ktest_log(kt, "block %zu", i);
		hw_machine_destroy(&e.m);
	}
}

/*
 * Two ASIDs map one VA to two pages and both stay cached side by side; a global entry is seen
 * under every ASID, even one whose own tables map the VA elsewhere.
 */
KTEST(cpu, asid_switch)
{
	struct env e;
	bool hit = true;
	const vaddr_t v = 0x1230000, g = 0x4560000;

	KT_ASSERT_EQ(kt, env_simple(&e, 4096, 39), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	map(&e, AS_A, v, DATA(1), 3);
	map(&e, AS_B, v, DATA(2), 3);
	struct pte_attrs global = rw(true);
	map_attrs(&e, AS_A, g, DATA(3), 3, &global);
	map(&e, AS_B, g, DATA(4), 3);
	map(&e, AS_KERN, kva(&e, 0x10000), DATA(5), 3);

	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_FALSE(kt, hit);
	use_as(&e, cpu, AS_B, ASID_B);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_FALSE(kt, hit);
	use_as(&e, cpu, AS_A, ASID_A);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_TRUE(kt, hit);
	use_as(&e, cpu, AS_B, ASID_B);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_TRUE(kt, hit);

	use_as(&e, cpu, AS_A, ASID_A);
	KT_EXPECT_EQ(kt, xlate(cpu, g, &hit), DATA(3));
	KT_EXPECT_EQ(kt, xlate(cpu, kva(&e, 0x10008), &hit), DATA(5) + 8);
	use_as(&e, cpu, AS_B, ASID_B);
	KT_EXPECT_EQ(kt, xlate(cpu, g, &hit), DATA(3)); /* not B's DATA(4) */
	KT_EXPECT_TRUE(kt, hit);
	/* B's tables give DATA(4): a global entry where processes differ is a stale one. */
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul);
	KT_EXPECT_EQ(kt, xlate(cpu, kva(&e, 0x10000), &hit), DATA(5));
	KT_EXPECT_TRUE(kt, hit);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 4u);
	hw_machine_destroy(&e.m);
}

/*
 * With TCR.AS = 0 only ASID[7:0] counts, in TTBR and in TLBI operands alike; with TCR.AS = 1 all
 * 16 bits do. TCR.A1 takes the ASID from TTBR1.
 */
KTEST(cpu, asid_width)
{
	struct env e;
	bool hit = false;
	const vaddr_t v = 0x80000000;

	KT_ASSERT_EQ(kt, env_simple(&e, 65536, 48), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	map(&e, AS_A, v, DATA(1), 3);
	use_as(&e, cpu, AS_A, 0x1ff);
	KT_EXPECT_EQ(kt, hw_cpu_asid(cpu), 0xffu);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	use_as(&e, cpu, AS_A, 0x2ff);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_TRUE(kt, hit);
	hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(v, 0x3ff));
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 0u);

	cpu->regs.tcr |= TCR_AS;
	use_as(&e, cpu, AS_A, 0x1ff);
	KT_EXPECT_EQ(kt, hw_cpu_asid(cpu), 0x1ffu);
	xlate(cpu, v, &hit);
	use_as(&e, cpu, AS_A, 0x0ff);
	xlate(cpu, v, &hit);
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 2u);
	hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(v, 0x0ff));
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 1u);
	use_as(&e, cpu, AS_A, 0x1ff);
	xlate(cpu, v, &hit);
	KT_EXPECT_TRUE(kt, hit);
	hw_cpu_tlbi(cpu, TLBI_ASIDE1, tlbi_operand(0, 0x1ff));
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 0u);

	cpu->regs.tcr |= TCR_A1;
	cpu->regs.ttbr1 = ttbr_make(e.root[AS_KERN], 0x4242, false);
	KT_EXPECT_EQ(kt, hw_cpu_asid(cpu), 0x4242u);
	cpu->regs.tcr &= ~TCR_AS;
	KT_EXPECT_EQ(kt, hw_cpu_asid(cpu), 0x42u);
	hw_machine_destroy(&e.m);
}

/* A 4-entry, 2-way TLB: pages 0, 2, 4 share set 0 and the least recently used one goes. */
KTEST(cpu, lru_tiny_tlb)
{
	static const struct {
		unsigned int page;
		bool hit;
	} seq[] = { { 0, false }, { 2, false }, { 0, true },  { 4, false }, { 2, false },
		    { 4, true },  { 0, false }, { 1, false }, { 4, true } };
	struct env e;

	KT_ASSERT_EQ(
	    kt,
	    env_init(&e, 4096, 48, 1, &(struct tlb_config){ 4, 2, 4 }, &MMU_FEATURES_DEFAULT, 0),
	    0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	for (unsigned int p = 0; p < 5; p++)
		map(&e, AS_A, 0x100000 + p * 0x1000ULL, DATA(p), 3);
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++) {
		bool hit = !seq[i].hit;
		KT_EXPECT_EQ(kt, xlate(cpu, 0x100000 + seq[i].page * 0x1000ULL, &hit),
			     DATA(seq[i].page));
		if (!KT_EXPECT_EQ(kt, hit, seq[i].hit))
			ktest_log(kt, "access %zu (page %u)", i, seq[i].page);
	}
	KT_EXPECT_EQ(kt, cpu->tlb.stats.evictions, 3u);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.hits, 3u);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.misses, 6u);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 3u);
	hw_machine_destroy(&e.m);
}

/* Check the counters of @st against @want: hits, misses, walks, walk-cache hits, reads. */
static bool stats_are(struct ktest *kt, const struct tlb_stats *st, const uint64_t want[5])
{
	bool ok = KT_EXPECT_EQ(kt, st->hits, want[0]);

	ok &= KT_EXPECT_EQ(kt, st->misses, want[1]);
	ok &= KT_EXPECT_EQ(kt, st->walks, want[2]);
	ok &= KT_EXPECT_EQ(kt, st->walk_cache_hits, want[3]);
	ok &= KT_EXPECT_EQ(kt, st->reads, want[4]);
	return ok;
}

/*
 * 4K, 48 bits (levels 0-3): a first walk reads 4 descriptors; later walks resume from the deepest
 * cached table and read only below it; a faulting walk is never cached, so it walks every time.
 */
KTEST(cpu, counters_exact)
{
	static const struct {
		uint64_t off;
		bool fault;
		uint64_t want[5]; /* hits, misses, walks, walk-cache hits, reads */
	} seq[] = {
		{ 0, false, { 0, 1, 1, 0, 4 } },
		{ 8, false, { 1, 1, 1, 0, 4 } },
		{ 0x1000, false, { 1, 2, 2, 1, 5 } },		/* same level-3 table */
		{ 0x200000, false, { 1, 3, 3, 2, 7 } },		/* same level-2 table */
		{ 0x40000000, false, { 1, 4, 4, 3, 10 } },	/* same level-1 table */
		{ 0x8000000000ULL, false, { 1, 5, 5, 3, 14 } }, /* from the root */
		{ 0x2000, true, { 1, 6, 6, 4, 15 } },		/* invalid PTE */
		{ 0x2000, true, { 1, 7, 7, 5, 16 } },
		{ 0x1008, false, { 2, 7, 7, 5, 16 } },
		/* Tables but no PTE at 2G: the faulting walk's tables are cached all the same. */
		{ 0x80000000, true, { 2, 8, 8, 6, 19 } },
		{ 0x80001000, true, { 2, 9, 9, 7, 20 } },
	};
	struct env e;
	const vaddr_t v = 0x100000000000ULL;

	KT_ASSERT_EQ(kt, env_simple(&e, 4096, 48), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++)
		if (!seq[i].fault && (seq[i].off & 0xfff) == 0)
			map(&e, AS_A, v + seq[i].off, DATA(i), 3);
	slot(&e, AS_A, v + 0x80000000, 3);
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++) {
		struct hw_access r;
		enum mmu_fault f = hw_cpu_translate(cpu, v + seq[i].off, MMU_READ, &r);
		EXPECT_FAULT(kt, f, seq[i].fault ? MMU_FAULT_TRANSLATION : MMU_FAULT_NONE);
		if (!stats_are(kt, &cpu->tlb.stats, seq[i].want))
			ktest_log(kt, "access %zu", i);
	}
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 5u);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.evictions, 0u);
	hw_machine_destroy(&e.m);
}

/* An access crossing a page boundary lands in two unrelated pages; one into a hole stops there. */
KTEST(cpu, read_write_split)
{
	struct env e;
	struct hw_access r;
	uint8_t out[16], in[16] = { 0 };
	uint64_t lo = 0, hi = 0;
	const uint64_t pg = 0x4000;
	const vaddr_t v = 0x1000000;

	for (unsigned int i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(0xa0 + i);
	KT_ASSERT_EQ(kt, env_simple(&e, 16384, 36), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	map(&e, AS_A, v, DATA(5), 3);
	map(&e, AS_A, v + pg, DATA(3), 3);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + pg - 8, out, 16, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, r.pa, DATA(5) + pg - 8);
	KT_EXPECT_EQ(kt, r.level, 3u);
	hw_ram_read64(&e.m.ram, DATA(5) + pg - 8, &lo);
	hw_ram_read64(&e.m.ram, DATA(3), &hi);
	KT_EXPECT_EQ(kt, lo, 0xa7a6a5a4a3a2a1a0ULL);
	KT_EXPECT_EQ(kt, hi, 0xafaeadacabaaa9a8ULL);
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + pg - 8, in, 16, &r), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, !memcmp(in, out, 16));

	/* v + 2 * pg is not mapped: the first 8 bytes are done, the fault names v + 2 * pg. */
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 2 * pg - 8, out + 8, 16, &r), MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, r.va, v + 2 * pg);
	KT_EXPECT_EQ(kt, r.level, 3u);
	hw_ram_read64(&e.m.ram, DATA(3) + pg - 8, &lo);
	KT_EXPECT_EQ(kt, lo, 0xafaeadacabaaa9a8ULL);
	memset(in, 0, sizeof(in));
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + 2 * pg - 4, in, 8, &r), MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, r.va, v + 2 * pg);
	KT_EXPECT_EQ(kt, in[0], 0xacu);
	KT_EXPECT_EQ(kt, in[4], 0u);

	/* A read-only page in the middle of a write: a permission fault at its first byte. */
	struct pte_attrs ro = rw(false);
	ro.ap = AP_RO_EL1;
	map_attrs(&e, AS_A, v + 2 * pg, DATA(6), 3, &ro);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 2 * pg - 8, out, 16, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, r.va, v + 2 * pg);
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + 2 * pg - 8, in, 16, &r), MMU_FAULT_NONE);
	hw_machine_destroy(&e.m);
}

/*
 * An output address outside RAM: the translation is good (and cached), the access is an external
 * abort at the leaf's level. A table outside RAM aborts the walk itself.
 */
KTEST(cpu, external_abort)
{
	struct env e;
	struct hw_access r;
	uint8_t buf[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	uint64_t got = 0;
	const vaddr_t v = 0x200000000ULL;

	KT_ASSERT_EQ(kt, env_simple(&e, 4096, 48), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	map(&e, AS_A, v, NO_RAM, 3);
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + 0x10, buf, 8, &r), MMU_FAULT_EXTERNAL);
	KT_EXPECT_EQ(kt, r.level, 3u);
	KT_EXPECT_EQ(kt, r.va, v + 0x10);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 1u);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_READ, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, r.pa, NO_RAM);

	map(&e, AS_A, v + M2, NO_RAM, 2);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + M2 + 0x1234, buf, 8, &r), MMU_FAULT_EXTERNAL);
	KT_EXPECT_EQ(kt, r.level, 2u);

	/* RAM then no RAM: the first half is written. */
	map(&e, AS_A, v + 2 * M2, DATA(1), 3);
	map(&e, AS_A, v + 2 * M2 + 0x1000, NO_RAM, 3);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 2 * M2 + 0xff8, buf, 16, &r), MMU_FAULT_EXTERNAL);
	KT_EXPECT_EQ(kt, r.va, v + 2 * M2 + 0x1000);
	hw_ram_read64(&e.m.ram, DATA(1) + 0xff8, &got);
	KT_EXPECT_EQ(kt, got, 0x0807060504030201ULL);

	/* A level-3 table outside RAM: the walk aborts reading it, and nothing is cached. */
	wr64(&e, slot(&e, AS_A, v + 3 * M2, 2),
	     desc_make_table(&e.g, NO_RAM, &(struct table_attrs){ 0 }));
	unsigned int n = tlb_count(&cpu->tlb);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v + 3 * M2, MMU_READ, &r), MMU_FAULT_EXTERNAL);
	KT_EXPECT_EQ(kt, r.level, 3u);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), n);
	hw_machine_destroy(&e.m);
}

/*
 * Faults are not cached: an invalid PTE made valid, or an AF set, takes effect without a TLBI.
 * A permission fault comes from a cached entry, so an upgraded PTE needs the TLBI.
 */
KTEST(cpu, faults_and_tlbi)
{
	struct env e;
	struct hw_access r;
	const vaddr_t v = 0x300000;

	KT_ASSERT_EQ(kt, env_simple(&e, 65536, 42), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	paddr_t s = slot(&e, AS_A, v, 3);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_READ, &r), MMU_FAULT_TRANSLATION);
	map(&e, AS_A, v, DATA(1), 3);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_READ, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, r.pa, DATA(1));

	struct pte_attrs a = rw(false);
	a.af = false;
	map_attrs(&e, AS_A, v + 0x10000, DATA(2), 3, &a);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v + 0x10000, MMU_READ, &r), MMU_FAULT_ACCESS_FLAG);
	KT_EXPECT_EQ(kt, r.level, 3u);
	KT_EXPECT_EQ(kt, r.va, v + 0x10000);
	wr64(&e, slot(&e, AS_A, v + 0x10000, 3), rd64(&e, slot(&e, AS_A, v + 0x10000, 3)) | PTE_AF);
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v + 0x10000, MMU_READ, &r), MMU_FAULT_NONE);

	/* Read-only, then made writable in memory: stale until the TLBI. */
	a = rw(false);
	a.ap = AP_RO_EL1;
	wr64(&e, s, desc_make_page(&e.g, DATA(1), &a));
	hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(v, ASID_A));
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_WRITE, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_FALSE(kt, r.tlb_hit);
	a.ap = AP_RW_EL1;
	wr64(&e, s, desc_make_page(&e.g, DATA(1), &a));
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_WRITE, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	hw_cpu_tlbi(cpu, TLBI_VAE1IS, tlbi_operand(v, ASID_A));
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_WRITE, &r), MMU_FAULT_NONE);

	/* EL0 may not touch an EL1-only page, whether it comes from the TLB or a walk. */
	cpu->el = 0;
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, v, MMU_READ, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, r.level, 3u);
	hw_machine_destroy(&e.m);
}

/* With TBI the tag byte does not take part in the lookup; without it a tagged VA faults. */
KTEST(cpu, top_byte)
{
	struct env e;
	struct hw_access r;
	bool hit = false;
	const vaddr_t v = 0x500000;

	KT_ASSERT_EQ(kt,
		     env_init(&e, 4096, 48, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT,
			      TCR_TBI0 | TCR_TBI1),
		     0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	map(&e, AS_A, v, DATA(1), 3);
	map(&e, AS_KERN, kva(&e, v), DATA(2), 3);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_EQ(kt, xlate(cpu, 0x5aULL << 56 | v, &hit), DATA(1));
	KT_EXPECT_TRUE(kt, hit);
	KT_EXPECT_EQ(kt, xlate(cpu, kva(&e, v), &hit), DATA(2));
	KT_EXPECT_EQ(kt, xlate(cpu, kva(&e, v) & ~GENMASK(63, 56), &hit), DATA(2));
	KT_EXPECT_TRUE(kt, hit);
	cpu->regs.tcr &= ~TCR_TBI0;
	EXPECT_FAULT(kt, hw_cpu_translate(cpu, 0x5aULL << 56 | v, MMU_READ, &r),
		     MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, r.level, 0u);
	KT_EXPECT_FALSE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_TRUE(kt, hit);
	hw_machine_destroy(&e.m);
}

/* A writable-clean page: DBM set, AP[2] read-only, AF clear. */
static paddr_t map_clean(struct env *e, vaddr_t va, paddr_t pa)
{
	struct pte_attrs a = rw(false);

	a.ap = AP_RO_EL1;
	a.af = false;
	a.dbm = true;
	return map_attrs(e, AS_A, va, pa, 3, &a);
}

/*
 * FEAT_HAFDBS, as memory shows it: a read sets AF, a write to a writable-clean page clears AP[2]
 * (through memory: the cached read-only entry is dropped and the walk redone), each only when
 * enabled. Without the feature AF clear is an access-flag fault, walked again every time.
 */
KTEST(cpu, hafdbs)
{
	const struct mmu_features feat = { .pa_bits = 48, .hafdbs = true };
	const vaddr_t v = 0x700000;
	uint64_t x = 0x1234, got = 0;
	struct hw_access r;
	struct env e;

	KT_ASSERT_EQ(kt, env_init(&e, 4096, 48, 1, &TLB_CONFIG_DEFAULT, &feat, TCR_HA | TCR_HD), 0);
	struct hw_cpu *cpu = &e.m.cpus[0];
	paddr_t s = map_clean(&e, v, DATA(1));
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v, &got, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, rd64(&e, s) & (PTE_AF | PTE_RDONLY), PTE_AF | PTE_RDONLY);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_FALSE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, rd64(&e, s) & (PTE_AF | PTE_RDONLY), PTE_AF);
	hw_ram_read64(&e.m.ram, DATA(1), &got);
	KT_EXPECT_EQ(kt, got, x);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.hits, 1u);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.walks, 2u);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 1u);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.walks, 2u);

	/* A first access that writes sets AF and dirties in one walk. */
	s = map_clean(&e, v + 0x1000, DATA(2));
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 0x1000, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, rd64(&e, s) & (PTE_AF | PTE_RDONLY), PTE_AF);

	/* EL0 has no access to the page: no dirty update helps, memory is left alone. */
	s = map_clean(&e, v + 0x2000, DATA(3));
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + 0x2000, &got, 8, &r), MMU_FAULT_NONE);
	cpu->el = 0;
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 0x2000, &x, 8, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, rd64(&e, s) & PTE_RDONLY, PTE_RDONLY);
	cpu->el = 1;

	/* TCR.HA only: AF is set, a write to the clean page is a permission fault. */
	cpu->regs.tcr &= ~TCR_HD;
	s = map_clean(&e, v + 0x3000, DATA(4));
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v + 0x3000, &got, 8, &r), MMU_FAULT_NONE);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v + 0x3000, &x, 8, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, rd64(&e, s) & (PTE_AF | PTE_RDONLY), PTE_AF | PTE_RDONLY);
	hw_machine_destroy(&e.m);

	/* No FEAT_HAFDBS: TCR.HA and TCR.HD do nothing. */
	KT_ASSERT_EQ(
	    kt,
	    env_init(&e, 4096, 48, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT, TCR_HA | TCR_HD),
	    0);
	cpu = &e.m.cpus[0];
	s = map_clean(&e, v, DATA(1));
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v, &got, 8, &r), MMU_FAULT_ACCESS_FLAG);
	EXPECT_FAULT(kt, hw_cpu_read(cpu, v, &got, 8, &r), MMU_FAULT_ACCESS_FLAG);
	KT_EXPECT_EQ(kt, cpu->tlb.stats.walks, 2u);
	KT_EXPECT_EQ(kt, tlb_count(&cpu->tlb), 0u);
	KT_EXPECT_EQ(kt, rd64(&e, s) & PTE_AF, 0u);
	wr64(&e, s, rd64(&e, s) | PTE_AF);
	EXPECT_FAULT(kt, hw_cpu_write(cpu, v, &x, 8, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, rd64(&e, s) & PTE_RDONLY, PTE_RDONLY);
	hw_machine_destroy(&e.m);
}

/*
 * With the rule checker off, a CPU serves repeated hits from its last-hit copy (hw_cpu_fast_hit):
 * it must follow every TLBI, every change of TTBR0/ASID and of SCTLR exactly as a full lookup.
 */
KTEST(cpu, fast_hit_follows_tlbi_and_regs)
{
	struct env e;
	bool hit = true;
	const vaddr_t v = 0x1230000;

	KT_ASSERT_EQ(kt, env_simple(&e, 4096, 39), 0);
	hw_checker_enable(&e.m, false);
	struct hw_cpu *cpu = &e.m.cpus[0];
	paddr_t s = map(&e, AS_A, v, DATA(1), 3);
	map(&e, AS_B, v, DATA(3), 3);

	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1));
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_EQ(kt, xlate(cpu, v + 8, &hit), DATA(1) + 8);
	KT_EXPECT_TRUE(kt, hit);
	KT_EXPECT_EQ(kt, xlate(cpu, v + 16, &hit), DATA(1) + 16); /* from the last-hit copy */
	KT_EXPECT_TRUE(kt, hit);
	repoint(&e, s, 3, DATA(2));
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(1)); /* stale until the TLBI, as any hit */
	hw_cpu_tlbi(cpu, TLBI_VAE1, tlbi_operand(v, ASID_A));
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_TRUE(kt, hit);
	use_as(&e, cpu, AS_B, ASID_B); /* another TTBR0 and ASID */
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(3));
	KT_EXPECT_FALSE(kt, hit);
	use_as(&e, cpu, AS_A, ASID_A);
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_TRUE(kt, hit);
	hw_cpu_tlbi(cpu, TLBI_ASIDE1, tlbi_operand(0, ASID_A));
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_FALSE(kt, hit);
	uint64_t sctlr = cpu->regs.sctlr;
	cpu->regs.sctlr &= ~SCTLR_M; /* MMU off: flat */
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), (paddr_t)v);
	cpu->regs.sctlr = sctlr;
	KT_EXPECT_EQ(kt, xlate(cpu, v, &hit), DATA(2));
	KT_EXPECT_TRUE(kt, hit);
	hw_machine_destroy(&e.m);
}

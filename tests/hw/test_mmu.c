// SPDX-License-Identifier: MIT
/*
 * The emulated stage-1 MMU (hw/mmu.c) against ARM ARM (DDI 0487) D8 "The AArch64 Virtual Memory
 * System Architecture", for the EL1&0 regime of an ARMv8.0 CPU (no PAN) with optional
 * FEAT_HAFDBS. Tables are built with ptbuild; every expected outcome (start levels, block sizes,
 * fault kinds and levels, the permission table) is written here from the ARM ARM, never computed
 * by the code under test.
 */
#include "ptbuild.h"

#include <aarch64/sysreg.h>
#include <hw/mmu.h>
#include <hw/ram.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

#define RAM_BASE 0x40000000ULL /* 1 GiB: inside even a 32-bit output size */
#define RAM_SIZE (64ULL << 20)
#define POOL_SIZE (24ULL << 20) /* table pages for TTBR0, then for TTBR1 */
#define NO_RAM 0x80000000ULL	/* 2 GiB: no RAM here, still inside a 32-bit output size */
#define ASID0 0x1234
#define ASID1 0xabcd

/* Leaf descriptor bits (D8.3.2): AP[2] (read-only), AF, DBM. */
#define AP2 BIT(7)
#define AF BIT(10)
#define DBM BIT(51)

/* A granule, a VA size and the level its walk starts at (ARM ARM D8.2, the lookup tables). */
struct cfg {
	uint64_t granule;
	unsigned int va_bits, start_level;
};

static const struct cfg cfgs[] = {
	{ 4096, 39, 1 },  { 4096, 48, 0 },  { 4096, 25, 2 },  { 4096, 32, 1 },
	{ 16384, 36, 2 }, { 16384, 47, 1 }, { 16384, 48, 0 }, { 16384, 25, 3 },
	{ 65536, 42, 2 }, { 65536, 48, 1 }, { 65536, 25, 3 },
};

/* The VA bit each level's index starts at, i.e. log2 of what one entry maps (D8.2). */
static unsigned int arm_level_shift(uint64_t granule, unsigned int level)
{
	static const unsigned int s4k[4] = { 39, 30, 21, 12 };
	static const unsigned int s16k[4] = { 47, 36, 25, 14 };
	static const unsigned int s64k[4] = { 0, 42, 29, 16 };

	return granule == 4096 ? s4k[level] : granule == 16384 ? s16k[level] : s64k[level];
}

/* Block descriptors with 48-bit OAs (D8.3): 4K at levels 1-2, 16K and 64K at level 2 only. */
static bool arm_block_level(uint64_t granule, unsigned int level)
{
	return granule == 4096 ? level == 1 || level == 2 : level == 2;
}

struct env {
	const struct cfg *cfg;
	struct hw_ram ram;
	struct ptb pt[2]; /* the tables of TTBR0 and of TTBR1 */
	struct mmu_regs regs;
	struct mmu_features feat;
	uint64_t rs; /* random state */
};

static uint64_t tcr_for(const struct cfg *c)
{
	struct tcr_fields f = { .ips = 5, .as = true }; /* 48-bit output, 16-bit ASIDs */

	for (int i = 0; i < 2; i++)
		f.half[i] = (struct tcr_half){ .tsz = 64 - c->va_bits,
					       .granule = c->granule,
					       .irgn = TCR_RGN_WBWA,
					       .orgn = TCR_RGN_WBWA,
					       .sh = SH_INNER };
	return tcr_encode(&f);
}

/* RAM, empty tables for both halves, translation on, a 48-bit CPU without FEAT_HAFDBS. */
static bool env_init(struct ktest *kt, struct env *e, const struct cfg *c, uint64_t seed)
{
	struct xlat_geometry g;

	*e = (struct env){ .cfg = c, .rs = seed };
	hw_ram_init(&e->ram);
	bool ok =
	    KT_EXPECT_EQ(kt, hw_ram_add(&e->ram, RAM_BASE, RAM_SIZE), 0) &&
	    KT_EXPECT_EQ(kt, xlat_geometry_init(&g, c->granule, c->va_bits), 0) &&
	    KT_EXPECT_EQ(kt, ptb_init(&e->pt[0], &e->ram, &g, RAM_BASE, POOL_SIZE), 0) &&
	    KT_EXPECT_EQ(kt, ptb_init(&e->pt[1], &e->ram, &g, RAM_BASE + POOL_SIZE, POOL_SIZE), 0);
	if (!ok) {
		hw_ram_destroy(&e->ram);
		return false;
	}
	e->regs = (struct mmu_regs){
		.sctlr = SCTLR_M,
		.tcr = tcr_for(c),
		.ttbr0 = ttbr_make(e->pt[0].root, ASID0, false),
		.ttbr1 = ttbr_make(e->pt[1].root, ASID1, false),
		.mair = MAIR_ATTR(MAIR_DEVICE_nGnRnE, 0) | MAIR_ATTR(MAIR_NORMAL_WB, 1),
	};
	e->feat = (struct mmu_features){ .pa_bits = 48 };
	return true;
}

/* Run @fn on a fresh environment of each configuration. */
static void for_each_cfg(struct ktest *kt, void (*fn)(struct ktest *kt, struct env *e))
{
	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
		struct env e;

		if (!env_init(kt, &e, &cfgs[i], kt->seed + i))
			continue;
		fn(kt, &e);
		hw_ram_destroy(&e.ram);
	}
}

static void note(struct ktest *kt, const struct env *e, vaddr_t va)
{
	ktest_log(kt, "%lluK granule, %u-bit VA, va 0x%016llx",
		  (unsigned long long)(e->cfg->granule >> 10), e->cfg->va_bits,
		  (unsigned long long)va);
}

static uint64_t va_mask(const struct env *e)
{
	return GENMASK(e->cfg->va_bits - 1, 0);
}

/* The VA in half @half (0: TTBR0's range, 1: TTBR1's) whose in-range bits are @bits'. */
static vaddr_t half_va(const struct env *e, unsigned int half, uint64_t bits)
{
	return (bits & va_mask(e)) | (half ? ~va_mask(e) : 0);
}

static void set_tcr_field(struct env *e, uint64_t mask, uint64_t v)
{
	e->regs.tcr = (e->regs.tcr & ~mask) | FIELD_PREP(mask, v);
}

static struct pte_attrs leaf_attrs(unsigned int ap)
{
	return (struct pte_attrs){ .attrindx = 1, .sh = SH_INNER, .ap = (uint8_t)ap, .af = true };
}

/* Write leaf @desc at @level for @va in half @half, first removing any block above it. */
static int set_leaf(struct env *e, unsigned int half, unsigned int level, vaddr_t va, uint64_t desc)
{
	struct ptb *b = &e->pt[half];

	for (unsigned int l = e->cfg->start_level; l < level; l++) {
		uint64_t d;

		if (!ptb_get(b, l, va, &d) && desc_kind(&b->geom, l, d) == DESC_BLOCK) {
			ptb_set(b, l, va, 0);
			break;
		}
	}
	return ptb_set(b, level, va, desc);
}

static int map_page(struct env *e, unsigned int half, vaddr_t va, paddr_t pa,
		    const struct pte_attrs *a)
{
	return set_leaf(e, half, 3, va, desc_make_page(&e->pt[half].geom, pa, a));
}

static int map_block(struct env *e, unsigned int half, unsigned int level, vaddr_t va, paddr_t pa,
		     const struct pte_attrs *a)
{
	return set_leaf(e, half, level, va, desc_make_block(&e->pt[half].geom, level, pa, a));
}

static int xlate(struct env *e, vaddr_t va, unsigned int el, enum mmu_access acc, bool update,
		 struct mmu_result *r)
{
	return mmu_translate(&e->ram, &e->regs, &e->feat, va, el, acc, update, r);
}

/* An EL1 read of @va ends in fault @f at @level. */
static bool expect_fault(struct ktest *kt, struct env *e, vaddr_t va, int f, unsigned int level)
{
	struct mmu_result r;
	bool ok = KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), f) &&
		  KT_EXPECT_EQ(kt, r.level, level);

	if (!ok)
		note(kt, e, va);
	return ok;
}

/* An EL1 read of @va translates to @pa. */
static bool expect_pa(struct ktest *kt, struct env *e, vaddr_t va, paddr_t pa)
{
	struct mmu_result r;
	bool ok = KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_NONE) &&
		  KT_EXPECT_EQ(kt, r.pa, pa);

	if (!ok)
		note(kt, e, va);
	return ok;
}

/* Descriptors a walk of @va reads (no update). */
static unsigned int walk_reads(struct env *e, vaddr_t va)
{
	struct mmu_walk_result w;

	mmu_walk(&e->ram, &e->regs, &e->feat, va, 1, MMU_READ, false, NULL, &w);
	return w.reads;
}

static bool attrs_equal(const struct pte_attrs *a, const struct pte_attrs *b)
{
	return a->attrindx == b->attrindx && a->sh == b->sh && a->ap == b->ap && a->sw == b->sw &&
	       a->ns == b->ns && a->af == b->af && a->ng == b->ng && a->dbm == b->dbm &&
	       a->contig == b->contig && a->pxn == b->pxn && a->uxn == b->uxn;
}

/* Random leaf attributes an EL1 read always passes: AF set, no Contiguous hint. */
static struct pte_attrs rand_leaf_attrs(uint64_t *rs)
{
	struct pte_attrs a;

	pte_attrs_decode(ktest_rand(rs), &a);
	a.af = true;
	a.contig = false;
	return a;
}

/* Pages at random VAs of both halves: PA, size, level, the descriptor and its attributes. */
static void page_translation(struct ktest *kt, struct env *e)
{
	uint64_t gsize = e->cfg->granule;

	for (int n = 0; n < 64; n++) {
		unsigned int half = n & 1;
		vaddr_t va = half_va(e, half, ktest_rand(&e->rs));
		paddr_t pa = ktest_rand(&e->rs) & GENMASK(47, __builtin_ctzll(gsize));
		struct pte_attrs a = rand_leaf_attrs(&e->rs), got;
		struct mmu_result r;
		uint64_t desc;

		KT_ASSERT_EQ(kt, map_page(e, half, va, pa, &a), 0);
		KT_ASSERT_EQ(kt, ptb_get(&e->pt[half], 3, va, &desc), 0);
		if (!KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_NONE)) {
			note(kt, e, va);
			continue;
		}
		KT_EXPECT_EQ(kt, r.pa, pa | (va & (gsize - 1)));
		KT_EXPECT_EQ(kt, r.level, 3u);
		KT_EXPECT_EQ(kt, r.tr.level, 3u);
		KT_EXPECT_EQ(kt, r.tr.size, gsize);
		KT_EXPECT_EQ(kt, r.tr.va, va & ~(gsize - 1));
		KT_EXPECT_EQ(kt, r.tr.pa, pa);
		KT_EXPECT_EQ(kt, r.tr.ttbr, half);
		KT_EXPECT_EQ(kt, r.tr.global, !a.ng);
		KT_EXPECT_EQ(kt, r.tr.desc, desc);
		pte_attrs_decode(r.tr.desc, &got);
		KT_EXPECT_TRUE(kt, attrs_equal(&got, &a));
		KT_EXPECT_EQ(kt, walk_reads(e, va), 4 - e->cfg->start_level);
	}
}

KTEST(mmu, page_translation)
{
	for_each_cfg(kt, page_translation);
}

/* Blocks at every level that allows them (deepest first, a bigger block replaces tables). */
static void block_translation(struct ktest *kt, struct env *e)
{
	for (unsigned int l = 2; l >= 1 && l >= e->cfg->start_level; l--) {
		if (!arm_block_level(e->cfg->granule, l))
			continue;
		uint64_t bsize = 1ULL << arm_level_shift(e->cfg->granule, l);
		for (int n = 0; n < 16; n++) {
			unsigned int half = n & 1;
			vaddr_t va = half_va(e, half, ktest_rand(&e->rs));
			paddr_t pa = ktest_rand(&e->rs) & GENMASK(47, 0) & ~(bsize - 1);
			struct pte_attrs a = rand_leaf_attrs(&e->rs);
			struct mmu_result r;

			KT_ASSERT_EQ(kt, map_block(e, half, l, va, pa, &a), 0);
			if (!KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r),
					  MMU_FAULT_NONE)) {
				note(kt, e, va);
				continue;
			}
			KT_EXPECT_EQ(kt, r.pa, pa | (va & (bsize - 1)));
			KT_EXPECT_EQ(kt, r.tr.level, l);
			KT_EXPECT_EQ(kt, r.tr.size, bsize);
			KT_EXPECT_EQ(kt, r.tr.pa, pa);
			KT_EXPECT_EQ(kt, r.tr.ttbr, half);
			KT_EXPECT_EQ(kt, walk_reads(e, va), l - e->cfg->start_level + 1);
		}
	}
}

KTEST(mmu, block_translation)
{
	for_each_cfg(kt, block_translation);
}

/*
 * A descriptor of @type (0b01 block, 0b11 page) at @level mapping @pa with AF set, made by hand
 * so that it can be what the ARM ARM does not allow.
 */
static uint64_t raw_leaf(const struct env *e, unsigned int level, paddr_t pa, unsigned int type)
{
	return (pa & GENMASK(47, arm_level_shift(e->cfg->granule, level))) | AF | type;
}

/*
 * AArch64.S1Walk: a descriptor with bit 0 clear (0b00 or 0b10) is invalid at every level; 0b01
 * is reserved at level 3 and at a level with no blocks. Each is a translation fault there.
 */
static void translation_fault_every_level(struct ktest *kt, struct env *e)
{
	for (unsigned int half = 0; half < 2; half++) {
		vaddr_t va = half_va(e, half, ktest_rand(&e->rs));
		struct pte_attrs a = leaf_attrs(AP_RW_EL1);

		KT_ASSERT_EQ(kt, map_page(e, half, va, 0x12340000ULL, &a), 0);
		for (unsigned int l = e->cfg->start_level; l < 4; l++) {
			uint64_t d;
			KT_ASSERT_EQ(kt, ptb_get(&e->pt[half], l, va, &d), 0);
			const uint64_t bad[] = { 0, d & ~1ULL, 2, ~1ULL };
			for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
				KT_ASSERT_EQ(kt, ptb_set(&e->pt[half], l, va, bad[i]), 0);
				expect_fault(kt, e, va, MMU_FAULT_TRANSLATION, l);
				KT_EXPECT_EQ(kt, walk_reads(e, va), l - e->cfg->start_level + 1);
			}
			if (l == 3 || !arm_block_level(e->cfg->granule, l)) {
				KT_ASSERT_EQ(kt, ptb_set(&e->pt[half], l, va, raw_leaf(e, l, 0, 1)),
					     0);
				expect_fault(kt, e, va, MMU_FAULT_TRANSLATION, l);
			}
			KT_ASSERT_EQ(kt, ptb_set(&e->pt[half], l, va, d), 0);
			expect_pa(kt, e, va, 0x12340000ULL | (va & (e->cfg->granule - 1)));
		}
	}
}

KTEST(mmu, translation_fault_every_level)
{
	for_each_cfg(kt, translation_fault_every_level);
}

/*
 * The two ranges (AArch64.S1Translate): TTBR0 for VA[63:N] all 0, TTBR1 for all 1, N = 64 - TnSZ;
 * anything else is a translation fault at level 0 before any descriptor is read.
 */
static void va_ranges(struct ktest *kt, struct env *e)
{
	uint64_t g = e->cfg->granule, top = 1ULL << e->cfg->va_bits;
	vaddr_t last0 = top - g, first1 = -top;
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	KT_ASSERT_EQ(kt, map_page(e, 0, last0, 0x100000ULL, &a), 0);
	KT_ASSERT_EQ(kt, map_page(e, 1, first1, 0x200000ULL, &a), 0);
	expect_pa(kt, e, last0 + 8, 0x100008ULL);
	expect_pa(kt, e, first1 + 8, 0x200008ULL);
	const vaddr_t gap[] = {
		top,
		top | last0,
		first1 - g,
		~top,
		1ULL << 55,
		(1ULL << 55) - g,
		1ULL << 63,
		(1ULL << 63) | last0,
		0x7fffffffffff0000ULL,
		0x8000000000000000ULL | 8,
	};
	for (size_t i = 0; i < ARRAY_SIZE(gap); i++) {
		expect_fault(kt, e, gap[i], MMU_FAULT_TRANSLATION, 0);
		KT_EXPECT_EQ(kt, walk_reads(e, gap[i]), 0u);
	}
}

KTEST(mmu, va_outside_both_ranges)
{
	for_each_cfg(kt, va_ranges);
}

/* The same index bits in the two halves reach different tables: VA[55] picks the TTBR. */
static void ttbr_select(struct ktest *kt, struct env *e)
{
	for (int n = 0; n < 16; n++) {
		uint64_t bits = ktest_rand(&e->rs) & ~(e->cfg->granule - 1);
		vaddr_t lo = half_va(e, 0, bits), hi = half_va(e, 1, bits);
		struct pte_attrs a = leaf_attrs(AP_RW_EL1);
		struct mmu_result r;

		KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0x111110000ULL, &a), 0);
		KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0x222220000ULL, &a), 0);
		expect_pa(kt, e, lo, 0x111110000ULL);
		expect_pa(kt, e, hi, 0x222220000ULL);
		xlate(e, hi, 1, MMU_READ, true, &r);
		KT_EXPECT_EQ(kt, r.tr.ttbr, 1u);
		xlate(e, lo, 1, MMU_READ, true, &r);
		KT_EXPECT_EQ(kt, r.tr.ttbr, 0u);
	}
}

KTEST(mmu, ttbr1_for_high_addresses)
{
	for_each_cfg(kt, ttbr_select);
}

/*
 * TnSZ outside 16..39 (48 to 25 bits; no FEAT_LVA or FEAT_TTST) is CONSTRAINED UNPREDICTABLE;
 * kmm's MMU takes the permitted choice of a translation fault at level 0.
 */
static void tsz_limits(struct ktest *kt, struct env *e)
{
	unsigned int tsz = 64 - e->cfg->va_bits;
	vaddr_t lo = 0x10000, hi = ~0ULL << 16;
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	if (tsz != 16 && tsz != 39)
		return;
	KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0x5550000ULL, &a), 0);
	KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0x6660000ULL, &a), 0);
	expect_pa(kt, e, lo, 0x5550000ULL);
	expect_pa(kt, e, hi, 0x6660000ULL);
	const unsigned int bad[] = { tsz == 16 ? 15u : 40u, 0, 63 };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		set_tcr_field(e, TCR_T0SZ_MASK, bad[i]);
		expect_fault(kt, e, lo, MMU_FAULT_TRANSLATION, 0);
		expect_pa(kt, e, hi, 0x6660000ULL);
		set_tcr_field(e, TCR_T0SZ_MASK, tsz);
		set_tcr_field(e, TCR_T1SZ_MASK, bad[i]);
		expect_fault(kt, e, hi, MMU_FAULT_TRANSLATION, 0);
		expect_pa(kt, e, lo, 0x5550000ULL);
		set_tcr_field(e, TCR_T1SZ_MASK, tsz);
	}
}

KTEST(mmu, tsz_out_of_range)
{
	for_each_cfg(kt, tsz_limits);
}

/* TCR_EL1.EPDn: a TLB miss in that half is a translation fault at level 0, without a walk. */
static void epd(struct ktest *kt, struct env *e)
{
	vaddr_t lo = half_va(e, 0, 0x123000), hi = half_va(e, 1, 0x456000);
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0x10000ULL, &a), 0);
	KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0x20000ULL, &a), 0);
	e->regs.tcr |= TCR_EPD0;
	expect_fault(kt, e, lo, MMU_FAULT_TRANSLATION, 0);
	KT_EXPECT_EQ(kt, walk_reads(e, lo), 0u);
	expect_pa(kt, e, hi, 0x20000ULL | (hi & (e->cfg->granule - 1)));
	e->regs.tcr ^= TCR_EPD0 | TCR_EPD1;
	expect_pa(kt, e, lo, 0x10000ULL | (lo & (e->cfg->granule - 1)));
	expect_fault(kt, e, hi, MMU_FAULT_TRANSLATION, 0);
	e->regs.tcr |= TCR_EPD0;
	expect_fault(kt, e, lo, MMU_FAULT_TRANSLATION, 0);
	expect_fault(kt, e, hi, MMU_FAULT_TRANSLATION, 0);
}

KTEST(mmu, epd_disables_walks)
{
	for_each_cfg(kt, epd);
}

static vaddr_t tag(vaddr_t va, uint64_t t)
{
	return (va & ~GENMASK(63, 56)) | t << 56;
}

/*
 * TCR_EL1.TBIn (AddrTop): with TBI the range check stops at bit 55, so bits [63:56] are a tag.
 * VA[55] picks TBI0 or TBI1, so a tag never moves an address to the other half.
 */
static void tbi(struct ktest *kt, struct env *e)
{
	uint64_t off = 0x9a8;
	vaddr_t lo = half_va(e, 0, 0x70000), hi = half_va(e, 1, 0xa0000);
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);
	struct mmu_result r;

	KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0xaaaa0000ULL, &a), 0);
	KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0xbbbb0000ULL, &a), 0);
	expect_fault(kt, e, tag(lo, 0x5a), MMU_FAULT_TRANSLATION, 0);
	expect_fault(kt, e, tag(hi, 0x5a), MMU_FAULT_TRANSLATION, 0);

	e->regs.tcr |= TCR_TBI0;
	expect_pa(kt, e, tag(lo, 0x5a) + off, 0xaaaa0000ULL + off);
	expect_pa(kt, e, tag(lo, 0xff) + off, 0xaaaa0000ULL + off);
	xlate(e, tag(lo, 0xff), 1, MMU_READ, true, &r);
	KT_EXPECT_EQ(kt, r.tr.ttbr, 0u);
	expect_fault(kt, e, tag(hi, 0x5a), MMU_FAULT_TRANSLATION, 0);
	expect_pa(kt, e, hi + off, 0xbbbb0000ULL + off);

	e->regs.tcr ^= TCR_TBI0 | TCR_TBI1;
	expect_pa(kt, e, tag(hi, 0x5a) + off, 0xbbbb0000ULL + off);
	expect_pa(kt, e, tag(hi, 0x00) + off, 0xbbbb0000ULL + off);
	xlate(e, tag(hi, 0x00), 1, MMU_READ, true, &r);
	KT_EXPECT_EQ(kt, r.tr.ttbr, 1u);
	expect_fault(kt, e, tag(lo, 0xff), MMU_FAULT_TRANSLATION, 0);
	expect_pa(kt, e, lo + off, 0xaaaa0000ULL + off);
}

KTEST(mmu, tbi_tagged_addresses)
{
	for_each_cfg(kt, tbi);
}

/* Output sizes: min(TCR.IPS, the CPU's PARange) (D8.2, "output address size"). */
static const struct {
	unsigned int pa_bits, ips, obits;
} osizes[] = {
	{ 48, 0, 32 }, { 48, 1, 36 }, { 40, 2, 40 },
	{ 48, 3, 42 }, { 44, 4, 44 }, { 36, 5, 36 }, /* IPS above PARange: PARange */
	{ 40, 6, 40 },				     /* a 52-bit IPS on a 40-bit CPU */
};

static void set_osize(struct env *e, size_t i)
{
	e->feat.pa_bits = osizes[i].pa_bits;
	set_tcr_field(e, TCR_IPS_MASK, osizes[i].ips);
}

/* A TTBR base address beyond the output size: address size fault at level 0. */
static void address_size_ttbr(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, 0x3000);
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x30000ULL, &a), 0);
	for (size_t i = 0; i < ARRAY_SIZE(osizes); i++) {
		set_osize(e, i);
		e->regs.ttbr0 = ttbr_make(e->pt[0].root, ASID0, false);
		expect_pa(kt, e, va, 0x30000ULL | (va & (e->cfg->granule - 1)));
		e->regs.ttbr0 = ttbr_make(e->pt[0].root | BIT(osizes[i].obits), ASID0, false);
		expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, 0);
		KT_EXPECT_EQ(kt, walk_reads(e, va), 0u);
		e->regs.ttbr0 = ttbr_make(e->pt[0].root | BIT(47), ASID0, false);
		expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, 0);
	}
}

KTEST(mmu, address_size_ttbr_base)
{
	for_each_cfg(kt, address_size_ttbr);
}

/* A table descriptor's next-level address beyond the output size: fault at its level. */
static void address_size_table(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 1, 0x5000);
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	KT_ASSERT_EQ(kt, map_page(e, 1, va, 0x50000ULL, &a), 0);
	for (size_t i = 0; i < ARRAY_SIZE(osizes); i++) {
		set_osize(e, i);
		for (unsigned int l = e->cfg->start_level; l < 3; l++) {
			uint64_t d;
			KT_ASSERT_EQ(kt, ptb_get(&e->pt[1], l, va, &d), 0);
			KT_ASSERT_EQ(kt, ptb_set(&e->pt[1], l, va, d | BIT(osizes[i].obits)), 0);
			expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, l);
			KT_ASSERT_EQ(kt, ptb_set(&e->pt[1], l, va, d), 0);
		}
		expect_pa(kt, e, va, 0x50000ULL | (va & (e->cfg->granule - 1)));
	}
}

KTEST(mmu, address_size_table_descriptor)
{
	for_each_cfg(kt, address_size_table);
}

/* A page or block whose output address is beyond the output size: fault at the leaf's level. */
static void address_size_leaf(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);

	for (size_t i = 0; i < ARRAY_SIZE(osizes); i++) {
		uint64_t limit = BIT(osizes[i].obits);

		set_osize(e, i);
		for (unsigned int l = e->cfg->start_level; l < 4; l++) {
			if (l < 3 && !arm_block_level(e->cfg->granule, l))
				continue;
			uint64_t size = 1ULL << arm_level_shift(e->cfg->granule, l);
			uint64_t off = va & (size - 1);
			KT_ASSERT_EQ(
			    kt, set_leaf(e, 0, l, va, raw_leaf(e, l, limit, l == 3 ? 3 : 1)), 0);
			expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, l);
			KT_ASSERT_EQ(
			    kt, set_leaf(e, 0, l, va, raw_leaf(e, l, BIT(47), l == 3 ? 3 : 1)), 0);
			expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, l);
			KT_ASSERT_EQ(kt,
				     l == 3 ? map_page(e, 0, va, limit - size, &a)
					    : map_block(e, 0, l, va, limit - size, &a),
				     0);
			expect_pa(kt, e, va, limit - size + off);
		}
	}
}

KTEST(mmu, address_size_output_address)
{
	for_each_cfg(kt, address_size_leaf);
}

/* A descriptor read from outside RAM: synchronous external abort on the walk, at that level. */
static void external_abort(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);
	unsigned int start = e->cfg->start_level;

	KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x70000ULL, &a), 0);
	for (unsigned int l = start; l < 3; l++) {
		uint64_t d;
		KT_ASSERT_EQ(kt, ptb_get(&e->pt[0], l, va, &d), 0);
		uint64_t out = (d & ~GENMASK(47, __builtin_ctzll(e->cfg->granule))) | NO_RAM;
		KT_ASSERT_EQ(kt, ptb_set(&e->pt[0], l, va, out), 0);
		expect_fault(kt, e, va, MMU_FAULT_EXTERNAL, l + 1);
		KT_EXPECT_EQ(kt, walk_reads(e, va), l - start + 2);
		KT_ASSERT_EQ(kt, ptb_set(&e->pt[0], l, va, d), 0);
	}
	e->regs.ttbr0 = ttbr_make(NO_RAM, ASID0, false);
	expect_fault(kt, e, va, MMU_FAULT_EXTERNAL, start);
	KT_EXPECT_EQ(kt, walk_reads(e, va), 1u);
}

KTEST(mmu, external_abort_on_walk)
{
	for_each_cfg(kt, external_abort);
}

/*
 * AF = 0 without hardware update: an access flag fault at the leaf's level for every access,
 * before the permission check (D8.15 fault prioritization) and after the address size check.
 */
static void access_flag(struct ktest *kt, struct env *e)
{
	static const enum mmu_access accs[] = { MMU_READ, MMU_WRITE, MMU_EXEC };
	vaddr_t va = half_va(e, 1, ktest_rand(&e->rs));

	for (unsigned int l = e->cfg->start_level; l < 4; l++) {
		if (l < 3 && !arm_block_level(e->cfg->granule, l))
			continue;
		uint64_t size = 1ULL << arm_level_shift(e->cfg->granule, l);
		/* Read-only at EL1, nothing at EL0, never executable: AF still comes first. */
		struct pte_attrs a = leaf_attrs(AP_RO_EL1);
		a.af = false;
		a.pxn = a.uxn = true;
		KT_ASSERT_EQ(kt,
			     l == 3 ? map_page(e, 1, va, 0x40000000ULL, &a)
				    : map_block(e, 1, l, va, 0x40000000ULL, &a),
			     0);
		for (unsigned int el = 0; el < 2; el++) {
			for (size_t i = 0; i < ARRAY_SIZE(accs); i++) {
				struct mmu_result r;
				if (!KT_EXPECT_EQ(kt, xlate(e, va, el, accs[i], true, &r),
						  MMU_FAULT_ACCESS_FLAG))
					note(kt, e, va);
				KT_EXPECT_EQ(kt, r.level, l);
				KT_EXPECT_EQ(kt, r.tr.pa, 0x40000000ULL & ~(size - 1));
			}
		}
		/* An output address beyond the output size comes first. */
		e->feat.pa_bits = 32;
		uint64_t d = raw_leaf(e, l, BIT(32), l == 3 ? 3 : 1) & ~AF;
		KT_ASSERT_EQ(kt, set_leaf(e, 1, l, va, d), 0);
		expect_fault(kt, e, va, MMU_FAULT_ADDRESS_SIZE, l);
		e->feat.pa_bits = 48;
	}
}

KTEST(mmu, access_flag_fault)
{
	for_each_cfg(kt, access_flag);
}

/*
 * The permission model, written from ARM ARM D8.4 "Memory access control" for stage 1 of the
 * EL1&0 regime (AArch64.S1CheckPermissions, ARMv8.0, no PAN). Data accesses by AP[2:1]:
 *
 *	AP[2:1]   EL1          EL0
 *	0b00      read/write   none
 *	0b01      read/write   read/write
 *	0b10      read-only    none
 *	0b11      read-only    read-only
 *
 * Hierarchical controls in the table descriptors above the leaf: APTable[0] removes EL0 access
 * (as AP[1] = 0), APTable[1] removes write access (as AP[2] = 1), UXNTable and PXNTable OR into
 * UXN and PXN. Instruction fetches: EL0 never from UXN memory, EL1 never from PXN memory nor from
 * memory EL0 can write; with SCTLR_EL1.WXN neither executes memory it can write. EL0 may execute
 * memory it cannot read.
 */
struct perm {
	unsigned int ap, ap_table;
	bool uxn, pxn, uxn_table, pxn_table, wxn;
};

static bool arm_permits(const struct perm *p, unsigned int el, enum mmu_access acc)
{
	static const struct {
		bool el1_w, el0_r, el0_w;
	} data[4] = { { true, false, false },
		      { true, true, true },
		      { false, false, false },
		      { false, true, false } };
	unsigned int ap = p->ap;

	if (p->ap_table & 1)
		ap &= ~1u;
	if (p->ap_table & 2)
		ap |= 2;
	bool el1_w = data[ap].el1_w, el0_r = data[ap].el0_r, el0_w = data[ap].el0_w;
	if (acc == MMU_READ)
		return el ? true : el0_r;
	if (acc == MMU_WRITE)
		return el ? el1_w : el0_w;
	if (!el)
		return !p->uxn && !p->uxn_table && !(p->wxn && el0_w);
	return !p->pxn && !p->pxn_table && !el0_w && !(p->wxn && el1_w);
}

static void log_perm(struct ktest *kt, const struct perm *p, unsigned int el, enum mmu_access acc)
{
	ktest_log(kt, "EL%u %s: AP %u UXN %d PXN %d APTable %u UXNTable %d PXNTable %d WXN %d", el,
		  mmu_access_name(acc), p->ap, p->uxn, p->pxn, p->ap_table, p->uxn_table,
		  p->pxn_table, p->wxn);
}

/* Every access at EL0 and EL1 to @va, and mmu_effective, against arm_permits(@p). */
static void check_perms(struct ktest *kt, struct env *e, vaddr_t va, const struct perm *p)
{
	static const enum mmu_access accs[] = { MMU_READ, MMU_WRITE, MMU_EXEC };
	struct mmu_result r;
	bool eff[2][3];

	e->regs.sctlr = SCTLR_M | (p->wxn ? SCTLR_WXN : 0);
	for (unsigned int el = 0; el < 2; el++) {
		for (size_t i = 0; i < ARRAY_SIZE(accs); i++) {
			bool want = arm_permits(p, el, accs[i]);
			int f = xlate(e, va, el, accs[i], true, &r);
			if (!KT_EXPECT_EQ(kt, f, want ? MMU_FAULT_NONE : MMU_FAULT_PERMISSION)) {
				note(kt, e, va);
				log_perm(kt, p, el, accs[i]);
			}
		}
	}
	KT_ASSERT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_NONE);
	mmu_effective(&r.tr, &e->regs, &eff[0][0], &eff[0][1], &eff[0][2], &eff[1][0], &eff[1][1],
		      &eff[1][2]);
	for (unsigned int el = 0; el < 2; el++)
		for (size_t i = 0; i < ARRAY_SIZE(accs); i++)
			if (!KT_EXPECT_EQ(kt, eff[el][i], arm_permits(p, el, accs[i])))
				log_perm(kt, p, el, accs[i]);
}

/* Put @p's leaf as a page at @va (half 0) and its table attributes in the descriptor at @lt. */
static bool apply_perm(struct ktest *kt, struct env *e, vaddr_t va, unsigned int lt,
		       const struct perm *p)
{
	struct pte_attrs a = leaf_attrs(p->ap);
	struct table_attrs t = { .ap_table = (uint8_t)p->ap_table,
				 .uxn_table = p->uxn_table,
				 .pxn_table = p->pxn_table };

	a.uxn = p->uxn;
	a.pxn = p->pxn;
	return KT_EXPECT_EQ(kt, map_page(e, 0, va, 0x80000000ULL, &a), 0) &&
	       (lt == 3 || KT_EXPECT_EQ(kt, ptb_set_table_attrs(&e->pt[0], lt, va, &t), 0));
}

/* EL0/EL1 × read/write/exec × AP × UXN × PXN × WXN, no hierarchical controls. */
static void permission_matrix(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));

	for (unsigned int m = 0; m < 32; m++) {
		struct perm p = { .ap = m & 3, .uxn = m & 4, .pxn = m & 8, .wxn = m & 16 };

		KT_ASSERT_TRUE(kt, apply_perm(kt, e, va, 3, &p));
		check_perms(kt, e, va, &p);
	}
}

KTEST(mmu, permission_matrix)
{
	for_each_cfg(kt, permission_matrix);
}

/* The same with APTable, UXNTable and PXNTable in the table descriptor at each level. */
static void table_permissions(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));

	for (unsigned int lt = e->cfg->start_level; lt < 3; lt++) {
		for (unsigned int m = 0; m < 512; m++) {
			struct perm p = { .ap = m & 3,
					  .uxn = m & 4,
					  .pxn = m & 8,
					  .wxn = m & 16,
					  .ap_table = (m >> 5) & 3,
					  .uxn_table = m & 128,
					  .pxn_table = m & 256 };

			KT_ASSERT_TRUE(kt, apply_perm(kt, e, va, lt, &p));
			check_perms(kt, e, va, &p);
		}
		struct table_attrs none = { 0 };
		KT_ASSERT_EQ(kt, ptb_set_table_attrs(&e->pt[0], lt, va, &none), 0);
	}
}

KTEST(mmu, table_permissions_each_level)
{
	for_each_cfg(kt, table_permissions);
}

/* Random controls at every level above a page or block: they accumulate down the walk. */
static void table_permissions_combined(struct ktest *kt, struct env *e)
{
	unsigned int start = e->cfg->start_level;

	for (int n = 0; n < 200 && start < 3; n++) {
		vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));
		unsigned int leaf = (unsigned int)ktest_rand_below(&e->rs, 4);
		uint64_t r = ktest_rand(&e->rs);
		struct perm p = { .ap = r & 3, .uxn = r & 4, .pxn = r & 8, .wxn = r & 16 };
		struct pte_attrs a = leaf_attrs(p.ap);

		if (leaf <= start || !arm_block_level(e->cfg->granule, leaf))
			leaf = 3;
		a.uxn = p.uxn;
		a.pxn = p.pxn;
		KT_ASSERT_EQ(
		    kt, leaf == 3 ? map_page(e, 0, va, 0, &a) : map_block(e, 0, leaf, va, 0, &a),
		    0);
		for (unsigned int l = start; l < leaf; l++) {
			struct table_attrs t;
			table_attrs_decode(ktest_rand(&e->rs), &t);
			KT_ASSERT_EQ(kt, ptb_set_table_attrs(&e->pt[0], l, va, &t), 0);
			p.ap_table |= t.ap_table;
			p.uxn_table |= t.uxn_table;
			p.pxn_table |= t.pxn_table;
		}
		check_perms(kt, e, va, &p);
	}
}

KTEST(mmu, table_permissions_combined)
{
	for_each_cfg(kt, table_permissions_combined);
}

/* Hand-picked cases of the execute rules, each a sentence of D8.4 (4K granule, 48-bit VA). */
KTEST(mmu, execute_rules)
{
	static const struct {
		struct perm p;
		unsigned int el;
		bool allowed;
	} rows[] = {
		/* EL1 cannot execute memory EL0 can write, PXN or not... */
		{ { .ap = AP_RW_ALL, .uxn = true }, 1, false },
		/* ...unless APTable takes EL0's write (or all its) access away. */
		{ { .ap = AP_RW_ALL, .ap_table = 2 }, 1, true },
		{ { .ap = AP_RW_ALL, .ap_table = 1 }, 1, true },
		{ { .ap = AP_RO_ALL }, 1, true },
		/* EL0 executes what it cannot read (execute-only). */
		{ { .ap = AP_RW_EL1, .pxn = true }, 0, true },
		/* WXN: no EL executes what it can write. */
		{ { .ap = AP_RW_EL1, .wxn = true }, 1, false },
		{ { .ap = AP_RO_EL1, .wxn = true }, 1, true },
		{ { .ap = AP_RW_ALL, .pxn = true, .wxn = true }, 0, false },
		{ { .ap = AP_RO_ALL, .wxn = true }, 0, true },
		{ { .ap = AP_RW_ALL, .ap_table = 2, .wxn = true }, 0, true },
		/* XN from a table above, for either EL only. */
		{ { .ap = AP_RO_ALL, .uxn_table = true }, 0, false },
		{ { .ap = AP_RO_ALL, .uxn_table = true }, 1, true },
		{ { .ap = AP_RO_ALL, .pxn_table = true }, 1, false },
		{ { .ap = AP_RO_ALL, .pxn_table = true }, 0, true },
	};
	struct env e;

	KT_ASSERT_TRUE(kt, env_init(kt, &e, &cfgs[1], kt->seed));
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct mmu_result r;
		vaddr_t va = 0x400000;

		if (!apply_perm(kt, &e, va, 2, &rows[i].p))
			break;
		e.regs.sctlr = SCTLR_M | (rows[i].p.wxn ? SCTLR_WXN : 0);
		int f = xlate(&e, va, rows[i].el, MMU_EXEC, true, &r);
		if (!KT_EXPECT_EQ(kt, f, rows[i].allowed ? MMU_FAULT_NONE : MMU_FAULT_PERMISSION))
			ktest_log(kt, "row %zu", i);
		KT_EXPECT_EQ(kt, arm_permits(&rows[i].p, rows[i].el, MMU_EXEC), rows[i].allowed);
	}
	hw_ram_destroy(&e.ram);
}

static uint64_t leaf_in_memory(struct ktest *kt, struct env *e, unsigned int half, unsigned int l,
			       vaddr_t va)
{
	uint64_t d = 0;

	KT_EXPECT_EQ(kt, ptb_get(&e->pt[half], l, va, &d), 0);
	return d;
}

/*
 * FEAT_HAFDBS, hardware Access flag: with TCR_EL1.HA an access to an AF = 0 entry does not fault;
 * the AF is set in memory when the access goes ahead (not for an AT-like query, not when the
 * access then takes a permission fault). Without the feature HA is RES0: access flag fault.
 */
static void hw_access_flag(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));
	struct mmu_result r;

	for (unsigned int l = e->cfg->start_level; l < 4; l++) {
		if (l < 3 && !arm_block_level(e->cfg->granule, l))
			continue;
		struct pte_attrs a = leaf_attrs(AP_RW_EL1); /* no EL0 access */
		a.af = false;
		KT_ASSERT_EQ(kt, l == 3 ? map_page(e, 0, va, 0, &a) : map_block(e, 0, l, va, 0, &a),
			     0);
		uint64_t old = leaf_in_memory(kt, e, 0, l, va);

		e->feat.hafdbs = false;
		e->regs.tcr |= TCR_HA;
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_ACCESS_FLAG);
		e->feat.hafdbs = true;
		e->regs.tcr &= ~TCR_HA;
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_ACCESS_FLAG);
		e->regs.tcr |= TCR_HA;
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, false, &r), MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 0, l, va), old);
		KT_EXPECT_EQ(kt, xlate(e, va, 0, MMU_READ, true, &r), MMU_FAULT_PERMISSION);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 0, l, va), old);
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, true, &r), MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.tr.desc, old | AF);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 0, l, va), old | AF);
		/* Set now: no fault even with HA off again. */
		e->regs.tcr &= ~TCR_HA;
		KT_EXPECT_EQ(kt, xlate(e, va, 0, MMU_READ, true, &r), MMU_FAULT_PERMISSION);
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_NONE);
	}
}

KTEST(mmu, hw_access_flag)
{
	for_each_cfg(kt, hw_access_flag);
}

/*
 * FEAT_HAFDBS, hardware dirty state: with TCR_EL1.HA and HD (HD counts only with HA), a write to
 * a read-only (AP[2] = 1) entry with DBM = 1 succeeds and clears AP[2] in memory, if nothing
 * else forbids the write. Reads leave it alone.
 */
static void hw_dirty_state(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 1, ktest_rand(&e->rs));
	struct mmu_result r;
	struct pte_attrs a = leaf_attrs(AP_RO_EL1);

	a.dbm = true;
	KT_ASSERT_EQ(kt, map_page(e, 1, va, 0x9990000ULL, &a), 0);
	uint64_t old = leaf_in_memory(kt, e, 1, 3, va);
	e->feat.hafdbs = true;
	e->regs.tcr |= TCR_HA | TCR_HD;

	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, true, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, false, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), old);
	/* EL0 has no access at all (AP[1] = 0): no update either. */
	KT_EXPECT_EQ(kt, xlate(e, va, 0, MMU_WRITE, true, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), old);
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, true, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, r.tr.desc, old & ~AP2);
	KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), old & ~AP2);

	/* EL0 through AP 0b11, with AF = 0 too: both bits are updated. */
	a = leaf_attrs(AP_RO_ALL);
	a.dbm = true;
	a.af = false;
	KT_ASSERT_EQ(kt, map_page(e, 1, va, 0x9990000ULL, &a), 0);
	old = leaf_in_memory(kt, e, 1, 3, va);
	KT_EXPECT_EQ(kt, xlate(e, va, 0, MMU_WRITE, true, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), (old & ~AP2) | AF);

	/* Anything missing, or APTable[1] above: a permission fault and memory as it was. */
	a = leaf_attrs(AP_RO_EL1);
	a.dbm = true;
	KT_ASSERT_EQ(kt, map_page(e, 1, va, 0x9990000ULL, &a), 0);
	old = leaf_in_memory(kt, e, 1, 3, va);
	const struct {
		uint64_t tcr;
		bool hafdbs, dbm;
	} rows[] = {
		{ TCR_HD, true, true },
		{ TCR_HA, true, true },
		{ TCR_HA | TCR_HD, true, false },
		{ TCR_HA | TCR_HD, false, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		e->regs.tcr = (e->regs.tcr & ~(TCR_HA | TCR_HD)) | rows[i].tcr;
		e->feat.hafdbs = rows[i].hafdbs;
		uint64_t d = rows[i].dbm ? old : old & ~DBM;
		KT_ASSERT_EQ(kt, ptb_set(&e->pt[1], 3, va, d), 0);
		if (!KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, true, &r), MMU_FAULT_PERMISSION))
			ktest_log(kt, "row %zu", i);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), d);
	}
	KT_ASSERT_EQ(kt, ptb_set(&e->pt[1], 3, va, old), 0);
	e->regs.tcr |= TCR_HA | TCR_HD;
	e->feat.hafdbs = true;
	if (e->cfg->start_level < 3) {
		struct table_attrs ro = { .ap_table = 2 };
		KT_ASSERT_EQ(kt, ptb_set_table_attrs(&e->pt[1], 2, va, &ro), 0);
		KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, true, &r), MMU_FAULT_PERMISSION);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 1, 3, va), old);
	}
}

KTEST(mmu, hw_dirty_state)
{
	for_each_cfg(kt, hw_dirty_state);
}

/*
 * A DBM entry under TCR.HA and HD counts as writable for the execute rules too, though AP[2]
 * stays set in memory until a write (AArch64.S1ApplyOutputPerms: the effective AP[2] of a DBM
 * descriptor is 0): WXN makes it execute-never where writable, and EL1 never executes what EL0
 * can write. UXN = PXN = 0 throughout.
 */
static void dbm_execute(struct ktest *kt, struct env *e)
{
	static const struct {
		unsigned int ap;
		bool wxn;
		unsigned int el;
		int fault; /* of an instruction fetch */
	} rows[] = {
		{ AP_RO_ALL, false, 1, MMU_FAULT_PERMISSION }, /* EL0 can write: no EL1 exec */
		{ AP_RO_ALL, false, 0, MMU_FAULT_NONE },
		{ AP_RO_EL1, true, 1, MMU_FAULT_PERMISSION }, /* EL1 can write, WXN */
		{ AP_RO_EL1, false, 1, MMU_FAULT_NONE },
		{ AP_RO_ALL, true, 0, MMU_FAULT_PERMISSION }, /* EL0 can write, WXN */
	};
	vaddr_t va = half_va(e, 0, ktest_rand(&e->rs));
	struct mmu_result r;

	e->feat.hafdbs = true;
	e->regs.tcr |= TCR_HA | TCR_HD;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct pte_attrs a = leaf_attrs(rows[i].ap);

		a.dbm = true;
		KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x7770000ULL, &a), 0);
		uint64_t old = leaf_in_memory(kt, e, 0, 3, va);
		e->regs.sctlr = SCTLR_M | (rows[i].wxn ? SCTLR_WXN : 0);
		if (!KT_EXPECT_EQ(kt, xlate(e, va, rows[i].el, MMU_EXEC, true, &r), rows[i].fault))
			ktest_log(kt, "row %zu", i);
		KT_EXPECT_EQ(kt, leaf_in_memory(kt, e, 0, 3, va), old); /* a fetch writes nothing */
		/* Without DBM the same entry is read-only: nothing stops the fetch. */
		KT_ASSERT_EQ(kt, ptb_set(&e->pt[0], 3, va, old & ~DBM), 0);
		KT_EXPECT_EQ(kt, xlate(e, va, rows[i].el, MMU_EXEC, true, &r), MMU_FAULT_NONE);
	}
}

KTEST(mmu, dbm_counts_as_writable_for_execute)
{
	for_each_cfg(kt, dbm_execute);
}

/*
 * SCTLR_EL1.M = 0 (AArch64.S1DisabledOutput): PA = VA, no tables read, no permission checks;
 * VA bits from PARange up to bit 55 (TBI) or 63 must be zero, else an address size fault at
 * level 0. TCR.IPS plays no part.
 */
KTEST(mmu, stage1_disabled)
{
	static const unsigned int pa_bits[] = { 32, 36, 40, 48 };
	struct env e;

	KT_ASSERT_TRUE(kt, env_init(kt, &e, &cfgs[1], kt->seed));
	e.regs.sctlr = 0;
	e.regs.ttbr0 = e.regs.ttbr1 = NO_RAM;
	set_tcr_field(&e, TCR_IPS_MASK, 0);
	for (size_t i = 0; i < ARRAY_SIZE(pa_bits); i++) {
		uint64_t top = BIT(pa_bits[i]);
		struct mmu_result r;

		e.feat.pa_bits = pa_bits[i];
		e.regs.tcr &= ~(TCR_TBI0 | TCR_TBI1);
		KT_EXPECT_EQ(kt, xlate(&e, top - 8, 0, MMU_WRITE, true, &r), MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.pa, top - 8);
		KT_EXPECT_EQ(kt, xlate(&e, 0x12345678, 0, MMU_EXEC, true, &r), MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.pa, 0x12345678ULL);
		KT_EXPECT_EQ(kt, xlate(&e, top, 1, MMU_READ, true, &r), MMU_FAULT_ADDRESS_SIZE);
		KT_EXPECT_EQ(kt, r.level, 0u);
		KT_EXPECT_EQ(kt, xlate(&e, ~0ULL << 12, 1, MMU_READ, true, &r),
			     MMU_FAULT_ADDRESS_SIZE);
		KT_EXPECT_EQ(kt, xlate(&e, tag(0x1234, 0x5a), 1, MMU_READ, true, &r),
			     MMU_FAULT_ADDRESS_SIZE);
		e.regs.tcr |= TCR_TBI0 | TCR_TBI1;
		KT_EXPECT_EQ(kt, xlate(&e, tag(0x1234, 0x5a), 1, MMU_READ, true, &r),
			     MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.pa, 0x1234ULL);
		KT_EXPECT_EQ(kt, xlate(&e, tag(top, 0x5a), 1, MMU_READ, true, &r),
			     MMU_FAULT_ADDRESS_SIZE);
		KT_EXPECT_EQ(kt, xlate(&e, ~0ULL << 12, 1, MMU_READ, true, &r),
			     MMU_FAULT_ADDRESS_SIZE);
	}
	hw_ram_destroy(&e.ram);
}

/*
 * A start-level table shorter than a granule (D8.2): it has 2^(N - shift(start)) entries, is
 * aligned only to its own size, and TTBR bits below that alignment are ignored.
 */
KTEST(mmu, short_start_table)
{
	static const struct {
		struct cfg cfg;
		unsigned int entries;
	} rows[] = {
		{ { 4096, 32, 1 }, 4 },	  { { 4096, 25, 2 }, 16 },   { { 16384, 48, 0 }, 2 },
		{ { 65536, 48, 1 }, 64 }, { { 65536, 25, 3 }, 512 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		const struct cfg *c = &rows[i].cfg;
		unsigned int shift = arm_level_shift(c->granule, c->start_level);
		uint64_t tsize = rows[i].entries * 8ULL;
		struct env e;
		paddr_t page;

		if (!env_init(kt, &e, c, kt->seed + i))
			continue;
		KT_EXPECT_EQ(kt, 1ULL << (c->va_bits - shift), (uint64_t)rows[i].entries);
		/* The first, the last and the middle entry of the start table. */
		const vaddr_t vas[] = { 0x88, ((rows[i].entries - 1ULL) << shift) | 0x30048,
					((rows[i].entries / 2ULL) << shift) | 0x5008 };
		struct pte_attrs a = leaf_attrs(AP_RW_EL1);
		for (size_t v = 0; v < ARRAY_SIZE(vas); v++)
			KT_EXPECT_EQ(kt, map_page(&e, 0, vas[v], (v + 1) << 32, &a), 0);
		/* A copy of the table tsize bytes into a zeroed page; TTBR's bits [x-1:1] all set.
		 */
		KT_ASSERT_EQ(kt, ptb_alloc_table(&e.pt[0], &page), 0);
		KT_ASSERT_EQ(kt,
			     hw_ram_write(&e.ram, page + tsize,
					  hw_ram_ptr(&e.ram, e.pt[0].root, tsize), tsize),
			     0);
		e.regs.ttbr0 = ttbr_make(page + tsize + tsize - 2, ASID0, true);
		for (size_t v = 0; v < ARRAY_SIZE(vas); v++) {
			struct mmu_walk_result w;
			uint64_t off = vas[v] & (c->granule - 1);
			expect_pa(kt, &e, vas[v], ((v + 1) << 32) + off);
			mmu_walk(&e.ram, &e.regs, &e.feat, vas[v], 1, MMU_READ, false, NULL, &w);
			KT_EXPECT_EQ(kt, w.steps[0].table, page + tsize);
			KT_EXPECT_EQ(kt, w.steps[0].level, c->start_level);
		}
		hw_ram_destroy(&e.ram);
	}
}

/* ASID of the walk: TTBR0's or TTBR1's by TCR_EL1.A1, 16 bits with TCR_EL1.AS else 8; nG. */
static void asid_and_global(struct ktest *kt, struct env *e)
{
	vaddr_t lo = half_va(e, 0, 0x2000), hi = half_va(e, 1, 0x2000);
	struct pte_attrs ng = leaf_attrs(AP_RW_EL1), g = leaf_attrs(AP_RW_EL1);
	static const struct {
		bool a1, as;
		uint16_t asid;
	} rows[] = {
		{ false, true, ASID0 },
		{ true, true, ASID1 },
		{ false, false, ASID0 & 0xff },
		{ true, false, ASID1 & 0xff },
	};
	struct mmu_result r;

	ng.ng = true;
	KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0x1000000ULL, &ng), 0);
	KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0x2000000ULL, &g), 0);
	e->regs.ttbr0 |= TTBR_CNP;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		set_tcr_field(e, TCR_A1, rows[i].a1);
		set_tcr_field(e, TCR_AS, rows[i].as);
		KT_EXPECT_EQ(kt, xlate(e, lo, 0, MMU_READ, true, &r), MMU_FAULT_PERMISSION);
		KT_EXPECT_EQ(kt, r.tr.asid, rows[i].asid);
		KT_EXPECT_FALSE(kt, r.tr.global);
		KT_EXPECT_EQ(kt, xlate(e, hi, 1, MMU_READ, true, &r), MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.tr.asid, rows[i].asid);
		KT_EXPECT_TRUE(kt, r.tr.global);
	}
}

KTEST(mmu, asid_and_global)
{
	for_each_cfg(kt, asid_and_global);
}

/* A walk resumed from any table it visited (as from a walk cache) ends in the same leaf. */
static void walk_resume(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 1, ktest_rand(&e->rs));
	struct pte_attrs a = leaf_attrs(AP_RW_ALL);
	struct table_attrs t = { .uxn_table = true };
	struct mmu_walk_result w, w2;
	unsigned int start = e->cfg->start_level;

	KT_ASSERT_EQ(kt, map_page(e, 1, va, 0xcafe0000ULL, &a), 0);
	if (start < 3)
		KT_ASSERT_EQ(kt, ptb_set_table_attrs(&e->pt[1], start, va, &t), 0);
	KT_ASSERT_EQ(kt,
		     (int)mmu_walk(&e->ram, &e->regs, &e->feat, va, 1, MMU_READ, false, NULL, &w),
		     MMU_FAULT_NONE);
	KT_ASSERT_EQ(kt, w.nsteps, 4 - start);
	KT_EXPECT_EQ(kt, w.steps[0].table, e->pt[1].root);
	for (unsigned int k = 0; k < w.nsteps; k++) {
		KT_EXPECT_EQ(kt, w.steps[k].level, start + k);
		KT_EXPECT_EQ(kt, w.steps[k].acc.uxn, k > 0);
		int f =
		    mmu_walk(&e->ram, &e->regs, &e->feat, va, 0, MMU_EXEC, false, &w.steps[k], &w2);
		KT_ASSERT_EQ(kt, f, MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, w2.reads, w.nsteps - k);
		KT_EXPECT_EQ(kt, w2.tr.pa, 0xcafe0000ULL);
		KT_EXPECT_EQ(kt, w2.tr.acc.uxn, start < 3);
		KT_EXPECT_EQ(kt, (int)mmu_check(&w2.tr, &e->regs, 0, MMU_EXEC),
			     start < 3 ? MMU_FAULT_PERMISSION : MMU_FAULT_NONE);
	}
}

KTEST(mmu, walk_resume)
{
	for_each_cfg(kt, walk_resume);
}

/* ptbuild's own contract: rounding of the pool, all-or-nothing table creation, the errors. */
KTEST(ptbuild, contract)
{
	struct pte_attrs a = leaf_attrs(AP_RW_EL1);
	struct table_attrs ro = { .ap_table = 3 };
	struct xlat_geometry g;
	struct hw_ram ram;
	struct ptb b;
	paddr_t slot;
	uint64_t d;

	hw_ram_init(&ram);
	KT_ASSERT_EQ(kt, hw_ram_add(&ram, RAM_BASE, RAM_SIZE), 0);
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_EXPECT_EQ(kt, ptb_init(&b, &ram, &g, NO_RAM, 4096), -EINVAL);
	KT_EXPECT_EQ(kt, ptb_init(&b, &ram, &g, RAM_BASE + 1, 4096), -ENOMEM);
	/* Rounded inwards to three pages: the root and two, one short of a path to a page. */
	KT_ASSERT_EQ(kt, ptb_init(&b, &ram, &g, RAM_BASE + 0x800, 0x3800), 0);
	KT_EXPECT_EQ(kt, b.root, RAM_BASE + 0x1000);
	KT_EXPECT_EQ(kt, ptb_map_page(&b, 0x1000, 0x5000, &a), -ENOMEM);
	KT_EXPECT_EQ(kt, b.ntables, 1u);
	KT_EXPECT_EQ(kt, ptb_get(&b, 0, 0x1000, &d), 0);
	KT_EXPECT_EQ(kt, d, 0ULL);
	/* A 2M block needs two: it fits, and the new table descriptors carry b.tattrs. */
	b.tattrs = (struct table_attrs){ .uxn_table = true };
	KT_EXPECT_EQ(kt, ptb_map_block(&b, 2, 0x200000, 0x40000000, &a), 0);
	KT_EXPECT_EQ(kt, b.ntables, 3u);
	KT_EXPECT_EQ(kt, ptb_get(&b, 1, 0x200000, &d), 0);
	KT_EXPECT_EQ(kt, d, (RAM_BASE + 0x3000) | BIT(60) | 3);
	KT_EXPECT_EQ(kt, ptb_slot(&b, 2, 0x400000, false, &slot), 0);
	KT_EXPECT_EQ(kt, slot, RAM_BASE + 0x3000 + 2 * 8);
	/* A block in the way, a missing table, levels without blocks or outside the walk. */
	KT_EXPECT_EQ(kt, ptb_map_page(&b, 0x201000, 0, &a), -EEXIST);
	KT_EXPECT_EQ(kt, ptb_get(&b, 3, 0x201000, &d), -EEXIST);
	KT_EXPECT_EQ(kt, ptb_get(&b, 2, 1ULL << 39, &d), -ENOENT);
	KT_EXPECT_EQ(kt, ptb_map_block(&b, 0, 0, 0, &a), -EINVAL);
	KT_EXPECT_EQ(kt, ptb_map_block(&b, 3, 0, 0, &a), -EINVAL);
	KT_EXPECT_EQ(kt, ptb_slot(&b, 4, 0, true, &slot), -EINVAL);
	KT_EXPECT_EQ(kt, ptb_set_table_attrs(&b, 2, 0x200000, &ro), -ENOENT);
	KT_EXPECT_EQ(kt, ptb_set_table_attrs(&b, 1, 0x200000, &ro), 0);
	KT_EXPECT_EQ(kt, ptb_get(&b, 1, 0x200000, &d), 0);
	KT_EXPECT_EQ(kt, d, (RAM_BASE + 0x3000) | GENMASK(62, 61) | 3);
	hw_ram_destroy(&ram);
}

/*
 * FEAT_E0PD: with TCR_EL1.E0PDn, an EL0 access to that half is a level-0 translation fault
 * before any table is read; EL1 is unaffected, as is the other half. Without the feature the
 * bits are RES0 and ignored.
 */
static void e0pd(struct ktest *kt, struct env *e)
{
	vaddr_t hi = half_va(e, 1, 0x4000), lo = half_va(e, 0, 0x4000);
	struct pte_attrs a = leaf_attrs(AP_RW_ALL);
	struct mmu_result r;

	KT_ASSERT_EQ(kt, map_page(e, 1, hi, 0x5550000ULL, &a), 0);
	KT_ASSERT_EQ(kt, map_page(e, 0, lo, 0x5560000ULL, &a), 0);
	e->regs.tcr |= TCR_E0PD1;
	KT_EXPECT_EQ(kt, xlate(e, hi, 0, MMU_READ, false, &r), MMU_FAULT_NONE); /* no feature */
	e->feat.e0pd = true;
	KT_EXPECT_EQ(kt, xlate(e, hi, 0, MMU_READ, false, &r), MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, r.level, 0u);
	KT_EXPECT_EQ(kt, r.reads, 0u);
	KT_EXPECT_EQ(kt, xlate(e, hi, 1, MMU_READ, false, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, xlate(e, lo, 0, MMU_WRITE, false, &r), MMU_FAULT_NONE);
	e->regs.tcr ^= TCR_E0PD1 | TCR_E0PD0;
	KT_EXPECT_EQ(kt, xlate(e, lo, 0, MMU_READ, false, &r), MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, xlate(e, hi, 0, MMU_READ, false, &r), MMU_FAULT_NONE);
}

KTEST(mmu, e0pd_closes_a_half_to_el0)
{
	for_each_cfg(kt, e0pd);
}

/*
 * PSTATE.PAN: EL1 reads and writes of memory EL0 can access (AP[1] = 1 after APTable) fault;
 * EL1 instruction fetches are not PAN-checked, and EL0 is unaffected.
 */
static void pan(struct ktest *kt, struct env *e)
{
	vaddr_t va = half_va(e, 0, 0x8000);
	struct pte_attrs a = leaf_attrs(AP_RO_ALL);
	struct mmu_result r;

	KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x5570000ULL, &a), 0);
	e->regs.pan = true;
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_READ, false, &r), MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_EXEC, false, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, xlate(e, va, 0, MMU_READ, false, &r), MMU_FAULT_NONE);
	a = leaf_attrs(AP_RW_EL1); /* kernel-only memory: PAN does not apply */
	KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x5570000ULL, &a), 0);
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, false, &r), MMU_FAULT_NONE);
	a = leaf_attrs(AP_RW_ALL);
	KT_ASSERT_EQ(kt, map_page(e, 0, va, 0x5570000ULL, &a), 0);
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, false, &r), MMU_FAULT_PERMISSION);
	e->regs.pan = false;
	KT_EXPECT_EQ(kt, xlate(e, va, 1, MMU_WRITE, false, &r), MMU_FAULT_NONE);
}

KTEST(mmu, pan_denies_el1_data_access_to_user_memory)
{
	for_each_cfg(kt, pan);
}

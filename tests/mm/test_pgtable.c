// SPDX-License-Identifier: MIT
/*
 * The page-table mapper (mm/pgtable.c). Every mapping is checked by translating through the
 * emulated MMU (hw/mmu.h), which walks the descriptors as the ARM ARM (DDI 0487) D8 says; the
 * leaf a VA should get is worked out here from the block sizes of D8.3 (4K: 1G and 2M blocks,
 * 16K: 32M, 64K: 512M; a level exists when the VA size reaches above its shift), never taken from
 * the code under test. Table counts are computed by hand in the comments.
 */
#include "arch/host/host.h"

#include <aarch64/sysreg.h>
#include <hw/mmu.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>

#define RAM_BASE 0x40000000ULL
#define RAM_SMALL (8ULL << 20)
#define RAM_LARGE (16ULL << 20)
#define SZ_2M (2ULL << 20)
#define SZ_32M (32ULL << 20)
#define SZ_512M (512ULL << 20)
#define SZ_1G (1ULL << 30)
#define SZ_512G (512ULL << 30)
#define ALLOCS_ANY (~0UL)
/* The fields pte_attrs_encode fills: [11:2] and [58:51] (D8.3.2). */
#define ATTR_BITS (GENMASK(11, 2) | GENMASK(58, 51))

/* A bump allocator over the test RAM that gives out at most @left tables. */
struct bump {
	paddr_t next, end;
	unsigned long left;
	unsigned long live; /* allocated and not given back */
};

static paddr_t bump_alloc(void *ctx, uint64_t bytes)
{
	struct bump *b = ctx;
	paddr_t t = ALIGN_UP(b->next, bytes);

	if (!b->left || t + bytes > b->end)
		return 0;
	b->left--;
	b->live++;
	b->next = t + bytes;
	return t;
}

static void bump_free(void *ctx, paddr_t t, uint64_t bytes)
{
	struct bump *b = ctx;

	b->live--;
	if (t + bytes == b->next)
		b->next = t;
}

/* A machine with RAM, the tables of both halves, and the registers that translate through them. */
struct env {
	struct hw_machine m, *prev;
	struct xlat_geometry g;
	struct bump bump;
	struct pgtable_alloc alloc;
	struct pgtable pt[2]; /* TTBR0's and TTBR1's */
	struct mmu_regs regs;
	uint64_t rs;
	uint64_t ram;
};

static uint64_t tcr_for(const struct xlat_geometry *g)
{
	struct tcr_fields f = { .ips = 5, .as = true }; /* 48-bit output, 16-bit ASIDs */

	for (int i = 0; i < 2; i++)
		f.half[i] = (struct tcr_half){ .tsz = 64 - g->va_bits,
					       .granule = xlat_granule_size(g),
					       .irgn = TCR_RGN_WBWA,
					       .orgn = TCR_RGN_WBWA,
					       .sh = SH_INNER };
	return tcr_encode(&f);
}

static void env_fini(struct env *e)
{
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* @ram bytes of RAM attached as the kernel's; the allocator gives out @allocs tables in all. */
static bool env_init(struct ktest *kt, struct env *e, uint64_t granule, unsigned int va_bits,
		     uint64_t ram, unsigned long allocs)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;

	*e = (struct env){ .bump = { RAM_BASE, RAM_BASE + ram, allocs, 0 },
			   .rs = kt->seed * 0x9e3779b97f4a7c15ULL + granule + va_bits,
			   .ram = ram };
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 1, &tlb, &feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	e->alloc = (struct pgtable_alloc){ bump_alloc, bump_free, &e->bump };
	bool ok = KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, RAM_BASE, ram), 0) &&
		  KT_EXPECT_EQ(kt, xlat_geometry_init(&e->g, granule, va_bits), 0) &&
		  KT_EXPECT_EQ(kt, pgtable_init(&e->pt[0], &e->g, &e->alloc), 0) &&
		  KT_EXPECT_EQ(kt, pgtable_init(&e->pt[1], &e->g, &e->alloc), 0);
	if (!ok) {
		env_fini(e);
		return false;
	}
	e->regs = (struct mmu_regs){
		.sctlr = SCTLR_M,
		.tcr = tcr_for(&e->g),
		.ttbr0 = ttbr_make(e->pt[0].root, 1, false),
		.ttbr1 = ttbr_make(e->pt[1].root, 2, false),
		.mair = MAIR_ATTR(MAIR_NORMAL_WB, 0),
	};
	return true;
}

static uint64_t page_size(const struct env *e)
{
	return xlat_granule_size(&e->g);
}

/* The VA in half @half whose bits below va_bits are @bits. */
static vaddr_t half_va(const struct env *e, unsigned int half, uint64_t bits)
{
	uint64_t mask = GENMASK(e->g.va_bits - 1, 0);

	return (bits & mask) | (half ? ~mask : 0);
}

static struct pte_attrs random_attrs(uint64_t *rs)
{
	uint64_t r = ktest_rand(rs);
	static const uint8_t sh[] = { SH_NON, SH_OUTER, SH_INNER };

	return (struct pte_attrs){ .attrindx = r & 7,
				   .sh = sh[(r >> 3) % 3],
				   .ap = (r >> 5) & 3,
				   .sw = (r >> 7) & 15,
				   .ns = r & BIT(11),
				   .af = true, /* else an access-flag fault (no FEAT_HAFDBS) */
				   .ng = r & BIT(12),
				   .dbm = r & BIT(13),
				   .pxn = r & BIT(14),
				   .uxn = r & BIT(15) };
}

/*
 * The leaf that should map @va of the range [va0, va0 + size) → pa0 with max block @max: the
 * largest block of the granule that is at most @max, lies inside the range, has both addresses
 * aligned and whose level exists; else a page.
 */
static uint64_t expect_leaf(const struct env *e, vaddr_t va, vaddr_t va0, paddr_t pa0,
			    uint64_t size, uint64_t max)
{
	static const uint64_t b4k[] = { SZ_1G, SZ_2M, 0 }, b16k[] = { SZ_32M, 0 },
			      b64k[] = { SZ_512M, 0 };
	uint64_t page = page_size(e);
	const uint64_t *b = page == 4096 ? b4k : page == 16384 ? b16k : b64k;

	for (; *b; b++) {
		vaddr_t start = ALIGN_DOWN(va, *b);

		if (*b <= max && *b < BIT(e->g.va_bits) && start >= va0 && *b <= size &&
		    start - va0 <= size - *b && IS_ALIGNED(pa0 - va0, *b))
			return *b;
	}
	return page;
}

static void note(struct ktest *kt, const struct env *e, vaddr_t va)
{
	ktest_log(kt, "%lluK granule, %u-bit VAs, va %#llx", (unsigned long long)page_size(e) >> 10,
		  e->g.va_bits, (unsigned long long)va);
}

/* An EL1 read of @va translates to @pa through a leaf of @leaf bytes with attributes @a. */
static bool expect_map(struct ktest *kt, struct env *e, vaddr_t va, paddr_t pa, uint64_t leaf,
		       const struct pte_attrs *a)
{
	struct mmu_result r;
	bool ok =
	    KT_EXPECT_EQ(kt,
			 mmu_translate(&e->m.ram, &e->regs, &e->m.feat, va, 1, MMU_READ, false, &r),
			 MMU_FAULT_NONE) &&
	    KT_EXPECT_EQ(kt, r.pa, pa) && KT_EXPECT_EQ(kt, r.tr.size, leaf) &&
	    KT_EXPECT_EQ(kt, r.tr.desc & ATTR_BITS, pte_attrs_encode(a));

	if (!ok)
		note(kt, e, va);
	return ok;
}

/* An EL1 read of @va takes a translation fault. */
static bool expect_unmapped(struct ktest *kt, struct env *e, vaddr_t va)
{
	struct mmu_result r;
	bool ok = KT_EXPECT_EQ(
	    kt, mmu_translate(&e->m.ram, &e->regs, &e->m.feat, va, 1, MMU_READ, false, &r),
	    MMU_FAULT_TRANSLATION);

	if (!ok)
		note(kt, e, va);
	return ok;
}

/* Check the page at index @i of a mapped range, at a random offset in it. */
static bool check_page(struct ktest *kt, struct env *e, const struct pgtable_range *r, uint64_t max,
		       const struct pte_attrs *a, uint64_t i)
{
	uint64_t off = i * page_size(e) + ktest_rand_below(&e->rs, page_size(e));

	return expect_map(kt, e, r->va + off, r->pa + off,
			  expect_leaf(e, r->va + off, r->va, r->pa, r->size, max), a);
}

/*
 * Check range @r, mapped with max block @max and attributes @a: every page of a range of up to
 * 512 pages; the first and last 256 pages and 2048 random ones of a larger one. With @neighbours,
 * the pages just outside it (within its half) must fault.
 */
static bool check_range(struct ktest *kt, struct env *e, const struct pgtable_range *r,
			uint64_t max, const struct pte_attrs *a, bool neighbours)
{
	uint64_t page = page_size(e), n = r->size / page, mask = GENMASK(e->g.va_bits - 1, 0);
	bool ok = true;

	for (uint64_t i = 0; i < n && i < 256 && ok; i++)
		ok = check_page(kt, e, r, max, a, i) && check_page(kt, e, r, max, a, n - 1 - i);
	for (unsigned int k = 0; n > 512 && k < 2048 && ok; k++)
		ok = check_page(kt, e, r, max, a, 256 + ktest_rand_below(&e->rs, n - 512));
	if (neighbours && ok && (r->va & mask))
		ok = expect_unmapped(kt, e, r->va - page);
	if (neighbours && ok && ((r->va + r->size) & mask))
		ok = expect_unmapped(kt, e, r->va + r->size);
	return ok;
}

static const struct {
	uint64_t granule;
	unsigned int va_bits;
} geoms[] = {
	{ 4096, 25 },  { 4096, 32 },  { 4096, 39 },  { 4096, 40 },  { 4096, 48 },  { 16384, 25 },
	{ 16384, 36 }, { 16384, 47 }, { 16384, 48 }, { 65536, 25 }, { 65536, 42 }, { 65536, 48 },
};

/* Pages in both halves of every geometry: three ranges of 1..40 pages in each half, random PAs. */
KTEST(pgtable, pages_every_geometry)
{
	for (size_t i = 0; i < ARRAY_SIZE(geoms); i++) {
		struct env e;

		if (!env_init(kt, &e, geoms[i].granule, geoms[i].va_bits, RAM_SMALL, ALLOCS_ANY))
			return;
		uint64_t page = page_size(&e), third = ALIGN_DOWN(BIT(e.g.va_bits) / 3, page);
		for (unsigned int h = 0; h < 2; h++) {
			for (unsigned int k = 0; k < 3; k++) {
				struct pte_attrs a = random_attrs(&e.rs);
				uint64_t size = page * (1 + ktest_rand_below(&e.rs, 40));
				/* A page of gap at least between thirds: neighbours are free. */
				uint64_t off =
				    page +
				    ALIGN_DOWN(ktest_rand_below(&e.rs, third - size - 2 * page),
					       page);
				struct pgtable_range r = {
					half_va(&e, h, k * third + off),
					ALIGN_DOWN(ktest_rand(&e.rs) & GENMASK(46, 0), page), size
				};

				KT_EXPECT_EQ(
				    kt, pgtable_map(&e.pt[h], r.va, r.pa, r.size, &a, page), 0);
				check_range(kt, &e, &r, page, &a, true);
			}
		}
		env_fini(&e);
	}
}

/*
 * One range with whole blocks of @block in the middle and random edges before and after, in half
 * @h, its PA aligned to the block or, with @skew, misaligned by a page or (4K) by 2M.
 */
static void map_block_range(struct ktest *kt, struct env *e, unsigned int h, uint64_t block,
			    bool skew)
{
	uint64_t page = page_size(e), slots = BIT(e->g.va_bits) / block;
	uint64_t nblocks = slots >= 5 ? 2 : 1;
	uint64_t before = page * ktest_rand_below(&e->rs, block / page);
	uint64_t after = page * ktest_rand_below(&e->rs, block / page);
	vaddr_t va = block * (1 + ktest_rand_below(&e->rs, slots - nblocks - 1)) - before;
	paddr_t pa = ALIGN_DOWN(ktest_rand(&e->rs) & GENMASK(45, 0), block) + (va & (block - 1));
	struct pte_attrs a = random_attrs(&e->rs);

	if (skew)
		pa += page == 4096 && block == SZ_1G && (ktest_rand(&e->rs) & 1) ? SZ_2M : page;
	struct pgtable_range r = { half_va(e, h, va), pa, before + nblocks * block + after };
	unsigned long tables = e->pt[h].table_pages;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt[h], r.va, r.pa, r.size, &a, block), 0);
	check_range(kt, e, &r, block, &a, true);
	KT_EXPECT_EQ(kt, e->pt[h].table_pages - tables + 1,
		     pgtable_count_tables(&e->g, &r, 1, block));
}

/* Blocks of each size every geometry offers, in both halves, aligned and skewed PAs. */
KTEST(pgtable, blocks_every_geometry)
{
	static const uint64_t blocks[] = { SZ_2M, SZ_1G, SZ_32M, SZ_512M };

	for (size_t i = 0; i < ARRAY_SIZE(geoms); i++) {
		for (size_t b = 0; b < ARRAY_SIZE(blocks); b++) {
			/* The granule's blocks whose level the VA size reaches above. */
			bool ok = (geoms[i].granule == 4096    ? b < 2
				   : geoms[i].granule == 16384 ? b == 2
							       : b == 3) &&
				  blocks[b] < BIT(geoms[i].va_bits);
			for (unsigned int k = 0; k < 4 && ok; k++) {
				struct env e;

				if (!env_init(kt, &e, geoms[i].granule, geoms[i].va_bits, RAM_SMALL,
					      ALLOCS_ANY))
					return;
				map_block_range(kt, &e, k & 1, blocks[b], k & 2);
				env_fini(&e);
			}
		}
	}
}

/* A query of @va in @pt finds a leaf at @level mapping it to @pa. */
static void expect_query(struct ktest *kt, const struct pgtable *pt, vaddr_t va, paddr_t pa,
			 unsigned int level)
{
	paddr_t qpa = 0;
	unsigned int qlevel = 9;

	KT_EXPECT_EQ(kt, pgtable_query(pt, va, &qpa, &qlevel, NULL), 0);
	KT_EXPECT_EQ(kt, qpa, pa);
	KT_EXPECT_EQ(kt, qlevel, level);
}

/*
 * The largest block that fits, worked out by hand. 4K granule, 48-bit VAs:
 *   1G at VA 1G → PA 1G:        a level-1 block; new tables: L1 (the root exists) = 1
 *   1G at VA 4G → PA 4G + 2M:   the PA is not 1G aligned: 512 level-2 blocks; new: one L2
 *   2M at VA 8G → PA 8G + 4K:   not 2M aligned: 512 pages; new: L2 (entry 8 of L1), L3
 *   1G at VA 16G, max block 2M: 512 level-2 blocks; new: one L2
 * 16K/48: 32M at VA 32M → PA 64M: a level-2 block under new L1 and L2 tables.
 * 64K/42: 512M at VA 512M → PA 1G: a level-2 block in the root itself, no new table.
 */
KTEST(pgtable, largest_block_choice)
{
	static const struct pte_attrs a = { .sh = SH_INNER, .af = true };
	struct env e;

	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, ALLOCS_ANY))
		return;
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], SZ_1G, SZ_1G, SZ_1G, &a, SZ_1G), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 2);
	expect_query(kt, &e.pt[0], SZ_1G + 0x12345, SZ_1G + 0x12345, 1);
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], 4 * SZ_1G, 4 * SZ_1G + SZ_2M, SZ_1G, &a, SZ_1G), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 3);
	expect_query(kt, &e.pt[0], 5 * SZ_1G - 1, 5 * SZ_1G + SZ_2M - 1, 2);
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], 8 * SZ_1G, 8 * SZ_1G + 4096, SZ_2M, &a, SZ_1G), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 5);
	expect_query(kt, &e.pt[0], 8 * SZ_1G + 4096, 8 * SZ_1G + 8192, 3);
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], 16 * SZ_1G, 16 * SZ_1G, SZ_1G, &a, SZ_2M), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 6);
	expect_query(kt, &e.pt[0], 16 * SZ_1G + SZ_2M, 16 * SZ_1G + SZ_2M, 2);
	KT_EXPECT_EQ(kt, e.pt[0].level_tables[0], 1);
	KT_EXPECT_EQ(kt, e.pt[0].level_tables[1], 1);
	KT_EXPECT_EQ(kt, e.pt[0].level_tables[2], 3);
	KT_EXPECT_EQ(kt, e.pt[0].level_tables[3], 1);
	env_fini(&e);

	if (!env_init(kt, &e, 16384, 48, RAM_SMALL, ALLOCS_ANY))
		return;
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], SZ_32M, 2 * SZ_32M, SZ_32M, &a, SZ_32M), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 3);
	expect_query(kt, &e.pt[0], SZ_32M, 2 * SZ_32M, 2);
	env_fini(&e);

	if (!env_init(kt, &e, 65536, 42, RAM_SMALL, ALLOCS_ANY))
		return;
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], SZ_512M, SZ_1G, SZ_512M, &a, SZ_512M), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 1);
	expect_query(kt, &e.pt[0], SZ_512M + 0x10000, SZ_1G + 0x10000, 2);
	env_fini(&e);
}

/* What a failed call must leave as it was: all of RAM, the statistics, the allocator. */
struct snapshot {
	uint8_t *ram;
	struct pgtable pt;
	struct bump bump;
};

static bool snap_take(struct ktest *kt, struct env *e, unsigned int h, struct snapshot *s)
{
	s->ram = malloc(e->ram);
	if (!KT_EXPECT_NOT_NULL(kt, s->ram))
		return false;
	memcpy(s->ram, hw_ram_ptr(&e->m.ram, RAM_BASE, e->ram), e->ram);
	s->pt = e->pt[h];
	s->bump = e->bump;
	return true;
}

/* @e is as in @s; the snapshot is freed. */
static void snap_expect_same(struct ktest *kt, struct env *e, unsigned int h, struct snapshot *s)
{
	const struct pgtable *pt = &e->pt[h];

	KT_EXPECT_EQ(kt, memcmp(s->ram, hw_ram_ptr(&e->m.ram, RAM_BASE, e->ram), e->ram), 0);
	KT_EXPECT_EQ(kt, pt->table_pages, s->pt.table_pages);
	KT_EXPECT_EQ(kt, pt->table_bytes, s->pt.table_bytes);
	for (unsigned int l = 0; l < XLAT_LEVELS_MAX; l++)
		KT_EXPECT_EQ(kt, pt->level_tables[l], s->pt.level_tables[l]);
	KT_EXPECT_EQ(kt, e->bump.next, s->bump.next);
	KT_EXPECT_EQ(kt, e->bump.live, s->bump.live);
	free(s->ram);
}

/* pgtable_map(@va, @pa, @size, max @max) fails with @err and changes nothing. */
static void expect_map_fails(struct ktest *kt, struct env *e, vaddr_t va, paddr_t pa, uint64_t size,
			     uint64_t max, int err)
{
	static const struct pte_attrs a = { .af = true };
	struct snapshot s;

	if (!snap_take(kt, e, 0, &s))
		return;
	if (!KT_EXPECT_EQ(kt, pgtable_map(&e->pt[0], va, pa, size, &a, max), err))
		note(kt, e, va);
	snap_expect_same(kt, e, 0, &s);
}

/*
 * Bad arguments and conflicts change nothing (4K, 48-bit VAs). Mapped: pages [2M, 2M + 8K) and a
 * 2M block at 16M. [0, 2M + 4K) in pages would first need a new level-3 table for [0, 2M) and
 * only then meet the page at 2M; [0, 4M) with 2M blocks would put a block at 0 and then meet the
 * page at 2M inside the existing table.
 */
KTEST(pgtable, errors_change_nothing)
{
	static const struct pte_attrs a = { .af = true };
	const uint64_t top = BIT(48), pg = 4096;
	struct env e;

	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, ALLOCS_ANY))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e.pt[0], SZ_2M, 0x80000000, 2 * pg, &a, pg), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e.pt[0], 8 * SZ_2M, 0x80000000, SZ_2M, &a, SZ_2M), 0);

	expect_map_fails(kt, &e, 0x800, 0, pg, pg, -EINVAL);		  /* VA misaligned */
	expect_map_fails(kt, &e, 0, 0x800, pg, pg, -EINVAL);		  /* PA misaligned */
	expect_map_fails(kt, &e, 0, 0, pg + 1, pg, -EINVAL);		  /* size misaligned */
	expect_map_fails(kt, &e, 0, 0, 0, pg, -EINVAL);			  /* empty */
	expect_map_fails(kt, &e, 0, 0, pg, 2048, -EINVAL);		  /* max block < page */
	expect_map_fails(kt, &e, top - pg, 0, 2 * pg, pg, -EINVAL);	  /* crosses 2^48 */
	expect_map_fails(kt, &e, BIT(50), 0, pg, pg, -EINVAL);		  /* no half */
	expect_map_fails(kt, &e, ~0ULL - pg + 1, 0, 2 * pg, pg, -EINVAL); /* VA wraps */
	expect_map_fails(kt, &e, 0, top - pg, 2 * pg, pg, -EINVAL);	  /* PA beyond 48 bits */
	expect_map_fails(kt, &e, 0, ~0ULL - pg + 1, 2 * pg, pg, -EINVAL); /* PA wraps */
	expect_map_fails(kt, &e, 0, 0, SZ_2M + pg, pg, -EEXIST);
	expect_map_fails(kt, &e, 0, 0, 2 * SZ_2M, SZ_2M, -EEXIST);
	expect_map_fails(kt, &e, 8 * SZ_2M + pg, 0, pg, pg, -EEXIST); /* inside the block */
	expect_map_fails(kt, &e, 7 * SZ_2M, 0, 2 * SZ_2M, SZ_2M, -EEXIST);

	/* A table descriptor to where there is no RAM: -EFAULT, nothing written. */
	uint64_t *root = arch_phys_to_virt(e.pt[0].root);
	root[1] = desc_make_table(&e.g, 0x10000000, &(struct table_attrs){ 0 });
	expect_map_fails(kt, &e, SZ_512G, 0, pg, pg, -EFAULT);
	env_fini(&e);
}

/*
 * [512G - 2M - 4K, 512G + 2M + 4K) with 2M blocks (4K, 48-bit VAs) crosses a level-0 boundary:
 * new L1 tables under root entries 0 and 1; an L2 under each; under L1[511] (one of them) the
 * range takes entry 510 in part (an L3 table) and 511 whole (a block); under the other L1[0],
 * entry 0 whole (a block) and entry 1 in part (an L3). New tables: 2 + 2 + 2 = 6.
 */
#define CROSS_VA (SZ_512G - SZ_2M - 4096)
#define CROSS_SIZE (2 * SZ_2M + 2 * 4096)
#define CROSS_TABLES 6

/* The allocator runs out after @n of the 6 tables, with and without free_table. */
static void alloc_fails_after(struct ktest *kt, unsigned long n, bool can_free)
{
	static const struct pte_attrs a = { .af = true, .sh = SH_INNER };
	struct env e;
	struct snapshot s;

	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, 2 + n))
		return;
	if (!can_free)
		e.alloc.free_table = NULL;
	if (snap_take(kt, &e, 0, &s)) {
		KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], CROSS_VA, CROSS_VA, CROSS_SIZE, &a, SZ_2M),
			     -ENOMEM);
		/* Without free_table the tables taken stay allocated, unused and zeroed. */
		if (!can_free) {
			KT_EXPECT_EQ(kt, e.bump.live, 2 + n);
			e.bump = s.bump;
		}
		snap_expect_same(kt, &e, 0, &s);
	}
	env_fini(&e);
}

KTEST(pgtable, alloc_failure_changes_nothing)
{
	static const struct pte_attrs a = { .af = true, .sh = SH_INNER };
	struct pgtable_range r = { CROSS_VA, CROSS_VA, CROSS_SIZE };
	struct env e;

	for (unsigned long n = 0; n < CROSS_TABLES; n++) {
		alloc_fails_after(kt, n, true);
		alloc_fails_after(kt, n, false);
	}
	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, 2 + CROSS_TABLES))
		return;
	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], r.va, r.pa, r.size, &a, SZ_2M), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, 1 + CROSS_TABLES);
	check_range(kt, &e, &r, SZ_2M, &a, true);
	env_fini(&e);
}

/* Map @r into a fresh pgtable of @granule/@va_bits; the tables and bytes it takes. */
static void expect_tables(struct ktest *kt, uint64_t granule, unsigned int va_bits,
			  const struct pgtable_range *r, size_t n, uint64_t max,
			  unsigned long tables, uint64_t bytes)
{
	static const struct pte_attrs a = { .af = true };
	struct env e;

	if (!env_init(kt, &e, granule, va_bits, RAM_LARGE, ALLOCS_ANY))
		return;
	for (size_t i = 0; i < n; i++)
		KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], r[i].va, r[i].pa, r[i].size, &a, max), 0);
	bool ok = KT_EXPECT_EQ(kt, e.pt[0].table_pages, tables);
	ok = KT_EXPECT_EQ(kt, e.pt[0].table_bytes, bytes) && ok;
	ok = KT_EXPECT_EQ(kt, pgtable_count_tables(&e.g, r, n, max), tables) && ok;
	if (!ok)
		note(kt, &e, r[0].va);
	env_fini(&e);
}

/*
 * Table counts by hand. Seed 001's question, 0-4G at 4K granule (48-bit VAs): in pages, the root,
 * one L1, four L2 (one per GiB) and 4 * 512 L3 = 2054; in 2M blocks the L3s go: 6; in 1G blocks
 * the L2s go too: 2. Ranges across table boundaries:
 *   4K/48 [512G - 4K, 512G + 4K) in pages: two of each of L1, L2, L3 under the root = 7;
 *   4K/39 [1G - 2M, 1G + 2M) in 2M blocks: the root is level 1; two L2s = 3;
 *   64K/42 [512M - 64K, 512M + 64K) in pages: the root (level 2, 64K) and two L3s = 3;
 *   16K/47 [64G - 16K, 64G + 16K) in pages: root (level 1) + two L2s + two L3s = 5;
 *   4K/40: the root is level 0 with two entries, 16 bytes: 0-1G in a 1G block takes one L1
 *   (2 tables, 16 + 4096 bytes); [512G - 4K, 512G + 4K) in pages is 7 tables, 16 + 6 * 4096.
 * Ranges sharing tables (4K/48, pages): [0, 4K) and [8K, 12K) take root, L1, L2, L3 = 4;
 * [0, 4K) and [1G, 1G + 4K): root, L1, two L2s, two L3s = 6.
 */
KTEST(pgtable, table_counts)
{
	const uint64_t G4 = 4 * SZ_1G;
	struct pgtable_range seed = { 0, 0, G4 };

	expect_tables(kt, 4096, 48, &seed, 1, 4096, 2054, 2054 * 4096);
	expect_tables(kt, 4096, 48, &seed, 1, SZ_2M, 6, 6 * 4096);
	expect_tables(kt, 4096, 48, &seed, 1, SZ_1G, 2, 2 * 4096);

	struct pgtable_range r1 = { SZ_512G - 4096, SZ_512G - 4096, 8192 };
	struct pgtable_range r2 = { SZ_1G - SZ_2M, SZ_1G - SZ_2M, 2 * SZ_2M };
	struct pgtable_range r3 = { SZ_512M - 65536, SZ_512M - 65536, 2 * 65536 };
	struct pgtable_range r4 = { (64ULL << 30) - 16384, (64ULL << 30) - 16384, 2 * 16384 };
	struct pgtable_range r5 = { 0, 0, SZ_1G };
	expect_tables(kt, 4096, 48, &r1, 1, 4096, 7, 7 * 4096);
	expect_tables(kt, 4096, 39, &r2, 1, SZ_2M, 3, 3 * 4096);
	expect_tables(kt, 65536, 42, &r3, 1, 65536, 3, 3 * 65536);
	expect_tables(kt, 16384, 47, &r4, 1, 16384, 5, 5 * 16384);
	expect_tables(kt, 4096, 40, &r5, 1, SZ_1G, 2, 16 + 4096);
	expect_tables(kt, 4096, 40, &r1, 1, 4096, 7, 16 + 6 * 4096);

	struct pgtable_range near[] = { { 0, 0, 4096 }, { 8192, 8192, 4096 } };
	struct pgtable_range far[] = { { 0, 0, 4096 }, { SZ_1G, SZ_1G, 4096 } };
	expect_tables(kt, 4096, 48, near, 2, 4096, 4, 4 * 4096);
	expect_tables(kt, 4096, 48, far, 2, 4096, 6, 6 * 4096);
}

/*
 * Up to @max disjoint random ranges in half @h, sorted: 1..2048 pages each, some with a block of
 * @block more, their PAs the VAs or a few pages off. They lie in a random window of the half, so
 * that sometimes they share tables and sometimes not.
 */
static size_t random_ranges(struct env *e, unsigned int h, uint64_t block, struct pgtable_range *r,
			    size_t max)
{
	uint64_t page = page_size(e);
	unsigned int shrink = ktest_rand_below(&e->rs, 8);
	size_t n = 1 + ktest_rand_below(&e->rs, max);

	while (shrink && BIT(e->g.va_bits - shrink) / (max + 1) < 8 * page)
		shrink--;
	/* The last slot stays free: the PAs, a few pages above the VAs, stay below 2^48. */
	uint64_t slot = ALIGN_DOWN(BIT(e->g.va_bits - shrink) / (max + 1), page);
	uint64_t pages = slot / page / 4 < 2048 ? slot / page / 4 : 2048;

	for (size_t i = 0; i < n; i++) {
		uint64_t size = page * (1 + ktest_rand_below(&e->rs, pages));
		size += (ktest_rand(&e->rs) & 1) && block * 3 < slot ? block : 0;
		uint64_t off = ALIGN_DOWN(ktest_rand_below(&e->rs, slot - size), page);
		uint64_t skew = ktest_rand(&e->rs) & 1 ? 0 : page * ktest_rand_below(&e->rs, 4);
		r[i].va = half_va(e, h, i * slot + off);
		r[i].pa = i * slot + off + skew;
		r[i].size = size;
	}
	return n;
}

/*
 * pgtable_count_tables against the tables built, for random sets of ranges in random geometries
 * and halves, mapped in random order (order does not matter to disjoint ranges).
 */
KTEST(pgtable, count_matches_built)
{
	static const struct pte_attrs a = { .af = true };
	uint64_t rs = kt->seed;

	for (unsigned int round = 0; round < 48; round++) {
		size_t gi = ktest_rand_below(&rs, ARRAY_SIZE(geoms));
		struct pgtable_range r[6];
		struct env e;

		if (!env_init(kt, &e, geoms[gi].granule, geoms[gi].va_bits, RAM_LARGE, ALLOCS_ANY))
			return;
		e.rs = ktest_rand(&rs);
		uint64_t max = page_size(&e);
		for (unsigned int l = e.g.start_level; l < 3; l++)
			if (xlat_block_allowed(&e.g, l) && (ktest_rand(&rs) & 1))
				max = xlat_entry_size(&e.g, l);
		unsigned int h = ktest_rand(&rs) & 1;
		size_t n = random_ranges(&e, h, max, r, ARRAY_SIZE(r));
		size_t first = ktest_rand_below(&rs, n);
		for (size_t k = 0; k < n; k++) {
			const struct pgtable_range *q = &r[(first + k) % n];
			KT_EXPECT_EQ(kt, pgtable_map(&e.pt[h], q->va, q->pa, q->size, &a, max), 0);
		}
		if (!KT_EXPECT_EQ(kt, e.pt[h].table_pages, pgtable_count_tables(&e.g, r, n, max)))
			ktest_log(kt, "round %u: %zu ranges, max block %#llx", round, n,
				  (unsigned long long)max);
		for (size_t k = 0; k < n; k++)
			check_range(kt, &e, &r[k], max, &a, false);
		env_fini(&e);
	}
}

/*
 * A table already in the way is used even where a block would fit in an empty slot: with an
 * empty L2 table linked at L1[0] (4K, 48-bit VAs), 0-1G in 1G blocks goes into it as 2M blocks.
 */
KTEST(pgtable, reuses_existing_table)
{
	static const struct pte_attrs a = { .af = true };
	struct pgtable_range r = { 0, 0, SZ_1G };
	struct env e;

	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, ALLOCS_ANY))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e.pt[0], 5 * SZ_1G, 0, 4096, &a, 4096), 0);
	uint64_t *root = arch_phys_to_virt(e.pt[0].root);
	uint64_t *l1 = arch_phys_to_virt(desc_oa(&e.g, 0, root[0]));
	paddr_t l2 = bump_alloc(&e.bump, 4096);
	KT_ASSERT_NE(kt, l2, 0);
	l1[0] = desc_make_table(&e.g, l2, &(struct table_attrs){ 0 });
	unsigned long tables = e.pt[0].table_pages;

	KT_EXPECT_EQ(kt, pgtable_map(&e.pt[0], r.va, r.pa, r.size, &a, SZ_1G), 0);
	KT_EXPECT_EQ(kt, e.pt[0].table_pages, tables);
	for (uint64_t va = 0; va < SZ_1G; va += SZ_2M)
		expect_map(kt, &e, va + 0x1234, va + 0x1234, SZ_2M, &a);
	env_fini(&e);
}

/* Queries match what the MMU finds, in both halves; unmapped and foreign VAs are told apart. */
KTEST(pgtable, query)
{
	static const struct pte_attrs a = { .af = true, .ap = AP_RO_EL1, .attrindx = 3 };
	struct env e;

	if (!env_init(kt, &e, 4096, 48, RAM_SMALL, ALLOCS_ANY))
		return;
	vaddr_t hi = half_va(&e, 1, SZ_1G);
	KT_ASSERT_EQ(kt, pgtable_map(&e.pt[0], SZ_2M, 0x80000000, 2 * SZ_2M + 4096, &a, SZ_2M), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e.pt[1], hi, 3 * SZ_1G, SZ_1G, &a, SZ_1G), 0);

	static const struct {
		unsigned int h;
		uint64_t off; /* from the range's start */
		unsigned int level;
	} probes[] = { { 0, 0, 2 },
		       { 0, SZ_2M + 0x777, 2 },
		       { 0, 2 * SZ_2M + 0xabc, 3 },
		       { 1, 0, 1 },
		       { 1, SZ_1G - 1, 1 } };
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		unsigned int h = probes[i].h;
		vaddr_t va = (h ? hi : SZ_2M) + probes[i].off;
		paddr_t pa;
		unsigned int level;
		uint64_t desc;
		struct mmu_result r;

		KT_EXPECT_EQ(kt, pgtable_query(&e.pt[h], va, &pa, &level, &desc), 0);
		KT_EXPECT_EQ(kt, level, probes[i].level);
		KT_EXPECT_EQ(kt, pa, (h ? 3 * SZ_1G : 0x80000000) + probes[i].off);
		mmu_translate(&e.m.ram, &e.regs, &e.m.feat, va, 1, MMU_READ, false, &r);
		KT_EXPECT_EQ(kt, r.fault, MMU_FAULT_NONE);
		KT_EXPECT_EQ(kt, r.pa, pa);
		KT_EXPECT_EQ(kt, r.tr.desc, desc);
		KT_EXPECT_EQ(kt, pgtable_query(&e.pt[h], va, NULL, NULL, NULL), 0);
	}
	KT_EXPECT_EQ(kt, pgtable_query(&e.pt[0], 0, NULL, NULL, NULL), -ENOENT);
	KT_EXPECT_EQ(kt, pgtable_query(&e.pt[0], 3 * SZ_2M + 4096, NULL, NULL, NULL), -ENOENT);
	KT_EXPECT_EQ(kt, pgtable_query(&e.pt[0], SZ_512G, NULL, NULL, NULL), -ENOENT);
	KT_EXPECT_EQ(kt, pgtable_query(&e.pt[1], hi + SZ_1G, NULL, NULL, NULL), -ENOENT);
	KT_EXPECT_EQ(kt, pgtable_query(&e.pt[0], BIT(48), NULL, NULL, NULL), -EINVAL);
	env_fini(&e);
}

/*
 * Linux v6.1's EARLY_PAGES, by hand. KIMAGE_VADDR = MODULES_END = _PAGE_END(VA_BITS_MIN) + 128M
 * = -(1 << 47) + 128M = 0xffff800008000000 for 48-bit VAs; take a 45M image, _end =
 * 0xffff80000ad00000, with KASLR (add = 1) and without (add = 0).
 *   4K/48 (4 levels; 2M sections, SWAPPER_PGTABLE_LEVELS 3): PGDIR_SHIFT 39: one entry (+ add);
 *     no PUDs; PMDs at SWAPPER_TABLE_SHIFT = PUD_SHIFT 30: one entry (+ add).
 *     1 + 2 + 2 = 5 with KASLR, 1 + 1 + 1 = 3 without (INIT_DIR_SIZE 20K and 12K).
 *     The ID map, EARLY_PAGES(KIMAGE_VADDR, _end + MAX_FDT_SIZE 2M + SWAPPER_BLOCK_SIZE 2M, 1),
 *     stays in the same 1G: 5. A range across a 1G boundary, [1G - 2M, 1G + 2M) above the
 *     base, takes two PMD-level entries: 1 + 1 + 2 = 4 without KASLR.
 *   16K/48 (4 levels, pages: SWAPPER_PGTABLE_LEVELS 4): PGDIR 47: 1 (+ add); PUD 36: 1 (+ add);
 *     PMD 25: 0x8000000 >> 25 = 4 to 0xacfffff >> 25 = 5, 2 (+ add). 5 without, 8 with KASLR.
 *   64K/48 (3 levels, pages): PGDIR 42: 1 (+ add); PMD 29: 0 to 0: 1 (+ add). 3, or 5.
 *   4K/39 (3 levels, SWAPPER_PGTABLE_LEVELS 2): KIMAGE_VADDR = -(1 << 38) + 128M =
 *     0xffffffc008000000; only PGDs (shift 30): 1 + 1 = 2, or 3 with KASLR.
 *   64K/42 and 16K/36 (2 levels): 1 + the PGD entries (shift 29, 25). 64K: KIMAGE_VADDR =
 *     -(1 << 41) + 128M = 0xfffffe0008000000, one entry: 2. 16K: -(1 << 35) + 128M =
 *     0xfffffff808000000, entries 4..5 above the 32M-aligned base: 1 + 2 = 3.
 */
KTEST(pgtable, early_pages_linux)
{
	const vaddr_t k48 = 0xffff800008000000ULL, end48 = 0xffff80000ad00000ULL;
	const vaddr_t k39 = 0xffffffc008000000ULL, k36 = 0xfffffff808000000ULL;
	const vaddr_t k42 = 0xfffffe0008000000ULL;
	struct xlat_geometry g;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_EXPECT_EQ(kt, swapper_pgtable_levels(&g), 3);
	KT_EXPECT_EQ(kt, swapper_block_shift(&g), 21);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 1), 5);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 0), 3);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48 + SZ_2M + BIT(swapper_block_shift(&g)), 1), 5);
	const vaddr_t base48 = k48 - 0x8000000;
	KT_EXPECT_EQ(kt, early_pages(&g, base48 + SZ_1G - SZ_2M, base48 + SZ_1G + SZ_2M, 0), 4);

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 16384, 48), 0);
	KT_EXPECT_EQ(kt, swapper_pgtable_levels(&g), 4);
	KT_EXPECT_EQ(kt, swapper_block_shift(&g), 14);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 0), 5);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 1), 8);

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 65536, 48), 0);
	KT_EXPECT_EQ(kt, swapper_pgtable_levels(&g), 3);
	KT_EXPECT_EQ(kt, swapper_block_shift(&g), 16);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 0), 3);
	KT_EXPECT_EQ(kt, early_pages(&g, k48, end48, 1), 5);

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 39), 0);
	KT_EXPECT_EQ(kt, swapper_pgtable_levels(&g), 2);
	KT_EXPECT_EQ(kt, early_pages(&g, k39, k39 + 0x2d00000, 0), 2);
	KT_EXPECT_EQ(kt, early_pages(&g, k39, k39 + 0x2d00000, 1), 3);

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 65536, 42), 0);
	KT_EXPECT_EQ(kt, early_pages(&g, k42, k42 + 0x2d00000, 0), 2);
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 16384, 36), 0);
	KT_EXPECT_EQ(kt, early_pages(&g, k36, k36 + 0x2d00000, 0), 3);
}

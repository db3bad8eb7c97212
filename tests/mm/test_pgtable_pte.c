// SPDX-License-Identifier: MIT
/*
 * The page-entry calls of mm/pgtable.c the VM layer works with: pgtable_pte_slot (the level-3
 * slot of one VA, tables made on demand), pgtable_walk_leaves (every leaf of a range, in order,
 * skipping what is not mapped) and pgtable_unmap_leaves (unmap, each leaf shown first). Checked
 * through the emulated MMU (ARM ARM (DDI 0487) D8) on the pgtable tests' machine.
 */
#include "arch/host/host.h"

#include <hw/mmu.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

#include "pgtable_env.h"

static struct env env;

#define VA0 0xffff000000000000ULL
#define MAX_SEEN 64

/* What a walk or an unmap callback saw, in order. */
struct seen {
	unsigned int n, stop_at; /* stop_at: return 1 at that visit (0: never) */
	vaddr_t va[MAX_SEEN];
	unsigned int level[MAX_SEEN];
	uint64_t desc[MAX_SEEN];
	bool rdonly; /* walk: make each leaf read-only through its slot */
};

static int record_slot(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct seen *s = ctx;

	if (s->n < MAX_SEEN) {
		s->va[s->n] = va;
		s->level[s->n] = level;
		s->desc[s->n] = *slot;
	}
	if (s->rdonly)
		set_pte(slot, *slot | PTE_RDONLY);
	return ++s->n == s->stop_at;
}

static void record_leaf(void *ctx, vaddr_t va, uint64_t desc, unsigned int level)
{
	uint64_t d = desc;

	record_slot(ctx, va, &d, level);
}

/* @va translates for a @acc access at EL1 (no TLB) to @pa, or faults with @fault. */
static bool expect_access(struct ktest *kt, struct env *e, vaddr_t va, enum mmu_access acc,
			  paddr_t pa, enum mmu_fault fault)
{
	struct mmu_result r;
	enum mmu_fault f = mmu_translate(&e->m.ram, &e->regs, &e->m.feat, va, 1, acc, false, &r);

	if (fault)
		return KT_EXPECT_EQ(kt, f, fault);
	return KT_EXPECT_EQ(kt, f, MMU_FAULT_NONE) && KT_EXPECT_EQ(kt, r.pa, pa);
}

/* A slot made on demand takes one table per level below the root, and translates once set. */
static void slot_case(struct ktest *kt, uint64_t granule)
{
	struct env *e = &env;
	vaddr_t va = VA0 + 5 * SZ_1G + 77 * granule;
	paddr_t pa = 0x80000000ULL + 3 * granule;
	uint64_t *slot, *again;
	int err = 0;

	if (!env_init(kt, e, granule))
		return;
	unsigned int below = 3 - e->g.start_level;
	KT_EXPECT_NULL(kt, pgtable_pte_slot(&e->pt, va, false, &err));
	KT_EXPECT_EQ(kt, err, -ENOENT);
	slot = pgtable_pte_slot(&e->pt, va, true, &err);
	KT_ASSERT_NOT_NULL(kt, slot);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 1 + below);
	KT_EXPECT_EQ(kt, e->pool.live, 1 + below);
	KT_EXPECT_EQ(kt, e->pt.level_tables[3], 1);
	KT_EXPECT_EQ(kt, *slot, 0);
	expect_access(kt, e, va, MMU_READ, 0, MMU_FAULT_TRANSLATION);
	set_pte(slot, desc_make_page(&e->g, pa, &rw));
	expect_access(kt, e, va + 9, MMU_READ, pa + 9, MMU_FAULT_NONE);
	/* Found again without allocating; the neighbour is the next entry of the same table. */
	again = pgtable_pte_slot(&e->pt, va, false, NULL);
	KT_EXPECT_TRUE(kt, again == slot);
	KT_EXPECT_TRUE(kt, pgtable_pte_slot(&e->pt, va + granule, true, NULL) == slot + 1);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 1 + below);
	env_fini(e);
}

KTEST(pgtable_pte, slot_4k)
{
	slot_case(kt, 4096);
}

KTEST(pgtable_pte, slot_16k)
{
	slot_case(kt, 16384);
}

KTEST(pgtable_pte, slot_64k)
{
	slot_case(kt, 65536);
}

/* A block, a VA in neither half, no tables left: NULL with the reason. */
KTEST(pgtable_pte, slot_errors)
{
	struct env *e = &env;
	vaddr_t block = VA0 + 2 * SZ_1G, va = VA0 + 9 * SZ_1G;
	int err = 0;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, block, SZ_1G, SZ_2M, &rw, SZ_2M), 0);
	KT_EXPECT_NULL(kt, pgtable_pte_slot(&e->pt, block + 4096, true, &err));
	KT_EXPECT_EQ(kt, err, -EEXIST);
	KT_EXPECT_NULL(kt, pgtable_pte_slot(&e->pt, 0x0001000000000000ULL, true, &err));
	KT_EXPECT_EQ(kt, err, -EINVAL);
	unsigned long tables = e->pt.table_pages;
	e->pool.left = 1; /* a level-2 table, then none for level 3 */
	KT_EXPECT_NULL(kt, pgtable_pte_slot(&e->pt, va, true, &err));
	KT_EXPECT_EQ(kt, err, -ENOMEM);
	KT_EXPECT_EQ(kt, e->pt.table_pages, tables + 1);
	KT_EXPECT_EQ(kt, e->pool.live, tables + 1);
	e->pool.left = 1;
	KT_EXPECT_NOT_NULL(kt, pgtable_pte_slot(&e->pt, va, true, &err));
	/* A table descriptor on the way leads outside RAM: -EFAULT. */
	uint64_t *root = arch_phys_to_virt(e->pt.root), *top = &root[xlat_index(&e->g, 0, va)];
	uint64_t saved = *top;
	set_pte(top, desc_make_table(&e->g, 0x10000000ULL, &(struct table_attrs){ 0 }));
	KT_EXPECT_NULL(kt, pgtable_pte_slot(&e->pt, va, false, &err));
	KT_EXPECT_EQ(kt, err, -EFAULT);
	set_pte(top, saved);
	env_fini(e);
}

/* Pages and a block in a sparse range: visited in order, once each, with their first VA and
 * level; nothing outside the range; a leaf rewritten through its slot takes effect. */
KTEST(pgtable_pte, walk_in_order)
{
	struct env *e = &env;
	struct seen s = { 0 };
	vaddr_t blk = VA0 + 4 * SZ_1G, pages = VA0 + 300 * SZ_1G + 5 * 4096;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, blk, SZ_1G, SZ_2M, &rw, SZ_2M), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, pages, 0x80000000ULL, 3 * 4096, &rw, 4096), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, pages + 8 * 4096, 0x90000000ULL, 4096, &rw, 4096), 0);
	/* From inside the block to the middle of the last run: the block's VA lies below. */
	s.rdonly = true;
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, blk + 4096, pages + 9 * 4096, record_slot, &s),
		     0);
	KT_ASSERT_EQ(kt, s.n, 5);
	const vaddr_t want[] = { blk, pages, pages + 4096, pages + 2 * 4096, pages + 8 * 4096 };
	for (unsigned int i = 0; i < 5; i++) {
		KT_EXPECT_EQ(kt, s.va[i], want[i]);
		KT_EXPECT_EQ(kt, s.level[i], i ? 3 : 2);
		KT_EXPECT_EQ(kt, s.desc[i] & PTE_RDONLY, 0);
	}
	expect_access(kt, e, pages + 4096, MMU_WRITE, 0, MMU_FAULT_PERMISSION);
	expect_access(kt, e, pages + 4096, MMU_READ, 0x80001000ULL, MMU_FAULT_NONE);
	/* Ranges that catch nothing, or only the page at the end. */
	s = (struct seen){ 0 };
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, VA0, blk, record_slot, &s), 0);
	KT_EXPECT_EQ(
	    kt, pgtable_walk_leaves(&e->pt, pages + 3 * 4096, pages + 8 * 4096, record_slot, &s),
	    0);
	KT_EXPECT_EQ(kt, s.n, 0);
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, pages + 8 * 4096, 0, record_slot, &s), 0);
	KT_EXPECT_EQ(kt, s.n, 1);
	env_fini(e);
}

/* A non-zero return stops the walk and is returned; bad ranges are -EINVAL. */
KTEST(pgtable_pte, walk_stop_and_errors)
{
	struct env *e = &env;
	struct seen s = { .stop_at = 2 };
	vaddr_t va = VA0 + SZ_1G;

	if (!env_init(kt, e, 16384))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 0x80000000ULL, 8 * 16384, &rw, 16384), 0);
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, va, va + 8 * 16384, record_slot, &s), 1);
	KT_EXPECT_EQ(kt, s.n, 2);
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, va, va, record_slot, &s), 0);
	KT_EXPECT_EQ(kt, pgtable_walk_leaves(&e->pt, va, va - 1, record_slot, &s), -EINVAL);
	KT_EXPECT_EQ(
	    kt, pgtable_walk_leaves(&e->pt, 0x0000fffffffff000ULL, VA0 + 4096, record_slot, &s),
	    -EINVAL);
	KT_EXPECT_EQ(kt, s.n, 2);
	env_fini(e);
}

/* Each leaf is shown before it goes, after any split (the split's pages, inside the range),
 * in address order; the leaves are cleared and empty tables freed as by pgtable_unmap. */
KTEST(pgtable_pte, unmap_leaves_shows_each)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	struct seen s = { 0 };
	vaddr_t blk = VA0 + 6 * SZ_1G, pages = blk + SZ_2M;
	paddr_t pa = 0x80000000ULL;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, blk, pa, SZ_2M, &rw, SZ_2M), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, pages, 0x90000000ULL, 2 * 4096, &rw, 4096), 0);
	/* The last two pages of the block, then both pages after it. */
	KT_EXPECT_EQ(
	    kt, pgtable_unmap_leaves(&e->pt, pages - 2 * 4096, 4 * 4096, record_leaf, &s, &out), 0);
	KT_EXPECT_EQ(kt, out.splits, 1);
	KT_EXPECT_EQ(kt, out.leaves, 4);
	KT_ASSERT_EQ(kt, s.n, 4);
	for (unsigned int i = 0; i < 4; i++) {
		KT_EXPECT_EQ(kt, s.va[i], pages - 2 * 4096 + i * 4096);
		KT_EXPECT_EQ(kt, s.level[i], 3);
	}
	KT_EXPECT_EQ(kt, desc_oa(&e->g, 3, s.desc[0]), pa + SZ_2M - 2 * 4096);
	KT_EXPECT_EQ(kt, desc_oa(&e->g, 3, s.desc[3]), 0x90001000ULL);
	arch_flush_tlb_kernel_range(out.start, out.end);
	expect_access(kt, e, pages - 4096, MMU_READ, 0, MMU_FAULT_TRANSLATION);
	expect_access(kt, e, pages - 3 * 4096, MMU_READ, pa + SZ_2M - 3 * 4096, MMU_FAULT_NONE);
	/* A split without tables fails before any leaf is shown. */
	s = (struct seen){ 0 };
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, VA0 + 8 * SZ_1G, SZ_1G, SZ_1G, &rw, SZ_1G), 0);
	e->pool.left = 0;
	KT_EXPECT_EQ(kt, pgtable_unmap_leaves(&e->pt, VA0 + 8 * SZ_1G, 4096, record_leaf, &s, &out),
		     -ENOMEM);
	KT_EXPECT_EQ(kt, s.n, 0);
	/* pgtable_unmap is the same walk without a callback. */
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, blk, SZ_2M - 2 * 4096, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, SZ_2M / 4096 - 2);
	env_fini(e);
}

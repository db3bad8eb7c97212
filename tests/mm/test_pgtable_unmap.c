// SPDX-License-Identifier: MIT
/*
 * pgtable_unmap (mm/pgtable.c): pages and blocks cleared, blocks split for a partial range with
 * break-before-make, empty tables given back, errors changing nothing. Checked through the
 * emulated MMU and the TLB of an emulated CPU (ARM ARM (DDI 0487) D8).
 */
#include "arch/host/host.h"

#include <aarch64/sysreg.h>
#include <hw/mmu.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

#include "pgtable_env.h"

#include <string.h>

static struct env env;

/* @va translates (with no TLB) to @pa with a leaf at @level, or faults when @pa is 0. */
static bool expect_tr(struct ktest *kt, struct env *e, vaddr_t va, paddr_t pa, unsigned int level)
{
	struct mmu_result r;
	enum mmu_fault f =
	    mmu_translate(&e->m.ram, &e->regs, &e->m.feat, va, 1, MMU_READ, false, &r);

	if (!pa)
		return KT_EXPECT_EQ(kt, f, MMU_FAULT_TRANSLATION);
	return KT_EXPECT_EQ(kt, f, MMU_FAULT_NONE) && KT_EXPECT_EQ(kt, r.pa, pa) &&
	       KT_EXPECT_EQ(kt, r.level, level);
}

#define VA0 0xffff000000000000ULL

/* Pages: a middle run unmapped faults, its neighbours stay; unmapping all frees every table. */
static void pages_case(struct ktest *kt, uint64_t granule)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + 7 * SZ_1G - 8 * granule; /* across a level-1 boundary */
	paddr_t pa = 0x80000000;

	if (!env_init(kt, e, granule))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, pa, 64 * granule, &rw, granule), 0);
	unsigned long tables = e->pt.table_pages;
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va + 4 * granule, 8 * granule, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 8);
	KT_EXPECT_EQ(kt, out.start, va + 4 * granule);
	KT_EXPECT_EQ(kt, out.end, va + 12 * granule);
	KT_EXPECT_EQ(kt, out.tables_freed, 0);
	for (unsigned int i = 0; i < 64; i++)
		expect_tr(kt, e, va + i * granule, i >= 4 && i < 12 ? 0 : pa + i * granule, 3);
	KT_EXPECT_EQ(kt, e->pt.table_pages, tables);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va, 64 * granule, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 56);
	KT_EXPECT_EQ(kt, out.tables_freed, tables - 1);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 1);
	KT_EXPECT_EQ(kt, e->pool.live, 1); /* the root only */
	for (unsigned int l = e->g.start_level + 1; l < 4; l++)
		KT_EXPECT_EQ(kt, e->pt.level_tables[l], 0);
	env_fini(e);
}

KTEST(pgtable_unmap, pages_4k)
{
	pages_case(kt, 4096);
}

KTEST(pgtable_unmap, pages_16k)
{
	pages_case(kt, 16384);
}

KTEST(pgtable_unmap, pages_64k)
{
	pages_case(kt, 65536);
}

/* A 1G block with one page unmapped: split twice, the rest still translates, and the block's
 * TLB entry is gone (break-before-make) although the caller flushed nothing. */
KTEST(pgtable_unmap, split_1g_block)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	struct hw_access acc;
	vaddr_t va = VA0 + 3 * SZ_1G, hole = va + SZ_2M * 5 + 4096 * 7;
	paddr_t pa = 2 * SZ_1G;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, pa, SZ_1G, &rw, SZ_1G), 0);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 2);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], hole, MMU_READ, &acc), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, hole, 4096, &out), 0);
	KT_EXPECT_EQ(kt, out.splits, 2);
	KT_EXPECT_EQ(kt, out.leaves, 1);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 4);
	expect_tr(kt, e, hole, 0, 3);
	expect_tr(kt, e, hole - 4096, pa + (hole - 4096 - va), 3);
	expect_tr(kt, e, hole + 4096, pa + (hole + 4096 - va), 3);
	expect_tr(kt, e, va, pa, 2);
	expect_tr(kt, e, va + SZ_1G - 1, pa + SZ_1G - 1, 2);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], hole, MMU_READ, &acc),
		     MMU_FAULT_TRANSLATION);
	/* The rest of the block, unmapped in two pieces, leaves the root alone. */
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va, hole - va, &out), 0);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, hole + 4096, va + SZ_1G - hole - 4096, &out), 0);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 1);
	KT_EXPECT_EQ(kt, e->pool.live, 1);
	expect_tr(kt, e, va, 0, 0);
	env_fini(e);
}

/* A page's leaf stays in the TLB until the caller flushes the range it was told. */
KTEST(pgtable_unmap, caller_flushes_leaves)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	struct hw_access acc;
	vaddr_t va = VA0 + SZ_1G;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 0x90000000, 4 * 4096, &rw, 4096), 0);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], va + 4096, MMU_READ, &acc), 0);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va + 4096, 4096, &out), 0);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], va + 4096, MMU_READ, &acc), 0);
	KT_EXPECT_TRUE(kt, acc.tlb_hit);
	KT_EXPECT_EQ(kt, hw_checker_take(&e->m, HW_RULE_STALE_TLB), 1ul);
	arch_flush_tlb_kernel_range(out.start, out.end);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], va + 4096, MMU_READ, &acc),
		     MMU_FAULT_TRANSLATION);
	env_fini(e);
}

/* No tables for a split, or bad arguments: the tables are unchanged. */
KTEST(pgtable_unmap, errors_change_nothing)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + 3 * SZ_1G;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 2 * SZ_1G, SZ_1G, &rw, SZ_1G), 0);
	e->pool.left = 1; /* the split needs 2 */
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va + 4096, 4096, &out), -ENOMEM);
	KT_EXPECT_EQ(kt, e->pool.live, 2);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 2);
	expect_tr(kt, e, va + 4096, 2 * SZ_1G + 4096, 1);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va + 1, 4096, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, va, 0, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_unmap(&e->pt, 0x0000fffffffff000ULL, 8192, &out), -EINVAL);
	expect_tr(kt, e, va, 2 * SZ_1G, 1);
	env_fini(e);
}

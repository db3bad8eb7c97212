// SPDX-License-Identifier: MIT
/*
 * pgtable_protect (mm/pgtable.c): permissions of pages and blocks changed in place, blocks only
 * partly in the range split first (the rest keeping its permissions and output), holes and errors
 * changing nothing, stale TLB entries keeping the old permissions until the caller's flush.
 * Checked through the emulated MMU and the TLB of an emulated CPU (ARM ARM (DDI 0487) D8.4).
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

/* An @acc access to @va (with no TLB) translates to @pa, or is a permission fault if !@ok. */
static bool expect_acc(struct ktest *kt, struct env *e, vaddr_t va, enum mmu_access acc, paddr_t pa,
		       bool ok)
{
	struct mmu_result r;
	enum mmu_fault f = mmu_translate(&e->m.ram, &e->regs, &e->m.feat, va, 1, acc, false, &r);

	if (!ok)
		return KT_EXPECT_EQ(kt, f, MMU_FAULT_PERMISSION);
	return KT_EXPECT_EQ(kt, f, MMU_FAULT_NONE) && KT_EXPECT_EQ(kt, r.pa, pa);
}

/* The table memory (the pool's pages at the start of RAM), to compare before and after. */
static uint8_t snap[POOL_PAGES * 4096];

static const void *tables(void)
{
	return arch_phys_to_virt(RAM_BASE);
}

#define VA0 0xffff000000000000ULL

/* Pages: a middle run made read-only and back, its neighbours writable throughout. */
static void pages_case(struct ktest *kt, uint64_t granule)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + 7 * SZ_1G - 8 * granule; /* across a level-1 boundary */
	paddr_t pa = 0x80000000;

	if (!env_init(kt, e, granule))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, pa, 32 * granule, &rw, granule), 0);
	unsigned long tables = e->pt.table_pages;
	KT_EXPECT_EQ(
	    kt, pgtable_protect(&e->pt, va + 4 * granule, 8 * granule, PTE_RDONLY, 0, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 8);
	KT_EXPECT_EQ(kt, out.splits, 0);
	KT_EXPECT_EQ(kt, out.start, va + 4 * granule);
	KT_EXPECT_EQ(kt, out.end, va + 12 * granule);
	for (unsigned int i = 0; i < 32; i++) {
		expect_acc(kt, e, va + i * granule, MMU_READ, pa + i * granule, true);
		expect_acc(kt, e, va + i * granule, MMU_WRITE, pa + i * granule, i < 4 || i >= 12);
	}
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, 32 * granule, 0, PTE_RDONLY, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 32);
	for (unsigned int i = 0; i < 32; i++)
		expect_acc(kt, e, va + i * granule, MMU_WRITE, pa + i * granule, true);
	KT_EXPECT_EQ(kt, e->pt.table_pages, tables);
	KT_EXPECT_EQ(kt, e->pool.live, tables);
	env_fini(e);
}

KTEST(pgtable_protect, pages_4k)
{
	pages_case(kt, 4096);
}

KTEST(pgtable_protect, pages_16k)
{
	pages_case(kt, 16384);
}

KTEST(pgtable_protect, pages_64k)
{
	pages_case(kt, 65536);
}

/* Execute permission: PXN cleared on a range lets EL1 execute there, set again forbids it. */
KTEST(pgtable_protect, exec_noexec)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + SZ_1G;
	paddr_t pa = 0x90000000;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, pa, 4 * SZ_2M, &rw, SZ_2M), 0);
	expect_acc(kt, e, va + SZ_2M, MMU_EXEC, 0, false);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va + SZ_2M, SZ_2M, PTE_RDONLY, PTE_PXN, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 1); /* the 2M block covered whole stays a block */
	expect_acc(kt, e, va + SZ_2M + 4096, MMU_EXEC, pa + SZ_2M + 4096, true);
	expect_acc(kt, e, va + SZ_2M + 4096, MMU_WRITE, 0, false);
	expect_acc(kt, e, va + SZ_2M - 4096, MMU_EXEC, 0, false);
	expect_acc(kt, e, va + 2 * SZ_2M, MMU_EXEC, 0, false);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, 4 * SZ_2M, PTE_PXN, 0, &out), 0);
	KT_EXPECT_EQ(kt, out.leaves, 4);
	expect_acc(kt, e, va + SZ_2M + 4096, MMU_EXEC, 0, false);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 3);
	env_fini(e);
}

/*
 * A 1G block made read-only over a range that covers whole 2M entries and parts of two others:
 * split twice at each end; every page keeps its PA, AttrIndx, SH and AF; only the range is
 * read-only.
 */
KTEST(pgtable_protect, split_partial_block)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + 3 * SZ_1G, lo = va + 5 * SZ_2M + 3 * 4096,
		hi = va + 9 * SZ_2M + 5 * 4096;
	paddr_t pa = 2 * SZ_1G;
	struct pte_attrs a = rw;
	struct hw_access acc;
	uint64_t keep = ~(uint64_t)(PGTABLE_PROT_MASK | DESC_TYPE_MASK | DESC_OA_MASK);
	uint64_t block;

	a.attrindx = 3;
	a.sh = SH_OUTER;
	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, pa, SZ_1G, &a, SZ_1G), 0);
	KT_ASSERT_EQ(kt, pgtable_query(&e->pt, va, NULL, NULL, &block), 0);
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], lo, MMU_WRITE, &acc), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, lo, hi - lo, PTE_RDONLY, 0, &out), 0);
	/* The split's break-before-make dropped the block's TLB entry: no flush needed here. */
	KT_EXPECT_EQ(kt, hw_cpu_translate(&e->m.cpus[0], lo, MMU_WRITE, &acc),
		     MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, out.splits, 3); /* the 1G block, then the 2M blocks at each end */
	KT_EXPECT_EQ(kt, out.leaves, (SZ_2M / 4096 - 3) + 3 + 5);
	KT_EXPECT_EQ(kt, out.start, lo);
	KT_EXPECT_EQ(kt, out.end, hi);
	KT_EXPECT_EQ(kt, e->pt.table_pages, 5);
	for (vaddr_t v = lo - 8 * 4096; v < hi + 8 * 4096; v += 4096) {
		bool in = v >= lo && v < hi;
		unsigned int level;
		uint64_t d;

		expect_acc(kt, e, v, MMU_READ, pa + (v - va), true);
		expect_acc(kt, e, v, MMU_WRITE, pa + (v - va), !in);
		KT_ASSERT_EQ(kt, pgtable_query(&e->pt, v, NULL, &level, &d), 0);
		KT_EXPECT_EQ(kt, d & keep, block & keep);
		KT_EXPECT_EQ(kt, level, (v >> 21) == (lo >> 21) || (v >> 21) == (hi >> 21) ? 3 : 2);
	}
	expect_acc(kt, e, va, MMU_WRITE, pa, true);
	expect_acc(kt, e, va + SZ_1G - 4096, MMU_WRITE, pa + SZ_1G - 4096, true);
	env_fini(e);
}

/* A hole in the range: -ENOENT (as mprotect refuses unmapped pages), nothing written. */
KTEST(pgtable_protect, hole_changes_nothing)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + SZ_1G;

	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 0x90000000, 4 * 4096, &rw, 4096), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va + 5 * 4096, 0x90005000, 4 * 4096, &rw, 4096), 0);
	memcpy(snap, tables(), sizeof(snap));
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, 9 * 4096, PTE_RDONLY, 0, &out), -ENOENT);
	KT_EXPECT_EQ(kt, out.leaves, 0);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va + 8 * 4096, 2 * 4096, PTE_RDONLY, 0, &out),
		     -ENOENT);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, VA0 + 5 * SZ_1G, 4096, PTE_RDONLY, 0, &out),
		     -ENOENT);
	KT_EXPECT_EQ(kt, memcmp(snap, tables(), sizeof(snap)), 0);
	expect_acc(kt, e, va, MMU_WRITE, 0x90000000, true);
	env_fini(e);
}

/* No tables for the splits, bad arguments or a contiguous run: the memory is byte-identical. */
KTEST(pgtable_protect, errors_change_nothing)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	vaddr_t va = VA0 + 3 * SZ_1G, cva = VA0 + SZ_1G;
	struct pte_attrs cont = rw;

	cont.contig = true;
	if (!env_init(kt, e, 4096))
		return;
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 2 * SZ_1G, SZ_1G, &rw, SZ_1G), 0);
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, cva, 0x90000000, 16 * 4096, &cont, 4096), 0);
	memcpy(snap, tables(), sizeof(snap));
	unsigned long live = e->pool.live;
	e->pool.left = 1; /* the split needs 2 */
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va + 4096, 4096, PTE_RDONLY, 0, &out), -ENOMEM);
	KT_EXPECT_EQ(kt, e->pool.live, live);
	e->pool.left = ~0UL;
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, SZ_1G, PTE_AF, 0, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, SZ_1G, 0, PTE_ATTRINDX_MASK, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va + 1, 4096, PTE_RDONLY, 0, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va, 0, PTE_RDONLY, 0, &out), -EINVAL);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, cva, 16 * 4096, PTE_RDONLY, 0, &out), -EINVAL);
	KT_EXPECT_EQ(kt, memcmp(snap, tables(), sizeof(snap)), 0);
	KT_EXPECT_EQ(kt, e->pt.table_pages, live);
	expect_acc(kt, e, va + 4096, MMU_WRITE, 2 * SZ_1G + 4096, true);
	env_fini(e);
}

/* A TLB entry made before the change keeps the old permission until the caller flushes. */
KTEST(pgtable_protect, stale_tlb_until_flush)
{
	struct env *e = &env;
	struct pgtable_unmapped out;
	struct hw_access acc;
	vaddr_t va = VA0 + SZ_1G;
	struct hw_cpu *cpu;

	if (!env_init(kt, e, 4096))
		return;
	cpu = &e->m.cpus[0];
	KT_ASSERT_EQ(kt, pgtable_map(&e->pt, va, 0x90000000, 4 * 4096, &rw, 4096), 0);
	KT_EXPECT_EQ(kt, hw_cpu_translate(cpu, va + 4096, MMU_WRITE, &acc), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, pgtable_protect(&e->pt, va + 4096, 4096, PTE_RDONLY, 0, &out), 0);
	KT_EXPECT_EQ(kt, hw_cpu_translate(cpu, va + 4096, MMU_WRITE, &acc), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, acc.tlb_hit);
	KT_EXPECT_EQ(kt, hw_checker_take(&e->m, HW_RULE_STALE_TLB), 1ul);
	arch_flush_tlb_kernel_range(out.start, out.end);
	KT_EXPECT_EQ(kt, hw_cpu_translate(cpu, va + 4096, MMU_WRITE, &acc), MMU_FAULT_PERMISSION);
	KT_EXPECT_EQ(kt, hw_cpu_translate(cpu, va + 4096, MMU_READ, &acc), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, hw_cpu_translate(cpu, va, MMU_WRITE, &acc), MMU_FAULT_NONE);
	env_fini(e);
}

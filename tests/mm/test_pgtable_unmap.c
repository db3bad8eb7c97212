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

#include "../ktest/ktest.h"

#include <string.h>

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (8ULL << 20)
#define POOL_PAGES 256
#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

/* Table pages from a pool at the start of RAM, in any order, at most @left of them. */
struct pool {
	bool used[POOL_PAGES];
	uint64_t granule;
	unsigned long live, left;
};

static paddr_t pool_alloc(void *ctx, uint64_t bytes)
{
	struct pool *p = ctx;

	for (unsigned int i = 0; p->left && bytes <= p->granule && i < POOL_PAGES; i++) {
		if (!p->used[i] && (i * p->granule) < RAM_SIZE) {
			p->used[i] = true;
			p->live++;
			p->left--;
			return RAM_BASE + i * p->granule;
		}
	}
	return 0;
}

static void pool_free(void *ctx, paddr_t t, uint64_t bytes)
{
	struct pool *p = ctx;

	(void)bytes;
	p->used[(t - RAM_BASE) / p->granule] = false;
	p->live--;
}

struct env {
	struct hw_machine m, *prev;
	struct xlat_geometry g;
	struct pool pool;
	struct pgtable_alloc alloc;
	struct pgtable pt;
	struct mmu_regs regs;
};

static struct env env;

static void env_fini(struct env *e)
{
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* A 1-CPU machine translating TTBR1 through e->pt, of @granule and 48-bit VAs. */
static bool env_init(struct ktest *kt, struct env *e, uint64_t granule)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	struct tcr_fields f = { .ips = 5 };

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 1, &tlb, &feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	e->pool = (struct pool){ .granule = granule, .left = ~0UL };
	e->alloc = (struct pgtable_alloc){ pool_alloc, pool_free, &e->pool };
	if (!KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE), 0) ||
	    !KT_EXPECT_EQ(kt, xlat_geometry_init(&e->g, granule, 48), 0) ||
	    !KT_EXPECT_EQ(kt, pgtable_init(&e->pt, &e->g, &e->alloc), 0)) {
		env_fini(e);
		return false;
	}
	for (int i = 0; i < 2; i++)
		f.half[i] = (struct tcr_half){ .tsz = 16, .granule = granule, .sh = SH_INNER };
	e->regs = (struct mmu_regs){ .sctlr = SCTLR_M, .tcr = tcr_encode(&f), .ttbr1 = e->pt.root };
	e->m.cpus[0].regs = e->regs;
	e->m.cpus[0].el = 1;
	return true;
}

static const struct pte_attrs rw = {
	.sh = SH_INNER, .ap = AP_RW_EL1, .af = true, .pxn = true, .uxn = true
};

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

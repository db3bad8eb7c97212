// SPDX-License-Identifier: MIT
/*
 * Address spaces (mm/mm_struct.c) on a booted 2-CPU hosted machine: two mms map the same user VA
 * to different pages and an emulated CPU switched between them sees each one's data, through
 * TLB entries tagged by ASID that survive the switches; an ASID rollover makes each CPU flush
 * its TLB exactly once; mm_destroy gives every table page back.
 */
#include "arch/host/host.h"

#include <kmm/mm.h>
#include <kmm/mm_struct.h>
#include <kmm/setup.h>

#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 20)
#define USER_VA 0x1234000ULL /* below RAM, not at a table boundary: only the mms map it */
#define NR_MMS 20	     /* more than the 15 usable 4-bit ASIDs: one rollover */

/* Linux's PAGE_SHARED: Normal memory, EL0 read/write, non-global (ASID-tagged), not executable. */
#define PAGE_USER                                                                                  \
	((struct pte_attrs){ .attrindx = 0,                                                        \
			     .sh = SH_INNER,                                                       \
			     .ap = AP_RW_ALL,                                                      \
			     .af = true,                                                           \
			     .ng = true,                                                           \
			     .pxn = true,                                                          \
			     .uxn = true })

struct env {
	struct hw_machine m, *prev;
	struct boot_params bp;
	struct boot_mm bm;
	struct asid_allocator asids;
	struct mm_struct mms[NR_MMS];
	struct page *pages[NR_MMS];
	FILE *old;
};

static struct env env;
static struct mem_system ms;
static const struct boot_region ram = { RAM_BASE, RAM_SIZE };

static void env_fini(struct env *e)
{
	host_set_cpu(0);
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* Free pages of the page allocator, the per-CPU lists drained into the free lists first. */
static unsigned long free_pages_now(void)
{
	unsigned long n = 0;

	ms_drain_all_pages(&ms);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += ms.node_data[0].node_zones[z].nr_free_pages;
	return n;
}

/* Boot a 2-CPU machine with a page allocator (the boot log discarded); CPUs at EL1, MMU on. */
static bool env_init(struct ktest *kt, struct env *e, unsigned int asid_bits)
{
	/* Fully associative: every ASID's entry for USER_VA stays cached until a TLBI. */
	struct tlb_config tlb = { .entries = 256, .ways = 256, .walk_entries = 32 };
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	char err[128];
	FILE *f = fopen("/dev/null", "w"), *old;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_TRUE(kt, f) || !KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 2, &tlb, &feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	e->bp = (struct boot_params){
		.board = "test",
		.builtin_mem = &ram,
		.nbuiltin = 1,
		.image = { .phys = RAM_BASE + 0x200000, .text = 1 << 20, .data = 256 << 10 },
		.granule = 4096,
		.va_bits = 48,
		.ms = &ms,
		.nr_cpus = 2
	};
	ret = hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE);
	old = host_console_set(f);
	if (!ret)
		ret = boot_mm_init(&e->bm, &e->bp, err, sizeof(err));
	host_console_set(old);
	fclose(f);
	if (!KT_EXPECT_EQ(kt, ret, 0) ||
	    !KT_EXPECT_EQ(kt, asid_allocator_init(&e->asids, asid_bits, 2), 0)) {
		env_fini(e);
		return false;
	}
	for (unsigned int i = 0; i < 2; i++) {
		e->m.cpus[i].regs = (struct mmu_regs){ .sctlr = e->bm.sctlr,
						       .tcr = e->bm.tcr,
						       .ttbr0 = e->bm.ttbr0,
						       .ttbr1 = e->bm.ttbr1,
						       .mair = e->bm.mair };
		e->m.cpus[i].el = 1;
	}
	return true;
}

/* Set up mm @i with a page of its own at USER_VA whose first byte is 'a' + @i. */
static bool make_mm(struct ktest *kt, struct env *e, unsigned int i)
{
	struct pte_attrs attrs = PAGE_USER;
	struct page *pg = ms_alloc_pages(&ms, GFP_KERNEL, 0);
	struct mm_struct *mm = &e->mms[i];

	if (!KT_EXPECT_TRUE(kt, pg) || !KT_EXPECT_EQ(kt, mm_init(mm, &e->bm.geom, &ms), 0))
		return false;
	e->pages[i] = pg;
	memset(ms_page_address(&ms, pg), 'a' + (int)i, PAGE_SIZE);
	return KT_EXPECT_EQ(kt,
			    pgtable_map(&mm->pgd, USER_VA, PFN_PHYS(ms_page_to_pfn(&ms, pg)),
					PAGE_SIZE, &attrs, PAGE_SIZE),
			    0);
}

/* Unmap mm @i's page, free it and destroy the mm. */
static void drop_mm(struct env *e, unsigned int i)
{
	mm_destroy(&e->mms[i]);
	ms_free_pages(&ms, e->pages[i], 0);
}

/*
 * Switch CPU @cpu to mm @i (switch_mm, then the arch call on that CPU) and read USER_VA through
 * it: the byte must be mm @i's. Returns whether a local flush was asked; *@hit: a TLB hit.
 */
static bool run_mm(struct ktest *kt, struct env *e, unsigned int cpu, unsigned int i, bool *hit)
{
	struct mm_struct *mm = &e->mms[i];
	struct hw_access acc = { 0 };
	bool flush;
	char c = 0;

	host_set_cpu(cpu);
	uint64_t ttbr0 = switch_mm(&e->asids, cpu, mm, &flush);
	KT_EXPECT_EQ(kt, ttbr0, mm->pgd.root | asid_ctx_asid(&e->asids, mm->context_id) << 48);
	arch_switch_ttbr0(ttbr0, flush);
	KT_EXPECT_EQ(kt, e->m.cpus[cpu].regs.ttbr0, ttbr0);
	if (flush)
		KT_EXPECT_EQ(kt, tlb_count(&e->m.cpus[cpu].tlb), 0u);
	KT_EXPECT_EQ(kt, hw_cpu_read(&e->m.cpus[cpu], USER_VA + 7, &c, 1, &acc), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, c, 'a' + (int)i);
	*hit = acc.tlb_hit;
	return flush;
}

KTEST(mm_struct, isolation_by_asid)
{
	struct env *e = &env;
	bool hit;

	if (!env_init(kt, e, 16))
		return;
	const struct tlb_stats *st = &e->m.cpus[0].tlb.stats;
	unsigned long free0 = free_pages_now();
	if (!make_mm(kt, e, 0) || !make_mm(kt, e, 1)) {
		env_fini(e);
		return;
	}
	KT_EXPECT_EQ(kt, e->mms[0].context_id, 0u); /* no ASID before the first switch */
	KT_EXPECT_FALSE(kt, run_mm(kt, e, 0, 0, &hit));
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_FALSE(kt, run_mm(kt, e, 0, 1, &hit));
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_NE(kt, asid_ctx_asid(&e->asids, e->mms[0].context_id),
		     asid_ctx_asid(&e->asids, e->mms[1].context_id));
	/* Both translations stay cached under their ASIDs: back and forth, all hits, no flush. */
	uint64_t hits = st->hits, inval = st->invalidated;
	for (int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 2; i++) {
			KT_EXPECT_FALSE(kt, run_mm(kt, e, 0, i, &hit));
			KT_EXPECT_TRUE(kt, hit);
		}
	}
	KT_EXPECT_EQ(kt, st->hits, hits + 6);
	KT_EXPECT_EQ(kt, st->invalidated, inval);
	/* The mmap lock is shared by readers, exclusive to a writer. */
	mmap_read_lock(&e->mms[0]);
	mmap_read_lock(&e->mms[0]);
	mmap_assert_locked(&e->mms[0]);
	KT_EXPECT_FALSE(kt, rwlock_is_write_held(&e->mms[0].mmap_lock));
	mmap_read_unlock(&e->mms[0]);
	KT_EXPECT_TRUE(kt, rwlock_is_locked(&e->mms[0].mmap_lock));
	mmap_read_unlock(&e->mms[0]);
	mmap_write_lock(&e->mms[0]);
	mmap_assert_write_locked(&e->mms[0]);
	mmap_write_unlock(&e->mms[0]);
	KT_EXPECT_FALSE(kt, rwlock_is_locked(&e->mms[0].mmap_lock));
	/* Destroyed, the mms' tables (root, 3 levels below) and pages are all free again. */
	KT_EXPECT_EQ(kt, e->mms[0].pgd.table_pages, 4u);
	KT_EXPECT_LT(kt, free_pages_now(), free0);
	host_set_cpu(0);
	arch_switch_ttbr0(e->bm.ttbr0, false); /* off the mms before they go */
	/* mm_destroy drops the cleared leaves from the TLBs: the pages are about to be reused. */
	struct tlb *tlb = &e->m.cpus[0].tlb;
	uint16_t asid0 = (uint16_t)asid_ctx_asid(&e->asids, e->mms[0].context_id);
	uint16_t asid1 = (uint16_t)asid_ctx_asid(&e->asids, e->mms[1].context_id);
	KT_EXPECT_TRUE(kt, tlb_lookup(tlb, USER_VA, asid0) && tlb_lookup(tlb, USER_VA, asid1));
	drop_mm(e, 0);
	KT_EXPECT_NULL(kt, tlb_lookup(tlb, USER_VA, asid0));
	drop_mm(e, 1);
	KT_EXPECT_NULL(kt, tlb_lookup(tlb, USER_VA, asid1));
	KT_EXPECT_EQ(kt, free_pages_now(), free0);
	env_fini(e);
}

/* 4-bit ASIDs, 20 mms on 2 CPUs: one rollover, paid by a single local flush on each CPU. */
KTEST(mm_struct, rollover_flushes_once)
{
	struct env *e = &env;
	unsigned int flushes[2] = { 0, 0 };
	bool hit;

	if (!env_init(kt, e, 4))
		return;
	unsigned long free0 = free_pages_now();
	for (unsigned int i = 0; i < NR_MMS; i++) {
		if (!make_mm(kt, e, i)) {
			env_fini(e);
			return;
		}
	}
	/*
	 * Both CPUs run mms 0..14, which take the 15 ASIDs; mm 15 rolls over (mm 14, running on
	 * both, keeps its ASID), then mms 15..19 and 0..7 take 13 of the other 14: one rollover.
	 * Reused ASIDs are cached on both CPUs with other mms' pages: a missing flush reads wrong
	 * data.
	 */
	for (unsigned int n = 0; n < 15 + 13; n++)
		for (unsigned int cpu = 0; cpu < 2; cpu++)
			flushes[cpu] += run_mm(kt, e, cpu, n % NR_MMS, &hit);
	KT_EXPECT_EQ(kt, flushes[0], 1u);
	KT_EXPECT_EQ(kt, flushes[1], 1u);
	KT_EXPECT_EQ(kt, e->asids.generation, 2 * BIT(4));
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		host_set_cpu(cpu);
		arch_switch_ttbr0(e->bm.ttbr0, false);
	}
	for (unsigned int i = 0; i < NR_MMS; i++)
		drop_mm(e, i);
	KT_EXPECT_EQ(kt, free_pages_now(), free0);
	env_fini(e);
}

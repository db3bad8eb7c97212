// SPDX-License-Identifier: MIT
/*
 * vmalloc (mm/vmalloc.c) on a booted hosted machine: areas checked through the emulated MMU with
 * the boot's TTBR1 and TCR, data written by an emulated CPU, guard pages, the lazy purge and its
 * TLB invalidation, vmap, /proc/vmallocinfo, and a randomised run under the tree checker.
 */
#include "arch/host/host.h"

#include <hw/mmu.h>
#include <kmm/mm.h>
#include <kmm/setup.h>
#include <kmm/vmalloc.h>

#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (64ULL << 20)

struct env {
	struct hw_machine m, *prev;
	struct boot_params bp;
	struct boot_mm bm;
	struct vmalloc_ctx vc;
	FILE *old;
	char *log;
	size_t loglen;
};

static struct env env;
static struct mem_system ms;
static const struct boot_region ram = { RAM_BASE, RAM_SIZE };

static void env_fini(struct env *e)
{
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
	free(e->log);
}

/* Boot a 2-CPU machine with a page allocator; vmalloc over the layout above the image. */
static bool env_init(struct ktest *kt, struct env *e)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	char err[128];
	FILE *f, *old;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 2, &tlb, &feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	e->bp = (struct boot_params){ .board = "test",
				      .builtin_mem = &ram,
				      .nbuiltin = 1,
				      .image = { .phys = RAM_BASE + 0x200000,
						 .text = 3 << 20,
						 .rodata = 1 << 20,
						 .init = 512 << 10,
						 .data = 700 << 10,
						 .bss = 300 << 10 },
				      .granule = 4096,
				      .va_bits = 48,
				      .ms = &ms,
				      .nr_cpus = 2 };
	if (!KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE), 0)) {
		env_fini(e);
		return false;
	}
	f = open_memstream(&e->log, &e->loglen);
	old = host_console_set(f);
	ret = boot_mm_init(&e->bm, &e->bp, err, sizeof(err));
	host_console_set(old);
	fclose(f);
	if (!KT_EXPECT_EQ(kt, ret, 0) ||
	    !KT_EXPECT_EQ(kt,
			  vmalloc_init(&e->vc, &e->bm.swapper, e->bm.layout.vmalloc_start,
				       e->bm.layout.vmalloc_end, &ms),
			  0) ||
	    !KT_EXPECT_EQ(kt,
			  vmalloc_add_early(&e->vc, e->bm.layout.kimage_vaddr,
					    e->bm.layout.kimage_end - e->bm.layout.kimage_vaddr,
					    VM_MAP, NULL),
			  0)) {
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

static vaddr_t V(const void *p)
{
	return (vaddr_t)(uintptr_t)p;
}

/* @va's translation by the MMU with the boot's registers (no TLB): the fault, the PA in @pa. */
static enum mmu_fault walk(struct env *e, vaddr_t va, paddr_t *pa)
{
	struct mmu_result r;
	enum mmu_fault f =
	    mmu_translate(&e->m.ram, &e->m.cpus[0].regs, &e->m.feat, va, 1, MMU_WRITE, false, &r);

	*pa = r.pa;
	return f;
}

/* Every page of [p, p + n pages) translates to vmalloc_to_page's page; the guard faults. */
static void expect_area(struct ktest *kt, struct env *e, const void *p, unsigned int n)
{
	paddr_t pa;

	for (unsigned int i = 0; i < n; i++) {
		struct page *pg = vmc_vmalloc_to_page(&e->vc, (const char *)p + i * PAGE_SIZE);

		if (!KT_EXPECT_EQ(kt, walk(e, V(p) + i * PAGE_SIZE + 8, &pa), MMU_FAULT_NONE) ||
		    !KT_EXPECT_TRUE(kt, pg))
			return;
		KT_EXPECT_EQ(kt, pa, PFN_PHYS(ms_page_to_pfn(&ms, pg)) + 8);
	}
	KT_EXPECT_EQ(kt, walk(e, V(p) + (uint64_t)n * PAGE_SIZE, &pa), MMU_FAULT_TRANSLATION);
	KT_EXPECT_NULL(kt, vmc_vmalloc_to_page(&e->vc, (const char *)p + n * PAGE_SIZE));
}

KTEST(vmalloc, map_write_guard)
{
	struct env *e = &env;
	struct hw_access acc;
	char buf[64], *data;

	if (!env_init(kt, e))
		return;
	void *p = vmc_vmalloc(&e->vc, 5 * PAGE_SIZE - 100, GFP_KERNEL, NULL);
	KT_ASSERT_TRUE(kt, p);
	KT_EXPECT_GE(kt, V(p), e->bm.layout.kimage_end + PAGE_SIZE);
	KT_EXPECT_LT(kt, V(p), e->bm.layout.vmalloc_end);
	expect_area(kt, e, p, 5);
	memset(buf, 0x5a, sizeof(buf));
	KT_EXPECT_EQ(kt,
		     hw_cpu_write(&e->m.cpus[1], V(p) + 3 * PAGE_SIZE + 40, buf, sizeof(buf), &acc),
		     MMU_FAULT_NONE);
	data = ms_page_address(&ms, vmc_vmalloc_to_page(&e->vc, (char *)p + 3 * PAGE_SIZE));
	KT_EXPECT_EQ(kt, memcmp(data + 40, buf, sizeof(buf)), 0);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e->m.cpus[0], V(p) + 5 * PAGE_SIZE, buf, 1, &acc),
		     MMU_FAULT_TRANSLATION);
	void *z = vmc_vmalloc(&e->vc, PAGE_SIZE, GFP_KERNEL | __GFP_ZERO, NULL);
	KT_ASSERT_TRUE(kt, z);
	KT_EXPECT_EQ(kt, V(z), V(p) + 6 * PAGE_SIZE); /* lowest fit, after p's guard */
	KT_EXPECT_EQ(kt, vmalloc_check(&e->vc), 0);
	env_fini(e);
}

/* vfree: unmapped at once, the stale TLB entry lives until the purge, the VA is reused after. */
KTEST(vmalloc, lazy_purge)
{
	struct env *e = &env;
	struct hw_access acc;
	paddr_t pa;
	char c = 1;

	if (!env_init(kt, e))
		return;
	void *keep = vmc_vmalloc(&e->vc, PAGE_SIZE, GFP_KERNEL, NULL);
	void *p = vmc_vmalloc(&e->vc, 2 * PAGE_SIZE, GFP_KERNEL, NULL);
	KT_ASSERT_TRUE(kt, keep && p);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e->m.cpus[1], V(p), &c, 1, &acc), MMU_FAULT_NONE);
	vmc_vfree(&e->vc, p);
	KT_EXPECT_EQ(kt, walk(e, V(p), &pa), MMU_FAULT_TRANSLATION);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e->m.cpus[1], V(p), &c, 1, &acc), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, acc.tlb_hit); /* stale until the purge */
	KT_EXPECT_EQ(kt, hw_checker_take(&e->m, HW_RULE_STALE_TLB), 1ul);
	void *q = vmc_vmalloc(&e->vc, 2 * PAGE_SIZE, GFP_KERNEL, NULL);
	KT_EXPECT_GT(kt, V(q), V(p)); /* p's VAs are not reused before the purge */
	KT_EXPECT_EQ(kt, vmalloc_check(&e->vc), 0);
	vmc_purge(&e->vc);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e->m.cpus[1], V(p), &c, 1, &acc), MMU_FAULT_TRANSLATION);
	void *r = vmc_vmalloc(&e->vc, 2 * PAGE_SIZE, GFP_KERNEL, NULL);
	KT_EXPECT_EQ(kt, V(r), V(p));
	KT_EXPECT_EQ(kt, vmalloc_check(&e->vc), 0);
	/* Past lazy_max_pages, vfree purges by itself. */
	e->vc.lazy_max_pages = 4;
	vmc_vfree(&e->vc, q);
	KT_EXPECT_EQ(kt, e->vc.lazy_nr, 3);
	vmc_vfree(&e->vc, r);
	KT_EXPECT_EQ(kt, e->vc.lazy_nr, 0);
	KT_EXPECT_EQ(kt, e->vc.nr_purges, 2);
	env_fini(e);
}

KTEST(vmalloc, vmap_and_info)
{
	struct env *e = &env;
	struct page *pages[3];
	struct pte_attrs prot = PAGE_KERNEL;
	char line[160];
	FILE *f, *old;

	if (!env_init(kt, e))
		return;
	for (int i = 0; i < 3; i++)
		KT_ASSERT_TRUE(kt, pages[i] = ms_alloc_pages(&ms, GFP_KERNEL, 0));
	void *m = vmc_vmap(&e->vc, pages, 3, 0, &prot, (void *)0x1234);
	KT_ASSERT_TRUE(kt, m);
	expect_area(kt, e, m, 3);
	for (int i = 0; i < 3; i++)
		KT_EXPECT_TRUE(kt,
			       vmc_vmalloc_to_page(&e->vc, (char *)m + i * PAGE_SIZE) == pages[i]);
	void *v = vmc_vmalloc(&e->vc, 2 * PAGE_SIZE, GFP_KERNEL, (void *)0xabcd);
	KT_ASSERT_TRUE(kt, v);
	vmc_vunmap(&e->vc, m);
	free(e->log);
	f = open_memstream(&e->log, &e->loglen);
	old = host_console_set(f);
	vmc_show_vmallocinfo(&e->vc);
	host_console_set(old);
	fclose(f);
	snprintf(line, sizeof(line),
		 "0x%016llx-0x%016llx   12288 0x000000000000abcd pages=2 vmalloc\n",
		 (unsigned long long)V(v), (unsigned long long)V(v) + 3 * PAGE_SIZE);
	KT_EXPECT_TRUE(kt, strstr(e->log, line));
	snprintf(line, sizeof(line), "0x%016llx-0x%016llx   16384 unpurged vm_area\n",
		 (unsigned long long)V(m), (unsigned long long)V(m) + 4 * PAGE_SIZE);
	KT_EXPECT_TRUE(kt, strstr(e->log, line));
	KT_EXPECT_TRUE(kt, strstr(e->log, " vmap\n")); /* the image */
	for (int i = 0; i < 3; i++)		       /* vunmap left the pages to us */
		ms_free_pages(&ms, pages[i], 0);
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, 0);
	env_fini(e);
}

/* Random vmallocs and vfrees with the checker after each step; tables and pages come back. */
KTEST(vmalloc, random_checked)
{
	struct env *e = &env;
	void *live[64] = { 0 };
	uint64_t rs = kt->seed;
	unsigned long tables0;

	if (!env_init(kt, e))
		return;
	tables0 = e->bm.swapper.table_pages;
	e->vc.lazy_max_pages = 256;
	for (int step = 0; step < 2000; step++) {
		unsigned int i = (unsigned int)ktest_rand_below(&rs, 64);

		if (live[i]) {
			vmc_vfree(&e->vc, live[i]);
			live[i] = NULL;
		} else {
			unsigned long size = 1 + ktest_rand_below(&rs, 24 * PAGE_SIZE);

			live[i] = vmc_vmalloc(&e->vc, size, GFP_KERNEL, NULL);
			KT_ASSERT_TRUE(kt, live[i]);
			if (step % 50 == 0)
				expect_area(kt, e, live[i], (unsigned int)PFN_UP(size));
		}
		KT_ASSERT_EQ(kt, vmalloc_check(&e->vc), 0);
	}
	for (int i = 0; i < 64; i++)
		vmc_vfree(&e->vc, live[i]);
	vmc_purge(&e->vc);
	KT_EXPECT_EQ(kt, vmalloc_check(&e->vc), 0);
	KT_EXPECT_EQ(kt, e->vc.busy.nr, 1); /* the image */
	KT_EXPECT_EQ(kt, e->bm.swapper.table_pages, tables0);
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, 0);
	env_fini(e);
}

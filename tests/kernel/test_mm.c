// SPDX-License-Identifier: MIT
/*
 * The booted kernel's allocators on real memory and the real MMU: the buddy allocator, kmalloc
 * and vmalloc hand out memory that holds what is written to it, and freeing gives it all back;
 * a vfree'd area faults afterwards, which needs its TLB entries gone (QEMU keeps translations
 * cached until the TLB is invalidated, as hardware may).
 */
#include "kernel_test.h"

#include <aarch64/esr.h>
#include <aarch64/traps.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

static unsigned long free_pages_now(void)
{
	unsigned long n = 0;

	ms_drain_all_pages(&mm_default_system);
	for (int nid = 0; nid < mm_default_system.nr_online_nodes; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += mm_default_system.node_data[nid].node_zones[z].nr_free_pages;
	return n;
}

/* Fill @n words at @p with a pattern of @seed, or check that they hold it. */
static void fill(uint64_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = seed ^ (i * 0x9e3779b97f4a7c15ULL);
}

static bool holds(const uint64_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (seed ^ (i * 0x9e3779b97f4a7c15ULL)))
			return false;
	return true;
}

KTEST(kmm, buddy_every_order)
{
	struct page *pages[MAX_ORDER];
	unsigned long before = free_pages_now();

	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		pages[o] = alloc_pages(GFP_KERNEL, o);
		KT_ASSERT_NOT_NULL(kt, pages[o]);
		fill(page_address(pages[o]), (PAGE_SIZE << o) / 8, o);
	}
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		KT_EXPECT_TRUE(kt, holds(page_address(pages[o]), (PAGE_SIZE << o) / 8, o));
		__free_pages(pages[o], o);
	}
	KT_EXPECT_EQ(kt, free_pages_now(), before);
}

KTEST(kmm, kmalloc_sizes)
{
	static const size_t sizes[] = { 1,    8,    24,	  64,	100,   192,    256,
					1000, 2048, 4096, 8192, 65536, 1 << 20 };
	void *p[ARRAY_SIZE(sizes)];

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		p[i] = kmalloc(sizes[i], GFP_KERNEL);
		KT_ASSERT_NOT_NULL(kt, p[i]);
		KT_EXPECT_GE(kt, ksize(p[i]), sizes[i]);
		fill(p[i], sizes[i] / 8, i);
	}
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		KT_EXPECT_TRUE(kt, holds(p[i], sizes[i] / 8, i));
		kfree(p[i]);
	}
}

/* vmalloc'd memory is the pages behind it, seen through the linear map too. */
KTEST(kmm, vmalloc_pages_behind)
{
	const unsigned int n = 16;
	uint64_t *v = vmalloc(n * PAGE_SIZE);

	KT_ASSERT_NOT_NULL(kt, v);
	fill(v, n * PAGE_SIZE / 8, 7);
	for (unsigned int i = 0; i < n; i++) {
		struct page *pg = vmalloc_to_page((char *)v + i * PAGE_SIZE);
		KT_ASSERT_NOT_NULL(kt, pg);
		const uint64_t *lin = page_address(pg);
		KT_EXPECT_EQ(kt, lin[0], v[i * PAGE_SIZE / 8]);
		KT_EXPECT_EQ(kt, lin[PAGE_SIZE / 8 - 1], v[(i + 1) * PAGE_SIZE / 8 - 1]);
	}
	vfree(v);
}

/* The guard page after an area and the area itself once freed: level-3 translation faults. */
KTEST(kmm, vmalloc_faults_after_vfree)
{
	const unsigned int n = 4;
	char *v = vmalloc(n * PAGE_SIZE);
	uint64_t x;

	KT_ASSERT_NOT_NULL(kt, v);
	for (unsigned int i = 0; i < n; i++)
		KT_EXPECT_EQ(kt, aarch64_kernel_write64((vaddr_t)v + i * PAGE_SIZE, i), 0);
	KT_EXPECT_EQ(kt, aarch64_kernel_read64((vaddr_t)v + n * PAGE_SIZE, &x), -EFAULT);
	KT_EXPECT_EQ(kt, esr_fsc(aarch64_last_fixup().esr), ESR_ELx_FSC_FAULT | 3);
	vfree(v);
	vmc_purge(&vmalloc_default); /* unmap the lazily freed area now */
	for (unsigned int i = 0; i < n; i++) {
		KT_EXPECT_EQ(kt, aarch64_kernel_read64((vaddr_t)v + i * PAGE_SIZE, &x), -EFAULT);
		struct aarch64_fault f = aarch64_last_fixup();
		KT_EXPECT_EQ(kt, esr_fsc_type(f.esr), ESR_ELx_FSC_FAULT);
		KT_EXPECT_EQ(kt, f.far, (vaddr_t)v + i * PAGE_SIZE);
	}
}

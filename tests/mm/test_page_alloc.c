// SPDX-License-Identifier: MIT
/*
 * The buddy allocator: split and merge at every order, zone boundaries and holes, migratetype
 * fallback and pageblock stealing, per-CPU refill and drain, every bad-page case (reported,
 * counted, the allocator still consistent), allocation failure reports, a randomised
 * differential test against a model of allocated frames with the checker after every step,
 * and the views' exact text for a small machine.
 */
#include <kmm/arch.h>
#include <kmm/gfp.h>
#include <kmm/memblock.h>
#include <kmm/mm.h>

#include "arch/host/host.h"
#include "hw/cpu.h"

#include "../host/capture.h"
#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SZ_1M 0x100000ULL
#define SZ_1G 0x40000000ULL

static struct mem_system ms;
static struct hw_machine machine;
static struct memblock mb;

/* A machine with RAM banks bank[2i] + [0, bank[2i+1]), memblock-described, the allocator up
 * with @p (its nr_cpus set). */
static bool up_with(const paddr_t *bank, unsigned int n, const struct mm_init_params *p)
{
	if (hw_machine_init(&machine, p->nr_cpus, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT))
		return false;
	memblock_init(&mb);
	for (unsigned int i = 0; i < n; i++) {
		if (hw_ram_add(&machine.ram, bank[2 * i], bank[2 * i + 1]) ||
		    memblock_add(&mb, bank[2 * i], bank[2 * i + 1]))
			goto fail;
	}
	host_attach(&machine);
	host_set_cpu(0);
	if (mm_core_init(&ms, &mb, p) == 0)
		return true;
	host_attach(NULL);
fail:
	hw_machine_destroy(&machine);
	return false;
}

static bool up(const paddr_t *bank, unsigned int n, unsigned int cpus)
{
	return up_with(bank, n, &(struct mm_init_params){ .nr_cpus = cpus });
}

static void down(void)
{
	host_set_cpu(0);
	host_attach(NULL);
	hw_machine_destroy(&machine);
}

static struct zone *zone_of(int z)
{
	return &ms.node_data[0].node_zones[z];
}

/* printk output of the code between cap_start and cap_stop, copied into @buf. */
static void cap_start(struct capture *c)
{
	capture_start(c);
}

static void cap_stop(struct capture *c, char *buf, size_t size)
{
	const char *text = capture_stop(c);
	size_t n = strlen(text);

	n = n < size - 1 ? n : size - 1;
	memcpy(buf, text, n);
	buf[n] = '\0';
	capture_free(c);
}

static void snapshot(const struct zone *z, unsigned long *nr)
{
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		nr[o] = z->free_area[o].nr_free;
}

KTEST(page_alloc, split_and_merge_every_order)
{
	const paddr_t bank[] = { SZ_1G, 64 * SZ_1M };
	unsigned long before[MAX_ORDER], after[MAX_ORDER];
	struct zone *z;

	KT_ASSERT_TRUE(kt, up(bank, 1, 1));
	z = zone_of(ZONE_DMA);
	snapshot(z, before);
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		struct page *p = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_MOVABLE, o);
		unsigned long pfn;

		KT_ASSERT_NOT_NULL(kt, p);
		pfn = ms_page_to_pfn(&ms, p);
		KT_EXPECT_TRUE(kt, IS_ALIGNED(pfn, 1UL << o));
		KT_EXPECT_EQ(kt, page_ref_count(p), 1);
		KT_EXPECT_FALSE(kt, PageBuddy(p));
		KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
		ms_free_pages(&ms, p, o);
		ms_drain_all_pages(&ms);
		KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
		snapshot(z, after);
		/* Everything merged back: the same blocks as before. */
		KT_EXPECT_EQ(kt, memcmp(before, after, sizeof(before)), 0);
	}
	/* A split by hand: an order-5 block (past the pcp orders) comes from the smallest free
	 * block of order >= 5, whose upper halves stay free one per order (expand); freeing it
	 * merges them all back. */
	unsigned int from = 5;

	while (!before[from])
		from++;
	struct page *big = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_MOVABLE, 5);
	KT_ASSERT_NOT_NULL(kt, big);
	snapshot(z, after);
	for (unsigned int o = 5; o < from; o++)
		KT_EXPECT_EQ(kt, after[o], before[o] + 1);
	KT_EXPECT_EQ(kt, after[from], before[from] - 1);
	ms_free_pages(&ms, big, 5);
	snapshot(z, after);
	KT_EXPECT_EQ(kt, memcmp(before, after, sizeof(before)), 0);
	KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
	down();
}

KTEST(page_alloc, zone_boundary_and_holes)
{
	/* [3 GiB, 4 GiB) DMA and [4 GiB, 4 GiB + 128M) Normal, contiguous across the zone
	 * boundary; a hole after them and a bank at 8 GiB. */
	const paddr_t bank[] = { 3 * SZ_1G, SZ_1G, 4 * SZ_1G, 128 * SZ_1M, 8 * SZ_1G, 64 * SZ_1M };
	struct page *pages[4096];
	unsigned int n = 0;

	KT_ASSERT_TRUE(kt, up(bank, 3, 1));
	KT_EXPECT_EQ(kt, zone_of(ZONE_NORMAL)->zone_start_pfn, 0x100000ul);
	/* Take everything in order-10 blocks, then free it all: no block may cross 4 GiB or
	 * the hole (the checker verifies every block lies inside its zone and flags). */
	while (n < ARRAY_SIZE(pages)) {
		struct page *p = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_NOWARN, MAX_ORDER - 1);

		if (!p)
			break;
		pages[n++] = p;
	}
	KT_EXPECT_GT(kt, n, 0u);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	for (unsigned int i = 0; i < n; i++)
		ms_free_pages(&ms, pages[i], MAX_ORDER - 1);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	KT_EXPECT_EQ(kt, zone_of(ZONE_NORMAL)->nr_free_pages, zone_of(ZONE_NORMAL)->managed_pages);
	KT_EXPECT_EQ(kt, zone_of(ZONE_DMA)->nr_free_pages, zone_of(ZONE_DMA)->managed_pages);
	/* GFP_DMA comes from ZONE_DMA; GFP_KERNEL prefers Normal. */
	struct page *d = ms_alloc_pages(&ms, GFP_DMA, 0), *k = ms_alloc_pages(&ms, GFP_KERNEL, 0);
	KT_ASSERT_NOT_NULL(kt, d);
	KT_ASSERT_NOT_NULL(kt, k);
	KT_EXPECT_EQ(kt, page_zonenum(d), ZONE_DMA);
	KT_EXPECT_EQ(kt, page_zonenum(k), ZONE_NORMAL);
	ms_free_pages(&ms, d, 0);
	ms_free_pages(&ms, k, 0);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

static unsigned long blocks_of(const struct zone *z, int mt)
{
	unsigned long n = 0;

	for (unsigned long pfn = z->zone_start_pfn; pfn < zone_end_pfn(z);
	     pfn += pageblock_nr_pages)
		n += get_pfnblock_migratetype(&ms, pfn) == mt;
	return n;
}

KTEST(page_alloc, fallback_steals_pageblocks)
{
	const paddr_t bank[] = { SZ_1G, 32 * SZ_1M };
	const gfp_t gfp[] = { GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE };
	const int mt[] = { MIGRATE_UNMOVABLE, MIGRATE_RECLAIMABLE };
	struct zone *z;

	KT_ASSERT_TRUE(kt, up(bank, 1, 1));
	z = zone_of(ZONE_DMA);
	/* Every pageblock of memory starts Movable. */
	KT_EXPECT_EQ(kt, blocks_of(z, MIGRATE_MOVABLE), 16ul);
	for (unsigned int i = 0; i < ARRAY_SIZE(gfp); i++) {
		/* The first Unmovable (Reclaimable) page falls back to Movable's largest block,
		 * an order-10 block: both its pageblocks change type (can_steal_fallback). */
		struct page *p = ms_alloc_pages(&ms, gfp[i], 0);

		KT_ASSERT_NOT_NULL(kt, p);
		KT_EXPECT_EQ(kt, get_pfnblock_migratetype(&ms, ms_page_to_pfn(&ms, p)), mt[i]);
		KT_EXPECT_EQ(kt, blocks_of(z, mt[i]), 2ul);
		KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
		ms_free_pages(&ms, p, 0);
	}
	/* Movable falls back too: once Unmovable requests took every order-10 block, an order-10
	 * Movable request steals one back (both pageblocks change type). */
	struct page *all[32];
	unsigned int n = 0;
	unsigned long movable_left;

	while (n < ARRAY_SIZE(all) &&
	       (all[n] = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_NOWARN, MAX_ORDER - 1)))
		n++;
	movable_left = blocks_of(z, MIGRATE_MOVABLE);
	for (unsigned int i = 0; i < n; i++)
		ms_free_pages(&ms, all[i], MAX_ORDER - 1);
	struct page *m = ms_alloc_pages(&ms, GFP_HIGHUSER_MOVABLE, MAX_ORDER - 1);
	KT_ASSERT_NOT_NULL(kt, m);
	KT_EXPECT_EQ(kt, get_pfnblock_migratetype(&ms, ms_page_to_pfn(&ms, m)), MIGRATE_MOVABLE);
	KT_EXPECT_EQ(kt, blocks_of(z, MIGRATE_MOVABLE), movable_left + 2);
	ms_free_pages(&ms, m, MAX_ORDER - 1);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	/* Below the low watermark, a high-order atomic allocation takes the slow path (min, less
	 * the __GFP_HIGH and __GFP_ATOMIC reductions) and reserves its pageblock as HighAtomic. */
	static struct page *pages[8192];
	unsigned int k = 0;

	while (k < ARRAY_SIZE(pages) &&
	       (pages[k] = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_NOWARN, 0)))
		k++;
	KT_EXPECT_LE(kt, z->nr_free_pages, low_wmark_pages(z));
	while (k && z->nr_free_pages < min_wmark_pages(z) + 16) {
		ms_free_pages(&ms, pages[--k], 0);
		ms_drain_all_pages(&ms);
	}
	/* A high-order atomic allocation reserves its pageblock as HighAtomic. */
	struct page *a = ms_alloc_pages(&ms, GFP_ATOMIC, 2);
	KT_ASSERT_NOT_NULL(kt, a);
	KT_EXPECT_EQ(kt, get_pfnblock_migratetype(&ms, ms_page_to_pfn(&ms, a)), MIGRATE_HIGHATOMIC);
	KT_EXPECT_EQ(kt, z->nr_reserved_highatomic, pageblock_nr_pages);
	ms_free_pages(&ms, a, 2);
	while (k)
		ms_free_pages(&ms, pages[--k], 0);
	ms_drain_all_pages(&ms);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(page_alloc, pcp_refill_and_drain)
{
	const paddr_t bank[] = { SZ_1G, SZ_1G };
	struct per_cpu_pages *pcp0, *pcp1;
	struct page *p[2000];
	unsigned long free0;
	struct zone *z;

	KT_ASSERT_TRUE(kt, up(bank, 1, 2));
	z = zone_of(ZONE_DMA);
	pcp0 = &z->per_cpu_pageset[0];
	pcp1 = &z->per_cpu_pageset[1];
	free0 = z->nr_free_pages;
	/* batch 63; high = max(low / 2 CPUs, 4 * batch) = max(1276 / 2, 252) = 638. */
	KT_EXPECT_EQ(kt, pcp0->batch, 63);
	KT_EXPECT_EQ(kt, pcp0->high, 638);
	p[0] = ms_alloc_pages(&ms, GFP_KERNEL, 0);
	KT_ASSERT_NOT_NULL(kt, p[0]);
	/* The refill took a batch from the buddy lists; one page left the list. */
	KT_EXPECT_EQ(kt, pcp0->count, 62);
	KT_EXPECT_EQ(kt, z->nr_free_pages, free0 - 63);
	KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
	/* Order 2 uses its own list: batch >> 2 = 15 blocks. */
	struct page *o2 = ms_alloc_pages(&ms, GFP_KERNEL, 2);
	KT_ASSERT_NOT_NULL(kt, o2);
	KT_EXPECT_EQ(kt, pcp0->count, 62 + 14 * 4);
	ms_free_pages(&ms, o2, 2);
	/* CPU 1 frees a page CPU 0 allocated: it goes to CPU 1's list. */
	host_set_cpu(1);
	ms_free_pages(&ms, p[0], 0);
	KT_EXPECT_EQ(kt, pcp1->count, 1);
	host_set_cpu(0);
	for (unsigned int i = 0; i < ARRAY_SIZE(p); i++) {
		p[i] = ms_alloc_pages(&ms, GFP_KERNEL, 0);
		KT_ASSERT_NOT_NULL(kt, p[i]);
	}
	/* Freeing them all: count reaches high and drains in batches, never past high. */
	for (unsigned int i = 0; i < ARRAY_SIZE(p); i++) {
		ms_free_pages(&ms, p[i], 0);
		KT_ASSERT_LT(kt, pcp0->count, pcp0->high);
	}
	KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
	ms_drain_all_pages(&ms);
	KT_EXPECT_EQ(kt, pcp0->count, 0);
	KT_EXPECT_EQ(kt, pcp1->count, 0);
	KT_EXPECT_EQ(kt, z->nr_free_pages, free0);
	KT_EXPECT_EQ(kt, page_alloc_check(z), 0);
	down();
}

/* Free @p as @order and expect one bad-page report with @what in it, the allocator intact. */
static void expect_bad(struct ktest *kt, struct page *p, unsigned int order, const char *what)
{
	unsigned long bad = ms.nr_bad_pages;
	struct capture c;
	char out[4096];

	cap_start(&c);
	ms_free_pages(&ms, p, order);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, bad + 1);
	KT_EXPECT_NOT_NULL(kt, strstr(out, "BUG: Bad page state"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, what));
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
}

KTEST(page_alloc, bad_pages_reported_and_leaked)
{
	const paddr_t bank[] = { SZ_1G, 16 * SZ_1M };
	struct page *p, foreign = { 0 };
	unsigned long free;

	KT_ASSERT_TRUE(kt, up(bank, 1, 1));
	/* Double free of a page on a per-CPU list, then of a page on a buddy list. */
	p = ms_alloc_pages(&ms, GFP_KERNEL, 0);
	ms_free_pages(&ms, p, 0);
	expect_bad(kt, p, 0, "refcount is already 0");
	p = ms_alloc_pages(&ms, GFP_KERNEL, 5);
	ms_free_pages(&ms, p, 5);
	expect_bad(kt, p, 5, "PG_buddy");
	/* Wrong order: reported, and the block is still allocated (freeable right after). */
	p = ms_alloc_pages(&ms, GFP_KERNEL, 2);
	expect_bad(kt, p, 1, "freed with order:1, allocated with order:2");
	ms_free_pages(&ms, p, 2);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	/* A tail page of a block. */
	p = ms_alloc_pages(&ms, GFP_KERNEL, 2);
	expect_bad(kt, p + 1, 0, "refcount is already 0");
	/* Still referenced, mapped, with a mapping: each leaked. */
	free = zone_of(ZONE_DMA)->nr_free_pages;
	p->_refcount = 2;
	expect_bad(kt, p, 2, "nonzero _refcount");
	p->_refcount = 1;
	p->_mapcount = 0;
	expect_bad(kt, p, 2, "nonzero mapcount");
	p->_mapcount = -1;
	p->mapping = &foreign;
	expect_bad(kt, p, 2, "non-NULL mapping");
	p->mapping = NULL;
	p->flags |= BIT(PG_lru);
	expect_bad(kt, p, 2, "PAGE_FLAGS_CHECK_AT_FREE");
	KT_EXPECT_EQ(kt, zone_of(ZONE_DMA)->nr_free_pages, free);
	/* A reserved page (the memory map), a struct page not of the map, a bad address. */
	expect_bad(kt, ms_pfn_to_page(&ms, ms.max_pfn - 1), 0, "reserved");
	expect_bad(kt, &foreign, 0, "not a struct page of the memory map");
	unsigned long bad = ms.nr_bad_pages;
	struct capture c;
	char out[1024];
	int local;

	cap_start(&c);
	ms_free_pages_addr(&ms, &local, 0);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, bad + 1);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(page_alloc, failures_and_zeroing)
{
	const paddr_t bank[] = { SZ_1G, 8 * SZ_1M };
	struct capture c;
	static char out[16384];
	struct page *p;

	KT_ASSERT_TRUE(kt, up(bank, 1, 1));
	cap_start(&c);
	p = ms_alloc_pages(&ms, GFP_KERNEL, MAX_ORDER);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_NULL(kt, p);
	KT_EXPECT_NOT_NULL(kt, strstr(out, "WARNING"));
	cap_start(&c);
	p = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_NOWARN, MAX_ORDER);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_NULL(kt, p);
	KT_EXPECT_STREQ(kt, out, "");
	/* Exhaust order-10 blocks: the next one fails with warn_alloc's report. */
	while (ms_alloc_pages(&ms, GFP_KERNEL | __GFP_NOWARN, MAX_ORDER - 1))
		;
	cap_start(&c);
	p = ms_alloc_pages(&ms, GFP_KERNEL, MAX_ORDER - 1);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_NULL(kt, p);
	KT_EXPECT_NOT_NULL(kt, strstr(out, "kmm: page allocation failure: order:10, "
					   "mode:0xcc0(GFP_KERNEL), nodemask=(null)\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node 0 DMA free:"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "lowmem_reserve[]: 0 0 0 0\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node 0 DMA: "));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "0*4096kB = "));
	/* __GFP_ZERO zeroes what was written. */
	p = ms_alloc_pages(&ms, GFP_KERNEL, 1);
	KT_ASSERT_NOT_NULL(kt, p);
	memset(ms_page_address(&ms, p), 0xa5, 2 * PAGE_SIZE);
	ms_free_pages(&ms, p, 1);
	p = ms_alloc_pages(&ms, GFP_KERNEL | __GFP_ZERO, 1);
	KT_ASSERT_NOT_NULL(kt, p);
	const unsigned char *b = ms_page_address(&ms, p);
	KT_EXPECT_EQ(kt, b[0] | b[PAGE_SIZE] | b[2 * PAGE_SIZE - 1], 0);
	KT_EXPECT_TRUE(kt, ms_virt_to_page(&ms, b + 100) == p);
	ms_free_pages_addr(&ms, b, 1);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(page_alloc, gfp_zone_and_names)
{
	char buf[128];

	KT_EXPECT_EQ(kt, gfp_zone(GFP_KERNEL), ZONE_NORMAL);
	KT_EXPECT_EQ(kt, gfp_zone(GFP_DMA), ZONE_DMA);
	KT_EXPECT_EQ(kt, gfp_zone(GFP_DMA32), ZONE_DMA32);
	KT_EXPECT_EQ(kt, gfp_zone(GFP_HIGHUSER_MOVABLE), ZONE_MOVABLE);
	KT_EXPECT_EQ(kt, gfp_zone(__GFP_MOVABLE), ZONE_NORMAL);
	KT_EXPECT_EQ(kt, gfp_zone(__GFP_DMA | __GFP_DMA32), -1);
	KT_EXPECT_EQ(kt, gfp_migratetype(GFP_HIGHUSER_MOVABLE), MIGRATE_MOVABLE);
	KT_EXPECT_EQ(kt, gfp_migratetype(__GFP_RECLAIMABLE), MIGRATE_RECLAIMABLE);
	KT_EXPECT_EQ(kt, GFP_KERNEL, 0xcc0u);
	KT_EXPECT_EQ(kt, GFP_ATOMIC, 0xa20u);
	gfp_snprint(buf, sizeof(buf), GFP_KERNEL | __GFP_NOWARN | __GFP_ZERO);
	KT_EXPECT_STREQ(kt, buf, "GFP_KERNEL|__GFP_NOWARN|__GFP_ZERO");
	gfp_snprint(buf, sizeof(buf), GFP_ATOMIC | __GFP_DMA);
	KT_EXPECT_STREQ(kt, buf, "GFP_ATOMIC|GFP_DMA");
	gfp_snprint(buf, sizeof(buf), 0x80000000u);
	KT_EXPECT_STREQ(kt, buf, "0x80000000");
}

/* The model: which frames are allocated, and the live blocks. */
struct block {
	struct page *page;
	unsigned long pfn;
	unsigned int order;
};

static void random_run(struct ktest *kt, unsigned long ops, unsigned long check_every)
{
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_KERNEL | __GFP_RECLAIMABLE,
				      GFP_HIGHUSER_MOVABLE, GFP_ATOMIC, GFP_DMA };
	static struct block live[8192];
	static uint8_t used[0x6000];
	unsigned long n = 0, base = 0x40000;
	uint64_t rs = kt->seed;

	memset(used, 0, sizeof(used));
	for (unsigned long step = 0; step < ops; step++) {
		bool do_alloc = n == 0 || (n < ARRAY_SIZE(live) && ktest_rand_below(&rs, 100) < 52);

		if (do_alloc) {
			unsigned int r = (unsigned int)ktest_rand_below(&rs, 100);
			unsigned int order = r < 70   ? 0
					     : r < 90 ? (r & 3)
						      : (unsigned int)(r % MAX_ORDER);
			gfp_t gfp = gfps[ktest_rand_below(&rs, ARRAY_SIZE(gfps))] | __GFP_NOWARN;
			struct page *p = ms_alloc_pages(&ms, gfp, order);

			if (!p)
				continue;
			unsigned long pfn = ms_page_to_pfn(&ms, p);

			for (unsigned long i = 0; i < (1UL << order); i++) {
				KT_ASSERT_EQ(kt, used[pfn - base + i], 0);
				used[pfn - base + i] = 1;
			}
			live[n++] = (struct block){ p, pfn, order };
		} else {
			unsigned long k = ktest_rand_below(&rs, n);
			struct block b = live[k];

			live[k] = live[--n];
			for (unsigned long i = 0; i < (1UL << b.order); i++)
				used[b.pfn - base + i] = 0;
			host_set_cpu((unsigned int)ktest_rand_below(&rs, ms.nr_cpus));
			ms_free_pages(&ms, b.page, b.order);
			host_set_cpu(0);
		}
		if (step % check_every == 0)
			KT_ASSERT_EQ(kt, ms_page_alloc_check(&ms), 0);
	}
	while (n) {
		n--;
		ms_free_pages(&ms, live[n].page, live[n].order);
	}
	ms_drain_all_pages(&ms);
	KT_ASSERT_EQ(kt, ms_page_alloc_check(&ms), 0);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		KT_EXPECT_EQ(kt, zone_of(z)->nr_free_pages, zone_of(z)->managed_pages);
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, 0ul);
}

#if defined(__SANITIZE_ADDRESS__)
#define KMM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMM_ASAN 1
#endif
#endif

KTEST(page_alloc, random_differential_checked_every_step)
{
	/* Two banks with a hole: 8 MiB + 8 MiB; 3 CPUs. */
	const paddr_t bank[] = { SZ_1G, 8 * SZ_1M, SZ_1G + 16 * SZ_1M, 8 * SZ_1M };

	KT_ASSERT_TRUE(kt, up(bank, 2, 3));
#ifdef KMM_ASAN
	random_run(kt, 5000, 1);
#else
	random_run(kt, 30000, 1);
#endif
	down();
}

KTEST(page_alloc, random_differential_long)
{
	const paddr_t bank[] = { SZ_1G, 64 * SZ_1M, SZ_1G + 80 * SZ_1M, 16 * SZ_1M };

	KT_ASSERT_TRUE(kt, up(bank, 2, 3));
#ifdef KMM_ASAN
	random_run(kt, 100000, 20000);
#else
	random_run(kt, 1000000, 50000);
#endif
	down();
}

KTEST(page_alloc, views_exact_text)
{
	const paddr_t bank[] = { SZ_1G, 8 * SZ_1M };
	static char out[8192];
	struct capture c;

	KT_ASSERT_TRUE(kt, up(bank, 1, 1));
	/* 8 MiB = 2048 pages; the map took 1 + 385 pages from the top: 1662 managed, free from
	 * pfn 0x40000 up, so the blocks are 1662's binary digits: orders 10, 9, 6, 5, 4, 3, 2, 1
	 * (6648 kB), all Movable, in the 4 pageblocks the 2048 pages make. */
	cap_start(&c);
	show_buddyinfo(&ms);
	show_meminfo(&ms);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_STREQ(kt, out,
			"Node 0, zone      DMA      0      1      1      1      1      1      1"
			"      0      0      1      1 \n"
			"MemTotal:           6648 kB\n"
			"MemFree:            6648 kB\n");
	cap_start(&c);
	show_zoneinfo(&ms);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node 0, zone      DMA\n  pages free     1662\n"
					   "        boost    0\n        min      "));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "        spanned  2048\n        present  2048\n"
					   "        managed  1662\n        cma      0\n"
					   "        protection: (0, 0, 0, 0)\n  pagesets\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node 0, zone    DMA32\n  pages free     0\n"));
	cap_start(&c);
	show_pagetypeinfo(&ms);
	cap_stop(&c, out, sizeof(out));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Page block order: 9\nPages per block:  512\n\n"
					   "Free pages count per migrate type at order       0 "));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node    0, zone      DMA, type      Movable "));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "\nNumber of blocks type     Unmovable      Movable "
					   " Reclaimable   HighAtomic      Isolate \n"
					   "Node 0, zone      DMA            0            4 "));
	down();
}

/* The zone of every page of an allocated block, or -1 when they differ. */
static int block_zone(struct page *p, unsigned int order)
{
	for (unsigned long i = 1; i < (1UL << order); i++) {
		if (page_zonenum(p + i) != page_zonenum(p))
			return -1;
	}
	return (int)page_zonenum(p);
}

/* 32 MiB, the top 8 MiB Movable (the 386-page map sits in it: 1662 managed); 2 CPUs. */
static bool up_movable(void)
{
	const paddr_t bank[] = { SZ_1G, 32 * SZ_1M };

	return up_with(bank, 1, &(struct mm_init_params){ .nr_cpus = 2, .movablecore = 8 * SZ_1M });
}

KTEST(page_alloc, zone_movable_only_for_movable_gfp)
{
	static const gfp_t kernel_gfps[] = { GFP_KERNEL, GFP_KERNEL | __GFP_MOVABLE, GFP_HIGHUSER };
	static struct block live[8192];
	unsigned long n = 0, in_movable = 0;
	struct zone *dma, *mov;
	struct page *pg;

	KT_ASSERT_TRUE(kt, up_movable());
	dma = zone_of(ZONE_DMA);
	mov = zone_of(ZONE_MOVABLE);
	KT_EXPECT_EQ(kt, zone_end_pfn(dma), 0x41800ul);
	KT_EXPECT_EQ(kt, mov->zone_start_pfn, 0x41800ul);
	KT_EXPECT_EQ(kt, mov->managed_pages, 1662ul);
	/* GFP_HIGHUSER_MOVABLE prefers Movable, at pcp and buddy orders. */
	for (unsigned int o = 0; o < 6; o += 5) {
		pg = ms_alloc_pages(&ms, GFP_HIGHUSER_MOVABLE, o);
		KT_ASSERT_NOT_NULL(kt, pg);
		KT_EXPECT_EQ(kt, block_zone(pg, o), ZONE_MOVABLE);
		ms_free_pages(&ms, pg, o);
	}
	/* Exhaust memory for what gfp_zone sends to Normal (no __GFP_HIGHMEM with
	 * __GFP_MOVABLE): all of it from DMA, Movable keeps every page. */
	ms_drain_all_pages(&ms);
	for (;;) {
		unsigned int order = n % 4 ? 0 : 2;

		KT_ASSERT_LT(kt, n, ARRAY_SIZE(live));
		pg = ms_alloc_pages(&ms, kernel_gfps[n % 3] | __GFP_NOWARN, order);
		if (!pg)
			break;
		KT_EXPECT_EQ(kt, block_zone(pg, order), ZONE_DMA);
		live[n++] = (struct block){ pg, 0, order };
	}
	KT_EXPECT_EQ(kt, mov->nr_free_pages, mov->managed_pages);
	KT_EXPECT_EQ(kt, zone_pcp_pages(mov), 0ul);
	/* GFP_HIGHUSER_MOVABLE still gets Movable's pages, down to its watermarks. */
	while (n < ARRAY_SIZE(live) &&
	       (pg = ms_alloc_pages(&ms, GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0))) {
		in_movable += block_zone(pg, 0) == ZONE_MOVABLE;
		live[n++] = (struct block){ pg, 0, 0 };
	}
	KT_EXPECT_GE(kt, in_movable, mov->managed_pages - 2 * low_wmark_pages(mov));
	KT_EXPECT_LE(kt, mov->nr_free_pages + zone_pcp_pages(mov), low_wmark_pages(mov));
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	while (n--)
		ms_free_pages(&ms, live[n].page, live[n].order);
	ms_drain_all_pages(&ms);
	KT_EXPECT_EQ(kt, mov->nr_free_pages, mov->managed_pages);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(page_alloc, zone_movable_random_run_checked)
{
	KT_ASSERT_TRUE(kt, up_movable());
#ifdef KMM_ASAN
	random_run(kt, 5000, 1);
#else
	random_run(kt, 30000, 1);
#endif
	down();
}

KTEST(page_alloc, zone_movable_in_views)
{
	static char out[16384];
	struct capture c;

	KT_ASSERT_TRUE(kt, up_movable());
	cap_start(&c);
	show_zoneinfo(&ms);
	show_buddyinfo(&ms);
	cap_stop(&c, out, sizeof(out));
	/* DMA: 6144 pages; Movable: 2048, 1662 managed; DMA's protection against Movable
	 * allocations is 1662 / 256 = 6. */
	KT_EXPECT_NOT_NULL(kt, strstr(out, "        spanned  6144\n        present  6144\n"
					   "        managed  6144\n        cma      0\n"
					   "        protection: (0, 0, 0, 6)\n  pagesets\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "Node 0, zone  Movable\n  pages free     1662\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "        spanned  2048\n        present  2048\n"
					   "        managed  1662\n        cma      0\n"
					   "        protection: (0, 0, 0, 0)\n  pagesets\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "  start_pfn:           268288\n"));
	KT_EXPECT_NOT_NULL(kt,
			   strstr(out, "Node 0, zone  Movable      0      1      1      1      1"
				       "      1      1      0      0      1      1 \n"));
	down();
}

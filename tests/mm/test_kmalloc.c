// SPDX-License-Identifier: MIT
/*
 * The kmalloc family (mm/slub.c): size classes and their names, natural alignment, kzalloc,
 * kcalloc's overflow check, krealloc growing and shrinking, ksize, large allocations from the
 * page allocator, kfree of pointers kmalloc never returned (reported, nothing freed), the
 * Linux-named calls on the default systems, and a randomised differential test against a model
 * of live blocks and their contents.
 */
#include <kmm/arch.h>
#include <kmm/gfp.h>
#include <kmm/memblock.h>
#include <kmm/mm.h>
#include <kmm/slab.h>

#include "arch/host/host.h"
#include "hw/cpu.h"

#include "../host/capture.h"
#include "slab_env.h"
#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SZ_1M 0x100000ULL

static struct mem_system ms;
static struct hw_machine machine;
static struct memblock mb;
static struct slab_system ss;

/* A 128 MiB machine with @cpus CPUs, the page allocator on @m, and a slab system @s on it. */
static bool up_on(struct mem_system *m, struct slab_system *s, unsigned int cpus)
{
	return slab_env_up(&machine, &mb, m, s, cpus, 128 * SZ_1M, 0);
}

static bool up(unsigned int cpus)
{
	return up_on(&ms, &ss, cpus);
}

static void down(void)
{
	slab_env_down(&machine);
}

static unsigned long free_pages_now(void)
{
	return slab_env_free_pages(&ms);
}

static const char *slab_name(size_t size)
{
	struct kmem_cache *s = ss_kmalloc_slab(&ss, size);

	return s ? s->name : "(none)";
}

KTEST(kmalloc, size_classes)
{
	KT_ASSERT_TRUE(kt, up(1));
	KT_EXPECT_STREQ(kt, slab_name(1), "kmalloc-8");
	KT_EXPECT_STREQ(kt, slab_name(8), "kmalloc-8");
	KT_EXPECT_STREQ(kt, slab_name(9), "kmalloc-16");
	KT_EXPECT_STREQ(kt, slab_name(64), "kmalloc-64");
	KT_EXPECT_STREQ(kt, slab_name(65), "kmalloc-96");
	KT_EXPECT_STREQ(kt, slab_name(96), "kmalloc-96");
	KT_EXPECT_STREQ(kt, slab_name(97), "kmalloc-128");
	KT_EXPECT_STREQ(kt, slab_name(129), "kmalloc-192");
	KT_EXPECT_STREQ(kt, slab_name(193), "kmalloc-256");
	KT_EXPECT_STREQ(kt, slab_name(1000), "kmalloc-1k");
	KT_EXPECT_STREQ(kt, slab_name(4097), "kmalloc-8k");
	KT_EXPECT_STREQ(kt, slab_name(8192), "kmalloc-8k");
	KT_EXPECT_STREQ(kt, slab_name(8193), "(none)");
	KT_EXPECT_STREQ(kt, slab_name(0), "(none)");
	KT_EXPECT_TRUE(kt, ss_kmalloc(&ss, 0, GFP_KERNEL, 0) == ZERO_SIZE_PTR);
	ss_kfree(&ss, ZERO_SIZE_PTR);
	ss_kfree(&ss, NULL);
	KT_EXPECT_EQ(kt, ss_ksize(&ss, ZERO_SIZE_PTR), 0ul);
	/* power-of-two sizes are naturally aligned */
	for (unsigned int sh = 3; sh <= 13; sh++) {
		void *p = ss_kmalloc(&ss, 1UL << sh, GFP_KERNEL, 0);

		KT_ASSERT_NOT_NULL(kt, p);
		KT_EXPECT_EQ(kt, (uintptr_t)p % (1UL << sh), 0u);
		KT_EXPECT_EQ(kt, ss_ksize(&ss, p), 1UL << sh);
		ss_kfree(&ss, p);
	}
	KT_EXPECT_EQ(kt, ss.nr_reports, 0ul);
	KT_EXPECT_EQ(kt, ss_slab_check(&ss), 0);
	down();
}

KTEST(kmalloc, krealloc_keeps_contents)
{
	uint8_t *p, *q;

	KT_ASSERT_TRUE(kt, up(1));
	p = ss_kmalloc(&ss, 40, GFP_KERNEL, 0);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_EQ(kt, ss_ksize(&ss, p), 64ul);
	for (int i = 0; i < 40; i++)
		p[i] = (uint8_t)i;
	q = ss_krealloc(&ss, p, 60, GFP_KERNEL, 0); /* fits: the same block */
	KT_EXPECT_TRUE(kt, q == p);
	q = ss_krealloc(&ss, p, 3000, GFP_KERNEL | __GFP_ZERO, 0);
	KT_ASSERT_NOT_NULL(kt, q);
	KT_EXPECT_TRUE(kt, q != p);
	KT_EXPECT_EQ(kt, ss_ksize(&ss, q), 4096ul);
	for (int i = 0; i < 40; i++)
		KT_EXPECT_EQ(kt, q[i], i);
	KT_EXPECT_EQ(kt, q[64], 0);
	KT_EXPECT_EQ(kt, q[2999], 0);
	p = ss_krealloc(&ss, q, 20000, GFP_KERNEL, 0); /* grows into pages */
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_EQ(kt, ss_ksize(&ss, p), 32768ul); /* order 3 */
	for (int i = 0; i < 40; i++)
		KT_EXPECT_EQ(kt, p[i], i);
	q = ss_krealloc(&ss, p, 10, GFP_KERNEL, 0); /* shrinking keeps the block */
	KT_EXPECT_TRUE(kt, q == p);
	KT_EXPECT_TRUE(kt, ss_krealloc(&ss, q, 0, GFP_KERNEL, 0) == ZERO_SIZE_PTR);
	KT_EXPECT_EQ(kt, ss.nr_large, 0ul);
	p = ss_krealloc(&ss, NULL, 5, GFP_KERNEL, 0);
	KT_EXPECT_STREQ(kt, slab_name(ss_ksize(&ss, p)), "kmalloc-8");
	ss_kfree(&ss, p);
	KT_EXPECT_EQ(kt, ss.nr_reports, 0ul);
	KT_EXPECT_EQ(kt, ss_slab_check(&ss), 0);
	down();
}

KTEST(kmalloc, large_from_pages)
{
	unsigned long before;
	struct page *page;
	uint8_t *p;

	KT_ASSERT_TRUE(kt, up(1));
	before = free_pages_now();
	p = ss_kmalloc(&ss, 3 * PAGE_SIZE, GFP_KERNEL | __GFP_ZERO, 0);
	KT_ASSERT_NOT_NULL(kt, p);
	page = ms_virt_to_page(&ms, p);
	KT_EXPECT_EQ(kt, (unsigned long)FIELD_GET(PAGE_ORDER_MASK, page->flags), 3ul); /* order 2 */
	KT_EXPECT_EQ(kt, ss_ksize(&ss, p), 4 * PAGE_SIZE);
	KT_EXPECT_EQ(kt, free_pages_now(), before - 4);
	KT_EXPECT_EQ(kt, p[3 * PAGE_SIZE - 1], 0);
	ss_kfree(&ss, p);
	KT_EXPECT_EQ(kt, free_pages_now(), before);
	KT_EXPECT_EQ(kt, ss.nr_large, 0ul);
	/* beyond the largest block: NULL, the page allocator's warning silenced */
	KT_EXPECT_NULL(kt, ss_kmalloc(&ss, KMALLOC_MAX_SIZE + 1, GFP_KERNEL | __GFP_NOWARN, 0));
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(kmalloc, kfree_invalid_pointer_reported)
{
	struct capture cap;
	uint8_t *p, *big;
	struct page *pg;
	const char *out;
	char line[96];
	int local;

	KT_ASSERT_TRUE(kt, up(1));
	p = ss_kmalloc(&ss, 100, GFP_KERNEL, 0);
	big = ss_kmalloc(&ss, 3 * PAGE_SIZE, GFP_KERNEL, 0);
	pg = ms_alloc_pages(&ms, GFP_KERNEL, 0); /* a page, but not kmalloc's */
	KT_ASSERT_TRUE(kt, p && big && pg);
	capture_start(&cap);
	ss_kfree(&ss, p + 8);
	ss_kfree(&ss, &local);
	ss_kfree(&ss, big + PAGE_SIZE);
	ss_kfree(&ss, ms_page_address(&ms, pg));
	out = capture_stop(&cap);
	snprintf(line, sizeof(line), "kfree: invalid pointer %p ", (void *)(p + 8));
	KT_EXPECT_TRUE(kt, strstr(out, line));
	snprintf(line, sizeof(line), "kfree: invalid pointer %p ", (void *)&local);
	KT_EXPECT_TRUE(kt, strstr(out, line));
	snprintf(line, sizeof(line), "kfree: invalid pointer %p ", (void *)(big + PAGE_SIZE));
	KT_EXPECT_TRUE(kt, strstr(out, line));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 4ul);
	/* nothing was freed */
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(ss_kmalloc_slab(&ss, 100)), 1ul);
	KT_EXPECT_EQ(kt, ss.nr_large, 1ul);
	KT_EXPECT_EQ(kt, page_ref_count(pg), 1);
	ss_kfree(&ss, p);
	ss_kfree(&ss, big);
	ms_free_pages(&ms, pg, 0);
	KT_EXPECT_EQ(kt, ss.nr_reports, 4ul);
	KT_EXPECT_EQ(kt, ms.nr_bad_pages, 0ul);
	KT_EXPECT_EQ(kt, ss_slab_check(&ss), 0);
	down();
}

/* kmalloc & co. on slab_default_system over mm_default_system. */
KTEST(kmalloc, default_system_calls)
{
	struct kmem_cache *s;
	uint8_t *p, *q;

	KT_ASSERT_TRUE(kt, up_on(&mm_default_system, &slab_default_system, 1));
	p = kzalloc(200, GFP_KERNEL);
	KT_ASSERT_NOT_NULL(kt, p);
	for (int i = 0; i < 200; i++)
		KT_ASSERT_EQ(kt, p[i], 0);
	KT_EXPECT_EQ(kt, ksize(p), 256ul);
	memset(p, 0x3c, 200);
	q = krealloc(p, 500, GFP_KERNEL);
	KT_ASSERT_NOT_NULL(kt, q);
	KT_EXPECT_EQ(kt, q[199], 0x3c);
	kfree(q);
	KT_EXPECT_NULL(kt, kcalloc(SIZE_MAX / 2, 3, GFP_KERNEL)); /* overflow */
	KT_EXPECT_NULL(kt, kcalloc(2, SIZE_MAX / 2 + 1, GFP_KERNEL));
	q = kcalloc(10, 30, GFP_KERNEL);
	KT_ASSERT_NOT_NULL(kt, q);
	KT_EXPECT_EQ(kt, ksize(q), 512ul);
	KT_EXPECT_EQ(kt, q[299], 0);
	kfree(q);
	p = kmalloc(100000, GFP_KERNEL);
	KT_EXPECT_NOT_NULL(kt, p);
	kfree(p);
	kfree(NULL);
	s = kmem_cache_create("dflt", 24, 0, 0, NULL);
	KT_ASSERT_NOT_NULL(kt, s);
	p = kmem_cache_alloc(s, GFP_KERNEL);
	KT_EXPECT_NOT_NULL(kt, p);
	kmem_cache_free(s, p);
	KT_EXPECT_EQ(kt, kmem_cache_destroy(s), 0);
	KT_EXPECT_EQ(kt, slab_default_system.nr_reports, 0ul);
	KT_EXPECT_EQ(kt, ss_slab_check(&slab_default_system), 0);
	down();
}

/* ---- the randomised differential test ------------------------------------------------------ */

struct block {
	uint8_t *p;
	size_t size;
	uint8_t tag;
};

static void fill(struct block *b)
{
	for (size_t i = 0; i < b->size; i++)
		b->p[i] = (uint8_t)(b->tag + i);
}

static bool intact(const struct block *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b->p[i] != (uint8_t)(b->tag + i))
			return false;
	return true;
}

/* A size: mostly small, some up to 8 KiB, a few large (page) ones. */
static size_t random_size(uint64_t r)
{
	unsigned int k = (unsigned int)(r % 64);

	if (k == 0)
		return 8193 + (r >> 8) % (3 * PAGE_SIZE);
	if (k < 8)
		return 1 + (r >> 8) % 8192;
	return 1 + (r >> 8) % 256;
}

/*
 * @ops kmalloc/kfree/krealloc steps (two CPUs taking turns) against a model of live blocks and
 * their contents (checked before every free and after every krealloc); ss_slab_check every
 * @every steps. Returns the number of mismatches.
 */
static unsigned long run_random(struct ktest *kt, unsigned long ops, unsigned long every)
{
	enum { MAX_LIVE = 2048 };
	static struct block live[MAX_LIVE];
	uint64_t rng = kt->seed * 7 + 3;
	unsigned long bad = 0, n = 0;

	for (unsigned long op = 0; op < ops; op++) {
		uint64_t r = ktest_rand(&rng);
		unsigned int what = (unsigned int)(r >> 56) % 16;

		if ((r & 15) == 0)
			host_set_cpu((unsigned int)(r >> 8) & 1);
		if (n < MAX_LIVE && (n == 0 || what < 8)) {
			struct block *b = &live[n];

			b->size = random_size(ktest_rand(&rng));
			b->p = ss_kmalloc(&ss, b->size, GFP_KERNEL, 0);
			if (!b->p)
				return bad + 1;
			bad += ss_ksize(&ss, b->p) < b->size;
			b->tag = (uint8_t)(r >> 16);
			fill(b);
			n++;
		} else if (what < 15) {
			unsigned long i = (r >> 20) % n;

			bad += !intact(&live[i], live[i].size);
			ss_kfree(&ss, live[i].p);
			live[i] = live[--n];
		} else {
			struct block *b = &live[(r >> 20) % n];
			size_t size = random_size(ktest_rand(&rng));
			uint8_t *q = ss_krealloc(&ss, b->p, size, GFP_KERNEL, 0);

			if (!q)
				return bad + 1;
			b->p = q;
			bad += !intact(b, size < b->size ? size : b->size);
			b->size = size;
			fill(b);
		}
		if (every && op % every == 0)
			bad += ss_slab_check(&ss) != 0;
	}
	while (n) {
		bad += !intact(&live[n - 1], live[n - 1].size);
		ss_kfree(&ss, live[--n].p);
	}
	host_set_cpu(0);
	bad += ss_slab_check(&ss) != 0 || ss.nr_reports != 0 || ss.nr_large != 0;
	for (unsigned int i = 1; i < NR_KMALLOC_CACHES; i++)
		bad += ss.kmalloc_caches[i] && kmem_cache_live_objects(ss.kmalloc_caches[i]) != 0;
	return bad;
}

#if defined(__SANITIZE_ADDRESS__)
#define KMALLOC_SCALE 10
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMALLOC_SCALE 10
#endif
#endif
#ifndef KMALLOC_SCALE
#define KMALLOC_SCALE 1
#endif

/* The checker every 10 steps. */
KTEST(kmalloc, random_checked)
{
	KT_ASSERT_TRUE(kt, up(2));
	KT_EXPECT_EQ(kt, run_random(kt, 20000 / KMALLOC_SCALE, 10), 0ul);
	down();
}

/* 10^6 steps, the checker every 100000. */
KTEST(kmalloc, random_long)
{
	unsigned long before;

	KT_ASSERT_TRUE(kt, up(2));
	before = free_pages_now();
	KT_EXPECT_EQ(kt, run_random(kt, 1000000 / KMALLOC_SCALE, 100000), 0ul);
	for (unsigned int i = 1; i < NR_KMALLOC_CACHES; i++)
		if (ss.kmalloc_caches[i])
			kmem_cache_shrink(ss.kmalloc_caches[i]);
	KT_EXPECT_EQ(kt, free_pages_now(), before);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

// SPDX-License-Identifier: MIT
/*
 * The slab caches (mm/slub.c): slab order and layout, the per-CPU fast path and remote frees
 * with two CPUs, partial lists and min_partial, shrink and destroy (refused with live objects),
 * the hardened free pointer, every debug detection with its report, /proc/slabinfo, and a
 * randomised differential test against a model of live objects and their contents.
 */
#include <kmm/arch.h>
#include <kmm/errno.h>
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

/* A 64 MiB machine with @cpus CPUs, the page allocator and a slab system with @debug. */
static bool up(unsigned int cpus, slab_flags_t debug)
{
	return slab_env_up(&machine, &mb, &ms, &ss, cpus, 64 * SZ_1M, debug);
}

static void down(void)
{
	slab_env_down(&machine);
}

static unsigned long free_pages_now(void)
{
	return slab_env_free_pages(&ms);
}

static unsigned long total_objects(const struct kmem_cache *s)
{
	unsigned long n = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		n += s->node[nid].total_objects;
	return n;
}

static unsigned long total_slabs(const struct kmem_cache *s)
{
	return total_objects(s) / s->objects;
}

static bool in_slab(const struct kmem_cache *s, const struct page *slab, const void *p)
{
	const uint8_t *base = ms_page_address(&ms, slab);

	return (const uint8_t *)p >= base && (const uint8_t *)p < base + (PAGE_SIZE << s->order);
}

KTEST(slab, order_and_layout)
{
	struct kmem_cache *s64, *s700, *s3k;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s64 = ss_kmem_cache_create(&ss, "t64", 64, 0, 0, NULL);
	s700 = ss_kmem_cache_create(&ss, "t700", 700, 0, 0, NULL);
	s3k = ss_kmem_cache_create(&ss, "t3000", 3000, 0, 0, NULL);
	KT_ASSERT_TRUE(kt, s64 && s700 && s3k);
	KT_EXPECT_EQ(kt, s64->order, 0u);
	KT_EXPECT_EQ(kt, s64->objects, 64u);
	KT_EXPECT_EQ(kt, s64->offset, 32u); /* the middle of the object */
	/* 8 objects want 5600 bytes: order 1, waste 492 <= 8192/16 */
	KT_EXPECT_EQ(kt, s700->order, 1u);
	KT_EXPECT_EQ(kt, s700->objects, 11u);
	KT_EXPECT_EQ(kt, s700->size, 704u);
	KT_EXPECT_EQ(kt, s700->offset, 344u);
	/* 3000: order 3 holds 10 with 2768 waste > 1/16 .. 1/4; fewer objects until it fits */
	KT_EXPECT_LE(kt, (PAGE_SIZE << s3k->order) % s3k->size, (PAGE_SIZE << s3k->order) / 4);
	KT_EXPECT_GE(kt, s3k->min_partial, 5u);
	KT_EXPECT_LE(kt, s3k->min_partial, 10u);
	KT_EXPECT_NULL(kt, ss_kmem_cache_create(&ss, "bad", 0, 0, 0, NULL));
	KT_EXPECT_NULL(kt, ss_kmem_cache_create(&ss, "bad", 8, 3, 0, NULL));
	down();
}

static unsigned int ctor_calls;

static void ctor(void *obj)
{
	ctor_calls++;
	memset(obj, 0x42, 48);
}

KTEST(slab, alloc_free_ctor_align)
{
	struct kmem_cache *s;
	void *obj[200];

	KT_ASSERT_TRUE(kt, up(1, 0));
	ctor_calls = 0;
	s = ss_kmem_cache_create(&ss, "ctor48", 48, 0, SLAB_HWCACHE_ALIGN, ctor);
	KT_ASSERT_NOT_NULL(kt, s);
	KT_EXPECT_EQ(kt, s->align, 64u);
	for (int i = 0; i < 200; i++) {
		obj[i] = kmem_cache_alloc(s, GFP_KERNEL);
		KT_ASSERT_NOT_NULL(kt, obj[i]);
		KT_EXPECT_EQ(kt, (uintptr_t)obj[i] % 64, 0u);
		KT_EXPECT_EQ(kt, ((uint8_t *)obj[i])[47], 0x42);
		for (int j = 0; j < i; j++)
			KT_ASSERT_TRUE(kt, obj[j] != obj[i]);
	}
	KT_EXPECT_EQ(kt, (unsigned long)ctor_calls, total_objects(s));
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 200ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	for (int i = 0; i < 200; i++)
		kmem_cache_free(s, obj[i]);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 0ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	KT_EXPECT_EQ(kt, ss.nr_reports, 0ul);
	down();
}

KTEST(slab, two_cpus_remote_free)
{
	struct kmem_cache *s;
	void *a, *b, *c;

	KT_ASSERT_TRUE(kt, up(2, 0));
	s = ss_kmem_cache_create(&ss, "t128", 128, 0, 0, NULL);
	KT_ASSERT_NOT_NULL(kt, s);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	host_set_cpu(1);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	KT_ASSERT_TRUE(kt, a && b);
	/* each CPU has its own active slab */
	KT_EXPECT_TRUE(kt, s->cpu_slab[0].slab && s->cpu_slab[1].slab);
	KT_EXPECT_TRUE(kt, s->cpu_slab[0].slab != s->cpu_slab[1].slab);
	KT_EXPECT_TRUE(kt, in_slab(s, s->cpu_slab[1].slab, b));
	/* CPU 1 frees CPU 0's object: it goes to the slab's own freelist, not CPU 1's */
	kmem_cache_free(s, a);
	KT_EXPECT_TRUE(kt, s->cpu_slab[0].slab->freelist == a);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	host_set_cpu(0);
	/* CPU 0 drains its own freelist first, then takes the remotely freed object */
	for (unsigned int i = 1; i < s->objects; i++) {
		c = kmem_cache_alloc(s, GFP_KERNEL);
		KT_ASSERT_NOT_NULL(kt, c);
		KT_ASSERT_TRUE(kt, c != a);
	}
	KT_EXPECT_TRUE(kt, kmem_cache_alloc(s, GFP_KERNEL) == a);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), (unsigned long)s->objects + 1);
	KT_EXPECT_EQ(kt, kmem_cache_shrink(s), 1);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	down();
}

KTEST(slab, partial_lists_min_partial_shrink)
{
	unsigned long before = 0;
	struct kmem_cache *s;
	void *obj[2000];
	int n = 0;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "t256", 256, 0, 0, NULL);
	KT_ASSERT_NOT_NULL(kt, s);
	before = free_pages_now();
	for (n = 0; n < 2000; n++) {
		obj[n] = kmem_cache_alloc(s, GFP_KERNEL);
		KT_ASSERT_NOT_NULL(kt, obj[n]);
	}
	KT_EXPECT_EQ(kt, total_slabs(s), (2000ul + s->objects - 1) / s->objects);
	/* free every other object: all slabs become partial */
	for (int i = 0; i < n; i += 2)
		kmem_cache_free(s, obj[i]);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	KT_EXPECT_GE(kt, s->node[0].nr_partial, total_slabs(s) - 2);
	/* free the rest: empty slabs beyond min_partial go back to the page allocator */
	for (int i = 1; i < n; i += 2)
		kmem_cache_free(s, obj[i]);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	KT_EXPECT_LE(kt, total_slabs(s), (unsigned long)s->min_partial + 1);
	KT_EXPECT_EQ(kt, kmem_cache_shrink(s), 0);
	KT_EXPECT_EQ(kt, total_slabs(s), 0ul);
	KT_EXPECT_EQ(kt, free_pages_now(), before);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

KTEST(slab, destroy_refused_while_live)
{
	struct kmem_cache *s;
	struct capture cap;
	const char *out;
	void *a;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "victim", 40, 0, 0, NULL);
	KT_ASSERT_NOT_NULL(kt, s);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	capture_start(&cap);
	KT_EXPECT_EQ(kt, kmem_cache_destroy(s), -EBUSY);
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "kmem_cache_destroy victim: Slab cache still has objects"));
	KT_EXPECT_TRUE(kt, strstr(out, "Objects remaining in victim"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	kmem_cache_free(s, a);
	KT_EXPECT_EQ(kt, kmem_cache_destroy(s), 0);
	KT_EXPECT_EQ(kt, ss_slab_check(&ss), 0);
	down();
}

/* The stored free pointer is not the plain address of the next object. */
KTEST(slab, hardened_freepointer_and_uaf_write)
{
	struct kmem_cache *s;
	uint64_t stored;
	uint8_t *a, *b;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "t32", 32, 0, 0, NULL);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	KT_ASSERT_TRUE(kt, a && b);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a); /* a's free pointer now leads to b */
	memcpy(&stored, a + s->offset, sizeof(stored));
	KT_EXPECT_NE(kt, stored, (uint64_t)(uintptr_t)b);
	/* a use-after-free write to the start of the object misses the free pointer */
	memset(a, 0xee, s->offset);
	KT_EXPECT_TRUE(kt, kmem_cache_alloc(s, GFP_KERNEL) == a);
	KT_EXPECT_TRUE(kt, kmem_cache_alloc(s, GFP_KERNEL) == b);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	down();
}

KTEST(slab, double_and_invalid_free_reported)
{
	struct kmem_cache *s, *other;
	struct capture cap;
	const char *out;
	uint8_t *a, *b;
	int local;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "t64", 64, 0, 0, NULL);
	other = ss_kmem_cache_create(&ss, "o64", 64, 0, 0, NULL);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, a);
	capture_start(&cap);
	kmem_cache_free(s, a); /* fast path: a heads the CPU freelist */
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "BUG t64 (Not tainted): Object already free"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 1ul);
	capture_start(&cap);
	kmem_cache_free(s, b + 8);  /* inside an object */
	kmem_cache_free(s, &local); /* not slab memory at all */
	kmem_cache_free(other, b);  /* another cache's object */
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "kmem_cache_free: invalid pointer"));
	KT_EXPECT_TRUE(kt, strstr(out, "Wrong slab cache. o64 but object"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 4ul);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 1ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	/* slow path: the slab is no longer the CPU's */
	kmem_cache_shrink(s);
	kmem_cache_free(s, b);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 0ul);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_shrink(s);
	kmem_cache_free(s, a);
	capture_start(&cap);
	kmem_cache_free(s, a);
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "Object already free"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 5ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	down();
}

/* Allocate from @s at a known call site (the address the report must name). */
static __attribute__((noinline)) void *alloc_here(struct kmem_cache *s, unsigned long *site)
{
	*site = (unsigned long)__builtin_return_address(0);
	return kmem_cache_alloc_caller(s, GFP_KERNEL, *site);
}

/* Check that @out holds @what, the object's address and its allocation site. */
static void expect_report(struct ktest *kt, const char *out, const char *what, const void *obj,
			  unsigned long site)
{
	char line[128];

	KT_EXPECT_TRUE(kt, strstr(out, what));
	snprintf(line, sizeof(line), "INFO: Object %p @offset=", obj);
	KT_EXPECT_TRUE(kt, strstr(out, line));
	snprintf(line, sizeof(line), "INFO: Allocated in %#lx ", site);
	KT_EXPECT_TRUE(kt, strstr(out, line));
}

KTEST(slab, debug_red_zones)
{
	unsigned long site_a, site_b, off;
	struct kmem_cache *s;
	struct capture cap;
	const char *out;
	uint8_t *a, *b;
	char line[128];

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "dbg-64", 64, 0, 0, NULL);
	KT_ASSERT_EQ(kt, kmem_cache_set_debug(s, SLAB_DEBUG_FLAGS), 0);
	KT_EXPECT_EQ(kt, s->red_left_pad, 8u);
	a = alloc_here(s, &site_a);
	b = alloc_here(s, &site_b);
	KT_ASSERT_TRUE(kt, a && b);
	KT_EXPECT_NE(kt, site_a, site_b);
	KT_EXPECT_EQ(kt, a[-1], SLUB_RED_ACTIVE);
	KT_EXPECT_EQ(kt, a[64], SLUB_RED_ACTIVE);
	KT_EXPECT_EQ(kt, a[0], POISON_FREE); /* poisoned while free, not cleared on allocation */
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	/* the layout is fixed while objects live */
	KT_EXPECT_EQ(kt, kmem_cache_set_debug(s, 0), -EBUSY);
	a[64 + 3] = 0;
	capture_start(&cap);
	kmem_cache_free(s, a);
	out = capture_stop(&cap);
	expect_report(kt, out, "BUG dbg-64 (Not tainted): Right Redzone overwritten", a, site_a);
	snprintf(line, sizeof(line), "INFO: Object %p @offset=", (void *)a);
	KT_ASSERT_TRUE(kt, strstr(out, line));
	off = strtoul(strstr(out, line) + strlen(line), NULL, 10);
	/* the first bad byte: its address and its offset in the slab */
	snprintf(line, sizeof(line), "INFO: %p-%p @offset=%lu. First byte 0x0 instead of 0xcc",
		 (void *)(a + 67), (void *)(a + 67), off + 67);
	KT_EXPECT_TRUE(kt, strstr(out, line));
	KT_EXPECT_TRUE(kt, strstr(out, "not freed"));
	capture_free(&cap);
	/* restored and not freed: still live, and the checker agrees */
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 2ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	b[-8] = 0x11;
	capture_start(&cap);
	kmem_cache_free(s, b);
	out = capture_stop(&cap);
	expect_report(kt, out, "BUG dbg-64 (Not tainted): Left Redzone overwritten", b, site_b);
	KT_EXPECT_TRUE(kt, strstr(out, "First byte 0x11 instead of 0xcc"));
	capture_free(&cap);
	/* padding (POISON_INUSE) after the tracks, damaged in a live object */
	KT_ASSERT_GT(kt, s->size - s->red_left_pad, s->inuse + 8 + 2 * 16);
	a[s->size - s->red_left_pad - 1] = 0;
	capture_start(&cap);
	kmem_cache_free(s, a);
	out = capture_stop(&cap);
	expect_report(kt, out, "BUG dbg-64 (Not tainted): Object padding overwritten", a, site_a);
	KT_EXPECT_TRUE(kt, strstr(out, "First byte 0x0 instead of 0x5a"));
	capture_free(&cap);
	kmem_cache_free(s, a);
	kmem_cache_free(s, b);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 0ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	down();
}

KTEST(slab, debug_poison_double_free_store_user)
{
	struct kmem_cache *s;
	struct capture cap;
	unsigned long site;
	uint8_t *a, *b, *c;
	const char *out;

	KT_ASSERT_TRUE(kt, up(1, SLAB_POISON | SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS));
	/* the global flags reach caches created after, kmalloc's included */
	KT_EXPECT_EQ(kt, ss.kmalloc_caches[6]->flags & SLAB_DEBUG_FLAGS,
		     SLAB_POISON | SLAB_STORE_USER | SLAB_CONSISTENCY_CHECKS);
	s = ss_kmem_cache_create(&ss, "pois-100", 100, 0, 0, NULL);
	KT_EXPECT_EQ(kt, s->offset, 104u); /* the free pointer after the poisoned object */
	a = alloc_here(s, &site);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	KT_ASSERT_TRUE(kt, a && b);
	KT_EXPECT_EQ(kt, a[99], POISON_END);
	kmem_cache_free(s, a);
	/* use after free: found when the object is handed out again */
	a[50] = 0x77;
	capture_start(&cap);
	KT_EXPECT_NE(kt, slab_check(s), 0); /* the checker sees it too, and restores it */
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "Poison overwritten"));
	capture_free(&cap);
	a[50] = 0x77;
	capture_start(&cap);
	KT_EXPECT_TRUE(kt, kmem_cache_alloc(s, GFP_KERNEL) == a);
	out = capture_stop(&cap);
	expect_report(kt, out, "BUG pois-100 (Not tainted): Poison overwritten", a, site);
	KT_EXPECT_TRUE(kt, strstr(out, "First byte 0x77 instead of 0x6b"));
	KT_EXPECT_TRUE(kt, strstr(out, "INFO: Freed in "));
	capture_free(&cap);
	/* a double free of an object that is not the freelist's head: found by the walk */
	c = kmem_cache_alloc(s, GFP_KERNEL);
	kmem_cache_free(s, b);
	kmem_cache_free(s, a);
	capture_start(&cap);
	kmem_cache_free(s, b);
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "BUG pois-100 (Not tainted): Object already free"));
	KT_EXPECT_TRUE(kt, strstr(out, "not freed\n"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 3ul);
	kmem_cache_free(s, c);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(s), 0ul);
	down();
}

KTEST(slab, slabinfo_format)
{
	struct kmem_cache *s;
	struct capture cap;
	char line[256];
	const char *out;
	void *a;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "info-200", 200, 0, 0, NULL);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	capture_start(&cap);
	show_slabinfo(&ss);
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt,
		       strncmp(out,
			       "slabinfo - version: 2.1\n"
			       "# name            <active_objs> <num_objs> <objsize> <objperslab> "
			       "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : "
			       "slabdata <active_slabs> <num_slabs> <sharedavail>\n",
			       strlen("slabinfo - version: 2.1\n# name")) == 0);
	snprintf(line, sizeof(line),
		 "info-200               1 %6u    200 %4u %4u : tunables    0    0    0 : "
		 "slabdata      1      1      0\n",
		 s->objects, s->objects, 1u << s->order);
	KT_EXPECT_TRUE(kt, strstr(out, line));
	KT_EXPECT_TRUE(kt, strstr(out, "\nkmalloc-8k "));
	KT_EXPECT_TRUE(kt, strstr(out, "\nkmem_cache "));
	capture_free(&cap);
	kmem_cache_free(s, a);
	down();
}

/* ---- the randomised differential test ------------------------------------------------------ */

struct live {
	uint8_t *p;
	uint8_t tag;
};

static bool fill_ok(const uint8_t *p, unsigned int n, uint8_t tag)
{
	for (unsigned int i = 0; i < n; i++)
		if (p[i] != (uint8_t)(tag + i))
			return false;
	return true;
}

/*
 * @ops random allocations and frees on a cache of @size bytes (two CPUs taking turns), each
 * object filled with a pattern checked when it is freed, against a model of the live set; the
 * checker every @every steps. Returns the number of mismatches.
 */
static unsigned long run_random(struct ktest *kt, unsigned int size, slab_flags_t debug,
				unsigned long ops, unsigned long every)
{
	enum { MAX_LIVE = 4096 };
	static struct live live[MAX_LIVE];
	uint64_t rng = kt->seed ^ size;
	unsigned long bad = 0, n = 0;
	struct kmem_cache *s = ss_kmem_cache_create(&ss, "rand", size, 0, 0, NULL);

	if (!s || kmem_cache_set_debug(s, debug))
		return 1;
	for (unsigned long op = 0; op < ops; op++) {
		uint64_t r = ktest_rand(&rng);

		if ((r & 7) == 0)
			host_set_cpu((unsigned int)(r >> 8) & 1);
		if (n < MAX_LIVE && (n == 0 || (r >> 16) % 100 < 52)) {
			uint8_t *p = kmem_cache_alloc(s, GFP_KERNEL);

			if (!p)
				return bad + 1;
			live[n].p = p;
			live[n].tag = (uint8_t)(r >> 32);
			for (unsigned int i = 0; i < size; i++)
				p[i] = (uint8_t)(live[n].tag + i);
			n++;
		} else {
			unsigned long i = (r >> 24) % n;

			bad += !fill_ok(live[i].p, size, live[i].tag);
			kmem_cache_free(s, live[i].p);
			live[i] = live[--n];
		}
		if (every && op % every == 0) {
			bad += slab_check(s) != 0;
			bad += kmem_cache_live_objects(s) != n;
		}
	}
	while (n) {
		bad += !fill_ok(live[n - 1].p, size, live[n - 1].tag);
		kmem_cache_free(s, live[--n].p);
	}
	host_set_cpu(0);
	bad += slab_check(s) != 0 || kmem_cache_destroy(s) != 0 || ss.nr_reports != 0;
	return bad;
}

#if defined(__SANITIZE_ADDRESS__)
#define SLAB_SCALE 10
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLAB_SCALE 10
#endif
#endif
#ifndef SLAB_SCALE
#define SLAB_SCALE 1
#endif

/* The checker after every step. */
KTEST(slab, random_checked_every_step)
{
	KT_ASSERT_TRUE(kt, up(2, 0));
	KT_EXPECT_EQ(kt, run_random(kt, 24, 0, 20000 / SLAB_SCALE, 1), 0ul);
	KT_EXPECT_EQ(kt, run_random(kt, 520, 0, 20000 / SLAB_SCALE, 1), 0ul);
	KT_EXPECT_EQ(kt, run_random(kt, 72, SLAB_DEBUG_FLAGS, 5000 / SLAB_SCALE, 1), 0ul);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	down();
}

/* The long run: 10^6 operations, the checker every 50000. */
KTEST(slab, random_long)
{
	KT_ASSERT_TRUE(kt, up(2, 0));
	KT_EXPECT_EQ(kt, run_random(kt, 48, 0, 1000000 / SLAB_SCALE, 50000), 0ul);
	down();
}

/* A free object's free pointer overwritten: reported and cut on allocation, the rest of the
 * slab's free objects given up (counted used), the cache consistent. */
KTEST(slab, debug_freepointer_corrupt)
{
	struct kmem_cache *s;
	struct capture cap;
	uint8_t *a, *b;
	const char *out;

	KT_ASSERT_TRUE(kt, up(1, 0));
	s = ss_kmem_cache_create(&ss, "fp-40", 40, 0, 0, NULL);
	KT_ASSERT_EQ(kt, kmem_cache_set_debug(s, SLAB_POISON | SLAB_CONSISTENCY_CHECKS), 0);
	a = kmem_cache_alloc(s, GFP_KERNEL);
	b = kmem_cache_alloc(s, GFP_KERNEL);
	KT_ASSERT_TRUE(kt, a && b);
	kmem_cache_free(s, a);
	memset(a + s->offset, 0x99, sizeof(void *));
	capture_start(&cap);
	KT_EXPECT_TRUE(kt, kmem_cache_alloc(s, GFP_KERNEL) == a);
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "BUG fp-40 (Not tainted): Freepointer corrupt"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, ss.nr_reports, 1ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	/* the next allocation comes from a new slab */
	KT_EXPECT_EQ(kt, total_slabs(s), 1ul);
	KT_EXPECT_NOT_NULL(kt, kmem_cache_alloc(s, GFP_KERNEL));
	KT_EXPECT_EQ(kt, total_slabs(s), 2ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	/* the slab's own freelist head damaged (struct page corruption) */
	KT_ASSERT_NOT_NULL(kt, s->node[0].partial);
	s->node[0].partial->freelist = (uint8_t *)s->node[0].partial->freelist + 1;
	capture_start(&cap);
	KT_EXPECT_NOT_NULL(kt, kmem_cache_alloc(s, GFP_KERNEL));
	out = capture_stop(&cap);
	KT_EXPECT_TRUE(kt, strstr(out, "BUG fp-40 (Not tainted): Freelist Pointer check fails"));
	KT_EXPECT_TRUE(kt, strstr(out, "marking all objects used"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, total_slabs(s), 3ul);
	KT_EXPECT_EQ(kt, slab_check(s), 0);
	down();
}

// SPDX-License-Identifier: MIT
/*
 * umalloc (user/malloc.c) over the fake address space of fake_as.h, where every access is
 * checked against what brk and mmap have mapped: alignment and sizes, the heap growing by brk
 * and trimmed back, the mmap threshold, brk failing (the heap goes on in mmapped segments),
 * realloc in place and by moving, calloc, randomized runs against a model of every allocation's
 * bytes (umalloc_check after every step in a short run), and the checker and the corruption
 * checks catching a broken heap.
 */
#include "fake_as.h"
#include "umodel.h"

#include "../ktest/ktest.h"

#include <string.h>

#define KIB 1024ULL
#define MINSIZE 32ULL

struct env {
	struct fake_as as;
	struct umalloc m;
	struct umodel u;
};

/* A fresh allocator over a fresh fake space, its model seeded with @seed. */
static bool env_up(struct env *e, uint64_t seed)
{
	struct umalloc_sys sys;

	if (!fake_as_init(&e->as, &sys))
		return false;
	umalloc_init(&e->m, &sys);
	return umodel_init(&e->u, &e->m, seed);
}

static void env_down(struct env *e)
{
	umodel_fini(&e->u);
	fake_as_destroy(&e->as);
}

/* The word at user address @va (a chunk header for p - 8). */
static uint64_t peek(struct env *e, uint64_t va)
{
	uint64_t v;

	memcpy(&v, fake_as_host(&e->as, va), sizeof(v));
	return v;
}

static void poke(struct env *e, uint64_t va, uint64_t v)
{
	memcpy(fake_as_host(&e->as, va), &v, sizeof(v));
}

static struct umalloc_stats stats(struct env *e)
{
	struct umalloc_stats st;

	umalloc_stats(&e->m, &st);
	return st;
}

/* env_up with the run's seed; the case returns if the host is out of memory. */
#define ENV_UP(kt, e) KT_ASSERT_TRUE(kt, env_up(e, kt->seed))

KTEST(umalloc, first_malloc_starts_the_heap_at_the_break)
{
	struct env e;

	ENV_UP(kt, &e);
	KT_EXPECT_NULL(kt, umalloc_check(&e.m));
	uint64_t p = umalloc(&e.m, 1), base = (FAKE_START_BRK + 15) & ~15ULL;
	/* The break was not aligned: the heap starts at the next 16 bytes, its descriptor first. */
	KT_EXPECT_EQ(kt, p, base + 16 + 16);
	KT_EXPECT_EQ(kt, umalloc_usable_size(&e.m, p), 24u);
	/* brk(0), then one brk by the chunk, MINSIZE and M_TOP_PAD, in whole pages. */
	KT_EXPECT_EQ(kt, e.as.nbrk, 2u);
	KT_EXPECT_EQ(kt, e.as.brk, (base + 16 + 32 + 32 + 128 * KIB + 4095) & ~4095ULL);
	KT_EXPECT_EQ(kt, e.as.nmmap, 0u);
	struct umalloc_stats st = stats(&e);
	KT_EXPECT_EQ(kt, st.arena, e.as.brk - base);
	KT_EXPECT_EQ(kt, st.uordblks, 32u);
	KT_EXPECT_EQ(kt, st.fordblks, st.keepcost);
	KT_EXPECT_EQ(kt, st.arena, 16 + st.uordblks + st.fordblks);
	umodel_expect_ok(kt, &e.m);
	ufree(&e.m, p);
	umodel_expect_ok(kt, &e.m);
	KT_EXPECT_EQ(kt, stats(&e).uordblks, 0u);
	env_down(&e);
}

/* Every request size up to 2 KiB: 16-byte aligned, enough room and no more than a chunk's
 * worth of slack, every byte of every allocation still intact at the end. */
KTEST(umalloc, sizes_and_alignment)
{
	static uint64_t ptrs[2049];
	struct env e;

	ENV_UP(kt, &e);
	for (uint64_t n = 0; n <= 2048; n++) {
		ptrs[n] = umalloc(&e.m, n);
		KT_ASSERT_NE(kt, ptrs[n], 0u);
		KT_EXPECT_EQ(kt, ptrs[n] % 16, 0u);
		size_t u = umalloc_usable_size(&e.m, ptrs[n]);
		KT_EXPECT_GE(kt, u, n);
		KT_EXPECT_LT(kt, u, n < 24 ? 25 : n + 16);
		KT_ASSERT_TRUE(kt, umodel_fill(&e.u, ptrs[n], u, n));
	}
	for (uint64_t n = 0; n <= 2048; n++)
		KT_EXPECT_TRUE(kt,
			       umodel_holds(&e.u, ptrs[n], umalloc_usable_size(&e.m, ptrs[n]), n));
	umodel_expect_ok(kt, &e.m);
	/* Every other one: no two merge, the last goes into the top. */
	for (uint64_t n = 0; n <= 2048; n += 2)
		ufree(&e.m, ptrs[n]);
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 1024u);
	umodel_expect_ok(kt, &e.m);
	for (uint64_t n = 1; n <= 2048; n += 2)
		ufree(&e.m, ptrs[n]);
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 0u);
	KT_EXPECT_EQ(kt, stats(&e).uordblks, 0u);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* Freed chunks coalesce with both neighbours and are reused best fit: an exact small hole
 * before the front of a large free chunk, whose rest stays binned. */
KTEST(umalloc, coalescing_and_best_fit)
{
	struct env e;

	ENV_UP(kt, &e);
	uint64_t a = umalloc(&e.m, 100), b = umalloc(&e.m, 200), c = umalloc(&e.m, 300);
	uint64_t d = umalloc(&e.m, 1000), x = umalloc(&e.m, 10), hole = umalloc(&e.m, 40);
	uint64_t y = umalloc(&e.m, 10);
	KT_EXPECT_EQ(kt, b, a + 112);
	ufree(&e.m, b);
	ufree(&e.m, d);
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 2u);
	ufree(&e.m, c); /* merges with b before it and d after it */
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 1u);
	KT_EXPECT_EQ(kt, peek(&e, b - 8), (208 + 320 + 1008) | 1ULL);
	KT_EXPECT_EQ(kt, peek(&e, b - 16 + 1536), 1536u); /* the footer */
	KT_EXPECT_EQ(kt, peek(&e, x - 8) & 1, 0u); /* x's PREV_INUSE: the chunk before is free */
	umodel_expect_ok(kt, &e.m);
	ufree(&e.m, hole);
	KT_EXPECT_EQ(kt, umalloc(&e.m, 40), hole);
	KT_EXPECT_EQ(kt, umalloc(&e.m, 500), b);
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 1u);
	KT_EXPECT_EQ(kt, peek(&e, b - 16 + 512 + 8), 1024u | 1ULL);
	umodel_expect_ok(kt, &e.m);
	ufree(&e.m, x);
	ufree(&e.m, y);
	ufree(&e.m, a);
	ufree(&e.m, b);
	ufree(&e.m, hole);
	KT_EXPECT_EQ(kt, stats(&e).uordblks, 0u);
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 0u);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* Freeing into a top beyond M_TRIM_THRESHOLD gives the pages above M_TOP_PAD back with brk;
 * a higher threshold keeps them. */
KTEST(umalloc, trim_gives_pages_back_with_brk)
{
	static uint64_t p[1024];
	struct env e;

	ENV_UP(kt, &e);
	for (int i = 0; i < 1024; i++)
		p[i] = umalloc(&e.m, 1000);
	uint64_t grown = e.as.brk;
	KT_EXPECT_GT(kt, grown, FAKE_START_BRK + 1024 * KIB);
	for (int i = 1023; i >= 512; i--)
		ufree(&e.m, p[i]);
	struct umalloc_stats st = stats(&e);
	KT_EXPECT_GE(kt, st.trims, 1u);
	KT_EXPECT_LT(kt, e.as.brk, grown - 256 * KIB);
	KT_EXPECT_EQ(kt, e.as.brk, p[511] - 16 + 1008 + st.keepcost);
	/* Kept: M_TOP_PAD and MINSIZE, less than a page more. */
	KT_EXPECT_GT(kt, st.keepcost, 128 * KIB + MINSIZE);
	KT_EXPECT_LE(kt, st.keepcost, 128 * KIB + MINSIZE + 4096);
	KT_EXPECT_FALSE(kt, fake_as_mapped(&e.as, e.as.brk + 4096, 8));
	umodel_expect_ok(kt, &e.m);

	KT_EXPECT_EQ(kt, umallopt(&e.m, M_TRIM_THRESHOLD, 1024 * KIB), 1);
	uint64_t trims = st.trims, brk = e.as.brk;
	for (int i = 511; i >= 0; i--)
		ufree(&e.m, p[i]);
	KT_EXPECT_EQ(kt, stats(&e).trims, trims); /* a 640 KiB top stays */
	KT_EXPECT_EQ(kt, e.as.brk, brk);
	KT_EXPECT_EQ(kt, stats(&e).uordblks, 0u);
	KT_EXPECT_EQ(kt, umallopt(&e.m, M_TRIM_THRESHOLD, -1), 0);
	KT_EXPECT_EQ(kt, umallopt(&e.m, 12345, 1), 0);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* A request of M_MMAP_THRESHOLD or more that the heap cannot serve gets an mmap of its own,
 * given back by free; one below it grows the heap. */
KTEST(umalloc, mmap_threshold)
{
	struct env e;

	ENV_UP(kt, &e);
	uint64_t big = umalloc(&e.m, 128 * KIB);
	KT_ASSERT_NE(kt, big, 0u);
	KT_EXPECT_EQ(kt, e.as.nmmap, 1u);
	KT_EXPECT_EQ(kt, e.as.nbrk, 0u);
	KT_EXPECT_GE(kt, big, FAKE_MMAP_FLOOR);
	KT_EXPECT_EQ(kt, big % 4096, 16u);
	/* 128 KiB + 8 + 16 of header, in pages: 33 pages. */
	KT_EXPECT_EQ(kt, umalloc_usable_size(&e.m, big), 33 * 4096 - 16u);
	KT_EXPECT_EQ(kt, stats(&e).hblks, 1u);
	KT_EXPECT_EQ(kt, stats(&e).hblkhd, 33 * 4096u);
	KT_EXPECT_TRUE(kt, umodel_fill(&e.u, big, 128 * KIB, 7));
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, big, 128 * KIB, 7));
	ufree(&e.m, big);
	KT_EXPECT_EQ(kt, e.as.nmunmap, 1u);
	KT_EXPECT_FALSE(kt, fake_as_mapped(&e.as, big, 1));
	KT_EXPECT_EQ(kt, stats(&e).hblks, 0u);

	/* Just below the threshold: the heap. */
	uint64_t mid = umalloc(&e.m, 128 * KIB - 24);
	KT_EXPECT_EQ(kt, e.as.nmmap, 1u);
	KT_EXPECT_LT(kt, mid, FAKE_MMAP_FLOOR);
	/* With the top large enough, a large request is served from it, as ptmalloc does. */
	ufree(&e.m, mid);
	KT_EXPECT_LT(kt, umalloc(&e.m, 128 * KIB), FAKE_MMAP_FLOOR);
	KT_EXPECT_EQ(kt, e.as.nmmap, 1u);
	/* mmap refused: the heap grows instead. */
	e.as.mmap_refuse = true;
	uint64_t fallback = umalloc(&e.m, 512 * KIB);
	KT_EXPECT_NE(kt, fallback, 0u);
	KT_EXPECT_LT(kt, fallback, FAKE_MMAP_FLOOR);
	KT_EXPECT_EQ(kt, e.as.nmmap, 2u);
	/* A lower threshold applies at once. */
	e.as.mmap_refuse = false;
	KT_EXPECT_EQ(kt, umallopt(&e.m, M_MMAP_THRESHOLD, 4096), 1);
	KT_EXPECT_GE(kt, umalloc(&e.m, 256 * KIB), FAKE_MMAP_FLOOR);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* brk refused from the start: the heap lives in mmapped segments of at least 1 MiB. */
KTEST(umalloc, brk_refused_heap_in_mmap_segments)
{
	static uint64_t p[4096];
	struct env e;

	ENV_UP(kt, &e);
	e.as.brk_limit = FAKE_START_BRK; /* nothing above the break */
	p[0] = umalloc(&e.m, 100);
	KT_ASSERT_NE(kt, p[0], 0u);
	KT_EXPECT_GE(kt, p[0], FAKE_MMAP_FLOOR);
	KT_EXPECT_EQ(kt, e.as.nmmap, 1u);
	KT_EXPECT_EQ(kt, stats(&e).arena, 1024 * KIB);
	/* 4096 x 1000 bytes need four segments; the old tops are fenced off and binned. */
	for (int i = 1; i < 4096; i++) {
		p[i] = umalloc(&e.m, 1000);
		KT_ASSERT_NE(kt, p[i], 0u);
		KT_ASSERT_TRUE(kt, umodel_fill(&e.u, p[i], 1000, (uint64_t)i));
	}
	struct umalloc_stats st = stats(&e);
	KT_EXPECT_EQ(kt, st.segments, 4u);
	KT_EXPECT_EQ(kt, e.as.nbrk, 2u); /* brk(0) and the refused one, never again */
	umodel_expect_ok(kt, &e.m);
	for (int i = 1; i < 4096; i++)
		KT_EXPECT_TRUE(kt, umodel_holds(&e.u, p[i], 1000, (uint64_t)i));
	for (int i = 0; i < 4096; i++)
		ufree(&e.m, p[i]);
	st = stats(&e);
	KT_EXPECT_EQ(kt, st.uordblks, 0u);
	/* The last segment's top was trimmed with munmap of its tail. */
	KT_EXPECT_GE(kt, st.trims, 1u);
	KT_EXPECT_EQ(kt, st.munmap_calls, st.trims);
	KT_EXPECT_LE(kt, st.keepcost, 128 * KIB + MINSIZE + 4096);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* brk refused part way: the brk heap's top is fenced and binned, and its chunks are still
 * used and freed. */
KTEST(umalloc, brk_refused_later)
{
	static uint64_t p[2048];
	struct env e;

	ENV_UP(kt, &e);
	e.as.brk_limit = FAKE_START_BRK + 512 * KIB;
	for (int i = 0; i < 2048; i++) {
		p[i] = umalloc(&e.m, 500);
		KT_ASSERT_NE(kt, p[i], 0u);
		KT_ASSERT_TRUE(kt, umodel_fill(&e.u, p[i], 500, (uint64_t)i));
	}
	KT_EXPECT_EQ(kt, stats(&e).segments, 2u);
	KT_EXPECT_LT(kt, p[0], FAKE_MMAP_FLOOR);
	KT_EXPECT_GE(kt, p[2047], FAKE_MMAP_FLOOR);
	umodel_expect_ok(kt, &e.m);
	for (int i = 0; i < 2048; i += 2)
		ufree(&e.m, p[i]);
	umodel_expect_ok(kt, &e.m);
	for (int i = 1; i < 2048; i += 2) {
		KT_EXPECT_TRUE(kt, umodel_holds(&e.u, p[i], 500, (uint64_t)i));
		ufree(&e.m, p[i]);
	}
	/* The brk segment is one free chunk up to its fence; nothing is in use. */
	struct umalloc_stats st = stats(&e);
	KT_EXPECT_EQ(kt, st.uordblks, 0u);
	KT_EXPECT_EQ(kt, st.ordblks, 1u);
	umodel_expect_ok(kt, &e.m);
	/* And it serves a request again. */
	KT_EXPECT_LT(kt, umalloc(&e.m, 200 * KIB - 100), FAKE_MMAP_FLOOR);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

KTEST(umalloc, realloc_in_place_and_moving)
{
	struct env e;

	ENV_UP(kt, &e);
	KT_EXPECT_EQ(kt, urealloc(&e.m, 0, 0) % 16, 0u); /* realloc(NULL, 0) is malloc(0) */
	uint64_t a = urealloc(&e.m, 0, 100);
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, a, 100, 1));
	/* Next to the top: grows in place. */
	uint64_t a2 = urealloc(&e.m, a, 5000);
	KT_EXPECT_EQ(kt, a2, a);
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, a, 100, 1));
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, a, 5000, 2));
	uint64_t b = umalloc(&e.m, 100), c = umalloc(&e.m, 3000), d = umalloc(&e.m, 10);
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, b, 100, 3));
	/* A free chunk after it: grows in place into it. */
	ufree(&e.m, c);
	KT_EXPECT_EQ(kt, urealloc(&e.m, b, 2000), b);
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, b, 100, 3));
	KT_EXPECT_EQ(kt, stats(&e).ordblks, 1u); /* the rest of c's chunk */
	umodel_expect_ok(kt, &e.m);
	/* No room: moves, contents kept, the old chunk freed. */
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, b, 2000, 4));
	uint64_t b2 = urealloc(&e.m, b, 20000);
	KT_EXPECT_NE(kt, b2, b);
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, b2, 2000, 4));
	/* Shrinking splits off the tail, which merges with the free space after it. */
	KT_EXPECT_EQ(kt, urealloc(&e.m, a, 50), a);
	KT_EXPECT_EQ(kt, umalloc_usable_size(&e.m, a), 56u);
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, a, 50, 2));
	umodel_expect_ok(kt, &e.m);
	/* An mmapped chunk: kept while the request fits its mapping, moved when it does not. */
	uint64_t big = umalloc(&e.m, 300 * KIB);
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, big, 300 * KIB, 5));
	KT_EXPECT_EQ(kt, urealloc(&e.m, big, 300 * KIB + 100), big);
	uint64_t big2 = urealloc(&e.m, big, 400 * KIB);
	KT_EXPECT_NE(kt, big2, big);
	KT_EXPECT_TRUE(kt, umodel_holds(&e.u, big2, 300 * KIB, 5));
	KT_EXPECT_FALSE(kt, fake_as_mapped(&e.as, big, 1));
	/* realloc(p, 0) frees. */
	KT_EXPECT_EQ(kt, urealloc(&e.m, big2, 0), 0u);
	KT_EXPECT_EQ(kt, stats(&e).hblks, 0u);
	ufree(&e.m, d);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

KTEST(umalloc, calloc_clears_reused_memory)
{
	struct env e;

	ENV_UP(kt, &e);
	uint64_t p = umalloc(&e.m, 1000);
	KT_ASSERT_TRUE(kt, umodel_fill(&e.u, p, 1000, 9));
	umalloc(&e.m, 10); /* keeps p's chunk out of the top */
	ufree(&e.m, p);
	uint64_t q = ucalloc(&e.m, 10, 100);
	KT_EXPECT_EQ(kt, q, p);
	KT_EXPECT_TRUE(kt, umodel_zeroed(&e.u, q, umalloc_usable_size(&e.m, q)));
	uint64_t big = ucalloc(&e.m, 1, 200 * KIB); /* mmapped: zero already */
	KT_EXPECT_TRUE(kt, umodel_zeroed(&e.u, big, 200 * KIB));
	KT_EXPECT_EQ(kt, ucalloc(&e.m, (size_t)1 << 40, (size_t)1 << 40), 0u);
	KT_EXPECT_EQ(kt, umalloc(&e.m, (size_t)1 << 50), 0u);
	umodel_expect_ok(kt, &e.m);
	env_down(&e);
}

/* 10^5 random operations; every byte written reads back until freed. */
KTEST(umalloc, random_against_model)
{
	struct env e;

	ENV_UP(kt, &e);
	umodel_run(kt, &e.u, 100000, 1000);
	ktest_log(kt, "brk %lu, mmap %lu, munmap %lu calls", e.as.nbrk, e.as.nmmap, e.as.nmunmap);
	KT_EXPECT_GT(kt, e.as.nmunmap, 100u); /* the large requests were mmapped */
	env_down(&e);
}

/* A shorter run with umalloc_check after every step, once on brk and once with brk refused
 * half way. */
KTEST(umalloc, random_checked_every_step)
{
	struct env e;

	KT_ASSERT_TRUE(kt, env_up(&e, kt->seed + 1));
	umodel_run(kt, &e.u, 3000, 1);
	env_down(&e);
	KT_ASSERT_TRUE(kt, env_up(&e, kt->seed + 2));
	e.as.brk_limit = FAKE_START_BRK + 1024 * KIB;
	umodel_run(kt, &e.u, 3000, 1);
	KT_EXPECT_GE(kt, stats(&e).segments, 2u);
	env_down(&e);
}

/* A small heap to corrupt: a (free, 208 bytes), b (in use), c (free, 320 bytes), d in use. */
static void corruptible(struct env *e, uint64_t *a, uint64_t *b, uint64_t *c)
{
	*a = umalloc(&e->m, 200);
	*b = umalloc(&e->m, 100);
	*c = umalloc(&e->m, 300);
	umalloc(&e->m, 100);
	ufree(&e->m, *a);
	ufree(&e->m, *c);
}

/* Each invariant broken once by writing the heap behind malloc's back: umalloc_check names it. */
KTEST(umalloc, check_catches_corruption)
{
	static const char *const want[] = {
		"free chunk's footer differs",
		"two adjacent free chunks",
		"bad chunk size",
		"bin links broken",
		"free chunk not on its bin",
	};
	for (unsigned int k = 0; k < ARRAY_SIZE(want); k++) {
		struct env e;
		uint64_t a, b, c;

		ENV_UP(kt, &e);
		corruptible(&e, &a, &b, &c);
		KT_EXPECT_NULL(kt, umalloc_check(&e.m));
		if (k == 0)
			poke(&e, c - 16 + 320, 336); /* c's footer */
		else if (k == 1)
			poke(&e, c - 8, peek(&e, c - 8) & ~1ULL); /* b looks free */
		else if (k == 2)
			poke(&e, b - 8, 72 | 1); /* b's size */
		else if (k == 3)
			poke(&e, a + 8, c - 16); /* a's bk */
		else
			e.m.bins[208 / 16 - 2] = 0; /* a's bin loses it */
		const char *msg = umalloc_check(&e.m);
		KT_EXPECT_NOT_NULL(kt, msg);
		if (msg && !KT_EXPECT_NOT_NULL(kt, strstr(msg, want[k])))
			ktest_log(kt, "case %u: %s", k, msg);
		env_down(&e);
	}
}

/* Bad frees and faulting accesses kill the allocator (glibc aborts, the kernel sends SIGSEGV):
 * the reason stays and every later call fails. */
KTEST(umalloc, bad_free_and_faults_kill_it)
{
	static const char *const want[] = {
		"double free or corruption",
		"free(): invalid pointer",
		"free(): invalid pointer",
		"SIGSEGV: malloc's load faulted",
	};
	for (unsigned int k = 0; k < ARRAY_SIZE(want); k++) {
		struct env e;
		uint64_t a, b, c;

		ENV_UP(kt, &e);
		corruptible(&e, &a, &b, &c);
		if (k == 0) {
			ufree(&e.m, a);
		} else if (k == 1) {
			ufree(&e.m, b + 8);
		} else if (k == 2) {
			ufree(&e.m, b + 16);
		} else {
			e.as.fault_all = true;
			KT_EXPECT_EQ(kt, umalloc(&e.m, 10), 0u);
			e.as.fault_all = false;
		}
		const char *msg = umalloc_check(&e.m);
		if (!KT_EXPECT_NOT_NULL(kt, msg) || !KT_EXPECT_NOT_NULL(kt, strstr(msg, want[k])))
			ktest_log(kt, "case %u: %s", k, msg ? msg : "(none)");
		KT_EXPECT_EQ(kt, umalloc(&e.m, 10), 0u);
		KT_EXPECT_EQ(kt, umalloc_usable_size(&e.m, b), 0u);
		env_down(&e);
	}
}

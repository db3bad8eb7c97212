// SPDX-License-Identifier: MIT
/* The user-level malloc tests' model; see umodel.h. */
#include "umodel.h"

#include <stdlib.h>
#include <string.h>

#define KIB 1024ULL
#define MINSIZE 32ULL
#define TOP_PAD (128 * KIB)

bool umodel_init(struct umodel *u, struct umalloc *m, uint64_t seed)
{
	memset(u, 0, sizeof(*u));
	u->m = m;
	u->rng = seed;
	u->buf = malloc(UMODEL_MAX_ALLOC);
	u->want = malloc(UMODEL_MAX_ALLOC);
	return u->buf && u->want;
}

void umodel_fini(struct umodel *u)
{
	free(u->buf);
	free(u->want);
}

/* The bytes an allocation tagged @tag holds: a different 8-byte word at every offset. */
static void pattern(unsigned char *out, uint64_t n, uint64_t tag)
{
	uint64_t w = tag * 0x9e3779b97f4a7c15ULL, i;

	for (i = 0; i + 8 <= n; i += 8, w += 0xbf58476d1ce4e5b9ULL)
		memcpy(out + i, &w, 8);
	memcpy(out + i, &w, n - i);
}

bool umodel_fill(struct umodel *u, uint64_t p, uint64_t n, uint64_t tag)
{
	pattern(u->want, n, tag);
	return !u->m->sys.write(u->m->sys.ctx, p, u->want, n);
}

bool umodel_holds(struct umodel *u, uint64_t p, uint64_t n, uint64_t tag)
{
	pattern(u->want, n, tag);
	return !u->m->sys.read(u->m->sys.ctx, p, u->buf, n) && !memcmp(u->buf, u->want, n);
}

bool umodel_zeroed(struct umodel *u, uint64_t p, uint64_t n)
{
	memset(u->want, 0, n);
	return !u->m->sys.read(u->m->sys.ctx, p, u->buf, n) && !memcmp(u->buf, u->want, n);
}

bool umodel_expect_ok(struct ktest *kt, struct umalloc *m)
{
	const char *msg = umalloc_check(m);

	if (msg)
		ktest_log(kt, "umalloc_check: %s", msg);
	return KT_EXPECT_NULL(kt, msg);
}

/* A request size: mostly small, some up to 64 KiB, a few past the mmap threshold, some 0. */
static uint64_t random_size(struct umodel *u, uint64_t r)
{
	if (r < 60)
		return 1 + ktest_rand_below(&u->rng, 256);
	if (r < 85)
		return 257 + ktest_rand_below(&u->rng, 4096 - 256);
	if (r < 96)
		return 4097 + ktest_rand_below(&u->rng, 64 * KIB - 4096);
	if (r < 99)
		return 64 * KIB + ktest_rand_below(&u->rng, UMODEL_MAX_ALLOC - 64 * KIB);
	return 0;
}

/* Step @step on a random slot: malloc or calloc into an empty one, realloc or free of a full
 * one, the bytes checked; the slot's new allocation gets the pattern of @step. */
static void step_once(struct ktest *kt, struct umodel *u, uint64_t step)
{
	uint64_t i = ktest_rand_below(&u->rng, UMODEL_SLOTS), r = ktest_rand_below(&u->rng, 100);
	uint64_t n = random_size(u, r), *p = &u->slots[i];

	if (!*p) {
		*p = r % 4 ? umalloc(u->m, n) : ucalloc(u->m, 1, n);
		KT_ASSERT_NE(kt, *p, 0u);
		if (r % 4 == 0)
			KT_EXPECT_TRUE(kt, umodel_zeroed(u, *p, n));
	} else if (r % 3 == 0) {
		uint64_t keep = n < u->sizes[i] ? n : u->sizes[i];

		*p = urealloc(u->m, *p, n);
		KT_ASSERT_TRUE(kt, *p || !n);
		if (*p)
			KT_EXPECT_TRUE(kt, umodel_holds(u, *p, keep, u->tags[i]));
	} else {
		KT_EXPECT_TRUE(kt, umodel_holds(u, *p, u->sizes[i], u->tags[i]));
		ufree(u->m, *p);
		*p = 0;
	}
	u->sizes[i] = *p ? n : 0;
	u->tags[i] = step;
	if (*p) {
		KT_EXPECT_EQ(kt, *p % 16, 0u);
		KT_EXPECT_GE(kt, umalloc_usable_size(u->m, *p), n);
		KT_EXPECT_TRUE(kt, umodel_fill(u, *p, n, step));
	}
}

void umodel_run(struct ktest *kt, struct umodel *u, uint64_t ops, uint64_t check_every)
{
	unsigned int fails = kt->failures;
	struct umalloc_stats st;

	for (uint64_t step = 1; step <= ops && kt->failures == fails; step++) {
		step_once(kt, u, step);
		if (step % check_every == 0 && !umodel_expect_ok(kt, u->m))
			ktest_log(kt, "after step %llu", (unsigned long long)step);
	}
	for (int i = 0; i < UMODEL_SLOTS; i++) {
		if (u->slots[i])
			KT_EXPECT_TRUE(kt, umodel_holds(u, u->slots[i], u->sizes[i], u->tags[i]));
		ufree(u->m, u->slots[i]);
		u->slots[i] = 0;
	}
	umalloc_stats(u->m, &st);
	KT_EXPECT_EQ(kt, st.uordblks, 0u);
	KT_EXPECT_EQ(kt, st.hblks, 0u);
	KT_EXPECT_EQ(kt, st.ordblks, st.segments - 1);
	KT_EXPECT_LE(kt, st.keepcost, TOP_PAD + MINSIZE + 4096);
	umodel_expect_ok(kt, u->m);
}

/* SPDX-License-Identifier: MIT */
/*
 * ktest: kmm's in-tree unit-test harness, in the manner of Linux's KUnit. Freestanding, so the
 * same test files run in the hosted runner and inside the QEMU kernel.
 *
 *   KTEST(suite, name) { KT_EXPECT_EQ(kt, 2 + 2, 4); KT_ASSERT_TRUE(kt, p != NULL); ... }
 *
 * A test case is a function of `struct ktest *kt`. EXPECT records a failure and goes on; ASSERT
 * records it and returns from the function it is written in (so use it in the case itself, or in
 * a helper that returns void). A failure prints file:line, the expression and both values.
 * Cases are collected from the "ktest_cases" linker section; the runner prints TAP lines and ends
 * with "N passed, N failed".
 */
#ifndef KTEST_H
#define KTEST_H

#include <kmm/types.h>

struct ktest {
	const struct ktest_case *tc;
	unsigned int failures; /* failed expectations in this case */
	unsigned long long
	    seed; /* for randomised cases: fixed unless the runner is told otherwise */
	bool skipped;
	const char *skip_reason;
};

struct ktest_case {
	const char *suite;
	const char *name;
	void (*fn)(struct ktest *kt);
};

#define KTEST(suite, name)                                                                         \
	static void ktest_fn_##suite##_##name(struct ktest *kt);                                   \
	static const struct ktest_case ktest_case_##suite##_##name                                 \
	    __attribute__((used, section("ktest_cases"), aligned(sizeof(void *)))) = {             \
		    #suite, #name, ktest_fn_##suite##_##name                                       \
	    };                                                                                     \
	static void ktest_fn_##suite##_##name(struct ktest *kt __attribute__((unused)))

/* Reporting, used by the macros below. Each returns true when the check held. */
bool ktest_check(struct ktest *kt, bool ok, const char *file, int line, const char *expr);
bool ktest_check_int(struct ktest *kt, bool ok, const char *file, int line, const char *op,
		     const char *ea, const char *eb, long long a, long long b, bool is_signed);
bool ktest_check_str(struct ktest *kt, const char *file, int line, const char *ea, const char *eb,
		     const char *a, const char *b);
/* Print a "# " diagnostic line belonging to the current case. */
void ktest_log(struct ktest *kt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Mark the running case skipped (it counts as neither passed nor failed). */
void ktest_skip(struct ktest *kt, const char *reason);

#define KT__INT(kt, op, a, b)                                                                      \
	({                                                                                         \
		/* Both sides in their common type, as C compares them (no sign-compare noise). */ \
		__typeof__((a) + (b)) ka_ = (a), kb_ = (b);                                        \
		ktest_check_int((kt), ka_ op kb_, __FILE__, __LINE__, #op, #a, #b, (long long)ka_, \
				(long long)kb_, (__typeof__(ka_))-1 < 1);                          \
	})

#define KT_EXPECT_TRUE(kt, c) ktest_check((kt), !!(c), __FILE__, __LINE__, #c)
#define KT_EXPECT_FALSE(kt, c) ktest_check((kt), !(c), __FILE__, __LINE__, "!(" #c ")")
#define KT_EXPECT_EQ(kt, a, b) KT__INT(kt, ==, a, b)
#define KT_EXPECT_NE(kt, a, b) KT__INT(kt, !=, a, b)
#define KT_EXPECT_LT(kt, a, b) KT__INT(kt, <, a, b)
#define KT_EXPECT_LE(kt, a, b) KT__INT(kt, <=, a, b)
#define KT_EXPECT_GT(kt, a, b) KT__INT(kt, >, a, b)
#define KT_EXPECT_GE(kt, a, b) KT__INT(kt, >=, a, b)
#define KT_EXPECT_NULL(kt, p) ktest_check((kt), (p) == NULL, __FILE__, __LINE__, #p " == NULL")
#define KT_EXPECT_NOT_NULL(kt, p) ktest_check((kt), (p) != NULL, __FILE__, __LINE__, #p " != NULL")
#define KT_EXPECT_STREQ(kt, a, b) ktest_check_str((kt), __FILE__, __LINE__, #a, #b, (a), (b))

#define KT__RET(x)                                                                                 \
	do {                                                                                       \
		if (!(x))                                                                          \
			return;                                                                    \
	} while (0)
#define KT_ASSERT_TRUE(kt, c) KT__RET(KT_EXPECT_TRUE(kt, c))
#define KT_ASSERT_FALSE(kt, c) KT__RET(KT_EXPECT_FALSE(kt, c))
#define KT_ASSERT_EQ(kt, a, b) KT__RET(KT_EXPECT_EQ(kt, a, b))
#define KT_ASSERT_NE(kt, a, b) KT__RET(KT_EXPECT_NE(kt, a, b))
#define KT_ASSERT_LT(kt, a, b) KT__RET(KT_EXPECT_LT(kt, a, b))
#define KT_ASSERT_LE(kt, a, b) KT__RET(KT_EXPECT_LE(kt, a, b))
#define KT_ASSERT_GT(kt, a, b) KT__RET(KT_EXPECT_GT(kt, a, b))
#define KT_ASSERT_GE(kt, a, b) KT__RET(KT_EXPECT_GE(kt, a, b))
#define KT_ASSERT_NULL(kt, p) KT__RET(KT_EXPECT_NULL(kt, p))
#define KT_ASSERT_NOT_NULL(kt, p) KT__RET(KT_EXPECT_NOT_NULL(kt, p))
#define KT_ASSERT_STREQ(kt, a, b) KT__RET(KT_EXPECT_STREQ(kt, a, b))

/* The runner. */
struct ktest_summary {
	unsigned int passed, failed, skipped;
};

/*
 * Run every case whose "suite.name" starts with one of @filters (all when @nfilters is 0), with
 * @seed for randomised cases. Prints TAP lines and the closing "N passed, N failed" line.
 */
struct ktest_summary ktest_run_all(const char *const *filters, int nfilters,
				   unsigned long long seed);
/* Print "suite.name" of every case, one a line. */
void ktest_list(void);
/*
 * If set, called after each case ran, before its result is printed: it may fail the case
 * (kt->failures++, with ktest_log lines saying why). The hosted runner checks the emulated
 * hardware's rule checker there.
 */
extern void (*ktest_after_case)(struct ktest *kt);

/* A small deterministic PRNG for randomised tests (SplitMix64). */
static inline uint64_t ktest_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0. */
static inline uint64_t ktest_rand_below(uint64_t *state, uint64_t n)
{
	return ktest_rand(state) % n;
}

#endif /* KTEST_H */

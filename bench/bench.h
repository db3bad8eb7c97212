/* SPDX-License-Identifier: MIT */
/*
 * kmm-bench's harness. A benchmark is a name ("buddy.pair.order0") and an optional parameter
 * ("ram": 1073741824); each implementation of it ("kmm", the "freelist" lower bound, the malloc
 * peers of peers.h) is one struct bench_def, registered with BENCH(id) in the "kmm_benches" linker
 * section, so adding a file adds benchmarks:
 *
 *   BENCH(pair_1g_kmm) = { .name = "buddy.pair.order0", .impl = "kmm", .param_key = "ram",
 *                          .param = SZ_1G, .setup = kmm_setup, .run = kmm_pair,
 *                          .teardown = kmm_teardown };
 *
 * Definitions with the same name, parameter key and value form one group, wherever they are
 * registered: the runner sets every impl of a group up, calibrates each, then measures them
 * interleaved run by run (impl 1 run 1, impl 2 run 1, impl 1 run 2, ...) and prints one JSON
 * line per impl with the median ns per op.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>

struct bench_def {
	const char *name;      /* "area.case", the prefix filters match it */
	const char *impl;      /* "kmm", "freelist", "glibc", ... */
	const char *param_key; /* the extra JSON key, or NULL for none */
	uint64_t param;	       /* its value, handed to setup */
	const char *rate_key;  /* NULL, or a key for the median rate too: 1e9 / ns_per_op ops/s */
	/* Build the state for @param in *@state: 0; BENCH_SKIP when this impl cannot run here (it
	 * says why on stderr; the group goes on without it); or a negative errno (the group is
	 * skipped). */
	int (*setup)(void **state, uint64_t param);
	/* Do @iters iterations on @state; return how many ops they were (time / ops = ns_per_op).
	 */
	uint64_t (*run)(void *state, uint64_t iters);
	/* Free everything setup built. */
	void (*teardown)(void *state);
};

#define BENCH_SKIP 1 /* setup's answer when its impl cannot run here */

#define BENCH(id)                                                                                  \
	static const struct bench_def bench_def_##id                                               \
	    __attribute__((used, section("kmm_benches"), aligned(sizeof(void *))))

/* Make the compiler assume @p is used and memory changed, so a measured op is not elided. */
#define bench_use(p) __asm__ volatile("" : : "r"(p) : "memory")

/* A small deterministic PRNG (SplitMix64), for precomputed random inputs. */
static inline uint64_t bench_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#endif /* BENCH_H */

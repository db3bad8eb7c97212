/* SPDX-License-Identifier: MIT */
/*
 * The user-level malloc tests' model: live allocations of a struct umalloc, each holding a
 * pattern of its own written through the allocator's sys->write and checked through sys->read
 * (so over a fake address space or a simulated process alike), and randomized runs against it:
 * every byte written reads back until freed, through realloc's moves and the frees and trims
 * around it.
 */
#ifndef TESTS_USER_UMODEL_H
#define TESTS_USER_UMODEL_H

#include "user/umalloc.h"

#include "../ktest/ktest.h"

#define UMODEL_MAX_ALLOC (320 * 1024) /* the random runs' largest request */
#define UMODEL_SLOTS 512	      /* live allocations in the random runs */

struct umodel {
	struct umalloc *m;
	unsigned char *buf, *want;    /* UMODEL_MAX_ALLOC bytes each */
	uint64_t slots[UMODEL_SLOTS]; /* allocations, 0: none */
	uint64_t sizes[UMODEL_SLOTS]; /* their requested bytes */
	uint64_t tags[UMODEL_SLOTS];  /* their patterns */
	uint64_t rng;
};

/* A model of no allocations for @m; false when the host is out of memory. */
bool umodel_init(struct umodel *u, struct umalloc *m, uint64_t seed);
void umodel_fini(struct umodel *u);

/* Write @tag's pattern over the @n bytes at user address @p; false if the write faulted. */
bool umodel_fill(struct umodel *u, uint64_t p, uint64_t n, uint64_t tag);
/* Whether the first @n bytes at @p hold @tag's pattern / are zero. */
bool umodel_holds(struct umodel *u, uint64_t p, uint64_t n, uint64_t tag);
bool umodel_zeroed(struct umodel *u, uint64_t p, uint64_t n);

/* Expect umalloc_check to pass, logging the finding when it does not. */
bool umodel_expect_ok(struct ktest *kt, struct umalloc *m);

/*
 * @ops random steps (malloc or calloc into an empty slot, realloc or free of a full one, sizes
 * from 0 to UMODEL_MAX_ALLOC), the bytes checked at every step and umalloc_check every
 * @check_every; then everything is freed and the heap must be empty: each segment not holding
 * the top one free chunk, no mmapped chunk, the top trimmed.
 */
void umodel_run(struct ktest *kt, struct umodel *u, uint64_t ops, uint64_t check_every);

#endif /* TESTS_USER_UMODEL_H */

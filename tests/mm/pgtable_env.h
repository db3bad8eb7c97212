/* SPDX-License-Identifier: MIT */
/*
 * Test fixture shared by the pgtable tests that translate through an emulated CPU: a 1-CPU hosted
 * machine with 8 MiB of RAM at RAM_BASE, table pages from a pool at its start (at most
 * pool.left of them, so tests can make the allocator run out), and one pgtable that TTBR1
 * translates through, 48-bit VAs, the granule of the caller's choice.
 */
#ifndef TESTS_MM_PGTABLE_ENV_H
#define TESTS_MM_PGTABLE_ENV_H

#include "arch/host/host.h"

#include <kmm/pgtable.h>

#include "../ktest/ktest.h"

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (8ULL << 20)
#define POOL_PAGES 256 /* 1M of 4K tables */
#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)

/* Table pages from a pool at the start of RAM, in any order, at most @left of them. */
struct pool {
	bool used[POOL_PAGES];
	uint64_t granule;
	unsigned long live, left;
};

struct env {
	struct hw_machine m, *prev;
	struct xlat_geometry g;
	struct pool pool;
	struct pgtable_alloc alloc;
	struct pgtable pt;
	struct mmu_regs regs;
};

/* Read-write kernel data: Normal memory, inner shareable, EL1 only, never executable. */
extern const struct pte_attrs rw;

/* Set up @e with @granule; false (reported) if that fails. */
bool env_init(struct ktest *kt, struct env *e, uint64_t granule);
/* Tear @e down and re-attach the machine that was attached before. */
void env_fini(struct env *e);

#endif /* TESTS_MM_PGTABLE_ENV_H */

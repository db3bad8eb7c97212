/* SPDX-License-Identifier: MIT */
/*
 * A fake process address space for the user-level code's tests: a host buffer stands for
 * [FAKE_BASE, FAKE_BASE + FAKE_SIZE), with a brk area at the bottom and top-down anonymous
 * mmaps above it, each access checked against what is mapped (an access elsewhere fails as a
 * fault would). Released memory reads back as zero when mapped again, as the kernel's does.
 */
#ifndef TESTS_USER_FAKE_AS_H
#define TESTS_USER_FAKE_AS_H

#include "user/umalloc.h"

#define FAKE_BASE 0x10000000ULL
#define FAKE_SIZE (512ULL << 20)
#define FAKE_PAGE 4096ULL
#define FAKE_MMAP_FLOOR (FAKE_BASE + (256ULL << 20)) /* brk below, mmap above */
#define FAKE_START_BRK (FAKE_BASE + 0x1008)	     /* not aligned: malloc must align it */

struct fake_as {
	unsigned char *mem;    /* FAKE_SIZE bytes */
	unsigned char *mapped; /* one per page of the mmap area: mapped */
	uint64_t start_brk, brk;
	uint64_t brk_limit;		    /* brk refuses to go above this */
	bool mmap_refuse;		    /* mmap answers -ENOMEM */
	bool fault_all;			    /* every access faults */
	unsigned long nbrk, nmmap, nmunmap; /* calls made */
};

/* Set @as up empty (false when the host is out of memory) and fill @sys with its calls. */
bool fake_as_init(struct fake_as *as, struct umalloc_sys *sys);
void fake_as_destroy(struct fake_as *as);

/* Whether [@va, @va + @n) is mapped (in the brk area below the break's page, or mmapped). */
bool fake_as_mapped(const struct fake_as *as, uint64_t va, uint64_t n);

/* The host address of user address @va (which must lie in the fake space). */
unsigned char *fake_as_host(struct fake_as *as, uint64_t va);

#endif /* TESTS_USER_FAKE_AS_H */

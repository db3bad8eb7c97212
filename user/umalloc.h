/* SPDX-License-Identifier: MIT */
/*
 * umalloc: the user-level malloc of the simulated processes (issue 6 item 7, seed 003), code
 * that would run at EL0 in a process's C library. It includes no kmm kernel header: it reaches
 * the kernel only through a struct umalloc_sys, the process's system calls.
 *
 * The design is glibc's ptmalloc2 (dlmalloc's boundary tags) for a single arena:
 *
 *  - Chunks live in the process's memory, 16-byte aligned, and every piece of metadata (headers,
 *    footers, free-list links) is read and written through sys->read/sys->write: each is a real
 *    user access that the kernel may have to fault in. A chunk at C:
 *        C+0   prev_size  the size of the chunk before when that one is free (its footer);
 *                         otherwise the tail of that chunk's user data
 *        C+8   size | PREV_INUSE (bit 0) | IS_MMAPPED (bit 1) | FENCE (bit 2)
 *        C+16  user data (the pointer malloc returns), or, when free, fd and bk: the next and
 *              previous chunk of its bin
 *    An in-use chunk of size S gives S - 8 bytes (it also uses the next chunk's prev_size).
 *    Whether a chunk is in use is the next chunk's PREV_INUSE bit.
 *  - Free chunks are coalesced with their free neighbours at once (no fastbins, no tcache, no
 *    unsorted bin: two free chunks are never adjacent) and kept in 214 bins: 62 exact small
 *    bins (32..1008 bytes) and large bins of a quarter power of two each, sorted by size, so the
 *    first fit found is the best fit. A bitmap of the non-empty bins speeds the search.
 *  - The top chunk (the wilderness) ends the heap. When neither a bin nor the top fits, the heap
 *    grows: requests of at least the mmap threshold (M_MMAP_THRESHOLD, 128 KiB) get an mmap of
 *    their own (IS_MMAPPED; munmapped on free), others extend the top with brk by the request
 *    plus M_TOP_PAD (128 KiB), rounded to pages. When the top grows past M_TRIM_THRESHOLD
 *    (128 KiB) on a free, the pages above M_TOP_PAD are given back (brk down, or munmap of the
 *    tail of an mmapped heap segment).
 *  - When brk fails (the kernel refuses, or something lies above the break), the heap goes on in
 *    mmapped segments of at least 1 MiB, as glibc's sysmalloc does; the old top is fenced off
 *    and freed. brk is not tried again. Each heap segment (the brk one and the mmapped ones)
 *    starts with a 16-byte descriptor {next segment, end}; a segment not holding the top ends in
 *    a FENCE chunk (16 or 32 bytes, always "in use").
 *
 * ptmalloc's behaviours kept: a large request is first served from the bins and the top if they
 * fit (the mmap threshold is looked at only when the heap would have to grow), and if its mmap
 * fails the heap grows instead; realloc grows in place into a free neighbour or the top;
 * realloc(p, 0) frees p; calloc does not clear an mmapped chunk (the kernel gave zero pages).
 * Left out: arenas and threads, the dynamic mmap threshold, mremap for mmapped chunks.
 *
 * The bin heads and counters (struct umalloc) stand for the arena's malloc_state in the
 * library's data; the caller keeps it. When a user access fails (the process would have been
 * killed by SIGSEGV) or a call finds the heap corrupted (glibc would abort), the allocator is
 * dead: the reason is kept, every later call fails, umalloc_check returns it.
 */
#ifndef UMALLOC_H
#define UMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The process's system calls, as a C library wraps them. */
struct umalloc_sys {
	/* brk(2): set the break to @addr; returns the break afterwards (the old one when refused;
	 * @addr 0 asks for the current one). */
	long (*brk)(void *ctx, uint64_t addr);
	/* mmap(NULL, @len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0): the
	 * address, or a negative errno. */
	long (*mmap)(void *ctx, uint64_t len);
	/* munmap(2): 0 or a negative errno. */
	int (*munmap)(void *ctx, uint64_t addr, uint64_t len);
	/* Loads and stores of @n bytes at user address @va: 0, or non-zero when the access
	 * faulted and the kernel could not resolve it (the process would get a signal). */
	int (*read)(void *ctx, uint64_t va, void *buf, size_t n);
	int (*write)(void *ctx, uint64_t va, const void *buf, size_t n);
	void *ctx;
};

/* mallopt parameters (glibc's values). */
#define M_TRIM_THRESHOLD (-1)
#define M_TOP_PAD (-2)
#define M_MMAP_THRESHOLD (-3)

#define UMALLOC_NSMALLBINS 62
#define UMALLOC_NBINS (UMALLOC_NSMALLBINS + 38 * 4)

/* The allocator's state (ptmalloc's malloc_state and malloc_par). Fields are private. */
struct umalloc {
	struct umalloc_sys sys;
	uint64_t bins[UMALLOC_NBINS]; /* each bin's first chunk, 0 when empty */
	uint64_t binmap[(UMALLOC_NBINS + 63) / 64];
	uint64_t top;	  /* the top chunk, 0 before the heap exists */
	uint64_t segs;	  /* the first heap segment */
	uint64_t top_seg; /* the segment holding the top: the last one */
	uint64_t brk_seg; /* the segment brk extends, 0 when none */
	bool brk_failed;  /* brk refused once: the heap grows by mmap from then on */
	uint64_t trim_threshold, top_pad, mmap_threshold;
	uint64_t hblks, hblkhd; /* mmapped chunks and their bytes */
	uint64_t brk_calls, mmap_calls, munmap_calls, trims;
	bool dead;
	char error[96];	  /* why it died */
	char report[128]; /* umalloc_check's last finding */
};

/* Statistics (glibc's mallinfo2 fields, and the system calls made). */
struct umalloc_stats {
	uint64_t arena;	   /* bytes of heap segments (brk and mmapped) */
	uint64_t ordblks;  /* free chunks in the bins */
	uint64_t hblks;	   /* chunks with an mmap of their own */
	uint64_t hblkhd;   /* their bytes */
	uint64_t uordblks; /* heap bytes in in-use chunks */
	uint64_t fordblks; /* heap bytes free: the bins' chunks and the top */
	uint64_t keepcost; /* the top chunk's size */
	uint64_t segments; /* heap segments */
	uint64_t brk_calls, mmap_calls, munmap_calls, trims;
};

/* An empty allocator over @sys; nothing is asked of the kernel until the first allocation. */
void umalloc_init(struct umalloc *m, const struct umalloc_sys *sys);

/* Set a tunable (M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD) to @value bytes: 1, or 0 when
 * @param is unknown or @value negative (glibc's mallopt). */
int umallopt(struct umalloc *m, int param, long value);

/* malloc, free, realloc, calloc: addresses are user VAs, 0 is NULL. 0 also when out of memory
 * or dead. */
uint64_t umalloc(struct umalloc *m, size_t n);
void ufree(struct umalloc *m, uint64_t p);
uint64_t urealloc(struct umalloc *m, uint64_t p, size_t n);
uint64_t ucalloc(struct umalloc *m, size_t nmemb, size_t size);

/* The bytes the allocation @p may use (malloc_usable_size); 0 for NULL or when dead. */
size_t umalloc_usable_size(struct umalloc *m, uint64_t p);

/*
 * Walk the heap and check every invariant: each segment's chunks chain from its start to its
 * fence (the last one to the top, which ends at the segment's end, and the brk segment at the
 * break); sizes aligned and at least the minimum; no two free chunks adjacent; a free chunk's
 * footer equal to its size; every free chunk on exactly the bin of its size, the bins' links
 * consistent both ways and large bins sorted. NULL when all hold, else a message (in @m) naming
 * the first broken one; the death reason if the allocator is dead.
 */
const char *umalloc_check(struct umalloc *m);

/* Fill @st from a walk of the heap and the counters. */
void umalloc_stats(struct umalloc *m, struct umalloc_stats *st);

#endif /* UMALLOC_H */

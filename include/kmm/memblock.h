/* SPDX-License-Identifier: MIT */
/*
 * memblock: the boot-time memory manager, as Linux's mm/memblock.c (seed 002). Two sorted arrays
 * of non-overlapping regions: `memory` (the RAM the device tree describes) and `reserved` (what
 * is already in use: the kernel image, the DTB, the initrd, early allocations). Early
 * allocations — page tables, the struct page array — come from memory minus reserved; at the
 * end of boot every free range is handed to the page allocator.
 *
 * Context is explicit: every call takes the struct memblock it works on. Region arrays start in
 * the struct itself and double when full, the new array allocated from memblock (as Linux's
 * memblock_double_array), through the arch interface's direct view of physical memory.
 */
#ifndef KMM_MEMBLOCK_H
#define KMM_MEMBLOCK_H

#include <kmm/types.h>

/* Region flags, Linux's values. */
#define MEMBLOCK_NONE 0x0
#define MEMBLOCK_HOTPLUG 0x1 /* hotpluggable memory (the DT's "hotpluggable") */
#define MEMBLOCK_NOMAP 0x4   /* not in the linear map (reserved-memory "no-map") */

#define NUMA_NO_NODE (-1)
#define MEMBLOCK_INIT_REGIONS 128
#define MEMBLOCK_ALLOC_ANYWHERE (~(paddr_t)0)

struct memblock_region {
	paddr_t base;
	uint64_t size;
	unsigned int flags;
	int nid;
};

struct memblock_type {
	const char *name;
	unsigned long cnt;   /* regions in use */
	unsigned long max;   /* capacity of @regions */
	uint64_t total_size; /* bytes, the sum of the regions */
	struct memblock_region *regions;
	struct memblock_region init[MEMBLOCK_INIT_REGIONS];
	bool grown; /* @regions is a memblock allocation, not @init */
};

struct memblock {
	bool bottom_up;        /* allocation direction; top-down by default, as Linux */
	paddr_t current_limit; /* allocations end below this (MEMBLOCK_ALLOC_ANYWHERE: no limit) */
	struct memblock_type memory;
	struct memblock_type reserved;
};

void memblock_init(struct memblock *mb);

/*
 * Add, remove, reserve and free ranges. Overlaps and adjacency are resolved: regions are kept
 * sorted, split at range boundaries and merged with neighbours of the same node and flags.
 * Return 0, -EINVAL for a range that wraps, or -ENOMEM when an array cannot grow (then nothing
 * changed).
 */
int memblock_add(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_add_node(struct memblock *mb, paddr_t base, uint64_t size, int nid, unsigned int flags);
int memblock_remove(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_reserve(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_free(struct memblock *mb, paddr_t base, uint64_t size); /* un-reserve */
/* Set or clear a flag on the memory in [base, base + size) (splitting regions as needed). */
int memblock_mark_nomap(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_clear_nomap(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_mark_hotplug(struct memblock *mb, paddr_t base, uint64_t size);

void memblock_set_bottom_up(struct memblock *mb, bool enable);
void memblock_set_current_limit(struct memblock *mb, paddr_t limit);

/*
 * Allocate @size bytes aligned to @align (a power of two; 0 means SMP_CACHE_BYTES, 64) from
 * memory that is not reserved and not NOMAP, within [start, end) and below current_limit;
 * top-down unless bottom_up. The range is reserved. Returns its address, or 0 when nothing fits.
 */
paddr_t memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align,
				  paddr_t start, paddr_t end);
paddr_t memblock_phys_alloc(struct memblock *mb, uint64_t size, uint64_t align);

/* Iterate over free ranges (memory minus reserved, NOMAP excluded), lowest first:
 *     uint64_t i = 0; paddr_t s, e; int nid;
 *     while (memblock_next_free_range(mb, &i, &s, &e, &nid)) ...          [s, e) is free */
bool memblock_next_free_range(const struct memblock *mb, uint64_t *idx, paddr_t *start,
			      paddr_t *end, int *nid);

uint64_t memblock_phys_mem_size(const struct memblock *mb);
uint64_t memblock_reserved_size(const struct memblock *mb);
paddr_t memblock_start_of_DRAM(const struct memblock *mb);
paddr_t memblock_end_of_DRAM(const struct memblock *mb);
bool memblock_is_memory(const struct memblock *mb, paddr_t addr);
bool memblock_is_reserved(const struct memblock *mb, paddr_t addr);

/* Keep only the first @limit bytes of memory (the "mem=" boot option), as Linux's
 * memblock_mem_limit_remove_map. */
void memblock_cap_memory(struct memblock *mb, uint64_t limit);

/* Print both arrays as Linux's memblock=debug does ("MEMBLOCK configuration: ..."). */
void memblock_dump(const struct memblock *mb);

/* The invariant checker: sorted, non-overlapping, no empty region, unmergeable neighbours,
 * counts and totals right. Returns 0, or -EINVAL after printing what is wrong. */
int memblock_check(const struct memblock *mb);

#endif /* KMM_MEMBLOCK_H */

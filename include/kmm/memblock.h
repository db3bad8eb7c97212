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
	bool bottom_up;	       /* allocation direction; top-down by default, as Linux */
	paddr_t current_limit; /* allocations end below this (MEMBLOCK_ALLOC_ANYWHERE: no limit) */
	struct memblock_type memory;
	struct memblock_type reserved;
};

void memblock_init(struct memblock *mb);

/*
 * Add, remove, reserve and free ranges. Overlaps and adjacency are resolved: regions are kept
 * sorted, split at range boundaries and merged with neighbours of the same node and flags. An
 * add covers only the parts of the range no region holds yet: the overlapped parts keep their
 * node and flags. memblock_add is memblock_add_node(.., NUMA_NO_NODE, MEMBLOCK_NONE); reserved
 * regions have NUMA_NO_NODE and MEMBLOCK_NONE. Return 0 (also for size 0, which changes
 * nothing), -EINVAL for a range that wraps (base + size overflows), or -ENOMEM when an array
 * cannot grow (then the range's regions are unchanged; an array that did grow on the way stays
 * grown, its allocation reserved).
 */
int memblock_add(struct memblock *mb, paddr_t base, uint64_t size);
int memblock_add_node(struct memblock *mb, paddr_t base, uint64_t size, int nid,
		      unsigned int flags);
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
 * top-down unless bottom_up. The range lies within one free range of memblock_next_free_range.
 * The range is reserved. Returns its address, or 0 when nothing fits, for size 0, and (after a
 * WARNING) for an align that is not a power of two. As 0 means failure, address 0 is never
 * allocated: memory at PA 0 is used from the first aligned address above it.
 */
paddr_t memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align, paddr_t start,
				  paddr_t end);
paddr_t memblock_phys_alloc(struct memblock *mb, uint64_t size, uint64_t align);

/* Iterate over free ranges (memory minus reserved, NOMAP excluded), lowest first:
 *     uint64_t i = 0; paddr_t s, e; int nid;
 *     while (memblock_next_free_range(mb, &i, &s, &e, &nid)) ...          [s, e) is free
 * A free range lies within one memory region (adjacent regions give separate ranges); @nid is
 * that region's. Any of @start, @end, @nid may be NULL. */
bool memblock_next_free_range(const struct memblock *mb, uint64_t *idx, paddr_t *start,
			      paddr_t *end, int *nid);

uint64_t memblock_phys_mem_size(const struct memblock *mb);
uint64_t memblock_reserved_size(const struct memblock *mb);
paddr_t memblock_start_of_DRAM(const struct memblock *mb);
paddr_t memblock_end_of_DRAM(const struct memblock *mb);
bool memblock_is_memory(const struct memblock *mb, paddr_t addr);
bool memblock_is_reserved(const struct memblock *mb, paddr_t addr);

/* Keep only the first @limit bytes of memory (the "mem=" boot option), as Linux's
 * memblock_mem_limit_remove_map: max = the address where the memory below it (NOMAP regions
 * included) adds up to @limit; the memory regions above max are removed except NOMAP ones, and
 * so are the reserved ranges above max. No change for @limit 0 or >= the memory size. If an
 * array cannot grow for the split at max, a message is printed and nothing (or, when it is the
 * reserved array, only memory) is capped. */
void memblock_cap_memory(struct memblock *mb, uint64_t limit);

/* Print both arrays as Linux's memblock=debug does ("MEMBLOCK configuration: ..."); " on node N"
 * for regions with a node (nid >= 0). An empty array prints "cnt  = 0x0" (Linux keeps a dummy
 * zero-size entry there instead). */
void memblock_dump(const struct memblock *mb);

/* The invariant checker: sorted, non-overlapping, no empty region, unmergeable neighbours,
 * counts and totals right. Returns 0, or -EINVAL after printing what is wrong. */
int memblock_check(const struct memblock *mb);

#endif /* KMM_MEMBLOCK_H */

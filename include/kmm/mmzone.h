/* SPDX-License-Identifier: MIT */
/*
 * Nodes, zones and the buddy allocator's free areas, as Linux 6.1's <linux/mmzone.h> (seed 002,
 * "nodes, zones and page frames"; seed 001, the buddy system). The page size is the 4K granule's.
 *
 * A struct mem_system is one machine's physical-memory state: its nodes (each with its zones and
 * its zonelist), the sparse memory map (a table of sections, each with the struct pages of its
 * 128 MiB), and the tunables Linux keeps as sysctls. Every core function takes one explicitly;
 * the kernel's default instance is mm_default_system (mm/mm_init.c), used by alloc_pages & co.
 *
 * Locking, as Linux 6.1's (mm/page_alloc.c has the order): zone->lock guards the zone's free
 * areas and their counts (nr_free_pages, nr_reserved_highatomic, managed_pages) and the
 * migratetypes of its pageblocks; each per_cpu_pages has its own lock, taken with local
 * interrupts masked, by its CPU (arch_cpu_id picks the lists) and by a CPU draining it.
 */
#ifndef KMM_MMZONE_H
#define KMM_MMZONE_H

#include <kmm/list.h>
#include <kmm/mm_types.h>
#include <kmm/spinlock.h>
#include <kmm/types.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE (1UL << PAGE_SHIFT)

/* Orders 0..MAX_ORDER-1 (Linux 6.1's MAX_ORDER: blocks of up to 4 MiB). */
#define MAX_ORDER 11
#define MAX_ORDER_NR_PAGES (1UL << (MAX_ORDER - 1))
#define PAGE_ALLOC_COSTLY_ORDER 3

/* A pageblock: the unit of migratetype (pageblock_order = HUGETLB_PAGE_ORDER, 2 MiB for 4K). */
#define pageblock_order 9
#define pageblock_nr_pages (1UL << pageblock_order)

/* Sparse memory: arm64's SECTION_SIZE_BITS for 4K pages (128 MiB sections). */
#define SECTION_SIZE_BITS 27
#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION (1UL << PFN_SECTION_SHIFT)
#define PAGEBLOCKS_PER_SECTION (PAGES_PER_SECTION / pageblock_nr_pages)
_Static_assert(PFN_SECTION_SHIFT >= MAX_ORDER - 1, "a buddy block must not cross a section");

#define NR_CPUS 8
#define MAX_NUMNODES 4

enum migratetype {
	MIGRATE_UNMOVABLE,
	MIGRATE_MOVABLE,
	MIGRATE_RECLAIMABLE,
	MIGRATE_PCPTYPES, /* the number of types on the per-CPU lists */
	MIGRATE_HIGHATOMIC = MIGRATE_PCPTYPES,
	MIGRATE_ISOLATE, /* never allocated from; no pageblock is isolated yet (no isolation API) */
	MIGRATE_TYPES
};

enum zone_type { ZONE_DMA, ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE, MAX_NR_ZONES };

enum zone_watermarks { WMARK_MIN, WMARK_LOW, WMARK_HIGH, WMARK_PROMO, NR_WMARK };

struct free_area {
	struct list_head free_list[MIGRATE_TYPES];
	unsigned long nr_free; /* blocks of this order, on all lists */
};

/* Per-CPU lists for orders 0..PAGE_ALLOC_COSTLY_ORDER, one per (order, pcp migratetype). */
#define NR_PCP_LISTS (MIGRATE_PCPTYPES * (PAGE_ALLOC_COSTLY_ORDER + 1))

struct per_cpu_pages {
	spinlock_t lock;   /* the lists, count, free_factor */
	int count;	   /* pages (not blocks) on the lists */
	int high;	   /* drain above this */
	int batch;	   /* refill and drain chunk */
	short free_factor; /* batch scaling on consecutive frees (nr_pcp_free) */
	struct list_head lists[NR_PCP_LISTS];
};

struct pglist_data;

struct zone {
	unsigned long _watermark[NR_WMARK];
	unsigned long watermark_boost; /* always 0: no boosting without kswapd */
	unsigned long nr_reserved_highatomic;
	/* Pages an allocation that may use up to zone j must leave here (sysctl ratio). */
	long lowmem_reserve[MAX_NR_ZONES];
	struct pglist_data *zone_pgdat;
	struct per_cpu_pages per_cpu_pageset[NR_CPUS];
	unsigned long zone_start_pfn;
	unsigned long spanned_pages; /* end - start, holes included */
	unsigned long present_pages; /* memory (memblock.memory) in the span */
	unsigned long managed_pages; /* handed to the buddy allocator */
	const char *name;
	spinlock_t lock; /* free_area, nr_free_pages, highatomic, pageblock types */
	struct free_area free_area[MAX_ORDER];
	unsigned long nr_free_pages; /* NR_FREE_PAGES: free-list pages, isolated ones excluded */
	unsigned long nr_isolate_pageblock;
};

/* The zones an allocation may use, in fallback order; NULL-terminated. */
#define MAX_ZONES_PER_ZONELIST (MAX_NUMNODES * MAX_NR_ZONES)
struct zonelist {
	struct zone *zones[MAX_ZONES_PER_ZONELIST + 1];
};

struct mem_system;

typedef struct pglist_data {
	struct zone node_zones[MAX_NR_ZONES];
	struct zonelist node_zonelist; /* ZONELIST_FALLBACK */
	int nr_zones;		       /* highest populated zone + 1 */
	int node_id;
	unsigned long node_start_pfn;
	unsigned long node_present_pages;
	unsigned long node_spanned_pages;
	struct mem_system *ms;
} pg_data_t;

/* A section: the struct pages of its PAGES_PER_SECTION frames and its pageblocks' types. */
struct mem_section {
	struct page *mem_map;	  /* NULL: no memory in this section */
	uint8_t *pageblock_flags; /* PAGEBLOCKS_PER_SECTION migratetypes */
};

struct mem_system {
	pg_data_t node_data[MAX_NUMNODES];
	int nr_online_nodes; /* nodes 0..nr_online_nodes-1 */
	unsigned int nr_cpus;
	struct mem_section *sections; /* indexed by pfn >> PFN_SECTION_SHIFT, [0, nr_sections) */
	unsigned long nr_sections;
	unsigned long min_pfn, max_pfn; /* of memblock.memory: [min_pfn, max_pfn) */
	unsigned long memmap_pages;	/* pages the memory map and section table took */
	/* Tunables (sysctls in Linux). */
	unsigned long min_free_kbytes;
	int watermark_scale_factor;
	int lowmem_reserve_ratio[MAX_NR_ZONES];
	/* Statistics. */
	unsigned long totalram_pages; /* managed, all zones */
	unsigned long totalreserve_pages;
	unsigned long nr_bad_pages;	 /* bad_page reports: bugs detected */
	unsigned long nr_alloc_failures; /* warn_alloc reports and silent failures */
};

static inline unsigned long zone_end_pfn(const struct zone *z)
{
	return z->zone_start_pfn + z->spanned_pages;
}

static inline bool zone_spans_pfn(const struct zone *z, unsigned long pfn)
{
	return pfn >= z->zone_start_pfn && pfn < zone_end_pfn(z);
}

static inline bool populated_zone(const struct zone *z)
{
	return z->present_pages != 0;
}

static inline bool managed_zone(const struct zone *z)
{
	return z->managed_pages != 0;
}

static inline enum zone_type zone_idx(const struct zone *z)
{
	return (enum zone_type)(z - z->zone_pgdat->node_zones);
}

static inline int zone_to_nid(const struct zone *z)
{
	return z->zone_pgdat->node_id;
}

static inline struct mem_system *zone_ms(const struct zone *z)
{
	return z->zone_pgdat->ms;
}

#define min_wmark_pages(z) ((z)->_watermark[WMARK_MIN] + (z)->watermark_boost)
#define low_wmark_pages(z) ((z)->_watermark[WMARK_LOW] + (z)->watermark_boost)
#define high_wmark_pages(z) ((z)->_watermark[WMARK_HIGH] + (z)->watermark_boost)
#define promo_wmark_pages(z) ((z)->_watermark[WMARK_PROMO] + (z)->watermark_boost)
#define wmark_pages(z, i) ((z)->_watermark[i] + (z)->watermark_boost)

static inline bool migratetype_is_mergeable(int mt)
{
	return mt < MIGRATE_PCPTYPES;
}

/* Migratetype names as /proc/pagetypeinfo prints them. */
extern const char *const migratetype_names[MIGRATE_TYPES];
extern const char *const zone_names[MAX_NR_ZONES];

#endif /* KMM_MMZONE_H */

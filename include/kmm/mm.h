/* SPDX-License-Identifier: MIT */
/*
 * Page frames: page flags, the pfn <-> struct page <-> address conversions of the sparse memory
 * map, and the memory-system set-up (Linux's <linux/mm.h> and <linux/page-flags.h>, 6.1).
 *
 * page->flags holds, from bit 0 up: the PG_* flags, the order of an allocated block (in its
 * first page, kmm's addition: it lets a free with the wrong order be caught), the zone, the node
 * and the section number (Linux's SPARSEMEM layout: the section finds the page's mem_map, so
 * page_to_pfn is arithmetic on it).
 */
#ifndef KMM_MM_H
#define KMM_MM_H

#include <kmm/gfp.h>
#include <kmm/memblock.h>
#include <kmm/mm_types.h>
#include <kmm/mmzone.h>

#define PFN_PHYS(pfn) ((paddr_t)(pfn) << PAGE_SHIFT)
#define PHYS_PFN(pa) ((unsigned long)((pa) >> PAGE_SHIFT))
#define PFN_UP(pa) PHYS_PFN((pa) + PAGE_SIZE - 1)
#define PFN_DOWN(pa) PHYS_PFN(pa)

/* Page flags: Linux's names (a subset); the values are kmm's. */
enum pageflags {
	PG_locked,
	PG_referenced,
	PG_uptodate,
	PG_dirty,
	PG_lru,
	PG_active,
	PG_slab,
	PG_reserved, /* not managed by the buddy allocator (memblock-reserved, NOMAP, hole) */
	PG_private,
	PG_buddy, /* the first page of a free block on a free list (Linux: a page type) */
	NR_PAGEFLAGS
};

/* Flags a page must not carry when it is freed (Linux's PAGE_FLAGS_CHECK_AT_FREE, subset). */
#define PAGE_FLAGS_CHECK_AT_FREE                                                                   \
	(BIT(PG_lru) | BIT(PG_locked) | BIT(PG_private) | BIT(PG_reserved) | BIT(PG_slab) |        \
	 BIT(PG_active))

#define PAGE_ORDER_MASK GENMASK(19, 16)	  /* allocated block's order + 1 (0: not a block head) */
#define PAGE_ZONE_MASK GENMASK(21, 20)	  /* enum zone_type */
#define PAGE_NODE_MASK GENMASK(23, 22)	  /* node id */
#define PAGE_SECTION_MASK GENMASK(63, 28) /* section number */
_Static_assert(MAX_NR_ZONES <= 4 && MAX_NUMNODES <= 4, "page->flags zone and node fields");
_Static_assert(NR_PAGEFLAGS <= 16, "page->flags: PG_* bits overlap the fields");

static inline bool page_flag(const struct page *p, enum pageflags f)
{
	return p->flags & BIT(f);
}

static inline void set_page_flag(struct page *p, enum pageflags f)
{
	p->flags |= BIT(f);
}

static inline void clear_page_flag(struct page *p, enum pageflags f)
{
	p->flags &= ~BIT(f);
}

static inline bool PageBuddy(const struct page *p)
{
	return page_flag(p, PG_buddy);
}

static inline bool PageReserved(const struct page *p)
{
	return page_flag(p, PG_reserved);
}

static inline enum zone_type page_zonenum(const struct page *p)
{
	return (enum zone_type)FIELD_GET(PAGE_ZONE_MASK, p->flags);
}

static inline int page_to_nid(const struct page *p)
{
	return (int)FIELD_GET(PAGE_NODE_MASK, p->flags);
}

static inline unsigned long page_to_section(const struct page *p)
{
	return FIELD_GET(PAGE_SECTION_MASK, p->flags);
}

/* The order of a free block (valid when PageBuddy). */
static inline unsigned int buddy_order(const struct page *p)
{
	return (unsigned int)p->private;
}

static inline int page_ref_count(const struct page *p)
{
	return p->_refcount;
}

static inline int page_mapcount(const struct page *p)
{
	return p->_mapcount + 1;
}

/* Take a reference on @page (Linux's get_page): the page stays allocated until it is dropped. */
static inline void get_page(struct page *page)
{
	page->_refcount++;
}

/*
 * Drop a reference on @page, an order-0 page of @ms (Linux's put_page): the last one frees it,
 * and the free checks its state as any free does (no mapping, no map count left: bad_page).
 */
void ms_put_page(struct mem_system *ms, struct page *page);

static inline pg_data_t *NODE_DATA_MS(struct mem_system *ms, int nid)
{
	return &ms->node_data[nid];
}

/* The section table entry of @pfn, or NULL when no memory map covers it. */
static inline const struct mem_section *pfn_section(const struct mem_system *ms, unsigned long pfn)
{
	unsigned long nr = pfn >> PFN_SECTION_SHIFT;

	if (nr >= ms->nr_sections || !ms->sections[nr].mem_map)
		return NULL;
	return &ms->sections[nr];
}

/* @pfn has a struct page (it lies in a section with memory; it may still be a hole). */
static inline bool ms_pfn_valid(const struct mem_system *ms, unsigned long pfn)
{
	return pfn_section(ms, pfn) != NULL;
}

/* The struct page of @pfn, or NULL when !ms_pfn_valid. */
static inline struct page *ms_pfn_to_page(const struct mem_system *ms, unsigned long pfn)
{
	const struct mem_section *s = pfn_section(ms, pfn);

	return s ? s->mem_map + (pfn & (PAGES_PER_SECTION - 1)) : NULL;
}

/* The pfn of @page, which must be a struct page of @ms's memory map. */
static inline unsigned long ms_page_to_pfn(const struct mem_system *ms, const struct page *page)
{
	unsigned long nr = page_to_section(page);

	return (nr << PFN_SECTION_SHIFT) + (unsigned long)(page - ms->sections[nr].mem_map);
}

/* @page is a struct page of @ms's memory map (a pointer into one section's array). Reads the
 * page's flags (the section number they hold), so @page must point at readable memory. */
bool ms_page_valid(const struct mem_system *ms, const struct page *page);

static inline struct zone *ms_page_zone(struct mem_system *ms, const struct page *page)
{
	return &ms->node_data[page_to_nid(page)].node_zones[page_zonenum(page)];
}

/* The kernel's direct view of @page (arch_phys_to_virt of its frame). */
void *ms_page_address(const struct mem_system *ms, const struct page *page);
/* The struct page of a direct-view address, or NULL if it is none or has no struct page. */
struct page *ms_virt_to_page(const struct mem_system *ms, const void *addr);

/* Pageblock migratetype of @pfn (which must be valid). */
int get_pfnblock_migratetype(const struct mem_system *ms, unsigned long pfn);
void set_pfnblock_migratetype(struct mem_system *ms, unsigned long pfn, int migratetype);

/* Set-up parameters; zero fields take Linux's defaults. */
struct mm_init_params {
	unsigned int nr_cpus;	    /* online CPUs (1..NR_CPUS); 0: 1 */
	unsigned int zone_dma_bits; /* DT/ACPI DMA limit in bits (fls64 of it); 0: none (32) */
	/* Linux's kernelcore= and movablecore= (bytes): memory kept out of ZONE_MOVABLE, and
	 * memory put in it from the top; 0: not given (no ZONE_MOVABLE when neither is). */
	uint64_t kernelcore, movablecore;
};

/*
 * Build @ms from @mb after boot (Linux's free_area_init + mem_init + init_per_zone_wmark_min):
 * nodes (one per nid in memblock, one when there is none) and zones (arm64's limits), the
 * sparse memory map (allocated from @mb), the hand-over of every free memblock range to the
 * buddy allocator (memblock_free_all), zonelists, watermarks, lowmem reserves and the per-CPU
 * lists; ZONE_MOVABLE only for kernelcore/movablecore (mm/mm_init.c). Returns 0, -EINVAL
 * for bad parameters or memory beyond what page->flags can number, or -ENOMEM when memblock
 * cannot hold the memory map (@ms is then unusable).
 */
int mm_core_init(struct mem_system *ms, struct memblock *mb, const struct mm_init_params *p);

/* Recompute min_free_kbytes-derived watermarks, lowmem reserves and pcp high/batch (after a
 * change of ms->min_free_kbytes, watermark_scale_factor or lowmem_reserve_ratio). */
void setup_per_zone_wmarks(struct mem_system *ms);
void setup_per_zone_lowmem_reserve(struct mem_system *ms);
void zone_pcp_update_all(struct mem_system *ms);

/* The kernel's memory system (set up by mm_core_init(&mm_default_system, ...)). */
extern struct mem_system mm_default_system;

static inline struct page *pfn_to_page(unsigned long pfn)
{
	return ms_pfn_to_page(&mm_default_system, pfn);
}

static inline unsigned long page_to_pfn(const struct page *page)
{
	return ms_page_to_pfn(&mm_default_system, page);
}

static inline void *page_address(const struct page *page)
{
	return ms_page_address(&mm_default_system, page);
}

static inline struct page *virt_to_page(const void *addr)
{
	return ms_virt_to_page(&mm_default_system, addr);
}

#endif /* KMM_MM_H */

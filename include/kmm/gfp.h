/* SPDX-License-Identifier: MIT */
/*
 * GFP flags and the page allocator's interface (Linux 6.1's <linux/gfp.h>, <linux/gfp_types.h>;
 * the values are Linux's, so "mode:0xcc0(GFP_KERNEL)" reads as it does there).
 */
#ifndef KMM_GFP_H
#define KMM_GFP_H

#include <kmm/mm_types.h>
#include <kmm/mmzone.h>
#include <kmm/types.h>

#define ___GFP_DMA 0x01u
#define ___GFP_HIGHMEM 0x02u
#define ___GFP_DMA32 0x04u
#define ___GFP_MOVABLE 0x08u
#define ___GFP_RECLAIMABLE 0x10u
#define ___GFP_HIGH 0x20u
#define ___GFP_IO 0x40u
#define ___GFP_FS 0x80u
#define ___GFP_ZERO 0x100u
#define ___GFP_ATOMIC 0x200u
#define ___GFP_DIRECT_RECLAIM 0x400u
#define ___GFP_KSWAPD_RECLAIM 0x800u
#define ___GFP_WRITE 0x1000u
#define ___GFP_NOWARN 0x2000u
#define ___GFP_RETRY_MAYFAIL 0x4000u
#define ___GFP_NOFAIL 0x8000u
#define ___GFP_NORETRY 0x10000u
#define ___GFP_MEMALLOC 0x20000u
#define ___GFP_COMP 0x40000u
#define ___GFP_NOMEMALLOC 0x80000u
#define ___GFP_HARDWALL 0x100000u
#define ___GFP_THISNODE 0x200000u
#define ___GFP_ACCOUNT 0x400000u

#define __GFP_DMA ((gfp_t)___GFP_DMA)
#define __GFP_HIGHMEM ((gfp_t)___GFP_HIGHMEM)
#define __GFP_DMA32 ((gfp_t)___GFP_DMA32)
#define __GFP_MOVABLE ((gfp_t)___GFP_MOVABLE)
#define __GFP_RECLAIMABLE ((gfp_t)___GFP_RECLAIMABLE)
#define __GFP_HIGH ((gfp_t)___GFP_HIGH)
#define __GFP_IO ((gfp_t)___GFP_IO)
#define __GFP_FS ((gfp_t)___GFP_FS)
#define __GFP_ZERO ((gfp_t)___GFP_ZERO)
#define __GFP_ATOMIC ((gfp_t)___GFP_ATOMIC)
#define __GFP_DIRECT_RECLAIM ((gfp_t)___GFP_DIRECT_RECLAIM)
#define __GFP_KSWAPD_RECLAIM ((gfp_t)___GFP_KSWAPD_RECLAIM)
#define __GFP_RECLAIM (__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM)
#define __GFP_WRITE ((gfp_t)___GFP_WRITE)
#define __GFP_NOWARN ((gfp_t)___GFP_NOWARN)
#define __GFP_RETRY_MAYFAIL ((gfp_t)___GFP_RETRY_MAYFAIL)
#define __GFP_NOFAIL ((gfp_t)___GFP_NOFAIL)
#define __GFP_NORETRY ((gfp_t)___GFP_NORETRY)
#define __GFP_MEMALLOC ((gfp_t)___GFP_MEMALLOC)
#define __GFP_COMP ((gfp_t)___GFP_COMP)
#define __GFP_NOMEMALLOC ((gfp_t)___GFP_NOMEMALLOC)
#define __GFP_HARDWALL ((gfp_t)___GFP_HARDWALL)
#define __GFP_THISNODE ((gfp_t)___GFP_THISNODE)
#define __GFP_ACCOUNT ((gfp_t)___GFP_ACCOUNT)

#define GFP_ZONEMASK (__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE)
#define GFP_MOVABLE_MASK (__GFP_RECLAIMABLE | __GFP_MOVABLE)
#define GFP_MOVABLE_SHIFT 3

#define GFP_ATOMIC (__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL (__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_KERNEL_ACCOUNT (GFP_KERNEL | __GFP_ACCOUNT)
#define GFP_NOWAIT (__GFP_KSWAPD_RECLAIM)
#define GFP_NOIO (__GFP_RECLAIM)
#define GFP_NOFS (__GFP_RECLAIM | __GFP_IO)
#define GFP_USER (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL)
#define GFP_DMA __GFP_DMA
#define GFP_DMA32 __GFP_DMA32
#define GFP_HIGHUSER (GFP_USER | __GFP_HIGHMEM)
#define GFP_HIGHUSER_MOVABLE (GFP_HIGHUSER | __GFP_MOVABLE)

/*
 * The highest zone @flags may use (Linux's GFP_ZONE_TABLE for arm64: no highmem, so
 * __GFP_HIGHMEM alone means ZONE_NORMAL, and with __GFP_MOVABLE ZONE_MOVABLE). A combination
 * Linux calls invalid (__GFP_DMA with __GFP_DMA32 or __GFP_HIGHMEM, ...) gives -1.
 */
int gfp_zone(gfp_t flags);

/* The migratetype of an allocation: MOVABLE, RECLAIMABLE or UNMOVABLE. */
static inline int gfp_migratetype(gfp_t flags)
{
	return (int)((flags & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT);
}

/*
 * Format @gfp as Linux's %pGg does: composite names first ("GFP_KERNEL|__GFP_NOWARN"), any
 * unnamed remainder in hex; empty for 0. Returns the length (as snprintf).
 */
int gfp_snprint(char *buf, size_t size, gfp_t gfp);

/*
 * Allocate 2^@order contiguous frames from @ms (Linux's __alloc_pages over the local node's
 * zonelist): per-CPU lists for order <= PAGE_ALLOC_COSTLY_ORDER, watermarks (low on the fast
 * path, min with __GFP_HIGH/__GFP_ATOMIC reductions on the slow one), then failure: kmm has no
 * reclaim, compaction or OOM killer. A failure prints warn_alloc's report unless __GFP_NOWARN;
 * an order >= MAX_ORDER fails at once (with a warning unless __GFP_NOWARN). The first page has
 * refcount 1; with __GFP_ZERO the frames are zeroed.
 */
struct page *ms_alloc_pages(struct mem_system *ms, gfp_t gfp, unsigned int order);

/*
 * Free a block from ms_alloc_pages: the caller holds the last reference and gives the order
 * it was allocated with. A page that is free already, not a block head, freed with another
 * order, still referenced, mapped, with a mapping or with flags set is reported as Linux's
 * bad_page does and leaked (the allocator stays consistent); ms->nr_bad_pages counts them.
 */
void ms_free_pages(struct mem_system *ms, struct page *page, unsigned int order);

/* As ms_free_pages, for a direct-view address (Linux's free_pages); reports a bad address. */
void ms_free_pages_addr(struct mem_system *ms, const void *addr, unsigned int order);

/* Return CPU @cpu's per-CPU pages of every zone to the buddy lists (drain_pages). */
void ms_drain_pages(struct mem_system *ms, unsigned int cpu);
void ms_drain_all_pages(struct mem_system *ms);

/*
 * Linux's __zone_watermark_ok: would @z stay above @mark (less the ALLOC_HIGH/ALLOC_HARDER
 * reductions of @alloc_flags, plus lowmem_reserve[@highest_zoneidx]) with an order-@order
 * block taken, and does it have a free block of at least that order that the caller may use?
 */
bool zone_watermark_ok(const struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags);

/* alloc_flags (Linux's mm/internal.h values). */
#define ALLOC_WMARK_MIN WMARK_MIN
#define ALLOC_WMARK_LOW WMARK_LOW
#define ALLOC_WMARK_HIGH WMARK_HIGH
#define ALLOC_NO_WATERMARKS 0x04
#define ALLOC_WMARK_MASK (ALLOC_NO_WATERMARKS - 1)
#define ALLOC_HARDER 0x10
#define ALLOC_HIGH 0x20 /* == __GFP_HIGH */
#define ALLOC_CPUSET 0x40
#define ALLOC_NOFRAGMENT 0x100
#define ALLOC_KSWAPD 0x800 /* == __GFP_KSWAPD_RECLAIM */

/*
 * The buddy invariant checker: free blocks aligned to their order, inside the zone, flagged
 * (PG_buddy, order) in their first page only, each on the list of its order, lists and nr_free
 * agreeing, no overlaps, no two free buddies that should have merged, the zone's free counter
 * equal to the lists, each pcp list's pages counted in pcp->count and none PG_buddy. Returns 0,
 * or -EINVAL after printing what is wrong.
 */
int page_alloc_check(const struct zone *zone);
/* page_alloc_check on every zone of @ms. */
int ms_page_alloc_check(const struct mem_system *ms);

/* Pages on @zone's per-CPU lists, all CPUs. */
unsigned long zone_pcp_pages(const struct zone *zone);

/* The views, in Linux's formats, through printk. */
void show_buddyinfo(const struct mem_system *ms);    /* /proc/buddyinfo */
void show_pagetypeinfo(const struct mem_system *ms); /* /proc/pagetypeinfo */
void show_zoneinfo(const struct mem_system *ms);     /* /proc/zoneinfo */
void show_meminfo(const struct mem_system *ms);	     /* /proc/meminfo's MemTotal, MemFree */
void show_free_areas(const struct mem_system *ms);   /* Mem-Info of an allocation failure */

/* The Linux-named calls on the default memory system. */
struct page *alloc_pages(gfp_t gfp, unsigned int order);
void __free_pages(struct page *page, unsigned int order);
unsigned long __get_free_pages(gfp_t gfp, unsigned int order);
unsigned long get_zeroed_page(gfp_t gfp);
void free_pages(unsigned long addr, unsigned int order);

#define alloc_page(gfp) alloc_pages(gfp, 0)
#define __get_free_page(gfp) __get_free_pages((gfp), 0)
#define __free_page(page) __free_pages((page), 0)
#define free_page(addr) free_pages((addr), 0)

#endif /* KMM_GFP_H */

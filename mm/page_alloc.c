// SPDX-License-Identifier: MIT
/*
 * The buddy page allocator with per-CPU lists, as Linux 6.1's mm/page_alloc.c (seed 001: buddy
 * and phys_mem_pool; seed 002: zones). Each zone keeps free blocks of 2^order frames on
 * free_area[order].free_list[migratetype]; an allocation takes the smallest block that fits and
 * splits it (expand), a free merges with its buddy (pfn ^ 2^order) while that is free, of the
 * same order and in the same zone. Orders <= PAGE_ALLOC_COSTLY_ORDER go through per-CPU lists
 * refilled and drained in batches. When a migratetype's lists are empty, __rmqueue_fallback
 * steals from another type, taking the whole pageblock when Linux's rules allow.
 *
 * Simplifications of Linux, each because the state it needs does not exist in kmm yet:
 *   - no reclaim, compaction, kswapd or OOM killer: the slow path retries once at the min
 *     watermark (with the __GFP_HIGH/__GFP_ATOMIC reductions) and then fails; so no watermark
 *     boosting (boost_watermark) and no unreserve_highatomic_pageblock;
 *   - no LRU or movable-ops pages: move_freepages counts no movable pages, so stealing for a
 *     MOVABLE request claims a pageblock only on its free pages;
 *   - no CMA, no page isolation API, no memory hotplug, no shuffling, no guard pages;
 *   - pcp "free_high" and the ZONE_RECLAIM_ACTIVE high reduction are not modelled (free_factor
 *     is).
 *
 * Locking, as Linux 6.1's (both locks taken with local interrupts masked):
 *
 *   pcp->lock			a CPU's per_cpu_pages of one zone: lists, count, free_factor
 *     zone->lock		the zone's free areas, nr_free_pages, highatomic reserve,
 *				managed_pages, the types of its pageblocks
 *
 * A CPU takes its own pcp->lock on the fast paths (rmqueue_pcplist, free_unref_page), and
 * ms_drain_pages takes any CPU's; rmqueue_bulk and free_pcppages_bulk take zone->lock inside it.
 * The buddy paths (rmqueue_buddy, free_one_page, reserve_highatomic_pageblock,
 * __free_pages_core) take zone->lock alone. Nothing here allocates or calls out of this file
 * while it holds either, so the callers' locks (slab, vmalloc, page cache, mmap) all come before
 * them. Read without a lock, as Linux reads them: the watermark checks' free counts and list
 * heads (the allocation under the lock finds out if they were stale), the pageblock type of a
 * page being freed, the pcp counts summed by zone_pcp_pages. The bad-page and failure counters
 * of struct mem_system are plain increments: under concurrent reports they may miss some.
 *
 * The checkers (page_alloc_check, ms_page_alloc_check) take no lock: they are for a quiescent
 * memory system, as the tests have between calls.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/spinlock.h>

#include "internal.h"

const char *const migratetype_names[MIGRATE_TYPES] = { "Unmovable", "Movable", "Reclaimable",
						       "HighAtomic", "Isolate" };
const char *const zone_names[MAX_NR_ZONES] = { "DMA", "DMA32", "Normal", "Movable" };

/* Linux's fallbacks[]: the types to steal from, in order, for each pcp type. */
static const int fallbacks[MIGRATE_PCPTYPES][2] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

#define FPI_NONE 0u
#define FPI_TO_TAIL 0x2u /* put the block at the tail of its list (boot hand-over) */

/* ---- pageblocks, struct page helpers --------------------------------------------------- */

int get_pfnblock_migratetype(const struct mem_system *ms, unsigned long pfn)
{
	const struct mem_section *s = pfn_section(ms, pfn);

	return s->pageblock_flags[(pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order];
}

void set_pfnblock_migratetype(struct mem_system *ms, unsigned long pfn, int migratetype)
{
	const struct mem_section *s = pfn_section(ms, pfn);

	s->pageblock_flags[(pfn & (PAGES_PER_SECTION - 1)) >> pageblock_order] =
	    (uint8_t)migratetype;
}

bool ms_page_valid(const struct mem_system *ms, const struct page *page)
{
	/* O(1), on the free path: the section the page's flags name must hold the page. */
	unsigned long nr = page_to_section(page);
	const struct page *map;

	return !((uintptr_t)page % _Alignof(struct page)) && nr < ms->nr_sections &&
	       (map = ms->sections[nr].mem_map) && page >= map && page < map + PAGES_PER_SECTION;
}

void *ms_page_address(const struct mem_system *ms, const struct page *page)
{
	return arch_phys_to_virt(PFN_PHYS(ms_page_to_pfn(ms, page)));
}

struct page *ms_virt_to_page(const struct mem_system *ms, const void *addr)
{
	paddr_t pa = arch_virt_to_phys(addr);

	return pa == ARCH_PHYS_NONE ? NULL : ms_pfn_to_page(ms, PHYS_PFN(pa));
}

static void set_buddy_order(struct page *page, unsigned int order)
{
	page->private = order;
	set_page_flag(page, PG_buddy);
}

static void clear_buddy(struct page *page)
{
	clear_page_flag(page, PG_buddy);
	page->private = 0;
}

/* The pcp list index of (migratetype, order), Linux's order_to_pindex. */
static unsigned int order_to_pindex(int migratetype, unsigned int order)
{
	return MIGRATE_PCPTYPES * order + (unsigned int)migratetype;
}

static unsigned int pindex_to_order(unsigned int pindex)
{
	return pindex / MIGRATE_PCPTYPES;
}

/* ---- free lists -------------------------------------------------------------------------- */

static void add_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt,
			     bool tail)
{
	struct free_area *area = &zone->free_area[order];

	if (tail)
		list_add_tail(&page->lru, &area->free_list[mt]);
	else
		list_add(&page->lru, &area->free_list[mt]);
	area->nr_free++;
}

/* Move a free block to the head of another type's list of its order. */
static void move_to_free_list(struct page *page, struct zone *zone, unsigned int order, int mt)
{
	list_del(&page->lru);
	list_add(&page->lru, &zone->free_area[order].free_list[mt]);
}

static void del_page_from_free_list(struct page *page, struct zone *zone, unsigned int order)
{
	list_del(&page->lru);
	clear_buddy(page);
	zone->free_area[order].nr_free--;
}

/* NR_FREE_PAGES: pages on free lists, isolated pageblocks' excluded (Linux's accounting). */
static void mod_zone_freepage_state(struct zone *zone, long nr_pages, int mt)
{
	if (mt != MIGRATE_ISOLATE)
		zone->nr_free_pages += (unsigned long)nr_pages;
}

/* @buddy is the free buddy of @page at @order: PG_buddy, same order, same zone. */
static bool page_is_buddy(const struct page *page, const struct page *buddy, unsigned int order)
{
	return PageBuddy(buddy) && buddy_order(buddy) == order &&
	       page_zonenum(buddy) == page_zonenum(page) && page_to_nid(buddy) == page_to_nid(page);
}

/*
 * Linux's buddy_merge_likely: when the block's buddy at the next order up is free, this block
 * will probably merge soon, so it goes to the tail of its list to be allocated last.
 */
static bool buddy_merge_likely(const struct mem_system *ms, unsigned long pfn,
			       unsigned long buddy_pfn, const struct page *page, unsigned int order)
{
	unsigned long higher = buddy_pfn & pfn;
	unsigned long higher_buddy = higher ^ (1UL << (order + 1));

	if (order >= MAX_ORDER - 2)
		return false;
	const struct page *hb = ms_pfn_to_page(ms, higher_buddy);

	return hb && page_is_buddy(page, hb, order + 1);
}

/*
 * Put a block on the free lists, merging with its buddies (Linux's __free_one_page). Past
 * pageblock_order, blocks of an unmergeable type (HIGHATOMIC, ISOLATE) merge only with their
 * own type.
 */
static void __free_one_page(struct page *page, unsigned long pfn, struct zone *zone,
			    unsigned int order, int mt, unsigned int fpi)
{
	struct mem_system *ms = zone_ms(zone);
	unsigned long buddy_pfn = 0;
	bool to_tail;

	mod_zone_freepage_state(zone, 1L << order, mt);
	while (order < MAX_ORDER - 1) {
		buddy_pfn = pfn ^ (1UL << order);
		struct page *buddy = page + ((long)buddy_pfn - (long)pfn);

		if (!page_is_buddy(page, buddy, order))
			break;
		if (order >= pageblock_order) {
			int buddy_mt = get_pfnblock_migratetype(ms, buddy_pfn);

			if (mt != buddy_mt &&
			    (!migratetype_is_mergeable(mt) || !migratetype_is_mergeable(buddy_mt)))
				break;
		}
		del_page_from_free_list(buddy, zone, order);
		pfn &= buddy_pfn;
		page = ms_pfn_to_page(ms, pfn);
		order++;
	}
	set_buddy_order(page, order);
	if (fpi & FPI_TO_TAIL)
		to_tail = true;
	else
		to_tail = order < MAX_ORDER - 1 &&
			  buddy_merge_likely(ms, pfn, pfn ^ (1UL << order), page, order);
	add_to_free_list(page, zone, order, mt, to_tail);
}

/* __free_one_page under the zone lock (Linux's free_one_page). */
static void free_one_page(struct zone *zone, struct page *page, unsigned long pfn,
			  unsigned int order, int mt, unsigned int fpi)
{
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	__free_one_page(page, pfn, zone, order, mt, fpi);
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* Split a 2^high block down to 2^low, freeing the upper halves (Linux's expand). */
static void expand(struct zone *zone, struct page *page, unsigned int low, unsigned int high,
		   int mt)
{
	unsigned long size = 1UL << high;

	while (high > low) {
		high--;
		size >>= 1;
		add_to_free_list(&page[size], zone, high, mt, false);
		set_buddy_order(&page[size], high);
	}
}

/* Take the smallest block of @mt that holds 2^@order pages. */
static struct page *__rmqueue_smallest(struct zone *zone, unsigned int order, int mt)
{
	for (unsigned int o = order; o < MAX_ORDER; o++) {
		struct list_head *list = &zone->free_area[o].free_list[mt];

		if (list_empty(list))
			continue;
		struct page *page = list_first_entry(list, struct page, lru);

		del_page_from_free_list(page, zone, o);
		expand(zone, page, order, o, mt);
		page->index = (uint64_t)mt; /* set_pcppage_migratetype */
		return page;
	}
	return NULL;
}

/* ---- fallback and pageblock stealing ---------------------------------------------------- */

/*
 * Move every free block in [start, end] to @mt's lists; return the pages moved. *@movable
 * would count allocated movable pages (LRU / movable-ops): kmm has none yet, so it stays 0.
 */
static unsigned long move_freepages(struct zone *zone, unsigned long start, unsigned long end,
				    int mt, int *movable)
{
	struct mem_system *ms = zone_ms(zone);
	unsigned long moved = 0;

	if (movable)
		*movable = 0;
	for (unsigned long pfn = start; pfn <= end;) {
		struct page *page = ms_pfn_to_page(ms, pfn);

		if (!PageBuddy(page)) {
			pfn++;
			continue;
		}
		unsigned int order = buddy_order(page);

		move_to_free_list(page, zone, order, mt);
		pfn += 1UL << order;
		moved += 1UL << order;
	}
	return moved;
}

/* move_freepages on @page's pageblock; 0 when the block is not wholly in the zone. */
static unsigned long move_freepages_block(struct zone *zone, struct page *page, int mt,
					  int *movable)
{
	unsigned long pfn = ms_page_to_pfn(zone_ms(zone), page);
	unsigned long start = ALIGN_DOWN(pfn, pageblock_nr_pages);
	unsigned long end = start + pageblock_nr_pages - 1;

	if (movable)
		*movable = 0;
	if (!zone_spans_pfn(zone, start) || !zone_spans_pfn(zone, end))
		return 0;
	return move_freepages(zone, start, end, mt, movable);
}

/* Linux's can_steal_fallback: may a fallback of @order claim the whole pageblock? */
static bool can_steal_fallback(unsigned int order, int start_mt)
{
	if (order >= pageblock_order)
		return true;
	return order >= pageblock_order / 2 || start_mt == MIGRATE_RECLAIMABLE ||
	       start_mt == MIGRATE_UNMOVABLE;
}

/* The first type of @mt's fallbacks with a free block at @order, or -1 (find_suitable_fallback
 * with only_stealable false). */
static int find_suitable_fallback(const struct free_area *area, unsigned int order, int mt,
				  bool *can_steal)
{
	*can_steal = false;
	if (!area->nr_free)
		return -1;
	for (unsigned int i = 0; i < ARRAY_SIZE(fallbacks[mt]); i++) {
		int fmt = fallbacks[mt][i];

		if (list_empty(&area->free_list[fmt]))
			continue;
		*can_steal = can_steal_fallback(order, mt);
		return fmt;
	}
	return -1;
}

/* Set the migratetype of every pageblock of a free block of @order >= pageblock_order. */
static void change_pageblock_range(struct mem_system *ms, unsigned long pfn, unsigned int order,
				   int mt)
{
	for (unsigned long n = 0; n < (1UL << order); n += pageblock_nr_pages)
		set_pfnblock_migratetype(ms, pfn + n, mt);
}

/*
 * Take @page (a free block of another type) for @start_type (Linux's steal_suitable_fallback):
 * a whole-pageblock or larger block changes type outright; otherwise, if stealing is allowed,
 * all free pages of the pageblock move to @start_type and the pageblock changes type when at
 * least half of it is free or already of a compatible use. Else only this block moves.
 */
static void steal_suitable_fallback(struct zone *zone, struct page *page, int start_type,
				    bool whole_block)
{
	struct mem_system *ms = zone_ms(zone);
	unsigned long pfn = ms_page_to_pfn(ms, page);
	unsigned int order = buddy_order(page);
	int old_type = get_pfnblock_migratetype(ms, pfn);
	int movable, alike;
	unsigned long free;

	if (old_type == MIGRATE_HIGHATOMIC)
		goto single_page;
	if (order >= pageblock_order) {
		change_pageblock_range(ms, pfn, order, start_type);
		goto single_page;
	}
	if (!whole_block)
		goto single_page;
	free = move_freepages_block(zone, page, start_type, &movable);
	if (start_type == MIGRATE_MOVABLE)
		alike = movable;
	else if (old_type == MIGRATE_MOVABLE)
		alike = (int)(pageblock_nr_pages - (free + (unsigned long)movable));
	else
		alike = 0;
	if (!free)
		goto single_page;
	if (free + (unsigned long)alike >= (1UL << (pageblock_order - 1)))
		set_pfnblock_migratetype(ms, pfn, start_type);
	return;
single_page:
	move_to_free_list(page, zone, order, start_type);
}

/*
 * Steal a block of another type for @start_mt (Linux's __rmqueue_fallback): the largest
 * suitable block first, so a pageblock is claimed whole; for MOVABLE requests that may not
 * steal, the smallest instead. With ALLOC_NOFRAGMENT only whole pageblocks. True if a block
 * was moved to @start_mt's lists.
 */
static bool __rmqueue_fallback(struct zone *zone, int order, int start_mt, unsigned int alloc_flags)
{
	int min_order = (alloc_flags & ALLOC_NOFRAGMENT) ? pageblock_order : order;
	struct free_area *area;
	bool can_steal;
	int o, fmt;

	for (o = MAX_ORDER - 1; o >= min_order; o--) {
		area = &zone->free_area[o];
		fmt = find_suitable_fallback(area, (unsigned int)o, start_mt, &can_steal);
		if (fmt == -1)
			continue;
		if (!can_steal && start_mt == MIGRATE_MOVABLE && o > order)
			goto find_smallest;
		goto do_steal;
	}
	return false;
find_smallest:
	for (o = order; o < MAX_ORDER; o++) {
		area = &zone->free_area[o];
		fmt = find_suitable_fallback(area, (unsigned int)o, start_mt, &can_steal);
		if (fmt != -1)
			break;
	}
	BUG_ON(o == MAX_ORDER);
do_steal:
	steal_suitable_fallback(zone, list_first_entry(&area->free_list[fmt], struct page, lru),
				start_mt, can_steal);
	return true;
}

/* One block for @mt, stealing from other types when its own lists are empty (__rmqueue). */
static struct page *__rmqueue(struct zone *zone, unsigned int order, int mt,
			      unsigned int alloc_flags)
{
	struct page *page;

	do {
		page = __rmqueue_smallest(zone, order, mt);
	} while (!page && __rmqueue_fallback(zone, (int)order, mt, alloc_flags));
	return page;
}

/* ---- per-CPU lists ----------------------------------------------------------------------- */

/* Move up to @count blocks of @order to @list, a list of this CPU's pcp (its lock held), under
 * the zone lock (Linux's rmqueue_bulk); returns how many. Not inlined: the refill path would
 * otherwise weigh on the pcp fast path's frame. */
static __attribute__((noinline)) int rmqueue_bulk(struct zone *zone, unsigned int order, int count,
						  struct list_head *list, int mt,
						  unsigned int alloc_flags)
{
	int i;

	spin_lock(&zone->lock);
	for (i = 0; i < count; i++) {
		struct page *page = __rmqueue(zone, order, mt, alloc_flags);

		if (!page)
			break;
		list_add_tail(&page->lru, list);
	}
	zone->nr_free_pages -= (unsigned long)i << order;
	spin_unlock(&zone->lock);
	return i;
}

/*
 * Free @count pages from @pcp (its lock held) to the buddy lists under the zone lock, taking
 * lists round-robin from the one after @pindex and each list from its tail, the coldest (Linux's
 * free_pcppages_bulk). Not inlined, as rmqueue_bulk.
 */
static __attribute__((noinline)) void
free_pcppages_bulk(struct zone *zone, int count, struct per_cpu_pages *pcp, unsigned int pindex)
{
	struct mem_system *ms = zone_ms(zone);

	lockdep_assert_held(&pcp->lock);
	if (count > pcp->count)
		count = pcp->count;
	spin_lock(&zone->lock);
	while (count > 0) {
		struct list_head *list;

		do {
			pindex = (pindex + 1) % NR_PCP_LISTS;
			list = &pcp->lists[pindex];
		} while (list_empty(list));
		unsigned int order = pindex_to_order(pindex);

		do {
			struct page *page = list_entry(list->prev, struct page, lru);
			int mt = (int)page->index;

			list_del(&page->lru);
			count -= 1 << order;
			pcp->count -= 1 << order;
			__free_one_page(page, ms_page_to_pfn(ms, page), zone, order, mt, FPI_NONE);
		} while (count > 0 && !list_empty(list));
	}
	spin_unlock(&zone->lock);
}

/* How many pages to drain when count reaches high: batch scaled by free_factor, which grows
 * on consecutive frees and halves on each allocation (Linux's nr_pcp_free). */
static int nr_pcp_free(struct per_cpu_pages *pcp, int high, int batch)
{
	int min_nr = batch, max_nr = high - batch;

	if (high < batch)
		return 1;
	batch <<= pcp->free_factor;
	if (batch < max_nr)
		pcp->free_factor++;
	if (batch > max_nr)
		batch = max_nr;
	return batch < min_nr ? min_nr : batch;
}

static struct per_cpu_pages *this_cpu_pcp(struct zone *zone)
{
	unsigned int cpu = arch_cpu_id();

	BUG_ON(cpu >= zone_ms(zone)->nr_cpus);
	return &zone->per_cpu_pageset[cpu];
}

/* A block from this CPU's list of (@mt, @order), refilled from the buddy lists when empty. */
static struct page *rmqueue_pcplist(struct zone *zone, unsigned int order, int mt,
				    unsigned int alloc_flags)
{
	struct per_cpu_pages *pcp = this_cpu_pcp(zone);
	struct list_head *list = &pcp->lists[order_to_pindex(mt, order)];
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&pcp->lock, flags);
	pcp->free_factor >>= 1;
	if (list_empty(list)) {
		int batch = pcp->batch;

		if (order) {
			batch >>= order;
			if (batch < 2)
				batch = 2;
		}
		pcp->count += rmqueue_bulk(zone, order, batch, list, mt, alloc_flags) << order;
	}
	if (!list_empty(list)) {
		page = list_first_entry(list, struct page, lru);
		list_del(&page->lru);
		pcp->count -= 1 << order;
	}
	spin_unlock_irqrestore(&pcp->lock, flags);
	return page;
}

/* Free a block to the current CPU's lists, draining a batch above high (free_unref_page). */
static void free_unref_page(struct zone *zone, struct page *page, unsigned long pfn,
			    unsigned int order, int mt)
{
	struct per_cpu_pages *pcp;
	unsigned int pindex;
	unsigned long flags;

	if (mt >= MIGRATE_PCPTYPES) {
		if (mt == MIGRATE_ISOLATE) {
			free_one_page(zone, page, pfn, order, mt, FPI_NONE);
			return;
		}
		mt = MIGRATE_MOVABLE;
	}
	pcp = this_cpu_pcp(zone);
	pindex = order_to_pindex(mt, order);
	page->index = (uint64_t)mt;
	spin_lock_irqsave(&pcp->lock, flags);
	list_add(&page->lru, &pcp->lists[pindex]);
	pcp->count += 1 << order;
	if (pcp->count >= pcp->high)
		free_pcppages_bulk(zone, nr_pcp_free(pcp, pcp->high, pcp->batch), pcp, pindex);
	spin_unlock_irqrestore(&pcp->lock, flags);
}

void ms_drain_pages(struct mem_system *ms, unsigned int cpu)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &ms->node_data[nid].node_zones[z];
			struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
			unsigned long flags;

			spin_lock_irqsave(&pcp->lock, flags);
			if (pcp->count)
				free_pcppages_bulk(zone, pcp->count, pcp, NR_PCP_LISTS - 1);
			spin_unlock_irqrestore(&pcp->lock, flags);
		}
	}
}

void ms_drain_all_pages(struct mem_system *ms)
{
	for (unsigned int cpu = 0; cpu < ms->nr_cpus; cpu++)
		ms_drain_pages(ms, cpu);
}

unsigned long zone_pcp_pages(const struct zone *zone)
{
	unsigned long n = 0;

	for (unsigned int cpu = 0; cpu < zone_ms(zone)->nr_cpus; cpu++)
		n += (unsigned long)READ_ONCE(zone->per_cpu_pageset[cpu].count);
	return n;
}

/* ---- allocation -------------------------------------------------------------------------- */

/* gfp_zone of each GFP_ZONEMASK combination (Linux's GFP_ZONE_TABLE and GFP_ZONE_BAD). */
static const signed char gfp_zone_table[GFP_ZONEMASK + 1] = {
	[0] = ZONE_NORMAL,
	[___GFP_DMA] = ZONE_DMA,
	[___GFP_HIGHMEM] = ZONE_NORMAL,
	[___GFP_DMA32] = ZONE_DMA32,
	[___GFP_MOVABLE] = ZONE_NORMAL,
	[___GFP_MOVABLE | ___GFP_DMA] = -1,
	[___GFP_MOVABLE | ___GFP_HIGHMEM] = ZONE_MOVABLE,
	[___GFP_MOVABLE | ___GFP_DMA32] = -1,
	[___GFP_DMA | ___GFP_HIGHMEM] = -1,
	[___GFP_DMA | ___GFP_DMA32] = -1,
	[___GFP_HIGHMEM | ___GFP_DMA32] = -1,
	[___GFP_DMA | ___GFP_HIGHMEM | ___GFP_DMA32] = -1,
	[___GFP_MOVABLE | ___GFP_DMA | ___GFP_HIGHMEM] = -1,
	[___GFP_MOVABLE | ___GFP_DMA | ___GFP_DMA32] = -1,
	[___GFP_MOVABLE | ___GFP_HIGHMEM | ___GFP_DMA32] = -1,
	[GFP_ZONEMASK] = -1,
};

int gfp_zone(gfp_t flags)
{
	return gfp_zone_table[flags & GFP_ZONEMASK];
}

/* Pages an allocation cannot count on: the block's own and, unless ALLOC_HARDER, the
 * highatomic reserve (__zone_watermark_unusable_free). */
static long unusable_free(const struct zone *z, unsigned int order, unsigned int alloc_flags)
{
	long n = (1L << order) - 1;

	if (!(alloc_flags & ALLOC_HARDER))
		n += (long)READ_ONCE(z->nr_reserved_highatomic);
	return n;
}

bool zone_watermark_ok(const struct zone *z, unsigned int order, unsigned long mark,
		       int highest_zoneidx, unsigned int alloc_flags)
{
	long min = (long)mark;
	long free = (long)READ_ONCE(z->nr_free_pages) - unusable_free(z, order, alloc_flags);

	if (alloc_flags & ALLOC_HIGH)
		min -= min / 2;
	if (alloc_flags & ALLOC_HARDER)
		min -= min / 4;
	if (free <= min + z->lowmem_reserve[highest_zoneidx])
		return false;
	if (!order)
		return true;
	for (unsigned int o = order; o < MAX_ORDER; o++) {
		const struct free_area *area = &z->free_area[o];

		if (!READ_ONCE(area->nr_free))
			continue;
		for (int mt = 0; mt < MIGRATE_PCPTYPES; mt++) {
			if (!list_empty(&area->free_list[mt]))
				return true;
		}
		if ((alloc_flags & ALLOC_HARDER) &&
		    !list_empty(&area->free_list[MIGRATE_HIGHATOMIC]))
			return true;
	}
	return false;
}

/* zone_watermark_ok with an order-0 shortcut (Linux's zone_watermark_fast): free pages,
 * less the highatomic reserve, above @mark and the lowmem reserve pass without the
 * ALLOC_HIGH/ALLOC_HARDER reductions or the free-area walk. */
static inline bool zone_watermark_fast(const struct zone *z, unsigned int order, unsigned long mark,
				       int highest_zoneidx, unsigned int alloc_flags)
{
	if (!order) {
		long free =
		    (long)READ_ONCE(z->nr_free_pages) - (long)READ_ONCE(z->nr_reserved_highatomic);

		if (free > (long)mark + z->lowmem_reserve[highest_zoneidx])
			return true;
	}
	return zone_watermark_ok(z, order, mark, highest_zoneidx, alloc_flags);
}

/*
 * Make @page's pageblock a highatomic reserve after a high-order atomic allocation, up to 1%
 * of the zone plus a pageblock (Linux's reserve_highatomic_pageblock), under the zone lock.
 */
static void reserve_highatomic_pageblock(struct zone *zone, struct page *page)
{
	struct mem_system *ms = zone_ms(zone);
	unsigned long pfn = ms_page_to_pfn(ms, page), flags;
	int mt;

	spin_lock_irqsave(&zone->lock, flags);
	mt = get_pfnblock_migratetype(ms, pfn);
	if (zone->nr_reserved_highatomic < zone->managed_pages / 100 + pageblock_nr_pages &&
	    migratetype_is_mergeable(mt)) {
		zone->nr_reserved_highatomic += pageblock_nr_pages;
		set_pfnblock_migratetype(ms, pfn, MIGRATE_HIGHATOMIC);
		move_freepages_block(zone, page, MIGRATE_HIGHATOMIC, NULL);
	}
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* A block from the buddy lists directly, under the zone lock (order > costly, or the pcp
 * refill failed). */
static struct page *rmqueue_buddy(struct zone *zone, unsigned int order, int mt,
				  unsigned int alloc_flags)
{
	struct page *page = NULL;
	unsigned long flags;

	spin_lock_irqsave(&zone->lock, flags);
	if (alloc_flags & ALLOC_HARDER)
		page = __rmqueue_smallest(zone, order, MIGRATE_HIGHATOMIC);
	if (!page)
		page = __rmqueue(zone, order, mt, alloc_flags);
	if (page)
		mod_zone_freepage_state(zone, -(1L << order), (int)page->index);
	spin_unlock_irqrestore(&zone->lock, flags);
	return page;
}

static struct page *rmqueue(struct zone *zone, unsigned int order, int mt, unsigned int alloc_flags)
{
	if (order <= PAGE_ALLOC_COSTLY_ORDER) {
		struct page *page = rmqueue_pcplist(zone, order, mt, alloc_flags);

		if (page)
			return page;
	}
	return rmqueue_buddy(zone, order, mt, alloc_flags);
}

/* Linux's alloc_flags_nofragment: in ZONE_NORMAL, prefer falling back to DMA32 over mixing
 * pageblocks when DMA32 has memory. */
static unsigned int alloc_flags_nofragment(const struct zone *zone, gfp_t gfp)
{
	unsigned int flags = gfp & __GFP_KSWAPD_RECLAIM;

	if (zone_idx(zone) != ZONE_NORMAL)
		return flags;
	if (zone_ms(zone)->nr_online_nodes > 1 && !populated_zone(zone - 1))
		return flags;
	return flags | ALLOC_NOFRAGMENT;
}

/* The first zone of @zonelist, up to @highest, with a block above its watermark. */
static struct page *get_page_from_freelist(struct zone *const *zonelist, int highest,
					   unsigned int order, int mt, unsigned int alloc_flags)
{
	bool no_fallback;

retry:
	no_fallback = alloc_flags & ALLOC_NOFRAGMENT;
	for (struct zone *const *zp = zonelist; *zp; zp++) {
		struct zone *zone = *zp;

		if ((int)zone_idx(zone) > highest || !managed_zone(zone))
			continue;
		if (no_fallback && zp != zonelist && zone_to_nid(zone) != zone_to_nid(*zonelist))
			break;
		unsigned long mark = wmark_pages(zone, alloc_flags & ALLOC_WMARK_MASK);

		if (!zone_watermark_fast(zone, order, mark, highest, alloc_flags))
			continue;
		struct page *page = rmqueue(zone, order, mt, alloc_flags);

		if (page) {
			if (order && (alloc_flags & ALLOC_HARDER))
				reserve_highatomic_pageblock(zone, page);
			return page;
		}
	}
	if (no_fallback) {
		alloc_flags &= ~ALLOC_NOFRAGMENT;
		goto retry;
	}
	return NULL;
}

/* Linux's gfp_to_alloc_flags: the slow path's flags. */
static unsigned int gfp_to_alloc_flags(gfp_t gfp)
{
	unsigned int flags = ALLOC_WMARK_MIN | ALLOC_CPUSET;

	flags |= gfp & (__GFP_HIGH | __GFP_KSWAPD_RECLAIM);
	if ((gfp & __GFP_ATOMIC) && !(gfp & __GFP_NOMEMALLOC))
		flags |= ALLOC_HARDER;
	if (gfp & __GFP_ATOMIC)
		flags &= ~ALLOC_CPUSET;
	return flags;
}

/* Make a block from the lists an allocated one: refcount 1, the order recorded, zeroed on
 * request (Linux's prep_new_page). */
static void prep_new_page(struct mem_system *ms, struct page *page, unsigned int order, gfp_t gfp)
{
	page->private = 0;
	page->index = 0;
	page->_refcount = 1;
	page->flags = (page->flags & ~PAGE_ORDER_MASK) | FIELD_PREP(PAGE_ORDER_MASK, order + 1);
	if (gfp & __GFP_ZERO) {
		void *va = ms_page_address(ms, page);

		if (va)
			__builtin_memset(va, 0, PAGE_SIZE << order);
	}
}

static void warn_alloc(struct mem_system *ms, gfp_t gfp, unsigned int order)
{
	char mode[160];

	ms->nr_alloc_failures++;
	if (gfp & __GFP_NOWARN)
		return;
	gfp_snprint(mode, sizeof(mode), gfp);
	printk("kmm: page allocation failure: order:%u, mode:%#x(%s), nodemask=(null)\n", order,
	       gfp, mode);
	show_free_areas(ms);
}

struct page *ms_alloc_pages(struct mem_system *ms, gfp_t gfp, unsigned int order)
{
	int highest = gfp_zone(gfp), mt = gfp_migratetype(gfp);
	struct zone *const *zonelist;
	struct zone *preferred;
	unsigned int flags;
	struct page *page;

	if (order >= MAX_ORDER || highest < 0 || mt == MIGRATE_HIGHATOMIC) {
		if (!(gfp & __GFP_NOWARN))
			WARN_ON(order >= MAX_ORDER || highest < 0 || mt == MIGRATE_HIGHATOMIC);
		ms->nr_alloc_failures++;
		return NULL;
	}
	zonelist = ms->node_data[0].node_zonelist.zones;
	preferred = zonelist[0];
	while (preferred && (int)zone_idx(preferred) > highest)
		preferred = *++zonelist;
	if (!preferred) {
		warn_alloc(ms, gfp, order);
		return NULL;
	}
	flags = ALLOC_WMARK_LOW | alloc_flags_nofragment(preferred, gfp);
	page = get_page_from_freelist(zonelist, highest, order, mt, flags);
	if (!page) /* the slow path, without reclaim: once more at the min watermark */
		page =
		    get_page_from_freelist(zonelist, highest, order, mt, gfp_to_alloc_flags(gfp));
	if (!page) {
		warn_alloc(ms, gfp, order);
		return NULL;
	}
	prep_new_page(ms, page, order, gfp);
	return page;
}

/* ---- freeing and bad pages --------------------------------------------------------------- */

static void print_page_flags(const struct page *page)
{
	static const char *const names[NR_PAGEFLAGS] = {
		"locked", "referenced", "uptodate", "dirty",   "lru",
		"active", "slab",	"reserved", "private", "buddy",
	};
	char buf[160];
	int n = 0;

	buf[0] = '\0';
	for (int f = 0; f < NR_PAGEFLAGS; f++) {
		if (page->flags & BIT(f))
			n += kmm_snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s", n ? "|" : "",
					  names[f]);
	}
	printk("flags: %#lx(%s zone:%s node:%d)\n", page->flags, buf,
	       zone_names[page_zonenum(page)], page_to_nid(page));
}

/*
 * Report a page that must not be freed (Linux's bad_page and dump_page) and count it. The page
 * is left as it is: a page on a free list stays there, any other is leaked.
 */
static void bad_page(struct mem_system *ms, const struct page *page, unsigned int order,
		     const char *reason)
{
	unsigned long pfn = ms_page_to_pfn(ms, page);
	unsigned long alloc = FIELD_GET(PAGE_ORDER_MASK, page->flags);

	ms->nr_bad_pages++;
	printk("BUG: Bad page state in process kmm  pfn:%05lx\n", pfn);
	printk("page:%p refcount:%d mapcount:%d mapping:%p index:%#llx pfn:%#lx\n", (void *)page,
	       page_ref_count(page), page_mapcount(page), page->mapping,
	       (unsigned long long)page->index, pfn);
	print_page_flags(page);
	if (alloc)
		printk("freed with order:%u, allocated with order:%lu\n", order, alloc - 1);
	else
		printk("freed with order:%u, not the head of an allocated block\n", order);
	printk("page dumped because: %s\n", reason);
}

/* Why @page may not be freed as an order-@order block with its last reference, or NULL. */
static const char *free_page_bad_reason(const struct page *page, unsigned int order)
{
	unsigned long alloc = FIELD_GET(PAGE_ORDER_MASK, page->flags);

	if (PageBuddy(page))
		return "double free: the page is on a free list (PG_buddy)";
	if (page_ref_count(page) == 0)
		return "double free or never allocated: refcount is already 0";
	if (!alloc)
		return PageReserved(page) ? "PAGE_FLAGS_CHECK_AT_FREE flag(s) set (reserved page)"
					  : "freeing a page that is not the head of a block";
	if (alloc - 1 != order)
		return "freed with the wrong order";
	if (page_ref_count(page) != 1)
		return "nonzero _refcount after the put (the page is still referenced)";
	if (page_mapcount(page) != 0)
		return "nonzero mapcount";
	if (page->mapping)
		return "non-NULL mapping";
	if (page->flags & PAGE_FLAGS_CHECK_AT_FREE)
		return "PAGE_FLAGS_CHECK_AT_FREE flag(s) set";
	return NULL;
}

/* The state of a block head freed as order @order with its last reference: every field
 * free_page_bad_reason checks, in one test (Linux's page_expected_state). */
static bool free_page_expected(const struct page *page, unsigned int order)
{
	unsigned long mask = BIT(PG_buddy) | PAGE_FLAGS_CHECK_AT_FREE | PAGE_ORDER_MASK;

	return order < MAX_ORDER &&
	       (page->flags & mask) == FIELD_PREP(PAGE_ORDER_MASK, order + 1) &&
	       page->_refcount == 1 && page->_mapcount == -1 && !page->mapping;
}

void ms_free_pages(struct mem_system *ms, struct page *page, unsigned int order)
{
	if (!ms_page_valid(ms, page)) {
		ms->nr_bad_pages++;
		printk("BUG: Bad page state in process kmm  page:%p\n", (void *)page);
		printk("page dumped because: not a struct page of the memory map (order:%u)\n",
		       order);
		return;
	}
	if (unlikely(!free_page_expected(page, order))) {
		bad_page(ms, page, order,
			 order >= MAX_ORDER ? "order beyond MAX_ORDER"
					    : free_page_bad_reason(page, order));
		return;
	}
	const struct mem_section *sec = &ms->sections[page_to_section(page)];
	unsigned long idx = (unsigned long)(page - sec->mem_map);
	unsigned long pfn = (page_to_section(page) << PFN_SECTION_SHIFT) + idx;
	struct zone *zone = ms_page_zone(ms, page);
	int mt = sec->pageblock_flags[idx >> pageblock_order];

	page->_refcount = 0;
	/* Linux's free_pages_prepare: the flags of the page's last use go (PG_uptodate, PG_dirty,
	 * PG_referenced...), so the next owner starts clean. */
	page->flags &= ~(PAGE_ORDER_MASK | (BIT(NR_PAGEFLAGS) - 1));
	if (order <= PAGE_ALLOC_COSTLY_ORDER)
		free_unref_page(zone, page, pfn, order, mt);
	else
		free_one_page(zone, page, pfn, order, mt, FPI_NONE);
}

void ms_put_page(struct mem_system *ms, struct page *page)
{
	if (page->_refcount > 1) {
		page->_refcount--;
		return;
	}
	ms_free_pages(ms, page, 0); /* the last reference; refcount 0 is reported there */
}

void ms_free_pages_addr(struct mem_system *ms, const void *addr, unsigned int order)
{
	struct page *page = ms_virt_to_page(ms, addr);

	if (!page || (arch_virt_to_phys(addr) & (PAGE_SIZE - 1))) {
		ms->nr_bad_pages++;
		printk("BUG: Bad page state in process kmm  addr:%p\n", addr);
		printk("page dumped because: not a page-aligned direct-view address of the memory "
		       "map (order:%u)\n",
		       order);
		return;
	}
	ms_free_pages(ms, page, order);
}

void __free_pages_core(struct mem_system *ms, struct page *page, unsigned long pfn,
		       unsigned int order)
{
	struct zone *zone = ms_page_zone(ms, page);
	unsigned long flags;

	for (unsigned long i = 0; i < (1UL << order); i++) {
		clear_page_flag(&page[i], PG_reserved);
		page[i]._refcount = 0;
	}
	spin_lock_irqsave(&zone->lock, flags);
	zone->managed_pages += 1UL << order;
	__free_one_page(page, pfn, zone, order, get_pfnblock_migratetype(ms, pfn), FPI_TO_TAIL);
	spin_unlock_irqrestore(&zone->lock, flags);
}

/* ---- the checker ------------------------------------------------------------------------- */

#define CHECK(cond, ...)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printk("page_alloc_check: zone %s: ", zone->name);                         \
			printk(__VA_ARGS__);                                                       \
			printk("\n");                                                              \
			return -EINVAL;                                                            \
		}                                                                                  \
	} while (0)

/* One free block on free_list[mt] of @order: in place, flagged in its head only. */
static int check_free_block(const struct zone *zone, const struct page *page, unsigned int order,
			    int mt)
{
	const struct mem_system *ms = zone_ms(zone);
	unsigned long pfn = ms_page_to_pfn(ms, page);

	CHECK(PageBuddy(page) && buddy_order(page) == order,
	      "pfn %#lx on the order-%u list of %s is not a free block of that order", pfn, order,
	      migratetype_names[mt]);
	CHECK(IS_ALIGNED(pfn, 1UL << order), "free block pfn %#lx not aligned to order %u", pfn,
	      order);
	CHECK(zone_spans_pfn(zone, pfn) && zone_spans_pfn(zone, pfn + (1UL << order) - 1),
	      "free block pfn %#lx order %u outside the zone", pfn, order);
	CHECK(ms_page_zone((struct mem_system *)ms, page) == zone,
	      "free block pfn %#lx belongs to another zone", pfn);
	for (unsigned long i = 0; i < (1UL << order); i++) {
		const struct page *p = page + i;

		CHECK(i == 0 || !PageBuddy(p), "pfn %#lx inside a free block is flagged free",
		      pfn + i);
		CHECK(!PageReserved(p) && page_ref_count(p) == 0 && page_mapcount(p) == 0,
		      "pfn %#lx of a free block: flags %#lx refcount %d mapcount %d", pfn + i,
		      p->flags, page_ref_count(p), page_mapcount(p));
	}
	/* An isolated pageblock's blocks are on the ISOLATE list; others may sit on any list (a
	 * pcp drain returns a page to the list of its pcp type, not its pageblock's). */
	CHECK((mt == MIGRATE_ISOLATE) == (get_pfnblock_migratetype(ms, pfn) == MIGRATE_ISOLATE),
	      "free block pfn %#lx on the %s list in a %s pageblock", pfn, migratetype_names[mt],
	      migratetype_names[get_pfnblock_migratetype(ms, pfn)]);
	return 0;
}

/* Walk every list: counts, nr_free, NR_FREE_PAGES, and every block's own invariants. */
static int check_free_lists(const struct zone *zone, unsigned long *listed)
{
	unsigned long free = 0;

	*listed = 0;
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		const struct free_area *area = &zone->free_area[o];
		unsigned long n = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			const struct page *page;

			list_for_each_entry (page, &area->free_list[mt], lru) {
				int e = check_free_block(zone, page, o, mt);

				if (e)
					return e;
				n++;
				if (mt != MIGRATE_ISOLATE)
					free += 1UL << o;
				*listed += 1UL << o;
			}
		}
		CHECK(n == area->nr_free, "order %u: %lu blocks listed, nr_free %lu", o, n,
		      area->nr_free);
	}
	CHECK(free == zone->nr_free_pages, "free lists hold %lu pages, NR_FREE_PAGES is %lu", free,
	      zone->nr_free_pages);
	return 0;
}

/*
 * Scan the zone's frames: blocks flagged free must not overlap (and, with check_free_lists,
 * each is on exactly one list: every flagged block is counted once and the totals agree), and
 * no two free buddies may be left unmerged.
 */
static int check_scan(const struct zone *zone, unsigned long listed)
{
	const struct mem_system *ms = zone_ms(zone);
	unsigned long flagged = 0;

	for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);) {
		const struct page *page = ms_pfn_to_page(ms, pfn);

		if (!page || ms_page_zone((struct mem_system *)ms, page) != zone ||
		    !PageBuddy(page)) {
			pfn++;
			continue;
		}
		unsigned int o = buddy_order(page);
		unsigned long bpfn = pfn ^ (1UL << o);
		const struct page *buddy = ms_pfn_to_page(ms, bpfn);

		CHECK(o < MAX_ORDER, "pfn %#lx flagged free with order %u", pfn, o);
		if (o < MAX_ORDER - 1 && buddy && page_is_buddy(page, buddy, o)) {
			int a = get_pfnblock_migratetype(ms, pfn),
			    b = get_pfnblock_migratetype(ms, bpfn);

			CHECK(o >= pageblock_order && a != b &&
				  (!migratetype_is_mergeable(a) || !migratetype_is_mergeable(b)),
			      "free buddies pfn %#lx and %#lx of order %u not merged", pfn, bpfn,
			      o);
		}
		flagged += 1UL << o;
		pfn += 1UL << o;
	}
	CHECK(flagged == listed, "%lu pages flagged free, %lu on the lists", flagged, listed);
	return 0;
}

/* Each CPU's lists: pages of the zone, not free-flagged, of the list's order, counted. */
static int check_pcp(const struct zone *zone)
{
	const struct mem_system *ms = zone_ms(zone);

	for (unsigned int cpu = 0; cpu < ms->nr_cpus; cpu++) {
		const struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];
		long n = 0;

		for (unsigned int i = 0; i < NR_PCP_LISTS; i++) {
			const struct page *page;
			unsigned int order = pindex_to_order(i);

			list_for_each_entry (page, &pcp->lists[i], lru) {
				unsigned long pfn = ms_page_to_pfn(ms, page);

				CHECK(!PageBuddy(page) && page_ref_count(page) == 0 &&
					  ms_page_zone((struct mem_system *)ms, page) == zone &&
					  IS_ALIGNED(pfn, 1UL << order) &&
					  (int)page->index == (int)(i % MIGRATE_PCPTYPES),
				      "cpu %u pcp list %u: bad page pfn %#lx", cpu, i, pfn);
				n += 1L << order;
			}
		}
		CHECK(n == pcp->count, "cpu %u: pcp lists hold %ld pages, count %d", cpu, n,
		      pcp->count);
	}
	return 0;
}

int page_alloc_check(const struct zone *zone)
{
	unsigned long listed;
	int e = check_free_lists(zone, &listed);

	if (!e)
		e = check_scan(zone, listed);
	if (!e)
		e = check_pcp(zone);
	return e;
}

int ms_page_alloc_check(const struct mem_system *ms)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			int e = page_alloc_check(&ms->node_data[nid].node_zones[z]);

			if (e)
				return e;
		}
	}
	return 0;
}

/* ---- the default instance's Linux-named calls --------------------------------------------- */

struct page *alloc_pages(gfp_t gfp, unsigned int order)
{
	return ms_alloc_pages(&mm_default_system, gfp, order);
}

void __free_pages(struct page *page, unsigned int order)
{
	ms_free_pages(&mm_default_system, page, order);
}

unsigned long __get_free_pages(gfp_t gfp, unsigned int order)
{
	struct page *page = alloc_pages(gfp, order);

	return page ? (unsigned long)page_address(page) : 0;
}

unsigned long get_zeroed_page(gfp_t gfp)
{
	return __get_free_pages(gfp | __GFP_ZERO, 0);
}

void free_pages(unsigned long addr, unsigned int order)
{
	if (addr)
		ms_free_pages_addr(&mm_default_system, (const void *)addr, order);
}

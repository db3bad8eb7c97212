// SPDX-License-Identifier: MIT
/*
 * Setting up the memory system after boot, as Linux 6.1 does it between free_area_init and
 * init_per_zone_wmark_min (mm/page_alloc.c, mm/sparse.c, mm/memblock.c, arch/arm64/mm/init.c):
 *
 *   1. nodes and zones: one node per nid of memblock.memory (node 0 when none has one); zone
 *      limits as arm64's zone_sizes_init (ZONE_DMA up to zone_dma_bits = 32, or the DT's
 *      smaller DMA limit, DMA32 up to 4 GiB, NORMAL above); spanned and present pages;
 *   2. the sparse memory map: a section table and, for each 128 MiB section holding memory,
 *      its struct pages and pageblock types, all from memblock; every page starts reserved,
 *      every pageblock of memory MIGRATE_MOVABLE;
 *   3. memblock_free_all: every free memblock range goes to the buddy lists in the largest
 *      aligned blocks (managed pages);
 *   4. zonelists, per-CPU list batch/high, min_free_kbytes, watermarks, lowmem reserves.
 *
 * ZONE_MOVABLE is empty unless mm_init_params asks for kernelcore or movablecore: then, as
 * Linux's find_zone_movable_pfns_for_nodes, it takes the top of each node's memory in the
 * highest zone that has memory anywhere (kernelcore spread evenly over the nodes, the start
 * rounded up to MAX_ORDER_NR_PAGES). The memory map is allocated top-down before that, so it
 * may sit in ZONE_MOVABLE as reserved (present, not managed) pages, as memblock allocations
 * can in Linux. NUMA distances are not known, so a zonelist's other nodes come in node order
 * after the local one.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>

#include "internal.h"

#define PHYS_ADDR_MAX (~(paddr_t)0)
#define U32_MAX 0xffffffffULL

struct mem_system mm_default_system;

/* Linux's sysctl_lowmem_reserve_ratio defaults. */
static const int default_lowmem_reserve_ratio[MAX_NR_ZONES] = {
	[ZONE_DMA] = 256, [ZONE_DMA32] = 256, [ZONE_NORMAL] = 32, [ZONE_MOVABLE] = 0
};

/* The zone limits of the whole machine: [lowest[z], highest[z]) in pfns; where each node's
 * ZONE_MOVABLE starts (0: none) and the zone it is carved from. */
struct zone_limits {
	unsigned long lowest[MAX_NR_ZONES], highest[MAX_NR_ZONES];
	unsigned long movable_pfn[MAX_NUMNODES];
	int movable_zone;
};

/* arm64's max_zone_phys: the end of a zone of @bits-bit DMA, moved up for RAM above it. */
static paddr_t max_zone_phys(const struct memblock *mb, unsigned int bits)
{
	paddr_t mask = bits >= 64 ? PHYS_ADDR_MAX : (1ULL << bits) - 1;
	paddr_t start = memblock_start_of_DRAM(mb), last = memblock_end_of_DRAM(mb) - 1;

	if (start > U32_MAX)
		mask = PHYS_ADDR_MAX;
	else if (start > mask)
		mask = U32_MAX;
	return (mask < last ? mask : last) + 1;
}

/* arm64's zone_sizes_init and the zone ranges of free_area_init. */
static void zone_limits_init(struct zone_limits *zl, const struct memblock *mb,
			     unsigned int dma_bits)
{
	unsigned long max_zone_pfn[MAX_NR_ZONES] = { 0 };
	unsigned long start = PHYS_PFN(memblock_start_of_DRAM(mb));

	max_zone_pfn[ZONE_DMA] = PFN_DOWN(max_zone_phys(mb, dma_bits < 32 ? dma_bits : 32));
	max_zone_pfn[ZONE_DMA32] = PFN_DOWN(max_zone_phys(mb, 32));
	max_zone_pfn[ZONE_NORMAL] = PFN_DOWN(memblock_end_of_DRAM(mb));
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		unsigned long end = max_zone_pfn[z] > start ? max_zone_pfn[z] : start;

		if (z == ZONE_MOVABLE) {
			zl->lowest[z] = zl->highest[z] = 0;
			continue;
		}
		zl->lowest[z] = start;
		zl->highest[z] = end;
		start = end;
	}
}

static int region_nid(const struct memblock_region *r)
{
	return r->nid == NUMA_NO_NODE ? 0 : r->nid;
}

/* The pages of memory (memblock.memory, NOMAP included) of node @nid in [start, end). */
static unsigned long present_in(const struct memblock *mb, int nid, unsigned long start,
				unsigned long end)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		unsigned long s = PFN_UP(r->base), e = PFN_DOWN(r->base + r->size);

		if (region_nid(r) != nid)
			continue;
		s = s > start ? s : start;
		e = e < end ? e : end;
		if (s < e)
			n += e - s;
	}
	return n;
}

static unsigned long clampul(unsigned long v, unsigned long lo, unsigned long hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* Zone @z's span [*zs, *ze) in a node ending at @node_end, given the node's ZONE_MOVABLE
 * start @mpfn (Linux's adjust_zone_range_for_zone_movable). */
static void adjust_for_movable(const struct zone_limits *zl, int z, unsigned long mpfn,
			       unsigned long node_end, unsigned long *zs, unsigned long *ze)
{
	if (!mpfn)
		return;
	if (z == ZONE_MOVABLE) {
		*zs = mpfn;
		*ze = node_end < zl->highest[zl->movable_zone] ? node_end
							       : zl->highest[zl->movable_zone];
	} else if (*zs<mpfn && * ze> mpfn) {
		*ze = mpfn;
	} else if (*zs >= mpfn) {
		*zs = *ze;
	}
}

/* Node @nid's span from its memory regions, then its zones' spans and present pages. */
static void node_init(struct mem_system *ms, const struct memblock *mb,
		      const struct zone_limits *zl, int nid)
{
	pg_data_t *pgdat = &ms->node_data[nid];
	unsigned long start = ~0UL, end = 0;

	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];

		if (region_nid(r) != nid)
			continue;
		start = PFN_UP(r->base) < start ? PFN_UP(r->base) : start;
		end = PFN_DOWN(r->base + r->size) > end ? PFN_DOWN(r->base + r->size) : end;
	}
	if (start >= end)
		start = end = 0;
	pgdat->node_start_pfn = start;
	pgdat->node_spanned_pages = end - start;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		struct zone *zone = &pgdat->node_zones[z];
		unsigned long zs = clampul(start, zl->lowest[z], zl->highest[z]);
		unsigned long ze = clampul(end, zl->lowest[z], zl->highest[z]);

		adjust_for_movable(zl, z, zl->movable_pfn[nid], end, &zs, &ze);
		if (start == end || zs >= ze)
			continue;
		zone->zone_start_pfn = zs;
		zone->spanned_pages = ze - zs;
		zone->present_pages = present_in(mb, nid, zs, ze);
		pgdat->node_present_pages += zone->present_pages;
		if (zone->present_pages)
			pgdat->nr_zones = z + 1;
	}
}

static void zone_struct_init(pg_data_t *pgdat, int z)
{
	struct zone *zone = &pgdat->node_zones[z];

	zone->zone_pgdat = pgdat;
	zone->name = zone_names[z];
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			INIT_LIST_HEAD(&zone->free_area[o].free_list[mt]);
	}
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		for (unsigned int i = 0; i < NR_PCP_LISTS; i++)
			INIT_LIST_HEAD(&pcp->lists[i]);
		pcp->batch = 1; /* Linux's BOOT_PAGESET_BATCH/HIGH until the zone is sized */
	}
}

/* Linux's find_usable_zone_for_movable: the highest zone below ZONE_MOVABLE with a range. */
static int usable_zone_for_movable(const struct zone_limits *zl)
{
	int z = ZONE_MOVABLE - 1;

	while (z > 0 && zl->highest[z] <= zl->lowest[z])
		z--;
	return z;
}

/* Pages of memory of every node (Linux's totalpages of for_each_mem_pfn_range). */
static unsigned long memory_pages(const struct memblock *mb)
{
	unsigned long n = 0;

	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];

		if (PFN_UP(r->base) < PFN_DOWN(r->base + r->size))
			n += PFN_DOWN(r->base + r->size) - PFN_UP(r->base);
	}
	return n;
}

static unsigned long minul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/*
 * One node's share of a pass of Linux's kernelcore spreading: walk node @nid's memory from the
 * bottom past movable_pfn[@nid], counting memory below @usable (which ZONE_MOVABLE can never
 * take) and then up to @share pages above it as kernel memory, and move movable_pfn[@nid] to
 * the end of what was counted. *@required drops by every page counted.
 */
static void spread_kernelcore_node(struct zone_limits *zl, const struct memblock *mb, int nid,
				   unsigned long usable, unsigned long share,
				   unsigned long *required)
{
	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		unsigned long s = PFN_UP(r->base), e = PFN_DOWN(r->base + r->size), size;

		s = s > zl->movable_pfn[nid] ? s : zl->movable_pfn[nid];
		if (region_nid(r) != nid || s >= e)
			continue;
		if (s < usable) {
			size = minul(e, usable) - s;
			share -= minul(size, share);
			*required -= minul(size, *required);
			if (e <= usable) {
				zl->movable_pfn[nid] = e;
				continue;
			}
			s = usable;
		}
		size = minul(e - s, share);
		zl->movable_pfn[nid] = s + size;
		*required -= minul(size, *required);
		share -= size;
		if (!share)
			break;
	}
}

/*
 * Where each node's ZONE_MOVABLE starts (Linux's find_zone_movable_pfns_for_nodes, without
 * movable_node and mirrored kernelcore): @kernelcore pages stay out of it, or all but
 * @movablecore pages (rounded up to MAX_ORDER_NR_PAGES) when that is more; the kernel pages
 * are spread evenly over the nodes with memory, a pass at a time with one node fewer, until
 * they are all placed. No kernelcore, or all of memory, means no ZONE_MOVABLE.
 */
static void find_zone_movable_pfns(struct zone_limits *zl, const struct mem_system *ms,
				   const struct memblock *mb, unsigned long kernelcore,
				   unsigned long movablecore)
{
	unsigned long total = memory_pages(mb), usable, required = kernelcore;
	int nodes = 0;

	zl->movable_zone = usable_zone_for_movable(zl);
	if (movablecore) {
		movablecore = minul(ALIGN_UP(movablecore, MAX_ORDER_NR_PAGES), total);
		required = required > total - movablecore ? required : total - movablecore;
	}
	if (!required || required >= total)
		return;
	usable = zl->lowest[zl->movable_zone];
	for (int nid = 0; nid < ms->nr_online_nodes; nid++)
		nodes += present_in(mb, nid, 0, ~0UL) != 0;
	for (; nodes; nodes--) {
		unsigned long share = required / (unsigned long)nodes;

		for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
			if (required < share)
				share = required / (unsigned long)nodes;
			spread_kernelcore_node(zl, mb, nid, usable, share, &required);
		}
		if (required <= (unsigned long)nodes - 1)
			break;
	}
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		const struct memblock_region *last = NULL;

		zl->movable_pfn[nid] = ALIGN_UP(zl->movable_pfn[nid], MAX_ORDER_NR_PAGES);
		for (unsigned long i = 0; i < mb->memory.cnt; i++)
			last = region_nid(&mb->memory.regions[i]) == nid ? &mb->memory.regions[i]
									 : last;
		if (!last || zl->movable_pfn[nid] >= PFN_DOWN(last->base + last->size))
			zl->movable_pfn[nid] = 0;
	}
}

/* Step 1: the nodes and zones. */
static int nodes_init(struct mem_system *ms, const struct memblock *mb, unsigned int dma_bits,
		      const struct mm_init_params *p)
{
	struct zone_limits zl = { 0 };
	int nodes = 1;

	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		int nid = region_nid(&mb->memory.regions[i]);

		if (nid < 0 || nid >= MAX_NUMNODES) {
			printk("mm: memory node %d: kmm has %d nodes at most\n", nid, MAX_NUMNODES);
			return -EINVAL;
		}
		nodes = nid + 1 > nodes ? nid + 1 : nodes;
	}
	ms->nr_online_nodes = nodes;
	zone_limits_init(&zl, mb, dma_bits);
	if (p)
		find_zone_movable_pfns(&zl, ms, mb, PHYS_PFN(p->kernelcore),
				       PHYS_PFN(p->movablecore));
	for (int nid = 0; nid < nodes; nid++) {
		ms->node_data[nid].node_id = nid;
		ms->node_data[nid].ms = ms;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			zone_struct_init(&ms->node_data[nid], z);
		node_init(ms, mb, &zl, nid);
	}
	return 0;
}

/* The zone of node @nid spanning @pfn, else (a hole outside every span) the zone type whose
 * machine-wide range holds it: where Linux's init_unavailable_range puts such pages. */
static enum zone_type pfn_zone(const struct mem_system *ms, int nid, unsigned long pfn)
{
	const pg_data_t *pgdat = &ms->node_data[nid];

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		if (zone_spans_pfn(&pgdat->node_zones[z], pfn))
			return (enum zone_type)z;
	}
	for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
		const struct zone *zone = &pgdat->node_zones[z];

		if (zone->spanned_pages && pfn >= zone->zone_start_pfn)
			return (enum zone_type)z;
	}
	return ZONE_DMA;
}

static int pfn_nid(const struct mem_system *ms, unsigned long pfn)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		const pg_data_t *p = &ms->node_data[nid];

		if (pfn >= p->node_start_pfn && pfn < p->node_start_pfn + p->node_spanned_pages)
			return nid;
	}
	return 0;
}

/* Linux's init_single_page: reserved, refcount 1, unmapped, linked to zone, node, section. */
static void init_section_pages(struct mem_system *ms, unsigned long nr)
{
	struct page *map = ms->sections[nr].mem_map;
	unsigned long base = nr << PFN_SECTION_SHIFT;

	for (unsigned long i = 0; i < PAGES_PER_SECTION; i++) {
		struct page *p = &map[i];
		int nid = pfn_nid(ms, base + i);

		__builtin_memset(p, 0, sizeof(*p));
		p->flags = BIT(PG_reserved) |
			   FIELD_PREP(PAGE_ZONE_MASK, pfn_zone(ms, nid, base + i)) |
			   FIELD_PREP(PAGE_NODE_MASK, nid) | FIELD_PREP(PAGE_SECTION_MASK, nr);
		p->_refcount = 1;
		p->_mapcount = -1;
		INIT_LIST_HEAD(&p->lru);
	}
	__builtin_memset(ms->sections[nr].pageblock_flags, MIGRATE_UNMOVABLE,
			 PAGEBLOCKS_PER_SECTION);
}

/* memblock memory for the memory map, through the direct view; NULL when it runs out. */
static void *memmap_alloc(struct mem_system *ms, struct memblock *mb, uint64_t bytes)
{
	paddr_t pa = memblock_phys_alloc(mb, bytes, PAGE_SIZE);
	void *va = pa ? arch_phys_to_virt(pa) : NULL;

	if (pa && !va)
		memblock_free(mb, pa, bytes);
	if (va)
		ms->memmap_pages += PFN_UP(bytes);
	return va;
}

/* Pageblocks of memory start MIGRATE_MOVABLE (memmap_init_range, at pageblock-aligned pfns). */
static void memmap_init_pageblocks(struct mem_system *ms, const struct memblock *mb)
{
	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		unsigned long s = ALIGN_UP(PFN_UP(r->base), pageblock_nr_pages);

		for (unsigned long pfn = s; pfn < PFN_DOWN(r->base + r->size);
		     pfn += pageblock_nr_pages)
			set_pfnblock_migratetype(ms, pfn, MIGRATE_MOVABLE);
	}
}

/* Step 2: the section table and each memory section's struct pages and pageblock types. */
static int sparse_init(struct mem_system *ms, struct memblock *mb)
{
	uint64_t map_bytes = PAGES_PER_SECTION * sizeof(struct page) + PAGEBLOCKS_PER_SECTION;

	ms->min_pfn = PFN_UP(memblock_start_of_DRAM(mb));
	ms->max_pfn = PFN_DOWN(memblock_end_of_DRAM(mb));
	ms->nr_sections = (ms->max_pfn + PAGES_PER_SECTION - 1) >> PFN_SECTION_SHIFT;
	if (ms->nr_sections > FIELD_GET(PAGE_SECTION_MASK, ~0ULL))
		return -EINVAL;
	ms->sections = memmap_alloc(ms, mb, ms->nr_sections * sizeof(struct mem_section));
	if (!ms->sections)
		return -ENOMEM;
	__builtin_memset(ms->sections, 0, ms->nr_sections * sizeof(struct mem_section));
	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		unsigned long first = PFN_UP(r->base) >> PFN_SECTION_SHIFT;
		unsigned long last = (PFN_DOWN(r->base + r->size) - 1) >> PFN_SECTION_SHIFT;

		if (PFN_UP(r->base) >= PFN_DOWN(r->base + r->size))
			continue;
		for (unsigned long nr = first; nr <= last; nr++) {
			struct mem_section *s = &ms->sections[nr];

			if (s->mem_map)
				continue;
			s->mem_map = memmap_alloc(ms, mb, map_bytes);
			if (!s->mem_map)
				return -ENOMEM;
			s->pageblock_flags = (uint8_t *)(s->mem_map + PAGES_PER_SECTION);
			init_section_pages(ms, nr);
		}
	}
	memmap_init_pageblocks(ms, mb);
	return 0;
}

/* Free [start, end) in the largest naturally aligned blocks (__free_pages_memory). */
static void free_pages_memory(struct mem_system *ms, unsigned long start, unsigned long end)
{
	while (start < end) {
		unsigned int order = start ? (unsigned int)__builtin_ctzl(start) : MAX_ORDER - 1;

		if (order > MAX_ORDER - 1)
			order = MAX_ORDER - 1;
		while (start + (1UL << order) > end)
			order--;
		__free_pages_core(ms, ms_pfn_to_page(ms, start), start, order);
		start += 1UL << order;
	}
}

/* Step 3: every free memblock range to the buddy allocator (Linux's memblock_free_all). */
static void memblock_free_all(struct mem_system *ms, const struct memblock *mb)
{
	uint64_t i = 0;
	paddr_t s, e;

	while (memblock_next_free_range(mb, &i, &s, &e, NULL)) {
		if (PFN_UP(s) < PFN_DOWN(e))
			free_pages_memory(ms, PFN_UP(s), PFN_DOWN(e));
	}
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++)
			ms->totalram_pages += ms->node_data[nid].node_zones[z].managed_pages;
	}
}

/* Node @nid's zonelist: its own managed zones highest first, then the other nodes' (Linux's
 * build_zonelists with every distance equal). */
static void build_zonelist(struct mem_system *ms, int nid)
{
	struct zone **zones = ms->node_data[nid].node_zonelist.zones;
	int n = 0;

	for (int k = 0; k < ms->nr_online_nodes; k++) {
		pg_data_t *p = &ms->node_data[(nid + k) % ms->nr_online_nodes];

		for (int z = MAX_NR_ZONES - 1; z >= 0; z--) {
			if (managed_zone(&p->node_zones[z]))
				zones[n++] = &p->node_zones[z];
		}
	}
	zones[n] = NULL;
}

/* Linux's int_sqrt: the integer square root. */
static unsigned long int_sqrt(unsigned long x)
{
	unsigned long r = 0;

	for (unsigned long bit = 1UL << 62; bit; bit >>= 2) {
		if (x >= r + bit) {
			x -= r + bit;
			r = (r >> 1) + bit;
		} else {
			r >>= 1;
		}
	}
	return r;
}

/*
 * Linux's init_per_zone_wmark_min: min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to
 * [128, 262144]; lowmem_kbytes is nr_free_buffer_pages() (managed pages of the zones GFP_USER
 * may use, less their high watermarks, which are still 0 here) in kB.
 */
static void calculate_min_free_kbytes(struct mem_system *ms)
{
	unsigned long lowmem = 0, kb;

	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z <= ZONE_NORMAL; z++) {
			const struct zone *zone = &ms->node_data[nid].node_zones[z];

			if (zone->managed_pages > high_wmark_pages(zone))
				lowmem += zone->managed_pages - high_wmark_pages(zone);
		}
	}
	kb = int_sqrt(lowmem * (PAGE_SIZE >> 10) * 16);
	ms->min_free_kbytes = clampul(kb, 128, 262144);
}

void setup_per_zone_wmarks(struct mem_system *ms)
{
	unsigned long pages_min = ms->min_free_kbytes >> (PAGE_SHIFT - 10), lowmem = 0;

	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < ZONE_MOVABLE; z++)
			lowmem += ms->node_data[nid].node_zones[z].managed_pages;
	}
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &ms->node_data[nid].node_zones[z];
			uint64_t tmp =
			    lowmem ? (uint64_t)pages_min * zone->managed_pages / lowmem : 0;
			uint64_t scaled =
			    zone->managed_pages / 10000 * ms->watermark_scale_factor +
			    zone->managed_pages % 10000 * ms->watermark_scale_factor / 10000;

			if (z == ZONE_MOVABLE)
				zone->_watermark[WMARK_MIN] =
				    clampul(zone->managed_pages / 1024, 32, 128);
			else
				zone->_watermark[WMARK_MIN] = tmp;
			tmp = (tmp >> 2) > scaled ? tmp >> 2 : scaled;
			zone->watermark_boost = 0;
			zone->_watermark[WMARK_LOW] = zone->_watermark[WMARK_MIN] + tmp;
			zone->_watermark[WMARK_HIGH] = zone->_watermark[WMARK_LOW] + tmp;
			zone->_watermark[WMARK_PROMO] = zone->_watermark[WMARK_HIGH] + tmp;
		}
	}
	zone_pcp_update_all(ms);
}

void setup_per_zone_lowmem_reserve(struct mem_system *ms)
{
	ms->totalreserve_pages = 0;
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		struct zone *zones = ms->node_data[nid].node_zones;

		for (int i = 0; i < MAX_NR_ZONES - 1; i++) {
			int ratio = ms->lowmem_reserve_ratio[i];
			bool clear = !ratio || !zones[i].managed_pages;
			unsigned long managed = 0;

			for (int j = i + 1; j < MAX_NR_ZONES; j++) {
				managed += zones[j].managed_pages;
				zones[i].lowmem_reserve[j] =
				    clear ? 0 : (long)(managed / (unsigned)ratio);
			}
		}
		/* calculate_totalreserve_pages */
		for (int i = 0; i < MAX_NR_ZONES; i++) {
			unsigned long max = 0;

			for (int j = i; j < MAX_NR_ZONES; j++) {
				if ((unsigned long)zones[i].lowmem_reserve[j] > max)
					max = (unsigned long)zones[i].lowmem_reserve[j];
			}
			max += high_wmark_pages(&zones[i]);
			if (max > zones[i].managed_pages)
				max = zones[i].managed_pages;
			ms->totalreserve_pages += max;
		}
	}
}

/* Linux's zone_batchsize: about a quarter of a 1/1024 of the zone, at most 1 MiB's worth,
 * as 2^n - 1 (batches of 2^n pages alias in caches). */
static int zone_batchsize(const struct zone *zone)
{
	unsigned long batch = zone->managed_pages >> 10;

	if (batch > (1UL << 20) / PAGE_SIZE)
		batch = (1UL << 20) / PAGE_SIZE;
	batch /= 4;
	if (batch < 1)
		batch = 1;
	batch = batch + batch / 2;
	batch = 1UL << (63 - __builtin_clzl(batch)); /* rounddown_pow_of_two */
	return (int)batch - 1;
}

/* Linux's zone_highsize with percpu_pagelist_high_fraction 0: the low watermark shared by the
 * node's CPUs (all of them: kmm does not know CPU-to-node), at least 4 batches. */
static int zone_highsize(const struct zone *zone, int batch)
{
	int high = (int)(low_wmark_pages(zone) / zone_ms(zone)->nr_cpus);

	return high > batch * 4 ? high : batch * 4;
}

void zone_pcp_update_all(struct mem_system *ms)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &ms->node_data[nid].node_zones[z];
			int batch = zone_batchsize(zone);
			int high = zone_highsize(zone, batch);

			batch = batch < 1 ? 1 : batch;
			for (unsigned int cpu = 0; cpu < ms->nr_cpus; cpu++) {
				zone->per_cpu_pageset[cpu].batch = batch;
				zone->per_cpu_pageset[cpu].high = high;
			}
		}
	}
}

int mm_core_init(struct mem_system *ms, struct memblock *mb, const struct mm_init_params *p)
{
	unsigned int cpus = p && p->nr_cpus ? p->nr_cpus : 1;
	unsigned int dma_bits = p && p->zone_dma_bits ? p->zone_dma_bits : 64;
	int e;

	__builtin_memset(ms, 0, sizeof(*ms));
	if (cpus > NR_CPUS || !memblock_phys_mem_size(mb)) {
		printk("mm: %u CPUs (kmm has %d at most), %llu bytes of memory\n", cpus, NR_CPUS,
		       (unsigned long long)memblock_phys_mem_size(mb));
		return -EINVAL;
	}
	ms->nr_cpus = cpus;
	ms->watermark_scale_factor = 10;
	__builtin_memcpy(ms->lowmem_reserve_ratio, default_lowmem_reserve_ratio,
			 sizeof(default_lowmem_reserve_ratio));
	e = nodes_init(ms, mb, dma_bits, p);
	if (!e)
		e = sparse_init(ms, mb);
	if (e)
		return e;
	memblock_free_all(ms, mb);
	for (int nid = 0; nid < ms->nr_online_nodes; nid++)
		build_zonelist(ms, nid);
	calculate_min_free_kbytes(ms);
	setup_per_zone_wmarks(ms);
	setup_per_zone_lowmem_reserve(ms);
	return 0;
}

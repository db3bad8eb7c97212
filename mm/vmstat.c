// SPDX-License-Identifier: MIT
/*
 * The page allocator's views in Linux 6.1's formats, printed through printk: /proc/buddyinfo,
 * /proc/pagetypeinfo, /proc/zoneinfo (mm/vmstat.c), /proc/meminfo's first lines
 * (fs/proc/meminfo.c), the Mem-Info report of an allocation failure (show_free_areas) and the
 * %pGg names of GFP flags (include/trace/events/mmflags.h).
 *
 * Left out because kmm has no such state yet: zoneinfo's per-node and per-zone vmstat counters
 * and "vm stats threshold", pagetypeinfo's mixed-blocks table (PAGE_OWNER), and Mem-Info's
 * global LRU/slab line (its per-zone LRU fields print 0, which they are).
 */
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>

#define K(pages) ((pages) << (PAGE_SHIFT - 10))

/* The named flag sets of %pGg, composites first, in Linux's order. */
static const struct {
	gfp_t mask;
	const char *name;
} gfp_names[] = {
	{ GFP_HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE" },
	{ GFP_HIGHUSER, "GFP_HIGHUSER" },
	{ GFP_USER, "GFP_USER" },
	{ GFP_KERNEL_ACCOUNT, "GFP_KERNEL_ACCOUNT" },
	{ GFP_KERNEL, "GFP_KERNEL" },
	{ GFP_NOFS, "GFP_NOFS" },
	{ GFP_ATOMIC, "GFP_ATOMIC" },
	{ GFP_NOIO, "GFP_NOIO" },
	{ GFP_NOWAIT, "GFP_NOWAIT" },
	{ GFP_DMA, "GFP_DMA" },
	{ __GFP_HIGHMEM, "__GFP_HIGHMEM" },
	{ GFP_DMA32, "GFP_DMA32" },
	{ __GFP_HIGH, "__GFP_HIGH" },
	{ __GFP_ATOMIC, "__GFP_ATOMIC" },
	{ __GFP_IO, "__GFP_IO" },
	{ __GFP_FS, "__GFP_FS" },
	{ __GFP_NOWARN, "__GFP_NOWARN" },
	{ __GFP_RETRY_MAYFAIL, "__GFP_RETRY_MAYFAIL" },
	{ __GFP_NOFAIL, "__GFP_NOFAIL" },
	{ __GFP_NORETRY, "__GFP_NORETRY" },
	{ __GFP_COMP, "__GFP_COMP" },
	{ __GFP_ZERO, "__GFP_ZERO" },
	{ __GFP_NOMEMALLOC, "__GFP_NOMEMALLOC" },
	{ __GFP_MEMALLOC, "__GFP_MEMALLOC" },
	{ __GFP_HARDWALL, "__GFP_HARDWALL" },
	{ __GFP_THISNODE, "__GFP_THISNODE" },
	{ __GFP_RECLAIMABLE, "__GFP_RECLAIMABLE" },
	{ __GFP_MOVABLE, "__GFP_MOVABLE" },
	{ __GFP_ACCOUNT, "__GFP_ACCOUNT" },
	{ __GFP_WRITE, "__GFP_WRITE" },
	{ __GFP_RECLAIM, "__GFP_RECLAIM" },
	{ __GFP_DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM" },
};

int gfp_snprint(char *buf, size_t size, gfp_t gfp)
{
	int n = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(gfp_names) && gfp; i++) {
		if ((gfp & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		gfp &= ~gfp_names[i].mask;
		n += kmm_snprintf(buf + n, (size_t)n < size ? size - (size_t)n : 0, "%s%s",
				  gfp_names[i].name, gfp ? "|" : "");
	}
	if (gfp)
		n += kmm_snprintf(buf + n, (size_t)n < size ? size - (size_t)n : 0, "%#x", gfp);
	return n;
}

void show_buddyinfo(const struct mem_system *ms)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			const struct zone *zone = &ms->node_data[nid].node_zones[z];

			if (!populated_zone(zone))
				continue;
			printk("Node %d, zone %8s ", nid, zone->name);
			for (unsigned int o = 0; o < MAX_ORDER; o++)
				printk("%6lu ", zone->free_area[o].nr_free);
			printk("\n");
		}
	}
}

static unsigned long list_length(const struct list_head *head)
{
	const struct list_head *pos;
	unsigned long n = 0;

	list_for_each(pos, head) n++;
	return n;
}

static void pagetypeinfo_showfree(const pg_data_t *pgdat)
{
	printk("%-43s ", "Free pages count per migrate type at order");
	for (unsigned int o = 0; o < MAX_ORDER; o++)
		printk("%6u ", o);
	printk("\n");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &pgdat->node_zones[z];

		if (!populated_zone(zone))
			continue;
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			printk("Node %4d, zone %8s, type %12s ", pgdat->node_id, zone->name,
			       migratetype_names[mt]);
			for (unsigned int o = 0; o < MAX_ORDER; o++)
				printk("%6lu ", list_length(&zone->free_area[o].free_list[mt]));
			printk("\n");
		}
	}
}

static void pagetypeinfo_showblockcount(const struct mem_system *ms, const pg_data_t *pgdat)
{
	printk("\n%-23s", "Number of blocks type ");
	for (int mt = 0; mt < MIGRATE_TYPES; mt++)
		printk("%12s ", migratetype_names[mt]);
	printk("\n");
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &pgdat->node_zones[z];
		unsigned long count[MIGRATE_TYPES] = { 0 };

		if (!populated_zone(zone))
			continue;
		for (unsigned long pfn = zone->zone_start_pfn; pfn < zone_end_pfn(zone);
		     pfn += pageblock_nr_pages) {
			const struct page *page = ms_pfn_to_page(ms, pfn);

			if (page && page_zonenum(page) == (enum zone_type)z &&
			    page_to_nid(page) == pgdat->node_id)
				count[get_pfnblock_migratetype(ms, pfn)]++;
		}
		printk("Node %d, zone %8s ", pgdat->node_id, zone->name);
		for (int mt = 0; mt < MIGRATE_TYPES; mt++)
			printk("%12lu ", count[mt]);
		printk("\n");
	}
}

void show_pagetypeinfo(const struct mem_system *ms)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		const pg_data_t *pgdat = &ms->node_data[nid];

		if (!pgdat->node_present_pages)
			continue;
		printk("Page block order: %d\n", pageblock_order);
		printk("Pages per block:  %lu\n", pageblock_nr_pages);
		printk("\n");
		pagetypeinfo_showfree(pgdat);
		pagetypeinfo_showblockcount(ms, pgdat);
	}
}

static void zoneinfo_show_zone(const struct mem_system *ms, const struct zone *zone)
{
	printk("Node %d, zone %8s", zone_to_nid(zone), zone->name);
	printk("\n  pages free     %lu"
	       "\n        boost    %lu"
	       "\n        min      %lu"
	       "\n        low      %lu"
	       "\n        high     %lu"
	       "\n        promo    %lu"
	       "\n        spanned  %lu"
	       "\n        present  %lu"
	       "\n        managed  %lu"
	       "\n        cma      %lu",
	       zone->nr_free_pages, zone->watermark_boost, min_wmark_pages(zone),
	       low_wmark_pages(zone), high_wmark_pages(zone), promo_wmark_pages(zone),
	       zone->spanned_pages, zone->present_pages, zone->managed_pages, 0UL);
	printk("\n        protection: (%ld", zone->lowmem_reserve[0]);
	for (int i = 1; i < MAX_NR_ZONES; i++)
		printk(", %ld", zone->lowmem_reserve[i]);
	printk(")");
	if (!populated_zone(zone)) {
		printk("\n");
		return;
	}
	printk("\n  pagesets");
	for (unsigned int cpu = 0; cpu < ms->nr_cpus; cpu++) {
		const struct per_cpu_pages *pcp = &zone->per_cpu_pageset[cpu];

		printk("\n    cpu: %u"
		       "\n              count: %d"
		       "\n              high:  %d"
		       "\n              batch: %d",
		       cpu, pcp->count, pcp->high, pcp->batch);
	}
	printk("\n  node_unreclaimable:  %u"
	       "\n  start_pfn:           %lu\n",
	       0u, zone->zone_start_pfn);
}

void show_zoneinfo(const struct mem_system *ms)
{
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++)
			zoneinfo_show_zone(ms, &ms->node_data[nid].node_zones[z]);
	}
}

void show_meminfo(const struct mem_system *ms)
{
	unsigned long free = 0;

	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++)
			free += ms->node_data[nid].node_zones[z].nr_free_pages;
	}
	printk("MemTotal:       %8lu kB\n", K(ms->totalram_pages));
	printk("MemFree:        %8lu kB\n", K(free));
}

/* "(UM) ": the letters of the migratetypes with a free block of this order. */
static void show_migration_types(unsigned int types)
{
	static const char letters[MIGRATE_TYPES] = { 'U', 'M', 'E', 'H', 'I' };
	char tmp[MIGRATE_TYPES + 1];
	int n = 0;

	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		if (types & (1u << mt))
			tmp[n++] = letters[mt];
	}
	tmp[n] = '\0';
	printk("(%s) ", tmp);
}

static void show_zone_line(const struct zone *zone)
{
	printk("Node %d %s free:%lukB boost:%lukB min:%lukB low:%lukB high:%lukB "
	       "reserved_highatomic:%luKB active_anon:0kB inactive_anon:0kB active_file:0kB "
	       "inactive_file:0kB unevictable:0kB writepending:0kB present:%lukB managed:%lukB "
	       "mlocked:0kB bounce:0kB free_pcp:%lukB local_pcp:%ukB free_cma:0kB\n",
	       zone_to_nid(zone), zone->name, K(zone->nr_free_pages), K(zone->watermark_boost),
	       K(min_wmark_pages(zone)), K(low_wmark_pages(zone)), K(high_wmark_pages(zone)),
	       K(zone->nr_reserved_highatomic), K(zone->present_pages), K(zone->managed_pages),
	       K(zone_pcp_pages(zone)), K((unsigned int)zone->per_cpu_pageset[0].count));
	printk("lowmem_reserve[]:");
	for (int i = 0; i < MAX_NR_ZONES; i++)
		printk(" %ld", zone->lowmem_reserve[i]);
	printk("\n");
}

static void show_zone_orders(const struct zone *zone)
{
	unsigned long total = 0;

	printk("Node %d %s: ", zone_to_nid(zone), zone->name);
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		const struct free_area *area = &zone->free_area[o];
		unsigned int types = 0;

		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			if (!list_empty(&area->free_list[mt]))
				types |= 1u << mt;
		}
		total += area->nr_free << o;
		printk("%lu*%lukB ", area->nr_free, K(1UL) << o);
		if (area->nr_free)
			show_migration_types(types);
	}
	printk("= %lukB\n", K(total));
}

void show_free_areas(const struct mem_system *ms)
{
	printk("Mem-Info:\n");
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (populated_zone(&ms->node_data[nid].node_zones[z]))
				show_zone_line(&ms->node_data[nid].node_zones[z]);
		}
	}
	for (int nid = 0; nid < ms->nr_online_nodes; nid++) {
		for (int z = 0; z < MAX_NR_ZONES; z++) {
			if (populated_zone(&ms->node_data[nid].node_zones[z]))
				show_zone_orders(&ms->node_data[nid].node_zones[z]);
		}
	}
}

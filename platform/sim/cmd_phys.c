// SPDX-License-Identifier: MIT
/*
 * kmm-sim phys: physical memory after boot, zone by zone, as the buddy allocator holds it: its
 * free blocks by order and migratetype (Linux's /proc/pagetypeinfo, seed 001's buddy system),
 * the reserved frames (memblock's, PG_reserved) and the allocated rest. Text, JSON, or an SVG
 * picture with every free block drawn at its address.
 */
#include "board.h"
#include "json.h"
#include "sim.h"

#include <kmm/mm.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim phys [--mem SIZE] [--svg FILE] [--json]\n"
    "\n"
    "Boot the default board (QEMU virt, 1 GiB, 4K pages) and show its physical memory by\n"
    "zone: the buddy allocator's free blocks by order (4K..4M) and migratetype, the reserved\n"
    "frames (the kernel image, the DTB, the memory map: PG_reserved) and the allocated ones\n"
    "(page tables, slabs, per-CPU lists...).\n"
    "\n"
    "  --mem SIZE  RAM size (K, M or G suffix; default 1G)\n"
    "  --svg FILE  draw it into FILE: per zone a bar of its frames, free blocks at their\n"
    "              addresses coloured by migratetype (as wide as their order makes them),\n"
    "              reserved frames dark, allocated grey; then free pages per order and\n"
    "              migratetype\n"
    "  --json      {\"zones\": [{\"node\": N, \"zone\": NAME, \"start_pfn\": N, \"spanned_pages\": "
    "N,\n"
    "              \"present_pages\": N, \"managed_pages\": N, \"free_pages\": N,\n"
    "              \"reserved_pages\": N, \"allocated_pages\": N, \"hole_pages\": N,\n"
    "              \"free_blocks\": {MIGRATETYPE: [blocks of order 0..10], ...}}, ...]}\n"
    "  --help      print this text\n";

enum { OPT_MEM = 256, OPT_SVG, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* What a zone's frames are, counted and, for the picture, as runs. */
enum frame_kind { FRAME_HOLE, FRAME_RESERVED, FRAME_ALLOCATED, FRAME_FREE, FRAME_KINDS };

struct zone_census {
	unsigned long pages[FRAME_KINDS];
	unsigned long blocks[MIGRATE_TYPES][MAX_ORDER];
};

/* The kind of @pfn's frame and how many frames from it on are of that kind for sure. */
static enum frame_kind frame_at(const struct mem_system *ms, unsigned long pfn, unsigned long *n)
{
	const struct page *p = ms_pfn_to_page(ms, pfn);

	*n = 1;
	if (!p)
		return FRAME_HOLE;
	if (PageBuddy(p)) {
		*n = 1UL << buddy_order(p);
		return FRAME_FREE;
	}
	return PageReserved(p) ? FRAME_RESERVED : FRAME_ALLOCATED;
}

/* Call @fn(@ctx, kind, pfn, count) for each run of one kind of frame in @z, low to high. */
static void zone_runs(const struct mem_system *ms, const struct zone *z,
		      void (*fn)(void *ctx, enum frame_kind k, unsigned long pfn, unsigned long n),
		      void *ctx)
{
	unsigned long pfn = z->zone_start_pfn, end = zone_end_pfn(z), start = pfn, n;
	enum frame_kind run = FRAME_KINDS;

	while (pfn < end) {
		enum frame_kind k = frame_at(ms, pfn, &n);

		if (k != run && run != FRAME_KINDS)
			fn(ctx, run, start, pfn - start);
		if (k != run)
			start = pfn;
		run = k;
		pfn += n < end - pfn ? n : end - pfn;
	}
	if (run != FRAME_KINDS)
		fn(ctx, run, start, pfn - start);
}

static void count_run(void *ctx, enum frame_kind k, unsigned long pfn, unsigned long n)
{
	(void)pfn;
	((struct zone_census *)ctx)->pages[k] += n;
}

static void census(const struct mem_system *ms, const struct zone *z, struct zone_census *c)
{
	memset(c, 0, sizeof(*c));
	zone_runs(ms, z, count_run, c);
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			const struct list_head *pos;

			list_for_each(pos, &z->free_area[o].free_list[mt]) c->blocks[mt][o]++;
		}
	}
}

/* The zones of @ms with memory, in node and zone order, after @z (NULL: the first); NULL after
 * the last. */
static const struct zone *next_zone(const struct mem_system *ms, const struct zone *z)
{
	int nid = z ? zone_to_nid(z) : 0;
	int zid = z ? (int)zone_idx(z) + 1 : 0;

	for (; nid < ms->nr_online_nodes; nid++, zid = 0) {
		for (; zid < MAX_NR_ZONES; zid++) {
			z = &ms->node_data[nid].node_zones[zid];
			if (populated_zone(z))
				return z;
		}
	}
	return NULL;
}

static void json_zone(struct json *j, const struct zone *z, const struct zone_census *c)
{
	json_object_begin(j);
	json_kv_uint(j, "node", (uint64_t)zone_to_nid(z));
	json_kv_string(j, "zone", z->name);
	json_kv_uint(j, "start_pfn", z->zone_start_pfn);
	json_kv_uint(j, "spanned_pages", z->spanned_pages);
	json_kv_uint(j, "present_pages", z->present_pages);
	json_kv_uint(j, "managed_pages", z->managed_pages);
	json_kv_uint(j, "free_pages", c->pages[FRAME_FREE]);
	json_kv_uint(j, "reserved_pages", c->pages[FRAME_RESERVED]);
	json_kv_uint(j, "allocated_pages", c->pages[FRAME_ALLOCATED]);
	json_kv_uint(j, "hole_pages", c->pages[FRAME_HOLE]);
	json_key(j, "free_blocks");
	json_object_begin(j);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		json_key(j, migratetype_names[mt]);
		json_array_begin(j);
		for (unsigned int o = 0; o < MAX_ORDER; o++)
			json_uint(j, c->blocks[mt][o]);
		json_array_end(j);
	}
	json_object_end(j);
	json_object_end(j);
}

static void print_text(FILE *out, const struct zone *z, const struct zone_census *c)
{
	fprintf(out,
		"Node %d, zone %-8s pfn %#lx-%#lx: %lu present, %lu managed, %lu free, "
		"%lu reserved, %lu allocated\n",
		zone_to_nid(z), z->name, z->zone_start_pfn, zone_end_pfn(z), z->present_pages,
		z->managed_pages, c->pages[FRAME_FREE], c->pages[FRAME_RESERVED],
		c->pages[FRAME_ALLOCATED]);
	for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
		fprintf(out, "  free blocks %-12s", migratetype_names[mt]);
		for (unsigned int o = 0; o < MAX_ORDER; o++)
			fprintf(out, " %6lu", c->blocks[mt][o]);
		fputc('\n', out);
	}
}

/*
 * The SVG picture: per zone a title, a bar of BAR_W pixels for its span (allocated frames grey,
 * reserved ones dark, holes white, each free block in its migratetype's colour at its place,
 * its width its 2^order frames to scale), and a stacked bar of free pages per order.
 */
#define BAR_X 130
#define BAR_W 1000
#define BAR_H 40
#define ORDER_ROW 16
#define ZONE_H (70 + BAR_H + MAX_ORDER * ORDER_ROW)

static const char *const mt_fill[MIGRATE_TYPES] = { "#e76f51", "#2a9d8f", "#e9c46a", "#9b5de5",
						    "#f15bb5" };
static const char *const kind_fill[FRAME_KINDS] = { "#ffffff", "#333333", "#bbbbbb", "#2a9d8f" };

struct svg_bar {
	FILE *f;
	const struct zone *z;
	unsigned int y;
};

static double bar_x(const struct svg_bar *b, unsigned long pfn)
{
	return BAR_X + (double)(pfn - b->z->zone_start_pfn) * BAR_W / (double)b->z->spanned_pages;
}

/* A rectangle on the bar for frames [pfn, pfn + n), at least a third of a pixel wide. */
static void bar_rect(const struct svg_bar *b, unsigned long pfn, unsigned long n, const char *fill)
{
	double x = bar_x(b, pfn), w = bar_x(b, pfn + n) - x;

	fprintf(b->f, "  <rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"%d\" fill=\"%s\"/>\n", x,
		b->y, w < 0.34 ? 0.34 : w, BAR_H, fill);
}

static void svg_run(void *ctx, enum frame_kind k, unsigned long pfn, unsigned long n)
{
	if (k != FRAME_FREE && k != FRAME_ALLOCATED)
		bar_rect(ctx, pfn, n, kind_fill[k]);
}

static void svg_free_blocks(const struct svg_bar *b)
{
	const struct mem_system *ms = zone_ms(b->z);

	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			const struct page *p;

			list_for_each_entry (p, &b->z->free_area[o].free_list[mt], lru)
				bar_rect(b, ms_page_to_pfn(ms, p), 1UL << o, mt_fill[mt]);
		}
	}
}

/* Free pages of each order as a bar stacked by migratetype, scaled to the zone's free pages. */
static void svg_orders(FILE *f, const struct zone_census *c, unsigned int y)
{
	unsigned long total = c->pages[FRAME_FREE] ? c->pages[FRAME_FREE] : 1;
	char sz[24];

	for (unsigned int o = 0; o < MAX_ORDER; o++, y += ORDER_ROW) {
		double x = BAR_X;
		unsigned long blocks = 0;

		fprintf(f, "  <text x=\"20\" y=\"%u\">order %u (%s)</text>\n", y + 11, o,
			sim_size_str(PAGE_SIZE << o, sz));
		for (int mt = 0; mt < MIGRATE_TYPES; mt++) {
			double w = (double)(c->blocks[mt][o] << o) * BAR_W / (double)total;

			blocks += c->blocks[mt][o];
			if (!c->blocks[mt][o])
				continue;
			fprintf(f,
				"  <rect x=\"%.2f\" y=\"%u\" width=\"%.2f\" height=\"12\" "
				"fill=\"%s\"/>\n",
				x, y + 1, w < 1 ? 1 : w, mt_fill[mt]);
			x += w < 1 ? 1 : w;
		}
		fprintf(f, "  <text x=\"%.2f\" y=\"%u\" fill=\"#444\">%lu blocks</text>\n", x + 6,
			y + 11, blocks);
	}
}

static void svg_zone(FILE *f, const struct zone *z, const struct zone_census *c, unsigned int y)
{
	struct svg_bar b = { f, z, y + 30 };
	char sz[24];

	fprintf(f,
		"  <text x=\"20\" y=\"%u\" font-weight=\"bold\">Node %d, zone %s: PFN %#lx-%#lx, "
		"%s present, %lu free pages, %lu reserved, %lu allocated</text>\n",
		y + 16, zone_to_nid(z), z->name, z->zone_start_pfn, zone_end_pfn(z),
		sim_size_str(z->present_pages * PAGE_SIZE, sz), c->pages[FRAME_FREE],
		c->pages[FRAME_RESERVED], c->pages[FRAME_ALLOCATED]);
	fprintf(f, "  <text x=\"20\" y=\"%u\">frames</text>\n", b.y + BAR_H / 2 + 4);
	bar_rect(&b, z->zone_start_pfn, z->spanned_pages, kind_fill[FRAME_ALLOCATED]);
	zone_runs(zone_ms(z), z, svg_run, &b);
	svg_free_blocks(&b);
	fprintf(f,
		"  <rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%d\" fill=\"none\" "
		"stroke=\"#333\"/>\n",
		BAR_X, b.y, BAR_W, BAR_H);
	svg_orders(f, c, b.y + BAR_H + 20);
}

/* The legend: a swatch and a name per migratetype and frame kind. */
static void svg_legend(FILE *f, unsigned int y)
{
	static const char *const kinds[] = { "hole", "reserved", "allocated" };
	unsigned int x = 20;

	for (int mt = 0; mt < MIGRATE_TYPES; mt++, x += 120)
		fprintf(f,
			"  <rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			"<text x=\"%u\" y=\"%u\">free %s</text>\n",
			x, y, mt_fill[mt], x + 16, y + 11, migratetype_names[mt]);
	for (int k = 0; k < FRAME_ALLOCATED + 1; k++, x += 100)
		fprintf(f,
			"  <rect x=\"%u\" y=\"%u\" width=\"12\" height=\"12\" fill=\"%s\" "
			"stroke=\"#333\"/><text x=\"%u\" y=\"%u\">%s</text>\n",
			x, y, kind_fill[k], x + 16, y + 11, kinds[k]);
}

static void write_svg(FILE *f, const struct mem_system *ms)
{
	unsigned int nzones = 0, y = 70, w = BAR_X + BAR_W + 120;
	struct zone_census c;

	for (const struct zone *z = next_zone(ms, NULL); z; z = next_zone(ms, z))
		nzones++;
	unsigned int h = y + nzones * ZONE_H + 10;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"sans-serif\" font-size=\"12\">\n"
		"  <rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"  <text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">Physical memory "
		"by zone: free blocks by order and migratetype</text>\n",
		w, h, w, h);
	svg_legend(f, 42);
	for (const struct zone *z = next_zone(ms, NULL); z; z = next_zone(ms, z), y += ZONE_H) {
		census(ms, z, &c);
		svg_zone(f, z, &c, y);
	}
	fputs("</svg>\n", f);
}

static int svg_to_file(const char *path, const struct mem_system *ms, FILE *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sim_usage_error(err, "phys", "--svg: cannot create '%s': %s", path,
				       strerror(errno));
	write_svg(f, ms);
	bool ok = !ferror(f);
	if (fclose(f) || !ok) {
		fprintf(err, "kmm-sim phys: --svg: writing '%s' failed\n", path);
		return SIM_EXIT_FAIL;
	}
	return SIM_EXIT_OK;
}

static void show(FILE *out, const struct mem_system *ms, bool json)
{
	struct zone_census c;
	struct json j;

	json_init(&j, out);
	if (json) {
		json_object_begin(&j);
		json_key(&j, "zones");
		json_array_begin(&j);
	}
	for (const struct zone *z = next_zone(ms, NULL); z; z = next_zone(ms, z)) {
		census(ms, z, &c);
		if (json)
			json_zone(&j, z, &c);
		else
			print_text(out, z, &c);
	}
	if (json) {
		json_array_end(&j);
		json_object_end(&j);
	}
}

int cmd_phys(int argc, char **argv, FILE *out, FILE *err)
{
	struct sim_boot_opts bo = { .board = "virt", .granule = PAGE_SIZE, .va_bits = 48 };
	const char *svg = NULL;
	bool json = false;
	struct sim_boot sb;
	char *log = NULL;
	size_t loglen = 0;
	int c, rc;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		} else if (c == OPT_MEM) {
			if (!sim_arg_u64(err, "phys", "--mem", optarg, SIM_NUM_SUFFIX, &bo.mem))
				return SIM_EXIT_USAGE;
		} else if (c == OPT_SVG) {
			svg = optarg;
		} else if (c == OPT_JSON) {
			json = true;
		} else {
			return sim_opt_error(err, "phys", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "phys", "unexpected argument '%s'", argv[optind]);
	FILE *logf = open_memstream(&log, &loglen);
	if (!logf)
		return SIM_EXIT_FAIL;
	rc = sim_boot(&sb, &bo, logf, err);
	fclose(logf);
	if (rc != SIM_EXIT_OK)
		fputs(log ? log : "", err);
	else if (svg)
		rc = svg_to_file(svg, &mm_default_system, err);
	if (rc == SIM_EXIT_OK)
		show(out, &mm_default_system, json);
	sim_boot_release(&sb);
	free(log);
	return rc;
}

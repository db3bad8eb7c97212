// SPDX-License-Identifier: MIT
/*
 * kmm-sim phys: the zones' frames add up (free + reserved + allocated + holes = spanned, free +
 * allocated = managed), the free blocks by order and migratetype add up to the free pages, the
 * text and the JSON agree, the SVG is well-formed with one block per free block, bad input.
 */
#include "jsonread.h"
#include "simtest.h"
#include "svgcheck.h"

#include "../ktest/ktest.h"

#include <kmm/mmzone.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Free blocks of zone @z, in all, and the pages they hold. */
static uint64_t zone_blocks(struct ktest *kt, const struct jv *z, uint64_t *pages)
{
	const struct jv *fb = jv_get(z, "free_blocks");
	uint64_t blocks = 0;

	*pages = 0;
	KT_EXPECT_EQ(kt, fb ? fb->n : 0, (size_t)MIGRATE_TYPES);
	for (const struct jv *mt = fb ? fb->kids : NULL; mt; mt = mt->next) {
		KT_EXPECT_EQ(kt, mt->n, (size_t)MAX_ORDER);
		for (size_t o = 0; o < mt->n; o++) {
			blocks += jv_at(mt, o)->u;
			*pages += jv_at(mt, o)->u << o;
		}
	}
	return blocks;
}

/* Run phys --json with @mem; check each zone's sums; the total of free blocks. */
static uint64_t check_zones(struct ktest *kt, const char *mem, const char *const *names,
			    size_t nzones, uint64_t ram_pages)
{
	struct sim_capture c;
	uint64_t spanned = 0, all_blocks = 0;

	SIM_RUN(&c, cmd_phys, "phys", "--json", "--mem", mem);
	KT_EXPECT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	if (!KT_EXPECT_NOT_NULL(kt, v))
		return 0;
	const struct jv *zones = jv_get(v, "zones");
	KT_EXPECT_EQ(kt, zones ? zones->n : 0, nzones);
	for (size_t i = 0; i < nzones && jv_at(zones, i); i++) {
		const struct jv *z = jv_at(zones, i);
		uint64_t pages, free = jv_uint(z, "free_pages");

		KT_EXPECT_STREQ(kt, jv_str(z, "zone"), names[i]);
		KT_EXPECT_EQ(kt,
			     free + jv_uint(z, "reserved_pages") + jv_uint(z, "allocated_pages") +
				 jv_uint(z, "hole_pages"),
			     jv_uint(z, "spanned_pages"));
		KT_EXPECT_EQ(kt, free + jv_uint(z, "allocated_pages"), jv_uint(z, "managed_pages"));
		all_blocks += zone_blocks(kt, z, &pages);
		KT_EXPECT_EQ(kt, pages, free);
		KT_EXPECT_GT(kt, free, jv_uint(z, "managed_pages") * 9 / 10);
		spanned += jv_uint(z, "spanned_pages");
	}
	KT_EXPECT_EQ(kt, spanned, ram_pages);
	jv_free(v);
	return all_blocks;
}

KTEST(sim_phys, zones_add_up)
{
	static const char *const dma[] = { "DMA" }, *const two[] = { "DMA", "Normal" };

	KT_EXPECT_GT(kt, check_zones(kt, "1G", dma, 1, 262144), 0u);
	/* Above 4 GiB of PA (RAM from 1 GiB up) starts ZONE_NORMAL. */
	KT_EXPECT_GT(kt, check_zones(kt, "4G", two, 2, 1048576), 0u);
}

/* The text form has the same figures as the JSON. */
KTEST(sim_phys, text_matches_json)
{
	struct sim_capture c;
	char line[256];

	SIM_RUN(&c, cmd_phys, "phys", "--json");
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	const struct jv *z = jv_at(jv_get(v, "zones"), 0);
	KT_ASSERT_NOT_NULL(kt, z);
	snprintf(line, sizeof(line),
		 "Node 0, zone DMA      pfn 0x40000-0x80000: 262144 present, %llu managed, %llu "
		 "free, %llu reserved, %llu allocated\n",
		 (unsigned long long)jv_uint(z, "managed_pages"),
		 (unsigned long long)jv_uint(z, "free_pages"),
		 (unsigned long long)jv_uint(z, "reserved_pages"),
		 (unsigned long long)jv_uint(z, "allocated_pages"));
	jv_free(v);
	SIM_RUN(&c, cmd_phys, "phys");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, strncmp(c.out, line, strlen(line)), 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "  free blocks Movable     "));
	sim_capture_free(&c);
}

/* --svg: well-formed, every free block drawn on its zone's bar in its migratetype's colour. */
KTEST(sim_phys, svg)
{
	static const char *const dma[] = { "DMA" };
	char dir[] = "/tmp/kmm-sim-phys-XXXXXX", path[64];
	struct sim_capture c;

	KT_ASSERT_NOT_NULL(kt, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/phys.svg", dir);
	SIM_RUN(&c, cmd_phys, "phys", "--svg", path, "--mem", "512M");
	KT_EXPECT_EQ(kt, c.rc, 0);
	sim_capture_free(&c);
	uint64_t blocks = check_zones(kt, "512M", dma, 1, 131072);
	char *svg = svg_read_file(path);
	if (KT_EXPECT_NOT_NULL(kt, svg)) {
		static const char *const fills[] = { "#e76f51", "#2a9d8f", "#e9c46a", "#9b5de5",
						     "#f15bb5" };
		size_t drawn = 0;
		char pat[64];

		KT_EXPECT_TRUE(kt, svg_well_formed(svg));
		for (size_t i = 0; i < 5; i++) {
			snprintf(pat, sizeof(pat), "height=\"40\" fill=\"%s\"", fills[i]);
			drawn += svg_count(svg, pat);
		}
		KT_EXPECT_EQ(kt, drawn, blocks);
		KT_EXPECT_NOT_NULL(kt, strstr(svg, "Node 0, zone DMA: PFN 0x40000-0x60000, 512M"));
	}
	free(svg);
	unlink(path);
	rmdir(dir);
}

KTEST(sim_phys, bad_input)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_phys, "phys", "--mem", "lots");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.err, "kmm-sim phys: --mem: 'lots' is not a number\n");
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_phys, "phys", "extra");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "unexpected argument 'extra'"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_phys, "phys", "--svg", "/nonexistent/dir/p.svg");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	sim_capture_free(&c);
}

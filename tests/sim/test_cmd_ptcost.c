// SPDX-License-Identifier: MIT
/* kmm-sim ptcost: table counts worked out by hand, the text table, bad input. */
#include "jsonread.h"
#include "simtest.h"

#include "arch/host/host.h"

#include <kmm/pgtable.h>

#include "../ktest/ktest.h"

#include <string.h>

/*
 * Seed 001's question: 0-4G at 4K granule, 48-bit VAs. In pages: the root, one L1, four L2s (one
 * a GiB) and 2048 L3s (one per 2M) = 2054 tables of 4K; in 2M blocks: 6; in 1G blocks: 2. With
 * 40-bit VAs the level-0 root has two entries, 16 bytes: 0-4G in 1G blocks is the root and one
 * L1, 16 + 4096 bytes. 64K/42 in pages: the level-2 root (8192 entries, 64K) and eight L3s (one
 * per 512M) = 9 tables of 64K.
 */
KTEST(sim_ptcost, exact_json)
{
	static const struct {
		const char *granule, *va_bits, *max, *json;
	} cases[] = {
		{ "4k", "48", "4k", "{\"table_pages\": 2054, \"bytes\": 8413184}\n" },
		{ "4k", "48", "2m", "{\"table_pages\": 6, \"bytes\": 24576}\n" },
		{ "4k", "48", "1g", "{\"table_pages\": 2, \"bytes\": 8192}\n" },
		{ "4K", "40", "1G", "{\"table_pages\": 2, \"bytes\": 4112}\n" },
		{ "64k", "42", "64k", "{\"table_pages\": 9, \"bytes\": 589824}\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_capture c;
		SIM_RUN(&c, cmd_ptcost, "ptcost", "--granule", cases[i].granule, "--va-bits",
			cases[i].va_bits, "--map", "0:4G", "--max-block", cases[i].max, "--json");
		KT_EXPECT_EQ(kt, c.rc, 0);
		KT_EXPECT_STREQ(kt, c.out, cases[i].json);
		KT_EXPECT_STREQ(kt, c.err, "");
		sim_capture_free(&c);
	}
}

/* The defaults are the 4K granule and 48-bit VAs; the attached machine is left as it was. */
KTEST(sim_ptcost, defaults)
{
	struct hw_machine *before = host_machine();
	struct sim_capture c;

	SIM_RUN(&c, cmd_ptcost, "ptcost", "--map", "0x0:0x100000000", "--max-block", "2M",
		"--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out, "{\"table_pages\": 6, \"bytes\": 24576}\n");
	KT_EXPECT_TRUE(kt, host_machine() == before);
	sim_capture_free(&c);
}

/*
 * Several ranges, given out of order, against pgtable_count_tables (which wants them sorted).
 * 4K/39 by hand: [0, 4K) and [8K, 12K) share the root, an L2 and an L3; [1G, 1G + 2M + 4K) adds
 * an L2 (a 2M block and one page) and an L3: 5 tables.
 */
KTEST(sim_ptcost, several_ranges)
{
	static const struct pgtable_range r[] = { { 0, 0, 4096 },
						  { 8192, 8192, 4096 },
						  { 1ULL << 30, 1ULL << 30, (2ULL << 20) + 4096 } };
	struct xlat_geometry g;
	struct sim_capture c;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 39), 0);
	KT_EXPECT_EQ(kt, pgtable_count_tables(&g, r, ARRAY_SIZE(r), 2ULL << 20), 5);
	SIM_RUN(&c, cmd_ptcost, "ptcost", "--va-bits", "39", "--map", "1G:0x201000", "--map",
		"8K:4K", "--map", "0:4K", "--max-block", "2m", "--json");
	struct jv *v = jv_parse(c.out);
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, jv_uint(v, "table_pages"), 5);
	KT_EXPECT_EQ(kt, jv_uint(v, "bytes"), 5 * 4096);
	jv_free(v);
	sim_capture_free(&c);
}

KTEST(sim_ptcost, text_table)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_ptcost, "ptcost", "--va-bits", "40", "--map", "0:4G", "--max-block", "2m");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out,
			"granule 4K, 40-bit VAs (4 levels from level 0), max block 2M\n"
			"map 0x0:4G\n"
			"\n"
			"level  tables        bytes\n"
			"    0       1           16\n"
			"    1       1         4096\n"
			"    2       4        16384\n"
			"    3       0            0\n"
			"total       6        20496\n");
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
}

KTEST(sim_ptcost, help)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_ptcost, "ptcost", "--help");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, strncmp(c.out, "usage: kmm-sim ptcost ", 22), 0);
	sim_capture_free(&c);
}

KTEST(sim_ptcost, bad_arguments)
{
	static const struct {
		const char *args[8];
		const char *msg;
	} cases[] = {
		{ { "--map", "0:4G", "--max-block", "4m" },
		  "--max-block: 4M is not the page size or a block size of the 4K granule with "
		  "48-bit VAs (valid: 4K, 2M, 1G)" },
		{ { "--granule", "16k", "--map", "0:4G", "--max-block", "2m" },
		  "(valid: 16K, 32M)" },
		{ { "--granule", "64k", "--map", "0:4G", "--max-block", "4k" },
		  "(valid: 64K, 512M)" },
		{ { "--va-bits", "30", "--map", "0:1G", "--max-block", "1g" }, "(valid: 4K, 2M)" },
		{ { "--map", "0x800:4K", "--max-block", "4k" },
		  "must be multiples of the 4K page" },
		{ { "--map", "0:6K", "--max-block", "4k" }, "must be multiples of the 4K page" },
		{ { "--granule", "16k", "--map", "4K:16K", "--max-block", "16k" },
		  "multiples of the 16K page" },
		{ { "--map", "0:0", "--max-block", "4k" }, "SIZE not 0" },
		{ { "--va-bits", "39", "--map", "0x7fffffe000:16K", "--max-block", "4k" },
		  "ends beyond the 39-bit VA space" },
		{ { "--map", "0:2M", "--map", "1M:4K", "--max-block", "4k" },
		  "--map ranges 0x0:0x200000 and 0x100000:0x1000 overlap" },
		{ { "--map", "0", "--max-block", "4k" }, "--map: '0' is not START:SIZE" },
		{ { "--map", "x:4K", "--max-block", "4k" }, "--map START: 'x' is not a number" },
		{ { "--map", "0:4Q", "--max-block", "4k" }, "--map SIZE: '4Q' is not a number" },
		{ { "--max-block", "4k" }, "--map is required" },
		{ { "--map", "0:4K" }, "--max-block is required" },
		{ { "--map", "0:4K", "--max-block", "big" }, "--max-block: 'big' is not a number" },
		{ { "--granule", "8k", "--map", "0:4K", "--max-block", "4k" },
		  "--granule: '8k' is not 4k, 16k or 64k" },
		{ { "--va-bits", "49", "--map", "0:4K", "--max-block", "4k" },
		  "--va-bits: 49 is out of range (25..48)" },
		{ { "--map", "0:4K", "--max-block", "4k", "extra" },
		  "unexpected argument 'extra'" },
		{ { "--map", "0:256T", "--max-block", "4k" },
		  "--map SIZE: '256T' is not a number" },
		{ { "--map", "0:0x1000000000000", "--max-block", "2m" },
		  "the maps need 262657 table pages, more than ptcost builds" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		struct sim_capture c;
		SIM_RUN(&c, cmd_ptcost, "ptcost", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, cases[i].msg)))
			ktest_log(kt, "got: %s", c.err);
		KT_EXPECT_EQ(kt, strncmp(c.err, "kmm-sim ptcost: ", 16), 0);
		sim_capture_free(&c);
	}
}

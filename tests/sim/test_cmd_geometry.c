// SPDX-License-Identifier: MIT
/* kmm-sim geometry: the JSON of known geometries, every size against xlat_geometry, bad input. */
#include "jsonread.h"
#include "simtest.h"

#include <aarch64/geometry.h>

#include "../ktest/ktest.h"

#include <string.h>

/* The JSON of four geometries, worked out by hand from ARM ARM D8.2 (stride = granule bits - 3,
 * start level 4 - (1 + (N - g - 1) / stride), the first table taking the bits left over). */
KTEST(sim_geometry, exact_json)
{
	static const struct {
		const char *granule, *va_bits, *json;
	} cases[] = {
		{ "4k", "39",
		  "{\"granule\": 4096, \"va_bits\": 39, \"levels\": 3, \"start_level\": 1, "
		  "\"level_shift\": {\"1\": 30, \"2\": 21, \"3\": 12}, "
		  "\"entries\": {\"1\": 512, \"2\": 512, \"3\": 512}, "
		  "\"block_sizes\": {\"1\": 1073741824, \"2\": 2097152}}\n" },
		{ "4k", "48",
		  "{\"granule\": 4096, \"va_bits\": 48, \"levels\": 4, \"start_level\": 0, "
		  "\"level_shift\": {\"0\": 39, \"1\": 30, \"2\": 21, \"3\": 12}, "
		  "\"entries\": {\"0\": 512, \"1\": 512, \"2\": 512, \"3\": 512}, "
		  "\"block_sizes\": {\"1\": 1073741824, \"2\": 2097152}}\n" },
		{ "16k", "36",
		  "{\"granule\": 16384, \"va_bits\": 36, \"levels\": 2, \"start_level\": 2, "
		  "\"level_shift\": {\"2\": 25, \"3\": 14}, \"entries\": {\"2\": 2048, \"3\": "
		  "2048}, "
		  "\"block_sizes\": {\"2\": 33554432}}\n" },
		{ "64K", "42",
		  "{\"granule\": 65536, \"va_bits\": 42, \"levels\": 2, \"start_level\": 2, "
		  "\"level_shift\": {\"2\": 29, \"3\": 16}, \"entries\": {\"2\": 8192, \"3\": "
		  "8192}, "
		  "\"block_sizes\": {\"2\": 536870912}}\n" },
		/* One level: a 64K granule's single table has no block level. */
		{ "64k", "25",
		  "{\"granule\": 65536, \"va_bits\": 25, \"levels\": 1, \"start_level\": 3, "
		  "\"level_shift\": {\"3\": 16}, \"entries\": {\"3\": 512}, \"block_sizes\": "
		  "{}}\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_capture c;
		SIM_RUN(&c, cmd_geometry, "geometry", "--json", "--granule", cases[i].granule,
			"--va-bits", cases[i].va_bits);
		KT_EXPECT_EQ(kt, c.rc, 0);
		KT_EXPECT_STREQ(kt, c.out, cases[i].json);
		KT_EXPECT_STREQ(kt, c.err, "");
		sim_capture_free(&c);
	}
}

/* Compare one level's members of the parsed output with the geometry struct. */
static void check_levels(struct ktest *kt, const struct jv *v, const struct xlat_geometry *g)
{
	const struct jv *shift = jv_get(v, "level_shift"), *entries = jv_get(v, "entries");
	const struct jv *blocks = jv_get(v, "block_sizes");
	unsigned int nblocks = 0;

	KT_EXPECT_EQ(kt, shift ? shift->n : 0, g->levels);
	KT_EXPECT_EQ(kt, entries ? entries->n : 0, g->levels);
	for (unsigned int l = 0; l < XLAT_LEVELS_MAX; l++) {
		char key[2] = { (char)('0' + l), 0 };
		bool walked = xlat_level_valid(g, l);
		KT_EXPECT_EQ(kt, jv_uint(shift, key), walked ? g->level_shift[l] : UINT64_MAX);
		KT_EXPECT_EQ(kt, jv_uint(entries, key), walked ? xlat_entries(g, l) : UINT64_MAX);
		bool block = walked && xlat_block_allowed(g, l);
		KT_EXPECT_EQ(kt, jv_uint(blocks, key), block ? xlat_entry_size(g, l) : UINT64_MAX);
		nblocks += block;
	}
	KT_EXPECT_EQ(kt, blocks ? blocks->n : 0, nblocks);
}

/* Every granule × VA size the architecture allows parses and agrees with xlat_geometry_init. */
KTEST(sim_geometry, every_size_agrees)
{
	static const char *const granules[] = { "4k", "16k", "64k" };

	for (size_t i = 0; i < ARRAY_SIZE(granules); i++) {
		for (unsigned int va = XLAT_VA_BITS_MIN; va <= XLAT_VA_BITS_MAX; va++) {
			struct xlat_geometry g;
			struct sim_capture c;
			char bits[8];
			snprintf(bits, sizeof(bits), "%u", va);
			KT_ASSERT_EQ(
			    kt, xlat_geometry_init(&g, xlat_granule_parse(granules[i]), va), 0);
			SIM_RUN(&c, cmd_geometry, "geometry", "--granule", granules[i], "--va-bits",
				bits, "--json");
			struct jv *v = jv_parse(c.out);
			KT_EXPECT_EQ(kt, c.rc, 0);
			if (KT_EXPECT_NOT_NULL(kt, v)) {
				KT_EXPECT_EQ(kt, v->n, 7u);
				KT_EXPECT_EQ(kt, jv_uint(v, "granule"), xlat_granule_size(&g));
				KT_EXPECT_EQ(kt, jv_uint(v, "va_bits"), va);
				KT_EXPECT_EQ(kt, jv_uint(v, "levels"), g.levels);
				KT_EXPECT_EQ(kt, jv_uint(v, "start_level"), g.start_level);
				check_levels(kt, v, &g);
			}
			jv_free(v);
			sim_capture_free(&c);
		}
	}
}

KTEST(sim_geometry, table)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_geometry, "geometry", "--granule", "16k", "--va-bits", "47");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out,
			"granule 16K, 47-bit VAs: 3 levels, the walk starts at level 1\n"
			"\n"
			"level  VA bits  shift  entries  entry size  block allowed\n"
			"    1  [46:36]     36     2048         64G  no\n"
			"    2  [35:25]     25     2048         32M  yes\n"
			"    3  [24:14]     14     2048         16K  no (pages)\n"
			"page offset [13:0]\n");
	sim_capture_free(&c);
}

KTEST(sim_geometry, bad_arguments)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "--granule", "8k", "--va-bits", "39" },
		  "--granule: '8k' is not 4k, 16k or 64k" },
		{ { "--granule", "4096", "--va-bits", "39" }, "--granule: '4096' is not" },
		{ { "--granule", "4k", "--va-bits", "24" },
		  "--va-bits: 24 is out of range (25..48)" },
		{ { "--granule", "4k", "--va-bits", "49" },
		  "--va-bits: 49 is out of range (25..48)" },
		{ { "--granule", "4k", "--va-bits", "39x" }, "--va-bits: '39x' is not a number" },
		{ { "--granule", "4k" }, "--va-bits is required" },
		{ { "--va-bits", "39", "--json" }, "--granule is required" },
		{ { "--granule", "4k", "--va-bits", "39", "48" }, "unexpected argument '48'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		struct sim_capture c;
		SIM_RUN(&c, cmd_geometry, "geometry", a[0], a[1], a[2], a[3], a[4], a[5]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, cases[i].msg)))
			ktest_log(kt, "got: %s", c.err);
		KT_EXPECT_EQ(kt, strncmp(c.err, "kmm-sim geometry: ", 18), 0);
		sim_capture_free(&c);
	}
}

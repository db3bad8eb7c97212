// SPDX-License-Identifier: MIT
/* kmm-sim run and kmm-sim boot: both boards boot and every check through the MMU holds. */
#include "jsonread.h"
#include "simtest.h"

#include "../ktest/ktest.h"

#include <string.h>

/* Every check in a boot report came out as expected. */
static void expect_checks_ok(struct ktest *kt, const struct jv *v)
{
	const struct jv *checks = jv_get(v, "checks");

	KT_ASSERT_NOT_NULL(kt, checks);
	KT_EXPECT_GE(kt, checks->n, 4u);
	for (size_t i = 0; i < checks->n; i++)
		if (!KT_EXPECT_TRUE(kt, jv_get(jv_at(checks, i), "ok")->b))
			ktest_log(kt, "check '%s'", jv_str(jv_at(checks, i), "what"));
}

KTEST(sim_run, boots_the_default_board)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_run, "run", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_STREQ(kt, jv_str(v, "board"), "virt");
	KT_EXPECT_EQ(kt, jv_uint(jv_get(v, "memory_line"), "total_k"), 1024u * 1024);
	KT_EXPECT_STREQ(kt, jv_str(jv_at(jv_get(v, "memory"), 0), "base"), "0x40000000");
	expect_checks_ok(kt, v);
	jv_free(v);

	SIM_RUN(&c, cmd_run, "run");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "MEMBLOCK configuration:"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "Virtual kernel memory layout:"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "Memory: "));
	KT_EXPECT_NULL(kt, strstr(c.out, "UNEXPECTED"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_run, "run", "--bogus");
	KT_EXPECT_EQ(kt, c.rc, 2);
	sim_capture_free(&c);
}

/* The default scenario runs after the boot: the JSON report's "scenario" member and the text's
 * closing views (meminfo, the VM counters, the maps of the live processes). */
KTEST(sim_run, default_scenario)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_run, "run", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	const struct jv *sc = jv_get(v, "scenario");
	KT_ASSERT_NOT_NULL(kt, sc);
	KT_EXPECT_TRUE(kt, jv_get(sc, "ok")->b);
	KT_EXPECT_GE(kt, jv_uint(sc, "expects"), 10u);
	const struct jv *vm = jv_get(sc, "vmstat");
	KT_EXPECT_GE(kt, jv_uint(vm, "pgfault"), 5u);
	KT_EXPECT_GE(kt, jv_uint(vm, "pgmajfault"), 1u);
	KT_EXPECT_GE(kt, jv_uint(vm, "cow_copy"), 1u);
	KT_EXPECT_GE(kt, jv_uint(vm, "tlb_hit"), 1u);
	KT_EXPECT_GE(kt, jv_uint(vm, "tlb_miss"), 1u);
	KT_EXPECT_GE(kt, jv_uint(vm, "page_walk"), 1u);
	KT_EXPECT_STREQ(kt, jv_str(jv_at(jv_get(sc, "killed"), 0), "code"), "maperr");
	const struct jv *procs = jv_get(sc, "processes");
	KT_EXPECT_EQ(kt, procs->n, 2u);
	KT_EXPECT_STREQ(kt, jv_str(jv_at(procs, 0), "name"), "shell");
	KT_EXPECT_STREQ(kt, jv_str(jv_at(jv_get(jv_at(procs, 0), "maps"), 0), "path"), "[heap]");
	KT_EXPECT_NOT_NULL(kt, strstr(jv_str(sc, "meminfo"), "MemFree:"));
	jv_free(v);

	SIM_RUN(&c, cmd_run, "run");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "== scenario examples/default.kmm"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "crasher killed: SIGSEGV (maperr)"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "MemTotal:"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "cow_copy "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "/proc/1/maps:"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "[stack]"));
	sim_capture_free(&c);
}

/* The raspi3b board: ChCore's map, 6 table pages (seed 001's 2M-block answer for 0-4G). */
KTEST(sim_boot, raspi3b_chcore_map)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_boot, "boot", "--board", "raspi3b", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_STREQ(kt, jv_str(v, "style"), "chcore");
	const struct jv *pt = jv_get(v, "page_tables");
	KT_EXPECT_EQ(kt, jv_uint(pt, "ttbr0") + jv_uint(pt, "ttbr1"), 6u);
	KT_EXPECT_STREQ(kt, jv_str(jv_at(jv_get(v, "memory"), 0), "size"), "0x3f000000");
	expect_checks_ok(kt, v);
	jv_free(v);
}

/* Every granule and several VA sizes boot the virt board with 4 GiB, checks all passing and
 * the early tables within Linux's budgets. */
KTEST(sim_boot, virt_every_granule)
{
	static const char *const cfgs[][2] = { { "4k", "48" },	{ "4k", "39" },	 { "16k", "47" },
					       { "16k", "36" }, { "64k", "42" }, { "64k", "48" } };

	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
		struct sim_capture c;

		SIM_RUN(&c, cmd_boot, "boot", "--granule", cfgs[i][0], "--va-bits", cfgs[i][1],
			"--mem", "4G", "--json");
		if (!KT_EXPECT_EQ(kt, c.rc, 0))
			ktest_log(kt, "%s/%s: %s", cfgs[i][0], cfgs[i][1], c.err);
		struct jv *v = jv_parse(c.out);
		sim_capture_free(&c);
		if (!KT_EXPECT_NOT_NULL(kt, v))
			continue;
		const struct jv *pt = jv_get(v, "page_tables");
		KT_EXPECT_LE(kt, jv_uint(pt, "early_kimage"), jv_uint(pt, "early_pages"));
		KT_EXPECT_LE(kt, jv_uint(pt, "early_idmap"), jv_uint(pt, "init_idmap_dir_pages"));
		KT_EXPECT_EQ(kt, jv_uint(jv_get(v, "memory_line"), "total_k"), 4u << 20);
		expect_checks_ok(kt, v);
		jv_free(v);
	}
}

KTEST(sim_boot, bad_input_exits_2)
{
	static const char *const cases[][3] = {
		{ "--board", "pc", "'pc' is not virt|raspi3b" },
		{ "--dtb", "/nonexistent.dtb", "cannot read" },
		{ "--dtb", "/proc/self/cmdline", "not a device-tree blob" },
		{ "--mem", "12345", "whole number of 4K pages" },
		{ "--granule", "8k", "is not 4k, 16k or 64k" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_capture c;

		SIM_RUN(&c, cmd_boot, "boot", cases[i][0], cases[i][1]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, cases[i][2])))
			ktest_log(kt, "case %zu: %s", i, c.err);
		sim_capture_free(&c);
	}
}

/* --show prints the page allocator's /proc views after boot, in Linux's formats. */
KTEST(sim_boot, show_views)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_boot, "boot", "--show", "buddyinfo,meminfo,zoneinfo,pagetypeinfo");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nNode 0, zone      DMA "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nMemTotal:        "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nMemFree:         "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\n        managed  "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nPage block order: 9\n"));
	sim_capture_free(&c);

	SIM_RUN(&c, cmd_boot, "boot", "--show", "meminfo", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, strncmp(jv_str(v, "show"), "MemTotal:", 9), 0);
	jv_free(v);

	SIM_RUN(&c, cmd_boot, "boot", "--show", "slabinfo,vmallocinfo");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nslabinfo - version: 2.1\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\nkmalloc-64 "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, " pages=2 vmalloc"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_boot, "boot", "--show", "lruinfo");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "'lruinfo' is not buddyinfo"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_boot, "boot", "--show", "meminfo", "--granule", "16k");
	KT_EXPECT_EQ(kt, c.rc, 2);
	sim_capture_free(&c);
}

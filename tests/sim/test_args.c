// SPDX-License-Identifier: MIT
/* kmm-sim's shared argument helpers: numbers and sizes. */
#include "sim.h"

#include "../ktest/ktest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

KTEST(sim_args, numbers)
{
	static const struct {
		const char *s;
		unsigned int flags;
		int rc;
		uint64_t v;
	} cases[] = {
		{ "0", 0, 0, 0 },
		{ "42", 0, 0, 42 },
		{ "007", 0, 0, 7 },
		{ "0x1F", 0, 0, 0x1f },
		{ "0XfF", 0, 0, 0xff },
		{ "0xffffff0000080000", 0, 0, 0xffffff0000080000ULL },
		{ "18446744073709551615", 0, 0, UINT64_MAX },
		{ "0xffffffffffffffff", 0, 0, UINT64_MAX },
		{ "18446744073709551616", 0, -ERANGE, 0 },
		{ "0x10000000000000000", 0, -ERANGE, 0 },
		{ "", 0, -EINVAL, 0 },
		{ "0x", 0, -EINVAL, 0 },
		{ "-1", 0, -EINVAL, 0 },
		{ "+1", 0, -EINVAL, 0 },
		{ " 1", 0, -EINVAL, 0 },
		{ "1 ", 0, -EINVAL, 0 },
		{ "12abc", 0, -EINVAL, 0 },
		{ "0x12g", 0, -EINVAL, 0 },
		{ "1.5", 0, -EINVAL, 0 },
		{ "4k", 0, -EINVAL, 0 },
		{ "4k", SIM_NUM_SUFFIX, 0, 4096 },
		{ "4K", SIM_NUM_SUFFIX, 0, 4096 },
		{ "2M", SIM_NUM_SUFFIX, 0, 2ULL << 20 },
		{ "1g", SIM_NUM_SUFFIX, 0, 1ULL << 30 },
		{ "0x10K", SIM_NUM_SUFFIX, 0, 0x4000 },
		{ "17179869183G", SIM_NUM_SUFFIX, 0, 17179869183ULL << 30 },
		{ "17179869184G", SIM_NUM_SUFFIX, -ERANGE, 0 },
		{ "4KB", SIM_NUM_SUFFIX, -EINVAL, 0 },
		{ "K", SIM_NUM_SUFFIX, -EINVAL, 0 },
		{ "4T", SIM_NUM_SUFFIX, -EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint64_t v = 12345;
		int rc = sim_parse_u64(cases[i].s, cases[i].flags, &v);
		if (!KT_EXPECT_EQ(kt, rc, cases[i].rc))
			ktest_log(kt, "'%s'", cases[i].s);
		KT_EXPECT_EQ(kt, v, cases[i].rc ? 12345 : cases[i].v);
	}
}

/* A bad number's message names the argument and repeats what was given. */
KTEST(sim_args, messages_name_the_argument)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);
	uint64_t v;
	unsigned int u;

	KT_EXPECT_FALSE(kt, sim_arg_u64(err, "walk", "--tcr", "0xzz", 0, &v));
	KT_EXPECT_FALSE(kt, sim_arg_u64(err, "walk", "--ttbr0", "99999999999999999999", 0, &v));
	KT_EXPECT_FALSE(kt, sim_arg_uint(err, "geometry", "--va-bits", "49", 25, 48, &u));
	KT_EXPECT_TRUE(kt, sim_arg_uint(err, "geometry", "--va-bits", "48", 25, 48, &u));
	KT_EXPECT_EQ(kt, u, 48u);
	fclose(err);
	KT_EXPECT_STREQ(kt, buf,
			"kmm-sim walk: --tcr: '0xzz' is not a number\n"
			"kmm-sim walk: --ttbr0: '99999999999999999999' is too large\n"
			"kmm-sim geometry: --va-bits: 49 is out of range (25..48)\n");
	free(buf);
}

KTEST(sim_args, sizes)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} cases[] = {
		{ 0, "0" },
		{ 1000, "1000" },
		{ 1536, "1536" },
		{ 4096, "4K" },
		{ 2ULL << 20, "2M" },
		{ 1ULL << 30, "1G" },
		{ 512ULL << 30, "512G" },
		{ 1ULL << 48, "256T" },
		{ 1ULL << 60, "1E" },
		{ 1ULL << 63, "8E" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[24];
		KT_EXPECT_STREQ(kt, sim_size_str(cases[i].bytes, buf), cases[i].text);
	}
}

// SPDX-License-Identifier: MIT
/* kmm-sim's dispatcher and the options every command shares (--help, bad options). */
#include "simtest.h"

#include "../ktest/ktest.h"

#include <string.h>

KTEST(sim_main, help_lists_every_command)
{
	struct sim_capture c;

	SIM_RUN(&c, sim_main, "kmm-sim", "--help");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	KT_EXPECT_EQ(kt, strncmp(c.out, "usage: kmm-sim COMMAND", 22), 0);
	for (size_t i = 0; i < sim_ncommands; i++) {
		char line[128];
		snprintf(line, sizeof(line), "  %-10s %s\n", sim_commands[i].name,
			 sim_commands[i].summary);
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.out, line)))
			ktest_log(kt, "missing: %s", sim_commands[i].name);
	}
	sim_capture_free(&c);
}

KTEST(sim_main, bad_usage_exits_2)
{
	static const char *const args[][2] = {
		{ "frobnicate", "unknown command 'frobnicate'" },
		{ "--frob", "unknown option '--frob'" },
		{ "Geometry", "unknown command 'Geometry'" },
	};
	struct sim_capture c;

	SIM_RUN(&c, sim_main, "kmm-sim");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "usage: kmm-sim"));
	sim_capture_free(&c);
	for (size_t i = 0; i < ARRAY_SIZE(args); i++) {
		SIM_RUN(&c, sim_main, "kmm-sim", args[i][0], "--help");
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		KT_EXPECT_NOT_NULL(kt, strstr(c.err, args[i][1]));
		sim_capture_free(&c);
	}
}

/* `kmm-sim CMD --help` prints the command's usage and nothing else, even among other options. */
KTEST(sim_main, every_command_has_help)
{
	for (size_t i = 0; i < sim_ncommands; i++) {
		const char *name = sim_commands[i].name;
		char head[64];
		struct sim_capture c;

		snprintf(head, sizeof(head), "usage: kmm-sim %s", name);
		SIM_RUN(&c, sim_main, "kmm-sim", name, "--json", "--help");
		KT_EXPECT_EQ(kt, c.rc, 0);
		KT_EXPECT_EQ(kt, strncmp(c.out, head, strlen(head)), 0);
		KT_EXPECT_NOT_NULL(kt, strstr(c.out, "--json"));
		KT_EXPECT_STREQ(kt, c.err, "");
		sim_capture_free(&c);
	}
}

/* Option errors from getopt_long come back as a message naming the option, and status 2. */
KTEST(sim_main, option_errors_name_the_option)
{
	static const struct {
		const char *args[4];
		const char *msg;
	} cases[] = {
		{ { "geometry", "--bogus" },
		  "kmm-sim geometry: unknown or ambiguous option '--bogus'" },
		{ { "walk", "-x" }, "kmm-sim walk: unknown option '-x'" },
		{ { "run", "--json=yes" }, "kmm-sim run: option '--json' takes no value" },
		{ { "geometry", "--va-bits" },
		  "kmm-sim geometry: option '--va-bits' needs a value" },
		{ { "walk", "--json", "--tcr" }, "kmm-sim walk: option '--tcr' needs a value" },
		{ { "run", "extra" }, "kmm-sim run: unexpected argument 'extra'" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		struct sim_capture c;

		SIM_RUN(&c, sim_main, "kmm-sim", a[0], a[1], a[2], a[3]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		if (!KT_EXPECT_EQ(kt, strncmp(c.err, cases[i].msg, strlen(cases[i].msg)), 0))
			ktest_log(kt, "got: %s", c.err);
		sim_capture_free(&c);
	}
}

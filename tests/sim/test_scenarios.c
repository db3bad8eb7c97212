// SPDX-License-Identifier: MIT
/*
 * Scenarios (platform/sim/scenario.c, docs/SCENARIOS.md): every .kmm file of examples/ passes
 * through `kmm-sim run --scenario`, the default scenario is examples/default.kmm, errors are found
 * before anything runs and named by FILE:LINE, failed expects and runtime errors exit 1.
 */
#include "scenario.h"
#include "simtest.h"

#include "../ktest/ktest.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The repository's examples/ directory: $KMM_SOURCE_DIR/examples, else the source tree the
 * build was configured from. */
static const char *examples_dir(void)
{
	static char path[4096];
	const char *src = getenv("KMM_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/examples", src ? src : KMM_SOURCE_DIR);
	return access(path, R_OK) ? NULL : path;
}

/* @text in a new temporary file; its name in @path (at least 32 bytes). */
static bool temp_scenario(struct ktest *kt, const char *text, char *path)
{
	strcpy(path, "/tmp/kmm-scenario-XXXXXX");
	int fd = mkstemp(path);

	if (!KT_EXPECT_GE(kt, fd, 0))
		return false;
	bool ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return KT_EXPECT_TRUE(kt, ok);
}

/* `kmm-sim run --scenario` of @text into @c. */
static bool run_text(struct ktest *kt, struct sim_capture *c, const char *text, char *path)
{
	if (!temp_scenario(kt, text, path))
		return false;
	SIM_RUN(c, cmd_run, "run", "--scenario", path);
	unlink(path);
	return true;
}

/* @err holds "PATH:LINE: " followed by @what. */
static void expect_error_at(struct ktest *kt, const char *err, const char *path, unsigned int line,
			    const char *what)
{
	char want[256];

	snprintf(want, sizeof(want), "%s:%u: %s", path, line, what);
	if (!KT_EXPECT_NOT_NULL(kt, strstr(err, want)))
		ktest_log(kt, "wanted '%s' in: %s", want, err);
}

KTEST(sim_scenarios, examples_pass)
{
	const char *dir = examples_dir();
	unsigned int n = 0;
	struct dirent *d;
	DIR *dp;

	if (!KT_EXPECT_NOT_NULL(kt, dir)) {
		ktest_log(kt, "no examples/ in %s", KMM_SOURCE_DIR);
		return;
	}
	dp = opendir(dir);
	KT_ASSERT_NOT_NULL(kt, dp);
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name);
		char path[4200];
		struct sim_capture c;

		if (len < 5 || strcmp(d->d_name + len - 4, ".kmm"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		SIM_RUN(&c, cmd_run, "run", "--scenario", path);
		bool ok = KT_EXPECT_EQ(kt, c.rc, 0);

		if (!KT_EXPECT_STREQ(kt, c.err, "") || !ok)
			ktest_log(kt, "%s: %s", path, c.err);
		KT_EXPECT_NOT_NULL(kt, strstr(c.out, "expects passed"));
		sim_capture_free(&c);
		n++;
	}
	closedir(dp);
	KT_EXPECT_GE(kt, n, 6u);
}

/* The scenario kmm-sim run embeds is examples/default.kmm, byte for byte. */
KTEST(sim_scenarios, default_is_the_example)
{
	const char *dir = examples_dir();
	char path[4200];

	if (!KT_EXPECT_NOT_NULL(kt, dir))
		return;
	snprintf(path, sizeof(path), "%s/default.kmm", dir);
	char *text = scenario_read_file(path, stderr);
	KT_ASSERT_NOT_NULL(kt, text);
	KT_EXPECT_STREQ(kt, text, sim_default_scenario());
	free(text);
}

/* Every error of the file is reported with its line, and nothing runs: no boot log. */
KTEST(sim_scenarios, parse_errors_name_file_and_line)
{
	struct sim_capture c;
	char path[32];

	KT_ASSERT_TRUE(kt, run_text(kt, &c,
				    "# comment line\n"
				    "spawn p\n"
				    "frobnicate p\n"
				    "mmap p a 4K rwz private,anon\n"
				    "write q 0x1000 bytes 1\n"
				    "expect a == 1   # a was never bound\n"
				    "mmap p b 4K rw private,bogus\n"
				    "read p 0x1000\n"
				    "write p 0x1000 bytes 0x100\n"
				    "exit p\n"
				    "malloc p x 10\n"
				    "show nothing\n"
				    "spawn p2\n"
				    "exec p2 /nonexistent/bin\n"
				    "spawn a_name_of_thirty_two_characters_\n",
				    path));
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	expect_error_at(kt, c.err, path, 3, "unknown command 'frobnicate'");
	expect_error_at(kt, c.err, path, 4, "'rwz' is not a protection");
	expect_error_at(kt, c.err, path, 5, "no process named 'q'");
	expect_error_at(kt, c.err, path, 6, "'a' is not a number");
	expect_error_at(kt, c.err, path, 7, "'bogus' in 'private,bogus' is not an mmap flag");
	expect_error_at(kt, c.err, path, 8, "wrong number of words: read P ADDR LEN [VAR]");
	expect_error_at(kt, c.err, path, 9, "'0x100' is not a byte");
	expect_error_at(kt, c.err, path, 11, "process 'p' has exited");
	expect_error_at(kt, c.err, path, 12, "'nothing' is not a view");
	expect_error_at(kt, c.err, path, 14, "cannot read '/nonexistent/bin'");
	expect_error_at(kt, c.err, path, 15, "'a_name_of_thirty_two_characters_' is not a process");
	KT_EXPECT_NULL(kt, strstr(c.err, ":1:"));
	KT_EXPECT_NULL(kt, strstr(c.err, ":2:"));
	KT_EXPECT_NULL(kt, strstr(c.err, ":10:"));
	sim_capture_free(&c);

	SIM_RUN(&c, cmd_run, "run", "--scenario", "/nonexistent/x.kmm");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "cannot open '/nonexistent/x.kmm'"));
	sim_capture_free(&c);
}

/* A failed expect stops the run with exit 1 and its line; what ran before is in the output. */
KTEST(sim_scenarios, failing_expects)
{
	static const char *const cases[][2] = {
		{ "spawn p\nmmap p a 4K rw private,anon\nwrite p a words 7\nexpect p a words 8\n",
		  "expect failed: byte at 0x" },
		{ "spawn p\nmmap p a 4K rw private,anon\n\nexpect p.rss == 1\n",
		  "expect failed: p.rss == 1" },
		{ "spawn p\nmmap p a 4K r private,anon\nwrite p a bytes 1\nexpect p alive\n",
		  "expect failed: p alive, but it is SIGSEGV accerr" },
		{ "spawn p\nread p 0x5000 1\nexpect p killed\nexpect p segv accerr\n",
		  "expect failed: p segv accerr, but it is SIGSEGV maperr" },
		{ "spawn p\nread p 0x5000 1\nexpect p segv\nmalloc p x 1\n",
		  "process 'p' was killed" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct sim_capture c;
		char path[32];

		if (!run_text(kt, &c, cases[i][0], path))
			return;
		KT_EXPECT_EQ(kt, c.rc, 1);
		expect_error_at(kt, c.err, path, 4, cases[i][1]);
		KT_EXPECT_NOT_NULL(kt, strstr(c.out, "spawn p"));
		sim_capture_free(&c);
	}
}

/* Variables, arithmetic and counters in expects; the pass/fail line count. */
KTEST(sim_scenarios, values_and_counters)
{
	struct sim_capture c;
	char path[32];

	KT_ASSERT_TRUE(kt, run_text(kt, &c,
				    "spawn p\n"
				    "set k 64K+8-0x8\n"
				    "expect k == 65536\n"
				    "expect -EINVAL == 0-22\n"
				    "mmap p a 8K rw private,anon\n"
				    "set f p.min_flt\n"
				    "write p a+4K bytes 1 2 3\n"
				    "expect p.min_flt == f+1\n"
				    "read p a+4K+1 2 v\n"
				    "expect v == 0x0302\n"
				    "expect vm.pgfault >= 1\n"
				    "show p/maps\n"
				    "show vmstat\n",
				    path));
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "v = 0x302"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "pgfault "));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "13 commands, 5 expects passed"));
	sim_capture_free(&c);
}

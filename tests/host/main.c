// SPDX-License-Identifier: MIT
/*
 * The hosted test runner: runs the ktest cases linked into it.
 *   kmm-test [--list] [--seed N] [PREFIX ...]
 * PREFIX selects cases by "suite.name" prefix. KTEST_SEED in the environment sets the seed of
 * the randomised cases too (default 1, so a run is reproducible). Exit status 1 if any failed.
 *
 * A case fails, too, when the emulated hardware's rule checker (hw/checker.h) reported violations
 * during it that the case did not claim (hw_checker_take); they are printed with the case.
 */
#include "../ktest/ktest.h"

#include <hw/checker.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The checker's reports during the current case: how many, and the first CASE_LOG of them. */
#define CASE_LOG 8
static char case_log[CASE_LOG][HW_CHECKER_MSG];
static unsigned long case_reports;

static void keep_report(const char *line)
{
	if (case_reports < CASE_LOG)
		snprintf(case_log[case_reports], sizeof(case_log[0]), "%s", line);
	case_reports++;
}

/* ktest_after_case: fail @kt if it left violations unclaimed, showing what was reported. */
static void check_rules(struct ktest *kt)
{
	unsigned long unclaimed = hw_checker_end_period();

	if (unclaimed) {
		kt->failures++;
		ktest_log(kt,
			  "%lu architecture-rule violations not claimed; %lu reported:", unclaimed,
			  case_reports);
		for (unsigned long i = 0; i < case_reports && i < CASE_LOG; i++)
			ktest_log(kt, "  %s", case_log[i]);
	}
	case_reports = 0;
}

int main(int argc, char **argv)
{
	const char *filters[256];
	int nfilters = 0;
	unsigned long long seed = 1;
	const char *env = getenv("KTEST_SEED");

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (env)
		seed = strtoull(env, NULL, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list")) {
			ktest_list();
			return 0;
		} else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			seed = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s [--list] [--seed N] [PREFIX ...]\n", argv[0]);
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "%s: unknown option '%s' (try --help)\n", argv[0], argv[i]);
			return 2;
		} else if (nfilters < (int)(sizeof(filters) / sizeof(filters[0]))) {
			filters[nfilters++] = argv[i];
		}
	}
	hw_checker_set_sink(keep_report);
	ktest_after_case = check_rules;
	struct ktest_summary s = ktest_run_all(filters, nfilters, seed);
	fflush(stdout);
	return s.failed ? 1 : 0;
}

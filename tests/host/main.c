// SPDX-License-Identifier: MIT
/*
 * The hosted test runner: runs the ktest cases linked into it.
 *   kmm-test [--list] [--seed N] [PREFIX ...]
 * PREFIX selects cases by "suite.name" prefix. KTEST_SEED in the environment sets the seed of
 * the randomised cases too (default 1, so a run is reproducible). Exit status 1 if any failed.
 */
#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct ktest_summary s = ktest_run_all(filters, nfilters, seed);
	fflush(stdout);
	return s.failed ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/* Running kmm-sim commands in-process for tests, with their output captured in memory. */
#ifndef TESTS_SIM_SIMTEST_H
#define TESTS_SIM_SIMTEST_H

#include "sim.h"

struct sim_capture {
	int rc;	   /* the command's exit status */
	char *out; /* what it wrote to its output and error streams, NUL-terminated */
	char *err;
};

/*
 * Run @fn with the NULL-terminated argument list @args (args[0] is the command's name) on
 * memory streams. The arguments are copied first: getopt_long reorders them.
 */
void sim_capture_run(struct sim_capture *c, sim_cmd_fn *fn, const char *const *args);
void sim_capture_free(struct sim_capture *c);

#define SIM_RUN(c, fn, ...) sim_capture_run((c), (fn), (const char *const[]){ __VA_ARGS__, NULL })

#endif /* TESTS_SIM_SIMTEST_H */

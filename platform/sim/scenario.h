/* SPDX-License-Identifier: MIT */
/*
 * Scenarios: text files of commands that drive processes of the booted kernel (docs/SCENARIOS.md
 * is the language's reference). A scenario is parsed and checked as a whole first (every
 * command's form, numbers, and the processes and variables it names), then run against the
 * kernel the board booted: processes made with task_create, do_fork, do_execve, their system
 * calls, their user malloc (user/umalloc.h) and their loads and stores on simulated CPUs.
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include "json.h"

#include <stdio.h>

struct scenario;

/*
 * Parse and check the scenario @text, named @file in messages. NULL after reporting every
 * error as "FILE:LINE: what is wrong" on @err (nothing is run; the CLI exits 2), or when out
 * of memory (reported too).
 */
struct scenario *scenario_parse(const char *file, const char *text, FILE *err);

/*
 * Run @s against the booted kernel (sim_boot done, ncpus CPUs), echoing each command and its
 * result on @out. 0; or 1 after "FILE:LINE: ..." on @err when an expect fails or a command
 * cannot be carried out (a process killed earlier is used, out of memory, a broken invariant
 * of the address spaces at the end).
 */
int scenario_run(struct scenario *s, unsigned int ncpus, FILE *out, FILE *err);

/* After a run: /proc/meminfo, the vmstat-style counters and each live process's maps, as
 * text, or as members of the JSON object being written ("meminfo", "vmstat", "processes",
 * "killed", "expects", "commands"). */
void scenario_summary(struct scenario *s, FILE *out);
void scenario_summary_json(struct scenario *s, struct json *j);

/* Exit every live process of @s and free it. */
void scenario_free(struct scenario *s);

/* kmm-sim run's default scenario (cmd_run.c; the text of examples/default.kmm). */
const char *sim_default_scenario(void);

/* Read the file @path whole into a NUL-terminated heap buffer; NULL (reported on @err). */
char *scenario_read_file(const char *path, FILE *err);

#endif /* SIM_SCENARIO_H */

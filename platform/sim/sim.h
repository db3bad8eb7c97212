/* SPDX-License-Identifier: MIT */
/*
 * kmm-sim: the simulator's command-line front end. Git-style subcommands, each a function of its
 * arguments and two streams, so that tests run them in-process on memory buffers:
 *
 *   int cmd_X(int argc, char **argv, FILE *out, FILE *err);
 *
 * argv[0] is the command's name; the return value is the exit status: 0 success, 1 a failure of
 * the simulation itself, 2 bad usage or bad input (with a message on @err naming what is wrong).
 * Every command takes --help (usage on @out, status 0) and --json.
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <kmm/boot.h>
#include <kmm/types.h>

#include <stdio.h>

struct option;

#define SIM_EXIT_OK 0
#define SIM_EXIT_FAIL 1
#define SIM_EXIT_USAGE 2

typedef int sim_cmd_fn(int argc, char **argv, FILE *out, FILE *err);

sim_cmd_fn cmd_geometry; /* translation geometry of a granule and VA size */
sim_cmd_fn cmd_layout;	 /* the kernel virtual memory layout of a granule and VA size */
sim_cmd_fn cmd_walk;	 /* translate VAs over RAM images */
sim_cmd_fn cmd_dt;	 /* the memory a device-tree blob describes */
sim_cmd_fn cmd_boot;	 /* boot a simulated board's memory management */
sim_cmd_fn cmd_run;	 /* the main job: boot the default board */
sim_cmd_fn cmd_ptcost;	 /* page-table memory of identity maps, built by the mapper */
sim_cmd_fn cmd_exec;	 /* exec a host ELF file in a new process, print its maps */
sim_cmd_fn cmd_replay;	 /* replay a memory trace through the TLB and MMU */
sim_cmd_fn cmd_pgtable;	 /* a page-table tree as Graphviz dot, SVG or JSON */
sim_cmd_fn cmd_phys;	 /* physical memory by zone, free order and migratetype */

struct sim_command {
	const char *name;
	const char *summary; /* one line, for `kmm-sim --help` */
	sim_cmd_fn *fn;
};

extern const struct sim_command sim_commands[];
extern const size_t sim_ncommands;

/* The whole program: `kmm-sim [--help] COMMAND ARGS...` dispatched to a command. */
int sim_main(int argc, char **argv, FILE *out, FILE *err);

/*
 * The section sizes of the image kmm-sim runs as (its own executable); phys is left 0 for the
 * board to place. 0, or -1 if the executable cannot be read.
 */
int sim_image_sizes(struct boot_image *img);

/* Numbers on the command line. */
#define SIM_NUM_SUFFIX 1u /* accept a K, M or G suffix (2^10, 2^20, 2^30; either case) */

/*
 * Parse @s as a whole: "0x" or "0X" and hex digits, or decimal digits, then (with
 * SIM_NUM_SUFFIX) an optional size suffix. 0, -EINVAL for anything else (empty, a sign, spaces,
 * trailing characters), or -ERANGE when the value does not fit in 64 bits.
 */
int sim_parse_u64(const char *s, unsigned int flags, uint64_t *out);

/*
 * sim_parse_u64, reporting a failure on @err as "kmm-sim CMD: WHAT: 'S' is not a number" (or
 * "is too large"). Returns true when @out was set.
 */
bool sim_arg_u64(FILE *err, const char *cmd, const char *what, const char *s, unsigned int flags,
		 uint64_t *out);

/* A granule name (4k, 16k, 64k) into bytes, reported like sim_arg_u64 when it is not one. */
bool sim_arg_granule(FILE *err, const char *cmd, const char *s, uint64_t *out);

/* A number in [min, max] (no suffix), reported like sim_arg_u64 when it is not. */
bool sim_arg_uint(FILE *err, const char *cmd, const char *what, const char *s, unsigned int min,
		  unsigned int max, unsigned int *out);

/*
 * Prepare getopt_long for a fresh parse of a command's arguments (it keeps global state between
 * calls): rescan from argv[1], no messages of its own. Commands pass an option string starting
 * with ':' and give their long options values >= 256, as sim_opt_error expects.
 */
void sim_getopt_reset(void);

/*
 * Report the error getopt_long returned (@c is '?' or ':') for command @cmd with options @opts,
 * on @err; returns SIM_EXIT_USAGE.
 */
int sim_opt_error(FILE *err, const char *cmd, int c, char **argv, const struct option *opts);

/* "kmm-sim CMD: " and a formatted message and a hint to --help, on @err; SIM_EXIT_USAGE. */
int sim_usage_error(FILE *err, const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A byte count as "4K", "2M", "1G", "512G", "256T" when a power-of-1024 unit divides it, else in
 * decimal. Returns @buf (at least 24 bytes). */
const char *sim_size_str(uint64_t bytes, char *buf);

#endif /* SIM_SIM_H */

// SPDX-License-Identifier: MIT
/* The command table and the dispatcher of kmm-sim; see sim.h. */
#include "sim.h"

#include <string.h>

const struct sim_command sim_commands[] = {
	{ "geometry", "translation geometry of a granule and VA size", cmd_geometry },
	{ "layout", "the arm64 kernel virtual memory layout (Linux 6.1 formulas)", cmd_layout },
	{ "walk", "translate VAs over RAM images with the emulated MMU", cmd_walk },
	{ "dt", "the memory a device-tree blob describes, as memblock holds it", cmd_dt },
	{ "ptcost", "page-table memory that identity maps take, built for real", cmd_ptcost },
	{ "boot", "boot a board: device tree, memblock, layout, boot page tables", cmd_boot },
	{ "run", "the main job: boot the default board and run a scenario", cmd_run },
	{ "exec", "exec a host ELF file in a new process and print its /proc/PID/maps", cmd_exec },
	{ "replay", "replay a valgrind lackey (or text) memory trace through the TLB and MMU",
	  cmd_replay },
	{ "pgtable", "a process's (or the kernel's) page-table tree as Graphviz, SVG or JSON",
	  cmd_pgtable },
	{ "phys", "physical memory by zone: free blocks by order and migratetype, as SVG or JSON",
	  cmd_phys },
};
const size_t sim_ncommands = ARRAY_SIZE(sim_commands);

static void usage(FILE *f)
{
	fputs("usage: kmm-sim COMMAND [OPTIONS] [ARGS]\n"
	      "       kmm-sim COMMAND --help\n"
	      "\n"
	      "The kmm simulator: kmm's memory management over emulated AArch64 hardware\n"
	      "(a software MMU walking real VMSAv8-64 descriptors, TLBs, CPUs).\n"
	      "\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < sim_ncommands; i++)
		fprintf(f, "  %-10s %s\n", sim_commands[i].name, sim_commands[i].summary);
	fputs("\n"
	      "Every command takes --help (its usage) and --json (machine-readable output).\n"
	      "Exit status: 0 success, 1 the simulation failed, 2 bad usage or input.\n",
	      f);
}

int sim_main(int argc, char **argv, FILE *out, FILE *err)
{
	if (argc < 2) {
		usage(err);
		return SIM_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "--help") || !strcmp(name, "-h")) {
		usage(out);
		return SIM_EXIT_OK;
	}
	for (size_t i = 0; i < sim_ncommands; i++)
		if (!strcmp(name, sim_commands[i].name))
			return sim_commands[i].fn(argc - 1, argv + 1, out, err);
	if (name[0] == '-')
		fprintf(err, "kmm-sim: unknown option '%s' (try 'kmm-sim --help')\n", name);
	else
		fprintf(err, "kmm-sim: unknown command '%s' (try 'kmm-sim --help')\n", name);
	return SIM_EXIT_USAGE;
}

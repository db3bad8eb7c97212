// SPDX-License-Identifier: MIT
/*
 * kmm-sim run: the main job. For now that is the boot of the default board (QEMU virt with
 * 1 GiB) as far as kmm boots: `kmm-sim boot` with its defaults. The allocators, address spaces
 * and the scenario of later issues join it here.
 */
#include "sim.h"

#include <getopt.h>

static const char usage[] = "usage: kmm-sim run [--json]\n"
			    "\n"
			    "The main job: boot the default board (QEMU virt, 1 GiB, 4K granule,\n"
			    "48-bit VA) as `kmm-sim boot` does, printing its boot log and the\n"
			    "translations checked once the MMU is on. kmm boots as far as memory\n"
			    "discovery, the kernel's layout and its boot page tables for now.\n"
			    "\n"
			    "  --json   the same as `kmm-sim boot --json`\n"
			    "  --help   print this text\n";

enum { OPT_JSON = 256, OPT_HELP };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

int cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
	char *args[] = { "boot", NULL, NULL };
	int n = 1, c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		}
		if (c != OPT_JSON)
			return sim_opt_error(err, "run", c, argv, options);
		args[1] = "--json";
		n = 2;
	}
	if (optind < argc)
		return sim_usage_error(err, "run", "unexpected argument '%s'", argv[optind]);
	return cmd_boot(n, args, out, err);
}

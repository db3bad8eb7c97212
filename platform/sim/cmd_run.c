// SPDX-License-Identifier: MIT
/*
 * kmm-sim run: the main job. Boot the default board (QEMU virt with 1 GiB) as `kmm-sim boot`
 * does, then boot it again for a scenario (docs/SCENARIOS.md) and run it: the default one
 * (examples/default.kmm, embedded below) or --scenario FILE. It ends with /proc/meminfo, the
 * vmstat-style counters and the maps of every live process.
 */
#include "board.h"
#include "json.h"
#include "scenario.h"
#include "sim.h"

#include "arch/host/host.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim run [--scenario FILE] [--json]\n"
    "\n"
    "The main job: boot the default board (QEMU virt, 1 GiB, 4K granule, 48-bit VA) as\n"
    "`kmm-sim boot` does, printing its boot log and the translations checked once the MMU is\n"
    "on; then run a scenario (docs/SCENARIOS.md) on the booted kernel with %u CPUs: by\n"
    "default examples/default.kmm (malloc through brk and mmap, a file mapping, fork and\n"
    "copy-on-write, exec of /bin/true, a process killed by a bad access), and print\n"
    "/proc/meminfo, the VM event counters and each live process's maps.\n"
    "\n"
    "  --scenario FILE  run this scenario instead (checked whole before anything runs)\n"
    "  --json           one JSON object: `kmm-sim boot --json`'s members and \"scenario\":\n"
    "                   {file, log, commands, expects, meminfo, vmstat, killed, processes}\n"
    "  --help           print this text\n"
    "\n"
    "Exit status: 0; 1 a boot check or an expect failed (FILE:LINE on stderr); 2 bad usage or\n"
    "a scenario with errors (each as FILE:LINE: what is wrong; nothing is run).\n";

/* examples/default.kmm (tests/sim/test_scenarios.c checks the two are the same). */
static const char default_scenario[] =
    "# kmm-sim run's default scenario: every layer of the VM at work.\n"
    "echo a process mallocs: small requests grow the heap with brk, large ones get an mmap\n"
    "spawn shell\n"
    "malloc shell small 100\n"
    "malloc shell big 1M\n"
    "write shell small fill 100 0x41\n"
    "write shell big+0x80000 words 0x1122334455667788\n"
    "expect shell small fill 100 0x41\n"
    "expect shell.anon >= 2\n"
    "echo a file mapped privately: its pages come from the page cache (major faults)\n"
    "mmap shell elf 8K r private file=/bin/true\n"
    "expect shell elf bytes 0x7f 0x45 0x4c 0x46\n"
    "expect vm.pgmajfault >= 1\n"
    "echo fork: the child shares every page copy-on-write\n"
    "fork shell child\n"
    "pa shell before small\n"
    "pa child shared small\n"
    "expect before == shared\n"
    "cpu 1                               # the child runs on the other CPU\n"
    "write child small bytes 0x42\n"
    "pa child copied small\n"
    "expect copied != before\n"
    "expect shell small bytes 0x41\n"
    "expect child small bytes 0x42\n"
    "expect child.cow_copies >= 1\n"
    "echo exec of a real ELF replaces the child's address space\n"
    "exec child /bin/true\n"
    "expect child.vm > 0\n"
    "echo a bad access kills one process, the others go on\n"
    "spawn crasher\n"
    "read crasher 0xdead0000 8\n"
    "expect crasher segv maperr\n"
    "malloc shell more 4000\n"
    "expect more != 0\n"
    "free shell big\n";

#define RUN_CPUS 2

enum { OPT_JSON = 256, OPT_SCENARIO, OPT_HELP };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

const char *sim_default_scenario(void)
{
	return default_scenario;
}

/* `kmm-sim boot [--json]` into @out (its JSON object left open when @json); its status. */
static int boot_report(bool json, FILE *out, FILE *err)
{
	char *args[] = { "boot", json ? "--json" : NULL, NULL };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!json)
		return cmd_boot(1, args, out, err);
	f = open_memstream(&text, &len);
	if (!f)
		return SIM_EXIT_FAIL;
	rc = cmd_boot(2, args, f, err);
	fclose(f);
	/* Its object ends in "}\n": leave it open for the scenario's member. */
	if (len >= 2 && text[len - 2] == '}')
		fwrite(text, 1, len - 2, out);
	else
		rc = SIM_EXIT_FAIL;
	free(text);
	return rc;
}

/* Boot the board again, quietly, and run @s on it; the summary or JSON member to @out. */
static int run_scenario(struct scenario *s, const char *file, bool json, FILE *out, FILE *err)
{
	struct sim_boot_opts o = {
		.board = "virt", .granule = 4096, .va_bits = 48, .ncpus = RUN_CPUS
	};
	struct sim_boot *sb = calloc(1, sizeof(*sb));
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&log, &loglen), *sout = out;
	int rc = SIM_EXIT_FAIL;

	if (!sb || !logf)
		goto out;
	rc = sim_boot(sb, &o, logf, err);
	fclose(logf);
	logf = NULL;
	if (rc) {
		fputs(log ? log : "", err);
		goto release;
	}
	free(log);
	log = NULL;
	if (json)
		sout = open_memstream(&log, &loglen);
	else
		fprintf(out, "\n== scenario %s\n", file);
	if (!sout) {
		rc = SIM_EXIT_FAIL;
		goto release;
	}
	rc = scenario_run(s, RUN_CPUS, sout, err);
	if (json) {
		struct json j = { .out = out, .depth = 1, .nonempty = 1 };

		fclose(sout);
		json_key(&j, "scenario");
		json_object_begin(&j);
		json_kv_string(&j, "file", file);
		json_kv_string(&j, "log", log ? log : "");
		json_kv_bool(&j, "ok", rc == SIM_EXIT_OK);
		scenario_summary_json(s, &j);
		json_object_end(&j);
		json_object_end(&j);
	} else if (rc == SIM_EXIT_OK) {
		scenario_summary(s, out);
	}
release:
	scenario_free(s);
	host_set_cpu(0); /* the next boot runs on CPU 0, as this one did */
	sim_boot_release(sb);
out:
	if (logf)
		fclose(logf);
	free(log);
	free(sb);
	return rc;
}

int cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
	const char *file = NULL, *name = "examples/default.kmm";
	struct scenario *s;
	char *text = NULL;
	bool json = false;
	int c, rc;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fprintf(out, usage, RUN_CPUS);
			return SIM_EXIT_OK;
		}
		if (c == OPT_SCENARIO)
			file = optarg;
		else if (c == OPT_JSON)
			json = true;
		else
			return sim_opt_error(err, "run", c, argv, options);
	}
	if (optind < argc)
		return sim_usage_error(err, "run", "unexpected argument '%s'", argv[optind]);
	if (file) {
		text = scenario_read_file(file, err);
		if (!text)
			return SIM_EXIT_USAGE;
		name = file;
	}
	s = scenario_parse(name, text ? text : default_scenario, err);
	free(text);
	if (!s)
		return SIM_EXIT_USAGE;
	rc = boot_report(json, out, err);
	if (rc) {
		scenario_free(s);
		return rc;
	}
	return run_scenario(s, name, json, out, err);
}

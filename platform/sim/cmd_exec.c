// SPDX-License-Identifier: MIT
/*
 * kmm-sim exec: boot the default board, exec a host ELF file in a new process and print the
 * process's /proc/PID/maps. Nothing runs: the layout is exec's alone (Linux's load_elf_binary
 * with randomization off), nothing faulted in but the pages exec itself writes.
 */
#include "board.h"
#include "hostfile.h"
#include "json.h"
#include "sim.h"

#include "arch/host/host.h"

#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/sched.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim exec [--env NAME=VALUE]... [--json] FILE [ARG...]\n"
    "\n"
    "Boot the default board (QEMU virt, 1 GiB, 4K pages, 48-bit VA), create a process and\n"
    "exec the host's ELF file FILE in it with arguments FILE ARG... (Linux 6.1's execve on\n"
    "arm64 with randomization off: PT_LOAD segments as private file mappings, the bss\n"
    "anonymous, the interpreter PT_INTERP names opened on the host and mapped below\n"
    "mmap_base, a PIE at 2/3 of the address space, the stack at its top with argv, envp and\n"
    "the auxiliary vector, brk after the image). ELF64 files for AArch64 or x86-64 only: the\n"
    "process runs no instructions, so the host's own programs serve. Then print the\n"
    "process's /proc/PID/maps.\n"
    "\n"
    "  --env NAME=VALUE  put this string in the environment (repeatable; default empty)\n"
    "  --json            the maps as [{\"start\": \"0x...\", \"end\": \"0x...\", \"perms\":\n"
    "                    \"r-xp\", \"offset\": \"0x...\", \"path\": \"...\" or null}, ...]\n"
    "  --help            print this text\n"
    "\n"
    "Exit status: 0, 1 if the simulation failed (out of memory), 2 bad usage, a file that\n"
    "cannot be opened or executed (not ELF, another machine: ENOEXEC) or a bad interpreter.\n";

enum { OPT_ENV = 256, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "env", required_argument, NULL, OPT_ENV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* do_execve's interpreter opener: the host file by path. */
static struct file *open_host(void *ctx, const char *path, int *err)
{
	(void)ctx;
	return sim_file_open(path, FMODE_READ | FMODE_EXEC, err);
}

static void print_json(FILE *out, struct mm_struct *mm)
{
	struct proc_maps_entry e;
	struct json j;

	json_init(&j, out);
	json_array_begin(&j);
	mmap_read_lock(mm);
	for (const struct vm_area_struct *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma)) {
		proc_maps_entry(vma, &e);
		json_object_begin(&j);
		json_kv_hex(&j, "start", e.start);
		json_kv_hex(&j, "end", e.end);
		json_kv_string(&j, "perms", e.perms);
		json_kv_hex(&j, "offset", e.offset);
		json_key(&j, "path");
		if (e.path)
			json_string(&j, e.path);
		else
			json_null(&j);
		json_object_end(&j);
	}
	mmap_read_unlock(mm);
	json_array_end(&j);
}

/* A failed open or exec of @what: out of memory is the simulation's failure, the rest input's. */
static int exec_error(FILE *err, const char *what, const char *path, int e)
{
	fprintf(err, "kmm-sim exec: %s '%s': %s%s\n", what, path, strerror(-e),
		e == -ENOEXEC ? " (not an ELF64 executable for AArch64 or x86-64)" : "");
	return e == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_USAGE;
}

/* Exec @argv[0] with @argv and @envp in a new process of the booted kernel; print its maps. */
static int exec_and_show(char **argv, char **envp, bool json, FILE *out, FILE *err)
{
	struct task_struct *t;
	struct file *f;
	int e, rc = SIM_EXIT_OK;

	f = sim_file_open(argv[0], FMODE_READ | FMODE_EXEC, &e);
	if (!f)
		return exec_error(err, "cannot open", argv[0], e);
	t = task_create("kmm-sim");
	if (!t) {
		fput(f);
		fputs("kmm-sim exec: out of memory creating the process\n", err);
		return SIM_EXIT_FAIL;
	}
	e = do_execve(t, f, (const char *const *)argv, (const char *const *)envp, open_host, NULL);
	fput(f);
	if (e) {
		rc = exec_error(err, "cannot execute", argv[0], e);
	} else if (json) {
		print_json(out, t->mm);
	} else {
		FILE *old = host_console_set(out);

		show_maps(t->mm);
		host_console_set(old);
	}
	do_exit(t);
	return rc;
}

int cmd_exec(int argc, char **argv, FILE *out, FILE *err)
{
	struct sim_boot_opts o = { .board = "virt", .granule = PAGE_SIZE, .va_bits = 48 };
	struct sim_boot sb;
	char **envp = calloc((size_t)argc, sizeof(*envp));
	size_t nenv = 0;
	bool json = false;
	int c, rc = SIM_EXIT_USAGE;
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf;

	if (!envp)
		return SIM_EXIT_FAIL;
	sim_getopt_reset();
	/* '+': options end at FILE; what follows is the program's. */
	while ((c = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			rc = SIM_EXIT_OK;
			goto out;
		} else if (c == OPT_JSON) {
			json = true;
		} else if (c == OPT_ENV && strchr(optarg, '=')) {
			envp[nenv++] = optarg;
		} else if (c == OPT_ENV) {
			rc = sim_usage_error(err, "exec", "--env: '%s' is not NAME=VALUE", optarg);
			goto out;
		} else {
			rc = sim_opt_error(err, "exec", c, argv, options);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = sim_usage_error(err, "exec", "no FILE to execute");
		goto out;
	}
	/* The boot log is not this command's output; it is shown when the boot fails. */
	logf = open_memstream(&log, &loglen);
	if (!logf) {
		rc = SIM_EXIT_FAIL;
		goto out;
	}
	rc = sim_boot(&sb, &o, logf, err);
	fclose(logf);
	if (rc == SIM_EXIT_OK)
		rc = exec_and_show(argv + optind, envp, json, out, err);
	else if (log)
		fputs(log, err);
	sim_boot_release(&sb);
	free(log);
out:
	free(envp);
	return rc;
}

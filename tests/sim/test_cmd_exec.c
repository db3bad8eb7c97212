// SPDX-License-Identifier: MIT
/*
 * kmm-sim exec: the maps of the host's /bin/true and /bin/ls exec'd in a simulated process,
 * segment for segment, permission for permission, offset for offset what readelf -lW says of
 * them and of their interpreter (placed as Linux places them with randomization off); the text
 * and --json forms saying the same; clear errors with status 2 for bad input.
 */
#include "jsonread.h"
#include "readelf.h"
#include "simtest.h"

#include "../ktest/ktest.h"

#include <kmm/elf.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOP (1ULL << 48)
#define MMAP_BASE (TOP - (128ULL << 20))
#define ET_DYN_BASE 0xaaaaaaaaa000ULL /* 2 * TASK_SIZE / 3, page aligned */

static const char *hex(uint64_t v, char *buf)
{
	snprintf(buf, 24, "0x%llx", (unsigned long long)v);
	return buf;
}

/* The JSON maps entries @a[*i...] are @n entries of @want; *@i moves past them. */
static void expect_entries(struct ktest *kt, const struct jv *a, size_t *i,
			   const struct proc_maps_entry *want, unsigned int n)
{
	char buf[24];

	for (unsigned int k = 0; k < n; k++, (*i)++) {
		const struct jv *e = jv_at(a, *i);

		if (!KT_EXPECT_NOT_NULL(kt, e))
			return;
		KT_EXPECT_EQ(kt, e->n, 5u);
		KT_EXPECT_STREQ(kt, jv_str(e, "start"), hex(want[k].start, buf));
		KT_EXPECT_STREQ(kt, jv_str(e, "end"), hex(want[k].end, buf));
		KT_EXPECT_STREQ(kt, jv_str(e, "perms"), want[k].perms);
		KT_EXPECT_STREQ(kt, jv_str(e, "offset"), hex(want[k].offset, buf));
		if (want[k].path)
			KT_EXPECT_STREQ(kt, jv_str(e, "path"), want[k].path);
		else
			KT_EXPECT_TRUE(kt, jv_is_null(e, "path"));
	}
}

/*
 * `kmm-sim exec --json PATH`: the program's PT_LOADs at ELF_ET_DYN_BASE, its interpreter's right
 * under mmap_base, the 132 KiB stack at the top; the text form has the same lines.
 */
static void exec_matches_readelf(struct ktest *kt, const char *path)
{
	struct proc_maps_entry want[2 * RELF_MAX_LOAD];
	char real[512], ireal[512], line[512];
	struct relf prog, interp;
	struct sim_capture c;
	size_t i = 0;

	if (!KT_EXPECT_TRUE(kt, relf_read(path, &prog)) ||
	    !KT_EXPECT_TRUE(kt, relf_read(prog.interp, &interp)) ||
	    !KT_EXPECT_NOT_NULL(kt, realpath(path, real)) ||
	    !KT_EXPECT_NOT_NULL(kt, realpath(prog.interp, ireal)))
		return;
	SIM_RUN(&c, cmd_exec, "exec", "--json", path);
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, v->type, JV_ARRAY);

	uint64_t bias = ET_DYN_BASE & ~(relf_max_align(&prog) - 1);
	expect_entries(kt, v, &i, want, relf_maps(&prog, bias, real, true, want, ARRAY_SIZE(want)));
	uint64_t base = MMAP_BASE - relf_total_size(&interp);
	expect_entries(kt, v, &i, want,
		       relf_maps(&interp, base, ireal, false, want, ARRAY_SIZE(want)));
	want[0] = (struct proc_maps_entry){ TOP - 0x21000, TOP, "rw-p", 0, "[stack]" };
	expect_entries(kt, v, &i, want, 1);
	KT_EXPECT_EQ(kt, v->n, i);

	/* The text: each JSON entry as a maps line, a name starting at column 73 (Linux pads the
	 * fields, 25 + 6 * sizeof(void *) - 1 characters, then puts a space). */
	SIM_RUN(&c, cmd_exec, "exec", path);
	KT_EXPECT_EQ(kt, c.rc, 0);
	char *p = c.out;
	for (i = 0; i < v->n && p; i++) {
		const struct jv *e = jv_at(v, i);
		int n = snprintf(line, sizeof(line), "%08llx-%08llx %s %08llx 00:00 0 ",
				 strtoull(jv_str(e, "start"), NULL, 16),
				 strtoull(jv_str(e, "end"), NULL, 16), jv_str(e, "perms"),
				 strtoull(jv_str(e, "offset"), NULL, 16));

		if (!jv_is_null(e, "path"))
			snprintf(line + n, sizeof(line) - (size_t)n, "%*s%s", 73 - n, "",
				 jv_str(e, "path"));
		strcat(line, "\n");
		KT_EXPECT_EQ(kt, strncmp(p, line, strlen(line)), 0);
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	KT_EXPECT_TRUE(kt, p && *p == '\0'); /* no more lines than entries */
	sim_capture_free(&c);
	jv_free(v);
}

KTEST(sim_exec, bin_true_and_ls_as_readelf_says)
{
	exec_matches_readelf(kt, "/bin/true");
	exec_matches_readelf(kt, "/bin/ls");
}

/* Arguments after FILE are the program's, options before it kmm-sim's; --env adds strings;
 * the command is in kmm-sim's list. */
KTEST(sim_exec, arguments_and_dispatch)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_exec, "exec", "--env", "HOME=/", "/bin/ls", "--json", "-l");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, c.out[0], 'a'); /* maps text, not JSON: --json went to ls */
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "[heap]\n"));
	sim_capture_free(&c);
	SIM_RUN(&c, sim_main, "kmm-sim", "exec", "--help");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, strncmp(c.out, "usage: kmm-sim exec ", 20), 0);
	sim_capture_free(&c);
	SIM_RUN(&c, sim_main, "kmm-sim", "--help");
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\n  exec "));
	sim_capture_free(&c);
}

/* A copy of /bin/true in a temporary file with byte @at set to @byte (-1: unchanged) and the
 * mode @mode, at @path (char[32]). */
static bool patched_true(char *path, long at, int byte, mode_t mode)
{
	static char buf[1 << 20];
	FILE *in = fopen("/bin/true", "rb"), *out;
	size_t n = in ? fread(buf, 1, sizeof(buf), in) : 0;
	int fd;

	if (in)
		fclose(in);
	strcpy(path, "/tmp/kmm-exec-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || !(out = fdopen(fd, "wb")))
		return false;
	if (byte >= 0 && at < (long)n)
		buf[at] = (char)byte;
	fwrite(buf, 1, n, out);
	fclose(out);
	return n > 0 && chmod(path, mode) == 0;
}

/* Status 2 and a message naming the file and the reason for what cannot be exec'd. */
static void expect_refused(struct ktest *kt, const char *path, const char *why)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_exec, "exec", path);
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, path));
	if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, why)))
		ktest_log(kt, "stderr: %s", c.err);
	sim_capture_free(&c);
}

KTEST(sim_exec, bad_input_exits_2)
{
	struct sim_capture c;
	char path[32];

	expect_refused(kt, "/nonexistent/prog", "No such file or directory");
	expect_refused(kt, "/etc/passwd", "Permission denied"); /* not executable */
	KT_ASSERT_TRUE(kt, patched_true(path, 18, 243, 0755));	/* e_machine: EM_RISCV */
	expect_refused(kt, path, "Exec format error");
	unlink(path);
	KT_ASSERT_TRUE(kt, patched_true(path, 0, '#', 0755)); /* no ELF magic */
	expect_refused(kt, path, "not an ELF64 executable");
	unlink(path);
	KT_ASSERT_TRUE(kt, patched_true(path, -1, -1, 0755)); /* the copy itself runs */
	SIM_RUN(&c, cmd_exec, "exec", path);
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, path));
	sim_capture_free(&c);
	unlink(path);

	SIM_RUN(&c, cmd_exec, "exec");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "no FILE"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_exec, "exec", "--env", "NOEQUALS", "/bin/true");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "NOEQUALS"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_exec, "exec", "--bogus", "/bin/true");
	KT_EXPECT_EQ(kt, c.rc, 2);
	sim_capture_free(&c);
}

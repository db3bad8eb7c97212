// SPDX-License-Identifier: MIT
/*
 * kmm-sim replay: small lackey and text traces with known counts (accesses spanning pages,
 * modifies, ignored lines), bad lines named by FILE:LINE with status 2 and nothing replayed, the
 * --json keys in their order, and a real valgrind lackey trace of /bin/true against distinct
 * pages counted here from the trace text.
 */
#include "jsonread.h"
#include "simtest.h"

#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct counts {
	uint64_t accesses, pages, faults, tlb_hits, tlb_misses, walks;
};

/* A temporary file holding @text; its path in @path (at least 64 bytes). False on failure. */
static bool write_trace(char *path, const char *text)
{
	int fd;
	FILE *f;

	strcpy(path, "/tmp/kmm-replay-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		return false;
	}
	fputs(text, f);
	return fclose(f) == 0;
}

/* `kmm-sim replay --json --trace PATH [--format FMT]` into @c; 0 when it succeeded. */
static int replay_json(struct ktest *kt, const char *path, const char *fmt, struct counts *c)
{
	struct sim_capture cap;
	struct jv *v;
	int rc;

	if (fmt)
		SIM_RUN(&cap, cmd_replay, "replay", "--json", "--trace", path, "--format", fmt);
	else
		SIM_RUN(&cap, cmd_replay, "replay", "--json", "--trace", path);
	rc = cap.rc;
	if (rc)
		ktest_log(kt, "replay: %s", cap.err);
	v = rc ? NULL : jv_parse(cap.out);
	sim_capture_free(&cap);
	if (!v)
		return rc ? rc : -1;
	*c = (struct counts){ jv_uint(v, "accesses"),	jv_uint(v, "pages"),
			      jv_uint(v, "faults"),	jv_uint(v, "tlb_hits"),
			      jv_uint(v, "tlb_misses"), jv_uint(v, "walks") };
	jv_free(v);
	return 0;
}

/* Replay @text (written to a file) as format @fmt (NULL: detected) into @c. */
static int replay_text(struct ktest *kt, const char *text, const char *fmt, struct counts *c)
{
	char path[64];
	int rc;

	if (!KT_EXPECT_TRUE(kt, write_trace(path, text)))
		return -1;
	rc = replay_json(kt, path, fmt, c);
	unlink(path);
	return rc;
}

KTEST(sim_replay, text_trace_counts)
{
	struct counts c;

	/* Two pages of one chunk, one of another (an exec), each faulted once. */
	KT_ASSERT_EQ(kt,
		     replay_text(kt,
				 "# a comment\n"
				 "R 0x10000\n"
				 "\n"
				 "W 0x10008,8\n"
				 "R 0x11ff8,8\n"
				 "X 0x20000,4\n",
				 NULL, &c),
		     0);
	KT_EXPECT_EQ(kt, c.accesses, 4u);
	KT_EXPECT_EQ(kt, c.pages, 3u);
	KT_EXPECT_EQ(kt, c.faults, 3u);
	/* Every lookup is one of the two; every miss is walked. */
	KT_EXPECT_EQ(kt, c.tlb_misses, c.walks);
	KT_EXPECT_GE(kt, c.tlb_hits, 1u); /* the write after the read of 0x10000 */
}

KTEST(sim_replay, tlb_counts_of_one_page)
{
	struct counts c;

	/*
	 * 0x10000 read: a miss and walk that faults (no VMA: the chunk is mapped), a miss and walk
	 * that faults (no PTE: the page is allocated), a miss and walk that translates; then three
	 * hits.
	 */
	KT_ASSERT_EQ(
	    kt, replay_text(kt, "R 0x10000\nR 0x10010\nW 0x10020,8\nR 0x10ff8,8\n", "text", &c), 0);
	KT_EXPECT_EQ(kt, c.accesses, 4u);
	KT_EXPECT_EQ(kt, c.pages, 1u);
	KT_EXPECT_EQ(kt, c.faults, 1u);
	KT_EXPECT_EQ(kt, c.tlb_misses, 3u);
	KT_EXPECT_EQ(kt, c.walks, 3u);
	KT_EXPECT_EQ(kt, c.tlb_hits, 3u);
}

KTEST(sim_replay, spanning_accesses_touch_both_pages)
{
	struct counts c;

	KT_ASSERT_EQ(kt, replay_text(kt, "W 0x10ffe,4\n", NULL, &c), 0);
	KT_EXPECT_EQ(kt, c.accesses, 1u);
	KT_EXPECT_EQ(kt, c.pages, 2u);
	KT_EXPECT_EQ(kt, c.faults, 2u);
	/* Across a chunk boundary: both chunks are mapped. */
	KT_ASSERT_EQ(kt, replay_text(kt, "R 0x1fff8,16\nR 0x1fffc,4\n", NULL, &c), 0);
	KT_EXPECT_EQ(kt, c.accesses, 2u);
	KT_EXPECT_EQ(kt, c.pages, 2u);
	KT_EXPECT_EQ(kt, c.faults, 2u);
}

KTEST(sim_replay, lackey_trace_counts)
{
	struct counts c;

	KT_ASSERT_EQ(kt,
		     replay_text(kt,
				 "==4242== Lackey, an example Valgrind tool\n"
				 "==4242== Command: /bin/true\n"
				 "I  0401ab70,3\n"
				 "I  0401ab73,5\n"
				 " S 1fff000708,8\n"
				 " L 1fff000700,8\n"
				 " M 1fff000ffc,8\n" /* two pages */
				 " M 0402000,4\n"
				 "I  0401ab78,2\n"
				 "==4242== \n",
				 NULL, &c),
		     0);
	KT_EXPECT_EQ(kt, c.accesses, 7u);
	KT_EXPECT_EQ(kt, c.pages, 4u);
	KT_EXPECT_EQ(kt, c.faults, 4u);
	KT_EXPECT_EQ(kt, c.tlb_misses, c.walks);
	/* The same trace forced to the text format fails at its first access line. */
	KT_EXPECT_EQ(kt, replay_text(kt, "==1== x\nI  0401ab70,3\n", "text", &c), 2);
}

/* Replaying @text fails with status 2, nothing on stdout, and an error containing @where. */
static void expect_bad(struct ktest *kt, const char *text, const char *fmt, const char *where)
{
	struct sim_capture cap;
	char path[64], want[128];

	if (!KT_EXPECT_TRUE(kt, write_trace(path, text)))
		return;
	snprintf(want, sizeof(want), "%s:%s", path, where);
	SIM_RUN(&cap, cmd_replay, "replay", "--trace", path, "--format", fmt);
	unlink(path);
	KT_EXPECT_EQ(kt, cap.rc, 2);
	KT_EXPECT_STREQ(kt, cap.out, "");
	if (!KT_EXPECT_NOT_NULL(kt, strstr(cap.err, want)))
		ktest_log(kt, "wanted '%s' in: %s", want, cap.err);
	sim_capture_free(&cap);
}

KTEST(sim_replay, bad_lines_name_file_and_line)
{
	expect_bad(kt, "R 0x10000\n# ok\nR 0xZZ\n", "auto", "3: expected a hexadecimal address");
	expect_bad(kt, "R 0x10000\nQ 0x10000\n", "text", "2: not an access");
	expect_bad(kt, "W 0x10000,0\n", "text", "1: expected a size");
	expect_bad(kt, "W 0x10000,8 junk\n", "text", "1: unexpected characters");
	expect_bad(kt, "R 0x100\n", "text", "1: access outside the user address space");
	expect_bad(kt, "R 0xfffffffffff8,16\n", "text", "1: access outside");
	expect_bad(kt, "R 0x12345678901234567\n", "text", "1: expected a hexadecimal");
	expect_bad(kt, "I  0401ab70,3\nI  0401ab73\n", "lackey", "2: expected ',SIZE'");
	expect_bad(kt, "==1== hi\nI  0401ab70,3\nhello\n", "auto", "3: not a lackey line");
	expect_bad(kt, "I  0401ab70,99999999999\n", "lackey", "1: expected a size");
}

KTEST(sim_replay, usage_and_json_keys)
{
	static const char *const keys[] = { "accesses", "pages",      "faults",
					    "tlb_hits", "tlb_misses", "walks" };
	struct sim_capture cap;
	char path[64];

	SIM_RUN(&cap, cmd_replay, "replay", "--help");
	KT_EXPECT_EQ(kt, cap.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(cap.out, "usage: kmm-sim replay"));
	sim_capture_free(&cap);
	SIM_RUN(&cap, cmd_replay, "replay");
	KT_EXPECT_EQ(kt, cap.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(cap.err, "no --trace FILE"));
	sim_capture_free(&cap);
	SIM_RUN(&cap, cmd_replay, "replay", "--trace", "/nonexistent/trace");
	KT_EXPECT_EQ(kt, cap.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(cap.err, "cannot open '/nonexistent/trace'"));
	sim_capture_free(&cap);
	SIM_RUN(&cap, cmd_replay, "replay", "--trace", "x", "--format", "pin");
	KT_EXPECT_EQ(kt, cap.rc, 2);
	sim_capture_free(&cap);

	KT_ASSERT_TRUE(kt, write_trace(path, "R 0x10000\n"));
	SIM_RUN(&cap, cmd_replay, "replay", "--json", "--trace", path);
	KT_EXPECT_EQ(kt, cap.rc, 0);
	struct jv *v = jv_parse(cap.out);
	sim_capture_free(&cap);
	if (KT_EXPECT_NOT_NULL(kt, v)) {
		const struct jv *m = v->kids;

		for (size_t i = 0; i < 6; i++, m = m ? m->next : NULL)
			if (KT_EXPECT_NOT_NULL(kt, m))
				KT_EXPECT_STREQ(kt, m->key, keys[i]);
		jv_free(v);
	}
	SIM_RUN(&cap, cmd_replay, "replay", "--trace", path);
	KT_EXPECT_EQ(kt, cap.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(cap.out, "pages       1 "));
	sim_capture_free(&cap);
	unlink(path);
}

/* A page-number set for the independent count: sorted, then counted. */
static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Distinct 4 KiB pages and access lines of the lackey trace at @path, counted with sscanf and a
 * sorted array (nothing shared with the command's parser): 0, or -1 if it cannot be read.
 */
static int count_pages(const char *path, uint64_t *pages, uint64_t *accesses)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0;
	uint64_t *v = NULL;
	char line[256];

	if (!f)
		return -1;
	*accesses = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long a;
		unsigned int size;
		char k;

		if (sscanf(line, " %c %llx,%u", &k, &a, &size) != 3 || !strchr("ILSM", k))
			continue;
		++*accesses;
		for (uint64_t p = a >> 12; p <= (a + size - 1) >> 12; p++) {
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				v = realloc(v, cap * sizeof(*v));
				if (!v)
					abort();
			}
			v[n++] = p;
		}
	}
	fclose(f);
	qsort(v, n, sizeof(*v), cmp_u64);
	*pages = 0;
	for (size_t i = 0; i < n; i++)
		*pages += !i || v[i] != v[i - 1];
	free(v);
	return 0;
}

KTEST(sim_replay, valgrind_lackey_trace_of_true)
{
	char path[64], cmd[256];
	uint64_t pages = 0, accesses = 0;
	struct counts c;

	if (system("valgrind --version >/dev/null 2>&1") != 0) {
		ktest_skip(kt, "valgrind is not installed");
		return;
	}
	KT_ASSERT_TRUE(kt, write_trace(path, ""));
	snprintf(cmd, sizeof(cmd),
		 "valgrind --tool=lackey --trace-mem=yes --log-file=%s /bin/true >/dev/null 2>&1",
		 path);
	if (!KT_EXPECT_EQ(kt, system(cmd), 0) ||
	    !KT_EXPECT_EQ(kt, count_pages(path, &pages, &accesses), 0)) {
		unlink(path);
		return;
	}
	KT_EXPECT_GT(kt, pages, 20u);
	if (KT_EXPECT_EQ(kt, replay_json(kt, path, "lackey", &c), 0)) {
		KT_EXPECT_EQ(kt, c.accesses, accesses);
		KT_EXPECT_EQ(kt, c.pages, pages);
		KT_EXPECT_EQ(kt, c.faults, pages);
		KT_EXPECT_EQ(kt, c.tlb_misses, c.walks);
		KT_EXPECT_GT(kt, c.tlb_hits, 10 * c.tlb_misses);
	}
	unlink(path);
}

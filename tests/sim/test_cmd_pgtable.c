// SPDX-License-Identifier: MIT
/*
 * kmm-sim pgtable: the Graphviz graph of a process's and of the kernel's page tables counted
 * against the mapper's own statistics (tables per level) and leaf walk (pgtable_walk_leaves),
 * the JSON tree saying the same, a well-formed SVG with a box per node, bad input.
 */
#include "jsonread.h"
#include "simtest.h"
#include "svgcheck.h"

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a dot graph of kmm-sim pgtable holds. */
struct dot_stats {
	unsigned long tables, level_tables[4], ranges, block_ranges, edges, leaves;
	bool well_formed; /* "digraph pgtable {" ... "}", every line a statement */
};

static void dot_line(struct dot_stats *st, const char *line)
{
	const char *label = strstr(line, "label=\"");
	unsigned int n, level;
	unsigned long long entries;

	if (strstr(line, " -> ")) {
		st->edges++;
	} else if (sscanf(line, "\tt%u [shape=box", &n) == 1 && label &&
		   sscanf(label, "label=\"L%u table", &level) == 1 && level < 4) {
		st->tables++;
		st->level_tables[level]++;
	} else if (sscanf(line, "\tr%u [shape=", &n) == 1 && label &&
		   sscanf(label, "label=\"%llu ", &entries) == 1) {
		st->ranges++;
		st->block_ranges += strstr(line, "shape=octagon") != NULL;
		st->leaves += entries;
	} else if (line[0] != '\t') {
		st->well_formed = false;
	}
}

static void dot_parse(const char *dot, struct dot_stats *st)
{
	const char *head = "digraph pgtable {\n";
	char *copy = strdup(dot), *save = NULL;
	size_t len = strlen(dot);

	memset(st, 0, sizeof(*st));
	st->well_formed =
	    !strncmp(dot, head, strlen(head)) && len > 2 && !strcmp(dot + len - 2, "}\n");
	if (!copy || !st->well_formed) {
		st->well_formed = false;
		free(copy);
		return;
	}
	copy[len - 2] = '\0';
	for (char *l = strtok_r(copy + strlen(head), "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save))
		dot_line(st, l);
	free(copy);
}

/* The dot graph and the JSON of the same command line (@extra: NULL or one more argument)
 * agree with each other and with the mapper's figures the JSON reports. */
static void dot_matches_json(struct ktest *kt, const char *extra, struct dot_stats *st)
{
	struct sim_capture c;

	if (extra)
		SIM_RUN(&c, cmd_pgtable, "pgtable", "--dot", extra);
	else
		SIM_RUN(&c, cmd_pgtable, "pgtable", "--dot");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	dot_parse(c.out, st);
	sim_capture_free(&c);
	KT_EXPECT_TRUE(kt, st->well_formed);

	if (extra)
		SIM_RUN(&c, cmd_pgtable, "pgtable", "--json", extra);
	else
		SIM_RUN(&c, cmd_pgtable, "pgtable", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	if (!KT_EXPECT_NOT_NULL(kt, v))
		return;
	const struct jv *lt = jv_get(v, "level_tables");
	KT_EXPECT_EQ(kt, st->tables, jv_uint(v, "table_pages"));
	for (unsigned int l = 0; l < 4; l++)
		if (KT_EXPECT_NOT_NULL(kt, jv_at(lt, l)))
			KT_EXPECT_EQ(kt, st->level_tables[l], jv_at(lt, l)->u);
	KT_EXPECT_EQ(kt, st->leaves, jv_uint(v, "leaves"));
	/* A tree: every table but the root has one edge in, every range one. */
	KT_EXPECT_EQ(kt, st->edges, st->tables - 1 + st->ranges);
	const struct jv *root = jv_get(v, "root");
	KT_EXPECT_EQ(kt, jv_uint(root, "level"), 0u);
	KT_EXPECT_EQ(kt, jv_uint(root, "valid"), jv_get(root, "tables")->n);
	jv_free(v);
}

/* /bin/true after exec and its first faults: two halves of the address space in use (the
 * program's PIE low, the stack and the interpreter's data page at the top), pages only. */
KTEST(sim_pgtable, process_dot_counts)
{
	struct dot_stats st;

	dot_matches_json(kt, NULL, &st);
	KT_EXPECT_GE(kt, st.tables, 4u);
	KT_EXPECT_EQ(kt, st.level_tables[0], 1u);
	KT_EXPECT_GE(kt, st.level_tables[3], 2u);
	KT_EXPECT_GE(kt, st.leaves, 2u); /* the code page and the stack page at least */
	KT_EXPECT_EQ(kt, st.block_ranges, 0u);
}

/* The kernel's swapper_pg_dir: the linear map's 1 GiB block, the image in pages. */
KTEST(sim_pgtable, kernel_dot_counts)
{
	struct dot_stats st;
	struct sim_capture c;

	dot_matches_json(kt, "--kernel", &st);
	KT_EXPECT_GE(kt, st.block_ranges, 1u);
	KT_EXPECT_GT(kt, st.ranges, st.block_ranges);
	SIM_RUN(&c, cmd_pgtable, "pgtable", "--kernel");
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "label=\"1 block of 1G\\nVA 0xffff000000000000-"
					     "0xffff00003fffffff\\nPA 0x40000000 rw-\""));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "kernel swapper_pg_dir page tables (TTBR1)"));
	sim_capture_free(&c);
}

/* The JSON tree of the process: the faulted code page is user-executable, and the ranges of all
 * levels add up to the leaves. */
static uint64_t json_leaves(const struct jv *t, bool *code)
{
	uint64_t n = 0;
	const struct jv *ranges = jv_get(t, "ranges"), *tables = jv_get(t, "tables");

	for (size_t i = 0; i < ranges->n; i++) {
		n += jv_uint(jv_at(ranges, i), "entries");
		*code |= !strcmp(jv_str(jv_at(ranges, i), "perms"), "r-x");
	}
	for (size_t i = 0; i < tables->n; i++)
		n += json_leaves(jv_at(tables, i), code);
	return n;
}

KTEST(sim_pgtable, process_json_tree)
{
	struct sim_capture c;
	bool code = false;

	SIM_RUN(&c, cmd_pgtable, "pgtable", "--json", "/bin/true", "--version");
	KT_ASSERT_EQ(kt, c.rc, 0);
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, jv_uint(v, "ttbr"), 0u);
	KT_EXPECT_EQ(kt, jv_uint(v, "granule"), 4096u);
	KT_EXPECT_EQ(kt, json_leaves(jv_get(v, "root"), &code), jv_uint(v, "leaves"));
	KT_EXPECT_TRUE(kt, code);
	jv_free(v);
}

/* --svg: a well-formed picture with one box per table and range and one line per edge. */
KTEST(sim_pgtable, svg)
{
	char dir[] = "/tmp/kmm-sim-pgtable-XXXXXX", path[64];
	struct sim_capture c;
	struct dot_stats st;

	KT_ASSERT_NOT_NULL(kt, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/pt.svg", dir);
	SIM_RUN(&c, cmd_pgtable, "pgtable", "--kernel", "--svg", path);
	KT_EXPECT_EQ(kt, c.rc, 0);
	dot_parse(c.out, &st);
	sim_capture_free(&c);
	char *svg = svg_read_file(path);
	if (KT_EXPECT_NOT_NULL(kt, svg)) {
		KT_EXPECT_TRUE(kt, svg_well_formed(svg));
		KT_EXPECT_EQ(kt, svg_count(svg, "<rect"), 1 + st.tables + st.ranges);
		KT_EXPECT_EQ(kt, svg_count(svg, "<path"), st.edges);
		KT_EXPECT_EQ(kt, svg_count(svg, "fill=\"#f7a072\""), st.block_ranges);
	}
	free(svg);
	unlink(path);
	rmdir(dir);
}

KTEST(sim_pgtable, bad_input)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_pgtable, "pgtable", "/nonexistent/prog");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.err,
			"kmm-sim pgtable: cannot open '/nonexistent/prog': No such file or "
			"directory\n");
	sim_capture_free(&c);
	/* An executable that is not ELF: a shell script. */
	char script[] = "/tmp/kmm-sim-pgtable-XXXXXX";
	int fd = mkstemp(script);
	KT_ASSERT_TRUE(kt, fd >= 0);
	KT_EXPECT_EQ(kt, write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	chmod(script, 0755);
	SIM_RUN(&c, cmd_pgtable, "pgtable", script);
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "': Exec format error"));
	sim_capture_free(&c);
	unlink(script);
	SIM_RUN(&c, cmd_pgtable, "pgtable", "--kernel", "/bin/true");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "--kernel takes no FILE"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_pgtable, "pgtable", "--kernel", "--svg", "/nonexistent/dir/x.svg");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "--svg: cannot create '/nonexistent/dir/x.svg'"));
	sim_capture_free(&c);
	SIM_RUN(&c, cmd_pgtable, "pgtable", "--bogus");
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	sim_capture_free(&c);
}

// SPDX-License-Identifier: MIT
/*
 * kmm-sim pgtable: the page-table tree of a process (TTBR0) or of the kernel (swapper_pg_dir,
 * TTBR1) after boot, drawn as a Graphviz graph, as an SVG picture or given as JSON. The tree is
 * read as the MMU reads it: from the root, table descriptors lead to next-level tables, block and
 * page descriptors are leaves (ARM ARM D8.2 "Translation table walk", D8.3 "Translation table
 * descriptor formats"). Runs of leaves that map consecutive VAs onto consecutive PAs with the
 * same permissions are shown as one range.
 */
#include "board.h"
#include "hostfile.h"
#include "json.h"
#include "process.h"
#include "sim.h"

#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/mm_struct.h>
#include <kmm/sched.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim pgtable [--kernel] [--dot] [--svg FILE] [--json] [FILE [ARG...]]\n"
    "\n"
    "Boot the default board (QEMU virt, 1 GiB, 4K pages, 48-bit VA), exec the host's ELF file\n"
    "FILE (default /bin/true) in a new process, fault in its first pages (an instruction fetch\n"
    "at the start of its code, a read at its stack pointer) and draw the process's page-table\n"
    "tree (TTBR0): one node per table (level, physical address, valid entries), edges from a\n"
    "table descriptor to the table it points at, leaves grouped into ranges that map\n"
    "consecutive VAs onto consecutive PAs with the same permissions. Tables are blue boxes,\n"
    "page ranges green ellipses, block ranges orange octagons.\n"
    "\n"
    "  --kernel     the kernel's tables instead (swapper_pg_dir, TTBR1: 2M and 1G blocks of\n"
    "               the linear map); no process is created\n"
    "  --dot        the tree as a Graphviz digraph on stdout (the default output)\n"
    "  --svg FILE   also draw the tree (levels left to right) as SVG into FILE\n"
    "  --json       the tree as JSON instead: {\"ttbr\": 0|1, \"granule\": BYTES, \"va_bits\": N,\n"
    "               \"table_pages\": N, \"level_tables\": [N, N, N, N], \"leaves\": N,\n"
    "               \"root\": TABLE} where TABLE is {\"level\": L, \"pa\": \"0x...\",\n"
    "               \"valid\": N, \"tables\": [TABLE...], \"ranges\": [{\"kind\": "
    "\"page\"|\"block\",\n"
    "               \"level\": L, \"va\": \"0x...\", \"pa\": \"0x...\", \"entries\": N, \"size\": "
    "BYTES,\n"
    "               \"perms\": \"rwx\"}...]}\n"
    "  --help       print this text\n"
    "\n"
    "Exit status: 0, 1 if the simulation failed, 2 bad usage or a FILE that cannot be exec'd.\n";

enum { OPT_KERNEL = 256, OPT_DOT, OPT_SVG, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "kernel", no_argument, NULL, OPT_KERNEL }, { "dot", no_argument, NULL, OPT_DOT },
	{ "svg", required_argument, NULL, OPT_SVG }, { "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },     { NULL, 0, NULL, 0 },
};

/* One table of the tree: its parent (-1 for the root) and the entry there that points at it. */
struct pt_table {
	int parent;
	unsigned int index, level, valid;
	paddr_t pa;
	vaddr_t va; /* the first VA it translates */
};

/* A run of leaves in one table. */
struct pt_range {
	int table;
	unsigned int level;
	bool block;
	vaddr_t va;
	paddr_t pa;
	uint64_t entries, size; /* size: of one entry */
	uint64_t prot;		/* PGTABLE_PROT_MASK bits of the descriptors */
};

struct pt_tree {
	const struct pgtable *pt;
	struct pt_table *tables;
	struct pt_range *ranges;
	size_t ntables, nranges, cap_tables, cap_ranges;
	bool oom, bad; /* out of host memory; a table descriptor outside RAM */
};

/* Room for one more element of @arr (holding @n of @cap); false when the host is out of memory. */
static bool grow(void **arr, size_t n, size_t *cap, size_t elem)
{
	if (n < *cap)
		return true;
	size_t c = *cap ? 2 * *cap : 64;
	void *p = realloc(*arr, c * elem);
	if (!p)
		return false;
	*arr = p;
	*cap = c;
	return true;
}

/* Add leaf @desc at @va (level @level, table @t) to the last range when it continues it. */
static void add_leaf(struct pt_tree *tr, int t, unsigned int level, vaddr_t va, uint64_t desc,
		     enum desc_kind kind)
{
	const struct xlat_geometry *g = &tr->pt->geom;
	uint64_t size = xlat_entry_size(g, level), prot = desc & PGTABLE_PROT_MASK;
	paddr_t pa = desc_oa(g, level, desc);
	struct pt_range *r = tr->nranges ? &tr->ranges[tr->nranges - 1] : NULL;

	if (r && r->table == t && r->prot == prot && r->block == (kind == DESC_BLOCK) &&
	    r->va + r->entries * size == va && r->pa + r->entries * size == pa) {
		r->entries++;
		return;
	}
	if (!grow((void **)&tr->ranges, tr->nranges, &tr->cap_ranges, sizeof(*tr->ranges))) {
		tr->oom = true;
		return;
	}
	tr->ranges[tr->nranges++] =
	    (struct pt_range){ t, level, kind == DESC_BLOCK, va, pa, 1, size, prot };
}

/* Record the table at @pa (level @level, translating from @va) and everything below it. */
static void walk_table(struct pt_tree *tr, int parent, unsigned int index, unsigned int level,
		       paddr_t pa, vaddr_t va)
{
	const struct xlat_geometry *g = &tr->pt->geom;
	const uint64_t *tab = arch_phys_to_virt(pa);

	if (!tab) {
		tr->bad = true;
		return;
	}
	if (!grow((void **)&tr->tables, tr->ntables, &tr->cap_tables, sizeof(*tr->tables))) {
		tr->oom = true;
		return;
	}
	int t = (int)tr->ntables++;
	tr->tables[t] = (struct pt_table){ parent, index, level, 0, pa, va };
	for (uint64_t i = 0; i < xlat_entries(g, level) && !tr->oom; i++) {
		uint64_t desc = tab[i];
		enum desc_kind kind = desc_kind(g, level, desc);
		vaddr_t eva = va + i * xlat_entry_size(g, level);

		if (kind == DESC_INVALID || kind == DESC_RESERVED)
			continue;
		tr->tables[t].valid++;
		if (kind == DESC_TABLE)
			walk_table(tr, t, (unsigned int)i, level + 1, desc_oa(g, level, desc), eva);
		else
			add_leaf(tr, t, level, eva, desc, kind);
	}
}

/* The tree of @pt, whose VAs start at @base (0 for TTBR0, the TTBR1 half's first VA). */
static int build_tree(struct pt_tree *tr, const struct pgtable *pt, vaddr_t base)
{
	memset(tr, 0, sizeof(*tr));
	tr->pt = pt;
	walk_table(tr, -1, 0, pt->geom.start_level, pt->root, base);
	return tr->oom ? -ENOMEM : tr->bad ? -EFAULT : 0;
}

static void free_tree(struct pt_tree *tr)
{
	free(tr->tables);
	free(tr->ranges);
}

/* "rwx" of a leaf's permissions for the translation regime's EL0 (user) or EL1 (kernel) view:
 * AP[2] read-only, UXN/PXN (ARM ARM D8.4 "Memory access control"). */
static const char *perms(uint64_t prot, bool kernel, char *buf)
{
	buf[0] = (kernel || (prot & PTE_USER)) ? 'r' : '-';
	buf[1] = (buf[0] == 'r' && !(prot & PTE_RDONLY)) ? 'w' : '-';
	buf[2] = !(prot & (kernel ? PTE_PXN : PTE_UXN)) ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

static int leaf_count_fn(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	(void)va;
	(void)slot;
	(void)level;
	(*(uint64_t *)ctx)++;
	return 0;
}

/* Leaves of @pt by the mapper's own walk (pgtable_walk_leaves), a check on the tree's. */
static uint64_t leaf_count(const struct pgtable *pt, bool kernel)
{
	uint64_t n = 0;
	vaddr_t half = 1ULL << pt->geom.va_bits;

	if (kernel)
		pgtable_walk_leaves(pt, -half, 0, leaf_count_fn, &n);
	else
		pgtable_walk_leaves(pt, 0, half, leaf_count_fn, &n);
	return n;
}

/* Emit the tables whose parent is @t, recursively, as JSON TABLE objects. */
static void json_table(struct json *j, const struct pt_tree *tr, int t, bool kernel)
{
	char buf[4];

	json_object_begin(j);
	json_kv_uint(j, "level", tr->tables[t].level);
	json_kv_hex(j, "pa", tr->tables[t].pa);
	json_kv_uint(j, "valid", tr->tables[t].valid);
	json_key(j, "tables");
	json_array_begin(j);
	for (size_t c = (size_t)t + 1; c < tr->ntables; c++)
		if (tr->tables[c].parent == t)
			json_table(j, tr, (int)c, kernel);
	json_array_end(j);
	json_key(j, "ranges");
	json_array_begin(j);
	for (size_t i = 0; i < tr->nranges; i++) {
		const struct pt_range *r = &tr->ranges[i];

		if (r->table != t)
			continue;
		json_object_begin(j);
		json_kv_string(j, "kind", r->block ? "block" : "page");
		json_kv_uint(j, "level", r->level);
		json_kv_hex(j, "va", r->va);
		json_kv_hex(j, "pa", r->pa);
		json_kv_uint(j, "entries", r->entries);
		json_kv_uint(j, "size", r->size);
		json_kv_string(j, "perms", perms(r->prot, kernel, buf));
		json_object_end(j);
	}
	json_array_end(j);
	json_object_end(j);
}

static void print_json(FILE *out, const struct pt_tree *tr, bool kernel)
{
	const struct pgtable *pt = tr->pt;
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_uint(&j, "ttbr", kernel);
	json_kv_uint(&j, "granule", xlat_granule_size(&pt->geom));
	json_kv_uint(&j, "va_bits", pt->geom.va_bits);
	json_kv_uint(&j, "table_pages", pt->table_pages);
	json_key(&j, "level_tables");
	json_array_begin(&j);
	for (unsigned int l = 0; l < XLAT_LEVELS_MAX; l++)
		json_uint(&j, pt->level_tables[l]);
	json_array_end(&j);
	json_kv_uint(&j, "leaves", leaf_count(pt, kernel));
	json_key(&j, "root");
	json_table(&j, tr, 0, kernel);
	json_object_end(&j);
}

#define FILL_TABLE "#a9c6f0"
#define FILL_PAGE "#b7e1a1"
#define FILL_BLOCK "#f7a072"

/* A range's label text, lines separated by @nl: "N pages of 4K", VA span, PA start, perms. */
static void range_label(FILE *f, const struct pt_range *r, bool kernel, const char *nl)
{
	char sz[24], p[4];

	fprintf(f, "%llu %s%s of %s%sVA 0x%llx-0x%llx%sPA 0x%llx %s",
		(unsigned long long)r->entries, r->block ? "block" : "page",
		r->entries == 1 ? "" : "s", sim_size_str(r->size, sz), nl,
		(unsigned long long)r->va, (unsigned long long)(r->va + r->entries * r->size - 1),
		nl, (unsigned long long)r->pa, perms(r->prot, kernel, p));
}

static void print_dot(FILE *f, const struct pt_tree *tr, bool kernel)
{
	fprintf(f,
		"digraph pgtable {\n\trankdir=LR;\n\tlabel=\"%s page tables (TTBR%d)\";\n"
		"\tnode [fontname=\"monospace\", fontsize=10, style=filled];\n",
		kernel ? "kernel swapper_pg_dir" : "process", kernel);
	for (size_t t = 0; t < tr->ntables; t++) {
		const struct pt_table *p = &tr->tables[t];

		fprintf(f,
			"\tt%zu [shape=box, fillcolor=\"" FILL_TABLE "\", label=\"L%u table\\n"
			"PA 0x%llx\\n%u valid\"];\n",
			t, p->level, (unsigned long long)p->pa, p->valid);
		if (p->parent >= 0)
			fprintf(f, "\tt%d -> t%zu [label=\"%u\"];\n", p->parent, t, p->index);
	}
	for (size_t i = 0; i < tr->nranges; i++) {
		const struct pt_range *r = &tr->ranges[i];

		fprintf(f, "\tr%zu [shape=%s, fillcolor=\"%s\", label=\"", i,
			r->block ? "octagon" : "ellipse", r->block ? FILL_BLOCK : FILL_PAGE);
		range_label(f, r, kernel, "\\n");
		fprintf(f, "\"];\n\tt%d -> r%zu;\n", r->table, i);
	}
	fputs("}\n", f);
}

/*
 * The SVG picture: one row per node in depth-first order, one column per level (tables) with
 * the leaf ranges one column right of their table, and elbow lines from parent to child.
 */
#define SVG_COL 230
#define SVG_ROW 52
#define SVG_BOX_W 210
#define SVG_BOX_H 44
#define SVG_TOP 50

struct svg_pos {
	unsigned int x, y;
};

/* Rows in depth-first order: each table, then its ranges, then its child tables. */
static void svg_place(const struct pt_tree *tr, int t, unsigned int *row, struct svg_pos *tp,
		      struct svg_pos *rp)
{
	unsigned int col = tr->tables[t].level - tr->pt->geom.start_level;

	tp[t] = (struct svg_pos){ 20 + col * SVG_COL, SVG_TOP + (*row)++ * SVG_ROW };
	for (size_t i = 0; i < tr->nranges; i++)
		if (tr->ranges[i].table == t)
			rp[i] = (struct svg_pos){ tp[t].x + SVG_COL, SVG_TOP + (*row)++ * SVG_ROW };
	for (size_t c = (size_t)t + 1; c < tr->ntables; c++)
		if (tr->tables[c].parent == t)
			svg_place(tr, (int)c, row, tp, rp);
}

static void svg_edge(FILE *f, struct svg_pos from, struct svg_pos to)
{
	unsigned int x = from.x + 12;

	fprintf(f, "  <path d=\"M %u %u V %u H %u\" fill=\"none\" stroke=\"#555\"/>\n", x,
		from.y + SVG_BOX_H, to.y + SVG_BOX_H / 2, to.x);
}

static void svg_node(FILE *f, struct svg_pos p, const char *fill, bool round)
{
	fprintf(f,
		"  <rect x=\"%u\" y=\"%u\" width=\"%d\" height=\"%d\" rx=\"%d\" fill=\"%s\" "
		"stroke=\"#333\"/>\n",
		p.x, p.y, SVG_BOX_W, SVG_BOX_H, round ? 14 : 0, fill);
}

/* The text lines of a node, 12 px apart from the top of its box. */
static void svg_text(FILE *f, struct svg_pos p, unsigned int line, const char *s)
{
	fprintf(f, "  <text x=\"%u\" y=\"%u\">%s</text>\n", p.x + 8, p.y + 13 + 12 * line, s);
}

static void svg_range(FILE *f, const struct pt_range *r, struct svg_pos p, bool kernel)
{
	char buf[96], sz[24], pr[4];

	svg_node(f, p, r->block ? FILL_BLOCK : FILL_PAGE, !r->block);
	snprintf(buf, sizeof(buf), "%llu %s%s of %s, %s", (unsigned long long)r->entries,
		 r->block ? "block" : "page", r->entries == 1 ? "" : "s", sim_size_str(r->size, sz),
		 perms(r->prot, kernel, pr));
	svg_text(f, p, 0, buf);
	snprintf(buf, sizeof(buf), "VA 0x%llx", (unsigned long long)r->va);
	svg_text(f, p, 1, buf);
	snprintf(buf, sizeof(buf), "PA 0x%llx", (unsigned long long)r->pa);
	svg_text(f, p, 2, buf);
}

/* The picture on @f; false when the host is out of memory for it. */
static bool write_svg(FILE *f, const struct pt_tree *tr, bool kernel)
{
	struct svg_pos *tp = calloc(tr->ntables, sizeof(*tp));
	struct svg_pos *rp = calloc(tr->nranges + 1, sizeof(*rp));
	unsigned int row = 0, w = 20 + (XLAT_LEVELS_MAX + 1) * SVG_COL, h;
	char buf[96];

	if (!tp || !rp) {
		free(tp);
		free(rp);
		return false;
	}
	svg_place(tr, 0, &row, tp, rp);
	h = SVG_TOP + row * SVG_ROW + 10;
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" height=\"%u\" "
		"viewBox=\"0 0 %u %u\" font-family=\"monospace\" font-size=\"11\">\n"
		"  <rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"  <text x=\"20\" y=\"28\" font-family=\"sans-serif\" font-size=\"16\" "
		"font-weight=\"bold\">%s page tables (TTBR%d): %zu tables; tables blue, pages "
		"green, blocks orange</text>\n",
		w, h, w, h, kernel ? "kernel swapper_pg_dir" : "process", kernel, tr->ntables);
	for (size_t t = 1; t < tr->ntables; t++)
		svg_edge(f, tp[tr->tables[t].parent], tp[t]);
	for (size_t i = 0; i < tr->nranges; i++)
		svg_edge(f, tp[tr->ranges[i].table], rp[i]);
	for (size_t t = 0; t < tr->ntables; t++) {
		svg_node(f, tp[t], FILL_TABLE, false);
		snprintf(buf, sizeof(buf), "L%u table [%u]", tr->tables[t].level,
			 tr->tables[t].index);
		svg_text(f, tp[t], 0, buf);
		snprintf(buf, sizeof(buf), "PA 0x%llx", (unsigned long long)tr->tables[t].pa);
		svg_text(f, tp[t], 1, buf);
		snprintf(buf, sizeof(buf), "%u valid entr%s", tr->tables[t].valid,
			 tr->tables[t].valid == 1 ? "y" : "ies");
		svg_text(f, tp[t], 2, buf);
	}
	for (size_t i = 0; i < tr->nranges; i++)
		svg_range(f, &tr->ranges[i], rp[i], kernel);
	fputs("</svg>\n", f);
	free(tp);
	free(rp);
	return true;
}

static int svg_to_file(const char *path, const struct pt_tree *tr, bool kernel, FILE *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sim_usage_error(err, "pgtable", "--svg: cannot create '%s': %s", path,
				       strerror(errno));
	bool ok = write_svg(f, tr, kernel) && !ferror(f);
	if (fclose(f) || !ok) {
		fprintf(err, "kmm-sim pgtable: --svg: writing '%s' failed\n", path);
		return SIM_EXIT_FAIL;
	}
	return SIM_EXIT_OK;
}

struct pgtable_opts {
	bool kernel, json;
	const char *svg;
};

/* Draw or list @pt as @o asks. */
static int show(const struct pgtable *pt, const struct pgtable_opts *o, FILE *out, FILE *err)
{
	struct pt_tree tr;
	vaddr_t base = o->kernel ? -(1ULL << pt->geom.va_bits) : 0;
	int rc = SIM_EXIT_OK;

	if (build_tree(&tr, pt, base)) {
		fputs("kmm-sim pgtable: cannot read the page tables\n", err);
		rc = SIM_EXIT_FAIL;
	} else if (o->svg) {
		rc = svg_to_file(o->svg, &tr, o->kernel, err);
	}
	if (rc == SIM_EXIT_OK && o->json)
		print_json(out, &tr, o->kernel);
	else if (rc == SIM_EXIT_OK)
		print_dot(out, &tr, o->kernel);
	free_tree(&tr);
	return rc;
}

static struct file *open_host(void *ctx, const char *path, int *err)
{
	(void)ctx;
	return sim_file_open(path, FMODE_READ | FMODE_EXEC, err);
}

/* Exec @argv in a new process, fault in its first code page and its stack, then show its
 * tables. */
static int process_tree(char **argv, const struct pgtable_opts *o, FILE *out, FILE *err)
{
	static char *const envp[] = { NULL };
	struct ksiginfo info;
	uint64_t word;
	int e, rc;
	struct file *f = sim_file_open(argv[0], FMODE_READ | FMODE_EXEC, &e);

	if (!f) {
		fprintf(err, "kmm-sim pgtable: cannot open '%s': %s\n", argv[0], strerror(-e));
		return SIM_EXIT_USAGE;
	}
	struct task_struct *t = task_create("kmm-sim");
	if (!t) {
		fput(f);
		return SIM_EXIT_FAIL;
	}
	e = do_execve(t, f, (const char *const *)argv, (const char *const *)envp, open_host, NULL);
	fput(f);
	if (e) {
		fprintf(err, "kmm-sim pgtable: cannot execute '%s': %s\n", argv[0], strerror(-e));
		rc = e == -ENOMEM ? SIM_EXIT_FAIL : SIM_EXIT_USAGE;
	} else if (sim_user_exec(t, 0, t->mm->start_code, &info) ||
		   sim_user_read(t, 0, t->mm->start_stack, &word, sizeof(word), &info)) {
		fputs("kmm-sim pgtable: the process faulted touching its first pages\n", err);
		rc = SIM_EXIT_FAIL;
	} else {
		rc = show(&t->mm->pgd, o, out, err);
	}
	do_exit(t);
	return rc;
}

int cmd_pgtable(int argc, char **argv, FILE *out, FILE *err)
{
	struct sim_boot_opts bo = { .board = "virt", .granule = PAGE_SIZE, .va_bits = 48 };
	struct pgtable_opts o = { 0 };
	char *def[] = { "/bin/true", NULL };
	struct sim_boot sb;
	char *log = NULL;
	size_t loglen = 0;
	int c, rc;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		} else if (c == OPT_KERNEL) {
			o.kernel = true;
		} else if (c == OPT_JSON) {
			o.json = true;
		} else if (c == OPT_SVG) {
			o.svg = optarg;
		} else if (c != OPT_DOT) {
			return sim_opt_error(err, "pgtable", c, argv, options);
		}
	}
	if (o.kernel && optind < argc)
		return sim_usage_error(err, "pgtable", "--kernel takes no FILE ('%s')",
				       argv[optind]);
	/* The boot log is not this command's output; it is shown when the boot fails. */
	FILE *logf = open_memstream(&log, &loglen);
	if (!logf)
		return SIM_EXIT_FAIL;
	rc = sim_boot(&sb, &bo, logf, err);
	fclose(logf);
	if (rc != SIM_EXIT_OK)
		fputs(log ? log : "", err);
	else if (o.kernel)
		rc = show(&sb.mm.swapper, &o, out, err);
	else
		rc = process_tree(optind < argc ? argv + optind : def, &o, out, err);
	sim_boot_release(&sb);
	free(log);
	return rc;
}

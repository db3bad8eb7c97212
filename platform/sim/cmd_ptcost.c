// SPDX-License-Identifier: MIT
/*
 * kmm-sim ptcost: what identity maps cost in page-table memory. The tables are built for real by
 * kmm's mapper (mm/pgtable.c) in a scratch emulated RAM, and the tables it allocated are counted.
 */
#include "json.h"
#include "sim.h"

#include "arch/host/host.h"

#include <kmm/pgtable.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim ptcost [--granule 4k|16k|64k] [--va-bits N] --map START:SIZE [--map ...]\n"
    "                      --max-block SIZE [--json]\n"
    "\n"
    "Build the VMSAv8-64 stage-1 tables that identity-map (VA = PA) each range with kmm's\n"
    "page-table mapper, in a scratch emulated RAM, and count the tables it allocated. Each\n"
    "range gets the largest leaves that fit: blocks up to the max block where the level allows\n"
    "them and the range covers a whole aligned block, pages elsewhere. The leaves are Normal\n"
    "memory (AttrIndx 0), Inner Shareable, EL1 read/write, Access flag set.\n"
    "\n"
    "  --granule G       translation granule: 4k (default), 16k or 64k\n"
    "  --va-bits N       VA size in bits: 25..48 (default 48); ranges lie below 2^N (TTBR0)\n"
    "  --map START:SIZE  a range to map: numbers hex with 0x or decimal, with an optional K,\n"
    "                    M or G suffix; both page aligned; repeat for more ranges (up to\n"
    "                    64), which must not overlap\n"
    "  --max-block SIZE  the largest leaf: the page size or a block size of the geometry\n"
    "                    (4K granule: 4k, 2m, 1g; 16K: 16k, 32m; 64K: 64k, 512m; a block\n"
    "                    level exists only when the VA size reaches above it)\n"
    "  --json            print {\"table_pages\": N, \"bytes\": N}\n"
    "  --help            print this text\n"
    "\n"
    "table_pages counts every table, the start-level one included; bytes is the sum of their\n"
    "sizes. The start-level table is smaller than a page when the VA size leaves it fewer\n"
    "index bits than a full table has (4K granule, 40-bit VAs: 2 entries, 16 bytes): it counts\n"
    "as one table page, and as its real size in bytes.\n";

enum { OPT_GRANULE = 256, OPT_VA_BITS, OPT_MAP, OPT_MAX_BLOCK, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "granule", required_argument, NULL, OPT_GRANULE },
	{ "va-bits", required_argument, NULL, OPT_VA_BITS },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "max-block", required_argument, NULL, OPT_MAX_BLOCK },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

#define PTCOST_MAPS_MAX 64
#define PTCOST_RAM_BASE 0x40000000ULL /* where the scratch RAM for the tables sits */
#define PTCOST_RAM_MAX (1ULL << 30)   /* the most table memory ptcost builds */

struct ptcost_args {
	uint64_t granule;
	unsigned int va_bits;
	uint64_t max_block;
	bool json, help;
	size_t nmaps;
	struct pgtable_range maps[PTCOST_MAPS_MAX];
};

/* A bump allocator over [next, end) of the scratch RAM: tables aligned to their size. */
struct bump {
	paddr_t next, end;
};

static paddr_t bump_alloc(void *ctx, uint64_t bytes)
{
	struct bump *b = ctx;
	paddr_t t = ALIGN_UP(b->next, bytes);

	if (t > b->end || b->end - t < bytes)
		return 0;
	b->next = t + bytes;
	return t;
}

/* Parse "START:SIZE" into @r (an identity range); false after reporting what is wrong. */
static bool parse_map(FILE *err, const char *arg, struct pgtable_range *r)
{
	const char *colon = strchr(arg, ':');
	char start[32];

	if (!colon || (size_t)(colon - arg) >= sizeof(start)) {
		fprintf(err, "kmm-sim ptcost: --map: '%s' is not START:SIZE\n", arg);
		return false;
	}
	memcpy(start, arg, (size_t)(colon - arg));
	start[colon - arg] = '\0';
	if (!sim_arg_u64(err, "ptcost", "--map START", start, SIM_NUM_SUFFIX, &r->va) ||
	    !sim_arg_u64(err, "ptcost", "--map SIZE", colon + 1, SIM_NUM_SUFFIX, &r->size))
		return false;
	r->pa = r->va;
	return true;
}

static int parse_args(int argc, char **argv, FILE *out, FILE *err, struct ptcost_args *a)
{
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_GRANULE:
			if (!sim_arg_granule(err, "ptcost", optarg, &a->granule))
				return SIM_EXIT_USAGE;
			break;
		case OPT_VA_BITS:
			if (!sim_arg_uint(err, "ptcost", "--va-bits", optarg, XLAT_VA_BITS_MIN,
					  XLAT_VA_BITS_MAX, &a->va_bits))
				return SIM_EXIT_USAGE;
			break;
		case OPT_MAP:
			if (a->nmaps == PTCOST_MAPS_MAX)
				return sim_usage_error(err, "ptcost", "more than %d --map ranges",
						       PTCOST_MAPS_MAX);
			if (!parse_map(err, optarg, &a->maps[a->nmaps++]))
				return SIM_EXIT_USAGE;
			break;
		case OPT_MAX_BLOCK:
			if (!sim_arg_u64(err, "ptcost", "--max-block", optarg, SIM_NUM_SUFFIX,
					 &a->max_block))
				return SIM_EXIT_USAGE;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_HELP:
			fputs(usage, out);
			a->help = true;
			return SIM_EXIT_OK;
		default:
			return sim_opt_error(err, "ptcost", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "ptcost", "unexpected argument '%s'", argv[optind]);
	if (!a->nmaps || !a->max_block)
		return sim_usage_error(err, "ptcost", "%s is required",
				       !a->nmaps ? "--map" : "--max-block");
	return SIM_EXIT_OK;
}

/* Whether @size is the page size or the size of a block some level of @g holds. */
static bool max_block_valid(const struct xlat_geometry *g, uint64_t size)
{
	if (size == xlat_granule_size(g))
		return true;
	for (unsigned int l = g->start_level; l < 3; l++)
		if (xlat_block_allowed(g, l) && size == xlat_entry_size(g, l))
			return true;
	return false;
}

/* Report @size as no max block of @g, listing the valid ones. */
static int bad_max_block(FILE *err, const struct xlat_geometry *g, uint64_t size)
{
	char list[64], gran[24], s[24];
	size_t n =
	    (size_t)snprintf(list, sizeof(list), "%s", sim_size_str(xlat_granule_size(g), gran));

	for (unsigned int l = 3; l-- > g->start_level;)
		if (xlat_block_allowed(g, l))
			n += (size_t)snprintf(list + n, sizeof(list) - n, ", %s",
					      sim_size_str(xlat_entry_size(g, l), s));
	return sim_usage_error(err, "ptcost",
			       "--max-block: %s is not the page size or a block size of the %s "
			       "granule with %u-bit VAs (valid: %s)",
			       sim_size_str(size, s), gran, g->va_bits, list);
}

static int cmp_range(const void *a, const void *b)
{
	const struct pgtable_range *x = a, *y = b;

	return x->va < y->va ? -1 : x->va > y->va;
}

/* Check each range against @g and sort @a->maps by address; SIM_EXIT_OK or a usage error. */
static int check_maps(FILE *err, const struct xlat_geometry *g, struct ptcost_args *a)
{
	uint64_t page = xlat_granule_size(g), top = BIT(g->va_bits);

	for (size_t i = 0; i < a->nmaps; i++) {
		const struct pgtable_range *r = &a->maps[i];
		char s[24];

		if (!r->size || !IS_ALIGNED(r->va | r->size, page))
			return sim_usage_error(err, "ptcost",
					       "--map 0x%llx:0x%llx: START and SIZE must be "
					       "multiples of the %s page, SIZE not 0",
					       (unsigned long long)r->va,
					       (unsigned long long)r->size, sim_size_str(page, s));
		if (r->va >= top || r->size > top - r->va)
			return sim_usage_error(
			    err, "ptcost", "--map 0x%llx:0x%llx: ends beyond the %u-bit VA space",
			    (unsigned long long)r->va, (unsigned long long)r->size, g->va_bits);
	}
	qsort(a->maps, a->nmaps, sizeof(a->maps[0]), cmp_range);
	for (size_t i = 1; i < a->nmaps; i++) {
		const struct pgtable_range *p = &a->maps[i - 1], *r = &a->maps[i];
		if (r->va - p->va < p->size)
			return sim_usage_error(
			    err, "ptcost", "--map ranges 0x%llx:0x%llx and 0x%llx:0x%llx overlap",
			    (unsigned long long)p->va, (unsigned long long)p->size,
			    (unsigned long long)r->va, (unsigned long long)r->size);
	}
	return SIM_EXIT_OK;
}

/*
 * Map every range of @a into @pt, set up over @alloc, with @m attached as the kernel's machine
 * (its RAM is the direct view the mapper writes through); the previous machine is restored.
 */
static int map_all(struct hw_machine *m, const struct xlat_geometry *g, const struct ptcost_args *a,
		   struct pgtable_alloc *alloc, struct pgtable *pt)
{
	static const struct pte_attrs attrs = {
		.attrindx = 0, .sh = SH_INNER, .ap = AP_RW_EL1, .af = true
	};
	struct hw_machine *prev = host_machine();
	int err;

	host_attach(m);
	err = pgtable_init(pt, g, alloc);
	for (size_t i = 0; i < a->nmaps && !err; i++)
		err = pgtable_map(pt, a->maps[i].va, a->maps[i].pa, a->maps[i].size, &attrs,
				  a->max_block);
	host_attach(prev);
	return err;
}

/*
 * Build the tables of @a in a scratch machine with @ram bytes of RAM for them and leave their
 * statistics in @pt. SIM_EXIT_OK, or SIM_EXIT_FAIL after a message.
 */
static int build(FILE *err, const struct xlat_geometry *g, const struct ptcost_args *a,
		 uint64_t ram, struct pgtable *pt)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	struct bump bump = { PTCOST_RAM_BASE, PTCOST_RAM_BASE + ram };
	struct pgtable_alloc alloc = { .alloc_table = bump_alloc, .ctx = &bump };
	struct hw_machine m;
	int rc = hw_machine_init(&m, 1, &tlb, &feat);

	if (!rc) {
		rc = hw_ram_add(&m.ram, PTCOST_RAM_BASE, ram);
		if (!rc)
			rc = map_all(&m, g, a, &alloc, pt);
		hw_machine_destroy(&m);
	}
	if (rc)
		fprintf(err, "kmm-sim ptcost: building the tables failed (error %d)\n", -rc);
	return rc ? SIM_EXIT_FAIL : SIM_EXIT_OK;
}

static void print_text(FILE *out, const struct xlat_geometry *g, const struct ptcost_args *a,
		       const struct pgtable *pt)
{
	char s[24], t[24];

	fprintf(out, "granule %s, %u-bit VAs (%u level%s from level %u), max block %s\n",
		sim_size_str(xlat_granule_size(g), s), g->va_bits, g->levels,
		g->levels == 1 ? "" : "s", g->start_level, sim_size_str(a->max_block, t));
	for (size_t i = 0; i < a->nmaps; i++)
		fprintf(out, "map 0x%llx:%s\n", (unsigned long long)a->maps[i].va,
			sim_size_str(a->maps[i].size, s));
	fprintf(out, "\nlevel  tables        bytes\n");
	for (unsigned int l = g->start_level; l < XLAT_LEVELS_MAX; l++)
		fprintf(out, "%5u  %6lu  %11llu\n", l, pt->level_tables[l],
			(unsigned long long)(pt->level_tables[l] * xlat_table_size(g, l)));
	fprintf(out, "total  %6lu  %11llu\n", pt->table_pages, (unsigned long long)pt->table_bytes);
}

int cmd_ptcost(int argc, char **argv, FILE *out, FILE *err)
{
	struct ptcost_args a = { .granule = 4096, .va_bits = 48 };
	struct xlat_geometry g;
	struct pgtable pt;
	int rc = parse_args(argc, argv, out, err, &a);

	if (rc || a.help)
		return rc;
	if (xlat_geometry_init(&g, a.granule, a.va_bits))
		return sim_usage_error(err, "ptcost", "no geometry for these arguments");
	if (!max_block_valid(&g, a.max_block))
		return bad_max_block(err, &g, a.max_block);
	rc = check_maps(err, &g, &a);
	if (rc)
		return rc;

	/* RAM for the tables the maps need (exact: the maps are sorted), plus a page of slack. */
	unsigned long tables = pgtable_count_tables(&g, a.maps, a.nmaps, a.max_block);
	if (tables > PTCOST_RAM_MAX / xlat_granule_size(&g))
		return sim_usage_error(err, "ptcost",
				       "the maps need %lu table pages, more than ptcost builds "
				       "(%llu MiB of tables)",
				       tables, (unsigned long long)PTCOST_RAM_MAX >> 20);
	rc = build(err, &g, &a, ((uint64_t)tables + 1) * xlat_granule_size(&g), &pt);
	if (rc)
		return rc;
	if (a.json) {
		struct json j;
		json_init(&j, out);
		json_object_begin(&j);
		json_kv_uint(&j, "table_pages", pt.table_pages);
		json_kv_uint(&j, "bytes", pt.table_bytes);
		json_object_end(&j);
	} else {
		print_text(out, &g, &a, &pt);
	}
	return SIM_EXIT_OK;
}

// SPDX-License-Identifier: MIT
/*
 * kmm-sim geometry: the stage-1 translation geometry of a granule and VA size, from
 * xlat_geometry_init (ARM ARM D8.2 "Translation table walk").
 */
#include "json.h"
#include "sim.h"

#include <aarch64/geometry.h>

#include <getopt.h>

static const char usage[] =
    "usage: kmm-sim geometry --granule 4k|16k|64k --va-bits N [--json]\n"
    "\n"
    "The VMSAv8-64 stage-1 translation geometry of a translation granule and an N-bit input\n"
    "address (ARM ARM D8.2): how many levels a walk takes, the level it starts at, and for each\n"
    "level the VA bits that index its table, the shift, the entries of the table, the bytes one\n"
    "entry maps and whether the level may hold block descriptors (48-bit output addresses).\n"
    "\n"
    "  --granule G   translation granule: 4k, 16k or 64k\n"
    "  --va-bits N   VA size in bits: 25..48 (TnSZ = 64 - N)\n"
    "  --json        print one JSON object:\n"
    "                  {\"granule\": BYTES, \"va_bits\": N, \"levels\": N, \"start_level\": L,\n"
    "                   \"level_shift\": {\"L\": SHIFT, ...}, \"entries\": {\"L\": N, ...},\n"
    "                   \"block_sizes\": {\"L\": BYTES, ...}}\n"
    "                levels are keyed by their number as a string, start_level..3;\n"
    "                block_sizes has only the levels that allow blocks\n"
    "  --help        print this text\n";

enum { OPT_GRANULE = 256, OPT_VA_BITS, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "granule", required_argument, NULL, OPT_GRANULE },
	{ "va-bits", required_argument, NULL, OPT_VA_BITS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* A JSON object of one number per level from @first to 3, for the levels @only selects. */
static void json_per_level(struct json *j, const char *key, unsigned int first, unsigned int only,
			   const uint64_t *vals)
{
	json_key(j, key);
	json_object_begin(j);
	for (unsigned int l = first; l < XLAT_LEVELS_MAX; l++) {
		char name[4];
		if (!(only & BIT(l)))
			continue;
		snprintf(name, sizeof(name), "%u", l);
		json_kv_uint(j, name, vals[l]);
	}
	json_object_end(j);
}

static void print_json(FILE *out, const struct xlat_geometry *g)
{
	uint64_t shift[XLAT_LEVELS_MAX], entries[XLAT_LEVELS_MAX], block[XLAT_LEVELS_MAX];
	struct json j;

	for (unsigned int l = g->start_level; l < XLAT_LEVELS_MAX; l++) {
		shift[l] = g->level_shift[l];
		entries[l] = xlat_entries(g, l);
		block[l] = xlat_entry_size(g, l);
	}
	json_init(&j, out);
	json_object_begin(&j);
	json_kv_uint(&j, "granule", xlat_granule_size(g));
	json_kv_uint(&j, "va_bits", g->va_bits);
	json_kv_uint(&j, "levels", g->levels);
	json_kv_uint(&j, "start_level", g->start_level);
	json_per_level(&j, "level_shift", g->start_level, ~0u, shift);
	json_per_level(&j, "entries", g->start_level, ~0u, entries);
	json_per_level(&j, "block_sizes", g->start_level, g->block_levels, block);
	json_object_end(&j);
}

static void print_table(FILE *out, const struct xlat_geometry *g)
{
	char gran[24], size[24], bits[16];

	fprintf(out, "granule %s, %u-bit VAs: %u level%s, the walk starts at level %u\n\n",
		sim_size_str(xlat_granule_size(g), gran), g->va_bits, g->levels,
		g->levels == 1 ? "" : "s", g->start_level);
	fprintf(out, "level  VA bits  shift  entries  entry size  block allowed\n");
	for (unsigned int l = g->start_level; l < XLAT_LEVELS_MAX; l++) {
		unsigned int lo = g->level_shift[l];
		snprintf(bits, sizeof(bits), "[%u:%u]", lo + g->index_bits[l] - 1, lo);
		fprintf(out, "%5u  %-7s  %5u  %7llu  %10s  %s\n", l, bits, lo,
			(unsigned long long)xlat_entries(g, l),
			sim_size_str(xlat_entry_size(g, l), size),
			xlat_block_allowed(g, l) ? "yes"
			: l == 3		 ? "no (pages)"
						 : "no");
	}
	fprintf(out, "page offset [%u:0]\n", g->granule_shift - 1);
}

int cmd_geometry(int argc, char **argv, FILE *out, FILE *err)
{
	uint64_t granule = 0;
	unsigned int va_bits = 0;
	bool json = false;
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_GRANULE:
			if (!sim_arg_granule(err, "geometry", optarg, &granule))
				return SIM_EXIT_USAGE;
			break;
		case OPT_VA_BITS:
			if (!sim_arg_uint(err, "geometry", "--va-bits", optarg, XLAT_VA_BITS_MIN,
					  XLAT_VA_BITS_MAX, &va_bits))
				return SIM_EXIT_USAGE;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			fputs(usage, out);
			return SIM_EXIT_OK;
		default:
			return sim_opt_error(err, "geometry", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "geometry", "unexpected argument '%s'", argv[optind]);
	if (!granule || !va_bits)
		return sim_usage_error(err, "geometry", "%s is required",
				       !granule ? "--granule" : "--va-bits");

	struct xlat_geometry g;
	if (xlat_geometry_init(&g, granule, va_bits))
		return sim_usage_error(err, "geometry", "no geometry for these arguments");
	if (json)
		print_json(out, &g);
	else
		print_table(out, &g);
	return SIM_EXIT_OK;
}

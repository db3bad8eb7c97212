// SPDX-License-Identifier: MIT
/*
 * kmm-sim dt: the memory a device-tree blob describes, read by mm/fdt.c (fdt_mem_parse) and
 * applied to a fresh memblock (fdt_mem_apply), as the kernel does at boot.
 */
#include "json.h"
#include "sim.h"

#include <kmm/errno.h>
#include <kmm/fdt.h>
#include <kmm/memblock.h>

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim dt FILE.dtb [--json]\n"
    "\n"
    "The memory a flattened device tree describes, read as Linux's early boot reads it\n"
    "(drivers/of/fdt.c, arch/arm64/mm/init.c) and applied to a fresh memblock: the root's\n"
    "children with device_type \"memory\" (linux,usable-memory over reg, numa-node-id,\n"
    "hotpluggable; trimmed to whole 4K pages), /memreserve/, the /reserved-memory children\n"
    "with a reg (no-map, reusable or plain), and /chosen's initrd and bootargs mem=.\n"
    "\n"
    "  --json   print one JSON object:\n"
    "             {\"address_cells\": N, \"size_cells\": N,\n"
    "              \"memory\": [{\"base\": \"0x...\", \"size\": \"0x...\", \"node\": N or null,\n"
    "                          \"hotplug\": BOOL, \"nomap\": BOOL}, ...],\n"
    "              \"reserved\": [{\"base\": \"0x...\", \"size\": \"0x...\", \"kind\": KIND,\n"
    "                            \"name\": \"...\" or null}, ...],\n"
    "              \"total\": \"0x...\"}\n"
    "           memory is memblock's after the whole discovery (mem= applied, the initrd's\n"
    "           pages added back, no-map marked): sorted, adjacent regions of one node and\n"
    "           the same flags merged; total is its sum. reserved is the blob's reserved\n"
    "           ranges sorted by base, one per source and not merged; KIND is memreserve,\n"
    "           no-map, reusable, reserved or initrd; name is the /reserved-memory child's.\n"
    "  --help   print this text\n"
    "\n"
    "What Linux warns about and carries on from (no memory, a /reserved-memory in a format\n"
    "it does not support, an initrd outside memory, a no-map range over a reserved one, ...)\n"
    "is handled as Linux does and printed on the error stream as \"kmm-sim dt: warning: ...\";\n"
    "the output, JSON included, is unchanged by warnings. A blob that is broken in its\n"
    "structure is an error (exit status 2) whose message names the node and property at\n"
    "fault.\n";

enum { OPT_JSON = 256, OPT_HELP };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

#define DT_FILE_MAX (64u << 20) /* larger files are not device trees */

/* The whole of @path in a malloc'd buffer (aligned for libfdt); NULL after a message. */
static void *read_file(FILE *err, const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n = 0;
	char *buf = NULL;

	if (!f) {
		fprintf(err, "kmm-sim dt: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	while (!ferror(f) && !feof(f) && n <= DT_FILE_MAX) {
		if (n == cap) {
			char *more = realloc(buf, cap = cap ? 2 * cap : 65536);
			if (!more) {
				fprintf(err, "kmm-sim dt: '%s': out of memory\n", path);
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = more;
		}
		n += fread(buf + n, 1, cap - n, f);
	}
	if (ferror(f) || n > DT_FILE_MAX) {
		fprintf(err, "kmm-sim dt: cannot read '%s': %s\n", path,
			ferror(f) ? strerror(errno) : "larger than 64M");
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

static void print_json(FILE *out, const struct fdt_mem_info *info, const struct memblock *mb)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_uint(&j, "address_cells", info->address_cells);
	json_kv_uint(&j, "size_cells", info->size_cells);
	json_key(&j, "memory");
	json_array_begin(&j);
	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		json_object_begin(&j);
		json_kv_hex(&j, "base", r->base);
		json_kv_hex(&j, "size", r->size);
		json_key(&j, "node");
		if (r->nid == NUMA_NO_NODE)
			json_null(&j);
		else
			json_uint(&j, (uint64_t)r->nid);
		json_kv_bool(&j, "hotplug", r->flags & MEMBLOCK_HOTPLUG);
		json_kv_bool(&j, "nomap", r->flags & MEMBLOCK_NOMAP);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "reserved");
	json_array_begin(&j);
	for (unsigned int i = 0; i < info->nr_reserved; i++) {
		const struct fdt_rsv_range *r = &info->reserved[i];
		json_object_begin(&j);
		json_kv_hex(&j, "base", r->base);
		json_kv_hex(&j, "size", r->size);
		json_kv_string(&j, "kind", fdt_mem_kind_name(r->kind));
		json_key(&j, "name");
		if (r->name)
			json_string(&j, r->name);
		else
			json_null(&j);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_hex(&j, "total", mb->memory.total_size);
	json_object_end(&j);
}

/* One line of a listing: the range (inclusive, as memblock=debug prints it) and its size. */
static void print_range(FILE *out, uint64_t base, uint64_t size)
{
	char sz[24];

	fprintf(out, "  0x%016llx-0x%016llx %6s", (unsigned long long)base,
		(unsigned long long)(base + size - 1), sim_size_str(size, sz));
}

static void print_text(FILE *out, const struct fdt_mem_info *info, const struct memblock *mb)
{
	char sz[24];

	fprintf(out, "root: #address-cells %u, #size-cells %u\n", info->address_cells,
		info->size_cells);
	if (info->mem_limit)
		fprintf(out, "bootargs: mem=%s\n", sim_size_str(info->mem_limit, sz));
	fprintf(out, "memory (memblock after discovery):\n");
	for (unsigned long i = 0; i < mb->memory.cnt; i++) {
		const struct memblock_region *r = &mb->memory.regions[i];
		print_range(out, r->base, r->size);
		if (r->nid != NUMA_NO_NODE)
			fprintf(out, "  node %d", r->nid);
		fprintf(out, "%s%s\n", r->flags & MEMBLOCK_HOTPLUG ? "  hotplug" : "",
			r->flags & MEMBLOCK_NOMAP ? "  nomap" : "");
	}
	fprintf(out, "  total %s\n", sim_size_str(mb->memory.total_size, sz));
	fprintf(out, "reserved (%u):\n", info->nr_reserved);
	for (unsigned int i = 0; i < info->nr_reserved; i++) {
		const struct fdt_rsv_range *r = &info->reserved[i];
		print_range(out, r->base, r->size);
		fprintf(out, "  %s%s%s\n", fdt_mem_kind_name(r->kind), r->name ? "  " : "",
			r->name ? r->name : "");
	}
}

/* The description's warnings, one a line, and how many there were beyond those it kept. */
static void print_warnings(FILE *err, const char *path, const struct fdt_mem_info *info)
{
	unsigned int kept = info->nr_warnings < FDT_WARN_MAX ? info->nr_warnings : FDT_WARN_MAX;

	for (unsigned int i = 0; i < kept; i++)
		fprintf(err, "kmm-sim dt: warning: %s: %s\n", path, info->warnings[i]);
	if (info->nr_warnings > kept)
		fprintf(err, "kmm-sim dt: warning: %s: %u more warnings\n", path,
			info->nr_warnings - kept);
}

/* Parse, apply and print the blob at @path. */
static int show(const char *path, bool json, FILE *out, FILE *err)
{
	static struct fdt_mem_info info;
	static struct memblock mb;
	char msg[FDT_MEM_ERRLEN];
	size_t size;
	void *blob = read_file(err, path, &size);
	int rc = SIM_EXIT_OK;

	if (!blob)
		return SIM_EXIT_USAGE;
	memblock_init(&mb);
	if (fdt_mem_parse(blob, size, &info, msg, sizeof(msg))) {
		fprintf(err, "kmm-sim dt: %s: %s\n", path, msg);
		free(blob);
		return SIM_EXIT_USAGE;
	}
	print_warnings(err, path, &info);
	if (fdt_mem_apply(&info, &mb)) {
		fprintf(err, "kmm-sim dt: %s: memblock has no room for the description\n", path);
		rc = SIM_EXIT_FAIL;
	} else if (json) {
		print_json(out, &info, &mb);
	} else {
		print_text(out, &info, &mb);
	}
	free(blob); /* after printing: the reserved ranges' names point into it */
	return rc;
}

int cmd_dt(int argc, char **argv, FILE *out, FILE *err)
{
	bool json = false;
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_HELP:
			fputs(usage, out);
			return SIM_EXIT_OK;
		default:
			return sim_opt_error(err, "dt", c, argv, options);
		}
	}
	if (optind == argc)
		return sim_usage_error(err, "dt", "a .dtb file is required");
	if (optind + 1 < argc)
		return sim_usage_error(err, "dt", "unexpected argument '%s'", argv[optind + 1]);
	return show(argv[optind], json, out, err);
}

// SPDX-License-Identifier: MIT
/*
 * kmm-sim walk: translate VAs with the emulated MMU (hw/mmu.h) over raw physical-memory images,
 * such as the RAM dump of a kernel, with the translation registers given on the command line.
 */
#include "json.h"
#include "sim.h"

#include "hw/mmu.h"
#include "hw/ram.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] =
    "usage: kmm-sim walk --mem FILE@BASE [--mem FILE@BASE ...] --tcr X --ttbr0 X --ttbr1 X\n"
    "                    [--sctlr X] [--el 0|1] [--access read|write|exec] [--pa-bits N]\n"
    "                    [--pan] [--json] VA [VA ...]\n"
    "\n"
    "Translate each VA as the emulated MMU does (VMSAv8-64 stage 1, EL1&0 regime) over raw\n"
    "physical-memory images such as RAM dumps. Nothing is written: the images are mapped\n"
    "read-only and the walk makes no hardware updates. The CPU implements FEAT_HAFDBS and\n"
    "FEAT_E0PD, so a TCR.HA, HD or E0PDn the image's kernel set is honoured: the result is\n"
    "what the access sees. Output addresses are 48-bit (no FEAT_LPA/LPA2 formats).\n"
    "\n"
    "  --mem FILE@BASE  the bytes of FILE as RAM at physical address BASE (K/M/G suffixes\n"
    "                   allowed); repeat for more images, which must not overlap\n"
    "  --tcr X          TCR_EL1 (required)\n"
    "  --ttbr0 X        TTBR0_EL1 (required)\n"
    "  --ttbr1 X        TTBR1_EL1 (required)\n"
    "  --sctlr X        SCTLR_EL1 (default 0x1: MMU on; with M clear, PA = VA)\n"
    "  --el N           exception level of the access: 0 or 1 (default 1)\n"
    "  --access A       read, write or exec (default read)\n"
    "  --pa-bits N      the CPU's PA size: 32, 36, 40, 42, 44, 48 or 52 (default 48)\n"
    "  --pan            PSTATE.PAN set: EL1 reads and writes of EL0-accessible memory fault\n"
    "  --json           print a JSON array with one object per VA, in order:\n"
    "    {\"va\": \"0x...\", \"pa\": \"0x...\" or null, \"level\": N, \"size\": BYTES,\n"
    "     \"attrs\": {\"attrindx\": N, \"sh\": N, \"ap\": N, \"ng\": 0|1, \"af\": 0|1,\n"
    "               \"uxn\": 0|1, \"pxn\": 0|1, \"contig\": 0|1} or null,\n"
    "     \"fault\": null or {\"type\": TYPE, \"level\": N}}\n"
    "  --help           print this text\n"
    "\n"
    "Numbers are hex with 0x, or decimal. level is the leaf's level, or the fault's. size is\n"
    "the bytes the leaf maps (page or block) when a leaf descriptor was reached; else the bytes\n"
    "one entry of the faulting level maps, or 0 when the walk faulted before reading any\n"
    "descriptor (TnSZ out of range, VA outside both ranges, EPDn set, TTBR above the PA size)\n"
    "or the MMU is off. attrs are the leaf descriptor's fields as the image holds them, when\n"
    "a leaf was reached: on success and on access_flag and permission faults. Fault\n"
    "types: translation, access_flag, permission, address_size, and external_abort when a\n"
    "descriptor lies outside every image.\n";

enum {
	OPT_MEM = 256,
	OPT_TCR,
	OPT_TTBR0,
	OPT_TTBR1,
	OPT_SCTLR,
	OPT_EL,
	OPT_ACCESS,
	OPT_PA_BITS,
	OPT_PAN,
	OPT_JSON,
	OPT_HELP,
};

static const struct option options[] = {
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "tcr", required_argument, NULL, OPT_TCR },
	{ "ttbr0", required_argument, NULL, OPT_TTBR0 },
	{ "ttbr1", required_argument, NULL, OPT_TTBR1 },
	{ "sctlr", required_argument, NULL, OPT_SCTLR },
	{ "el", required_argument, NULL, OPT_EL },
	{ "access", required_argument, NULL, OPT_ACCESS },
	{ "pa-bits", required_argument, NULL, OPT_PA_BITS },
	{ "pan", no_argument, NULL, OPT_PAN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* Everything a walk needs, from the options. */
struct walk_cfg {
	struct hw_ram ram; /* the images; every region is a mapping of ours */
	struct mmu_regs regs;
	struct mmu_features feat;
	unsigned int el;
	enum mmu_access acc;
	bool json;
	bool have_tcr, have_ttbr0, have_ttbr1;
};

/* The outcome for one VA. */
struct walk_answer {
	vaddr_t va;
	struct mmu_result res;
	bool mmu_on;   /* SCTLR.M: else the translation is flat */
	bool leaf;     /* a leaf descriptor was reached: res.tr is valid */
	uint64_t size; /* as the usage text defines it */
};

#define GO_ON (-1) /* parse_options: the options are good, translate */

/* Map @path read-only; true with @buf and @size set, or a message on @err. */
static bool map_file(const char *path, void **buf, uint64_t *size, FILE *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(err, "kmm-sim walk: --mem: cannot open '%s': %s\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	*size = (uint64_t)st.st_size;
	*buf = MAP_FAILED;
	if (!S_ISREG(st.st_mode))
		fprintf(err, "kmm-sim walk: --mem: '%s' is not a regular file\n", path);
	else if (!st.st_size)
		fprintf(err, "kmm-sim walk: --mem: '%s' is empty\n", path);
	else if ((*buf = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED)
		fprintf(err, "kmm-sim walk: --mem: cannot map '%s': %s\n", path, strerror(errno));
	close(fd);
	return *buf != MAP_FAILED;
}

/* Add the image "FILE@BASE" of @spec to @ram; false with a message on @err. */
static bool add_image(struct hw_ram *ram, const char *spec, FILE *err)
{
	const char *at = strrchr(spec, '@');
	uint64_t base, size;
	void *buf;

	if (!at || at == spec) {
		sim_usage_error(err, "walk", "--mem: '%s' is not FILE@BASE", spec);
		return false;
	}
	if (!sim_arg_u64(err, "walk", "--mem BASE", at + 1, SIM_NUM_SUFFIX, &base))
		return false;
	char *path = strndup(spec, (size_t)(at - spec));
	if (!path) {
		fprintf(err, "kmm-sim walk: out of memory\n");
		return false;
	}
	bool ok = map_file(path, &buf, &size, err);
	if (ok && hw_ram_add_buffer(ram, base, buf, size)) {
		fprintf(err,
			"kmm-sim walk: --mem: '%s' at 0x%llx (%llu bytes) overlaps another image "
			"or runs past the top of the address space\n",
			path, (unsigned long long)base, (unsigned long long)size);
		munmap(buf, size);
		ok = false;
	}
	free(path);
	return ok;
}

static void unmap_images(struct hw_ram *ram)
{
	for (unsigned int i = 0; i < ram->nr; i++)
		munmap(ram->regions[i].mem, ram->regions[i].size);
	hw_ram_destroy(ram);
}

static bool parse_access(const char *s, enum mmu_access *acc, FILE *err)
{
	static const enum mmu_access all[] = { MMU_READ, MMU_WRITE, MMU_EXEC };

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (!strcmp(s, mmu_access_name(all[i]))) {
			*acc = all[i];
			return true;
		}
	}
	sim_usage_error(err, "walk", "--access: '%s' is not read, write or exec", s);
	return false;
}

static bool parse_pa_bits(const char *s, unsigned int *bits, FILE *err)
{
	if (!sim_arg_uint(err, "walk", "--pa-bits", s, 32, 52, bits))
		return false;
	if (tcr_ips_from_bits(*bits) < 0) {
		sim_usage_error(err, "walk", "--pa-bits: %u is not 32, 36, 40, 42, 44, 48 or 52",
				*bits);
		return false;
	}
	return true;
}

/* One option of getopt_long's; false on a bad value (reported). */
static bool take_option(struct walk_cfg *c, int opt, const char *arg, FILE *err)
{
	switch (opt) {
	case OPT_MEM:
		return add_image(&c->ram, arg, err);
	case OPT_TCR:
		return (c->have_tcr = sim_arg_u64(err, "walk", "--tcr", arg, 0, &c->regs.tcr));
	case OPT_TTBR0:
		return (c->have_ttbr0 =
			    sim_arg_u64(err, "walk", "--ttbr0", arg, 0, &c->regs.ttbr0));
	case OPT_TTBR1:
		return (c->have_ttbr1 =
			    sim_arg_u64(err, "walk", "--ttbr1", arg, 0, &c->regs.ttbr1));
	case OPT_SCTLR:
		return sim_arg_u64(err, "walk", "--sctlr", arg, 0, &c->regs.sctlr);
	case OPT_EL:
		return sim_arg_uint(err, "walk", "--el", arg, 0, 1, &c->el);
	case OPT_ACCESS:
		return parse_access(arg, &c->acc, err);
	case OPT_PA_BITS:
		return parse_pa_bits(arg, &c->feat.pa_bits, err);
	case OPT_PAN:
		c->regs.pan = true;
		return true;
	default: /* OPT_JSON */
		c->json = true;
		return true;
	}
}

/* Parse the options into @c: GO_ON, or the exit status (after --help or an error). */
static int parse_options(struct walk_cfg *c, int argc, char **argv, FILE *out, FILE *err)
{
	int opt;

	sim_getopt_reset();
	while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (opt == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		}
		if (opt < 256)
			return sim_opt_error(err, "walk", opt, argv, options);
		if (!take_option(c, opt, optarg, err))
			return SIM_EXIT_USAGE;
	}
	if (!c->ram.nr)
		return sim_usage_error(err, "walk", "--mem is required");
	if (!c->have_tcr || !c->have_ttbr0 || !c->have_ttbr1)
		return sim_usage_error(err, "walk", "%s is required",
				       !c->have_tcr	? "--tcr"
				       : !c->have_ttbr0 ? "--ttbr0"
							: "--ttbr1");
	if (optind == argc)
		return sim_usage_error(err, "walk", "no VA to translate");
	return GO_ON;
}

static void translate(struct walk_cfg *c, vaddr_t va, struct walk_answer *a)
{
	bool mmu_on = c->regs.sctlr & SCTLR_M;

	a->va = va;
	a->mmu_on = mmu_on;
	enum mmu_fault f =
	    mmu_translate(&c->ram, &c->regs, &c->feat, va, c->el, c->acc, false, &a->res);
	a->leaf = mmu_on &&
		  (f == MMU_FAULT_NONE || f == MMU_FAULT_ACCESS_FLAG || f == MMU_FAULT_PERMISSION);
	if (a->leaf)
		a->size = a->res.tr.size;
	else
		/* The bytes one entry of the faulting level maps, or 0 before any descriptor. */
		a->size = mmu_on && a->res.reads ? xlat_entry_size(&a->res.geom, a->res.level) : 0;
}

static void attrs_json(struct json *j, uint64_t desc)
{
	struct pte_attrs a;

	pte_attrs_decode(desc, &a);
	json_object_begin(j);
	json_kv_uint(j, "attrindx", a.attrindx);
	json_kv_uint(j, "sh", a.sh);
	json_kv_uint(j, "ap", a.ap);
	json_kv_uint(j, "ng", a.ng);
	json_kv_uint(j, "af", a.af);
	json_kv_uint(j, "uxn", a.uxn);
	json_kv_uint(j, "pxn", a.pxn);
	json_kv_uint(j, "contig", a.contig);
	json_object_end(j);
}

static void answer_json(struct json *j, const struct walk_answer *a)
{
	json_object_begin(j);
	json_kv_hex(j, "va", a->va);
	json_key(j, "pa");
	if (a->res.fault)
		json_null(j);
	else
		json_hex(j, a->res.pa);
	json_kv_uint(j, "level", a->res.level);
	json_kv_uint(j, "size", a->size);
	json_key(j, "attrs");
	if (a->leaf)
		attrs_json(j, a->res.tr.desc);
	else
		json_null(j);
	json_key(j, "fault");
	if (a->res.fault) {
		json_object_begin(j);
		json_kv_string(j, "type", mmu_fault_name(a->res.fault));
		json_kv_uint(j, "level", a->res.level);
		json_object_end(j);
	} else {
		json_null(j);
	}
	json_object_end(j);
}

/* " at level 3, 4K page: attrindx 1 sh 3 ..." for a leaf. */
static void leaf_text(FILE *out, const struct mmu_tr *tr)
{
	struct pte_attrs a;
	char size[24];

	pte_attrs_decode(tr->desc, &a);
	fprintf(out,
		" at level %u, %s %s: attrindx %u sh %u ap %u ng %u af %u uxn %u pxn %u contig %u",
		tr->level, sim_size_str(tr->size, size), tr->level == 3 ? "page" : "block",
		a.attrindx, a.sh, a.ap, a.ng, a.af, a.uxn, a.pxn, a.contig);
}

static void answer_text(FILE *out, const struct walk_answer *a)
{
	char size[24];

	fprintf(out, "0x%llx -> ", (unsigned long long)a->va);
	if (!a->res.fault)
		fprintf(out, "0x%llx", (unsigned long long)a->res.pa);
	else
		fprintf(out, "%s fault", mmu_fault_name(a->res.fault));
	if (!a->mmu_on)
		fprintf(out, " (MMU off: PA = VA)");
	else if (a->leaf)
		leaf_text(out, &a->res.tr);
	else if (a->size)
		fprintf(out, " at level %u (an entry there maps %s)", a->res.level,
			sim_size_str(a->size, size));
	else
		fprintf(out, " at level %u, before any descriptor was read", a->res.level);
	fputc('\n', out);
}

/* Parse every VA of @vas first (any bad one is a usage error), then translate and print. */
static int translate_all(struct walk_cfg *c, int n, char **vas, FILE *out, FILE *err)
{
	struct walk_answer *ans = calloc((size_t)n, sizeof(*ans));
	struct json j;

	if (!ans) {
		fprintf(err, "kmm-sim walk: out of memory\n");
		return SIM_EXIT_FAIL;
	}
	for (int i = 0; i < n; i++) {
		if (!sim_arg_u64(err, "walk", "VA", vas[i], 0, &ans[i].va)) {
			free(ans);
			return SIM_EXIT_USAGE;
		}
	}
	json_init(&j, out);
	if (c->json)
		json_array_begin(&j);
	for (int i = 0; i < n; i++) {
		translate(c, ans[i].va, &ans[i]);
		if (c->json)
			answer_json(&j, &ans[i]);
		else
			answer_text(out, &ans[i]);
	}
	if (c->json)
		json_array_end(&j);
	free(ans);
	return SIM_EXIT_OK;
}

int cmd_walk(int argc, char **argv, FILE *out, FILE *err)
{
	struct walk_cfg c = {
		.regs.sctlr = SCTLR_M,
		.feat = { .pa_bits = 48, .hafdbs = true, .e0pd = true },
		.el = 1,
		.acc = MMU_READ,
	};

	hw_ram_init(&c.ram);
	int rc = parse_options(&c, argc, argv, out, err);
	if (rc == GO_ON)
		rc = translate_all(&c, argc - optind, argv + optind, out, err);
	unmap_images(&c.ram);
	return rc;
}

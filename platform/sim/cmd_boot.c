// SPDX-License-Identifier: MIT
/*
 * kmm-sim boot: boot a simulated board's memory management and print the boot log — the memory
 * the device tree describes, the memblock dump, the virtual layout banner, the boot page tables
 * and Linux's "Memory:" line — then switch the simulated CPU's MMU on with the registers the
 * boot computed and check a few translations through it.
 */
#include "board.h"
#include "json.h"
#include "sim.h"

#include "arch/host/host.h"

#include <aarch64/sysreg.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim boot [--board virt|raspi3b] [--dtb FILE] [--mem SIZE] [--granule G]\n"
    "                    [--va-bits N] [--kasan] [--show VIEW,...] [--json]\n"
    "\n"
    "Boot a simulated board's memory management, as Linux's arm64 setup_arch and paging_init\n"
    "do (seeds 000-002): read memory from the device tree with libfdt into memblock, reserve\n"
    "the kernel image and the DTB, compute the kernel's virtual layout, build the boot page\n"
    "tables (Linux's early tables checked against EARLY_PAGES, then swapper_pg_dir with the\n"
    "image's sections and the linear map; ChCore's map on raspi3b), then turn the simulated\n"
    "CPU's MMU on with the resulting TCR/MAIR/TTBRs and check translations through it.\n"
    "\n"
    "  --board B     virt (QEMU -M virt: RAM at 0x40000000, the DTB of platform/sim/boards)\n"
    "                or raspi3b (seed 001's Raspberry Pi 3: RAM 0-0x3f000000, no DTB unless\n"
    "                given, ChCore's boot map at 0xffffff0000000000); default virt\n"
    "  --dtb FILE    boot with this device-tree blob instead\n"
    "  --mem SIZE    RAM size (K/M/G suffixes): rewrites the DTB's memory node\n"
    "  --granule G   4k (default), 16k or 64k\n"
    "  --va-bits N   kernel VA size (default 48)\n"
    "  --kasan       lay out a KASAN shadow region\n"
    "  --show VIEWS  after boot, print these /proc views in Linux's formats, comma-separated:\n"
    "                buddyinfo, pagetypeinfo, zoneinfo, meminfo, slabinfo, vmallocinfo\n"
    "                (4K granule only: the page allocator works in 4K pages)\n"
    "  --json        one JSON object: board, granule, va_bits, memory, reserved, layout,\n"
    "                page_tables, registers, memory_line, checks, log (and \"show\", the\n"
    "                views' text, with --show)\n"
    "  --help        print this text\n"
    "\n"
    "The kernel image is kmm-sim's own code: its section sizes come from the running\n"
    "executable. Exit status: 0, 1 if a check through the MMU failed, 2 bad input.\n";

enum {
	OPT_BOARD = 256,
	OPT_DTB,
	OPT_MEM,
	OPT_GRANULE,
	OPT_VA_BITS,
	OPT_KASAN,
	OPT_SHOW,
	OPT_JSON,
	OPT_HELP
};

static const struct option options[] = {
	{ "board", required_argument, NULL, OPT_BOARD },
	{ "dtb", required_argument, NULL, OPT_DTB },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "granule", required_argument, NULL, OPT_GRANULE },
	{ "va-bits", required_argument, NULL, OPT_VA_BITS },
	{ "kasan", no_argument, NULL, OPT_KASAN },
	{ "show", required_argument, NULL, OPT_SHOW },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* One translation checked through the CPU once the MMU is on. */
struct check {
	const char *what;
	vaddr_t va;
	enum mmu_access acc;
	paddr_t expect_pa;
	enum mmu_fault expect_fault;
	struct hw_access got;
	bool ok;
};

#define CHECKS_MAX 10

static struct check chk(const char *what, vaddr_t va, enum mmu_access acc, paddr_t pa,
			enum mmu_fault fault)
{
	return (struct check){
		.what = what, .va = va, .acc = acc, .expect_pa = pa, .expect_fault = fault
	};
}

static unsigned int plan_checks(const struct sim_boot *sb, struct check *c)
{
	const struct boot_mm *bm = &sb->mm;
	const struct boot_params *bp = &sb->params;
	const struct boot_region *mmio = &bp->mmio[0];
	paddr_t dram = memblock_start_of_DRAM(&bm->memblock);
	unsigned int n = 0;

	if (bp->style == BOOT_STYLE_CHCORE) {
		vaddr_t hi = bp->chcore_base;
		c[n++] = chk("kernel text, high map", hi + bp->image.phys, MMU_EXEC, bp->image.phys,
			     MMU_FAULT_NONE);
		c[n++] = chk("kernel text, identity map", bp->image.phys, MMU_EXEC, bp->image.phys,
			     MMU_FAULT_NONE);
		c[n++] =
		    chk("MMIO, high map", hi + mmio->base, MMU_WRITE, mmio->base, MMU_FAULT_NONE);
		c[n++] =
		    chk("above the map", hi + 0x80000000ULL, MMU_READ, 0, MMU_FAULT_TRANSLATION);
		return n;
	}
	c[n++] = chk("_text", bm->image.text.start, MMU_EXEC, bp->image.phys, MMU_FAULT_NONE);
	c[n++] = chk("write to _text", bm->image.text.start, MMU_WRITE, 0, MMU_FAULT_PERMISSION);
	c[n++] = chk("exec of .data", bm->image.data.start, MMU_EXEC, 0, MMU_FAULT_PERMISSION);
	c[n++] = chk("linear map, start of DRAM", bm->layout.page_offset + (dram - bm->phys_offset),
		     MMU_WRITE, dram, MMU_FAULT_NONE);
	c[n++] =
	    chk("identity map of _text", bp->image.phys, MMU_EXEC, bp->image.phys, MMU_FAULT_NONE);
	c[n++] = chk("MMIO, identity map", mmio->base + mmio->size / 2, MMU_WRITE,
		     mmio->base + mmio->size / 2, MMU_FAULT_NONE);
	if (bp->slab) {
		/* A kmalloc'd object, through the MMU at its linear-map address. */
		void *obj = kmalloc(64, GFP_KERNEL);
		paddr_t pa = obj ? arch_virt_to_phys(obj) : ARCH_PHYS_NONE;
		if (pa != ARCH_PHYS_NONE)
			c[n++] = chk("kmalloc(64), linear map",
				     bm->layout.page_offset + (pa - bm->phys_offset), MMU_WRITE, pa,
				     MMU_FAULT_NONE);
	}
	if (bp->vmalloc) {
		/* A vmalloc'd page, through the MMU: the page the area holds. */
		vaddr_t v = (vaddr_t)vmalloc(2 * PAGE_SIZE);
		struct page *pg = v ? vmalloc_to_page((void *)(v + PAGE_SIZE)) : NULL;
		if (pg)
			c[n++] = chk("vmalloc'd page", v + PAGE_SIZE + 8, MMU_WRITE,
				     PFN_PHYS(page_to_pfn(pg)) + 8, MMU_FAULT_NONE);
	}
	c[n++] = chk("vmalloc (nothing yet)", bm->layout.vmalloc_end - 0x100000, MMU_READ, 0,
		     MMU_FAULT_TRANSLATION);
	return n;
}

static bool run_checks(struct sim_boot *sb, struct check *c, unsigned int n)
{
	bool all = true;

	for (unsigned int i = 0; i < n; i++) {
		enum mmu_fault f =
		    hw_cpu_translate(&sb->machine.cpus[0], c[i].va, c[i].acc, &c[i].got);
		c[i].ok = f == c[i].expect_fault && (f || c[i].got.pa == c[i].expect_pa);
		all &= c[i].ok;
	}
	return all;
}

static void print_checks(FILE *out, const struct sim_boot *sb, const struct check *c,
			 unsigned int n)
{
	const struct boot_mm *bm = &sb->mm;

	fprintf(out, "MMU on: SCTLR_EL1 0x%llx TCR_EL1 0x%llx MAIR_EL1 0x%llx\n",
		(unsigned long long)bm->sctlr, (unsigned long long)bm->tcr,
		(unsigned long long)bm->mair);
	fprintf(out, "        TTBR0_EL1 0x%llx TTBR1_EL1 0x%llx\n", (unsigned long long)bm->ttbr0,
		(unsigned long long)bm->ttbr1);
	for (unsigned int i = 0; i < n; i++) {
		fprintf(out, "  %-28s %-5s 0x%016llx -> ", c[i].what, mmu_access_name(c[i].acc),
			(unsigned long long)c[i].va);
		if (c[i].got.fault)
			fprintf(out, "%s fault, level %u", mmu_fault_name(c[i].got.fault),
				c[i].got.level);
		else
			fprintf(out, "0x%llx, level %u", (unsigned long long)c[i].got.pa,
				c[i].got.level);
		fprintf(out, "  %s\n", c[i].ok ? "ok" : "UNEXPECTED");
	}
}

static void json_regions(struct json *j, const char *key, const struct memblock_type *t)
{
	json_key(j, key);
	json_array_begin(j);
	for (unsigned long i = 0; i < t->cnt; i++) {
		const struct memblock_region *r = &t->regions[i];
		json_object_begin(j);
		json_kv_hex(j, "base", r->base);
		json_kv_hex(j, "size", r->size);
		json_key(j, "node");
		if (r->nid < 0)
			json_null(j);
		else
			json_uint(j, (uint64_t)r->nid);
		json_kv_uint(j, "flags", r->flags);
		json_object_end(j);
	}
	json_array_end(j);
}

static void print_json(FILE *out, const struct sim_boot *sb, const char *log, const struct check *c,
		       unsigned int n, const char *views)
{
	const struct boot_mm *bm = &sb->mm;
	struct kernel_region regs[KERNEL_LAYOUT_REGIONS_MAX];
	size_t nr = kernel_layout_regions(&bm->layout, regs);
	const struct kernel_image *ki = &bm->image;
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_string(&j, "board", sb->board->name);
	json_kv_uint(&j, "granule", sb->params.granule);
	json_kv_uint(&j, "va_bits", sb->params.va_bits);
	json_kv_string(&j, "style", sb->params.style == BOOT_STYLE_CHCORE ? "chcore" : "linux");
	json_regions(&j, "memory", &bm->memblock.memory);
	json_regions(&j, "reserved", &bm->memblock.reserved);
	json_key(&j, "layout");
	json_array_begin(&j);
	for (size_t i = 0; i < nr; i++) {
		json_object_begin(&j);
		json_kv_string(&j, "name", regs[i].name);
		json_kv_hex(&j, "start", regs[i].start);
		json_kv_hex(&j, "end", regs[i].end);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_key(&j, "page_tables");
	json_object_begin(&j);
	json_kv_uint(&j, "ttbr0", bm->idmap.table_pages);
	json_kv_uint(&j, "ttbr1", bm->swapper.table_pages);
	json_kv_uint(&j, "early_kimage", bm->kimage_tables);
	json_kv_uint(&j, "early_pages", bm->kimage_budget);
	json_kv_uint(&j, "early_idmap", bm->idmap_tables);
	json_kv_uint(&j, "init_idmap_dir_pages", bm->idmap_budget);
	json_kv_uint(&j, "linear", bm->linear_tables);
	json_object_end(&j);
	json_key(&j, "registers");
	json_object_begin(&j);
	json_kv_hex(&j, "sctlr", bm->sctlr);
	json_kv_hex(&j, "tcr", bm->tcr);
	json_kv_hex(&j, "mair", bm->mair);
	json_kv_hex(&j, "ttbr0", bm->ttbr0);
	json_kv_hex(&j, "ttbr1", bm->ttbr1);
	json_object_end(&j);
	json_key(&j, "memory_line");
	json_object_begin(&j);
	json_kv_uint(&j, "available_k", bm->available >> 10);
	json_kv_uint(&j, "total_k", bm->phys_total >> 10);
	json_kv_uint(&j, "kernel_code_k", (ki->text.end - ki->text.start) >> 10);
	json_kv_uint(&j, "rwdata_k", (ki->data.end - ki->data.start) >> 10);
	json_kv_uint(&j, "rodata_k", (ki->rodata.end - ki->rodata.start) >> 10);
	json_kv_uint(&j, "init_k", (ki->init.end - ki->init.start) >> 10);
	json_kv_uint(&j, "bss_k", (ki->bss.end - ki->bss.start) >> 10);
	json_kv_uint(&j, "reserved_k", (bm->phys_total - bm->available) >> 10);
	json_object_end(&j);
	json_key(&j, "checks");
	json_array_begin(&j);
	for (unsigned int i = 0; i < n; i++) {
		json_object_begin(&j);
		json_kv_string(&j, "what", c[i].what);
		json_kv_hex(&j, "va", c[i].va);
		json_kv_string(&j, "access", mmu_access_name(c[i].acc));
		json_key(&j, "pa");
		if (c[i].got.fault)
			json_null(&j);
		else
			json_hex(&j, c[i].got.pa);
		json_kv_string(&j, "fault", mmu_fault_name(c[i].got.fault));
		json_kv_bool(&j, "ok", c[i].ok);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_kv_string(&j, "log", log);
	if (views)
		json_kv_string(&j, "show", views);
	json_object_end(&j);
}

static void show_vmalloc(const struct mem_system *ms)
{
	(void)ms;
	show_vmallocinfo();
}

static void show_slab(const struct mem_system *ms)
{
	(void)ms;
	show_slabinfo(&slab_default_system);
}

static const struct {
	const char *name;
	unsigned int bit;
	void (*show)(const struct mem_system *ms);
} views[] = {
	{ "buddyinfo", SIM_SHOW_BUDDYINFO, show_buddyinfo },
	{ "pagetypeinfo", SIM_SHOW_PAGETYPEINFO, show_pagetypeinfo },
	{ "zoneinfo", SIM_SHOW_ZONEINFO, show_zoneinfo },
	{ "meminfo", SIM_SHOW_MEMINFO, show_meminfo },
	{ "slabinfo", SIM_SHOW_SLABINFO, show_slab },
	{ "vmallocinfo", SIM_SHOW_VMALLOCINFO, show_vmalloc },
};

/* "buddyinfo,zoneinfo" into SIM_SHOW_* bits; false (reported) for an unknown name. */
static bool parse_views(const char *arg, unsigned int *show, FILE *err)
{
	const char *p = arg;

	while (*p) {
		size_t n = strcspn(p, ","), i;
		for (i = 0; i < ARRAY_SIZE(views); i++)
			if (strlen(views[i].name) == n && !strncmp(p, views[i].name, n))
				break;
		if (i == ARRAY_SIZE(views)) {
			sim_usage_error(
			    err, "boot",
			    "--show: '%.*s' is not buddyinfo, pagetypeinfo, zoneinfo or "
			    "meminfo",
			    (int)n, p);
			return false;
		}
		*show |= views[i].bit;
		p += n + (p[n] == ',');
	}
	return *show != 0 || (sim_usage_error(err, "boot", "--show: no view named"), false);
}

/* The views of @show, in the order of the list, through printk to @f. */
static void print_views(FILE *f, unsigned int show)
{
	FILE *old = host_console_set(f);

	for (size_t i = 0; i < ARRAY_SIZE(views); i++)
		if (show & views[i].bit)
			views[i].show(&mm_default_system);
	host_console_set(old);
}

static int parse(int argc, char **argv, struct sim_boot_opts *o, bool *json, FILE *out, FILE *err)
{
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_BOARD:
			o->board = optarg;
			break;
		case OPT_DTB:
			o->dtb_file = optarg;
			break;
		case OPT_MEM:
			if (!sim_arg_u64(err, "boot", "--mem", optarg, SIM_NUM_SUFFIX, &o->mem))
				return SIM_EXIT_USAGE;
			if (!o->mem || o->mem & 0xfff)
				return sim_usage_error(err, "boot",
						       "--mem: '%s' is not a whole "
						       "number of 4K pages",
						       optarg);
			break;
		case OPT_GRANULE:
			if (!sim_arg_granule(err, "boot", optarg, &o->granule))
				return SIM_EXIT_USAGE;
			break;
		case OPT_VA_BITS:
			if (!sim_arg_uint(err, "boot", "--va-bits", optarg, XLAT_VA_BITS_MIN,
					  XLAT_VA_BITS_MAX, &o->va_bits))
				return SIM_EXIT_USAGE;
			break;
		case OPT_KASAN:
			o->kasan = true;
			break;
		case OPT_SHOW:
			if (!parse_views(optarg, &o->show, err))
				return SIM_EXIT_USAGE;
			break;
		case OPT_JSON:
			*json = true;
			break;
		case OPT_HELP:
			fputs(usage, out);
			return -1;
		default:
			return sim_opt_error(err, "boot", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "boot", "unexpected argument '%s'", argv[optind]);
	if (o->show && o->granule != PAGE_SIZE)
		return sim_usage_error(err, "boot",
				       "--show needs the 4k granule (the page "
				       "allocator works in 4K pages)");
	return SIM_EXIT_OK;
}

int cmd_boot(int argc, char **argv, FILE *out, FILE *err)
{
	struct sim_boot_opts o = { .board = "virt", .granule = 4096, .va_bits = 48 };
	bool json = false;
	int rc = parse(argc, argv, &o, &json, out, err);

	if (rc)
		return rc < 0 ? SIM_EXIT_OK : rc;

	struct sim_boot *sb = calloc(1, sizeof(*sb)); /* memblock's arrays make it large */
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf = json ? open_memstream(&log, &loglen) : out;
	if (!sb || !logf) {
		free(sb);
		return SIM_EXIT_FAIL;
	}
	rc = sim_boot(sb, &o, logf, err);
	if (json)
		fclose(logf);
	if (rc == SIM_EXIT_OK) {
		struct check checks[CHECKS_MAX];
		unsigned int n = plan_checks(sb, checks);
		rc = run_checks(sb, checks, n) ? SIM_EXIT_OK : SIM_EXIT_FAIL;
		char *vtext = NULL;
		size_t vlen = 0;
		if (json && o.show) {
			FILE *vf = open_memstream(&vtext, &vlen);
			if (vf) {
				print_views(vf, o.show);
				fclose(vf);
			}
		}
		if (json) {
			print_json(out, sb, log ? log : "", checks, n, vtext);
		} else {
			print_checks(out, sb, checks, n);
			if (o.show)
				print_views(out, o.show);
		}
		free(vtext);
	}
	sim_boot_release(sb);
	free(sb);
	free(log);
	return rc;
}

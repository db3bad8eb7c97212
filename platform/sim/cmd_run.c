// SPDX-License-Identifier: MIT
/*
 * kmm-sim run: boot the default board as far as kmm gets. No kernel boot code exists yet, so for
 * now this is the hardware-model demo: the Raspberry Pi 3 of ChCore's lab 2 (1 CPU, 1 GiB of RAM
 * at 0), the lab's boot page tables built in that RAM with the descriptor encoders, the
 * translation registers set as the boot code would, and a few accesses through the CPU's TLB.
 * The table building here is to be replaced by the real boot code.
 */
#include "json.h"
#include "sim.h"

#include "hw/cpu.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim run [--json]\n"
    "\n"
    "Boot the default board. The kmm boot sequence is not implemented yet: for now this is the\n"
    "hardware-model demo. On the Raspberry Pi 3 of ChCore's lab 2 (1 CPU, 1 GiB of RAM at 0) it\n"
    "builds the lab's boot page tables in RAM (4K granule, 48-bit VAs; TTBR0 maps PA 0x0 to\n"
    "0x80000000 to itself, TTBR1 at 0xffffff0000000000 + PA; Normal memory up to 0x3f000000 and\n"
    "Device-nGnRnE to 0x40000000 in 2M blocks, Device-nGnRnE 0x40000000-0x80000000 as one 1G\n"
    "block), sets MAIR, TCR, TTBR0, TTBR1 and SCTLR, translates a few VAs through the CPU's\n"
    "TLB, writes a word through the high map and reads it back through the identity map, and\n"
    "prints the registers, each translation and the TLB's counters.\n"
    "\n"
    "  --json   print the same as one JSON object with the keys note, board, page_tables,\n"
    "           registers, translations, memory and tlb\n"
    "  --help   print this text\n"
    "\n"
    "Exit status 1 if the word read back is not the word written.\n";

static const char note[] = "the kmm boot sequence is not implemented yet; this is the "
			   "hardware-model demo";

enum { OPT_JSON = 256, OPT_HELP };

static const struct option options[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* The board: BCM2837 physical map (ChCore lab 2; BCM2836 peripherals datasheet). */
#define RAM_SIZE (1ULL << 30)
#define PERIPH_BASE 0x3f000000ULL	/* shared peripherals, to LOCAL_BASE */
#define LOCAL_BASE 0x40000000ULL	/* per-core local peripherals */
#define MAP_END 0x80000000ULL		/* the boot tables map [0, MAP_END) */
#define UART_PA 0x3f215040ULL		/* mini UART data register (AUX_MU_IO_REG) */
#define IMAGE_PA 0x80000ULL		/* where the firmware loads the kernel image */
#define DATA_PA 0x90000ULL		/* a word of the image's data, for the memory demo */
#define KERNEL_VA 0xffffff0000000000ULL /* ChCore's KBASE: the high map is KERNEL_VA + PA */
#define PT_BASE 0x10000ULL		/* the boot page tables: pages below the image */
#define SZ_2M (2ULL << 20)

/* MAIR_EL1 attribute indices of the boot map. */
#define MT_DEVICE_nGnRnE 0
#define MT_NORMAL 1

static const struct pte_attrs normal_attrs = {
	.attrindx = MT_NORMAL,
	.sh = SH_INNER,
	.ap = AP_RW_EL1,
	.af = true,
};
/* Device memory: execute-never, as only that stops speculative instruction fetches from it, and
 * Outer Shareable, as the architecture treats it whatever SH says (ARM ARM B2.7.2). */
static const struct pte_attrs device_attrs = {
	.attrindx = MT_DEVICE_nGnRnE,
	.sh = SH_OUTER,
	.ap = AP_RW_EL1,
	.af = true,
	.pxn = true,
	.uxn = true,
};

/* The boot page tables under construction: 4K pages handed out from PT_BASE up. */
struct boot_pt {
	struct hw_ram *ram;
	struct xlat_geometry g;
	paddr_t next;
	unsigned int pages;
};

/* A new table: RAM from hw_ram_add is zeroed, so every entry is invalid. */
static paddr_t pt_page(struct boot_pt *pt)
{
	paddr_t table = pt->next;

	pt->next += xlat_granule_size(&pt->g);
	pt->pages++;
	return table;
}

/* Write @desc into the entry of @table (at @level) that translates @va. */
static void pt_set(struct boot_pt *pt, paddr_t table, unsigned int level, vaddr_t va, uint64_t desc)
{
	hw_ram_write64(pt->ram, table + 8ULL * xlat_index(&pt->g, level, va), desc);
}

/* Map PA [0, MAP_END) at VA @base + PA under the level-0 table @l0 (ARM ARM D8.3). */
static void map_board(struct boot_pt *pt, paddr_t l0, vaddr_t base)
{
	static const struct table_attrs inherit = { 0 };
	paddr_t l1 = pt_page(pt), l2 = pt_page(pt);

	pt_set(pt, l0, 0, base, desc_make_table(&pt->g, l1, &inherit));
	pt_set(pt, l1, 1, base, desc_make_table(&pt->g, l2, &inherit));
	for (paddr_t pa = 0; pa < LOCAL_BASE; pa += SZ_2M) {
		const struct pte_attrs *a = pa < PERIPH_BASE ? &normal_attrs : &device_attrs;
		pt_set(pt, l2, 2, base + pa, desc_make_block(&pt->g, 2, pa, a));
	}
	pt_set(pt, l1, 1, base + LOCAL_BASE, desc_make_block(&pt->g, 1, LOCAL_BASE, &device_attrs));
}

/* Build both maps and the registers that use them, as the boot code does before enabling the
 * MMU: 48-bit VAs (TnSZ 16), 4K granules, write-back inner-shareable walks. */
static void build_boot_map(struct hw_ram *ram, struct boot_pt *pt, struct mmu_regs *r)
{
	struct tcr_fields f = { .ips = (unsigned int)tcr_ips_from_bits(48) };

	*pt = (struct boot_pt){ .ram = ram, .next = PT_BASE };
	xlat_geometry_init(&pt->g, 4096, 48);
	paddr_t l0_lo = pt_page(pt), l0_hi = pt_page(pt);
	map_board(pt, l0_lo, 0);
	map_board(pt, l0_hi, KERNEL_VA);

	for (int h = 0; h < 2; h++)
		f.half[h] = (struct tcr_half){ .tsz = 16,
					       .granule = 4096,
					       .irgn = TCR_RGN_WBWA,
					       .orgn = TCR_RGN_WBWA,
					       .sh = SH_INNER };
	*r = (struct mmu_regs){
		.sctlr = SCTLR_M | SCTLR_C | SCTLR_I,
		.tcr = tcr_encode(&f),
		.ttbr0 = ttbr_make(l0_lo, 0, false),
		.ttbr1 = ttbr_make(l0_hi, 0, false),
		.mair = MAIR_ATTR(MAIR_DEVICE_nGnRnE, MT_DEVICE_nGnRnE) |
			MAIR_ATTR(MAIR_NORMAL_WB, MT_NORMAL),
	};
}

/* The VAs the demo translates. */
struct probe {
	const char *what;
	vaddr_t va;
	unsigned int el;
	enum mmu_access acc;
};

static const struct probe probes[] = {
	{ "kernel text", KERNEL_VA + IMAGE_PA, 1, MMU_EXEC },
	{ "kernel text, identity map", IMAGE_PA, 1, MMU_READ },
	{ "mini UART", KERNEL_VA + UART_PA, 1, MMU_READ },
	{ "local peripherals", KERNEL_VA + LOCAL_BASE, 1, MMU_READ },
	{ "beyond the map", KERNEL_VA + MAP_END, 1, MMU_READ },
	{ "EL0 read of kernel memory", IMAGE_PA, 0, MMU_READ },
};

struct probe_result {
	struct hw_access hw;  /* through the CPU and its TLB */
	struct mmu_result tr; /* the same translation from the MMU alone, for its leaf */
};

/* Everything the report shows. */
struct run_report {
	struct hw_machine m;
	struct boot_pt pt;
	struct probe_result res[ARRAY_SIZE(probes)];
	uint64_t written, read;
	struct hw_access wr, rd;
};

static void run_probe(struct hw_cpu *cpu, const struct probe *p, struct probe_result *r)
{
	struct hw_machine *m = cpu->machine;

	cpu->el = p->el;
	hw_cpu_translate(cpu, p->va, p->acc, &r->hw);
	mmu_translate(&m->ram, &cpu->regs, &m->feat, p->va, p->el, p->acc, false, &r->tr);
	cpu->el = 1;
}

/* Write a word at EL1 through the high map and read it back through the identity map. */
static void run_memory(struct hw_cpu *cpu, struct run_report *rep)
{
	rep->written = 0x216d69732d6d6d6bULL; /* "kmm-sim!" */
	rep->read = 0;
	if (!hw_cpu_write(cpu, KERNEL_VA + DATA_PA, &rep->written, 8, &rep->wr))
		hw_cpu_read(cpu, DATA_PA, &rep->read, 8, &rep->rd);
}

/* The MAIR attribute a successful probe's leaf selects. */
static uint8_t probe_memtype(const struct run_report *rep, const struct probe_result *r)
{
	unsigned int idx = (unsigned int)FIELD_GET(PTE_ATTRINDX_MASK, r->tr.tr.desc);

	return MAIR_ATTR_GET(rep->m.cpus[0].regs.mair, idx);
}

static bool memory_ok(const struct run_report *rep)
{
	return !rep->wr.fault && !rep->rd.fault && rep->read == rep->written;
}

static void text_registers(FILE *out, const struct mmu_regs *r)
{
	struct tcr_fields f;

	tcr_decode(r->tcr, &f);
	fprintf(out, "registers\n");
	fprintf(out, "  SCTLR_EL1  0x%016llx  M C I: MMU and caches on\n",
		(unsigned long long)r->sctlr);
	fprintf(out,
		"  TCR_EL1    0x%016llx  T0SZ %u, T1SZ %u, TG0 %lluK, TG1 %lluK, IPS %u bits\n",
		(unsigned long long)r->tcr, f.half[0].tsz, f.half[1].tsz,
		(unsigned long long)f.half[0].granule >> 10,
		(unsigned long long)f.half[1].granule >> 10, tcr_ips_bits(f.ips));
	fprintf(out, "  MAIR_EL1   0x%016llx  attr%u %s, attr%u %s\n", (unsigned long long)r->mair,
		MT_DEVICE_nGnRnE, mair_attr_name(MAIR_ATTR_GET(r->mair, MT_DEVICE_nGnRnE)),
		MT_NORMAL, mair_attr_name(MAIR_ATTR_GET(r->mair, MT_NORMAL)));
	fprintf(out, "  TTBR0_EL1  0x%016llx  identity map\n", (unsigned long long)r->ttbr0);
	fprintf(out, "  TTBR1_EL1  0x%016llx  high map at 0x%llx + PA\n\n",
		(unsigned long long)r->ttbr1, KERNEL_VA);
}

static void text_probe(FILE *out, const struct run_report *rep, size_t i)
{
	const struct probe *p = &probes[i];
	const struct probe_result *r = &rep->res[i];
	char size[24];

	fprintf(out, "  %-26s EL%u %-5s 0x%llx -> ", p->what, p->el, mmu_access_name(p->acc),
		(unsigned long long)p->va);
	if (r->hw.fault)
		fprintf(out, "%s fault at level %u", mmu_fault_name(r->hw.fault), r->hw.level);
	else
		fprintf(out, "0x%llx, level %u, %s block, %s", (unsigned long long)r->hw.pa,
			r->hw.level, sim_size_str(r->tr.tr.size, size),
			mair_attr_name(probe_memtype(rep, r)));
	fprintf(out, " (TLB %s)\n", r->hw.tlb_hit ? "hit" : "miss");
}

static void print_text(FILE *out, const struct run_report *rep)
{
	const struct tlb_stats *s = &rep->m.cpus[0].tlb.stats;

	fprintf(out, "kmm-sim run: %s.\n\n", note);
	fprintf(out, "board      Raspberry Pi 3 (ChCore lab 2): 1 CPU, 1G of RAM at 0x0\n");
	fprintf(out,
		"tables     %u pages at 0x%llx: TTBR0 identity map and TTBR1 high map of PA\n"
		"           0x0-0x%llx: Normal-WB to 0x%llx and Device-nGnRnE to 0x%llx in 2M\n"
		"           blocks, Device-nGnRnE 0x%llx-0x%llx as one 1G block\n\n",
		rep->pt.pages, PT_BASE, MAP_END, PERIPH_BASE, LOCAL_BASE, LOCAL_BASE, MAP_END);
	text_registers(out, &rep->m.cpus[0].regs);
	fprintf(out, "translations\n");
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		text_probe(out, rep, i);
	fprintf(out, "\nmemory\n  EL1 write 0x%llx at 0x%llx: %s\n",
		(unsigned long long)rep->written, KERNEL_VA + DATA_PA,
		rep->wr.fault ? mmu_fault_name(rep->wr.fault) : "done");
	fprintf(out, "  EL1 read at 0x%llx (identity map): 0x%llx, %s\n\n", DATA_PA,
		(unsigned long long)rep->read,
		memory_ok(rep) ? "the same word" : "NOT the word written");
	fprintf(
	    out,
	    "TLB of CPU 0: %llu hits, %llu misses, %llu walks (%llu resumed from the walk cache), "
	    "%llu descriptor reads\n",
	    (unsigned long long)s->hits, (unsigned long long)s->misses,
	    (unsigned long long)s->walks, (unsigned long long)s->walk_cache_hits,
	    (unsigned long long)s->reads);
}

static void json_fault(struct json *j, const struct hw_access *a)
{
	json_key(j, "fault");
	if (!a->fault) {
		json_null(j);
		return;
	}
	json_object_begin(j);
	json_kv_string(j, "type", mmu_fault_name(a->fault));
	json_kv_uint(j, "level", a->level);
	json_object_end(j);
}

static void json_probe(struct json *j, const struct run_report *rep, size_t i)
{
	const struct probe_result *r = &rep->res[i];
	bool ok = !r->hw.fault;

	json_object_begin(j);
	json_kv_string(j, "what", probes[i].what);
	json_kv_hex(j, "va", probes[i].va);
	json_kv_uint(j, "el", probes[i].el);
	json_kv_string(j, "access", mmu_access_name(probes[i].acc));
	json_key(j, "pa");
	if (ok)
		json_hex(j, r->hw.pa);
	else
		json_null(j);
	json_kv_uint(j, "level", r->hw.level);
	json_kv_uint(j, "size", ok ? r->tr.tr.size : 0);
	json_key(j, "memtype");
	if (ok)
		json_string(j, mair_attr_name(probe_memtype(rep, r)));
	else
		json_null(j);
	json_kv_bool(j, "tlb_hit", r->hw.tlb_hit);
	json_fault(j, &r->hw);
	json_object_end(j);
}

static void json_registers(struct json *j, const struct mmu_regs *r)
{
	json_key(j, "registers");
	json_object_begin(j);
	json_kv_hex(j, "sctlr", r->sctlr);
	json_kv_hex(j, "tcr", r->tcr);
	json_kv_hex(j, "mair", r->mair);
	json_kv_hex(j, "ttbr0", r->ttbr0);
	json_kv_hex(j, "ttbr1", r->ttbr1);
	json_object_end(j);
}

static void json_memory(struct json *j, const struct run_report *rep)
{
	json_key(j, "memory");
	json_object_begin(j);
	json_kv_hex(j, "write_va", KERNEL_VA + DATA_PA);
	json_kv_hex(j, "read_va", DATA_PA);
	json_kv_hex(j, "written", rep->written);
	json_kv_hex(j, "read", rep->read);
	json_kv_bool(j, "same", memory_ok(rep));
	json_fault(j, rep->wr.fault ? &rep->wr : &rep->rd);
	json_object_end(j);
}

static void json_tlb(struct json *j, const struct tlb_stats *s)
{
	json_key(j, "tlb");
	json_object_begin(j);
	json_kv_uint(j, "hits", s->hits);
	json_kv_uint(j, "misses", s->misses);
	json_kv_uint(j, "walks", s->walks);
	json_kv_uint(j, "walk_cache_hits", s->walk_cache_hits);
	json_kv_uint(j, "reads", s->reads);
	json_object_end(j);
}

static void print_json(FILE *out, const struct run_report *rep)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_string(&j, "note", note);
	json_key(&j, "board");
	json_object_begin(&j);
	json_kv_string(&j, "name", "raspi3b");
	json_kv_uint(&j, "cpus", rep->m.ncpus);
	json_kv_hex(&j, "ram_base", 0);
	json_kv_uint(&j, "ram_size", hw_ram_total(&rep->m.ram));
	json_object_end(&j);
	json_key(&j, "page_tables");
	json_object_begin(&j);
	json_kv_hex(&j, "base", PT_BASE);
	json_kv_uint(&j, "pages", rep->pt.pages);
	json_kv_hex(&j, "kernel_va", KERNEL_VA);
	json_object_end(&j);
	json_registers(&j, &rep->m.cpus[0].regs);
	json_key(&j, "translations");
	json_array_begin(&j);
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		json_probe(&j, rep, i);
	json_array_end(&j);
	json_memory(&j, rep);
	json_tlb(&j, &rep->m.cpus[0].tlb.stats);
	json_object_end(&j);
}

/* Set up the machine and run the demo into @rep; 0 or a negative errno. */
static int run_demo(struct run_report *rep)
{
	const struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	const struct mmu_features feat = MMU_FEATURES_DEFAULT;

	int err = hw_machine_init(&rep->m, 1, &tlb, &feat);
	if (err)
		return err;
	err = hw_ram_add(&rep->m.ram, 0, RAM_SIZE);
	if (err) {
		hw_machine_destroy(&rep->m);
		return err;
	}
	struct hw_cpu *cpu = &rep->m.cpus[0];
	build_boot_map(&rep->m.ram, &rep->pt, &cpu->regs);
	cpu->el = 1;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++)
		run_probe(cpu, &probes[i], &rep->res[i]);
	run_memory(cpu, rep);
	return 0;
}

int cmd_run(int argc, char **argv, FILE *out, FILE *err)
{
	struct run_report rep;
	bool json = false;
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		}
		if (c != OPT_JSON)
			return sim_opt_error(err, "run", c, argv, options);
		json = true;
	}
	if (optind < argc)
		return sim_usage_error(err, "run", "unexpected argument '%s'", argv[optind]);

	int e = run_demo(&rep);
	if (e) {
		fprintf(err, "kmm-sim run: cannot set up the machine: %s\n", strerror(-e));
		return SIM_EXIT_FAIL;
	}
	if (json)
		print_json(out, &rep);
	else
		print_text(out, &rep);
	hw_machine_destroy(&rep.m);
	return memory_ok(&rep) ? SIM_EXIT_OK : SIM_EXIT_FAIL;
}

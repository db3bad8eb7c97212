// SPDX-License-Identifier: MIT
/*
 * The simulated boards and their boot: build the emulated machine the DTB describes, place the
 * DTB in its RAM as firmware would, and hand over to the kernel's boot (mm/setup.c).
 */
#include "board.h"

#include "arch/host/host.h"
#include "sim.h"

#include <kmm/errno.h>
#include <kmm/mm.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>
#include <libfdt.h>

#include <stdlib.h>
#include <string.h>

extern const unsigned char board_dtb_virt[];
extern const size_t board_dtb_virt_size;

#define SZ_1M (1ULL << 20)
#define SZ_1G (1ULL << 30)

static const struct sim_board boards[] = {
	{
	    .name = "virt",
	    .description = "QEMU virt (-M virt -cpu cortex-a72)",
	    .dtb = board_dtb_virt,
	    .dtb_size = &board_dtb_virt_size,
	    .ram_base = 0x40000000,
	    .ram_default = SZ_1G,
	    .ram_max = 255 * SZ_1G,
	    .image_phys = 0x40200000, /* RAM base + 2M, as Linux's Image wants */
	    .fdt_phys = 0x40000000,   /* QEMU puts the DTB at the start of RAM */
	    .mmio = { { 0x0, 0x40000000 } },
	    .nmmio = 1,
	    .style = BOOT_STYLE_LINUX,
	},
	{
	    .name = "raspi3b",
	    .description = "Raspberry Pi 3 (ChCore lab 2 map)",
	    .ram_base = 0x0,
	    .ram_default = 0x3f000000, /* seed 001: SDRAM up to the peripherals */
	    .ram_max = 0x3f000000,
	    .image_phys = 0x80000, /* kernel8.img */
	    .fdt_phys = 0x3e000000,
	    .mmio = { { 0x3f000000, 0x1000000 }, { 0x40000000, 0x40000000 } },
	    .nmmio = 2,
	    .style = BOOT_STYLE_CHCORE,
	    .chcore_base = 0xffffff0000000000ULL,
	},
};

const char sim_board_names[] = "virt|raspi3b";

const struct sim_board *sim_board_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(boards); i++)
		if (!strcmp(boards[i].name, name))
			return &boards[i];
	return NULL;
}

/* Read @path whole into a heap buffer with @slack spare bytes; NULL with a message. */
static void *read_file(const char *path, size_t *size, size_t slack, FILE *err)
{
	FILE *f = fopen(path, "rb");
	void *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = calloc(1, (size_t)n + slack)) || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fprintf(err, "kmm-sim boot: --dtb: cannot read '%s'\n", path);
		free(buf);
		buf = NULL;
	} else {
		*size = (size_t)n;
	}
	if (f)
		fclose(f);
	return buf;
}

/* --mem: make the first memory node say [ram_base, ram_base + mem). */
static int set_memory(void *dtb, size_t bufsize, paddr_t base, uint64_t mem, FILE *err)
{
	int node = fdt_node_offset_by_prop_value(dtb, -1, "device_type", "memory", 7);
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(mem) };

	if (fdt_open_into(dtb, dtb, (int)bufsize) || node < 0 || fdt_address_cells(dtb, 0) != 2 ||
	    fdt_size_cells(dtb, 0) != 2 || fdt_setprop(dtb, node, "reg", reg, sizeof(reg)) ||
	    fdt_pack(dtb)) {
		fprintf(err,
			"kmm-sim boot: --mem: the device tree has no 2-cell memory node to set\n");
		return -EINVAL;
	}
	return 0;
}

/* The RAM the machine gets: what the DTB says, or the board's built-in map. */
static int machine_ram(struct sim_boot *sb, const struct sim_boot_opts *o, FILE *err)
{
	const struct sim_board *b = sb->board;

	if (!sb->dtb) {
		uint64_t mem = o->mem ? o->mem : b->ram_default;
		if (mem > b->ram_max) {
			fprintf(err, "kmm-sim boot: --mem: %s takes at most 0x%llx bytes\n",
				b->name, (unsigned long long)b->ram_max);
			return -EINVAL;
		}
		sb->mem[0] = (struct boot_region){ b->ram_base, mem };
		sb->nmem = 1;
		return 0;
	}
	static struct fdt_mem_info info; /* large: kept off the stack */
	char msg[FDT_MEM_ERRLEN];
	if (fdt_mem_parse(sb->dtb, sb->dtb_size, &info, msg, sizeof(msg))) {
		fprintf(err, "kmm-sim boot: device tree: %s\n", msg);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < info.nr_memory && i < ARRAY_SIZE(sb->mem); i++)
		sb->mem[sb->nmem++] =
		    (struct boot_region){ info.memory[i].base, info.memory[i].size };
	return 0;
}

int sim_boot(struct sim_boot *sb, const struct sim_boot_opts *o, FILE *log, FILE *err)
{
	const struct sim_board *b = sim_board_find(o->board);
	const size_t slack = 4096;

	memset(sb, 0, sizeof(*sb));
	if (!b) {
		fprintf(err, "kmm-sim boot: --board: '%s' is not %s\n", o->board, sim_board_names);
		return SIM_EXIT_USAGE;
	}
	sb->board = b;
	if (o->dtb_file) {
		sb->dtb = read_file(o->dtb_file, &sb->dtb_size, slack, err);
		if (!sb->dtb)
			return SIM_EXIT_USAGE;
	} else if (b->dtb) {
		sb->dtb_size = *b->dtb_size;
		sb->dtb = calloc(1, sb->dtb_size + slack);
		if (!sb->dtb)
			return SIM_EXIT_FAIL;
		memcpy(sb->dtb, b->dtb, sb->dtb_size);
	}
	if (sb->dtb && fdt_check_header(sb->dtb)) {
		fprintf(err, "kmm-sim boot: --dtb: '%s' is not a device-tree blob\n", o->dtb_file);
		return SIM_EXIT_USAGE;
	}
	if (sb->dtb && o->mem) {
		if (set_memory(sb->dtb, sb->dtb_size + slack, b->ram_base, o->mem, err))
			return SIM_EXIT_USAGE;
		sb->dtb_size = fdt_totalsize(sb->dtb);
	}
	if (machine_ram(sb, o, err))
		return SIM_EXIT_USAGE;

	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	unsigned int ncpus = o->ncpus ? o->ncpus : 1;
	if (ncpus > NR_CPUS) {
		fprintf(err, "kmm-sim boot: %u CPUs: at most %u\n", ncpus, (unsigned int)NR_CPUS);
		return SIM_EXIT_USAGE;
	}
	if (hw_machine_init(&sb->machine, ncpus, &tlb, &feat))
		return SIM_EXIT_FAIL;
	for (unsigned int i = 0; i < sb->nmem; i++) {
		if (hw_ram_add(&sb->machine.ram, sb->mem[i].base, sb->mem[i].size)) {
			fprintf(err, "kmm-sim boot: cannot make RAM [0x%llx, +0x%llx)\n",
				(unsigned long long)sb->mem[i].base,
				(unsigned long long)sb->mem[i].size);
			return SIM_EXIT_USAGE;
		}
	}
	host_attach(&sb->machine);

	struct boot_params *bp = &sb->params;
	*bp = (struct boot_params){
		.board = b->description,
		.builtin_mem = sb->mem,
		.nbuiltin = sb->nmem,
		.mmio = b->mmio,
		.nmmio = b->nmmio,
		.granule = o->granule,
		.va_bits = o->va_bits,
		.kasan = o->kasan,
		.style = b->style,
		.chcore_base = b->chcore_base,
		/* The page allocator works in 4K pages: with other granules the boot stops at
		 * memblock for now. */
		.ms = o->granule == PAGE_SIZE ? &mm_default_system : NULL,
		.nr_cpus = ncpus,
		.vmalloc = o->granule == PAGE_SIZE ? &vmalloc_default : NULL,
		.slab = o->granule == PAGE_SIZE ? &slab_default_system : NULL,
	};
	sim_image_sizes(&bp->image);
	bp->image.phys = b->image_phys;
	if (sb->dtb) {
		/* The firmware's copy: the kernel reads the DTB in RAM through its direct view. */
		if (hw_ram_write(&sb->machine.ram, b->fdt_phys, sb->dtb, sb->dtb_size)) {
			fprintf(err, "kmm-sim boot: the DTB does not fit in RAM at 0x%llx\n",
				(unsigned long long)b->fdt_phys);
			return SIM_EXIT_USAGE;
		}
		bp->fdt = hw_ram_ptr(&sb->machine.ram, b->fdt_phys, sb->dtb_size);
		bp->fdt_size = sb->dtb_size;
		bp->fdt_phys = b->fdt_phys;
	}

	char msg[256];
	FILE *old = host_console_set(log);
	int e = boot_mm_init(&sb->mm, bp, msg, sizeof(msg));
	host_console_set(old);
	if (e) {
		fprintf(err, "kmm-sim boot: %s\n", msg);
		return e == -EINVAL ? SIM_EXIT_USAGE : SIM_EXIT_FAIL;
	}
	for (unsigned int i = 0; i < ncpus; i++) {
		struct hw_cpu *cpu = &sb->machine.cpus[i];

		cpu->regs = (struct mmu_regs){ .sctlr = sb->mm.sctlr,
					       .tcr = sb->mm.tcr,
					       .ttbr0 = sb->mm.ttbr0,
					       .ttbr1 = sb->mm.ttbr1,
					       .mair = sb->mm.mair };
		cpu->el = 1;
	}
	return SIM_EXIT_OK;
}

void sim_boot_release(struct sim_boot *sb)
{
	if (host_machine() == &sb->machine)
		host_attach(NULL);
	if (sb->machine.cpus)
		hw_machine_destroy(&sb->machine);
	free(sb->dtb);
	sb->dtb = NULL;
}

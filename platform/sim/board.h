/* SPDX-License-Identifier: MIT */
/*
 * The simulated boards: what the hardware is (RAM, MMIO windows, where the firmware loads the
 * kernel and the DTB) and how the kernel is told (a DTB, or seed 001's built-in map).
 */
#ifndef SIM_BOARD_H
#define SIM_BOARD_H

#include "hw/cpu.h"

#include <kmm/boot.h>
#include <kmm/setup.h>

#include <stdio.h>

#define BOARD_MMIO_MAX 4

struct sim_board {
	const char *name;
	const char *description;
	const unsigned char *dtb; /* built-in DTB, or NULL: the built-in memory map below */
	const size_t *dtb_size;
	paddr_t ram_base;
	uint64_t ram_default; /* bytes of RAM when --mem is not given */
	uint64_t ram_max;     /* the most RAM the board takes at ram_base */
	paddr_t image_phys;   /* where the kernel image is loaded */
	paddr_t fdt_phys;     /* where the DTB is placed */
	struct boot_region mmio[BOARD_MMIO_MAX];
	unsigned int nmmio;
	enum boot_style style;
	vaddr_t chcore_base;
};

const struct sim_board *sim_board_find(const char *name);
extern const char sim_board_names[]; /* "virt|raspi3b" */

/* A booted simulated board: the machine, its DTB and the kernel's boot state. */
struct sim_boot {
	const struct sim_board *board;
	struct hw_machine machine;
	void *dtb; /* the blob as given (a heap copy), or NULL */
	size_t dtb_size;
	struct boot_region mem[16]; /* the machine's RAM */
	unsigned int nmem;
	struct boot_params params;
	struct boot_mm mm;
};

struct sim_boot_opts {
	const char *board;
	const char *dtb_file; /* NULL: the board's own */
	uint64_t mem;	      /* 0: the board's default */
	uint64_t granule;
	unsigned int va_bits;
	bool kasan;
	unsigned int ncpus; /* simulated CPUs; 0: 1 */
	unsigned int show; /* SIM_SHOW_* views to print after boot */
};

#define SIM_SHOW_BUDDYINFO 1u
#define SIM_SHOW_PAGETYPEINFO 2u
#define SIM_SHOW_ZONEINFO 4u
#define SIM_SHOW_MEMINFO 8u
#define SIM_SHOW_VMALLOCINFO 16u
#define SIM_SHOW_SLABINFO 32u

/*
 * Build the machine of @o, load the DTB and boot the kernel's memory management, its log
 * going to @log. 0; or 2 (bad input: the message on @err) or 1 (the boot failed). The machine
 * stays attached; release it with sim_boot_release.
 */
int sim_boot(struct sim_boot *sb, const struct sim_boot_opts *o, FILE *log, FILE *err);
void sim_boot_release(struct sim_boot *sb);

#endif /* SIM_BOARD_H */

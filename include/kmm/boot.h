/* SPDX-License-Identifier: MIT */
/*
 * Booting kmm's memory management (seeds 000, 001, 002): what the platform hands the kernel, and
 * what the boot builds — device tree → memblock → kernel virtual layout → boot page tables.
 */
#ifndef KMM_BOOT_H
#define KMM_BOOT_H

#include <kmm/types.h>

/* The kernel image as loaded: each section's size in bytes, in link order from _text. */
struct boot_image {
	paddr_t phys; /* physical address of _text */
	uint64_t text, rodata, init, data, bss;
};

struct boot_region {
	paddr_t base;
	uint64_t size;
};

/* How the boot page tables are laid out. */
enum boot_style {
	/* Linux arm64: TTBR1 holds the linear map at PAGE_OFFSET and the image at KIMAGE_VADDR;
	 * TTBR0 holds the identity map of the image (and the MMIO windows). */
	BOOT_STYLE_LINUX,
	/* ChCore lab 2: all of [0, map_end) identity-mapped by TTBR0 and at chcore_base + PA by
	 * TTBR1, Normal memory in 2M blocks below 1G and Device memory above as 1G blocks. */
	BOOT_STYLE_CHCORE,
};

struct mem_system;
struct vmalloc_ctx;
struct slab_system;

/* What the platform (a board, or the simulator) hands the kernel. */
struct boot_params {
	const char *board; /* a name for the log */
	const void *fdt;   /* the DTB as placed in RAM (its direct view), or NULL */
	size_t fdt_size;
	paddr_t fdt_phys;
	/* Without a DTB: the RAM the board has (seed 001's built-in map of the Raspberry Pi 3). */
	const struct boot_region *builtin_mem;
	unsigned int nbuiltin;
	/* MMIO windows: mapped Device-nGnRnE, execute-never. */
	const struct boot_region *mmio;
	unsigned int nmmio;
	struct boot_image image;
	uint64_t granule;
	unsigned int va_bits;
	bool kasan;
	enum boot_style style;
	vaddr_t chcore_base; /* BOOT_STYLE_CHCORE: the high map's base (0xffffff0000000000) */
	/* The page allocator to hand memory to at the end (mm_core_init), or NULL to stop at
	 * memblock. */
	struct mem_system *ms;
	unsigned int nr_cpus;
	/* With ms, on the Linux-style map: the vmalloc area to set up over swapper_pg_dir, or
	 * NULL. */
	struct vmalloc_ctx *vmalloc;
	/* With ms: the slab system to set up with its kmalloc caches, or NULL. */
	struct slab_system *slab;
};

/* MAIR_EL1 attribute indices the boot tables use, Linux's (arch/arm64/include/asm/memory.h). */
#define MT_NORMAL 0
#define MT_NORMAL_NC 2
#define MT_DEVICE_nGnRnE 3
#define MT_DEVICE_nGnRE 4

#endif /* KMM_BOOT_H */

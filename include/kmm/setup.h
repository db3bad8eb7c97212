/* SPDX-License-Identifier: MIT */
/*
 * The memory-management part of booting (Linux's setup_arch → arm64_memblock_init →
 * paging_init, seeds 000-002): discover memory from the device tree into memblock, reserve the
 * image and the DTB, compute the kernel's virtual layout, build the boot page tables and say what
 * the translation registers must hold to turn the MMU on.
 */
#ifndef KMM_SETUP_H
#define KMM_SETUP_H

#include <aarch64/layout.h>
#include <kmm/boot.h>
#include <kmm/fdt.h>
#include <kmm/memblock.h>
#include <kmm/pgtable.h>

struct boot_mm {
	struct memblock memblock;
	struct fdt_mem_info dt;
	bool have_dt;
	struct kernel_layout layout;
	struct kernel_image image; /* the image's sections at their virtual addresses */
	struct xlat_geometry geom;
	struct pgtable_alloc alloc;
	struct pgtable idmap;	/* TTBR0 */
	struct pgtable swapper; /* TTBR1 */
	paddr_t phys_offset;	/* PHYS_OFFSET: PA of PAGE_OFFSET (Linux's memstart_addr) */
	/* Table pages: what each part of the boot map took, and Linux's budgets for them. */
	unsigned long kimage_tables, kimage_budget; /* vs EARLY_PAGES(KIMAGE_VADDR, _end, 0) */
	unsigned long idmap_tables, idmap_budget;   /* vs INIT_IDMAP_DIR_PAGES */
	unsigned long linear_tables, mmio_tables;
	/* The translation registers that turn these tables on. */
	uint64_t tcr, mair, sctlr, ttbr0, ttbr1;
	/* The "Memory:" line's figures, in bytes. */
	uint64_t phys_total, available;
};

/* The kernel image's size as mapped: each section starts on a page (granule) boundary. */
uint64_t boot_image_size(const struct boot_image *img, uint64_t granule);

/*
 * Boot @bp's memory management into @bm, printing the boot log. Returns 0, or a negative errno
 * with a message in @err: -EINVAL for a bad DTB or parameters (nothing was built), -ENOMEM when
 * memory ran out for the tables. The hosted caller must have attached the machine whose RAM the
 * DTB describes (arch_phys_to_virt is how tables are written).
 */
int boot_mm_init(struct boot_mm *bm, const struct boot_params *bp, char *err, size_t errlen);

/* Print the "Memory: ...K/...K available (...)" line of Linux's mem_init_print_info. */
void boot_mm_print_memory(const struct boot_mm *bm);

#endif /* KMM_SETUP_H */

// SPDX-License-Identifier: MIT
/*
 * The bare-metal kernel's views of physical memory and its early mappings (contracts in
 * aarch64/machine.h and, for arch_phys_to_virt/arch_virt_to_phys, include/kmm/arch.h).
 *
 * The views follow the boot: at first only the image is reachable, at KIMAGE_VADDR through
 * head.S's init_pg tables; start_kernel then maps the linear map of every RAM range the DTB
 * names into those same tables, at the addresses swapper_pg_dir will give them (PAGE_OFFSET +
 * PA - PHYS_OFFSET), and the direct view is the linear map from then on. So every pointer the
 * boot hands out (tables, memblock arrays, struct pages, slabs) stays valid across the switch to
 * swapper_pg_dir, and the identity map can go (Linux: paging_init, cpu_replace_ttbr1).
 */
#include <aarch64/machine.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

static uint64_t kimage_voffset;
static paddr_t image_start, image_end;

static struct {
	bool on;
	vaddr_t page_offset, page_end;
	paddr_t phys_offset;
	unsigned int n;
	struct boot_region ram[AARCH64_RAM_MAX];
} linear;

void aarch64_mmu_init(paddr_t image_phys)
{
	kimage_voffset = (uint64_t)_text - image_phys;
	image_start = image_phys;
	image_end = image_phys + (uint64_t)(_end - _text);
}

uint64_t aarch64_kimage_voffset(void)
{
	return kimage_voffset;
}

static bool in_ram(paddr_t pa)
{
	for (unsigned int i = 0; i < linear.n; i++)
		if (pa >= linear.ram[i].base && pa - linear.ram[i].base < linear.ram[i].size)
			return true;
	return false;
}

void *arch_phys_to_virt(paddr_t pa)
{
	if (linear.on)
		return in_ram(pa) ? (void *)(linear.page_offset + (pa - linear.phys_offset)) : NULL;
	return pa >= image_start && pa < image_end ? (void *)(pa + kimage_voffset) : NULL;
}

paddr_t arch_virt_to_phys(const void *va)
{
	vaddr_t v = (vaddr_t)va;

	if (v >= (vaddr_t)_text && v < (vaddr_t)_end)
		return v - kimage_voffset;
	if (linear.on && v >= linear.page_offset && v < linear.page_end) {
		paddr_t pa = v - linear.page_offset + linear.phys_offset;
		if (in_ram(pa))
			return pa;
	}
	return ARCH_PHYS_NONE;
}

int aarch64_set_linear_map(const struct kernel_layout *l, paddr_t phys_offset,
			   const struct boot_region *ram, unsigned int n)
{
	if (n > AARCH64_RAM_MAX)
		return -EINVAL;
	linear.page_offset = l->page_offset;
	linear.page_end = l->page_end;
	linear.phys_offset = phys_offset;
	for (unsigned int i = 0; i < n; i++)
		linear.ram[i] = ram[i];
	linear.n = n;
	linear.on = true;
	return 0;
}

/*
 * Tables for the early mappings: a bump allocator over a pool in BSS (inside the image, so
 * reachable through either view). The pool stays reserved with the image after the boot.
 */
#define EARLY_POOL_PAGES 16
static uint8_t early_pool[EARLY_POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned int early_pool_used;

static paddr_t early_table(void *ctx, uint64_t bytes)
{
	(void)ctx;
	if (bytes != sizeof(early_pool[0]) || early_pool_used == EARLY_POOL_PAGES)
		return 0;
	return arch_virt_to_phys(early_pool[early_pool_used++]);
}

static void early_table_free(void *ctx, paddr_t table, uint64_t bytes)
{
	(void)ctx;
	(void)bytes;
	if (early_pool_used && arch_virt_to_phys(early_pool[early_pool_used - 1]) == table)
		early_pool_used--;
}

static struct pgtable_alloc early_alloc = { early_table, early_table_free, NULL };

int aarch64_early_map(vaddr_t va, paddr_t pa, uint64_t size, const struct pte_attrs *attrs,
		      uint64_t max_block)
{
	/* head.S's init_pg tables, adopted as they are: 4K granule, 48-bit VA. */
	static struct pgtable init_pg;
	int err;

	if (!init_pg.root) {
		err = xlat_geometry_init(&init_pg.geom, 4096, 48);
		if (err)
			return err;
		init_pg.root = arch_virt_to_phys(init_pg_l0);
		init_pg.alloc = &early_alloc;
	}
	err = pgtable_map(&init_pg, va, pa, size, attrs, max_block);
	arch_dsb_ishst();
	arch_isb();
	return err;
}

void aarch64_switch_to_swapper(uint64_t ttbr1, uint64_t idmap_ttbr0, uint64_t tcr)
{
	aarch64_replace_ttbr1(ttbr1, idmap_ttbr0, tcr, kimage_voffset);
	write_sysreg(arch_virt_to_phys(empty_zero_page), ttbr0_el1);
	arch_isb();
	arch_flush_tlb_all();
}

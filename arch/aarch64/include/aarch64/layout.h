/* SPDX-License-Identifier: MIT */
/*
 * The arm64 kernel's virtual memory layout, computed with Linux 6.1's formulas
 * (arch/arm64/include/asm/memory.h, pgtable.h, fixmap.h, kasan.h) for any granule and VA size.
 * All kernel regions live in the range TTBR1_EL1 translates, [2^64 - 2^VA_BITS, 2^64) with
 * TCR_EL1.T1SZ = 64 - VA_BITS (ARM ARM (DDI 0487) D8, VMSAv8-64 VA ranges), lowest first:
 *
 *   VA_BITS_MIN        = min(VA_BITS, 48)
 *   _PAGE_OFFSET(va)   = -(1 << va),            _PAGE_END(va) = -(1 << (va - 1))
 *   PAGE_OFFSET        = _PAGE_OFFSET(VA_BITS)                 linear map start
 *   PAGE_END           = KASAN_SHADOW_START with KASAN, else _PAGE_END(VA_BITS_MIN)
 *   KASAN_SHADOW_END   = (1 << 61) + KASAN_SHADOW_OFFSET        (generic KASAN, scale shift 3)
 *   KASAN_SHADOW_START = KASAN_SHADOW_END - (1 << (VA_BITS - 3))
 *   MODULES_VADDR      = _PAGE_END(VA_BITS_MIN),   MODULES_END = MODULES_VADDR + 128M
 *   KIMAGE_VADDR       = MODULES_END,              VMALLOC_START = MODULES_END
 *   VMEMMAP_SHIFT      = PAGE_SHIFT - order_base_2(sizeof(struct page))
 *   VMEMMAP_START      = -(1 << (VA_BITS - VMEMMAP_SHIFT))
 *   VMEMMAP_SIZE       = (_PAGE_END(VA_BITS_MIN) - PAGE_OFFSET) >> VMEMMAP_SHIFT
 *   VMALLOC_END        = VMEMMAP_START - 256M
 *   FIXADDR_TOP        = VMEMMAP_START - 32M,      FIXADDR_START = FIXADDR_TOP - FIXADDR_SIZE
 *   PCI_IO_END         = VMEMMAP_START - 8M,       PCI_IO_START = PCI_IO_END - 16M
 *
 * KASAN_SHADOW_OFFSET is Linux's Kconfig default for the VA size, which always puts
 * KASAN_SHADOW_END at _PAGE_END(VA_BITS_MIN); the same rule gives it for the other sizes.
 * The kernel image sits at KIMAGE_VADDR, at the bottom of the vmalloc area.
 *
 * Accepted: a 4K, 16K or 64K granule with VA_BITS 30..48 (the architecture's 25..29 leave no
 * room for vmalloc under these formulas), or 52 with a 64K granule (Linux 6.1's only 52-bit
 * configuration; VA_BITS_MIN is then 48, and KASAN uses vabits_actual = 52); and a struct page
 * of 1 byte up to half a page.
 */
#ifndef AARCH64_LAYOUT_H
#define AARCH64_LAYOUT_H

#include <kmm/types.h>

#define KERNEL_LAYOUT_VA_BITS_MIN 30
#define KERNEL_LAYOUT_VA_BITS_MAX 48
#define KERNEL_LAYOUT_VA_BITS_LVA 52 /* 64K granule only */

#define KERNEL_LAYOUT_MODULES_SIZE (128ULL << 20)
#define KERNEL_LAYOUT_PCI_IO_SIZE (16ULL << 20)
#define KERNEL_LAYOUT_KASAN_SCALE_SHIFT 3
/* The image size kernel_layout_init assumes until kernel_layout_set_image_size says better. */
#define KERNEL_LAYOUT_IMAGE_SIZE_DEFAULT (32ULL << 20)

struct kernel_layout {
	uint64_t granule; /* bytes: 4096, 16384 or 65536 */
	unsigned int page_shift;
	unsigned int va_bits;
	unsigned int va_bits_min;      /* min(va_bits, 48) */
	size_t struct_page_size;       /* sizeof(struct page) */
	unsigned int vmemmap_shift;    /* PAGE_SHIFT - STRUCT_PAGE_MAX_SHIFT */
	bool kasan;		       /* generic KASAN's shadow is carved out of the linear map */
	vaddr_t page_offset, page_end; /* the linear map [PAGE_OFFSET, PAGE_END) */
	vaddr_t kasan_shadow_start, kasan_shadow_end; /* 0 without KASAN */
	uint64_t kasan_shadow_offset;		      /* shadow(addr) = (addr >> 3) + offset */
	vaddr_t modules_vaddr, modules_end;
	vaddr_t kimage_vaddr, kimage_end; /* the image: KIMAGE_VADDR + its size */
	vaddr_t vmalloc_start, vmalloc_end;
	vaddr_t fixaddr_start, fixaddr_top;
	vaddr_t pci_io_start, pci_io_end;
	vaddr_t vmemmap_start, vmemmap_end;
	uint64_t vmemmap_size;
};

/*
 * Compute the layout for a granule of @granule bytes, @va_bits of kernel VA, a struct page of
 * @struct_page_size bytes and, if @kasan, generic KASAN's shadow region. The image is assumed
 * KERNEL_LAYOUT_IMAGE_SIZE_DEFAULT bytes. Returns 0, or -EINVAL (@l untouched) for a
 * combination outside the accepted ones listed above.
 */
int kernel_layout_init(struct kernel_layout *l, uint64_t granule, unsigned int va_bits,
		       size_t struct_page_size, bool kasan);

/*
 * Set the kernel image's size (the boot knows it: _end - _text). 0, or -EINVAL (@l untouched)
 * when @size is 0 or the image would not leave part of the vmalloc area above it.
 */
int kernel_layout_set_image_size(struct kernel_layout *l, uint64_t size);

/* A named region [start, end) of the layout. */
struct kernel_region {
	const char *name;
	vaddr_t start, end;
};

#define KERNEL_LAYOUT_REGIONS_MAX 8

/*
 * The regions of @l sorted by start address into @out; returns how many (7, or 8 with KASAN).
 * Names: "linear", "kasan", "modules", "kimage", "vmalloc", "fixmap", "pci_io", "vmemmap".
 * Each is Linux's [start, end) — "vmalloc" is [VMALLOC_START, VMALLOC_END) — so "kimage", mapped
 * at the bottom of the vmalloc area as in Linux, lies inside "vmalloc"; the other regions are
 * disjoint, and the gaps between them are guard space.
 */
size_t kernel_layout_regions(const struct kernel_layout *l,
			     struct kernel_region out[KERNEL_LAYOUT_REGIONS_MAX]);

/* The sections of a kernel image, each [start, end), as the linker script's symbols bound them. */
struct kernel_section {
	vaddr_t start, end;
};

struct kernel_image {
	struct kernel_section text;   /* _text .. _etext */
	struct kernel_section rodata; /* __start_rodata .. __init_begin */
	struct kernel_section init;   /* __init_begin .. __init_end */
	struct kernel_section data;   /* _sdata .. _edata */
	struct kernel_section bss;    /* __bss_start .. __bss_stop */
};

/* Receives one line of the banner, with its newline. */
typedef void kernel_layout_line_fn(void *ctx, const char *line);

/*
 * Linux's boot banner of the layout, in the format mem_init() printed up to v4.15
 * (arch/arm64/mm/init.c): "Virtual kernel memory layout:", then kasan (with KASAN), modules,
 * vmalloc, the image's sections when @img is not NULL, fixed, PCI I/O, vmemmap and the linear
 * map's "memory" line, each "    name : 0x%16lx - 0x%16lx   (%6ld UNIT)". Linux printed the
 * actual memmap and RAM there; without RAM to go by, vmemmap and memory give their maximum.
 * Each line goes to @emit.
 */
void kernel_layout_banner(const struct kernel_layout *l, const struct kernel_image *img,
			  kernel_layout_line_fn *emit, void *ctx);

/* The banner through printk. */
void kernel_layout_print(const struct kernel_layout *l, const struct kernel_image *img);

#endif /* AARCH64_LAYOUT_H */

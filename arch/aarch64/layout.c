// SPDX-License-Identifier: MIT
/* The arm64 kernel virtual memory layout by Linux 6.1's formulas; see layout.h. */
#include <aarch64/layout.h>
#include <kmm/errno.h>
#include <kmm/printk.h>

#define SZ_8M (8ULL << 20)
#define SZ_32M (32ULL << 20)
#define SZ_256M (256ULL << 20)
#define MAX_FDT_SIZE (2ULL << 20)

/* Linux's _PAGE_OFFSET(va) and _PAGE_END(va): the bottom of the TTBR1 range and its middle. */
static vaddr_t page_offset_of(unsigned int va)
{
	return -(1ULL << va);
}

static vaddr_t page_end_of(unsigned int va)
{
	return -(1ULL << (va - 1));
}

/* order_base_2(n): the smallest k with 2^k >= n. */
static unsigned int order_base_2(uint64_t n)
{
	unsigned int k = 0;

	while ((1ULL << k) < n)
		k++;
	return k;
}

/*
 * FIXADDR_SIZE = __end_of_permanent_fixed_addresses << PAGE_SHIFT, from Linux 6.1's enum
 * fixed_addresses (asm/fixmap.h) under arm64 defconfig (ACPI_APEI_GHES=y, RANDOMIZE_BASE=y so
 * RELOCATABLE=y, UNMAP_KERNEL_AT_EL0=y by default; ARM_SDE_INTERFACE not set). The permanent
 * slots, one page each, are: FIX_HOLE; FIX_FDT_END..FIX_FDT, FIX_FDT_SIZE / PAGE_SIZE pages for
 * the FDT window FIX_FDT_SIZE = MAX_FDT_SIZE (2M) + 2M; FIX_EARLYCON_MEM_BASE; FIX_TEXT_POKE0;
 * FIX_APEI_GHES_IRQ and FIX_APEI_GHES_SEA; FIX_ENTRY_TRAMP_TEXT4..1. That is 4M / PAGE_SIZE + 9
 * pages: 1033 with 4K pages (4132K), 265 with 16K (4240K), 73 with 64K (4672K). The
 * early_ioremap slots and FIX_PTE..FIX_PGD come after __end_of_permanent_fixed_addresses and are
 * not counted (Linux's own FIXADDR_SIZE leaves them out).
 */
static uint64_t fixaddr_size(unsigned int page_shift)
{
	uint64_t fdt_pages = (MAX_FDT_SIZE + (2ULL << 20)) >> page_shift;
	uint64_t slots = 1 /* hole */ + fdt_pages + 2 /* earlycon, poke */ + 2 /* GHES */ + 4;

	return slots << page_shift;
}

/* Page shift of a granule size, or 0. */
static unsigned int granule_shift(uint64_t granule)
{
	switch (granule) {
	case 4096:
		return 12;
	case 16384:
		return 14;
	case 65536:
		return 16;
	default:
		return 0;
	}
}

/* The generic KASAN shadow: 1/8 of the TTBR1 range, ending at _PAGE_END(VA_BITS_MIN). */
static void layout_kasan(struct kernel_layout *l)
{
	unsigned int s = KERNEL_LAYOUT_KASAN_SCALE_SHIFT;

	/* Kconfig's default KASAN_SHADOW_OFFSET, e.g. 0xdfff800000000000 for 48 bits. */
	l->kasan_shadow_offset = page_end_of(l->va_bits_min) - (1ULL << (64 - s));
	l->kasan_shadow_end = (1ULL << (64 - s)) + l->kasan_shadow_offset;
	l->kasan_shadow_start = l->kasan_shadow_end - (1ULL << (l->va_bits - s));
	l->page_end = l->kasan_shadow_start;
}

/* Every address of @r from its granule, VA size, struct page size and KASAN setting. */
static void layout_compute(struct kernel_layout *r)
{
	r->page_offset = page_offset_of(r->va_bits);
	r->page_end = page_end_of(r->va_bits_min);
	if (r->kasan)
		layout_kasan(r);
	r->modules_vaddr = page_end_of(r->va_bits_min);
	r->modules_end = r->modules_vaddr + KERNEL_LAYOUT_MODULES_SIZE;
	r->kimage_vaddr = r->modules_end;
	r->kimage_end = r->kimage_vaddr + KERNEL_LAYOUT_IMAGE_SIZE_DEFAULT;
	r->vmemmap_start = -(1ULL << (r->va_bits - r->vmemmap_shift));
	r->vmemmap_size = (page_end_of(r->va_bits_min) - r->page_offset) >> r->vmemmap_shift;
	r->vmemmap_end = r->vmemmap_start + r->vmemmap_size;
	r->vmalloc_start = r->modules_end;
	r->vmalloc_end = r->vmemmap_start - SZ_256M;
	r->fixaddr_top = r->vmemmap_start - SZ_32M;
	r->fixaddr_start = r->fixaddr_top - fixaddr_size(r->page_shift);
	r->pci_io_end = r->vmemmap_start - SZ_8M;
	r->pci_io_start = r->pci_io_end - KERNEL_LAYOUT_PCI_IO_SIZE;
}

/* Whether @va_bits is a VA size the layout accepts with a granule of 2^@page_shift bytes. */
static bool va_bits_ok(unsigned int va_bits, unsigned int page_shift)
{
	if (va_bits == KERNEL_LAYOUT_VA_BITS_LVA)
		return page_shift == 16;
	return va_bits >= KERNEL_LAYOUT_VA_BITS_MIN && va_bits <= KERNEL_LAYOUT_VA_BITS_MAX;
}

int kernel_layout_init(struct kernel_layout *l, uint64_t granule, unsigned int va_bits,
		       size_t struct_page_size, bool kasan)
{
	unsigned int page_shift = granule_shift(granule);

	if (!page_shift || !va_bits_ok(va_bits, page_shift))
		return -EINVAL;
	/* VMEMMAP_SHIFT must stay positive: a struct page of at most half a page. */
	if (!struct_page_size || order_base_2(struct_page_size) >= page_shift)
		return -EINVAL;

	struct kernel_layout r = {
		.granule = granule,
		.page_shift = page_shift,
		.va_bits = va_bits,
		.va_bits_min = va_bits < 48 ? va_bits : 48,
		.struct_page_size = struct_page_size,
		.vmemmap_shift = page_shift - order_base_2(struct_page_size),
		.kasan = kasan,
	};
	layout_compute(&r);
	/*
	 * The formulas hold only while the image and some vmalloc space fit below VMALLOC_END.
	 * Compared as signed: every kernel address is negative, and a region that ran past 2^64
	 * would wrap to a small positive one.
	 */
	if ((int64_t)r.vmalloc_end <= (int64_t)r.kimage_end)
		return -EINVAL;
	*l = r;
	return 0;
}

int kernel_layout_set_image_size(struct kernel_layout *l, uint64_t size)
{
	if (!size || size >= l->vmalloc_end - l->kimage_vaddr)
		return -EINVAL;
	l->kimage_end = l->kimage_vaddr + size;
	return 0;
}

size_t kernel_layout_regions(const struct kernel_layout *l,
			     struct kernel_region out[KERNEL_LAYOUT_REGIONS_MAX])
{
	size_t n = 0;

	out[n++] = (struct kernel_region){ "linear", l->page_offset, l->page_end };
	if (l->kasan)
		out[n++] =
		    (struct kernel_region){ "kasan", l->kasan_shadow_start, l->kasan_shadow_end };
	out[n++] = (struct kernel_region){ "modules", l->modules_vaddr, l->modules_end };
	out[n++] = (struct kernel_region){ "kimage", l->kimage_vaddr, l->kimage_end };
	out[n++] = (struct kernel_region){ "vmalloc", l->vmalloc_start, l->vmalloc_end };
	out[n++] = (struct kernel_region){ "fixmap", l->fixaddr_start, l->fixaddr_top };
	out[n++] = (struct kernel_region){ "pci_io", l->pci_io_start, l->pci_io_end };
	out[n++] = (struct kernel_region){ "vmemmap", l->vmemmap_start, l->vmemmap_end };
	return n;
}

/*
 * One banner line: @label as Linux indents it, then "0x%16lx - 0x%16lx   (%6ld UNIT@suffix)" with
 * the size in units of 2^@shift bytes (KB, MB or GB), rounded up when @round_up as Linux's
 * MLK_ROUNDUP, truncated otherwise as its MLK/MLM/MLG.
 */
static void banner_line(kernel_layout_line_fn *emit, void *ctx, const char *label, vaddr_t start,
			vaddr_t end, unsigned int shift, bool round_up, const char *suffix)
{
	const char *unit = shift == 10 ? "KB" : shift == 20 ? "MB" : "GB";
	uint64_t size = end - start;
	char line[128];

	if (round_up)
		size += (1ULL << shift) - 1;
	kmm_snprintf(line, sizeof(line), "%s : 0x%16llx - 0x%16llx   (%6lld %s%s)\n", label,
		     (unsigned long long)start, (unsigned long long)end, (long long)(size >> shift),
		     unit, suffix);
	emit(ctx, line);
}

/* The image's five sections, in Linux's order, sized in KB rounded up. */
static void banner_image(kernel_layout_line_fn *emit, void *ctx, const struct kernel_image *img)
{
	const struct {
		const char *label;
		const struct kernel_section *s;
	} sections[] = {
		{ "      .text", &img->text }, { "    .rodata", &img->rodata },
		{ "      .init", &img->init }, { "      .data", &img->data },
		{ "       .bss", &img->bss },
	};

	for (size_t i = 0; i < ARRAY_SIZE(sections); i++)
		banner_line(emit, ctx, sections[i].label, sections[i].s->start, sections[i].s->end,
			    10, true, "");
}

void kernel_layout_banner(const struct kernel_layout *l, const struct kernel_image *img,
			  kernel_layout_line_fn *emit, void *ctx)
{
	emit(ctx, "Virtual kernel memory layout:\n");
	if (l->kasan)
		banner_line(emit, ctx, "    kasan  ", l->kasan_shadow_start, l->kasan_shadow_end,
			    30, false, "");
	banner_line(emit, ctx, "    modules", l->modules_vaddr, l->modules_end, 20, false, "");
	banner_line(emit, ctx, "    vmalloc", l->vmalloc_start, l->vmalloc_end, 30, false, "");
	if (img)
		banner_image(emit, ctx, img);
	banner_line(emit, ctx, "    fixed  ", l->fixaddr_start, l->fixaddr_top, 10, false, "");
	banner_line(emit, ctx, "    PCI I/O", l->pci_io_start, l->pci_io_end, 20, false, "");
	banner_line(emit, ctx, "    vmemmap", l->vmemmap_start, l->vmemmap_end, 30, false,
		    " maximum");
	banner_line(emit, ctx, "    memory ", l->page_offset, l->page_end, 30, false, " maximum");
}

static void emit_printk(void *ctx, const char *line)
{
	(void)ctx;
	printk("%s", line);
}

void kernel_layout_print(const struct kernel_layout *l, const struct kernel_image *img)
{
	kernel_layout_banner(l, img, emit_printk, NULL);
}

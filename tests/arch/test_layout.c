// SPDX-License-Identifier: MIT
/*
 * The kernel virtual memory layout: Linux 6.1's documented tables, hand-computed layouts, the
 * invariants of every accepted size, the image size and the boot banner.
 */
#include <aarch64/layout.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

#include <string.h>

static const uint64_t granules[] = { 4096, 16384, 65536 };

/* Linux 6.1's Documentation/arm64/memory.rst, "4KB pages + 4 levels (48-bit)", with Linux's
 * 64-byte struct page. The table's ends are inclusive: "+ 1" turns each into our exclusive end.
 * "fixed mappings (top down)" is the window [VMALLOC_END, FIXADDR_TOP). */
KTEST(layout, linux_doc_4k_48)
{
	struct kernel_layout l;

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 48, 64, false), 0);
	KT_EXPECT_EQ(kt, l.page_offset, 0xffff000000000000ULL); /* kernel logical memory map */
	KT_EXPECT_EQ(kt, l.page_end, 0xffff7fffffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.modules_vaddr, 0xffff800000000000ULL); /* modules */
	KT_EXPECT_EQ(kt, l.modules_end, 0xffff800007ffffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmalloc_start, 0xffff800008000000ULL); /* vmalloc */
	KT_EXPECT_EQ(kt, l.vmalloc_end, 0xfffffbffefffffffULL + 1);
	KT_EXPECT_EQ(kt, l.fixaddr_top, 0xfffffbfffdffffffULL + 1); /* fixed mappings */
	KT_EXPECT_EQ(kt, l.pci_io_start, 0xfffffbfffe800000ULL);    /* PCI I/O space */
	KT_EXPECT_EQ(kt, l.pci_io_end, 0xfffffbffff7fffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmemmap_start, 0xfffffc0000000000ULL); /* vmemmap, 2TB */
	KT_EXPECT_EQ(kt, l.vmemmap_end, 0xfffffdffffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmemmap_size, 2ULL << 40);
	KT_EXPECT_EQ(kt, l.kimage_vaddr, l.modules_end);

	/* "[ffff600000000000 ffff7fffffffffff] 32TB [kasan shadow region]" */
	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 48, 64, true), 0);
	KT_EXPECT_EQ(kt, l.kasan_shadow_start, 0xffff600000000000ULL);
	KT_EXPECT_EQ(kt, l.kasan_shadow_end, 0xffff7fffffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.kasan_shadow_offset, 0xdfff800000000000ULL); /* Kconfig, 48-bit */
	KT_EXPECT_EQ(kt, l.page_end, l.kasan_shadow_start);
}

/* The same document's "64KB pages + 3 levels (52-bit with HW support)": PAGE_OFFSET at 52 bits,
 * everything from PAGE_END up placed by VA_BITS_MIN = 48, and a vmemmap sized for 52 bits. */
KTEST(layout, linux_doc_64k_52)
{
	struct kernel_layout l;

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 65536, 52, 64, true), 0);
	KT_EXPECT_EQ(kt, l.va_bits_min, 48u);
	KT_EXPECT_EQ(kt, l.page_offset, 0xfff0000000000000ULL);
	KT_EXPECT_EQ(kt, l.kasan_shadow_start, 0xfffd800000000000ULL); /* 512TB */
	KT_EXPECT_EQ(kt, l.kasan_shadow_end, 0xffff7fffffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.modules_vaddr, 0xffff800000000000ULL);
	KT_EXPECT_EQ(kt, l.modules_end, 0xffff800007ffffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmalloc_start, 0xffff800008000000ULL);
	KT_EXPECT_EQ(kt, l.vmalloc_end, 0xfffffbffefffffffULL + 1);
	KT_EXPECT_EQ(kt, l.fixaddr_top, 0xfffffbfffdffffffULL + 1);
	KT_EXPECT_EQ(kt, l.pci_io_start, 0xfffffbfffe800000ULL);
	KT_EXPECT_EQ(kt, l.pci_io_end, 0xfffffbffff7fffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmemmap_start, 0xfffffc0000000000ULL); /* ~4TB: 3968GB */
	KT_EXPECT_EQ(kt, l.vmemmap_end, 0xffffffdfffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmemmap_size, 3968ULL << 30);

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 65536, 52, 64, false), 0);
	KT_EXPECT_EQ(kt, l.page_end, 0xffff7fffffffffffULL + 1); /* kernel logical memory map */
}

/* 4K/39: the table proposed for memory.rst on LKML (Jisheng Zhang, "Documentation/arm64:
 * add 4K/39 memory layout", v5.1x), from before the 128M BPF JIT region at _PAGE_END was
 * removed (v5.16): its "bpf jit region" start is 6.1's MODULES_VADDR, and the rows above it are
 * unchanged. Its vmemmap row reads ffffffffefffffff as the end but 4GB as the size and starts the
 * next guard at ffffffff00000000: the size and the guard agree with each other and with us. */
KTEST(layout, lkml_4k_39)
{
	struct kernel_layout l;

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 39, 64, true), 0);
	KT_EXPECT_EQ(kt, l.page_offset, 0xffffff8000000000ULL); /* kernel logical memory map */
	KT_EXPECT_EQ(kt, l.kasan_shadow_start, 0xffffffb000000000ULL); /* 64GB */
	KT_EXPECT_EQ(kt, l.kasan_shadow_end, 0xffffffbfffffffffULL + 1);
	KT_EXPECT_EQ(kt, l.kasan_shadow_offset, 0xdfffffc000000000ULL); /* Kconfig, 39-bit */
	KT_EXPECT_EQ(kt, l.modules_vaddr, 0xffffffc000000000ULL);
	KT_EXPECT_EQ(kt, l.vmalloc_end, 0xfffffffdefffffffULL + 1);
	KT_EXPECT_EQ(kt, l.fixaddr_top, 0xfffffffdfdffffffULL + 1);
	KT_EXPECT_EQ(kt, l.pci_io_start, 0xfffffffdfe800000ULL);
	KT_EXPECT_EQ(kt, l.pci_io_end, 0xfffffffdff7fffffULL + 1);
	KT_EXPECT_EQ(kt, l.vmemmap_start, 0xfffffffe00000000ULL);
	KT_EXPECT_EQ(kt, l.vmemmap_size, 4ULL << 30);
	KT_EXPECT_EQ(kt, l.vmemmap_end, 0xffffffff00000000ULL);
}

struct hand_layout {
	uint64_t granule;
	unsigned int va_bits;
	vaddr_t page_offset, page_end, modules_end, vmalloc_end, fixaddr_start, fixaddr_top;
	vaddr_t pci_io_start, vmemmap_start, vmemmap_end, kasan_start, kasan_offset;
};

/*
 * Worked by hand from the formulas (layout.h) with a 64-byte struct page (STRUCT_PAGE_MAX_SHIFT
 * 6) and FIXADDR_SIZE of 1033, 265 or 73 pages (layout.c).
 *
 * 16K/47: VMEMMAP_SHIFT = 14 - 6 = 8. PAGE_OFFSET = -2^47 = 0xffff800000000000; _PAGE_END =
 * -2^46 = 0xffffc00000000000 = MODULES_VADDR; MODULES_END = +128M = 0xffffc00008000000.
 * VMEMMAP_START = -2^(47-8) = 0xffffff8000000000, VMEMMAP_SIZE = 2^46 >> 8 = 256G, so
 * VMEMMAP_END = 0xffffffc000000000. VMALLOC_END = VMEMMAP_START - 256M = 0xffffff7ff0000000;
 * FIXADDR_TOP = - 32M = 0xffffff7ffe000000, FIXADDR_START = - 265 * 16K (0x424000) =
 * 0xffffff7ffdbdc000; PCI_IO_END = - 8M = 0xffffff7fff800000, PCI_IO_START = - 16M more =
 * 0xffffff7ffe800000. KASAN: offset 0xdfffc00000000000 (Kconfig, 47-bit), end = 2^61 + offset =
 * 0xffffc00000000000, start = end - 2^44 = 0xffffb00000000000.
 *
 * 64K/42: VMEMMAP_SHIFT = 10. PAGE_OFFSET = -2^42 = 0xfffffc0000000000, _PAGE_END = -2^41 =
 * 0xfffffe0000000000. VMEMMAP_START = -2^32 = 0xffffffff00000000, size 2^41 >> 10 = 2G.
 * VMALLOC_END = 0xfffffffef0000000, FIXADDR_TOP = 0xfffffffefe000000, FIXADDR_START =
 * - 73 * 64K (0x490000) = 0xfffffffefdb70000, PCI I/O from 0xfffffffefe800000. KASAN offset
 * 0xdffffe0000000000 (Kconfig, 42-bit), end 0xfffffe0000000000, start - 2^39 =
 * 0xfffffd8000000000.
 *
 * 64K/48: PAGE_OFFSET 0xffff000000000000, _PAGE_END 0xffff800000000000. VMEMMAP_START = -2^38 =
 * 0xffffffc000000000, size 2^47 >> 10 = 128G. VMALLOC_END = 0xffffffbff0000000, FIXADDR_TOP =
 * 0xffffffbffe000000, FIXADDR_START = 0xffffffbffdb70000, PCI I/O from 0xffffffbffe800000. KASAN
 * offset 0xdfff800000000000, start = 0xffff800000000000 - 2^45 = 0xffff600000000000.
 *
 * 16K/36: VMEMMAP_SHIFT = 8. PAGE_OFFSET = -2^36 = 0xfffffff000000000, _PAGE_END = -2^35 =
 * 0xfffffff800000000. VMEMMAP_START = -2^28 = 0xfffffffff0000000, size 2^35 >> 8 = 128M.
 * VMALLOC_END = VMEMMAP_START - 256M = 0xffffffffe0000000, FIXADDR_TOP = 0xffffffffee000000,
 * FIXADDR_START = 0xffffffffedbdc000, PCI I/O from 0xffffffffee800000. KASAN offset
 * 0xdffffff800000000 (Kconfig, 36-bit), start = 0xfffffff800000000 - 2^33 = 0xfffffff600000000.
 */
static const struct hand_layout hand[] = {
	{ 16384, 47, 0xffff800000000000ULL, 0xffffc00000000000ULL, 0xffffc00008000000ULL,
	  0xffffff7ff0000000ULL, 0xffffff7ffdbdc000ULL, 0xffffff7ffe000000ULL,
	  0xffffff7ffe800000ULL, 0xffffff8000000000ULL, 0xffffffc000000000ULL,
	  0xffffb00000000000ULL, 0xdfffc00000000000ULL },
	{ 65536, 42, 0xfffffc0000000000ULL, 0xfffffe0000000000ULL, 0xfffffe0008000000ULL,
	  0xfffffffef0000000ULL, 0xfffffffefdb70000ULL, 0xfffffffefe000000ULL,
	  0xfffffffefe800000ULL, 0xffffffff00000000ULL, 0xffffffff80000000ULL,
	  0xfffffd8000000000ULL, 0xdffffe0000000000ULL },
	{ 65536, 48, 0xffff000000000000ULL, 0xffff800000000000ULL, 0xffff800008000000ULL,
	  0xffffffbff0000000ULL, 0xffffffbffdb70000ULL, 0xffffffbffe000000ULL,
	  0xffffffbffe800000ULL, 0xffffffc000000000ULL, 0xffffffe000000000ULL,
	  0xffff600000000000ULL, 0xdfff800000000000ULL },
	{ 16384, 36, 0xfffffff000000000ULL, 0xfffffff800000000ULL, 0xfffffff808000000ULL,
	  0xffffffffe0000000ULL, 0xffffffffedbdc000ULL, 0xffffffffee000000ULL,
	  0xffffffffee800000ULL, 0xfffffffff0000000ULL, 0xfffffffff8000000ULL,
	  0xfffffff600000000ULL, 0xdffffff800000000ULL },
};

static void check_hand(struct ktest *kt, const struct hand_layout *h, size_t struct_page_size)
{
	struct kernel_layout l;

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, h->granule, h->va_bits, struct_page_size, false),
		     0);
	KT_EXPECT_EQ(kt, l.page_offset, h->page_offset);
	KT_EXPECT_EQ(kt, l.page_end, h->page_end);
	KT_EXPECT_EQ(kt, l.modules_vaddr, h->page_end);
	KT_EXPECT_EQ(kt, l.modules_end, h->modules_end);
	KT_EXPECT_EQ(kt, l.vmalloc_start, h->modules_end);
	KT_EXPECT_EQ(kt, l.vmalloc_end, h->vmalloc_end);
	KT_EXPECT_EQ(kt, l.fixaddr_start, h->fixaddr_start);
	KT_EXPECT_EQ(kt, l.fixaddr_top, h->fixaddr_top);
	KT_EXPECT_EQ(kt, l.pci_io_start, h->pci_io_start);
	KT_EXPECT_EQ(kt, l.pci_io_end, h->pci_io_start + KERNEL_LAYOUT_PCI_IO_SIZE);
	KT_EXPECT_EQ(kt, l.vmemmap_start, h->vmemmap_start);
	KT_EXPECT_EQ(kt, l.vmemmap_end, h->vmemmap_end);
	KT_ASSERT_EQ(kt, kernel_layout_init(&l, h->granule, h->va_bits, struct_page_size, true), 0);
	KT_EXPECT_EQ(kt, l.kasan_shadow_start, h->kasan_start);
	KT_EXPECT_EQ(kt, l.kasan_shadow_end, h->page_end);
	KT_EXPECT_EQ(kt, l.kasan_shadow_offset, h->kasan_offset);
	KT_EXPECT_EQ(kt, l.page_end, h->kasan_start);
}

/* kmm's 48-byte struct page rounds to the same 64 (order_base_2 6) as Linux's. */
KTEST(layout, hand_computed)
{
	for (size_t i = 0; i < ARRAY_SIZE(hand); i++) {
		unsigned int failures = kt->failures;
		check_hand(kt, &hand[i], 64);
		check_hand(kt, &hand[i], 48);
		if (kt->failures != failures)
			ktest_log(kt, "granule %llu, %u bits", (unsigned long long)hand[i].granule,
				  hand[i].va_bits);
	}
}

/* FIXADDR_SIZE: 4M / PAGE_SIZE + 9 pages (the FDT window and nine single slots). */
KTEST(layout, fixmap_size)
{
	static const uint64_t pages[] = { 1033, 265, 73 };

	for (size_t i = 0; i < ARRAY_SIZE(granules); i++) {
		struct kernel_layout l;
		KT_ASSERT_EQ(kt, kernel_layout_init(&l, granules[i], 48, 64, false), 0);
		KT_EXPECT_EQ(kt, l.fixaddr_top - l.fixaddr_start, pages[i] * granules[i]);
	}
}

/* Accepted exactly: 30..48 bits with any granule, 52 with 64K; every other call fails and
 * leaves the layout untouched. */
KTEST(layout, accepted_sizes)
{
	for (size_t g = 0; g < ARRAY_SIZE(granules); g++) {
		for (unsigned int va = 20; va <= 64; va++) {
			struct kernel_layout l, before;
			bool want = (va >= 30 && va <= 48) || (va == 52 && granules[g] == 65536);
			memset(&l, 0xa5, sizeof(l));
			before = l;
			int rc = kernel_layout_init(&l, granules[g], va, 48, va & 1);
			if (!KT_EXPECT_EQ(kt, rc, want ? 0 : -EINVAL))
				ktest_log(kt, "granule %llu, %u bits",
					  (unsigned long long)granules[g], va);
			if (rc)
				KT_EXPECT_EQ(kt, memcmp(&l, &before, sizeof(l)), 0);
		}
	}
}

KTEST(layout, bad_arguments)
{
	struct kernel_layout l;

	KT_EXPECT_EQ(kt, kernel_layout_init(&l, 8192, 39, 64, false), -EINVAL);
	KT_EXPECT_EQ(kt, kernel_layout_init(&l, 0, 39, 64, false), -EINVAL);
	KT_EXPECT_EQ(kt, kernel_layout_init(&l, 4096, 39, 0, false), -EINVAL);
	/* A struct page over half a page would make VMEMMAP_SHIFT zero or negative. */
	KT_EXPECT_EQ(kt, kernel_layout_init(&l, 4096, 48, 2049, false), -EINVAL);
	/* Half a page: VMEMMAP_SHIFT 1 puts VMEMMAP_START at _PAGE_END, nothing left for vmalloc.
	 */
	KT_EXPECT_EQ(kt, kernel_layout_init(&l, 4096, 48, 2048, false), -EINVAL);
	/* A 256-byte struct page: VMEMMAP_SHIFT 4, vmemmap of 2^47 >> 4 = 8T at -2^44. */
	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 48, 256, false), 0);
	KT_EXPECT_EQ(kt, l.vmemmap_start, 0xfffff00000000000ULL);
	KT_EXPECT_EQ(kt, l.vmemmap_size, 8ULL << 40);
}

/* The last struct page of the linear map (at VMEMMAP_START + index * sizeof) is in vmemmap,
 * and generic KASAN's shadow (addr >> 3) + offset of the TTBR1 range is the shadow region. */
static void check_coverage(struct ktest *kt, const struct kernel_layout *l)
{
	uint64_t linear = l->modules_vaddr - l->page_offset; /* _PAGE_END - PAGE_OFFSET */
	uint64_t last = (linear >> l->page_shift) - 1;

	KT_EXPECT_LE(kt, l->vmemmap_start + (last + 1) * l->struct_page_size, l->vmemmap_end);
	if (!l->kasan)
		return;
	KT_EXPECT_EQ(kt, (l->page_offset >> 3) + l->kasan_shadow_offset, l->kasan_shadow_start);
	KT_EXPECT_EQ(kt, (~0ULL >> 3) + l->kasan_shadow_offset, l->kasan_shadow_end - 1);
	KT_EXPECT_EQ(kt, l->kasan_shadow_end, l->modules_vaddr);
}

/* Regions in Linux's order, non-empty, inside the TTBR1 half, with its guard gaps; disjoint but
 * for the image, which lies at the bottom of the vmalloc area. */
static void check_regions(struct ktest *kt, const struct kernel_layout *l)
{
	static const char *const order[] = { "linear",	"kasan",  "modules", "kimage",
					     "vmalloc", "fixmap", "pci_io",  "vmemmap" };
	struct kernel_region r[KERNEL_LAYOUT_REGIONS_MAX];
	size_t n = kernel_layout_regions(l, r), k = 0;

	KT_ASSERT_EQ(kt, n, l->kasan ? 8u : 7u);
	KT_EXPECT_EQ(kt, r[0].start, -(1ULL << l->va_bits));
	for (size_t i = 0; i < n; i++, k++) {
		if (!l->kasan && k == 1)
			k++;
		KT_EXPECT_STREQ(kt, r[i].name, order[k]);
		KT_EXPECT_LT(kt, r[i].start, r[i].end); /* non-empty, no wrap past 2^64 */
		if (i && !strcmp(r[i].name, "vmalloc"))
			KT_EXPECT_EQ(kt, r[i - 1].start, r[i].start); /* the image's area */
		else if (i)
			KT_EXPECT_LE(kt, r[i - 1].end, r[i].start);
	}
	/* Below vmemmap: an 8M guard, PCI I/O, an 8M guard; fixmap ends 32M and vmalloc 256M
	 * below VMEMMAP_START. */
	KT_EXPECT_EQ(kt, r[n - 2].end + (8u << 20), r[n - 1].start);
	KT_EXPECT_EQ(kt, r[n - 3].end + (8u << 20), r[n - 2].start);
	KT_EXPECT_EQ(kt, r[n - 3].end + (32u << 20), r[n - 1].start);
	KT_EXPECT_EQ(kt, r[n - 4].end + (256u << 20), r[n - 1].start);
	KT_EXPECT_EQ(kt, r[n - 4].start, l->vmalloc_start);
	KT_EXPECT_EQ(kt, r[n - 4].start, l->modules_end); /* VMALLOC_START = MODULES_END */
	KT_EXPECT_EQ(kt, r[n - 5].start, l->kimage_vaddr);
	KT_EXPECT_EQ(kt, r[n - 5].end - r[n - 5].start, KERNEL_LAYOUT_IMAGE_SIZE_DEFAULT);
}

KTEST(layout, invariants_every_size)
{
	static const size_t page_sizes[] = { 48, 64 };

	for (size_t g = 0; g < ARRAY_SIZE(granules); g++) {
		for (unsigned int va = 25; va <= 52; va++) {
			for (unsigned int v = 0; v < 4; v++) {
				struct kernel_layout l;
				unsigned int failures = kt->failures;
				if (kernel_layout_init(&l, granules[g], va, page_sizes[v & 1],
						       v >> 1))
					continue;
				check_regions(kt, &l);
				check_coverage(kt, &l);
				if (kt->failures != failures)
					ktest_log(kt, "granule %llu, %u bits, variant %u",
						  (unsigned long long)granules[g], va, v);
			}
		}
	}
}

KTEST(layout, image_size)
{
	struct kernel_layout l, before;
	struct kernel_region r[KERNEL_LAYOUT_REGIONS_MAX];

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 39, 48, false), 0);
	KT_EXPECT_EQ(kt, l.kimage_end, 0xffffffc00a000000ULL); /* the default 32M */
	before = l;
	KT_EXPECT_EQ(kt, kernel_layout_set_image_size(&l, 0), -EINVAL);
	KT_EXPECT_EQ(kt, kernel_layout_set_image_size(&l, l.vmalloc_end - l.kimage_vaddr), -EINVAL);
	KT_EXPECT_EQ(kt, memcmp(&l, &before, sizeof(l)), 0);
	KT_ASSERT_EQ(kt, kernel_layout_set_image_size(&l, 0x1234000), 0);
	KT_EXPECT_EQ(kt, l.kimage_end, 0xffffffc009234000ULL);
	KT_EXPECT_EQ(kt, l.vmalloc_start, 0xffffffc008000000ULL); /* VMALLOC_START stays */
	kernel_layout_regions(&l, r);
	KT_EXPECT_EQ(kt, r[2].end, 0xffffffc009234000ULL);   /* kimage */
	KT_EXPECT_EQ(kt, r[3].start, 0xffffffc008000000ULL); /* vmalloc: VMALLOC_START, the image inside */
	/* The largest image leaves one byte of vmalloc. */
	KT_EXPECT_EQ(kt, kernel_layout_set_image_size(&l, l.vmalloc_end - l.kimage_vaddr - 1), 0);
}

struct banner_buf {
	char text[2048];
	unsigned int lines;
};

static void collect(void *ctx, const char *line)
{
	struct banner_buf *b = ctx;
	size_t used = strlen(b->text);

	strncat(b->text, line, sizeof(b->text) - used - 1);
	b->lines++;
}

/* 4K/39 with KASAN and an image: Linux's v4.x mem_init() lines, sizes worked out by hand (MB/GB
 * truncated, the sections' KB rounded up: .data is 0x135a00 bytes = 1238.5K, .bss 302.05K). */
KTEST(layout, banner)
{
	static const struct kernel_image img = {
		.text = { 0xffffffc008010000ULL, 0xffffffc008b5f000ULL },
		.rodata = { 0xffffffc008b60000ULL, 0xffffffc0090e0000ULL },
		.init = { 0xffffffc0090e0000ULL, 0xffffffc009270000ULL },
		.data = { 0xffffffc009270000ULL, 0xffffffc0093a5a00ULL },
		.bss = { 0xffffffc0093a5a00ULL, 0xffffffc0093f1234ULL },
	};
	struct kernel_layout l;
	struct banner_buf b = { "", 0 };

	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 39, 48, true), 0);
	kernel_layout_banner(&l, &img, collect, &b);
	KT_EXPECT_EQ(kt, b.lines, 13u);
	KT_EXPECT_STREQ(
	    kt, b.text,
	    "Virtual kernel memory layout:\n"
	    "    kasan   : 0xffffffb000000000 - 0xffffffc000000000   (    64 GB)\n"
	    "    modules : 0xffffffc000000000 - 0xffffffc008000000   (   128 MB)\n"
	    "    vmalloc : 0xffffffc008000000 - 0xfffffffdf0000000   (   247 GB)\n"
	    "      .text : 0xffffffc008010000 - 0xffffffc008b5f000   ( 11580 KB)\n"
	    "    .rodata : 0xffffffc008b60000 - 0xffffffc0090e0000   (  5632 KB)\n"
	    "      .init : 0xffffffc0090e0000 - 0xffffffc009270000   (  1600 KB)\n"
	    "      .data : 0xffffffc009270000 - 0xffffffc0093a5a00   (  1239 KB)\n"
	    "       .bss : 0xffffffc0093a5a00 - 0xffffffc0093f1234   (   303 KB)\n"
	    "    fixed   : 0xfffffffdfdbf7000 - 0xfffffffdfe000000   (  4132 KB)\n"
	    "    PCI I/O : 0xfffffffdfe800000 - 0xfffffffdff800000   (    16 MB)\n"
	    "    vmemmap : 0xfffffffe00000000 - 0xffffffff00000000   (     4 GB maximum)\n"
	    "    memory  : 0xffffff8000000000 - 0xffffffb000000000   (   192 GB maximum)\n");

	/* Without KASAN or an image: no kasan line, no sections, the whole linear map. */
	KT_ASSERT_EQ(kt, kernel_layout_init(&l, 4096, 39, 48, false), 0);
	b = (struct banner_buf){ "", 0 };
	kernel_layout_banner(&l, NULL, collect, &b);
	KT_EXPECT_EQ(kt, b.lines, 7u);
	KT_EXPECT_NULL(kt, strstr(b.text, "kasan"));
	KT_EXPECT_NOT_NULL(kt, strstr(b.text, "    memory  : 0xffffff8000000000 - "
					      "0xffffffc000000000   (   256 GB maximum)\n"));
}

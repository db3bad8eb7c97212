// SPDX-License-Identifier: MIT
/*
 * Booting kmm's memory management; the contract is in include/kmm/setup.h. The order is arm64
 * Linux's:
 *
 *   1. setup_machine_fdt / early_init_dt_scan: memory and reserved ranges from the DTB into
 *      memblock (or the board's built-in map when there is no DTB, as ChCore's Raspberry Pi).
 *   2. arm64_memblock_init: reserve the kernel image and the DTB; PHYS_OFFSET (memstart_addr)
 *      is the start of DRAM rounded down to ARM64_MEMSTART_ALIGN.
 *   3. head.S's __create_page_tables: the early identity map (init_idmap_pg_dir) and the early
 *      kernel map (init_pg_dir) in SWAPPER_BLOCK_SIZE blocks, whose table pages are what
 *      INIT_IDMAP_DIR_PAGES and EARLY_PAGES budget — checked here against what was built.
 *   4. paging_init: the final swapper_pg_dir with the image's sections at KIMAGE_VADDR (text RX,
 *      rodata R, data and bss RW + XN) and the linear map of all memory except no-map ranges,
 *      with the largest blocks that fit; MMIO windows identity-mapped Device-nGnRnE + XN.
 *
 * ChCore's lab 2 (BOOT_STYLE_CHCORE) instead maps [0, end of the last window) twice, identity by
 * TTBR0 and at chcore_base + PA by TTBR1: RAM as Normal memory in 2M blocks below 1G, MMIO as
 * Device memory, in 2M blocks below 1G and 1G blocks above.
 */
#include <aarch64/sysreg.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/mm.h>
#include <kmm/mm_types.h>
#include <kmm/printk.h>
#include <kmm/mman.h>
#include <kmm/sched.h>
#include <kmm/setup.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#define SZ_2M (2ULL << 20)
#define SZ_1G (1ULL << 30)
#define MAX_FDT_SIZE SZ_2M

/* Table memory from memblock; the early tables are given back once the final ones exist. */
static paddr_t table_alloc(void *ctx, uint64_t bytes)
{
	return memblock_phys_alloc(ctx, bytes, bytes);
}

static void table_free(void *ctx, paddr_t table, uint64_t bytes)
{
	memblock_free(ctx, table, bytes);
}

/* The early tables are temporary (Linux frees init_pg_dir): this allocator remembers them. */
#define EARLY_TABLES_MAX 16

struct early_alloc {
	struct memblock *mb;
	unsigned int n;
	paddr_t table[EARLY_TABLES_MAX];
	uint64_t bytes[EARLY_TABLES_MAX];
};

static paddr_t early_alloc(void *ctx, uint64_t bytes)
{
	struct early_alloc *ea = ctx;

	if (ea->n == EARLY_TABLES_MAX)
		return 0;
	paddr_t t = memblock_phys_alloc(ea->mb, bytes, bytes);
	if (t) {
		ea->table[ea->n] = t;
		ea->bytes[ea->n++] = bytes;
	}
	return t;
}

static void early_free(void *ctx, paddr_t table, uint64_t bytes)
{
	struct early_alloc *ea = ctx;

	BUG_ON(!ea->n || ea->table[ea->n - 1] != table); /* pgtable gives back the newest first */
	ea->n--;
	memblock_free(ea->mb, table, bytes);
}

static void early_free_all(struct early_alloc *ea)
{
	while (ea->n)
		early_free(ea, ea->table[ea->n - 1], ea->bytes[ea->n - 1]);
}

static int fail(char *err, size_t errlen, int code, const char *what)
{
	kmm_snprintf(err, errlen, "%s", what);
	return code;
}

uint64_t boot_image_size(const struct boot_image *img, uint64_t granule)
{
	return ALIGN_UP(img->text, granule) + ALIGN_UP(img->rodata, granule) +
	       ALIGN_UP(img->init, granule) + ALIGN_UP(img->data, granule) +
	       ALIGN_UP(img->bss, granule);
}

/* Step 1: memory and reserved ranges into memblock. */
static int discover_memory(struct boot_mm *bm, const struct boot_params *bp, char *err,
			   size_t errlen)
{
	if (bp->fdt) {
		char msg[FDT_MEM_ERRLEN];

		if (fdt_mem_parse(bp->fdt, bp->fdt_size, &bm->dt, msg, sizeof(msg))) {
			kmm_snprintf(err, errlen, "device tree: %s", msg);
			return -EINVAL;
		}
		bm->have_dt = true;
		if (fdt_mem_apply(&bm->dt, &bm->memblock))
			return fail(err, errlen, -ENOMEM, "device tree: too many regions");
		for (unsigned int i = 0; i < bm->dt.nr_memory; i++) {
			const struct fdt_mem_range *r = &bm->dt.memory[i];
			printk("OF: fdt: memory [mem 0x%016llx-0x%016llx]%s node %d\n",
			       (unsigned long long)r->base,
			       (unsigned long long)(r->base + r->size - 1),
			       r->hotplug ? " hotpluggable" : "", r->nid < 0 ? 0 : r->nid);
		}
		for (unsigned int i = 0; i < bm->dt.nr_reserved; i++) {
			const struct fdt_rsv_range *r = &bm->dt.reserved[i];
			printk("OF: reserved mem: 0x%016llx..0x%016llx (%llu KiB) %s %s\n",
			       (unsigned long long)r->base,
			       (unsigned long long)(r->base + r->size - 1),
			       (unsigned long long)(r->size >> 10), fdt_mem_kind_name(r->kind),
			       r->name ? r->name : "");
		}
		if (bm->dt.mem_limit)
			printk("mem=%lluK: memory capped\n",
			       (unsigned long long)(bm->dt.mem_limit >> 10));
	} else {
		for (unsigned int i = 0; i < bp->nbuiltin; i++) {
			const struct boot_region *r = &bp->builtin_mem[i];
			if (memblock_add(&bm->memblock, r->base, r->size))
				return fail(err, errlen, -EINVAL, "built-in memory map: bad range");
			printk("Built-in memory map: [mem 0x%016llx-0x%016llx]\n",
			       (unsigned long long)r->base,
			       (unsigned long long)(r->base + r->size - 1));
		}
	}
	if (!memblock_phys_mem_size(&bm->memblock))
		return fail(err, errlen, -EINVAL, "no memory");
	return 0;
}

/* Whether all of [base, end) is memory: regions are sorted, adjacent ones continue a range. */
static bool range_is_memory(const struct memblock *mb, paddr_t base, paddr_t end)
{
	const struct memblock_type *mem = &mb->memory;

	for (unsigned long i = 0; i < mem->cnt && base < end; i++) {
		const struct memblock_region *r = &mem->regions[i];
		if (r->base <= base && base < r->base + r->size)
			base = r->base + r->size;
	}
	return base >= end;
}

/* Step 2: reserve the image and the DTB; PHYS_OFFSET. */
static int reserve_boot_ranges(struct boot_mm *bm, const struct boot_params *bp, char *err,
			       size_t errlen)
{
	struct memblock *mb = &bm->memblock;
	uint64_t isize = boot_image_size(&bp->image, bp->granule);
	paddr_t iend = bp->image.phys + isize;

	if (!IS_ALIGNED(bp->image.phys, bp->granule) || !isize || iend < bp->image.phys ||
	    !range_is_memory(mb, bp->image.phys, iend))
		return fail(err, errlen, -EINVAL, "the kernel image is not in memory");
	if (memblock_reserve(mb, bp->image.phys, isize))
		return fail(err, errlen, -ENOMEM, "cannot reserve the kernel image");
	if (bp->fdt && memblock_reserve(mb, ALIGN_DOWN(bp->fdt_phys, bp->granule),
					ALIGN_UP(bp->fdt_phys + bp->fdt_size, bp->granule) -
					    ALIGN_DOWN(bp->fdt_phys, bp->granule)))
		return fail(err, errlen, -ENOMEM, "cannot reserve the device tree");

	/* ARM64_MEMSTART_ALIGN (kernel-pgtable.h, v6.1): 1 << ARM64_MEMSTART_SHIFT, which is
	 * PUD_SHIFT with 4K pages (30), CONT_PMD_SHIFT = PMD_SHIFT + 5 with 16K (30) and
	 * PMD_SHIFT with 64K (29), whatever the levels (a folded level keeps its shift); but at
	 * least a sparsemem section (2^27, 2^29 with 64K pages). */
	const struct xlat_geometry *g = &bm->geom;
	unsigned int pmd_shift = g->granule_shift + g->stride;
	unsigned int shift = g->granule_shift == 12   ? pmd_shift + g->stride
			     : g->granule_shift == 14 ? pmd_shift + 5
						      : pmd_shift;
	unsigned int section = g->granule_shift == 16 ? 29 : 27;
	shift = shift > section ? shift : section;
	bm->phys_offset = ALIGN_DOWN(memblock_start_of_DRAM(mb), 1ULL << shift);
	return 0;
}

static struct pte_attrs prot(unsigned int attrindx, unsigned int ap, bool pxn, bool uxn)
{
	return (struct pte_attrs){ .attrindx = (uint8_t)attrindx,
				   .sh = SH_INNER,
				   .ap = (uint8_t)ap,
				   .af = true,
				   .pxn = pxn,
				   .uxn = uxn };
}

/* Place the image's sections from @base on, each on a page boundary. */
static void layout_image(struct kernel_image *ki, const struct boot_image *img, vaddr_t base,
			 uint64_t granule)
{
	const uint64_t sizes[] = { img->text, img->rodata, img->init, img->data, img->bss };
	struct kernel_section *secs[] = { &ki->text, &ki->rodata, &ki->init, &ki->data, &ki->bss };

	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		secs[i]->start = base;
		secs[i]->end = base + sizes[i];
		base += ALIGN_UP(sizes[i], granule);
	}
}

/*
 * Step 3: head.S's early tables, built in full and counted, then handed back. The early kernel
 * map covers [KIMAGE_VADDR, _end) in SWAPPER_BLOCK_SIZE blocks; the early identity map covers
 * the image's physical range the same way.
 */
static int early_tables(struct boot_mm *bm, const struct boot_params *bp)
{
	const struct xlat_geometry *g = &bm->geom;
	uint64_t blk = 1ULL << swapper_block_shift(g);
	uint64_t isize = boot_image_size(&bp->image, bp->granule);
	vaddr_t kstart = bm->layout.kimage_vaddr, kend = kstart + isize;
	struct pte_attrs rwx = prot(MT_NORMAL, AP_RW_EL1, false, true);
	struct pgtable early;
	int err;

	bm->kimage_budget = early_pages(g, kstart, kend, 0);
	bm->idmap_budget =
	    early_pages(g, kstart, kend + MAX_FDT_SIZE + blk, 1) + (g->va_bits < 48 ? 2 : 0);

	struct early_alloc ea = { .mb = &bm->memblock };
	struct pgtable_alloc alloc = { early_alloc, early_free, &ea };
	err = pgtable_init(&early, g, &alloc);
	if (!err)
		err = pgtable_map(&early, kstart, ALIGN_DOWN(bp->image.phys, blk),
				  ALIGN_UP(kend, blk) - kstart, &rwx, blk);
	bm->kimage_tables = early.table_pages;
	early_free_all(&ea); /* not needed after paging_init, as Linux frees init_pg_dir */
	if (err)
		return err;

	/* The identity map stays: TTBR0 until user space takes it over. */
	paddr_t pstart = ALIGN_DOWN(bp->image.phys, blk);
	err = pgtable_map(&bm->idmap, pstart, pstart,
			  ALIGN_UP(bp->image.phys + isize, blk) - pstart, &rwx, blk);
	bm->idmap_tables = bm->idmap.table_pages;
	return err;
}

/* Step 4, the image: its sections with their own permissions. */
static int map_kernel(struct boot_mm *bm, const struct boot_params *bp)
{
	const struct kernel_image *ki = &bm->image;
	const struct {
		const struct kernel_section *s;
		struct pte_attrs prot;
	} segs[] = {
		{ &ki->text, prot(MT_NORMAL, AP_RO_EL1, false, true) },	 /* RX */
		{ &ki->rodata, prot(MT_NORMAL, AP_RO_EL1, true, true) }, /* R */
		{ &ki->init, prot(MT_NORMAL, AP_RO_EL1, false, true) },	 /* RX: .init.text */
		{ &ki->data, prot(MT_NORMAL, AP_RW_EL1, true, true) },	 /* RW + XN */
		{ &ki->bss, prot(MT_NORMAL, AP_RW_EL1, true, true) },	 /* RW + XN */
	};
	uint64_t gran = bp->granule;

	for (size_t i = 0; i < ARRAY_SIZE(segs); i++) {
		uint64_t size = ALIGN_UP(segs[i].s->end - segs[i].s->start, gran);
		paddr_t pa = bp->image.phys + (segs[i].s->start - ki->text.start);
		if (!size)
			continue;
		int err =
		    pgtable_map(&bm->swapper, segs[i].s->start, pa, size, &segs[i].prot, SZ_1G);
		if (err)
			return err;
	}
	return 0;
}

/* Step 4, the linear map: every memory region but the no-map ones, RW + XN, largest blocks. */
static int map_mem(struct boot_mm *bm)
{
	const struct memblock_type *mem = &bm->memblock.memory;
	struct pte_attrs rw = prot(MT_NORMAL, AP_RW_EL1, true, true);
	unsigned long before = bm->swapper.table_pages;
	uint64_t span = bm->layout.page_end - bm->layout.page_offset;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		uint64_t off = r->base - bm->phys_offset, size = r->size;

		if (r->flags & MEMBLOCK_NOMAP || off >= span)
			continue;
		if (size > span - off) {
			printk("linear map: memory above 0x%llx is out of the linear range\n",
			       (unsigned long long)(bm->phys_offset + span));
			size = span - off;
		}
		int err = pgtable_map(&bm->swapper, bm->layout.page_offset + off, r->base, size,
				      &rw, SZ_1G);
		if (err)
			return err;
	}
	bm->linear_tables = bm->swapper.table_pages - before;
	return 0;
}

/* MMIO windows, Device-nGnRnE and execute-never, into @pt at @offset + PA. */
static int map_mmio(const struct boot_params *bp, struct pgtable *pt, vaddr_t offset, bool chcore)
{
	struct pte_attrs dev = prot(MT_DEVICE_nGnRnE, AP_RW_EL1, true, true);

	dev.sh = SH_NON;
	for (unsigned int i = 0; i < bp->nmmio; i++) {
		const struct boot_region *r = &bp->mmio[i];
		uint64_t max = chcore && r->base < SZ_1G ? SZ_2M : SZ_1G;
		int err = pgtable_map(pt, offset + r->base, r->base, r->size, &dev, max);
		if (err)
			return err;
	}
	return 0;
}

/* ChCore's boot map: RAM in 2M blocks, MMIO windows, identity and at chcore_base. */
static int map_chcore(struct boot_mm *bm, const struct boot_params *bp)
{
	struct pgtable *pts[] = { &bm->idmap, &bm->swapper };
	vaddr_t offs[] = { 0, bp->chcore_base };
	const struct memblock_type *mem = &bm->memblock.memory;
	struct pte_attrs normal = prot(MT_NORMAL, AP_RW_EL1, false, true);

	for (int h = 0; h < 2; h++) {
		for (unsigned long i = 0; i < mem->cnt; i++) {
			const struct memblock_region *r = &mem->regions[i];
			if (r->flags & MEMBLOCK_NOMAP)
				continue;
			int err = pgtable_map(pts[h], offs[h] + r->base, r->base, r->size, &normal,
					      r->base < SZ_1G ? SZ_2M : SZ_1G);
			if (err)
				return err;
		}
		int err = map_mmio(bp, pts[h], offs[h], true);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The registers that turn the tables on: MAIR as Linux's, TCR for the geometry with an IPS that
 * covers every PA mapped, memory and MMIO windows alike (an output address above it is an
 * Address size fault: ARM ARM D8, the pseudo-code's AArch64.S1Walk).
 */
static void translation_regs(struct boot_mm *bm, const struct boot_params *bp)
{
	const struct xlat_geometry *g = &bm->geom;
	paddr_t top = memblock_end_of_DRAM(&bm->memblock);
	int ips = 0;

	for (unsigned int i = 0; i < bp->nmmio; i++)
		if (bp->mmio[i].base + bp->mmio[i].size > top)
			top = bp->mmio[i].base + bp->mmio[i].size;
	while (ips < 5 && top > (1ULL << tcr_ips_bits((unsigned int)ips)))
		ips++;
	struct tcr_fields f = { .ips = (unsigned int)ips, .as = true };
	for (int i = 0; i < 2; i++)
		f.half[i] = (struct tcr_half){ .tsz = 64 - g->va_bits,
					       .granule = xlat_granule_size(g),
					       .irgn = TCR_RGN_WBWA,
					       .orgn = TCR_RGN_WBWA,
					       .sh = SH_INNER };
	bm->tcr = tcr_encode(&f);
	bm->mair = MAIR_ATTR(MAIR_NORMAL_WB, MT_NORMAL) | MAIR_ATTR(MAIR_NORMAL_NC, MT_NORMAL_NC) |
		   MAIR_ATTR(MAIR_DEVICE_nGnRnE, MT_DEVICE_nGnRnE) |
		   MAIR_ATTR(MAIR_DEVICE_nGnRE, MT_DEVICE_nGnRE);
	bm->sctlr = SCTLR_M | SCTLR_C | SCTLR_I;
	bm->ttbr0 = ttbr_make(bm->idmap.root, 0, false);
	bm->ttbr1 = ttbr_make(bm->swapper.root, 0, false);
}

static void print_tables(const struct boot_mm *bm, const struct boot_params *bp)
{
	if (bp->style == BOOT_STYLE_CHCORE) {
		printk("Boot page tables (ChCore): TTBR0 identity map %lu pages, TTBR1 map at "
		       "0x%llx %lu pages\n",
		       bm->idmap.table_pages, (unsigned long long)bp->chcore_base,
		       bm->swapper.table_pages);
		return;
	}
	printk("Boot page tables: init_idmap_pg_dir %lu pages (INIT_IDMAP_DIR_PAGES %lu), "
	       "init_pg_dir %lu pages (EARLY_PAGES %lu)\n",
	       bm->idmap_tables, bm->idmap_budget, bm->kimage_tables, bm->kimage_budget);
	printk("swapper_pg_dir: %lu pages (image and linear map of %lu), idmap with MMIO: %lu "
	       "pages\n",
	       bm->swapper.table_pages, bm->linear_tables, bm->idmap.table_pages);
}

/*
 * mm_core_init: the memory map, nodes and zones, and every free memblock range to the buddy
 * allocator (Linux's memblock_free_all); "available" is then what the buddy holds, as the
 * nr_free_pages() of Linux's mem_init.
 */
static int hand_over(struct boot_mm *bm, const struct boot_params *bp)
{
	const struct mm_init_params p = { .nr_cpus = bp->nr_cpus };
	int e = mm_core_init(bp->ms, &bm->memblock, &p);

	if (e)
		return e;
	/* Linux's kmem_cache_init: the kmalloc caches, right after the page allocator. */
	if (bp->slab) {
		e = slab_system_init(bp->slab, bp->ms);
		if (e)
			return e;
	}
	if (bp->vmalloc && bp->style == BOOT_STYLE_LINUX) {
		/* Linux's vmalloc_init, with the image registered as vm_area_add_early does. */
		e = vmalloc_init(bp->vmalloc, &bm->swapper, bm->layout.vmalloc_start,
				 bm->layout.vmalloc_end, bp->ms);
		if (!e)
			e = vmalloc_add_early(bp->vmalloc, bm->layout.kimage_vaddr,
					      bm->layout.kimage_end - bm->layout.kimage_vaddr,
					      VM_MAP, NULL);
		if (e)
			return e;
	}
	/* The VM layer (Linux's proc_caches_init and asids_init): on the kernel's own slab. */
	if (bp->slab == &slab_default_system) {
		e = vm_init(&bm->geom, bp->nr_cpus, 16);
		if (!e)
			e = fork_init();
		if (e)
			return e;
	}
	for (int n = 0; n < bp->ms->nr_online_nodes; n++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			bm->available += (uint64_t)bp->ms->node_data[n].node_zones[z].nr_free_pages
					 << PAGE_SHIFT;
	return 0;
}

int boot_mm_init(struct boot_mm *bm, const struct boot_params *bp, char *err, size_t errlen)
{
	int e;

	*bm = (struct boot_mm){ 0 };
	memblock_init(&bm->memblock);
	if (xlat_geometry_init(&bm->geom, bp->granule, bp->va_bits) ||
	    kernel_layout_init(&bm->layout, bp->granule, bp->va_bits, sizeof(struct page),
			       bp->kasan) ||
	    kernel_layout_set_image_size(&bm->layout, boot_image_size(&bp->image, bp->granule)))
		return fail(err, errlen, -EINVAL, "granule and VA size: no kernel layout");
	printk("Booting kmm on %s: %lluK granule, %u-bit VA, %s boot map\n", bp->board,
	       (unsigned long long)(bp->granule >> 10), bp->va_bits,
	       bp->style == BOOT_STYLE_CHCORE ? "ChCore" : "Linux");
	e = discover_memory(bm, bp, err, errlen);
	if (!e)
		e = reserve_boot_ranges(bm, bp, err, errlen);
	if (e)
		return e;
	layout_image(&bm->image, &bp->image, bm->layout.kimage_vaddr, bp->granule);
	memblock_dump(&bm->memblock);

	bm->alloc = (struct pgtable_alloc){ table_alloc, table_free, &bm->memblock };
	e = pgtable_init(&bm->idmap, &bm->geom, &bm->alloc);
	if (!e)
		e = pgtable_init(&bm->swapper, &bm->geom, &bm->alloc);
	if (!e && bp->style == BOOT_STYLE_CHCORE) {
		e = map_chcore(bm, bp);
	} else if (!e) {
		e = early_tables(bm, bp);
		if (!e)
			e = map_kernel(bm, bp);
		if (!e)
			e = map_mem(bm);
		unsigned long before = bm->idmap.table_pages;
		if (!e)
			e = map_mmio(bp, &bm->idmap, 0, false);
		bm->mmio_tables = bm->idmap.table_pages - before;
	}
	if (e) {
		kmm_snprintf(err, errlen, "boot page tables: error %d", e);
		return e;
	}
	if (bp->style == BOOT_STYLE_LINUX)
		kernel_layout_print(&bm->layout, &bm->image);
	print_tables(bm, bp);
	WARN_ON(bp->style == BOOT_STYLE_LINUX &&
		(bm->kimage_tables > bm->kimage_budget || bm->idmap_tables > bm->idmap_budget));
	translation_regs(bm, bp);

	bm->phys_total = memblock_phys_mem_size(&bm->memblock);
	if (bp->ms) {
		e = hand_over(bm, bp);
		if (e) {
			kmm_snprintf(err, errlen, "page allocator: error %d", e);
			return e;
		}
	} else {
		uint64_t i = 0;
		paddr_t s, t;
		while (memblock_next_free_range(&bm->memblock, &i, &s, &t, NULL))
			bm->available += t - s;
	}
	boot_mm_print_memory(bm);
	return 0;
}

void boot_mm_print_memory(const struct boot_mm *bm)
{
	const struct kernel_image *ki = &bm->image;

	printk("Memory: %lluK/%lluK available (%lluK kernel code, %lluK rwdata, %lluK rodata, "
	       "%lluK init, %lluK bss, %lluK reserved)\n",
	       (unsigned long long)(bm->available >> 10),
	       (unsigned long long)(bm->phys_total >> 10),
	       (unsigned long long)((ki->text.end - ki->text.start) >> 10),
	       (unsigned long long)((ki->data.end - ki->data.start) >> 10),
	       (unsigned long long)((ki->rodata.end - ki->rodata.start) >> 10),
	       (unsigned long long)((ki->init.end - ki->init.start) >> 10),
	       (unsigned long long)((ki->bss.end - ki->bss.start) >> 10),
	       (unsigned long long)((bm->phys_total - bm->available) >> 10));
}

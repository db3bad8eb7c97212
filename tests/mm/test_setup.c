// SPDX-License-Identifier: MIT
/*
 * The memory-management boot (mm/setup.c): a device tree (tests/data/dt/boot-*.dts) or a
 * built-in memory map goes in; memblock, the kernel layout, the boot page tables and the
 * translation registers come out. Everything is checked through the emulated MMU (hw/mmu.h) with
 * the registers the boot computed, so what is verified is what a CPU sees once it turns the MMU
 * on. Expected addresses, blocks and table counts are worked out here from Linux 6.1's formulas
 * and the ARM ARM (DDI 0487) D8, never taken from the code under test.
 */
#include "arch/host/host.h"

#include <aarch64/sysreg.h>
#include <hw/mmu.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/printk.h>
#include <kmm/setup.h>

#include "../ktest/ktest.h"
#include "dt_blobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K(x) ((uint64_t)(x) << 10)
#define M(x) ((uint64_t)(x) << 20)
#define G(x) ((uint64_t)(x) << 30)

/* boot-virt.dts: two banks with a hole, a no-map region in the first. */
static const struct boot_region virt_ram[] = { { 0x40000000, G(1) }, { 0x100000000, M(256) } };
static const struct boot_region virt_nomap = { 0x60010000, K(2240) };
static const struct boot_region virt_hole = { 0x80000000, G(2) };
/* QEMU virt's windows: GIC, UART + RTC + fw-cfg, PCIe MMIO, and the PCIe ECAM above 256G. */
static const struct boot_region virt_mmio[] = {
	{ 0x08000000, K(128) },
	{ 0x09000000, K(192) },
	{ 0x10000000, 0x2eff0000 },
	{ 0x4010000000, M(256) },
};
/* boot-offset.dts: RAM from 0x68000000, with a 2M hole. */
static const struct boot_region offset_ram[] = { { 0x68000000, M(120) }, { 0x6fa00000, M(134) } };
static const struct boot_region offset_hole = { 0x6f800000, M(2) };

#define BOOT_ERRLEN 160

/* A machine, what the boot was given and what it built, and its log. */
struct env {
	struct hw_machine m, *prev;
	struct mmu_features feat;
	struct boot_params bp;
	struct boot_mm bm;
	struct mmu_regs regs; /* from bm's registers */
	char *log;
	size_t loglen;
	char err[BOOT_ERRLEN];
};

static struct env env; /* shared: the tests run one at a time */

/* Detach and free the machine: the state before env_init. */
static void env_fini(struct env *e)
{
	free(e->log);
	e->log = NULL;
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* A machine with the RAM @ram[0..n), attached as the kernel's. */
static bool env_init(struct ktest *kt, struct env *e, const struct boot_region *ram, size_t n)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;

	*e = (struct env){ .feat = MMU_FEATURES_DEFAULT };
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 1, &tlb, &e->feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	for (size_t i = 0; i < n; i++) {
		if (!KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, ram[i].base, ram[i].size), 0)) {
			env_fini(e);
			return false;
		}
	}
	return true;
}

/* The image of every test: 3M text, 1M rodata, 512K init, 700K data, 300K bss. */
static void set_params(struct env *e, uint64_t granule, unsigned int va_bits, paddr_t image)
{
	e->bp.board = "test";
	e->bp.image = (struct boot_image){ .phys = image,
					   .text = M(3),
					   .rodata = M(1),
					   .init = K(512),
					   .data = K(700),
					   .bss = K(300) };
	e->bp.granule = granule;
	e->bp.va_bits = va_bits;
	e->bp.style = BOOT_STYLE_LINUX;
}

/* Copy @blob into RAM at @pa and hand the boot its direct view, as a boot loader would. */
static bool place_dtb(struct ktest *kt, struct env *e, const void *blob, size_t size, paddr_t pa)
{
	if (!KT_EXPECT_EQ(kt, hw_ram_write(&e->m.ram, pa, blob, size), 0))
		return false;
	e->bp.fdt = hw_ram_ptr(&e->m.ram, pa, size);
	e->bp.fdt_size = size;
	e->bp.fdt_phys = pa;
	return true;
}

/* Send printk to e->log, emptied, through *@f until capture_end; returns the old console. */
static FILE *capture_begin(struct env *e, FILE **f)
{
	free(e->log);
	e->log = NULL;
	*f = open_memstream(&e->log, &e->loglen);
	BUG_ON(!*f);
	return host_console_set(*f);
}

static void capture_end(FILE *f, FILE *old)
{
	host_console_set(old);
	fclose(f);
}

/* Run boot_mm_init with its log captured; the MMU registers from what it computed. */
static int run_boot(struct env *e)
{
	FILE *f, *old = capture_begin(e, &f);
	int ret = boot_mm_init(&e->bm, &e->bp, e->err, sizeof(e->err));

	capture_end(f, old);
	e->regs = (struct mmu_regs){ .sctlr = e->bm.sctlr,
				     .tcr = e->bm.tcr,
				     .ttbr0 = e->bm.ttbr0,
				     .ttbr1 = e->bm.ttbr1,
				     .mair = e->bm.mair };
	return ret;
}

/* Boot, expecting success; on failure the error and the log go to the test's output. */
static bool boot_ok(struct ktest *kt, struct env *e)
{
	int ret = run_boot(e);

	if (ret)
		ktest_log(kt, "boot_mm_init: %d: %s; log:\n%s", ret, e->err, e->log);
	return KT_EXPECT_EQ(kt, ret, 0);
}

/* What a leaf should say. EL1 may always read, EL0 may do nothing. */
struct want {
	unsigned int attr;  /* MAIR index (AttrIndx) */
	uint8_t mair;	    /* the attribute MAIR holds there */
	bool w, x;	    /* EL1 write and execute */
	bool any_w;	    /* do not check write */
	unsigned int level; /* of the leaf, 0 for any (no level-0 leaves here) */
};

static const struct want normal_rw = { MT_NORMAL, MAIR_NORMAL_WB, true, false, false, 0 };
static const struct want device_rw = {
	MT_DEVICE_nGnRnE, MAIR_DEVICE_nGnRnE, true, false, false, 0
};

/* Why @va does not translate to @pa as @w says (one walk, then the permission rules), or NULL. */
static const char *leaf_wrong(struct env *e, vaddr_t va, paddr_t pa, const struct want *w)
{
	struct mmu_result r;
	bool r0, w0, x0, r1, w1, x1;

	if (mmu_translate(&e->m.ram, &e->regs, &e->feat, va, 1, MMU_READ, false, &r))
		return mmu_fault_name(r.fault);
	if (r.pa != pa)
		return "wrong PA";
	unsigned int attr = (unsigned int)FIELD_GET(PTE_ATTRINDX_MASK, r.tr.desc);
	if (attr != w->attr || MAIR_ATTR_GET(e->regs.mair, attr) != w->mair)
		return "wrong memory type";
	if (w->level && r.level != w->level)
		return "wrong level";
	mmu_effective(&r.tr, &e->regs, &r0, &w0, &x0, &r1, &w1, &x1);
	if (r0 || w0 || x0)
		return "EL0 may access";
	if (!r1 || (!w->any_w && w1 != w->w) || x1 != w->x)
		return "wrong EL1 permissions";
	return NULL;
}

/* Each access at each EL, translated in full: the faults @w implies (ARM ARM D8.4.1). */
static void expect_accesses(struct ktest *kt, struct env *e, const char *what, vaddr_t va,
			    const struct want *w)
{
	const bool el1_ok[] = { true, w->w, w->x };
	struct mmu_result r;

	for (int acc = MMU_READ; acc <= MMU_EXEC; acc++) {
		if (acc == MMU_WRITE && w->any_w)
			continue;
		enum mmu_fault f1 =
		    mmu_translate(&e->m.ram, &e->regs, &e->feat, va, 1, acc, false, &r);
		enum mmu_fault f0 =
		    mmu_translate(&e->m.ram, &e->regs, &e->feat, va, 0, acc, false, &r);
		if (!KT_EXPECT_EQ(kt, f1, el1_ok[acc] ? MMU_FAULT_NONE : MMU_FAULT_PERMISSION) ||
		    !KT_EXPECT_EQ(kt, f0, MMU_FAULT_PERMISSION))
			ktest_log(kt, "%s: %s at 0x%llx", what, mmu_access_name(acc),
				  (unsigned long long)va);
	}
}

/* One leaf of expect_mapped: counts a wrong one in @bad, logging the first. */
static void leaf_check(struct ktest *kt, struct env *e, const char *what, vaddr_t va, paddr_t pa,
		       const struct want *w, uint64_t *bad)
{
	const char *why = leaf_wrong(e, va, pa, w);

	if (why && !(*bad)++)
		ktest_log(kt, "%s: 0x%llx (PA 0x%llx): %s", what, (unsigned long long)va,
			  (unsigned long long)pa, why);
}

/*
 * [va, va + size) translates to [pa, pa + size) as @w says: at every @step (a page: every page)
 * and at the last page; the first page also with real accesses at both ELs.
 */
static void expect_mapped(struct ktest *kt, struct env *e, const char *what, vaddr_t va, paddr_t pa,
			  uint64_t size, uint64_t step, const struct want *w)
{
	uint64_t last = size - e->bp.granule, bad = 0;

	for (uint64_t off = 0; off < size; off += step)
		leaf_check(kt, e, what, va + off, pa + off, w, &bad);
	leaf_check(kt, e, what, va + last, pa + last, w, &bad);
	KT_EXPECT_EQ(kt, bad, 0);
	expect_accesses(kt, e, what, va, w);
}

/* @va faults with a translation fault. */
static void expect_unmapped(struct ktest *kt, struct env *e, const char *what, vaddr_t va)
{
	struct mmu_result r;

	if (!KT_EXPECT_EQ(kt,
			  mmu_translate(&e->m.ram, &e->regs, &e->feat, va, 1, MMU_READ, false, &r),
			  MMU_FAULT_TRANSLATION))
		ktest_log(kt, "%s: 0x%llx is mapped", what, (unsigned long long)va);
}

/* Every @step of [va, va + size), and its last page, faults. */
static void expect_hole(struct ktest *kt, struct env *e, const char *what, vaddr_t va,
			uint64_t size, uint64_t step)
{
	for (uint64_t off = 0; off < size; off += step)
		expect_unmapped(kt, e, what, va + off);
	expect_unmapped(kt, e, what, va + size - e->bp.granule);
}

/* A Linux configuration, with its figures worked out by hand. */
struct cfg {
	uint64_t granule;
	unsigned int va_bits;
	uint64_t memstart_align; /* ARM64_MEMSTART_ALIGN */
	unsigned long kimage_budget, kimage_tables, idmap_budget, idmap_tables;
};

/*
 * ARM64_MEMSTART_ALIGN (kernel-pgtable.h, v6.1) = 1 << max(ARM64_MEMSTART_SHIFT,
 * SECTION_SIZE_BITS), the shift PUD_SHIFT with 4K pages (30, also folded at 39 bits),
 * CONT_PMD_SHIFT with 16K (25 + 5 = 30) and PMD_SHIFT with 64K (29, also folded at 42 bits);
 * sections are 2^27 (4K, 16K) or 2^29 (64K). So 1G, 1G, 1G, 512M below.
 *
 * The early tables for the test image (5608K at 4K; at 16K data and bss round to 704K and 304K,
 * 5616K; at 64K to 704K and 320K, 5632K), at 0x40200000:
 * EARLY_PAGES(vs, ve, add) = 1 + EARLY_ENTRIES at PGDIR_SHIFT + at PUD_SHIFT if
 * SWAPPER_PGTABLE_LEVELS > 3 + at SWAPPER_TABLE_SHIFT if SWAPPER_PGTABLE_LEVELS > 2, each
 * entry count ((ve - 1) >> shift) - (vs >> shift) + 1 + add.
 *
 * 4K/48: KIMAGE_VADDR = -2^47 + 128M = 0xffff800008000000, _end = +0x57a000. 4 levels,
 *   SWAPPER_PGTABLE_LEVELS 3 (2M blocks), PGDIR_SHIFT 39, SWAPPER_TABLE_SHIFT = PUD_SHIFT 30.
 *   EARLY_PAGES(KIMAGE_VADDR, _end, 0) = 1 + 1 + 0 + 1 = 3; built: L0, L1, L2 = 3.
 *   INIT_IDMAP_DIR_PAGES = EARLY_PAGES(KIMAGE_VADDR, _end + 2M + 2M, 1) = 1 + 2 + 0 + 2 = 5 (no
 *   +2 at 48 bits); built: the image at 0x40200000 identity-mapped, L0, L1, L2 = 3.
 * 4K/39: 3 levels, SWAPPER_PGTABLE_LEVELS 2, PGDIR_SHIFT 30: EARLY_PAGES = 1 + 1 = 2 (L1, L2);
 *   INIT_IDMAP = 1 + 2 = 3, + 2 below 48 bits = 5; built L1, L2 = 2.
 * 16K/47: 3 levels, SWAPPER_PGTABLE_LEVELS 3 (pages), PGDIR_SHIFT 36, SWAPPER_TABLE_SHIFT =
 *   PMD_SHIFT 25: EARLY_PAGES = 1 + 1 + 0 + 1 = 3 (L1, L2, L3); INIT_IDMAP = 1 + 2 + 0 + 2 = 5,
 *   + 2 = 7; built 3.
 * 64K/42: 2 levels, SWAPPER_PGTABLE_LEVELS 2, PGDIR_SHIFT 29: EARLY_PAGES = 1 + 1 = 2 (L2, L3);
 *   INIT_IDMAP = 1 + 2 = 3, + 2 = 5; built 2.
 */
static const struct cfg cfg_4k48 = { K(4), 48, G(1), 3, 3, 5, 3 };
static const struct cfg cfg_4k39 = { K(4), 39, G(1), 2, 2, 5, 2 };
static const struct cfg cfg_16k47 = { K(16), 47, G(1), 3, 3, 7, 3 };
static const struct cfg cfg_64k42 = { K(64), 42, M(512), 2, 2, 5, 2 };

/* The image as mapped: each section from a page boundary (include/kmm/setup.h). */
static uint64_t image_size(const struct env *e)
{
	const struct boot_image *i = &e->bp.image;
	uint64_t g = e->bp.granule;

	return ALIGN_UP(i->text, g) + ALIGN_UP(i->rodata, g) + ALIGN_UP(i->init, g) +
	       ALIGN_UP(i->data, g) + ALIGN_UP(i->bss, g);
}

/* Linux's PAGE_OFFSET: -2^VA_BITS. */
static vaddr_t page_offset(const struct env *e)
{
	return ~0ULL << e->bp.va_bits;
}

/* Linux's KIMAGE_VADDR without KASAN: _PAGE_END(VA_BITS) + the modules' 128M. */
static vaddr_t kimage_vaddr(const struct env *e)
{
	return (~0ULL << (e->bp.va_bits - 1)) + M(128);
}

/* Every page of each RAM bank but @nomap is in the linear map; @nomap and @hole are not. */
static void expect_linear(struct ktest *kt, struct env *e, const struct boot_region *ram, size_t n,
			  const struct boot_region *nomap, const struct boot_region *hole,
			  paddr_t phys_offset)
{
	uint64_t page = e->bp.granule;
	vaddr_t lm = page_offset(e) - phys_offset; /* + PA */

	for (size_t i = 0; i < n; i++) {
		paddr_t s = ram[i].base, end = s + ram[i].size;
		if (nomap && nomap->base >= s && nomap->base < end) {
			expect_mapped(kt, e, "linear", lm + s, s, nomap->base - s, page,
				      &normal_rw);
			s = nomap->base + nomap->size;
			expect_hole(kt, e, "no-map", lm + nomap->base, nomap->size, page);
		}
		expect_mapped(kt, e, "linear", lm + s, s, end - s, page, &normal_rw);
	}
	expect_hole(kt, e, "hole", lm + hole->base, hole->size, M(2));
	expect_unmapped(kt, e, "below RAM", lm + ram[0].base - page);
	expect_unmapped(kt, e, "above RAM", lm + ram[n - 1].base + ram[n - 1].size);
}

/* Every page of the image at KIMAGE_VADDR, with its section's permissions; nothing around it. */
static void expect_kimage(struct ktest *kt, struct env *e)
{
	const struct boot_image *img = &e->bp.image;
	const struct {
		const char *name;
		uint64_t size;
		struct want w;
	} secs[] = {
		{ "text", img->text, { MT_NORMAL, MAIR_NORMAL_WB, false, true, false, 0 } },
		{ "rodata", img->rodata, { MT_NORMAL, MAIR_NORMAL_WB, false, false, false, 0 } },
		{ "init", img->init, { MT_NORMAL, MAIR_NORMAL_WB, false, true, false, 0 } },
		{ "data", img->data, normal_rw },
		{ "bss", img->bss, normal_rw },
	};
	uint64_t page = e->bp.granule, off = 0;
	vaddr_t kv = kimage_vaddr(e);

	for (size_t i = 0; i < ARRAY_SIZE(secs); i++) {
		uint64_t size = ALIGN_UP(secs[i].size, page);
		expect_mapped(kt, e, secs[i].name, kv + off, img->phys + off, size, page,
			      &secs[i].w);
		off += size;
	}
	KT_EXPECT_EQ(kt, off, image_size(e));
	expect_unmapped(kt, e, "below the image", kv - page);
	expect_unmapped(kt, e, "above the image", kv + off);
}

/*
 * TTBR0: the image identity-mapped in SWAPPER_BLOCK_SIZE blocks (2M with 4K pages, else pages),
 * executable at EL1; the MMIO windows Device-nGnRnE, execute-never. Nothing just outside them.
 */
static void expect_idmap(struct ktest *kt, struct env *e)
{
	uint64_t page = e->bp.granule, blk = page == K(4) ? M(2) : page;
	paddr_t s = ALIGN_DOWN(e->bp.image.phys, blk);
	paddr_t end = ALIGN_UP(e->bp.image.phys + image_size(e), blk);
	const struct want rwx = { MT_NORMAL, MAIR_NORMAL_WB, true, true, true, 0 };

	expect_mapped(kt, e, "idmap", s, s, end - s, page, &rwx);
	expect_unmapped(kt, e, "below the idmap", s - page);
	expect_unmapped(kt, e, "above the idmap", end);
	for (unsigned int i = 0; i < e->bp.nmmio; i++) {
		const struct boot_region *r = &e->bp.mmio[i];
		expect_mapped(kt, e, "mmio", r->base, r->base, r->size,
			      r->size > M(1) ? M(1) : page, &device_rw);
		expect_unmapped(kt, e, "below mmio", r->base - page);
		expect_unmapped(kt, e, "above mmio", r->base + r->size);
	}
}

/* The "Memory:" line of the log, from the figures in K. */
static void expect_memory_line(struct ktest *kt, struct env *e, uint64_t total, uint64_t avail)
{
	const struct boot_image *i = &e->bp.image;
	char want[256];

	kmm_snprintf(
	    want, sizeof(want),
	    "Memory: %lluK/%lluK available (%lluK kernel code, %lluK rwdata, %lluK rodata, "
	    "%lluK init, %lluK bss, %lluK reserved)\n",
	    (unsigned long long)avail, (unsigned long long)total,
	    (unsigned long long)(i->text >> 10), (unsigned long long)(i->data >> 10),
	    (unsigned long long)(i->rodata >> 10), (unsigned long long)(i->init >> 10),
	    (unsigned long long)(i->bss >> 10), (unsigned long long)(total - avail));
	if (!KT_EXPECT_NOT_NULL(kt, strstr(e->log, want)))
		ktest_log(kt, "no \"%.*s\" in the log:\n%s", (int)strlen(want) - 1, want, e->log);
}

/* @s is in the log. */
static void expect_log(struct ktest *kt, struct env *e, const char *s)
{
	if (!KT_EXPECT_NOT_NULL(kt, strstr(e->log, s)))
		ktest_log(kt, "no \"%s\" in the log:\n%s", s, e->log);
}

/*
 * The memblock accounting after the boot: reserved = the image + the DTB's pages + the final
 * tables (the early kernel tables were given back); available = memory - no-map - reserved.
 */
static void expect_accounting(struct ktest *kt, struct env *e, uint64_t nomap)
{
	const struct boot_mm *bm = &e->bm;
	uint64_t g = e->bp.granule;
	uint64_t dtb = ALIGN_UP(e->bp.fdt_phys + e->bp.fdt_size, g) - ALIGN_DOWN(e->bp.fdt_phys, g);
	uint64_t tables = bm->idmap.table_bytes + bm->swapper.table_bytes;
	uint64_t rsv = image_size(e) + dtb + tables;
	uint64_t total = hw_ram_total(&e->m.ram);

	KT_EXPECT_EQ(kt, memblock_check(&bm->memblock), 0);
	KT_EXPECT_EQ(kt, memblock_reserved_size(&bm->memblock), rsv);
	KT_EXPECT_EQ(kt, bm->phys_total, total);
	KT_EXPECT_EQ(kt, bm->available, total - nomap - rsv);
	expect_memory_line(kt, e, total >> 10, (total - nomap - rsv) >> 10);
}

/* The early-table counts and budgets of @c. */
static void expect_early(struct ktest *kt, struct env *e, const struct cfg *c)
{
	KT_EXPECT_EQ(kt, e->bm.kimage_budget, c->kimage_budget);
	KT_EXPECT_EQ(kt, e->bm.kimage_tables, c->kimage_tables);
	KT_EXPECT_EQ(kt, e->bm.idmap_budget, c->idmap_budget);
	KT_EXPECT_EQ(kt, e->bm.idmap_tables, c->idmap_tables);
	KT_EXPECT_LE(kt, e->bm.kimage_tables, e->bm.kimage_budget);
	KT_EXPECT_LE(kt, e->bm.idmap_tables, e->bm.idmap_budget);
}

/* Boot the virt-like board under @c: DTB at the start of RAM, the image 2M above it. */
static bool boot_virt(struct ktest *kt, struct env *e, const struct cfg *c)
{
	if (!env_init(kt, e, virt_ram, ARRAY_SIZE(virt_ram)))
		return false;
	set_params(e, c->granule, c->va_bits, 0x40200000);
	e->bp.board = "virt";
	e->bp.mmio = virt_mmio;
	e->bp.nmmio = ARRAY_SIZE(virt_mmio);
	if (place_dtb(kt, e, dtb_boot_virt, dtb_boot_virt_size, 0x40000000) && boot_ok(kt, e))
		return true;
	env_fini(e);
	return false;
}

/* The virt-like board under @c: every mapping, the early tables, the accounting, the log. */
static void check_virt(struct ktest *kt, const struct cfg *c)
{
	struct env *e = &env;

	if (!boot_virt(kt, e, c))
		return;
	KT_EXPECT_EQ(kt, e->bm.phys_offset, 0x40000000);
	KT_EXPECT_EQ(kt, e->bm.layout.page_offset, page_offset(e));
	KT_EXPECT_EQ(kt, e->bm.layout.kimage_vaddr, kimage_vaddr(e));
	expect_linear(kt, e, virt_ram, ARRAY_SIZE(virt_ram), &virt_nomap, &virt_hole, 0x40000000);
	expect_kimage(kt, e);
	expect_idmap(kt, e);
	expect_early(kt, e, c);
	expect_accounting(kt, e, virt_nomap.size);
	expect_log(kt, e, "MEMBLOCK configuration:");
	expect_log(kt, e, "Virtual kernel memory layout:");
	expect_log(kt, e, "Boot page tables: init_idmap_pg_dir ");
	expect_log(kt, e,
		   "OF: reserved mem: 0x0000000060010000..0x000000006023ffff (2240 KiB) "
		   "no-map fw@60010000");
	env_fini(e);
}

KTEST(boot, virt_4k_48)
{
	check_virt(kt, &cfg_4k48);
}

KTEST(boot, virt_4k_39)
{
	check_virt(kt, &cfg_4k39);
}

KTEST(boot, virt_16k_47)
{
	check_virt(kt, &cfg_16k47);
}

KTEST(boot, virt_64k_42)
{
	check_virt(kt, &cfg_64k42);
}

/*
 * 4K/48 on the virt-like board, the final tables and the log's figures by hand.
 * swapper_pg_dir (TTBR1): L0; the image at 0xffff800008000000 (L0[256]): L1, L2, and L3s for
 *   the 2M slots [0x08200000) (text's last 1M, rodata) and [0x08400000) (init, data, bss; the
 *   first 2M of text is a block) = 4; the linear map (L0[0]): L1, L2 for bank 0 (L1[0]) with L3s
 *   at the no-map region's two partial 2M slots, L2 for bank 1 (L1[3]) = 5. 10 pages.
 * idmap (TTBR0): L0, L1, L2 for the image (L1[1]) = 3; MMIO: L2 for L1[0] with L3s for the GIC,
 *   the UART and the end of the PCIe window at 0x3eff0000, L2 for the ECAM (L1[256]) = 5. 8 pages.
 * Memory: 1280M = 1310720K; no-map 2240K; reserved 5608K image + 4K DTB + 18 x 4K tables
 *   = 5684K; available 1310720 - 2240 - 5684 = 1302796K; "reserved" 2240 + 5684 = 7924K.
 */
KTEST(boot, virt_4k_48_tables)
{
	struct env *e = &env;

	if (!boot_virt(kt, e, &cfg_4k48))
		return;
	KT_EXPECT_EQ(kt, e->bm.swapper.table_pages, 10);
	KT_EXPECT_EQ(kt, e->bm.linear_tables, 5);
	KT_EXPECT_EQ(kt, e->bm.idmap.table_pages, 8);
	KT_EXPECT_EQ(kt, e->bm.mmio_tables, 5);
	KT_EXPECT_EQ(kt, memblock_reserved_size(&e->bm.memblock), K(5684));
	expect_log(kt, e,
		   "Boot page tables: init_idmap_pg_dir 3 pages (INIT_IDMAP_DIR_PAGES 5), "
		   "init_pg_dir 3 pages (EARLY_PAGES 3)\n");
	expect_log(kt, e,
		   "swapper_pg_dir: 10 pages (image and linear map of 5), idmap with MMIO: 8 "
		   "pages\n");
	expect_log(kt, e,
		   "Memory: 1302796K/1310720K available (3072K kernel code, 700K rwdata, "
		   "1024K rodata, 512K init, 300K bss, 7924K reserved)\n");
	env_fini(e);
}

/* PHYS_OFFSET is the start of DRAM rounded down to ARM64_MEMSTART_ALIGN; the linear map uses it. */
static void check_offset(struct ktest *kt, const struct cfg *c)
{
	struct env *e = &env;
	paddr_t want = ALIGN_DOWN(offset_ram[0].base, c->memstart_align);

	if (!env_init(kt, e, offset_ram, ARRAY_SIZE(offset_ram)))
		return;
	set_params(e, c->granule, c->va_bits, 0x68200000);
	if (place_dtb(kt, e, dtb_boot_offset, dtb_boot_offset_size, 0x68000000) && boot_ok(kt, e)) {
		KT_EXPECT_EQ(kt, e->bm.phys_offset, want);
		expect_linear(kt, e, offset_ram, ARRAY_SIZE(offset_ram), NULL, &offset_hole, want);
		expect_kimage(kt, e);
		expect_idmap(kt, e);
		expect_accounting(kt, e, 0);
	}
	env_fini(e);
}

KTEST(boot, phys_offset)
{
	const struct cfg *cfgs[] = { &cfg_4k48, &cfg_4k39, &cfg_16k47, &cfg_64k42 };

	for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++)
		check_offset(kt, cfgs[i]);
}

/* seed 001's Raspberry Pi 3: RAM below 0x3f000000, the peripherals, the local peripherals. */
static const struct boot_region rpi3_ram[] = { { 0, 0x3f000000 } };
static const struct boot_region rpi3_mmio[] = { { 0x3f000000, M(16) }, { 0x40000000, G(1) } };
#define CHCORE_BASE 0xffffff0000000000ULL

/* Both halves of the ChCore map: identity by TTBR0, CHCORE_BASE + PA by TTBR1. */
static void expect_chcore_half(struct ktest *kt, struct env *e, vaddr_t off)
{
	const struct want normal = { MT_NORMAL, MAIR_NORMAL_WB, true, true, false, 2 };
	const struct want dev2 = { MT_DEVICE_nGnRnE, MAIR_DEVICE_nGnRnE, true, false, false, 2 };
	const struct want dev1 = { MT_DEVICE_nGnRnE, MAIR_DEVICE_nGnRnE, true, false, false, 1 };

	expect_mapped(kt, e, "chcore RAM", off, 0, 0x3f000000, M(2), &normal);
	expect_mapped(kt, e, "chcore peripherals", off + 0x3f000000, 0x3f000000, M(16), M(2),
		      &dev2);
	expect_mapped(kt, e, "chcore local peripherals", off + G(1), G(1), G(1), G(1), &dev1);
	expect_unmapped(kt, e, "chcore above 2G", off + G(2));
	expect_unmapped(kt, e, "chcore far above", off + G(512) - K(4));
}

/*
 * ChCore lab 2's boot map, seed 001, no DTB. 4K/48: each half needs L0, one L1 (all of [0, 2G)
 * is L1[0..1]) and one L2 (the 2M blocks of [0, 1G)); the 1G block sits in the L1. 6 pages.
 * Memory: 0x3f000000 = 1032192K; reserved 5608K image + 6 x 4K = 5632K; available 1026560K.
 */
KTEST(boot, chcore_rpi3)
{
	struct env *e = &env;

	if (!env_init(kt, e, rpi3_ram, ARRAY_SIZE(rpi3_ram)))
		return;
	set_params(e, K(4), 48, 0x80000);
	e->bp.board = "raspi3";
	e->bp.style = BOOT_STYLE_CHCORE;
	e->bp.chcore_base = CHCORE_BASE;
	e->bp.builtin_mem = rpi3_ram;
	e->bp.nbuiltin = ARRAY_SIZE(rpi3_ram);
	e->bp.mmio = rpi3_mmio;
	e->bp.nmmio = ARRAY_SIZE(rpi3_mmio);
	if (boot_ok(kt, e)) {
		expect_chcore_half(kt, e, 0);
		expect_chcore_half(kt, e, CHCORE_BASE);
		KT_EXPECT_EQ(kt, e->bm.idmap.table_pages, 3);
		KT_EXPECT_EQ(kt, e->bm.swapper.table_pages, 3);
		expect_accounting(kt, e, 0);
		KT_EXPECT_EQ(kt, e->bm.available, K(1026560));
		expect_log(kt, e,
			   "Built-in memory map: [mem 0x0000000000000000-0x000000003effffff]");
		expect_log(kt, e,
			   "Boot page tables (ChCore): TTBR0 identity map 3 pages, TTBR1 map at "
			   "0xffffff0000000000 3 pages\n");
		expect_log(kt, e, "MEMBLOCK configuration:");
		KT_EXPECT_NULL(kt, strstr(e->log, "Virtual kernel memory layout:"));
	}
	env_fini(e);
}

/* A failed boot built nothing: no memory, no tables, registers that leave the MMU off. */
static void expect_nothing_built(struct ktest *kt, const struct boot_mm *bm)
{
	KT_EXPECT_EQ(kt, bm->memblock.reserved.cnt, 0);
	KT_EXPECT_EQ(kt, bm->idmap.table_pages + bm->swapper.table_pages, 0);
	KT_EXPECT_EQ(kt, bm->idmap.root | bm->swapper.root, 0);
	KT_EXPECT_EQ(kt, bm->sctlr & SCTLR_M, 0);
	KT_EXPECT_EQ(kt, bm->ttbr0 | bm->ttbr1 | bm->tcr, 0);
	KT_EXPECT_EQ(kt, bm->phys_total + bm->available, 0);
}

/* What is left of a failed boot can still be printed, and says there is nothing. */
static void expect_harmless(struct ktest *kt, struct env *e)
{
	FILE *f, *old = capture_begin(e, &f);

	boot_mm_print_memory(&e->bm);
	capture_end(f, old);
	expect_log(
	    kt, e,
	    "Memory: 0K/0K available (0K kernel code, 0K rwdata, 0K rodata, 0K init, 0K bss, "
	    "0K reserved)\n");
}

/* Boot expecting -EINVAL and an error starting with @msg. */
static void expect_einval(struct ktest *kt, struct env *e, const char *msg)
{
	KT_EXPECT_EQ(kt, run_boot(e), -EINVAL);
	if (!KT_EXPECT_EQ(kt, strncmp(e->err, msg, strlen(msg)), 0))
		ktest_log(kt, "error \"%s\", expected \"%s...\"", e->err, msg);
	expect_nothing_built(kt, &e->bm);
}

/* A corrupt or truncated DTB: -EINVAL with the parser's message, nothing built. */
KTEST(boot, bad_dtb)
{
	struct env *e = &env;
	const uint32_t bad_magic = 0xefbeedfe; /* 0xfeedbeef, big-endian */

	if (!env_init(kt, e, virt_ram, ARRAY_SIZE(virt_ram)))
		return;
	set_params(e, K(4), 48, 0x40200000);
	if (place_dtb(kt, e, dtb_boot_virt, dtb_boot_virt_size, 0x40000000)) {
		KT_EXPECT_EQ(kt, hw_ram_write(&e->m.ram, 0x40000000, &bad_magic, 4), 0);
		expect_einval(kt, e, "device tree: header");
		KT_EXPECT_FALSE(kt, e->bm.have_dt);
		KT_EXPECT_EQ(kt, e->bm.memblock.memory.cnt, 0);
		expect_log(kt, e, "Booting kmm on test");
		KT_EXPECT_NULL(kt, strstr(e->log, "MEMBLOCK"));
		expect_harmless(kt, e);
	}
	if (place_dtb(kt, e, dtb_boot_virt, dtb_boot_virt_size, 0x40000000)) {
		e->bp.fdt_size = 40;
		expect_einval(kt, e, "device tree: header");
	}
	env_fini(e);
}

/* The image out of memory: in the hole, across the end of a bank, not page-aligned. */
KTEST(boot, bad_image)
{
	struct env *e = &env;
	const paddr_t bad[] = { 0x90000000, 0x7ff00000, 0x110000000,
				0x40200800, 0x3ff00000, 0xffffffffffe00000 };

	if (!env_init(kt, e, virt_ram, ARRAY_SIZE(virt_ram)))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		set_params(e, K(4), 48, bad[i]);
		if (place_dtb(kt, e, dtb_boot_virt, dtb_boot_virt_size, 0x40000000)) {
			expect_einval(kt, e, "the kernel image is not in memory");
			KT_EXPECT_TRUE(kt, e->bm.have_dt);
		}
	}
	env_fini(e);
}

/* An image whose ends are in RAM but whose middle is the 2M hole of boot-offset.dts. */
KTEST(boot, image_across_hole)
{
	struct env *e = &env;

	if (!env_init(kt, e, offset_ram, ARRAY_SIZE(offset_ram)))
		return;
	set_params(e, K(4), 48, 0x6f600000);
	if (place_dtb(kt, e, dtb_boot_offset, dtb_boot_offset_size, 0x68000000))
		expect_einval(kt, e, "the kernel image is not in memory");
	env_fini(e);
}

/* No layout for the granule and VA size: -EINVAL before anything is read. */
KTEST(boot, bad_geometry)
{
	struct env *e = &env;

	if (!env_init(kt, e, virt_ram, ARRAY_SIZE(virt_ram)))
		return;
	set_params(e, K(4), 52, 0x40200000);
	if (place_dtb(kt, e, dtb_boot_virt, dtb_boot_virt_size, 0x40000000)) {
		expect_einval(kt, e, "granule and VA size");
		e->bp.granule = K(8);
		e->bp.va_bits = 48;
		expect_einval(kt, e, "granule and VA size");
	}
	env_fini(e);
}

/* Memory that holds the image and nothing more: no room for a table, -ENOMEM. */
KTEST(boot, no_room_for_tables)
{
	struct env *e = &env;
	struct boot_region mem;

	if (!env_init(kt, e, virt_ram, ARRAY_SIZE(virt_ram)))
		return;
	set_params(e, K(4), 48, 0x40200000);
	mem = (struct boot_region){ 0x40200000, image_size(e) };
	e->bp.builtin_mem = &mem;
	e->bp.nbuiltin = 1;
	KT_EXPECT_EQ(kt, run_boot(e), -ENOMEM);
	KT_EXPECT_STREQ(kt, e->err, "boot page tables: error -12");
	env_fini(e);
}

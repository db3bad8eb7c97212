// SPDX-License-Identifier: MIT
/*
 * kmm's bare-metal kernel on QEMU (-M virt with cortex-a72/a53, -M raspi3b): the same mm code as
 * the simulator, on a real (emulated) MMU. head.S enters start_kernel at KIMAGE_VADDR with the
 * MMU on (identity map and image map of its own), and the boot goes on here:
 *
 *   1. board_probe: the board, the UART and the command line from the DTB (x0), read through
 *      head.S's DTB window; without a DTB, the raspi3b and seed 001's built-in map.
 *   2. The console: the UART mapped Device at the fixmap's first page; printk works. The
 *      secondary CPUs a spin table holds (raspi3b) are sent to wait in head.S's holding pen,
 *      secondary_park, until the smp part starts them (smp.c; PSCI starts virt's).
 *   3. The early linear map: every RAM range the DTB names, at PAGE_OFFSET + PA - PHYS_OFFSET,
 *      into head.S's tables. From here on the direct view (arch_phys_to_virt) is the linear map,
 *      so every pointer the boot makes stays valid on swapper_pg_dir.
 *   4. boot_mm_init (mm/setup.c): memblock, the boot page tables (init_idmap, swapper_pg_dir),
 *      zones, buddy, slab, vmalloc; the boot log on the UART. The image is described by the
 *      linker script's symbols.
 *   5. The switch: the UART mapped in swapper_pg_dir at the same fixmap address, TTBR1 replaced
 *      through the boot's identity map (aarch64_switch_to_swapper), the identity map dropped.
 *   6. The parts below, in order, then exit QEMU (semihosting) with status 0 only if none of
 *      them failed; or, with `kmm.shell` on the command line, the interactive shell (and with
 *      `kmm.fault`, first a kernel fault on purpose: the report, and exit status 3).
 *
 * Adding a later part (the AT cross-check, the EL0 programs, SMP): write it in its own file here,
 * as `unsigned int part(struct kernel *k)` printing its results and returning its failure count,
 * declare it in kernel.h and add a line to parts[]. A part that needs exceptions of its own sets
 * the hooks of aarch64/traps.h (EL0 system calls and signals, IRQs). The secondary CPUs come up
 * in the smp part only (aarch64/smp.h: their number in TPIDR_EL1, arch_cpu_id) and are stopped
 * at its end, so the parts before it run on the boot CPU alone.
 */
#include "kernel.h"

#include <aarch64/machine.h>
#include <aarch64/sysreg.h>
#include <kmm/bug.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#define SZ_1G 0x40000000ULL

static const struct kernel_part parts[] = {
	{ "ktest", kernel_run_tests },
	{ "el0", el0_run_programs },
	{ "at-crosscheck", kernel_at_crosscheck },
	{ "smp", kernel_smp },
};

static struct kernel kernel;

unsigned long kernel_uptime_ms(const struct kernel *k)
{
	return (unsigned long)((aarch64_counter() - k->t_start) * 1000 / aarch64_counter_freq());
}

void kernel_exit(unsigned int status)
{
	semihosting_exit(status);
}

static void panic_exit(void)
{
	semihosting_exit(KEXIT_PANIC);
}

/* Stop the boot with @what (the console may not be up: the buffer is then lost with it). */
__attribute__((noreturn)) static void boot_panic(const char *what, const char *detail)
{
	printk("kmm: boot failed: %s%s%s\n", what, detail[0] ? ": " : "", detail);
	kernel_exit(KEXIT_PANIC);
}

static struct pte_attrs normal_rw(void)
{
	return (struct pte_attrs){ .attrindx = MT_NORMAL,
				   .sh = SH_INNER,
				   .ap = AP_RW_EL1,
				   .af = true,
				   .pxn = true,
				   .uxn = true };
}

static struct pte_attrs device_rw(void)
{
	return (struct pte_attrs){ .attrindx = MT_DEVICE_nGnRnE,
				   .sh = SH_NON,
				   .ap = AP_RW_EL1,
				   .af = true,
				   .pxn = true,
				   .uxn = true };
}

/* Step 2: the UART at the first page of the fixmap (Linux's earlycon does the same). */
static void console_init(struct kernel *k, const struct kernel_layout *l)
{
	struct pte_attrs dev = device_rw();

	k->uart_va = l->fixaddr_start;
	if (aarch64_early_map(k->uart_va, ALIGN_DOWN(k->machine.uart, 4096), 4096, &dev, 4096))
		kernel_exit(KEXIT_PANIC); /* no console to say it on */
	uart_init(k->machine.uart, k->uart_va);
}

/*
 * The secondary CPUs a spin table holds (raspi3b: QEMU's firmware stub spins in WFE on its
 * slots at 0xd8): write secondary_park's physical address into their slots, clean them to the
 * point of coherency (they read with the MMU off) and wake them with SEV (booting.rst,
 * "spin-table"). They then wait in WFI, in head.S's holding pen, instead of spinning. The
 * table's page is mapped for this at the fixmap's second page, in the early tables only.
 */
static void park_secondaries(struct kernel *k, const struct kernel_layout *l)
{
	extern char secondary_park[];
	struct pte_attrs rw = normal_rw();
	vaddr_t va = l->fixaddr_start + 4096;
	paddr_t page = 0;
	bool mapped = false;

	for (unsigned int i = 1; i < k->machine.ncpus && i < QEMU_CPUS_MAX; i++) {
		paddr_t rel = k->machine.cpu_release[i];
		if (!rel || (mapped && ALIGN_DOWN(rel, 4096) != page))
			continue;
		if (!mapped) {
			page = ALIGN_DOWN(rel, 4096);
			if (aarch64_early_map(va, page, 4096, &rw, 4096))
				return;
			mapped = true;
		}
		volatile uint64_t *slot = (volatile uint64_t *)(va + (rel - page));
		*slot = arch_virt_to_phys(secondary_park);
		__asm__ volatile("dc civac, %0" : : "r"(slot) : "memory");
	}
	__asm__ volatile("dsb sy\n\tsev" : : : "memory");
}

/* Step 3: the RAM the DTB (or the board) names, mapped at its linear-map address. */
static paddr_t early_linear_map(struct kernel *k, const struct kernel_layout *l)
{
	static struct fdt_mem_info dt; /* large: kept off the stack */
	struct boot_region ram[FDT_MEM_MAX];
	unsigned int n = 0;
	char msg[FDT_MEM_ERRLEN];

	if (k->machine.fdt) {
		if (fdt_mem_parse(k->machine.fdt, k->machine.fdt_size, &dt, msg, sizeof(msg)))
			boot_panic("device tree", msg);
		for (; n < dt.nr_memory; n++)
			ram[n] = (struct boot_region){ dt.memory[n].base, dt.memory[n].size };
	} else {
		for (; n < k->machine.board->nbuiltin; n++)
			ram[n] = k->machine.board->builtin_mem[n];
	}
	if (!n)
		boot_panic("no memory", "");
	/* PHYS_OFFSET as mm/setup.c computes it for 4K pages: DRAM's start, 1G aligned. */
	paddr_t phys_offset = ram[0].base;
	for (unsigned int i = 1; i < n; i++)
		phys_offset = ram[i].base < phys_offset ? ram[i].base : phys_offset;
	phys_offset = ALIGN_DOWN(phys_offset, SZ_1G);

	struct pte_attrs rw = normal_rw();
	for (unsigned int i = 0; i < n; i++) {
		int e = aarch64_early_map(l->page_offset + ram[i].base - phys_offset, ram[i].base,
					  ram[i].size, &rw, SZ_1G);
		if (e) {
			kmm_snprintf(msg, sizeof(msg), "error %d at [0x%llx, +0x%llx)", e,
				     (unsigned long long)ram[i].base,
				     (unsigned long long)ram[i].size);
			boot_panic("early linear map", msg);
		}
	}
	if (aarch64_set_linear_map(l, phys_offset, ram, n))
		boot_panic("early linear map", "too many RAM ranges");
	if (k->machine.fdt)
		k->machine.fdt = arch_phys_to_virt(k->machine.fdt_phys);
	return phys_offset;
}

/* The image as the linker laid it out. */
static struct boot_image linked_image(paddr_t phys)
{
	return (struct boot_image){
		.phys = phys,
		.text = (uint64_t)(_etext - _text),
		.rodata = (uint64_t)(__init_begin - __start_rodata),
		.init = (uint64_t)(__init_end - __init_begin),
		.data = (uint64_t)(_edata - _sdata),
		.bss = (uint64_t)(__bss_stop - __bss_start),
	};
}

/* What boot_mm_init built agrees with what runs: the link address, sections, MAIR, PHYS_OFFSET. */
static void check_boot(const struct kernel *k, paddr_t phys_offset)
{
	const struct boot_mm *bm = &k->bm;

	BUG_ON(bm->layout.kimage_vaddr != (vaddr_t)_text);
	BUG_ON(bm->image.rodata.start != (vaddr_t)__start_rodata);
	BUG_ON(bm->image.init.start != (vaddr_t)__init_begin);
	BUG_ON(bm->image.data.start != (vaddr_t)_sdata);
	BUG_ON(bm->image.bss.start != (vaddr_t)__bss_start);
	BUG_ON(bm->phys_offset != phys_offset);
	BUG_ON(bm->mair != read_sysreg(mair_el1));
	BUG_ON((read_sysreg(sctlr_el1) & bm->sctlr) != bm->sctlr);
}

/* The RAM swapper_pg_dir's linear map holds: memblock's memory without the no-map ranges. */
static void final_linear_view(const struct kernel *k)
{
	const struct memblock_type *mem = &k->bm.memblock.memory;
	struct boot_region ram[AARCH64_RAM_MAX];
	unsigned int n = 0;

	for (unsigned long i = 0; i < mem->cnt && n < AARCH64_RAM_MAX; i++)
		if (!(mem->regions[i].flags & MEMBLOCK_NOMAP))
			ram[n++] =
			    (struct boot_region){ mem->regions[i].base, mem->regions[i].size };
	BUG_ON(aarch64_set_linear_map(&k->bm.layout, k->bm.phys_offset, ram, n));
}

/* Steps 4 and 5. */
static void boot(struct kernel *k, paddr_t phys_offset)
{
	const struct qemu_machine *m = &k->machine;
	struct boot_params bp = {
		.board = m->board->description,
		.fdt = m->fdt,
		.fdt_size = m->fdt_size,
		.fdt_phys = m->fdt_phys,
		.builtin_mem = m->board->builtin_mem,
		.nbuiltin = m->board->nbuiltin,
		.mmio = m->board->mmio,
		.nmmio = m->board->nmmio,
		.image = linked_image(k->image_phys),
		.granule = PAGE_SIZE,
		.va_bits = 48,
		.style = BOOT_STYLE_LINUX,
		.ms = &mm_default_system,
		.nr_cpus = m->ncpus,
		.vmalloc = &vmalloc_default,
		.slab = &slab_default_system,
	};
	char msg[256];

	if (boot_mm_init(&k->bm, &bp, msg, sizeof(msg)))
		boot_panic("boot_mm_init", msg);
	check_boot(k, phys_offset);

	struct pte_attrs dev = device_rw();
	if (pgtable_map(&k->bm.swapper, k->uart_va, ALIGN_DOWN(m->uart, 4096), 4096, &dev, 4096))
		boot_panic("mapping the UART in swapper_pg_dir", "");
	aarch64_switch_to_swapper(k->bm.ttbr1, k->bm.ttbr0, k->bm.tcr);
	final_linear_view(k);
	printk("kmm: on swapper_pg_dir: TTBR1_EL1 0x%llx TCR_EL1 0x%llx; identity map dropped "
	       "(TTBR0_EL1 0x%llx, the zero page); boot took %lu ms\n",
	       (unsigned long long)read_sysreg(ttbr1_el1), (unsigned long long)read_sysreg(tcr_el1),
	       (unsigned long long)read_sysreg(ttbr0_el1), kernel_uptime_ms(k));
}

static const char *cpu_name(uint64_t midr)
{
	switch ((midr >> 4) & 0xfff) { /* PartNum (ARM ARM D19.2 "MIDR_EL1") */
	case 0xd03:
		return "Cortex-A53";
	case 0xd08:
		return "Cortex-A72";
	default:
		return "an AArch64 CPU";
	}
}

static void banner(const struct kernel *k, uint64_t entry_el)
{
	const struct qemu_machine *m = &k->machine;
	uint64_t midr = read_sysreg(midr_el1);

	printk("kmm: bare-metal kernel on %s, %s (MIDR 0x%08llx), entered at EL%llu, %u CPU%s\n",
	       m->board->description, cpu_name(midr), (unsigned long long)midr,
	       (unsigned long long)entry_el, m->ncpus, m->ncpus == 1 ? "" : "s");
	printk(
	    "kmm: image at 0x%llx (PA) / 0x%llx, %lu KiB; DTB %s0x%llx (%zu bytes); UART 0x%llx\n",
	    (unsigned long long)k->image_phys, (unsigned long long)(vaddr_t)_text,
	    (unsigned long)((_end - _text) >> 10),
	    m->fdt ? "at " : "none, x0 = ", (unsigned long long)m->fdt_phys, m->fdt_size,
	    (unsigned long long)m->uart);
	if (m->error[0])
		printk("kmm: %s: using the board's built-in memory map\n", m->error);
	if (m->bootargs[0])
		printk("kmm: command line: %s\n", m->bootargs);
}

/*
 * kmm.fault on the command line: read the bottom of the modules area, which nothing maps, to
 * show the report of an unexpected kernel fault (aarch64/traps.h); QEMU exits with KEXIT_PANIC.
 */
static void deliberate_fault(const struct kernel *k)
{
	vaddr_t va = k->bm.layout.modules_vaddr;

	printk("kmm: kmm.fault: reading 0x%llx, which nothing maps\n", (unsigned long long)va);
	(void)*(volatile uint64_t *)va;
}

/* Step 6: the parts, then QEMU's exit with their verdict. */
static void run_parts(struct kernel *k)
{
	unsigned int failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		unsigned int f = parts[i].run(k);
		printk("kmm: part %s: %s\n", parts[i].name, f ? "FAILED" : "ok");
		failed += f;
	}
	printk("kmm: boot to tests done: %lu ms\n", kernel_uptime_ms(k));
	printk("kmm: %s, exiting with status %d\n", failed ? "FAILED" : "all parts passed",
	       failed ? KEXIT_TESTS_FAILED : KEXIT_OK);
	kernel_exit(failed ? KEXIT_TESTS_FAILED : KEXIT_OK);
}

/* Called by head.S with the DTB's and the image's physical addresses and the EL it was
 * entered at (1, or 2 before it dropped to EL1). */
void start_kernel(paddr_t fdt_phys, paddr_t image_phys, uint64_t entry_el);

void start_kernel(paddr_t fdt_phys, paddr_t image_phys, uint64_t entry_el)
{
	struct kernel *k = &kernel;
	struct kernel_layout l;

	k->t_start = aarch64_counter();
	k->image_phys = image_phys;
	aarch64_mmu_init(image_phys);
	aarch64_halt_hook = panic_exit;
	board_probe(&k->machine, fdt_phys);
	if (kernel_layout_init(&l, PAGE_SIZE, 48, sizeof(struct page), false))
		kernel_exit(KEXIT_PANIC);
	console_init(k, &l);
	park_secondaries(k, &l);
	banner(k, entry_el);
	paddr_t phys_offset = early_linear_map(k, &l);
	boot(k, phys_offset);
	if (bootarg(&k->machine, "kmm.fault", NULL, 0))
		deliberate_fault(k);
	if (bootarg(&k->machine, "kmm.shell", NULL, 0)) {
		kernel_shell(k);
		kernel_exit(KEXIT_OK);
	}
	run_parts(k);
}

/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal backend of the arch interface (arch/aarch64: C files, head.S): what the platform
 * (platform/qemu) calls on top of include/kmm/arch.h to bring the machine up — system-register
 * access, the kernel's views of physical memory (the image, then the linear map), the early
 * mappings made into head.S's tables, the switch to the boot's swapper_pg_dir, and the halt
 * hook. Bare metal only: never included by hosted code.
 */
#ifndef AARCH64_MACHINE_H
#define AARCH64_MACHINE_H

#include <aarch64/head.h>
#include <aarch64/layout.h>
#include <aarch64/pgtable-hwdef.h>
#include <kmm/boot.h>

#define read_sysreg(r)                                                                             \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #r : "=r"(v_));                                        \
		v_;                                                                                \
	})
#define write_sysreg(v, r) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

/* The linker script's symbols: the image's sections (kernel.lds.S). */
extern char _text[], _etext[], __start_rodata[], __init_begin[], __init_end[], _sdata[], _edata[],
    __bss_start[], __bss_stop[], _end[];
/* head.S: the zero page (the empty table of a dropped TTBR) and the early kernel map's root. */
extern char empty_zero_page[], init_pg_l0[];

/*
 * Start the kernel's views with the image only: it was loaded at @image_phys and runs at
 * KIMAGE_VADDR (head.S). Until aarch64_set_linear_map, arch_phys_to_virt knows the image alone.
 */
void aarch64_mmu_init(paddr_t image_phys);

/* KIMAGE_VADDR - the image's physical address (Linux's kimage_voffset). */
uint64_t aarch64_kimage_voffset(void);

/*
 * Map [@va, @va + @size) to @pa with @attrs into the running early kernel map (head.S's
 * init_pg tables, whose missing tables come from a pool in BSS), with blocks up to @max_block,
 * then make it visible (DSB ISHST, ISB). 0 or pgtable_map's error (-ENOMEM: the pool ran out).
 */
int aarch64_early_map(vaddr_t va, paddr_t pa, uint64_t size, const struct pte_attrs *attrs,
		      uint64_t max_block);

/*
 * From now on arch_phys_to_virt(pa) = PAGE_OFFSET + (pa - @phys_offset) for the @n RAM ranges
 * of @ram (and NULL elsewhere), PAGE_OFFSET and the linear map's end as @l says: the linear
 * map, which the caller has mapped (early, then in swapper_pg_dir at the same addresses).
 * -EINVAL beyond AARCH64_RAM_MAX ranges.
 */
#define AARCH64_RAM_MAX 16
int aarch64_set_linear_map(const struct kernel_layout *l, paddr_t phys_offset,
			   const struct boot_region *ram, unsigned int n);

/*
 * Switch to the boot's tables (mm/setup.c): @ttbr1 (swapper_pg_dir) through the identity map
 * @idmap_ttbr0 with @tcr (Linux's cpu_replace_ttbr1), then drop the identity map (TTBR0 = the
 * empty zero page; Linux's cpu_uninstall_idmap). Everything the kernel uses must be mapped in
 * @ttbr1 at the addresses it has now.
 */
void aarch64_switch_to_swapper(uint64_t ttbr1, uint64_t idmap_ttbr0, uint64_t tcr);

/* head.S's trampoline behind aarch64_switch_to_swapper. */
void aarch64_replace_ttbr1(uint64_t ttbr1, uint64_t idmap_ttbr0, uint64_t tcr,
			   uint64_t kimage_voffset);

/*
 * What arch_halt does after masking interrupts: the platform's way out (QEMU: semihosting exit
 * with a failure status). Without one, the CPU waits for interrupts for good.
 */
extern void (*aarch64_halt_hook)(void);

/*
 * Exit QEMU through semihosting's SYS_EXIT (head.S; QEMU runs with -semihosting): @status becomes
 * QEMU's exit code. Also how head.S fails a boot before the console works.
 */
__attribute__((noreturn)) void semihosting_exit(uint64_t status);

/* The generic timer's count and frequency (CNTPCT_EL0, CNTFRQ_EL0), for timings. */
static inline uint64_t aarch64_counter(void)
{
	__asm__ volatile("isb" : : : "memory");
	return read_sysreg(cntpct_el0);
}

static inline uint64_t aarch64_counter_freq(void)
{
	return read_sysreg(cntfrq_el0);
}

#endif /* AARCH64_MACHINE_H */

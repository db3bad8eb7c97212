/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal kernel's entry (seed 000's head.S walk-through; Linux's arch/arm64/kernel/head.S
 * in its shape, Documentation/arm64/booting.rst for the contract with the loader):
 *
 *   primary_entry (physical address, MMU off, x0 = the DTB's physical address)
 *     park every CPU but the boot CPU (MPIDR affinity 0): secondary_park
 *     el2_to_el1          EL2: HCR_EL2.RW, the EL1 timer, no FP trap, eret to EL1
 *     el1_setup           SCTLR_EL1 with the MMU off, FP/SIMD on, early vectors, TPIDR_EL1 = 0
 *     check_fdt           x0 is kept only if it points at an FDT header (QEMU's raspi3b passes
 *                         0x100 without -dtb)
 *     clear_bss           BSS (the early tables and the boot stack with it) zeroed
 *     create_page_tables  init_idmap (image identity, 2M blocks) and init_pg (image at
 *                         KIMAGE_VADDR in 4K pages, the DTB window)
 *     inval_bss           DC IVAC over BSS: no stale cache line hides what was written with the
 *                         MMU (so the data cache) off
 *     enable_mmu          MAIR, TCR (IPS from PARange), TTBR0/1, TLBI, SCTLR.M/C/I, IC IALLU
 *   primary_switched (KIMAGE_VADDR): the boot stack, the real vectors,
 *                       start_kernel(x0, image PA, entry EL)
 *
 *   secondary_park      the holding pen: a secondary CPU waits in WFI until released
 *   secondary_entry     (physical address, MMU off: from PSCI CPU_ON or the pen) el2_to_el1,
 *                       el1_setup, the MMU on with the boot data's registers (aarch64/smp.h)
 *   secondary_switched  (KIMAGE_VADDR): TTBR0 emptied, its stack, vectors and CPU number, then
 *                       the boot data's function
 *
 * Everything before primary_switched runs at the physical address: only PC-relative addressing
 * (adr, adrp, literal loads of constants), no stack. head.S builds only what the first C code
 * needs; start_kernel then maps the console and the linear map into the same tables, and the boot
 * (mm/setup.c) builds swapper_pg_dir, which aarch64_replace_ttbr1 below switches to.
 */
#include <aarch64/head.h>
#include <aarch64/smp.h>

/* @reg = the address of @sym, PC-relative (the physical one while the MMU is off). */
.macro adr_l reg, sym
	adrp	\reg, \sym
	add	\reg, \reg, :lo12:\sym
.endm

/* Link level-0 table x0 -> level-1 table x1 -> level-2 table x2 along the walk of VA x3. */
.macro link_tables
	ubfx	x4, x3, #39, #9
	orr	x5, x1, #HEAD_DESC_TABLE
	str	x5, [x0, x4, lsl #3]
	ubfx	x4, x3, #30, #9
	orr	x5, x2, #HEAD_DESC_TABLE
	str	x5, [x1, x4, lsl #3]
.endm

/* The arm64 Image header: QEMU loads a file with it as Linux, at RAM + text_offset, x0 = DTB. */
	.section .head.text, "ax"
	.globl	_head
_head:
	b	primary_entry			// code0
	.long	0				// code1
	.quad	TEXT_OFFSET			// text_offset
	.quad	_kernel_size_le			// image_size: _end - _text (linker script)
	.quad	IMAGE_FLAGS			// flags
	.quad	0				// res2
	.quad	0				// res3
	.quad	0				// res4
	.ascii	"ARM\x64"			// magic
	.long	0				// res5

	.section .init.text, "ax"
primary_entry:
	mov	x19, x0				// the DTB
	mrs	x0, mpidr_el1
	ldr	x1, =MPIDR_AFF_MASK
	tst	x0, x1
	b.ne	secondary_park
	mrs	x22, CurrentEL			// the EL we were entered at, for the log
	bl	el2_to_el1
	bl	el1_setup
	bl	check_fdt
	adrp	x20, _text			// the image's physical address
	adrp	x21, _end
	bl	clear_bss
	bl	create_page_tables
	bl	inval_bss
	bl	enable_mmu
	ldr	x0, =primary_switched
	br	x0

/*
 * The holding pen (aarch64/smp.h): the secondary CPUs a loader starts at the entry, and those
 * start_kernel releases from a spin table (raspi3b), wait here with interrupts masked, in WFI (a
 * halted vCPU for QEMU), until aarch64_pen_word holds their affinity; they then enter as PSCI
 * CPU_ON would start them. The MMU is off: the word is read from memory, where
 * aarch64_pen_release cleans it.
 */
	.globl	secondary_park
secondary_park:
	mrs	x1, mpidr_el1
	ldr	x2, =MPIDR_AFF_MASK
	and	x1, x1, x2
	adr_l	x2, aarch64_pen_word
1:	ldr	x3, [x2]
	cmp	x3, x1
	b.eq	secondary_entry
	wfi
	b	1b

/*
 * A secondary CPU, from PSCI CPU_ON or the pen (aarch64/smp.h): MMU off, at its physical
 * address. The boot CPU's EL1 set-up, then the MMU on with the boot data's MAIR, TCR, SCTLR,
 * TTBR1 and identity map, and the jump to the high address. x22: the EL it entered at; x23: the
 * zero page's physical address, its TTBR0 from then on.
 */
	.globl	secondary_entry
secondary_entry:
	mrs	x22, CurrentEL
	bl	el2_to_el1
	bl	el1_setup
	adr_l	x5, aarch64_secondary_data	// its physical address: the MMU is off
	ldp	x2, x3, [x5, #SECONDARY_TTBR0]
	ldp	x1, x0, [x5, #SECONDARY_TCR]
	ldr	x4, [x5, #SECONDARY_SCTLR]
	adrp	x23, empty_zero_page
	bl	turn_mmu_on
	ldr	x0, =secondary_switched
	br	x0

/*
 * At EL2, run the kernel at EL1 (booting.rst's "CPU mode"; ARM ARM D1.2 "Exception levels"):
 * EL1 is AArch64 (HCR_EL2.RW) with no stage 2 and no traps to EL2 of its timer, counter or
 * FP/SIMD; EL1 reads the real MIDR/MPIDR; SCTLR_EL1 is set with the MMU off; then eret to the
 * caller at EL1h with DAIF masked. At EL1: nothing. Any other EL: fail.
 */
el2_to_el1:
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL1
	b.eq	1f
	cmp	x0, #CURRENTEL_EL2
	b.eq	2f
	mov	x0, #KEXIT_BOOT_EL
	b	semihosting_exit
1:	ret
2:	ldr	x0, =HCR_EL2_RW
	msr	hcr_el2, x0
	mrs	x0, cnthctl_el2
	orr	x0, x0, #CNTHCTL_EL2_EL1PC
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	ldr	x0, =CPTR_EL2_RES1
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	msr	vttbr_el2, xzr
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	ldr	x0, =SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x0
	ldr	x0, =PSR_EL1h_DAIF
	msr	spsr_el2, x0
	msr	elr_el2, x30
	isb
	eret

/* EL1's own state: the MMU off whatever the loader left, FP/SIMD on, early vectors, CPU 0. */
el1_setup:
	ldr	x0, =SCTLR_EL1_MMU_OFF
	msr	sctlr_el1, x0
	ldr	x0, =CPACR_EL1_FPEN
	msr	cpacr_el1, x0
	adr_l	x0, early_vectors
	msr	vbar_el1, x0
	msr	tpidr_el1, xzr
	isb
	ret

/* x19 = 0 unless it is 8-byte aligned and points at the FDT magic. */
check_fdt:
	cbz	x19, 2f
	tst	x19, #7
	b.ne	1f
	ldr	w0, [x19]
	ldr	w1, =FDT_MAGIC_LE
	cmp	w0, w1
	b.eq	2f
1:	mov	x19, #0
2:	ret

/* Zero [__bss_start, _end) (page aligned) by physical address. */
clear_bss:
	adrp	x0, __bss_start
1:	stp	xzr, xzr, [x0], #16
	cmp	x0, x21
	b.lo	1b
	ret

/*
 * DC IVAC over [__bss_start, _end): the stores above went to memory uncached (data accesses are
 * Device-nGnRnE with the MMU off, ARM ARM D8.2.11 "The effects of disabling a stage of address
 * translation"); a line the loader left in a cache would otherwise be seen, or written back over
 * them, once the caches are on (Linux's dcache_inval_poc of its early tables).
 */
inval_bss:
	dmb	sy
	adrp	x0, __bss_start
	mrs	x3, ctr_el0
	ubfx	x3, x3, #16, #4			// DminLine: log2 of the line in words
	mov	x2, #4
	lsl	x2, x2, x3
1:	dc	ivac, x0
	add	x0, x0, x2
	cmp	x0, x21
	b.lo	1b
	dsb	sy
	ret

/*
 * The early tables (4K granule, 48-bit VA: levels 0-3, ARM ARM D8.2 "Translation table walk"),
 * in BSS, zeroed. x20/x21: the image's physical start and end. Clobbers x0-x12.
 */
create_page_tables:
	/* Identity map: L0 -> L1 -> one L2 of 2M blocks over the image. */
	lsr	x0, x20, #30
	sub	x1, x21, #1
	lsr	x1, x1, #30
	cmp	x0, x1
	b.eq	1f
	mov	x0, #KEXIT_BOOT_PLACEMENT
	b	semihosting_exit
1:	adrp	x0, init_idmap_l0
	adrp	x1, init_idmap_l1
	adrp	x2, init_idmap_l2
	mov	x3, x20
	link_tables
	lsr	x5, x20, #21			// first 2M block number
	sub	x6, x21, #1
	lsr	x6, x6, #21			// last
	ldr	x7, =(HEAD_PROT_NORMAL | HEAD_DESC_BLOCK)
2:	lsl	x8, x5, #21
	orr	x8, x8, x7
	and	x9, x5, #511
	str	x8, [x2, x9, lsl #3]
	add	x5, x5, #1
	cmp	x5, x6
	b.ls	2b

	/* The image at KIMAGE_VADDR: L0 -> L1 -> L2 -> EARLY_L3_TABLES L3 tables of pages. */
	adrp	x0, init_pg_l0
	adrp	x1, init_pg_l1
	adrp	x2, init_pg_l2
	ldr	x3, =_text
	link_tables
	adrp	x4, init_pg_l3
	ldr	x3, =_text
	ubfx	x5, x3, #21, #9			// L2 index of _text
	sub	x6, x21, x20
	lsr	x6, x6, #HEAD_PAGE_SHIFT	// pages
	add	x7, x6, #511
	lsr	x7, x7, #9			// level-3 tables they take
	mov	x8, x4
3:	orr	x9, x8, #HEAD_DESC_TABLE
	str	x9, [x2, x5, lsl #3]
	add	x5, x5, #1
	add	x8, x8, #HEAD_PAGE_SIZE
	subs	x7, x7, #1
	b.ne	3b
	ldr	x7, =(HEAD_PROT_NORMAL | HEAD_DESC_PAGE)
	orr	x7, x7, x20
4:	str	x7, [x4], #8
	add	x7, x7, #HEAD_PAGE_SIZE
	subs	x6, x6, #1
	b.ne	4b

	/* The DTB window: two read-only, execute-never 2M blocks. */
	cbz	x19, 5f
	ldr	x3, =EARLY_FDT_VA
	ubfx	x5, x3, #21, #9
	and	x7, x19, #~(HEAD_SZ_2M - 1)
	ldr	x8, =(HEAD_PROT_NORMAL | HEAD_PTE_RDONLY | HEAD_PTE_PXN | HEAD_DESC_BLOCK)
	orr	x7, x7, x8
	str	x7, [x2, x5, lsl #3]
	add	x5, x5, #1
	add	x7, x7, #HEAD_SZ_2M
	str	x7, [x2, x5, lsl #3]
5:	ret

/* The boot CPU's MMU on: head.S's MAIR, TCR (IPS from PARange) and early tables. */
enable_mmu:
	ldr	x0, =HEAD_MAIR
	ldr	x1, =HEAD_TCR
	mrs	x2, id_aa64mmfr0_el1
	and	x2, x2, #7			// PARange
	cmp	x2, #5
	mov	x3, #5
	csel	x2, x3, x2, hi			// at most 48 bits: what 4K pages take
	bfi	x1, x2, #32, #3			// TCR_EL1.IPS
	adrp	x2, init_idmap_l0
	adrp	x3, init_pg_l0
	ldr	x4, =SCTLR_EL1_MMU_ON
	// fall through

/*
 * Turn the MMU on with x0 = MAIR_EL1, x1 = TCR_EL1, x2 = TTBR0_EL1 (an identity map of this
 * code), x3 = TTBR1_EL1, x4 = SCTLR_EL1 (ARM ARM D8.2.11; Linux's __cpu_setup and __enable_mmu):
 * the translation registers first, the TLB invalidated (it may hold entries from before reset),
 * an ISB so they are in effect, then SCTLR_EL1 and an ISB; the I-cache invalidated after, as
 * instructions may have been fetched from the PoC before (Linux's set_sctlr_el1). Returns
 * through the identity map.
 */
turn_mmu_on:
	msr	mair_el1, x0
	msr	tcr_el1, x1
	msr	ttbr0_el1, x2
	msr	ttbr1_el1, x3
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	msr	sctlr_el1, x4
	isb
	ic	iallu
	dsb	nsh
	isb
	ret

/*
 * Exit QEMU through semihosting with status x0, from anywhere (MMU on or off: the parameter
 * block is addressed PC-relative).
 */
	.globl	semihosting_exit
semihosting_exit:
	adr_l	x1, semihost_block
	ldr	x2, =SEMIHOST_ADP_STOPPED_APP_EXIT
	stp	x2, x0, [x1]
	mov	x0, #SEMIHOST_SYS_EXIT
	hlt	#SEMIHOST_HLT
1:	wfe
	b	1b

/* Until primary_switched sets the real ones: any exception fails the boot. */
	.balign	2048
early_vectors:
	.rept	16
	mov	x0, #KEXIT_BOOT_EXCEPTION
	b	semihosting_exit
	.balign	128
	.endr

	.ltorg

/* Running at KIMAGE_VADDR: stack, vectors, frame chain end, then C. */
	.text
primary_switched:
	adr_l	x0, boot_stack
	add	sp, x0, #BOOT_STACK_SIZE
	adr_l	x0, vectors
	msr	vbar_el1, x0
	isb
	mov	x29, #0
	mov	x30, #0
	mov	x0, x19
	mov	x1, x20
	lsr	x2, x22, #2
	bl	start_kernel
	mov	x0, #KEXIT_BOOT_RETURNED
	b	semihosting_exit

/*
 * A secondary CPU at KIMAGE_VADDR: TTBR0 emptied (the zero page in x23) and the identity map's
 * entries dropped from this CPU's TLB (Linux's cpu_uninstall_idmap), the real vectors, then the
 * boot data's CPU number (TPIDR_EL1), stack and fn(cpu, entry EL).
 */
secondary_switched:
	msr	ttbr0_el1, x23
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	adr_l	x0, vectors
	msr	vbar_el1, x0
	adr_l	x5, aarch64_secondary_data
	ldp	x0, x1, [x5, #SECONDARY_CPU]
	mov	sp, x1
	msr	tpidr_el1, x0
	isb
	ldr	x2, [x5, #SECONDARY_FN]
	mov	x29, #0
	mov	x30, #0
	lsr	x1, x22, #2
	blr	x2
	mov	x0, #KEXIT_BOOT_RETURNED
	b	semihosting_exit

/*
 * void aarch64_replace_ttbr1(uint64_t ttbr1, uint64_t idmap_ttbr0, uint64_t tcr,
 *                            uint64_t kimage_voffset)
 *
 * Linux's cpu_replace_ttbr1 / idmap_cpu_replace_ttbr1: the running kernel's TTBR1 cannot be
 * changed in place when old and new tables map the kernel differently (break-before-make, ARM
 * ARM D8.14.1), so run from the identity map @idmap_ttbr0 (loaded into TTBR0 here, for good),
 * point TTBR1 at the zero page, set @tcr, invalidate the TLB on every CPU, load @ttbr1 and return
 * to the caller's high address through it. No stack nor other high address is touched in
 * between. @kimage_voffset: KIMAGE_VADDR - the image's physical address.
 */
	.globl	aarch64_replace_ttbr1
aarch64_replace_ttbr1:
	msr	ttbr0_el1, x1
	isb
	tlbi	vmalle1is
	dsb	ish
	isb
	adr_l	x4, 1f
	sub	x4, x4, x3
	br	x4				// to the identity alias of 1:
1:	adrp	x5, empty_zero_page		// its physical address: PC-relative from here
	msr	ttbr1_el1, x5
	isb
	msr	tcr_el1, x2
	isb
	tlbi	vmalle1is
	dsb	ish
	isb
	msr	ttbr1_el1, x0
	isb
	ret

	.section .bss..pgtables, "aw", %nobits
	.balign	HEAD_PAGE_SIZE
	.globl	empty_zero_page
empty_zero_page:				// also the empty table of a dropped TTBR
	.skip	HEAD_PAGE_SIZE
init_idmap_l0:
	.skip	HEAD_PAGE_SIZE
init_idmap_l1:
	.skip	HEAD_PAGE_SIZE
init_idmap_l2:
	.skip	HEAD_PAGE_SIZE
	.globl	init_pg_l0
init_pg_l0:
	.skip	HEAD_PAGE_SIZE
init_pg_l1:
	.skip	HEAD_PAGE_SIZE
init_pg_l2:
	.skip	HEAD_PAGE_SIZE
init_pg_l3:
	.skip	EARLY_L3_TABLES * HEAD_PAGE_SIZE

	.section .bss..stack, "aw", %nobits
	.balign	16
	.globl	boot_stack
boot_stack:
	.skip	BOOT_STACK_SIZE

	.data
	.balign	8
semihost_block:
	.quad	0, 0
	.globl	aarch64_pen_word
aarch64_pen_word:				// the holding pen's release word
	.quad	PEN_RELEASE_NONE

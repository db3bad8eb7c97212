/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal kernel's boot constants, shared by head.S, vectors.S, the linker script
 * (platform/qemu/kernel.lds.S) and C: where the image is linked and loaded, the early page
 * tables, the translation and system-control register values head.S starts with, the exception
 * frame, and the semihosting exit statuses of a boot that fails before the console works.
 * Plain numbers only, so that the assembler and the linker script can read them.
 */
#ifndef AARCH64_HEAD_H
#define AARCH64_HEAD_H

#ifdef __ASSEMBLER__
#define HEAD_UL(x) x
#else
#define HEAD_UL(x) x##UL
#endif

#define HEAD_PAGE_SIZE 0x1000
#define HEAD_PAGE_SHIFT 12
#define HEAD_SZ_2M 0x200000

/*
 * The image is linked at KIMAGE_VADDR of the 4K-granule, 48-bit layout (aarch64/layout.h:
 * _PAGE_END(48) + 128M; start_kernel checks it against kernel_layout_init) and loaded, as an
 * arm64 Linux Image (Documentation/arm64/booting.rst), TEXT_OFFSET above a 2M boundary of RAM:
 * 0x80000 on raspi3b (kernel8.img), 0x40080000 on virt.
 */
#define KIMAGE_VADDR HEAD_UL(0xffff800008000000)
#define TEXT_OFFSET 0x80000
/* The Image header's flags: little-endian (bit 0 clear), 4K pages (bits 2:1 = 1). */
#define IMAGE_FLAGS 0x2

/*
 * head.S's early tables (Linux's init_idmap_pg_dir and init_pg_dir): the identity map of the
 * image in 2M blocks (one level-2 table: the image must not cross a 1G boundary) and the image
 * at KIMAGE_VADDR in 4K pages, up to EARLY_L3_TABLES level-3 tables (2M of image each; the
 * linker script checks the size). The DTB gets a read-only window of two 2M blocks at
 * EARLY_FDT_VA, above the image in the same level-2 table, holding the 2M region it starts in
 * and the next (booting.rst: at most 2M, 8-byte aligned).
 */
#define EARLY_L3_TABLES 8
#define EARLY_FDT_VA (KIMAGE_VADDR + EARLY_L3_TABLES * HEAD_SZ_2M)
#define BOOT_STACK_SIZE 0x10000

/* Descriptor bits head.S writes (pgtable-hwdef.h has the C view). */
#define HEAD_DESC_TABLE 0x3
#define HEAD_DESC_BLOCK 0x1
#define HEAD_DESC_PAGE 0x3
#define HEAD_PTE_AF (1 << 10)
#define HEAD_PTE_SH_INNER (3 << 8)
#define HEAD_PTE_RDONLY (1 << 7)
#define HEAD_PTE_PXN 0x20000000000000
#define HEAD_PTE_UXN 0x40000000000000
/* Normal memory (AttrIndx 0 = MT_NORMAL), inner shareable, EL1 read/write, EL0 no execute. */
#define HEAD_PROT_NORMAL (HEAD_PTE_AF | HEAD_PTE_SH_INNER | HEAD_PTE_UXN)

/* MAIR_EL1 as the boot's (mm/setup.c): MT_NORMAL 0xff, MT_NORMAL_NC 0x44, nGnRnE, nGnRE. */
#define HEAD_MAIR 0x4004400ff

/*
 * TCR_EL1 for 48-bit VAs and 4K granules in both halves, walks Inner Shareable write-back
 * write-allocate, 16-bit ASIDs (AS); head.S adds IPS from ID_AA64MMFR0_EL1.PARange. ARM ARM
 * (DDI 0487) D19.2 "TCR_EL1".
 */
#define HEAD_TCR 0x10b5103510

/*
 * SCTLR_EL1 (ARM ARM D19.2 "SCTLR_EL1"): the bits RES1 in Armv8.0 (11, 20, 22, 23, 28, 29), SP
 * alignment checks at EL1 and EL0 (SA, SA0); with the MMU on also M, C and I. WXN, EE, E0E and
 * A stay 0: no write-implies-XN, little-endian, unaligned accesses allowed to Normal memory.
 */
#define SCTLR_EL1_RES1 0x30d00800
#define SCTLR_EL1_SA 0x8
#define SCTLR_EL1_SA0 0x10
#define SCTLR_EL1_MMU_OFF (SCTLR_EL1_RES1 | SCTLR_EL1_SA | SCTLR_EL1_SA0)
#define SCTLR_EL1_MMU_ON (SCTLR_EL1_MMU_OFF | 0x1 | 0x4 | 0x1000) /* M, C, I */

/* HCR_EL2.RW: EL1 runs AArch64. CPTR_EL2: its RES1 bits, no trap of FP/SIMD (TFP clear). */
#define HCR_EL2_RW (1 << 31)
#define CPTR_EL2_RES1 0x33ff
/* CNTHCTL_EL2.EL1PCTEN | EL1PCEN: EL1 reads the physical counter and uses its timer. */
#define CNTHCTL_EL2_EL1PC 0x3
/* SPSR: EL1h with D, A, I and F masked. */
#define PSR_EL1h_DAIF 0x3c5
/* CPACR_EL1.FPEN = 0b11: no trap of FP/SIMD at EL1 or EL0. */
#define CPACR_EL1_FPEN (3 << 20)
#define CURRENTEL_EL1 (1 << 2)
#define CURRENTEL_EL2 (2 << 2)
/* MPIDR_EL1 affinity fields Aff3 (39:32) and Aff2..Aff0 (23:0). */
#define MPIDR_AFF_MASK 0xff00ffffff
/* The FDT header's magic 0xd00dfeed (big-endian) as a little-endian 32-bit load reads it. */
#define FDT_MAGIC_LE 0xedfe0dd0

/* Semihosting (Arm's "Semihosting for AArch32 and AArch64"): HLT #0xF000 with SYS_EXIT. */
#define SEMIHOST_HLT 0xf000
#define SEMIHOST_SYS_EXIT 0x18
#define SEMIHOST_ADP_STOPPED_APP_EXIT 0x20026

/* Exit statuses: what `make test-qemu` sees. */
#define KEXIT_OK 0
#define KEXIT_TESTS_FAILED 1
#define KEXIT_PANIC 3	       /* BUG, an unexpected exception or kernel fault */
#define KEXIT_BOOT_EL 4	       /* entered at an EL other than 1 or 2 */
#define KEXIT_BOOT_PLACEMENT 5 /* the image crosses a 1G boundary */
#define KEXIT_BOOT_EXCEPTION 6 /* an exception before the vectors were set */
#define KEXIT_BOOT_RETURNED 7  /* start_kernel returned */

/*
 * The exception frame vectors.S builds on the kernel stack (struct pt_regs in aarch64/traps.h):
 * x0..x30, then sp, pc (ELR_EL1), pstate (SPSR_EL1), ESR_EL1 and FAR_EL1.
 */
#define PT_REGS_X30 240
#define PT_REGS_SP 248
#define PT_REGS_PC 256
#define PT_REGS_PSTATE 264
#define PT_REGS_ESR 272
#define PT_REGS_FAR 280
#define PT_REGS_SIZE 288

#endif /* AARCH64_HEAD_H */

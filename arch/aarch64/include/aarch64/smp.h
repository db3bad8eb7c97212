/* SPDX-License-Identifier: MIT */
/*
 * The secondary CPUs of the bare-metal kernel (head.S's secondary_entry, arch/aarch64/smp.c):
 * how a CPU other than the boot CPU enters the kernel, and the firmware calls that start and
 * stop it (Linux's arch/arm64/kernel/smp.c, psci.c and smp_spin_table.c in small).
 *
 * A secondary CPU enters at secondary_entry's physical address with the MMU off, at EL2 or EL1,
 * in one of two ways: PSCI CPU_ON (QEMU's virt: its firmware starts the CPU there), or from
 * head.S's holding pen (secondary_park), where a CPU the loader or a spin table sent waits in
 * WFI until aarch64_pen_release names its MPIDR and an interrupt wakes it. It then does what the
 * boot CPU did: drops to EL1, turns the MMU on with the boot CPU's MAIR, TCR, SCTLR and TTBR1
 * (swapper_pg_dir) through the boot's identity map in TTBR0, jumps to its high address, empties
 * TTBR0 (the zero page) and drops the identity map's TLB entries, takes its stack, VBAR_EL1 and
 * TPIDR_EL1 (its logical number: arch_cpu_id), and calls the function the boot data names.
 *
 * The boot data is one record (Linux's secondary_data): CPUs start one at a time, and the record
 * may change only once the CPU it was prepared for runs its function.
 */
#ifndef AARCH64_SMP_H
#define AARCH64_SMP_H

/* struct aarch64_secondary_data's fields, for head.S. */
#define SECONDARY_CPU 0
#define SECONDARY_STACK 8
#define SECONDARY_FN 16
#define SECONDARY_TTBR0 24
#define SECONDARY_TTBR1 32
#define SECONDARY_TCR 40
#define SECONDARY_MAIR 48
#define SECONDARY_SCTLR 56
#define SECONDARY_SIZE 64

/* No CPU's MPIDR: the holding pen's release word when it releases none. */
#define PEN_RELEASE_NONE 0xffffffffffffffff

#ifndef __ASSEMBLER__

#include <kmm/types.h>

/* What a secondary CPU runs once it is up: @cpu its logical number, @entry_el the EL it entered
 * the kernel at (2 or 1). Never returns. */
typedef void (*aarch64_secondary_fn)(unsigned int cpu, unsigned int entry_el);

/* The boot data secondary_entry reads, the MMU off first (so it is cleaned to the PoC). */
struct aarch64_secondary_data {
	uint64_t cpu;	/* TPIDR_EL1 */
	uint64_t stack; /* the initial SP_EL1: the top of the CPU's stack */
	uint64_t fn;	/* an aarch64_secondary_fn */
	uint64_t ttbr0; /* the identity map the MMU is turned on through */
	uint64_t ttbr1, tcr, mair, sctlr;
};

#define SECONDARY_OFFSET_OK(f, off) (__builtin_offsetof(struct aarch64_secondary_data, f) == (off))
_Static_assert(
    SECONDARY_OFFSET_OK(cpu, SECONDARY_CPU) && SECONDARY_OFFSET_OK(stack, SECONDARY_STACK) &&
	SECONDARY_OFFSET_OK(fn, SECONDARY_FN) && SECONDARY_OFFSET_OK(ttbr0, SECONDARY_TTBR0) &&
	SECONDARY_OFFSET_OK(ttbr1, SECONDARY_TTBR1) && SECONDARY_OFFSET_OK(tcr, SECONDARY_TCR) &&
	SECONDARY_OFFSET_OK(mair, SECONDARY_MAIR) && SECONDARY_OFFSET_OK(sctlr, SECONDARY_SCTLR) &&
	sizeof(struct aarch64_secondary_data) == SECONDARY_SIZE,
    "head.S's offsets (it loads ttbr0/ttbr1 and tcr/mair in pairs)");

/*
 * Prepare the boot data for the next CPU to start: logical number @cpu, stack top @stack_top,
 * function @fn, the MMU turned on through identity map @idmap_ttbr0 (the boot's: it maps the
 * image at its physical address) with this CPU's MAIR, TCR, SCTLR and TTBR1. The record is
 * cleaned to the point of coherency, where a CPU with the MMU off reads it.
 */
void aarch64_secondary_prepare(unsigned int cpu, void *stack_top, aarch64_secondary_fn fn,
			       uint64_t idmap_ttbr0);

/* The physical address a secondary CPU enters at (PSCI CPU_ON's entry point). */
paddr_t aarch64_secondary_entry_phys(void);

/*
 * Let the CPU with affinity @mpidr (MPIDR_AFF_MASK bits) out of the holding pen: the release
 * word written and cleaned to the PoC, then SEV. A CPU waiting there in WFI leaves once
 * something also raises an interrupt on it (the caller's board-specific kick).
 */
void aarch64_pen_release(uint64_t mpidr);

/* This CPU's affinity: MPIDR_EL1's Aff3..Aff0 (ARM ARM (DDI 0487) D19.2 "MPIDR_EL1"). */
uint64_t aarch64_mpidr(void);

/* How PSCI is called (the DTB's /psci "method"): HVC or SMC #0 (SMCCC, DEN 0028). */
enum psci_conduit { PSCI_CONDUIT_NONE, PSCI_CONDUIT_HVC, PSCI_CONDUIT_SMC };

/* PSCI's return codes (DEN 0022 5.2.2) the kernel names. */
#define PSCI_RET_SUCCESS 0
#define PSCI_RET_NOT_SUPPORTED (-1)
#define PSCI_RET_ALREADY_ON (-4)

/* PSCI CPU_ON (64-bit): start the CPU @mpidr at physical @entry with x0 = @context; the PSCI
 * return code. */
int64_t aarch64_psci_cpu_on(enum psci_conduit c, uint64_t mpidr, paddr_t entry, uint64_t context);
/* PSCI CPU_OFF: power this CPU down; returns (with the error) only when that failed. */
int64_t aarch64_psci_cpu_off(enum psci_conduit c);
/* PSCI AFFINITY_INFO (64-bit) of the CPU @mpidr: 0 on, 1 off, 2 on pending, or an error. */
int64_t aarch64_psci_affinity_info(enum psci_conduit c, uint64_t mpidr);

#endif /* __ASSEMBLER__ */
#endif /* AARCH64_SMP_H */

/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: everything generic kmm code needs from the machine under it. Two backends
 * implement it: arch/aarch64 on a real (or QEMU-emulated) CPU and arch/host over the emulated
 * hardware of hw/. Generic code includes this header and nothing of either backend.
 */
#ifndef KMM_ARCH_H
#define KMM_ARCH_H

#include <kmm/types.h>

/* Write @n bytes to the console (the UART on a board, standard output when hosted). */
void arch_console_write(const char *s, size_t n);

/*
 * The kernel's direct view of physical memory (Linux's __va/__pa): the linear map on a board,
 * a pointer into the emulated RAM when hosted. Only RAM has a direct view: arch_phys_to_virt of
 * anything else returns NULL, and arch_virt_to_phys of a pointer that is not one returns
 * ARCH_PHYS_NONE.
 */
void *arch_phys_to_virt(paddr_t pa);
paddr_t arch_virt_to_phys(const void *va);
#define ARCH_PHYS_NONE (~(paddr_t)0)

/* The CPU this code runs on: 0 .. (number of CPUs - 1). It picks the page allocator's per-CPU
 * lists (Linux's smp_processor_id). */
unsigned int arch_cpu_id(void);

/* Stop the machine after a fatal kernel error (BUG): never returns. */
__attribute__((noreturn)) void arch_halt(void);

#endif /* KMM_ARCH_H */

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

#endif /* KMM_ARCH_H */

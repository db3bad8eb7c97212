/* SPDX-License-Identifier: MIT */
/* The hosted backend of the arch interface: what the platform (kmm-sim, tests) sets up. */
#ifndef ARCH_HOST_H
#define ARCH_HOST_H

#include "hw/cpu.h"

#include <stdio.h>

/* Run the kernel code on @m from now on (NULL detaches). */
void host_attach(struct hw_machine *m);
struct hw_machine *host_machine(void);

/* Run the kernel code as CPU @id from now on (arch_cpu_id; 0 at start). */
void host_set_cpu(unsigned int id);
/* That CPU, read directly by the backend's own fast paths (spinlock.c); set it with
 * host_set_cpu. */
extern unsigned int host_current_cpu;

/* Send the console (printk) to @f from now on (NULL: standard output); returns the old one. */
FILE *host_console_set(FILE *f);

#endif /* ARCH_HOST_H */

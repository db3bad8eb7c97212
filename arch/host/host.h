/* SPDX-License-Identifier: MIT */
/* The hosted backend of the arch interface: what the platform (kmm-sim, tests) sets up. */
#ifndef ARCH_HOST_H
#define ARCH_HOST_H

#include "hw/cpu.h"

/* Run the kernel code on @m from now on (NULL detaches). */
void host_attach(struct hw_machine *m);
struct hw_machine *host_machine(void);

#endif /* ARCH_HOST_H */

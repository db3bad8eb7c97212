// SPDX-License-Identifier: MIT
/*
 * The hosted backend's machine: the emulated hardware kmm runs on. The platform attaches one
 * (hw_machine) before it starts the kernel code; the direct view of physical memory is then a
 * pointer into that machine's RAM.
 */
#include "host.h"

#include <kmm/arch.h>

#include <stdio.h>
#include <stdlib.h>

static struct hw_machine *machine;

void host_attach(struct hw_machine *m)
{
	machine = m;
}

struct hw_machine *host_machine(void)
{
	return machine;
}

void *arch_phys_to_virt(paddr_t pa)
{
	return machine ? hw_ram_ptr(&machine->ram, pa, 1) : NULL;
}

paddr_t arch_virt_to_phys(const void *va)
{
	const uint8_t *p = va;

	for (unsigned int i = 0; machine && i < machine->ram.nr; i++) {
		const struct hw_ram_region *r = &machine->ram.regions[i];
		if (p >= r->mem && p < r->mem + r->size)
			return r->base + (uint64_t)(p - r->mem);
	}
	return ARCH_PHYS_NONE;
}

void arch_halt(void)
{
	fflush(stdout);
	abort();
}

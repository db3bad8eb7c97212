// SPDX-License-Identifier: MIT
/*
 * hw/ram.h in the kernel, for hw/mmu.c's walks of real tables (the AT cross-check): RAM is the
 * kernel's own, reached through the linear map. A struct hw_ram lists memblock's memory without
 * the no-map ranges, each region's @mem being its linear-map address; the accessors hw/mmu.c
 * uses follow ram.h's contract over it (outside RAM: -EFAULT, an external abort on the walk).
 * Descriptors are read and written with single 64-bit accesses, as a table walk reads them.
 */
#include "at_crosscheck.h"

#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/memblock.h>

int at_ram_init(struct hw_ram *ram, struct hw_ram_region *regions, unsigned int max,
		const struct kernel *k)
{
	const struct memblock_type *mem = &k->bm.memblock.memory;

	*ram = (struct hw_ram){ .regions = regions, .cap = max };
	for (unsigned long i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		if (r->flags & MEMBLOCK_NOMAP)
			continue;
		if (ram->nr == max)
			return -ENOSPC;
		/* memblock keeps its regions sorted and apart, as hw_ram's must be. */
		regions[ram->nr++] = (struct hw_ram_region){ .base = r->base,
							     .size = r->size,
							     .mem = arch_phys_to_virt(r->base) };
	}
	return 0;
}

const struct hw_ram_region *hw_ram_find(const struct hw_ram *ram, paddr_t pa, uint64_t len)
{
	for (unsigned int i = 0; i < ram->nr; i++) {
		const struct hw_ram_region *r = &ram->regions[i];
		if (pa >= r->base && pa - r->base < r->size && len <= r->size - (pa - r->base))
			return r;
	}
	return NULL;
}

void *hw_ram_ptr(const struct hw_ram *ram, paddr_t pa, uint64_t len)
{
	const struct hw_ram_region *r = hw_ram_find(ram, pa, len);

	return r ? r->mem + (pa - r->base) : NULL;
}

int hw_ram_read64(const struct hw_ram *ram, paddr_t pa, uint64_t *val)
{
	const volatile uint64_t *p = hw_ram_ptr(ram, pa, 8);

	if (!p)
		return -EFAULT;
	*val = *p;
	return 0;
}

int hw_ram_write64(struct hw_ram *ram, paddr_t pa, uint64_t val)
{
	volatile uint64_t *p = hw_ram_ptr(ram, pa, 8);

	if (!p)
		return -EFAULT;
	*p = val;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Emulated physical memory: any number of RAM regions at any base, with holes between them.
 * Memory is little-endian, as an AArch64 system's is. An access that touches any byte outside
 * RAM does nothing and returns -EFAULT: the caller reports it as a synchronous external abort.
 * Hosted only.
 */
#ifndef HW_RAM_H
#define HW_RAM_H

#include <kmm/types.h>

struct hw_ram_region {
	paddr_t base;
	uint64_t size;
	uint8_t *mem;
	bool owned; /* allocated by hw_ram_add (unmapped at destroy), else the caller's buffer */
};

struct hw_ram {
	struct hw_ram_region *regions; /* sorted by base, never overlapping */
	unsigned int nr, cap;
};

void hw_ram_init(struct hw_ram *ram);
void hw_ram_destroy(struct hw_ram *ram);

/*
 * Add @size bytes of zeroed RAM at @base (pages are committed lazily, so tens of GiB are fine).
 * -EINVAL if the region is empty, wraps, or overlaps another; -ENOMEM if the host has no memory.
 */
int hw_ram_add(struct hw_ram *ram, paddr_t base, uint64_t size);
/* Add the caller's buffer as RAM at @base (a RAM dump, say); it must outlive @ram. */
int hw_ram_add_buffer(struct hw_ram *ram, paddr_t base, void *buf, uint64_t size);

/* The region holding all of [pa, pa + len), or NULL. */
const struct hw_ram_region *hw_ram_find(const struct hw_ram *ram, paddr_t pa, uint64_t len);
/* A host pointer to [pa, pa + len) if it lies in one region, else NULL. */
void *hw_ram_ptr(const struct hw_ram *ram, paddr_t pa, uint64_t len);

/* Copy bytes; 0, or -EFAULT (nothing copied) if any byte is outside RAM. May span regions. */
int hw_ram_read(const struct hw_ram *ram, paddr_t pa, void *buf, uint64_t len);
int hw_ram_write(struct hw_ram *ram, paddr_t pa, const void *buf, uint64_t len);
/* Aligned 64-bit little-endian accesses (descriptors); -EFAULT outside RAM. */
int hw_ram_read64(const struct hw_ram *ram, paddr_t pa, uint64_t *val);
int hw_ram_write64(struct hw_ram *ram, paddr_t pa, uint64_t val);

/* Total bytes of RAM. */
uint64_t hw_ram_total(const struct hw_ram *ram);

#endif /* HW_RAM_H */

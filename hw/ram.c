// SPDX-License-Identifier: MIT
/* Emulated physical memory: sorted regions over host memory; see ram.h. */
#include "ram.h"

#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void hw_ram_init(struct hw_ram *ram)
{
	*ram = (struct hw_ram){ 0 };
}

void hw_ram_destroy(struct hw_ram *ram)
{
	for (unsigned int i = 0; i < ram->nr; i++)
		if (ram->regions[i].owned)
			munmap(ram->regions[i].mem, ram->regions[i].size);
	free(ram->regions);
	*ram = (struct hw_ram){ 0 };
}

static int insert(struct hw_ram *ram, paddr_t base, uint64_t size, void *mem, bool owned)
{
	if (!size || base + size < base)
		return -EINVAL;
	unsigned int i = 0;
	while (i < ram->nr && ram->regions[i].base < base)
		i++;
	if (i > 0 && ram->regions[i - 1].base + ram->regions[i - 1].size > base)
		return -EINVAL;
	if (i < ram->nr && base + size > ram->regions[i].base)
		return -EINVAL;
	if (ram->nr == ram->cap) {
		unsigned int cap = ram->cap ? ram->cap * 2 : 4;
		struct hw_ram_region *r = realloc(ram->regions, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		ram->regions = r;
		ram->cap = cap;
	}
	memmove(&ram->regions[i + 1], &ram->regions[i], (ram->nr - i) * sizeof(ram->regions[0]));
	ram->regions[i] = (struct hw_ram_region){ base, size, mem, owned };
	ram->nr++;
	return 0;
}

int hw_ram_add(struct hw_ram *ram, paddr_t base, uint64_t size)
{
	if (!size || base + size < base)
		return -EINVAL;
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return -ENOMEM;
	int err = insert(ram, base, size, mem, true);
	if (err)
		munmap(mem, size);
	return err;
}

int hw_ram_add_buffer(struct hw_ram *ram, paddr_t base, void *buf, uint64_t size)
{
	return insert(ram, base, size, buf, false);
}

/* The region containing @pa (binary search), or NULL. */
static const struct hw_ram_region *region_of(const struct hw_ram *ram, paddr_t pa)
{
	unsigned int lo = 0, hi = ram->nr;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct hw_ram_region *r = &ram->regions[mid];
		if (pa < r->base)
			hi = mid;
		else if (pa - r->base >= r->size)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

const struct hw_ram_region *hw_ram_find(const struct hw_ram *ram, paddr_t pa, uint64_t len)
{
	const struct hw_ram_region *r = region_of(ram, pa);

	if (!r || len > r->size - (pa - r->base))
		return NULL;
	return r;
}

void *hw_ram_ptr(const struct hw_ram *ram, paddr_t pa, uint64_t len)
{
	const struct hw_ram_region *r = hw_ram_find(ram, pa, len);

	return r ? r->mem + (pa - r->base) : NULL;
}

/* True if every byte of [pa, pa + len) is RAM (regions may be adjacent). */
static bool covered(const struct hw_ram *ram, paddr_t pa, uint64_t len)
{
	while (len) {
		const struct hw_ram_region *r = region_of(ram, pa);
		if (!r)
			return false;
		uint64_t n = r->size - (pa - r->base);
		if (n >= len)
			return true;
		pa += n;
		len -= n;
	}
	return true;
}

int hw_ram_read(const struct hw_ram *ram, paddr_t pa, void *buf, uint64_t len)
{
	if (pa + len < pa || !covered(ram, pa, len))
		return -EFAULT;
	uint8_t *out = buf;
	while (len) {
		const struct hw_ram_region *r = region_of(ram, pa);
		uint64_t n = r->size - (pa - r->base);
		n = n < len ? n : len;
		memcpy(out, r->mem + (pa - r->base), n);
		out += n, pa += n, len -= n;
	}
	return 0;
}

int hw_ram_write(struct hw_ram *ram, paddr_t pa, const void *buf, uint64_t len)
{
	if (pa + len < pa || !covered(ram, pa, len))
		return -EFAULT;
	const uint8_t *in = buf;
	while (len) {
		const struct hw_ram_region *r = region_of(ram, pa);
		uint64_t n = r->size - (pa - r->base);
		n = n < len ? n : len;
		memcpy(r->mem + (pa - r->base), in, n);
		in += n, pa += n, len -= n;
	}
	return 0;
}

static inline uint64_t le64(uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(v);
#else
	return v;
#endif
}

int hw_ram_read64(const struct hw_ram *ram, paddr_t pa, uint64_t *val)
{
	const uint8_t *p = hw_ram_ptr(ram, pa, 8);
	uint64_t v;

	if (!p)
		return -EFAULT;
	memcpy(&v, p, 8);
	*val = le64(v);
	return 0;
}

int hw_ram_write64(struct hw_ram *ram, paddr_t pa, uint64_t val)
{
	uint8_t *p = hw_ram_ptr(ram, pa, 8);

	if (!p)
		return -EFAULT;
	val = le64(val);
	memcpy(p, &val, 8);
	return 0;
}

uint64_t hw_ram_total(const struct hw_ram *ram)
{
	uint64_t sum = 0;

	for (unsigned int i = 0; i < ram->nr; i++)
		sum += ram->regions[i].size;
	return sum;
}

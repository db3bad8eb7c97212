// SPDX-License-Identifier: MIT
/* A page-table builder for tests over emulated RAM; the contract is in ptbuild.h. */
#include "ptbuild.h"

#include <hw/ram.h>
#include <kmm/errno.h>

#include <string.h>

int ptb_init(struct ptb *b, struct hw_ram *ram, const struct xlat_geometry *g, paddr_t pool,
	     uint64_t size)
{
	uint64_t gsize = xlat_granule_size(g);

	if (!hw_ram_find(ram, pool, size))
		return -EINVAL;
	paddr_t start = ALIGN_UP(pool, gsize), end = ALIGN_DOWN(pool + size, gsize);
	*b =
	    (struct ptb){ .ram = ram, .geom = *g, .next = start, .end = end > start ? end : start };
	return ptb_alloc_table(b, &b->root);
}

int ptb_alloc_table(struct ptb *b, paddr_t *pa)
{
	uint64_t gsize = xlat_granule_size(&b->geom);

	if (b->end - b->next < gsize)
		return -ENOMEM;
	memset(hw_ram_ptr(b->ram, b->next, gsize), 0, gsize);
	*pa = b->next;
	b->next += gsize;
	b->ntables++;
	return 0;
}

/*
 * Put a table descriptor to a new table in the invalid slot @slot and return it in *@desc. @need
 * tables are still to be made on the way down; all of them must fit, so that a walk either
 * completes or adds nothing.
 */
static int link_new_table(struct ptb *b, paddr_t slot, unsigned int need, uint64_t *desc)
{
	paddr_t table;

	if ((b->end - b->next) / xlat_granule_size(&b->geom) < need)
		return -ENOMEM;
	int err = ptb_alloc_table(b, &table);
	if (err)
		return err;
	*desc = desc_make_table(&b->geom, table, &b->tattrs);
	return hw_ram_write64(b->ram, slot, *desc);
}

int ptb_slot(struct ptb *b, unsigned int level, vaddr_t va, bool create, paddr_t *slot)
{
	const struct xlat_geometry *g = &b->geom;
	paddr_t table = b->root;

	if (!xlat_level_valid(g, level))
		return -EINVAL;
	for (unsigned int l = g->start_level; l < level; l++) {
		paddr_t s = table + 8ULL * xlat_index(g, l, va);
		uint64_t desc;
		int err;

		if (hw_ram_read64(b->ram, s, &desc))
			return -EFAULT;
		if (!(desc & DESC_VALID) && !create)
			return -ENOENT;
		if (!(desc & DESC_VALID) && (err = link_new_table(b, s, level - l, &desc)))
			return err;
		if (desc_kind(g, l, desc) != DESC_TABLE)
			return -EEXIST;
		table = desc_oa(g, l, desc);
	}
	*slot = table + 8ULL * xlat_index(g, level, va);
	return 0;
}

int ptb_set(struct ptb *b, unsigned int level, vaddr_t va, uint64_t desc)
{
	paddr_t slot;
	int err = ptb_slot(b, level, va, true, &slot);

	return err ? err : hw_ram_write64(b->ram, slot, desc);
}

int ptb_get(struct ptb *b, unsigned int level, vaddr_t va, uint64_t *desc)
{
	paddr_t slot;
	int err = ptb_slot(b, level, va, false, &slot);

	return err ? err : hw_ram_read64(b->ram, slot, desc);
}

int ptb_map_page(struct ptb *b, vaddr_t va, paddr_t pa, const struct pte_attrs *a)
{
	return ptb_set(b, 3, va, desc_make_page(&b->geom, pa, a));
}

int ptb_map_block(struct ptb *b, unsigned int level, vaddr_t va, paddr_t pa,
		  const struct pte_attrs *a)
{
	if (!xlat_level_valid(&b->geom, level) || !xlat_block_allowed(&b->geom, level))
		return -EINVAL;
	return ptb_set(b, level, va, desc_make_block(&b->geom, level, pa, a));
}

int ptb_set_table_attrs(struct ptb *b, unsigned int level, vaddr_t va, const struct table_attrs *a)
{
	paddr_t slot;
	uint64_t desc;
	int err = ptb_slot(b, level, va, false, &slot);

	if (err)
		return err;
	if (hw_ram_read64(b->ram, slot, &desc))
		return -EFAULT;
	if (desc_kind(&b->geom, level, desc) != DESC_TABLE)
		return -ENOENT;
	return hw_ram_write64(b->ram, slot,
			      desc_make_table(&b->geom, desc_oa(&b->geom, level, desc), a));
}

/* SPDX-License-Identifier: MIT */
/*
 * ptbuild: a page-table builder for tests. It writes real VMSAv8-64 stage-1 descriptors
 * (pgtable-hwdef.h) into emulated RAM (hw/ram.h), so a test can set up exactly the tables it needs,
 * including ones no kernel would write (a block where the level forbids it, a table pointing
 * outside RAM), and hand them to the emulated MMU or any other walker.
 *
 * One builder holds the tables of one translation (one TTBR) under one geometry. Table pages come
 * from a bump allocator over a RAM range the caller sets aside; they are never freed (a test drops
 * the whole RAM when it is done). Every table is a whole granule, zeroed, granule-aligned, even the
 * start-level table when the geometry makes it short: its first xlat_entries() slots are the ones
 * a walk uses.
 *
 * Functions return 0 or a negative errno; on an error they leave the tables as they were.
 */
#ifndef TESTS_HW_PTBUILD_H
#define TESTS_HW_PTBUILD_H

#include <aarch64/pgtable-hwdef.h>

struct hw_ram;

struct ptb {
	struct hw_ram *ram;
	struct xlat_geometry geom;
	paddr_t next, end;	   /* the bump allocator: [next, end) is still free */
	paddr_t root;		   /* the start-level table, what a TTBR points at */
	struct table_attrs tattrs; /* attributes given to the table descriptors ptb creates */
	unsigned int ntables;	   /* tables allocated so far, the root included */
};

/*
 * Start a builder for geometry @g whose table pages come from [@pool, @pool + @size) of @ram, and
 * allocate the root table from it. The range must lie in one RAM region and is rounded inwards to
 * whole granules. -EINVAL if it is not RAM, -ENOMEM if it holds no granule.
 */
int ptb_init(struct ptb *b, struct hw_ram *ram, const struct xlat_geometry *g, paddr_t pool,
	     uint64_t size);

/* Allocate a zeroed, granule-aligned table page into *@pa; -ENOMEM when the pool is used up. */
int ptb_alloc_table(struct ptb *b, paddr_t *pa);

/*
 * The physical address of the descriptor slot for @va in the table at @level (start level..3).
 * Walks from the root through table descriptors; with @create, an invalid descriptor on the way
 * is replaced by a table descriptor (attributes b->tattrs) to a new zeroed table. Only VA bits
 * that index a table are used, so TTBR0 and TTBR1 addresses both work.
 * -EINVAL for a level outside the geometry; -ENOENT for a missing table without @create;
 * -EEXIST if a block, page or reserved descriptor is in the way; -EFAULT if a table on the way is
 * not in RAM; -ENOMEM.
 */
int ptb_slot(struct ptb *b, unsigned int level, vaddr_t va, bool create, paddr_t *slot);

/* Write the raw descriptor @desc at (@level, @va), creating tables above it as needed. */
int ptb_set(struct ptb *b, unsigned int level, vaddr_t va, uint64_t desc);
/* Read the descriptor at (@level, @va) without creating anything. */
int ptb_get(struct ptb *b, unsigned int level, vaddr_t va, uint64_t *desc);

/* Map the page holding @va to the page holding @pa with attributes @a (level 3). */
int ptb_map_page(struct ptb *b, vaddr_t va, paddr_t pa, const struct pte_attrs *a);
/* Map the block holding @va at @level to @pa's block; -EINVAL where the geometry has no blocks. */
int ptb_map_block(struct ptb *b, unsigned int level, vaddr_t va, paddr_t pa,
		  const struct pte_attrs *a);

/*
 * Replace the hierarchical attributes of the table descriptor at (@level, @va), keeping its
 * address: they then apply to everything mapped below it. -ENOENT if it is not a table descriptor.
 */
int ptb_set_table_attrs(struct ptb *b, unsigned int level, vaddr_t va, const struct table_attrs *a);

#endif /* TESTS_HW_PTBUILD_H */

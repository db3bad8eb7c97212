/* SPDX-License-Identifier: MIT */
/*
 * The kernel's page-table mapper: VMSAv8-64 stage-1 tables (pgtable-hwdef.h) for one translation
 * (one TTBR) under one geometry. Boot code builds its identity and kernel maps with it; the VM
 * API grows from it. Context is explicit: a struct pgtable names its geometry, its root table and
 * the allocator its table memory comes from. Tables are reached through the arch interface's
 * direct view of physical memory (arch_phys_to_virt), as a kernel reaches them.
 *
 * Table memory. Every table below the root is one granule. The root is the start level's table,
 * which is shorter than a granule when the VA size leaves the start level fewer index bits: it
 * holds 2^(va_bits - shift(start level)) entries (ARM ARM D8.2 "Translation table walk"). TTBRn
 * points at it and it must be aligned to its size (the pseudo-code's AArch64.TTBaseAddress). The
 * allocator therefore hands out @bytes of memory aligned to @bytes; pgtable zeroes what it gets,
 * so the allocator need not.
 *
 * Failure. pgtable_map works in two phases: it first walks the range without writing, checking
 * for conflicts and counting the tables the mapping lacks, and takes all of them from the
 * allocator; only then does it write descriptors, which cannot fail. On any error the page
 * tables are unchanged. Tables taken before an allocation failed are handed back through
 * free_table, most recent first (so a bump allocator can roll back); without free_table they
 * stay allocated and unused.
 */
#ifndef KMM_PGTABLE_H
#define KMM_PGTABLE_H

#include <aarch64/pgtable-hwdef.h>

struct pgtable_alloc {
	/* @bytes of memory aligned to @bytes (a granule, or the short root), or 0 if none. */
	paddr_t (*alloc_table)(void *ctx, uint64_t bytes);
	/* Optional: give back a table alloc_table returned, of the same @bytes. */
	void (*free_table)(void *ctx, paddr_t table, uint64_t bytes);
	void *ctx;
};

struct pgtable {
	struct xlat_geometry geom;
	paddr_t root; /* the start-level table: what TTBRn holds */
	struct pgtable_alloc *alloc;
	/* Statistics: tables in use, the root included, in all and per level; and their bytes. */
	unsigned long table_pages;
	unsigned long level_tables[XLAT_LEVELS_MAX];
	uint64_t table_bytes;
};

/* A range to map: [va, va + size) onto [pa, pa + size). */
struct pgtable_range {
	vaddr_t va;
	paddr_t pa;
	uint64_t size;
};

/* Set up @pt for geometry @g with an empty root table from @a. 0, or -ENOMEM. */
int pgtable_init(struct pgtable *pt, const struct xlat_geometry *g, struct pgtable_alloc *a);

/*
 * Map [@va, @va + @size) to [@pa, @pa + @size) with leaf attributes @attrs. Each piece gets the
 * largest leaf that fits: a block at a level that allows blocks (ARM ARM D8.3) whose size is at
 * most @max_block and to which both the VA and the PA of the piece are aligned, else smaller
 * blocks, else pages; @max_block equal to the page size forces pages. Table descriptors carry no
 * hierarchical attributes. An existing table on the way is reused (even where a block would fit
 * in an empty slot); an existing block or page (any descriptor with bit 0 set that is not a table)
 * in the range is a conflict. Nothing is written on any error.
 *
 * @va is the whole 64-bit VA: bits [63:va_bits] must be all zeros (a TTBR0 address) or all ones
 * (TTBR1) over the whole range; the bits below va_bits index the tables. Returns 0, or
 * -EINVAL: @va, @pa or @size not page aligned, @size 0, the range leaving its half of the VA
 *         space, the PA range wrapping or reaching beyond 48 bits, @max_block below a page;
 * -EEXIST: a block or page is already mapped in the range;
 * -EFAULT: a table descriptor on the way points outside the direct view of memory;
 * -ENOMEM: the allocator ran out of tables.
 */
int pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t size,
		const struct pte_attrs *attrs, uint64_t max_block);

/* What pgtable_unmap (or pgtable_protect) did. */
struct pgtable_unmapped {
	vaddr_t start, end;   /* the VAs whose leaves were cleared/changed (start == end: none) */
	unsigned long leaves; /* block and page descriptors cleared/changed */
	unsigned long splits; /* blocks broken up into tables of smaller entries */
	unsigned long tables_freed; /* tables that became empty and went back (unmap only) */
};

/*
 * Unmap [@va, @va + @size): clear every block and page descriptor in the range. A block only
 * partly in the range is first split into a table of next-level entries (blocks, or pages at
 * level 3) with its attributes (the contiguous hint dropped), recursively down to the range's
 * ends, with break-before-make (ARM ARM D8.14.1 "Using break-before-make when updating
 * translation table entries"): the block entry is invalidated, its TLB entries dropped
 * (arch_flush_tlb_kernel_pgtable), then the filled table installed. A table other than the root
 * left with no valid entry is unlinked, the cached walks through it dropped
 * (arch_flush_tlb_kernel_pgtable) and, when the allocator has free_table, freed; without one it
 * stays linked. Unmapped parts of the range are skipped.
 *
 * The cleared leaves stay in the TLBs: the caller invalidates [@out->start, @out->end)
 * (arch_flush_tlb_kernel_range) before the VAs are mapped again or their memory reused for
 * anything a stale translation must not reach.
 *
 * Two phases as pgtable_map: the tables the splits need are counted and taken first, so on any
 * error nothing changed. @va is a full VA as for pgtable_map. Returns 0 (filling @out), or
 * -EINVAL: @va or @size not page aligned, @size 0, the range leaving its half of the VA space;
 * -EFAULT: a table descriptor points outside the direct view of memory;
 * -ENOMEM: the allocator ran out of tables for the splits.
 */
int pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t size, struct pgtable_unmapped *out);

/*
 * pgtable_unmap with a look at each leaf before it goes: @fn(@ctx, va, desc, level) is called for
 * every block and page descriptor cleared (va: the first VA it mapped, inside the range after any
 * split), in address order, after the allocation phase (so the unmap will not fail) and before
 * the descriptor is cleared. The VM layer uses it to drop the mapped pages' counts (they must not
 * be freed before the caller's TLB invalidation: Linux's mmu_gather). Same returns as
 * pgtable_unmap.
 */
typedef void (*pgtable_leaf_fn)(void *ctx, vaddr_t va, uint64_t desc, unsigned int level);
int pgtable_unmap_leaves(struct pgtable *pt, vaddr_t va, uint64_t size, pgtable_leaf_fn fn,
			 void *ctx, struct pgtable_unmapped *out);

/*
 * The level-3 descriptor slot that translates @va (a page, never a block), for code that works
 * on single page entries (faults, fork) as Linux's pte_offset_map / pte_alloc do. With @alloc,
 * missing tables on the way are allocated and linked (so the slot always exists unless the
 * allocator fails); without it, NULL when a table is missing. NULL too when a block maps @va
 * (the VM layer maps user memory with pages only) or @va is in neither half of the VA space.
 * *@err (if not NULL) says why NULL: -ENOENT (no table, !@alloc), -ENOMEM, -EEXIST (a block),
 * -EINVAL, -EFAULT. On -ENOMEM the tables linked before the allocator failed stay, empty (an
 * unmap of their range frees them). The slot is live: write it with set_pte (arch.h).
 */
uint64_t *pgtable_pte_slot(struct pgtable *pt, vaddr_t va, bool alloc, int *err);

/*
 * Call @fn(@ctx, va, slot, level) for every block and page descriptor (bit 0 set, not a table)
 * that translates some VA in [@start, @end), in address order; va is the first VA the leaf maps
 * (it may lie below @start for a block). Missing tables are skipped without visiting their
 * range page by page, so a sparse walk costs what is mapped. @fn may rewrite the leaf through
 * @slot with set_pte (not turn it into a table); a non-zero return stops the walk and is
 * returned. 0 when all were visited, -EINVAL for a range outside one half of the VA space,
 * -EFAULT for a table descriptor pointing outside the direct view of memory.
 */
typedef int (*pgtable_slot_fn)(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level);
int pgtable_walk_leaves(const struct pgtable *pt, vaddr_t start, vaddr_t end, pgtable_slot_fn fn,
			void *ctx);

/* The permission bits of a block or page descriptor pgtable_protect changes: AP[2:1], PXN, UXN. */
#define PGTABLE_PROT_MASK (PTE_AP_MASK | PTE_PXN | PTE_UXN)

/*
 * Change the permissions of every block and page descriptor in [@va, @va + @size): clear the
 * descriptor bits @clear, then set @set (both within PGTABLE_PROT_MASK); the output address,
 * AttrIndx, SH and the other attributes stay. A block only partly in the range is first split as
 * pgtable_unmap splits it (with break-before-make), so the parts outside keep their permissions.
 * The permission change itself is made on the live leaves without break-before-make, which the
 * architecture does not require for it (ARM ARM D8.14.1 "Using break-before-make when updating
 * translation table entries": AP and XN changes are not among the changes that need it).
 *
 * The range must be mapped throughout, like mprotect's (which fails with -ENOMEM on a hole):
 * an unmapped part of it is -ENOENT, found before anything changes. Leaves with the contiguous
 * hint are refused (-EINVAL): a run's entries must change together, with break-before-make.
 *
 * The old permissions stay in the TLBs: the caller invalidates [@out->start, @out->end)
 * (arch_flush_tlb_kernel_range) before relying on the new ones (at once when it takes rights
 * away; when it grants them, a stale entry may give a spurious permission fault until then).
 * @out->tables_freed is 0.
 *
 * Two phases as pgtable_unmap: on any error nothing changed. Returns 0 (filling @out), or
 * -EINVAL: as pgtable_unmap, or @set or @clear outside PGTABLE_PROT_MASK, or a leaf in the range
 *          with the contiguous hint;
 * -ENOENT: part of the range is not mapped;
 * -EFAULT: a table descriptor points outside the direct view of memory;
 * -ENOMEM: the allocator ran out of tables for the splits.
 */
int pgtable_protect(struct pgtable *pt, vaddr_t va, uint64_t size, uint64_t set, uint64_t clear,
		    struct pgtable_unmapped *out);

/*
 * Look @va up in @pt in software (what a walk would find, without faults for permissions).
 * On success fills whichever of @pa (the output address of @va itself), @level (of the leaf) and
 * @desc (the leaf descriptor) are not NULL and returns 0. -ENOENT if @va is not mapped (an
 * invalid or reserved descriptor on the way), -EINVAL if @va is in neither half of the VA space,
 * -EFAULT if a table descriptor points outside the direct view of memory.
 */
int pgtable_query(const struct pgtable *pt, vaddr_t va, paddr_t *pa, unsigned int *level,
		  uint64_t *desc);

/*
 * The tables, root included, that mapping @ranges one after the other into an empty pgtable of
 * geometry @g with pgtable_map(..., @max_block) allocates, computed without building anything.
 * Exact when the ranges are valid for pgtable_map, sorted by VA and disjoint; for unsorted ranges
 * it is an upper bound (tables two ranges share may be counted twice).
 */
unsigned long pgtable_count_tables(const struct xlat_geometry *g,
				   const struct pgtable_range *ranges, size_t nranges,
				   uint64_t max_block);

/*
 * Linux's early page-table budget (arch/arm64/include/asm/kernel-pgtable.h, v6.1), for a kernel
 * whose CONFIG_PGTABLE_LEVELS and PAGE_SHIFT are those of geometry @g.
 *
 * With 4K pages the boot page tables ("swapper") map with PMD sections, 2M blocks
 * (ARM64_KERNEL_USES_PMD_MAPS); with 16K and 64K pages they map with pages. So
 *   SWAPPER_PGTABLE_LEVELS = levels - 1 (4K) or levels,
 *   SWAPPER_BLOCK_SHIFT    = PMD_SHIFT (4K) or PAGE_SHIFT, SWAPPER_BLOCK_SIZE = 1 << that,
 *   SWAPPER_TABLE_SHIFT    = PUD_SHIFT (4K) or PMD_SHIFT: the shift of the entries that point
 *                            at the last tables the swapper fills.
 * EARLY_ENTRIES(vstart, vend, shift, add) = ((vend - 1) >> shift) - (vstart >> shift) + 1 + add
 * counts the entries of one level that [vstart, vend) touches, plus @add spare ones (KASLR may
 * push the range across one more boundary). Every such entry needs a next-level table:
 *   EARLY_PAGES = 1 (the PGD)
 *               + EARLY_ENTRIES(.., PGDIR_SHIFT, add)                                  (always)
 *               + EARLY_ENTRIES(.., PUD_SHIFT, add)  if SWAPPER_PGTABLE_LEVELS > 3
 *               + EARLY_ENTRIES(.., SWAPPER_TABLE_SHIFT, add)  if SWAPPER_PGTABLE_LEVELS > 2
 * where PGDIR_SHIFT is the start level's shift, PUD_SHIFT level 1's and PMD_SHIFT level 2's.
 * Linux offers 4K with 39 or 48 VA bits, 16K with 36, 47 or 48, 64K with 42 or 48; for other
 * geometries the same formula is evaluated as written. @vstart and @vend are full VAs (@vend
 * exclusive, > @vstart), as Linux passes KIMAGE_VADDR and _end.
 */
unsigned long early_pages(const struct xlat_geometry *g, vaddr_t vstart, vaddr_t vend,
			  unsigned long add);
/* SWAPPER_PGTABLE_LEVELS and SWAPPER_BLOCK_SHIFT of geometry @g, as above. */
unsigned int swapper_pgtable_levels(const struct xlat_geometry *g);
unsigned int swapper_block_shift(const struct xlat_geometry *g);

#endif /* KMM_PGTABLE_H */

// SPDX-License-Identifier: MIT
/*
 * The page-table mapper; see include/kmm/pgtable.h for the contract. pgtable_map walks its range
 * twice with the same code: a counting pass that reads the tables and treats the tables it would
 * create as empty ones (slot NULL), then, once the tables it counted are taken from the
 * allocator, a writing pass that makes exactly the same choices and writes descriptors.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

/* One pgtable_map call: its arguments and the state of its pass. */
struct map_walk {
	struct pgtable *pt;
	const struct pte_attrs *attrs;
	uint64_t max_block;
	vaddr_t va0; /* the start of the range and its PA */
	paddr_t pa0;
	bool write;	    /* the writing pass (else counting) */
	unsigned long need; /* counting: tables to create, all a granule each */
	paddr_t pool; /* writing: the taken tables, linked through their first word (0 ends) */
};

/*
 * Descriptor accesses as single 64-bit loads and stores: a walk may read the slot at any time,
 * and reads it single-copy atomically (ARM ARM B2.2 "Atomicity in the Arm architecture").
 */
static uint64_t read_desc(const uint64_t *slot)
{
	return *(const volatile uint64_t *)slot;
}

/* A store into a live table: through the arch interface, which may check it (arch.h). */
#define write_desc(slot, desc) set_pte(slot, desc)

/*
 * True if [first, last] lies in one half of the VA space: bits [63:va_bits] all zeros (TTBR0's
 * range) or all ones (TTBR1's) throughout; other VAs fault (ARM ARM D8.2, AArch64.S1Translate),
 * and top-byte-ignore is no business of the tables.
 */
static bool va_in_one_half(const struct xlat_geometry *g, vaddr_t first, vaddr_t last)
{
	uint64_t top = first >> g->va_bits;

	return top == last >> g->va_bits && (top == 0 || top == ~0ULL >> g->va_bits);
}

/*
 * Take a zeroed table of @bytes from @a: 0 if it has none. A table that is misaligned or outside
 * the direct view breaks the allocator's contract: it is reported, given back and not used.
 */
static paddr_t get_table(struct pgtable_alloc *a, uint64_t bytes)
{
	paddr_t t = a->alloc_table(a->ctx, bytes);
	void *v = t ? arch_phys_to_virt(t) : NULL;

	if (!t)
		return 0;
	if (WARN_ON(!v || !IS_ALIGNED(t, bytes))) {
		if (a->free_table)
			a->free_table(a->ctx, t, bytes);
		return 0;
	}
	__builtin_memset(v, 0, bytes);
	return t;
}

int pgtable_init(struct pgtable *pt, const struct xlat_geometry *g, struct pgtable_alloc *a)
{
	uint64_t bytes = xlat_table_size(g, g->start_level);
	paddr_t root = get_table(a, bytes);

	if (!root)
		return -ENOMEM;
	*pt = (struct pgtable){ .geom = *g, .root = root, .alloc = a };
	pt->table_pages = 1;
	pt->level_tables[g->start_level] = 1;
	pt->table_bytes = bytes;
	return 0;
}

/* Give the tables of list @pool back to the allocator, most recent first, clearing the links. */
static void release_tables(struct pgtable *pt, paddr_t pool)
{
	uint64_t bytes = xlat_granule_size(&pt->geom);

	while (pool) {
		uint64_t *t = arch_phys_to_virt(pool);
		paddr_t next = t[0];

		t[0] = 0;
		if (pt->alloc->free_table)
			pt->alloc->free_table(pt->alloc->ctx, pool, bytes);
		pool = next;
	}
}

/* Take the @w->need tables the counting pass found into @w->pool; all or none (-ENOMEM). */
static int take_tables(struct map_walk *w)
{
	uint64_t bytes = xlat_granule_size(&w->pt->geom);

	for (unsigned long i = 0; i < w->need; i++) {
		paddr_t t = get_table(w->pt->alloc, bytes);

		if (!t) {
			release_tables(w->pt, w->pool);
			w->pool = 0;
			return -ENOMEM;
		}
		*(uint64_t *)arch_phys_to_virt(t) = w->pool;
		w->pool = t;
	}
	return 0;
}

/* Link the empty (zeroed) table @t into the invalid @slot at @level, and count it. */
static void link_table(struct pgtable *pt, unsigned int level, uint64_t *slot, paddr_t t)
{
	static const struct table_attrs none;

	write_desc(slot, desc_make_table(&pt->geom, t, &none));
	pt->table_pages++;
	pt->level_tables[level + 1]++;
	pt->table_bytes += xlat_granule_size(&pt->geom);
}

/*
 * The table to create below the invalid @slot at @level: counted (NULL, an empty table to the
 * counting pass), or taken from the pool, linked into @slot and returned.
 */
static uint64_t *new_table(struct map_walk *w, unsigned int level, uint64_t *slot)
{
	paddr_t t = w->pool;
	uint64_t *v;

	if (!w->write) {
		w->need++;
		return NULL;
	}
	BUG_ON(!t); /* the writing pass needs exactly the tables the counting pass counted */
	v = arch_phys_to_virt(t);
	w->pool = v[0];
	v[0] = 0;
	link_table(w->pt, level, slot, t);
	return v;
}

/*
 * Whether [va, last], the part of the range in one entry at @level, is mapped by a leaf there:
 * it covers the whole entry, the PA is aligned to the entry too, and the level holds leaves of
 * that size (pages at level 3; blocks where allowed, up to max_block).
 */
static bool leaf_fits(const struct map_walk *w, unsigned int level, vaddr_t va, vaddr_t last)
{
	const struct xlat_geometry *g = &w->pt->geom;
	uint64_t size = xlat_entry_size(g, level);
	paddr_t pa = w->pa0 + (va - w->va0);

	if (level < 3 && (!xlat_block_allowed(g, level) || size > w->max_block))
		return false;
	return IS_ALIGNED(va, size) && IS_ALIGNED(pa, size) && last - va == size - 1;
}

static uint64_t leaf_desc(const struct map_walk *w, unsigned int level, vaddr_t va)
{
	const struct xlat_geometry *g = &w->pt->geom;
	paddr_t pa = w->pa0 + (va - w->va0);

	if (level == 3)
		return desc_make_page(g, pa, w->attrs);
	return desc_make_block(g, level, pa, w->attrs);
}

static int walk_table(struct map_walk *w, unsigned int level, uint64_t *table, vaddr_t va,
		      vaddr_t last);

/*
 * Map [va, last], within the entry @slot at @level (NULL: in a table still to be created), or
 * in the counting pass check that it can be mapped and count the tables it needs.
 */
static int walk_entry(struct map_walk *w, unsigned int level, uint64_t *slot, vaddr_t va,
		      vaddr_t last)
{
	const struct xlat_geometry *g = &w->pt->geom;
	uint64_t desc = slot ? read_desc(slot) : 0;
	uint64_t *next;

	switch (desc_kind(g, level, desc)) {
	case DESC_TABLE:
		next = arch_phys_to_virt(desc_oa(g, level, desc));
		if (!next)
			return -EFAULT;
		return walk_table(w, level + 1, next, va, last);
	case DESC_INVALID:
		break;
	default:
		return -EEXIST; /* a block, a page, or a reserved encoding with bit 0 set */
	}
	if (leaf_fits(w, level, va, last)) {
		if (w->write)
			write_desc(slot, leaf_desc(w, level, va));
		return 0;
	}
	return walk_table(w, level + 1, new_table(w, level, slot), va, last);
}

/*
 * Map [va, last] in @table at @level, entry by entry (NULL: a table still to be created, whose
 * entries are all invalid). A new last-level table holds pages only: nothing to count in it.
 */
static int walk_table(struct map_walk *w, unsigned int level, uint64_t *table, vaddr_t va,
		      vaddr_t last)
{
	const struct xlat_geometry *g = &w->pt->geom;
	uint64_t mask = xlat_entry_size(g, level) - 1;

	if (!table && level == 3)
		return 0;
	for (;;) {
		vaddr_t end = (va | mask) < last ? (va | mask) : last;
		uint64_t *slot = table ? &table[xlat_index(g, level, va)] : NULL;
		int err = walk_entry(w, level, slot, va, end);

		if (err || end == last)
			return err;
		va = end + 1;
	}
}

/* The argument checks of pgtable_map (see pgtable.h): 0 or -EINVAL. */
static int check_map_args(const struct xlat_geometry *g, vaddr_t va, paddr_t pa, uint64_t size,
			  uint64_t max_block)
{
	uint64_t page = xlat_granule_size(g);

	if (!size || !IS_ALIGNED(va | pa | size, page) || max_block < page)
		return -EINVAL;
	if (va + (size - 1) < va || pa + (size - 1) < pa)
		return -EINVAL;
	if (!va_in_one_half(g, va, va + (size - 1)) || (pa + (size - 1)) >> XLAT_PA_BITS_MAX)
		return -EINVAL;
	return 0;
}

int pgtable_map(struct pgtable *pt, vaddr_t va, paddr_t pa, uint64_t size,
		const struct pte_attrs *attrs, uint64_t max_block)
{
	struct map_walk w = {
		.pt = pt, .attrs = attrs, .max_block = max_block, .va0 = va, .pa0 = pa
	};
	uint64_t *root = arch_phys_to_virt(pt->root);
	int err = check_map_args(&pt->geom, va, pa, size, max_block);

	if (err)
		return err;
	if (!root)
		return -EFAULT;
	err = walk_table(&w, pt->geom.start_level, root, va, va + (size - 1));
	if (!err)
		err = take_tables(&w);
	if (err)
		return err;
	w.write = true;
	err = walk_table(&w, pt->geom.start_level, root, va, va + (size - 1));
	BUG_ON(err || w.pool); /* the counting pass checked everything and counted every table */
	return 0;
}

int pgtable_query(const struct pgtable *pt, vaddr_t va, paddr_t *pa, unsigned int *level,
		  uint64_t *desc)
{
	const struct xlat_geometry *g = &pt->geom;
	paddr_t table = pt->root;

	if (!va_in_one_half(g, va, va))
		return -EINVAL;
	for (unsigned int l = g->start_level;; l++) {
		const uint64_t *t = arch_phys_to_virt(table);
		uint64_t d;

		if (!t)
			return -EFAULT;
		d = read_desc(&t[xlat_index(g, l, va)]);
		switch (desc_kind(g, l, d)) {
		case DESC_TABLE:
			table = desc_oa(g, l, d);
			continue;
		case DESC_BLOCK:
		case DESC_PAGE:
			break;
		default:
			return -ENOENT;
		}
		if (pa)
			*pa = desc_oa(g, l, d) | (va & (xlat_entry_size(g, l) - 1));
		if (level)
			*level = l;
		if (desc)
			*desc = d;
		return 0;
	}
}

/* Tables counted at one level by pgtable_count_tables: how many, and the highest entry so far. */
struct level_count {
	unsigned long tables;
	uint64_t prev;
	bool have;
};

/* Count a table below each entry number in [lo, hi] at one level, the previous one excepted. */
static void count_entries(struct level_count *c, uint64_t lo, uint64_t hi)
{
	c->tables += (unsigned long)(hi - lo + 1) - (c->have && c->prev == lo);
	c->prev = hi;
	c->have = true;
}

/*
 * Count the entries at @level of [va, last] (mapped at PA = VA + @delta) that need a table below
 * them in empty tables: the entries the range covers in part and, unless a block fits there, the
 * ones it covers whole. Counting level by level this way never counts an entry that lies under a
 * block (and so does not exist): blocks are allowed from some level down to level 2, so below a
 * block that fits, every entry is covered whole and a block fits there too.
 */
static void count_level(const struct xlat_geometry *g, unsigned int level, vaddr_t va, vaddr_t last,
			uint64_t delta, uint64_t max_block, struct level_count *c)
{
	uint64_t size = xlat_entry_size(g, level);
	uint64_t first = va >> g->level_shift[level], end = last >> g->level_shift[level];

	if (!xlat_block_allowed(g, level) || size > max_block || !IS_ALIGNED(delta, size)) {
		count_entries(c, first, end);
		return;
	}
	/* Only the end entries can be partly covered (one entry, perhaps, counted once). */
	if (!IS_ALIGNED(va, size))
		count_entries(c, first, first);
	if (!IS_ALIGNED(last + 1, size))
		count_entries(c, end, end);
}

unsigned long pgtable_count_tables(const struct xlat_geometry *g,
				   const struct pgtable_range *ranges, size_t nranges,
				   uint64_t max_block)
{
	struct level_count c[XLAT_LEVELS_MAX] = { 0 };
	unsigned long tables = 1;

	for (size_t i = 0; i < nranges; i++) {
		const struct pgtable_range *r = &ranges[i];

		for (unsigned int l = g->start_level; l < 3 && r->size; l++)
			count_level(g, l, r->va, r->va + (r->size - 1), r->pa - r->va, max_block,
				    &c[l]);
	}
	for (unsigned int l = g->start_level; l < 3; l++)
		tables += c[l].tables;
	return tables;
}

/* Linux's ARM64_KERNEL_USES_PMD_MAPS: the boot tables map with 2M blocks with 4K pages only. */
static bool swapper_uses_pmd_maps(const struct xlat_geometry *g)
{
	return g->granule_shift == 12;
}

unsigned int swapper_pgtable_levels(const struct xlat_geometry *g)
{
	return g->levels - (swapper_uses_pmd_maps(g) ? 1 : 0);
}

unsigned int swapper_block_shift(const struct xlat_geometry *g)
{
	return swapper_uses_pmd_maps(g) ? g->level_shift[2] : g->granule_shift;
}

/* SWAPPER_TABLE_SHIFT: PUD_SHIFT (level 1) with PMD maps, else PMD_SHIFT (level 2). */
static unsigned int swapper_table_shift(const struct xlat_geometry *g)
{
	return g->level_shift[swapper_uses_pmd_maps(g) ? 1 : 2];
}

/* Linux's EARLY_ENTRIES: the entries of @shift that [vstart, vend) touches, plus @add. */
static unsigned long early_entries(vaddr_t vstart, vaddr_t vend, unsigned int shift,
				   unsigned long add)
{
	return (unsigned long)(((vend - 1) >> shift) - (vstart >> shift) + 1) + add;
}

unsigned long early_pages(const struct xlat_geometry *g, vaddr_t vstart, vaddr_t vend,
			  unsigned long add)
{
	unsigned int levels = swapper_pgtable_levels(g);
	unsigned long pages = 1 + early_entries(vstart, vend, g->level_shift[g->start_level], add);

	if (levels > 3)
		pages += early_entries(vstart, vend, g->level_shift[1], add);
	if (levels > 2)
		pages += early_entries(vstart, vend, swapper_table_shift(g), add);
	return pages;
}

/*
 * pgtable_unmap and pgtable_protect: one walk over the leaves of a range, which clears them or
 * rewrites their permissions, splitting the blocks the range covers in part. A counting pass (the
 * tables the block splits need, and the checks) and a writing pass, as pgtable_map. The pool of
 * taken tables is a map_walk's.
 */
struct leaf_walk {
	struct map_walk tables; /* pt, write, need and pool */
	struct pgtable_unmapped *out;
	bool protect;	     /* pgtable_protect: rewrite the leaves' permissions, else clear them */
	uint64_t set, clear; /* protect: the permission bits to set and to clear */
	pgtable_leaf_fn fn;  /* unmap: shown each leaf before it is cleared (or NULL) */
	void *ctx;
};

/* Counting: the tables splitting a block at @level for [va, last], which it covers in part, takes:
 * one below it, and those of the next level's blocks at the range's ends covered in part. */
static unsigned long split_count(const struct xlat_geometry *g, unsigned int level, vaddr_t va,
				 vaddr_t last)
{
	unsigned int next = level + 1;
	uint64_t mask = xlat_entry_size(g, next) - 1;
	unsigned long n = 1;

	if (next == 3)
		return n;
	if ((va & mask) || last < (va | mask))
		n += split_count(g, next, va, (va | mask) < last ? (va | mask) : last);
	if ((last & ~mask) != (va & ~mask) && (last & mask) != mask)
		n += split_count(g, next, last & ~mask, last);
	return n;
}

/*
 * Split the block @desc at @level in @slot, which translates @va, into a table from the pool:
 * fill it with next-level entries of the same output and attributes, then break-before-make.
 */
static uint64_t *split_block(struct leaf_walk *w, unsigned int level, uint64_t *slot, uint64_t desc,
			     vaddr_t va)
{
	static const struct table_attrs none;
	struct pgtable *pt = w->tables.pt;
	const struct xlat_geometry *g = &pt->geom;
	uint64_t size = xlat_entry_size(g, level + 1), n = xlat_granule_size(g) / 8;
	paddr_t oa = desc_oa(g, level, desc), t = w->tables.pool;
	uint64_t *v = arch_phys_to_virt(t);
	struct pte_attrs a;

	pte_attrs_decode(desc, &a);
	a.contig = false;
	w->tables.pool = v[0];
	for (uint64_t i = 0; i < n; i++)
		v[i] = level + 1 == 3 ? desc_make_page(g, oa + i * size, &a)
				      : desc_make_block(g, level + 1, oa + i * size, &a);
	write_desc(slot, 0);
	arch_flush_tlb_kernel_pgtable(va);
	write_desc(slot, desc_make_table(g, t, &none));
	pt->table_pages++;
	pt->level_tables[level + 1]++;
	pt->table_bytes += xlat_granule_size(g);
	w->out->splits++;
	return v;
}

/*
 * Clear (unmap) or re-permission (protect) the leaf @desc in @slot, which maps [va, last], and
 * record it. A change of AP, PXN or UXN alone needs no break-before-make (ARM ARM D8.14.1: it is
 * not among the changes that require it); the old permissions may stay in the TLBs until the
 * caller invalidates.
 */
static void change_leaf(struct leaf_walk *w, unsigned int level, uint64_t *slot, uint64_t desc,
			vaddr_t va, vaddr_t last)
{
	struct pgtable_unmapped *out = w->out;

	if (w->fn)
		w->fn(w->ctx, va, desc, level);
	write_desc(slot, w->protect ? (desc & ~w->clear) | w->set : 0);
	if (out->start == out->end || va < out->start)
		out->start = va;
	if (out->start == out->end || last + 1 > out->end)
		out->end = last + 1;
	out->leaves++;
}

/*
 * If @table, at @level + 1 below @slot and translating @va, has no valid entry left: unlink it,
 * drop the walks cached through it and give it back (when the allocator takes tables back).
 */
static void free_if_empty(struct leaf_walk *w, unsigned int level, uint64_t *slot, uint64_t *table,
			  vaddr_t va)
{
	struct pgtable *pt = w->tables.pt;
	uint64_t bytes = xlat_granule_size(&pt->geom);

	if (!pt->alloc->free_table)
		return;
	for (uint64_t i = 0; i < bytes / 8; i++)
		if (read_desc(&table[i]) & 1)
			return;
	write_desc(slot, 0);
	arch_flush_tlb_kernel_pgtable(va);
	pt->alloc->free_table(pt->alloc->ctx, arch_virt_to_phys(table), bytes);
	pt->table_pages--;
	pt->level_tables[level + 1]--;
	pt->table_bytes -= bytes;
	w->out->tables_freed++;
}

static int leaf_table(struct leaf_walk *w, unsigned int level, uint64_t *table, vaddr_t va,
		      vaddr_t last);

/*
 * Unmap or protect [va, last], within the entry @slot at @level (or count and check, in the first
 * pass). Protect refuses unmapped parts (-ENOENT) and contiguous runs (-EINVAL), found in the
 * counting pass.
 */
static int leaf_entry(struct leaf_walk *w, unsigned int level, uint64_t *slot, vaddr_t va,
		      vaddr_t last)
{
	const struct xlat_geometry *g = &w->tables.pt->geom;
	uint64_t desc = read_desc(slot), size = xlat_entry_size(g, level);
	uint64_t *next;
	int err;

	switch (desc_kind(g, level, desc)) {
	case DESC_INVALID:
	case DESC_RESERVED: /* faults as an invalid entry does: nothing is mapped */
		return w->protect ? -ENOENT : 0;
	case DESC_TABLE:
		next = arch_phys_to_virt(desc_oa(g, level, desc));
		if (!next)
			return -EFAULT;
		err = leaf_table(w, level + 1, next, va, last);
		if (!err && w->tables.write && !w->protect)
			free_if_empty(w, level, slot, next, va);
		return err;
	default:
		break;
	}
	if (w->protect && (desc & PTE_CONT))
		return -EINVAL;
	if (IS_ALIGNED(va, size) && last - va == size - 1) {
		if (w->tables.write)
			change_leaf(w, level, slot, desc, va, last);
		return 0;
	}
	if (!w->tables.write) {
		w->tables.need += split_count(g, level, va, last);
		return 0;
	}
	return leaf_table(w, level + 1, split_block(w, level, slot, desc, va), va, last);
}

/* Unmap or protect [va, last] in @table at @level, entry by entry. */
static int leaf_table(struct leaf_walk *w, unsigned int level, uint64_t *table, vaddr_t va,
		      vaddr_t last)
{
	const struct xlat_geometry *g = &w->tables.pt->geom;
	uint64_t mask = xlat_entry_size(g, level) - 1;

	for (;;) {
		vaddr_t end = (va | mask) < last ? (va | mask) : last;
		int err = leaf_entry(w, level, &table[xlat_index(g, level, va)], va, end);

		if (err || end == last)
			return err;
		va = end + 1;
	}
}

/* Run @w over [va, va + size): check the arguments, count, take the tables, write. */
static int leaf_walk_run(struct leaf_walk *w, vaddr_t va, uint64_t size)
{
	struct pgtable *pt = w->tables.pt;
	uint64_t *root = arch_phys_to_virt(pt->root);
	uint64_t page = xlat_granule_size(&pt->geom);
	int err;

	*w->out = (struct pgtable_unmapped){ 0 };
	if (!size || !IS_ALIGNED(va | size, page) || va + (size - 1) < va ||
	    !va_in_one_half(&pt->geom, va, va + (size - 1)))
		return -EINVAL;
	if (!root)
		return -EFAULT;
	err = leaf_table(w, pt->geom.start_level, root, va, va + (size - 1));
	if (!err)
		err = take_tables(&w->tables);
	if (err)
		return err;
	w->tables.write = true;
	err = leaf_table(w, pt->geom.start_level, root, va, va + (size - 1));
	BUG_ON(err || w->tables.pool); /* the counting pass checked and counted everything */
	return 0;
}

int pgtable_unmap_leaves(struct pgtable *pt, vaddr_t va, uint64_t size, pgtable_leaf_fn fn,
			 void *ctx, struct pgtable_unmapped *out)
{
	struct leaf_walk w = { .tables = { .pt = pt }, .out = out, .fn = fn, .ctx = ctx };

	return leaf_walk_run(&w, va, size);
}

int pgtable_unmap(struct pgtable *pt, vaddr_t va, uint64_t size, struct pgtable_unmapped *out)
{
	return pgtable_unmap_leaves(pt, va, size, NULL, NULL, out);
}

int pgtable_protect(struct pgtable *pt, vaddr_t va, uint64_t size, uint64_t set, uint64_t clear,
		    struct pgtable_unmapped *out)
{
	struct leaf_walk w = {
		.tables = { .pt = pt }, .out = out, .protect = true, .set = set, .clear = clear
	};

	if ((set | clear) & ~PGTABLE_PROT_MASK) {
		*out = (struct pgtable_unmapped){ 0 };
		return -EINVAL;
	}
	return leaf_walk_run(&w, va, size);
}

/*
 * The single-entry walk of pgtable_pte_slot: from the root down to the level-3 table that
 * translates @va, creating missing tables when @alloc. A new table is zeroed before it is linked,
 * and the DSB ISHST orders the zeroing before the descriptor that publishes it, so that no walk
 * sees stale entries through it (ARM ARM B2.3 "Definition of the Armv8 memory model", the
 * ordering of stores observed by translation table walks).
 */
uint64_t *pgtable_pte_slot(struct pgtable *pt, vaddr_t va, bool alloc, int *err)
{
	const struct xlat_geometry *g = &pt->geom;
	uint64_t *table = arch_phys_to_virt(pt->root);
	int e = -EINVAL;

	if (!va_in_one_half(g, va, va))
		goto fail;
	for (unsigned int level = g->start_level; table && level < 3; level++) {
		uint64_t *slot = &table[xlat_index(g, level, va)];
		uint64_t desc = read_desc(slot);
		paddr_t t;

		if ((desc & DESC_TYPE_MASK) == DESC_TYPE_TABLE) {
			table = arch_phys_to_virt(desc & GENMASK(47, g->granule_shift));
			continue;
		}
		e = desc_kind(g, level, desc) == DESC_BLOCK ? -EEXIST : alloc ? -ENOMEM : -ENOENT;
		t = e == -ENOMEM ? get_table(pt->alloc, xlat_granule_size(g)) : 0;
		if (!t)
			goto fail;
		arch_dsb_ishst();
		link_table(pt, level, slot, t);
		table = arch_phys_to_virt(t);
	}
	if (table)
		return &table[xlat_index(g, 3, va)];
	e = -EFAULT;
fail:
	if (err)
		*err = e;
	return NULL;
}

/* One pgtable_walk_leaves call: the geometry, the callback and its context. */
struct slot_walk {
	const struct xlat_geometry *g;
	pgtable_slot_fn fn;
	void *ctx;
};

/* Visit the leaves translating [va, last] in @table at @level; tables missing are skipped. */
static int walk_slots(const struct slot_walk *w, unsigned int level, uint64_t *table, vaddr_t va,
		      vaddr_t last)
{
	const struct xlat_geometry *g = w->g;
	uint64_t mask = xlat_entry_size(g, level) - 1;

	for (;;) {
		vaddr_t end = (va | mask) < last ? (va | mask) : last;
		uint64_t *slot = &table[xlat_index(g, level, va)];
		uint64_t desc = read_desc(slot);
		uint64_t *next;
		int err = 0;

		switch (desc_kind(g, level, desc)) {
		case DESC_TABLE:
			next = arch_phys_to_virt(desc_oa(g, level, desc));
			err = next ? walk_slots(w, level + 1, next, va, end) : -EFAULT;
			break;
		case DESC_BLOCK:
		case DESC_PAGE:
			err = w->fn(w->ctx, va & ~mask, slot, level);
			break;
		default:
			break;
		}
		if (err || end == last)
			return err;
		va = end + 1;
	}
}

int pgtable_walk_leaves(const struct pgtable *pt, vaddr_t start, vaddr_t end, pgtable_slot_fn fn,
			void *ctx)
{
	const struct slot_walk w = { &pt->geom, fn, ctx };
	uint64_t *root = arch_phys_to_virt(pt->root);

	if (start == end)
		return 0;
	if (end - 1 < start || !va_in_one_half(&pt->geom, start, end - 1))
		return -EINVAL;
	if (!root)
		return -EFAULT;
	return walk_slots(&w, pt->geom.start_level, root, start, end - 1);
}

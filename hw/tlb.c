// SPDX-License-Identifier: MIT
/*
 * The emulated TLB; the contract is in tlb.h.
 *
 * Leaf entries live in sets of @ways entries. An entry of 2^k bytes goes to set
 * (VA[55:k]) % sets, so a lookup probes one set per size present (size_mask, kept exact by a count
 * of the entries of each size). Tags compare VA[55:k]: bits [63:56] are the tag byte when TBI is
 * on, and a TLBI operand carries VA[55:12] only (ARM ARM D8.13 "Translation Lookaside Buffers",
 * C5.5 "TLBI"); bit 55 tells the halves apart. The walk cache is one fully associative array of
 * intermediate tables; a lookup tries the entry the previous one found before it scans them all.
 * Both replace the least recently used entry: every use stamps an entry with the next value of
 * the clock.
 *
 * The descriptor counts (struct tlb_refs) are an open-addressing hash map with linear probing,
 * at most half full, whose deletions shift the following run back (no tombstones).
 */
#include "tlb.h"

#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>

/* The highest VA bit a tag holds. */
#define TAG_TOP 55
/* The deepest level a table can be at: a walk resumed from it reads the leaf next. */
#define DEEPEST (XLAT_LEVELS_MAX - 1)

/* Whether @a and @b agree on VA[55:shift]. */
static bool va_match(vaddr_t a, vaddr_t b, unsigned int shift)
{
	return !((a ^ b) & GENMASK(TAG_TOP, shift));
}

static unsigned int size_shift(uint64_t size)
{
	return (unsigned int)__builtin_ctzll(size);
}

/* The first entry of the set an entry of 2^@shift bytes holding @va goes to. */
static struct tlb_entry *set_of(struct tlb *tlb, vaddr_t va, unsigned int shift)
{
	uint64_t tag = (va & GENMASK(TAG_TOP, 0)) >> shift;
	uint64_t index = tlb->set_mask ? tag & tlb->set_mask : tag % tlb->sets;

	return &tlb->entries[index * tlb->cfg.ways];
}

/* Whether @e is a valid entry of 2^@shift bytes containing @va (any ASID). */
static bool entry_holds(const struct tlb_entry *e, vaddr_t va, unsigned int shift)
{
	return e->stamp && e->tr.size == BIT(shift) && va_match(e->tr.va, va, shift);
}

static bool asid_match(const struct mmu_tr *tr, uint16_t asid)
{
	return tr->global || tr->asid == asid;
}

#define REFS_MIN_BITS 4

size_t tlb_refs_needed(const struct tlb_config *cfg)
{
	return (size_t)cfg->entries * XLAT_LEVELS_MAX +
	       (size_t)cfg->walk_entries * (XLAT_LEVELS_MAX - 1);
}

int tlb_refs_init(struct tlb_refs *r, size_t keys)
{
	unsigned int bits = REFS_MIN_BITS;

	while (((size_t)1 << bits) < 2 * keys)
		bits++;
	*r = (struct tlb_refs){ .slots = calloc((size_t)1 << bits, sizeof(*r->slots)),
				.bits = bits };
	return r->slots ? 0 : -ENOMEM;
}

void tlb_refs_destroy(struct tlb_refs *r)
{
	free(r->slots);
	*r = (struct tlb_refs){ 0 };
}

void tlb_refs_clear(struct tlb_refs *r)
{
	memset(r->slots, 0, sizeof(*r->slots) << r->bits);
}

static size_t refs_mask(const struct tlb_refs *r)
{
	return ((size_t)1 << r->bits) - 1;
}

/* The slot the probe for @pa starts at (Fibonacci hashing of the descriptor's index). */
static size_t refs_home(const struct tlb_refs *r, paddr_t pa)
{
	return (size_t)(((pa >> 3) * 0x9e3779b97f4a7c15ULL) >> (64 - r->bits));
}

/* The slot holding @pa, or the free slot ending its probe. */
static struct tlb_ref *refs_probe(const struct tlb_refs *r, paddr_t pa)
{
	size_t i = refs_home(r, pa);

	while (r->slots[i].count && r->slots[i].pa != pa)
		i = (i + 1) & refs_mask(r);
	return &r->slots[i];
}

struct tlb_ref *tlb_refs_find(const struct tlb_refs *r, paddr_t pa)
{
	struct tlb_ref *s = refs_probe(r, pa);

	return s->count ? s : NULL;
}

/* Free slot @hole, moving back each later slot of its run whose probe passes the hole. */
static void refs_remove(struct tlb_refs *r, size_t hole)
{
	size_t mask = refs_mask(r);

	for (size_t j = (hole + 1) & mask; r->slots[j].count; j = (j + 1) & mask) {
		size_t home = refs_home(r, r->slots[j].pa);
		if (((j - home) & mask) >= ((j - hole) & mask)) {
			r->slots[hole] = r->slots[j];
			hole = j;
		}
	}
	r->slots[hole] = (struct tlb_ref){ 0 };
}

/* Count (@delta +1) or uncount (-1) an entry read through the descriptor at @pa. */
static void ref_one(struct tlb_refs *r, paddr_t pa, int delta)
{
	struct tlb_ref *s = refs_probe(r, pa);

	if (delta > 0 && !s->count)
		*s = (struct tlb_ref){ .pa = pa };
	if (delta > 0)
		s->count++;
	else if (s->count && !--s->count)
		refs_remove(r, (size_t)(s - r->slots));
}

/* Count (@delta +1) or uncount (-1) an entry read through the descriptors of @p. */
static void ref_path(struct tlb *tlb, const struct mmu_path *p, int delta)
{
	for (unsigned int i = 0; tlb->refs && i < p->n; i++)
		ref_one(tlb->refs, p->desc[p->first + i], delta);
}

/* Whether @p read the descriptor at @pa at @level. */
static bool path_holds(const struct mmu_path *p, unsigned int level, paddr_t pa)
{
	return level >= p->first && level < p->first + p->n && p->desc[level] == pa;
}

/*
 * Count an entry read through @now in place of one read through @was (NULL: none). A descriptor
 * both read at the same level is left as it is, as counting @now up and then @was down would:
 * its count never reaches zero on the way.
 */
static void ref_replace(struct tlb *tlb, const struct mmu_path *now, const struct mmu_path *was)
{
	if (!tlb->refs || !was) {
		ref_path(tlb, now, 1);
		return;
	}
	for (unsigned int l = now->first; l < now->first + now->n; l++)
		if (!path_holds(was, l, now->desc[l]))
			ref_one(tlb->refs, now->desc[l], 1);
	for (unsigned int l = was->first; l < was->first + was->n; l++)
		if (!path_holds(now, l, was->desc[l]))
			ref_one(tlb->refs, was->desc[l], -1);
}

int tlb_init(struct tlb *tlb, const struct tlb_config *cfg)
{
	if (cfg->entries && (!cfg->ways || cfg->entries % cfg->ways))
		return -EINVAL;
	*tlb = (struct tlb){ .cfg = *cfg,
			     .sets = cfg->entries ? cfg->entries / cfg->ways : 0,
			     .gen = 1 };
	if (tlb->sets > 1 && !(tlb->sets & (tlb->sets - 1)))
		tlb->set_mask = tlb->sets - 1;
	tlb->entries = calloc(cfg->entries, sizeof(*tlb->entries));
	tlb->walk = calloc(cfg->walk_entries, sizeof(*tlb->walk));
	if ((cfg->entries && !tlb->entries) || (cfg->walk_entries && !tlb->walk)) {
		tlb_destroy(tlb);
		return -ENOMEM;
	}
	return 0;
}

void tlb_destroy(struct tlb *tlb)
{
	free(tlb->entries);
	free(tlb->walk);
	*tlb = (struct tlb){ 0 };
}

/* A valid leaf entry of @size bytes more (@delta 1) or less (-1), in size_count and size_mask. */
static void count_size(struct tlb *tlb, uint64_t size, int delta)
{
	unsigned int k = size_shift(size);

	tlb->size_count[k] += (unsigned int)delta;
	if (tlb->size_count[k])
		tlb->size_mask |= size;
	else
		tlb->size_mask &= ~size;
}

/*
 * Remember @e as the entry every lookup of VA[55:k] of @va under @asid finds, 2^k the smallest
 * entry size present: such lookups probe the same sets (set_of and entry_holds use VA[55:shift]
 * for shift >= k only) and the same ways, so while the entries stay as they are, they find @e.
 */
static void last_set(struct tlb *tlb, struct tlb_entry *e, vaddr_t va, uint16_t asid)
{
	tlb->last = e;
	tlb->last_va = va;
	tlb->last_mask = GENMASK(TAG_TOP, size_shift(tlb->size_mask));
	tlb->last_asid = asid;
}

/* The leaf entries change: the micro-TLB's entry may no longer be what a lookup finds. */
static inline void last_clear(struct tlb *tlb)
{
	tlb->last = NULL;
	tlb->gen++;
}

const struct mmu_tr *tlb_lookup(struct tlb *tlb, vaddr_t va, uint16_t asid)
{
	struct tlb_entry *e = tlb->last;

	if (e && !((va ^ tlb->last_va) & tlb->last_mask) && asid == tlb->last_asid) {
		e->stamp = ++tlb->clock;
		tlb->stats.hits++;
		return &e->tr;
	}
	for (uint64_t m = tlb->size_mask; m; m &= m - 1) {
		unsigned int shift = size_shift(m);
		struct tlb_entry *set = set_of(tlb, va, shift);
		for (unsigned int w = 0; w < tlb->cfg.ways; w++) {
			if (entry_holds(&set[w], va, shift) && asid_match(&set[w].tr, asid)) {
				set[w].stamp = ++tlb->clock;
				tlb->stats.hits++;
				last_set(tlb, &set[w], va, asid);
				return &set[w].tr;
			}
		}
	}
	tlb->stats.misses++;
	return NULL;
}

/* Whether @a and @b translate the same input for the same ASIDs (one replaces the other). */
static inline bool same_tag(const struct mmu_tr *a, const struct mmu_tr *b)
{
	return a->size == b->size && va_match(a->va, b->va, size_shift(a->size)) &&
	       a->global == b->global && (a->global || a->asid == b->asid);
}

/* The way of @set for @tr: an entry with the same tag, else a free one, else the LRU one. */
static struct tlb_entry *pick_way(struct tlb *tlb, struct tlb_entry *set, const struct mmu_tr *tr)
{
	struct tlb_entry *victim = NULL;

	for (unsigned int w = 0; w < tlb->cfg.ways; w++) {
		struct tlb_entry *e = &set[w];
		if (e->stamp && same_tag(&e->tr, tr))
			return e;
		if (!victim || (victim->stamp && e->stamp < victim->stamp))
			victim = e;
	}
	return victim;
}

void tlb_insert(struct tlb *tlb, const struct mmu_tr *tr)
{
	if (!tlb->sets)
		return;
	last_clear(tlb);
	struct tlb_entry *e = pick_way(tlb, set_of(tlb, tr->va, size_shift(tr->size)), tr);

	tlb->stats.evictions += e->stamp && !same_tag(&e->tr, tr);
	ref_replace(tlb, &tr->path, e->stamp ? &e->tr.path : NULL);
	if (e->stamp)
		count_size(tlb, e->tr.size, -1);
	e->tr = *tr;
	e->stamp = ++tlb->clock;
	count_size(tlb, tr->size, 1);
}

void tlb_drop(struct tlb *tlb, const struct mmu_tr *tr)
{
	size_t i = (size_t)(container_of(tr, struct tlb_entry, tr) - tlb->entries);

	last_clear(tlb);
	ref_path(tlb, &tr->path, -1);
	tlb->entries[i].stamp = 0;
	count_size(tlb, tr->size, -1);
}

/* Whether @a and @b are the same path, field by field. */
static bool path_equal(const struct mmu_path *a, const struct mmu_path *b)
{
	for (unsigned int l = 0; l < XLAT_LEVELS_MAX; l++)
		if (a->desc[l] != b->desc[l])
			return false;
	return a->root == b->root && a->first == b->first && a->n == b->n &&
	       a->root_shift == b->root_shift && a->granule_shift == b->granule_shift;
}

/* Whether walk-cache entry @e holds a table that translates @va in half @ttbr for @asid. */
static bool walk_holds(const struct tlb_walk_entry *e, vaddr_t va, unsigned int ttbr, uint16_t asid)
{
	return e->stamp && e->ttbr == ttbr && e->asid == asid && va_match(e->va, va, e->shift);
}

/* A valid walk-cache entry @e more (@delta 1) or less (-1), in the counts of level-3 tables. */
static void count_walk(struct tlb *tlb, const struct tlb_walk_entry *e, int delta)
{
	if (e->step.level != DEEPEST)
		return;
	tlb->deepest += (unsigned int)delta;
	tlb->deepest_shift[e->shift] += (unsigned int)delta;
}

/*
 * The last lookup's entry if it holds the level-3 table for @va and no other entry can: entries
 * of one table, shift and level are never two (pick_walk_slot), so only a level-3 table cached
 * under another geometry (another shift) could match as well.
 */
static struct tlb_walk_entry *walk_hint(struct tlb *tlb, vaddr_t va, unsigned int ttbr,
					uint16_t asid)
{
	struct tlb_walk_entry *e = tlb->walk_hit;

	if (e && e->step.level == DEEPEST && walk_holds(e, va, ttbr, asid) &&
	    tlb->deepest_shift[e->shift] == tlb->deepest)
		return e;
	return NULL;
}

/* The entry of the deepest table for @va, the first of that level; NULL if none. */
static struct tlb_walk_entry *walk_scan(struct tlb *tlb, vaddr_t va, unsigned int ttbr,
					uint16_t asid)
{
	struct tlb_walk_entry *best = NULL;

	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++) {
		struct tlb_walk_entry *e = &tlb->walk[i];
		if (walk_holds(e, va, ttbr, asid) && (!best || e->step.level > best->step.level))
			best = e;
		if (best && best->step.level == DEEPEST)
			break;
	}
	return best;
}

const struct mmu_walk_step *tlb_walk_find(struct tlb *tlb, vaddr_t va, unsigned int ttbr,
					  uint16_t asid)
{
	struct tlb_walk_entry *best = walk_hint(tlb, va, ttbr, asid);

	if (!best)
		best = walk_scan(tlb, va, ttbr, asid);
	tlb->walk_hit = best;
	if (!best)
		return NULL;
	best->stamp = ++tlb->clock;
	return &best->step;
}

bool tlb_walk_lookup(struct tlb *tlb, vaddr_t va, unsigned int ttbr, uint16_t asid,
		     struct mmu_walk_step *out)
{
	const struct mmu_walk_step *step = tlb_walk_find(tlb, va, ttbr, asid);

	if (step)
		*out = *step;
	return step != NULL;
}

/* Whether valid walk-cache entry @e caches the table that @key does (one replaces the other). */
static bool walk_same(const struct tlb_walk_entry *e, const struct tlb_walk_entry *key)
{
	return e->stamp && e->ttbr == key->ttbr && e->asid == key->asid && e->shift == key->shift &&
	       e->va == key->va && e->step.level == key->step.level;
}

/*
 * The walk-cache slot for @key: the same table's entry, else a free one, else the LRU one. A
 * table has one entry at most, so when the last lookup's is the same, that is the one.
 */
static struct tlb_walk_entry *pick_walk_slot(struct tlb *tlb, const struct tlb_walk_entry *key)
{
	struct tlb_walk_entry *victim = NULL;

	if (tlb->walk_hit && walk_same(tlb->walk_hit, key))
		return tlb->walk_hit;
	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++) {
		struct tlb_walk_entry *e = &tlb->walk[i];
		if (walk_same(e, key))
			return e;
		if (!victim || (victim->stamp && e->stamp < victim->stamp))
			victim = e;
	}
	return victim;
}

/* Whether @a and @b are the same table reached the same way. */
static bool step_equal(const struct mmu_walk_step *a, const struct mmu_walk_step *b)
{
	return a->level == b->level && a->table == b->table && a->acc.uxn == b->acc.uxn &&
	       a->acc.pxn == b->acc.pxn && a->acc.no_el0 == b->acc.no_el0 &&
	       a->acc.rdonly == b->acc.rdonly && path_equal(&a->path, &b->path);
}

/* Make @e, the slot picked for @key, hold @step. */
static void walk_fill(struct tlb *tlb, struct tlb_walk_entry *e, const struct tlb_walk_entry *key,
		      const struct mmu_walk_step *step)
{
	ref_replace(tlb, &step->path, e->stamp ? &e->step.path : NULL);
	if (e->stamp)
		count_walk(tlb, e, -1);
	e->va = key->va;
	e->shift = key->shift;
	e->ttbr = key->ttbr;
	e->asid = key->asid;
	e->step = *step;
	count_walk(tlb, e, 1);
}

void tlb_walk_insert(struct tlb *tlb, const struct xlat_geometry *g, vaddr_t va, unsigned int ttbr,
		     uint16_t asid, const struct mmu_walk_step *steps, unsigned int nsteps)
{
	if (!tlb->cfg.walk_entries)
		return;
	for (unsigned int i = 0; i < nsteps; i++) {
		if (steps[i].level <= g->start_level)
			continue;
		/* The table at level L was selected by the descriptor at L - 1, i.e. by
		 * VA[55:shift(L - 1)]. */
		unsigned int shift = g->level_shift[steps[i].level - 1];
		const struct tlb_walk_entry key = {
			.va = va & GENMASK(TAG_TOP, shift),
			.shift = shift,
			.ttbr = ttbr,
			.asid = asid,
			.step.level = steps[i].level,
		};
		struct tlb_walk_entry *e = pick_walk_slot(tlb, &key);
		bool same = walk_same(e, &key);
		tlb->stats.evictions += e->stamp && !same;
		if (!same || !step_equal(&e->step, &steps[i]))
			walk_fill(tlb, e, &key, &steps[i]);
		e->stamp = ++tlb->clock;
	}
}

/* Drop the walk-cache entries for @va (any VA when @any_va) of @asid (any when @all_asids). */
static unsigned int inv_walk(struct tlb *tlb, vaddr_t va, bool any_va, uint16_t asid,
			     bool all_asids)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++) {
		struct tlb_walk_entry *e = &tlb->walk[i];
		if (e->stamp && (all_asids || e->asid == asid) &&
		    (any_va || va_match(e->va, va, e->shift))) {
			ref_path(tlb, &e->step.path, -1);
			count_walk(tlb, e, -1);
			e->stamp = 0;
			n++;
		}
	}
	return n;
}

void tlb_inv_all(struct tlb *tlb)
{
	unsigned int n = inv_walk(tlb, 0, true, 0, true);

	last_clear(tlb);
	for (unsigned int i = 0; i < tlb->cfg.entries; i++) {
		struct tlb_entry *e = &tlb->entries[i];
		if (e->stamp) {
			ref_path(tlb, &e->tr.path, -1);
			e->stamp = 0;
			n++;
		}
	}
	tlb->size_mask = 0;
	memset(tlb->size_count, 0, sizeof(tlb->size_count));
	tlb->stats.invalidated += n;
}

typedef bool entry_fn(struct tlb *tlb, struct tlb_entry *e, void *ctx);

/*
 * @fn on each leaf entry a TLBI by ASID (@by_va false: the non-global entries of @asid) or by VA
 * (entries containing @va, global or of @asid unless @all_asids) selects, until it returns true.
 */
static void for_each_selected(struct tlb *tlb, bool by_va, vaddr_t va, uint16_t asid,
			      bool all_asids, entry_fn *fn, void *ctx)
{
	for (unsigned int i = 0; !by_va && i < tlb->cfg.entries; i++) {
		struct tlb_entry *e = &tlb->entries[i];
		if (e->stamp && !e->tr.global && e->tr.asid == asid && fn(tlb, e, ctx))
			return;
	}
	/* By VA, only the set of each size present can hold an entry containing @va. */
	for (uint64_t m = by_va ? tlb->size_mask : 0; m; m &= m - 1) {
		unsigned int shift = size_shift(m);
		struct tlb_entry *set = set_of(tlb, va, shift);
		for (unsigned int w = 0; w < tlb->cfg.ways; w++) {
			struct tlb_entry *e = &set[w];
			if (entry_holds(e, va, shift) && (all_asids || asid_match(&e->tr, asid)) &&
			    fn(tlb, e, ctx))
				return;
		}
	}
}

/* entry_fn: invalidate @e, counting it in *(unsigned int *)@ctx. */
static bool drop_entry(struct tlb *tlb, struct tlb_entry *e, void *ctx)
{
	last_clear(tlb);
	ref_path(tlb, &e->tr.path, -1);
	e->stamp = 0;
	count_size(tlb, e->tr.size, -1);
	(*(unsigned int *)ctx)++;
	return false;
}

void tlb_inv_asid(struct tlb *tlb, uint16_t asid)
{
	unsigned int dropped = 0;

	for_each_selected(tlb, false, 0, asid, false, drop_entry, &dropped);
	tlb->stats.invalidated += dropped + inv_walk(tlb, 0, true, asid, false);
}

void tlb_inv_va(struct tlb *tlb, vaddr_t va, uint16_t asid, bool all_asids, bool last_level)
{
	unsigned int dropped = 0;

	for_each_selected(tlb, true, va, asid, all_asids, drop_entry, &dropped);
	/* The last-level forms may leave cached tables (ARM ARM D8.13, "TLBI ... L" forms). */
	if (!last_level)
		dropped += inv_walk(tlb, va, false, asid, all_asids);
	tlb->stats.invalidated += dropped;
}

struct visit {
	tlb_visit_fn *fn;
	void *ctx;
};

/* entry_fn: the caller's tlb_visit_fn on @e's translation. */
static bool visit_entry(struct tlb *tlb, struct tlb_entry *e, void *ctx)
{
	const struct visit *v = ctx;

	(void)tlb;
	return v->fn(v->ctx, &e->tr);
}

void tlb_visit(struct tlb *tlb, bool by_va, vaddr_t va, uint16_t asid, bool all_asids,
	       tlb_visit_fn *fn, void *ctx)
{
	struct visit v = { fn, ctx };

	for_each_selected(tlb, by_va, va, asid, all_asids, visit_entry, &v);
}

void tlb_set_refs(struct tlb *tlb, struct tlb_refs *r)
{
	tlb->refs = r;
	for (unsigned int i = 0; i < tlb->cfg.entries; i++)
		if (tlb->entries[i].stamp)
			ref_path(tlb, &tlb->entries[i].tr.path, 1);
	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++)
		if (tlb->walk[i].stamp)
			ref_path(tlb, &tlb->walk[i].step.path, 1);
}

unsigned int tlb_count(const struct tlb *tlb)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tlb->cfg.entries; i++)
		n += tlb->entries[i].stamp != 0;
	return n;
}

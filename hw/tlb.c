// SPDX-License-Identifier: MIT
/*
 * The emulated TLB; the contract is in tlb.h.
 *
 * Leaf entries live in sets of @ways entries. An entry of 2^k bytes goes to set
 * (VA[55:k]) % sets, so a lookup probes one set per size present (size_mask). Tags compare
 * VA[55:k]: bits [63:56] are the tag byte when TBI is on, and a TLBI operand carries VA[55:12]
 * only (ARM ARM D8.13 "Translation Lookaside Buffers", C5.5 "TLBI"); bit 55 tells the halves
 * apart. The walk cache is one fully associative array of intermediate tables. Both replace the
 * least recently used entry: every use stamps an entry with the next value of the clock.
 */
#include "tlb.h"

#include <kmm/errno.h>

#include <stdlib.h>

/* The highest VA bit a tag holds. */
#define TAG_TOP 55

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
	uint64_t index = ((va & GENMASK(TAG_TOP, 0)) >> shift) % tlb->sets;

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

int tlb_init(struct tlb *tlb, const struct tlb_config *cfg)
{
	if (cfg->entries && (!cfg->ways || cfg->entries % cfg->ways))
		return -EINVAL;
	*tlb = (struct tlb){ .cfg = *cfg, .sets = cfg->entries ? cfg->entries / cfg->ways : 0 };
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

/* Recompute size_mask from the valid entries, after some were dropped or replaced. */
static void refresh_sizes(struct tlb *tlb)
{
	tlb->size_mask = 0;
	for (unsigned int i = 0; i < tlb->cfg.entries; i++)
		if (tlb->entries[i].stamp)
			tlb->size_mask |= tlb->entries[i].tr.size;
}

const struct mmu_tr *tlb_lookup(struct tlb *tlb, vaddr_t va, uint16_t asid)
{
	for (uint64_t m = tlb->size_mask; m; m &= m - 1) {
		unsigned int shift = size_shift(m);
		struct tlb_entry *set = set_of(tlb, va, shift);
		for (unsigned int w = 0; w < tlb->cfg.ways; w++) {
			if (entry_holds(&set[w], va, shift) && asid_match(&set[w].tr, asid)) {
				set[w].stamp = ++tlb->clock;
				tlb->stats.hits++;
				return &set[w].tr;
			}
		}
	}
	tlb->stats.misses++;
	return NULL;
}

/* Whether @a and @b translate the same input for the same ASIDs (one replaces the other). */
static bool same_tag(const struct mmu_tr *a, const struct mmu_tr *b)
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
	struct tlb_entry *e = pick_way(tlb, set_of(tlb, tr->va, size_shift(tr->size)), tr);
	bool evicted = e->stamp && !same_tag(&e->tr, tr);
	uint64_t old_size = e->tr.size;

	tlb->stats.evictions += evicted;
	e->tr = *tr;
	e->stamp = ++tlb->clock;
	tlb->size_mask |= tr->size;
	if (evicted && old_size != tr->size)
		refresh_sizes(tlb);
}

void tlb_drop(struct tlb *tlb, const struct mmu_tr *tr)
{
	size_t i = (size_t)(container_of(tr, struct tlb_entry, tr) - tlb->entries);

	tlb->entries[i].stamp = 0;
	refresh_sizes(tlb);
}

/* Whether walk-cache entry @e holds a table that translates @va in half @ttbr for @asid. */
static bool walk_holds(const struct tlb_walk_entry *e, vaddr_t va, unsigned int ttbr, uint16_t asid)
{
	return e->stamp && e->ttbr == ttbr && e->asid == asid && va_match(e->va, va, e->shift);
}

bool tlb_walk_lookup(struct tlb *tlb, vaddr_t va, unsigned int ttbr, uint16_t asid,
		     struct mmu_walk_step *out)
{
	struct tlb_walk_entry *best = NULL;

	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++) {
		struct tlb_walk_entry *e = &tlb->walk[i];
		if (walk_holds(e, va, ttbr, asid) && (!best || e->step.level > best->step.level))
			best = e;
	}
	if (!best)
		return false;
	best->stamp = ++tlb->clock;
	*out = best->step;
	return true;
}

/* Whether valid walk-cache entry @e caches the table that @key does (one replaces the other). */
static bool walk_same(const struct tlb_walk_entry *e, const struct tlb_walk_entry *key)
{
	return e->stamp && e->ttbr == key->ttbr && e->asid == key->asid && e->shift == key->shift &&
	       e->va == key->va && e->step.level == key->step.level;
}

/* The walk-cache slot for @key: the same table's entry, else a free one, else the LRU one. */
static struct tlb_walk_entry *pick_walk_slot(struct tlb *tlb, const struct tlb_walk_entry *key)
{
	struct tlb_walk_entry *victim = NULL;

	for (unsigned int i = 0; i < tlb->cfg.walk_entries; i++) {
		struct tlb_walk_entry *e = &tlb->walk[i];
		if (walk_same(e, key))
			return e;
		if (!victim || (victim->stamp && e->stamp < victim->stamp))
			victim = e;
	}
	return victim;
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
		struct tlb_walk_entry key = {
			.va = va & GENMASK(TAG_TOP, shift),
			.shift = shift,
			.step = steps[i],
			.ttbr = ttbr,
			.asid = asid,
		};
		struct tlb_walk_entry *e = pick_walk_slot(tlb, &key);
		tlb->stats.evictions += e->stamp && !walk_same(e, &key);
		*e = key;
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
			e->stamp = 0;
			n++;
		}
	}
	return n;
}

void tlb_inv_all(struct tlb *tlb)
{
	unsigned int n = inv_walk(tlb, 0, true, 0, true);

	for (unsigned int i = 0; i < tlb->cfg.entries; i++) {
		n += tlb->entries[i].stamp != 0;
		tlb->entries[i].stamp = 0;
	}
	tlb->size_mask = 0;
	tlb->stats.invalidated += n;
}

void tlb_inv_asid(struct tlb *tlb, uint16_t asid)
{
	unsigned int dropped = 0;

	for (unsigned int i = 0; i < tlb->cfg.entries; i++) {
		struct tlb_entry *e = &tlb->entries[i];
		if (e->stamp && !e->tr.global && e->tr.asid == asid) {
			e->stamp = 0;
			dropped++;
		}
	}
	if (dropped)
		refresh_sizes(tlb);
	tlb->stats.invalidated += dropped + inv_walk(tlb, 0, true, asid, false);
}

void tlb_inv_va(struct tlb *tlb, vaddr_t va, uint16_t asid, bool all_asids, bool last_level)
{
	unsigned int dropped = 0;

	/* Only the set of each size present can hold an entry containing @va. */
	for (uint64_t m = tlb->size_mask; m; m &= m - 1) {
		unsigned int shift = size_shift(m);
		struct tlb_entry *set = set_of(tlb, va, shift);
		for (unsigned int w = 0; w < tlb->cfg.ways; w++) {
			struct tlb_entry *e = &set[w];
			if (entry_holds(e, va, shift) && (all_asids || asid_match(&e->tr, asid))) {
				e->stamp = 0;
				dropped++;
			}
		}
	}
	if (dropped)
		refresh_sizes(tlb);
	/* The last-level forms may leave cached tables (ARM ARM D8.13, "TLBI ... L" forms). */
	if (!last_level)
		dropped += inv_walk(tlb, va, false, asid, all_asids);
	tlb->stats.invalidated += dropped;
}

unsigned int tlb_count(const struct tlb *tlb)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < tlb->cfg.entries; i++)
		n += tlb->entries[i].stamp != 0;
	return n;
}

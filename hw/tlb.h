/* SPDX-License-Identifier: MIT */
/*
 * An emulated TLB: one per simulated CPU. Set-associative with a configurable number of entries
 * and ways, tagged by ASID (entries from nG=0 descriptors are global and match every ASID), plus a
 * small walk cache of intermediate tables. Like a real TLB it keeps what it cached until told to
 * drop it: after a change to the tables, a stale entry goes on translating until the right TLBI.
 *
 * The TLBI operations here act on this TLB only; cpu.c decodes the instructions' operands and
 * broadcasts the Inner Shareable forms to every CPU.
 */
#ifndef HW_TLB_H
#define HW_TLB_H

#include "mmu.h"

struct tlb;

struct tlb_config {
	unsigned int entries;	   /* leaf entries; a multiple of @ways; 0 disables the TLB */
	unsigned int ways;	   /* associativity; == entries for fully associative */
	unsigned int walk_entries; /* walk-cache entries (fully associative); 0 disables it */
};

#define TLB_CONFIG_DEFAULT ((struct tlb_config){ .entries = 1024, .ways = 4, .walk_entries = 32 })

struct tlb_stats {
	uint64_t hits, misses;	  /* lookups of leaf entries */
	uint64_t walks;		  /* table walks started (one per miss that was walked) */
	uint64_t walk_cache_hits; /* walks that resumed from a cached table */
	uint64_t reads;		  /* descriptors read by walks */
	uint64_t evictions;	  /* valid entries replaced (leaf and walk cache) */
	uint64_t invalidated;	  /* entries dropped by TLBIs (leaf and walk cache) */
};

/* The fields a probe compares come first: one cache line holds them. */
struct tlb_entry {
	uint64_t stamp; /* last use, for LRU replacement; 0 = invalid */
	struct mmu_tr tr;
};

struct tlb_walk_entry {
	uint64_t stamp;	    /* 0 = invalid */
	vaddr_t va;	    /* VA bits [55:shift]: those that selected the table */
	unsigned int shift; /* the shift of the level above the table's */
	unsigned int ttbr;
	uint16_t asid;
	struct mmu_walk_step step;
};

/*
 * How many cached entries (leaf and walk cache) of a machine's TLBs were read through each
 * descriptor: a hash map from the descriptor's physical address, shared by the TLBs of one
 * machine, kept up to date as they fill, evict and invalidate (each entry counts every
 * descriptor of its struct mmu_path). The rule checker (hw/checker.h) reads it. Its size is fixed
 * when it is made, for the TLBs it will serve (tlb_refs_needed), so it never fills up.
 */
struct tlb_ref {
	paddr_t pa;
	uint32_t count;	  /* entries cached through the descriptor at @pa; 0: a free slot */
	uint64_t cleared; /* the checker's: the valid descriptor last cleared at @pa meanwhile */
};

struct tlb_refs {
	struct tlb_ref *slots;
	unsigned int bits; /* 2^bits slots */
};

/* The most descriptors the entries of a TLB of @cfg can be read through. */
size_t tlb_refs_needed(const struct tlb_config *cfg);
/* A map for @keys descriptors (at most half full): 0 or -ENOMEM. */
int tlb_refs_init(struct tlb_refs *r, size_t keys);
void tlb_refs_destroy(struct tlb_refs *r);
/* Forget every count (before tlb_set_refs gives each TLB's again). */
void tlb_refs_clear(struct tlb_refs *r);
/* The counter of the descriptor at @pa, or NULL when no entry was read through it. */
struct tlb_ref *tlb_refs_find(const struct tlb_refs *r, paddr_t pa);
/* Count the entries of @tlb in @r from now on (NULL: stop), starting with those it holds. */
void tlb_set_refs(struct tlb *tlb, struct tlb_refs *r);

struct tlb {
	struct tlb_config cfg;
	unsigned int sets;
	uint64_t set_mask;	     /* sets - 1 when sets is a power of two (else 0: a division) */
	struct tlb_entry *entries;   /* sets * ways */
	struct tlb_walk_entry *walk; /* walk_entries */
	uint64_t size_mask;	     /* bit k set: some entry maps 2^k bytes (lookup probes each) */
	unsigned int size_count[64]; /* valid leaf entries of 2^k bytes */
	struct tlb_walk_entry *walk_hit; /* the entry the last walk-cache lookup found, or NULL */
	unsigned int deepest;		 /* valid walk-cache entries of level-3 tables */
	unsigned int deepest_shift[64];	 /* the same, by their shift */
	uint64_t clock;
	/*
	 * The micro-TLB: the entry the last lookup hit (NULL: none), which every lookup of a VA
	 * agreeing with @last_va on the bits of @last_mask (VA[55:k], 2^k the smallest entry size
	 * then present) under @last_asid finds again. Any change to the leaf entries clears it
	 * and counts in @gen (from 1), so that caches of hits outside (struct hw_cpu's) can tell.
	 */
	struct tlb_entry *last;
	vaddr_t last_va;
	uint64_t last_mask;
	uint16_t last_asid;
	uint64_t gen;
	struct tlb_stats stats;
	struct tlb_refs *refs; /* counted in, when not NULL */
};

/* 0, -EINVAL for a bad geometry (ways not dividing entries), -ENOMEM. */
int tlb_init(struct tlb *tlb, const struct tlb_config *cfg);
void tlb_destroy(struct tlb *tlb);

/* The entry translating @va for @asid (a global entry matches any ASID), or NULL. Counts. */
const struct mmu_tr *tlb_lookup(struct tlb *tlb, vaddr_t va, uint16_t asid);
/* Cache @tr, replacing the least recently used entry of its set. */
void tlb_insert(struct tlb *tlb, const struct mmu_tr *tr);
/* Drop the entry @tr that tlb_lookup returned (not a TLBI: not counted as invalidated). */
void tlb_drop(struct tlb *tlb, const struct mmu_tr *tr);

/* The deepest cached table for @va in half @ttbr under @asid; false if none. */
bool tlb_walk_lookup(struct tlb *tlb, vaddr_t va, unsigned int ttbr, uint16_t asid,
		     struct mmu_walk_step *out);
/* The same, in place: the cached table, valid until the walk cache changes; NULL if none. */
const struct mmu_walk_step *tlb_walk_find(struct tlb *tlb, vaddr_t va, unsigned int ttbr,
					  uint16_t asid);
/*
 * Cache the tables a walk of @va under geometry @g visited (@steps outermost first; a table at
 * @g's start level is skipped, the TTBR gives it).
 */
void tlb_walk_insert(struct tlb *tlb, const struct xlat_geometry *g, vaddr_t va, unsigned int ttbr,
		     uint16_t asid, const struct mmu_walk_step *steps, unsigned int nsteps);

/*
 * Invalidation, as the TLBI instructions define it (ARM ARM D8.13 / C5.5.x "TLBI"):
 *   tlb_inv_all:  VMALLE1 — every entry, leaf and walk cache.
 *   tlb_inv_asid: ASIDE1 — non-global entries of @asid, and walk-cache entries of @asid.
 *   tlb_inv_va:   VAE1 (@all_asids false, @last_level false): entries translating @va that are
 *                 global or of @asid, and walk-cache entries for @va of @asid;
 *                 VALE1 (@last_level): the same leaf entries, but the walk cache is kept;
 *                 VAAE1 / VAALE1 (@all_asids): as VAE1 / VALE1 for every ASID.
 * @va is compared on bits [55:12] as the instructions carry it; entries larger than a page are
 * dropped when they contain @va.
 */
void tlb_inv_all(struct tlb *tlb);
void tlb_inv_asid(struct tlb *tlb, uint16_t asid);
void tlb_inv_va(struct tlb *tlb, vaddr_t va, uint16_t asid, bool all_asids, bool last_level);

/*
 * The leaf entries tlb_inv_asid (@by_va false) or tlb_inv_va (@by_va) would drop, without
 * dropping them: @fn(@ctx, entry) for each, in no particular order, until it returns true.
 */
typedef bool tlb_visit_fn(void *ctx, const struct mmu_tr *tr);
void tlb_visit(struct tlb *tlb, bool by_va, vaddr_t va, uint16_t asid, bool all_asids,
	       tlb_visit_fn *fn, void *ctx);

/* Number of valid leaf entries (for tests and views). */
unsigned int tlb_count(const struct tlb *tlb);

#endif /* HW_TLB_H */

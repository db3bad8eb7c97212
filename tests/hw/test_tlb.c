// SPDX-License-Identifier: MIT
/*
 * The emulated TLB on its own: tag matching (ASIDs, global entries, VA[55:k] only), sizes side by
 * side, set-associative LRU (against a move-to-front model), the reach of each invalidation, and
 * the walk cache. The CPU-level behaviour (walks, TLBI decoding, broadcast) is in test_cpu.c.
 */
#include <hw/tlb.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

#define K4 0x1000ULL
#define K16 0x4000ULL
#define K64 0x10000ULL
#define M2 0x200000ULL
#define M32 0x2000000ULL
#define M512 0x20000000ULL
#define G1 0x40000000ULL

/* A leaf translation of @size bytes at @va (aligned down), as a walk would produce it. */
static struct mmu_tr leaf(vaddr_t va, uint64_t size, uint16_t asid, bool global, paddr_t pa)
{
	return (struct mmu_tr){
		.va = va & ~(size - 1),
		.pa = pa,
		.size = size,
		.level = size == G1   ? 1
			 : size >= M2 ? 2
				      : 3,
		.ttbr = (va >> 55) & 1,
		.asid = asid,
		.global = global,
	};
}

/* The PA @tlb gives @va under @asid, or ~0 on a miss. */
static paddr_t pa_of(struct tlb *tlb, vaddr_t va, uint16_t asid)
{
	const struct mmu_tr *tr = tlb_lookup(tlb, va, asid);

	return tr ? tr->pa : ~0ULL;
}

static void put(struct tlb *tlb, vaddr_t va, uint64_t size, uint16_t asid, bool global, paddr_t pa)
{
	struct mmu_tr tr = leaf(va, size, asid, global, pa);

	tlb_insert(tlb, &tr);
}

KTEST(tlb, init_rejects_bad_geometry)
{
	struct tlb t;

	KT_EXPECT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 6, 4, 0 }), -EINVAL);
	KT_EXPECT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 4, 0, 0 }), -EINVAL);
	KT_ASSERT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 8, 8, 2 }), 0);
	KT_EXPECT_EQ(kt, t.sets, 1u);
	tlb_destroy(&t);
	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	KT_EXPECT_EQ(kt, t.sets, 256u);
	tlb_destroy(&t);
}

/* entries == 0: every lookup misses, inserts are dropped, invalidations are harmless. */
KTEST(tlb, disabled)
{
	struct tlb t;
	struct mmu_walk_step step;

	KT_ASSERT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 0, 0, 0 }), 0);
	put(&t, 0x5000, K4, 1, true, 0x9000);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x5000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, tlb_count(&t), 0u);
	KT_EXPECT_EQ(kt, t.stats.misses, 1u);
	KT_EXPECT_EQ(kt, t.stats.hits, 0u);
	KT_EXPECT_FALSE(kt, tlb_walk_lookup(&t, 0x5000, 0, 1, &step));
	tlb_inv_va(&t, 0x5000, 1, false, false);
	tlb_inv_asid(&t, 1);
	tlb_inv_all(&t);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 0u);
	tlb_destroy(&t);
}

/* A tag is VA[55:12] of a page: the offset and the top byte do not count, bit 55 does. */
KTEST(tlb, match_rules)
{
	struct tlb t;

	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	put(&t, 0x12345000, K4, 5, false, 0xabc000);
	put(&t, 0x7000, K4, 9, true, 0xdef000);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12345fff, 5), 0xabc000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x5aULL << 56 | 0x12345008, 5), 0xabc000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12345000, 6), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12346000, 5), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12344fff, 5), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, BIT(55) | 0x12345000, 5), ~0ULL);
	/* A global entry matches every ASID. */
	KT_EXPECT_EQ(kt, pa_of(&t, 0x7000, 0), 0xdef000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x7abc, 0xffff), 0xdef000ULL);
	KT_EXPECT_EQ(kt, t.stats.hits, 4u);
	KT_EXPECT_EQ(kt, t.stats.misses, 4u);
	KT_EXPECT_EQ(kt, tlb_count(&t), 2u);
	/* Re-inserting the same tag replaces the entry, it does not add one. */
	put(&t, 0x12345000, K4, 5, false, 0x111000);
	KT_EXPECT_EQ(kt, tlb_count(&t), 2u);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12345000, 5), 0x111000ULL);
	KT_EXPECT_EQ(kt, t.stats.evictions, 0u);
	tlb_destroy(&t);
}

/* Every page and block size in one TLB; each lookup finds the one entry containing the VA. */
KTEST(tlb, sizes_coexist)
{
	static const uint64_t sizes[] = { K4, K16, K64, M2, M32, M512, G1 };
	struct tlb t;
	uint64_t mask = 0;

	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		vaddr_t base = (i + 1) * (4 * G1);
		put(&t, base, sizes[i], 1, false, 0x100000000ULL * (i + 1));
		mask |= sizes[i];
	}
	KT_EXPECT_EQ(kt, t.size_mask, mask);
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		vaddr_t base = (i + 1) * (4 * G1);
		const struct mmu_tr *tr = tlb_lookup(&t, base + sizes[i] - 8, 1);
		KT_ASSERT_NOT_NULL(kt, tr);
		KT_EXPECT_EQ(kt, tr->size, sizes[i]);
		KT_EXPECT_EQ(kt, tr->pa, 0x100000000ULL * (i + 1));
		KT_EXPECT_NULL(kt, tlb_lookup(&t, base + sizes[i], 1));
	}
	/* Dropping the only 1 GiB entry takes its size out of the probe mask. */
	tlb_inv_va(&t, 7 * (4 * G1) + 0x12345000, 1, false, true);
	KT_EXPECT_EQ(kt, t.size_mask, mask & ~G1);
	tlb_destroy(&t);
}

/* 4 entries, 2 ways: 2 sets, a page's set is its page number mod 2. */
KTEST(tlb, lru_in_a_set)
{
	struct tlb t;

	KT_ASSERT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 4, 2, 0 }), 0);
	put(&t, 0 * K4, K4, 1, false, 0x10000);
	put(&t, 1 * K4, K4, 1, false, 0x11000);
	put(&t, 2 * K4, K4, 1, false, 0x12000);
	KT_EXPECT_EQ(kt, pa_of(&t, 0, 1), 0x10000ULL); /* page 2 is now set 0's LRU */
	put(&t, 4 * K4, K4, 1, false, 0x14000);
	KT_EXPECT_EQ(kt, t.stats.evictions, 1u);
	KT_EXPECT_EQ(kt, pa_of(&t, 2 * K4, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 4 * K4, 1), 0x14000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0, 1), 0x10000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 1 * K4, 1), 0x11000ULL); /* set 1 untouched */
	KT_EXPECT_EQ(kt, tlb_count(&t), 3u);
	/* A free way (after an invalidation) is used before any valid entry is evicted. */
	tlb_inv_va(&t, 4 * K4, 1, false, false);
	put(&t, 6 * K4, K4, 1, false, 0x16000);
	KT_EXPECT_EQ(kt, t.stats.evictions, 1u);
	KT_EXPECT_EQ(kt, pa_of(&t, 0, 1), 0x10000ULL);
	tlb_destroy(&t);
}

/* A reference TLB: per set, the valid entries most recently used first. */
#define MODEL_SETS 4
#define MODEL_WAYS 2
struct model_entry {
	uint64_t page;
	uint16_t asid;
	bool global;
	paddr_t pa;
};
struct model {
	struct model_entry set[MODEL_SETS][MODEL_WAYS];
	unsigned int n[MODEL_SETS];
};

static bool model_match(const struct model_entry *e, uint64_t page, uint16_t asid)
{
	return e->page == page && (e->global || e->asid == asid);
}

/* Move entry @i of set @s to the front (most recently used). */
static void model_touch(struct model *m, unsigned int s, unsigned int i)
{
	struct model_entry e = m->set[s][i];

	for (; i > 0; i--)
		m->set[s][i] = m->set[s][i - 1];
	m->set[s][0] = e;
}

static paddr_t model_lookup(struct model *m, uint64_t page, uint16_t asid)
{
	unsigned int s = page % MODEL_SETS;

	for (unsigned int i = 0; i < m->n[s]; i++) {
		if (model_match(&m->set[s][i], page, asid)) {
			model_touch(m, s, i);
			return m->set[s][0].pa;
		}
	}
	return ~0ULL;
}

static void model_insert(struct model *m, const struct model_entry *e)
{
	unsigned int s = e->page % MODEL_SETS, i = 0;

	while (i < m->n[s] && !(m->set[s][i].page == e->page && m->set[s][i].asid == e->asid))
		i++;
	if (i == m->n[s] && m->n[s] < MODEL_WAYS)
		m->n[s]++;
	if (i == MODEL_WAYS)
		i--; /* the LRU entry goes */
	m->set[s][i] = *e;
	model_touch(m, s, i);
}

/* Drop what a TLBI by VA (@by_page: @page for @asid) or by ASID (@asid) drops. */
static void model_filter(struct model *m, uint64_t page, uint16_t asid, bool by_page)
{
	for (unsigned int s = 0; s < MODEL_SETS; s++) {
		unsigned int k = 0;
		for (unsigned int i = 0; i < m->n[s]; i++) {
			const struct model_entry *e = &m->set[s][i];
			bool drop =
			    by_page ? model_match(e, page, asid) : !e->global && e->asid == asid;
			if (!drop)
				m->set[s][k++] = *e;
		}
		m->n[s] = k;
	}
}

/* Random inserts, lookups and invalidations agree with the move-to-front model. */
KTEST(tlb, lru_matches_model)
{
	struct tlb t;
	struct model m = { 0 };
	uint64_t rng = kt->seed;

	KT_ASSERT_EQ(
	    kt, tlb_init(&t, &(struct tlb_config){ MODEL_SETS * MODEL_WAYS, MODEL_WAYS, 0 }), 0);
	for (unsigned int step = 0; step < 20000; step++) {
		uint64_t page = ktest_rand_below(&rng, 16);
		uint16_t asid = (uint16_t)(1 + ktest_rand_below(&rng, 3));
		/* Pages 12..15 are global: one tag each, whatever the ASID. */
		struct model_entry e = { page, asid, page >= 12, (page << 20) | step };
		switch (ktest_rand_below(&rng, 8)) {
		case 0:
		case 1:
		case 2:
			/* A miss is filled, as a CPU does after its walk. */
			if (pa_of(&t, page * K4, asid) == ~0ULL) {
				KT_EXPECT_EQ(kt, model_lookup(&m, page, asid), ~0ULL);
				e.asid = e.global ? 0 : asid;
				put(&t, page * K4, K4, e.asid, e.global, e.pa);
				model_insert(&m, &e);
			} else {
				KT_EXPECT_NE(kt, model_lookup(&m, page, asid), ~0ULL);
			}
			break;
		case 3:
			tlb_inv_va(&t, page * K4, asid, false, ktest_rand_below(&rng, 2));
			model_filter(&m, page, asid, true);
			break;
		case 4:
			tlb_inv_asid(&t, asid);
			model_filter(&m, page, asid, false);
			break;
		default: {
			paddr_t want = model_lookup(&m, page, asid);
			if (!KT_EXPECT_EQ(kt, pa_of(&t, page * K4 + 8, asid), want)) {
				ktest_log(kt, "step %u page %llu asid %u", step,
					  (unsigned long long)page, asid);
				tlb_destroy(&t);
				return;
			}
		}
		}
	}
	unsigned int n = 0;
	for (unsigned int s = 0; s < MODEL_SETS; s++)
		n += m.n[s];
	KT_EXPECT_EQ(kt, tlb_count(&t), n);
	tlb_destroy(&t);
}

/*
 * By VA: only entries containing the VA that are global or of the ASID (any ASID for the
 * "all ASIDs" forms); blocks go when any VA inside them is named; the top byte is not compared.
 */
KTEST(tlb, inv_va_reach)
{
	struct tlb t;

	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	put(&t, 0x10000, K4, 1, false, 0xa000);
	put(&t, 0x10000, K4, 2, false, 0xb000);
	put(&t, 0x11000, K4, 1, false, 0xc000);
	put(&t, 0x20000, K4, 7, true, 0xd000);
	tlb_inv_va(&t, 0x10000, 1, false, false);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 1u);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 2), 0xb000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x11000, 1), 0xc000ULL);
	/* A global entry is dropped whatever ASID the TLBI names. */
	tlb_inv_va(&t, 0x20000, 3, false, true);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x20000, 7), ~0ULL);
	/* All ASIDs. */
	put(&t, 0x10000, K4, 1, false, 0xa000);
	tlb_inv_va(&t, 0x10abc, 0, true, false);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 2), ~0ULL);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 4u);
	/* Blocks of every size, named by a VA deep inside. */
	static const uint64_t blocks[] = { M2, M32, M512, G1, K16, K64 };
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
		vaddr_t base = 0x8000000000ULL + i * G1;
		put(&t, base, blocks[i], 4, false, 0x80000000ULL);
		tlb_inv_va(&t, base + blocks[i] - K4, 5, false, false);
		KT_EXPECT_EQ(kt, pa_of(&t, base, 4), 0x80000000ULL);
		tlb_inv_va(&t, base + blocks[i] + K4, 4, false, false);
		KT_EXPECT_EQ(kt, pa_of(&t, base, 4), 0x80000000ULL);
		tlb_inv_va(&t, base + blocks[i] / 2 + 0x123, 4, false, true);
		KT_EXPECT_EQ(kt, pa_of(&t, base, 4), ~0ULL);
	}
	/* The top byte is not compared, in either half: an entry made from a tagged VA goes for a
	 * TLBI of the untagged one. */
	put(&t, 0x3400000012345000ULL, K4, 1, false, 0xe000);
	put(&t, 0xffff800000001000ULL, K4, 1, true, 0xf000);
	tlb_inv_va(&t, 0x12345000, 1, false, false);
	tlb_inv_va(&t, 0x00ff800000001000ULL, 1, false, false);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x12345000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0xffff800000001000ULL, 1), ~0ULL);
	KT_EXPECT_EQ(kt, tlb_count(&t), 1u); /* 0x11000 of ASID 1 was never named */
	tlb_destroy(&t);
}

/* By ASID: the non-global entries of that ASID, nothing else. Everything: everything. */
KTEST(tlb, inv_asid_and_all)
{
	struct tlb t;

	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	put(&t, 0x10000, K4, 1, false, 0xa000);
	put(&t, 0x200000, M2, 1, false, 0xb00000);
	put(&t, 0x30000, K4, 1, true, 0xc000);
	put(&t, 0x10000, K4, 2, false, 0xd000);
	tlb_inv_asid(&t, 1);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 2u);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x200000, 1), ~0ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x30000, 1), 0xc000ULL);
	KT_EXPECT_EQ(kt, pa_of(&t, 0x10000, 2), 0xd000ULL);
	KT_EXPECT_EQ(kt, t.size_mask, K4);
	tlb_inv_all(&t);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 4u);
	KT_EXPECT_EQ(kt, tlb_count(&t), 0u);
	KT_EXPECT_EQ(kt, t.size_mask, 0u);
	tlb_destroy(&t);
}

/* The tables of one walk of @va: level L's table at 0x100000 * (L + 1) + @salt. */
static void walk_of(const struct xlat_geometry *g, struct mmu_walk_step *steps, unsigned int *n,
		    paddr_t salt)
{
	*n = 0;
	for (unsigned int l = g->start_level; l < 4; l++)
		steps[(*n)++] =
		    (struct mmu_walk_step){ .level = l, .table = 0x100000ULL * (l + 1) + salt };
}

/* The level of the deepest cached table for @va, or -1. */
static int deepest(struct tlb *t, vaddr_t va, uint16_t asid, paddr_t *table)
{
	struct mmu_walk_step s;

	if (!tlb_walk_lookup(t, va, (va >> 55) & 1, asid, &s))
		return -1;
	*table = s.table;
	return (int)s.level;
}

/*
 * A cached table serves every VA its selecting descriptor covers: 4K/48 bits, the level-3 table
 * serves a 2M region, level 2 a 1G one, level 1 512G; the start-level table is never cached.
 */
KTEST(tlb, walk_cache_deepest)
{
	struct xlat_geometry g;
	struct mmu_walk_step steps[4];
	unsigned int n;
	struct tlb t;
	paddr_t tab = 0;
	const vaddr_t v = 0x123440000000ULL + 0x5000;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	walk_of(&g, steps, &n, 0);
	tlb_walk_insert(&t, &g, v, 0, 3, steps, n);
	KT_EXPECT_EQ(kt, deepest(&t, v, 3, &tab), 3);
	KT_EXPECT_EQ(kt, tab, 0x400000ULL);
	KT_EXPECT_EQ(kt, deepest(&t, (v & ~(M2 - 1)) + M2 - 8, 3, &tab), 3);
	KT_EXPECT_EQ(kt, deepest(&t, v + M2, 3, &tab), 2);
	KT_EXPECT_EQ(kt, tab, 0x300000ULL);
	KT_EXPECT_EQ(kt, deepest(&t, v + G1, 3, &tab), 1);
	KT_EXPECT_EQ(kt, deepest(&t, v + 512 * G1, 3, &tab), -1);
	KT_EXPECT_EQ(kt, deepest(&t, v, 4, &tab), -1);
	KT_EXPECT_EQ(kt, deepest(&t, v | 0xffff000000000000ULL, 3, &tab), -1);
	/* A walk resumed from level 2 adds its level-3 table; level 2 is refreshed, not doubled. */
	walk_of(&g, steps, &n, 0x1000);
	steps[2].table = 0x300000; /* same level-2 table */
	tlb_walk_insert(&t, &g, v + M2, 0, 3, &steps[2], n - 2);
	KT_EXPECT_EQ(kt, deepest(&t, v + M2, 3, &tab), 3);
	KT_EXPECT_EQ(kt, tab, 0x401000ULL);
	KT_EXPECT_EQ(kt, deepest(&t, v, 3, &tab), 3);
	KT_EXPECT_EQ(kt, tab, 0x400000ULL);
	unsigned int valid = 0;
	for (unsigned int i = 0; i < t.cfg.walk_entries; i++)
		valid += t.walk[i].stamp != 0;
	KT_EXPECT_EQ(kt, valid, 4u);

	/* 16K, 47 bits (levels 1-3): a level-3 table covers 32M, a level-2 one 64G. */
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 16384, 47), 0);
	tlb_inv_all(&t);
	walk_of(&g, steps, &n, 0);
	tlb_walk_insert(&t, &g, v, 0, 3, steps, n);
	KT_EXPECT_EQ(kt, deepest(&t, (v & ~(M32 - 1)) + M32 - 8, 3, &tab), 3);
	KT_EXPECT_EQ(kt, deepest(&t, (v & ~(M32 - 1)) + M32, 3, &tab), 2);
	KT_EXPECT_EQ(kt, deepest(&t, (v & ~((64 * G1) - 1)) + 64 * G1, 3, &tab), -1);
	tlb_destroy(&t);
}

/* VAE1 drops the tables for its VA (of its ASID); VALE1 keeps them; ASIDE1 drops the ASID's. */
KTEST(tlb, walk_cache_invalidation)
{
	struct xlat_geometry g;
	struct mmu_walk_step steps[4];
	unsigned int n;
	struct tlb t;
	paddr_t tab = 0;
	const vaddr_t v = 0x7f0000000000ULL;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_ASSERT_EQ(kt, tlb_init(&t, &TLB_CONFIG_DEFAULT), 0);
	walk_of(&g, steps, &n, 0);
	tlb_walk_insert(&t, &g, v, 0, 1, steps, n); /* levels 1-3 for v */
	walk_of(&g, steps, &n, 0x1000);
	tlb_walk_insert(&t, &g, v + G1, 0, 1, steps + 2, 2); /* levels 2-3 for v + 1G */
	tlb_walk_insert(&t, &g, v, 0, 2, steps, n);	     /* levels 1-3 for v, ASID 2 */

	tlb_inv_va(&t, v + 0x1234, 1, false, true);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 0u);
	KT_EXPECT_EQ(kt, deepest(&t, v, 1, &tab), 3);
	tlb_inv_va(&t, v + 0x1234, 1, false, false);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 3u);
	KT_EXPECT_EQ(kt, deepest(&t, v, 1, &tab), -1);
	KT_EXPECT_EQ(kt, deepest(&t, v + G1, 1, &tab), 3);
	KT_EXPECT_EQ(kt, deepest(&t, v, 2, &tab), 3);
	/* All ASIDs, by VA: ASID 1's tables for v + 1G and ASID 2's level-1 table (it covers
	 * v + 1G too) go; ASID 2's deeper tables for v stay. */
	tlb_inv_va(&t, v + G1, 0, true, false);
	KT_EXPECT_EQ(kt, deepest(&t, v + G1, 1, &tab), -1);
	KT_EXPECT_EQ(kt, deepest(&t, v, 2, &tab), 3);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 6u);
	tlb_inv_asid(&t, 2);
	KT_EXPECT_EQ(kt, deepest(&t, v, 2, &tab), -1);
	KT_EXPECT_EQ(kt, t.stats.invalidated, 8u);
	tlb_destroy(&t);
}

/* The walk cache replaces its least recently used table. */
KTEST(tlb, walk_cache_lru)
{
	struct xlat_geometry g;
	struct tlb t;
	paddr_t tab = 0;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 39), 0); /* levels 1-3 */
	KT_ASSERT_EQ(kt, tlb_init(&t, &(struct tlb_config){ 4, 4, 2 }), 0);
	for (unsigned int i = 0; i < 3; i++) {
		struct mmu_walk_step s[2] = { { .level = 1, .table = 0x1000 },
					      { .level = 2, .table = 0x10000 * (i + 1) } };
		tlb_walk_insert(&t, &g, i * G1, 0, 1, s, 2);
		if (i == 1)
			KT_EXPECT_EQ(kt, deepest(&t, 0, 1, &tab), 2); /* region 1 becomes the LRU */
	}
	KT_EXPECT_EQ(kt, t.stats.evictions, 1u);
	KT_EXPECT_EQ(kt, deepest(&t, 0, 1, &tab), 2);
	KT_EXPECT_EQ(kt, deepest(&t, G1, 1, &tab), -1);
	KT_EXPECT_EQ(kt, deepest(&t, 2 * G1, 1, &tab), 2);
	KT_EXPECT_EQ(kt, tab, 0x30000ULL);
	/* The start-level table (level 1 here) was not cached: nothing for an unwalked region. */
	KT_EXPECT_EQ(kt, deepest(&t, 3 * G1, 1, &tab), -1);
	tlb_destroy(&t);
}

// SPDX-License-Identifier: MIT
/*
 * The ASID allocator: allocation and reuse within a generation, rollover when the space is full
 * (8 and 16 bits, and the 4-bit test width), running ASIDs kept across rollovers, the local
 * flush owed by every CPU after one, and a randomised test whose checker holds the allocator to
 * its invariants and to a model of each CPU's TLB (no CPU ever runs an ASID while its TLB may
 * still hold entries another mm cached under it).
 */
#include <kmm/asid.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>

/* Switch @cpu to the mm of *@ctx; returns the ASID and stores whether a flush is owed. */
static uint64_t sw(struct asid_allocator *a, unsigned int cpu, uint64_t *ctx, bool *flush)
{
	return asid_check_and_switch(a, cpu, ctx, flush);
}

/* The number of ASIDs marked in use, 0 included. */
static unsigned int map_weight(const struct asid_allocator *a)
{
	unsigned int n = 0;

	for (uint64_t asid = 0; asid < BIT(a->bits); asid++)
		n += asid_in_use(a, asid);
	return n;
}

KTEST(asid, init_rejects_bad_geometry)
{
	static struct asid_allocator a;

	KT_EXPECT_EQ(kt, asid_allocator_init(&a, ASID_BITS_MIN - 1, 1), -EINVAL);
	KT_EXPECT_EQ(kt, asid_allocator_init(&a, ASID_BITS_MAX + 1, 1), -EINVAL);
	KT_EXPECT_EQ(kt, asid_allocator_init(&a, 8, 0), -EINVAL);
	KT_EXPECT_EQ(kt, asid_allocator_init(&a, 8, NR_CPUS + 1), -EINVAL);
	KT_EXPECT_EQ(kt, asid_allocator_init(&a, 8, NR_CPUS), 0);
	KT_EXPECT_EQ(kt, asid_allocator_init(&a, ASID_BITS_MIN, NR_CPUS), 0);
	KT_EXPECT_EQ(kt, a.generation, BIT(ASID_BITS_MIN));
	KT_EXPECT_EQ(kt, map_weight(&a), 1u);
	KT_EXPECT_TRUE(kt, asid_in_use(&a, 0));
	KT_EXPECT_EQ(kt, a.flush_pending, 0u);
}

KTEST(asid, alloc_without_rollover)
{
	static struct asid_allocator a;
	uint64_t ctx[10] = { 0 };
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a, 8, 2), 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(ctx); i++) {
		uint64_t asid = sw(&a, i % 2, &ctx[i], &flush);

		KT_EXPECT_EQ(kt, asid, i + 1);
		KT_EXPECT_EQ(kt, ctx[i], BIT(8) | (i + 1));
		KT_EXPECT_FALSE(kt, flush);
		KT_EXPECT_EQ(kt, a.active[i % 2], ctx[i]);
	}
	KT_EXPECT_EQ(kt, a.generation, BIT(8));
	KT_EXPECT_EQ(kt, map_weight(&a), 11u);
}

KTEST(asid, same_asid_within_generation)
{
	static struct asid_allocator a;
	uint64_t ma = 0, mb = 0;
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a, 8, 2), 0);
	KT_EXPECT_EQ(kt, sw(&a, 0, &ma, &flush), 1u);
	KT_EXPECT_EQ(kt, sw(&a, 0, &mb, &flush), 2u);
	uint64_t ida = ma;
	for (int round = 0; round < 3; round++) {
		KT_EXPECT_EQ(kt, sw(&a, 0, &ma, &flush), 1u);
		KT_EXPECT_FALSE(kt, flush);
		KT_EXPECT_EQ(kt, sw(&a, 1, &ma, &flush), 1u);
		KT_EXPECT_FALSE(kt, flush);
		KT_EXPECT_EQ(kt, sw(&a, 1, &mb, &flush), 2u);
	}
	KT_EXPECT_EQ(kt, ma, ida);
	KT_EXPECT_EQ(kt, map_weight(&a), 3u);
	KT_EXPECT_EQ(kt, a.next, 2u);
}

/*
 * Fill every usable ASID of a @bits-wide allocator on CPU 0 with one mm each (@ctx, 2^bits
 * entries), then switch the last one in: it rolls over.
 */
static void exhaust_and_roll(struct ktest *kt, unsigned int bits, uint64_t *ctx)
{
	static struct asid_allocator a;
	uint64_t usable = BIT(bits) - 1;
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a, bits, 1), 0);
	for (uint64_t i = 0; i < usable; i++) {
		KT_ASSERT_EQ(kt, sw(&a, 0, &ctx[i], &flush), i + 1);
		KT_ASSERT_FALSE(kt, flush);
	}
	KT_EXPECT_EQ(kt, a.generation, BIT(bits));
	KT_EXPECT_EQ(kt, map_weight(&a), BIT(bits));
	/* The one more: a new generation, CPU 0 owes a flush, its running mm keeps ASID usable. */
	KT_EXPECT_EQ(kt, sw(&a, 0, &ctx[usable], &flush), 1u);
	KT_EXPECT_TRUE(kt, flush);
	KT_EXPECT_EQ(kt, a.generation, 2 * BIT(bits));
	KT_EXPECT_EQ(kt, ctx[usable], 2 * BIT(bits) | 1);
	KT_EXPECT_EQ(kt, a.reserved[0], BIT(bits) | usable);
	KT_EXPECT_EQ(kt, map_weight(&a), 3u); /* 0, the new mm's 1, the reserved one */
	/* The previous mm takes its reserved ASID back; another old one gets its own if free. */
	KT_EXPECT_EQ(kt, sw(&a, 0, &ctx[usable - 1], &flush), usable);
	KT_EXPECT_FALSE(kt, flush);
	KT_EXPECT_EQ(kt, ctx[usable - 1], 2 * BIT(bits) | usable);
	KT_EXPECT_EQ(kt, a.reserved[0], ctx[usable - 1]);
	KT_EXPECT_EQ(kt, sw(&a, 0, &ctx[5], &flush), 6u);
	KT_EXPECT_EQ(kt, sw(&a, 0, &ctx[0], &flush), 2u); /* 1 is taken: the next free */
	KT_EXPECT_EQ(kt, map_weight(&a), 5u);
}

KTEST(asid, rollover_8bit)
{
	static uint64_t ctx[BIT(8)];

	memset(ctx, 0, sizeof(ctx));
	exhaust_and_roll(kt, 8, ctx);
}

KTEST(asid, rollover_16bit)
{
	uint64_t *ctx = calloc(BIT(16), sizeof(*ctx));

	KT_ASSERT_NOT_NULL(kt, ctx);
	exhaust_and_roll(kt, 16, ctx);
	free(ctx);
}

KTEST(asid, rollover_4bit)
{
	uint64_t ctx[BIT(4)] = { 0 };

	exhaust_and_roll(kt, 4, ctx);
}

KTEST(asid, returned_asid_fits_ttbr)
{
	static struct asid_allocator a8, a16;
	uint64_t m8 = 0, m16 = 0;
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a8, 8, 1), 0);
	KT_ASSERT_EQ(kt, asid_allocator_init(&a16, 16, 1), 0);
	for (int i = 0; i < 1000; i++) {
		m8 = m16 = 0;
		KT_ASSERT_LT(kt, sw(&a8, 0, &m8, &flush), BIT(8));
		KT_ASSERT_LT(kt, sw(&a16, 0, &m16, &flush), BIT(16));
	}
	KT_EXPECT_EQ(kt, a8.generation, 4 * BIT(8)); /* 1000 = 255 + 2 * 254 + 237 */
	KT_EXPECT_EQ(kt, a16.generation, BIT(16));
	KT_EXPECT_EQ(kt, asid_ctx_asid(&a16, m16), 1000u);
}

KTEST(asid, active_preserved_across_rollovers)
{
	static struct asid_allocator a;
	uint64_t run[4] = { 0 }, fresh[40] = { 0 };
	uint64_t asid[4];
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a, 4, 4), 0);
	for (unsigned int cpu = 0; cpu < 4; cpu++)
		asid[cpu] = sw(&a, cpu, &run[cpu], &flush);
	/* CPU 0 churns through new mms: three rollovers while CPUs 1-3 sit in their mm. */
	for (unsigned int i = 0; i < ARRAY_SIZE(fresh); i++) {
		uint64_t got = sw(&a, 0, &fresh[i], &flush);

		for (unsigned int cpu = 1; cpu < 4; cpu++)
			KT_ASSERT_NE(kt, got, asid[cpu]);
	}
	KT_ASSERT_GE(kt, a.generation, 4 * BIT(4));
	for (unsigned int cpu = 1; cpu < 4; cpu++) {
		KT_EXPECT_TRUE(kt, asid_in_use(&a, asid[cpu]));
		KT_EXPECT_EQ(kt, a.active[cpu], 0u);
		KT_EXPECT_FALSE(kt, asid_ctx_current(&a, run[cpu]));
		/* Switching in again keeps the ASID; the CPU flushes its TLB once. */
		KT_EXPECT_EQ(kt, sw(&a, cpu, &run[cpu], &flush), asid[cpu]);
		KT_EXPECT_TRUE(kt, flush);
		KT_EXPECT_TRUE(kt, asid_ctx_current(&a, run[cpu]));
	}
	/* The mm CPU 1 ran, now switched in on CPU 2 too, keeps it as well. */
	KT_EXPECT_EQ(kt, sw(&a, 2, &run[1], &flush), asid[1]);
}

KTEST(asid, flush_pending_every_cpu_once)
{
	static struct asid_allocator a;
	uint64_t mm[20] = { 0 }, idle[6] = { 0 };
	bool flush;

	KT_ASSERT_EQ(kt, asid_allocator_init(&a, 4, 6), 0);
	for (unsigned int cpu = 1; cpu < 6; cpu++)
		sw(&a, cpu, &idle[cpu], &flush);
	uint64_t gen = a.generation;
	unsigned int i = 0;
	while (a.generation == gen) {
		KT_ASSERT_LT(kt, i, ARRAY_SIZE(mm));
		sw(&a, 0, &mm[i++], &flush);
	}
	KT_EXPECT_TRUE(kt, flush); /* CPU 0 rolled over: it pays at once */
	KT_EXPECT_EQ(kt, a.flush_pending, GENMASK(5, 1));
	for (unsigned int cpu = 1; cpu < 6; cpu++) {
		sw(&a, cpu, &idle[cpu], &flush);
		KT_EXPECT_TRUE(kt, flush);
		KT_EXPECT_EQ(kt, a.flush_pending, GENMASK(5, 1) & ~GENMASK(cpu, 1));
		sw(&a, cpu, &mm[0], &flush);
		KT_EXPECT_FALSE(kt, flush);
	}
	KT_EXPECT_EQ(kt, a.flush_pending, 0u);
}

/*
 * The randomised test's world: mms (context ids; 0 when new), what each CPU runs and the ASID it
 * loaded, and per CPU a model TLB: for each ASID, the mm whose entries it may hold (-1: none).
 * Widths up to 8 bits.
 */
#define RMM 64
#define RASIDS BIT(8)
struct world {
	struct asid_allocator a;
	uint64_t ctx[RMM];
	int running[NR_CPUS]; /* mm index, -1 before the first switch */
	uint64_t loaded[NR_CPUS];
	int tlb[NR_CPUS][RASIDS];
	bool dead[RASIDS]; /* ASIDs of mms that exited in this generation */
};

/*
 * The owner of each ASID (-1: none): the mm whose id is of this generation, or whose older id a
 * CPU reserved at the rollover. Fails when an ASID has two.
 */
static void find_owners(struct ktest *kt, const struct world *w, int *owner)
{
	const struct asid_allocator *a = &w->a;

	for (uint64_t asid = 0; asid < RASIDS; asid++)
		owner[asid] = -1;
	for (int m = 0; m < RMM; m++) {
		uint64_t asid = asid_ctx_asid(a, w->ctx[m]);
		bool owns = asid_ctx_current(a, w->ctx[m]);

		for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++)
			owns |= w->ctx[m] && a->reserved[cpu] == w->ctx[m];
		if (!owns)
			continue;
		if (owner[asid] >= 0)
			ktest_log(kt, "ASID %llu owned by mm %d and mm %d",
				  (unsigned long long)asid, owner[asid], m);
		KT_ASSERT_EQ(kt, owner[asid], -1);
		owner[asid] = m;
	}
}

/*
 * Every ASID has at most one owner and is in use iff it is 0, owned, reserved or dead; each CPU
 * runs its mm under the mm's ASID; an active ASID is the running mm's, of this generation.
 */
static void check_world(struct ktest *kt, const struct world *w)
{
	const struct asid_allocator *a = &w->a;
	int owner[RASIDS];
	bool reserved[RASIDS] = { false };

	find_owners(kt, w, owner);
	for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++)
		reserved[asid_ctx_asid(a, a->reserved[cpu])] = true;
	for (uint64_t asid = 0; asid < BIT(a->bits); asid++) {
		bool want = asid == 0 || owner[asid] >= 0 || reserved[asid] || w->dead[asid];

		if (asid_in_use(a, asid) != want)
			ktest_log(kt, "ASID %llu: in use %d, expected %d", (unsigned long long)asid,
				  asid_in_use(a, asid), want);
		KT_ASSERT_EQ(kt, asid_in_use(a, asid), want);
	}
	for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++) {
		/* An mm has one ASID on every CPU, so a TLBI by its ASID reaches them all. */
		if (w->running[cpu] >= 0)
			KT_ASSERT_EQ(kt, w->loaded[cpu], asid_ctx_asid(a, w->ctx[w->running[cpu]]));
		if (a->active[cpu] == 0)
			continue;
		KT_ASSERT_GE(kt, w->running[cpu], 0);
		KT_ASSERT_EQ(kt, a->active[cpu], w->ctx[w->running[cpu]]);
		KT_ASSERT_TRUE(kt, asid_ctx_current(a, a->active[cpu]));
	}
}

/* Switch @cpu to mm @m, as the caller would: flush when told, then run (fill the TLB model). */
static void world_switch(struct ktest *kt, struct world *w, unsigned int cpu, int m)
{
	uint64_t gen = w->a.generation;
	bool flush;
	uint64_t asid = sw(&w->a, cpu, &w->ctx[m], &flush);

	if (w->a.generation != gen)
		memset(w->dead, 0, sizeof(w->dead));
	KT_ASSERT_NE(kt, asid, 0u);
	KT_ASSERT_EQ(kt, asid, asid_ctx_asid(&w->a, w->ctx[m]));
	if (flush) {
		memset(w->tlb[cpu], -1, sizeof(w->tlb[cpu]));
		/* Until TTBR0 changes, table walks may refill the previous mm's entries. */
		if (w->running[cpu] >= 0)
			w->tlb[cpu][w->loaded[cpu]] = w->running[cpu];
	}
	if (w->tlb[cpu][asid] != -1 && w->tlb[cpu][asid] != m)
		ktest_log(kt, "CPU %u runs mm %d with ASID %llu, its TLB holds mm %d's", cpu, m,
			  (unsigned long long)asid, w->tlb[cpu][asid]);
	KT_ASSERT_TRUE(kt, w->tlb[cpu][asid] == -1 || w->tlb[cpu][asid] == m);
	w->tlb[cpu][asid] = m;
	w->running[cpu] = m;
	w->loaded[cpu] = asid;
}

/* An mm that no CPU runs exits: its ASID stays taken until the rollover; a new mm takes its slot.
 */
static void world_exit(struct world *w, int m)
{
	for (unsigned int cpu = 0; cpu < w->a.nr_cpus; cpu++)
		if (w->running[cpu] == m)
			return;
	if (asid_ctx_current(&w->a, w->ctx[m]))
		w->dead[asid_ctx_asid(&w->a, w->ctx[m])] = true;
	w->ctx[m] = 0;
	for (unsigned int cpu = 0; cpu < w->a.nr_cpus; cpu++)
		for (unsigned int asid = 0; asid < BIT(w->a.bits); asid++)
			if (w->tlb[cpu][asid] == m)
				w->tlb[cpu][asid] = RMM; /* another mm's stale entries */
}

static void random_run(struct ktest *kt, unsigned int bits, uint64_t *seed)
{
	static struct world w;
	unsigned int nr_cpus = 1 + ktest_rand_below(seed, NR_CPUS);
	unsigned int nr_mms = nr_cpus + 1 + ktest_rand_below(seed, RMM - nr_cpus - 1);
	unsigned int rollovers = 0;

	memset(&w, 0, sizeof(w));
	memset(w.tlb, -1, sizeof(w.tlb));
	KT_ASSERT_EQ(kt, asid_allocator_init(&w.a, bits, nr_cpus), 0);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		w.running[cpu] = -1;
	for (int step = 0; step < 3000; step++) {
		unsigned int cpu = ktest_rand_below(seed, nr_cpus);
		int m = ktest_rand_below(seed, nr_mms);
		uint64_t gen = w.a.generation;

		if (ktest_rand_below(seed, 4) == 0)
			world_exit(&w, m);
		else
			world_switch(kt, &w, cpu, m);
		rollovers += w.a.generation != gen;
		check_world(kt, &w);
		if (kt->failures) {
			ktest_log(kt, "bits %u, %u CPUs, %u mms, step %d", bits, nr_cpus, nr_mms,
				  step);
			return;
		}
	}
	KT_EXPECT_TRUE(kt, bits > 5 || rollovers > 0);
}

KTEST(asid, random_unique_and_tlb_safe)
{
	uint64_t seed = kt->seed;

	for (int run = 0; run < 6 && !kt->failures; run++) {
		random_run(kt, 4, &seed);
		random_run(kt, 5, &seed);
	}
	random_run(kt, 8, &seed);
}

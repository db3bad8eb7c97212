// SPDX-License-Identifier: MIT
/*
 * The ASID allocator; see include/kmm/asid.h for the contract. The algorithm is Linux 6.1's
 * arch/arm64/mm/context.c (without pinned ASIDs and the KPTI ASID pairs, which kmm has not).
 *
 * Locking: one lock, a->lock (Linux's cpu_asid_lock), held for all of asid_check_and_switch
 * and taken inside any lock of its callers (the scheduler's, when there is one); it calls out to
 * nothing, so no other lock nests inside it.
 */
#include <kmm/asid.h>
#include <kmm/mm_struct.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/spinlock.h>

/* The number of ASIDs of the width, 0 included (Linux's NUM_USER_ASIDS). */
static uint64_t nr_asids(const struct asid_allocator *a)
{
	return BIT(a->bits);
}

static void map_set(struct asid_allocator *a, uint64_t asid)
{
	a->map[asid / 64] |= BIT(asid % 64);
}

/* Mark @asid in use; returns whether it already was. */
static bool map_test_and_set(struct asid_allocator *a, uint64_t asid)
{
	bool was = asid_in_use(a, asid);

	map_set(a, asid);
	return was;
}

/* The first free ASID at or above @from, or nr_asids() when there is none. */
static uint64_t map_find_free(const struct asid_allocator *a, uint64_t from)
{
	uint64_t end = nr_asids(a);

	for (uint64_t i = from; i < end; i = ALIGN_DOWN(i, 64) + 64) {
		uint64_t free = ~a->map[i / 64] & (~0ULL << (i % 64));

		if (free) {
			uint64_t asid = ALIGN_DOWN(i, 64) + __builtin_ctzll(free);

			return asid < end ? asid : end;
		}
	}
	return end;
}

/* Empty the bitmap but for ASID 0, which is never handed out. */
static void map_reset(struct asid_allocator *a)
{
	for (uint64_t i = 0; i < ASID_MAP_WORDS; i++)
		a->map[i] = 0;
	map_set(a, 0);
}

int asid_allocator_init(struct asid_allocator *a, unsigned int asid_bits, unsigned int nr_cpus)
{
	if (asid_bits < ASID_BITS_MIN || asid_bits > ASID_BITS_MAX || nr_cpus == 0 ||
	    nr_cpus > NR_CPUS || BIT(asid_bits) - 1 <= nr_cpus)
		return -EINVAL;
	spin_lock_init(&a->lock);
	a->bits = asid_bits;
	a->nr_cpus = nr_cpus;
	a->generation = BIT(asid_bits);
	a->next = 1;
	map_reset(a);
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		a->active[cpu] = 0;
		a->reserved[cpu] = 0;
	}
	a->flush_pending = 0;
	return 0;
}

/*
 * Rollover, once the generation has advanced (Linux's flush_context): rebuild the bitmap from
 * the ASID each CPU runs, reserving it for that CPU, and make every CPU owe a local TLB flush.
 * A CPU that has not switched since the previous rollover (active 0) keeps its reservation: it
 * is the only trace of the mm it still runs.
 */
static void flush_context(struct asid_allocator *a)
{
	map_reset(a);
	for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++) {
		uint64_t ctx = a->active[cpu];

		a->active[cpu] = 0;
		if (ctx == 0)
			ctx = a->reserved[cpu];
		map_set(a, asid_ctx_asid(a, ctx));
		a->reserved[cpu] = ctx;
	}
	a->flush_pending = GENMASK(a->nr_cpus - 1, 0);
}

/*
 * If old context id @ctx is reserved on some CPU (it was running at the rollover), move every
 * such reservation to @newctx, the same ASID in the current generation, and return true. All
 * copies are updated, not just the first: a stale one would be missed at the next rollover.
 */
static bool check_update_reserved(struct asid_allocator *a, uint64_t ctx, uint64_t newctx)
{
	bool hit = false;

	for (unsigned int cpu = 0; cpu < a->nr_cpus; cpu++) {
		if (a->reserved[cpu] == ctx) {
			a->reserved[cpu] = newctx;
			hit = true;
		}
	}
	return hit;
}

/*
 * A context id of the current generation for the mm whose id is @ctx (0 or older): its old
 * ASID if that was reserved at the rollover or is still free, else the next free one, rolling
 * over when there is none (Linux's new_context).
 */
static uint64_t new_context(struct asid_allocator *a, uint64_t ctx)
{
	uint64_t asid;

	lockdep_assert_held(&a->lock);
	if (ctx != 0) {
		uint64_t newctx = a->generation | asid_ctx_asid(a, ctx);

		if (check_update_reserved(a, ctx, newctx))
			return newctx;
		if (!map_test_and_set(a, asid_ctx_asid(a, ctx)))
			return newctx;
	}
	asid = map_find_free(a, a->next);
	if (asid == nr_asids(a)) {
		a->generation += nr_asids(a);
		flush_context(a);
		/* More ASIDs than CPUs (asid_allocator_init): one is free now. */
		asid = map_find_free(a, 1);
		BUG_ON(asid == nr_asids(a));
	}
	map_set(a, asid);
	a->next = asid;
	return a->generation | asid;
}

/* asid_check_and_switch under the allocator's lock. */
static uint64_t check_and_switch_locked(struct asid_allocator *a, unsigned int cpu,
					uint64_t *context_id, bool *need_local_flush)
{
	uint64_t ctx = *context_id;

	*need_local_flush = false;
	/* A never-run mm's 0 is of no generation: generations start at 2^bits. */
	if (asid_ctx_current(a, ctx) && a->active[cpu] != 0) {
		a->active[cpu] = ctx;
		return asid_ctx_asid(a, ctx);
	}
	if (!asid_ctx_current(a, ctx)) {
		ctx = new_context(a, ctx);
		WRITE_ONCE(*context_id, ctx);
	}
	if (a->flush_pending & BIT(cpu)) {
		a->flush_pending &= ~BIT(cpu);
		*need_local_flush = true;
	}
	a->active[cpu] = ctx;
	return asid_ctx_asid(a, ctx);
}

uint64_t asid_check_and_switch(struct asid_allocator *a, unsigned int cpu, uint64_t *context_id,
			       bool *need_local_flush)
{
	unsigned long flags;
	uint64_t asid;

	BUG_ON(cpu >= a->nr_cpus);
	spin_lock_irqsave(&a->lock, flags);
	asid = check_and_switch_locked(a, cpu, context_id, need_local_flush);
	spin_unlock_irqrestore(&a->lock, flags);
	return asid;
}

struct asid_allocator asid_default;

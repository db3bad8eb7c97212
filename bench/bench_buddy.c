// SPDX-License-Identifier: MIT
/*
 * The page allocator's benchmarks, each on 1 GiB and 16 GiB of simulated RAM ("ram" in bytes):
 *   buddy.pair.order0  one op: an order-0 allocation and its free;
 *   buddy.fill_drain   allocate every free frame at order 0, then free them all in allocation
 *                      order; one op: one frame allocated and freed;
 *   buddy.mixed        random orders 0-4 (a fixed precomputed sequence) with MIXED_WINDOW blocks
 *                      live: one op frees the block allocated MIXED_WINDOW ops earlier and
 *                      allocates the next one.
 * Impl "kmm" is kmm's page allocator (ms_alloc_pages/ms_free_pages with GFP_KERNEL, so order-0
 * and orders up to PAGE_ALLOC_COSTLY_ORDER go through the per-CPU lists, as in Linux) on a
 * memory system built by mm_core_init from memblock holding all the RAM. Beside it, impl
 * "freelist": a plain free list threaded through the 4 KiB frames of the same amount of
 * simulated RAM (freelist.h), the lower bound. It does one pop (and later one push) per
 * allocation whatever the order, so in buddy.mixed it is the cost of the bookkeeping alone, not
 * of finding 2^order contiguous frames.
 */
#include "bench.h"
#include "freelist.h"

#include "arch/host/host.h"
#include "hw/cpu.h"

#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/memblock.h>
#include <kmm/mm.h>

#include <stdlib.h>
#include <sys/mman.h>

#define SZ_1G (1ULL << 30)
#define SZ_16G (16ULL << 30)
#define RAM_BASE 0x40000000ULL /* where QEMU's virt board has its RAM */
#define MIXED_WINDOW 256
#define MIXED_MAX_ORDER 4
#define MIXED_ORDERS 4096 /* length of the precomputed order sequence, cycled */
#define MIXED_SEED 1

struct buddy_state {
	struct hw_machine m;
	struct freelist fl;
	void **held;	   /* fill_drain: every allocated frame; mixed: the live window */
	uint64_t nframes;  /* of the RAM; the capacity of @held */
	uint64_t mixed_op; /* ops done by buddy.mixed so far (it keeps its window across runs) */
	uint8_t held_order[MIXED_WINDOW];
	uint8_t orders[MIXED_ORDERS];
	struct memblock mb;   /* kmm impl: the boot memory, then the memory map's home */
	struct mem_system ms; /* kmm impl: the page allocator */
};

static void state_free(struct buddy_state *s)
{
	hw_machine_destroy(&s->m);
	free(s->held);
	free(s);
}

/* A machine with @ram bytes of RAM at RAM_BASE (on host huge pages when it can), and the
 * bookkeeping every benchmark uses. */
static int state_new(struct buddy_state **out, uint64_t ram)
{
	struct buddy_state *s = calloc(1, sizeof(*s));
	uint64_t seed = MIXED_SEED;

	if (!s)
		return -ENOMEM;
	s->nframes = ram / FREELIST_FRAME;
	s->held = calloc(s->nframes, sizeof(*s->held));
	if (!s->held || hw_machine_init(&s->m, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT)) {
		free(s->held);
		free(s);
		return -ENOMEM;
	}
	if (hw_ram_add(&s->m.ram, RAM_BASE, ram)) {
		state_free(s);
		return -ENOMEM;
	}
	/* A kernel reaches RAM through the linear map's block mappings: ask for huge pages too
	 * (a hint; it also makes the first touch of 16 GiB seconds faster). */
	(void)madvise(s->m.ram.regions[0].mem, ram, MADV_HUGEPAGE);
	for (unsigned int i = 0; i < MIXED_ORDERS; i++)
		s->orders[i] = (uint8_t)(bench_rand(&seed) % (MIXED_MAX_ORDER + 1));
	*out = s;
	return 0;
}

/* The freelist impl. */

static int fl_setup(void **state, uint64_t ram)
{
	struct buddy_state *s;
	int err = state_new(&s, ram);

	if (err)
		return err;
	if (freelist_init(&s->fl, hw_ram_ptr(&s->m.ram, RAM_BASE, ram), ram)) {
		state_free(s);
		return -1;
	}
	*state = s;
	return 0;
}

static void fl_teardown(void *state)
{
	struct buddy_state *s = state;

	freelist_destroy(&s->fl);
	state_free(s);
}

static uint64_t fl_pair(void *state, uint64_t iters)
{
	struct buddy_state *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		void *p = freelist_pop(&s->fl);

		bench_use(p);
		freelist_push(&s->fl, p);
	}
	return iters;
}

static uint64_t fl_fill_drain(void *state, uint64_t iters)
{
	struct buddy_state *s = state;
	uint64_t n = 0;

	for (uint64_t i = 0; i < iters; i++) {
		void *p;

		for (n = 0; n < s->nframes && (p = freelist_pop(&s->fl)); n++)
			s->held[n] = p;
		for (uint64_t j = 0; j < n; j++)
			freelist_push(&s->fl, s->held[j]);
	}
	return iters * n;
}

static uint64_t fl_mixed(void *state, uint64_t iters)
{
	struct buddy_state *s = state;

	for (uint64_t i = 0; i < iters; i++, s->mixed_op++) {
		void **slot = &s->held[s->mixed_op % MIXED_WINDOW];

		if (*slot)
			freelist_push(&s->fl, *slot);
		*slot = freelist_pop(&s->fl);
		bench_use(*slot);
	}
	return iters;
}

/* The kmm impl: the allocator state lives in the machine's RAM, so the kernel code must run on
 * that machine (host_attach) whenever it is called. */

static int kmm_setup(void **state, uint64_t ram)
{
	struct buddy_state *s;
	struct mm_init_params params = { 0 };
	int err = state_new(&s, ram);

	if (err)
		return err;
	host_attach(&s->m);
	memblock_init(&s->mb);
	err = memblock_add(&s->mb, RAM_BASE, ram);
	if (!err)
		err = mm_core_init(&s->ms, &s->mb, &params);
	if (err) {
		host_attach(NULL);
		state_free(s);
		return err;
	}
	*state = s;
	return 0;
}

static void kmm_teardown(void *state)
{
	struct buddy_state *s = state;

	if (host_machine() == &s->m)
		host_attach(NULL);
	state_free(s);
}

static uint64_t kmm_pair(void *state, uint64_t iters)
{
	struct buddy_state *s = state;

	host_attach(&s->m);
	for (uint64_t i = 0; i < iters; i++) {
		struct page *p = ms_alloc_pages(&s->ms, GFP_KERNEL, 0);

		bench_use(p);
		ms_free_pages(&s->ms, p, 0);
	}
	return iters;
}

/* Allocation stops at the first failure: GFP_KERNEL may not dig below the min watermark. */
static uint64_t kmm_fill_drain(void *state, uint64_t iters)
{
	struct buddy_state *s = state;
	uint64_t n = 0;

	host_attach(&s->m);
	for (uint64_t i = 0; i < iters; i++) {
		struct page *p;

		for (n = 0;
		     n < s->nframes && (p = ms_alloc_pages(&s->ms, GFP_KERNEL | __GFP_NOWARN, 0));
		     n++)
			s->held[n] = p;
		for (uint64_t j = 0; j < n; j++)
			ms_free_pages(&s->ms, s->held[j], 0);
	}
	return iters * n;
}

static uint64_t kmm_mixed(void *state, uint64_t iters)
{
	struct buddy_state *s = state;

	host_attach(&s->m);
	for (uint64_t i = 0; i < iters; i++, s->mixed_op++) {
		unsigned int slot = s->mixed_op % MIXED_WINDOW;
		unsigned int order = s->orders[s->mixed_op % MIXED_ORDERS];

		if (s->held[slot])
			ms_free_pages(&s->ms, s->held[slot], s->held_order[slot]);
		s->held[slot] = ms_alloc_pages(&s->ms, GFP_KERNEL, order);
		s->held_order[slot] = (uint8_t)order;
	}
	return iters;
}

/* Register @impl of benchmark @name, run by @run, on both RAM sizes. */
#define BUDDY_BENCH(id, bname, impl_name, setup_fn, run_fn, teardown_fn)                           \
	BENCH(id##_1g) = { .name = bname,                                                          \
			   .impl = impl_name,                                                      \
			   .param_key = "ram",                                                     \
			   .param = SZ_1G,                                                         \
			   .setup = setup_fn,                                                      \
			   .run = run_fn,                                                          \
			   .teardown = teardown_fn };                                              \
	BENCH(id##_16g) = { .name = bname,                                                         \
			    .impl = impl_name,                                                     \
			    .param_key = "ram",                                                    \
			    .param = SZ_16G,                                                       \
			    .setup = setup_fn,                                                     \
			    .run = run_fn,                                                         \
			    .teardown = teardown_fn }

BUDDY_BENCH(pair_kmm, "buddy.pair.order0", "kmm", kmm_setup, kmm_pair, kmm_teardown);
BUDDY_BENCH(fill_drain_kmm, "buddy.fill_drain", "kmm", kmm_setup, kmm_fill_drain, kmm_teardown);
BUDDY_BENCH(mixed_kmm, "buddy.mixed", "kmm", kmm_setup, kmm_mixed, kmm_teardown);
BUDDY_BENCH(pair_fl, "buddy.pair.order0", "freelist", fl_setup, fl_pair, fl_teardown);
BUDDY_BENCH(fill_drain_fl, "buddy.fill_drain", "freelist", fl_setup, fl_fill_drain, fl_teardown);
BUDDY_BENCH(mixed_fl, "buddy.mixed", "freelist", fl_setup, fl_mixed, fl_teardown);

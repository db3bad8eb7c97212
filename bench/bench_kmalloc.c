// SPDX-License-Identifier: MIT
/*
 * The kmalloc benchmarks, kmm's kmalloc against the malloc peers (peers.h):
 *   kmalloc.pair.SIZE  one op: an allocation of SIZE bytes ("size") and its free;
 *   kmalloc.batch      allocate "objects" objects of mixed sizes from 8 to 1024 bytes (a fixed
 *                      random sequence), then free them in a fixed random order; one op: one
 *                      object allocated and freed;
 *   kmalloc.xcpu       objects of "size" bytes allocated on one CPU and freed on another, in
 *                      the order allocated, with up to XCPU_RING of them in flight; one op: one
 *                      object allocated and freed.
 * A peer's xcpu runs on two host threads joined by a single-producer single-consumer ring of
 * pointers: the measuring thread allocates and pushes, a second thread pops and frees, and a run
 * ends when every object is freed.
 *
 * Impl "kmm" is ss_kmalloc/ss_kfree (what kmalloc and kfree call) on a slab system over a
 * memory system built by mm_core_init from memblock holding KMM_RAM of simulated RAM, as a
 * kernel with two CPUs has it. kmm's simulated CPUs take turns on one host thread (its locks
 * only check ownership hosted), so its xcpu runs on one thread: CPU 0 allocates XCPU_RING
 * objects, then CPU 1 frees them in the same order (host_set_cpu between the two).
 */
#include "bench.h"
#include "peers.h"

#include "arch/host/host.h"
#include "hw/cpu.h"

#include <kmm/errno.h>
#include <kmm/memblock.h>
#include <kmm/mm.h>
#include <kmm/slab.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>

#define BATCH_OBJECTS 100000
#define BATCH_MIN_SIZE 8
#define BATCH_MAX_SIZE 1024
#define BATCH_SEED 1
#define XCPU_SIZE 64
#define XCPU_RING 256 /* a power of two */
#define CACHELINE 64
#define KMM_RAM (1ULL << 30)
#define KMM_RAM_BASE 0x40000000ULL /* where QEMU's virt board has its RAM */
#define KMM_CPUS 2

/* The two threads' side of kmalloc.xcpu for a peer. */
struct xcpu {
	/* Objects pushed by the producer (the measuring thread) and popped by the consumer. */
	_Atomic uint64_t head __attribute__((aligned(CACHELINE)));
	_Atomic uint64_t tail __attribute__((aligned(CACHELINE)));
	void *slot[XCPU_RING] __attribute__((aligned(CACHELINE)));
	/* The consumer sleeps until there is work: it frees up to @target, or leaves on @quit. */
	pthread_mutex_t lock;
	pthread_cond_t work;
	uint64_t target;
	bool quit;
	pthread_t consumer;
	void (*free)(void *p);
};

struct kmalloc_state {
	struct peer ops;
	size_t size;	   /* pair, xcpu */
	uint32_t nobj;	   /* batch: objects per op round */
	uint16_t *sizes;   /* batch: the size of object i */
	uint32_t *order;   /* batch: a permutation of 0..nobj-1, the order of the frees */
	void **objs;	   /* batch, xcpu of kmm: the live objects */
	struct xcpu *xcpu; /* xcpu of a peer */
	struct kmm *kmm;   /* impl kmm */
};

/* The state shared by the benchmarks, with the allocator @ops. */
static int state_new(struct kmalloc_state **out, const struct peer *ops)
{
	struct kmalloc_state *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->ops = *ops;
	*out = s;
	return 0;
}

static void state_free(struct kmalloc_state *s)
{
	free(s->sizes);
	free(s->order);
	free(s->objs);
	free(s);
}

enum kmalloc_bench { PAIR, BATCH, XCPU };

/* kmalloc.pair */

static uint64_t run_pair(void *state, uint64_t iters)
{
	struct kmalloc_state *s = state;

	for (uint64_t i = 0; i < iters; i++) {
		void *p = s->ops.alloc(s->size);

		bench_use(p);
		s->ops.free(p);
	}
	return iters;
}

/* kmalloc.batch */

/* Allocate every object, then free them in the shuffled order; false if one allocation failed
 * (the objects allocated are freed all the same). */
static bool batch_round(struct kmalloc_state *s)
{
	bool ok = true;

	for (uint32_t i = 0; i < s->nobj; i++) {
		s->objs[i] = s->ops.alloc(s->sizes[i]);
		ok &= s->objs[i] != NULL;
	}
	for (uint32_t i = 0; i < s->nobj; i++)
		s->ops.free(s->objs[s->order[i]]);
	return ok;
}

/* The fixed size sequence and free order of @n objects, and one round to warm the allocator up
 * (so the first calibration run does not pay for its first touches alone). */
static int batch_init(struct kmalloc_state *s, uint64_t n)
{
	uint64_t seed = BATCH_SEED;

	s->nobj = (uint32_t)n;
	s->sizes = malloc(n * sizeof(*s->sizes));
	s->order = malloc(n * sizeof(*s->order));
	s->objs = malloc(n * sizeof(*s->objs));
	if (!s->sizes || !s->order || !s->objs)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		s->sizes[i] = (uint16_t)(BATCH_MIN_SIZE +
					 bench_rand(&seed) % (BATCH_MAX_SIZE - BATCH_MIN_SIZE + 1));
		s->order[i] = i;
	}
	for (uint32_t i = s->nobj - 1; i > 0; i--) { /* Fisher-Yates */
		uint32_t j = (uint32_t)(bench_rand(&seed) % (i + 1)), t = s->order[i];

		s->order[i] = s->order[j];
		s->order[j] = t;
	}
	return batch_round(s) ? 0 : -ENOMEM;
}

static uint64_t run_batch(void *state, uint64_t iters)
{
	struct kmalloc_state *s = state;

	for (uint64_t i = 0; i < iters; i++)
		if (!batch_round(s))
			return 0;
	return iters * s->nobj;
}

/* Set @s up for benchmark @b with @param: the object size, or the number of batch objects. */
static int bench_init(struct kmalloc_state *s, enum kmalloc_bench b, uint64_t param)
{
	if (b == BATCH)
		return batch_init(s, param);
	s->size = param;
	return 0;
}

/* kmalloc.xcpu of a peer */

/* Wait for the other side after @spins failed looks: spin a while, then give the CPU up. */
static void xcpu_backoff(unsigned int *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
}

/* The consumer's wait for work: the objects to free up to, or 0 when told to quit. */
static uint64_t xcpu_wait(struct xcpu *x, uint64_t tail)
{
	uint64_t target;

	pthread_mutex_lock(&x->lock);
	while (!x->quit && x->target == tail)
		pthread_cond_wait(&x->work, &x->lock);
	target = x->quit ? 0 : x->target;
	pthread_mutex_unlock(&x->lock);
	return target;
}

/* The freeing thread: pop and free every object pushed, in order. */
static void *xcpu_consumer(void *arg)
{
	struct xcpu *x = arg;
	uint64_t tail = 0, head = 0, target;

	while ((target = xcpu_wait(x, tail))) {
		for (unsigned int spins = 0; tail < target; tail++) {
			while (head == tail)
				if ((head = atomic_load_explicit(&x->head, memory_order_acquire)) ==
				    tail)
					xcpu_backoff(&spins);
			x->free(x->slot[tail % XCPU_RING]);
			atomic_store_explicit(&x->tail, tail + 1, memory_order_release);
		}
	}
	return NULL;
}

/* Tell the consumer to free up to @target. */
static void xcpu_post(struct xcpu *x, uint64_t target)
{
	pthread_mutex_lock(&x->lock);
	x->target = target;
	pthread_cond_signal(&x->work);
	pthread_mutex_unlock(&x->lock);
}

static uint64_t run_xcpu(void *state, uint64_t iters)
{
	struct kmalloc_state *s = state;
	struct xcpu *x = s->xcpu;
	uint64_t head = atomic_load_explicit(&x->head, memory_order_relaxed);
	uint64_t end = head + iters, tail = head;
	unsigned int spins = 0;

	xcpu_post(x, end);
	for (; head < end; head++) {
		void *p = s->ops.alloc(s->size);

		while (head - tail == XCPU_RING)
			if ((tail = atomic_load_explicit(&x->tail, memory_order_acquire)) ==
			    head - XCPU_RING)
				xcpu_backoff(&spins);
		x->slot[head % XCPU_RING] = p;
		atomic_store_explicit(&x->head, head + 1, memory_order_release);
	}
	while (atomic_load_explicit(&x->tail, memory_order_acquire) != end)
		xcpu_backoff(&spins);
	return iters;
}

/* Start @s's consumer thread. */
static int xcpu_start(struct kmalloc_state *s)
{
	struct xcpu *x = aligned_alloc(CACHELINE, sizeof(*x));

	if (!x)
		return -ENOMEM;
	*x = (struct xcpu){ .free = s->ops.free };
	pthread_mutex_init(&x->lock, NULL);
	pthread_cond_init(&x->work, NULL);
	if (pthread_create(&x->consumer, NULL, xcpu_consumer, x)) {
		free(x);
		return -EAGAIN;
	}
	s->xcpu = x;
	return 0;
}

/* Stop @x's consumer thread and free @x. */
static void xcpu_stop(struct xcpu *x)
{
	pthread_mutex_lock(&x->lock);
	x->quit = true;
	pthread_cond_signal(&x->work);
	pthread_mutex_unlock(&x->lock);
	pthread_join(x->consumer, NULL);
	pthread_mutex_destroy(&x->lock);
	pthread_cond_destroy(&x->work);
	free(x);
}

/* The peers. */

/* Set benchmark @b of peer @impl up for @param (its "size" or "objects"); BENCH_SKIP when the
 * peer is not here. */
static int peer_setup(void **state, const char *impl, enum kmalloc_bench b, uint64_t param)
{
	struct kmalloc_state *s;
	struct peer ops;
	int err;

	if (peer_open(&ops, impl))
		return BENCH_SKIP;
	err = state_new(&s, &ops);
	if (err)
		return err;
	err = bench_init(s, b, param);
	if (!err && b == XCPU)
		err = xcpu_start(s);
	if (err) {
		state_free(s);
		return err;
	}
	*state = s;
	return 0;
}

static void peer_teardown(void *state)
{
	struct kmalloc_state *s = state;

	if (s->xcpu)
		xcpu_stop(s->xcpu);
	state_free(s);
}

/* The setups of peer @impl, one per benchmark (the harness hands a setup no impl name). */
#define PEER_SETUPS(impl)                                                                          \
	static int impl##_setup_pair(void **state, uint64_t size)                                  \
	{                                                                                          \
		return peer_setup(state, #impl, PAIR, size);                                       \
	}                                                                                          \
	static int impl##_setup_batch(void **state, uint64_t objects)                              \
	{                                                                                          \
		return peer_setup(state, #impl, BATCH, objects);                                   \
	}                                                                                          \
	static int impl##_setup_xcpu(void **state, uint64_t size)                                  \
	{                                                                                          \
		return peer_setup(state, #impl, XCPU, size);                                       \
	}

PEER_SETUPS(glibc)
PEER_SETUPS(jemalloc)
PEER_SETUPS(mimalloc)
PEER_SETUPS(tcmalloc)

/* Register benchmark @bname of impl @id: its setup is @id##_setup_@b. */
#define KMALLOC_BENCH(id, b, bname, key, value, run_fn, teardown_fn)                               \
	BENCH(id##_##b##_##value) = { .name = bname,                                               \
				      .impl = #id,                                                 \
				      .param_key = key,                                            \
				      .param = value,                                              \
				      .setup = id##_setup_##b,                                     \
				      .run = run_fn,                                               \
				      .teardown = teardown_fn }

/* Register every kmalloc benchmark of impl @id, with its runs and teardown. */
#define KMALLOC_BENCHES(id, pair_fn, batch_fn, xcpu_fn, teardown_fn)                               \
	KMALLOC_BENCH(id, pair, "kmalloc.pair.16", "size", 16, pair_fn, teardown_fn);              \
	KMALLOC_BENCH(id, pair, "kmalloc.pair.64", "size", 64, pair_fn, teardown_fn);              \
	KMALLOC_BENCH(id, pair, "kmalloc.pair.256", "size", 256, pair_fn, teardown_fn);            \
	KMALLOC_BENCH(id, pair, "kmalloc.pair.1024", "size", 1024, pair_fn, teardown_fn);          \
	KMALLOC_BENCH(id, batch, "kmalloc.batch", "objects", BATCH_OBJECTS, batch_fn,              \
		      teardown_fn);                                                                \
	KMALLOC_BENCH(id, xcpu, "kmalloc.xcpu", "size", XCPU_SIZE, xcpu_fn, teardown_fn)

KMALLOC_BENCHES(glibc, run_pair, run_batch, run_xcpu, peer_teardown);
KMALLOC_BENCHES(jemalloc, run_pair, run_batch, run_xcpu, peer_teardown);
KMALLOC_BENCHES(mimalloc, run_pair, run_batch, run_xcpu, peer_teardown);
KMALLOC_BENCHES(tcmalloc, run_pair, run_batch, run_xcpu, peer_teardown);

/* The kmm impl: its allocator state lives in the machine's RAM, so the kernel code must run on
 * that machine (host_attach) whenever it is called. */

struct kmm {
	struct hw_machine m;
	struct memblock mb;    /* the boot memory, then the memory map's home */
	struct mem_system ms;  /* the page allocator */
	struct slab_system ss; /* the kmalloc caches */
};

static struct slab_system *kmm_current; /* the slab system kmm_alloc and kmm_free use */

static void *kmm_alloc(size_t size)
{
	return ss_kmalloc(kmm_current, size, GFP_KERNEL,
			  (unsigned long)__builtin_return_address(0));
}

static void kmm_free(void *p)
{
	ss_kfree(kmm_current, p);
}

/* Run the kernel code on @s's machine as CPU 0 from now on. */
static void kmm_enter(struct kmalloc_state *s)
{
	host_attach(&s->kmm->m);
	host_set_cpu(0);
	kmm_current = &s->kmm->ss;
}

static void kmm_destroy(struct kmm *k)
{
	if (host_machine() == &k->m)
		host_attach(NULL);
	hw_machine_destroy(&k->m);
	free(k);
}

/* A machine of KMM_CPUS CPUs and KMM_RAM of RAM, with the page allocator and the slab system on
 * it; attached. */
static int kmm_new(struct kmm **out)
{
	struct kmm *k = calloc(1, sizeof(*k));
	struct mm_init_params params = { .nr_cpus = KMM_CPUS };
	int err;

	if (!k)
		return -ENOMEM;
	if (hw_machine_init(&k->m, KMM_CPUS, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT)) {
		free(k);
		return -ENOMEM;
	}
	err = hw_ram_add(&k->m.ram, KMM_RAM_BASE, KMM_RAM) ? -ENOMEM : 0;
	if (!err) {
		/* A kernel reaches RAM through the linear map's block mappings (a hint). */
		(void)madvise(k->m.ram.regions[0].mem, KMM_RAM, MADV_HUGEPAGE);
		host_attach(&k->m);
		memblock_init(&k->mb);
		err = memblock_add(&k->mb, KMM_RAM_BASE, KMM_RAM);
	}
	if (!err)
		err = mm_core_init(&k->ms, &k->mb, &params);
	if (!err)
		err = slab_system_init(&k->ss, &k->ms);
	if (err) {
		kmm_destroy(k);
		return err;
	}
	*out = k;
	return 0;
}

static void kmm_teardown(void *state)
{
	struct kmalloc_state *s = state;

	if (s->kmm)
		kmm_destroy(s->kmm);
	state_free(s);
}

static int kmm_setup(void **state, enum kmalloc_bench b, uint64_t param)
{
	static const struct peer ops = { .alloc = kmm_alloc, .free = kmm_free };
	struct kmalloc_state *s;
	int err = state_new(&s, &ops);

	if (err)
		return err;
	err = kmm_new(&s->kmm);
	if (!err) {
		kmm_enter(s);
		err = bench_init(s, b, param);
	}
	if (!err && b == XCPU) {
		s->objs = malloc(XCPU_RING * sizeof(*s->objs));
		err = s->objs ? 0 : -ENOMEM;
	}
	if (err) {
		kmm_teardown(s);
		return err;
	}
	*state = s;
	return 0;
}

static uint64_t kmm_run_pair(void *state, uint64_t iters)
{
	kmm_enter(state);
	return run_pair(state, iters);
}

static uint64_t kmm_run_batch(void *state, uint64_t iters)
{
	kmm_enter(state);
	return run_batch(state, iters);
}

/* CPU 0 allocates up to XCPU_RING objects, CPU 1 frees them in order, until @iters are done. */
static uint64_t kmm_run_xcpu(void *state, uint64_t iters)
{
	struct kmalloc_state *s = state;

	kmm_enter(s);
	for (uint64_t done = 0, n; done < iters; done += n) {
		n = iters - done < XCPU_RING ? iters - done : XCPU_RING;
		host_set_cpu(0);
		for (uint64_t i = 0; i < n; i++)
			s->objs[i] = s->ops.alloc(s->size);
		host_set_cpu(1);
		for (uint64_t i = 0; i < n; i++)
			s->ops.free(s->objs[i]);
	}
	host_set_cpu(0);
	return iters;
}

static int kmm_setup_pair(void **state, uint64_t size)
{
	return kmm_setup(state, PAIR, size);
}

static int kmm_setup_batch(void **state, uint64_t objects)
{
	return kmm_setup(state, BATCH, objects);
}

static int kmm_setup_xcpu(void **state, uint64_t size)
{
	return kmm_setup(state, XCPU, size);
}

KMALLOC_BENCHES(kmm, kmm_run_pair, kmm_run_batch, kmm_run_xcpu, kmm_teardown);

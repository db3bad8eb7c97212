/* SPDX-License-Identifier: MIT */
/*
 * The slab allocator (SLUB, as Linux 6.1's mm/slub.c) and the kmalloc family, on the page
 * allocator of one struct mem_system (mm/slub.c).
 *
 * A struct slab_system holds the caches of one memory system: the cache of struct kmem_cache
 * itself, the kmalloc caches ("kmalloc-8" .. "kmalloc-8k", with "kmalloc-96"/"kmalloc-192") and
 * every cache created on it. slab_default_system (on mm_default_system, set up by
 * kmem_cache_init) serves kmem_cache_create and kmalloc & co.; the ss_* calls take one explicitly.
 *
 * A slab is a page block (order from calculate_order: low waste, at least a few objects) whose
 * struct page holds: PG_slab, slab_cache, freelist (first free object), the node-list links
 * (mapping: next, private: previous) and the counters (in _mapcount: inuse, frozen, list). The
 * tail pages of a multi-page slab carry PG_slab, slab_cache and freelist = the head page. Each
 * CPU has an active (frozen) slab whose free objects it takes without touching the node (the
 * fast path); other slabs with free objects are on their node's partial list, full ones on the
 * full list; empty slabs beyond min_partial go back to the page allocator.
 *
 * Free pointers are stored inside the free object (at the middle, Linux 6.1's offset; after the
 * object when it is poisoned or has a constructor), XORed with a per-cache random value and the
 * byte-swapped address of the pointer (CONFIG_SLAB_FREELIST_HARDENED), so that a stray write
 * does not give an attacker or a bug a clean pointer; freeing the object at the head of the
 * freelist again is caught on the fast path.
 *
 * Locking (mm/slub.c has the order): a CPU's slab and freelist (kmem_cache_cpu, arch_cpu_id
 * picks it) are under that CPU's lock, taken with local interrupts masked, by the CPU itself and
 * by kmem_cache_shrink flushing it; a node's lists, and the freelist and counters of each slab
 * of the node (a CPU's frozen slab too, which other CPUs free into), are under the node's
 * list_lock; the slab system's cache list under caches_lock. The checker (slab_check,
 * ss_slab_check) takes none: it is for a quiescent cache; kmem_cache_set_debug and
 * kmem_cache_destroy are for a cache no other CPU is using.
 */
#ifndef KMM_SLAB_H
#define KMM_SLAB_H

#include <kmm/gfp.h>
#include <kmm/list.h>
#include <kmm/mmzone.h>
#include <kmm/spinlock.h>
#include <kmm/types.h>

typedef unsigned int slab_flags_t;

/* Cache flags (Linux's values). The debug ones (SLAB_DEBUG_FLAGS) work as slub_debug's. */
#define SLAB_CONSISTENCY_CHECKS 0x00000100u /* 'F': pointer, freelist and state checks */
#define SLAB_RED_ZONE 0x00000400u	    /* 'Z': red zones around each object */
#define SLAB_POISON 0x00000800u		    /* 'P': poison free objects */
#define SLAB_HWCACHE_ALIGN 0x00002000u	    /* align objects to a cache line */
#define SLAB_STORE_USER 0x00010000u	    /* 'U': record the last alloc and free call sites */
#define SLAB_DEBUG_FLAGS (SLAB_CONSISTENCY_CHECKS | SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER)

/* Poison values (Linux's <linux/poison.h>). */
#define POISON_INUSE 0x5a      /* not initialised: padding, a new slab */
#define POISON_FREE 0x6b       /* a free object */
#define POISON_END 0xa5	       /* the last byte of a free object */
#define SLUB_RED_INACTIVE 0xbb /* red zone of a free object */
#define SLUB_RED_ACTIVE 0xcc   /* red zone of an allocated object */

#define KMEM_CACHE_NAME_LEN 32
#define SLAB_CACHE_LINE 64
#define SLUB_MAX_ORDER PAGE_ALLOC_COSTLY_ORDER /* slub_max_order */

/* The last allocation or free of an object (SLAB_STORE_USER). */
struct slab_track {
	unsigned long addr; /* the call site */
	unsigned int cpu;
	unsigned int seq; /* the cache's operation count then (an age without a clock) */
};

struct kmem_cache_cpu {
	spinlock_t lock;   /* freelist and slab (Linux's local_lock, a spinlock as on RT) */
	void *freelist;	   /* free objects of slab only this CPU takes (hardened pointers) */
	struct page *slab; /* the active slab (frozen), or NULL */
};

struct kmem_cache_node {
	spinlock_t list_lock; /* the lists and counts; its slabs' freelists and counters */
	struct page *partial; /* slabs with free objects, not frozen (linked through the page) */
	struct page *full;    /* slabs without free objects, not frozen */
	unsigned long nr_partial, nr_full;
	unsigned long nr_slabs;	     /* every slab of the node, frozen ones included */
	unsigned long total_objects; /* their objects */
};

struct slab_system;

struct kmem_cache {
	char name[KMEM_CACHE_NAME_LEN];
	unsigned int object_size; /* what the user asked for */
	unsigned int size;	  /* the slot: object, red zones, free pointer, tracks, padding */
	uint64_t size_reciprocal; /* ceil(2^40 / size): offset / size without a divide */
	unsigned int align;
	unsigned int offset; /* of the free pointer, from the object */
	unsigned int inuse;  /* object + right red zone: where metadata starts */
	unsigned int red_left_pad;
	unsigned int order;	  /* of each slab */
	unsigned int objects;	  /* per slab */
	unsigned int min_partial; /* empty slabs a node keeps */
	slab_flags_t flags;
	void (*ctor)(void *obj);
	unsigned long random; /* freelist hardening */
	unsigned int seq;     /* debug operations, for track ages (counted under list_lock) */
	struct slab_system *sys;
	struct list_head list; /* on sys->caches, newest first */
	struct kmem_cache_cpu cpu_slab[NR_CPUS];
	struct kmem_cache_node node[MAX_NUMNODES];
};

/* kmalloc sizes: 8 .. 8 KiB slab caches (index = log2 size, 1: 96, 2: 192), beyond: pages. */
#define KMALLOC_SHIFT_LOW 3
#define KMALLOC_SHIFT_HIGH 13
#define KMALLOC_MIN_SIZE (1U << KMALLOC_SHIFT_LOW)
#define KMALLOC_MAX_CACHE_SIZE (1U << KMALLOC_SHIFT_HIGH)
#define KMALLOC_MAX_SIZE (PAGE_SIZE << (MAX_ORDER - 1))
#define NR_KMALLOC_CACHES (KMALLOC_SHIFT_HIGH + 1)

/* kmalloc(0)'s result: not NULL, never dereferenceable, kfree accepts it (Linux's). */
#define ZERO_SIZE_PTR ((void *)16)
#define ZERO_OR_NULL_PTR(x) ((unsigned long)(x) <= (unsigned long)ZERO_SIZE_PTR)

struct slab_system {
	struct mem_system *ms;
	spinlock_t caches_lock; /* caches, random_state, nr_large (Linux's slab_mutex) */
	struct list_head caches;
	struct kmem_cache cache_cache; /* holds every other struct kmem_cache ("kmem_cache") */
	struct kmem_cache *kmalloc_caches[NR_KMALLOC_CACHES];
	slab_flags_t debug_flags; /* added to caches created from now on (slub_debug=) */
	unsigned long nr_reports; /* corruption and misuse reports printed */
	unsigned long nr_large;	  /* live large (page) kmalloc allocations */
	uint64_t random_state;
};

/*
 * Set up @sys on @ms with the kmalloc caches (Linux's kmem_cache_init + create_kmalloc_caches).
 * Returns 0 or -ENOMEM.
 */
int slab_system_init(struct slab_system *sys, struct mem_system *ms);

/* slub_debug= at run time: debug flags (SLAB_DEBUG_FLAGS bits) for caches created after. */
void slab_system_set_debug(struct slab_system *sys, slab_flags_t flags);

/*
 * Create a cache of @size-byte objects aligned to @align (0: a word; SLAB_HWCACHE_ALIGN: a
 * cache line when the object is big enough), with @flags and an optional constructor run once
 * per object when its slab is made. NULL for a bad size or alignment (reported) or no memory.
 */
struct kmem_cache *ss_kmem_cache_create(struct slab_system *sys, const char *name,
					unsigned int size, unsigned int align, slab_flags_t flags,
					void (*ctor)(void *));

/*
 * Change @s's debug flags (SLAB_DEBUG_FLAGS bits) at run time. The object layout depends on
 * them, so this is refused with -EBUSY while the cache has slabs after a shrink.
 */
int kmem_cache_set_debug(struct kmem_cache *s, slab_flags_t flags);

/* An object of @s (zeroed with __GFP_ZERO), or NULL. The caller is recorded with
 * SLAB_STORE_USER; the _caller variant takes it explicitly. */
void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp);
void *kmem_cache_alloc_caller(struct kmem_cache *s, gfp_t gfp, unsigned long caller);

/* Free @obj, an object of @s. A pointer that is not a live object of @s is reported (double
 * free, wrong cache, not an object) and not freed. */
void kmem_cache_free(struct kmem_cache *s, void *obj);

/* Return @s's per-CPU slabs and every empty slab to the page allocator. Returns 0 when the
 * cache has no slab left, 1 when live objects keep some. */
int kmem_cache_shrink(struct kmem_cache *s);

/* Destroy @s (NULL allowed). With live objects it is refused: reported, -EBUSY, @s intact. */
int kmem_cache_destroy(struct kmem_cache *s);

/*
 * The invariant checker: on every node list and per-CPU slab, every object free or live exactly
 * once, freelists acyclic, made of object starts inside their slab, inuse and the list counts
 * agreeing with the lists, slab pages carrying their cache; with debug flags, red zones,
 * poison and padding intact. Returns 0, or -EINVAL after printing the first problem.
 */
int slab_check(struct kmem_cache *s);
/* slab_check on every cache of @sys. */
int ss_slab_check(struct slab_system *sys);

/* Live objects of @s (allocated, not freed). */
unsigned long kmem_cache_live_objects(struct kmem_cache *s);

/* /proc/slabinfo (version 2.1, Linux's format), through printk. */
void show_slabinfo(struct slab_system *sys);

/* The kmalloc family on @sys. See kmalloc & co. below. */
void *ss_kmalloc(struct slab_system *sys, size_t size, gfp_t gfp, unsigned long caller);
void ss_kfree(struct slab_system *sys, const void *p);
void *ss_krealloc(struct slab_system *sys, const void *p, size_t size, gfp_t gfp,
		  unsigned long caller);
size_t ss_ksize(struct slab_system *sys, const void *p);
/* The kmalloc cache serving @size bytes, or NULL beyond KMALLOC_MAX_CACHE_SIZE or for 0. */
struct kmem_cache *ss_kmalloc_slab(struct slab_system *sys, size_t size);

/* ---- the Linux-named calls on slab_default_system ---------------------------------------- */

extern struct slab_system slab_default_system;

/* Set up slab_default_system on mm_default_system (after mm_core_init). 0 or -ENOMEM. */
int kmem_cache_init(void);

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     slab_flags_t flags, void (*ctor)(void *));

/*
 * @size bytes: a kmalloc cache's object up to 8 KiB (power-of-two sizes naturally aligned,
 * without debugging), a page block beyond; ZERO_SIZE_PTR for 0; NULL when out of memory.
 */
void *kmalloc(size_t size, gfp_t gfp);
void *kzalloc(size_t size, gfp_t gfp);
/* @n * @size bytes, zeroed; NULL when the product overflows. */
void *kcalloc(size_t n, size_t size, gfp_t gfp);
/* Resize @p (NULL: kmalloc) keeping min(old, new) bytes; @size 0 frees and gives
 * ZERO_SIZE_PTR. NULL on failure (@p is then untouched). */
void *krealloc(const void *p, size_t size, gfp_t gfp);
/* The usable size of @p: its cache's object size, or its page block's size. */
size_t ksize(const void *p);
/* Free @p (NULL and ZERO_SIZE_PTR allowed). A pointer kmalloc did not return is reported
 * ("kfree: invalid pointer") and nothing is freed. */
void kfree(const void *p);

#endif /* KMM_SLAB_H */

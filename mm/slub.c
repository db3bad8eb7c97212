// SPDX-License-Identifier: MIT
/*
 * The slab allocator, SLUB-style (Linux 6.1's mm/slub.c), and the kmalloc family on it. The
 * design, the struct page use and the hardening are described in <kmm/slab.h>.
 *
 * Debug caches (any SLAB_DEBUG_FLAGS bit) take every object from and give it back to its slab
 * directly, without the per-CPU freelist, so that each operation can be checked (as Linux's
 * debug caches go through ___slab_alloc and free_debug_processing each time).
 *
 * Locking, in the order Linux 6.1's mm/slub.c takes its locks (kmm has no cmpxchg_double, so
 * what Linux's slab_lock guards, a slab's freelist and counters, is under list_lock here):
 *
 *   sys->caches_lock		the cache list, the random state, nr_large (Linux's slab_mutex)
 *     c->lock			a CPU's kmem_cache_cpu: its slab and freelist; local
 *				interrupts masked (Linux's local_lock)
 *       n->list_lock		a node's partial and full lists and counts; the freelist,
 *				inuse, frozen bit and list of each of its slabs; s->seq
 *         pcp->lock, zone->lock	the page allocator's (mm/page_alloc.c), for new slabs
 *
 * The fast paths take only their CPU's c->lock; its slow path takes a node's list_lock inside
 * it, and allocates a new slab holding c->lock only. A frozen slab belongs to its CPU's c->lock
 * for its place (no list) and to list_lock for its freelist, into which other CPUs free. Slabs
 * are discarded (their pages freed) after list_lock is dropped. The report counter
 * sys->nr_reports is a plain increment: concurrent reports may miss a count.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>

struct slab_system slab_default_system;

/* ---- the slab's struct page ---------------------------------------------------------------- */

/* Which node list a slab is on. */
enum slab_list { SLAB_ON_NONE, SLAB_ON_PARTIAL, SLAB_ON_FULL };

/* The counters, kept in the head page's _mapcount (restored to -1 before the page is freed). */
#define SC_INUSE GENMASK(15, 0)
#define SC_FROZEN BIT(16)
#define SC_LIST GENMASK(18, 17)
#define MAX_OBJS_PER_SLAB 4096u

static unsigned int slab_counters(const struct page *slab)
{
	return (unsigned int)slab->_mapcount;
}

static void slab_set_counters(struct page *slab, uint64_t v)
{
	slab->_mapcount = (int)(unsigned int)v;
}

static unsigned int slab_inuse(const struct page *slab)
{
	return (unsigned int)FIELD_GET(SC_INUSE, slab_counters(slab));
}

static void slab_set_inuse(struct page *slab, unsigned int n)
{
	slab_set_counters(slab, (slab_counters(slab) & ~SC_INUSE) | FIELD_PREP(SC_INUSE, n));
}

static bool slab_frozen(const struct page *slab)
{
	return slab_counters(slab) & SC_FROZEN;
}

static void slab_set_frozen(struct page *slab, bool frozen)
{
	slab_set_counters(slab, (slab_counters(slab) & ~SC_FROZEN) | (frozen ? SC_FROZEN : 0));
}

static enum slab_list slab_on(const struct page *slab)
{
	return (enum slab_list)FIELD_GET(SC_LIST, slab_counters(slab));
}

static void slab_set_on(struct page *slab, enum slab_list l)
{
	slab_set_counters(slab, (slab_counters(slab) & ~SC_LIST) | FIELD_PREP(SC_LIST, l));
}

/* Node lists: NULL-terminated, doubly linked through mapping (next) and private (previous). */
static struct page *slab_next(const struct page *slab)
{
	return slab->mapping;
}

static void slab_list_push(struct page **head, struct page *slab)
{
	slab->mapping = *head;
	slab->private = 0;
	if (*head)
		(*head)->private = (unsigned long)slab;
	*head = slab;
}

static void slab_list_unlink(struct page **head, struct page *slab)
{
	struct page *next = slab->mapping, *prev = (struct page *)slab->private;

	if (prev)
		prev->mapping = next;
	else
		*head = next;
	if (next)
		next->private = (unsigned long)prev;
	slab->mapping = NULL;
	slab->private = 0;
}

static struct kmem_cache_node *slab_node(struct kmem_cache *s, const struct page *slab)
{
	return &s->node[page_to_nid(slab)];
}

static void add_partial(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = slab_node(s, slab);

	slab_list_push(&n->partial, slab);
	n->nr_partial++;
	slab_set_on(slab, SLAB_ON_PARTIAL);
}

static void add_full(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = slab_node(s, slab);

	slab_list_push(&n->full, slab);
	n->nr_full++;
	slab_set_on(slab, SLAB_ON_FULL);
}

/* Take @slab off the node list it is on (if any). */
static void remove_from_list(struct kmem_cache *s, struct page *slab)
{
	struct kmem_cache_node *n = slab_node(s, slab);

	if (slab_on(slab) == SLAB_ON_PARTIAL) {
		slab_list_unlink(&n->partial, slab);
		n->nr_partial--;
	} else if (slab_on(slab) == SLAB_ON_FULL) {
		slab_list_unlink(&n->full, slab);
		n->nr_full--;
	}
	slab_set_on(slab, SLAB_ON_NONE);
}

static uint8_t *slab_address(const struct kmem_cache *s, const struct page *slab)
{
	return ms_page_address(s->sys->ms, slab);
}

static uint8_t *slab_object(const struct kmem_cache *s, uint8_t *base, unsigned int i)
{
	return base + (size_t)i * s->size + s->red_left_pad;
}

static unsigned int object_index(const struct kmem_cache *s, const struct page *slab,
				 const void *obj)
{
	return (unsigned int)(((const uint8_t *)obj - slab_address(s, slab)) / s->size);
}

/* @p is the start of an object of @slab (Linux's check_valid_pointer, NULL excluded). */
static bool valid_object(const struct kmem_cache *s, const struct page *slab, const void *p)
{
	const uint8_t *base = slab_address(s, slab);
	uintptr_t off = (uintptr_t)p - (uintptr_t)base;

	uint64_t rel = off - s->red_left_pad;

	/* Linux's obj_to_index divides by multiplying; exact here since a slab offset is below
	 * 2^23 and a slot below 2^17 bytes, so the rounding error stays under 1/size. */
	return (const uint8_t *)p >= base && off >= s->red_left_pad &&
	       off < (uintptr_t)s->objects * s->size &&
	       ((rel * s->size_reciprocal) >> 40) * s->size == rel;
}

/* ---- hardened free pointers ---------------------------------------------------------------- */

static void *freelist_ptr(const struct kmem_cache *s, uintptr_t stored, uintptr_t where)
{
	return (void *)(stored ^ s->random ^ __builtin_bswap64(where));
}

static void *get_freepointer(const struct kmem_cache *s, const void *obj)
{
	uintptr_t where = (uintptr_t)obj + s->offset, stored;

	__builtin_memcpy(&stored, (const void *)where, sizeof(stored));
	return freelist_ptr(s, stored, where);
}

static void set_freepointer(const struct kmem_cache *s, void *obj, const void *fp)
{
	uintptr_t where = (uintptr_t)obj + s->offset;
	uintptr_t stored = (uintptr_t)fp ^ s->random ^ __builtin_bswap64(where);

	BUG_ON(obj == fp); /* callers catch a double free before linking an object to itself */
	__builtin_memcpy((void *)where, &stored, sizeof(stored));
}

/* ---- debugging: layout, poison, red zones, tracks, reports --------------------------------- */

enum track_item { TRACK_ALLOC, TRACK_FREE };

static bool kmem_cache_debug(const struct kmem_cache *s)
{
	return s->flags & SLAB_DEBUG_FLAGS;
}

/* Poison the object itself: only without a constructor (Linux's __OBJECT_POISON). */
static bool object_poisoned(const struct kmem_cache *s)
{
	return (s->flags & SLAB_POISON) && !s->ctor;
}

/* Where the metadata after the object and free pointer ends (Linux's get_info_end). */
static unsigned int info_end(const struct kmem_cache *s)
{
	return s->offset >= s->inuse ? s->inuse + (unsigned int)sizeof(void *) : s->inuse;
}

static struct slab_track *get_track(const struct kmem_cache *s, void *obj, enum track_item t)
{
	return (struct slab_track *)((uint8_t *)obj + info_end(s)) + t;
}

static void set_track(struct kmem_cache *s, void *obj, enum track_item t, unsigned long addr)
{
	struct slab_track tr = { .addr = addr, .cpu = arch_cpu_id(), .seq = s->seq };

	__builtin_memcpy(get_track(s, obj, t), &tr, sizeof(tr));
}

/* Bytes from the end of the tracks to the end of the slot: checked as padding. */
static unsigned int pad_start(const struct kmem_cache *s)
{
	unsigned int off = info_end(s);

	if (s->flags & SLAB_STORE_USER)
		off += 2 * (unsigned int)sizeof(struct slab_track);
	return off;
}

static void count_report(const struct kmem_cache *s)
{
	s->sys->nr_reports++;
}

/* The banner of every report (Linux's slab_bug). */
static void slab_bug(const struct kmem_cache *s, const char *what)
{
	count_report(s);
	printk("=============================================================================\n");
	printk("BUG %s (Not tainted): %s\n", s->name, what);
	printk("-----------------------------------------------------------------------------\n\n");
}

static void print_track(const struct kmem_cache *s, const char *what, const struct slab_track *t)
{
	if (!t->addr)
		return;
	printk("INFO: %s in %#lx age=%u cpu=%u pid=0\n", what, t->addr, s->seq - t->seq, t->cpu);
}

/* A hex dump of @len bytes at @p, 16 a line, prefixed with @text (Linux's print_section). */
static void print_section(const char *text, const uint8_t *p, unsigned int len)
{
	for (unsigned int i = 0; i < len; i += 16) {
		char line[16 * 3 + 1];
		int n = 0;

		for (unsigned int j = i; j < len && j < i + 16; j++)
			n += kmm_snprintf(line + n, sizeof(line) - (size_t)n, " %02x", p[j]);
		printk("%s%p:%s\n", text, (const void *)(p + i), line);
	}
}

/* Where the object stands, its tracks and its bytes (Linux's print_trailer). */
static void print_trailer(const struct kmem_cache *s, struct page *slab, uint8_t *obj)
{
	const uint8_t *base = slab_address(s, slab);

	if (s->flags & SLAB_STORE_USER) {
		print_track(s, "Allocated", get_track(s, obj, TRACK_ALLOC));
		print_track(s, "Freed", get_track(s, obj, TRACK_FREE));
	}
	printk("INFO: Slab %p objects=%u used=%u fp=%p flags=%#lx\n", (void *)slab, s->objects,
	       slab_inuse(slab), slab->freelist, slab->flags);
	printk("INFO: Object %p @offset=%zu fp=%p\n\n", (void *)obj, (size_t)(obj - base),
	       get_freepointer(s, obj));
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", obj - s->red_left_pad, s->red_left_pad);
	print_section("Object   ", obj, s->object_size < 256 ? s->object_size : 256);
	if (s->flags & SLAB_RED_ZONE)
		print_section("Redzone  ", obj + s->object_size, s->inuse - s->object_size);
}

static void object_err(const struct kmem_cache *s, struct page *slab, void *obj, const char *reason)
{
	slab_bug(s, reason);
	print_trailer(s, slab, obj);
}

/*
 * Check that [@start, @start + @bytes) all hold @value; otherwise report the first and last
 * bad byte, the offset of the first from the slab's start, and the object, then restore the
 * bytes (Linux's check_bytes_and_report and slab_fix). Returns whether they were intact.
 */
static bool check_bytes(const struct kmem_cache *s, struct page *slab, uint8_t *obj,
			const char *what, uint8_t *start, uint8_t value, unsigned int bytes)
{
	uint8_t *fault = start, *end = start + bytes;
	char title[64];

	while (fault < end && *fault == value)
		fault++;
	if (fault == end)
		return true;
	while (end > fault && end[-1] == value)
		end--;
	kmm_snprintf(title, sizeof(title), "%s overwritten", what);
	slab_bug(s, title);
	printk("INFO: %p-%p @offset=%zu. First byte 0x%x instead of 0x%x\n", (void *)fault,
	       (void *)(end - 1), (size_t)(fault - slab_address(s, slab)), *fault, value);
	print_trailer(s, slab, obj);
	printk("FIX %s: Restoring %s %p-%p=0x%x\n\n", s->name, what, (void *)fault,
	       (void *)(end - 1), value);
	__builtin_memset(fault, value, (size_t)(end - fault));
	return false;
}

/* Fill the red zones with @val and, for a free object, the poison (Linux's init_object). */
static void init_object(const struct kmem_cache *s, uint8_t *obj, uint8_t val)
{
	if (s->flags & SLAB_RED_ZONE) {
		__builtin_memset(obj - s->red_left_pad, val, s->red_left_pad);
		__builtin_memset(obj + s->object_size, val, s->inuse - s->object_size);
	}
	if (object_poisoned(s) && val == SLUB_RED_INACTIVE) {
		__builtin_memset(obj, POISON_FREE, s->object_size - 1);
		obj[s->object_size - 1] = POISON_END;
	}
}

/*
 * Check an object's red zones (@val: active for a live object, inactive for a free one),
 * poison (free objects), padding and free pointer (Linux's check_object). Bad bytes are
 * reported and restored. Returns whether all was intact.
 */
static bool check_object(const struct kmem_cache *s, struct page *slab, uint8_t *obj, uint8_t val)
{
	bool ok = true;

	if (s->flags & SLAB_RED_ZONE) {
		ok &= check_bytes(s, slab, obj, "Left Redzone", obj - s->red_left_pad, val,
				  s->red_left_pad);
		ok &= check_bytes(s, slab, obj, "Right Redzone", obj + s->object_size, val,
				  s->inuse - s->object_size);
	}
	if (object_poisoned(s) && val == SLUB_RED_INACTIVE) {
		ok &= check_bytes(s, slab, obj, "Poison", obj, POISON_FREE, s->object_size - 1);
		ok &= check_bytes(s, slab, obj, "End Poison", obj + s->object_size - 1, POISON_END,
				  1);
	}
	if (s->flags & SLAB_POISON)
		ok &= check_bytes(s, slab, obj, "Object padding", obj + pad_start(s), POISON_INUSE,
				  s->size - s->red_left_pad - pad_start(s));
	if (val == SLUB_RED_INACTIVE) {
		void *fp = get_freepointer(s, obj);

		if (fp && !valid_object(s, slab, fp)) {
			object_err(s, slab, obj, "Freepointer corrupt");
			set_freepointer(s, obj, NULL);
			ok = false;
		}
	}
	return ok;
}

/* @obj is on @slab's freelist (a bounded walk: a cycle cannot hang it). */
static bool on_freelist(const struct kmem_cache *s, const struct page *slab, const void *obj)
{
	const void *p = slab->freelist;

	for (unsigned int n = 0; p && n <= s->objects; n++) {
		if (p == obj)
			return true;
		if (!valid_object(s, slab, p))
			return false;
		p = get_freepointer(s, p);
	}
	return false;
}

/* ---- layout and order ---------------------------------------------------------------------- */

static unsigned int order_objects(unsigned int order, unsigned int size)
{
	return (unsigned int)((PAGE_SIZE << order) / size);
}

static unsigned int get_order(uint64_t size)
{
	unsigned int order = 0;

	while (order < MAX_ORDER && (PAGE_SIZE << order) < size)
		order++;
	return order;
}

/* The lowest order from which @min_objects objects fit and the waste is at most 1/@fract
 * of the slab (Linux's calc_slab_order). */
static unsigned int calc_slab_order(unsigned int size, unsigned int min_objects,
				    unsigned int max_order, unsigned int fract)
{
	unsigned int order = get_order((uint64_t)min_objects * size);

	for (; order <= max_order; order++) {
		unsigned long slab_size = PAGE_SIZE << order;

		if (slab_size % size <= slab_size / fract)
			break;
	}
	return order;
}

/* Linux's calculate_order: as many objects as the CPU count suggests, waste at most 1/16 ..
 * 1/4, within slub_max_order, relaxing each in turn. Returns MAX_ORDER when nothing fits. */
static unsigned int calculate_order(unsigned int size, unsigned int nr_cpus)
{
	unsigned int min_objects = 4 * (32 - (unsigned int)__builtin_clz(nr_cpus | 1) + 1);
	unsigned int max_objects = order_objects(SLUB_MAX_ORDER, size), order;

	if (min_objects > max_objects)
		min_objects = max_objects;
	for (; min_objects > 1; min_objects--) {
		for (unsigned int fraction = 16; fraction >= 4; fraction /= 2) {
			order = calc_slab_order(size, min_objects, SLUB_MAX_ORDER, fraction);
			if (order <= SLUB_MAX_ORDER)
				return order;
		}
	}
	order = calc_slab_order(size, 1, SLUB_MAX_ORDER, 1);
	if (order <= SLUB_MAX_ORDER)
		return order;
	return calc_slab_order(size, 1, MAX_ORDER - 1, 1);
}

/*
 * Lay out the slot (Linux's calculate_sizes): [left red zone][object][right red zone to a
 * word, at least a word][free pointer, when poisoned or constructed][tracks][padding]. Returns
 * false when no slab order can hold an object.
 */
static bool calculate_sizes(struct kmem_cache *s)
{
	slab_flags_t f = s->flags;
	unsigned int size = (unsigned int)ALIGN_UP(s->object_size, sizeof(void *));

	if ((f & SLAB_RED_ZONE) && size == s->object_size)
		size += sizeof(void *);
	s->inuse = size;
	if ((f & SLAB_POISON) || s->ctor) {
		s->offset = size;
		size += sizeof(void *);
	} else {
		s->offset = (unsigned int)ALIGN_DOWN(s->object_size / 2, sizeof(void *));
	}
	if (f & SLAB_STORE_USER)
		size += 2 * sizeof(struct slab_track);
	s->red_left_pad = 0;
	if (f & SLAB_RED_ZONE) {
		size += sizeof(void *);
		s->red_left_pad = (unsigned int)ALIGN_UP(sizeof(void *), s->align);
		size += s->red_left_pad;
	}
	s->size = (unsigned int)ALIGN_UP(size, s->align);
	s->size_reciprocal = ((1ULL << 40) + s->size - 1) / s->size;
	s->order = calculate_order(s->size, s->sys->ms->nr_cpus);
	if (s->order >= MAX_ORDER)
		return false;
	s->objects = order_objects(s->order, s->size);
	return s->objects >= 1 && s->objects <= MAX_OBJS_PER_SLAB;
}

/* Linux's calculate_alignment: a cache line (halved while the object fits twice) with
 * SLAB_HWCACHE_ALIGN, at least @align, at least a word. */
static unsigned int calculate_alignment(slab_flags_t flags, unsigned int align, unsigned int size)
{
	unsigned int a = (unsigned int)sizeof(void *);

	if (flags & SLAB_HWCACHE_ALIGN) {
		unsigned int ralign = SLAB_CACHE_LINE;

		while (size <= ralign / 2)
			ralign /= 2;
		if (ralign > a)
			a = ralign;
	}
	return align > a ? align : a;
}

/* ---- slabs from and back to the page allocator --------------------------------------------- */

static void setup_object(struct kmem_cache *s, uint8_t *obj)
{
	if (s->flags & SLAB_STORE_USER)
		__builtin_memset(get_track(s, obj, TRACK_ALLOC), 0, 2 * sizeof(struct slab_track));
	if (kmem_cache_debug(s))
		init_object(s, obj, SLUB_RED_INACTIVE);
	if (s->ctor)
		s->ctor(obj);
}

/* Mark the 2^order pages of a new slab: PG_slab, the cache, tails pointing at the head. */
static void mark_slab_pages(struct kmem_cache *s, struct page *slab)
{
	for (unsigned long i = 0; i < (1UL << s->order); i++) {
		set_page_flag(slab + i, PG_slab);
		slab[i].slab_cache = s;
		slab[i].freelist = i ? slab : NULL;
	}
	slab->mapping = NULL;
	slab->private = 0;
	slab_set_counters(slab, 0);
}

/* A new slab: its pages marked, every object free on its freelist in address order. */
static struct page *allocate_slab(struct kmem_cache *s, gfp_t gfp)
{
	gfp_t mask = __GFP_ZERO | __GFP_HIGHMEM | __GFP_MOVABLE;
	struct page *slab = ms_alloc_pages(s->sys->ms, (gfp & ~mask) | __GFP_COMP, s->order);
	uint8_t *base, *next = NULL;

	if (!slab)
		return NULL;
	mark_slab_pages(s, slab);
	base = slab_address(s, slab);
	if (s->flags & SLAB_POISON)
		__builtin_memset(base, POISON_INUSE, PAGE_SIZE << s->order);
	for (unsigned int i = s->objects; i-- > 0;) {
		uint8_t *obj = slab_object(s, base, i);

		setup_object(s, obj);
		set_freepointer(s, obj, next);
		next = obj;
	}
	slab->freelist = next;
	return slab;
}

/* Count @nr slabs more (or fewer) in node @n of @s; its list_lock held. */
static void node_account(struct kmem_cache *s, struct kmem_cache_node *n, long nr)
{
	n->nr_slabs += (unsigned long)nr;
	n->total_objects += (unsigned long)(nr * (long)s->objects);
}

/* Give an empty slab, unaccounted, on no list and not frozen, back to the page allocator. */
static void free_slab(struct kmem_cache *s, struct page *slab)
{
	for (unsigned long i = 0; i < (1UL << s->order); i++) {
		clear_page_flag(slab + i, PG_slab);
		slab[i].slab_cache = NULL;
		slab[i].freelist = NULL;
	}
	slab->mapping = NULL;
	slab->private = 0;
	slab->_mapcount = -1;
	ms_free_pages(s->sys->ms, slab, s->order);
}

/* ---- node level: slabs on the partial and full lists ---------------------------------------- */

/*
 * The first partial slab, local node (0) first, taken off its list. It is returned with its
 * node's list_lock held, taken with interrupts masked (their mask before in *@flags); NULL,
 * with no lock held, when there is none.
 */
static struct page *get_partial(struct kmem_cache *s, unsigned long *flags)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct kmem_cache_node *n = &s->node[nid];
		struct page *slab;

		if (!READ_ONCE(n->partial)) /* a peek, as Linux's get_partial_node */
			continue;
		spin_lock_irqsave(&n->list_lock, *flags);
		slab = n->partial;
		if (slab) {
			remove_from_list(s, slab);
			return slab;
		}
		spin_unlock_irqrestore(&n->list_lock, *flags);
	}
	return NULL;
}

/* A slab off its node's lists: a partial one, else a new one, accounted to its node; returned
 * with the node's list_lock held as get_partial's. NULL, no lock held, without memory. */
static struct page *get_node_slab(struct kmem_cache *s, gfp_t gfp, unsigned long *flags)
{
	struct page *slab = get_partial(s, flags);
	struct kmem_cache_node *n;

	if (slab)
		return slab;
	slab = allocate_slab(s, gfp);
	if (!slab)
		return NULL;
	n = slab_node(s, slab);
	spin_lock_irqsave(&n->list_lock, *flags);
	node_account(s, n, 1);
	return slab;
}

/*
 * Put @obj on @slab's freelist, its node's list_lock held, and move the slab unless it is frozen:
 * off the full list, or off its list and unaccounted when empty and the node keeps min_partial
 * already. Returns whether the slab is to be freed (free_slab, once the lock is dropped).
 */
static bool free_to_node(struct kmem_cache *s, struct page *slab, void *obj)
{
	struct kmem_cache_node *n = slab_node(s, slab);
	bool was_full = slab_on(slab) == SLAB_ON_FULL;

	set_freepointer(s, obj, slab->freelist);
	slab->freelist = obj;
	slab_set_inuse(slab, slab_inuse(slab) - 1);
	if (slab_frozen(slab))
		return false;
	if (!slab_inuse(slab) && n->nr_partial >= s->min_partial) {
		remove_from_list(s, slab);
		node_account(s, n, -1);
		return true;
	}
	if (was_full) {
		remove_from_list(s, slab);
		add_partial(s, slab);
	}
	return false;
}

/* Give CPU @c's slab back to its node with the CPU's free objects (Linux's deactivate_slab);
 * @c's lock held. */
static void deactivate_slab(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	struct page *slab = c->slab;
	struct kmem_cache_node *n = slab_node(s, slab);
	void *p = c->freelist;
	unsigned long flags;
	bool discard;

	lockdep_assert_held(&c->lock);
	WRITE_ONCE(c->slab, NULL);
	c->freelist = NULL;
	spin_lock_irqsave(&n->list_lock, flags);
	while (p) {
		void *next = get_freepointer(s, p);

		set_freepointer(s, p, slab->freelist);
		slab->freelist = p;
		slab_set_inuse(slab, slab_inuse(slab) - 1);
		p = next;
	}
	slab_set_frozen(slab, false);
	discard = !slab_inuse(slab) && n->nr_partial >= s->min_partial;
	if (discard)
		node_account(s, n, -1);
	else if (slab->freelist)
		add_partial(s, slab);
	else
		add_full(s, slab);
	spin_unlock_irqrestore(&n->list_lock, flags);
	if (discard)
		free_slab(s, slab);
}

/* Deactivate every CPU's slab, each under its CPU's lock (Linux's flush_all). */
static void flush_cpu_slabs(struct kmem_cache *s)
{
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct kmem_cache_cpu *c = &s->cpu_slab[cpu];
		unsigned long flags;

		spin_lock_irqsave(&c->lock, flags);
		if (c->slab)
			deactivate_slab(s, c);
		spin_unlock_irqrestore(&c->lock, flags);
	}
}

/* ---- allocation ---------------------------------------------------------------------------- */

/*
 * The slow path (Linux's ___slab_alloc), @c's lock held: the objects freed to the CPU slab by
 * others, else a partial slab, else a new one, frozen as the CPU's slab with its whole freelist
 * taken.
 */
static void *slab_alloc_slow(struct kmem_cache *s, struct kmem_cache_cpu *c, gfp_t gfp)
{
	struct page *slab = c->slab;
	unsigned long flags;
	void *freelist;

	if (slab) {
		spin_lock_irqsave(&slab_node(s, slab)->list_lock, flags);
		if (!slab->freelist) {
			spin_unlock_irqrestore(&slab_node(s, slab)->list_lock, flags);
			deactivate_slab(s, c);
			slab = NULL;
		}
	}
	if (!slab) {
		slab = get_node_slab(s, gfp, &flags);
		if (!slab)
			return NULL;
		slab_set_frozen(slab, true);
		WRITE_ONCE(c->slab, slab);
	}
	freelist = slab->freelist;
	slab->freelist = NULL;
	slab_set_inuse(slab, s->objects);
	spin_unlock_irqrestore(&slab_node(s, slab)->list_lock, flags);
	c->freelist = get_freepointer(s, freelist);
	return freelist;
}

/*
 * A debug cache's allocation from @slab, off its node's lists with their list_lock held (Linux's
 * alloc_debug_processing): its first free object, checked (bad bytes reported and restored),
 * red zones made active, the caller recorded; the slab back on the list its free objects say.
 * A slab whose freelist does not start with a valid object is reported and marked full (Linux's
 * "Marking all objects used"): NULL then.
 */
static void *alloc_debug_from(struct kmem_cache *s, struct page *slab, unsigned long caller)
{
	uint8_t *obj = slab->freelist;

	if (!valid_object(s, slab, obj)) {
		slab_bug(s, "Freelist Pointer check fails");
		printk("INFO: Slab %p freelist %p: marking all objects used\n", (void *)slab,
		       slab->freelist);
		slab->freelist = NULL;
		slab_set_inuse(slab, s->objects);
		add_full(s, slab);
		return NULL;
	}
	s->seq++;
	check_object(s, slab, obj, SLUB_RED_INACTIVE);
	/* a free pointer found corrupt was cut: the objects after it are lost, counted used */
	slab->freelist = get_freepointer(s, obj);
	slab_set_inuse(slab, slab->freelist ? slab_inuse(slab) + 1 : s->objects);
	if (slab->freelist)
		add_partial(s, slab);
	else
		add_full(s, slab);
	if (s->flags & SLAB_STORE_USER)
		set_track(s, obj, TRACK_ALLOC, caller);
	init_object(s, obj, SLUB_RED_ACTIVE);
	return obj;
}

/* A debug cache's allocation: from node slabs, until one's freelist is sound. */
static void *slab_alloc_debug(struct kmem_cache *s, gfp_t gfp, unsigned long caller)
{
	void *obj = NULL;

	while (!obj) {
		unsigned long flags;
		struct page *slab = get_node_slab(s, gfp, &flags);

		if (!slab)
			return NULL;
		obj = alloc_debug_from(s, slab, caller);
		spin_unlock_irqrestore(&slab_node(s, slab)->list_lock, flags);
	}
	return obj;
}

void *kmem_cache_alloc_caller(struct kmem_cache *s, gfp_t gfp, unsigned long caller)
{
	struct kmem_cache_cpu *c;
	unsigned long flags;
	void *obj;

	if (unlikely(kmem_cache_debug(s))) {
		obj = slab_alloc_debug(s, gfp, caller);
	} else {
		c = &s->cpu_slab[arch_cpu_id()];
		spin_lock_irqsave(&c->lock, flags);
		obj = c->freelist;
		if (likely(obj))
			c->freelist = get_freepointer(s, obj);
		else
			obj = slab_alloc_slow(s, c, gfp);
		spin_unlock_irqrestore(&c->lock, flags);
	}
	if (obj && (gfp & __GFP_ZERO))
		__builtin_memset(obj, 0, s->object_size);
	return obj;
}

__attribute__((noinline)) void *kmem_cache_alloc(struct kmem_cache *s, gfp_t gfp)
{
	return kmem_cache_alloc_caller(s, gfp, (unsigned long)__builtin_return_address(0));
}

/* ---- freeing ------------------------------------------------------------------------------- */

/* A debug cache's free checks, its node's list_lock held (Linux's free_debug_processing):
 * refused, with a report, for an object already free or with damaged red zones or padding;
 * else the free recorded and the object made free-looking. Whether it may be freed. */
static bool slab_free_debug(struct kmem_cache *s, struct page *slab, uint8_t *obj,
			    unsigned long caller)
{
	bool ok;

	s->seq++;
	if ((s->flags & SLAB_CONSISTENCY_CHECKS) && on_freelist(s, slab, obj)) {
		object_err(s, slab, obj, "Object already free");
		ok = false;
	} else {
		ok = check_object(s, slab, obj, SLUB_RED_ACTIVE);
	}
	if (!ok) {
		printk("FIX %s: Object at %p not freed\n", s->name, (void *)obj);
		return false;
	}
	if (s->flags & SLAB_STORE_USER)
		set_track(s, obj, TRACK_FREE, caller);
	init_object(s, obj, SLUB_RED_INACTIVE);
	return true;
}

static void report_double_free(struct kmem_cache *s, struct page *slab, void *obj)
{
	object_err(s, slab, obj, "Object already free");
	printk("FIX %s: Object at %p not freed (double free)\n", s->name, obj);
}

/* Free @obj of @slab, not this CPU's slab, under the slab's node's list_lock. */
static void slab_free_to_node(struct kmem_cache *s, struct page *slab, void *obj,
			      unsigned long caller)
{
	struct kmem_cache_node *n = slab_node(s, slab);
	bool discard = false;
	unsigned long flags;

	spin_lock_irqsave(&n->list_lock, flags);
	/* the naive double-free check on the slab's freelist; no object in use means none can
	 * be freed */
	if (unlikely(obj == slab->freelist || !slab_inuse(slab)))
		report_double_free(s, slab, obj);
	else if (likely(!kmem_cache_debug(s)) || slab_free_debug(s, slab, obj, caller))
		discard = free_to_node(s, slab, obj);
	spin_unlock_irqrestore(&n->list_lock, flags);
	if (discard)
		free_slab(s, slab);
}

/*
 * Free @obj, a valid object start of @slab of @s: onto this CPU's freelist when @slab is this
 * CPU's slab, else to the slab under its node's list_lock. The first look at c->slab is without
 * the lock, as Linux's fast path looks: only this CPU makes @slab its slab, so a slab that is not
 * this CPU's cannot become it meanwhile but by an interrupt, and then its free goes through the
 * frozen slab's freelist, which is correct too. A slab that is this CPU's is checked again under
 * the lock (another CPU's kmem_cache_shrink may have flushed it).
 */
static void slab_free(struct kmem_cache *s, struct page *slab, void *obj, unsigned long caller)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[arch_cpu_id()];
	unsigned long flags;

	if (likely(READ_ONCE(c->slab) == slab)) {
		spin_lock_irqsave(&c->lock, flags);
		if (likely(c->slab == slab)) {
			/* the naive double-free check of set_freepointer, on the fast path */
			if (unlikely(obj == c->freelist)) {
				report_double_free(s, slab, obj);
			} else {
				set_freepointer(s, obj, c->freelist);
				c->freelist = obj;
			}
			spin_unlock_irqrestore(&c->lock, flags);
			return;
		}
		spin_unlock_irqrestore(&c->lock, flags);
	}
	slab_free_to_node(s, slab, obj, caller);
}

/* The slab of @p when @p is the start of an object of a cache of @sys, else NULL. */
static struct page *virt_to_slab(struct slab_system *sys, const void *p)
{
	struct page *page = ms_virt_to_page(sys->ms, p), *head;
	struct kmem_cache *s;

	if (!page || !page_flag(page, PG_slab))
		return NULL;
	head = FIELD_GET(PAGE_ORDER_MASK, page->flags) ? page : page->freelist;
	if (!ms_page_valid(sys->ms, head) || !page_flag(head, PG_slab) ||
	    head->slab_cache != page->slab_cache)
		return NULL;
	s = head->slab_cache;
	return s->sys == sys && valid_object(s, head, p) ? head : NULL;
}

static void report_invalid(struct slab_system *sys, const char *who, const void *p)
{
	sys->nr_reports++;
	printk("%s: invalid pointer %p (not an object start of a slab, nor a large kmalloc)\n", who,
	       p);
}

__attribute__((noinline)) void kmem_cache_free(struct kmem_cache *s, void *obj)
{
	struct page *slab;

	if (!obj)
		return;
	slab = virt_to_slab(s->sys, obj);
	if (!slab) {
		report_invalid(s->sys, "kmem_cache_free", obj);
	} else if (slab->slab_cache != s) {
		s->sys->nr_reports++;
		printk("kmem_cache_free: Wrong slab cache. %s but object %p is from %s\n", s->name,
		       obj, ((struct kmem_cache *)slab->slab_cache)->name);
	} else {
		slab_free(s, slab, obj, (unsigned long)__builtin_return_address(0));
	}
}

/* ---- caches -------------------------------------------------------------------------------- */

static uint64_t next_random(struct slab_system *sys)
{
	uint64_t z = (sys->random_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void copy_name(char *dst, const char *src)
{
	size_t i = 0;

	for (; src[i] && i < KMEM_CACHE_NAME_LEN - 1; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* Fill in @s (zeroed) and put it on @sys's list (Linux's kmem_cache_open). */
static bool kmem_cache_open(struct slab_system *sys, struct kmem_cache *s, const char *name,
			    unsigned int size, unsigned int align, slab_flags_t flags,
			    void (*ctor)(void *))
{
	unsigned int ilog2;

	copy_name(s->name, name);
	s->sys = sys;
	s->object_size = size;
	s->flags = flags | sys->debug_flags;
	s->align = calculate_alignment(flags, align, size);
	s->ctor = ctor;
	if (!calculate_sizes(s))
		return false;
	ilog2 = 31 - (unsigned int)__builtin_clz(s->size);
	s->min_partial = ilog2 / 2 < 5 ? 5 : ilog2 / 2 > 10 ? 10 : ilog2 / 2;
	spin_lock(&sys->caches_lock);
	s->random = (unsigned long)next_random(sys);
	list_add(&s->list, &sys->caches);
	spin_unlock(&sys->caches_lock);
	return true;
}

struct kmem_cache *ss_kmem_cache_create(struct slab_system *sys, const char *name,
					unsigned int size, unsigned int align, slab_flags_t flags,
					void (*ctor)(void *))
{
	struct kmem_cache *s;

	if (!size || size > KMALLOC_MAX_SIZE || (align & (align - 1)) || align > PAGE_SIZE) {
		printk("kmem_cache_create(%s) failed: bad size %u or alignment %u\n", name, size,
		       align);
		return NULL;
	}
	s = kmem_cache_alloc_caller(&sys->cache_cache, GFP_KERNEL | __GFP_ZERO,
				    (unsigned long)__builtin_return_address(0));
	if (!s)
		return NULL;
	if (!kmem_cache_open(sys, s, name, size, align, flags, ctor)) {
		printk("kmem_cache_create(%s) failed: no slab order holds a %u-byte object\n", name,
		       size);
		kmem_cache_free(&sys->cache_cache, s);
		return NULL;
	}
	return s;
}

/* Discard every empty slab on @s's partial lists: unlinked under the node's list_lock onto a
 * private list (through mapping), freed after. */
static void discard_empty(struct kmem_cache *s)
{
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct kmem_cache_node *n = &s->node[nid];
		struct page *slab, *next, *empty = NULL;
		unsigned long flags;

		spin_lock_irqsave(&n->list_lock, flags);
		for (slab = n->partial; slab; slab = next) {
			next = slab_next(slab);
			if (!slab_inuse(slab)) {
				remove_from_list(s, slab);
				node_account(s, n, -1);
				slab->mapping = empty;
				empty = slab;
			}
		}
		spin_unlock_irqrestore(&n->list_lock, flags);
		for (slab = empty; slab; slab = next) {
			next = slab->mapping;
			free_slab(s, slab);
		}
	}
}

static unsigned long cache_slabs(const struct kmem_cache *s)
{
	unsigned long nr = 0;

	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		nr += READ_ONCE(s->node[nid].nr_slabs);
	return nr;
}

int kmem_cache_shrink(struct kmem_cache *s)
{
	flush_cpu_slabs(s);
	discard_empty(s);
	return cache_slabs(s) ? 1 : 0;
}

int kmem_cache_set_debug(struct kmem_cache *s, slab_flags_t flags)
{
	slab_flags_t old = s->flags;

	if (kmem_cache_shrink(s))
		return -EBUSY;
	s->flags = (old & ~SLAB_DEBUG_FLAGS) | (flags & SLAB_DEBUG_FLAGS);
	if (!calculate_sizes(s)) {
		s->flags = old;
		calculate_sizes(s);
		return -EINVAL;
	}
	return 0;
}

/* Call @fn on every live object of @slab (not on its freelist or @cpu_freelist). */
static void for_each_live_object(const struct kmem_cache *s, struct page *slab,
				 const void *cpu_freelist,
				 void (*fn)(const struct kmem_cache *, struct page *, uint8_t *))
{
	uint8_t *base = slab_address(s, slab);

	for (unsigned int i = 0; i < s->objects; i++) {
		uint8_t *obj = slab_object(s, base, i);
		const void *p = cpu_freelist;
		bool free = on_freelist(s, slab, obj);

		for (unsigned int n = 0; p && !free && n <= s->objects;
		     n++, p = get_freepointer(s, p))
			free = p == obj;
		if (!free)
			fn(s, slab, obj);
	}
}

static void print_remaining(const struct kmem_cache *s, struct page *slab, uint8_t *obj)
{
	printk("INFO: Object %p @offset=%zu\n", (void *)obj, (size_t)(obj - slab_address(s, slab)));
	if (s->flags & SLAB_STORE_USER)
		print_track(s, "Allocated", get_track(s, obj, TRACK_ALLOC));
}

/* Print the live objects of node @n's slabs (Linux's list_slab_objects), its list_lock held. */
static void print_node_objects(struct kmem_cache *s, struct kmem_cache_node *n)
{
	unsigned long flags;

	spin_lock_irqsave(&n->list_lock, flags);
	for (struct page *p = n->partial; p; p = slab_next(p))
		for_each_live_object(s, p, NULL, print_remaining);
	for (struct page *p = n->full; p; p = slab_next(p))
		for_each_live_object(s, p, NULL, print_remaining);
	spin_unlock_irqrestore(&n->list_lock, flags);
}

int kmem_cache_destroy(struct kmem_cache *s)
{
	struct slab_system *sys;

	if (!s)
		return 0;
	sys = s->sys;
	if (kmem_cache_shrink(s)) {
		sys->nr_reports++;
		printk("kmem_cache_destroy %s: Slab cache still has objects\n", s->name);
		printk("Objects remaining in %s on __kmem_cache_shutdown()\n", s->name);
		for (int nid = 0; nid < MAX_NUMNODES; nid++)
			print_node_objects(s, &s->node[nid]);
		return -EBUSY;
	}
	spin_lock(&sys->caches_lock);
	list_del(&s->list);
	spin_unlock(&sys->caches_lock);
	if (s != &sys->cache_cache)
		kmem_cache_free(&sys->cache_cache, s);
	return 0;
}

/* ---- the checker --------------------------------------------------------------------------- */

static int check_fail(const struct kmem_cache *s, const struct page *slab, const char *what)
{
	printk("slab_check %s: slab %p: %s\n", s->name, (const void *)slab, what);
	return -EINVAL;
}

/* Walk a freelist of @slab marking objects in @seen; -1 on a bad or repeated pointer. */
static long walk_freelist(const struct kmem_cache *s, const struct page *slab, const void *p,
			  uint8_t *seen)
{
	long n = 0;

	for (; p; p = get_freepointer(s, p), n++) {
		unsigned int i;

		if (!valid_object(s, slab, p))
			return -1;
		i = object_index(s, slab, p);
		if (seen[i / 8] & (1u << (i % 8)))
			return -1;
		seen[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	return n;
}

/* One slab: its pages, freelists (the page's and @cpu_freelist), inuse, debug bytes. */
static int check_one_slab(struct kmem_cache *s, struct page *slab, const void *cpu_freelist)
{
	uint8_t seen[MAX_OBJS_PER_SLAB / 8] = { 0 };
	long on_page, on_cpu;
	uint8_t *base;

	for (unsigned long i = 0; i < (1UL << s->order); i++) {
		if (!page_flag(slab + i, PG_slab) || slab[i].slab_cache != s ||
		    (i && slab[i].freelist != slab))
			return check_fail(s, slab, "page not marked as a slab page of this cache");
	}
	on_page = walk_freelist(s, slab, slab->freelist, seen);
	on_cpu = walk_freelist(s, slab, cpu_freelist, seen);
	if (on_page < 0 || on_cpu < 0)
		return check_fail(s, slab, "freelist pointer outside the slab, cycle or repeat");
	if (slab_inuse(slab) != s->objects - on_page)
		return check_fail(s, slab, "inuse differs from the objects off its freelist");
	if (!kmem_cache_debug(s))
		return 0;
	base = slab_address(s, slab);
	for (unsigned int i = 0; i < s->objects; i++) {
		uint8_t val = seen[i / 8] & (1u << (i % 8)) ? SLUB_RED_INACTIVE : SLUB_RED_ACTIVE;

		if (!check_object(s, slab, slab_object(s, base, i), val))
			return check_fail(s, slab, "object bytes damaged (reported above)");
	}
	return 0;
}

/* The slabs of one node list: their state, their count. */
static int check_list(struct kmem_cache *s, struct page *head, enum slab_list l,
		      unsigned long expect, unsigned long limit, unsigned long *nr)
{
	*nr = 0;
	for (struct page *slab = head; slab; slab = slab_next(slab)) {
		if (++*nr > limit)
			return check_fail(s, head, "list longer than the node's slabs (cycle)");
		if (slab_on(slab) != l || slab_frozen(slab))
			return check_fail(s, slab, "list state or frozen bit wrong");
		if (l == SLAB_ON_PARTIAL ? !slab->freelist : slab->freelist != NULL)
			return check_fail(s, slab, "free objects do not match the list");
		if (check_one_slab(s, slab, NULL))
			return -EINVAL;
	}
	return *nr == expect ? 0 : check_fail(s, head, "list count differs from the node's");
}

/* CPU @cpu's slab: frozen, on no list, active on no other CPU, consistent; counted in
 * @frozen by node. */
static int check_cpu_slab(struct kmem_cache *s, unsigned int cpu, unsigned long *frozen)
{
	struct kmem_cache_cpu *c = &s->cpu_slab[cpu];

	if (!c->slab)
		return c->freelist ? check_fail(s, NULL, "CPU freelist without a CPU slab") : 0;
	if (!slab_frozen(c->slab) || slab_on(c->slab) != SLAB_ON_NONE)
		return check_fail(s, c->slab, "CPU slab not frozen or on a list");
	for (unsigned int o = 0; o < cpu; o++)
		if (s->cpu_slab[o].slab == c->slab)
			return check_fail(s, c->slab, "slab active on two CPUs");
	frozen[page_to_nid(c->slab)]++;
	return check_one_slab(s, c->slab, c->freelist);
}

int slab_check(struct kmem_cache *s)
{
	unsigned long frozen[MAX_NUMNODES] = { 0 }, np, nf;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		if (check_cpu_slab(s, cpu, frozen))
			return -EINVAL;
	for (int nid = 0; nid < MAX_NUMNODES; nid++) {
		struct kmem_cache_node *n = &s->node[nid];

		if (check_list(s, n->partial, SLAB_ON_PARTIAL, n->nr_partial, n->nr_slabs, &np) ||
		    check_list(s, n->full, SLAB_ON_FULL, n->nr_full, n->nr_slabs, &nf))
			return -EINVAL;
		if (np + nf + frozen[nid] != n->nr_slabs ||
		    n->total_objects != n->nr_slabs * s->objects)
			return check_fail(s, NULL, "node slab or object count differs from lists");
	}
	return 0;
}

int ss_slab_check(struct slab_system *sys)
{
	struct kmem_cache *s;

	list_for_each_entry (s, &sys->caches, list) {
		if (slab_check(s))
			return -EINVAL;
	}
	return 0;
}

static unsigned long freelist_length(const struct kmem_cache *s, const void *p)
{
	unsigned long n = 0;

	for (; p && n <= MAX_OBJS_PER_SLAB; p = get_freepointer(s, p))
		n++;
	return n;
}

/* The live objects of CPU @c's slab, under @c's lock and the slab's node's list_lock. */
static unsigned long cpu_live_objects(struct kmem_cache *s, struct kmem_cache_cpu *c)
{
	unsigned long live = 0, flags, nflags;

	spin_lock_irqsave(&c->lock, flags);
	if (c->slab) {
		struct kmem_cache_node *n = slab_node(s, c->slab);

		spin_lock_irqsave(&n->list_lock, nflags);
		live = slab_inuse(c->slab) - freelist_length(s, c->freelist);
		spin_unlock_irqrestore(&n->list_lock, nflags);
	}
	spin_unlock_irqrestore(&c->lock, flags);
	return live;
}

/* The live objects of node @n's slabs, under its list_lock. */
static unsigned long node_live_objects(struct kmem_cache *s, struct kmem_cache_node *n)
{
	unsigned long live, flags;

	spin_lock_irqsave(&n->list_lock, flags);
	live = n->nr_full * s->objects;
	for (struct page *p = n->partial; p; p = slab_next(p))
		live += slab_inuse(p);
	spin_unlock_irqrestore(&n->list_lock, flags);
	return live;
}

/* Each CPU's and each node's count is taken under its locks; a slab moving between a CPU and
 * a node meanwhile may be counted twice or missed, as Linux's slabinfo counts may be. */
unsigned long kmem_cache_live_objects(struct kmem_cache *s)
{
	unsigned long live = 0;

	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
		live += cpu_live_objects(s, &s->cpu_slab[cpu]);
	for (int nid = 0; nid < MAX_NUMNODES; nid++)
		live += node_live_objects(s, &s->node[nid]);
	return live;
}

void show_slabinfo(struct slab_system *sys)
{
	struct kmem_cache *s;

	printk("slabinfo - version: 2.1\n");
	printk("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
	       " : tunables <limit> <batchcount> <sharedfactor>"
	       " : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
	spin_lock(&sys->caches_lock);
	list_for_each_entry (s, &sys->caches, list) {
		unsigned long slabs = cache_slabs(s);

		printk("%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu "
		       "%6lu\n",
		       s->name, kmem_cache_live_objects(s), slabs * s->objects, s->size, s->objects,
		       1 << s->order, 0, 0, 0, slabs, slabs, 0UL);
	}
	spin_unlock(&sys->caches_lock);
}

/* ---- the slab system and kmalloc ----------------------------------------------------------- */

static const char *const kmalloc_names[NR_KMALLOC_CACHES] = {
	[1] = "kmalloc-96",  [2] = "kmalloc-192", [3] = "kmalloc-8",   [4] = "kmalloc-16",
	[5] = "kmalloc-32",  [6] = "kmalloc-64",  [7] = "kmalloc-128", [8] = "kmalloc-256",
	[9] = "kmalloc-512", [10] = "kmalloc-1k", [11] = "kmalloc-2k", [12] = "kmalloc-4k",
	[13] = "kmalloc-8k",
};

static unsigned int kmalloc_size(unsigned int i)
{
	return i == 1 ? 96 : i == 2 ? 192 : 1u << i;
}

int slab_system_init(struct slab_system *sys, struct mem_system *ms)
{
	slab_flags_t debug = sys->debug_flags;

	__builtin_memset(sys, 0, sizeof(*sys));
	sys->ms = ms;
	sys->debug_flags = debug;
	sys->random_state = (uint64_t)(uintptr_t)sys ^ 0x736c756266726565ULL;
	INIT_LIST_HEAD(&sys->caches);
	if (!kmem_cache_open(sys, &sys->cache_cache, "kmem_cache", sizeof(struct kmem_cache), 0,
			     SLAB_HWCACHE_ALIGN, NULL))
		return -ENOMEM;
	for (unsigned int i = 1; i < NR_KMALLOC_CACHES; i++) {
		if (!kmalloc_names[i])
			continue;
		sys->kmalloc_caches[i] =
		    ss_kmem_cache_create(sys, kmalloc_names[i], kmalloc_size(i), 0, 0, NULL);
		if (!sys->kmalloc_caches[i])
			return -ENOMEM;
	}
	return 0;
}

void slab_system_set_debug(struct slab_system *sys, slab_flags_t flags)
{
	sys->debug_flags = flags & SLAB_DEBUG_FLAGS;
}

/* Linux's kmalloc_index: 8 for up to 8 bytes, 96 and 192 between their powers of two. */
static unsigned int kmalloc_index(size_t size)
{
	if (size <= KMALLOC_MIN_SIZE)
		return KMALLOC_SHIFT_LOW;
	if (size > 64 && size <= 96)
		return 1;
	if (size > 128 && size <= 192)
		return 2;
	return 64 - (unsigned int)__builtin_clzl(size - 1);
}

struct kmem_cache *ss_kmalloc_slab(struct slab_system *sys, size_t size)
{
	if (!size || size > KMALLOC_MAX_CACHE_SIZE)
		return NULL;
	return sys->kmalloc_caches[kmalloc_index(size)];
}

/* A large kmalloc: a page block whose head page records the order (the page allocator's
 * PAGE_ORDER_MASK) and, in mapping, the slab system it belongs to. */
static void *kmalloc_large(struct slab_system *sys, size_t size, gfp_t gfp)
{
	struct page *page = ms_alloc_pages(sys->ms, gfp | __GFP_COMP, get_order(size));

	if (!page)
		return NULL;
	page->mapping = sys;
	spin_lock(&sys->caches_lock);
	sys->nr_large++;
	spin_unlock(&sys->caches_lock);
	return ms_page_address(sys->ms, page);
}

/* The head page of a large kmalloc block @p, or NULL. */
static struct page *large_head(struct slab_system *sys, const void *p)
{
	struct page *page = ms_virt_to_page(sys->ms, p);

	if (!page || page_flag(page, PG_slab) || page->mapping != sys ||
	    !FIELD_GET(PAGE_ORDER_MASK, page->flags) || ((uintptr_t)p & (PAGE_SIZE - 1)))
		return NULL;
	return page;
}

static unsigned int large_order(const struct page *page)
{
	return (unsigned int)FIELD_GET(PAGE_ORDER_MASK, page->flags) - 1;
}

void *ss_kmalloc(struct slab_system *sys, size_t size, gfp_t gfp, unsigned long caller)
{
	if (!size)
		return ZERO_SIZE_PTR;
	if (size > KMALLOC_MAX_CACHE_SIZE)
		return kmalloc_large(sys, size, gfp);
	return kmem_cache_alloc_caller(sys->kmalloc_caches[kmalloc_index(size)], gfp, caller);
}

/* kfree with the call site to record. */
static void kfree_caller(struct slab_system *sys, const void *p, unsigned long caller)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(p))
		return;
	page = virt_to_slab(sys, p);
	if (page) {
		slab_free(page->slab_cache, page, (void *)p, caller);
		return;
	}
	page = large_head(sys, p);
	if (!page) {
		report_invalid(sys, "kfree", p);
		return;
	}
	page->mapping = NULL;
	spin_lock(&sys->caches_lock);
	sys->nr_large--;
	spin_unlock(&sys->caches_lock);
	ms_free_pages(sys->ms, page, large_order(page));
}

__attribute__((noinline)) void ss_kfree(struct slab_system *sys, const void *p)
{
	kfree_caller(sys, p, (unsigned long)__builtin_return_address(0));
}

size_t ss_ksize(struct slab_system *sys, const void *p)
{
	struct page *page;

	if (ZERO_OR_NULL_PTR(p))
		return 0;
	page = virt_to_slab(sys, p);
	if (page)
		return ((struct kmem_cache *)page->slab_cache)->object_size;
	page = large_head(sys, p);
	if (page)
		return PAGE_SIZE << large_order(page);
	report_invalid(sys, "ksize", p);
	return 0;
}

void *ss_krealloc(struct slab_system *sys, const void *p, size_t size, gfp_t gfp,
		  unsigned long caller)
{
	size_t old;
	void *q;

	if (ZERO_OR_NULL_PTR(p))
		return ss_kmalloc(sys, size, gfp, caller);
	if (!size) {
		ss_kfree(sys, p);
		return ZERO_SIZE_PTR;
	}
	old = ss_ksize(sys, p);
	if (!old)
		return NULL; /* not a kmalloc pointer: reported by ss_ksize */
	if (size <= old)
		return (void *)p;
	q = ss_kmalloc(sys, size, gfp & ~__GFP_ZERO, caller);
	if (!q)
		return NULL;
	__builtin_memcpy(q, p, old);
	if (gfp & __GFP_ZERO)
		__builtin_memset((uint8_t *)q + old, 0, size - old);
	kfree_caller(sys, p, caller);
	return q;
}

/* ---- the Linux-named calls on the default slab system -------------------------------------- */

int kmem_cache_init(void)
{
	return slab_system_init(&slab_default_system, &mm_default_system);
}

__attribute__((noinline)) struct kmem_cache *kmem_cache_create(const char *name, unsigned int size,
							       unsigned int align,
							       slab_flags_t flags,
							       void (*ctor)(void *))
{
	return ss_kmem_cache_create(&slab_default_system, name, size, align, flags, ctor);
}

__attribute__((noinline)) void *kmalloc(size_t size, gfp_t gfp)
{
	return ss_kmalloc(&slab_default_system, size, gfp,
			  (unsigned long)__builtin_return_address(0));
}

__attribute__((noinline)) void *kzalloc(size_t size, gfp_t gfp)
{
	return ss_kmalloc(&slab_default_system, size, gfp | __GFP_ZERO,
			  (unsigned long)__builtin_return_address(0));
}

__attribute__((noinline)) void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes))
		return NULL;
	return ss_kmalloc(&slab_default_system, bytes, gfp | __GFP_ZERO,
			  (unsigned long)__builtin_return_address(0));
}

__attribute__((noinline)) void *krealloc(const void *p, size_t size, gfp_t gfp)
{
	return ss_krealloc(&slab_default_system, p, size, gfp,
			   (unsigned long)__builtin_return_address(0));
}

size_t ksize(const void *p)
{
	return ss_ksize(&slab_default_system, p);
}

__attribute__((noinline)) void kfree(const void *p)
{
	kfree_caller(&slab_default_system, p, (unsigned long)__builtin_return_address(0));
}

// SPDX-License-Identifier: MIT
/*
 * memblock, the boot-time memory manager (include/kmm/memblock.h), with Linux's mm/memblock.c
 * semantics. Both arrays are kept sorted, non-overlapping and free of mergeable neighbours
 * (adjacent regions of equal node and flags), so a type's regions are exactly its maximal runs of
 * equal node and flags. Each operation is a pass over the regions it touches plus one move of
 * the array's tail: O(n) in the number of regions.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/memblock.h>
#include <kmm/printk.h>

#define PHYS_ADDR_MAX (~(paddr_t)0)
#define SMP_CACHE_BYTES 64ULL
/* The unit of the region arrays' own allocations, so a freed array frees whole pages (Linux's
 * PAGE_SIZE in memblock_double_array). */
#define MEMBLOCK_ARRAY_ALIGN 0x1000ULL

static paddr_t rgn_end(const struct memblock_region *r)
{
	return r->base + r->size;
}

/* Adjacent with equal node and flags: Linux's memblock_merge_regions merges these. */
static bool mergeable(const struct memblock_region *a, const struct memblock_region *b)
{
	return rgn_end(a) == b->base && a->nid == b->nid && a->flags == b->flags;
}

/* base + size overflows: the range wraps. */
static bool range_wraps(paddr_t base, uint64_t size)
{
	return size > PHYS_ADDR_MAX - base;
}

static void type_init(struct memblock_type *type, const char *name)
{
	type->name = name;
	type->cnt = 0;
	type->max = MEMBLOCK_INIT_REGIONS;
	type->total_size = 0;
	type->regions = type->init;
	type->grown = false;
}

void memblock_init(struct memblock *mb)
{
	mb->bottom_up = false;
	mb->current_limit = MEMBLOCK_ALLOC_ANYWHERE;
	type_init(&mb->memory, "memory");
	type_init(&mb->reserved, "reserved");
}

/* The index of the first region ending above @addr (cnt if none): a binary search. */
static unsigned long first_ending_above(const struct memblock_type *type, paddr_t addr)
{
	unsigned long lo = 0, hi = type->cnt;

	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (rgn_end(&type->regions[mid]) > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* The region holding @addr, or NULL (Linux's memblock_search). */
static const struct memblock_region *search(const struct memblock_type *type, paddr_t addr)
{
	unsigned long i = first_ending_above(type, addr);

	return i < type->cnt && type->regions[i].base <= addr ? &type->regions[i] : NULL;
}

/* Open @n slots at @idx by moving regions[idx, cnt) up; the caller fills them. */
static void open_slots(struct memblock_type *type, unsigned long idx, unsigned long n)
{
	__builtin_memmove(&type->regions[idx + n], &type->regions[idx],
			  (type->cnt - idx) * sizeof(type->regions[0]));
	type->cnt += n;
}

/* Drop regions[idx, idx + n) by moving the tail down (sizes are the caller's to account). */
static void close_slots(struct memblock_type *type, unsigned long idx, unsigned long n)
{
	if (!n)
		return;
	__builtin_memmove(&type->regions[idx], &type->regions[idx + n],
			  (type->cnt - idx - n) * sizeof(type->regions[0]));
	type->cnt -= n;
}

/* Merge the mergeable neighbours among regions[from, to] (@to clamped to the last region). */
static void merge_regions(struct memblock_type *type, unsigned long from, unsigned long to)
{
	unsigned long w = from;

	if (to >= type->cnt)
		to = type->cnt - 1;
	if (!type->cnt || from >= to)
		return;
	for (unsigned long i = from + 1; i <= to; i++) {
		if (mergeable(&type->regions[w], &type->regions[i]))
			type->regions[w].size += type->regions[i].size;
		else
			type->regions[++w] = type->regions[i];
	}
	close_slots(type, w + 1, to - w);
}

/* Split regions[idx] at @addr (inside it) into [base, addr) and [addr, end). One free slot. */
static void split_region(struct memblock_type *type, unsigned long idx, paddr_t addr)
{
	open_slots(type, idx, 1);
	type->regions[idx].size = addr - type->regions[idx].base;
	type->regions[idx + 1].base = addr;
	type->regions[idx + 1].size -= type->regions[idx].size;
}

static int double_array(struct memblock *mb, struct memblock_type *type, paddr_t avoid_base,
			paddr_t avoid_end);

/*
 * The pieces of [base, end) that no region covers, scanning from @lo (the first region ending
 * above @base): returns their number, their bytes in *bytes and in *hi the first region at or
 * above @end.
 */
static unsigned long count_gaps(const struct memblock_type *type, unsigned long lo, paddr_t base,
				paddr_t end, unsigned long *hi, uint64_t *bytes)
{
	unsigned long i, n = 0;
	paddr_t cur = base;

	*bytes = 0;
	for (i = lo; i < type->cnt && type->regions[i].base < end; i++) {
		const struct memblock_region *r = &type->regions[i];

		if (r->base > cur) {
			n++;
			*bytes += r->base - cur;
		}
		cur = rgn_end(r) < end ? rgn_end(r) : end;
	}
	if (cur < end) {
		n++;
		*bytes += end - cur;
	}
	*hi = i;
	return n;
}

/*
 * Fill regions[lo, hi + n) from the top down with the old regions[lo, hi) interleaved with the
 * @n uncovered pieces of [base, end) as new regions. The tail has already moved up by @n, and
 * every write lands at or above the old region it passes, so nothing unread is overwritten.
 */
static void fill_gaps(struct memblock_type *type, unsigned long lo, unsigned long hi,
		      unsigned long n, paddr_t base, paddr_t end, int nid, unsigned int flags)
{
	unsigned long j = hi + n;
	paddr_t top = end;

	for (unsigned long i = hi; i-- > lo;) {
		struct memblock_region r = type->regions[i];

		if (rgn_end(&r) < top)
			type->regions[--j] = (struct memblock_region){ .base = rgn_end(&r),
								       .size = top - rgn_end(&r),
								       .flags = flags,
								       .nid = nid };
		type->regions[--j] = r;
		top = r.base;
	}
	if (base < top)
		type->regions[--j] = (struct memblock_region){
			.base = base, .size = top - base, .flags = flags, .nid = nid
		};
}

/*
 * Linux's memblock_add_range: insert the parts of [base, end) no region covers, with @nid and
 * @flags, growing the array first if they do not fit, then merge around them.
 */
static int add_range(struct memblock *mb, struct memblock_type *type, paddr_t base, paddr_t end,
		     int nid, unsigned int flags)
{
	unsigned long lo, hi, n;
	uint64_t bytes;

	for (;;) {
		lo = first_ending_above(type, base);
		n = count_gaps(type, lo, base, end, &hi, &bytes);
		if (type->cnt + n <= type->max)
			break;
		/* Growing may change the reserved array: count again. */
		if (double_array(mb, type, base, end))
			return -ENOMEM;
	}
	if (!n)
		return 0;
	open_slots(type, hi, n);
	fill_gaps(type, lo, hi, n, base, end, nid, flags);
	type->total_size += bytes;
	merge_regions(type, lo ? lo - 1 : 0, hi + n);
	return 0;
}

/* The regions [*lo, *hi) overlapping [base, end), and how many straddle an end of the range. */
static unsigned int find_overlap(const struct memblock_type *type, paddr_t base, paddr_t end,
				 unsigned long *lo, unsigned long *hi)
{
	unsigned long i = first_ending_above(type, base), j = i;

	while (j < type->cnt && type->regions[j].base < end)
		j++;
	*lo = i;
	*hi = j;
	if (i == j)
		return 0;
	return (type->regions[i].base < base) + (rgn_end(&type->regions[j - 1]) > end);
}

/*
 * Linux's memblock_isolate_range: split the regions straddling @base or @end so that whole
 * regions [*first, *last) cover the part of [base, end) that @type holds. 0, or -ENOMEM when
 * the array cannot grow for the splits (then nothing changed).
 */
static int isolate_range(struct memblock *mb, struct memblock_type *type, paddr_t base, paddr_t end,
			 unsigned long *first, unsigned long *last)
{
	unsigned long lo, hi;

	while (type->cnt + find_overlap(type, base, end, &lo, &hi) > type->max)
		if (double_array(mb, type, base, end))
			return -ENOMEM;
	if (lo < hi && type->regions[lo].base < base) {
		split_region(type, lo, base);
		lo++;
		hi++;
	}
	if (lo < hi && rgn_end(&type->regions[hi - 1]) > end)
		split_region(type, hi - 1, end);
	*first = lo;
	*last = hi;
	return 0;
}

/* Linux's memblock_remove_range: take [base, end) out of @type. */
static int remove_range(struct memblock *mb, struct memblock_type *type, paddr_t base, paddr_t end)
{
	unsigned long first, last;
	int err = isolate_range(mb, type, base, end, &first, &last);

	if (err)
		return err;
	for (unsigned long i = first; i < last; i++)
		type->total_size -= type->regions[i].size;
	close_slots(type, first, last - first);
	return 0;
}

/*
 * The address of @size bytes aligned to @align inside one free range, within [start, end) and
 * below current_limit, never 0; the highest such (top-down) or the lowest (bottom-up). 0 if none.
 * Linux's memblock_find_in_range_node; top-down keeps the last fit of the upward scan.
 */
static paddr_t find_in_range(const struct memblock *mb, uint64_t size, uint64_t align,
			     paddr_t start, paddr_t end)
{
	paddr_t found = 0, s, e;
	uint64_t i = 0;

	if (end > mb->current_limit)
		end = mb->current_limit;
	if (!start)
		start = 1; /* 0 is the failure value */
	while (memblock_next_free_range(mb, &i, &s, &e, NULL) && s < end) {
		s = s > start ? s : start;
		e = e < end ? e : end;
		if (s >= e || e - s < size)
			continue;
		if (mb->bottom_up) {
			paddr_t cand = ALIGN_UP(s, align);

			if (cand >= s && cand <= e - size)
				return cand;
		} else if (ALIGN_DOWN(e - size, align) >= s) {
			found = ALIGN_DOWN(e - size, align);
		}
	}
	return found;
}

/* The direct view of [pa, pa + size) if it is one contiguous piece, else NULL. */
static void *direct_view(paddr_t pa, uint64_t size)
{
	char *va = arch_phys_to_virt(pa);

	if (!va || arch_phys_to_virt(pa + size - 1) != va + size - 1)
		return NULL;
	return va;
}

static int double_failed(const struct memblock_type *type)
{
	printk("memblock: Failed to double %s array from %lu to %lu entries !\n", type->name,
	       type->max, type->max * 2);
	return -ENOMEM;
}

/*
 * Linux's memblock_double_array: move @type's regions into an array twice the size, allocated
 * from memblock outside [avoid_base, avoid_end) (the range the caller is about to change, so the
 * array never lands in what is being added, reserved or removed), reserved, and reached through
 * the direct view; free the old array if it was itself an allocation. 0, or -ENOMEM with
 * @type unchanged.
 */
static int double_array(struct memblock *mb, struct memblock_type *type, paddr_t avoid_base,
			paddr_t avoid_end)
{
	struct memblock_type *rsv = &mb->reserved;
	struct memblock_region *old = type->regions, *new;
	uint64_t old_bytes = ALIGN_UP(type->max * sizeof(*old), MEMBLOCK_ARRAY_ALIGN);
	uint64_t new_bytes = ALIGN_UP(2 * type->max * sizeof(*old), MEMBLOCK_ARRAY_ALIGN);
	paddr_t addr, old_pa = type->grown ? arch_virt_to_phys(old) : 0;

	/* Reserving the new array and freeing the old one take at most three slots in reserved
	 * (one region, two splits): make sure they are there, so neither step can fail. */
	if (type != rsv && rsv->cnt + 3 > rsv->max && double_array(mb, rsv, avoid_base, avoid_end))
		return double_failed(type);
	addr = find_in_range(mb, new_bytes, MEMBLOCK_ARRAY_ALIGN, avoid_end, PHYS_ADDR_MAX);
	if (!addr)
		addr = find_in_range(mb, new_bytes, MEMBLOCK_ARRAY_ALIGN, 0, avoid_base);
	new = addr ? direct_view(addr, new_bytes) : NULL;
	if (!new)
		return double_failed(type);
	__builtin_memcpy(new, old, type->cnt * sizeof(*old));
	type->regions = new;
	type->max *= 2;
	BUG_ON(add_range(mb, rsv, addr, addr + new_bytes, NUMA_NO_NODE, MEMBLOCK_NONE));
	if (type->grown) {
		BUG_ON(old_pa == ARCH_PHYS_NONE);
		BUG_ON(remove_range(mb, rsv, old_pa, old_pa + old_bytes));
	}
	type->grown = true;
	return 0;
}

int memblock_add_node(struct memblock *mb, paddr_t base, uint64_t size, int nid, unsigned int flags)
{
	if (!size)
		return 0;
	if (range_wraps(base, size))
		return -EINVAL;
	return add_range(mb, &mb->memory, base, base + size, nid, flags);
}

int memblock_add(struct memblock *mb, paddr_t base, uint64_t size)
{
	return memblock_add_node(mb, base, size, NUMA_NO_NODE, MEMBLOCK_NONE);
}

int memblock_reserve(struct memblock *mb, paddr_t base, uint64_t size)
{
	if (!size)
		return 0;
	if (range_wraps(base, size))
		return -EINVAL;
	return add_range(mb, &mb->reserved, base, base + size, NUMA_NO_NODE, MEMBLOCK_NONE);
}

/* Remove [base, base + size) from @type, with the checks of the public calls. */
static int remove_checked(struct memblock *mb, struct memblock_type *type, paddr_t base,
			  uint64_t size)
{
	if (!size)
		return 0;
	if (range_wraps(base, size))
		return -EINVAL;
	return remove_range(mb, type, base, base + size);
}

int memblock_remove(struct memblock *mb, paddr_t base, uint64_t size)
{
	return remove_checked(mb, &mb->memory, base, size);
}

int memblock_free(struct memblock *mb, paddr_t base, uint64_t size)
{
	return remove_checked(mb, &mb->reserved, base, size);
}

/* Linux's memblock_setclr_flag: set or clear @flag on the memory in [base, base + size). */
static int setclr_flag(struct memblock *mb, paddr_t base, uint64_t size, unsigned int flag,
		       bool set)
{
	struct memblock_type *type = &mb->memory;
	unsigned long first, last;
	int err;

	if (!size)
		return 0;
	if (range_wraps(base, size))
		return -EINVAL;
	err = isolate_range(mb, type, base, base + size, &first, &last);
	if (err)
		return err;
	for (unsigned long i = first; i < last; i++) {
		if (set)
			type->regions[i].flags |= flag;
		else
			type->regions[i].flags &= ~flag;
	}
	merge_regions(type, first ? first - 1 : 0, last);
	return 0;
}

int memblock_mark_nomap(struct memblock *mb, paddr_t base, uint64_t size)
{
	return setclr_flag(mb, base, size, MEMBLOCK_NOMAP, true);
}

int memblock_clear_nomap(struct memblock *mb, paddr_t base, uint64_t size)
{
	return setclr_flag(mb, base, size, MEMBLOCK_NOMAP, false);
}

int memblock_mark_hotplug(struct memblock *mb, paddr_t base, uint64_t size)
{
	return setclr_flag(mb, base, size, MEMBLOCK_HOTPLUG, true);
}

void memblock_set_bottom_up(struct memblock *mb, bool enable)
{
	mb->bottom_up = enable;
}

void memblock_set_current_limit(struct memblock *mb, paddr_t limit)
{
	mb->current_limit = limit;
}

paddr_t memblock_phys_alloc_range(struct memblock *mb, uint64_t size, uint64_t align, paddr_t start,
				  paddr_t end)
{
	paddr_t addr;

	if (!align)
		align = SMP_CACHE_BYTES;
	if (WARN_ON(align & (align - 1)) || !size)
		return 0;
	addr = find_in_range(mb, size, align, start, end);
	if (addr && memblock_reserve(mb, addr, size))
		return 0;
	return addr;
}

paddr_t memblock_phys_alloc(struct memblock *mb, uint64_t size, uint64_t align)
{
	return memblock_phys_alloc_range(mb, size, align, 0, MEMBLOCK_ALLOC_ANYWHERE);
}

/*
 * Linux's __next_mem_range over (memory, reserved): *idx holds the memory region in its low 32
 * bits and the reserved gap in its high 32 bits; gap k lies between reserved regions k - 1 and k
 * (gap 0 starts at 0, gap cnt ends at PHYS_ADDR_MAX). Each call advances whichever of the two
 * ends first, so a whole iteration is O(memory.cnt + reserved.cnt).
 */
bool memblock_next_free_range(const struct memblock *mb, uint64_t *idx, paddr_t *start,
			      paddr_t *end, int *nid)
{
	const struct memblock_type *mem = &mb->memory, *rsv = &mb->reserved;
	unsigned long im = (uint32_t)*idx, ir = *idx >> 32;

	for (; im < mem->cnt; im++) {
		const struct memblock_region *m = &mem->regions[im];

		if (m->flags & MEMBLOCK_NOMAP)
			continue;
		for (; ir <= rsv->cnt; ir++) {
			paddr_t gs = ir ? rgn_end(&rsv->regions[ir - 1]) : 0;
			paddr_t ge = ir < rsv->cnt ? rsv->regions[ir].base : PHYS_ADDR_MAX;
			paddr_t s = m->base > gs ? m->base : gs;
			paddr_t e = rgn_end(m) < ge ? rgn_end(m) : ge;

			if (gs >= rgn_end(m))
				break;
			if (s >= e)
				continue;
			if (start)
				*start = s;
			if (end)
				*end = e;
			if (nid)
				*nid = m->nid;
			if (rgn_end(m) <= ge)
				im++;
			else
				ir++;
			*idx = (uint32_t)im | (uint64_t)ir << 32;
			return true;
		}
	}
	*idx = (uint32_t)im | (uint64_t)ir << 32;
	return false;
}

uint64_t memblock_phys_mem_size(const struct memblock *mb)
{
	return mb->memory.total_size;
}

uint64_t memblock_reserved_size(const struct memblock *mb)
{
	return mb->reserved.total_size;
}

paddr_t memblock_start_of_DRAM(const struct memblock *mb)
{
	return mb->memory.cnt ? mb->memory.regions[0].base : 0;
}

paddr_t memblock_end_of_DRAM(const struct memblock *mb)
{
	const struct memblock_type *t = &mb->memory;

	return t->cnt ? rgn_end(&t->regions[t->cnt - 1]) : 0;
}

bool memblock_is_memory(const struct memblock *mb, paddr_t addr)
{
	return search(&mb->memory, addr) != NULL;
}

bool memblock_is_reserved(const struct memblock *mb, paddr_t addr)
{
	return search(&mb->reserved, addr) != NULL;
}

/* Linux's __find_max_addr: where the memory below adds up to @limit; PHYS_ADDR_MAX if never. */
static paddr_t find_max_addr(const struct memblock_type *mem, uint64_t limit)
{
	for (unsigned long i = 0; i < mem->cnt; i++) {
		if (limit <= mem->regions[i].size)
			return mem->regions[i].base + limit;
		limit -= mem->regions[i].size;
	}
	return PHYS_ADDR_MAX;
}

void memblock_cap_memory(struct memblock *mb, uint64_t limit)
{
	struct memblock_type *mem = &mb->memory;
	paddr_t max = find_max_addr(mem, limit);
	unsigned long first, last, w;

	if (!limit || max == PHYS_ADDR_MAX ||
	    isolate_range(mb, mem, max, PHYS_ADDR_MAX, &first, &last))
		return;
	/* Remove the mapped regions above max; NOMAP ones stay (Linux's memblock_cap_memory_range).
	 */
	w = first;
	for (unsigned long i = first; i < last; i++) {
		if (mem->regions[i].flags & MEMBLOCK_NOMAP)
			mem->regions[w++] = mem->regions[i];
		else
			mem->total_size -= mem->regions[i].size;
	}
	close_slots(mem, w, last - w);
	/* A NOMAP region split at max is kept whole: join its halves (Linux leaves them split). */
	merge_regions(mem, first ? first - 1 : 0, first);
	/* Truncate reserved; a failure to grow has been printed, and memory stays capped. */
	remove_range(mb, &mb->reserved, max, PHYS_ADDR_MAX);
}

static void dump_type(const struct memblock_type *type)
{
	printk(" %s.cnt  = 0x%lx\n", type->name, type->cnt);
	for (unsigned long i = 0; i < type->cnt; i++) {
		const struct memblock_region *r = &type->regions[i];
		char nid_buf[32] = "";

		if (r->nid >= 0)
			kmm_snprintf(nid_buf, sizeof(nid_buf), " on node %d", r->nid);
		printk(" %s[0x%lx]\t[0x%.16llx-0x%.16llx], 0x%.16llx bytes%s flags: 0x%x\n",
		       type->name, i, (unsigned long long)r->base,
		       (unsigned long long)(rgn_end(r) - 1), (unsigned long long)r->size, nid_buf,
		       r->flags);
	}
}

void memblock_dump(const struct memblock *mb)
{
	printk("MEMBLOCK configuration:\n");
	printk(" memory size = 0x%.16llx reserved size = 0x%.16llx\n",
	       (unsigned long long)mb->memory.total_size,
	       (unsigned long long)mb->reserved.total_size);
	dump_type(&mb->memory);
	dump_type(&mb->reserved);
}

static void bad_region(const struct memblock_type *type, unsigned long i, const char *what)
{
	const struct memblock_region *r = &type->regions[i];

	printk("memblock: %s[0x%lx] [0x%.16llx+0x%llx] nid %d flags 0x%x: %s\n", type->name, i,
	       (unsigned long long)r->base, (unsigned long long)r->size, r->nid, r->flags, what);
}

/* The invariants of one array; prints each violation. */
static int check_type(const struct memblock_type *type)
{
	uint64_t sum = 0;
	int err = 0;

	if (type->cnt > type->max || (type->regions == type->init) == type->grown ||
	    (!type->grown && type->max != MEMBLOCK_INIT_REGIONS)) {
		printk("memblock: %s: cnt 0x%lx, max 0x%lx, %s array: inconsistent\n", type->name,
		       type->cnt, type->max, type->grown ? "grown" : "initial");
		return -EINVAL;
	}
	for (unsigned long i = 0; i < type->cnt; i++) {
		const struct memblock_region *r = &type->regions[i];
		const char *what = NULL;

		if (!r->size)
			what = "is empty";
		else if (range_wraps(r->base, r->size))
			what = "wraps";
		else if (i && rgn_end(r - 1) > r->base)
			what = "overlaps or precedes the region before it";
		else if (i && mergeable(r - 1, r))
			what = "should have merged with the region before it";
		if (what) {
			bad_region(type, i, what);
			err = -EINVAL;
		}
		sum += r->size;
	}
	if (sum != type->total_size) {
		printk("memblock: %s: total_size 0x%llx, but the regions add up to 0x%llx\n",
		       type->name, (unsigned long long)type->total_size, (unsigned long long)sum);
		err = -EINVAL;
	}
	return err;
}

int memblock_check(const struct memblock *mb)
{
	int err = check_type(&mb->memory);

	return check_type(&mb->reserved) ? -EINVAL : err;
}

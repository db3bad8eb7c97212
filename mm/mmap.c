// SPDX-License-Identifier: MIT
/*
 * The memory-mapping system calls and the VMA bookkeeping behind them; see include/kmm/mman.h
 * for the contract. Here: the VMA cache and pools, munmap, placement (Linux's top-down
 * allocator below mmap_base with its bottom-up fallback, honouring the stack guard gap), mmap,
 * brk, stack growth, exit and the checker. mprotect, mremap, madvise and mincore have files of
 * their own and share mm/mmap_internal.h with this one.
 *
 * Linux 6.1 changes a VMA and then may fail on the next (munmap of a second VMA, mprotect at a
 * hole); kmm checks everything and takes every VMA a call may need first (mmap_internal.h), so
 * a failed call leaves the address space as it was. The page-table side goes through the
 * fault.h helpers: zap_page_range, change_protection, move_page_tables, populate_range.
 */
#include "mmap_internal.h"

#include <kmm/errno.h>
#include <kmm/fault.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/slab.h>

struct xlat_geometry vm_user_geometry;
unsigned long sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;
static struct kmem_cache *vm_area_cachep;

struct vm_area_struct *vm_area_alloc(struct mm_struct *mm)
{
	struct vm_area_struct *vma = kmem_cache_alloc(vm_area_cachep, GFP_KERNEL);

	if (vma)
		*vma = (struct vm_area_struct){ .vm_mm = mm };
	return vma;
}

void vm_area_free(struct vm_area_struct *vma)
{
	kmem_cache_free(vm_area_cachep, vma);
}

static struct vm_area_struct *vma_kmem_alloc(void *ctx)
{
	(void)ctx;
	return vm_area_alloc(NULL);
}

static void vma_kmem_free(void *ctx, struct vm_area_struct *vma)
{
	(void)ctx;
	vm_area_free(vma);
}

const struct vma_allocator vma_kmem_allocator = { vma_kmem_alloc, vma_kmem_free, NULL };

int vm_init(const struct xlat_geometry *user, unsigned int nr_cpus, unsigned int asid_bits)
{
	int e = asid_allocator_init(&asid_default, asid_bits, nr_cpus);

	if (e)
		return e;
	/* A new cache each boot: the slab system it lives in is set up anew by each boot. */
	vm_area_cachep =
	    kmem_cache_create("vm_area_struct", sizeof(struct vm_area_struct), 0, 0, NULL);
	if (!vm_area_cachep)
		return -ENOMEM;
	vm_user_geometry = *user;
	return 0;
}

/* ---- VMA pools and release ---- */

static struct vm_area_struct *pool_alloc(void *ctx)
{
	return vma_pool_take(ctx);
}

static void pool_free(void *ctx, struct vm_area_struct *vma)
{
	(void)ctx;
	vma_release(vma);
}

/* An empty pool: the allocator of tree operations that only free (vma_merge, free_all). */
static struct vma_pool no_pool = { .a = { pool_alloc, pool_free, &no_pool } };

int vma_pool_fill(struct vma_pool *p, struct mm_struct *mm, unsigned int n)
{
	BUG_ON(n > VMA_POOL_MAX);
	p->a = (struct vma_allocator){ pool_alloc, pool_free, p };
	for (p->n = 0; p->n < n; p->n++) {
		p->v[p->n] = vm_area_alloc(mm);
		if (!p->v[p->n]) {
			vma_pool_drain(p);
			return -ENOMEM;
		}
	}
	return 0;
}

void vma_pool_drain(struct vma_pool *p)
{
	while (p->n)
		vm_area_free(p->v[--p->n]);
}

struct vm_area_struct *vma_pool_take(struct vma_pool *p)
{
	BUG_ON(!p->n);
	return p->v[--p->n];
}

void vma_release(struct vm_area_struct *vma)
{
	if (vma->vm_file)
		fput(vma->vm_file);
	vm_area_free(vma);
}

void vma_split_pooled(struct mm_struct *mm, struct vma_pool *p, struct vm_area_struct *vma,
		      vaddr_t addr)
{
	BUG_ON(vma_split(&mm->vmas, &p->a, vma, addr));
	if (vma->vm_file)
		get_file(vma->vm_file);
}

void vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma)
{
	struct vm_area_struct *prev = vma_prev(vma), *next = vma_next(vma), proto = *vma, *out;

	if (!(prev && vma_mergeable(prev, vma)) && !(next && vma_mergeable(vma, next)))
		return;
	/* Out of the tree, its range is a hole vma_merge can fill from the neighbours. */
	vma_remove(&mm->vmas, vma);
	BUG_ON(vma_merge(&mm->vmas, &no_pool.a, &proto, &out));
	vma_release(vma);
}

struct vm_area_struct *vma_isolate(struct mm_struct *mm, struct vma_pool *p,
				   struct vm_area_struct *vma, vaddr_t start, vaddr_t end)
{
	if (start > vma->vm_start) {
		vma_split_pooled(mm, p, vma, start);
		vma = vma_next(vma);
	}
	if (end < vma->vm_end)
		vma_split_pooled(mm, p, vma, end);
	return vma;
}

void vma_add(struct mm_struct *mm, struct vma_pool *p, const struct vm_area_struct *proto)
{
	struct vm_area_struct *vma;

	if (!vma_merge(&mm->vmas, &no_pool.a, proto, &vma))
		return;
	BUG_ON(!p);
	vma = vma_pool_take(p);
	*vma = *proto;
	if (vma->vm_file)
		get_file(vma->vm_file);
	BUG_ON(vma_insert(&mm->vmas, vma));
}

/* ---- accounting and limits ---- */

void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages)
{
	mm->total_vm += (unsigned long)npages;
	if ((flags & (VM_EXEC | VM_WRITE | VM_GROWSDOWN)) == VM_EXEC)
		mm->exec_vm += (unsigned long)npages;
	else if (flags & VM_GROWSDOWN)
		mm->stack_vm += (unsigned long)npages;
	else if ((flags & (VM_WRITE | VM_SHARED)) == VM_WRITE)
		mm->data_vm += (unsigned long)npages;
}

/* Linux's mm->locked_vm, counted: the pages of the VM_LOCKED VMAs. */
static unsigned long locked_vm(const struct mm_struct *mm)
{
	const struct vm_area_struct *v;
	unsigned long n = 0;

	for (v = vma_first(&mm->vmas); v; v = vma_next(v))
		if (v->vm_flags & VM_LOCKED)
			n += vma_pages(v);
	return n;
}

int mlock_future_check(const struct mm_struct *mm, unsigned long flags, size_t len)
{
	unsigned long limit = MLOCK_RLIMIT_DEFAULT >> PAGE_SHIFT;

	if (!(flags & VM_LOCKED))
		return 0;
	return locked_vm(mm) + (len >> PAGE_SHIFT) > limit ? -EAGAIN : 0;
}

void populate_vmas(struct mm_struct *mm, vaddr_t start, vaddr_t end)
{
	struct vm_area_struct *vma;

	for (vma = find_vma(&mm->vmas, start); vma && vma->vm_start < end; vma = vma_next(vma))
		if (vma->vm_flags & VM_ACCESS_FLAGS)
			(void)populate_range(vma, umax(start, vma->vm_start),
					     umin(end, vma->vm_end),
					     (vma->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE);
}

/* ---- unmapping ---- */

unsigned int unmap_splits(const struct mm_struct *mm, vaddr_t start, vaddr_t end)
{
	const struct vm_area_struct *first = find_vma(&mm->vmas, start);
	const struct vm_area_struct *last = find_vma(&mm->vmas, end - 1);

	if (!first || first->vm_start >= end)
		return 0;
	return (first->vm_start < start) + (last && last->vm_start < end && last->vm_end > end);
}

bool unmap_exceeds_map_count(const struct mm_struct *mm, vaddr_t start, vaddr_t end)
{
	const struct vm_area_struct *v = find_vma(&mm->vmas, start);

	return v && v->vm_start < start && v->vm_end > end &&
	       mm->vmas.count >= sysctl_max_map_count;
}

void unmap_range(struct mm_struct *mm, struct vma_pool *p, vaddr_t start, vaddr_t end)
{
	struct vm_area_struct *vma = find_vma(&mm->vmas, start), *next;

	if (vma && vma->vm_start < start) {
		vma_split_pooled(mm, p, vma, start);
		vma = vma_next(vma);
	}
	for (; vma && vma->vm_start < end; vma = next) {
		if (vma->vm_end > end)
			vma_split_pooled(mm, p, vma, end);
		next = vma_next(vma);
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		vm_stat_account(mm, vma->vm_flags, -(long)vma_pages(vma));
		vma_remove(&mm->vmas, vma);
		vma_release(vma);
	}
}

int do_munmap(struct mm_struct *mm, vaddr_t start, size_t len)
{
	struct vma_pool pool;
	vaddr_t end;

	mmap_assert_write_locked(mm);
	if (offset_in_page(start) || start > mm->task_size || len > mm->task_size - start)
		return -EINVAL;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return -EINVAL;
	if (unmap_exceeds_map_count(mm, start, end))
		return -ENOMEM;
	if (vma_pool_fill(&pool, mm, unmap_splits(mm, start, end)))
		return -ENOMEM;
	unmap_range(mm, &pool, start, end);
	vma_pool_drain(&pool);
	return 0;
}

int sys_munmap(struct mm_struct *mm, vaddr_t addr, size_t len)
{
	int ret;

	mmap_write_lock(mm);
	ret = do_munmap(mm, addr, len);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- placement ---- */

vaddr_t vm_start_gap(const struct vm_area_struct *vma)
{
	vaddr_t start = vma->vm_start;

	if (vma->vm_flags & VM_GROWSDOWN)
		start = start > STACK_GUARD_GAP ? start - STACK_GUARD_GAP : 0;
	return start;
}

/* The top of the highest gap of at least @len in [@low, @high), less @len; or -ENOMEM. Gaps
 * end at the VMA above less its guard gap. */
static long unmapped_area_topdown(const struct mm_struct *mm, size_t len, vaddr_t low, vaddr_t high)
{
	const struct vm_area_struct *next = find_vma(&mm->vmas, high - 1);
	const struct vm_area_struct *prev = next ? vma_prev(next) : vma_last(&mm->vmas);

	for (;;) {
		vaddr_t top = next ? umin(high, vm_start_gap(next)) : high;
		vaddr_t bottom = prev ? umax(low, prev->vm_end) : low;

		if (top > bottom && top - bottom >= len)
			return (long)(top - len);
		if (!prev || prev->vm_end <= low)
			return -ENOMEM;
		next = prev;
		prev = vma_prev(prev);
	}
}

/* The bottom of the lowest gap of at least @len in [@low, @high); or -ENOMEM. */
static long unmapped_area(const struct mm_struct *mm, size_t len, vaddr_t low, vaddr_t high)
{
	const struct vm_area_struct *next = find_vma(&mm->vmas, low);
	const struct vm_area_struct *prev = next ? vma_prev(next) : vma_last(&mm->vmas);

	for (;;) {
		vaddr_t bottom = prev ? umax(low, prev->vm_end) : low;
		vaddr_t top = next ? umin(high, vm_start_gap(next)) : high;

		if (top > bottom && top - bottom >= len)
			return (long)bottom;
		if (!next || next->vm_end >= high)
			return -ENOMEM;
		prev = next;
		next = vma_next(next);
	}
}

/* A hint is taken when [@addr, @addr + @len) is free and clear of the guard gap above. */
static bool hint_fits(const struct mm_struct *mm, vaddr_t addr, size_t len)
{
	const struct vm_area_struct *vma = find_vma(&mm->vmas, addr);

	return mm->task_size - len >= addr && addr >= MMAP_MIN_ADDR &&
	       (!vma || addr + len <= vm_start_gap(vma));
}

/* Linux's generic arch_get_unmapped_area_topdown: the hint, else top-down below mmap_base,
 * else bottom-up from TASK_UNMAPPED_BASE (a quarter of the address space). */
static long get_area_topdown(const struct mm_struct *mm, vaddr_t addr, size_t len, int flags)
{
	long ret;

	if (len > mm->task_size - MMAP_MIN_ADDR)
		return -ENOMEM;
	if ((flags & MAP_FIXED) || (addr && hint_fits(mm, addr, len)))
		return (long)addr;
	ret = unmapped_area_topdown(mm, len, umax(PAGE_SIZE, MMAP_MIN_ADDR), mm->mmap_base);
	if (ret < 0)
		ret = unmapped_area(mm, len, PAGE_ALIGN(mm->task_size / 4), mm->task_size);
	return ret;
}

long get_unmapped_area(const struct mm_struct *mm, vaddr_t addr, size_t len, int flags)
{
	long ret;

	if (len > mm->task_size)
		return -ENOMEM;
	ret = get_area_topdown(mm, addr, len, flags);
	if (IS_ERR_VALUE(ret))
		return ret;
	addr = (vaddr_t)ret;
	if (addr > mm->task_size - len)
		return -ENOMEM;
	if (offset_in_page(addr))
		return -EINVAL;
	/* security_mmap_addr: below vm.mmap_min_addr only with CAP_SYS_RAWIO, which no one has. */
	return addr < MMAP_MIN_ADDR ? -EPERM : (long)addr;
}

/* ---- mmap ---- */

/* The flags MAP_SHARED_VALIDATE knows (Linux's LEGACY_MAP_MASK; kmm's files add none). */
#define MAP_UNINITIALIZED 0x4000000
#define MAP_HUGE_2MB (21 << 26)
#define MAP_HUGE_1GB (30 << 26)
#define LEGACY_MAP_MASK                                                                            \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |   \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |           \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_HUGE_2MB | MAP_HUGE_1GB)

/* arm64's VM_DATA_DEFAULT_FLAGS (no READ_IMPLIES_EXEC personality): brk's and the bss's. */
#define VM_DATA_DEFAULT_FLAGS (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)

static unsigned long calc_vm_flag_bits(int flags)
{
	return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0);
}

/* A mapping hint below vm.mmap_min_addr moves up to it (Linux's round_hint_to_min). */
static vaddr_t round_hint_to_min(vaddr_t hint)
{
	hint &= ~(PAGE_SIZE - 1);
	return hint && hint < MMAP_MIN_ADDR ? PAGE_ALIGN(MMAP_MIN_ADDR) : hint;
}

/* Whether @len bytes at page @pgoff stay below a regular file's MAX_LFS_FILESIZE. */
static bool file_mmap_ok(size_t len, uint64_t pgoff)
{
	uint64_t maxsize = INT64_MAX;

	return len <= maxsize && pgoff <= (maxsize - len) >> PAGE_SHIFT;
}

/* The checks and VM flags of a mapping of @file (Linux's do_mmap, the file case). */
static int file_vm_flags(const struct file *file, int flags, int prot, size_t len, uint64_t pgoff,
			 unsigned long *vm_flags)
{
	if (!file_mmap_ok(len, pgoff))
		return -EOVERFLOW;
	switch (flags & MAP_TYPE) {
	case MAP_SHARED_VALIDATE:
		if (flags & ~LEGACY_MAP_MASK)
			return -EOPNOTSUPP;
		/* fall through */
	case MAP_SHARED:
		if ((prot & PROT_WRITE) && !(file->f_mode & FMODE_WRITE))
			return -EACCES;
		*vm_flags |= VM_SHARED | VM_MAYSHARE;
		if (!(file->f_mode & FMODE_WRITE))
			*vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
		/* fall through */
	case MAP_PRIVATE:
		if (!(file->f_mode & FMODE_READ))
			return -EACCES;
		return *vm_flags & VM_GROWSDOWN ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* The checks and VM flags of an anonymous mapping at @addr; its pgoff (Linux's do_mmap). */
static int anon_vm_flags(int flags, vaddr_t addr, unsigned long *vm_flags, uint64_t *pgoff)
{
	switch (flags & MAP_TYPE) {
	case MAP_SHARED:
		if (*vm_flags & VM_GROWSDOWN)
			return -EINVAL;
		*pgoff = 0;
		*vm_flags |= VM_SHARED | VM_MAYSHARE;
		return 0;
	case MAP_PRIVATE:
		*pgoff = addr >> PAGE_SHIFT;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * Map [@addr, @addr + @len) (checked) to @file at @pgoff, or anonymous memory, with @vm_flags,
 * replacing whatever was mapped there (Linux's mmap_region). A shared anonymous mapping gets a
 * new in-memory file. Everything that can fail comes before the first change.
 */
static long mmap_region(struct mm_struct *mm, struct file *file, vaddr_t addr, size_t len,
			unsigned long vm_flags, uint64_t pgoff)
{
	struct vm_area_struct proto = { .vm_start = addr,
					.vm_end = addr + len,
					.vm_flags = vm_flags,
					.vm_pgoff = pgoff,
					.vm_file = file,
					.vm_mm = mm };
	struct vma_pool pool;

	if (unmap_exceeds_map_count(mm, addr, addr + len))
		return -ENOMEM;
	/* accountable_mapping: private writable memory is charged. */
	if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE)
		proto.vm_flags |= VM_ACCOUNT;
	if (!file && (vm_flags & VM_SHARED)) {
		/* shmem_zero_setup; its creation reference becomes the VMA's. */
		proto.vm_file =
		    file_create_mem(mm->ms, "/dev/zero (deleted)", len, FMODE_READ | FMODE_WRITE);
		if (!proto.vm_file)
			return -ENOMEM;
	}
	if (vma_pool_fill(&pool, mm, unmap_splits(mm, addr, addr + len) + 1)) {
		if (proto.vm_file != file)
			fput(proto.vm_file);
		return -ENOMEM;
	}
	unmap_range(mm, &pool, addr, addr + len);
	if (proto.vm_file == file) {
		vma_add(mm, &pool, &proto);
	} else {
		struct vm_area_struct *vma = vma_pool_take(&pool);

		*vma = proto;
		BUG_ON(vma_insert(&mm->vmas, vma));
	}
	vm_stat_account(mm, proto.vm_flags, (long)(len >> PAGE_SHIFT));
	vma_pool_drain(&pool);
	return (long)addr;
}

/* Add to *@vm_flags those of a mapping of @file (or anonymous memory) at @addr, and set its
 * *@pgoff, checking what Linux's do_mmap checks once the address is known. 0 or -errno. */
static int mmap_vm_flags(const struct mm_struct *mm, const struct file *file, vaddr_t addr,
			 size_t len, int prot, int flags, unsigned long *vm_flags, uint64_t *pgoff)
{
	int ret;

	*vm_flags |= calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) | VM_MAYREAD | VM_MAYWRITE |
		     VM_MAYEXEC;
	ret = mlock_future_check(mm, *vm_flags, len);
	if (!ret)
		ret = file ? file_vm_flags(file, flags, prot, len, *pgoff, vm_flags)
			   : anon_vm_flags(flags, addr, vm_flags, pgoff);
	if (!ret && (flags & MAP_NORESERVE))
		*vm_flags |= VM_NORESERVE;
	return ret;
}

long do_mmap(struct mm_struct *mm, struct file *file, vaddr_t addr, size_t len, int prot, int flags,
	     unsigned long vm_flags, uint64_t pgoff)
{
	long ret;

	mmap_assert_write_locked(mm);
	if (!len)
		return -EINVAL;
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	if (!(flags & MAP_FIXED))
		addr = round_hint_to_min(addr);
	len = PAGE_ALIGN(len);
	if (!len)
		return -ENOMEM;
	if (pgoff + (len >> PAGE_SHIFT) < pgoff)
		return -EOVERFLOW;
	if (mm->vmas.count > sysctl_max_map_count)
		return -ENOMEM;
	ret = get_unmapped_area(mm, addr, len, flags);
	if (IS_ERR_VALUE(ret))
		return ret;
	addr = (vaddr_t)ret;
	if ((flags & MAP_FIXED_NOREPLACE) && find_vma_intersection(&mm->vmas, addr, addr + len))
		return -EEXIST;
	ret = mmap_vm_flags(mm, file, addr, len, prot, flags, &vm_flags, &pgoff);
	if (ret)
		return ret;
	ret = mmap_region(mm, file, addr, len, vm_flags, pgoff);
	if (!IS_ERR_VALUE(ret) &&
	    ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE))
		populate_vmas(mm, addr, addr + len);
	return ret;
}

long sys_mmap(struct mm_struct *mm, vaddr_t addr, size_t len, int prot, int flags,
	      struct file *file, uint64_t off)
{
	long ret;

	if (offset_in_page(off))
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		file = NULL;
	else if (!file)
		return -EBADF;
	/* MAP_HUGETLB: no hugetlbfs pool (nr_hugepages 0) for anonymous memory; a file mapping
	 * of a non-hugetlbfs file refuses it. */
	if (flags & MAP_HUGETLB)
		return file ? -EINVAL : -ENOMEM;
	mmap_write_lock(mm);
	ret = do_mmap(mm, file, addr, len, prot, flags, 0, off >> PAGE_SHIFT);
	mmap_write_unlock(mm);
	return ret;
}

/* ---- brk ---- */

/* Map [@addr, @addr + @len) as brk memory with the extra VM flags @flags (Linux's
 * do_brk_flags, after the munmap vm_brk_flags does first). */
static int do_brk_flags(struct mm_struct *mm, vaddr_t addr, uint64_t len, unsigned long flags)
{
	long ret;

	if (mm->vmas.count > sysctl_max_map_count)
		return -ENOMEM;
	ret = mmap_region(mm, NULL, addr, len, flags | VM_DATA_DEFAULT_FLAGS | VM_ACCOUNT,
			  addr >> PAGE_SHIFT);
	return IS_ERR_VALUE(ret) ? (int)ret : 0;
}

int vm_brk_flags(struct mm_struct *mm, vaddr_t addr, size_t request, unsigned long flags)
{
	uint64_t len = PAGE_ALIGN(request);
	long ret;

	mmap_assert_write_locked(mm);
	if (flags & ~VM_EXEC)
		return -EINVAL;
	if (len < request)
		return -ENOMEM;
	if (!len)
		return 0;
	ret = get_unmapped_area(mm, addr, len, MAP_FIXED);
	return IS_ERR_VALUE(ret) ? (int)ret : do_brk_flags(mm, addr, len, flags);
}

/* Grow the heap from @oldbrk to @newbrk, keeping a page and the guard gap to the next VMA. */
static int brk_grow(struct mm_struct *mm, vaddr_t oldbrk, vaddr_t newbrk)
{
	long ret = get_unmapped_area(mm, oldbrk, newbrk - oldbrk, MAP_FIXED);
	const struct vm_area_struct *next = find_vma(&mm->vmas, oldbrk);

	if (IS_ERR_VALUE(ret))
		return (int)ret;
	if (next && newbrk + PAGE_SIZE > vm_start_gap(next))
		return -ENOMEM;
	return do_brk_flags(mm, oldbrk, newbrk - oldbrk, 0);
}

/* Shrink the heap from @oldbrk to @newbrk; there must be heap there to shrink (Linux 6.1). */
static int brk_shrink(struct mm_struct *mm, vaddr_t newbrk, vaddr_t oldbrk)
{
	const struct vm_area_struct *vma = find_vma(&mm->vmas, newbrk);

	if (!vma || vma->vm_start >= oldbrk)
		return -ENOMEM;
	return do_munmap(mm, newbrk, oldbrk - newbrk);
}

long sys_brk(struct mm_struct *mm, vaddr_t brk)
{
	vaddr_t newbrk = PAGE_ALIGN(brk), oldbrk;
	long ret;

	mmap_write_lock(mm);
	oldbrk = PAGE_ALIGN(mm->brk);
	if (brk < mm->start_brk)
		ret = -EINVAL;
	else if (newbrk == oldbrk)
		ret = 0;
	else if (brk <= mm->brk)
		ret = brk_shrink(mm, newbrk, oldbrk);
	else
		ret = brk_grow(mm, oldbrk, newbrk);
	if (!ret)
		mm->brk = brk;
	ret = (long)mm->brk;
	mmap_write_unlock(mm);
	return ret;
}

/* ---- the stack ---- */

int expand_stack(struct vm_area_struct *vma, vaddr_t address)
{
	struct mm_struct *mm = vma->vm_mm;
	const struct vm_area_struct *prev = vma_prev(vma);
	unsigned long grow;

	mmap_assert_locked(mm);
	address &= ~(PAGE_SIZE - 1);
	if (address < MMAP_MIN_ADDR)
		return -EPERM;
	if (prev && (address < prev->vm_end ||
		     (!(prev->vm_flags & VM_GROWSDOWN) && (prev->vm_flags & VM_ACCESS_FLAGS) &&
		      address - prev->vm_end < STACK_GUARD_GAP)))
		return -ENOMEM;
	if (address >= vma->vm_start)
		return 0;
	grow = (vma->vm_start - address) >> PAGE_SHIFT;
	if (grow > vma->vm_pgoff || vma->vm_end - address > mm->stack_rlimit ||
	    mlock_future_check(mm, vma->vm_flags, grow << PAGE_SHIFT))
		return -ENOMEM;
	/* The key moves down into the free gap below: the tree order is unchanged. */
	vma->vm_start = address;
	vma->vm_pgoff -= grow;
	vm_stat_account(mm, vma->vm_flags, (long)grow);
	return 0;
}

/* ---- exit ---- */

void exit_mmap(struct mm_struct *mm)
{
	struct vm_area_struct *vma;

	mmap_write_lock(mm);
	for (vma = vma_first(&mm->vmas); vma; vma = vma_next(vma))
		zap_page_range(vma, vma->vm_start, vma->vm_end);
	vma_tree_free_all(&mm->vmas, &no_pool.a);
	mm->total_vm = mm->data_vm = mm->exec_vm = mm->stack_vm = 0;
	mmap_write_unlock(mm);
}

/* ---- the checker ---- */

static char check_msg[192];

struct check_ctx {
	struct mm_struct *mm;
	const struct vm_area_struct *vma; /* the first VMA that may hold the next leaf */
	unsigned long rss[NR_MM_COUNTERS];
};

/* What is wrong with the PTE @desc in @vma, or NULL (mk_pte's rules, fault.h). */
static const char *check_pte(struct check_ctx *ctx, const struct vm_area_struct *vma, uint64_t desc)
{
	const struct mm_struct *mm = ctx->mm;
	struct page *page = ms_pfn_to_page(mm->ms, PHYS_PFN(desc_oa(&mm->pgd.geom, 3, desc)));
	unsigned long f = vma->vm_flags;
	bool el0 = desc & PTE_USER, writable = el0 && !(desc & PTE_RDONLY), anon;

	if (!(desc & PTE_NG) || !(desc & PTE_PXN))
		return "a user PTE global or executable at EL1";
	if (el0 && !(f & VM_ACCESS_FLAGS))
		return "an EL0-accessible PTE in a PROT_NONE VMA";
	if (writable && !(f & VM_WRITE))
		return "a writable PTE in a VMA without VM_WRITE";
	if (!(desc & PTE_UXN) && !(f & VM_EXEC))
		return "an EL0-executable PTE in a VMA without VM_EXEC";
	if (!page || page_mapcount(page) < 1)
		return "a PTE whose page's map count does not count it";
	if (page_ref_count(page) < page_mapcount(page))
		return "a mapped page with fewer references than mappings";
	anon = (uintptr_t)page->mapping & 1;
	if (writable && !(f & VM_SHARED) && (!anon || page_mapcount(page) != 1))
		return "a writable PTE on a page a private mapping shares (copy-on-write lost)";
	ctx->rss[anon ? MM_ANONPAGES : MM_FILEPAGES]++;
	return NULL;
}

static int check_leaf(void *c, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct check_ctx *ctx = c;
	const char *why;

	while (ctx->vma && ctx->vma->vm_end <= va)
		ctx->vma = vma_next(ctx->vma);
	if (level != 3)
		why = "a block mapping in user space";
	else if (!ctx->vma || va < ctx->vma->vm_start)
		why = "a PTE outside every VMA";
	else
		why = check_pte(ctx, ctx->vma, *slot);
	if (!why)
		return 0;
	kmm_snprintf(check_msg, sizeof(check_msg), "%s at 0x%llx (descriptor 0x%llx)", why,
		     (unsigned long long)va, (unsigned long long)*slot);
	return 1;
}

/* What is wrong with @v, a VMA of @mm, or NULL. */
static const char *check_vma(const struct mm_struct *mm, const struct vm_area_struct *v)
{
	if (v->vm_mm != mm)
		return "a VMA of another mm";
	if (v->vm_start < MMAP_MIN_ADDR || v->vm_end > mm->task_size)
		return "a VMA outside [mmap_min_addr, TASK_SIZE)";
	if (v->vm_file && !v->vm_file->refcount)
		return "a VMA on a file without references";
	return NULL;
}

/* The VMA tree, each VMA, and the VM counters they add up to. */
static const char *check_vmas(const struct mm_struct *mm)
{
	struct mm_struct sum = { .total_vm = 0 };
	const struct vm_area_struct *v;
	const char *why = vma_check(&mm->vmas, false);

	if (why)
		return why;
	for (v = vma_first(&mm->vmas); v; v = vma_next(v)) {
		why = check_vma(mm, v);
		if (why) {
			kmm_snprintf(check_msg, sizeof(check_msg), "%s: [0x%llx, 0x%llx)", why,
				     (unsigned long long)v->vm_start,
				     (unsigned long long)v->vm_end);
			return check_msg;
		}
		vm_stat_account(&sum, v->vm_flags, (long)vma_pages(v));
	}
	if (sum.total_vm == mm->total_vm && sum.data_vm == mm->data_vm &&
	    sum.exec_vm == mm->exec_vm && sum.stack_vm == mm->stack_vm)
		return NULL;
	kmm_snprintf(check_msg, sizeof(check_msg),
		     "VM counters total/data/exec/stack %lu/%lu/%lu/%lu, the VMAs have "
		     "%lu/%lu/%lu/%lu",
		     mm->total_vm, mm->data_vm, mm->exec_vm, mm->stack_vm, sum.total_vm,
		     sum.data_vm, sum.exec_vm, sum.stack_vm);
	return check_msg;
}

const char *mm_check(struct mm_struct *mm)
{
	struct check_ctx ctx = { .mm = mm, .vma = vma_first(&mm->vmas) };
	const char *why = check_vmas(mm);

	if (why)
		return why;
	if (pgtable_walk_leaves(&mm->pgd, 0, mm->task_size, check_leaf, &ctx))
		return check_msg;
	if (ctx.rss[MM_ANONPAGES] != mm->rss[MM_ANONPAGES] ||
	    ctx.rss[MM_FILEPAGES] != mm->rss[MM_FILEPAGES]) {
		kmm_snprintf(check_msg, sizeof(check_msg),
			     "RSS counters anon/file %lu/%lu, the page tables map %lu/%lu",
			     mm->rss[MM_ANONPAGES], mm->rss[MM_FILEPAGES], ctx.rss[MM_ANONPAGES],
			     ctx.rss[MM_FILEPAGES]);
		return check_msg;
	}
	return NULL;
}

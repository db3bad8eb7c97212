// SPDX-License-Identifier: MIT
/*
 * madvise (Linux 6.1's mm/madvise.c); see include/kmm/mman.h. The advice kmm knows:
 *
 * - MADV_NORMAL, MADV_SEQUENTIAL, MADV_RANDOM: the read-ahead flags VM_SEQ_READ / VM_RAND_READ;
 * - MADV_DONTFORK, MADV_DOFORK: VM_DONTCOPY set / cleared (fork leaves such VMAs out);
 * - MADV_WILLNEED: the range populated (populate_range; a hint, so a fault error is ignored);
 * - MADV_DONTNEED: the range's pages zapped: private anonymous memory reads back zeros, file
 *   and shared memory the file's contents (-EINVAL on VM_LOCKED memory);
 * - MADV_FREE: private anonymous memory only (else -EINVAL); freed at once, which Linux may do
 *   too (it frees lazily, under memory pressure);
 * - MADV_REMOVE: checked as Linux does (-EINVAL locked or not a file, -EACCES not a shared
 *   writable mapping), then -EOPNOTSUPP: kmm's files cannot punch holes (fs.h has no call to).
 *
 * Other advice values are -EINVAL. Linux applies the advice to the mapped parts of a range with
 * holes and then returns -ENOMEM; kmm, whose failed calls change nothing, checks the whole range
 * first. Splits beyond vm.max_map_count are -EAGAIN, as Linux turns its -ENOMEM into.
 */
#include "mmap_internal.h"

#include <kmm/errno.h>
#include <kmm/fault.h>

static bool madvise_behavior_valid(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
		return true;
	default:
		return false;
	}
}

/* Advice that changes VM flags (and so takes the mmap lock for writing: Linux's
 * madvise_need_mmap_write). */
static bool advice_sets_flags(int advice)
{
	return advice != MADV_WILLNEED && advice != MADV_DONTNEED && advice != MADV_FREE &&
	       advice != MADV_REMOVE;
}

/* The flags @advice gives a VMA with flags @f. */
static unsigned long madvise_flags(unsigned long f, int advice)
{
	switch (advice) {
	case MADV_NORMAL:
		return f & ~(VM_SEQ_READ | VM_RAND_READ);
	case MADV_SEQUENTIAL:
		return (f & ~VM_RAND_READ) | VM_SEQ_READ;
	case MADV_RANDOM:
		return (f & ~VM_SEQ_READ) | VM_RAND_READ;
	case MADV_DONTFORK:
		return f | VM_DONTCOPY;
	default: /* MADV_DOFORK */
		return f & ~VM_DONTCOPY;
	}
}

/* The error @advice meets on @vma, or 0. */
static int madvise_vma_check(const struct vm_area_struct *vma, int advice)
{
	unsigned long f = vma->vm_flags;

	switch (advice) {
	case MADV_DONTNEED:
		return f & VM_LOCKED ? -EINVAL : 0;
	case MADV_FREE:
		return (f & VM_LOCKED) || vma->vm_file ? -EINVAL : 0;
	case MADV_REMOVE:
		if ((f & VM_LOCKED) || !vma->vm_file)
			return -EINVAL;
		return (f & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE) ? -EACCES
									      : -EOPNOTSUPP;
	default:
		return 0;
	}
}

/*
 * Check [@start, @end): a VMA's error first (in address order, as Linux meets them), else
 * -ENOMEM for a hole. *@splits: the splits a flag change makes.
 */
static int madvise_check(const struct mm_struct *mm, vaddr_t start, vaddr_t end, int advice,
			 unsigned int *splits)
{
	const struct vm_area_struct *vma;
	vaddr_t covered = start;
	int hole = 0, ret;

	*splits = 0;
	for (vma = find_vma(&mm->vmas, start); vma && vma->vm_start < end; vma = vma_next(vma)) {
		if (vma->vm_start > covered)
			hole = -ENOMEM;
		ret = madvise_vma_check(vma, advice);
		if (ret)
			return ret;
		if (advice_sets_flags(advice) &&
		    madvise_flags(vma->vm_flags, advice) != vma->vm_flags)
			*splits += (start > vma->vm_start) + (end < vma->vm_end);
		covered = vma->vm_end;
	}
	return covered < end ? -ENOMEM : hole;
}

/* Give [@start, @end) of @vma (inside it) @advice's flags: split, set, merge. */
static void madvise_update_vma(struct mm_struct *mm, struct vma_pool *p, struct vm_area_struct *vma,
			       vaddr_t start, vaddr_t end, int advice)
{
	unsigned long f = madvise_flags(vma->vm_flags, advice);

	if (f == vma->vm_flags)
		return;
	vma = vma_isolate(mm, p, vma, start, end);
	vma->vm_flags = f;
	vma_merge_neighbours(mm, vma);
}

/* Apply @advice to [@start, @end), which is mapped throughout. */
static void madvise_apply(struct mm_struct *mm, struct vma_pool *p, vaddr_t start, vaddr_t end,
			  int advice)
{
	if (advice == MADV_WILLNEED) {
		populate_vmas(mm, start, end);
		return;
	}
	while (start < end) {
		struct vm_area_struct *vma = find_vma(&mm->vmas, start);
		vaddr_t next = umin(end, vma->vm_end);

		if (advice == MADV_DONTNEED || advice == MADV_FREE)
			zap_page_range(vma, start, next);
		else
			madvise_update_vma(mm, p, vma, start, next, advice);
		start = next;
	}
}

static int do_madvise(struct mm_struct *mm, vaddr_t start, vaddr_t end, int advice)
{
	struct vma_pool pool;
	unsigned int splits;
	int ret = madvise_check(mm, start, end, advice, &splits);

	if (ret)
		return ret;
	if (splits && mm->vmas.count + splits > sysctl_max_map_count)
		return -EAGAIN;
	if (vma_pool_fill(&pool, mm, splits))
		return -EAGAIN;
	madvise_apply(mm, &pool, start, end, advice);
	vma_pool_drain(&pool);
	return 0;
}

int sys_madvise(struct mm_struct *mm, vaddr_t start, size_t len, int advice)
{
	uint64_t alen = PAGE_ALIGN(len);
	vaddr_t end = start + alen;
	int ret;

	if (!madvise_behavior_valid(advice) || offset_in_page(start))
		return -EINVAL;
	/* len rounded up from a small negative value to zero, or the range wrapping. */
	if ((len && !alen) || end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	if (advice_sets_flags(advice))
		mmap_write_lock(mm);
	else
		mmap_read_lock(mm);
	ret = do_madvise(mm, start, end, advice);
	if (advice_sets_flags(advice))
		mmap_write_unlock(mm);
	else
		mmap_read_unlock(mm);
	return ret;
}

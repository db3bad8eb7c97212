// SPDX-License-Identifier: MIT
/*
 * mremap (Linux 6.1's mm/mremap.c); see include/kmm/mman.h. A shrink unmaps the tail; a grow
 * extends the VMA in place when the range ends its VMA and the space above is free, else (with
 * MREMAP_MAYMOVE) moves it: a new VMA at a free range (or at MREMAP_FIXED's address, whose
 * mappings go), the PTEs moved to it (move_page_tables, pages keep their counts), the old
 * range unmapped (kept, empty, with MREMAP_DONTUNMAP).
 *
 * Failure leaves the address space as it was: the checks and the VMAs come first, and
 * move_page_tables allocates its tables before it changes anything. One case remains: when
 * MREMAP_FIXED's target was mapped, its mappings go before the PTEs move, so running out of
 * page-table memory at that point returns -ENOMEM with the target unmapped (as in Linux).
 */
#include "mmap_internal.h"

#include <kmm/errno.h>
#include <kmm/fault.h>

/* Linux's vma_to_resize checks for making [@addr, @addr + @old_len) of @vma @new_len long. */
static int resize_check(const struct mm_struct *mm, const struct vm_area_struct *vma, vaddr_t addr,
			size_t old_len, size_t new_len, int flags)
{
	uint64_t pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);

	/* old_len 0 duplicates a shared mapping; a private one has nothing to duplicate. */
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (vma->vm_flags & VM_DONTEXPAND))
		return -EINVAL;
	if (old_len > vma->vm_end - addr)
		return -EFAULT;
	if (new_len == old_len)
		return 0;
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return -EINVAL;
	if (vma->vm_flags & VM_DONTEXPAND)
		return -EFAULT;
	return mlock_future_check(mm, vma->vm_flags, new_len - old_len);
}

/* Whether @vma can grow by @delta in place: the space above free and inside TASK_SIZE. */
static bool vma_expandable(const struct mm_struct *mm, const struct vm_area_struct *vma,
			   size_t delta)
{
	vaddr_t end = vma->vm_end + delta;

	return end > vma->vm_end && !find_vma_intersection(&mm->vmas, vma->vm_end, end) &&
	       !IS_ERR_VALUE(get_unmapped_area(mm, vma->vm_start, end - vma->vm_start, MAP_FIXED));
}

/* Grow @vma, ending at @addr + @old_len, to @addr + @new_len (it may merge with the next). */
static long mremap_expand(struct mm_struct *mm, struct vm_area_struct *vma, vaddr_t addr,
			  size_t old_len, size_t new_len)
{
	struct vm_area_struct ext = *vma;

	ext.vm_start = addr + old_len;
	ext.vm_end = addr + new_len;
	ext.vm_pgoff = vma->vm_pgoff + ((ext.vm_start - vma->vm_start) >> PAGE_SHIFT);
	/* @vma itself takes the extension: no VMA is needed. */
	vma_add(mm, NULL, &ext);
	vm_stat_account(mm, ext.vm_flags, (long)((new_len - old_len) >> PAGE_SHIFT));
	if (ext.vm_flags & VM_LOCKED)
		populate_vmas(mm, ext.vm_start, ext.vm_end);
	return (long)addr;
}

/*
 * Move [@addr, @addr + @old_len) of @vma to a new VMA [@new_addr, + @new_len) (Linux's
 * move_vma), the first min(old_len, new_len) bytes with their pages; the target is free, or
 * MREMAP_FIXED's to replace. The old range is unmapped unless MREMAP_DONTUNMAP.
 */
static long move_vma(struct mm_struct *mm, struct vm_area_struct *vma, vaddr_t addr, size_t old_len,
		     size_t new_len, vaddr_t new_addr, int flags)
{
	bool unmap_old = !(flags & MREMAP_DONTUNMAP) && old_len;
	size_t moved = umin(old_len, new_len);
	struct vm_area_struct new = *vma;
	struct vma_pool pool;
	int ret;

	if (mm->vmas.count >= sysctl_max_map_count - 3)
		return -ENOMEM;
	if (vma_pool_fill(&pool, mm,
			  1 + unmap_splits(mm, new_addr, new_addr + new_len) +
			      (unmap_old ? unmap_splits(mm, addr, addr + old_len) : 0)))
		return -ENOMEM;
	new.vm_start = new_addr;
	new.vm_end = new_addr + new_len;
	new.vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	unmap_range(mm, &pool, new_addr, new_addr + new_len);
	vma = find_vma(&mm->vmas, addr); /* the target's unmap may have split it */
	ret = moved ? move_page_tables(vma, addr, &new, new_addr, moved) : 0;
	if (ret) {
		vma_pool_drain(&pool);
		return ret;
	}
	vma_add(mm, &pool, &new);
	vm_stat_account(mm, new.vm_flags, (long)(new_len >> PAGE_SHIFT));
	if (unmap_old)
		unmap_range(mm, &pool, addr, addr + old_len);
	else if (flags & MREMAP_DONTUNMAP)
		find_vma(&mm->vmas, addr)->vm_flags &= ~VM_LOCKED;
	vma_pool_drain(&pool);
	if ((new.vm_flags &VM_LOCKED) && new_len > old_len)
		populate_vmas(mm, new_addr + old_len, new_addr + new_len);
	return (long)new_addr;
}

/* MREMAP_FIXED or MREMAP_DONTUNMAP: move to @new_addr (the address, or a hint). */
static long mremap_to(struct mm_struct *mm, struct vm_area_struct *vma, vaddr_t addr,
		      size_t old_len, vaddr_t new_addr, size_t new_len, int flags)
{
	long ret;

	if (offset_in_page(new_addr) || new_len > mm->task_size ||
	    new_addr > mm->task_size - new_len)
		return -EINVAL;
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;
	/* Linux's worst case: both VMAs split in three, 4 below the limit. */
	if (mm->vmas.count + 2 >= sysctl_max_map_count - 3)
		return -ENOMEM;
	/* A shrink first drops the tail: only new_len must lie in the VMA. */
	ret = resize_check(mm, vma, addr, umin(old_len, new_len), new_len, flags);
	if (ret)
		return ret;
	ret = get_unmapped_area(mm, new_addr, new_len, flags & MREMAP_FIXED ? MAP_FIXED : 0);
	if (IS_ERR_VALUE(ret))
		return ret;
	return move_vma(mm, vma, addr, old_len, new_len, (vaddr_t)ret, flags);
}

/* Grow [@addr, @addr + @old_len) of @vma to @new_len: in place, or moved with MREMAP_MAYMOVE. */
static long mremap_grow(struct mm_struct *mm, struct vm_area_struct *vma, vaddr_t addr,
			size_t old_len, size_t new_len, int flags)
{
	long ret = resize_check(mm, vma, addr, old_len, new_len, flags);

	if (ret)
		return ret;
	if (old_len == vma->vm_end - addr && vma_expandable(mm, vma, new_len - old_len))
		return mremap_expand(mm, vma, addr, old_len, new_len);
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	ret = get_unmapped_area(mm, 0, new_len, 0);
	if (IS_ERR_VALUE(ret))
		return ret;
	return move_vma(mm, vma, addr, old_len, new_len, (vaddr_t)ret, flags);
}

/* Shrinking (or keeping) the size unmaps the tail, wherever it lies. */
static long mremap_shrink(struct mm_struct *mm, vaddr_t addr, size_t old_len, size_t new_len)
{
	int ret = old_len == new_len ? 0 : do_munmap(mm, addr + new_len, old_len - new_len);

	return ret ? ret : (long)addr;
}

long sys_mremap(struct mm_struct *mm, vaddr_t addr, size_t old_len, size_t new_len, int flags,
		vaddr_t new_addr)
{
	struct vm_area_struct *vma;
	long ret;

	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	/* MREMAP_DONTUNMAP is always a move, of the same size. */
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (offset_in_page(addr))
		return -EINVAL;
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (!new_len)
		return -EINVAL;
	mmap_write_lock(mm);
	vma = find_vma(&mm->vmas, addr);
	if (!vma || vma->vm_start > addr)
		ret = -EFAULT;
	else if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		ret = mremap_to(mm, vma, addr, old_len, new_addr, new_len, flags);
	else if (old_len >= new_len)
		ret = mremap_shrink(mm, addr, old_len, new_len);
	else
		ret = mremap_grow(mm, vma, addr, old_len, new_len, flags);
	mmap_write_unlock(mm);
	return ret;
}

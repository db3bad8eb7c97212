// SPDX-License-Identifier: MIT
/*
 * mprotect (Linux 6.1's mm/mprotect.c); see include/kmm/mman.h. The range must be mapped
 * throughout (-ENOMEM at a hole) and every VMA in it must allow the new protection through its
 * VM_MAY* flags (-EACCES); both are checked over the whole range before anything changes, where
 * Linux stops at the first offending VMA with the ones before it already changed. Each VMA
 * whose flags change is split to the range, gets the flags and the PTEs their permissions
 * (change_protection), and merges with compatible neighbours.
 */
#include "mmap_internal.h"

#include <kmm/errno.h>
#include <kmm/fault.h>

/* The flags @vma gets under @prot: its R/W/X replaced; a private mapping turning writable is
 * charged (VM_ACCOUNT), as Linux's mprotect_fixup does. */
static unsigned long mprotect_flags(const struct vm_area_struct *vma, int prot)
{
	unsigned long old = vma->vm_flags, f = calc_vm_prot_bits(prot) | (old & ~VM_ACCESS_FLAGS);

	if ((f & VM_WRITE) && !(old & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE)))
		f |= VM_ACCOUNT;
	return f;
}

/* Whether @f asks for an access its VM_MAY* flags forbid (VM_MAYx is VM_x << 4). */
static bool mprotect_denied(unsigned long f)
{
	return (f & ~(f >> 4)) & VM_ACCESS_FLAGS;
}

/*
 * Check [@start, @end) from @vma (which holds @start) on, in address order as Linux meets the
 * errors: -EACCES for a VMA that may not get @prot, -ENOMEM at a hole. *@splits: the splits the
 * change makes.
 */
static int mprotect_check(const struct vm_area_struct *vma, vaddr_t start, vaddr_t end, int prot,
			  unsigned int *splits)
{
	*splits = 0;
	for (;;) {
		unsigned long f = mprotect_flags(vma, prot);

		if (mprotect_denied(f))
			return -EACCES;
		if (f != vma->vm_flags)
			*splits += (start > vma->vm_start) + (end < vma->vm_end);
		if (vma->vm_end >= end)
			return 0;
		if (!vma_next(vma) || vma_next(vma)->vm_start != vma->vm_end)
			return -ENOMEM;
		vma = vma_next(vma);
	}
}

/* Give [@start, @end) of @vma (inside it) the flags @f (Linux's mprotect_fixup after its
 * checks). */
static void mprotect_fixup(struct mm_struct *mm, struct vma_pool *p, struct vm_area_struct *vma,
			   vaddr_t start, vaddr_t end, unsigned long f)
{
	unsigned long old = vma->vm_flags;
	long pages = (long)((end - start) >> PAGE_SHIFT);

	vma = vma_isolate(mm, p, vma, start, end);
	vma->vm_flags = f;
	change_protection(vma, start, end, f);
	vm_stat_account(mm, old, -pages);
	vm_stat_account(mm, f, pages);
	/* A private locked VMA turning writable breaks CoW now rather than at the next write. */
	if ((old & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (f & VM_WRITE))
		(void)populate_range(vma, start, end, true);
	vma_merge_neighbours(mm, vma);
}

/* The first VMA of the range, [*@start, *@end) widened for PROT_GROWSDOWN; or an error. */
static int mprotect_first(const struct mm_struct *mm, vaddr_t *start, vaddr_t end, int grows,
			  struct vm_area_struct **out)
{
	struct vm_area_struct *vma = find_vma(&mm->vmas, *start);

	if (!vma)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {
		if (vma->vm_start >= end)
			return -ENOMEM;
		*start = vma->vm_start;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			return -EINVAL;
	} else if (vma->vm_start > *start) {
		return -ENOMEM;
	} else if (grows & PROT_GROWSUP) {
		return -EINVAL; /* arm64 has no VM_GROWSUP */
	}
	*out = vma;
	return 0;
}

/* mprotect under the lock: check, take the VMAs the splits need, change VMA by VMA. */
static int do_mprotect(struct mm_struct *mm, vaddr_t start, vaddr_t end, int prot, int grows)
{
	struct vm_area_struct *vma;
	struct vma_pool pool;
	unsigned int splits;
	int ret = mprotect_first(mm, &start, end, grows, &vma);

	if (!ret)
		ret = mprotect_check(vma, start, end, prot, &splits);
	if (ret)
		return ret;
	if (splits && mm->vmas.count + splits > sysctl_max_map_count)
		return -ENOMEM;
	if (vma_pool_fill(&pool, mm, splits))
		return -ENOMEM;
	while (start < end) {
		vaddr_t next;

		vma = find_vma(&mm->vmas, start);
		next = umin(end, vma->vm_end);
		if (mprotect_flags(vma, prot) != vma->vm_flags)
			mprotect_fixup(mm, &pool, vma, start, next, mprotect_flags(vma, prot));
		start = next;
	}
	vma_pool_drain(&pool);
	return 0;
}

int sys_mprotect(struct mm_struct *mm, vaddr_t start, size_t len, int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP), ret;
	vaddr_t end;

	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP) || offset_in_page(start))
		return -EINVAL;
	if (!len)
		return 0;
	end = start + PAGE_ALIGN(len);
	if (end <= start)
		return -ENOMEM;
	/* arm64's arch_validate_prot, without BTI or MTE. */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	mmap_write_lock(mm);
	ret = do_mprotect(mm, start, end, prot, grows);
	mmap_write_unlock(mm);
	return ret;
}

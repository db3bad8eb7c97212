// SPDX-License-Identifier: MIT
/*
 * mincore (Linux 6.1's mm/mincore.c); see include/kmm/mman.h. A page is resident when a PTE maps
 * it (a PROT_NONE PTE too), or, for a file mapping whose PTE is empty, when the file's page is
 * in the page cache. Swap does not exist yet, so an empty anonymous PTE is not resident. The
 * range must be mapped throughout (-ENOMEM at a hole; the bytes before it are filled, as
 * Linux's copy to the user's vector does chunk by chunk).
 */
#include "mmap_internal.h"

#include <kmm/errno.h>
#include <kmm/fs.h>

struct mincore_walk {
	vaddr_t start;	    /* the VA of vec[0] */
	unsigned char *vec; /* one byte per page */
};

/* A present PTE: its page is resident. User memory is mapped with pages only (fault.h). */
static int mincore_leaf(void *c, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct mincore_walk *w = c;

	(void)slot;
	if (level == 3)
		w->vec[(va - w->start) >> PAGE_SHIFT] = 1;
	return 0;
}

/* Fill @vec for [@start, @end) of @vma. */
static void mincore_vma(struct mm_struct *mm, const struct vm_area_struct *vma, vaddr_t start,
			vaddr_t end, unsigned char *vec)
{
	struct mincore_walk w = { start, vec };
	size_t n = (end - start) >> PAGE_SHIFT;

	__builtin_memset(vec, 0, n);
	pgtable_walk_leaves(&mm->pgd, start, end, mincore_leaf, &w);
	if (!vma->vm_file)
		return;
	for (size_t i = 0; i < n; i++) {
		uint64_t pgoff = vma->vm_pgoff + ((start - vma->vm_start) >> PAGE_SHIFT) + i;

		if (!vec[i])
			vec[i] = filemap_find_page(vma->vm_file->f_mapping, pgoff) != NULL;
	}
}

int sys_mincore(struct mm_struct *mm, vaddr_t start, size_t len, unsigned char *vec)
{
	vaddr_t addr, end;
	int ret = 0;

	if (offset_in_page(start))
		return -EINVAL;
	/* access_ok of the range: it must lie in the user address space. */
	if (start > mm->task_size || len > mm->task_size - start)
		return -ENOMEM;
	end = start + PAGE_ALIGN(len);
	if (end == start)
		return 0;
	if (!vec)
		return -EFAULT;
	mmap_read_lock(mm);
	for (addr = start; addr < end;) {
		const struct vm_area_struct *vma = find_vma(&mm->vmas, addr);
		vaddr_t next;

		if (!vma || vma->vm_start > addr) {
			ret = -ENOMEM;
			break;
		}
		next = umin(end, vma->vm_end);
		mincore_vma(mm, vma, addr, next, vec + ((addr - start) >> PAGE_SHIFT));
		addr = next;
	}
	mmap_read_unlock(mm);
	return ret;
}

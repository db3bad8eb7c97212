/* SPDX-License-Identifier: MIT */
/*
 * What the memory system calls (mm/mmap.c, mprotect.c, mremap.c, madvise.c, mincore.c) share:
 * the VMA pool that makes a call's tree operations unable to fail, VMA release with its file
 * reference, the munmap core, placement, and Linux's limits. Internal to those files.
 *
 * Every call that changes the VMA set first checks everything that can fail and takes from the
 * VMA cache every VMA it may need (an upper bound: one per split, one per new VMA) into a
 * struct vma_pool; only then does it change the tree, through the pool's allocator, so a failed
 * call leaves the address space as it was.
 */
#ifndef KMM_MM_MMAP_INTERNAL_H
#define KMM_MM_MMAP_INTERNAL_H

#include <kmm/mman.h>

#define PAGE_ALIGN(x) ALIGN_UP((uint64_t)(x), PAGE_SIZE)
#define offset_in_page(x) ((uint64_t)(x) & (PAGE_SIZE - 1))
#define vma_pages(v) (((v)->vm_end - (v)->vm_start) >> PAGE_SHIFT)
#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)

/* The VM_READ/WRITE/EXEC of PROT_* @prot (Linux's calc_vm_prot_bits). */
static inline unsigned long calc_vm_prot_bits(int prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static inline vaddr_t umin(vaddr_t a, vaddr_t b)
{
	return a < b ? a : b;
}

static inline vaddr_t umax(vaddr_t a, vaddr_t b)
{
	return a > b ? a : b;
}

/* The most a call needs (mremap's move): two splits at the ends of the target range, two at the
 * ends of the old one, and the new VMA. */
#define VMA_POOL_MAX 5

struct vma_pool {
	struct vm_area_struct *v[VMA_POOL_MAX];
	unsigned int n;
	struct vma_allocator a; /* alloc takes from v[], free is vma_release */
};

/* Fill @p with @n VMAs of @mm's cache: 0, or -ENOMEM with @p empty. */
int vma_pool_fill(struct vma_pool *p, struct mm_struct *mm, unsigned int n);
/* Give the VMAs left in @p back to the cache. */
void vma_pool_drain(struct vma_pool *p);
/* A VMA from @p (one must be left: the caller counted). */
struct vm_area_struct *vma_pool_take(struct vma_pool *p);

/* Free @vma, out of its tree, dropping its file reference (Linux's remove_vma). */
void vma_release(struct vm_area_struct *vma);

/* Split @vma at @addr with a VMA of @p; the upper part takes its own file reference. */
void vma_split_pooled(struct mm_struct *mm, struct vma_pool *p, struct vm_area_struct *vma,
		      vaddr_t addr);

/* Split @vma, which covers [@start, @end) and more maybe, with VMAs of @p so that one VMA covers
 * exactly [@start, @end); that VMA. */
struct vm_area_struct *vma_isolate(struct mm_struct *mm, struct vma_pool *p,
				   struct vm_area_struct *vma, vaddr_t start, vaddr_t end);

/* Add the free range @proto (its file reference not taken yet) to @mm's VMAs: merged into the
 * neighbours where compatible, else as a VMA of @p taking a file reference of its own (@p may
 * be NULL when @proto surely extends a neighbour). */
void vma_add(struct mm_struct *mm, struct vma_pool *p, const struct vm_area_struct *proto);

/* Merge @vma, in @mm's tree, with its neighbours where they are compatible (Linux's vma_merge
 * after a flags change); @vma is freed when a neighbour takes its range. */
void vma_merge_neighbours(struct mm_struct *mm, struct vm_area_struct *vma);

/* The splits unmapping [@start, @end) makes: 0, 1 or 2. */
unsigned int unmap_splits(const struct mm_struct *mm, vaddr_t start, vaddr_t end);

/* Linux's munmap map-count rule: unmapping [@start, @end) out of the middle of one VMA when
 * @mm has max_map_count VMAs already. */
bool unmap_exceeds_map_count(const struct mm_struct *mm, vaddr_t start, vaddr_t end);

/* Unmap [@start, @end) (page aligned): split the VMAs at its ends with VMAs of @p (at least
 * unmap_splits of them), zap their pages, unaccount and release them. Cannot fail. */
void unmap_range(struct mm_struct *mm, struct vma_pool *p, vaddr_t start, vaddr_t end);

/* The lowest address a mapping below @vma may end at: its start, less the stack guard gap for a
 * stack (Linux's vm_start_gap). */
vaddr_t vm_start_gap(const struct vm_area_struct *vma);

/* Linux's get_unmapped_area for @mm (mmap_lock held): the address of a free range of @len for
 * a mapping with MAP_* @flags at hint or fixed address @addr, or -ENOMEM / -EINVAL / -EPERM. */
long get_unmapped_area(const struct mm_struct *mm, vaddr_t addr, size_t len, int flags);

/* Linux's mlock_future_check: -EAGAIN when @flags has VM_LOCKED and @len more locked bytes
 * would exceed RLIMIT_MEMLOCK, else 0. */
int mlock_future_check(const struct mm_struct *mm, unsigned long flags, size_t len);

/* Fault in [@start, @end) of the VMAs of @mm covering it, as a write for private writable ones
 * (Linux's populate_vma_page_range); inaccessible VMAs and fault errors are skipped, as
 * Linux's mm_populate ignores them. */
void populate_vmas(struct mm_struct *mm, vaddr_t start, vaddr_t end);

#endif /* KMM_MM_MMAP_INTERNAL_H */

// SPDX-License-Identifier: MIT
/*
 * The memory-mapping system calls and the VMA bookkeeping behind them; see include/kmm/mman.h
 * for the contract.
 */
#include <kmm/errno.h>
#include <kmm/mman.h>
#include <kmm/slab.h>

struct xlat_geometry vm_user_geometry;
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

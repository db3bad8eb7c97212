// SPDX-License-Identifier: MIT
/*
 * The C library's allocator for the shared test files that use it for their own bookkeeping
 * (test_vma.c's VMA allocator, test_asid.c's context array): in the kernel, kmalloc's — a large
 * request (test_asid's 512 KiB) goes to the page allocator as Linux's kmalloc_large.
 */
#include <kmm/gfp.h>
#include <kmm/slab.h>

#include <stdlib.h>

void *calloc(size_t n, size_t size)
{
	return kcalloc(n, size, GFP_KERNEL);
}

void free(void *p)
{
	kfree(p);
}

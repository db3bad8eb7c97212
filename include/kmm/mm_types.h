/* SPDX-License-Identifier: MIT */
/*
 * struct page: one per physical page frame (seed 002, "struct page and page frames"). Its size
 * sets the size of the vmemmap region of the kernel's virtual layout, so keep it small: the
 * fields are unions by use, as Linux's are.
 */
#ifndef KMM_MM_TYPES_H
#define KMM_MM_TYPES_H

#include <kmm/list.h>
#include <kmm/types.h>

struct page {
	/* PG_* bits in the low bits; zone, node and migratetype fields above them. */
	unsigned long flags;
	union {
		/* Free (buddy lists), on an LRU list, or on a per-CPU list. */
		struct list_head lru;
		/* A slab page. */
		struct {
			void *slab_cache;
			void *freelist;
		};
	};
	/* The address_space of a page-cache page, or the anon_vma (low bit set) of anon memory. */
	void *mapping;
	union {
		uint64_t index;         /* offset in the mapping, in pages */
		unsigned long private;  /* the buddy order of a free block; a slab page's list link */
	};
	int _refcount;
	int _mapcount; /* page-table mappings, minus one (-1: not mapped) */
};

_Static_assert(sizeof(struct page) <= 64, "struct page grew past Linux's 64 bytes");

#endif /* KMM_MM_TYPES_H */

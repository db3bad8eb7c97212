/* SPDX-License-Identifier: MIT */
/* What mm/ files share and nothing outside mm/ uses (Linux's mm/internal.h). */
#ifndef KMM_MM_INTERNAL_H
#define KMM_MM_INTERNAL_H

#include <kmm/mm.h>

/* Hand a boot block of 2^@order reserved frames at @pfn to the buddy allocator: the pages stop
 * being reserved and become managed by their zone (Linux's __free_pages_core). */
void __free_pages_core(struct mem_system *ms, struct page *page, unsigned long pfn,
		       unsigned int order);

#endif /* KMM_MM_INTERNAL_H */

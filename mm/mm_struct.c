// SPDX-License-Identifier: MIT
/*
 * Address spaces: the TTBR0 tables, ASID and bookkeeping of one mm; see include/kmm/mm_struct.h
 * for the contract.
 */
#include <aarch64/sysreg.h>
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/mm_struct.h>
#include <kmm/mman.h>

/* A table of @bytes (a page, or a shorter root) in a page of the mm's memory system; 0 if none. */
static paddr_t mm_table_alloc(void *c, uint64_t bytes)
{
	struct mm_struct *mm = c;
	struct page *page = bytes <= PAGE_SIZE ? ms_alloc_pages(mm->ms, GFP_KERNEL, 0) : NULL;

	return page ? PFN_PHYS(ms_page_to_pfn(mm->ms, page)) : 0;
}

static void mm_table_free(void *c, paddr_t table, uint64_t bytes)
{
	struct mm_struct *mm = c;
	struct page *page = ms_pfn_to_page(mm->ms, PHYS_PFN(table));

	if (!WARN_ON(!page || bytes > PAGE_SIZE))
		ms_free_pages(mm->ms, page, 0);
}

int mm_init(struct mm_struct *mm, const struct xlat_geometry *g, struct mem_system *ms)
{
	if (xlat_granule_size(g) != PAGE_SIZE)
		return -EINVAL;
	*mm = (struct mm_struct){ .ms = ms };
	mm->table_alloc = (struct pgtable_alloc){ mm_table_alloc, mm_table_free, mm };
	vma_tree_init(&mm->vmas);
	mm->task_size = BIT(g->va_bits);
	mm->stack_rlimit = STACK_RLIMIT_DEFAULT;
	arch_pick_mmap_layout(mm);
	return pgtable_init(&mm->pgd, g, &mm->table_alloc);
}

void arch_pick_mmap_layout(struct mm_struct *mm)
{
	uint64_t gap = mm->stack_rlimit + STACK_GUARD_GAP, max_gap = mm->task_size / 6 * 5;

	if (gap < mm->stack_rlimit) /* wrapped: an unlimited stack */
		gap = max_gap;
	gap = gap < MMAP_MIN_GAP ? MMAP_MIN_GAP : gap > max_gap ? max_gap : gap;
	mm->mmap_base = ALIGN_DOWN(mm->task_size - gap, PAGE_SIZE);
}

/* Linux's check_mm: what the caller should have torn down before the tables go. */
static void check_mm(const struct mm_struct *mm)
{
	for (int i = 0; i < NR_MM_COUNTERS; i++)
		WARN_ON(mm->rss[i]);
	WARN_ON(mm->vmas.count);
	WARN_ON(rwlock_is_locked(&mm->mmap_lock));
}

void mm_destroy(struct mm_struct *mm)
{
	struct pgtable *pt = &mm->pgd;
	struct pgtable_unmapped out;
	uint64_t root_bytes = xlat_table_size(&pt->geom, pt->geom.start_level);

	check_mm(mm);
	/* The whole TTBR0 half: VAs [0, 2^va_bits); cannot fail, as it splits no block. */
	BUG_ON(pgtable_unmap(pt, 0, BIT(pt->geom.va_bits), &out));
	arch_flush_tlb_kernel_range(out.start, out.end);
	WARN_ON(pt->table_pages != 1);
	mm_table_free(mm, pt->root, root_bytes);
	*pt = (struct pgtable){ 0 };
}

uint64_t switch_mm(struct asid_allocator *a, unsigned int cpu, struct mm_struct *mm,
		   bool *need_local_flush)
{
	uint64_t asid = asid_check_and_switch(a, cpu, &mm->context_id, need_local_flush);

	return ttbr_make(mm->pgd.root, (uint16_t)asid, false);
}

// SPDX-License-Identifier: MIT
/*
 * The generic side of page faults and the page-table work of the VM calls (Linux's mm/memory.c,
 * with mprotect's and mremap's table walks); see include/kmm/fault.h for the contract.
 *
 * User memory is mapped with level-3 pages only, one level-3 slot at a time
 * (pgtable_pte_slot), so a fault costs one walk down the tables. Every descriptor write goes
 * through set_pte. A live PTE whose output address changes (a CoW copy) is replaced with
 * break-before-make: cleared, its TLB entry invalidated by VA and ASID, then written (ARM ARM
 * (DDI 0487) D8.14.1 "Using break-before-make when updating translation table entries"). A page
 * leaves a mapping in the mmu_gather order: PTE cleared, TLB entries invalidated, then the
 * reference dropped, so no CPU can reach a page once it is back in the allocator.
 */
#include <kmm/arch.h>
#include <kmm/boot.h>
#include <kmm/errno.h>
#include <kmm/fault.h>
#include <kmm/fs.h>
#include <kmm/mm.h>

/* The fixed attributes of a user PTE (fault.h): a page, Normal memory, inner shareable, AF,
 * non-global, never executable at EL1. */
#define PTE_USER_BASE                                                                              \
	(DESC_TYPE_PAGE | FIELD_PREP(PTE_ATTRINDX_MASK, MT_NORMAL) |                               \
	 FIELD_PREP(PTE_SH_MASK, SH_INNER) | PTE_AF | PTE_NG | PTE_PXN)

#define VM_ACCESS_FLAGS (VM_READ | VM_WRITE | VM_EXEC)

uint64_t mk_pte(const struct mm_struct *mm, const struct page *page, unsigned long vm_flags,
		bool writable)
{
	uint64_t pte = PTE_USER_BASE | PFN_PHYS(ms_page_to_pfn(mm->ms, page));

	if (!(vm_flags & VM_EXEC))
		pte |= PTE_UXN;
	if (vm_flags & VM_ACCESS_FLAGS)
		pte |= PTE_USER;
	if (!writable || !(vm_flags & VM_WRITE))
		pte |= PTE_RDONLY;
	return pte;
}

/* The page a present user PTE maps. */
static struct page *pte_page(const struct mm_struct *mm, uint64_t pte)
{
	return ms_pfn_to_page(mm->ms, PHYS_PFN(pte & DESC_OA_MASK));
}

static bool page_is_anon(const struct page *page)
{
	return page->mapping == PAGE_MAPPING_ANON;
}

/* An anonymous page only this PTE maps and refers to: it may be written in place. */
static bool page_anon_exclusive(const struct page *page)
{
	return page_is_anon(page) && page->_mapcount == 0 && page->_refcount == 1;
}

/* The RSS counter of @page (Linux's mm_counter). */
static int mm_counter(const struct page *page)
{
	return page_is_anon(page) ? MM_ANONPAGES : MM_FILEPAGES;
}

static void inc_rss(struct mm_struct *mm, int counter)
{
	unsigned long rss;

	mm->rss[counter]++;
	rss = mm->rss[MM_ANONPAGES] + mm->rss[MM_FILEPAGES];
	if (rss > mm->hiwater_rss)
		mm->hiwater_rss = rss;
}

/* Account @page as mapped once more by a PTE of @mm (its reference already taken). */
static void page_add_map(struct mm_struct *mm, struct page *page)
{
	page->_mapcount++;
	inc_rss(mm, mm_counter(page));
}

/* A PTE of @mm no longer maps @page; its reference is dropped separately (put_user_page). */
static void page_remove_map(struct mm_struct *mm, struct page *page)
{
	page->_mapcount--;
	mm->rss[mm_counter(page)]--;
}

/* Drop a mapping's reference: an anonymous page going back to the allocator loses its
 * anonymous mapping first, as Linux's free_pages_prepare clears PAGE_MAPPING_ANON. */
static void put_user_page(struct mem_system *ms, struct page *page)
{
	if (page->_refcount == 1 && page_is_anon(page))
		page->mapping = NULL;
	ms_put_page(ms, page);
}

/* A new anonymous page for @address, not yet mapped, zeroed or not; NULL when out of memory. */
static struct page *alloc_anon_page(struct mm_struct *mm, vaddr_t address, bool zero)
{
	struct page *page =
	    ms_alloc_pages(mm->ms, GFP_HIGHUSER_MOVABLE | (zero ? __GFP_ZERO : 0), 0);

	if (page) {
		page->mapping = PAGE_MAPPING_ANON;
		page->index = address >> PAGE_SHIFT;
	}
	return page;
}

/* One fault being handled (Linux's struct vm_fault). */
struct vm_fault {
	struct vm_area_struct *vma;
	struct mm_struct *mm;
	vaddr_t address; /* page aligned */
	unsigned int flags;
	uint64_t *pte; /* the level-3 slot */
	uint64_t orig_pte;
};

/* Map the new anonymous @page writable (for a writable VMA) in the empty slot. */
static void map_new_anon(struct vm_fault *vmf, struct page *page)
{
	page_add_map(vmf->mm, page);
	set_pte(vmf->pte, mk_pte(vmf->mm, page, vmf->vma->vm_flags, true));
}

/*
 * A fault on an unmapped page of anonymous memory: a new zeroed page, writable if the VMA is.
 * A read is served the same way (kmm has no shared zero page).
 */
static vm_fault_t do_anonymous_page(struct vm_fault *vmf)
{
	struct page *page = alloc_anon_page(vmf->mm, vmf->address, true);

	if (!page)
		return VM_FAULT_OOM;
	map_new_anon(vmf, page);
	return 0;
}

/* The page-cache page of the file offset @vmf maps, with a reference: VM_FAULT_MAJOR when read
 * in; SIGBUS beyond the end of the file or when the read fails; OOM. */
static vm_fault_t get_file_page(struct vm_fault *vmf, struct page **out)
{
	struct vm_area_struct *vma = vmf->vma;
	uint64_t pgoff = vma->vm_pgoff + ((vmf->address - vma->vm_start) >> PAGE_SHIFT);
	bool major = false;
	int err = 0;

	*out = filemap_get_page(vma->vm_file->f_mapping, pgoff, &major, &err);
	if (!*out)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGBUS;
	return major ? VM_FAULT_MAJOR : 0;
}

/*
 * A read of an unmapped file page (do_read_fault), or any access to one of a shared mapping
 * (do_shared_fault): map the page-cache page itself, writable in a shared writable mapping
 * (a write dirties it), read-only in a private one until a write copies it.
 */
static vm_fault_t do_file_fault(struct vm_fault *vmf)
{
	bool shared = vmf->vma->vm_flags & VM_SHARED;
	struct page *page;
	vm_fault_t ret = get_file_page(vmf, &page);

	if (ret & VM_FAULT_ERROR)
		return ret;
	if (shared && (vmf->flags & FAULT_FLAG_WRITE))
		set_page_flag(page, PG_dirty);
	page_add_map(vmf->mm, page);
	set_pte(vmf->pte, mk_pte(vmf->mm, page, vmf->vma->vm_flags, shared));
	return ret;
}

/* Copy @src's data into the new page @dst (Linux's copy_user_highpage). */
static void copy_user_page(struct mem_system *ms, struct page *dst, const struct page *src)
{
	__builtin_memcpy(ms_page_address(ms, dst), ms_page_address(ms, src), PAGE_SIZE);
}

/* A write to an unmapped page of a private file mapping: a private copy of the file page. */
static vm_fault_t do_cow_fault(struct vm_fault *vmf)
{
	struct page *page, *copy;
	vm_fault_t ret = get_file_page(vmf, &page);

	if (ret & VM_FAULT_ERROR)
		return ret;
	copy = alloc_anon_page(vmf->mm, vmf->address, false);
	if (copy) {
		copy_user_page(vmf->mm->ms, copy, page);
		map_new_anon(vmf, copy);
		vmf->mm->cow_copies++;
	}
	ms_put_page(vmf->mm->ms, page);
	return copy ? ret : VM_FAULT_OOM;
}

/*
 * Make the read-only present PTE writable in place, AF set: permissions only, so no
 * break-before-make; but the read-only entry may be cached and would fault again, so it is
 * invalidated (as Linux's arm64 ptep_set_access_flags does).
 */
static void wp_page_reuse(struct vm_fault *vmf, struct page *page)
{
	set_pte(vmf->pte, mk_pte(vmf->mm, page, vmf->vma->vm_flags, true));
	arch_flush_tlb_page(mm_asid(vmf->mm), vmf->address);
}

/* Replace the PTE mapping @old with a private copy of it: break-before-make, then the old
 * page's mapping and reference go (the TLB no longer reaches it). */
static vm_fault_t wp_page_copy(struct vm_fault *vmf, struct page *old)
{
	struct mm_struct *mm = vmf->mm;
	struct page *copy = alloc_anon_page(mm, vmf->address, false);

	if (!copy)
		return VM_FAULT_OOM;
	copy_user_page(mm->ms, copy, old);
	set_pte(vmf->pte, 0);
	arch_flush_tlb_page(mm_asid(mm), vmf->address);
	map_new_anon(vmf, copy);
	page_remove_map(mm, old);
	put_user_page(mm->ms, old);
	mm->cow_copies++;
	return 0;
}

/* A write to a present read-only page of a writable VMA (Linux's do_wp_page): a shared
 * mapping's page becomes writable; a private one is reused when this PTE is its only user,
 * else copied. */
static vm_fault_t do_wp_page(struct vm_fault *vmf)
{
	struct page *page = pte_page(vmf->mm, vmf->orig_pte);

	if (vmf->vma->vm_flags & VM_SHARED) {
		set_page_flag(page, PG_dirty);
		wp_page_reuse(vmf, page);
		return 0;
	}
	if (!page_anon_exclusive(page))
		return wp_page_copy(vmf, page);
	wp_page_reuse(vmf, page);
	vmf->mm->cow_reuses++;
	return 0;
}

/* The fault on the PTE found (Linux's handle_pte_fault). */
static vm_fault_t handle_pte_fault(struct vm_fault *vmf)
{
	uint64_t pte = vmf->orig_pte;

	if (!(pte & DESC_VALID)) {
		if (!vmf->vma->vm_file)
			return do_anonymous_page(vmf);
		if ((vmf->flags & FAULT_FLAG_WRITE) && !(vmf->vma->vm_flags & VM_SHARED))
			return do_cow_fault(vmf);
		return do_file_fault(vmf);
	}
	if ((vmf->flags & FAULT_FLAG_WRITE) && (pte & PTE_RDONLY))
		return do_wp_page(vmf);
	if (!(pte & PTE_AF)) {
		/* An access-flag fault: such entries are never cached, so no invalidation. */
		set_pte(vmf->pte, pte | PTE_AF);
		return 0;
	}
	/* The PTE allows the access already: a stale TLB entry faulted. */
	arch_flush_tlb_page(mm_asid(vmf->mm), vmf->address);
	return 0;
}

vm_fault_t handle_mm_fault(struct vm_area_struct *vma, vaddr_t address, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_fault vmf = {
		.vma = vma, .mm = mm, .address = address & ~(vaddr_t)(PAGE_SIZE - 1), .flags = flags
	};
	vm_fault_t ret;
	int err = 0;

	vmf.pte = pgtable_pte_slot(&mm->pgd, vmf.address, true, &err);
	if (!vmf.pte)
		return err == -ENOMEM ? VM_FAULT_OOM : VM_FAULT_SIGSEGV;
	vmf.orig_pte = *(volatile uint64_t *)vmf.pte;
	ret = handle_pte_fault(&vmf);
	/* Linux's mm_account_fault: failed faults are not counted. */
	if (!(ret & VM_FAULT_ERROR)) {
		if (ret & VM_FAULT_MAJOR)
			mm->maj_flt++;
		else
			mm->min_flt++;
	}
	return ret;
}

/* ---- zap: unmapping a range (Linux's unmap_vmas with an mmu_gather) ---------------------- */

#define ZAP_BATCH 256

/* The pages unmapped whose references wait for the TLB invalidation of [start, end). */
struct zap_batch {
	struct mm_struct *mm;
	vaddr_t start, end;
	unsigned int n;
	struct page *pages[ZAP_BATCH];
};

/* Invalidate the batch's VAs in every TLB, then drop its pages' references (tlb_finish_mmu). */
static void zap_flush(struct zap_batch *b)
{
	if (!b->n)
		return;
	arch_flush_tlb_range(mm_asid(b->mm), b->start, b->end, true);
	for (unsigned int i = 0; i < b->n; i++)
		put_user_page(b->mm->ms, b->pages[i]);
	b->n = 0;
}

/* pgtable_unmap_leaves's callback: the leaf at @va is about to be cleared. The batch is flushed
 * when full, which covers only leaves already cleared. */
static void zap_leaf(void *ctx, vaddr_t va, uint64_t desc, unsigned int level)
{
	struct zap_batch *b = ctx;
	struct page *page = pte_page(b->mm, desc);

	if (WARN_ON(level != 3 || !page)) /* user memory is mapped with pages of RAM */
		return;
	page_remove_map(b->mm, page);
	if (b->n == ZAP_BATCH)
		zap_flush(b);
	if (!b->n)
		b->start = va;
	b->end = va + PAGE_SIZE;
	b->pages[b->n++] = page;
}

void zap_page_range(struct vm_area_struct *vma, vaddr_t start, vaddr_t end)
{
	struct zap_batch b = { .mm = vma->vm_mm };
	struct pgtable_unmapped out;

	if (start >= end)
		return;
	/* Pages only, so no block is split and nothing is allocated: it cannot fail. */
	BUG_ON(pgtable_unmap_leaves(&b.mm->pgd, start, end - start, zap_leaf, &b, &out));
	zap_flush(&b);
}

/* ---- fork: copy_page_range ---------------------------------------------------------------- */

struct copy_ctx {
	struct mm_struct *dst, *src;
	bool cow;	  /* a private mapping: writable PTEs become copy-on-write */
	bool wrprotected; /* a parent PTE was made read-only: its TLB entries go */
	uint64_t *table;  /* the child's level-3 table last used, and the VA it starts at */
	vaddr_t table_va;
};

/* The child's slot for @va, through the level-3 table of the previous PTE when it is the same. */
static uint64_t *copy_dst_slot(struct copy_ctx *c, vaddr_t va)
{
	const struct xlat_geometry *g = &c->dst->pgd.geom;
	vaddr_t base = va & ~(xlat_entry_size(g, 2) - 1);
	uint64_t *slot;

	if (c->table && base == c->table_va)
		return &c->table[xlat_index(g, 3, va)];
	slot = pgtable_pte_slot(&c->dst->pgd, va, true, NULL);
	if (slot) {
		c->table = slot - xlat_index(g, 3, va);
		c->table_va = base;
	}
	return slot;
}

static int copy_pte(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct copy_ctx *c = ctx;
	uint64_t pte = *slot, *dst;
	struct page *page = pte_page(c->src, pte);

	if (WARN_ON(level != 3 || !page))
		return 0;
	dst = copy_dst_slot(c, va);
	if (!dst)
		return -ENOMEM;
	if (c->cow && !(pte & PTE_RDONLY)) {
		pte |= PTE_RDONLY;
		set_pte(slot, pte);
		c->wrprotected = true;
	}
	get_page(page);
	page_add_map(c->dst, page);
	set_pte(dst, pte);
	return 0;
}

int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct copy_ctx c = { .dst = dst_vma->vm_mm,
			      .src = src_vma->vm_mm,
			      .cow = !(src_vma->vm_flags & VM_SHARED) };
	int err =
	    pgtable_walk_leaves(&c.src->pgd, src_vma->vm_start, src_vma->vm_end, copy_pte, &c);

	if (c.wrprotected)
		arch_flush_tlb_range(mm_asid(c.src), src_vma->vm_start, src_vma->vm_end, true);
	return err;
}

/* ---- mprotect: change_protection ---------------------------------------------------------- */

struct prot_ctx {
	struct mm_struct *mm;
	unsigned long newflags;
	unsigned long changed;
};

/* The PTE as mk_pte gives it under the new flags, its access flag kept; writable only where
 * mk_pte's callers would make it so (a shared page, or an exclusively owned anonymous one). */
static int prot_pte(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct prot_ctx *c = ctx;
	uint64_t pte = *slot, new;
	struct page *page = pte_page(c->mm, pte);
	bool writable;

	(void)va;
	if (WARN_ON(level != 3 || !page))
		return 0;
	writable = (c->newflags & VM_SHARED) || page_anon_exclusive(page);
	new = (mk_pte(c->mm, page, c->newflags, writable) & ~PTE_AF) | (pte & PTE_AF);
	if (new != pte) {
		/* AP and UXN only: no break-before-make (ARM ARM D8.14.1). */
		set_pte(slot, new);
		c->changed++;
	}
	return 0;
}

unsigned long change_protection(struct vm_area_struct *vma, vaddr_t start, vaddr_t end,
				unsigned long newflags)
{
	struct prot_ctx c = { .mm = vma->vm_mm, .newflags = newflags };

	pgtable_walk_leaves(&c.mm->pgd, start, end, prot_pte, &c);
	if (c.changed)
		arch_flush_tlb_range(mm_asid(c.mm), start, end, true);
	return c.changed;
}

/* ---- mremap: move_page_tables ------------------------------------------------------------- */

struct move_ctx {
	struct pgtable *pgd;
	vaddr_t old_addr, new_addr;
	bool move; /* the second pass: move (else make the new slots) */
};

static int move_pte(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct move_ctx *c = ctx;
	uint64_t *dst = pgtable_pte_slot(c->pgd, va - c->old_addr + c->new_addr, !c->move, NULL);

	if (WARN_ON(level != 3))
		return 0;
	if (!dst)
		return -ENOMEM;
	if (c->move) {
		uint64_t pte = *slot;

		BUG_ON(*dst & DESC_VALID); /* the new range is empty */
		set_pte(slot, 0);
		set_pte(dst, pte);
	}
	return 0;
}

/* Free the tables of [start, start + len), which map nothing, as an unmap frees them. */
static void free_empty_tables(struct pgtable *pgd, vaddr_t start, size_t len)
{
	struct pgtable_unmapped out;

	BUG_ON(pgtable_unmap(pgd, start, len, &out) || out.leaves);
}

int move_page_tables(struct vm_area_struct *vma, vaddr_t old_addr, struct vm_area_struct *new_vma,
		     vaddr_t new_addr, size_t len)
{
	struct mm_struct *mm = vma->vm_mm;
	struct move_ctx c = { &mm->pgd, old_addr, new_addr, false };

	/* mremap moves within one mm to a range apart from the old one. */
	BUG_ON(new_vma->vm_mm != mm || (new_addr < old_addr + len && old_addr < new_addr + len));
	if (!len)
		return 0;
	if (pgtable_walk_leaves(&mm->pgd, old_addr, old_addr + len, move_pte, &c)) {
		free_empty_tables(&mm->pgd, new_addr, len);
		return -ENOMEM;
	}
	c.move = true;
	BUG_ON(pgtable_walk_leaves(&mm->pgd, old_addr, old_addr + len, move_pte, &c));
	arch_flush_tlb_range(mm_asid(mm), old_addr, old_addr + len, true);
	free_empty_tables(&mm->pgd, old_addr, len);
	return 0;
}

/* ---- populate ----------------------------------------------------------------------------- */

/* Whether the PTE at @va already serves the access (present, AF set, writable for a write). */
static bool pte_serves(struct mm_struct *mm, vaddr_t va, bool write)
{
	uint64_t *slot = pgtable_pte_slot(&mm->pgd, va, false, NULL);
	uint64_t pte = slot ? *slot : 0;

	return (pte & DESC_VALID) && (pte & PTE_AF) && !(write && (pte & PTE_RDONLY));
}

int populate_range(struct vm_area_struct *vma, vaddr_t start, vaddr_t end, bool write)
{
	unsigned int flags = write && (vma->vm_flags & VM_WRITE) ? FAULT_FLAG_WRITE : 0;

	for (vaddr_t va = start; va < end; va += PAGE_SIZE) {
		vm_fault_t ret;

		if (pte_serves(vma->vm_mm, va, flags))
			continue;
		ret = handle_mm_fault(vma, va, flags);
		if (ret & VM_FAULT_OOM)
			return -ENOMEM;
		if (ret & VM_FAULT_ERROR)
			return -EFAULT;
	}
	return 0;
}

/* ---- the map-count check ------------------------------------------------------------------ */

/*
 * mm_check_mapcounts counts without memory of its own: a first pass takes one off the map count
 * of a page per PTE mapping it, a second finds every such page at -1 (mapped by no PTE), a third
 * puts back what the first took, PTE by PTE in the same order.
 */
enum mapcount_pass { MC_TAKE, MC_CHECK, MC_RESTORE };

struct mapcount_ctx {
	struct mm_struct *mm;
	unsigned int idx; /* of the mm in the caller's array */
	enum mapcount_pass pass;
	unsigned long *count; /* TAKE: the PTEs taken; RESTORE: the PTEs left to restore */
	const char *msg;
};

static char mapcount_msg[160];

static int mapcount_fail(struct mapcount_ctx *c, vaddr_t va, uint64_t pte, const char *why)
{
	kmm_snprintf(mapcount_msg, sizeof(mapcount_msg), "mm %u, va %#llx, pte %#llx: %s", c->idx,
		     (unsigned long long)va, (unsigned long long)pte, why);
	c->msg = mapcount_msg;
	return 1;
}

/* Why @page cannot be what a user PTE maps (allocated, anonymous or cached), or NULL. */
static const char *page_state_bad(const struct page *page)
{
	if (!page)
		return "no struct page";
	if (PageBuddy(page) || PageReserved(page) || page->_refcount <= 0)
		return "page free or reserved";
	if (!page->mapping)
		return "page neither anonymous nor in a page cache";
	if (page->_refcount < page_mapcount(page) + !page_is_anon(page))
		return "reference count below the map count";
	return NULL;
}

static int mapcount_pte(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct mapcount_ctx *c = ctx;
	uint64_t pte = *slot;
	struct page *page = level == 3 ? pte_page(c->mm, pte) : NULL;
	const char *why;

	switch (c->pass) {
	case MC_TAKE:
		/* The first visit of a page sees its whole map count, so the check is exact. */
		why = level == 3 ? page_state_bad(page) : "a block in user tables";
		if (why)
			return mapcount_fail(c, va, pte, why);
		page->_mapcount--;
		++*c->count;
		return 0;
	case MC_CHECK:
		if (page->_mapcount == -1)
			return 0;
		return mapcount_fail(c, va, pte,
				     page->_mapcount < -1
					 ? "map count below the PTEs mapping the page"
					 : "map count above the PTEs mapping the page");
	case MC_RESTORE:
		if (!*c->count)
			return 1;
		page->_mapcount++;
		--*c->count;
		return 0;
	}
	return 0;
}

/* Run @pass over the PTEs of @mms in order: the message of the PTE that stopped it, or NULL. */
static const char *mapcount_pass(struct mm_struct *const *mms, unsigned int n,
				 enum mapcount_pass pass, unsigned long *count)
{
	for (unsigned int i = 0; i < n; i++) {
		struct mapcount_ctx c = { .mm = mms[i], .idx = i, .pass = pass, .count = count };

		if (pgtable_walk_leaves(&mms[i]->pgd, 0, mms[i]->task_size, mapcount_pte, &c))
			return c.msg;
	}
	return NULL;
}

const char *mm_check_mapcounts(struct mm_struct *const *mms, unsigned int n)
{
	unsigned long taken = 0;
	const char *msg = mapcount_pass(mms, n, MC_TAKE, &taken);

	if (!msg)
		msg = mapcount_pass(mms, n, MC_CHECK, NULL);
	mapcount_pass(mms, n, MC_RESTORE, &taken);
	return msg;
}

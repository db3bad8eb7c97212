/* SPDX-License-Identifier: MIT */
/*
 * Virtually contiguous kernel memory (Linux 6.1's mm/vmalloc.c): vmalloc, vzalloc, vfree, vmap,
 * vunmap, vmalloc_to_page and /proc/vmallocinfo, over a range of the kernel's TTBR1 half (the
 * layout's [VMALLOC_START, VMALLOC_END)).
 *
 * Context is explicit: a struct vmalloc_ctx names the page tables it maps into, the range it
 * hands out, the memory system its pages (data, page tables, its own bookkeeping) come from,
 * and its trees. Every area is followed by a guard page that stays unmapped.
 *
 * Areas. Each VA of the range is in exactly one of three trees, all AVL trees ordered by start
 * address: busy (handed out), lazy (freed and unmapped, awaiting the TLB purge) and free (free
 * ranges, merged with their neighbours, each node augmented with the largest free range in its
 * subtree so the lowest fit is found in O(log n), as Linux's free_vmap_area_root). A freed
 * area's leaves stay in the TLBs until the purge: vfree unmaps the area and queues it; its VAs
 * are handed out again only after purge_vmap_area_lazy has invalidated the TLBs over the queued
 * areas, which it does once more than lazy_max_pages pages are queued, or when an allocation
 * finds no room. The pages themselves go back to the page allocator at once, as in Linux: a
 * stale translation of a queued VA is never used, since nothing accesses a freed area.
 *
 * Table memory. vmalloc_init gives @pt a table allocator over the memory system (Linux's
 * pgtable_alloc after paging_init); tables that become empty go back to it, but only once no TLB
 * can hold a translation walked through them: vfree's unmap leaves them linked, and the purge
 * that flushes the TLBs over the freed areas then unlinks and frees those left empty (Linux
 * keeps vmalloc's tables for good). Tables the boot took from memblock (PG_reserved pages) are
 * not given back to the page allocator.
 *
 * Linux keeps a vm_struct beside each vmap_area; kmm merges them into one struct vmap_area.
 *
 * Locking (mm/vmalloc.c has the order): vmap_area_lock guards the three trees, the spare nodes
 * and their counts (Linux splits it into vmap_area_lock, free_vmap_area_lock and
 * purge_vmap_area_lock); vmap_purge_lock makes purges one at a time, each flushing the TLBs
 * over the areas it took from the lazy tree before they become free; page_table_lock (Linux's
 * init_mm.page_table_lock) guards the writes and walks of @pt. The checker (vmalloc_check) takes
 * none: it is for a quiescent context.
 */
#ifndef KMM_VMALLOC_H
#define KMM_VMALLOC_H

#include <kmm/gfp.h>
#include <kmm/pgtable.h>
#include <kmm/spinlock.h>

/* vm_struct flags, Linux's values. */
#define VM_IOREMAP 0x00000001
#define VM_ALLOC 0x00000002
#define VM_MAP 0x00000004
#define VM_USERMAP 0x00000008

/* Linux's PAGE_KERNEL for arm64: Normal memory, Inner Shareable, AF, EL1 read/write, XN. */
#define PAGE_KERNEL                                                                                \
	((struct pte_attrs){ .attrindx = 0 /* MT_NORMAL */,                                        \
			     .sh = SH_INNER,                                                       \
			     .ap = AP_RW_EL1,                                                      \
			     .af = true,                                                           \
			     .pxn = true,                                                          \
			     .uxn = true })

struct vmap_area {
	vaddr_t va_start, va_end; /* [va_start, va_end): the area and its guard page */
	struct vmap_area *left, *right;
	int height;
	uint64_t subtree_max_size; /* the free tree: the largest free range in the subtree */
	/* Busy and lazy areas (Linux's vm_struct). */
	unsigned long flags;
	unsigned int nr_pages; /* pages allocated by vmalloc (0 for vmap) */
	struct page **pages;   /* their array, in pages_block (order pages_order) */
	struct page *pages_block;
	unsigned int pages_order;
	const void *caller;
};

struct vmap_tree {
	struct vmap_area *root;
	unsigned long nr;
};

struct vmalloc_ctx {
	spinlock_t vmap_area_lock;  /* busy, lazy, free, the spares, lazy_nr */
	spinlock_t vmap_purge_lock; /* one purge at a time; nr_purges */
	spinlock_t page_table_lock; /* pt: its descriptors, tables, counts, pt->alloc */
	struct pgtable *pt;
	struct mem_system *ms;
	vaddr_t start, end;		  /* the range handed out: [start, end) */
	struct pgtable_alloc table_alloc; /* pt->alloc: tables from and back to @ms */
	struct pgtable_alloc table_keep;  /* the same without free_table: for vfree's unmap */
	struct vmap_tree busy, lazy, free;
	struct vmap_area *spare; /* unused nodes, linked through ->left */
	unsigned long nr_spare, node_pages;
	unsigned long lazy_nr;	      /* pages (guards included) of the lazy areas */
	unsigned long lazy_max_pages; /* purge beyond this: Linux's lazy_max_pages() */
	unsigned long nr_purges;
};

/*
 * Set up @ctx to hand out [@start, @end) of @pt's VAs (page aligned, in one half of the VA space
 * of @pt, @pt's granule the page size) with pages from @ms, and make @pt take its tables from
 * @ms from now on. lazy_max_pages is Linux's: fls(CPUs) * 32M of pages. 0, or -EINVAL.
 */
int vmalloc_init(struct vmalloc_ctx *ctx, struct pgtable *pt, vaddr_t start, vaddr_t end,
		 struct mem_system *ms);

/*
 * Register [@addr, @addr + @size), already mapped in the range (the kernel image, which sits at
 * VMALLOC_START), as a busy area of @flags that is never handed out (Linux's
 * vm_area_add_early); the guard page after it is taken too. 0, -EINVAL (not page aligned, not
 * free in the range) or -ENOMEM.
 */
int vmalloc_add_early(struct vmalloc_ctx *ctx, vaddr_t addr, uint64_t size, unsigned long flags,
		      const void *caller);

/*
 * @size bytes (rounded up to pages) of order-0 pages from @gfp mapped PAGE_KERNEL at the lowest
 * free VA (Linux's __vmalloc_node_range); @caller is shown by vmallocinfo. NULL for size 0, no
 * room (after a purge) or no memory, with Linux's warning unless __GFP_NOWARN.
 */
void *vmc_vmalloc(struct vmalloc_ctx *ctx, unsigned long size, gfp_t gfp, const void *caller);
/* Map @count pages at a new area with @prot; @flags (VM_MAP is added) show in vmallocinfo. */
void *vmc_vmap(struct vmalloc_ctx *ctx, struct page **pages, unsigned int count,
	       unsigned long flags, const struct pte_attrs *prot, const void *caller);
/* Unmap and queue the area at @addr, freeing vmalloc's pages (vfree); NULL is ignored. */
void vmc_vfree(struct vmalloc_ctx *ctx, const void *addr);
/* Unmap and queue the area at @addr; its pages are the caller's (vunmap). */
void vmc_vunmap(struct vmalloc_ctx *ctx, const void *addr);
/* The page mapped at @addr, or NULL (vmalloc_to_page). */
struct page *vmc_vmalloc_to_page(struct vmalloc_ctx *ctx, const void *addr);
/* The busy area containing @addr, or NULL (find_vm_area); it stays the caller's to keep alive. */
struct vmap_area *vmc_find_area(struct vmalloc_ctx *ctx, const void *addr);
/* Invalidate the TLBs over the lazy areas and free their VAs (purge_vmap_area_lazy). */
void vmc_purge(struct vmalloc_ctx *ctx);
/* /proc/vmallocinfo through printk: the busy areas by address, then "unpurged vm_area" lines. */
void vmc_show_vmallocinfo(struct vmalloc_ctx *ctx);
/*
 * The invariant checker: the three trees ordered, balanced, heights and subtree sizes right;
 * areas page aligned, disjoint and together exactly the range; free ranges merged; counts and
 * lazy_nr right. 0, or -EINVAL after printing what is wrong.
 */
int vmalloc_check(const struct vmalloc_ctx *ctx);

/* The kernel's instance (vmalloc_init(&vmalloc_default, ...) by the boot) and Linux's calls. */
extern struct vmalloc_ctx vmalloc_default;
void *vmalloc(unsigned long size);
void *vzalloc(unsigned long size);
void vfree(const void *addr);
void *vmap(struct page **pages, unsigned int count, unsigned long flags, struct pte_attrs prot);
void vunmap(const void *addr);
struct page *vmalloc_to_page(const void *addr);
void show_vmallocinfo(void);

#endif /* KMM_VMALLOC_H */

// SPDX-License-Identifier: MIT
/*
 * vmalloc over the kernel page tables; see include/kmm/vmalloc.h for the contract. The trees are
 * recursive AVL trees keyed by va_start; every update recomputes the height and the augmented
 * subtree_max_size on the way back up.
 *
 * Locking (what each lock guards: <kmm/vmalloc.h>), in the order they nest:
 *
 *   vmap_purge_lock		vmc_purge, one at a time
 *     vmap_area_lock		the trees and the spare nodes
 *       pcp->lock, zone->lock	the page allocator's (mm/page_alloc.c): ensure_spare
 *     page_table_lock		pgtable_map, pgtable_unmap, pgtable_query of ctx->pt
 *       pcp->lock, zone->lock	table_alloc, table_free
 *
 * vmap_area_lock and page_table_lock are never held together: an area is carved from the free
 * tree and then mapped; it is unlinked from the busy tree (so that no other CPU frees it too),
 * unmapped, its pages freed and only then queued on the lazy tree, where a purge may take it.
 * A purge takes the lazy tree whole under vmap_area_lock, flushes the TLBs holding only
 * vmap_purge_lock, frees the tables left empty over those areas under page_table_lock, and
 * merges the areas into the free tree under vmap_area_lock again; an allocation that finds no
 * room drops vmap_area_lock and purges (waiting for a purge already under way) before it tries
 * once more. Area pages are allocated and freed holding no lock.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/spinlock.h>
#include <kmm/vmalloc.h>

struct vmalloc_ctx vmalloc_default;

static uint64_t va_size(const struct vmap_area *va)
{
	return va->va_end - va->va_start;
}

static int height(const struct vmap_area *n)
{
	return n ? n->height : 0;
}

static uint64_t sub_max(const struct vmap_area *n)
{
	return n ? n->subtree_max_size : 0;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Recompute @n's height and augmented size from its children. */
static void update(struct vmap_area *n)
{
	int hl = height(n->left), hr = height(n->right);

	n->height = 1 + (hl > hr ? hl : hr);
	n->subtree_max_size = max_u64(va_size(n), max_u64(sub_max(n->left), sub_max(n->right)));
}

static struct vmap_area *rotate_right(struct vmap_area *y)
{
	struct vmap_area *x = y->left;

	y->left = x->right;
	x->right = y;
	update(y);
	update(x);
	return x;
}

static struct vmap_area *rotate_left(struct vmap_area *x)
{
	struct vmap_area *y = x->right;

	x->right = y->left;
	y->left = x;
	update(x);
	update(y);
	return y;
}

/* Restore the AVL balance at @n, whose subtrees are balanced and differ by 2 at most. */
static struct vmap_area *rebalance(struct vmap_area *n)
{
	int bf = height(n->left) - height(n->right);

	update(n);
	if (bf > 1) {
		if (height(n->left->left) < height(n->left->right))
			n->left = rotate_left(n->left);
		return rotate_right(n);
	}
	if (bf < -1) {
		if (height(n->right->right) < height(n->right->left))
			n->right = rotate_right(n->right);
		return rotate_left(n);
	}
	return n;
}

static struct vmap_area *avl_insert(struct vmap_area *root, struct vmap_area *n)
{
	if (!root) {
		n->left = n->right = NULL;
		update(n);
		return n;
	}
	if (n->va_start < root->va_start)
		root->left = avl_insert(root->left, n);
	else
		root->right = avl_insert(root->right, n);
	return rebalance(root);
}

static struct vmap_area *avl_remove_min(struct vmap_area *root, struct vmap_area **min)
{
	if (!root->left) {
		*min = root;
		return root->right;
	}
	root->left = avl_remove_min(root->left, min);
	return rebalance(root);
}

/* Remove @n, which is in the tree at @root. */
static struct vmap_area *avl_remove(struct vmap_area *root, struct vmap_area *n)
{
	struct vmap_area *m, *r;

	if (n->va_start < root->va_start) {
		root->left = avl_remove(root->left, n);
	} else if (n->va_start > root->va_start) {
		root->right = avl_remove(root->right, n);
	} else {
		if (!root->right)
			return root->left;
		r = avl_remove_min(root->right, &m);
		m->left = root->left;
		m->right = r;
		return rebalance(m);
	}
	return rebalance(root);
}

static void tree_insert(struct vmap_tree *t, struct vmap_area *n)
{
	t->root = avl_insert(t->root, n);
	t->nr++;
}

static void tree_remove(struct vmap_tree *t, struct vmap_area *n)
{
	t->root = avl_remove(t->root, n);
	t->nr--;
}

/* The area of @t containing @addr, or NULL. */
static struct vmap_area *tree_find(const struct vmap_tree *t, vaddr_t addr)
{
	struct vmap_area *n = t->root;

	while (n && !(addr >= n->va_start && addr < n->va_end))
		n = addr < n->va_start ? n->left : n->right;
	return n;
}

/* The area of @t with the lowest start at or above @addr, or NULL. */
static struct vmap_area *tree_ceil(const struct vmap_tree *t, vaddr_t addr)
{
	struct vmap_area *n = t->root, *best = NULL;

	while (n) {
		if (n->va_start >= addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

/* The lowest free range of at least @size bytes (Linux's find_vmap_lowest_match). */
static struct vmap_area *lowest_fit(struct vmap_area *n, uint64_t size)
{
	while (n) {
		if (sub_max(n->left) >= size)
			n = n->left;
		else if (va_size(n) >= size)
			return n;
		else if (sub_max(n->right) >= size)
			n = n->right;
		else
			return NULL;
	}
	return NULL;
}

/* Nodes come from pages of the memory system, carved up and kept (Linux: a kmem_cache);
 * vmap_area_lock held (but by vmalloc_init). */
static int ensure_spare(struct vmalloc_ctx *ctx, unsigned long n)
{
	struct page *page;
	struct vmap_area *v;

	if (ctx->nr_spare >= n)
		return 0;
	page = ms_alloc_pages(ctx->ms, GFP_KERNEL | __GFP_NOWARN, 0);
	if (!page)
		return -ENOMEM;
	v = ms_page_address(ctx->ms, page);
	for (size_t i = 0; i < PAGE_SIZE / sizeof(*v); i++) {
		v[i].left = ctx->spare;
		ctx->spare = &v[i];
	}
	ctx->nr_spare += PAGE_SIZE / sizeof(*v);
	ctx->node_pages++;
	return 0;
}

/* A node from the spares (ensure_spare said there is one), zeroed. */
static struct vmap_area *get_node(struct vmalloc_ctx *ctx)
{
	struct vmap_area *v = ctx->spare;

	ctx->spare = v->left;
	ctx->nr_spare--;
	*v = (struct vmap_area){ 0 };
	return v;
}

static void put_node(struct vmalloc_ctx *ctx, struct vmap_area *v)
{
	v->left = ctx->spare;
	ctx->spare = v;
	ctx->nr_spare++;
}

/* Take [s, e) out of the free range @f, which holds it; needs a spare node for a middle cut. */
static void clip(struct vmalloc_ctx *ctx, struct vmap_area *f, vaddr_t s, vaddr_t e)
{
	struct vmap_area *rest;

	tree_remove(&ctx->free, f);
	if (f->va_start < s && f->va_end > e) {
		rest = get_node(ctx);
		rest->va_start = e;
		rest->va_end = f->va_end;
		tree_insert(&ctx->free, rest);
	}
	if (f->va_start < s) {
		f->va_end = s;
		tree_insert(&ctx->free, f);
	} else if (f->va_end > e) {
		f->va_start = e;
		tree_insert(&ctx->free, f);
	} else {
		put_node(ctx, f);
	}
}

/* Give [va_start, va_end) of @v back to the free tree, merged with its free neighbours. */
static void merge_free(struct vmalloc_ctx *ctx, struct vmap_area *v)
{
	struct vmap_area *prev =
	    v->va_start > ctx->start ? tree_find(&ctx->free, v->va_start - 1) : NULL;
	struct vmap_area *next = tree_find(&ctx->free, v->va_end);

	if (prev) {
		tree_remove(&ctx->free, prev);
		v->va_start = prev->va_start;
		put_node(ctx, prev);
	}
	if (next) {
		tree_remove(&ctx->free, next);
		v->va_end = next->va_end;
		put_node(ctx, next);
	}
	tree_insert(&ctx->free, v);
}

static paddr_t table_alloc(void *c, uint64_t bytes)
{
	struct vmalloc_ctx *ctx = c;
	struct page *page = bytes == PAGE_SIZE ? ms_alloc_pages(ctx->ms, GFP_KERNEL, 0) : NULL;

	return page ? PFN_PHYS(ms_page_to_pfn(ctx->ms, page)) : 0;
}

/* Boot tables (PG_reserved, from memblock) are not the page allocator's to take back. */
static void table_free(void *c, paddr_t table, uint64_t bytes)
{
	struct vmalloc_ctx *ctx = c;
	struct page *page = ms_pfn_to_page(ctx->ms, PHYS_PFN(table));

	if (page && bytes == PAGE_SIZE && !PageReserved(page))
		ms_free_pages(ctx->ms, page, 0);
}

/* Linux's lazy_max_pages: fls(num_online_cpus()) * 32M worth of pages. */
static unsigned long lazy_max_pages(const struct mem_system *ms)
{
	unsigned int cpus = ms->nr_cpus ? ms->nr_cpus : 1;

	return (unsigned long)(32 - __builtin_clz(cpus)) * ((32UL << 20) / PAGE_SIZE);
}

int vmalloc_init(struct vmalloc_ctx *ctx, struct pgtable *pt, vaddr_t start, vaddr_t end,
		 struct mem_system *ms)
{
	const struct xlat_geometry *g = &pt->geom;
	struct vmap_area *all;

	if (xlat_granule_size(g) != PAGE_SIZE || start >= end ||
	    !IS_ALIGNED(start | end, PAGE_SIZE) || start >> g->va_bits != (end - 1) >> g->va_bits)
		return -EINVAL;
	*ctx = (struct vmalloc_ctx){ .pt = pt, .ms = ms, .start = start, .end = end };
	if (ensure_spare(ctx, 1))
		return -ENOMEM;
	ctx->table_alloc = (struct pgtable_alloc){ table_alloc, table_free, ctx };
	ctx->table_keep = (struct pgtable_alloc){ table_alloc, NULL, ctx };
	ctx->lazy_max_pages = lazy_max_pages(ms);
	all = get_node(ctx);
	all->va_start = start;
	all->va_end = end;
	tree_insert(&ctx->free, all);
	pt->alloc = &ctx->table_alloc;
	return 0;
}

int vmalloc_add_early(struct vmalloc_ctx *ctx, vaddr_t addr, uint64_t size, unsigned long flags,
		      const void *caller)
{
	vaddr_t end = addr + size + PAGE_SIZE;
	struct vmap_area *f, *v;

	if (!size || !IS_ALIGNED(addr | size, PAGE_SIZE) || end <= addr)
		return -EINVAL;
	spin_lock(&ctx->vmap_area_lock);
	f = tree_find(&ctx->free, addr);
	if (!f || end > f->va_end) {
		spin_unlock(&ctx->vmap_area_lock);
		return -EINVAL;
	}
	if (ensure_spare(ctx, 2)) {
		spin_unlock(&ctx->vmap_area_lock);
		return -ENOMEM;
	}
	clip(ctx, f, addr, end);
	v = get_node(ctx);
	*v =
	    (struct vmap_area){ .va_start = addr, .va_end = end, .flags = flags, .caller = caller };
	tree_insert(&ctx->busy, v);
	spin_unlock(&ctx->vmap_area_lock);
	return 0;
}

/* The lowest and highest VA of the areas of the tree at @root, which is not empty. */
static void tree_bounds(const struct vmap_area *root, vaddr_t *start, vaddr_t *end)
{
	const struct vmap_area *lo = root, *hi = root;

	while (lo->left)
		lo = lo->left;
	while (hi->right)
		hi = hi->right;
	*start = lo->va_start;
	*end = hi->va_end;
}

/*
 * Give back the tables left empty over the areas of the tree at @n, unmapped and flushed from
 * every TLB: an unmap of their (unmapped) range unlinks each, drops the walks cached through it
 * and frees it (pgtable_unmap). Tables shared with mapped areas are not empty and stay.
 */
static void free_empty_tables(struct vmalloc_ctx *ctx, const struct vmap_area *n)
{
	struct pgtable_unmapped out;

	if (!n)
		return;
	free_empty_tables(ctx, n->left);
	spin_lock(&ctx->page_table_lock);
	WARN_ON(pgtable_unmap(ctx->pt, n->va_start, va_size(n), &out) || out.leaves);
	spin_unlock(&ctx->page_table_lock);
	free_empty_tables(ctx, n->right);
}

void vmc_purge(struct vmalloc_ctx *ctx)
{
	struct vmap_area *lazy, *v;
	vaddr_t start, end;

	spin_lock(&ctx->vmap_purge_lock);
	spin_lock(&ctx->vmap_area_lock);
	lazy = ctx->lazy.root;
	ctx->lazy = (struct vmap_tree){ 0 };
	ctx->lazy_nr = 0;
	spin_unlock(&ctx->vmap_area_lock);
	if (lazy) {
		tree_bounds(lazy, &start, &end);
		arch_flush_tlb_kernel_range(start, end);
		free_empty_tables(ctx, lazy);
		spin_lock(&ctx->vmap_area_lock);
		while (lazy) {
			lazy = avl_remove_min(lazy, &v);
			merge_free(ctx, v);
		}
		spin_unlock(&ctx->vmap_area_lock);
		ctx->nr_purges++;
	}
	spin_unlock(&ctx->vmap_purge_lock);
}

/* A busy area of @size bytes (guard included) at the lowest free VA, purging once if needed. */
static struct vmap_area *alloc_area(struct vmalloc_ctx *ctx, uint64_t size, unsigned long flags,
				    const void *caller, gfp_t gfp)
{
	struct vmap_area *f, *v = NULL;
	bool purged = false;

retry:
	spin_lock(&ctx->vmap_area_lock);
	if (ensure_spare(ctx, 1)) {
		spin_unlock(&ctx->vmap_area_lock);
		return NULL;
	}
	f = lowest_fit(ctx->free.root, size);
	if (!f && !purged) {
		spin_unlock(&ctx->vmap_area_lock);
		vmc_purge(ctx);
		purged = true;
		goto retry;
	}
	if (f) {
		v = get_node(ctx);
		*v = (struct vmap_area){ .va_start = f->va_start, .va_end = f->va_start + size };
		v->flags = flags;
		v->caller = caller;
		clip(ctx, f, v->va_start, v->va_end);
		tree_insert(&ctx->busy, v);
	}
	spin_unlock(&ctx->vmap_area_lock);
	if (!v && !(gfp & __GFP_NOWARN))
		printk(
		    "vmap allocation for size %llu failed: use vmalloc=<size> to increase size\n",
		    (unsigned long long)size);
	return v;
}

/* Map @pages[0..n) at @va with @prot, runs of consecutive frames at once, under the page-table
 * lock. 0 or an errno. */
static int map_pages(struct vmalloc_ctx *ctx, vaddr_t va, struct page **pages, unsigned int n,
		     const struct pte_attrs *prot)
{
	int err = 0;

	spin_lock(&ctx->page_table_lock);
	for (unsigned int i = 0, run; i < n && !err; i += run) {
		unsigned long pfn = ms_page_to_pfn(ctx->ms, pages[i]);

		for (run = 1; i + run < n && ms_page_to_pfn(ctx->ms, pages[i + run]) == pfn + run;)
			run++;
		err = pgtable_map(ctx->pt, va + (uint64_t)i * PAGE_SIZE, PFN_PHYS(pfn),
				  (uint64_t)run * PAGE_SIZE, prot, PAGE_SIZE);
	}
	spin_unlock(&ctx->page_table_lock);
	return err;
}

/* Take @v off the busy tree: from now on it is the caller's alone. */
static void unlink_busy(struct vmalloc_ctx *ctx, struct vmap_area *v)
{
	spin_lock(&ctx->vmap_area_lock);
	tree_remove(&ctx->busy, v);
	spin_unlock(&ctx->vmap_area_lock);
}

/* Free the pages vmalloc allocated for @v and their array. */
static void free_area_pages(struct vmalloc_ctx *ctx, struct vmap_area *v)
{
	for (unsigned int i = 0; i < v->nr_pages; i++)
		ms_free_pages(ctx->ms, v->pages[i], 0);
	if (v->pages_block)
		ms_free_pages(ctx->ms, v->pages_block, v->pages_order);
	v->nr_pages = 0;
	v->pages = NULL;
	v->pages_block = NULL;
}

/*
 * Release @v, unlinked from the busy tree: unmap it (its guard is unmapped already), free the
 * pages vmalloc allocated for it when @free_pages, then queue it on the lazy tree and purge
 * beyond the threshold (Linux's free_vmap_area_noflush). Its leaves stay in the TLBs until the
 * purge, and so do the tables they were walked through: the unmap goes through table_keep,
 * which leaves empty tables linked (changing a table descriptor needs the TLBs flushed over all
 * it translated, ARM ARM (DDI 0487) D8.14.1 "Using break-before-make when updating translation
 * table entries"); the purge frees them.
 */
static void release_area(struct vmalloc_ctx *ctx, struct vmap_area *v, bool free_pages)
{
	struct pgtable_unmapped out;
	bool purge;

	spin_lock(&ctx->page_table_lock);
	ctx->pt->alloc = &ctx->table_keep;
	WARN_ON(pgtable_unmap(ctx->pt, v->va_start, va_size(v) - PAGE_SIZE, &out));
	ctx->pt->alloc = &ctx->table_alloc;
	spin_unlock(&ctx->page_table_lock);
	if (free_pages)
		free_area_pages(ctx, v);
	spin_lock(&ctx->vmap_area_lock);
	tree_insert(&ctx->lazy, v);
	ctx->lazy_nr += va_size(v) >> PAGE_SHIFT;
	purge = ctx->lazy_nr > ctx->lazy_max_pages;
	spin_unlock(&ctx->vmap_area_lock);
	if (purge)
		vmc_purge(ctx);
}

/* The smallest order whose block holds @bytes. */
static unsigned int order_for(uint64_t bytes)
{
	unsigned int order = 0;

	while ((PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

/* Allocate @v's @n pages and their array; 0, or -ENOMEM with what was taken recorded in @v. */
static int alloc_area_pages(struct vmalloc_ctx *ctx, struct vmap_area *v, unsigned int n, gfp_t gfp)
{
	v->pages_order = order_for((uint64_t)n * sizeof(struct page *));
	if (v->pages_order >= MAX_ORDER)
		return -ENOMEM;
	v->pages_block =
	    ms_alloc_pages(ctx->ms, (gfp & ~__GFP_ZERO) | __GFP_NOWARN, v->pages_order);
	if (!v->pages_block)
		return -ENOMEM;
	v->pages = ms_page_address(ctx->ms, v->pages_block);
	while (v->nr_pages < n) {
		struct page *p = ms_alloc_pages(ctx->ms, gfp | __GFP_NOWARN, 0);

		if (!p)
			return -ENOMEM;
		v->pages[v->nr_pages++] = p;
	}
	return 0;
}

void *vmc_vmalloc(struct vmalloc_ctx *ctx, unsigned long size, gfp_t gfp, const void *caller)
{
	uint64_t bytes = ALIGN_UP((uint64_t)size, PAGE_SIZE);
	struct vmap_area *v;
	char mode[96];

	if (!size || bytes + PAGE_SIZE > ctx->end - ctx->start)
		return NULL;
	v = alloc_area(ctx, bytes + PAGE_SIZE, VM_ALLOC, caller, gfp);
	if (!v)
		return NULL;
	if (!alloc_area_pages(ctx, v, (unsigned int)(bytes >> PAGE_SHIFT), gfp) &&
	    !map_pages(ctx, v->va_start, v->pages, v->nr_pages, &PAGE_KERNEL))
		return (void *)(uintptr_t)v->va_start;
	unlink_busy(ctx, v);
	release_area(ctx, v, true);
	if (!(gfp & __GFP_NOWARN)) {
		gfp_snprint(mode, sizeof(mode), gfp);
		printk("vmalloc error: size %lu, failed to allocate pages, mode:%#x(%s)\n", size,
		       gfp, mode);
	}
	return NULL;
}

void *vmc_vmap(struct vmalloc_ctx *ctx, struct page **pages, unsigned int count,
	       unsigned long flags, const struct pte_attrs *prot, const void *caller)
{
	uint64_t bytes = (uint64_t)count * PAGE_SIZE;
	struct vmap_area *v;

	if (!count || bytes + PAGE_SIZE > ctx->end - ctx->start)
		return NULL;
	v = alloc_area(ctx, bytes + PAGE_SIZE, flags | VM_MAP, caller, GFP_KERNEL);
	if (!v)
		return NULL;
	if (!map_pages(ctx, v->va_start, pages, count, prot))
		return (void *)(uintptr_t)v->va_start;
	unlink_busy(ctx, v);
	release_area(ctx, v, false);
	return NULL;
}

struct vmap_area *vmc_find_area(struct vmalloc_ctx *ctx, const void *addr)
{
	struct vmap_area *v;

	spin_lock(&ctx->vmap_area_lock);
	v = tree_find(&ctx->busy, (vaddr_t)(uintptr_t)addr);
	spin_unlock(&ctx->vmap_area_lock);
	return v;
}

/* The busy area starting at @addr, unlinked from the busy tree (Linux's find_unlink_vmap_area),
 * or NULL after Linux's warning naming @what. */
static struct vmap_area *take_area(struct vmalloc_ctx *ctx, const void *addr, const char *what)
{
	struct vmap_area *v;

	spin_lock(&ctx->vmap_area_lock);
	v = tree_find(&ctx->busy, (vaddr_t)(uintptr_t)addr);
	if (v && v->va_start == (vaddr_t)(uintptr_t)addr)
		tree_remove(&ctx->busy, v);
	else
		v = NULL;
	spin_unlock(&ctx->vmap_area_lock);
	if (!v) {
		printk("Trying to %s() nonexistent vm area (%p)\n", what, addr);
		WARN_ON(1);
	}
	return v;
}

void vmc_vfree(struct vmalloc_ctx *ctx, const void *addr)
{
	struct vmap_area *v = addr ? take_area(ctx, addr, "vfree") : NULL;

	if (v)
		release_area(ctx, v, true);
}

void vmc_vunmap(struct vmalloc_ctx *ctx, const void *addr)
{
	struct vmap_area *v = addr ? take_area(ctx, addr, "vunmap") : NULL;

	if (v)
		release_area(ctx, v, false);
}

struct page *vmc_vmalloc_to_page(struct vmalloc_ctx *ctx, const void *addr)
{
	paddr_t pa;
	int err;

	spin_lock(&ctx->page_table_lock);
	err = pgtable_query(ctx->pt, (vaddr_t)(uintptr_t)addr, &pa, NULL, NULL);
	spin_unlock(&ctx->page_table_lock);
	return err ? NULL : ms_pfn_to_page(ctx->ms, PHYS_PFN(pa));
}

/* One busy area's line of /proc/vmallocinfo (Linux's s_show; %pK and %pS as raw 0x%016lx:
 * kmm has no symbol table, and Linux prints %pS so without kallsyms). */
static void show_area(const struct vmap_area *v)
{
	static const struct {
		unsigned long flag;
		const char *name;
	} names[] = { { VM_IOREMAP, " ioremap" },
		      { VM_ALLOC, " vmalloc" },
		      { VM_MAP, " vmap" },
		      { VM_USERMAP, " user" } };

	printk("0x%016llx-0x%016llx %7lld", (unsigned long long)v->va_start,
	       (unsigned long long)v->va_end, (long long)va_size(v));
	if (v->caller)
		printk(" 0x%016llx", (unsigned long long)(uintptr_t)v->caller);
	if (v->nr_pages)
		printk(" pages=%u", v->nr_pages);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (v->flags & names[i].flag)
			printk("%s", names[i].name);
	printk("\n");
}

/* In address order: busy areas with show_area, lazy ones as show_purge_info does. */
static void show_tree(const struct vmap_area *n, bool lazy)
{
	if (!n)
		return;
	show_tree(n->left, lazy);
	if (lazy)
		printk("0x%016llx-0x%016llx %7lld unpurged vm_area\n",
		       (unsigned long long)n->va_start, (unsigned long long)n->va_end,
		       (long long)va_size(n));
	else
		show_area(n);
	show_tree(n->right, lazy);
}

void vmc_show_vmallocinfo(struct vmalloc_ctx *ctx)
{
	spin_lock(&ctx->vmap_area_lock);
	show_tree(ctx->busy.root, false);
	show_tree(ctx->lazy.root, true);
	spin_unlock(&ctx->vmap_area_lock);
}

/* The checker's state over one tree. */
struct check {
	const struct vmalloc_ctx *ctx;
	const char *name;
	int tree; /* 0 busy, 1 lazy, 2 free */
	unsigned long nr;
	uint64_t bytes;
	vaddr_t prev_end;
	bool have_prev;
};

static int bad(const struct check *c, const struct vmap_area *n, const char *what)
{
	printk("vmalloc_check: %s area 0x%llx-0x%llx: %s\n", c->name,
	       (unsigned long long)n->va_start, (unsigned long long)n->va_end, what);
	return -EINVAL;
}

/* No area of @t overlaps @n. */
static bool disjoint(const struct vmap_tree *t, const struct vmap_area *n)
{
	const struct vmap_area *c = tree_ceil(t, n->va_start);

	return !tree_find(t, n->va_start) && (!c || c->va_start >= n->va_end);
}

/* Check one node (in order); its subtrees were checked before. */
static int check_node(struct check *c, const struct vmap_area *n)
{
	const struct vmalloc_ctx *ctx = c->ctx;
	int hl = height(n->left), hr = height(n->right);

	if (n->va_start >= n->va_end || !IS_ALIGNED(n->va_start | n->va_end, PAGE_SIZE) ||
	    n->va_start < ctx->start || n->va_end > ctx->end)
		return bad(c, n, "empty, misaligned or outside the range");
	if (n->height != 1 + (hl > hr ? hl : hr) || hl - hr > 1 || hr - hl > 1)
		return bad(c, n, "height or balance");
	if (n->subtree_max_size !=
	    max_u64(va_size(n), max_u64(sub_max(n->left), sub_max(n->right))))
		return bad(c, n, "subtree_max_size");
	if (c->have_prev && n->va_start < c->prev_end + (c->tree == 2 ? 1 : 0))
		return bad(c, n, "out of order, overlapping or an unmerged free neighbour");
	if ((c->tree != 0 && !disjoint(&ctx->busy, n)) ||
	    (c->tree != 1 && !disjoint(&ctx->lazy, n)) ||
	    (c->tree != 2 && !disjoint(&ctx->free, n)))
		return bad(c, n, "overlaps an area of another tree");
	c->prev_end = n->va_end;
	c->have_prev = true;
	c->nr++;
	c->bytes += va_size(n);
	return 0;
}

static int check_tree(struct check *c, const struct vmap_area *n)
{
	int err;

	if (!n)
		return 0;
	err = check_tree(c, n->left);
	if (!err)
		err = check_node(c, n);
	return err ? err : check_tree(c, n->right);
}

int vmalloc_check(const struct vmalloc_ctx *ctx)
{
	const struct vmap_tree *trees[] = { &ctx->busy, &ctx->lazy, &ctx->free };
	static const char *const names[] = { "busy", "lazy", "free" };
	uint64_t bytes = 0;

	for (int i = 0; i < 3; i++) {
		struct check c = { .ctx = ctx, .name = names[i], .tree = i };
		int err = check_tree(&c, trees[i]->root);

		if (err)
			return err;
		if (c.nr != trees[i]->nr) {
			printk("vmalloc_check: %s tree holds %lu areas, counted %lu\n", names[i],
			       c.nr, trees[i]->nr);
			return -EINVAL;
		}
		if (i == 1 && c.bytes >> PAGE_SHIFT != ctx->lazy_nr) {
			printk("vmalloc_check: lazy_nr %lu, lazy areas hold %llu pages\n",
			       ctx->lazy_nr, (unsigned long long)(c.bytes >> PAGE_SHIFT));
			return -EINVAL;
		}
		bytes += c.bytes;
	}
	if (bytes != ctx->end - ctx->start) {
		printk("vmalloc_check: areas cover %llu bytes of a %llu-byte range\n",
		       (unsigned long long)bytes, (unsigned long long)(ctx->end - ctx->start));
		return -EINVAL;
	}
	return 0;
}

void *vmalloc(unsigned long size)
{
	return vmc_vmalloc(&vmalloc_default, size, GFP_KERNEL, __builtin_return_address(0));
}

void *vzalloc(unsigned long size)
{
	return vmc_vmalloc(&vmalloc_default, size, GFP_KERNEL | __GFP_ZERO,
			   __builtin_return_address(0));
}

void vfree(const void *addr)
{
	vmc_vfree(&vmalloc_default, addr);
}

void *vmap(struct page **pages, unsigned int count, unsigned long flags, struct pte_attrs prot)
{
	return vmc_vmap(&vmalloc_default, pages, count, flags, &prot, __builtin_return_address(0));
}

void vunmap(const void *addr)
{
	vmc_vunmap(&vmalloc_default, addr);
}

struct page *vmalloc_to_page(const void *addr)
{
	return vmc_vmalloc_to_page(&vmalloc_default, addr);
}

void show_vmallocinfo(void)
{
	vmc_show_vmallocinfo(&vmalloc_default);
}

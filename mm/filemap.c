// SPDX-License-Identifier: MIT
/*
 * Files and the page cache; see include/kmm/fs.h for the contract.
 *
 * The index of an address_space's pages is a radix tree keyed by page index, as Linux's xarray:
 * 64-slot nodes from kmalloc, each level taking 6 bits of the index, the leaf level holding the
 * struct pages. mapping->pages is the root node and mapping->pages_height the number of levels,
 * the fewest that reach the largest index cached (the root has an entry beyond slot 0 unless it
 * is a leaf), so a lookup costs one load per level. The tree only grows: pages leave the cache
 * when the address_space goes. An insertion allocates every node it needs before it links any,
 * so a failure leaves the tree as it was.
 *
 * Locking, in the order the locks nest (Linux's mm/filemap.c comment and mm/rmap.c's list
 * mmap_lock before the i_pages lock, too):
 *
 *   mm->mmap_lock			a fault reading a page in (mm/memory.c)
 *     as->i_pages_lock			the index, nrpages; a lookup and its get_page
 *       slab's locks, the page allocator's	index nodes (kzalloc) for an insertion
 *   as->i_lock				the file and address_space reference counts
 *
 * A missing page is allocated and read in holding no lock, then inserted under the i_pages lock
 * unless another CPU inserted one meanwhile: that one is used and the new one freed (Linux's
 * filemap_add_folio failing with -EEXIST). The last reference to an address_space frees it and
 * its pages holding no lock: nothing else can reach it then.
 */
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>

#define FM_SHIFT 6
#define FM_SLOTS (1u << FM_SHIFT)
#define FM_MAX_HEIGHT 11 /* ceil(64 / FM_SHIFT): every uint64_t index */

/* Linux's MAX_RW_COUNT: the most one read transfers. */
#define MAX_RW_COUNT (0x7fffffffUL & ~(PAGE_SIZE - 1))

struct fm_node {
	void *slots[FM_SLOTS]; /* nodes one level down, or struct pages at the leaf level */
};

/* The slot of @index in a node at @level (0: the leaves). */
static unsigned int fm_slot(uint64_t index, unsigned int level)
{
	return (unsigned int)(index >> (FM_SHIFT * level)) & (FM_SLOTS - 1);
}

/* The levels a tree needs to reach @index. */
static unsigned int fm_height_for(uint64_t index)
{
	unsigned int bits = 64 - (unsigned int)__builtin_clzll(index | 1);

	return (bits + FM_SHIFT - 1) / FM_SHIFT;
}

/* Pages the file's size covers (the last one possibly partial). */
static uint64_t size_pages(const struct address_space *as)
{
	return (as->size >> PAGE_SHIFT) + ((as->size & (PAGE_SIZE - 1)) != 0);
}

static struct page *tree_lookup(const struct address_space *as, uint64_t index)
{
	const struct fm_node *n = as->pages;
	unsigned int level = as->pages_height;

	if (!n || fm_height_for(index) > level)
		return NULL;
	while (--level > 0) {
		n = n->slots[fm_slot(index, level)];
		if (!n)
			return NULL;
	}
	return n->slots[fm_slot(index, 0)];
}

/* Nodes inserting @index into a tree of @h levels (@h >= the current height) adds: the new levels
 * on top and the missing nodes of its path. A new top level holds @index beyond slot 0 (@h is
 * then the least height for it), so its path below is all new. */
static unsigned int nodes_needed(const struct address_space *as, uint64_t index, unsigned int h)
{
	const struct fm_node *n = as->pages;

	if (!n)
		return h;
	if (h > as->pages_height)
		return h - as->pages_height + h - 1;
	for (unsigned int level = h - 1; level > 0; level--) {
		n = n->slots[fm_slot(index, level)];
		if (!n)
			return level;
	}
	return 0;
}

/* Link @page at @index, a free slot, the i_pages lock held. 0 or -ENOMEM (the tree
 * unchanged). */
static int tree_insert(struct address_space *as, uint64_t index, struct page *page)
{
	unsigned int h = fm_height_for(index), need;
	struct fm_node *spare[2 * FM_MAX_HEIGHT];
	void **slot = &as->pages;

	if (h < as->pages_height)
		h = as->pages_height;
	need = nodes_needed(as, index, h);
	for (unsigned int i = 0; i < need; i++) {
		spare[i] = kzalloc(sizeof(struct fm_node), GFP_KERNEL);
		if (!spare[i]) {
			while (i--)
				kfree(spare[i]);
			return -ENOMEM;
		}
	}
	for (; as->pages && as->pages_height < h; as->pages_height++) {
		spare[--need]->slots[0] = as->pages;
		as->pages = spare[need];
	}
	as->pages_height = h;
	for (unsigned int level = h; level-- > 0;) {
		if (!*slot)
			*slot = spare[--need];
		slot = &((struct fm_node *)*slot)->slots[fm_slot(index, level)];
	}
	*slot = page;
	return 0;
}

/* Report a cached page that cannot be freed with its file, as the page allocator's bad_page does,
 * and count it. */
static void bad_cache_page(const struct address_space *as, const struct page *page,
			   const char *reason)
{
	unsigned long pfn = ms_page_to_pfn(as->ms, page);

	as->ms->nr_bad_pages++;
	printk("BUG: Bad page state in process kmm  pfn:%05lx\n", pfn);
	printk("page:%p refcount:%d mapcount:%d mapping:%p index:%#llx pfn:%#lx\n", (void *)page,
	       page_ref_count(page), page_mapcount(page), page->mapping,
	       (unsigned long long)page->index, pfn);
	printk("flags: %#lx\n", page->flags);
	printk("page dumped because: %s (file %s)\n", reason, as->name);
}

/*
 * Drop the cache's reference on @page, whose address_space goes. A page still mapped or
 * referenced elsewhere is a kernel bug: reported and leaked with the cache's reference (its
 * mapping cleared, so that nothing follows it to the freed address_space).
 */
static void release_page(const struct address_space *as, struct page *page)
{
	const char *bad = NULL;

	if (page_mapcount(page) != 0)
		bad = "page-cache page still mapped when its address_space is freed";
	else if (page_ref_count(page) != 1)
		bad = "page-cache page still referenced when its address_space is freed";
	if (bad)
		bad_cache_page(as, page, bad);
	page->mapping = NULL;
	if (bad)
		return;
	page->flags &= ~(BIT(PG_uptodate) | BIT(PG_dirty) | BIT(PG_referenced));
	ms_put_page(as->ms, page);
}

/* Free the subtree of @n (at @level) and release its pages. */
static void free_node(const struct address_space *as, struct fm_node *n, unsigned int level)
{
	for (unsigned int i = 0; i < FM_SLOTS; i++) {
		if (!n->slots[i])
			continue;
		if (level)
			free_node(as, n->slots[i], level - 1);
		else
			release_page(as, n->slots[i]);
	}
	kfree(n);
}

static void mapping_free(struct address_space *as)
{
	if (as->pages)
		free_node(as, as->pages, as->pages_height - 1);
	if (as->ops && as->ops->release)
		as->ops->release(as->priv);
	kfree(as);
}

static struct file *file_new(struct mem_system *ms, const char *name, uint64_t size,
			     const struct file_backing_ops *ops, void *priv, unsigned int mode)
{
	struct address_space *as = kzalloc(sizeof(*as), GFP_KERNEL);
	struct file *f = as ? kzalloc(sizeof(*f), GFP_KERNEL) : NULL;

	if (!f) {
		kfree(as);
		return NULL;
	}
	as->ms = ms;
	as->size = size;
	as->ops = ops;
	as->priv = priv;
	as->refcount = 1;
	kmm_snprintf(as->name, sizeof(as->name), "%s", name);
	*f = (struct file){ .f_mapping = as, .f_mode = mode, .refcount = 1 };
	return f;
}

struct file *file_create_mem(struct mem_system *ms, const char *name, uint64_t size,
			     unsigned int mode)
{
	return file_new(ms, name, size, NULL, NULL, mode);
}

struct file *file_create_backed(struct mem_system *ms, const char *name, uint64_t size,
				const struct file_backing_ops *ops, void *priv, unsigned int mode)
{
	struct file *f = file_new(ms, name, size, ops, priv, mode);

	if (!f && ops->release)
		ops->release(priv);
	return f;
}

struct file *get_file(struct file *f)
{
	spin_lock(&f->f_mapping->i_lock);
	f->refcount++;
	spin_unlock(&f->f_mapping->i_lock);
	return f;
}

void fput(struct file *f)
{
	struct address_space *as = f->f_mapping;
	bool last_file, last_mapping = false;

	spin_lock(&as->i_lock);
	last_file = !WARN_ON(f->refcount == 0) && --f->refcount == 0;
	if (last_file && !WARN_ON(as->refcount == 0))
		last_mapping = --as->refcount == 0;
	spin_unlock(&as->i_lock);
	if (last_file)
		kfree(f);
	if (last_mapping)
		mapping_free(as);
}

/* Read page @index of @as from its backing store into @page: the bytes the store has, zeros after
 * them (the end of the file, or a store that ended early). 0 or -EIO. */
static int read_page(struct address_space *as, struct page *page, uint64_t index)
{
	uint8_t *va = ms_page_address(as->ms, page);
	uint64_t off = index << PAGE_SHIFT;
	size_t want = as->size - off < PAGE_SIZE ? (size_t)(as->size - off) : PAGE_SIZE;
	size_t done = 0;

	while (done < want) {
		long n = as->ops->read(as->priv, off + done, va + done, want - done);

		if (n < 0 || (size_t)n > want - done)
			return -EIO;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	__builtin_memset(va + done, 0, PAGE_SIZE - done);
	return 0;
}

/* The cached page at @index with a reference taken for the caller, or NULL. */
static struct page *lookup_get(struct address_space *as, uint64_t index)
{
	struct page *page;

	spin_lock(&as->i_pages_lock);
	page = tree_lookup(as, index);
	if (page)
		get_page(page);
	spin_unlock(&as->i_pages_lock);
	return page;
}

/*
 * A new uptodate page for @index of @as (zeroed, or read in: *@major), made and read holding no
 * lock, then put in the cache with its reference under the i_pages lock; if another CPU put one
 * there meanwhile, that one instead and the new one freed. Returned with a reference for the
 * caller besides the cache's; NULL with *@err.
 */
static struct page *add_page(struct address_space *as, uint64_t index, bool *major, int *err)
{
	gfp_t gfp = GFP_HIGHUSER_MOVABLE | (as->ops ? 0 : __GFP_ZERO);
	struct page *page = ms_alloc_pages(as->ms, gfp, 0), *cached = NULL;

	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = as->ops ? read_page(as, page, index) : 0;
	page->mapping = as;
	page->index = index;
	set_page_flag(page, PG_uptodate);
	if (!*err) {
		spin_lock(&as->i_pages_lock);
		cached = tree_lookup(as, index);
		if (cached) {
			get_page(cached);
		} else if (!(*err = tree_insert(as, index, page))) {
			as->nrpages++;
			get_page(page);
		}
		spin_unlock(&as->i_pages_lock);
	}
	if (*err || cached) {
		page->mapping = NULL;
		clear_page_flag(page, PG_uptodate);
		ms_put_page(as->ms, page);
		return cached;
	}
	if (major && as->ops)
		*major = true;
	return page;
}

struct page *filemap_get_page(struct address_space *mapping, uint64_t index, bool *major, int *err)
{
	struct page *page;

	if (major)
		*major = false;
	if (index >= size_pages(mapping)) {
		*err = -EINVAL;
		return NULL;
	}
	page = lookup_get(mapping, index);
	return page ? page : add_page(mapping, index, major, err);
}

struct page *filemap_find_page(struct address_space *mapping, uint64_t index)
{
	struct page *page;

	spin_lock(&mapping->i_pages_lock);
	page = tree_lookup(mapping, index);
	spin_unlock(&mapping->i_pages_lock);
	return page;
}

long kernel_read(struct file *f, uint64_t off, void *buf, size_t len)
{
	struct address_space *as = f->f_mapping;
	size_t done = 0;

	if (!(f->f_mode & FMODE_READ))
		return -EBADF;
	if (off > (uint64_t)INT64_MAX)
		return -EINVAL;
	if (off >= as->size)
		return 0;
	if (len > as->size - off)
		len = (size_t)(as->size - off);
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	while (done < len) {
		uint64_t pos = off + done;
		size_t in = pos & (PAGE_SIZE - 1);
		size_t n = PAGE_SIZE - in < len - done ? PAGE_SIZE - in : len - done;
		int err;
		struct page *page = filemap_get_page(as, pos >> PAGE_SHIFT, NULL, &err);

		if (!page)
			return done ? (long)done : err;
		__builtin_memcpy((uint8_t *)buf + done,
				 (uint8_t *)ms_page_address(as->ms, page) + in, n);
		ms_put_page(as->ms, page);
		done += n;
	}
	return (long)done;
}

/* ---- the checker ------------------------------------------------------------------------- */

static const char *check_page(const struct address_space *as, const struct page *page,
			      uint64_t index)
{
	if (!ms_page_valid(as->ms, page))
		return "filemap: an entry is not a struct page of the mapping's memory system";
	if (page->mapping != as)
		return "filemap: a cached page's mapping is not its address_space";
	if (page->index != index)
		return "filemap: a cached page's index is not its place in the cache";
	if (!page_flag(page, PG_uptodate))
		return "filemap: a cached page is not PG_uptodate";
	if (PageBuddy(page) || page_mapcount(page) < 0 ||
	    page_ref_count(page) < 1 + page_mapcount(page))
		return "filemap: a cached page's reference count is below 1 + its map count";
	if (index >= size_pages(as))
		return "filemap: a cached page lies beyond the end of the file";
	return NULL;
}

/* Check the subtree of @n at @level, whose first index is @base; counts its pages in *@count. */
static const char *check_node(const struct address_space *as, const struct fm_node *n,
			      unsigned int level, uint64_t base, unsigned long *count)
{
	bool empty = true;

	for (unsigned int i = 0; i < FM_SLOTS; i++) {
		uint64_t index = base | (uint64_t)i << (FM_SHIFT * level);
		const char *msg;

		if (!n->slots[i])
			continue;
		empty = false;
		if (level)
			msg = check_node(as, n->slots[i], level - 1, index, count);
		else
			msg = check_page(as, n->slots[i], index);
		if (msg)
			return msg;
		*count += !level;
	}
	return empty ? "filemap: an empty node in the page-cache index" : NULL;
}

/* The root: present exactly when the height is not 0, and no taller than its entries need. */
static const char *check_root(const struct address_space *as)
{
	const struct fm_node *root = as->pages;

	if (!root != !as->pages_height || as->pages_height > FM_MAX_HEIGHT)
		return "filemap: the page-cache index's height does not match its root";
	if (!root || as->pages_height == 1)
		return NULL;
	for (unsigned int i = 1; i < FM_SLOTS; i++) {
		if (root->slots[i])
			return NULL;
	}
	return "filemap: the page-cache index is taller than its largest index needs";
}

const char *filemap_check(const struct address_space *mapping)
{
	unsigned long count = 0;
	const char *msg = check_root(mapping);

	if (!msg && mapping->pages)
		msg = check_node(mapping, mapping->pages, mapping->pages_height - 1, 0, &count);
	if (!msg && count != mapping->nrpages)
		msg = "filemap: nrpages does not match the pages in the cache";
	return msg;
}

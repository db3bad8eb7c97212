// SPDX-License-Identifier: MIT
/*
 * Files and the page cache (mm/filemap.c) on the booted default board: in-memory and backed
 * files, the radix tree at dense, sparse and huge indexes (height and node count against a
 * model), the short last page and a store that ends early zero-filled, major vs minor, -EINVAL
 * beyond the end, -EIO, -ENOMEM with the tree unchanged, reference counting, kernel_read, the
 * bad-page reports of fput, and a randomized run against a plain model. After every step
 * filemap_check holds; after the last fput every page and kmalloc object is back.
 */
#include "arch/host/host.h"
#include "board.h"

#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/slab.h>

#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEM (64ULL << 20)
#define NODE_SIZE 512 /* a radix-tree node: 64 pointers, from kmalloc-512 */

static struct sim_boot boot;
static FILE *quiet;

/* @expr with printk's output (allocation-failure reports) discarded. */
#define QUIET(expr)                                                                                \
	({                                                                                         \
		FILE *old_ = host_console_set(quiet);                                              \
		__typeof__(expr) r_ = (expr);                                                      \
		host_console_set(old_);                                                            \
		r_;                                                                                \
	})

/* Boot the default board, its log discarded. */
static bool env_up(struct ktest *kt)
{
	const struct sim_boot_opts o = {
		.board = "virt", .mem = MEM, .granule = PAGE_SIZE, .va_bits = 48
	};

	quiet = fopen("/dev/null", "w");
	if (!KT_EXPECT_NOT_NULL(kt, quiet))
		return false;
	if (KT_EXPECT_EQ(kt, sim_boot(&boot, &o, quiet, stderr), 0))
		return true;
	sim_boot_release(&boot);
	fclose(quiet);
	return false;
}

static void env_down(void)
{
	sim_boot_release(&boot);
	fclose(quiet);
}

/* What must come back when every file is gone: free pages and live kmalloc objects. */
struct snap {
	unsigned long free, live, nodes;
};

static struct kmem_cache *node_cache(void)
{
	return ss_kmalloc_slab(&slab_default_system, NODE_SIZE);
}

static struct snap snap_take(void)
{
	struct mem_system *ms = &mm_default_system;
	struct snap s = { 0, 0, kmem_cache_live_objects(node_cache()) };

	for (int i = 0; i < NR_KMALLOC_CACHES; i++) {
		struct kmem_cache *c = slab_default_system.kmalloc_caches[i];

		if (c) {
			kmem_cache_shrink(c);
			s.live += kmem_cache_live_objects(c);
		}
	}
	ms_drain_all_pages(ms);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		s.free += ms->node_data[0].node_zones[z].nr_free_pages;
	return s;
}

static void snap_expect(struct ktest *kt, const struct snap *before)
{
	struct snap now = snap_take();

	KT_EXPECT_EQ(kt, now.free, before->free);
	KT_EXPECT_EQ(kt, now.live, before->live);
	KT_EXPECT_EQ(kt, now.nodes, before->nodes);
	KT_EXPECT_EQ(kt, mm_default_system.nr_bad_pages, 0ul);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&mm_default_system), 0);
}

#define CHECK_CACHE(kt, as)                                                                        \
	do {                                                                                       \
		const char *msg_ = filemap_check(as);                                              \
		if (!KT_EXPECT_NULL(kt, msg_))                                                     \
			ktest_log(kt, "%s", msg_);                                                 \
	} while (0)

/* ---- a backing store generated from the offset ------------------------------------------ */

struct store {
	uint64_t avail;	  /* bytes the store has (may end before the file's size) */
	size_t chunk;	  /* the most one read returns */
	uint64_t fail_at; /* a read at this page's offset fails; UINT64_MAX: none */
	long fail_with;
	unsigned int reads, releases;
};

static uint8_t pat(uint64_t off)
{
	return (uint8_t)((off * 0x9e3779b1u) >> 13) ^ (uint8_t)(off >> 12);
}

static long store_read(void *priv, uint64_t off, void *buf, size_t len)
{
	struct store *s = priv;
	uint8_t *b = buf;

	s->reads++;
	if ((off & ~(uint64_t)(PAGE_SIZE - 1)) == s->fail_at)
		return s->fail_with;
	if (off >= s->avail)
		return 0;
	if (len > s->chunk)
		len = s->chunk;
	if (len > s->avail - off)
		len = (size_t)(s->avail - off);
	for (size_t i = 0; i < len; i++)
		b[i] = pat(off + i);
	return (long)len;
}

static void store_release(void *priv)
{
	((struct store *)priv)->releases++;
}

static const struct file_backing_ops store_ops = { store_read, store_release };

static struct store store_new(uint64_t avail)
{
	return (struct store){ .avail = avail, .chunk = PAGE_SIZE, .fail_at = UINT64_MAX };
}

static const uint8_t *page_bytes(struct page *p)
{
	return ms_page_address(&mm_default_system, p);
}

/* Page @index of a @store-backed file of @size bytes holds the store's bytes, then zeros. */
static bool page_matches(const struct page *p, const struct store *st, uint64_t size,
			 uint64_t index)
{
	const uint8_t *b = ms_page_address(&mm_default_system, p);

	for (size_t i = 0; i < PAGE_SIZE; i++) {
		uint64_t off = index * PAGE_SIZE + i;
		uint8_t want = st && off < size && off < st->avail ? pat(off) : 0;

		if (b[i] != want)
			return false;
	}
	return true;
}

/* ---- the cases ---------------------------------------------------------------------------- */

/* An in-memory file: zeroed pages, minor, the cache's and the caller's references, EOF. */
KTEST(filemap, mem_file)
{
	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	const uint64_t size = 3 * PAGE_SIZE + 100;
	struct file *f = file_create_mem(&mm_default_system, "/dev/zero (deleted)", size,
					 FMODE_READ | FMODE_WRITE);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;
	bool major = true;
	int err = 0;

	KT_EXPECT_STREQ(kt, as->name, "/dev/zero (deleted)");
	KT_EXPECT_EQ(kt, as->size, size);
	KT_EXPECT_EQ(kt, f->f_mode, FMODE_READ | FMODE_WRITE);
	KT_EXPECT_NULL(kt, filemap_find_page(as, 0));
	CHECK_CACHE(kt, as);

	struct page *p = filemap_get_page(as, 3, &major, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_FALSE(kt, major);
	KT_EXPECT_EQ(kt, page_ref_count(p), 2);
	KT_EXPECT_EQ(kt, page_mapcount(p), 0);
	KT_EXPECT_TRUE(kt, p->mapping == as);
	KT_EXPECT_EQ(kt, p->index, 3u);
	KT_EXPECT_TRUE(kt, page_flag(p, PG_uptodate));
	KT_EXPECT_TRUE(kt, page_matches(p, NULL, size, 3));
	KT_EXPECT_TRUE(kt, filemap_find_page(as, 3) == p);
	KT_EXPECT_NULL(kt, filemap_find_page(as, 2));
	KT_EXPECT_EQ(kt, as->nrpages, 1ul);
	CHECK_CACHE(kt, as);

	/* Found again: the same page, one more reference, still minor. */
	major = true;
	KT_EXPECT_TRUE(kt, filemap_get_page(as, 3, &major, &err) == p);
	KT_EXPECT_FALSE(kt, major);
	KT_EXPECT_EQ(kt, page_ref_count(p), 3);
	ms_put_page(&mm_default_system, p);
	ms_put_page(&mm_default_system, p);
	KT_EXPECT_EQ(kt, page_ref_count(p), 1);
	CHECK_CACHE(kt, as);

	/* At and beyond the end of the file: -EINVAL, nothing cached. */
	KT_EXPECT_NULL(kt, filemap_get_page(as, 4, &major, &err));
	KT_EXPECT_EQ(kt, err, -EINVAL);
	KT_EXPECT_NULL(kt, filemap_get_page(as, UINT64_MAX, NULL, &err));
	KT_EXPECT_EQ(kt, err, -EINVAL);
	KT_EXPECT_EQ(kt, as->nrpages, 1ul);
	CHECK_CACHE(kt, as);

	/* A write into the cached page stays: the cache is the file's only copy. */
	((uint8_t *)ms_page_address(&mm_default_system, p))[5] = 0xab;
	p = filemap_get_page(as, 3, NULL, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_EQ(kt, page_bytes(p)[5], 0xab);
	ms_put_page(&mm_default_system, p);

	/* An empty file has no page at all. */
	struct file *e = file_create_mem(&mm_default_system, "empty", 0, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, e);
	KT_EXPECT_NULL(kt, filemap_get_page(e->f_mapping, 0, NULL, &err));
	KT_EXPECT_EQ(kt, err, -EINVAL);
	CHECK_CACHE(kt, e->f_mapping);
	fput(e);

	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* A backed file: major on the first touch, minor after; the last page and a store that ends
 * early zero-filled; reads in short chunks; release once, at the last fput. */
KTEST(filemap, backed_file)
{
	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	const uint64_t size = 4 * PAGE_SIZE + 123;
	struct store st = store_new(size);
	bool major = false;
	int err = 0;

	st.chunk = 1000; /* every page takes several reads */
	struct file *f =
	    file_create_backed(&mm_default_system, "/bin/data", size, &store_ops, &st, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;

	for (uint64_t i = 0; i < 5; i++) {
		unsigned int reads = st.reads;
		struct page *p = filemap_get_page(as, i, &major, &err);

		KT_ASSERT_NOT_NULL(kt, p);
		KT_EXPECT_TRUE(kt, major);
		KT_EXPECT_EQ(kt, st.reads - reads, i < 4 ? 5u : 1u);
		KT_EXPECT_TRUE(kt, page_matches(p, &st, size, i));
		KT_EXPECT_EQ(kt, p->index, i);
		ms_put_page(&mm_default_system, p);
		CHECK_CACHE(kt, as);

		reads = st.reads;
		KT_EXPECT_TRUE(kt, filemap_get_page(as, i, &major, &err) == p);
		KT_EXPECT_FALSE(kt, major);
		KT_EXPECT_EQ(kt, st.reads, reads);
		ms_put_page(&mm_default_system, p);
	}
	KT_EXPECT_EQ(kt, as->nrpages, 5ul);
	KT_EXPECT_NULL(kt, filemap_get_page(as, 5, &major, &err));
	KT_EXPECT_EQ(kt, err, -EINVAL);

	/* Two more references to the file: the store goes with the last. */
	KT_EXPECT_TRUE(kt, get_file(f) == f);
	get_file(f);
	KT_EXPECT_EQ(kt, f->refcount, 3ul);
	fput(f);
	fput(f);
	KT_EXPECT_EQ(kt, st.releases, 0u);
	CHECK_CACHE(kt, as);
	fput(f);
	KT_EXPECT_EQ(kt, st.releases, 1u);
	snap_expect(kt, &s0);

	/* A store shorter than the file (it shrank): its bytes, then zeros, not an error. */
	st = store_new(PAGE_SIZE + 10);
	f = file_create_backed(&mm_default_system, "shrunk", 3 * PAGE_SIZE, &store_ops, &st,
			       FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	for (uint64_t i = 0; i < 3; i++) {
		struct page *p = filemap_get_page(f->f_mapping, i, &major, &err);

		KT_ASSERT_NOT_NULL(kt, p);
		KT_EXPECT_TRUE(kt, page_matches(p, &st, 3 * PAGE_SIZE, i));
		ms_put_page(&mm_default_system, p);
	}
	CHECK_CACHE(kt, f->f_mapping);
	fput(f);
	KT_EXPECT_EQ(kt, st.releases, 1u);
	snap_expect(kt, &s0);
	env_down();
}

/* A read error is -EIO whatever the store says, and nothing is cached; a read that claims more
 * than was asked is an error too. */
KTEST(filemap, read_errors)
{
	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	struct store st = store_new(8 * PAGE_SIZE);
	bool major = true;
	int err = 0;

	st.fail_at = 2 * PAGE_SIZE;
	st.fail_with = -EFAULT;
	struct file *f = file_create_backed(&mm_default_system, "bad", 8 * PAGE_SIZE, &store_ops,
					    &st, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;

	KT_EXPECT_NULL(kt, filemap_get_page(as, 2, &major, &err));
	KT_EXPECT_EQ(kt, err, -EIO);
	KT_EXPECT_FALSE(kt, major);
	KT_EXPECT_EQ(kt, as->nrpages, 0ul);
	KT_EXPECT_NULL(kt, filemap_find_page(as, 2));
	CHECK_CACHE(kt, as);

	/* kernel_read: the bytes before the bad page, then the error when nothing was read. */
	uint8_t buf[3 * PAGE_SIZE];
	KT_EXPECT_EQ(kt, kernel_read(f, PAGE_SIZE + 7, buf, sizeof(buf)), (long)PAGE_SIZE - 7);
	KT_EXPECT_EQ(kt, kernel_read(f, 2 * PAGE_SIZE + 7, buf, sizeof(buf)), (long)-EIO);
	KT_EXPECT_EQ(kt, as->nrpages, 1ul);
	CHECK_CACHE(kt, as);
	fput(f);
	KT_EXPECT_EQ(kt, st.releases, 1u);
	snap_expect(kt, &s0);
	env_down();
}

/* Nodes a tree over the indexes @idx[0..n) has, levels from the height they need. */
static unsigned long model_nodes(const uint64_t *idx, size_t n, unsigned int *height)
{
	uint64_t max = 0, *pre = malloc(n * sizeof(*pre));
	unsigned long nodes = 0;
	unsigned int h = 1;

	for (size_t i = 0; i < n; i++)
		max = idx[i] > max ? idx[i] : max;
	while (h < 11 && (max >> (6 * h)))
		h++;
	for (unsigned int level = 0; level < h; level++) {
		size_t distinct = 0;

		for (size_t i = 0; i < n; i++) {
			uint64_t p = level + 1 < 11 ? idx[i] >> (6 * (level + 1)) : 0;
			size_t j = 0;

			while (j < distinct && pre[j] != p)
				j++;
			if (j == distinct)
				pre[distinct++] = p;
		}
		nodes += distinct;
	}
	free(pre);
	*height = n ? h : 0;
	return nodes;
}

/* The radix tree at sparse and huge indexes: the height grows only as the largest index needs,
 * no node is wasted, neighbours of cached pages are absent. */
KTEST(filemap, sparse_and_huge_indexes)
{
	static const uint64_t order[] = {
		5,
		0,
		63,
		64,
		4095,
		4096,
		1ull << 30,
		(1ull << 30) + 1,
		262143,
		1ull << 40,
		(1ull << 52) - 1,
		777,
	};
	uint64_t done[ARRAY_SIZE(order)];

	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	struct file *f = file_create_mem(&mm_default_system, "huge", UINT64_MAX, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;
	int err;

	for (size_t k = 0; k < ARRAY_SIZE(order); k++) {
		struct page *p = filemap_get_page(as, order[k], NULL, &err);
		unsigned int height;

		KT_ASSERT_NOT_NULL(kt, p);
		ms_put_page(&mm_default_system, p);
		done[k] = order[k];
		unsigned long nodes = model_nodes(done, k + 1, &height);
		KT_EXPECT_EQ(kt, as->pages_height, height);
		KT_EXPECT_EQ(kt, kmem_cache_live_objects(node_cache()) - s0.nodes, nodes);
		KT_EXPECT_EQ(kt, as->nrpages, k + 1);
		CHECK_CACHE(kt, as);
		for (size_t j = 0; j <= k; j++) {
			struct page *q = filemap_find_page(as, done[j]);

			KT_EXPECT_TRUE(kt, q && q->index == done[j]);
		}
		KT_EXPECT_NULL(kt, filemap_find_page(as, order[k] + 2));
		KT_EXPECT_NULL(kt, filemap_find_page(as, order[k] ^ (1ull << 20)));
	}
	KT_EXPECT_EQ(kt, as->pages_height, 9u);
	KT_EXPECT_NULL(kt, filemap_find_page(as, 1ull << 52));
	KT_EXPECT_NULL(kt, filemap_find_page(as, UINT64_MAX));
	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* A dense run through two height changes: 4097 pages in index order, 68 nodes. */
KTEST(filemap, dense_fill)
{
	const uint64_t n = 4097, size = n * PAGE_SIZE - 1;

	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	struct store st = store_new(size);
	struct file *f =
	    file_create_backed(&mm_default_system, "dense", size, &store_ops, &st, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;
	unsigned int heights[] = { 1, 2, 3 };
	bool ok = true;
	int err;

	for (uint64_t i = 0; i < n && ok; i++) {
		bool major = false;
		struct page *p = filemap_get_page(as, i, &major, &err);

		ok = KT_EXPECT_NOT_NULL(kt, p) && KT_EXPECT_TRUE(kt, major);
		if (!ok)
			break;
		ok = KT_EXPECT_EQ(kt, as->pages_height, heights[(i >= 64) + (i >= 4096)]);
		if (i % 1024 == 0 || i == 63 || i == 64 || i == n - 1) {
			ok &= KT_EXPECT_TRUE(kt, page_matches(p, &st, size, i));
			CHECK_CACHE(kt, as);
		}
		ms_put_page(&mm_default_system, p);
	}
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(node_cache()) - s0.nodes, 64ul + 1 + 2 + 1);
	KT_EXPECT_EQ(kt, as->nrpages, n);
	CHECK_CACHE(kt, as);
	KT_EXPECT_LE(kt, snap_take().free, s0.free - n);
	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* kernel_read: within a page, across pages, at and past the end, short at the end; errors. */
KTEST(filemap, kernel_read)
{
	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	const uint64_t size = 3 * PAGE_SIZE + 500;
	struct store st = store_new(size);
	struct file *f = file_create_backed(&mm_default_system, "elf", size, &store_ops, &st,
					    FMODE_READ | FMODE_EXEC);
	KT_ASSERT_NOT_NULL(kt, f);
	static const struct {
		uint64_t off;
		size_t len;
		long want;
	} cases[] = {
		{ 0, 64, 64 },
		{ 100, PAGE_SIZE, PAGE_SIZE },
		{ PAGE_SIZE - 1, 2, 2 },
		{ 0, 3 * PAGE_SIZE + 500, 3 * PAGE_SIZE + 500 },
		{ 3 * PAGE_SIZE, 8 * PAGE_SIZE, 500 },
		{ 3 * PAGE_SIZE + 499, 10, 1 },
		{ 3 * PAGE_SIZE + 500, 10, 0 },
		{ 1ull << 40, 10, 0 },
		{ 5, 0, 0 },
	};
	static uint8_t buf[8 * PAGE_SIZE];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 0x5a, sizeof(buf));
		long n = kernel_read(f, cases[i].off, buf, cases[i].len);

		if (!KT_EXPECT_EQ(kt, n, cases[i].want))
			ktest_log(kt, "case %zu", i);
		for (long j = 0; j < n; j++) {
			if (buf[j] != pat(cases[i].off + (uint64_t)j)) {
				KT_EXPECT_EQ(kt, buf[j], pat(cases[i].off + (uint64_t)j));
				break;
			}
		}
		KT_EXPECT_EQ(kt, buf[n], 0x5a);
		CHECK_CACHE(kt, f->f_mapping);
	}
	/* Every page is cached once, with the cache's reference only. */
	KT_EXPECT_EQ(kt, f->f_mapping->nrpages, 4ul);
	for (uint64_t i = 0; i < 4; i++)
		KT_EXPECT_EQ(kt, page_ref_count(filemap_find_page(f->f_mapping, i)), 1);
	KT_EXPECT_EQ(kt, kernel_read(f, 1ull << 63, buf, 1), (long)-EINVAL);
	f->f_mode = FMODE_WRITE;
	KT_EXPECT_EQ(kt, kernel_read(f, 0, buf, 1), (long)-EBADF);
	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* The printk output of @fn(@arg), captured. */
static char *capture(void (*fn)(struct file *), struct file *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len), *old = host_console_set(f);

	fn(arg);
	host_console_set(old);
	fclose(f);
	return text;
}

/* fput with a cached page still mapped or still referenced: a bad-page report naming the page
 * state, the page not freed (its mapping cleared), everything else freed. */
KTEST(filemap, fput_reports_busy_pages)
{
	struct mem_system *ms = &mm_default_system;

	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	struct file *f = file_create_mem(ms, "busy", 4 * PAGE_SIZE, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	int err;
	struct page *mapped = filemap_get_page(f->f_mapping, 1, NULL, &err);
	struct page *held = filemap_get_page(f->f_mapping, 2, NULL, &err);
	struct page *fine = filemap_get_page(f->f_mapping, 3, NULL, &err);
	KT_ASSERT_TRUE(kt, mapped && held && fine);
	ms_put_page(ms, fine);
	mapped->_mapcount++; /* as a PTE would: its reference and its map count */
	CHECK_CACHE(kt, f->f_mapping);

	char *out = capture(fput, f);
	KT_ASSERT_NOT_NULL(kt, out);
	KT_EXPECT_EQ(kt, ms->nr_bad_pages, 2ul);
	KT_EXPECT_NOT_NULL(kt, strstr(out, "BUG: Bad page state in process kmm"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "refcount:2 mapcount:1 mapping:"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "still mapped when its address_space is freed"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "refcount:2 mapcount:0 mapping:"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "still referenced when its address_space is freed"));
	KT_EXPECT_NOT_NULL(kt, strstr(out, "(file busy)"));
	free(out);
	KT_EXPECT_NULL(kt, mapped->mapping);
	KT_EXPECT_NULL(kt, held->mapping);
	KT_EXPECT_EQ(kt, page_ref_count(mapped), 2);
	KT_EXPECT_EQ(kt, page_ref_count(held), 2);
	/* Two pages leaked: all else (the third page, nodes, the structures) came back. */
	struct snap s1 = snap_take();
	KT_EXPECT_EQ(kt, s1.free, s0.free - 2);
	KT_EXPECT_EQ(kt, s1.live, s0.live);

	/* The test plays the rest of the kernel: unmap, drop the leaked references. */
	mapped->_mapcount--;
	for (int i = 0; i < 2; i++) {
		struct page *p = i ? mapped : held;

		clear_page_flag(p, PG_uptodate);
		ms_put_page(ms, p);
		ms_put_page(ms, p);
	}
	ms->nr_bad_pages = 0;
	snap_expect(kt, &s0);
	env_down();
}

/* filemap_check names each broken rule (each broken on purpose, then restored). */
KTEST(filemap, check_catches_corruption)
{
	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();
	struct file *f = file_create_mem(&mm_default_system, "victim", 128 * PAGE_SIZE, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;
	struct page *p0, *p70;
	int err;

	p0 = filemap_get_page(as, 0, NULL, &err);
	p70 = filemap_get_page(as, 70, NULL, &err);
	KT_ASSERT_TRUE(kt, p0 && p70);
	ms_put_page(&mm_default_system, p0);
	ms_put_page(&mm_default_system, p70);
	CHECK_CACHE(kt, as);

	struct fm_root { /* a node of the index: 64 slots (mm/filemap.c) */
		void *slots[64];
	} *root = as->pages;
	void *leaf = root->slots[1];
	static const char *const want[] = {
		"index is not its place",
		"not PG_uptodate",
		"mapping is not its address_space",
		"below 1 + its map count",
		"beyond the end",
		"nrpages does not match",
		"an empty node",
		"taller than its largest index needs",
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		switch (i) {
		case 0:
			p70->index++;
			break;
		case 1:
			clear_page_flag(p70, PG_uptodate);
			break;
		case 2:
			p70->mapping = NULL;
			break;
		case 3:
			p70->_mapcount = 0; /* mapped once, without the mapping's reference */
			break;
		case 4:
			as->size = 70 * PAGE_SIZE;
			break;
		case 5:
			as->nrpages++;
			break;
		case 6:
			((struct fm_root *)leaf)->slots[70 - 64] = NULL;
			break;
		default:
			root->slots[1] = NULL;
		}
		const char *msg = filemap_check(as);
		if (KT_EXPECT_NOT_NULL(kt, msg) && !KT_EXPECT_NOT_NULL(kt, strstr(msg, want[i])))
			ktest_log(kt, "case %zu: %s", i, msg);
		p70->index = 70;
		set_page_flag(p70, PG_uptodate);
		p70->mapping = as;
		p70->_mapcount = -1;
		as->size = 128 * PAGE_SIZE;
		as->nrpages = 2;
		((struct fm_root *)leaf)->slots[70 - 64] = p70;
		root->slots[1] = leaf;
		CHECK_CACHE(kt, as);
	}
	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* ---- out of memory: a failed insertion leaves the tree and the allocator as they were ----- */

struct hoard {
	void **p;
	size_t n, cap;
};

static void hoard_push(struct hoard *h, void *p)
{
	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 1024;
		h->p = realloc(h->p, h->cap * sizeof(*h->p));
	}
	h->p[h->n++] = p;
}

/* Take every free page, then every kmalloc-512 object the slabs still have. */
static void exhaust(struct hoard *pages, struct hoard *objs)
{
	struct page *p;
	void *o;

	while ((p = ms_alloc_pages(&mm_default_system, GFP_KERNEL | __GFP_NOWARN, 0)))
		hoard_push(pages, p);
	while ((o = kmalloc(NODE_SIZE, GFP_KERNEL | __GFP_NOWARN)))
		hoard_push(objs, o);
}

static void give_page(struct hoard *pages)
{
	ms_free_pages(&mm_default_system, pages->p[--pages->n], 0);
}

KTEST(filemap, out_of_memory)
{
	struct mem_system *ms = &mm_default_system;
	struct hoard pages = { 0 }, objs = { 0 };
	unsigned long nodes;
	int err = 0;

	if (!env_up(kt))
		return;
	/* No watermarks and no per-CPU lists: every free page can be allocated, by any
	 * migratetype, so the test can count them. */
	ms->min_free_kbytes = 0;
	ms->watermark_scale_factor = 0;
	setup_per_zone_wmarks(ms);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		ms->node_data[0].node_zones[z].per_cpu_pageset[0].high = 0;
		ms->node_data[0].node_zones[z].per_cpu_pageset[0].batch = 1;
	}
	struct snap s0 = snap_take();
	struct file *f = file_create_mem(ms, "oom", UINT64_MAX, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	struct address_space *as = f->f_mapping;
	struct page *p = filemap_get_page(as, 0, NULL, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	ms_put_page(ms, p);

	exhaust(&pages, &objs);
	KT_EXPECT_EQ(kt, snap_take().free, 0ul);
	nodes = kmem_cache_live_objects(node_cache());
	/* No page for the data, for a fault or a read. */
	KT_EXPECT_NULL(kt, QUIET(filemap_get_page(as, 1, NULL, &err)));
	KT_EXPECT_EQ(kt, err, -ENOMEM);
	uint8_t b;
	KT_EXPECT_EQ(kt, QUIET(kernel_read(f, PAGE_SIZE, &b, 1)), (long)-ENOMEM);
	KT_EXPECT_EQ(kt, as->nrpages, 1ul);
	/* A page, no new node needed: it goes in. */
	give_page(&pages);
	p = filemap_get_page(as, 1, NULL, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	ms_put_page(ms, p);
	/* A page but no node for a taller tree: the page goes back, the tree is unchanged. */
	give_page(&pages);
	KT_EXPECT_NULL(kt, QUIET(filemap_get_page(as, 64, NULL, &err)));
	KT_EXPECT_EQ(kt, err, -ENOMEM);
	KT_EXPECT_EQ(kt, snap_take().free, 1ul);
	KT_EXPECT_EQ(kt, as->pages_height, 1u);
	KT_EXPECT_EQ(kt, as->nrpages, 2ul);
	CHECK_CACHE(kt, as);
	/* One slab page more: 8 nodes, 2 of them for index 64. */
	give_page(&pages);
	p = filemap_get_page(as, 64, NULL, &err);
	KT_ASSERT_NOT_NULL(kt, p);
	ms_put_page(ms, p);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(node_cache()), nodes + 2);
	KT_EXPECT_EQ(kt, snap_take().free, 0ul);
	/* 15 nodes for index 2^51 with 6 left: the 6 taken are given back, nothing linked. */
	give_page(&pages);
	KT_EXPECT_NULL(kt, QUIET(filemap_get_page(as, 1ull << 51, NULL, &err)));
	KT_EXPECT_EQ(kt, err, -ENOMEM);
	KT_EXPECT_EQ(kt, kmem_cache_live_objects(node_cache()), nodes + 2);
	KT_EXPECT_EQ(kt, as->pages_height, 2u);
	KT_EXPECT_EQ(kt, as->nrpages, 3ul);
	KT_EXPECT_NULL(kt, filemap_find_page(as, 1ull << 51));
	CHECK_CACHE(kt, as);

	while (pages.n)
		give_page(&pages);
	while (objs.n)
		kfree(objs.p[--objs.n]);
	free(pages.p);
	free(objs.p);
	fput(f);
	snap_expect(kt, &s0);
	env_down();
}

/* ---- randomized, against a model ---------------------------------------------------------- */

#define MODEL_MAX 512
#define HELD_MAX 64
#define POOL 24

struct model {
	struct {
		uint64_t index;
		int held;
		int tag; /* -1: none; else the byte written at offset 17 of the page */
	} e[MODEL_MAX];
	unsigned int n;
	struct page *held[HELD_MAX];
	unsigned int nheld;
	uint64_t size, pool[POOL];
	const struct store *st; /* NULL: an in-memory file */
};

static int model_find(const struct model *m, uint64_t index)
{
	for (unsigned int i = 0; i < m->n; i++) {
		if (m->e[i].index == index)
			return (int)i;
	}
	return -1;
}

/* The byte at @off, in the page of model entry @i (-1: not cached). */
static uint8_t model_byte(const struct model *m, int i, uint64_t off)
{
	if (i >= 0 && m->e[i].tag >= 0 && off % PAGE_SIZE == 17)
		return (uint8_t)m->e[i].tag;
	return m->st && off < m->st->avail ? pat(off) : 0;
}

/* An index to use: dense low ones, a pool of sparse ones, or (1 in 16) one beyond the end. */
static uint64_t pick_index(struct model *m, uint64_t *rs)
{
	uint64_t pages = (m->size + PAGE_SIZE - 1) / PAGE_SIZE;

	switch (ktest_rand_below(rs, 16)) {
	case 0:
		return pages + ktest_rand_below(rs, 3);
	case 1:
	case 2:
	case 3:
	case 4:
	case 5:
		return m->pool[ktest_rand_below(rs, POOL)];
	default:
		return ktest_rand_below(rs, 200);
	}
}

static void op_get(struct ktest *kt, struct model *m, struct address_space *as, uint64_t *rs)
{
	uint64_t index = pick_index(m, rs);
	int i = model_find(m, index), err = 0;
	bool major = false;
	struct page *p;

	if (m->nheld == HELD_MAX || m->n == MODEL_MAX)
		return;
	p = filemap_get_page(as, index, &major, &err);
	if (index >= (m->size + PAGE_SIZE - 1) / PAGE_SIZE) {
		KT_EXPECT_NULL(kt, p);
		KT_EXPECT_EQ(kt, err, -EINVAL);
		return;
	}
	KT_ASSERT_NOT_NULL(kt, p);
	KT_EXPECT_EQ(kt, major, m->st && i < 0);
	if (i < 0) {
		i = (int)m->n++;
		m->e[i].index = index;
		m->e[i].held = 0;
		m->e[i].tag = -1;
	}
	m->e[i].held++;
	m->held[m->nheld++] = p;
	KT_EXPECT_EQ(kt, p->index, index);
	KT_EXPECT_EQ(kt, page_ref_count(p), 1 + m->e[i].held);
}

static void op_put(struct model *m, uint64_t *rs)
{
	unsigned int k;
	struct page *p;

	if (!m->nheld)
		return;
	k = (unsigned int)ktest_rand_below(rs, m->nheld);
	p = m->held[k];
	m->held[k] = m->held[--m->nheld];
	m->e[model_find(m, p->index)].held--;
	ms_put_page(&mm_default_system, p);
}

/* Write a tag into a held page, as a user store through a shared mapping would. */
static void op_write(struct model *m, uint64_t *rs)
{
	struct page *p;
	uint8_t tag;

	if (!m->nheld)
		return;
	p = m->held[ktest_rand_below(rs, m->nheld)];
	tag = (uint8_t)ktest_rand(rs);
	((uint8_t *)ms_page_address(&mm_default_system, p))[17] = tag;
	m->e[model_find(m, p->index)].tag = tag;
}

static void op_find(struct ktest *kt, struct model *m, struct address_space *as, uint64_t *rs)
{
	uint64_t index = pick_index(m, rs);
	int i = model_find(m, index);
	struct page *p = filemap_find_page(as, index);

	KT_EXPECT_EQ(kt, p != NULL, i >= 0);
	if (p && i >= 0)
		KT_EXPECT_EQ(kt, page_ref_count(p), 1 + m->e[i].held);
}

static void op_read(struct ktest *kt, struct model *m, struct file *f, uint64_t *rs)
{
	static uint8_t buf[3 * PAGE_SIZE];
	uint64_t off = pick_index(m, rs) * PAGE_SIZE + ktest_rand_below(rs, PAGE_SIZE);
	size_t len = (size_t)ktest_rand_below(rs, sizeof(buf) + 1);
	long want = off >= m->size ? 0 : (long)(len < m->size - off ? len : m->size - off);
	long n;

	for (uint64_t pg = off / PAGE_SIZE;
	     want > 0 && pg <= (off + (uint64_t)want - 1) / PAGE_SIZE; pg++) {
		if (model_find(m, pg) < 0) {
			if (m->n == MODEL_MAX)
				return;
			m->e[m->n].index = pg;
			m->e[m->n].held = 0;
			m->e[m->n++].tag = -1;
		}
	}
	n = kernel_read(f, off, buf, len);
	KT_ASSERT_EQ(kt, n, want);
	for (long j = 0, i = -1; j < n; j++) {
		uint64_t o = off + (uint64_t)j;

		if (j == 0 || o % PAGE_SIZE == 0)
			i = model_find(m, o / PAGE_SIZE);
		if (buf[j] != model_byte(m, (int)i, o)) {
			KT_EXPECT_EQ(kt, buf[j], model_byte(m, (int)i, o));
			return;
		}
	}
}

static void random_run(struct ktest *kt, bool backed, uint64_t *rs)
{
	static struct model m;
	struct store st = store_new(0);
	struct file *f;
	unsigned int refs = 1;

	memset(&m, 0, sizeof(m));
	m.size = (1ull << 40) + 1234;
	for (int i = 0; i < POOL; i++)
		m.pool[i] = ktest_rand_below(rs, (m.size + PAGE_SIZE - 1) / PAGE_SIZE);
	m.pool[0] = (m.size - 1) / PAGE_SIZE; /* the short last page */
	if (backed) {
		st.avail = m.size - 700; /* and a store that ends in it */
		st.chunk = 1536;
		m.st = &st;
		f = file_create_backed(&mm_default_system, "rand", m.size, &store_ops, &st,
				       FMODE_READ);
	} else {
		f = file_create_mem(&mm_default_system, "rand", m.size, FMODE_READ);
	}
	KT_ASSERT_NOT_NULL(kt, f);
	for (int step = 0; step < 3000 && !kt->failures; step++) {
		switch (ktest_rand_below(rs, 11)) {
		case 0:
		case 1:
		case 2:
			op_get(kt, &m, f->f_mapping, rs);
			break;
		case 3:
		case 4:
		case 5:
			op_put(&m, rs);
			break;
		case 6:
			op_write(&m, rs);
			break;
		case 7:
			op_find(kt, &m, f->f_mapping, rs);
			break;
		case 8:
		case 9:
			op_read(kt, &m, f, rs);
			break;
		default:
			if (refs > 1 && ktest_rand_below(rs, 2)) {
				fput(f);
				refs--;
			} else {
				get_file(f);
				refs++;
			}
		}
		KT_EXPECT_EQ(kt, f->f_mapping->nrpages, m.n);
		KT_EXPECT_EQ(kt, f->refcount, refs);
		CHECK_CACHE(kt, f->f_mapping);
	}
	while (m.nheld)
		op_put(&m, rs);
	while (refs--)
		fput(f);
	KT_EXPECT_EQ(kt, st.releases, backed ? 1u : 0u);
}

KTEST(filemap, random_against_model)
{
	uint64_t rs = kt->seed;

	if (!env_up(kt))
		return;
	struct snap s0 = snap_take();

	random_run(kt, false, &rs);
	snap_expect(kt, &s0);
	random_run(kt, true, &rs);
	snap_expect(kt, &s0);
	env_down();
}

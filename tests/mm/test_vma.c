// SPDX-License-Identifier: MIT
/*
 * The VMA set (mm/vma.c): find_vma edge cases, insert/overlap, iteration, split and merge (file
 * pgoff, anon compatibility), the checker catching corruption, a randomised differential run
 * against a sorted-array model, and a 100,000-VMA tree within the AVL height bound.
 */
#include <kmm/errno.h>
#include <kmm/vma.h>

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define VMA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VMA_ASAN 1
#endif
#endif

#define P(n) ((vaddr_t)(n)*PAGE_SIZE)

/* malloc-backed allocator counting live VMAs; fails while @fail is set. */
struct test_alloc {
	long live;
	bool fail;
};

static struct vm_area_struct *t_alloc(void *ctx)
{
	struct test_alloc *ta = ctx;
	struct vm_area_struct *v;

	if (ta->fail)
		return NULL;
	v = calloc(1, sizeof(*v));
	if (v)
		ta->live++;
	return v;
}

static void t_free(void *ctx, struct vm_area_struct *v)
{
	struct test_alloc *ta = ctx;

	ta->live--;
	free(v);
}

static struct test_alloc ta_state;
static const struct vma_allocator talloc = { t_alloc, t_free, &ta_state };

static struct vm_area_struct proto(unsigned long s, unsigned long e, unsigned long flags,
				   void *file, unsigned long pgoff)
{
	return (struct vm_area_struct){ .vm_start = P(s),
					.vm_end = P(e),
					.vm_flags = flags,
					.vm_file = file,
					.vm_pgoff = pgoff };
}

/* A new VMA over pages [s, e) inserted into @t (anonymous ones get pgoff s, as Linux). */
static struct vm_area_struct *add(struct vma_tree *t, unsigned long s, unsigned long e,
				  unsigned long flags, void *file, unsigned long pgoff)
{
	struct vm_area_struct *v = talloc.alloc(talloc.ctx);

	if (!v)
		return NULL;
	*v = proto(s, e, flags, file, file ? pgoff : s);
	if (vma_insert(t, v)) {
		talloc.free(talloc.ctx, v);
		return NULL;
	}
	return v;
}

static void finish(struct ktest *kt, struct vma_tree *t)
{
	vma_tree_free_all(t, &talloc);
	KT_EXPECT_EQ(kt, ta_state.live, 0);
	KT_EXPECT_EQ(kt, t->count, 0);
	ta_state.live = 0; /* one leak is reported once, not by every later case */
}

#define RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

/*
 *  page: 0   1       3       5          8
 *        .   |-- A --|  gap  |--- B ----|   .
 */
KTEST(vma, find_vma_edges)
{
	struct vma_tree t;
	struct vm_area_struct *a, *b;

	vma_tree_init(&t);
	KT_EXPECT_NULL(kt, find_vma(&t, 0));
	KT_EXPECT_NULL(kt, vma_first(&t));
	a = add(&t, 1, 3, RW, NULL, 0);
	b = add(&t, 5, 8, RW, NULL, 0);
	KT_ASSERT_TRUE(kt, a && b);
	KT_EXPECT_TRUE(kt, find_vma(&t, 0) == a);	 /* below the first */
	KT_EXPECT_TRUE(kt, find_vma(&t, P(1)) == a);	 /* at vm_start */
	KT_EXPECT_TRUE(kt, find_vma(&t, P(3) - 1) == a); /* last byte */
	KT_EXPECT_TRUE(kt, find_vma(&t, P(3)) == b);	 /* at vm_end: the next one */
	KT_EXPECT_TRUE(kt, find_vma(&t, P(4)) == b);	 /* in the gap */
	KT_EXPECT_TRUE(kt, find_vma(&t, P(8) - 1) == b);
	KT_EXPECT_NULL(kt, find_vma(&t, P(8)));			   /* at the last vm_end */
	KT_EXPECT_NULL(kt, find_vma(&t, P(1000)));		   /* past the last */
	KT_EXPECT_NULL(kt, find_vma_intersection(&t, P(3), P(5))); /* exactly the gap */
	KT_EXPECT_TRUE(kt, find_vma_intersection(&t, P(2), P(6)) == a);
	KT_EXPECT_TRUE(kt, find_vma_intersection(&t, P(4), P(6)) == b);
	KT_EXPECT_TRUE(kt, find_vma_intersection(&t, P(3), P(5) + 1) == b);
	KT_EXPECT_NULL(kt, find_vma_intersection(&t, P(8), P(9)));
	KT_EXPECT_NULL(kt, find_vma_intersection(&t, P(0), P(1)));
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

/*
 *  page: 4        8         12
 *        |-- A ---|--- B ---|      then tries over them; only [12, 13) and [0, 4) fit
 */
KTEST(vma, insert_overlap)
{
	static const unsigned long bad[][2] = { { 4, 8 }, { 3, 5 },   { 7, 9 }, { 2, 14 },
						{ 5, 6 }, { 11, 12 }, { 0, 13 } };
	struct vma_tree t;
	struct vm_area_struct v;

	vma_tree_init(&t);
	KT_ASSERT_NOT_NULL(kt, add(&t, 4, 8, RW, NULL, 0));
	KT_ASSERT_NOT_NULL(kt, add(&t, 8, 12, VM_READ, NULL, 0));
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		v = proto(bad[i][0], bad[i][1], RW, NULL, 0);
		KT_EXPECT_EQ(kt, vma_insert(&t, &v), -EEXIST);
	}
	v = proto(20, 20, RW, NULL, 0);
	KT_EXPECT_EQ(kt, vma_insert(&t, &v), -EINVAL);
	v = proto(20, 21, RW, NULL, 0);
	v.vm_end += 8;
	KT_EXPECT_EQ(kt, vma_insert(&t, &v), -EINVAL);
	KT_EXPECT_EQ(kt, t.count, 2);
	KT_EXPECT_NULL(kt, vma_check(&t, false));
	KT_EXPECT_NOT_NULL(kt, add(&t, 12, 13, RW, NULL, 0));
	KT_EXPECT_NOT_NULL(kt, add(&t, 0, 4, RW, NULL, 0));
	KT_EXPECT_EQ(kt, t.count, 4);
	KT_EXPECT_NULL(kt, vma_check(&t, false));
	finish(kt, &t);
}

/* Ten VMAs inserted out of order come back in address order, both ways; removal keeps order. */
KTEST(vma, iterate_and_remove)
{
	static const unsigned long order[] = { 5, 2, 8, 0, 9, 1, 7, 3, 6, 4 };
	struct vma_tree t;
	struct vm_area_struct *v;
	unsigned long i;

	vma_tree_init(&t);
	for (i = 0; i < ARRAY_SIZE(order); i++)
		KT_ASSERT_NOT_NULL(kt, add(&t, 2 * order[i], 2 * order[i] + 1, RW, NULL, 0));
	for (i = 0, v = vma_first(&t); v; v = vma_next(v), i++)
		KT_EXPECT_EQ(kt, v->vm_start, P(2 * i));
	KT_EXPECT_EQ(kt, i, 10);
	for (i = 10, v = vma_last(&t); v; v = vma_prev(v))
		KT_EXPECT_EQ(kt, v->vm_start, P(2 * --i));
	KT_EXPECT_EQ(kt, i, 0);
	for (i = 0; i < 10; i += 3) {
		v = find_vma(&t, P(2 * i));
		vma_remove(&t, v);
		talloc.free(talloc.ctx, v);
		KT_EXPECT_NULL(kt, vma_check(&t, true));
	}
	KT_EXPECT_EQ(kt, t.count, 6);
	for (i = 0, v = vma_first(&t); v; v = vma_next(v), i++)
		KT_EXPECT_NE(kt, (v->vm_start / P(2)) % 3, 0);
	KT_EXPECT_EQ(kt, i, 6);
	finish(kt, &t);
}

/*
 *  page: 10              14                    20
 *        |-- F, pgoff 100 --------------------|      split at 14:
 *        |-- pgoff 100 ---|--- pgoff 104 ------|
 */
KTEST(vma, split)
{
	static int file;
	struct vma_tree t;
	struct vm_area_struct *v, *up;

	vma_tree_init(&t);
	v = add(&t, 10, 20, VM_READ | VM_EXEC | VM_SHARED, &file, 100);
	KT_ASSERT_NOT_NULL(kt, v);
	v->anon = &t;
	KT_EXPECT_EQ(kt, vma_split(&t, &talloc, v, P(10)), -EINVAL);
	KT_EXPECT_EQ(kt, vma_split(&t, &talloc, v, P(20)), -EINVAL);
	KT_EXPECT_EQ(kt, vma_split(&t, &talloc, v, P(25)), -EINVAL);
	KT_EXPECT_EQ(kt, vma_split(&t, &talloc, v, P(14) + 1), -EINVAL);
	ta_state.fail = true;
	KT_EXPECT_EQ(kt, vma_split(&t, &talloc, v, P(14)), -ENOMEM);
	ta_state.fail = false;
	KT_EXPECT_EQ(kt, v->vm_end, P(20));
	KT_EXPECT_EQ(kt, t.count, 1);
	KT_ASSERT_EQ(kt, vma_split(&t, &talloc, v, P(14)), 0);
	up = vma_next(v);
	KT_ASSERT_NOT_NULL(kt, up);
	KT_EXPECT_EQ(kt, v->vm_end, P(14));
	KT_EXPECT_EQ(kt, v->vm_pgoff, 100);
	KT_EXPECT_EQ(kt, up->vm_start, P(14));
	KT_EXPECT_EQ(kt, up->vm_end, P(20));
	KT_EXPECT_EQ(kt, up->vm_pgoff, 104);
	KT_EXPECT_EQ(kt, up->vm_flags, v->vm_flags);
	KT_EXPECT_TRUE(kt, up->vm_file == (void *)&file && up->anon == &t);
	KT_EXPECT_TRUE(kt, find_vma(&t, P(14)) == up);
	KT_EXPECT_NULL(kt, vma_check(&t, false));
	/* The halves are mergeable again, which strict mode reports. */
	KT_EXPECT_NOT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

/*
 *  page: 0     2     4     6     8    10    12
 *        |- A -|     |- B -|     |- C -|          all anonymous RW (pgoff = page)
 *  [2,4) joins A and B into one; [6,8) with other flags stays alone; [10,12) extends C.
 */
KTEST(vma, merge_anon)
{
	struct vma_tree t;
	struct vm_area_struct p, *a, *b, *c, *out = NULL;

	vma_tree_init(&t);
	a = add(&t, 0, 2, RW, NULL, 0);
	b = add(&t, 4, 6, RW, NULL, 0);
	c = add(&t, 8, 10, RW, NULL, 0);
	KT_ASSERT_TRUE(kt, a && b && c);
	p = proto(2, 4, RW, NULL, 2);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_TRUE(kt, out == a);
	KT_EXPECT_EQ(kt, a->vm_end, P(6));
	KT_EXPECT_EQ(kt, t.count, 2);
	KT_EXPECT_EQ(kt, ta_state.live, 2); /* B was freed */
	p = proto(6, 8, VM_READ, NULL, 6);
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -ENOENT);
	p = proto(5, 7, RW, NULL, 5);
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -EEXIST);
	p = proto(6, 8, RW, NULL, 6);
	p.vm_end = p.vm_start;
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -EINVAL);
	p = proto(10, 12, RW, NULL, 10);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_TRUE(kt, out == c && c->vm_end == P(12));
	/* [6, 8) alone would be mergeable on both sides: merging it leaves one VMA. */
	p = proto(6, 8, RW, NULL, 6);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_EQ(kt, t.count, 1);
	KT_EXPECT_TRUE(kt, vma_first(&t) == a && a->vm_end == P(12));
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

/*
 *  page: 0          4          8         12
 *        |- F @10 --|  (new)   |- F @18 --|      new [4,8) of F: pgoff 14 joins both,
 *  pgoff 15 joins neither, another file neither; a new range only before B takes B's start.
 */
KTEST(vma, merge_file_pgoff)
{
	static int f, g;
	struct vma_tree t;
	struct vm_area_struct p, *a, *b, *out = NULL;

	vma_tree_init(&t);
	a = add(&t, 0, 4, VM_READ, &f, 10);
	b = add(&t, 8, 12, VM_READ, &f, 18);
	KT_ASSERT_TRUE(kt, a && b);
	p = proto(4, 8, VM_READ, &f, 15);
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -ENOENT);
	p = proto(4, 8, VM_READ, &g, 14);
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -ENOENT);
	p = proto(4, 8, VM_READ, NULL, 4);
	KT_EXPECT_EQ(kt, vma_merge(&t, &talloc, &p, &out), -ENOENT);
	/* [6, 8) @16 joins B only: B starts at 6 with pgoff 16. */
	p = proto(6, 8, VM_READ, &f, 16);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_TRUE(kt, out == b && b->vm_start == P(6) && b->vm_pgoff == 16);
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	/* [4, 6) @14 now joins both. */
	p = proto(4, 6, VM_READ, &f, 14);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_TRUE(kt, out == a && a->vm_end == P(12) && a->vm_pgoff == 10);
	KT_EXPECT_EQ(kt, t.count, 1);
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

/*
 *  page: 0     2     4     6
 *        |- A -| new |- B -|      A has anon X, B anon Y, the new range none:
 *  it may join either but not both (X != Y), so it extends A, and B stays apart.
 */
KTEST(vma, merge_anon_owner)
{
	static int x, y;
	struct vma_tree t;
	struct vm_area_struct p, *a, *b, *out = NULL;

	vma_tree_init(&t);
	a = add(&t, 0, 2, RW, NULL, 0);
	b = add(&t, 4, 6, RW, NULL, 0);
	KT_ASSERT_TRUE(kt, a && b);
	a->anon = &x;
	b->anon = &y;
	p = proto(2, 4, RW, NULL, 2);
	KT_ASSERT_EQ(kt, vma_merge(&t, &talloc, &p, &out), 0);
	KT_EXPECT_TRUE(kt, out == a && a->vm_end == P(4) && a->anon == &x);
	KT_EXPECT_EQ(kt, t.count, 2);
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	/* With B's owner gone, the two are mergeable again: strict mode says so. */
	b->anon = NULL;
	KT_EXPECT_NOT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

/* The checker reports each kind of corruption, and the tree is fine once it is undone. */
KTEST(vma, checker_catches)
{
	struct vma_tree t;
	struct vm_area_struct *v[7], *r, a, b, c;

	vma_tree_init(&t);
	for (int i = 0; i < 7; i++)
		v[i] = add(&t, 4 * i, 4 * i + 2, RW, NULL, 0);
	KT_ASSERT_NULL(kt, vma_check(&t, true));
	r = t.root;
	r->vm_height++;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "height wrong");
	r->vm_height--;
	v[3]->vm_end += 0x800;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "range not page aligned");
	v[3]->vm_end -= 0x800;
	v[4]->vm_start -= P(3);
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "ranges out of order or overlapping");
	v[4]->vm_start += P(3);
	v[5]->vm_end = v[5]->vm_start;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "empty range");
	v[5]->vm_end = v[5]->vm_start + P(2);
	t.count++;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "count wrong");
	t.count--;
	r->vm_left->vm_parent = NULL;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "parent link wrong");
	r->vm_left->vm_parent = r;
	v[1]->vm_end = v[2]->vm_start;
	KT_EXPECT_NULL(kt, vma_check(&t, false));
	KT_EXPECT_STREQ(kt, vma_check(&t, true), "adjacent VMAs left unmerged");
	v[1]->vm_end = v[1]->vm_start + P(2);
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);

	/* A right-leaning chain a → b → c with true heights: unbalanced. */
	a = proto(0, 1, RW, NULL, 0);
	b = proto(2, 3, RW, NULL, 2);
	c = proto(4, 5, RW, NULL, 4);
	a.vm_right = &b, a.vm_height = 3;
	b.vm_parent = &a, b.vm_right = &c, b.vm_height = 2;
	c.vm_parent = &b, c.vm_height = 1;
	t.root = &a;
	t.count = 3;
	KT_EXPECT_STREQ(kt, vma_check(&t, false), "unbalanced");
}

/* The model: a sorted array of plain ranges, no tree, no merging. */
struct mvma {
	vaddr_t s, e;
	unsigned long flags, pgoff;
	void *file;
};

struct model {
	struct mvma v[4096];
	size_t n;
};

/* Index of the first entry with e > @addr (n when none). */
static size_t m_find(const struct model *m, vaddr_t addr)
{
	size_t i = 0;

	while (i < m->n && m->v[i].e <= addr)
		i++;
	return i;
}

static bool m_overlaps(const struct model *m, vaddr_t s, vaddr_t e)
{
	size_t i = m_find(m, s);

	return i < m->n && m->v[i].s < e;
}

static void m_insert_at(struct model *m, size_t i, struct mvma x)
{
	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(m->v[0]));
	m->v[i] = x;
	m->n++;
}

static void m_delete_at(struct model *m, size_t i)
{
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(m->v[0]));
	m->n--;
}

static void m_insert(struct model *m, struct mvma x)
{
	m_insert_at(m, m_find(m, x.s), x);
}

/* Cut entry @i at @addr, strictly inside it. */
static void m_split(struct model *m, size_t i, vaddr_t addr)
{
	struct mvma hi = m->v[i];

	hi.s = addr;
	hi.pgoff += (addr - m->v[i].s) / PAGE_SIZE;
	m->v[i].e = addr;
	m_insert_at(m, i + 1, hi);
}

static void m_unmap(struct model *m, vaddr_t s, vaddr_t e)
{
	size_t i = m_find(m, s);

	if (i < m->n && m->v[i].s < s)
		m_split(m, i++, s);
	while (i < m->n && m->v[i].s < e) {
		if (m->v[i].e > e)
			m_split(m, i, e);
		m_delete_at(m, i);
	}
}

/* Whether @x's range may continue @l's (the model's own rule; anon is always NULL here). */
static bool m_continues(const struct mvma *l, const struct mvma *x)
{
	return l->e == x->s && l->flags == x->flags && l->file == x->file &&
	       l->pgoff + (l->e - l->s) / PAGE_SIZE == x->pgoff;
}

/* Map the free range @x: joined to the entries before and after it when they continue. */
static void m_map(struct model *m, const struct mvma *x)
{
	size_t i = m_find(m, x->s);
	bool mp = i > 0 && m_continues(&m->v[i - 1], x);
	bool mn = i < m->n && m_continues(x, &m->v[i]);

	if (mp && mn) {
		m->v[i - 1].e = m->v[i].e;
		m_delete_at(m, i);
	} else if (mp) {
		m->v[i - 1].e = x->e;
	} else if (mn) {
		m->v[i].s = x->s;
		m->v[i].pgoff = x->pgoff;
	} else {
		m_insert_at(m, i, *x);
	}
}

/* Whether no two neighbours of @m continue each other. */
static bool m_maximal(const struct model *m)
{
	for (size_t i = 1; i < m->n; i++)
		if (m_continues(&m->v[i - 1], &m->v[i]))
			return false;
	return true;
}

/* The tree's unmap of [s, e), built from split, find and remove (as munmap will be). */
static int t_unmap(struct vma_tree *t, vaddr_t s, vaddr_t e)
{
	struct vm_area_struct *v = find_vma_intersection(t, s, e), *next;
	int err;

	if (v && v->vm_start < s) {
		err = vma_split(t, &talloc, v, s);
		if (err)
			return err;
		v = vma_next(v);
	}
	while (v && v->vm_start < e) {
		if (v->vm_end > e) {
			err = vma_split(t, &talloc, v, e);
			if (err)
				return err;
		}
		next = vma_next(v);
		vma_remove(t, v);
		talloc.free(talloc.ctx, v);
		v = next;
	}
	return 0;
}

static bool same(const struct vm_area_struct *v, const struct mvma *x)
{
	return v->vm_start == x->s && v->vm_end == x->e && v->vm_flags == x->flags &&
	       (void *)v->vm_file == x->file && v->vm_pgoff == x->pgoff;
}

/* Whether @t holds exactly @m's entries, walking forwards and (when @back) backwards. */
static bool t_equals(const struct vma_tree *t, const struct model *m, bool back)
{
	const struct vm_area_struct *v = vma_first(t);
	size_t i;

	for (i = 0; i < m->n; i++, v = vma_next(v))
		if (!v || !same(v, &m->v[i]))
			return false;
	if (v || t->count != m->n)
		return false;
	for (v = vma_last(t), i = m->n; back && i > 0; v = vma_prev(v))
		if (!v || !same(v, &m->v[--i]))
			return false;
	return true;
}

enum { SPACE = 2048 }; /* pages of the address space exercised */

static int files[2];
static const unsigned long flag_set[] = { RW, VM_READ | VM_MAYREAD,
					  VM_READ | VM_EXEC | VM_MAYEXEC };

/* A random new range and attributes; file pgoffs follow the page mostly, so merges happen. */
static struct mvma rand_range(uint64_t *rs)
{
	struct mvma x;
	uint64_t s = ktest_rand_below(rs, SPACE - 16), k = ktest_rand_below(rs, 3);

	x.s = P(s);
	x.e = P(s + 1 + ktest_rand_below(rs, 16));
	x.flags = flag_set[ktest_rand_below(rs, ARRAY_SIZE(flag_set))];
	x.file = k ? &files[k - 1] : NULL;
	x.pgoff = s + (x.file ? 1000 * k : 0);
	if (x.file && ktest_rand_below(rs, 8) == 0)
		x.pgoff += ktest_rand_below(rs, 4);
	return x;
}

/*
 * A range in the gap after a random entry of @m, mostly continuing it (and with even odds filling
 * the gap, to join both sides), so that merges are frequent. False when there is no gap there.
 */
static bool gap_range(const struct model *m, uint64_t *rs, struct mvma *x)
{
	size_t i = ktest_rand_below(rs, m->n);
	vaddr_t limit = i + 1 < m->n ? m->v[i + 1].s : P(SPACE);
	uint64_t gap = (limit - m->v[i].e) / PAGE_SIZE;

	if (!gap)
		return false;
	x->pgoff -= x->s / PAGE_SIZE; /* rand_range's offset of the file from the page */
	if (ktest_rand_below(rs, 4)) {
		*x = m->v[i];
		x->pgoff -= x->s / PAGE_SIZE;
	}
	x->s = m->v[i].e;
	x->e =
	    x->s + P(ktest_rand_below(rs, 2) || gap < 2 ? gap : 1 + ktest_rand_below(rs, gap - 1));
	x->pgoff += x->s / PAGE_SIZE;
	return true;
}

static struct vm_area_struct from_model(const struct mvma *x)
{
	return (struct vm_area_struct){ .vm_start = x->s,
					.vm_end = x->e,
					.vm_flags = x->flags,
					.vm_pgoff = x->pgoff,
					.vm_file = x->file };
}

/* Map @x: merged into neighbours when possible, else a new VMA. Returns false on mismatch. */
static bool op_map(struct vma_tree *t, struct model *m, const struct mvma *x)
{
	struct vm_area_struct p = from_model(x), *out, *v;
	bool overlap = m_overlaps(m, x->s, x->e);
	int err = vma_merge(t, &talloc, &p, &out);

	if (overlap)
		return err == -EEXIST;
	if (err == -ENOENT) {
		v = talloc.alloc(talloc.ctx);
		*v = p;
		err = vma_insert(t, v);
		if (err)
			talloc.free(talloc.ctx, v);
	}
	if (!err)
		m_map(m, x);
	return err == 0;
}

/* Insert @x as its own VMA, unmerged. */
static bool op_insert(struct vma_tree *t, struct model *m, const struct mvma *x)
{
	struct vm_area_struct *v = talloc.alloc(talloc.ctx);
	bool overlap = m_overlaps(m, x->s, x->e);
	int err;

	*v = from_model(x);
	err = vma_insert(t, v);
	if (err)
		talloc.free(talloc.ctx, v);
	else
		m_insert(m, *x);
	return overlap ? err == -EEXIST : err == 0;
}

/* Split the VMA holding @addr at it, if strictly inside one. */
static bool op_split(struct vma_tree *t, struct model *m, vaddr_t addr)
{
	struct vm_area_struct *v = find_vma(t, addr);
	size_t i = m_find(m, addr);

	if (i == m->n || m->v[i].s >= addr)
		return !v || v->vm_start >= addr;
	m_split(m, i, addr);
	return vma_split(t, &talloc, v, addr) == 0;
}

/* Remove the VMA find_vma(@addr) gives. */
static bool op_remove(struct vma_tree *t, struct model *m, vaddr_t addr)
{
	struct vm_area_struct *v = find_vma(t, addr);
	size_t i = m_find(m, addr);

	if (!v || i == m->n)
		return !v && i == m->n;
	if (!same(v, &m->v[i]))
		return false;
	m_delete_at(m, i);
	vma_remove(t, v);
	talloc.free(talloc.ctx, v);
	return true;
}

/* find_vma and find_vma_intersection against the model. */
static bool op_query(const struct vma_tree *t, const struct model *m, uint64_t *rs)
{
	vaddr_t a = ktest_rand_below(rs, P(SPACE + 8)), e = a + ktest_rand_below(rs, P(8)) + 1;
	struct vm_area_struct *v = find_vma(t, a), *w = find_vma_intersection(t, a, e);
	size_t i = m_find(m, a);
	bool hit = i < m->n && m->v[i].s < e;

	if (i == m->n)
		return !v && !w;
	return v && same(v, &m->v[i]) && (hit ? w == v : w == NULL);
}

/* One random step; in strict mode only map, unmap and queries, which keep the tree merged. */
static bool step(struct vma_tree *t, struct model *m, uint64_t *rs, bool strict)
{
	unsigned int op = ktest_rand_below(rs, strict ? 4 : 8);
	struct mvma x = rand_range(rs);

	switch (op) {
	case 0:
		if (m->n && !gap_range(m, rs, &x))
			return true;
		return op_map(t, m, &x);
	case 1:
		return op_map(t, m, &x);
	case 2:
		m_unmap(m, x.s, x.e);
		return t_unmap(t, x.s, x.e) == 0;
	case 3:
		return op_query(t, m, rs);
	case 4:
	case 5:
		return op_insert(t, m, &x);
	case 6:
		return op_split(t, m, P(ktest_rand_below(rs, SPACE)));
	default:
		return op_remove(t, m, P(ktest_rand_below(rs, SPACE)));
	}
}

static void differential(struct ktest *kt, bool strict)
{
#ifdef VMA_ASAN
	const unsigned int nops = 20000;
#else
	const unsigned int nops = 100000;
#endif
	static struct model m;
	uint64_t rs = kt->seed ^ (strict ? 0x5157 : 0);
	struct vma_tree t;
	const char *msg;

	vma_tree_init(&t);
	m.n = 0;
	for (unsigned int i = 0; i < nops; i++) {
		bool ok = step(&t, &m, &rs, strict);

		msg = vma_check(&t, strict);
		if (strict && !m_maximal(&m))
			ok = false;
		if (!ok || msg || !t_equals(&t, &m, i % 64 == 0)) {
			ktest_log(kt, "step %u: op %s, check %s, %zu model VMAs, %lu in tree", i,
				  ok ? "ok" : "mismatch", msg ? msg : "ok", m.n, t.count);
			KT_EXPECT_TRUE(kt, false);
			break;
		}
	}
	KT_EXPECT_GT(kt, t.count, 10); /* the run kept a populated tree */
	finish(kt, &t);
}

KTEST(vma, random_differential)
{
	differential(kt, false);
}

KTEST(vma, random_differential_strict)
{
	differential(kt, true);
}

/*
 * 100,000 one-page VMAs with one-page gaps, inserted in ascending order (a plain BST's worst
 * case): the height stays within the AVL bound (an AVL tree of height h has at least N(h) nodes,
 * N(h) = N(h-1) + N(h-2) + 1, so about 1.44 log2 n), and every VMA and gap is found.
 */
KTEST(vma, big_tree)
{
	const unsigned long n = 100000;
	struct vma_tree t;
	struct vm_area_struct *v;
	unsigned long min_nodes[40] = { 0, 1 }, h;
	int bad = 0;

	vma_tree_init(&t);
	for (unsigned long i = 0; i < n; i++)
		KT_ASSERT_NOT_NULL(kt, add(&t, 2 * i + 1, 2 * i + 2, RW, NULL, 0));
	KT_ASSERT_NULL(kt, vma_check(&t, true));
	h = t.root->vm_height;
	for (unsigned long k = 2; k < ARRAY_SIZE(min_nodes); k++)
		min_nodes[k] = min_nodes[k - 1] + min_nodes[k - 2] + 1;
	KT_ASSERT_LT(kt, h, ARRAY_SIZE(min_nodes));
	KT_EXPECT_GE(kt, n, min_nodes[h]);
	KT_EXPECT_LE(kt, h, 24); /* 1.44 log2(100002) < 24 */
	for (unsigned long i = 0; i < n; i++) {
		v = find_vma(&t, P(2 * i)); /* in the gap below: the VMA above */
		bad += !v || v->vm_start != P(2 * i + 1);
		bad += find_vma(&t, P(2 * i + 1) + 100) != v;
		bad += find_vma_intersection(&t, P(2 * i), P(2 * i + 1)) != NULL;
	}
	KT_EXPECT_EQ(kt, bad, 0);
	KT_EXPECT_NULL(kt, find_vma(&t, P(2 * n)));
	/* Removing every other one keeps it balanced. */
	for (unsigned long i = 0; i < n; i += 2) {
		v = find_vma(&t, P(2 * i));
		vma_remove(&t, v);
		talloc.free(talloc.ctx, v);
	}
	KT_EXPECT_EQ(kt, t.count, n / 2);
	KT_EXPECT_NULL(kt, vma_check(&t, true));
	finish(kt, &t);
}

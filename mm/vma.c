// SPDX-License-Identifier: MIT
/*
 * The VMA set; see include/kmm/vma.h for the contract. An AVL tree keyed by vm_start with parent
 * links: insertion and removal rebalance from the changed node up to the root, iteration climbs
 * the parent links (amortised O(1) a step).
 *
 * mm/vmalloc.c keeps its own recursive AVL (no parent links, augmented with subtree_max_size); a
 * generic intrusive AVL node with an update callback could serve both, left for later.
 */
#include <kmm/errno.h>
#include <kmm/vma.h>

static int height(const struct vm_area_struct *n)
{
	return n ? n->vm_height : 0;
}

static void fix_height(struct vm_area_struct *n)
{
	int hl = height(n->vm_left), hr = height(n->vm_right);

	n->vm_height = 1 + (hl > hr ? hl : hr);
}

/* Make @parent (or the root, for NULL) point to @new where it pointed to @old. */
static void replace_child(struct vma_tree *t, struct vm_area_struct *parent,
			  struct vm_area_struct *old, struct vm_area_struct *new)
{
	if (!parent)
		t->root = new;
	else if (parent->vm_left == old)
		parent->vm_left = new;
	else
		parent->vm_right = new;
	if (new)
		new->vm_parent = parent;
}

/* Lift @x's right child above it; returns the subtree's new root. */
static struct vm_area_struct *rotate_left(struct vma_tree *t, struct vm_area_struct *x)
{
	struct vm_area_struct *y = x->vm_right;

	x->vm_right = y->vm_left;
	if (y->vm_left)
		y->vm_left->vm_parent = x;
	replace_child(t, x->vm_parent, x, y);
	y->vm_left = x;
	x->vm_parent = y;
	fix_height(x);
	fix_height(y);
	return y;
}

/* Lift @y's left child above it; returns the subtree's new root. */
static struct vm_area_struct *rotate_right(struct vma_tree *t, struct vm_area_struct *y)
{
	struct vm_area_struct *x = y->vm_left;

	y->vm_left = x->vm_right;
	if (x->vm_right)
		x->vm_right->vm_parent = y;
	replace_child(t, y->vm_parent, y, x);
	x->vm_right = y;
	y->vm_parent = x;
	fix_height(y);
	fix_height(x);
	return x;
}

/* Restore heights and AVL balance from @n (whose subtrees differ by 2 at most) to the root. */
static void rebalance_up(struct vma_tree *t, struct vm_area_struct *n)
{
	for (; n; n = n->vm_parent) {
		int bf = height(n->vm_left) - height(n->vm_right);

		fix_height(n);
		if (bf > 1) {
			if (height(n->vm_left->vm_left) < height(n->vm_left->vm_right))
				rotate_left(t, n->vm_left);
			n = rotate_right(t, n);
		} else if (bf < -1) {
			if (height(n->vm_right->vm_right) < height(n->vm_right->vm_left))
				rotate_right(t, n->vm_right);
			n = rotate_left(t, n);
		}
	}
}

/* Add @vma, whose range is valid and free, to @t. */
static void link_vma(struct vma_tree *t, struct vm_area_struct *vma)
{
	struct vm_area_struct *parent = NULL, **link = &t->root;

	while (*link) {
		parent = *link;
		link = vma->vm_start < parent->vm_start ? &parent->vm_left : &parent->vm_right;
	}
	vma->vm_left = vma->vm_right = NULL;
	vma->vm_parent = parent;
	vma->vm_height = 1;
	*link = vma;
	t->count++;
	rebalance_up(t, parent);
}

static bool range_valid(vaddr_t start, vaddr_t end)
{
	return start < end && IS_ALIGNED(start, PAGE_SIZE) && IS_ALIGNED(end, PAGE_SIZE);
}

static struct vm_area_struct *leftmost(struct vm_area_struct *n)
{
	while (n && n->vm_left)
		n = n->vm_left;
	return n;
}

static struct vm_area_struct *rightmost(struct vm_area_struct *n)
{
	while (n && n->vm_right)
		n = n->vm_right;
	return n;
}

void vma_tree_init(struct vma_tree *t)
{
	t->root = NULL;
	t->count = 0;
}

struct vm_area_struct *find_vma(const struct vma_tree *t, vaddr_t addr)
{
	struct vm_area_struct *n = t->root, *best = NULL;

	while (n) {
		if (n->vm_end > addr) {
			best = n;
			if (n->vm_start <= addr)
				break;
			n = n->vm_left;
		} else {
			n = n->vm_right;
		}
	}
	return best;
}

struct vm_area_struct *find_vma_intersection(const struct vma_tree *t, vaddr_t start, vaddr_t end)
{
	struct vm_area_struct *v = find_vma(t, start);

	return v && v->vm_start < end ? v : NULL;
}

struct vm_area_struct *vma_first(const struct vma_tree *t)
{
	return leftmost(t->root);
}

struct vm_area_struct *vma_last(const struct vma_tree *t)
{
	return rightmost(t->root);
}

struct vm_area_struct *vma_next(const struct vm_area_struct *vma)
{
	const struct vm_area_struct *n = vma;

	if (n->vm_right)
		return leftmost(n->vm_right);
	while (n->vm_parent && n == n->vm_parent->vm_right)
		n = n->vm_parent;
	return n->vm_parent;
}

struct vm_area_struct *vma_prev(const struct vm_area_struct *vma)
{
	const struct vm_area_struct *n = vma;

	if (n->vm_left)
		return rightmost(n->vm_left);
	while (n->vm_parent && n == n->vm_parent->vm_left)
		n = n->vm_parent;
	return n->vm_parent;
}

int vma_insert(struct vma_tree *t, struct vm_area_struct *vma)
{
	if (!range_valid(vma->vm_start, vma->vm_end))
		return -EINVAL;
	if (find_vma_intersection(t, vma->vm_start, vma->vm_end))
		return -EEXIST;
	link_vma(t, vma);
	return 0;
}

void vma_remove(struct vma_tree *t, struct vm_area_struct *n)
{
	struct vm_area_struct *s, *from;

	if (n->vm_left && n->vm_right) {
		/* The successor @s (no left child) takes @n's place. */
		s = leftmost(n->vm_right);
		from = s;
		if (s->vm_parent != n) {
			from = s->vm_parent;
			replace_child(t, from, s, s->vm_right);
			s->vm_right = n->vm_right;
			s->vm_right->vm_parent = s;
		}
		s->vm_left = n->vm_left;
		s->vm_left->vm_parent = s;
		replace_child(t, n->vm_parent, n, s);
	} else {
		from = n->vm_parent;
		replace_child(t, from, n, n->vm_left ? n->vm_left : n->vm_right);
	}
	t->count--;
	rebalance_up(t, from);
	n->vm_left = n->vm_right = n->vm_parent = NULL;
}

static bool anon_compatible(const void *a, const void *b)
{
	return !a || !b || a == b;
}

bool vma_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b)
{
	return a->vm_end == b->vm_start && a->vm_flags == b->vm_flags && a->vm_file == b->vm_file &&
	       a->vm_pgoff + ((a->vm_end - a->vm_start) >> PAGE_SHIFT) == b->vm_pgoff &&
	       anon_compatible(a->anon, b->anon);
}

/* Give @dst the anon of @src when it has none (they are compatible). */
static void take_anon(struct vm_area_struct *dst, const struct vm_area_struct *src)
{
	if (!dst->anon)
		dst->anon = src->anon;
}

int vma_merge(struct vma_tree *t, const struct vma_allocator *a, const struct vm_area_struct *proto,
	      struct vm_area_struct **out)
{
	struct vm_area_struct *next, *prev;
	bool mp, mn;

	if (!range_valid(proto->vm_start, proto->vm_end))
		return -EINVAL;
	next = find_vma(t, proto->vm_start);
	if (next && next->vm_start < proto->vm_end)
		return -EEXIST;
	prev = next ? vma_prev(next) : vma_last(t);
	mp = prev && vma_mergeable(prev, proto);
	mn = next && vma_mergeable(proto, next);
	if (mp && mn && anon_compatible(prev->anon, next->anon)) {
		prev->vm_end = next->vm_end;
		take_anon(prev, proto);
		take_anon(prev, next);
		vma_remove(t, next);
		a->free(a->ctx, next);
		*out = prev;
	} else if (mp) {
		prev->vm_end = proto->vm_end;
		take_anon(prev, proto);
		*out = prev;
	} else if (mn) {
		/* The key moves down into the free gap: the order is unchanged. */
		next->vm_start = proto->vm_start;
		next->vm_pgoff = proto->vm_pgoff;
		take_anon(next, proto);
		*out = next;
	} else {
		return -ENOENT;
	}
	return 0;
}

int vma_split(struct vma_tree *t, const struct vma_allocator *a, struct vm_area_struct *vma,
	      vaddr_t addr)
{
	struct vm_area_struct *upper;

	if (!IS_ALIGNED(addr, PAGE_SIZE) || addr <= vma->vm_start || addr >= vma->vm_end)
		return -EINVAL;
	upper = a->alloc(a->ctx);
	if (!upper)
		return -ENOMEM;
	*upper = *vma;
	upper->vm_start = addr;
	upper->vm_pgoff += (addr - vma->vm_start) >> PAGE_SHIFT;
	vma->vm_end = addr;
	link_vma(t, upper);
	return 0;
}

static void free_subtree(struct vm_area_struct *n, const struct vma_allocator *a)
{
	if (!n)
		return;
	free_subtree(n->vm_left, a);
	free_subtree(n->vm_right, a);
	a->free(a->ctx, n);
}

void vma_tree_free_all(struct vma_tree *t, const struct vma_allocator *a)
{
	free_subtree(t->root, a);
	vma_tree_init(t);
}

/* Check the links, heights and balance below @n; its height, or -1 with *@msg set. */
static int check_shape(const struct vm_area_struct *n, const struct vm_area_struct *parent,
		       const char **msg)
{
	int hl, hr;

	if (!n)
		return 0;
	if (n->vm_parent != parent) {
		*msg = "parent link wrong";
		return -1;
	}
	hl = check_shape(n->vm_left, n, msg);
	hr = hl < 0 ? -1 : check_shape(n->vm_right, n, msg);
	if (hr < 0)
		return -1;
	if (n->vm_height != 1 + (hl > hr ? hl : hr))
		*msg = "height wrong";
	else if (hl - hr > 1 || hr - hl > 1)
		*msg = "unbalanced";
	return *msg ? -1 : n->vm_height;
}

/* Check @v against its predecessor @prev (NULL for the first) in address order. */
static const char *check_order(const struct vm_area_struct *prev, const struct vm_area_struct *v,
			       bool strict)
{
	if (v->vm_start >= v->vm_end)
		return "empty range";
	if (!range_valid(v->vm_start, v->vm_end))
		return "range not page aligned";
	if (prev && prev->vm_end > v->vm_start)
		return "ranges out of order or overlapping";
	if (strict && prev && vma_mergeable(prev, v))
		return "adjacent VMAs left unmerged";
	return NULL;
}

const char *vma_check(const struct vma_tree *t, bool strict)
{
	const struct vm_area_struct *prev = NULL, *v;
	const char *msg = NULL;
	unsigned long n = 0;

	if (check_shape(t->root, NULL, &msg) < 0)
		return msg;
	for (v = vma_first(t); v; prev = v, v = vma_next(v), n++) {
		msg = check_order(prev, v, strict);
		if (msg)
			return msg;
	}
	return n == t->count ? NULL : "count wrong";
}

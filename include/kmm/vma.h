/* SPDX-License-Identifier: MIT */
/*
 * The VMA set of an address space, as Linux's vm_area_struct kept in the maple tree (Linux 6.1;
 * an rbtree before 6.1): non-overlapping, non-empty, page-aligned ranges [vm_start, vm_end) in an
 * AVL tree keyed by vm_start, with ordered iteration through parent links.
 *
 * The tree does not allocate by itself except where an operation must create or drop a VMA
 * (vma_split, vma_merge): those take a caller-supplied struct vma_allocator, so tests use malloc
 * and the kernel a kmem_cache. A struct vma_tree is embedded by the later mm_struct.
 *
 * Locking: none here; the caller holds its mm's lock (Linux: mmap_lock).
 */
#ifndef KMM_VMA_H
#define KMM_VMA_H

#include <kmm/mmzone.h>
#include <kmm/types.h>

/* vm_flags, with Linux's values (<linux/mm.h>). */
#define VM_NONE 0x00000000UL
#define VM_READ 0x00000001UL
#define VM_WRITE 0x00000002UL
#define VM_EXEC 0x00000004UL
#define VM_SHARED 0x00000008UL
#define VM_MAYREAD 0x00000010UL
#define VM_MAYWRITE 0x00000020UL
#define VM_MAYEXEC 0x00000040UL
#define VM_MAYSHARE 0x00000080UL
#define VM_GROWSDOWN 0x00000100UL
#define VM_LOCKED 0x00002000UL
#define VM_DONTCOPY 0x00020000UL
#define VM_DONTEXPAND 0x00040000UL
#define VM_ACCOUNT 0x00100000UL
#define VM_NORESERVE 0x00200000UL

struct file;
struct mm_struct;

struct vm_area_struct {
	vaddr_t vm_start;	/* first byte */
	vaddr_t vm_end;		/* first byte after */
	unsigned long vm_flags; /* VM_* */
	unsigned long vm_pgoff; /* offset in vm_file in pages; start >> PAGE_SHIFT when anonymous */
	struct file *vm_file;	/* the mapped file (a reference held), NULL when anonymous */
	struct mm_struct *vm_mm; /* the address space it belongs to (NULL in bare tree tests) */
	void *anon; /* the anonymous-page owner (Linux: anon_vma; opaque), NULL until needed */
	/* The tree links: owned by mm/vma.c. */
	struct vm_area_struct *vm_left, *vm_right, *vm_parent;
	int vm_height; /* of the subtree rooted here; a leaf has 1 */
};

struct vma_tree {
	struct vm_area_struct *root;
	unsigned long count;
};

/* Where VMAs come from and go back to; @alloc returns NULL when out of memory. */
struct vma_allocator {
	struct vm_area_struct *(*alloc)(void *ctx);
	void (*free)(void *ctx, struct vm_area_struct *vma);
	void *ctx;
};

/* An empty tree. */
void vma_tree_init(struct vma_tree *t);

/* The first VMA with vm_end > @addr (it may start above @addr), or NULL (Linux's find_vma). */
struct vm_area_struct *find_vma(const struct vma_tree *t, vaddr_t addr);

/* The lowest VMA overlapping [@start, @end), or NULL (Linux's find_vma_intersection). */
struct vm_area_struct *find_vma_intersection(const struct vma_tree *t, vaddr_t start, vaddr_t end);

/* The lowest / highest VMA of @t, or NULL when it is empty. */
struct vm_area_struct *vma_first(const struct vma_tree *t);
struct vm_area_struct *vma_last(const struct vma_tree *t);

/* The VMA after / before @vma in address order, or NULL. */
struct vm_area_struct *vma_next(const struct vm_area_struct *vma);
struct vm_area_struct *vma_prev(const struct vm_area_struct *vma);

/*
 * Add @vma (its range and attributes set, not in a tree) to @t. -EINVAL when the range is empty
 * or not page aligned, -EEXIST when it overlaps a VMA of @t; the tree is unchanged then.
 */
int vma_insert(struct vma_tree *t, struct vm_area_struct *vma);

/* Take @vma, which is in @t, out of it. The caller owns (and frees) it afterwards. */
void vma_remove(struct vma_tree *t, struct vm_area_struct *vma);

/*
 * Whether @a, immediately followed by @b (a->vm_end == b->vm_start), can be one VMA: the same
 * flags and file, vm_pgoff contiguous (for anonymous VMAs too, as Linux), anon equal or one NULL.
 */
bool vma_mergeable(const struct vm_area_struct *a, const struct vm_area_struct *b);

/*
 * Cover the new range of @proto (a VMA not in the tree; only its range and attributes are read)
 * by extending compatible neighbours, as Linux's vma_merge: the previous VMA, the next one, or
 * both (the next one is then removed and freed through @a). On success *@out is the VMA now
 * covering the range. -ENOENT when no neighbour is compatible, -EEXIST when the range overlaps a
 * VMA, -EINVAL when it is empty or unaligned; the tree is unchanged on error.
 */
int vma_merge(struct vma_tree *t, const struct vma_allocator *a, const struct vm_area_struct *proto,
	      struct vm_area_struct **out);

/*
 * Split @vma of @t at @addr: @vma keeps [vm_start, addr), a new VMA from @a (same attributes,
 * vm_pgoff advanced) gets [addr, vm_end) and is inserted. The new VMA is allocated before the
 * tree changes, so -ENOMEM leaves it untouched; -EINVAL when @addr is unaligned or not strictly
 * inside @vma.
 */
int vma_split(struct vma_tree *t, const struct vma_allocator *a, struct vm_area_struct *vma,
	      vaddr_t addr);

/* Remove every VMA of @t and free it through @a; @t is empty afterwards. */
void vma_tree_free_all(struct vma_tree *t, const struct vma_allocator *a);

/*
 * Check @t's invariants: ranges ordered, non-overlapping, non-empty and page aligned; parent links,
 * heights and AVL balance right; count right; with @strict, no two adjacent VMAs mergeable.
 * Returns NULL when all hold, else a static message naming the first broken one.
 */
const char *vma_check(const struct vma_tree *t, bool strict);

#endif /* KMM_VMA_H */

// SPDX-License-Identifier: MIT
/*
 * mremap (mm/mremap.c) on a booted board: shrink, grow in place (merging with the next VMA),
 * move with MREMAP_MAYMOVE (data and page counts travel, the old range is gone), MREMAP_FIXED
 * replacing the target, MREMAP_DONTUNMAP keeping the old VMA empty, duplicating a shared
 * mapping with old_len 0, and every error code with the address space unchanged.
 */
#include "mman_env.h"

#include <kmm/errno.h>

#define P(n) ((vaddr_t)(n)*PAGE_SIZE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define MEM (256ULL << 20)
#define A 0x20000000ULL

static long map(struct mm_env *e, vaddr_t addr, size_t len, int prot, int flags)
{
	return sys_mmap(e->mm, addr, len, prot, flags, NULL, 0);
}

/* Write byte i + 1 at offset 11 of each page of [@va, @va + @pages pages). */
static void fill(struct ktest *kt, struct mm_env *e, vaddr_t va, unsigned int pages)
{
	for (unsigned int i = 0; i < pages; i++)
		KT_EXPECT_EQ(kt, mm_poke(e, va + P(i) + 11, (unsigned char)(i + 1)), 0);
}

/* Whether fill's bytes are found at [@va, ...): page i holds i + 1 + @first. */
static bool filled(struct ktest *kt, struct mm_env *e, vaddr_t va, unsigned int pages,
		   unsigned int first)
{
	bool ok = true;

	for (unsigned int i = 0; i < pages; i++) {
		unsigned char c = 0;

		ok &= KT_EXPECT_EQ(kt, mm_peek(e, va + P(i) + 11, &c), 0);
		ok &= KT_EXPECT_EQ(kt, c, (unsigned char)(i + 1 + first));
	}
	return ok;
}

/* Shrinking unmaps the tail; growing into free space above extends the VMA, and merges it with
 * a compatible VMA it reaches. */
KTEST(mremap, shrink_and_grow_in_place)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(8), RW, ANON | MAP_FIXED), (long)A);
	fill(kt, &e, A, 8);
	KT_EXPECT_EQ(kt, sys_mremap(mm, A, P(8), P(5) - 3, 0, 0), (long)A);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_end, A + P(5));
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 5u);
	KT_EXPECT_EQ(kt, mm->total_vm, 5u);
	KT_EXPECT_EQ(kt, sys_mremap(mm, A, P(5), P(5), 0, 0), (long)A);
	MM_CHECK(kt, &e);
	/* A mapping at A + 9 pages: growing to 9 pages fits, then to 11 merges with it. */
	KT_ASSERT_EQ(kt, map(&e, A + P(9), P(2), RW, ANON | MAP_FIXED), (long)(A + P(9)));
	KT_EXPECT_EQ(kt, sys_mremap(mm, A, P(5), P(9), 0, 0), (long)A);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_end, A + P(11));
	KT_EXPECT_EQ(kt, mm->total_vm, 11u);
	KT_EXPECT_TRUE(kt, filled(kt, &e, A, 5, 0));
	/* Not the whole tail of the VMA: it cannot grow in place, and without MAYMOVE that is
	 * ENOMEM. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(2), P(3), 0, 0), -ENOMEM);
	/* A shrink may reach into other VMAs: they lose the range too (as in Linux). */
	KT_ASSERT_EQ(kt, map(&e, A + P(11), P(2), PROT_READ, ANON | MAP_FIXED), (long)(A + P(11)));
	KT_EXPECT_EQ(kt, sys_mremap(mm, A + P(8), P(4), P(1), 0, 0), (long)(A + P(8)));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_end, A + P(9));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(12))->vm_start, A + P(12));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* No room above: MREMAP_MAYMOVE moves it top-down; pages (not copies) travel with it. */
KTEST(mremap, maymove)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(6), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(6), P(1), PROT_READ, ANON | MAP_FIXED), (long)(A + P(6)));
	fill(kt, &e, A, 6);
	/* Pages 2..5 grow to 8 pages: the VMA is split, the moved part lands below mmap_base. */
	long n = sys_mremap(mm, A + P(2), P(4), P(8), MREMAP_MAYMOVE, 0);
	KT_ASSERT_EQ(kt, n, (long)(mm->mmap_base - P(8)));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_end, A + P(2));
	KT_EXPECT_NULL(kt, mm_vma_at(mm, A + P(2)));
	struct vm_area_struct *v = mm_vma_at(mm, (vaddr_t)n);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, v->vm_end, (vaddr_t)n + P(8));
	/* The page offset travels (anonymous pages keep their index), not the address. */
	KT_EXPECT_EQ(kt, v->vm_pgoff, (A + P(2)) >> PAGE_SHIFT);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 6u);
	KT_EXPECT_EQ(kt, mm->total_vm, 2u + 1u + 8u);
	KT_EXPECT_TRUE(kt, filled(kt, &e, (vaddr_t)n, 4, 2));
	KT_EXPECT_TRUE(kt, filled(kt, &e, A, 2, 0));
	unsigned char c = 1;
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)n + P(6), &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* MREMAP_FIXED moves to the given address, replacing what is there; a shrinking move drops the
 * tail. MREMAP_DONTUNMAP leaves the old VMA in place, empty. */
KTEST(mremap, fixed_and_dontunmap)
{
	const vaddr_t t = 0x30000000ULL;
	struct mm_env e;
	unsigned char c = 1;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, t, P(8), PROT_READ, ANON | MAP_FIXED | MAP_POPULATE), (long)t);
	fill(kt, &e, A, 4);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 12u);
	KT_EXPECT_EQ(kt, sys_mremap(mm, A, P(4), P(3), MREMAP_MAYMOVE | MREMAP_FIXED, t + P(2)),
		     (long)(t + P(2)));
	KT_EXPECT_NULL(kt, mm_vma_at(mm, A));
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, t + P(2))->vm_flags & VM_WRITE, VM_WRITE);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 3u + 5u);
	KT_EXPECT_TRUE(kt, filled(kt, &e, t + P(2), 3, 0));
	MM_CHECK(kt, &e);
	/* DONTUNMAP: the same size only; the old VMA stays, its pages gone to the new one. */
	long d = sys_mremap(mm, t + P(2), P(3), P(3), MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	KT_ASSERT_GT(kt, d, 0);
	KT_EXPECT_NOT_NULL(kt, mm_vma_at(mm, t + P(2)));
	KT_EXPECT_TRUE(kt, filled(kt, &e, (vaddr_t)d, 3, 0));
	KT_EXPECT_EQ(kt, mm_peek(&e, t + P(2) + 11, &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	KT_EXPECT_EQ(kt, mm->total_vm, 8u + 3u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* Shared mappings: moved, they keep sharing; old_len 0 duplicates one (a second VMA on the same
 * file and offset). */
KTEST(mremap, shared)
{
	struct mm_env e;
	unsigned char c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(4), P(1), RW, ANON | MAP_FIXED), (long)(A + P(4)));
	fill(kt, &e, A, 4);
	struct file *f = mm_vma_at(mm, A)->vm_file;
	long dup = sys_mremap(mm, A + P(1), 0, P(2), MREMAP_MAYMOVE, 0);
	KT_ASSERT_GT(kt, dup, 0);
	KT_EXPECT_TRUE(kt, mm_vma_at(mm, (vaddr_t)dup)->vm_file == f);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, (vaddr_t)dup)->vm_pgoff, 1u);
	KT_EXPECT_EQ(kt, f->refcount, 2u);
	KT_EXPECT_TRUE(kt, filled(kt, &e, (vaddr_t)dup, 2, 1));
	KT_EXPECT_EQ(kt, mm_poke(&e, (vaddr_t)dup + 11, 0x99), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(1) + 11, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x99);
	/* Growing the whole mapping moves it (the next page is taken). */
	long n = sys_mremap(mm, A, P(4), P(6), MREMAP_MAYMOVE, 0);
	KT_ASSERT_GT(kt, n, 0);
	KT_EXPECT_NULL(kt, mm_vma_at(mm, A));
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)n + P(1) + 11, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x99);
	KT_EXPECT_EQ(kt, mm_poke(&e, (vaddr_t)n + P(2) + 11, 0x98), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)dup + P(1) + 11, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x98);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* Every error, with the address space unchanged. */
KTEST(mremap, errors)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	const int mv = MREMAP_MAYMOVE;
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(4), P(2), PROT_READ, ANON | MAP_FIXED), (long)(A + P(4)));
	/* EINVAL: flags, alignment, lengths, overlapping or out-of-range targets, old_len 0 of a
	 * private mapping */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), P(2), 8, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), P(1), MREMAP_FIXED, A + P(10)),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), P(2), mv | MREMAP_DONTUNMAP, 0),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), P(1), MREMAP_DONTUNMAP, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A + 1, P(1), P(1), 0, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), 0, 0, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), SIZE_MAX, mv, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, sys_mremap(mm, A, P(1), P(1), mv | MREMAP_FIXED, A + P(10) + 1), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(2), P(2), mv | MREMAP_FIXED, A + P(1)),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e,
			     sys_mremap(mm, A, P(1), P(2), mv | MREMAP_FIXED, mm->task_size - P(1)),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, 0, P(2), mv, 0), -EINVAL);
	/* EFAULT: nothing mapped at the address; the old range past its VMA */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A + P(8), P(1), P(2), mv, 0), -EFAULT);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A + P(2), P(3), P(4), mv, 0), -EFAULT);
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, sys_mremap(mm, A + P(2), P(3), P(3), mv | MREMAP_FIXED, A + P(9)), -EFAULT);
	/* EPERM: a fixed target below mmap_min_addr */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(1), P(1), mv | MREMAP_FIXED, 0x1000),
			     -EPERM);
	/* ENOMEM: no room to grow and no MAYMOVE; no room anywhere; (vm.max_map_count:
	 * test_mmap.c) */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(4), P(5), 0, 0), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, A, P(4), mm->mmap_base, mv, 0), -ENOMEM);
	/* EAGAIN: a locked mapping growing past RLIMIT_MEMLOCK */
	KT_ASSERT_EQ(kt, map(&e, A + P(16), P(4), RW, ANON | MAP_FIXED | MAP_LOCKED),
		     (long)(A + P(16)));
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, sys_mremap(mm, A + P(16), P(4), MLOCK_RLIMIT_DEFAULT + P(1), mv, 0), -EAGAIN);
	KT_EXPECT_EQ(kt, sys_mremap(mm, A + P(16), P(4), P(8), 0, 0), (long)(A + P(16)));
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 8u); /* the growth populated too */
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

// SPDX-License-Identifier: MIT
/*
 * mmap, munmap, brk and stack growth (mm/mmap.c) on a booted board: top-down placement from
 * mmap_base, hints, MAP_FIXED replacing, MAP_FIXED_NOREPLACE, the stack guard gap, the bottom-up
 * fallback; merge and split counts; file, shared-anonymous and populated mappings with their
 * pages; every error code of mmap, munmap and brk, each failed call leaving the address space as
 * it was; vm.max_map_count for every call that splits; the checker catching broken states; and a
 * randomised run against a page-by-page model. mm_check after every step.
 */
#include "mman_env.h"

#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>

#define P(n) ((vaddr_t)(n)*PAGE_SIZE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define MEM (256ULL << 20)
/* The flags of private writable anonymous memory and of brk (arm64, no READ_IMPLIES_EXEC). */
#define VM_MAY (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_ANON_RW (VM_READ | VM_WRITE | VM_MAY | VM_ACCOUNT)

static long map(struct mm_env *e, vaddr_t addr, size_t len, int prot, int flags)
{
	return sys_mmap(e->mm, addr, len, prot, flags, NULL, 0);
}

static long map_file(struct mm_env *e, vaddr_t addr, size_t len, int prot, int flags,
		     struct file *f, uint64_t off)
{
	return sys_mmap(e->mm, addr, len, prot, flags, f, off);
}

/* vm_brk_flags of one page at @addr, under the mmap lock. */
static int vm_brk_flags_locked(struct mm_env *e, vaddr_t addr)
{
	int ret;

	mmap_write_lock(e->mm);
	ret = vm_brk_flags(e->mm, addr, PAGE_SIZE, 0);
	mmap_write_unlock(e->mm);
	return ret;
}

/* Fresh private anonymous memory below mmap_base, merged with its like and split by munmap. */
KTEST(mmap, topdown_merge_split)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	vaddr_t base = e.mm->mmap_base;
	KT_EXPECT_EQ(kt, base, e.mm->task_size - (128ULL << 20));
	KT_EXPECT_EQ(kt, map(&e, 0, P(4), RW, ANON), (long)(base - P(4)));
	/* The next one lands right below and merges (anonymous pgoff is the address's page). */
	KT_EXPECT_EQ(kt, map(&e, 0, P(2) - 100, RW, ANON), (long)(base - P(6)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 1u);
	struct vm_area_struct *v = mm_vma_at(e.mm, base - P(1));
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, v->vm_start, base - P(6));
	KT_EXPECT_EQ(kt, v->vm_flags, VM_ANON_RW);
	KT_EXPECT_EQ(kt, v->vm_pgoff, v->vm_start >> PAGE_SHIFT);
	/* Other permissions: a VMA of its own, not charged (VM_ACCOUNT) as it is not writable. */
	KT_EXPECT_EQ(kt, map(&e, 0, P(1), PROT_READ | PROT_EXEC, ANON), (long)(base - P(7)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 2u);
	KT_EXPECT_EQ(kt, mm_vma_at(e.mm, base - P(7))->vm_flags, VM_READ | VM_EXEC | VM_MAY);
	KT_EXPECT_EQ(kt, e.mm->total_vm, 7u);
	KT_EXPECT_EQ(kt, e.mm->data_vm, 6u);
	KT_EXPECT_EQ(kt, e.mm->exec_vm, 1u);
	MM_CHECK(kt, &e);
	/* munmap of a middle page splits, of a range across two VMAs trims both. */
	KT_EXPECT_EQ(kt, sys_munmap(e.mm, base - P(3), P(1)), 0);
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, sys_munmap(e.mm, base - P(8), P(3)), 0);
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 2u);
	KT_EXPECT_EQ(kt, vma_first(&e.mm->vmas)->vm_start, base - P(5));
	KT_EXPECT_EQ(kt, e.mm->total_vm, 4u);
	KT_EXPECT_EQ(kt, e.mm->exec_vm, 0u);
	/* Refilling the hole merges all back into one. */
	KT_EXPECT_EQ(kt, map(&e, base - P(3), P(1), RW, ANON | MAP_FIXED), (long)(base - P(3)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 1u);
	KT_EXPECT_NULL(kt, vma_check(&e.mm->vmas, true));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* A free hint is honoured (rounded down to a page, raised to mmap_min_addr); a taken one, or
 * one reaching past TASK_SIZE, falls back to top-down placement. */
KTEST(mmap, hints)
{
	const vaddr_t h = 0x200000000ULL;
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	vaddr_t base = e.mm->mmap_base, top = e.mm->task_size;
	KT_EXPECT_EQ(kt, map(&e, h, P(2), RW, ANON), (long)h);
	KT_EXPECT_EQ(kt, map(&e, h + P(1), P(1), PROT_READ, ANON), (long)(base - P(1)));
	KT_EXPECT_EQ(kt, map(&e, h + P(4) + 0x123, P(1), PROT_READ, ANON), (long)(h + P(4)));
	KT_EXPECT_EQ(kt, map(&e, 0x1000, P(1), PROT_READ, ANON), (long)MMAP_MIN_ADDR);
	/* Above mmap_base the hint is still taken; past TASK_SIZE it is not. */
	KT_EXPECT_EQ(kt, map(&e, top - P(2), P(2), PROT_READ, ANON), (long)(top - P(2)));
	KT_EXPECT_EQ(kt, map(&e, top - P(1), P(2), PROT_EXEC, ANON), (long)(base - P(3)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 6u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* MAP_FIXED replaces what was there (its pages gone), MAP_FIXED_NOREPLACE refuses to. */
KTEST(mmap, fixed_and_noreplace)
{
	const vaddr_t f = 0x300000000ULL;
	struct mm_env e;
	unsigned char c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	KT_ASSERT_EQ(kt, map(&e, f, P(8), RW, ANON | MAP_FIXED), (long)f);
	for (int i = 0; i < 8; i++)
		KT_EXPECT_EQ(kt, mm_poke(&e, f + P(i) + 5, (unsigned char)(0x40 + i)), 0);
	KT_EXPECT_EQ(kt, e.mm->rss[MM_ANONPAGES], 8u);
	KT_EXPECT_EQ(kt, map(&e, f + P(3), P(2), PROT_READ, ANON | MAP_FIXED), (long)(f + P(3)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, e.mm->rss[MM_ANONPAGES], 6u);
	KT_EXPECT_EQ(kt, mm_peek(&e, f + P(3) + 5, &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, f + P(5) + 5, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x45);
	MM_CHECK(kt, &e);
	/* The same permissions again: the three merge back into one, the middle zeroed. */
	KT_EXPECT_EQ(kt, map(&e, f + P(3), P(2), RW, ANON | MAP_FIXED), (long)(f + P(3)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm_peek(&e, f + P(4) + 5, &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	/* NOREPLACE: overlap is EEXIST (also one page of it), free space is taken exactly. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, f + P(7), P(2), RW, ANON | MAP_FIXED_NOREPLACE),
			     -EEXIST);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, f - P(1), P(2), RW, ANON | MAP_FIXED_NOREPLACE),
			     -EEXIST);
	KT_EXPECT_EQ(kt, map(&e, f + P(9), P(1), RW, ANON | MAP_FIXED_NOREPLACE), (long)(f + P(9)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, f + P(20) + 8, P(1), RW, ANON | MAP_FIXED_NOREPLACE),
			     -EINVAL);
	/* MAP_FIXED: unaligned, below mmap_min_addr, past TASK_SIZE. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, f + 1, P(1), RW, ANON | MAP_FIXED), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0x1000, P(1), RW, ANON | MAP_FIXED), -EPERM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, e.mm->task_size - P(1), P(2), RW, ANON | MAP_FIXED),
			     -ENOMEM);
	mm_env_fini(kt, &e);
}

/* Every other mmap error: each leaves the address space as it was. */
KTEST(mmap, errors)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *ro = mm_env_file(kt, &e, 4, FMODE_READ);
	struct file *wo = mm_env_file(kt, &e, 4, FMODE_WRITE);
	struct file *rw = mm_env_file(kt, &e, 4, FMODE_READ | FMODE_WRITE);

	KT_ASSERT_TRUE(kt, ro && wo && rw);
	KT_ASSERT_EQ(kt, map(&e, 0, P(1), RW, ANON), (long)(mm->mmap_base - P(1)));
	/* EINVAL */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, 0, RW, ANON), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), RW, MAP_PRIVATE, rw, 100), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(1), RW, MAP_ANONYMOUS), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(1), RW, MAP_ANONYMOUS | 0x4), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(1), RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, map(&e, 0, P(1), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), RW, MAP_PRIVATE | MAP_GROWSDOWN, rw, 0),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), RW, MAP_PRIVATE | MAP_HUGETLB, rw, 0),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), RW, 0x7, rw, 0), -EINVAL);
	/* EBADF: a file mapping without a file */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(1), RW, MAP_PRIVATE), -EBADF);
	/* ENOMEM: longer than the address space, PAGE_ALIGN wrapping, no gap anywhere, no huge
	 * pages */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, mm->task_size + P(1), RW, ANON), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, SIZE_MAX - 5, RW, ANON), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, mm->mmap_base, RW, ANON), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(512), RW, ANON | MAP_HUGETLB), -ENOMEM);
	/* EACCES: no read permission; a shared writable mapping of a file not open for writing */
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), PROT_READ, MAP_PRIVATE, wo, 0), -EACCES);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map_file(&e, 0, P(1), RW, MAP_SHARED, ro, 0), -EACCES);
	/* EOPNOTSUPP: MAP_SHARED_VALIDATE knows no MAP_SYNC (0x80000); MAP_SHARED ignores it */
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, map_file(&e, 0, P(1), RW, MAP_SHARED_VALIDATE | 0x80000, rw, 0), -EOPNOTSUPP);
	KT_EXPECT_GT(kt, map_file(&e, 0, P(1), RW, MAP_SHARED | 0x80000, rw, 0), 0);
	KT_EXPECT_GT(kt, map_file(&e, 0, P(1), RW, MAP_SHARED_VALIDATE, rw, 0), 0);
	/* EOVERFLOW: past MAX_LFS_FILESIZE; a page offset wrapping (do_mmap's pgoff) */
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, map_file(&e, 0, P(2), PROT_READ, MAP_PRIVATE, ro, 0x7ffffffffffff000ULL),
	    -EOVERFLOW);
	mmap_write_lock(mm);
	MM_EXPECT_FAIL_CLEAN(kt, &e, do_mmap(mm, NULL, 0, P(2), RW, ANON, 0, UINT64_MAX),
			     -EOVERFLOW);
	mmap_write_unlock(mm);
	/* EAGAIN: MAP_LOCKED past RLIMIT_MEMLOCK (8 MiB), counting what is locked already */
	KT_EXPECT_GT(kt, map(&e, 0, MLOCK_RLIMIT_DEFAULT - P(1), RW, ANON | MAP_LOCKED), 0);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], (MLOCK_RLIMIT_DEFAULT >> PAGE_SHIFT) - 1);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(2), RW, ANON | MAP_LOCKED), -EAGAIN);
	KT_EXPECT_GT(kt, map(&e, 0, P(1), PROT_READ, ANON | MAP_LOCKED), 0);
	/* EEXIST and EPERM: fixed_and_noreplace. A private read-only file mapping may be made
	 * writable later; a shared one may not (VM_MAYWRITE). */
	long a = map_file(&e, 0, P(2), PROT_READ, MAP_SHARED, ro, P(1));
	long b = map_file(&e, 0, P(2), RW, MAP_PRIVATE, ro, 0);
	KT_ASSERT_GT(kt, a, 0);
	KT_ASSERT_GT(kt, b, 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, (vaddr_t)a)->vm_flags,
		     VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, (vaddr_t)a)->vm_pgoff, 1u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, (vaddr_t)b)->vm_flags, VM_ANON_RW);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* MAP_POPULATE faults the range in (as writes for private writable memory); MAP_NONBLOCK
 * cancels it; inaccessible memory is skipped. */
KTEST(mmap, populate)
{
	struct mm_env e;
	unsigned char vec[8], c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct file *f = mm_env_file(kt, &e, 4, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	long a = map(&e, 0, P(8), RW, ANON | MAP_POPULATE);
	KT_ASSERT_GT(kt, a, 0);
	KT_EXPECT_EQ(kt, e.mm->rss[MM_ANONPAGES], 8u);
	KT_EXPECT_EQ(kt, sys_mincore(e.mm, (vaddr_t)a, P(8), vec), 0);
	KT_EXPECT_NULL(kt, memchr(vec, 0, 8));
	KT_EXPECT_GT(kt, map(&e, 0, P(8), RW, ANON | MAP_POPULATE | MAP_NONBLOCK), 0);
	KT_EXPECT_GT(kt, map(&e, 0, P(4), PROT_NONE, ANON | MAP_POPULATE), 0);
	KT_EXPECT_EQ(kt, e.mm->rss[MM_ANONPAGES], 8u);
	long b = map_file(&e, 0, P(4), PROT_READ, MAP_PRIVATE | MAP_POPULATE, f, 0);
	KT_ASSERT_GT(kt, b, 0);
	KT_EXPECT_EQ(kt, e.mm->rss[MM_FILEPAGES], 4u);
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)b + P(2) + 17, &c), 0);
	KT_EXPECT_EQ(kt, c, mm_file_byte(P(2) + 17));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* MAP_SHARED | MAP_ANONYMOUS: a new in-memory file per mapping, shared across a split. */
KTEST(mmap, shared_anonymous)
{
	struct mm_env e;
	unsigned char c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	long a = map(&e, 0, P(4), RW, MAP_SHARED | MAP_ANONYMOUS);
	KT_ASSERT_GT(kt, a, 0);
	struct vm_area_struct *v = mm_vma_at(e.mm, (vaddr_t)a);
	KT_ASSERT_NOT_NULL(kt, v->vm_file);
	KT_EXPECT_STREQ(kt, v->vm_file->f_mapping->name, "/dev/zero (deleted)");
	KT_EXPECT_EQ(kt, v->vm_file->f_mapping->size, P(4));
	KT_EXPECT_EQ(kt, v->vm_flags, VM_READ | VM_WRITE | VM_MAY | VM_SHARED | VM_MAYSHARE);
	KT_EXPECT_EQ(kt, v->vm_pgoff, 0u);
	struct file *f = v->vm_file;
	KT_EXPECT_EQ(kt, f->refcount, 1u);
	/* The next one, right below, has a file of its own: no merge. */
	KT_EXPECT_EQ(kt, map(&e, 0, P(4), RW, MAP_SHARED | MAP_ANONYMOUS), a - (long)P(4));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 2u);
	KT_EXPECT_EQ(kt, mm_poke(&e, (vaddr_t)a + P(3) + 1, 0x5a), 0);
	/* A split: both halves hold the file. */
	KT_EXPECT_EQ(kt, sys_munmap(e.mm, (vaddr_t)a + P(1), P(1)), 0);
	KT_EXPECT_EQ(kt, f->refcount, 2u);
	KT_EXPECT_EQ(kt, mm_vma_at(e.mm, (vaddr_t)a + P(2))->vm_pgoff, 2u);
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)a + P(3) + 1, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x5a);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* File mappings: a reference per VMA, page offsets, merging of contiguous offsets, the data. */
KTEST(mmap, file_mappings)
{
	const vaddr_t f0 = 0x500000000ULL;
	struct mm_env e;
	unsigned char c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct file *f = mm_env_file(kt, &e, 8, FMODE_READ | FMODE_WRITE);
	KT_ASSERT_NOT_NULL(kt, f);
	KT_EXPECT_EQ(kt, map_file(&e, f0, P(4), RW, MAP_SHARED | MAP_FIXED, f, P(2)), (long)f0);
	KT_EXPECT_EQ(kt, f->refcount, 2u);
	struct vm_area_struct *v = mm_vma_at(e.mm, f0);
	KT_EXPECT_EQ(kt, v->vm_flags, VM_READ | VM_WRITE | VM_MAY | VM_SHARED | VM_MAYSHARE);
	KT_EXPECT_EQ(kt, v->vm_pgoff, 2u);
	KT_EXPECT_EQ(kt, mm_peek(&e, f0 + P(1) + 9, &c), 0);
	KT_EXPECT_EQ(kt, c, mm_file_byte(P(3) + 9));
	KT_EXPECT_EQ(kt, sys_munmap(e.mm, f0 + P(1), P(1)), 0);
	KT_EXPECT_EQ(kt, f->refcount, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(e.mm, f0 + P(2))->vm_pgoff, 4u);
	/* The hole refilled at the matching offset: one VMA again, the extra references gone. */
	KT_EXPECT_EQ(kt, map_file(&e, f0 + P(1), P(1), RW, MAP_SHARED | MAP_FIXED, f, P(3)),
		     (long)(f0 + P(1)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, f->refcount, 2u);
	/* At another offset it stays apart. */
	KT_EXPECT_EQ(kt, map_file(&e, f0 + P(4), P(1), RW, MAP_SHARED | MAP_FIXED, f, 0),
		     (long)(f0 + P(4)));
	KT_EXPECT_EQ(kt, e.mm->vmas.count, 2u);
	/* A private mapping's writes are its own (copy-on-write). */
	long p = map_file(&e, 0, P(2), RW, MAP_PRIVATE, f, P(2));
	KT_ASSERT_GT(kt, p, 0);
	KT_EXPECT_EQ(kt, mm_poke(&e, (vaddr_t)p + 3, 0xee), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, f0 + 3, &c), 0);
	KT_EXPECT_EQ(kt, c, mm_file_byte(P(2) + 3));
	KT_EXPECT_EQ(kt, mm_poke(&e, f0 + P(1) + 4, 0xdd), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, (vaddr_t)p + P(1) + 4, &c), 0);
	KT_EXPECT_EQ(kt, c, 0xdd);
	MM_CHECK(kt, &e);
	KT_EXPECT_EQ(kt, sys_munmap(e.mm, f0, P(5)), 0);
	KT_EXPECT_EQ(kt, f->refcount, 2u);
	mm_env_fini(kt, &e);
}

/* munmap: its errors, holes, ranges across VMAs, an unaligned length. */
KTEST(mmap, munmap)
{
	const vaddr_t m = 0x600000000ULL;
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, m, P(4), RW, ANON | MAP_FIXED), (long)m);
	KT_ASSERT_EQ(kt, map(&e, m + P(6), P(4), PROT_READ, ANON | MAP_FIXED), (long)(m + P(6)));
	KT_ASSERT_EQ(kt, map(&e, m + P(12), P(4), RW, ANON | MAP_FIXED), (long)(m + P(12)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_munmap(mm, m + 8, P(1)), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_munmap(mm, m, 0), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_munmap(mm, mm->task_size + P(1), P(1)), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_munmap(mm, m, mm->task_size), -EINVAL);
	KT_EXPECT_EQ(kt, sys_munmap(mm, m + P(4), P(2)), 0); /* a hole: nothing to do */
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	/* From inside the first to inside the third, length rounded up. */
	KT_EXPECT_EQ(kt, sys_munmap(mm, m + P(2), P(11) - 10), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 2u);
	KT_EXPECT_EQ(kt, vma_first(&mm->vmas)->vm_end, m + P(2));
	KT_EXPECT_EQ(kt, vma_last(&mm->vmas)->vm_start, m + P(13));
	KT_EXPECT_EQ(kt, mm->total_vm, 5u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* brk: query, grow, shrink, refusals (they return the old break), vm_brk_flags. */
KTEST(mmap, brk)
{
	const vaddr_t b = MM_ENV_BRK;
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_EXPECT_EQ(kt, sys_brk(mm, 0), (long)b);
	KT_EXPECT_EQ(kt, sys_brk(mm, b - 1), (long)b);
	KT_EXPECT_EQ(kt, sys_brk(mm, b + 100), (long)(b + 100));
	struct vm_area_struct *v = mm_vma_at(mm, b);
	KT_ASSERT_NOT_NULL(kt, v);
	KT_EXPECT_EQ(kt, v->vm_end, b + P(1));
	KT_EXPECT_EQ(kt, v->vm_flags, VM_ANON_RW);
	KT_EXPECT_EQ(kt, sys_brk(mm, b + P(3)), (long)(b + P(3)));
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm->data_vm, 3u);
	KT_EXPECT_EQ(kt, mm_poke(&e, b + P(2), 1), 0);
	KT_EXPECT_EQ(kt, sys_brk(mm, b + 1), (long)(b + 1));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, b)->vm_end, b + P(1));
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 0u);
	KT_EXPECT_EQ(kt, mm->data_vm, 1u);
	MM_CHECK(kt, &e);
	/* A mapping at b + 4 pages: brk may come up to a page below it, not closer. */
	KT_ASSERT_EQ(kt, map(&e, b + P(4), P(1), PROT_READ, ANON | MAP_FIXED), (long)(b + P(4)));
	KT_EXPECT_EQ(kt, sys_brk(mm, b + P(3)), (long)(b + P(3)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_brk(mm, b + P(3) + 1), (long)(b + P(3)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_brk(mm, mm->task_size + P(1)), (long)(b + P(3)));
	/* Shrinking where the heap was unmapped fails too (Linux 6.1). */
	KT_EXPECT_EQ(kt, sys_munmap(mm, b, P(3)), 0);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_brk(mm, b + 1), (long)(b + P(3)));
	/* vm_brk_flags (exec's bss): replaces what was there; its errors. */
	mmap_write_lock(mm);
	KT_EXPECT_EQ(kt, vm_brk_flags(mm, b + P(4), 10, VM_EXEC), 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, b + P(4))->vm_flags, VM_ANON_RW | VM_EXEC);
	KT_EXPECT_EQ(kt, vm_brk_flags(mm, b + P(8), 0, 0), 0);
	MM_EXPECT_FAIL_CLEAN(kt, &e, vm_brk_flags(mm, b, P(1), VM_READ), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, vm_brk_flags(mm, b, SIZE_MAX, 0), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, vm_brk_flags(mm, 0x1000, P(1), 0), -EPERM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, vm_brk_flags(mm, b + 5, P(1), 0), -EINVAL);
	mmap_write_unlock(mm);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* The stack guard gap: placement, hints and brk keep it below a VM_GROWSDOWN VMA; MAP_FIXED
 * may enter it; expand_stack keeps it to the VMA below and stays within RLIMIT_STACK. */
KTEST(mmap, stack_guard_gap)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	vaddr_t s = mm->mmap_base - P(16);
	KT_ASSERT_EQ(kt, map(&e, s, P(16), RW, ANON | MAP_FIXED | MAP_GROWSDOWN), (long)s);
	struct vm_area_struct *stack = mm_vma_at(mm, s);
	KT_EXPECT_EQ(kt, stack->vm_flags, VM_ANON_RW | VM_GROWSDOWN);
	KT_EXPECT_EQ(kt, mm->stack_vm, 16u);
	KT_EXPECT_EQ(kt, map(&e, 0, P(2), RW, ANON), (long)(s - STACK_GUARD_GAP - P(2)));
	/* A hint in the gap is not taken; MAP_FIXED there is. */
	long h = map(&e, s - P(4), P(1), PROT_READ, ANON);
	KT_EXPECT_EQ(kt, h, (long)(s - STACK_GUARD_GAP - P(3)));
	KT_EXPECT_EQ(kt, map(&e, s - P(4), P(1), PROT_READ, ANON | MAP_FIXED), (long)(s - P(4)));
	KT_EXPECT_EQ(kt, sys_munmap(mm, s - P(4), P(1)), 0);
	MM_CHECK(kt, &e);

	/* expand_stack: 8 pages down, then up to the gap below it and no further. */
	vaddr_t low = 0x700000000ULL, t = low + P(1) + STACK_GUARD_GAP + P(8);
	KT_ASSERT_EQ(kt, map(&e, low, P(1), PROT_READ, ANON | MAP_FIXED), (long)low);
	KT_ASSERT_EQ(kt, map(&e, t, P(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN), (long)t);
	struct vm_area_struct *st = mm_vma_at(mm, t);
	mmap_write_lock(mm);
	KT_EXPECT_EQ(kt, expand_stack(st, t - P(8) + 5), 0);
	KT_EXPECT_EQ(kt, st->vm_start, t - P(8));
	KT_EXPECT_EQ(kt, st->vm_pgoff, st->vm_start >> PAGE_SHIFT);
	KT_EXPECT_EQ(kt, mm->stack_vm, 16u + 12u);
	MM_EXPECT_FAIL_CLEAN(kt, &e, expand_stack(st, t - P(9)), -ENOMEM);
	mmap_write_unlock(mm);
	/* A PROT_NONE VMA below does not keep a gap (Linux's vma_is_accessible). */
	KT_EXPECT_EQ(kt, sys_mprotect(mm, low, P(1), PROT_NONE), 0);
	mmap_write_lock(mm);
	KT_EXPECT_EQ(kt, expand_stack(st, low + P(1)), 0);
	KT_EXPECT_EQ(kt, st->vm_start, low + P(1));
	mmap_write_unlock(mm);
	MM_CHECK(kt, &e);
	/* RLIMIT_STACK bounds the size; mmap_min_addr the address. */
	vaddr_t u = 0x800000000ULL;
	KT_ASSERT_EQ(kt, map(&e, u, P(4), RW, ANON | MAP_FIXED | MAP_GROWSDOWN), (long)u);
	KT_ASSERT_EQ(kt, map(&e, 0x20000, P(1), RW, ANON | MAP_FIXED | MAP_GROWSDOWN),
		     (long)0x20000);
	mm->stack_rlimit = P(8);
	mmap_write_lock(mm);
	KT_EXPECT_EQ(kt, expand_stack(mm_vma_at(mm, u), u - P(4)), 0);
	MM_EXPECT_FAIL_CLEAN(kt, &e, expand_stack(mm_vma_at(mm, u - P(4)), u - P(5)), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, expand_stack(mm_vma_at(mm, 0x20000), 0x8000), -EPERM);
	mmap_write_unlock(mm);
	/* A user access below a stack grows it through the fault path. */
	mm->stack_rlimit = STACK_RLIMIT_DEFAULT;
	KT_EXPECT_EQ(kt, mm_poke(&e, u - P(6) + 1, 3), 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, u)->vm_start, u - P(6));
	/* brk keeps the gap and a page below a stack. */
	vaddr_t b = MM_ENV_BRK;
	KT_ASSERT_EQ(
	    kt, map(&e, b + STACK_GUARD_GAP + P(8), P(1), RW, ANON | MAP_FIXED | MAP_GROWSDOWN),
	    (long)(b + STACK_GUARD_GAP + P(8)));
	KT_EXPECT_EQ(kt, sys_brk(mm, b + P(7)), (long)(b + P(7)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_brk(mm, b + P(7) + 1), (long)(b + P(7)));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* No room below mmap_base: placement falls back to bottom-up from TASK_SIZE / 4. */
KTEST(mmap, bottom_up_fallback)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	vaddr_t base = mm->mmap_base;
	KT_ASSERT_EQ(kt,
		     map(&e, MMAP_MIN_ADDR, base - MMAP_MIN_ADDR, PROT_NONE,
			 ANON | MAP_FIXED | MAP_NORESERVE),
		     (long)MMAP_MIN_ADDR);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, MMAP_MIN_ADDR)->vm_flags, VM_MAY | VM_NORESERVE);
	KT_EXPECT_EQ(kt, map(&e, 0, P(4), RW, ANON), (long)base);
	KT_EXPECT_EQ(kt, map(&e, 0, P(4), PROT_READ, ANON), (long)(base + P(4)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, mm->task_size - base, RW, ANON), -ENOMEM);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* vm.max_map_count: mmap is refused beyond it, and so is every split that would pass it
 * (munmap, mprotect ENOMEM; madvise EAGAIN; mremap ENOMEM near it). */
KTEST(mmap, max_map_count)
{
	const vaddr_t m = 0x1000000000ULL;
	struct mm_env e;
	long r = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, m, P(3), RW, ANON | MAP_FIXED), (long)m);
	/* One page VMAs a page apart: Linux's check (count > max) lets one more in. */
	for (unsigned long i = 1; i <= DEFAULT_MAX_MAP_COUNT && r >= 0; i++)
		r = map(&e, m + P(2 * i + 2), P(1), RW, ANON | MAP_FIXED);
	KT_EXPECT_EQ(kt, r, (long)(m + P(2 * DEFAULT_MAX_MAP_COUNT + 2)));
	KT_EXPECT_EQ(kt, mm->vmas.count, DEFAULT_MAX_MAP_COUNT + 1u);
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, 0, P(1), RW, ANON), -ENOMEM);
	KT_EXPECT_EQ(kt, sys_munmap(mm, m + P(4), P(1)), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, (unsigned long)DEFAULT_MAX_MAP_COUNT);
	/* At the limit: no split of the three-page VMA, mmap refused neither */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_munmap(mm, m + P(1), P(1)), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, m + P(1), P(1), PROT_READ), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, m + P(1), P(1), MADV_DONTFORK), -EAGAIN);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mremap(mm, m, P(1), P(2), MREMAP_MAYMOVE, 0), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e,
			     sys_mremap(mm, m, P(1), P(1), MREMAP_MAYMOVE | MREMAP_FIXED, m + P(4)),
			     -ENOMEM);
	/* Splits at an end, or none, are fine. */
	KT_EXPECT_EQ(kt, sys_munmap(mm, m, P(1)), 0);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, m + P(6), P(1), PROT_READ), 0);
	KT_EXPECT_GT(kt, map(&e, 0, P(1), RW, ANON), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, (unsigned long)DEFAULT_MAX_MAP_COUNT + 1);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* vm.max_map_count is a tunable, as Linux's sysctl. */
KTEST(mmap, max_map_count_tunable)
{
	const vaddr_t m = 0x1000000000ULL;
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	sysctl_max_map_count = 4;
	for (unsigned long i = 0; i < 5; i++)
		KT_EXPECT_EQ(kt, map(&e, m + P(2 * i), P(1), RW, ANON | MAP_FIXED),
			     (long)(m + P(2 * i)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, map(&e, m + P(20), P(1), RW, ANON | MAP_FIXED), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, vm_brk_flags_locked(&e, m + P(20)), -ENOMEM);
	sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;
	KT_EXPECT_EQ(kt, map(&e, m + P(20), P(1), RW, ANON | MAP_FIXED), (long)(m + P(20)));
	mm_env_fini(kt, &e);
}

/* The checker sees broken counters, stray and over-permissive PTEs. */
KTEST(mmap, mm_check_catches)
{
	const vaddr_t c = 0x900000000ULL;
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, c, P(4), RW, ANON | MAP_FIXED | MAP_POPULATE), (long)c);
	KT_ASSERT_NULL(kt, mm_check(mm));
	mm->total_vm++;
	KT_EXPECT_NOT_NULL(kt, mm_check(mm));
	mm->total_vm--;
	mm->rss[MM_ANONPAGES]--;
	KT_EXPECT_NOT_NULL(kt, strstr(mm_check(mm), "RSS counters"));
	mm->rss[MM_ANONPAGES]++;
	struct vm_area_struct *v = mm_vma_at(mm, c);
	v->vm_flags &= ~VM_WRITE; /* still data? no: not counted as data_vm any more */
	mm->data_vm -= 4;
	KT_EXPECT_NOT_NULL(kt, strstr(mm_check(mm), "writable PTE"));
	v->vm_flags |= VM_WRITE;
	mm->data_vm += 4;
	v->vm_end -= P(1);
	mm->total_vm--;
	mm->data_vm--;
	KT_EXPECT_NOT_NULL(kt, strstr(mm_check(mm), "outside every VMA"));
	v->vm_end += P(1);
	mm->total_vm++;
	mm->data_vm++;
	v->vm_mm = NULL;
	KT_EXPECT_NOT_NULL(kt, strstr(mm_check(mm), "another mm"));
	v->vm_mm = mm;
	KT_EXPECT_NULL(kt, mm_check(mm));
	mm_env_fini(kt, &e);
}

/* ---- a randomised run against a model ----------------------------------------------------- */

#define WIN_PAGES 96
#define WIN 0x40000000ULL

struct model {
	bool mapped[WIN_PAGES];
	int prot[WIN_PAGES];
	bool dontcopy[WIN_PAGES];
	unsigned char byte[WIN_PAGES]; /* at offset 7 of the page */
};

static const int model_prots[] = { PROT_NONE, PROT_READ, RW, PROT_READ | PROT_EXEC };

static unsigned long prot_vm_flags(int prot)
{
	return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) |
	       (prot & PROT_EXEC ? VM_EXEC : 0);
}

static bool model_all_mapped(const struct model *md, unsigned long s, unsigned long n)
{
	for (unsigned long i = s; i < s + n; i++)
		if (!md->mapped[i])
			return false;
	return true;
}

static bool model_any_mapped(const struct model *md, unsigned long s, unsigned long n)
{
	for (unsigned long i = s; i < s + n; i++)
		if (md->mapped[i])
			return true;
	return false;
}

/* The VMAs of the window against the model, page by page; merging complete. */
static bool model_compare(struct ktest *kt, struct mm_env *e, const struct model *md)
{
	bool ok = KT_EXPECT_NULL(kt, vma_check(&e->mm->vmas, true));

	for (unsigned long i = 0; ok && i < WIN_PAGES; i++) {
		const struct vm_area_struct *v = mm_vma_at(e->mm, WIN + P(i));

		ok &= KT_EXPECT_EQ(kt, v != NULL, md->mapped[i]);
		if (!ok || !v)
			continue;
		ok &= KT_EXPECT_EQ(kt, v->vm_flags & (VM_READ | VM_WRITE | VM_EXEC),
				   prot_vm_flags(md->prot[i]));
		ok &= KT_EXPECT_EQ(kt, !!(v->vm_flags & VM_DONTCOPY), md->dontcopy[i]);
		if (!ok)
			ktest_log(kt, "page %lu", i);
	}
	return ok;
}

static void model_set(struct model *md, unsigned long s, unsigned long n, bool mapped, int prot)
{
	for (unsigned long i = s; i < s + n; i++) {
		md->mapped[i] = mapped;
		md->prot[i] = prot;
		md->dontcopy[i] = false;
		md->byte[i] = 0;
	}
}

/* One random operation on the window, its result checked against the model. */
static bool random_step(struct ktest *kt, struct mm_env *e, struct model *md, uint64_t *rs)
{
	unsigned long s = ktest_rand_below(rs, WIN_PAGES), n = 1 + ktest_rand_below(rs, 12);
	int prot = model_prots[ktest_rand_below(rs, ARRAY_SIZE(model_prots))];
	vaddr_t va = WIN + P(s);
	unsigned char c;

	if (s + n > WIN_PAGES)
		n = WIN_PAGES - s;
	switch (ktest_rand_below(rs, 8)) {
	case 0:
		if (!KT_EXPECT_EQ(kt, map(e, va, P(n), prot, ANON | MAP_FIXED), (long)va))
			return false;
		model_set(md, s, n, true, prot);
		return true;
	case 1:
		if (model_any_mapped(md, s, n))
			return MM_EXPECT_FAIL_CLEAN(
			    kt, e, map(e, va, P(n), prot, ANON | MAP_FIXED_NOREPLACE), -EEXIST);
		if (!KT_EXPECT_EQ(kt, map(e, va, P(n), prot, ANON | MAP_FIXED_NOREPLACE), (long)va))
			return false;
		model_set(md, s, n, true, prot);
		return true;
	case 2:
		if (!KT_EXPECT_EQ(kt, sys_munmap(e->mm, va, P(n)), 0))
			return false;
		model_set(md, s, n, false, 0);
		return true;
	case 3:
		if (!model_all_mapped(md, s, n))
			return MM_EXPECT_FAIL_CLEAN(kt, e, sys_mprotect(e->mm, va, P(n), prot),
						    -ENOMEM);
		if (!KT_EXPECT_EQ(kt, sys_mprotect(e->mm, va, P(n), prot), 0))
			return false;
		for (unsigned long i = s; i < s + n; i++)
			md->prot[i] = prot;
		return true;
	case 4: {
		int adv = ktest_rand_below(rs, 2) ? MADV_DONTNEED : MADV_DONTFORK + (int)(n & 1);

		if (!model_all_mapped(md, s, n))
			return MM_EXPECT_FAIL_CLEAN(kt, e, sys_madvise(e->mm, va, P(n), adv),
						    -ENOMEM);
		if (!KT_EXPECT_EQ(kt, sys_madvise(e->mm, va, P(n), adv), 0))
			return false;
		for (unsigned long i = s; i < s + n; i++)
			if (adv == MADV_DONTNEED)
				md->byte[i] = 0;
			else
				md->dontcopy[i] = adv == MADV_DONTFORK;
		return true;
	}
	case 5:
	case 6:
		if (!md->mapped[s] || !(md->prot[s] & PROT_WRITE))
			return true;
		c = (unsigned char)ktest_rand(rs);
		md->byte[s] = c;
		return KT_EXPECT_EQ(kt, mm_poke(e, va + 7, c), 0);
	default:
		if (!md->mapped[s] || !(md->prot[s] & PROT_READ))
			return true;
		return KT_EXPECT_EQ(kt, mm_peek(e, va + 7, &c), 0) &&
		       KT_EXPECT_EQ(kt, c, md->byte[s]);
	}
}

KTEST(mmap, random_against_model)
{
	struct model *md = calloc(1, sizeof(*md));
	uint64_t rs = kt->seed;
	struct mm_env e;

	KT_ASSERT_NOT_NULL(kt, md);
	if (!mm_env_init(kt, &e, MEM)) {
		free(md);
		return;
	}
	for (int step = 0; step < 3000; step++) {
		if (!random_step(kt, &e, md, &rs) || !MM_CHECK(kt, &e) ||
		    !model_compare(kt, &e, md)) {
			ktest_log(kt, "step %d (seed %llu)", step, kt->seed);
			break;
		}
	}
	mm_env_fini(kt, &e);
	free(md);
}

// SPDX-License-Identifier: MIT
/*
 * madvise (mm/madvise.c) and mincore (mm/mincore.c) on a booted board: MADV_DONTNEED drops
 * pages (private anonymous memory reads back zeros, file and shared memory the file's data),
 * MADV_FREE, MADV_WILLNEED populates, MADV_DONTFORK/DOFORK and the read-ahead advice set flags
 * with splits and merges; mincore's view of PTEs and the page cache; every error code of both,
 * failed calls changing nothing (a hole refuses the whole range).
 */
#include "mman_env.h"

#include <kmm/errno.h>

#include <string.h>

#define P(n) ((vaddr_t)(n)*PAGE_SIZE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define MEM (256ULL << 20)
#define A 0x20000000ULL

static long map(struct mm_env *e, vaddr_t addr, size_t len, int prot, int flags)
{
	return sys_mmap(e->mm, addr, len, prot, flags, NULL, 0);
}

/* The residency of @n pages from @va as a string of '0' and '1'. */
static const char *resident(struct mm_env *e, vaddr_t va, unsigned int n)
{
	static char s[64];
	unsigned char vec[64];

	if (n >= sizeof(s) || sys_mincore(e->mm, va, P(n), vec))
		return "error";
	for (unsigned int i = 0; i < n; i++)
		s[i] = (char)('0' + vec[i]);
	s[n] = 0;
	return s;
}

KTEST(madvise, dontneed)
{
	const vaddr_t s = A + P(8), f = A + P(16);
	struct mm_env e;
	unsigned char c = 1;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *file = mm_env_file(kt, &e, 4, FMODE_READ | FMODE_WRITE);
	KT_ASSERT_NOT_NULL(kt, file);
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, s, P(2), RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED), (long)s);
	KT_ASSERT_EQ(kt, sys_mmap(mm, f, P(4), RW, MAP_PRIVATE | MAP_FIXED, file, 0), (long)f);
	for (int i = 0; i < 4; i++) {
		KT_EXPECT_EQ(kt, mm_poke(&e, A + P(i), 0x10), 0);
		KT_EXPECT_EQ(kt, mm_poke(&e, f + P(i), 0x20), 0);
	}
	KT_EXPECT_EQ(kt, mm_poke(&e, s, 0x30), 0);
	KT_EXPECT_STREQ(kt, resident(&e, A, 4), "1111");
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(1), P(2), MADV_DONTNEED), 0);
	KT_EXPECT_STREQ(kt, resident(&e, A, 4), "1001");
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(1), &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(3), &c), 0);
	KT_EXPECT_EQ(kt, c, 0x10);
	/* Shared memory keeps its data; a private file mapping gets the file's back. */
	KT_EXPECT_EQ(kt, sys_madvise(mm, s, P(2), MADV_DONTNEED), 0);
	KT_EXPECT_STREQ(kt, resident(&e, s, 2), "10"); /* in the page cache */
	KT_EXPECT_EQ(kt, mm_peek(&e, s, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x30);
	KT_EXPECT_EQ(kt, sys_madvise(mm, f, P(4), MADV_DONTNEED), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, f + P(2), &c), 0);
	KT_EXPECT_EQ(kt, c, mm_file_byte(P(2)));
	/* MADV_FREE: private anonymous memory only. */
	KT_EXPECT_EQ(kt, sys_madvise(mm, A, P(4), MADV_FREE), 0);
	KT_EXPECT_STREQ(kt, resident(&e, A, 4), "0000");
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, s, P(1), MADV_FREE), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, f, P(1), MADV_FREE), -EINVAL);
	/* A hole anywhere: ENOMEM and nothing dropped, not even before it. */
	KT_EXPECT_EQ(kt, mm_poke(&e, A + P(3), 0x11), 0);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(3), P(6), MADV_DONTNEED), -ENOMEM);
	KT_EXPECT_STREQ(kt, resident(&e, A + P(3), 1), "1");
	/* Locked memory refuses it. */
	KT_ASSERT_EQ(kt, map(&e, A + P(32), P(2), RW, ANON | MAP_FIXED | MAP_LOCKED),
		     (long)(A + P(32)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(32), P(1), MADV_DONTNEED), -EINVAL);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

KTEST(madvise, willneed_populates)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *file = mm_env_file(kt, &e, 4, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, file);
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(4), P(2), PROT_NONE, ANON | MAP_FIXED), (long)(A + P(4)));
	KT_ASSERT_EQ(kt, sys_mmap(mm, A + P(6), P(4), PROT_READ, MAP_SHARED | MAP_FIXED, file, 0),
		     (long)(A + P(6)));
	KT_EXPECT_STREQ(kt, resident(&e, A, 10), "0000000000");
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(1), P(7), MADV_WILLNEED), 0);
	KT_EXPECT_STREQ(kt, resident(&e, A, 10), "0111001100");
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 3u);
	KT_EXPECT_EQ(kt, mm->rss[MM_FILEPAGES], 2u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* Flag advice: split to the range, merged back when the flags meet again. */
KTEST(madvise, flags_split_merge)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(8), RW, ANON | MAP_FIXED), (long)A);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(2), P(2), MADV_DONTFORK), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(2))->vm_flags & VM_DONTCOPY, VM_DONTCOPY);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(4))->vm_flags & VM_DONTCOPY, 0u);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(4), P(1), MADV_DONTFORK), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(2))->vm_end, A + P(5));
	KT_EXPECT_EQ(kt, sys_madvise(mm, A, P(8), MADV_DOFORK), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(6), P(2), MADV_SEQUENTIAL), 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(6))->vm_flags & (VM_SEQ_READ | VM_RAND_READ),
		     VM_SEQ_READ);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(6), P(1), MADV_RANDOM), 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(6))->vm_flags & (VM_SEQ_READ | VM_RAND_READ),
		     VM_RAND_READ);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A, P(8), MADV_NORMAL), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_NULL(kt, vma_check(&mm->vmas, true));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

KTEST(madvise, errors)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *ro = mm_env_file(kt, &e, 4, FMODE_READ);
	struct file *rw = mm_env_file(kt, &e, 4, FMODE_READ | FMODE_WRITE);
	KT_ASSERT_TRUE(kt, ro && rw);
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, sys_mmap(mm, A + P(4), P(2), RW, MAP_PRIVATE | MAP_FIXED, ro, 0),
		     (long)(A + P(4)));
	KT_ASSERT_EQ(kt, sys_mmap(mm, A + P(6), P(2), RW, MAP_SHARED | MAP_FIXED, rw, 0),
		     (long)(A + P(6)));
	/* EINVAL: unknown advice (kmm knows the advice mman.h names, not MADV_COLD), alignment,
	 * lengths */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, P(1), 5), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, P(1), 20), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, P(1), -1), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + 1, P(1), MADV_DONTNEED), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, SIZE_MAX, MADV_DONTNEED), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, SIZE_MAX - P(2), MADV_DONTNEED), -EINVAL);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(40), 0, MADV_DONTNEED), 0);
	/* ENOMEM: a hole, flag advice too (no split happened) */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(6), P(4), MADV_DONTFORK), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(9), P(1), MADV_WILLNEED), -ENOMEM);
	/* MADV_REMOVE: EINVAL not a file, EACCES not shared writable, else EOPNOTSUPP (kmm's
	 * files cannot punch holes) */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A, P(1), MADV_REMOVE), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(4), P(1), MADV_REMOVE), -EACCES);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_madvise(mm, A + P(6), P(1), MADV_REMOVE), -EOPNOTSUPP);
	/* EAGAIN at vm.max_map_count: test_mmap.c */
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

KTEST(mincore, residency_and_errors)
{
	struct mm_env e;
	unsigned char vec[8];

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *file = mm_env_file(kt, &e, 4, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, file);
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, sys_mmap(mm, A + P(4), P(4), PROT_READ, MAP_PRIVATE | MAP_FIXED, file, 0),
		     (long)(A + P(4)));
	KT_EXPECT_EQ(kt, mm_poke(&e, A + P(1), 1), 0);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(1), P(1), PROT_NONE), 0);
	/* A PROT_NONE PTE is still resident; a file page in the page cache is, mapped or not. */
	unsigned char c;
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(6), &c), 0);
	KT_EXPECT_EQ(kt, sys_madvise(mm, A + P(6), P(1), MADV_DONTNEED), 0);
	KT_EXPECT_STREQ(kt, resident(&e, A, 8), "01000010");
	/* A length not a page multiple counts its last partial page. */
	memset(vec, 7, sizeof(vec));
	KT_EXPECT_EQ(kt, sys_mincore(mm, A + P(1), P(1) + 1, vec), 0);
	KT_EXPECT_EQ(kt, vec[0], 1);
	KT_EXPECT_EQ(kt, vec[1], 0);
	KT_EXPECT_EQ(kt, vec[2], 7);
	KT_EXPECT_EQ(kt, sys_mincore(mm, A, 0, NULL), 0);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mincore(mm, A + 5, P(1), vec), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mincore(mm, A + P(6), P(3), vec), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mincore(mm, A - P(1), P(2), vec), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mincore(mm, mm->task_size - P(1), P(2), vec), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mincore(mm, A, P(1), NULL), -EFAULT);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

// SPDX-License-Identifier: MIT
/*
 * mprotect (mm/mprotect.c) on a booted board: split and merge counts, the PTEs' permissions
 * following (a write faults after PROT_READ, works again after PROT_WRITE, data kept),
 * VM_ACCOUNT and the VM counters, PROT_GROWSDOWN, VM_MAY* refusals, and every error code with
 * the address space unchanged (also a range whose first VMA would have changed before a hole).
 */
#include "mman_env.h"

#include <kmm/errno.h>

#define P(n) ((vaddr_t)(n)*PAGE_SIZE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)
#define MEM (256ULL << 20)
#define VM_MAY (VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define A 0x20000000ULL

static long map(struct mm_env *e, vaddr_t addr, size_t len, int prot, int flags)
{
	return sys_mmap(e->mm, addr, len, prot, flags, NULL, 0);
}

/* Splits where a range starts or ends inside a VMA, merges when permissions meet again. */
KTEST(mprotect, split_and_merge)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(10), RW, ANON | MAP_FIXED), (long)A);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(4), P(2), PROT_READ), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(4))->vm_start, A + P(4));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(4))->vm_end, A + P(6));
	/* A private mapping made read-only keeps VM_ACCOUNT (Linux never uncharges). */
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(4))->vm_flags, VM_READ | VM_MAY | VM_ACCOUNT);
	KT_EXPECT_EQ(kt, mm->data_vm, 8u);
	MM_CHECK(kt, &e);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(4), P(2), RW), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm->data_vm, 10u);
	/* The head, the tail, then everything: 2, 3, 1 VMAs. */
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, P(1), PROT_NONE), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 2u);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(9), P(1) - 1, PROT_EXEC), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm->exec_vm, 1u);
	/* Across the three, joining them into one; the same again changes nothing. */
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, P(10), PROT_READ), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, P(10), PROT_READ | PROT_SEM), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm->data_vm + mm->exec_vm, 0u);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, 0, PROT_NONE), 0);
	KT_EXPECT_NULL(kt, vma_check(&mm->vmas, true));
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* The PTEs follow: after PROT_READ a write is SIGSEGV (SEGV_ACCERR), after PROT_NONE a read
 * too; the data survive; write permission comes back. */
KTEST(mprotect, ptes_follow)
{
	struct mm_env e;
	struct ksiginfo info;
	unsigned char c = 0, x = 0x77;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	for (int i = 0; i < 4; i++)
		KT_EXPECT_EQ(kt, mm_poke(&e, A + P(i), (unsigned char)(i + 1)), 0);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(1), P(2), PROT_READ), 0);
	MM_CHECK(kt, &e);
	KT_EXPECT_EQ(kt, sim_user_write(e.t, 0, A + P(2), &x, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_ACCERR);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(2), &c), 0);
	KT_EXPECT_EQ(kt, c, 3);
	KT_EXPECT_EQ(kt, mm_poke(&e, A + P(3), 9), 0);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(1), P(1), PROT_NONE), 0);
	KT_EXPECT_EQ(kt, sim_user_read(e.t, 0, A + P(1), &c, 1, &info), SIGSEGV);
	MM_CHECK(kt, &e);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, P(4), RW), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, mm_poke(&e, A + P(2), 0x33), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(1), &c), 0);
	KT_EXPECT_EQ(kt, c, 2);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + P(2), &c), 0);
	KT_EXPECT_EQ(kt, c, 0x33);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 4u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* VM_MAY* decides: a shared mapping of a read-only file cannot become writable (EACCES), a
 * private one can (and is then charged); a write to it copies the page. */
KTEST(mprotect, may_flags)
{
	struct mm_env e;
	unsigned char c = 0;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	struct file *ro = mm_env_file(kt, &e, 4, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, ro);
	KT_ASSERT_EQ(kt, sys_mmap(mm, A, P(2), PROT_READ, MAP_SHARED | MAP_FIXED, ro, 0), (long)A);
	KT_ASSERT_EQ(kt, sys_mmap(mm, A + P(2), P(2), PROT_READ, MAP_PRIVATE | MAP_FIXED, ro, 0),
		     (long)(A + P(2)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A, P(1), RW), -EACCES);
	/* Over both: the shared one refuses, so the private one does not change either. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A, P(4), RW), -EACCES);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A, P(2), PROT_READ | PROT_EXEC), 0);
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(2), P(2), RW), 0);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A + P(2))->vm_flags,
		     VM_READ | VM_WRITE | VM_MAY | VM_ACCOUNT);
	KT_EXPECT_EQ(kt, mm_poke(&e, A + P(2) + 1, 0xab), 0);
	KT_EXPECT_EQ(kt, mm_peek(&e, A + 1, &c), 0);
	KT_EXPECT_EQ(kt, c, mm_file_byte(1));
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 1u);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* PROT_GROWSDOWN reaches down to the start of a stack VMA; elsewhere it and PROT_GROWSUP are
 * EINVAL. */
KTEST(mprotect, growsdown)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(8), RW, ANON | MAP_FIXED | MAP_GROWSDOWN), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(16), P(2), RW, ANON | MAP_FIXED), (long)(A + P(16)));
	KT_EXPECT_EQ(kt, sys_mprotect(mm, A + P(4), P(2), PROT_READ | PROT_GROWSDOWN), 0);
	KT_EXPECT_EQ(kt, mm->vmas.count, 3u);
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_end, A + P(6));
	KT_EXPECT_EQ(kt, mm_vma_at(mm, A)->vm_flags & (VM_READ | VM_WRITE), VM_READ);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(16), P(1), PROT_READ | PROT_GROWSDOWN),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(16), P(1), PROT_READ | PROT_GROWSUP),
			     -EINVAL);
	MM_EXPECT_FAIL_CLEAN(
	    kt, &e, sys_mprotect(mm, A, P(1), PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), -EINVAL);
	/* The first VMA above the range starts past its end: ENOMEM. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(10), P(2), PROT_READ | PROT_GROWSDOWN),
			     -ENOMEM);
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

/* The remaining errors, each leaving the address space unchanged. */
KTEST(mprotect, errors)
{
	struct mm_env e;

	if (!mm_env_init(kt, &e, MEM))
		return;
	struct mm_struct *mm = e.mm;
	KT_ASSERT_EQ(kt, map(&e, A, P(4), RW, ANON | MAP_FIXED), (long)A);
	KT_ASSERT_EQ(kt, map(&e, A + P(6), P(4), RW, ANON | MAP_FIXED), (long)(A + P(6)));
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + 1, P(1), PROT_READ), -EINVAL);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A, P(1), PROT_READ | 0x10), -EINVAL);
	/* A hole: ENOMEM, and the first VMA keeps its permissions (Linux would have changed it). */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(2), P(6), PROT_READ), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(4), P(1), PROT_READ), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(9), P(2), PROT_READ), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A + P(20), P(1), PROT_READ), -ENOMEM);
	/* The range wrapping around the top of the address space. */
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A, SIZE_MAX - P(1), PROT_READ), -ENOMEM);
	MM_EXPECT_FAIL_CLEAN(kt, &e, sys_mprotect(mm, A, SIZE_MAX, PROT_READ), -ENOMEM);
	/* EACCES: may_flags; ENOMEM at vm.max_map_count: test_mmap.c. */
	MM_CHECK(kt, &e);
	mm_env_fini(kt, &e);
}

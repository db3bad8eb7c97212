// SPDX-License-Identifier: MIT
/*
 * Real aborts on user addresses go to do_page_fault (mm/fault.c), as the simulator's do: a
 * process's address space is switched in on TTBR0 (switch_mm, arch_switch_ttbr0) and the kernel
 * touches it with unprivileged loads and stores (LDTRB/STTRB: EL0's permissions), as
 * copy_{from,to}_user would. Demand paging makes the access succeed; what do_page_fault refuses
 * ends at the access's fixup with -EFAULT.
 */
#include "kernel_test.h"

#include <aarch64/esr.h>
#include <aarch64/traps.h>
#include <kmm/errno.h>
#include <kmm/mm_struct.h>
#include <kmm/mman.h>
#include <kmm/sched.h>

/* Run @t's address space on this CPU (and none when @t is NULL: the zero page again). */
static void switch_to(struct task_struct *t)
{
	bool flush = false;

	if (!t) {
		aarch64_set_current_mm(NULL);
		arch_switch_ttbr0(arch_virt_to_phys(empty_zero_page), false);
		return;
	}
	uint64_t ttbr0 = switch_mm(&asid_default, arch_cpu_id(), t->mm, &flush);
	arch_switch_ttbr0(ttbr0, flush);
	aarch64_set_current_mm(t->mm);
}

static long map_anon(struct task_struct *t, size_t len, int prot)
{
	return sys_mmap(t->mm, 0, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
}

KTEST(kfault, demand_paging_through_real_aborts)
{
	struct task_struct *t = task_create("kfault");
	uint8_t c = 0xff;

	KT_ASSERT_NOT_NULL(kt, t);
	long a = map_anon(t, 3 * PAGE_SIZE, PROT_READ | PROT_WRITE);
	KT_ASSERT_GT(kt, a, 0);
	switch_to(t);
	KT_EXPECT_EQ(kt, aarch64_user_write8((vaddr_t)a + 10, 0x5a), 0);
	KT_EXPECT_EQ(kt, aarch64_user_read8((vaddr_t)a + 10, &c), 0);
	KT_EXPECT_EQ(kt, c, 0x5a);
	KT_EXPECT_EQ(kt, aarch64_user_read8((vaddr_t)a + 2 * PAGE_SIZE, &c), 0);
	KT_EXPECT_EQ(kt, c, 0);
	KT_EXPECT_EQ(kt, aarch64_user_write8((vaddr_t)a + 2 * PAGE_SIZE + 1, 1), 0);
	KT_EXPECT_GE(kt, t->mm->min_flt, 2u);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 2u);
	switch_to(NULL);
	do_exit(t);
}

KTEST(kfault, refused_accesses_fault)
{
	struct task_struct *t = task_create("kfault");
	uint8_t c;

	KT_ASSERT_NOT_NULL(kt, t);
	long ro = map_anon(t, PAGE_SIZE, PROT_READ);
	long none = map_anon(t, PAGE_SIZE, PROT_NONE);
	KT_ASSERT_GT(kt, ro, 0);
	KT_ASSERT_GT(kt, none, 0);
	switch_to(t);

	/* A write to read-only memory: SEGV_ACCERR, the access returns -EFAULT. */
	KT_EXPECT_EQ(kt, aarch64_user_read8((vaddr_t)ro, &c), 0);
	KT_EXPECT_EQ(kt, aarch64_user_write8((vaddr_t)ro, 1), -EFAULT);
	struct aarch64_fault f = aarch64_last_fixup();
	KT_EXPECT_TRUE(kt, esr_is_write(f.esr));
	KT_EXPECT_EQ(kt, f.far, (vaddr_t)ro);

	/* PROT_NONE, and an address no VMA covers. */
	KT_EXPECT_EQ(kt, aarch64_user_read8((vaddr_t)none, &c), -EFAULT);
	KT_EXPECT_EQ(kt, aarch64_user_read8(0x1000, &c), -EFAULT);
	KT_EXPECT_EQ(kt, esr_fsc_type(aarch64_last_fixup().esr), ESR_ELx_FSC_FAULT);

	/* A kernel address with EL0's permissions: a permission fault, not a user fault. */
	KT_EXPECT_EQ(kt, aarch64_user_read8((vaddr_t)_sdata, &c), -EFAULT);
	KT_EXPECT_EQ(kt, esr_fsc_type(aarch64_last_fixup().esr), ESR_ELx_FSC_PERM);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 1u);
	switch_to(NULL);
	do_exit(t);
}

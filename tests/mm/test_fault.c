// SPDX-License-Identifier: MIT
/*
 * Page faults end to end (mm/fault.c, mm/memory.c, platform/sim/process.c): processes built by
 * hand on the booted default board make user accesses at EL0 on simulated CPUs; their faults go
 * through hw_access_esr and do_page_fault. Demand-zero pages, file pages (page cache, major and
 * minor faults, SIGBUS beyond the end), copy-on-write after a hand-built fork (copy and reuse),
 * access-flag faults, SIGSEGV with the kernel carrying on, several CPUs with their own ASIDs,
 * zap giving every page back; the map counts, RSS and VMAs checked after every step.
 */
#include "vm_env.h"

#include "arch/host/host.h"

#include <aarch64/esr.h>
#include <kmm/arch.h>
#include <kmm/boot.h>
#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>

#define VM_RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define VM_RO (VM_READ | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC)
#define ANON 0x10000000ULL /* a user VA not at any table boundary's start */
#define FILEVA 0x20000000ULL

static struct vm_env env;

/* @x evaluated with the kernel's console going to the boot log (its allocation-failure
 * reports), not to the test output. */
#define QUIETLY(e, x)                                                                              \
	({                                                                                         \
		FILE *old_ = host_console_set((e)->log);                                           \
		__typeof__(x) r_ = (x);                                                            \
		host_console_set(old_);                                                            \
		r_;                                                                                \
	})

/* The PTE of @va in @t (0 when none). */
static uint64_t pte_of(struct task_struct *t, vaddr_t va)
{
	uint64_t desc = 0;

	return pgtable_query(&t->mm->pgd, va, NULL, NULL, &desc) ? 0 : desc;
}

static struct page *page_of(struct task_struct *t, vaddr_t va)
{
	uint64_t pte = pte_of(t, va);

	return pte ? pfn_to_page(PHYS_PFN(pte & DESC_OA_MASK)) : NULL;
}

/* Write @c to the @len bytes at @va as @t on @cpu: 0 or the signal. */
static int fill(struct task_struct *t, unsigned int cpu, vaddr_t va, int c, size_t len)
{
	static char buf[4 * PAGE_SIZE];
	struct ksiginfo info;

	memset(buf, c, len);
	return sim_user_write(t, cpu, va, buf, len, &info);
}

/* Whether the @len bytes at @va read by @t on @cpu are all @c (and the read succeeded). */
static bool holds(struct task_struct *t, unsigned int cpu, vaddr_t va, int c, size_t len)
{
	static char buf[4 * PAGE_SIZE];
	struct ksiginfo info;

	if (sim_user_read(t, cpu, va, buf, len, &info))
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (char)c)
			return false;
	return true;
}

/* Demand-zero pages: zeros on first touch, one minor fault per page, the PTE as fault.h gives
 * it; an access across a page boundary faults in both; zap gives every page and table back. */
KTEST(fault, demand_zero)
{
	struct vm_env *e = &env;
	struct task_struct *t;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *vma = vm_vma_add(kt, t, ANON, 16 * PAGE_SIZE, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, vma);
	unsigned long free0 = vm_free_pages();
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 5, 0, 100));
	KT_EXPECT_EQ(kt, t->mm->min_flt, 1);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 1);
	uint64_t pte = pte_of(t, ANON);
	struct pte_attrs a;
	pte_attrs_decode(pte, &a);
	KT_EXPECT_EQ(kt, a.attrindx, MT_NORMAL);
	KT_EXPECT_EQ(kt, a.sh, SH_INNER);
	KT_EXPECT_EQ(kt, a.ap, AP_RW_ALL);
	KT_EXPECT_TRUE(kt, a.af && a.ng && a.pxn && a.uxn);
	struct page *pg = page_of(t, ANON);
	KT_ASSERT_NOT_NULL(kt, pg);
	KT_EXPECT_TRUE(kt, pg->mapping == PAGE_MAPPING_ANON);
	KT_EXPECT_EQ(kt, pg->index, ANON >> PAGE_SHIFT);
	KT_EXPECT_EQ(kt, page_mapcount(pg), 1);
	KT_EXPECT_EQ(kt, page_ref_count(pg), 1);
	/* Across the boundary of pages 3 and 4: two faults, the data reads back. */
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 4 * PAGE_SIZE - 10, 'x', 20), 0);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 3);
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 4 * PAGE_SIZE - 10, 'x', 20));
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 4 * PAGE_SIZE + 10, 0, 100));
	KT_EXPECT_EQ(kt, t->mm->min_flt, 3);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 3);
	KT_EXPECT_EQ(kt, t->mm->hiwater_rss, 3);
	KT_EXPECT_EQ(kt, t->signal.signo, 0);
	VM_CHECK(kt, t);
	/* The pages and the three tables below the root go back; the TLB forgets them. */
	zap_page_range(vma, vma->vm_start, vma->vm_end);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 0);
	KT_EXPECT_EQ(kt, t->mm->pgd.table_pages, 1);
	KT_EXPECT_EQ(kt, vm_free_pages(), free0);
	struct hw_access acc;
	for (int i = 0; i < 5; i++)
		KT_EXPECT_EQ(
		    kt, hw_cpu_translate(vm_env_cpu(e, 0), ANON + i * PAGE_SIZE, MMU_READ, &acc),
		    MMU_FAULT_TRANSLATION);
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_done(kt, e);
}

/* SIGSEGV: no VMA (MAPERR), a VMA without the right (ACCERR), a kernel address; the process
 * is told, with the address, and the kernel and the process's other memory carry on. */
KTEST(fault, sigsegv_and_carry_on)
{
	struct vm_env *e = &env;
	struct ksiginfo info;
	struct task_struct *t;
	char c = 0;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 7);
	KT_ASSERT_NOT_NULL(kt, t);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON + 8 * PAGE_SIZE, PAGE_SIZE, VM_RO, NULL, 0));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON + 9 * PAGE_SIZE, PAGE_SIZE,
					  VM_MAYREAD | VM_MAYWRITE, NULL, 0));
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, ANON + 4 * PAGE_SIZE + 3, &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_MAPERR);
	KT_EXPECT_EQ(kt, info.addr, ANON + 4 * PAGE_SIZE + 3);
	KT_EXPECT_EQ(kt, t->signal.signo, SIGSEGV);
	KT_EXPECT_EQ(kt, t->signal.addr, ANON + 4 * PAGE_SIZE + 3);
	/* Read-only: reads see zeros, a write is refused and the page stays unchanged. */
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 8 * PAGE_SIZE, 0, 64));
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 8 * PAGE_SIZE + 64, 'w', 1), SIGSEGV);
	KT_EXPECT_EQ(kt, t->signal.code, SEGV_ACCERR);
	KT_EXPECT_TRUE(kt, pte_of(t, ANON + 8 * PAGE_SIZE) & PTE_RDONLY);
	/* PROT_NONE: no access at all, nothing mapped. */
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, ANON + 9 * PAGE_SIZE, &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_ACCERR);
	KT_EXPECT_EQ(kt, pte_of(t, ANON + 9 * PAGE_SIZE), 0);
	/* A write that runs off the end of the VMA: the bytes before the hole are written. */
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 4 * PAGE_SIZE - 8, 'e', 16), SIGSEGV);
	KT_EXPECT_EQ(kt, t->signal.addr, ANON + 4 * PAGE_SIZE);
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 4 * PAGE_SIZE - 8, 'e', 8));
	/* Kernel addresses and addresses in neither half. */
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, 0xffff000000001000ULL, &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_MAPERR);
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, 0x0010000000000000ULL, &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_MAPERR);
	/* The process's memory still works. */
	KT_EXPECT_EQ(kt, fill(t, 0, ANON, 'k', 32), 0);
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON, 'k', 32));
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_done(kt, e);
}

/* A file of FILE_BYTES bytes whose byte i is file_byte(i), read through a callback. */
#define FILE_BYTES (3 * PAGE_SIZE + 100)

static uint8_t file_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static long file_read(void *priv, uint64_t off, void *buf, size_t len)
{
	unsigned int *reads = priv;

	(*reads)++;
	for (size_t i = 0; i < len; i++) {
		if (off + i >= FILE_BYTES)
			return (long)i;
		((uint8_t *)buf)[i] = file_byte(off + i);
	}
	return (long)len;
}

static const struct file_backing_ops file_ops = { .read = file_read };

/* Whether @len bytes at @va of @t hold the file's bytes from @off. */
static bool holds_file(struct task_struct *t, unsigned int cpu, vaddr_t va, uint64_t off,
		       size_t len)
{
	static uint8_t buf[PAGE_SIZE];
	struct ksiginfo info;

	if (len > sizeof(buf) || sim_user_read(t, cpu, va, buf, len, &info))
		return false;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != (off + i < FILE_BYTES ? file_byte(off + i) : 0))
			return false;
	return true;
}

/* A private file mapping: the first read of a page is a major fault, the page cache's page
 * mapped read-only; another process's read is minor; a write copies the page (the cache keeps
 * the file's data); the tail of the last page reads zeros and the page after it is SIGBUS. */
KTEST(fault, file_private)
{
	struct vm_env *e = &env;
	struct task_struct *t, *u;
	struct ksiginfo info;
	unsigned int reads = 0;
	char c;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	struct file *f = file_create_backed(&mm_default_system, "/data", FILE_BYTES, &file_ops,
					    &reads, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	t = vm_task_new(kt, 1);
	u = vm_task_new(kt, 2);
	KT_ASSERT_TRUE(kt, t && u);
	/* Offset one page into the file, one page more than the file holds. */
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, FILEVA, 4 * PAGE_SIZE, VM_RW, f, 1));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, u, FILEVA, 4 * PAGE_SIZE, VM_RO, f, 1));
	KT_EXPECT_TRUE(kt, holds_file(t, 0, FILEVA + 10, PAGE_SIZE + 10, 200));
	KT_EXPECT_EQ(kt, t->mm->maj_flt, 1);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 1);
	struct page *cached = filemap_find_page(f->f_mapping, 1);
	KT_EXPECT_TRUE(kt, cached && page_of(t, FILEVA) == cached);
	KT_EXPECT_TRUE(kt, pte_of(t, FILEVA) & PTE_RDONLY);
	KT_EXPECT_TRUE(kt, holds_file(u, 0, FILEVA, PAGE_SIZE, PAGE_SIZE));
	KT_EXPECT_EQ(kt, u->mm->min_flt, 1);
	KT_EXPECT_EQ(kt, u->mm->maj_flt, 0);
	KT_ASSERT_NOT_NULL(kt, cached);
	KT_EXPECT_EQ(kt, page_mapcount(cached), 2);
	KT_EXPECT_EQ(kt, page_ref_count(cached), 3);
	VM_CHECK(kt, t, u);
	/* A write: a private anonymous copy; u and the cache keep the file's data. */
	KT_EXPECT_EQ(kt, fill(t, 0, FILEVA + 8, 'w', 4), 0);
	KT_EXPECT_EQ(kt, t->mm->cow_copies, 1);
	KT_EXPECT_TRUE(kt, page_of(t, FILEVA) != cached);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 1);
	KT_EXPECT_TRUE(kt, holds(t, 0, FILEVA + 8, 'w', 4));
	KT_EXPECT_TRUE(kt, holds_file(t, 0, FILEVA + 12, PAGE_SIZE + 12, 100));
	KT_EXPECT_TRUE(kt, holds_file(u, 0, FILEVA, PAGE_SIZE, 100));
	KT_EXPECT_EQ(kt, page_mapcount(cached), 1);
	/* A write to a page not mapped yet: copied straight from the file (do_cow_fault). */
	KT_EXPECT_EQ(kt, fill(t, 0, FILEVA + PAGE_SIZE, 'v', 1), 0);
	KT_EXPECT_TRUE(kt, holds_file(t, 0, FILEVA + PAGE_SIZE + 1, 2 * PAGE_SIZE + 1, 100));
	KT_EXPECT_EQ(kt, t->mm->cow_copies, 2);
	KT_EXPECT_EQ(kt, t->mm->maj_flt, 2);
	/* The file's last page: 100 bytes, zeros after; the page after the end: SIGBUS. */
	KT_EXPECT_TRUE(kt, holds_file(u, 0, FILEVA + 2 * PAGE_SIZE, 3 * PAGE_SIZE, PAGE_SIZE));
	KT_EXPECT_EQ(kt, sim_user_read(u, 0, FILEVA + 3 * PAGE_SIZE + 5, &c, 1, &info), SIGBUS);
	KT_EXPECT_EQ(kt, info.code, BUS_ADRERR);
	KT_EXPECT_EQ(kt, info.addr, FILEVA + 3 * PAGE_SIZE + 5);
	KT_EXPECT_EQ(kt, fill(t, 0, FILEVA + 3 * PAGE_SIZE, 'b', 1), SIGBUS);
	KT_EXPECT_EQ(kt, t->signal.code, BUS_ADRERR);
	KT_EXPECT_EQ(kt, reads, 3u);
	VM_CHECK(kt, t, u);
	vm_task_free(t);
	VM_CHECK(kt, u);
	vm_task_free(u);
	KT_EXPECT_NULL(kt, filemap_check(f->f_mapping));
	fput(f);
	vm_env_done(kt, e);
}

/* A shared mapping of an in-memory file in two processes: one page, written through either,
 * seen by both, writable at once and dirty; the cache holds a reference of its own. */
KTEST(fault, file_shared)
{
	struct vm_env *e = &env;
	struct task_struct *t, *u;

	if (!vm_env_init(kt, e, 2, 0))
		return;
	struct file *f = file_create_mem(&mm_default_system, "/dev/zero (deleted)", 2 * PAGE_SIZE,
					 FMODE_READ | FMODE_WRITE);
	KT_ASSERT_NOT_NULL(kt, f);
	t = vm_task_new(kt, 1);
	u = vm_task_new(kt, 2);
	KT_ASSERT_TRUE(kt, t && u);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, FILEVA, 2 * PAGE_SIZE, VM_RW | VM_SHARED, f, 0));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, u, ANON, 2 * PAGE_SIZE, VM_RW | VM_SHARED, f, 0));
	KT_EXPECT_TRUE(kt, holds(u, 1, ANON + PAGE_SIZE, 0, 16));
	KT_EXPECT_EQ(kt, pte_of(u, ANON + PAGE_SIZE) & PTE_RDONLY, 0);
	KT_EXPECT_EQ(kt, fill(t, 0, FILEVA + PAGE_SIZE, 's', 16), 0);
	KT_EXPECT_TRUE(kt, holds(u, 1, ANON + PAGE_SIZE, 's', 16));
	KT_EXPECT_EQ(kt, fill(u, 1, ANON + PAGE_SIZE + 16, 'u', 16), 0);
	KT_EXPECT_TRUE(kt, holds(t, 0, FILEVA + PAGE_SIZE + 16, 'u', 16));
	struct page *pg = filemap_find_page(f->f_mapping, 1);
	KT_ASSERT_NOT_NULL(kt, pg);
	KT_EXPECT_TRUE(kt,
		       page_of(t, FILEVA + PAGE_SIZE) == pg && page_of(u, ANON + PAGE_SIZE) == pg);
	KT_EXPECT_TRUE(kt, page_flag(pg, PG_dirty));
	KT_EXPECT_EQ(kt, page_mapcount(pg), 2);
	KT_EXPECT_EQ(kt, page_ref_count(pg), 3);
	KT_EXPECT_EQ(kt, t->mm->cow_copies + u->mm->cow_copies, 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 1);
	VM_CHECK(kt, t, u);
	/* Page 0 read through a read-only mapping of u, then written once the VMA allows it (as
	 * mprotect's flags change before its PTEs do): made writable in place, not copied. */
	struct vm_area_struct *ro = vma_first(&u->mm->vmas);
	ro->vm_flags &= ~VM_WRITE;
	change_protection(ro, ro->vm_start, ro->vm_end, ro->vm_flags);
	KT_EXPECT_TRUE(kt, holds(u, 1, ANON, 0, 8));
	KT_EXPECT_TRUE(kt, pte_of(u, ANON) & PTE_RDONLY);
	ro->vm_flags |= VM_WRITE;
	KT_EXPECT_EQ(kt, fill(u, 1, ANON, 'r', 8), 0);
	KT_EXPECT_EQ(kt, pte_of(u, ANON) & PTE_RDONLY, 0);
	KT_EXPECT_TRUE(kt, page_of(u, ANON) == filemap_find_page(f->f_mapping, 0));
	KT_EXPECT_TRUE(kt, holds(t, 0, FILEVA, 'r', 8));
	KT_EXPECT_EQ(kt, u->mm->cow_copies + u->mm->cow_reuses, 0);
	VM_CHECK(kt, t, u);
	vm_task_free(t);
	vm_task_free(u);
	KT_EXPECT_NULL(kt, filemap_check(f->f_mapping));
	fput(f);
	vm_env_done(kt, e);
}

/* fork by hand, parent and child on two CPUs: anonymous pages shared read-only, the parent's
 * cached writable entry gone; the first writer copies, the last one reuses; a shared mapping
 * stays shared. */
KTEST(fault, cow_copy_and_reuse)
{
	struct vm_env *e = &env;
	struct task_struct *p, *c;

	if (!vm_env_init(kt, e, 2, 0))
		return;
	struct file *shm = file_create_mem(&mm_default_system, "/dev/zero (deleted)", PAGE_SIZE,
					   FMODE_READ | FMODE_WRITE);
	KT_ASSERT_NOT_NULL(kt, shm);
	p = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, p);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, p, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, p, FILEVA, PAGE_SIZE, VM_RW | VM_SHARED, shm, 0));
	KT_EXPECT_EQ(kt, fill(p, 0, ANON, 'p', 2 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(kt, fill(p, 0, FILEVA, 'S', 8), 0);
	c = vm_task_fork(kt, p, 2);
	KT_ASSERT_NOT_NULL(kt, c);
	VM_CHECK(kt, p, c);
	struct page *pg = page_of(p, ANON);
	KT_ASSERT_NOT_NULL(kt, pg);
	KT_EXPECT_TRUE(kt, page_of(c, ANON) == pg);
	KT_EXPECT_EQ(kt, page_mapcount(pg), 2);
	KT_EXPECT_EQ(kt, page_ref_count(pg), 2);
	KT_EXPECT_TRUE(kt, pte_of(p, ANON) & pte_of(c, ANON) & PTE_RDONLY);
	KT_EXPECT_EQ(kt, pte_of(p, FILEVA) & PTE_RDONLY, 0);
	KT_EXPECT_EQ(kt, c->mm->rss[MM_ANONPAGES], 2);
	KT_EXPECT_EQ(kt, c->mm->rss[MM_FILEPAGES], 1);
	/* The child (CPU 1) writes: its own copy; the parent keeps its data. */
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON, 'p', PAGE_SIZE));
	KT_EXPECT_EQ(kt, fill(c, 1, ANON + 100, 'c', 10), 0);
	KT_EXPECT_EQ(kt, c->mm->cow_copies, 1);
	KT_EXPECT_TRUE(kt, page_of(c, ANON) != pg);
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON + 100, 'c', 10));
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON + 110, 'p', 10));
	KT_EXPECT_TRUE(kt, holds(p, 0, ANON + 100, 'p', 10));
	KT_EXPECT_EQ(kt, page_mapcount(pg), 1);
	VM_CHECK(kt, p, c);
	/* The parent (CPU 0, its writable entry flushed by the fork) writes: reuse, no copy, in
	 * one fault (the read-only entry cached by the read before is invalidated with it). */
	KT_EXPECT_TRUE(kt, holds(p, 0, ANON + 200, 'p', 10));
	unsigned long flt = p->mm->min_flt;
	KT_EXPECT_EQ(kt, fill(p, 0, ANON + 200, 'q', 10), 0);
	KT_EXPECT_EQ(kt, p->mm->min_flt, flt + 1);
	KT_EXPECT_EQ(kt, p->mm->cow_reuses, 1);
	KT_EXPECT_EQ(kt, p->mm->cow_copies, 0);
	KT_EXPECT_TRUE(kt, page_of(p, ANON) == pg);
	KT_EXPECT_EQ(kt, pte_of(p, ANON) & PTE_RDONLY, 0);
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON + 200, 'p', 10));
	/* The second page, written by the parent first: copied for it, reused by the child. */
	KT_EXPECT_EQ(kt, fill(p, 0, ANON + PAGE_SIZE, 'P', 1), 0);
	KT_EXPECT_EQ(kt, fill(c, 1, ANON + PAGE_SIZE, 'C', 1), 0);
	KT_EXPECT_EQ(kt, p->mm->cow_copies, 1);
	KT_EXPECT_EQ(kt, c->mm->cow_reuses, 1);
	KT_EXPECT_TRUE(kt, holds(p, 0, ANON + PAGE_SIZE, 'P', 1));
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON + PAGE_SIZE, 'C', 1));
	/* The shared page: the child's write is the parent's. */
	KT_EXPECT_EQ(kt, fill(c, 1, FILEVA, 'X', 4), 0);
	KT_EXPECT_TRUE(kt, holds(p, 0, FILEVA, 'X', 4));
	KT_EXPECT_TRUE(kt, holds(p, 0, FILEVA + 4, 'S', 4));
	VM_CHECK(kt, p, c);
	/* Exit of either side leaves the other's data intact. */
	vm_task_free(p);
	KT_EXPECT_TRUE(kt, holds(c, 1, ANON + 100, 'c', 10));
	VM_CHECK(kt, c);
	vm_task_free(c);
	fput(shm);
	vm_env_done(kt, e);
}

/* A page whose access flag was cleared (as page aging would): the next access takes an
 * access-flag fault, which sets it; it counts as a minor fault and maps nothing new. */
KTEST(fault, access_flag)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	struct ksiginfo info;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON, 2 * PAGE_SIZE, VM_RW, NULL, 0));
	KT_EXPECT_EQ(kt, fill(t, 0, ANON, 'a', 8), 0);
	uint64_t *slot = pgtable_pte_slot(&t->mm->pgd, ANON, false, NULL);
	KT_ASSERT_NOT_NULL(kt, slot);
	uint64_t pte = *slot;
	set_pte(slot, pte & ~PTE_AF);
	arch_flush_tlb_page(mm_asid(t->mm), ANON);
	unsigned long free0 = vm_free_pages();
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON, 'a', 8));
	KT_EXPECT_EQ(kt, *slot, pte);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 2);
	/* A write to an old read-only page: AF and the write permission in one go (reuse). */
	set_pte(slot, (pte & ~PTE_AF) | PTE_RDONLY);
	arch_flush_tlb_page(mm_asid(t->mm), ANON);
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 8, 'b', 8), 0);
	KT_EXPECT_EQ(kt, *slot, pte);
	KT_EXPECT_EQ(kt, t->mm->cow_reuses, 1);
	KT_EXPECT_EQ(kt, vm_free_pages(), free0);
	/* Read-only again with a reference held elsewhere (as a pin would): a write copies. */
	struct page *pg = page_of(t, ANON);
	KT_ASSERT_NOT_NULL(kt, pg);
	get_page(pg);
	set_pte(slot, pte | PTE_RDONLY);
	arch_flush_tlb_page(mm_asid(t->mm), ANON);
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 16, 'c', 8), 0);
	KT_EXPECT_EQ(kt, t->mm->cow_copies, 1);
	KT_EXPECT_TRUE(kt, page_of(t, ANON) != pg);
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON, 'a', 8) && holds(t, 0, ANON + 8, 'b', 8));
	KT_EXPECT_EQ(kt, page_mapcount(pg), 0);
	pg->mapping = NULL; /* the last reference: an anonymous page loses its mapping */
	ms_put_page(&mm_default_system, pg);
	pte = *slot;
	/* The fault entry itself: an access-flag fault from EL0 at level 3. */
	set_pte(slot, pte & ~PTE_AF);
	arch_flush_tlb_page(mm_asid(t->mm), ANON);
	uint64_t esr = esr_make_abort(ESR_ELx_EC_DABT_LOW, ESR_ELx_FSC_ACCESS | 3, false);
	KT_EXPECT_EQ(kt, do_page_fault(t->mm, ANON + 3, esr, &info), 0);
	KT_EXPECT_EQ(kt, info.signo, 0);
	KT_EXPECT_EQ(kt, *slot, pte);
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_fini(e);
}

/* The syndromes do_page_fault takes apart: execute rights, the kernel's own instruction
 * fetches, aborts that are not the VM's. */
KTEST(fault, syndromes)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	struct ksiginfo info;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON, PAGE_SIZE, VM_RW, NULL, 0));
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON + PAGE_SIZE, PAGE_SIZE,
					  VM_READ | VM_EXEC | VM_MAYREAD | VM_MAYEXEC, NULL, 0));
	KT_ASSERT_NOT_NULL(
	    kt, vm_vma_add(kt, t, ANON + 2 * PAGE_SIZE, PAGE_SIZE, VM_EXEC | VM_MAYEXEC, NULL, 0));
	/* Execute: refused on a data VMA, fine on an executable one (UXN clear). */
	KT_EXPECT_EQ(kt, sim_user_exec(t, 0, ANON, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_ACCERR);
	KT_EXPECT_EQ(kt, sim_user_exec(t, 0, ANON + PAGE_SIZE + 8, &info), 0);
	KT_EXPECT_EQ(kt, pte_of(t, ANON + PAGE_SIZE) & (PTE_UXN | PTE_RDONLY), PTE_RDONLY);
	/* Execute-only: readable too, as on AArch64 without FEAT_EPAN; not writable. */
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON + 2 * PAGE_SIZE, 0, 4));
	KT_EXPECT_EQ(kt, fill(t, 0, ANON + 2 * PAGE_SIZE, 1, 1), SIGSEGV);
	KT_EXPECT_EQ(kt, t->signal.code, SEGV_ACCERR);
	/* The kernel fetching from user memory; an external abort; a cache-maintenance read. */
	uint64_t iabt = esr_make_abort(ESR_ELx_EC_IABT_CUR, ESR_ELx_FSC_FAULT | 3, false);
	KT_EXPECT_EQ(kt, do_page_fault(t->mm, ANON + PAGE_SIZE, iabt, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_ACCERR);
	uint64_t sea = esr_make_abort(ESR_ELx_EC_DABT_LOW, ESR_ELx_FSC_EXTABT, false);
	KT_EXPECT_EQ(kt, do_page_fault(t->mm, ANON, sea, &info), SIGBUS);
	KT_EXPECT_EQ(kt, info.code, BUS_OBJERR);
	uint64_t cm = esr_make_abort(ESR_ELx_EC_DABT_CUR, ESR_ELx_FSC_FAULT | 3, true) | ESR_ELx_CM;
	KT_EXPECT_EQ(kt, do_page_fault(t->mm, ANON + PAGE_SIZE, cm, &info), 0);
	KT_EXPECT_FALSE(kt, rwlock_is_locked(&t->mm->mmap_lock));
	/* A PTE that contradicts its VMA (execute-never in an executable one) faults for ever:
	 * the simulated process is killed rather than the access retried without end. */
	uint64_t *slot = pgtable_pte_slot(&t->mm->pgd, ANON + PAGE_SIZE, false, NULL);
	KT_ASSERT_NOT_NULL(kt, slot);
	uint64_t pte = *slot;
	set_pte(slot, pte | PTE_UXN);
	arch_flush_tlb_page(mm_asid(t->mm), ANON + PAGE_SIZE);
	KT_EXPECT_EQ(kt, QUIETLY(e, sim_user_exec(t, 0, ANON + PAGE_SIZE, &info)), SIGKILL);
	KT_EXPECT_EQ(kt, t->signal.signo, SIGKILL);
	set_pte(slot, pte);
	arch_flush_tlb_page(mm_asid(t->mm), ANON + PAGE_SIZE);
	KT_EXPECT_EQ(kt, sim_user_exec(t, 0, ANON + PAGE_SIZE, &info), 0);
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_fini(e);
}

/* Stack growth: an access below a VM_GROWSDOWN VMA grows it (expand_stack) down to the page;
 * beyond RLIMIT_STACK or into the guard gap above another VMA it is SEGV_MAPERR. */
KTEST(fault, stack_growth)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	struct ksiginfo info;
	const vaddr_t top = 0x7ff000000000ULL, low = top - (64ULL << 20);
	char c = 0;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *stack =
	    vm_vma_add(kt, t, top - 4 * PAGE_SIZE, 4 * PAGE_SIZE, VM_RW | VM_GROWSDOWN, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, stack);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, low, PAGE_SIZE, VM_RW, NULL, 0));
	KT_EXPECT_EQ(kt, fill(t, 0, top - 10 * PAGE_SIZE + 8, 's', 8), 0);
	KT_EXPECT_EQ(kt, stack->vm_start, top - 10 * PAGE_SIZE);
	KT_EXPECT_TRUE(kt, holds(t, 0, top - 10 * PAGE_SIZE + 8, 's', 8));
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 1);
	/* Past RLIMIT_STACK (8 MiB from the top): not grown. */
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, top - (9ULL << 20), &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_MAPERR);
	KT_EXPECT_EQ(kt, stack->vm_start, top - 10 * PAGE_SIZE);
	/* With the rlimit raised, down to the guard gap above the VMA below, not into it. */
	t->mm->stack_rlimit = 128ULL << 20;
	vaddr_t gap_end = low + PAGE_SIZE + STACK_GUARD_GAP;
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, gap_end - 1, &c, 1, &info), SIGSEGV);
	KT_EXPECT_EQ(kt, info.code, SEGV_MAPERR);
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, gap_end, &c, 1, &info), 0);
	KT_EXPECT_EQ(kt, stack->vm_start, gap_end);
	KT_EXPECT_FALSE(kt, rwlock_is_locked(&t->mm->mmap_lock));
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_done(kt, e);
}

/* Four processes on four CPUs map the same VA to pages of their own: each sees its own data
 * through TLB entries tagged with its own ASID, over several rounds. */
KTEST(fault, cpus_and_asids)
{
	struct vm_env *e = &env;
	struct task_struct *t[4];

	if (!vm_env_init(kt, e, 4, 0))
		return;
	for (int i = 0; i < 4; i++) {
		t[i] = vm_task_new(kt, i + 1);
		KT_ASSERT_NOT_NULL(kt, t[i]);
		KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t[i], ANON, PAGE_SIZE, VM_RW, NULL, 0));
	}
	for (unsigned int round = 0; round < 3; round++)
		for (unsigned int i = 0; i < 4; i++) {
			unsigned int cpu = (i + round) % 4;

			if (round)
				KT_EXPECT_TRUE(kt, holds(t[i], cpu, ANON, 'A' + (int)i, 16));
			else
				KT_EXPECT_EQ(kt, fill(t[i], cpu, ANON, 'A' + (int)i, 16), 0);
		}
	for (int i = 1; i < 4; i++)
		KT_EXPECT_NE(kt, mm_asid(t[i]->mm), mm_asid(t[0]->mm));
	struct hw_access acc;
	sim_task_switch(t[2], 3);
	KT_EXPECT_EQ(kt, hw_cpu_translate(vm_env_cpu(e, 3), ANON, MMU_READ, &acc), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, acc.tlb_hit);
	KT_EXPECT_EQ(kt, vm_env_cpu(e, 3)->el, 0);
	VM_CHECK(kt, t[0], t[1], t[2], t[3]);
	for (int i = 0; i < 4; i++)
		vm_task_free(t[i]);
	vm_env_done(kt, e);
}

/* Zap of a large, sparse range in parts: more pages than one gather batch, several level-3
 * tables; every page and table comes back and no CPU still translates any of it. */
KTEST(fault, zap_frees_everything)
{
	struct vm_env *e = &env;
	struct task_struct *t, *c;
	const size_t len = 1200 * PAGE_SIZE; /* three level-3 tables */
	vaddr_t va = 0x40000000ULL - 100 * PAGE_SIZE;

	if (!vm_env_init(kt, e, 2, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *vma = vm_vma_add(kt, t, va, len, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, vma);
	unsigned long free0 = vm_free_pages();
	for (size_t off = 0; off < len; off += PAGE_SIZE)
		if (off % (3 * PAGE_SIZE) != PAGE_SIZE)
			KT_ASSERT_EQ(kt, fill(t, off & PAGE_SIZE ? 1 : 0, va + off, 1, 8), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 800);
	c = vm_task_fork(kt, t, 2);
	KT_ASSERT_NOT_NULL(kt, c);
	VM_CHECK(kt, t, c);
	/* The child goes first: the pages stay, shared no more. */
	vm_task_free(c);
	VM_CHECK(kt, t);
	/* Both CPUs hold TLB entries for some pages about to go. */
	const size_t probe[] = { 12, 300, 600, 999, 1188 };
	for (unsigned int cpu = 0; cpu < 2; cpu++)
		for (size_t i = 0; i < ARRAY_SIZE(probe); i++)
			KT_EXPECT_TRUE(kt, holds(t, cpu, va + probe[i] * PAGE_SIZE, 1, 8));
	zap_page_range(vma, va + 10 * PAGE_SIZE, va + len - 10 * PAGE_SIZE);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 14);
	VM_CHECK(kt, t);
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		for (size_t i = 0; i < ARRAY_SIZE(probe); i++) {
			struct hw_access acc;

			host_set_cpu(cpu);
			KT_EXPECT_EQ(kt,
				     hw_cpu_translate(vm_env_cpu(e, cpu), va + probe[i] * PAGE_SIZE,
						      MMU_READ, &acc),
				     MMU_FAULT_TRANSLATION);
		}
	}
	KT_EXPECT_TRUE(kt, holds(t, 0, va + 9 * PAGE_SIZE, 1, 8));
	zap_page_range(vma, va, va + len);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 0);
	KT_EXPECT_EQ(kt, t->mm->pgd.table_pages, 1);
	KT_EXPECT_EQ(kt, vm_free_pages(), free0);
	vm_task_free(t);
	vm_env_done(kt, e);
}

/* mprotect's table side: write taken away faults ACCERR; given back, an exclusive page is
 * writable at once and a page shared with a child stays copy-on-write. */
KTEST(fault, change_protection)
{
	struct vm_env *e = &env;
	struct task_struct *p, *c;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	p = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, p);
	struct vm_area_struct *vma = vm_vma_add(kt, p, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, vma);
	KT_EXPECT_EQ(kt, fill(p, 0, ANON, 'm', 3 * PAGE_SIZE), 0);
	vma->vm_flags = VM_RO;
	KT_EXPECT_EQ(kt, change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RO), 3);
	KT_EXPECT_EQ(kt, fill(p, 0, ANON + PAGE_SIZE, 'n', 1), SIGSEGV);
	KT_EXPECT_EQ(kt, p->signal.code, SEGV_ACCERR);
	KT_EXPECT_TRUE(kt, holds(p, 0, ANON + PAGE_SIZE, 'm', 8));
	KT_EXPECT_EQ(kt, change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RO), 0);
	/* Page 2 shared with a child; back to read-write. */
	vma->vm_flags = VM_RW;
	KT_EXPECT_EQ(kt, change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RW), 3);
	KT_EXPECT_EQ(kt, change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RW), 0);
	c = vm_task_fork(kt, p, 2);
	KT_ASSERT_NOT_NULL(kt, c);
	vma->vm_flags = VM_RO;
	change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RO);
	vma->vm_flags = VM_RW;
	zap_page_range(vma_first(&c->mm->vmas), ANON, ANON + 2 * PAGE_SIZE);
	KT_EXPECT_EQ(kt, change_protection(vma, ANON, ANON + 4 * PAGE_SIZE, VM_RW), 2);
	KT_EXPECT_EQ(kt, pte_of(p, ANON) & PTE_RDONLY, 0);
	KT_EXPECT_TRUE(kt, pte_of(p, ANON + 2 * PAGE_SIZE) & PTE_RDONLY);
	unsigned long flt = p->mm->min_flt;
	KT_EXPECT_EQ(kt, fill(p, 0, ANON, 'o', 1), 0);
	KT_EXPECT_EQ(kt, p->mm->min_flt, flt);
	KT_EXPECT_EQ(kt, fill(p, 0, ANON + 2 * PAGE_SIZE, 'o', 1), 0);
	KT_EXPECT_EQ(kt, p->mm->cow_copies, 1);
	KT_EXPECT_TRUE(kt, holds(c, 0, ANON + 2 * PAGE_SIZE, 'm', 1));
	VM_CHECK(kt, p, c);
	vm_task_free(c);
	vm_task_free(p);
	vm_env_done(kt, e);
}

/* mremap's table side: the PTEs move to the new VAs with their pages and counts; the old VAs
 * no longer translate on any CPU. No tables for the new range: nothing changes. */
KTEST(fault, move_page_tables)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	vaddr_t to = 0x7f0000000000ULL + 3 * PAGE_SIZE;

	if (!vm_env_init(kt, e, 2, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *vma = vm_vma_add(kt, t, ANON, 8 * PAGE_SIZE, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, vma);
	for (int i = 0; i < 8; i += 2)
		KT_ASSERT_EQ(
		    kt, fill(t, (unsigned int)i / 2 % 2, ANON + i * PAGE_SIZE, 'a' + i, 16), 0);
	for (unsigned int cpu = 0; cpu < 2; cpu++) /* both CPUs cache every page */
		for (int i = 0; i < 8; i += 2)
			KT_EXPECT_TRUE(kt, holds(t, cpu, ANON + i * PAGE_SIZE, 'a' + i, 16));
	unsigned long tables = t->mm->pgd.table_pages, free0 = vm_free_pages();
	struct vm_area_struct *nv = vm_vma_add(kt, t, to, 8 * PAGE_SIZE, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, nv);
	/* Three new tables below the root, and the three old ones freed. */
	KT_EXPECT_EQ(kt, move_page_tables(vma, ANON, nv, to, 8 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(kt, t->mm->pgd.table_pages, tables);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 4);
	for (int i = 0; i < 8; i++) {
		KT_EXPECT_EQ(kt, pte_of(t, ANON + i * PAGE_SIZE), 0);
		KT_EXPECT_EQ(kt, !!pte_of(t, to + i * PAGE_SIZE), i % 2 == 0);
	}
	for (unsigned int cpu = 0; cpu < 2; cpu++) {
		for (int i = 0; i < 8; i += 2) {
			struct hw_access acc;

			host_set_cpu(cpu);
			KT_EXPECT_EQ(kt,
				     hw_cpu_translate(vm_env_cpu(e, cpu), ANON + i * PAGE_SIZE,
						      MMU_READ, &acc),
				     MMU_FAULT_TRANSLATION);
		}
	}
	/* The old VMA goes, as mremap would remove it. */
	vma_remove(&t->mm->vmas, vma);
	vm_stat_account(t->mm, vma->vm_flags, -8);
	vm_area_free(vma);
	for (int i = 0; i < 8; i += 2)
		KT_EXPECT_TRUE(kt, holds(t, 1, to + i * PAGE_SIZE, 'a' + i, 16));
	KT_EXPECT_EQ(kt, vm_free_pages(), free0);
	VM_CHECK(kt, t);
	vm_task_free(t);
	vm_env_done(kt, e);
}

/* Take every free page of the page allocator; give them back with grab_release. */
struct grab {
	struct page **pages;
	size_t n;
};

static void grab_all(struct grab *g)
{
	size_t cap = vm_free_pages() + 64;
	struct page *p;

	g->pages = malloc(cap * sizeof(*g->pages));
	g->n = 0;
	while (g->pages && g->n < cap &&
	       (p = ms_alloc_pages(&mm_default_system, GFP_KERNEL | __GFP_NOWARN, 0)))
		g->pages[g->n++] = p;
}

static void grab_release(struct grab *g)
{
	while (g->n)
		ms_free_pages(&mm_default_system, g->pages[--g->n], 0);
	free(g->pages);
}

/* Out of memory: a fault that needs a page or a table is SIGKILL (the OOM case), a fork's copy
 * fails cleanly, a table-less move changes nothing, and with the memory back everything works. */
KTEST(fault, out_of_memory)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	struct ksiginfo info;
	struct grab g;
	vaddr_t to = 0x7f0000000000ULL;

	if (!vm_env_init(kt, e, 1, 64ULL << 20))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *vma = vm_vma_add(kt, t, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0);
	struct vm_area_struct *nv = vm_vma_add(kt, t, to, 4 * PAGE_SIZE, VM_RW, NULL, 0);
	struct file *f = file_create_mem(&mm_default_system, "/shm", PAGE_SIZE, FMODE_READ);
	KT_ASSERT_TRUE(kt, vma && nv && f);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, FILEVA, PAGE_SIZE, VM_RW, f, 0));
	KT_EXPECT_EQ(kt, fill(t, 0, ANON, 'o', 8), 0);
	int err = 0;
	struct page *cached = filemap_get_page(f->f_mapping, 0, NULL, &err);
	KT_ASSERT_NOT_NULL(kt, cached); /* in the page cache, not mapped */
	ms_put_page(&mm_default_system, cached);
	struct task_struct *c = vm_task_new(kt, 2);
	KT_ASSERT_NOT_NULL(kt, c);
	struct vm_area_struct *cv = vm_vma_add(kt, c, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0);
	KT_ASSERT_NOT_NULL(kt, cv);
	struct task_struct *sharer = vm_task_fork(kt, t, 3); /* ANON's page is copy-on-write */
	KT_ASSERT_NOT_NULL(kt, sharer);
	unsigned long tables = t->mm->pgd.table_pages;
	grab_all(&g);
	KT_EXPECT_GT(kt, g.n, 0);
	KT_EXPECT_EQ(kt, QUIETLY(e, fill(t, 0, ANON + PAGE_SIZE, 'o', 8)), SIGKILL);
	KT_EXPECT_EQ(kt, t->signal.signo, SIGKILL);
	KT_EXPECT_EQ(kt, QUIETLY(e, fill(t, 0, to, 'o', 8)), SIGKILL); /* a table needed too */
	KT_EXPECT_EQ(kt, QUIETLY(e, fill(t, 0, FILEVA, 'o', 8)),
		     SIGKILL);						 /* a cached page's copy */
	KT_EXPECT_EQ(kt, QUIETLY(e, fill(t, 0, ANON, 'o', 8)), SIGKILL); /* no page for the copy */
	KT_EXPECT_EQ(kt, t->mm->cow_copies, 0);
	/* fork without memory for the child's tables: -ENOMEM, the child torn down after. */
	KT_EXPECT_EQ(kt, QUIETLY(e, copy_page_range(cv, vma)), -ENOMEM);
	VM_CHECK(kt, t, c, sharer);
	vm_task_free(c);
	KT_EXPECT_EQ(kt, QUIETLY(e, move_page_tables(vma, ANON, nv, to, 4 * PAGE_SIZE)), -ENOMEM);
	KT_EXPECT_EQ(kt, t->mm->pgd.table_pages, tables);
	KT_EXPECT_NE(kt, pte_of(t, ANON), 0);
	KT_EXPECT_EQ(kt, QUIETLY(e, populate_range(vma, ANON, ANON + 4 * PAGE_SIZE, true)),
		     -ENOMEM);
	grab_release(&g);
	VM_CHECK(kt, t, sharer);
	vm_task_free(sharer);
	KT_EXPECT_EQ(kt, populate_range(vma, ANON, ANON + 4 * PAGE_SIZE, true), 0);
	KT_EXPECT_TRUE(kt, holds(t, 0, ANON, 'o', 8));
	char byte;
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, ANON + 3 * PAGE_SIZE, &byte, 1, &info), 0);
	VM_CHECK(kt, t);
	vm_task_free(t);
	fput(f);
	vm_env_done(kt, e);
}

/* populate_range: every page present afterwards, later accesses fault no more; a write
 * population of a private file mapping copies; SIGBUS beyond the file is -EFAULT. */
KTEST(fault, populate)
{
	struct vm_env *e = &env;
	struct task_struct *t;
	unsigned int reads = 0;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	struct file *f = file_create_backed(&mm_default_system, "/data", FILE_BYTES, &file_ops,
					    &reads, FMODE_READ);
	KT_ASSERT_NOT_NULL(kt, f);
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	struct vm_area_struct *a = vm_vma_add(kt, t, ANON, 8 * PAGE_SIZE, VM_RW, NULL, 0);
	struct vm_area_struct *fv = vm_vma_add(kt, t, FILEVA, 5 * PAGE_SIZE, VM_RW, f, 0);
	KT_ASSERT_TRUE(kt, a && fv);
	KT_EXPECT_EQ(kt, populate_range(a, ANON, ANON + 8 * PAGE_SIZE, false), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 8);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 8);
	KT_EXPECT_EQ(kt, populate_range(a, ANON, ANON + 8 * PAGE_SIZE, true), 0);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 8);
	KT_EXPECT_EQ(kt, fill(t, 0, ANON, 'p', 4 * PAGE_SIZE), 0);
	KT_EXPECT_EQ(kt, t->mm->min_flt, 8);
	/* The file: read population maps the cache's pages; write population copies them. */
	KT_EXPECT_EQ(kt, populate_range(fv, FILEVA, FILEVA + 2 * PAGE_SIZE, false), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 2);
	KT_EXPECT_EQ(kt, populate_range(fv, FILEVA, FILEVA + 4 * PAGE_SIZE, true), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 0);
	KT_EXPECT_EQ(kt, t->mm->cow_copies, 4);
	KT_EXPECT_TRUE(kt, holds_file(t, 0, FILEVA + 3 * PAGE_SIZE, 3 * PAGE_SIZE, 200));
	KT_EXPECT_EQ(kt, populate_range(fv, FILEVA, FILEVA + 5 * PAGE_SIZE, false), -EFAULT);
	VM_CHECK(kt, t);
	vm_task_free(t);
	fput(f);
	vm_env_done(kt, e);
}

/* mm_check_mapcounts finds a map count that is off either way, or a PTE to a free page, and
 * leaves every count as it found it. */
KTEST(fault, check_mapcounts_catches)
{
	struct vm_env *e = &env;
	struct task_struct *t, *c;

	if (!vm_env_init(kt, e, 1, 0))
		return;
	t = vm_task_new(kt, 1);
	KT_ASSERT_NOT_NULL(kt, t);
	KT_ASSERT_NOT_NULL(kt, vm_vma_add(kt, t, ANON, 4 * PAGE_SIZE, VM_RW, NULL, 0));
	KT_EXPECT_EQ(kt, fill(t, 0, ANON, 'z', 4 * PAGE_SIZE), 0);
	c = vm_task_fork(kt, t, 2);
	KT_ASSERT_NOT_NULL(kt, c);
	struct mm_struct *mms[2] = { t->mm, c->mm };
	struct page *pg = page_of(t, ANON + 2 * PAGE_SIZE);
	KT_ASSERT_NOT_NULL(kt, pg);
	KT_EXPECT_NULL(kt, mm_check_mapcounts(mms, 2));
	/* The child's PTEs left out: every page is mapped more often than t's PTEs say. */
	const char *msg = mm_check_mapcounts(mms, 1);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "above") ? msg : NULL);
	pg->_mapcount++;
	pg->_refcount++;
	msg = mm_check_mapcounts(mms, 2);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "above") ? msg : NULL);
	KT_EXPECT_EQ(kt, page_mapcount(pg), 3);
	pg->_mapcount -= 2;
	msg = mm_check_mapcounts(mms, 2);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "below") ? msg : NULL);
	KT_EXPECT_EQ(kt, page_mapcount(pg), 1);
	pg->_mapcount++;
	pg->_refcount -= 2;
	msg = mm_check_mapcounts(mms, 2);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "reference count") ? msg : NULL);
	pg->_refcount++;
	/* A mapped page that is neither anonymous nor cached. */
	pg->mapping = NULL;
	msg = mm_check_mapcounts(mms, 2);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "neither") ? msg : NULL);
	pg->mapping = PAGE_MAPPING_ANON;
	/* A PTE to a page that is free. */
	struct page *free_pg = ms_alloc_pages(&mm_default_system, GFP_KERNEL, 0);
	KT_ASSERT_NOT_NULL(kt, free_pg);
	ms_free_pages(&mm_default_system, free_pg, 0);
	uint64_t *slot = pgtable_pte_slot(&c->mm->pgd, ANON + 3 * PAGE_SIZE, false, NULL);
	uint64_t saved = *slot;
	set_pte(slot, (saved & ~DESC_OA_MASK) | PFN_PHYS(page_to_pfn(free_pg)));
	msg = mm_check_mapcounts(mms, 2);
	KT_EXPECT_NOT_NULL(kt, msg && strstr(msg, "free") ? msg : NULL);
	set_pte(slot, saved);
	for (int i = 0; i < 4; i++)
		KT_EXPECT_EQ(kt, page_mapcount(page_of(t, ANON + i * PAGE_SIZE)), 2);
	KT_EXPECT_NULL(kt, mm_check_mapcounts(mms, 2));
	VM_CHECK(kt, t, c);
	vm_task_free(c);
	vm_task_free(t);
	vm_env_fini(e);
}

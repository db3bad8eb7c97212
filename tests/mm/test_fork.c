// SPDX-License-Identifier: MIT
/*
 * Processes (mm/fork.c) on the booted default board: pids and the task list; fork copying every
 * VMA but VM_DONTCOPY ones, sharing a file mapping's page cache and anonymous pages copy-on-write
 * (each side's writes stay its own, read back through the simulated MMU); exit returning every
 * page, table page, VMA and file reference; a fork that runs out of memory at every possible
 * point leaving nothing behind.
 *
 * The parent's address space:
 *
 *   0x10000000  8 pages  rw-p  anonymous, each page written ("anon")
 *   0x10100000  4 pages  rw-s  an in-memory file, shared, written ("shared")
 *   0x10200000  2 pages  rw-p  anonymous, VM_DONTCOPY (madvise(MADV_DONTFORK)), written
 *   0x10300000  2 pages  r--p  the same file, private, read
 */
#include "vm_env.h"

#include "../host/capture.h"

#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/slab.h>

#include <stdlib.h>
#include <string.h>

#define ANON 0x10000000UL
#define SHARED 0x10100000UL
#define NOFORK 0x10200000UL
#define PRIV 0x10300000UL
#define RW (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE)

/* What the kernel holds: free pages (empty slabs given back first) and live slab objects. */
struct footprint {
	unsigned long free_pages, objects;
};

static struct footprint footprint(void)
{
	struct footprint f = { 0 };
	struct kmem_cache *s;

	list_for_each_entry (s, &slab_default_system.caches, list) {
		kmem_cache_shrink(s);
		f.objects += kmem_cache_live_objects(s);
	}
	f.free_pages = vm_free_pages();
	return f;
}

static void footprint_same(struct ktest *kt, struct footprint a, struct footprint b)
{
	KT_EXPECT_EQ(kt, a.free_pages, b.free_pages);
	KT_EXPECT_EQ(kt, a.objects, b.objects);
}

/* Fill @t's page at @va with @byte through the MMU (CPU 0), as the process would. */
static bool fill(struct ktest *kt, struct task_struct *t, vaddr_t va, uint8_t byte)
{
	static uint8_t buf[PAGE_SIZE];
	struct ksiginfo info;

	memset(buf, byte, sizeof(buf));
	return KT_EXPECT_EQ(kt, sim_user_write(t, 0, va, buf, PAGE_SIZE, &info), 0);
}

/* @t's page at @va holds @byte throughout. */
static bool holds(struct ktest *kt, struct task_struct *t, vaddr_t va, uint8_t byte)
{
	static uint8_t buf[PAGE_SIZE];
	struct ksiginfo info;
	size_t i = 0;

	if (!KT_EXPECT_EQ(kt, sim_user_read(t, 0, va, buf, PAGE_SIZE, &info), 0))
		return false;
	while (i < PAGE_SIZE && buf[i] == byte)
		i++;
	if (i < PAGE_SIZE)
		ktest_log(kt, "pid %d at 0x%lx + %zu: 0x%02x, not 0x%02x", t->pid,
			  (unsigned long)va, i, buf[i], byte);
	return KT_EXPECT_EQ(kt, i, PAGE_SIZE);
}

/* The parent of the drawing above, its pages written; the file is returned in *@file. */
static struct task_struct *make_parent(struct ktest *kt, struct file **file)
{
	struct task_struct *t = task_create("parent");
	bool ok = KT_EXPECT_NOT_NULL(kt, t);

	*file = file_create_mem(&mm_default_system, "/dev/shm/forktest", 4 * PAGE_SIZE,
				FMODE_READ | FMODE_WRITE);
	ok = ok && KT_EXPECT_NOT_NULL(kt, *file);
	ok = ok && vm_vma_add(kt, t, ANON, 8 * PAGE_SIZE, RW, NULL, 0);
	ok = ok && vm_vma_add(kt, t, SHARED, 4 * PAGE_SIZE, RW | VM_SHARED | VM_MAYSHARE, *file, 0);
	ok = ok && vm_vma_add(kt, t, NOFORK, 2 * PAGE_SIZE, RW | VM_DONTCOPY, NULL, 0);
	ok = ok && vm_vma_add(kt, t, PRIV, 2 * PAGE_SIZE, VM_READ | VM_MAYREAD, *file, 0);
	for (unsigned int i = 0; ok && i < 8; i++)
		ok = fill(kt, t, ANON + i * PAGE_SIZE, (uint8_t)(0x10 + i));
	for (unsigned int i = 0; ok && i < 4; i++)
		ok = fill(kt, t, SHARED + i * PAGE_SIZE, (uint8_t)(0x20 + i));
	for (unsigned int i = 0; ok && i < 2; i++)
		ok = fill(kt, t, NOFORK + i * PAGE_SIZE, 0x30);
	return ok && holds(kt, t, PRIV, 0x20) ? t : NULL;
}

/* The child has the parent's VMAs but the VM_DONTCOPY one, same files, same attributes. */
static void expect_vmas_copied(struct ktest *kt, struct task_struct *p, struct task_struct *c)
{
	const struct vm_area_struct *pv = vma_first(&p->mm->vmas);
	const struct vm_area_struct *cv = vma_first(&c->mm->vmas);

	for (; pv; pv = vma_next(pv)) {
		if (pv->vm_flags & VM_DONTCOPY)
			continue;
		if (!KT_EXPECT_NOT_NULL(kt, cv))
			return;
		KT_EXPECT_EQ(kt, cv->vm_start, pv->vm_start);
		KT_EXPECT_EQ(kt, cv->vm_end, pv->vm_end);
		KT_EXPECT_EQ(kt, cv->vm_flags, pv->vm_flags);
		KT_EXPECT_EQ(kt, cv->vm_pgoff, pv->vm_pgoff);
		KT_EXPECT_TRUE(kt, cv->vm_file == pv->vm_file);
		KT_EXPECT_TRUE(kt, cv->vm_mm == c->mm);
		cv = vma_next(cv);
	}
	KT_EXPECT_NULL(kt, cv);
	KT_EXPECT_EQ(kt, c->mm->total_vm, p->mm->total_vm - 2);
	KT_EXPECT_EQ(kt, c->mm->data_vm, 8u);
}

/* Pids count up from 1 on a fresh boot; the task list is in creation order; find_task_by_pid
 * finds the live ones only; an orphan's parent becomes NULL. */
KTEST(fork, pids_and_task_list)
{
	struct vm_env e;
	struct task_struct *a, *b, *c, *t;
	int n = 0;

	if (!vm_env_init(kt, &e, 1, 64ULL << 20))
		return;
	struct footprint before = footprint();
	a = task_create("a-very-long-process-name");
	KT_ASSERT_NOT_NULL(kt, a);
	KT_EXPECT_EQ(kt, a->pid, 1);
	KT_EXPECT_STREQ(kt, a->comm, "a-very-long-pro"); /* TASK_COMM_LEN - 1 characters */
	KT_EXPECT_NULL(kt, a->parent);
	KT_ASSERT_EQ(kt, do_fork(a, &b), 0);
	KT_ASSERT_EQ(kt, do_fork(b, &c), 0);
	KT_EXPECT_EQ(kt, b->pid, 2);
	KT_EXPECT_EQ(kt, c->pid, 3);
	KT_EXPECT_TRUE(kt, b->parent == a && c->parent == b);
	KT_EXPECT_STREQ(kt, c->comm, "a-very-long-pro");
	list_for_each_entry (t, &task_list, tasks)
		KT_EXPECT_EQ(kt, t->pid, ++n);
	KT_EXPECT_EQ(kt, n, 3);
	KT_EXPECT_TRUE(kt, find_task_by_pid(2) == b);
	do_exit(b);
	KT_EXPECT_NULL(kt, find_task_by_pid(2));
	KT_EXPECT_NULL(kt, c->parent);
	t = task_create("d");
	KT_ASSERT_NOT_NULL(kt, t);
	KT_EXPECT_EQ(kt, t->pid, 4); /* pids are not reused at once */
	do_exit(t);
	do_exit(c);
	do_exit(a);
	KT_EXPECT_TRUE(kt, list_empty(&task_list));
	footprint_same(kt, before, footprint());
	vm_env_fini(&e);
}

/* Pids wrap from 32767 to 300 (Linux's PID_MAX_DEFAULT and RESERVED_PIDS), skipping live ones. */
KTEST(fork, pids_wrap_past_live_ones)
{
	struct vm_env e;
	struct task_struct *keep300 = NULL, *t;

	if (!vm_env_init(kt, &e, 1, 64ULL << 20))
		return;
	for (int pid = 1; pid < 0x8000; pid++) {
		t = task_create("t");
		KT_ASSERT_NOT_NULL(kt, t);
		if (!KT_EXPECT_EQ(kt, t->pid, pid))
			break;
		if (pid == 300)
			keep300 = t;
		else
			do_exit(t);
	}
	t = task_create("t");
	KT_ASSERT_NOT_NULL(kt, t);
	KT_EXPECT_EQ(kt, t->pid, 301);
	do_exit(t);
	if (keep300)
		do_exit(keep300);
	vm_env_fini(&e);
}

/* fork copies the address space: equal contents, copy-on-write on both sides, the shared file
 * mapping shared, VM_DONTCOPY left out; exit gives everything back. */
KTEST(fork, copy_on_write_and_exit)
{
	struct vm_env e;
	struct task_struct *p, *c;
	struct file *file;

	if (!vm_env_init(kt, &e, 2, 64ULL << 20))
		return;
	struct footprint before = footprint();
	p = make_parent(kt, &file);
	KT_ASSERT_NOT_NULL(kt, p);
	unsigned long refs = file->refcount, anon = p->mm->rss[MM_ANONPAGES];
	KT_ASSERT_EQ(kt, do_fork(p, &c), 0);
	KT_EXPECT_EQ(kt, file->refcount, refs + 2); /* the two file VMAs */
	expect_vmas_copied(kt, p, c);
	KT_EXPECT_EQ(kt, c->mm->rss[MM_ANONPAGES], anon - 2); /* not the VM_DONTCOPY pages */
	VM_CHECK(kt, p, c);

	for (unsigned int i = 0; i < 8; i++)
		holds(kt, c, ANON + i * PAGE_SIZE, (uint8_t)(0x10 + i));
	fill(kt, c, ANON, 0xc0);	     /* the child's copy */
	fill(kt, p, ANON + PAGE_SIZE, 0xb0); /* the parent's copy */
	holds(kt, p, ANON, 0x10);
	holds(kt, c, ANON + PAGE_SIZE, 0x11);
	holds(kt, c, ANON, 0xc0);
	fill(kt, c, SHARED, 0xcc); /* shared: both see it, and the private mapping of the file */
	holds(kt, p, SHARED, 0xcc);
	holds(kt, c, PRIV, 0xcc);
	KT_EXPECT_EQ(kt, c->mm->cow_copies, 1u);
	KT_EXPECT_EQ(kt, p->mm->cow_copies, 1u);
	KT_EXPECT_NULL(kt, find_vma_intersection(&c->mm->vmas, NOFORK, NOFORK + PAGE_SIZE));
	VM_CHECK(kt, p, c);

	do_exit(c);
	KT_EXPECT_EQ(kt, file->refcount, refs);
	VM_CHECK(kt, p);
	fill(kt, p, ANON + 2 * PAGE_SIZE, 0xb2); /* the last mapper reuses its page */
	KT_EXPECT_GE(kt, p->mm->cow_reuses, 1u);
	holds(kt, p, ANON + 2 * PAGE_SIZE, 0xb2);
	do_exit(p);
	KT_EXPECT_EQ(kt, file->refcount, 1u);
	fput(file);
	footprint_same(kt, before, footprint());
	vm_env_fini(&e);
}

/* Keep all but @spare free pages allocated; the pages in *@held (freed by pages_release). */
static struct page **pages_hog(unsigned long spare, unsigned long *held)
{
	static const gfp_t gfps[] = { GFP_KERNEL | __GFP_NOWARN,
				      GFP_HIGHUSER_MOVABLE | __GFP_NOWARN };
	unsigned long cap = vm_free_pages() + 16, n = 0;
	struct page **v = malloc(cap * sizeof(*v)), *pg;

	for (size_t g = 0; v && g < ARRAY_SIZE(gfps); g++)
		while (n < cap && (pg = ms_alloc_pages(&mm_default_system, gfps[g], 0)))
			v[n++] = pg;
	while (v && spare && n) {
		ms_free_pages(&mm_default_system, v[--n], 0);
		spare--;
	}
	*held = n;
	return v;
}

static void pages_release(struct page **v, unsigned long n)
{
	while (n)
		ms_free_pages(&mm_default_system, v[--n], 0);
	free(v);
}

/* With memory short by any amount, fork either succeeds or fails with -ENOMEM having given
 * back all it took; the parent is intact either way. */
KTEST(fork, out_of_memory_at_every_point)
{
	struct vm_env e;
	struct task_struct *p, *c = NULL;
	struct capture cap;
	struct file *file;
	unsigned long spare, held, failures = 0;
	int r = -ENOMEM;

	if (!vm_env_init(kt, &e, 1, 64ULL << 20))
		return;
	p = make_parent(kt, &file);
	KT_ASSERT_NOT_NULL(kt, p);
	unsigned long refs = file->refcount;
	capture_start(&cap); /* the allocator's warnings */
	for (spare = 0; r == -ENOMEM && spare < 64; spare++) {
		footprint(); /* empty slabs back first, so that the hog takes their pages too */
		struct page **v = pages_hog(spare, &held);

		KT_ASSERT_NOT_NULL(kt, v);
		struct footprint before = footprint();
		r = do_fork(p, &c);
		if (r) {
			failures++;
			KT_EXPECT_EQ(kt, r, -ENOMEM);
			footprint_same(kt, before, footprint());
			KT_EXPECT_EQ(kt, file->refcount, refs);
			KT_EXPECT_EQ(kt, p->mm->vmas.count, 4u);
			VM_CHECK(kt, p);
		}
		pages_release(v, held);
	}
	KT_EXPECT_NOT_NULL(kt, strstr(capture_stop(&cap), "page allocation failure"));
	capture_free(&cap);
	KT_EXPECT_EQ(kt, r, 0);
	KT_EXPECT_GE(kt, failures, 3u); /* the mm, the tables, the PTE copies */
	ktest_log(kt, "fork failed %lu times before it fit", failures);
	for (unsigned int i = 0; i < 8; i++)
		holds(kt, p, ANON + i * PAGE_SIZE, (uint8_t)(0x10 + i));
	if (r == 0) {
		VM_CHECK(kt, p, c);
		holds(kt, c, ANON + 7 * PAGE_SIZE, 0x17);
		do_exit(c);
	}
	do_exit(p);
	fput(file);
	vm_env_fini(&e);
}

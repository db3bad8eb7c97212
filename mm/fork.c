// SPDX-License-Identifier: MIT
/*
 * Processes: the task list and pids, task creation, fork (Linux's kernel/fork.c: copy_process,
 * dup_mm, dup_mmap) and exit (kernel/exit.c: do_exit, exit_mm → mmput). See include/kmm/sched.h
 * for the contract.
 *
 * Locking: tasklist_lock (Linux's, a rwlock_t) guards the task list, the pid sequence and the
 * tasks' parent links: read for a lookup, written to add, remove or reparent a task. It nests
 * inside nothing and nothing nests inside it: a task is allocated before and freed after it is
 * held, and its address space copied (both mmap locks taken for writing, old then new, Linux's
 * mmap_write_lock_nested) before the child is added. Iterating task_list from outside this file
 * is for a quiescent system (the tests, the benchmarks).
 */
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/sched.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>

/* Linux's PID_MAX_DEFAULT and RESERVED_PIDS: pids cycle through [1, 32768), after a wrap
 * from 300 (the low ones are left to daemons). */
#define PID_MAX 0x8000
#define RESERVED_PIDS 300

struct list_head task_list = LIST_HEAD_INIT(task_list);
static rwlock_t tasklist_lock;
static struct kmem_cache *task_struct_cachep, *mm_cachep;
static int last_pid;

int fork_init(void)
{
	/* New caches each boot: the slab system they live in is set up anew by each boot. */
	task_struct_cachep =
	    kmem_cache_create("task_struct", sizeof(struct task_struct), 0, 0, NULL);
	mm_cachep = kmem_cache_create("mm_struct", sizeof(struct mm_struct), 0, 0, NULL);
	INIT_LIST_HEAD(&task_list);
	last_pid = 0;
	return task_struct_cachep && mm_cachep ? 0 : -ENOMEM;
}

/* The live task with @pid, or NULL; tasklist_lock held. */
static struct task_struct *find_task_locked(int pid)
{
	struct task_struct *t;

	list_for_each_entry (t, &task_list, tasks)
		if (t->pid == pid)
			return t;
	return NULL;
}

struct task_struct *find_task_by_pid(int pid)
{
	struct task_struct *t;

	read_lock(&tasklist_lock);
	t = find_task_locked(pid);
	read_unlock(&tasklist_lock);
	return t;
}

/* The next free pid after the last one given, cyclically (Linux's alloc_pid over its IDR);
 * tasklist_lock held for writing. */
static int alloc_pid(void)
{
	int pid = last_pid;

	do {
		pid = pid + 1 >= PID_MAX ? RESERVED_PIDS : pid + 1;
	} while (find_task_locked(pid));
	last_pid = pid;
	return pid;
}

struct mm_struct *mm_alloc(const struct xlat_geometry *g, struct mem_system *ms)
{
	struct mm_struct *mm = kmem_cache_alloc(mm_cachep, GFP_KERNEL);

	if (mm && mm_init(mm, g, ms)) {
		kmem_cache_free(mm_cachep, mm);
		mm = NULL;
	}
	return mm;
}

void mmput(struct mm_struct *mm)
{
	exit_mmap(mm);
	mm_destroy(mm);
	kmem_cache_free(mm_cachep, mm);
}

/* A task named @comm (truncated as Linux's __set_task_comm) with @mm, on the task list. */
static struct task_struct *task_alloc(const char *comm, struct mm_struct *mm,
				      struct task_struct *parent)
{
	struct task_struct *t = kmem_cache_alloc(task_struct_cachep, GFP_KERNEL);

	if (!t)
		return NULL;
	*t = (struct task_struct){ .mm = mm, .parent = parent };
	set_task_comm(t, comm);
	write_lock(&tasklist_lock);
	t->pid = alloc_pid();
	list_add_tail(&t->tasks, &task_list);
	write_unlock(&tasklist_lock);
	return t;
}

void set_task_comm(struct task_struct *t, const char *comm)
{
	size_t i;

	for (i = 0; i < TASK_COMM_LEN - 1 && comm[i]; i++)
		t->comm[i] = comm[i];
	t->comm[i] = '\0';
}

struct task_struct *task_create(const char *comm)
{
	struct mm_struct *mm = mm_alloc(&vm_user_geometry, &mm_default_system);
	struct task_struct *t = mm ? task_alloc(comm, mm, NULL) : NULL;

	if (mm && !t)
		mmput(mm);
	return t;
}

/* A copy of @src for @mm (Linux's vm_area_dup): its file referenced, not yet in a tree. */
static struct vm_area_struct *vm_area_dup(struct mm_struct *mm, const struct vm_area_struct *src)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	if (!vma)
		return NULL;
	vma->vm_start = src->vm_start;
	vma->vm_end = src->vm_end;
	vma->vm_flags = src->vm_flags & ~VM_LOCKED; /* mlock is not inherited */
	vma->vm_pgoff = src->vm_pgoff;
	vma->vm_file = src->vm_file ? get_file(src->vm_file) : NULL;
	vma->anon = src->anon; /* the anonymous pages stay shared, copy-on-write */
	return vma;
}

/*
 * Copy every VMA of @oldmm into the empty @mm and their PTEs (Linux's dup_mmap), both mmap
 * locks held for writing. On -ENOMEM the part copied stays in @mm for the caller to tear down.
 */
static int dup_mmap(struct mm_struct *mm, struct mm_struct *oldmm)
{
	struct vm_area_struct *mpnt, *tmp;
	int e;

	for (mpnt = vma_first(&oldmm->vmas); mpnt; mpnt = vma_next(mpnt)) {
		if (mpnt->vm_flags & VM_DONTCOPY)
			continue;
		tmp = vm_area_dup(mm, mpnt);
		if (!tmp)
			return -ENOMEM;
		BUG_ON(vma_insert(&mm->vmas, tmp));
		vm_stat_account(mm, tmp->vm_flags,
				(long)((tmp->vm_end - tmp->vm_start) >> PAGE_SHIFT));
		e = copy_page_range(tmp, mpnt);
		if (e)
			return e;
	}
	return 0;
}

/* The child's address space (Linux's dup_mm): @oldmm's layout, VMAs and PTEs; NULL if none. */
static struct mm_struct *dup_mm(struct mm_struct *oldmm)
{
	struct mm_struct *mm = mm_alloc(&oldmm->pgd.geom, oldmm->ms);
	int e;

	if (!mm)
		return NULL;
	mm->mmap_base = oldmm->mmap_base;
	mm->start_code = oldmm->start_code;
	mm->end_code = oldmm->end_code;
	mm->start_data = oldmm->start_data;
	mm->end_data = oldmm->end_data;
	mm->start_brk = oldmm->start_brk;
	mm->brk = oldmm->brk;
	mm->start_stack = oldmm->start_stack;
	mm->arg_start = oldmm->arg_start;
	mm->arg_end = oldmm->arg_end;
	mm->env_start = oldmm->env_start;
	mm->env_end = oldmm->env_end;
	mm->stack_rlimit = oldmm->stack_rlimit;

	mmap_write_lock(oldmm);
	mmap_write_lock(mm);
	e = dup_mmap(mm, oldmm);
	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	if (e) {
		mmput(mm);
		return NULL;
	}
	mm->hiwater_rss = mm->rss[MM_FILEPAGES] + mm->rss[MM_ANONPAGES];
	return mm;
}

int do_fork(struct task_struct *parent, struct task_struct **child)
{
	struct mm_struct *mm = dup_mm(parent->mm);
	struct task_struct *t = mm ? task_alloc(parent->comm, mm, parent) : NULL;

	if (!t) {
		if (mm)
			mmput(mm);
		return -ENOMEM;
	}
	*child = t;
	return 0;
}

void do_exit(struct task_struct *t)
{
	struct task_struct *c;

	write_lock(&tasklist_lock);
	list_del(&t->tasks);
	/* Orphans have no parent to reap them (Linux hands them to init). */
	list_for_each_entry (c, &task_list, tasks)
		if (c->parent == t)
			c->parent = NULL;
	write_unlock(&tasklist_lock);
	mmput(t->mm);
	kmem_cache_free(task_struct_cachep, t);
}

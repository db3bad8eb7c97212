// SPDX-License-Identifier: MIT
/* The VM tests' booted board and hand-built processes; see vm_env.h. */
#include "vm_env.h"

#include "arch/host/host.h"

#include <kmm/slab.h>

#include <stdlib.h>
#include <string.h>

bool vm_env_init(struct ktest *kt, struct vm_env *e, unsigned int ncpus, uint64_t mem)
{
	const struct sim_boot_opts o = {
		.board = "virt", .mem = mem, .granule = PAGE_SIZE, .va_bits = 48, .ncpus = ncpus
	};

	memset(e, 0, sizeof(*e));
	e->sb = calloc(1, sizeof(*e->sb)); /* memblock's arrays make it large */
	e->log = fopen("/dev/null", "w");
	if (!KT_EXPECT_NOT_NULL(kt, e->sb) || !KT_EXPECT_NOT_NULL(kt, e->log) ||
	    !KT_EXPECT_EQ(kt, sim_boot(e->sb, &o, e->log, stderr), 0)) {
		vm_env_fini(e);
		return false;
	}
	e->free_at_boot = vm_free_pages();
	return true;
}

void vm_env_fini(struct vm_env *e)
{
	host_set_cpu(0);
	if (e->sb)
		sim_boot_release(e->sb);
	free(e->sb);
	if (e->log)
		fclose(e->log);
	memset(e, 0, sizeof(*e));
}

void vm_env_done(struct ktest *kt, struct vm_env *e)
{
	KT_EXPECT_EQ(kt, vm_free_pages(), e->free_at_boot);
	vm_env_fini(e);
}

struct hw_cpu *vm_env_cpu(struct vm_env *e, unsigned int cpu)
{
	return &e->sb->machine.cpus[cpu];
}

unsigned long vm_free_pages(void)
{
	struct mem_system *ms = &mm_default_system;
	struct kmem_cache *s;
	unsigned long n = 0;

	list_for_each_entry (s, &slab_default_system.caches, list)
		kmem_cache_shrink(s);
	ms_drain_all_pages(ms);
	for (int nid = 0; nid < ms->nr_online_nodes; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += ms->node_data[nid].node_zones[z].nr_free_pages;
	return n;
}

struct task_struct *vm_task_new(struct ktest *kt, int pid)
{
	struct task_struct *t = calloc(1, sizeof(*t));
	struct mm_struct *mm = calloc(1, sizeof(*mm));

	if (!KT_EXPECT_NOT_NULL(kt, t) || !KT_EXPECT_NOT_NULL(kt, mm) ||
	    !KT_EXPECT_EQ(kt, mm_init(mm, &vm_user_geometry, &mm_default_system), 0)) {
		free(t);
		free(mm);
		return NULL;
	}
	t->pid = pid;
	snprintf(t->comm, sizeof(t->comm), "test%d", pid);
	t->mm = mm;
	return t;
}

/* Insert a VMA like @proto (its range, flags, offset and file) into @mm. */
static struct vm_area_struct *vma_add_like(struct ktest *kt, struct mm_struct *mm,
					   const struct vm_area_struct *proto)
{
	struct vm_area_struct *vma = vm_area_alloc(mm);

	if (!KT_EXPECT_NOT_NULL(kt, vma))
		return NULL;
	vma->vm_start = proto->vm_start;
	vma->vm_end = proto->vm_end;
	vma->vm_flags = proto->vm_flags;
	vma->vm_pgoff = proto->vm_pgoff;
	vma->anon = proto->anon;
	if (!KT_EXPECT_EQ(kt, vma_insert(&mm->vmas, vma), 0)) {
		vm_area_free(vma);
		return NULL;
	}
	vma->vm_file = proto->vm_file ? get_file(proto->vm_file) : NULL;
	vm_stat_account(mm, vma->vm_flags, (long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT));
	return vma;
}

struct vm_area_struct *vm_vma_add(struct ktest *kt, struct task_struct *t, vaddr_t start,
				  size_t len, unsigned long vm_flags, struct file *file,
				  uint64_t pgoff)
{
	const struct vm_area_struct proto = {
		.vm_start = start,
		.vm_end = start + len,
		.vm_flags = vm_flags,
		.vm_pgoff = file ? pgoff : start >> PAGE_SHIFT,
		.vm_file = file,
	};

	return vma_add_like(kt, t->mm, &proto);
}

struct task_struct *vm_task_fork(struct ktest *kt, struct task_struct *parent, int pid)
{
	struct task_struct *child = vm_task_new(kt, pid);

	if (!child)
		return NULL;
	for (struct vm_area_struct *v = vma_first(&parent->mm->vmas); v; v = vma_next(v)) {
		struct vm_area_struct *c = vma_add_like(kt, child->mm, v);

		if (!c || !KT_EXPECT_EQ(kt, copy_page_range(c, v), 0)) {
			vm_task_free(child);
			return NULL;
		}
	}
	child->parent = parent;
	return child;
}

void vm_task_free(struct task_struct *t)
{
	struct mm_struct *mm = t->mm;
	struct vm_area_struct *vma;

	while ((vma = vma_first(&mm->vmas))) {
		zap_page_range(vma, vma->vm_start, vma->vm_end);
		vma_remove(&mm->vmas, vma);
		vm_stat_account(mm, vma->vm_flags,
				-(long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT));
		if (vma->vm_file)
			fput(vma->vm_file);
		vm_area_free(vma);
	}
	mm_destroy(mm);
	free(mm);
	free(t);
}

bool vm_check_tasks(struct ktest *kt, struct task_struct *const *tasks, unsigned int n, int line)
{
	struct mm_struct *mms[16];
	const char *msg = NULL;
	bool ok = KT_EXPECT_LE(kt, n, 16u);

	for (unsigned int i = 0; ok && i < n; i++) {
		mms[i] = tasks[i]->mm;
		msg = mm_check(mms[i]);
		if (msg)
			ktest_log(kt, "mm_check of task %d: %s", tasks[i]->pid, msg);
		ok &= KT_EXPECT_NULL(kt, msg);
	}
	msg = ok ? mm_check_mapcounts(mms, n) : NULL;
	if (msg)
		ktest_log(kt, "mm_check_mapcounts: %s", msg);
	ok &= KT_EXPECT_NULL(kt, msg);
	if (!ok)
		ktest_log(kt, "the check at line %d failed", line);
	return ok;
}

// SPDX-License-Identifier: MIT
/* The memory-system-call tests' fixture; see mman_env.h. */
#include "mman_env.h"

#include <stdlib.h>

bool mm_env_init(struct ktest *kt, struct mm_env *e, uint64_t mem)
{
	e->t = NULL;
	e->nfiles = 0;
	if (!vm_env_init(kt, &e->vm, 1, mem))
		return false;
	e->t = vm_task_new(kt, 1);
	if (!e->t) {
		vm_env_fini(&e->vm);
		return false;
	}
	e->mm = e->t->mm;
	e->mm->start_brk = e->mm->brk = MM_ENV_BRK;
	return true;
}

void mm_env_fini(struct ktest *kt, struct mm_env *e)
{
	struct mm_struct *mm = e->mm;

	MM_CHECK(kt, e);
	exit_mmap(mm);
	KT_EXPECT_EQ(kt, mm->vmas.count, 0u);
	KT_EXPECT_EQ(kt, mm->total_vm + mm->data_vm + mm->exec_vm + mm->stack_vm, 0u);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES] + mm->rss[MM_FILEPAGES], 0u);
	KT_EXPECT_NULL(kt, mm_check(mm));
	vm_task_free(e->t);
	for (unsigned int i = 0; i < e->nfiles; i++) {
		KT_EXPECT_EQ(kt, e->files[i]->refcount, 1u);
		fput(e->files[i]);
	}
	KT_EXPECT_EQ(kt, vm_free_pages(), e->vm.free_at_boot);
	vm_env_fini(&e->vm);
}

void mm_snap_take(const struct mm_struct *mm, struct mm_snap *s)
{
	const struct vm_area_struct *v;

	s->count = mm->vmas.count;
	s->n = 0;
	for (v = vma_first(&mm->vmas); v && s->n < MM_SNAP_MAX; v = vma_next(v), s->n++) {
		s->v[s->n].start = v->vm_start;
		s->v[s->n].end = v->vm_end;
		s->v[s->n].flags = v->vm_flags;
		s->v[s->n].pgoff = v->vm_pgoff;
		s->v[s->n].file = v->vm_file;
	}
	s->total_vm = mm->total_vm;
	s->data_vm = mm->data_vm;
	s->exec_vm = mm->exec_vm;
	s->stack_vm = mm->stack_vm;
	s->rss_anon = mm->rss[MM_ANONPAGES];
	s->rss_file = mm->rss[MM_FILEPAGES];
	s->brk = mm->brk;
}

bool mm_snap_same(struct ktest *kt, const struct mm_struct *mm, const struct mm_snap *s, int line)
{
	struct mm_snap now;
	bool ok;

	mm_snap_take(mm, &now);
	ok = KT_EXPECT_EQ(kt, now.count, s->count) && KT_EXPECT_EQ(kt, now.n, s->n);
	for (unsigned int i = 0; ok && i < s->n; i++) {
		ok &= KT_EXPECT_EQ(kt, now.v[i].start, s->v[i].start);
		ok &= KT_EXPECT_EQ(kt, now.v[i].end, s->v[i].end);
		ok &= KT_EXPECT_EQ(kt, now.v[i].flags, s->v[i].flags);
		ok &= KT_EXPECT_EQ(kt, now.v[i].pgoff, s->v[i].pgoff);
		ok &= KT_EXPECT_TRUE(kt, now.v[i].file == s->v[i].file);
	}
	ok &= KT_EXPECT_EQ(kt, now.total_vm, s->total_vm);
	ok &= KT_EXPECT_EQ(kt, now.data_vm, s->data_vm);
	ok &= KT_EXPECT_EQ(kt, now.exec_vm, s->exec_vm);
	ok &= KT_EXPECT_EQ(kt, now.stack_vm, s->stack_vm);
	ok &= KT_EXPECT_EQ(kt, now.rss_anon, s->rss_anon);
	ok &= KT_EXPECT_EQ(kt, now.rss_file, s->rss_file);
	ok &= KT_EXPECT_EQ(kt, now.brk, s->brk);
	if (!ok)
		ktest_log(kt, "the address space changed (line %d)", line);
	return ok;
}

bool mm_env_check(struct ktest *kt, struct mm_env *e, int line)
{
	const char *msg = mm_check(e->mm);
	bool ok = KT_EXPECT_NULL(kt, msg);

	if (msg)
		ktest_log(kt, "mm_check: %s", msg);
	ok &= VM_CHECK(kt, e->t);
	if (!ok)
		ktest_log(kt, "the check at line %d failed", line);
	return ok;
}

unsigned int mm_vmas_in(const struct mm_struct *mm, vaddr_t start, vaddr_t end)
{
	unsigned int n = 0;

	for (const struct vm_area_struct *v = find_vma(&mm->vmas, start); v && v->vm_start < end;
	     v = vma_next(v))
		n++;
	return n;
}

struct vm_area_struct *mm_vma_at(const struct mm_struct *mm, vaddr_t addr)
{
	struct vm_area_struct *v = find_vma(&mm->vmas, addr);

	return v && v->vm_start <= addr ? v : NULL;
}

int mm_poke(struct mm_env *e, vaddr_t va, unsigned char c)
{
	struct ksiginfo info;

	return sim_user_write(e->t, 0, va, &c, 1, &info);
}

int mm_peek(struct mm_env *e, vaddr_t va, unsigned char *c)
{
	struct ksiginfo info;

	return sim_user_read(e->t, 0, va, c, 1, &info);
}

static long file_read(void *priv, uint64_t off, void *buf, size_t len)
{
	unsigned char *b = buf;

	(void)priv;
	for (size_t i = 0; i < len; i++)
		b[i] = mm_file_byte(off + i);
	return (long)len;
}

static const struct file_backing_ops file_ops = { .read = file_read };

struct file *mm_env_file(struct ktest *kt, struct mm_env *e, unsigned long pages, unsigned int mode)
{
	struct file *f = file_create_backed(e->mm->ms, "/tmp/mman-test-file", pages * PAGE_SIZE,
					    &file_ops, NULL, mode);

	if (!KT_EXPECT_NOT_NULL(kt, f) || !KT_EXPECT_LT(kt, e->nfiles, ARRAY_SIZE(e->files))) {
		if (f)
			fput(f);
		return NULL;
	}
	e->files[e->nfiles++] = f;
	return f;
}

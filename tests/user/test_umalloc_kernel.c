// SPDX-License-Identifier: MIT
/*
 * umalloc in a simulated process of the real kernel: a task made by task_create on the booted
 * default board, whose system-call table is sys_brk, sys_mmap and sys_munmap and whose loads
 * and stores are made at EL0 on a simulated CPU (sim_user_read/write), faulting through
 * do_page_fault. One malloc is followed link by link: malloc → brk → VMA → fault → buddy →
 * page table → the RAM holding the bytes. Then the mmap threshold (a VMA of its own, gone on
 * free), trimming (the break and the VMA shrink, the pages go back), brk blocked by a mapping
 * (the heap goes on in mmapped segments), a randomized run with mm_check, and fork: the child's
 * heap is a copy-on-write copy of the parent's that each side changes without the other seeing.
 */
#include "umodel.h"

#include "arch/host/host.h"
#include "mm/vm_env.h"

#include <string.h>

#define KIB 1024ULL
#define HEAP 0x10000000ULL /* start_brk, as exec leaves it after an image */
#define TOP_PAD (128 * KIB)
#define MINSIZE 32ULL

/* A process and the malloc of its C library. */
struct uproc {
	struct task_struct *t;
	unsigned int cpu;
	struct umalloc m;
};

static struct mm_struct *mm_of(void *ctx)
{
	return ((struct uproc *)ctx)->t->mm;
}

static long k_brk(void *ctx, uint64_t addr)
{
	return sys_brk(mm_of(ctx), addr);
}

static long k_mmap(void *ctx, uint64_t len)
{
	return sys_mmap(mm_of(ctx), 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			NULL, 0);
}

static int k_munmap(void *ctx, uint64_t addr, uint64_t len)
{
	return sys_munmap(mm_of(ctx), addr, len);
}

static int k_read(void *ctx, uint64_t va, void *buf, size_t n)
{
	struct uproc *p = ctx;
	struct ksiginfo info;

	return sim_user_read(p->t, p->cpu, va, buf, n, &info);
}

static int k_write(void *ctx, uint64_t va, const void *buf, size_t n)
{
	struct uproc *p = ctx;
	struct ksiginfo info;

	return sim_user_write(p->t, p->cpu, va, buf, n, &info);
}

/* The system calls of @p's task, for its malloc. */
static struct umalloc_sys uproc_sys(struct uproc *p)
{
	return (struct umalloc_sys){ .brk = k_brk,
				     .mmap = k_mmap,
				     .munmap = k_munmap,
				     .read = k_read,
				     .write = k_write,
				     .ctx = p };
}

/* Boot with @cpus CPUs and make a process whose heap starts at HEAP; false (reported) if that
 * fails. */
static bool kproc_up(struct ktest *kt, struct vm_env *e, struct uproc *p, unsigned int cpus)
{
	struct task_struct *t;

	if (!vm_env_init(kt, e, cpus, 0))
		return false;
	t = task_create("malloc");
	if (!KT_EXPECT_NOT_NULL(kt, t)) {
		vm_env_fini(e);
		return false;
	}
	t->mm->start_brk = t->mm->brk = HEAP;
	p->t = t;
	p->cpu = 0;
	umalloc_init(&p->m, &(struct umalloc_sys){ 0 });
	p->m.sys = uproc_sys(p);
	return true;
}

/* mm_check of @t's address space; false (logged) when it finds something. */
static bool expect_mm_ok(struct ktest *kt, struct task_struct *t)
{
	const char *msg = mm_check(t->mm);

	if (msg)
		ktest_log(kt, "mm_check: %s", msg);
	return KT_EXPECT_NULL(kt, msg);
}

/* The process exits; every page it took is free again. */
static void kproc_down(struct ktest *kt, struct vm_env *e, struct uproc *p)
{
	expect_mm_ok(kt, p->t);
	do_exit(p->t);
	vm_env_done(kt, e);
}

/* The PA mapping @va in @t, or 0 when no page is mapped there. */
static paddr_t pa_of(struct task_struct *t, vaddr_t va)
{
	unsigned int level = 0;
	paddr_t pa = 0;

	if (pgtable_query(&t->mm->pgd, va, &pa, &level, NULL) || level != 3)
		return 0;
	return pa;
}

/* One malloc, link by link: the break moves, the heap VMA grows with it, the first store
 * faults a page in, the buddy allocator gives it, the page table maps it, and the RAM behind
 * it holds what malloc wrote. */
KTEST(umalloc_kernel, malloc_brk_vma_fault_buddy_pgtable)
{
	struct vm_env e;
	struct uproc p;
	uint64_t word = 0, ram = 0;

	if (!kproc_up(kt, &e, &p, 1))
		return;
	struct mm_struct *mm = p.t->mm;
	unsigned long free0 = vm_free_pages(), tables0 = mm->pgd.table_pages;

	uint64_t a = umalloc(&p.m, 100);
	KT_ASSERT_EQ(kt, a, HEAP + 32);
	/* brk: the chunk, MINSIZE and M_TOP_PAD past the heap's descriptor, in pages. */
	KT_EXPECT_EQ(kt, mm->brk, (HEAP + 16 + 112 + MINSIZE + TOP_PAD + 4095) & ~4095ULL);
	/* The VMA: the heap, read-write, as far as the break. */
	struct vm_area_struct *vma = find_vma(&mm->vmas, HEAP);
	KT_ASSERT_NOT_NULL(kt, vma);
	KT_EXPECT_EQ(kt, vma->vm_start, HEAP);
	KT_EXPECT_EQ(kt, vma->vm_end, mm->brk);
	KT_EXPECT_EQ(kt, vma->vm_flags & (VM_READ | VM_WRITE | VM_EXEC), VM_READ | VM_WRITE);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	/* The fault: malloc's stores into the first page, one demand-zero fault. */
	KT_EXPECT_EQ(kt, mm->min_flt, 1u);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 1u);
	/* The page table maps that page and the RAM behind it holds the chunk's header. */
	paddr_t pa = pa_of(p.t, a);
	KT_ASSERT_NE(kt, pa, 0u);
	KT_EXPECT_EQ(kt, k_read(&p, a - 8, &word, 8), 0);
	KT_EXPECT_EQ(kt, hw_ram_read(&e.sb->machine.ram, pa - 8, &ram, 8), 0);
	KT_EXPECT_EQ(kt, word, 112u | 1);
	KT_EXPECT_EQ(kt, ram, word);
	/* The buddy allocator gave the page and the tables that map it (and a slab of VMAs). */
	KT_EXPECT_GE(kt, free0 - vm_free_pages(), 1 + mm->pgd.table_pages - tables0);

	/* A chunk from the top that reaches a new page: one fault, one page, nothing else. */
	unsigned long free1 = vm_free_pages();
	uint64_t b = umalloc(&p.m, 20000);
	KT_EXPECT_EQ(kt, b, a + 112);
	KT_EXPECT_EQ(kt, mm->min_flt, 2u);
	KT_EXPECT_EQ(kt, vm_free_pages(), free1 - 1);
	KT_EXPECT_EQ(kt, pa_of(p.t, HEAP + 4096), 0u); /* b's data: not touched yet */
	KT_EXPECT_NE(kt, pa_of(p.t, b + 20000), 0u);   /* the top's header, in page 4 */
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	umodel_expect_ok(kt, &p.m);
	expect_mm_ok(kt, p.t);
	ufree(&p.m, a);
	ufree(&p.m, b);
	kproc_down(kt, &e, &p);
}

/* A request past the mmap threshold gets a VMA of its own, faulted in page by page as it is
 * written, and free unmaps it: the VMA goes, the pages go back. */
KTEST(umalloc_kernel, mmap_threshold_vma)
{
	struct vm_env e;
	struct uproc p;
	struct umodel u;

	if (!kproc_up(kt, &e, &p, 1))
		return;
	KT_ASSERT_TRUE(kt, umodel_init(&u, &p.m, kt->seed));
	struct mm_struct *mm = p.t->mm;
	ufree(&p.m, umalloc(&p.m, 10)); /* the heap exists */
	unsigned long free0 = vm_free_pages(), flt0 = mm->min_flt;

	uint64_t big = umalloc(&p.m, 256 * KIB);
	KT_ASSERT_NE(kt, big, 0u);
	struct vm_area_struct *vma = find_vma(&mm->vmas, big);
	KT_ASSERT_NOT_NULL(kt, vma);
	KT_EXPECT_EQ(kt, vma->vm_start, big - 16);
	KT_EXPECT_EQ(kt, vma->vm_end - vma->vm_start, 256 * KIB + 4096);
	KT_EXPECT_EQ(kt, mm->vmas.count, 2u);
	KT_EXPECT_GT(kt, big, mm->brk);		 /* top-down from mmap_base, far above the heap */
	KT_EXPECT_EQ(kt, mm->min_flt, flt0 + 1); /* the header's page only */
	KT_EXPECT_TRUE(kt, umodel_fill(&u, big, 256 * KIB, 1));
	KT_EXPECT_EQ(kt, mm->min_flt, flt0 + 65);
	KT_EXPECT_TRUE(kt, umodel_holds(&u, big, 256 * KIB, 1));
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 65u + 1);
	expect_mm_ok(kt, p.t);
	ufree(&p.m, big);
	KT_EXPECT_EQ(kt, mm->vmas.count, 1u);
	KT_EXPECT_EQ(kt, pa_of(p.t, big), 0u);
	KT_EXPECT_EQ(kt, vm_free_pages(), free0);
	umodel_expect_ok(kt, &p.m);
	umodel_fini(&u);
	kproc_down(kt, &e, &p);
}

/* Freeing the top past M_TRIM_THRESHOLD lowers the break: the VMA shrinks with it and the pages
 * above it go back to the buddy allocator. */
KTEST(umalloc_kernel, trim_shrinks_brk_and_vma)
{
	static uint64_t ptr[256];
	struct vm_env e;
	struct uproc p;
	struct umodel u;

	if (!kproc_up(kt, &e, &p, 1))
		return;
	KT_ASSERT_TRUE(kt, umodel_init(&u, &p.m, kt->seed));
	struct mm_struct *mm = p.t->mm;
	for (int i = 0; i < 256; i++) {
		ptr[i] = umalloc(&p.m, 4000);
		KT_ASSERT_TRUE(kt, umodel_fill(&u, ptr[i], 4000, (uint64_t)i));
	}
	vaddr_t grown = mm->brk;
	unsigned long rss = mm->rss[MM_ANONPAGES], free0 = vm_free_pages();
	KT_EXPECT_GT(kt, grown, HEAP + 1024 * KIB);
	KT_EXPECT_GE(kt, rss, 250u);
	for (int i = 255; i >= 0; i--) {
		KT_EXPECT_TRUE(kt, umodel_holds(&u, ptr[i], 4000, (uint64_t)i));
		ufree(&p.m, ptr[i]);
	}
	KT_EXPECT_LE(kt, mm->brk, HEAP + TOP_PAD + 2 * 4096);
	KT_EXPECT_EQ(kt, find_vma(&mm->vmas, HEAP)->vm_end, mm->brk);
	KT_EXPECT_EQ(kt, pa_of(p.t, mm->brk), 0u);
	KT_EXPECT_LE(kt, mm->rss[MM_ANONPAGES], (TOP_PAD >> 12) + 2);
	KT_EXPECT_EQ(kt, vm_free_pages(), free0 + (rss - mm->rss[MM_ANONPAGES]));
	umodel_expect_ok(kt, &p.m);
	umodel_fini(&u);
	kproc_down(kt, &e, &p);
}

/* A mapping right above the break stops brk (the kernel keeps a page and the guard gap): malloc
 * goes on in mmapped segments, as glibc does. */
KTEST(umalloc_kernel, brk_blocked_by_a_mapping)
{
	static uint64_t ptr[512];
	struct vm_env e;
	struct uproc p;
	struct umodel u;

	if (!kproc_up(kt, &e, &p, 1))
		return;
	KT_ASSERT_TRUE(kt, umodel_init(&u, &p.m, kt->seed));
	struct mm_struct *mm = p.t->mm;
	long wall = sys_mmap(mm, HEAP + 512 * KIB, 4096, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	KT_ASSERT_EQ(kt, wall, (long)(HEAP + 512 * KIB));
	for (int i = 0; i < 512; i++) {
		ptr[i] = umalloc(&p.m, 2000);
		KT_ASSERT_NE(kt, ptr[i], 0u);
		KT_ASSERT_TRUE(kt, umodel_fill(&u, ptr[i], 2000, (uint64_t)i));
	}
	struct umalloc_stats st;
	umalloc_stats(&p.m, &st);
	KT_EXPECT_EQ(kt, st.segments, 2u);
	KT_EXPECT_LT(kt, mm->brk, HEAP + 512 * KIB);
	KT_EXPECT_LT(kt, ptr[0], mm->brk);
	KT_EXPECT_GT(kt, ptr[511], HEAP + 512 * KIB);
	umodel_expect_ok(kt, &p.m);
	expect_mm_ok(kt, p.t);
	for (int i = 0; i < 512; i++) {
		KT_EXPECT_TRUE(kt, umodel_holds(&u, ptr[i], 2000, (uint64_t)i));
		ufree(&p.m, ptr[i]);
	}
	umalloc_stats(&p.m, &st);
	KT_EXPECT_EQ(kt, st.uordblks, 0u);
	umodel_expect_ok(kt, &p.m);
	umodel_fini(&u);
	kproc_down(kt, &e, &p);
}

/* Random operations on the real kernel: every byte reads back, umalloc_check every 100 steps,
 * mm_check at the end, every page back after exit. */
KTEST(umalloc_kernel, random_against_model)
{
	struct vm_env e;
	struct uproc p;
	struct umodel u;

	if (!kproc_up(kt, &e, &p, 1))
		return;
	KT_ASSERT_TRUE(kt, umodel_init(&u, &p.m, kt->seed));
	umodel_run(kt, &u, 3000, 100);
	KT_EXPECT_EQ(kt, p.t->signal.signo, 0);
	ktest_log(kt, "%lu faults, %lu VMAs, brk 0x%llx", p.t->mm->min_flt, p.t->mm->vmas.count,
		  (unsigned long long)p.t->mm->brk);
	umodel_fini(&u);
	kproc_down(kt, &e, &p);
}

/* fork copies the heap copy-on-write, malloc's state with it (it lives in the process's data):
 * the child frees and allocates on its copy, its stores are CoW faults, the parent's bytes and
 * heap stay as they were; on two CPUs. */
KTEST(umalloc_kernel, fork_copies_the_heap)
{
	static uint64_t ptr[64];
	struct vm_env e;
	struct uproc p, c;
	struct umodel u, uc;
	struct task_struct *child;

	if (!kproc_up(kt, &e, &p, 2))
		return;
	KT_ASSERT_TRUE(kt, umodel_init(&u, &p.m, kt->seed));
	for (int i = 0; i < 64; i++) {
		ptr[i] = umalloc(&p.m, 1000);
		KT_ASSERT_TRUE(kt, umodel_fill(&u, ptr[i], 1000, (uint64_t)i));
	}
	KT_ASSERT_EQ(kt, do_fork(p.t, &child), 0);
	c = p; /* the library's state is copied with the process; the child runs on CPU 1 */
	c.t = child;
	c.cpu = 1;
	c.m.sys = uproc_sys(&c);
	KT_ASSERT_TRUE(kt, umodel_init(&uc, &c.m, kt->seed));
	for (int i = 0; i < 64; i += 2) {
		ufree(&c.m, ptr[i]);
		uint64_t q = umalloc(&c.m, 1000);
		KT_EXPECT_EQ(kt, q, ptr[i]); /* the same exact-fit chunk */
		KT_EXPECT_TRUE(kt, umodel_fill(&uc, q, 1000, 1000 + (uint64_t)i));
	}
	KT_EXPECT_GT(kt, child->mm->cow_copies, 0u);
	umodel_expect_ok(kt, &c.m);
	umodel_expect_ok(kt, &p.m);
	for (int i = 0; i < 64; i++) {
		KT_EXPECT_TRUE(kt, umodel_holds(&u, ptr[i], 1000, (uint64_t)i));
		KT_EXPECT_TRUE(kt,
			       umodel_holds(&uc, ptr[i], 1000, i % 2 ? (uint64_t)i : 1000u + i));
	}
	struct mm_struct *mms[] = { p.t->mm, child->mm };
	KT_EXPECT_NULL(kt, mm_check_mapcounts(mms, 2));
	expect_mm_ok(kt, child);
	do_exit(child);
	for (int i = 0; i < 64; i++)
		ufree(&p.m, ptr[i]);
	umodel_expect_ok(kt, &p.m);
	umodel_fini(&uc);
	umodel_fini(&u);
	kproc_down(kt, &e, &p);
}

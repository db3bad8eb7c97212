// SPDX-License-Identifier: MIT
/*
 * The randomized differential test of the system-call layer (issue 6 item 9): processes doing
 * mmap (fixed, private or shared anonymous), munmap, mprotect, madvise(DONTNEED), mremap, brk,
 * reads and writes, fork and exit, on a booted kernel with several simulated CPUs, against a
 * plain model of each address space: which pages are mapped, with which permissions, and what
 * every byte holds. Every access's outcome (done, SIGSEGV with MAPERR or ACCERR) and every byte
 * read must match the model, through copy-on-write and the exit of the other side. After each
 * step (or every few thousand in the long run) the checkers run: mm_check on every address
 * space and mm_check_mapcounts across all of them; at the end, with every process gone, no page
 * is left behind.
 */
#include "board.h"
#include "arch/host/host.h"
#include "process.h"

#include "../ktest/ktest.h"

#include <kmm/errno.h>
#include <kmm/fault.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/sched.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WIN_BASE 0x10000000UL /* the window the mappings live in */
#define WIN_PAGES 96
#define BRK_BASE 0x20000000UL
#define BRK_PAGES 32
#define MAX_PROCS 6
#define NCPUS 3

/* A page's contents in the model, shared by the processes that share the page. */
struct mobj {
	unsigned int refs;
	uint8_t data[PAGE_SIZE];
};

/* One page of a process's model. A private page not yet written has no object (zeros). */
struct mslot {
	bool mapped, shared;
	int prot;
	struct mobj *obj;
};

struct mproc {
	struct task_struct *t;
	struct mslot win[WIN_PAGES];
	struct mslot brk[BRK_PAGES];
	unsigned int brk_pages;
};

struct vm_run {
	struct ktest *kt;
	uint64_t rs;
	struct mproc procs[MAX_PROCS];
	unsigned int nprocs;
	unsigned long ops, faults_expected;
	char where[96];
};

static struct mobj *mobj_new(const struct mobj *from)
{
	struct mobj *o = calloc(1, sizeof(*o));

	if (from)
		memcpy(o->data, from->data, PAGE_SIZE);
	o->refs = 1;
	return o;
}

static void mobj_put(struct mobj *o)
{
	if (o && --o->refs == 0)
		free(o);
}

static void slot_clear(struct mslot *s)
{
	mobj_put(s->obj);
	*s = (struct mslot){ 0 };
}

/* The model slot of @va in @p, or NULL outside the window and the brk area. */
static struct mslot *slot_of(struct mproc *p, vaddr_t va)
{
	if (va >= WIN_BASE && va < WIN_BASE + WIN_PAGES * PAGE_SIZE)
		return &p->win[(va - WIN_BASE) / PAGE_SIZE];
	if (va >= BRK_BASE && va < BRK_BASE + BRK_PAGES * PAGE_SIZE)
		return &p->brk[(va - BRK_BASE) / PAGE_SIZE];
	return NULL;
}

static bool any_mapped(struct mproc *p, unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++)
		if (p->win[i].mapped)
			return true;
	return false;
}

static bool all_mapped(struct mproc *p, unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++)
		if (!p->win[i].mapped)
			return false;
	return true;
}

static vaddr_t win_va(unsigned int page)
{
	return WIN_BASE + (vaddr_t)page * PAGE_SIZE;
}

/* Run the kernel on a random CPU for the next call. */
static unsigned int pick_cpu(struct vm_run *r)
{
	unsigned int cpu = (unsigned int)ktest_rand_below(&r->rs, NCPUS);

	host_set_cpu(cpu);
	return cpu;
}

static bool check_all(struct vm_run *r)
{
	struct mm_struct *mms[MAX_PROCS];
	const char *e;

	for (unsigned int i = 0; i < r->nprocs; i++) {
		mms[i] = r->procs[i].t->mm;
		e = mm_check(mms[i]);
		if (!KT_EXPECT_NULL(r->kt, e)) {
			ktest_log(r->kt, "op %lu (%s), pid %d: %s", r->ops, r->where,
				  r->procs[i].t->pid, e);
			return false;
		}
	}
	e = mm_check_mapcounts(mms, r->nprocs);
	if (!KT_EXPECT_NULL(r->kt, e)) {
		ktest_log(r->kt, "op %lu (%s): %s", r->ops, r->where, e);
		return false;
	}
	return true;
}

/* ---- accesses ---------------------------------------------------------------------------- */

/* The signal the model expects for an access to @s: 0, or SEGV_MAPERR / SEGV_ACCERR. */
static int expected_code(const struct mslot *s, bool write)
{
	if (!s || !s->mapped)
		return SEGV_MAPERR;
	if (!(s->prot & PROT_READ) || (write && !(s->prot & PROT_WRITE)))
		return SEGV_ACCERR;
	return 0;
}

static bool do_write(struct vm_run *r, struct mproc *p, vaddr_t va, size_t len)
{
	struct mslot *s = slot_of(p, va);
	uint8_t buf[64];
	struct ksiginfo info = { 0 };
	int want = expected_code(s, true), sig;

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)ktest_rand(&r->rs);
	sig = sim_user_write(p->t, pick_cpu(r), va, buf, len, &info);
	snprintf(r->where, sizeof(r->where), "write pid %d 0x%llx+%zu", p->t->pid,
		 (unsigned long long)va, len);
	if (!KT_EXPECT_EQ(r->kt, sig ? info.code : 0, want)) {
		ktest_log(r->kt, "op %lu: %s: signal %d code %d, model expects code %d", r->ops,
			  r->where, sig, info.code, want);
		return false;
	}
	if (sig) {
		r->faults_expected++;
		return KT_EXPECT_EQ(r->kt, sig, SIGSEGV) && KT_EXPECT_EQ(r->kt, info.addr, va);
	}
	if (!s->obj)
		s->obj = mobj_new(NULL);
	memcpy(s->obj->data + (va & (PAGE_SIZE - 1)), buf, len);
	return true;
}

static bool do_read(struct vm_run *r, struct mproc *p, vaddr_t va, size_t len)
{
	struct mslot *s = slot_of(p, va);
	uint8_t buf[PAGE_SIZE], zero[PAGE_SIZE] = { 0 };
	struct ksiginfo info = { 0 };
	int want = expected_code(s, false), sig;

	sig = sim_user_read(p->t, pick_cpu(r), va, buf, len, &info);
	snprintf(r->where, sizeof(r->where), "read pid %d 0x%llx+%zu", p->t->pid,
		 (unsigned long long)va, len);
	if (!KT_EXPECT_EQ(r->kt, sig ? info.code : 0, want)) {
		ktest_log(r->kt, "op %lu: %s: signal %d code %d, model expects code %d", r->ops,
			  r->where, sig, info.code, want);
		return false;
	}
	if (sig) {
		r->faults_expected++;
		return true;
	}
	const uint8_t *m = s->obj ? s->obj->data + (va & (PAGE_SIZE - 1)) : zero;
	if (!KT_EXPECT_TRUE(r->kt, memcmp(buf, m, len) == 0)) {
		for (size_t i = 0; i < len; i++)
			if (buf[i] != m[i]) {
				ktest_log(r->kt, "op %lu: %s: byte %zu is 0x%02x, model 0x%02x",
					  r->ops, r->where, i, buf[i], m[i]);
				break;
			}
		return false;
	}
	return true;
}

/* Read back every readable page of @p whole. */
static bool verify_all(struct vm_run *r, struct mproc *p)
{
	for (unsigned int i = 0; i < WIN_PAGES; i++)
		if (expected_code(&p->win[i], false) == 0 && !do_read(r, p, win_va(i), PAGE_SIZE))
			return false;
	for (unsigned int i = 0; i < p->brk_pages; i++)
		if (!do_read(r, p, BRK_BASE + i * PAGE_SIZE, PAGE_SIZE))
			return false;
	return true;
}

/* ---- system calls ------------------------------------------------------------------------ */

static void model_unmap(struct mproc *p, unsigned int first, unsigned int n)
{
	for (unsigned int i = first; i < first + n; i++)
		slot_clear(&p->win[i]);
}

static const int prots[] = { PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE };

static bool do_mmap_op(struct vm_run *r, struct mproc *p)
{
	unsigned int n = 1 + (unsigned int)ktest_rand_below(&r->rs, 12);
	unsigned int first = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES - n + 1);
	int prot = prots[ktest_rand_below(&r->rs, 4)];
	bool shared = ktest_rand_below(&r->rs, 5) == 0;
	bool noreplace = ktest_rand_below(&r->rs, 4) == 0;
	int flags = (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS |
		    (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED);
	long want = noreplace && any_mapped(p, first, n) ? -EEXIST : (long)win_va(first);
	struct mobj *objs[12] = { 0 };

	pick_cpu(r);
	long got = sys_mmap(p->t->mm, win_va(first), n * PAGE_SIZE, prot, flags, NULL, 0);
	snprintf(r->where, sizeof(r->where), "mmap pid %d page %u+%u prot %d %s%s", p->t->pid,
		 first, n, prot, shared ? "shared" : "private", noreplace ? " noreplace" : "");
	if (!KT_EXPECT_EQ(r->kt, got, want)) {
		ktest_log(r->kt, "op %lu: %s", r->ops, r->where);
		return false;
	}
	if (got < 0)
		return true;
	for (unsigned int i = 0; shared && i < n; i++)
		objs[i] = mobj_new(NULL);
	model_unmap(p, first, n);
	for (unsigned int i = 0; i < n; i++)
		p->win[first + i] = (struct mslot){ true, shared, prot, objs[i] };
	return true;
}

static bool do_munmap_op(struct vm_run *r, struct mproc *p)
{
	unsigned int n = 1 + (unsigned int)ktest_rand_below(&r->rs, 16);
	unsigned int first = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES - n + 1);

	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "munmap pid %d page %u+%u", p->t->pid, first, n);
	if (!KT_EXPECT_EQ(r->kt, sys_munmap(p->t->mm, win_va(first), n * PAGE_SIZE), 0))
		return false;
	model_unmap(p, first, n);
	return true;
}

/* mprotect: a range with a hole is -ENOMEM and, in kmm, changes nothing. */
static bool do_mprotect_op(struct vm_run *r, struct mproc *p)
{
	unsigned int n = 1 + (unsigned int)ktest_rand_below(&r->rs, 12);
	unsigned int first = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES - n + 1);
	int prot = prots[ktest_rand_below(&r->rs, 4)];
	bool ok = all_mapped(p, first, n);

	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "mprotect pid %d page %u+%u prot %d", p->t->pid, first,
		 n, prot);
	if (!KT_EXPECT_EQ(r->kt, sys_mprotect(p->t->mm, win_va(first), n * PAGE_SIZE, prot),
			  ok ? 0 : -ENOMEM))
		return false;
	for (unsigned int i = 0; ok && i < n; i++)
		p->win[first + i].prot = prot;
	return true;
}

/* madvise(MADV_DONTNEED) on a mapped range: private pages read as zeros afterwards, shared
 * ones keep their contents (they live in the shared memory object). */
static bool do_dontneed_op(struct vm_run *r, struct mproc *p)
{
	unsigned int n = 1 + (unsigned int)ktest_rand_below(&r->rs, 8);
	unsigned int first = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES - n + 1);

	if (!all_mapped(p, first, n))
		return true;
	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "madvise DONTNEED pid %d page %u+%u", p->t->pid, first,
		 n);
	if (!KT_EXPECT_EQ(r->kt, sys_madvise(p->t->mm, win_va(first), n * PAGE_SIZE, MADV_DONTNEED),
			  0))
		return false;
	for (unsigned int i = first; i < first + n; i++)
		if (!p->win[i].shared) {
			mobj_put(p->win[i].obj);
			p->win[i].obj = NULL;
		}
	return true;
}

/*
 * mremap of part of one private VMA (found through find_vma: which ranges form one VMA is the
 * kernel's business) to a random place of the window, MREMAP_MAYMOVE | MREMAP_FIXED, growing or
 * shrinking: what was at the destination goes, the pages move with their contents, growth is
 * zero-filled with the same protection.
 */
static bool do_mremap_op(struct vm_run *r, struct mproc *p)
{
	unsigned int at = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES);
	struct vm_area_struct *vma = find_vma(&p->t->mm->vmas, win_va(at));

	if (!p->win[at].mapped || p->win[at].shared || !vma || vma->vm_start > win_va(at))
		return true;
	unsigned int vend = (unsigned int)((vma->vm_end - WIN_BASE) / PAGE_SIZE);
	unsigned int old_n = 1 + (unsigned int)ktest_rand_below(&r->rs, vend - at);
	unsigned int new_n = 1 + (unsigned int)ktest_rand_below(&r->rs, 12);
	unsigned int dst = (unsigned int)ktest_rand_below(&r->rs, WIN_PAGES - new_n + 1);

	if (dst < at + old_n && at < dst + new_n)
		return true; /* overlapping ranges are EINVAL; tested elsewhere */
	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "mremap pid %d page %u+%u -> %u+%u", p->t->pid, at,
		 old_n, dst, new_n);
	long got = sys_mremap(p->t->mm, win_va(at), old_n * PAGE_SIZE, new_n * PAGE_SIZE,
			      MREMAP_MAYMOVE | MREMAP_FIXED, win_va(dst));
	if (!KT_EXPECT_EQ(r->kt, got, (long)win_va(dst)))
		return false;
	struct mslot moved[WIN_PAGES];
	int prot = p->win[at].prot;
	for (unsigned int i = 0; i < new_n; i++)
		moved[i] = i < old_n ? p->win[at + i] : (struct mslot){ true, false, prot, NULL };
	for (unsigned int i = 0; i < old_n; i++) {
		if (i >= new_n)
			slot_clear(&p->win[at + i]);
		else
			p->win[at + i] = (struct mslot){ 0 };
	}
	model_unmap(p, dst, new_n);
	for (unsigned int i = 0; i < new_n; i++)
		p->win[dst + i] = moved[i];
	return true;
}

static bool do_brk_op(struct vm_run *r, struct mproc *p)
{
	unsigned int n = (unsigned int)ktest_rand_below(&r->rs, BRK_PAGES + 1);

	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "brk pid %d to %u pages", p->t->pid, n);
	if (!KT_EXPECT_EQ(r->kt, sys_brk(p->t->mm, BRK_BASE + n * PAGE_SIZE),
			  (long)(BRK_BASE + n * PAGE_SIZE)))
		return false;
	for (unsigned int i = n; i < p->brk_pages; i++)
		slot_clear(&p->brk[i]);
	for (unsigned int i = p->brk_pages; i < n; i++)
		p->brk[i] = (struct mslot){ true, false, PROT_READ | PROT_WRITE, NULL };
	p->brk_pages = n;
	return true;
}

/* Give a new process the brk area the test uses (exec would set it after the image). */
static void set_brk_area(struct task_struct *t)
{
	t->mm->start_brk = t->mm->brk = BRK_BASE;
}

static void copy_slots(struct mslot *dst, const struct mslot *src, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		dst[i] = src[i];
		if (!src[i].obj)
			continue;
		if (src[i].shared)
			src[i].obj->refs++;
		else
			dst[i].obj = mobj_new(src[i].obj);
	}
}

static bool do_fork_op(struct vm_run *r, struct mproc *p)
{
	struct task_struct *child;
	struct mproc *c = &r->procs[r->nprocs];

	if (r->nprocs == MAX_PROCS)
		return true;
	pick_cpu(r);
	snprintf(r->where, sizeof(r->where), "fork pid %d", p->t->pid);
	if (!KT_EXPECT_EQ(r->kt, do_fork(p->t, &child), 0))
		return false;
	*c = (struct mproc){ .t = child, .brk_pages = p->brk_pages };
	copy_slots(c->win, p->win, WIN_PAGES);
	copy_slots(c->brk, p->brk, BRK_PAGES);
	r->nprocs++;
	return true;
}

static void exit_proc(struct vm_run *r, unsigned int i)
{
	struct mproc *p = &r->procs[i];

	pick_cpu(r);
	do_exit(p->t);
	for (unsigned int k = 0; k < WIN_PAGES; k++)
		slot_clear(&p->win[k]);
	for (unsigned int k = 0; k < BRK_PAGES; k++)
		slot_clear(&p->brk[k]);
	r->procs[i] = r->procs[--r->nprocs];
}

/* One random step. */
static bool step(struct vm_run *r)
{
	unsigned int i = (unsigned int)ktest_rand_below(&r->rs, r->nprocs);
	struct mproc *p = &r->procs[i];
	unsigned int k = (unsigned int)ktest_rand_below(&r->rs, 100);
	bool in_brk = ktest_rand_below(&r->rs, 5) == 0;
	vaddr_t base = in_brk ? BRK_BASE : WIN_BASE;
	unsigned int pages = in_brk ? BRK_PAGES : WIN_PAGES;
	vaddr_t va = base + ktest_rand_below(&r->rs, pages) * PAGE_SIZE;
	size_t len = 1 + ktest_rand_below(&r->rs, 64);

	va += ktest_rand_below(&r->rs, PAGE_SIZE - len + 1);
	r->ops++;
	if (k < 35)
		return do_write(r, p, va, len);
	if (k < 60)
		return do_read(r, p, va, len);
	if (k < 70)
		return do_mmap_op(r, p);
	if (k < 77)
		return do_munmap_op(r, p);
	if (k < 84)
		return do_mprotect_op(r, p);
	if (k < 88)
		return do_dontneed_op(r, p);
	if (k < 92)
		return do_mremap_op(r, p);
	if (k < 96)
		return do_brk_op(r, p);
	if (k < 98)
		return do_fork_op(r, p);
	if (r->nprocs > 1) {
		snprintf(r->where, sizeof(r->where), "exit pid %d", p->t->pid);
		if (!verify_all(r, p))
			return false;
		exit_proc(r, i);
	}
	return true;
}

/* Pages of @ms neither free (buddy or per-CPU lists) nor slab pages: what processes and their
 * page tables hold, plus the boot's reservations. */
static unsigned long pages_in_use(struct mem_system *ms)
{
	unsigned long n = 0;

	ms_drain_all_pages(ms);
	for (unsigned long s = 0; s < ms->nr_sections; s++) {
		const struct mem_section *sec = &ms->sections[s];

		for (unsigned long i = 0; sec->mem_map && i < PAGES_PER_SECTION; i++) {
			const struct page *pg = &sec->mem_map[i];

			if (!PageReserved(pg) && !page_flag(pg, PG_slab) && page_ref_count(pg))
				n++;
		}
	}
	return n;
}

static void run(struct ktest *kt, unsigned long nops, unsigned long check_every)
{
	static struct vm_run r; /* large: keep it off the stack */
	struct sim_boot sb;
	struct sim_boot_opts o = { .board = "virt",
				   .mem = 512ULL << 20,
				   .granule = PAGE_SIZE,
				   .va_bits = 48,
				   .ncpus = NCPUS };
	FILE *log = fopen("/dev/null", "w");

	KT_ASSERT_EQ(kt, sim_boot(&sb, &o, log, stderr), 0);
	r = (struct vm_run){ .kt = kt, .rs = kt->seed };
	unsigned long before = pages_in_use(&mm_default_system);
	struct task_struct *t = task_create("vmrand");
	if (KT_EXPECT_NOT_NULL(kt, t)) {
		set_brk_area(t);
		r.procs[0] = (struct mproc){ .t = t };
		r.nprocs = 1;
	}
	for (unsigned long n = 0; t && n < nops; n++) {
		if (!step(&r) || (n % check_every == 0 && !check_all(&r)))
			break;
		if (n % 20000 == 19999)
			for (unsigned int i = 0; i < r.nprocs; i++)
				if (!verify_all(&r, &r.procs[i]))
					goto out;
	}
	check_all(&r);
	for (unsigned int i = 0; i < r.nprocs; i++)
		verify_all(&r, &r.procs[i]);
out:
	while (r.nprocs)
		exit_proc(&r, r.nprocs - 1);
	KT_EXPECT_EQ(kt, pages_in_use(&mm_default_system), before);
	ktest_log(kt, "%lu operations, %lu expected SIGSEGVs", r.ops, r.faults_expected);
	sim_boot_release(&sb);
	fclose(log);
}

/* A short run with every checker after every step. */
KTEST(vm_random, checked_every_step)
{
	run(kt, 20000, 1);
}

/* The long run: 10^6 operations, the checkers every 5,000 steps and at the end. */
KTEST(vm_random, million_ops)
{
	run(kt, 1000000, 5000);
}

// SPDX-License-Identifier: MIT
/*
 * The VM benchmarks' kmm impls (see bench_vm.h): the default board booted, one task on it, its
 * system calls, faults, forks and VMA lookups.
 */
#include "bench.h"
#include "bench_vm.h"

#include "arch/host/host.h"
#include "board.h"
#include "process.h"

#include <kmm/errno.h>
#include <kmm/mman.h>
#include <kmm/sched.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define VMA_BASE 0x100000000UL /* the VMA benchmarks' one-page VMAs start here */
#define VMA_PICKS 4096	       /* random VMA indices, used round robin */
#define KMM_RAM_DEFAULT (1ULL << 30)
#define KMM_RAM_FORK (3ULL << 30) /* 1 GiB resident, the children's tables and the kernel */

/* The kmm impls: a booted board and one task on it. */
struct kmm_vm {
	struct sim_boot *sb;
	FILE *log, *old_console;
	struct task_struct *task;
	vaddr_t region;	 /* fault.cow, fork.1g: the touched region */
	uint32_t *picks; /* vma.*: VMA_PICKS random indices */
	unsigned int next_pick;
};

/* Run the kernel on @k's machine as CPU 0. */
static void kmm_enter(struct kmm_vm *k)
{
	host_attach(&k->sb->machine);
	host_set_cpu(0);
}

/* Exit the children of @parent (fork.1g keeps them), then @parent. */
static void exit_family(struct task_struct *parent)
{
	struct task_struct *t, *n;

	list_for_each_entry_safe (t, n, &task_list, tasks)
		if (t->parent == parent)
			do_exit(t);
	do_exit(parent);
}

static void kmm_vm_free(struct kmm_vm *k)
{
	if (k->task)
		exit_family(k->task);
	if (k->sb) {
		host_set_cpu(0);
		sim_boot_release(k->sb);
	}
	if (k->old_console)
		host_console_set(k->old_console);
	if (k->log)
		fclose(k->log);
	free(k->sb);
	free(k->picks);
	free(k);
}

static void kmm_teardown(void *state)
{
	struct kmm_vm *k = state;

	kmm_enter(k);
	kmm_vm_free(k);
	sysctl_max_map_count = DEFAULT_MAX_MAP_COUNT;
}

/* Keep the simulated RAM out of the host's forks (the Linux impls fork this process). */
static void ram_dontfork(struct hw_machine *m)
{
	for (unsigned int i = 0; i < m->ram.nr; i++)
		(void)madvise(m->ram.regions[i].mem, m->ram.regions[i].size, MADV_DONTFORK);
}

/* Boot the virt board with @ram bytes, the checker off and the kernel's console discarded, and
 * make one task on it. */
static int kmm_new(struct kmm_vm **out, uint64_t ram)
{
	const struct sim_boot_opts o = {
		.board = "virt", .mem = ram, .granule = PAGE_SIZE, .va_bits = 48, .ncpus = 1
	};
	struct kmm_vm *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->sb = calloc(1, sizeof(*k->sb));
	k->log = fopen("/dev/null", "w");
	if (!k->sb || !k->log || sim_boot(k->sb, &o, k->log, stderr)) {
		fprintf(stderr, "kmm-bench: the simulated board did not boot\n");
		kmm_vm_free(k);
		return -ENOMEM;
	}
	k->old_console = host_console_set(k->log);
	hw_checker_enable(&k->sb->machine, false);
	ram_dontfork(&k->sb->machine);
	k->task = task_create("bench");
	if (!k->task) {
		kmm_vm_free(k);
		return -ENOMEM;
	}
	*out = k;
	return 0;
}

/* An anonymous private read-write mapping of @len bytes in @t: its address, or -errno. */
static long kmm_map(struct task_struct *t, size_t len)
{
	return sys_mmap(t->mm, 0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, NULL,
			0);
}

/* Write one byte to each of the @n pages from @va as @t on CPU 0: 0 or the signal. */
static int kmm_touch(struct task_struct *t, vaddr_t va, unsigned long n, uint8_t byte)
{
	struct ksiginfo info;
	int sig = 0;

	for (unsigned long i = 0; i < n && !sig; i++)
		sig = sim_user_write(t, 0, va + i * PAGE_SIZE, &byte, 1, &info);
	return sig;
}

/* fault.anon */

static int kmm_anon_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_new((struct kmm_vm **)state, KMM_RAM_DEFAULT);
}

static uint64_t kmm_anon_run(void *state, uint64_t iters)
{
	struct kmm_vm *k = state;
	struct mm_struct *mm = k->task->mm;
	unsigned long flt0 = mm->min_flt;

	kmm_enter(k);
	for (uint64_t i = 0; i < iters; i++) {
		long va = kmm_map(k->task, FAULT_PAGES * PAGE_SIZE);

		if (IS_ERR_VALUE(va) || kmm_touch(k->task, (vaddr_t)va, FAULT_PAGES, 1) ||
		    sys_munmap(mm, (vaddr_t)va, FAULT_PAGES * PAGE_SIZE))
			return 0;
	}
	return mm->min_flt - flt0;
}

/* A region of @pages pages mapped and written in @k's task (fault.cow, fork.1g). */
static int kmm_region(struct kmm_vm *k, unsigned long pages)
{
	long va = kmm_map(k->task, pages * PAGE_SIZE);

	if (IS_ERR_VALUE(va))
		return (int)va;
	k->region = (vaddr_t)va;
	return kmm_touch(k->task, k->region, pages, 1) ? -ENOMEM : 0;
}

/* A board of @ram bytes whose task has @pages pages written (fault.cow, fork.1g). */
static int kmm_region_setup(void **state, uint64_t ram, unsigned long pages)
{
	struct kmm_vm *k;
	int err = kmm_new(&k, ram);

	if (err)
		return err;
	err = kmm_region(k, pages);
	if (err) {
		kmm_vm_free(k);
		return err;
	}
	*state = k;
	return 0;
}

/* fault.cow */

static int kmm_cow_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_region_setup(state, KMM_RAM_DEFAULT, COW_PAGES);
}

static uint64_t kmm_cow_run(void *state, uint64_t iters)
{
	struct kmm_vm *k = state;
	uint64_t ops = 0;

	kmm_enter(k);
	for (uint64_t i = 0; i < iters; i++) {
		struct task_struct *child;

		if (do_fork(k->task, &child))
			return 0;
		if (kmm_touch(child, k->region, COW_PAGES, 2)) {
			do_exit(child);
			return 0;
		}
		ops += child->mm->cow_copies;
		do_exit(child);
	}
	return ops;
}

/* fork.1g */

static int kmm_fork_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_region_setup(state, KMM_RAM_FORK, FORK_PTES);
}

static uint64_t kmm_fork_run(void *state, uint64_t iters)
{
	struct kmm_vm *k = state;

	struct task_struct *child;

	kmm_enter(k);
	for (uint64_t i = 0; i < iters; i++)
		if (do_fork(k->task, &child))
			return 0;
	return iters;
}

/* vma.* */

/* The protection of the @i-th VMA: alternating, so that no two neighbours merge. */
static int vma_prot(unsigned long i)
{
	return i % 2 ? PROT_READ : PROT_READ | PROT_WRITE;
}

static long kmm_map_fixed(struct kmm_vm *k, unsigned long i)
{
	return sys_mmap(k->task->mm, VMA_BASE + i * PAGE_SIZE, PAGE_SIZE, vma_prot(i),
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
}

/*
 * @n one-page VMAs side by side from VMA_BASE, protections alternating so that none merge, all
 * made by sys_mmap. 100,000 is beyond Linux's default vm.max_map_count (65530): the limit is
 * raised first, as `sysctl vm.max_map_count=...` would, and put back by kmm_teardown.
 */
static int add_vmas(struct kmm_vm *k, unsigned long n)
{
	struct mm_struct *mm = k->task->mm;

	if (n + 16 > sysctl_max_map_count)
		sysctl_max_map_count = n + 16;
	for (unsigned long i = 0; i < n; i++)
		if (IS_ERR_VALUE(kmm_map_fixed(k, i)))
			return -ENOMEM;
	return mm->vmas.count == n ? 0 : -EEXIST;
}

/* A board whose task has @n VMAs (add_vmas), and VMA_PICKS random indices among them. */
static int kmm_vmas_setup(void **state, unsigned long n)
{
	struct kmm_vm *k;
	uint64_t rng = n;
	int err = kmm_new(&k, KMM_RAM_DEFAULT);

	if (err)
		return err;
	k->picks = malloc(VMA_PICKS * sizeof(*k->picks));
	err = k->picks ? add_vmas(k, n) : -ENOMEM;
	if (err) {
		fprintf(stderr, "kmm-bench: vma: cannot make %lu VMAs\n", n);
		kmm_vm_free(k);
		return err;
	}
	for (unsigned int i = 0; i < VMA_PICKS; i++)
		k->picks[i] = (uint32_t)(bench_rand(&rng) % n);
	*state = k;
	return 0;
}

static uint32_t next_pick(struct kmm_vm *k)
{
	return k->picks[k->next_pick++ % VMA_PICKS];
}

static uint64_t kmm_find_run(void *state, uint64_t iters)
{
	struct kmm_vm *k = state;
	struct mm_struct *mm = k->task->mm;

	kmm_enter(k);
	mmap_read_lock(mm);
	for (uint64_t i = 0; i < iters; i++) {
		struct vm_area_struct *v = find_vma(&mm->vmas, VMA_BASE + next_pick(k) * PAGE_SIZE);

		bench_use(v);
	}
	mmap_read_unlock(mm);
	return iters;
}

/* munmap of VMA @j and mmap of it back: 0 or the first error. */
static long remap_one(struct kmm_vm *k, uint32_t j)
{
	long err = sys_munmap(k->task->mm, VMA_BASE + j * PAGE_SIZE, PAGE_SIZE);

	if (!err)
		err = kmm_map_fixed(k, j);
	return IS_ERR_VALUE(err) ? err : 0;
}

static uint64_t kmm_mmap_munmap_run(void *state, uint64_t iters)
{
	struct kmm_vm *k = state;

	kmm_enter(k);
	for (uint64_t i = 0; i < iters; i++)
		if (remap_one(k, next_pick(k)))
			return 0;
	return iters;
}

/* The VMAs of kmm_vmas_setup, and one munmap and mmap tried. */
static int kmm_remap_setup(void **state, unsigned long n)
{
	int err = kmm_vmas_setup(state, n);
	long e;

	if (err)
		return err;
	e = remap_one(*state, 0);
	if (e) {
		fprintf(stderr,
			"kmm-bench: vma.mmap_munmap: with %lu VMAs, munmap and mmap fail: %s "
			"(vm.max_map_count is %lu)\n",
			n, strerror((int)-e), sysctl_max_map_count);
		kmm_teardown(*state);
		return (int)e;
	}
	return 0;
}

static int kmm_find_1k_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_vmas_setup(state, 1000);
}

static int kmm_find_100k_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_vmas_setup(state, 100000);
}

static int kmm_remap_1k_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_remap_setup(state, 1000);
}

static int kmm_remap_100k_setup(void **state, uint64_t param)
{
	(void)param;
	return kmm_remap_setup(state, 100000);
}

BENCH(fault_anon_kmm) = { .name = "fault.anon",
			  .impl = "kmm",
			  .setup = kmm_anon_setup,
			  .run = kmm_anon_run,
			  .teardown = kmm_teardown };
BENCH(fault_cow_kmm) = { .name = "fault.cow",
			 .impl = "kmm",
			 .setup = kmm_cow_setup,
			 .run = kmm_cow_run,
			 .teardown = kmm_teardown };
BENCH(fork_1g_kmm) = { .name = "fork.1g",
		       .impl = "kmm",
		       .param_key = "ptes",
		       .param = FORK_PTES,
		       .setup = kmm_fork_setup,
		       .run = kmm_fork_run,
		       .teardown = kmm_teardown };
BENCH(vma_find_1k) = { .name = "vma.find.1k",
		       .impl = "kmm",
		       .setup = kmm_find_1k_setup,
		       .run = kmm_find_run,
		       .teardown = kmm_teardown };
BENCH(vma_find_100k) = { .name = "vma.find.100k",
			 .impl = "kmm",
			 .setup = kmm_find_100k_setup,
			 .run = kmm_find_run,
			 .teardown = kmm_teardown };
BENCH(vma_mmap_munmap_1k) = { .name = "vma.mmap_munmap.1k",
			      .impl = "kmm",
			      .setup = kmm_remap_1k_setup,
			      .run = kmm_mmap_munmap_run,
			      .teardown = kmm_teardown };
BENCH(vma_mmap_munmap_100k) = { .name = "vma.mmap_munmap.100k",
				.impl = "kmm",
				.setup = kmm_remap_100k_setup,
				.run = kmm_mmap_munmap_run,
				.teardown = kmm_teardown };

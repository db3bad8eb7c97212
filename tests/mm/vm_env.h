/* SPDX-License-Identifier: MIT */
/*
 * Test fixture for the VM layer: the default board booted (sim_boot: the page allocator, slab and
 * vm_init on the kernel's default systems) with 1 to 4 CPUs, and processes built by hand, as
 * far as a test needs them before or without mm/fork.c: a task with an empty mm of the user
 * geometry, VMAs inserted directly, a fork by copy_page_range, a teardown that zaps every VMA,
 * and a consistency check of several address spaces (map counts, RSS, VMAs).
 */
#ifndef TESTS_MM_VM_ENV_H
#define TESTS_MM_VM_ENV_H

#include "board.h"
#include "process.h"

#include <kmm/fault.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/sched.h>

#include "../ktest/ktest.h"

#include <stdio.h>

struct vm_env {
	struct sim_boot *sb;
	FILE *log;		    /* the boot's log (discarded) */
	unsigned long free_at_boot; /* vm_free_pages() after the boot */
};

/* Boot the virt board with @ncpus CPUs and @mem bytes of RAM (0: the board's default), its log
 * discarded. False (reported) if that fails. */
bool vm_env_init(struct ktest *kt, struct vm_env *e, unsigned int ncpus, uint64_t mem);
void vm_env_fini(struct vm_env *e);
/* The end of a test: every page is back (vm_free_pages() == free_at_boot), then vm_env_fini. */
void vm_env_done(struct ktest *kt, struct vm_env *e);

/* The hosted CPU @cpu of the booted machine. */
struct hw_cpu *vm_env_cpu(struct vm_env *e, unsigned int cpu);

/* Free pages of the kernel's page allocator, every slab cache shrunk (its per-CPU and empty
 * slabs given back) and the per-CPU page lists drained first. */
unsigned long vm_free_pages(void);

/* A task @pid with an empty address space of vm_user_geometry; NULL (reported) on failure. */
struct task_struct *vm_task_new(struct ktest *kt, int pid);

/* Add to @t's mm the VMA [@start, @start + @len) with @vm_flags, mapping @file (a reference is
 * taken; NULL: anonymous) from page @pgoff, counted in the mm's VM counters. NULL (reported) on
 * failure. */
struct vm_area_struct *vm_vma_add(struct ktest *kt, struct task_struct *t, vaddr_t start,
				  size_t len, unsigned long vm_flags, struct file *file,
				  uint64_t pgoff);

/* fork by hand: a task @pid with a copy of every VMA of @parent and its PTEs (copy_page_range).
 * NULL (reported) on failure. */
struct task_struct *vm_task_fork(struct ktest *kt, struct task_struct *parent, int pid);

/* Tear @t down: every VMA zapped, removed and its file released, the mm destroyed, @t freed. */
void vm_task_free(struct task_struct *t);

/*
 * Check @tasks together: mm_check of each mm (VMAs, PTEs against their VMAs, RSS and VM
 * counters) and mm_check_mapcounts over all of them. Failures are reported with @line. True
 * when everything holds.
 */
bool vm_check_tasks(struct ktest *kt, struct task_struct *const *tasks, unsigned int n, int line);
#define VM_CHECK(kt, ...)                                                                          \
	vm_check_tasks((kt), (struct task_struct *const[]){ __VA_ARGS__ },                         \
		       sizeof((struct task_struct *const[]){ __VA_ARGS__ }) /                      \
			   sizeof(struct task_struct *),                                           \
		       __LINE__)

#endif /* TESTS_MM_VM_ENV_H */

/* SPDX-License-Identifier: MIT */
/*
 * Fixture of the memory-system-call tests (test_mmap.c, test_mprotect.c, test_mremap.c,
 * test_madvise.c): a booted board (vm_env) and one task with an empty address space and a heap
 * start; snapshots of an address space (VMAs, VM and RSS counters, brk) to show that a failed
 * call changed nothing; mm_check after each step; user memory access through the simulated CPU.
 */
#ifndef TESTS_MM_MMAN_ENV_H
#define TESTS_MM_MMAN_ENV_H

#include "vm_env.h"

/* Where the tests' heap starts (mm->start_brk). */
#define MM_ENV_BRK 0x10000000ULL

struct mm_env {
	struct vm_env vm;
	struct task_struct *t;
	struct mm_struct *mm;  /* t->mm */
	struct file *files[4]; /* made by mm_env_file, put by mm_env_fini */
	unsigned int nfiles;
};

/* Boot (@mem bytes of RAM, 0: the board's default) and make the task. False (reported) if that
 * fails. */
bool mm_env_init(struct ktest *kt, struct mm_env *e, uint64_t mem);
/* exit_mmap the task's mm (checking it is empty afterwards and the files unreferenced by it),
 * free it, put the files, and check that every page the test took went back to the allocator. */
void mm_env_fini(struct ktest *kt, struct mm_env *e);

#define MM_SNAP_MAX 64

struct mm_snap {
	unsigned long count; /* VMAs */
	unsigned int n;	     /* of them recorded (the first MM_SNAP_MAX) */
	struct {
		vaddr_t start, end;
		unsigned long flags, pgoff;
		const struct file *file;
	} v[MM_SNAP_MAX];
	unsigned long total_vm, data_vm, exec_vm, stack_vm, rss_anon, rss_file;
	vaddr_t brk;
};

void mm_snap_take(const struct mm_struct *mm, struct mm_snap *s);
/* Whether @mm still is as @s recorded; the differences are logged, with @line. */
bool mm_snap_same(struct ktest *kt, const struct mm_struct *mm, const struct mm_snap *s, int line);

/* Expect that @call (a failing system call on e->mm) returns @err and changes nothing. */
#define MM_EXPECT_FAIL_CLEAN(kt, e, call, err)                                                     \
	({                                                                                         \
		struct mm_snap snap_;                                                              \
		mm_snap_take((e)->mm, &snap_);                                                     \
		bool ok_ = KT_EXPECT_EQ(kt, (long)(call), (long)(err));                            \
		ok_ &= mm_snap_same((kt), (e)->mm, &snap_, __LINE__);                              \
		ok_ &= mm_env_check((kt), (e), __LINE__);                                          \
		ok_;                                                                               \
	})

/* mm_check of the task's mm and the map counts of its pages; failures reported at @line. */
bool mm_env_check(struct ktest *kt, struct mm_env *e, int line);
#define MM_CHECK(kt, e) mm_env_check((kt), (e), __LINE__)

/* The number of VMAs overlapping [@start, @end). */
unsigned int mm_vmas_in(const struct mm_struct *mm, vaddr_t start, vaddr_t end);

/* The VMA at @addr (the one containing it), or NULL. */
struct vm_area_struct *mm_vma_at(const struct mm_struct *mm, vaddr_t addr);

/* Write / read one byte of user memory as the task on CPU 0: 0, or the fatal signal. */
int mm_poke(struct mm_env *e, vaddr_t va, unsigned char c);
int mm_peek(struct mm_env *e, vaddr_t va, unsigned char *c);

/* A new backed file of @pages pages whose byte at offset o reads mm_file_byte(o), opened with
 * @mode (FMODE_*); its pages are read in on first use; mm_env_fini puts it. NULL (reported) on
 * failure. */
struct file *mm_env_file(struct ktest *kt, struct mm_env *e, unsigned long pages,
			 unsigned int mode);
/* The byte mm_env_file writes at byte @off. */
static inline unsigned char mm_file_byte(uint64_t off)
{
	return (unsigned char)(off / PAGE_SIZE * 7 + off % 251);
}

#endif /* TESTS_MM_MMAN_ENV_H */

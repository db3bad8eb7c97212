/* SPDX-License-Identifier: MIT */
/*
 * Processes, as far as memory management sees them (Linux's task_struct, kernel/fork.c,
 * kernel/exit.c; mm/fork.c here): a pid, a name, an address space. fork copies the address
 * space with copy-on-write, exit returns everything it held, exec (mm/exec.c) replaces it with
 * an ELF image. Tasks do not run instructions: the platform makes their memory accesses on a
 * simulated CPU and hands the faults to do_page_fault.
 */
#ifndef KMM_SCHED_H
#define KMM_SCHED_H

#include <kmm/fault.h>
#include <kmm/list.h>
#include <kmm/mm_struct.h>

#define TASK_COMM_LEN 16

struct task_struct {
	int pid;
	char comm[TASK_COMM_LEN];
	struct mm_struct *mm;
	struct task_struct *parent;
	struct list_head tasks; /* on the task list */
	struct ksiginfo signal; /* the last fatal signal delivered (signo 0: none) */
};

/*
 * Set up the task_struct and mm_struct caches and start a new task list and pid sequence (Linux's
 * fork_init and proc_caches_init): the boot calls it after vm_init. 0 or -ENOMEM.
 */
int fork_init(void);

/* A new empty address space of geometry @g whose tables come from @ms (Linux's mm_alloc), from
 * the mm_struct cache; NULL when out of memory. */
struct mm_struct *mm_alloc(const struct xlat_geometry *g, struct mem_system *ms);

/* Tear down and free an address space no task uses any more (Linux's mmput of the last user):
 * exit_mmap, mm_destroy, back to the cache. */
void mmput(struct mm_struct *mm);

/* Set @t's name to @comm, truncated to TASK_COMM_LEN - 1 characters (__set_task_comm). */
void set_task_comm(struct task_struct *t, const char *comm);

/* Every live task, oldest first. */
extern struct list_head task_list;

/* The live task with @pid, or NULL. */
struct task_struct *find_task_by_pid(int pid);

/*
 * A new process named @comm with an empty address space of the kernel's user geometry (the
 * boot's TTBR0 geometry: 4K pages, its VA size) and a fresh pid. NULL when out of memory.
 */
struct task_struct *task_create(const char *comm);

/*
 * fork: a child of @parent with a copy of its address space (dup_mmap: every VMA copied except
 * VM_DONTCOPY ones, file references taken, PTEs copied by copy_page_range). 0 with *@child set,
 * or -ENOMEM with nothing left behind.
 */
int do_fork(struct task_struct *parent, struct task_struct **child);

/* exit: tear the address space down (exit_mmap, mm_destroy: every page, table page, VMA and its
 * file reference returned; the ASID is released at the next rollover) and free the task. */
void do_exit(struct task_struct *t);

/*
 * Replace @t's address space with a new one for @file (mm/exec.c; Linux's do_execve and
 * load_elf_binary): an ELF64 executable, static or PIE, for AArch64 or x86-64 (no instruction
 * runs, only the layout matters; anything else is -ENOEXEC), its PT_LOAD segments as private
 * file mappings (bss anonymous), PT_INTERP's file mapped too (@open_interp opens it by path), the
 * stack with argv, envp and the auxiliary vector, brk after the image. Nothing is faulted in
 * beyond what exec writes: the stack it builds and the zeroed rest of an image's last file page
 * (padzero, a copy-on-write fault). The old address space is kept when this fails.
 * @file stays the caller's (the mappings take references of their own); the interpreter's file
 * is put before this returns. @t's name becomes the last component of @file's path. Returns 0,
 * or -ENOEXEC (not an ELF executable for one of the two machines), -E2BIG (arguments too long),
 * -ELIBBAD (a bad interpreter), -EINVAL or -EEXIST (bad segments), -EFAULT (padzero cannot write:
 * a file too short for its segments), @open_interp's error, -EIO, -ENOMEM.
 */
struct file;
typedef struct file *(*exec_open_fn)(void *ctx, const char *path, int *err);
int do_execve(struct task_struct *t, struct file *file, const char *const *argv,
	      const char *const *envp, exec_open_fn open_interp, void *ctx);

#endif /* KMM_SCHED_H */

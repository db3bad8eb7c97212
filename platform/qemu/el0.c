// SPDX-License-Identifier: MIT
/*
 * The EL0 part: the demo program of platform/qemu/el0 (a static ELF executable embedded in the
 * image) run at EL0 in address spaces of its own, making Linux's arm64 system calls.
 *
 * A run: a new task exec's the program (do_execve, the simulator's exec) from a file whose pages
 * are read from the embedded blob (file_create_backed); its TTBR0 is switched in (switch_mm,
 * arch_switch_ttbr0) and aarch64_run_user erets to its entry (AT_ENTRY of the auxiliary vector
 * exec built) with sp at its argc. Its system calls come to el0_sync (svc #0; number in x8,
 * arguments in x0..x5, result in x0): write prints on the console, exit and exit_group end it,
 * brk, mmap (anonymous), munmap and mprotect are the mm's sys_* calls, clone (a fork) is
 * do_fork, wait4 runs the child to its end first. Nothing preempts a program: it runs until it
 * exits, faults fatally or waits for a child. Its faults go to do_page_fault (traps.c); a fatal
 * one comes to el0_signal, which prints a "segfault at" line as Linux does and ends it. A
 * process that ended has its mm checked (mm_check, and the map counts across the live ones) and
 * torn down by do_exit; the kernel then goes on.
 *
 * The runs and what the kernel checks after each (the counts from el0/abi.h):
 *   el0-demo mem         exit 0 (its own checks: registers kept across svc, what it read
 *                        back); brk ended EL0_HEAP_PAGES above the start; the stack VMA grew
 *                        beyond what exec gave it, to hold the recursion; at least as many
 *                        minor faults as pages it touched the first time.
 *   el0-demo rowrite     SIGSEGV, SEGV_ACCERR, at EL0_RO_ADDR.
 *   el0-demo read ADDR   SIGSEGV, SEGV_MAPERR, at ADDR: a word of this kernel's rodata.
 *   el0-demo exec        SIGSEGV, SEGV_ACCERR, at EL0_NX_ADDR (an instruction abort).
 *   el0-demo ill         SIGILL, ILL_ILLOPC, in the program's text.
 *   el0-demo fork ADDR   the parent exits 0 (it checked its value and its children's statuses);
 *                        the first child exits 0 (it checked its own), the parent copied a page
 *                        on write (cow_copies) and the child reused one (cow_reuses: it was the
 *                        last mapper once the parent had copied); the second child dies of
 *                        SIGSEGV (SEGV_MAPERR) at ADDR while its parent goes on.
 * Then the page allocator's and slab's checkers. The part returns the number of failed checks.
 */
#include "kernel.h"
#include "el0/abi.h"

#include <aarch64/esr.h>
#include <aarch64/machine.h>
#include <aarch64/traps.h>
#include <kmm/elf.h>
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/printk.h>
#include <kmm/sched.h>
#include <kmm/slab.h>

#include <stdarg.h>

/* The program, as scripts/embed-blob.cmake wrote it (kernel.cmake). */
extern const unsigned char el0_demo_elf[];
extern const size_t el0_demo_elf_size;

#define SIGILL 4
#define ILL_ILLOPC 1
#define BUS_ADRALN 1

#define EL0_PROCS_MAX 4 /* a program and the children it forks, in one run */
#define WRITE_CHUNK 128

/* A process of a run: its task while it lives, how it ended, its mm's counters at the end. */
struct el0_proc {
	struct task_struct *task; /* NULL once it ended (do_exit) */
	struct el0_proc *parent;
	int pid;
	char comm[TASK_COMM_LEN];
	struct pt_regs regs; /* where it starts at EL0 */
	bool started, waited;
	int exit_code;		     /* when it exited (sig.signo 0) */
	struct ksiginfo sig;	     /* its fatal signal */
	unsigned long stack_vm_exec; /* the stack VMA's pages when exec was done */
	vaddr_t start_code, end_code;
	unsigned long min_flt, maj_flt, cow_copies, cow_reuses, stack_vm, heap;
};

/* One run: the program and its children; the innermost one at EL0 is current. */
static struct el0_run {
	struct el0_proc procs[EL0_PROCS_MAX];
	unsigned int nprocs;
	struct el0_proc *current;
} run;

static unsigned int failures;

/* Count a failed check unless @ok, and say which. */
__attribute__((format(printf, 2, 3))) static void expect(bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	failures++;
	printk("el0: FAILED: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}

/*
 * Make @len bytes at @va, written as data, right for instruction fetches (ARM ARM (DDI 0487),
 * "Concurrent modification and execution of instructions" in B2): each data cache line cleaned
 * to the point of unification, DSB, then every instruction cache invalidated (the bytes are
 * fetched through another VA, the program's), DSB and ISB.
 */
static void sync_icache(const void *va, size_t len)
{
	uint64_t line = 4UL << ((read_sysreg(ctr_el0) >> 16) & 0xf); /* CTR_EL0.DminLine: words */

	for (uint64_t p = ALIGN_DOWN((uint64_t)va, line); p < (uint64_t)va + len; p += line)
		__asm__ volatile("dc cvau, %0" : : "r"(p) : "memory");
	__asm__ volatile("dsb ish\n\tic ialluis\n\tdsb ish\n\tisb" : : : "memory");
}

/* The program file's backing store: the blob. Its page-cache pages may be mapped executable,
 * so what is read is made right for instruction fetches (the bytes the page cache zeroes
 * beyond the end of the file are no instructions). */
static long blob_read(void *priv, uint64_t off, void *buf, size_t len)
{
	size_t n;

	(void)priv;
	if (off >= el0_demo_elf_size)
		return 0;
	n = el0_demo_elf_size - off < len ? (size_t)(el0_demo_elf_size - off) : len;
	__builtin_memcpy(buf, el0_demo_elf + off, n);
	sync_icache(buf, n);
	return (long)n;
}

static const struct file_backing_ops blob_ops = { .read = blob_read };

/* Run @mm at EL0 on this CPU from now on (NULL: none, TTBR0 the zero page again). */
static void switch_to(struct mm_struct *mm)
{
	bool flush = false;

	if (!mm) {
		aarch64_set_current_mm(NULL);
		arch_switch_ttbr0(arch_virt_to_phys(empty_zero_page), false);
		return;
	}
	uint64_t ttbr0 = switch_mm(&asid_default, arch_cpu_id(), mm, &flush);
	arch_switch_ttbr0(ttbr0, flush);
	aarch64_set_current_mm(mm);
}

/* copy_{from,to}_user over the uaccess.S accessors: 0 or -EFAULT. */
static int copy_from_user(void *dst, vaddr_t src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (aarch64_user_read8(src + i, (uint8_t *)dst + i))
			return -EFAULT;
	return 0;
}

static int copy_to_user(vaddr_t dst, const void *src, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (aarch64_user_write8(dst + i, ((const uint8_t *)src)[i]))
			return -EFAULT;
	return 0;
}

/* The entry point exec chose: AT_ENTRY of the auxiliary vector above argc, argv[] and envp[]
 * at the mm's start_stack (the mm switched in). 0, -EFAULT or -ENOEXEC (no AT_ENTRY). */
static int auxv_entry(const struct mm_struct *mm, vaddr_t *entry)
{
	vaddr_t p = mm->start_stack;
	uint64_t v[2];

	if (copy_from_user(v, p, 8))
		return -EFAULT;
	p += (v[0] + 2) * 8; /* argc, argv[], NULL */
	do {
		if (copy_from_user(v, p, 8))
			return -EFAULT;
		p += 8;
	} while (v[0]); /* envp[], NULL */
	for (;; p += 16) {
		if (copy_from_user(v, p, 16))
			return -EFAULT;
		if (v[0] == AT_NULL)
			return -ENOEXEC;
		if (v[0] == AT_ENTRY) {
			*entry = v[1];
			return 0;
		}
	}
}

static struct el0_proc *proc_add(struct task_struct *t, struct el0_proc *parent)
{
	struct el0_proc *p = &run.procs[run.nprocs++];

	*p = (struct el0_proc){ .task = t,
				.parent = parent,
				.pid = t->pid,
				.stack_vm_exec = t->mm->stack_vm,
				.start_code = t->mm->start_code,
				.end_code = t->mm->end_code };
	__builtin_memcpy(p->comm, t->comm, sizeof(p->comm));
	return p;
}

/* @p ended: keep its counters, check its mm alone and with the live ones, tear it down. */
static void proc_end(struct el0_proc *p)
{
	struct mm_struct *mm = p->task->mm, *mms[EL0_PROCS_MAX];
	unsigned int n = 0;
	const char *bad = mm_check(mm);

	p->min_flt = mm->min_flt;
	p->maj_flt = mm->maj_flt;
	p->cow_copies = mm->cow_copies;
	p->cow_reuses = mm->cow_reuses;
	p->stack_vm = mm->stack_vm;
	p->heap = mm->brk - mm->start_brk;
	expect(!bad, "%s[%d]: mm_check: %s", p->comm, p->pid, bad);
	for (unsigned int i = 0; i < run.nprocs; i++)
		if (run.procs[i].task)
			mms[n++] = run.procs[i].task->mm;
	bad = mm_check_mapcounts(mms, n);
	expect(!bad, "%s[%d]: map counts: %s", p->comm, p->pid, bad);
	switch_to(NULL);
	do_exit(p->task);
	p->task = NULL;
}

/* Run @p at EL0 until it ends, then go back to the process that was running (if any). */
static void proc_run(struct el0_proc *p)
{
	struct el0_proc *prev = run.current;

	p->started = true;
	switch_to(p->task->mm);
	run.current = p;
	aarch64_run_user(&p->regs);
	proc_end(p);
	run.current = prev;
	if (prev)
		switch_to(prev->task->mm);
}

/* write(fd, buf, count): standard output and error go to the console. */
static long el0_write(const uint64_t *x)
{
	char chunk[WRITE_CHUNK];
	size_t done = 0, len = x[2];

	if (x[0] != 1 && x[0] != 2)
		return -EBADF;
	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		if (copy_from_user(chunk, x[1] + done, n))
			return done ? (long)done : -EFAULT;
		printk("%.*s", (int)n, chunk);
		done += n;
	}
	return (long)done;
}

/* clone(flags, newsp, ...) as fork: a signal number in flags and no new stack, nothing else.
 * The child starts where the parent's svc returns, with 0 in x0. */
static long el0_fork(const struct pt_regs *regs)
{
	struct task_struct *child;
	struct el0_proc *c;

	if ((regs->regs[0] & ~(uint64_t)EL0_CSIGNAL) || regs->regs[1])
		return -EINVAL;
	if (run.nprocs == EL0_PROCS_MAX)
		return -EAGAIN;
	int e = do_fork(run.current->task, &child);
	if (e)
		return e;
	c = proc_add(child, run.current);
	c->regs = *regs;
	c->regs.regs[0] = 0;
	return child->pid;
}

/* wait4(pid, status, options, rusage), without options or rusage: the child @pid (-1: any)
 * that was not waited for runs to its end if it has not run, its status goes to @status
 * (exit code << 8, or the signal), its pid is returned. */
static long el0_wait4(const uint64_t *x)
{
	int pid = (int)x[0], status;
	struct el0_proc *c = NULL;

	if (x[2] || x[3])
		return -EINVAL;
	for (unsigned int i = 0; i < run.nprocs && !c; i++)
		if (run.procs[i].parent == run.current && !run.procs[i].waited &&
		    (pid == -1 || run.procs[i].pid == pid))
			c = &run.procs[i];
	if (!c)
		return -ECHILD;
	if (!c->started)
		proc_run(c);
	status = c->sig.signo ? c->sig.signo & 0x7f : (c->exit_code & 0xff) << 8;
	if (x[1] && copy_to_user(x[1], &status, sizeof(status)))
		return -EFAULT;
	c->waited = true;
	return c->pid;
}

/* The system call in x8 with its arguments in x0..x5: its result, or -ENOSYS. */
static long el0_syscall(const struct pt_regs *regs)
{
	struct mm_struct *mm = run.current->task->mm;
	const uint64_t *x = regs->regs;

	switch (x[8]) {
	case EL0_NR_write:
		return el0_write(x);
	case EL0_NR_brk:
		return sys_brk(mm, x[0]);
	case EL0_NR_mmap: /* no file descriptors: anonymous mappings only */
		return x[3] & MAP_ANONYMOUS
			   ? sys_mmap(mm, x[0], x[1], (int)x[2], (int)x[3], NULL, x[5])
			   : -EBADF;
	case EL0_NR_munmap:
		return sys_munmap(mm, x[0], x[1]);
	case EL0_NR_mprotect:
		return sys_mprotect(mm, x[0], x[1], (int)x[2]);
	case EL0_NR_clone:
		return el0_fork(regs);
	case EL0_NR_wait4:
		return el0_wait4(x);
	default:
		return -ENOSYS;
	}
}

static const char *signal_code(const struct ksiginfo *info)
{
	switch (info->signo) {
	case SIGSEGV:
		return info->code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV_MAPERR";
	case SIGBUS:
		return info->code == BUS_ADRERR	  ? "BUS_ADRERR"
		       : info->code == BUS_OBJERR ? "BUS_OBJERR"
						  : "BUS_ADRALN";
	case SIGILL:
		return "ILL_ILLOPC";
	default:
		return "SI_KERNEL";
	}
}

/*
 * The current process dies of @info: say so as Linux's show_signal does ("el0-demo[5]: segfault
 * at ADDR pc PC sp SP" and what the exception was) and keep the signal for its parent.
 */
static void el0_signal(struct pt_regs *regs, const struct ksiginfo *info)
{
	struct el0_proc *p = run.current;
	uint64_t esr = regs->esr;
	char what[128];

	p->sig = *info;
	if (esr_is_data_abort(esr) || esr_is_instruction_abort(esr))
		kmm_snprintf(what, sizeof(what), "%s: %s at level %u, %s",
			     aarch64_ec_name(esr_ec(esr)), aarch64_fsc_name(esr_fsc(esr)),
			     esr_fsc_level(esr),
			     esr_is_instruction_abort(esr) ? "fetch"
			     : esr_is_write(esr)	   ? "write"
							   : "read");
	else
		kmm_snprintf(what, sizeof(what), "%s", aarch64_ec_name(esr_ec(esr)));
	printk("%s[%d]: %s at 0x%llx pc 0x%llx sp 0x%llx: signal %d code %s (%s; ESR 0x%08llx)\n",
	       p->comm, p->pid,
	       info->signo == SIGSEGV  ? "segfault"
	       : info->signo == SIGBUS ? "bus error"
	       : info->signo == SIGILL ? "illegal instruction"
				       : "killed",
	       (unsigned long long)info->addr, (unsigned long long)regs->pc,
	       (unsigned long long)regs->sp, info->signo, signal_code(info), what,
	       (unsigned long long)esr);
}

/* aarch64_el0_sync_hook: a system call; anything else is the program's end (SIGBUS for an
 * alignment fault of pc or sp, else SIGILL, as Linux's el0_inv/el0_pc/el0_sp). */
static bool el0_sync(struct pt_regs *regs)
{
	unsigned int ec = esr_ec(regs->esr);
	struct ksiginfo info = { .signo = SIGILL, .code = ILL_ILLOPC, .addr = regs->pc };

	if (ec == ESR_ELx_EC_SVC64) {
		if (regs->regs[8] == EL0_NR_exit || regs->regs[8] == EL0_NR_exit_group) {
			run.current->exit_code = (int)(regs->regs[0] & 0xff);
			return false;
		}
		regs->regs[0] = (uint64_t)el0_syscall(regs);
		return true;
	}
	if (ec == ESR_ELx_EC_PC_ALIGN || ec == ESR_ELx_EC_SP_ALIGN)
		info =
		    (struct ksiginfo){ .signo = SIGBUS,
				       .code = BUS_ADRALN,
				       .addr = ec == ESR_ELx_EC_PC_ALIGN ? regs->far : regs->sp };
	el0_signal(regs, &info);
	return false;
}

/* Exec the program with @argv into a new task, ready to run from its entry. NULL (a failure
 * counted) when it could not. */
static struct el0_proc *start_program(struct file *f, const char *const *argv)
{
	static const char *const envp[] = { "PATH=/bin", NULL };
	struct task_struct *t = task_create("el0");
	vaddr_t entry = 0;
	int e;

	expect(t != NULL, "task_create: out of memory");
	if (!t)
		return NULL;
	e = do_execve(t, f, argv, envp, NULL, NULL);
	if (!e) {
		switch_to(t->mm);
		e = auxv_entry(t->mm, &entry);
		switch_to(NULL);
	}
	expect(!e, "exec of %s %s: error %d", argv[0], argv[1], e);
	if (e) {
		do_exit(t);
		return NULL;
	}
	struct el0_proc *p = proc_add(t, NULL);
	p->regs =
	    (struct pt_regs){ .pc = entry, .sp = t->mm->start_stack, .pstate = PSR_MODE_EL0t };
	return p;
}

/* One run of the program with @argv: it, then the children nobody waited for. */
static bool run_program(struct file *f, const char *const *argv)
{
	struct el0_proc *p;

	run = (struct el0_run){ .nprocs = 0 };
	p = start_program(f, argv);
	if (!p)
		return false;
	proc_run(p);
	for (unsigned int i = 0; i < run.nprocs; i++)
		if (!run.procs[i].started)
			proc_run(&run.procs[i]);
	return true;
}

/* How @p ended, as the part's log says it. */
static void say_end(const struct el0_proc *p, const char *args)
{
	if (p->sig.signo)
		printk("el0: %s %s (pid %d): signal %d %s at 0x%llx; ", p->comm, args, p->pid,
		       p->sig.signo, signal_code(&p->sig), (unsigned long long)p->sig.addr);
	else
		printk("el0: %s %s (pid %d): exit %d; ", p->comm, args, p->pid, p->exit_code);
	printk("%lu minor, %lu major faults, %lu pages copied and %lu reused on write\n",
	       p->min_flt, p->maj_flt, p->cow_copies, p->cow_reuses);
}

static bool exited_ok(const struct el0_proc *p)
{
	return !p->sig.signo && p->exit_code == 0;
}

static bool died_of(const struct el0_proc *p, int code, vaddr_t addr)
{
	return p->sig.signo == SIGSEGV && p->sig.code == code && p->sig.addr == addr;
}

static void run_mem(struct file *f)
{
	static const char *const argv[] = { "el0-demo", "mem", NULL };
	const struct el0_proc *p = &run.procs[0];
	unsigned long touched = EL0_HEAP_PAGES + EL0_HEAP_PAGES / 2 + EL0_MMAP_PAGES;

	if (!run_program(f, argv))
		return;
	say_end(p, "mem");
	printk("el0: heap %lu KiB by brk; stack VMA %lu KiB (exec made %lu KiB)\n", p->heap >> 10,
	       p->stack_vm * PAGE_SIZE >> 10, p->stack_vm_exec * PAGE_SIZE >> 10);
	expect(exited_ok(p), "el0-demo mem did not exit with 0");
	expect(p->heap == EL0_HEAP_PAGES * EL0_PAGE_SIZE, "brk ended 0x%lx above its start",
	       p->heap);
	expect(p->stack_vm > p->stack_vm_exec &&
		   p->stack_vm * PAGE_SIZE >= EL0_STACK_DEPTH * EL0_STACK_FRAME,
	       "the stack VMA did not grow to hold the recursion");
	touched += p->stack_vm - p->stack_vm_exec;
	expect(p->min_flt >= touched, "%lu minor faults, fewer than the %lu pages touched",
	       p->min_flt, touched);
}

/* A word of this kernel's read-only data, which the programs try to read. */
static const uint64_t kernel_secret = 0x6b6d6d2d6b65726eULL;

/*
 * A run of `el0-demo @mode [@arg]` that must end in signal @signo with @code at @addr (0: at an
 * address of the program's text).
 */
static void run_fatal(struct file *f, const char *mode, const char *arg, int signo, int code,
		      vaddr_t addr)
{
	const char *const argv[] = { "el0-demo", mode, arg, NULL };
	const struct el0_proc *p = &run.procs[0];

	if (!run_program(f, argv))
		return;
	say_end(p, mode);
	expect(p->sig.signo == signo && p->sig.code == code &&
		   (addr ? p->sig.addr == addr
			 : p->sig.addr >= p->start_code && p->sig.addr < p->end_code),
	       "el0-demo %s did not die of signal %d code %d at 0x%llx", mode, signo, code,
	       (unsigned long long)addr);
}

static void run_fork(struct file *f, const char *addr)
{
	const char *const argv[] = { "el0-demo", "fork", addr, NULL };
	const struct el0_proc *parent = &run.procs[0], *child = &run.procs[1];
	const struct el0_proc *faulting = &run.procs[2];

	if (!run_program(f, argv))
		return;
	for (unsigned int i = 0; i < run.nprocs; i++)
		say_end(&run.procs[i], i ? "(forked)" : "fork");
	expect(run.nprocs == 3 && child->waited && faulting->waited,
	       "el0-demo fork: %u processes, not a parent and two children it waited for",
	       run.nprocs);
	if (run.nprocs != 3)
		return;
	expect(exited_ok(parent) && exited_ok(child), "el0-demo fork: a process did not exit 0");
	expect(parent->cow_copies >= 1 && child->cow_reuses >= 1,
	       "copy-on-write: the parent copied %lu pages, the child reused %lu",
	       parent->cow_copies, child->cow_reuses);
	expect(died_of(faulting, SEGV_MAPERR, (vaddr_t)&kernel_secret),
	       "the second child did not die of SIGSEGV (SEGV_MAPERR) at %s", addr);
}

unsigned int el0_run_programs(struct kernel *k)
{
	unsigned long t0 = kernel_uptime_ms(k);
	char addr[24];
	struct file *f = file_create_backed(&mm_default_system, "/bin/el0-demo", el0_demo_elf_size,
					    &blob_ops, NULL, FMODE_READ | FMODE_EXEC);

	failures = 0;
	if (!f) {
		printk("el0: FAILED: no memory for the program's file\n");
		return 1;
	}
	kmm_snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)(vaddr_t)&kernel_secret);
	aarch64_el0_sync_hook = el0_sync;
	aarch64_user_signal_hook = el0_signal;
	run_mem(f);
	run_fatal(f, "rowrite", NULL, SIGSEGV, SEGV_ACCERR, EL0_RO_ADDR);
	run_fatal(f, "read", addr, SIGSEGV, SEGV_MAPERR, (vaddr_t)&kernel_secret);
	run_fatal(f, "exec", NULL, SIGSEGV, SEGV_ACCERR, EL0_NX_ADDR);
	run_fatal(f, "ill", NULL, SIGILL, ILL_ILLOPC, 0);
	run_fork(f, addr);
	aarch64_el0_sync_hook = NULL;
	aarch64_user_signal_hook = NULL;
	fput(f);
	expect(!ms_page_alloc_check(&mm_default_system), "the page allocator's checker");
	expect(!ss_slab_check(&slab_default_system), "the slab checker");
	printk("el0: 6 runs of el0-demo (%u KiB ELF) at EL0, %u failed checks, in %lu ms\n",
	       (unsigned int)(el0_demo_elf_size >> 10), failures, kernel_uptime_ms(k) - t0);
	return failures;
}

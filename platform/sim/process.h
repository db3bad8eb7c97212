/* SPDX-License-Identifier: MIT */
/*
 * Simulated processes at work: a task runs on a simulated CPU (its address space switched in,
 * the CPU at EL0) and makes user memory accesses there, through the CPU's TLB and MMU. A fault
 * goes to the kernel as an abort would: the CPU reports its syndrome (hw_access_esr), the kernel
 * runs do_page_fault at EL1 and the access is retried, until it completes or the kernel sends
 * the task a fatal signal. Tasks run no instructions; these accesses stand for them.
 */
#ifndef SIM_PROCESS_H
#define SIM_PROCESS_H

#include <kmm/sched.h>

/*
 * Run @t on simulated CPU @cpu (Linux's context switch to it): kernel code runs as @cpu from
 * now on (host_set_cpu), @t's mm gets an ASID (switch_mm with asid_default) and its tables are
 * loaded into TTBR0 (arch_switch_ttbr0, flushing the local TLB when the ASID allocator asks),
 * and the CPU drops to EL0.
 */
void sim_task_switch(struct task_struct *t, unsigned int cpu);

/*
 * Read or write @len bytes at user address @va as @t running on @cpu would (switched to first
 * unless it runs there already), at EL0, resolving faults through do_page_fault. 0 when every
 * byte was transferred; else the number of the fatal signal the fault raised (SIGSEGV, SIGBUS,
 * SIGKILL for out of memory), with @info filled and recorded in t->signal; the bytes before the
 * faulting page were transferred, as on hardware.
 */
int sim_user_read(struct task_struct *t, unsigned int cpu, vaddr_t va, void *buf, size_t len,
		  struct ksiginfo *info);
int sim_user_write(struct task_struct *t, unsigned int cpu, vaddr_t va, const void *buf, size_t len,
		   struct ksiginfo *info);

/* An instruction fetch at @va by @t on @cpu (an instruction abort on a fault): 0 or a signal,
 * as above. */
int sim_user_exec(struct task_struct *t, unsigned int cpu, vaddr_t va, struct ksiginfo *info);

#endif /* SIM_PROCESS_H */

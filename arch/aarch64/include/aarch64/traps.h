/* SPDX-License-Identifier: MIT */
/*
 * Exceptions on the bare-metal kernel (arch/aarch64/vectors.S, traps.c, uaccess.S): the vectors
 * at VBAR_EL1 save the interrupted context as a struct pt_regs on the kernel stack and call
 * aarch64_trap. Aborts on user addresses go to do_page_fault (mm/fault.c, as in the simulator)
 * with the address space this CPU runs; an access with a fixup (uaccess.S's entries in
 * __ex_table, Linux's exception table) resumes at its fixup when the fault stands; anything
 * else is reported (ESR class, FAR, ELR, registers) and the machine halted. The hooks below are
 * where the later parts plug in: the EL0 programs (system calls, signals) and interrupts.
 */
#ifndef AARCH64_TRAPS_H
#define AARCH64_TRAPS_H

#include <aarch64/head.h>
#include <kmm/types.h>

struct pt_regs {
	uint64_t regs[31]; /* x0..x30 */
	uint64_t sp;	   /* the interrupted SP (SP_EL0 for EL0, else SP_EL1) */
	uint64_t pc;	   /* ELR_EL1: where eret resumes */
	uint64_t pstate;   /* SPSR_EL1 */
	uint64_t esr, far; /* ESR_EL1 and FAR_EL1 at entry */
};

_Static_assert(sizeof(struct pt_regs) == PT_REGS_SIZE, "vectors.S's frame");
_Static_assert(__builtin_offsetof(struct pt_regs, esr) == PT_REGS_ESR, "vectors.S's frame");

/* The vector entries, VBAR_EL1 + 0x80 * n (ARM ARM D1.10.2 "Exception vectors"). */
enum aarch64_vector {
	VEC_EL1T_SYNC = 0, /* from EL1 using SP_EL0: never used by the kernel */
	VEC_EL1H_SYNC = 4, /* from EL1 using SP_EL1 */
	VEC_EL1H_IRQ,
	VEC_EL1H_FIQ,
	VEC_EL1H_SERROR,
	VEC_EL0_SYNC = 8, /* from AArch64 EL0 */
	VEC_EL0_IRQ,
	VEC_EL0_FIQ,
	VEC_EL0_SERROR,
	VEC_EL0_32 = 12, /* from AArch32 EL0: not supported */
};

/*
 * Called by vectors.S with the saved frame. Returns true to resume the interrupted context at
 * regs->pc; false (from an EL0 vector only) to end the EL0 program: aarch64_run_user returns.
 */
bool aarch64_trap(struct pt_regs *regs, unsigned int vector);

/* SPSR_EL1 for EL0: M[3:0] = EL0t, AArch64, DAIF clear (ARM ARM (DDI 0487) C5.2 "SPSR_EL1"). */
#define PSR_MODE_EL0t 0x0

/*
 * Run a program at EL0 (vectors.S; Linux's ret_to_user): eret to @regs->pc with @regs->pstate
 * (PSR_MODE_EL0t), SP_EL0 = @regs->sp and x0..x30 from @regs, in the address space the caller
 * switched TTBR0 to (and named with aarch64_set_current_mm). The program's exceptions save its
 * frame on this kernel stack, below the caller's, and go to aarch64_trap; this returns when a
 * hook ends the program. A hook may run another program meanwhile (a fork's child) by calling
 * this again: the frames nest.
 */
void aarch64_run_user(const struct pt_regs *regs);

struct mm_struct;
struct ksiginfo;

/* The address space this CPU runs at EL0 / reaches through TTBR0 (NULL: none, the boot's). */
void aarch64_set_current_mm(struct mm_struct *mm);
struct mm_struct *aarch64_current_mm(void);

/* Extension points, NULL until a part sets them (an exception they would take is reported). */
/* A synchronous exception from EL0 other than an abort: SVC, undefined instructions...
 * Returns true to resume the program at regs->pc (after an SVC: the next instruction, x0 the
 * result), false to end it. */
extern bool (*aarch64_el0_sync_hook)(struct pt_regs *regs);
/* An abort from EL0 that do_page_fault answered with a signal (a user address), or one on an
 * address outside TTBR0's range (SIGSEGV, SEGV_MAPERR, as Linux's do_bad_area): the signal is
 * fatal, the program ends when the hook returns. */
extern void (*aarch64_user_signal_hook)(struct pt_regs *regs, const struct ksiginfo *info);
/* An IRQ, from EL1 or EL0. */
extern void (*aarch64_irq_hook)(struct pt_regs *regs);

/*
 * Accesses that may fault (uaccess.S). Each returns 0, or -EFAULT when the access faulted and
 * do_page_fault (for a user address) could not make it succeed; the fault is then recorded as
 * aarch64_last_fixup says. The user ones are unprivileged (LDTRB/STTRB: EL0's permissions, ARM
 * ARM C6.2 "LDTRB"), as copy_{from,to}_user; the kernel ones plain loads and stores, to probe
 * what a kernel address allows.
 */
int aarch64_user_read8(vaddr_t va, uint8_t *val);
int aarch64_user_write8(vaddr_t va, uint8_t val);
int aarch64_kernel_read64(vaddr_t va, uint64_t *val);
int aarch64_kernel_write64(vaddr_t va, uint64_t val);

/* The last fault this CPU resumed at a fixup: its ESR_EL1 and FAR_EL1. */
struct aarch64_fault {
	uint64_t esr, far;
};
struct aarch64_fault aarch64_last_fixup(void);

/* Print @regs as an unexpected-exception report does (pc, lr, sp, pstate, x0..x29). */
void aarch64_show_regs(const struct pt_regs *regs);

/* An exception class (ESR_EL1.EC) and an abort's fault status code (DFSC/IFSC) in words, as the
 * reports print them: "data abort from EL0", "permission fault". */
const char *aarch64_ec_name(unsigned int ec);
const char *aarch64_fsc_name(unsigned int fsc);

#endif /* AARCH64_TRAPS_H */

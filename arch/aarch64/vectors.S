/* SPDX-License-Identifier: MIT */
/*
 * The exception vectors at VBAR_EL1 (ARM ARM D1.10.2 "Exception vectors": 16 entries of 0x80
 * bytes, from the current EL with SP_EL0, with SP_ELx, from a lower EL in AArch64 and in
 * AArch32; each sync, IRQ, FIQ, SError). Every entry saves the interrupted context as a struct
 * pt_regs (aarch64/traps.h) on the kernel stack, calls aarch64_trap(regs, entry number) and
 * restores it, ELR/SPSR included (a handler may change pc to resume elsewhere), then erets; from
 * EL0 also SP_EL0, and aarch64_trap may end the program instead (aarch64_run_user returns).
 * Interrupts stay masked in the handlers (PSTATE.DAIF is set on exception entry).
 */
#include <aarch64/head.h>

/* Entry @n: make room for the frame, free x0/x1, branch to the common code of its EL. */
.macro ventry n, el
	.balign	128
	sub	sp, sp, #PT_REGS_SIZE
	stp	x0, x1, [sp]
	mov	x1, #\n
	b	entry_el\el
.endm

/* Save x2..x30, the interrupted SP, ELR, SPSR, ESR and FAR (x0, x1 are saved by ventry). */
.macro save_frame el
	stp	x2, x3, [sp, #16 * 1]
	stp	x4, x5, [sp, #16 * 2]
	stp	x6, x7, [sp, #16 * 3]
	stp	x8, x9, [sp, #16 * 4]
	stp	x10, x11, [sp, #16 * 5]
	stp	x12, x13, [sp, #16 * 6]
	stp	x14, x15, [sp, #16 * 7]
	stp	x16, x17, [sp, #16 * 8]
	stp	x18, x19, [sp, #16 * 9]
	stp	x20, x21, [sp, #16 * 10]
	stp	x22, x23, [sp, #16 * 11]
	stp	x24, x25, [sp, #16 * 12]
	stp	x26, x27, [sp, #16 * 13]
	stp	x28, x29, [sp, #16 * 14]
	.if	\el == 0
	mrs	x21, sp_el0
	.else
	add	x21, sp, #PT_REGS_SIZE
	.endif
	stp	x30, x21, [sp, #PT_REGS_X30]
	mrs	x22, elr_el1
	mrs	x23, spsr_el1
	stp	x22, x23, [sp, #PT_REGS_PC]
	mrs	x24, esr_el1
	mrs	x25, far_el1
	stp	x24, x25, [sp, #PT_REGS_ESR]
.endm

.macro restore_frame el
	ldp	x22, x23, [sp, #PT_REGS_PC]
	msr	elr_el1, x22
	msr	spsr_el1, x23
	.if	\el == 0
	ldr	x21, [sp, #PT_REGS_SP]
	msr	sp_el0, x21
	.endif
	ldp	x0, x1, [sp, #16 * 0]
	ldp	x2, x3, [sp, #16 * 1]
	ldp	x4, x5, [sp, #16 * 2]
	ldp	x6, x7, [sp, #16 * 3]
	ldp	x8, x9, [sp, #16 * 4]
	ldp	x10, x11, [sp, #16 * 5]
	ldp	x12, x13, [sp, #16 * 6]
	ldp	x14, x15, [sp, #16 * 7]
	ldp	x16, x17, [sp, #16 * 8]
	ldp	x18, x19, [sp, #16 * 9]
	ldp	x20, x21, [sp, #16 * 10]
	ldp	x22, x23, [sp, #16 * 11]
	ldp	x24, x25, [sp, #16 * 12]
	ldp	x26, x27, [sp, #16 * 13]
	ldp	x28, x29, [sp, #16 * 14]
	ldr	x30, [sp, #PT_REGS_X30]
	add	sp, sp, #PT_REGS_SIZE
	eret
.endm

	.text
	.balign	2048
	.globl	vectors
vectors:
	ventry	0, 1			// EL1t: sync, IRQ, FIQ, SError
	ventry	1, 1
	ventry	2, 1
	ventry	3, 1
	ventry	4, 1			// EL1h
	ventry	5, 1
	ventry	6, 1
	ventry	7, 1
	ventry	8, 0			// EL0, AArch64
	ventry	9, 0
	ventry	10, 0
	ventry	11, 0
	ventry	12, 0			// EL0, AArch32
	ventry	13, 0
	ventry	14, 0
	ventry	15, 0

entry_el1:
	save_frame 1
	mov	x0, sp
	bl	aarch64_trap
	restore_frame 1

entry_el0:
	save_frame 0
	mov	x29, #0				// the frame chain ends at the user boundary
	mov	x0, sp
	bl	aarch64_trap
	tst	w0, #0xff			// a bool: only its low byte is defined (AAPCS64)
	b.eq	user_ended
ret_to_user:
	restore_frame 0

/*
 * void aarch64_run_user(const struct pt_regs *regs): save the callee-saved registers (AAPCS64)
 * with a frame record, copy @regs below them as the frame entry_el0 would have saved, and
 * return to EL0 through it. SP_EL1 stays at that frame while the program runs, so its
 * exceptions save their frames at the same place; when aarch64_trap ends the program,
 * user_ended drops the frame and returns to aarch64_run_user's caller.
 */
	.globl	aarch64_run_user
aarch64_run_user:
	stp	x29, x30, [sp, #-96]!
	mov	x29, sp
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	sub	sp, sp, #PT_REGS_SIZE
	mov	x1, sp
	mov	x2, #PT_REGS_SIZE / 16
1:	ldp	x3, x4, [x0], #16
	stp	x3, x4, [x1], #16
	subs	x2, x2, #1
	b.ne	1b
	b	ret_to_user

user_ended:
	add	sp, sp, #PT_REGS_SIZE
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #96
	ret

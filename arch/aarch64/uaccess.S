/* SPDX-License-Identifier: MIT */
/*
 * Accesses that may fault, each with an entry in the exception table (__ex_table: pairs of the
 * faulting instruction's address and where to resume, Linux's _asm_extable): when the access
 * faults and the fault handler cannot resolve it, traps.c resumes at the fixup, which returns
 * -EFAULT. Contracts in aarch64/traps.h.
 */
#define EFAULT 14

.macro extable insn, fixup
	.pushsection __ex_table, "a"
	.balign	8
	.quad	\insn, \fixup
	.popsection
.endm

	.text
/* int aarch64_user_read8(vaddr_t va, uint8_t *val) */
	.globl	aarch64_user_read8
aarch64_user_read8:
1:	ldtrb	w2, [x0]
	strb	w2, [x1]
	mov	x0, #0
	ret
	extable	1b, efault

/* int aarch64_user_write8(vaddr_t va, uint8_t val) */
	.globl	aarch64_user_write8
aarch64_user_write8:
1:	sttrb	w1, [x0]
	mov	x0, #0
	ret
	extable	1b, efault

/* int aarch64_kernel_read64(vaddr_t va, uint64_t *val) */
	.globl	aarch64_kernel_read64
aarch64_kernel_read64:
1:	ldr	x2, [x0]
	str	x2, [x1]
	mov	x0, #0
	ret
	extable	1b, efault

/* int aarch64_kernel_write64(vaddr_t va, uint64_t val) */
	.globl	aarch64_kernel_write64
aarch64_kernel_write64:
1:	str	x1, [x0]
	mov	x0, #0
	ret
	extable	1b, efault

efault:
	mov	x0, #-EFAULT
	ret

/* SPDX-License-Identifier: MIT */
/*
 * void svc_regs(unsigned long out[32]): every general register given a value of its own (xn:
 * (0x1000 + n) << 32 | n * 0x111; x29 the stack pointer, x8 an unknown system call's number),
 * then svc #0, then x0..x30 and sp as they came back stored in @out[0..31]. A kernel that
 * saves and restores the program's registers properly changes x0 alone (to -ENOSYS); demo.c
 * checks. The callee-saved registers are restored before the return (AAPCS64).
 */
#include "abi.h"

	.text
	.globl	svc_regs
svc_regs:
	stp	x29, x30, [sp, #-112]!
	stp	x19, x20, [sp, #16]
	stp	x21, x22, [sp, #32]
	stp	x23, x24, [sp, #48]
	stp	x25, x26, [sp, #64]
	stp	x27, x28, [sp, #80]
	str	x0, [sp, #96]
	.irp	n, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18
	movz	x\n, #(0x1000 + \n), lsl #32
	movk	x\n, #(\n * 0x111)
	.endr
	.irp	n, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30
	movz	x\n, #(0x1000 + \n), lsl #32
	movk	x\n, #(\n * 0x111)
	.endr
	mov	x29, sp
	mov	x8, #EL0_NR_unknown
	svc	#0
	str	x1, [sp, #104]
	ldr	x1, [sp, #96]
	str	x0, [x1]
	ldr	x0, [sp, #104]
	str	x0, [x1, #8]
	stp	x2, x3, [x1, #16]
	stp	x4, x5, [x1, #32]
	stp	x6, x7, [x1, #48]
	stp	x8, x9, [x1, #64]
	stp	x10, x11, [x1, #80]
	stp	x12, x13, [x1, #96]
	stp	x14, x15, [x1, #112]
	stp	x16, x17, [x1, #128]
	stp	x18, x19, [x1, #144]
	stp	x20, x21, [x1, #160]
	stp	x22, x23, [x1, #176]
	stp	x24, x25, [x1, #192]
	stp	x26, x27, [x1, #208]
	stp	x28, x29, [x1, #224]
	mov	x0, sp
	stp	x30, x0, [x1, #240]
	ldp	x19, x20, [sp, #16]
	ldp	x21, x22, [sp, #32]
	ldp	x23, x24, [sp, #48]
	ldp	x25, x26, [sp, #64]
	ldp	x27, x28, [sp, #80]
	ldp	x29, x30, [sp], #112
	ret

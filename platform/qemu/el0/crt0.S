/* SPDX-License-Identifier: MIT */
/*
 * The EL0 program's entry (ELF e_entry): the kernel's exec leaves sp at argc, argv[], envp[]
 * and the auxiliary vector (the arm64 Linux process start); the frame chain starts here.
 * el0_main's result is the exit status.
 */
#include "abi.h"

	.text
	.globl	_start
_start:
	mov	x29, #0
	mov	x30, #0
	mov	x0, sp
	bl	el0_main
	mov	x8, #EL0_NR_exit
	svc	#0
	brk	#0			// exit does not return

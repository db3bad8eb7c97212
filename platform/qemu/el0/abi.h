/* SPDX-License-Identifier: MIT */
/*
 * What the EL0 demo program (platform/qemu/el0/demo.c) and the kernel that runs it
 * (platform/qemu/el0.c) agree on: Linux's arm64 system call numbers (asm-generic/unistd.h; the
 * ABI: svc #0, the number in x8, arguments in x0..x5, the result or -errno in x0), the few flag
 * values the program passes, and the sizes it uses, from which the kernel knows the faults and
 * the layout it must find when the program has run.
 */
#ifndef QEMU_EL0_ABI_H
#define QEMU_EL0_ABI_H

#define EL0_NR_write 64
#define EL0_NR_exit 93
#define EL0_NR_exit_group 94
#define EL0_NR_brk 214
#define EL0_NR_munmap 215
#define EL0_NR_clone 220
#define EL0_NR_mmap 222
#define EL0_NR_mprotect 226
#define EL0_NR_wait4 260
#define EL0_NR_unknown 999 /* no system call: -ENOSYS */

/* clone's flags: the signal the parent gets at the child's exit (CSIGNAL); fork is SIGCHLD. */
#define EL0_CSIGNAL 0xff
#define EL0_SIGCHLD 17

#define EL0_PAGE_SIZE 4096
/* "mem": the heap grows by brk over this many pages, each touched; it shrinks by half and
 * grows back, the pages given back reading as zeros again. */
#define EL0_HEAP_PAGES 64
/* "mem": recursion this deep with a frame of this many bytes each (512 KiB of stack, four times
 * what exec gives the stack VMA below its strings: the VMA must grow). */
#define EL0_STACK_DEPTH 256
#define EL0_STACK_FRAME 2048
/* "mem": anonymous pages mapped, read (zeros), written, read back and unmapped. */
#define EL0_MMAP_PAGES 16
/* "rowrite": where the program maps the page it makes read-only and then writes. */
#define EL0_RO_ADDR 0x20000000UL
/* "exec": where it maps the read-write page it then calls. */
#define EL0_NX_ADDR 0x30000000UL

#endif /* QEMU_EL0_ABI_H */

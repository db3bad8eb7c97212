/* SPDX-License-Identifier: MIT */
/*
 * The EL0 program's system calls, as a C library would make them on arm64 Linux: svc #0 with
 * the number in x8 and up to six arguments in x0..x5; x0 comes back with the result or -errno
 * (ARM ARM (DDI 0487) C6.2 "SVC": the exception returns to the next instruction).
 */
#ifndef QEMU_EL0_SYS_H
#define QEMU_EL0_SYS_H

#include "abi.h"

static inline long syscall6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a0;
	register long x1 __asm__("x1") = a1;
	register long x2 __asm__("x2") = a2;
	register long x3 __asm__("x3") = a3;
	register long x4 __asm__("x4") = a4;
	register long x5 __asm__("x5") = a5;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

/* Linux's asm-generic/mman-common.h values. */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define MAP_PRIVATE 0x02
#define MAP_ANONYMOUS 0x20
#define MAP_FIXED_NOREPLACE 0x100000

/* An address returned by mmap or brk that is an error (-4095..-1), as IS_ERR_VALUE. */
#define SYS_FAILED(v) ((unsigned long)(v) >= (unsigned long)-4095)

static inline long u_write(int fd, const void *buf, unsigned long len)
{
	return syscall6(EL0_NR_write, fd, (long)buf, (long)len, 0, 0, 0);
}

__attribute__((noreturn)) static inline void u_exit(int code)
{
	syscall6(EL0_NR_exit, code, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

static inline unsigned long u_brk(unsigned long brk)
{
	return (unsigned long)syscall6(EL0_NR_brk, (long)brk, 0, 0, 0, 0, 0);
}

static inline void *u_mmap(unsigned long addr, unsigned long len, int prot, int flags)
{
	return (void *)syscall6(EL0_NR_mmap, (long)addr, (long)len, prot, flags, -1, 0);
}

static inline long u_munmap(void *addr, unsigned long len)
{
	return syscall6(EL0_NR_munmap, (long)addr, (long)len, 0, 0, 0, 0);
}

static inline long u_mprotect(void *addr, unsigned long len, int prot)
{
	return syscall6(EL0_NR_mprotect, (long)addr, (long)len, prot, 0, 0, 0);
}

/* fork, as glibc makes it on arm64: clone(SIGCHLD, no new stack). */
static inline long u_fork(void)
{
	return syscall6(EL0_NR_clone, EL0_SIGCHLD, 0, 0, 0, 0, 0);
}

static inline long u_wait4(long pid, int *status)
{
	return syscall6(EL0_NR_wait4, pid, (long)status, 0, 0, 0, 0);
}

#endif /* QEMU_EL0_SYS_H */

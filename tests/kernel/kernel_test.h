/* SPDX-License-Identifier: MIT */
/*
 * What the kernel's own test cases (tests/kernel/test_*.c) use: the booted kernel the runner
 * runs them in, and the MMU's own answer for an address (AT, ARM ARM (DDI 0487) C5.5 "A64
 * system instructions for address translation", PAR_EL1 in D19.2).
 */
#ifndef TESTS_KERNEL_KERNEL_TEST_H
#define TESTS_KERNEL_KERNEL_TEST_H

#include "../ktest/ktest.h"
#include "platform/qemu/kernel.h"

#include <aarch64/machine.h>
#include <kmm/arch.h>

/* The kernel the tests run in (set by kernel_run_tests). */
extern struct kernel *ktest_kernel;

#define PAR_F 0x1ULL			   /* the translation failed */
#define PAR_FST(par) (((par) >> 1) & 0x3f) /* F = 1: the fault status code */
#define PAR_PA(par) ((par)&GENMASK(47, 12))

/* AT S1E1R @va: PAR_EL1, as a stage 1 EL1 read translation finds it. */
static inline uint64_t at_s1e1r(vaddr_t va)
{
	__asm__ volatile("at s1e1r, %0\n\tisb" : : "r"(va) : "memory");
	return read_sysreg(par_el1);
}

/* AT S1E1W @va: as a write. */
static inline uint64_t at_s1e1w(vaddr_t va)
{
	__asm__ volatile("at s1e1w, %0\n\tisb" : : "r"(va) : "memory");
	return read_sysreg(par_el1);
}

#endif /* TESTS_KERNEL_KERNEL_TEST_H */

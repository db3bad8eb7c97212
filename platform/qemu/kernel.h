/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal kernel on QEMU (platform/qemu): the boards, the machine a boot found, the
 * console, and the kernel's state after the memory-management boot that its parts (the test
 * suites, and the later parts listed in main.c) run on.
 */
#ifndef QEMU_KERNEL_H
#define QEMU_KERNEL_H

#include <aarch64/smp.h>
#include <kmm/boot.h>
#include <kmm/setup.h>

#define BOARD_MMIO_MAX 2
#define QEMU_CPUS_MAX 8

/* A board QEMU emulates: how to recognise it and what it has when the DTB does not say. */
struct qemu_board {
	const char *name;	 /* "virt", "raspi3b" */
	const char *description; /* for the boot log */
	const char *compatible;	 /* a compatible string of the DTB's root that picks it */
	paddr_t uart;		 /* its PL011 UART0 (virt: unless the DTB's stdout-path says) */
	const struct boot_region *builtin_mem; /* RAM without a DTB (seed 001's map) */
	unsigned int nbuiltin;
	struct boot_region mmio[BOARD_MMIO_MAX]; /* identity-mapped Device by the boot's idmap */
	unsigned int nmmio;
	unsigned int ncpus; /* CPUs without a DTB */
	/* Where the firmware's spin table releases CPU n > 0 (0: none; virt uses PSCI). */
	paddr_t cpu_release[QEMU_CPUS_MAX];
	uint64_t cpu_mpidr[QEMU_CPUS_MAX]; /* CPU n's affinity without a DTB */
	/* The BCM2836 ARM-local mailboxes (0: none), whose interrupt wakes a CPU from the pen. */
	paddr_t local_mailboxes;
};

#define BOOTARGS_MAX 256

/* What the boot found: the board, the DTB, the console, the command line. */
struct qemu_machine {
	const struct qemu_board *board;
	const void *fdt; /* the DTB (NULL: none), through the current view */
	paddr_t fdt_phys;
	size_t fdt_size;
	paddr_t uart;
	unsigned int ncpus;
	/* The CPUs: the boot CPU first, then the DTB's /cpus nodes in their order. */
	uint64_t cpu_mpidr[QEMU_CPUS_MAX];  /* reg: the affinity (MPIDR_AFF_MASK bits) */
	paddr_t cpu_release[QEMU_CPUS_MAX]; /* spin-table release addresses, 0: none */
	bool cpu_psci[QEMU_CPUS_MAX];	    /* enable-method "psci" */
	enum psci_conduit psci;		    /* the /psci node's method (PSCI 0.2 or later) */
	char bootargs[BOOTARGS_MAX];
	char error[128]; /* why the DTB was not used, when it was not ("": no problem) */
};

/*
 * Find the board and the console from the DTB at @fdt_phys (0: none), read through head.S's
 * window at EARLY_FDT_VA. Never fails: a blob that is not usable is reported in m->error and the
 * boot goes on with the board's built-in map (the raspi3b, which is what QEMU starts without).
 */
void board_probe(struct qemu_machine *m, paddr_t fdt_phys);

/* The value of "@key=" in m->bootargs copied into @val (@len bytes), or the empty string when
 * it is absent; whether @key appears at all (bare or with a value). */
bool bootarg(const struct qemu_machine *m, const char *key, char *val, size_t len);

/* The console: the PL011 at @uart, mapped Device at @va; output before this is buffered. */
void uart_init(paddr_t uart, vaddr_t va);
/* The next character received (waits for it). */
int uart_getc(void);

/* The kernel once the memory-management boot is done. */
struct kernel {
	struct qemu_machine machine;
	struct boot_mm bm;
	paddr_t image_phys;
	uint64_t t_start; /* generic-timer count at start_kernel */
	vaddr_t uart_va;  /* the console's fixmap address */
};

/* Milliseconds since start_kernel. */
unsigned long kernel_uptime_ms(const struct kernel *k);

/*
 * A part of the kernel run after the boot, in main.c's parts[] order (the in-kernel test
 * suites first): it prints its own results and returns how many checks failed, which make the
 * run's exit status non-zero.
 */
struct kernel_part {
	const char *name;
	unsigned int (*run)(struct kernel *k);
};

/* The ktest suites linked into the kernel (tests/kernel/runner.c): kmm.tests=PREFIX,... and
 * kmm.seed=N on the command line select them. */
unsigned int kernel_run_tests(struct kernel *k);

/* The cross-check of the software MMU against the CPU's with AT (at_crosscheck.c). */
unsigned int kernel_at_crosscheck(struct kernel *k);

/* The EL0 programs (el0.c): the embedded demo program run at EL0 with its system calls,
 * faults, signals and a fork; the outcomes checked. */
unsigned int el0_run_programs(struct kernel *k);

/* SMP (smp.c): the secondary CPUs started (PSCI CPU_ON, or the spin table's pen), a stress of
 * the allocators on every CPU at once with cross-CPU frees, the vfree'd page faulting on every
 * CPU after the purge, the checkers; then the CPUs stopped. */
unsigned int kernel_smp(struct kernel *k);

/* The interactive shell of `make qemu` (shell.c): /proc-style views, the tests; returns when
 * told to power off. */
void kernel_shell(struct kernel *k);

/* Exit QEMU with @status (semihosting SYS_EXIT). */
__attribute__((noreturn)) void kernel_exit(unsigned int status);

#endif /* QEMU_KERNEL_H */

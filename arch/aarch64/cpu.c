// SPDX-License-Identifier: MIT
/*
 * The bare-metal current CPU and halt of the arch interface. The CPU number is the logical one
 * kept in TPIDR_EL1 (Linux keeps its per-CPU offset there): head.S sets 0 on the boot CPU, and
 * a secondary CPU's number from its boot data (aarch64/smp.h) before it runs kernel code.
 */
#include <aarch64/machine.h>
#include <kmm/arch.h>

void (*aarch64_halt_hook)(void);

unsigned int arch_cpu_id(void)
{
	return (unsigned int)read_sysreg(tpidr_el1);
}

void arch_halt(void)
{
	__asm__ volatile("msr daifset, #0xf" : : : "memory");
	if (aarch64_halt_hook)
		aarch64_halt_hook();
	for (;;)
		__asm__ volatile("wfi");
}

// SPDX-License-Identifier: MIT
/*
 * Starting and stopping the secondary CPUs of the bare-metal kernel; the contract is in
 * aarch64/smp.h, head.S's secondary_entry and secondary_park are the CPU's side.
 *
 * A CPU with the MMU off reads memory as Device-nGnRnE, uncached (ARM ARM (DDI 0487) D8.2.11),
 * so what it reads that this CPU wrote through the caches is cleaned to the point of coherency
 * first (DC CVAC, then DSB; D7.5 "Cache maintenance instructions"), as Linux's
 * dcache_clean_inval_poc of secondary_data and of the spin table's release address.
 */
#include <aarch64/machine.h>
#include <aarch64/smp.h>
#include <kmm/arch.h>
#include <kmm/spinlock.h>

struct aarch64_secondary_data aarch64_secondary_data __attribute__((aligned(64)));
/* head.S's holding pen reads it (.data: a CPU may be there before the boot CPU clears BSS). */
extern uint64_t aarch64_pen_word;
extern char secondary_entry[];

/* PSCI function ids (DEN 0022 5.1): the SMC64 forms of CPU_ON and AFFINITY_INFO. */
#define PSCI_0_2_FN_CPU_OFF 0x84000002u
#define PSCI_0_2_FN64_CPU_ON 0xc4000003u
#define PSCI_0_2_FN64_AFFINITY_INFO 0xc4000004u

/* Clean [@p, @p + @size) to the point of coherency. */
static void clean_to_poc(const void *p, size_t size)
{
	uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf); /* CTR_EL0.DminLine */
	uintptr_t a = (uintptr_t)p & ~(line - 1);

	for (; a < (uintptr_t)p + size; a += line)
		__asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
	__asm__ volatile("dsb sy" : : : "memory");
}

void aarch64_secondary_prepare(unsigned int cpu, void *stack_top, aarch64_secondary_fn fn,
			       uint64_t idmap_ttbr0)
{
	struct aarch64_secondary_data *d = &aarch64_secondary_data;

	d->cpu = cpu;
	d->stack = (uint64_t)(uintptr_t)stack_top;
	d->fn = (uint64_t)(uintptr_t)fn;
	d->ttbr0 = idmap_ttbr0;
	d->ttbr1 = read_sysreg(ttbr1_el1);
	d->tcr = read_sysreg(tcr_el1);
	d->mair = read_sysreg(mair_el1);
	d->sctlr = read_sysreg(sctlr_el1);
	clean_to_poc(d, sizeof(*d));
}

paddr_t aarch64_secondary_entry_phys(void)
{
	return arch_virt_to_phys(secondary_entry);
}

void aarch64_pen_release(uint64_t mpidr)
{
	WRITE_ONCE(aarch64_pen_word, mpidr);
	clean_to_poc(&aarch64_pen_word, sizeof(aarch64_pen_word));
	__asm__ volatile("sev" : : : "memory");
}

uint64_t aarch64_mpidr(void)
{
	return read_sysreg(mpidr_el1) & MPIDR_AFF_MASK;
}

/* One PSCI call through @c (SMCCC: function id in x0, arguments in x1-x3, result in x0; x4-x17
 * may be clobbered by SMCCC before v1.1). */
static int64_t psci_call(enum psci_conduit c, uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
	register uint64_t x0 __asm__("x0") = fn;
	register uint64_t x1 __asm__("x1") = a1;
	register uint64_t x2 __asm__("x2") = a2;
	register uint64_t x3 __asm__("x3") = a3;

	if (c == PSCI_CONDUIT_HVC)
		__asm__ volatile("hvc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else if (c == PSCI_CONDUIT_SMC)
		__asm__ volatile("smc #0"
				 : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3)
				 :
				 : "x4", "x5", "x6", "x7", "x8", "x9", "x10", "x11", "x12", "x13",
				   "x14", "x15", "x16", "x17", "memory");
	else
		return PSCI_RET_NOT_SUPPORTED;
	return (int64_t)x0;
}

int64_t aarch64_psci_cpu_on(enum psci_conduit c, uint64_t mpidr, paddr_t entry, uint64_t context)
{
	return psci_call(c, PSCI_0_2_FN64_CPU_ON, mpidr, entry, context);
}

int64_t aarch64_psci_cpu_off(enum psci_conduit c)
{
	return psci_call(c, PSCI_0_2_FN_CPU_OFF, 0, 0, 0);
}

int64_t aarch64_psci_affinity_info(enum psci_conduit c, uint64_t mpidr)
{
	return psci_call(c, PSCI_0_2_FN64_AFFINITY_INFO, mpidr, 0, 0);
}

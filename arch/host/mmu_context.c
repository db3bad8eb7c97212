// SPDX-License-Identifier: MIT
/*
 * The hosted user-translation switch of the arch interface: on the attached machine's current
 * CPU (arch_cpu_id), a local TLBI VMALLE1 between DSB NSHs when asked, then the TTBR0_EL1 write.
 * The DSBs only tell the CPU's rule checker (see tlb.c).
 */
#include "host.h"

#include <kmm/arch.h>

void arch_switch_ttbr0(uint64_t ttbr0, bool flush_local)
{
	struct hw_machine *m = host_machine();
	unsigned int id = arch_cpu_id();

	if (!m || id >= m->ncpus)
		return;
	if (flush_local) {
		hw_cpu_dsb(&m->cpus[id], HW_DSB_NSH);
		hw_checker_site(m, __func__);
		hw_cpu_tlbi(&m->cpus[id], TLBI_VMALLE1, 0);
		hw_cpu_dsb(&m->cpus[id], HW_DSB_NSH);
	}
	m->cpus[id].regs.ttbr0 = ttbr0;
}

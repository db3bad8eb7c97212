// SPDX-License-Identifier: MIT
/*
 * The hosted TLB maintenance and barriers of the arch interface: the TLBIs run on the attached
 * machine's current CPU (arch_cpu_id), in their Inner Shareable forms, which hw/cpu.c broadcasts
 * to every simulated CPU's TLB as the hardware does (ARM ARM (DDI 0487) D8.14 "TLB maintenance
 * requirements"). The sequences are those of Linux 6.1's asm/tlbflush.h. Each TLBI names its arch
 * function to the rule checker (hw/checker.h), which also sees every descriptor store.
 */
#include "host.h"

#include <kmm/arch.h>

/* The CPU executing the kernel code now, or NULL with no machine attached (no TLBs then). */
static struct hw_cpu *this_cpu(void)
{
	struct hw_machine *m = host_machine();
	unsigned int id = arch_cpu_id();

	return m && id < m->ncpus ? &m->cpus[id] : NULL;
}

/*
 * The simulated CPUs take turns on one host thread: a descriptor store is in emulated RAM before
 * the next walk reads it, and a TLBI has completed on every simulated TLB when hw_cpu_tlbi
 * returns; there is nothing to wait for. The DSBs still tell the CPU, whose rule checker holds
 * each TLBI against the stores not yet ordered before it (hw/checker.h).
 */
void arch_dsb_ishst(void)
{
	struct hw_cpu *cpu = this_cpu();

	if (cpu)
		hw_cpu_dsb(cpu, HW_DSB_ISH);
}

void arch_dsb_ish(void)
{
	arch_dsb_ishst();
}

void arch_isb(void)
{
}

/* TLBI @op, @xt on @cpu for the arch function @site (named in the checker's reports). */
static void tlbi(struct hw_cpu *cpu, enum tlbi_op op, uint64_t xt, const char *site)
{
	hw_checker_site(cpu->machine, site);
	hw_cpu_tlbi(cpu, op, xt);
}

/* One TLBI between the DSB ISHST that publishes the table writes and the DSB ISH; ISB. */
static void tlbi_sync(enum tlbi_op op, uint64_t xt, const char *site)
{
	struct hw_cpu *cpu = this_cpu();

	arch_dsb_ishst();
	if (cpu)
		tlbi(cpu, op, xt, site);
	arch_dsb_ish();
	arch_isb();
}

void arch_flush_tlb_all(void)
{
	tlbi_sync(TLBI_VMALLE1IS, 0, __func__);
}

void arch_flush_tlb_kernel_range(vaddr_t start, vaddr_t end)
{
	struct hw_cpu *cpu = this_cpu();

	start &= ~(vaddr_t)4095;
	if (end <= start)
		return;
	if (end - start > ARCH_MAX_TLBI_OPS * 4096ULL) {
		arch_flush_tlb_all();
		return;
	}
	arch_dsb_ishst();
	for (vaddr_t va = start; cpu && va < end; va += 4096)
		tlbi(cpu, TLBI_VAALE1IS, tlbi_operand(va, 0), __func__);
	arch_dsb_ish();
	arch_isb();
}

void arch_flush_tlb_kernel_pgtable(vaddr_t va)
{
	tlbi_sync(TLBI_VAAE1IS, tlbi_operand(va, 0), __func__);
}

void arch_flush_tlb_mm(uint16_t asid)
{
	tlbi_sync(TLBI_ASIDE1IS, tlbi_operand(0, asid), __func__);
}

void arch_flush_tlb_page(uint16_t asid, vaddr_t va)
{
	tlbi_sync(TLBI_VALE1IS, tlbi_operand(va, asid), __func__);
}

void arch_flush_tlb_range(uint16_t asid, vaddr_t start, vaddr_t end, bool last_level)
{
	struct hw_cpu *cpu = this_cpu();

	start &= ~(vaddr_t)4095;
	if (end <= start)
		return;
	if (end - start > ARCH_MAX_TLBI_OPS * 4096ULL) {
		arch_flush_tlb_mm(asid);
		return;
	}
	arch_dsb_ishst();
	for (vaddr_t va = start; cpu && va < end; va += 4096)
		tlbi(cpu, last_level ? TLBI_VALE1IS : TLBI_VAE1IS, tlbi_operand(va, asid),
		     __func__);
	arch_dsb_ish();
	arch_isb();
}

/*
 * The store, shown first to the attached machine's rule checker (when on) with the slot's PA, the
 * old and new values, the current CPU and @site. A slot outside the emulated RAM is no table any
 * simulated CPU walks: it is only stored.
 */
void arch_set_desc(uint64_t *slot, uint64_t desc, const char *site)
{
	struct hw_machine *m = host_machine();
	paddr_t pa = m && m->checker.on ? arch_virt_to_phys(slot) : ARCH_PHYS_NONE;

	if (pa != ARCH_PHYS_NONE)
		hw_checker_store(m, arch_cpu_id(), pa, *(volatile uint64_t *)slot, desc, site);
	*(volatile uint64_t *)slot = desc;
}

// SPDX-License-Identifier: MIT
/*
 * The bare-metal TLB maintenance, barriers and descriptor stores of the arch interface
 * (include/kmm/arch.h has the contracts): the sequences of Linux 6.1's
 * arch/arm64/include/asm/tlbflush.h, in their Inner Shareable forms so that every CPU drops the
 * entries (ARM ARM (DDI 0487) D8.14 "TLB maintenance requirements", C5.5 "A64 system
 * instructions for TLB maintenance").
 */
#include <aarch64/machine.h>
#include <kmm/arch.h>

#define dsb(opt) __asm__ volatile("dsb " #opt : : : "memory")
#define isb() __asm__ volatile("isb" : : : "memory")
#define tlbi(op, arg) __asm__ volatile("tlbi " #op ", %0" : : "r"(arg) : "memory")
#define tlbi_all(op) __asm__ volatile("tlbi " #op : : : "memory")

/*
 * The operand of a TLBI by VA and/or ASID: VA[55:12] in bits [43:0], the ASID in bits [63:48]
 * (ARM ARM C5.5.x, "TLBI VAE1IS" and friends; Linux's __TLBI_VADDR).
 */
static inline uint64_t tlbi_vaddr(vaddr_t va, uint16_t asid)
{
	return ((va >> 12) & GENMASK(43, 0)) | (uint64_t)asid << 48;
}

void arch_dsb_ishst(void)
{
	dsb(ishst);
}

void arch_dsb_ish(void)
{
	dsb(ish);
}

void arch_isb(void)
{
	isb();
}

void arch_flush_tlb_all(void)
{
	dsb(ishst);
	tlbi_all(vmalle1is);
	dsb(ish);
	isb();
}

void arch_flush_tlb_kernel_range(vaddr_t start, vaddr_t end)
{
	start = ALIGN_DOWN(start, 4096);
	if (end <= start)
		return;
	if (end - start > ARCH_MAX_TLBI_OPS * 4096ULL) {
		arch_flush_tlb_all();
		return;
	}
	dsb(ishst);
	for (vaddr_t va = start; va < end; va += 4096)
		tlbi(vaale1is, tlbi_vaddr(va, 0));
	dsb(ish);
	isb();
}

void arch_flush_tlb_kernel_pgtable(vaddr_t va)
{
	dsb(ishst);
	tlbi(vaae1is, tlbi_vaddr(va, 0));
	dsb(ish);
	isb();
}

void arch_flush_tlb_mm(uint16_t asid)
{
	dsb(ishst);
	tlbi(aside1is, tlbi_vaddr(0, asid));
	dsb(ish);
}

void arch_flush_tlb_page(uint16_t asid, vaddr_t va)
{
	dsb(ishst);
	tlbi(vale1is, tlbi_vaddr(va, asid));
	dsb(ish);
}

void arch_flush_tlb_range(uint16_t asid, vaddr_t start, vaddr_t end, bool last_level)
{
	start = ALIGN_DOWN(start, 4096);
	if (end <= start)
		return;
	if (end - start > ARCH_MAX_TLBI_OPS * 4096ULL) {
		arch_flush_tlb_mm(asid);
		return;
	}
	dsb(ishst);
	for (vaddr_t va = start; va < end; va += 4096) {
		if (last_level)
			tlbi(vale1is, tlbi_vaddr(va, asid));
		else
			tlbi(vae1is, tlbi_vaddr(va, asid));
	}
	dsb(ish);
}

/*
 * The store is one STR (single-copy atomic for an aligned doubleword, ARM ARM B2.2.1). A valid
 * descriptor is then made visible to the table walks (DSB ISHST) and to this CPU's later
 * instructions (ISB) at once, as Linux's set_pte does for kernel mappings, so that a mapping may
 * be used right after it is made: a walk may otherwise still see the old invalid entry (ARM ARM
 * D8.2.5 "Ordering of memory accesses from translation table walks"). kmm does the same for user
 * entries, which Linux leaves to a possible spurious fault. Invalidations get their barriers
 * from the TLB maintenance that must follow them.
 */
void arch_set_desc(uint64_t *slot, uint64_t desc, const char *site)
{
	(void)site;
	*(volatile uint64_t *)slot = desc;
	if (desc & DESC_VALID) {
		dsb(ishst);
		isb();
	}
}

void arch_switch_ttbr0(uint64_t ttbr0, bool flush_local)
{
	if (flush_local) {
		dsb(nshst);
		tlbi_all(vmalle1);
		dsb(nsh);
	}
	write_sysreg(ttbr0, ttbr0_el1);
	isb();
}

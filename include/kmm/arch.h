/* SPDX-License-Identifier: MIT */
/*
 * The arch interface: everything generic kmm code needs from the machine under it. Two backends
 * implement it: arch/aarch64 on a real (or QEMU-emulated) CPU and arch/host over the emulated
 * hardware of hw/. Generic code includes this header and nothing of either backend.
 */
#ifndef KMM_ARCH_H
#define KMM_ARCH_H

#include <kmm/types.h>

/* Write @n bytes to the console (the UART on a board, standard output when hosted). */
void arch_console_write(const char *s, size_t n);

/*
 * The kernel's direct view of physical memory (Linux's __va/__pa): the linear map on a board,
 * a pointer into the emulated RAM when hosted. Only RAM has a direct view: arch_phys_to_virt of
 * anything else returns NULL, and arch_virt_to_phys of a pointer that is not one returns
 * ARCH_PHYS_NONE.
 */
void *arch_phys_to_virt(paddr_t pa);
paddr_t arch_virt_to_phys(const void *va);
#define ARCH_PHYS_NONE (~(paddr_t)0)

/* The CPU this code runs on: 0 .. (number of CPUs - 1). It picks the page allocator's per-CPU
 * lists (Linux's smp_processor_id). */
unsigned int arch_cpu_id(void);

/* Stop the machine after a fatal kernel error (BUG): never returns. */
__attribute__((noreturn)) void arch_halt(void);

/*
 * Barriers, named as Linux's dsb(ishst), dsb(ish) and isb() (ARM ARM (DDI 0487) B2.3.12 "Memory
 * barriers", D8.14 "TLB maintenance requirements"): DSB ISHST makes earlier descriptor writes
 * visible to table walks of every CPU in the Inner Shareable domain before later TLB
 * maintenance; DSB ISH waits until that maintenance has completed everywhere; ISB makes the CPU
 * fetch later instructions through the new translations.
 */
void arch_dsb_ishst(void);
void arch_dsb_ish(void);
void arch_isb(void);

/*
 * TLB maintenance for kernel (global) translations on every CPU of the Inner Shareable domain,
 * as Linux 6.1's arch/arm64/include/asm/tlbflush.h:
 *
 * arch_flush_tlb_all: DSB ISHST; TLBI VMALLE1IS; DSB ISH; ISB (flush_tlb_all).
 * arch_flush_tlb_kernel_range: the leaf entries of every page of [@start, @end): DSB ISHST;
 *   TLBI VAALE1IS per 4K page; DSB ISH; ISB (flush_tlb_kernel_range); beyond
 *   ARCH_MAX_TLBI_OPS pages, arch_flush_tlb_all instead. VAALE1IS ("last level", all ASIDs)
 *   need not drop cached table entries (walk caches; ARM ARM D8.14.5 "TLB maintenance
 *   instructions"): use it only when the tables themselves are unchanged.
 * arch_flush_tlb_kernel_pgtable: every cached entry of any level that translates @va: DSB
 *   ISHST; TLBI VAAE1IS; DSB ISH; ISB (__flush_tlb_kernel_pgtable), for a table descriptor
 *   removed (before its table is freed) or a block broken up (break-before-make).
 */
#define ARCH_MAX_TLBI_OPS 512 /* Linux's MAX_TLBI_OPS: PTRS_PER_PTE of 4K pages */
void arch_flush_tlb_all(void);
void arch_flush_tlb_kernel_range(vaddr_t start, vaddr_t end);
void arch_flush_tlb_kernel_pgtable(vaddr_t va);

/*
 * TLB maintenance for user (non-global, ASID-tagged) translations on every CPU of the Inner
 * Shareable domain, as Linux 6.1's flush_tlb_mm / flush_tlb_page / flush_tlb_range:
 *
 * arch_flush_tlb_mm: every entry of @asid: DSB ISHST; TLBI ASIDE1IS; DSB ISH.
 * arch_flush_tlb_page: the leaf entry of the 4K page @va of @asid: DSB ISHST; TLBI VALE1IS;
 *   DSB ISH (the tables above it unchanged).
 * arch_flush_tlb_range: every page of [@start, @end) of @asid: DSB ISHST; TLBI VALE1IS per page
 *   when @last_level (only leaves changed), else TLBI VAE1IS (tables freed too); DSB ISH; beyond
 *   ARCH_MAX_TLBI_OPS pages, arch_flush_tlb_mm instead.
 */
void arch_flush_tlb_mm(uint16_t asid);
void arch_flush_tlb_page(uint16_t asid, vaddr_t va);
void arch_flush_tlb_range(uint16_t asid, vaddr_t start, vaddr_t end, bool last_level);

/*
 * Store the translation-table descriptor @desc into @slot (a descriptor in a table reached
 * through arch_phys_to_virt) with one single-copy-atomic 64-bit store, as Linux's set_pte /
 * WRITE_ONCE (ARM ARM (DDI 0487) B2.2 "Atomicity in the Arm architecture"). Every kernel write
 * of a descriptor in a live table goes through here (set_pte below), so that the hosted backend
 * can hold each write against the architecture's rules (hw/checker.h); @site names the caller
 * ("file:line") for its reports.
 */
void arch_set_desc(uint64_t *slot, uint64_t desc, const char *site);

#define KMM_STR2(x) #x
#define KMM_STR(x) KMM_STR2(x)
#define KMM_CALLSITE __FILE__ ":" KMM_STR(__LINE__)
#define set_pte(slot, desc) arch_set_desc((slot), (desc), KMM_CALLSITE)

/*
 * Run the current CPU on the user translation @ttbr0 (root | ASID << 48), as Linux's
 * check_and_switch_context ends: when @flush_local, first invalidate this CPU's whole TLB
 * (DSB NSHST; TLBI VMALLE1; DSB NSH: local_flush_tlb_all), as the ASID allocator asks after a
 * rollover; then write TTBR0_EL1 and ISB (cpu_switch_mm). The entries of other ASIDs stay
 * cached, unused until their ASID runs again (ARM ARM (DDI 0487) D8.13 "Translation Lookaside
 * Buffers").
 */
void arch_switch_ttbr0(uint64_t ttbr0, bool flush_local);

#endif /* KMM_ARCH_H */

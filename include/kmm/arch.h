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

/*
 * Spinlocks and the local interrupt mask, as Linux's arch_spinlock_t, arch_rwlock_t and
 * arch_local_irq_save/restore; generic code takes them through <kmm/spinlock.h>. No lock sleeps:
 * a CPU waiting for one spins. A zeroed lock is an unlocked one, so a lock in a zeroed structure
 * needs no initialisation.
 *
 * Each call names its @site ("&zone->lock at mm/page_alloc.c:123", what <kmm/spinlock.h> passes)
 * and the holder of a lock is recorded in it: @owner (a spinlock's) or @writer (a rwlock's)
 * is the CPU (arch_cpu_id) + 1, set right after the lock is taken and cleared right before it is
 * released, so a CPU reading its own number there knows it holds the lock; @site is where that
 * holder took it. Both backends BUG, naming both sites, on taking a lock this CPU holds
 * (recursion: a deadlock on any machine) and on releasing one it does not hold.
 *
 * aarch64 (arch/aarch64/spinlock.c): @lock of a spinlock is a ticket pair, bits [15:0] the
 * ticket served, [31:16] the next one handed out; a CPU takes a ticket with LDAXR/STXR and waits
 * for its turn in WFE; the holder serves the next with a store-release, whose write to the
 * monitored location wakes the waiters (ARM ARM (DDI 0487) B2.9 "Synchronization and
 * semaphores", D1.6 "Wait for Event mechanism and Send event"). The interrupt mask is PSTATE's
 * DAIF.I and DAIF.F bits.
 *
 * Hosted (arch/host/spinlock.c): the simulated CPUs take turns on one host thread, so a lock held
 * when a CPU takes it can never be released: that deadlock is a BUG too, naming the holder. The
 * interrupt mask is a flag per simulated CPU.
 */
typedef struct {
	uint32_t lock;	  /* the backend's lock word: 0 free */
	uint32_t owner;	  /* the holding CPU + 1; 0 when free */
	const char *site; /* where the holder took it */
} arch_spinlock_t;

/*
 * A reader-writer spinlock (Linux's arch_rwlock_t, as arm64 had it before qrwlock): @lock holds
 * the readers in bits [30:0] and ARCH_RW_WRITER when held for writing; readers share it, a
 * writer waits until there are none. Readers do not wait for a waiting writer, so a CPU may take
 * it for reading again while it reads (writers can starve under a stream of readers).
 */
#define ARCH_RW_WRITER 0x80000000u
typedef struct {
	uint32_t lock;	  /* readers, or ARCH_RW_WRITER */
	uint32_t writer;  /* the writing CPU + 1; 0 when not held for writing */
	const char *site; /* where the writer took it */
} arch_rwlock_t;

void arch_spin_lock(arch_spinlock_t *lock, const char *site);
/* Take @lock if it is free; whether it was taken. A lock this CPU holds is a BUG still. */
bool arch_spin_trylock(arch_spinlock_t *lock, const char *site);
void arch_spin_unlock(arch_spinlock_t *lock, const char *site);

void arch_read_lock(arch_rwlock_t *rw, const char *site);
void arch_read_unlock(arch_rwlock_t *rw, const char *site);
void arch_write_lock(arch_rwlock_t *rw, const char *site);
void arch_write_unlock(arch_rwlock_t *rw, const char *site);

/* Mask this CPU's interrupts and return the previous mask for arch_local_irq_restore. */
unsigned long arch_local_irq_save(void);
void arch_local_irq_restore(unsigned long flags);
/* Whether this CPU's interrupts are masked. */
bool arch_irqs_disabled(void);

/* arch_local_irq_save then arch_spin_lock, and arch_spin_unlock then arch_local_irq_restore, in
 * one call each (Linux's _raw_spin_lock_irqsave): the fast paths' locks cost one call. */
unsigned long arch_spin_lock_irqsave(arch_spinlock_t *lock, const char *site);
void arch_spin_unlock_irqrestore(arch_spinlock_t *lock, unsigned long flags, const char *site);

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

/* SPDX-License-Identifier: MIT */
/*
 * The ASID allocator, as Linux 6.1's arch/arm64/mm/context.c: generations of ASIDs handed out
 * from a bitmap, rolled over when the bitmap is full.
 *
 * An address space (mm) is named by a 64-bit context id it owns (Linux's mm->context.id, which
 * the mm_struct embeds): 0 for an mm that never ran, else generation | ASID. The generation is a
 * multiple of 2^bits that grows by 2^bits at each rollover; an mm whose id is of an older
 * generation gets a new ASID (its old one if free) the next time it is switched to.
 *
 * Rollover (flush_context): when no ASID is free, the generation advances, the bitmap is
 * emptied, and the ASID each CPU is running (its active ASID, or if it has not switched since
 * the previous rollover, the one reserved for it then) is reserved: it stays marked in use, so
 * the mm still running there keeps it. Every CPU is marked as owing a local TLB flush (Linux's
 * tlb_flush_pending), since its TLB may hold entries of an ASID now given to another mm; the CPU
 * pays it at its next switch, before it runs with a new-generation ASID.
 *
 * ASID 0 is never handed out: Linux runs the kernel and the idle context (the reserved TTBR0)
 * with it. ASIDs are never freed before a rollover (nor are they in Linux: an exiting mm's ASID
 * stays taken until the bitmap is rebuilt).
 *
 * Width: the hardware has 8 or 16 ASID bits (ID_AA64MMFR0_EL1.ASIDBits, enabled by TCR_EL1.AS;
 * ARM ARM D19.2 "General system control registers"); the kernel passes one of those. Any width
 * from ASID_BITS_MIN up is accepted, so tests can roll over after a few allocations.
 *
 * Context is explicit and nothing here touches a TLB: asid_check_and_switch tells its caller
 * which ASID to load into TTBR0_EL1.ASID and whether to flush the local TLB first (TLBI
 * VMALLE1 through the arch interface).
 *
 * Locking: asid_check_and_switch runs under the allocator's lock (Linux's cpu_asid_lock, taken
 * with local interrupts masked), all of it: Linux's lockless fast path needs an atomic
 * compare-and-swap of the active ASID against a rollover, which kmm's arch interface does not
 * have. A context id is written under the lock and may be read without it (READ_ONCE): an ASID
 * read for a TLB flush just before a rollover gives it away is flushed again by the rollover's
 * local flushes.
 */
#ifndef KMM_ASID_H
#define KMM_ASID_H

#include <kmm/mmzone.h>
#include <kmm/spinlock.h>
#include <kmm/types.h>

#define ASID_BITS_MIN 4
#define ASID_BITS_MAX 16
#define ASID_MAP_WORDS (BIT(ASID_BITS_MAX) / 64)

_Static_assert(NR_CPUS <= 64, "flush_pending is a 64-bit CPU mask");

struct asid_allocator {
	spinlock_t lock;      /* everything below but bits and nr_cpus (Linux's cpu_asid_lock) */
	unsigned int bits;    /* ASID width: ASID_BITS_MIN..ASID_BITS_MAX */
	unsigned int nr_cpus; /* CPUs 0..nr_cpus-1 switch through this allocator */
	uint64_t generation;  /* current generation: k * 2^bits, k >= 1 */
	uint64_t next;	      /* where the search for a free ASID starts (Linux's cur_idx) */
	uint64_t map[ASID_MAP_WORDS]; /* ASIDs in use this generation; the first 2^bits bits */
	uint64_t active[NR_CPUS];     /* context id each CPU runs; 0 after a rollover */
	uint64_t reserved[NR_CPUS];   /* context id each CPU ran at the last rollover */
	uint64_t flush_pending;	      /* CPUs owing a local TLB flush (bit n: CPU n) */
};

/*
 * Set up @a for @asid_bits-wide ASIDs shared by @nr_cpus CPUs: generation 2^bits, only ASID 0
 * in use, no flush pending (the boot leaves the TLBs clean). Returns 0, or -EINVAL when
 * @asid_bits is out of range, @nr_cpus is 0 or above NR_CPUS, or there are not more usable
 * ASIDs (2^bits - 1) than CPUs (a rollover must always leave one free, as Linux warns).
 */
int asid_allocator_init(struct asid_allocator *a, unsigned int asid_bits, unsigned int nr_cpus);

/*
 * Switch @cpu to the mm owning @context_id (Linux's check_and_switch_context): gives the mm an
 * ASID of the current generation if it has none (updating *@context_id, possibly rolling over),
 * makes it @cpu's active ASID and returns it, for TTBR0_EL1.ASID. *@need_local_flush is set
 * when @cpu must invalidate its own TLB (TLBI VMALLE1) before running with it: a rollover
 * happened since @cpu last switched. The fast path (generation current, @cpu not flushed by a
 * rollover since its last switch) only updates the active ASID.
 */
uint64_t asid_check_and_switch(struct asid_allocator *a, unsigned int cpu, uint64_t *context_id,
			       bool *need_local_flush);

/* The ASID part of context id @ctx. */
static inline uint64_t asid_ctx_asid(const struct asid_allocator *a, uint64_t ctx)
{
	return ctx & (BIT(a->bits) - 1);
}

/* Whether context id @ctx is of @a's current generation (Linux's asid_gen_match). */
static inline bool asid_ctx_current(const struct asid_allocator *a, uint64_t ctx)
{
	return (ctx >> a->bits) == (a->generation >> a->bits);
}

/* Whether @asid is marked in use in the current generation. */
static inline bool asid_in_use(const struct asid_allocator *a, uint64_t asid)
{
	return a->map[asid / 64] & BIT(asid % 64);
}

#endif /* KMM_ASID_H */

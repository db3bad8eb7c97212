/* SPDX-License-Identifier: MIT */
/*
 * An address space (Linux 6.1's struct mm_struct, the parts kmm has so far): the TTBR0 page
 * tables of a process, its ASID context id, its VMA set, its RSS counters and its mmap lock.
 * Its tables come from the page allocator of a struct mem_system, one page each
 * (a short root too: a page is aligned to any smaller table size).
 *
 * Switching (Linux's switch_mm → check_and_switch_context → cpu_switch_mm): switch_mm gives the
 * mm an ASID through the ASID allocator and returns the TTBR0_EL1 value, the root table with the
 * ASID in bits [63:48] (ARM ARM (DDI 0487) D19.2 "TTBR0_EL1"); arch_switch_ttbr0 then loads it
 * on the CPU, flushing the local TLB first when the allocator says so. The TLB entries of user
 * pages are non-global (nG) and so tagged with the ASID: switching back and forth within a
 * generation needs no flush (ARM ARM D8.13 "Translation Lookaside Buffers").
 *
 * Locking: the mmap lock (Linux's mmap_lock, an rwsem) is a reader-writer spinlock here: held
 * for reading to look at the VMAs (faults, mincore, /proc), for writing to change them (mmap,
 * munmap, mprotect, brk, mremap, fork's copy, exec); it comes before every other mm lock (the
 * page cache's, slab's, the page allocator's; see mm/page_alloc.c and mm/slub.c). Faults change
 * PTEs and counters under the read lock: Linux's page_table_lock, which orders them against
 * each other, is not here yet, as one task per mm runs its faults one at a time. The context id
 * is the ASID allocator's (asid.h: written under its lock).
 */
#ifndef KMM_MM_STRUCT_H
#define KMM_MM_STRUCT_H

#include <kmm/asid.h>
#include <kmm/bug.h>
#include <kmm/pgtable.h>
#include <kmm/spinlock.h>
#include <kmm/vma.h>

/* The RSS counters, Linux's names and order. */
enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, NR_MM_COUNTERS };

struct mm_struct {
	struct pgtable pgd; /* the TTBR0 tables */
	/* The user layout, Linux's names: set by mm_init (task_size, mmap_base through
	 * arch_pick_mmap_layout), exec and brk. */
	vaddr_t task_size; /* TASK_SIZE: the TTBR0 range, 2^va_bits */
	vaddr_t mmap_base; /* top-down mmap placement starts below it */
	vaddr_t start_code, end_code, start_data, end_data;
	vaddr_t start_brk, brk, start_stack;
	vaddr_t arg_start, arg_end, env_start, env_end;
	uint64_t stack_rlimit; /* RLIMIT_STACK, bytes (8 MiB by default) */
	/* Pages of VMAs, as Linux's total_vm, data_vm, exec_vm and stack_vm. */
	unsigned long total_vm, data_vm, exec_vm, stack_vm;
	unsigned long hiwater_rss; /* the highest anon + file RSS seen */
	/* Faults handled (Linux counts min_flt/maj_flt per task); copy-on-write outcomes. */
	unsigned long min_flt, maj_flt, cow_copies, cow_reuses;
	uint64_t context_id;  /* the ASID allocator's context id: 0 until first switched to */
	struct vma_tree vmas; /* the VMAs, ordered by address */
	unsigned long rss[NR_MM_COUNTERS]; /* pages mapped: file, anonymous; swap entries */
	rwlock_t mmap_lock;		   /* the VMAs and the layout above (see Locking) */
	struct mem_system *ms;		   /* where the table pages come from */
	struct pgtable_alloc table_alloc;  /* the pgd's allocator over @ms */
};

/*
 * Set up @mm as an empty address space of geometry @g (granule PAGE_SIZE, a TTBR0 geometry)
 * whose tables come from @ms: an empty root table, no ASID yet, no VMAs, counters 0, the lock
 * free. 0, -EINVAL (granule not PAGE_SIZE) or -ENOMEM (no page for the root).
 */
int mm_init(struct mm_struct *mm, const struct xlat_geometry *g, struct mem_system *ms);

/* The kernel's ASID allocator for processes (set up by vm_init) and the ASID @mm last got from
 * it (0 if it never ran), for TLB maintenance by ASID. */
extern struct asid_allocator asid_default;

static inline uint16_t mm_asid(const struct mm_struct *mm)
{
	return (uint16_t)asid_ctx_asid(&asid_default, READ_ONCE(mm->context_id));
}

/*
 * Tear down @mm's page tables: unmap the whole TTBR0 range, which frees every table below the
 * root, invalidate the cleared leaves in every TLB (the VAs may be any mm's, the pages are
 * about to be reused), then free the root. The caller has removed the VMAs and the pages they
 * mapped (the counters are 0: a leftover is warned about, as Linux's check_mm) and no CPU runs
 * @mm any more. Its ASID stays taken until the next rollover (asid.h).
 */
void mm_destroy(struct mm_struct *mm);

/*
 * Switch @cpu to @mm (Linux's check_and_switch_context): @mm gets an ASID of the current
 * generation from @a if it has none. Returns the TTBR0_EL1 value to load (root | ASID << 48);
 * *@need_local_flush says whether @cpu must invalidate its own TLB first (a rollover happened
 * since it last switched). Pass both to arch_switch_ttbr0 on @cpu.
 */
uint64_t switch_mm(struct asid_allocator *a, unsigned int cpu, struct mm_struct *mm,
		   bool *need_local_flush);

/* Take and drop the mmap lock, as Linux's mmap_{read,write}_{lock,unlock} (macros, so that
 * the lock's reports name the caller's line). */
#define mmap_read_lock(mm) read_lock(&(mm)->mmap_lock)
#define mmap_read_unlock(mm) read_unlock(&(mm)->mmap_lock)
#define mmap_write_lock(mm) write_lock(&(mm)->mmap_lock)
#define mmap_write_unlock(mm) write_unlock(&(mm)->mmap_lock)

/* Linux's mmap_assert_locked (held for reading or writing, by any CPU: readers are not
 * recorded) and mmap_assert_write_locked (held for writing by this CPU). */
static inline void mmap_assert_locked(const struct mm_struct *mm)
{
	BUG_ON(!rwlock_is_locked(&mm->mmap_lock));
}

static inline void mmap_assert_write_locked(const struct mm_struct *mm)
{
	BUG_ON(!rwlock_is_write_held(&mm->mmap_lock));
}

#endif /* KMM_MM_STRUCT_H */

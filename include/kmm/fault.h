/* SPDX-License-Identifier: MIT */
/*
 * Page faults (seed 001 part 3, seed 002 "fault handling", seed 004): the arch entry that
 * decodes an abort (Linux's arch/arm64/mm/fault.c, mm/fault.c here) and the generic handler
 * that makes the page present (Linux's mm/memory.c, mm/memory.c here): demand-zero anonymous
 * pages, file pages through the page cache, copy-on-write (copy, or reuse when the page has one
 * mapper), access-flag faults, stack growth. Also the page-table side of the VM calls that the
 * mmap layer needs: zap a range, copy a range at fork, change protection.
 *
 * Page state (Linux's): an anonymous page has page->mapping == PAGE_MAPPING_ANON and index the
 * VA's page number where it was first mapped; a page-cache page has its address_space. Each PTE
 * mapping a page holds one reference and one map count (_mapcount + 1). The RSS counters count
 * the mm's PTEs: MM_ANONPAGES for anonymous pages (also CoW copies of file pages), MM_FILEPAGES
 * for page-cache pages.
 *
 * User PTEs (mk_pte): pages only, non-global (nG), AF set, Normal memory (MAIR index
 * MT_NORMAL of the boot's MAIR), inner shareable, PXN always, UXN unless VM_EXEC; AP EL0 RW for a
 * writable VMA's page that may be written (shared, or private and exclusively owned), EL0 RO
 * otherwise; PROT_NONE: AP EL1-only and UXN (no EL0 access).
 */
#ifndef KMM_FAULT_H
#define KMM_FAULT_H

#include <kmm/mm_struct.h>

/* page->mapping of an anonymous page (Linux: the anon_vma pointer with bit 0 set). */
#define PAGE_MAPPING_ANON ((void *)1)

/* handle_mm_fault flags (Linux's FAULT_FLAG_*). */
#define FAULT_FLAG_WRITE 0x01u
#define FAULT_FLAG_USER 0x40u
#define FAULT_FLAG_INSTRUCTION 0x100u

/* handle_mm_fault results (Linux's VM_FAULT_*): 0 is success. */
typedef unsigned int vm_fault_t;
#define VM_FAULT_OOM 0x0001u
#define VM_FAULT_SIGBUS 0x0002u
#define VM_FAULT_MAJOR 0x0004u
#define VM_FAULT_SIGSEGV 0x0040u
#define VM_FAULT_ERROR (VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV)

/*
 * Resolve a fault at @address in @vma (which covers it and allows the access, checked by the
 * caller) of its mm: make the page present with the permissions its VMA gives, copying on a
 * write to a CoW page. Counts min_flt/maj_flt, cow_copies/cow_reuses in the mm. The TLB is
 * maintained: a PTE replaced (CoW) is invalidated by VA and ASID before the new one is written
 * (break-before-make); setting AF needs no flush (an entry that faults on AF is never cached);
 * write permission granted in place (reuse) invalidates the page's entry after the write, as
 * the read-only entry may be cached and fault again (Linux's arm64 ptep_set_access_flags).
 */
vm_fault_t handle_mm_fault(struct vm_area_struct *vma, vaddr_t address, unsigned int flags);

/* Signals and their codes (Linux's values) for a fault the kernel cannot resolve. */
#define SIGBUS 7
#define SIGKILL 9 /* out of memory */
#define SIGSEGV 11
#define SEGV_MAPERR 1 /* no VMA at the address */
#define SEGV_ACCERR 2 /* the VMA does not allow the access */
#define BUS_ADRERR 2  /* a file page beyond the end of the file */
#define BUS_OBJERR 3  /* an abort other than a translation, access-flag or permission fault */

struct ksiginfo {
	int signo; /* 0: none */
	int code;
	vaddr_t addr;
};

/*
 * The arch fault entry (Linux's do_page_fault/do_translation_fault/do_mem_abort): an abort at
 * @far with syndrome @esr (aarch64/esr.h) while running @mm. Translation, access-flag and
 * permission faults from EL0 (and from EL1 on a user address, as copy_{to,from}_user would take)
 * are looked up in @mm's VMAs: a missing VMA is SEGV_MAPERR (a stack VMA below grows to cover
 * the address if its guard gap and rlimit allow), a VMA without the access's permission
 * SEGV_ACCERR (arm64 Linux's: an instruction fetch needs VM_EXEC, a write VM_WRITE, a read any
 * of VM_READ, VM_WRITE, VM_EXEC, all of which AArch64 makes readable at EL0; the kernel's own
 * instruction fetches from user memory are SEGV_ACCERR), else handle_mm_fault decides. Takes
 * and drops the mmap lock. Returns 0 when the access can be retried; else fills @info with the
 * signal for the process (SIGSEGV, SIGBUS; out of memory is reported as SIGKILL 9) and returns
 * its number. Other aborts (external, address size) are SIGBUS (BUS_OBJERR).
 */
int do_page_fault(struct mm_struct *mm, vaddr_t far, uint64_t esr, struct ksiginfo *info);

/* The descriptor of a user PTE mapping @page with @vm_flags's permissions (writable only when
 * @writable and the VMA has VM_WRITE). */
struct mem_system;
uint64_t mk_pte(const struct mm_struct *mm, const struct page *page, unsigned long vm_flags,
		bool writable);

/*
 * Unmap [@start, @end) of @vma (inside it) and drop the pages' references and map counts
 * (Linux's zap_page_range / unmap_vmas); free the page tables left empty; invalidate the range's
 * TLB entries of the mm's ASID before any page goes back to the allocator. Cannot fail.
 */
void zap_page_range(struct vm_area_struct *vma, vaddr_t start, vaddr_t end);

/*
 * Copy the PTEs of @src_vma (of @src) into @dst (Linux's copy_page_range at fork), whose VMA
 * @dst_vma has the same range: shared mappings share the page; private writable ones become
 * copy-on-write: the PTE is made read-only in both (the parent's TLB entries of the range
 * invalidated once afterwards) and the page's reference and map counts rise. 0, or -ENOMEM
 * (the caller tears the child down).
 */
int copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma);

/*
 * Set the permissions of the present PTEs of [@start, @end) in @vma to those of @newflags
 * (Linux's change_protection): write permission only where mk_pte would give it (so CoW pages
 * stay read-only); the range's TLB entries invalidated. Returns the PTEs changed.
 */
unsigned long change_protection(struct vm_area_struct *vma, vaddr_t start, vaddr_t end,
				unsigned long newflags);

/*
 * Move the PTEs of [@old_addr, @old_addr + @len) of @vma to @new_addr in @new_vma (Linux's
 * move_page_tables for mremap; the same mm): pages keep their counts. Tables for the new range
 * are allocated first: -ENOMEM changes nothing. The old range's TLB entries are invalidated.
 */
int move_page_tables(struct vm_area_struct *vma, vaddr_t old_addr, struct vm_area_struct *new_vma,
		     vaddr_t new_addr, size_t len);

/* Fault in every page of [@start, @end) of @vma as a read, or a write if @write (MAP_POPULATE,
 * MADV_WILLNEED: Linux's populate_vma_page_range). 0 or -ENOMEM (-EFAULT for SIGBUS). */
int populate_range(struct vm_area_struct *vma, vaddr_t start, vaddr_t end, bool write);

/*
 * The cross-address-space check: the map count of every page mapped by a present PTE of any of
 * the @n address spaces equals the number of such PTEs, and its reference count is at least
 * that (plus one for a page-cache page). NULL when it holds, else a message naming the page.
 */
const char *mm_check_mapcounts(struct mm_struct *const *mms, unsigned int n);

#endif /* KMM_FAULT_H */

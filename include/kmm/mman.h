/* SPDX-License-Identifier: MIT */
/*
 * The memory system calls of a process (seed 002's user-space layer; Linux's mm/mmap.c,
 * mprotect.c, mremap.c, madvise.c, mincore.c): brk, mmap, munmap, mprotect, madvise, mremap and
 * mincore on an address space, with Linux's flag values, semantics and error returns (the man
 * pages' EINVAL, ENOMEM, EACCES, EEXIST, EBADF, ENODEV, EAGAIN...). Each call takes the mm's
 * mmap lock itself and, when it fails, leaves the address space as it was.
 *
 * Calls that return an address return it as a long, or a negative errno (-4095..-1), as the
 * kernel's syscall entry does; callers test with IS_ERR_VALUE.
 */
#ifndef KMM_MMAN_H
#define KMM_MMAN_H

#include <kmm/mm_struct.h>

struct file;

/* prot (Linux's asm-generic/mman-common.h). */
#define PROT_NONE 0x0
#define PROT_READ 0x1
#define PROT_WRITE 0x2
#define PROT_EXEC 0x4
#define PROT_SEM 0x8 /* accepted and ignored, as on arm64 */
#define PROT_GROWSDOWN 0x01000000
#define PROT_GROWSUP 0x02000000

/* flags */
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x0100
#define MAP_DENYWRITE 0x0800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_FIXED_NOREPLACE 0x100000

/* madvise advice */
#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11

/* The VMA flags MADV_SEQUENTIAL and MADV_RANDOM set (Linux's values; read-ahead hints). */
#define VM_SEQ_READ 0x00008000UL
#define VM_RAND_READ 0x00010000UL

/* mremap flags */
#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2
#define MREMAP_DONTUNMAP 4

#define IS_ERR_VALUE(x) ((unsigned long)(long)(x) >= (unsigned long)-4095)

/* Linux's stack_guard_gap: 256 pages kept free below a stack VMA (and above a grows-up one). */
#define STACK_GUARD_GAP (256UL << PAGE_SHIFT)
/* The default RLIMIT_STACK (_STK_LIM) and mmap_base's gap limits (mm/util.c). */
#define STACK_RLIMIT_DEFAULT (8UL << 20)
#define MMAP_MIN_GAP (128UL << 20)
/* ptmalloc's and the kernel's: mmap below this address is refused (vm.mmap_min_addr). */
#define MMAP_MIN_ADDR 0x10000UL
/* vm.max_map_count (Linux's sysctl, 65530 by default): more VMAs than this in an address space
 * are refused (ENOMEM; EAGAIN from madvise). */
#define DEFAULT_MAX_MAP_COUNT 65530
extern unsigned long sysctl_max_map_count;
/* The default RLIMIT_MEMLOCK (Linux 6.1's MLOCK_LIMIT): VM_LOCKED pages beyond it are EAGAIN. */
#define MLOCK_RLIMIT_DEFAULT (8UL << 20)

/*
 * Set @mm's mmap_base as Linux's arch_pick_mmap_layout without randomization: STACK_TOP
 * (task_size) minus the stack gap (RLIMIT_STACK + stack_guard_gap, clamped to [128 MiB,
 * task_size / 6 * 5]), page aligned.
 */
void arch_pick_mmap_layout(struct mm_struct *mm);

long sys_brk(struct mm_struct *mm, vaddr_t brk);
long sys_mmap(struct mm_struct *mm, vaddr_t addr, size_t len, int prot, int flags,
	      struct file *file, uint64_t off);
int sys_munmap(struct mm_struct *mm, vaddr_t addr, size_t len);
int sys_mprotect(struct mm_struct *mm, vaddr_t addr, size_t len, int prot);
int sys_madvise(struct mm_struct *mm, vaddr_t addr, size_t len, int advice);
long sys_mremap(struct mm_struct *mm, vaddr_t old_addr, size_t old_len, size_t new_len, int flags,
		vaddr_t new_addr);
/* @vec: one byte per page of the range, set to 1 when the page is resident (in the page
 * tables or, for a file mapping, in the page cache), else 0. */
int sys_mincore(struct mm_struct *mm, vaddr_t addr, size_t len, unsigned char *vec);

/*
 * The kernel-internal forms (Linux's do_mmap, do_munmap, vm_brk_flags), for exec and the other
 * callers that hold the mmap lock for writing already: @pgoff in pages, @vm_flags extra VM_*
 * flags. do_mmap returns the address or -errno like sys_mmap.
 */
long do_mmap(struct mm_struct *mm, struct file *file, vaddr_t addr, size_t len, int prot, int flags,
	     unsigned long vm_flags, uint64_t pgoff);
int do_munmap(struct mm_struct *mm, vaddr_t start, size_t len);
int vm_brk_flags(struct mm_struct *mm, vaddr_t addr, size_t len, unsigned long vm_flags);

/*
 * Grow the stack VMA @vma (VM_GROWSDOWN) down to cover @address (Linux's expand_stack), keeping
 * stack_guard_gap to the VMA below and within RLIMIT_STACK; the mmap lock held. 0, -ENOMEM, or
 * -EPERM for an address below MMAP_MIN_ADDR.
 */
struct vm_area_struct;
int expand_stack(struct vm_area_struct *vma, vaddr_t address);

/*
 * Tear down everything mapped in @mm (Linux's exit_mmap): every VMA's pages unmapped (their
 * counts dropped, the TLB entries of the mm's ASID invalidated), every VMA and its file
 * reference released, the VM counters zeroed. Takes the mmap lock itself, as Linux's does. The
 * page tables themselves go with mm_destroy.
 */
void exit_mmap(struct mm_struct *mm);

/*
 * Account @npages (negative: remove) of a VMA with @flags in @mm's total_vm and in exec_vm,
 * stack_vm or data_vm (Linux's vm_stat_account), for code that adds VMAs itself (exec's stack).
 */
void vm_stat_account(struct mm_struct *mm, unsigned long flags, long npages);

/*
 * Check @mm's VM invariants: the VMA tree (vma_check, strict merging not required), every VMA
 * inside [MMAP_MIN_ADDR, task_size) with vm_mm == @mm, every present PTE a page (level 3)
 * inside a VMA with permissions the VMA allows (mk_pte's: nG and PXN set, EL0 access only with
 * R/W/X, write only with VM_WRITE and, in a private VMA, only on an anonymous page mapped once,
 * EL0 execute only with VM_EXEC) and pointing at a page whose map count counts it, the RSS
 * counters equal to the pages mapped, total_vm, data_vm, exec_vm and stack_vm equal to the
 * VMAs' pages. Takes no lock. NULL when all hold, else a message (in a static buffer) naming
 * the first broken one and where.
 */
const char *mm_check(struct mm_struct *mm);

/* The VMAs come from this cache (created by vm_init). */
struct vm_area_struct *vm_area_alloc(struct mm_struct *mm);
void vm_area_free(struct vm_area_struct *vma);
extern const struct vma_allocator vma_kmem_allocator;

/*
 * Set up the VM layer on the booted kernel (after kmem_cache_init): the VMA cache, asid_default
 * for @nr_cpus CPUs with @asid_bits-bit ASIDs, and @user as the geometry of every new address
 * space (vm_user_geometry). 0 or -ENOMEM / -EINVAL.
 */
int vm_init(const struct xlat_geometry *user, unsigned int nr_cpus, unsigned int asid_bits);
extern struct xlat_geometry vm_user_geometry;

#endif /* KMM_MMAN_H */

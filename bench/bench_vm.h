/* SPDX-License-Identifier: MIT */
/*
 * The virtual-memory benchmarks (issue 6 item 8): kmm's fault, fork and VMA paths on the
 * simulator against Linux's on this machine.
 *
 *   fault.anon   one op: a demand-zero fault. A run maps FAULT_PAGES anonymous pages, writes
 *                one byte to each and unmaps them, over and over; the ops are the minor faults
 *                counted (kmm: the mm's min_flt; Linux: getrusage's ru_minflt), so mmap and
 *                munmap are paid for in the figure, amortized over FAULT_PAGES faults.
 *   fault.cow    one op: a copy-on-write fault. A process has COW_PAGES pages written; a run
 *                forks it, the child writes one byte to each page and exits (the parent waits);
 *                the ops are the child's faults (kmm: its cow_copies; Linux: RUSAGE_CHILDREN's
 *                ru_minflt), fork, exit and wait amortized over them.
 *   fork.1g      one op: a fork of a process with 1 GiB resident in 4K pages ("ptes": 262144,
 *                so ns per PTE is ns_per_op / ptes). Only the fork is timed: the children wait
 *                (Linux: on a pipe; kmm: tasks simply kept) and exit at teardown.
 *   vma.find.1k, vma.find.100k
 *                one op: find_vma at a random address among 1,000 / 100,000 one-page VMAs
 *                side by side, protections alternating so that none merge (the first two
 *                made by sys_mmap, the others inserted like them: sys_mmap stops at
 *                vm.max_map_count, 65530 VMAs, as Linux's does by default).
 *   vma.mmap_munmap.1k, vma.mmap_munmap.100k
 *                one op: munmap of a random one of those VMAs and mmap (MAP_FIXED) of it back.
 *                With 100,000 VMAs sys_mmap refuses (ENOMEM beyond vm.max_map_count, which
 *                kmm cannot raise yet): the setup says so and fails.
 *
 * Impl "kmm" boots the default board (sim_boot: page allocator, slab, VM layer) with the
 * architecture-rule checker off, makes a task (task_create) and uses the system calls
 * (sys_mmap, sys_munmap), do_fork and do_exit; its user accesses go through a simulated CPU at
 * EL0 (sim_user_write), faulting through do_page_fault. Impl "linux" does the same with the
 * host's calls; its regions are madvised MADV_NOHUGEPAGE so that every fault and PTE is a 4K
 * one. The simulated RAM is madvised MADV_DONTFORK so that a Linux fork copies only what it
 * measures.
 */
#ifndef BENCH_VM_H
#define BENCH_VM_H

#define VM_HOST_PAGE 4096UL
#define FAULT_PAGES 512UL /* 2 MiB mapped, touched and unmapped at a time */
#define COW_PAGES 8192UL  /* 32 MiB written by the forked process */
#define FORK_BYTES (1UL << 30)
#define FORK_PTES (FORK_BYTES / VM_HOST_PAGE)

#endif /* BENCH_VM_H */

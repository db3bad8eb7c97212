/* SPDX-License-Identifier: MIT */
/*
 * kmm for embedders: one header for a program of one's own linked with libkmm.a (pkg-config
 * kmm). It brings in the public interfaces (the page allocator, kmalloc & co., vmalloc,
 * processes and their address spaces, the VM system calls) and boots a simulated board for them
 * to run on: the emulated machine (RAM, MMU, TLBs, CPUs) that kmm-sim uses, its kernel's memory
 * management booted as `kmm-sim boot` boots it. A task from task_create then makes user memory
 * accesses through the software MMU with sim_user_read / sim_user_write (platform/sim/process.h).
 *
 *   struct kmm_sim_config cfg = { .mem = 256 << 20 };
 *   kmm_sim_boot(&cfg);  ...  kmalloc, alloc_pages, sys_mmap ...  kmm_sim_shutdown();
 *
 * One board at a time per program; kmm's default instances (mm_default_system and the others)
 * belong to it while it is up.
 */
#ifndef KMM_KMM_H
#define KMM_KMM_H

#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/mm_struct.h>
#include <kmm/mman.h>
#include <kmm/sched.h>
#include <kmm/slab.h>
#include <kmm/types.h>
#include <kmm/vmalloc.h>
#include <platform/sim/process.h>

#include <stdio.h>

struct kmm_sim_config {
	const char *board;  /* "virt" (QEMU virt, the default when NULL) or "raspi3b" */
	uint64_t mem;	    /* bytes of RAM; 0: the board's default (1 GiB for virt) */
	unsigned int ncpus; /* simulated CPUs, 1..NR_CPUS; 0: 1 */
	FILE *log;	    /* where the boot log goes; NULL: nowhere */
	FILE *err;	    /* where a failed boot says why; NULL: stderr */
};

/*
 * Boot the board @cfg describes (NULL: all defaults) with 4K pages and 48-bit VAs and make it
 * the machine kmm runs on. 0; -EBUSY if a board is up already, -EINVAL for a bad configuration
 * (the reason on cfg->err), -ENOMEM if the boot ran out of memory.
 */
int kmm_sim_boot(const struct kmm_sim_config *cfg);

/* Detach and free the board kmm_sim_boot brought up (nothing if none is). Every task must have
 * exited (do_exit) first. */
void kmm_sim_shutdown(void);

#endif /* KMM_KMM_H */

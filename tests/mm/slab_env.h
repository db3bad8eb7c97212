/* SPDX-License-Identifier: MIT */
/*
 * Test fixture shared by the slab and kmalloc tests: a hosted machine with RAM at 1 GiB, handed
 * through memblock to the page allocator, and a slab system on it.
 */
#ifndef TESTS_MM_SLAB_ENV_H
#define TESTS_MM_SLAB_ENV_H

#include "hw/cpu.h"

#include <kmm/memblock.h>
#include <kmm/mm.h>
#include <kmm/slab.h>

/* Build @machine with @cpus CPUs and @ram bytes, @ms on it and @ss with @debug; attach it. */
bool slab_env_up(struct hw_machine *machine, struct memblock *mb, struct mem_system *ms,
		 struct slab_system *ss, unsigned int cpus, uint64_t ram, slab_flags_t debug);
void slab_env_down(struct hw_machine *machine);
/* Free pages of node 0 with every per-CPU list drained. */
unsigned long slab_env_free_pages(struct mem_system *ms);

#endif /* TESTS_MM_SLAB_ENV_H */

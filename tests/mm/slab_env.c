// SPDX-License-Identifier: MIT
/* The slab tests' machine; see slab_env.h. */
#include "slab_env.h"

#include "arch/host/host.h"

#include <kmm/gfp.h>

#define RAM_AT (1ULL << 30)

bool slab_env_up(struct hw_machine *machine, struct memblock *mb, struct mem_system *ms,
		 struct slab_system *ss, unsigned int cpus, uint64_t ram, slab_flags_t debug)
{
	if (hw_machine_init(machine, cpus, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT))
		return false;
	memblock_init(mb);
	if (hw_ram_add(&machine->ram, RAM_AT, ram) || memblock_add(mb, RAM_AT, ram))
		goto fail;
	host_attach(machine);
	host_set_cpu(0);
	if (mm_core_init(ms, mb, &(struct mm_init_params){ .nr_cpus = cpus }))
		goto detach;
	slab_system_set_debug(ss, debug);
	if (slab_system_init(ss, ms) == 0)
		return true;
detach:
	host_attach(NULL);
fail:
	hw_machine_destroy(machine);
	return false;
}

void slab_env_down(struct hw_machine *machine)
{
	host_set_cpu(0);
	host_attach(NULL);
	hw_machine_destroy(machine);
}

unsigned long slab_env_free_pages(struct mem_system *ms)
{
	unsigned long n = 0;

	ms_drain_all_pages(ms);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += ms->node_data[0].node_zones[z].nr_free_pages;
	return n;
}

// SPDX-License-Identifier: MIT
/*
 * The hosted backend's current CPU: the simulated CPUs take turns on one host thread, so the
 * platform (or a test) says which one runs the kernel code now.
 */
#include "host.h"

#include <kmm/arch.h>

unsigned int host_current_cpu;

void host_set_cpu(unsigned int id)
{
	host_current_cpu = id;
}

unsigned int arch_cpu_id(void)
{
	return host_current_cpu;
}

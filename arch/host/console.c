// SPDX-License-Identifier: MIT
/* The hosted console of the arch interface: standard output, or the stream the platform set. */
#include "host.h"

#include <kmm/arch.h>

static FILE *console;

FILE *host_console_set(FILE *f)
{
	FILE *old = console;

	console = f;
	return old;
}

void arch_console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, console ? console : stdout);
}

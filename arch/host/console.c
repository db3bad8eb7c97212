// SPDX-License-Identifier: MIT
/* The hosted console of the arch interface: standard output. */
#include <kmm/arch.h>

#include <stdio.h>

void arch_console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stdout);
}

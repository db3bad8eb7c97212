// SPDX-License-Identifier: MIT
/*
 * The in-kernel test runner: the ktest cases linked into the bare-metal kernel — the shared test
 * files that need no host (tests/arch, tests/lib, and from tests/mm those without an emulated
 * machine: test_fdt.c, test_asid.c, test_vma.c; platform/qemu/kernel.cmake lists them) and the
 * kernel's own in tests/kernel, which run on the booted kernel and the real MMU — printing TAP on
 * the UART and the closing "N passed, N failed". kmm.tests=PREFIX,PREFIX selects cases as the
 * hosted runner's arguments do, kmm.seed=N seeds the randomised ones (default 1).
 * After each case the page allocator, the slab caches and vmalloc are checked (the hosted
 * runner checks the emulated hardware's rules there instead).
 */
#include "kernel_test.h"

#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#define MAX_FILTERS 16

struct kernel *ktest_kernel;

/* ktest_after_case: the allocators' own checkers, which print what they find. */
static void check_allocators(struct ktest *kt)
{
	bool buddy = ms_page_alloc_check(&mm_default_system) != 0;
	bool slab = ss_slab_check(&slab_default_system) != 0;
	bool vmalloc = vmalloc_check(&vmalloc_default) != 0;

	if (buddy || slab || vmalloc) {
		kt->failures++;
		ktest_log(kt, "after the case, the checker of %s found a problem",
			  buddy	 ? "the page allocator"
			  : slab ? "the slab caches"
				 : "vmalloc");
	}
}

/* Split @list at commas into @out (pointers into @list, which is changed). */
static int split_filters(char *list, const char *out[MAX_FILTERS])
{
	int n = 0;

	for (char *p = list; *p && n < MAX_FILTERS;) {
		out[n++] = p;
		while (*p && *p != ',')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

static unsigned long long parse_seed(const char *s)
{
	unsigned long long v = 0;

	for (; *s >= '0' && *s <= '9'; s++)
		v = v * 10 + (unsigned long long)(*s - '0');
	return v;
}

unsigned int kernel_run_tests(struct kernel *k)
{
	static char list[BOOTARGS_MAX];
	char seed[32];
	const char *filters[MAX_FILTERS];
	unsigned long t0 = kernel_uptime_ms(k);

	bootarg(&k->machine, "kmm.tests", list, sizeof(list));
	int n = split_filters(list, filters);
	unsigned long long s =
	    bootarg(&k->machine, "kmm.seed", seed, sizeof(seed)) && seed[0] ? parse_seed(seed) : 1;

	ktest_kernel = k;
	ktest_after_case = check_allocators;
	struct ktest_summary sum = ktest_run_all(filters, n, s);
	printk("kmm: ktest: %u passed, %u failed, %u skipped in %lu ms\n", sum.passed, sum.failed,
	       sum.skipped, kernel_uptime_ms(k) - t0);
	return sum.failed;
}

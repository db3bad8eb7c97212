// SPDX-License-Identifier: MIT
/* The ktest runner and its reporting; freestanding, printing through printk. */
#include "ktest.h"

#include <kmm/printk.h>

/* The linker makes these for any section whose name is a C identifier. */
extern const struct ktest_case __start_ktest_cases[];
extern const struct ktest_case __stop_ktest_cases[];

void (*ktest_after_case)(struct ktest *kt);

static void fail_header(struct ktest *kt, const char *file, int line)
{
	kt->failures++;
	printk("    # %s:%d: ", file, line);
}

bool ktest_check(struct ktest *kt, bool ok, const char *file, int line, const char *expr)
{
	if (!ok) {
		fail_header(kt, file, line);
		printk("expected %s\n", expr);
	}
	return ok;
}

bool ktest_check_int(struct ktest *kt, bool ok, const char *file, int line, const char *op,
		     const char *ea, const char *eb, long long a, long long b, bool is_signed)
{
	if (!ok) {
		fail_header(kt, file, line);
		printk("expected %s %s %s\n", ea, op, eb);
		if (is_signed)
			printk("    #   %s = %lld (0x%llx)\n    #   %s = %lld (0x%llx)\n", ea, a,
			       (unsigned long long)a, eb, b, (unsigned long long)b);
		else
			printk("    #   %s = %llu (0x%llx)\n    #   %s = %llu (0x%llx)\n", ea,
			       (unsigned long long)a, (unsigned long long)a, eb,
			       (unsigned long long)b, (unsigned long long)b);
	}
	return ok;
}

static bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

bool ktest_check_str(struct ktest *kt, const char *file, int line, const char *ea, const char *eb,
		     const char *a, const char *b)
{
	bool ok = str_eq(a, b);

	if (!ok) {
		fail_header(kt, file, line);
		printk("expected %s == %s\n    #   %s = \"%s\"\n    #   %s = \"%s\"\n", ea, eb, ea,
		       a, eb, b);
	}
	return ok;
}

void ktest_log(struct ktest *kt, const char *fmt, ...)
{
	va_list ap;

	(void)kt;
	printk("    # ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
}

void ktest_skip(struct ktest *kt, const char *reason)
{
	kt->skipped = true;
	kt->skip_reason = reason;
}

static bool matches(const struct ktest_case *tc, const char *const *filters, int n)
{
	char full[128];

	if (n == 0)
		return true;
	kmm_snprintf(full, sizeof(full), "%s.%s", tc->suite, tc->name);
	for (int i = 0; i < n; i++) {
		const char *f = filters[i], *s = full;
		while (*f && *f == *s)
			f++, s++;
		if (!*f)
			return true;
	}
	return false;
}

void ktest_list(void)
{
	for (const struct ktest_case *tc = __start_ktest_cases; tc < __stop_ktest_cases; tc++)
		printk("%s.%s\n", tc->suite, tc->name);
}

struct ktest_summary ktest_run_all(const char *const *filters, int nfilters,
				   unsigned long long seed)
{
	struct ktest_summary sum = { 0, 0, 0 };
	unsigned int total = 0, n = 0;
	const char *suite = NULL;

	for (const struct ktest_case *tc = __start_ktest_cases; tc < __stop_ktest_cases; tc++)
		total += matches(tc, filters, nfilters);
	printk("TAP version 13\n1..%u\n# seed %llu\n", total, seed);
	for (const struct ktest_case *tc = __start_ktest_cases; tc < __stop_ktest_cases; tc++) {
		if (!matches(tc, filters, nfilters))
			continue;
		if (!suite || !str_eq(suite, tc->suite)) {
			suite = tc->suite;
			printk("# suite %s\n", suite);
		}
		struct ktest kt = { .tc = tc, .seed = seed };
		tc->fn(&kt);
		if (ktest_after_case)
			ktest_after_case(&kt);
		n++;
		if (kt.failures) {
			sum.failed++;
			printk("not ok %u %s.%s\n", n, tc->suite, tc->name);
		} else if (kt.skipped) {
			sum.skipped++;
			printk("ok %u %s.%s # SKIP %s\n", n, tc->suite, tc->name, kt.skip_reason);
		} else {
			sum.passed++;
			printk("ok %u %s.%s\n", n, tc->suite, tc->name);
		}
	}
	if (sum.skipped)
		printk("%u passed, %u failed, %u skipped\n", sum.passed, sum.failed, sum.skipped);
	else
		printk("%u passed, %u failed\n", sum.passed, sum.failed);
	return sum;
}

// SPDX-License-Identifier: MIT
/*
 * kmm-bench: runs the benchmarks registered in the "kmm_benches" section (see bench.h).
 *   kmm-bench [--runs N] [--list] [PREFIX ...]
 * PREFIX selects benchmarks by name prefix (all when none). For each group (one benchmark name
 * and parameter) every impl is set up and calibrated to about 30 ms a run, then the impls are
 * run interleaved, N times each (default 7), and one JSON object per impl is printed:
 *   {"bench": "buddy.pair.order0", "impl": "kmm", "ns_per_op": 12.345, "ram": 1073741824,
 *    "runs": 7, "ops_per_run": 2400000, "min_ns_per_op": 12.1, "max_ns_per_op": 13.0}
 * ns_per_op is the median over the runs. Exit status 2 for bad arguments, 1 if a setup failed.
 */
#include "bench.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The linker makes these for any section whose name is a C identifier. */
extern const struct bench_def __start_kmm_benches[];
extern const struct bench_def __stop_kmm_benches[];

#define RUNS_DEFAULT 7
#define RUNS_MAX 1000
#define GROUP_MAX 16		    /* impls of one benchmark */
#define CALIB_MIN_NS 20000000ULL    /* a calibrated run takes at least 20 ms ... */
#define CALIB_TARGET_NS 30000000ULL /* ... aiming at 30 ms */

/* One impl of the group being measured. */
struct measure {
	const struct bench_def *def;
	void *state;
	uint64_t iters;	   /* per run, from calibration */
	uint64_t ops;	   /* of the last run */
	double *ns_per_op; /* one per run */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static bool str_eq_or_null(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Whether @a and @b are impls of one benchmark: same name, parameter key and value. */
static bool same_group(const struct bench_def *a, const struct bench_def *b)
{
	return !strcmp(a->name, b->name) && str_eq_or_null(a->param_key, b->param_key) &&
	       a->param == b->param;
}

static bool selected(const struct bench_def *d, char *const *prefixes, int n)
{
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++)
		if (!strncmp(d->name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* Run @m once for its calibrated iterations; record the ops and return the time in ns. */
static uint64_t timed_run(struct measure *m)
{
	uint64_t t0 = now_ns();

	m->ops = m->def->run(m->state, m->iters);
	return now_ns() - t0;
}

/* Grow @m->iters until one run takes at least CALIB_MIN_NS (these runs warm the state up). */
static void calibrate(struct measure *m)
{
	uint64_t ns;

	m->iters = 1;
	while ((ns = timed_run(m)) < CALIB_MIN_NS) {
		uint64_t grow = ns ? CALIB_TARGET_NS / ns : 100;

		m->iters *= grow < 2 ? 2 : grow > 100 ? 100 : grow;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Sort @v and return its median. */
static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void print_result(struct measure *m, int runs)
{
	const struct bench_def *d = m->def;
	double med = median(m->ns_per_op, runs); /* sorts: [0] is the min, [runs - 1] the max */

	printf("{\"bench\": \"%s\", \"impl\": \"%s\", \"ns_per_op\": %.3f", d->name, d->impl, med);
	if (d->param_key)
		printf(", \"%s\": %llu", d->param_key, (unsigned long long)d->param);
	if (d->rate_key)
		printf(", \"%s\": %.0f", d->rate_key, med > 0 ? 1e9 / med : 0.0);
	printf(", \"runs\": %d, \"ops_per_run\": %llu, \"min_ns_per_op\": %.3f, "
	       "\"max_ns_per_op\": %.3f}\n",
	       runs, (unsigned long long)m->ops, m->ns_per_op[0], m->ns_per_op[runs - 1]);
}

/* "kmm" first, then the other impls by name: the order of the impls in a group. */
static int cmp_impl(const char *a, const char *b)
{
	int ka = strcmp(a, "kmm") != 0, kb = strcmp(b, "kmm") != 0;

	return ka != kb ? ka - kb : strcmp(a, b);
}

/* Order by name, parameter, impl: a group is then a run of neighbours. */
static int cmp_def(const void *pa, const void *pb)
{
	const struct bench_def *a = *(const struct bench_def *const *)pa;
	const struct bench_def *b = *(const struct bench_def *const *)pb;
	int c = strcmp(a->name, b->name);

	if (c)
		return c;
	c = strcmp(a->param_key ? a->param_key : "", b->param_key ? b->param_key : "");
	if (c)
		return c;
	if (a->param != b->param)
		return a->param < b->param ? -1 : 1;
	return cmp_impl(a->impl, b->impl);
}

/* Every registered benchmark in cmp_def order (the section's order is the linker's); NULL if
 * out of memory. Sets *@n to the count. */
static const struct bench_def **sorted_defs(size_t *n)
{
	const struct bench_def **v;

	*n = (size_t)(__stop_kmm_benches - __start_kmm_benches);
	v = malloc((*n ? *n : 1) * sizeof(*v));
	for (size_t i = 0; v && i < *n; i++)
		v[i] = &__start_kmm_benches[i];
	if (v)
		qsort(v, *n, sizeof(*v), cmp_def);
	return v;
}

/* Set up every impl of @m, leaving out those that skip (BENCH_SKIP); returns how many are left,
 * moved to the front of @m. On a failure, report it, tear down the rest and return -1. */
static int setup_group(struct measure *m, int n)
{
	int kept = 0;

	for (int i = 0; i < n; i++) {
		int err = m[i].def->setup(&m[i].state, m[i].def->param);

		if (err == BENCH_SKIP)
			continue;
		if (err) {
			fprintf(stderr, "kmm-bench: %s (%s): setup failed: %s\n", m[i].def->name,
				m[i].def->impl, strerror(-err));
			while (kept--)
				m[kept].def->teardown(m[kept].state);
			return -1;
		}
		m[kept++] = m[i];
	}
	return kept;
}

/* Measure the @n impls of one group, @runs runs each interleaved, the times kept in @ns (room
 * for GROUP_MAX * RUNS_MAX); false if there are too many impls or a setup failed. */
static bool run_group(const struct bench_def *const *defs, int n, int runs, double *ns)
{
	struct measure m[GROUP_MAX];

	if (n > GROUP_MAX) {
		fprintf(stderr, "kmm-bench: %s: %d impls, more than %d\n", defs[0]->name, n,
			GROUP_MAX);
		return false;
	}
	for (int i = 0; i < n; i++)
		m[i] = (struct measure){ .def = defs[i], .ns_per_op = ns + (size_t)i * RUNS_MAX };
	n = setup_group(m, n);
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++)
		calibrate(&m[i]);
	for (int r = 0; r < runs; r++)
		for (int i = 0; i < n; i++)
			m[i].ns_per_op[r] = (double)timed_run(&m[i]) / (double)m[i].ops;
	for (int i = 0; i < n; i++) {
		print_result(&m[i], runs);
		m[i].def->teardown(m[i].state);
	}
	return true;
}

/* The command line. */
struct options {
	char **prefixes;
	int nprefixes;
	int runs;
	bool list;
};

static void usage(const char *prog)
{
	printf(
	    "usage: %s [--runs N] [--list] [PREFIX ...]\n"
	    "Run the benchmarks whose names start with a PREFIX (all when none); print one JSON\n"
	    "object per benchmark and impl, with the median ns per op of N runs (default %d,\n"
	    "at most %d), the impls of a benchmark measured interleaved run by run.\n"
	    "  --list   print the benchmarks (name, impl, parameter) instead\n",
	    prog, RUNS_DEFAULT, RUNS_MAX);
}

/* Parse the value of --runs; 0 if @s is not a number from 1 to RUNS_MAX. */
static int parse_runs(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || *s < '0' || *s > '9')
		return 0;
	v = strtoul(s, &end, 10);
	return *end || v > RUNS_MAX ? 0 : (int)v;
}

/* Parse argv into @o (@o->prefixes has room for argc); -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(argv[0]);
			return 0;
		} else if (!strcmp(argv[i], "--list")) {
			o->list = true;
		} else if (!strcmp(argv[i], "--runs")) {
			o->runs = parse_runs(argv[++i]);
			if (!o->runs) {
				fprintf(stderr, "kmm-bench: --runs wants a number from 1 to %d\n",
					RUNS_MAX);
				return 2;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "kmm-bench: unknown option '%s' (try --help)\n", argv[i]);
			return 2;
		} else {
			o->prefixes[o->nprefixes++] = argv[i];
		}
	}
	return -1;
}

/* A PREFIX no benchmark name starts with is a mistake: say which. */
static bool prefixes_match(const struct options *o, const struct bench_def *const *defs, size_t n)
{
	bool ok = true;

	for (int i = 0; i < o->nprefixes; i++) {
		size_t j = 0;

		while (j < n && !selected(defs[j], &o->prefixes[i], 1))
			j++;
		if (j == n) {
			fprintf(stderr,
				"kmm-bench: no benchmark name starts with '%s' (see --list)\n",
				o->prefixes[i]);
			ok = false;
		}
	}
	return ok;
}

static void list(const struct options *o, const struct bench_def *const *defs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!selected(defs[i], o->prefixes, o->nprefixes))
			continue;
		printf("%s %s", defs[i]->name, defs[i]->impl);
		if (defs[i]->param_key)
			printf(" %s=%llu", defs[i]->param_key, (unsigned long long)defs[i]->param);
		printf("\n");
	}
}

/* Run every selected group of @defs (sorted); returns how many failed. */
static int run_all(const struct options *o, const struct bench_def *const *defs, size_t n,
		   double *ns)
{
	int failed = 0;

	for (size_t i = 0, j; i < n; i = j) {
		for (j = i + 1; j < n && same_group(defs[i], defs[j]); j++)
			;
		if (selected(defs[i], o->prefixes, o->nprefixes))
			failed += !run_group(&defs[i], (int)(j - i), o->runs, ns);
	}
	return failed;
}

int main(int argc, char **argv)
{
	struct options o = { .prefixes = calloc((size_t)argc, sizeof(char *)),
			     .runs = RUNS_DEFAULT };
	double *ns = malloc(sizeof(*ns) * GROUP_MAX * RUNS_MAX);
	size_t ndefs;
	const struct bench_def **defs = sorted_defs(&ndefs);
	int status;

	if (!o.prefixes || !ns || !defs) {
		fprintf(stderr, "kmm-bench: out of memory\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	status = parse_args(argc, argv, &o);
	if (status < 0 && !prefixes_match(&o, defs, ndefs))
		status = 2;
	if (status < 0 && o.list) {
		list(&o, defs, ndefs);
		status = 0;
	}
	if (status < 0)
		status = run_all(&o, defs, ndefs, ns) ? 1 : 0;
	free(defs);
	free(ns);
	free(o.prefixes);
	return status;
}

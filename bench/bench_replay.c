// SPDX-License-Identifier: MIT
/*
 * replay.tlbhit: kmm-sim replay's throughput on a TLB-friendly trace (replay.h). A lackey trace
 * of TRACE_ACCESSES accesses is generated in memory (fetches walking a 64 KiB code region, loads,
 * stores and modifies walking a 256 KiB data region, in a real trace's proportions: every page
 * touched hundreds of times in a row), and every run parses it and replays it in one task of
 * the booted board, each access translated through CPU 0's TLB. One op is one access.
 */
#include "bench.h"

#include "arch/host/host.h"
#include "board.h"
#include "replay.h"

#include <kmm/errno.h>
#include <kmm/mman.h>

#include <stdio.h>
#include <stdlib.h>

#define TRACE_ACCESSES (1u << 20)
#define CODE_BASE 0x400000UL
#define CODE_SIZE (64UL << 10)
#define DATA_BASE 0x7f0000000UL
#define DATA_SIZE (256UL << 10)
#define LINE_MAX 32

struct replay_bench {
	struct sim_boot sb;
	bool booted;
	FILE *log, *old_console;
	struct task_struct *task;
	char *text; /* the trace */
	size_t len;
};

/* The kind of line @i, in the proportions of a lackey trace of a program (/bin/true's: 76%
 * fetches, 17% loads, 6% stores, 1% modifies): 12 fetches, 3 loads, a store in 16 lines, every
 * 64th line a modify. */
static unsigned int kind_of(unsigned int i)
{
	if (i % 64 == 63)
		return 3;
	return i % 16 < 12 ? 0 : i % 16 < 15 ? 1 : 2;
}

/* The generated trace: fetches 4 bytes apart in the code region, data accesses 8 apart. */
static char *make_trace(size_t *len)
{
	static const char *const kinds[] = { "I ", " L", " S", " M" };
	char *text = malloc((size_t)TRACE_ACCESSES * LINE_MAX + 1), *p = text;

	if (!text)
		return NULL;
	for (unsigned int i = 0; i < TRACE_ACCESSES; i++) {
		unsigned int k = kind_of(i);
		unsigned long va =
		    k ? DATA_BASE + (i * 8UL) % DATA_SIZE : CODE_BASE + (i * 4UL) % CODE_SIZE;

		p += snprintf(p, LINE_MAX, "%s %08lx,%u\n", kinds[k], va, k ? 8u : 4u);
	}
	*len = (size_t)(p - text);
	return text;
}

static void replay_teardown(void *state)
{
	struct replay_bench *b = state;

	host_attach(&b->sb.machine);
	host_set_cpu(0);
	if (b->task)
		do_exit(b->task);
	if (b->booted)
		sim_boot_release(&b->sb);
	if (b->old_console)
		host_console_set(b->old_console);
	if (b->log)
		fclose(b->log);
	free(b->text);
	free(b);
}

/* One parse and replay of the trace: its accesses, or 0 on a failure. */
static uint64_t replay_once(struct replay_bench *b)
{
	struct replay_parser ps;
	struct replay_stats st;
	struct ksiginfo info;

	replay_parser_init(&ps, "bench", b->text, b->len, REPLAY_LACKEY, MMAP_MIN_ADDR, 1ULL << 48,
			   stderr);
	if (replay_run(b->task, &ps, &st, NULL, &info))
		return 0;
	return st.accesses;
}

/* The virt board booted with 1 GiB, the checker off, a task, the trace, one warm-up replay. */
static int replay_setup(void **state, uint64_t param)
{
	const struct sim_boot_opts o = {
		.board = "virt", .mem = 1ULL << 30, .granule = PAGE_SIZE, .va_bits = 48, .ncpus = 1
	};
	struct replay_bench *b = calloc(1, sizeof(*b));

	(void)param;
	if (!b)
		return -ENOMEM;
	*state = b;
	b->log = fopen("/dev/null", "w");
	b->text = make_trace(&b->len);
	if (!b->log || !b->text || sim_boot(&b->sb, &o, b->log, stderr)) {
		fprintf(stderr, "kmm-bench: replay: the simulated board did not boot\n");
		replay_teardown(b);
		return -ENOMEM;
	}
	b->booted = true;
	b->old_console = host_console_set(b->log);
	hw_checker_enable(&b->sb.machine, false);
	b->task = task_create("replay");
	if (!b->task || replay_once(b) != TRACE_ACCESSES) {
		fprintf(stderr, "kmm-bench: replay: the warm-up replay failed\n");
		replay_teardown(b);
		return -ENOMEM;
	}
	return 0;
}

static uint64_t replay_bench_run(void *state, uint64_t iters)
{
	struct replay_bench *b = state;
	uint64_t ops = 0;

	host_attach(&b->sb.machine);
	for (uint64_t i = 0; i < iters; i++) {
		uint64_t n = replay_once(b);

		if (!n)
			return 0;
		ops += n;
	}
	return ops;
}

BENCH(replay_tlbhit_kmm) = { .name = "replay.tlbhit",
			     .impl = "kmm",
			     .rate_key = "accesses_per_s",
			     .setup = replay_setup,
			     .run = replay_bench_run,
			     .teardown = replay_teardown };

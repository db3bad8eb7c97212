/* SPDX-License-Identifier: MIT */
/*
 * Memory-trace replay (kmm-sim replay, kmm-bench replay.*): a trace of user memory accesses,
 * parsed into records, replayed by a task of the booted kernel on simulated CPU 0 at EL0, every
 * access translated through the CPU's TLB and software MMU, faults resolved by do_page_fault, the
 * regions the trace touches mapped as anonymous memory on their first touch.
 */
#ifndef SIM_REPLAY_H
#define SIM_REPLAY_H

#include <kmm/sched.h>

#include <stdio.h>

enum replay_format { REPLAY_AUTO, REPLAY_LACKEY, REPLAY_TEXT };

enum replay_kind { REPLAY_READ, REPLAY_WRITE, REPLAY_EXEC, REPLAY_MODIFY };

struct replay_rec {
	uint64_t va;
	uint32_t size; /* bytes, >= 1 */
	uint32_t kind; /* enum replay_kind */
};

/* The granule of first-touch mappings: an access outside every VMA maps its aligned chunk. */
#define REPLAY_CHUNK (64UL << 10)
/* Records parsed and replayed at a time. */
#define REPLAY_BLOCK 4096
/* replay_parse's and replay_run's answer for a bad line (outside the -errno range). */
#define REPLAY_BAD_LINE (-4096)

/* A trace being parsed: the text, where the parse is, how to report a bad line. */
struct replay_parser {
	const char *name; /* of the text, for messages */
	const char *buf;
	const char *p;	 /* the next byte */
	const char *end; /* buf + len */
	size_t line;	 /* of the last line parsed */
	uint64_t lo, hi; /* the addresses accepted */
	enum replay_format fmt;
	FILE *err;
};

/*
 * Start parsing the trace text @buf of @len bytes (the last one '\n', then a NUL) in format @fmt
 * (REPLAY_AUTO: by its first access line), accepting accesses within [@lo, @hi). Bad lines go
 * to @err as "kmm-sim replay: NAME:LINE: what is wrong".
 */
void replay_parser_init(struct replay_parser *ps, const char *name, const char *buf, size_t len,
			enum replay_format fmt, uint64_t lo, uint64_t hi, FILE *err);

/* The next up to @max accesses into @recs, their number in *@n (fewer than @max only at the
 * end of the text): 0, or REPLAY_BAD_LINE (reported) at a bad line. */
int replay_parse(struct replay_parser *ps, struct replay_rec *recs, size_t max, size_t *n);

struct replay_stats {
	uint64_t accesses;   /* trace records replayed (an M line is one: a read then a write) */
	uint64_t pages;	     /* distinct 4 KiB pages touched */
	uint64_t faults;     /* faults the kernel resolved (its min_flt + maj_flt) */
	uint64_t tlb_hits;   /* CPU 0's TLB lookups that hit, during the replay */
	uint64_t tlb_misses; /* and that missed */
	uint64_t walks;	     /* table walks the MMU made */
	uint64_t mmaps;	     /* first-touch chunks mapped */
};

/*
 * Replay the rest of @ps's trace as @t on simulated CPU 0 of the attached machine (switched to
 * it first), block by block as it is parsed, counting in @st (zeroed first; the accesses
 * replayed when it fails). @progress, when not NULL and the trace is long, gets a progress bar.
 * 0; REPLAY_BAD_LINE at the first bad line (the accesses before it replayed); the fatal signal
 * a fault raised (SIGKILL: out of memory, or the kernel made no progress) with @info filled; or
 * -ENOMEM / another -errno when a first-touch mmap failed (@info->addr the address).
 */
int replay_run(struct task_struct *t, struct replay_parser *ps, struct replay_stats *st,
	       FILE *progress, struct ksiginfo *info);

#endif /* SIM_REPLAY_H */

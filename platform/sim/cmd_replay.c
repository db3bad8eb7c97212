// SPDX-License-Identifier: MIT
/*
 * kmm-sim replay: a valgrind lackey trace (or a plain text one) replayed by a process of the
 * booted kernel, every access through the emulated TLB and MMU; see replay.h.
 */
#include "board.h"
#include "json.h"
#include "process.h"
#include "replay.h"
#include "sim.h"

#include "arch/host/host.h"

#include <kmm/errno.h>
#include <kmm/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: kmm-sim replay --trace FILE [--format auto|lackey|text] [--mem SIZE] [--json]\n"
    "\n"
    "Boot the default board (QEMU virt, 4K pages, 48-bit VA), create a process and replay the\n"
    "memory accesses of FILE as that process on CPU 0 at EL0: each access is translated through\n"
    "the CPU's TLB and the software MMU (a walk of the real tables on a miss); an access that\n"
    "crosses a page boundary is translated on each page it covers; an M (modify) is a read then\n"
    "a write. A fault goes to the kernel (do_page_fault) and the access is retried. Where no\n"
    "VMA covers an address, its 64 KiB-aligned chunk is first mapped as anonymous private\n"
    "read-write-execute memory (mmap MAP_FIXED), so every page is demand-faulted on its first\n"
    "touch. The trace is parsed as it is replayed, a block of lines at a time: the first bad\n"
    "line stops the replay with an error naming FILE:LINE (exit status 2, no counts).\n"
    "\n"
    "Formats (auto: by the first access line):\n"
    "  lackey  valgrind --tool=lackey --trace-mem=yes: 'I  ADDR,SIZE' (fetch), ' L ADDR,SIZE'\n"
    "          (load), ' S ADDR,SIZE' (store), ' M ADDR,SIZE' (modify); ADDR hex, SIZE decimal.\n"
    "          Lines starting with '==' or '--' (valgrind's own), '#' and empty lines ignored.\n"
    "  text    'R|W|X 0xADDR[,SIZE]' a line (read, write, fetch; SIZE decimal, default 1);\n"
    "          '#' comments and empty lines ignored.\n"
    "Addresses must lie in [0x10000, 2^48) (mmap_min_addr to TASK_SIZE); sizes in [1, 65536].\n"
    "\n"
    "Output (--json: one object with exactly these keys first):\n"
    "  accesses    access lines replayed (an M line counts once)\n"
    "  pages       distinct 4 KiB pages touched (an access spanning pages touches each)\n"
    "  faults      page faults the kernel resolved (its min_flt + maj_flt): every page's\n"
    "              first touch is one (no zero page: a read maps a private page), so this\n"
    "              equals pages unless the kernel faults a page more than once\n"
    "  tlb_hits    CPU 0's TLB lookups that hit during the replay (retries after faults too)\n"
    "  tlb_misses  lookups that missed\n"
    "  walks       translation table walks made\n"
    "  mmaps       (after them in --json) 64 KiB chunks mapped on first touch\n"
    "\n"
    "  --trace FILE   the trace\n"
    "  --format F     auto (default), lackey or text\n"
    "  --mem SIZE     the board's RAM (default 1G; K, M, G suffixes)\n"
    "  --json         the counts as one JSON object\n"
    "  --help         print this text\n"
    "\n"
    "A progress bar goes to stderr when it is a terminal and the trace is 64 MiB or more.\n"
    "Exit status: 0; 1 the replay failed (out of simulated memory, a fatal fault); 2 bad usage,\n"
    "a file that cannot be read or a bad line (named as FILE:LINE).\n";

enum { OPT_TRACE = 256, OPT_FORMAT, OPT_MEM, OPT_JSON, OPT_HELP };

static const struct option options[] = {
	{ "trace", required_argument, NULL, OPT_TRACE },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

#define MAX_SIZE 65536u
#define PROGRESS_MIN (64u << 20) /* bytes of trace (about 4M lines) for a progress bar */
#define FAULTS_PER_ACCESS 8	 /* resolved faults in a row after which the kernel is stuck */

/* ---- parsing ------------------------------------------------------------------------------ */

/* The value of hex digit @c, or -1. */
static inline int hexval(unsigned char c)
{
	unsigned int d = (unsigned int)c - '0';

	if (d < 10)
		return (int)d;
	d = ((unsigned int)c | 0x20) - 'a';
	return d < 6 ? (int)d + 10 : -1;
}

/* Report bad line @line of @name: REPLAY_BAD_LINE. */
static __attribute__((cold, noinline)) int bad_at(const char *name, size_t line, FILE *err,
						  const char *what)
{
	fprintf(err, "kmm-sim replay: %s:%zu: %s\n", name, line, what);
	return REPLAY_BAD_LINE;
}

/* The parser's position is passed by value: it does not escape, it stays in registers. */
#define bad_line(ps, what) bad_at((ps)->name, (ps)->line, (ps)->err, (what))

#define ONES 0x0101010101010101ULL
#define HIGHS (ONES * 0x80)

/* Bit 7 of each byte of @x (bytes below 0x80) set when the byte is in [@lo, @hi]. */
static inline uint64_t bytes_in(uint64_t x, unsigned int lo, unsigned int hi)
{
	return (x + ONES * (0x80 - lo)) & ~(x + ONES * (0x7f - hi)) & HIGHS;
}

/*
 * The leading hex digits of the 8 bytes at @s (the first in the low byte, as loaded on a
 * little-endian host): their count (0 to 8) and, in *@v, their value.
 */
static inline unsigned int hex8(const unsigned char *s, uint64_t *v)
{
	uint64_t w, x, alpha, bad, val;
	unsigned int n;

	memcpy(&w, s, 8);
	x = w & ~HIGHS;
	alpha = bytes_in(x | ONES * 0x20, 'a', 'f');
	bad = ~(bytes_in(x, '0', '9') | alpha) | (w & HIGHS);
	bad &= HIGHS;
	n = bad ? (unsigned int)__builtin_ctzll(bad) / 8 : 8;
	if (!n) {
		*v = 0;
		return 0;
	}
	val = (w & ONES * 0x0f) + ((w >> 6) & ONES) * 9; /* digit values (letters: bit 6) */
	val = __builtin_bswap64(val) >> (8 * (8 - n));	 /* the last digit in byte 0 */
	val = (val | val >> 4) & 0x00ff00ff00ff00ffULL;	 /* pairs of digits into bytes */
	val = (val | val >> 8) & 0x0000ffff0000ffffULL;
	*v = (val | val >> 16) & 0xffffffffULL;
	return n;
}

/* Hex digits at ps->p (1 to 16 of them) into *@v; false if there are none or too many. */
static inline bool parse_hex(struct replay_parser *ps, uint64_t *v)
{
	const unsigned char *s = (const unsigned char *)ps->p, *start = s;
	uint64_t x = 0, y;
	int d;

	if (ps->end - ps->p >= 24) {
		unsigned int n = hex8(s, &x), m;

		if (n == 8) {
			m = hex8(s + 8, &y);
			x = m ? x << (4 * m) | y : x;
			n += m;
		}
		ps->p += n;
		*v = x;
		return n && n <= 16 && hexval(s[n]) < 0;
	}
	while ((d = hexval(*s)) >= 0) {
		x = x << 4 | (uint64_t)d;
		s++;
	}
	ps->p = (const char *)s;
	*v = x;
	return s != start && s - start <= 16;
}

/* Decimal digits at ps->p into *@v, at most MAX_SIZE; false if none or too large. */
static inline bool parse_size(struct replay_parser *ps, uint32_t *v)
{
	const char *s = ps->p, *start = s;
	uint32_t x = 0;

	while (*s >= '0' && *s <= '9' && x <= MAX_SIZE)
		x = x * 10 + (uint32_t)(*s++ - '0');
	ps->p = s;
	*v = x;
	return s != start && x <= MAX_SIZE;
}

/* The rest of a line after an access: blanks, then '\n' (or "\r\n"). */
static inline bool at_line_end(struct replay_parser *ps)
{
	const char *s = ps->p;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	ps->p = s;
	return *s == '\n';
}

/* "ADDR,SIZE" (the ",SIZE" optional when @size_optional) then the line's end, into @r. */
static inline int parse_operands(struct replay_parser *ps, struct replay_rec *r, bool size_optional)
{
	if (!parse_hex(ps, &r->va))
		return bad_line(ps, "expected a hexadecimal address of at most 16 digits");
	r->size = 1;
	/* The usual lackey ending: ",D\n" with one digit. */
	if (ps->p[0] == ',' && ps->p[1] > '0' && ps->p[1] <= '9' && ps->p[2] == '\n') {
		r->size = (uint32_t)(ps->p[1] - '0');
		ps->p += 2;
	} else if (*ps->p == ',') {
		ps->p++;
		if (!parse_size(ps, &r->size) || !r->size)
			return bad_line(ps, "expected a size in [1, 65536] after ','");
	} else if (!size_optional) {
		return bad_line(ps, "expected ',SIZE' after the address");
	}
	if (!at_line_end(ps))
		return bad_line(ps, "unexpected characters after the access");
	if (r->va < ps->lo || r->va >= ps->hi || r->size > ps->hi - r->va)
		return bad_line(ps, "access outside the user address space [0x10000, 2^48)");
	return 0;
}

/* Skip to the byte after the next '\n'. */
static inline void skip_line(struct replay_parser *ps)
{
	const char *nl = strchr(ps->p, '\n');

	ps->p = nl ? nl + 1 : ps->p + strlen(ps->p);
}

/* Whether the line at @s is one neither format replays: empty, a comment, valgrind's own. */
static bool ignored_line(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return *s == '\n' || *s == '#' || (s[0] == '=' && s[1] == '=') ||
	       (s[0] == '-' && s[1] == '-');
}

/* The kind a lackey line starts with ("I  ", " L ", " S ", " M "), consumed; -1 if none. */
static inline int lackey_kind(struct replay_parser *ps)
{
	const char *s = ps->p;

	if (s[0] == 'I' && s[1] == ' ' && s[2] == ' ') {
		ps->p += 3;
		return REPLAY_EXEC;
	}
	if (s[0] != ' ' || s[2] != ' ')
		return -1;
	ps->p += 3;
	switch (s[1]) {
	case 'L':
		return REPLAY_READ;
	case 'S':
		return REPLAY_WRITE;
	case 'M':
		return REPLAY_MODIFY;
	default:
		ps->p -= 3;
		return -1;
	}
}

/* The kind a text line starts with ("R ", "W ", "X ", blanks after), consumed; -1 if none. */
static inline int text_kind(struct replay_parser *ps)
{
	const char *s = ps->p;
	int kind;

	switch (s[0]) {
	case 'R':
		kind = REPLAY_READ;
		break;
	case 'W':
		kind = REPLAY_WRITE;
		break;
	case 'X':
		kind = REPLAY_EXEC;
		break;
	default:
		return -1;
	}
	if (s[1] != ' ' && s[1] != '\t')
		return -1;
	s += 2;
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	ps->p = s;
	return kind;
}

/* The format of the first access line at or after @s: lackey unless it reads as text. */
static enum replay_format detect(const char *s)
{
	struct replay_parser ps = { .p = s };

	while (*ps.p && ignored_line(ps.p))
		skip_line(&ps);
	return text_kind(&ps) >= 0 ? REPLAY_TEXT : REPLAY_LACKEY;
}

/* One line at ps->p into @r (an access: 1) or nothing (an ignored line: 0); ps->p moves past
 * it. -1 for a bad line (reported). */
static inline int parse_line(struct replay_parser *ps, struct replay_rec *r)
{
	int kind = ps->fmt == REPLAY_LACKEY ? lackey_kind(ps) : text_kind(ps);

	if (kind < 0) {
		if (!ignored_line(ps->p)) {
			bad_line(ps, ps->fmt == REPLAY_LACKEY
					 ? "not a lackey line ('I  ', ' L ', ' S ', ' M ')"
					 : "not an access ('R', 'W' or 'X', then 0xADDR[,SIZE])");
			return -1;
		}
		skip_line(ps);
		return 0;
	}
	if (parse_operands(ps, r, ps->fmt == REPLAY_TEXT))
		return -1;
	r->kind = (uint32_t)kind;
	ps->p++; /* the '\n' */
	return 1;
}

/* The kind of a lackey line from its first three bytes (@w, the first in the low byte); -1 if
 * it is not "I  ", " L ", " S " or " M ". */
static inline int lackey_kind3(uint32_t w)
{
	switch (w) {
	case 'I' | ' ' << 8 | ' ' << 16:
		return REPLAY_EXEC;
	case ' ' | 'L' << 8 | ' ' << 16:
		return REPLAY_READ;
	case ' ' | 'S' << 8 | ' ' << 16:
		return REPLAY_WRITE;
	case ' ' | 'M' << 8 | ' ' << 16:
		return REPLAY_MODIFY;
	default:
		return -1;
	}
}

/*
 * The usual lackey line at @s, with at least 24 bytes from @s in the text: its kind, 1 to 16 hex
 * digits, ',', one digit 1-9 and '\n', the access within [@lo, @hi), into @r. The byte after
 * the line, or NULL for any other line (parse_line then parses it, and names what is wrong).
 */
static inline const char *lackey_fast(const char *s, struct replay_rec *r, uint64_t lo, uint64_t hi)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t w;
	uint64_t va, y;
	unsigned int n, m;
	int kind;

	memcpy(&w, u, 4);
	kind = lackey_kind3(w & 0xffffff);
	n = hex8(u + 3, &va);
	if (kind < 0 || !n)
		return NULL;
	if (n == 8) {
		m = hex8(u + 11, &y);
		va = m ? va << (4 * m) | y : va;
		n += m;
	}
	u += 3 + n;
	if (u[0] != ',' || u[1] < '1' || u[1] > '9' || u[2] != '\n')
		return NULL;
	r->va = va;
	r->size = (uint32_t)(u[1] - '0');
	r->kind = (uint32_t)kind;
	if (va < lo || va >= hi || r->size > hi - va)
		return NULL;
	return (const char *)u + 3;
}

void replay_parser_init(struct replay_parser *ps, const char *name, const char *buf, size_t len,
			enum replay_format fmt, uint64_t lo, uint64_t hi, FILE *err)
{
	*ps = (struct replay_parser){ .name = name,
				      .buf = buf,
				      .p = buf,
				      .end = buf + len,
				      .line = 0,
				      .lo = lo,
				      .hi = hi,
				      .err = err,
				      .fmt = fmt == REPLAY_AUTO ? detect(buf) : fmt };
}

/*
 * The usual lackey lines (lackey_fast) from ps->p on into @recs, at most @max, while 24 bytes
 * remain: their number; ps->p and ps->line move past them. It stops at any other line.
 */
static size_t lackey_run(struct replay_parser *ps, struct replay_rec *recs, size_t max)
{
	const char *p = ps->p, *end = ps->end, *next;
	uint64_t lo = ps->lo, hi = ps->hi;
	size_t k = 0;

	while (k < max && end - p >= 24 && (next = lackey_fast(p, &recs[k], lo, hi))) {
		p = next;
		k++;
	}
	ps->p = p;
	ps->line += k;
	return k;
}

int replay_parse(struct replay_parser *ps, struct replay_rec *recs, size_t max, size_t *n)
{
	struct replay_parser l = *ps; /* a copy the record stores cannot alias */
	size_t k = 0;
	int rc = 0;

	while (k < max && l.p < l.end) {
		int got;

		if (l.fmt == REPLAY_LACKEY) {
			k += lackey_run(&l, recs + k, max - k);
			if (k == max || l.p >= l.end)
				break;
		}
		l.line++;
		got = parse_line(&l, &recs[k]);
		if (got < 0) {
			rc = REPLAY_BAD_LINE;
			break;
		}
		k += (size_t)got;
	}
	*ps = l;
	*n = k;
	return rc;
}

/* ---- replaying ---------------------------------------------------------------------------- */

/* A set of page numbers (open addressing; a slot holds page + 1, 0 is free). */
struct page_set {
	uint64_t *slots;
	size_t mask, count;
};

static inline size_t page_hash(uint64_t page, size_t mask)
{
	return (size_t)((page * 0x9e3779b97f4a7c15ULL) >> 20) & mask;
}

/* Add @page; false when out of memory. */
static bool page_set_add(struct page_set *s, uint64_t page);

static bool page_set_grow(struct page_set *s)
{
	struct page_set n = { .mask = s->mask ? 2 * s->mask + 1 : 4095 };

	n.slots = calloc(n.mask + 1, sizeof(*n.slots));
	if (!n.slots)
		return false;
	for (size_t i = 0; s->slots && i <= s->mask; i++)
		if (s->slots[i])
			page_set_add(&n, s->slots[i] - 1);
	free(s->slots);
	*s = n;
	return true;
}

static bool page_set_add(struct page_set *s, uint64_t page)
{
	if (2 * (s->count + 1) > s->mask + 1 && !page_set_grow(s))
		return false;
	for (size_t i = page_hash(page, s->mask);; i = (i + 1) & s->mask) {
		if (s->slots[i] == page + 1)
			return true;
		if (!s->slots[i]) {
			s->slots[i] = page + 1;
			s->count++;
			return true;
		}
	}
}

#define RECENT 64 /* a direct-mapped filter in front of the page set */

struct replayer {
	struct task_struct *t;
	struct hw_cpu *cpu;
	struct page_set pages;
	uint64_t recent[RECENT]; /* pages added to @pages lately (+ 1; 0: none), by page % RECENT */
	uint64_t mmaps;
	struct ksiginfo *info;
};

/* Map @va's chunk as anonymous RWX memory: 0 or -errno. */
static int map_chunk(struct replayer *r, vaddr_t va)
{
	long a = sys_mmap(r->t->mm, va & ~(REPLAY_CHUNK - 1), REPLAY_CHUNK,
			  PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);

	if (IS_ERR_VALUE(a)) {
		*r->info = (struct ksiginfo){ .addr = va };
		return (int)a;
	}
	r->mmaps++;
	return 0;
}

/*
 * The fault @res of a @acc access to @va goes to the kernel, as an abort taken to EL1, until
 * the access translates: 0, a fatal signal, or a first-touch mmap's -errno.
 */
static int resolve(struct replayer *r, vaddr_t va, enum mmu_access acc, struct hw_access *res)
{
	struct hw_cpu *c = r->cpu;

	for (int n = 0; n < FAULTS_PER_ACCESS; n++) {
		uint64_t esr = hw_access_esr(c, res, acc);
		int sig;

		c->el = 1;
		sig = do_page_fault(r->t->mm, res->va, esr, r->info);
		c->el = 0;
		if (sig == SIGSEGV && r->info->code == SEGV_MAPERR) {
			int e = map_chunk(r, res->va);

			if (e)
				return e;
		} else if (sig) {
			return sig;
		}
		if (hw_cpu_translate(c, va, acc, res) == MMU_FAULT_NONE)
			return 0;
	}
	*r->info = (struct ksiginfo){ .signo = SIGKILL, .addr = va };
	return SIGKILL;
}

/* One translation of @va for @acc: the TLB (a walk on a miss), the kernel on a fault. */
static inline int translate(struct replayer *r, vaddr_t va, enum mmu_access acc)
{
	struct hw_access res;

	if (__builtin_expect(hw_cpu_fast_hit(r->cpu, va, acc, &res), 1) ||
	    hw_cpu_translate(r->cpu, va, acc, &res) == MMU_FAULT_NONE)
		return 0;
	return resolve(r, va, acc, &res);
}

/* Record page @page as touched. */
static inline int touch(struct replayer *r, uint64_t page)
{
	uint64_t *slot = &r->recent[page % RECENT];

	if (__builtin_expect(page + 1 == *slot, 1))
		return 0;
	*slot = page + 1;
	return page_set_add(&r->pages, page) ? 0 : -ENOMEM;
}

/* The translations of access @rec to the page at @va. */
static inline int access_page(struct replayer *r, const struct replay_rec *rec, vaddr_t va)
{
	static const enum mmu_access accs[] = {
		[REPLAY_READ] = MMU_READ,
		[REPLAY_WRITE] = MMU_WRITE,
		[REPLAY_EXEC] = MMU_EXEC,
		[REPLAY_MODIFY] = MMU_READ,
	};
	int rc = touch(r, va >> PAGE_SHIFT);

	if (!rc)
		rc = translate(r, va, accs[rec->kind]);
	if (!rc && rec->kind == REPLAY_MODIFY)
		rc = translate(r, va, MMU_WRITE);
	return rc;
}

/* Access @rec: its first page, then each further page it covers from that page's start. */
static inline int replay_one(struct replayer *r, const struct replay_rec *rec)
{
	vaddr_t last = (rec->va + rec->size - 1) & ~(vaddr_t)(PAGE_SIZE - 1);
	int rc = access_page(r, rec, rec->va);

	for (vaddr_t va = rec->va & ~(vaddr_t)(PAGE_SIZE - 1); !rc && va != last;) {
		va += PAGE_SIZE;
		rc = access_page(r, rec, va);
	}
	return rc;
}

/* "replay [####    ]  45%" on @f, over the line before. */
static void progress_bar(FILE *f, unsigned int pct)
{
	char bar[41];

	memset(bar, '#', pct * 40 / 100);
	memset(bar + pct * 40 / 100, ' ', 40 - pct * 40 / 100);
	bar[40] = '\0';
	fprintf(f, "\rreplay [%s] %3u%%", bar, pct);
	fflush(f);
}

/* Replay @recs[0, @n); 0 or replay_run's failure, @info->addr its address. */
static int replay_block(struct replayer *r, const struct replay_rec *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = replay_one(r, &recs[i]);

		if (rc) {
			if (!r->info->addr)
				r->info->addr = recs[i].va;
			return rc;
		}
	}
	return 0;
}

/* Parse a block, replay it, until the end or a failure; the progress bar on @progress. */
static int replay_blocks(struct replayer *r, struct replay_parser *ps, struct replay_rec *recs,
			 FILE *progress, uint64_t *accesses)
{
	size_t total = (size_t)(ps->end - ps->buf), n;
	unsigned int shown = 0;
	int rc;

	if (total < PROGRESS_MIN)
		progress = NULL;
	while (!(rc = replay_parse(ps, recs, REPLAY_BLOCK, &n)) && n) {
		rc = replay_block(r, recs, n);
		*accesses += n;
		if (rc)
			break;
		unsigned int pct = (unsigned int)((double)(ps->p - ps->buf) * 100 / (double)total);
		if (progress && pct != shown)
			progress_bar(progress, shown = pct);
	}
	if (progress && shown)
		fputc('\n', progress);
	return rc;
}

int replay_run(struct task_struct *t, struct replay_parser *ps, struct replay_stats *st,
	       FILE *progress, struct ksiginfo *info)
{
	struct replayer r = { .t = t, .info = info };
	struct replay_rec *recs = malloc(REPLAY_BLOCK * sizeof(*recs));
	unsigned long flt0 = t->mm->min_flt + t->mm->maj_flt;
	struct tlb_stats s0;
	int rc;

	*info = (struct ksiginfo){ 0 };
	*st = (struct replay_stats){ 0 };
	if (!recs)
		return -ENOMEM;
	sim_task_switch(t, 0);
	r.cpu = &host_machine()->cpus[0];
	s0 = r.cpu->tlb.stats;
	rc = replay_blocks(&r, ps, recs, progress, &st->accesses);
	st->pages = r.pages.count;
	st->faults = t->mm->min_flt + t->mm->maj_flt - flt0;
	st->tlb_hits = r.cpu->tlb.stats.hits - s0.hits;
	st->tlb_misses = r.cpu->tlb.stats.misses - s0.misses;
	st->walks = r.cpu->tlb.stats.walks - s0.walks;
	st->mmaps = r.mmaps;
	free(r.pages.slots);
	free(recs);
	return rc;
}

/* ---- the command -------------------------------------------------------------------------- */

/* The whole of @path, with a '\n' added when it does not end with one: 0 or SIM_EXIT_USAGE. */
static int read_trace(const char *path, char **buf, size_t *len, FILE *err)
{
	int fd = open(path, O_RDONLY);
	size_t cap = 1 << 16, n = 0;
	char *b = NULL;
	ssize_t got = 1;

	if (fd < 0) {
		fprintf(err, "kmm-sim replay: cannot open '%s': %s\n", path, strerror(errno));
		return SIM_EXIT_USAGE;
	}
	for (; got > 0; n += (size_t)got) {
		if (!b || cap - n < 4096) {
			char *nb = realloc(b, b ? cap *= 2 : cap);

			if (!nb)
				break;
			b = nb;
		}
		got = read(fd, b + n, cap - n - 2);
	}
	close(fd);
	if (got != 0) {
		fprintf(err, "kmm-sim replay: cannot read '%s': %s\n", path,
			got < 0 ? strerror(errno) : "out of memory");
		free(b);
		return SIM_EXIT_USAGE;
	}
	if (!n || b[n - 1] != '\n')
		b[n++] = '\n';
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

static void print_text(FILE *out, const struct replay_stats *st)
{
	uint64_t lookups = st->tlb_hits + st->tlb_misses;

	fprintf(out, "accesses    %llu\n", (unsigned long long)st->accesses);
	fprintf(out, "pages       %llu (distinct 4 KiB pages, %llu KiB)\n",
		(unsigned long long)st->pages, (unsigned long long)st->pages * 4);
	fprintf(out, "faults      %llu\n", (unsigned long long)st->faults);
	fprintf(out, "tlb hits    %llu (%.2f%% of %llu lookups)\n",
		(unsigned long long)st->tlb_hits,
		lookups ? 100.0 * (double)st->tlb_hits / (double)lookups : 0.0,
		(unsigned long long)lookups);
	fprintf(out, "tlb misses  %llu\n", (unsigned long long)st->tlb_misses);
	fprintf(out, "walks       %llu\n", (unsigned long long)st->walks);
	fprintf(out, "mmaps       %llu (64 KiB chunks mapped on first touch)\n",
		(unsigned long long)st->mmaps);
}

static void print_json(FILE *out, const struct replay_stats *st)
{
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_uint(&j, "accesses", st->accesses);
	json_kv_uint(&j, "pages", st->pages);
	json_kv_uint(&j, "faults", st->faults);
	json_kv_uint(&j, "tlb_hits", st->tlb_hits);
	json_kv_uint(&j, "tlb_misses", st->tlb_misses);
	json_kv_uint(&j, "walks", st->walks);
	json_kv_uint(&j, "mmaps", st->mmaps);
	json_object_end(&j);
}

/* A failed replay: out of memory is the simulation's, a fatal fault too. */
static int replay_error(FILE *err, int rc, const struct ksiginfo *info)
{
	if (rc < 0)
		fprintf(err, "kmm-sim replay: the replay failed at %#llx: %s\n",
			(unsigned long long)info->addr, strerror(-rc));
	else
		fprintf(err, "kmm-sim replay: the process got signal %d (code %d) at %#llx%s\n", rc,
			info->code, (unsigned long long)info->addr,
			rc == SIGKILL ? " (out of memory, or no progress on a fault)" : "");
	return SIM_EXIT_FAIL;
}

/* Boot the board of @o (checker off, console discarded), replay @tr in a new process, print. */
static int boot_and_replay(const struct sim_boot_opts *o, struct replay_parser *ps, bool json,
			   FILE *out, FILE *err)
{
	struct sim_boot sb;
	struct replay_stats st;
	struct ksiginfo info;
	struct task_struct *t;
	char *log = NULL;
	size_t loglen = 0;
	FILE *logf = open_memstream(&log, &loglen);
	int rc;

	if (!logf)
		return SIM_EXIT_FAIL;
	rc = sim_boot(&sb, o, logf, err);
	fflush(logf);
	if (rc) {
		fputs(log, err);
	} else {
		FILE *old = host_console_set(logf);

		hw_checker_enable(&sb.machine, false);
		t = task_create("replay");
		rc = t ? replay_run(t, ps, &st, isatty(fileno(err)) ? err : NULL, &info) : -ENOMEM;
		if (!t)
			fputs("kmm-sim replay: out of memory creating the process\n", err);
		if (rc == REPLAY_BAD_LINE)
			rc = SIM_EXIT_USAGE;
		else if (rc)
			rc = t ? replay_error(err, rc, &info) : SIM_EXIT_FAIL;
		else if (json)
			print_json(out, &st);
		else
			print_text(out, &st);
		if (t)
			do_exit(t);
		host_console_set(old);
	}
	sim_boot_release(&sb);
	fclose(logf);
	free(log);
	return rc;
}

/* "auto", "lackey" or "text" into *@f. */
static bool parse_format(const char *s, enum replay_format *f)
{
	static const char *const names[] = { "auto", "lackey", "text" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(s, names[i])) {
			*f = (enum replay_format)i;
			return true;
		}
	return false;
}

int cmd_replay(int argc, char **argv, FILE *out, FILE *err)
{
	struct sim_boot_opts o = {
		.board = "virt", .granule = PAGE_SIZE, .va_bits = 48, .ncpus = 1
	};
	enum replay_format fmt = REPLAY_AUTO;
	struct replay_parser ps;
	const char *path = NULL;
	bool json = false;
	char *buf;
	size_t len;
	int c, rc;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == OPT_HELP) {
			fputs(usage, out);
			return SIM_EXIT_OK;
		} else if (c == OPT_JSON) {
			json = true;
		} else if (c == OPT_TRACE) {
			path = optarg;
		} else if (c == OPT_FORMAT && !parse_format(optarg, &fmt)) {
			return sim_usage_error(err, "replay",
					       "--format: '%s' is not auto, lackey or "
					       "text",
					       optarg);
		} else if (c == OPT_MEM) {
			if (!sim_arg_u64(err, "replay", "--mem", optarg, SIM_NUM_SUFFIX, &o.mem))
				return SIM_EXIT_USAGE;
		} else if (c != OPT_FORMAT) {
			return sim_opt_error(err, "replay", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "replay", "unexpected argument '%s'", argv[optind]);
	if (!path)
		return sim_usage_error(err, "replay", "no --trace FILE");
	rc = read_trace(path, &buf, &len, err);
	if (rc)
		return rc;
	replay_parser_init(&ps, path, buf, len, fmt, MMAP_MIN_ADDR, 1ULL << o.va_bits, err);
	rc = boot_and_replay(&o, &ps, json, out, err);
	free(buf);
	return rc;
}

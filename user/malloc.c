// SPDX-License-Identifier: MIT
/*
 * umalloc: ptmalloc's single-arena design over a simulated process's brk and mmap (see
 * umalloc.h for the chunk format, the bins and the growth and trim rules). Every load and store
 * of metadata goes through the process's memory (ld/st below).
 */
#include "umalloc.h"

#include <stdio.h>
#include <string.h>

#define SIZE_SZ 8ULL			 /* a size field */
#define MALLOC_ALIGN 16ULL		 /* of chunks and user pointers */
#define MINSIZE 32ULL			 /* header, fd and bk */
#define CHUNK_HDR 16ULL			 /* prev_size and size: the user data starts here */
#define SEG_HDR 16ULL			 /* a heap segment's descriptor: next, end */
#define FENCE_MIN 16ULL			 /* the usual fence chunk: a header only */
#define PAGE_SZ 4096ULL			 /* the process's page size */
#define MMAP_AS_MORECORE (1ULL << 20)	 /* the least heap segment mmapped when brk fails */
#define DEFAULT_THRESHOLD (128ULL << 10) /* trim, top pad and mmap thresholds */
#define MAX_REQUEST (1ULL << 47)	 /* more cannot fit in a 48-bit user space */
#define MAX_SEGMENTS (1ULL << 20)	 /* the checker's bound on the segment list */

#define PREV_INUSE 1ULL
#define IS_MMAPPED 2ULL
#define FENCE 4ULL
#define SIZE_BITS 7ULL

/* Field offsets in a chunk and in a segment descriptor. */
#define OFF_PREV 0
#define OFF_SIZE 8
#define OFF_FD 16
#define OFF_BK 24
#define OFF_SEG_NEXT 0
#define OFF_SEG_END 8

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Whether a system call's return @r is a failure (-4095..-1, as the kernel returns errors). */
static bool sys_failed(long r)
{
	return (unsigned long)r >= (unsigned long)-4095L;
}

/* The process dies here (SIGSEGV on a faulting access, abort on corruption): keep why. */
static void die(struct umalloc *m, const char *what, uint64_t va)
{
	if (m->dead)
		return;
	m->dead = true;
	snprintf(m->error, sizeof(m->error), "%s at 0x%llx", what, (unsigned long long)va);
}

/* A metadata load: 0 once dead. */
static uint64_t ld(struct umalloc *m, uint64_t va)
{
	uint64_t v = 0;

	if (!m->dead && m->sys.read(m->sys.ctx, va, &v, sizeof(v)))
		die(m, "SIGSEGV: malloc's load faulted", va);
	return m->dead ? 0 : v;
}

/* A metadata store: none once dead. */
static void st(struct umalloc *m, uint64_t va, uint64_t v)
{
	if (!m->dead && m->sys.write(m->sys.ctx, va, &v, sizeof(v)))
		die(m, "SIGSEGV: malloc's store faulted", va);
}

static uint64_t head(struct umalloc *m, uint64_t c)
{
	return ld(m, c + OFF_SIZE);
}

static void set_head(struct umalloc *m, uint64_t c, uint64_t h)
{
	st(m, c + OFF_SIZE, h);
}

static uint64_t csize(uint64_t h)
{
	return h & ~SIZE_BITS;
}

/* The footer of the free chunk @c of size @s: the next chunk's prev_size. */
static void set_foot(struct umalloc *m, uint64_t c, uint64_t s)
{
	st(m, c + s + OFF_PREV, s);
}

/* Whether the chunk @c of size @s is in use: the next chunk's PREV_INUSE. */
static bool inuse(struct umalloc *m, uint64_t c, uint64_t s)
{
	return head(m, c + s) & PREV_INUSE;
}

static void set_prev_inuse(struct umalloc *m, uint64_t c)
{
	set_head(m, c, head(m, c) | PREV_INUSE);
}

static void clear_prev_inuse(struct umalloc *m, uint64_t c)
{
	set_head(m, c, head(m, c) & ~PREV_INUSE);
}

/* The chunk size a request of @n bytes needs: @n plus the size field, aligned, at least
 * MINSIZE. */
static uint64_t request_size(uint64_t n)
{
	uint64_t nb = align_up(n + SIZE_SZ, MALLOC_ALIGN);

	return nb < MINSIZE ? MINSIZE : nb;
}

/* Bins */

/* Exact bins below 1024 bytes, then four bins per power of two. */
static unsigned int bin_index(uint64_t size)
{
	unsigned int lg;

	if (size < 1024)
		return (unsigned int)(size / 16 - 2);
	lg = 63 - (unsigned int)__builtin_clzll(size);
	if (lg > 47)
		return UMALLOC_NBINS - 1;
	return UMALLOC_NSMALLBINS + (lg - 10) * 4 + (unsigned int)((size >> (lg - 2)) & 3);
}

static bool bin_marked(const struct umalloc *m, unsigned int i)
{
	return (m->binmap[i / 64] >> (i % 64)) & 1;
}

/* The first non-empty bin from @i on, or UMALLOC_NBINS. */
static unsigned int next_bin(const struct umalloc *m, unsigned int i)
{
	while (i < UMALLOC_NBINS) {
		uint64_t w = m->binmap[i / 64] >> (i % 64);

		if (w)
			return i + (unsigned int)__builtin_ctzll(w);
		i = (i / 64 + 1) * 64;
	}
	return UMALLOC_NBINS;
}

/* Put the free chunk @c of size @s on its bin: first in a small bin, in size order (before the
 * first as large) in a large one. */
static void bin_link(struct umalloc *m, uint64_t c, uint64_t s)
{
	unsigned int i = bin_index(s);
	uint64_t prev = 0, next = m->bins[i];

	if (i >= UMALLOC_NSMALLBINS) {
		while (next && csize(head(m, next)) < s) {
			prev = next;
			next = ld(m, next + OFF_FD);
		}
	}
	st(m, c + OFF_FD, next);
	st(m, c + OFF_BK, prev);
	if (next)
		st(m, next + OFF_BK, c);
	if (prev)
		st(m, prev + OFF_FD, c);
	else
		m->bins[i] = c;
	m->binmap[i / 64] |= 1ULL << (i % 64);
}

/* Take the free chunk @c of size @s off its bin, checking its neighbours point back at it
 * (ptmalloc's safe unlinking). */
static void bin_unlink(struct umalloc *m, uint64_t c, uint64_t s)
{
	unsigned int i = bin_index(s);
	uint64_t fd = ld(m, c + OFF_FD), bk = ld(m, c + OFF_BK);

	if ((fd && ld(m, fd + OFF_BK) != c) || (bk ? ld(m, bk + OFF_FD) : m->bins[i]) != c) {
		die(m, "corrupted double-linked list", c);
		return;
	}
	if (fd)
		st(m, fd + OFF_BK, bk);
	if (bk)
		st(m, bk + OFF_FD, fd);
	else
		m->bins[i] = fd;
	if (!m->bins[i])
		m->binmap[i / 64] &= ~(1ULL << (i % 64));
}

/* Chunks */

/* Make the first @nb bytes of the chunk @c (of size @s, off any bin) an in-use chunk and bin
 * the rest when it can be a chunk; else the whole chunk is used. Returns the user pointer. */
static uint64_t carve(struct umalloc *m, uint64_t c, uint64_t s, uint64_t nb)
{
	if (s - nb >= MINSIZE) {
		uint64_t r = c + nb;

		set_head(m, c, nb | PREV_INUSE);
		set_head(m, r, (s - nb) | PREV_INUSE);
		set_foot(m, r, s - nb);
		bin_link(m, r, s - nb);
	} else {
		set_prev_inuse(m, c + s);
	}
	return c + CHUNK_HDR;
}

/* The best fit for @nb in the bins (the smallest chunk of the first non-empty bin that has one
 * large enough), taken off its bin and carved: its user pointer, or 0. */
static uint64_t bin_take(struct umalloc *m, uint64_t nb)
{
	for (unsigned int i = next_bin(m, bin_index(nb)); i < UMALLOC_NBINS;
	     i = next_bin(m, i + 1)) {
		for (uint64_t c = m->bins[i]; c; c = ld(m, c + OFF_FD)) {
			uint64_t s = csize(head(m, c));

			if (s >= nb) {
				bin_unlink(m, c, s);
				return carve(m, c, s, nb);
			}
		}
	}
	return 0;
}

/* Take @nb bytes off the start of the top, which has at least @nb + MINSIZE. */
static uint64_t split_top(struct umalloc *m, uint64_t nb)
{
	uint64_t c = m->top, ts = csize(head(m, c));

	set_head(m, c, nb | PREV_INUSE);
	m->top = c + nb;
	set_head(m, m->top, (ts - nb) | PREV_INUSE);
	return c + CHUNK_HDR;
}

/* Give back the top's pages above M_TOP_PAD once it reaches M_TRIM_THRESHOLD (ptmalloc's
 * systrim; for an mmapped segment, the tail of its mapping). */
static void maybe_trim(struct umalloc *m)
{
	uint64_t ts = csize(head(m, m->top)), end = m->top + ts, extra, want;

	if (ts < m->trim_threshold || ts <= m->top_pad + MINSIZE)
		return;
	extra = (ts - m->top_pad - MINSIZE - 1) & ~(PAGE_SZ - 1);
	if (!extra || m->dead)
		return;
	want = end - extra;
	if (m->top_seg == m->brk_seg) {
		m->brk_calls++;
		if ((uint64_t)m->sys.brk(m->sys.ctx, want) != want)
			return;
	} else {
		m->munmap_calls++;
		if (m->sys.munmap(m->sys.ctx, want, extra))
			return;
	}
	m->trims++;
	set_head(m, m->top, (ts - extra) | PREV_INUSE);
	st(m, m->top_seg + OFF_SEG_END, want);
}

/*
 * Free the chunk @c whose header is written: merge it with a free chunk before and after it or
 * into the top (then maybe trim), else bin it. ptmalloc's _int_free without the fast paths.
 */
static void free_chunk(struct umalloc *m, uint64_t c)
{
	uint64_t h = head(m, c), s = csize(h), next = c + s, nh;

	if (!(h & PREV_INUSE)) {
		uint64_t ps = ld(m, c + OFF_PREV);

		if (csize(head(m, c - ps)) != ps) {
			die(m, "corrupted size vs. prev_size", c);
			return;
		}
		c -= ps;
		s += ps;
		bin_unlink(m, c, ps);
	}
	if (next == m->top) {
		set_head(m, c, (s + csize(head(m, next))) | PREV_INUSE);
		m->top = c;
		maybe_trim(m);
		return;
	}
	nh = head(m, next);
	if (!(nh & FENCE) && !inuse(m, next, csize(nh))) {
		bin_unlink(m, next, csize(nh));
		s += csize(nh);
	} else {
		clear_prev_inuse(m, next);
	}
	set_head(m, c, s | PREV_INUSE);
	set_foot(m, c, s);
	bin_link(m, c, s);
}

/* Growing the heap (ptmalloc's sysmalloc) */

/* A chunk of @nb bytes in an mmap of its own: its user pointer, or 0 when mmap fails. */
static uint64_t mmap_chunk(struct umalloc *m, uint64_t nb)
{
	uint64_t len = align_up(nb + SIZE_SZ, PAGE_SZ);
	long a;

	m->mmap_calls++;
	a = m->sys.mmap(m->sys.ctx, len);
	if (sys_failed(a) || !a)
		return 0;
	st(m, (uint64_t)a + OFF_PREV, 0);
	set_head(m, (uint64_t)a, len | IS_MMAPPED);
	m->hblks++;
	m->hblkhd += len;
	return (uint64_t)a + CHUNK_HDR;
}

/* Start heap segment [@base, @end) after the others; it holds the top from now on. */
static void new_segment(struct umalloc *m, uint64_t base, uint64_t end)
{
	st(m, base + OFF_SEG_NEXT, 0);
	st(m, base + OFF_SEG_END, end);
	if (m->top_seg)
		st(m, m->top_seg + OFF_SEG_NEXT, base);
	else
		m->segs = base;
	m->top_seg = base;
	m->top = base + SEG_HDR;
	set_head(m, m->top, (end - m->top) | PREV_INUSE);
}

/* Extend the top with brk (the first time, start the heap at the break) so that it holds @nb +
 * MINSIZE, plus M_TOP_PAD, in whole pages. false when brk refuses. */
static bool grow_brk(struct umalloc *m, uint64_t nb)
{
	uint64_t base = 0, top, target;
	long r;

	if (m->top) {
		top = m->top;
	} else {
		m->brk_calls++;
		r = m->sys.brk(m->sys.ctx, 0);
		if (sys_failed(r) || !r)
			return false;
		base = align_up((uint64_t)r, MALLOC_ALIGN);
		top = base + SEG_HDR;
	}
	target = align_up(top + nb + MINSIZE + m->top_pad, PAGE_SZ);
	m->brk_calls++;
	if ((uint64_t)m->sys.brk(m->sys.ctx, target) != target)
		return false;
	if (!m->top) {
		new_segment(m, base, target);
		m->brk_seg = base;
		return true;
	}
	set_head(m, m->top, (target - m->top) | PREV_INUSE);
	st(m, m->brk_seg + OFF_SEG_END, target);
	return true;
}

/* End the old top's segment with a fence chunk and bin what is left of the top (nothing
 * before it is free). */
static void retire_top(struct umalloc *m)
{
	uint64_t t = m->top, ts = csize(head(m, t));

	if (ts < MINSIZE + FENCE_MIN) {
		set_head(m, t, ts | FENCE | PREV_INUSE);
		return;
	}
	set_head(m, t + ts - FENCE_MIN, FENCE_MIN | FENCE);
	set_head(m, t, (ts - FENCE_MIN) | PREV_INUSE);
	set_foot(m, t, ts - FENCE_MIN);
	bin_link(m, t, ts - FENCE_MIN);
}

/* brk failed: continue the heap in a new mmapped segment big enough for @nb (glibc's
 * MMAP_AS_MORECORE_SIZE fallback). false when mmap fails too. */
static bool grow_mmap(struct umalloc *m, uint64_t nb)
{
	uint64_t len = align_up(SEG_HDR + nb + MINSIZE + m->top_pad, PAGE_SZ);
	long a;

	if (len < MMAP_AS_MORECORE)
		len = MMAP_AS_MORECORE;
	m->mmap_calls++;
	a = m->sys.mmap(m->sys.ctx, len);
	if (sys_failed(a) || !a)
		return false;
	if (m->top)
		retire_top(m);
	new_segment(m, (uint64_t)a, (uint64_t)a + len);
	return true;
}

/* Neither the bins nor the top fit @nb: an mmap of its own for a large request, else a larger
 * top from brk or, once brk has failed, from a new mmapped segment. */
static uint64_t sysmalloc(struct umalloc *m, uint64_t nb)
{
	if (nb >= m->mmap_threshold) {
		uint64_t p = mmap_chunk(m, nb);

		if (p)
			return p;
	}
	if (!m->brk_failed && !grow_brk(m, nb))
		m->brk_failed = true;
	if (m->brk_failed && !grow_mmap(m, nb))
		return 0;
	return split_top(m, nb);
}

/* The entry points */

void umalloc_init(struct umalloc *m, const struct umalloc_sys *sys)
{
	memset(m, 0, sizeof(*m));
	m->sys = *sys;
	m->trim_threshold = DEFAULT_THRESHOLD;
	m->top_pad = DEFAULT_THRESHOLD;
	m->mmap_threshold = DEFAULT_THRESHOLD;
}

int umallopt(struct umalloc *m, int param, long value)
{
	if (value < 0)
		return 0;
	switch (param) {
	case M_TRIM_THRESHOLD:
		m->trim_threshold = (uint64_t)value;
		return 1;
	case M_TOP_PAD:
		m->top_pad = (uint64_t)value;
		return 1;
	case M_MMAP_THRESHOLD:
		m->mmap_threshold = (uint64_t)value;
		return 1;
	}
	return 0;
}

uint64_t umalloc(struct umalloc *m, size_t n)
{
	uint64_t nb, p;

	if (m->dead || n > MAX_REQUEST)
		return 0;
	nb = request_size(n);
	p = bin_take(m, nb);
	if (!p && m->top && csize(head(m, m->top)) >= nb + MINSIZE)
		p = split_top(m, nb);
	if (!p)
		p = sysmalloc(m, nb);
	return m->dead ? 0 : p;
}

/*
 * Check that @p is an allocation @who may take: aligned, an mmapped chunk of whole pages or a
 * heap chunk of a sane size that is in use. Returns its header, or 0 after dying.
 */
static uint64_t inuse_head(struct umalloc *m, uint64_t p, const char *who)
{
	uint64_t c = p - CHUNK_HDR, h, s;

	if (p % MALLOC_ALIGN) {
		die(m, who, p);
		return 0;
	}
	h = head(m, c);
	s = csize(h);
	if (h & IS_MMAPPED) {
		if (c % PAGE_SZ || !s || s % PAGE_SZ || (h & (PREV_INUSE | FENCE)))
			die(m, who, p);
	} else if ((h & FENCE) || s < MINSIZE || c == m->top || c + s < c) {
		die(m, who, p);
	} else if (!inuse(m, c, s)) {
		die(m, "double free or corruption (!prev)", p);
	}
	return m->dead ? 0 : h;
}

/* Unmap the mmapped chunk @c of header @h. */
static void unmap_chunk(struct umalloc *m, uint64_t c, uint64_t h)
{
	m->hblks--;
	m->hblkhd -= csize(h);
	m->munmap_calls++;
	if (m->sys.munmap(m->sys.ctx, c, csize(h)))
		die(m, "munmap_chunk(): invalid pointer", c + CHUNK_HDR);
}

void ufree(struct umalloc *m, uint64_t p)
{
	uint64_t h;

	if (!p || m->dead)
		return;
	h = inuse_head(m, p, "free(): invalid pointer");
	if (!h)
		return;
	if (h & IS_MMAPPED)
		unmap_chunk(m, p - CHUNK_HDR, h);
	else
		free_chunk(m, p - CHUNK_HDR);
}

/* Copy @n bytes from user address @src to @dst, through a bounce buffer. */
static void copy_user(struct umalloc *m, uint64_t dst, uint64_t src, uint64_t n)
{
	unsigned char buf[4096];

	for (uint64_t done = 0, k; done < n && !m->dead; done += k) {
		k = n - done < sizeof(buf) ? n - done : sizeof(buf);
		if (m->sys.read(m->sys.ctx, src + done, buf, k))
			die(m, "SIGSEGV: realloc's copy faulted", src + done);
		else if (m->sys.write(m->sys.ctx, dst + done, buf, k))
			die(m, "SIGSEGV: realloc's copy faulted", dst + done);
	}
}

/* Clear @n bytes at user address @va. */
static void zero_user(struct umalloc *m, uint64_t va, uint64_t n)
{
	static const unsigned char zeros[4096];

	for (uint64_t done = 0, k; done < n && !m->dead; done += k) {
		k = n - done < sizeof(zeros) ? n - done : sizeof(zeros);
		if (m->sys.write(m->sys.ctx, va + done, zeros, k))
			die(m, "SIGSEGV: calloc's clearing faulted", va + done);
	}
}

/* Grow the in-use heap chunk @c of size @s to at least @nb in place, into the top or a free
 * chunk after it; false when neither has room. */
static bool grow_in_place(struct umalloc *m, uint64_t c, uint64_t s, uint64_t nb)
{
	uint64_t next = c + s, nh, ns;

	if (next == m->top) {
		uint64_t ts = csize(head(m, next));

		if (s + ts < nb + MINSIZE)
			return false;
		set_head(m, c, nb | (head(m, c) & PREV_INUSE));
		m->top = c + nb;
		set_head(m, m->top, (s + ts - nb) | PREV_INUSE);
		return true;
	}
	nh = head(m, next);
	ns = csize(nh);
	if ((nh & FENCE) || inuse(m, next, ns) || s + ns < nb)
		return false;
	bin_unlink(m, next, ns);
	set_head(m, c, (s + ns) | (head(m, c) & PREV_INUSE));
	set_prev_inuse(m, next + ns);
	return true;
}

/* Free the tail of the in-use heap chunk @c beyond @nb bytes when it can be a chunk. */
static void shrink_tail(struct umalloc *m, uint64_t c, uint64_t nb)
{
	uint64_t h = head(m, c), s = csize(h);

	if (s - nb < MINSIZE)
		return;
	set_head(m, c, nb | (h & PREV_INUSE));
	set_head(m, c + nb, (s - nb) | PREV_INUSE);
	free_chunk(m, c + nb);
}

/* realloc by moving: a new allocation of @n bytes, the first @old bytes of @p (or @n) copied,
 * @p freed. 0 (and @p kept) when out of memory. */
static uint64_t realloc_move(struct umalloc *m, uint64_t p, uint64_t old, size_t n)
{
	uint64_t q = umalloc(m, n);

	if (!q)
		return 0;
	copy_user(m, q, p, old < n ? old : n);
	ufree(m, p);
	return m->dead ? 0 : q;
}

uint64_t urealloc(struct umalloc *m, uint64_t p, size_t n)
{
	uint64_t h, c = p - CHUNK_HDR, s, nb;

	if (!p)
		return umalloc(m, n);
	if (!n) {
		ufree(m, p);
		return 0;
	}
	if (m->dead || n > MAX_REQUEST)
		return 0;
	h = inuse_head(m, p, "realloc(): invalid pointer");
	if (!h)
		return 0;
	s = csize(h);
	if (h & IS_MMAPPED)
		return s - CHUNK_HDR >= n ? p : realloc_move(m, p, s - CHUNK_HDR, n);
	nb = request_size(n);
	if (s < nb && !grow_in_place(m, c, s, nb))
		return realloc_move(m, p, s - SIZE_SZ, n);
	shrink_tail(m, c, nb);
	return m->dead ? 0 : p;
}

uint64_t ucalloc(struct umalloc *m, size_t nmemb, size_t size)
{
	size_t n;
	uint64_t p;

	if (__builtin_mul_overflow(nmemb, size, &n))
		return 0;
	p = umalloc(m, n);
	if (!p || (head(m, p - CHUNK_HDR) & IS_MMAPPED))
		return p;
	zero_user(m, p, umalloc_usable_size(m, p));
	return m->dead ? 0 : p;
}

size_t umalloc_usable_size(struct umalloc *m, uint64_t p)
{
	uint64_t h;

	if (!p || m->dead)
		return 0;
	h = inuse_head(m, p, "malloc_usable_size(): invalid pointer");
	if (!h)
		return 0;
	return csize(h) - (h & IS_MMAPPED ? CHUNK_HDR : SIZE_SZ);
}

/* The checker */

/* What a walk of the heap counts. */
struct walk {
	uint64_t cap; /* no more free chunks than this: bounds the list walks */
	uint64_t arena, segments, inuse_bytes, free_bytes, nfree;
};

/* Record the checker's finding @what at @va; returns the message. */
static const char *bad(struct umalloc *m, const char *what, uint64_t va)
{
	snprintf(m->report, sizeof(m->report), "%s at 0x%llx", what, (unsigned long long)va);
	return m->report;
}

/* Whether the free chunk @c of size @s is on the bin of its size: following its bk links, each
 * pointed back at by the fd of the one before, reaches that bin's first chunk. */
static const char *check_binned(struct umalloc *m, uint64_t c, uint64_t s, const struct walk *w)
{
	unsigned int i = bin_index(s);
	uint64_t x = c;

	for (uint64_t steps = 0; steps <= w->cap; steps++) {
		uint64_t bk = ld(m, x + OFF_BK);

		if (!bk)
			return m->bins[i] == x ? NULL : bad(m, "free chunk not on its bin", c);
		if (ld(m, bk + OFF_FD) != x)
			return bad(m, "bin links broken (bk->fd)", x);
		x = bk;
	}
	return bad(m, "bin list loops", c);
}

/* One chunk of a segment: @c of header @h, before @end; @prev_free whether the chunk before
 * it is free. Counts it into @w; NULL, or the finding. */
static const char *check_chunk(struct umalloc *m, uint64_t c, uint64_t h, uint64_t end,
			       bool prev_free, struct walk *w)
{
	uint64_t s = csize(h);

	if ((h & (IS_MMAPPED | FENCE)) || s < MINSIZE || s % MALLOC_ALIGN || c + s >= end ||
	    c + s < c)
		return bad(m, "bad chunk size", c);
	if (inuse(m, c, s)) {
		w->inuse_bytes += s;
		return NULL;
	}
	if (prev_free)
		return bad(m, "two adjacent free chunks", c);
	if (ld(m, c + s + OFF_PREV) != s)
		return bad(m, "free chunk's footer differs from its header", c);
	w->nfree++;
	w->free_bytes += s;
	return check_binned(m, c, s, w);
}

/* The end of segment @seg: the top at the end of the last one, a fence chunk ending the
 * others. */
static const char *check_seg_end(struct umalloc *m, uint64_t seg, uint64_t c, uint64_t h,
				 uint64_t end, struct walk *w)
{
	uint64_t s = csize(h);

	if (c == m->top) {
		if (seg != m->top_seg || c + s != end)
			return bad(m, "the top does not end the last segment", c);
		if (h != (s | PREV_INUSE) || s < MINSIZE)
			return bad(m, "bad top header", c);
		w->free_bytes += s;
		return NULL;
	}
	if (seg == m->top_seg)
		return bad(m, "fence in the top's segment", c);
	if ((s != FENCE_MIN && s != 2 * FENCE_MIN) || c + s != end || (h & IS_MMAPPED))
		return bad(m, "bad fence chunk", c);
	return NULL;
}

/* Check the chunks of segment @seg, which ends at @end, from its first to its end. */
static const char *check_segment(struct umalloc *m, uint64_t seg, uint64_t end, struct walk *w)
{
	uint64_t c = seg + SEG_HDR, h = head(m, c);
	const char *msg = NULL;
	bool prev_free = false;

	if (!(h & PREV_INUSE))
		return bad(m, "the first chunk of a segment has PREV_INUSE clear", c);
	while (!msg && !m->dead && c != m->top && !(h & FENCE)) {
		msg = check_chunk(m, c, h, end, prev_free, w);
		prev_free = !inuse(m, c, csize(h));
		c += csize(h);
		h = head(m, c);
	}
	if (!msg && !m->dead)
		msg = check_seg_end(m, seg, c, h, end, w);
	return m->dead ? m->error : msg;
}

/* Bound the list walks by the chunks the heap could hold; false if the segment list is
 * broken. */
static bool heap_bound(struct umalloc *m, struct walk *w)
{
	uint64_t n = 0, bytes = 0;

	for (uint64_t seg = m->segs; seg && n < MAX_SEGMENTS; seg = ld(m, seg + OFF_SEG_NEXT), n++)
		bytes += ld(m, seg + OFF_SEG_END) - seg;
	w->cap = bytes / MINSIZE;
	return n < MAX_SEGMENTS && !m->dead;
}

/* Walk every segment, checking each and counting into @w. */
static const char *check_heap(struct umalloc *m, struct walk *w)
{
	const char *msg = NULL;
	uint64_t seg = m->segs, last = 0;

	if (!heap_bound(m, w))
		return m->dead ? m->error : bad(m, "the segment list loops", m->segs);
	for (; seg && !msg; last = seg, seg = ld(m, seg + OFF_SEG_NEXT)) {
		uint64_t end = ld(m, seg + OFF_SEG_END);

		if (seg % PAGE_SZ && seg != m->brk_seg)
			return bad(m, "misaligned segment", seg);
		if (end <= seg + SEG_HDR + MINSIZE)
			return bad(m, "bad segment end", seg);
		if (seg == m->brk_seg && (uint64_t)m->sys.brk(m->sys.ctx, 0) != end)
			return bad(m, "the brk segment does not end at the break", seg);
		w->arena += end - seg;
		w->segments++;
		msg = check_segment(m, seg, end, w);
	}
	if (!msg && last != m->top_seg)
		msg = bad(m, "the top's segment is not the last", m->top_seg);
	return msg;
}

/* Every bin: links consistent both ways, each chunk free and of the bin's sizes, large bins
 * sorted, the binmap right; as many chunks on the bins as the walk found free. */
static const char *check_bins(struct umalloc *m, const struct walk *w)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < UMALLOC_NBINS; i++) {
		uint64_t prev = 0, prev_size = 0;

		if (bin_marked(m, i) != (m->bins[i] != 0))
			return bad(m, "the binmap disagrees with bin", i);
		for (uint64_t c = m->bins[i]; c && !m->dead; prev = c, c = ld(m, c + OFF_FD)) {
			uint64_t s = csize(head(m, c));

			if (c % MALLOC_ALIGN || ld(m, c + OFF_BK) != prev)
				return bad(m, "bin links broken (fd->bk)", c);
			if (s < MINSIZE || bin_index(s) != i || s < prev_size)
				return bad(m, "chunk on the wrong bin or out of order", c);
			if (inuse(m, c, s))
				return bad(m, "in-use chunk on a bin", c);
			if (++n > w->nfree)
				return bad(m, "more chunks on the bins than free in the heap", c);
			prev_size = i >= UMALLOC_NSMALLBINS ? s : 0;
		}
	}
	if (m->dead)
		return m->error;
	return n == w->nfree ? NULL : bad(m, "free chunks missing from the bins", n);
}

const char *umalloc_check(struct umalloc *m)
{
	struct walk w = { 0 };
	const char *msg;

	if (m->dead)
		return m->error;
	if (!m->top)
		msg = m->segs ? bad(m, "segments but no top", m->segs) : NULL;
	else
		msg = check_heap(m, &w);
	return msg ? msg : check_bins(m, &w);
}

void umalloc_stats(struct umalloc *m, struct umalloc_stats *st)
{
	struct walk w = { 0 };

	if (m->top && !m->dead)
		check_heap(m, &w);
	*st = (struct umalloc_stats){
		.arena = w.arena,
		.ordblks = w.nfree,
		.hblks = m->hblks,
		.hblkhd = m->hblkhd,
		.uordblks = w.inuse_bytes,
		.fordblks = w.free_bytes,
		.keepcost = m->top && !m->dead ? csize(head(m, m->top)) : 0,
		.segments = w.segments,
		.brk_calls = m->brk_calls,
		.mmap_calls = m->mmap_calls,
		.munmap_calls = m->munmap_calls,
		.trims = m->trims,
	};
}

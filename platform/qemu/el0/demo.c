// SPDX-License-Identifier: MIT
/*
 * The EL0 demo program: a static AArch64 ELF the bare-metal kernel embeds and runs at EL0 in an
 * address space of its own (platform/qemu/el0.c), through Linux's system calls only. What it
 * does is its first argument:
 *
 *   mem           every register but x0 kept across a system call (an unknown one: -ENOSYS);
 *                 the heap grown with brk and every page of it touched, shrunk and grown back
 *                 (the pages given back read as zeros again); deep recursion, so that the stack
 *                 VMA grows; anonymous memory mapped, read, written, read back and unmapped.
 *                 Exits 0 when everything read back as written, else the number of the check.
 *   rowrite       a page at EL0_RO_ADDR written, made read-only with mprotect, read, written:
 *                 the kernel must end the program with SIGSEGV (SEGV_ACCERR) at the write.
 *   read ADDR     a read of ADDR (the kernel passes one of its own addresses): SIGSEGV.
 *   exec          a call into a read-write page at EL0_NX_ADDR holding a ret: SIGSEGV.
 *   ill           an undefined instruction: SIGILL.
 *   fork ADDR     copy-on-write across fork: the parent and its child each write a variable they
 *                 shared, and each still sees its own value; a second child reads ADDR and must
 *                 die of SIGSEGV while the parent goes on. Exits 0 when all held.
 *
 * It prints what it does on standard output, one write a line. No C library: crt0.S calls
 * el0_main and passes its result to exit.
 */
#include "sys.h"

#include <stddef.h>

struct line {
	char buf[160];
	unsigned int n;
};

static void put_str(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = *s++;
}

static void put_hex(struct line *l, unsigned long v)
{
	char digits[16];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	put_str(l, "0x");
	while (n && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = digits[--n];
}

static void put_dec(struct line *l, unsigned long v)
{
	char digits[20];
	int n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && l->n < sizeof(l->buf) - 1)
		l->buf[l->n++] = digits[--n];
}

/* Print "el0-demo: @a@b" (@b only if not NULL) and a newline, in one write. */
static void say(const char *a, const char *b)
{
	struct line l;

	l.n = 0; /* no initializer: it would zero the buffer with memset, which is not here */

	put_str(&l, "el0-demo: ");
	put_str(&l, a);
	if (b)
		put_str(&l, b);
	l.buf[l.n++] = '\n';
	u_write(1, l.buf, l.n);
}

/* Print "el0-demo: @a@v@b", @v in hex or decimal. */
static void say_num(const char *a, unsigned long v, int hex, const char *b)
{
	struct line l;

	l.n = 0;

	put_str(&l, "el0-demo: ");
	put_str(&l, a);
	if (hex)
		put_hex(&l, v);
	else
		put_dec(&l, v);
	put_str(&l, b);
	l.buf[l.n++] = '\n';
	u_write(1, l.buf, l.n);
}

/* Report the check that failed; the program's exit code is @code. */
static int failed(int code, const char *what)
{
	say("FAILED: ", what);
	return code;
}

static unsigned long parse_hex(const char *s)
{
	unsigned long v = 0;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	for (;; s++) {
		unsigned int d = *s >= '0' && *s <= '9'	  ? (unsigned int)(*s - '0')
				 : *s >= 'a' && *s <= 'f' ? (unsigned int)(*s - 'a' + 10)
							  : 16;
		if (d == 16)
			return v;
		v = v << 4 | d;
	}
}

static int str_eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

/* The word at the start of heap page @i, and the value written there. */
static volatile unsigned long *heap_word(unsigned long base, unsigned long i)
{
	return (volatile unsigned long *)(base + i * EL0_PAGE_SIZE + (i % 64) * 8);
}

static unsigned long heap_value(unsigned long i)
{
	return 0x6865617000000000UL | i;
}

/* brk: grow by EL0_HEAP_PAGES and touch every page, shrink by half, grow back. */
static int heap(void)
{
	unsigned long base = u_brk(0), half = base + EL0_HEAP_PAGES / 2 * EL0_PAGE_SIZE;
	unsigned long top = base + EL0_HEAP_PAGES * EL0_PAGE_SIZE;

	if (u_brk(top) != top)
		return failed(10, "brk did not grow the heap");
	for (unsigned long i = 0; i < EL0_HEAP_PAGES; i++)
		*heap_word(base, i) = heap_value(i);
	for (unsigned long i = 0; i < EL0_HEAP_PAGES; i++)
		if (*heap_word(base, i) != heap_value(i))
			return failed(11, "a heap page lost its value");
	if (u_brk(half) != half || u_brk(top) != top)
		return failed(12, "brk did not shrink and grow back");
	for (unsigned long i = 0; i < EL0_HEAP_PAGES; i++) {
		unsigned long want = i < EL0_HEAP_PAGES / 2 ? heap_value(i) : 0;

		if (*heap_word(base, i) != want)
			return failed(13, "the heap after brk shrank and grew back");
		*heap_word(base, i) = heap_value(i);
	}
	say_num("heap: brk grew by ", EL0_HEAP_PAGES, 0,
		" pages, each touched; shrank by half and grew back, zeros again: ok");
	return 0;
}

/* A frame of EL0_STACK_FRAME bytes each level down: the sum of the levels' bytes, read back on
 * the way up; noinline so that the frames are real. */
__attribute__((noinline)) static unsigned long recurse(unsigned int depth)
{
	volatile unsigned char frame[EL0_STACK_FRAME];
	unsigned long below;

	frame[0] = (unsigned char)depth;
	frame[EL0_STACK_FRAME - 1] = (unsigned char)~depth;
	below = depth ? recurse(depth - 1) : 0;
	if (frame[0] != (unsigned char)depth || frame[EL0_STACK_FRAME - 1] != (unsigned char)~depth)
		return ~0UL;
	return below + frame[0];
}

static int stack(void)
{
	unsigned long want = 0;

	for (unsigned int d = 0; d <= EL0_STACK_DEPTH; d++)
		want += d & 0xff;
	if (recurse(EL0_STACK_DEPTH) != want)
		return failed(20, "a stack frame lost its value");
	say_num("stack: ", EL0_STACK_DEPTH * EL0_STACK_FRAME / 1024, 0,
		" KiB deep by recursion, every frame read back: ok");
	return 0;
}

/* Anonymous memory: zeros first, then what was written; unmapped again. */
static int anon(void)
{
	unsigned long len = EL0_MMAP_PAGES * EL0_PAGE_SIZE;
	volatile unsigned long *m =
	    u_mmap(0, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);

	if (SYS_FAILED(m))
		return failed(30, "mmap of anonymous memory");
	for (unsigned long i = 0; i < EL0_MMAP_PAGES; i++)
		if (m[i * EL0_PAGE_SIZE / 8])
			return failed(31, "a new anonymous page is not zeros");
	for (unsigned long i = 0; i < EL0_MMAP_PAGES; i++)
		m[i * EL0_PAGE_SIZE / 8 + 1] = ~i;
	for (unsigned long i = 0; i < EL0_MMAP_PAGES; i++)
		if (m[i * EL0_PAGE_SIZE / 8 + 1] != ~i)
			return failed(32, "an anonymous page lost its value");
	if (u_munmap((void *)m, len))
		return failed(33, "munmap");
	say_num("mmap: ", EL0_MMAP_PAGES, 0,
		" anonymous pages read as zeros, written, read back, unmapped: ok");
	return 0;
}

void svc_regs(unsigned long out[32]); /* regs.S */

/* x0 the result, x1..x30 and sp as they were (regs.S's values: x29 is sp). */
static int regs_kept(void)
{
	unsigned long r[32];

	svc_regs(r);
	if (r[0] != (unsigned long)-38)
		return failed(1, "an unknown system call did not return -ENOSYS");
	for (unsigned long n = 1; n <= 30; n++) {
		unsigned long want = n == 8    ? EL0_NR_unknown
				     : n == 29 ? r[31]
					       : (0x1000 + n) << 32 | n * 0x111;

		if (r[n] != want) {
			say_num("x", n, 0, " changed across svc");
			return failed(3, "a register changed across a system call");
		}
	}
	say("registers: x1..x30 and sp kept across svc, x0 = -ENOSYS: ok", NULL);
	return 0;
}

static int mem(void)
{
	int e = regs_kept();

	if (!e)
		e = heap();

	if (!e)
		e = stack();
	return e ? e : anon();
}

/* Never returns when the kernel does its job. */
static int rowrite(void)
{
	volatile unsigned long *p = u_mmap(EL0_RO_ADDR, EL0_PAGE_SIZE, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);

	if ((unsigned long)p != EL0_RO_ADDR)
		return failed(40, "mmap at EL0_RO_ADDR");
	*p = 0x5a;
	if (u_mprotect((void *)p, EL0_PAGE_SIZE, PROT_READ) || *p != 0x5a)
		return failed(41, "mprotect to read-only");
	say_num("writing to read-only memory at ", (unsigned long)p, 1, "");
	*p = 1;
	return failed(42, "the write to read-only memory went through");
}

static int read_at(unsigned long addr)
{
	say_num("reading ", addr, 1, "");
	say_num("read ", *(volatile unsigned long *)addr, 1, ": FAILED, the read went through");
	return 43;
}

/* Never returns when the kernel does its job. */
static int exec_rw(void)
{
	unsigned int *p = u_mmap(EL0_NX_ADDR, EL0_PAGE_SIZE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);

	if ((unsigned long)p != EL0_NX_ADDR)
		return failed(44, "mmap at EL0_NX_ADDR");
	*p = 0xd65f03c0; /* ret */
	say_num("calling into read-write memory at ", (unsigned long)p, 1, "");
	((void (*)(void))p)();
	return failed(45, "the call into memory without PROT_EXEC went through");
}

static int undefined_instruction(void)
{
	say("an undefined instruction", NULL);
	__asm__ volatile("udf #0");
	return failed(46, "the undefined instruction went through");
}

/* Shared before the fork, then written by both sides. */
static volatile unsigned long cow_value;

static int fork_child(void)
{
	if (cow_value != 1)
		return failed(50, "the child does not see the value from before the fork");
	cow_value = 2;
	if (cow_value != 2)
		return failed(51, "the child's write");
	say("fork: child sees 1 from before the fork, writes 2", NULL);
	return 0;
}

/* Fork a child that reads @addr and wait for its SIGSEGV. */
static int fork_faulting_child(unsigned long addr)
{
	int status = -1;
	long pid = u_fork();

	if (pid == 0)
		return read_at(addr);
	if (pid < 0 || u_wait4(pid, &status) != pid)
		return failed(55, "fork or wait4 of the second child");
	if ((status & 0x7f) != 11)
		return failed(56, "the second child did not die of SIGSEGV");
	say_num("fork: the second child died of signal ", (unsigned long)(status & 0x7f), 0,
		", the parent goes on");
	return 0;
}

static int fork_cow(unsigned long addr)
{
	int status = -1;
	long pid;

	cow_value = 1;
	pid = u_fork();
	if (pid == 0)
		return fork_child();
	if (pid < 0)
		return failed(52, "fork");
	cow_value = 3;
	if (u_wait4(pid, &status) != pid || status != 0)
		return failed(53, "wait4: the child did not exit with 0");
	if (cow_value != 3)
		return failed(54, "the parent lost its own value to the child's write");
	say("fork: parent wrote 3, waited for its child (exit 0), still sees 3: ok", NULL);
	return fork_faulting_child(addr);
}

int el0_main(unsigned long *sp);

int el0_main(unsigned long *sp)
{
	long argc = (long)sp[0];
	char **argv = (char **)(sp + 1);

	if (argc == 2 && str_eq(argv[1], "mem"))
		return mem();
	if (argc == 2 && str_eq(argv[1], "rowrite"))
		return rowrite();
	if (argc == 2 && str_eq(argv[1], "exec"))
		return exec_rw();
	if (argc == 2 && str_eq(argv[1], "ill"))
		return undefined_instruction();
	if (argc == 3 && str_eq(argv[1], "read"))
		return read_at(parse_hex(argv[2]));
	if (argc == 3 && str_eq(argv[1], "fork"))
		return fork_cow(parse_hex(argv[2]));
	return failed(2, "usage: el0-demo mem | rowrite | read ADDR | exec | ill | fork ADDR");
}

// SPDX-License-Identifier: MIT
/*
 * The scenario runner; the language is docs/SCENARIOS.md. One table of commands serves both
 * passes: each handler checks its arguments and, when the scenario runs (s->run), carries the
 * command out. The check pass follows the processes and variables by name (made by spawn, fork,
 * the binding commands; gone with exit), so that a name used before it exists is an error
 * before anything runs.
 */
#include "scenario.h"

#include "hostfile.h"
#include "process.h"
#include "sim.h"

#include "arch/host/host.h"
#include "hw/cpu.h"
#include "user/umalloc.h"

#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/proc.h>
#include <kmm/sched.h>
#include <kmm/slab.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SC_ARGS_MAX 24
#define SC_PROCS_MAX 32
#define SC_VARS_MAX 256
#define SC_NAME_MAX 32
#define SC_RANGE_MAX (16u << 20)  /* the most bytes one read, write or expect moves */
#define SC_HEAP_BASE 0x10000000UL /* start_brk of a spawned process (no image to follow) */

struct sc_line {
	unsigned int lineno;
	int argc;
	char *argv[SC_ARGS_MAX];
	char *text; /* the command as written, for the echo */
};

struct sc_proc {
	char name[SC_NAME_MAX];
	bool live;		/* made and not exited (nor killed) */
	struct task_struct *t;	/* when running */
	struct ksiginfo killed; /* the fatal signal, when one killed it */
	struct umalloc m;	/* its C library's malloc */
	struct scenario *s;
};

struct sc_var {
	char name[SC_NAME_MAX];
	uint64_t v;
};

/* Fault and TLB events of address spaces gone (exited, killed, replaced by exec). */
struct sc_events {
	unsigned long min_flt, maj_flt, cow_copies, cow_reuses;
};

struct scenario {
	const char *file;
	char *buf; /* the text, split into the lines' words */
	struct sc_line *lines;
	unsigned int nlines;
	const struct sc_line *cur;
	bool run;
	FILE *out, *err;
	unsigned int cpu, ncpus;
	struct sc_proc procs[SC_PROCS_MAX];
	unsigned int nprocs;
	struct sc_var vars[SC_VARS_MAX];
	unsigned int nvars;
	struct sc_events gone;
	unsigned int expects, commands;
	char result[160]; /* what the current command reports after its echo */
};

/* "FILE:LINE: message" on err; the status of the pass: 2 when checking, 1 when running. */
static int __attribute__((format(printf, 2, 3))) fail(struct scenario *s, const char *fmt, ...)
{
	va_list ap;

	fprintf(s->err, "%s:%u: ", s->file, s->cur->lineno);
	va_start(ap, fmt);
	vfprintf(s->err, fmt, ap);
	va_end(ap);
	fputc('\n', s->err);
	return s->run ? SIM_EXIT_FAIL : SIM_EXIT_USAGE;
}

static void __attribute__((format(printf, 2, 3))) result(struct scenario *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->result, sizeof(s->result), fmt, ap);
	va_end(ap);
}

/* ---- names and values ---- */

static bool valid_name(const char *n)
{
	size_t len = strlen(n);

	if (!len || len >= SC_NAME_MAX || isdigit((unsigned char)*n))
		return false;
	for (; *n; n++)
		if (!isalnum((unsigned char)*n) && *n != '_')
			return false;
	return true;
}

static struct sc_proc *proc_find(struct scenario *s, const char *name)
{
	for (unsigned int i = 0; i < s->nprocs; i++)
		if (!strcmp(s->procs[i].name, name))
			return &s->procs[i];
	return NULL;
}

/* The live process @name, or NULL after reporting why not. */
static struct sc_proc *proc_arg(struct scenario *s, const char *name, int *rc)
{
	struct sc_proc *p = proc_find(s, name);

	if (p && p->live)
		return p;
	if (p && p->killed.signo)
		*rc = fail(s, "process '%s' was killed (signal %d at 0x%llx)", name,
			   p->killed.signo, (unsigned long long)p->killed.addr);
	else if (p)
		*rc = fail(s, "process '%s' has exited", name);
	else
		*rc = fail(s, "no process named '%s' (spawn or fork it first)", name);
	return NULL;
}

/* A new process slot named @name; NULL (reported) if the name is taken or bad. */
static struct sc_proc *proc_new(struct scenario *s, const char *name, int *rc)
{
	struct sc_proc *p = proc_find(s, name);

	if (!valid_name(name)) {
		*rc = fail(s, "'%s' is not a process name (letters, digits, _)", name);
		return NULL;
	}
	if (p && p->live) {
		*rc = fail(s, "process '%s' exists already", name);
		return NULL;
	}
	if (!p) {
		if (s->nprocs == SC_PROCS_MAX) {
			*rc = fail(s, "more than %d processes", SC_PROCS_MAX);
			return NULL;
		}
		p = &s->procs[s->nprocs++];
	}
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->s = s;
	p->live = true;
	return p;
}

static struct sc_var *var_find(struct scenario *s, const char *name, size_t n)
{
	for (unsigned int i = 0; i < s->nvars; i++)
		if (strlen(s->vars[i].name) == n && !strncmp(s->vars[i].name, name, n))
			return &s->vars[i];
	return NULL;
}

/* Bind @name (checked) to @v. */
static int var_set(struct scenario *s, const char *name, uint64_t v)
{
	struct sc_var *x = var_find(s, name, strlen(name));

	if (!valid_name(name))
		return fail(s, "'%s' is not a variable name (letters, digits, _)", name);
	if (!x) {
		if (s->nvars == SC_VARS_MAX)
			return fail(s, "more than %d variables", SC_VARS_MAX);
		x = &s->vars[s->nvars++];
		strcpy(x->name, name);
	}
	x->v = v;
	return 0;
}

static const struct {
	const char *name;
	int v;
} errnos[] = {
	{ "EPERM", EPERM },   { "ENOENT", ENOENT }, { "EIO", EIO },	  { "EBADF", EBADF },
	{ "EAGAIN", EAGAIN }, { "ENOMEM", ENOMEM }, { "EACCES", EACCES }, { "EFAULT", EFAULT },
	{ "EEXIST", EEXIST }, { "ENODEV", ENODEV }, { "EINVAL", EINVAL }, { "ENOEXEC", ENOEXEC },
};

/* One term: a number (K/M/G suffix), an errno name (its positive value) or a variable. */
static bool term(struct scenario *s, const char *t, size_t n, uint64_t *v)
{
	char buf[64];
	struct sc_var *x;

	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n] = 0;
	if (isdigit((unsigned char)buf[0]))
		return !sim_parse_u64(buf, SIM_NUM_SUFFIX, v);
	for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
		if (!strcmp(buf, errnos[i].name)) {
			*v = (uint64_t)errnos[i].v;
			return true;
		}
	x = var_find(s, buf, n);
	if (x)
		*v = x->v;
	return x != NULL;
}

/* A value: [-]TERM, then +TERM or -TERM any number of times (VAR+64K+8). False (reported) if
 * it is not one. */
static bool value(struct scenario *s, const char *tok, uint64_t *v, int *rc)
{
	const char *p = tok + (*tok == '-');
	bool neg = *tok == '-';
	uint64_t t;

	*v = 0;
	for (;;) {
		size_t n = strcspn(p, "+-");

		if (!term(s, p, n, &t)) {
			*rc = fail(s, "'%s' is not a number, errno name or known variable", tok);
			return false;
		}
		*v = neg ? *v - t : *v + t;
		if (!p[n])
			return true;
		neg = p[n] == '-';
		p += n + 1;
	}
}

/* PROT: "none", or the letters r, w, x in any order ('-' ignored: "rw-"). */
static bool prot_arg(struct scenario *s, const char *tok, int *prot, int *rc)
{
	*prot = PROT_NONE;
	if (!strcmp(tok, "none"))
		return true;
	for (const char *c = tok; *c; c++) {
		int bit = *c == 'r'   ? PROT_READ
			  : *c == 'w' ? PROT_WRITE
			  : *c == 'x' ? PROT_EXEC
				      : 0;

		if (!bit && *c != '-') {
			*rc = fail(s, "'%s' is not a protection (none, or r, w, x: \"rw-\")", tok);
			return false;
		}
		*prot |= bit;
	}
	return true;
}

static const struct {
	const char *name;
	int v;
} mmap_flags[] = {
	{ "private", MAP_PRIVATE },
	{ "shared", MAP_SHARED },
	{ "anon", MAP_ANONYMOUS },
	{ "fixed", MAP_FIXED },
	{ "noreplace", MAP_FIXED_NOREPLACE },
	{ "populate", MAP_POPULATE },
	{ "noreserve", MAP_NORESERVE },
	{ "stack", MAP_STACK },
	{ "growsdown", MAP_GROWSDOWN },
	{ "locked", MAP_LOCKED },
	{ "hugetlb", MAP_HUGETLB },
};

/* FLAGS: names joined by ',' (private,anon,populate). */
static bool flags_arg(struct scenario *s, const char *tok, int *flags, int *rc)
{
	*flags = 0;
	for (const char *p = tok; *p;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < ARRAY_SIZE(mmap_flags); i++)
			if (strlen(mmap_flags[i].name) == n && !strncmp(p, mmap_flags[i].name, n))
				break;
		if (i == ARRAY_SIZE(mmap_flags)) {
			*rc = fail(s,
				   "'%.*s' in '%s' is not an mmap flag (private, shared, anon, "
				   "fixed, noreplace, populate, ...)",
				   (int)n, p, tok);
			return false;
		}
		*flags |= mmap_flags[i].v;
		p += n + (p[n] == ',');
	}
	return true;
}

/* ---- the kernel side: a process's system calls, accesses, exit ---- */

static void events_add(struct sc_events *e, const struct mm_struct *mm)
{
	e->min_flt += mm->min_flt;
	e->maj_flt += mm->maj_flt;
	e->cow_copies += mm->cow_copies;
	e->cow_reuses += mm->cow_reuses;
}

/* The process's task goes (exit, or killed with @info). */
static void proc_end(struct sc_proc *p, const struct ksiginfo *info)
{
	if (p->t) {
		events_add(&p->s->gone, p->t->mm);
		do_exit(p->t);
	}
	p->t = NULL;
	p->live = false;
	if (info)
		p->killed = *info;
}

static const char *sig_name(int signo)
{
	return signo == SIGSEGV ? "SIGSEGV" : signo == SIGBUS ? "SIGBUS" : "SIGKILL";
}

static const char *sig_code(const struct ksiginfo *i)
{
	if (i->signo == SIGSEGV)
		return i->code == SEGV_MAPERR ? "maperr" : "accerr";
	if (i->signo == SIGBUS)
		return i->code == BUS_ADRERR ? "adrerr" : "objerr";
	return "oom";
}

/* A user access of @p: 0, or it killed @p (told in the command's result). */
static int user_access(struct sc_proc *p, bool write, vaddr_t va, void *buf, size_t len)
{
	struct scenario *s = p->s;
	struct ksiginfo info = { 0 };
	int sig = write ? sim_user_write(p->t, s->cpu, va, buf, len, &info)
			: sim_user_read(p->t, s->cpu, va, buf, len, &info);

	if (sig) {
		result(s, "%s killed: %s (%s) at 0x%llx", p->name, sig_name(sig), sig_code(&info),
		       (unsigned long long)info.addr);
		proc_end(p, &info);
	}
	return sig;
}

static long u_brk(void *ctx, uint64_t addr)
{
	return sys_brk(((struct sc_proc *)ctx)->t->mm, addr);
}

static long u_mmap(void *ctx, uint64_t len)
{
	return sys_mmap(((struct sc_proc *)ctx)->t->mm, 0, len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
}

static int u_munmap(void *ctx, uint64_t addr, uint64_t len)
{
	return sys_munmap(((struct sc_proc *)ctx)->t->mm, addr, len);
}

/* malloc's loads and stores; a fault kills the process (malloc then fails and sees it dead). */
static int u_read(void *ctx, uint64_t va, void *buf, size_t n)
{
	struct sc_proc *p = ctx;

	return p->t ? user_access(p, false, va, buf, n) : SIGKILL;
}

static int u_write(void *ctx, uint64_t va, const void *buf, size_t n)
{
	struct sc_proc *p = ctx;

	return p->t ? user_access(p, true, va, (void *)buf, n) : SIGKILL;
}

/* A fresh malloc for @p, its heap from the break the kernel gives. */
static void proc_malloc_init(struct sc_proc *p)
{
	umalloc_init(&p->m, &(struct umalloc_sys){ .brk = u_brk,
						   .mmap = u_mmap,
						   .munmap = u_munmap,
						   .read = u_read,
						   .write = u_write,
						   .ctx = p });
}

/* The check pass: the host file @path can be read (the run opens it). */
static int check_host_file(struct scenario *s, const char *path)
{
	if (!access(path, R_OK))
		return 0;
	return fail(s, "cannot read '%s': %s", path, strerror(errno));
}

/* ---- commands ---- */

typedef int sc_fn(struct scenario *s, int argc, char **argv);

#define NEED_PROC(p, name)                                                                         \
	int rc_ = 0;                                                                               \
	struct sc_proc *p = proc_arg(s, name, &rc_);                                               \
	if (!p)                                                                                    \
	return rc_

#define NEED_VALUE(v, tok)                                                                         \
	uint64_t v;                                                                                \
	if (!value(s, tok, &v, &rc_))                                                              \
	return rc_

static int c_spawn(struct scenario *s, int argc, char **argv)
{
	int rc = 0;
	struct sc_proc *p = proc_new(s, argv[1], &rc);

	(void)argc;
	if (!p || !s->run)
		return rc;
	p->t = task_create(argv[1]);
	if (!p->t) {
		p->live = false;
		return fail(s, "out of memory creating '%s'", argv[1]);
	}
	p->t->mm->start_brk = p->t->mm->brk = SC_HEAP_BASE;
	proc_malloc_init(p);
	result(s, "pid %d", p->t->pid);
	return 0;
}

static int c_fork(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(parent, argv[1]);
	struct sc_proc *c = proc_new(s, argv[2], &rc_);

	(void)argc;
	if (!c || !s->run)
		return rc_;
	if (do_fork(parent->t, &c->t)) {
		c->live = false;
		return fail(s, "fork of '%s': out of memory", argv[1]);
	}
	set_task_comm(c->t, argv[2]);
	c->m = parent->m; /* the library's state is in the copied memory */
	c->m.sys.ctx = c;
	result(s, "pid %d, child of %d", c->t->pid, parent->t->pid);
	return 0;
}

static struct file *open_interp(void *ctx, const char *path, int *err)
{
	(void)ctx;
	return sim_file_open(path, FMODE_READ | FMODE_EXEC, err);
}

static int c_exec(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	const char *envp[] = { NULL };
	struct sc_events before = { 0 };
	struct file *f;
	int e;

	if (!s->run)
		return check_host_file(s, argv[2]);
	f = sim_file_open(argv[2], FMODE_READ | FMODE_EXEC, &e);
	if (!f)
		return fail(s, "exec: cannot open '%s': %s", argv[2], strerror(-e));
	events_add(&before, p->t->mm);
	e = do_execve(p->t, f, (const char *const *)argv + 2, envp, open_interp, NULL);
	fput(f);
	if (e)
		return fail(s, "exec of '%s' failed: %s", argv[2], strerror(-e));
	s->gone.min_flt += before.min_flt;
	s->gone.maj_flt += before.maj_flt;
	s->gone.cow_copies += before.cow_copies;
	s->gone.cow_reuses += before.cow_reuses;
	(void)argc;
	set_task_comm(p->t, p->name);
	proc_malloc_init(p);
	result(s, "brk 0x%llx, stack 0x%llx", (unsigned long long)p->t->mm->brk,
	       (unsigned long long)p->t->mm->start_stack);
	return 0;
}

static int c_exit(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);

	(void)argc;
	if (s->run)
		proc_end(p, NULL);
	p->live = false;
	return 0;
}

static int c_cpu(struct scenario *s, int argc, char **argv)
{
	int rc_ = 0;
	NEED_VALUE(n, argv[1]);

	(void)argc;
	if (s->run && n >= s->ncpus)
		return fail(s, "cpu %llu: the board has %u CPUs", (unsigned long long)n, s->ncpus);
	s->cpu = (unsigned int)n;
	return 0;
}

/* Bind @var to a system call's result @r (an address or -errno) and say what it was. */
static int bind_result(struct scenario *s, const char *var, long r)
{
	if (IS_ERR_VALUE(r))
		result(s, "%s = -%s", var, strerror((int)-r));
	else
		result(s, "%s = 0x%lx", var, r);
	return var_set(s, var, (uint64_t)r);
}

/* mmap P VAR LEN PROT FLAGS [ADDR] [file=PATH] [off=N] */
static int c_mmap(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(len, argv[3]);
	const char *path = NULL;
	uint64_t addr = 0, off = 0;
	int prot, flags, e;
	struct file *f = NULL;
	long r;

	if (!prot_arg(s, argv[4], &prot, &rc_) || !flags_arg(s, argv[5], &flags, &rc_))
		return rc_;
	for (int i = 6; i < argc; i++) {
		if (!strncmp(argv[i], "file=", 5))
			path = argv[i] + 5;
		else if (!strncmp(argv[i], "off=", 4) ? !value(s, argv[i] + 4, &off, &rc_)
						      : !value(s, argv[i], &addr, &rc_))
			return rc_;
	}
	if (!path != !!(flags & MAP_ANONYMOUS))
		return fail(s, "mmap: give file=PATH, or anon in FLAGS (one of the two)");
	if (!s->run)
		return path && check_host_file(s, path) ? SIM_EXIT_USAGE : var_set(s, argv[2], 0);
	if (path) {
		f = sim_file_open(
		    path,
		    FMODE_READ |
			((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE) ? FMODE_WRITE : 0),
		    &e);
		if (!f)
			return fail(s, "mmap: cannot open '%s': %s", path, strerror(-e));
	}
	r = sys_mmap(p->t->mm, addr, len, prot, flags, f, off);
	if (f)
		fput(f);
	return bind_result(s, argv[2], r);
}

static int done(struct scenario *s, int r)
{
	if (r)
		result(s, "-%s", strerror(-r));
	return 0;
}

/* munmap P ADDR LEN */
static int c_munmap(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	NEED_VALUE(len, argv[3]);

	(void)argc;
	return s->run ? done(s, sys_munmap(p->t->mm, addr, len)) : 0;
}

/* mprotect P ADDR LEN PROT */
static int c_mprotect(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	NEED_VALUE(len, argv[3]);
	int prot;

	(void)argc;
	if (!prot_arg(s, argv[4], &prot, &rc_))
		return rc_;
	return s->run ? done(s, sys_mprotect(p->t->mm, addr, len, prot)) : 0;
}

static const struct {
	const char *name;
	int v;
} advices[] = {
	{ "normal", MADV_NORMAL },	   { "random", MADV_RANDOM },
	{ "sequential", MADV_SEQUENTIAL }, { "willneed", MADV_WILLNEED },
	{ "dontneed", MADV_DONTNEED },	   { "free", MADV_FREE },
	{ "remove", MADV_REMOVE },	   { "dontfork", MADV_DONTFORK },
	{ "dofork", MADV_DOFORK },
};

/* madvise P ADDR LEN ADVICE */
static int c_madvise(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	NEED_VALUE(len, argv[3]);
	size_t i;

	(void)argc;
	for (i = 0; i < ARRAY_SIZE(advices) && strcmp(advices[i].name, argv[4]); i++)
		;
	if (i == ARRAY_SIZE(advices))
		return fail(s, "'%s' is not an advice (dontneed, willneed, free, ...)", argv[4]);
	return s->run ? done(s, sys_madvise(p->t->mm, addr, len, advices[i].v)) : 0;
}

/* mremap P VAR ADDR OLDLEN NEWLEN [maymove] [dontunmap] [fixed=ADDR] */
static int c_mremap(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[3]);
	NEED_VALUE(oldlen, argv[4]);
	NEED_VALUE(newlen, argv[5]);
	uint64_t to = 0;
	int flags = 0;

	for (int i = 6; i < argc; i++) {
		if (!strcmp(argv[i], "maymove"))
			flags |= MREMAP_MAYMOVE;
		else if (!strcmp(argv[i], "dontunmap"))
			flags |= MREMAP_DONTUNMAP;
		else if (!strncmp(argv[i], "fixed=", 6) && value(s, argv[i] + 6, &to, &rc_))
			flags |= MREMAP_FIXED;
		else
			return rc_ ? rc_
				   : fail(s, "'%s' is not maymove, dontunmap or fixed=ADDR",
					  argv[i]);
	}
	if (!s->run)
		return var_set(s, argv[2], 0);
	return bind_result(s, argv[2], sys_mremap(p->t->mm, addr, oldlen, newlen, flags, to));
}

/* brk P VAR ADDR */
static int c_brk(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[3]);

	(void)argc;
	if (!s->run)
		return var_set(s, argv[2], 0);
	return bind_result(s, argv[2], sys_brk(p->t->mm, addr));
}

/* mincore P VAR ADDR LEN: VAR = the resident pages of the range */
static int c_mincore(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[3]);
	NEED_VALUE(len, argv[4]);
	size_t n = (len + PAGE_SIZE - 1) / PAGE_SIZE, resident = 0;
	unsigned char *vec;
	int r;

	(void)argc;
	if (!s->run)
		return var_set(s, argv[2], 0);
	if (len > SC_RANGE_MAX * 64ULL)
		return fail(s, "mincore: at most %u MiB", SC_RANGE_MAX >> 14);
	vec = calloc(n ? n : 1, 1);
	if (!vec)
		return fail(s, "out of memory");
	r = sys_mincore(p->t->mm, addr, len, vec);
	for (size_t i = 0; i < n; i++)
		resident += vec[i] & 1;
	free(vec);
	if (r)
		return bind_result(s, argv[2], r);
	result(s, "%s = %zu of %zu pages resident", argv[2], resident, n);
	return var_set(s, argv[2], resident);
}

/* malloc P VAR SIZE */
static int c_malloc(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(size, argv[3]);
	uint64_t a;

	(void)argc;
	if (!s->run)
		return var_set(s, argv[2], 0);
	a = umalloc(&p->m, size);
	if (!p->live)
		return var_set(s, argv[2], 0);
	result(s, "%s = 0x%llx (%s)", argv[2], (unsigned long long)a,
	       !a					       ? "NULL"
	       : a >= p->t->mm->start_brk && a < p->t->mm->brk ? "heap, brk"
							       : "own mmap");
	return var_set(s, argv[2], a);
}

/* free P ADDR */
static int c_free(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(a, argv[2]);

	(void)argc;
	if (s->run)
		ufree(&p->m, a);
	return 0;
}

/*
 * The bytes of a data form at argv[0..]: "bytes B...", "words W..." (64-bit, little-endian) or
 * "fill LEN B". Into a heap buffer (*@buf, *@len). False (reported) if malformed.
 */
static bool data_arg(struct scenario *s, int argc, char **argv, uint8_t **buf, size_t *len, int *rc)
{
	uint64_t v, n, fillb;

	*buf = NULL;
	if (argc < 2) {
		*rc = fail(s, "expected bytes B..., words W... or fill LEN BYTE");
		return false;
	}
	if (!strcmp(argv[0], "fill")) {
		if (argc != 3 || !value(s, argv[1], &n, rc) || !value(s, argv[2], &fillb, rc))
			return *rc ? false : (*rc = fail(s, "fill takes LEN BYTE"), false);
		if (n > SC_RANGE_MAX || fillb > 0xff) {
			*rc = fail(s, "fill: at most %u bytes of a value up to 0xff", SC_RANGE_MAX);
			return false;
		}
		*len = n;
		*buf = malloc(n ? n : 1);
		if (*buf)
			memset(*buf, (int)fillb, n);
		return *buf || (*rc = fail(s, "out of memory"), false);
	}
	bool words = !strcmp(argv[0], "words");
	if (!words && strcmp(argv[0], "bytes")) {
		*rc = fail(s, "'%s' is not bytes, words or fill", argv[0]);
		return false;
	}
	*len = (size_t)(argc - 1) * (words ? 8 : 1);
	*buf = malloc(*len);
	if (!*buf) {
		*rc = fail(s, "out of memory");
		return false;
	}
	for (int i = 1; i < argc; i++) {
		if (!value(s, argv[i], &v, rc) || (!words && v > 0xff)) {
			free(*buf);
			*rc = *rc ? *rc : fail(s, "'%s' is not a byte", argv[i]);
			return false;
		}
		if (words)
			for (int b = 0; b < 8; b++)
				(*buf)[(i - 1) * 8 + b] = (uint8_t)(v >> (8 * b));
		else
			(*buf)[i - 1] = (uint8_t)v;
	}
	return true;
}

/* write P ADDR bytes|words|fill ... */
static int c_write(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	uint8_t *buf;
	size_t len;

	if (!data_arg(s, argc - 3, argv + 3, &buf, &len, &rc_))
		return rc_;
	if (s->run)
		user_access(p, true, addr, buf, len);
	free(buf);
	return 0;
}

/* read P ADDR LEN [VAR]: VAR = the first (up to) 8 bytes, little-endian */
static int c_read(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	NEED_VALUE(len, argv[3]);
	uint64_t v = 0;
	uint8_t *buf;

	if (len > SC_RANGE_MAX)
		return fail(s, "read: at most %u bytes", SC_RANGE_MAX);
	if (!s->run)
		return argc == 5 ? var_set(s, argv[4], 0) : 0;
	buf = calloc(len ? len : 1, 1);
	if (!buf)
		return fail(s, "out of memory");
	if (!user_access(p, false, addr, buf, len) && argc == 5) {
		for (size_t i = 0; i < len && i < 8; i++)
			v |= (uint64_t)buf[i] << (8 * i);
		result(s, "%s = 0x%llx", argv[4], (unsigned long long)v);
	}
	free(buf);
	return argc == 5 ? var_set(s, argv[4], v) : 0;
}

/* pa P VAR ADDR: VAR = the physical address @ADDR maps to now, 0 when nothing is mapped */
static int c_pa(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[3]);
	unsigned int level = 0;
	paddr_t pa = 0;

	(void)argc;
	if (!s->run)
		return var_set(s, argv[2], 0);
	if (pgtable_query(&p->t->mm->pgd, addr, &pa, &level, NULL))
		pa = 0;
	result(s, "%s = 0x%llx", argv[2], (unsigned long long)pa);
	return var_set(s, argv[2], pa);
}

/* ---- expect ---- */

static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=" };

static bool compare(unsigned int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case 0:
		return a == b;
	case 1:
		return a != b;
	case 2:
		return a < b;
	case 3:
		return a <= b;
	case 4:
		return a > b;
	default:
		return a >= b;
	}
}

/* The machine's TLB statistics, summed over its CPUs. */
static struct tlb_stats tlb_totals(void)
{
	struct hw_machine *m = host_machine();
	struct tlb_stats t = { 0 };

	for (unsigned int i = 0; m && i < m->ncpus; i++) {
		const struct tlb_stats *c = &m->cpus[i].tlb.stats;

		t.hits += c->hits;
		t.misses += c->misses;
		t.walks += c->walks;
		t.walk_cache_hits += c->walk_cache_hits;
		t.reads += c->reads;
	}
	return t;
}

/* The fault events of every address space, gone and live. */
static struct sc_events vm_totals(struct scenario *s)
{
	struct sc_events e = s->gone;

	for (unsigned int i = 0; i < s->nprocs; i++)
		if (s->procs[i].t)
			events_add(&e, s->procs[i].t->mm);
	return e;
}

static const char *const counters[] = {
	"min_flt", "maj_flt", "cow_copies", "cow_reuses", "rss", "anon", "file", "vm", "pt",
};
static const char *const global_counters[] = {
	"pgfault",  "pgmajfault", "cow_copy",	    "cow_reuse", "tlb_hit",
	"tlb_miss", "page_walk",  "walk_cache_hit", "walk_read",
};

/* The vmstat counter @i (of global_counters) now. */
static uint64_t global_counter(struct scenario *s, unsigned int i)
{
	struct sc_events e = vm_totals(s);
	struct tlb_stats t = tlb_totals();
	const uint64_t v[] = { e.min_flt + e.maj_flt,
			       e.maj_flt,
			       e.cow_copies,
			       e.cow_reuses,
			       t.hits,
			       t.misses,
			       t.walks,
			       t.walk_cache_hits,
			       t.reads };

	return v[i];
}

static uint64_t proc_counter(const struct mm_struct *mm, unsigned int i)
{
	const uint64_t v[] = { mm->min_flt,
			       mm->maj_flt,
			       mm->cow_copies,
			       mm->cow_reuses,
			       mm->rss[MM_ANONPAGES] + mm->rss[MM_FILEPAGES],
			       mm->rss[MM_ANONPAGES],
			       mm->rss[MM_FILEPAGES],
			       mm->total_vm,
			       mm->pgd.table_pages };

	return v[i];
}

/* An operand of a comparison: a value, P.COUNTER or vm.COUNTER. */
static bool operand(struct scenario *s, const char *tok, uint64_t *v, int *rc)
{
	const char *dot = strchr(tok, '.');
	char name[SC_NAME_MAX];
	struct sc_proc *p;

	if (!dot || (size_t)(dot - tok) >= sizeof(name))
		return value(s, tok, v, rc);
	memcpy(name, tok, (size_t)(dot - tok));
	name[dot - tok] = 0;
	*v = 0;
	if (!strcmp(name, "vm")) {
		for (unsigned int i = 0; i < ARRAY_SIZE(global_counters); i++)
			if (!strcmp(dot + 1, global_counters[i])) {
				*v = s->run ? global_counter(s, i) : 0;
				return true;
			}
		*rc = fail(s,
			   "'%s' is not a vm counter (pgfault, pgmajfault, cow_copy, cow_reuse, "
			   "tlb_hit, tlb_miss, page_walk, walk_cache_hit, walk_read)",
			   dot + 1);
		return false;
	}
	p = proc_arg(s, name, rc);
	if (!p)
		return false;
	for (unsigned int i = 0; i < ARRAY_SIZE(counters); i++)
		if (!strcmp(dot + 1, counters[i])) {
			*v = s->run ? proc_counter(p->t->mm, i) : 0;
			return true;
		}
	*rc = fail(s,
		   "'%s' is not a process counter (min_flt, maj_flt, cow_copies, cow_reuses, "
		   "rss, anon, file, vm, pt)",
		   dot + 1);
	return false;
}

/* set VAR OPERAND: VAR = a value or counter now (to compare with later) */
static int c_set(struct scenario *s, int argc, char **argv)
{
	uint64_t v;
	int rc = 0;

	(void)argc;
	if (!operand(s, argv[2], &v, &rc))
		return rc;
	if (s->run)
		result(s, "%s = %llu", argv[1], (unsigned long long)v);
	return var_set(s, argv[1], v);
}

/* expect A OP B */
static int expect_compare(struct scenario *s, char **argv, unsigned int op)
{
	uint64_t a, b;
	int rc = 0;

	if (!operand(s, argv[1], &a, &rc) || !operand(s, argv[3], &b, &rc))
		return rc;
	if (s->run && !compare(op, a, b))
		return fail(s, "expect failed: %s %s %s (%lld %s %lld)", argv[1], ops[op], argv[3],
			    (long long)a, ops[op], (long long)b);
	return 0;
}

/* expect P killed|alive|segv [maperr|accerr]|bus [adrerr|objerr] */
static int expect_fate(struct scenario *s, int argc, char **argv)
{
	struct sc_proc *p = proc_find(s, argv[1]);
	const char *what = argv[2], *code = argc > 3 ? argv[3] : NULL;
	bool want_dead = strcmp(what, "alive") != 0;
	int signo = !strcmp(what, "segv") ? SIGSEGV : !strcmp(what, "bus") ? SIGBUS : 0;

	if (!p)
		return fail(s, "no process named '%s'", argv[1]);
	if (!signo && strcmp(what, "killed") && strcmp(what, "alive"))
		return fail(s, "'%s' is not killed, alive, segv or bus", what);
	if (argc > 4 || (code && !signo) ||
	    (code && strcmp(code, signo == SIGSEGV ? "maperr" : "adrerr") &&
	     strcmp(code, signo == SIGSEGV ? "accerr" : "objerr")))
		return fail(s, "expect %s %s: bad signal code '%s'", argv[1], what,
			    code ? code : argv[4]);
	if (!s->run)
		return 0;
	const struct ksiginfo *k = &p->killed;
	bool ok = want_dead ? k->signo && (!signo || k->signo == signo) &&
				  (!code || !strcmp(code, sig_code(k)))
			    : p->live;
	if (!ok)
		return fail(s, "expect failed: %s %s%s%s, but it is %s%s%s", argv[1], what,
			    code ? " " : "", code ? code : "",
			    p->live    ? "alive"
			    : k->signo ? sig_name(k->signo)
				       : "exited",
			    k->signo ? " " : "", k->signo ? sig_code(k) : "");
	return 0;
}

/* expect P ADDR bytes|words|fill ...: the memory reads back so */
static int expect_memory(struct scenario *s, int argc, char **argv)
{
	NEED_PROC(p, argv[1]);
	NEED_VALUE(addr, argv[2]);
	uint8_t *want, *got;
	size_t len;

	if (!data_arg(s, argc - 3, argv + 3, &want, &len, &rc_))
		return rc_;
	if (s->run) {
		got = calloc(len ? len : 1, 1);
		if (!got)
			rc_ = fail(s, "out of memory");
		else if (user_access(p, false, addr, got, len))
			rc_ = fail(s, "expect failed: reading 0x%llx: %s", (unsigned long long)addr,
				   s->result);
		for (size_t i = 0; got && !rc_ && i < len; i++)
			if (got[i] != want[i])
				rc_ = fail(s, "expect failed: byte at 0x%llx is 0x%02x, not 0x%02x",
					   (unsigned long long)(addr + i), got[i], want[i]);
		free(got);
	}
	free(want);
	return rc_;
}

static int c_expect(struct scenario *s, int argc, char **argv)
{
	s->expects++;
	if (argc == 4)
		for (unsigned int op = 0; op < ARRAY_SIZE(ops); op++)
			if (!strcmp(argv[2], ops[op]))
				return expect_compare(s, argv, op);
	if (argc >= 3 && !proc_find(s, argv[1]))
		return fail(s,
			    "expect: '%s' is no process, and '%s' no comparison (== != < <= > "
			    ">=)",
			    argv[1], argc > 2 ? argv[2] : "");
	if (argc >= 4 &&
	    (!strcmp(argv[3], "bytes") || !strcmp(argv[3], "words") || !strcmp(argv[3], "fill")))
		return expect_memory(s, argc, argv);
	return expect_fate(s, argc, argv);
}

/* ---- show, tlbi, echo ---- */

static void show_vmstat(struct scenario *s)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(global_counters); i++)
		printk("%s %llu\n", global_counters[i], (unsigned long long)global_counter(s, i));
}

static const char *const views[] = { "meminfo",	     "buddyinfo", "zoneinfo",
				     "pagetypeinfo", "slabinfo",  "vmstat" };

/* show VIEW | show P/maps | show P/smaps */
static int c_show(struct scenario *s, int argc, char **argv)
{
	const char *slash = strchr(argv[1], '/');
	unsigned int v;
	int rc = 0;

	(void)argc;
	if (slash) {
		char name[SC_NAME_MAX];
		bool smaps = !strcmp(slash + 1, "smaps");

		if ((!smaps && strcmp(slash + 1, "maps")) ||
		    (size_t)(slash - argv[1]) >= sizeof(name))
			return fail(s, "'%s' is not P/maps or P/smaps", argv[1]);
		memcpy(name, argv[1], (size_t)(slash - argv[1]));
		name[slash - argv[1]] = 0;
		struct sc_proc *p = proc_arg(s, name, &rc);
		if (!p || !s->run)
			return rc;
		FILE *old = host_console_set(s->out);
		if (smaps)
			show_smaps(p->t->mm);
		else
			show_maps(p->t->mm);
		host_console_set(old);
		return 0;
	}
	for (v = 0; v < ARRAY_SIZE(views) && strcmp(views[v], argv[1]); v++)
		;
	if (v == ARRAY_SIZE(views))
		return fail(s,
			    "'%s' is not a view (meminfo, buddyinfo, zoneinfo, pagetypeinfo, "
			    "slabinfo, vmstat, P/maps, P/smaps)",
			    argv[1]);
	if (!s->run)
		return 0;
	FILE *old = host_console_set(s->out);
	if (v == 0)
		show_meminfo(&mm_default_system);
	else if (v == 1)
		show_buddyinfo(&mm_default_system);
	else if (v == 2)
		show_zoneinfo(&mm_default_system);
	else if (v == 3)
		show_pagetypeinfo(&mm_default_system);
	else if (v == 4)
		show_slabinfo(&slab_default_system);
	else
		show_vmstat(s);
	host_console_set(old);
	return 0;
}

/* tlbi: invalidate every TLB entry of every CPU (TLBI VMALLE1IS) */
static int c_tlbi(struct scenario *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	if (s->run)
		arch_flush_tlb_all();
	return 0;
}

/* echo TEXT: the text, as a heading in the output */
static int c_echo(struct scenario *s, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	(void)s;
	return 0;
}

static const struct sc_cmd {
	const char *name;
	int min, max; /* words, the command's own included */
	sc_fn *fn;
	const char *usage;
} cmds[] = {
	{ "spawn", 2, 2, c_spawn, "spawn P" },
	{ "fork", 3, 3, c_fork, "fork PARENT CHILD" },
	{ "exec", 3, SC_ARGS_MAX, c_exec, "exec P FILE [ARG...]" },
	{ "exit", 2, 2, c_exit, "exit P" },
	{ "cpu", 2, 2, c_cpu, "cpu N" },
	{ "mmap", 6, 9, c_mmap, "mmap P VAR LEN PROT FLAGS [ADDR] [file=PATH] [off=N]" },
	{ "munmap", 4, 4, c_munmap, "munmap P ADDR LEN" },
	{ "mprotect", 5, 5, c_mprotect, "mprotect P ADDR LEN PROT" },
	{ "madvise", 5, 5, c_madvise, "madvise P ADDR LEN ADVICE" },
	{ "mremap", 6, 9, c_mremap, "mremap P VAR ADDR OLDLEN NEWLEN [maymove] [fixed=ADDR]" },
	{ "brk", 4, 4, c_brk, "brk P VAR ADDR" },
	{ "mincore", 5, 5, c_mincore, "mincore P VAR ADDR LEN" },
	{ "malloc", 4, 4, c_malloc, "malloc P VAR SIZE" },
	{ "free", 3, 3, c_free, "free P ADDR" },
	{ "write", 5, SC_ARGS_MAX, c_write, "write P ADDR bytes B...|words W...|fill LEN B" },
	{ "read", 4, 5, c_read, "read P ADDR LEN [VAR]" },
	{ "pa", 4, 4, c_pa, "pa P VAR ADDR" },
	{ "set", 3, 3, c_set, "set VAR VALUE|P.COUNTER|vm.COUNTER" },
	{ "expect", 3, SC_ARGS_MAX, c_expect,
	  "expect A OP B | expect P FATE | expect P ADDR DATA" },
	{ "show", 2, 2, c_show, "show VIEW|P/maps|P/smaps" },
	{ "tlbi", 1, 1, c_tlbi, "tlbi" },
	{ "echo", 1, SC_ARGS_MAX, c_echo, "echo TEXT" },
};

static const struct sc_cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* Check or run one line. */
static int line_do(struct scenario *s, struct sc_line *l)
{
	const struct sc_cmd *c = cmd_find(l->argv[0]);

	s->cur = l;
	s->result[0] = 0;
	if (!c)
		return fail(s, "unknown command '%s'", l->argv[0]);
	if (l->argc < c->min || l->argc > c->max)
		return fail(s, "wrong number of words: %s", c->usage);
	return c->fn(s, l->argc, l->argv);
}

/* Split @text into lines of words (in s->buf); '#' starts a comment. */
static int split(struct scenario *s, const char *text)
{
	size_t n = 1;
	char *p;

	for (const char *c = text; *c; c++)
		n += *c == '\n';
	s->buf = strdup(text);
	s->lines = calloc(n, sizeof(*s->lines));
	if (!s->buf || !s->lines)
		return -ENOMEM;
	p = s->buf;
	for (unsigned int lineno = 1; p; lineno++) {
		char *eol = strchr(p, '\n'), *next = eol ? eol + 1 : NULL;
		struct sc_line *l = &s->lines[s->nlines];

		if (eol)
			*eol = 0;
		p[strcspn(p, "#")] = 0;
		while (isspace((unsigned char)*p))
			p++;
		l->lineno = lineno;
		l->text = p;
		for (char *w = p; *w;) {
			size_t len = strcspn(w, " \t\r");

			if (l->argc == SC_ARGS_MAX)
				return -E2BIG;
			l->argv[l->argc++] = w;
			w += len;
			if (*w)
				*w++ = 0;
			while (isspace((unsigned char)*w))
				w++;
		}
		if (l->argc)
			s->nlines++;
		p = next;
	}
	return 0;
}

struct scenario *scenario_parse(const char *file, const char *text, FILE *err)
{
	struct scenario *s = calloc(1, sizeof(*s));
	int bad = 0, e;

	if (!s) {
		fprintf(err, "%s: out of memory\n", file);
		return NULL;
	}
	s->file = file;
	s->err = err;
	e = split(s, text);
	if (e) {
		fprintf(err, "%s:%u: %s\n", file, s->lines ? s->lines[s->nlines].lineno : 0,
			e == -E2BIG ? "more than 24 words on a line" : "out of memory");
		scenario_free(s);
		return NULL;
	}
	for (unsigned int i = 0; i < s->nlines; i++)
		bad += line_do(s, &s->lines[i]) != 0;
	if (bad) {
		scenario_free(s);
		return NULL;
	}
	s->nprocs = 0;
	s->nvars = 0;
	s->expects = 0;
	return s;
}

/* The command's words, joined by a space, for the echo. */
static void echo_line(struct scenario *s, const struct sc_line *l)
{
	char buf[256];
	size_t n = 0;

	buf[0] = 0;
	for (int i = l->argv[0][0] == 'e' && !strcmp(l->argv[0], "echo"); i < l->argc; i++)
		n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s",
				      n ? " " : "", l->argv[i]);
	if (!strcmp(l->argv[0], "echo"))
		fprintf(s->out, "\n== %s\n", buf);
	else if (s->result[0])
		fprintf(s->out, "  %-46s -> %s\n", buf, s->result);
	else
		fprintf(s->out, "  %s\n", buf);
}

/* The invariants of every live address space, and of the pages they share. */
static int final_checks(struct scenario *s)
{
	struct mm_struct *mms[SC_PROCS_MAX];
	unsigned int n = 0;
	const char *msg;

	for (unsigned int i = 0; i < s->nprocs; i++) {
		if (!s->procs[i].t)
			continue;
		mms[n++] = s->procs[i].t->mm;
		msg = mm_check(s->procs[i].t->mm);
		if (msg)
			return fail(s, "after the scenario, process '%s': %s", s->procs[i].name,
				    msg);
	}
	msg = mm_check_mapcounts(mms, n);
	return msg ? fail(s, "after the scenario: %s", msg) : 0;
}

int scenario_run(struct scenario *s, unsigned int ncpus, FILE *out, FILE *err)
{
	int rc = 0;

	s->run = true;
	s->out = out;
	s->err = err;
	s->ncpus = ncpus;
	s->cpu = 0;
	for (unsigned int i = 0; i < s->nlines && !rc; i++) {
		rc = line_do(s, &s->lines[i]);
		s->commands++;
		if (!rc)
			echo_line(s, &s->lines[i]);
	}
	if (!rc && s->nlines)
		rc = final_checks(s);
	return rc;
}

/* The maps of every live process, through printk. */
static void show_all_maps(struct scenario *s)
{
	for (unsigned int i = 0; i < s->nprocs; i++) {
		struct sc_proc *p = &s->procs[i];

		if (!p->t)
			continue;
		printk("\n%s (pid %d) /proc/%d/maps:\n", p->name, p->t->pid, p->t->pid);
		show_maps(p->t->mm);
	}
}

void scenario_summary(struct scenario *s, FILE *out)
{
	FILE *old = host_console_set(out);

	printk("\n== /proc/meminfo\n");
	show_meminfo(&mm_default_system);
	printk("\n== /proc/vmstat (kmm's events)\n");
	show_vmstat(s);
	for (unsigned int i = 0; i < s->nprocs; i++)
		if (s->procs[i].killed.signo)
			printk("killed: %s by %s (%s) at 0x%llx\n", s->procs[i].name,
			       sig_name(s->procs[i].killed.signo), sig_code(&s->procs[i].killed),
			       (unsigned long long)s->procs[i].killed.addr);
	show_all_maps(s);
	printk("\n%u commands, %u expects passed\n", s->commands, s->expects);
	host_console_set(old);
}

/* The text of @show's printk output, as a JSON string member @key. */
static void json_text(struct json *j, const char *key, void (*show)(struct scenario *s),
		      struct scenario *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len), *old;

	if (!f)
		return;
	old = host_console_set(f);
	show(s);
	host_console_set(old);
	fclose(f);
	json_kv_string(j, key, text ? text : "");
	free(text);
}

static void meminfo_of(struct scenario *s)
{
	(void)s;
	show_meminfo(&mm_default_system);
}

static void json_maps(struct json *j, struct mm_struct *mm)
{
	struct proc_maps_entry e;

	json_array_begin(j);
	mmap_read_lock(mm);
	for (const struct vm_area_struct *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma)) {
		proc_maps_entry(vma, &e);
		json_object_begin(j);
		json_kv_hex(j, "start", e.start);
		json_kv_hex(j, "end", e.end);
		json_kv_string(j, "perms", e.perms);
		json_kv_hex(j, "offset", e.offset);
		json_key(j, "path");
		if (e.path)
			json_string(j, e.path);
		else
			json_null(j);
		json_object_end(j);
	}
	mmap_read_unlock(mm);
	json_array_end(j);
}

void scenario_summary_json(struct scenario *s, struct json *j)
{
	json_kv_uint(j, "commands", s->commands);
	json_kv_uint(j, "expects", s->expects);
	json_text(j, "meminfo", meminfo_of, s);
	json_key(j, "vmstat");
	json_object_begin(j);
	for (unsigned int i = 0; i < ARRAY_SIZE(global_counters); i++)
		json_kv_uint(j, global_counters[i], global_counter(s, i));
	json_object_end(j);
	json_key(j, "killed");
	json_array_begin(j);
	for (unsigned int i = 0; i < s->nprocs; i++) {
		const struct ksiginfo *k = &s->procs[i].killed;

		if (!k->signo)
			continue;
		json_object_begin(j);
		json_kv_string(j, "name", s->procs[i].name);
		json_kv_string(j, "signal", sig_name(k->signo));
		json_kv_string(j, "code", sig_code(k));
		json_kv_hex(j, "addr", k->addr);
		json_object_end(j);
	}
	json_array_end(j);
	json_key(j, "processes");
	json_array_begin(j);
	for (unsigned int i = 0; i < s->nprocs; i++) {
		struct sc_proc *p = &s->procs[i];

		if (!p->t)
			continue;
		json_object_begin(j);
		json_kv_string(j, "name", p->name);
		json_kv_uint(j, "pid", (uint64_t)p->t->pid);
		json_kv_uint(j, "rss_pages", proc_counter(p->t->mm, 4));
		json_key(j, "maps");
		json_maps(j, p->t->mm);
		json_object_end(j);
	}
	json_array_end(j);
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->nprocs; i++)
		if (s->procs[i].t)
			proc_end(&s->procs[i], NULL);
	free(s->lines);
	free(s->buf);
	free(s);
}

char *scenario_read_file(const char *path, FILE *err)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, n;
	char chunk[4096];
	FILE *m;

	if (!f) {
		fprintf(err, "kmm-sim run: cannot open '%s': %s\n", path, strerror(errno));
		return NULL;
	}
	m = open_memstream(&text, &len);
	if (!m) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(m);
	if (ferror(f) || strlen(text) != len) {
		fprintf(err, "kmm-sim run: cannot read '%s' (%s)\n", path,
			ferror(f) ? strerror(errno) : "a NUL byte in it");
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

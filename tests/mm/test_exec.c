// SPDX-License-Identifier: MIT
/*
 * exec (mm/exec.c) and /proc/PID/maps and smaps (mm/task_mmu.c) on the booted default board:
 * ELF images built here (static AArch64 and x86-64 executables, a PIE with an interpreter, a
 * static PIE), the host's own /bin/true, /bin/ls and their interpreter, compared with what
 * readelf -lW says of them; the initial stack read back through the simulated MMU; every
 * rejection with Linux's error and the old address space kept; nothing left behind.
 */
#include "../sim/readelf.h"
#include "vm_env.h"

#include "arch/host/host.h"
#include "hostfile.h"

#include <kmm/elf.h>
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/proc.h>
#include <kmm/slab.h>

#include <stdlib.h>
#include <string.h>

#define TOP (1ULL << 48)		 /* task_size and STACK_TOP with 48-bit VAs */
#define MMAP_BASE (TOP - (128ULL << 20)) /* mmap_base: the stack gap is the minimum 128 MiB */
#define STACK_VMA (TOP - 0x21000)	 /* one page of strings and 128 KiB below it */
#define ET_DYN_BASE 0xaaaaaaaaa000ULL	 /* 2 * TASK_SIZE / 3, page aligned */
#define MAX_ARG_STRLEN 131072		 /* Linux's: one string, NUL included */
#define RX (PF_R | PF_X)
#define RW (PF_R | PF_W)

/* ---- ELF files built in memory --------------------------------------------------------------- */

struct img {
	size_t size;
	uint8_t data[0x3000];
};

static long img_read(void *priv, uint64_t off, void *buf, size_t len)
{
	const struct img *im = priv;

	if (off >= im->size)
		return 0;
	len = len < im->size - off ? len : im->size - off;
	memcpy(buf, im->data + off, len);
	return (long)len;
}

static const struct file_backing_ops img_ops = { .read = img_read };

/* An ELF64 LSB file of @size bytes: the header, @n program headers at 64, a byte pattern that
 * is nowhere zero elsewhere, @interp (if any) at 0x200. */
static void img_elf(struct img *im, uint16_t type, uint16_t machine, uint64_t entry,
		    const Elf64_Phdr *ph, unsigned int n, size_t size, const char *interp)
{
	Elf64_Ehdr eh = { .e_ident = { 0x7f, 'E', 'L', 'F', ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
			  .e_type = type,
			  .e_machine = machine,
			  .e_version = EV_CURRENT,
			  .e_entry = entry,
			  .e_phoff = sizeof(Elf64_Ehdr),
			  .e_ehsize = sizeof(Elf64_Ehdr),
			  .e_phentsize = sizeof(Elf64_Phdr),
			  .e_phnum = (uint16_t)n };

	for (size_t i = 0; i < sizeof(im->data); i++)
		im->data[i] = (uint8_t)(0xa0 + i % 31);
	memcpy(im->data, &eh, sizeof(eh));
	memcpy(im->data + sizeof(eh), ph, n * sizeof(*ph));
	if (interp)
		memcpy(im->data + 0x200, interp, strlen(interp) + 1);
	im->size = size;
}

static struct file *img_file(struct ktest *kt, struct img *im, const char *name)
{
	struct file *f = file_create_backed(&mm_default_system, name, im->size, &img_ops, im,
					    FMODE_READ | FMODE_EXEC);

	KT_EXPECT_NOT_NULL(kt, f);
	return f;
}

/*
 * The static AArch64 executable of most tests:
 *
 *   file 0x0000-0x1800  text  R X  at 0x400000              → 00400000-00402000 r-xp 0
 *   file 0x1800-0x1b00  data  RW   at 0x411800, memsz 0x2400 → 00411000-00412000 rw-p 0x1000
 *                                    bss to 0x413c00          → 00412000-00414000 rw-p [heap]
 *   file 0x1b00-0x2000  bytes no segment holds: must read as 0 after the data
 */
static const Elf64_Phdr static_ph[] = {
	{ PT_LOAD, RX, 0, 0x400000, 0x400000, 0x1800, 0x1800, 0x10000 },
	{ PT_LOAD, RW, 0x1800, 0x411800, 0x411800, 0x300, 0x2400, 0x10000 },
	{ PT_GNU_STACK, RW, 0, 0, 0, 0, 0, 16 },
};

static void img_static(struct img *im, uint16_t machine)
{
	img_elf(im, ET_EXEC, machine, 0x400100, static_ph, ARRAY_SIZE(static_ph), 0x2000, NULL);
}

/* The little-endian 64-bit word at @p. */
static uint64_t le64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* ---- the kernel's footprint and the process's memory ------------------------------------------
 */

struct footprint {
	unsigned long free_pages, objects;
};

static struct footprint footprint(void)
{
	struct footprint f = { 0 };
	struct kmem_cache *s;

	list_for_each_entry (s, &slab_default_system.caches, list) {
		kmem_cache_shrink(s);
		f.objects += kmem_cache_live_objects(s);
	}
	f.free_pages = vm_free_pages();
	return f;
}

static void footprint_same(struct ktest *kt, struct footprint a, struct footprint b)
{
	KT_EXPECT_EQ(kt, a.free_pages, b.free_pages);
	KT_EXPECT_EQ(kt, a.objects, b.objects);
}

/* The 64-bit word at @va of @t, read through the MMU on CPU 0 (~0 if it faults). */
static uint64_t uword(struct task_struct *t, vaddr_t va)
{
	struct ksiginfo info;
	uint64_t v;

	return sim_user_read(t, 0, va, &v, sizeof(v), &info) ? ~0ULL : v;
}

/* The NUL-terminated string at @va of @t, in @buf. */
static const char *ustr(struct task_struct *t, vaddr_t va, char *buf, size_t size)
{
	struct ksiginfo info;
	size_t i = 0;

	while (i + 1 < size && !sim_user_read(t, 0, va + i, &buf[i], 1, &info) && buf[i])
		i++;
	buf[i] = '\0';
	return buf;
}

/* The auxiliary vector entry @type on @t's initial stack (past argc, argv, envp), or ~0. */
static uint64_t auxval(struct task_struct *t, uint64_t type)
{
	vaddr_t sp = t->mm->start_stack;

	sp += (uword(t, sp) + 2) * 8; /* argc, argv[], NULL */
	while (uword(t, sp))
		sp += 8;
	for (sp += 8; uword(t, sp) != AT_NULL; sp += 16)
		if (uword(t, sp) == type)
			return uword(t, sp + 8);
	return type == AT_NULL ? 0 : ~0ULL;
}

/* /proc/PID/maps or smaps of @mm as show_maps/show_smaps print it (malloc'd). */
static char *proc_text(struct mm_struct *mm, void (*show)(struct mm_struct *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len), *old = host_console_set(f);

	show(mm);
	host_console_set(old);
	fclose(f);
	return text;
}

/* A task that has run a little: one anonymous page written at 0x10000000. */
static struct task_struct *busy_task(struct ktest *kt)
{
	struct task_struct *t = task_create("sh");
	struct ksiginfo info;

	if (!KT_EXPECT_NOT_NULL(kt, t))
		return NULL;
	if (!vm_vma_add(kt, t, 0x10000000, PAGE_SIZE, VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE,
			NULL, 0) ||
	    !KT_EXPECT_EQ(kt, sim_user_write(t, 0, 0x10000000, "x", 1, &info), 0)) {
		do_exit(t);
		return NULL;
	}
	return t;
}

/* @t's VMAs from @first on are @n entries of @want; returns the VMA after them. */
static const struct vm_area_struct *expect_maps(struct ktest *kt, const struct vm_area_struct *v,
						const struct proc_maps_entry *want, unsigned int n)
{
	struct proc_maps_entry got;

	for (unsigned int i = 0; i < n; i++, v = vma_next(v)) {
		if (!KT_EXPECT_NOT_NULL(kt, v))
			return NULL;
		proc_maps_entry(v, &got);
		KT_EXPECT_EQ(kt, got.start, want[i].start);
		KT_EXPECT_EQ(kt, got.end, want[i].end);
		KT_EXPECT_STREQ(kt, got.perms, want[i].perms);
		KT_EXPECT_EQ(kt, got.offset, want[i].offset);
		KT_EXPECT_TRUE(kt, !got.path == !want[i].path);
		if (got.path && want[i].path)
			KT_EXPECT_STREQ(kt, got.path, want[i].path);
	}
	return v;
}

/* ---- the static executable ---------------------------------------------------------------------
 */

/*
 * A bss followed by another segment: mapped (and the rest of its file page zeroed) before the
 * next segment is; brk after the last one.
 *
 *   file 0x0000-0x1000  R X at 0x400000                        → 00400000-00401000 r-xp 0
 *   file 0x1000-0x1080  RW  at 0x401000, memsz 0x3000          → 00401000-00402000 rw-p 0x1000
 *                                                              → 00402000-00404000 rw-p (bss)
 *   file 0x1800-0x1900  R   at 0x410800                        → 00410000-00411000 r--p 0x1000
 */
KTEST(exec, bss_between_segments)
{
	static const Elf64_Phdr ph[] = {
		{ PT_LOAD, RX, 0, 0x400000, 0x400000, 0x1000, 0x1000, 0x1000 },
		{ PT_LOAD, RW, 0x1000, 0x401000, 0x401000, 0x80, 0x3000, 0x1000 },
		{ PT_LOAD, PF_R, 0x1800, 0x410800, 0x410800, 0x100, 0x100, 0x1000 },
	};
	static struct img im;
	struct proc_maps_entry want[] = {
		{ 0x400000, 0x401000, "r-xp", 0, "/test/three" },
		{ 0x401000, 0x402000, "rw-p", 0x1000, "/test/three" },
		{ 0x402000, 0x404000, "rw-p", 0, NULL },
		{ 0x410000, 0x411000, "r--p", 0x1000, "/test/three" },
		{ STACK_VMA, TOP, "rw-p", 0, "[stack]" },
	};
	struct vm_env e;
	struct task_struct *t;
	struct file *f;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400000, ph, ARRAY_SIZE(ph), 0x2000, NULL);
	t = task_create("sh");
	f = img_file(kt, &im, "/test/three");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, NULL, NULL, NULL, NULL), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 2u); /* the stack, the zeroed data page */
	KT_EXPECT_NULL(kt, expect_maps(kt, vma_first(&t->mm->vmas), want, ARRAY_SIZE(want)));
	KT_EXPECT_EQ(kt, t->mm->brk, 0x411000u);
	KT_EXPECT_EQ(kt, uword(t, 0x401078), le64(&im.data[0x1078]));
	KT_EXPECT_EQ(kt, uword(t, 0x401080), 0u);
	KT_EXPECT_EQ(kt, uword(t, 0x403ff8), 0u);
	KT_EXPECT_EQ(kt, uword(t, 0x410800), le64(&im.data[0x1800]));
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

/* Its maps, exactly as Linux prints them (names from column 73), its mm fields, and the pages
 * exec touched: one stack page and the data page padzero wrote (a private copy), nothing else. */
KTEST(exec, static_aarch64_layout)
{
	static const char expect[] =
	    "00400000-00402000 r-xp 00000000 00:00 0                                  "
	    "/test/static\n"
	    "00411000-00412000 rw-p 00001000 00:00 0                                  "
	    "/test/static\n"
	    "00412000-00414000 rw-p 00000000 00:00 0                                  "
	    "[heap]\n"
	    "fffffffdf000-1000000000000 rw-p 00000000 00:00 0                         "
	    "[stack]\n";
	static struct img im;
	struct vm_env e;
	struct task_struct *t;
	struct file *f;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	struct footprint before = footprint();
	img_static(&im, EM_AARCH64);
	t = busy_task(kt);
	f = img_file(kt, &im, "/test/static");
	KT_ASSERT_TRUE(kt, t && f);
	struct mm_struct *old = t->mm;
	KT_ASSERT_EQ(kt, do_execve(t, f, (const char *[]){ "static", NULL }, NULL, NULL, NULL), 0);
	KT_EXPECT_TRUE(kt, t->mm != old);
	KT_EXPECT_STREQ(kt, t->comm, "static");
	char *maps = proc_text(t->mm, show_maps);
	KT_EXPECT_STREQ(kt, maps, expect);
	free(maps);

	struct mm_struct *mm = t->mm;
	KT_EXPECT_EQ(kt, mm->start_code, 0x400000u);
	KT_EXPECT_EQ(kt, mm->end_code, 0x401800u);
	KT_EXPECT_EQ(kt, mm->start_data, 0x411800u);
	KT_EXPECT_EQ(kt, mm->end_data, 0x411b00u);
	KT_EXPECT_EQ(kt, mm->start_brk, 0x414000u);
	KT_EXPECT_EQ(kt, mm->brk, 0x414000u);
	KT_EXPECT_EQ(kt, mm->rss[MM_ANONPAGES], 2u);
	KT_EXPECT_EQ(kt, mm->rss[MM_FILEPAGES], 0u);
	KT_EXPECT_EQ(kt, mm->total_vm, 2u + 1 + 2 + 0x21);
	KT_EXPECT_EQ(kt, mm->stack_vm, 0x21u);
	KT_EXPECT_NULL(kt, mm_check(mm));
	VM_CHECK(kt, t);

	/* The data as in the file, zeros after it in its page and in the bss. */
	KT_EXPECT_EQ(kt, uword(t, 0x411800), le64(&im.data[0x1800]));
	KT_EXPECT_EQ(kt, uword(t, 0x411af8), le64(&im.data[0x1af8]));
	KT_EXPECT_EQ(kt, uword(t, 0x411b00), 0u);
	KT_EXPECT_EQ(kt, uword(t, 0x411ff8), 0u);
	KT_EXPECT_EQ(kt, uword(t, 0x413bf8), 0u);
	KT_EXPECT_EQ(kt, uword(t, 0x400000), le64(im.data));
	do_exit(t);
	fput(f);
	footprint_same(kt, before, footprint());
	vm_env_fini(&e);
}

/* The stack as create_elf_tables lays it out: argc, argv, envp, the auxiliary vector, then the
 * platform string and AT_RANDOM's bytes, the strings, the file name 8 bytes below the top. */
KTEST(exec, initial_stack)
{
	static struct img im;
	struct vm_env e;
	struct task_struct *t;
	struct file *f;
	char buf[64];

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_static(&im, EM_AARCH64);
	t = task_create("sh");
	f = img_file(kt, &im, "/test/static");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt,
		     do_execve(t, f, (const char *[]){ "prog", "-l", "", "arg three", NULL },
			       (const char *[]){ "HOME=/root", "TERM=vt100", NULL }, NULL, NULL),
		     0);
	struct mm_struct *mm = t->mm;
	vaddr_t sp = mm->start_stack;

	KT_EXPECT_EQ(kt, sp % 16, 0u);
	KT_EXPECT_EQ(kt, uword(t, sp), 4u);
	KT_EXPECT_EQ(kt, uword(t, sp + 8), mm->arg_start);
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 8), buf, sizeof(buf)), "prog");
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 16), buf, sizeof(buf)), "-l");
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 24), buf, sizeof(buf)), "");
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 32), buf, sizeof(buf)), "arg three");
	KT_EXPECT_EQ(kt, uword(t, sp + 40), 0u);
	KT_EXPECT_EQ(kt, uword(t, sp + 48), mm->env_start);
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 48), buf, sizeof(buf)), "HOME=/root");
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, sp + 56), buf, sizeof(buf)), "TERM=vt100");
	KT_EXPECT_EQ(kt, uword(t, sp + 64), 0u);
	KT_EXPECT_EQ(kt, mm->arg_end, mm->env_start);
	KT_EXPECT_EQ(kt, mm->arg_end - mm->arg_start, 5u + 3 + 1 + 10);
	KT_EXPECT_EQ(kt, mm->env_end - mm->env_start, 11u + 11);
	/* The file name right after the environment, ending 8 bytes below the top. */
	KT_EXPECT_EQ(kt, auxval(t, AT_EXECFN), mm->env_end);
	KT_EXPECT_STREQ(kt, ustr(t, mm->env_end, buf, sizeof(buf)), "/test/static");
	KT_EXPECT_EQ(kt, mm->env_end + sizeof("/test/static"), TOP - 8);
	KT_EXPECT_EQ(kt, uword(t, TOP - 8), 0u);

	KT_EXPECT_EQ(kt, auxval(t, AT_PHDR), 0x400040u);
	KT_EXPECT_EQ(kt, auxval(t, AT_PHENT), sizeof(Elf64_Phdr));
	KT_EXPECT_EQ(kt, auxval(t, AT_PHNUM), ARRAY_SIZE(static_ph));
	KT_EXPECT_EQ(kt, auxval(t, AT_PAGESZ), PAGE_SIZE);
	KT_EXPECT_EQ(kt, auxval(t, AT_BASE), 0u);
	KT_EXPECT_EQ(kt, auxval(t, AT_ENTRY), 0x400100u);
	KT_EXPECT_EQ(kt, auxval(t, AT_CLKTCK), 100u);
	KT_EXPECT_EQ(kt, auxval(t, AT_SECURE), 0u);
	KT_EXPECT_STREQ(kt, ustr(t, auxval(t, AT_PLATFORM), buf, sizeof(buf)), "aarch64");
	/* The platform string 16-byte aligned below the strings, the random bytes below it, the
	 * vector right under them. */
	vaddr_t plat = auxval(t, AT_PLATFORM), rnd = auxval(t, AT_RANDOM);
	KT_EXPECT_EQ(kt, plat, (mm->arg_start & ~15ULL) - 8);
	KT_EXPECT_EQ(kt, rnd, plat - 16);
	KT_EXPECT_TRUE(kt, uword(t, rnd) || uword(t, rnd + 8));
	KT_EXPECT_EQ(kt, auxval(t, 0x7777), ~0ULL); /* no such entry: the walk ends at AT_NULL */
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

/* What an exec that fails must leave: the task's old address space, untouched. */
static void expect_kept(struct ktest *kt, struct task_struct *t, struct mm_struct *old)
{
	struct ksiginfo info;
	char c = 0;

	KT_EXPECT_TRUE(kt, t->mm == old);
	KT_EXPECT_EQ(kt, old->vmas.count, 1u);
	KT_EXPECT_EQ(kt, sim_user_read(t, 0, 0x10000000, &c, 1, &info), 0);
	KT_EXPECT_EQ(kt, c, 'x');
	KT_EXPECT_STREQ(kt, t->comm, "sh");
	VM_CHECK(kt, t);
}

/* Run do_execve of @im on a busy task: the result, the old mm kept on failure, nothing leaked. */
static int try_exec(struct ktest *kt, struct img *im, const char *const *argv,
		    exec_open_fn open_interp, void *ctx)
{
	struct footprint before = footprint();
	struct task_struct *t = busy_task(kt);
	struct file *f = img_file(kt, im, "/test/img");
	int r = -1;

	if (t && f) {
		struct mm_struct *old = t->mm;

		r = do_execve(t, f, argv ? argv : (const char *[]){ "img", NULL }, NULL,
			      open_interp, ctx);
		if (r)
			expect_kept(kt, t, old);
	}
	if (t)
		do_exit(t);
	if (f)
		fput(f);
	footprint_same(kt, before, footprint());
	return r;
}

/* Another machine, another class or byte order, a relocatable object, text, a short file: not
 * executables (-ENOEXEC); x86-64 is (the host's programs). */
KTEST(exec, rejects_what_is_no_executable)
{
	static struct img im;
	struct vm_env e;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_static(&im, EM_X86_64);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), 0);
	img_static(&im, 243); /* EM_RISCV */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_static(&im, 3); /* EM_386 */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_static(&im, EM_AARCH64);
	im.data[EI_CLASS] = 1; /* ELFCLASS32 */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_static(&im, EM_AARCH64);
	im.data[EI_DATA] = 2; /* ELFDATA2MSB */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_elf(&im, 1 /* ET_REL */, EM_AARCH64, 0, static_ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, static_ph, 0, 0x2000, NULL); /* no phdrs */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	memcpy(im.data, "#!/bin/sh\necho hello\n", 22);
	im.size = 22;
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	img_static(&im, EM_AARCH64);
	im.size = 40; /* a header cut short */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	static Elf64_Phdr many[74]; /* over a page of them */
	memcpy(many, static_ph, sizeof(static_ph));
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, many, ARRAY_SIZE(many), 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC);
	Elf64_Phdr ph[3] = { { PT_INTERP, PF_R, 0x200, 0x200, 0x200, 1, 1, 1 },
			     static_ph[0],
			     static_ph[1] };
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, ph, 3, 0x2000, "");
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -ENOEXEC); /* a 1-byte path */
	ph[0] = (Elf64_Phdr){ PT_LOAD, RX, 0, 0, 0, 0, 0, 0x1000 };
	img_elf(&im, ET_DYN, EM_AARCH64, 0x100, ph, 1, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EINVAL); /* a PIE of no size */
	img_static(&im, EM_AARCH64);
	im.size = 0x100; /* the headers there, not the data: padzero's write faults (SIGBUS) */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EFAULT);
	vm_env_fini(&e);
}

/* Bad segments (-EINVAL), argument lists over Linux's limits (-E2BIG), argc 0 (argv[0] ""). */
KTEST(exec, bad_segments_and_arguments)
{
	static struct img im;
	static char big[MAX_ARG_STRLEN + 1];
	const char *many[24];
	struct vm_env e;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	Elf64_Phdr ph[2] = { static_ph[0], static_ph[1] };
	ph[1].p_offset = 0x1801; /* not congruent to p_vaddr modulo a page */
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EINVAL);
	ph[1] = static_ph[1];
	ph[1].p_memsz = 0x100; /* smaller than p_filesz */
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EINVAL);
	ph[1] = static_ph[1];
	ph[0].p_vaddr = TOP - 0x2000; /* over the stack: MAP_FIXED_NOREPLACE refuses */
	img_elf(&im, ET_EXEC, EM_AARCH64, 0x400100, ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EEXIST);
	img_elf(&im, ET_EXEC, EM_AARCH64, TOP, static_ph, 2, 0x2000, NULL); /* entry */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, NULL, NULL, NULL), -EINVAL);

	img_static(&im, EM_AARCH64);
	memset(big, 'a', sizeof(big) - 1);
	KT_EXPECT_EQ(kt, try_exec(kt, &im, (const char *[]){ "img", big, NULL }, NULL, NULL),
		     -E2BIG);
	big[sizeof(big) - 2] = '\0'; /* MAX_ARG_STRLEN with its NUL: allowed */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, (const char *[]){ "img", big, NULL }, NULL, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(many) - 1; i++)
		many[i] = big; /* 23 * 128 KiB: over a quarter of the 8 MiB stack limit */
	many[ARRAY_SIZE(many) - 1] = NULL;
	KT_EXPECT_EQ(kt, try_exec(kt, &im, many, NULL, NULL), -E2BIG);
	many[15] = NULL; /* 15 * 128 KiB fit */
	KT_EXPECT_EQ(kt, try_exec(kt, &im, many, NULL, NULL), 0);
	vm_env_fini(&e);
}

/*
 * A PIE and its interpreter, both AArch64 and 64 KiB aligned as arm64 links them:
 *
 *   PIE     R X [0, 0x800)             RW [0x10c00, 0x10d00) no bss
 *   interp  R X [0, 0x1200) file 0     RW [0x11f00, 0x11f80) file 0x1f00, bss to 0x14f00
 *
 * The PIE goes to ELF_ET_DYN_BASE aligned down to 64 KiB, 0xaaaaaaaa0000; the interpreter's
 * 0x15000 bytes right under mmap_base; brk after the PIE.
 */
static const Elf64_Phdr pie_ph[] = {
	{ PT_PHDR, PF_R, 64, 64, 64, 4 * sizeof(Elf64_Phdr), 4 * sizeof(Elf64_Phdr), 8 },
	{ PT_INTERP, PF_R, 0x200, 0x200, 0x200, 13, 13, 1 },
	{ PT_LOAD, RX, 0, 0, 0, 0x800, 0x800, 0x10000 },
	{ PT_LOAD, RW, 0xc00, 0x10c00, 0x10c00, 0x100, 0x100, 0x10000 },
};
static const Elf64_Phdr interp_ph[] = {
	{ PT_LOAD, RX, 0, 0, 0, 0x1200, 0x1200, 0x10000 },
	{ PT_LOAD, RW, 0x1f00, 0x11f00, 0x11f00, 0x80, 0x3000, 0x10000 },
};

/* The interpreter opener of these tests: @ctx is the image, or NULL for "no such file". */
static struct file *open_img(void *ctx, const char *path, int *err)
{
	struct file *f = NULL;

	if (ctx && !strcmp(path, "/lib/ld.so.1"))
		f = file_create_backed(&mm_default_system, path, ((struct img *)ctx)->size,
				       &img_ops, ctx, FMODE_READ | FMODE_EXEC);
	if (!f)
		*err = ctx ? -ENOMEM : -ENOENT;
	return f;
}

KTEST(exec, pie_with_interpreter)
{
	static struct img pie, interp;
	const unsigned long long bias = 0xaaaaaaaa0000ULL, base = MMAP_BASE - 0x15000;
	struct vm_env e;
	struct task_struct *t;
	struct file *f;
	char want[1024];

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	struct footprint before = footprint();
	img_elf(&pie, ET_DYN, EM_AARCH64, 0x100, pie_ph, ARRAY_SIZE(pie_ph), 0xd00, "/lib/ld.so.1");
	img_elf(&interp, ET_DYN, EM_AARCH64, 0x40, interp_ph, 2, 0x2000, NULL);
	t = task_create("sh");
	f = img_file(kt, &pie, "/test/pie");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, NULL, NULL, open_img, &interp), 0);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 2u); /* the stack, the interpreter's data */
	snprintf(want, sizeof(want),
		 "%012llx-%012llx r-xp 00000000 00:00 0%26s/test/pie\n"
		 "%012llx-%012llx rw-p 00000000 00:00 0%26s/test/pie\n"
		 "%012llx-%012llx r-xp 00000000 00:00 0%26s/lib/ld.so.1\n"
		 "%012llx-%012llx rw-p 00001000 00:00 0%26s/lib/ld.so.1\n"
		 "%012llx-%012llx rw-p 00000000 00:00 0 \n"
		 "fffffffdf000-1000000000000 rw-p 00000000 00:00 0%25s[stack]\n",
		 bias, bias + 0x1000, "", bias + 0x10000, bias + 0x11000, "", base, base + 0x2000,
		 "", base + 0x11000, base + 0x12000, "", base + 0x12000, base + 0x15000, "");
	char *maps = proc_text(t->mm, show_maps);
	KT_EXPECT_STREQ(kt, maps, want);
	free(maps);
	KT_EXPECT_EQ(kt, t->mm->start_brk, bias + 0x11000);
	KT_EXPECT_EQ(kt, auxval(t, AT_BASE), base);
	KT_EXPECT_EQ(kt, auxval(t, AT_ENTRY), bias + 0x100);
	KT_EXPECT_EQ(kt, auxval(t, AT_PHDR), bias + 64);
	KT_EXPECT_EQ(kt, auxval(t, AT_PHNUM), 4u);
	KT_EXPECT_EQ(kt, uword(t, base + 0x11f78), le64(&interp.data[0x1f78]));
	KT_EXPECT_EQ(kt, uword(t, base + 0x11f80), 0u); /* padzero */
	KT_EXPECT_EQ(kt, uword(t, base + 0x14ef8), 0u);
	KT_EXPECT_NULL(kt, mm_check(t->mm));
	do_exit(t);
	fput(f);
	footprint_same(kt, before, footprint());

	/* With 4 KiB alignment the PIE lands at ELF_ET_DYN_BASE itself. */
	Elf64_Phdr ph[ARRAY_SIZE(pie_ph)];
	memcpy(ph, pie_ph, sizeof(ph));
	ph[2].p_align = ph[3].p_align = PAGE_SIZE;
	img_elf(&pie, ET_DYN, EM_AARCH64, 0x100, ph, ARRAY_SIZE(ph), 0xd00, "/lib/ld.so.1");
	t = task_create("sh");
	f = img_file(kt, &pie, "/test/pie");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, NULL, NULL, open_img, &interp), 0);
	KT_EXPECT_EQ(kt, vma_first(&t->mm->vmas)->vm_start, ET_DYN_BASE);
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

/* The interpreter missing (its opener's error), no ELF file, for another machine (-ELIBBAD), a
 * path without its NUL (-ENOEXEC). */
KTEST(exec, interpreter_errors)
{
	static struct img pie, interp;
	struct vm_env e;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_elf(&pie, ET_DYN, EM_AARCH64, 0x100, pie_ph, ARRAY_SIZE(pie_ph), 0xd00, "/lib/ld.so.1");
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, open_img, NULL), -ENOENT);
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, NULL, NULL), -ENOENT);
	memcpy(interp.data, "not an ELF file", 16);
	interp.size = 16;
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, open_img, &interp), -ELIBBAD);
	img_elf(&interp, ET_DYN, 243, 0x40, interp_ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, open_img, &interp), -ELIBBAD);
	img_elf(&interp, ET_DYN, EM_AARCH64, 0x40, interp_ph, 2, 0x2000, NULL);
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, open_img, &interp), 0);
	pie.data[0x200 + 12] = '1'; /* "/lib/ld.so.11": no NUL within p_filesz */
	KT_EXPECT_EQ(kt, try_exec(kt, &pie, NULL, open_img, &interp), -ENOEXEC);
	vm_env_fini(&e);
}

/* A PIE without an interpreter (a static PIE, or ld.so run by hand) goes where mmap puts it,
 * right under mmap_base, its brk after it; argc 0 gets argv[0] = "" as Linux gives it; an
 * executable stack asked for by PT_GNU_STACK is executable. */
KTEST(exec, static_pie_argc0_exec_stack)
{
	static struct img im;
	const uint64_t base = MMAP_BASE - 0x11000;
	struct vm_env e;
	struct task_struct *t;
	struct file *f;
	char buf[8];
	Elf64_Phdr ph[3] = { pie_ph[2], pie_ph[3], { PT_GNU_STACK, RW | PF_X, 0, 0, 0, 0, 0, 16 } };

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_elf(&im, ET_DYN, EM_X86_64, 0x100, ph, ARRAY_SIZE(ph), 0xd00, NULL);
	t = task_create("sh");
	f = img_file(kt, &im, "/test/spie");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, (const char *[]){ NULL }, NULL, NULL, NULL), 0);
	struct vm_area_struct *v = vma_first(&t->mm->vmas);
	KT_EXPECT_EQ(kt, v->vm_start, base);
	KT_EXPECT_EQ(kt, t->mm->brk, base + 0x11000);
	KT_EXPECT_EQ(kt, uword(t, t->mm->start_stack), 1u);
	KT_EXPECT_STREQ(kt, ustr(t, uword(t, t->mm->start_stack + 8), buf, sizeof(buf)), "");
	KT_EXPECT_EQ(kt, uword(t, t->mm->start_stack + 16), 0u);
	v = vma_last(&t->mm->vmas);
	KT_EXPECT_EQ(kt, v->vm_flags & (VM_GROWSDOWN | VM_EXEC), VM_GROWSDOWN | VM_EXEC);
	KT_EXPECT_EQ(kt, v->vm_start, STACK_VMA);
	struct ksiginfo info;
	KT_EXPECT_EQ(kt, sim_user_exec(t, 0, t->mm->start_stack, &info), 0);
	KT_EXPECT_NULL(kt, mm_check(t->mm));
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

/* smaps of the static executable right after exec: its counts and Linux 6.1's lines. */
KTEST(exec, smaps)
{
	static const char stack[] =
	    "fffffffdf000-1000000000000 rw-p 00000000 00:00 0                         [stack]\n"
	    "Size:                132 kB\n"
	    "KernelPageSize:        4 kB\n"
	    "MMUPageSize:           4 kB\n"
	    "Rss:                   4 kB\n"
	    "Pss:                   4 kB\n"
	    "Pss_Dirty:             4 kB\n"
	    "Shared_Clean:          0 kB\n"
	    "Shared_Dirty:          0 kB\n"
	    "Private_Clean:         0 kB\n"
	    "Private_Dirty:         4 kB\n"
	    "Referenced:            4 kB\n"
	    "Anonymous:             4 kB\n"
	    "LazyFree:              0 kB\n"
	    "AnonHugePages:         0 kB\n"
	    "ShmemPmdMapped:        0 kB\n"
	    "FilePmdMapped:         0 kB\n"
	    "Shared_Hugetlb:        0 kB\n"
	    "Private_Hugetlb:       0 kB\n"
	    "Swap:                  0 kB\n"
	    "SwapPss:               0 kB\n"
	    "Locked:                0 kB\n"
	    "THPeligible:    0\n"
	    "VmFlags: rd wr mr mw me gd ac \n";
	static struct img im;
	struct mem_size_stats mss;
	struct vm_env e;
	struct task_struct *t, *c;
	struct file *f;

	if (!vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	img_static(&im, EM_AARCH64);
	t = task_create("sh");
	f = img_file(kt, &im, "/test/static");
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, NULL, NULL, NULL, NULL), 0);
	char *text = proc_text(t->mm, show_smaps);
	KT_EXPECT_NOT_NULL(kt, strstr(text, stack));
	KT_EXPECT_NOT_NULL(kt, strstr(text, "/test/static\nSize:                  8 kB\n"));
	KT_EXPECT_NOT_NULL(kt, strstr(text, "VmFlags: rd ex mr mw me \n"));
	free(text);

	/* Read the text in; fork: the text is shared by two, the data page copied privately. */
	uword(t, 0x400000);
	uword(t, 0x401000);
	KT_ASSERT_EQ(kt, do_fork(t, &c), 0);
	smap_gather_stats(vma_first(&t->mm->vmas), &mss);
	KT_EXPECT_EQ(kt, mss.resident, 2 * PAGE_SIZE);
	KT_EXPECT_EQ(kt, mss.shared_clean, 2 * PAGE_SIZE);
	KT_EXPECT_EQ(kt, mss.pss >> PSS_SHIFT, PAGE_SIZE);
	KT_EXPECT_EQ(kt, mss.anonymous, 0u);
	smap_gather_stats(vma_next(vma_first(&c->mm->vmas)), &mss);
	KT_EXPECT_EQ(kt, mss.anonymous, PAGE_SIZE);
	KT_EXPECT_EQ(kt, mss.shared_dirty, PAGE_SIZE);
	KT_EXPECT_EQ(kt, mss.pss_dirty >> PSS_SHIFT, PAGE_SIZE / 2);
	do_exit(c);
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

/* The maps line of each named anonymous mapping of this very process (its [stack], [heap],
 * [vvar]...) rebuilt from its fields comes out as the host kernel printed it. */
KTEST(exec, maps_line_matches_host_kernel)
{
	char line[512], mine[512], perms[8], name[64];
	unsigned long long start, end, off;
	unsigned int n = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	KT_ASSERT_NOT_NULL(kt, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx-%llx %4s %llx 00:00 0 %63s", &start, &end, perms, &off,
			   name) != 5 ||
		    name[0] != '[')
			continue;
		struct proc_maps_entry e = {
			.start = start, .end = end, .offset = off, .path = name
		};
		memcpy(e.perms, perms, sizeof(e.perms));
		KT_EXPECT_EQ(kt, proc_maps_line(&e, mine, sizeof(mine)), (int)strlen(line));
		KT_EXPECT_STREQ(kt, mine, line);
		n++;
	}
	fclose(f);
	KT_EXPECT_GE(kt, n, 1u);
	/* A newline in a name escaped as seq_file_path does it. */
	struct proc_maps_entry nl = { 0x1000, 0x2000, "r--p", 0, "/a\nb" };
	proc_maps_line(&nl, mine, sizeof(mine));
	KT_EXPECT_STREQ(kt, mine + 73, "/a\\012b\n");
	/* Truncation as snprintf: the length it needs, the buffer NUL-terminated. */
	struct proc_maps_entry e = { 0x1000, 0x2000, "r--p", 0, "/x" };
	KT_EXPECT_EQ(kt, proc_maps_line(&e, mine, 10), 76);
	KT_EXPECT_STREQ(kt, mine, "00001000-");
}

/* ---- the host's programs
 * ------------------------------------------------------------------------- */

static struct file *open_host(void *ctx, const char *path, int *err)
{
	(void)ctx;
	return sim_file_open(path, FMODE_READ | FMODE_EXEC, err);
}

/*
 * exec the host program @path: its PT_LOADs at ELF_ET_DYN_BASE (a PIE) as readelf -lW lists
 * them, its interpreter's under mmap_base, the stack at the top; nothing of the files read into
 * the page tables; then fork and exit leaving nothing behind.
 */
static void exec_host(struct ktest *kt, const char *path)
{
	struct proc_maps_entry want[RELF_MAX_LOAD * 2];
	struct relf prog, interp;
	char real[512], ireal[512];
	struct task_struct *t, *c;
	struct file *f;
	int err;

	if (!KT_EXPECT_TRUE(kt, relf_read(path, &prog)) ||
	    !KT_EXPECT_TRUE(kt, relf_read(prog.interp, &interp)) ||
	    !KT_EXPECT_NOT_NULL(kt, realpath(path, real)) ||
	    !KT_EXPECT_NOT_NULL(kt, realpath(prog.interp, ireal)))
		return;
	KT_EXPECT_TRUE(kt, prog.dyn);
	struct footprint before = footprint();
	t = task_create("sh");
	f = sim_file_open(path, FMODE_READ | FMODE_EXEC, &err);
	if (!KT_EXPECT_TRUE(kt, t && f))
		return;
	KT_ASSERT_EQ(kt, do_execve(t, f, (const char *[]){ path, NULL }, NULL, open_host, NULL), 0);
	uint64_t bias = ET_DYN_BASE & ~(relf_max_align(&prog) - 1);
	uint64_t base = MMAP_BASE - relf_total_size(&interp);
	unsigned int n = relf_maps(&prog, bias, real, true, want, ARRAY_SIZE(want));
	const struct vm_area_struct *v = expect_maps(kt, vma_first(&t->mm->vmas), want, n);
	n = relf_maps(&interp, base, ireal, false, want, ARRAY_SIZE(want));
	v = expect_maps(kt, v, want, n);
	want[0] = (struct proc_maps_entry){ STACK_VMA, TOP, "rw-p", 0, "[stack]" };
	v = expect_maps(kt, v, want, 1);
	KT_EXPECT_NULL(kt, v);
	KT_EXPECT_EQ(kt, auxval(t, AT_ENTRY), bias + prog.entry);
	KT_EXPECT_EQ(kt, auxval(t, AT_BASE), base);
	KT_EXPECT_EQ(kt, auxval(t, AT_PHNUM), prog.nphdr);
	/* The stack page, and the two pages padzero wrote (private copies); no file page. */
	KT_EXPECT_EQ(kt, t->mm->rss[MM_ANONPAGES], 3u);
	KT_EXPECT_EQ(kt, t->mm->rss[MM_FILEPAGES], 0u);
	KT_EXPECT_NULL(kt, mm_check(t->mm));

	KT_EXPECT_EQ(kt, uword(t, bias), le64("\177ELF\2\1\1\0"));
	KT_ASSERT_EQ(kt, do_fork(t, &c), 0);
	KT_EXPECT_EQ(kt, uword(c, bias), le64("\177ELF\2\1\1\0"));
	VM_CHECK(kt, t, c);
	do_exit(t);
	do_exit(c);
	fput(f);
	footprint_same(kt, before, footprint());
}

KTEST(exec, host_true_and_ls_as_readelf_says)
{
	struct vm_env e;

	if (!vm_env_init(kt, &e, 1, 256ULL << 20))
		return;
	exec_host(kt, "/bin/true");
	exec_host(kt, "/bin/ls");
	vm_env_fini(&e);
}

/* The host's dynamic loader run by hand (an ET_DYN without PT_INTERP): right under mmap_base,
 * its brk after it, as Linux places a loader. */
KTEST(exec, host_loader_run_directly)
{
	struct proc_maps_entry want[RELF_MAX_LOAD * 2];
	const char *ld = "/lib64/ld-linux-x86-64.so.2";
	struct vm_env e;
	struct relf r;
	char real[512];
	struct task_struct *t;
	struct file *f;
	int err;

	if (!KT_EXPECT_TRUE(kt, relf_read(ld, &r)) || !KT_EXPECT_NOT_NULL(kt, realpath(ld, real)) ||
	    !vm_env_init(kt, &e, 1, 128ULL << 20))
		return;
	t = task_create("sh");
	f = sim_file_open(ld, FMODE_READ | FMODE_EXEC, &err);
	KT_ASSERT_TRUE(kt, t && f);
	KT_ASSERT_EQ(kt, do_execve(t, f, (const char *[]){ ld, "--help", NULL }, NULL, NULL, NULL),
		     0);
	uint64_t base = MMAP_BASE - relf_total_size(&r);
	unsigned int n = relf_maps(&r, base, real, true, want, ARRAY_SIZE(want));
	expect_maps(kt, vma_first(&t->mm->vmas), want, n);
	KT_EXPECT_EQ(kt, t->mm->start_brk, base + relf_total_size(&r));
	KT_EXPECT_EQ(kt, auxval(t, AT_BASE), 0u);
	KT_EXPECT_STREQ(kt, t->comm, "ld-linux-x86-64");
	do_exit(t);
	fput(f);
	vm_env_fini(&e);
}

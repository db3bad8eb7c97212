// SPDX-License-Identifier: MIT
/*
 * exec: replace a process's address space with an ELF64 image, as Linux 6.1's do_execve
 * (fs/exec.c) and load_elf_binary (fs/binfmt_elf.c) lay it out on arm64 with randomization off
 * (randomize_va_space = 0). See include/kmm/sched.h for the contract.
 *
 * The new address space is built whole, under its own mmap lock, before the old one goes: a
 * failure anywhere leaves the process as it was (Linux has a point of no return instead, in
 * begin_new_exec). The layout, with STACK_TOP = task_size:
 *
 *   [stack]   [STACK_TOP - the pages of the strings - 128 KiB, STACK_TOP): argv and envp
 *             strings at the top, below them AT_PLATFORM's string, AT_RANDOM's 16 bytes, then
 *             argc, argv[], NULL, envp[], NULL, the auxiliary vector (create_elf_tables)
 *   mmap      top-down below mmap_base: the interpreter, a PIE without one (a loader)
 *   PIE       at ELF_ET_DYN_BASE = 2/3 of task_size (arm64: 2 * DEFAULT_MAP_WINDOW_64 / 3)
 *   brk       start_brk = brk = the page after the image's end (bss included)
 *
 * Each PT_LOAD is a private file mapping of the pages holding its file bytes, with p_flags'
 * permissions; the rest of its last page is zeroed (padzero: a write, so a copy-on-write fault)
 * and the bss beyond it is anonymous (vm_brk_flags). The kernel writes the new process's memory
 * as copy_to_user does, with the user's permissions: each page is faulted in for writing
 * (handle_mm_fault) and written through the kernel's direct view of its frame.
 */
#include <kmm/elf.h>
#include <kmm/errno.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/mman.h>
#include <kmm/sched.h>
#include <kmm/slab.h>

#define MAX_ARG_STRLEN (32 * PAGE_SIZE) /* one argument or environment string, NUL included */
#define ARG_MAX 131072			/* the least the strings may always take */
#define STACK_EXPAND 131072UL		/* setup_arg_pages's stack_expand */
#define PATH_MAX 4096
#define ELF_PLATFORM "aarch64"
#define USER_HZ 100 /* AT_CLKTCK */

#define ELF_PAGESTART(v) ALIGN_DOWN((uint64_t)(v), PAGE_SIZE)
#define ELF_PAGEOFFSET(v) ((uint64_t)(v) & (PAGE_SIZE - 1))
#define ELF_PAGEALIGN(v) ALIGN_UP((uint64_t)(v), PAGE_SIZE)

/* executable_stack: what PT_GNU_STACK says. */
enum { EXSTACK_DEFAULT, EXSTACK_DISABLE_X, EXSTACK_ENABLE_X };

/* The exec in progress (Linux's struct linux_binprm). */
struct linux_binprm {
	struct mm_struct *mm;	    /* the new address space, its mmap lock held */
	struct vm_area_struct *vma; /* its stack */
	vaddr_t p;		    /* the lowest stack byte in use */
	vaddr_t exec;		    /* where the file name went (AT_EXECFN) */
	const char *filename;
	const char *const *argv, *const *envp;
	int argc, envc;
};

/* An ELF file read: its header and program headers (kmalloc'd). */
struct elf_image {
	struct file *file;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
};

/* The main image's extent as the segment loop finds it (load_elf_binary's locals). */
struct elf_extent {
	uint64_t load_bias, phdr_addr;
	uint64_t start_code, end_code, start_data, end_data;
	uint64_t elf_bss, elf_brk; /* end of the file bytes, of the memory image */
	int bss_prot;
};

/* Bytes of the string @s with its NUL. */
static size_t str_size(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n + 1;
}

static int count(const char *const *v)
{
	int n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* Linux's BAD_ADDR: not a user address of @mm (errors, as huge unsigned values, are not). */
static bool bad_addr(const struct mm_struct *mm, uint64_t a)
{
	return a >= mm->task_size;
}

/* ---- the kernel's writes to user memory ------------------------------------------------------ */

/*
 * The kernel's view of the byte at @va, its page made present and writable by a write fault
 * if it is not (a copy-on-write copy, a new page). As copy_to_user, the access is checked
 * against the user's rights: -EFAULT where the process may not write (or the fault fails),
 * -ENOMEM when the fault runs out of memory.
 */
static int user_page_for_write(struct mm_struct *mm, vaddr_t va, uint8_t **out)
{
	struct vm_area_struct *vma = find_vma(&mm->vmas, va);
	struct pte_attrs a = { 0 };
	vm_fault_t f = 0;
	uint64_t desc;
	paddr_t pa;

	if (!vma || vma->vm_start > va || !(vma->vm_flags & VM_WRITE))
		return -EFAULT;
	if (!pgtable_query(&mm->pgd, va, NULL, NULL, &desc))
		pte_attrs_decode(desc, &a);
	if (a.ap != AP_RW_ALL)
		f = handle_mm_fault(vma, va, FAULT_FLAG_WRITE);
	if (f & VM_FAULT_ERROR)
		return f & VM_FAULT_OOM ? -ENOMEM : -EFAULT;
	if (pgtable_query(&mm->pgd, va, &pa, NULL, NULL))
		return -EFAULT;
	*out = (uint8_t *)ms_page_address(mm->ms, ms_pfn_to_page(mm->ms, PHYS_PFN(pa))) +
	       ELF_PAGEOFFSET(pa);
	return 0;
}

/* Write @len bytes of @src (NULL: zeros, as clear_user) at @va of @mm. 0, -EFAULT or -ENOMEM. */
static int user_write(struct mm_struct *mm, vaddr_t va, const void *src, size_t len)
{
	const uint8_t *s = src;

	while (len) {
		size_t n = PAGE_SIZE - ELF_PAGEOFFSET(va);
		uint8_t *d;
		int e = user_page_for_write(mm, va, &d);

		if (e)
			return e;
		n = n < len ? n : len;
		if (s) {
			__builtin_memcpy(d, s, n);
			s += n;
		} else {
			__builtin_memset(d, 0, n);
		}
		va += n;
		len -= n;
	}
	return 0;
}

/* ---- the new address space and its stack (fs/exec.c) ----------------------------------------- */

/*
 * The bytes copy_strings will put on the stack (the file name, envp, argv, and "" for an empty
 * argv), checked against Linux's limits (bprm_stack_limits, valid_arg_len): -E2BIG if they
 * exceed a quarter of the stack rlimit (at least ARG_MAX) less the pointers, or one is longer
 * than MAX_ARG_STRLEN.
 */
static int strings_size(const struct linux_binprm *bprm, uint64_t rlim, uint64_t *bytes)
{
	uint64_t limit = STACK_RLIMIT_DEFAULT / 4 * 3, ptrs, n = str_size(bprm->filename);

	limit = limit < rlim / 4 ? limit : rlim / 4;
	limit = limit > ARG_MAX ? limit : ARG_MAX;
	ptrs = (uint64_t)((bprm->argc ? bprm->argc : 1) + bprm->envc) * sizeof(uint64_t);
	if (limit <= ptrs)
		return -E2BIG;
	for (int i = 0; i < bprm->envc + bprm->argc; i++) {
		size_t len = str_size(i < bprm->envc ? bprm->envp[i] : bprm->argv[i - bprm->envc]);

		if (len > MAX_ARG_STRLEN)
			return -E2BIG;
		n += len;
	}
	n += bprm->argc ? 0 : 1;
	if (n > limit - ptrs)
		return -E2BIG;
	*bytes = n;
	return 0;
}

/* Copy @s below bprm->p (copy_string_kernel). */
static int copy_string(struct linux_binprm *bprm, const char *s)
{
	size_t len = str_size(s);

	bprm->p -= len;
	return user_write(bprm->mm, bprm->p, s, len);
}

/*
 * The stack VMA at STACK_TOP, covering the @bytes of strings below its top word (Linux's
 * __bprm_mm_init makes it one page and copy_strings grows it as it writes below).
 */
static int stack_vma_init(struct linux_binprm *bprm, uint64_t bytes)
{
	struct mm_struct *mm = bprm->mm;
	struct vm_area_struct *vma = vm_area_alloc(mm);

	if (!vma)
		return -ENOMEM;
	bprm->p = mm->task_size - sizeof(uint64_t);
	vma->vm_end = mm->task_size;
	vma->vm_start = ELF_PAGESTART(bprm->p - bytes);
	vma->vm_pgoff = vma->vm_start >> PAGE_SHIFT;
	/* VM_STACK_FLAGS: VM_GROWSDOWN, arm64's VM_DATA_DEFAULT_FLAGS, VM_ACCOUNT. */
	vma->vm_flags =
	    VM_GROWSDOWN | VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT;
	BUG_ON(vma_insert(&mm->vmas, vma));
	bprm->vma = vma;
	vm_stat_account(mm, vma->vm_flags, (long)((vma->vm_end - vma->vm_start) >> PAGE_SHIFT));
	return 0;
}

/* copy_strings: the file name at the top, then envp and argv, each array's last string highest;
 * an empty argv gets "" as argv[0], as Linux gives it. */
static int copy_strings(struct linux_binprm *bprm)
{
	int e = copy_string(bprm, bprm->filename);

	bprm->exec = bprm->p;
	for (int i = bprm->envc - 1; !e && i >= 0; i--)
		e = copy_string(bprm, bprm->envp[i]);
	for (int i = bprm->argc - 1; !e && i >= 0; i--)
		e = copy_string(bprm, bprm->argv[i]);
	if (!e && !bprm->argc) {
		static const char *const empty_argv[] = { "", NULL };

		e = copy_string(bprm, "");
		bprm->argv = empty_argv;
		bprm->argc = 1;
	}
	return e;
}

/* The new address space with its stack and the strings on it; its mmap lock is held for
 * writing from here on. */
static int bprm_mm_init(struct linux_binprm *bprm, struct mem_system *ms)
{
	uint64_t bytes;
	int e;

	bprm->mm = mm_alloc(&vm_user_geometry, ms);
	if (!bprm->mm)
		return -ENOMEM;
	mmap_write_lock(bprm->mm);
	e = strings_size(bprm, bprm->mm->stack_rlimit, &bytes);
	if (!e)
		e = stack_vma_init(bprm, bytes);
	return e ? e : copy_strings(bprm);
}

/*
 * The stack's final form (Linux's setup_arg_pages with stack_top = STACK_TOP, so no shift):
 * its execute permission as PT_GNU_STACK says, and 128 KiB more below the strings (up to the
 * stack rlimit). arg_start is the first string.
 */
static int setup_arg_pages(struct linux_binprm *bprm, int executable_stack)
{
	struct mm_struct *mm = bprm->mm;
	struct vm_area_struct *vma = bprm->vma;
	uint64_t rlim = ELF_PAGESTART(mm->stack_rlimit), size = vma->vm_end - vma->vm_start;

	mm->arg_start = bprm->p;
	if (executable_stack == EXSTACK_ENABLE_X) {
		change_protection(vma, vma->vm_start, vma->vm_end, vma->vm_flags | VM_EXEC);
		vma->vm_flags |= VM_EXEC;
	}
	if (expand_stack(vma, size + STACK_EXPAND > rlim ? vma->vm_end - rlim
							 : vma->vm_start - STACK_EXPAND))
		return -EFAULT;
	return 0;
}

/* ---- reading the ELF file (fs/binfmt_elf.c) -------------------------------------------------- */

/* kernel_read of exactly @len bytes (Linux's elf_read): a short read is -EIO. */
static int elf_read(struct file *f, void *buf, size_t len, uint64_t off)
{
	long n = kernel_read(f, off, buf, len);

	return n < 0 ? (int)n : (size_t)n != len ? -EIO : 0;
}

/* An ELF64 little-endian executable or shared object for AArch64 or x86-64 (elf_check_arch). */
static bool elf_header_ok(const Elf64_Ehdr *eh)
{
	return !__builtin_memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_ident[EI_DATA] == ELFDATA2LSB &&
	       (eh->e_type == ET_EXEC || eh->e_type == ET_DYN) &&
	       (eh->e_machine == EM_AARCH64 || eh->e_machine == EM_X86_64);
}

/*
 * Read @im's header and program headers (load_elf_phdrs: at most a page of them, of the ELF64
 * size). @bad is the error for a file that is no such image: -ENOEXEC for the program, -ELIBBAD
 * for its interpreter.
 */
static int elf_read_image(struct elf_image *im, int bad)
{
	size_t size;
	long n = kernel_read(im->file, 0, &im->eh, sizeof(im->eh));

	if (n < 0)
		return (int)n;
	if ((size_t)n < sizeof(im->eh) || !elf_header_ok(&im->eh) ||
	    im->eh.e_phentsize != sizeof(Elf64_Phdr))
		return bad;
	size = (size_t)im->eh.e_phnum * sizeof(Elf64_Phdr);
	if (size == 0 || size > PAGE_SIZE)
		return bad;
	im->ph = kmalloc(size, GFP_KERNEL);
	if (!im->ph)
		return -ENOMEM;
	return elf_read(im->file, im->ph, size, im->eh.e_phoff) ? bad : 0;
}

/*
 * Open and read the interpreter PT_INTERP names, if any, into @interp: its path must be a
 * NUL-terminated string of 2..PATH_MAX bytes (-ENOEXEC), then @open_interp's error or -ELIBBAD
 * for a file that is no ELF image for these machines.
 */
static int open_interpreter(const struct elf_image *ex, struct elf_image *interp,
			    exec_open_fn open_interp, void *ctx)
{
	const Elf64_Phdr *ph = ex->ph;
	char *path;
	int e;

	while (ph < ex->ph + ex->eh.e_phnum && ph->p_type != PT_INTERP)
		ph++;
	if (ph == ex->ph + ex->eh.e_phnum)
		return 0;
	if (ph->p_filesz > PATH_MAX || ph->p_filesz < 2)
		return -ENOEXEC;
	path = kmalloc(ph->p_filesz, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	e = elf_read(ex->file, path, ph->p_filesz, ph->p_offset);
	if (!e && path[ph->p_filesz - 1] != '\0')
		e = -ENOEXEC;
	if (!e && !open_interp)
		e = -ENOENT;
	if (!e)
		interp->file = open_interp(ctx, path, &e);
	kfree(path);
	return interp->file ? elf_read_image(interp, -ELIBBAD) : e;
}

static int executable_stack(const struct elf_image *ex)
{
	for (unsigned int i = 0; i < ex->eh.e_phnum; i++)
		if (ex->ph[i].p_type == PT_GNU_STACK)
			return ex->ph[i].p_flags & PF_X ? EXSTACK_ENABLE_X : EXSTACK_DISABLE_X;
	return EXSTACK_DEFAULT;
}

/* ---- mapping the segments -------------------------------------------------------------------- */

/* PROT_* of p_flags (make_prot). */
static int make_prot(uint32_t p_flags)
{
	return (p_flags & PF_R ? PROT_READ : 0) | (p_flags & PF_W ? PROT_WRITE : 0) |
	       (p_flags & PF_X ? PROT_EXEC : 0);
}

/* From the lowest page of a PT_LOAD to the end of the highest (total_mapping_size); 0: none. */
static uint64_t total_mapping_size(const struct elf_image *im)
{
	uint64_t min_addr = UINT64_MAX, max_addr = 0;

	for (unsigned int i = 0; i < im->eh.e_phnum; i++) {
		const Elf64_Phdr *ph = &im->ph[i];
		uint64_t start = ELF_PAGESTART(ph->p_vaddr), end = ph->p_vaddr + ph->p_memsz;

		if (ph->p_type != PT_LOAD)
			continue;
		min_addr = start < min_addr ? start : min_addr;
		max_addr = end > max_addr ? end : max_addr;
	}
	return min_addr == UINT64_MAX ? 0 : max_addr - min_addr;
}

/* The largest power-of-two p_align of the PT_LOADs, at least a page (maximum_alignment). */
static uint64_t maximum_alignment(const struct elf_image *im)
{
	uint64_t alignment = 0;

	for (unsigned int i = 0; i < im->eh.e_phnum; i++) {
		uint64_t a = im->ph[i].p_align;

		if (im->ph[i].p_type == PT_LOAD && a && !(a & (a - 1)) && a > alignment)
			alignment = a;
	}
	return ELF_PAGEALIGN(alignment);
}

/*
 * Map the file pages of segment @ph at @addr (elf_map): [PAGESTART(addr), PAGEALIGN(addr +
 * p_filesz)) from the file offset PAGESTART(p_offset). With @total_size (the first segment of a
 * relocatable image) that whole size is reserved first and all but the segment unmapped again,
 * so that an address the kernel picks has room for the image. The address, or -errno.
 */
static long elf_map(struct mm_struct *mm, struct file *file, uint64_t addr, const Elf64_Phdr *ph,
		    int prot, int type, uint64_t total_size)
{
	uint64_t size = ELF_PAGEALIGN(ph->p_filesz + ELF_PAGEOFFSET(ph->p_vaddr));
	uint64_t off = ph->p_offset - ELF_PAGEOFFSET(ph->p_vaddr);
	uint64_t len = total_size ? ELF_PAGEALIGN(total_size) : size;
	long map_addr;

	addr = ELF_PAGESTART(addr);
	if (!size)
		return (long)addr;
	/* vm_mmap: the file offset must be page aligned (p_offset ≡ p_vaddr modulo a page). */
	if (ELF_PAGEOFFSET(off) || off + len < off)
		return -EINVAL;
	map_addr = do_mmap(mm, file, addr, len, prot, type, 0, off >> PAGE_SHIFT);
	if (!bad_addr(mm, (uint64_t)map_addr) && len > size)
		do_munmap(mm, (uint64_t)map_addr + size, len - size);
	return map_addr;
}

/* The bss pages [PAGEALIGN(start), PAGEALIGN(end)) as anonymous memory, and brk after them
 * (set_brk). 0 or -errno. */
static int set_brk(struct mm_struct *mm, uint64_t start, uint64_t end, int prot)
{
	start = ELF_PAGEALIGN(start);
	end = ELF_PAGEALIGN(end);
	if (end > start) {
		int e = vm_brk_flags(mm, start, end - start, prot & PROT_EXEC ? VM_EXEC : 0);

		if (e)
			return e;
	}
	mm->start_brk = mm->brk = end;
	return 0;
}

/* Zero the rest of the page after the file bytes ending at @elf_bss (padzero). 0 or -errno. */
static int padzero(struct mm_struct *mm, uint64_t elf_bss)
{
	uint64_t nbyte = ELF_PAGEOFFSET(elf_bss);

	return nbyte ? user_write(mm, elf_bss, NULL, PAGE_SIZE - nbyte) : 0;
}

/* A segment whose memory image fits below task_size and holds its file bytes. */
static bool segment_fits(const struct mm_struct *mm, uint64_t k, const Elf64_Phdr *ph)
{
	return !bad_addr(mm, k) && ph->p_filesz <= ph->p_memsz && ph->p_memsz <= mm->task_size &&
	       mm->task_size - ph->p_memsz >= k;
}

/*
 * The bss a previous PT_LOAD left (p_memsz > p_filesz) before the next one is mapped: its pages,
 * and the rest of its last file page zeroed, where the segment's protections allow.
 */
static int map_pending_bss(struct mm_struct *mm, const struct elf_extent *x)
{
	uint64_t nbyte = ELF_PAGEOFFSET(x->elf_bss);
	int e = set_brk(mm, x->elf_bss + x->load_bias, x->elf_brk + x->load_bias, x->bss_prot);

	if (e || !nbyte)
		return e;
	nbyte = PAGE_SIZE - nbyte;
	nbyte = nbyte < x->elf_brk - x->elf_bss ? nbyte : x->elf_brk - x->elf_bss;
	/* Odd protections may make this fail: Linux does not check it either. */
	user_write(mm, x->elf_bss + x->load_bias, NULL, nbyte);
	return 0;
}

/*
 * The first PT_LOAD's placement (load_elf_binary): an ET_EXEC where it says; a PIE with an
 * interpreter at ELF_ET_DYN_BASE (aligned to the largest p_align), one without (a loader) where
 * mmap puts it. Sets the MAP_* type, *@bias (before mmap's choice) and *@total_size; 0 or
 * -EINVAL (no size).
 */
static int first_load_bias(const struct mm_struct *mm, const struct elf_image *ex, bool interp,
			   uint64_t vaddr, int *type, uint64_t *bias, uint64_t *total_size)
{
	*bias = 0;
	if (ex->eh.e_type == ET_EXEC) {
		*type |= MAP_FIXED_NOREPLACE;
		return 0;
	}
	if (interp) {
		*bias = ELF_PAGESTART(2 * mm->task_size / 3) & ~(maximum_alignment(ex) - 1);
		*type |= MAP_FIXED_NOREPLACE;
	}
	*bias = ELF_PAGESTART(*bias - vaddr);
	*total_size = total_mapping_size(ex);
	return *total_size ? 0 : -EINVAL;
}

/* The code, data, file-bytes and memory ends of @x extended by segment @ph (unrelocated). */
static void extent_add(struct elf_extent *x, const Elf64_Phdr *ph, int prot)
{
	uint64_t k = ph->p_vaddr, end = ph->p_vaddr + ph->p_filesz;

	if ((ph->p_flags & PF_X) && k < x->start_code)
		x->start_code = k;
	x->start_data = k > x->start_data ? k : x->start_data;
	x->elf_bss = end > x->elf_bss ? end : x->elf_bss;
	if ((ph->p_flags & PF_X) && x->end_code < end)
		x->end_code = end;
	x->end_data = end > x->end_data ? end : x->end_data;
	if (ph->p_vaddr + ph->p_memsz > x->elf_brk) {
		x->bss_prot = prot;
		x->elf_brk = ph->p_vaddr + ph->p_memsz;
	}
}

/* Map PT_LOAD @ph of the program (one pass of load_elf_binary's loop), extending @x. */
static int load_segment(struct mm_struct *mm, const struct elf_image *ex, bool interp,
			const Elf64_Phdr *ph, bool first, struct elf_extent *x)
{
	int prot = make_prot(ph->p_flags), type = MAP_PRIVATE | (first ? 0 : MAP_FIXED);
	uint64_t total_size = 0;
	long map_addr;
	int e;

	if (x->elf_brk > x->elf_bss) {
		e = map_pending_bss(mm, x);
		if (e)
			return e;
	}
	if (first) {
		e = first_load_bias(mm, ex, interp, ph->p_vaddr, &type, &x->load_bias, &total_size);
		if (e)
			return e;
	}
	map_addr = elf_map(mm, ex->file, x->load_bias + ph->p_vaddr, ph, prot, type, total_size);
	if (bad_addr(mm, (uint64_t)map_addr))
		return IS_ERR_VALUE(map_addr) ? (int)map_addr : -EINVAL;
	if (first && ex->eh.e_type == ET_DYN)
		x->load_bias += (uint64_t)map_addr - ELF_PAGESTART(x->load_bias + ph->p_vaddr);
	if (ph->p_offset <= ex->eh.e_phoff && ex->eh.e_phoff < ph->p_offset + ph->p_filesz)
		x->phdr_addr = ex->eh.e_phoff - ph->p_offset + ph->p_vaddr;
	if (!segment_fits(mm, ph->p_vaddr, ph))
		return -EINVAL;
	extent_add(x, ph, prot);
	return 0;
}

/* Every PT_LOAD of the program, then its bss and brk; @x ends up relocated by the bias. */
static int load_program(struct mm_struct *mm, const struct elf_image *ex, bool interp,
			struct elf_extent *x)
{
	bool first = true;
	int e;

	*x = (struct elf_extent){ .start_code = UINT64_MAX };
	for (unsigned int i = 0; i < ex->eh.e_phnum; i++) {
		if (ex->ph[i].p_type != PT_LOAD)
			continue;
		e = load_segment(mm, ex, interp, &ex->ph[i], first, x);
		if (e)
			return e;
		first = false;
	}
	x->phdr_addr += x->load_bias;
	x->elf_bss += x->load_bias;
	x->elf_brk += x->load_bias;
	x->start_code += x->load_bias;
	x->end_code += x->load_bias;
	x->start_data += x->load_bias;
	x->end_data += x->load_bias;
	/* The bss and brk before the interpreter, so that it is not placed where they go. */
	e = set_brk(mm, x->elf_bss, x->elf_brk, x->bss_prot);
	if (!e && x->elf_bss != x->elf_brk)
		e = padzero(mm, x->elf_bss);
	return e;
}

/* The interpreter's mapping in progress (load_elf_interp's locals). */
struct interp_load {
	uint64_t total_size; /* to reserve at the first segment, then 0 */
	uint64_t load_addr, elf_bss, last_bss;
	bool load_addr_set;
	int bss_prot;
};

/* Map PT_LOAD @ph of the interpreter @in (one pass of load_elf_interp's loop). */
static int load_interp_segment(struct mm_struct *mm, const struct elf_image *in,
			       const Elf64_Phdr *ph, uint64_t no_base, struct interp_load *l)
{
	int prot = make_prot(ph->p_flags), type = MAP_PRIVATE;
	long map_addr;
	uint64_t k;

	if (in->eh.e_type == ET_EXEC || l->load_addr_set)
		type |= MAP_FIXED;
	else if (no_base && in->eh.e_type == ET_DYN)
		l->load_addr = -ph->p_vaddr;
	map_addr = elf_map(mm, in->file, l->load_addr + ph->p_vaddr, ph, prot, type, l->total_size);
	l->total_size = 0;
	if (bad_addr(mm, (uint64_t)map_addr))
		return IS_ERR_VALUE(map_addr) ? (int)map_addr : -EINVAL;
	if (!l->load_addr_set && in->eh.e_type == ET_DYN) {
		l->load_addr = (uint64_t)map_addr - ELF_PAGESTART(ph->p_vaddr);
		l->load_addr_set = true;
	}
	k = l->load_addr + ph->p_vaddr;
	if (!segment_fits(mm, k, ph))
		return -ENOMEM;
	l->elf_bss = k + ph->p_filesz > l->elf_bss ? k + ph->p_filesz : l->elf_bss;
	if (k + ph->p_memsz > l->last_bss) {
		l->last_bss = k + ph->p_memsz;
		l->bss_prot = prot;
	}
	return 0;
}

/*
 * Map the interpreter (load_elf_interp): an ET_DYN where mmap puts it (@no_base: the program's
 * load bias), all of its size reserved at the first segment; the rest of its last file page
 * zeroed and its bss after it. Its load address, or -errno.
 */
static long load_interp(struct mm_struct *mm, const struct elf_image *in, uint64_t no_base)
{
	struct interp_load l = { .total_size = total_mapping_size(in) };
	uint64_t elf_bss, last_bss;
	int e = l.total_size ? 0 : -EINVAL;

	for (unsigned int i = 0; !e && i < in->eh.e_phnum; i++)
		if (in->ph[i].p_type == PT_LOAD)
			e = load_interp_segment(mm, in, &in->ph[i], no_base, &l);
	if (!e)
		e = padzero(mm, l.elf_bss);
	elf_bss = ELF_PAGEALIGN(l.elf_bss);
	last_bss = ELF_PAGEALIGN(l.last_bss);
	if (!e && last_bss > elf_bss)
		e = vm_brk_flags(mm, elf_bss, last_bss - elf_bss,
				 l.bss_prot & PROT_EXEC ? VM_EXEC : 0);
	return e ? e : (long)l.load_addr;
}

/* ---- the initial stack (create_elf_tables) --------------------------------------------------- */

/* What the auxiliary vector tells about the image. */
struct elf_tables {
	const Elf64_Ehdr *eh;
	uint64_t phdr_addr, interp_load_addr, e_entry, u_platform, u_rand_bytes;
};

static unsigned int aux(uint64_t *v, unsigned int n, uint64_t id, uint64_t val)
{
	v[n] = id;
	v[n + 1] = val;
	return n + 2;
}

/* The auxiliary vector, in create_elf_tables' order, AT_NULL included: its words. arm64 has no
 * vDSO in kmm (no AT_SYSINFO_EHDR) and the simulated CPUs report no hwcaps. */
static unsigned int fill_auxv(uint64_t *v, const struct linux_binprm *bprm,
			      const struct elf_tables *et)
{
	unsigned int n = 0;

	n = aux(v, n, AT_HWCAP, 0);
	n = aux(v, n, AT_PAGESZ, PAGE_SIZE);
	n = aux(v, n, AT_CLKTCK, USER_HZ);
	n = aux(v, n, AT_PHDR, et->phdr_addr);
	n = aux(v, n, AT_PHENT, sizeof(Elf64_Phdr));
	n = aux(v, n, AT_PHNUM, et->eh->e_phnum);
	n = aux(v, n, AT_BASE, et->interp_load_addr);
	n = aux(v, n, AT_FLAGS, 0);
	n = aux(v, n, AT_ENTRY, et->e_entry);
	n = aux(v, n, AT_UID, 0);
	n = aux(v, n, AT_EUID, 0);
	n = aux(v, n, AT_GID, 0);
	n = aux(v, n, AT_EGID, 0);
	n = aux(v, n, AT_SECURE, 0);
	n = aux(v, n, AT_RANDOM, et->u_rand_bytes);
	n = aux(v, n, AT_HWCAP2, 0);
	n = aux(v, n, AT_EXECFN, bprm->exec);
	n = aux(v, n, AT_PLATFORM, et->u_platform);
	return aux(v, n, AT_NULL, 0);
}

/* AT_RANDOM's bytes: kmm has no entropy source, so a fixed sequence (splitmix64). */
static void exec_random_bytes(uint64_t out[2])
{
	static uint64_t state = 0x6b6d6d2d65786563ULL;

	for (int i = 0; i < 2; i++) {
		uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		out[i] = z ^ (z >> 31);
	}
}

/* Write the pointers to @n strings starting at @p, then NULL, at *@sp; @p ends past them. */
static int put_string_ptrs(struct mm_struct *mm, vaddr_t *sp, vaddr_t *p, const char *const *s,
			   int n)
{
	uint64_t v;
	int e = 0;

	for (int i = 0; !e && i <= n; i++, *sp += sizeof(v)) {
		v = i < n ? *p : 0;
		if (i < n)
			*p += str_size(s[i]);
		e = user_write(mm, *sp, &v, sizeof(v));
	}
	return e;
}

/* Below the strings, from a 16-byte boundary (arm64's arch_align_stack): AT_PLATFORM's string,
 * then AT_RANDOM's bytes; @et gets their addresses. */
static int put_platform_and_random(struct linux_binprm *bprm, struct elf_tables *et)
{
	uint64_t rnd[2];
	int e;

	et->u_platform = (bprm->p & ~15UL) - sizeof(ELF_PLATFORM);
	et->u_rand_bytes = et->u_platform - sizeof(rnd);
	exec_random_bytes(rnd);
	e = user_write(bprm->mm, et->u_platform, ELF_PLATFORM, sizeof(ELF_PLATFORM));
	return e ? e : user_write(bprm->mm, et->u_rand_bytes, rnd, sizeof(rnd));
}

/*
 * The tables under AT_RANDOM's bytes, upwards from a 16-byte aligned sp: argc, argv[], NULL,
 * envp[], NULL, the auxiliary vector (create_elf_tables). Sets bprm->p to sp and the mm's
 * arg_end, env_start and env_end.
 */
static int create_elf_tables(struct linux_binprm *bprm, struct elf_tables *et)
{
	struct mm_struct *mm = bprm->mm;
	uint64_t auxv[64], argc = (uint64_t)bprm->argc, items = argc + 1 + bprm->envc + 1 + 1;
	vaddr_t sp, p = mm->arg_start;
	unsigned int words;
	int e = put_platform_and_random(bprm, et);

	if (e)
		return e;
	words = fill_auxv(auxv, bprm, et);
	sp = (et->u_rand_bytes - (words + items) * sizeof(uint64_t)) & ~15UL;
	bprm->p = sp;
	if (sp < bprm->vma->vm_start && expand_stack(bprm->vma, sp))
		return -EFAULT;
	e = user_write(mm, sp, &argc, sizeof(argc));
	sp += sizeof(argc);
	if (!e)
		e = put_string_ptrs(mm, &sp, &p, bprm->argv, bprm->argc);
	mm->arg_end = mm->env_start = p;
	if (!e)
		e = put_string_ptrs(mm, &sp, &p, bprm->envp, bprm->envc);
	mm->env_end = p;
	return e ? e : user_write(mm, sp, auxv, words * sizeof(uint64_t));
}

/* ---- load_elf_binary and do_execve ----------------------------------------------------------- */

/* Everything after the strings, on the new mm: stack, segments, brk, interpreter, tables. */
static int load_elf_image(struct linux_binprm *bprm, const struct elf_image *ex,
			  const struct elf_image *in)
{
	struct mm_struct *mm = bprm->mm;
	struct elf_tables et = { .eh = &ex->eh };
	struct elf_extent x;
	uint64_t elf_entry;
	int e = setup_arg_pages(bprm, executable_stack(ex));

	if (!e)
		e = load_program(mm, ex, in->file != NULL, &x);
	if (e)
		return e;
	et.e_entry = ex->eh.e_entry + x.load_bias;
	et.phdr_addr = x.phdr_addr;
	elf_entry = et.e_entry;
	if (in->file) {
		long base = load_interp(mm, in, x.load_bias);

		if (IS_ERR_VALUE(base))
			return (int)base;
		et.interp_load_addr = (uint64_t)base;
		elf_entry = (uint64_t)base + in->eh.e_entry;
	}
	if (bad_addr(mm, elf_entry))
		return -EINVAL;
	e = create_elf_tables(bprm, &et);
	if (e)
		return e;
	mm->start_code = x.start_code;
	mm->end_code = x.end_code;
	mm->start_data = x.start_data;
	mm->end_data = x.end_data;
	mm->start_stack = bprm->p;
	return 0;
}

/* The ELF part of exec (load_elf_binary): read the program and its interpreter, then load. */
static int load_elf_binary(struct linux_binprm *bprm, struct file *file, exec_open_fn open_interp,
			   void *ctx)
{
	struct elf_image ex = { .file = file }, in = { 0 };
	int e = elf_read_image(&ex, -ENOEXEC);

	if (!e)
		e = open_interpreter(&ex, &in, open_interp, ctx);
	if (!e)
		e = load_elf_image(bprm, &ex, &in);
	kfree(ex.ph);
	kfree(in.ph);
	if (in.file)
		fput(in.file);
	return e;
}

/* The last component of @path (kbasename). */
static const char *kbasename(const char *path)
{
	const char *tail = path;

	for (; *path; path++)
		if (*path == '/')
			tail = path + 1;
	return tail;
}

int do_execve(struct task_struct *t, struct file *file, const char *const *argv,
	      const char *const *envp, exec_open_fn open_interp, void *ctx)
{
	struct linux_binprm bprm = { .filename = file->f_mapping->name,
				     .argv = argv,
				     .envp = envp,
				     .argc = count(argv),
				     .envc = count(envp) };
	struct mm_struct *old = t->mm;
	int e = bprm_mm_init(&bprm, old->ms);

	if (!e)
		e = load_elf_binary(&bprm, file, open_interp, ctx);
	if (bprm.mm)
		mmap_write_unlock(bprm.mm);
	if (e) {
		if (bprm.mm)
			mmput(bprm.mm);
		return e;
	}
	t->mm = bprm.mm; /* exec_mmap */
	mmput(old);
	set_task_comm(t, kbasename(bprm.filename));
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * /proc/PID/maps and /proc/PID/smaps (Linux 6.1's fs/proc/task_mmu.c); see include/kmm/proc.h.
 */
#include <kmm/fault.h>
#include <kmm/fs.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/proc.h>

/* show_vma_header_prefix's seq_setwidth: 25 + 6 * sizeof(void *) - 1; names start one after. */
#define MAPS_NAME_COLUMN 72
/* A maps line: the prefix, the padding and a name of up to 127 bytes, each possibly escaped. */
#define MAPS_LINE_MAX (MAPS_NAME_COLUMN + 1 + 4 * 128 + 2)

void proc_maps_entry(const struct vm_area_struct *vma, struct proc_maps_entry *e)
{
	const struct mm_struct *mm = vma->vm_mm;
	unsigned long f = vma->vm_flags;

	*e = (struct proc_maps_entry){ .start = vma->vm_start, .end = vma->vm_end };
	e->perms[0] = f & VM_READ ? 'r' : '-';
	e->perms[1] = f & VM_WRITE ? 'w' : '-';
	e->perms[2] = f & VM_EXEC ? 'x' : '-';
	e->perms[3] = f & VM_MAYSHARE ? 's' : 'p';
	if (vma->vm_file) {
		e->offset = (uint64_t)vma->vm_pgoff << PAGE_SHIFT;
		e->path = vma->vm_file->f_mapping->name;
	} else if (vma->vm_start <= mm->brk && vma->vm_end >= mm->start_brk) {
		e->path = "[heap]";
	} else if (vma->vm_start <= mm->start_stack && vma->vm_end >= mm->start_stack) {
		e->path = "[stack]"; /* is_stack */
	}
}

/* A bounded writer that counts what it could not store, as snprintf. */
struct line {
	char *buf;
	size_t size, len;
};

static void put(struct line *l, char c)
{
	if (l->len + 1 < l->size)
		l->buf[l->len] = c;
	l->len++;
}

int proc_maps_line(const struct proc_maps_entry *e, char *buf, size_t size)
{
	struct line l = { buf, size, 0 };

	l.len = (size_t)kmm_snprintf(buf, size, "%08llx-%08llx %s %08llx 00:00 0 ",
				     (unsigned long long)e->start, (unsigned long long)e->end,
				     e->perms, (unsigned long long)e->offset);
	if (e->path) {
		while (l.len < MAPS_NAME_COLUMN)
			put(&l, ' '); /* seq_pad */
		put(&l, ' ');
		for (const char *p = e->path; *p; p++) {
			if (*p != '\n') {
				put(&l, *p);
				continue;
			}
			for (const char *esc = "\\012"; *esc; esc++) /* seq_file_path's mangle */
				put(&l, *esc);
		}
	}
	put(&l, '\n');
	if (size)
		buf[l.len < size ? l.len : size - 1] = '\0';
	return (int)l.len;
}

/* One PTE's page into @mss (smaps_pte_entry → smaps_account, order-0 pages). */
static void smaps_account(struct mem_size_stats *mss, const struct page *page, bool young,
			  bool dirty, bool locked)
{
	bool anon = page->mapping == PAGE_MAPPING_ANON;
	int mapcount = page_mapcount(page);
	uint64_t pss = (uint64_t)PAGE_SIZE << PSS_SHIFT;
	bool private = page_ref_count(page) == 1 || mapcount < 2;

	if (anon)
		mss->anonymous += PAGE_SIZE;
	mss->resident += PAGE_SIZE;
	if (young || page_flag(page, PG_referenced))
		mss->referenced += PAGE_SIZE;
	if (!private)
		pss /= (uint64_t)mapcount;
	mss->pss += pss;
	if (anon)
		mss->pss_anon += pss;
	else
		mss->pss_file += pss;
	if (locked)
		mss->pss_locked += pss;
	dirty = dirty || page_flag(page, PG_dirty);
	if (dirty)
		mss->pss_dirty += pss;
	if (dirty)
		*(private ? &mss->private_dirty : &mss->shared_dirty) += PAGE_SIZE;
	else
		*(private ? &mss->private_clean : &mss->shared_clean) += PAGE_SIZE;
}

struct smaps_walk {
	const struct vm_area_struct *vma;
	struct mem_size_stats *mss;
};

/* A leaf of the VMA's range: the VM layer maps user memory with pages only (fault.h). */
static int smaps_pte_entry(void *ctx, vaddr_t va, uint64_t *slot, unsigned int level)
{
	struct smaps_walk *w = ctx;
	const struct mm_struct *mm = w->vma->vm_mm;
	uint64_t desc = *slot;
	struct pte_attrs a;
	struct page *page;

	(void)va;
	if (level != 3)
		return 0;
	page = ms_pfn_to_page(mm->ms, PHYS_PFN(desc_oa(&mm->pgd.geom, level, desc)));
	if (!page)
		return 0;
	pte_attrs_decode(desc, &a);
	/* Dirty: an anonymous page always is; a file page once writable (no dirty bit here). */
	smaps_account(w->mss, page, a.af, page->mapping == PAGE_MAPPING_ANON || a.ap == AP_RW_ALL,
		      w->vma->vm_flags & VM_LOCKED);
	return 0;
}

void smap_gather_stats(const struct vm_area_struct *vma, struct mem_size_stats *mss)
{
	struct smaps_walk w = { vma, mss };

	*mss = (struct mem_size_stats){ 0 };
	pgtable_walk_leaves(&vma->vm_mm->pgd, vma->vm_start, vma->vm_end, smaps_pte_entry, &w);
}

static void show_map_vma(const struct vm_area_struct *vma)
{
	struct proc_maps_entry e;
	char line[MAPS_LINE_MAX];

	proc_maps_entry(vma, &e);
	proc_maps_line(&e, line, sizeof(line));
	printk("%s", line);
}

void show_maps(struct mm_struct *mm)
{
	mmap_read_lock(mm);
	for (const struct vm_area_struct *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma))
		show_map_vma(vma);
	mmap_read_unlock(mm);
}

/* The counters common to smaps and smaps_rollup (__show_smap, not rollup). */
static void show_smap_counts(const struct mem_size_stats *mss)
{
	printk("Rss:            %8lu kB\n", mss->resident >> 10);
	printk("Pss:            %8llu kB\n", (unsigned long long)(mss->pss >> PSS_SHIFT >> 10));
	printk("Pss_Dirty:      %8llu kB\n",
	       (unsigned long long)(mss->pss_dirty >> PSS_SHIFT >> 10));
	printk("Shared_Clean:   %8lu kB\n", mss->shared_clean >> 10);
	printk("Shared_Dirty:   %8lu kB\n", mss->shared_dirty >> 10);
	printk("Private_Clean:  %8lu kB\n", mss->private_clean >> 10);
	printk("Private_Dirty:  %8lu kB\n", mss->private_dirty >> 10);
	printk("Referenced:     %8lu kB\n", mss->referenced >> 10);
	printk("Anonymous:      %8lu kB\n", mss->anonymous >> 10);
	printk("LazyFree:       %8lu kB\n", mss->lazyfree >> 10);
	/* No huge pages in the VM layer yet. */
	printk("AnonHugePages:  %8u kB\n", 0u);
	printk("ShmemPmdMapped: %8u kB\n", 0u);
	printk("FilePmdMapped:  %8u kB\n", 0u);
	printk("Shared_Hugetlb: %8u kB\n", 0u);
	printk("Private_Hugetlb: %7u kB\n", 0u);
	printk("Swap:           %8lu kB\n", mss->swap >> 10);
	printk("SwapPss:        %8llu kB\n",
	       (unsigned long long)(mss->swap_pss >> PSS_SHIFT >> 10));
	printk("Locked:         %8llu kB\n",
	       (unsigned long long)(mss->pss_locked >> PSS_SHIFT >> 10));
}

/*
 * show_smap_vma_flags: the two-letter names of the flags set, in bit order, as arm64 Linux 6.1
 * names them (bit 24 is VM_ARM64_BTI, 32 VM_MTE, 33 VM_MTE_ALLOWED has no name); "??" for a
 * bit without a name.
 */
static void show_smap_vma_flags(unsigned long flags)
{
	static const char *const mnemonics[64] = {
		[0] = "rd",  [1] = "wr",  [2] = "ex",  [3] = "sh",  [4] = "mr",	 [5] = "mw",
		[6] = "me",  [7] = "ms",  [8] = "gd",  [9] = "um",  [10] = "pf", [12] = "uw",
		[13] = "lo", [14] = "io", [15] = "sr", [16] = "rr", [17] = "dc", [18] = "de",
		[20] = "ac", [21] = "nr", [22] = "ht", [23] = "sf", [24] = "bt", [25] = "wf",
		[26] = "dd", [28] = "mm", [29] = "hg", [30] = "nh", [31] = "mg", [32] = "mt",
		[33] = "",   [37] = "ui",
	};

	printk("VmFlags: ");
	for (unsigned int i = 0; i < 64; i++) {
		const char *name = mnemonics[i] ? mnemonics[i] : "??";

		if ((flags & BIT(i)) && name[0])
			printk("%s ", name);
	}
	printk("\n");
}

void show_smaps(struct mm_struct *mm)
{
	struct mem_size_stats mss;

	mmap_read_lock(mm);
	for (const struct vm_area_struct *vma = vma_first(&mm->vmas); vma; vma = vma_next(vma)) {
		smap_gather_stats(vma, &mss);
		show_map_vma(vma);
		printk("Size:           %8llu kB\n",
		       (unsigned long long)((vma->vm_end - vma->vm_start) >> 10));
		printk("KernelPageSize: %8lu kB\n", PAGE_SIZE >> 10);
		printk("MMUPageSize:    %8lu kB\n", PAGE_SIZE >> 10);
		show_smap_counts(&mss);
		printk("THPeligible:    %d\n", 0);
		show_smap_vma_flags(vma->vm_flags);
	}
	mmap_read_unlock(mm);
}

/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/maps and /proc/PID/smaps of an address space, in Linux 6.1's formats (its
 * fs/proc/task_mmu.c; mm/task_mmu.c here). Two forms: the text, printed through printk as the
 * other /proc views (mm/vmstat.c), and what each line says, for callers that format it
 * themselves (kmm-sim's JSON).
 *
 * kmm's files have no device or inode numbers: maps shows "00:00 0" for them, as for anonymous
 * memory.
 */
#ifndef KMM_PROC_H
#define KMM_PROC_H

#include <kmm/mm_struct.h>

/* What the maps line of a VMA says (show_map_vma). */
struct proc_maps_entry {
	vaddr_t start, end;
	char perms[5];	  /* "r-xp": read, write, execute, then s(hared) or p(rivate) */
	uint64_t offset;  /* the byte offset in the file; 0 when anonymous */
	const char *path; /* the file's path, "[heap]", "[stack]", or NULL (no name) */
};

/* The maps entry of @vma, a VMA of an mm (vm_mm set). */
void proc_maps_entry(const struct vm_area_struct *vma, struct proc_maps_entry *e);

/*
 * The maps line of @e with its newline, into @buf as snprintf does (NUL-terminated, truncated to
 * @size): "%08lx-%08lx %s %08llx 00:00 0 ", then for a named VMA spaces up to column 73 and
 * the name (a newline in it escaped as \012). Returns the length of the whole line.
 */
int proc_maps_line(const struct proc_maps_entry *e, char *buf, size_t size);

/* smaps' counts of one VMA (Linux's struct mem_size_stats): bytes; the pss fields are bytes
 * << PSS_SHIFT, so that a page shared by n mappers adds PAGE_SIZE / n without rounding. */
#define PSS_SHIFT 12
struct mem_size_stats {
	unsigned long resident, shared_clean, shared_dirty, private_clean, private_dirty;
	unsigned long referenced, anonymous, lazyfree, swap;
	uint64_t pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked, swap_pss;
};

/*
 * Count the pages @vma maps (smap_gather_stats), from its present PTEs: each page's size goes
 * to resident, anonymous (an anonymous page), referenced (the access flag), private or shared
 * (its map count 1 or more) and clean or dirty (anonymous, writable, or PG_dirty); pss takes
 * the page's size divided by its map count. @mss is zeroed first. The mmap lock is held.
 */
void smap_gather_stats(const struct vm_area_struct *vma, struct mem_size_stats *mss);

/* /proc/PID/maps and /proc/PID/smaps of @mm through printk (show_map, show_smap); they take
 * the mmap lock for reading. */
void show_maps(struct mm_struct *mm);
void show_smaps(struct mm_struct *mm);

#endif /* KMM_PROC_H */

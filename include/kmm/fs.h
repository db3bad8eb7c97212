/* SPDX-License-Identifier: MIT */
/*
 * Files and the page cache (seed 002 "page cache"; Linux's struct file, struct address_space and
 * mm/filemap.c, cut down to what memory mapping needs). A file is an open reference to an
 * address_space: the file's size and its cached pages, indexed by page offset. Pages come in on
 * demand from the file's backing store, read through its operations:
 *
 * - in-memory files (file_create_mem; Linux's tmpfs/shmem, and the object behind a shared
 *   anonymous mapping): no backing store; a page that is not cached yet is a new zeroed page;
 * - backed files (file_create_backed): the platform supplies a read callback (kmm-sim reads a
 *   host file with pread); reading a page in is a major fault.
 *
 * The cache holds one reference on each of its pages (page->mapping is the address_space,
 * page->index the page offset, PG_uptodate set once filled); every page-table mapping of a page
 * adds a reference and a map count. Dirty pages of a backed file are not written back (the
 * backing store is read-only to kmm); they stay in the cache until the address_space goes.
 *
 * Locking (mm/filemap.c has the order): an address_space's page index and nrpages are under its
 * i_pages lock (Linux's xa_lock of mapping->i_pages), the reference counts of the address_space
 * and of its files under its i_lock (Linux's inode i_lock; f_count is an atomic there). A
 * page's read from the backing store is done holding neither. The checker (filemap_check)
 * takes none: it is for a quiescent mapping.
 */
#ifndef KMM_FS_H
#define KMM_FS_H

#include <kmm/mm_types.h>
#include <kmm/mmzone.h>
#include <kmm/spinlock.h>

/* f_mode bits (Linux's values). */
#define FMODE_READ 0x1u
#define FMODE_WRITE 0x2u
#define FMODE_EXEC 0x20u

/* The backing store of a file. */
struct file_backing_ops {
	/* Read up to @len bytes at byte offset @off into @buf: the bytes read (fewer at the end of
	 * the file, 0 beyond it) or -errno. */
	long (*read)(void *priv, uint64_t off, void *buf, size_t len);
	/* Optional: called when the last reference to the address_space goes. */
	void (*release)(void *priv);
};

struct address_space {
	spinlock_t i_pages_lock;	    /* pages, pages_height, nrpages */
	spinlock_t i_lock;		    /* refcount, and its files' refcounts */
	struct mem_system *ms;		    /* where its pages come from */
	uint64_t size;			    /* i_size: bytes */
	const struct file_backing_ops *ops; /* NULL: an in-memory file */
	void *priv;
	void *pages;		   /* the page-cache index (mm/filemap.c's own structure) */
	unsigned int pages_height; /* its levels (mm/filemap.c); 0 when empty */
	unsigned long nrpages;	   /* pages cached */
	unsigned long refcount;	   /* files referring to it */
	char name[128];		   /* the path /proc/PID/maps shows */
};

struct file {
	struct address_space *f_mapping;
	unsigned int f_mode; /* FMODE_* */
	unsigned long refcount;
};

/*
 * A new in-memory file of @size bytes named @name (e.g. "/dev/zero (deleted)" for a shared
 * anonymous mapping, as Linux names it), opened with @mode; its pages come from @ms. NULL when
 * out of memory.
 */
struct file *file_create_mem(struct mem_system *ms, const char *name, uint64_t size,
			     unsigned int mode);

/*
 * A new file named @name of @size bytes whose data is read through @ops/@priv (release is called
 * when it goes, also when this fails), opened with @mode. NULL when out of memory.
 */
struct file *file_create_backed(struct mem_system *ms, const char *name, uint64_t size,
				const struct file_backing_ops *ops, void *priv, unsigned int mode);

/* Another reference to @f (Linux's get_file), and dropping one (fput): the last frees the file,
 * and the address_space with its cached pages when no file refers to it. Cached pages still
 * mapped or referenced elsewhere at that point are a kernel bug: reported as bad_page reports
 * (counted in ms->nr_bad_pages) and leaked, their mapping cleared. */
struct file *get_file(struct file *f);
void fput(struct file *f);

/*
 * The cached page at @index of @mapping with a reference taken for the caller, reading it in if
 * needed (Linux's filemap_fault → filemap_get_folio / read_folio): *@major (if not NULL) is set
 * when it had to be read from the backing store. Bytes beyond the end of the file in the last
 * page read as zeros. NULL with *@err = -ENOMEM (no page), -EIO (the read failed) or -EINVAL
 * (@index at or beyond the end of the file: the caller raises SIGBUS).
 */
struct page *filemap_get_page(struct address_space *mapping, uint64_t index, bool *major, int *err);

/* The cached page at @index, without a reference and without reading anything; NULL if none
 * (Linux's filemap_get_folio without FGP_CREAT; mincore asks this). */
struct page *filemap_find_page(struct address_space *mapping, uint64_t index);

/* Read @len bytes at @off of @f into @buf through the page cache (Linux's kernel_read; exec
 * reads ELF headers with it). Returns bytes read (short at the end of the file, at most Linux's
 * MAX_RW_COUNT) or -errno: -EBADF without FMODE_READ, -EINVAL for @off beyond INT64_MAX, or
 * filemap_get_page's error when nothing was read. */
long kernel_read(struct file *f, uint64_t off, void *buf, size_t len);

/*
 * Check the page cache of @mapping: every cached page has mapping and index set, PG_uptodate,
 * a reference count at least 1 + its map count, an index below the size's pages; nrpages right.
 * NULL when all hold, else a static message naming the first broken rule.
 */
const char *filemap_check(const struct address_space *mapping);

#endif /* KMM_FS_H */

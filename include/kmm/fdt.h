/* SPDX-License-Identifier: MIT */
/*
 * Memory discovery from a flattened device tree (DTB), as Linux's drivers/of/fdt.c and
 * arch/arm64/mm/init.c do it at boot, in two steps so that a bad blob changes nothing:
 *
 *   struct fdt_mem_info info;  char msg[FDT_MEM_ERRLEN];
 *   if (fdt_mem_parse(blob, size, &info, msg, sizeof(msg)))   - reads and checks everything
 *           ... msg says which node and property is wrong ...
 *   fdt_mem_apply(&info, &mb);                                 - cannot fail on a fresh memblock
 *
 * What is read (the rules of Linux, with the differences stated):
 * - memory: the children of the root whose device_type is "memory" and whose status is absent,
 *   "okay" or "ok" (arm64 Linux accepts no memory node without device_type). Their
 *   linux,usable-memory, else reg: tuples of the root's #address-cells + #size-cells (1 or 2
 *   each; absent means 1, as Linux). Zero-size tuples are skipped; each range is trimmed to whole
 *   pages (early_init_dt_add_memory_arch) and dropped when nothing is left. hotpluggable marks
 *   MEMBLOCK_HOTPLUG, numa-node-id gives the node (else NUMA_NO_NODE).
 * - reserved: the /memreserve/ block; the children of /reserved-memory with a reg (no-map,
 *   reusable or plain); the initrd of /chosen (linux,initrd-start/-end, 32 or 64 bits).
 * - limit: mem=SIZE in /chosen's bootargs (arm64's early_mem: memparse, rounded down to a page).
 * Where Linux prints a message and carries on, so does the parser, recording a warning in the
 * description (it prints nothing itself):
 * - no memory at all (Raspberry Pi blobs have memory@0 { reg = <0 0>; } that firmware fills):
 *   an empty description; what boot makes of it is the caller's business;
 * - a /reserved-memory whose #cells differ from the root's or that lacks ranges is ignored
 *   whole ("unsupported node format");
 * - the initrd is dropped (phys_initrd_size 0) with only one of its two properties, with its end
 *   below its start, or when its pages are not all memory;
 * - a no-map range that overlaps memory and a range reserved before it (in Linux's order: the
 *   initrd, /memreserve/, then the /reserved-memory children in the blob's order) is skipped,
 *   as early_init_dt_reserve_memory's -EBUSY leaves it; no-map with reusable is no-map;
 * - memory ranges overlapping with different nodes or hotplug flags are kept (memblock keeps
 *   the first node; hotpluggable marks all of its range);
 * - a range that wraps past 2^64 ends there (memblock_cap_size);
 * - what follows the size in mem= is ignored; bootargs that are not NUL-terminated lose their
 *   last byte (strlcpy), and those longer than 2047 bytes are cut there.
 * Errors remain for blobs that are broken in their structure: a bad or truncated header or
 * structure, a root #cells that is not 1 or 2, a reg or linux,usable-memory whose length is not
 * a whole number of tuples, a numa-node-id or initrd property of the wrong size, and more
 * ranges than a description holds.
 * Children of /reserved-memory without a reg (dynamic: size, alignment) are skipped: Linux
 * allocates them later, kmm does not yet.
 */
#ifndef KMM_FDT_H
#define KMM_FDT_H

#include <kmm/types.h>

struct memblock;

#define FDT_MEM_MAX 16	   /* memory ranges a description holds */
#define FDT_RSV_MAX 46	   /* reserved ranges (Qualcomm phones have 44; see fdt_mem_apply) */
#define FDT_NID_MAX 1023   /* the largest numa-node-id (Linux arm64: MAX_NUMNODES <= 1024) */
#define FDT_MEM_ERRLEN 256 /* enough for every message, unless node paths run long */
#define FDT_WARN_MAX 8	   /* warnings a description keeps */

/* Where a reserved range comes from, and so what fdt_mem_apply does with it. */
enum fdt_rsv_kind {
	FDT_RSV_MEMRESERVE, /* the /memreserve/ block: reserved */
	FDT_RSV_NOMAP,	    /* /reserved-memory child with no-map: marked MEMBLOCK_NOMAP */
	FDT_RSV_REUSABLE,   /* ... with reusable (CMA): reserved, as Linux */
	FDT_RSV_RESERVED,   /* ... with neither: reserved */
	FDT_RSV_INITRD,	    /* /chosen's initrd: reserved, whole pages */
};

struct fdt_mem_range {
	paddr_t base;  /* page-aligned */
	uint64_t size; /* whole pages, > 0 */
	int nid;       /* numa-node-id, or NUMA_NO_NODE */
	bool hotplug;
};

struct fdt_rsv_range {
	paddr_t base;
	uint64_t size; /* > 0 */
	enum fdt_rsv_kind kind;
	const char *name; /* the /reserved-memory child's name (in the blob), else NULL */
};

/* What a blob says about memory. Names point into the blob: keep it while they are used. */
struct fdt_mem_info {
	unsigned int address_cells, size_cells; /* of the root */
	unsigned int nr_memory, nr_reserved;
	struct fdt_mem_range memory[FDT_MEM_MAX];   /* in the order of the blob */
	struct fdt_rsv_range reserved[FDT_RSV_MAX]; /* sorted by base (stable) */
	uint64_t mem_limit; /* mem=, page-aligned; 0 when absent (mem=0 caps nothing, as Linux) */
	bool has_initrd;
	paddr_t initrd_start, initrd_end; /* [start, end), when has_initrd */
	unsigned int nr_warnings;	  /* all of them; the first FDT_WARN_MAX are kept */
	char warnings[FDT_WARN_MAX][FDT_MEM_ERRLEN]; /* worded as the errors */
};

/*
 * Read the memory description of the DTB at @blob (@size bytes, 8-byte aligned as libfdt
 * requires) into @info. Returns 0, or -EINVAL with a message in @err (at most @errlen bytes,
 * NUL-terminated; @errlen may be 0) naming the node and property at fault, e.g.
 *   "/memory@40000000: reg: length 20 is not a multiple of 16 (2 address + 2 size cells)"
 * Things Linux warns about are warnings in @info, not errors (see above); a blob may describe
 * no memory. On error *info is unspecified.
 */
int fdt_mem_parse(const void *blob, size_t size, struct fdt_mem_info *info, char *err,
		  size_t errlen);

/*
 * Apply a description fdt_mem_parse accepted to @mb, in arm64 Linux's order: add the memory
 * (with its node and hotplug flag), cap it to mem=, make the initrd's pages plain memory again
 * and reserve them, reserve /memreserve/ and the reserved-memory ranges, and mark the no-map
 * ones MEMBLOCK_NOMAP. Never grows a region array: returns -ENOMEM, having changed nothing,
 * when the worst case might not fit; else 0. On a fresh memblock every description fits
 * (FDT_MEM_MAX + FDT_RSV_MAX ranges make at most 2 * 62 + 1 boundaries in 128 regions).
 */
int fdt_mem_apply(const struct fdt_mem_info *info, struct memblock *mb);

/* "memreserve", "no-map", "reusable", "reserved" or "initrd". */
const char *fdt_mem_kind_name(enum fdt_rsv_kind kind);

#endif /* KMM_FDT_H */

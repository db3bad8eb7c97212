/* SPDX-License-Identifier: MIT */
/*
 * What `readelf -lW FILE` (binutils) says about an ELF file's program headers, and the
 * /proc/PID/maps lines Linux's exec makes of them: the independent reference the exec tests
 * compare kmm's layout with.
 */
#ifndef TESTS_SIM_READELF_H
#define TESTS_SIM_READELF_H

#include <kmm/proc.h>

#define RELF_MAX_LOAD 16

struct relf_load {
	uint64_t offset, vaddr, filesz, memsz, align;
	bool r, w, x;
};

struct relf {
	bool dyn;	  /* "Elf file type is DYN" */
	uint64_t entry;	  /* "Entry point 0x..." */
	char interp[256]; /* "[Requesting program interpreter: ...]", or "" */
	unsigned int nload, nphdr;
	struct relf_load load[RELF_MAX_LOAD];
};

/* Run readelf -lW on @path and parse it; false if readelf fails or says something unexpected. */
bool relf_read(const char *path, struct relf *r);

/*
 * The maps entries exec gives the image @r of the file named @name loaded at @bias, in address
 * order: per PT_LOAD its file pages [PAGESTART(bias + vaddr), PAGEALIGN(bias + vaddr + filesz))
 * at the file offset PAGESTART(offset) with its permissions, private; then, where memsz reaches
 * further pages, those as anonymous rw-p (rwxp for an executable segment) memory; neighbours
 * that Linux would merge merged. With @heap, an anonymous entry ending at the image's end (the
 * brk) is named "[heap]". Returns the number of entries (at most @max).
 */
unsigned int relf_maps(const struct relf *r, uint64_t bias, const char *name, bool heap,
		       struct proc_maps_entry *out, unsigned int max);

/* The size exec reserves for the image (Linux's total_mapping_size), page aligned. */
uint64_t relf_total_size(const struct relf *r);

/* The largest p_align of the PT_LOADs, at least a page. */
uint64_t relf_max_align(const struct relf *r);

#endif /* TESTS_SIM_READELF_H */

// SPDX-License-Identifier: MIT
/* readelf -lW's view of an ELF file and the maps Linux makes of it; see readelf.h. */
#include "readelf.h"

#include <stdio.h>
#include <string.h>

#define PSTART(v) ((v) & ~(uint64_t)(PAGE_SIZE - 1))
#define PALIGN(v) PSTART((v) + PAGE_SIZE - 1)

/* One line of readelf's output into @r; false for a LOAD line that does not parse. */
static bool relf_line(const char *line, struct relf *r)
{
	unsigned long long off, va, fsz, msz, al;
	char flg[8] = "";
	unsigned int n;

	if (strstr(line, "Elf file type is DYN"))
		r->dyn = true;
	else if (sscanf(line, "Entry point %llx", &off) == 1)
		r->entry = off;
	else if (sscanf(line, "There are %u program headers", &n) == 1)
		r->nphdr = n;
	else if (sscanf(line, " [Requesting program interpreter: %255[^]]]", r->interp) == 1)
		return true;
	else if (!strncmp(line, "  LOAD ", 7)) {
		if (r->nload == RELF_MAX_LOAD ||
		    sscanf(line, " LOAD %llx %llx %*x %llx %llx %7[RWE ]%llx", &off, &va, &fsz,
			   &msz, flg, &al) != 6)
			return false;
		r->load[r->nload++] = (struct relf_load){ .offset = off,
							  .vaddr = va,
							  .filesz = fsz,
							  .memsz = msz,
							  .align = al,
							  .r = strchr(flg, 'R') != NULL,
							  .w = strchr(flg, 'W') != NULL,
							  .x = strchr(flg, 'E') != NULL };
	}
	return true;
}

bool relf_read(const char *path, struct relf *r)
{
	char cmd[512], line[512];
	bool ok = true;
	FILE *p;

	memset(r, 0, sizeof(*r));
	snprintf(cmd, sizeof(cmd), "readelf -lW '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	while (fgets(line, sizeof(line), p))
		ok &= relf_line(line, r);
	return pclose(p) == 0 && ok && r->nload > 0;
}

uint64_t relf_total_size(const struct relf *r)
{
	uint64_t lo = UINT64_MAX, hi = 0;

	for (unsigned int i = 0; i < r->nload; i++) {
		const struct relf_load *l = &r->load[i];

		lo = PSTART(l->vaddr) < lo ? PSTART(l->vaddr) : lo;
		hi = l->vaddr + l->memsz > hi ? l->vaddr + l->memsz : hi;
	}
	return PALIGN(hi - lo);
}

uint64_t relf_max_align(const struct relf *r)
{
	uint64_t a = PAGE_SIZE;

	for (unsigned int i = 0; i < r->nload; i++)
		a = r->load[i].align > a ? r->load[i].align : a;
	return a;
}

/* @b continues @a: adjacent, same permissions, both anonymous or the same file contiguously. */
static bool mergeable(const struct proc_maps_entry *a, const struct proc_maps_entry *b)
{
	if (a->end != b->start || strcmp(a->perms, b->perms) || !a->path != !b->path)
		return false;
	return !a->path ||
	       (!strcmp(a->path, b->path) && a->offset + (a->end - a->start) == b->offset);
}

static unsigned int add(struct proc_maps_entry *out, unsigned int n, unsigned int max,
			const struct proc_maps_entry *e)
{
	if (n && mergeable(&out[n - 1], e)) {
		out[n - 1].end = e->end;
		return n;
	}
	if (n < max)
		out[n++] = *e;
	return n;
}

unsigned int relf_maps(const struct relf *r, uint64_t bias, const char *name, bool heap,
		       struct proc_maps_entry *out, unsigned int max)
{
	uint64_t brk = 0;
	unsigned int n = 0;

	for (unsigned int i = 0; i < r->nload; i++) {
		const struct relf_load *l = &r->load[i];
		uint64_t start = bias + l->vaddr, fend = PALIGN(start + l->filesz);
		uint64_t mend = PALIGN(start + l->memsz);
		struct proc_maps_entry e = { .start = PSTART(start),
					     .end = fend,
					     .offset = PSTART(l->offset),
					     .path = name };

		snprintf(e.perms, sizeof(e.perms), "%c%c%cp", l->r ? 'r' : '-', l->w ? 'w' : '-',
			 l->x ? 'x' : '-');
		if (l->filesz)
			n = add(out, n, max, &e);
		if (mend > fend) {
			e = (struct proc_maps_entry){ .start = fend, .end = mend };
			snprintf(e.perms, sizeof(e.perms), "rw%cp", l->x ? 'x' : '-');
			n = add(out, n, max, &e);
		}
		brk = mend > brk ? mend : brk;
	}
	for (unsigned int i = 0; heap && i < n; i++)
		if (!out[i].path && out[i].end == brk)
			out[i].path = "[heap]";
	return n;
}

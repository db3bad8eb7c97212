// SPDX-License-Identifier: MIT
/*
 * The kernel image a simulated board loads. kmm-sim has no separate kernel binary: the kernel is
 * kmm-sim's own code, so the image's section sizes are read from the running executable's ELF
 * section headers (/proc/self/exe) — honest figures for the boot log's "Memory:" line.
 */
#include "sim.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

/* Add section @s of the executable to the matching size of @img. */
static void account(struct boot_image *img, const Elf64_Shdr *s, const char *name)
{
	if (!(s->sh_flags & SHF_ALLOC))
		return;
	if (!strncmp(name, ".init", 5) || !strncmp(name, ".fini", 5) ||
	    !strcmp(name, ".preinit_array"))
		img->init += s->sh_size;
	else if (s->sh_type == SHT_NOBITS)
		img->bss += s->sh_size;
	else if (s->sh_flags & SHF_EXECINSTR)
		img->text += s->sh_size;
	else if (s->sh_flags & SHF_WRITE)
		img->data += s->sh_size;
	else
		img->rodata += s->sh_size;
}

static bool read_at(FILE *f, long off, void *buf, size_t n)
{
	return fseek(f, off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n;
}

int sim_image_sizes(struct boot_image *img)
{
	FILE *f = fopen("/proc/self/exe", "rb");
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strtab;
	char name[64];
	int err = -1;

	*img = (struct boot_image){ 0 };
	if (!f)
		return -1;
	if (!read_at(f, 0, &eh, sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_shentsize != sizeof(Elf64_Shdr))
		goto out;
	if (!read_at(f, (long)(eh.e_shoff + eh.e_shstrndx * sizeof(sh)), &strtab, sizeof(strtab)))
		goto out;
	for (unsigned int i = 1; i < eh.e_shnum; i++) {
		if (!read_at(f, (long)(eh.e_shoff + i * sizeof(sh)), &sh, sizeof(sh)) ||
		    !read_at(f, (long)(strtab.sh_offset + sh.sh_name), name, sizeof(name)))
			goto out;
		name[sizeof(name) - 1] = '\0';
		account(img, &sh, name);
	}
	err = 0;
out:
	fclose(f);
	return err;
}

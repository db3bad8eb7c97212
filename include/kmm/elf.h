/* SPDX-License-Identifier: MIT */
/*
 * The ELF64 file format, as far as loading an executable needs it: the file header, the program
 * headers and the auxiliary-vector keys a new process finds on its stack. Values from the System V
 * ABI ("gABI", chapters 4 and 5), the psABIs of AArch64 and x86-64 for the machine numbers, and
 * Linux's <uapi/linux/auxvec.h> for the AT_* keys. Little-endian files only (kmm's AArch64 and the
 * x86-64 hosts are both little-endian, so the structures are read as they lie in the file).
 */
#ifndef KMM_ELF_H
#define KMM_ELF_H

#include <kmm/types.h>

/* e_ident[] */
#define EI_NIDENT 16
#define EI_CLASS 4
#define EI_DATA 5
#define EI_VERSION 6
#define ELFMAG "\177ELF"
#define SELFMAG 4
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EV_CURRENT 1

/* e_type */
#define ET_EXEC 2 /* a fixed-address executable */
#define ET_DYN 3  /* position independent: a PIE or a shared object (the interpreter) */

/* e_machine */
#define EM_X86_64 62
#define EM_AARCH64 183

/* p_type */
#define PT_NULL 0
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_NOTE 4
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551u /* p_flags: whether the stack is executable */

/* p_flags */
#define PF_X 0x1u
#define PF_W 0x2u
#define PF_R 0x4u

typedef struct {
	unsigned char e_ident[EI_NIDENT];
	uint16_t e_type;
	uint16_t e_machine;
	uint32_t e_version;
	uint64_t e_entry; /* the entry point's virtual address */
	uint64_t e_phoff; /* the program header table's file offset */
	uint64_t e_shoff;
	uint32_t e_flags;
	uint16_t e_ehsize;
	uint16_t e_phentsize; /* sizeof(Elf64_Phdr) for a 64-bit file */
	uint16_t e_phnum;
	uint16_t e_shentsize;
	uint16_t e_shnum;
	uint16_t e_shstrndx;
} Elf64_Ehdr;

typedef struct {
	uint32_t p_type;
	uint32_t p_flags;
	uint64_t p_offset; /* in the file */
	uint64_t p_vaddr;
	uint64_t p_paddr;
	uint64_t p_filesz; /* bytes from the file; the rest up to p_memsz reads as zeros */
	uint64_t p_memsz;
	uint64_t p_align;
} Elf64_Phdr;

_Static_assert(sizeof(Elf64_Ehdr) == 64, "ELF64 file header is 64 bytes");
_Static_assert(sizeof(Elf64_Phdr) == 56, "ELF64 program header is 56 bytes");

/* Auxiliary vector keys (a_type of the (key, value) pairs after envp's NULL). */
#define AT_NULL 0
#define AT_IGNORE 1
#define AT_EXECFD 2
#define AT_PHDR 3 /* the program headers in memory */
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7 /* the interpreter's load address */
#define AT_FLAGS 8
#define AT_ENTRY 9 /* the program's entry point */
#define AT_NOTELF 10
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15 /* a string: the platform name */
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_BASE_PLATFORM 24
#define AT_RANDOM 25 /* 16 random bytes */
#define AT_HWCAP2 26
#define AT_EXECFN 31 /* the file name exec was given */
#define AT_SYSINFO_EHDR 33
#define AT_MINSIGSTKSZ 51

#endif /* KMM_ELF_H */

/* SPDX-License-Identifier: MIT */
/*
 * The bare-metal kernel's linker script (run through the C preprocessor for aarch64/head.h).
 * The image is linked at KIMAGE_VADDR and its sections come in the order and with the page
 * alignment struct boot_image describes (include/kmm/boot.h, mm/setup.c's layout_image): text
 * (the Image header first), rodata, init, data, bss, each starting on a page, so that the boot
 * maps each with its own permissions in swapper_pg_dir at the address it was linked at.
 */
#include <aarch64/head.h>

OUTPUT_FORMAT("elf64-littleaarch64")
OUTPUT_ARCH(aarch64)
ENTRY(_text)

SECTIONS
{
	. = KIMAGE_VADDR;
	_text = .;
	.head.text : { KEEP(*(.head.text)) }
	.text : {
		*(.text .text.*)
	}
	_etext = .;

	. = ALIGN(HEAD_PAGE_SIZE);
	__start_rodata = .;
	.rodata : {
		*(.rodata .rodata.*)
		*(.data.rel.ro .data.rel.ro.*)
		*(.got .got.plt)
	}
	ktest_cases : {
		__start_ktest_cases = .;
		KEEP(*(ktest_cases))
		__stop_ktest_cases = .;
	}
	__ex_table : ALIGN(8) {
		__start___ex_table = .;
		KEEP(*(__ex_table))
		__stop___ex_table = .;
	}

	/* Boot-only code: head.S before the MMU is on (mapped RX like text). */
	. = ALIGN(HEAD_PAGE_SIZE);
	__init_begin = .;
	.init.text : { *(.init.text) }
	__init_end = .;

	. = ALIGN(HEAD_PAGE_SIZE);
	_sdata = .;
	.data : { *(.data .data.*) }
	_edata = .;

	/* head.S zeroes [__bss_start, _end) before anything uses it. */
	. = ALIGN(HEAD_PAGE_SIZE);
	__bss_start = .;
	.bss (NOLOAD) : {
		*(.bss..pgtables)
		*(.bss..stack)
		*(.bss .bss.*)
		*(COMMON)
	}
	__bss_stop = .;
	. = ALIGN(HEAD_PAGE_SIZE);
	_end = .;

	/* The Image header's image_size: what the loader must leave free from _text on. */
	_kernel_size_le = _end - _text;

	/DISCARD/ : {
		*(.eh_frame .eh_frame_hdr .note .note.* .comment .interp .dynamic .dynsym .dynstr)
		*(.hash .gnu.hash .rela.* .rel.*)
	}
}

ASSERT(_text == KIMAGE_VADDR, "the image must start at KIMAGE_VADDR")
ASSERT(_end - _text <= EARLY_L3_TABLES * HEAD_SZ_2M, "the image outgrows head.S's early map")
ASSERT(__init_begin - _text == ALIGN(_etext - _text, HEAD_PAGE_SIZE) +
       ALIGN(__init_begin - __start_rodata, HEAD_PAGE_SIZE), "sections out of boot_image order")

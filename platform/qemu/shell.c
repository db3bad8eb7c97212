// SPDX-License-Identifier: MIT
/*
 * The interactive shell of `make qemu` (kmm.shell on the command line): one command a line on
 * the UART — the /proc-style views of the booted kernel, the boot's memblock and layout, the
 * translation registers, the in-kernel tests — until "poweroff".
 */
#include "kernel.h"

#include <aarch64/machine.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/vmalloc.h>

#define LINE_MAX 128

static void show_regs(struct kernel *k)
{
	(void)k;
	printk(
	    "SCTLR_EL1 0x%llx TCR_EL1 0x%llx MAIR_EL1 0x%llx\nTTBR0_EL1 0x%llx TTBR1_EL1 0x%llx\n",
	    (unsigned long long)read_sysreg(sctlr_el1), (unsigned long long)read_sysreg(tcr_el1),
	    (unsigned long long)read_sysreg(mair_el1), (unsigned long long)read_sysreg(ttbr0_el1),
	    (unsigned long long)read_sysreg(ttbr1_el1));
}

static void do_meminfo(struct kernel *k)
{
	(void)k;
	show_meminfo(&mm_default_system);
}

static void do_buddyinfo(struct kernel *k)
{
	(void)k;
	show_buddyinfo(&mm_default_system);
}

static void do_pagetypeinfo(struct kernel *k)
{
	(void)k;
	show_pagetypeinfo(&mm_default_system);
}

static void do_zoneinfo(struct kernel *k)
{
	(void)k;
	show_zoneinfo(&mm_default_system);
}

static void do_slabinfo(struct kernel *k)
{
	(void)k;
	show_slabinfo(&slab_default_system);
}

static void do_vmallocinfo(struct kernel *k)
{
	(void)k;
	show_vmallocinfo();
}

static void do_memblock(struct kernel *k)
{
	memblock_dump(&k->bm.memblock);
}

static void do_layout(struct kernel *k)
{
	kernel_layout_print(&k->bm.layout, &k->bm.image);
}

static void do_test(struct kernel *k)
{
	kernel_run_tests(k);
}

static void do_help(struct kernel *k);

static const struct {
	const char *name, *help;
	void (*fn)(struct kernel *k);
} commands[] = {
	{ "meminfo", "/proc/meminfo", do_meminfo },
	{ "buddyinfo", "/proc/buddyinfo", do_buddyinfo },
	{ "pagetypeinfo", "/proc/pagetypeinfo", do_pagetypeinfo },
	{ "zoneinfo", "/proc/zoneinfo", do_zoneinfo },
	{ "slabinfo", "/proc/slabinfo", do_slabinfo },
	{ "vmallocinfo", "/proc/vmallocinfo", do_vmallocinfo },
	{ "memblock", "the boot's memblock regions", do_memblock },
	{ "layout", "the kernel's virtual memory layout", do_layout },
	{ "regs", "the translation registers", show_regs },
	{ "test", "run the in-kernel tests (kmm.tests= selects)", do_test },
	{ "help", "this list", do_help },
};

static void do_help(struct kernel *k)
{
	(void)k;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		printk("  %-13s %s\n", commands[i].name, commands[i].help);
	printk("  %-13s %s\n", "poweroff", "exit QEMU");
}

/* Read a line, echoing it; backspace edits. */
static void read_line(char *buf, size_t len)
{
	size_t n = 0;

	for (;;) {
		int c = uart_getc();
		if (c == '\r' || c == '\n') {
			printk("\n");
			break;
		}
		if ((c == 0x7f || c == '\b') && n) {
			n--;
			printk("\b \b");
		} else if (c >= ' ' && c < 0x7f && n + 1 < len) {
			buf[n++] = (char)c;
			printk("%c", c);
		}
	}
	buf[n] = '\0';
}

static bool same(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

void kernel_shell(struct kernel *k)
{
	char line[LINE_MAX];

	printk("kmm shell: type help for the commands, poweroff to leave\n");
	for (;;) {
		printk("kmm> ");
		read_line(line, sizeof(line));
		if (!line[0])
			continue;
		if (same(line, "poweroff"))
			return;
		size_t i = 0;
		while (i < ARRAY_SIZE(commands) && !same(line, commands[i].name))
			i++;
		if (i < ARRAY_SIZE(commands))
			commands[i].fn(k);
		else
			printk("%s: unknown command (help lists them)\n", line);
	}
}

// SPDX-License-Identifier: MIT
/*
 * The boards and what the DTB says about them beyond memory (mm/fdt.c reads that): which board,
 * the console UART, the CPUs and how they are started (PSCI's conduit), the command line. QEMU's
 * virt hands the kernel its generated DTB in x0; raspi3b gets the real board's
 * (bcm2837-rpi-3-b.dtb) with -dtb, or none, and then runs on seed 001's built-in map.
 */
#include "kernel.h"

#include <aarch64/machine.h>
#include <kmm/printk.h>
#include <libfdt.h>

#define SZ_1G 0x40000000ULL

/*
 * Seed 001's Raspberry Pi 3 map: SDRAM from 0 up to the peripherals at 0x3f000000, less its
 * first page, where the firmware (QEMU's too) keeps the secondary cores' spin tables and code —
 * the DTB says the same with its /memreserve/.
 */
static const struct boot_region raspi3b_mem[] = { { 0x1000, 0x3f000000 - 0x1000 } };

static const struct qemu_board boards[] = {
	{
	    .name = "virt",
	    .description = "QEMU virt",
	    .compatible = "linux,dummy-virt",
	    .uart = 0x09000000,
	    .mmio = { { 0, SZ_1G } }, /* flash, GIC, UART, RTC, virtio... below RAM */
	    .nmmio = 1,
	    .ncpus = 1,
	    .cpu_mpidr = { 0 },
	},
	{
	    .name = "raspi3b",
	    .description = "Raspberry Pi 3 Model B (QEMU raspi3b)",
	    .compatible = "brcm,bcm2837",
	    .uart = 0x3f201000, /* UART0, a PL011 */
	    .builtin_mem = raspi3b_mem,
	    .nbuiltin = ARRAY_SIZE(raspi3b_mem),
	    .mmio = { { 0x3f000000, 0x1000000 }, { 0x40000000, 0x40000 } }, /* SoC, local */
	    .nmmio = 2,
	    .ncpus = 4,
	    .cpu_release = { 0, 0xe0, 0xe8, 0xf0 }, /* the firmware's spin table at 0xd8 */
	    .cpu_mpidr = { 0, 1, 2, 3 },	    /* Aff0: the core */
	    .local_mailboxes = 0x40000000,
	},
};

static void copy_str(char *dst, size_t len, const char *src, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < len && i < n && src[i]; i++)
		dst[i] = src[i];
	dst[i] = '\0';
}

/* The reg address of node @off, translated by no bus (virt's devices sit on the root). */
static paddr_t node_address(const void *fdt, int off)
{
	int parent = fdt_parent_offset(fdt, off), len;
	const fdt32_t *reg = fdt_getprop(fdt, off, "reg", &len);
	int cells = parent < 0 ? -1 : fdt_address_cells(fdt, parent);

	if (!reg || cells < 1 || cells > 2 || len < cells * 4)
		return 0;
	return cells == 2 ? (paddr_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1])
			  : fdt32_to_cpu(reg[0]);
}

/* virt: the PL011 /chosen's stdout-path names ("path" or "path:options", or an alias). */
static paddr_t stdout_uart(const void *fdt)
{
	int chosen = fdt_path_offset(fdt, "/chosen"), len, off, n = 0;
	const char *path = chosen < 0 ? NULL : fdt_getprop(fdt, chosen, "stdout-path", &len);

	if (!path)
		return 0;
	while (n < len && path[n] && path[n] != ':')
		n++;
	off = fdt_path_offset_namelen(fdt, path, n);
	if (off < 0 || fdt_node_check_compatible(fdt, off, "arm,pl011"))
		return 0;
	return node_address(fdt, off);
}

/* The affinity in the reg of CPU node @off of /cpus (@cpus) into *@mpidr; whether it has one. */
static bool cpu_reg(const void *fdt, int cpus, int off, uint64_t *mpidr)
{
	int len, cells = fdt_address_cells(fdt, cpus);
	const fdt32_t *reg = fdt_getprop(fdt, off, "reg", &len);

	if (!reg || cells < 1 || cells > 2 || len < cells * 4)
		return false;
	*mpidr = cells == 2 ? (uint64_t)fdt32_to_cpu(reg[0]) << 32 | fdt32_to_cpu(reg[1])
			    : fdt32_to_cpu(reg[0]);
	return true;
}

/* CPU node @off (affinity @mpidr) as CPU @n: how it is started, by its enable-method
 * (Documentation/arm64/booting.rst): "spin-table" with its cpu-release-addr, or "psci". */
static void dt_cpu(const void *fdt, int off, struct qemu_machine *m, unsigned int n, uint64_t mpidr)
{
	const char *method = fdt_getprop(fdt, off, "enable-method", NULL);
	int len;
	const fdt32_t *rel = fdt_getprop(fdt, off, "cpu-release-addr", &len);

	m->cpu_mpidr[n] = mpidr;
	m->cpu_release[n] = method && !__builtin_strcmp(method, "spin-table") && rel && len == 8
				? (paddr_t)fdt32_to_cpu(rel[0]) << 32 | fdt32_to_cpu(rel[1])
				: 0;
	m->cpu_psci[n] = method && !__builtin_strcmp(method, "psci");
}

/*
 * The CPU nodes: how many, the boot CPU (the one running this, by its MPIDR) as CPU 0 and the
 * others as 1, 2... in node order (at most QEMU_CPUS_MAX recorded). 0 when there are none or
 * none is the boot CPU: the board's defaults then stand, m's CPU fields may be overwritten.
 */
static unsigned int dt_cpus(const void *fdt, struct qemu_machine *m)
{
	int cpus = fdt_path_offset(fdt, "/cpus"), off;
	uint64_t boot = aarch64_mpidr(), mpidr;
	unsigned int n = 0;
	bool seen_boot = false;

	if (cpus < 0)
		return 0;
	fdt_for_each_subnode(off, fdt, cpus)
	{
		const char *type = fdt_getprop(fdt, off, "device_type", NULL);

		if (!type || __builtin_strcmp(type, "cpu") || !cpu_reg(fdt, cpus, off, &mpidr))
			continue;
		if (mpidr == boot && !seen_boot) {
			dt_cpu(fdt, off, m, 0, mpidr);
			seen_boot = true;
			continue;
		}
		if (++n < QEMU_CPUS_MAX)
			dt_cpu(fdt, off, m, n, mpidr);
	}
	return seen_boot ? n + 1 : 0;
}

/* The conduit of the /psci node, if it has PSCI 0.2's standard function ids. */
static enum psci_conduit dt_psci(const void *fdt)
{
	int off = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-0.2");
	const char *method;

	if (off < 0)
		off = fdt_node_offset_by_compatible(fdt, -1, "arm,psci-1.0");
	method = off < 0 ? NULL : fdt_getprop(fdt, off, "method", NULL);
	if (method && !__builtin_strcmp(method, "hvc"))
		return PSCI_CONDUIT_HVC;
	if (method && !__builtin_strcmp(method, "smc"))
		return PSCI_CONDUIT_SMC;
	return PSCI_CONDUIT_NONE;
}

/* The CPUs as board @b has them without a DTB. */
static void board_cpus(struct qemu_machine *m, const struct qemu_board *b)
{
	m->ncpus = b->ncpus;
	for (unsigned int i = 0; i < QEMU_CPUS_MAX; i++) {
		m->cpu_release[i] = b->cpu_release[i];
		m->cpu_mpidr[i] = b->cpu_mpidr[i];
		m->cpu_psci[i] = false;
	}
}

/* The DTB through head.S's window, or NULL with the reason in m->error. */
static const void *map_window(struct qemu_machine *m, paddr_t fdt_phys)
{
	const void *fdt = (const void *)(EARLY_FDT_VA + (fdt_phys & (HEAD_SZ_2M - 1)));
	uint64_t room = 2 * HEAD_SZ_2M - (fdt_phys & (HEAD_SZ_2M - 1));
	int err = fdt_check_header(fdt);

	if (err) {
		kmm_snprintf(m->error, sizeof(m->error), "the DTB at 0x%llx: %s",
			     (unsigned long long)fdt_phys, fdt_strerror(err));
		return NULL;
	}
	if (fdt_totalsize(fdt) > room || fdt_totalsize(fdt) > HEAD_SZ_2M) {
		kmm_snprintf(m->error, sizeof(m->error),
			     "the DTB at 0x%llx: %u bytes, more than booting.rst's 2M",
			     (unsigned long long)fdt_phys, fdt_totalsize(fdt));
		return NULL;
	}
	return fdt;
}

void board_probe(struct qemu_machine *m, paddr_t fdt_phys)
{
	const void *fdt = fdt_phys ? map_window(m, fdt_phys) : NULL;
	const struct qemu_board *b = &boards[1]; /* QEMU boots only the raspi3b without a DTB */

	for (size_t i = 0; fdt && i < ARRAY_SIZE(boards); i++)
		if (!fdt_node_check_compatible(fdt, 0, boards[i].compatible))
			b = &boards[i];
	m->board = b;
	m->fdt = fdt;
	m->fdt_phys = fdt ? fdt_phys : 0;
	m->fdt_size = fdt ? fdt_totalsize(fdt) : 0;
	m->uart = b->uart;
	board_cpus(m, b);
	m->psci = PSCI_CONDUIT_NONE;
	if (!fdt)
		return;
	if (b == &boards[0] && stdout_uart(fdt))
		m->uart = stdout_uart(fdt);
	unsigned int ncpus = dt_cpus(fdt, m);
	if (ncpus)
		m->ncpus = ncpus < QEMU_CPUS_MAX ? ncpus : QEMU_CPUS_MAX;
	else
		board_cpus(m, b);
	m->psci = dt_psci(fdt);
	int chosen = fdt_path_offset(fdt, "/chosen"), len;
	const char *args = chosen < 0 ? NULL : fdt_getprop(fdt, chosen, "bootargs", &len);
	if (args)
		copy_str(m->bootargs, sizeof(m->bootargs), args, (size_t)len);
}

bool bootarg(const struct qemu_machine *m, const char *key, char *val, size_t len)
{
	size_t klen = __builtin_strlen(key);

	if (len)
		val[0] = '\0';
	for (const char *p = m->bootargs; *p;) {
		while (*p == ' ')
			p++;
		const char *end = p;
		while (*end && *end != ' ')
			end++;
		if ((size_t)(end - p) >= klen && !__builtin_memcmp(p, key, klen) &&
		    (p + klen == end || p[klen] == '=')) {
			if (len && p + klen < end)
				copy_str(val, len, p + klen + 1, (size_t)(end - p - klen - 1));
			return true;
		}
		p = end;
	}
	return false;
}

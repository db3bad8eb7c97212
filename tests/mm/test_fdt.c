// SPDX-License-Identifier: MIT
/*
 * Memory discovery from device trees (mm/fdt.c): the trees of tests/data/dt (compiled by dtc at
 * build time and linked in as arrays, see dt_blobs.h) parsed and applied to a memblock, and bad
 * trees made by editing copies of them with libfdt. Expected layouts are in each .dts file.
 */
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/fdt.h>
#include <kmm/memblock.h>
#include <kmm/printk.h>

#include <libfdt.h>

#include "../ktest/ktest.h"
#include "dt_blobs.h"

#define K(x) ((uint64_t)(x) << 10)
#define M(x) ((uint64_t)(x) << 20)
#define G(x) ((uint64_t)(x) << 30)

static struct fdt_mem_info info;
static struct memblock mb;
static char msg[FDT_MEM_ERRLEN];
/* A writable copy of a tree, with room to grow its properties. */
static uint64_t work[2048];

/* Parse @blob, expecting success with @nwarn warnings. */
static bool parse_ok_warned(struct ktest *kt, const void *blob, size_t size, unsigned int nwarn)
{
	int e = fdt_mem_parse(blob, size, &info, msg, sizeof(msg));

	if (e)
		ktest_log(kt, "fdt_mem_parse: %s", msg);
	for (unsigned int i = 0; !e && i < info.nr_warnings && i < FDT_WARN_MAX; i++)
		ktest_log(kt, "warning: %s", info.warnings[i]);
	return KT_EXPECT_EQ(kt, e, 0) && KT_EXPECT_STREQ(kt, msg, "") &&
	       KT_EXPECT_EQ(kt, info.nr_warnings, nwarn);
}

/* Parse @blob, expecting success without a warning. */
static bool parse_ok(struct ktest *kt, const void *blob, size_t size)
{
	return parse_ok_warned(kt, blob, size, 0);
}

/* Parse @blob, expecting success with one warning, @want. */
static bool parse_warns(struct ktest *kt, const void *blob, size_t size, const char *want)
{
	return parse_ok_warned(kt, blob, size, 1) && KT_EXPECT_STREQ(kt, info.warnings[0], want);
}

/* Parse @blob, expecting -EINVAL and the message @want. */
static void parse_fails(struct ktest *kt, const void *blob, size_t size, const char *want)
{
	KT_EXPECT_EQ(kt, fdt_mem_parse(blob, size, &info, msg, sizeof(msg)), -EINVAL);
	KT_EXPECT_STREQ(kt, msg, want);
}

/* Parse @blob (@nwarn warnings), apply it to a fresh memblock and check memblock's invariants. */
static bool parse_apply_warned(struct ktest *kt, const void *blob, size_t size, unsigned int nwarn)
{
	if (!parse_ok_warned(kt, blob, size, nwarn))
		return false;
	memblock_init(&mb);
	return KT_EXPECT_EQ(kt, fdt_mem_apply(&info, &mb), 0) &&
	       KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
}

static bool parse_apply(struct ktest *kt, const void *blob, size_t size)
{
	return parse_apply_warned(kt, blob, size, 0);
}

static void expect_mem(struct ktest *kt, unsigned int i, paddr_t base, uint64_t size, int nid,
		       bool hotplug)
{
	KT_ASSERT_LT(kt, i, info.nr_memory);
	KT_EXPECT_EQ(kt, info.memory[i].base, base);
	KT_EXPECT_EQ(kt, info.memory[i].size, size);
	KT_EXPECT_EQ(kt, info.memory[i].nid, nid);
	KT_EXPECT_EQ(kt, info.memory[i].hotplug, hotplug);
}

static void expect_rsv(struct ktest *kt, unsigned int i, paddr_t base, uint64_t size,
		       enum fdt_rsv_kind kind, const char *name)
{
	KT_ASSERT_LT(kt, i, info.nr_reserved);
	KT_EXPECT_EQ(kt, info.reserved[i].base, base);
	KT_EXPECT_EQ(kt, info.reserved[i].size, size);
	KT_EXPECT_STREQ(kt, fdt_mem_kind_name(info.reserved[i].kind), fdt_mem_kind_name(kind));
	if (name)
		KT_EXPECT_STREQ(kt, info.reserved[i].name, name);
	else
		KT_EXPECT_NULL(kt, info.reserved[i].name);
}

/* The regions of @type are exactly @want[0..n). */
static void expect_regions(struct ktest *kt, const struct memblock_type *type,
			   const struct memblock_region *want, unsigned long n)
{
	KT_ASSERT_EQ(kt, type->cnt, n);
	for (unsigned long i = 0; i < n; i++) {
		KT_EXPECT_EQ(kt, type->regions[i].base, want[i].base);
		KT_EXPECT_EQ(kt, type->regions[i].size, want[i].size);
		KT_EXPECT_EQ(kt, type->regions[i].flags, want[i].flags);
		KT_EXPECT_EQ(kt, type->regions[i].nid, want[i].nid);
	}
}

#define EXPECT_REGIONS(kt, type, ...)                                                              \
	expect_regions((kt), (type), (const struct memblock_region[]){ __VA_ARGS__ },              \
		       sizeof((const struct memblock_region[]){ __VA_ARGS__ }) /                   \
			   sizeof(struct memblock_region))

#define R(b, s, f, n)                                                                              \
	{                                                                                          \
		.base = (b), .size = (s), .flags = (f), .nid = (n)                                 \
	}

/* A copy of @blob in work[], with room for properties to grow; its size is sizeof(work). */
static void *copy_of(const void *blob)
{
	BUG_ON(fdt_open_into(blob, work, sizeof(work)));
	return work;
}

/* Set property @name of the node at @path in work[] to @len bytes of @val. */
static void set_prop(const char *path, const char *name, const void *val, int len)
{
	BUG_ON(fdt_setprop(work, fdt_path_offset(work, path), name, val, len));
}

static void set_u32(const char *path, const char *name, uint32_t v)
{
	BUG_ON(fdt_setprop_u32(work, fdt_path_offset(work, path), name, v));
}

static void set_string(const char *path, const char *name, const char *s)
{
	BUG_ON(fdt_setprop_string(work, fdt_path_offset(work, path), name, s));
}

static void del_prop(const char *path, const char *name)
{
	BUG_ON(fdt_delprop(work, fdt_path_offset(work, path), name));
}

/* Set a reg-like property to 2 + 2-cell tuples of (base, size) pairs. */
static void set_reg64(const char *path, const char *name, const uint64_t *pairs, int n)
{
	fdt64_t v[2 * FDT_MEM_MAX + 2];

	BUG_ON(n > FDT_MEM_MAX + 1);
	for (int i = 0; i < 2 * n; i++)
		v[i] = cpu_to_fdt64(pairs[i]);
	set_prop(path, name, v, 16 * n);
}

/*
 *   memory@40000000  [0x40000000 +256M] [0x60000000 +0: skipped] [0x100000000 +512M]
 *   memory@50000000  [0x50000000 +128M]            memblock: 0x40000000 +384M, 0x100000000 +512M
 *   memory@80000000 (disabled), memory@90000000 (no device_type), /soc/memory@a0000000: none
 */
KTEST(fdt, mem_2cell)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_mem_2cell, dtb_mem_2cell_size));
	KT_EXPECT_EQ(kt, info.address_cells, 2u);
	KT_EXPECT_EQ(kt, info.size_cells, 2u);
	KT_EXPECT_EQ(kt, info.nr_memory, 3u);
	expect_mem(kt, 0, 0x40000000, M(256), NUMA_NO_NODE, false);
	expect_mem(kt, 1, 0x100000000, M(512), NUMA_NO_NODE, false);
	expect_mem(kt, 2, 0x50000000, M(128), NUMA_NO_NODE, false);
	KT_EXPECT_EQ(kt, info.nr_reserved, 0u);
	KT_EXPECT_EQ(kt, info.mem_limit, 0u);
	KT_EXPECT_FALSE(kt, info.has_initrd);

	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(384), MEMBLOCK_NONE, NUMA_NO_NODE),
		       R(0x100000000, M(512), MEMBLOCK_NONE, NUMA_NO_NODE));
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 0u);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), M(896));
}

/* 1-cell tuples; without the #cells properties the root's default (1, as Linux) applies. */
KTEST(fdt, mem_1cell)
{
	for (int pass = 0; pass < 2; pass++) {
		const void *blob = dtb_mem_1cell;
		size_t size = dtb_mem_1cell_size;
		if (pass) {
			blob = copy_of(dtb_mem_1cell);
			size = sizeof(work);
			del_prop("/", "#address-cells");
			del_prop("/", "#size-cells");
		}
		KT_ASSERT_TRUE(kt, parse_apply(kt, blob, size));
		KT_EXPECT_EQ(kt, info.address_cells, 1u);
		KT_EXPECT_EQ(kt, info.size_cells, 1u);
		KT_EXPECT_EQ(kt, info.nr_memory, 2u);
		expect_mem(kt, 0, 0x80000000, M(512), NUMA_NO_NODE, false);
		expect_mem(kt, 1, 0xc0000000, M(16), NUMA_NO_NODE, false);
		EXPECT_REGIONS(kt, &mb.memory, R(0x80000000, M(512), 0, NUMA_NO_NODE),
			       R(0xc0000000, M(16), 0, NUMA_NO_NODE));
	}
}

/* linux,usable-memory wins over reg, even empty. */
KTEST(fdt, mem_usable)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_mem_usable, dtb_mem_usable_size));
	KT_EXPECT_EQ(kt, info.nr_memory, 1u);
	expect_mem(kt, 0, 0x48000000, M(256), NUMA_NO_NODE, false);
	EXPECT_REGIONS(kt, &mb.memory, R(0x48000000, M(256), 0, NUMA_NO_NODE));
}

/* Whole pages only; see mem-trim.dts. */
KTEST(fdt, mem_trim)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_mem_trim, dtb_mem_trim_size));
	KT_EXPECT_EQ(kt, info.nr_memory, 2u);
	expect_mem(kt, 0, 0x40001000, 0xff000, NUMA_NO_NODE, false);
	expect_mem(kt, 1, 0x50000000, 0x2000, NUMA_NO_NODE, false);
	EXPECT_REGIONS(kt, &mb.memory, R(0x40001000, 0xff000, 0, NUMA_NO_NODE),
		       R(0x50000000, 0x2000, 0, NUMA_NO_NODE));
}

/*
 *   0x40000000 +512M node 0 | 0x60000000 +512M node 1 | 0x80000000 +256M +256M node 1 HOTPLUG
 */
KTEST(fdt, mem_numa)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_mem_numa, dtb_mem_numa_size));
	KT_EXPECT_EQ(kt, info.nr_memory, 4u);
	expect_mem(kt, 0, 0x60000000, M(512), 1, false);
	expect_mem(kt, 1, 0x40000000, M(512), 0, false);
	expect_mem(kt, 2, 0x80000000, M(256), 1, true);
	expect_mem(kt, 3, 0x90000000, M(256), 1, true);
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(512), MEMBLOCK_NONE, 0),
		       R(0x60000000, M(512), MEMBLOCK_NONE, 1),
		       R(0x80000000, M(512), MEMBLOCK_HOTPLUG, 1));
}

/*
 * Sorted by base; no-map splits memory and is not reserved; reusable is reserved.
 *
 *   memory    0x40000000 ------------ 0x4e000000 NOMAP 0x4e200000 ------------ 0x80000000
 *   reserved  0x40000000 +4K, 0x44000000 +1M, 0x46000000 +4K, 0x48000000 +64K, 0x50000000 +64M
 */
KTEST(fdt, rsv)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_rsv, dtb_rsv_size));
	KT_EXPECT_EQ(kt, info.nr_reserved, 6u);
	expect_rsv(kt, 0, 0x40000000, K(4), FDT_RSV_MEMRESERVE, NULL);
	expect_rsv(kt, 1, 0x44000000, M(1), FDT_RSV_RESERVED, "buf@44000000");
	expect_rsv(kt, 2, 0x46000000, K(4), FDT_RSV_RESERVED, "buf@44000000");
	expect_rsv(kt, 3, 0x48000000, K(64), FDT_RSV_MEMRESERVE, NULL);
	expect_rsv(kt, 4, 0x4e000000, M(2), FDT_RSV_NOMAP, "fw@4e000000");
	expect_rsv(kt, 5, 0x50000000, M(64), FDT_RSV_REUSABLE, "cma@50000000");

	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, 0xe000000, 0, NUMA_NO_NODE),
		       R(0x4e000000, M(2), MEMBLOCK_NOMAP, NUMA_NO_NODE),
		       R(0x4e200000, 0x31e00000, 0, NUMA_NO_NODE));
	EXPECT_REGIONS(kt, &mb.reserved, R(0x40000000, K(4), 0, NUMA_NO_NODE),
		       R(0x44000000, M(1), 0, NUMA_NO_NODE), R(0x46000000, K(4), 0, NUMA_NO_NODE),
		       R(0x48000000, K(64), 0, NUMA_NO_NODE),
		       R(0x50000000, M(64), 0, NUMA_NO_NODE));
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), G(1));
}

/* 32-bit initrd reserved as whole pages; mem=512M caps 1G. */
KTEST(fdt, initrd32)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_initrd32, dtb_initrd32_size));
	KT_EXPECT_TRUE(kt, info.has_initrd);
	KT_EXPECT_EQ(kt, info.initrd_start, 0x48000000u);
	KT_EXPECT_EQ(kt, info.initrd_end, 0x48100800u);
	KT_EXPECT_EQ(kt, info.mem_limit, M(512));
	KT_EXPECT_EQ(kt, info.nr_reserved, 1u);
	expect_rsv(kt, 0, 0x48000000, 0x100800, FDT_RSV_INITRD, NULL);
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(512), 0, NUMA_NO_NODE));
	EXPECT_REGIONS(kt, &mb.reserved, R(0x48000000, 0x101000, 0, NUMA_NO_NODE));
}

/* 64-bit initrd above mem=256M: its pages come back as memory of their node, reserved. */
KTEST(fdt, initrd64)
{
	KT_ASSERT_TRUE(kt, parse_apply(kt, dtb_initrd64, dtb_initrd64_size));
	KT_EXPECT_EQ(kt, info.initrd_start, 0x70000000u);
	KT_EXPECT_EQ(kt, info.initrd_end, 0x70400000u);
	KT_EXPECT_EQ(kt, info.mem_limit, M(256));
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(256), 0, 0), R(0x70000000, M(4), 0, 0));
	EXPECT_REGIONS(kt, &mb.reserved, R(0x70000000, M(4), 0, NUMA_NO_NODE));
}

/* The initrd's pages lose the hotplug flag, as arm64's memblock_remove + memblock_add. */
KTEST(fdt, initrd_clears_hotplug)
{
	copy_of(dtb_initrd64);
	set_prop("/memory@40000000", "hotpluggable", NULL, 0);
	del_prop("/chosen", "bootargs");
	KT_ASSERT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(768), MEMBLOCK_HOTPLUG, 0),
		       R(0x70000000, M(4), MEMBLOCK_NONE, 0),
		       R(0x70400000, M(252), MEMBLOCK_HOTPLUG, 0));
}

/*
 * No memory is a warning, not an error: Raspberry Pi blobs have a memory node of size 0 that
 * the firmware fills; boot (mm/setup.c) fails on the empty memblock.
 */
KTEST(fdt, no_memory)
{
	static const char want[] = "/: no memory: no available device_type = \"memory\" node with "
				   "a range of a page or more";

	KT_ASSERT_TRUE(kt, parse_warns(kt, dtb_no_memory, dtb_no_memory_size, want));
	KT_EXPECT_EQ(kt, info.nr_memory, 0u);
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, fdt_mem_apply(&info, &mb), 0);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), 0u);
	/* Memory that is all disabled, all too small or of size 0 counts as none. */
	copy_of(dtb_mem_1cell);
	set_string("/memory@80000000", "status", "fail");
	parse_warns(kt, work, sizeof(work), want);
	copy_of(dtb_mem_trim);
	set_reg64("/memory@40000800", "reg", (const uint64_t[]){ 0x40000800, 0x1000 }, 1);
	parse_warns(kt, work, sizeof(work), want);
	copy_of(dtb_mem_trim);
	set_reg64("/memory@40000800", "reg", (const uint64_t[]){ 0, 0 }, 1);
	parse_warns(kt, work, sizeof(work), want);
}

/* Header failures: libfdt's checks, and a buffer shorter than the blob says. */
KTEST(fdt, bad_header)
{
	char want[FDT_MEM_ERRLEN];

	parse_fails(kt, dtb_rsv, 0, "header: empty blob (0 bytes)");
	parse_fails(kt, dtb_rsv, 20, "header: truncated: 20 bytes, a header takes 40");
	kmm_snprintf(want, sizeof(want),
		     "header: totalsize: truncated: the blob is %zu bytes, the buffer %zu",
		     dtb_rsv_size, dtb_rsv_size - 1);
	parse_fails(kt, dtb_rsv, dtb_rsv_size - 1, want);

	memcpy((char *)work + 4, dtb_rsv, dtb_rsv_size);
	parse_fails(kt, (char *)work + 4, dtb_rsv_size,
		    "header: the blob is not 8-byte aligned (libfdt needs it)");

	copy_of(dtb_rsv);
	fdt_set_magic(work, 0xd00dfeef);
	parse_fails(kt, work, sizeof(work), "header: magic: 0xd00dfeef is not 0xd00dfeed");

	copy_of(dtb_rsv);
	fdt_set_version(work, 1);
	parse_fails(kt, work, sizeof(work),
		    "header: version: 1 (last compatible 16) is not supported: libfdt reads 2 to "
		    "17");
	copy_of(dtb_rsv);
	fdt_set_version(work, 0x20);
	fdt_set_last_comp_version(work, 0x20);
	parse_fails(kt, work, sizeof(work),
		    "header: version: 32 (last compatible 32) is not supported: libfdt reads 2 to "
		    "17");

	/* The structure block's first tag is FDT_BEGIN_NODE; make it garbage. */
	copy_of(dtb_rsv);
	((fdt32_t *)((char *)work + fdt_off_dt_struct(work)))[0] = cpu_to_fdt32(0x77);
	parse_fails(kt, work, sizeof(work), "structure: FDT_ERR_BADSTRUCTURE");
}

/* The root's cells: 1 or 2, one cell each. */
KTEST(fdt, bad_cells)
{
	static const struct {
		const char *name;
		uint32_t value;
		const char *want;
	} cases[] = {
		{ "#address-cells", 3, "/: #address-cells: 3 is not 1 or 2" },
		{ "#address-cells", 0, "/: #address-cells: 0 is not 1 or 2" },
		{ "#size-cells", 3, "/: #size-cells: 3 is not 1 or 2" },
		{ "#size-cells", 0, "/: #size-cells: 0 is not 1 or 2" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		copy_of(dtb_mem_2cell);
		set_u32("/", cases[i].name, cases[i].value);
		parse_fails(kt, work, sizeof(work), cases[i].want);
	}
	copy_of(dtb_mem_2cell);
	set_prop("/", "#size-cells", (const fdt64_t[]){ cpu_to_fdt64(2) }, 8);
	parse_fails(kt, work, sizeof(work), "/: #size-cells: length 8 is not 4");
}

/* A reg, usable-memory or reserved reg that is not whole tuples. */
KTEST(fdt, bad_reg_length)
{
	static const fdt32_t five[5];

	copy_of(dtb_rsv);
	set_prop("/memory@40000000", "reg", five, sizeof(five));
	parse_fails(kt, work, sizeof(work),
		    "/memory@40000000: reg: length 20 is not a multiple of 16 (2 address + 2 size "
		    "cells)");
	copy_of(dtb_rsv);
	set_prop("/memory@40000000", "linux,usable-memory", five, 12);
	parse_fails(kt, work, sizeof(work),
		    "/memory@40000000: linux,usable-memory: length 12 is not a multiple of 16 (2 "
		    "address + 2 size cells)");
	copy_of(dtb_rsv);
	set_prop("/reserved-memory/fw@4e000000", "reg", five, 8);
	parse_fails(
	    kt, work, sizeof(work),
	    "/reserved-memory/fw@4e000000: reg: length 8 is not a multiple of 16 (2 address "
	    "+ 2 size cells)");
	copy_of(dtb_mem_1cell);
	set_prop("/memory@80000000", "reg", five, 12);
	parse_fails(kt, work, sizeof(work),
		    "/memory@80000000: reg: length 12 is not a multiple of 8 (1 address + 1 size "
		    "cells)");
}

/* Memory properties that are wrong in themselves or against each other. */
KTEST(fdt, bad_memory)
{
	uint64_t many[2 * (FDT_MEM_MAX + 1)];

	copy_of(dtb_mem_numa);
	set_prop("/memory@40000000", "numa-node-id", (const fdt64_t[]){ 0 }, 8);
	parse_fails(kt, work, sizeof(work), "/memory@40000000: numa-node-id: length 8 is not 4");
	copy_of(dtb_mem_numa);
	set_u32("/memory@40000000", "numa-node-id", FDT_NID_MAX + 1);
	parse_fails(kt, work, sizeof(work), "/memory@40000000: numa-node-id: 1024 is above 1023");

	/* Node 0 reaching into node 1's range: the first node stays (memblock_add). */
	copy_of(dtb_mem_numa);
	set_reg64("/memory@40000000", "reg", (const uint64_t[]){ 0x40000000, M(513) }, 1);
	KT_ASSERT_TRUE(kt, parse_apply_warned(kt, work, sizeof(work), 1));
	KT_EXPECT_STREQ(
	    kt, info.warnings[0],
	    "/memory@40000000: reg: [0x40000000, 0x60100000) overlaps [0x60000000, "
	    "0x80000000) of another node or hotplug flag: the first node stays, hotplug "
	    "marks all");
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(512), MEMBLOCK_NONE, 0),
		       R(0x60000000, M(512), MEMBLOCK_NONE, 1),
		       R(0x80000000, M(512), MEMBLOCK_HOTPLUG, 1));
	/* Hotplug over plain memory marks all of its range, as memblock_mark_hotplug. */
	copy_of(dtb_mem_numa);
	set_reg64("/memory@80000000", "reg", (const uint64_t[]){ 0x7ffff000, M(1) }, 1);
	KT_ASSERT_TRUE(kt, parse_apply_warned(kt, work, sizeof(work), 1));
	KT_EXPECT_STREQ(
	    kt, info.warnings[0],
	    "/memory@80000000: reg: [0x7ffff000, 0x800ff000) overlaps [0x60000000, "
	    "0x80000000) of another node or hotplug flag: the first node stays, hotplug "
	    "marks all");
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, M(512), MEMBLOCK_NONE, 0),
		       R(0x60000000, M(512) - K(4), MEMBLOCK_NONE, 1),
		       R(0x7ffff000, M(1), MEMBLOCK_HOTPLUG, 1));
	/* The same range twice with the same attributes is harmless (memblock merges it). */
	copy_of(dtb_mem_numa);
	set_reg64("/memory@80000000", "reg",
		  (const uint64_t[]){ 0x80000000, M(256), 0x80000000, M(256) }, 2);
	KT_EXPECT_TRUE(kt, parse_apply_warned(kt, work, sizeof(work), 0));

	/* A range past 2^64 ends there (memblock_cap_size), then whole pages. */
	copy_of(dtb_mem_2cell);
	set_reg64("/memory@50000000", "reg", (const uint64_t[]){ 0xffffffffffe00000, M(4) }, 1);
	KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work),
				       "/memory@50000000: reg: [0xffffffffffe00000, +0x400000) "
				       "wraps past 2^64: cut there"));
	expect_mem(kt, 2, 0xffffffffffe00000, M(2) - K(4), NUMA_NO_NODE, false);

	for (int i = 0; i <= FDT_MEM_MAX; i++) {
		many[2 * i] = 0x40000000 + M(2) * i;
		many[2 * i + 1] = M(1);
	}
	copy_of(dtb_mem_2cell);
	del_prop("/memory@40000000", "reg");
	set_reg64("/memory@50000000", "reg", many, FDT_MEM_MAX);
	KT_EXPECT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
	KT_EXPECT_EQ(kt, info.nr_memory, (unsigned int)FDT_MEM_MAX);
	set_reg64("/memory@50000000", "reg", many, FDT_MEM_MAX + 1);
	parse_fails(kt, work, sizeof(work), "/memory@50000000: reg: more than 16 memory ranges");
}

/*
 * /reserved-memory in a format Linux does not support is ignored whole (the /memreserve/
 * ranges stay); no-map with reusable is no-map.
 */
KTEST(fdt, bad_reserved)
{
	static const char unsupported[] =
	    "/reserved-memory: unsupported node format (#address-cells and #size-cells must be "
	    "the root's 2 and 2, ranges present): ignored, as Linux";

	for (int i = 0; i < 4; i++) {
		copy_of(dtb_rsv);
		if (i == 0)
			set_u32("/reserved-memory", "#address-cells", 1);
		else if (i == 1)
			del_prop("/reserved-memory", "#size-cells");
		else if (i == 2)
			del_prop("/reserved-memory", "ranges");
		else
			set_prop("/reserved-memory", "#size-cells", NULL, 0);
		KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work), unsupported));
		KT_EXPECT_EQ(kt, info.nr_reserved, 2u);
		expect_rsv(kt, 0, 0x40000000, K(4), FDT_RSV_MEMRESERVE, NULL);
		expect_rsv(kt, 1, 0x48000000, K(64), FDT_RSV_MEMRESERVE, NULL);
	}

	copy_of(dtb_rsv);
	set_prop("/reserved-memory/cma@50000000", "no-map", NULL, 0);
	KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work),
				       "/reserved-memory/cma@50000000: no-map: and reusable are "
				       "mutually exclusive: no-map counts"));
	expect_rsv(kt, 5, 0x50000000, M(64), FDT_RSV_NOMAP, "cma@50000000");

	copy_of(dtb_rsv);
	set_reg64("/reserved-memory/buf@44000000", "reg",
		  (const uint64_t[]){ 0xffffffffff000000, M(32) }, 1);
	KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work),
				       "/reserved-memory/buf@44000000: reg: [0xffffffffff000000, "
				       "+0x2000000) wraps past 2^64: cut there"));
	expect_rsv(kt, 4, 0xffffffffff000000, M(16) - 1, FDT_RSV_RESERVED, "buf@44000000");
}

/*
 * A no-map range over memory that is already reserved loses (early_init_dt_reserve_memory:
 * -EBUSY), in Linux's order: the initrd, /memreserve/, then the children in the blob's order.
 * A reserved range over an earlier no-map one is simply reserved.
 */
KTEST(fdt, nomap_over_reserved)
{
	/* fw@4e000000 (first child) over /memreserve/ 0x48000000: skipped. */
	copy_of(dtb_rsv);
	set_reg64("/reserved-memory/fw@4e000000", "reg", (const uint64_t[]){ 0x47fff000, M(1) }, 1);
	KT_ASSERT_TRUE(kt, parse_apply_warned(kt, work, sizeof(work), 1));
	KT_EXPECT_STREQ(kt, info.warnings[0],
			"/reserved-memory/fw@4e000000: reg: no-map range [0x47fff000, 0x480ff000) "
			"overlaps memreserve range [0x48000000, 0x48010000) reserved before it: "
			"skipped, as Linux (-EBUSY)");
	KT_EXPECT_EQ(kt, info.nr_reserved, 5u);
	EXPECT_REGIONS(kt, &mb.memory, R(0x40000000, G(1), 0, NUMA_NO_NODE));

	/* buf@44000000 (third child) over fw@4e000000 (first, no-map): both stand. */
	copy_of(dtb_rsv);
	set_reg64("/reserved-memory/buf@44000000", "reg", (const uint64_t[]){ 0x4e100000, M(1) },
		  1);
	KT_ASSERT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
	expect_rsv(kt, 2, 0x4e000000, M(2), FDT_RSV_NOMAP, "fw@4e000000");
	expect_rsv(kt, 3, 0x4e100000, M(1), FDT_RSV_RESERVED, "buf@44000000");

	/* fw@4e000000 over cma@50000000, which comes after it: fw stands. */
	copy_of(dtb_rsv);
	set_reg64("/reserved-memory/fw@4e000000", "reg", (const uint64_t[]){ 0x4ff00000, M(2) }, 1);
	KT_ASSERT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
	expect_rsv(kt, 4, 0x4ff00000, M(2), FDT_RSV_NOMAP, "fw@4e000000");

	/* Outside memory a no-map range never loses. */
	copy_of(dtb_rsv);
	set_reg64("/reserved-memory/fw@4e000000", "reg", (const uint64_t[]){ 0x90000000, M(2) }, 1);
	set_reg64("/reserved-memory/buf@44000000", "reg", (const uint64_t[]){ 0x90000000, M(1) },
		  1);
	KT_ASSERT_TRUE(kt, parse_ok(kt, work, sizeof(work)));

	/* The initrd is reserved before everything: a no-map range over its pages loses. */
	copy_of(dtb_initrd32);
	BUG_ON(fdt_add_subnode(work, 0, "reserved-memory") < 0);
	set_u32("/reserved-memory", "#address-cells", 1);
	set_u32("/reserved-memory", "#size-cells", 1);
	set_prop("/reserved-memory", "ranges", NULL, 0);
	BUG_ON(fdt_add_subnode(work, fdt_path_offset(work, "/reserved-memory"), "fw") < 0);
	set_prop("/reserved-memory/fw", "no-map", NULL, 0);
	set_prop("/reserved-memory/fw", "reg",
		 (const fdt32_t[]){ cpu_to_fdt32(0x48100c00), cpu_to_fdt32(0x400) }, 8);
	KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work),
				       "/reserved-memory/fw: reg: no-map range [0x48100c00, "
				       "0x48101000) overlaps initrd range [0x48000000, 0x48100800) "
				       "reserved before it: skipped, as Linux (-EBUSY)"));
	KT_EXPECT_EQ(kt, info.nr_reserved, 1u);
}

/* /chosen: initrd properties of a wrong size are errors; the rest drops the initrd. */
KTEST(fdt, bad_chosen)
{
	static const struct {
		const char *name; /* set to @val, or deleted when @len < 0 */
		uint32_t val[3];
		int len;
		const char *want; /* the error, or the warning when @warn */
		bool warn;
	} cases[] = {
		{ "linux,initrd-end",
		  { 0x47ffffff },
		  4,
		  "/chosen: linux,initrd-end: 0x47ffffff is below the start 0x48000000: no initrd",
		  true },
		{ "linux,initrd-end",
		  { 0 },
		  -1,
		  "/chosen: linux,initrd-end: missing (linux,initrd-start is set): no initrd",
		  true },
		{ "linux,initrd-start",
		  { 0 },
		  -1,
		  "/chosen: linux,initrd-start: missing (linux,initrd-end is set): no initrd",
		  true },
		{ "linux,initrd-end",
		  { 0x80000001 },
		  4,
		  "/chosen: linux,initrd-start: the initrd [0x48000000, 0x80000001) is not all in "
		  "memory: no initrd",
		  true },
		{ "linux,initrd-start",
		  { 0, 0, 0x48000000 },
		  12,
		  "/chosen: linux,initrd-start: length 12 is not 4 or 8",
		  false },
		{ "linux,initrd-end",
		  { 0 },
		  2,
		  "/chosen: linux,initrd-end: length 2 is not 4 or 8",
		  false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fdt32_t v[3];
		copy_of(dtb_initrd32);
		for (int j = 0; j < 3; j++)
			v[j] = cpu_to_fdt32(cases[i].val[j]);
		if (cases[i].len < 0)
			del_prop("/chosen", cases[i].name);
		else
			set_prop("/chosen", cases[i].name, v, cases[i].len);
		if (!cases[i].warn) {
			parse_fails(kt, work, sizeof(work), cases[i].want);
			continue;
		}
		KT_EXPECT_TRUE(kt, parse_apply_warned(kt, work, sizeof(work), 1));
		KT_EXPECT_STREQ(kt, info.warnings[0], cases[i].want);
		KT_EXPECT_FALSE(kt, info.has_initrd);
		KT_EXPECT_EQ(kt, info.nr_reserved, 0u);
		KT_EXPECT_EQ(kt, mb.reserved.cnt, 0u);
	}
	/* bootargs without a NUL lose their last byte (strlcpy): "mem=1G" of "mem=1Gx". */
	copy_of(dtb_initrd32);
	set_prop("/chosen", "bootargs", "mem=1Gx", 7);
	KT_ASSERT_TRUE(kt, parse_warns(kt, work, sizeof(work),
				       "/chosen: bootargs: not a NUL-terminated string: the last "
				       "byte dropped"));
	KT_EXPECT_EQ(kt, info.mem_limit, G(1));
	/* An empty initrd is none; a 64-bit one in two cells works under a 1-cell root. */
	copy_of(dtb_initrd32);
	set_u32("/chosen", "linux,initrd-end", 0x48000000);
	KT_ASSERT_TRUE(kt, parse_ok(kt, work, sizeof(work)));
	KT_EXPECT_FALSE(kt, info.has_initrd);
	KT_EXPECT_EQ(kt, info.nr_reserved, 0u);
	set_prop("/chosen", "linux,initrd-end", (const fdt64_t[]){ cpu_to_fdt64(0x48001000) }, 8);
	KT_ASSERT_TRUE(kt, parse_ok(kt, work, sizeof(work)));
	KT_EXPECT_EQ(kt, info.initrd_end, 0x48001000u);
}

/*
 * The initrd must lie in memory, else there is none; memory may be several ranges: [0x48000000,
 * 0x48100800) spans two adjacent ones, and does not fit when a page at either end is missing.
 */
KTEST(fdt, initrd_in_memory)
{
	static const struct {
		uint32_t reg[4];
		bool ok;
	} cases[] = {
		{ { 0x40000000, 0x08080000, 0x48080000, 0x08000000 }, true },
		{ { 0x40000000, 0x08080000, 0x48081000, 0x08000000 }, false },
		{ { 0x40000000, 0x07fff000, 0x48000000, 0x08000000 }, true },
		{ { 0x40000000, 0x07fff000, 0x48001000, 0x08000000 }, false },
		{ { 0x48000000, 0x00101000, 0x50000000, 0x08000000 }, true },
		{ { 0x48000000, 0x00100000, 0x50000000, 0x08000000 }, false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fdt32_t reg[4];
		for (int j = 0; j < 4; j++)
			reg[j] = cpu_to_fdt32(cases[i].reg[j]);
		copy_of(dtb_initrd32);
		set_prop("/memory@40000000", "reg", reg, sizeof(reg));
		if (cases[i].ok) {
			KT_EXPECT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
			EXPECT_REGIONS(kt, &mb.reserved, R(0x48000000, 0x101000, 0, NUMA_NO_NODE));
		} else {
			KT_EXPECT_TRUE(kt, parse_warns(kt, work, sizeof(work),
						       "/chosen: linux,initrd-start: the initrd "
						       "[0x48000000, 0x48100800) is not all in "
						       "memory: no initrd"));
			KT_EXPECT_EQ(kt, info.nr_reserved, 0u);
		}
	}
}

/* mem= as arm64's early_mem reads it: memparse, rounded down to a page, the last one wins. */
KTEST(fdt, bootargs_mem)
{
	static const struct {
		const char *args;
		uint64_t limit;
	} ok[] = {
		{ "mem=512M", M(512) },
		{ "console=ttyAMA0 mem=0x10000000 quiet", 0x10000000 },
		{ "mem=1g mem=2G", G(2) },
		{ "memmap=1G mem=4097 nomem=1G", K(4) },
		{ "mem=010", 0 }, /* octal 8, less than a page */
		{ "mem=4k", K(4) },
		{ "mem=1T", G(1024) },
		{ "mem=15E", 15ULL << 60 },
		{ "\"mem=1M\"", M(1) },
		{ "mem=\"2M\"", M(2) },
		{ "x=\"a mem=3M\" mem=5M", M(5) },
		{ "mem=1G -- mem=2G", G(1) },
		{ "\tmem=3M\n", M(3) },
		{ "quiet", 0 },
		{ "", 0 },
	};
	/* What memparse leaves is ignored (a warning here); overflow wraps, as Linux. */
	static const struct {
		const char *args, *want;
		uint64_t limit;
	} odd[] = {
		{ "mem=", NULL, 0 },
		{ "mem=16E", NULL, 0 },
		{ "mem=18446744073709551616", NULL, 0 },
		{ "mem=18446744073709555712", NULL, K(4) },
		{ "mem=1Q", "mem=1Q: \"Q\" after the size ignored", 0 },
		{ "mem=0x", "mem=0x: \"x\" after the size ignored", 0 },
		{ "mem=512MB", "mem=512MB: \"B\" after the size ignored", M(512) },
		{ "mem=-1", "mem=-1: \"-1\" after the size ignored", 0 },
		{ "mem=G", NULL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		copy_of(dtb_mem_2cell);
		fdt_add_subnode(work, 0, "chosen");
		set_string("/chosen", "bootargs", ok[i].args);
		if (!KT_EXPECT_TRUE(kt, parse_ok(kt, work, sizeof(work))))
			ktest_log(kt, "bootargs '%s'", ok[i].args);
		KT_EXPECT_EQ(kt, info.mem_limit, ok[i].limit);
	}
	for (size_t i = 0; i < ARRAY_SIZE(odd); i++) {
		char want[FDT_MEM_ERRLEN];
		copy_of(dtb_initrd32);
		set_string("/chosen", "bootargs", odd[i].args);
		kmm_snprintf(want, sizeof(want), "/chosen: bootargs: %s", odd[i].want);
		if (odd[i].want)
			KT_EXPECT_TRUE(kt, parse_warns(kt, work, sizeof(work), want));
		else
			KT_EXPECT_TRUE(kt, parse_ok(kt, work, sizeof(work)));
		KT_EXPECT_EQ(kt, info.mem_limit, odd[i].limit);
	}
	/* An empty property is no command line, as Linux. */
	copy_of(dtb_initrd32);
	set_prop("/chosen", "bootargs", NULL, 0);
	KT_ASSERT_TRUE(kt, parse_ok(kt, work, sizeof(work)));
	KT_EXPECT_EQ(kt, info.mem_limit, 0u);
}

/* A message is cut to the buffer, NUL-terminated; the parse fails all the same. */
KTEST(fdt, short_error_buffer)
{
	char small[12];

	KT_EXPECT_EQ(kt, fdt_mem_parse(dtb_rsv, 20, &info, small, sizeof(small)), -EINVAL);
	KT_EXPECT_STREQ(kt, small, "header: tru");
	KT_EXPECT_EQ(kt, fdt_mem_parse(dtb_rsv, 20, &info, NULL, 0), -EINVAL);
}

/*
 * fdt_mem_apply refuses, changing nothing, when the regions might not fit without growing the
 * arrays; a fresh memblock takes the largest description there is.
 */
KTEST(fdt, apply_no_room)
{
	static struct memblock before;

	KT_ASSERT_TRUE(kt, parse_ok(kt, dtb_rsv, dtb_rsv_size));
	memblock_init(&mb);
	/* rsv.dts counts 1 memory range and 1 no-map range: 2 * (62 + 2) + 2 > 128. */
	for (int i = 0; i < 62; i++)
		KT_ASSERT_EQ(kt, memblock_add(&mb, G(8) + M(2) * i, M(1)), 0);
	before = mb;
	KT_EXPECT_EQ(kt, fdt_mem_apply(&info, &mb), -ENOMEM);
	KT_EXPECT_EQ(kt, memcmp(&before, &mb, sizeof(mb)), 0);
	KT_EXPECT_EQ(kt, memblock_remove(&mb, G(8), M(2)), 0);
	KT_EXPECT_EQ(kt, fdt_mem_apply(&info, &mb), 0);
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
}

/*
 * A large description on a fresh memblock: FDT_MEM_MAX contiguous ranges of 8M, an initrd over
 * the first half (its pieces are removed and added again) and FDT_RSV_MAX - 1 no-map pages in
 * the second half (each splits memory).
 *
 *   0x40000000 [initrd ............ 64M) 0x44000000 [N][ ][N][ ] ... 0x48000000
 */
KTEST(fdt, apply_largest)
{
	uint64_t pairs[2 * FDT_MEM_MAX];
	int parent;

	copy_of(dtb_initrd64);
	del_prop("/memory@40000000", "numa-node-id");
	del_prop("/chosen", "bootargs");
	for (int i = 0; i < FDT_MEM_MAX; i++) {
		pairs[2 * i] = 0x40000000 + M(8) * i;
		pairs[2 * i + 1] = M(8);
	}
	set_reg64("/memory@40000000", "reg", pairs, FDT_MEM_MAX);
	set_prop("/chosen", "linux,initrd-start", (const fdt64_t[]){ cpu_to_fdt64(0x40000000) }, 8);
	set_prop("/chosen", "linux,initrd-end", (const fdt64_t[]){ cpu_to_fdt64(0x44000000) }, 8);
	parent = fdt_add_subnode(work, 0, "reserved-memory");
	KT_ASSERT_GE(kt, parent, 0);
	set_u32("/reserved-memory", "#address-cells", 2);
	set_u32("/reserved-memory", "#size-cells", 2);
	set_prop("/reserved-memory", "ranges", NULL, 0);
	for (int i = 0; i < FDT_RSV_MAX - 1; i++) {
		uint64_t reg[2] = { 0x44000000 + K(8) * i, K(4) };
		char name[24];
		kmm_snprintf(name, sizeof(name), "r@%llx", (unsigned long long)reg[0]);
		parent = fdt_path_offset(work, "/reserved-memory");
		int node = fdt_add_subnode(work, parent, name);
		KT_ASSERT_GE(kt, node, 0);
		KT_ASSERT_EQ(kt, fdt_setprop(work, node, "no-map", NULL, 0), 0);
		KT_ASSERT_EQ(kt, fdt_setprop_u64(work, node, "reg", reg[0]), 0);
		KT_ASSERT_EQ(kt, fdt_appendprop_u64(work, node, "reg", reg[1]), 0);
	}
	KT_ASSERT_TRUE(kt, parse_apply(kt, work, sizeof(work)));
	KT_EXPECT_EQ(kt, info.nr_memory, (unsigned int)FDT_MEM_MAX);
	KT_EXPECT_EQ(kt, info.nr_reserved, (unsigned int)FDT_RSV_MAX);
	KT_EXPECT_EQ(kt, mb.memory.cnt, 2u * (FDT_RSV_MAX - 1) + 1);
	KT_EXPECT_EQ(kt, mb.memory.regions[0].base, 0x40000000u);
	KT_EXPECT_EQ(kt, mb.memory.regions[0].size, M(64));
	KT_EXPECT_EQ(kt, mb.memory.regions[1].flags, (unsigned int)MEMBLOCK_NOMAP);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), M(128));
	EXPECT_REGIONS(kt, &mb.reserved, R(0x40000000, M(64), 0, NUMA_NO_NODE));
}

// SPDX-License-Identifier: MIT
/* kmm-sim layout: exact JSON and banner, every size against kernel_layout, the SVG, bad input. */
#include "jsonread.h"
#include "simtest.h"

#include <aarch64/layout.h>
#include <kmm/mm_types.h>

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* 4K/48 as Documentation/arm64/memory.rst (Linux 6.1) has it, with the 32M image after modules
 * and FIXADDR_SIZE = 1033 pages (0x409000) below FIXADDR_TOP = 0xfffffbfffe000000. */
KTEST(sim_layout, exact_json)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_layout, "layout", "--granule", "4k", "--va-bits", "48", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(
	    kt, c.out,
	    "{\"page_size\": 4096, \"va_bits\": 48, \"struct_page_size\": 48, \"regions\": ["
	    "{\"name\": \"linear\", \"start\": \"0xffff000000000000\", \"end\": "
	    "\"0xffff800000000000\"}, "
	    "{\"name\": \"modules\", \"start\": \"0xffff800000000000\", \"end\": "
	    "\"0xffff800008000000\"}, "
	    "{\"name\": \"kimage\", \"start\": \"0xffff800008000000\", \"end\": "
	    "\"0xffff80000a000000\"}, "
	    "{\"name\": \"vmalloc\", \"start\": \"0xffff800008000000\", \"end\": "
	    "\"0xfffffbfff0000000\"}, "
	    "{\"name\": \"fixmap\", \"start\": \"0xfffffbfffdbf7000\", \"end\": "
	    "\"0xfffffbfffe000000\"}, "
	    "{\"name\": \"pci_io\", \"start\": \"0xfffffbfffe800000\", \"end\": "
	    "\"0xfffffbffff800000\"}, "
	    "{\"name\": \"vmemmap\", \"start\": \"0xfffffc0000000000\", \"end\": "
	    "\"0xfffffe0000000000\"}]}\n");
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
}

KTEST(sim_layout, banner)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_layout, "layout", "--granule", "64K", "--va-bits", "42", "--kasan");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(
	    kt, c.out,
	    "Virtual kernel memory layout:\n"
	    "    kasan   : 0xfffffd8000000000 - 0xfffffe0000000000   (   512 GB)\n"
	    "    modules : 0xfffffe0000000000 - 0xfffffe0008000000   (   128 MB)\n"
	    "    vmalloc : 0xfffffe0008000000 - 0xfffffffef0000000   (  2043 GB)\n"
	    "    fixed   : 0xfffffffefdb70000 - 0xfffffffefe000000   (  4672 KB)\n"
	    "    PCI I/O : 0xfffffffefe800000 - 0xfffffffeff800000   (    16 MB)\n"
	    "    vmemmap : 0xffffffff00000000 - 0xffffffff80000000   (     2 GB maximum)\n"
	    "    memory  : 0xfffffc0000000000 - 0xfffffd8000000000   (  1536 GB maximum)\n");
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
}

/* A hex string member "0x..." of @v as a number, or 0 if it is not one. */
static uint64_t hex_member(const struct jv *v, const char *key)
{
	const char *s = jv_str(v, key);
	char *end;

	if (!s || strncmp(s, "0x", 2))
		return 0;
	uint64_t x = strtoull(s, &end, 16);
	return *end ? 0 : x;
}

/* Compare the parsed JSON with kernel_layout_init's layout: keys, names, bounds. */
static void check_json(struct ktest *kt, const struct jv *v, const struct kernel_layout *l)
{
	struct kernel_region r[KERNEL_LAYOUT_REGIONS_MAX];
	size_t n = kernel_layout_regions(l, r);
	const struct jv *regions = jv_get(v, "regions");

	KT_EXPECT_EQ(kt, v->n, 4u);
	KT_EXPECT_EQ(kt, jv_uint(v, "page_size"), l->granule);
	KT_EXPECT_EQ(kt, jv_uint(v, "va_bits"), l->va_bits);
	KT_EXPECT_EQ(kt, jv_uint(v, "struct_page_size"), sizeof(struct page));
	KT_ASSERT_NOT_NULL(kt, regions);
	KT_ASSERT_EQ(kt, regions->n, n);
	for (size_t i = 0; i < n; i++) {
		const struct jv *e = jv_at(regions, i);
		KT_EXPECT_EQ(kt, e->n, 3u);
		KT_EXPECT_STREQ(kt, jv_str(e, "name"), r[i].name);
		KT_EXPECT_EQ(kt, hex_member(e, "start"), r[i].start);
		KT_EXPECT_EQ(kt, hex_member(e, "end"), r[i].end);
		if (i) /* sorted by start; only the image overlaps (it sits inside vmalloc) */
			KT_EXPECT_LE(kt, hex_member(jv_at(regions, i - 1), "start"),
				     hex_member(e, "start"));
	}
}

/* Every accepted granule × VA size, with and without KASAN, parses and agrees. */
KTEST(sim_layout, every_size_agrees)
{
	static const char *const granules[] = { "4k", "16k", "64k" };

	for (size_t g = 0; g < ARRAY_SIZE(granules); g++) {
		for (unsigned int va = KERNEL_LAYOUT_VA_BITS_MIN; va <= KERNEL_LAYOUT_VA_BITS_LVA;
		     va++) {
			for (int kasan = 0; kasan < 2; kasan++) {
				struct kernel_layout l;
				struct sim_capture c;
				char bits[8];
				snprintf(bits, sizeof(bits), "%u", va);
				bool ok = !kernel_layout_init(&l, 4096ULL << (2 * g), va,
							      sizeof(struct page), kasan);
				SIM_RUN(&c, cmd_layout, "layout", "--json", "--granule",
					granules[g], "--va-bits", bits, kasan ? "--kasan" : NULL);
				KT_EXPECT_EQ(kt, c.rc, ok ? 0 : 2);
				struct jv *v = ok ? jv_parse(c.out) : NULL;
				if (ok && KT_EXPECT_NOT_NULL(kt, v))
					check_json(kt, v, &l);
				jv_free(v);
				sim_capture_free(&c);
			}
		}
	}
}

/* The whole of @path, NUL-terminated, or NULL. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	buf = malloc(1 << 16);
	if (buf)
		len = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

KTEST(sim_layout, svg)
{
	static const char *const labels[] = { "linear map",
					      "KASAN shadow",
					      "modules",
					      "kernel image",
					      "vmalloc",
					      "fixmap",
					      "PCI I/O",
					      "vmemmap",
					      "user",
					      "[guard region]",
					      "unused (not canonical)" };
	char dir[] = "/tmp/kmm-sim-layout-XXXXXX", path[64];
	struct sim_capture c;

	KT_ASSERT_NOT_NULL(kt, mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/layout.svg", dir);
	SIM_RUN(&c, cmd_layout, "layout", "--granule", "16k", "--va-bits", "47", "--kasan", "--svg",
		path, "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(kt, strncmp(c.out, "{\"page_size\": 16384", 19), 0);
	sim_capture_free(&c);
	char *svg = read_file(path);
	if (KT_EXPECT_NOT_NULL(kt, svg)) {
		size_t len = strlen(svg);
		KT_EXPECT_EQ(kt, strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39), 0);
		KT_EXPECT_TRUE(kt, len > 8 && !strcmp(svg + len - 7, "</svg>\n"));
		for (size_t i = 0; i < ARRAY_SIZE(labels); i++)
			if (!KT_EXPECT_NOT_NULL(kt, strstr(svg, labels[i])))
				ktest_log(kt, "no label %s", labels[i]);
		/* Bounds are inclusive, in full: the linear map of 16K/47 with KASAN. */
		KT_EXPECT_NOT_NULL(kt, strstr(svg, "0xffff800000000000 - 0xffffafffffffffff"));
		KT_EXPECT_NOT_NULL(kt, strstr(svg, "TTBR0"));
		free(svg);
	}
	unlink(path);

	/* A file that cannot be created is bad input; nothing is printed. */
	snprintf(path, sizeof(path), "%s/no/such/dir.svg", dir);
	SIM_RUN(&c, cmd_layout, "layout", "--granule", "4k", "--va-bits", "39", "--svg", path);
	KT_EXPECT_EQ(kt, c.rc, 2);
	KT_EXPECT_STREQ(kt, c.out, "");
	KT_EXPECT_NOT_NULL(kt, strstr(c.err, "kmm-sim layout: --svg: cannot create"));
	sim_capture_free(&c);
	rmdir(dir);
}

KTEST(sim_layout, bad_arguments)
{
	static const struct {
		const char *args[6];
		const char *msg;
	} cases[] = {
		{ { "--granule", "8k", "--va-bits", "39" },
		  "--granule: '8k' is not 4k, 16k or 64k" },
		{ { "--granule", "4k", "--va-bits", "29" },
		  "--va-bits: 29 is out of range (30..52)" },
		{ { "--granule", "4k", "--va-bits", "53" },
		  "--va-bits: 53 is out of range (30..52)" },
		{ { "--granule", "4k", "--va-bits", "52" },
		  "--va-bits: no 4K layout for 52-bit VAs (Linux's formulas need 30..48 bits, or "
		  "52 "
		  "with a 64k granule)" },
		{ { "--granule", "64k", "--va-bits", "50" }, "no 64K layout for 50-bit VAs" },
		{ { "--granule", "4k", "--va-bits", "x" }, "--va-bits: 'x' is not a number" },
		{ { "--granule", "4k" }, "--va-bits is required" },
		{ { "--va-bits", "39", "--kasan" }, "--granule is required" },
		{ { "--granule", "4k", "--va-bits", "39", "48" }, "unexpected argument '48'" },
		{ { "--granule", "4k", "--va-bits", "39", "--svg" },
		  "option '--svg' needs a value" },
		{ { "--granule", "4k", "--va-bits", "39", "--kasan=1" },
		  "option '--kasan' takes no value" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		struct sim_capture c;
		SIM_RUN(&c, cmd_layout, "layout", a[0], a[1], a[2], a[3], a[4], a[5]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, cases[i].msg)))
			ktest_log(kt, "got: %s", c.err);
		KT_EXPECT_EQ(kt, strncmp(c.err, "kmm-sim layout: ", 16), 0);
		sim_capture_free(&c);
	}
}

/* The command is in kmm-sim's table, and its help gives the formulas and the JSON. */
KTEST(sim_layout, dispatch_and_help)
{
	struct sim_capture c;

	SIM_RUN(&c, sim_main, "kmm-sim", "layout", "--help");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "usage: kmm-sim layout --granule"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "VMEMMAP_SHIFT = PAGE_SHIFT - order_base_2"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "\"struct_page_size\""));
	sim_capture_free(&c);
}

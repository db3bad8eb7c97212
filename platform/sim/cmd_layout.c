// SPDX-License-Identifier: MIT
/*
 * kmm-sim layout: the arm64 kernel virtual memory layout of a granule and VA size by Linux 6.1's
 * formulas (kernel_layout_init, aarch64/layout.h), as Linux's boot banner, as JSON, or drawn as
 * an SVG picture.
 */
#include "json.h"
#include "sim.h"

#include <aarch64/geometry.h>
#include <aarch64/layout.h>
#include <kmm/mm_types.h>

#include <errno.h>
#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: kmm-sim layout --granule 4k|16k|64k --va-bits N [--kasan] [--json] [--svg FILE]\n"
    "\n"
    "The arm64 kernel's virtual memory layout for a translation granule and an N-bit kernel VA\n"
    "space, by Linux 6.1's formulas (asm/memory.h, pgtable.h, fixmap.h, kasan.h), with kmm's\n"
    "struct page. Every region is in the TTBR1 half [2^64 - 2^N, 2^64):\n"
    "\n"
    "  linear   PAGE_OFFSET = -2^N .. PAGE_END = _PAGE_END(min(N, 48)) = -2^(min(N,48) - 1)\n"
    "  kasan    (--kasan) the last 2^(N-3) bytes below _PAGE_END, taken from the linear map\n"
    "  modules  MODULES_VADDR = _PAGE_END .. + 128M\n"
    "  kimage   KIMAGE_VADDR = MODULES_END .. + the image size (32M here)\n"
    "  vmalloc  above the image .. VMALLOC_END = VMEMMAP_START - 256M\n"
    "  fixmap   FIXADDR_TOP - FIXADDR_SIZE .. FIXADDR_TOP = VMEMMAP_START - 32M\n"
    "  pci_io   PCI_IO_END - 16M .. PCI_IO_END = VMEMMAP_START - 8M\n"
    "  vmemmap  VMEMMAP_START = -2^(N - VMEMMAP_SHIFT) .. + VMEMMAP_SIZE, where\n"
    "           VMEMMAP_SHIFT = PAGE_SHIFT - order_base_2(sizeof(struct page)) and\n"
    "           VMEMMAP_SIZE = (_PAGE_END - PAGE_OFFSET) >> VMEMMAP_SHIFT\n"
    "\n"
    "  --granule G   translation granule: 4k, 16k or 64k\n"
    "  --va-bits N   kernel VA size: 30..48, or 52 with a 64k granule\n"
    "  --kasan       with generic KASAN's shadow region (Linux's Kconfig KASAN_SHADOW_OFFSET)\n"
    "  --json        print one JSON object instead of the banner:\n"
    "                  {\"page_size\": BYTES, \"va_bits\": N, \"struct_page_size\": BYTES,\n"
    "                   \"regions\": [{\"name\": NAME, \"start\": \"0x...\", \"end\": \"0x...\"}, "
    "...]}\n"
    "                regions sorted by start, disjoint, end exclusive, lowercase hex\n"
    "  --svg FILE    also draw the layout, with the TTBR0 user range and the gaps, to FILE\n"
    "  --help        print this text\n"
    "\n"
    "Without --json the output is Linux's old boot banner \"Virtual kernel memory layout:\".\n";

enum { OPT_GRANULE = 256, OPT_VA_BITS, OPT_KASAN, OPT_JSON, OPT_SVG, OPT_HELP };

static const struct option options[] = {
	{ "granule", required_argument, NULL, OPT_GRANULE },
	{ "va-bits", required_argument, NULL, OPT_VA_BITS },
	{ "kasan", no_argument, NULL, OPT_KASAN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "svg", required_argument, NULL, OPT_SVG },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static void print_json(FILE *out, const struct kernel_layout *l)
{
	struct kernel_region r[KERNEL_LAYOUT_REGIONS_MAX];
	size_t n = kernel_layout_regions(l, r);
	struct json j;

	json_init(&j, out);
	json_object_begin(&j);
	json_kv_uint(&j, "page_size", l->granule);
	json_kv_uint(&j, "va_bits", l->va_bits);
	json_kv_uint(&j, "struct_page_size", l->struct_page_size);
	json_key(&j, "regions");
	json_array_begin(&j);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&j);
		json_kv_string(&j, "name", r[i].name);
		json_kv_hex(&j, "start", r[i].start);
		json_kv_hex(&j, "end", r[i].end);
		json_object_end(&j);
	}
	json_array_end(&j);
	json_object_end(&j);
}

static void emit_file(void *ctx, const char *line)
{
	fputs(line, ctx);
}

/*
 * The SVG picture: one box per stretch of the 64-bit address space, highest address on top,
 * each as tall as 36 px plus 3 px per doubling of its size above 4K, so that an 8M guard region
 * and a 128T linear map are both legible.
 */
struct seg {
	const char *label;
	const char *fill;
	vaddr_t start;
	uint64_t size; /* bytes; may reach 2^64 - start */
	bool unused;   /* a hole or guard gap: drawn dashed */
};

#define SEGS_MAX (2 * KERNEL_LAYOUT_REGIONS_MAX + 3)
#define SEG_FIRST_KERNEL 2 /* after the user range and the hole */
#define SVG_WIDTH 720
#define SVG_BOX_X 150
#define SVG_BOX_W 540
#define SVG_TOP 80

/* How each region of the list is labelled and coloured. */
static void region_style(const char *name, const char **label, const char **fill)
{
	static const struct {
		const char *name, *label, *fill;
	} styles[] = {
		{ "linear", "linear map", "#b7e1a1" }, { "kasan", "KASAN shadow", "#f4b6b6" },
		{ "modules", "modules", "#ffd59e" },   { "kimage", "kernel image", "#f7a072" },
		{ "vmalloc", "vmalloc", "#a9c6f0" },   { "fixmap", "fixmap", "#d8b4f0" },
		{ "pci_io", "PCI I/O", "#f0e68c" },    { "vmemmap", "vmemmap", "#9ad6d0" },
	};

	*label = name;
	*fill = "#ffffff";
	for (size_t i = 0; i < ARRAY_SIZE(styles); i++) {
		if (!strcmp(name, styles[i].name)) {
			*label = styles[i].label;
			*fill = styles[i].fill;
			return;
		}
	}
}

/* The whole address space low to high: the user range, the unused hole, then from PAGE_OFFSET
 * the regions and the guard gaps between and above them. Returns how many. */
static size_t build_segments(const struct kernel_layout *l, struct seg *s)
{
	struct kernel_region r[KERNEL_LAYOUT_REGIONS_MAX];
	size_t nr = kernel_layout_regions(l, r), n = 0;
	uint64_t half = 1ULL << l->va_bits;
	vaddr_t at = l->page_offset;

	s[n++] = (struct seg){ "user", "#cfe8ff", 0, half, false };
	s[n++] =
	    (struct seg){ "unused (not canonical)", "#eeeeee", half, l->page_offset - half, true };
	for (size_t i = 0; i < nr; i++) {
		if (r[i].start > at)
			s[n++] =
			    (struct seg){ "[guard region]", "#f8f8f8", at, r[i].start - at, true };
		region_style(r[i].name, &s[n].label, &s[n].fill);
		s[n].start = r[i].start;
		s[n].size = r[i].end - r[i].start;
		s[n++].unused = false;
		at = r[i].end;
	}
	s[n++] = (struct seg){ "[guard region]", "#f8f8f8", at, -at, true };
	return n;
}

/* Box height in pixels for @size bytes (> 0): 36, plus 3 per doubling above 4K. */
static unsigned int seg_height(uint64_t size)
{
	unsigned int lg = 63 - (unsigned int)__builtin_clzll(size);

	return 36 + 3 * (lg > 12 ? lg - 12 : 0);
}

/*
 * @size as memory.rst writes sizes: exact in the largest unit that divides it while that takes
 * under 5 digits ("16M", "4240K"), else approximately in its largest unit ("~123.9T").
 */
static const char *human_size(uint64_t size, char *buf)
{
	static const char units[] = " KMGTPE";
	unsigned int top = 0, exact = 0;

	while (top + 1 < sizeof(units) - 1 && size >> (10 * (top + 1)))
		top++;
	while (exact < top && !(size & ((1ULL << (10 * (exact + 1))) - 1)))
		exact++;
	if (exact == 0 && size < 10000)
		snprintf(buf, 24, "%llu", (unsigned long long)size);
	else if (exact && size >> (10 * exact) < 10000)
		snprintf(buf, 24, "%llu%c", (unsigned long long)(size >> (10 * exact)),
			 units[exact]);
	else
		snprintf(buf, 24, "~%.1f%c", (double)size / (double)(1ULL << (10 * top)),
			 units[top]);
	return buf;
}

/* The box of @s at @y, @h pixels tall: its label and size, then its inclusive bounds. */
static void svg_box(FILE *f, const struct seg *s, unsigned int y, unsigned int h)
{
	char size[24];

	fprintf(f,
		"  <rect x=\"%d\" y=\"%u\" width=\"%d\" height=\"%u\" fill=\"%s\" "
		"stroke=\"#555\"%s/>\n",
		SVG_BOX_X, y, SVG_BOX_W, h, s->fill, s->unused ? " stroke-dasharray=\"4 3\"" : "");
	fprintf(f,
		"  <text x=\"%d\" y=\"%u\"><tspan font-weight=\"bold\">%s</tspan> "
		"<tspan fill=\"#333\">%s</tspan></text>\n",
		SVG_BOX_X + 10, y + h / 2 - 3, s->label, human_size(s->size, size));
	fprintf(f,
		"  <text x=\"%d\" y=\"%u\" font-family=\"monospace\" font-size=\"11\">0x%016llx - "
		"0x%016llx</text>\n",
		SVG_BOX_X + 10, y + h / 2 + 12, (unsigned long long)s->start,
		(unsigned long long)(s->start + (s->size - 1)));
}

/* A bracket left of the boxes from @y0 to @y1 naming the translation table base register. */
static void svg_bracket(FILE *f, unsigned int y0, unsigned int y1, const char *text)
{
	unsigned int x = SVG_BOX_X - 20, mid = (y0 + y1) / 2;

	fprintf(f, "  <path d=\"M %u %u h -8 V %u h 8\" fill=\"none\" stroke=\"#333\"/>\n", x,
		y0 + 2, y1 - 2);
	fprintf(f,
		"  <text x=\"%u\" y=\"%u\" text-anchor=\"middle\" transform=\"rotate(-90 %u %u)\">"
		"%s</text>\n",
		x - 16, mid, x - 16, mid, text);
}

/* The picture of @l as a standalone SVG document on @f. */
static void write_svg(FILE *f, const struct kernel_layout *l)
{
	struct seg s[SEGS_MAX];
	size_t n = build_segments(l, s);
	unsigned int height = SVG_TOP + 40, y = SVG_TOP, kernel_end = 0;
	char gran[24];

	for (size_t i = 0; i < n; i++)
		height += seg_height(s[i].size);
	fprintf(f,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%u\" "
		"viewBox=\"0 0 %d %u\" font-family=\"sans-serif\" font-size=\"12\">\n",
		SVG_WIDTH, height, SVG_WIDTH, height);
	fprintf(f, "  <rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(
	    f,
	    "  <text x=\"20\" y=\"28\" font-size=\"16\" font-weight=\"bold\">arm64 kernel virtual "
	    "memory layout: %s granule, %u-bit VA%s</text>\n",
	    sim_size_str(l->granule, gran), l->va_bits, l->kasan ? ", KASAN" : "");
	fprintf(f,
		"  <text x=\"20\" y=\"48\" fill=\"#444\">Linux 6.1 formulas, struct page of %zu "
		"bytes, highest address on top, bounds inclusive.</text>\n",
		l->struct_page_size);
	fprintf(f, "  <text x=\"20\" y=\"64\" fill=\"#444\">Box heights grow with log2(size): "
		   "not to scale.</text>\n");
	for (size_t i = n; i-- > 0;) {
		unsigned int h = seg_height(s[i].size);
		svg_box(f, &s[i], y, h);
		y += h;
		if (i == SEG_FIRST_KERNEL)
			kernel_end = y;
	}
	svg_bracket(f, SVG_TOP, kernel_end, "TTBR1: kernel");
	svg_bracket(f, y - seg_height(s[0].size), y, "TTBR0");
	fprintf(f, "</svg>\n");
}

/* Write the SVG to @path; a usage error if it cannot be created, a failure if writing fails. */
static int svg_to_file(const char *path, const struct kernel_layout *l, FILE *err)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return sim_usage_error(err, "layout", "--svg: cannot create '%s': %s", path,
				       strerror(errno));
	write_svg(f, l);
	bool ok = !ferror(f);
	if (fclose(f) || !ok) {
		fprintf(err, "kmm-sim layout: --svg: writing '%s' failed\n", path);
		return SIM_EXIT_FAIL;
	}
	return SIM_EXIT_OK;
}

/* Build the layout of the parsed arguments, or report why there is none. */
static int make_layout(struct kernel_layout *l, uint64_t granule, unsigned int va_bits, bool kasan,
		       FILE *err)
{
	char gran[24];

	if (!kernel_layout_init(l, granule, va_bits, sizeof(struct page), kasan))
		return SIM_EXIT_OK;
	return sim_usage_error(err, "layout",
			       "--va-bits: no %s layout for %u-bit VAs (Linux's formulas need "
			       "%u..%u bits, or %u with a 64k granule)",
			       sim_size_str(granule, gran), va_bits, KERNEL_LAYOUT_VA_BITS_MIN,
			       KERNEL_LAYOUT_VA_BITS_MAX, KERNEL_LAYOUT_VA_BITS_LVA);
}

int cmd_layout(int argc, char **argv, FILE *out, FILE *err)
{
	uint64_t granule = 0;
	unsigned int va_bits = 0;
	bool kasan = false, json = false;
	const char *svg = NULL;
	int c;

	sim_getopt_reset();
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		switch (c) {
		case OPT_GRANULE:
			if (!sim_arg_granule(err, "layout", optarg, &granule))
				return SIM_EXIT_USAGE;
			break;
		case OPT_VA_BITS:
			if (!sim_arg_uint(err, "layout", "--va-bits", optarg,
					  KERNEL_LAYOUT_VA_BITS_MIN, KERNEL_LAYOUT_VA_BITS_LVA,
					  &va_bits))
				return SIM_EXIT_USAGE;
			break;
		case OPT_KASAN:
			kasan = true;
			break;
		case OPT_JSON:
			json = true;
			break;
		case OPT_SVG:
			svg = optarg;
			break;
		case OPT_HELP:
			fputs(usage, out);
			return SIM_EXIT_OK;
		default:
			return sim_opt_error(err, "layout", c, argv, options);
		}
	}
	if (optind < argc)
		return sim_usage_error(err, "layout", "unexpected argument '%s'", argv[optind]);
	if (!granule || !va_bits)
		return sim_usage_error(err, "layout", "%s is required",
				       !granule ? "--granule" : "--va-bits");

	struct kernel_layout l;
	int rc = make_layout(&l, granule, va_bits, kasan, err);
	if (rc == SIM_EXIT_OK && svg)
		rc = svg_to_file(svg, &l, err);
	if (rc != SIM_EXIT_OK)
		return rc;
	if (json)
		print_json(out, &l);
	else
		kernel_layout_banner(&l, NULL, emit_file, out);
	return SIM_EXIT_OK;
}

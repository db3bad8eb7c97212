// SPDX-License-Identifier: MIT
/*
 * Memory discovery from a flattened device tree; see include/kmm/fdt.h. The rules are those of
 * Linux's drivers/of/fdt.c (early_init_dt_scan_memory, early_init_dt_add_memory_arch,
 * fdt_scan_reserved_mem, early_init_dt_check_for_initrd) and arch/arm64/mm/init.c (early_mem,
 * arm64_memblock_init). The code here is kmm's own.
 */
#include <kmm/bug.h>
#include <kmm/errno.h>
#include <kmm/fdt.h>
#include <kmm/memblock.h>
#include <kmm/printk.h>

#include <libfdt.h>

#include <stdarg.h>

#define DT_PAGE_SIZE 4096ULL	/* the kernel's page size (4K granule) */
#define DT_ROOT_CELLS_DEFAULT 1 /* #address-cells and #size-cells when absent, as Linux */
#define DT_PATH_MAX 128
#define DT_CMDLINE_SIZE 2048 /* arm64's COMMAND_LINE_SIZE */

/* The parser's state: the blob, the description it fills and where a message goes. */
struct parse {
	const void *fdt;
	struct fdt_mem_info *info;
	char *err;
	size_t errlen;
};

const char *fdt_mem_kind_name(enum fdt_rsv_kind kind)
{
	static const char *const names[] = {
		[FDT_RSV_MEMRESERVE] = "memreserve", [FDT_RSV_NOMAP] = "no-map",
		[FDT_RSV_REUSABLE] = "reusable",     [FDT_RSV_RESERVED] = "reserved",
		[FDT_RSV_INITRD] = "initrd",
	};
	return names[kind];
}

/* Write "WHERE: PROP: message" (no "PROP: " when @prop is NULL) into @buf of @len bytes. */
static void vformat(char *buf, size_t len, const char *where, const char *prop, const char *fmt,
		    va_list ap)
{
	int n = kmm_snprintf(buf, len, "%s: %s%s", where, prop ? prop : "", prop ? ": " : "");

	if (n >= 0 && (size_t)n < len)
		kmm_vsnprintf(buf + n, len - n, fmt, ap);
}

static int __attribute__((format(printf, 4, 5)))
fail_at(struct parse *p, const char *where, const char *prop, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vformat(p->err, p->errlen, where, prop, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The pseudo-node of the /memreserve/ block, for fail_node and warn_node. */
#define NODE_MEMRESERVE (-1)

/* The path of the node at @node (cut to its name when the path is too long). */
static void node_path(struct parse *p, int node, char path[DT_PATH_MAX])
{
	kmm_snprintf(path, DT_PATH_MAX, "/memreserve/");
	if (node != NODE_MEMRESERVE && fdt_get_path(p->fdt, node, path, DT_PATH_MAX)) {
		const char *name = fdt_get_name(p->fdt, node, NULL);
		kmm_snprintf(path, DT_PATH_MAX, ".../%s", name ? name : "?");
	}
}

/* An error naming the node at @node by its path; returns -EINVAL. */
static int __attribute__((format(printf, 4, 5)))
fail_node(struct parse *p, int node, const char *prop, const char *fmt, ...)
{
	char path[DT_PATH_MAX];
	va_list ap;

	node_path(p, node, path);
	va_start(ap, fmt);
	vformat(p->err, p->errlen, path, prop, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A warning in the description, worded as fail_node's errors: counted, the first kept. */
static void __attribute__((format(printf, 4, 5)))
warn_node(struct parse *p, int node, const char *prop, const char *fmt, ...)
{
	struct fdt_mem_info *info = p->info;
	char path[DT_PATH_MAX];
	va_list ap;

	if (info->nr_warnings++ >= FDT_WARN_MAX)
		return;
	node_path(p, node, path);
	va_start(ap, fmt);
	vformat(info->warnings[info->nr_warnings - 1], FDT_MEM_ERRLEN, path, prop, fmt, ap);
	va_end(ap);
}

/* True if the property value @val of @len bytes starts with the string @s (Linux's strcmp). */
static bool prop_is(const char *val, int len, const char *s)
{
	int i = 0;

	if (!val)
		return false;
	for (; i < len && s[i]; i++)
		if (val[i] != s[i])
			return false;
	return i < len && !val[i];
}

/* Linux's of_fdt_device_is_available: no status, or "okay" or "ok". */
static bool node_available(const void *fdt, int node)
{
	int len;
	const char *status = fdt_getprop(fdt, node, "status", &len);

	return !status || prop_is(status, len, "okay") || prop_is(status, len, "ok");
}

static bool has_prop(const void *fdt, int node, const char *name)
{
	return fdt_getprop(fdt, node, name, NULL) != NULL;
}

/* A big-endian number of @n cells (of_read_number). */
static uint64_t read_cells(const fdt32_t *c, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = (v << 32) | fdt32_ld(c++);
	return v;
}

/* True if [base, base + size) does not end within the 64-bit address space. */
static bool range_wraps(uint64_t base, uint64_t size)
{
	return size > ~base;
}

static bool ranges_overlap(uint64_t b1, uint64_t s1, uint64_t b2, uint64_t s2)
{
	return b1 < b2 + s2 && b2 < b1 + s1;
}

/* --- the header ------------------------------------------------------------------------- */

/* The header and the structure (libfdt's checks), and a blob that fits in its buffer. */
static int check_header(struct parse *p, size_t size)
{
	const void *fdt = p->fdt;
	int e;

	if (!size)
		return fail_at(p, "header", NULL, "empty blob (0 bytes)");
	if (size < sizeof(struct fdt_header))
		return fail_at(p, "header", NULL, "truncated: %zu bytes, a header takes %zu", size,
			       sizeof(struct fdt_header));
	e = fdt_check_header(fdt);
	if (e == -FDT_ERR_BADMAGIC)
		return fail_at(p, "header", "magic", "0x%08x is not 0x%08x", fdt_magic(fdt),
			       FDT_MAGIC);
	if (e == -FDT_ERR_BADVERSION)
		return fail_at(p, "header", "version",
			       "%u (last compatible %u) is not supported: libfdt reads %d to %d",
			       fdt_version(fdt), fdt_last_comp_version(fdt),
			       FDT_FIRST_SUPPORTED_VERSION, FDT_LAST_SUPPORTED_VERSION);
	if (e == -FDT_ERR_ALIGNMENT)
		return fail_at(p, "header", NULL,
			       "the blob is not 8-byte aligned (libfdt needs it)");
	if (e)
		return fail_at(p, "header", NULL, "%s", fdt_strerror(e));
	if (fdt_totalsize(fdt) > size)
		return fail_at(p, "header", "totalsize",
			       "truncated: the blob is %u bytes, the buffer %zu",
			       fdt_totalsize(fdt), size);
	e = fdt_check_full(fdt, size);
	if (e)
		return fail_at(p, "structure", NULL, "%s", fdt_strerror(e));
	return 0;
}

/* --- the root --------------------------------------------------------------------------- */

/* The root's @name (#address-cells or #size-cells): 1 or 2, DT_ROOT_CELLS_DEFAULT if absent. */
static int read_root_cells(struct parse *p, const char *name, unsigned int *out)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, 0, name, &len);

	*out = DT_ROOT_CELLS_DEFAULT;
	if (!v)
		return 0;
	if (len != 4)
		return fail_node(p, 0, name, "length %d is not 4", len);
	*out = fdt32_ld(v);
	if (*out < 1 || *out > 2)
		return fail_node(p, 0, name, "%u is not 1 or 2", *out);
	return 0;
}

/* The bytes of one (address, size) tuple of the root's cells. */
static int tuple_bytes(const struct fdt_mem_info *info)
{
	return (int)(info->address_cells + info->size_cells) * 4;
}

/* The property @prop at @node holds whole (address, size) tuples of the root's cells. */
static int check_reg_len(struct parse *p, int node, const char *prop, int len)
{
	unsigned int ac = p->info->address_cells, sc = p->info->size_cells;
	int tuple = tuple_bytes(p->info);

	if (len % tuple)
		return fail_node(p, node, prop,
				 "length %d is not a multiple of %d (%u address + %u size cells)",
				 len, tuple, ac, sc);
	return 0;
}

/* Tuple @i of a reg-like property. */
static void reg_tuple(const struct fdt_mem_info *info, const fdt32_t *reg, int i, uint64_t *base,
		      uint64_t *size)
{
	const fdt32_t *t = reg + i * (info->address_cells + info->size_cells);

	*base = read_cells(t, info->address_cells);
	*size = read_cells(t + info->address_cells, info->size_cells);
}

/* --- memory ----------------------------------------------------------------------------- */

/* Whole pages of [*base, *base + *size), as early_init_dt_add_memory_arch; false if none. */
static bool trim_to_pages(uint64_t *base, uint64_t *size)
{
	uint64_t head = (DT_PAGE_SIZE - (*base & (DT_PAGE_SIZE - 1))) & (DT_PAGE_SIZE - 1);

	if (*size <= head)
		return false;
	*base += head;
	*size = ALIGN_DOWN(*size - head, DT_PAGE_SIZE);
	return *size != 0;
}

/* A memory range overlapping @r with another node or hotplug flag (Linux says nothing). */
static const struct fdt_mem_range *mem_conflict(const struct fdt_mem_info *info,
						const struct fdt_mem_range *r)
{
	for (unsigned int i = 0; i < info->nr_memory; i++) {
		const struct fdt_mem_range *m = &info->memory[i];
		if (ranges_overlap(m->base, m->size, r->base, r->size) &&
		    (m->nid != r->nid || m->hotplug != r->hotplug))
			return m;
	}
	return NULL;
}

/* Add tuple [base, base + size) of @prop of memory node @node, trimmed to pages. */
static int add_memory(struct parse *p, int node, const char *prop, uint64_t base, uint64_t size,
		      int nid, bool hotplug)
{
	struct fdt_mem_info *info = p->info;
	struct fdt_mem_range r = { .nid = nid, .hotplug = hotplug };
	const struct fdt_mem_range *m;

	if (range_wraps(base, size)) {
		warn_node(p, node, prop, "[0x%llx, +0x%llx) wraps past 2^64: cut there",
			  (unsigned long long)base, (unsigned long long)size);
		size = ~base; /* memblock_cap_size */
	}
	if (!trim_to_pages(&base, &size))
		return 0;
	r.base = base;
	r.size = size;
	m = mem_conflict(info, &r);
	if (m)
		warn_node(p, node, prop,
			  "[0x%llx, 0x%llx) overlaps [0x%llx, 0x%llx) of another node or hotplug "
			  "flag: the first node stays, hotplug marks all",
			  (unsigned long long)base, (unsigned long long)(base + size),
			  (unsigned long long)m->base, (unsigned long long)(m->base + m->size));
	if (info->nr_memory == FDT_MEM_MAX)
		return fail_node(p, node, prop, "more than %d memory ranges", FDT_MEM_MAX);
	info->memory[info->nr_memory++] = r;
	return 0;
}

/* numa-node-id of @node: NUMA_NO_NODE when absent, else one cell up to FDT_NID_MAX. */
static int read_nid(struct parse *p, int node, int *nid)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, "numa-node-id", &len);

	*nid = NUMA_NO_NODE;
	if (!v)
		return 0;
	if (len != 4)
		return fail_node(p, node, "numa-node-id", "length %d is not 4", len);
	if (fdt32_ld(v) > FDT_NID_MAX)
		return fail_node(p, node, "numa-node-id", "%u is above %d", fdt32_ld(v),
				 FDT_NID_MAX);
	*nid = (int)fdt32_ld(v);
	return 0;
}

/* One memory node: linux,usable-memory, else reg; nothing if it has neither. */
static int scan_memory_node(struct parse *p, int node)
{
	const char *prop = "linux,usable-memory";
	const fdt32_t *reg = fdt_getprop(p->fdt, node, prop, NULL);
	bool hotplug = has_prop(p->fdt, node, "hotpluggable");
	int len, nid, e;

	if (!reg)
		prop = "reg";
	reg = fdt_getprop(p->fdt, node, prop, &len);
	if (!reg)
		return 0;
	e = check_reg_len(p, node, prop, len);
	if (!e)
		e = read_nid(p, node, &nid);
	for (int i = 0; !e && i < len / tuple_bytes(p->info); i++) {
		uint64_t base, size;
		reg_tuple(p->info, reg, i, &base, &size);
		e = add_memory(p, node, prop, base, size, nid, hotplug); /* 0 bytes: none */
	}
	return e;
}

/* The children of the root with device_type "memory" and an available status. */
static int scan_memory(struct parse *p)
{
	int node, len, e = 0;

	for (node = fdt_first_subnode(p->fdt, 0); node >= 0;
	     node = fdt_next_subnode(p->fdt, node)) {
		const char *type = fdt_getprop(p->fdt, node, "device_type", &len);
		if (!prop_is(type, len, "memory") || !node_available(p->fdt, node))
			continue;
		e = scan_memory_node(p, node);
		if (e)
			return e;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return fail_node(p, 0, NULL, "%s", fdt_strerror(node));
	if (!p->info->nr_memory)
		warn_node(p, 0, NULL,
			  "no memory: no available device_type = \"memory\" node with a range of "
			  "a page or more");
	return 0;
}

/* --- reserved ranges -------------------------------------------------------------------- */

/* True if [base, base + size) overlaps one of the memory ranges. */
static bool overlaps_memory(const struct fdt_mem_info *info, uint64_t base, uint64_t size)
{
	for (unsigned int i = 0; i < info->nr_memory; i++)
		if (ranges_overlap(info->memory[i].base, info->memory[i].size, base, size))
			return true;
	return false;
}

/* What memblock holds reserved for @r: the initrd's whole pages, else the range itself. */
static void reserved_extent(const struct fdt_rsv_range *r, uint64_t *base, uint64_t *size)
{
	*base = r->base;
	*size = r->size;
	if (r->kind == FDT_RSV_INITRD) {
		*base = ALIGN_DOWN(r->base, DT_PAGE_SIZE);
		*size = ALIGN_UP(r->base + r->size, DT_PAGE_SIZE) - *base;
	}
}

/*
 * The range a no-map @r loses to, as early_init_dt_reserve_memory's -EBUSY: @r overlaps memory
 * and a range reserved before it (the ranges are kept in Linux's order: the initrd, then
 * /memreserve/, then the /reserved-memory children in the blob's order). NULL when @r wins.
 */
static const struct fdt_rsv_range *nomap_loses_to(const struct fdt_mem_info *info,
						  const struct fdt_rsv_range *r)
{
	uint64_t base, size;

	if (!overlaps_memory(info, r->base, r->size))
		return NULL;
	for (unsigned int i = 0; i < info->nr_reserved; i++) {
		const struct fdt_rsv_range *o = &info->reserved[i];
		reserved_extent(o, &base, &size);
		if (o->kind != FDT_RSV_NOMAP && ranges_overlap(base, size, r->base, r->size))
			return o;
	}
	return NULL;
}

/*
 * Append @r, from @prop of @node (or NODE_MEMRESERVE), unless it is a no-map range that loses
 * to a reserved one: Linux's fdt_reserved_mem then prints an error and leaves the range as it
 * was (memory, mapped), so it is skipped with a warning.
 */
static int add_reserved(struct parse *p, int node, const char *prop, const struct fdt_rsv_range *r)
{
	struct fdt_mem_info *info = p->info;
	const struct fdt_rsv_range *o = r->kind == FDT_RSV_NOMAP ? nomap_loses_to(info, r) : NULL;

	if (o) {
		warn_node(p, node, prop,
			  "no-map range [0x%llx, 0x%llx) overlaps %s range [0x%llx, 0x%llx)%s%s "
			  "reserved before it: skipped, as Linux (-EBUSY)",
			  (unsigned long long)r->base, (unsigned long long)(r->base + r->size),
			  fdt_mem_kind_name(o->kind), (unsigned long long)o->base,
			  (unsigned long long)(o->base + o->size), o->name ? " of " : "",
			  o->name ? o->name : "");
		return 0;
	}
	if (info->nr_reserved == FDT_RSV_MAX)
		return fail_node(p, node, prop, "more than %d reserved ranges", FDT_RSV_MAX);
	info->reserved[info->nr_reserved++] = *r;
	return 0;
}

/* A reserved range that wraps past 2^64 ends there, as memblock_cap_size; 0 bytes are none. */
static int add_reserved_capped(struct parse *p, int node, const char *prop, struct fdt_rsv_range *r)
{
	if (range_wraps(r->base, r->size)) {
		warn_node(p, node, prop, "[0x%llx, +0x%llx) wraps past 2^64: cut there",
			  (unsigned long long)r->base, (unsigned long long)r->size);
		r->size = ~r->base;
	}
	return r->size ? add_reserved(p, node, prop, r) : 0;
}

/* The /memreserve/ block (its first zero-size entry ends it). */
static int scan_memreserve(struct parse *p)
{
	int n = fdt_num_mem_rsv(p->fdt);

	if (n < 0)
		return fail_node(p, NODE_MEMRESERVE, NULL, "%s", fdt_strerror(n));
	for (int i = 0; i < n; i++) {
		struct fdt_rsv_range r = { .kind = FDT_RSV_MEMRESERVE };
		int e = fdt_get_mem_rsv(p->fdt, i, &r.base, &r.size);
		if (e)
			return fail_node(p, NODE_MEMRESERVE, NULL, "entry %d: %s", i,
					 fdt_strerror(e));
		e = add_reserved_capped(p, NODE_MEMRESERVE, NULL, &r);
		if (e)
			return e;
	}
	return 0;
}

/*
 * One /reserved-memory child with a reg: each non-empty tuple is a range of one kind. no-map
 * with reusable is no-map, as __reserved_mem_reserve_reg (with a warning).
 */
static int scan_rsv_child(struct parse *p, int node, const fdt32_t *reg, int len)
{
	const void *fdt = p->fdt;
	bool nomap = has_prop(fdt, node, "no-map"), reusable = has_prop(fdt, node, "reusable");
	struct fdt_rsv_range r = { .name = fdt_get_name(fdt, node, NULL) };
	int e = check_reg_len(p, node, "reg", len);

	if (e)
		return e;
	if (nomap && reusable)
		warn_node(p, node, "no-map", "and reusable are mutually exclusive: no-map counts");
	r.kind = nomap ? FDT_RSV_NOMAP : reusable ? FDT_RSV_REUSABLE : FDT_RSV_RESERVED;
	for (int i = 0; !e && i < len / tuple_bytes(p->info); i++) {
		reg_tuple(p->info, reg, i, &r.base, &r.size);
		e = add_reserved_capped(p, node, "reg", &r);
	}
	return e;
}

/* A /reserved-memory #cells property repeats the root's (__reserved_mem_check_root). */
static bool rsv_cells_ok(struct parse *p, int node, const char *name, unsigned int root)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, name, &len);

	return v && len >= 4 && fdt32_ld(v) == root;
}

/*
 * The available children of /reserved-memory that have a reg. A /reserved-memory whose #cells
 * differ from the root's or that lacks ranges is ignored whole, as Linux ("unsupported node
 * format"). A child without a reg is a dynamic region (size, alignment, alloc-ranges) that
 * Linux allocates later from memblock; kmm does not allocate those yet, so they are skipped.
 */
static int scan_reserved_memory(struct parse *p)
{
	int parent = fdt_path_offset(p->fdt, "/reserved-memory"), node, len;
	int e;

	if (parent < 0)
		return 0;
	if (!rsv_cells_ok(p, parent, "#address-cells", p->info->address_cells) ||
	    !rsv_cells_ok(p, parent, "#size-cells", p->info->size_cells) ||
	    !has_prop(p->fdt, parent, "ranges")) {
		warn_node(p, parent, NULL,
			  "unsupported node format (#address-cells and #size-cells must be the "
			  "root's %u and %u, ranges present): ignored, as Linux",
			  p->info->address_cells, p->info->size_cells);
		return 0;
	}
	for (node = fdt_first_subnode(p->fdt, parent); node >= 0;
	     node = fdt_next_subnode(p->fdt, node)) {
		const fdt32_t *reg = fdt_getprop(p->fdt, node, "reg", &len);
		if (!reg || !node_available(p->fdt, node))
			continue;
		e = scan_rsv_child(p, node, reg, len);
		if (e)
			return e;
	}
	if (node != -FDT_ERR_NOTFOUND)
		return fail_node(p, parent, NULL, "%s", fdt_strerror(node));
	return 0;
}

/* --- /chosen ---------------------------------------------------------------------------- */

/* An initrd property: one or two cells. Returns 1 if present, 0 if absent, or -EINVAL. */
static int read_initrd_prop(struct parse *p, int node, const char *name, uint64_t *out)
{
	int len;
	const fdt32_t *v = fdt_getprop(p->fdt, node, name, &len);

	if (!v)
		return 0;
	if (len != 4 && len != 8)
		return fail_node(p, node, name, "length %d is not 4 or 8", len);
	*out = read_cells(v, len / 4);
	return 1;
}

/* True if the memory ranges together cover [base, base + size). */
static bool in_memory(const struct fdt_mem_info *info, uint64_t base, uint64_t size)
{
	uint64_t cur = base, end = base + size;
	bool moved = true;

	while (cur < end && moved) {
		moved = false;
		for (unsigned int i = 0; i < info->nr_memory; i++) {
			const struct fdt_mem_range *m = &info->memory[i];
			if (m->base <= cur && cur < m->base + m->size) {
				cur = m->base + m->size;
				moved = true;
			}
		}
	}
	return cur >= end;
}

/*
 * linux,initrd-start and -end, as early_init_dt_check_for_initrd and arm64_memblock_init: with
 * only one of them, the end below the start, or pages that are not all memory, there is no
 * initrd (Linux: phys_initrd_size 0), with a warning. An empty initrd is none.
 */
static int scan_initrd(struct parse *p, int node)
{
	struct fdt_mem_info *info = p->info;
	uint64_t start = 0, end = 0;
	int has_start, has_end;

	has_start = read_initrd_prop(p, node, "linux,initrd-start", &start);
	if (has_start < 0)
		return has_start;
	has_end = read_initrd_prop(p, node, "linux,initrd-end", &end);
	if (has_end < 0)
		return has_end;
	if (has_start != has_end)
		warn_node(p, node, has_start ? "linux,initrd-end" : "linux,initrd-start",
			  "missing (%s is set): no initrd",
			  has_start ? "linux,initrd-start" : "linux,initrd-end");
	else if (end < start)
		warn_node(p, node, "linux,initrd-end",
			  "0x%llx is below the start 0x%llx: no initrd", (unsigned long long)end,
			  (unsigned long long)start);
	/* Memory is whole pages, so the initrd's pages are memory too (and end below 2^64). */
	else if (start < end && !in_memory(info, start, end - start))
		warn_node(p, node, "linux,initrd-start",
			  "the initrd [0x%llx, 0x%llx) is not all in memory: no initrd",
			  (unsigned long long)start, (unsigned long long)end);
	else if (start < end)
		info->has_initrd = true;
	if (!info->has_initrd)
		return 0;
	info->initrd_start = start;
	info->initrd_end = end;
	struct fdt_rsv_range r = { .base = start, .size = end - start, .kind = FDT_RSV_INITRD };
	return add_reserved(p, node, "linux,initrd-start", &r);
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The value of a digit in base 16, or 16 for a character that is none. */
static unsigned int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : 16;
}

/*
 * Linux's memparse over @s[0..n): a number in C notation (0x hex when a hex digit follows, a
 * leading 0 octal, else decimal; wrapping on overflow, as simple_strtoull) and an optional K, M,
 * G, T, P or E (either case) that shifts it, wrapping too. Returns how many characters it used;
 * Linux ignores the rest (no digits at all read as 0).
 */
static size_t memparse(const char *s, size_t n, uint64_t *out)
{
	static const char units[] = "kmgtpe";
	unsigned int radix = 10;
	size_t i = 0;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] | 0x20) == 'x' && digit_value(s[2]) < 16) {
		radix = 16;
		i = 2;
	} else if (n > 1 && s[0] == '0') {
		radix = 8;
	}
	for (; i < n && digit_value(s[i]) < radix; i++)
		v = v * radix + digit_value(s[i]);
	for (unsigned int u = 0; i < n && units[u]; u++)
		if ((s[i] | 0x20) == units[u]) {
			v <<= 10 * (u + 1);
			i++;
			break;
		}
	*out = v;
	return i;
}

/* The next argument of a command line from *pos: [*start, *end), quotes keep spaces in. */
static bool next_arg(const char *s, size_t n, size_t *pos, size_t *start, size_t *end)
{
	size_t i = *pos;
	bool quoted = false;

	while (i < n && is_space(s[i]))
		i++;
	if (i == n)
		return false;
	*start = i;
	for (; i < n && (quoted || !is_space(s[i])); i++)
		if (s[i] == '"')
			quoted = !quoted;
	*end = *pos = i;
	return true;
}

/*
 * mem= in the kernel command line @s (@n bytes), as arm64's early_mem: memparse, the last one
 * counts, rounded down to a page (0 caps nothing). What memparse leaves is ignored, as Linux,
 * with a warning. Arguments after "--" are init's. Quotes around an argument or its value are
 * dropped, as Linux's next_arg does.
 */
static void scan_bootargs(struct parse *p, int node, const char *s, size_t n)
{
	size_t pos = 0, a, b, used;
	uint64_t limit;

	while (next_arg(s, n, &pos, &a, &b)) {
		if (b - a == 2 && s[a] == '-' && s[a + 1] == '-')
			break;
		a += s[a] == '"';
		b -= b > a && s[b - 1] == '"';
		if (b - a < 4 || s[a] != 'm' || s[a + 1] != 'e' || s[a + 2] != 'm' ||
		    s[a + 3] != '=')
			continue;
		a += 4 + (b > a + 4 && s[a + 4] == '"');
		used = memparse(s + a, b - a, &limit);
		if (used < b - a)
			warn_node(p, node, "bootargs", "mem=%.*s: \"%.*s\" after the size ignored",
				  (int)(b - a), s + a, (int)(b - a - used), s + a + used);
		p->info->mem_limit = ALIGN_DOWN(limit, DT_PAGE_SIZE);
	}
}

/*
 * /chosen's bootargs as early_init_dt_scan_chosen copies them: at most len - 1 bytes (strlcpy)
 * and COMMAND_LINE_SIZE - 1, up to the first NUL.
 */
static void scan_cmdline(struct parse *p, int node)
{
	int len;
	const char *args = fdt_getprop(p->fdt, node, "bootargs", &len);
	size_t n = 0, max;

	if (!args || len <= 0)
		return;
	max = (size_t)(len < DT_CMDLINE_SIZE ? len : DT_CMDLINE_SIZE) - 1;
	while (n < max && args[n])
		n++;
	if (n == (size_t)len - 1 && args[n])
		warn_node(p, node, "bootargs",
			  "not a NUL-terminated string: the last byte dropped");
	else if (n == max && args[n])
		warn_node(p, node, "bootargs", "longer than %d bytes: cut there",
			  DT_CMDLINE_SIZE - 1);
	scan_bootargs(p, node, args, n);
}

/* /chosen (or /chosen@0): the initrd and bootargs. */
static int scan_chosen(struct parse *p)
{
	int node = fdt_path_offset(p->fdt, "/chosen");

	if (node < 0)
		node = fdt_path_offset(p->fdt, "/chosen@0");
	if (node < 0)
		return 0;
	scan_cmdline(p, node);
	return scan_initrd(p, node);
}

/* Sort the reserved ranges by base, keeping the blob's order among equal bases. */
static void sort_reserved(struct fdt_mem_info *info)
{
	for (unsigned int i = 1; i < info->nr_reserved; i++) {
		struct fdt_rsv_range r = info->reserved[i];
		unsigned int j = i;
		for (; j > 0 && info->reserved[j - 1].base > r.base; j--)
			info->reserved[j] = info->reserved[j - 1];
		info->reserved[j] = r;
	}
}

int fdt_mem_parse(const void *blob, size_t size, struct fdt_mem_info *info, char *err,
		  size_t errlen)
{
	struct parse p = { .fdt = blob, .info = info, .err = err, .errlen = errlen };
	int e;

	*info = (struct fdt_mem_info){ 0 };
	if (errlen)
		err[0] = '\0';
	e = check_header(&p, size);
	if (!e)
		e = read_root_cells(&p, "#address-cells", &info->address_cells);
	if (!e)
		e = read_root_cells(&p, "#size-cells", &info->size_cells);
	if (!e)
		e = scan_memory(&p);
	if (!e)
		e = scan_chosen(&p); /* the initrd is reserved first (arm64_memblock_init) */
	if (!e)
		e = scan_memreserve(&p);
	if (!e)
		e = scan_reserved_memory(&p);
	if (!e)
		sort_reserved(info);
	return e;
}

/* --- applying a description to memblock ------------------------------------------------- */

/* The page-aligned range the initrd occupies, which arm64 reserves. */
static void initrd_pages(const struct fdt_mem_info *info, uint64_t *base, uint64_t *size)
{
	*base = ALIGN_DOWN(info->initrd_start, DT_PAGE_SIZE);
	*size = ALIGN_UP(info->initrd_end, DT_PAGE_SIZE) - *base;
}

/*
 * Can every step run without an array growing? Regions only ever split at the boundaries of the
 * ranges applied, so a type never holds more regions than those boundaries less one; splitting
 * takes 2 slots more first (Linux's memblock_isolate_range). The boundaries: 2 for each region
 * already there, each memory range, each no-map range (memory) or other reserved range
 * (reserved) and the initrd's pages (both), and 1 for the mem= cut.
 */
static bool apply_fits(const struct fdt_mem_info *info, const struct memblock *mb)
{
	uint64_t mem = mb->memory.cnt + info->nr_memory + info->has_initrd;
	uint64_t rsv = mb->reserved.cnt;

	for (unsigned int i = 0; i < info->nr_reserved; i++) {
		if (info->reserved[i].kind == FDT_RSV_NOMAP)
			mem++;
		else
			rsv++;
	}
	return 2 * mem + 2 <= mb->memory.max && 2 * rsv + 2 <= mb->reserved.max;
}

/* A memblock call that apply_fits and the parser's checks made infallible. */
static void must(int ret)
{
	BUG_ON(ret);
}

/*
 * arm64_memblock_init's initrd step: the initrd's pages become memory again (mem= may have cut
 * them), plain (no hotplug flag) and on the node the blob gave them, then reserved.
 */
static void apply_initrd(const struct fdt_mem_info *info, struct memblock *mb)
{
	uint64_t base, size;

	initrd_pages(info, &base, &size);
	for (unsigned int i = 0; i < info->nr_memory; i++) {
		const struct fdt_mem_range *m = &info->memory[i];
		uint64_t lo = m->base > base ? m->base : base;
		uint64_t hi = m->base + m->size < base + size ? m->base + m->size : base + size;
		if (lo >= hi)
			continue;
		must(memblock_remove(mb, lo, hi - lo));
		must(memblock_add_node(mb, lo, hi - lo, m->nid, MEMBLOCK_NONE));
	}
	must(memblock_reserve(mb, base, size));
}

int fdt_mem_apply(const struct fdt_mem_info *info, struct memblock *mb)
{
	if (!apply_fits(info, mb))
		return -ENOMEM;
	for (unsigned int i = 0; i < info->nr_memory; i++) {
		const struct fdt_mem_range *m = &info->memory[i];
		must(memblock_add_node(mb, m->base, m->size, m->nid, MEMBLOCK_NONE));
		if (m->hotplug) /* over what was there too, as early_init_dt_scan_memory */
			must(memblock_mark_hotplug(mb, m->base, m->size));
	}
	if (info->mem_limit)
		memblock_cap_memory(mb, info->mem_limit);
	if (info->has_initrd)
		apply_initrd(info, mb);
	for (unsigned int i = 0; i < info->nr_reserved; i++) {
		const struct fdt_rsv_range *r = &info->reserved[i];
		if (r->kind == FDT_RSV_NOMAP)
			must(memblock_mark_nomap(mb, r->base, r->size));
		else if (r->kind != FDT_RSV_INITRD)
			must(memblock_reserve(mb, r->base, r->size));
	}
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * kmm-sim walk over RAM images that the tests write to temporary files: 4K granule, 39-bit VAs
 * (T0SZ = T1SZ = 25, so walks start at level 1), 48-bit PAs.
 *
 *   image A at 0x80000000 (64K)                 image B at 0x90000000 (8K)
 *     +0x0000  TTBR0 level-1 table                +0x0000  level-3 table for VA 8M..10M
 *     +0x1000  level 2 for VA 0..1G               +0x1000  data page
 *     +0x2000  level 3 for VA 0..2M
 *     +0x3000  TTBR1 level-1 table
 *     +0x4000  data pages
 *
 *   VA 0x0 page         → 0x80004000 EL1 RW           L1[0] → L2, L2[0] → L3
 *   VA 0x1000 page      → 0x80005000 RO at both ELs   L3[1]
 *   VA 0x2000 page      → 0x80006000 AF clear         L3[2]
 *   VA 0x3000           invalid                       L3[3]
 *   VA 0x4000 page      → 0x90001000 (image B)        L3[4]
 *   VA 0x200000 block   → 0x80200000 2M, EL0 RW, nG   L2[1]
 *   VA 0x400000         invalid                       L2[2]
 *   VA 0x600000         table outside the images      L2[3] → 0x10000000
 *   VA 0x800000 page    → 0x90001000, via image B     L2[4] → B+0, B[0]
 *   VA 0x40000000 block → 0x40000000 1G               L1[1]
 *   VA 0x80000000       table at a 44-bit PA          L1[2] (address size with --pa-bits 40)
 *   VA 0xffffffffc0000000 block → 0x0 1G (TTBR1)      L1'[511]
 */
#include "jsonread.h"
#include "simtest.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define A_BASE 0x80000000ULL
#define A_SIZE 0x10000
#define B_BASE 0x90000000ULL
#define B_SIZE 0x2000

struct fixture {
	char dir[64];
	char a[96], b[96], empty[96];
	char mem_a[128], mem_b[128];
	char tcr[32], ttbr0[32], ttbr1[32];
};

static const struct pte_attrs kernel_rw = {
	.attrindx = 1, .sh = SH_INNER, .ap = AP_RW_EL1, .af = true
};

/* Store @desc in entry @index of the table at @off of @img, little-endian as RAM is. */
static void put(uint8_t *img, size_t off, unsigned int index, uint64_t desc)
{
	for (int i = 0; i < 8; i++)
		img[off + index * 8 + i] = (uint8_t)(desc >> (8 * i));
}

static void build_a(uint8_t *a, const struct xlat_geometry *g)
{
	static const struct table_attrs t = { 0 };
	struct pte_attrs ro = kernel_rw, old = kernel_rw, user = kernel_rw, big = kernel_rw;

	ro.ap = AP_RO_ALL;
	old.af = false;
	user = (struct pte_attrs){ .attrindx = 2,
				   .sh = SH_OUTER,
				   .ap = AP_RW_ALL,
				   .af = true,
				   .ng = true,
				   .pxn = true,
				   .contig = true };
	big.uxn = true;
	put(a, 0x0000, 0, desc_make_table(g, A_BASE + 0x1000, &t));
	put(a, 0x0000, 1, desc_make_block(g, 1, 0x40000000, &big));
	put(a, 0x0000, 2, desc_make_table(g, 1ULL << 44, &t));
	put(a, 0x1000, 0, desc_make_table(g, A_BASE + 0x2000, &t));
	put(a, 0x1000, 1, desc_make_block(g, 2, A_BASE + 0x200000, &user));
	put(a, 0x1000, 3, desc_make_table(g, 0x10000000, &t));
	put(a, 0x1000, 4, desc_make_table(g, B_BASE, &t));
	put(a, 0x2000, 0, desc_make_page(g, A_BASE + 0x4000, &kernel_rw));
	put(a, 0x2000, 1, desc_make_page(g, A_BASE + 0x5000, &ro));
	put(a, 0x2000, 2, desc_make_page(g, A_BASE + 0x6000, &old));
	put(a, 0x2000, 4, desc_make_page(g, B_BASE + 0x1000, &kernel_rw));
	put(a, 0x3000, 511, desc_make_block(g, 1, 0, &big));
}

static bool write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(buf, 1, len, f) == len;

	return (f && !fclose(f)) && ok;
}

static void fixture_teardown(struct fixture *fx)
{
	unlink(fx->a);
	unlink(fx->b);
	unlink(fx->empty);
	rmdir(fx->dir);
}

/* Make the temporary directory with both images and an empty file, and the option values. */
static bool fixture_setup(struct ktest *kt, struct fixture *fx)
{
	static uint8_t a[A_SIZE], b[B_SIZE];
	struct xlat_geometry g;
	struct tcr_fields f = { .ips = 5 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	xlat_geometry_init(&g, 4096, 39);
	build_a(a, &g);
	put(b, 0, 0, desc_make_page(&g, B_BASE + 0x1000, &kernel_rw));
	strcpy(fx->dir, "/tmp/kmm-sim-walk-XXXXXX");
	if (!KT_EXPECT_NOT_NULL(kt, mkdtemp(fx->dir)))
		return false;
	snprintf(fx->a, sizeof(fx->a), "%s/a.bin", fx->dir);
	snprintf(fx->b, sizeof(fx->b), "%s/b.bin", fx->dir);
	snprintf(fx->empty, sizeof(fx->empty), "%s/empty.bin", fx->dir);
	snprintf(fx->mem_a, sizeof(fx->mem_a), "%s@0x%llx", fx->a, A_BASE);
	snprintf(fx->mem_b, sizeof(fx->mem_b), "%s@0x%llx", fx->b, B_BASE);
	for (int h = 0; h < 2; h++)
		f.half[h] = (struct tcr_half){ .tsz = 25, .granule = 4096 };
	snprintf(fx->tcr, sizeof(fx->tcr), "0x%llx", (unsigned long long)tcr_encode(&f));
	snprintf(fx->ttbr0, sizeof(fx->ttbr0), "0x%llx", A_BASE);
	snprintf(fx->ttbr1, sizeof(fx->ttbr1), "0x%llx", A_BASE + 0x3000);
	bool ok = write_file(fx->a, a, sizeof(a)) && write_file(fx->b, b, sizeof(b)) &&
		  write_file(fx->empty, "", 0);
	if (!KT_EXPECT_TRUE(kt, ok))
		fixture_teardown(fx);
	return ok;
}

/* kmm-sim walk with both images and the registers, then the arguments given. */
#define WALK(c, fx, ...)                                                                           \
	SIM_RUN((c), cmd_walk, "walk", "--mem", (fx)->mem_a, "--mem", (fx)->mem_b, "--tcr",        \
		(fx)->tcr, "--ttbr0", (fx)->ttbr0, "--ttbr1", (fx)->ttbr1, __VA_ARGS__)

/* The parsed JSON array of a run that must have succeeded, or NULL (and the test failed). */
static struct jv *answers(struct ktest *kt, struct sim_capture *c, size_t n)
{
	struct jv *v = jv_parse(c->out);

	KT_EXPECT_EQ(kt, c->rc, 0);
	KT_EXPECT_STREQ(kt, c->err, "");
	if (!KT_EXPECT_TRUE(kt, v && v->type == JV_ARRAY && v->n == n))
		ktest_log(kt, "output: %s", c->out);
	sim_capture_free(c);
	if (v && v->n != n) {
		jv_free(v);
		v = NULL;
	}
	return v;
}

/* Check one answer: @pa NULL for a fault; @fault NULL for none. */
static void check(struct ktest *kt, const struct jv *a, const char *pa, uint64_t level,
		  uint64_t size, const char *fault)
{
	const struct jv *f = jv_get(a, "fault");

	if (pa)
		KT_EXPECT_STREQ(kt, jv_str(a, "pa"), pa);
	else
		KT_EXPECT_TRUE(kt, jv_is_null(a, "pa"));
	KT_EXPECT_EQ(kt, jv_uint(a, "level"), level);
	KT_EXPECT_EQ(kt, jv_uint(a, "size"), size);
	if (fault) {
		KT_EXPECT_STREQ(kt, jv_str(f, "type"), fault);
		KT_EXPECT_EQ(kt, jv_uint(f, "level"), level);
	} else {
		KT_EXPECT_TRUE(kt, jv_is_null(a, "fault"));
	}
}

KTEST(sim_walk, exact_json)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "0x123", "4194304", "0x8000000000");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(
	    kt, c.out,
	    "[{\"va\": \"0x123\", \"pa\": \"0x80004123\", \"level\": 3, \"size\": 4096, "
	    "\"attrs\": {\"attrindx\": 1, \"sh\": 3, \"ap\": 0, \"ng\": 0, \"af\": 1, "
	    "\"uxn\": 0, \"pxn\": 0, \"contig\": 0}, \"fault\": null}, "
	    "{\"va\": \"0x400000\", \"pa\": null, \"level\": 2, \"size\": 2097152, "
	    "\"attrs\": null, \"fault\": {\"type\": \"translation\", \"level\": 2}}, "
	    "{\"va\": \"0x8000000000\", \"pa\": null, \"level\": 0, \"size\": 0, "
	    "\"attrs\": null, \"fault\": {\"type\": \"translation\", \"level\": 0}}]\n");
	KT_EXPECT_STREQ(kt, c.err, "");
	sim_capture_free(&c);
	fixture_teardown(&fx);
}

/* Leaves of every size, in both halves, and a block's attributes. */
KTEST(sim_walk, pages_and_blocks)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "0xfff", "0x2abcde", "0x7fffffff", "0xffffffffc0001234");
	struct jv *v = answers(kt, &c, 4);
	if (v) {
		check(kt, jv_at(v, 0), "0x80004fff", 3, 4096, NULL);
		check(kt, jv_at(v, 1), "0x802abcde", 2, 2 << 20, NULL);
		check(kt, jv_at(v, 2), "0x7fffffff", 1, 1 << 30, NULL);
		check(kt, jv_at(v, 3), "0x1234", 1, 1 << 30, NULL);
		const struct jv *at = jv_get(jv_at(v, 1), "attrs");
		KT_EXPECT_EQ(kt, jv_uint(at, "attrindx"), 2u);
		KT_EXPECT_EQ(kt, jv_uint(at, "sh"), (uint64_t)SH_OUTER);
		KT_EXPECT_EQ(kt, jv_uint(at, "ap"), (uint64_t)AP_RW_ALL);
		KT_EXPECT_EQ(kt, jv_uint(at, "ng"), 1u);
		KT_EXPECT_EQ(kt, jv_uint(at, "pxn"), 1u);
		KT_EXPECT_EQ(kt, jv_uint(at, "uxn"), 0u);
		KT_EXPECT_EQ(kt, jv_uint(at, "contig"), 1u);
		KT_EXPECT_EQ(kt, jv_uint(jv_get(jv_at(v, 3), "attrs"), "uxn"), 1u);
		KT_EXPECT_STREQ(kt, jv_str(jv_at(v, 3), "va"), "0xffffffffc0001234");
	}
	jv_free(v);
	fixture_teardown(&fx);
}

/* Translation faults at each level, with the size of an entry there (0 before any read). */
KTEST(sim_walk, translation_faults)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "0x3000", "0x400000", "0xc0000000", "0x8000000000",
	     "0xffff000000000000");
	struct jv *v = answers(kt, &c, 5);
	if (v) {
		check(kt, jv_at(v, 0), NULL, 3, 4096, "translation");
		check(kt, jv_at(v, 1), NULL, 2, 2 << 20, "translation");
		check(kt, jv_at(v, 2), NULL, 1, 1 << 30, "translation");
		check(kt, jv_at(v, 3), NULL, 0, 0, "translation");
		check(kt, jv_at(v, 4), NULL, 0, 0, "translation");
		KT_EXPECT_TRUE(kt, jv_is_null(jv_at(v, 0), "attrs"));
	}
	jv_free(v);
	fixture_teardown(&fx);
}

/* A read-only page: EL0 may read it, a write at EL0 is a permission fault with the leaf shown. */
KTEST(sim_walk, permission_fault_at_el0_write)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "--el", "0", "--access", "write", "0x1008", "0x0");
	struct jv *v = answers(kt, &c, 2);
	if (v) {
		check(kt, jv_at(v, 0), NULL, 3, 4096, "permission");
		KT_EXPECT_EQ(kt, jv_uint(jv_get(jv_at(v, 0), "attrs"), "ap"), (uint64_t)AP_RO_ALL);
		check(kt, jv_at(v, 1), NULL, 3, 4096, "permission");
	}
	jv_free(v);
	WALK(&c, &fx, "--json", "--el", "0", "0x1008");
	v = answers(kt, &c, 1);
	if (v)
		check(kt, jv_at(v, 0), "0x80005008", 3, 4096, NULL);
	jv_free(v);
	WALK(&c, &fx, "--json", "--access", "exec", "0x40000000", "0x200000");
	v = answers(kt, &c, 2);
	if (v) {
		check(kt, jv_at(v, 0), "0x40000000", 1, 1 << 30, NULL); /* UXN only */
		check(kt, jv_at(v, 1), NULL, 2, 2 << 20, "permission"); /* PXN */
	}
	jv_free(v);
	fixture_teardown(&fx);
}

/* AF clear: an access-flag fault, unless TCR.HA has the hardware set it (nothing is written). */
KTEST(sim_walk, access_flag)
{
	struct fixture fx;
	struct sim_capture c;
	char tcr_ha[32];

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "0x2010");
	struct jv *v = answers(kt, &c, 1);
	if (v) {
		check(kt, jv_at(v, 0), NULL, 3, 4096, "access_flag");
		KT_EXPECT_EQ(kt, jv_uint(jv_get(jv_at(v, 0), "attrs"), "af"), 0u);
	}
	jv_free(v);
	snprintf(tcr_ha, sizeof(tcr_ha), "0x%llx", strtoull(fx.tcr, NULL, 16) | TCR_HA);
	SIM_RUN(&c, cmd_walk, "walk", "--mem", fx.mem_a, "--tcr", tcr_ha, "--ttbr0", fx.ttbr0,
		"--ttbr1", fx.ttbr1, "--json", "0x2010", "0x2010");
	v = answers(kt, &c, 2);
	if (v) {
		check(kt, jv_at(v, 0), "0x80006010", 3, 4096, NULL);
		check(kt, jv_at(v, 1), "0x80006010", 3, 4096, NULL);
		KT_EXPECT_EQ(kt, jv_uint(jv_get(jv_at(v, 0), "attrs"), "af"),
			     0u); /* as in the image: no hardware update */
	}
	jv_free(v);
	fixture_teardown(&fx);
}

/* Tables in image A pointing at data and tables in image B; without B those walks abort. */
KTEST(sim_walk, two_images)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "0x4321", "0x800321", "0x600000");
	struct jv *v = answers(kt, &c, 3);
	if (v) {
		check(kt, jv_at(v, 0), "0x90001321", 3, 4096, NULL);
		check(kt, jv_at(v, 1), "0x90001321", 3, 4096, NULL);
		check(kt, jv_at(v, 2), NULL, 3, 4096, "external_abort");
	}
	jv_free(v);
	SIM_RUN(&c, cmd_walk, "walk", "--mem", fx.mem_a, "--tcr", fx.tcr, "--ttbr0", fx.ttbr0,
		"--ttbr1", fx.ttbr1, "--json", "0x4321", "0x800321");
	v = answers(kt, &c, 2);
	if (v) {
		check(kt, jv_at(v, 0), "0x90001321", 3, 4096, NULL); /* data is not read */
		check(kt, jv_at(v, 1), NULL, 3, 4096, "external_abort");
	}
	jv_free(v);
	fixture_teardown(&fx);
}

/* A table above the PA size, and the MMU off. */
KTEST(sim_walk, address_size_and_mmu_off)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "--json", "--pa-bits", "40", "0x80000000");
	struct jv *v = answers(kt, &c, 1);
	if (v)
		check(kt, jv_at(v, 0), NULL, 1, 1 << 30, "address_size");
	jv_free(v);
	WALK(&c, &fx, "--json", "--sctlr", "0", "0x1234");
	v = answers(kt, &c, 1);
	if (v) {
		check(kt, jv_at(v, 0), "0x1234", 0, 0, NULL);
		KT_EXPECT_TRUE(kt, jv_is_null(jv_at(v, 0), "attrs"));
	}
	jv_free(v);
	fixture_teardown(&fx);
}

KTEST(sim_walk, text_output)
{
	struct fixture fx;
	struct sim_capture c;

	if (!fixture_setup(kt, &fx))
		return;
	WALK(&c, &fx, "0x123", "0x400000", "0x8000000000", "0x1000");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.out,
			"0x123 -> 0x80004123 at level 3, 4K page: attrindx 1 sh 3 ap 0 ng 0 af 1 "
			"uxn 0 pxn 0 contig 0\n"
			"0x400000 -> translation fault at level 2 (an entry there maps 2M)\n"
			"0x8000000000 -> translation fault at level 0, before any descriptor was "
			"read\n"
			"0x1000 -> 0x80005000 at level 3, 4K page: attrindx 1 sh 3 ap 3 ng 0 af 1 "
			"uxn 0 pxn 0 contig 0\n");
	sim_capture_free(&c);
	fixture_teardown(&fx);
}

KTEST(sim_walk, bad_arguments)
{
	struct fixture fx;
	char missing[128], bad_base[128], dir_mem[128], empty_mem[128], overlap[128];

	if (!fixture_setup(kt, &fx))
		return;
	snprintf(missing, sizeof(missing), "%s/nope.bin@0x0", fx.dir);
	snprintf(bad_base, sizeof(bad_base), "%s@0xfoo", fx.b);
	snprintf(dir_mem, sizeof(dir_mem), "%s@0x0", fx.dir);
	snprintf(empty_mem, sizeof(empty_mem), "%s@0x0", fx.empty);
	snprintf(overlap, sizeof(overlap), "%s@0x8000f000", fx.b);
	const struct {
		const char *args[9];
		const char *msg;
	} cases[] = {
		{ { "--mem", fx.mem_a, "--ttbr0", "0", "--ttbr1", "0", "0x0" },
		  "--tcr is required" },
		{ { "--mem", fx.mem_a, "--tcr", "0", "--ttbr1", "0", "0x0" },
		  "--ttbr0 is required" },
		{ { "--mem", fx.mem_a, "--tcr", "0", "--ttbr0", "0", "0x0" },
		  "--ttbr1 is required" },
		{ { "--tcr", "0", "--ttbr0", "0", "--ttbr1", "0", "0x0" }, "--mem is required" },
		{ { "--mem", fx.mem_a, "--tcr", "0xzz" }, "--tcr: '0xzz' is not a number" },
		{ { "--mem", fx.mem_a, "--ttbr1", "0x1_000" },
		  "--ttbr1: '0x1_000' is not a number" },
		{ { "--mem", fx.mem_a, "--sctlr", "1G" }, "--sctlr: '1G' is not a number" },
		{ { "--mem", missing }, "cannot open '" },
		{ { "--mem", dir_mem }, "is not a regular file" },
		{ { "--mem", empty_mem }, "is empty" },
		{ { "--mem", bad_base }, "--mem BASE: '0xfoo' is not a number" },
		{ { "--mem", fx.a }, "is not FILE@BASE" },
		{ { "--mem", "@0x1000" }, "'@0x1000' is not FILE@BASE" },
		{ { "--mem", fx.mem_a, "--mem", overlap }, "overlaps another image" },
		{ { "--mem", fx.mem_a, "--el", "2" }, "--el: 2 is out of range (0..1)" },
		{ { "--mem", fx.mem_a, "--access", "fetch" }, "--access: 'fetch' is not read" },
		{ { "--mem", fx.mem_a, "--pa-bits", "39" }, "--pa-bits: 39 is not 32, 36" },
		{ { "--mem", fx.mem_a, "--pa-bits", "53" }, "--pa-bits: 53 is out of range" },
		{ { "--mem", fx.mem_a, "--tcr", "0", "--ttbr0", "0", "--ttbr1", "0" }, "no VA" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *const *a = cases[i].args;
		struct sim_capture c;
		SIM_RUN(&c, cmd_walk, "walk", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		if (!KT_EXPECT_NOT_NULL(kt, strstr(c.err, cases[i].msg)))
			ktest_log(kt, "case %zu: %s", i, c.err);
		sim_capture_free(&c);
	}
	fixture_teardown(&fx);
}

/* A bad VA anywhere in the list fails the whole command before any output. */
KTEST(sim_walk, bad_va)
{
	static const char *const vas[] = { "garbage", "0x12g", "-1", "", "0x1ffffffffffffffff" };
	struct fixture fx;

	if (!fixture_setup(kt, &fx))
		return;
	for (size_t i = 0; i < ARRAY_SIZE(vas); i++) {
		struct sim_capture c;
		WALK(&c, &fx, "--json", "0x123", vas[i]);
		KT_EXPECT_EQ(kt, c.rc, 2);
		KT_EXPECT_STREQ(kt, c.out, "");
		KT_EXPECT_EQ(kt, strncmp(c.err, "kmm-sim walk: ", 14), 0);
		sim_capture_free(&c);
	}
	fixture_teardown(&fx);
}

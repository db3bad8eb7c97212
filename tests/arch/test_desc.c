// SPDX-License-Identifier: MIT
/*
 * The stage-1 descriptor format against ARM ARM (DDI 0487) D8.3 "Translation table descriptor
 * formats": every attribute field at its own bits, the descriptor types per granule and level,
 * and the output-address field. The bit positions and level sizes below are written from the
 * ARM ARM, not taken from pgtable-hwdef.h, so a wrong macro fails here.
 */
#include <aarch64/pgtable-hwdef.h>

#include "../ktest/ktest.h"

/* The block and page attribute fields (D8.3.2 "Block descriptor and Page descriptor formats"). */
enum pte_field { F_UXN, F_PXN, F_CONT, F_DBM, F_NG, F_AF, F_SH, F_AP, F_NS, F_ATTRINDX, F_SW };

static const struct field {
	const char *name;
	unsigned int lsb, width;
} pte_fields[] = {
	[F_UXN] = { "UXN", 54, 1 },
	[F_PXN] = { "PXN", 53, 1 },
	[F_CONT] = { "Contiguous", 52, 1 },
	[F_DBM] = { "DBM", 51, 1 },
	[F_NG] = { "nG", 11, 1 },
	[F_AF] = { "AF", 10, 1 },
	[F_SH] = { "SH", 8, 2 },
	[F_AP] = { "AP", 6, 2 },
	[F_NS] = { "NS", 5, 1 },
	[F_ATTRINDX] = { "AttrIndx", 2, 3 },
	[F_SW] = { "software", 55, 4 },
};

/* The table descriptor's hierarchical attributes (D8.3.1 "Table descriptor format"). */
enum table_field { T_PXN, T_UXN, T_AP, T_NS };

static const struct field table_fields[] = {
	[T_PXN] = { "PXNTable", 59, 1 },
	[T_UXN] = { "UXNTable", 60, 1 },
	[T_AP] = { "APTable", 61, 2 },
	[T_NS] = { "NSTable", 63, 1 },
};

static uint64_t field_bits(const struct field *f, uint64_t v)
{
	return (v & ((1ULL << f->width) - 1)) << f->lsb;
}

static uint64_t fields_mask(const struct field *f, size_t n)
{
	uint64_t m = 0;

	for (size_t i = 0; i < n; i++)
		m |= field_bits(&f[i], ~0ULL);
	return m;
}

/* Where the structs keep each field: one-bit fields are bools, the others uint8_t. */
static void *pte_member(struct pte_attrs *a, enum pte_field f)
{
	void *const m[] = {
		[F_UXN] = &a->uxn,     [F_PXN] = &a->pxn,
		[F_CONT] = &a->contig, [F_DBM] = &a->dbm,
		[F_NG] = &a->ng,       [F_AF] = &a->af,
		[F_SH] = &a->sh,       [F_AP] = &a->ap,
		[F_NS] = &a->ns,       [F_ATTRINDX] = &a->attrindx,
		[F_SW] = &a->sw,
	};
	return m[f];
}

static void *table_member(struct table_attrs *a, enum table_field f)
{
	void *const m[] = { [T_PXN] = &a->pxn_table,
			    [T_UXN] = &a->uxn_table,
			    [T_AP] = &a->ap_table,
			    [T_NS] = &a->ns_table };
	return m[f];
}

static void store(void *p, const struct field *fd, unsigned int v)
{
	if (fd->width == 1)
		*(bool *)p = v;
	else
		*(uint8_t *)p = (uint8_t)v;
}

static unsigned int load(const void *p, const struct field *fd)
{
	return fd->width == 1 ? *(const bool *)p : *(const uint8_t *)p;
}

static void pte_set(struct pte_attrs *a, enum pte_field f, unsigned int v)
{
	store(pte_member(a, f), &pte_fields[f], v);
}

static unsigned int pte_get(struct pte_attrs a, enum pte_field f)
{
	return load(pte_member(&a, f), &pte_fields[f]);
}

static void table_set(struct table_attrs *a, enum table_field f, unsigned int v)
{
	store(table_member(a, f), &table_fields[f], v);
}

static unsigned int table_get(struct table_attrs a, enum table_field f)
{
	return load(table_member(&a, f), &table_fields[f]);
}

/* Expect every field of @a to be @want's (by field number), naming the field on a mismatch. */
static void expect_pte(struct ktest *kt, const struct pte_attrs *a, const unsigned int *want)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(pte_fields); f++)
		if (!KT_EXPECT_EQ(kt, pte_get(*a, f), want[f]))
			ktest_log(kt, "field %s", pte_fields[f].name);
}

static void expect_table(struct ktest *kt, const struct table_attrs *a, const unsigned int *want)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(table_fields); f++)
		if (!KT_EXPECT_EQ(kt, table_get(*a, f), want[f]))
			ktest_log(kt, "field %s", table_fields[f].name);
}

/* Each block/page field alone, every value: encoded at its bits and nowhere else, decoded back. */
KTEST(desc, pte_field_at_its_bits)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(pte_fields); f++) {
		const struct field *fd = &pte_fields[f];
		for (unsigned int v = 0; v < (1u << fd->width); v++) {
			struct pte_attrs a = { 0 }, d;
			unsigned int want[ARRAY_SIZE(pte_fields)] = { 0 };

			pte_set(&a, f, v);
			want[f] = v;
			if (!KT_EXPECT_EQ(kt, pte_attrs_encode(&a), field_bits(fd, v)))
				ktest_log(kt, "field %s = %u", fd->name, v);
			/* Decoding ignores every bit outside the field's: set them all. */
			pte_attrs_decode(field_bits(fd, v) | ~field_bits(fd, ~0ULL), &d);
			KT_EXPECT_EQ(kt, pte_get(d, f), v);
			pte_attrs_decode(field_bits(fd, v), &d);
			expect_pte(kt, &d, want);
		}
	}
}

KTEST(desc, table_field_at_its_bits)
{
	for (unsigned int f = 0; f < ARRAY_SIZE(table_fields); f++) {
		const struct field *fd = &table_fields[f];
		for (unsigned int v = 0; v < (1u << fd->width); v++) {
			struct table_attrs a = { 0 }, d;
			unsigned int want[ARRAY_SIZE(table_fields)] = { 0 };

			table_set(&a, f, v);
			want[f] = v;
			if (!KT_EXPECT_EQ(kt, table_attrs_encode(&a), field_bits(fd, v)))
				ktest_log(kt, "field %s = %u", fd->name, v);
			table_attrs_decode(field_bits(fd, v) | ~field_bits(fd, ~0ULL), &d);
			KT_EXPECT_EQ(kt, table_get(d, f), v);
			table_attrs_decode(field_bits(fd, v), &d);
			expect_table(kt, &d, want);
		}
	}
}

/* Random values of all fields at once: the encoding is the OR of the fields, and round-trips. */
KTEST(desc, random_attr_combinations)
{
	uint64_t rs = kt->seed;
	uint64_t pmask = fields_mask(pte_fields, ARRAY_SIZE(pte_fields));
	uint64_t tmask = fields_mask(table_fields, ARRAY_SIZE(table_fields));

	for (int i = 0; i < 2000; i++) {
		unsigned int pv[ARRAY_SIZE(pte_fields)], tv[ARRAY_SIZE(table_fields)];
		struct pte_attrs a = { 0 }, ad;
		struct table_attrs t = { 0 }, td;
		uint64_t pwant = 0, twant = 0;

		for (unsigned int f = 0; f < ARRAY_SIZE(pte_fields); f++) {
			pv[f] = (unsigned int)ktest_rand_below(&rs, 1u << pte_fields[f].width);
			pte_set(&a, f, pv[f]);
			pwant |= field_bits(&pte_fields[f], pv[f]);
		}
		for (unsigned int f = 0; f < ARRAY_SIZE(table_fields); f++) {
			tv[f] = (unsigned int)ktest_rand_below(&rs, 1u << table_fields[f].width);
			table_set(&t, f, tv[f]);
			twant |= field_bits(&table_fields[f], tv[f]);
		}
		KT_ASSERT_EQ(kt, pte_attrs_encode(&a), pwant);
		KT_ASSERT_EQ(kt, table_attrs_encode(&t), twant);
		pte_attrs_decode(pwant, &ad);
		expect_pte(kt, &ad, pv);
		table_attrs_decode(twant, &td);
		expect_table(kt, &td, tv);

		/* Any 64-bit value decodes to its fields and re-encodes to just those bits. */
		uint64_t raw = ktest_rand(&rs);
		pte_attrs_decode(raw, &ad);
		KT_ASSERT_EQ(kt, pte_attrs_encode(&ad), raw & pmask);
		table_attrs_decode(raw, &td);
		KT_ASSERT_EQ(kt, table_attrs_encode(&td), raw & tmask);
	}
}

/*
 * Per granule, the bit each level's VA slice starts at (D8.2, the translation-table lookup tables
 * for 4KB, 16KB and 64KB granules): the size one entry maps. 64K has no level 0 below 52 bits.
 */
static unsigned int arm_level_shift(unsigned int gshift, unsigned int level)
{
	static const unsigned int s4k[4] = { 39, 30, 21, 12 };	/* 512G, 1G, 2M, 4K */
	static const unsigned int s16k[4] = { 47, 36, 25, 14 }; /* 128T, 64G, 32M, 16K */
	static const unsigned int s64k[4] = { 0, 42, 29, 16 };	/* -, 4T, 512M, 64K */

	return gshift == 12 ? s4k[level] : gshift == 14 ? s16k[level] : s64k[level];
}

/* Block descriptors (48-bit OA): 4K at levels 1 and 2, 16K and 64K at level 2 only. */
static bool arm_block_level(unsigned int gshift, unsigned int level)
{
	return gshift == 12 ? level == 1 || level == 2 : level == 2;
}

static uint64_t rand_attrs(uint64_t *rs, struct pte_attrs *a)
{
	uint64_t raw = ktest_rand(rs);

	pte_attrs_decode(raw, a);
	return raw & fields_mask(pte_fields, ARRAY_SIZE(pte_fields));
}

static uint64_t rand_table_attrs(uint64_t *rs, struct table_attrs *a)
{
	uint64_t raw = ktest_rand(rs);

	table_attrs_decode(raw, a);
	return raw & fields_mask(table_fields, ARRAY_SIZE(table_fields));
}

/* Descriptors one geometry makes at one level: type bits, kind, OA mask, attributes untouched. */
static void check_level(struct ktest *kt, uint64_t *rs, const struct xlat_geometry *g,
			unsigned int level)
{
	unsigned int gs = g->granule_shift, ls = arm_level_shift(gs, level);
	uint64_t oa = ktest_rand(rs); /* bits above 47 and below the granule or block must go */
	struct pte_attrs a;
	struct table_attrs t;
	uint64_t abits = rand_attrs(rs, &a), tbits = rand_table_attrs(rs, &t);
	uint64_t page_oa = oa & GENMASK(47, gs), block_oa = oa & GENMASK(47, ls);

	if (level < 3) {
		uint64_t d = desc_make_table(g, oa, &t);
		KT_EXPECT_EQ(kt, d, page_oa | tbits | 3);
		KT_EXPECT_EQ(kt, (int)desc_kind(g, level, d), DESC_TABLE);
		KT_EXPECT_EQ(kt, desc_oa(g, level, d), page_oa);
	} else {
		uint64_t d = desc_make_page(g, oa, &a);
		KT_EXPECT_EQ(kt, d, page_oa | abits | 3);
		KT_EXPECT_EQ(kt, (int)desc_kind(g, level, d), DESC_PAGE);
		KT_EXPECT_EQ(kt, desc_oa(g, level, d), page_oa);
	}
	/* 0b01: a block where the level allows one, else reserved (always at level 3). */
	uint64_t b = block_oa | abits | 1;
	if (level < 3 && arm_block_level(gs, level)) {
		KT_EXPECT_EQ(kt, desc_make_block(g, level, oa, &a), b);
		KT_EXPECT_EQ(kt, (int)desc_kind(g, level, b), DESC_BLOCK);
		KT_EXPECT_EQ(kt, desc_oa(g, level, b), block_oa);
	} else {
		KT_EXPECT_EQ(kt, (int)desc_kind(g, level, b), DESC_RESERVED);
	}
	/* Bit 0 clear is invalid whatever else is set, 0b10 included. */
	KT_EXPECT_EQ(kt, (int)desc_kind(g, level, ktest_rand(rs) & ~1ULL), DESC_INVALID);
	KT_EXPECT_EQ(kt, (int)desc_kind(g, level, ~1ULL), DESC_INVALID);
	KT_EXPECT_EQ(kt, (int)desc_kind(g, level, 2), DESC_INVALID);
	KT_EXPECT_EQ(kt, (int)desc_kind(g, level, 0), DESC_INVALID);
}

/* Every granule and every level the 48-bit geometry walks. */
KTEST(desc, make_kind_oa_every_granule_level)
{
	static const uint64_t granules[] = { 4096, 16384, 65536 };
	uint64_t rs = kt->seed;

	for (size_t i = 0; i < ARRAY_SIZE(granules); i++) {
		struct xlat_geometry g;
		KT_ASSERT_EQ(kt, xlat_geometry_init(&g, granules[i], 48), 0);
		KT_EXPECT_EQ(kt, g.start_level, granules[i] == 65536 ? 1u : 0u);
		for (unsigned int l = g.start_level; l < 4; l++) {
			KT_EXPECT_EQ(kt, g.level_shift[l], arm_level_shift(g.granule_shift, l));
			for (int n = 0; n < 200; n++)
				check_level(kt, &rs, &g, l);
		}
	}
}

/* The OA field keeps exactly bits [47:granule] of a page and [47:block size] of a block. */
KTEST(desc, oa_masks)
{
	struct xlat_geometry g;
	struct pte_attrs a = { 0 };
	struct table_attrs t = { 0 };

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_EXPECT_EQ(kt, desc_make_page(&g, ~0ULL, &a), 0x0000fffffffff003ULL);
	KT_EXPECT_EQ(kt, desc_make_table(&g, ~0ULL, &t), 0x0000fffffffff003ULL);
	KT_EXPECT_EQ(kt, desc_make_block(&g, 1, ~0ULL, &a), 0x0000ffffc0000001ULL);
	KT_EXPECT_EQ(kt, desc_make_block(&g, 2, ~0ULL, &a), 0x0000ffffffe00001ULL);
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 16384, 47), 0);
	KT_EXPECT_EQ(kt, desc_make_page(&g, ~0ULL, &a), 0x0000ffffffffc003ULL);
	KT_EXPECT_EQ(kt, desc_make_block(&g, 2, ~0ULL, &a), 0x0000fffffe000001ULL);
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 65536, 42), 0);
	KT_EXPECT_EQ(kt, desc_make_page(&g, ~0ULL, &a), 0x0000ffffffff0003ULL);
	KT_EXPECT_EQ(kt, desc_make_table(&g, 0x123456789abcdefULL, &t), 0x0000456789ab0003ULL);
	KT_EXPECT_EQ(kt, desc_make_block(&g, 2, ~0ULL, &a), 0x0000ffffe0000001ULL);
	/* desc_oa drops the attributes, including the upper ones next to the address. */
	uint64_t d = 0x0000123456789000ULL | GENMASK(63, 48) | GENMASK(11, 0);
	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 39), 0);
	KT_EXPECT_EQ(kt, desc_oa(&g, 3, d), 0x0000123456789000ULL);
	KT_EXPECT_EQ(kt, desc_oa(&g, 2, d), 0x0000123456789000ULL);	    /* a table */
	KT_EXPECT_EQ(kt, desc_oa(&g, 2, d & ~2ULL), 0x0000123456600000ULL); /* a 2M block */
	KT_EXPECT_EQ(kt, desc_oa(&g, 1, d & ~2ULL), 0x0000123440000000ULL); /* a 1G block */
}

/* Where blocks are allowed depends on the granule and on the walk's start level: every VA size. */
KTEST(desc, block_kind_every_va_size)
{
	static const uint64_t granules[] = { 4096, 16384, 65536 };

	for (size_t i = 0; i < ARRAY_SIZE(granules); i++) {
		for (unsigned int va = XLAT_VA_BITS_MIN; va <= XLAT_VA_BITS_MAX; va++) {
			struct xlat_geometry g;
			KT_ASSERT_EQ(kt, xlat_geometry_init(&g, granules[i], va), 0);
			for (unsigned int l = g.start_level; l < 4; l++) {
				bool block = l < 3 && arm_block_level(g.granule_shift, l);
				int k = (int)desc_kind(&g, l, 0x40000001ULL);
				if (!KT_EXPECT_EQ(kt, k, block ? DESC_BLOCK : DESC_RESERVED))
					ktest_log(kt, "granule %llu, %u bits, level %u",
						  (unsigned long long)granules[i], va, l);
				KT_EXPECT_EQ(kt, (int)desc_kind(&g, l, 0x40000003ULL),
					     l == 3 ? DESC_PAGE : DESC_TABLE);
			}
		}
	}
}

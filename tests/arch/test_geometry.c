// SPDX-License-Identifier: MIT
/* Translation geometry: the seeds' table, Linux's macros, and the ARM ARM's rules for all sizes. */
#include <aarch64/geometry.h>
#include <kmm/errno.h>

#include "../ktest/ktest.h"

/* Seed 000's table: granule × VA size → levels. */
KTEST(geometry, seed_table)
{
	static const struct {
		uint64_t granule;
		unsigned int va_bits, levels;
	} rows[] = {
		{ 4096, 39, 3 },  { 4096, 48, 4 },  { 16384, 36, 2 }, { 16384, 47, 3 },
		{ 16384, 48, 4 }, { 65536, 42, 2 }, { 65536, 48, 3 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct xlat_geometry g;
		KT_ASSERT_EQ(kt, xlat_geometry_init(&g, rows[i].granule, rows[i].va_bits), 0);
		if (!KT_EXPECT_EQ(kt, g.levels, rows[i].levels))
			ktest_log(kt, "granule %llu, %u bits", (unsigned long long)rows[i].granule,
				  rows[i].va_bits);
		KT_EXPECT_EQ(kt, g.start_level, 4 - rows[i].levels);
	}
}

/* Linux: ARM64_HW_PGTABLE_LEVELS(va) = (va - 4) / (PAGE_SHIFT - 3) and
 * ARM64_HW_PGTABLE_LEVEL_SHIFT(n) = (PAGE_SHIFT - 3) * (4 - n) + 3. */
KTEST(geometry, linux_macros)
{
	static const unsigned int shifts[] = { 12, 14, 16 };
	for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
		unsigned int ps = shifts[i];
		for (unsigned int va = XLAT_VA_BITS_MIN; va <= XLAT_VA_BITS_MAX; va++) {
			struct xlat_geometry g;
			KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 1ULL << ps, va), 0);
			KT_EXPECT_EQ(kt, g.levels, (va - 4) / (ps - 3));
			for (unsigned int l = g.start_level; l < 4; l++)
				KT_EXPECT_EQ(kt, g.level_shift[l], (ps - 3) * (4 - l) + 3);
		}
	}
}

/* Every geometry covers exactly its VA bits, levels are contiguous and tables fit a granule. */
KTEST(geometry, every_size_covers_va)
{
	static const uint64_t granules[] = { 4096, 16384, 65536 };
	for (size_t i = 0; i < ARRAY_SIZE(granules); i++) {
		for (unsigned int va = XLAT_VA_BITS_MIN; va <= XLAT_VA_BITS_MAX; va++) {
			struct xlat_geometry g;
			KT_ASSERT_EQ(kt, xlat_geometry_init(&g, granules[i], va), 0);
			unsigned int bits = g.granule_shift;
			for (unsigned int l = g.start_level; l < 4; l++) {
				bits += g.index_bits[l];
				KT_EXPECT_GE(kt, g.index_bits[l], 1u);
				KT_EXPECT_LE(kt, g.index_bits[l], g.granule_shift - 3);
				KT_EXPECT_LE(kt, xlat_table_size(&g, l), granules[i]);
				if (l > g.start_level)
					KT_EXPECT_EQ(kt, g.level_shift[l - 1],
						     g.level_shift[l] + g.index_bits[l]);
			}
			KT_EXPECT_EQ(kt, bits, va);
			KT_EXPECT_EQ(kt, g.level_shift[3], g.granule_shift);
		}
	}
}

KTEST(geometry, block_levels)
{
	struct xlat_geometry g;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 48), 0);
	KT_EXPECT_FALSE(kt, xlat_block_allowed(&g, 0));
	KT_EXPECT_EQ(kt, xlat_entry_size(&g, 1), 1ULL << 30);
	KT_EXPECT_TRUE(kt, xlat_block_allowed(&g, 1));
	KT_EXPECT_EQ(kt, xlat_entry_size(&g, 2), 2ULL << 20);
	KT_EXPECT_TRUE(kt, xlat_block_allowed(&g, 2));
	KT_EXPECT_FALSE(kt, xlat_block_allowed(&g, 3));

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 30), 0); /* starts at level 2 */
	KT_EXPECT_EQ(kt, g.start_level, 2u);
	KT_EXPECT_FALSE(kt, xlat_block_allowed(&g, 1));
	KT_EXPECT_TRUE(kt, xlat_block_allowed(&g, 2));

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 16384, 47), 0);
	KT_EXPECT_FALSE(kt, xlat_block_allowed(&g, 1));
	KT_EXPECT_TRUE(kt, xlat_block_allowed(&g, 2));
	KT_EXPECT_EQ(kt, xlat_entry_size(&g, 2), 32ULL << 20);

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 65536, 48), 0);
	KT_EXPECT_FALSE(kt, xlat_block_allowed(&g, 1));
	KT_EXPECT_TRUE(kt, xlat_block_allowed(&g, 2));
	KT_EXPECT_EQ(kt, xlat_entry_size(&g, 2), 512ULL << 20);
	KT_EXPECT_EQ(kt, xlat_entries(&g, 1), 64ULL); /* 48 - 42 = 6 bits at the start level */
}

KTEST(geometry, rejects_bad_input)
{
	struct xlat_geometry g = { .levels = 99 };

	KT_EXPECT_EQ(kt, xlat_geometry_init(&g, 8192, 39), -EINVAL);
	KT_EXPECT_EQ(kt, xlat_geometry_init(&g, 4096, 24), -EINVAL);
	KT_EXPECT_EQ(kt, xlat_geometry_init(&g, 4096, 49), -EINVAL);
	KT_EXPECT_EQ(kt, g.levels, 99u); /* untouched */
	KT_EXPECT_EQ(kt, xlat_granule_parse("4K"), 4096ULL);
	KT_EXPECT_EQ(kt, xlat_granule_parse("16k"), 16384ULL);
	KT_EXPECT_EQ(kt, xlat_granule_parse("64k"), 65536ULL);
	KT_EXPECT_EQ(kt, xlat_granule_parse("8k"), 0ULL);
	KT_EXPECT_EQ(kt, xlat_granule_parse("4kb"), 0ULL);
}

/* SPDX-License-Identifier: MIT */
/*
 * Translation geometry of VMSAv8-64 stage 1: for a translation granule (4K, 16K, 64K) and an
 * input-address size of 25..48 bits, how many levels a walk takes, where it starts, and which bits
 * of the VA index each level.
 *
 * ARM ARM (DDI 0487) D8.2 "Translation table walk": with granule 2^g and a stride of g - 3 index
 * bits per level, a walk of an N-bit input address starts at level
 *     4 - (1 + (N - g - 1) / stride)
 * and the table at level L is indexed by VA[shift(L) + stride - 1 : shift(L)] where
 *     shift(L) = g + (3 - L) * stride,
 * which is Linux's ARM64_HW_PGTABLE_LEVEL_SHIFT(L) = (PAGE_SHIFT - 3) * (4 - L) + 3. The first
 * table may be smaller than a page: it gets only the N - shift(start) bits that remain.
 *
 * Block descriptors (without FEAT_LPA/LPA2, i.e. 48-bit output addresses) are allowed at levels 1
 * and 2 for 4K (1 GiB, 2 MiB), and at level 2 only for 16K (32 MiB) and 64K (512 MiB).
 */
#ifndef AARCH64_GEOMETRY_H
#define AARCH64_GEOMETRY_H

#include <kmm/types.h>

#define XLAT_LEVELS_MAX 4
#define XLAT_VA_BITS_MIN 25
#define XLAT_VA_BITS_MAX 48
#define XLAT_PA_BITS_MAX 48

struct xlat_geometry {
	unsigned int granule_shift; /* 12, 14 or 16 */
	unsigned int va_bits;	    /* 25..48 */
	unsigned int levels;	    /* 1..4 */
	unsigned int start_level;   /* 4 - levels */
	unsigned int stride;	    /* index bits of a full table: granule_shift - 3 */
	/* Indexed by level number 0..3; meaningful for start_level..3 only. */
	unsigned int level_shift[XLAT_LEVELS_MAX];
	unsigned int index_bits[XLAT_LEVELS_MAX];
	unsigned int block_levels; /* bit L set: level L may hold a block descriptor */
};

/*
 * Fill @g for a granule of @granule_size bytes (4096, 16384 or 65536) and @va_bits bits of input
 * address. Returns 0, or -EINVAL (and leaves @g untouched) for any other granule or a VA size
 * outside 25..48.
 */
int xlat_geometry_init(struct xlat_geometry *g, uint64_t granule_size, unsigned int va_bits);

/* Granule size in bytes from a name "4k", "16k", "64k" (case-insensitive); 0 if not one. */
uint64_t xlat_granule_parse(const char *name);

static inline uint64_t xlat_granule_size(const struct xlat_geometry *g)
{
	return 1ULL << g->granule_shift;
}

static inline bool xlat_level_valid(const struct xlat_geometry *g, unsigned int level)
{
	return level >= g->start_level && level < XLAT_LEVELS_MAX;
}

/* Entries in a table at @level (the start level's table may be short). */
static inline uint64_t xlat_entries(const struct xlat_geometry *g, unsigned int level)
{
	return 1ULL << g->index_bits[level];
}

/* Bytes of VA that one entry at @level maps. */
static inline uint64_t xlat_entry_size(const struct xlat_geometry *g, unsigned int level)
{
	return 1ULL << g->level_shift[level];
}

static inline bool xlat_block_allowed(const struct xlat_geometry *g, unsigned int level)
{
	return (g->block_levels >> level) & 1;
}

/* Index of @va in the table at @level. */
static inline unsigned int xlat_index(const struct xlat_geometry *g, unsigned int level, vaddr_t va)
{
	return (unsigned int)((va >> g->level_shift[level]) & (xlat_entries(g, level) - 1));
}

/* Bytes of the table at @level: a page, or less for a short start-level table (at least 8). */
static inline uint64_t xlat_table_size(const struct xlat_geometry *g, unsigned int level)
{
	return xlat_entries(g, level) * 8;
}

#endif /* AARCH64_GEOMETRY_H */

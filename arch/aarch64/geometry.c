// SPDX-License-Identifier: MIT
/* Translation geometry for each granule and VA size; see geometry.h for the rules. */
#include <aarch64/geometry.h>
#include <kmm/errno.h>

int xlat_geometry_init(struct xlat_geometry *g, uint64_t granule_size, unsigned int va_bits)
{
	unsigned int gshift;

	switch (granule_size) {
	case 4096:
		gshift = 12;
		break;
	case 16384:
		gshift = 14;
		break;
	case 65536:
		gshift = 16;
		break;
	default:
		return -EINVAL;
	}
	if (va_bits < XLAT_VA_BITS_MIN || va_bits > XLAT_VA_BITS_MAX)
		return -EINVAL;

	struct xlat_geometry r = {
		.granule_shift = gshift,
		.va_bits = va_bits,
		.stride = gshift - 3,
	};
	/* ARM ARM pseudo-code: level = 4 - (1 + ((inputsize - grainsize - 1) DIV stride)). */
	r.start_level = 4 - (1 + (va_bits - gshift - 1) / r.stride);
	r.levels = 4 - r.start_level;
	for (unsigned int l = r.start_level; l < XLAT_LEVELS_MAX; l++) {
		r.level_shift[l] = gshift + (3 - l) * r.stride;
		r.index_bits[l] = r.stride;
	}
	r.index_bits[r.start_level] = va_bits - r.level_shift[r.start_level];

	/* 48-bit output addresses: 4K has 1G and 2M blocks, 16K and 64K only level-2 blocks. */
	r.block_levels = gshift == 12 ? (BIT(1) | BIT(2)) : BIT(2);
	r.block_levels &= ~(BIT(r.start_level) - 1); /* no block above the walk's first level */
	*g = r;
	return 0;
}

uint64_t xlat_granule_parse(const char *s)
{
	static const struct {
		const char *name;
		uint64_t size;
	} names[] = { { "4k", 4096 }, { "16k", 16384 }, { "64k", 65536 } };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *a = s, *b = names[i].name;

		while (*a && *b && (*a | 0x20) == *b)
			a++, b++;
		if (!*a && !*b)
			return names[i].size;
	}
	return 0;
}

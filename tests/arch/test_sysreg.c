// SPDX-License-Identifier: MIT
/*
 * TCR_EL1, TTBRn_EL1, MAIR_EL1 and SCTLR_EL1 against their descriptions in ARM ARM (DDI 0487)
 * D19.2 "General system control registers". Bit positions and encodings are written here from
 * the ARM ARM, not taken from sysreg.h.
 */
#include <aarch64/sysreg.h>

#include "../ktest/ktest.h"

/* The TCR_EL1 fields tcr_fields holds, apart from the granules (tested on their own). */
enum tcr_field {
	T0SZ,
	EPD0,
	IRGN0,
	ORGN0,
	SH0,
	T1SZ,
	A1,
	EPD1,
	IRGN1,
	ORGN1,
	SH1,
	IPS,
	AS,
	TBI0,
	TBI1,
	HA,
	HD,
};

static const struct {
	const char *name;
	unsigned int lsb, width;
} tcr_bits[] = {
	[T0SZ] = { "T0SZ", 0, 6 },    [EPD0] = { "EPD0", 7, 1 },  [IRGN0] = { "IRGN0", 8, 2 },
	[ORGN0] = { "ORGN0", 10, 2 }, [SH0] = { "SH0", 12, 2 },	  [T1SZ] = { "T1SZ", 16, 6 },
	[A1] = { "A1", 22, 1 },	      [EPD1] = { "EPD1", 23, 1 }, [IRGN1] = { "IRGN1", 24, 2 },
	[ORGN1] = { "ORGN1", 26, 2 }, [SH1] = { "SH1", 28, 2 },	  [IPS] = { "IPS", 32, 3 },
	[AS] = { "AS", 36, 1 },	      [TBI0] = { "TBI0", 37, 1 }, [TBI1] = { "TBI1", 38, 1 },
	[HA] = { "HA", 39, 1 },	      [HD] = { "HD", 40, 1 },
};

/* TG0 at [15:14]: 0b00 4K, 0b01 64K, 0b10 16K. TG1 at [31:30]: 0b01 16K, 0b10 4K, 0b11 64K. */
#define TG0_SHIFT 14
#define TG1_SHIFT 30
static const uint64_t tg0_size[4] = { 4096, 65536, 16384, 0 };
static const uint64_t tg1_size[4] = { 0, 16384, 4096, 65536 };

/* A pointer to the field of @f that holds TCR field @t. */
static void *tcr_slot(struct tcr_fields *f, enum tcr_field t, bool *is_bool)
{
	struct tcr_half *h0 = &f->half[0], *h1 = &f->half[1];
	void *const ptrs[] = {
		[T0SZ] = &h0->tsz,   [EPD0] = &h0->epd,	  [IRGN0] = &h0->irgn, [ORGN0] = &h0->orgn,
		[SH0] = &h0->sh,     [T1SZ] = &h1->tsz,	  [A1] = &f->a1,       [EPD1] = &h1->epd,
		[IRGN1] = &h1->irgn, [ORGN1] = &h1->orgn, [SH1] = &h1->sh,     [IPS] = &f->ips,
		[AS] = &f->as,	     [TBI0] = &h0->tbi,	  [TBI1] = &h1->tbi,   [HA] = &f->ha,
		[HD] = &f->hd,
	};
	*is_bool = tcr_bits[t].width == 1;
	return ptrs[t];
}

static void tcr_set(struct tcr_fields *f, enum tcr_field t, unsigned int v)
{
	bool b;
	void *p = tcr_slot(f, t, &b);

	if (b)
		*(bool *)p = v;
	else
		*(unsigned int *)p = v;
}

static unsigned int tcr_get(struct tcr_fields *f, enum tcr_field t)
{
	bool b;
	void *p = tcr_slot(f, t, &b);

	return b ? *(bool *)p : *(unsigned int *)p;
}

/* All fields of @a and @b equal, naming the first that is not. */
static bool tcr_same(struct ktest *kt, struct tcr_fields *a, struct tcr_fields *b)
{
	for (unsigned int t = 0; t < ARRAY_SIZE(tcr_bits); t++)
		if (!KT_EXPECT_EQ(kt, tcr_get(a, t), tcr_get(b, t))) {
			ktest_log(kt, "field %s", tcr_bits[t].name);
			return false;
		}
	return KT_EXPECT_EQ(kt, a->half[0].granule, b->half[0].granule) &&
	       KT_EXPECT_EQ(kt, a->half[1].granule, b->half[1].granule);
}

/* 4K granules in both halves: TG0 0b00 and TG1 0b10, nothing else. */
static struct tcr_fields tcr_base(void)
{
	struct tcr_fields f = { 0 };

	f.half[0].granule = 4096;
	f.half[1].granule = 4096;
	return f;
}

#define TCR_BASE_RAW (2ULL << TG1_SHIFT)

/* Each field alone, every value: at its bits on encode, in its struct member on decode. */
KTEST(sysreg, tcr_each_field)
{
	for (unsigned int t = 0; t < ARRAY_SIZE(tcr_bits); t++) {
		for (unsigned int v = 0; v < (1u << tcr_bits[t].width); v++) {
			struct tcr_fields f = tcr_base(), d;
			uint64_t raw = TCR_BASE_RAW | (uint64_t)v << tcr_bits[t].lsb;

			tcr_set(&f, t, v);
			if (!KT_EXPECT_EQ(kt, tcr_encode(&f), raw))
				ktest_log(kt, "field %s = %u", tcr_bits[t].name, v);
			tcr_decode(raw, &d);
			tcr_same(kt, &d, &f);
		}
	}
}

KTEST(sysreg, tcr_granule_encodings)
{
	for (unsigned int tg = 0; tg < 4; tg++) {
		struct tcr_fields f;

		tcr_decode((uint64_t)tg << TG0_SHIFT | (uint64_t)tg << TG1_SHIFT, &f);
		KT_EXPECT_EQ(kt, f.half[0].granule, tg0_size[tg]);
		KT_EXPECT_EQ(kt, f.half[1].granule, tg1_size[tg]);
		/* Encoding a granule gives back its own encoding; a reserved one encodes as 4K. */
		uint64_t want0 = tg0_size[tg] ? tg : 0, want1 = tg1_size[tg] ? tg : 2;
		KT_EXPECT_EQ(kt, tcr_encode(&f), want0 << TG0_SHIFT | want1 << TG1_SHIFT);
	}
	struct tcr_fields f = tcr_base();
	f.half[0].granule = 16384;
	f.half[1].granule = 65536;
	KT_EXPECT_EQ(kt, tcr_encode(&f), 2ULL << TG0_SHIFT | 3ULL << TG1_SHIFT);
	f.half[0].granule = 65536;
	f.half[1].granule = 16384;
	KT_EXPECT_EQ(kt, tcr_encode(&f), 1ULL << TG0_SHIFT | 1ULL << TG1_SHIFT);
}

/* IPS, the intermediate physical address size: 0b000 32 bits .. 0b110 52 bits, 0b111 reserved. */
KTEST(sysreg, tcr_ips)
{
	static const unsigned int bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

	for (unsigned int ips = 0; ips < 8; ips++) {
		KT_EXPECT_EQ(kt, tcr_ips_bits(ips), bits[ips]);
		if (bits[ips])
			KT_EXPECT_EQ(kt, tcr_ips_from_bits(bits[ips]), (int)ips);
	}
	KT_EXPECT_EQ(kt, tcr_ips_from_bits(0), -1);
	KT_EXPECT_EQ(kt, tcr_ips_from_bits(39), -1);
	KT_EXPECT_EQ(kt, tcr_ips_from_bits(56), -1);
}

/* Any register with valid granule encodings round-trips; bits outside the fields are dropped. */
KTEST(sysreg, tcr_random_round_trip)
{
	uint64_t rs = kt->seed, known = 3ULL << TG0_SHIFT | 3ULL << TG1_SHIFT;

	for (unsigned int t = 0; t < ARRAY_SIZE(tcr_bits); t++)
		known |= ((1ULL << tcr_bits[t].width) - 1) << tcr_bits[t].lsb;
	KT_EXPECT_EQ(kt, known, 0x000001f7ffffffbfULL); /* bits 6, 35 and 41+ are not ours */
	for (int i = 0; i < 2000; i++) {
		uint64_t raw = ktest_rand(&rs);
		unsigned int tg0 = (unsigned int)ktest_rand_below(&rs, 3);
		unsigned int tg1 = 1 + (unsigned int)ktest_rand_below(&rs, 3);
		struct tcr_fields f;

		raw &= ~(3ULL << TG0_SHIFT | 3ULL << TG1_SHIFT);
		raw |= (uint64_t)tg0 << TG0_SHIFT | (uint64_t)tg1 << TG1_SHIFT;
		tcr_decode(raw, &f);
		KT_ASSERT_EQ(kt, tcr_encode(&f), raw & known);
	}
}

/* TTBRn_EL1: ASID [63:48], BADDR [47:1], CnP [0]. */
KTEST(sysreg, ttbr)
{
	KT_EXPECT_EQ(kt, ttbr_make(0x0000123456789000ULL, 0xabcd, true), 0xabcd123456789001ULL);
	KT_EXPECT_EQ(kt, ttbr_make(0x0000123456789000ULL, 0, false), 0x0000123456789000ULL);
	/* Address bits above 47 and bit 0 are not the table's; CnP comes only from @cnp. */
	KT_EXPECT_EQ(kt, ttbr_make(0xffff000000001001ULL, 0x1, false), 0x0001000000001000ULL);
	KT_EXPECT_EQ(kt, ttbr_make(0x0000000000000040ULL, 0, true), 0x0000000000000041ULL);
	KT_EXPECT_EQ(kt, ttbr_asid(0xabcd123456789001ULL), 0xabcd);
	KT_EXPECT_EQ(kt, ttbr_asid(0x00ff000000000000ULL), 0x00ff);
	KT_EXPECT_EQ(kt, ttbr_asid(0x0000ffffffffffffULL), 0);
	KT_EXPECT_EQ(kt, TTBR_CNP, 1ULL);
}

/* MAIR_EL1: Attr<n> is bits [8n+7:8n]. */
KTEST(sysreg, mair_bytes)
{
	uint64_t mair = MAIR_ATTR(MAIR_DEVICE_nGnRnE, 0) | MAIR_ATTR(MAIR_DEVICE_nGnRE, 1) |
			MAIR_ATTR(MAIR_DEVICE_GRE, 2) | MAIR_ATTR(MAIR_NORMAL_NC, 3) |
			MAIR_ATTR(MAIR_NORMAL_WB, 4) | MAIR_ATTR(MAIR_NORMAL_WT, 5);

	KT_EXPECT_EQ(kt, mair, 0x0000bbff440c0400ULL);
	for (unsigned int i = 0; i < 8; i++) {
		uint8_t attr = (uint8_t)(0x11 * (i + 1));
		uint64_t m = MAIR_ATTR(attr, i);
		KT_EXPECT_EQ(kt, m, (uint64_t)attr << (8 * i));
		KT_EXPECT_EQ(kt, MAIR_ATTR_GET(m | ~(0xffULL << (8 * i)), i), attr);
	}
}

/*
 * The attribute encodings (MAIR_EL1 Attr<n>): 0b0000dd00 is Device (dd = nGnRnE, nGnRE, nGRE,
 * GRE), 0b01000100 Normal Non-cacheable, 0b10111011 Normal Write-Through non-transient
 * read/write-allocate, 0b11111111 Normal Write-Back non-transient read/write-allocate.
 */
KTEST(sysreg, mair_names)
{
	static const struct {
		uint8_t attr;
		const char *name;
		bool device;
	} rows[] = {
		{ 0x00, "Device-nGnRnE", true }, { 0x04, "Device-nGnRE", true },
		{ 0x08, "Device-nGRE", true },	 { 0x0c, "Device-GRE", true },
		{ 0x44, "Normal-NC", false },	 { 0xbb, "Normal-WT", false },
		{ 0xff, "Normal-WB", false },	 { 0xee, "unknown", false },
		{ 0x4f, "unknown", false },	 { 0x01, "unknown", true },
	};

	KT_EXPECT_EQ(kt, MAIR_DEVICE_nGnRnE, 0x00);
	KT_EXPECT_EQ(kt, MAIR_DEVICE_nGnRE, 0x04);
	KT_EXPECT_EQ(kt, MAIR_DEVICE_nGRE, 0x08);
	KT_EXPECT_EQ(kt, MAIR_DEVICE_GRE, 0x0c);
	KT_EXPECT_EQ(kt, MAIR_NORMAL_NC, 0x44);
	KT_EXPECT_EQ(kt, MAIR_NORMAL_WT, 0xbb);
	KT_EXPECT_EQ(kt, MAIR_NORMAL_WB, 0xff);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		KT_EXPECT_STREQ(kt, mair_attr_name(rows[i].attr), rows[i].name);
		KT_EXPECT_EQ(kt, mair_attr_is_device(rows[i].attr), rows[i].device);
	}
}

/* SCTLR_EL1: M [0], A [1], C [2], I [12], WXN [19], EE [25]. */
KTEST(sysreg, sctlr_bits)
{
	KT_EXPECT_EQ(kt, SCTLR_M, 1ULL << 0);
	KT_EXPECT_EQ(kt, SCTLR_A, 1ULL << 1);
	KT_EXPECT_EQ(kt, SCTLR_C, 1ULL << 2);
	KT_EXPECT_EQ(kt, SCTLR_I, 1ULL << 12);
	KT_EXPECT_EQ(kt, SCTLR_WXN, 1ULL << 19);
	KT_EXPECT_EQ(kt, SCTLR_EE, 1ULL << 25);
	KT_EXPECT_EQ(kt, SCTLR_M | SCTLR_A | SCTLR_C | SCTLR_I | SCTLR_WXN | SCTLR_EE,
		     0x02081007ULL);
}

// SPDX-License-Identifier: MIT
/*
 * The reference stage-1 walker; see refwalk.h. ARM ARM (DDI 0487) sections: D8.1-D8.2 (input
 * ranges, TnSZ, TBI, the walk), D8.3 (descriptor formats), D8.4 (access permissions, APTable,
 * XN, WXN), D8.5 (FEAT_HAFDBS hardware updates), and the J1 pseudo-code functions named below.
 */
#include "refwalk.h"

/* x[hi:lo] as a number. */
static uint64_t field(uint64_t x, unsigned int hi, unsigned int lo)
{
	return (x >> lo) & (~0ULL >> (63 - (hi - lo)));
}

static bool bit(uint64_t x, unsigned int n)
{
	return (x >> n) & 1;
}

/* What one walk needs, decoded from TCR_EL1 for the half VA[55] selects. */
struct walk {
	unsigned int g;		/* log2(granule): 12, 14, 16 */
	unsigned int inputsize; /* 64 - TnSZ */
	unsigned int osize;	/* output-address bits */
	unsigned int start;	/* first level */
	bool ap_table0, ap_table1, uxn_table, pxn_table;
};

/*
 * TCR_EL1.TG0 [15:14]: 00 4K, 01 64K, 10 16K; TG1 [31:30]: 01 16K, 10 4K, 11 64K. The reserved
 * encodings (TG0 11, TG1 00) are taken as 4K, the IMPLEMENTATION DEFINED choice kmm makes.
 */
static unsigned int granule_bits(unsigned int half, uint64_t tcr)
{
	static const unsigned int tg0[4] = { 12, 16, 14, 12 };
	static const unsigned int tg1[4] = { 12, 14, 12, 16 };

	return half ? tg1[field(tcr, 31, 30)] : tg0[field(tcr, 15, 14)];
}

/*
 * Output size: TCR_EL1.IPS [34:32] as 32/36/40/42/44/48/52 bits, never above the CPU's PA size;
 * the reserved 0b111 as the PA size.
 */
static unsigned int output_size(uint64_t tcr, unsigned int pa_bits)
{
	static const unsigned int ips[8] = { 32, 36, 40, 42, 44, 48, 52, 64 };
	unsigned int bits = ips[field(tcr, 34, 32)];

	bits = bits < pa_bits ? bits : pa_bits;
	return bits < 48 ? bits : 48; /* descriptors hold 48-bit addresses (no FEAT_LPA/LPA2) */
}

/* Level L's table is indexed by VA[shift + n - 1 : shift], shift = g + (3 - L)(g - 3). */
static unsigned int level_shift(const struct walk *w, unsigned int level)
{
	return w->g + (3 - level) * (w->g - 3);
}

/* n: g - 3 bits, except the first table, which gets what is left of the input size. */
static unsigned int index_bits(const struct walk *w, unsigned int level)
{
	return level == w->start ? w->inputsize - level_shift(w, level) : w->g - 3;
}

/* Blocks with 48-bit output addresses: 4K at levels 1 and 2, 16K and 64K at level 2 only. */
static bool block_allowed(unsigned int g, unsigned int level)
{
	return level == 2 || (g == 12 && level == 1);
}

/* Every bit of x[hi:lo] equals @v (true when hi < lo). */
static bool bits_all(uint64_t x, unsigned int hi, unsigned int lo, bool v)
{
	for (unsigned int i = lo; i <= hi; i++)
		if (bit(x, i) != v)
			return false;
	return true;
}

/* The 8 little-endian bytes at @pa; false if any of them is outside @mem. */
static bool read_desc(const struct ref_mem *mem, uint64_t pa, uint64_t *val)
{
	for (unsigned int i = 0; i < mem->nr; i++) {
		const struct ref_mem_region *r = &mem->region[i];
		if (pa < r->base || r->size < 8 || pa - r->base > r->size - 8)
			continue;
		uint64_t v = 0;
		for (int b = 7; b >= 0; b--)
			v = v << 8 | r->bytes[pa - r->base + (unsigned int)b];
		*val = v;
		return true;
	}
	return false;
}

static void set_fault(struct ref_result *out, enum mmu_fault f, unsigned int level)
{
	out->fault = f;
	out->level = level;
}

/*
 * Stage 1 off (SCTLR_EL1.M == 0, AArch64.S1DisabledOutput): PA = VA, but VA[top:pa_bits] must
 * be zero (top = 55 when the VA[55] half's TBI is set, else 63), else address-size fault level 0.
 */
static void translate_flat(const struct mmu_regs *regs, const struct mmu_features *feat,
			   uint64_t va, struct ref_result *out)
{
	unsigned int top = bit(regs->tcr, bit(va, 55) ? 38 : 37) ? 55 : 63;

	if (bits_all(va, top, feat->pa_bits, 0))
		out->pa = field(va, feat->pa_bits - 1, 0);
	else
		set_fault(out, MMU_FAULT_ADDRESS_SIZE, 0);
}

/*
 * The level-0 checks of AArch64.S1Translate and the start of AArch64.S1Walk: TnSZ outside
 * 16..39, a VA outside the half's range, EPDn set, or an EL0 access to a half that TCR.E0PDn
 * closes (FEAT_E0PD) → translation fault; a TTBR base at or above
 * 2^osize → address-size fault. Fills @w and the first table's address, or the fault.
 */
static bool start_walk(const struct mmu_regs *regs, const struct mmu_features *feat, uint64_t va,
		       unsigned int el, struct walk *w, uint64_t *table, struct ref_result *out)
{
	uint64_t tcr = regs->tcr;
	unsigned int half = bit(va, 55);
	unsigned int tsz = (unsigned int)(half ? field(tcr, 21, 16) : field(tcr, 5, 0));
	unsigned int top = bit(tcr, half ? 38 : 37) ? 55 : 63;	       /* TBI1, TBI0 */
	bool epd = bit(tcr, half ? 23 : 7);			       /* EPD1, EPD0 */
	bool e0pd = feat->e0pd && el == 0 && bit(tcr, half ? 56 : 55); /* E0PD1, E0PD0 */
	bool in_range = bits_all(va, top, 64 - tsz, half);	       /* AArch64.VAIsOutOfRange */

	out->ttbr = half;
	if (tsz < 16 || tsz > 39 || !in_range || epd || e0pd) {
		set_fault(out, MMU_FAULT_TRANSLATION, 0);
		return false;
	}
	*w = (struct walk){ .g = granule_bits(half, tcr), .inputsize = 64 - tsz };
	w->osize = output_size(tcr, feat->pa_bits);
	w->start = 4 - (w->inputsize - w->g + (w->g - 3) - 1) / (w->g - 3); /* 4 - ceil(..) */
	uint64_t base = field(half ? regs->ttbr1 : regs->ttbr0, 47, 0);
	if (base >> w->osize) {
		set_fault(out, MMU_FAULT_ADDRESS_SIZE, 0);
		return false;
	}
	/* The base is aligned to the first table's size, 2^(n + 3) bytes. */
	unsigned int align = index_bits(w, w->start) + 3;
	*table = base >> align << align;
	return true;
}

/* A table descriptor's hierarchical controls accumulate down the walk (D8.4.2). */
static void gather_table(struct walk *w, uint64_t desc)
{
	w->pxn_table |= bit(desc, 59);
	w->uxn_table |= bit(desc, 60);
	w->ap_table0 |= bit(desc, 61);
	w->ap_table1 |= bit(desc, 62);
}

/*
 * AArch64.S1CheckPermissions for a regime with EL0 and EL1 (PSTATE.PAN denies EL1 reads and
 * writes of EL0-accessible memory; fetches are not checked): AP[2:1] after APTable
 * (APTable[0] clears AP[1], APTable[1] sets AP[2]); a DBM entry under TCR.HA and TCR.HD has
 * AP[2] taken as 0 for every access (AArch64.S1ApplyOutputPerms).
 */
static bool permitted(const struct walk *w, uint64_t desc, bool dbm, bool wxn, bool pan,
		      unsigned int el, enum mmu_access acc)
{
	bool ap2 = (bit(desc, 7) && !dbm) || w->ap_table1;
	bool ap1 = bit(desc, 6) && !w->ap_table0;
	bool uxn = bit(desc, 54) || w->uxn_table;
	bool pxn = bit(desc, 53) || w->pxn_table;
	bool priv_r = !(pan && ap1), priv_w = !ap2 && priv_r;
	bool user_r = ap1, user_w = ap1 && !ap2;
	bool user_x = !uxn && !(user_w && wxn);
	bool priv_x = !pxn && !(!ap2 && wxn) && !user_w;

	if (acc == MMU_EXEC)
		return el ? priv_x : user_x;
	if (acc == MMU_WRITE)
		return el ? priv_w : user_w;
	return el ? priv_r : user_r;
}

/*
 * A block or page at @level: the access flag (AF clear faults unless FEAT_HAFDBS and TCR.HA
 * let the hardware set it), then the permissions; on success the PA and the leaf as read.
 */
static void leaf(const struct walk *w, const struct mmu_regs *regs, const struct mmu_features *feat,
		 uint64_t va, unsigned int level, uint64_t desc, unsigned int el,
		 enum mmu_access acc, struct ref_result *out)
{
	bool ha = feat->hafdbs && bit(regs->tcr, 39);
	bool dbm = ha && bit(regs->tcr, 40) && bit(desc, 51); /* HD and DBM */
	unsigned int shift = level_shift(w, level);

	if (!bit(desc, 10) && !ha) {
		set_fault(out, MMU_FAULT_ACCESS_FLAG, level);
		return;
	}
	if (!permitted(w, desc, dbm, bit(regs->sctlr, 19), regs->pan, el, acc)) {
		set_fault(out, MMU_FAULT_PERMISSION, level);
		return;
	}
	out->level = level;
	out->pa = field(desc, 47, shift) << shift | field(va, shift - 1, 0);
	out->size = 1ULL << shift;
	out->desc = desc; /* as read: the test translates without hardware updates */
	out->global = !bit(desc, 11);
	uint64_t asid_ttbr = bit(regs->tcr, 22) ? regs->ttbr1 : regs->ttbr0;	  /* TCR.A1 */
	out->asid = (uint16_t)field(asid_ttbr, bit(regs->tcr, 36) ? 63 : 55, 48); /* TCR.AS */
}

/*
 * AArch64.S1Walk from @table: per level read the descriptor (outside RAM: external abort);
 * bit 0 clear, 0b01 at level 3 or where blocks are not allowed → translation fault; address
 * bits [47:g] at or above 2^osize → address-size fault; a table descends, a leaf ends the walk.
 */
static void walk_levels(const struct ref_mem *mem, const struct mmu_regs *regs,
			const struct mmu_features *feat, struct walk *w, uint64_t table,
			uint64_t va, unsigned int el, enum mmu_access acc, struct ref_result *out)
{
	for (unsigned int level = w->start;; level++) {
		unsigned int shift = level_shift(w, level);
		uint64_t pa = table + 8 * field(va, shift + index_bits(w, level) - 1, shift);
		uint64_t desc = 0;
		bool in_ram = read_desc(mem, pa, &desc);
		out->read_pa[out->nreads] = pa;
		out->read_desc[out->nreads++] = desc;
		if (!in_ram) {
			set_fault(out, MMU_FAULT_EXTERNAL, level);
			return;
		}
		if (!bit(desc, 0) ||
		    (!bit(desc, 1) && (level == 3 || !block_allowed(w->g, level)))) {
			set_fault(out, MMU_FAULT_TRANSLATION, level);
			return;
		}
		uint64_t addr = field(desc, 47, w->g) << w->g;
		if (addr >> w->osize) {
			set_fault(out, MMU_FAULT_ADDRESS_SIZE, level);
			return;
		}
		if (!bit(desc, 1) || level == 3) {
			leaf(w, regs, feat, va, level, desc, el, acc, out);
			return;
		}
		gather_table(w, desc);
		table = addr;
	}
}

void ref_translate(const struct ref_mem *mem, const struct mmu_regs *regs,
		   const struct mmu_features *feat, uint64_t va, unsigned int el,
		   enum mmu_access acc, struct ref_result *out)
{
	struct walk w;
	uint64_t table;

	*out = (struct ref_result){ .fault = MMU_FAULT_NONE };
	if (!bit(regs->sctlr, 0)) /* SCTLR_EL1.M */
		translate_flat(regs, feat, va, out);
	else if (start_walk(regs, feat, va, el, &w, &table, out))
		walk_levels(mem, regs, feat, &w, table, va, el, acc, out);
}

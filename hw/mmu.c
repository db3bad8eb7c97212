// SPDX-License-Identifier: MIT
/*
 * The emulated stage-1 MMU for the EL1&0 regime; the contract is in mmu.h. The steps follow the
 * ARM ARM pseudo-code (AArch64.S1Translate, AArch64.S1Walk, AArch64.S1CheckPermissions):
 *
 *   1. Pick the half by VA[55]; TBI decides whether bits [63:56] take part in the range check.
 *   2. TnSZ outside 16..39 (no FEAT_TTST/LVA), a VA in the gap between the halves, or EPDn set:
 *      translation fault at level 0.
 *   3. A TTBR base above the output size: address-size fault at level 0.
 *   4. Per level: read the descriptor (outside RAM: external abort on the walk); invalid or
 *      reserved → translation fault; a table or output address above the output size →
 *      address-size fault; tables gather APTable/UXNTable/PXNTable.
 *   5. At the leaf: AF clear → access-flag fault unless TCR.HA (FEAT_HAFDBS) sets it; DBM with
 *      TCR.HD makes a written read-only entry writable; then the permission check.
 */
#include "mmu.h"

#include "ram.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#define TSZ_MIN 16 /* 48-bit ranges */
#define TSZ_MAX 39 /* 25-bit ranges (FEAT_TTST would allow 48) */

const char *mmu_fault_name(enum mmu_fault f)
{
	static const char *const names[] = {
		[MMU_FAULT_NONE] = "none",
		[MMU_FAULT_TRANSLATION] = "translation",
		[MMU_FAULT_ADDRESS_SIZE] = "address_size",
		[MMU_FAULT_EXTERNAL] = "external_abort",
		[MMU_FAULT_ACCESS_FLAG] = "access_flag",
		[MMU_FAULT_PERMISSION] = "permission",
	};
	return (unsigned int)f < ARRAY_SIZE(names) ? names[f] : "?";
}

const char *mmu_access_name(enum mmu_access a)
{
	return a == MMU_WRITE ? "write" : a == MMU_EXEC ? "exec" : "read";
}

/*
 * Output-address size: the smaller of TCR.IPS and the CPU's PARange (ARM ARM D8.2.6), and never
 * more than the 48 bits the descriptors here can hold.
 */
static unsigned int output_bits(const struct mmu_features *feat, unsigned int ips)
{
	unsigned int bits = tcr_ips_bits(ips);

	if (!bits || bits > feat->pa_bits)
		bits = feat->pa_bits;
	return bits < XLAT_PA_BITS_MAX ? bits : XLAT_PA_BITS_MAX;
}

bool mmu_e0pd(const struct mmu_regs *regs, const struct mmu_features *feat, vaddr_t va)
{
	return feat->e0pd && (regs->tcr & ((va >> 55) & 1 ? TCR_E0PD1 : TCR_E0PD0));
}

static uint16_t walk_asid(uint64_t tcr, const struct mmu_regs *regs)
{
	uint16_t asid = ttbr_asid(tcr & TCR_A1 ? regs->ttbr1 : regs->ttbr0);

	return tcr & TCR_AS ? asid : (uint16_t)(asid & 0xff);
}

/*
 * Steps 1-3: choose the half and geometry for @va and the first table. Returns NONE and fills
 * @geom, @ttbr_sel and @table, or the level-0 fault.
 */
static enum mmu_fault select_half(const struct mmu_regs *regs, const struct mmu_features *feat,
				  vaddr_t va, unsigned int el, struct xlat_geometry *geom,
				  unsigned int *ttbr_sel, paddr_t *table)
{
	struct tcr_fields f;

	tcr_decode(regs->tcr, &f);
	unsigned int sel = (va >> 55) & 1;
	const struct tcr_half *h = &f.half[sel];
	if (h->tsz < TSZ_MIN || h->tsz > TSZ_MAX)
		return MMU_FAULT_TRANSLATION;
	unsigned int inputsize = 64 - h->tsz;
	unsigned int top = h->tbi ? 55 : 63;
	/* Bits [top:inputsize] must all equal the selecting bit. */
	uint64_t range = GENMASK(top, inputsize);
	if ((va & range) != (sel ? range : 0))
		return MMU_FAULT_TRANSLATION;
	if (h->epd)
		return MMU_FAULT_TRANSLATION;
	/* FEAT_E0PD: EL0 may not use this half at all, cached or not (ARM ARM D8.2.11). */
	if (el == 0 && mmu_e0pd(regs, feat, va))
		return MMU_FAULT_TRANSLATION;

	/* A reserved TGn encoding behaves as 4K here (IMPLEMENTATION DEFINED choice). */
	xlat_geometry_init(geom, h->granule ? h->granule : 4096, inputsize);
	uint64_t ttbr = sel ? regs->ttbr1 : regs->ttbr0;
	paddr_t base = ttbr & GENMASK(47, 0);
	if (base >> output_bits(feat, f.ips))
		return MMU_FAULT_ADDRESS_SIZE;
	/* The base is aligned to the start table's size; lower bits (and CnP) are ignored. */
	unsigned int align = geom->index_bits[geom->start_level] + 3;
	*table = base & ~(BIT(align) - 1);
	*ttbr_sel = sel;
	return MMU_FAULT_NONE;
}

void mmu_gather_table_attrs(struct mmu_table_acc *acc, uint64_t desc)
{
	acc->pxn |= !!(desc & TABLE_PXN);
	acc->uxn |= !!(desc & TABLE_UXN);
	acc->no_el0 |= !!(desc & TABLE_AP_NO_EL0);
	acc->rdonly |= !!(desc & TABLE_AP_RDONLY);
}

static enum mmu_fault walk_fault(struct mmu_walk_result *out, enum mmu_fault f, unsigned int level)
{
	out->fault = f;
	out->level = level;
	return f;
}

/*
 * Step 5, FEAT_HAFDBS: the descriptor as the hardware leaves it after a permitted @acc — AF set
 * when TCR.HA, and for a write through a DBM entry (tr->dbm) AP[2] cleared.
 */
static uint64_t hafdbs_update(const struct mmu_tr *tr, bool ha, enum mmu_access acc)
{
	uint64_t desc = tr->desc;

	if (ha)
		desc |= PTE_AF;
	if (tr->dbm && acc == MMU_WRITE)
		desc &= ~PTE_RDONLY;
	return desc;
}

enum mmu_fault mmu_walk(struct hw_ram *ram, const struct mmu_regs *regs,
			const struct mmu_features *feat, vaddr_t va, unsigned int el,
			enum mmu_access acc, bool update, const struct mmu_walk_step *start,
			struct mmu_walk_result *out)
{
	struct xlat_geometry *g = &out->geom;
	unsigned int sel;
	paddr_t table;

	out->nsteps = 0;
	out->reads = 0;
	enum mmu_fault f = select_half(regs, feat, va, el, g, &sel, &table);
	if (f)
		return walk_fault(out, f, 0);

	unsigned int obits = output_bits(feat, (unsigned int)FIELD_GET(TCR_IPS_MASK, regs->tcr));
	struct mmu_table_acc tacc = { 0 };
	unsigned int level = g->start_level;
	struct mmu_path path = {
		.root = table,
		.first = (uint8_t)level,
		.root_shift = (uint8_t)(g->index_bits[level] + 3),
		.granule_shift = (uint8_t)g->granule_shift,
	};
	if (start) {
		level = start->level;
		table = start->table;
		tacc = start->acc;
		path = start->path;
	}
	for (;; level++) {
		out->steps[out->nsteps++] = (struct mmu_walk_step){ level, table, tacc, path };
		paddr_t slot = table + 8ULL * xlat_index(g, level, va);
		uint64_t desc;
		path.desc[level] = slot;
		path.n = (uint8_t)(level + 1 - path.first);
		out->reads++;
		if (hw_ram_read64(ram, slot, &desc))
			return walk_fault(out, MMU_FAULT_EXTERNAL, level);
		enum desc_kind kind = desc_kind(g, level, desc);
		if (kind == DESC_INVALID || kind == DESC_RESERVED)
			return walk_fault(out, MMU_FAULT_TRANSLATION, level);
		if ((desc & GENMASK(47, g->granule_shift)) >> obits)
			return walk_fault(out, MMU_FAULT_ADDRESS_SIZE, level);
		if (kind == DESC_TABLE) {
			mmu_gather_table_attrs(&tacc, desc);
			table = desc_oa(g, level, desc);
			continue;
		}

		uint64_t size = xlat_entry_size(g, level);
		bool ha = feat->hafdbs && (regs->tcr & TCR_HA);
		out->tr = (struct mmu_tr){
			.va = va & ~(size - 1),
			.pa = desc_oa(g, level, desc),
			.size = size,
			.level = level,
			.desc = desc,
			.acc = tacc,
			.ttbr = sel,
			.asid = walk_asid(regs->tcr, regs),
			.global = !(desc & PTE_NG),
			.dbm = ha && (regs->tcr & TCR_HD) && (desc & PTE_DBM),
			.path = path,
		};
		if (!(desc & PTE_AF) && !ha)
			return walk_fault(out, MMU_FAULT_ACCESS_FLAG, level);
		/* The hardware writes its update only for an access that is then permitted. */
		uint64_t ndesc = hafdbs_update(&out->tr, ha, acc);
		if (update && ndesc != desc &&
		    mmu_check(&out->tr, regs, el, acc) == MMU_FAULT_NONE) {
			hw_ram_write64(ram, slot, ndesc);
			out->tr.desc = ndesc;
		}
		return walk_fault(out, MMU_FAULT_NONE, level);
	}
}

void mmu_effective(const struct mmu_tr *tr, const struct mmu_regs *regs, bool *el0_r, bool *el0_w,
		   bool *el0_x, bool *el1_r, bool *el1_w, bool *el1_x)
{
	bool ap1 = (tr->desc & PTE_USER) && !tr->acc.no_el0; /* EL0 access */
	/* A DBM entry under hardware dirty management counts as writable for every access. */
	bool ap2 = ((tr->desc & PTE_RDONLY) && !tr->dbm) || tr->acc.rdonly; /* read-only */
	bool uxn = (tr->desc & PTE_UXN) || tr->acc.uxn;
	bool pxn = (tr->desc & PTE_PXN) || tr->acc.pxn;
	bool wxn = regs->sctlr & SCTLR_WXN;

	/* ARM ARM D8.4.1, AArch64.S1CheckPermissions for a regime with two privilege levels. */
	*el0_r = ap1;
	*el0_w = ap1 && !ap2;
	bool priv_w = !ap2;
	/* PSTATE.PAN: EL1 data accesses to memory EL0 can access fault (fetches are not checked).
	 */
	*el1_r = !(regs->pan && ap1);
	*el1_w = priv_w && *el1_r;
	/* EL0 may execute what it cannot read (execute-only memory, ARMv8.0 without EPAN). */
	*el0_x = !uxn && !(*el0_w && wxn);
	/* EL1 never executes what EL0 can write. */
	*el1_x = !pxn && !(priv_w && wxn) && !*el0_w;
}

enum mmu_fault mmu_check(const struct mmu_tr *tr, const struct mmu_regs *regs, unsigned int el,
			 enum mmu_access acc)
{
	bool r[2], w[2], x[2];

	mmu_effective(tr, regs, &r[0], &w[0], &x[0], &r[1], &w[1], &x[1]);
	el = el ? 1 : 0;
	bool ok = acc == MMU_READ ? r[el] : acc == MMU_WRITE ? w[el] : x[el];
	return ok ? MMU_FAULT_NONE : MMU_FAULT_PERMISSION;
}

enum mmu_fault mmu_translate(struct hw_ram *ram, const struct mmu_regs *regs,
			     const struct mmu_features *feat, vaddr_t va, unsigned int el,
			     enum mmu_access acc, bool update, struct mmu_result *out)
{
	struct mmu_walk_result w;

	*out = (struct mmu_result){ 0 };
	if (!(regs->sctlr & SCTLR_M)) {
		/* Stage 1 off: flat, but no wider than the PA size (AArch64.S1DisabledOutput). */
		unsigned int top = (regs->tcr & ((va >> 55) & 1 ? TCR_TBI1 : TCR_TBI0)) ? 55 : 63;
		if (va & GENMASK(top, feat->pa_bits))
			out->fault = MMU_FAULT_ADDRESS_SIZE;
		else
			out->pa = va & GENMASK(feat->pa_bits - 1, 0);
		return out->fault;
	}
	enum mmu_fault f = mmu_walk(ram, regs, feat, va, el, acc, update, NULL, &w);
	out->level = w.level;
	out->reads = w.reads;
	out->geom = w.geom;
	if (f == MMU_FAULT_NONE || f == MMU_FAULT_ACCESS_FLAG)
		out->tr = w.tr;
	if (f == MMU_FAULT_NONE)
		f = mmu_check(&w.tr, regs, el, acc);
	out->fault = f;
	if (f == MMU_FAULT_NONE)
		out->pa = w.tr.pa | (va & (w.tr.size - 1));
	return f;
}

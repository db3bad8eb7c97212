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
 *
 * Steps 1-3 depend on TCR for all but the VA and the TTBR: struct mmu_regime holds them decoded,
 * which a CPU keeps for as long as its TCR holds the same value.
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
 * Output-address size: the smaller of TCR.IPS (@ips_bits, 0 when reserved) and the CPU's PARange
 * (ARM ARM D8.2.6), and never more than the 48 bits the descriptors here can hold.
 */
static unsigned int output_bits(const struct mmu_features *feat, unsigned int ips_bits)
{
	unsigned int bits = ips_bits;

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

/* Steps 1-2 for one half: its range, its geometry and where its start table is. */
static void decode_half(struct mmu_half_cfg *c, const struct tcr_half *h)
{
	*c = (struct mmu_half_cfg){ 0 };
	if (h->tsz < TSZ_MIN || h->tsz > TSZ_MAX || h->epd)
		return;
	unsigned int inputsize = 64 - h->tsz;

	c->walkable = true;
	/* Bits [top:inputsize] must all equal the selecting bit. */
	c->range = GENMASK(h->tbi ? 55 : 63, inputsize);
	/* A reserved TGn encoding behaves as 4K here (IMPLEMENTATION DEFINED choice). */
	xlat_geometry_init(&c->geom, h->granule ? h->granule : 4096, inputsize);
	/* The base is aligned to the start table's size; lower bits (and CnP) are ignored. */
	c->root_mask = GENMASK(47, c->geom.index_bits[c->geom.start_level] + 3);
}

void mmu_regime_decode(struct mmu_regime *r, uint64_t tcr)
{
	struct tcr_fields f;

	tcr_decode(tcr, &f);
	r->tcr = tcr;
	r->valid = true;
	r->ips_bits = tcr_ips_bits(f.ips);
	decode_half(&r->half[0], &f.half[0]);
	decode_half(&r->half[1], &f.half[1]);
}

/* Steps 1-3: choose the half of @va and its first table. Returns NONE and fills @table. */
static enum mmu_fault select_half(const struct mmu_regs *regs, const struct mmu_regime *rg,
				  const struct mmu_features *feat, vaddr_t va, unsigned int el,
				  unsigned int obits, paddr_t *table)
{
	unsigned int sel = (va >> 55) & 1;
	const struct mmu_half_cfg *h = &rg->half[sel];

	if (!h->walkable || (va & h->range) != (sel ? h->range : 0))
		return MMU_FAULT_TRANSLATION;
	/* FEAT_E0PD: EL0 may not use this half at all, cached or not (ARM ARM D8.2.11). */
	if (el == 0 && mmu_e0pd(regs, feat, va))
		return MMU_FAULT_TRANSLATION;
	uint64_t ttbr = sel ? regs->ttbr1 : regs->ttbr0;
	if ((ttbr & GENMASK(47, 0)) >> obits)
		return MMU_FAULT_ADDRESS_SIZE;
	*table = ttbr & h->root_mask;
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

/*
 * @p, a copy of the path a walk started from, extended with the descriptors @slots the walk read
 * at levels [@from, @to). The copy is made first and then patched, rather than kept in a local
 * that changes level by level: a struct copied right after narrow stores into it stalls the host.
 */
static void extend_path(struct mmu_path *p, const paddr_t *slots, unsigned int from,
			unsigned int to)
{
	for (unsigned int l = from; l < to; l++)
		p->desc[l] = slots[l];
	if (to > from)
		p->n = (uint8_t)(to - p->first);
}

/* What one walk is for (mmu_walk_regime's arguments), for its steps. */
struct walk {
	struct hw_ram *ram;
	const struct mmu_regs *regs;
	const struct mmu_features *feat;
	const struct xlat_geometry *g;
	vaddr_t va;
	unsigned int el;
	enum mmu_access acc;
	bool update;
};

/* Step 5 for the leaf @desc at @level, read from @slot: @out->tr, the access flag, FEAT_HAFDBS. */
static enum mmu_fault walk_leaf(const struct walk *w, uint64_t desc, unsigned int level,
				paddr_t slot, struct mmu_walk_result *out)
{
	/* A page or block maps the level's entry size: its output address is aligned so. */
	uint64_t size = xlat_entry_size(w->g, level);
	uint64_t tcr = w->regs->tcr;
	bool ha = w->feat->hafdbs && (tcr & TCR_HA);
	struct mmu_tr *tr = &out->tr;

	tr->va = w->va & ~(size - 1);
	tr->pa = desc & GENMASK(47, w->g->level_shift[level]);
	tr->size = size;
	tr->level = level;
	tr->desc = desc;
	tr->ttbr = (w->va >> 55) & 1;
	tr->asid = walk_asid(tcr, w->regs);
	tr->global = !(desc & PTE_NG);
	tr->dbm = ha && (tcr & TCR_HD) && (desc & PTE_DBM);
	if (!(desc & PTE_AF) && !ha)
		return walk_fault(out, MMU_FAULT_ACCESS_FLAG, level);
	/* The hardware writes its update only for an access that is then permitted. */
	uint64_t ndesc = hafdbs_update(tr, ha, w->acc);
	if (w->update && ndesc != desc && mmu_check(tr, w->regs, w->el, w->acc) == MMU_FAULT_NONE) {
		hw_ram_write64(w->ram, slot, ndesc);
		tr->desc = ndesc;
	}
	return walk_fault(out, MMU_FAULT_NONE, level);
}

enum mmu_fault mmu_walk_regime(struct hw_ram *ram, const struct mmu_regs *regs,
			       const struct mmu_regime *rg, const struct mmu_features *feat,
			       vaddr_t va, unsigned int el, enum mmu_access acc, bool update,
			       const struct mmu_walk_step *start, struct mmu_walk_result *out)
{
	unsigned int obits = output_bits(feat, rg->ips_bits);
	paddr_t table, slots[XLAT_LEVELS_MAX]; /* @slots: the descriptors read, by level */

	out->nsteps = 0;
	out->reads = 0;
	enum mmu_fault f = select_half(regs, rg, feat, va, el, obits, &table);
	if (f)
		return walk_fault(out, f, 0);

	const struct xlat_geometry *g = &rg->half[(va >> 55) & 1].geom;
	const struct walk w = { ram, regs, feat, g, va, el, acc, update };
	struct mmu_table_acc tacc = { 0 };
	unsigned int level = g->start_level;
	const struct mmu_path root = {
		.root = table,
		.first = (uint8_t)level,
		.root_shift = (uint8_t)(g->index_bits[level] + 3),
		.granule_shift = (uint8_t)g->granule_shift,
	};
	const struct mmu_path *base = &root; /* the path to the first table read */
	if (start) {
		level = start->level;
		table = start->table;
		tacc = start->acc;
		base = &start->path;
	}
	for (unsigned int from = level;; level++) {
		struct mmu_walk_step *step = &out->steps[out->nsteps++];
		*step = (struct mmu_walk_step){ level, table, tacc, *base };
		extend_path(&step->path, slots, from, level);
		paddr_t slot = table + 8ULL * xlat_index(g, level, va);
		uint64_t desc;
		slots[level] = slot;
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
			table = desc & GENMASK(47, g->granule_shift);
			continue;
		}
		out->tr.acc = tacc;
		out->tr.path = *base;
		extend_path(&out->tr.path, slots, from, level + 1);
		return walk_leaf(&w, desc, level, slot, out);
	}
}

enum mmu_fault mmu_walk(struct hw_ram *ram, const struct mmu_regs *regs,
			const struct mmu_features *feat, vaddr_t va, unsigned int el,
			enum mmu_access acc, bool update, const struct mmu_walk_step *start,
			struct mmu_walk_result *out)
{
	struct mmu_regime rg;

	mmu_regime_decode(&rg, regs->tcr);
	enum mmu_fault f = mmu_walk_regime(ram, regs, &rg, feat, va, el, acc, update, start, out);
	/* Only a level-0 translation fault before any read comes before the half is chosen. */
	if (f != MMU_FAULT_TRANSLATION || out->reads)
		out->geom = rg.half[(va >> 55) & 1].geom;
	return f;
}

/* The permissions of @tr (mmu_effective), in an array for mmu_check to index: [el][acc]. */
static inline void effective(const struct mmu_tr *tr, const struct mmu_regs *regs, bool p[2][3])
{
	bool ap1 = (tr->desc & PTE_USER) && !tr->acc.no_el0; /* EL0 access */
	/* A DBM entry under hardware dirty management counts as writable for every access. */
	bool ap2 = ((tr->desc & PTE_RDONLY) && !tr->dbm) || tr->acc.rdonly; /* read-only */
	bool uxn = (tr->desc & PTE_UXN) || tr->acc.uxn;
	bool pxn = (tr->desc & PTE_PXN) || tr->acc.pxn;
	bool wxn = regs->sctlr & SCTLR_WXN;

	/* ARM ARM D8.4.1, AArch64.S1CheckPermissions for a regime with two privilege levels. */
	p[0][MMU_READ] = ap1;
	p[0][MMU_WRITE] = ap1 && !ap2;
	bool priv_w = !ap2;
	/* PSTATE.PAN: EL1 data accesses to memory EL0 can access fault (fetches are not checked).
	 */
	p[1][MMU_READ] = !(regs->pan && ap1);
	p[1][MMU_WRITE] = priv_w && p[1][MMU_READ];
	/* EL0 may execute what it cannot read (execute-only memory, ARMv8.0 without EPAN). */
	p[0][MMU_EXEC] = !uxn && !(p[0][MMU_WRITE] && wxn);
	/* EL1 never executes what EL0 can write. */
	p[1][MMU_EXEC] = !pxn && !(priv_w && wxn) && !p[0][MMU_WRITE];
}

void mmu_effective(const struct mmu_tr *tr, const struct mmu_regs *regs, bool *el0_r, bool *el0_w,
		   bool *el0_x, bool *el1_r, bool *el1_w, bool *el1_x)
{
	bool p[2][3];

	effective(tr, regs, p);
	*el0_r = p[0][MMU_READ];
	*el0_w = p[0][MMU_WRITE];
	*el0_x = p[0][MMU_EXEC];
	*el1_r = p[1][MMU_READ];
	*el1_w = p[1][MMU_WRITE];
	*el1_x = p[1][MMU_EXEC];
}

enum mmu_fault mmu_check(const struct mmu_tr *tr, const struct mmu_regs *regs, unsigned int el,
			 enum mmu_access acc)
{
	bool p[2][3];

	effective(tr, regs, p);
	el = el ? 1 : 0;
	bool ok = acc == MMU_READ    ? p[el][MMU_READ]
		  : acc == MMU_WRITE ? p[el][MMU_WRITE]
				     : p[el][MMU_EXEC];
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

/* SPDX-License-Identifier: MIT */
/*
 * The emulated MMU: VMSAv8-64 stage-1 translation for the EL1&0 regime, bit-exact with the ARM
 * ARM's pseudo-code (AArch64.S1Translate and AArch64.S1CheckPermissions; D8 "The AArch64 Virtual
 * Memory System Architecture") for an ARMv8.0 CPU with optional FEAT_HAFDBS. Hosted only: it
 * reads descriptors from emulated RAM and knows nothing of the kernel that wrote them.
 *
 * A translation is done in two steps, as a TLB needs them: mmu_walk() turns a VA into a
 * translation (struct mmu_tr, what a TLB entry holds) or a walk fault; mmu_check() applies the
 * permission rules to a translation for one access. mmu_translate() does both.
 */
#ifndef HW_MMU_H
#define HW_MMU_H

#include <aarch64/geometry.h>
#include <kmm/types.h>

struct hw_ram;

enum mmu_access { MMU_READ, MMU_WRITE, MMU_EXEC };

/* What a translation can end in (ARM ARM D8.15 lists their priorities). */
enum mmu_fault {
	MMU_FAULT_NONE,
	MMU_FAULT_TRANSLATION,
	MMU_FAULT_ADDRESS_SIZE,
	MMU_FAULT_EXTERNAL, /* synchronous external abort on a table walk (descriptor not in RAM) */
	MMU_FAULT_ACCESS_FLAG,
	MMU_FAULT_PERMISSION,
};

/* "translation", "access_flag", "permission", "address_size", "external_abort", or "none". */
const char *mmu_fault_name(enum mmu_fault f);
const char *mmu_access_name(enum mmu_access a); /* "read", "write", "exec" */

/* The system registers translation reads. */
struct mmu_regs {
	uint64_t sctlr, tcr, ttbr0, ttbr1, mair;
	bool pan; /* PSTATE.PAN (FEAT_PAN): EL1 data accesses to EL0-accessible memory fault */
};

/* What the emulated CPU implements (its ID registers). */
struct mmu_features {
	/* ID_AA64MMFR0_EL1.PARange as bits: 32..52. Output addresses stay 48-bit (no FEAT_LPA or
	 * LPA2 descriptor formats), so 52 acts as 48. */
	unsigned int pa_bits;
	bool hafdbs; /* FEAT_HAFDBS: TCR.HA and TCR.HD take effect */
	bool e0pd;   /* FEAT_E0PD: TCR.E0PD0/E0PD1 take effect */
};

/* Hierarchical attributes gathered from the table descriptors above a level. */
struct mmu_table_acc {
	bool uxn, pxn; /* UXNTable, PXNTable seen */
	bool no_el0;   /* APTable[0] seen */
	bool rdonly;   /* APTable[1] seen */
};

/*
 * The descriptors a walk read, by level: @desc[l] is the physical address of the descriptor read
 * at level l, for l in [@first, @first + @n), @first being the start level, in the table @root
 * that the TTBR gave. A TLB entry depends on every one of them: the rule checker (hw/checker.h)
 * counts the entries cached through each descriptor, and reads them again to find stale ones.
 */
struct mmu_path {
	paddr_t desc[XLAT_LEVELS_MAX];
	paddr_t root;
	uint8_t first, n;
	uint8_t root_shift;    /* the start table is 2^root_shift bytes (aligned so in the TTBR) */
	uint8_t granule_shift; /* the tables below it are a granule */
};

/* Add the hierarchical attributes of table descriptor @desc to @acc. */
void mmu_gather_table_attrs(struct mmu_table_acc *acc, uint64_t desc);

/*
 * One table of a walk: the table at @level at physical address @table, with the hierarchical
 * attributes of the table descriptors above it. A walk cache holds these; a walk can resume from
 * one (the deeper the better) instead of starting from the TTBR.
 */
struct mmu_walk_step {
	unsigned int level;
	paddr_t table;
	struct mmu_table_acc acc;
	struct mmu_path path; /* the table descriptors that led to @table (none for the start) */
};

/* A successful walk: a block or page translation, what a TLB entry caches. */
struct mmu_tr {
	vaddr_t va;	    /* the input address, aligned down to @size */
	paddr_t pa;	    /* output address of the block or page */
	uint64_t size;	    /* bytes mapped by the leaf: a page or a block */
	unsigned int level; /* level of the leaf descriptor */
	uint64_t desc;	    /* the leaf descriptor as in memory (after the walk's own update) */
	struct mmu_table_acc acc; /* hierarchical attributes above the leaf */
	unsigned int ttbr;	  /* 0 or 1: which half of the address space */
	uint16_t asid; /* ASID of the walk (TTBR0 or TTBR1's by TCR.A1; 8 bits unless TCR.AS) */
	bool global;   /* nG == 0 */
	/*
	 * FEAT_HAFDBS dirty-state management applies (TCR.HA, TCR.HD and DBM all set): the entry is
	 * writable for the permission rules whatever AP[2] says (ARM ARM
	 * AArch64.S1ApplyOutputPerms: DBM entries have the effective AP[2] cleared); a write clears
	 * AP[2] in memory.
	 */
	bool dbm;
	struct mmu_path path; /* the table descriptors above the leaf, and the leaf's */
};

struct mmu_walk_result {
	enum mmu_fault fault; /* NONE, TRANSLATION, ADDRESS_SIZE, EXTERNAL or ACCESS_FLAG */
	unsigned int level;   /* level of the fault, or of the leaf */
	struct mmu_tr tr;     /* valid when fault is NONE or ACCESS_FLAG */
	unsigned int nsteps;  /* tables visited, outermost first (for a walk cache) */
	struct mmu_walk_step steps[XLAT_LEVELS_MAX];
	unsigned int reads;	   /* descriptors read from memory */
	struct xlat_geometry geom; /* the geometry of the half walked (when one was selected) */
};

/*
 * One half of the regime (TTBR0's or TTBR1's), as TCR configures it: what a walk of that half
 * checks and uses before its first descriptor read (mmu.c, steps 1 and 2).
 */
struct mmu_half_cfg {
	bool walkable;	    /* TnSZ in 16..39 (no FEAT_TTST/LVA) and EPDn clear */
	uint64_t range;	    /* VA bits [top:inputsize] that must all equal VA[55] (when walkable) */
	uint64_t root_mask; /* the TTBR base bits that give the start table */
	struct xlat_geometry geom; /* the half's geometry (when walkable) */
};

/*
 * TCR_EL1 decoded for walks, once for as long as it holds one value: a CPU keeps one
 * (mmu_regime_get) instead of decoding TCR and building the geometry on every walk.
 */
struct mmu_regime {
	uint64_t tcr; /* the value decoded */
	bool valid;   /* false: nothing decoded yet */
	struct mmu_half_cfg half[2];
	unsigned int ips_bits; /* TCR.IPS as bits (tcr_ips_bits), 0 for a reserved encoding */
};

/* Decode @tcr into @r. */
void mmu_regime_decode(struct mmu_regime *r, uint64_t tcr);

/* @r decoded for @tcr: as it is when it holds @tcr already, else decoded again. */
static inline const struct mmu_regime *mmu_regime_get(struct mmu_regime *r, uint64_t tcr)
{
	if (!r->valid || r->tcr != tcr)
		mmu_regime_decode(r, tcr);
	return r;
}

/*
 * Walk the translation tables for @va. @start, if not NULL, is a cached table of this same walk
 * to resume from (the caller checked it is for @va's half and ASID). FEAT_HAFDBS (@feat->hafdbs)
 * with TCR.HA makes a clear AF no fault; with @update, an access that mmu_check then permits as
 * @el writes the hardware's update to memory (AF set; for a write through a DBM entry, AP[2]
 * cleared) and @out->tr.desc is the updated descriptor. Without @update (an AT instruction, a
 * query) nothing is written and tr.desc is the descriptor as read.
 * Returns the walk's fault (also in @out->fault); @out->tr is filled on NONE and ACCESS_FLAG.
 */
enum mmu_fault mmu_walk(struct hw_ram *ram, const struct mmu_regs *regs,
			const struct mmu_features *feat, vaddr_t va, unsigned int el,
			enum mmu_access acc, bool update, const struct mmu_walk_step *start,
			struct mmu_walk_result *out);

/*
 * mmu_walk with @regs->tcr already decoded in @rg (mmu_regime_get), but @out->geom left alone:
 * the geometry is @rg's, of the half VA[55] selects.
 */
enum mmu_fault mmu_walk_regime(struct hw_ram *ram, const struct mmu_regs *regs,
			       const struct mmu_regime *rg, const struct mmu_features *feat,
			       vaddr_t va, unsigned int el, enum mmu_access acc, bool update,
			       const struct mmu_walk_step *start, struct mmu_walk_result *out);

/* Whether FEAT_E0PD forbids EL0 the half @va lies in (TCR.E0PD0/1 with the feature). */
bool mmu_e0pd(const struct mmu_regs *regs, const struct mmu_features *feat, vaddr_t va);

/* Permission check of @tr for an access at @el (0 or 1): MMU_FAULT_NONE or _PERMISSION. */
enum mmu_fault mmu_check(const struct mmu_tr *tr, const struct mmu_regs *regs, unsigned int el,
			 enum mmu_access acc);

/* Effective permissions of @tr: AP[2:1] after APTable, and execute-never at EL0 and EL1. */
void mmu_effective(const struct mmu_tr *tr, const struct mmu_regs *regs, bool *el0_r, bool *el0_w,
		   bool *el0_x, bool *el1_r, bool *el1_w, bool *el1_x);

struct mmu_result {
	enum mmu_fault fault;
	unsigned int level; /* fault level, or the leaf's */
	paddr_t pa;	    /* the output address of @va when there is no fault */
	struct mmu_tr tr;   /* filled when a leaf was reached: no fault, access flag, permission */
	unsigned int reads; /* descriptors read (0: faulted before the first table) */
	struct xlat_geometry geom; /* of the half walked, when reads > 0 */
};

/*
 * Translate @va for one access as the MMU would with no TLB: walk, access flag, permission.
 * With SCTLR.M clear the translation is flat (pa = va; address-size fault at level 0 when va
 * exceeds the PA size).
 */
enum mmu_fault mmu_translate(struct hw_ram *ram, const struct mmu_regs *regs,
			     const struct mmu_features *feat, vaddr_t va, unsigned int el,
			     enum mmu_access acc, bool update, struct mmu_result *out);

#endif /* HW_MMU_H */

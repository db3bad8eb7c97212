// SPDX-License-Identifier: MIT
/*
 * The emulated machine's CPUs; the contract is in cpu.h. An access goes as on hardware:
 *
 *   1. MMU off (SCTLR.M clear): flat, no TLB.
 *   2. TLB lookup under the current ASID; a hit is checked for permission against the cached
 *      descriptor, so a stale entry goes on translating until a TLBI drops it.
 *   3. On a miss, a walk resumes from the deepest cached table (or the TTBR), updates AF/dirty
 *      state in memory (FEAT_HAFDBS), and fills the walk cache and, if it did not fault, the TLB
 *      (ARM ARM D8.13: entries that fault on translation, address size or access flag are never
 *      cached).
 *
 * With the checker on (checker.h), every access served from a TLB entry or from a walk resumed
 * from the walk cache, and every TLBI, is shown to it first. With it off (and no FEAT_E0PD), a
 * hit in the entry the last hit of the same kind of access used is served from a copy of that
 * hit (struct hw_cpu_fast) as step 2 would serve it, until the TLB's entries or the registers
 * change.
 */
#include "cpu.h"

#include <aarch64/esr.h>

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>
#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>

/* With the MMU off, accesses are split at this size (there is no leaf to split them at). */
#define FLAT_CHUNK 4096ULL

int hw_machine_init(struct hw_machine *m, unsigned int ncpus, const struct tlb_config *tlb,
		    const struct mmu_features *feat)
{
	if (!ncpus || feat->pa_bits < 32 || feat->pa_bits > 52)
		return -EINVAL;
	*m = (struct hw_machine){ .feat = *feat };
	hw_ram_init(&m->ram);
	m->cpus = calloc(ncpus, sizeof(*m->cpus));
	if (!m->cpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < ncpus; i++) {
		struct hw_cpu *cpu = &m->cpus[i];
		*cpu = (struct hw_cpu){ .id = i, .machine = m, .el = 1 };
		int err = tlb_init(&cpu->tlb, tlb);
		if (err) {
			hw_machine_destroy(m);
			return err;
		}
		m->ncpus = i + 1;
	}
	int err = hw_checker_init(m);
	if (err)
		hw_machine_destroy(m);
	return err;
}

void hw_machine_destroy(struct hw_machine *m)
{
	for (unsigned int i = 0; i < m->ncpus; i++)
		tlb_destroy(&m->cpus[i].tlb);
	hw_checker_destroy(m);
	free(m->cpus);
	hw_ram_destroy(&m->ram);
	*m = (struct hw_machine){ 0 };
}

uint16_t hw_cpu_asid(const struct hw_cpu *cpu)
{
	uint64_t tcr = cpu->regs.tcr;
	uint16_t asid = ttbr_asid(tcr & TCR_A1 ? cpu->regs.ttbr1 : cpu->regs.ttbr0);

	return tcr & TCR_AS ? asid : (uint16_t)(asid & 0xff);
}

/*
 * The TLB entry for @va, or NULL (a miss). A VA whose top byte is neither ignored (TBI) nor the
 * extension of bit 55 matches no entry: it is outside both halves and its walk faults (ARM ARM
 * D8.2 "Address tagging" and the range check of AArch64.S1Translate).
 */
static const struct mmu_tr *lookup(struct hw_cpu *cpu, vaddr_t va, uint16_t asid)
{
	bool upper = (va >> 55) & 1;
	bool tbi = cpu->regs.tcr & (upper ? TCR_TBI1 : TCR_TBI0);

	/* FEAT_E0PD faults EL0 accesses to a disabled half whatever the TLB holds: no lookup. */
	if ((!tbi && (va >> 56) != (upper ? 0xff : 0)) ||
	    (cpu->el == 0 && cpu->machine->feat.e0pd &&
	     mmu_e0pd(&cpu->regs, &cpu->machine->feat, va))) {
		cpu->tlb.stats.misses++;
		return NULL;
	}
	return tlb_lookup(&cpu->tlb, va, asid);
}

/*
 * Whether a @acc access through cached @tr must go to memory for FEAT_HAFDBS's dirty-state
 * update: a permitted write through a DBM entry that is still read-only in the TLB's copy. The
 * update is made by a walk, so the cached copy is dropped and the descriptor walked again (ARM
 * ARM D8, "Hardware management of the dirty state").
 */
static bool dirty_update_applies(const struct hw_cpu *cpu, const struct mmu_tr *tr,
				 enum mmu_access acc)
{
	return acc == MMU_WRITE && tr->dbm && (tr->desc & PTE_RDONLY) &&
	       mmu_check(tr, &cpu->regs, cpu->el, acc) == MMU_FAULT_NONE;
}

/*
 * Walk for @va on a TLB miss, resuming from the walk cache (@resumed), and cache what the walk
 * found: its tables always (they were reached through valid descriptors), its leaf only if it did
 * not fault.
 */
static enum mmu_fault walk(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc, uint16_t asid,
			   struct mmu_walk_result *w, bool *resumed)
{
	struct tlb *tlb = &cpu->tlb;
	unsigned int ttbr = (va >> 55) & 1;
	const struct mmu_walk_step *start = tlb_walk_find(tlb, va, ttbr, asid);

	*resumed = start != NULL;
	tlb->stats.walks++;
	tlb->stats.walk_cache_hits += *resumed;
	enum mmu_fault f = mmu_walk_regime(&cpu->machine->ram, &cpu->regs,
					   mmu_regime_get(&cpu->regime, cpu->regs.tcr),
					   &cpu->machine->feat, va, cpu->el, acc, true, start, w);
	tlb->stats.reads += w->reads;
	if (w->nsteps)
		tlb_walk_insert(tlb, &cpu->regime.half[ttbr].geom, va, ttbr, asid, w->steps,
				w->nsteps);
	/* A leaf whose AF is still clear (TCR.HA, but this access was refused) is not cached. */
	if (f == MMU_FAULT_NONE && (w->tr.desc & PTE_AF))
		tlb_insert(tlb, &w->tr);
	return f;
}

/* Step 1: MMU off. */
static enum mmu_fault translate_flat(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
				     struct hw_access *res)
{
	struct mmu_result r;

	res->fault = mmu_translate(&cpu->machine->ram, &cpu->regs, &cpu->machine->feat, va, cpu->el,
				   acc, false, &r);
	res->pa = r.pa;
	return res->fault;
}

/* Keep the TLB hit on @tr of a @acc access to @va that gave no fault in cpu->fast[@acc]. */
static void fast_fill(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc, const struct mmu_tr *tr)
{
	cpu->fast[acc] = (struct hw_cpu_fast){
		.gen = cpu->tlb.gen,
		.va = va,
		.mask = GENMASK(63, __builtin_ctzll(cpu->tlb.size_mask)),
		.sctlr = cpu->regs.sctlr,
		.tcr = cpu->regs.tcr,
		.ttbr0 = cpu->regs.ttbr0,
		.ttbr1 = cpu->regs.ttbr1,
		.pan = cpu->regs.pan,
		.el = cpu->el,
		.level = tr->level,
		.e = container_of(tr, struct tlb_entry, tr),
		.pa = tr->pa,
		.size = tr->size,
	};
}

/* hw_cpu_translate, also giving the bytes the translation covers from @va on (in @span). */
static enum mmu_fault translate(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
				struct hw_access *res, uint64_t *span)
{
	if (hw_cpu_fast_hit(cpu, va, acc, res)) {
		*span = cpu->fast[acc].size - (va & (cpu->fast[acc].size - 1));
		return MMU_FAULT_NONE;
	}
	*res = (struct hw_access){ .va = va };
	*span = FLAT_CHUNK - (va & (FLAT_CHUNK - 1));
	if (!(cpu->regs.sctlr & SCTLR_M))
		return translate_flat(cpu, va, acc, res);

	uint16_t asid = hw_cpu_asid(cpu);
	const struct mmu_tr *tr = lookup(cpu, va, asid);
	if (tr && dirty_update_applies(cpu, tr, acc)) {
		tlb_drop(&cpu->tlb, tr);
		tr = NULL;
	}
	struct mmu_walk_result w;
	bool cached = tr != NULL; /* a TLB hit, or a walk resumed from the walk cache */
	res->tlb_hit = tr != NULL;
	if (!tr) {
		res->fault = walk(cpu, va, acc, asid, &w, &cached);
		res->level = w.level;
		if (res->fault)
			return res->fault;
		tr = &w.tr;
	}
	res->level = tr->level;
	res->fault = mmu_check(tr, &cpu->regs, cpu->el, acc);
	if (res->fault == MMU_FAULT_NONE && cached && cpu->machine->checker.on)
		hw_checker_served(cpu, va, acc, tr, res->tlb_hit);
	if (res->fault == MMU_FAULT_NONE)
		res->pa = tr->pa | (va & (tr->size - 1));
	if (res->fault == MMU_FAULT_NONE && res->tlb_hit)
		fast_fill(cpu, va, acc, tr);
	*span = tr->size - (va & (tr->size - 1));
	return res->fault;
}

enum mmu_fault hw_cpu_translate(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
				struct hw_access *res)
{
	uint64_t span;

	return translate(cpu, va, acc, res, &span);
}

/* Copy @n bytes at @pa to @rd or from @wr: 0, or -EFAULT if some byte is not RAM. */
static int ram_copy(struct hw_ram *ram, paddr_t pa, void *rd, const void *wr, size_t n)
{
	uint8_t *p = hw_ram_ptr(ram, pa, n); /* the usual case: one region holds them all */

	if (!p)
		return wr ? hw_ram_write(ram, pa, wr, n) : hw_ram_read(ram, pa, rd, n);
	if (wr)
		memcpy(p, wr, n);
	else
		memcpy(rd, p, n);
	return 0;
}

/*
 * Copy @len bytes at @va to @rd (a read) or from @wr (a write), one translation at a time.
 * @res describes the first piece, or the piece that faulted.
 */
static enum mmu_fault copy(struct hw_cpu *cpu, vaddr_t va, void *rd, const void *wr, size_t len,
			   struct hw_access *res)
{
	struct hw_ram *ram = &cpu->machine->ram;
	enum mmu_access acc = wr ? MMU_WRITE : MMU_READ;

	*res = (struct hw_access){ .va = va };
	for (size_t done = 0; done < len;) {
		struct hw_access piece;
		uint64_t span;
		if (translate(cpu, va + done, acc, &piece, &span)) {
			*res = piece;
			return res->fault;
		}
		size_t n = span < len - done ? (size_t)span : len - done;
		if (ram_copy(ram, piece.pa, rd ? (uint8_t *)rd + done : NULL,
			     wr ? (const uint8_t *)wr + done : NULL, n)) {
			/* Outside RAM: a synchronous external abort on the access itself. */
			*res = piece;
			res->fault = MMU_FAULT_EXTERNAL;
			res->pa = 0;
			return res->fault;
		}
		if (!done)
			*res = piece;
		done += n;
	}
	return MMU_FAULT_NONE;
}

enum mmu_fault hw_cpu_read(struct hw_cpu *cpu, vaddr_t va, void *buf, size_t len,
			   struct hw_access *res)
{
	return copy(cpu, va, buf, NULL, len, res);
}

enum mmu_fault hw_cpu_write(struct hw_cpu *cpu, vaddr_t va, const void *buf, size_t len,
			    struct hw_access *res)
{
	return copy(cpu, va, NULL, buf, len, res);
}

static const struct tlbi_def tlbi_defs[] = {
	[TLBI_VMALLE1] = { "VMALLE1", TLBI_SCOPE_ALL, false, true, false },
	[TLBI_VMALLE1IS] = { "VMALLE1IS", TLBI_SCOPE_ALL, true, true, false },
	[TLBI_ASIDE1] = { "ASIDE1", TLBI_SCOPE_ASID, false, false, false },
	[TLBI_ASIDE1IS] = { "ASIDE1IS", TLBI_SCOPE_ASID, true, false, false },
	[TLBI_VAE1] = { "VAE1", TLBI_SCOPE_VA, false, false, false },
	[TLBI_VAE1IS] = { "VAE1IS", TLBI_SCOPE_VA, true, false, false },
	[TLBI_VALE1] = { "VALE1", TLBI_SCOPE_VA, false, false, true },
	[TLBI_VALE1IS] = { "VALE1IS", TLBI_SCOPE_VA, true, false, true },
	[TLBI_VAAE1] = { "VAAE1", TLBI_SCOPE_VA, false, true, false },
	[TLBI_VAAE1IS] = { "VAAE1IS", TLBI_SCOPE_VA, true, true, false },
	[TLBI_VAALE1] = { "VAALE1", TLBI_SCOPE_VA, false, true, true },
	[TLBI_VAALE1IS] = { "VAALE1IS", TLBI_SCOPE_VA, true, true, true },
};

const struct tlbi_def *tlbi_def(enum tlbi_op op)
{
	return &tlbi_defs[op];
}

static void tlbi_one(struct tlb *tlb, const struct tlbi_def *d, vaddr_t va, uint16_t asid)
{
	if (d->scope == TLBI_SCOPE_ALL)
		tlb_inv_all(tlb);
	else if (d->scope == TLBI_SCOPE_ASID)
		tlb_inv_asid(tlb, asid);
	else
		tlb_inv_va(tlb, va, asid, d->all_asids, d->last_level);
}

/*
 * The operand Xt of a TLBI (ARM ARM C5.5 "TLBI"): VA[55:12] in bits [43:0], sign-extended from
 * bit 55 as a VA of the upper half reads; the ASID in bits [63:48], of which only [55:48] count
 * when TCR.AS is 0.
 */
static vaddr_t tlbi_va(uint64_t xt)
{
	vaddr_t va = (xt & GENMASK(43, 0)) << 12;

	return va & BIT(55) ? va | GENMASK(63, 56) : va;
}

static uint16_t tlbi_asid(const struct hw_cpu *cpu, uint64_t xt)
{
	uint16_t asid = (uint16_t)(xt >> 48);

	return cpu->regs.tcr & TCR_AS ? asid : (uint16_t)(asid & 0xff);
}

void hw_cpu_tlbi(struct hw_cpu *cpu, enum tlbi_op op, uint64_t xt)
{
	const struct tlbi_def *d = &tlbi_defs[op];
	vaddr_t va = tlbi_va(xt);
	uint16_t asid = tlbi_asid(cpu, xt);
	struct hw_machine *m = cpu->machine;

	if (m->checker.on)
		hw_checker_tlbi(cpu, d, va, asid);
	if (!d->broadcast) {
		tlbi_one(&cpu->tlb, d, va, asid);
		return;
	}
	for (unsigned int i = 0; i < m->ncpus; i++)
		tlbi_one(&m->cpus[i].tlb, d, va, asid);
}

void hw_cpu_dsb(struct hw_cpu *cpu, enum hw_dsb domain)
{
	cpu->stores.unordered_nsh = false;
	if (domain == HW_DSB_ISH)
		cpu->stores.unordered_ish = false;
}

/* The fault status code of @f at @level (aarch64/esr.h). */
static unsigned int fault_fsc(enum mmu_fault f, unsigned int level)
{
	switch (f) {
	case MMU_FAULT_TRANSLATION:
		return ESR_ELx_FSC_FAULT | level;
	case MMU_FAULT_ADDRESS_SIZE:
		return ESR_ELx_FSC_ADDRSZ | level;
	case MMU_FAULT_EXTERNAL:
		return ESR_ELx_FSC_SEA_TTW | level;
	case MMU_FAULT_ACCESS_FLAG:
		return ESR_ELx_FSC_ACCESS | level;
	case MMU_FAULT_PERMISSION:
		return ESR_ELx_FSC_PERM | level;
	case MMU_FAULT_NONE:
		break;
	}
	return 0;
}

uint64_t hw_access_esr(const struct hw_cpu *cpu, const struct hw_access *res, enum mmu_access acc)
{
	bool low = cpu->el == 0;
	unsigned int ec;

	if (res->fault == MMU_FAULT_NONE)
		return 0;
	if (acc == MMU_EXEC)
		ec = low ? ESR_ELx_EC_IABT_LOW : ESR_ELx_EC_IABT_CUR;
	else
		ec = low ? ESR_ELx_EC_DABT_LOW : ESR_ELx_EC_DABT_CUR;
	return esr_make_abort(ec, fault_fsc(res->fault, res->level & 3), acc == MMU_WRITE);
}

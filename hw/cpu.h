/* SPDX-License-Identifier: MIT */
/*
 * The emulated machine: RAM, and CPUs each with its translation registers, its exception level
 * and its TLB. A CPU translates every access through its TLB, walking the tables on a miss, and
 * executes TLBI instructions: the local forms act on its own TLB, the Inner Shareable (IS) forms
 * on every CPU's. Hosted only; it raises faults and never calls the kernel. The rule checker
 * (checker.h) watches it.
 */
#ifndef HW_CPU_H
#define HW_CPU_H

#include "checker.h"
#include "mmu.h"
#include "ram.h"
#include "tlb.h"

struct hw_machine;

/*
 * A TLB hit translate() served for one kind of access, kept so that the next access of that
 * kind within the same entry is served the same way without the lookup: valid while the TLB's
 * leaf entries stay as they were (tlb.gen), for VAs agreeing with @va on VA[63:k] (2^k the
 * smallest entry size present then: the lookup probes the same sets), at the same EL and
 * translation registers. The permission check and the dirty-state rule gave no fault then, on
 * the same entry and registers, so they give none again.
 */
struct hw_cpu_fast {
	uint64_t gen; /* the TLB's gen when made; 0: none */
	vaddr_t va;
	uint64_t mask; /* VA[63:k] */
	uint64_t sctlr, tcr, ttbr0, ttbr1;
	bool pan;
	unsigned int el;
	unsigned int level;
	struct tlb_entry *e;
	paddr_t pa; /* of the entry's first byte */
	uint64_t size;
};

struct hw_cpu {
	unsigned int id;
	struct hw_machine *machine;
	struct mmu_regs regs;
	/* regs.tcr decoded for walks: again by the first walk after it changes (mmu_regime_get) */
	struct mmu_regime regime;
	unsigned int el; /* 0 or 1: the exception level its accesses are made at */
	struct tlb tlb;
	struct hw_cpu_stores stores; /* for the checker */
	struct hw_cpu_fast fast[3];  /* by enum mmu_access */
};

struct hw_machine {
	struct hw_ram ram;
	struct mmu_features feat;
	unsigned int ncpus;
	struct hw_cpu *cpus;
	struct hw_checker checker;
};

/* Defaults: 48-bit PAs, no FEAT_HAFDBS (an ARMv8.0 CPU such as Cortex-A53/A72 in QEMU). */
#define MMU_FEATURES_DEFAULT ((struct mmu_features){ .pa_bits = 48, .hafdbs = false })

/*
 * A machine with no RAM yet (add it with hw_ram_add) and @ncpus CPUs, its rule checker on;
 * 0, -EINVAL or -ENOMEM.
 */
int hw_machine_init(struct hw_machine *m, unsigned int ncpus, const struct tlb_config *tlb,
		    const struct mmu_features *feat);
void hw_machine_destroy(struct hw_machine *m);

/* The result of one access. */
struct hw_access {
	enum mmu_fault fault;
	unsigned int level; /* of the fault, or of the leaf that translated */
	vaddr_t va;	    /* the faulting address (FAR) when fault != NONE */
	paddr_t pa;	    /* of the first byte, when fault == NONE */
	bool tlb_hit;
};

/* The ASID the CPU currently runs with (TTBR0's or TTBR1's by TCR.A1; 8 bits unless TCR.AS). */
uint16_t hw_cpu_asid(const struct hw_cpu *cpu);

/* Translate @va for an access by @cpu at its EL, through its TLB. Returns the fault. */
enum mmu_fault hw_cpu_translate(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
				struct hw_access *res);

/*
 * hw_cpu_translate's TLB hit through @cpu->fast[@acc] (the same LRU stamp, hit count and @res),
 * when it applies: never with the checker on (it sees each hit) or with FEAT_E0PD. True when
 * served; false with nothing done.
 */
static inline bool hw_cpu_fast_hit(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
				   struct hw_access *res)
{
	const struct hw_cpu_fast *f = &cpu->fast[acc];
	const struct mmu_regs *r = &cpu->regs;
	const struct hw_machine *m = cpu->machine;

	if (f->gen != cpu->tlb.gen || ((va ^ f->va) & f->mask) || f->el != cpu->el ||
	    ((f->sctlr ^ r->sctlr) | (f->tcr ^ r->tcr) | (f->ttbr0 ^ r->ttbr0) |
	     (f->ttbr1 ^ r->ttbr1)) ||
	    f->pan != r->pan || m->checker.on || m->feat.e0pd)
		return false;
	f->e->stamp = ++cpu->tlb.clock;
	cpu->tlb.stats.hits++;
	*res = (struct hw_access){
		.va = va, .level = f->level, .pa = f->pa | (va & (f->size - 1)), .tlb_hit = true
	};
	return true;
}

/*
 * Read or write @len bytes at @va as @cpu would, page by page: a fault on any page stops the
 * access there (bytes before it done, as on hardware) and is returned with its address.
 * An output address outside RAM is an external abort (MMU_FAULT_EXTERNAL at the leaf's level).
 */
enum mmu_fault hw_cpu_read(struct hw_cpu *cpu, vaddr_t va, void *buf, size_t len,
			   struct hw_access *res);
enum mmu_fault hw_cpu_write(struct hw_cpu *cpu, vaddr_t va, const void *buf, size_t len,
			    struct hw_access *res);

/*
 * The ESR_EL1 value the CPU reports for the faulting access @res made with @acc at @cpu's EL
 * (aarch64/esr.h): an instruction abort for MMU_EXEC, else a data abort (WnR for a write), from
 * EL0 or the current EL, with the fault status code of @res's fault and level. 0 when @res
 * holds no fault.
 */
uint64_t hw_access_esr(const struct hw_cpu *cpu, const struct hw_access *res, enum mmu_access acc);

enum tlbi_op {
	TLBI_VMALLE1,
	TLBI_VMALLE1IS,
	TLBI_ASIDE1,
	TLBI_ASIDE1IS,
	TLBI_VAE1,
	TLBI_VAE1IS,
	TLBI_VALE1,
	TLBI_VALE1IS,
	TLBI_VAAE1,
	TLBI_VAAE1IS,
	TLBI_VAALE1,
	TLBI_VAALE1IS,
};

/* What a TLBI does: its scope, and whether it is broadcast to the Inner Shareable domain. */
enum tlbi_scope { TLBI_SCOPE_ALL, TLBI_SCOPE_ASID, TLBI_SCOPE_VA };

struct tlbi_def {
	const char *name; /* "VAE1IS" */
	enum tlbi_scope scope;
	bool broadcast, all_asids, last_level;
};

const struct tlbi_def *tlbi_def(enum tlbi_op op);

/*
 * Execute "TLBI <op>, Xt" on @cpu. Xt is the instruction's operand: VA[55:12] in bits [43:0] and
 * the ASID in bits [63:48] (for the ops that take them).
 */
void hw_cpu_tlbi(struct hw_cpu *cpu, enum tlbi_op op, uint64_t xt);
/* The operand of a TLBI by VA (and ASID), as Linux's __TLBI_VADDR builds it. */
static inline uint64_t tlbi_operand(vaddr_t va, uint16_t asid)
{
	return ((va >> 12) & GENMASK(43, 0)) | ((uint64_t)asid << 48);
}

/*
 * Execute "DSB <domain>" (its ST form too) on @cpu: its earlier descriptor stores are now ordered
 * before its later TLBIs, local ones after any DSB, broadcast ones after DSB ISH (ARM ARM B2.3.12).
 * The emulated memory has no delay to wait for; the checker (HW_RULE_TLBI_DSB) tracks the order.
 */
enum hw_dsb { HW_DSB_NSH, HW_DSB_ISH };
void hw_cpu_dsb(struct hw_cpu *cpu, enum hw_dsb domain);

#endif /* HW_CPU_H */

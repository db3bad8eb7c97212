/* SPDX-License-Identifier: MIT */
/*
 * The architecture-rule checker of the emulated machine: it watches the kernel's descriptor
 * stores (reported by the hosted arch_set_desc), the barriers and TLBIs the CPUs execute, and
 * every access served from a TLB, and reports what breaks the ARM ARM's (DDI 0487) rules for
 * translation-table updates:
 *
 *   HW_RULE_BBM         a descriptor that TLB entries were read through is changed without
 *                       break-before-make (D8.14.1 "Using break-before-make when updating
 *                       translation table entries"): valid to valid with a different output
 *                       address, type (block / table / page), contiguous bit, AttrIndx, SH or NS
 *                       (AP[2:1], PXN, UXN, nG, AF, DBM and the software bits [58:55] may change
 *                       in place, as Linux's pgattr_change_is_safe allows); or made valid again
 *                       after a break while entries read through the old descriptor are still
 *                       cached (no TLBI between the break and the make).
 *   HW_RULE_TLBI_DSB    a TLBI issued while a descriptor store of the same CPU is not yet
 *                       ordered before it by a DSB (D8.14 "TLB maintenance requirements", B2.3.12
 *                       "Memory barriers"): DSB ISH(ST) before a broadcast TLBI, at least DSB
 *                       NSH(ST) before a local one.
 *   HW_RULE_TLBI_LOCAL  a local (non-IS) TLBI by VA or ASID while another CPU holds a stale entry
 *                       that the TLBI would have dropped there (D8.13: only the IS forms reach
 *                       the other CPUs). Local VMALLE1, the ASID allocator's per-CPU flush after
 *                       a rollover, is not checked.
 *   HW_RULE_STALE_TLB   an access served from a TLB entry (or a walk resumed from the walk cache)
 *                       that the tables in memory no longer give: a walk now faults, gives
 *                       another output address, size or memory attributes, forbids the access,
 *                       or (FEAT_HAFDBS) would mark a cleaned descriptor dirty again (a missing
 *                       TLBI, D8.13 "Translation Lookaside Buffers"). An entry that permits less
 *                       than memory only causes a spurious fault, which is allowed.
 *
 * A descriptor counts as live while some TLB or walk cache holds an entry read through it
 * (struct tlb_refs); stores into tables no TLB has read (a kernel building its tables before the
 * MMU is on, a new process's tables) break no rule.
 *
 * Each violation is one line, "kmm-hw: <rule>: <what, with CPU, addresses and call site>", kept
 * in the machine (the last HW_CHECKER_LOG) and given to the process-wide sink (standard error by
 * default). The checker is on for every machine from hw_machine_init. Hosted only.
 */
#ifndef HW_CHECKER_H
#define HW_CHECKER_H

#include "tlb.h"

struct hw_machine;
struct hw_cpu;
struct tlbi_def;

enum hw_rule { HW_RULE_BBM, HW_RULE_TLBI_DSB, HW_RULE_TLBI_LOCAL, HW_RULE_STALE_TLB, HW_NR_RULES };

#define HW_CHECKER_LOG 8
#define HW_CHECKER_MSG 320

struct hw_checker {
	bool on;
	struct tlb_refs refs; /* shared by the CPUs' TLBs while on */
	const char *site;     /* of the next TLBI (hw_checker_site), NULL: none given */
	unsigned long reported[HW_NR_RULES];
	unsigned long unclaimed[HW_NR_RULES]; /* of the current period (hw_checker_end_period) */
	unsigned long period;
	unsigned long logged; /* messages so far; log[(logged - 1) % HW_CHECKER_LOG] is the last */
	char log[HW_CHECKER_LOG][HW_CHECKER_MSG];
};

/* A CPU's descriptor stores not yet ordered by a DSB, and the last of them. */
struct hw_cpu_stores {
	bool unordered_nsh; /* not ordered before a local TLBI */
	bool unordered_ish; /* not ordered before a broadcast TLBI */
	paddr_t pa;
	uint64_t desc;
	const char *site;
};

/* Set up @m's checker, on (hw_machine_init does it): 0 or -ENOMEM. */
int hw_checker_init(struct hw_machine *m);
void hw_checker_destroy(struct hw_machine *m);

/* Turn the checker of @m on or off (benchmarks); returns whether it was on. */
bool hw_checker_enable(struct hw_machine *m, bool on);

/*
 * CPU @cpu is storing @desc over @old into the descriptor at @pa, for the kernel code at @site
 * ("file:line"): check HW_RULE_BBM and remember the store as unordered (HW_RULE_TLBI_DSB).
 * Call it before the store; with the checker off it does nothing.
 */
void hw_checker_store(struct hw_machine *m, unsigned int cpu, paddr_t pa, uint64_t old,
		      uint64_t desc, const char *site);

/* Name the caller of the next hw_cpu_tlbi on @m in a report about it (a static string). */
void hw_checker_site(struct hw_machine *m, const char *site);

/*
 * Violations of @rule reported on @m and not claimed yet in this period; claims them (a test
 * that breaks the rule on purpose claims what it expects).
 */
unsigned long hw_checker_take(struct hw_machine *m, enum hw_rule rule);
/* Every violation of @rule ever reported on @m, claimed or not. */
unsigned long hw_checker_count(const struct hw_machine *m, enum hw_rule rule);
/* The @i-th most recent message of @m (0: the last), or NULL past the kept ones. */
const char *hw_checker_message(const struct hw_machine *m, unsigned int i);

/* Where reports go, process-wide: @sink(line) for each (NULL: standard error). Returns the old. */
typedef void hw_checker_sink_fn(const char *line);
hw_checker_sink_fn *hw_checker_set_sink(hw_checker_sink_fn *sink);
/*
 * Violations reported on any machine in the current period and not claimed; starts a new period
 * (what is left unclaimed can no longer be claimed). A test runner calls it after each test.
 */
unsigned long hw_checker_end_period(void);

/* The hooks of hw/cpu.c, called only while the checker is on. */
/* @cpu is about to execute the TLBI @d for @va and @asid (as decoded from its operand). */
void hw_checker_tlbi(struct hw_cpu *cpu, const struct tlbi_def *d, vaddr_t va, uint16_t asid);
/* @cpu served @acc at @va from @tr, a TLB hit (else a walk resumed from the walk cache). */
void hw_checker_served(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc, const struct mmu_tr *tr,
		       bool tlb_hit);

#endif /* HW_CHECKER_H */

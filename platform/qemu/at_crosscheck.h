/* SPDX-License-Identifier: MIT */
/*
 * The cross-check of kmm's software MMU (hw/mmu.c) against the CPU's (QEMU's): what the part
 * (at_crosscheck.c) and its tests (tests/kernel/test_at.c) share.
 *
 * The CPU's answer comes from the address translation instructions AT S1E1R, S1E1W, S1E0R and
 * S1E0W (ARM ARM (DDI 0487) C5.5 "A64 system instructions for address translation"), whose
 * result is PAR_EL1 (D19.2 "PAR_EL1"): F = 0 and the output address PA[47:12], or F = 1 and the
 * fault status FST with S (stage 2) and PTW (stage 2 on a walk) clear for a stage-1 fault. The
 * walker's answer is mmu_translate's on the same tables, read from the same RAM through the
 * kernel's linear map (at_ram.c gives hw/mmu.c its struct hw_ram there).
 *
 * The tables are installed on TTBR0 with a TCR of their own (granule, VA size, TBI0, IPS) while
 * the kernel goes on running from TTBR1; at_begin and at_end bracket it.
 */
#ifndef QEMU_AT_CROSSCHECK_H
#define QEMU_AT_CROSSCHECK_H

#include "hw/mmu.h"
#include "hw/ram.h"
#include "kernel.h"

enum at_op { AT_S1E1R, AT_S1E1W, AT_S1E0R, AT_S1E0W, AT_OPS };

/* "S1E1R", "S1E1W", "S1E0R", "S1E0W". */
const char *at_op_name(enum at_op op);
/* The exception level and the access @op translates for, as mmu_translate takes them. */
unsigned int at_op_el(enum at_op op);
enum mmu_access at_op_access(enum at_op op);

/* Run AT @op on @va, then ISB; PAR_EL1. */
uint64_t at_run(enum at_op op, vaddr_t va);

/*
 * What the cross-check compares of a PAR_EL1 value: F = 0, the output address PA[51:12]; F = 1,
 * bits [9:0] (F, FST, PTW, S and the RES0 bit 7). Keys of the two kinds never collide (bit 0).
 */
uint64_t at_par_key(uint64_t par);
/* The key the CPU must give when the walker's answer is @r. */
uint64_t at_walker_key(const struct mmu_result *r);
/* @key in words: "PA 0x..." or "permission fault, level 2" (FST decoded). */
void at_key_describe(uint64_t key, char *buf, size_t len);

/* What the CPU implements, from ID_AA64MMFR0/1/2_EL1 (D19.2). */
struct at_cpu {
	struct mmu_features feat;   /* for the walker: PARange, FEAT_HAFDBS, FEAT_E0PD */
	unsigned int parange;	    /* the PARange field (an IPS encoding) */
	bool gran4, gran16, gran64; /* TGran4, TGran16, TGran64: the granule is supported */
	bool pan;		    /* FEAT_PAN: PSTATE.PAN exists */
};
void at_cpu_probe(struct at_cpu *c);

/* The running state at_begin saves and at_end puts back. */
struct at_saved {
	uint64_t tcr, ttbr0;
	uint64_t pan; /* PSTATE.PAN, when the CPU has it */
	unsigned long irqs;
};

/*
 * Start a cross-check: mask interrupts, save TCR_EL1 and TTBR0_EL1, and clear PSTATE.PAN (it is
 * kept off: AT S1E1R/W do not check it, but the walker's regs.pan models EL1 accesses).
 */
void at_begin(const struct at_cpu *c, struct at_saved *s);
/* Stop translation through TTBR0 (TCR_EL1.EPD0 set) so that its tables may be rewritten. */
void at_park(void);
/*
 * Walk @ttbr0 with @tcr from now on: the table writes made visible (DSB ISHST), TTBR0 and TCR
 * written with EPD0 still set, this CPU's TLB invalidated (TLBI VMALLE1, DSB NSH: no entry or
 * TCR field cached for an earlier TTBR0 survives, ARM ARM D8.13.2 "TLB maintenance
 * requirements"), then EPD0 cleared. @tcr may differ from the kernel's in the TTBR0 half and
 * IPS only; the kernel's TTBR1 half stays as it is.
 */
void at_install(uint64_t tcr, uint64_t ttbr0);
/* End a cross-check: the saved TCR and TTBR0 installed again, PSTATE.PAN and interrupts back. */
void at_end(const struct at_cpu *c, const struct at_saved *s);

/*
 * The running TCR_EL1 @tcr with its TTBR0 half set to @granule bytes (TG0), @va_bits of VA
 * (T0SZ), TBI0 as @tbi0 and walks enabled (EPD0 clear), and the IPS encoding @ips.
 */
uint64_t at_tcr(uint64_t tcr, uint64_t granule, unsigned int va_bits, bool tbi0, unsigned int ips);

/* The walker's registers for tables @ttbr0 under @tcr: the running SCTLR, TTBR1, MAIR; no PAN. */
struct mmu_regs at_walker_regs(uint64_t tcr, uint64_t ttbr0);

/*
 * @ram over the kernel's RAM as the linear map holds it (memblock's memory without the no-map
 * ranges), at most @max regions in @regions (which must outlive @ram). The kernel's
 * hw_ram_read64 and hw_ram_write64 (at_ram.c) read and write through it. -ENOSPC beyond @max.
 */
int at_ram_init(struct hw_ram *ram, struct hw_ram_region *regions, unsigned int max,
		const struct kernel *k);

#endif /* QEMU_AT_CROSSCHECK_H */

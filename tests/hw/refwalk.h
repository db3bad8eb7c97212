/* SPDX-License-Identifier: MIT */
/*
 * A second, deliberately simple stage-1 walker that the differential test
 * (test_mmu_random.c) holds hw/mmu.c against. It is written straight from the ARM ARM
 * (DDI 0487) pseudo-code, AArch64.S1Translate, AArch64.S1Walk and AArch64.S1CheckPermissions, for
 * an ARMv8.0 CPU in the EL1&0 regime (no PAN, HPD, LPA or TTST) with optional FEAT_HAFDBS, and it
 * shares no code with hw/mmu.c or arch/aarch64/: every field is sliced out of the raw register or
 * descriptor with its bit numbers spelled out. Only the vocabulary (enum mmu_fault, struct
 * mmu_regs, struct mmu_features) comes from hw/mmu.h. Simple over fast.
 */
#ifndef TESTS_HW_REFWALK_H
#define TESTS_HW_REFWALK_H

#include "hw/mmu.h"

#define REF_MEM_REGIONS 4

/* Physical memory as the reference sees it: little-endian bytes at the given bases. */
struct ref_mem {
	unsigned int nr;
	struct ref_mem_region {
		uint64_t base, size;
		const uint8_t *bytes;
	} region[REF_MEM_REGIONS];
};

struct ref_result {
	enum mmu_fault fault;
	unsigned int level; /* level of the fault, or of the leaf */
	/* On success (with stage 1 on; with it off only @pa): */
	uint64_t pa;
	uint64_t desc;	   /* the leaf as this access leaves it (AF set by HA, AP[2] by HD) */
	uint64_t size;	   /* bytes the leaf maps */
	unsigned int ttbr; /* VA[55] */
	uint16_t asid;
	bool global;
	/* The walk, for reports: descriptors read, outermost first. */
	unsigned int nreads;
	uint64_t read_pa[4], read_desc[4];
};

/*
 * Translate @va for one access (@el 0 or 1, @acc) with @regs and @feat, reading descriptors from
 * @mem, as the architecture does with no TLB and no hardware update written back.
 */
void ref_translate(const struct ref_mem *mem, const struct mmu_regs *regs,
		   const struct mmu_features *feat, uint64_t va, unsigned int el,
		   enum mmu_access acc, struct ref_result *out);

#endif /* TESTS_HW_REFWALK_H */

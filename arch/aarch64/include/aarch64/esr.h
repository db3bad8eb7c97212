/* SPDX-License-Identifier: MIT */
/*
 * The Exception Syndrome Register of an abort (ARM ARM (DDI 0487) D19.2 "ESR_EL1", and the ISS
 * encodings for "Instruction Abort" and "Data Abort" exceptions): what a CPU reports for a
 * translation fault, and what the kernel's fault handler decodes (Linux's asm/esr.h). The
 * emulated CPU builds these values; the bare-metal kernel reads them from ESR_EL1.
 */
#ifndef AARCH64_ESR_H
#define AARCH64_ESR_H

#include <kmm/types.h>

#define ESR_ELx_EC_SHIFT 26
#define ESR_ELx_EC_MASK GENMASK(31, 26)
#define ESR_ELx_IL BIT(25) /* a 32-bit instruction */
#define ESR_ELx_ISS_MASK GENMASK(24, 0)

/* Other exception classes (the bare-metal kernel's vectors name them in reports). */
#define ESR_ELx_EC_UNKNOWN 0x00u
#define ESR_ELx_EC_WFx 0x01u
#define ESR_ELx_EC_FP_ASIMD 0x07u
#define ESR_ELx_EC_ILL 0x0eu /* illegal execution state */
#define ESR_ELx_EC_SVC64 0x15u
#define ESR_ELx_EC_SYS64 0x18u /* MSR, MRS or system instruction trapped */
#define ESR_ELx_EC_PC_ALIGN 0x22u
#define ESR_ELx_EC_SP_ALIGN 0x26u
#define ESR_ELx_EC_SERROR 0x2fu
#define ESR_ELx_EC_BREAKPT_CUR 0x31u
#define ESR_ELx_EC_SOFTSTP_CUR 0x33u
#define ESR_ELx_EC_WATCHPT_CUR 0x35u
#define ESR_ELx_EC_BRK64 0x3cu

/* Exception classes of aborts. */
#define ESR_ELx_EC_IABT_LOW 0x20u /* instruction abort from a lower EL (EL0) */
#define ESR_ELx_EC_IABT_CUR 0x21u /* instruction abort without an EL change */
#define ESR_ELx_EC_DABT_LOW 0x24u /* data abort from a lower EL (EL0) */
#define ESR_ELx_EC_DABT_CUR 0x25u /* data abort without an EL change */

/* ISS fields of an abort. */
#define ESR_ELx_FSC_MASK GENMASK(5, 0) /* DFSC / IFSC */
#define ESR_ELx_WNR BIT(6)	       /* data abort: caused by a write */
#define ESR_ELx_S1PTW BIT(7)	       /* on a stage-2 walk for stage 1 (not emulated) */
#define ESR_ELx_CM BIT(8)	       /* cache maintenance */
#define ESR_ELx_EA BIT(9)	       /* external abort type */
#define ESR_ELx_FNV BIT(10)	       /* FAR not valid */

/* Fault status codes: the type in bits [5:2], the level in bits [1:0]. */
#define ESR_ELx_FSC_TYPE GENMASK(5, 2)
#define ESR_ELx_FSC_LEVEL GENMASK(1, 0)
#define ESR_ELx_FSC_ADDRSZ 0x00u  /* address size fault, level 0..3 */
#define ESR_ELx_FSC_FAULT 0x04u	  /* translation fault, level 0..3 */
#define ESR_ELx_FSC_ACCESS 0x08u  /* access flag fault, level 1..3 (0 with FEAT_LPA2) */
#define ESR_ELx_FSC_PERM 0x0cu	  /* permission fault, level 1..3 */
#define ESR_ELx_FSC_EXTABT 0x10u  /* synchronous external abort, not on a walk */
#define ESR_ELx_FSC_SEA_TTW 0x14u /* synchronous external abort on a walk, level 0..3 */
#define ESR_ELx_FSC_ALIGN 0x21u	  /* alignment fault */

static inline unsigned int esr_ec(uint64_t esr)
{
	return (unsigned int)FIELD_GET(ESR_ELx_EC_MASK, esr);
}

static inline unsigned int esr_fsc(uint64_t esr)
{
	return (unsigned int)(esr & ESR_ELx_FSC_MASK);
}

/* The fault type of a fault status code (ESR_ELx_FSC_FAULT, _ACCESS, _PERM, ...). */
static inline unsigned int esr_fsc_type(uint64_t esr)
{
	return (unsigned int)(esr & ESR_ELx_FSC_TYPE);
}

static inline unsigned int esr_fsc_level(uint64_t esr)
{
	return (unsigned int)(esr & ESR_ELx_FSC_LEVEL);
}

static inline bool esr_is_data_abort(uint64_t esr)
{
	return esr_ec(esr) == ESR_ELx_EC_DABT_LOW || esr_ec(esr) == ESR_ELx_EC_DABT_CUR;
}

static inline bool esr_is_instruction_abort(uint64_t esr)
{
	return esr_ec(esr) == ESR_ELx_EC_IABT_LOW || esr_ec(esr) == ESR_ELx_EC_IABT_CUR;
}

/* The abort came from EL0 (a user access). */
static inline bool esr_from_el0(uint64_t esr)
{
	return esr_ec(esr) == ESR_ELx_EC_DABT_LOW || esr_ec(esr) == ESR_ELx_EC_IABT_LOW;
}

/* A data abort caused by a write (WnR; Linux's is_write_abort, without the CM case). */
static inline bool esr_is_write(uint64_t esr)
{
	return esr_is_data_abort(esr) && (esr & ESR_ELx_WNR) && !(esr & ESR_ELx_CM);
}

/* Build the ESR of an abort: @ec one of the abort classes above, @fsc with its level. */
static inline uint64_t esr_make_abort(unsigned int ec, unsigned int fsc, bool write)
{
	return FIELD_PREP(ESR_ELx_EC_MASK, (uint64_t)ec) | ESR_ELx_IL | (fsc & ESR_ELx_FSC_MASK) |
	       (write ? ESR_ELx_WNR : 0);
}

#endif /* AARCH64_ESR_H */

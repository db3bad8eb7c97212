/* SPDX-License-Identifier: MIT */
/*
 * The system registers that control stage-1 translation at EL1: TCR_EL1, TTBR0/1_EL1, MAIR_EL1
 * and SCTLR_EL1 (ARM ARM D19.2 "General system control registers"; D13.2 in older issues).
 * Field positions are macros for assembly-like use; the structs and functions decode and encode
 * whole registers for the simulator, the tests and the boot code.
 */
#ifndef AARCH64_SYSREG_H
#define AARCH64_SYSREG_H

#include <kmm/types.h>

/* TCR_EL1 */
#define TCR_T0SZ_MASK GENMASK(5, 0)
#define TCR_EPD0 BIT(7)
#define TCR_IRGN0_MASK GENMASK(9, 8)
#define TCR_ORGN0_MASK GENMASK(11, 10)
#define TCR_SH0_MASK GENMASK(13, 12)
#define TCR_TG0_MASK GENMASK(15, 14) /* 0b00 4K, 0b01 64K, 0b10 16K */
#define TCR_T1SZ_MASK GENMASK(21, 16)
#define TCR_A1 BIT(22) /* ASID comes from TTBR1 (else TTBR0) */
#define TCR_EPD1 BIT(23)
#define TCR_IRGN1_MASK GENMASK(25, 24)
#define TCR_ORGN1_MASK GENMASK(27, 26)
#define TCR_SH1_MASK GENMASK(29, 28)
#define TCR_TG1_MASK GENMASK(31, 30) /* 0b01 16K, 0b10 4K, 0b11 64K */
#define TCR_IPS_MASK GENMASK(34, 32)
#define TCR_AS BIT(36) /* 16-bit ASIDs (else 8-bit) */
#define TCR_TBI0 BIT(37)
#define TCR_TBI1 BIT(38)
#define TCR_HA BIT(39)	  /* hardware Access flag update (FEAT_HAFDBS) */
#define TCR_HD BIT(40)	  /* hardware dirty state (FEAT_HAFDBS) */
#define TCR_E0PD0 BIT(55) /* EL0 accesses to the TTBR0 half fault (FEAT_E0PD) */
#define TCR_E0PD1 BIT(56) /* EL0 accesses to the TTBR1 half fault (FEAT_E0PD) */

/* Cacheability for IRGN/ORGN: write-back read-allocate write-allocate. */
#define TCR_RGN_WBWA 1

/* TTBRn_EL1 */
#define TTBR_CNP BIT(0)
#define TTBR_BADDR_MASK GENMASK(47, 1)
#define TTBR_ASID_MASK GENMASK(63, 48)

/* MAIR_EL1: eight attribute bytes, selected by a descriptor's AttrIndx. */
#define MAIR_DEVICE_nGnRnE 0x00
#define MAIR_DEVICE_nGnRE 0x04
#define MAIR_DEVICE_nGRE 0x08
#define MAIR_DEVICE_GRE 0x0c
#define MAIR_NORMAL_NC 0x44
#define MAIR_NORMAL_WT 0xbb
#define MAIR_NORMAL_WB 0xff
#define MAIR_ATTR(attr, idx) ((uint64_t)(attr) << ((idx)*8))
#define MAIR_ATTR_GET(mair, idx) ((uint8_t)((mair) >> ((idx)*8)))

/* SCTLR_EL1 (the bits translation depends on) */
#define SCTLR_M BIT(0)
#define SCTLR_A BIT(1)
#define SCTLR_C BIT(2)
#define SCTLR_I BIT(12)
#define SCTLR_WXN BIT(19)
#define SCTLR_EE BIT(25)

/* One half (TTBR0 or TTBR1) of the EL1&0 translation regime, as TCR_EL1 configures it. */
struct tcr_half {
	unsigned int tsz; /* TnSZ: the range is 64 - tsz bits */
	uint64_t granule; /* bytes: 4096, 16384, 65536; 0 for a reserved TGn encoding */
	bool epd;	  /* walks disabled */
	bool tbi;	  /* top byte ignored */
	unsigned int irgn, orgn, sh;
};

struct tcr_fields {
	struct tcr_half half[2];
	unsigned int ips; /* raw IPS field */
	bool a1, as, ha, hd;
};

void tcr_decode(uint64_t tcr, struct tcr_fields *f);
/* Encode @f; a granule that is not 4K/16K/64K encodes as 4K. */
uint64_t tcr_encode(const struct tcr_fields *f);

/* Physical-address bits of an IPS/PARange encoding (32..52), 0 for a reserved encoding. */
unsigned int tcr_ips_bits(unsigned int ips);
/* The IPS encoding for @bits (32, 36, 40, 42, 44, 48, 52), or -1. */
int tcr_ips_from_bits(unsigned int bits);

/* MAIR attribute byte → a name such as "Normal-WB" or "Device-nGnRnE" ("unknown" otherwise). */
const char *mair_attr_name(uint8_t attr);
static inline bool mair_attr_is_device(uint8_t attr)
{
	return (attr & 0xf0) == 0;
}

static inline uint16_t ttbr_asid(uint64_t ttbr)
{
	return (uint16_t)FIELD_GET(TTBR_ASID_MASK, ttbr);
}

static inline uint64_t ttbr_make(paddr_t table, uint16_t asid, bool cnp)
{
	return (table & GENMASK(47, 1)) | FIELD_PREP(TTBR_ASID_MASK, asid) | (cnp ? TTBR_CNP : 0);
}

#endif /* AARCH64_SYSREG_H */

// SPDX-License-Identifier: MIT
/* Decode and encode TCR_EL1 and name MAIR attributes; fields are listed in sysreg.h. */
#include <aarch64/sysreg.h>

/* TG0 and TG1 encode the same granules with different values (ARM ARM D19.2.138). */
static uint64_t tg0_granule(unsigned int tg)
{
	static const uint64_t sz[4] = { 4096, 65536, 16384, 0 };
	return sz[tg & 3];
}

static uint64_t tg1_granule(unsigned int tg)
{
	static const uint64_t sz[4] = { 0, 16384, 4096, 65536 };
	return sz[tg & 3];
}

static unsigned int tg0_encode(uint64_t granule)
{
	return granule == 65536 ? 1 : granule == 16384 ? 2 : 0;
}

static unsigned int tg1_encode(uint64_t granule)
{
	return granule == 65536 ? 3 : granule == 16384 ? 1 : 2;
}

void tcr_decode(uint64_t tcr, struct tcr_fields *f)
{
	f->half[0] = (struct tcr_half){
		.tsz = (unsigned int)FIELD_GET(TCR_T0SZ_MASK, tcr),
		.granule = tg0_granule((unsigned int)FIELD_GET(TCR_TG0_MASK, tcr)),
		.epd = tcr & TCR_EPD0,
		.tbi = tcr & TCR_TBI0,
		.irgn = (unsigned int)FIELD_GET(TCR_IRGN0_MASK, tcr),
		.orgn = (unsigned int)FIELD_GET(TCR_ORGN0_MASK, tcr),
		.sh = (unsigned int)FIELD_GET(TCR_SH0_MASK, tcr),
	};
	f->half[1] = (struct tcr_half){
		.tsz = (unsigned int)FIELD_GET(TCR_T1SZ_MASK, tcr),
		.granule = tg1_granule((unsigned int)FIELD_GET(TCR_TG1_MASK, tcr)),
		.epd = tcr & TCR_EPD1,
		.tbi = tcr & TCR_TBI1,
		.irgn = (unsigned int)FIELD_GET(TCR_IRGN1_MASK, tcr),
		.orgn = (unsigned int)FIELD_GET(TCR_ORGN1_MASK, tcr),
		.sh = (unsigned int)FIELD_GET(TCR_SH1_MASK, tcr),
	};
	f->ips = (unsigned int)FIELD_GET(TCR_IPS_MASK, tcr);
	f->a1 = tcr & TCR_A1;
	f->as = tcr & TCR_AS;
	f->ha = tcr & TCR_HA;
	f->hd = tcr & TCR_HD;
}

uint64_t tcr_encode(const struct tcr_fields *f)
{
	const struct tcr_half *h0 = &f->half[0], *h1 = &f->half[1];

	return FIELD_PREP(TCR_T0SZ_MASK, h0->tsz) | (h0->epd ? TCR_EPD0 : 0) |
	       FIELD_PREP(TCR_IRGN0_MASK, h0->irgn) | FIELD_PREP(TCR_ORGN0_MASK, h0->orgn) |
	       FIELD_PREP(TCR_SH0_MASK, h0->sh) |
	       FIELD_PREP(TCR_TG0_MASK, tg0_encode(h0->granule)) | (h0->tbi ? TCR_TBI0 : 0) |
	       FIELD_PREP(TCR_T1SZ_MASK, h1->tsz) | (h1->epd ? TCR_EPD1 : 0) |
	       FIELD_PREP(TCR_IRGN1_MASK, h1->irgn) | FIELD_PREP(TCR_ORGN1_MASK, h1->orgn) |
	       FIELD_PREP(TCR_SH1_MASK, h1->sh) |
	       FIELD_PREP(TCR_TG1_MASK, tg1_encode(h1->granule)) | (h1->tbi ? TCR_TBI1 : 0) |
	       FIELD_PREP(TCR_IPS_MASK, f->ips) | (f->a1 ? TCR_A1 : 0) | (f->as ? TCR_AS : 0) |
	       (f->ha ? TCR_HA : 0) | (f->hd ? TCR_HD : 0);
}

static const unsigned int ips_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };

unsigned int tcr_ips_bits(unsigned int ips)
{
	return ips_bits[ips & 7];
}

int tcr_ips_from_bits(unsigned int bits)
{
	for (int i = 0; i < 7; i++)
		if (ips_bits[i] == bits)
			return i;
	return -1;
}

const char *mair_attr_name(uint8_t attr)
{
	switch (attr) {
	case MAIR_DEVICE_nGnRnE:
		return "Device-nGnRnE";
	case MAIR_DEVICE_nGnRE:
		return "Device-nGnRE";
	case MAIR_DEVICE_nGRE:
		return "Device-nGRE";
	case MAIR_DEVICE_GRE:
		return "Device-GRE";
	case MAIR_NORMAL_NC:
		return "Normal-NC";
	case MAIR_NORMAL_WT:
		return "Normal-WT";
	case MAIR_NORMAL_WB:
		return "Normal-WB";
	default:
		return "unknown";
	}
}

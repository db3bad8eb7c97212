/* SPDX-License-Identifier: MIT */
/*
 * The VMSAv8-64 stage-1 translation table descriptor format, defined once for the whole of kmm:
 * the kernel's page-table code writes these descriptors and the emulated MMU (hw/mmu.c) walks them.
 *
 * ARM ARM (DDI 0487) D8.3 "Translation table descriptor formats" (D5.3 in older issues):
 *
 *   bits[1:0]  0b?0 invalid; 0b01 block (levels that allow blocks, else invalid);
 *              0b11 table (levels 0-2) or page (level 3)
 *   Table:  [47:g] next-level table address; [59] PXNTable; [60] UXNTable (XNTable);
 *           [62:61] APTable; [63] NSTable
 *   Block/page, lower attributes: [4:2] AttrIndx, [5] NS, [7:6] AP[2:1], [9:8] SH, [10] AF, [11] nG
 *   Block/page, upper attributes: [51] DBM, [52] Contiguous, [53] PXN, [54] UXN, [58:55] software
 *   Output address: [47:g] for a page, [47:shift(level)] for a block.
 */
#ifndef AARCH64_PGTABLE_HWDEF_H
#define AARCH64_PGTABLE_HWDEF_H

#include <aarch64/geometry.h>

#define DESC_VALID BIT(0)
#define DESC_TYPE_MASK GENMASK(1, 0)
#define DESC_TYPE_BLOCK 0x1ULL
#define DESC_TYPE_TABLE 0x3ULL
#define DESC_TYPE_PAGE 0x3ULL

/* Block and page descriptor attributes. */
#define PTE_ATTRINDX_MASK GENMASK(4, 2)
#define PTE_NS BIT(5)
#define PTE_AP_MASK GENMASK(7, 6)
#define PTE_USER BIT(6)	  /* AP[1]: EL0 may access */
#define PTE_RDONLY BIT(7) /* AP[2]: read-only at every EL */
#define PTE_SH_MASK GENMASK(9, 8)
#define PTE_AF BIT(10)
#define PTE_NG BIT(11)
#define PTE_DBM BIT(51)
#define PTE_CONT BIT(52)
#define PTE_PXN BIT(53)
#define PTE_UXN BIT(54)
#define PTE_SW_MASK GENMASK(58, 55)

/* Table descriptor attributes (hierarchical controls). */
#define TABLE_PXN BIT(59)
#define TABLE_UXN BIT(60)
#define TABLE_AP_MASK GENMASK(62, 61)
#define TABLE_AP_NO_EL0 BIT(61) /* APTable[0]: no EL0 access below */
#define TABLE_AP_RDONLY BIT(62) /* APTable[1]: no write access below */
#define TABLE_NS BIT(63)

/* Output-address field: bits [47:12]; a granule or block size masks off more low bits. */
#define DESC_OA_MASK GENMASK(47, 12)

/* SH field values (ARM ARM D8.6 "Memory attribute fields"). */
#define SH_NON 0
#define SH_OUTER 2
#define SH_INNER 3

/* AP[2:1] values (ARM ARM D8.4 "Memory access control"). */
#define AP_RW_EL1 0 /* EL1 read/write, EL0 none */
#define AP_RW_ALL 1 /* EL1 and EL0 read/write */
#define AP_RO_EL1 2 /* EL1 read-only, EL0 none */
#define AP_RO_ALL 3 /* EL1 and EL0 read-only */

enum desc_kind {
	DESC_INVALID,  /* bit 0 clear */
	DESC_RESERVED, /* 0b01 where no block is allowed (and at level 3): faults like invalid */
	DESC_TABLE,
	DESC_BLOCK,
	DESC_PAGE,
};

/* The attributes of a block or page descriptor, one field per architectural field. */
struct pte_attrs {
	uint8_t attrindx; /* 0..7, index into MAIR_EL1 */
	uint8_t sh;	  /* SH[1:0] */
	uint8_t ap;	  /* AP[2:1] */
	uint8_t sw;	  /* bits [58:55], ignored by hardware */
	bool ns;
	bool af;
	bool ng;
	bool dbm;
	bool contig;
	bool pxn;
	bool uxn;
};

/* The hierarchical attributes of a table descriptor. */
struct table_attrs {
	uint8_t ap_table; /* APTable[1:0] */
	bool pxn_table;
	bool uxn_table;
	bool ns_table;
};

enum desc_kind desc_kind(const struct xlat_geometry *g, unsigned int level, uint64_t desc);

/* Output address of a block or page, or the next table's address for a table descriptor. */
paddr_t desc_oa(const struct xlat_geometry *g, unsigned int level, uint64_t desc);

uint64_t pte_attrs_encode(const struct pte_attrs *a);
void pte_attrs_decode(uint64_t desc, struct pte_attrs *a);
uint64_t table_attrs_encode(const struct table_attrs *a);
void table_attrs_decode(uint64_t desc, struct table_attrs *a);

/*
 * Build descriptors. Address bits below the granule (page, table) or the level's block size,
 * and above bit 47, are not part of the descriptor and are dropped; the caller checks that blocks
 * are allowed at @level.
 */
uint64_t desc_make_table(const struct xlat_geometry *g, paddr_t table, const struct table_attrs *a);
uint64_t desc_make_block(const struct xlat_geometry *g, unsigned int level, paddr_t oa,
			 const struct pte_attrs *a);
uint64_t desc_make_page(const struct xlat_geometry *g, paddr_t oa, const struct pte_attrs *a);

#endif /* AARCH64_PGTABLE_HWDEF_H */

// SPDX-License-Identifier: MIT
/* Encode and decode stage-1 descriptors; the format is described in pgtable-hwdef.h. */
#include <aarch64/pgtable-hwdef.h>

enum desc_kind desc_kind(const struct xlat_geometry *g, unsigned int level, uint64_t desc)
{
	if (!(desc & DESC_VALID))
		return DESC_INVALID;
	if ((desc & DESC_TYPE_MASK) == DESC_TYPE_TABLE)
		return level == 3 ? DESC_PAGE : DESC_TABLE;
	return xlat_block_allowed(g, level) ? DESC_BLOCK : DESC_RESERVED;
}

paddr_t desc_oa(const struct xlat_geometry *g, unsigned int level, uint64_t desc)
{
	unsigned int low = g->granule_shift;

	if (desc_kind(g, level, desc) == DESC_BLOCK)
		low = g->level_shift[level];
	return desc & GENMASK(47, low);
}

uint64_t pte_attrs_encode(const struct pte_attrs *a)
{
	return FIELD_PREP(PTE_ATTRINDX_MASK, a->attrindx) | (a->ns ? PTE_NS : 0) |
	       FIELD_PREP(PTE_AP_MASK, a->ap) | FIELD_PREP(PTE_SH_MASK, a->sh) |
	       (a->af ? PTE_AF : 0) | (a->ng ? PTE_NG : 0) | (a->dbm ? PTE_DBM : 0) |
	       (a->contig ? PTE_CONT : 0) | (a->pxn ? PTE_PXN : 0) | (a->uxn ? PTE_UXN : 0) |
	       FIELD_PREP(PTE_SW_MASK, a->sw);
}

void pte_attrs_decode(uint64_t desc, struct pte_attrs *a)
{
	a->attrindx = (uint8_t)FIELD_GET(PTE_ATTRINDX_MASK, desc);
	a->ns = desc & PTE_NS;
	a->ap = (uint8_t)FIELD_GET(PTE_AP_MASK, desc);
	a->sh = (uint8_t)FIELD_GET(PTE_SH_MASK, desc);
	a->af = desc & PTE_AF;
	a->ng = desc & PTE_NG;
	a->dbm = desc & PTE_DBM;
	a->contig = desc & PTE_CONT;
	a->pxn = desc & PTE_PXN;
	a->uxn = desc & PTE_UXN;
	a->sw = (uint8_t)FIELD_GET(PTE_SW_MASK, desc);
}

uint64_t table_attrs_encode(const struct table_attrs *a)
{
	return FIELD_PREP(TABLE_AP_MASK, a->ap_table) | (a->pxn_table ? TABLE_PXN : 0) |
	       (a->uxn_table ? TABLE_UXN : 0) | (a->ns_table ? TABLE_NS : 0);
}

void table_attrs_decode(uint64_t desc, struct table_attrs *a)
{
	a->ap_table = (uint8_t)FIELD_GET(TABLE_AP_MASK, desc);
	a->pxn_table = desc & TABLE_PXN;
	a->uxn_table = desc & TABLE_UXN;
	a->ns_table = desc & TABLE_NS;
}

uint64_t desc_make_table(const struct xlat_geometry *g, paddr_t table, const struct table_attrs *a)
{
	return (table & GENMASK(47, g->granule_shift)) | table_attrs_encode(a) | DESC_TYPE_TABLE;
}

uint64_t desc_make_block(const struct xlat_geometry *g, unsigned int level, paddr_t oa,
			 const struct pte_attrs *a)
{
	return (oa & GENMASK(47, g->level_shift[level])) | pte_attrs_encode(a) | DESC_TYPE_BLOCK;
}

uint64_t desc_make_page(const struct xlat_geometry *g, paddr_t oa, const struct pte_attrs *a)
{
	return (oa & GENMASK(47, g->granule_shift)) | pte_attrs_encode(a) | DESC_TYPE_PAGE;
}

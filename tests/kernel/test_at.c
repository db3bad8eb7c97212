// SPDX-License-Identifier: MIT
/*
 * The pieces of the AT cross-check (platform/qemu/at_crosscheck.h): hw/ram.h over the linear
 * map, the PAR_EL1 keys, and hand-made tables whose every answer is written out here, which both
 * the CPU (AT on TTBR0, installed and removed as the part does it) and the walker must give.
 */
#include "kernel_test.h"
#include "platform/qemu/at_crosscheck.h"

#include <aarch64/esr.h>
#include <aarch64/sysreg.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/slab.h>

KTEST(kat, ram_over_linear_map)
{
	struct hw_ram_region regions[AARCH64_RAM_MAX];
	struct hw_ram ram;
	uint64_t *word = kmalloc(sizeof(*word), GFP_KERNEL);
	uint64_t v = 0;

	KT_ASSERT_NOT_NULL(kt, word);
	KT_ASSERT_EQ(kt, at_ram_init(&ram, regions, ARRAY_SIZE(regions), ktest_kernel), 0);
	KT_EXPECT_GE(kt, ram.nr, 1u);
	*word = 0x0123456789abcdefULL;
	paddr_t pa = arch_virt_to_phys(word);
	KT_EXPECT_EQ(kt, hw_ram_read64(&ram, pa, &v), 0);
	KT_EXPECT_EQ(kt, v, 0x0123456789abcdefULL);
	KT_EXPECT_EQ(kt, hw_ram_write64(&ram, pa, 42), 0);
	KT_EXPECT_EQ(kt, *word, 42u);

	/* Past the end of RAM, and a range running out of its region. */
	const struct hw_ram_region *last = &ram.regions[ram.nr - 1];
	KT_EXPECT_EQ(kt, hw_ram_read64(&ram, last->base + last->size, &v), -EFAULT);
	KT_EXPECT_NULL(kt, hw_ram_find(&ram, last->base + last->size - 4, 8));
	KT_EXPECT_EQ(kt, at_ram_init(&ram, regions, 0, ktest_kernel), -ENOSPC);
	kfree(word);
}

KTEST(kat, par_keys)
{
	const struct mmu_result mapped = { .fault = MMU_FAULT_NONE, .pa = 0x12345678 };
	const struct mmu_result perm = { .fault = MMU_FAULT_PERMISSION, .level = 2 };
	const struct mmu_result size = { .fault = MMU_FAULT_ADDRESS_SIZE, .level = 0 };

	KT_EXPECT_EQ(kt, at_walker_key(&mapped), 0x12345000u);
	KT_EXPECT_EQ(kt, at_walker_key(&perm), (0x0eu << 1) | 1);
	KT_EXPECT_EQ(kt, at_walker_key(&size), 1u);
	/* F = 1: FST and the S/PTW bits count, RES1 bit 11 and the rest do not. */
	KT_EXPECT_EQ(kt, at_par_key(0x800 | (0x0eu << 1) | 1), (0x0eu << 1) | 1);
	KT_EXPECT_EQ(kt, at_par_key(0x200 | (0x0eu << 1) | 1), 0x200 | (0x0eu << 1) | 1);
	/* F = 0: PA[51:12] only, not the attributes (ATTR [63:56], SH, NS). */
	KT_EXPECT_EQ(kt, at_par_key(0xff00000012345f80ULL), 0x12345000u);
}

/* One VA of the hand-made tables: its PA when mapped, else per AT the fault status (FST). */
struct known {
	vaddr_t va;
	paddr_t pa;
	uint8_t fst[AT_OPS]; /* S1E1R, S1E1W, S1E0R, S1E0W; 0: the translation succeeds */
};

#define OK 0
#define TRANS(l) (ESR_ELx_FSC_FAULT | (l))
#define ACCESS(l) (ESR_ELx_FSC_ACCESS | (l))
#define PERM(l) (ESR_ELx_FSC_PERM | (l))

#define SZ_1G 0x40000000ULL

/*
 * A 4K-granule 39-bit VA space (levels 1-3): L1[0] -> L2 -> L3 with pages of each AP and a
 * reserved 0b01, a 2M read-only EL1 block and one with AF clear; L1[2] a 1G block; L1[3]
 * invalid; L1[4] and L1[5] the same L2 table of one 2M RW_ALL block under APTable read-only and
 * APTable no-EL0.
 */
static const struct known knowns[] = {
	{ 0x0000123, 0x5000, { OK, OK, OK, OK } },			  /* page RW_ALL */
	{ 0x0001000, 0x6000, { OK, PERM(3), OK, PERM(3) } },		  /* page RO_ALL */
	{ 0x0002000, 0x7000, { OK, OK, PERM(3), PERM(3) } },		  /* page RW_EL1 */
	{ 0x0003000, 0, { TRANS(3), TRANS(3), TRANS(3), TRANS(3) } },	  /* 0b01 at level 3 */
	{ 0x0004000, 0, { TRANS(3), TRANS(3), TRANS(3), TRANS(3) } },	  /* a hole */
	{ 0x0201000, 0x1401000, { OK, PERM(2), PERM(2), PERM(2) } },	  /* block RO_EL1 */
	{ 0x0400000, 0, { ACCESS(2), ACCESS(2), ACCESS(2), ACCESS(2) } }, /* AF clear */
	{ 2 * SZ_1G + 0x1234, 0xc0001000, { OK, OK, OK, OK } },		  /* 1G block RW_ALL */
	{ 3 * SZ_1G, 0, { TRANS(1), TRANS(1), TRANS(1), TRANS(1) } },	  /* invalid */
	{ 4 * SZ_1G, 0x1600000, { OK, PERM(2), OK, PERM(2) } },		  /* APTable read-only */
	{ 5 * SZ_1G, 0x1600000, { OK, OK, PERM(2), PERM(2) } },		  /* APTable no EL0 */
	{ 1ULL << 39, 0, { TRANS(0), TRANS(0), TRANS(0), TRANS(0) } },	  /* out of range */
};

static uint64_t *table_page(void)
{
	return (uint64_t *)__get_free_page(GFP_KERNEL | __GFP_ZERO);
}

static uint64_t leaf(const struct xlat_geometry *g, unsigned int level, paddr_t pa, unsigned int ap,
		     bool af)
{
	struct pte_attrs a = { .attrindx = 0, .sh = SH_INNER, .ap = (uint8_t)ap, .af = af };

	return level == 3 ? desc_make_page(g, pa, &a) : desc_make_block(g, level, pa, &a);
}

static uint64_t table(const struct xlat_geometry *g, const uint64_t *t, uint8_t ap_table)
{
	struct table_attrs a = { .ap_table = ap_table };

	return desc_make_table(g, arch_virt_to_phys(t), &a);
}

/* The tables of knowns[] in @t[0] (level 1) to @t[3]; 0, or -ENOMEM. */
static int build_known_tables(const struct xlat_geometry *g, uint64_t *t[4])
{
	for (int i = 0; i < 4; i++)
		if (!(t[i] = table_page()))
			return -ENOMEM;
	uint64_t *l1 = t[0], *l2 = t[1], *l3 = t[2], *l2b = t[3];
	l1[0] = table(g, l2, 0);
	l1[2] = leaf(g, 1, 0xc0000000, AP_RW_ALL, true);
	l1[3] = 0xfffffffffffffffeULL; /* bit 0 clear: invalid whatever the rest */
	l1[4] = table(g, l2b, 2);      /* APTable[1]: read-only below */
	l1[5] = table(g, l2b, 1);      /* APTable[0]: no EL0 access below */
	l2[0] = table(g, l3, 0);
	l2[1] = leaf(g, 2, 0x1400000, AP_RO_EL1, true);
	l2[2] = leaf(g, 2, 0x1800000, AP_RW_ALL, false);
	l2b[0] = leaf(g, 2, 0x1600000, AP_RW_ALL, true);
	l3[0] = leaf(g, 3, 0x5000, AP_RW_ALL, true);
	l3[1] = leaf(g, 3, 0x6000, AP_RO_ALL, true);
	l3[2] = leaf(g, 3, 0x7000, AP_RW_EL1, true);
	l3[3] = (0x8000 | PTE_AF) | DESC_TYPE_BLOCK;
	return 0;
}

static uint64_t expected_key(const struct known *k, enum at_op op)
{
	return k->fst[op] ? ((uint64_t)k->fst[op] << 1) | 1 : k->pa & GENMASK(47, 12);
}

KTEST(kat, known_tables_both_ways)
{
	struct xlat_geometry g;
	uint64_t *t[4] = { 0 };
	uint64_t par[ARRAY_SIZE(knowns)][AT_OPS];
	struct at_cpu cpu;
	struct at_saved saved;
	struct hw_ram_region regions[AARCH64_RAM_MAX];
	struct hw_ram ram;

	KT_ASSERT_EQ(kt, xlat_geometry_init(&g, 4096, 39), 0);
	KT_ASSERT_EQ(kt, at_ram_init(&ram, regions, ARRAY_SIZE(regions), ktest_kernel), 0);
	if (!KT_EXPECT_EQ(kt, build_known_tables(&g, t), 0))
		goto out;
	at_cpu_probe(&cpu);
	uint64_t tcr = read_sysreg(tcr_el1);
	tcr = at_tcr(tcr, 4096, 39, false, (unsigned int)FIELD_GET(TCR_IPS_MASK, tcr));
	uint64_t ttbr0 = ttbr_make(arch_virt_to_phys(t[0]), 0, false);

	at_begin(&cpu, &saved);
	at_install(tcr, ttbr0);
	for (size_t i = 0; i < ARRAY_SIZE(knowns); i++)
		for (enum at_op op = 0; op < AT_OPS; op++)
			par[i][op] = at_run(op, knowns[i].va);
	at_end(&cpu, &saved);
	KT_EXPECT_EQ(kt, read_sysreg(tcr_el1), saved.tcr);
	KT_EXPECT_EQ(kt, read_sysreg(ttbr0_el1), saved.ttbr0);

	struct mmu_regs regs = at_walker_regs(tcr, ttbr0);
	for (size_t i = 0; i < ARRAY_SIZE(knowns); i++) {
		for (enum at_op op = 0; op < AT_OPS; op++) {
			struct mmu_result r;
			uint64_t want = expected_key(&knowns[i], op);

			mmu_translate(&ram, &regs, &cpu.feat, knowns[i].va, at_op_el(op),
				      at_op_access(op), false, &r);
			if (!KT_EXPECT_EQ(kt, at_par_key(par[i][op]), want) ||
			    !KT_EXPECT_EQ(kt, at_walker_key(&r), want))
				ktest_log(kt, "VA 0x%llx AT %s: PAR_EL1 0x%llx, walker %s",
					  (unsigned long long)knowns[i].va, at_op_name(op),
					  (unsigned long long)par[i][op], mmu_fault_name(r.fault));
		}
	}
out:
	for (int i = 0; i < 4; i++)
		if (t[i])
			free_page((unsigned long)t[i]);
}

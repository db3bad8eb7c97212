// SPDX-License-Identifier: MIT
/*
 * The boot on the real (QEMU's) MMU: the tables boot_mm_init built are the ones the CPU walks,
 * they give the image's sections their permissions, the linear map covers memory, and the
 * identity map is gone. The CPU's answers come from AT and from faulting accesses
 * (aarch64/traps.h), the kernel's from pgtable_query on swapper_pg_dir.
 */
#include "kernel_test.h"

#include <aarch64/esr.h>
#include <aarch64/sysreg.h>
#include <aarch64/traps.h>
#include <kmm/errno.h>
#include <kmm/pgtable.h>

/* The CPU translates @va as swapper_pg_dir says: the same PA, or both unmapped. */
static void expect_same_walk(struct ktest *kt, vaddr_t va)
{
	paddr_t pa = 0;
	int e = pgtable_query(&ktest_kernel->bm.swapper, va, &pa, NULL, NULL);
	uint64_t par = at_s1e1r(va);

	if (e) {
		KT_EXPECT_EQ(kt, e, -ENOENT);
		KT_EXPECT_TRUE(kt, par & PAR_F);
		KT_EXPECT_EQ(kt, PAR_FST(par) & ESR_ELx_FSC_TYPE, ESR_ELx_FSC_FAULT);
		return;
	}
	if (!KT_EXPECT_FALSE(kt, par & PAR_F))
		ktest_log(kt, "va 0x%llx: PAR_EL1 0x%llx", (unsigned long long)va,
			  (unsigned long long)par);
	KT_EXPECT_EQ(kt, PAR_PA(par) | (va & 0xfff), pa);
}

KTEST(kboot, tables_are_the_ones_walked)
{
	const struct boot_mm *bm = &ktest_kernel->bm;

	KT_EXPECT_EQ(kt, read_sysreg(ttbr1_el1), bm->ttbr1);
	KT_EXPECT_EQ(kt, read_sysreg(tcr_el1), bm->tcr);
	KT_EXPECT_EQ(kt, read_sysreg(mair_el1), bm->mair);
	KT_EXPECT_EQ(kt, read_sysreg(sctlr_el1) & bm->sctlr, bm->sctlr);
	KT_EXPECT_EQ(kt, read_sysreg(ttbr0_el1), arch_virt_to_phys(empty_zero_page));
}

KTEST(kboot, image_walks_agree)
{
	const vaddr_t vas[] = { (vaddr_t)_text,	       (vaddr_t)_etext - 1, (vaddr_t)__start_rodata,
				(vaddr_t)__init_begin, (vaddr_t)_sdata,	    (vaddr_t)__bss_start,
				(vaddr_t)_end - 1,     (vaddr_t)&vas,	    (vaddr_t)_end,
				(vaddr_t)_text - 4096 };

	for (size_t i = 0; i < ARRAY_SIZE(vas); i++)
		expect_same_walk(kt, vas[i]);
	KT_EXPECT_EQ(kt, arch_virt_to_phys(_text), ktest_kernel->image_phys);
}

/* The first, a middle and the last byte of every memory region, through the linear map. */
KTEST(kboot, linear_map_covers_memory)
{
	const struct memblock_type *mem = &ktest_kernel->bm.memblock.memory;

	for (unsigned long i = 0; i < mem->cnt; i++) {
		const struct memblock_region *r = &mem->regions[i];
		const paddr_t pas[] = { r->base, r->base + r->size / 2, r->base + r->size - 8 };

		for (size_t j = 0; j < ARRAY_SIZE(pas); j++) {
			void *va = arch_phys_to_virt(pas[j]);
			uint64_t v;

			KT_ASSERT_NOT_NULL(kt, va);
			KT_EXPECT_EQ(kt, arch_virt_to_phys(va), pas[j]);
			KT_EXPECT_EQ(kt, aarch64_kernel_read64((vaddr_t)va, &v), 0);
			expect_same_walk(kt, (vaddr_t)va);
		}
	}
	KT_EXPECT_NULL(kt, arch_phys_to_virt(mem->regions[mem->cnt - 1].base +
					     mem->regions[mem->cnt - 1].size));
}

/* A write to @va faults with a level-3 permission fault and leaves it unchanged. */
static void expect_read_only(struct ktest *kt, vaddr_t va)
{
	uint64_t before, after;

	KT_ASSERT_EQ(kt, aarch64_kernel_read64(va, &before), 0);
	KT_ASSERT_EQ(kt, aarch64_kernel_write64(va, ~before), -EFAULT);
	struct aarch64_fault f = aarch64_last_fixup();
	KT_EXPECT_EQ(kt, esr_ec(f.esr), ESR_ELx_EC_DABT_CUR);
	KT_EXPECT_EQ(kt, esr_fsc(f.esr), ESR_ELx_FSC_PERM | 3);
	KT_EXPECT_TRUE(kt, esr_is_write(f.esr));
	KT_EXPECT_EQ(kt, f.far, va);
	KT_EXPECT_EQ(kt, aarch64_kernel_read64(va, &after), 0);
	KT_EXPECT_EQ(kt, after, before);
	KT_EXPECT_TRUE(kt, at_s1e1w(va) & PAR_F);
}

KTEST(kboot, text_and_rodata_read_only)
{
	expect_read_only(kt, (vaddr_t)_text);
	expect_read_only(kt, (vaddr_t)__start_rodata);
	expect_read_only(kt, (vaddr_t)__init_begin);
}

KTEST(kboot, data_and_bss_writable)
{
	static uint64_t word = 1;
	uint64_t v;

	KT_EXPECT_EQ(kt, aarch64_kernel_write64((vaddr_t)&word, 2), 0);
	KT_EXPECT_EQ(kt, word, 2u);
	KT_EXPECT_EQ(kt, aarch64_kernel_read64((vaddr_t)__bss_start, &v), 0);
	KT_EXPECT_EQ(kt, aarch64_kernel_write64((vaddr_t)__bss_start, v), 0);
	KT_EXPECT_FALSE(kt, at_s1e1w((vaddr_t)&word) & PAR_F);
}

/* TTBR0 holds the zero page: the image's identity address faults at level 0. */
KTEST(kboot, identity_map_dropped)
{
	uint64_t v;

	KT_EXPECT_EQ(kt, aarch64_kernel_read64(ktest_kernel->image_phys, &v), -EFAULT);
	struct aarch64_fault f = aarch64_last_fixup();
	KT_EXPECT_EQ(kt, esr_fsc(f.esr), ESR_ELx_FSC_FAULT | 0);
	KT_EXPECT_EQ(kt, f.far, ktest_kernel->image_phys);
}

/* The console's fixmap page is Device memory, the linear map Normal write-back (PAR_EL1.ATTR). */
KTEST(kboot, memory_types)
{
	uint64_t par = at_s1e1r(ktest_kernel->uart_va);

	KT_ASSERT_FALSE(kt, par & PAR_F);
	KT_EXPECT_EQ(kt, par >> 56, MAIR_DEVICE_nGnRnE);
	par =
	    at_s1e1r((vaddr_t)arch_phys_to_virt(ktest_kernel->bm.memblock.memory.regions[0].base));
	KT_ASSERT_FALSE(kt, par & PAR_F);
	KT_EXPECT_EQ(kt, par >> 56, MAIR_NORMAL_WB);
}

// SPDX-License-Identifier: MIT
/*
 * The architecture-rule checker (hw/checker.h): each rule broken on purpose is reported once,
 * with its addresses and call site, and the same change made the right way reports nothing:
 *
 *   HW_RULE_BBM          a protected field of a cached descriptor changed in place; a break
 *                        made again before the TLBI (a leaf, and a table the walk cache holds)
 *   HW_RULE_TLBI_DSB     a TLBI after a descriptor store with no DSB (or only DSB NSH before a
 *                        broadcast TLBI)
 *   HW_RULE_TLBI_LOCAL   a local TLBI while another CPU holds the stale entry
 *   HW_RULE_STALE_TLB    accesses through entries memory no longer gives (unmapped, moved,
 *                        new attributes, fewer permissions, cleaned, a moved table in the walk
 *                        cache, a moved TTBR)
 *
 * Also: the switch, the descriptor counts against a recount of every TLB after random fills and
 * TLBIs, and the reports (format, log, claims, periods, sink). The kernel side goes through the
 * hosted arch interface (set_pte, arch_dsb_*, arch_flush_tlb_*), as kernel code does.
 */
#include "ptbuild.h"

#include <aarch64/sysreg.h>
#include <arch/host/host.h>
#include <hw/checker.h>
#include <hw/cpu.h>
#include <kmm/arch.h>

#include "../ktest/ktest.h"

#include <string.h>

/* 64 MiB of RAM: tables in the first 16 MiB, then 2 MiB-aligned data blocks. */
#define RAM_BASE 0x40000000ULL
#define RAM_SIZE 0x4000000ULL
#define TABLES_SIZE 0x1000000ULL
#define DATA(n) (RAM_BASE + TABLES_SIZE + (n)*0x200000ULL)
#define VA 0x40000000ULL /* in TTBR0's half: 4K pages from here, 2M blocks from VA + 1G */
#define BLOCK_VA (VA + 0x40000000ULL)
#define ASID 1
#define K4 0x1000ULL

struct env {
	struct hw_machine m;
	struct xlat_geometry g;
	struct ptb b;
	struct hw_machine *prev;
};

static const struct pte_attrs rw = { .sh = SH_INNER, .ap = AP_RW_EL1, .af = true, .ng = true };

/*
 * 4K pages, 48-bit VAs, @ncpus CPUs at EL1 with the MMU on TTBR0 = the builder's root, ASID 1;
 * the machine attached to the hosted arch code, CPU 0 running it.
 */
static bool env_init(struct ktest *kt, struct env *e, unsigned int ncpus,
		     const struct tlb_config *tlb)
{
	struct tcr_fields f = { .ips = (unsigned int)tcr_ips_from_bits(48) };

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, ncpus, tlb, &MMU_FEATURES_DEFAULT), 0))
		return false;
	if (!KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE), 0) ||
	    !KT_EXPECT_EQ(kt, xlat_geometry_init(&e->g, 4096, 48), 0) ||
	    !KT_EXPECT_EQ(kt, ptb_init(&e->b, &e->m.ram, &e->g, RAM_BASE, TABLES_SIZE), 0)) {
		hw_machine_destroy(&e->m);
		return false;
	}
	for (unsigned int h = 0; h < 2; h++)
		f.half[h] = (struct tcr_half){ .tsz = 16, .granule = 4096, .sh = SH_INNER };
	for (unsigned int i = 0; i < ncpus; i++)
		e->m.cpus[i].regs = (struct mmu_regs){
			.sctlr = SCTLR_M,
			.tcr = tcr_encode(&f),
			.ttbr0 = ttbr_make(e->b.root, ASID, false),
			.mair = MAIR_ATTR(MAIR_NORMAL_WB, 0) | MAIR_ATTR(MAIR_NORMAL_WB, 1),
		};
	e->prev = host_machine();
	host_attach(&e->m);
	host_set_cpu(0);
	return true;
}

static void env_fini(struct env *e)
{
	host_set_cpu(0);
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* The kernel's view of the descriptor slot for @va at @level, making the tables above it. */
static uint64_t *slot_of(struct env *e, unsigned int level, vaddr_t va)
{
	paddr_t s = 0;

	ptb_slot(&e->b, level, va, true, &s);
	return arch_phys_to_virt(s);
}

/* Map the page @va to @pa (written as a table builder does, unseen by the checker). */
static uint64_t *map_page(struct env *e, vaddr_t va, paddr_t pa, const struct pte_attrs *a)
{
	uint64_t *s = slot_of(e, 3, va);

	*s = desc_make_page(&e->g, pa, a);
	return s;
}

/* The PA CPU @cpu's @acc of @va translates to, or ~0 on a fault; whether the TLB gave it. */
static paddr_t touch(struct env *e, unsigned int cpu, vaddr_t va, enum mmu_access acc, bool *hit)
{
	struct hw_access r;
	enum mmu_fault f = hw_cpu_translate(&e->m.cpus[cpu], va, acc, &r);

	if (hit)
		*hit = r.tlb_hit;
	return f ? ~0ULL : r.pa;
}

/* Whether the last report of @e contains @what. */
static bool last_says(struct env *e, const char *what)
{
	const char *msg = hw_checker_message(&e->m, 0);

	return msg && strstr(msg, what);
}

/* Nothing at all reported on @e so far. */
static bool none_reported(struct env *e)
{
	unsigned long n = 0;

	for (int r = 0; r < HW_NR_RULES; r++)
		n += hw_checker_count(&e->m, (enum hw_rule)r);
	return n == 0;
}

/* One in-place change of a cached page's attributes. */
struct field_case {
	const char *field; /* in the report; NULL: a change allowed in place */
	void (*mutate)(struct pte_attrs *a);
};

static void set_attrindx(struct pte_attrs *a)
{
	a->attrindx = 1;
}

static void set_sh(struct pte_attrs *a)
{
	a->sh = SH_OUTER;
}

static void set_ns(struct pte_attrs *a)
{
	a->ns = true;
}

static void set_contig(struct pte_attrs *a)
{
	a->contig = true;
}

static void set_ro(struct pte_attrs *a)
{
	a->ap = AP_RO_EL1;
}

static void set_xn(struct pte_attrs *a)
{
	a->pxn = a->uxn = true;
}

static void set_global(struct pte_attrs *a)
{
	a->ng = false;
}

static void set_old(struct pte_attrs *a)
{
	a->af = false;
}

static void set_dbm_sw(struct pte_attrs *a)
{
	a->dbm = true;
	a->sw = 0xf;
}

/*
 * A cached page changed in place: each protected field is one BBM report naming it and this call
 * site; AP, XN, nG, AF, DBM and the software bits change in place freely (ARM ARM D8.14.1).
 */
KTEST(checker, bbm_protected_fields)
{
	static const struct field_case cases[] = {
		{ "AttrIndx", set_attrindx },
		{ "shareability", set_sh },
		{ "NS", set_ns },
		{ "contiguous bit", set_contig },
		{ NULL, set_ro },
		{ NULL, set_xn },
		{ NULL, set_global },
		{ NULL, set_old },
		{ NULL, set_dbm_sw },
	};
	struct env e;

	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
		vaddr_t va = VA + i * K4;
		uint64_t *s = map_page(&e, va, DATA(0) + i * K4, &rw);
		struct pte_attrs a = rw;
		KT_EXPECT_EQ(kt, touch(&e, 0, va, MMU_READ, NULL), DATA(0) + i * K4);
		cases[i].mutate(&a);
		set_pte(s, desc_make_page(&e.g, DATA(0) + i * K4, &a));
		if (!KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM),
				  cases[i].field ? 1ul : 0ul))
			ktest_log(kt, "case %u", i);
		if (cases[i].field)
			KT_EXPECT_TRUE(kt, last_says(&e, cases[i].field));
	}
	/* The output address, with this file's line as the call site. */
	vaddr_t va = VA + ARRAY_SIZE(cases) * K4;
	uint64_t *s = map_page(&e, va, DATA(0), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, va, MMU_READ, NULL), DATA(0));
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "(output address changed)"));
	KT_EXPECT_TRUE(kt, last_says(&e, "test_checker.c:"));

	/* A cached 2M block replaced by a table (of the same pages): type and address. */
	*slot_of(&e, 2, BLOCK_VA) = desc_make_block(&e.g, 2, DATA(2), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, BLOCK_VA + 0x1234, MMU_READ, NULL), DATA(2) + 0x1234);
	paddr_t t;
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &t), 0);
	for (unsigned int i = 0; i < 512; i++)
		((uint64_t *)arch_phys_to_virt(t))[i] = desc_make_page(&e.g, DATA(2) + i * K4, &rw);
	set_pte(slot_of(&e, 2, BLOCK_VA), desc_make_table(&e.g, t, &(struct table_attrs){ 0 }));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "type (block/table/page)"));
	env_fini(&e);
}

/* The same changes made right: break, TLBI, make. Nothing is reported, the new mapping shows. */
KTEST(checker, bbm_break_tlbi_make_is_clean)
{
	struct env e;
	bool hit = true;

	if (!env_init(kt, &e, 2, &TLB_CONFIG_DEFAULT))
		return;
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	KT_EXPECT_EQ(kt, touch(&e, 1, VA, MMU_READ, NULL), DATA(0));
	set_pte(s, 0);
	arch_flush_tlb_page(ASID, VA);
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	KT_EXPECT_EQ(kt, touch(&e, 1, VA, MMU_READ, &hit), DATA(1));
	KT_EXPECT_FALSE(kt, hit);

	/* A block split into pages, as pgtable's split_block does it. */
	uint64_t *bs = slot_of(&e, 2, BLOCK_VA);
	*bs = desc_make_block(&e.g, 2, DATA(2), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, BLOCK_VA, MMU_READ, NULL), DATA(2));
	paddr_t t;
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &t), 0);
	for (unsigned int i = 0; i < 512; i++)
		((uint64_t *)arch_phys_to_virt(t))[i] = desc_make_page(&e.g, DATA(2) + i * K4, &rw);
	set_pte(bs, 0);
	arch_flush_tlb_kernel_pgtable(BLOCK_VA);
	set_pte(bs, desc_make_table(&e.g, t, &(struct table_attrs){ 0 }));
	KT_EXPECT_EQ(kt, touch(&e, 0, BLOCK_VA + 5 * K4, MMU_READ, NULL), DATA(2) + 5 * K4);
	KT_EXPECT_TRUE(kt, none_reported(&e));
	env_fini(&e);
}

/*
 * Break and make with no TLBI between, while entries read through the descriptor are cached:
 * a leaf, then a table descriptor whose table the walk cache holds after a last-level TLBI.
 * Making the very descriptor that was cleared changes nothing cached and is let be.
 */
KTEST(checker, bbm_make_without_tlbi)
{
	struct env e;

	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	uint64_t old = *s;
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	set_pte(s, 0);
	set_pte(s, old);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 0ul);
	set_pte(s, 0);
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "with no TLBI since (output address changed)"));
	arch_flush_tlb_page(ASID, VA);

	/* The level-2 table descriptor above VA: the leaf TLBI leaves its table cached. */
	uint64_t *t2 = slot_of(&e, 2, VA);
	paddr_t t;
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &t), 0);
	for (int last_level = 1; last_level >= 0; last_level--) {
		KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(1));
		old = *t2;
		set_pte(t2, 0);
		if (last_level)
			arch_flush_tlb_page(ASID, VA);
		else
			arch_flush_tlb_kernel_pgtable(VA);
		set_pte(t2, desc_make_table(&e.g, t, &(struct table_attrs){ 0 }));
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), (unsigned long)last_level);
		set_pte(t2, 0);
		arch_flush_tlb_kernel_pgtable(VA);
		set_pte(t2, old);
	}
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_BBM), 2ul);
	env_fini(&e);
}

/* Tables no TLB has read through (a kernel building them, a process not running): no rules. */
KTEST(checker, unseen_tables_are_free)
{
	struct env e;

	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	set_pte(s, 0);
	set_pte(s, desc_make_page(&e.g, DATA(0), &rw));
	/* Cached, then dropped by a TLBI: free again. */
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	arch_flush_tlb_page(ASID, VA);
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(1));
	KT_EXPECT_TRUE(kt, none_reported(&e));
	env_fini(&e);
}

/*
 * A TLBI after a descriptor store of the same CPU needs a DSB between: ISH before a broadcast
 * TLBI, NSH enough before a local one. One report per unordered store, naming both sites.
 */
KTEST(checker, tlbi_needs_dsb)
{
	struct env e;

	if (!env_init(kt, &e, 2, &TLB_CONFIG_DEFAULT))
		return;
	struct hw_cpu *cpu = &e.m.cpus[0];
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	uint64_t op = tlbi_operand(VA, ASID);

	set_pte(s, 0);
	hw_checker_site(&e.m, "my_flush");
	hw_cpu_tlbi(cpu, TLBI_VAE1IS, op);
	hw_cpu_tlbi(cpu, TLBI_VAE1IS, op);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_TLBI_DSB), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "CPU0 TLBI VAE1IS at my_flush follows its store of"));
	KT_EXPECT_TRUE(kt, last_says(&e, "test_checker.c:"));
	KT_EXPECT_TRUE(kt, last_says(&e, "with no DSB ISH between"));

	set_pte(s, desc_make_page(&e.g, DATA(0), &rw));
	hw_cpu_dsb(cpu, HW_DSB_NSH);
	hw_cpu_tlbi(cpu, TLBI_VALE1IS, op);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_TLBI_DSB), 1ul);

	/* Done right: DSB ISH(ST) before a broadcast TLBI, DSB NSH before a local one. */
	set_pte(s, 0);
	arch_dsb_ishst();
	hw_cpu_tlbi(cpu, TLBI_VAE1IS, op);
	set_pte(s, desc_make_page(&e.g, DATA(0), &rw));
	hw_cpu_dsb(cpu, HW_DSB_NSH);
	hw_cpu_tlbi(cpu, TLBI_VAE1, op);
	/* Another CPU's TLBI, and the arch flushes (which begin with DSB ISHST). */
	set_pte(s, 0);
	hw_cpu_tlbi(&e.m.cpus[1], TLBI_VAE1IS, op);
	arch_flush_tlb_page(ASID, VA);
	set_pte(s, desc_make_page(&e.g, DATA(0), &rw));
	arch_flush_tlb_range(ASID, VA, VA + 4 * K4, true);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_TLBI_DSB), 2ul);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_BBM), 0ul);
	env_fini(&e);
}

/*
 * CPU 0 breaks a page both CPUs cached and runs a local TLBI: CPU 1's stale entry, which the
 * TLBI would have dropped there, is reported (VAE1, ASIDE1). The IS form, a local TLBI while
 * CPU 1's entry still matches memory, and the local VMALLE1 of an ASID rollover are not.
 */
KTEST(checker, local_tlbi_leaves_other_cpu_stale)
{
	static const enum tlbi_op locals[] = { TLBI_VAE1, TLBI_VALE1, TLBI_VAAE1, TLBI_VAALE1,
					       TLBI_ASIDE1 };
	struct env e;

	if (!env_init(kt, &e, 2, &TLB_CONFIG_DEFAULT))
		return;
	struct hw_cpu *cpu = &e.m.cpus[0];
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	uint64_t page = *s, op = tlbi_operand(VA + 0x10, ASID);

	for (unsigned int i = 0; i < ARRAY_SIZE(locals); i++) {
		touch(&e, 0, VA, MMU_READ, NULL);
		touch(&e, 1, VA, MMU_READ, NULL);
		hw_cpu_tlbi(cpu, locals[i], op); /* nothing stale yet */
		touch(&e, 0, VA, MMU_READ, NULL);
		set_pte(s, 0);
		arch_dsb_ishst();
		hw_checker_site(&e.m, "local_flush");
		hw_cpu_tlbi(cpu, locals[i], op);
		if (!KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_TLBI_LOCAL), 1ul))
			ktest_log(kt, "%s", tlbi_def(locals[i])->name);
		KT_EXPECT_TRUE(kt, last_says(&e, "at local_flush leaves 1 stale entry on CPU1"));
		KT_EXPECT_TRUE(kt, last_says(&e, "its descriptor is no longer valid"));
		arch_flush_tlb_page(ASID, VA);
		set_pte(s, page);
		arch_dsb_ishst();
	}
	/* The IS form; the ASID allocator's local flush (DSB NSH; TLBI VMALLE1; DSB NSH). */
	touch(&e, 1, VA, MMU_READ, NULL);
	set_pte(s, 0);
	arch_flush_tlb_page(ASID, VA);
	set_pte(s, page);
	touch(&e, 1, VA, MMU_READ, NULL);
	set_pte(s, 0);
	arch_switch_ttbr0(ttbr_make(e.b.root, ASID, false), true);
	arch_flush_tlb_mm(ASID);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_TLBI_LOCAL), ARRAY_SIZE(locals));
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_TLBI_DSB), 0ul);
	env_fini(&e);
}

/* Change the page @s maps in memory behind the checker's back (a kernel's plain store). */
static void poke(struct env *e, uint64_t *s, paddr_t pa, const struct pte_attrs *a)
{
	*s = desc_make_page(&e->g, pa, a);
}

/*
 * Accesses through entries that memory no longer gives: unmapped, moved, other attributes, fewer
 * permissions (only the access they forbid), the access flag cleared, a table moved under the
 * walk cache. An entry with fewer permissions than memory faults spuriously: not reported. With
 * the TLBI, every access is clean again.
 */
KTEST(checker, stale_access)
{
	struct env e;
	struct pte_attrs ro = rw, dev = rw, old = rw;
	bool hit = false;

	ro.ap = AP_RO_EL1;
	dev.attrindx = 1;
	old.af = false;
	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);

	/* Write-protected: reads are still right, writes are not. */
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_WRITE, NULL), DATA(0));
	poke(&e, s, DATA(0), &ro);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, &hit), DATA(0));
	KT_EXPECT_TRUE(kt, hit);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 0ul);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA + 8, MMU_WRITE, &hit), DATA(0) + 8);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul);
	KT_EXPECT_TRUE(kt,
		       last_says(&e, "CPU0 write of VA 0x40000008 at EL1 served by a cached TLB "
				     "entry to PA 0x41000008"));
	KT_EXPECT_TRUE(kt, last_says(&e, "the tables no longer permit it"));
	arch_flush_tlb_page(ASID, VA);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_WRITE, NULL), ~0ULL); /* the permission fault */

	/* Made writable in memory: the cached read-only entry faults spuriously, allowed. */
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	poke(&e, s, DATA(0), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_WRITE, &hit), ~0ULL);
	KT_EXPECT_TRUE(kt, hit);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 0ul);
	arch_flush_tlb_page(ASID, VA);

	const struct {
		const char *why;
		paddr_t pa;
		const struct pte_attrs *a;
	} changes[] = {
		{ "its descriptor is no longer valid (descriptor now 0x0000000000000000)", 0,
		  NULL },
		{ "its output address or attributes changed (descriptor now 0x0000000041200f03)",
		  DATA(1), &rw },
		{ "its output address or attributes changed (descriptor now 0x0000000041000f07)",
		  DATA(0), &dev },
		{ "its access flag was cleared", DATA(0), &old },
	};
	for (unsigned int i = 0; i < ARRAY_SIZE(changes); i++) {
		poke(&e, s, DATA(0), &rw);
		arch_flush_tlb_page(ASID, VA);
		KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
		if (changes[i].a)
			poke(&e, s, changes[i].pa, changes[i].a);
		else
			*s = 0;
		KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
		if (!KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul) ||
		    !KT_EXPECT_TRUE(kt, last_says(&e, changes[i].why)))
			ktest_log(kt, "change %u: %s", i, hw_checker_message(&e.m, 0));
		arch_flush_tlb_page(ASID, VA);
		KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL),
			     changes[i].a && changes[i].a->af ? changes[i].pa : ~0ULL);
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 0ul);
	}

	/* The level-2 descriptor moved to another table: a leaf TLBI leaves the old one cached. */
	poke(&e, s, DATA(0), &rw);
	arch_flush_tlb_page(ASID, VA);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	paddr_t t;
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &t), 0);
	poke(&e, (uint64_t *)arch_phys_to_virt(t) + xlat_index(&e.g, 3, VA), DATA(1), &rw);
	*slot_of(&e, 2, VA) = desc_make_table(&e.g, t, &(struct table_attrs){ 0 });
	arch_flush_tlb_page(ASID, VA);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, &hit), DATA(0));
	KT_EXPECT_FALSE(kt, hit);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "served by a cached walk-cache table"));
	KT_EXPECT_TRUE(kt, last_says(&e, "a table descriptor above it points to another table"));
	arch_flush_tlb_kernel_pgtable(VA);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(1));

	/* TTBR0 moved under the same ASID: to a root sharing the tables below it (the same
	 * translation, fine), then to an empty one (an ASID reused without a flush). */
	paddr_t roots[2];
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &roots[0]), 0);
	KT_ASSERT_EQ(kt, ptb_alloc_table(&e.b, &roots[1]), 0);
	memcpy(arch_phys_to_virt(roots[0]), arch_phys_to_virt(e.b.root), K4);
	for (unsigned int i = 0; i < 2; i++) {
		arch_switch_ttbr0(ttbr_make(roots[i], ASID, false), false);
		KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, &hit), DATA(1));
		KT_EXPECT_TRUE(kt, hit);
		KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), (unsigned long)i);
	}
	KT_EXPECT_TRUE(kt, last_says(&e, "the walk from its new TTBR faults"));
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_STALE_TLB), 7ul);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_BBM), 0ul);
	env_fini(&e);
}

/*
 * FEAT_HAFDBS: a page cleaned in memory (AP[2] set again on a DBM page) while the TLB holds it
 * dirty takes writes that never mark it dirty again; after the TLBI a write dirties memory.
 */
KTEST(checker, stale_dirty_state)
{
	struct pte_attrs clean = rw;
	struct env e;
	uint64_t x = 1;
	struct hw_access r;

	clean.ap = AP_RO_EL1;
	clean.dbm = true;
	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	e.m.feat.hafdbs = true;
	e.m.cpus[0].regs.tcr |= TCR_HA | TCR_HD;
	uint64_t *s = map_page(&e, VA, DATA(0), &clean);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e.m.cpus[0], VA, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, *s & PTE_RDONLY, 0u);
	poke(&e, s, DATA(0), &clean);
	KT_EXPECT_EQ(kt, hw_cpu_read(&e.m.cpus[0], VA, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 0ul);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e.m.cpus[0], VA, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_TRUE(kt, r.tlb_hit);
	KT_EXPECT_EQ(kt, *s & PTE_RDONLY, PTE_RDONLY);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul);
	KT_EXPECT_TRUE(kt, last_says(&e, "its dirty state was cleaned"));
	arch_flush_tlb_page(ASID, VA);
	KT_EXPECT_EQ(kt, hw_cpu_write(&e.m.cpus[0], VA, &x, 8, &r), MMU_FAULT_NONE);
	KT_EXPECT_EQ(kt, *s & PTE_RDONLY, 0u);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_STALE_TLB), 1ul);
	env_fini(&e);
}

/* Off, nothing is checked; back on, the counts start again from what the TLBs hold. */
KTEST(checker, switch_off_and_on)
{
	struct env e;

	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT))
		return;
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	KT_EXPECT_TRUE(kt, hw_checker_enable(&e.m, false));
	KT_EXPECT_FALSE(kt, hw_checker_enable(&e.m, false));
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	hw_cpu_tlbi(&e.m.cpus[0], TLBI_VAE1IS, tlbi_operand(VA + K4, ASID));
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	KT_EXPECT_TRUE(kt, none_reported(&e));
	KT_EXPECT_FALSE(kt, hw_checker_enable(&e.m, true));
	KT_EXPECT_TRUE(kt, hw_checker_enable(&e.m, true));
	set_pte(s, desc_make_page(&e.g, DATA(2), &rw));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 1ul);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 1ul);
	env_fini(&e);
}

/* One descriptor PA and the entries read through it, in a recount. */
struct count {
	paddr_t pa;
	unsigned int n;
};

static void recount_path(struct count *c, unsigned int *nc, const struct mmu_path *p)
{
	for (unsigned int i = 0; i < p->n; i++) {
		paddr_t pa = p->desc[p->first + i];
		unsigned int k = 0;
		while (k < *nc && c[k].pa != pa)
			k++;
		if (k == *nc)
			c[(*nc)++] = (struct count){ pa, 0 };
		c[k].n++;
	}
}

/* Whether @m's descriptor counts are those of a recount of every valid entry of every TLB. */
static bool counts_match(struct ktest *kt, struct hw_machine *m)
{
	static struct count c[512];
	unsigned int nc = 0, used = 0;

	for (unsigned int i = 0; i < m->ncpus; i++) {
		const struct tlb *t = &m->cpus[i].tlb;
		for (unsigned int j = 0; j < t->cfg.entries; j++)
			if (t->entries[j].stamp)
				recount_path(c, &nc, &t->entries[j].tr.path);
		for (unsigned int j = 0; j < t->cfg.walk_entries; j++)
			if (t->walk[j].stamp)
				recount_path(c, &nc, &t->walk[j].step.path);
	}
	for (unsigned int k = 0; k < nc; k++) {
		const struct tlb_ref *r = tlb_refs_find(&m->checker.refs, c[k].pa);
		if (!KT_EXPECT_TRUE(kt, r && r->count == c[k].n))
			return false;
	}
	for (size_t i = 0; i < (size_t)1 << m->checker.refs.bits; i++)
		used += m->checker.refs.slots[i].count != 0;
	return KT_EXPECT_EQ(kt, used, nc);
}

/*
 * The descriptor counts follow every fill, eviction and TLBI: small TLBs on 3 CPUs, random
 * accesses under two ASIDs over pages and blocks spread across tables, random TLBIs of every
 * kind; after each step the counts equal a recount.
 */
KTEST(checker, counts_follow_the_tlbs)
{
	const struct tlb_config tiny = { .entries = 8, .ways = 2, .walk_entries = 3 };
	static const vaddr_t bases[] = { VA, VA + 0x200000, VA + 0x8000000000ULL, BLOCK_VA };
	uint64_t rng = kt->seed * 77 + 3;
	struct env e;

	if (!env_init(kt, &e, 3, &tiny))
		return;
	for (unsigned int b = 0; b < 3; b++)
		for (unsigned int p = 0; p < 8; p++)
			map_page(&e, bases[b] + p * K4, DATA(b) + p * K4, &rw);
	for (unsigned int p = 0; p < 4; p++)
		*slot_of(&e, 2, BLOCK_VA + p * 0x200000ULL) =
		    desc_make_block(&e.g, 2, DATA(4 + p), &rw);
	for (unsigned int step = 0; step < 3000; step++) {
		unsigned int cpu = (unsigned int)ktest_rand_below(&rng, 3);
		vaddr_t va = bases[ktest_rand_below(&rng, 4)] + ktest_rand_below(&rng, 8) * K4;
		uint16_t asid = (uint16_t)(1 + ktest_rand_below(&rng, 2));
		if (ktest_rand_below(&rng, 4)) {
			e.m.cpus[cpu].regs.ttbr0 = ttbr_make(e.b.root, asid, false);
			KT_EXPECT_NE(kt, touch(&e, cpu, va, MMU_READ, NULL), ~0ULL);
		} else {
			enum tlbi_op op = (enum tlbi_op)ktest_rand_below(&rng, TLBI_VAALE1IS + 1);
			hw_cpu_tlbi(&e.m.cpus[cpu], op, tlbi_operand(va, asid));
		}
		if (!counts_match(kt, &e.m)) {
			ktest_log(kt, "step %u", step);
			break;
		}
	}
	KT_EXPECT_TRUE(kt, none_reported(&e));
	env_fini(&e);
}

/* The sink of reports_periods_and_sink: the lines it was given. */
static char sunk[2][HW_CHECKER_MSG];
static unsigned int nsunk;

static void sink_lines(const char *line)
{
	if (nsunk < 2)
		strcpy(sunk[nsunk], line);
	nsunk++;
}

/*
 * A report is one line to the sink, kept in the machine's log (the last HW_CHECKER_LOG) and
 * counted; a claim takes the unclaimed ones of its rule once; a new period makes what was left
 * unclaimable (the runner's check after each test).
 */
KTEST(checker, reports_periods_and_sink)
{
	hw_checker_sink_fn *prev = hw_checker_set_sink(sink_lines);
	struct env e;

	nsunk = 0;
	if (!env_init(kt, &e, 1, &TLB_CONFIG_DEFAULT)) {
		hw_checker_set_sink(prev);
		return;
	}
	uint64_t *s = map_page(&e, VA, DATA(0), &rw);
	KT_EXPECT_EQ(kt, touch(&e, 0, VA, MMU_READ, NULL), DATA(0));
	KT_EXPECT_NULL(kt, hw_checker_message(&e.m, 0));
	set_pte(s, desc_make_page(&e.g, DATA(1), &rw));
	KT_EXPECT_EQ(kt, nsunk, 1u);
	KT_EXPECT_STREQ(kt, sunk[0], hw_checker_message(&e.m, 0));
	KT_EXPECT_TRUE(kt, !strncmp(sunk[0],
				    "kmm-hw: BBM violation: CPU0 wrote 0x0000000041200f03 over "
				    "valid 0x0000000041000f03 at PA 0x",
				    88));
	KT_EXPECT_TRUE(
	    kt,
	    strstr(sunk[0], "(output address changed) while 1 cached entry read through it, at "));
	for (unsigned int i = 0; i < HW_CHECKER_LOG; i++)
		set_pte(s, desc_make_page(&e.g, DATA(2 + i % 2), &rw));
	KT_EXPECT_EQ(kt, nsunk, HW_CHECKER_LOG + 1);
	KT_EXPECT_NOT_NULL(kt, hw_checker_message(&e.m, HW_CHECKER_LOG - 1));
	KT_EXPECT_NULL(kt, hw_checker_message(&e.m, HW_CHECKER_LOG));
	KT_EXPECT_TRUE(kt, last_says(&e, "wrote 0x0000000041600f03"));
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_STALE_TLB), 0ul);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), HW_CHECKER_LOG + 1);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 0ul);
	/* Left unclaimed, then the period ends: it counts there, and can be claimed no more. */
	set_pte(s, desc_make_page(&e.g, DATA(0), &rw));
	KT_EXPECT_EQ(kt, hw_checker_end_period(), 1ul);
	KT_EXPECT_EQ(kt, hw_checker_take(&e.m, HW_RULE_BBM), 0ul);
	KT_EXPECT_EQ(kt, hw_checker_count(&e.m, HW_RULE_BBM), HW_CHECKER_LOG + 2);
	hw_checker_set_sink(prev);
	env_fini(&e);
}

/*
 * The count map itself, crowded: a TLB with one-descriptor paths fills a map sized for 8
 * descriptors (16 slots, so probes collide and deletions shift runs back) through random inserts,
 * evictions and TLBIs; every descriptor's count always equals the entries holding it.
 */
KTEST(checker, count_map_under_collisions)
{
	const struct tlb_config cfg = { .entries = 8, .ways = 8, .walk_entries = 0 };
	/* Descriptor PAs whose probes all start at slot 15 or 0: long runs that wrap around. */
	static const paddr_t descs[9] = { 0x40000010, 0x40000050, 0x400000b8,
					  0x400000f8, 0x40000120, 0x40000160,
					  0x400001c8, 0x40000208, 0x40000230 };
	uint64_t rng = kt->seed * 31 + 7;
	struct tlb_refs refs;
	struct tlb t;

	KT_ASSERT_EQ(kt, tlb_init(&t, &cfg), 0);
	KT_ASSERT_EQ(kt, tlb_refs_init(&refs, tlb_refs_needed(&cfg) / XLAT_LEVELS_MAX), 0);
	KT_EXPECT_EQ(kt, 1u << refs.bits, 16u);
	tlb_set_refs(&t, &refs);
	for (unsigned int step = 0; step < 4000; step++) {
		vaddr_t va = ktest_rand_below(&rng, 12) * K4;
		/* Pages 0-11 read through 9 descriptors, 3 of them shared by two pages. */
		paddr_t pa = descs[va / K4 % 9];
		if (ktest_rand_below(&rng, 3)) {
			struct mmu_tr tr = { .va = va, .pa = DATA(0), .size = K4, .level = 3 };
			tr.path = (struct mmu_path){ .desc = { [3] = pa }, .first = 3, .n = 1 };
			tlb_insert(&t, &tr);
		} else {
			tlb_inv_va(&t, va, 0, true, true);
		}
		for (unsigned int d = 0; d < 9; d++) {
			unsigned int n = 0;
			for (unsigned int i = 0; i < cfg.entries; i++)
				n += t.entries[i].stamp && t.entries[i].tr.path.desc[3] == descs[d];
			const struct tlb_ref *r = tlb_refs_find(&refs, descs[d]);
			if (!KT_EXPECT_EQ(kt, r ? r->count : 0u, n)) {
				ktest_log(kt, "step %u, descriptor %u", step, d);
				step = ~0u - 1;
				break;
			}
		}
	}
	tlb_destroy(&t);
	tlb_refs_destroy(&refs);
}

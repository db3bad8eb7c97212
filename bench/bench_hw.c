// SPDX-License-Identifier: MIT
/*
 * The emulated hardware's benchmarks (hw/): what a simulated CPU costs the simulator per access
 * and per TLBI. One CPU with the default TLB (TLB_CONFIG_DEFAULT: 1,024 entries, 4 ways, 32
 * walk-cache entries) at EL1, 4K pages and 48-bit VAs; tables in its RAM map HW_PAGES pages
 * (64 MiB) with level-3 descriptors. Parameter "checker": the rule checker (hw/checker.h) off (0)
 * or on (1).
 *
 *   hw.walk      one op: a TLB miss, the walk (resumed from the walk cache) and the TLB fill, of a
 *                one-byte read. The reads go through the HW_PAGES pages in turn, 16 times what
 *                the TLB holds, so each finds its page's entry evicted.
 *   hw.tlb_hit   one op: a one-byte read served by the TLB: HIT_PAGES pages read in turn, all of
 *                them cached.
 *   hw.tlbi_va   one op: TLBI VALE1IS of a page whose entry is cached in a full TLB, then the
 *                dropped translation put back with tlb_insert (the refill a later access would
 *                make, without its walk).
 *
 * Impl "kmm" only: the simulator's own hardware has nothing to be compared with.
 */
#include "bench.h"

#include "hw/cpu.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>
#include <kmm/errno.h>

#include <stdlib.h>

#define RAM_BASE 0x40000000ULL
#define RAM_SIZE (128ULL << 20)
#define DATA_BASE (RAM_BASE + (16ULL << 20)) /* the mapped pages; the tables go below */
#define VA_BASE 0x400000000ULL
#define HW_PAGES 16384UL
#define HIT_PAGES 512UL
#define HW_ASID 1
#define PAGE 4096ULL

struct hw_bench {
	struct hw_machine m;
	struct xlat_geometry g;
	paddr_t next_table; /* bump allocator of table pages from RAM_BASE */
	uint64_t cursor;    /* the next page to touch */
	struct mmu_tr *trs; /* hw.tlbi_va: the translations cached, one per TLB entry */
	unsigned int ntrs;
};

/* The table that the descriptor at @slot points to, made (zeroed by hw_ram_add) if invalid. */
static paddr_t table_below(struct hw_bench *b, paddr_t slot)
{
	static const struct table_attrs none;
	uint64_t desc;

	hw_ram_read64(&b->m.ram, slot, &desc);
	if (desc & DESC_VALID)
		return desc_oa(&b->g, 0, desc);
	paddr_t table = b->next_table;
	b->next_table += PAGE;
	hw_ram_write64(&b->m.ram, slot, desc_make_table(&b->g, table, &none));
	return table;
}

/* Map @va to @pa: a level-3 page, normal memory, read-write at EL1, non-global. */
static void map_page(struct hw_bench *b, paddr_t root, vaddr_t va, paddr_t pa)
{
	static const struct pte_attrs rw = { .sh = SH_INNER, .af = true, .ng = true };
	paddr_t table = root;

	for (unsigned int level = b->g.start_level; level < 3; level++)
		table = table_below(b, table + 8ULL * xlat_index(&b->g, level, va));
	hw_ram_write64(&b->m.ram, table + 8ULL * xlat_index(&b->g, 3, va),
		       desc_make_page(&b->g, pa, &rw));
}

/* The regime: TTBR0 48-bit 4K with ASIDs, TTBR1 walks disabled, MAIR 0 Normal write-back. */
static struct mmu_regs bench_regs(paddr_t root)
{
	struct tcr_fields f = { .ips = 5 };

	f.half[0] = (struct tcr_half){ .tsz = 16, .granule = PAGE, .sh = SH_INNER };
	f.half[1] = (struct tcr_half){ .tsz = 16, .granule = PAGE, .epd = true };
	return (struct mmu_regs){ .sctlr = SCTLR_M,
				  .tcr = tcr_encode(&f),
				  .ttbr0 = ttbr_make(root, HW_ASID, false),
				  .mair = MAIR_ATTR(MAIR_NORMAL_WB, 0) };
}

static void hw_teardown(void *state)
{
	struct hw_bench *b = state;

	hw_machine_destroy(&b->m);
	free(b->trs);
	free(b);
}

/* The machine with the tables of HW_PAGES pages and the checker as @checker says. */
static int hw_setup(void **state, uint64_t checker)
{
	struct hw_bench *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	int err = hw_machine_init(&b->m, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT);
	if (!err)
		err = hw_ram_add(&b->m.ram, RAM_BASE, RAM_SIZE);
	if (!err)
		err = xlat_geometry_init(&b->g, PAGE, 48);
	b->trs = calloc(TLB_CONFIG_DEFAULT.entries, sizeof(*b->trs));
	if (err || !b->trs) {
		hw_teardown(b);
		return err ? err : -ENOMEM;
	}
	paddr_t root = RAM_BASE;
	b->next_table = RAM_BASE + PAGE;
	for (unsigned long i = 0; i < HW_PAGES; i++)
		map_page(b, root, VA_BASE + i * PAGE, DATA_BASE + i * PAGE);
	b->m.cpus[0].regs = bench_regs(root);
	hw_checker_enable(&b->m, checker);
	*state = b;
	return 0;
}

/* Read one byte of page @i (of VA_BASE on) on CPU 0. */
static uint64_t read_page(struct hw_bench *b, uint64_t i)
{
	struct hw_access res;
	uint8_t byte;

	hw_cpu_read(&b->m.cpus[0], VA_BASE + i * PAGE, &byte, 1, &res);
	bench_use(&byte);
	return res.fault;
}

/* One read of each of @iters pages in turn, cycling through @pages of them. */
static uint64_t sweep(struct hw_bench *b, uint64_t iters, uint64_t pages)
{
	uint64_t faults = 0;

	for (uint64_t i = 0; i < iters; i++)
		faults += read_page(b, b->cursor++ % pages);
	return faults ? 0 : iters;
}

static uint64_t walk_run(void *state, uint64_t iters)
{
	return sweep(state, iters, HW_PAGES);
}

static uint64_t hit_run(void *state, uint64_t iters)
{
	return sweep(state, iters, HIT_PAGES);
}

/* The translation CPU 0's TLB holds for page @i, cached by a read if it was not. */
static const struct mmu_tr *cached(struct hw_bench *b, uint64_t i)
{
	const struct mmu_tr *tr = tlb_lookup(&b->m.cpus[0].tlb, VA_BASE + i * PAGE, HW_ASID);

	if (!tr && !read_page(b, i))
		tr = tlb_lookup(&b->m.cpus[0].tlb, VA_BASE + i * PAGE, HW_ASID);
	return tr;
}

/* hw.tlbi_va: the TLB filled with the first TLB-size pages, and their translations kept. */
static int tlbi_setup(void **state, uint64_t checker)
{
	int err = hw_setup(state, checker);

	if (err)
		return err;
	struct hw_bench *b = *state;
	for (unsigned int i = 0; i < TLB_CONFIG_DEFAULT.entries; i++) {
		const struct mmu_tr *tr = cached(b, i);
		if (!tr) {
			hw_teardown(b);
			return -EFAULT;
		}
		b->trs[b->ntrs++] = *tr;
	}
	return 0;
}

static uint64_t tlbi_run(void *state, uint64_t iters)
{
	struct hw_bench *b = state;
	struct hw_cpu *cpu = &b->m.cpus[0];

	for (uint64_t i = 0; i < iters; i++) {
		const struct mmu_tr *tr = &b->trs[b->cursor++ % b->ntrs];
		hw_cpu_tlbi(cpu, TLBI_VALE1IS, tlbi_operand(tr->va, HW_ASID));
		tlb_insert(&cpu->tlb, tr);
	}
	return tlb_count(&cpu->tlb) == b->ntrs ? iters : 0;
}

#define HW_BENCH(id, bname, setup_fn, run_fn)                                                      \
	BENCH(id##_off) = { .name = bname,                                                         \
			    .impl = "kmm",                                                         \
			    .param_key = "checker",                                                \
			    .param = 0,                                                            \
			    .setup = setup_fn,                                                     \
			    .run = run_fn,                                                         \
			    .teardown = hw_teardown };                                             \
	BENCH(id##_on) = { .name = bname,                                                          \
			   .impl = "kmm",                                                          \
			   .param_key = "checker",                                                 \
			   .param = 1,                                                             \
			   .setup = setup_fn,                                                      \
			   .run = run_fn,                                                          \
			   .teardown = hw_teardown }

HW_BENCH(walk, "hw.walk", hw_setup, walk_run);
HW_BENCH(tlb_hit, "hw.tlb_hit", hw_setup, hit_run);
HW_BENCH(tlbi_va, "hw.tlbi_va", tlbi_setup, tlbi_run);

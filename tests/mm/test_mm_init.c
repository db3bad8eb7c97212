// SPDX-License-Identifier: MIT
/*
 * mm_core_init: nodes and zones with arm64's limits, the sparse memory map, the memblock
 * hand-over (every free byte reaches the buddy lists, reserved ones never do), and Linux's
 * watermark formulas for a 1 GiB and a 16 GiB machine, computed by hand below.
 */
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/memblock.h>
#include <kmm/mm.h>

#include "arch/host/host.h"
#include "hw/cpu.h"

#include "../ktest/ktest.h"

#define SZ_1M 0x100000ULL
#define SZ_1G 0x40000000ULL

static struct mem_system ms;
static struct hw_machine machine;
static struct memblock mb;

/* An emulated machine with RAM banks [base, base + size), memblock holding them. */
static bool machine_up(const paddr_t *bank, unsigned int n)
{
	if (hw_machine_init(&machine, 2, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT))
		return false;
	memblock_init(&mb);
	for (unsigned int i = 0; i < n; i++) {
		if (hw_ram_add(&machine.ram, bank[2 * i], bank[2 * i + 1]) ||
		    memblock_add(&mb, bank[2 * i], bank[2 * i + 1])) {
			hw_machine_destroy(&machine);
			return false;
		}
	}
	host_attach(&machine);
	host_set_cpu(0);
	return true;
}

static void machine_down(void)
{
	host_attach(NULL);
	hw_machine_destroy(&machine);
}

static unsigned long free_pages_of_memblock(void)
{
	unsigned long n = 0;
	uint64_t i = 0;
	paddr_t s, e;

	while (memblock_next_free_range(&mb, &i, &s, &e, NULL))
		n += PFN_UP(s) < PFN_DOWN(e) ? PFN_DOWN(e) - PFN_UP(s) : 0;
	return n;
}

KTEST(mm_init, qemu_virt_1g_zones_and_watermarks)
{
	const paddr_t bank[] = { SZ_1G, SZ_1G };
	struct zone *dma;

	KT_ASSERT_TRUE(kt, machine_up(bank, 1));
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, NULL), 0);
	dma = &ms.node_data[0].node_zones[ZONE_DMA];
	/* No DMA limit in the DT: zone_dma_bits 32, RAM below 4 GiB, so all of it is ZONE_DMA
	 * and DMA32 and Normal are empty (arm64's max_zone_phys). */
	KT_EXPECT_EQ(kt, ms.nr_online_nodes, 1);
	KT_EXPECT_EQ(kt, dma->zone_start_pfn, 0x40000ul);
	KT_EXPECT_EQ(kt, dma->spanned_pages, 0x40000ul);
	KT_EXPECT_EQ(kt, dma->present_pages, 0x40000ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_DMA32].spanned_pages, 0ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_NORMAL].spanned_pages, 0ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_MOVABLE].spanned_pages, 0ul);
	/*
	 * The memory map: a 1-page section table (16 sections of 16 bytes) and 8 sections of
	 * 32768 * 48 + 64 bytes = 385 pages each: 3081 pages. managed = 262144 - 3081 = 259063.
	 * min_free_kbytes = int_sqrt(259063 * 4 * 16) = int_sqrt(16580032) = 4071;
	 * pages_min = 4071 / 4 = 1017 = min (the only lowmem zone);
	 * tmp = max(1017 / 4, mult_frac(259063, 10, 10000) = 259) = 259;
	 * low = 1017 + 259 = 1276, high = 1535, promo = 1794.
	 * batch: min(259063 >> 10, 256) = 252, / 4 = 63, rounddown_pow_of_two(63 + 31) - 1 = 63;
	 * high (one CPU) = max(low 1276, 4 * 63) = 1276.
	 */
	KT_EXPECT_EQ(kt, ms.memmap_pages, 3081ul);
	KT_EXPECT_EQ(kt, dma->managed_pages, 259063ul);
	KT_EXPECT_EQ(kt, ms.min_free_kbytes, 4071ul);
	KT_EXPECT_EQ(kt, min_wmark_pages(dma), 1017ul);
	KT_EXPECT_EQ(kt, low_wmark_pages(dma), 1276ul);
	KT_EXPECT_EQ(kt, high_wmark_pages(dma), 1535ul);
	KT_EXPECT_EQ(kt, promo_wmark_pages(dma), 1794ul);
	KT_EXPECT_EQ(kt, dma->per_cpu_pageset[0].batch, 63);
	KT_EXPECT_EQ(kt, dma->per_cpu_pageset[0].high, 1276);
	for (int j = 0; j < MAX_NR_ZONES; j++)
		KT_EXPECT_EQ(kt, dma->lowmem_reserve[j], 0);
	KT_EXPECT_EQ(kt, dma->nr_free_pages, 259063ul);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
}

KTEST(mm_init, sixteen_gib_watermarks_and_lowmem_reserve)
{
	const paddr_t bank[] = { SZ_1G, 16 * SZ_1G };
	struct zone *dma, *normal;

	KT_ASSERT_TRUE(kt, machine_up(bank, 1));
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, NULL), 0);
	dma = &ms.node_data[0].node_zones[ZONE_DMA];
	normal = &ms.node_data[0].node_zones[ZONE_NORMAL];
	/*
	 * DMA = [1 GiB, 4 GiB) = 786432 pages; Normal = [4 GiB, 17 GiB) = 3407872 pages. The map
	 * (1 table page + 128 sections * 385) = 49281 pages comes top-down out of Normal, and its
	 * 129 separate reservations double memblock's reserved array (2 pages): Normal managed =
	 * 3407872 - 49283 = 3358589. lowmem = 4145021 pages = 16580084 kB;
	 * min_free_kbytes = int_sqrt(16580084 * 16 = 265281344) = 16287; pages_min = 4071.
	 * DMA:    min = 4071 * 786432 / 4145021 = 772; tmp = max(193, mult_frac(786432, 10,
	 *         10000) = 786) = 786; low = 1558, high = 2344.
	 * Normal: min = 4071 * 3358589 / 4145021 = 3298; tmp = max(824, 3358) = 3358;
	 *         low = 6656, high = 10014.
	 * lowmem_reserve: DMA[Normal] = DMA[Movable] = 3358589 / 256 = 13119, DMA[DMA32] = 0;
	 * DMA32 has no pages (cleared); Normal[Movable] = 0 / 32 = 0.
	 */
	KT_EXPECT_EQ(kt, dma->spanned_pages, 786432ul);
	KT_EXPECT_EQ(kt, normal->zone_start_pfn, 0x100000ul);
	KT_EXPECT_EQ(kt, normal->spanned_pages, 3407872ul);
	KT_EXPECT_EQ(kt, dma->managed_pages, 786432ul);
	KT_EXPECT_EQ(kt, normal->managed_pages, 3358589ul);
	KT_EXPECT_EQ(kt, ms.min_free_kbytes, 16287ul);
	KT_EXPECT_EQ(kt, min_wmark_pages(dma), 772ul);
	KT_EXPECT_EQ(kt, low_wmark_pages(dma), 1558ul);
	KT_EXPECT_EQ(kt, high_wmark_pages(dma), 2344ul);
	KT_EXPECT_EQ(kt, min_wmark_pages(normal), 3298ul);
	KT_EXPECT_EQ(kt, low_wmark_pages(normal), 6656ul);
	KT_EXPECT_EQ(kt, high_wmark_pages(normal), 10014ul);
	KT_EXPECT_EQ(kt, dma->lowmem_reserve[ZONE_DMA32], 0);
	KT_EXPECT_EQ(kt, dma->lowmem_reserve[ZONE_NORMAL], 13119);
	KT_EXPECT_EQ(kt, dma->lowmem_reserve[ZONE_MOVABLE], 13119);
	KT_EXPECT_EQ(kt, normal->lowmem_reserve[ZONE_MOVABLE], 0);
	/* The zonelist: Normal, then DMA (DMA32 has no memory). */
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[0] == normal);
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[1] == dma);
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[2] == NULL);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
}

KTEST(mm_init, handover_accounting_with_holes_and_reservations)
{
	/* Two banks with a hole and a NOMAP range; reservations at odd (unaligned) places. */
	const paddr_t bank[] = { 0x40000000, 0x8000000, 0x50000000, 0x4000000 };
	const paddr_t rsv[][2] = { { 0x40080000, 0x1234 },
				   { 0x41000800, 0x3000 },
				   { 0x50001000, 0x200000 } };
	unsigned long managed = 0, flagged_free = 0, free_before;

	KT_ASSERT_TRUE(kt, machine_up(bank, 2));
	for (unsigned int i = 0; i < ARRAY_SIZE(rsv); i++)
		KT_ASSERT_EQ(kt, memblock_reserve(&mb, rsv[i][0], rsv[i][1]), 0);
	KT_ASSERT_EQ(kt, memblock_mark_nomap(&mb, 0x52000000, 0x100000), 0);
	free_before = free_pages_of_memblock();
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, NULL), 0);
	/* What memblock still calls free after the map was allocated is exactly what the buddy
	 * allocator manages; the map took the rest. */
	for (int z = 0; z < MAX_NR_ZONES; z++)
		managed += ms.node_data[0].node_zones[z].managed_pages;
	KT_EXPECT_EQ(kt, managed, free_pages_of_memblock());
	KT_EXPECT_EQ(kt, managed, ms.totalram_pages);
	KT_EXPECT_LE(kt, managed + ms.memmap_pages, free_before);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_DMA].present_pages,
		     (0x8000000ul + 0x4000000ul) >> PAGE_SHIFT);
	/* Every page: reserved ones (memblock-reserved, NOMAP, holes, the map) are PG_reserved
	 * and never free; free ones are in free blocks. */
	for (unsigned long pfn = 0x40000; pfn < 0x54000; pfn++) {
		struct page *p = ms_pfn_to_page(&ms, pfn);
		paddr_t pa = PFN_PHYS(pfn);

		if (pfn == 0x48000)
			pfn = 0x50000 - 1; /* the hole between the banks: no memory map */
		if (pfn == 0x50000 - 1)
			continue;
		bool rsvd = !memblock_is_memory(&mb, pa) || memblock_is_reserved(&mb, pa) ||
			    (pa >= 0x52000000 && pa < 0x52100000) ||
			    memblock_is_reserved(&mb, pa + PAGE_SIZE - 1);

		KT_ASSERT_NOT_NULL(kt, p);
		if (PageBuddy(p))
			flagged_free += 1UL << buddy_order(p);
		if (rsvd && !PageReserved(p)) {
			KT_EXPECT_TRUE(kt, PageReserved(p));
			break;
		}
	}
	KT_EXPECT_EQ(kt, flagged_free, managed);
	/* The hole between the banks costs no memory map: sections 8 (0x40000000) and 10
	 * (0x50000000) have one, section 9 none. */
	KT_EXPECT_TRUE(kt, ms_pfn_valid(&ms, 0x40000));
	KT_EXPECT_FALSE(kt, ms_pfn_valid(&ms, 0x48000));
	KT_EXPECT_TRUE(kt, ms_pfn_valid(&ms, 0x50000));
	KT_EXPECT_NULL(kt, ms_pfn_to_page(&ms, 0x48000));
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
}

KTEST(mm_init, numa_nodes_and_zonelists)
{
	const paddr_t bank[] = { 0x40000000, 0x8000000, 0x48000000, 0x8000000 };
	pg_data_t *n0, *n1;

	KT_ASSERT_TRUE(kt, machine_up(bank, 0));
	KT_ASSERT_EQ(kt, hw_ram_add(&machine.ram, 0x40000000, 0x10000000), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, bank[0], bank[1], 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, bank[2], bank[3], 1, 0), 0);
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, &(struct mm_init_params){ .nr_cpus = 2 }), 0);
	n0 = &ms.node_data[0];
	n1 = &ms.node_data[1];
	KT_EXPECT_EQ(kt, ms.nr_online_nodes, 2);
	KT_EXPECT_EQ(kt, n0->node_zones[ZONE_DMA].spanned_pages, 0x8000ul);
	KT_EXPECT_EQ(kt, n1->node_zones[ZONE_DMA].zone_start_pfn, 0x48000ul);
	KT_EXPECT_TRUE(kt, n0->node_zonelist.zones[0] == &n0->node_zones[ZONE_DMA]);
	KT_EXPECT_TRUE(kt, n0->node_zonelist.zones[1] == &n1->node_zones[ZONE_DMA]);
	KT_EXPECT_TRUE(kt, n1->node_zonelist.zones[0] == &n1->node_zones[ZONE_DMA]);
	/* Adjacent free blocks of two nodes never merge: the checker scans for it. */
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	KT_EXPECT_EQ(kt, page_to_nid(ms_pfn_to_page(&ms, 0x47fff)), 0);
	KT_EXPECT_EQ(kt, page_to_nid(ms_pfn_to_page(&ms, 0x48000)), 1);
	machine_down();
}

KTEST(mm_init, dt_dma_limit_and_bad_parameters)
{
	const paddr_t bank[] = { 0x0, 2 * SZ_1G };

	KT_ASSERT_TRUE(kt, machine_up(bank, 1));
	/* A 30-bit DMA limit (a DT dma-ranges): DMA = [0, 1 GiB), DMA32 = [1 GiB, 2 GiB). */
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, &(struct mm_init_params){ .zone_dma_bits = 30 }),
		     0);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_DMA].spanned_pages, 0x40000ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_DMA32].zone_start_pfn, 0x40000ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_zones[ZONE_DMA32].spanned_pages, 0x40000ul);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, mm_core_init(&ms, &mb, NULL), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_add(&mb, SZ_1G, SZ_1M), 0);
	KT_EXPECT_EQ(kt, mm_core_init(&ms, &mb, &(struct mm_init_params){ .nr_cpus = NR_CPUS + 1 }),
		     -EINVAL);
}

KTEST(mm_init, movablecore_1g_takes_the_top_of_dma)
{
	const paddr_t bank[] = { SZ_1G, SZ_1G };
	const struct mm_init_params p = { .movablecore = 256 * SZ_1M };
	struct zone *dma, *mov;

	KT_ASSERT_TRUE(kt, machine_up(bank, 1));
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, &p), 0);
	dma = &ms.node_data[0].node_zones[ZONE_DMA];
	mov = &ms.node_data[0].node_zones[ZONE_MOVABLE];
	/*
	 * movablecore 65536 pages (a multiple of MAX_ORDER_NR_PAGES), so kernelcore = 262144 -
	 * 65536 = 196608 from the bottom of DMA, the highest zone with memory: DMA = [0x40000,
	 * 0x70000), Movable = [0x70000, 0x80000). The 3081-page map came top-down out of what is
	 * now Movable: managed 62455. lowmem (DMA) = 196608: min_free_kbytes = int_sqrt(196608 *
	 * 64 = 12582912) = 3547, pages_min = 886.
	 * DMA:     min 886, tmp = max(221, 190 * 10 + 6608 * 10 / 10000 = 196) = 221; low 1107,
	 *          high 1328.
	 * Movable: min = clamp(62455 / 1024, 32, 128) = 60; tmp = 886 * 62455 / 196608 = 281,
	 *          max(70, 62) = 70: low 130, high 200.
	 * lowmem_reserve: DMA[Movable] = 62455 / 256 = 243; DMA[DMA32] = DMA[Normal] = 0.
	 */
	KT_EXPECT_EQ(kt, dma->zone_start_pfn, 0x40000ul);
	KT_EXPECT_EQ(kt, dma->spanned_pages, 0x30000ul);
	KT_EXPECT_EQ(kt, dma->present_pages, 0x30000ul);
	KT_EXPECT_EQ(kt, dma->managed_pages, 196608ul);
	KT_EXPECT_EQ(kt, mov->zone_start_pfn, 0x70000ul);
	KT_EXPECT_EQ(kt, mov->spanned_pages, 0x10000ul);
	KT_EXPECT_EQ(kt, mov->present_pages, 0x10000ul);
	KT_EXPECT_EQ(kt, mov->managed_pages, 62455ul);
	KT_EXPECT_EQ(kt, ms.node_data[0].nr_zones, ZONE_MOVABLE + 1);
	KT_EXPECT_EQ(kt, ms.node_data[0].node_present_pages, 0x40000ul);
	KT_EXPECT_EQ(kt, ms.totalram_pages, 196608ul + 62455ul);
	KT_EXPECT_EQ(kt, page_zonenum(ms_pfn_to_page(&ms, 0x6ffff)), ZONE_DMA);
	KT_EXPECT_EQ(kt, page_zonenum(ms_pfn_to_page(&ms, 0x70000)), ZONE_MOVABLE);
	KT_EXPECT_EQ(kt, ms.min_free_kbytes, 3547ul);
	KT_EXPECT_EQ(kt, min_wmark_pages(dma), 886ul);
	KT_EXPECT_EQ(kt, low_wmark_pages(dma), 1107ul);
	KT_EXPECT_EQ(kt, high_wmark_pages(dma), 1328ul);
	KT_EXPECT_EQ(kt, min_wmark_pages(mov), 60ul);
	KT_EXPECT_EQ(kt, low_wmark_pages(mov), 130ul);
	KT_EXPECT_EQ(kt, high_wmark_pages(mov), 200ul);
	KT_EXPECT_EQ(kt, dma->lowmem_reserve[ZONE_NORMAL], 0);
	KT_EXPECT_EQ(kt, dma->lowmem_reserve[ZONE_MOVABLE], 243);
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[0] == mov);
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[1] == dma);
	KT_EXPECT_TRUE(kt, ms.node_data[0].node_zonelist.zones[2] == NULL);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
}

KTEST(mm_init, kernelcore_and_movablecore_two_banks)
{
	/* 1 GiB at 2 GiB (DMA) and 1 GiB at 8 GiB (Normal): 524288 pages; Movable comes out of
	 * Normal, whose machine-wide start (4 GiB) is where it may begin at the lowest. */
	const paddr_t bank[] = { 2 * SZ_1G, SZ_1G, 8 * SZ_1G, SZ_1G };
	const struct {
		struct mm_init_params p;
		unsigned long movable_start;
	} c[] = {
		/* kernelcore 1.5 GiB: DMA's 262144 pages count, 131072 more from Normal. */
		{ { .kernelcore = 1536 * SZ_1M }, 0x220000 },
		/* movablecore 768 MiB: kernelcore = 524288 - 196608 = 327680. */
		{ { .movablecore = 768 * SZ_1M }, 0x210000 },
		/* Both: the larger kernelcore wins (movablecore 1 MiB rounds up to 4 MiB). */
		{ { .kernelcore = 1536 * SZ_1M, .movablecore = SZ_1M }, 0x23fc00 },
		/* kernelcore 1 page past the boundary rounds the start up to MAX_ORDER_NR_PAGES. */
		{ { .kernelcore = 1280 * SZ_1M + 4096 }, 0x210400 },
		/* All of memory for the kernel, or all for Movable: no ZONE_MOVABLE. */
		{ { .kernelcore = 2 * SZ_1G }, 0 },
		{ { .movablecore = 3 * SZ_1G }, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(c); i++) {
		struct zone *zones;

		KT_ASSERT_TRUE(kt, machine_up(bank, 2));
		KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, &c[i].p), 0);
		zones = ms.node_data[0].node_zones;
		KT_EXPECT_EQ(kt, zones[ZONE_DMA].zone_start_pfn, 0x80000ul);
		KT_EXPECT_EQ(kt, zones[ZONE_DMA].present_pages, 0x40000ul);
		KT_EXPECT_EQ(kt, zones[ZONE_DMA32].spanned_pages, 0ul);
		KT_EXPECT_EQ(kt, zones[ZONE_NORMAL].zone_start_pfn, 0x100000ul);
		if (c[i].movable_start) {
			KT_EXPECT_EQ(kt, zone_end_pfn(&zones[ZONE_NORMAL]), c[i].movable_start);
			KT_EXPECT_EQ(kt, zones[ZONE_NORMAL].present_pages,
				     c[i].movable_start - 0x200000);
			KT_EXPECT_EQ(kt, zones[ZONE_MOVABLE].zone_start_pfn, c[i].movable_start);
			KT_EXPECT_EQ(kt, zone_end_pfn(&zones[ZONE_MOVABLE]), 0x240000ul);
			KT_EXPECT_EQ(kt, zones[ZONE_MOVABLE].present_pages,
				     0x240000 - c[i].movable_start);
		} else {
			KT_EXPECT_EQ(kt, zone_end_pfn(&zones[ZONE_NORMAL]), 0x240000ul);
			KT_EXPECT_EQ(kt, zones[ZONE_MOVABLE].spanned_pages, 0ul);
		}
		KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
		machine_down();
	}
}

KTEST(mm_init, movablecore_spread_over_nodes)
{
	const paddr_t bank[] = { 0x40000000, 0x8000000, 0x48000000, 0x8000000 };
	const struct mm_init_params p = { .movablecore = 64 * SZ_1M };
	pg_data_t *n0, *n1;

	KT_ASSERT_TRUE(kt, machine_up(bank, 0));
	KT_ASSERT_EQ(kt, hw_ram_add(&machine.ram, 0x40000000, 0x10000000), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, bank[0], bank[1], 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, bank[2], bank[3], 1, 0), 0);
	KT_ASSERT_EQ(kt, mm_core_init(&ms, &mb, &p), 0);
	n0 = &ms.node_data[0];
	n1 = &ms.node_data[1];
	/* kernelcore = 65536 - 16384 = 49152 pages, 24576 a node: each node's top 32 MiB is
	 * Movable, and a node's zonelist has its own Movable and DMA before the other node's. */
	KT_EXPECT_EQ(kt, n0->node_zones[ZONE_MOVABLE].zone_start_pfn, 0x46000ul);
	KT_EXPECT_EQ(kt, n0->node_zones[ZONE_MOVABLE].present_pages, 0x2000ul);
	KT_EXPECT_EQ(kt, zone_end_pfn(&n0->node_zones[ZONE_DMA]), 0x46000ul);
	KT_EXPECT_EQ(kt, n1->node_zones[ZONE_MOVABLE].zone_start_pfn, 0x4e000ul);
	KT_EXPECT_EQ(kt, n1->node_zones[ZONE_MOVABLE].present_pages, 0x2000ul);
	KT_EXPECT_EQ(kt, n1->node_zones[ZONE_DMA].zone_start_pfn, 0x48000ul);
	KT_EXPECT_EQ(kt, zone_end_pfn(&n1->node_zones[ZONE_DMA]), 0x4e000ul);
	KT_EXPECT_TRUE(kt, n0->node_zonelist.zones[0] == &n0->node_zones[ZONE_MOVABLE]);
	KT_EXPECT_TRUE(kt, n0->node_zonelist.zones[1] == &n0->node_zones[ZONE_DMA]);
	KT_EXPECT_TRUE(kt, n0->node_zonelist.zones[2] == &n1->node_zones[ZONE_MOVABLE]);
	KT_EXPECT_EQ(kt, ms_page_alloc_check(&ms), 0);
	machine_down();
}

// SPDX-License-Identifier: MIT
/*
 * memblock: hand cases with the expected layout drawn above the checks (in the manner of Linux's
 * tools/testing/memblock), growth of both arrays past MEMBLOCK_INIT_REGIONS on an emulated
 * machine, the exact memblock=debug text, the invariant checker, and randomised differential
 * tests against a granule-array model (every operation, and "mem=" capping).
 */
#include <kmm/arch.h>
#include <kmm/errno.h>
#include <kmm/memblock.h>

#include "arch/host/host.h"
#include "hw/cpu.h"

#include "../ktest/ktest.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NONE NUMA_NO_NODE
#define HOTPLUG MEMBLOCK_HOTPLUG
#define NOMAP MEMBLOCK_NOMAP
#define SZ_4K 0x1000ULL
#define SZ_64K 0x10000ULL
#define SZ_1M 0x100000ULL
#define PA_MAX (~(paddr_t)0)
/* The page size the arrays are allocated in. */
#define ARRAY_PAGE 0x1000ULL

/* An expected region. */
struct rgn {
	paddr_t base;
	uint64_t size;
	int nid;
	unsigned int flags;
};

/* @t holds exactly @want (and total_size is their sum); logs the difference otherwise. */
static bool layout_is(struct ktest *kt, const struct memblock_type *t, const struct rgn *want,
		      unsigned long n, int line)
{
	uint64_t sum = 0;
	bool ok = t->cnt == n;

	for (unsigned long i = 0; i < n; i++) {
		const struct memblock_region *r = &t->regions[i];

		sum += want[i].size;
		ok = ok && r->base == want[i].base && r->size == want[i].size &&
		     r->nid == want[i].nid && r->flags == want[i].flags;
	}
	ok = ok && t->total_size == sum;
	if (ok)
		return true;
	ktest_log(kt, "line %d: %s holds %lu regions, total 0x%llx:", line, t->name, t->cnt,
		  (unsigned long long)t->total_size);
	for (unsigned long i = 0; i < t->cnt; i++)
		ktest_log(kt, "  [0x%llx, 0x%llx) nid %d flags 0x%x",
			  (unsigned long long)t->regions[i].base,
			  (unsigned long long)(t->regions[i].base + t->regions[i].size),
			  t->regions[i].nid, t->regions[i].flags);
	ktest_log(kt, "expected %lu regions, total 0x%llx:", n, (unsigned long long)sum);
	for (unsigned long i = 0; i < n; i++)
		ktest_log(
		    kt, "  [0x%llx, 0x%llx) nid %d flags 0x%x", (unsigned long long)want[i].base,
		    (unsigned long long)(want[i].base + want[i].size), want[i].nid, want[i].flags);
	return false;
}

#define EXPECT_LAYOUT(kt, type, ...)                                                               \
	do {                                                                                       \
		const struct rgn want_[] = { __VA_ARGS__ };                                        \
		KT_EXPECT_TRUE(kt, layout_is(kt, type, want_, ARRAY_SIZE(want_), __LINE__));       \
	} while (0)
#define EXPECT_EMPTY(kt, type) KT_EXPECT_TRUE(kt, layout_is(kt, type, NULL, 0, __LINE__))
#define EXPECT_SANE(kt, mb) KT_EXPECT_EQ(kt, memblock_check(mb), 0)

/* Capturing printk: arch/host/console.c writes to stdout, redirected here to a temporary file. */
struct capture {
	FILE *file;
	int saved_fd;
};

static bool capture_start(struct capture *c)
{
	fflush(stdout);
	c->file = tmpfile();
	if (!c->file)
		return false;
	c->saved_fd = dup(STDOUT_FILENO);
	if (c->saved_fd < 0 || dup2(fileno(c->file), STDOUT_FILENO) < 0) {
		if (c->saved_fd >= 0)
			close(c->saved_fd);
		fclose(c->file);
		return false;
	}
	return true;
}

/* Restore stdout and return the captured text, rewound (the caller closes it). */
static FILE *capture_stop(struct capture *c)
{
	fflush(stdout);
	dup2(c->saved_fd, STDOUT_FILENO);
	close(c->saved_fd);
	rewind(c->file);
	return c->file;
}

/* Restore stdout and copy the captured text into @buf (NUL-terminated, cut to fit). */
static void capture_text(struct capture *c, char *buf, size_t size)
{
	FILE *f = capture_stop(c);
	size_t n = fread(buf, 1, size - 1, f);

	buf[n] = '\0';
	fclose(f);
}

/* An emulated machine with RAM at [base, base + size), attached as the hosted backend's. */
static bool machine_up(struct hw_machine *m, paddr_t base, uint64_t size)
{
	if (hw_machine_init(m, 1, &TLB_CONFIG_DEFAULT, &MMU_FEATURES_DEFAULT))
		return false;
	if (hw_ram_add(&m->ram, base, size)) {
		hw_machine_destroy(m);
		return false;
	}
	host_attach(m);
	return true;
}

static void machine_down(struct hw_machine *m)
{
	host_attach(NULL);
	hw_machine_destroy(m);
}

/* The physical range of a grown array: its address and its page-rounded allocation. */
static paddr_t array_pa(const struct memblock_type *t)
{
	return arch_virt_to_phys(t->regions);
}

static uint64_t array_bytes(const struct memblock_type *t)
{
	return ALIGN_UP(t->max * sizeof(struct memblock_region), ARRAY_PAGE);
}

KTEST(memblock, init_is_empty)
{
	struct memblock mb;

	memblock_init(&mb);
	EXPECT_EMPTY(kt, &mb.memory);
	EXPECT_EMPTY(kt, &mb.reserved);
	EXPECT_SANE(kt, &mb);
	KT_EXPECT_FALSE(kt, mb.bottom_up);
	KT_EXPECT_EQ(kt, mb.current_limit, MEMBLOCK_ALLOC_ANYWHERE);
	KT_EXPECT_EQ(kt, mb.memory.max, (unsigned long)MEMBLOCK_INIT_REGIONS);
	KT_EXPECT_STREQ(kt, mb.memory.name, "memory");
	KT_EXPECT_STREQ(kt, mb.reserved.name, "reserved");
	KT_EXPECT_EQ(kt, memblock_start_of_DRAM(&mb), 0u);
	KT_EXPECT_EQ(kt, memblock_end_of_DRAM(&mb), 0u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0u);
	KT_EXPECT_FALSE(kt, memblock_is_memory(&mb, 0));
}

KTEST(memblock, add_disjoint_sorted)
{
	struct memblock mb;

	/*
	 * Added C, A, B; kept sorted:
	 *
	 *   |  A  |      |  B  |            |    C    |
	 *   ^0x1000      ^0x4000            ^0x10000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x10000, 0x2000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x1000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x4000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x1000, NONE, 0 }, { 0x4000, 0x1000, NONE, 0 },
		      { 0x10000, 0x2000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), 0x4000u);
	KT_EXPECT_EQ(kt, memblock_start_of_DRAM(&mb), 0x1000u);
	KT_EXPECT_EQ(kt, memblock_end_of_DRAM(&mb), 0x12000u);
	KT_EXPECT_TRUE(kt, memblock_is_memory(&mb, 0x4fff));
	KT_EXPECT_FALSE(kt, memblock_is_memory(&mb, 0x5000));
	KT_EXPECT_FALSE(kt, memblock_is_memory(&mb, 0xfff));
	KT_EXPECT_TRUE(kt, memblock_is_memory(&mb, 0x10000));
}

KTEST(memblock, add_adjacent_merges)
{
	struct memblock mb;

	/*
	 *   |  A  |  B  |           B added right above A, then C right below A:
	 *   |  C  |  A  |  B  |  ->  |        one region       |
	 *   ^0x1000     ^0x3000      ^0x1000                   ^0x4000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x2000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x3000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x2000, 0x2000, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x1000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x3000, NONE, 0 });
	/*
	 * Filling the hole between two regions joins all three:
	 *   |  R1  |  hole  |  R2  |  ->  |          R1+hole+R2        |
	 *   ^0x10000        ^0x12000       ^0x10000                   ^0x13000
	 */
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x10000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x12000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x11000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x3000, NONE, 0 }, { 0x10000, 0x3000, NONE, 0 });
	/* A one-byte hole is filled like any other. */
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x20000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x21001, 0xfff), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x20000, 0x2000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x3000, NONE, 0 }, { 0x10000, 0x3000, NONE, 0 },
		      { 0x20000, 0x2000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, add_overlapping_counts_once)
{
	struct memblock mb;

	/*
	 *   existing:       |  R1  |        |  R2  |
	 *                   ^0x2000 0x3000  ^0x5000 0x6000
	 *   add:        |------------------------------|
	 *               ^0x1000                        ^0x7000
	 *   result:     |          one region          |   size 0x6000, not 0x8000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x2000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x5000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x1000, 0x6000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x6000, NONE, 0 });
	/* Inside an existing region: nothing changes. */
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x3000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x6000, NONE, 0 });
	/*
	 *   overlapping the top:        |   R   |
	 *                                    |-----|  ->  |    R     |
	 *                               ^0x1000 ^0x7000   ^0x1000    ^0x8000
	 *   and the bottom:           |---|       ->  |     R      |
	 *                             ^0x800          ^0x800       ^0x8000
	 */
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x6000, 0x2000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x7000, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x800, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x800, 0x7800, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, add_different_nid_or_flags_do_not_merge)
{
	struct memblock mb;

	/*
	 *   | node 0 | node 1 | hotplug, node 1 |
	 *   ^0x1000  ^0x2000  ^0x3000           ^0x4000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x1000, 0x1000, 0, MEMBLOCK_NONE), 0);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x2000, 0x1000, 1, MEMBLOCK_NONE), 0);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x3000, 0x1000, 1, HOTPLUG), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x1000, 0, 0 }, { 0x2000, 0x1000, 1, 0 },
		      { 0x3000, 0x1000, 1, HOTPLUG });
	/*
	 * An add on node 2 over [0x0800, 0x5000): the parts already held keep their node; only
	 * the uncovered ends are new, on node 2.
	 *
	 *   | n2 | node 0 | node 1 | hotplug n1 | n2 |
	 *   ^0x800 ^0x1000                   0x4000^  ^0x5000
	 */
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x800, 0x4800, 2, MEMBLOCK_NONE), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x800, 0x800, 2, 0 }, { 0x1000, 0x1000, 0, 0 },
		      { 0x2000, 0x1000, 1, 0 }, { 0x3000, 0x1000, 1, HOTPLUG },
		      { 0x4000, 0x1000, 2, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, add_between_regions_fills_every_hole)
{
	struct memblock mb;

	/*
	 * Three node-0 regions with holes; a node-1 add over all of it fills each hole with a
	 * node-1 region (five pieces added at once, nothing merges across nodes):
	 *
	 *   before:  |n0|  |n0|  |n0|
	 *   after: |1|n0|1 |n0|1 |n0|1|
	 *          ^0   ^0x2000  ...  ^0x8000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x1000, 0x1000, 0, 0), 0);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x3000, 0x1000, 0, 0), 0);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x5000, 0x1000, 0, 0), 0);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0, 0x8000, 1, 0), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0, 0x1000, 1, 0 }, { 0x1000, 0x1000, 0, 0 },
		      { 0x2000, 0x1000, 1, 0 }, { 0x3000, 0x1000, 0, 0 }, { 0x4000, 0x1000, 1, 0 },
		      { 0x5000, 0x1000, 0, 0 }, { 0x6000, 0x2000, 1, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, remove_splits_and_trims)
{
	struct memblock mb;

	/*
	 *   |            R            |
	 *   ^0x10000                  ^0x20000
	 *   remove [0x14000, 0x18000):
	 *   |  R1  |          |  R2   |
	 *   ^0x10000 0x14000  ^0x18000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x10000, 0x10000, 0, 0), 0);
	KT_EXPECT_EQ(kt, memblock_remove(&mb, 0x14000, 0x4000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x4000, 0, 0 }, { 0x18000, 0x8000, 0, 0 });
	/*
	 * Across both (the top of R1 through the middle of R2), then a hole (nothing changes),
	 * then everything:
	 *   |R1|                 |R2|
	 *   ^0x10000 0x12000     ^0x1c000
	 */
	KT_EXPECT_EQ(kt, memblock_remove(&mb, 0x12000, 0xa000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x2000, 0, 0 }, { 0x1c000, 0x4000, 0, 0 });
	KT_EXPECT_EQ(kt, memblock_remove(&mb, 0x13000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x2000, 0, 0 }, { 0x1c000, 0x4000, 0, 0 });
	KT_EXPECT_EQ(kt, memblock_remove(&mb, 0, 0x100000), 0);
	EXPECT_EMPTY(kt, &mb.memory);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, reserve_and_free)
{
	struct memblock mb;

	/*
	 *   reserve A, C, then B between them: one reserved region
	 *   | A | B | C |
	 *   ^0x1000     ^0x4000
	 *   free the middle of it: two again
	 *   | A |   | C |
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, 0x1000, 0x1000), 0);
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, 0x3000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x1000, NONE, 0 }, { 0x3000, 0x1000, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, 0x2000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x3000, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_reserved_size(&mb), 0x3000u);
	KT_EXPECT_TRUE(kt, memblock_is_reserved(&mb, 0x2800));
	KT_EXPECT_EQ(kt, memblock_free(&mb, 0x2000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x1000, NONE, 0 }, { 0x3000, 0x1000, NONE, 0 });
	KT_EXPECT_FALSE(kt, memblock_is_reserved(&mb, 0x2800));
	KT_EXPECT_EQ(kt, memblock_reserved_size(&mb), 0x2000u);
	/* Reserving over memory leaves memory alone, and reserving outside memory is allowed. */
	EXPECT_EMPTY(kt, &mb.memory);
	KT_EXPECT_EQ(kt, memblock_free(&mb, 0, 0x10000), 0);
	EXPECT_EMPTY(kt, &mb.reserved);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, nomap_and_hotplug_split_and_merge_back)
{
	struct memblock mb;

	/*
	 *   |                R, node 0                 |
	 *   ^0x10000                                   ^0x20000
	 *   mark_nomap [0x14000, 0x16000):
	 *   |    R1     | NOMAP |         R2           |
	 *   ^0x10000    ^0x14000^0x16000
	 */
	memblock_init(&mb);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x10000, 0x10000, 0, 0), 0);
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, 0x14000, 0x2000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x4000, 0, 0 }, { 0x14000, 0x2000, 0, NOMAP },
		      { 0x16000, 0xa000, 0, 0 });
	EXPECT_SANE(kt, &mb);
	/* Marking it again, or a part of it, changes nothing. */
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, 0x15000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x4000, 0, 0 }, { 0x14000, 0x2000, 0, NOMAP },
		      { 0x16000, 0xa000, 0, 0 });
	/* clear_nomap merges it back into one region. */
	KT_EXPECT_EQ(kt, memblock_clear_nomap(&mb, 0x14000, 0x2000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0x10000, 0, 0 });
	/*
	 * mark_hotplug over a node boundary and a hole: each part keeps its node.
	 *   | node 0 ... | HP n0 |         | HP n1 | node 1 |
	 *   ^0x10000     ^0x1e000^0x20000  ^0x30000^0x31000 ^0x38000
	 */
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x30000, 0x8000, 1, 0), 0);
	KT_EXPECT_EQ(kt, memblock_mark_hotplug(&mb, 0x1e000, 0x13000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0xe000, 0, 0 }, { 0x1e000, 0x2000, 0, HOTPLUG },
		      { 0x30000, 0x1000, 1, HOTPLUG }, { 0x31000, 0x7000, 1, 0 });
	/* NOMAP on top of HOTPLUG: the flags combine. */
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, 0x1f000, 0x1000), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x10000, 0xe000, 0, 0 }, { 0x1e000, 0x1000, 0, HOTPLUG },
		      { 0x1f000, 0x1000, 0, HOTPLUG | NOMAP }, { 0x30000, 0x1000, 1, HOTPLUG },
		      { 0x31000, 0x7000, 1, 0 });
	/* Outside memory: nothing to flag. */
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, 0x24000, 0x1000), 0);
	KT_EXPECT_EQ(kt, mb.memory.cnt, 5u);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), 0x18000u);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, wrapping_and_empty_ranges)
{
	struct memblock mb;
	paddr_t top = PA_MAX - 0xfff;

	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x1000, 0x1000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x1000, 0x800), 0);
	/* top + 0x1000 is 2^64: it wraps. */
	KT_EXPECT_EQ(kt, memblock_add(&mb, top, 0x1000), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_add_node(&mb, 0x1000, PA_MAX, 0, 0), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_remove(&mb, top, 0x2000), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, 0x1000, PA_MAX), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_free(&mb, PA_MAX, 1), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, top, 0x1000), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_clear_nomap(&mb, top, 0x1000), -EINVAL);
	KT_EXPECT_EQ(kt, memblock_mark_hotplug(&mb, top, 0x1000), -EINVAL);
	/* Size 0: success, no change. */
	KT_EXPECT_EQ(kt, memblock_add(&mb, 0x8000, 0), 0);
	KT_EXPECT_EQ(kt, memblock_remove(&mb, 0x1000, 0), 0);
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, 0x8000, 0), 0);
	KT_EXPECT_EQ(kt, memblock_free(&mb, 0x1000, 0), 0);
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, 0x1000, 0), 0);
	KT_EXPECT_EQ(kt, memblock_add(&mb, PA_MAX, 0), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x1000, NONE, 0 });
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x800, NONE, 0 });
	/* Ending exactly at PA_MAX (exclusive) does not wrap. */
	KT_EXPECT_EQ(kt, memblock_add(&mb, top, 0xfff), 0);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x1000, NONE, 0 }, { top, 0xfff, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_end_of_DRAM(&mb), PA_MAX);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_top_down_aligned)
{
	struct memblock mb;

	/*
	 *   memory |<----------------------- 1 MiB ----------------------->|
	 *          ^0x40000000                                   0x40100000^
	 *   a: 4K align 4K                                             |a|  0x400ff000
	 *   b: 4K align 64K                                   |b|...        0x400f0000
	 *   c: 0x1800 align 0 (64), right below a                       |c| 0x400fd800
	 *   d: 64K align 64K, right below b                  |d|            0x400e0000
	 *   reserved: d+b merge, c+a merge
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_1M), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0x400ff000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_64K), 0x400f0000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x1800, 0), 0x400fd800u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_64K, SZ_64K), 0x400e0000u);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x400e0000, 0x11000, NONE, 0 },
		      { 0x400fd800, 0x2800, NONE, 0 });
	EXPECT_LAYOUT(kt, &mb.memory, { 0x40000000, SZ_1M, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_bottom_up_aligned)
{
	struct memblock mb;

	/*
	 *   memory |<----------------------- 1 MiB ----------------------->|
	 *          ^0x40000000
	 *   a: 4K align 4K       |a|                                         0x40000000
	 *   b: 4K align 64K      .....|b|                                    0x40010000
	 *   c: 0x1800 align 0    ..|c|                                       0x40001000
	 *   d: 100 align 0       .....|d|  (after c, 64-aligned)             0x40002800
	 */
	memblock_init(&mb);
	memblock_set_bottom_up(&mb, true);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_1M), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0x40000000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_64K), 0x40010000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x1800, 0), 0x40001000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 100, 0), 0x40002800u);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x40000000, 0x2800 + 100, NONE, 0 },
		      { 0x40010000, 0x1000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_window_and_limit)
{
	struct memblock mb;

	/*
	 *   memory |<------------------------ 1 MiB ------------------------>|
	 *          ^0x40000000     [window 0x40020000, 0x40040000)           ^0x40100000
	 *   top-down in the window: 0x4003f000; bottom-up: 0x40020000
	 *   current_limit 0x40080000: top-down 0x4007f000, and a window wholly above it fails
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_1M), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0x40020000, 0x40040000),
		     0x4003f000u);
	memblock_set_bottom_up(&mb, true);
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0x40020000, 0x40040000),
		     0x40020000u);
	memblock_set_bottom_up(&mb, false);
	memblock_set_current_limit(&mb, 0x40080000);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0x4007f000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0x40080000, 0x40100000), 0u);
	/* An end below the limit wins over it; a window too small or inverted fails. */
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0, 0x40010000), 0x4000f000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0x40050800, 0x40051800), 0u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_4K, 0x40060000, 0x40050000), 0u);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x4000f000, 0x1000, NONE, 0 },
		      { 0x40020000, 0x1000, NONE, 0 }, { 0x4003f000, 0x1000, NONE, 0 },
		      { 0x4007f000, 0x1000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_skips_reserved_and_nomap)
{
	struct memblock mb;

	/*
	 *   memory   |<------------------- 64K ------------------->|
	 *            ^0x40000000                                   ^0x40010000
	 *   nomap                        [0x40008000, 0x4000c000)
	 *   reserved                                     [0x4000c000, 0x40010000)
	 *   free     [0x40000000,               0x40008000)
	 *   16K top-down: 0x40004000, then 0x40000000, then nothing
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_64K), 0);
	KT_ASSERT_EQ(kt, memblock_mark_nomap(&mb, 0x40008000, 0x4000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x4000c000, 0x4000), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x4000, SZ_4K), 0x40004000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x4000, SZ_4K), 0x40000000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0u);
	/* The failed allocation reserved nothing. */
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x40000000, 0x8000, NONE, 0 },
		      { 0x4000c000, 0x4000, NONE, 0 });
	/*
	 * A fit must lie in one free range: adjacent regions of nodes 0 and 1 give two 8K
	 * ranges, so 16K does not fit, as in Linux.
	 *   | 8K node 0 | 8K node 1 |
	 *   ^0x50000000 ^0x50002000
	 */
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x50000000, 0x2000, 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x50002000, 0x2000, 1, 0), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x4000, SZ_4K), 0u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x2000, SZ_4K), 0x50002000u);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_failures_return_zero)
{
	struct memblock mb;

	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_64K), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_64K + 1, 1), 0u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0, SZ_4K), 0u);
	/* An alignment larger than what fits below the end: 64K align 1M in [1G, 1G + 64K). */
	KT_EXPECT_EQ(kt, memblock_phys_alloc_range(&mb, SZ_4K, SZ_1M, 0x40001000, PA_MAX), 0u);
	EXPECT_EMPTY(kt, &mb.reserved);
	/* The whole region at once succeeds. */
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_64K, SZ_64K), 0x40000000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 1, 1), 0u);
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_never_returns_address_zero)
{
	struct memblock mb;

	/*
	 *   memory |<-- 8K -->|     top-down 8K would be at 0: fails; 4K: 0x1000; then 4K: fails
	 *          ^0         ^0x2000
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0, 0x2000), 0);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 0x2000, SZ_4K), 0u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0x1000u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, SZ_4K, SZ_4K), 0u);
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x1000, NONE, 0 });
	/* Bottom-up starts at the first aligned address above 0. */
	memblock_set_bottom_up(&mb, true);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 8, 1), 1u);
	KT_EXPECT_EQ(kt, memblock_phys_alloc(&mb, 8, 0), 64u);
	EXPECT_LAYOUT(kt, &mb.reserved, { 1, 8, NONE, 0 }, { 64, 8, NONE, 0 },
		      { 0x1000, 0x1000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, alloc_bad_align_warns)
{
	struct memblock mb;
	struct capture c;
	char out[512];

	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x40000000, SZ_64K), 0);
	KT_ASSERT_TRUE(kt, capture_start(&c));
	paddr_t pa = memblock_phys_alloc(&mb, SZ_4K, 0x3000);
	capture_text(&c, out, sizeof(out));
	KT_EXPECT_EQ(kt, pa, 0u);
	KT_EXPECT_TRUE(kt, strstr(out, "WARNING: ") != NULL);
	EXPECT_EMPTY(kt, &mb.reserved);
}

KTEST(memblock, free_ranges_in_order)
{
	struct memblock mb;
	static const struct {
		paddr_t s, e;
		int nid;
	} want[] = {
		{ 0x1000, 0x2000, 0 },
		{ 0x3000, 0x5000, 0 },
		{ 0x5000, 0x6000, 1 },
		{ 0xc000, 0xd000, 0 },
	};
	uint64_t i = 0;
	unsigned int n = 0;
	paddr_t s, e;
	int nid;

	/*
	 *   memory   |     node 0     |node 1 |     |nomap|     |node 0 |
	 *            ^0x1000          ^0x5000 ^0x7000 ^0x9000-0xa000  ^0xb000-0xd000
	 *   reserved      |r0|                |r1 0x6000 ---------------- 0xc000)
	 *                 ^0x2000-0x3000
	 *   free     |f0 |    |  f1   | f2 |                            | f3 |
	 *   f2 is separate from f1 (another region) and on node 1; nomap is never free.
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x1000, 0x4000, 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x5000, 0x2000, 1, 0), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x9000, 0x1000, 0, NOMAP), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0xb000, 0x2000, 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x2000, 0x1000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x6000, 0x6000), 0);
	while (memblock_next_free_range(&mb, &i, &s, &e, &nid)) {
		KT_ASSERT_LT(kt, n, ARRAY_SIZE(want));
		KT_EXPECT_EQ(kt, s, want[n].s);
		KT_EXPECT_EQ(kt, e, want[n].e);
		KT_EXPECT_EQ(kt, nid, want[n].nid);
		n++;
	}
	KT_EXPECT_EQ(kt, n, ARRAY_SIZE(want));
	/* Exhausted stays exhausted; NULL outputs are allowed. */
	KT_EXPECT_FALSE(kt, memblock_next_free_range(&mb, &i, &s, &e, &nid));
	i = 0;
	n = 0;
	while (memblock_next_free_range(&mb, &i, NULL, NULL, NULL))
		n++;
	KT_EXPECT_EQ(kt, n, ARRAY_SIZE(want));
}

KTEST(memblock, cap_memory_like_mem_eq)
{
	struct memblock mb;

	/*
	 *   memory   |  A 8K  |   |    B 16K     | NOMAP 4K |   | C 8K |
	 *            ^0x1000  ^0x3000 ^0x4000    ^0x8000 ^0x9000 ^0xa000-0xc000
	 *   reserved    |r0|          |r1|            |r2 0x8800 ------- 0xb000)
	 *               ^0x2000-0x2800 ^0x5000-0x6000
	 *   cap 12K: A (8K) + 4K of B -> max = 0x5000. B is cut there, C (mapped, above) goes,
	 *   the NOMAP region stays (Linux keeps NOMAP), and every reserved range above 0x5000
	 *   goes, even the one inside the kept NOMAP region:
	 *   memory   |  A 8K  |   |B'|              | NOMAP |
	 *   reserved    |r0|
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x1000, 0x2000), 0);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x4000, 0x4000), 0);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x8000, 0x1000, NONE, NOMAP), 0);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0xa000, 0x2000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x2000, 0x800), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x5000, 0x1000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x8800, 0x2800), 0);
	/* 0 and anything above the memory size: no change. */
	memblock_cap_memory(&mb, 0);
	memblock_cap_memory(&mb, 0x8001);
	KT_EXPECT_EQ(kt, mb.memory.cnt, 4u);
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 3u);
	memblock_cap_memory(&mb, 0x3000);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x2000, NONE, 0 }, { 0x4000, 0x1000, NONE, 0 },
		      { 0x8000, 0x1000, NONE, NOMAP });
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x2000, 0x800, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, cap_memory_at_exact_size_truncates_reserved)
{
	struct memblock mb;

	/*
	 * A limit of exactly the memory size puts max at the end of memory: memory stays, the
	 * reserved range above it goes (Linux's __find_max_addr answers "no cap" only above the
	 * size).
	 *   memory   |  8K  |            reserved  |r| at 0x10000
	 *            ^0x1000^0x3000
	 */
	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x1000, 0x2000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x10000, 0x1000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x1000, 0x1000), 0);
	memblock_cap_memory(&mb, 0x2001);
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 2u);
	memblock_cap_memory(&mb, 0x2000);
	EXPECT_LAYOUT(kt, &mb.memory, { 0x1000, 0x2000, NONE, 0 });
	EXPECT_LAYOUT(kt, &mb.reserved, { 0x1000, 0x1000, NONE, 0 });
	EXPECT_SANE(kt, &mb);
}

KTEST(memblock, dump_matches_linux_format)
{
	struct memblock mb;
	struct capture c;
	char out[2048];

	memblock_init(&mb);
	KT_ASSERT_EQ(kt, memblock_add_node(&mb, 0x40000000, 0x40000000, 0, 0), 0);
	KT_ASSERT_EQ(kt, memblock_mark_nomap(&mb, 0x7fe00000, 0x200000), 0);
	KT_ASSERT_EQ(kt, memblock_add(&mb, 0x100000000, 0x1000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x40080000, 0x2000), 0);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, 0x7f000000, 0x1000), 0);
	KT_ASSERT_TRUE(kt, capture_start(&c));
	memblock_dump(&mb);
	capture_text(&c, out, sizeof(out));
	KT_EXPECT_STREQ(
	    kt, out,
	    "MEMBLOCK configuration:\n"
	    " memory size = 0x0000000040001000 reserved size = 0x0000000000003000\n"
	    " memory.cnt  = 0x3\n"
	    " memory[0x0]\t[0x0000000040000000-0x000000007fdfffff], 0x000000003fe00000 "
	    "bytes on node 0 flags: 0x0\n"
	    " memory[0x1]\t[0x000000007fe00000-0x000000007fffffff], 0x0000000000200000 "
	    "bytes on node 0 flags: 0x4\n"
	    " memory[0x2]\t[0x0000000100000000-0x0000000100000fff], 0x0000000000001000 "
	    "bytes flags: 0x0\n"
	    " reserved.cnt  = 0x2\n"
	    " reserved[0x0]\t[0x0000000040080000-0x0000000040081fff], 0x0000000000002000 "
	    "bytes flags: 0x0\n"
	    " reserved[0x1]\t[0x000000007f000000-0x000000007f000fff], 0x0000000000001000 "
	    "bytes flags: 0x0\n");
	/* Empty arrays. */
	memblock_init(&mb);
	KT_ASSERT_TRUE(kt, capture_start(&c));
	memblock_dump(&mb);
	capture_text(&c, out, sizeof(out));
	KT_EXPECT_STREQ(kt, out,
			"MEMBLOCK configuration:\n"
			" memory size = 0x0000000000000000 reserved size = 0x0000000000000000\n"
			" memory.cnt  = 0x0\n"
			" reserved.cnt  = 0x0\n");
}

/* Two regions of memory and one reserved, for the checker to find one broken thing in. */
static void checker_base(struct memblock *mb)
{
	memblock_init(mb);
	memblock_add_node(mb, 0x1000, 0x1000, 0, 0);
	memblock_add_node(mb, 0x3000, 0x1000, 0, 0);
	memblock_reserve(mb, 0x1000, 0x800);
}

/* memblock_check(@mb) fails and prints @what. */
static bool check_fails_with(struct ktest *kt, const struct memblock *mb, const char *what)
{
	struct capture c;
	char out[1024];
	int err;

	if (!capture_start(&c))
		return false;
	err = memblock_check(mb);
	capture_text(&c, out, sizeof(out));
	if (err == -EINVAL && strstr(out, what))
		return true;
	ktest_log(kt, "memblock_check returned %d and printed: %s", err, out);
	return false;
}

KTEST(memblock, check_finds_each_broken_invariant)
{
	struct memblock mb;

	checker_base(&mb);
	KT_ASSERT_EQ(kt, memblock_check(&mb), 0);
	mb.memory.regions[1].base = 0x1800; /* overlaps [0x1000, 0x2000) */
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb,
					    "memory[0x1] [0x0000000000001800+0x1000] "
					    "nid 0 flags 0x0: overlaps or precedes"));
	checker_base(&mb);
	mb.memory.regions[1].base = 0x800; /* unsorted */
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb, "overlaps or precedes"));
	checker_base(&mb);
	mb.memory.regions[1].base = 0x2000; /* adjacent, same node and flags */
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb, "should have merged"));
	mb.memory.regions[1].nid = 1; /* now a legitimate neighbour */
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
	checker_base(&mb);
	mb.reserved.regions[0].size = 0;
	mb.reserved.total_size = 0;
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb,
					    "reserved[0x0] [0x0000000000001000+0x0] "
					    "nid -1 flags 0x0: is empty"));
	checker_base(&mb);
	mb.memory.total_size += 1;
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb,
					    "memory: total_size 0x2001, but the "
					    "regions add up to 0x2000"));
	checker_base(&mb);
	mb.memory.regions[1].base = PA_MAX - 0x800; /* wraps */
	mb.memory.regions[1].size = 0x1000;
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb, "wraps"));
	checker_base(&mb);
	mb.reserved.cnt = MEMBLOCK_INIT_REGIONS + 1;
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb,
					    "reserved: cnt 0x81, max 0x80, initial "
					    "array: inconsistent"));
	checker_base(&mb);
	mb.memory.grown = true;
	KT_EXPECT_TRUE(kt, check_fails_with(kt, &mb, "inconsistent"));
}

/* Both arrays' own allocations are reserved and accounted. */
static bool arrays_reserved(const struct memblock *mb)
{
	const struct memblock_type *types[] = { &mb->memory, &mb->reserved };

	for (unsigned int i = 0; i < ARRAY_SIZE(types); i++) {
		const struct memblock_type *t = types[i];

		if (t->grown && (!memblock_is_reserved(mb, array_pa(t)) ||
				 !memblock_is_reserved(mb, array_pa(t) + array_bytes(t) - 1)))
			return false;
	}
	return true;
}

static uint64_t grown_bytes(const struct memblock *mb)
{
	return (mb->memory.grown ? array_bytes(&mb->memory) : 0) +
	       (mb->reserved.grown ? array_bytes(&mb->reserved) : 0);
}

#define GROW_BASE 0x40000000ULL
#define GROW_STRIDE 0x20000ULL /* a 64K region, then a 64K hole */
#define GROW_N 300u

KTEST(memblock, grow_past_initial_arrays)
{
	static struct memblock mb;
	struct hw_machine m;
	paddr_t old = 0;

	KT_ASSERT_TRUE(kt, machine_up(&m, GROW_BASE, GROW_N * GROW_STRIDE));
	memblock_init(&mb);
	/*
	 *   |r0|  |r1|  ... |r127|  |r128| ...  |r299|        64K regions, 64K holes
	 * Adding r128 doubles memory's array to 256 entries (8K), allocated top-down from the
	 * highest free memory below r128: the top of r127. Adding r256 doubles it to 512 (12K) at
	 * the top of r255, and frees the 8K one.
	 */
	for (unsigned int i = 0; i < GROW_N; i++) {
		paddr_t b = GROW_BASE + i * GROW_STRIDE;

		KT_ASSERT_EQ(kt, memblock_add(&mb, b, SZ_64K), 0);
		KT_ASSERT_EQ(kt, memblock_check(&mb), 0);
		KT_ASSERT_EQ(kt, mb.memory.cnt, i + 1ul);
		KT_ASSERT_TRUE(kt, arrays_reserved(&mb));
		KT_ASSERT_EQ(kt, memblock_reserved_size(&mb), grown_bytes(&mb));
		if (i == 127)
			KT_EXPECT_FALSE(kt, mb.memory.grown);
		if (i == 128) {
			KT_EXPECT_EQ(kt, mb.memory.max, 256ul);
			KT_EXPECT_EQ(kt, array_pa(&mb.memory), b - GROW_STRIDE + SZ_64K - 0x2000);
		}
		if (i == 255)
			old = array_pa(&mb.memory);
		if (i == 256) {
			KT_EXPECT_EQ(kt, mb.memory.max, 512ul);
			KT_EXPECT_EQ(kt, array_pa(&mb.memory), b - GROW_STRIDE + SZ_64K - 0x3000);
			KT_EXPECT_FALSE(kt, memblock_is_reserved(&mb, old));
		}
	}
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), GROW_N * SZ_64K);
	/*
	 * Reserve the first 4K of every region: 300 reserved regions plus the arrays. The 128th
	 * region doubles reserved's array (8K, at the top of r299, the highest free memory).
	 */
	for (unsigned int i = 0; i < GROW_N; i++) {
		KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K), 0);
		KT_ASSERT_EQ(kt, memblock_check(&mb), 0);
		KT_ASSERT_TRUE(kt, arrays_reserved(&mb));
		KT_ASSERT_EQ(kt, memblock_reserved_size(&mb), (i + 1) * SZ_4K + grown_bytes(&mb));
	}
	KT_EXPECT_EQ(kt, mb.reserved.max, 512ul);
	KT_EXPECT_EQ(kt, mb.reserved.cnt, GROW_N + 2ul);
	/* Every memory entry survived both moves. */
	for (unsigned int i = 0; i < GROW_N; i++) {
		KT_EXPECT_EQ(kt, mb.memory.regions[i].base, GROW_BASE + i * GROW_STRIDE);
		KT_EXPECT_TRUE(kt, memblock_is_reserved(&mb, GROW_BASE + i * GROW_STRIDE));
	}
	/* Allocation still works, skipping the arrays. */
	paddr_t pa = memblock_phys_alloc(&mb, SZ_4K, SZ_4K);
	KT_EXPECT_NE(kt, pa, 0u);
	KT_EXPECT_FALSE(kt, pa >= array_pa(&mb.reserved) &&
				pa < array_pa(&mb.reserved) + array_bytes(&mb.reserved));
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
	machine_down(&m);
}

KTEST(memblock, grow_avoids_the_range_being_changed)
{
	static struct memblock mb;
	struct hw_machine m;
	paddr_t top = GROW_BASE + 127 * GROW_STRIDE;

	KT_ASSERT_TRUE(kt, machine_up(&m, GROW_BASE, 128 * GROW_STRIDE));
	memblock_init(&mb);
	for (unsigned int i = 0; i < 128; i++)
		KT_ASSERT_EQ(kt, memblock_add(&mb, GROW_BASE + i * GROW_STRIDE, SZ_64K), 0);
	/*
	 * memory is full (128). Removing the top half of r127 splits it: the array must grow,
	 * and must not go where the top-down search would put it, inside what is being removed.
	 *   r127 |  kept 32K  [array 8K] |  removed 32K  |
	 *        ^top     top+0x6000^    ^top+0x8000     ^top+0x10000
	 */
	KT_ASSERT_EQ(kt, memblock_remove(&mb, top + 0x8000, 0x8000), 0);
	KT_EXPECT_EQ(kt, mb.memory.max, 256ul);
	KT_EXPECT_EQ(kt, array_pa(&mb.memory), top + 0x6000);
	KT_EXPECT_EQ(kt, mb.memory.cnt, 128ul);
	EXPECT_LAYOUT(kt, &mb.reserved, { top + 0x6000, 0x2000, NONE, 0 });
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
	/*
	 * Fill reserved (128 regions, counting the array), then reserve [top + 0x2000, +16K) up
	 * to the array: the new reserved array goes below that range, not inside it.
	 *   r127 | new array 8K | reserving 16K | mem array |
	 *        ^top           ^top+0x2000     ^top+0x6000
	 */
	for (unsigned int i = 0; i < 127; i++)
		KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K), 0);
	KT_ASSERT_EQ(kt, mb.reserved.cnt, 128ul);
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, top + 0x2000, 0x4000), 0);
	KT_EXPECT_EQ(kt, mb.reserved.max, 256ul);
	KT_EXPECT_EQ(kt, array_pa(&mb.reserved), top);
	/* It merged with the range and the memory array: one region from top to top + 0x8000. */
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 128ul);
	KT_EXPECT_EQ(kt, mb.reserved.regions[127].base, top);
	KT_EXPECT_EQ(kt, mb.reserved.regions[127].size, 0x8000u);
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
	machine_down(&m);
}

/* The "Failed to double" message and -ENOMEM with the layout unchanged, for @op. */
#define EXPECT_ENOMEM(kt, mb, call, msg)                                                           \
	do {                                                                                       \
		struct capture c_;                                                                 \
		char out_[256];                                                                    \
		unsigned long mcnt_ = (mb)->memory.cnt, rcnt_ = (mb)->reserved.cnt;                \
		uint64_t msz_ = (mb)->memory.total_size, rsz_ = (mb)->reserved.total_size;         \
		KT_ASSERT_TRUE(kt, capture_start(&c_));                                            \
		int err_ = (call);                                                                 \
		capture_text(&c_, out_, sizeof(out_));                                             \
		KT_EXPECT_EQ(kt, err_, -ENOMEM);                                                   \
		KT_EXPECT_STREQ(kt, out_, msg);                                                    \
		KT_EXPECT_EQ(kt, (mb)->memory.cnt, mcnt_);                                         \
		KT_EXPECT_EQ(kt, (mb)->reserved.cnt, rcnt_);                                       \
		KT_EXPECT_EQ(kt, (mb)->memory.total_size, msz_);                                   \
		KT_EXPECT_EQ(kt, (mb)->reserved.total_size, rsz_);                                 \
		KT_EXPECT_EQ(kt, memblock_check(mb), 0);                                           \
	} while (0)

#define MEM_FAIL "memblock: Failed to double memory array from 128 to 256 entries !\n"
#define RSV_FAIL "memblock: Failed to double reserved array from 128 to 256 entries !\n"

KTEST(memblock, grow_fails_cleanly)
{
	static struct memblock mb;
	struct hw_machine m;

	/*
	 * No machine attached: no direct view, so no array can grow. memory holds 128 regions
	 * (full), reserved the first 4K of 100 of them.
	 */
	memblock_init(&mb);
	for (unsigned int i = 0; i < 128; i++) {
		KT_ASSERT_EQ(kt, memblock_add(&mb, GROW_BASE + i * GROW_STRIDE, SZ_64K), 0);
		if (i < 100)
			KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K),
				     0);
	}
	EXPECT_ENOMEM(kt, &mb, memblock_add(&mb, 0x10000000, SZ_4K), MEM_FAIL);
	/* Two new pieces that would merge with r0 still need their slots first, as in Linux. */
	EXPECT_ENOMEM(kt, &mb, memblock_add(&mb, GROW_BASE - 0x1000, 0x1f000), MEM_FAIL);
	EXPECT_ENOMEM(kt, &mb, memblock_remove(&mb, GROW_BASE + 0x1000, SZ_4K), MEM_FAIL);
	EXPECT_ENOMEM(kt, &mb, memblock_mark_nomap(&mb, GROW_BASE + 0x1000, SZ_4K), MEM_FAIL);
	EXPECT_ENOMEM(kt, &mb, memblock_mark_hotplug(&mb, GROW_BASE, SZ_4K), MEM_FAIL);
	/* What needs no new slot still works: flagging a whole region. */
	KT_EXPECT_EQ(kt, memblock_mark_nomap(&mb, GROW_BASE, SZ_64K), 0);
	KT_EXPECT_EQ(kt, mb.memory.regions[0].flags, (unsigned int)NOMAP);

	/* Now reserved is full too. */
	for (unsigned int i = 100; i < 128; i++)
		KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K), 0);
	EXPECT_ENOMEM(kt, &mb, memblock_reserve(&mb, GROW_BASE + 0x2000, SZ_4K), RSV_FAIL);
	EXPECT_ENOMEM(kt, &mb, memblock_free(&mb, GROW_BASE + 0x400, 0x400), RSV_FAIL);
	/* The allocator finds room but cannot reserve it: 0. */
	EXPECT_ENOMEM(kt, &mb, memblock_phys_alloc(&mb, SZ_4K, SZ_4K) ? 0 : -ENOMEM, RSV_FAIL);
	/* Growing memory needs room in reserved first (for its array): both fail. */
	EXPECT_ENOMEM(kt, &mb, memblock_add(&mb, 0x10000000, SZ_4K), RSV_FAIL MEM_FAIL);
	/* No new slot: reserving inside a reserved range, freeing a whole one. */
	KT_EXPECT_EQ(kt, memblock_reserve(&mb, GROW_BASE, 0x800), 0);
	KT_EXPECT_EQ(kt, memblock_free(&mb, GROW_BASE + GROW_STRIDE, SZ_4K), 0);
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 127ul);
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);

	/* A machine whose RAM is elsewhere: the free memory has no direct view either. */
	for (unsigned int i = 100; i < 128; i++)
		KT_ASSERT_EQ(kt, memblock_free(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K), 0);
	KT_ASSERT_TRUE(kt, machine_up(&m, 0x80000000, SZ_1M));
	EXPECT_ENOMEM(kt, &mb, memblock_remove(&mb, GROW_BASE + 0x1000, SZ_4K), MEM_FAIL);
	machine_down(&m);

	/* RAM everywhere, but memory in 4K pieces: no 8K free for the new array. */
	KT_ASSERT_TRUE(kt, machine_up(&m, GROW_BASE, 128 * GROW_STRIDE));
	memblock_init(&mb);
	for (unsigned int i = 0; i < 128; i++)
		KT_ASSERT_EQ(kt, memblock_add(&mb, GROW_BASE + i * GROW_STRIDE, SZ_4K), 0);
	EXPECT_ENOMEM(kt, &mb, memblock_add(&mb, GROW_BASE + 0x8000, SZ_4K), MEM_FAIL);
	KT_EXPECT_FALSE(kt, mb.memory.grown);
	machine_down(&m);
}

KTEST(memblock, grow_makes_room_in_reserved_first)
{
	static struct memblock mb;
	struct hw_machine m;
	paddr_t b127 = GROW_BASE + 127 * GROW_STRIDE, b255 = GROW_BASE + 255 * GROW_STRIDE;
	struct capture c;
	char out[256];
	int err;

	KT_ASSERT_TRUE(kt, machine_up(&m, GROW_BASE, 257 * GROW_STRIDE));
	memblock_init(&mb);
	for (unsigned int i = 0; i < 256; i++)
		KT_ASSERT_EQ(kt, memblock_add(&mb, GROW_BASE + i * GROW_STRIDE, SZ_64K), 0);
	KT_ASSERT_EQ(kt, array_pa(&mb.memory), b127 + 0xe000);
	/*
	 * One reserved range over all memory but a 12K hole at the top of r255 (it swallows the
	 * memory array's region), and 126 small ones below memory: 127 reserved regions.
	 *   r0 ...  r127 [mem array] ...  r255 [hole 12K]
	 *   |============ one reserved region ====|
	 */
	KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE, b255 + 0xd000 - GROW_BASE), 0);
	for (unsigned int i = 0; i < 126; i++)
		KT_ASSERT_EQ(kt, memblock_reserve(&mb, GROW_BASE - SZ_1M + i * 0x2000, SZ_4K), 0);
	KT_ASSERT_EQ(kt, mb.reserved.cnt, 127ul);
	/*
	 * Adding r256 doubles memory's array to 512 entries (12K: the hole would do), but freeing
	 * the old array from the middle of the big reserved region then needs two more reserved
	 * slots (129 > 128). So reserved grows first, its 8K array taking the top of the hole,
	 * and memory's 12K no longer fits: -ENOMEM before memory changes, not a failure halfway.
	 */
	KT_ASSERT_TRUE(kt, capture_start(&c));
	err = memblock_add(&mb, GROW_BASE + 256 * GROW_STRIDE, SZ_64K);
	capture_text(&c, out, sizeof(out));
	KT_EXPECT_EQ(kt, err, -ENOMEM);
	KT_EXPECT_STREQ(kt, out,
			"memblock: Failed to double memory array from 256 to 512 entries !\n");
	KT_EXPECT_EQ(kt, mb.memory.cnt, 256ul);
	KT_EXPECT_EQ(kt, mb.memory.max, 256ul);
	KT_EXPECT_EQ(kt, memblock_phys_mem_size(&mb), 256 * SZ_64K);
	KT_EXPECT_EQ(kt, mb.reserved.max, 256ul);
	KT_EXPECT_EQ(kt, array_pa(&mb.reserved), b255 + 0xe000);
	KT_EXPECT_EQ(kt, mb.reserved.cnt, 128ul);
	KT_EXPECT_EQ(kt, memblock_check(&mb), 0);
	machine_down(&m);
}

/*
 * The differential model: the address space [0, RN * RG) in granules of RG bytes, each with its
 * memory key (-1 when it is not memory, else (nid + 1) << 8 | flags, so equal for the granules
 * of one memory region) and whether it is reserved.
 */
#define RG 0x200ULL
#define RN 1024u

struct model {
	int mem[RN];
	bool res[RN];
};

struct run {
	unsigned int b, e; /* granules */
	int key;
};

enum view { V_MEMORY, V_RESERVED, V_FREE };

static void model_reset(struct model *m)
{
	for (unsigned int g = 0; g < RN; g++) {
		m->mem[g] = -1;
		m->res[g] = false;
	}
}

/* What each granule is in @view: -1 when absent, else a key equal for granules of one region. */
static void model_keys(const struct model *m, enum view v, int *keys)
{
	unsigned int g;

	switch (v) {
	case V_MEMORY:
		for (g = 0; g < RN; g++)
			keys[g] = m->mem[g];
		break;
	case V_RESERVED:
		for (g = 0; g < RN; g++)
			keys[g] = m->res[g] ? 0 : -1;
		break;
	default: /* -1 has the NOMAP bit too */
		for (g = 0; g < RN; g++)
			keys[g] = m->res[g] || (m->mem[g] & NOMAP) ? -1 : m->mem[g];
		break;
	}
}

/* The maximal runs of equal key in @view, lowest first. */
static unsigned int model_runs(const struct model *m, enum view v, struct run *runs)
{
	static int keys[RN];
	unsigned int n = 0;

	model_keys(m, v, keys);
	for (unsigned int g = 0; g < RN;) {
		unsigned int h = g + 1;

		while (h < RN && keys[h] == keys[g])
			h++;
		if (keys[g] >= 0)
			runs[n++] = (struct run){ g, h, keys[g] };
		g = h;
	}
	return n;
}

static void model_add(struct model *m, unsigned int b, unsigned int e, int nid, unsigned int fl)
{
	for (unsigned int g = b; g < e; g++)
		if (m->mem[g] < 0)
			m->mem[g] = (nid + 1) << 8 | (int)fl;
}

static void model_remove(struct model *m, unsigned int b, unsigned int e)
{
	for (unsigned int g = b; g < e; g++)
		m->mem[g] = -1;
}

static void model_reserve(struct model *m, unsigned int b, unsigned int e, bool on)
{
	for (unsigned int g = b; g < e; g++)
		m->res[g] = on;
}

static void model_flag(struct model *m, unsigned int b, unsigned int e, unsigned int fl, bool set)
{
	for (unsigned int g = b; g < e; g++)
		if (m->mem[g] >= 0)
			m->mem[g] = set ? m->mem[g] | (int)fl : m->mem[g] & ~(int)fl;
}

/* For each granule, the end (a granule) of the free run holding it; 0 when it is not free. */
static void model_free_ends(const struct model *m, unsigned int *ends)
{
	static int keys[RN];

	model_keys(m, V_FREE, keys);
	for (unsigned int g = RN; g-- > 0;)
		ends[g] = keys[g] < 0				 ? 0
			  : g + 1 < RN && keys[g + 1] == keys[g] ? ends[g + 1]
								 : g + 1;
}

/* [a, a + size) lies in one free run (@ends: model_free_ends), within [lo, hi) and aligned. */
static bool model_fits(const unsigned int *ends, paddr_t a, uint64_t size, uint64_t align,
		       paddr_t lo, paddr_t hi)
{
	if (a < lo || a > hi || hi - a < size || a % align)
		return false;
	return ends[a / RG] * RG >= a + size;
}

/*
 * Where memblock must allocate, by brute force: the candidates are every granule's start and
 * the first aligned address at or above the window's start (the lowest possible one).
 */
static paddr_t model_alloc(const struct model *m, uint64_t size, uint64_t align, paddr_t start,
			   paddr_t end, paddr_t limit, bool bottom_up)
{
	static unsigned int ends[RN];
	paddr_t lo = start ? start : 1, hi = end < limit ? end : limit, best = 0;
	paddr_t first = ALIGN_UP(lo, align);

	if (hi > RN * RG)
		hi = RN * RG;
	model_free_ends(m, ends);
	if (first >= lo && model_fits(ends, first, size, align, lo, hi)) {
		if (bottom_up)
			return first;
		best = first;
	}
	for (unsigned int g = 0; g < RN; g++) {
		if (!model_fits(ends, g * RG, size, align, lo, hi))
			continue;
		if (bottom_up)
			return g * RG;
		best = g * RG > best ? g * RG : best;
	}
	return best;
}

/* The doubled array of @t fits outside [ab, ae), where memblock_double_array looks. */
static bool model_array_fits(const struct model *m, const struct memblock_type *t, paddr_t ab,
			     paddr_t ae, paddr_t limit)
{
	uint64_t bytes = ALIGN_UP(2 * t->max * sizeof(struct memblock_region), ARRAY_PAGE);

	return model_alloc(m, bytes, ARRAY_PAGE, ae, PA_MAX, limit, false) ||
	       model_alloc(m, bytes, ARRAY_PAGE, 0, ab, limit, false);
}

/* @t holds exactly the runs of @v. */
static bool model_matches_type(struct ktest *kt, const struct model *m, enum view v,
			       const struct memblock_type *t, struct run *runs)
{
	unsigned int n = model_runs(m, v, runs);
	uint64_t sum = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct memblock_region *r = i < t->cnt ? &t->regions[i] : NULL;
		int key = v == V_MEMORY ? (runs[i].key >> 8) - 1 : NONE;
		unsigned int flags = v == V_MEMORY ? (unsigned int)runs[i].key & 0xff : 0;

		sum += (runs[i].e - runs[i].b) * RG;
		if (!r || r->base != runs[i].b * RG || r->size != (runs[i].e - runs[i].b) * RG ||
		    r->nid != key || r->flags != flags) {
			ktest_log(kt, "%s[%u]: model has [0x%llx, 0x%llx) nid %d flags 0x%x",
				  t->name, i, runs[i].b * RG, runs[i].e * RG, key, flags);
			if (r)
				ktest_log(kt, "  memblock has [0x%llx, 0x%llx) nid %d flags 0x%x",
					  (unsigned long long)r->base,
					  (unsigned long long)(r->base + r->size), r->nid,
					  r->flags);
			return false;
		}
	}
	if (t->cnt != n || t->total_size != sum) {
		ktest_log(kt, "%s: %lu regions, total 0x%llx; model: %u, 0x%llx", t->name, t->cnt,
			  (unsigned long long)t->total_size, n, (unsigned long long)sum);
		return false;
	}
	return true;
}

/* memblock_next_free_range yields exactly the free runs. */
static bool model_matches_free(struct ktest *kt, const struct model *m, const struct memblock *mb,
			       struct run *runs)
{
	unsigned int n = model_runs(m, V_FREE, runs), i = 0;
	uint64_t idx = 0;
	paddr_t s, e;
	int nid;

	for (; memblock_next_free_range(mb, &idx, &s, &e, &nid); i++) {
		if (i >= n || s != runs[i].b * RG || e != runs[i].e * RG ||
		    nid != (runs[i].key >> 8) - 1) {
			ktest_log(kt, "free range %u: [0x%llx, 0x%llx) nid %d, model %s", i,
				  (unsigned long long)s, (unsigned long long)e, nid,
				  i < n ? "differs" : "has no more");
			return false;
		}
	}
	if (i != n)
		ktest_log(kt, "free ranges: %u, model: %u", i, n);
	return i == n;
}

static bool model_matches(struct ktest *kt, const struct model *m, const struct memblock *mb,
			  struct run *runs)
{
	return memblock_check(mb) == 0 && model_matches_type(kt, m, V_MEMORY, &mb->memory, runs) &&
	       model_matches_type(kt, m, V_RESERVED, &mb->reserved, runs) &&
	       model_matches_free(kt, m, mb, runs);
}

/* What an operation may do to the arrays: a snapshot of them before it. */
struct arrays {
	const struct memblock_region *regions[2];
	unsigned long max[2];
	bool grown[2];
};

static void arrays_snap(const struct memblock *mb, struct arrays *a)
{
	const struct memblock_type *types[2] = { &mb->memory, &mb->reserved };

	for (unsigned int i = 0; i < 2; i++) {
		a->regions[i] = types[i]->regions;
		a->max[i] = types[i]->max;
		a->grown[i] = types[i]->grown;
	}
}

/* The array allocation [pa, pa + bytes) overlaps [b, e) (bytes). */
static bool overlaps(paddr_t pa, uint64_t bytes, paddr_t b, paddr_t e)
{
	return pa < e && b < pa + bytes;
}

/*
 * Apply to the model what growing did since @before: old arrays that were allocations freed,
 * new ones reserved. A new array must have been free (after the frees), page-aligned, below the
 * limit, and outside [ob, oe), the range the operation changed. Returns how many grew, or -1.
 */
static int model_follow_arrays(struct ktest *kt, struct model *m, const struct memblock *mb,
			       const struct arrays *before, paddr_t ob, paddr_t oe)
{
	const struct memblock_type *types[2] = { &mb->memory, &mb->reserved };
	int grew = 0;

	for (unsigned int i = 0; i < 2; i++) {
		if (types[i]->regions != before->regions[i] && before->grown[i]) {
			paddr_t pa = arch_virt_to_phys(before->regions[i]);
			uint64_t bytes =
			    ALIGN_UP(before->max[i] * sizeof(struct memblock_region), ARRAY_PAGE);

			model_reserve(m, (unsigned int)(pa / RG), (unsigned int)((pa + bytes) / RG),
				      false);
		}
	}
	for (unsigned int i = 0; i < 2; i++) {
		paddr_t pa = array_pa(types[i]);
		uint64_t bytes = array_bytes(types[i]);

		if (types[i]->regions == before->regions[i])
			continue;
		if (pa % ARRAY_PAGE || pa + bytes > RN * RG || pa + bytes > mb->current_limit ||
		    overlaps(pa, bytes, ob, oe) ||
		    model_alloc(m, bytes, 1, pa, pa + bytes, PA_MAX, true) != pa) {
			ktest_log(kt,
				  "the %s array grew into [0x%llx, 0x%llx), which was not free "
				  "or not allowed",
				  types[i]->name, (unsigned long long)pa,
				  (unsigned long long)(pa + bytes));
			return -1;
		}
		model_reserve(m, (unsigned int)(pa / RG), (unsigned int)((pa + bytes) / RG), true);
		grew++;
	}
	return grew;
}

enum op {
	OP_ADD,
	OP_REMOVE,
	OP_RESERVE,
	OP_FREE,
	OP_NOMAP,
	OP_CLEAR_NOMAP,
	OP_HOTPLUG,
	OP_ALLOC,
	OP_KNOBS,
};

/*
 * A phase of the differential test: its operation mix (cumulative percentages in enum op
 * order), where ranges lie (below granule @span), how many are tiny (in percent; one
 * granule), and whether current_limit moves. The fragmenting phase starts with all memory on
 * node 0 and chops it and reserved into many small regions below @span, allocating below it
 * too, so the arrays have room to grow above it (no limit keeps them out).
 */
struct phase {
	unsigned char mix[OP_KNOBS + 1];
	unsigned int span;
	unsigned int tiny;
	bool full, limits;
};

static const struct phase phases[] = {
	{ { 20, 30, 44, 58, 62, 66, 69, 97, 100 }, RN, 0, false, true },
	{ { 10, 14, 52, 88, 90, 92, 94, 97, 100 }, 7 * RN / 8, 99, true, false },
};

static enum op random_op(uint64_t *rs, const struct phase *ph)
{
	uint64_t p = ktest_rand_below(rs, 100);
	unsigned int i = 0;

	while (p >= ph->mix[i])
		i++;
	return (enum op)i;
}

/* The granule range of one random operation: mostly small, sometimes large or empty. */
static void random_range(uint64_t *rs, const struct phase *ph, unsigned int *b, unsigned int *e)
{
	unsigned int g = (unsigned int)ktest_rand_below(rs, ph->span), len;
	uint64_t p = ktest_rand_below(rs, 100);

	if (p < ph->tiny)
		len = 1;
	else if (p < 60)
		len = 1 + (unsigned int)ktest_rand_below(rs, 8);
	else if (p < 90)
		len = 1 + (unsigned int)ktest_rand_below(rs, 64);
	else if (p < 98)
		len = (unsigned int)ktest_rand_below(rs, RN);
	else
		len = 0;
	*b = g;
	*e = g + len < ph->span ? g + len : ph->span;
}

struct diff_stats {
	unsigned long grew, enomem, alloc_ok, alloc_fail, skipped;
	unsigned long max_mem, max_rsv;
};

/* A range operation on memblock. */
static int memblock_op(struct memblock *mb, enum op op, paddr_t base, uint64_t size, int nid,
		       unsigned int flags)
{
	switch (op) {
	case OP_ADD:
		return memblock_add_node(mb, base, size, nid, flags);
	case OP_REMOVE:
		return memblock_remove(mb, base, size);
	case OP_RESERVE:
		return memblock_reserve(mb, base, size);
	case OP_FREE:
		return memblock_free(mb, base, size);
	case OP_NOMAP:
		return memblock_mark_nomap(mb, base, size);
	case OP_CLEAR_NOMAP:
		return memblock_clear_nomap(mb, base, size);
	default:
		return memblock_mark_hotplug(mb, base, size);
	}
}

/* The same operation on the model, on granules [b, e). */
static void model_op(struct model *m, enum op op, unsigned int b, unsigned int e, int nid,
		     unsigned int flags)
{
	switch (op) {
	case OP_ADD:
		model_add(m, b, e, nid, flags);
		break;
	case OP_REMOVE:
		model_remove(m, b, e);
		break;
	case OP_RESERVE:
	case OP_FREE:
		model_reserve(m, b, e, op == OP_RESERVE);
		break;
	case OP_NOMAP:
	case OP_CLEAR_NOMAP:
		model_flag(m, b, e, NOMAP, op == OP_NOMAP);
		break;
	default:
		model_flag(m, b, e, HOTPLUG, true);
		break;
	}
}

/* The grown arrays overlap [b, e) bytes (a random free must not take them from memblock). */
static bool hits_arrays(const struct memblock *mb, paddr_t b, paddr_t e)
{
	const struct memblock_type *types[2] = { &mb->memory, &mb->reserved };

	for (unsigned int i = 0; i < 2; i++)
		if (types[i]->grown && overlaps(array_pa(types[i]), array_bytes(types[i]), b, e))
			return true;
	return false;
}

/* One random allocation against the model. False on a mismatch. */
static bool diff_alloc(struct ktest *kt, struct memblock *mb, struct model *m, uint64_t *rs,
		       const struct phase *ph, struct diff_stats *st)
{
	uint64_t size = (1 + ktest_rand_below(rs, ktest_rand_below(rs, 4) ? 8 : 64)) * RG;
	uint64_t align = ktest_rand_below(rs, 10) ? 1ULL << ktest_rand_below(rs, 18) : 0;
	paddr_t start = 0, end = ph->span < RN ? ph->span * RG : MEMBLOCK_ALLOC_ANYWHERE, got, want;
	struct arrays before;

	if (!ktest_rand_below(rs, 4)) {
		start = ktest_rand_below(rs, ph->span) * RG;
		end = ktest_rand_below(rs, ph->span + 1) * RG;
	}
	/* Bottom-up from 0 would start at a sub-granule address: keep those hand-tested. */
	if (mb->bottom_up && !start && align < RG)
		align = RG;
	want =
	    model_alloc(m, size, align ? align : 64, start, end, mb->current_limit, mb->bottom_up);
	arrays_snap(mb, &before);
	got = memblock_phys_alloc_range(mb, size, align, start, end);
	/* A fit that cannot be reserved because reserved cannot grow is a legitimate 0. */
	if (got != want &&
	    !(got == 0 && mb->reserved.cnt == mb->reserved.max &&
	      !model_array_fits(m, &mb->reserved, want, want + size, mb->current_limit))) {
		ktest_log(kt,
			  "alloc 0x%llx align 0x%llx in [0x%llx, 0x%llx) limit 0x%llx %s: got "
			  "0x%llx, model 0x%llx",
			  (unsigned long long)size, (unsigned long long)align,
			  (unsigned long long)start, (unsigned long long)end,
			  (unsigned long long)mb->current_limit,
			  mb->bottom_up ? "bottom-up" : "top-down", (unsigned long long)got,
			  (unsigned long long)want);
		return false;
	}
	int grew = model_follow_arrays(kt, m, mb, &before, got, got + size);
	if (grew < 0)
		return false;
	st->grew += (unsigned long)grew;
	if (got) {
		model_reserve(m, (unsigned int)(got / RG), (unsigned int)((got + size) / RG), true);
		st->alloc_ok++;
	} else {
		st->alloc_fail++;
	}
	return true;
}

/* One random range operation (or a wrapping one) against the model. False on a mismatch. */
static bool diff_range_op(struct ktest *kt, struct memblock *mb, struct model *m, enum op op,
			  uint64_t *rs, const struct phase *ph, struct diff_stats *st)
{
	unsigned int b, e;
	int nid = (int)ktest_rand_below(rs, 3) - 1, err, grew;
	unsigned int flags = ktest_rand_below(rs, 4)   ? 0
			     : ktest_rand_below(rs, 3) ? HOTPLUG
						       : NOMAP;
	paddr_t base, size;
	struct arrays before;

	random_range(rs, ph, &b, &e);
	base = b * RG;
	size = (e - b) * RG;
	if (!ktest_rand_below(rs, 50)) {
		/* A range that wraps: refused, nothing changes (the caller compares). */
		base = PA_MAX - ktest_rand_below(rs, 4 * RG);
		size = PA_MAX - base + 1 + ktest_rand_below(rs, RG);
		return memblock_op(mb, op, base, size, nid, flags) == -EINVAL;
	}
	if (op == OP_FREE && hits_arrays(mb, base, base + size)) {
		st->skipped++;
		return true;
	}
	arrays_snap(mb, &before);
	err = memblock_op(mb, op, base, size, nid, flags);
	grew = model_follow_arrays(kt, m, mb, &before, base, base + size);
	if (grew < 0)
		return false;
	st->grew += (unsigned long)grew;
	if (err == -ENOMEM) {
		/* Legitimate only when an array could not find room. */
		st->enomem++;
		if (model_array_fits(m, &mb->memory, base, base + size, mb->current_limit) &&
		    model_array_fits(m, &mb->reserved, base, base + size, mb->current_limit)) {
			ktest_log(kt, "-ENOMEM though both arrays had room to grow");
			return false;
		}
		return true;
	}
	if (err)
		return false;
	model_op(m, op, b, e, nid, flags);
	return true;
}

/* memblock_is_memory and memblock_is_reserved agree with the model at a few random bytes. */
static bool lookups_match(struct ktest *kt, const struct memblock *mb, const struct model *m,
			  uint64_t *rs)
{
	for (unsigned int i = 0; i < 4; i++) {
		paddr_t pa = ktest_rand_below(rs, RN * RG);

		if (memblock_is_memory(mb, pa) != (m->mem[pa / RG] >= 0) ||
		    memblock_is_reserved(mb, pa) != m->res[pa / RG]) {
			ktest_log(kt, "lookups of 0x%llx disagree", (unsigned long long)pa);
			return false;
		}
	}
	return true;
}

/* One step of the differential test. False on a mismatch. */
static bool diff_step(struct ktest *kt, struct memblock *mb, struct model *m, uint64_t *rs,
		      const struct phase *ph, struct diff_stats *st)
{
	enum op op = random_op(rs, ph);

	if (op == OP_ALLOC)
		return diff_alloc(kt, mb, m, rs, ph, st);
	if (op != OP_KNOBS)
		return diff_range_op(kt, mb, m, op, rs, ph, st);
	if (!ph->limits || ktest_rand_below(rs, 2))
		memblock_set_bottom_up(mb, !mb->bottom_up);
	else
		memblock_set_current_limit(mb, ktest_rand_below(rs, 3)
						   ? MEMBLOCK_ALLOC_ANYWHERE
						   : ktest_rand_below(rs, RN + 1) * RG);
	return true;
}

static struct model diff_model;
static struct run diff_runs[RN];
static struct memblock diff_mb;

#define DIFF_PHASES 4u
#define DIFF_STEPS 5000u /* per phase */

/*
 * Replay captured output, except the "Failed to double" lines that legitimate -ENOMEMs print;
 * returns how many of those there were.
 */
static unsigned long replay_capture(struct capture *c)
{
	FILE *f = capture_stop(c);
	unsigned long failed = 0;
	char line[512];

	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "memblock: Failed to double ", 27))
			failed++;
		else
			fputs(line, stdout);
	}
	fclose(f);
	return failed;
}

KTEST(memblock, random_ops_match_model)
{
	struct model *m = &diff_model;
	struct memblock *mb = &diff_mb;
	struct diff_stats st = { 0 };
	struct hw_machine hm;
	struct capture c;
	uint64_t rs = kt->seed ^ 0x6d656d626c6f636bULL;
	unsigned int step = 0, phase;
	unsigned long failed_lines;

	KT_ASSERT_TRUE(kt, machine_up(&hm, 0, RN * RG));
	KT_ASSERT_TRUE(kt, capture_start(&c));
	for (phase = 0; phase < DIFF_PHASES; phase++) {
		const struct phase *ph = &phases[phase % ARRAY_SIZE(phases)];

		model_reset(m);
		memblock_init(mb);
		if (ph->full) {
			memblock_add_node(mb, 0, RN * RG, 0, 0);
			model_add(m, 0, RN, 0, 0);
		}
		for (step = 0; step < DIFF_STEPS; step++) {
			if (!diff_step(kt, mb, m, &rs, ph, &st) ||
			    !model_matches(kt, m, mb, diff_runs) ||
			    !lookups_match(kt, mb, m, &rs)) {
				ktest_log(kt, "phase %u step %u diverged", phase, step);
				break;
			}
			st.max_mem = st.max_mem > mb->memory.cnt ? st.max_mem : mb->memory.cnt;
			st.max_rsv = st.max_rsv > mb->reserved.cnt ? st.max_rsv : mb->reserved.cnt;
		}
		if (step < DIFF_STEPS)
			break;
	}
	failed_lines = replay_capture(&c);
	KT_EXPECT_EQ(kt, phase, DIFF_PHASES);
	KT_EXPECT_GE(kt, failed_lines, st.enomem);
	ktest_log(kt,
		  "grew %lu, -ENOMEM %lu, alloc %lu ok %lu failed, frees skipped %lu, "
		  "max regions %lu memory %lu reserved",
		  st.grew, st.enomem, st.alloc_ok, st.alloc_fail, st.skipped, st.max_mem,
		  st.max_rsv);
	/* The run must have exercised growth of both arrays past the initial 128 entries. */
	KT_EXPECT_GT(kt, st.max_mem, 128ul);
	KT_EXPECT_GT(kt, st.max_rsv, 128ul);
	machine_down(&hm);
}

/* Linux's "mem=" on the model: see memblock_cap_memory. */
static void model_cap(struct model *m, uint64_t limit)
{
	uint64_t seen = 0;
	unsigned int max = 0, g;

	for (g = 0; g < RN && limit && !max; g++)
		if (m->mem[g] >= 0 && (seen += RG) == limit)
			max = g + 1;
	if (!max)
		return; /* a limit of 0, or above the memory size */
	for (g = max; g < RN; g++) {
		if (m->mem[g] < 0 || !(m->mem[g] & NOMAP))
			model_remove(m, g, g + 1);
		m->res[g] = false;
	}
}

KTEST(memblock, random_cap_matches_model)
{
	struct model *m = &diff_model;
	struct memblock *mb = &diff_mb;
	uint64_t rs = kt->seed ^ 0x6d656d3d6361700aULL;

	for (unsigned int trial = 0; trial < 400; trial++) {
		unsigned int nops = 1 + (unsigned int)ktest_rand_below(&rs, 24);
		uint64_t limit;

		model_reset(m);
		memblock_init(mb);
		for (unsigned int i = 0; i < nops; i++) {
			static const enum op ops[] = { OP_ADD,	   OP_ADD,    OP_ADD,  OP_RESERVE,
						       OP_RESERVE, OP_REMOVE, OP_FREE, OP_NOMAP };
			enum op op = ops[ktest_rand_below(&rs, ARRAY_SIZE(ops))];
			int nid = (int)ktest_rand_below(&rs, 3) - 1;
			unsigned int flags = ktest_rand_below(&rs, 4) ? 0 : NOMAP;
			unsigned int b, e;

			random_range(&rs, &phases[0], &b, &e);
			KT_ASSERT_EQ(kt, memblock_op(mb, op, b * RG, (e - b) * RG, nid, flags), 0);
			model_op(m, op, b, e, nid, flags);
		}
		limit = ktest_rand_below(&rs, memblock_phys_mem_size(mb) / RG + 3) * RG;
		memblock_cap_memory(mb, limit);
		model_cap(m, limit);
		if (!model_matches(kt, m, mb, diff_runs)) {
			ktest_log(kt, "trial %u: cap at 0x%llx diverged", trial,
				  (unsigned long long)limit);
			KT_EXPECT_TRUE(kt, false);
			return;
		}
	}
}

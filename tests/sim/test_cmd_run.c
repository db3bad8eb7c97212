// SPDX-License-Identifier: MIT
/* kmm-sim run: the hardware-model demo on the Raspberry Pi 3 boot map. */
#include "jsonread.h"
#include "simtest.h"

#include "../ktest/ktest.h"

#include <string.h>

/* The translation named @what, or NULL. */
static const struct jv *probe(const struct jv *v, const char *what)
{
	const struct jv *t = jv_get(v, "translations");

	for (size_t i = 0; t && i < t->n; i++)
		if (!strcmp(jv_str(jv_at(t, i), "what"), what))
			return jv_at(t, i);
	return NULL;
}

KTEST(sim_run, json)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_run, "run", "--json");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_STREQ(kt, c.err, "");
	struct jv *v = jv_parse(c.out);
	sim_capture_free(&c);
	KT_ASSERT_NOT_NULL(kt, v);

	KT_EXPECT_NOT_NULL(kt, strstr(jv_str(v, "note"), "not implemented yet"));
	KT_EXPECT_EQ(kt, jv_uint(jv_get(v, "board"), "ram_size"), 1ULL << 30);
	KT_EXPECT_EQ(kt, jv_uint(jv_get(v, "board"), "cpus"), 1u);
	KT_EXPECT_STREQ(kt, jv_str(jv_get(v, "registers"), "ttbr0"), "0x10000");
	KT_EXPECT_STREQ(kt, jv_str(jv_get(v, "registers"), "sctlr"), "0x1005");

	const struct jv *p = probe(v, "kernel text");
	KT_EXPECT_STREQ(kt, jv_str(p, "va"), "0xffffff0000080000");
	KT_EXPECT_STREQ(kt, jv_str(p, "pa"), "0x80000");
	KT_EXPECT_EQ(kt, jv_uint(p, "level"), 2u);
	KT_EXPECT_EQ(kt, jv_uint(p, "size"), 2u << 20);
	KT_EXPECT_STREQ(kt, jv_str(p, "memtype"), "Normal-WB");
	KT_EXPECT_TRUE(kt, jv_is_null(p, "fault"));

	p = probe(v, "mini UART");
	KT_EXPECT_STREQ(kt, jv_str(p, "pa"), "0x3f215040");
	KT_EXPECT_STREQ(kt, jv_str(p, "memtype"), "Device-nGnRnE");
	p = probe(v, "local peripherals");
	KT_EXPECT_EQ(kt, jv_uint(p, "level"), 1u);
	KT_EXPECT_EQ(kt, jv_uint(p, "size"), 1u << 30);
	KT_EXPECT_STREQ(kt, jv_str(p, "memtype"), "Device-nGnRnE");

	p = probe(v, "beyond the map");
	KT_EXPECT_STREQ(kt, jv_str(jv_get(p, "fault"), "type"), "translation");
	KT_EXPECT_EQ(kt, jv_uint(jv_get(p, "fault"), "level"), 1u);
	KT_EXPECT_TRUE(kt, jv_is_null(p, "pa"));
	p = probe(v, "EL0 read of kernel memory");
	KT_EXPECT_EQ(kt, jv_uint(p, "el"), 0u);
	KT_EXPECT_STREQ(kt, jv_str(jv_get(p, "fault"), "type"), "permission");
	KT_EXPECT_EQ(kt, jv_uint(jv_get(p, "fault"), "level"), 2u);

	const struct jv *m = jv_get(v, "memory");
	KT_EXPECT_TRUE(kt, jv_get(m, "same") && jv_get(m, "same")->b);
	KT_EXPECT_STREQ(kt, jv_str(m, "read"), jv_str(m, "written"));

	/* Every probe and both accesses went through the TLB: one lookup each. */
	const struct jv *tlb = jv_get(v, "tlb");
	size_t lookups = jv_get(v, "translations")->n + 2;
	KT_EXPECT_EQ(kt, jv_uint(tlb, "hits") + jv_uint(tlb, "misses"), lookups);
	KT_EXPECT_GT(kt, jv_uint(tlb, "hits"), 0u);
	KT_EXPECT_GE(kt, jv_uint(tlb, "walks"), 1u);
	jv_free(v);
}

KTEST(sim_run, text)
{
	struct sim_capture c;

	SIM_RUN(&c, cmd_run, "run");
	KT_EXPECT_EQ(kt, c.rc, 0);
	KT_EXPECT_EQ(
	    kt, strncmp(c.out, "kmm-sim run: the kmm boot sequence is not implemented yet", 57), 0);
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "0xffffff0000080000 -> 0x80000, level 2, 2M block, "
					     "Normal-WB"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "translation fault at level 1"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "permission fault at level 2"));
	KT_EXPECT_NOT_NULL(kt, strstr(c.out, "TLB of CPU 0: "));
	sim_capture_free(&c);
}

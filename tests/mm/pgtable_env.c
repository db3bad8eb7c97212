// SPDX-License-Identifier: MIT
/* The pgtable tests' emulated machine and table pool; see pgtable_env.h. */
#include "pgtable_env.h"

#include <aarch64/sysreg.h>

#include <string.h>

static paddr_t pool_alloc(void *ctx, uint64_t bytes)
{
	struct pool *p = ctx;

	for (unsigned int i = 0; p->left && bytes <= p->granule && i < POOL_PAGES; i++) {
		if (!p->used[i] && (i * p->granule) < RAM_SIZE) {
			p->used[i] = true;
			p->live++;
			p->left--;
			return RAM_BASE + i * p->granule;
		}
	}
	return 0;
}

static void pool_free(void *ctx, paddr_t t, uint64_t bytes)
{
	struct pool *p = ctx;

	(void)bytes;
	p->used[(t - RAM_BASE) / p->granule] = false;
	p->live--;
}

void env_fini(struct env *e)
{
	host_attach(e->prev);
	hw_machine_destroy(&e->m);
}

/* A 1-CPU machine translating TTBR1 through e->pt, of @granule and 48-bit VAs. */
bool env_init(struct ktest *kt, struct env *e, uint64_t granule)
{
	struct tlb_config tlb = TLB_CONFIG_DEFAULT;
	struct mmu_features feat = MMU_FEATURES_DEFAULT;
	struct tcr_fields f = { .ips = 5 };

	memset(e, 0, sizeof(*e));
	if (!KT_EXPECT_EQ(kt, hw_machine_init(&e->m, 1, &tlb, &feat), 0))
		return false;
	e->prev = host_machine();
	host_attach(&e->m);
	e->pool = (struct pool){ .granule = granule, .left = ~0UL };
	e->alloc = (struct pgtable_alloc){ pool_alloc, pool_free, &e->pool };
	if (!KT_EXPECT_EQ(kt, hw_ram_add(&e->m.ram, RAM_BASE, RAM_SIZE), 0) ||
	    !KT_EXPECT_EQ(kt, xlat_geometry_init(&e->g, granule, 48), 0) ||
	    !KT_EXPECT_EQ(kt, pgtable_init(&e->pt, &e->g, &e->alloc), 0)) {
		env_fini(e);
		return false;
	}
	for (int i = 0; i < 2; i++)
		f.half[i] = (struct tcr_half){ .tsz = 16, .granule = granule, .sh = SH_INNER };
	e->regs = (struct mmu_regs){ .sctlr = SCTLR_M, .tcr = tcr_encode(&f), .ttbr1 = e->pt.root };
	e->m.cpus[0].regs = e->regs;
	e->m.cpus[0].el = 1;
	return true;
}

const struct pte_attrs rw = {
	.sh = SH_INNER, .ap = AP_RW_EL1, .af = true, .pxn = true, .uxn = true
};

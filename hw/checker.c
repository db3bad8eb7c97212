// SPDX-License-Identifier: MIT
/*
 * The architecture-rule checker; the rules and the contract are in checker.h. What it keeps:
 *
 *   - per descriptor PA, how many TLB and walk-cache entries were read through it (struct
 *     tlb_refs, kept by the TLBs themselves), and the valid value last cleared there while some
 *     were: a store is checked against them in O(1);
 *   - per CPU, whether a descriptor store of its own still awaits a DSB, and the last one;
 *   - nothing per access: a TLB hit is held against the tables in memory there and then, by
 *     reading again the descriptors its entry was read through (struct mmu_path), from the root
 *     the TTBR gives (a whole walk when that moved). The local TLBIs check other CPUs' entries
 *     the same way.
 */
#include "checker.h"

#include "cpu.h"

#include <aarch64/pgtable-hwdef.h>
#include <aarch64/sysreg.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/*
 * The fields break-before-make protects (ARM ARM D8.14.1); AP[2:1], PXN, UXN, nG, AF, DBM and
 * the software bits may change in a live descriptor.
 */
static const struct {
	uint64_t mask;
	const char *name;
} bbm_fields[] = {
	{ DESC_OA_MASK, "output address" }, { BIT(1), "type (block/table/page)" },
	{ PTE_CONT, "contiguous bit" },	    { PTE_ATTRINDX_MASK, "AttrIndx" },
	{ PTE_SH_MASK, "shareability" },    { PTE_NS, "NS" },
};
#define BBM_MASK (DESC_OA_MASK | BIT(1) | PTE_CONT | PTE_ATTRINDX_MASK | PTE_SH_MASK | PTE_NS)

static const char *const rule_names[HW_NR_RULES] = {
	[HW_RULE_BBM] = "BBM violation",
	[HW_RULE_TLBI_DSB] = "TLBI without DSB",
	[HW_RULE_TLBI_LOCAL] = "local TLBI leaves stale entries",
	[HW_RULE_STALE_TLB] = "stale TLB entry used",
};

/* Process-wide: where reports go, and the violations of the current period not claimed. */
static hw_checker_sink_fn *report_sink;
static unsigned long period = 1, period_unclaimed;

/* The call site @site, or words saying there was none. */
static const char *named(const char *site)
{
	return site ? site : "an unnamed caller";
}

/* "entry" or "entries", after a count of @n. */
static const char *entries(unsigned long n)
{
	return n == 1 ? "entry" : "entries";
}

/* Forget @c's unclaimed counts of an earlier period. */
static void sync_period(struct hw_checker *c)
{
	if (c->period != period) {
		memset(c->unclaimed, 0, sizeof(c->unclaimed));
		c->period = period;
	}
}

/* A violation of @rule on @m: logged, counted, and handed to the sink as one line. */
__attribute__((format(printf, 3, 4))) static void report(struct hw_machine *m, enum hw_rule rule,
							 const char *fmt, ...)
{
	struct hw_checker *c = &m->checker;
	char *line = c->log[c->logged++ % HW_CHECKER_LOG];
	int n = snprintf(line, HW_CHECKER_MSG, "kmm-hw: %s: ", rule_names[rule]);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, HW_CHECKER_MSG - (size_t)n, fmt, ap);
	va_end(ap);
	sync_period(c);
	c->reported[rule]++;
	c->unclaimed[rule]++;
	period_unclaimed++;
	if (report_sink)
		report_sink(line);
	else
		fprintf(stderr, "%s\n", line);
}

int hw_checker_init(struct hw_machine *m)
{
	size_t keys = 0;

	for (unsigned int i = 0; i < m->ncpus; i++)
		keys += tlb_refs_needed(&m->cpus[i].tlb.cfg);
	int err = tlb_refs_init(&m->checker.refs, keys);
	if (!err)
		hw_checker_enable(m, true);
	return err;
}

void hw_checker_destroy(struct hw_machine *m)
{
	tlb_refs_destroy(&m->checker.refs);
}

bool hw_checker_enable(struct hw_machine *m, bool on)
{
	struct hw_checker *c = &m->checker;
	bool was = c->on;

	if (on == was)
		return was;
	c->on = on;
	if (on)
		tlb_refs_clear(&c->refs);
	for (unsigned int i = 0; i < m->ncpus; i++) {
		m->cpus[i].stores = (struct hw_cpu_stores){ 0 };
		tlb_set_refs(&m->cpus[i].tlb, on ? &c->refs : NULL);
	}
	return was;
}

/* The fields of @diff that break-before-make protects, as "a, b" into @buf. */
static void bbm_changes(uint64_t diff, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(bbm_fields); i++)
		if ((diff & bbm_fields[i].mask) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "",
					      bbm_fields[i].name);
}

void hw_checker_store(struct hw_machine *m, unsigned int cpu, paddr_t pa, uint64_t old,
		      uint64_t desc, const char *site)
{
	struct hw_checker *c = &m->checker;
	char what[96];

	if (!c->on)
		return;
	if (cpu < m->ncpus)
		m->cpus[cpu].stores = (struct hw_cpu_stores){ true, true, pa, desc, site };
	struct tlb_ref *r = tlb_refs_find(&c->refs, pa);
	if (!r)
		return;
	if (!(desc & DESC_VALID)) {
		if (old & DESC_VALID)
			r->cleared = old; /* the break */
		return;
	}
	uint64_t diff = ((old & DESC_VALID) ? old : r->cleared) ^ desc;
	if (!(diff & BBM_MASK))
		return;
	bbm_changes(diff, what, sizeof(what));
	if (old & DESC_VALID)
		report(m, HW_RULE_BBM,
		       "CPU%u wrote 0x%016llx over valid 0x%016llx at PA 0x%llx (%s changed) while "
		       "%u cached %s read through it, at %s",
		       cpu, (unsigned long long)desc, (unsigned long long)old,
		       (unsigned long long)pa, what, r->count, entries(r->count), named(site));
	else
		report(m, HW_RULE_BBM,
		       "CPU%u wrote 0x%016llx at PA 0x%llx where it cleared 0x%016llx with no TLBI "
		       "since (%s changed) while %u cached %s read through it, at %s",
		       cpu, (unsigned long long)desc, (unsigned long long)pa,
		       (unsigned long long)r->cleared, what, r->count, entries(r->count),
		       named(site));
}

void hw_checker_site(struct hw_machine *m, const char *site)
{
	m->checker.site = site;
}

unsigned long hw_checker_take(struct hw_machine *m, enum hw_rule rule)
{
	struct hw_checker *c = &m->checker;
	unsigned long n;

	sync_period(c);
	n = c->unclaimed[rule];
	c->unclaimed[rule] = 0;
	period_unclaimed -= n;
	return n;
}

unsigned long hw_checker_count(const struct hw_machine *m, enum hw_rule rule)
{
	return m->checker.reported[rule];
}

const char *hw_checker_message(const struct hw_machine *m, unsigned int i)
{
	const struct hw_checker *c = &m->checker;

	if (i >= HW_CHECKER_LOG || i >= c->logged)
		return NULL;
	return c->log[(c->logged - 1 - i) % HW_CHECKER_LOG];
}

hw_checker_sink_fn *hw_checker_set_sink(hw_checker_sink_fn *sink)
{
	hw_checker_sink_fn *old = report_sink;

	report_sink = sink;
	return old;
}

unsigned long hw_checker_end_period(void)
{
	unsigned long n = period_unclaimed;

	period_unclaimed = 0;
	period++;
	return n;
}

/* Whether @now (as memory has it) forbids anything @old (as cached) permits, under @regs. */
static bool permits_less(const struct mmu_tr *old, const struct mmu_tr *now,
			 const struct mmu_regs *regs)
{
	bool o[6], n[6];

	mmu_effective(old, regs, &o[0], &o[1], &o[2], &o[3], &o[4], &o[5]);
	mmu_effective(now, regs, &n[0], &n[1], &n[2], &n[3], &n[4], &n[5]);
	for (unsigned int i = 0; i < 6; i++)
		if (o[i] && !n[i])
			return true;
	return false;
}

/*
 * Read again from memory the descriptors that @cpu's cached @tr was read through, as a walk of
 * its VA from the same root would, into @now: the translation they give now (now->desc the leaf
 * descriptor as it is, 0 if none). NULL if that has @tr's output address and attributes, else
 * why not; the permissions are left to the caller to compare.
 */
static const char *reread(const struct hw_cpu *cpu, const struct mmu_tr *tr, struct mmu_tr *now)
{
	const struct hw_ram *ram = &cpu->machine->ram;
	const struct mmu_path *p = &tr->path;
	bool ha = cpu->machine->feat.hafdbs && (cpu->regs.tcr & TCR_HA);
	uint64_t d = 0, tables = 0; /* the table descriptors ORed: their attributes accumulate */

	*now = *tr;
	now->desc = 0;
	for (unsigned int l = p->first; l < tr->level; l++) {
		if (hw_ram_read64(ram, p->desc[l], &d) || (d & DESC_TYPE_MASK) != DESC_TYPE_TABLE)
			return "a table descriptor above it is no longer valid";
		if ((d ^ p->desc[l + 1]) & GENMASK(47, p->granule_shift))
			return "a table descriptor above it points to another table";
		tables |= d;
	}
	now->acc = (struct mmu_table_acc){ 0 };
	mmu_gather_table_attrs(&now->acc, tables);
	if (hw_ram_read64(ram, p->desc[tr->level], &d))
		d = 0;
	now->desc = d;
	now->dbm = tr->dbm && (d & PTE_DBM);
	if (!(d & DESC_VALID))
		return "its descriptor is no longer valid";
	if ((d ^ tr->desc) & BBM_MASK)
		return "its output address or attributes changed";
	if (!(d & PTE_AF) && !ha)
		return "its access flag was cleared";
	return NULL;
}

/* A search of another CPU's TLB for stale entries a TLBI selects. */
struct stale_search {
	const struct hw_cpu *cpu;
	unsigned long n;
	struct mmu_tr first;
	const char *why;
};

/* An entry that permits less than memory now does is not stale: it only faults spuriously. */
static bool stale_visit(void *ctx, const struct mmu_tr *tr)
{
	struct stale_search *s = ctx;
	struct mmu_tr now;
	const char *why = reread(s->cpu, tr, &now);

	if (!why && permits_less(tr, &now, &s->cpu->regs))
		why = "its permissions were reduced";

	if (why && !s->n++) {
		s->first = *tr;
		s->why = why;
	}
	return false;
}

/* HW_RULE_TLBI_LOCAL: the local TLBI @d of @cpu, against the TLBs of the other CPUs. */
static void check_local_tlbi(struct hw_cpu *cpu, const struct tlbi_def *d, vaddr_t va,
			     uint16_t asid, const char *site)
{
	struct hw_machine *m = cpu->machine;

	for (unsigned int i = 0; i < m->ncpus; i++) {
		struct stale_search s = { .cpu = &m->cpus[i] };
		if (i == cpu->id)
			continue;
		tlb_visit(&m->cpus[i].tlb, d->scope == TLBI_SCOPE_VA, va, asid, d->all_asids,
			  stale_visit, &s);
		if (s.n)
			report(
			    m, HW_RULE_TLBI_LOCAL,
			    "CPU%u TLBI %s (VA 0x%llx, ASID %u) at %s leaves %lu stale %s on CPU%u "
			    "that it drops here, e.g. VA 0x%llx ASID %u -> PA 0x%llx (%s): the IS "
			    "form reaches every CPU",
			    cpu->id, d->name, (unsigned long long)va, asid, named(site), s.n,
			    entries(s.n), i, (unsigned long long)s.first.va, s.first.asid,
			    (unsigned long long)s.first.pa, s.why);
	}
}

void hw_checker_tlbi(struct hw_cpu *cpu, const struct tlbi_def *d, vaddr_t va, uint16_t asid)
{
	struct hw_machine *m = cpu->machine;
	struct hw_cpu_stores *st = &cpu->stores;
	const char *site = m->checker.site;

	m->checker.site = NULL;
	if (d->broadcast ? st->unordered_ish : st->unordered_nsh) {
		report(
		    m, HW_RULE_TLBI_DSB,
		    "CPU%u TLBI %s at %s follows its store of 0x%016llx to PA 0x%llx at %s with no "
		    "DSB %s between",
		    cpu->id, d->name, named(site), (unsigned long long)st->desc,
		    (unsigned long long)st->pa, named(st->site),
		    d->broadcast ? "ISH" : "NSH or ISH");
		st->unordered_nsh = st->unordered_ish = false;
	}
	if (!d->broadcast && d->scope != TLBI_SCOPE_ALL)
		check_local_tlbi(cpu, d, va, asid, site);
}

/* Whether @cpu's TTBR for @tr's half now gives another root table than @tr was read from. */
static bool root_moved(const struct hw_cpu *cpu, const struct mmu_tr *tr)
{
	const struct mmu_path *p = &tr->path;
	uint64_t base = (tr->ttbr ? cpu->regs.ttbr1 : cpu->regs.ttbr0) & GENMASK(47, 0);

	return (base & ~(BIT(p->root_shift) - 1)) != p->root;
}

/*
 * As reread, when @cpu's TTBR gives another root table than @tr came from (a process switched to
 * without a new ASID): a whole walk of @va from there, which may still meet @tr's descriptors.
 */
static const char *rewalk(struct hw_cpu *cpu, vaddr_t va, const struct mmu_tr *tr,
			  struct mmu_tr *now)
{
	struct hw_machine *m = cpu->machine;
	struct mmu_walk_result w;

	*now = *tr;
	now->desc = 0;
	if (mmu_walk_regime(&m->ram, &cpu->regs, mmu_regime_get(&cpu->regime, cpu->regs.tcr),
			    &m->feat, va, cpu->el, MMU_READ, false, NULL, &w))
		return "the walk from its new TTBR faults";
	*now = w.tr;
	if (w.tr.level != tr->level || ((w.tr.desc ^ tr->desc) & BBM_MASK))
		return "the walk from its new TTBR gives another translation";
	return NULL;
}

/*
 * Why the tables in memory no longer give @cpu's @acc at @va what cached @tr gave it (into @buf),
 * or NULL: a walk now would fault, map elsewhere or with other attributes, not permit the access,
 * or (a write) mark the descriptor dirty. The walk reads @tr's descriptors again, unless the TTBR
 * moved.
 */
static const char *stale_for(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc,
			     const struct mmu_tr *tr, char *buf, size_t size)
{
	struct mmu_tr now;
	const char *why = root_moved(cpu, tr) ? rewalk(cpu, va, tr, &now) : reread(cpu, tr, &now);

	if (!why && mmu_check(&now, &cpu->regs, cpu->el, acc))
		why = "the tables no longer permit it";
	/* FEAT_HAFDBS: a write through a cached dirty entry leaves memory's clean one clean. */
	if (!why && acc == MMU_WRITE && tr->dbm && !(tr->desc & PTE_RDONLY) &&
	    (now.desc & PTE_RDONLY))
		why = "its dirty state was cleaned";
	if (!why)
		return NULL;
	snprintf(buf, size, "%s (descriptor now 0x%016llx)", why, (unsigned long long)now.desc);
	return buf;
}

void hw_checker_served(struct hw_cpu *cpu, vaddr_t va, enum mmu_access acc, const struct mmu_tr *tr,
		       bool tlb_hit)
{
	char why[128];

	if (!stale_for(cpu, va, acc, tr, why, sizeof(why)))
		return;
	report(cpu->machine, HW_RULE_STALE_TLB,
	       "CPU%u %s of VA 0x%llx at EL%u served by a cached %s to PA 0x%llx (level %u, "
	       "descriptor 0x%016llx at PA 0x%llx), but %s: a TLBI is missing",
	       cpu->id, mmu_access_name(acc), (unsigned long long)va, cpu->el,
	       tlb_hit ? "TLB entry" : "walk-cache table",
	       (unsigned long long)(tr->pa | (va & (tr->size - 1))), tr->level,
	       (unsigned long long)tr->desc, (unsigned long long)tr->path.desc[tr->level], why);
}

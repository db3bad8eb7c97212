// SPDX-License-Identifier: MIT
/*
 * SMP on the bare-metal kernel: the secondary CPUs brought up, and the allocators used by every
 * CPU at once.
 *
 * Bring-up, one CPU at a time (aarch64/smp.h): the boot data names the CPU's number, a stack of
 * its own and secondary_main; then PSCI CPU_ON through the DTB's conduit (virt), or, for a CPU a
 * spin table handed to head.S's holding pen (raspi3b), the pen's release word and an interrupt
 * from the CPU's BCM2836 ARM-local mailbox, which wakes it from WFI. The boot CPU waits for it
 * to say it is online. An online CPU waits in secondary_main's loop for work: a function the
 * boot CPU posts (smp_call) and waits for (smp_wait); no function stops it (PSCI CPU_OFF, or WFI
 * for good). Waits spin with WFE, which QEMU's multi-threaded TCG runs as a busy loop: the CPUs
 * are up for this part only.
 *
 * The stress: every online CPU runs STRESS_ROUNDS rounds (kmm.smp.rounds=N on the command
 * line), all at once, from a random stream of its own (kmm.seed=N seeds them). A round takes the
 * objects other CPUs sent it from its mailbox and frees them, then replaces one of its HELD slots:
 * the object there is freed, or sent to another CPU's mailbox (to be freed there), and a new one
 * takes its place: pages of order 0-6 (the per-CPU lists up to PAGE_ALLOC_COSTLY_ORDER, the
 * buddy lists under zone->lock beyond), a kmalloc of 16 B to 64 KiB (slab caches, large ones
 * from the page allocator), an object of a kmem_cache of this part's, or a vmalloc of 1-8 pages.
 * One round in BURST_EVERY also allocates BURST_PAGES single pages and frees them, then drains
 * a random CPU's per-CPU lists: the lists' refills and drains under zone->lock, on every CPU at
 * once, and a CPU's lists drained by another while it uses them (Linux's drain_all_pages).
 * Each object is stamped with its CPU and serial number at each page start and at its end, and
 * checked when it is freed: two owners of the same memory show as a broken stamp. Then every
 * CPU frees what it holds, and the checkers (page allocator, slab, vmalloc) run; the free pages,
 * counted with every per-CPU list drained, every cache shrunk and the lazy vmalloc areas purged,
 * must be what they were before (less the pages vmalloc took for more area nodes, which it
 * keeps). Only allocator paths run: they are under locks, while a page's refcount and mapcount
 * are plain ints.
 *
 * The broadcast TLB invalidation: for each online CPU in turn, an area vmalloc'd on another CPU
 * is read by every CPU (its translations in every TLB), then vfree'd and purged on that CPU; a
 * read of each page on every CPU must then take a translation fault. QEMU keeps a translation
 * in each vCPU's TLB until it is invalidated there, so a local TLBI would leave the other CPUs
 * reading freed pages.
 */
#include "kernel.h"

#include <aarch64/esr.h>
#include <aarch64/machine.h>
#include <aarch64/traps.h>
#include <kmm/errno.h>
#include <kmm/gfp.h>
#include <kmm/mm.h>
#include <kmm/printk.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>
#include <kmm/vmalloc.h>

#define SECONDARY_STACK_SIZE 0x4000
#define ONLINE_TIMEOUT_MS 1000
#define WORK_TIMEOUT_MS 60000
#define STRESS_ROUNDS 600
#define HELD 32
#define BURST_PAGES 64 /* past a per-CPU list's batch (63 for 1 GiB) */
#define BURST_EVERY 32 /* rounds */
#define MAILBOX_SLOTS 64
#define STRESS_CACHE_SIZE 200
#define VFREE_PAGES 4

#define load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)

static inline void wfe(void)
{
	__asm__ volatile("wfe" : : : "memory");
}

static inline void sev(void)
{
	__asm__ volatile("sev" : : : "memory");
}

/* ---- the CPUs ------------------------------------------------------------------------------ */

/* A CPU as this part runs it. The boot CPU writes fn, arg and posted; the CPU the rest. */
struct smp_cpu {
	void (*fn)(void *arg);
	void *arg;
	unsigned long posted; /* the work's sequence number */
	unsigned long done;   /* the last one the CPU finished */
	bool online;
	bool started;	       /* told to start (by PSCI, or from the pen) */
	bool psci;	       /* started (so stopped) by PSCI */
	unsigned int entry_el; /* the EL it entered the kernel at */
	uint64_t mpidr;	       /* as the CPU read its own */
	unsigned long up_us;   /* from start to online */
} __attribute__((aligned(64)));

static struct smp_cpu smp_cpus[QEMU_CPUS_MAX];
static uint8_t secondary_stacks[QEMU_CPUS_MAX - 1][SECONDARY_STACK_SIZE]
    __attribute__((aligned(16))); /* CPU n's: [n - 1] */
static enum psci_conduit smp_conduit;

static uint64_t deadline_ms(unsigned long ms)
{
	return aarch64_counter() + aarch64_counter_freq() * ms / 1000;
}

static bool past(uint64_t deadline)
{
	return aarch64_counter() > deadline;
}

/* The posted work, until a post without a function. */
static void work_loop(struct smp_cpu *c)
{
	for (;;) {
		unsigned long seq;

		while ((seq = load_acquire(&c->posted)) == c->done)
			wfe();
		if (!c->fn)
			return;
		c->fn(c->arg);
		store_release(&c->done, seq);
		sev();
	}
}

/* A secondary CPU once it runs kernel code (head.S's secondary_switched calls it). */
__attribute__((noreturn)) static void secondary_main(unsigned int cpu, unsigned int entry_el)
{
	struct smp_cpu *c = &smp_cpus[cpu];

	c->entry_el = entry_el;
	c->mpidr = aarch64_mpidr();
	store_release(&c->online, true);
	sev();
	work_loop(c);
	store_release(&c->online, false);
	sev();
	if (c->psci)
		aarch64_psci_cpu_off(smp_conduit); /* returns only if it failed */
	for (;;)
		__asm__ volatile("wfi"); /* interrupts masked, none pending: for good */
}

/* Run @fn(@arg) on online CPU @cpu. */
static void smp_call(unsigned int cpu, void (*fn)(void *), void *arg)
{
	struct smp_cpu *c = &smp_cpus[cpu];

	c->fn = fn;
	c->arg = arg;
	store_release(&c->posted, c->posted + 1);
	sev();
}

/* Wait for CPU @cpu to finish its work; whether it did in time. */
static bool smp_wait(unsigned int cpu)
{
	struct smp_cpu *c = &smp_cpus[cpu];
	uint64_t end = deadline_ms(WORK_TIMEOUT_MS);

	while (load_acquire(&c->done) != c->posted)
		if (past(end))
			return false;
	return true;
}

/* ---- bring-up -------------------------------------------------------------------------------- */

/* The BCM2836 ARM-local block's mailboxes (QA7 "ARM Quad A7 core" 4.6-4.7): core n's mailbox
 * interrupt control at 0x50 + 4n (bit 0: mailbox 0's IRQ), its mailbox 0 write-set at 0x80 +
 * 16n and read/write-clear at 0xc0 + 16n. Mapped Device at the fixmap's third page. */
#define MBOX_CONTROL(n) (0x50 + 4 * (n))
#define MBOX0_SET(n) (0x80 + 16 * (n))
#define MBOX0_CLEAR(n) (0xc0 + 16 * (n))
static volatile uint32_t *mailboxes;

static int map_mailboxes(struct kernel *k)
{
	struct pte_attrs dev = { .attrindx = MT_DEVICE_nGnRnE,
				 .sh = SH_NON,
				 .ap = AP_RW_EL1,
				 .af = true,
				 .pxn = true,
				 .uxn = true };
	vaddr_t va = k->bm.layout.fixaddr_start + 2 * 4096;
	int e;

	spin_lock(&vmalloc_default.page_table_lock);
	e = pgtable_map(&k->bm.swapper, va, k->machine.board->local_mailboxes, 4096, &dev, 4096);
	spin_unlock(&vmalloc_default.page_table_lock);
	if (!e)
		mailboxes = (volatile uint32_t *)va;
	return e;
}

/* Raise (@on) or clear core @core's mailbox-0 interrupt. */
static void mailbox_irq(unsigned int core, bool on)
{
	mailboxes[MBOX_CONTROL(core) / 4] = on ? 1 : 0;
	mailboxes[(on ? MBOX0_SET(core) : MBOX0_CLEAR(core)) / 4] = 1;
	__asm__ volatile("dsb sy" : : : "memory");
}

/* Start CPU @cpu: NULL, or why it could not be. */
static const char *cpu_start(struct kernel *k, unsigned int cpu)
{
	const struct qemu_machine *m = &k->machine;
	static char why[64];

	if (m->cpu_psci[cpu] && m->psci) {
		int64_t r = aarch64_psci_cpu_on(m->psci, m->cpu_mpidr[cpu],
						aarch64_secondary_entry_phys(), 0);
		smp_cpus[cpu].psci = true;
		smp_cpus[cpu].started = r == PSCI_RET_SUCCESS;
		if (r == PSCI_RET_SUCCESS)
			return NULL;
		kmm_snprintf(why, sizeof(why), "PSCI CPU_ON returned %lld", (long long)r);
		return why;
	}
	if (m->cpu_release[cpu] && mailboxes) {
		aarch64_pen_release(m->cpu_mpidr[cpu]);
		mailbox_irq((unsigned int)(m->cpu_mpidr[cpu] & 0xff), true);
		smp_cpus[cpu].started = true;
		return NULL;
	}
	return "no enable-method this kernel knows (psci, spin-table with mailboxes)";
}

/* Bring CPU @cpu online; whether it came. */
static bool cpu_up(struct kernel *k, unsigned int cpu)
{
	struct smp_cpu *c = &smp_cpus[cpu];
	uint64_t t0 = aarch64_counter(), end = deadline_ms(ONLINE_TIMEOUT_MS);
	const char *why;

	aarch64_secondary_prepare(cpu, secondary_stacks[cpu - 1] + SECONDARY_STACK_SIZE,
				  secondary_main, k->bm.ttbr0);
	why = cpu_start(k, cpu);
	while (!why && !load_acquire(&c->online))
		if (past(end))
			why = "not online after a second";
	if (!c->psci && mailboxes) {
		mailbox_irq((unsigned int)(k->machine.cpu_mpidr[cpu] & 0xff), false);
		aarch64_pen_release(PEN_RELEASE_NONE);
	}
	if (why) {
		printk("smp: CPU%u (MPIDR 0x%llx): FAILED: %s\n", cpu,
		       (unsigned long long)k->machine.cpu_mpidr[cpu], why);
		return false;
	}
	c->up_us = (unsigned long)((aarch64_counter() - t0) * 1000000 / aarch64_counter_freq());
	return true;
}

/* Bring every CPU of the machine up; the online ones (the boot CPU first) into @online, how
 * many, and the failures into *@failed. A CPU that started but did not come online may still
 * read the boot data: the CPUs after it are left alone. */
static unsigned int cpus_up(struct kernel *k, unsigned int *online, unsigned int *failed)
{
	const struct qemu_machine *m = &k->machine;
	unsigned int n = 1;

	online[0] = 0;
	smp_conduit = m->psci;
	if (m->board->local_mailboxes && m->ncpus > 1 && map_mailboxes(k)) {
		printk("smp: FAILED: mapping the ARM-local mailboxes\n");
		++*failed;
	}
	for (unsigned int cpu = 1; cpu < m->ncpus; cpu++) {
		if (cpu_up(k, cpu)) {
			online[n++] = cpu;
			continue;
		}
		*failed += smp_cpus[cpu].started ? m->ncpus - cpu : 1;
		if (smp_cpus[cpu].started)
			break;
	}
	return n;
}

static const char *start_method(const struct kernel *k, unsigned int cpu)
{
	if (smp_cpus[cpu].psci)
		return k->machine.psci == PSCI_CONDUIT_HVC ? "PSCI CPU_ON (hvc)"
							   : "PSCI CPU_ON (smc)";
	return "spin table, holding pen and mailbox interrupt";
}

static void report_up(const struct kernel *k, const unsigned int *online, unsigned int n)
{
	printk("smp: CPU0: MPIDR 0x%llx, the boot CPU\n", (unsigned long long)aarch64_mpidr());
	for (unsigned int i = 1; i < n; i++) {
		const struct smp_cpu *c = &smp_cpus[online[i]];

		printk("smp: CPU%u: MPIDR 0x%llx, up by %s in %lu us, entered at EL%u\n", online[i],
		       (unsigned long long)c->mpidr, start_method(k, online[i]), c->up_us,
		       c->entry_el);
	}
}

/* Stop the online secondary CPUs: PSCI CPU_OFF (which AFFINITY_INFO must then report), or
 * WFI for good; how many did not stop. */
static unsigned int cpus_down(const unsigned int *online, unsigned int n)
{
	unsigned int failed = 0, psci = 0;

	for (unsigned int i = 1; i < n; i++)
		smp_call(online[i], NULL, NULL);
	for (unsigned int i = 1; i < n; i++) {
		struct smp_cpu *c = &smp_cpus[online[i]];
		uint64_t end = deadline_ms(ONLINE_TIMEOUT_MS);
		bool off = false;

		while (!off && !past(end))
			off = !load_acquire(&c->online) &&
			      (!c->psci || aarch64_psci_affinity_info(smp_conduit, c->mpidr) == 1);
		if (!off) {
			printk("smp: CPU%u: FAILED: did not stop\n", online[i]);
			failed++;
		}
		psci += c->psci;
	}
	if (n > 1)
		printk("smp: %u CPUs stopped: %u off by PSCI CPU_OFF, %u in WFI for good\n", n - 1,
		       psci, n - 1 - psci);
	return failed;
}

/* ---- a barrier ------------------------------------------------------------------------------ */

struct smp_barrier {
	unsigned int n;	    /* CPUs that meet at it */
	unsigned int count; /* arrived in this generation */
	unsigned int gen;
};

/* Wait until all @b->n CPUs are here (the last one in starts the next generation). */
static void barrier_wait(struct smp_barrier *b)
{
	unsigned int gen = load_acquire(&b->gen);

	if (__atomic_add_fetch(&b->count, 1, __ATOMIC_ACQ_REL) == b->n) {
		b->count = 0;
		store_release(&b->gen, gen + 1);
		sev();
		return;
	}
	while (load_acquire(&b->gen) == gen)
		wfe();
}

/* ---- the stress ------------------------------------------------------------------------------ */

enum item_kind { ITEM_NONE, ITEM_PAGES, ITEM_KMALLOC, ITEM_CACHE, ITEM_VMALLOC, NR_ITEM_KINDS };

static const char *const item_names[NR_ITEM_KINDS] = { "none", "pages", "kmalloc", "cache",
						       "vmalloc" };

/* An object one CPU holds: its kind, address and size, and the stamp written into it. */
struct item {
	enum item_kind kind;
	unsigned int order; /* ITEM_PAGES */
	size_t size;	    /* bytes */
	uint64_t *p;
	uint64_t stamp; /* the allocating CPU << 56 | its serial number */
};

struct mailbox {
	spinlock_t lock;
	unsigned int n;
	struct item items[MAILBOX_SLOTS];
};

/* What a CPU did in the stress (and, summed, all of them). */
struct stress_counts {
	unsigned long allocs[NR_ITEM_KINDS], frees[NR_ITEM_KINDS];
	unsigned long sent;	/* objects given to another CPU to free */
	unsigned long received; /* objects of another CPU freed here */
	unsigned long failed;	/* failed allocations, broken stamps */
};

struct stress_cpu {
	uint64_t rng, serial;
	struct item held[HELD];
	struct item burst[BURST_PAGES];
	struct stress_counts c;
	/* The vfree check: reads of a live area, faults on a vfree'd one. */
	unsigned long vf_reads, vf_faults, vf_failed;
} __attribute__((aligned(64)));

struct stress {
	unsigned int n, online[QEMU_CPUS_MAX];
	unsigned int rounds;
	struct kmem_cache *cache;
	struct smp_barrier bar;
	spinlock_t print_lock;
	struct mailbox mbox[QEMU_CPUS_MAX];
	struct stress_cpu cpu[QEMU_CPUS_MAX];
	uint64_t *area; /* the vfree check's */
};

static struct stress stress;

/* xorshift64* (Vigna): a CPU's own random stream. */
static uint64_t rnd(struct stress_cpu *sc)
{
	sc->rng ^= sc->rng >> 12;
	sc->rng ^= sc->rng << 25;
	sc->rng ^= sc->rng >> 27;
	return sc->rng * 0x2545f4914f6cdd1dULL;
}

/* The word at each page start of @it and its last word (at least 16 bytes on) hold what its
 * stamp says. */
static void stamp(struct item *it)
{
	for (size_t off = 0; off + 8 < it->size; off += PAGE_SIZE)
		it->p[off / 8] = it->stamp + off;
	it->p[it->size / 8 - 1] = ~it->stamp;
}

/* The offset of the first word of @it's stamp that does not hold it (*@want: what it should),
 * or its size when all do. */
static size_t broken_word(const struct item *it, uint64_t *want)
{
	for (size_t off = 0; off + 8 < it->size; off += PAGE_SIZE) {
		*want = it->stamp + off;
		if (it->p[off / 8] != *want)
			return off;
	}
	*want = ~it->stamp;
	return it->p[it->size / 8 - 1] != *want ? it->size - 8 : it->size;
}

/* Whether @it holds its stamp; a broken one is reported (by CPU @cpu). */
static bool stamped(struct stress *st, const struct item *it, unsigned int cpu)
{
	uint64_t want;
	size_t bad = broken_word(it, &want);

	if (bad == it->size)
		return true;
	spin_lock(&st->print_lock);
	printk("smp: CPU%u: FAILED: %s %p (%zu bytes) of CPU%u: the word at +0x%zx is 0x%llx, not "
	       "0x%llx\n",
	       cpu, item_names[it->kind], (void *)it->p, it->size, (unsigned int)(it->stamp >> 56),
	       bad, (unsigned long long)it->p[bad / 8], (unsigned long long)want);
	spin_unlock(&st->print_lock);
	return false;
}

/* Orders 0-6: the per-CPU lists' mostly, the buddy lists' beyond PAGE_ALLOC_COSTLY_ORDER. */
static unsigned int pick_order(uint64_t r)
{
	static const unsigned char orders[16] = { 0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 3, 3, 4, 5, 6 };

	return orders[r % 16];
}

/* kmalloc sizes: 16 B .. 8 KiB (the slab caches), one in ten 8 KiB .. 64 KiB (pages). */
static size_t pick_kmalloc_size(uint64_t r)
{
	size_t base = r % 10 ? (size_t)16 << ((r >> 8) % 9) : (size_t)8192 << ((r >> 8) % 3);

	return ALIGN_UP(base + (r >> 16) % base, 8);
}

/* Stamp @it, a new object of CPU @cpu at @p (NULL: a failed allocation). */
static void new_item(struct stress_cpu *sc, struct item *it, void *p, unsigned int cpu)
{
	if (!p) {
		sc->c.failed++;
		it->kind = ITEM_NONE;
		return;
	}
	it->p = p;
	it->stamp = (uint64_t)cpu << 56 | ++sc->serial;
	stamp(it);
	sc->c.allocs[it->kind]++;
}

/* Allocate a new object of a random kind into @it. */
static void take(struct stress *st, struct stress_cpu *sc, struct item *it, unsigned int cpu)
{
	uint64_t r = rnd(sc), pick = r % 20;
	void *p;

	it->order = 0;
	if (pick < 7) {
		it->kind = ITEM_PAGES;
		it->order = pick_order(r >> 8);
		it->size = PAGE_SIZE << it->order;
		p = (void *)__get_free_pages(GFP_KERNEL, it->order);
	} else if (pick < 14) {
		it->kind = ITEM_KMALLOC;
		it->size = pick_kmalloc_size(r >> 8);
		p = kmalloc(it->size, GFP_KERNEL);
	} else if (pick < 18) {
		it->kind = ITEM_CACHE;
		it->size = STRESS_CACHE_SIZE;
		p = kmem_cache_alloc(st->cache, GFP_KERNEL);
	} else {
		it->kind = ITEM_VMALLOC;
		it->size = (1 + (r >> 8) % 8) * PAGE_SIZE;
		p = vmalloc(it->size);
	}
	new_item(sc, it, p, cpu);
}

/* Free @it (on CPU @cpu), unless its stamp is broken (then it is left alone: leaked). */
static void release(struct stress *st, struct stress_cpu *sc, struct item *it, unsigned int cpu)
{
	if (!stamped(st, it, cpu)) {
		sc->c.failed++;
	} else {
		switch (it->kind) {
		case ITEM_PAGES:
			free_pages((unsigned long)it->p, it->order);
			break;
		case ITEM_KMALLOC:
			kfree(it->p);
			break;
		case ITEM_CACHE:
			kmem_cache_free(st->cache, it->p);
			break;
		default:
			vfree(it->p);
			break;
		}
		sc->c.frees[it->kind]++;
		if (it->stamp >> 56 != cpu)
			sc->c.received++;
	}
	it->kind = ITEM_NONE;
}

/* Give @it to CPU @to's mailbox; whether there was room. */
static bool send(struct stress *st, unsigned int to, const struct item *it)
{
	struct mailbox *mb = &st->mbox[to];
	bool ok;

	spin_lock(&mb->lock);
	ok = mb->n < MAILBOX_SLOTS;
	if (ok)
		mb->items[mb->n++] = *it;
	spin_unlock(&mb->lock);
	return ok;
}

/* Free what the other CPUs sent CPU @cpu (taken out under the mailbox lock, freed after). */
static void receive(struct stress *st, struct stress_cpu *sc, unsigned int cpu)
{
	struct mailbox *mb = &st->mbox[cpu];
	struct item items[MAILBOX_SLOTS];
	unsigned int n;

	if (!READ_ONCE(mb->n))
		return;
	spin_lock(&mb->lock);
	n = mb->n;
	for (unsigned int i = 0; i < n; i++)
		items[i] = mb->items[i];
	mb->n = 0;
	spin_unlock(&mb->lock);
	for (unsigned int i = 0; i < n; i++)
		release(st, sc, &items[i], cpu);
}

/*
 * BURST_PAGES single pages allocated, stamped, checked and freed, then CPU @r's per-CPU lists
 * drained (Linux's drain_pages, which takes another CPU's pcp->lock): this CPU's lists refilled
 * from the buddy lists (rmqueue_bulk) and a CPU's drained back (free_pcppages_bulk) under
 * zone->lock, while the other CPUs do the same and use their lists.
 */
static void burst(struct stress *st, struct stress_cpu *sc, unsigned int cpu, uint64_t r)
{
	for (unsigned int i = 0; i < BURST_PAGES; i++) {
		struct item *it = &sc->burst[i];

		*it = (struct item){ .kind = ITEM_PAGES, .size = PAGE_SIZE };
		new_item(sc, it, (void *)__get_free_page(GFP_KERNEL), cpu);
	}
	for (unsigned int i = 0; i < BURST_PAGES; i++)
		if (sc->burst[i].kind != ITEM_NONE)
			release(st, sc, &sc->burst[i], cpu);
	ms_drain_pages(&mm_default_system, st->online[r % st->n]);
}

/* One round on CPU @cpu: the mailbox, then one slot's object freed or sent, and replaced; one
 * round in BURST_EVERY a burst of pages too. */
static void stress_round(struct stress *st, struct stress_cpu *sc, unsigned int cpu)
{
	uint64_t r = rnd(sc);
	struct item *it = &sc->held[r % HELD];

	receive(st, sc, cpu);
	if ((r >> 24) % BURST_EVERY == 0)
		burst(st, sc, cpu, r >> 32);
	if (it->kind != ITEM_NONE) {
		unsigned int to = st->online[(r >> 8) % st->n];

		if (to != cpu && (r >> 16) % 2 && send(st, to, it)) {
			sc->c.sent++;
			it->kind = ITEM_NONE;
		} else {
			release(st, sc, it, cpu);
		}
	}
	take(st, sc, it, cpu);
}

/* The stress on the CPU running it: the rounds, then everything it holds or was sent freed. */
static void stress_run(void *arg)
{
	struct stress *st = arg;
	unsigned int cpu = arch_cpu_id();
	struct stress_cpu *sc = &st->cpu[cpu];

	barrier_wait(&st->bar);
	for (unsigned int i = 0; i < st->rounds; i++)
		stress_round(st, sc, cpu);
	barrier_wait(&st->bar); /* no more sends */
	receive(st, sc, cpu);
	for (unsigned int i = 0; i < HELD; i++)
		if (sc->held[i].kind != ITEM_NONE)
			release(st, sc, &sc->held[i], cpu);
}

/* ---- the vfree'd area faults on every CPU ------------------------------------------------------
 */

static uint64_t vf_value(unsigned int round, unsigned int page)
{
	return 0x5eed000000000000ULL | (uint64_t)round << 16 | page;
}

/* Read each page of the area on this CPU: its value while it is live, a translation fault at
 * its address once it is vfree'd and purged (@freed). */
static void vf_read_pages(struct stress *st, struct stress_cpu *sc, unsigned int round, bool freed)
{
	for (unsigned int i = 0; i < VFREE_PAGES; i++) {
		vaddr_t va = (vaddr_t)st->area + i * PAGE_SIZE;
		uint64_t v = 0;
		int e = aarch64_kernel_read64(va, &v);
		struct aarch64_fault f = aarch64_last_fixup();

		if (!freed && !e && v == vf_value(round, i))
			sc->vf_reads++;
		else if (freed && e == -EFAULT && esr_fsc_type(f.esr) == ESR_ELx_FSC_FAULT &&
			 f.far == va)
			sc->vf_faults++;
		else
			sc->vf_failed++;
	}
}

/* Round @round on CPU @cpu: online[round + 1] vmallocs and fills the area, every CPU reads it,
 * online[round] vfrees and purges it, every CPU must fault on it. */
static void vfree_round(struct stress *st, struct stress_cpu *sc, unsigned int cpu,
			unsigned int round)
{
	if (cpu == st->online[(round + 1) % st->n]) {
		st->area = vmalloc(VFREE_PAGES * PAGE_SIZE);
		for (unsigned int i = 0; st->area && i < VFREE_PAGES; i++)
			st->area[i * PAGE_SIZE / 8] = vf_value(round, i);
		sc->vf_failed += !st->area;
	}
	barrier_wait(&st->bar);
	if (!st->area) {
		barrier_wait(&st->bar); /* every CPU has seen it before the next round's */
		return;
	}
	vf_read_pages(st, sc, round, false);
	barrier_wait(&st->bar);
	if (cpu == st->online[round]) {
		vfree(st->area);
		vmc_purge(&vmalloc_default);
	}
	barrier_wait(&st->bar);
	vf_read_pages(st, sc, round, true);
	barrier_wait(&st->bar); /* the area's VAs may be handed out again from here */
}

static void vfree_run(void *arg)
{
	struct stress *st = arg;
	unsigned int cpu = arch_cpu_id();

	for (unsigned int round = 0; round < st->n; round++)
		vfree_round(st, &st->cpu[cpu], cpu, round);
}

/* ---- the part ----------------------------------------------------------------------------------
 */

/* Run @fn(@st) on every online CPU, the boot CPU included; how many did not finish in time. */
static unsigned int run_everywhere(struct stress *st, void (*fn)(void *))
{
	unsigned int failed = 0;

	st->bar = (struct smp_barrier){ .n = st->n };
	for (unsigned int i = 1; i < st->n; i++)
		smp_call(st->online[i], fn, st);
	fn(st);
	for (unsigned int i = 1; i < st->n; i++) {
		if (!smp_wait(st->online[i])) {
			printk("smp: CPU%u: FAILED: still at work after %u s\n", st->online[i],
			       WORK_TIMEOUT_MS / 1000);
			failed++;
		}
	}
	return failed;
}

/* Free pages with every per-CPU list drained, every cache shrunk, the lazy areas purged. */
static unsigned long settled_free_pages(struct stress *st)
{
	struct slab_system *sys = &slab_default_system;
	struct mem_system *ms = &mm_default_system;
	unsigned long n = 0;

	for (unsigned int i = 0; i < NR_KMALLOC_CACHES; i++)
		if (sys->kmalloc_caches[i])
			kmem_cache_shrink(sys->kmalloc_caches[i]);
	kmem_cache_shrink(st->cache);
	vmc_purge(&vmalloc_default);
	ms_drain_all_pages(ms);
	for (int nid = 0; nid < ms->nr_online_nodes; nid++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			n += ms->node_data[nid].node_zones[z].nr_free_pages;
	return n;
}

/* The decimal value of @key on the command line, or @def when it is absent, 0 or not one. */
static unsigned long bootarg_ulong(const struct kernel *k, const char *key, unsigned long def)
{
	char val[24];
	unsigned long n = 0;
	const char *p = val;

	bootarg(&k->machine, key, val, sizeof(val));
	for (; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned long)(*p - '0');
	return n && !*p ? n : def;
}

/* CPU @cpu's counts, printed and added to @sum. */
static void report_cpu(const struct stress *st, unsigned int cpu, struct stress_counts *sum)
{
	const struct stress_counts *c = &st->cpu[cpu].c;

	printk("smp: CPU%u: allocated %lu pages, %lu kmalloc, %lu cache, %lu vmalloc; freed "
	       "%lu/%lu/%lu/%lu; sent %lu to other CPUs, freed %lu of theirs; %lu failed\n",
	       cpu, c->allocs[ITEM_PAGES], c->allocs[ITEM_KMALLOC], c->allocs[ITEM_CACHE],
	       c->allocs[ITEM_VMALLOC], c->frees[ITEM_PAGES], c->frees[ITEM_KMALLOC],
	       c->frees[ITEM_CACHE], c->frees[ITEM_VMALLOC], c->sent, c->received, c->failed);
	for (int kd = ITEM_PAGES; kd < NR_ITEM_KINDS; kd++) {
		sum->allocs[kd] += c->allocs[kd];
		sum->frees[kd] += c->frees[kd];
	}
	sum->sent += c->sent;
	sum->received += c->received;
	sum->failed += c->failed;
}

/* Each CPU's counts; the sums must agree (everything allocated freed once, everything sent
 * freed by another CPU). Returns the failures. */
static unsigned int report_stress(struct stress *st)
{
	struct stress_counts sum = { 0 };
	unsigned int failed;

	for (unsigned int i = 0; i < st->n; i++)
		report_cpu(st, st->online[i], &sum);
	failed = (unsigned int)sum.failed;
	for (int kd = ITEM_PAGES; kd < NR_ITEM_KINDS; kd++) {
		if (sum.allocs[kd] != sum.frees[kd]) {
			printk("smp: FAILED: %lu %s allocated, %lu freed\n", sum.allocs[kd],
			       item_names[kd], sum.frees[kd]);
			failed++;
		}
	}
	if (sum.sent != sum.received) {
		printk("smp: FAILED: %lu objects sent, %lu freed by another CPU\n", sum.sent,
		       sum.received);
		failed++;
	}
	return failed;
}

/* The vfree check's counts: each CPU read each page of every round's area, then faulted. */
static unsigned int report_vfree(struct stress *st)
{
	unsigned long want = (unsigned long)st->n * VFREE_PAGES, reads = 0, faults = 0, bad = 0;

	for (unsigned int i = 0; i < st->n; i++) {
		const struct stress_cpu *sc = &st->cpu[st->online[i]];

		reads += sc->vf_reads;
		faults += sc->vf_faults;
		bad += sc->vf_failed;
		if (sc->vf_reads != want || sc->vf_faults != want)
			printk("smp: CPU%u: FAILED: %lu of %lu reads of live areas, %lu of %lu "
			       "faults on vfree'd ones\n",
			       st->online[i], sc->vf_reads, want, sc->vf_faults, want);
	}
	printk("smp: vfree: %u areas of %u pages, each vmalloc'd on one CPU, read on all, vfree'd "
	       "and purged on another: %lu reads before, %lu translation faults after, %lu "
	       "wrong\n",
	       st->n, VFREE_PAGES, reads, faults, bad);
	return reads == want * st->n && faults == want * st->n && !bad ? 0 : 1;
}

/* What the stress must leave as it found: free pages (settled), vmalloc's area node pages
 * (which it keeps: more nodes take pages from the free ones), the bad-page and slab reports. */
struct baseline {
	unsigned long free, nodes, bad, reports;
};

static void take_baseline(struct stress *st, struct baseline *b)
{
	b->free = settled_free_pages(st);
	b->nodes = vmalloc_default.node_pages;
	b->bad = mm_default_system.nr_bad_pages;
	b->reports = slab_default_system.nr_reports;
}

/* The checkers, and the free pages and reports against @b. */
static unsigned int check_after(struct stress *st, const struct baseline *b)
{
	unsigned long free = settled_free_pages(st), nodes = vmalloc_default.node_pages - b->nodes;
	const char *checks[3];
	unsigned int failed = 0;

	checks[0] = ms_page_alloc_check(&mm_default_system) ? "FAILED" : "ok";
	checks[1] = ss_slab_check(&slab_default_system) ? "FAILED" : "ok";
	checks[2] = vmalloc_check(&vmalloc_default) ? "FAILED" : "ok";
	for (int i = 0; i < 3; i++)
		failed += checks[i][0] == 'F';
	printk("smp: checkers: page allocator %s, slab %s, vmalloc %s; free pages %lu before, %lu "
	       "after (%lu taken by vmalloc's area nodes)\n",
	       checks[0], checks[1], checks[2], b->free, free, nodes);
	if (free + nodes != b->free) {
		printk("smp: FAILED: %ld pages not given back\n", (long)(b->free - free - nodes));
		failed++;
	}
	if (mm_default_system.nr_bad_pages != b->bad ||
	    slab_default_system.nr_reports != b->reports) {
		printk("smp: FAILED: %lu bad pages, %lu slab reports\n",
		       mm_default_system.nr_bad_pages - b->bad,
		       slab_default_system.nr_reports - b->reports);
		failed++;
	}
	return failed;
}

/* The stress's state for the @n CPUs of @online, its cache created; whether it could be. */
static bool stress_init(struct stress *st, struct kernel *k, const unsigned int *online,
			unsigned int n, unsigned long seed)
{
	*st = (struct stress){
		.n = n, .rounds = (unsigned int)bootarg_ulong(k, "kmm.smp.rounds", STRESS_ROUNDS)
	};
	for (unsigned int i = 0; i < n; i++) {
		st->online[i] = online[i];
		st->cpu[online[i]].rng = (seed + 1) * 0x9e3779b97f4a7c15ULL ^ (online[i] + 1);
	}
	st->cache = kmem_cache_create("smp-stress", STRESS_CACHE_SIZE, 0, 0, NULL);
	if (!st->cache)
		printk("smp: FAILED: kmem_cache_create\n");
	return st->cache != NULL;
}

/* The stress and the vfree check on the @n CPUs of @online; the failures. */
static unsigned int stress_all(struct kernel *k, const unsigned int *online, unsigned int n)
{
	struct stress *st = &stress;
	unsigned long seed = bootarg_ulong(k, "kmm.seed", 1), t0;
	struct baseline before;
	unsigned int failed;

	if (!stress_init(st, k, online, n, seed))
		return 1;
	take_baseline(st, &before);
	t0 = kernel_uptime_ms(k);
	failed = run_everywhere(st, stress_run);
	printk("smp: stress: %u CPUs x %u rounds (seed %lu) in %lu ms\n", n, st->rounds, seed,
	       kernel_uptime_ms(k) - t0);
	failed += report_stress(st);
	if (!failed) {
		failed += run_everywhere(st, vfree_run);
		failed += report_vfree(st);
	}
	failed += check_after(st, &before);
	if (kmem_cache_destroy(st->cache)) {
		printk("smp: FAILED: kmem_cache_destroy\n");
		failed++;
	}
	return failed;
}

unsigned int kernel_smp(struct kernel *k)
{
	unsigned int online[QEMU_CPUS_MAX], failed = 0, n;
	unsigned long t0 = kernel_uptime_ms(k);

	n = cpus_up(k, online, &failed);
	report_up(k, online, n);
	failed += stress_all(k, online, n);
	failed += cpus_down(online, n);
	printk("smp: %u of %u CPUs online, %u failed checks, in %lu ms\n", n, k->machine.ncpus,
	       failed, kernel_uptime_ms(k) - t0);
	return failed;
}

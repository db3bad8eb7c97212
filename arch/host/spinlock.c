// SPDX-License-Identifier: MIT
/*
 * The hosted locks and interrupt mask of the arch interface (see <kmm/arch.h>). The simulated
 * CPUs take turns on one host thread and switch only between kernel calls (host_set_cpu), so
 * no lock is ever waited for: a spinlock's word is 1 while held, and one found held when taken
 * could only be released by code that will never run again. That deadlock, a recursive take and
 * a release by a CPU that is not the holder are kernel bugs: each is reported with the lock's
 * site and its holder's, then BUG.
 */
#include "host.h"

#include <kmm/bug.h>
#include <kmm/mmzone.h>

/* Each simulated CPU's interrupt mask (PSTATE.I): true when masked. */
static bool irqs_masked[NR_CPUS];

/* This CPU as the locks record it: its number + 1. */
static uint32_t cpu_tag(void)
{
	unsigned int cpu = host_current_cpu;

	BUG_ON(cpu >= NR_CPUS);
	return cpu + 1;
}

/* Report a misuse of a lock by this CPU at @site, the lock held by @holder (a CPU + 1, or 0)
 * since @held_at, and stop. */
__attribute__((noreturn)) static void lock_bug(const char *what, const char *site, uint32_t holder,
					       const char *held_at)
{
	printk("BUG: %s: %s on CPU %u\n", what, site, host_current_cpu);
	if (holder)
		printk("  held by CPU %u since %s\n", holder - 1, held_at);
	else
		printk("  not held\n");
	BUG();
}

/* What taking a lock held by @holder would be for this CPU (@me). */
static const char *held_reason(uint32_t holder, uint32_t me)
{
	return holder == me ? "lock recursion" : "deadlock (lock held)";
}

/* The spinlock operations, inlined into each entry point (the irqsave pair is on every fast
 * path of the allocators). */
static inline bool spin_take(arch_spinlock_t *lock, const char *site, uint32_t me)
{
	if (lock->lock) {
		if (lock->owner == me)
			lock_bug("lock recursion", site, me, lock->site);
		return false;
	}
	lock->lock = 1;
	lock->owner = me;
	lock->site = site;
	return true;
}

static inline void spin_acquire(arch_spinlock_t *lock, const char *site, uint32_t me)
{
	if (!spin_take(lock, site, me))
		lock_bug(held_reason(lock->owner, me), site, lock->owner, lock->site);
}

static inline void spin_release(arch_spinlock_t *lock, const char *site, uint32_t me)
{
	if (!lock->lock || lock->owner != me)
		lock_bug("unlock of a lock this CPU does not hold", site, lock->owner, lock->site);
	lock->owner = 0;
	lock->lock = 0;
}

bool arch_spin_trylock(arch_spinlock_t *lock, const char *site)
{
	return spin_take(lock, site, cpu_tag());
}

void arch_spin_lock(arch_spinlock_t *lock, const char *site)
{
	spin_acquire(lock, site, cpu_tag());
}

void arch_spin_unlock(arch_spinlock_t *lock, const char *site)
{
	spin_release(lock, site, cpu_tag());
}

void arch_read_lock(arch_rwlock_t *rw, const char *site)
{
	if (rw->lock & ARCH_RW_WRITER)
		lock_bug(held_reason(rw->writer, cpu_tag()), site, rw->writer, rw->site);
	rw->lock++;
}

void arch_read_unlock(arch_rwlock_t *rw, const char *site)
{
	if (!rw->lock || (rw->lock & ARCH_RW_WRITER))
		lock_bug("read unlock of a lock not held for reading", site, rw->writer, rw->site);
	rw->lock--;
}

void arch_write_lock(arch_rwlock_t *rw, const char *site)
{
	if (rw->lock & ARCH_RW_WRITER)
		lock_bug(held_reason(rw->writer, cpu_tag()), site, rw->writer, rw->site);
	if (rw->lock) {
		printk("BUG: deadlock (lock held by %u readers): %s on CPU %u\n", rw->lock, site,
		       host_current_cpu);
		BUG();
	}
	rw->lock = ARCH_RW_WRITER;
	rw->writer = cpu_tag();
	rw->site = site;
}

void arch_write_unlock(arch_rwlock_t *rw, const char *site)
{
	if (rw->lock != ARCH_RW_WRITER || rw->writer != cpu_tag())
		lock_bug("write unlock of a lock this CPU does not hold for writing", site,
			 rw->writer, rw->site);
	rw->writer = 0;
	rw->lock = 0;
}

unsigned long arch_local_irq_save(void)
{
	unsigned int cpu = cpu_tag() - 1;
	unsigned long flags = irqs_masked[cpu];

	irqs_masked[cpu] = true;
	return flags;
}

void arch_local_irq_restore(unsigned long flags)
{
	irqs_masked[cpu_tag() - 1] = flags != 0;
}

bool arch_irqs_disabled(void)
{
	return irqs_masked[cpu_tag() - 1];
}

unsigned long arch_spin_lock_irqsave(arch_spinlock_t *lock, const char *site)
{
	uint32_t me = cpu_tag();
	unsigned long flags = irqs_masked[me - 1];

	irqs_masked[me - 1] = true;
	spin_acquire(lock, site, me);
	return flags;
}

void arch_spin_unlock_irqrestore(arch_spinlock_t *lock, unsigned long flags, const char *site)
{
	uint32_t me = cpu_tag();

	spin_release(lock, site, me);
	irqs_masked[me - 1] = flags != 0;
}

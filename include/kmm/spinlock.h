/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks, reader-writer spinlocks and the local interrupt mask for generic code, as Linux's
 * <linux/spinlock.h> and <linux/irqflags.h>, over the arch interface's locks (<kmm/arch.h>).
 *
 * A spinlock_t protects data every CPU may change; spin_lock_irqsave takes it with this CPU's
 * interrupts masked, as Linux does for any lock an interrupt handler may also take. Per-CPU data
 * that only its own CPU changes needs local_irq_save alone. A rwlock_t is shared by readers and
 * exclusive to one writer. None of them sleeps, so no code may wait for anything but a lock
 * while it holds one, and no lock may be held across a call that takes it again.
 *
 * Every call passes its site, the lock expression and the file:line ("&zone->lock at
 * mm/page_alloc.c:123"), which the backends record for their reports (recursion, a release by a
 * CPU that does not hold the lock and, hosted, any deadlock). A zeroed lock is unlocked.
 *
 * READ_ONCE and WRITE_ONCE are for the fields read without the lock that protects their writes
 * (statistics, a value checked again under the lock): one access each, never torn or repeated
 * by the compiler (Linux's <asm-generic/rwonce.h>).
 */
#ifndef KMM_SPINLOCK_H
#define KMM_SPINLOCK_H

#include <kmm/arch.h>
#include <kmm/bug.h>

#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

typedef struct spinlock {
	arch_spinlock_t raw;
} spinlock_t;

typedef struct rwlock {
	arch_rwlock_t raw;
} rwlock_t;

#define LOCK_SITE(l) #l " at " KMM_CALLSITE

/* Make @l an unlocked lock (a zeroed one is already). */
#define spin_lock_init(l) (*(l) = (spinlock_t){ { 0 } })

#define spin_lock(l) arch_spin_lock(&(l)->raw, LOCK_SITE(l))
#define spin_trylock(l) arch_spin_trylock(&(l)->raw, LOCK_SITE(l))
#define spin_unlock(l) arch_spin_unlock(&(l)->raw, LOCK_SITE(l))

#define local_irq_save(flags) ((flags) = arch_local_irq_save())
#define local_irq_restore(flags) arch_local_irq_restore(flags)

#define spin_lock_irqsave(l, flags) ((flags) = arch_spin_lock_irqsave(&(l)->raw, LOCK_SITE(l)))
#define spin_unlock_irqrestore(l, flags) arch_spin_unlock_irqrestore(&(l)->raw, flags, LOCK_SITE(l))

#define read_lock(l) arch_read_lock(&(l)->raw, LOCK_SITE(l))
#define read_unlock(l) arch_read_unlock(&(l)->raw, LOCK_SITE(l))
#define write_lock(l) arch_write_lock(&(l)->raw, LOCK_SITE(l))
#define write_unlock(l) arch_write_unlock(&(l)->raw, LOCK_SITE(l))

/* This CPU holds @l (Linux's lockdep_is_held, exact without lockdep: see arch.h's @owner). */
static inline bool spin_is_held(const spinlock_t *l)
{
	return READ_ONCE(l->raw.owner) == arch_cpu_id() + 1;
}

/* @l is held, for reading or writing, by any CPU (Linux's rwsem_is_locked). */
static inline bool rwlock_is_locked(const rwlock_t *l)
{
	return READ_ONCE(l->raw.lock) != 0;
}

/* This CPU holds @l for writing. */
static inline bool rwlock_is_write_held(const rwlock_t *l)
{
	return READ_ONCE(l->raw.writer) == arch_cpu_id() + 1;
}

/* Linux's lockdep_assert_held and lockdep_assert_irqs_disabled, always checked. */
#define lockdep_assert_held(l) BUG_ON(!spin_is_held(l))
#define lockdep_assert_irqs_disabled() BUG_ON(!arch_irqs_disabled())

#endif /* KMM_SPINLOCK_H */

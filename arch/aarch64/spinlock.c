// SPDX-License-Identifier: MIT
/*
 * The bare-metal locks and interrupt mask of the arch interface (see <kmm/arch.h>), for ARMv8.0
 * CPUs such as the Cortex-A53 and A72, which have no LSE atomics: every read-modify-write is a
 * Load-Exclusive/Store-Exclusive pair retried until the store succeeds (ARM ARM (DDI 0487) B2.9
 * "Synchronization and semaphores"). Each pair sits in one asm statement, as no explicit memory
 * access may come between the two (a compiler spill there could clear the monitor and make the
 * Store-Exclusive fail each time).
 *
 * Waiting is WFE: a waiter's last Load-Exclusive left the lock word marked in its exclusive
 * monitor, and the holder's release store to that word clears the mark, which sends the waiter
 * an event (D1.6 "Wait for Event mechanism and Send event"). SEVL first sets the waiter's own
 * event register so that its first WFE falls through to the first read. Acquire and release
 * are the LDAXR/STLR forms (B2.3 "Definition of the Armv8 memory model").
 *
 * Exclusives need the lock in Normal Cacheable memory: no lock may be taken before the MMU and
 * data cache are on. Little-endian: a spinlock's served ticket is the halfword at its address.
 */
#include <kmm/arch.h>
#include <kmm/bug.h>
#include <kmm/spinlock.h>

#define TICKET_NEXT 0x10000u /* one ticket, in the next-ticket half of the word */
#define DAIF_I (1ul << 7)    /* PSTATE.I in the DAIF register */

/* This CPU as the lock words record it: its number + 1. */
static uint32_t cpu_tag(void)
{
	return arch_cpu_id() + 1;
}

/* Report a misuse of a lock held (@holder, a CPU + 1, or 0) since @held_at and stop. */
__attribute__((noreturn)) static void lock_bug(const char *what, const char *site, uint32_t holder,
					       const char *held_at)
{
	printk("BUG: %s: %s on CPU %u\n", what, site, arch_cpu_id());
	if (holder)
		printk("  held by CPU %u since %s\n", holder - 1, held_at);
	else
		printk("  not held\n");
	BUG();
}

/* Only this CPU writes its own number as a holder, and clears it before releasing: reading it
 * means this CPU holds the lock, and taking it again would wait for ever. */
static void check_recursion(uint32_t holder, const char *site, const char *held_at)
{
	if (holder == cpu_tag())
		lock_bug("lock recursion", site, holder, held_at);
}

static void spin_acquired(arch_spinlock_t *lock, const char *site)
{
	WRITE_ONCE(lock->owner, cpu_tag());
	lock->site = site;
}

void arch_spin_lock(arch_spinlock_t *lock, const char *site)
{
	uint32_t old, next, tmp, served;

	check_recursion(READ_ONCE(lock->owner), site, lock->site);
	/* Take the next ticket; unless it is the one served, wait for it to be. */
	asm volatile("	prfm	pstl1strm, %[lock]\n"
		     "1:	ldaxr	%w[old], %[lock]\n"
		     "	add	%w[next], %w[old], %w[one]\n"
		     "	stxr	%w[tmp], %w[next], %[lock]\n"
		     "	cbnz	%w[tmp], 1b\n"
		     "	eor	%w[tmp], %w[old], %w[old], ror #16\n"
		     "	cbz	%w[tmp], 3f\n"
		     "	sevl\n"
		     "2:	wfe\n"
		     "	ldaxrh	%w[served], %[lock]\n"
		     "	eor	%w[tmp], %w[served], %w[old], lsr #16\n"
		     "	cbnz	%w[tmp], 2b\n"
		     "3:\n"
		     : [old] "=&r"(old), [next] "=&r"(next), [tmp] "=&r"(tmp),
		       [served] "=&r"(served), [lock] "+Q"(lock->lock)
		     : [one] "r"(TICKET_NEXT)
		     : "memory");
	spin_acquired(lock, site);
}

bool arch_spin_trylock(arch_spinlock_t *lock, const char *site)
{
	uint32_t old, tmp;

	check_recursion(READ_ONCE(lock->owner), site, lock->site);
	/* A ticket only when it would be served at once: tmp ends 0 exactly then. */
	asm volatile("1:	ldaxr	%w[old], %[lock]\n"
		     "	eor	%w[tmp], %w[old], %w[old], ror #16\n"
		     "	cbnz	%w[tmp], 2f\n"
		     "	add	%w[old], %w[old], %w[one]\n"
		     "	stxr	%w[tmp], %w[old], %[lock]\n"
		     "	cbnz	%w[tmp], 1b\n"
		     "2:\n"
		     : [old] "=&r"(old), [tmp] "=&r"(tmp), [lock] "+Q"(lock->lock)
		     : [one] "r"(TICKET_NEXT)
		     : "memory");
	if (tmp)
		return false;
	spin_acquired(lock, site);
	return true;
}

void arch_spin_unlock(arch_spinlock_t *lock, const char *site)
{
	uint32_t served;

	if (READ_ONCE(lock->owner) != cpu_tag())
		lock_bug("unlock of a lock this CPU does not hold", site, READ_ONCE(lock->owner),
			 lock->site);
	WRITE_ONCE(lock->owner, 0);
	/* Only the holder writes the served half: serve the next ticket with a release. */
	asm volatile("	ldrh	%w[served], %[lock]\n"
		     "	add	%w[served], %w[served], #1\n"
		     "	stlrh	%w[served], %[lock]\n"
		     : [served] "=&r"(served), [lock] "+Q"(lock->lock)
		     :
		     : "memory");
}

void arch_read_lock(arch_rwlock_t *rw, const char *site)
{
	uint32_t val, tmp;

	check_recursion(READ_ONCE(rw->writer), site, rw->site);
	/* Wait while a writer holds it, then count one reader more. */
	asm volatile("	prfm	pstl1strm, %[lock]\n"
		     "	sevl\n"
		     "1:	wfe\n"
		     "2:	ldaxr	%w[val], %[lock]\n"
		     "	tbnz	%w[val], #31, 1b\n"
		     "	add	%w[val], %w[val], #1\n"
		     "	stxr	%w[tmp], %w[val], %[lock]\n"
		     "	cbnz	%w[tmp], 2b\n"
		     : [val] "=&r"(val), [tmp] "=&r"(tmp), [lock] "+Q"(rw->lock)
		     :
		     : "memory");
}

void arch_read_unlock(arch_rwlock_t *rw, const char *site)
{
	uint32_t val = READ_ONCE(rw->lock), tmp;

	if (!val || (val & ARCH_RW_WRITER))
		lock_bug("read unlock of a lock not held for reading", site, READ_ONCE(rw->writer),
			 rw->site);
	asm volatile("1:	ldxr	%w[val], %[lock]\n"
		     "	sub	%w[val], %w[val], #1\n"
		     "	stlxr	%w[tmp], %w[val], %[lock]\n"
		     "	cbnz	%w[tmp], 1b\n"
		     : [val] "=&r"(val), [tmp] "=&r"(tmp), [lock] "+Q"(rw->lock)
		     :
		     : "memory");
}

void arch_write_lock(arch_rwlock_t *rw, const char *site)
{
	uint32_t val, tmp;

	check_recursion(READ_ONCE(rw->writer), site, rw->site);
	/* Wait until neither a reader nor a writer holds it, then mark it written. */
	asm volatile("	prfm	pstl1strm, %[lock]\n"
		     "	sevl\n"
		     "1:	wfe\n"
		     "2:	ldaxr	%w[val], %[lock]\n"
		     "	cbnz	%w[val], 1b\n"
		     "	stxr	%w[tmp], %w[writer], %[lock]\n"
		     "	cbnz	%w[tmp], 2b\n"
		     : [val] "=&r"(val), [tmp] "=&r"(tmp), [lock] "+Q"(rw->lock)
		     : [writer] "r"(ARCH_RW_WRITER)
		     : "memory");
	WRITE_ONCE(rw->writer, cpu_tag());
	rw->site = site;
}

void arch_write_unlock(arch_rwlock_t *rw, const char *site)
{
	if (READ_ONCE(rw->writer) != cpu_tag())
		lock_bug("write unlock of a lock this CPU does not hold for writing", site,
			 READ_ONCE(rw->writer), rw->site);
	WRITE_ONCE(rw->writer, 0);
	asm volatile("	stlr	wzr, %[lock]\n" : [lock] "=Q"(rw->lock) : : "memory");
}

/* DAIFSet #3 masks IRQ and FIQ (ARM ARM (DDI 0487) C5.2 "Special-purpose registers": DAIF). */
unsigned long arch_local_irq_save(void)
{
	unsigned long flags;

	asm volatile("	mrs	%0, daif\n"
		     "	msr	daifset, #3\n"
		     : "=r"(flags)
		     :
		     : "memory");
	return flags;
}

void arch_local_irq_restore(unsigned long flags)
{
	asm volatile("	msr	daif, %0\n" : : "r"(flags) : "memory");
}

bool arch_irqs_disabled(void)
{
	unsigned long flags;

	asm volatile("	mrs	%0, daif\n" : "=r"(flags));
	return flags & DAIF_I;
}

unsigned long arch_spin_lock_irqsave(arch_spinlock_t *lock, const char *site)
{
	unsigned long flags = arch_local_irq_save();

	arch_spin_lock(lock, site);
	return flags;
}

void arch_spin_unlock_irqrestore(arch_spinlock_t *lock, unsigned long flags, const char *site)
{
	arch_spin_unlock(lock, site);
	arch_local_irq_restore(flags);
}

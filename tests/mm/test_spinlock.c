// SPDX-License-Identifier: MIT
/*
 * The locks (<kmm/spinlock.h> over the hosted backend, arch/host/spinlock.c):
 *   - misuse is a BUG naming the lock's site and its holder's: a recursive take, a release by a
 *     CPU that does not hold the lock, a take of a lock another CPU holds (a deadlock when the
 *     CPUs take turns on one thread), unbalanced rwlock releases, a write assert of the mmap
 *     lock held for reading. BUG stops the machine (arch_halt aborts), so each case runs in a
 *     child process whose console is captured;
 *   - trylock, the holder record, readers sharing a rwlock, the per-CPU interrupt mask.
 * The mm code under the locks, with CPUs interleaved: test_lock_interleave.c.
 */
#include "arch/host/host.h"

#include <kmm/mm_struct.h>
#include <kmm/spinlock.h>

#include "../ktest/ktest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- misuse: BUG in a child process ------------------------------------------------------- */

#define OUT_MAX 4096

/* Run @fn in a child process with the console going to a pipe; true when it stopped by BUG
 * (its report, then a signal: arch_halt aborts) having printed every string of @expect
 * (NULL-terminated). */
static bool dies_saying(struct ktest *kt, const char *name, void (*fn)(void),
			const char *const *expect)
{
	char out[OUT_MAX];
	size_t len = 0;
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;
	bool ok;

	if (!KT_EXPECT_EQ(kt, pipe(fds), 0))
		return false;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		FILE *f = fdopen(fds[1], "w");

		close(fds[0]);
		setvbuf(f, NULL, _IONBF, 0);
		host_console_set(f);
		fn();
		_exit(0);
	}
	close(fds[1]);
	while (pid > 0 && (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	if (!KT_EXPECT_GT(kt, pid, 0) || !KT_EXPECT_EQ(kt, waitpid(pid, &status, 0), pid))
		return false;
	ok = WIFSIGNALED(status) && strstr(out, "kernel BUG at ");
	for (const char *const *e = expect; ok && *e; e++)
		ok = strstr(out, *e) != NULL;
	if (!KT_EXPECT_TRUE(kt, ok)) {
		ktest_log(kt, "%s: status %#x, printed:", name, status);
		for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"))
			ktest_log(kt, "  %s", line);
	}
	return ok;
}

static spinlock_t lock_a;
static rwlock_t rw_a;

static void spin_recursion(void)
{
	spin_lock(&lock_a);
	spin_lock(&lock_a);
}

static void spin_trylock_recursion(void)
{
	spin_lock(&lock_a);
	spin_trylock(&lock_a);
}

static void spin_foreign_unlock(void)
{
	spin_lock(&lock_a);
	host_set_cpu(1);
	spin_unlock(&lock_a);
}

static void spin_unlock_free(void)
{
	spin_unlock(&lock_a);
}

static void spin_deadlock(void)
{
	unsigned long flags;

	spin_lock(&lock_a);
	host_set_cpu(2);
	spin_lock_irqsave(&lock_a, flags);
	spin_unlock_irqrestore(&lock_a, flags); /* not reached */
}

static void write_while_read(void)
{
	read_lock(&rw_a);
	write_lock(&rw_a);
}

static void read_while_writing(void)
{
	write_lock(&rw_a);
	read_lock(&rw_a);
}

static void write_while_other_writes(void)
{
	write_lock(&rw_a);
	host_set_cpu(3);
	write_lock(&rw_a);
}

static void foreign_write_unlock(void)
{
	write_lock(&rw_a);
	host_set_cpu(1);
	write_unlock(&rw_a);
}

static void read_unlock_free(void)
{
	read_unlock(&rw_a);
}

static void mmap_write_assert_when_read(void)
{
	static struct mm_struct mm;

	mmap_read_lock(&mm);
	mmap_assert_write_locked(&mm);
}

#define SITE "at tests/mm/test_spinlock.c:"

struct misuse {
	const char *name;
	void (*fn)(void);
	const char *expect[5]; /* NULL-terminated */
};

static const struct misuse misuses[] = {
	{ "recursion",
	  spin_recursion,
	  { "BUG: lock recursion: &lock_a " SITE, "on CPU 0",
	    "held by CPU 0 since &lock_a " SITE } },
	{ "trylock recursion",
	  spin_trylock_recursion,
	  { "BUG: lock recursion: &lock_a " SITE, "held by CPU 0 since &lock_a " SITE } },
	{ "unlock by another CPU",
	  spin_foreign_unlock,
	  { "BUG: unlock of a lock this CPU does not hold: &lock_a " SITE, "on CPU 1",
	    "held by CPU 0 since &lock_a " SITE } },
	{ "unlock of a free lock",
	  spin_unlock_free,
	  { "BUG: unlock of a lock this CPU does not hold: &lock_a " SITE, "not held" } },
	{ "deadlock",
	  spin_deadlock,
	  { "BUG: deadlock (lock held): &lock_a " SITE, "on CPU 2",
	    "held by CPU 0 since &lock_a " SITE, "kernel BUG at arch/host/spinlock.c" } },
	{ "write lock while read",
	  write_while_read,
	  { "BUG: deadlock (lock held by 1 readers): &rw_a " SITE } },
	{ "read lock while writing",
	  read_while_writing,
	  { "BUG: lock recursion: &rw_a " SITE, "held by CPU 0 since &rw_a " SITE } },
	{ "write lock while another CPU writes",
	  write_while_other_writes,
	  { "BUG: deadlock (lock held): &rw_a " SITE, "on CPU 3", "held by CPU 0" } },
	{ "write unlock by another CPU",
	  foreign_write_unlock,
	  { "BUG: write unlock of a lock this CPU does not hold for writing: &rw_a " SITE,
	    "held by CPU 0 since &rw_a " SITE } },
	{ "read unlock of a free lock",
	  read_unlock_free,
	  { "BUG: read unlock of a lock not held for reading: &rw_a " SITE, "not held" } },
	{ "mmap write assert, read held",
	  mmap_write_assert_when_read,
	  { "kernel BUG at include/kmm/mm_struct.h" } },
};

KTEST(spinlock, misuse_is_a_bug)
{
	for (size_t i = 0; i < ARRAY_SIZE(misuses); i++)
		dies_saying(kt, misuses[i].name, misuses[i].fn, misuses[i].expect);
}

/* ---- the lock operations ------------------------------------------------------------------ */

KTEST(spinlock, trylock_and_holder)
{
	spinlock_t l = { { 0 } };

	host_set_cpu(0);
	KT_ASSERT_TRUE(kt, spin_trylock(&l));
	KT_EXPECT_TRUE(kt, spin_is_held(&l));
	KT_EXPECT_NOT_NULL(kt, strstr(l.raw.site, "&l " SITE));
	host_set_cpu(1);
	KT_EXPECT_FALSE(kt, spin_is_held(&l));
	KT_EXPECT_FALSE(kt, spin_trylock(&l));
	host_set_cpu(0);
	spin_unlock(&l);
	KT_EXPECT_FALSE(kt, spin_is_held(&l));
	KT_EXPECT_EQ(kt, l.raw.lock, 0u);
	host_set_cpu(1);
	spin_lock(&l);
	KT_EXPECT_TRUE(kt, spin_is_held(&l));
	KT_EXPECT_EQ(kt, l.raw.owner, 2u);
	spin_unlock(&l);
	KT_EXPECT_EQ(kt, l.raw.owner, 0u);
	host_set_cpu(0);
}

/* local_irq_save nests, each CPU has its own mask, spin_lock_irqsave masks while held. */
KTEST(spinlock, irq_mask_per_cpu)
{
	spinlock_t l = { { 0 } };
	unsigned long outer, inner;

	host_set_cpu(0);
	KT_ASSERT_FALSE(kt, arch_irqs_disabled());
	local_irq_save(outer);
	KT_EXPECT_TRUE(kt, arch_irqs_disabled());
	local_irq_save(inner);
	host_set_cpu(1);
	KT_EXPECT_FALSE(kt, arch_irqs_disabled());
	host_set_cpu(0);
	local_irq_restore(inner);
	KT_EXPECT_TRUE(kt, arch_irqs_disabled());
	local_irq_restore(outer);
	KT_EXPECT_FALSE(kt, arch_irqs_disabled());
	spin_lock_irqsave(&l, outer);
	KT_EXPECT_TRUE(kt, arch_irqs_disabled() && spin_is_held(&l));
	spin_unlock_irqrestore(&l, outer);
	KT_EXPECT_FALSE(kt, arch_irqs_disabled() || spin_is_held(&l));
}

KTEST(spinlock, readers_share_writer_excludes)
{
	rwlock_t rw = { { 0 } };

	host_set_cpu(0);
	read_lock(&rw);
	read_lock(&rw); /* readers may nest: they never wait for a writer */
	host_set_cpu(1);
	read_lock(&rw);
	KT_EXPECT_EQ(kt, rw.raw.lock, 3u);
	KT_EXPECT_TRUE(kt, rwlock_is_locked(&rw) && !rwlock_is_write_held(&rw));
	read_unlock(&rw);
	host_set_cpu(0);
	read_unlock(&rw);
	read_unlock(&rw);
	KT_EXPECT_FALSE(kt, rwlock_is_locked(&rw));
	host_set_cpu(1);
	write_lock(&rw);
	KT_EXPECT_TRUE(kt, rwlock_is_write_held(&rw));
	host_set_cpu(0);
	KT_EXPECT_TRUE(kt, rwlock_is_locked(&rw) && !rwlock_is_write_held(&rw));
	host_set_cpu(1);
	write_unlock(&rw);
	KT_EXPECT_EQ(kt, rw.raw.lock, 0u);
	KT_EXPECT_EQ(kt, rw.raw.writer, 0u);
	host_set_cpu(0);
}

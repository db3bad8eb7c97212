// SPDX-License-Identifier: MIT
/* Simulated processes' memory accesses on simulated CPUs; see process.h. */
#include "process.h"

#include "arch/host/host.h"

#include <aarch64/sysreg.h>
#include <kmm/arch.h>
#include <kmm/printk.h>

/* Faults in a row at one address after which the kernel is not making progress (a correct one
 * needs at most two: an access-flag or translation fault, then a permission fault). */
#define FAULTS_PER_ADDRESS 4

void sim_task_switch(struct task_struct *t, unsigned int cpu)
{
	struct hw_cpu *c = &host_machine()->cpus[cpu];
	bool flush;
	uint64_t ttbr0;

	host_set_cpu(cpu);
	c->el = 1;
	ttbr0 = switch_mm(&asid_default, cpu, t->mm, &flush);
	arch_switch_ttbr0(ttbr0, flush);
	c->el = 0;
}

/* @cpu, running @t at EL0: switched to it unless it runs @t's tables with @t's ASID already. */
static struct hw_cpu *enter(struct task_struct *t, unsigned int cpu)
{
	struct hw_cpu *c = &host_machine()->cpus[cpu];
	struct mm_struct *mm = t->mm;

	host_set_cpu(cpu);
	if (!mm->context_id || c->regs.ttbr0 != ttbr_make(mm->pgd.root, mm_asid(mm), false))
		sim_task_switch(t, cpu);
	c->el = 0;
	return c;
}

/* One user access: a read into @rd, a write from @wr, or an instruction fetch (both NULL). */
struct user_access {
	vaddr_t va;
	void *rd;
	const void *wr;
	size_t len;
	enum mmu_access acc;
};

static enum mmu_fault access_once(struct hw_cpu *c, const struct user_access *a, size_t done,
				  struct hw_access *res)
{
	vaddr_t va = a->va + done;

	if (a->acc == MMU_EXEC)
		return hw_cpu_translate(c, va, MMU_EXEC, res);
	if (a->acc == MMU_WRITE)
		return hw_cpu_write(c, va, (const uint8_t *)a->wr + done, a->len - done, res);
	return hw_cpu_read(c, va, (uint8_t *)a->rd + done, a->len - done, res);
}

/* The fault of @res goes to the kernel, as an abort taken to EL1: 0 to retry, or a signal. */
static int take_fault(struct task_struct *t, struct hw_cpu *c, const struct hw_access *res,
		      enum mmu_access acc, struct ksiginfo *info)
{
	uint64_t esr = hw_access_esr(c, res, acc);
	int sig;

	c->el = 1;
	sig = do_page_fault(t->mm, res->va, esr, info);
	c->el = 0;
	if (sig)
		t->signal = *info;
	return sig;
}

static int user_access(struct task_struct *t, unsigned int cpu, const struct user_access *a,
		       struct ksiginfo *info)
{
	struct hw_cpu *c = enter(t, cpu);
	vaddr_t last = 0;
	unsigned int faults = 0;
	size_t done = 0;

	for (;;) {
		struct hw_access res;
		int sig;

		if (access_once(c, a, done, &res) == MMU_FAULT_NONE)
			return 0;
		done = a->acc == MMU_EXEC ? 0 : (size_t)(res.va - a->va);
		faults = res.va == last ? faults + 1 : 1;
		last = res.va;
		if (faults > FAULTS_PER_ADDRESS) {
			printk("kmm-sim: pid %d: no progress on the fault at %#llx: killed\n",
			       t->pid, (unsigned long long)res.va);
			*info = (struct ksiginfo){ .signo = SIGKILL, .addr = res.va };
			t->signal = *info;
			return SIGKILL;
		}
		sig = take_fault(t, c, &res, a->acc, info);
		if (sig)
			return sig;
	}
}

int sim_user_read(struct task_struct *t, unsigned int cpu, vaddr_t va, void *buf, size_t len,
		  struct ksiginfo *info)
{
	const struct user_access a = { .va = va, .rd = buf, .len = len, .acc = MMU_READ };

	return user_access(t, cpu, &a, info);
}

int sim_user_write(struct task_struct *t, unsigned int cpu, vaddr_t va, const void *buf, size_t len,
		   struct ksiginfo *info)
{
	const struct user_access a = { .va = va, .wr = buf, .len = len, .acc = MMU_WRITE };

	return user_access(t, cpu, &a, info);
}

int sim_user_exec(struct task_struct *t, unsigned int cpu, vaddr_t va, struct ksiginfo *info)
{
	const struct user_access a = { .va = va, .len = 1, .acc = MMU_EXEC };

	return user_access(t, cpu, &a, info);
}

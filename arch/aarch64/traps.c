// SPDX-License-Identifier: MIT
/*
 * Exception handling on the bare-metal kernel; the contract is in aarch64/traps.h. Aborts are
 * Linux's do_mem_abort in small: every abort from EL0, and one from EL1 on a user address, goes
 * to do_page_fault with the CPU's current mm (ARM ARM (DDI 0487) D19.2 "ESR_EL1": EC 0x20/0x24
 * from EL0, 0x21/0x25 from EL1; FAR_EL1 holds the address); what it cannot resolve ends in the
 * EL0 program's signal hook, at an exception-table fixup, or in a report and a halt. The other
 * synchronous exceptions from EL0 (SVC...) go to the EL0 hook.
 */
#include <aarch64/esr.h>
#include <aarch64/machine.h>
#include <aarch64/traps.h>
#include <kmm/arch.h>
#include <kmm/fault.h>
#include <kmm/mmzone.h>
#include <kmm/printk.h>

bool (*aarch64_el0_sync_hook)(struct pt_regs *regs);
void (*aarch64_user_signal_hook)(struct pt_regs *regs, const struct ksiginfo *info);
void (*aarch64_irq_hook)(struct pt_regs *regs);

static struct mm_struct *current_mm[NR_CPUS];
static struct aarch64_fault last_fixup[NR_CPUS];

void aarch64_set_current_mm(struct mm_struct *mm)
{
	current_mm[arch_cpu_id()] = mm;
}

struct mm_struct *aarch64_current_mm(void)
{
	return current_mm[arch_cpu_id()];
}

struct aarch64_fault aarch64_last_fixup(void)
{
	return last_fixup[arch_cpu_id()];
}

/* The exception table (uaccess.S): the faulting instruction and where to resume. */
struct extable_entry {
	uint64_t insn, fixup;
};
extern const struct extable_entry __start___ex_table[], __stop___ex_table[];

static uint64_t search_extable(uint64_t pc)
{
	for (const struct extable_entry *e = __start___ex_table; e < __stop___ex_table; e++)
		if (e->insn == pc)
			return e->fixup;
	return 0;
}

static const struct {
	unsigned int ec;
	const char *name;
} ec_names[] = {
	{ ESR_ELx_EC_UNKNOWN, "unknown reason (undefined instruction?)" },
	{ ESR_ELx_EC_WFx, "WFI/WFE trapped" },
	{ ESR_ELx_EC_FP_ASIMD, "FP/SIMD access trapped" },
	{ ESR_ELx_EC_ILL, "illegal execution state" },
	{ ESR_ELx_EC_SVC64, "SVC (AArch64)" },
	{ ESR_ELx_EC_SYS64, "MSR/MRS/system instruction trapped" },
	{ ESR_ELx_EC_IABT_LOW, "instruction abort from EL0" },
	{ ESR_ELx_EC_IABT_CUR, "instruction abort from EL1" },
	{ ESR_ELx_EC_PC_ALIGN, "PC alignment fault" },
	{ ESR_ELx_EC_DABT_LOW, "data abort from EL0" },
	{ ESR_ELx_EC_DABT_CUR, "data abort from EL1" },
	{ ESR_ELx_EC_SP_ALIGN, "SP alignment fault" },
	{ ESR_ELx_EC_SERROR, "SError" },
	{ ESR_ELx_EC_BREAKPT_CUR, "breakpoint" },
	{ ESR_ELx_EC_SOFTSTP_CUR, "software step" },
	{ ESR_ELx_EC_WATCHPT_CUR, "watchpoint" },
	{ ESR_ELx_EC_BRK64, "BRK instruction" },
};

/* The exception class in words (ARM ARM D19.2 "ESR_EL1", EC). */
const char *aarch64_ec_name(unsigned int ec)
{
	for (size_t i = 0; i < ARRAY_SIZE(ec_names); i++)
		if (ec_names[i].ec == ec)
			return ec_names[i].name;
	return "other";
}

/* The fault status code of an abort in words (ARM ARM D19.2, ISS "DFSC"/"IFSC"). */
const char *aarch64_fsc_name(unsigned int fsc)
{
	if (fsc == ESR_ELx_FSC_ALIGN)
		return "alignment fault";
	switch (fsc & ESR_ELx_FSC_TYPE) {
	case ESR_ELx_FSC_ADDRSZ:
		return "address size fault";
	case ESR_ELx_FSC_FAULT:
		return "translation fault";
	case ESR_ELx_FSC_ACCESS:
		return "access flag fault";
	case ESR_ELx_FSC_PERM:
		return "permission fault";
	case ESR_ELx_FSC_EXTABT:
		return "synchronous external abort";
	case ESR_ELx_FSC_SEA_TTW:
		return "synchronous external abort on a table walk";
	default:
		return "other fault";
	}
}

void aarch64_show_regs(const struct pt_regs *regs)
{
	printk("pc : 0x%016llx lr : 0x%016llx\nsp : 0x%016llx pstate : 0x%08llx\n",
	       (unsigned long long)regs->pc, (unsigned long long)regs->regs[30],
	       (unsigned long long)regs->sp, (unsigned long long)regs->pstate);
	for (int i = 29; i >= 0; i--)
		printk("x%-2d: 0x%016llx%s", i, (unsigned long long)regs->regs[i],
		       i % 3 == 0 ? "\n" : " ");
}

/* Report an exception nothing handles and halt (Linux's die / __do_kernel_fault). */
__attribute__((noreturn)) static void die(const struct pt_regs *regs, unsigned int vector,
					  const char *what)
{
	static const char *const kinds[] = { "synchronous", "IRQ", "FIQ", "SError" };
	static const char *const from[] = { "EL1 (SP_EL0)", "EL1", "EL0", "EL0 (AArch32)" };
	uint64_t esr = regs->esr;
	unsigned int ec = esr_ec(esr);

	printk("\nInternal error: %s: %s exception from %s\n", what, kinds[vector & 3],
	       from[vector >> 2]);
	printk("ESR 0x%08llx: EC 0x%02x (%s), IL %u, ISS 0x%07llx\n", (unsigned long long)esr, ec,
	       aarch64_ec_name(ec), (unsigned int)!!(esr & ESR_ELx_IL),
	       (unsigned long long)(esr & ESR_ELx_ISS_MASK));
	if (esr_is_data_abort(esr) || esr_is_instruction_abort(esr))
		printk("  %s, level %u, %s%s\n", aarch64_fsc_name(esr_fsc(esr)), esr_fsc_level(esr),
		       esr_is_instruction_abort(esr) ? "fetch"
		       : esr_is_write(esr)	     ? "write"
						     : "read",
		       esr & ESR_ELx_FNV ? " (FAR not valid)" : "");
	printk("FAR 0x%016llx ELR 0x%016llx\n", (unsigned long long)regs->far,
	       (unsigned long long)regs->pc);
	aarch64_show_regs(regs);
	printk("Kernel panic: halting\n");
	arch_halt();
}

/* A user address: one TTBR0 translates (bits 63:48 clear, ARM ARM D8.1.4 "VA ranges"). */
static bool user_address(uint64_t va)
{
	return !(va >> 48);
}

/*
 * An abort from EL0: do_page_fault with the program's mm, whatever the address (one outside
 * TTBR0's range is SEGV_MAPERR there, as Linux's do_bad_area has it); a fault it cannot resolve
 * is the program's fatal signal. Returns whether the program goes on.
 */
static bool el0_abort(struct pt_regs *regs)
{
	struct mm_struct *mm = aarch64_current_mm();
	struct ksiginfo info;
	uint64_t far = regs->esr & ESR_ELx_FNV ? 0 : regs->far;

	if (!mm || !aarch64_user_signal_hook)
		die(regs, VEC_EL0_SYNC, "unhandled user fault");
	if (!do_page_fault(mm, far, regs->esr, &info))
		return true;
	aarch64_user_signal_hook(regs, &info);
	return false;
}

/* An abort from EL1: a user address (uaccess) goes to do_page_fault; what stands resumes at the
 * access's fixup, or is reported. */
static void el1_abort(struct pt_regs *regs)
{
	struct mm_struct *mm = aarch64_current_mm();
	struct ksiginfo info;
	uint64_t fixup;

	if (user_address(regs->far) && mm && !(regs->esr & ESR_ELx_FNV) &&
	    !do_page_fault(mm, regs->far, regs->esr, &info))
		return;
	fixup = search_extable(regs->pc);
	if (fixup) {
		last_fixup[arch_cpu_id()] = (struct aarch64_fault){ regs->esr, regs->far };
		regs->pc = fixup;
		return;
	}
	die(regs, VEC_EL1H_SYNC,
	    user_address(regs->far) ? "unhandled user fault"
				    : "unable to handle kernel paging request");
}

bool aarch64_trap(struct pt_regs *regs, unsigned int vector)
{
	bool abort = esr_is_data_abort(regs->esr) || esr_is_instruction_abort(regs->esr);

	if ((vector == VEC_EL1H_IRQ || vector == VEC_EL0_IRQ) && aarch64_irq_hook) {
		aarch64_irq_hook(regs);
		return true;
	}
	if (vector == VEC_EL0_SYNC && abort)
		return el0_abort(regs);
	if (vector == VEC_EL0_SYNC && aarch64_el0_sync_hook)
		return aarch64_el0_sync_hook(regs);
	if (vector == VEC_EL1H_SYNC && abort) {
		el1_abort(regs);
		return true;
	}
	die(regs, vector,
	    vector == VEC_EL1H_SYNC || vector == VEC_EL0_SYNC ? "unexpected synchronous exception"
							      : "unexpected exception");
}

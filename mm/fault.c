// SPDX-License-Identifier: MIT
/*
 * The arch side of page faults (Linux's arch/arm64/mm/fault.c): decode the syndrome of an abort,
 * find the VMA, check the access against it and hand the fault to handle_mm_fault, or pick the
 * signal for the process. See include/kmm/fault.h for the contract.
 *
 * The syndrome (ARM ARM (DDI 0487) D19.2 "ESR_EL1", ISS encoding for a Data Abort / Instruction
 * Abort): the exception class tells an instruction fetch from a data access and EL0 from the
 * current EL, WnR a write (CM, cache maintenance, counts as a read as Linux's is_write_abort
 * has it), the fault status code the kind of fault. Translation, access-flag and permission
 * faults are the VM's; anything else (an external abort, an address size fault) is SIGBUS.
 */
#include <aarch64/esr.h>
#include <kmm/fault.h>
#include <kmm/mman.h>

static int fault_signal(struct ksiginfo *info, int signo, int code, vaddr_t far)
{
	*info = (struct ksiginfo){ .signo = signo, .code = code, .addr = far };
	return signo;
}

/* A fault the VM layer resolves: translation, access flag or permission (Linux's fault_info
 * entries that go to do_translation_fault / do_page_fault). */
static bool esr_is_vm_fault(uint64_t esr)
{
	unsigned int type = esr_fsc_type(esr);

	if (!esr_is_data_abort(esr) && !esr_is_instruction_abort(esr))
		return false;
	return type == ESR_ELx_FSC_FAULT || type == ESR_ELx_FSC_ACCESS || type == ESR_ELx_FSC_PERM;
}

/*
 * The VMA flags that allow the access (any one of them suffices) and the handle_mm_fault flags,
 * as Linux's arm64 do_page_fault: an instruction fetch needs VM_EXEC, a write VM_WRITE, a read
 * any access right (AArch64 has no write-only or execute-only user pages without FEAT_EPAN: a
 * writable or executable page is readable at EL0, ARM ARM D8.4 "Memory access control").
 */
static unsigned long access_vm_flags(uint64_t esr, unsigned int *flags)
{
	*flags = esr_from_el0(esr) ? FAULT_FLAG_USER : 0;
	if (esr_is_instruction_abort(esr)) {
		*flags |= FAULT_FLAG_INSTRUCTION;
		return VM_EXEC;
	}
	if (esr_is_write(esr)) {
		*flags |= FAULT_FLAG_WRITE;
		return VM_WRITE;
	}
	return VM_READ | VM_WRITE | VM_EXEC;
}

/*
 * The VMA covering @addr, growing a stack VMA above it down to it (Linux's expand_stack under the
 * mmap lock taken for writing, then held for reading again); NULL when none covers it.
 */
static struct vm_area_struct *find_fault_vma(struct mm_struct *mm, vaddr_t addr)
{
	struct vm_area_struct *vma = find_vma(&mm->vmas, addr);
	int err;

	if (!vma || vma->vm_start <= addr)
		return vma;
	if (!(vma->vm_flags & VM_GROWSDOWN))
		return NULL;
	mmap_read_unlock(mm);
	mmap_write_lock(mm);
	vma = find_vma(&mm->vmas, addr);
	err = vma && vma->vm_start > addr && (vma->vm_flags & VM_GROWSDOWN)
		  ? expand_stack(vma, addr)
		  : 0;
	mmap_write_unlock(mm);
	mmap_read_lock(mm);
	if (err)
		return NULL;
	vma = find_vma(&mm->vmas, addr);
	return vma && vma->vm_start <= addr ? vma : NULL;
}

/* The signal for what handle_mm_fault could not resolve (Linux's do_page_fault tail). */
static int fault_result_signal(vm_fault_t fault, vaddr_t far, struct ksiginfo *info)
{
	if (fault & VM_FAULT_OOM)
		return fault_signal(info, SIGKILL, 0, far);
	if (fault & VM_FAULT_SIGBUS)
		return fault_signal(info, SIGBUS, BUS_ADRERR, far);
	return fault_signal(info, SIGSEGV, SEGV_MAPERR, far);
}

int do_page_fault(struct mm_struct *mm, vaddr_t far, uint64_t esr, struct ksiginfo *info)
{
	struct vm_area_struct *vma;
	unsigned long vm_flags;
	unsigned int flags;
	vm_fault_t fault;

	if (!esr_is_vm_fault(esr))
		return fault_signal(info, SIGBUS, BUS_OBJERR, far);
	/* Outside TTBR0's range (a kernel address, or in neither half): nothing of the process. */
	if (far >= mm->task_size)
		return fault_signal(info, SIGSEGV, SEGV_MAPERR, far);
	/* The kernel never executes user memory (PXN is set in every user PTE). */
	if (esr_is_instruction_abort(esr) && !esr_from_el0(esr))
		return fault_signal(info, SIGSEGV, SEGV_ACCERR, far);
	vm_flags = access_vm_flags(esr, &flags);
	mmap_read_lock(mm);
	vma = find_fault_vma(mm, far);
	if (!vma) {
		mmap_read_unlock(mm);
		return fault_signal(info, SIGSEGV, SEGV_MAPERR, far);
	}
	if (!(vma->vm_flags & vm_flags)) {
		mmap_read_unlock(mm);
		return fault_signal(info, SIGSEGV, SEGV_ACCERR, far);
	}
	fault = handle_mm_fault(vma, far, flags);
	mmap_read_unlock(mm);
	if (!(fault & VM_FAULT_ERROR)) {
		*info = (struct ksiginfo){ 0 };
		return 0;
	}
	return fault_result_signal(fault, far, info);
}

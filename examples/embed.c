// SPDX-License-Identifier: MIT
/* Embedding kmm: boot a simulated board, then kmalloc, alloc_pages and a process's mmap. */
#include <kmm/kmm.h>

int main(void)
{
	struct kmm_sim_config cfg = { .mem = 256 << 20 }; /* QEMU virt with 256 MiB */
	struct ksiginfo si;
	char buf[6] = "";

	if (kmm_sim_boot(&cfg))
		return 1;
	char *p = kmalloc(100, GFP_KERNEL);	      /* the slab allocator */
	struct page *pg = alloc_pages(GFP_KERNEL, 2); /* 4 pages from the buddy allocator */
	struct task_struct *t = task_create("demo");  /* a process, its address space empty */
	long va = sys_mmap(t->mm, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   NULL, 0);			  /* anonymous memory, not faulted in */
	sim_user_write(t, 0, va + 4096, "hello", 6, &si); /* a page fault, then the MMU writes */
	sim_user_read(t, 0, va + 4096, buf, 6, &si);	  /* ... and reads it back */
	printf("kmalloc %p, pfn %#lx, mmap %#lx: %s\n", (void *)p, page_to_pfn(pg), va, buf);
	kfree(p);
	__free_pages(pg, 2);
	do_exit(t);
	kmm_sim_shutdown();
	return 0;
}

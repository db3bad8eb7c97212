// SPDX-License-Identifier: MIT
/*
 * The mm code under its locks with four simulated CPUs interleaved (host_set_cpu between calls)
 * through the page allocator, kmalloc, a slab cache, vmalloc, the page cache and processes
 * (faults, fork, exit), with every CPU's per-CPU pages drained and a cache's per-CPU slabs
 * flushed from whichever CPU runs: between calls every lock is free and every CPU's interrupts
 * are unmasked (a lock left held would deadlock the next CPU to take it, which the hosted lock
 * reports), the checkers hold every CHECK_EVERY steps, the architecture-rule checker sees no
 * violation (the runner fails the case otherwise), and at the end every page is back.
 */
#include "vm_env.h"

#include "arch/host/host.h"

#include <kmm/fs.h>
#include <kmm/slab.h>
#include <kmm/spinlock.h>
#include <kmm/vmalloc.h>

#include <stdlib.h>
#include <string.h>

#define NCPUS 4
#define STEPS 6000
#define MAX_LIVE 192
#define FILE_PAGES 24
#define CHECK_EVERY 500
#define TASK_HEAP 0x20000000UL
#define TASK_HEAP_PAGES 16

enum kind { PAGES, KMALLOC, CACHE, VMALLOC, CACHED, NR_KINDS };

struct live {
	enum kind kind;
	void *p;	   /* KMALLOC, CACHE, VMALLOC */
	struct page *page; /* PAGES, CACHED */
	unsigned int order;
	size_t size;
	uint8_t tag;
};

struct interleave {
	struct vm_env e;
	struct kmem_cache *cache;
	struct file *file;
	struct task_struct *tasks[NCPUS];
	struct live live[MAX_LIVE];
	unsigned int n;
	uint64_t rs;
};

static bool lock_free(const spinlock_t *l)
{
	return !l->raw.lock && !l->raw.owner;
}

/* Every lock of the default systems (and of @file, if not NULL) free, every CPU's interrupts
 * unmasked. */
static bool all_quiet(const struct file *file)
{
	struct mem_system *ms = &mm_default_system;
	const struct kmem_cache *c;
	bool ok = lock_free(&asid_default.lock) && lock_free(&vmalloc_default.vmap_area_lock) &&
		  lock_free(&vmalloc_default.vmap_purge_lock) &&
		  lock_free(&vmalloc_default.page_table_lock) &&
		  lock_free(&slab_default_system.caches_lock);

	if (file)
		ok &= lock_free(&file->f_mapping->i_pages_lock) &&
		      lock_free(&file->f_mapping->i_lock);

	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &ms->node_data[0].node_zones[z];

		ok &= lock_free(&zone->lock);
		for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
			ok &= lock_free(&zone->per_cpu_pageset[cpu].lock);
	}
	list_for_each_entry (c, &slab_default_system.caches, list) {
		for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++)
			ok &= lock_free(&c->cpu_slab[cpu].lock);
		for (int nid = 0; nid < MAX_NUMNODES; nid++)
			ok &= lock_free(&c->node[nid].list_lock);
	}
	for (unsigned int cpu = 0; cpu < NCPUS; cpu++) {
		host_set_cpu(cpu);
		ok &= !arch_irqs_disabled();
	}
	return ok;
}

static bool checkers_hold(struct interleave *s)
{
	return ms_page_alloc_check(&mm_default_system) == 0 &&
	       ss_slab_check(&slab_default_system) == 0 && vmalloc_check(&vmalloc_default) == 0 &&
	       !filemap_check(s->file->f_mapping);
}

/* Write (or read) @len bytes at kernel VA @va through the current CPU's MMU at EL1: a vmalloc
 * area, through the TLB the rule checker watches. */
static bool kaccess(vaddr_t va, uint8_t *buf, size_t len, bool write)
{
	struct hw_cpu *c = &host_machine()->cpus[arch_cpu_id()];
	unsigned int el = c->el;
	struct hw_access acc;
	enum mmu_fault f;

	c->el = 1;
	f = write ? hw_cpu_write(c, va, buf, len, &acc) : hw_cpu_read(c, va, buf, len, &acc);
	c->el = el;
	return f == MMU_FAULT_NONE;
}

/* Fill @l's memory with its tag (a cached page keeps the file's byte, its index). */
static bool fill(struct live *l)
{
	static uint8_t buf[5 * PAGE_SIZE];

	switch (l->kind) {
	case PAGES:
		memset(page_address(l->page), l->tag, l->size);
		return true;
	case CACHED:
		return true;
	case VMALLOC:
		memset(buf, l->tag, l->size);
		return kaccess((vaddr_t)(uintptr_t)l->p, buf, l->size, true);
	default:
		memset(l->p, l->tag, l->size);
		return true;
	}
}

/* @l's memory still holds its tag. */
static bool intact(const struct live *l)
{
	static uint8_t buf[5 * PAGE_SIZE];
	const uint8_t *b = buf;

	if (l->kind == VMALLOC) {
		if (!kaccess((vaddr_t)(uintptr_t)l->p, buf, l->size, false))
			return false;
	} else {
		b = l->kind == PAGES || l->kind == CACHED ? page_address(l->page) : l->p;
	}
	for (size_t i = 0; i < l->size; i++)
		if (b[i] != l->tag)
			return false;
	return true;
}

/* A new allocation of a random kind, made on the current CPU and kept with the live ones unless
 * there was no memory for it; false when its memory could not be written. */
static bool make_one(struct interleave *s)
{
	struct live *l = &s->live[s->n];
	uint64_t r = ktest_rand(&s->rs);
	int err;

	*l = (struct live){ .kind = (enum kind)(r % NR_KINDS), .tag = (uint8_t)(r >> 8) };
	switch (l->kind) {
	case PAGES:
		l->order = (unsigned int)(r >> 16) % 6;
		l->size = PAGE_SIZE << l->order;
		l->page = alloc_pages(GFP_KERNEL, l->order);
		break;
	case KMALLOC:
		l->size = 1 + (size_t)(r >> 16) % 12000;
		l->p = kmalloc(l->size, GFP_KERNEL);
		break;
	case CACHE:
		l->size = 200;
		l->p = kmem_cache_alloc(s->cache, GFP_KERNEL);
		break;
	case VMALLOC:
		l->size = 1 + (size_t)(r >> 16) % (5 * PAGE_SIZE);
		l->p = vmalloc(l->size);
		break;
	case CACHED:
		/* a page the cache shares: only its first byte holds the file's own tag */
		l->page = filemap_get_page(s->file->f_mapping, (r >> 16) % FILE_PAGES, NULL, &err);
		l->size = 1;
		l->tag = (uint8_t)((r >> 16) % FILE_PAGES);
		break;
	default:
		break;
	}
	if (!l->p && !l->page)
		return true;
	s->n++;
	return fill(l);
}

/* Check @l's bytes and free it on the current CPU. */
static bool free_one(struct interleave *s, struct live *l)
{
	bool ok = intact(l);

	switch (l->kind) {
	case PAGES:
		__free_pages(l->page, l->order);
		break;
	case KMALLOC:
		kfree(l->p);
		break;
	case CACHE:
		kmem_cache_free(s->cache, l->p);
		break;
	case VMALLOC:
		vfree(l->p);
		break;
	default:
		ms_put_page(&mm_default_system, l->page);
		break;
	}
	return ok;
}

/* Task @i touches page @pg of its heap on @cpu (a fault the first time: its tables, its page
 * from this CPU's lists, its ASID), writing and reading back a byte. */
static bool touch(struct interleave *s, unsigned int i, unsigned int cpu, unsigned int pg)
{
	vaddr_t va = TASK_HEAP + (vaddr_t)pg * PAGE_SIZE;
	struct ksiginfo info;
	uint8_t w = (uint8_t)(pg + i), r = 0;

	return sim_user_write(s->tasks[i], cpu, va, &w, 1, &info) == 0 &&
	       sim_user_read(s->tasks[i], cpu, va, &r, 1, &info) == 0 && r == w;
}

/* Task @i replaced by a fork of itself (the child on @cpu), the parent exiting. */
static bool fork_over(struct interleave *s, unsigned int i, unsigned int cpu)
{
	struct task_struct *child;

	host_set_cpu(cpu);
	if (do_fork(s->tasks[i], &child))
		return false;
	do_exit(s->tasks[i]);
	s->tasks[i] = child;
	return true;
}

/* The tasks: each with an anonymous heap of TASK_HEAP_PAGES pages. */
static bool tasks_up(struct ktest *kt, struct interleave *s)
{
	for (unsigned int i = 0; i < NCPUS; i++) {
		s->tasks[i] = task_create("locks");
		if (!KT_EXPECT_NOT_NULL(kt, s->tasks[i]) ||
		    !KT_EXPECT_EQ(kt,
				  sys_mmap(s->tasks[i]->mm, TASK_HEAP, TASK_HEAP_PAGES * PAGE_SIZE,
					   PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
				  (long)TASK_HEAP))
			return false;
	}
	return true;
}

/* One step on a random CPU: allocate, free (mostly on another CPU than the allocation's), a
 * task's access, fork or exit, or a drain of every CPU's pages and a flush of every CPU's
 * slab. False when something did not work. */
static bool step(struct interleave *s)
{
	uint64_t r = ktest_rand(&s->rs);
	unsigned int cpu = (unsigned int)(r % NCPUS), what = (unsigned int)(r >> 8) % 20;

	host_set_cpu(cpu);
	if (what < 8 && s->n < MAX_LIVE)
		return make_one(s);
	if (what < 15 && s->n) {
		unsigned int k = (unsigned int)((r >> 16) % s->n);
		bool ok = free_one(s, &s->live[k]);

		s->live[k] = s->live[--s->n];
		return ok;
	}
	if (what == 15)
		return fork_over(s, (unsigned int)(r >> 16) % NCPUS, cpu);
	if (what == 16) {
		ms_drain_all_pages(&mm_default_system);
		return kmem_cache_shrink(s->cache) >= 0;
	}
	return touch(s, (unsigned int)(r >> 16) % NCPUS, cpu,
		     (unsigned int)(r >> 24) % TASK_HEAP_PAGES);
}

/* Fill the file's pages with their index (the tag CACHED entries check). */
static bool file_up(struct ktest *kt, struct interleave *s)
{
	int err;

	s->file = file_create_mem(&mm_default_system, "/locks", FILE_PAGES * PAGE_SIZE,
				  FMODE_READ | FMODE_WRITE);
	if (!KT_EXPECT_NOT_NULL(kt, s->file))
		return false;
	for (unsigned int i = 0; i < FILE_PAGES; i++) {
		struct page *p = filemap_get_page(s->file->f_mapping, i, NULL, &err);

		if (!KT_EXPECT_NOT_NULL(kt, p))
			return false;
		*(uint8_t *)page_address(p) = (uint8_t)i;
		ms_put_page(&mm_default_system, p);
	}
	return true;
}

static void interleave_down(struct interleave *s)
{
	while (s->n)
		free_one(s, &s->live[--s->n]);
	host_set_cpu(0);
	for (unsigned int i = 0; i < NCPUS; i++)
		if (s->tasks[i])
			do_exit(s->tasks[i]);
	if (s->file)
		fput(s->file);
	s->file = NULL;
	kmem_cache_destroy(s->cache);
	vmc_purge(&vmalloc_default);
}

KTEST(lock_interleave, cpus_through_mm)
{
	struct interleave *s = calloc(1, sizeof(*s));
	unsigned long node_pages, bad = 0;

	KT_ASSERT_NOT_NULL(kt, s);
	s->rs = kt->seed;
	if (!vm_env_init(kt, &s->e, NCPUS, 512ULL << 20)) {
		free(s);
		return;
	}
	node_pages = vmalloc_default.node_pages;
	s->cache = kmem_cache_create("locks", 200, 0, 0, NULL);
	if (KT_EXPECT_NOT_NULL(kt, s->cache) && file_up(kt, s) && tasks_up(kt, s)) {
		for (unsigned int i = 0; i < STEPS && !bad; i++) {
			bad += !step(s);
			bad += !all_quiet(s->file);
			if (i % CHECK_EVERY == 0)
				bad += !checkers_hold(s);
		}
		KT_EXPECT_EQ(kt, bad, 0ul);
		KT_EXPECT_TRUE(kt, checkers_hold(s));
	}
	interleave_down(s);
	KT_EXPECT_TRUE(kt, all_quiet(NULL));
	/* every page back but those vmalloc keeps for its area nodes */
	KT_EXPECT_EQ(kt, vm_free_pages() + (vmalloc_default.node_pages - node_pages),
		     s->e.free_at_boot);
	vm_env_fini(&s->e);
	free(s);
}

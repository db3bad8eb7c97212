// SPDX-License-Identifier: MIT
/* The fake address space of the user-level code's tests; see fake_as.h. */
#include "fake_as.h"

#include <kmm/errno.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define MMAP_PAGES ((FAKE_BASE + FAKE_SIZE - FAKE_MMAP_FLOOR) / FAKE_PAGE)

static uint64_t page_up(uint64_t x)
{
	return (x + FAKE_PAGE - 1) & ~(FAKE_PAGE - 1);
}

unsigned char *fake_as_host(struct fake_as *as, uint64_t va)
{
	return as->mem + (va - FAKE_BASE);
}

bool fake_as_mapped(const struct fake_as *as, uint64_t va, uint64_t n)
{
	if (va < FAKE_BASE || n > FAKE_SIZE || va - FAKE_BASE > FAKE_SIZE - n)
		return false;
	for (uint64_t pg = va & ~(FAKE_PAGE - 1); pg < va + n; pg += FAKE_PAGE) {
		bool in_brk = pg >= (as->start_brk & ~(FAKE_PAGE - 1)) && pg < page_up(as->brk);
		bool in_mmap =
		    pg >= FAKE_MMAP_FLOOR && as->mapped[(pg - FAKE_MMAP_FLOOR) / FAKE_PAGE];

		if (!in_brk && !in_mmap)
			return false;
	}
	return true;
}

/* brk(2): move the break within [start_brk, brk_limit]; memory given back is cleared. */
static long fake_brk(void *ctx, uint64_t addr)
{
	struct fake_as *as = ctx;

	as->nbrk++;
	if (!addr || addr < as->start_brk || addr > as->brk_limit)
		return (long)as->brk;
	if (page_up(addr) < page_up(as->brk))
		memset(fake_as_host(as, page_up(addr)), 0, page_up(as->brk) - page_up(addr));
	as->brk = addr;
	return (long)addr;
}

/* mmap of an anonymous range: the highest free run of pages, as Linux's top-down placement. */
static long fake_mmap(void *ctx, uint64_t len)
{
	struct fake_as *as = ctx;
	uint64_t n = page_up(len) / FAKE_PAGE, run = 0;

	as->nmmap++;
	if (as->mmap_refuse || !len || n > MMAP_PAGES)
		return -ENOMEM;
	for (uint64_t pg = MMAP_PAGES; pg-- > 0;) {
		run = as->mapped[pg] ? 0 : run + 1;
		if (run == n) {
			memset(as->mapped + pg, 1, n);
			return (long)(FAKE_MMAP_FLOOR + pg * FAKE_PAGE);
		}
	}
	return -ENOMEM;
}

/* munmap: the range's pages unmapped and cleared. */
static int fake_munmap(void *ctx, uint64_t addr, uint64_t len)
{
	struct fake_as *as = ctx;
	uint64_t first = (addr - FAKE_MMAP_FLOOR) / FAKE_PAGE, n = page_up(len) / FAKE_PAGE;

	as->nmunmap++;
	if (addr % FAKE_PAGE || !len || addr < FAKE_MMAP_FLOOR || first + n > MMAP_PAGES)
		return -EINVAL;
	memset(as->mapped + first, 0, n);
	memset(fake_as_host(as, addr), 0, n * FAKE_PAGE);
	return 0;
}

static int fake_read(void *ctx, uint64_t va, void *buf, size_t n)
{
	struct fake_as *as = ctx;

	if (as->fault_all || !fake_as_mapped(as, va, n))
		return -EFAULT;
	memcpy(buf, fake_as_host(as, va), n);
	return 0;
}

static int fake_write(void *ctx, uint64_t va, const void *buf, size_t n)
{
	struct fake_as *as = ctx;

	if (as->fault_all || !fake_as_mapped(as, va, n))
		return -EFAULT;
	memcpy(fake_as_host(as, va), buf, n);
	return 0;
}

bool fake_as_init(struct fake_as *as, struct umalloc_sys *sys)
{
	void *mem = mmap(NULL, FAKE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	*as = (struct fake_as){ .start_brk = FAKE_START_BRK,
				.brk = FAKE_START_BRK,
				.brk_limit = FAKE_MMAP_FLOOR };
	if (mem == MAP_FAILED)
		return false;
	as->mem = mem;
	as->mapped = calloc(MMAP_PAGES, 1);
	if (!as->mapped) {
		munmap(mem, FAKE_SIZE);
		return false;
	}
	*sys = (struct umalloc_sys){ .brk = fake_brk,
				     .mmap = fake_mmap,
				     .munmap = fake_munmap,
				     .read = fake_read,
				     .write = fake_write,
				     .ctx = as };
	return true;
}

void fake_as_destroy(struct fake_as *as)
{
	munmap(as->mem, FAKE_SIZE);
	free(as->mapped);
}

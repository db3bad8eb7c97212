// SPDX-License-Identifier: MIT
/* The plain free list of 4 KiB frames (see freelist.h). */
#include "freelist.h"

#include <stdlib.h>

int freelist_init(struct freelist *fl, void *mem, uint64_t size)
{
	uint64_t n = size / FREELIST_FRAME;

	fl->base = mem;
	fl->head = FREELIST_END;
	fl->next = n < FREELIST_END ? malloc(n * sizeof(*fl->next)) : NULL;
	if (!fl->next)
		return -1;
	while (n--)
		freelist_push(fl, fl->base + n * FREELIST_FRAME);
	return 0;
}

void freelist_destroy(struct freelist *fl)
{
	free(fl->next);
	fl->next = NULL;
}

void *freelist_pop(struct freelist *fl)
{
	uint32_t f = fl->head;

	if (f == FREELIST_END)
		return NULL;
	fl->head = fl->next[f];
	return fl->base + (uint64_t)f * FREELIST_FRAME;
}

void freelist_push(struct freelist *fl, void *frame)
{
	uint32_t f = (uint32_t)(((char *)frame - fl->base) / FREELIST_FRAME);

	fl->next[f] = fl->head;
	fl->head = f;
}

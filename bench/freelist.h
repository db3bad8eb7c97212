/* SPDX-License-Identifier: MIT */
/*
 * A plain free list of 4 KiB frames, the lower bound a page allocator is measured against: a
 * singly linked list of frame numbers whose links live in an array of their own, one 32-bit
 * entry a frame (as a page allocator keeps its per-frame records apart from the frames), so a
 * pop or push touches one small array and never the frame. Pop takes the head, push puts a frame
 * back as the head. In a file of its own so that pop and push are real calls, as the page
 * allocator's are.
 */
#ifndef BENCH_FREELIST_H
#define BENCH_FREELIST_H

#include <stdint.h>

#define FREELIST_FRAME 4096ULL
#define FREELIST_END UINT32_MAX

struct freelist {
	char *base;	/* the first frame */
	uint32_t *next; /* per frame: the next free frame's number, or FREELIST_END */
	uint32_t head;	/* FREELIST_END when empty */
};

/* Put every whole frame of [mem, mem + size) on @fl, lowest address at the head; 0 or -1 when
 * the link array cannot be allocated (or there are 2^32 frames or more). */
int freelist_init(struct freelist *fl, void *mem, uint64_t size);
void freelist_destroy(struct freelist *fl);
/* Take the head frame; NULL when the list is empty. */
void *freelist_pop(struct freelist *fl);
/* Put @frame back as the head. */
void freelist_push(struct freelist *fl, void *frame);

#endif /* BENCH_FREELIST_H */

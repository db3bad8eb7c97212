/* SPDX-License-Identifier: MIT */
/* Doubly linked circular lists, as Linux's <linux/list.h> has them. */
#ifndef KMM_LIST_H
#define KMM_LIST_H

#include <kmm/types.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void list__insert(struct list_head *n, struct list_head *prev, struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

/* Insert @n after @head (a stack push). */
static inline void list_add(struct list_head *n, struct list_head *head)
{
	list__insert(n, head, head->next);
}

/* Insert @n before @head (a queue append). */
static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	list__insert(n, head->prev, head);
}

static inline void list_del(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	e->next = e->prev = NULL;
}

static inline void list_del_init(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
	INIT_LIST_HEAD(e);
}

static inline void list_move(struct list_head *e, struct list_head *head)
{
	list_del(e);
	list_add(e, head);
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)
#define list_for_each_entry(pos, head, member)                                                   \
	for (pos = list_entry((head)->next, __typeof__(*pos), member); &pos->member != (head);  \
	     pos = list_entry(pos->member.next, __typeof__(*pos), member))
#define list_for_each_entry_safe(pos, n, head, member)                                           \
	for (pos = list_entry((head)->next, __typeof__(*pos), member),                          \
	    n = list_entry(pos->member.next, __typeof__(*pos), member);                         \
	     &pos->member != (head); pos = n, n = list_entry(n->member.next, __typeof__(*n), member))

#endif /* KMM_LIST_H */

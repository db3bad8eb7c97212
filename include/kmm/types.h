/* SPDX-License-Identifier: MIT */
/*
 * Basic types shared by every part of kmm. Freestanding: only the compiler's own headers.
 *
 * Physical and virtual addresses are distinct typedefs so that an interface says which one it
 * takes; pfn_t is a physical frame number (a physical address shifted by the page shift).
 */
#ifndef KMM_TYPES_H
#define KMM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;
typedef uint64_t vaddr_t;
typedef uint64_t pfn_t;
typedef unsigned int gfp_t;

#define BIT(n) (1ULL << (n))
/* Bits h..l inclusive, as Linux's GENMASK_ULL. */
#define GENMASK(h, l) ((~0ULL >> (63 - (h))) & (~0ULL << (l)))
#define FIELD_GET(mask, v) (((v) & (mask)) >> __builtin_ctzll(mask))
#define FIELD_PREP(mask, v) (((uint64_t)(v) << __builtin_ctzll(mask)) & (mask))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((uint64_t)(a)-1)) == 0)

#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#endif /* KMM_TYPES_H */

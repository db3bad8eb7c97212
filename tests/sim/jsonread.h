/* SPDX-License-Identifier: MIT */
/*
 * jsonread: a strict JSON reader (RFC 8259) for the tests of kmm-sim's --json output. It parses a
 * whole text into a tree and fails on anything a correct writer would not produce: trailing
 * commas, missing separators, bad escapes, raw control characters in strings, leading zeros,
 * trailing text, and (stricter than the RFC) a key repeated in one object. \u escapes decode to
 * UTF-8 within the Basic Multilingual Plane; surrogate pairs are not supported.
 */
#ifndef TESTS_SIM_JSONREAD_H
#define TESTS_SIM_JSONREAD_H

#include <kmm/types.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	bool b;	      /* JV_BOOL */
	bool is_uint; /* JV_NUMBER that is a non-negative integer fitting 64 bits: @u holds it */
	uint64_t u;
	char *s;		/* JV_STRING, decoded */
	char *key;		/* the member's key, in an object */
	struct jv *kids, *next; /* first element or member; the next sibling */
	size_t n;		/* number of elements or members */
};

/* The value @text holds (with whitespace around it only), or NULL if it is not valid JSON. */
struct jv *jv_parse(const char *text);
void jv_free(struct jv *v);

/* Member @key of object @v; NULL if @v is NULL or not an object or has no such member. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Element @i of array @v; NULL if @v is NULL or not an array or too short. */
const struct jv *jv_at(const struct jv *v, size_t i);

/* The string member @key of @v, or NULL. */
const char *jv_str(const struct jv *v, const char *key);
/* The unsigned integer member @key of @v, or UINT64_MAX if there is none. */
uint64_t jv_uint(const struct jv *v, const char *key);
/* True if member @key of @v is null. */
bool jv_is_null(const struct jv *v, const char *key);

#endif /* TESTS_SIM_JSONREAD_H */

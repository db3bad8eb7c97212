/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer (RFC 8259) for kmm-sim's --json output. The writer places the
 * separators: ", " between the elements of an array or the members of an object and ": " after
 * a key, all on one line, and a newline after a complete top-level value. Callers only say what
 * comes next:
 *
 *   json_object_begin(j); json_kv_uint(j, "levels", 3); json_key(j, "attrs"); json_null(j);
 *   json_object_end(j);                          → {"levels": 3, "attrs": null}\n
 *
 * Containers nest up to JSON_DEPTH_MAX deep. Strings are escaped: '"', '\\' and the control
 * characters below 0x20; other bytes are written as they are (UTF-8 passes through).
 */
#ifndef SIM_JSON_H
#define SIM_JSON_H

#include <kmm/types.h>

#include <stdio.h>

#define JSON_DEPTH_MAX 64

struct json {
	FILE *out;
	unsigned int depth; /* open containers */
	uint64_t nonempty;  /* bit d: the container at depth d + 1 has an element already */
	bool after_key;	    /* a key was written and its value is next */
};

void json_init(struct json *j, FILE *out);

void json_object_begin(struct json *j);
void json_object_end(struct json *j);
void json_array_begin(struct json *j);
void json_array_end(struct json *j);

/* The key of the next member of the enclosing object. */
void json_key(struct json *j, const char *key);

void json_string(struct json *j, const char *s);
void json_uint(struct json *j, uint64_t v);
void json_hex(struct json *j, uint64_t v); /* a string "0x…", lowercase, no leading zeros */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* A key and its value in one call. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_uint(struct json *j, const char *key, uint64_t v);
void json_kv_hex(struct json *j, const char *key, uint64_t v);
void json_kv_bool(struct json *j, const char *key, bool v);

#endif /* SIM_JSON_H */

// SPDX-License-Identifier: MIT
/* The streaming JSON writer; the output format is described in json.h. */
#include "json.h"

void json_init(struct json *j, FILE *out)
{
	*j = (struct json){ .out = out };
}

/* Write what goes before a value or a key: the separator from the previous element, if any. */
static void separate(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->depth)
		return;
	uint64_t bit = BIT(j->depth - 1);
	if (j->nonempty & bit)
		fputs(", ", j->out);
	j->nonempty |= bit;
}

/* A value is complete: a top-level one ends the document's line. */
static void finish(struct json *j)
{
	if (!j->depth)
		fputc('\n', j->out);
}

static void open_container(struct json *j, char c)
{
	separate(j);
	fputc(c, j->out);
	j->depth++;
	j->nonempty &= ~BIT(j->depth - 1);
}

static void close_container(struct json *j, char c)
{
	fputc(c, j->out);
	j->depth--;
	finish(j);
}

void json_object_begin(struct json *j)
{
	open_container(j, '{');
}

void json_object_end(struct json *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json *j)
{
	open_container(j, '[');
}

void json_array_end(struct json *j)
{
	close_container(j, ']');
}

/* @s in quotes with the escapes RFC 8259 section 7 requires. */
static void put_string(FILE *out, const char *s)
{
	static const char short_esc[] = { ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r',
					  ['\t'] = 't', ['"'] = '"',  ['\\'] = '\\' };

	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < sizeof(short_esc) && short_esc[*p])
			fprintf(out, "\\%c", short_esc[*p]);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_key(struct json *j, const char *key)
{
	separate(j);
	put_string(j->out, key);
	fputs(": ", j->out);
	j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
	separate(j);
	put_string(j->out, s);
	finish(j);
}

void json_uint(struct json *j, uint64_t v)
{
	separate(j);
	fprintf(j->out, "%llu", (unsigned long long)v);
	finish(j);
}

void json_hex(struct json *j, uint64_t v)
{
	separate(j);
	fprintf(j->out, "\"0x%llx\"", (unsigned long long)v);
	finish(j);
}

void json_bool(struct json *j, bool v)
{
	separate(j);
	fputs(v ? "true" : "false", j->out);
	finish(j);
}

void json_null(struct json *j)
{
	separate(j);
	fputs("null", j->out);
	finish(j);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_string(j, s);
}

void json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void json_kv_hex(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_hex(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

// SPDX-License-Identifier: MIT
/* A strict recursive-descent JSON reader for tests; see jsonread.h. */
#include "jsonread.h"

#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 64

struct reader {
	const char *p;
	unsigned int depth;
};

static struct jv *parse_value(struct reader *r);

static void skip_ws(struct reader *r)
{
	while (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')
		r->p++;
}

static bool take(struct reader *r, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(r->p, lit, n))
		return false;
	r->p += n;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* Append code point @cp (< 0x10000, not a surrogate) to @out as UTF-8; returns the bytes. */
static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	out[0] = (char)(0xe0 | (cp >> 12));
	out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[2] = (char)(0x80 | (cp & 0x3f));
	return 3;
}

/* The four hex digits after "\u" as a BMP code point; -1 if bad or a surrogate. */
static int unicode_escape(struct reader *r)
{
	int cp = 0;

	for (int i = 0; i < 4; i++, r->p++) {
		int d = hex_digit(*r->p);
		if (d < 0)
			return -1;
		cp = cp * 16 + d;
	}
	return cp >= 0xd800 && cp <= 0xdfff ? -1 : cp;
}

/* One escape after the backslash, appended to @out; returns the bytes, 0 if bad. */
static size_t escape(struct reader *r, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	char c = *r->p;
	const char *k = c ? strchr(from, c) : NULL;

	if (!c)
		return 0;
	r->p++;
	if (k) {
		*out = to[k - from];
		return 1;
	}
	if (c != 'u')
		return 0;
	int cp = unicode_escape(r);
	return cp < 0 ? 0 : put_utf8(out, (unsigned int)cp);
}

/* A string at r->p (at its opening quote): a malloc'd decoded copy, or NULL. The decoded text is
 * never longer than the source, so one buffer of the source's length is enough. */
static char *parse_string(struct reader *r)
{
	if (*r->p != '"')
		return NULL;
	r->p++;
	char *s = malloc(strlen(r->p) + 1);
	size_t n = 0;
	while (s && *r->p != '"') {
		unsigned char c = (unsigned char)*r->p;
		size_t k = 1;
		if (c < 0x20)
			goto bad; /* a raw control character, or the end of the text */
		r->p++;
		if (c == '\\')
			k = escape(r, s + n);
		else
			s[n] = (char)c;
		if (!k)
			goto bad;
		n += k;
	}
	if (s) {
		r->p++;
		s[n] = 0;
	}
	return s;
bad:
	free(s);
	return NULL;
}

/* A number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; fills @v. */
static bool parse_number(struct reader *r, struct jv *v)
{
	const char *start = r->p;
	bool neg = *r->p == '-', frac = false, overflow = false;
	uint64_t u = 0;

	r->p += neg;
	if (*r->p == '0' && r->p[1] >= '0' && r->p[1] <= '9')
		return false;
	if (*r->p < '0' || *r->p > '9')
		return false;
	for (; *r->p >= '0' && *r->p <= '9'; r->p++) {
		unsigned int d = (unsigned int)(*r->p - '0');
		overflow |= u > (UINT64_MAX - d) / 10;
		u = u * 10 + d;
	}
	if (*r->p == '.') {
		frac = true;
		if (*++r->p < '0' || *r->p > '9')
			return false;
		while (*r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	if (*r->p == 'e' || *r->p == 'E') {
		frac = true;
		r->p += (r->p[1] == '+' || r->p[1] == '-') ? 2 : 1;
		if (*r->p < '0' || *r->p > '9')
			return false;
		while (*r->p >= '0' && *r->p <= '9')
			r->p++;
	}
	v->type = JV_NUMBER;
	v->is_uint = !neg && !frac && !overflow && r->p > start;
	v->u = v->is_uint ? u : 0;
	return true;
}

/* Link @kid after @last (or as the first child of @parent). */
static void append(struct jv *parent, struct jv **last, struct jv *kid)
{
	if (*last)
		(*last)->next = kid;
	else
		parent->kids = kid;
	*last = kid;
	parent->n++;
}

/* The members of an object or elements of an array after its opening bracket, to @close. */
static bool parse_items(struct reader *r, struct jv *v, char close)
{
	struct jv *last = NULL;

	skip_ws(r);
	if (*r->p == close) {
		r->p++;
		return true;
	}
	for (;;) {
		char *key = NULL;
		skip_ws(r);
		if (close == '}') {
			key = parse_string(r);
			skip_ws(r);
			if (!key || *r->p != ':' || jv_get(v, key)) {
				free(key);
				return false;
			}
			r->p++;
		}
		struct jv *kid = parse_value(r);
		if (!kid) {
			free(key);
			return false;
		}
		kid->key = key;
		append(v, &last, kid);
		skip_ws(r);
		if (*r->p == close) {
			r->p++;
			return true;
		}
		if (*r->p != ',')
			return false;
		r->p++;
	}
}

static bool parse_into(struct reader *r, struct jv *v)
{
	switch (*r->p) {
	case '{':
	case '[':
		v->type = *r->p == '{' ? JV_OBJECT : JV_ARRAY;
		if (++r->depth > DEPTH_MAX)
			return false;
		r->p++;
		bool ok = parse_items(r, v, v->type == JV_OBJECT ? '}' : ']');
		r->depth--;
		return ok;
	case '"':
		v->type = JV_STRING;
		return (v->s = parse_string(r)) != NULL;
	case 't':
	case 'f':
		v->type = JV_BOOL;
		v->b = *r->p == 't';
		return take(r, v->b ? "true" : "false");
	case 'n':
		return take(r, "null");
	default:
		return parse_number(r, v);
	}
}

static struct jv *parse_value(struct reader *r)
{
	struct jv *v = calloc(1, sizeof(*v));

	skip_ws(r);
	if (v && !parse_into(r, v)) {
		jv_free(v);
		return NULL;
	}
	return v;
}

struct jv *jv_parse(const char *text)
{
	struct reader r = { text, 0 };
	struct jv *v = parse_value(&r);

	if (v)
		skip_ws(&r);
	if (v && *r.p) {
		jv_free(v);
		return NULL;
	}
	return v;
}

void jv_free(struct jv *v)
{
	while (v) {
		struct jv *next = v->next;
		jv_free(v->kids);
		free(v->s);
		free(v->key);
		free(v);
		v = next;
	}
}

const struct jv *jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJECT)
		return NULL;
	for (const struct jv *k = v->kids; k; k = k->next)
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

const struct jv *jv_at(const struct jv *v, size_t i)
{
	if (!v || v->type != JV_ARRAY)
		return NULL;
	const struct jv *k = v->kids;
	while (k && i--)
		k = k->next;
	return k;
}

const char *jv_str(const struct jv *v, const char *key)
{
	const struct jv *m = jv_get(v, key);

	return m && m->type == JV_STRING ? m->s : NULL;
}

uint64_t jv_uint(const struct jv *v, const char *key)
{
	const struct jv *m = jv_get(v, key);

	return m && m->is_uint ? m->u : UINT64_MAX;
}

bool jv_is_null(const struct jv *v, const char *key)
{
	const struct jv *m = jv_get(v, key);

	return m && m->type == JV_NULL;
}

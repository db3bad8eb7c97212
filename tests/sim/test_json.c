// SPDX-License-Identifier: MIT
/* kmm-sim's JSON writer, and the strict reader the other kmm-sim tests check its output with. */
#include "json.h"
#include "jsonread.h"

#include "../ktest/ktest.h"

#include <stdlib.h>
#include <string.h>

/* A writer on a memory stream: json_capture_begin, write, then json_capture_end for the text. */
struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct json j;
};

static struct json *json_capture_begin(struct capture *c)
{
	c->f = open_memstream(&c->buf, &c->len);
	json_init(&c->j, c->f);
	return &c->j;
}

static char *json_capture_end(struct capture *c)
{
	fclose(c->f);
	return c->buf;
}

KTEST(sim_json, nesting_and_separators)
{
	struct capture c;
	struct json *j = json_capture_begin(&c);

	json_object_begin(j);
	json_key(j, "a");
	json_array_begin(j);
	json_uint(j, 1);
	json_uint(j, 2);
	json_object_begin(j);
	json_key(j, "b");
	json_null(j);
	json_object_end(j);
	json_array_end(j);
	json_kv_bool(j, "c", true);
	json_kv_bool(j, "d", false);
	json_kv_hex(j, "e", 255);
	json_kv_string(j, "f", "x");
	json_key(j, "g");
	json_object_begin(j);
	json_object_end(j);
	json_key(j, "h");
	json_array_begin(j);
	json_array_end(j);
	json_object_end(j);
	char *s = json_capture_end(&c);
	KT_EXPECT_STREQ(
	    kt, s,
	    "{\"a\": [1, 2, {\"b\": null}], \"c\": true, \"d\": false, \"e\": \"0xff\", "
	    "\"f\": \"x\", \"g\": {}, \"h\": []}\n");
	free(s);
}

/* Each complete top-level value ends its line. */
KTEST(sim_json, top_level_values)
{
	struct capture c;
	struct json *j = json_capture_begin(&c);

	json_uint(j, 18446744073709551615ULL);
	json_array_begin(j);
	json_array_end(j);
	json_string(j, "s");
	char *s = json_capture_end(&c);
	KT_EXPECT_STREQ(kt, s, "18446744073709551615\n[]\n\"s\"\n");
	free(s);
}

KTEST(sim_json, hex_is_lowercase_without_padding)
{
	static const struct {
		uint64_t v;
		const char *text;
	} cases[] = {
		{ 0, "\"0x0\"\n" },
		{ 0xABCDEF, "\"0xabcdef\"\n" },
		{ 0xffffff0000080000ULL, "\"0xffffff0000080000\"\n" },
		{ UINT64_MAX, "\"0xffffffffffffffff\"\n" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct capture c;
		json_hex(json_capture_begin(&c), cases[i].v);
		char *s = json_capture_end(&c);
		KT_EXPECT_STREQ(kt, s, cases[i].text);
		free(s);
	}
}

/* Quotes, backslashes and every control character are escaped; UTF-8 passes through; and what
 * the writer escapes the reader decodes back to the same bytes. */
KTEST(sim_json, string_escapes_round_trip)
{
	char raw[64] = "q\"b\\s/\b\f\n\r\t\x01\x1f\x7f caf\xc3\xa9";
	struct capture c;
	struct json *j = json_capture_begin(&c);

	json_object_begin(j);
	json_kv_string(j, "k\"\n", raw);
	json_object_end(j);
	char *s = json_capture_end(&c);
	KT_EXPECT_STREQ(
	    kt, s,
	    "{\"k\\\"\\n\": \"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0001\\u001f\x7f caf\xc3\xa9\"}\n");
	struct jv *v = jv_parse(s);
	KT_EXPECT_STREQ(kt, jv_str(v, "k\"\n"), raw);
	jv_free(v);
	free(s);

	for (unsigned int ch = 1; ch < 0x20; ch++) {
		char one[2] = { (char)ch, 0 };
		struct capture c1;
		json_string(json_capture_begin(&c1), one);
		char *t = json_capture_end(&c1);
		struct jv *w = jv_parse(t);
		KT_EXPECT_TRUE(kt, w && w->type == JV_STRING && !strcmp(w->s, one));
		jv_free(w);
		free(t);
	}
}

KTEST(sim_json, reader_accepts_json)
{
	struct jv *v = jv_parse(" {\"a\": [1, -2, 3.5e2, true, false, null, \"\\u00e9\\/\"],\n"
				"\"b\": {\"c\": 18446744073709551615}} ");

	KT_ASSERT_NOT_NULL(kt, v);
	const struct jv *a = jv_get(v, "a");
	KT_EXPECT_EQ(kt, a->n, 7u);
	KT_EXPECT_EQ(kt, jv_at(a, 0)->u, 1u);
	KT_EXPECT_FALSE(kt, jv_at(a, 1)->is_uint);
	KT_EXPECT_TRUE(kt, jv_at(a, 2)->type == JV_NUMBER);
	KT_EXPECT_TRUE(kt, jv_at(a, 3)->b);
	KT_EXPECT_TRUE(kt, jv_at(a, 5)->type == JV_NULL);
	KT_EXPECT_STREQ(kt, jv_at(a, 6)->s, "\xc3\xa9/");
	KT_EXPECT_NULL(kt, jv_at(a, 7));
	KT_EXPECT_EQ(kt, jv_uint(jv_get(v, "b"), "c"), UINT64_MAX);
	KT_EXPECT_TRUE(kt, jv_get(jv_get(v, "b"), "c")->is_uint);
	KT_EXPECT_NULL(kt, jv_get(v, "missing"));
	jv_free(v);
}

/* The reader is strict, so a writer bug shows up as a parse failure. */
KTEST(sim_json, reader_rejects_bad_json)
{
	static const char *const bad[] = {
		"",
		"{",
		"[1, 2,]",
		"{\"a\": 1,}",
		"[1 2]",
		"{\"a\" 1}",
		"{\"a\": 1, \"a\": 2}",
		"{a: 1}",
		"\"unterminated",
		"\"raw\ncontrol\"",
		"\"bad \\x escape\"",
		"\"\\u12\"",
		"01",
		"1.",
		"-",
		"nul",
		"[] []",
		"{} x",
		"[1]]",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct jv *v = jv_parse(bad[i]);
		if (!KT_EXPECT_NULL(kt, v))
			ktest_log(kt, "accepted: %s", bad[i]);
		jv_free(v);
	}
}

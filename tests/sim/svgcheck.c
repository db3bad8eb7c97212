// SPDX-License-Identifier: MIT
/* Checks on the SVG pictures kmm-sim draws; see svgcheck.h. */
#include "svgcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEPTH_MAX 32
#define NAME_MAX_LEN 31

char *svg_read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	FILE *m = open_memstream(&buf, &len);
	int ch;
	while (m && (ch = fgetc(f)) != EOF)
		fputc(ch, m);
	if (m)
		fclose(m);
	fclose(f);
	return buf;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == ':';
}

/* Copy the name at *@s into @name, moving *@s past it; false when there is none. */
static bool read_name(const char **s, char *name)
{
	size_t n = 0;

	while (name_char(**s) && n < NAME_MAX_LEN)
		name[n++] = *(*s)++;
	name[n] = '\0';
	return n > 0 && !name_char(**s);
}

/* Text up to the next '<': no '>' and every '&' an entity. */
static bool text_ok(const char **s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#" };

	for (; **s && **s != '<'; (*s)++) {
		bool ent = false;

		if (**s == '>')
			return false;
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && **s == '&'; i++)
			ent |= !strncmp(*s, ents[i], strlen(ents[i]));
		if (**s == '&' && !ent)
			return false;
	}
	return true;
}

/* The attributes of a start tag up to its end; *@empty when it is self-closing. */
static bool attrs_ok(const char **s, bool *empty)
{
	char name[NAME_MAX_LEN + 1];

	for (;;) {
		bool space = false;
		while (**s == ' ' || **s == '\n' || **s == '\t')
			(*s)++, space = true;
		if (**s == '>' || !strncmp(*s, "/>", 2)) {
			*empty = **s == '/';
			*s += *empty ? 2 : 1;
			return true;
		}
		if (!space || !read_name(s, name) || strncmp(*s, "=\"", 2))
			return false;
		*s += 2;
		while (**s && **s != '"' && **s != '<')
			(*s)++;
		if (*(*s)++ != '"')
			return false;
	}
}

bool svg_well_formed(const char *s)
{
	char stack[DEPTH_MAX][NAME_MAX_LEN + 1], name[NAME_MAX_LEN + 1];
	int depth = 0;

	if (strncmp(s, "<svg", 4))
		return false;
	do {
		if (!text_ok(&s) || !*s)
			return false;
		bool close = s[1] == '/', empty = false;
		s += close ? 2 : 1;
		if (!read_name(&s, name))
			return false;
		if (close) {
			if (!depth || strcmp(stack[--depth], name) || *s++ != '>')
				return false;
		} else if (!attrs_ok(&s, &empty) || (!empty && depth == DEPTH_MAX)) {
			return false;
		} else if (!empty) {
			strcpy(stack[depth++], name);
		}
	} while (depth);
	return strspn(s, " \n\t") == strlen(s);
}

size_t svg_count(const char *s, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

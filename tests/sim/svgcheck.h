/* SPDX-License-Identifier: MIT */
/* Checks on the SVG pictures kmm-sim draws, for its tests. */
#ifndef TESTS_SIM_SVGCHECK_H
#define TESTS_SIM_SVGCHECK_H

#include <kmm/types.h>

/* The whole of file @path, NUL-terminated, in a heap buffer (free it); NULL if unreadable. */
char *svg_read_file(const char *path);

/*
 * @s is one well-formed XML element <svg ...>...</svg> (with only whitespace after it): tags
 * nest and match, attributes are name="value" without '<' in the value, text holds no '<' and
 * its '&' start entities. No DTD, comments or processing instructions (kmm-sim writes none).
 */
bool svg_well_formed(const char *s);

/* Occurrences of @needle in @s. */
size_t svg_count(const char *s, const char *needle);

#endif /* TESTS_SIM_SVGCHECK_H */

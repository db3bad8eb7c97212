/* SPDX-License-Identifier: MIT */
/*
 * Hosted test utility: capture what kernel code prints (printk) while a test runs, through the
 * hosted console hook (arch/host/host.h). Hosted only; the kernel's own runner has no use for it.
 *
 *   struct capture cap;
 *   capture_start(&cap);  ...code that printks...  const char *text = capture_stop(&cap);
 *   ...check text...      capture_free(&cap);
 */
#ifndef TESTS_HOST_CAPTURE_H
#define TESTS_HOST_CAPTURE_H

#include <stddef.h>
#include <stdio.h>

struct capture {
	char *buf;
	size_t len;
	FILE *f, *old;
};

void capture_start(struct capture *c);
/* Stop capturing and return the text (NUL-terminated; valid until capture_free). */
const char *capture_stop(struct capture *c);
void capture_free(struct capture *c);

#endif /* TESTS_HOST_CAPTURE_H */

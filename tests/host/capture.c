// SPDX-License-Identifier: MIT
/* printk capture for hosted tests; see capture.h. */
#include "capture.h"

#include "arch/host/host.h"

#include <stdlib.h>

void capture_start(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	c->old = host_console_set(c->f);
}

const char *capture_stop(struct capture *c)
{
	host_console_set(c->old);
	if (c->f)
		fclose(c->f);
	c->f = NULL;
	return c->buf ? c->buf : "";
}

void capture_free(struct capture *c)
{
	free(c->buf);
	c->buf = NULL;
}

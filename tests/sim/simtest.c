// SPDX-License-Identifier: MIT
/* In-process runs of kmm-sim commands; see simtest.h. */
#include "simtest.h"

#include <stdlib.h>
#include <string.h>

void sim_capture_run(struct sim_capture *c, sim_cmd_fn *fn, const char *const *args)
{
	size_t n = 0, nout = 0, nerr = 0;

	while (args[n])
		n++;
	char **argv = calloc(n + 1, sizeof(*argv));
	for (size_t i = 0; i < n; i++)
		argv[i] = strdup(args[i]);
	FILE *out = open_memstream(&c->out, &nout);
	FILE *err = open_memstream(&c->err, &nerr);
	c->rc = fn((int)n, argv, out, err);
	fclose(out);
	fclose(err);
	for (size_t i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

void sim_capture_free(struct sim_capture *c)
{
	free(c->out);
	free(c->err);
	*c = (struct sim_capture){ 0 };
}

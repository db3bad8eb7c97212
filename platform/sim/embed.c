// SPDX-License-Identifier: MIT
/* The embedding entry points of <kmm/kmm.h>: one simulated board per program. */
#include "board.h"
#include "sim.h"

#include <kmm/kmm.h>

static struct sim_boot embed_board;
static bool embed_up;

int kmm_sim_boot(const struct kmm_sim_config *cfg)
{
	static const struct kmm_sim_config defaults;
	const struct kmm_sim_config *c = cfg ? cfg : &defaults;
	struct sim_boot_opts o = {
		.board = c->board ? c->board : "virt",
		.mem = c->mem,
		.granule = PAGE_SIZE,
		.va_bits = 48,
		.ncpus = c->ncpus,
	};

	if (embed_up)
		return -EBUSY;
	FILE *log = c->log ? c->log : fopen("/dev/null", "w");
	if (!log)
		return -ENOMEM;
	int rc = sim_boot(&embed_board, &o, log, c->err ? c->err : stderr);
	if (!c->log)
		fclose(log);
	if (rc != SIM_EXIT_OK) {
		sim_boot_release(&embed_board);
		return rc == SIM_EXIT_USAGE ? -EINVAL : -ENOMEM;
	}
	embed_up = true;
	return 0;
}

void kmm_sim_shutdown(void)
{
	if (!embed_up)
		return;
	sim_boot_release(&embed_board);
	embed_up = false;
}

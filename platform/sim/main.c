// SPDX-License-Identifier: MIT
/* kmm-sim: the simulator's entry point; the commands and their dispatch are in sim.h. */
#include "sim.h"

int main(int argc, char **argv)
{
	return sim_main(argc, argv, stdout, stderr);
}

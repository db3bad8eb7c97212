/* SPDX-License-Identifier: MIT */
/*
 * Assertions for kernel bugs, as Linux's BUG_ON and WARN_ON: for states the code itself must
 * never reach. Never for external input (a DTB, a system-call argument, a scenario line): that
 * gets an error return naming what is wrong.
 */
#ifndef KMM_BUG_H
#define KMM_BUG_H

#include <kmm/arch.h>
#include <kmm/printk.h>

#define BUG()                                                                                    \
	do {                                                                                     \
		printk("kernel BUG at %s:%d (%s)\n", __FILE__, __LINE__, __func__);              \
		arch_halt();                                                                     \
	} while (0)

#define BUG_ON(cond)                                                                             \
	do {                                                                                     \
		if (unlikely(cond))                                                              \
			BUG();                                                                   \
	} while (0)

/* Report @cond with its location and go on; evaluates to @cond. */
#define WARN_ON(cond)                                                                            \
	({                                                                                       \
		bool warn_ = !!(cond);                                                           \
		if (unlikely(warn_))                                                             \
			printk("WARNING: %s:%d %s: %s\n", __FILE__, __LINE__, __func__, #cond);  \
		warn_;                                                                           \
	})

#endif /* KMM_BUG_H */

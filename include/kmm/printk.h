/* SPDX-License-Identifier: MIT */
/*
 * Formatted output for freestanding code: kmm_snprintf and printk. Formats: %d %i %u %x %X %o
 * %c %s %p %%, flags '-' '0' '#' '+' ' ', a width and precision (or '*'), and the length
 * modifiers hh h l ll z t j. printk goes to the console of the arch interface.
 */
#ifndef KMM_PRINTK_H
#define KMM_PRINTK_H

#include <kmm/types.h>
#include <stdarg.h>

int kmm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int kmm_snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

int vprintk(const char *fmt, va_list ap);
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* KMM_PRINTK_H */

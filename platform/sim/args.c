// SPDX-License-Identifier: MIT
/* Command-line helpers shared by the kmm-sim commands: numbers, getopt errors, sizes. */
#include "sim.h"

#include <aarch64/geometry.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

/* Value of digit @c in @base (10 or 16), or -1. */
static int digit_value(char c, unsigned int base)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (base == 16 && c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (base == 16 && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Shift of a size suffix K, M, G (either case), or 0. */
static unsigned int suffix_shift(char c)
{
	switch (c | 0x20) {
	case 'k':
		return 10;
	case 'm':
		return 20;
	case 'g':
		return 30;
	default:
		return 0;
	}
}

int sim_parse_u64(const char *s, unsigned int flags, uint64_t *out)
{
	unsigned int base = 10;
	uint64_t v = 0;
	int d;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	const char *digits = s;
	for (; (d = digit_value(*s, base)) >= 0; s++) {
		if (v > (UINT64_MAX - (uint64_t)d) / base)
			return -ERANGE;
		v = v * base + (uint64_t)d;
	}
	if (s == digits)
		return -EINVAL;
	unsigned int shift = (flags & SIM_NUM_SUFFIX) ? suffix_shift(*s) : 0;
	if (shift) {
		if (v >> (64 - shift))
			return -ERANGE;
		v <<= shift;
		s++;
	}
	if (*s)
		return -EINVAL;
	*out = v;
	return 0;
}

bool sim_arg_u64(FILE *err, const char *cmd, const char *what, const char *s, unsigned int flags,
		 uint64_t *out)
{
	int r = sim_parse_u64(s, flags, out);

	if (r == -ERANGE)
		fprintf(err, "kmm-sim %s: %s: '%s' is too large\n", cmd, what, s);
	else if (r)
		fprintf(err, "kmm-sim %s: %s: '%s' is not a number\n", cmd, what, s);
	return r == 0;
}

bool sim_arg_uint(FILE *err, const char *cmd, const char *what, const char *s, unsigned int min,
		  unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (!sim_arg_u64(err, cmd, what, s, 0, &v))
		return false;
	if (v < min || v > max) {
		fprintf(err, "kmm-sim %s: %s: %s is out of range (%u..%u)\n", cmd, what, s, min,
			max);
		return false;
	}
	*out = (unsigned int)v;
	return true;
}

void sim_getopt_reset(void)
{
	optind = 0; /* glibc: 0 also resets the scanner's internal state */
	opterr = 0;
}

/* The name of the long option whose value is @val. */
static const char *long_name(const struct option *opts, int val)
{
	for (; opts->name; opts++)
		if (opts->val == val)
			return opts->name;
	return "?";
}

int sim_opt_error(FILE *err, const char *cmd, int c, char **argv, const struct option *opts)
{
	/* glibc sets optopt to 0 for an unknown long option, to its value for a misused one, and to
	 * the character for an unknown short one; optind is past the offending argument. */
	if (optopt >= 256 && c == ':')
		return sim_usage_error(err, cmd, "option '--%s' needs a value",
				       long_name(opts, optopt));
	if (optopt >= 256)
		return sim_usage_error(err, cmd, "option '--%s' takes no value",
				       long_name(opts, optopt));
	if (optopt)
		return sim_usage_error(err, cmd, "unknown option '-%c'", optopt);
	return sim_usage_error(err, cmd, "unknown or ambiguous option '%s'", argv[optind - 1]);
}

int sim_usage_error(FILE *err, const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "kmm-sim %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, " (try 'kmm-sim %s --help')\n", cmd);
	return SIM_EXIT_USAGE;
}

const char *sim_size_str(uint64_t bytes, char *buf)
{
	static const char units[] = "KMGTPE";
	int u = -1;

	while (bytes && u + 1 < (int)strlen(units) && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	if (u < 0)
		snprintf(buf, 24, "%llu", (unsigned long long)bytes);
	else
		snprintf(buf, 24, "%llu%c", (unsigned long long)bytes, units[u]);
	return buf;
}

bool sim_arg_granule(FILE *err, const char *cmd, const char *s, uint64_t *out)
{
	*out = xlat_granule_parse(s);
	if (!*out)
		sim_usage_error(err, cmd, "--granule: '%s' is not 4k, 16k or 64k", s);
	return *out != 0;
}

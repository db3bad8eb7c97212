// SPDX-License-Identifier: MIT
/*
 * A small vsnprintf for freestanding code (the hosted build has libc's, the kernel does not).
 * It follows C11 7.21.6.1 for the conversions listed in printk.h.
 */
#include <kmm/arch.h>
#include <kmm/printk.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* characters the full output needs */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

enum { F_LEFT = 1, F_ZERO = 2, F_ALT = 4, F_PLUS = 8, F_SPACE = 16 };

static void put_num(struct out *o, unsigned long long v, bool neg, unsigned int base, bool upper,
		    int flags, int width, int prec)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;

	bool zero = v == 0;

	while (v) {
		tmp[n++] = digits[v % base];
		v /= base;
	}
	if (zero && prec != 0) /* C11: precision 0 with the value 0 prints no digits */
		tmp[n++] = '0';
	int ndig = n > prec ? n : prec;
	const char *prefix = "";
	if (neg)
		prefix = "-";
	else if (flags & F_PLUS)
		prefix = "+";
	else if (flags & F_SPACE)
		prefix = " ";
	else if ((flags & F_ALT) && base == 16 && !zero)
		prefix = upper ? "0X" : "0x";
	else if ((flags & F_ALT) && base == 8 && ndig <= n && !zero)
		ndig = n + 1;
	int plen = 0;
	while (prefix[plen])
		plen++;
	int total = plen + ndig;
	if ((flags & F_ZERO) && !(flags & F_LEFT) && prec < 0 && total < width) {
		ndig += width - total;
		total = width;
	}
	if (!(flags & F_LEFT))
		pad(o, ' ', width - total);
	for (int i = 0; i < plen; i++)
		put(o, prefix[i]);
	pad(o, '0', ndig - n);
	while (n)
		put(o, tmp[--n]);
	if (flags & F_LEFT)
		pad(o, ' ', width - total);
}

int kmm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		int flags = 0, width = 0, prec = -1;
		for (;; fmt++) {
			char c = fmt[1];
			int f = c == '-'   ? F_LEFT
				: c == '0' ? F_ZERO
				: c == '#' ? F_ALT
				: c == '+' ? F_PLUS
				: c == ' ' ? F_SPACE
					   : 0;
			if (!f)
				break;
			flags |= f;
		}
		fmt++;
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				flags |= F_LEFT;
				width = -width;
			}
			fmt++;
		} else {
			while (*fmt >= '0' && *fmt <= '9')
				width = width * 10 + (*fmt++ - '0');
		}
		if (*fmt == '.') {
			fmt++;
			prec = 0;
			if (*fmt == '*') {
				prec = va_arg(ap, int);
				fmt++;
			} else {
				while (*fmt >= '0' && *fmt <= '9')
					prec = prec * 10 + (*fmt++ - '0');
			}
		}
		int len = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t/ptrdiff/intmax */
		for (;; fmt++) {
			if (*fmt == 'h')
				len--;
			else if (*fmt == 'l')
				len++;
			else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j')
				len = 3;
			else
				break;
		}
		char c = *fmt;
		if (!c)
			break;
		switch (c) {
		case 'd':
		case 'i': {
			long long v;
			if (len >= 2)
				v = len == 2 ? va_arg(ap, long long)
					     : (long long)va_arg(ap, ptrdiff_t);
			else if (len == 1)
				v = va_arg(ap, long);
			else
				v = va_arg(ap, int);
			if (len == -1)
				v = (short)v;
			else if (len <= -2)
				v = (signed char)v;
			unsigned long long u =
			    v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
			put_num(&o, u, v < 0, 10, false, flags, width, prec);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			unsigned long long v;
			if (len >= 2)
				v = len == 2 ? va_arg(ap, unsigned long long)
					     : (unsigned long long)va_arg(ap, size_t);
			else if (len == 1)
				v = va_arg(ap, unsigned long);
			else
				v = va_arg(ap, unsigned int);
			if (len == -1)
				v = (unsigned short)v;
			else if (len <= -2)
				v = (unsigned char)v;
			unsigned int base = c == 'u' ? 10 : c == 'o' ? 8 : 16;
			put_num(&o, v, false, base, c == 'X', flags, width, prec);
			break;
		}
		case 'p':
			put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, flags | F_ALT,
				width, prec);
			break;
		case 'c':
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - 1);
			put(&o, (char)va_arg(ap, int));
			if (flags & F_LEFT)
				pad(&o, ' ', width - 1);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			int n = 0;
			while (s[n] && (prec < 0 || n < prec))
				n++;
			if (!(flags & F_LEFT))
				pad(&o, ' ', width - n);
			for (int i = 0; i < n; i++)
				put(&o, s[i]);
			if (flags & F_LEFT)
				pad(&o, ' ', width - n);
			break;
		}
		default: /* '%' and anything unknown print as themselves */
			put(&o, c);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int kmm_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kmm_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int vprintk(const char *fmt, va_list ap)
{
	char buf[512];

	int n = kmm_vsnprintf(buf, sizeof(buf), fmt, ap);
	if ((size_t)n < sizeof(buf)) {
		arch_console_write(buf, (size_t)n);
	} else {
		/* Too long for one buffer: print the part that fit and say it was cut. */
		arch_console_write(buf, sizeof(buf) - 1);
		arch_console_write("[...]\n", 6);
	}
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

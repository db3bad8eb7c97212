// SPDX-License-Identifier: MIT
/* kmm_snprintf against C11's rules (7.21.6.1), for the conversions kmm uses. */
#include <kmm/printk.h>

#include "../ktest/ktest.h"

#define CHECK(kt, want, ...)                                                                       \
	do {                                                                                       \
		char buf_[128];                                                                    \
		int n_ = kmm_snprintf(buf_, sizeof(buf_), __VA_ARGS__);                            \
		KT_EXPECT_STREQ(kt, buf_, want);                                                   \
		KT_EXPECT_EQ(kt, n_, (int)__builtin_strlen(want));                                 \
	} while (0)

KTEST(vsprintf, integers)
{
	CHECK(kt, "0", "%d", 0);
	CHECK(kt, "-42 42 +42", "%d %i %+d", -42, 42, 42);
	CHECK(kt, "  -7|-7  |-007", "%4d|%-4d|%04d", -7, -7, -7);
	CHECK(kt, "4294967295", "%u", 4294967295u);
	CHECK(kt, "ffff 0XFF 0x1f", "%x %#X %#x", 0xffffu, 0xffu, 0x1fu);
	CHECK(kt, "0000000000000000", "%016llx", 0ULL); /* zero flag with the value 0 */
	CHECK(kt, "0x0000000040000000", "0x%016llx", 0x40000000ULL);
	CHECK(kt, "0 0", "%#x %#o", 0u, 0u); /* no 0x prefix for zero */
	CHECK(kt, "", "%.0d", 0);	     /* precision 0 prints no digits for zero */
	CHECK(kt, "00042", "%.5d", 42);
	CHECK(kt, "18446744073709551615", "%llu", ~0ULL);
	CHECK(kt, "-9223372036854775808", "%lld", (long long)(1ULL << 63));
	int wide = 0x1ff, byte = 0xff; /* promoted to int, then converted as C11 says */
	CHECK(kt, "255 -1", "%hhu %hhd", (unsigned char)wide, (signed char)byte);
	CHECK(kt, "123 456", "%zu %lu", (size_t)123, 456ul);
	CHECK(kt, "17", "%o", 15u);
}

KTEST(vsprintf, strings_and_chars)
{
	CHECK(kt, "abc", "%s", "abc");
	CHECK(kt, "  abc|abc  |ab", "%5s|%-5s|%.2s", "abc", "abc", "abc");
	const char *volatile none = NULL; /* hidden from the compiler's format checks */
	CHECK(kt, "(null)", "%s", none);
	CHECK(kt, "x|  y|z  ", "%c|%3c|%-3c", 'x', 'y', 'z');
	CHECK(kt, "100%", "%d%%", 100);
	CHECK(kt, "   42", "%*d", 5, 42);
}

KTEST(vsprintf, truncation)
{
	char buf[8];

	KT_EXPECT_EQ(kt, kmm_snprintf(buf, sizeof(buf), "%s", "0123456789"), 10);
	KT_EXPECT_STREQ(kt, buf, "0123456");
	KT_EXPECT_EQ(kt, kmm_snprintf(NULL, 0, "%d", 12345), 5);
}

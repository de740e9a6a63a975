/*
 * test_utf8.c - utf8_valid() and utf8_length(): every class of
 * ill-formed sequence from RFC 3629 and Markus Kuhn's stress test
 * (overlongs, surrogates, out of range, truncation, stray continuation
 * bytes) and the boundaries of each sequence length.
 */
#include <string.h>

#include "http/http.h"
#include "support/tap.h"

struct utf8_case {
	const char *name;
	const char *s;
	size_t len;	/* 0: strlen(s) */
	bool valid;
};

static const struct utf8_case cases[] = {
	{ "empty", "", 0, true },
	{ "ascii", "hello, world", 0, true },
	{ "two-byte", "caf\xc3\xa9", 0, true },
	{ "three-byte", "\xe2\x82\xac", 0, true },
	{ "four-byte", "\xf0\x9f\x98\x80", 0, true },
	{ "lowest two-byte U+0080", "\xc2\x80", 0, true },
	{ "highest two-byte U+07FF", "\xdf\xbf", 0, true },
	{ "lowest three-byte U+0800", "\xe0\xa0\x80", 0, true },
	{ "U+D7FF before surrogates", "\xed\x9f\xbf", 0, true },
	{ "U+E000 after surrogates", "\xee\x80\x80", 0, true },
	{ "U+FFFF", "\xef\xbf\xbf", 0, true },
	{ "lowest four-byte U+10000", "\xf0\x90\x80\x80", 0, true },
	{ "highest U+10FFFF", "\xf4\x8f\xbf\xbf", 0, true },
	{ "NUL byte", "a\0b", 3, false },
	{ "only NUL", "\0", 1, false },
	{ "overlong slash c0 af", "\xc0\xaf", 0, false },
	{ "overlong NUL c0 80", "\xc0\x80", 0, false },
	{ "overlong c1 bf", "\xc1\xbf", 0, false },
	{ "overlong three-byte e0 80 af", "\xe0\x80\xaf", 0, false },
	{ "overlong three-byte e0 9f bf", "\xe0\x9f\xbf", 0, false },
	{ "overlong four-byte f0 80 80 af", "\xf0\x80\x80\xaf", 0, false },
	{ "overlong four-byte f0 8f bf bf", "\xf0\x8f\xbf\xbf", 0, false },
	{ "high surrogate U+D800", "\xed\xa0\x80", 0, false },
	{ "low surrogate U+DFFF", "\xed\xbf\xbf", 0, false },
	{ "surrogate pair as CESU-8", "\xed\xa0\xbd\xed\xb8\x80", 0, false },
	{ "above U+10FFFF f4 90", "\xf4\x90\x80\x80", 0, false },
	{ "f5 lead byte", "\xf5\x80\x80\x80", 0, false },
	{ "ff byte", "\xff", 0, false },
	{ "fe byte", "\xfe", 0, false },
	{ "five-byte form", "\xf8\x88\x80\x80\x80", 0, false },
	{ "lone continuation", "\x80", 0, false },
	{ "continuation after ascii", "a\xbf", 0, false },
	{ "truncated two-byte", "\xc3", 0, false },
	{ "truncated three-byte", "\xe2\x82", 0, false },
	{ "truncated four-byte", "\xf0\x9f\x98", 0, false },
	{ "truncated then ascii", "\xe2\x82" "a", 0, false },
	{ "bad continuation", "\xc3\x28", 0, false },
	{ "latin-1 e9", "caf\xe9", 0, false },
};

int
main(void)
{
	size_t i, len;

	subtest("utf8_valid table");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len ? cases[i].len : strlen(cases[i].s);
		is_int(utf8_valid(cases[i].s, len), cases[i].valid,
		       "utf8_valid: %s", cases[i].name);
	}

	subtest("length bounds the read");
	ok(utf8_valid("ab\xc3\xa9", 2), "a prefix of valid text is valid");
	ok(!utf8_valid("ab\xc3\xa9", 3), "a cut inside a sequence is not");
	ok(utf8_valid("x\0y", 1), "bytes past len are not read");

	subtest("utf8_length");
	is_int(utf8_length(""), 0, "empty string has 0 code points");
	is_int(utf8_length("abc"), 3, "ascii counts bytes");
	is_int(utf8_length("caf\xc3\xa9"), 4, "two-byte counts once");
	is_int(utf8_length("\xe2\x82\xac\xf0\x9f\x98\x80"), 2,
	       "three- and four-byte count once");
	is_int(utf8_length("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"),
	       15, "fifteen accented letters are fifteen characters");
	return done_testing();
}

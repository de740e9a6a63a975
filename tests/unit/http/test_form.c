/*
 * test_form.c - form_parse(), params_get() and url_encode(): decoding of
 * well-formed input, then a table of malformed input that must be
 * refused as a whole (bad escapes, NUL raw or escaped, invalid UTF-8 raw
 * or escaped, repeated names, empty names), the parameter limit, and the
 * round trip url_encode -> form_parse.
 */
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "support/tap.h"

static enum op_rc
parse(struct arena *a, const char *s, size_t max, struct params *p)
{
	return form_parse(a, s, strlen(s), max, p);
}

struct bad_case {
	const char *name;
	const char *s;
	size_t len;	/* 0: strlen(s) */
	enum op_rc rc;
};

static const struct bad_case bad[] = {
	{ "escape with one digit at end", "a=%4", 0, OP_E_INVALID },
	{ "escape with no digit at end", "a=%", 0, OP_E_INVALID },
	{ "escape with non-hex digits", "a=%zz", 0, OP_E_INVALID },
	{ "escape with one non-hex digit", "a=%4g", 0, OP_E_INVALID },
	{ "bad escape in the name", "%g1=1", 0, OP_E_INVALID },
	{ "escaped NUL in value", "a=x%00y", 0, OP_E_INVALID },
	{ "escaped NUL in name", "a%00=1", 0, OP_E_INVALID },
	{ "raw NUL in value", "a=x\0y", 5, OP_E_INVALID },
	{ "raw NUL alone", "\0", 1, OP_E_INVALID },
	{ "escaped latin-1", "name=caf%E9", 0, OP_E_INVALID },
	{ "raw latin-1", "name=caf\xe9", 0, OP_E_INVALID },
	{ "escaped overlong slash", "p=%C0%AF", 0, OP_E_INVALID },
	{ "escaped surrogate", "p=%ED%A0%80", 0, OP_E_INVALID },
	{ "truncated escaped sequence", "p=%E2%82", 0, OP_E_INVALID },
	{ "invalid UTF-8 in the name", "%FF=1", 0, OP_E_INVALID },
	{ "repeated name", "a=1&a=2", 0, OP_E_INVALID },
	{ "repeated name, same value", "a=1&b=2&a=1", 0, OP_E_INVALID },
	{ "repeated name through escapes", "a=1&%61=2", 0, OP_E_INVALID },
	{ "repeated bare name", "a&a", 0, OP_E_INVALID },
	{ "empty name", "=1", 0, OP_E_INVALID },
	{ "empty name after a pair", "a=1&=2", 0, OP_E_INVALID },
	{ "too many pairs", "a=1&b=2&c=3&d=4&e=5", 0, OP_E_LIMIT },
};

int
main(void)
{
	struct arena *a = arena_new();
	struct params p;
	size_t i, len;
	char big[600];
	char *enc;

	subtest("well-formed input");
	is_int(parse(a, "a=1&b=two", 4, &p), OP_OK, "two pairs parse");
	is_int(p.n, 2, "two params");
	is_str(params_get(&p, "a"), "1", "a=1");
	is_str(params_get(&p, "b"), "two", "b=two");
	is_int(p.v[1].value_len, 3, "value_len of b");
	ok(params_get(&p, "c") == NULL, "absent name gives NULL");
	ok(params_get(&p, "A") == NULL, "names are case-sensitive");

	is_int(parse(a, "q=hello+world%21&e=a%2Bb%3Dc%26d", 4, &p), OP_OK,
	       "plus and escapes");
	is_str(params_get(&p, "q"), "hello world!", "plus is a space");
	is_str(params_get(&p, "e"), "a+b=c&d", "escaped reserved chars");

	is_int(parse(a, "n=caf%C3%A9&m=%e2%82%ac&r=\xc3\xa9", 4, &p), OP_OK,
	       "UTF-8 escaped (either case) and raw");
	is_str(params_get(&p, "n"), "caf\xc3\xa9", "escaped two-byte");
	is_str(params_get(&p, "m"), "\xe2\x82\xac", "lower-case hex");
	is_str(params_get(&p, "r"), "\xc3\xa9", "raw UTF-8 kept");

	is_int(parse(a, "a=1&&b=2&", 4, &p), OP_OK, "empty pairs skipped");
	is_int(p.n, 2, "only the two real pairs");
	is_int(parse(a, "&&&", 4, &p), OP_OK, "only separators");
	is_int(p.n, 0, "no params");
	is_int(parse(a, "", 4, &p), OP_OK, "empty input");
	is_int(p.n, 0, "no params from empty input");

	is_int(parse(a, "flag&x=", 4, &p), OP_OK, "bare name and empty value");
	is_str(params_get(&p, "flag"), "", "bare name has value \"\"");
	is_str(params_get(&p, "x"), "", "x= has value \"\"");
	is_int(p.v[0].value_len, 0, "bare name value_len 0");

	is_int(parse(a, "a=b=c", 4, &p), OP_OK, "second '=' is in the value");
	is_str(params_get(&p, "a"), "b=c", "value keeps '='");

	is_int(parse(a, "a=1&b=2&c=3&d=4", 4, &p), OP_OK,
	       "exactly max_params pairs");
	is_int(p.n, 4, "four params");
	is_int(parse(a, "a=1&&&&b=2", 2, &p), OP_OK,
	       "empty pairs do not count against the limit");
	is_int(form_parse(a, "a=1&b=2", 3, 4, &p), OP_OK,
	       "only len bytes are read");
	is_int(p.n, 1, "one param within len");
	is_str(params_get(&p, "a"), "1", "a=1 within len");

	subtest("malformed input is refused whole");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len ? bad[i].len : strlen(bad[i].s);
		p.n = 99;
		is_int(form_parse(a, bad[i].s, len, 4, &p), bad[i].rc,
		       "form_parse refuses: %s", bad[i].name);
		ok(p.n == 0 && p.v == NULL, "no params left after: %s",
		   bad[i].name);
	}
	is_int(parse(a, "a=1", 0, &p), OP_E_LIMIT, "max_params 0 refuses one");

	subtest("params_get edge cases");
	ok(params_get(NULL, "a") == NULL, "NULL params");
	p.v = NULL;
	p.n = 0;
	ok(params_get(&p, "a") == NULL, "empty params");

	subtest("url_encode");
	is_str(url_encode(a, "AZaz09-._~"), "AZaz09-._~",
	       "unreserved characters stay");
	is_str(url_encode(a, "a b&c=d/e?f#g+h%"),
	       "a%20b%26c%3Dd%2Fe%3Ff%23g%2Bh%25", "reserved are escaped");
	is_str(url_encode(a, "caf\xc3\xa9"), "caf%C3%A9",
	       "UTF-8 bytes are escaped, upper-case hex");
	is_str(url_encode(a, ""), "", "empty stays empty");
	memset(big, 0, sizeof(big));
	for (i = 0; i < 200; i++)
		big[i] = (char)(0x20 + i % 0x5f);
	enc = url_encode(a, big);
	len = strlen("v=") + strlen(enc);
	{
		char *q = arena_asprintf(a, "v=%s", enc);
		is_int(form_parse(a, q, len, 4, &p), OP_OK,
		       "url_encode output parses");
		is_str(params_get(&p, "v"), big, "round trip is exact");
	}

	arena_free(a);
	return done_testing();
}

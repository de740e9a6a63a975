/*
 * test_cookie.c - cookie_parse(): the RFC 6265 header shape, tolerance
 * for the junk browsers carry (malformed pairs are skipped one by one),
 * first-wins on repeated names, quoted values, and the limit.
 */
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "support/tap.h"

struct skip_case {
	const char *name;
	const char *header;
};

/* Each header holds one malformed pair between two good ones. */
static const struct skip_case skipped[] = {
	{ "no equals sign", "a=1; junk; b=2" },
	{ "empty name", "a=1; =x; b=2" },
	{ "space in name", "a=1; x y=z; b=2" },
	{ "separator in name", "a=1; x(y)=z; b=2" },
	{ "space inside value", "a=1; x=y z; b=2" },
	{ "comma in value", "a=1; x=y,z; b=2" },
	{ "backslash in value", "a=1; x=y\\z; b=2" },
	{ "lone quote in value", "a=1; x=\"y; b=2" },
	{ "quote inside value", "a=1; x=y\"z; b=2" },
	{ "control byte in value", "a=1; x=y\x01z; b=2" },
	{ "DEL in value", "a=1; x=y\x7fz; b=2" },
	{ "non-ASCII in value", "a=1; x=caf\xc3\xa9; b=2" },
	{ "non-ASCII in name", "a=1; \xc3\xa9=1; b=2" },
};

int
main(void)
{
	struct arena *a = arena_new();
	struct params p;
	size_t i;

	subtest("well-formed headers");
	is_int(cookie_parse(a, "sid=abc; csrf=XYZ-_", 8, &p), OP_OK,
	       "two cookies");
	is_int(p.n, 2, "two params");
	is_str(params_get(&p, "sid"), "abc", "sid");
	is_str(params_get(&p, "csrf"), "XYZ-_", "csrf");
	is_int(p.v[1].value_len, 5, "value_len");

	is_int(cookie_parse(a, "a=1;b=2;  c=3  ;\td=4", 8, &p), OP_OK,
	       "spacing varies");
	is_int(p.n, 4, "four cookies");
	is_str(params_get(&p, "c"), "3", "trailing space trimmed");
	is_str(params_get(&p, "d"), "4", "tab trimmed");

	is_int(cookie_parse(a, "q=\"quoted\"; e=; x=a=b", 8, &p), OP_OK,
	       "quoted, empty, with '='");
	is_str(params_get(&p, "q"), "quoted", "quotes removed");
	is_str(params_get(&p, "e"), "", "empty value");
	is_str(params_get(&p, "x"), "a=b", "'=' allowed in value");

	is_int(cookie_parse(a, NULL, 8, &p), OP_OK, "no header");
	is_int(p.n, 0, "no cookies without header");
	is_int(cookie_parse(a, "", 8, &p), OP_OK, "empty header");
	is_int(p.n, 0, "no cookies in empty header");
	is_int(cookie_parse(a, ";;; ;", 8, &p), OP_OK, "only separators");
	is_int(p.n, 0, "no cookies from separators");

	subtest("repeated names: first wins");
	is_int(cookie_parse(a, "sid=first; sid=second; o=1", 8, &p), OP_OK,
	       "repeated name is not an error");
	is_int(p.n, 2, "the repeat is dropped");
	is_str(params_get(&p, "sid"), "first", "first value wins");
	is_int(cookie_parse(a, "sid=bad value; sid=good", 8, &p), OP_OK,
	       "a malformed first does not hide a good second");
	is_str(params_get(&p, "sid"), "good", "good second kept");
	is_int(cookie_parse(a, "a=1; a=2; a=3; a=4", 1, &p), OP_OK,
	       "repeats do not count against the limit");

	subtest("malformed pairs are skipped");
	for (i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		is_int(cookie_parse(a, skipped[i].header, 8, &p), OP_OK,
		       "parses: %s", skipped[i].name);
		ok(p.n == 2 && strcmp(params_get(&p, "a"), "1") == 0 &&
			   strcmp(params_get(&p, "b"), "2") == 0,
		   "only the good pairs kept: %s", skipped[i].name);
	}

	subtest("limit");
	is_int(cookie_parse(a, "a=1; b=2; c=3", 3, &p), OP_OK,
	       "exactly max_params");
	is_int(cookie_parse(a, "a=1; b=2; c=3; d=4", 3, &p), OP_E_LIMIT,
	       "one past max_params");
	ok(p.n == 0 && p.v == NULL, "nothing left after the limit");
	is_int(cookie_parse(a, "a=1; junk; x y=1; b=2", 2, &p), OP_OK,
	       "skipped pairs do not count");

	arena_free(a);
	return done_testing();
}

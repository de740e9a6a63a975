/* Unit tests of core/email.c: one definition of an acceptable address. */
#include "core/email.h"
#include "support/tap.h"

static const struct {
	const char *in;
	const char *canon;	/* NULL: refused */
} cases[] = {
	{ "Person@Example.COM", "person@example.com" },
	{ "  a.b+tag@sub.example.org \t", "a.b+tag@sub.example.org" },
	{ "o'brien@example.ie", "o'brien@example.ie" },
	{ "x@a-b.example", "x@a-b.example" },
	{ "", NULL },
	{ "plainaddress", NULL },
	{ "@example.com", NULL },
	{ "a@", NULL },
	{ "a@@example.com", NULL },
	{ "a@b@example.com", NULL },
	{ ".a@example.com", NULL },
	{ "a.@example.com", NULL },
	{ "a..b@example.com", NULL },
	{ "a@example", NULL },
	{ "a@-example.com", NULL },
	{ "a@example-.com", NULL },
	{ "a@exa_mple.com", NULL },
	{ "a@.example.com", NULL },
	{ "a@example..com", NULL },
	{ "a b@example.com", NULL },
	{ "a\r\nBcc: x@example.com", NULL },
	{ "a@example.com\r\nBcc: x@example.com", NULL },
	{ "\"quoted\"@example.com", NULL },
	{ "a<b>@example.com", NULL },
	{ "caf\xc3\xa9@example.com", NULL },
	{ "a@xn--bcher-kva.example", "a@xn--bcher-kva.example" },
	{ "1234567890123456789012345678901234567890123456789012345678901234"
	  "5@example.com", NULL },
};

int
main(void)
{
	char out[EMAIL_MAX + 1];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = email_canonical(cases[i].in, out);
		if (cases[i].canon == NULL)
			ok(!got, "refuses '%s'", cases[i].in);
		else if (ok(got, "accepts '%s'", cases[i].in))
			is_str(out, cases[i].canon, "canonical form");
	}
	return done_testing();
}

/*
 * test_creds.c - oidc/creds.c: client authentication at the token
 * endpoint (RFC 6749 2.3.1) from the Authorization header or the form,
 * table-driven over every refusal (two methods at once, a malformed
 * header, no client_id, a body client_id naming another client) with
 * the *basic_failed flag each must set; the Basic credential's length
 * bound; then oidc_bearer() (RFC 6750 2.1).
 */
#include <string.h>

#include <sodium.h>

#include "core/arena.h"
#include "http/http.h"
#include "oidc/oidc.h"
#include "support/tap.h"

#define NITEMS(v) (sizeof(v) / sizeof((v)[0]))

struct creds_case {
	const char *name;
	const char *scheme;	/* with plain: "Basic " etc. */
	const char *plain;	/* with scheme: base64-encoded by the test */
	const char *raw;	/* otherwise the header as is; NULL: none */
	const char *form;
	enum oidc_error want;
	enum client_auth method;
	const char *id;
	const char *secret;
	bool basic_failed;
};

#define BASIC(name, plain, form, want, method, id, secret, bf)                \
	{ name, "Basic ", plain, NULL, form, want, method, id, secret, bf }
#define RAW(name, raw, form, want, method, id, secret, bf)                    \
	{ name, NULL, NULL, raw, form, want, method, id, secret, bf }
#define REFUSED(name, raw, form)                                              \
	RAW(name, raw, form, OIDC_INVALID_CLIENT, CLIENT_AUTH_NONE, NULL,     \
	    NULL, true)
#define BAD_BASIC(name, plain, form)                                          \
	BASIC(name, plain, form, OIDC_INVALID_CLIENT, CLIENT_AUTH_NONE, NULL, \
	      NULL, true)

static const struct creds_case cases[] = {
	BASIC("Basic", "app:s3cret", "", OIDC_OK, CLIENT_AUTH_BASIC, "app",
	      "s3cret", false),
	{ "scheme in lower case", "basic ", "app:s3cret", NULL, "", OIDC_OK,
	  CLIENT_AUTH_BASIC, "app", "s3cret", false },
	{ "scheme in upper case", "BASIC ", "app:s3cret", NULL, "", OIDC_OK,
	  CLIENT_AUTH_BASIC, "app", "s3cret", false },
	BASIC("percent-encoded id and secret (RFC 6749 2.3.1)",
	      "a%3Ab:c%20d", "", OIDC_OK, CLIENT_AUTH_BASIC, "a:b", "c d",
	      false),
	BASIC("plus is a space", "my+app:p+w", "", OIDC_OK, CLIENT_AUTH_BASIC,
	      "my app", "p w", false),
	BASIC("escaped plus and percent", "a%2Bb%25:%2B%25", "", OIDC_OK,
	      CLIENT_AUTH_BASIC, "a+b%", "+%", false),
	BASIC("escaped UTF-8", "caf%C3%A9:%E2%82%AC", "", OIDC_OK,
	      CLIENT_AUTH_BASIC, "caf\xc3\xa9", "\xe2\x82\xac", false),
	BASIC("secret with a raw colon", "app:se:cret", "", OIDC_OK,
	      CLIENT_AUTH_BASIC, "app", "se:cret", false),
	BASIC("secret with a raw '='", "app:a=b", "", OIDC_OK,
	      CLIENT_AUTH_BASIC, "app", "a=b", false),
	BASIC("empty secret", "app:", "", OIDC_OK, CLIENT_AUTH_BASIC, "app",
	      "", false),
	BASIC("Basic with the same client_id in the body", "app:s3cret",
	      "client_id=app&grant_type=authorization_code", OIDC_OK,
	      CLIENT_AUTH_BASIC, "app", "s3cret", false),
	BASIC("Basic with the decoded client_id in the body", "a%3Ab:c",
	      "client_id=a%3Ab", OIDC_OK, CLIENT_AUTH_BASIC, "a:b", "c",
	      false),
	BAD_BASIC("no colon", "app", ""),
	BAD_BASIC("no colon, escaped colon", "app%3As3cret", ""),
	BAD_BASIC("empty id", ":s3cret", ""),
	BAD_BASIC("only a colon", ":", ""),
	BAD_BASIC("bad escape in the id", "a%zz:s", ""),
	BAD_BASIC("truncated escape in the secret", "app:s%4", ""),
	BAD_BASIC("escaped NUL in the id", "a%00:s", ""),
	BAD_BASIC("escaped NUL in the secret", "app:s%00", ""),
	BAD_BASIC("escaped invalid UTF-8", "app:%FF", ""),
	BAD_BASIC("raw invalid UTF-8", "app:caf\xe9", ""),
	BAD_BASIC("Basic and client_secret in the body", "app:s3cret",
		  "client_secret=s3cret"),
	BAD_BASIC("Basic and client_id, client_secret in the body",
		  "app:s3cret", "client_id=app&client_secret=s3cret"),
	BAD_BASIC("Basic and an empty client_secret in the body", "app:s3cret",
		  "client_secret="),
	BAD_BASIC("Basic and another client_id in the body", "app:s3cret",
		  "client_id=other"),
	BAD_BASIC("Basic and client_id differing in case", "app:s3cret",
		  "client_id=App"),
	BAD_BASIC("Basic and an empty client_id in the body", "app:s3cret",
		  "client_id="),
	BAD_BASIC("Basic and the undecoded client_id in the body", "a%3Ab:c",
		  "client_id=a%253Ab"),
	REFUSED("raw NUL inside the credential", "Basic YQBiOmM=", ""),
	REFUSED("raw NUL at the end of the secret", "Basic YXBwOnMA", ""),
	REFUSED("bad base64", "Basic !!!!", ""),
	REFUSED("base64url alphabet", "Basic YXBw-nMz_2NyZXQ=", ""),
	REFUSED("base64 without its padding", "Basic YXBwOnMzY3JldA", ""),
	/* "YTo/" is "a:?"; a byte over 0x7f in place of '/' is no base64
	 * (libsodium 1.0.18 reads any of them as '/'). */
	REFUSED("base64 with byte 0xff", "Basic YTo\xff", ""),
	REFUSED("base64 with byte 0x80", "Basic YTo\x80", ""),
	REFUSED("base64 with a line break", "Basic YXBwOnMz\nY3JldA==", ""),
	REFUSED("base64 with trailing garbage", "Basic YXBwOnMzY3JldA==x",
		""),
	REFUSED("empty credential", "Basic ", ""),
	REFUSED("scheme alone", "Basic", ""),
	REFUSED("scheme without a space", "BasicYXBwOnMzY3JldA==", ""),
	REFUSED("Bearer at the token endpoint", "Bearer abc", ""),
	REFUSED("Digest", "Digest username=\"app\"", ""),
	REFUSED("empty header", "", ""),
	REFUSED("empty header with client_id in the body", "",
		"client_id=app"),
	RAW("client_secret_post", NULL, "client_id=app&client_secret=s3cret",
	    OIDC_OK, CLIENT_AUTH_POST, "app", "s3cret", false),
	RAW("client_secret_post, empty secret", NULL,
	    "client_id=app&client_secret=", OIDC_OK, CLIENT_AUTH_POST, "app",
	    "", false),
	RAW("none (public client)", NULL, "client_id=app&code=x", OIDC_OK,
	    CLIENT_AUTH_NONE, "app", NULL, false),
	RAW("nothing at all", NULL, "", OIDC_INVALID_CLIENT, CLIENT_AUTH_NONE,
	    NULL, NULL, false),
	RAW("client_secret without client_id", NULL, "client_secret=s3cret",
	    OIDC_INVALID_CLIENT, CLIENT_AUTH_NONE, NULL, NULL, false),
	RAW("empty client_id", NULL, "client_id=", OIDC_INVALID_CLIENT,
	    CLIENT_AUTH_NONE, NULL, NULL, false),
	RAW("empty client_id with a secret", NULL,
	    "client_id=&client_secret=s3cret", OIDC_INVALID_CLIENT,
	    CLIENT_AUTH_NONE, NULL, NULL, false),
};

/* The Authorization header of case c, or NULL. */
static const char *
header(struct arena *a, const struct creds_case *c)
{
	size_t n;
	char *b64;

	if (c->plain == NULL)
		return c->raw;
	n = sodium_base64_ENCODED_LEN(strlen(c->plain),
				      sodium_base64_VARIANT_ORIGINAL);
	b64 = arena_alloc(a, n);
	sodium_bin2base64(b64, n, (const unsigned char *)c->plain,
			  strlen(c->plain), sodium_base64_VARIANT_ORIGINAL);
	return arena_asprintf(a, "%s%s", c->scheme, b64);
}

static void
test_table(struct arena *a)
{
	const struct creds_case *c;
	struct client_creds cr;
	struct params form;
	bool bf;
	enum oidc_error e;
	size_t i;

	subtest("oidc_client_creds");
	for (i = 0; i < NITEMS(cases); i++) {
		c = &cases[i];
		if (!ok(form_parse(a, c->form, strlen(c->form), 16, &form) ==
			    OP_OK,
			"%s: form parses", c->name))
			continue;
		bf = !c->basic_failed;
		e = oidc_client_creds(a, header(a, c), &form, &cr, &bf);
		is_int(e, c->want, "%s: %s", c->name,
		       c->want == OIDC_OK ? "ok" : oidc_error_code(c->want));
		is_int(bf, c->basic_failed, "%s: basic_failed %s", c->name,
		       c->basic_failed ? "true" : "false");
		if (c->want != OIDC_OK)
			continue;
		is_int(cr.method, c->method, "%s: method", c->name);
		is_str(cr.client_id, c->id, "%s: client_id", c->name);
		is_str(cr.client_secret, c->secret, "%s: client_secret",
		       c->name);
	}
}

/*
 * RFC 6749 2.3.1: the id and secret are form-urlencoded, so a raw '&'
 * cannot be part of a well-formed one. Whatever the server decides
 * (refuse, or take it literally), it must not authenticate a prefix.
 */
static void
test_basic_ampersand(struct arena *a)
{
	static const struct {
		const char *plain;
		const char *id;		/* literal reading */
		const char *secret;
	} amp[] = {
		{ "a&b:s3cret", "a&b", "s3cret" },
		{ "app:s3cret&x", "app", "s3cret&x" },
		{ "app:s3cret&x=y", "app", "s3cret&x=y" },
		{ "app&client_secret=z:s3cret", "app&client_secret=z",
		  "s3cret" },
	};
	struct creds_case c = BASIC("", "", "", OIDC_OK, CLIENT_AUTH_BASIC,
				    NULL, NULL, false);
	struct client_creds cr;
	struct params form = { NULL, 0 };
	bool bf;
	enum oidc_error e;
	size_t i;

	subtest("a raw '&' in a Basic part is not a separator");
	for (i = 0; i < NITEMS(amp); i++) {
		c.plain = amp[i].plain;
		e = oidc_client_creds(a, header(a, &c), &form, &cr, &bf);
		ok(e == OIDC_INVALID_CLIENT ||
			   (e == OIDC_OK &&
			    strcmp(cr.client_id, amp[i].id) == 0 &&
			    strcmp(cr.client_secret, amp[i].secret) == 0),
		   "'%s' is refused or read literally (got %s, id '%s', "
		   "secret '%s')",
		   amp[i].plain, e == OIDC_OK ? "ok" : oidc_error_code(e),
		   e == OIDC_OK ? cr.client_id : "",
		   e == OIDC_OK ? cr.client_secret : "");
	}
}

static void
test_basic_length(struct arena *a)
{
	struct creds_case c = BASIC("", "", "", OIDC_OK, CLIENT_AUTH_BASIC,
				    NULL, NULL, false);
	struct client_creds cr;
	struct params form = { NULL, 0 };
	const char *h;
	char plain[800];
	bool bf;

	subtest("length of the Basic credential");
	/* 768 bytes encode to 1024 base64 characters, the limit. */
	memset(plain, 'x', sizeof(plain));
	memcpy(plain, "app:", 4);
	plain[768] = '\0';
	c.plain = plain;
	h = header(a, &c);
	is_int(strlen(h), 6 + 1024, "header of 1024 base64 characters");
	is_int(oidc_client_creds(a, h, &form, &cr, &bf), OIDC_OK,
	       "1024 characters accepted");
	is_int(strlen(cr.client_secret), 764, "secret of 764 bytes");
	plain[768] = 'x';
	plain[769] = '\0';
	h = header(a, &c);
	is_int(strlen(h), 6 + 1028, "header of 1028 base64 characters");
	is_int(oidc_client_creds(a, h, &form, &cr, &bf), OIDC_INVALID_CLIENT,
	       "1028 characters refused");
	ok(bf, "basic_failed when too long");
}

static const struct {
	const char *header;	/* may be NULL */
	const char *token;	/* NULL: none */
} bearer_cases[] = {
	{ "Bearer abc", "abc" },
	{ "bearer abc", "abc" },
	{ "BEARER abc", "abc" },
	{ "Bearer    abc", "abc" },
	{ "Bearer a.b-c_d~e+f/g==", "a.b-c_d~e+f/g==" },
	{ "Bearer", NULL },
	{ "Bearer ", NULL },
	{ "Bearer     ", NULL },
	{ "Bearerabc", NULL },
	{ "Bearer\tabc", NULL },
	{ " Bearer abc", NULL },
	{ "Basic abc", NULL },
	{ "Bear abc", NULL },
	{ "", NULL },
	{ NULL, NULL },
};

static void
test_bearer(struct arena *a)
{
	const char *t, *h;
	char big[7 + 514];
	size_t i;

	subtest("oidc_bearer");
	for (i = 0; i < NITEMS(bearer_cases); i++)
		is_str(oidc_bearer(a, bearer_cases[i].header),
		       bearer_cases[i].token, "bearer '%s'",
		       bearer_cases[i].header ? bearer_cases[i].header
					      : "(null)");

	h = "Bearer tok";
	t = oidc_bearer(a, h);
	ok(t != NULL && t != h + 7, "the token is a copy in the arena");

	memcpy(big, "Bearer ", 7);
	memset(big + 7, 'A', 512);
	big[7 + 512] = '\0';
	t = oidc_bearer(a, big);
	ok(t != NULL && strlen(t) == 512, "token of 512 bytes accepted");
	big[7 + 512] = 'A';
	big[7 + 513] = '\0';
	ok(oidc_bearer(a, big) == NULL, "token of 513 bytes refused");
}

int
main(void)
{
	struct arena *a = arena_new();

	if (sodium_init() < 0)
		return 1;
	test_table(a);
	test_basic_ampersand(a);
	test_basic_length(a);
	test_bearer(a);
	arena_free(a);
	return done_testing();
}

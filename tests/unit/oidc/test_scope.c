/*
 * test_scope.c - oidc/scope.c: oidc_scope_has(), oidc_scope_filter(),
 * oidc_scope_subset() over empty strings, repeated words, runs of
 * spaces, unknown words and near-misses, then the exact-match rules of
 * oidc_uri_listed() (no normalisation of any kind).
 */
#include <stddef.h>

#include "core/arena.h"
#include "oidc/oidc.h"
#include "support/tap.h"

#define NITEMS(v) (sizeof(v) / sizeof((v)[0]))

static const struct {
	const char *scope;	/* may be NULL */
	const char *word;
	bool want;
} has_cases[] = {
	{ "openid", "openid", true },
	{ "openid email", "email", true },
	{ "email openid", "openid", true },
	{ "  openid  ", "openid", true },
	{ "email   openid   profile", "profile", true },
	{ "openid openid", "openid", true },
	{ "", "openid", false },
	{ "   ", "openid", false },
	{ NULL, "openid", false },
	{ "openidx", "openid", false },
	{ "xopenid", "openid", false },
	{ "open id", "openid", false },
	{ "OpenID", "openid", false },
	{ "openid", "OpenID", false },
	{ "openid", "open", false },
	{ "openid", "", false },
	{ "", "", false },
	{ "   ", "", false },
	{ "openid\temail", "email", false },
	{ "openid\temail", "openid", false },
	{ "openid,email", "email", false },
	{ "openid+email", "email", false },
	{ "offline_access", "offline_access", true },
	{ "offline", "offline_access", false },
};

static const struct {
	const char *scope;	/* may be NULL */
	const char *want;
} filter_cases[] = {
	{ "openid", "openid" },
	{ "openid email profile offline_access",
	  "openid email profile offline_access" },
	{ "offline_access profile email openid",
	  "openid email profile offline_access" },
	{ "email openid email openid", "openid email" },
	{ "  profile    openid  ", "openid profile" },
	{ "openid address phone", "openid" },
	{ "address phone", "" },
	{ "", "" },
	{ "    ", "" },
	{ NULL, "" },
	{ "OPENID Email", "" },
	{ "openid\temail", "" },
	{ "openidemail", "" },
	{ "openid emails profiles", "openid" },
};

static const struct {
	const char *narrow;	/* may be NULL */
	const char *wide;	/* may be NULL */
	bool want;
} subset_cases[] = {
	{ "openid", "openid email", true },
	{ "openid email", "openid email", true },
	{ "email openid", "openid email", true },
	{ "openid openid", "openid", true },
	{ "  openid   email ", "email openid", true },
	{ "", "openid", true },
	{ "   ", "openid", true },
	{ "", "", true },
	{ NULL, "openid", true },
	{ NULL, NULL, true },
	{ "", NULL, true },
	{ "openid", "", false },
	{ "openid", NULL, false },
	{ "openid profile", "openid email", false },
	{ "openid", "openidx", false },
	{ "open", "openid", false },
	{ "openid", "open id", false },
	{ "unknown", "openid email", false },
	{ "Openid", "openid", false },
	{ "offline_access", "openid offline_access", true },
};

static const struct {
	const char *name;
	const char *lines;
	const char *uri;
	bool want;
} uri_cases[] = {
	{ "only line", "https://rp.example/cb", "https://rp.example/cb", true },
	{ "first of two", "https://rp.example/cb\nhttps://rp.example/b",
	  "https://rp.example/cb", true },
	{ "second of two", "https://rp.example/a\nhttps://rp.example/cb",
	  "https://rp.example/cb", true },
	{ "last line with final newline",
	  "https://rp.example/a\nhttps://rp.example/cb\n",
	  "https://rp.example/cb", true },
	{ "after an empty line",
	  "https://rp.example/a\n\nhttps://rp.example/cb",
	  "https://rp.example/cb", true },
	{ "trailing slash added", "https://rp.example/cb",
	  "https://rp.example/cb/", false },
	{ "trailing slash removed", "https://rp.example/cb/",
	  "https://rp.example/cb", false },
	{ "host case differs", "https://rp.example/cb",
	  "https://RP.example/cb", false },
	{ "scheme case differs", "https://rp.example/cb",
	  "HTTPS://rp.example/cb", false },
	{ "path case differs", "https://rp.example/cb",
	  "https://rp.example/CB", false },
	{ "query added", "https://rp.example/cb",
	  "https://rp.example/cb?x=1", false },
	{ "registered with query, exact", "https://rp.example/cb?x=1",
	  "https://rp.example/cb?x=1", true },
	{ "registered with query, other value", "https://rp.example/cb?x=1",
	  "https://rp.example/cb?x=2", false },
	{ "fragment added", "https://rp.example/cb",
	  "https://rp.example/cb#f", false },
	{ "uri is a prefix of the line", "https://rp.example/callback",
	  "https://rp.example/call", false },
	{ "line is a prefix of the uri", "https://rp.example/cb",
	  "https://rp.example/cb.evil.example", false },
	{ "userinfo added", "https://rp.example/cb",
	  "https://rp.example@evil.example/cb", false },
	{ "default port added", "https://rp.example/cb",
	  "https://rp.example:443/cb", false },
	{ "percent-encoding differs", "https://rp.example/a%2Fb",
	  "https://rp.example/a/b", false },
	{ "line with a CR", "https://rp.example/cb\r\nhttps://rp.example/b",
	  "https://rp.example/cb", false },
	{ "leading space on the line", " https://rp.example/cb",
	  "https://rp.example/cb", false },
	{ "two lines joined", "https://rp.example/a\nhttps://rp.example/b",
	  "https://rp.example/a\nhttps://rp.example/b", false },
	{ "empty uri, empty line", "https://rp.example/a\n\n", "", false },
	{ "empty uri, empty list", "", "", false },
	{ "uri in empty list", "", "https://rp.example/cb", false },
	{ "newline alone", "\n", "https://rp.example/cb", false },
	{ "uri is a newline", "https://rp.example/cb\n", "\n", false },
};

int
main(void)
{
	struct arena *a = arena_new();
	size_t i;

	subtest("oidc_scope_has");
	for (i = 0; i < NITEMS(has_cases); i++)
		is_int(oidc_scope_has(has_cases[i].scope, has_cases[i].word),
		       has_cases[i].want, "has('%s', '%s') is %s",
		       has_cases[i].scope ? has_cases[i].scope : "(null)",
		       has_cases[i].word, has_cases[i].want ? "true" : "false");

	subtest("oidc_scope_filter");
	for (i = 0; i < NITEMS(filter_cases); i++)
		is_str(oidc_scope_filter(a, filter_cases[i].scope),
		       filter_cases[i].want, "filter('%s')",
		       filter_cases[i].scope ? filter_cases[i].scope
					     : "(null)");

	subtest("oidc_scope_subset");
	for (i = 0; i < NITEMS(subset_cases); i++)
		is_int(oidc_scope_subset(subset_cases[i].narrow,
					 subset_cases[i].wide),
		       subset_cases[i].want, "subset('%s', '%s') is %s",
		       subset_cases[i].narrow ? subset_cases[i].narrow
					      : "(null)",
		       subset_cases[i].wide ? subset_cases[i].wide : "(null)",
		       subset_cases[i].want ? "true" : "false");

	subtest("filtering never widens and is idempotent");
	for (i = 0; i < NITEMS(filter_cases); i++) {
		const char *f = oidc_scope_filter(a, filter_cases[i].scope);

		ok(oidc_scope_subset(f, filter_cases[i].scope),
		   "filter('%s') is a subset of its input",
		   filter_cases[i].scope ? filter_cases[i].scope : "(null)");
		is_str(oidc_scope_filter(a, f), f, "filter('%s') is stable",
		       f);
	}

	subtest("oidc_uri_listed");
	for (i = 0; i < NITEMS(uri_cases); i++)
		is_int(oidc_uri_listed(uri_cases[i].lines, uri_cases[i].uri),
		       uri_cases[i].want, "%s", uri_cases[i].name);

	arena_free(a);
	return done_testing();
}

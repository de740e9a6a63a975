/*
 * test_authreq.c - oidc/authz.c: the two stages of the authorization
 * request. Stage 1 (oidc_authz_parse_client) and stage 2
 * (oidc_authz_validate) are driven by tables of query strings, one row
 * per error path with the exact enum expected; then the fields of
 * accepted requests, parameters that form_parse() would never let
 * through (invalid UTF-8) built by hand, and the oidc_authz_encode() ->
 * oidc_authz_decode() round trip (with and without the login_sid the
 * provider sets), including a request at every length limit at once.
 */
#include <stdio.h>
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "oidc/oidc.h"
#include "support/tap.h"

#define NITEMS(v) (sizeof(v) / sizeof((v)[0]))
#define MAX_PARAMS 64

/* A valid RFC 7636 S256 challenge (appendix B) and its pieces. */
#define CHAL "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
#define CID "client_id=app"
#define RURI "&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
#define RT "&response_type=code"
#define SC "&scope=openid"
#define PKCE "&code_challenge=" CHAL "&code_challenge_method=S256"
#define BASE CID RURI RT SC
#define FULL BASE PKCE

/* 43 and 128 characters of the unreserved set, and one more each way. */
#define C42 "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ0123-."
#define C43 C42 "_"
#define C128 C43 C43 C42
#define C129 C128 "~"

struct row {
	const char *name;
	const char *query;
	bool public_client;
	enum oidc_error want;
};

/* Stage 1: every row fails in oidc_authz_parse_client(). */
static const struct row stage1[] = {
	{ "client_id missing", RURI RT SC, false, OIDC_INVALID_REQUEST },
	{ "client_id empty", "client_id=" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id bare name", "client_id" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id with a control byte", "client_id=a%01b" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id with DEL", "client_id=a%7Fb" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id with a newline", "client_id=a%0Ab" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id not ASCII", "client_id=caf%C3%A9" RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "client_id of 129 characters", "client_id=" C129 RURI RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "redirect_uri missing", CID RT SC, false, OIDC_INVALID_REQUEST },
	{ "redirect_uri empty", CID "&redirect_uri=" RT SC, false,
	  OIDC_INVALID_REQUEST },
	{ "redirect_uri with CR LF",
	  CID "&redirect_uri=https%3A%2F%2Frp.example%2Fcb%0D%0AX" RT SC,
	  false, OIDC_INVALID_REQUEST },
	{ "redirect_uri with a tab", CID "&redirect_uri=https://rp%09x/" RT SC,
	  false, OIDC_INVALID_REQUEST },
	{ "redirect_uri not ASCII",
	  CID "&redirect_uri=https://b%C3%BCcher.example/cb" RT SC, false,
	  OIDC_INVALID_REQUEST },
};

/* Stage 2: stage 1 passes; oidc_authz_validate() returns want. */
static const struct row stage2[] = {
	{ "complete request", FULL, true, OIDC_OK },
	{ "complete request, confidential", FULL, false, OIDC_OK },
	{ "response_type missing", CID RURI SC PKCE, false,
	  OIDC_INVALID_REQUEST },
	{ "response_type=token", CID RURI "&response_type=token" SC PKCE,
	  false, OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type=id_token", CID RURI "&response_type=id_token" SC PKCE,
	  false, OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type=code id_token",
	  CID RURI "&response_type=code+id_token" SC PKCE, false,
	  OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type=id_token code",
	  CID RURI "&response_type=id_token%20code" SC PKCE, false,
	  OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type=Code", CID RURI "&response_type=Code" SC PKCE, false,
	  OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type empty", CID RURI "&response_type=" SC PKCE, false,
	  OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "response_type=code with a space", CID RURI "&response_type=code+" SC
	  PKCE, false, OIDC_UNSUPPORTED_RESPONSE_TYPE },
	{ "request object", FULL "&request=eyJhbGciOiJub25lIn0.e30.", false,
	  OIDC_REQUEST_NOT_SUPPORTED },
	{ "request empty", FULL "&request=", false,
	  OIDC_REQUEST_NOT_SUPPORTED },
	{ "request_uri", FULL "&request_uri=https%3A%2F%2Frp.example%2Fr",
	  false, OIDC_REQUEST_URI_NOT_SUPPORTED },
	{ "request before response_type",
	  CID RURI "&response_type=token&request=x" SC PKCE, false,
	  OIDC_REQUEST_NOT_SUPPORTED },
	{ "response_mode=fragment", FULL "&response_mode=fragment", false,
	  OIDC_INVALID_REQUEST },
	{ "response_mode=form_post", FULL "&response_mode=form_post", false,
	  OIDC_INVALID_REQUEST },
	{ "response_mode empty", FULL "&response_mode=", false,
	  OIDC_INVALID_REQUEST },
	{ "response_mode=query", FULL "&response_mode=query", false, OIDC_OK },
	{ "scope missing", CID RURI RT PKCE, false, OIDC_INVALID_SCOPE },
	{ "scope empty", CID RURI RT "&scope=" PKCE, false,
	  OIDC_INVALID_SCOPE },
	{ "scope without openid", CID RURI RT "&scope=email+profile" PKCE,
	  false, OIDC_INVALID_SCOPE },
	{ "scope OpenID", CID RURI RT "&scope=OpenID" PKCE, false,
	  OIDC_INVALID_SCOPE },
	{ "scope openidx", CID RURI RT "&scope=openidx" PKCE, false,
	  OIDC_INVALID_SCOPE },
	{ "scope with openid among unknown words",
	  CID RURI RT "&scope=address+openid+phone" PKCE, false, OIDC_OK },
	{ "code_challenge_method=plain",
	  BASE "&code_challenge=" CHAL "&code_challenge_method=plain", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge_method=s256",
	  BASE "&code_challenge=" CHAL "&code_challenge_method=s256", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge_method missing", BASE "&code_challenge=" CHAL, false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge_method without challenge",
	  BASE "&code_challenge_method=S256", false, OIDC_INVALID_REQUEST },
	{ "code_challenge empty",
	  BASE "&code_challenge=&code_challenge_method=S256", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge of 42 characters",
	  BASE "&code_challenge=" C42 "&code_challenge_method=S256", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge of 43 characters",
	  BASE "&code_challenge=" C43 "&code_challenge_method=S256", true,
	  OIDC_OK },
	{ "code_challenge of 128 characters",
	  BASE "&code_challenge=" C128 "&code_challenge_method=S256", true,
	  OIDC_OK },
	{ "code_challenge of 129 characters",
	  BASE "&code_challenge=" C129 "&code_challenge_method=S256", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge with '+' and '/' (not base64url)",
	  BASE "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw"
	  "%2BcM%2F"
	  "&code_challenge_method=S256", false, OIDC_INVALID_REQUEST },
	{ "code_challenge with '=' padding",
	  BASE "&code_challenge=" CHAL "%3D&code_challenge_method=S256", false,
	  OIDC_INVALID_REQUEST },
	{ "code_challenge with a space",
	  BASE "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1+8URWbuGJSstw-cMxx"
	  "&code_challenge_method=S256", false, OIDC_INVALID_REQUEST },
	{ "public client without PKCE", BASE, true, OIDC_INVALID_REQUEST },
	{ "confidential client without PKCE", BASE, false, OIDC_OK },
	{ "prompt=none", FULL "&prompt=none", false, OIDC_OK },
	{ "prompt=login", FULL "&prompt=login", false, OIDC_OK },
	{ "prompt=consent", FULL "&prompt=consent", false, OIDC_OK },
	{ "prompt=select_account", FULL "&prompt=select_account", false,
	  OIDC_OK },
	{ "prompt=login consent select_account",
	  FULL "&prompt=login+consent+select_account", false, OIDC_OK },
	{ "prompt empty", FULL "&prompt=", false, OIDC_OK },
	{ "prompt of spaces", FULL "&prompt=+++", false, OIDC_OK },
	{ "prompt=none login", FULL "&prompt=none+login", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt=login none", FULL "&prompt=login%20none", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt=none consent", FULL "&prompt=none+consent", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt=none select_account", FULL "&prompt=none+select_account",
	  false, OIDC_INVALID_REQUEST },
	{ "prompt=none none", FULL "&prompt=none+none", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt unknown", FULL "&prompt=bogus", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt Login", FULL "&prompt=Login", false, OIDC_INVALID_REQUEST },
	{ "prompt login with an unknown word", FULL "&prompt=login+bogus",
	  false, OIDC_INVALID_REQUEST },
	{ "prompt with a tab", FULL "&prompt=login%09consent", false,
	  OIDC_INVALID_REQUEST },
	{ "prompt nonex", FULL "&prompt=nonex", false, OIDC_INVALID_REQUEST },
	{ "max_age=0", FULL "&max_age=0", false, OIDC_OK },
	{ "max_age of 100 years", FULL "&max_age=3153600000", false, OIDC_OK },
	{ "max_age over 100 years", FULL "&max_age=3153600001", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age negative", FULL "&max_age=-1", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age minus zero", FULL "&max_age=-0", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age with plus sign", FULL "&max_age=%2B5", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age empty", FULL "&max_age=", false, OIDC_INVALID_REQUEST },
	{ "max_age garbage", FULL "&max_age=abc", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age trailing garbage", FULL "&max_age=10s", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age leading space", FULL "&max_age=+10", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age trailing space", FULL "&max_age=10+", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age decimal", FULL "&max_age=1.5", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age exponent", FULL "&max_age=1e3", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age hexadecimal", FULL "&max_age=0x10", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age huge", FULL "&max_age=99999999999999999999", false,
	  OIDC_INVALID_REQUEST },
	{ "max_age INT64_MAX", FULL "&max_age=9223372036854775807", false,
	  OIDC_INVALID_REQUEST },
	{ "state empty", FULL "&state=", false, OIDC_OK },
	{ "nonce empty", FULL "&nonce=", false, OIDC_OK },
};

/* Parses query and runs both stages; *stage is where it stopped. */
static enum oidc_error
run(struct arena *a, const char *query, bool public_client,
    struct authz_params *out, const char **why, int *stage)
{
	struct params q;
	enum oidc_error e;

	*why = NULL;
	*stage = 0;
	if (form_parse(a, query, strlen(query), MAX_PARAMS, &q) != OP_OK)
		return OIDC_SERVER_ERROR;
	*stage = 1;
	e = oidc_authz_parse_client(&q, out, why);
	if (e != OIDC_OK)
		return e;
	*stage = 2;
	return oidc_authz_validate(&q, a, public_client, out, why);
}

static void
test_tables(struct arena *a)
{
	struct authz_params p;
	const char *why;
	enum oidc_error e;
	int stage;
	size_t i;

	subtest("stage 1 errors: oidc_authz_parse_client");
	for (i = 0; i < NITEMS(stage1); i++) {
		e = run(a, stage1[i].query, stage1[i].public_client, &p, &why,
			&stage);
		is_int(stage, 1, "%s: stops in stage 1", stage1[i].name);
		is_int(e, stage1[i].want, "%s: %s", stage1[i].name,
		       oidc_error_code(stage1[i].want));
		ok(why != NULL && why[0] != '\0', "%s: says why",
		   stage1[i].name);
	}

	subtest("stage 2: oidc_authz_validate");
	for (i = 0; i < NITEMS(stage2); i++) {
		e = run(a, stage2[i].query, stage2[i].public_client, &p, &why,
			&stage);
		is_int(stage, 2, "%s: passes stage 1", stage2[i].name);
		is_int(e, stage2[i].want, "%s: %s", stage2[i].name,
		       stage2[i].want == OIDC_OK
			       ? "ok"
			       : oidc_error_code(stage2[i].want));
		if (stage2[i].want != OIDC_OK)
			ok(why != NULL && why[0] != '\0', "%s: says why",
			   stage2[i].name);
	}
}

/* The lengths at which stage 1 and state/nonce/login_hint stop. */
static void
test_lengths(struct arena *a)
{
	static const struct {
		const char *name;
		size_t max;
		int stage;
	} lim[] = {
		{ "client_id", 128, 1 },
		{ "redirect_uri", 2048, 1 },
		{ "state", 2048, 2 },
		{ "nonce", 512, 2 },
		{ "login_hint", 254, 2 },
	};
	struct authz_params p;
	const char *why, *q;
	char *v;
	enum oidc_error e;
	size_t i, extra;
	int stage;

	subtest("length limits");
	for (i = 0; i < NITEMS(lim); i++) {
		for (extra = 0; extra <= 1; extra++) {
			v = arena_alloc(a, lim[i].max + 2);
			memset(v, 'x', lim[i].max + extra);
			if (i == 0)
				q = arena_asprintf(a, "client_id=%s%s", v,
						   RURI RT SC PKCE);
			else if (i == 1)
				q = arena_asprintf(a, "%s&redirect_uri=%s%s",
						   CID, v, RT SC PKCE);
			else
				q = arena_asprintf(a, "%s&%s=%s", FULL,
						   lim[i].name, v);
			e = run(a, q, true, &p, &why, &stage);
			if (extra == 0) {
				is_int(e, OIDC_OK, "%s of %zu bytes accepted",
				       lim[i].name, lim[i].max);
			} else {
				is_int(e, OIDC_INVALID_REQUEST,
				       "%s of %zu bytes refused", lim[i].name,
				       lim[i].max + 1);
				is_int(stage, lim[i].stage,
				       "%s: refused in stage %d", lim[i].name,
				       lim[i].stage);
			}
		}
	}
}

/* Parameters form_parse() would refuse, built by hand: the validator
 * must not rely on its caller for UTF-8. */
static void
test_raw_params(struct arena *a)
{
	static const char *const names[] = { "state", "nonce", "login_hint" };
	static const char *const bad[] = {
		"caf\xe9",		/* Latin-1 */
		"\xc0\xaf",		/* overlong '/' */
		"\xed\xa0\x80",		/* surrogate */
		"\xe2\x82",		/* truncated */
		"\xff",
	};
	struct param v[8];
	struct params q = { v, 0 };
	struct authz_params p;
	const char *why;
	enum oidc_error e;
	size_t i, j;

	subtest("invalid UTF-8 in state, nonce, login_hint");
	for (i = 0; i < NITEMS(names); i++) {
		for (j = 0; j < NITEMS(bad); j++) {
			q.n = 0;
			v[q.n++] = (struct param){ "client_id", "app", 3 };
			v[q.n++] = (struct param){
				"redirect_uri", "https://rp.example/cb", 21
			};
			v[q.n++] = (struct param){ "response_type", "code", 4 };
			v[q.n++] = (struct param){ "scope", "openid", 6 };
			v[q.n++] = (struct param){ "code_challenge", CHAL, 43 };
			v[q.n++] = (struct param){
				"code_challenge_method", "S256", 4
			};
			v[q.n++] = (struct param){ names[i], bad[j],
						   strlen(bad[j]) };
			why = NULL;
			if (!ok(oidc_authz_parse_client(&q, &p, &why) ==
				    OIDC_OK,
				"%s bad UTF-8 #%zu: stage 1 passes", names[i],
				j))
				continue;
			e = oidc_authz_validate(&q, a, true, &p, &why);
			is_int(e, OIDC_INVALID_REQUEST,
			       "%s bad UTF-8 #%zu: invalid_request", names[i],
			       j);
			ok(why != NULL, "%s bad UTF-8 #%zu: says why",
			   names[i], j);
		}
	}

	subtest("a raw client_id with a non-ASCII byte");
	q.n = 0;
	v[q.n++] = (struct param){ "client_id", "a\x80", 2 };
	v[q.n++] = (struct param){ "redirect_uri", "https://rp.example/cb",
				   21 };
	why = NULL;
	is_int(oidc_authz_parse_client(&q, &p, &why), OIDC_INVALID_REQUEST,
	       "client_id with byte 0x80 refused");
}

static void
test_fields(struct arena *a)
{
	struct authz_params p;
	const char *why;
	int stage;

	subtest("fields of an accepted request");
	is_int(run(a,
		   "client_id=app&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
		   "%3Fx%3D1&response_type=code"
		   "&scope=profile+address+openid+email+openid"
		   "&state=st%26ate&nonce=n%C3%A9&code_challenge=" CHAL
		   "&code_challenge_method=S256&login_hint=a%40b.example"
		   "&prompt=consent+login+select_account&max_age=007"
		   "&ui_locales=fr&claims=%7B%7D",
		   true, &p, &why, &stage),
	       OIDC_OK, "accepted");
	is_str(p.client_id, "app", "client_id");
	is_str(p.redirect_uri, "https://rp.example/cb?x=1", "redirect_uri");
	is_str(p.response_type, "code", "response_type");
	is_str(p.scope, "openid email profile", "scope filtered and ordered");
	is_str(p.state, "st&ate", "state decoded");
	is_str(p.nonce, "n\xc3\xa9", "nonce decoded");
	is_str(p.code_challenge, CHAL, "code_challenge");
	is_str(p.login_hint, "a@b.example", "login_hint");
	ok(!p.prompt_none, "not prompt_none");
	ok(p.prompt_login, "prompt_login");
	ok(p.prompt_consent, "prompt_consent");
	is_int(p.max_age, 7, "max_age 007 is 7");

	is_int(run(a, BASE, false, &p, &why, &stage), OIDC_OK,
	       "minimal confidential request accepted");
	ok(p.state == NULL, "absent state is NULL");
	ok(p.nonce == NULL, "absent nonce is NULL");
	ok(p.code_challenge == NULL, "absent code_challenge is NULL");
	ok(p.login_hint == NULL, "absent login_hint is NULL");
	ok(!p.prompt_none && !p.prompt_login && !p.prompt_consent,
	   "no prompt flags");
	is_int(p.max_age, -1, "absent max_age is -1");
	is_str(p.scope, "openid", "scope openid");

	is_int(run(a, FULL "&prompt=none&max_age=0", false, &p, &why, &stage),
	       OIDC_OK, "prompt=none accepted");
	ok(p.prompt_none && !p.prompt_login && !p.prompt_consent,
	   "only prompt_none");
	is_int(p.max_age, 0, "max_age 0");

	is_int(run(a, FULL "&login_sid=evil", false, &p, &why, &stage),
	       OIDC_OK, "request with a login_sid parameter accepted");
	ok(p.login_sid == NULL, "login_sid is never read from a request");
	ok(strstr(oidc_authz_encode(a, &p), "login_sid") == NULL,
	   "so it is not encoded either");

	is_int(run(a, FULL "&prompt=select_account", false, &p, &why, &stage),
	       OIDC_OK, "prompt=select_account accepted");
	ok(!p.prompt_none && !p.prompt_login && !p.prompt_consent,
	   "select_account sets no flag");

	is_int(run(a, "client_id=a&redirect_uri=x", false, &p, &why, &stage),
	       OIDC_INVALID_REQUEST, "stage 2 on a bare request fails");
	is_int(stage, 2, "bare request passes stage 1");
	is_int(p.max_age, -1, "max_age is -1 after stage 1");
}

static bool
same_str(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

static bool
same_params(const struct authz_params *x, const struct authz_params *y)
{
	return same_str(x->client_id, y->client_id) &&
	       same_str(x->redirect_uri, y->redirect_uri) &&
	       same_str(x->response_type, y->response_type) &&
	       same_str(x->scope, y->scope) &&
	       same_str(x->state, y->state) &&
	       same_str(x->nonce, y->nonce) &&
	       same_str(x->code_challenge, y->code_challenge) &&
	       same_str(x->login_hint, y->login_hint) &&
	       x->prompt_none == y->prompt_none &&
	       x->prompt_login == y->prompt_login &&
	       x->prompt_consent == y->prompt_consent &&
	       x->max_age == y->max_age &&
	       same_str(x->login_sid, y->login_sid);
}

static void
test_round_trip(struct arena *a)
{
	static const char *const ok_queries[] = {
		BASE,
		FULL,
		FULL "&state=&nonce=",
		FULL "&prompt=none&max_age=0",
		FULL "&prompt=login+consent&max_age=3153600000",
		FULL "&prompt=select_account",
		FULL "&state=a+b%26c%3Dd%25e%2Bf&nonce=%F0%9F%98%80"
		"&login_hint=%20x%20",
		"client_id=a%20b&redirect_uri=https://rp.example/cb?q=1%26r=2"
		"&response_type=code&scope=openid+offline_access+email"
		"&code_challenge=" C128 "&code_challenge_method=S256",
	};
	static const char *const sids[] = { "-", "", "s1d+&=%~\xc3\xa9" };
	struct authz_params p, back;
	const char *why;
	char *enc, *big, *q;
	size_t i, j;
	int stage;

	subtest("encode -> decode keeps every field");
	for (i = 0; i < NITEMS(ok_queries); i++) {
		if (!ok(run(a, ok_queries[i], false, &p, &why, &stage) ==
			    OIDC_OK,
			"round trip #%zu: accepted", i))
			continue;
		enc = oidc_authz_encode(a, &p);
		ok(enc != NULL && enc[0] != '\0', "round trip #%zu: encoded",
		   i);
		memset(&back, 0x55, sizeof(back));
		is_int(oidc_authz_decode(a, enc, 16, &back), OP_OK,
		       "round trip #%zu: decodes", i);
		ok(same_params(&p, &back), "round trip #%zu: same fields", i);
		is_str(oidc_authz_encode(a, &back), enc,
		       "round trip #%zu: encoding is stable", i);
		for (j = 0; j < NITEMS(sids); j++) {
			p.login_sid = sids[j];
			enc = oidc_authz_encode(a, &p);
			memset(&back, 0x55, sizeof(back));
			is_int(oidc_authz_decode(a, enc, 16, &back), OP_OK,
			       "round trip #%zu, login_sid '%s': decodes", i,
			       sids[j]);
			ok(same_params(&p, &back),
			   "round trip #%zu, login_sid '%s': same fields", i,
			   sids[j]);
		}
	}

	subtest("encoding details");
	ok(run(a, FULL "&prompt=select_account&ui_locales=de", false, &p, &why,
	       &stage) == OIDC_OK, "request with select_account accepted");
	enc = oidc_authz_encode(a, &p);
	ok(strstr(enc, "prompt") == NULL, "no prompt when no flag is set");
	ok(strstr(enc, "max_age") == NULL, "no max_age when absent");
	ok(strstr(enc, "state") == NULL, "no state when absent");
	ok(strstr(enc, "ui_locales") == NULL, "unknown parameters dropped");
	ok(strstr(enc, "code_challenge_method=S256") != NULL,
	   "code_challenge_method=S256 with a challenge");
	ok(run(a, BASE, false, &p, &why, &stage) == OIDC_OK,
	   "minimal request accepted");
	enc = oidc_authz_encode(a, &p);
	ok(strstr(enc, "code_challenge") == NULL,
	   "no code_challenge_method without a challenge");
	is_str(enc,
	       "client_id=app&redirect_uri=https%3A%2F%2Frp.example%2Fcb"
	       "&response_type=code&scope=openid",
	       "minimal request encodes as expected");

	subtest("every field at its maximum length");
	big = arena_alloc(a, 8192);
	memset(big, '&', 2048);
	/* client_id and redirect_uri are printable ASCII: '&' encodes to
	 * three bytes, the worst case. */
	q = arena_asprintf(a, "client_id=%s&redirect_uri=%s",
			   url_encode(a, arena_strndup(a, big, 128)),
			   url_encode(a, arena_strndup(a, big, 2048)));
	memset(big, 0, 8192);
	for (i = 0; i + 3 <= 2048; i += 3)
		memcpy(big + i, "\xe2\x82\xac", 3);	/* each byte %XX */
	memcpy(big + i, "\xc3\xa9", 2);			/* 2048 bytes */
	q = arena_asprintf(a, "%s&response_type=code&scope=openid+email+profile"
			   "+offline_access&state=%s&nonce=%s"
			   "&code_challenge=%s&code_challenge_method=S256"
			   "&login_hint=%s&prompt=login+consent"
			   "&max_age=3153600000",
			   q, url_encode(a, big),
			   url_encode(a, arena_strndup(a, big, 510)),
			   C128, url_encode(a, arena_strndup(a, big, 252)));
	if (ok(run(a, q, true, &p, &why, &stage) == OIDC_OK,
	       "maximal request accepted")) {
		is_int(strlen(p.state), 2048, "state of 2048 bytes");
		is_int(strlen(p.redirect_uri), 2048,
		       "redirect_uri of 2048 bytes");
		enc = oidc_authz_encode(a, &p);
		memset(&back, 0, sizeof(back));
		is_int(oidc_authz_decode(a, enc, 16, &back), OP_OK,
		       "maximal request decodes (encoded %zu bytes)",
		       strlen(enc));
		ok(same_params(&p, &back), "maximal request: same fields");
	}

	subtest("decode refuses what is not a valid request");
	is_int(oidc_authz_decode(a, "", 16, &back), OP_E_INVALID,
	       "empty string");
	is_int(oidc_authz_decode(a, "client_id=app", 16, &back), OP_E_INVALID,
	       "no redirect_uri");
	is_int(oidc_authz_decode(a, "client_id=app&redirect_uri=x&scope=openid",
				 16, &back),
	       OP_E_INVALID, "no response_type");
	is_int(oidc_authz_decode(a, FULL "&prompt=none+login", 16, &back),
	       OP_E_INVALID, "prompt none with login");
	is_int(oidc_authz_decode(a, FULL "&a=%zz", 16, &back), OP_E_INVALID,
	       "bad escape");
	is_int(oidc_authz_decode(a, FULL "&scope=openid", 16, &back),
	       OP_E_INVALID, "repeated name");
	is_int(oidc_authz_decode(a, FULL, 3, &back), OP_E_LIMIT,
	       "more pairs than max_params");
	is_int(oidc_authz_decode(a, BASE, 16, &back), OP_OK,
	       "no PKCE is fine (decode is for confidential use)");
}

int
main(void)
{
	struct arena *a = arena_new();

	test_tables(a);
	test_lengths(a);
	test_raw_params(a);
	test_fields(a);
	test_round_trip(a);
	arena_free(a);
	return done_testing();
}

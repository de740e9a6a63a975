/*
 * test_documents.c - oidc/errors.c and oidc/documents.c: the error
 * code/status table for every enum value (and out of range); the
 * discovery document parsed back with jansson (the fields OpenID
 * Connect Discovery 1.0 section 3 requires, endpoints under the issuer,
 * no "none" in any algorithm list, and what it advertises matching what
 * the validator accepts); the ID token claims, exactly those given.
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"
#include "http/http.h"
#include "oidc/oidc.h"
#include "support/tap.h"

#define NITEMS(v) (sizeof(v) / sizeof((v)[0]))
#define CHAL "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static const struct {
	enum oidc_error e;
	const char *code;
	int status;
} errors[] = {
	{ OIDC_OK, "", 200 },
	{ OIDC_INVALID_REQUEST, "invalid_request", 400 },
	{ OIDC_INVALID_CLIENT, "invalid_client", 401 },
	{ OIDC_INVALID_GRANT, "invalid_grant", 400 },
	{ OIDC_UNAUTHORIZED_CLIENT, "unauthorized_client", 400 },
	{ OIDC_UNSUPPORTED_GRANT_TYPE, "unsupported_grant_type", 400 },
	{ OIDC_UNSUPPORTED_RESPONSE_TYPE, "unsupported_response_type", 400 },
	{ OIDC_INVALID_SCOPE, "invalid_scope", 400 },
	{ OIDC_ACCESS_DENIED, "access_denied", 403 },
	{ OIDC_SERVER_ERROR, "server_error", 500 },
	{ OIDC_TEMPORARILY_UNAVAILABLE, "temporarily_unavailable", 503 },
	{ OIDC_LOGIN_REQUIRED, "login_required", 400 },
	{ OIDC_CONSENT_REQUIRED, "consent_required", 400 },
	{ OIDC_INTERACTION_REQUIRED, "interaction_required", 400 },
	{ OIDC_REQUEST_NOT_SUPPORTED, "request_not_supported", 400 },
	{ OIDC_REQUEST_URI_NOT_SUPPORTED, "request_uri_not_supported", 400 },
	{ OIDC_INVALID_TOKEN, "invalid_token", 401 },
};

static void
test_errors(void)
{
	size_t i, j;
	bool distinct = true;

	subtest("error codes and statuses");
	is_int(NITEMS(errors), OIDC_INVALID_TOKEN + 1,
	       "the table covers every enum value");
	for (i = 0; i < NITEMS(errors); i++) {
		is_str(oidc_error_code(errors[i].e), errors[i].code,
		       "code of %d is '%s'", (int)errors[i].e,
		       errors[i].code);
		is_int(oidc_error_status(errors[i].e), errors[i].status,
		       "status of %s is %d", errors[i].code,
		       errors[i].status);
		if (errors[i].e != OIDC_OK)
			ok(strspn(errors[i].code,
				  "abcdefghijklmnopqrstuvwxyz_") ==
				   strlen(errors[i].code),
			   "'%s' is lower case and underscores",
			   errors[i].code);
		for (j = 0; j < i; j++)
			if (strcmp(oidc_error_code(errors[i].e),
				   oidc_error_code(errors[j].e)) == 0)
				distinct = false;
	}
	ok(distinct, "every code is distinct");
	is_str(oidc_error_code((enum oidc_error)(OIDC_INVALID_TOKEN + 1)),
	       "server_error", "past the last value: server_error");
	is_int(oidc_error_status((enum oidc_error)(OIDC_INVALID_TOKEN + 1)),
	       500, "past the last value: 500");
	is_str(oidc_error_code((enum oidc_error)1000), "server_error",
	       "far out of range: server_error");
	is_int(oidc_error_status((enum oidc_error)-1), 500,
	       "negative: 500");
}

/* True when the JSON array arr contains the string s. */
static bool
has_string(const json_t *arr, const char *s)
{
	size_t i;
	const json_t *v;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static bool
all_strings(const json_t *arr)
{
	size_t i;
	const json_t *v;

	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return false;
	json_array_foreach(arr, i, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* Validates a request with prompt=value; true when accepted. */
static bool
prompt_accepted(struct arena *a, const char *value)
{
	struct params q;
	struct authz_params p;
	const char *why, *s;

	s = arena_asprintf(a, "client_id=c&redirect_uri=https://rp/cb"
			   "&response_type=code&scope=openid"
			   "&code_challenge=%s&code_challenge_method=S256"
			   "&prompt=%s", CHAL, value);
	return form_parse(a, s, strlen(s), 16, &q) == OP_OK &&
	       oidc_authz_parse_client(&q, &p, &why) == OIDC_OK &&
	       oidc_authz_validate(&q, a, true, &p, &why) == OIDC_OK;
}

static void
check_discovery(struct arena *a, const char *issuer)
{
	static const struct {
		const char *key;
		const char *path;
	} endpoints[] = {
		{ "authorization_endpoint", "/authorize" },
		{ "token_endpoint", "/token" },
		{ "userinfo_endpoint", "/userinfo" },
		{ "jwks_uri", "/jwks" },
		{ "end_session_endpoint", "/logout" },
		{ "revocation_endpoint", "/revoke" },
		{ "introspection_endpoint", "/introspect" },
	};
	static const char *const required_arrays[] = {
		"response_types_supported",
		"subject_types_supported",
		"id_token_signing_alg_values_supported",
		"scopes_supported",
		"claims_supported",
		"grant_types_supported",
		"response_modes_supported",
		"token_endpoint_auth_methods_supported",
		"code_challenge_methods_supported",
	};
	static const char *const false_flags[] = {
		"request_parameter_supported",
		"request_uri_parameter_supported",
		"claims_parameter_supported",
	};
	struct buf b;
	json_error_t jerr;
	json_t *o, *v, *alg;
	const char *key, *url;
	size_t i, idx;
	bool none_free = true, all_prompts = true, all_scopes = true;

	buf_init(&b, 65536);
	if (!is_int(oidc_discovery(issuer, &b), OP_OK, "%s: built", issuer)) {
		buf_release(&b);
		return;
	}
	o = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, &jerr);
	if (!ok(json_is_object(o), "%s: a JSON object without duplicate keys",
		issuer)) {
		buf_release(&b);
		return;
	}
	is_str(json_string_value(json_object_get(o, "issuer")), issuer,
	       "%s: issuer", issuer);
	for (i = 0; i < NITEMS(endpoints); i++) {
		url = arena_asprintf(a, "%s%s", issuer, endpoints[i].path);
		is_str(json_string_value(json_object_get(o, endpoints[i].key)),
		       url, "%s: %s", issuer, endpoints[i].key);
	}
	for (i = 0; i < NITEMS(required_arrays); i++)
		ok(all_strings(json_object_get(o, required_arrays[i])),
		   "%s: %s is a non-empty array of strings", issuer,
		   required_arrays[i]);
	v = json_object_get(o, "response_types_supported");
	ok(json_array_size(v) == 1 && has_string(v, "code"),
	   "%s: response_types_supported is [\"code\"]", issuer);
	v = json_object_get(o, "response_modes_supported");
	ok(json_array_size(v) == 1 && has_string(v, "query"),
	   "%s: response_modes_supported is [\"query\"]", issuer);
	v = json_object_get(o, "subject_types_supported");
	ok(has_string(v, "public"), "%s: public subjects", issuer);
	v = json_object_get(o, "code_challenge_methods_supported");
	ok(json_array_size(v) == 1 && has_string(v, "S256"),
	   "%s: only S256 for PKCE", issuer);
	v = json_object_get(o, "grant_types_supported");
	ok(has_string(v, "authorization_code") && !has_string(v, "implicit") &&
		   !has_string(v, "password"),
	   "%s: authorization_code, neither implicit nor password", issuer);
	v = json_object_get(o, "id_token_signing_alg_values_supported");
	ok(has_string(v, "RS256"), "%s: RS256 is listed (OIDC Core 15.1)",
	   issuer);
	for (i = 0; i < NITEMS(false_flags); i++)
		ok(json_is_false(json_object_get(o, false_flags[i])),
		   "%s: %s is false", issuer, false_flags[i]);

	/* No "none" in any algorithm list, whatever it is called. */
	json_object_foreach(o, key, v) {
		if (strstr(key, "alg") == NULL)
			continue;
		if (!json_is_array(v)) {
			none_free = false;
			continue;
		}
		json_array_foreach(v, idx, alg)
			if (!json_is_string(alg) ||
			    strcasecmp(json_string_value(alg), "none") == 0)
				none_free = false;
	}
	ok(none_free, "%s: no \"none\" in any alg list", issuer);

	/* What is advertised is what the validator accepts. */
	v = json_object_get(o, "prompt_values_supported");
	json_array_foreach(v, idx, alg)
		if (!prompt_accepted(a, json_string_value(alg)))
			all_prompts = false;
	ok(json_array_size(v) > 0 && all_prompts,
	   "%s: every advertised prompt value is accepted", issuer);
	v = json_object_get(o, "scopes_supported");
	ok(has_string(v, "openid"), "%s: openid scope listed", issuer);
	json_array_foreach(v, idx, alg)
		if (strcmp(oidc_scope_filter(a, json_string_value(alg)),
			   json_string_value(alg)) != 0)
			all_scopes = false;
	ok(all_scopes, "%s: every advertised scope survives filtering",
	   issuer);
	json_decref(o);
	buf_release(&b);
}

static void
test_discovery(struct arena *a)
{
	struct buf b;
	json_t *o;
	char *issuer;
	bool complete;

	subtest("discovery");
	check_discovery(a, "https://id.example");
	check_discovery(a, "http://127.0.0.1:8080");
	check_discovery(a, "https://id.example/tenant/one");

	subtest("discovery with an issuer too long for its endpoints");
	issuer = arena_alloc(a, 2100);
	memcpy(issuer, "https://id.example/", 19);
	memset(issuer + 19, 'p', 2100 - 19 - 1);
	buf_init(&b, 65536);
	if (oidc_discovery(issuer, &b) != OP_OK) {
		ok(1, "a 2099-byte issuer is refused");
	} else {
		o = json_loads(buf_str(&b), 0, NULL);
		complete = o != NULL &&
			   json_object_get(o, "authorization_endpoint") &&
			   json_object_get(o, "token_endpoint") &&
			   json_object_get(o, "jwks_uri");
		ok(complete, "a 2099-byte issuer is refused or its document "
			     "keeps the required endpoints");
		json_decref(o);
	}
	buf_release(&b);
}

struct idtoken_case {
	const char *name;
	struct idtoken_claims c;
	const char *const keys[12];	/* exactly these, NULL-ended */
};

static const struct idtoken_case idtokens[] = {
	{ "minimal",
	  { "https://id.example", "sub-1", "app", 1700000000, 1700000300,
	    1699999000, NULL, NULL, NULL, NULL, true },
	  { "iss", "sub", "aud", "exp", "iat", "auth_time", NULL } },
	{ "with nonce",
	  { "https://id.example", "sub-1", "app", 1700000000, 1700000300,
	    1699999000, "n-0S6_WzA2Mj", NULL, NULL, NULL, false },
	  { "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", NULL } },
	{ "everything, email not verified",
	  { "https://id.example", "sub-2", "app", 1700000000, 1700000300,
	    1699999000, "n", "77QmUPtjPfzWtF2AnpK9RQ", "sid-9",
	    "a@b.example", false },
	  { "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce",
	    "at_hash", "sid", "email", "email_verified", NULL } },
	{ "email verified, no nonce",
	  { "https://id.example", "sub-3", "app", 1700000000, 1700000300,
	    1699999000, NULL, "h", NULL, "a@b.example", true },
	  { "iss", "sub", "aud", "exp", "iat", "auth_time", "at_hash", "email",
	    "email_verified", NULL } },
	{ "strings that need escaping, large times",
	  { "https://id.example", "s\"u\\b\n", "caf\xc3\xa9", 4102444800LL,
	    4102444800LL + 3600, 0, "\xf0\x9f\x98\x80</script>", NULL, NULL,
	    NULL, true },
	  { "iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", NULL } },
};

static void
check_string_claim(const json_t *o, const char *key, const char *want,
		   const char *name)
{
	if (want == NULL)
		ok(json_object_get(o, key) == NULL, "%s: no %s", name, key);
	else
		is_str(json_string_value(json_object_get(o, key)), want,
		       "%s: %s", name, key);
}

static void
test_idtoken(void)
{
	const struct idtoken_case *t;
	const json_t *v;
	struct buf b;
	json_t *o;
	size_t i, k;

	subtest("ID token claims");
	for (i = 0; i < NITEMS(idtokens); i++) {
		t = &idtokens[i];
		buf_init(&b, 8192);
		if (!is_int(oidc_idtoken_json(&t->c, &b), OP_OK, "%s: built",
			    t->name)) {
			buf_release(&b);
			continue;
		}
		ok(strchr(buf_str(&b), '\n') == NULL, "%s: compact", t->name);
		o = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, NULL);
		if (!ok(json_is_object(o), "%s: a JSON object", t->name)) {
			buf_release(&b);
			continue;
		}
		for (k = 0; t->keys[k] != NULL; k++)
			ok(json_object_get(o, t->keys[k]) != NULL,
			   "%s: has %s", t->name, t->keys[k]);
		is_int(json_object_size(o), k, "%s: exactly %zu claims",
		       t->name, k);
		check_string_claim(o, "iss", t->c.iss, t->name);
		check_string_claim(o, "sub", t->c.sub, t->name);
		check_string_claim(o, "aud", t->c.aud, t->name);
		check_string_claim(o, "nonce", t->c.nonce, t->name);
		check_string_claim(o, "at_hash", t->c.at_hash, t->name);
		check_string_claim(o, "sid", t->c.sid, t->name);
		check_string_claim(o, "email", t->c.email, t->name);
		ok(json_is_integer(json_object_get(o, "iat")) &&
			   json_integer_value(json_object_get(o, "iat")) ==
				   t->c.iat,
		   "%s: iat is the integer %lld", t->name,
		   (long long)t->c.iat);
		ok(json_is_integer(json_object_get(o, "exp")) &&
			   json_integer_value(json_object_get(o, "exp")) ==
				   t->c.exp,
		   "%s: exp", t->name);
		ok(json_is_integer(json_object_get(o, "auth_time")) &&
			   json_integer_value(json_object_get(
				   o, "auth_time")) == t->c.auth_time,
		   "%s: auth_time", t->name);
		v = json_object_get(o, "email_verified");
		if (t->c.email == NULL)
			ok(v == NULL, "%s: no email_verified without email",
			   t->name);
		else
			ok(json_is_boolean(v) &&
				   json_is_true(v) == t->c.email_verified,
			   "%s: email_verified is %s", t->name,
			   t->c.email_verified ? "true" : "false");
		json_decref(o);
		buf_release(&b);
	}
}

int
main(void)
{
	struct arena *a = arena_new();

	test_errors();
	test_discovery(a);
	test_idtoken();
	arena_free(a);
	return done_testing();
}

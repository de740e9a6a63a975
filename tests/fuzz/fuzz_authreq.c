/*
 * fuzz_authreq.c - the authorization request on arbitrary bytes. The
 * input is a request target ("/authorize?QUERY", the query after the
 * first '?') when it starts with '/', otherwise the query string itself.
 * It goes through form_parse(), oidc_authz_parse_client() and
 * oidc_authz_validate() for a public and a confidential client, and an
 * accepted request through oidc_authz_encode() -> oidc_authz_decode().
 * Besides not crashing, the target checks what the endpoint relies on:
 * accepted fields are those of the query and within their limits, a
 * public client is never more lenient than a confidential one, refusals
 * use the documented codes and say why, and the round trip keeps every
 * field (and a login_sid set by the provider, which a request never
 * sets). Any violation aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "oidc/oidc.h"

#define FUZZ_MAX_PARAMS 64
#define MAX_AGE_MAX (100LL * 365 * 86400)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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

/* Non-empty printable ASCII of at most max bytes. */
static bool
printable(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	return i > 0;
}

/* An optional text field: absent, or the query's value within max. */
static void
check_text(const struct params *q, const char *name, const char *v,
	   size_t max)
{
	if (v == NULL) {
		if (params_get(q, name) != NULL)
			abort();
		return;
	}
	if (!same_str(v, params_get(q, name)) || strlen(v) > max ||
	    !utf8_valid(v, strlen(v)))
		abort();
}

static void
check_pkce(const char *c)
{
	size_t n = strlen(c);

	if (n < 43 || n > 128 ||
	    strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-._~") != n)
		abort();
}

/* The invariants of a request accepted by oidc_authz_validate(). */
static void
check_accepted(struct arena *a, const struct params *q,
	       const struct authz_params *p, bool public_client)
{
	const char *method = params_get(q, "code_challenge_method");
	const char *mode = params_get(q, "response_mode");

	if (!same_str(p->client_id, params_get(q, "client_id")) ||
	    !same_str(p->redirect_uri, params_get(q, "redirect_uri")))
		abort();
	if (p->response_type == NULL || strcmp(p->response_type, "code") != 0)
		abort();
	if (params_get(q, "request") != NULL ||
	    params_get(q, "request_uri") != NULL)
		abort();
	if (mode != NULL && strcmp(mode, "query") != 0)
		abort();
	/* scope: filtered, with openid, within what was asked. */
	if (p->scope == NULL || !oidc_scope_has(p->scope, "openid") ||
	    !oidc_scope_subset(p->scope, params_get(q, "scope")) ||
	    strcmp(oidc_scope_filter(a, p->scope), p->scope) != 0)
		abort();
	check_text(q, "state", p->state, 2048);
	check_text(q, "nonce", p->nonce, 512);
	check_text(q, "login_hint", p->login_hint, 254);
	if (p->code_challenge != NULL) {
		if (!same_str(p->code_challenge,
			      params_get(q, "code_challenge")) ||
		    method == NULL || strcmp(method, "S256") != 0)
			abort();
		check_pkce(p->code_challenge);
	} else if (public_client || method != NULL ||
		   params_get(q, "code_challenge") != NULL) {
		abort();
	}
	if (p->prompt_none && (p->prompt_login || p->prompt_consent))
		abort();
	if ((p->prompt_none || p->prompt_login || p->prompt_consent) &&
	    params_get(q, "prompt") == NULL)
		abort();
	/* login_sid is the provider's, never the client's. */
	if (p->login_sid != NULL)
		abort();
	if (p->max_age < -1 || p->max_age > MAX_AGE_MAX ||
	    (p->max_age == -1) != (params_get(q, "max_age") == NULL))
		abort();
}

/* Refusals of stage 2 use these codes only, with a reason. */
static void
check_refused(enum oidc_error e, const char *why)
{
	switch (e) {
	case OIDC_INVALID_REQUEST:
	case OIDC_UNSUPPORTED_RESPONSE_TYPE:
	case OIDC_INVALID_SCOPE:
	case OIDC_REQUEST_NOT_SUPPORTED:
	case OIDC_REQUEST_URI_NOT_SUPPORTED:
		break;
	default:
		abort();
	}
	if (why == NULL || why[0] == '\0')
		abort();
}

static void
round_trip_one(struct arena *a, const struct authz_params *p)
{
	struct authz_params back;
	char *enc;

	enc = oidc_authz_encode(a, p);
	if (enc == NULL)
		abort();
	memset(&back, 0, sizeof(back));
	if (oidc_authz_decode(a, enc, 16, &back) != OP_OK ||
	    !same_params(p, &back))
		abort();
	/* Encoding is canonical: the decoded request encodes the same. */
	if (strcmp(oidc_authz_encode(a, &back), enc) != 0)
		abort();
}

/* The request as validated, then with a login_sid as the provider sets
 * one ("-", or any string: the state stands in for it). */
static void
round_trip(struct arena *a, const struct authz_params *p)
{
	struct authz_params s = *p;

	round_trip_one(a, &s);
	s.login_sid = "-";
	round_trip_one(a, &s);
	if (p->state != NULL) {
		s.login_sid = p->state;
		round_trip_one(a, &s);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *s = (const char *)data, *qm, *why;
	struct authz_params stage1, pub, conf;
	enum oidc_error e, epub, econf;
	struct params q;
	size_t len = size;

	if (len > 0 && s[0] == '/') {
		qm = memchr(s, '?', len);
		len = qm == NULL ? 0 : len - (size_t)(qm + 1 - s);
		s = qm == NULL ? s : qm + 1;
	}
	if (form_parse(a, s, len, FUZZ_MAX_PARAMS, &q) != OP_OK)
		goto out;

	why = NULL;
	e = oidc_authz_parse_client(&q, &stage1, &why);
	if (e != OIDC_OK) {
		if (e != OIDC_INVALID_REQUEST || why == NULL)
			abort();
		goto out;
	}
	if (!printable(stage1.client_id, 128) ||
	    !printable(stage1.redirect_uri, 2048) ||
	    !same_str(stage1.client_id, params_get(&q, "client_id")) ||
	    !same_str(stage1.redirect_uri, params_get(&q, "redirect_uri")) ||
	    stage1.max_age != -1 || stage1.prompt_none ||
	    stage1.prompt_login || stage1.prompt_consent)
		abort();

	pub = stage1;
	why = NULL;
	epub = oidc_authz_validate(&q, a, true, &pub, &why);
	if (epub != OIDC_OK)
		check_refused(epub, why);
	conf = stage1;
	why = NULL;
	econf = oidc_authz_validate(&q, a, false, &conf, &why);
	if (econf != OIDC_OK)
		check_refused(econf, why);

	/* Public clients are only ever stricter, and only about PKCE. */
	if (epub == OIDC_OK && econf != OIDC_OK)
		abort();
	if (epub != econf && (epub != OIDC_INVALID_REQUEST ||
			      params_get(&q, "code_challenge") != NULL))
		abort();
	if (epub == OIDC_OK) {
		check_accepted(a, &q, &pub, true);
		if (!same_params(&pub, &conf))
			abort();
		round_trip(a, &pub);
	}
	if (econf == OIDC_OK) {
		check_accepted(a, &q, &conf, false);
		round_trip(a, &conf);
	}
out:
	arena_free(a);
	return 0;
}

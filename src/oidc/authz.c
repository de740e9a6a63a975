/*
 * authz.c - the authorization request (OIDC Core 3.1.2.1, RFC 6749 4.1.1,
 * RFC 7636, RFC 9700): checked in two stages, because errors before the
 * redirect URI is trusted must never be redirected.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oidc/oidc.h"

#define CLIENT_ID_MAX 128
#define URI_MAX 2048
#define STATE_MAX 2048
#define NONCE_MAX 512
#define HINT_MAX 254

static bool
printable_ascii(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (i >= max || (unsigned char)s[i] < 0x20 ||
		    (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

enum oidc_error
oidc_authz_parse_client(const struct params *q, struct authz_params *out,
			const char **why)
{
	memset(out, 0, sizeof(*out));
	out->max_age = -1;
	out->client_id = params_get(q, "client_id");
	out->redirect_uri = params_get(q, "redirect_uri");
	if (out->client_id == NULL || out->client_id[0] == '\0' ||
	    !printable_ascii(out->client_id, CLIENT_ID_MAX)) {
		*why = "The request names no valid client_id.";
		return OIDC_INVALID_REQUEST;
	}
	if (out->redirect_uri == NULL || out->redirect_uri[0] == '\0' ||
	    !printable_ascii(out->redirect_uri, URI_MAX)) {
		*why = "The request has no valid redirect_uri.";
		return OIDC_INVALID_REQUEST;
	}
	return OIDC_OK;
}

/* RFC 7636 4.2: 43 to 128 characters of the unreserved set. */
static bool
pkce_value_ok(const char *s)
{
	size_t n = strlen(s);

	return n >= 43 && n <= 128 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789-._~") == n;
}

static enum oidc_error
parse_prompt(const char *prompt, struct authz_params *out, const char **why)
{
	const char *p = prompt;
	size_t n;
	int words = 0;

	while (*p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == 0)
			break;
		words++;
		if (n == 4 && memcmp(p, "none", 4) == 0)
			out->prompt_none = true;
		else if (n == 5 && memcmp(p, "login", 5) == 0)
			out->prompt_login = true;
		else if (n == 7 && memcmp(p, "consent", 7) == 0)
			out->prompt_consent = true;
		else if (!(n == 14 && memcmp(p, "select_account", 14) == 0)) {
			*why = "Unknown prompt value.";
			return OIDC_INVALID_REQUEST;
		}
		p += n;
	}
	if (out->prompt_none && words > 1) {
		*why = "prompt=none cannot be combined with other values.";
		return OIDC_INVALID_REQUEST;
	}
	return OIDC_OK;
}

static enum oidc_error
parse_max_age(const char *s, struct authz_params *out, const char **why)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 ||
	    v > 100LL * 365 * 86400) {
		*why = "max_age must be a number of seconds.";
		return OIDC_INVALID_REQUEST;
	}
	out->max_age = v;
	return OIDC_OK;
}

/* Checks an optional text parameter; NULL stays NULL. */
static enum oidc_error
optional_text(const struct params *q, const char *name, size_t max,
	      const char **dst, const char **why)
{
	const char *v = params_get(q, name);

	*dst = NULL;
	if (v == NULL)
		return OIDC_OK;
	if (strlen(v) > max || !utf8_valid(v, strlen(v))) {
		*why = "A parameter is too long.";
		return OIDC_INVALID_REQUEST;
	}
	*dst = v;
	return OIDC_OK;
}

enum oidc_error
oidc_authz_validate(const struct params *q, struct arena *a,
		    bool public_client, struct authz_params *out,
		    const char **why)
{
	const char *method, *mode, *prompt, *max_age, *scope;
	enum oidc_error e;

	e = optional_text(q, "state", STATE_MAX, &out->state, why);
	if (e == OIDC_OK)
		e = optional_text(q, "nonce", NONCE_MAX, &out->nonce, why);
	if (e == OIDC_OK)
		e = optional_text(q, "login_hint", HINT_MAX, &out->login_hint,
				  why);
	if (e != OIDC_OK)
		return e;
	if (params_get(q, "request") != NULL) {
		*why = "Request objects are not supported.";
		return OIDC_REQUEST_NOT_SUPPORTED;
	}
	if (params_get(q, "request_uri") != NULL) {
		*why = "request_uri is not supported.";
		return OIDC_REQUEST_URI_NOT_SUPPORTED;
	}
	out->response_type = params_get(q, "response_type");
	if (out->response_type == NULL) {
		*why = "response_type is missing.";
		return OIDC_INVALID_REQUEST;
	}
	if (strcmp(out->response_type, "code") != 0) {
		*why = "Only response_type=code is supported.";
		return OIDC_UNSUPPORTED_RESPONSE_TYPE;
	}
	mode = params_get(q, "response_mode");
	if (mode != NULL && strcmp(mode, "query") != 0) {
		*why = "Only response_mode=query is supported.";
		return OIDC_INVALID_REQUEST;
	}
	scope = params_get(q, "scope");
	if (scope == NULL || !oidc_scope_has(scope, "openid")) {
		*why = "The scope must include openid.";
		return OIDC_INVALID_SCOPE;
	}
	out->scope = oidc_scope_filter(a, scope);
	out->code_challenge = params_get(q, "code_challenge");
	method = params_get(q, "code_challenge_method");
	if (out->code_challenge != NULL) {
		if (method == NULL || strcmp(method, "S256") != 0) {
			*why = "code_challenge_method must be S256.";
			return OIDC_INVALID_REQUEST;
		}
		if (!pkce_value_ok(out->code_challenge)) {
			*why = "code_challenge is malformed.";
			return OIDC_INVALID_REQUEST;
		}
	} else if (method != NULL) {
		*why = "code_challenge_method without code_challenge.";
		return OIDC_INVALID_REQUEST;
	} else if (public_client) {
		*why = "Public clients must use PKCE (S256).";
		return OIDC_INVALID_REQUEST;
	}
	prompt = params_get(q, "prompt");
	if (prompt != NULL)
		e = parse_prompt(prompt, out, why);
	max_age = params_get(q, "max_age");
	if (e == OIDC_OK && max_age != NULL)
		e = parse_max_age(max_age, out, why);
	return e;
}

static void
add_param(struct arena *a, struct buf *b, const char *name, const char *v)
{
	if (v == NULL)
		return;
	if (b->len > 0)
		buf_addch(b, '&');
	buf_addf(b, "%s=%s", name, url_encode(a, v));
}

char *
oidc_authz_encode(struct arena *a, const struct authz_params *p)
{
	struct buf b;
	char *out, prompt[32] = "";

	buf_init(&b, 16384);
	add_param(a, &b, "client_id", p->client_id);
	add_param(a, &b, "redirect_uri", p->redirect_uri);
	add_param(a, &b, "response_type", p->response_type);
	add_param(a, &b, "scope", p->scope);
	add_param(a, &b, "state", p->state);
	add_param(a, &b, "nonce", p->nonce);
	add_param(a, &b, "code_challenge", p->code_challenge);
	if (p->code_challenge != NULL)
		add_param(a, &b, "code_challenge_method", "S256");
	add_param(a, &b, "login_hint", p->login_hint);
	snprintf(prompt, sizeof(prompt), "%s%s%s",
		 p->prompt_none ? "none " : "",
		 p->prompt_login ? "login " : "",
		 p->prompt_consent ? "consent " : "");
	if (prompt[0] != '\0') {
		prompt[strlen(prompt) - 1] = '\0';
		add_param(a, &b, "prompt", prompt);
	}
	if (p->max_age >= 0)
		add_param(a, &b, "max_age",
			  arena_asprintf(a, "%lld", (long long)p->max_age));
	add_param(a, &b, "login_sid", p->login_sid);
	out = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return out;
}

enum op_rc
oidc_authz_decode(struct arena *a, const char *s, size_t max_params,
		  struct authz_params *out)
{
	struct params q;
	const char *why = NULL;
	enum op_rc rc;

	rc = form_parse(a, s, strlen(s), max_params, &q);
	if (rc != OP_OK)
		return rc;
	if (oidc_authz_parse_client(&q, out, &why) != OIDC_OK ||
	    oidc_authz_validate(&q, a, false, out, &why) != OIDC_OK)
		return OP_E_INVALID;
	out->login_sid = params_get(&q, "login_sid");
	return OP_OK;
}

/*
 * creds.c - client credentials at the token, revocation and
 * introspection endpoints (RFC 6749 2.3.1), and Bearer tokens (RFC 6750).
 */
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "oidc/oidc.h"

#define BASIC_MAX 1024

/* Decodes the form-urlencoded part p[0..n) of a Basic credential: one
 * value, so a raw '&' (which would split a form) is refused. */
static const char *
basic_part(struct arena *a, const char *p, size_t n)
{
	struct params q;
	char *pair;

	if (memchr(p, '&', n) != NULL)
		return NULL;
	pair = arena_asprintf(a, "v=%.*s", (int)n, p);

	if (form_parse(a, pair, strlen(pair), 2, &q) != OP_OK)
		return NULL;
	return params_get(&q, "v");
}

static enum oidc_error
parse_basic(struct arena *a, const char *cred, struct client_creds *out)
{
	size_t len = strlen(cred), bin_len = 0;
	unsigned char *bin;
	const char *colon;

	if (len == 0 || len > BASIC_MAX)
		return OIDC_INVALID_CLIENT;
	/* libsodium 1.0.18 decodes bytes >= 0x80 as '/': check the alphabet
	 * first. */
	if (strspn(cred, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789+/=") != len)
		return OIDC_INVALID_CLIENT;
	bin = arena_alloc(a, len + 1);
	if (sodium_base642bin(bin, len, cred, len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return OIDC_INVALID_CLIENT;
	bin[bin_len] = '\0';
	if (memchr(bin, '\0', bin_len) != NULL)
		return OIDC_INVALID_CLIENT;
	colon = strchr((const char *)bin, ':');
	if (colon == NULL)
		return OIDC_INVALID_CLIENT;
	out->client_id = basic_part(a, (const char *)bin,
				    (size_t)(colon - (const char *)bin));
	out->client_secret = basic_part(a, colon + 1, strlen(colon + 1));
	if (out->client_id == NULL || out->client_id[0] == '\0' ||
	    out->client_secret == NULL)
		return OIDC_INVALID_CLIENT;
	out->method = CLIENT_AUTH_BASIC;
	return OIDC_OK;
}

enum oidc_error
oidc_client_creds(struct arena *a, const char *authorization,
		  const struct params *form, struct client_creds *out,
		  bool *basic_failed)
{
	const char *id = params_get(form, "client_id");
	const char *secret = params_get(form, "client_secret");

	memset(out, 0, sizeof(*out));
	*basic_failed = false;
	if (authorization != NULL) {
		if (strncasecmp(authorization, "Basic ", 6) != 0 ||
		    secret != NULL ||
		    parse_basic(a, authorization + 6, out) != OIDC_OK) {
			*basic_failed = true;
			return OIDC_INVALID_CLIENT;
		}
		/* A client_id in the body must name the same client. */
		if (id != NULL && strcmp(id, out->client_id) != 0) {
			*basic_failed = true;
			return OIDC_INVALID_CLIENT;
		}
		return OIDC_OK;
	}
	if (id == NULL || id[0] == '\0')
		return OIDC_INVALID_CLIENT;
	out->client_id = id;
	out->client_secret = secret;
	out->method = secret != NULL ? CLIENT_AUTH_POST : CLIENT_AUTH_NONE;
	return OIDC_OK;
}

const char *
oidc_bearer(struct arena *a, const char *authorization)
{
	const char *t;

	if (authorization == NULL ||
	    strncasecmp(authorization, "Bearer ", 7) != 0)
		return NULL;
	t = authorization + 7;
	while (*t == ' ')
		t++;
	if (*t == '\0' || strlen(t) > 512)
		return NULL;
	return arena_strdup(a, t);
}

/*
 * oidc.h - OpenID Connect and OAuth 2.0 protocol logic with no I/O: error
 * codes, scopes, validation of authorization and token requests, client
 * credentials from the Authorization header, the discovery document and
 * ID token claims. Takes plain inputs, returns decisions; unit-tested and
 * fuzzed. (struct params is the plain name/value list of http.h.)
 */
#ifndef OIDC_H
#define OIDC_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"
#include "http/http.h"

enum oidc_error {
	OIDC_OK = 0,
	OIDC_INVALID_REQUEST,
	OIDC_INVALID_CLIENT,
	OIDC_INVALID_GRANT,
	OIDC_UNAUTHORIZED_CLIENT,
	OIDC_UNSUPPORTED_GRANT_TYPE,
	OIDC_UNSUPPORTED_RESPONSE_TYPE,
	OIDC_INVALID_SCOPE,
	OIDC_ACCESS_DENIED,
	OIDC_SERVER_ERROR,
	OIDC_TEMPORARILY_UNAVAILABLE,
	OIDC_LOGIN_REQUIRED,
	OIDC_CONSENT_REQUIRED,
	OIDC_INTERACTION_REQUIRED,
	OIDC_REQUEST_NOT_SUPPORTED,
	OIDC_REQUEST_URI_NOT_SUPPORTED,
	OIDC_INVALID_TOKEN,
};

/* The error's code for "error" ("invalid_request", ...). */
const char *oidc_error_code(enum oidc_error e);
/* The HTTP status of a token/revocation/introspection error response. */
int oidc_error_status(enum oidc_error e);

/* ---- scopes ---- */

/* True when space-separated scope contains word. */
bool oidc_scope_has(const char *scope, const char *word);
/* The supported words of scope (openid, email, profile, offline_access),
 * each once, in that order; "" when none. In a. */
const char *oidc_scope_filter(struct arena *a, const char *scope);
/* True when every word of narrow is in wide. */
bool oidc_scope_subset(const char *narrow, const char *wide);

/* True when uri equals one line of lines exactly (no normalisation). */
bool oidc_uri_listed(const char *lines, const char *uri);

/* ---- the authorization request ---- */

struct authz_params {
	const char *client_id;
	const char *redirect_uri;
	const char *response_type;
	const char *scope;		/* filtered */
	const char *state;		/* may be NULL */
	const char *nonce;		/* may be NULL */
	const char *code_challenge;	/* may be NULL */
	const char *login_hint;		/* may be NULL */
	bool prompt_none;
	bool prompt_login;
	bool prompt_consent;
	int64_t max_age;		/* -1 when absent */
	/* Set by the provider, never read from a client's request: the ID
	 * service session that was current when a fresh sign-in was
	 * required ("-" for none). A later session proves a password entry
	 * after the request. */
	const char *login_sid;
};

/*
 * Stage 1: the parameters needed before the redirect URI can be trusted
 * (client_id and redirect_uri present, sane lengths). An error here is
 * shown to the person, never redirected.
 */
enum oidc_error oidc_authz_parse_client(const struct params *q,
					struct authz_params *out,
					const char **why);
/*
 * Stage 2, once the client and redirect URI are known good: everything
 * else. Errors are returned to the client by redirect. public_client
 * makes PKCE mandatory.
 */
enum oidc_error oidc_authz_validate(const struct params *q, struct arena *a,
				    bool public_client,
				    struct authz_params *out,
				    const char **why);
/* The validated request as a urlencoded string, and back (for keeping a
 * request while the person signs in). */
char *oidc_authz_encode(struct arena *a, const struct authz_params *p);
enum op_rc oidc_authz_decode(struct arena *a, const char *s,
			     size_t max_params, struct authz_params *out);

/* ---- client authentication at the token endpoint ---- */

enum client_auth {
	CLIENT_AUTH_NONE = 0,	/* client_id only (public client) */
	CLIENT_AUTH_BASIC,
	CLIENT_AUTH_POST,
};

struct client_creds {
	enum client_auth method;
	const char *client_id;
	const char *client_secret;	/* NULL for CLIENT_AUTH_NONE */
};

/*
 * Finds the client's credentials in the Authorization header (Basic,
 * RFC 6749 2.3.1: both parts form-urlencoded) or the form. Using two
 * methods at once, a malformed header, or no client_id at all is
 * OIDC_INVALID_CLIENT (with *basic_failed true when a Basic header was
 * sent, so the caller answers 401 with WWW-Authenticate).
 */
enum oidc_error oidc_client_creds(struct arena *a, const char *authorization,
				  const struct params *form,
				  struct client_creds *out, bool *basic_failed);

/* The Bearer token of an Authorization header, or NULL. */
const char *oidc_bearer(struct arena *a, const char *authorization);

/* ---- documents ---- */

/* The discovery document for issuer (no trailing slash). */
enum op_rc oidc_discovery(const char *issuer, struct buf *out);

struct idtoken_claims {
	const char *iss;
	const char *sub;
	const char *aud;
	int64_t iat;
	int64_t exp;
	int64_t auth_time;
	const char *nonce;	/* may be NULL */
	const char *at_hash;	/* may be NULL */
	const char *sid;	/* may be NULL */
	const char *email;	/* NULL unless the email scope was granted */
	bool email_verified;
};
/* The claims as a JSON object (the JWS payload). */
enum op_rc oidc_idtoken_json(const struct idtoken_claims *c, struct buf *out);

#endif

/*
 * rp.h - a standard OpenID Connect relying party (the business site's
 * portals are clients of any provider): discovery and JWKS fetched with
 * libcurl and cached (the JWKS refetched on an unknown kid, at most once a
 * minute), the authorization URL with PKCE S256, state and nonce, the code
 * exchange, and full ID token validation.
 *
 * Thread safety: one struct rp_cache is shared by all request threads;
 * its state is behind one mutex held only while copying cached documents,
 * never during network I/O.
 */
#ifndef RP_H
#define RP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"

struct rp_cache;

struct rp_cache_config {
	const char *ca_file;	/* may be NULL: the system's CAs */
	long timeout_sec;	/* per HTTP request */
	int64_t (*now)(void);
};

/* Returns a new cache, caller frees with rp_cache_free(). */
struct rp_cache *rp_cache_new(const struct rp_cache_config *c);
void rp_cache_free(struct rp_cache *c);

/* What a portal needs of its provider, from discovery (copied into a). */
struct rp_endpoints {
	const char *issuer;
	const char *authorization_endpoint;
	const char *token_endpoint;
	const char *end_session_endpoint;	/* may be NULL */
};

/*
 * The provider's endpoints for issuer, from the cache or fetched from
 * issuer + "/.well-known/openid-configuration" (whose "issuer" must equal
 * issuer byte for byte). A provider that cannot be reached or answers
 * nonsense gives OP_E_INTERNAL with the reason in err.
 */
enum op_rc rp_endpoints(struct rp_cache *c, const char *issuer,
			struct arena *a, struct rp_endpoints *out,
			struct op_err *err);

/* A fresh state, nonce and PKCE verifier (base64url, 43 chars each). */
struct rp_request {
	char state[44];
	char nonce[44];
	char verifier[44];
};
void rp_request_new(struct rp_request *r);

struct rp_auth_params {
	const char *client_id;
	const char *redirect_uri;
	const char *scope;		/* e.g. "openid email" */
	const char *prompt;		/* may be NULL; "login" */
	int64_t max_age;		/* -1: not sent */
	const struct rp_request *req;
};
/* The URL to send the browser to (in a). */
char *rp_auth_url(struct arena *a, const struct rp_endpoints *e,
		  const struct rp_auth_params *p);

struct rp_client {
	const char *client_id;
	const char *client_secret;	/* client_secret_basic */
	const char *redirect_uri;
};

/* What a validated sign-in says (strings in a). */
struct rp_identity {
	const char *issuer;
	const char *subject;
	const char *email;		/* may be NULL */
	bool email_verified;
	int64_t auth_time;		/* 0 when the token has none */
	const char *id_token;		/* the raw token, for logout */
};

/*
 * Exchanges code at the token endpoint (with the PKCE verifier) and
 * validates the ID token: signature by a key of the provider's JWKS with
 * an allowed algorithm (RS256, ES256, EdDSA; never "none" or HMAC), iss ==
 * issuer, aud contains client_id (and azp == client_id when several), exp
 * in the future, iat not in the future (60 s leeway), nonce == expected.
 * OP_E_DENIED for any validation failure, with the reason in err.
 */
enum op_rc rp_finish(struct rp_cache *c, const struct rp_endpoints *e,
		     const struct rp_client *cl, const char *code,
		     const struct rp_request *req, struct arena *a,
		     struct rp_identity *out, struct op_err *err);

/*
 * Validates an ID token alone (rp_finish calls it; exposed for tests and
 * fuzzing). The JWKS comes from the cache, refetched once on an unknown
 * kid.
 */
enum op_rc rp_validate_id_token(struct rp_cache *c, const char *issuer,
				const char *client_id, const char *nonce,
				const char *id_token, struct arena *a,
				struct rp_identity *out, struct op_err *err);

/* The provider's end-session URL with id_token_hint, client_id,
 * post_logout_redirect_uri (in a), or NULL when it has none. */
char *rp_logout_url(struct arena *a, const struct rp_endpoints *e,
		    const char *id_token, const char *client_id,
		    const char *post_logout_redirect_uri);

#endif

/*
 * rp_internal.h - what rp.c, rp_jwks.c, rp_idtoken.c and rp_http.c share
 * and nothing else includes (but the relying party's unit test and fuzz
 * target): the cache's records, the HTTP helper, the JWKS key set and the
 * claims check.
 *
 * Locking: struct rp_cache's mu guards the provider list and every field
 * of every struct rp_provider, and the refs of every struct rp_keyset.
 * It is never held during network I/O: a fetch happens unlocked and its
 * result is installed under the lock afterwards. Provider records are
 * only ever added, never removed before rp_cache_free(), so a pointer to
 * one stays valid across an unlock. A key set is immutable once built and
 * reference-counted: a validation holds a reference while it verifies, so
 * a concurrent refetch that replaces the set cannot free its keys.
 */
#ifndef RP_INTERNAL_H
#define RP_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "business/rp.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"
#include "crypto/jose.h"

#define RP_RESPONSE_MAX_BYTES (256 * 1024)	/* any provider answer */
#define RP_DEFAULT_TIMEOUT_SEC 10L
#define RP_DISCOVERY_TTL_SEC 3600	/* discovery refreshed after this */
#define RP_JWKS_TTL_SEC 3600		/* the JWKS refreshed after this */
#define RP_JWKS_REFETCH_SEC 60		/* at most one JWKS fetch a minute */
#define RP_LEEWAY_SEC 60		/* clock skew allowed on exp/iat/nbf */
#define RP_URL_MAX 2048
#define RP_JWKS_MAX_KEYS 100
#define RP_KID_MAX 256
#define RP_SUB_MAX 255			/* OIDC Core 2: sub <= 255 chars */
#define RP_CLAIM_STR_MAX 1024		/* email and the like */
#define RP_WELL_KNOWN "/.well-known/openid-configuration"

/* One usable signing key of a JWKS. */
struct rp_key {
	char *kid;		/* the JWK's "kid", NULL when it has none */
	struct jose_key *key;
};

/* A parsed JWKS: immutable, shared by reference count (under mu). */
struct rp_keyset {
	unsigned refs;
	size_t n;
	struct rp_key *keys;
};

/* What discovery says of a provider (strings owned). */
struct rp_discovery {
	char *issuer;
	char *authorization_endpoint;
	char *token_endpoint;
	char *end_session_endpoint;	/* NULL when the provider has none */
	char *jwks_uri;
};

struct rp_provider {
	struct rp_discovery d;
	int64_t discovered_at;
	struct rp_keyset *keys;	/* NULL until a JWKS fetch succeeded */
	int64_t jwks_fetched_at; /* the last successful JWKS fetch */
	int64_t jwks_tried_at;	/* the last JWKS fetch started: the limiter */
	struct rp_provider *next;
};

struct rp_cache {
	pthread_mutex_t mu;
	char *ca_file;		/* immutable after rp_cache_new() */
	long timeout_sec;
	int64_t (*now)(void);
	struct rp_provider *providers;	/* under mu */
};

/* ---- rp_http.c: libcurl, the only file of the module that uses it ---- */

/* curl_global_init / curl_global_cleanup, reference-counted by curl. */
void rp_http_global_init(void);
void rp_http_global_cleanup(void);

struct rp_http_req {
	const char *url;	/* http:// or https:// */
	const char *post;	/* urlencoded form body; NULL for GET */
	const char *user;	/* HTTP Basic credentials, or NULL */
	const char *password;
};

struct rp_http_resp {
	long status;
	struct buf body;	/* at most RP_RESPONSE_MAX_BYTES */
};

/*
 * One request, no redirects followed, http and https only, the cache's
 * timeout and CA file. The body is capped at RP_RESPONSE_MAX_BYTES.
 * Returns OP_OK with any HTTP status in out (caller releases it with
 * rp_http_resp_release()), or OP_E_INTERNAL when no answer came.
 */
enum op_rc rp_http_fetch(const struct rp_cache *c, const struct rp_http_req *r,
			 struct rp_http_resp *out, struct op_err *err);
/* Wipes (a token response holds tokens) and frees the body. */
void rp_http_resp_release(struct rp_http_resp *r);

/* ---- rp.c ---- */

/* True for an absolute http(s) URL with a host, of printable ASCII, no
 * fragment, at most RP_URL_MAX bytes. */
bool rp_url_ok(const char *s);

/*
 * Parses a discovery document of len bytes for issuer (whose "issuer"
 * must equal it byte for byte) into out (caller frees with
 * rp_discovery_release()). OP_E_INVALID with the reason in err.
 */
enum op_rc rp_discovery_parse(const char *issuer, const char *json,
			      size_t len, struct rp_discovery *out,
			      struct op_err *err);
void rp_discovery_release(struct rp_discovery *d);

/* The provider record of issuer, or NULL. Call with mu held. */
struct rp_provider *rp_provider_find(struct rp_cache *c, const char *issuer);

/*
 * Makes sure the cache holds a fresh discovery of issuer (fetching it
 * when absent or older than RP_DISCOVERY_TTL_SEC) and copies the
 * endpoints into a (out may be NULL when only freshness matters).
 */
enum op_rc rp_provider_get(struct rp_cache *c, const char *issuer,
			   struct arena *a, struct rp_endpoints *out,
			   struct op_err *err);

/*
 * Test and fuzzing support: installs issuer's discovery document and
 * JWKS (JSON texts) in c as if both had just been fetched, without any
 * network. OP_E_INVALID when either does not parse.
 */
enum op_rc rp_cache_seed(struct rp_cache *c, const char *issuer,
			 const char *discovery_json, const char *jwks_json,
			 struct op_err *err);

/* ---- rp_jwks.c ---- */

/*
 * Parses a JWKS document of len bytes into a new key set with refs 1
 * (caller drops it with rp_keyset_free() or hands it to the cache).
 * Keys with a "use" other than "sig", keys of other types or
 * algorithms than RS256, ES256 and EdDSA, and keys that do not import
 * are skipped. OP_E_INVALID when the document is not {"keys": [...]}.
 */
enum op_rc rp_jwks_parse(const char *json, size_t len,
			 struct rp_keyset **out, struct op_err *err);
void rp_keyset_free(struct rp_keyset *s);
/* Drops a reference taken by rp_jwks_key(); NULL is fine. */
void rp_keyset_put(struct rp_cache *c, struct rp_keyset *s);

/*
 * The key that should have signed j, from issuer's cached JWKS. The JWKS
 * is fetched when not cached or older than RP_JWKS_TTL_SEC, and refetched
 * when no key fits j's kid, but at most once per RP_JWKS_REFETCH_SEC per
 * issuer. Takes a reference on the key set, returned in *set_out, which
 * the caller drops with rp_keyset_put(); *key_out is borrowed from it.
 * OP_E_DENIED when no key fits (unknown kid, kid of a key of another
 * algorithm, no kid and not exactly one key of the algorithm),
 * OP_E_INTERNAL when no JWKS could be had at all.
 */
enum op_rc rp_jwks_key(struct rp_cache *c, const char *issuer,
		       const struct jose_jws *j, struct rp_keyset **set_out,
		       const struct jose_key **key_out, struct op_err *err);

/* ---- rp_idtoken.c ---- */

struct rp_expect {
	const char *issuer;
	const char *client_id;
	const char *nonce;	/* NULL: no nonce expected */
	int64_t now;
};

/*
 * Checks an ID token's claims (payload JSON of len bytes, signature
 * already verified) and fills out (strings in a; out->id_token is left
 * to the caller). OP_E_DENIED with the reason in err.
 */
enum op_rc rp_claims_check(const struct rp_expect *x, const char *payload,
			   size_t len, struct arena *a,
			   struct rp_identity *out, struct op_err *err);

#endif

/*
 * jose.h - signing keys, JWKs and compact JWS on OpenSSL's EVP (no
 * hand-written RSA or EC; cjose 0.6 in Debian 12 lacks EdDSA, so EVP is
 * used directly). Algorithms: RS256 (RSA 2048), ES256 (P-256), EdDSA
 * (Ed25519). "none" is never produced or accepted.
 *
 * Private keys leave this module only as PEM text, sealed with the master
 * key when one is configured (libsodium secretbox).
 */
#ifndef JOSE_H
#define JOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/onepass.h"

enum jose_alg {
	JOSE_ALG_NONE = 0,	/* never valid; the zero value of "unset" */
	JOSE_RS256,
	JOSE_ES256,
	JOSE_EDDSA,
};

/* "RS256", "ES256", "EdDSA"; NULL for JOSE_ALG_NONE. */
const char *jose_alg_name(enum jose_alg alg);
/* The algorithm called name, or JOSE_ALG_NONE ("none" included). */
enum jose_alg jose_alg_from_name(const char *name);

struct jose_key;

/* Generates a new key pair for alg; caller frees with jose_key_free(). */
enum op_rc jose_key_generate(enum jose_alg alg, struct jose_key **out,
			     struct op_err *err);
void jose_key_free(struct jose_key *k);
enum jose_alg jose_key_alg(const struct jose_key *k);
/* The key id: the RFC 7638 JWK thumbprint, base64url. Borrowed. */
const char *jose_key_kid(const struct jose_key *k);

/*
 * Serialises the private key for storage: PKCS#8 PEM, or, when
 * master_key is not NULL, "sealed:" + base64(nonce || secretbox(PEM)).
 * Returns a new string; caller frees with xfreestr_secret().
 */
enum op_rc jose_key_export_private(const struct jose_key *k,
				   const unsigned char *master_key /* 32 or NULL */,
				   char **out, struct op_err *err);
/* The inverse; a sealed text needs the same master key. */
enum op_rc jose_key_import_private(const char *text, enum jose_alg alg,
				   const unsigned char *master_key,
				   struct jose_key **out, struct op_err *err);
/* Loads a public JWK (JSON object text) for verification. */
enum op_rc jose_key_import_jwk(const char *json, struct jose_key **out,
			       struct op_err *err);
/* Appends the public JWK as a JSON object ({"kty",..,"kid","use":"sig",
 * "alg"}) to out. */
enum op_rc jose_key_public_jwk(const struct jose_key *k, struct buf *out);

/*
 * Signs payload (JSON text) as a compact JWS with header
 * {"alg":..,"kid":..,"typ":typ} (typ may be NULL). Appends to out.
 */
enum op_rc jose_sign(const struct jose_key *k, const char *typ,
		     const char *payload, size_t payload_len, struct buf *out,
		     struct op_err *err);

/* A parsed compact JWS: views into a private copy, valid until free. */
struct jose_jws {
	char *header_json;	/* decoded protected header */
	char *payload;		/* decoded payload */
	size_t payload_len;
	enum jose_alg alg;	/* from the header; NONE if absent/unknown */
	char *kid;		/* from the header, or NULL */
	char *signing_input;	/* "b64header.b64payload" */
	unsigned char *sig;
	size_t sig_len;
};

/* Parses compact serialisation (three base64url parts, JSON header with
 * a known alg). Returns OP_E_INVALID for anything else, "none" included. */
enum op_rc jose_jws_parse(const char *compact, size_t len,
			  struct jose_jws *out, struct op_err *err);
void jose_jws_release(struct jose_jws *j);
/* Verifies j's signature with k; the header's alg must equal k's alg.
 * Returns OP_OK or OP_E_DENIED. */
enum op_rc jose_jws_verify(const struct jose_jws *j, const struct jose_key *k);

/* base64url without padding of len bytes of p, appended to out. */
int jose_b64url_add(struct buf *out, const void *p, size_t len);
/* at_hash / c_hash: base64url of the left half of the hash of s that
 * matches alg (SHA-256 for RS256 and ES256, SHA-512 for EdDSA/Ed25519). */
void jose_half_hash(enum jose_alg alg, const char *s, char out[64]);
/* base64url(SHA-256(verifier)) compared in constant time with challenge:
 * the PKCE S256 check. */
bool jose_pkce_s256_ok(const char *verifier, const char *challenge);

#endif

/*
 * keyring.h - the ID service's signing keys. Every key lives in the store
 * (private keys sealed with the master key when one is configured); the
 * keyring holds the published ones in memory and reloads them at most
 * every KEYRING_RELOAD_SEC so a `onepass key rotate` on any node reaches
 * every node. The signer of an algorithm is its newest key that has been
 * published for [oidc] key_activation_sec (so clients that cache the JWKS
 * have it before it signs), or else the one published longest.
 */
#ifndef KEYRING_H
#define KEYRING_H

#include "core/buf.h"
#include "core/onepass.h"
#include "crypto/jose.h"

#define KEYRING_RELOAD_SEC 30
/* The JWKS and verification of an unknown kid read the store at most this
 * stale, so keys made by another node are published within seconds. */
#define KEYRING_JWKS_FRESH_SEC 5

struct keyring;

/*
 * Loads the published keys, first creating one for each algorithm that
 * has none (first start). master_key may be NULL. Returns a new keyring,
 * caller frees with keyring_free().
 */
enum op_rc keyring_open(struct onepass *op, const unsigned char *master_key,
			struct keyring **out, struct op_err *err);
void keyring_free(struct keyring *kr);

/* Signs payload with the current key of alg; appends the compact JWS. */
enum op_rc keyring_sign(struct keyring *kr, enum jose_alg alg,
			const char *typ, const char *payload, size_t len,
			struct buf *out);
/* Appends the JWKS document ({"keys":[...]}) of every published key. */
enum op_rc keyring_jwks(struct keyring *kr, struct buf *out);
/* Verifies a JWS made by this provider: OP_OK or OP_E_DENIED. */
enum op_rc keyring_verify(struct keyring *kr, const struct jose_jws *j);

/* Generates a new key for alg and stores it (`onepass key rotate`). The
 * returned kid is a new string; caller frees with xfree(). */
enum op_rc keyring_rotate(struct onepass *op, const unsigned char *master_key,
			  enum jose_alg alg, char **kid_out, struct op_err *err);

/* The master key from configuration: OP_OK with *present false when none
 * is set; OP_E_INVALID when it is not base64 of 32 bytes. */
enum op_rc keyring_master_key(const char *b64, unsigned char out[32],
			      bool *present);

#endif

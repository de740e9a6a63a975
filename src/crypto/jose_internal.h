/*
 * jose_internal.h - what jose.c, jwk.c and jws.c share and nothing else
 * includes: the key object, base64url decoding and the OpenSSL error
 * helper.
 */
#ifndef JOSE_INTERNAL_H
#define JOSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "core/onepass.h"
#include "crypto/jose.h"

#define JOSE_KID_LEN 43		/* base64url of a SHA-256 thumbprint */
#define JOSE_RSA_MIN_BITS 2048
#define JOSE_RSA_MAX_BITS 8192	/* bounds the cost of a verification */
#define JOSE_RSA_GEN_BITS 2048
#define JOSE_EC_COORD_BYTES 32	/* P-256 */
#define JOSE_ED25519_BYTES 32
#define JOSE_ES256_SIG_BYTES 64	/* R || S */

struct jose_key {
	enum jose_alg alg;	/* never JOSE_ALG_NONE */
	EVP_PKEY *pkey;		/* owned; freed with EVP_PKEY_free() */
	bool has_private;	/* false for keys imported from a JWK */
	char kid[JOSE_KID_LEN + 1];
};

/*
 * Decodes len bytes of s as base64url without padding, strictly (no
 * padding, no whitespace, no stray bits). Returns 0 and a new buffer
 * (NUL-terminated, *out_len bytes before the NUL; caller frees with
 * xfree()), or -1.
 */
int jose_b64url_decode(const char *s, size_t len, unsigned char **out,
		       size_t *out_len);

/*
 * Takes ownership of pkey (freed on failure too) and wraps it as a key of
 * alg, computing its kid. OP_E_CRYPTO when the public members cannot be
 * read.
 */
enum op_rc jose_key_wrap(EVP_PKEY *pkey, enum jose_alg alg, bool has_private,
			 struct jose_key **out, struct op_err *err);

/* Fills e with code, what and OpenSSL's first queued error, then clears
 * OpenSSL's queue so no stale error reaches another user of libcrypto. */
#define jose_ossl_err(e, code, what)                                         \
	jose_ossl_err_at((e), (code), __FILE__, __LINE__, __func__, (what))
enum op_rc jose_ossl_err_at(struct op_err *e, enum op_rc code,
			    const char *file, int line, const char *func,
			    const char *what);

#endif

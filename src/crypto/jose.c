/*
 * jose.c - the small shared pieces of the JOSE module: algorithm names,
 * base64url (libsodium's codec, URL-safe alphabet, no padding), the
 * at_hash/c_hash half hash and the PKCE S256 check. Keys are in jwk.c,
 * compact JWS in jws.c.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <sodium.h>

#include "core/xmalloc.h"
#include "crypto/jose_internal.h"

#define B64URL sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define B64_CHUNK 768		/* bytes encoded per step: a multiple of 3 */
#define PKCE_VERIFIER_MIN 43	/* RFC 7636 section 4.1 */
#define PKCE_VERIFIER_MAX 128
#define PKCE_CHALLENGE_LEN 43	/* base64url of 32 bytes */

static const struct {
	enum jose_alg alg;
	const char *name;
} alg_names[] = {
	{ JOSE_RS256, "RS256" },
	{ JOSE_ES256, "ES256" },
	{ JOSE_EDDSA, "EdDSA" },
};

const char *
jose_alg_name(enum jose_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return NULL;
}

enum jose_alg
jose_alg_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return JOSE_ALG_NONE;
	/* Case-sensitive, as RFC 7515 section 4.1.1 requires. */
	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strcmp(alg_names[i].name, name) == 0)
			return alg_names[i].alg;
	return JOSE_ALG_NONE;
}

int
jose_b64url_add(struct buf *out, const void *p, size_t len)
{
	char chunk[sodium_base64_ENCODED_LEN(B64_CHUNK, B64URL)];
	const unsigned char *s = p;
	size_t need, n;

	/* All or nothing: check the whole encoded length first. */
	if (len > (SIZE_MAX - 3) / 4 * 3)
		return -1;
	need = sodium_base64_ENCODED_LEN(len, B64URL) - 1;
	if (need > out->max || out->len > out->max - need)
		return -1;
	while (len > 0) {
		n = len < B64_CHUNK ? len : B64_CHUNK;
		sodium_bin2base64(chunk, sizeof(chunk), s, n, B64URL);
		if (buf_adds(out, chunk) != 0) {
			sodium_memzero(chunk, sizeof(chunk));
			return -1;
		}
		s += n;
		len -= n;
	}
	sodium_memzero(chunk, sizeof(chunk));
	return 0;
}

int
jose_b64url_decode(const char *s, size_t len, unsigned char **out,
		   size_t *out_len)
{
	unsigned char *bin;
	size_t max = len / 4 * 3 + 3, got = 0;

	*out = NULL;
	*out_len = 0;
	bin = xmalloc(max + 1);
	/* No ignore set and no end pointer: libsodium then refuses any
	 * character outside the alphabet and any non-zero trailing bits. */
	if (sodium_base642bin(bin, max, s, len, NULL, &got, NULL, B64URL) !=
	    0) {
		xfree(bin);
		return -1;
	}
	bin[got] = '\0';
	*out = bin;
	*out_len = got;
	return 0;
}

void
jose_half_hash(enum jose_alg alg, const char *s, char out[64])
{
	unsigned char h[crypto_hash_sha512_BYTES];
	size_t half;

	/* OIDC Core 3.1.3.6: the hash of the ID token's alg; Ed25519's is
	 * SHA-512. Anything else falls back to SHA-256, never to "". */
	if (alg == JOSE_EDDSA) {
		crypto_hash_sha512(h, (const unsigned char *)s, strlen(s));
		half = crypto_hash_sha512_BYTES / 2;
	} else {
		crypto_hash_sha256(h, (const unsigned char *)s, strlen(s));
		half = crypto_hash_sha256_BYTES / 2;
	}
	sodium_bin2base64(out, 64, h, half, B64URL);
	sodium_memzero(h, sizeof(h));
}

static bool
pkce_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

bool
jose_pkce_s256_ok(const char *verifier, const char *challenge)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char want[sodium_base64_ENCODED_LEN(crypto_hash_sha256_BYTES, B64URL)];
	size_t n, i;
	bool ok;

	if (verifier == NULL || challenge == NULL)
		return false;
	n = strlen(verifier);
	if (n < PKCE_VERIFIER_MIN || n > PKCE_VERIFIER_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!pkce_unreserved((unsigned char)verifier[i]))
			return false;
	if (strlen(challenge) != PKCE_CHALLENGE_LEN)
		return false;
	crypto_hash_sha256(h, (const unsigned char *)verifier, n);
	sodium_bin2base64(want, sizeof(want), h, sizeof(h), B64URL);
	ok = sodium_memcmp(want, challenge, PKCE_CHALLENGE_LEN) == 0;
	sodium_memzero(h, sizeof(h));
	sodium_memzero(want, sizeof(want));
	return ok;
}

enum op_rc
jose_ossl_err_at(struct op_err *e, enum op_rc code, const char *file,
		 int line, const char *func, const char *what)
{
	char detail[160];
	unsigned long ec = ERR_peek_error();

	if (ec != 0)
		ERR_error_string_n(ec, detail, sizeof(detail));
	else
		snprintf(detail, sizeof(detail), "no detail");
	ERR_clear_error();
	return op_err_set_at(e, code, file, line, func, "%s: %s", what,
			     detail);
}

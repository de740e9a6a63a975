/*
 * jws.c - compact JWS (RFC 7515): signing, parsing and verification with
 * an allow-list of RS256, ES256 and EdDSA. Parsing is strict: exactly
 * three strict base64url parts, a JSON object header with a known "alg"
 * and none of the headers that name or carry a key ("jku", "x5u", "jwk",
 * "x5c") or extensions we would have to understand ("crit").
 */
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <sodium.h>

#include "core/xmalloc.h"
#include "crypto/jose_internal.h"

#define JWS_MAX (16 * 1024)	/* the longest compact JWS we parse */
#define JWS_HEADER_MAX 1024	/* the protected header we produce */
#define SIG_MAX 1024		/* RSA 8192 */

/* Header names refused in a token we parse. */
static const char *const refused_headers[] = {
	"crit", "jku", "x5u", "jwk", "x5c",
};

static int
dump_cb(const char *p, size_t n, void *data)
{
	return buf_add(data, p, n);
}

static const EVP_MD *
alg_md(enum jose_alg alg)
{
	/* Ed25519 hashes internally: EVP wants no digest. */
	return alg == JOSE_EDDSA ? NULL : EVP_sha256();
}

/* Raw signature bytes (R || S for ES256) of tbs with k, into sig. */
static enum op_rc
sign_raw(const struct jose_key *k, const char *tbs, size_t tbs_len,
	 unsigned char *sig, size_t *sig_len, struct op_err *err)
{
	unsigned char der[SIG_MAX];
	size_t der_len = sizeof(der);
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es = NULL;
	EVP_MD_CTX *md;
	enum op_rc rc = OP_E_CRYPTO;

	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, alg_md(k->alg), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &der_len, (const unsigned char *)tbs,
			   tbs_len) != 1 ||
	    der_len > sizeof(der) ||
	    EVP_DigestSign(md, der, &der_len, (const unsigned char *)tbs,
			   tbs_len) != 1) {
		rc = jose_ossl_err(err, OP_E_CRYPTO, "signing failed");
		goto out;
	}
	if (k->alg != JOSE_ES256) {
		memcpy(sig, der, der_len);
		*sig_len = der_len;
		rc = OP_OK;
		goto out;
	}
	/* JWS wants the fixed-width R || S (RFC 7518 section 3.4), not
	 * OpenSSL's DER. */
	es = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (es == NULL) {
		rc = jose_ossl_err(err, OP_E_CRYPTO, "bad ECDSA signature");
		goto out;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, sig, JOSE_EC_COORD_BYTES) != JOSE_EC_COORD_BYTES ||
	    BN_bn2binpad(s, sig + JOSE_EC_COORD_BYTES, JOSE_EC_COORD_BYTES) !=
		    JOSE_EC_COORD_BYTES) {
		rc = jose_ossl_err(err, OP_E_CRYPTO, "bad ECDSA signature");
		goto out;
	}
	*sig_len = JOSE_ES256_SIG_BYTES;
	rc = OP_OK;
out:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(md);
	return rc;
}

/* Appends base64url of the header {"alg","kid"[,"typ"]} to out. */
static enum op_rc
header_add(const struct jose_key *k, const char *typ, struct buf *out,
	   struct op_err *err)
{
	struct buf hj;
	json_t *h;
	enum op_rc rc = OP_OK;

	h = json_pack("{s:s, s:s}", "alg", jose_alg_name(k->alg), "kid",
		      k->kid);
	if (h == NULL)
		return op_err_set(err, OP_E_INTERNAL, "json_pack");
	if (typ != NULL &&
	    json_object_set_new(h, "typ", json_string(typ)) != 0) {
		json_decref(h);
		return op_err_set(err, OP_E_INVALID, "typ is not UTF-8");
	}
	buf_init(&hj, JWS_HEADER_MAX);
	/* jansson keeps insertion order: {"alg":..,"kid":..,"typ":..}. */
	if (json_dump_callback(h, dump_cb, &hj, JSON_COMPACT) != 0)
		rc = op_err_set(err, OP_E_INVALID, "header too long");
	else if (jose_b64url_add(out, hj.data, hj.len) != 0)
		rc = op_err_set(err, OP_E_LIMIT, "token too long");
	buf_release(&hj);
	json_decref(h);
	return rc;
}

enum op_rc
jose_sign(const struct jose_key *k, const char *typ, const char *payload,
	  size_t payload_len, struct buf *out, struct op_err *err)
{
	unsigned char sig[SIG_MAX];
	size_t sig_len = 0, mark = out->len;
	enum op_rc rc;

	if (!k->has_private)
		return op_err_set(err, OP_E_INVALID, "no private key");
	rc = header_add(k, typ, out, err);
	if (rc != OP_OK)
		goto out;
	if (buf_addch(out, '.') != 0 ||
	    jose_b64url_add(out, payload, payload_len) != 0) {
		rc = op_err_set(err, OP_E_LIMIT, "token too long");
		goto out;
	}
	rc = sign_raw(k, out->data + mark, out->len - mark, sig, &sig_len,
		      err);
	if (rc != OP_OK)
		goto out;
	if (buf_addch(out, '.') != 0 ||
	    jose_b64url_add(out, sig, sig_len) != 0)
		rc = op_err_set(err, OP_E_LIMIT, "token too long");
out:
	if (rc != OP_OK && out->data != NULL) {
		/* Leave out as it was. */
		out->len = mark;
		out->data[mark] = '\0';
	}
	return rc;
}

void
jose_jws_release(struct jose_jws *j)
{
	if (j == NULL)
		return;
	xfree(j->header_json);
	xfree(j->payload);
	xfree(j->kid);
	xfree(j->signing_input);
	xfree(j->sig);
	memset(j, 0, sizeof(*j));
}

/* Checks the decoded header and fills j->alg and j->kid. */
static enum op_rc
header_check(const char *hdr, size_t len, struct jose_jws *j,
	     struct op_err *err)
{
	json_t *h, *alg, *kid;
	json_error_t jerr;
	enum op_rc rc = OP_E_INVALID;
	size_t i;

	h = json_loadb(hdr, len, JSON_REJECT_DUPLICATES, &jerr);
	if (h == NULL || !json_is_object(h)) {
		op_err_set(err, rc, "header is not a JSON object: %s",
			   h == NULL ? jerr.text : "other type");
		goto out;
	}
	alg = json_object_get(h, "alg");
	if (!json_is_string(alg) ||
	    jose_alg_from_name(json_string_value(alg)) == JOSE_ALG_NONE) {
		op_err_set(err, rc, "missing or refused alg");
		goto out;
	}
	for (i = 0; i < sizeof(refused_headers) / sizeof(*refused_headers);
	     i++) {
		if (json_object_get(h, refused_headers[i]) != NULL) {
			op_err_set(err, rc, "refused header '%s'",
				   refused_headers[i]);
			goto out;
		}
	}
	kid = json_object_get(h, "kid");
	if (kid != NULL && !json_is_string(kid)) {
		op_err_set(err, rc, "kid is not a string");
		goto out;
	}
	j->alg = jose_alg_from_name(json_string_value(alg));
	if (kid != NULL)
		j->kid = xstrdup(json_string_value(kid));
	rc = OP_OK;
out:
	json_decref(h);
	return rc;
}

enum op_rc
jose_jws_parse(const char *compact, size_t len, struct jose_jws *out,
	       struct op_err *err)
{
	const char *end, *d1, *d2;
	unsigned char *hdr = NULL, *payload = NULL;
	size_t hdr_len = 0;
	enum op_rc rc = OP_E_INVALID;

	memset(out, 0, sizeof(*out));
	if (compact == NULL || len == 0)
		return op_err_set(err, rc, "empty token");
	if (len > JWS_MAX)
		return op_err_set(err, rc, "token longer than %d bytes",
				  JWS_MAX);
	end = compact + len;
	d1 = memchr(compact, '.', len);
	d2 = d1 != NULL ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
	if (d2 == NULL || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) != NULL)
		return op_err_set(err, rc, "not three parts");
	if (d1 == compact || d2 + 1 == end)
		return op_err_set(err, rc, "empty header or signature");
	if (jose_b64url_decode(compact, (size_t)(d1 - compact), &hdr,
			       &hdr_len) != 0 ||
	    jose_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload,
			       &out->payload_len) != 0 ||
	    jose_b64url_decode(d2 + 1, (size_t)(end - d2 - 1), &out->sig,
			       &out->sig_len) != 0) {
		op_err_set(err, rc, "part is not base64url");
		goto out;
	}
	out->payload = (char *)payload;
	payload = NULL;
	rc = header_check((const char *)hdr, hdr_len, out, err);
	if (rc != OP_OK)
		goto out;
	out->header_json = (char *)hdr;
	hdr = NULL;
	out->signing_input = xstrndup(compact, (size_t)(d2 - compact));
out:
	xfree(hdr);
	xfree(payload);
	if (rc != OP_OK)
		jose_jws_release(out);
	return rc;
}

/* R || S back to the DER that EVP verifies; a new buffer (caller frees
 * with OPENSSL_free()), or NULL. */
static unsigned char *
es256_der(const unsigned char *raw, int *der_len)
{
	unsigned char *der = NULL;
	BIGNUM *r, *s;
	ECDSA_SIG *es;

	r = BN_bin2bn(raw, JOSE_EC_COORD_BYTES, NULL);
	s = BN_bin2bn(raw + JOSE_EC_COORD_BYTES, JOSE_EC_COORD_BYTES, NULL);
	es = ECDSA_SIG_new();
	if (r == NULL || s == NULL || es == NULL ||
	    ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	*der_len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);	/* frees r and s */
	if (*der_len <= 0) {
		OPENSSL_free(der);
		return NULL;
	}
	return der;
}

enum op_rc
jose_jws_verify(const struct jose_jws *j, const struct jose_key *k)
{
	const unsigned char *sig;
	unsigned char *der = NULL;
	size_t sig_len;
	EVP_MD_CTX *md = NULL;
	enum op_rc rc = OP_E_DENIED;
	int der_len = 0;

	if (j == NULL || k == NULL || j->alg == JOSE_ALG_NONE ||
	    j->alg != k->alg || j->signing_input == NULL || j->sig == NULL)
		return OP_E_DENIED;
	sig = j->sig;
	sig_len = j->sig_len;
	switch (k->alg) {
	case JOSE_RS256:
		if (sig_len != (size_t)EVP_PKEY_get_size(k->pkey))
			return OP_E_DENIED;
		break;
	case JOSE_ES256:
		if (sig_len != JOSE_ES256_SIG_BYTES)
			return OP_E_DENIED;
		der = es256_der(sig, &der_len);
		if (der == NULL)
			goto out;
		sig = der;
		sig_len = (size_t)der_len;
		break;
	case JOSE_EDDSA:
		if (sig_len != 64)
			return OP_E_DENIED;
		break;
	case JOSE_ALG_NONE:
		return OP_E_DENIED;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestVerifyInit(md, NULL, alg_md(k->alg), NULL, k->pkey) != 1)
		goto out;
	if (EVP_DigestVerify(md, sig, sig_len,
			     (const unsigned char *)j->signing_input,
			     strlen(j->signing_input)) == 1)
		rc = OP_OK;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return rc;
}

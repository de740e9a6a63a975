/*
 * jwk.c - signing keys on OpenSSL 3's EVP: generation, the RFC 7638
 * thumbprint that serves as kid, public JWK export and import, and the
 * private key's storage form.
 *
 * Storage form: PKCS#8 PEM. With a master key it is sealed as
 * "sealed:" + standard base64 with padding (RFC 4648 section 4, libsodium's
 * ORIGINAL variant) of nonce (24 bytes) || crypto_secretbox_easy(PEM). When
 * a master key is configured an unsealed PEM is refused on import: the
 * box authenticates the key as well as hiding it, and accepting plain
 * text would let whoever can write the store plant a key of their own.
 */
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "core/xmalloc.h"
#include "crypto/jose_internal.h"

#define SEALED_PREFIX "sealed:"
#define SEALED_B64 sodium_base64_VARIANT_ORIGINAL
#define PEM_MAX (16 * 1024)	/* far above an 8192-bit RSA PKCS#8 PEM */
#define MEMBER_MAX 2048		/* base64url of one JWK member */
#define JWK_JSON_MAX (16 * 1024)

/* The public members of a key, base64url: n and e, x and y, or x. */
struct jwk_members {
	const char *kty;
	const char *crv;	/* NULL for RSA */
	struct buf a;		/* n or x */
	struct buf b;		/* e or y; empty for OKP */
};

static void
jwk_members_release(struct jwk_members *m)
{
	buf_release(&m->a);
	buf_release(&m->b);
}

/* Appends the big-endian unsigned bytes of bn, width bytes left-padded
 * when width > 0, else without leading zeros. */
static int
bn_b64url_add(struct buf *out, const BIGNUM *bn, int width)
{
	unsigned char *bin;
	int n = width > 0 ? width : BN_num_bytes(bn), rc = -1;

	if (n <= 0 || n > MEMBER_MAX)
		return -1;
	bin = xmalloc((size_t)n);
	if (width > 0) {
		if (BN_bn2binpad(bn, bin, width) != width)
			goto out;
	} else if (BN_bn2bin(bn, bin) != n) {
		goto out;
	}
	rc = jose_b64url_add(out, bin, (size_t)n);
out:
	xfree(bin);
	return rc;
}

static int
param_b64url_add(const EVP_PKEY *pkey, const char *name, struct buf *out,
		 int width)
{
	BIGNUM *bn = NULL;
	int rc;

	if (EVP_PKEY_get_bn_param(pkey, name, &bn) != 1)
		return -1;
	rc = bn_b64url_add(out, bn, width);
	BN_free(bn);
	return rc;
}

static enum op_rc
jwk_members_get(const struct jose_key *k, struct jwk_members *m,
		struct op_err *err)
{
	unsigned char raw[JOSE_ED25519_BYTES];
	size_t raw_len = sizeof(raw);
	int rc = -1;

	m->crv = NULL;
	buf_init(&m->a, MEMBER_MAX);
	buf_init(&m->b, MEMBER_MAX);
	switch (k->alg) {
	case JOSE_RS256:
		m->kty = "RSA";
		if (param_b64url_add(k->pkey, OSSL_PKEY_PARAM_RSA_N, &m->a,
				     0) == 0)
			rc = param_b64url_add(k->pkey, OSSL_PKEY_PARAM_RSA_E,
					      &m->b, 0);
		break;
	case JOSE_ES256:
		m->kty = "EC";
		m->crv = "P-256";
		if (param_b64url_add(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &m->a,
				     JOSE_EC_COORD_BYTES) == 0)
			rc = param_b64url_add(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y,
					      &m->b, JOSE_EC_COORD_BYTES);
		break;
	case JOSE_EDDSA:
		m->kty = "OKP";
		m->crv = "Ed25519";
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &raw_len) == 1 &&
		    raw_len == sizeof(raw))
			rc = jose_b64url_add(&m->a, raw, raw_len);
		break;
	case JOSE_ALG_NONE:
		break;
	}
	if (rc != 0) {
		jwk_members_release(m);
		return jose_ossl_err(err, OP_E_CRYPTO,
				     "cannot read the public key");
	}
	return OP_OK;
}

/* RFC 7638: SHA-256 over the required members in lexicographic order,
 * no whitespace. Every value is base64url or a constant: no escaping. */
static enum op_rc
key_thumbprint(struct jose_key *k, struct op_err *err)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	struct jwk_members m;
	struct buf canon;
	enum op_rc rc;
	int w;

	rc = jwk_members_get(k, &m, err);
	if (rc != OP_OK)
		return rc;
	buf_init(&canon, 3 * MEMBER_MAX);
	if (k->alg == JOSE_RS256)
		w = buf_addf(&canon,
			     "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}",
			     buf_str(&m.b), buf_str(&m.a));
	else if (k->alg == JOSE_ES256)
		w = buf_addf(&canon,
			     "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\","
			     "\"y\":\"%s\"}",
			     buf_str(&m.a), buf_str(&m.b));
	else
		w = buf_addf(&canon,
			     "{\"crv\":\"Ed25519\",\"kty\":\"OKP\","
			     "\"x\":\"%s\"}",
			     buf_str(&m.a));
	jwk_members_release(&m);
	if (w != 0) {
		buf_release(&canon);
		return op_err_set(err, OP_E_INTERNAL, "thumbprint too long");
	}
	crypto_hash_sha256(h, (const unsigned char *)canon.data, canon.len);
	buf_release(&canon);
	sodium_bin2base64(k->kid, sizeof(k->kid), h, sizeof(h),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return OP_OK;
}

enum op_rc
jose_key_wrap(EVP_PKEY *pkey, enum jose_alg alg, bool has_private,
	      struct jose_key **out, struct op_err *err)
{
	struct jose_key *k;
	enum op_rc rc;

	*out = NULL;
	k = xcalloc(1, sizeof(*k));
	k->alg = alg;
	k->pkey = pkey;
	k->has_private = has_private;
	rc = key_thumbprint(k, err);
	if (rc != OP_OK) {
		jose_key_free(k);
		return rc;
	}
	*out = k;
	return OP_OK;
}

enum op_rc
jose_key_generate(enum jose_alg alg, struct jose_key **out,
		  struct op_err *err)
{
	EVP_PKEY *pkey = NULL;

	*out = NULL;
	switch (alg) {
	case JOSE_RS256:
		pkey = EVP_RSA_gen(JOSE_RSA_GEN_BITS);
		break;
	case JOSE_ES256:
		pkey = EVP_EC_gen("P-256");
		break;
	case JOSE_EDDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	case JOSE_ALG_NONE:
		return op_err_set(err, OP_E_INVALID, "no algorithm");
	}
	if (pkey == NULL)
		return jose_ossl_err(err, OP_E_CRYPTO, "key generation failed");
	return jose_key_wrap(pkey, alg, true, out, err);
}

void
jose_key_free(struct jose_key *k)
{
	if (k == NULL)
		return;
	EVP_PKEY_free(k->pkey);
	xfreezero(k, sizeof(*k));
}

enum jose_alg
jose_key_alg(const struct jose_key *k)
{
	return k->alg;
}

const char *
jose_key_kid(const struct jose_key *k)
{
	return k->kid;
}

enum op_rc
jose_key_public_jwk(const struct jose_key *k, struct buf *out)
{
	struct jwk_members m;
	size_t mark = out->len;
	int w;

	if (jwk_members_get(k, &m, NULL) != OP_OK)
		return OP_E_CRYPTO;
	w = buf_addf(out, "{\"kty\":\"%s\",\"kid\":\"%s\",\"use\":\"sig\","
			  "\"alg\":\"%s\",",
		     m.kty, k->kid, jose_alg_name(k->alg));
	if (w == 0 && k->alg == JOSE_RS256)
		w = buf_addf(out, "\"n\":\"%s\",\"e\":\"%s\"}", buf_str(&m.a),
			     buf_str(&m.b));
	else if (w == 0 && k->alg == JOSE_ES256)
		w = buf_addf(out, "\"crv\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
			     m.crv, buf_str(&m.a), buf_str(&m.b));
	else if (w == 0)
		w = buf_addf(out, "\"crv\":\"%s\",\"x\":\"%s\"}", m.crv,
			     buf_str(&m.a));
	jwk_members_release(&m);
	if (w != 0) {
		/* Leave out as it was. */
		out->len = mark;
		if (out->data != NULL)
			out->data[mark] = '\0';
		return OP_E_LIMIT;
	}
	return OP_OK;
}

/* --- Private key storage --- */

/* Refuses to prompt for a passphrase: stored keys are never encrypted
 * by OpenSSL (sealing is ours). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* OP_OK when pkey is the kind of key alg signs with. */
static enum op_rc
pkey_fits_alg(EVP_PKEY *pkey, enum jose_alg alg, struct op_err *err)
{
	char group[64];
	int bits;

	switch (alg) {
	case JOSE_RS256:
		if (!EVP_PKEY_is_a(pkey, "RSA"))
			break;
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < JOSE_RSA_MIN_BITS || bits > JOSE_RSA_MAX_BITS)
			return op_err_set(err, OP_E_INVALID,
					  "RSA key of %d bits (%d to %d)", bits,
					  JOSE_RSA_MIN_BITS, JOSE_RSA_MAX_BITS);
		return OP_OK;
	case JOSE_ES256:
		if (!EVP_PKEY_is_a(pkey, "EC") ||
		    EVP_PKEY_get_group_name(pkey, group, sizeof(group),
					    NULL) != 1) {
			ERR_clear_error();
			break;
		}
		if (strcmp(group, "prime256v1") != 0)
			return op_err_set(err, OP_E_INVALID,
					  "EC key on '%s', not P-256", group);
		return OP_OK;
	case JOSE_EDDSA:
		if (EVP_PKEY_is_a(pkey, "ED25519"))
			return OP_OK;
		break;
	case JOSE_ALG_NONE:
		return op_err_set(err, OP_E_INVALID, "no algorithm");
	}
	return op_err_set(err, OP_E_INVALID, "the key is not an %s key",
			  jose_alg_name(alg));
}

/* The PEM text of k's private key as a new, secret string; caller frees
 * with xfreestr_secret(). */
static enum op_rc
private_pem(const struct jose_key *k, char **out, struct op_err *err)
{
	BIO *bio;
	char *data;
	long n;

	*out = NULL;
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL) {
		jose_ossl_err(err, OP_E_CRYPTO, "BIO_new");
		return OP_E_CRYPTO;
	}
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
				     NULL) != 1) {
		BIO_free(bio);
		jose_ossl_err(err, OP_E_CRYPTO, "cannot write PEM");
		return OP_E_CRYPTO;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || n > PEM_MAX) {
		BIO_free(bio);
		op_err_set(err, OP_E_CRYPTO, "PEM of %ld bytes", n);
		return OP_E_CRYPTO;
	}
	*out = xstrndup(data, (size_t)n);
	BIO_free(bio);		/* a mem BIO wipes its buffer when freed */
	return OP_OK;
}

enum op_rc
jose_key_export_private(const struct jose_key *k,
			const unsigned char *master_key, char **out,
			struct op_err *err)
{
	unsigned char *box = NULL;
	size_t pem_len, box_len, b64_len;
	char *pem = NULL;
	enum op_rc rc;

	*out = NULL;
	if (!k->has_private)
		return op_err_set(err, OP_E_INVALID, "no private key");
	rc = private_pem(k, &pem, err);
	if (rc != OP_OK)
		return rc;
	if (master_key == NULL) {
		*out = pem;
		return OP_OK;
	}
	pem_len = strlen(pem);
	box_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES +
		  pem_len;
	box = xmalloc(box_len);
	randombytes_buf(box, crypto_secretbox_NONCEBYTES);
	crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
			      (const unsigned char *)pem, pem_len, box,
			      master_key);
	b64_len = sodium_base64_ENCODED_LEN(box_len, SEALED_B64);
	*out = xmalloc(sizeof(SEALED_PREFIX) - 1 + b64_len);
	memcpy(*out, SEALED_PREFIX, sizeof(SEALED_PREFIX) - 1);
	sodium_bin2base64(*out + sizeof(SEALED_PREFIX) - 1, b64_len, box,
			  box_len, SEALED_B64);
	xfree(box);
	xfreestr_secret(pem);
	return OP_OK;
}

/* Opens a sealed text into a new PEM string (caller frees with
 * xfreestr_secret()). */
static enum op_rc
unseal(const char *b64, const unsigned char *master_key, char **out,
       struct op_err *err)
{
	size_t b64_len = strlen(b64), box_len = 0, max, pem_len;
	unsigned char *box;
	char *pem;

	*out = NULL;
	if (master_key == NULL) {
		op_err_set(err, OP_E_CRYPTO,
			   "the key is sealed and no master key is set");
		return OP_E_CRYPTO;
	}
	if (b64_len > 4 * PEM_MAX) {
		op_err_set(err, OP_E_CRYPTO, "sealed key too long");
		return OP_E_CRYPTO;
	}
	max = b64_len / 4 * 3 + 3;
	box = xmalloc(max);
	if (sodium_base642bin(box, max, b64, b64_len, NULL, &box_len, NULL,
			      SEALED_B64) != 0 ||
	    box_len <= crypto_secretbox_NONCEBYTES +
			       crypto_secretbox_MACBYTES) {
		xfree(box);
		op_err_set(err, OP_E_CRYPTO, "malformed sealed key");
		return OP_E_CRYPTO;
	}
	pem_len = box_len - crypto_secretbox_NONCEBYTES -
		  crypto_secretbox_MACBYTES;
	pem = xmalloc(pem_len + 1);
	if (crypto_secretbox_open_easy((unsigned char *)pem,
				       box + crypto_secretbox_NONCEBYTES,
				       box_len - crypto_secretbox_NONCEBYTES,
				       box, master_key) != 0) {
		xfree(box);
		xfreezero(pem, pem_len + 1);
		op_err_set(err, OP_E_CRYPTO,
			   "cannot open the sealed key (wrong master key?)");
		return OP_E_CRYPTO;
	}
	xfree(box);
	pem[pem_len] = '\0';
	if (strlen(pem) != pem_len) {
		xfreezero(pem, pem_len + 1);
		op_err_set(err, OP_E_CRYPTO, "NUL in the sealed key");
		return OP_E_CRYPTO;
	}
	*out = pem;
	return OP_OK;
}

enum op_rc
jose_key_import_private(const char *text, enum jose_alg alg,
			const unsigned char *master_key, struct jose_key **out,
			struct op_err *err)
{
	size_t plen = sizeof(SEALED_PREFIX) - 1;
	EVP_PKEY *pkey = NULL;
	char *pem = NULL;
	enum op_rc rc;
	BIO *bio;

	*out = NULL;
	if (jose_alg_name(alg) == NULL)
		return op_err_set(err, OP_E_INVALID, "no algorithm");
	if (strncmp(text, SEALED_PREFIX, plen) == 0) {
		rc = unseal(text + plen, master_key, &pem, err);
		if (rc != OP_OK)
			return rc;
	} else if (master_key != NULL) {
		return op_err_set(err, OP_E_CRYPTO,
				  "a master key is set but the key is not "
				  "sealed");
	} else if (strlen(text) > PEM_MAX) {
		return op_err_set(err, OP_E_INVALID, "PEM too long");
	} else {
		pem = xstrdup(text);
	}
	bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	if (bio != NULL)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	xfreestr_secret(pem);
	if (pkey == NULL)
		return jose_ossl_err(err, OP_E_INVALID,
				     "not a PEM private key");
	rc = pkey_fits_alg(pkey, alg, err);
	if (rc != OP_OK) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	return jose_key_wrap(pkey, alg, true, out, err);
}

/* --- Public JWK import --- */

/* The string member name of o, or NULL when absent; -1 in *bad when it
 * is present but not a string. */
static const char *
member_str(json_t *o, const char *name, int *bad)
{
	json_t *v = json_object_get(o, name);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = -1;
		return NULL;
	}
	return json_string_value(v);
}

/* Decodes the base64url member name of o; exact_len > 0 demands that
 * many bytes. */
static enum op_rc
member_bytes(json_t *o, const char *name, size_t exact_len,
	     unsigned char **out, size_t *out_len, struct op_err *err)
{
	const char *s;
	int bad = 0;

	*out = NULL;
	s = member_str(o, name, &bad);
	if (s == NULL) {
		op_err_set(err, OP_E_INVALID, "JWK without '%s'", name);
		return OP_E_INVALID;
	}
	if (jose_b64url_decode(s, strlen(s), out, out_len) != 0) {
		op_err_set(err, OP_E_INVALID, "JWK '%s' not base64url", name);
		return OP_E_INVALID;
	}
	if (*out_len == 0 || (exact_len > 0 && *out_len != exact_len)) {
		xfree(*out);
		*out = NULL;
		op_err_set(err, OP_E_INVALID, "JWK '%s' of %zu bytes", name,
			   *out_len);
		return OP_E_INVALID;
	}
	return OP_OK;
}

/* Builds a public key of type name from params. */
static EVP_PKEY *
pkey_from_params(const char *name, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY *pkey = NULL;

	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL);
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static enum op_rc
jwk_rsa(json_t *o, EVP_PKEY **out, struct op_err *err)
{
	unsigned char *n = NULL, *e = NULL;
	BIGNUM *bn_n = NULL, *bn_e = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	size_t n_len, e_len;
	enum op_rc rc;
	int bits;

	rc = member_bytes(o, "n", 0, &n, &n_len, err);
	if (rc == OP_OK)
		rc = member_bytes(o, "e", 0, &e, &e_len, err);
	if (rc != OP_OK)
		goto out;
	rc = OP_E_INVALID;
	if (n_len > JOSE_RSA_MAX_BITS / 8 + 1 || e_len > 8)
		goto bad;
	bn_n = BN_bin2bn(n, (int)n_len, NULL);
	bn_e = BN_bin2bn(e, (int)e_len, NULL);
	if (bn_n == NULL || bn_e == NULL)
		goto bad;
	bits = BN_num_bits(bn_n);
	if (bits < JOSE_RSA_MIN_BITS || bits > JOSE_RSA_MAX_BITS) {
		op_err_set(err, OP_E_INVALID, "RSA key of %d bits (%d to %d)",
			   bits, JOSE_RSA_MIN_BITS, JOSE_RSA_MAX_BITS);
		goto out;
	}
	if (!BN_is_odd(bn_n) || !BN_is_odd(bn_e) || BN_is_one(bn_e))
		goto bad;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e) != 1)
		goto bad;
	*out = pkey_from_params("RSA", bld);
	if (*out == NULL)
		goto bad;
	rc = OP_OK;
	goto out;
bad:
	jose_ossl_err(err, OP_E_INVALID, "bad RSA key");
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn_n);
	BN_free(bn_e);
	xfree(n);
	xfree(e);
	return rc;
}

static enum op_rc
jwk_ec(json_t *o, EVP_PKEY **out, struct op_err *err)
{
	unsigned char pub[1 + 2 * JOSE_EC_COORD_BYTES];
	unsigned char *x = NULL, *y = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t x_len, y_len;
	enum op_rc rc;

	rc = member_bytes(o, "x", JOSE_EC_COORD_BYTES, &x, &x_len, err);
	if (rc == OP_OK)
		rc = member_bytes(o, "y", JOSE_EC_COORD_BYTES, &y, &y_len,
				  err);
	if (rc != OP_OK)
		goto out;
	pub[0] = 0x04;		/* uncompressed point (SEC 1, 2.3.3) */
	memcpy(pub + 1, x, JOSE_EC_COORD_BYTES);
	memcpy(pub + 1 + JOSE_EC_COORD_BYTES, y, JOSE_EC_COORD_BYTES);
	rc = OP_E_INVALID;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					    "P-256", 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub,
					     sizeof(pub)) != 1)
		goto bad;
	*out = pkey_from_params("EC", bld);
	if (*out == NULL)
		goto bad;
	/* The point must lie on the curve and not be the identity. */
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
	if (ctx == NULL || EVP_PKEY_public_check(ctx) != 1) {
		EVP_PKEY_free(*out);
		*out = NULL;
		goto bad;
	}
	rc = OP_OK;
	goto out;
bad:
	jose_ossl_err(err, OP_E_INVALID, "bad EC key");
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	xfree(x);
	xfree(y);
	return rc;
}

static enum op_rc
jwk_okp(json_t *o, EVP_PKEY **out, struct op_err *err)
{
	unsigned char *x = NULL;
	size_t x_len;
	enum op_rc rc;

	rc = member_bytes(o, "x", JOSE_ED25519_BYTES, &x, &x_len, err);
	if (rc != OP_OK)
		return rc;
	*out = EVP_PKEY_new_raw_public_key_ex(NULL, "ED25519", NULL, x, x_len);
	xfree(x);
	if (*out == NULL)
		return jose_ossl_err(err, OP_E_INVALID, "bad Ed25519 key");
	return OP_OK;
}

/* The algorithm of a JWK from kty and crv, checked against "alg" and
 * "use" when present. */
static enum op_rc
jwk_alg(json_t *o, enum jose_alg *alg, struct op_err *err)
{
	const char *kty, *crv, *alg_s, *use;
	int bad = 0;

	*alg = JOSE_ALG_NONE;
	kty = member_str(o, "kty", &bad);
	crv = member_str(o, "crv", &bad);
	alg_s = member_str(o, "alg", &bad);
	use = member_str(o, "use", &bad);
	if (bad != 0 || kty == NULL)
		return op_err_set(err, OP_E_INVALID, "JWK without a kty");
	if (strcmp(kty, "RSA") == 0)
		*alg = JOSE_RS256;
	else if (strcmp(kty, "EC") == 0 && crv != NULL &&
		 strcmp(crv, "P-256") == 0)
		*alg = JOSE_ES256;
	else if (strcmp(kty, "OKP") == 0 && crv != NULL &&
		 strcmp(crv, "Ed25519") == 0)
		*alg = JOSE_EDDSA;
	else
		return op_err_set(err, OP_E_INVALID,
				  "JWK of kty '%s' crv '%s' not supported", kty,
				  crv != NULL ? crv : "");
	/* A key published for another algorithm is not used for ours. */
	if (alg_s != NULL && jose_alg_from_name(alg_s) != *alg)
		return op_err_set(err, OP_E_INVALID,
				  "JWK alg '%s' does not fit kty '%s'", alg_s,
				  kty);
	if (use != NULL && strcmp(use, "sig") != 0)
		return op_err_set(err, OP_E_INVALID, "JWK use '%s'", use);
	return OP_OK;
}

enum op_rc
jose_key_import_jwk(const char *json, struct jose_key **out,
		    struct op_err *err)
{
	EVP_PKEY *pkey = NULL;
	enum jose_alg alg;
	json_error_t jerr;
	enum op_rc rc;
	json_t *o;

	*out = NULL;
	if (strlen(json) > JWK_JSON_MAX)
		return op_err_set(err, OP_E_INVALID, "JWK too long");
	o = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		json_decref(o);
		return op_err_set(err, OP_E_INVALID,
				  "JWK is not a JSON object");
	}
	/* Private members ("d", "p", ...) are ignored: only the public part
	 * is ever imported from a JWK. */
	rc = jwk_alg(o, &alg, err);
	if (rc == OP_OK && alg == JOSE_RS256)
		rc = jwk_rsa(o, &pkey, err);
	else if (rc == OP_OK && alg == JOSE_ES256)
		rc = jwk_ec(o, &pkey, err);
	else if (rc == OP_OK)
		rc = jwk_okp(o, &pkey, err);
	json_decref(o);
	if (rc != OP_OK)
		return rc;
	return jose_key_wrap(pkey, alg, false, out, err);
}

/*
 * Unit tests of crypto/jose.c, jwk.c and jws.c: for RS256, ES256 and
 * EdDSA the sign/parse/verify cycle, tampering, key confusion, private
 * key storage (plain and sealed) and public JWKs; tokens and keys made by
 * node's crypto; strict parsing; the RFC 7638 thumbprint, RFC 7636 PKCE
 * and OIDC Core at_hash vectors.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "crypto/jose.h"
#include "support/tap.h"

#define TOK_MAX (64 * 1024)

static const char payload[] = "{\"iss\":\"https://id.example\",\"sub\":\"a\"}";

/* RFC 7638 section 3.1 (the RSA key of RFC 7517 appendix A.1). */
static const char rfc7638_jwk[] =
	"{\"kty\":\"RSA\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM"
	"78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhM"
	"stn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2Qvzq"
	"Y368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyr"
	"dkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFC"
	"ur-kEgU8awapJzKnqDKgw\",\"e\":\"AQAB\",\"alg\":\"RS256\","
	"\"kid\":\"2011-04-29\"}";
static const char rfc7638_n[] =
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK"
	"7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yB"
	"XArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb"
	"9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f"
	"M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

/*
 * Keys and tokens made with node's crypto (generateKeyPairSync, export
 * as JWK, crypto.sign; ES256 with dsaEncoding "ieee-p1363"). The kids are
 * RFC 7638 thumbprints computed in node from the same members.
 */
static const struct {
	enum jose_alg alg;
	const char *jwk;
	const char *token;
	const char *thumbprint;
} node_vectors[] = {
	{ JOSE_RS256,
	  "{\"kty\":\"RSA\",\"n\":\"lO1tu3nXZMsJtOthWKm_LhEScHQQKCTuMoA-XlJ_xS"
	  "Nk762RlPyy0LKnslzv0gyXe8_ymmQPHZaMHPNmmcZf2LnSlzfx6REqE30P4qNPRvSqz"
	  "Y6-u9TpQvgJXRxGIHnTNyO4_b_b21DCEI2CP1yYCJayB8ibsFnhR0O-K_xfOgzSlhe2"
	  "VKATkiIOOI3bLugX14TOwAmQm1PlBbYo1fpvg7XwpeYwFImKOjFKjO6FcDFTfBCopWd"
	  "NoBuEibsv26TJ_ZLzNMxo2nq5PRiENdvCwaYQTvext9TTZOZa-epl-_sNLbGI7t3Sab"
	  "sOihjtSce9sTgdMA6AD7rTluov82Pe6w\",\"e\":\"AQAB\"}",
	  "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im5vZGUtMSJ9.eyJpc3MiOi"
	  "JodHRwczovL25vZGUuZXhhbXBsZSIsInN1YiI6Im4xIn0.PVWIKnL6jaK2MZPbASsbc"
	  "Qmps2cGNvTQQgD9Tj7eyi6cqVWAlLcPHkcRSsCljhU4sv5LaeqZ44aiDmWixtW6Z-bZ"
	  "5racEH5pAW6D7DYa7Ibt0hxM9B3ajxjveCnLYW0MJC4PtibzhA6d8b3gcTdBC9bfg9K"
	  "aA-LC5AFsEvjP5okjrT0GSUvXprpIzF7TtdK0JlkByhzx9b9B9hTJRFx0VBpmEBLiWH"
	  "F57kiG36MRS1R_aBdltbhYRlLoMVrSepIT_xBBMp9LyQ9tANGPbnDjLByzj5NMoVRDJ"
	  "deyJ58hCPnNSpJ5vbeZrjblBz-yMPmXNgERiUsUGnKSejtav0007A",
	  "A_Q2TfZ9z9L6-036A38OEcim4Ry366_d8f2KbIwExpc" },
	{ JOSE_ES256,
	  "{\"kty\":\"EC\",\"x\":\"3r9NYWaTOxJgB9qRfsDpOboIpiNlrg9gy1mNKB7Pm-A"
	  "\",\"y\":\"3MjpldOGhi_fIuYp007xUEV5ZK8XS7Bnu7tRJy4qKB4\","
	  "\"crv\":\"P-256\"}",
	  "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6Im5vZGUtMSJ9.eyJpc3MiOi"
	  "JodHRwczovL25vZGUuZXhhbXBsZSIsInN1YiI6Im4xIn0.QJZ6e6FYi0Ix7uzLTzZYH"
	  "c9BqizqR3Pihy1G4sYhkCeQ8zMixP1FvZkVAwF4qKfw-lm8tsHn3cFIx6BDvVdptg",
	  "Rypx4sxo0dfix3a6HDL-yI0-Yj26ryED4y2cce5Srzk" },
	{ JOSE_EDDSA,
	  "{\"crv\":\"Ed25519\",\"x\":\"jyWmSQbMFBuJn8NqSrZOSHL4zQ2mcrp8Rki7xu"
	  "oiQ3g\",\"kty\":\"OKP\"}",
	  "eyJhbGciOiJFZERTQSIsInR5cCI6IkpXVCIsImtpZCI6Im5vZGUtMSJ9.eyJpc3MiOi"
	  "JodHRwczovL25vZGUuZXhhbXBsZSIsInN1YiI6Im4xIn0.ontuxLjyY97WNE6CSueso"
	  "A3SJiA2ZLJ3Yry0O-ymK0bMdLSg4ERkwVqX6CYvOtmzg2g9SIGnE0lPa6ujzoGWAg",
	  "0c3aOzYNDc4RoN2SnGHiJqHScbESusAJLf7-U_NKIWs" },
};

/* The members of node's EC and Ed25519 keys above. */
#define EC_X "3r9NYWaTOxJgB9qRfsDpOboIpiNlrg9gy1mNKB7Pm-A"
#define EC_Y "3MjpldOGhi_fIuYp007xUEV5ZK8XS7Bnu7tRJy4qKB4"
#define ED_X "jyWmSQbMFBuJn8NqSrZOSHL4zQ2mcrp8Rki7xuoiQ3g"

static const enum jose_alg algs[] = { JOSE_RS256, JOSE_ES256, JOSE_EDDSA };

/* base64url of s as a new string; caller frees with xfree(). */
static char *
b64(const void *p, size_t len)
{
	struct buf b;

	buf_init(&b, TOK_MAX);
	if (jose_b64url_add(&b, p, len) != 0)
		return xstrdup("");
	return buf_detach(&b, NULL);
}

/* "b64(hdr).b64(pl).sig_b64" as a new string; caller frees with xfree(). */
static char *
forge(const char *hdr, const char *pl, const char *sig_b64)
{
	char *h = b64(hdr, strlen(hdr)), *p = b64(pl, strlen(pl)), *t;

	t = xasprintf("%s.%s.%s", h, p, sig_b64);
	xfree(h);
	xfree(p);
	return t;
}

/* Parses tok and verifies it with k: the parse error, or verify's. */
static enum op_rc
check(const char *tok, const struct jose_key *k)
{
	struct jose_jws j;
	enum op_rc rc;

	rc = jose_jws_parse(tok, strlen(tok), &j, NULL);
	if (rc != OP_OK)
		return rc;
	rc = jose_jws_verify(&j, k);
	jose_jws_release(&j);
	return rc;
}

static enum op_rc
parse_only(const char *tok)
{
	struct jose_jws j;
	enum op_rc rc;

	rc = jose_jws_parse(tok, strlen(tok), &j, NULL);
	jose_jws_release(&j);
	return rc;
}

static enum jose_alg
other_alg(enum jose_alg alg)
{
	return alg == JOSE_RS256 ? JOSE_ES256 : JOSE_RS256;
}

static size_t
sig_bytes(enum jose_alg alg)
{
	return alg == JOSE_RS256 ? 256 : 64;
}

static void
test_sign_parse(enum jose_alg alg, const struct jose_key *k,
		const struct jose_key *k2, const struct jose_key *k_other)
{
	const char *name = jose_alg_name(alg);
	char *hdr, *tok, *want, *sig_part, *bad;
	unsigned char *sig;
	struct jose_jws j;
	struct buf b;

	buf_init(&b, TOK_MAX);
	is_int(jose_sign(k, "JWT", payload, strlen(payload), &b, NULL), OP_OK,
	       "%s: sign", name);
	tok = buf_detach(&b, NULL);
	is_int(jose_jws_parse(tok, strlen(tok), &j, NULL), OP_OK,
	       "%s: parse", name);
	is_int(j.alg, alg, "%s: alg from the header", name);
	is_str(j.kid, jose_key_kid(k), "%s: kid from the header", name);
	want = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			 name, jose_key_kid(k));
	is_str(j.header_json, want, "%s: header exactly as specified", name);
	xfree(want);
	ok(j.payload_len == strlen(payload) &&
		   memcmp(j.payload, payload, j.payload_len) == 0,
	   "%s: payload round trip", name);
	is_int(j.sig_len, sig_bytes(alg), "%s: raw signature length", name);
	ok(strncmp(tok, j.signing_input, strlen(j.signing_input)) == 0 &&
		   tok[strlen(j.signing_input)] == '.',
	   "%s: signing input is the first two parts", name);
	is_int(jose_jws_verify(&j, k), OP_OK, "%s: verifies", name);
	is_int(jose_jws_verify(&j, k2), OP_E_DENIED,
	       "%s: another key of the same alg denied", name);
	is_int(jose_jws_verify(&j, k_other), OP_E_DENIED,
	       "%s: a key of another alg denied", name);
	/* A valid signature under a header alg other than the key's. */
	j.alg = other_alg(alg);
	is_int(jose_jws_verify(&j, k), OP_E_DENIED,
	       "%s: valid signature, header alg not the key's: denied", name);
	j.alg = JOSE_ALG_NONE;
	is_int(jose_jws_verify(&j, k), OP_E_DENIED, "%s: alg none denied",
	       name);
	j.alg = alg;

	/* Tampering, each part in turn, keeping the rest intact. */
	sig_part = strrchr(tok, '.') + 1;
	hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			name, jose_key_kid(k));
	bad = forge(hdr, "{\"iss\":\"https://id.example\",\"sub\":\"b\"}",
		    sig_part);
	is_int(check(bad, k), OP_E_DENIED, "%s: tampered payload denied",
	       name);
	xfree(bad);
	bad = forge(hdr, payload, sig_part);
	is_int(check(bad, k), OP_OK, "%s: re-encoded original verifies", name);
	xfree(bad);
	xfree(hdr);
	hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"at+jwt\"}",
			name, jose_key_kid(k));
	bad = forge(hdr, payload, sig_part);
	is_int(check(bad, k), OP_E_DENIED, "%s: tampered header denied", name);
	xfree(bad);
	xfree(hdr);
	sig = xmalloc(j.sig_len);
	memcpy(sig, j.sig, j.sig_len);
	sig[j.sig_len / 2] ^= 0x01;
	want = b64(sig, j.sig_len);
	bad = xasprintf("%s.%s", j.signing_input, want);
	is_int(check(bad, k), OP_E_DENIED, "%s: tampered signature denied",
	       name);
	xfree(bad);
	xfree(want);
	want = b64(j.sig, j.sig_len - 1);
	bad = xasprintf("%s.%s", j.signing_input, want);
	is_int(check(bad, k), OP_E_DENIED, "%s: short signature denied", name);
	xfree(bad);
	xfree(want);
	xfree(sig);

	/* The alg in the header swapped: known algs reach verify and are
	 * denied by either key, unknown ones do not parse. */
	hdr = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			jose_alg_name(other_alg(alg)), jose_key_kid(k));
	bad = forge(hdr, payload, sig_part);
	is_int(check(bad, k), OP_E_DENIED, "%s: alg swapped, own key denied",
	       name);
	is_int(check(bad, k_other), OP_E_DENIED,
	       "%s: alg swapped, key of that alg denied", name);
	xfree(bad);
	xfree(hdr);
	hdr = xasprintf("{\"alg\":\"none\",\"kid\":\"%s\"}", jose_key_kid(k));
	bad = forge(hdr, payload, sig_part);
	is_int(parse_only(bad), OP_E_INVALID, "%s: swapped to none refused",
	       name);
	xfree(bad);
	xfree(hdr);
	hdr = xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\"}", jose_key_kid(k));
	bad = forge(hdr, payload, sig_part);
	is_int(parse_only(bad), OP_E_INVALID, "%s: swapped to HS256 refused",
	       name);
	xfree(bad);
	xfree(hdr);
	jose_jws_release(&j);
	xfree(tok);

	/* No typ: the header has only alg and kid. */
	buf_init(&b, TOK_MAX);
	is_int(jose_sign(k, NULL, payload, strlen(payload), &b, NULL), OP_OK,
	       "%s: sign without typ", name);
	is_int(jose_jws_parse(b.data, b.len, &j, NULL), OP_OK,
	       "%s: parse without typ", name);
	want = xasprintf("{\"alg\":\"%s\",\"kid\":\"%s\"}", name,
			 jose_key_kid(k));
	is_str(j.header_json, want, "%s: header without typ", name);
	is_int(jose_jws_verify(&j, k), OP_OK, "%s: verifies without typ",
	       name);
	xfree(want);
	jose_jws_release(&j);
	buf_release(&b);
}

static void
test_storage(enum jose_alg alg, const struct jose_key *k)
{
	const char *name = jose_alg_name(alg);
	unsigned char mk[32], mk2[32];
	struct jose_key *back = NULL;
	char *pem = NULL, *sealed = NULL;
	struct buf b;
	size_t n;

	randombytes_buf(mk, sizeof(mk));
	randombytes_buf(mk2, sizeof(mk2));
	is_int(jose_key_export_private(k, NULL, &pem, NULL), OP_OK,
	       "%s: export plain", name);
	ok(strncmp(pem, "-----BEGIN PRIVATE KEY-----\n", 28) == 0,
	   "%s: PKCS#8 PEM", name);
	is_int(jose_key_import_private(pem, alg, NULL, &back, NULL), OP_OK,
	       "%s: import plain", name);
	ok(back != NULL && jose_key_alg(back) == alg, "%s: alg kept", name);
	is_str(back != NULL ? jose_key_kid(back) : "", jose_key_kid(k),
	       "%s: same kid after import", name);
	buf_init(&b, TOK_MAX);
	is_int(jose_sign(back, "JWT", payload, strlen(payload), &b, NULL),
	       OP_OK, "%s: imported key signs", name);
	is_int(check(buf_str(&b), k), OP_OK,
	       "%s: original key verifies it", name);
	buf_release(&b);
	jose_key_free(back);
	back = NULL;
	is_int(jose_key_import_private(pem, other_alg(alg), NULL, &back, NULL),
	       OP_E_INVALID, "%s: PEM refused for another alg", name);
	ok(back == NULL, "%s: nothing returned on refusal", name);
	is_int(jose_key_import_private(pem, JOSE_ALG_NONE, NULL, &back, NULL),
	       OP_E_INVALID, "%s: PEM refused for alg none", name);
	is_int(jose_key_import_private(pem, alg, mk, &back, NULL),
	       OP_E_CRYPTO, "%s: plain PEM refused when a master key is set",
	       name);

	is_int(jose_key_export_private(k, mk, &sealed, NULL), OP_OK,
	       "%s: export sealed", name);
	ok(strncmp(sealed, "sealed:", 7) == 0 &&
		   strstr(sealed, "BEGIN") == NULL,
	   "%s: sealed text hides the PEM", name);
	is_int(jose_key_import_private(sealed, alg, mk, &back, NULL), OP_OK,
	       "%s: import sealed", name);
	is_str(back != NULL ? jose_key_kid(back) : "", jose_key_kid(k),
	       "%s: same kid after sealed import", name);
	jose_key_free(back);
	back = NULL;
	is_int(jose_key_import_private(sealed, alg, mk2, &back, NULL),
	       OP_E_CRYPTO, "%s: wrong master key refused", name);
	is_int(jose_key_import_private(sealed, alg, NULL, &back, NULL),
	       OP_E_CRYPTO, "%s: missing master key refused", name);
	n = strlen(sealed);
	sealed[n / 2] = sealed[n / 2] == 'A' ? 'B' : 'A';
	is_int(jose_key_import_private(sealed, alg, mk, &back, NULL),
	       OP_E_CRYPTO, "%s: altered sealed text refused", name);
	ok(back == NULL, "%s: nothing returned on failure", name);
	xfreestr_secret(pem);
	xfreestr_secret(sealed);
	sodium_memzero(mk, sizeof(mk));
}

static void
test_public_jwk(enum jose_alg alg, const struct jose_key *k)
{
	const char *name = jose_alg_name(alg);
	struct jose_key *pub = NULL;
	const char *s;
	char *pem = NULL;
	struct buf b;
	json_t *o;
	size_t klen;

	buf_init(&b, TOK_MAX);
	is_int(jose_key_public_jwk(k, &b), OP_OK, "%s: public JWK", name);
	o = json_loads(buf_str(&b), JSON_REJECT_DUPLICATES, NULL);
	ok(json_is_object(o), "%s: JWK is a JSON object", name);
	is_str(json_string_value(json_object_get(o, "kid")), jose_key_kid(k),
	       "%s: JWK kid is the key's kid", name);
	is_str(json_string_value(json_object_get(o, "use")), "sig",
	       "%s: use sig", name);
	is_str(json_string_value(json_object_get(o, "alg")), name,
	       "%s: alg member", name);
	s = json_string_value(json_object_get(o, "kty"));
	if (alg == JOSE_RS256) {
		is_str(s, "RSA", "RS256: kty RSA");
		is_str(json_string_value(json_object_get(o, "e")), "AQAB",
		       "RS256: e is 65537 without leading zeros");
		s = json_string_value(json_object_get(o, "n"));
		is_int(s != NULL ? strlen(s) : 0, 342,
		       "RS256: n is 256 bytes");
		is_int(json_object_size(o), 6, "RS256: six members");
	} else if (alg == JOSE_ES256) {
		is_str(s, "EC", "ES256: kty EC");
		is_str(json_string_value(json_object_get(o, "crv")), "P-256",
		       "ES256: crv P-256");
		s = json_string_value(json_object_get(o, "x"));
		is_int(s != NULL ? strlen(s) : 0, 43, "ES256: x is 32 bytes");
		s = json_string_value(json_object_get(o, "y"));
		is_int(s != NULL ? strlen(s) : 0, 43, "ES256: y is 32 bytes");
		is_int(json_object_size(o), 7, "ES256: seven members");
	} else {
		is_str(s, "OKP", "EdDSA: kty OKP");
		is_str(json_string_value(json_object_get(o, "crv")), "Ed25519",
		       "EdDSA: crv Ed25519");
		s = json_string_value(json_object_get(o, "x"));
		is_int(s != NULL ? strlen(s) : 0, 43, "EdDSA: x is 32 bytes");
		is_int(json_object_size(o), 6, "EdDSA: six members");
	}
	ok(json_object_get(o, "d") == NULL, "%s: no private member", name);
	json_decref(o);

	is_int(jose_key_import_jwk(buf_str(&b), &pub, NULL), OP_OK,
	       "%s: the public JWK imports", name);
	is_int(pub != NULL ? jose_key_alg(pub) : JOSE_ALG_NONE, alg,
	       "%s: imported alg", name);
	is_str(pub != NULL ? jose_key_kid(pub) : "", jose_key_kid(k),
	       "%s: imported kid", name);
	buf_reset(&b);
	is_int(jose_sign(k, "JWT", payload, strlen(payload), &b, NULL), OP_OK,
	       "%s: sign with the private key", name);
	is_int(check(buf_str(&b), pub), OP_OK,
	       "%s: the imported public key verifies it", name);
	buf_reset(&b);
	is_int(jose_sign(pub, "JWT", payload, strlen(payload), &b, NULL),
	       OP_E_INVALID, "%s: a public key does not sign", name);
	is_int(jose_key_export_private(pub, NULL, &pem, NULL), OP_E_INVALID,
	       "%s: a public key has no private export", name);
	ok(pem == NULL, "%s: nothing exported", name);
	jose_key_free(pub);

	/* Bounded output: too small a buffer is left unchanged. */
	buf_release(&b);
	buf_init(&b, 80);
	buf_adds(&b, "[");
	is_int(jose_key_public_jwk(k, &b), OP_E_LIMIT,
	       "%s: JWK past the buffer's max", name);
	is_str(buf_str(&b), "[", "%s: buffer unchanged", name);
	klen = b.len;
	is_int(jose_sign(k, NULL, payload, strlen(payload), &b, NULL),
	       OP_E_LIMIT, "%s: token past the buffer's max", name);
	is_int(b.len, klen, "%s: buffer unchanged by sign", name);
	buf_release(&b);
}

static void
test_alg(enum jose_alg alg)
{
	struct jose_key *k = NULL, *k2 = NULL, *other = NULL;
	const char *name = jose_alg_name(alg);
	struct op_err err;

	subtest(name);
	is_int(jose_key_generate(alg, &k, &err), OP_OK, "%s: generate", name);
	is_int(jose_key_generate(alg, &k2, &err), OP_OK, "%s: generate another",
	       name);
	is_int(jose_key_generate(other_alg(alg), &other, &err), OP_OK,
	       "%s: generate a key of another alg", name);
	if (k == NULL || k2 == NULL || other == NULL)
		goto out;
	is_int(jose_key_alg(k), alg, "%s: key alg", name);
	is_int(strlen(jose_key_kid(k)), 43, "%s: kid is a base64url SHA-256",
	       name);
	ok(strcmp(jose_key_kid(k), jose_key_kid(k2)) != 0,
	   "%s: two keys, two kids", name);
	test_sign_parse(alg, k, k2, other);
	test_storage(alg, k);
	test_public_jwk(alg, k);
out:
	jose_key_free(k);
	jose_key_free(k2);
	jose_key_free(other);
}

static void
test_names(void)
{
	subtest("algorithm names");
	is_str(jose_alg_name(JOSE_RS256), "RS256", "RS256");
	is_str(jose_alg_name(JOSE_ES256), "ES256", "ES256");
	is_str(jose_alg_name(JOSE_EDDSA), "EdDSA", "EdDSA");
	ok(jose_alg_name(JOSE_ALG_NONE) == NULL, "none has no name");
	is_int(jose_alg_from_name("EdDSA"), JOSE_EDDSA, "EdDSA by name");
	is_int(jose_alg_from_name("none"), JOSE_ALG_NONE, "none");
	is_int(jose_alg_from_name("NONE"), JOSE_ALG_NONE, "NONE");
	is_int(jose_alg_from_name("rs256"), JOSE_ALG_NONE, "case-sensitive");
	is_int(jose_alg_from_name("HS256"), JOSE_ALG_NONE, "HS256");
	is_int(jose_alg_from_name(""), JOSE_ALG_NONE, "empty");
	is_int(jose_alg_from_name(NULL), JOSE_ALG_NONE, "NULL");
	is_int(jose_key_generate(JOSE_ALG_NONE, &(struct jose_key *){ NULL },
				 NULL),
	       OP_E_INVALID, "no key for alg none");
}

static void
test_node_vectors(void)
{
	struct jose_key *k = NULL;
	struct jose_jws j;
	size_t i;

	subtest("keys and tokens from node's crypto");
	for (i = 0; i < sizeof(node_vectors) / sizeof(*node_vectors); i++) {
		const char *name = jose_alg_name(node_vectors[i].alg);

		is_int(jose_key_import_jwk(node_vectors[i].jwk, &k, NULL),
		       OP_OK, "node %s: JWK imports", name);
		if (k == NULL)
			continue;
		is_int(jose_key_alg(k), node_vectors[i].alg,
		       "node %s: alg from kty/crv", name);
		is_str(jose_key_kid(k), node_vectors[i].thumbprint,
		       "node %s: thumbprint", name);
		is_int(jose_jws_parse(node_vectors[i].token,
				      strlen(node_vectors[i].token), &j, NULL),
		       OP_OK, "node %s: token parses", name);
		is_str(j.kid, "node-1", "node %s: kid", name);
		is_int(jose_jws_verify(&j, k), OP_OK,
		       "node %s: token verifies", name);
		jose_jws_release(&j);
		jose_key_free(k);
		k = NULL;
	}
}

static void
test_parse_refusals(void)
{
	static const struct {
		const char *hdr;
		const char *why;
	} bad_headers[] = {
		{ "{\"alg\":\"none\"}", "alg none" },
		{ "{\"alg\":\"None\"}", "alg None" },
		{ "{\"alg\":\"HS256\",\"kid\":\"k\"}", "alg HS256" },
		{ "{\"alg\":\"RS512\"}", "alg RS512" },
		{ "{\"alg\":\"\"}", "empty alg" },
		{ "{\"kid\":\"k\"}", "no alg" },
		{ "{\"alg\":256}", "alg not a string" },
		{ "{\"alg\":null}", "alg null" },
		{ "{\"alg\":\"RS256\",\"kid\":7}", "kid not a string" },
		{ "{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", "crit" },
		{ "{\"alg\":\"RS256\",\"jku\":\"https://evil.example/k\"}",
		  "jku" },
		{ "{\"alg\":\"RS256\",\"x5u\":\"https://evil.example/c\"}",
		  "x5u" },
		{ "{\"alg\":\"ES256\",\"jwk\":{\"kty\":\"EC\"}}", "jwk" },
		{ "{\"alg\":\"ES256\",\"x5c\":[\"MIIB\"]}", "x5c" },
		{ "{\"alg\":\"RS256\",\"alg\":\"RS256\"}", "duplicate alg" },
		{ "{\"alg\":\"none\",\"alg\":\"RS256\"}",
		  "duplicate alg, none first" },
		{ "[\"RS256\"]", "header an array" },
		{ "\"RS256\"", "header a string" },
		{ "alg=RS256", "header not JSON" },
		{ "{\"alg\":\"RS256\"", "header truncated JSON" },
		{ "", "header empty" },
	};
	static const struct {
		const char *tok;
		const char *why;
	} bad_tokens[] = {
		{ "", "empty" },
		{ "eyJhbGciOiJSUzI1NiJ9", "one part" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30", "two parts" },
		{ "..", "two dots only" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.AAAA.AAAA", "four parts" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.", "empty signature" },
		{ ".e30.AAAA", "empty header" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.AA==", "padded signature" },
		{ "eyJhbGciOiJSUzI1NiJ9=.e30.AAAA", "padded header" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.AA+/", "standard alphabet" },
		{ "eyJhbGciOiJSUzI1NiJ9.e3 0.AAAA", "space in payload" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.AAAAA", "5 chars: bad length" },
		{ "eyJhbGciOiJSUzI1NiJ9.e30.AB", "non-zero trailing bits" },
		{ "!!!!.e30.AAAA", "header not base64url" },
	};
	char *hdr, *tok, *big;
	struct jose_jws j;
	struct op_err err;
	size_t i;

	subtest("parse refusals");
	for (i = 0; i < sizeof(bad_headers) / sizeof(*bad_headers); i++) {
		tok = forge(bad_headers[i].hdr, payload, "AAAA");
		is_int(parse_only(tok), OP_E_INVALID, "refused: %s",
		       bad_headers[i].why);
		xfree(tok);
	}
	for (i = 0; i < sizeof(bad_tokens) / sizeof(*bad_tokens); i++)
		is_int(parse_only(bad_tokens[i].tok), OP_E_INVALID,
		       "refused: %s", bad_tokens[i].why);

	/* The control: the same shapes parse when well formed. */
	is_int(parse_only("eyJhbGciOiJSUzI1NiJ9.e30.AAAA"), OP_OK,
	       "control: minimal RS256 token parses");
	is_int(parse_only("eyJhbGciOiJSUzI1NiJ9..AAAA"), OP_OK,
	       "control: empty payload parses");
	tok = forge("{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"x5t\":\"abc\"}",
		    payload, "AAAA");
	is_int(jose_jws_parse(tok, strlen(tok), &j, NULL), OP_OK,
	       "control: unknown harmless header parses");
	ok(j.kid == NULL, "no kid: NULL");
	is_int(j.alg, JOSE_EDDSA, "alg EdDSA");
	jose_jws_release(&j);
	xfree(tok);

	/* A NUL inside the given length. */
	is_int(jose_jws_parse("eyJhbGciOiJSUzI1NiJ9.e30.AAAA\0AA", 33, &j,
			      NULL),
	       OP_E_INVALID, "refused: NUL inside the token");
	ok(j.header_json == NULL && j.sig == NULL && j.payload == NULL,
	   "nothing kept on refusal");

	/* 16 KiB cap on the compact form. */
	big = xmalloc(16 * 1024);
	memset(big, 'a', 16 * 1024 - 1);
	big[16 * 1024 - 1] = '\0';
	hdr = forge("{\"alg\":\"RS256\"}", big + 16 * 1024 - 12000, "AAAA");
	is_int(parse_only(hdr), OP_OK, "a 16 000-byte token parses");
	xfree(hdr);
	hdr = forge("{\"alg\":\"RS256\"}", big + 16 * 1024 - 12400, "AAAA");
	is_int(jose_jws_parse(hdr, strlen(hdr), &j, &err), OP_E_INVALID,
	       "a token over 16 KiB is refused");
	is_int(err.rc, OP_E_INVALID, "error detail filled");
	xfree(hdr);
	xfree(big);
	is_int(jose_jws_verify(&j, NULL), OP_E_DENIED,
	       "a released parse verifies nothing");
}

/* {"kty":..} text with one member changed; a new string. */
static char *
rsa_jwk(const char *n, const char *extra)
{
	return xasprintf("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAB\"%s}", n,
			 extra);
}

static void
test_jwk_import(void)
{
	static const struct {
		const char *json;
		const char *why;
	} bad[] = {
		{ "not json", "not JSON" },
		{ "[]", "array" },
		{ "{\"n\":\"AQAB\",\"e\":\"AQAB\"}", "no kty" },
		{ "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "kty oct" },
		{ "{\"kty\":\"rsa\",\"n\":\"AQAB\",\"e\":\"AQAB\"}",
		  "kty is case-sensitive" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AAAA\","
		  "\"y\":\"AAAA\"}", "crv P-384" },
		{ "{\"kty\":\"EC\",\"x\":\"" EC_X "\",\"y\":\"" EC_Y "\"}",
		  "EC without crv" },
		/* y with one bit flipped: off the curve. */
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\","
		  "\"y\":\"3MjpldOGhi_fIuYp007xUEV5ZK8XS7Bnu7tRJy4qKB8\"}",
		  "EC point off the curve" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"3r9NYWaTOxJgB9q"
		  "RfsDpOboIpiNlrg9gy1mNKB7Pmw\",\"y\":\"" EC_Y "\"}",
		  "EC x of 31 bytes" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"3r9NYWaTOxJgB9q"
		  "RfsDpOboIpiNlrg9gy1mNKB7Pm\",\"y\":\"" EC_Y "\"}",
		  "EC x with stray bits" },
		{ "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" EC_X "\"}",
		  "EC without y" },
		{ "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" ED_X "\"}",
		  "crv X25519" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"AAAA\"}",
		  "crv Ed448" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "A\"}",
		  "Ed25519 x of 33 bytes" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\","
		  "\"alg\":\"ES256\"}", "alg not fitting kty" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\","
		  "\"use\":\"enc\"}", "use enc" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" ED_X "\","
		  "\"kty\":\"OKP\"}", "duplicate member" },
		{ "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":7}",
		  "x not a string" },
	};
	struct jose_key *k = NULL;
	unsigned char *n_bin = NULL;
	size_t n_len = 0, i;
	char *s, *n1024, *pem = NULL;
	struct op_err err;

	subtest("JWK import");
	is_int(jose_key_import_jwk(rfc7638_jwk, &k, NULL), OP_OK,
	       "RFC 7638 key imports");
	is_str(k != NULL ? jose_key_kid(k) : "",
	       "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs",
	       "RFC 7638 section 3.1 thumbprint");
	is_int(k != NULL ? jose_key_alg(k) : JOSE_ALG_NONE, JOSE_RS256,
	       "alg RS256 from the JWK");
	jose_key_free(k);
	k = NULL;

	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		is_int(jose_key_import_jwk(bad[i].json, &k, &err),
		       OP_E_INVALID, "JWK refused: %s", bad[i].why);
		ok(k == NULL, "nothing returned: %s", bad[i].why);
	}

	/* RSA: too short, not base64url, alg, private members. */
	n_bin = xmalloc(sizeof(rfc7638_n));
	if (sodium_base642bin(n_bin, sizeof(rfc7638_n), rfc7638_n,
			      strlen(rfc7638_n), NULL, &n_len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		n_len = 0;
	is_int(n_len, 256, "RFC 7638 n is 2048 bits");
	n1024 = b64(n_bin, 128);
	s = rsa_jwk(n1024, "");
	is_int(jose_key_import_jwk(s, &k, &err), OP_E_INVALID,
	       "RSA 1024 refused");
	ok(strstr(err.msg, "1024") != NULL, "error names the size: %s",
	   err.msg);
	xfree(s);
	xfree(n1024);
	xfree(n_bin);
	s = rsa_jwk("0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM+78", "");
	is_int(jose_key_import_jwk(s, &k, NULL), OP_E_INVALID,
	       "RSA n not base64url refused");
	xfree(s);
	s = rsa_jwk(rfc7638_n, ",\"alg\":\"RS384\"");
	is_int(jose_key_import_jwk(s, &k, NULL), OP_E_INVALID,
	       "RSA key for RS384 refused");
	xfree(s);
	s = rsa_jwk(rfc7638_n, ",\"e\":\"AQAB\"");
	is_int(jose_key_import_jwk(s, &k, NULL), OP_E_INVALID,
	       "RSA duplicate e refused");
	xfree(s);
	s = xasprintf("{\"kty\":\"RSA\",\"n\":\"%s\",\"e\":\"AQAA\"}",
		      rfc7638_n);
	is_int(jose_key_import_jwk(s, &k, NULL), OP_E_INVALID,
	       "RSA even exponent refused");
	xfree(s);
	/* A private exponent member (made up: it is never read). */
	s = rsa_jwk(rfc7638_n, ",\"d\":\"X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E"
			       "3EaG6RJoVH-HLLKD9M7dx5oo7GURknchnrRweUkC7hT5f"
			       "JLM0WbFAKNLWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBa"
			       "CxWp4doFk5N2o8Gy_nHNKroADIkJ46pRUohsXywbReAdY"
			       "aMwFs9tv8d_cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3"
			       "Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgk"
			       "uqsk0GjskDJk19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8f"
			       "kFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q\","
			       "\"use\":\"sig\",\"alg\":\"RS256\"");
	is_int(jose_key_import_jwk(s, &k, NULL), OP_OK,
	       "RSA JWK with d imports");
	is_int(jose_key_export_private(k, NULL, &pem, NULL), OP_E_INVALID,
	       "but only as a public key");
	ok(pem == NULL, "no private export");
	jose_key_free(k);
	xfree(s);
}

/* base64url(SHA-256(v)) into ch, computed apart from jose.c. */
static void
s256(const char *v, char ch[64])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)v, strlen(v));
	sodium_bin2base64(ch, 64, h, sizeof(h),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void
test_vectors(void)
{
	static const char at[] = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
	static const char v[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	static const char c[] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
	char out[64], v128[130], ch[64];
	struct buf b;

	subtest("at_hash (OpenID Connect Core A.3, A.4)");
	jose_half_hash(JOSE_RS256, at, out);
	is_str(out, "77QmUPtjPfzWtF2AnpK9RQ", "RS256 at_hash");
	jose_half_hash(JOSE_ES256, at, out);
	is_str(out, "77QmUPtjPfzWtF2AnpK9RQ", "ES256 uses SHA-256 too");
	/* Left half of SHA-512, computed with node's crypto. */
	jose_half_hash(JOSE_EDDSA, at, out);
	is_str(out, "q7nS86GgvvFaZkzALLWqJYaJIKw2wCDAVfCAsm5CrBM",
	       "EdDSA uses SHA-512");

	subtest("PKCE S256 (RFC 7636 appendix B)");
	ok(jose_pkce_s256_ok(v, c), "the RFC's verifier and challenge");
	ok(!jose_pkce_s256_ok(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cN"),
	   "challenge off by one character");
	ok(!jose_pkce_s256_ok("dBjftJeZ4CVP-mJ92IQ2d3NSmgGDPtLz8I3sW1OlnUg",
			      c),
	   "another verifier");
	ok(!jose_pkce_s256_ok(v, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c"),
	   "challenge too short");
	ok(!jose_pkce_s256_ok(v, ""), "empty challenge");
	ok(!jose_pkce_s256_ok(v, v), "plain method not accepted as S256");
	ok(!jose_pkce_s256_ok("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX", c),
	   "verifier of 42 chars refused");
	ok(!jose_pkce_s256_ok("dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c),
	   "'+' in the verifier refused");
	ok(!jose_pkce_s256_ok("dBjftJeZ4CVP mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c),
	   "space in the verifier refused");
	ok(!jose_pkce_s256_ok("dBjftJeZ4CVP\xc3\xa9"
			      "mB92K27uhbUJU1p1r_wW1gFWFOEjXk", c),
	   "non-ASCII verifier refused");
	ok(!jose_pkce_s256_ok(NULL, c), "NULL verifier");
	memset(v128, '~', 128);
	v128[128] = '\0';
	s256(v128, ch);
	ok(jose_pkce_s256_ok(v128, ch), "verifier of 128 chars");
	v128[128] = '~';
	v128[129] = '\0';
	s256(v128, ch);
	ok(!jose_pkce_s256_ok(v128, ch), "verifier of 129 chars refused");

	subtest("base64url");
	buf_init(&b, 8);
	is_int(jose_b64url_add(&b, "", 0), 0, "empty input");
	is_str(buf_str(&b), "", "empty output");
	is_int(jose_b64url_add(&b, "\xfb\xff", 2), 0, "two bytes");
	is_str(buf_str(&b), "-_8", "URL-safe alphabet, no padding");
	is_int(jose_b64url_add(&b, "abcd", 4), -1, "past max refused");
	is_str(buf_str(&b), "-_8", "buffer unchanged");
	is_int(jose_b64url_add(&b, "abc", 3), 0, "exactly to max");
	is_str(buf_str(&b), "-_8YWJj", "appended");
	buf_release(&b);
}

static void
test_sign_errors(void)
{
	struct jose_key *k = NULL;
	struct op_err err;
	struct buf b;

	subtest("sign errors");
	if (jose_key_generate(JOSE_EDDSA, &k, NULL) != OP_OK)
		return;
	buf_init(&b, TOK_MAX);
	buf_adds(&b, "x");
	is_int(jose_sign(k, "bad\xff", payload, strlen(payload), &b, &err),
	       OP_E_INVALID, "typ that is not UTF-8 refused");
	is_str(buf_str(&b), "x", "buffer unchanged");
	is_int(jose_sign(k, "JWT", "", 0, &b, &err), OP_OK,
	       "empty payload signs");
	is_int(check(buf_str(&b) + 1, k), OP_OK, "and verifies");
	buf_release(&b);
	jose_key_free(k);
}

int
main(void)
{
	size_t i;

	if (sodium_init() < 0)
		return 1;
	test_names();
	for (i = 0; i < sizeof(algs) / sizeof(*algs); i++)
		test_alg(algs[i]);
	test_node_vectors();
	test_parse_refusals();
	test_jwk_import();
	test_vectors();
	test_sign_errors();
	return done_testing();
}

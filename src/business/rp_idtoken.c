/*
 * rp_idtoken.c - ID token validation (OpenID Connect Core 1.0, 3.1.3.7):
 * a compact JWS signed by a key of the provider's JWKS with RS256, ES256
 * or EdDSA (jose_jws_parse refuses "none", HMAC and anything else), then
 * the claims: iss, aud/azp, exp, iat, nbf, nonce, sub, and the types of
 * auth_time, email and email_verified. The signature is checked before
 * any claim is read.
 */
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "business/rp_internal.h"

/* A NumericDate (RFC 7519 2): an integer, or a real we truncate. */
static bool
claim_time(json_t *v, int64_t *out)
{
	double d;

	if (json_is_integer(v)) {
		*out = (int64_t)json_integer_value(v);
		return true;
	}
	if (!json_is_real(v))
		return false;
	d = json_real_value(v);
	if (!(d > -9007199254740992.0 && d < 9007199254740992.0))
		return false;
	*out = (int64_t)d;
	return true;
}

/* aud names client_id; azp, when present, is client_id, and is required
 * when there are several audiences. */
static enum op_rc
check_aud(json_t *o, const char *client_id, struct op_err *err)
{
	json_t *aud = json_object_get(o, "aud"), *azp, *v;
	bool found = false;
	size_t i, n = 1;

	if (json_is_string(aud)) {
		found = strcmp(json_string_value(aud), client_id) == 0;
	} else if (json_is_array(aud) && json_array_size(aud) > 0) {
		n = json_array_size(aud);
		json_array_foreach(aud, i, v) {
			if (!json_is_string(v))
				return op_err_set(err, OP_E_DENIED,
						  "aud holds a non-string");
			if (strcmp(json_string_value(v), client_id) == 0)
				found = true;
		}
	} else {
		return op_err_set(err, OP_E_DENIED, "no aud");
	}
	if (!found)
		return op_err_set(err, OP_E_DENIED, "aud is not for us");
	azp = json_object_get(o, "azp");
	if (azp == NULL && n > 1)
		return op_err_set(err, OP_E_DENIED,
				  "several audiences and no azp");
	if (azp != NULL && (!json_is_string(azp) ||
			    strcmp(json_string_value(azp), client_id) != 0))
		return op_err_set(err, OP_E_DENIED, "azp is not us");
	return OP_OK;
}

static enum op_rc
check_times(json_t *o, int64_t now, int64_t *auth_time, struct op_err *err)
{
	json_t *v;
	int64_t t;

	if (!claim_time(json_object_get(o, "exp"), &t))
		return op_err_set(err, OP_E_DENIED, "no exp");
	if (t <= now - RP_LEEWAY_SEC)
		return op_err_set(err, OP_E_DENIED, "expired");
	if (!claim_time(json_object_get(o, "iat"), &t))
		return op_err_set(err, OP_E_DENIED, "no iat");
	if (t > now + RP_LEEWAY_SEC)
		return op_err_set(err, OP_E_DENIED, "issued in the future");
	v = json_object_get(o, "nbf");
	if (v != NULL && (!claim_time(v, &t) || t > now + RP_LEEWAY_SEC))
		return op_err_set(err, OP_E_DENIED, "not valid yet (nbf)");
	*auth_time = 0;
	v = json_object_get(o, "auth_time");
	if (v != NULL && !json_is_integer(v))
		return op_err_set(err, OP_E_DENIED,
				  "auth_time is not an integer");
	if (v != NULL)
		*auth_time = (int64_t)json_integer_value(v);
	return OP_OK;
}

static enum op_rc
check_nonce(json_t *o, const char *expected, struct op_err *err)
{
	json_t *v = json_object_get(o, "nonce");
	size_t n;

	if (expected == NULL)
		return OP_OK;
	if (!json_is_string(v))
		return op_err_set(err, OP_E_DENIED, "no nonce");
	n = strlen(expected);
	if (json_string_length(v) != n ||
	    sodium_memcmp(json_string_value(v), expected, n) != 0)
		return op_err_set(err, OP_E_DENIED, "nonce does not match");
	return OP_OK;
}

/* sub, email, email_verified into out (strings in a). */
static enum op_rc
take_identity(json_t *o, struct arena *a, struct rp_identity *out,
	      struct op_err *err)
{
	json_t *sub = json_object_get(o, "sub");
	json_t *email = json_object_get(o, "email");
	json_t *ev = json_object_get(o, "email_verified");

	if (!json_is_string(sub) || json_string_length(sub) == 0 ||
	    json_string_length(sub) > RP_SUB_MAX)
		return op_err_set(err, OP_E_DENIED,
				  "sub is not a string of 1 to %d bytes",
				  RP_SUB_MAX);
	if (email != NULL && (!json_is_string(email) ||
			      json_string_length(email) > RP_CLAIM_STR_MAX))
		return op_err_set(err, OP_E_DENIED, "email is not a string");
	if (ev != NULL && !json_is_boolean(ev))
		return op_err_set(err, OP_E_DENIED,
				  "email_verified is not a boolean");
	out->subject = arena_strdup(a, json_string_value(sub));
	out->email = email != NULL ? arena_strdup(a, json_string_value(email))
				   : NULL;
	out->email_verified = ev != NULL && json_is_true(ev);
	return OP_OK;
}

enum op_rc
rp_claims_check(const struct rp_expect *x, const char *payload, size_t len,
		struct arena *a, struct rp_identity *out, struct op_err *err)
{
	json_error_t jerr;
	json_t *o, *iss;
	enum op_rc rc = OP_E_DENIED;

	memset(out, 0, sizeof(*out));
	o = json_loadb(payload, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		op_err_set(err, rc, "claims are not a JSON object");
		goto out;
	}
	iss = json_object_get(o, "iss");
	if (!json_is_string(iss) ||
	    strcmp(json_string_value(iss), x->issuer) != 0) {
		op_err_set(err, rc, "iss is not '%s'", x->issuer);
		goto out;
	}
	rc = check_aud(o, x->client_id, err);
	if (rc == OP_OK)
		rc = check_times(o, x->now, &out->auth_time, err);
	if (rc == OP_OK)
		rc = check_nonce(o, x->nonce, err);
	if (rc == OP_OK)
		rc = take_identity(o, a, out, err);
	if (rc == OP_OK)
		out->issuer = arena_strdup(a, x->issuer);
out:
	json_decref(o);
	if (rc != OP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

enum op_rc
rp_validate_id_token(struct rp_cache *c, const char *issuer,
		     const char *client_id, const char *nonce,
		     const char *id_token, struct arena *a,
		     struct rp_identity *out, struct op_err *err)
{
	struct rp_expect x = { .issuer = issuer, .client_id = client_id,
			       .nonce = nonce };
	struct op_err why = { .msg = "" };
	const struct jose_key *k = NULL;
	struct rp_keyset *set = NULL;
	struct jose_jws j;
	enum op_rc rc;

	memset(out, 0, sizeof(*out));
	memset(&j, 0, sizeof(j));
	if (id_token == NULL || issuer == NULL || client_id == NULL)
		return op_err_set(err, OP_E_DENIED, "no ID token");
	if (jose_jws_parse(id_token, strlen(id_token), &j, &why) != OP_OK)
		return op_err_set(err, OP_E_DENIED, "ID token: %s", why.msg);
	/* The JWKS URI comes from a fresh discovery. */
	rc = rp_provider_get(c, issuer, NULL, NULL, err);
	if (rc != OP_OK)
		goto out;
	rc = rp_jwks_key(c, issuer, &j, &set, &k, err);
	if (rc != OP_OK)
		goto out;
	if (jose_jws_verify(&j, k) != OP_OK) {
		rc = op_err_set(err, OP_E_DENIED, "ID token signature is bad");
		goto out;
	}
	x.now = c->now();
	rc = rp_claims_check(&x, j.payload, j.payload_len, a, out, &why);
	if (rc != OP_OK) {
		rc = op_err_set(err, OP_E_DENIED, "ID token: %s", why.msg);
		goto out;
	}
	out->id_token = arena_strdup(a, id_token);
out:
	rp_keyset_put(c, set);
	jose_jws_release(&j);
	if (rc != OP_OK)
		memset(out, 0, sizeof(*out));
	return rc;
}

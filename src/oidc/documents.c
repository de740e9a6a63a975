/*
 * documents.c - the discovery document (OpenID Connect Discovery 1.0,
 * RFC 8414) and ID token claims (OIDC Core 2). Discovery lists only what
 * the provider really supports.
 */
#include <string.h>

#include "oidc/json.h"
#include "oidc/oidc.h"

static json_t *
strings(const char *const *v, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

#define STRINGS(...)                                                          \
	strings((const char *const[]){ __VA_ARGS__ },                         \
		sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(char *))

/* Sets key to issuer + path; false when that does not fit. */
static bool
set_url(json_t *o, const char *key, const char *issuer, const char *path)
{
	size_t n = strlen(issuer) + strlen(path) + 1;
	char url[2048];

	if (n > sizeof(url))
		return false;
	memcpy(url, issuer, strlen(issuer));
	memcpy(url + strlen(issuer), path, strlen(path) + 1);
	return json_object_set_new(o, key, json_string(url)) == 0;
}

enum op_rc
oidc_discovery(const char *issuer, struct buf *out)
{
	json_t *o = json_object();
	enum op_rc rc;

	bool ok;

	json_object_set_new(o, "issuer", json_string(issuer));
	ok = set_url(o, "authorization_endpoint", issuer, "/authorize") &&
	     set_url(o, "token_endpoint", issuer, "/token") &&
	     set_url(o, "userinfo_endpoint", issuer, "/userinfo") &&
	     set_url(o, "jwks_uri", issuer, "/jwks") &&
	     set_url(o, "end_session_endpoint", issuer, "/logout") &&
	     set_url(o, "revocation_endpoint", issuer, "/revoke") &&
	     set_url(o, "introspection_endpoint", issuer, "/introspect");
	if (!ok) {
		json_decref(o);
		return OP_E_INVALID;
	}
	json_object_set_new(o, "scopes_supported",
			    STRINGS("openid", "email", "profile",
				    "offline_access"));
	json_object_set_new(o, "response_types_supported", STRINGS("code"));
	json_object_set_new(o, "response_modes_supported", STRINGS("query"));
	json_object_set_new(o, "grant_types_supported",
			    STRINGS("authorization_code", "refresh_token"));
	json_object_set_new(o, "subject_types_supported", STRINGS("public"));
	json_object_set_new(o, "id_token_signing_alg_values_supported",
			    STRINGS("RS256", "ES256", "EdDSA"));
	json_object_set_new(o, "token_endpoint_auth_methods_supported",
			    STRINGS("client_secret_basic", "client_secret_post",
				    "none"));
	json_object_set_new(o, "revocation_endpoint_auth_methods_supported",
			    STRINGS("client_secret_basic", "client_secret_post",
				    "none"));
	json_object_set_new(o, "introspection_endpoint_auth_methods_supported",
			    STRINGS("client_secret_basic",
				    "client_secret_post"));
	json_object_set_new(o, "code_challenge_methods_supported",
			    STRINGS("S256"));
	json_object_set_new(o, "claims_supported",
			    STRINGS("iss", "sub", "aud", "exp", "iat",
				    "auth_time", "nonce", "at_hash", "sid",
				    "email", "email_verified"));
	json_object_set_new(o, "prompt_values_supported",
			    STRINGS("none", "login", "consent"));
	json_object_set_new(o, "claims_parameter_supported", json_false());
	json_object_set_new(o, "request_parameter_supported", json_false());
	json_object_set_new(o, "request_uri_parameter_supported", json_false());
	json_object_set_new(o, "require_request_uri_registration", json_false());
	json_object_set_new(o,
			    "authorization_response_iss_parameter_supported",
			    json_true());
	json_object_set_new(o, "frontchannel_logout_supported", json_false());
	json_object_set_new(o, "backchannel_logout_supported", json_false());
	rc = json_dump_buf(o, out);
	json_decref(o);
	return rc;
}

enum op_rc
oidc_idtoken_json(const struct idtoken_claims *c, struct buf *out)
{
	json_t *o = json_object();
	enum op_rc rc;

	json_object_set_new(o, "iss", json_string(c->iss));
	json_object_set_new(o, "sub", json_string(c->sub));
	json_object_set_new(o, "aud", json_string(c->aud));
	json_object_set_new(o, "exp", json_integer(c->exp));
	json_object_set_new(o, "iat", json_integer(c->iat));
	json_object_set_new(o, "auth_time", json_integer(c->auth_time));
	if (c->nonce != NULL)
		json_object_set_new(o, "nonce", json_string(c->nonce));
	if (c->at_hash != NULL)
		json_object_set_new(o, "at_hash", json_string(c->at_hash));
	if (c->sid != NULL)
		json_object_set_new(o, "sid", json_string(c->sid));
	if (c->email != NULL) {
		json_object_set_new(o, "email", json_string(c->email));
		json_object_set_new(o, "email_verified",
				    json_boolean(c->email_verified));
	}
	rc = json_dump_buf(o, out);
	json_decref(o);
	return rc;
}

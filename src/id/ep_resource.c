/*
 * ep_resource.c - what clients call with tokens: userinfo (OIDC Core
 * 5.3), revocation (RFC 7009) and introspection (RFC 7662); and the
 * discovery document and JWKS.
 */
#include <string.h>

#include "core/config.h"
#include "core/token.h"
#include "id/keyring.h"
#include "id/oauth.h"

static void
bearer_error(struct request *req, const char *error)
{
	json_t *o = json_object();

	if (error == NULL) {
		response_header(req, "WWW-Authenticate",
				"Bearer realm=\"onepass\"");
		json_object_set_new(o, "error", json_string("invalid_request"));
	} else {
		response_header(req, "WWW-Authenticate",
				arena_asprintf(req->arena,
					       "Bearer realm=\"onepass\", "
					       "error=\"%s\"", error));
		json_object_set_new(o, "error", json_string(error));
	}
	id_json(req, 401, o);
}

void
ep_userinfo(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *tok = oidc_bearer(req->arena,
				      request_header(req, "Authorization"));
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t = { 0 };
	struct user u = { 0 };
	enum op_rc rc;
	json_t *o;

	if (tok == NULL && req->method == HTTP_POST)
		tok = params_get(&req->form, "access_token");
	if (tok == NULL) {
		bearer_error(req, NULL);
		return;
	}
	token_hash(tok, strlen(tok), hash);
	rc = token_wellformed(tok) ? store_token_get(site->op->store, hash,
						     site->op->now(), &t)
				   : OP_E_NOTFOUND;
	if (rc == OP_OK && t.kind == OAUTH_ACCESS &&
	    oidc_scope_has(t.scope, "openid"))
		rc = store_user_by_id(site->op->store, t.user_id, &u);
	else if (rc == OP_OK)
		rc = OP_E_NOTFOUND;
	if (rc == OP_E_STORE) {
		id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL, false);
		goto out;
	}
	if (rc != OP_OK || u.disabled) {
		bearer_error(req, "invalid_token");
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "sub", json_string(u.sub));
	if (oidc_scope_has(t.scope, "email")) {
		json_object_set_new(o, "email", json_string(u.email));
		json_object_set_new(o, "email_verified",
				    json_boolean(u.email_verified));
	}
	id_json(req, 200, o);
out:
	oauth_token_release(&t);
	user_release(&u);
}

void
ep_revoke(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *tok = params_get(&req->form, "token");
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t = { 0 };
	struct client c;
	enum op_rc rc;

	if (!id_client_auth(req, false, &c))
		return;
	if (tok == NULL) {
		id_oauth_error(req, OIDC_INVALID_REQUEST, "token is missing.",
			       false);
		goto out;
	}
	/* Unknown, foreign or already dead tokens are answered the same
	 * (RFC 7009 2.2): nothing is learnt from revocation. */
	token_hash(tok, strlen(tok), hash);
	rc = token_wellformed(tok) ? store_token_get(site->op->store, hash,
						     site->op->now(), &t)
				   : OP_E_NOTFOUND;
	if (rc == OP_OK && strcmp(t.client_id, c.client_id) == 0) {
		if (t.kind == OAUTH_REFRESH)
			rc = store_token_revoke_family(site->op->store,
						       t.family);
		else
			rc = store_token_revoke(site->op->store, hash);
		if (rc == OP_OK)
			id_audit(req, "token.revoked", t.user_id,
				 c.client_id);
	}
	/* A revocation that did not happen must not answer 200. */
	if (rc == OP_E_STORE)
		id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL, false);
	else
		id_json(req, 200, json_object());
out:
	oauth_token_release(&t);
	client_release(&c);
}

void
ep_introspect(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *tok = params_get(&req->form, "token");
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t = { 0 };
	struct user u = { 0 };
	struct client c;
	json_t *o = json_object();
	enum op_rc rc;

	if (!id_client_auth(req, true, &c)) {
		json_decref(o);
		return;
	}
	if (tok != NULL && token_wellformed(tok)) {
		token_hash(tok, strlen(tok), hash);
		/* A client learns only about its own tokens. */
		rc = store_token_get(site->op->store, hash, site->op->now(),
				     &t);
		if (rc == OP_OK && strcmp(t.client_id, c.client_id) == 0)
			rc = store_user_by_id(site->op->store, t.user_id, &u);
		else if (rc == OP_OK)
			rc = OP_E_NOTFOUND;
		if (rc == OP_E_STORE) {
			/* "Inactive" would be a lie during an outage. */
			json_decref(o);
			id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL,
				       false);
			goto out;
		}
		if (rc == OP_OK && !u.disabled) {
			json_object_set_new(o, "active", json_true());
			json_object_set_new(o, "scope", json_string(t.scope));
			json_object_set_new(o, "client_id",
					    json_string(t.client_id));
			json_object_set_new(o, "sub", json_string(u.sub));
			json_object_set_new(o, "aud", json_string(t.client_id));
			json_object_set_new(o, "iss", json_string(
				site->op->cfg->id_public_url));
			json_object_set_new(o, "exp", json_integer(t.expires_at));
			json_object_set_new(o, "iat", json_integer(t.created_at));
			json_object_set_new(o, "token_type", json_string(
				t.kind == OAUTH_ACCESS ? "Bearer"
						       : "refresh_token"));
		}
	}
	if (json_object_get(o, "active") == NULL)
		json_object_set_new(o, "active", json_false());
	id_json(req, 200, o);
out:
	oauth_token_release(&t);
	user_release(&u);
	client_release(&c);
}

void
ep_discovery(struct request *req)
{
	struct id_site *site = id_site_of(req);

	buf_reset(&req->body);
	if (oidc_discovery(site->op->cfg->id_public_url, &req->body) != OP_OK) {
		id_error(req, 500, "The discovery document is not available.");
		return;
	}
	req->content_type = "application/json";
	response_header(req, "Cache-Control", "public, max-age=300");
	response_header(req, "Access-Control-Allow-Origin", "*");
}

void
ep_jwks(struct request *req)
{
	struct id_site *site = id_site_of(req);

	buf_reset(&req->body);
	if (keyring_jwks(site->keys, &req->body) != OP_OK) {
		id_error(req, 500, "The key set is not available.");
		return;
	}
	req->content_type = "application/jwk-set+json";
	/* Shorter than [oidc] key_activation_sec: a client's cached copy has
	 * the next key before that key signs. */
	response_header(req, "Cache-Control", "public, max-age=60");
	response_header(req, "Access-Control-Allow-Origin", "*");
}

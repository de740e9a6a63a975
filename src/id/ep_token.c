/*
 * ep_token.c - the token endpoint (RFC 6749 3.2, OIDC Core 3.1.3):
 * authorization_code and refresh_token grants. A code is single use; a
 * second use revokes everything the first issued. Refresh tokens rotate
 * at every use; presenting a spent one revokes its whole family.
 */
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "id/keyring.h"
#include "id/oauth.h"

struct issue {
	const struct client *client;
	const struct user *user;
	const char *scope;		/* of the access and ID tokens */
	const char *refresh_scope;	/* of a new refresh token; NULL: scope */
	const char *family;
	const char *sid;
	const char *nonce;
	int64_t auth_time;
};

/* Stores a new opaque token of kind; writes its text into out. */
static enum op_rc
new_token(struct request *req, const struct issue *is,
	  enum oauth_token_kind kind, int64_t ttl,
	  char out[TOKEN_STR_LEN + 1])
{
	struct id_site *site = id_site_of(req);
	struct oauth_token t = { 0 };
	int64_t now = site->op->now();

	token_new(out);
	token_hash(out, strlen(out), t.hash);
	t.kind = kind;
	t.client_id = is->client->client_id;
	t.user_id = is->user->id;
	t.scope = (char *)(kind == OAUTH_REFRESH && is->refresh_scope != NULL
				   ? is->refresh_scope : is->scope);
	t.family = (char *)is->family;
	t.sid = (char *)is->sid;
	t.auth_time = is->auth_time;
	t.created_at = now;
	t.expires_at = now + ttl;
	return store_token_create(site->op->store, &t);
}

static enum op_rc
id_token(struct request *req, const struct issue *is, const char *access,
	 struct buf *out)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	enum jose_alg alg = jose_alg_from_name(is->client->id_token_alg);
	int64_t now = site->op->now();
	char at_hash[64];
	struct buf payload;
	struct idtoken_claims c = { 0 };
	enum op_rc rc;

	if (alg == JOSE_ALG_NONE)
		alg = JOSE_RS256;
	jose_half_hash(alg, access, at_hash);
	c.iss = cfg->id_public_url;
	c.sub = is->user->sub;
	c.aud = is->client->client_id;
	c.iat = now;
	c.exp = now + cfg->oidc_id_token_ttl_sec;
	c.auth_time = is->auth_time;
	c.nonce = is->nonce;
	c.at_hash = at_hash;
	c.sid = is->sid;
	if (oidc_scope_has(is->scope, "email")) {
		c.email = is->user->email;
		c.email_verified = is->user->email_verified;
	}
	buf_init(&payload, 8192);
	rc = oidc_idtoken_json(&c, &payload);
	if (rc == OP_OK)
		rc = keyring_sign(site->keys, alg, "JWT", payload.data,
				  payload.len, out);
	buf_release(&payload);
	return rc;
}

/* Issues access token, ID token and (with offline_access) a refresh
 * token, and answers with them. */
static void
respond_tokens(struct request *req, const struct issue *is)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	char access[TOKEN_STR_LEN + 1], refresh[TOKEN_STR_LEN + 1];
	bool with_refresh = oidc_scope_has(is->refresh_scope != NULL
						   ? is->refresh_scope
						   : is->scope,
					   "offline_access");
	struct buf idt;
	json_t *o;

	buf_init(&idt, 16384);
	if (new_token(req, is, OAUTH_ACCESS, cfg->oidc_access_ttl_sec,
		      access) != OP_OK ||
	    (with_refresh && new_token(req, is, OAUTH_REFRESH,
				       cfg->oidc_refresh_ttl_sec,
				       refresh) != OP_OK) ||
	    id_token(req, is, access, &idt) != OP_OK) {
		id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL, false);
		goto out;
	}
	o = json_object();
	json_object_set_new(o, "access_token", json_string(access));
	json_object_set_new(o, "token_type", json_string("Bearer"));
	json_object_set_new(o, "expires_in",
			    json_integer(cfg->oidc_access_ttl_sec));
	json_object_set_new(o, "scope", json_string(is->scope));
	json_object_set_new(o, "id_token", json_string(buf_str(&idt)));
	if (with_refresh)
		json_object_set_new(o, "refresh_token", json_string(refresh));
	id_json(req, 200, o);
out:
	sodium_memzero(access, sizeof(access));
	sodium_memzero(refresh, sizeof(refresh));
	buf_release(&idt);
}

/* The user behind a grant, if still allowed to use it. */
static bool
grant_user(struct request *req, int64_t user_id, struct user *u)
{
	struct id_site *site = id_site_of(req);

	if (store_user_by_id(site->op->store, user_id, u) != OP_OK)
		return false;
	return !u->disabled;
}

static void
grant_code(struct request *req, const struct client *c)
{
	struct id_site *site = id_site_of(req);
	const char *code = params_get(&req->form, "code");
	const char *redirect_uri = params_get(&req->form, "redirect_uri");
	const char *verifier = params_get(&req->form, "code_verifier");
	char hash[TOKEN_HASH_LEN + 1];
	struct auth_code ac = { 0 };
	struct user u = { 0 };
	struct issue is = { 0 };
	enum op_rc rc;

	if (code == NULL || !token_wellformed(code)) {
		id_oauth_error(req, OIDC_INVALID_GRANT, "Unknown code.", false);
		return;
	}
	token_hash(code, strlen(code), hash);
	rc = store_code_consume(site->op->store, hash, site->op->now(), &ac);
	if (rc == OP_E_CONFLICT) {
		/* A replayed code: whoever used it first may be an attacker;
		 * revoke what it issued (RFC 6749 4.1.2). */
		store_token_revoke_family(site->op->store, hash);
		id_audit(req, "token.code_reused", ac.user_id, ac.client_id);
		id_oauth_error(req, OIDC_INVALID_GRANT,
			       "The code was already used.", false);
		goto out;
	}
	if (rc != OP_OK) {
		id_oauth_error(req, rc == OP_E_STORE
				       ? OIDC_TEMPORARILY_UNAVAILABLE
				       : OIDC_INVALID_GRANT,
			       "Unknown or expired code.", false);
		goto out;
	}
	if (strcmp(ac.client_id, c->client_id) != 0 || redirect_uri == NULL ||
	    strcmp(redirect_uri, ac.redirect_uri) != 0) {
		id_oauth_error(req, OIDC_INVALID_GRANT,
			       "The code was issued to another client or "
			       "redirect_uri.", false);
		goto out;
	}
	if (ac.code_challenge != NULL
		    ? verifier == NULL ||
			      !jose_pkce_s256_ok(verifier, ac.code_challenge)
		    : verifier != NULL) {
		id_oauth_error(req, OIDC_INVALID_GRANT,
			       "PKCE verification failed.", false);
		goto out;
	}
	if (!grant_user(req, ac.user_id, &u)) {
		id_oauth_error(req, OIDC_INVALID_GRANT, "The ID is gone.",
			       false);
		goto out;
	}
	is = (struct issue){ .client = c, .user = &u, .scope = ac.scope,
			     .family = hash, .sid = ac.sid, .nonce = ac.nonce,
			     .auth_time = ac.auth_time };
	respond_tokens(req, &is);
	id_audit(req, "token.issued", u.id, c->client_id);
out:
	auth_code_release(&ac);
	user_release(&u);
}

static void
grant_refresh(struct request *req, const struct client *c)
{
	struct id_site *site = id_site_of(req);
	const char *rt = params_get(&req->form, "refresh_token");
	const char *scope = params_get(&req->form, "scope");
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t = { 0 };
	struct user u = { 0 };
	struct issue is = { 0 };
	enum op_rc rc;

	if (rt == NULL || !token_wellformed(rt)) {
		id_oauth_error(req, OIDC_INVALID_GRANT, "Unknown refresh token.",
			       false);
		return;
	}
	token_hash(rt, strlen(rt), hash);
	/* Refuse what can be refused before spending anything: a request
	 * that fails for the client's binding or the scope changes nothing
	 * (RFC 6749 5.2), so the owner's token stays usable. */
	rc = store_token_get(site->op->store, hash, site->op->now(), &t);
	if (rc == OP_OK) {
		if (t.kind != OAUTH_REFRESH ||
		    strcmp(t.client_id, c->client_id) != 0) {
			id_oauth_error(req, OIDC_INVALID_GRANT,
				       "Unknown, expired or revoked refresh "
				       "token.", false);
			goto out;
		}
		if (scope != NULL && !oidc_scope_subset(scope, t.scope)) {
			id_oauth_error(req, OIDC_INVALID_SCOPE,
				       "The scope exceeds the original grant.",
				       false);
			goto out;
		}
		oauth_token_release(&t);
	} else if (rc == OP_E_STORE) {
		id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL, false);
		goto out;
	}
	rc = store_token_use_refresh(site->op->store, hash, site->op->now(),
				     &t);
	if (rc == OP_E_CONFLICT) {
		/* A spent refresh token presented again: it has leaked, or
		 * the real client lost a race with a thief. Revoke it all. */
		store_token_revoke_family(site->op->store, t.family);
		id_audit(req, "token.refresh_reused", t.user_id, t.client_id);
		id_oauth_error(req, OIDC_INVALID_GRANT,
			       "The refresh token was already used.", false);
		goto out;
	}
	if (rc != OP_OK || strcmp(t.client_id, c->client_id) != 0) {
		id_oauth_error(req, rc == OP_E_STORE
				       ? OIDC_TEMPORARILY_UNAVAILABLE
				       : OIDC_INVALID_GRANT,
			       "Unknown, expired or revoked refresh token.",
			       false);
		goto out;
	}
	if (!grant_user(req, t.user_id, &u)) {
		id_oauth_error(req, OIDC_INVALID_GRANT, "The ID is gone.",
			       false);
		goto out;
	}
	is = (struct issue){ .client = c, .user = &u,
			     .scope = scope != NULL
					? oidc_scope_filter(req->arena, scope)
					: t.scope,
			     .refresh_scope = t.scope,
			     .family = t.family, .sid = t.sid,
			     .auth_time = t.auth_time };
	/* A narrower access token leaves the grant itself as it was: the
	 * rotated refresh token keeps the original scope. */
	respond_tokens(req, &is);
out:
	oauth_token_release(&t);
	user_release(&u);
}

void
ep_token(struct request *req)
{
	const char *grant = params_get(&req->form, "grant_type");
	struct client c;

	if (!id_client_auth(req, false, &c))
		return;
	if (grant == NULL)
		id_oauth_error(req, OIDC_INVALID_REQUEST, "grant_type is "
			       "missing.", false);
	else if (strcmp(grant, "authorization_code") == 0)
		grant_code(req, &c);
	else if (strcmp(grant, "refresh_token") == 0)
		grant_refresh(req, &c);
	else
		id_oauth_error(req, OIDC_UNSUPPORTED_GRANT_TYPE, NULL, false);
	client_release(&c);
}

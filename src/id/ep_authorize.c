/*
 * ep_authorize.c - the authorization endpoint (OIDC Core 3.1.2), its
 * resumption after sign-in, and consent.
 *
 * authorize_check validates in two stages: errors before the client and
 * its exact redirect URI are known are shown as a page; after, they go
 * back to the client. authorize_proceed then decides: sign in first
 * (keeping the request server-side under a random id), ask consent, or
 * issue a code bound to client, redirect URI, PKCE challenge and session.
 */
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "html/render.h"
#include "id/oauth.h"

/* Keeps p while the person signs in or consents; returns the id for the
 * URL (in the arena) or NULL. */
static const char *
pending_save(struct request *req, const struct authz_params *p,
	     int64_t created_at)
{
	struct id_site *site = id_site_of(req);
	char tok[TOKEN_STR_LEN + 1];
	struct authz_request r = { 0 };
	const char *id = NULL;

	token_new(tok);
	token_hash(tok, strlen(tok), r.id);
	r.params = oidc_authz_encode(req->arena, p);
	r.created_at = created_at;
	r.expires_at = site->op->now() + site->op->cfg->oidc_request_ttl_sec;
	if (store_authz_request_create(site->op->store, &r) == OP_OK)
		id = arena_strdup(req->arena, tok);
	sodium_memzero(tok, sizeof(tok));
	return id;
}

static void
error_to_client(struct request *req, const struct authz_params *p,
		enum oidc_error e, const char *why)
{
	id_redirect_params(req, p->redirect_uri, "error", oidc_error_code(e),
			   "error_description", why, "state", p->state,
			   (const char *)NULL);
}

/* Issues a code and sends the person back to the client with it. */
static void
issue_code(struct request *req, const struct client *c,
	   const struct authz_params *p)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	int64_t now = site->op->now();
	char code[TOKEN_STR_LEN + 1];
	struct auth_code ac = { 0 };

	token_new(code);
	token_hash(code, strlen(code), ac.hash);
	ac.client_id = c->client_id;
	ac.user_id = st->user_id;
	ac.redirect_uri = (char *)p->redirect_uri;
	ac.scope = (char *)p->scope;
	ac.nonce = (char *)p->nonce;
	ac.code_challenge = (char *)p->code_challenge;
	ac.sid = st->sid;
	ac.auth_time = st->auth_time;
	ac.created_at = now;
	ac.expires_at = now + site->op->cfg->oidc_code_ttl_sec;
	if (store_code_create(site->op->store, &ac) != OP_OK ||
	    store_grant_touch(site->op->store, st->user_id, c->client_id,
			      p->scope, now) != OP_OK) {
		error_to_client(req, p, OIDC_TEMPORARILY_UNAVAILABLE, NULL);
		goto out;
	}
	id_audit(req, "authorize.code", st->user_id, c->client_id);
	id_redirect_params(req, p->redirect_uri, "code", code, "state",
			   p->state, (const char *)NULL);
out:
	sodium_memzero(code, sizeof(code));
}

static void
consent_page(struct request *req, const struct client *c,
	     const struct authz_params *p, const char *id)
{
	struct tvars *v = id_page_vars(req, "Allow access?");
	struct tvars *item;

	tvars_set(v, "client_name", c->name);
	tvars_set(v, "request", id);
	item = tvars_add_item(v, "scopes");
	tvars_set(item, "text", "Know who you are: a stable identifier for "
				"your ID, not your address");
	if (oidc_scope_has(p->scope, "email")) {
		item = tvars_add_item(v, "scopes");
		tvars_set(item, "text", "Your e-mail address and whether it "
					"is verified");
	}
	if (oidc_scope_has(p->scope, "offline_access")) {
		item = tvars_add_item(v, "scopes");
		tvars_set(item, "text", "Keep access while you are away, until "
					"you remove it in Account Services");
	}
	id_render(req, 200, "consent.html");
}

/* Is a new password entry needed for this request? */
static bool
needs_login(struct request *req, const struct authz_params *p)
{
	struct id_state *st = id_state_of(req);
	int64_t now = id_site_of(req)->op->now();

	if (!st->signed_in)
		return true;
	/* Resumed after a required sign-in: satisfied only by a session
	 * started since (every sign-in starts a new one). Comparing times
	 * would be wrong within one second. */
	if (p->login_sid != NULL)
		return strcmp(p->login_sid, st->sid) == 0;
	/* max_age=0 asks for a new sign-in just as prompt=login does. */
	return p->prompt_login || p->max_age == 0 ||
	       (p->max_age > 0 && now - st->auth_time > p->max_age);
}

static bool
needs_consent(struct request *req, const struct client *c,
	      const struct authz_params *p, bool consented_now)
{
	struct id_site *site = id_site_of(req);
	struct grant g = { 0 };
	bool need;

	if (c->first_party || consented_now)
		return false;
	if (p->prompt_consent)
		return true;
	if (store_grant_get(site->op->store, id_state_of(req)->user_id,
			    c->client_id, &g) != OP_OK)
		return true;
	need = !oidc_scope_subset(p->scope, g.scope);
	grant_release(&g);
	return need;
}

static void
authorize_proceed(struct request *req, const struct client *c,
		  struct authz_params *p, int64_t created_at,
		  bool consented_now)
{
	struct id_state *st = id_state_of(req);
	const char *id, *to;

	if (needs_login(req, p)) {
		if (p->prompt_none) {
			error_to_client(req, p, OIDC_LOGIN_REQUIRED, NULL);
			return;
		}
		if (p->login_sid == NULL)
			p->login_sid = st->signed_in ? st->sid : "-";
		id = pending_save(req, p, created_at);
		if (id == NULL) {
			error_to_client(req, p, OIDC_TEMPORARILY_UNAVAILABLE,
					NULL);
			return;
		}
		to = arena_asprintf(req->arena, "/signin?return_to=%s",
				    url_encode(req->arena, arena_asprintf(
					req->arena, "/authorize/resume?id=%s",
					id)));
		if (p->login_hint != NULL)
			to = arena_asprintf(req->arena, "%s&email=%s", to,
					    url_encode(req->arena,
						       p->login_hint));
		response_redirect(req, 302, to);
		return;
	}
	if (needs_consent(req, c, p, consented_now)) {
		if (p->prompt_none) {
			error_to_client(req, p, OIDC_CONSENT_REQUIRED, NULL);
			return;
		}
		id = pending_save(req, p, created_at);
		if (id == NULL) {
			error_to_client(req, p, OIDC_TEMPORARILY_UNAVAILABLE,
					NULL);
			return;
		}
		consent_page(req, c, p, id);
		return;
	}
	issue_code(req, c, p);
}

/* Stage 1 and the client lookup; answers with a page on failure. */
static bool
authorize_client(struct request *req, const struct authz_params *p,
		 struct client *c)
{
	struct id_site *site = id_site_of(req);
	enum op_rc rc = store_client_get(site->op->store, p->client_id, c);

	if (rc == OP_E_NOTFOUND) {
		id_error(req, 400, "The site that sent you here is not "
			 "registered with this ID service.");
		return false;
	}
	if (rc != OP_OK) {
		id_error(req, 503, "Try again shortly.");
		return false;
	}
	if (!oidc_uri_listed(c->redirect_uris, p->redirect_uri)) {
		id_error(req, 400, "The site that sent you here asked to "
			 "return to an address it has not registered.");
		client_release(c);
		return false;
	}
	return true;
}

void
ep_authorize(struct request *req)
{
	const struct params *q = req->method == HTTP_POST ? &req->form
							  : &req->query;
	struct authz_params p;
	struct client c = { 0 };
	const char *why = NULL;
	enum oidc_error e;

	e = oidc_authz_parse_client(q, &p, &why);
	if (e != OIDC_OK) {
		id_error(req, 400, why);
		return;
	}
	if (!authorize_client(req, &p, &c))
		return;
	e = oidc_authz_validate(q, req->arena, c.secret_hash == NULL, &p, &why);
	if (e != OIDC_OK)
		error_to_client(req, &p, e, why);
	else
		authorize_proceed(req, &c, &p, id_site_of(req)->op->now(),
				  false);
	client_release(&c);
}

void
ep_authorize_resume(struct request *req)
{
	const char *id = params_get(&req->query, "id");
	struct authz_params p;
	struct client c = { 0 };
	int64_t created_at;

	if (!id_pending_get(req, id, &p, &created_at)) {
		id_error(req, 400, "This sign-in request has expired. Go back "
			 "to the site you came from and try again.");
		return;
	}
	if (!authorize_client(req, &p, &c))
		return;
	authorize_proceed(req, &c, &p, created_at, false);
	client_release(&c);
}

void
ep_consent(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *id = params_get(&req->form, "request");
	const char *decision = params_get(&req->form, "decision");
	struct authz_params p;
	struct client c = { 0 };
	char hash[TOKEN_HASH_LEN + 1];
	int64_t created_at;

	if (!id_pending_get(req, id, &p, &created_at)) {
		id_error(req, 400, "This request has expired. Go back to the "
			 "site you came from and try again.");
		return;
	}
	token_hash(id, strlen(id), hash);
	store_authz_request_delete(site->op->store, hash);
	if (!authorize_client(req, &p, &c))
		return;
	if (decision == NULL || strcmp(decision, "allow") != 0) {
		id_audit(req, "consent.denied", id_state_of(req)->user_id,
			 c.client_id);
		error_to_client(req, &p, OIDC_ACCESS_DENIED,
				"The person did not allow access.");
	} else {
		id_audit(req, "consent.granted", id_state_of(req)->user_id,
			 c.client_id);
		authorize_proceed(req, &c, &p, created_at, true);
	}
	client_release(&c);
}

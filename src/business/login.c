/*
 * login.c - signing in to a portal through its OpenID provider: the
 * authorization request (state, nonce, PKCE kept server-side, the state
 * also in a cookie that binds the flow to this browser), the callback,
 * and the business session. The business site knows a person by the
 * provider's issuer and subject, never by e-mail address.
 */
#include <string.h>

#include <sodium.h>

#include "business/business.h"
#include "business/rp.h"
#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "html/render.h"
#include "store/store.h"

#define LOGIN_TTL_SEC 1800

static void
set_cookie(struct request *req, const char *name, const char *value,
	   int64_t max_age)
{
	struct cookie_spec c = { 0 };

	c.name = name;
	c.value = value;
	c.max_age = max_age;
	c.secure = biz_site_of(req)->secure_cookies;
	response_cookie(req, &c);
}

void
biz_login_start(struct request *req, struct biz_portal *p,
		const char *purpose, const char *link_hash,
		const char *return_to)
{
	struct biz_site *site = biz_site_of(req);
	struct rp_endpoints e;
	struct rp_request r;
	struct biz_login l = { 0 };
	struct op_err err = { 0 };
	bool associate = strcmp(purpose, "associate") == 0;
	struct rp_auth_params ap = {
		.client_id = p->client_id,
		.redirect_uri = p->redirect_uri,
		.scope = "openid email",
		.prompt = associate ? "login" : NULL,
		.max_age = associate ? 0 : -1,
		.req = &r,
	};
	int64_t now = site->op->now();

	if (!p->ready) {
		biz_error(req, 503, "This portal is not connected to a sign-in "
			  "service yet.");
		return;
	}
	if (rp_endpoints(site->rp, p->issuer, req->arena, &e, &err) != OP_OK) {
		log_warnx("provider '%s': %s", p->issuer, err.msg);
		biz_error(req, 502, "The sign-in service cannot be reached "
			  "just now. Try again shortly.");
		return;
	}
	rp_request_new(&r);
	token_hash(r.state, strlen(r.state), l.state_hash);
	l.portal = (char *)p->slug;
	l.nonce = r.nonce;
	l.verifier = r.verifier;
	l.purpose = (char *)purpose;
	l.link_hash = (char *)link_hash;
	l.return_to = (char *)return_to;
	l.created_at = now;
	l.expires_at = now + LOGIN_TTL_SEC;
	if (store_biz_login_create(site->op->store, &l) != OP_OK) {
		biz_error(req, 503, "Try again shortly.");
		goto out;
	}
	set_cookie(req, BIZ_COOKIE_LOGIN, r.state, LOGIN_TTL_SEC);
	response_redirect(req, req->method == HTTP_POST ? 303 : 302,
			  rp_auth_url(req->arena, &e, &ap));
out:
	sodium_memzero(&r, sizeof(r));
}

/* Starts a business session for the identity. */
static enum op_rc
session_start(struct request *req, const struct rp_identity *id)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	char tok[TOKEN_STR_LEN + 1], canon[EMAIL_MAX + 1];
	struct biz_session s = { 0 };
	int64_t now = site->op->now();
	enum op_rc rc;

	/* A sign-in replaces this browser's earlier session. */
	if (st->signed_in)
		store_biz_session_delete(site->op->store, st->session_hash);
	token_new(tok);
	token_hash(tok, strlen(tok), s.hash);
	s.issuer = (char *)id->issuer;
	s.subject = (char *)id->subject;
	/* Display only, and from any provider: keep it only if it is an
	 * address we would accept. */
	s.email = id->email != NULL && email_canonical(id->email, canon)
			  ? (char *)id->email : NULL;
	s.id_token = (char *)id->id_token;
	s.auth_time = id->auth_time;
	s.created_at = now;
	s.expires_at = now + site->op->cfg->business_session_hours * 3600;
	rc = store_biz_session_create(site->op->store, &s);
	if (rc == OP_OK) {
		set_cookie(req, BIZ_COOKIE_SESSION, tok, -1);
		st->signed_in = true;
		memcpy(st->session_hash, s.hash, sizeof(st->session_hash));
		st->issuer = id->issuer;
		st->subject = id->subject;
		st->email = s.email;
		st->id_token = id->id_token;
		st->profile_id = 0;
		st->auth_time = id->auth_time;
	}
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

const char *
biz_session_end(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	struct rp_endpoints e;
	struct op_err err = { 0 };
	const char *to = "/?state=signed-out";
	char *url;
	size_t i;

	if (!st->signed_in)
		return to;
	store_biz_session_delete(site->op->store, st->session_hash);
	set_cookie(req, BIZ_COOKIE_SESSION, "", 0);
	/* Sign out of the provider too (RP-initiated logout), through the
	 * client of a portal at the session's issuer. */
	for (i = 0; i < site->n_portals; i++) {
		struct biz_portal *p = &site->portals[i];

		if (!p->ready || strcmp(p->issuer, st->issuer) != 0)
			continue;
		if (rp_endpoints(site->rp, p->issuer, req->arena, &e, &err) !=
		    OP_OK)
			break;
		url = rp_logout_url(req->arena, &e, st->id_token, p->client_id,
				    biz_url(req, "/"));
		/* The provider hands state back: the home page then says the
		 * person is signed out. */
		if (url != NULL)
			url = arena_asprintf(req->arena, "%s&state=signed-out",
					     url);
		if (url != NULL)
			to = url;
		break;
	}
	st->signed_in = false;
	return to;
}

/* The provider sent the person back with an error instead of a code. */
static void
callback_error(struct request *req, const char *error)
{
	if (strcmp(error, "access_denied") == 0)
		biz_error(req, 403, "Sign-in was cancelled.");
	else
		biz_error(req, 400, "The sign-in service could not sign you "
			  "in. Go back to the portal and try again.");
}

/* Checks the state against the cookie and takes the pending sign-in. */
static bool
take_login(struct request *req, struct biz_login *l)
{
	struct biz_site *site = biz_site_of(req);
	const char *state = params_get(&req->query, "state");
	const char *cookie = params_get(&req->cookies, BIZ_COOKIE_LOGIN);
	char hash[TOKEN_HASH_LEN + 1];

	if (state == NULL || cookie == NULL || !token_wellformed(state) ||
	    !token_equal(state, cookie)) {
		biz_audit(req, "signin.state_mismatch", NULL);
		biz_error(req, 400, "This sign-in did not start in this "
			  "browser, or it has expired. Go back to the portal "
			  "and try again.");
		return false;
	}
	token_hash(state, strlen(state), hash);
	if (store_biz_login_take(site->op->store, hash, site->op->now(), l) !=
	    OP_OK) {
		biz_error(req, 400, "This sign-in has expired or was already "
			  "used. Go back to the portal and try again.");
		return false;
	}
	set_cookie(req, BIZ_COOKIE_LOGIN, "", 0);
	return true;
}

void
ep_biz_callback(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_portal *p = biz_portal_of(req);
	const char *code = params_get(&req->query, "code");
	const char *error = params_get(&req->query, "error");
	const char *iss = params_get(&req->query, "iss");
	struct rp_client cl;
	struct rp_request r = { 0 };
	struct rp_endpoints e;
	struct rp_identity id;
	struct biz_login l = { 0 };
	struct op_err err = { 0 };

	if (p == NULL || !take_login(req, &l))
		goto out;
	if (strcmp(l.portal, p->slug) != 0) {
		biz_error(req, 400, "This sign-in belongs to another portal.");
		goto out;
	}
	/* RFC 9207: a response naming another issuer is a mix-up. */
	if (iss != NULL && strcmp(iss, p->issuer) != 0) {
		biz_error(req, 400, "The answer came from another sign-in "
			  "service.");
		goto out;
	}
	if (error != NULL || code == NULL) {
		callback_error(req, error != NULL ? error : "");
		goto out;
	}
	if (rp_endpoints(site->rp, p->issuer, req->arena, &e, &err) != OP_OK) {
		biz_error(req, 502, "The sign-in service cannot be reached.");
		goto out;
	}
	cl = (struct rp_client){ p->client_id, p->client_secret,
				 p->redirect_uri };
	memcpy(r.nonce, l.nonce, strnlen(l.nonce, sizeof(r.nonce) - 1));
	memcpy(r.verifier, l.verifier,
	       strnlen(l.verifier, sizeof(r.verifier) - 1));
	if (rp_finish(site->rp, &e, &cl, code, &r, req->arena, &id, &err) !=
	    OP_OK) {
		log_warnx("sign-in at '%s' refused: %s", p->issuer, err.msg);
		biz_audit(req, "signin.refused", err.msg);
		biz_error(req, 400, "The sign-in could not be verified. Go "
			  "back to the portal and try again.");
		goto out;
	}
	if (session_start(req, &id) != OP_OK) {
		biz_error(req, 503, "Try again shortly.");
		goto out;
	}
	biz_audit(req, "biz.signin", p->slug);
	if (strcmp(l.purpose, "associate") == 0 && l.link_hash != NULL)
		biz_assoc_complete(req, l.link_hash, id.issuer, id.subject,
				   id.auth_time, l.created_at);
	else
		response_redirect(req, 302, l.return_to != NULL ? l.return_to
								: p->path);
out:
	sodium_memzero(&r, sizeof(r));
	biz_login_release(&l);
}

void
ep_biz_signout(struct request *req)
{
	biz_audit(req, "biz.signout", NULL);
	response_redirect(req, 303, biz_session_end(req));
}

/*
 * oauth.c - shared pieces of the OpenID Connect endpoints.
 */
#include <stdarg.h>
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "id/oauth.h"
#include "oidc/json.h"

void
id_json(struct request *req, int status, json_t *v)
{
	buf_reset(&req->body);
	if (json_dump_buf(v, &req->body) != OP_OK) {
		buf_reset(&req->body);
		buf_adds(&req->body, "{\"error\":\"server_error\"}");
		status = 500;
	}
	json_decref(v);
	req->status = status;
	req->content_type = "application/json";
	response_header(req, "Cache-Control", "no-store");
	response_header(req, "Pragma", "no-cache");
}

void
id_oauth_error(struct request *req, enum oidc_error e, const char *why,
	       bool basic_failed)
{
	json_t *o = json_object();
	int status = oidc_error_status(e);

	json_object_set_new(o, "error", json_string(oidc_error_code(e)));
	if (why != NULL)
		json_object_set_new(o, "error_description", json_string(why));
	if (e == OIDC_INVALID_CLIENT && !basic_failed)
		status = 400;
	if (e == OIDC_INVALID_CLIENT && basic_failed)
		response_header(req, "WWW-Authenticate",
				"Basic realm=\"onepass\", charset=\"UTF-8\"");
	id_json(req, status, o);
}

void
id_secret_hash(const char *secret, char out[TOKEN_HASH_LEN + 1])
{
	token_hash(secret, strlen(secret), out);
}

bool
id_client_auth(struct request *req, bool require_secret, struct client *out)
{
	struct id_site *site = id_site_of(req);
	struct client_creds cr;
	bool basic_failed = false;
	char h[TOKEN_HASH_LEN + 1];
	enum op_rc rc;

	memset(out, 0, sizeof(*out));
	if (oidc_client_creds(req->arena,
			      request_header(req, "Authorization"), &req->form,
			      &cr, &basic_failed) != OIDC_OK) {
		id_oauth_error(req, OIDC_INVALID_CLIENT,
			       "Client authentication failed.", basic_failed);
		return false;
	}
	rc = store_client_get(site->op->store, cr.client_id, out);
	if (rc != OP_OK) {
		if (rc == OP_E_NOTFOUND)
			id_oauth_error(req, OIDC_INVALID_CLIENT,
				       "Client authentication failed.",
				       cr.method == CLIENT_AUTH_BASIC);
		else
			id_oauth_error(req, OIDC_TEMPORARILY_UNAVAILABLE, NULL,
				       false);
		return false;
	}
	if (out->secret_hash == NULL) {
		/* A public client proves nothing; PKCE binds its codes. */
		if (cr.method == CLIENT_AUTH_NONE && !require_secret)
			return true;
	} else if (cr.method != CLIENT_AUTH_NONE) {
		id_secret_hash(cr.client_secret, h);
		if (token_equal(h, out->secret_hash))
			return true;
	}
	id_audit(req, "client.auth_failed", 0, out->client_id);
	id_oauth_error(req, OIDC_INVALID_CLIENT, "Client authentication failed.",
		       cr.method == CLIENT_AUTH_BASIC);
	client_release(out);
	return false;
}

void
id_redirect_params(struct request *req, const char *redirect_uri, ...)
{
	struct id_site *site = id_site_of(req);
	struct buf b;
	const char *name, *value;
	char sep = strchr(redirect_uri, '?') != NULL ? '&' : '?';
	va_list ap;

	buf_init(&b, 16384);
	buf_adds(&b, redirect_uri);
	va_start(ap, redirect_uri);
	for (;;) {
		name = va_arg(ap, const char *);
		if (name == NULL)
			break;
		value = va_arg(ap, const char *);
		if (value == NULL)
			continue;
		buf_addf(&b, "%c%s=%s", sep, name, url_encode(req->arena, value));
		sep = '&';
	}
	va_end(ap);
	buf_addf(&b, "%ciss=%s", sep,
		 url_encode(req->arena, site->op->cfg->id_public_url));
	response_redirect(req, req->method == HTTP_POST ? 303 : 302,
			  arena_strdup(req->arena, buf_str(&b)));
	buf_release(&b);
}

bool
id_pending_get(struct request *req, const char *id, struct authz_params *p,
	       int64_t *created_at)
{
	struct id_site *site = id_site_of(req);
	struct authz_request r = { 0 };
	char hash[TOKEN_HASH_LEN + 1];
	bool found = false;

	if (id == NULL || !token_wellformed(id))
		return false;
	token_hash(id, strlen(id), hash);
	if (store_authz_request_get(site->op->store, hash, site->op->now(),
				    &r) != OP_OK)
		return false;
	if (oidc_authz_decode(req->arena, r.params, 64, p) == OP_OK) {
		*created_at = r.created_at;
		found = true;
	}
	authz_request_release(&r);
	return found;
}

const char *
id_pending_client_name(struct request *req, const char *id)
{
	struct id_site *site = id_site_of(req);
	struct authz_params p;
	struct client c = { 0 };
	const char *name = NULL;
	int64_t created;

	if (!id_pending_get(req, id, &p, &created))
		return NULL;
	if (store_client_get(site->op->store, p.client_id, &c) == OP_OK)
		name = arena_strdup(req->arena, c.name);
	client_release(&c);
	return name;
}

/*
 * ep_logout.c - RP-Initiated Logout 1.0. With a valid id_token_hint for
 * the person signed in here, sign out at once and return to the client's
 * registered post_logout_redirect_uri. Without one, ask the person first:
 * a bare link must not sign anyone out.
 */
#include <string.h>

#include "core/config.h"
#include "core/log.h"
#include "html/render.h"
#include "id/keyring.h"
#include "id/oauth.h"

struct hint {
	bool valid;
	const char *sub;
	const char *aud;
};

/* Checks an ID token issued here (expired ones are fine as hints). */
static void
parse_hint(struct request *req, const char *token, struct hint *h)
{
	struct id_site *site = id_site_of(req);
	struct jose_jws j = { 0 };
	json_t *claims = NULL;
	const char *iss, *sub, *aud;

	memset(h, 0, sizeof(*h));
	if (token == NULL ||
	    jose_jws_parse(token, strlen(token), &j, NULL) != OP_OK ||
	    keyring_verify(site->keys, &j) != OP_OK)
		goto out;
	claims = json_loadb(j.payload, j.payload_len, JSON_REJECT_DUPLICATES,
			    NULL);
	iss = json_string_value(json_object_get(claims, "iss"));
	sub = json_string_value(json_object_get(claims, "sub"));
	aud = json_string_value(json_object_get(claims, "aud"));
	if (iss == NULL || sub == NULL || aud == NULL ||
	    strcmp(iss, site->op->cfg->id_public_url) != 0)
		goto out;
	h->valid = true;
	h->sub = arena_strdup(req->arena, sub);
	h->aud = arena_strdup(req->arena, aud);
out:
	json_decref(claims);
	jose_jws_release(&j);
}

/* The signed-in person's subject, or NULL. */
static const char *
current_sub(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	struct user u = { 0 };
	const char *sub = NULL;

	if (!st->signed_in)
		return NULL;
	if (store_user_by_id(site->op->store, st->user_id, &u) == OP_OK)
		sub = arena_strdup(req->arena, u.sub);
	user_release(&u);
	return sub;
}

/* Checks that uri (may be NULL) is registered for client_id. Returns
 * false after showing an error page. name_out gets the client's name. */
static bool
check_redirect(struct request *req, const char *client_id, const char *uri,
	       const char **name_out)
{
	struct id_site *site = id_site_of(req);
	struct client c = { 0 };
	enum op_rc rc;
	bool ok;

	*name_out = NULL;
	if (client_id == NULL || client_id[0] == '\0') {
		if (uri == NULL || uri[0] == '\0')
			return true;
		id_error(req, 400, "The site that sent you here did not say "
			 "who it is, so it cannot be sent back.");
		return false;
	}
	rc = store_client_get(site->op->store, client_id, &c);
	if (rc == OP_E_STORE) {
		id_error(req, 503, "Try again in a moment.");
		return false;
	}
	if (rc != OP_OK) {
		id_error(req, 400, "The site that sent you here is not "
			 "registered with this ID service.");
		return false;
	}
	*name_out = arena_strdup(req->arena, c.name);
	ok = uri == NULL || uri[0] == '\0' ||
	     oidc_uri_listed(c.post_logout_uris, uri);
	client_release(&c);
	if (!ok)
		id_error(req, 400, "The site that sent you here asked to "
			 "return to an address it has not registered.");
	return ok;
}

static void
sign_out_and_return(struct request *req, const char *uri, const char *state)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	struct tvars *v;

	if (st->signed_in) {
		/* End every client session this session started. */
		if (store_token_revoke_sid(site->op->store, st->sid) != OP_OK)
			log_warnx("revoking tokens of a session failed");
		id_audit(req, "signout", st->user_id, "rp-initiated");
		id_session_end(req);
	}
	if (uri != NULL && uri[0] != '\0') {
		if (state != NULL && state[0] != '\0')
			uri = arena_asprintf(req->arena, "%s%cstate=%s", uri,
					     strchr(uri, '?') ? '&' : '?',
					     url_encode(req->arena, state));
		response_redirect(req, req->method == HTTP_POST ? 303 : 302,
				  uri);
		return;
	}
	v = id_page_vars(req, "Signed out");
	tvars_set_bool(v, "signed_in", false);
	tvars_set(v, "user_email", NULL);
	tvars_set_bool(v, "done", true);
	id_render(req, 200, "logout.html");
}

void
ep_logout(struct request *req)
{
	const struct params *q = req->method == HTTP_POST ? &req->form
							  : &req->query;
	const char *uri = params_get(q, "post_logout_redirect_uri");
	const char *state = params_get(q, "state");
	const char *client_id = params_get(q, "client_id");
	const char *name, *sub;
	struct tvars *v;
	struct hint h;

	parse_hint(req, params_get(q, "id_token_hint"), &h);
	if (h.valid) {
		if (client_id != NULL && strcmp(client_id, h.aud) != 0) {
			id_error(req, 400, "The logout request names two "
				 "different sites.");
			return;
		}
		client_id = h.aud;
	}
	if (!check_redirect(req, client_id, uri, &name))
		return;
	sub = current_sub(req);
	if (h.valid && (sub == NULL || strcmp(sub, h.sub) == 0)) {
		sign_out_and_return(req, uri, state);
		return;
	}
	if (!id_state_of(req)->signed_in) {
		sign_out_and_return(req, uri, state);
		return;
	}
	v = id_page_vars(req, "Sign out");
	tvars_set(v, "client_name", name);
	tvars_set(v, "client_id", client_id);
	tvars_set(v, "redirect_uri", uri);
	tvars_set(v, "state", state);
	id_render(req, 200, "logout.html");
}

void
ep_logout_confirm(struct request *req)
{
	const char *uri = params_get(&req->form, "post_logout_redirect_uri");
	const char *client_id = params_get(&req->form, "client_id");
	const char *name;

	if (!check_redirect(req, client_id, uri, &name))
		return;
	sign_out_and_return(req, uri, params_get(&req->form, "state"));
}

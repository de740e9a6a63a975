/*
 * ep_password.c - /password/forgot and /password/reset.
 *
 * The forgot form answers the same whatever the address. A reset link is
 * single use, expires after [tokens] reset_ttl_sec, a newer one revokes
 * the older, and a reset signs out every session of the ID and clears the
 * sign-in throttle (so a reset always unlocks a person's own ID).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "core/token.h"
#include "html/render.h"
#include "id/id.h"
#include "store/store.h"

/* At most this many reset mails per address per hour: no mail bombing. */
#define RESET_MAILS_PER_HOUR 5

bool
id_new_password_ok(struct request *req, const char *pw, const char *pw2,
		   const char *email, char *problem, size_t size)
{
	struct id_site *site = id_site_of(req);
	enum password_problem pp;

	if (pw == NULL || pw2 == NULL || strcmp(pw, pw2) != 0) {
		snprintf(problem, size, "%s",
			 "The two passwords are not the same.");
		return false;
	}
	pp = password_judge(&site->pw, pw, email);
	if (pp != PASSWORD_OK) {
		password_problem_text(pp, &site->pw, problem, size);
		return false;
	}
	return true;
}

static void
send_reset(struct request *req, const struct user *u)
{
	struct id_site *site = id_site_of(req);
	struct store *store = site->op->store;
	int64_t now = site->op->now();
	char tok[TOKEN_STR_LEN + 1], key[EMAIL_MAX + 16];
	struct onetime t = { 0 };
	struct tvars *v;
	int n = 0;

	snprintf(key, sizeof(key), "reset:%s", u->email_canon);
	if (store_throttle_hit(store, key, now, 3600, &n) != OP_OK ||
	    n > RESET_MAILS_PER_HOUR) {
		id_audit(req, "password.reset_throttled", u->id, NULL);
		return;
	}
	if (store_onetime_revoke_user(store, ONETIME_RESET, u->id) != OP_OK)
		return;
	token_new(tok);
	token_hash(tok, strlen(tok), t.hash);
	t.kind = ONETIME_RESET;
	t.user_id = u->id;
	t.created_at = now;
	t.expires_at = now + site->op->cfg->tokens_reset_ttl_sec;
	if (store_onetime_create(store, &t) != OP_OK)
		goto out;
	v = tvars_new(req->arena);
	tvars_set(v, "link", id_url(req, arena_asprintf(req->arena,
			"/password/reset?token=%s", tok)));
	tvars_setf(v, "ttl_minutes", "%ld",
		   (site->op->cfg->tokens_reset_ttl_sec + 59) / 60);
	tvars_set(v, "email", u->email);
	if (id_mail(req, u->email, "Reset your password", "mail_reset", v) ==
	    OP_OK)
		id_audit(req, "password.reset_requested", u->id, NULL);
out:
	sodium_memzero(tok, sizeof(tok));
}

void
ep_forgot(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, "Forgot your password?");
	const char *email;
	char canon[EMAIL_MAX + 1];
	struct user u = { 0 };
	enum op_rc rc;

	if (req->method != HTTP_POST) {
		tvars_set(v, "email", params_get(&req->query, "email"));
		id_render(req, 200, "forgot.html");
		return;
	}
	email = params_get(&req->form, "email");
	if (email == NULL || !email_canonical(email, canon)) {
		tvars_set(v, "email", email);
		tvars_set(v, "error", "Type a valid e-mail address, like "
				      "name@example.com.");
		id_render(req, 200, "forgot.html");
		return;
	}
	rc = store_user_by_email(site->op->store, canon, &u);
	if (rc == OP_E_STORE) {
		id_error(req, 503, "Try again in a moment.");
		return;
	}
	if (rc == OP_OK && !u.disabled)
		send_reset(req, &u);
	user_release(&u);
	tvars_set(v, "email", email);
	tvars_set_bool(v, "sent", true);
	id_render(req, 200, "forgot.html");
}

static void
reset_page(struct request *req, int status, const char *tok,
	   const char *error)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, "Choose a new password");

	tvars_set(v, "token", tok);
	tvars_setf(v, "min_length", "%zu", site->pw.min_length);
	tvars_set(v, "error", error);
	id_render(req, status, "reset.html");
}

static void
reset_invalid(struct request *req, int status)
{
	struct tvars *v = id_page_vars(req, "Choose a new password");

	tvars_set_bool(v, "invalid", true);
	id_render(req, status, "reset.html");
}

static void
reset_post(struct request *req, const char *tok, const char *hash)
{
	struct id_site *site = id_site_of(req);
	struct store *store = site->op->store;
	const char *pw = params_get(&req->form, "password");
	const char *pw2 = params_get(&req->form, "password2");
	char problem[256], newhash[PASSWORD_HASH_MAX];
	struct onetime t = { 0 };
	struct user u = { 0 };
	int64_t now = site->op->now();
	struct tvars *v;
	enum op_rc rc;

	/* Judge the password before spending the link. */
	rc = store_onetime_peek(store, ONETIME_RESET, hash, now, &t);
	if (rc == OP_OK)
		rc = store_user_by_id(store, t.user_id, &u);
	if (rc != OP_OK) {
		if (rc == OP_E_STORE)
			id_error(req, 503, "Try again in a moment.");
		else
			reset_invalid(req, 400);
		goto out;
	}
	if (!id_new_password_ok(req, pw, pw2, u.email_canon, problem,
				sizeof(problem))) {
		reset_page(req, 200, tok, problem);
		goto out;
	}
	if (password_hash(&site->pw, pw, newhash) != OP_OK) {
		id_error(req, 503, "Try again in a moment.");
		goto out;
	}
	/* Spending the link and setting the password are one: a failure
	 * leaves the link usable and the old password in place. */
	onetime_release(&t);
	rc = store_begin(store);
	if (rc == OP_OK)
		rc = store_onetime_consume(store, ONETIME_RESET, hash, now, &t);
	if (rc == OP_OK)
		rc = store_user_set_password(store, u.id, newhash);
	if (rc == OP_OK)
		rc = store_user_clear_failures(store, u.id);
	if (rc == OP_OK)
		rc = store_session_delete_user(store, u.id, NULL);
	if (rc == OP_OK)
		rc = store_commit(store);
	if (rc != OP_OK) {
		store_rollback(store);
		if (rc == OP_E_NOTFOUND || rc == OP_E_EXPIRED)
			reset_invalid(req, 400);
		else
			id_error(req, 503, "Your password could not be "
				 "changed. Try again shortly.");
		goto out;
	}
	store_throttle_clear(store, arena_asprintf(req->arena, "signin:%s",
						   u.email_canon));
	id_audit(req, "password.reset", u.id, NULL);
	id_mail_password_changed(req, u.email);
	/* This browser's own session, if any, was one of them. */
	id_session_end(req);
	v = id_page_vars(req, "Password changed");
	tvars_set_bool(v, "signed_in", false);
	tvars_set(v, "user_email", NULL);
	tvars_set_bool(v, "done", true);
	id_render(req, 200, "reset.html");
out:
	sodium_memzero(newhash, sizeof(newhash));
	onetime_release(&t);
	user_release(&u);
}

void
ep_reset(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const struct params *p = req->method == HTTP_POST ? &req->form
							  : &req->query;
	const char *tok = params_get(p, "token");
	char hash[TOKEN_HASH_LEN + 1];
	struct onetime t = { 0 };
	enum op_rc rc;

	if (tok == NULL || !token_wellformed(tok)) {
		reset_invalid(req, 400);
		return;
	}
	token_hash(tok, strlen(tok), hash);
	if (req->method == HTTP_POST) {
		reset_post(req, tok, hash);
		return;
	}
	rc = store_onetime_peek(site->op->store, ONETIME_RESET, hash,
				site->op->now(), &t);
	if (rc != OP_OK) {
		if (rc == OP_E_STORE)
			id_error(req, 503, "Try again in a moment.");
		else
			reset_invalid(req, 400);
		return;
	}
	onetime_release(&t);
	reset_page(req, 200, tok, NULL);
}

/*
 * ep_signup.c - /signup ("Get an ID") and /verify.
 *
 * No enumeration: an address that already has an ID gets the same page as
 * a new sign-up, costs the same password hash, and its owner is mailed a
 * notice instead of a verification link. Sign-up does not sign in (that
 * would tell the two cases apart); the ID works at once at /signin.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "core/token.h"
#include "html/render.h"
#include "id/id.h"
#include "store/store.h"

static void
signup_page(struct request *req, int status, const char *email,
	    const char *return_to, const char *error)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, "Get an ID");

	tvars_set(v, "email", email);
	tvars_set(v, "return_to", return_to);
	tvars_setf(v, "min_length", "%zu", site->pw.min_length);
	tvars_setf(v, "max_length", "%zu", site->pw.max_length);
	tvars_set(v, "error", error);
	id_render(req, status, "signup.html");
}

enum op_rc
id_send_verification(struct request *req, int64_t user_id, const char *email)
{
	struct id_site *site = id_site_of(req);
	int64_t now = site->op->now();
	char tok[TOKEN_STR_LEN + 1];
	struct onetime t = { 0 };
	struct tvars *v;
	enum op_rc rc;

	token_new(tok);
	token_hash(tok, strlen(tok), t.hash);
	t.kind = ONETIME_VERIFY;
	t.user_id = user_id;
	t.data = (char *)email;
	t.created_at = now;
	t.expires_at = now + site->op->cfg->tokens_verify_ttl_sec;
	rc = store_onetime_create(site->op->store, &t);
	if (rc != OP_OK)
		goto out;
	v = tvars_new(req->arena);
	tvars_set(v, "email", email);
	tvars_set(v, "link", id_url(req, arena_asprintf(req->arena,
						       "/verify?token=%s", tok)));
	rc = id_mail(req, email, "Verify your e-mail address", "mail_verify",
		     v);
out:
	sodium_memzero(tok, sizeof(tok));
	return rc;
}

static void
mail_exists_notice(struct request *req, const char *email)
{
	struct tvars *v = tvars_new(req->arena);

	tvars_set(v, "email", email);
	tvars_set(v, "signin_link", id_url(req, "/signin"));
	tvars_set(v, "forgot_link", id_url(req, "/password/forgot"));
	tvars_set(v, "link", id_url(req, "/signin"));
	id_mail(req, email, "You already have an ID", "mail_signup_exists", v);
}

static void
signup_done(struct request *req, const char *email, const char *return_to)
{
	struct tvars *v = id_page_vars(req, "Check your inbox");
	const char *cont = "/signin";

	tvars_set(v, "email", email);
	tvars_set(v, "return_to", return_to);
	if (return_to != NULL)
		cont = arena_asprintf(req->arena, "/signin?return_to=%s",
				      url_encode(req->arena, return_to));
	tvars_set(v, "continue_url", cont);
	id_render(req, 200, "signup_done.html");
}

/* Creates the user; returns OP_E_EXISTS when the address is taken. */
static enum op_rc
create_user(struct request *req, const char *email, const char *canon,
	    const char *pw, int64_t *id_out)
{
	struct id_site *site = id_site_of(req);
	char hash[PASSWORD_HASH_MAX], sub[TOKEN_STR_LEN + 1];
	struct user u = { 0 };
	enum op_rc rc;

	rc = password_hash(&site->pw, pw, hash);
	if (rc != OP_OK)
		return rc;
	token_new(sub);
	u.sub = sub;
	u.email = (char *)email;
	u.email_canon = (char *)canon;
	u.pw_hash = hash;
	u.created_at = site->op->now();
	rc = store_user_create(site->op->store, &u);
	*id_out = u.id;
	sodium_memzero(hash, sizeof(hash));
	return rc;
}

static void
signup_post(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *email = params_get(&req->form, "email");
	const char *pw = params_get(&req->form, "password");
	const char *pw2 = params_get(&req->form, "password2");
	const char *return_to = params_get(&req->form, "return_to");
	char canon[EMAIL_MAX + 1], problem[256];
	enum password_problem pp;
	int64_t id = 0;
	enum op_rc rc;

	return_to = return_to && return_to[0] ? id_safe_return(return_to, NULL)
					      : NULL;
	if (email == NULL || !email_canonical(email, canon)) {
		signup_page(req, 200, email, return_to,
			    "Type a valid e-mail address, like "
			    "name@example.com.");
		return;
	}
	if (pw == NULL || pw2 == NULL || strcmp(pw, pw2) != 0) {
		signup_page(req, 200, email, return_to,
			    "The two passwords are not the same.");
		return;
	}
	pp = password_judge(&site->pw, pw, canon);
	if (pp != PASSWORD_OK) {
		password_problem_text(pp, &site->pw, problem, sizeof(problem));
		signup_page(req, 200, email, return_to, problem);
		return;
	}
	rc = create_user(req, email, canon, pw, &id);
	if (rc == OP_E_EXISTS) {
		mail_exists_notice(req, email);
		id_audit(req, "signup.exists", 0, NULL);
	} else if (rc == OP_OK) {
		id_audit(req, "signup", id, NULL);
		if (id_send_verification(req, id, email) != OP_OK)
			log_warnx("verification mail for user %lld not queued",
				  (long long)id);
	} else {
		id_error(req, 503, "We could not create your ID just now. "
			 "Try again shortly.");
		return;
	}
	signup_done(req, email, return_to);
}

void
ep_signup(struct request *req)
{
	const char *return_to;

	if (req->method == HTTP_POST) {
		signup_post(req);
		return;
	}
	return_to = params_get(&req->query, "return_to");
	return_to = return_to ? id_safe_return(return_to, NULL) : NULL;
	signup_page(req, 200, NULL, return_to, NULL);
}

/* GET shows a button (mail scanners open links); POST verifies. */
void
ep_verify(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, "Verify your e-mail address");
	const struct params *p = req->method == HTTP_POST ? &req->form
							  : &req->query;
	const char *tok = params_get(p, "token");
	char hash[TOKEN_HASH_LEN + 1];
	struct onetime t = { 0 };
	struct user u = { 0 };
	int64_t now = site->op->now();
	enum op_rc rc;

	if (tok == NULL || !token_wellformed(tok)) {
		tvars_set_bool(v, "invalid", true);
		id_render(req, 400, "verify.html");
		return;
	}
	token_hash(tok, strlen(tok), hash);
	if (req->method != HTTP_POST)
		rc = store_onetime_peek(site->op->store, ONETIME_VERIFY, hash,
					now, &t);
	else
		rc = store_onetime_consume(site->op->store, ONETIME_VERIFY,
					   hash, now, &t);
	if (rc == OP_OK)
		rc = store_user_by_id(site->op->store, t.user_id, &u);
	/* A link for an address the ID no longer has verifies nothing. */
	if (rc == OP_OK && (t.data == NULL || strcasecmp(t.data, u.email) != 0))
		rc = OP_E_EXPIRED;
	if (rc != OP_OK) {
		tvars_set_bool(v, "invalid", true);
		id_render(req, rc == OP_E_STORE ? 503 : 400, "verify.html");
		goto out;
	}
	tvars_set(v, "token", tok);
	tvars_set(v, "email", u.email);
	if (req->method == HTTP_POST) {
		if (store_user_set_verified(site->op->store, u.id) != OP_OK) {
			id_error(req, 503, "Try again shortly.");
			goto out;
		}
		id_audit(req, "email.verified", u.id, NULL);
		tvars_set_bool(v, "done", true);
	}
	id_render(req, 200, "verify.html");
out:
	onetime_release(&t);
	user_release(&u);
}

/*
 * ep_account.c - Account Services: change password (asks the current
 * one), change e-mail address (takes effect once the new address is
 * verified), the sessions list with "sign out everywhere else", resend
 * verification, and delete the ID (asks the password).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "core/token.h"
#include "html/render.h"
#include "id/id.h"
#include "oidc/oidc.h"
#include "store/store.h"

struct list_ctx {
	struct request *req;
	struct tvars *v;
	const char *current;
};

static const char *
fmt_time(struct request *req, int64_t t)
{
	char b[64];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(b, sizeof(b), "%Y-%m-%d %H:%M UTC", &tm);
	return arena_strdup(req->arena, b);
}

static int
add_session(const struct session *s, void *arg)
{
	struct list_ctx *c = arg;
	struct tvars *item = tvars_add_item(c->v, "sessions");

	tvars_set(item, "created", fmt_time(c->req, s->created_at));
	tvars_set(item, "last_seen", fmt_time(c->req, s->last_seen_at));
	tvars_set(item, "ip", s->ip);
	tvars_set(item, "agent", s->user_agent && s->user_agent[0]
					 ? s->user_agent : "Unknown browser");
	tvars_set_bool(item, "current", strcmp(s->hash, c->current) == 0);
	tvars_set_bool(item, "persistent", s->persistent);
	return 0;
}

static int
add_site(const struct grant *g, void *arg)
{
	struct list_ctx *c = arg;
	struct tvars *item = tvars_add_item(c->v, "sites");

	tvars_set(item, "name", g->client_name);
	tvars_set(item, "client_id", g->client_id);
	tvars_set(item, "first", fmt_time(c->req, g->first_at));
	tvars_set(item, "last", fmt_time(c->req, g->last_at));
	tvars_set_bool(item, "email", oidc_scope_has(g->scope, "email"));
	tvars_set_bool(item, "offline", oidc_scope_has(g->scope,
						       "offline_access"));
	return 0;
}

/* Renders Account Services with an optional notice or error. */
static void
account_page(struct request *req, int status, const char *notice,
	     const char *error)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	struct tvars *v = id_page_vars(req, "Account Services");
	struct user u = { 0 };
	struct list_ctx c = { req, v, st->session_hash };

	if (store_user_by_id(site->op->store, st->user_id, &u) != OP_OK) {
		id_error(req, 503, "Your account could not be loaded.");
		return;
	}
	tvars_set(v, "email", u.email);
	tvars_set(v, "user_email", u.email);
	tvars_set_bool(v, "email_verified", u.email_verified);
	tvars_setf(v, "min_length", "%zu", site->pw.min_length);
	tvars_set(v, "notice", notice);
	tvars_set(v, "error", error);
	if (store_session_list_user(site->op->store, st->user_id,
				    site->op->now(), add_session, &c) != OP_OK)
		log_warnx("session list failed");
	if (store_grant_list(site->op->store, st->user_id, add_site, &c) !=
	    OP_OK)
		log_warnx("site list failed");
	user_release(&u);
	id_render(req, status, "account.html");
}

/* Post/Redirect/Get: notices travel as a fixed code, never as text. */
static void
back_to_account(struct request *req, const char *code)
{
	response_redirect(req, 303, arena_asprintf(req->arena,
						   "/account?done=%s", code));
}

static const struct {
	const char *code;
	const char *text;
} notices[] = {
	{ "password", "Your password has been changed. Your other "
		      "sessions were signed out." },
	{ "email", "We sent a link to your new address. The change takes "
		   "effect when you follow it." },
	{ "verify", "We sent a new verification link to your address." },
	{ "sessions", "You have been signed out everywhere else." },
	{ "site", "The site's access was removed. It will have to ask you "
		  "again." },
};

void
ep_account(struct request *req)
{
	const char *done = params_get(&req->query, "done");
	const char *notice = NULL;
	size_t i;

	for (i = 0; done != NULL && i < sizeof(notices) / sizeof(notices[0]);
	     i++)
		if (strcmp(done, notices[i].code) == 0)
			notice = notices[i].text;
	account_page(req, 200, notice, NULL);
}

/* Loads the signed-in user and checks field "current" against its
 * password; renders the error page itself when it returns false. */
static bool
check_current(struct request *req, struct user *u)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	const char *cur = params_get(&req->form, "current");

	if (store_user_by_id(site->op->store, st->user_id, u) != OP_OK) {
		id_error(req, 503, "Your account could not be loaded.");
		return false;
	}
	if (cur == NULL || !password_verify(u->pw_hash, cur)) {
		id_audit(req, "account.bad_password", u->id, NULL);
		account_page(req, 200, NULL, "Your current password is not "
			     "correct.");
		return false;
	}
	return true;
}

void
ep_account_password(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	const char *pw = params_get(&req->form, "password");
	const char *pw2 = params_get(&req->form, "password2");
	char problem[256], hash[PASSWORD_HASH_MAX];
	struct user u = { 0 };

	if (!check_current(req, &u))
		goto out;
	if (!id_new_password_ok(req, pw, pw2, u.email_canon, problem,
				sizeof(problem))) {
		account_page(req, 200, NULL, problem);
		goto out;
	}
	if (password_hash(&site->pw, pw, hash) != OP_OK ||
	    store_user_set_password(site->op->store, u.id, hash) != OP_OK ||
	    store_session_delete_user(site->op->store, u.id,
				      st->session_hash) != OP_OK) {
		id_error(req, 503, "Your password could not be changed.");
		goto out;
	}
	id_audit(req, "password.changed", u.id, NULL);
	id_mail_password_changed(req, u.email);
	back_to_account(req, "password");
out:
	sodium_memzero(hash, sizeof(hash));
	user_release(&u);
}

void
ep_account_email(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *email = params_get(&req->form, "email");
	char canon[EMAIL_MAX + 1], tok[TOKEN_STR_LEN + 1];
	struct user u = { 0 }, other = { 0 };
	struct onetime t = { 0 };
	struct tvars *v;
	int64_t now = site->op->now();

	if (!check_current(req, &u))
		goto out;
	if (email == NULL || !email_canonical(email, canon)) {
		account_page(req, 200, NULL, "Type a valid e-mail address.");
		goto out;
	}
	if (strcmp(canon, u.email_canon) == 0) {
		account_page(req, 200, NULL, "That is already your address.");
		goto out;
	}
	/* An address taken by another ID gets the same answer and no mail:
	 * the form must not tell who has an ID. */
	if (store_user_by_email(site->op->store, canon, &other) ==
	    OP_E_NOTFOUND) {
		token_new(tok);
		token_hash(tok, strlen(tok), t.hash);
		t.kind = ONETIME_EMAIL_CHANGE;
		t.user_id = u.id;
		t.data = (char *)email;
		t.created_at = now;
		t.expires_at = now + site->op->cfg->tokens_verify_ttl_sec;
		if (store_onetime_revoke_user(site->op->store,
					      ONETIME_EMAIL_CHANGE, u.id) ||
		    store_onetime_create(site->op->store, &t) != OP_OK) {
			id_error(req, 503, "Try again shortly.");
			goto out;
		}
		v = tvars_new(req->arena);
		tvars_set(v, "new_email", email);
		tvars_set(v, "link", id_url(req, arena_asprintf(req->arena,
				"/account/email/confirm?token=%s", tok)));
		id_mail(req, email, "Confirm your new e-mail address",
			"mail_email_change", v);
		sodium_memzero(tok, sizeof(tok));
	}
	id_audit(req, "email.change_requested", u.id, NULL);
	back_to_account(req, "email");
out:
	user_release(&u);
	user_release(&other);
}

void
ep_account_email_confirm(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct store *store = site->op->store;
	struct tvars *v = id_page_vars(req, "Confirm your new address");
	const struct params *p = req->method == HTTP_POST ? &req->form
							  : &req->query;
	const char *tok = params_get(p, "token");
	char hash[TOKEN_HASH_LEN + 1], canon[EMAIL_MAX + 1];
	struct onetime t = { 0 };
	enum op_rc rc;

	if (tok == NULL || !token_wellformed(tok)) {
		tvars_set_bool(v, "invalid", true);
		id_render(req, 400, "email_confirm.html");
		return;
	}
	token_hash(tok, strlen(tok), hash);
	if (req->method == HTTP_POST)
		rc = store_onetime_consume(store, ONETIME_EMAIL_CHANGE, hash,
					   site->op->now(), &t);
	else
		rc = store_onetime_peek(store, ONETIME_EMAIL_CHANGE, hash,
					site->op->now(), &t);
	if (rc == OP_OK && (t.data == NULL || !email_canonical(t.data, canon)))
		rc = OP_E_INVALID;
	if (rc == OP_OK && req->method == HTTP_POST) {
		rc = store_user_set_email(store, t.user_id, t.data, canon);
		if (rc == OP_OK)
			id_audit(req, "email.changed", t.user_id, NULL);
	}
	if (rc != OP_OK) {
		tvars_set_bool(v, "invalid", true);
		id_render(req, 400, "email_confirm.html");
		goto out;
	}
	tvars_set(v, "token", tok);
	tvars_set(v, "new_email", t.data);
	tvars_set_bool(v, "done", req->method == HTTP_POST);
	if (req->method == HTTP_POST && id_state_of(req)->user_id == t.user_id)
		tvars_set(v, "user_email", t.data);
	id_render(req, 200, "email_confirm.html");
out:
	onetime_release(&t);
}

void
ep_account_verify(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	struct user u = { 0 };
	char key[64];
	int n = 0;

	snprintf(key, sizeof(key), "verify-mail:%lld", (long long)st->user_id);
	if (store_user_by_id(site->op->store, st->user_id, &u) == OP_OK &&
	    !u.email_verified &&
	    store_throttle_hit(site->op->store, key, site->op->now(), 3600,
			       &n) == OP_OK && n <= 5)
		id_send_verification(req, u.id, u.email);
	user_release(&u);
	back_to_account(req, "verify");
}

void
ep_account_sessions(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);

	if (store_session_delete_user(site->op->store, st->user_id,
				      st->session_hash) != OP_OK) {
		id_error(req, 503, "Try again shortly.");
		return;
	}
	id_audit(req, "sessions.revoked", st->user_id, NULL);
	back_to_account(req, "sessions");
}

void
ep_account_delete(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const char *confirm = params_get(&req->form, "confirm");
	struct user u = { 0 };
	struct tvars *v;

	if (!check_current(req, &u))
		goto out;
	if (confirm == NULL || strcmp(confirm, "DELETE") != 0) {
		account_page(req, 200, NULL, "Type DELETE in capitals to "
			     "confirm that you want to delete your ID.");
		goto out;
	}
	if (store_user_delete(site->op->store, u.id) != OP_OK) {
		id_error(req, 503, "Your ID could not be deleted just now.");
		goto out;
	}
	id_audit(req, "user.deleted", u.id, NULL);
	id_session_end(req);
	v = id_page_vars(req, "Your ID has been deleted");
	tvars_set_bool(v, "signed_in", false);
	tvars_set(v, "user_email", NULL);
	id_render(req, 200, "deleted.html");
out:
	user_release(&u);
}

void
ep_account_site_remove(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	const char *client_id = params_get(&req->form, "client_id");
	enum op_rc rc;

	if (client_id == NULL || client_id[0] == '\0') {
		account_page(req, 400, NULL, "Choose a site.");
		return;
	}
	rc = store_grant_delete(site->op->store, st->user_id, client_id);
	if (rc != OP_OK && rc != OP_E_NOTFOUND) {
		id_error(req, 503, "Try again shortly.");
		return;
	}
	id_audit(req, "grant.removed", st->user_id, client_id);
	back_to_account(req, "site");
}

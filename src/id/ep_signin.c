/*
 * ep_signin.c - /signin and /signout.
 *
 * Throttling: per account, the first free_failures consecutive failures
 * cost nothing; after that each attempt must wait 2^(n - free) seconds
 * (capped at max_delay_sec) after the last failure, and at max_failures
 * the account needs a password reset (a mailed link, so an attacker can
 * slow a person down but never lock them out for good). Per client
 * address, ip_max_failures failures per window refuse every attempt from
 * that address. Unknown addresses are counted under the same rules, so
 * the answers never tell whether an ID exists.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "html/render.h"
#include "id/id.h"
#include "id/oauth.h"
#include "store/store.h"

#define BAD_CREDENTIALS \
	"The e-mail address or password is incorrect. Check them and try " \
	"again."
#define TOO_MANY_ACCOUNT \
	"Too many failed attempts to sign in to this ID. Wait a few " \
	"minutes and try again, or reset your password."
#define TOO_MANY_ADDRESS \
	"Too many failed sign-in attempts from your network. Wait a few " \
	"minutes and try again."

enum save_choice { SAVE_NEVER, SAVE_EMAIL, SAVE_PASSWORD };

#define RESUME_PREFIX "/authorize/resume?id="

/* "Sign in to <the site that asked>": the client of a pending
 * authorization when return_to resumes one, else the ID service. */
static const char *
site_title(struct request *req, const char *return_to)
{
	const char *name = NULL;

	if (return_to != NULL &&
	    strncmp(return_to, RESUME_PREFIX, strlen(RESUME_PREFIX)) == 0)
		name = id_pending_client_name(req, return_to +
						   strlen(RESUME_PREFIX));
	return name != NULL ? name : id_site_of(req)->op->cfg->id_name;
}

static void
signin_page(struct request *req, int status, const char *email,
	    const char *return_to, enum save_choice save, const char *error)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	struct tvars *v = id_page_vars(req, NULL);
	const char *signup = "/signup";

	tvars_set(v, "title", "Sign in");
	tvars_set(v, "site_title", site_title(req, return_to));
	tvars_set(v, "email", email);
	tvars_set(v, "return_to", return_to);
	tvars_set_bool(v, "save_password", save == SAVE_PASSWORD);
	tvars_set_bool(v, "save_email", save == SAVE_EMAIL);
	tvars_set_bool(v, "always_ask", save == SAVE_NEVER);
	tvars_set(v, "works_with", cfg->id_works_with);
	if (return_to != NULL)
		signup = arena_asprintf(req->arena, "/signup?return_to=%s",
					url_encode(req->arena, return_to));
	tvars_set(v, "signup_url", signup);
	tvars_set(v, "error", error);
	id_render(req, status, "signin.html");
}

/* The delay an account must wait after n consecutive failures. */
static int64_t
account_delay(const struct config *cfg, int n)
{
	int64_t d;
	int k = n - (int)cfg->signin_free_failures;

	if (k <= 0)
		return 0;
	if (k > 30)
		return cfg->signin_max_delay_sec;
	d = (int64_t)1 << k;
	return d > cfg->signin_max_delay_sec ? cfg->signin_max_delay_sec : d;
}

static void
set_email_cookie(struct request *req, const char *email, bool remember)
{
	struct id_site *site = id_site_of(req);
	struct cookie_spec c = { 0 };
	const char *enc = url_encode(req->arena, email);

	c.name = ID_COOKIE_EMAIL;
	c.secure = site->secure_cookies;
	if (remember && strlen(enc) < 600) {
		c.value = enc;
		c.max_age = 365 * 86400;
	} else {
		c.value = "";
		c.max_age = 0;
	}
	response_cookie(req, &c);
}

static enum save_choice
parse_save(const char *s)
{
	if (s != NULL && strcmp(s, "password") == 0)
		return SAVE_PASSWORD;
	if (s != NULL && strcmp(s, "email") == 0)
		return SAVE_EMAIL;
	return SAVE_NEVER;
}

/* The remembered address from the cookie, decoded, if it is one. */
static const char *
remembered_email(struct request *req)
{
	const char *c = params_get(&req->cookies, ID_COOKIE_EMAIL);
	char canon[EMAIL_MAX + 1];
	struct params p;
	char *q;

	if (c == NULL || c[0] == '\0')
		return NULL;
	q = arena_asprintf(req->arena, "e=%s", c);
	if (form_parse(req->arena, q, strlen(q), 2, &p) != OP_OK)
		return NULL;
	q = (char *)params_get(&p, "e");
	if (q == NULL || !email_canonical(q, canon))
		return NULL;
	return q;
}

static void
signin_get(struct request *req)
{
	const char *return_to = params_get(&req->query, "return_to");
	const char *hint = params_get(&req->query, "email");
	const char *remembered = remembered_email(req);
	const char *email = hint != NULL ? hint : remembered;
	/* The preselected choice is the one the person made last time: a
	 * remembered address means "Save my e-mail address". */
	enum save_choice save = remembered != NULL && hint == NULL
					? SAVE_EMAIL : SAVE_NEVER;

	if (return_to != NULL)
		return_to = id_safe_return(return_to, NULL);
	/* Already signed in and sent here by a site: it asked for the
	 * password again (prompt=login, max_age). Say so, and fill in the
	 * address without changing the person's save choice. */
	if (id_state_of(req)->signed_in && return_to != NULL &&
	    strncmp(return_to, RESUME_PREFIX, strlen(RESUME_PREFIX)) == 0) {
		email = id_state_of(req)->email;
		tvars_set(id_page_vars(req, NULL), "notice",
			  "For your security, this site asks you to type your "
			  "password again.");
	}
	signin_page(req, 200, email, return_to, save, NULL);
}

/* The key whose window starts at an unknown address's last failure. */
static const char *
wait_key(struct request *req, const char *acct_key)
{
	return arena_asprintf(req->arena, "%s:wait", acct_key);
}

/* Records a failure for the client address and the account. Unknown
 * addresses get the same bookkeeping through throttle keys: a count, and
 * a window restarted at each failure that stands for "last failure". */
static void
note_failure(struct request *req, const char *ip_key, const char *acct_key,
	     const struct user *u)
{
	struct id_site *site = id_site_of(req);
	struct store *store = site->op->store;
	const struct config *cfg = site->op->cfg;
	int64_t now = site->op->now();
	int n;

	if (store_throttle_hit(store, ip_key, now, cfg->signin_ip_window_sec,
			       &n) != OP_OK)
		log_warnx("throttle hit failed");
	if (u != NULL) {
		if (store_user_note_failure(store, u->id, now,
					    (int)cfg->signin_max_failures,
					    &n) != OP_OK)
			log_warnx("note failure failed");
	} else if (store_throttle_hit(store, acct_key, now, 86400, &n) !=
			   OP_OK ||
		   store_throttle_clear(store, wait_key(req, acct_key)) !=
			   OP_OK ||
		   store_throttle_hit(store, wait_key(req, acct_key), now,
				      86400, &n) != OP_OK) {
		log_warnx("throttle hit failed");
	}
	id_audit(req, "signin.failed", u ? u->id : 0, NULL);
}

/* True when the account (or unknown address) must wait now: the same
 * rule for both, so the answer never tells whether an ID exists. */
static bool
account_throttled(struct request *req, const char *acct_key,
		  const struct user *u)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	int64_t now = site->op->now();
	int64_t delay;
	int n = 0, recent = 0;

	if (u != NULL)
		return u->failed_logins > 0 &&
		       now < u->last_failed_at +
				     account_delay(cfg, u->failed_logins);
	if (store_throttle_get(site->op->store, acct_key, now, 86400, &n) !=
	    OP_OK)
		return false;
	delay = account_delay(cfg, n);
	if (delay == 0)
		return false;
	/* Still inside the delay since the last failure? */
	return store_throttle_get(site->op->store, wait_key(req, acct_key),
				  now, delay, &recent) == OP_OK &&
	       recent > 0;
}

static void
signin_post(struct request *req)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	struct store *store = site->op->store;
	const char *email = params_get(&req->form, "email");
	const char *pw = params_get(&req->form, "password");
	const char *return_to = params_get(&req->form, "return_to");
	enum save_choice save = parse_save(params_get(&req->form, "save"));
	char canon[EMAIL_MAX + 1], ip_key[128], acct_key[EMAIL_MAX + 8];
	char newhash[PASSWORD_HASH_MAX];
	struct user u = { 0 };
	bool found = false;
	int64_t now = site->op->now();
	int ip_failures = 0;
	enum op_rc rc;

	if (return_to != NULL && return_to[0] != '\0')
		return_to = id_safe_return(return_to, NULL);
	else
		return_to = NULL;
	if (email == NULL || pw == NULL || !email_canonical(email, canon) ||
	    pw[0] == '\0') {
		signin_page(req, 200, email, return_to, save,
			    "Type your e-mail address and your password.");
		return;
	}
	snprintf(ip_key, sizeof(ip_key), "signin-ip:%s", req->client_ip);
	snprintf(acct_key, sizeof(acct_key), "signin:%s", canon);
	if (store_throttle_get(store, ip_key, now, cfg->signin_ip_window_sec,
			       &ip_failures) == OP_OK &&
	    ip_failures >= cfg->signin_ip_max_failures) {
		signin_page(req, 429, email, return_to, save, TOO_MANY_ADDRESS);
		return;
	}
	rc = store_user_by_email(store, canon, &u);
	if (rc == OP_OK)
		found = true;
	else if (rc != OP_E_NOTFOUND) {
		id_error(req, 503, "The service is busy. Try again shortly.");
		return;
	}
	if (account_throttled(req, acct_key, found ? &u : NULL)) {
		signin_page(req, 429, email, return_to, save, TOO_MANY_ACCOUNT);
		goto out;
	}
	if (!found) {
		password_waste_time(&site->pw, pw);
		note_failure(req, ip_key, acct_key, NULL);
		signin_page(req, 200, email, return_to, save, BAD_CREDENTIALS);
		goto out;
	}
	if (!password_verify(u.pw_hash, pw)) {
		note_failure(req, ip_key, acct_key, &u);
		signin_page(req, 200, email, return_to, save, BAD_CREDENTIALS);
		goto out;
	}
	if (u.disabled) {
		id_audit(req, "signin.disabled", u.id, NULL);
		signin_page(req, 403, email, return_to, save,
			    "This ID has been disabled. Contact support "
			    "through the Help page.");
		goto out;
	}
	if (u.needs_reset) {
		signin_page(req, 403, email, return_to, save,
			    "For your security, this ID needs a new password "
			    "after too many failed sign-ins. Use \"Forgot "
			    "your password?\" to set one.");
		goto out;
	}
	if (password_needs_rehash(&site->pw, u.pw_hash) &&
	    password_hash(&site->pw, pw, newhash) == OP_OK) {
		if (store_user_set_password(store, u.id, newhash) == OP_OK)
			id_audit(req, "password.rehashed", u.id, NULL);
	}
	if (u.failed_logins > 0 &&
	    store_user_clear_failures(store, u.id) != OP_OK)
		log_warnx("clear failures failed");
	/* A sign-in replaces this browser's earlier session. */
	if (id_state_of(req)->signed_in)
		id_session_end(req);
	if (id_session_start(req, u.id, save == SAVE_PASSWORD, now) != OP_OK) {
		id_error(req, 503, "The service is busy. Try again shortly.");
		goto out;
	}
	set_email_cookie(req, email, save != SAVE_NEVER);
	id_audit(req, "signin.ok", u.id, save == SAVE_PASSWORD ? "persistent"
							       : NULL);
	response_redirect(req, 303, return_to ? return_to : "/account");
out:
	sodium_memzero(newhash, sizeof(newhash));
	user_release(&u);
}

void
ep_signin(struct request *req)
{
	if (req->method == HTTP_POST)
		signin_post(req);
	else
		signin_get(req);
}

void
ep_signout(struct request *req)
{
	struct id_state *st = id_state_of(req);
	struct tvars *v = id_page_vars(req, "Sign out");

	if (req->method == HTTP_POST) {
		if (st->signed_in) {
			/* Ends every client session this one started. */
			if (store_token_revoke_sid(id_site_of(req)->op->store,
						   st->sid) != OP_OK)
				log_warnx("revoking a session's tokens failed");
			id_audit(req, "signout", st->user_id, NULL);
			id_session_end(req);
		}
		v = id_page_vars(req, "Signed out");
		tvars_set_bool(v, "signed_in", false);
		tvars_set(v, "user_email", NULL);
		tvars_set_bool(v, "done", true);
	} else if (!st->signed_in) {
		tvars_set_bool(v, "done", true);
	}
	id_render(req, 200, "signout.html");
}

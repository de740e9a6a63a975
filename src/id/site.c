/*
 * site.c - the ID service's route table, its policy (session, CSRF, login
 * required) applied before every handler, and the helpers the endpoint
 * files share: page variables, rendering, errors, mail, audit.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/token.h"
#include "html/render.h"
#include "id/id.h"
#include "id/oauth.h"
#include "mail/mail.h"
#include "store/store.h"

#define FORM (ROUTE_FORM | ROUTE_CSRF)

static const struct route id_routes[] = {
	{ HTTP_GET, "/", ep_root, 0 },
	{ HTTP_GET, "/static/", ep_static, ROUTE_PREFIX },
	{ HTTP_GET | HTTP_POST, "/signup", ep_signup, FORM | ROUTE_SLOW },
	{ HTTP_GET | HTTP_POST, "/verify", ep_verify, FORM },
	{ HTTP_GET | HTTP_POST, "/signin", ep_signin, FORM | ROUTE_SLOW },
	{ HTTP_GET | HTTP_POST, "/signout", ep_signout, FORM },
	{ HTTP_GET | HTTP_POST, "/password/forgot", ep_forgot, FORM },
	{ HTTP_GET | HTTP_POST, "/password/reset", ep_reset,
	  FORM | ROUTE_SLOW },
	{ HTTP_GET, "/account", ep_account, ROUTE_AUTH },
	{ HTTP_POST, "/account/password", ep_account_password,
	  FORM | ROUTE_AUTH | ROUTE_SLOW },
	{ HTTP_POST, "/account/email", ep_account_email,
	  FORM | ROUTE_AUTH | ROUTE_SLOW },
	{ HTTP_GET | HTTP_POST, "/account/email/confirm",
	  ep_account_email_confirm, FORM },
	{ HTTP_POST, "/account/verify", ep_account_verify, FORM | ROUTE_AUTH },
	{ HTTP_POST, "/account/sessions", ep_account_sessions,
	  FORM | ROUTE_AUTH },
	{ HTTP_POST, "/account/delete", ep_account_delete,
	  FORM | ROUTE_AUTH | ROUTE_SLOW },
	{ HTTP_GET, "/help", ep_help, 0 },
	{ HTTP_POST, "/help/contact", ep_help_contact, FORM },
	{ HTTP_GET, "/privacy", ep_privacy, 0 },
	{ HTTP_GET, "/terms", ep_terms, 0 },
	{ HTTP_POST, "/account/sites/remove", ep_account_site_remove,
	  FORM | ROUTE_AUTH },
	/* OpenID Connect */
	{ HTTP_GET, "/.well-known/openid-configuration", ep_discovery, 0 },
	{ HTTP_GET, "/jwks", ep_jwks, 0 },
	{ HTTP_GET | HTTP_POST, "/authorize", ep_authorize, ROUTE_FORM },
	{ HTTP_GET, "/authorize/resume", ep_authorize_resume, 0 },
	{ HTTP_POST, "/consent", ep_consent, FORM | ROUTE_AUTH },
	{ HTTP_POST, "/token", ep_token, ROUTE_FORM | ROUTE_API },
	{ HTTP_GET | HTTP_POST, "/userinfo", ep_userinfo,
	  ROUTE_FORM | ROUTE_API },
	{ HTTP_POST, "/revoke", ep_revoke, ROUTE_FORM | ROUTE_API },
	{ HTTP_POST, "/introspect", ep_introspect, ROUTE_FORM | ROUTE_API },
	{ HTTP_GET | HTTP_POST, "/logout", ep_logout, ROUTE_FORM },
	{ HTTP_POST, "/logout/confirm", ep_logout_confirm, FORM },
};

/* No script at all; styles and images only from the service itself. No
 * form-action: browsers apply it to the redirects after a form post, and
 * sign-in and consent must end at the client's redirect URI. */
static const char id_csp[] =
	"default-src 'none'; style-src 'self'; img-src 'self' data:; "
	"frame-ancestors 'none'; base-uri 'none'";

struct id_site *
id_site_of(struct request *req)
{
	return req->site->ctx;
}

struct id_state *
id_state_of(struct request *req)
{
	if (req->state == NULL)
		req->state = arena_alloc(req->arena, sizeof(struct id_state));
	return req->state;
}


static void
csrf_conf_of(struct request *req, struct csrf_conf *c)
{
	struct id_site *site = id_site_of(req);

	c->cookie_name = ID_COOKIE_CSRF;
	c->key = site->csrf_key;
	c->secure = site->secure_cookies;
	c->origin = site->origin;
}

struct tvars *
id_page_vars(struct request *req, const char *title)
{
	struct id_state *st = id_state_of(req);
	struct id_site *site = id_site_of(req);
	struct csrf_conf cc;
	struct tm tm;
	time_t now;

	if (st->vars == NULL) {
		st->vars = tvars_new(req->arena);
		csrf_conf_of(req, &cc);
		tvars_set(st->vars, "id_name", site->op->cfg->id_name);
		tvars_set(st->vars, "csrf", csrf_token(req, &cc));
		now = (time_t)site->op->now();
		gmtime_r(&now, &tm);
		tvars_setf(st->vars, "year", "%d", tm.tm_year + 1900);
		tvars_set_bool(st->vars, "signed_in", st->signed_in);
		if (st->signed_in)
			tvars_set(st->vars, "user_email", st->email);
	}
	if (title != NULL)
		tvars_set(st->vars, "title", title);
	return st->vars;
}

void
id_render(struct request *req, int status, const char *name)
{
	struct id_site *site = id_site_of(req);
	struct tvars *v = id_page_vars(req, NULL);
	enum op_rc rc;

	buf_reset(&req->body);
	rc = render(site->tmpl, name, v, RENDER_HTML, &req->body);
	if (rc != OP_OK) {
		log_warnx("render '%s': %s", name, op_strerror(rc));
		buf_reset(&req->body);
		req->status = 500;
		req->content_type = "text/plain; charset=utf-8";
		buf_adds(&req->body, "Something went wrong.\n");
		return;
	}
	req->status = status;
}

void
id_error(struct request *req, int status, const char *message)
{
	struct tvars *v = id_page_vars(req, http_status_text(status));

	tvars_setf(v, "status", "%d", status);
	tvars_set(v, "status_text", http_status_text(status));
	tvars_set(v, "message", message);
	id_render(req, status, "error.html");
}

void
id_audit(struct request *req, const char *event, int64_t user_id,
	 const char *detail)
{
	struct id_site *site = id_site_of(req);
	struct audit_event ev = {
		.at = site->op->now(),
		.event = event,
		.user_id = user_id,
		.ip = req->client_ip,
		.detail = detail,
	};
	enum op_rc rc = store_audit_add(site->op->store, &ev);

	if (rc != OP_OK)
		log_warnx("audit '%s': %s", event, op_strerror(rc));
	log_info("event=%s user=%lld ip=%s", event, (long long)user_id,
		 req->client_ip ? req->client_ip : "-");
}

enum op_rc
id_mail(struct request *req, const char *to, const char *subject,
	const char *template, struct tvars *vars)
{
	return id_mail_reply(req, to, NULL, subject, template, vars);
}

enum op_rc
id_mail_reply(struct request *req, const char *to, const char *reply_to,
	      const char *subject, const char *template, struct tvars *vars)
{
	struct id_site *site = id_site_of(req);
	const struct config *cfg = site->op->cfg;
	struct mail_spec m = {
		.to = to,
		.from = cfg->mail_from,
		.reply_to = reply_to,
		.subject = subject,
		.template = template,
		.vars = vars,
	};
	enum op_rc rc;

	if (vars == NULL)
		m.vars = vars = tvars_new(req->arena);
	tvars_set(vars, "id_name", cfg->id_name);
	rc = mail_enqueue(site->op, site->tmpl, &m);
	if (rc != OP_OK) {
		log_warnx("mail '%s': %s", template, op_strerror(rc));
		return rc;
	}
	if (site->outbox != NULL)
		outbox_kick(site->outbox);
	return OP_OK;
}

enum op_rc
id_mail_password_changed(struct request *req, const char *to)
{
	struct tvars *v = tvars_new(req->arena);

	tvars_set(v, "link", id_url(req, "/password/forgot"));
	return id_mail(req, to, "Your password was changed",
		       "mail_password_changed", v);
}

char *
id_url(struct request *req, const char *path_and_query)
{
	struct id_site *site = id_site_of(req);

	return arena_asprintf(req->arena, "%s%s", site->op->cfg->id_public_url,
			      path_and_query);
}

const char *
id_safe_return(const char *r, const char *fallback)
{
	size_t i;

	if (r == NULL || r[0] != '/' || r[1] == '/' || r[1] == '\\')
		return fallback;
	for (i = 0; r[i] != '\0'; i++) {
		unsigned char c = (unsigned char)r[i];
		if (i >= 1024 || c <= 0x20 || c >= 0x7f || c == '\\')
			return fallback;
	}
	return r;
}

/* Loads the session named by the cookie into the request state. */
static void
load_session(struct request *req)
{
	struct id_site *site = id_site_of(req);
	struct id_state *st = id_state_of(req);
	const char *cookie = params_get(&req->cookies, ID_COOKIE_SESSION);
	struct session s = { 0 };
	struct user u = { 0 };
	int64_t now = site->op->now();
	enum op_rc rc;

	if (cookie == NULL || !token_wellformed(cookie))
		return;
	token_hash(cookie, strlen(cookie), st->session_hash);
	rc = store_session_get(site->op->store, st->session_hash, now, &s);
	if (rc == OP_OK)
		rc = store_user_by_id(site->op->store, s.user_id, &u);
	/* Broken is not absent: an outage must not look like signed out. */
	st->store_down = rc == OP_E_STORE;
	if (rc != OP_OK || u.disabled)
		goto out;
	st->signed_in = true;
	st->user_id = u.id;
	st->email = arena_strdup(req->arena, u.email);
	st->email_verified = u.email_verified;
	st->auth_time = s.auth_time;
	memcpy(st->sid, s.sid, sizeof(st->sid));
	/* Touch at most once a minute: a page view should not write. */
	if (now - s.last_seen_at >= 60 &&
	    store_session_touch(site->op->store, st->session_hash, now) != OP_OK)
		log_warnx("session touch failed");
out:
	session_release(&s);
	user_release(&u);
}

/* The policy of every route, from its flags, before its handler. */
static bool
id_before(struct request *req)
{
	struct id_state *st = id_state_of(req);
	struct csrf_conf cc;
	unsigned flags = req->route->flags;
	char *to;

	if (flags & (ROUTE_PREFIX | ROUTE_API))
		return true;	/* static files and programs: no session */
	load_session(req);
	if (st->store_down) {
		id_error(req, 503, "The service is busy. Try again in a "
			 "moment.");
		return false;
	}
	if ((flags & ROUTE_CSRF) && req->method == HTTP_POST) {
		csrf_conf_of(req, &cc);
		if (!csrf_check(req, &cc)) {
			id_error(req, 403, "This form has expired or did not "
				 "come from this site. Go back, reload the "
				 "page and try again.");
			return false;
		}
	}
	if ((flags & ROUTE_AUTH) && !st->signed_in) {
		to = arena_asprintf(req->arena, "/signin?return_to=%s",
				    url_encode(req->arena, req->path));
		response_redirect(req, req->method == HTTP_POST ? 303 : 302,
				  to);
		return false;
	}
	return true;
}

/* Paths whose callers are programs: errors as OAuth JSON. */
static bool
is_api_path(const char *path)
{
	static const char *const api[] = { "/token", "/userinfo", "/revoke",
					   "/introspect" };
	size_t i;

	for (i = 0; i < sizeof(api) / sizeof(api[0]); i++)
		if (strcmp(path, api[i]) == 0)
			return true;
	return false;
}

static void
id_error_page(struct request *req, int status, const char *msg)
{
	if (req->path != NULL && is_api_path(req->path))
		id_oauth_error(req, status == 503 ? OIDC_TEMPORARILY_UNAVAILABLE
						  : OIDC_INVALID_REQUEST,
			       msg, false);
	else
		id_error(req, status, msg);
}


enum op_rc
id_site_init(struct id_site *site, struct onepass *op,
	     const struct templates *tmpl, struct outbox *outbox,
	     struct keyring *keys)
{
	enum op_rc rc;

	memset(site, 0, sizeof(*site));
	site->op = op;
	site->tmpl = tmpl;
	site->outbox = outbox;
	site->keys = keys;
	password_params_from_config(op->cfg, &site->pw);
	rc = store_secret(op->store, "id.csrf", site->csrf_key);
	if (rc != OP_OK)
		return rc;
	site->secure_cookies = strncmp(op->cfg->id_public_url, "https:", 6) == 0;
	http_url_origin(op->cfg->id_public_url, site->origin,
			sizeof(site->origin));
	site->http.name = "id";
	site->http.routes = id_routes;
	site->http.n_routes = sizeof(id_routes) / sizeof(id_routes[0]);
	site->http.before = id_before;
	site->http.error_page = id_error_page;
	site->http.csp = id_csp;
	site->http.ctx = site;
	return OP_OK;
}

void
id_site_release(struct id_site *site)
{
	sodium_memzero(site->csrf_key, sizeof(site->csrf_key));
}

/*
 * site.c - the business site's routes (built from the configured
 * portals), its policy before every handler (session, CSRF), and the
 * helpers its endpoint files share.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "business/business.h"
#include "core/config.h"
#include "core/embed.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "html/render.h"
#include "store/store.h"

#define FORM (ROUTE_FORM | ROUTE_CSRF)

/* No script; styles and images from the site itself. */
static const char biz_csp[] =
	"default-src 'none'; style-src 'self'; img-src 'self' data:; "
	"frame-ancestors 'none'; base-uri 'none'";

static const struct route common_routes[] = {
	{ HTTP_GET, "/", ep_biz_home, 0 },
	{ HTTP_GET, "/static/", ep_biz_static, ROUTE_PREFIX },
	{ HTTP_GET, "/solution-builder", ep_biz_info, 0 },
	{ HTTP_GET, "/worldwide", ep_biz_info, 0 },
	{ HTTP_GET, "/solutions/by-need", ep_biz_info, 0 },
	{ HTTP_GET, "/solutions/by-name", ep_biz_info, 0 },
	{ HTTP_GET, "/services", ep_biz_info, 0 },
	{ HTTP_GET, "/how-to-buy", ep_biz_info, 0 },
	{ HTTP_GET, "/partners", ep_biz_info, 0 },
	{ HTTP_GET, "/search", ep_biz_search, 0 },
	{ HTTP_GET, "/search/advanced", ep_biz_search, 0 },
	{ HTTP_POST, "/signout", ep_biz_signout, FORM },
	{ HTTP_GET, "/associate", ep_biz_assoc_link, 0 },
	{ HTTP_POST, "/associate/confirm", ep_biz_assoc_confirm, FORM },
};

/* Per portal: the path and what hangs below it. */
static const struct {
	const char *suffix;
	unsigned methods;
	route_handler fn;
	unsigned flags;
} portal_routes[] = {
	{ "", HTTP_GET, ep_biz_portal, 0 },
	{ "/callback", HTTP_GET, ep_biz_callback, ROUTE_SLOW },
	{ "/profile", HTTP_POST, ep_biz_profile, FORM },
	{ "/associate", HTTP_GET | HTTP_POST, ep_biz_assoc_request, FORM },
	{ "/associate/code", HTTP_POST, ep_biz_assoc_code, FORM },
};

struct biz_site *
biz_site_of(struct request *req)
{
	return req->site->ctx;
}

struct biz_state *
biz_state_of(struct request *req)
{
	if (req->state == NULL)
		req->state = arena_alloc(req->arena, sizeof(struct biz_state));
	return req->state;
}

struct biz_portal *
biz_portal_by_slug(struct biz_site *site, const char *slug)
{
	size_t i;

	for (i = 0; slug != NULL && i < site->n_portals; i++)
		if (strcmp(site->portals[i].slug, slug) == 0)
			return &site->portals[i];
	return NULL;
}

struct biz_portal *
biz_portal_of(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	size_t i, n;

	for (i = 0; i < site->n_portals; i++) {
		n = strlen(site->portals[i].path);
		if (strncmp(req->path, site->portals[i].path, n) == 0 &&
		    (req->path[n] == '\0' || req->path[n] == '/'))
			return &site->portals[i];
	}
	return NULL;
}

bool
biz_signed_in_at(struct request *req, const struct biz_portal *p)
{
	struct biz_state *st = biz_state_of(req);

	return st->signed_in && p != NULL && p->issuer != NULL &&
	       strcmp(st->issuer, p->issuer) == 0;
}


static void
csrf_conf_of(struct request *req, struct csrf_conf *c)
{
	struct biz_site *site = biz_site_of(req);

	c->cookie_name = BIZ_COOKIE_CSRF;
	c->key = site->csrf_key;
	c->secure = site->secure_cookies;
	c->origin = site->origin;
}

static void
set_audience(struct tvars *v, const struct biz_portal *p)
{
	tvars_set_bool(v, "audience_customer",
		       strcmp(p->audience, "customer") == 0);
	tvars_set_bool(v, "audience_partner",
		       strcmp(p->audience, "partner") == 0);
}

struct tvars *
biz_page_vars(struct request *req, const char *title)
{
	struct biz_state *st = biz_state_of(req);
	struct biz_site *site = biz_site_of(req);
	const struct config *cfg = site->op->cfg;
	struct biz_portal *cur = biz_portal_of(req);
	struct csrf_conf cc;
	struct tvars *item;
	struct tm tm;
	time_t now;
	size_t i;

	if (st->vars == NULL) {
		st->vars = tvars_new(req->arena);
		csrf_conf_of(req, &cc);
		tvars_set(st->vars, "company", cfg->business_company);
		tvars_set(st->vars, "id_name", cfg->id_name);
		tvars_set(st->vars, "support_email", cfg->support_email);
		tvars_set(st->vars, "id_account_url",
			  arena_asprintf(req->arena, "%s/account",
					 cfg->id_public_url));
		tvars_set(st->vars, "csrf", csrf_token(req, &cc));
		now = (time_t)site->op->now();
		gmtime_r(&now, &tm);
		tvars_setf(st->vars, "year", "%d", tm.tm_year + 1900);
		tvars_set_bool(st->vars, "signed_in", st->signed_in);
		if (st->signed_in)
			tvars_set(st->vars, "user_email", st->email);
		for (i = 0; i < site->n_portals; i++) {
			item = tvars_add_item(st->vars, "portals");
			tvars_set(item, "name", site->portals[i].name);
			tvars_set(item, "path", site->portals[i].path);
			tvars_set_bool(item, "current",
				       cur == &site->portals[i]);
			set_audience(item, &site->portals[i]);
		}
		if (cur != NULL) {
			tvars_set(st->vars, "portal_name", cur->name);
			tvars_set(st->vars, "portal_path", cur->path);
			set_audience(st->vars, cur);
		}
	}
	if (title != NULL)
		tvars_set(st->vars, "title", title);
	return st->vars;
}

void
biz_render(struct request *req, int status, const char *name)
{
	struct biz_site *site = biz_site_of(req);
	struct tvars *v = biz_page_vars(req, NULL);
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
biz_error(struct request *req, int status, const char *message)
{
	struct tvars *v = biz_page_vars(req, http_status_text(status));

	tvars_setf(v, "status", "%d", status);
	tvars_set(v, "status_text", http_status_text(status));
	tvars_set(v, "message", message);
	biz_render(req, status, "biz_error.html");
}

void
biz_audit(struct request *req, const char *event, const char *detail)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	struct audit_event ev = {
		.at = site->op->now(),
		.event = event,
		.ip = req->client_ip,
		.detail = detail,
	};

	if (store_audit_add(site->op->store, &ev) != OP_OK)
		log_warnx("audit '%s' not written", event);
	log_info("event=%s sub=%s ip=%s", event,
		 st->subject != NULL ? st->subject : "-",
		 req->client_ip != NULL ? req->client_ip : "-");
}

char *
biz_url(struct request *req, const char *path_and_query)
{
	return arena_asprintf(req->arena, "%s%s",
			      biz_site_of(req)->op->cfg->business_public_url,
			      path_and_query);
}

void
ep_biz_static(struct request *req)
{
	const char *name = req->path + strlen("/static/");
	const struct embedded_file *f = NULL;
	const char *dot;

	if (strchr(name, '/') == NULL)
		f = embedded_find(embedded_static, name);
	if (f == NULL) {
		biz_error(req, 404, "There is no page at this address.");
		return;
	}
	dot = strrchr(name, '.');
	if (dot != NULL && strcmp(dot, ".css") == 0)
		req->content_type = "text/css; charset=utf-8";
	else if (dot != NULL && strcmp(dot, ".svg") == 0)
		req->content_type = "image/svg+xml";
	else
		req->content_type = "application/octet-stream";
	response_header(req, "Cache-Control", "public, max-age=3600");
	buf_reset(&req->body);
	if (buf_add(&req->body, f->data, f->len) != 0) {
		biz_error(req, 500, "That file is too large.");
		return;
	}
	req->status = 200;
}

/* Loads the business session named by the cookie. */
static void
load_session(struct request *req)
{
	struct biz_site *site = biz_site_of(req);
	struct biz_state *st = biz_state_of(req);
	const char *cookie = params_get(&req->cookies, BIZ_COOKIE_SESSION);
	struct biz_session s = { 0 };
	enum op_rc rc;

	if (cookie == NULL || !token_wellformed(cookie))
		return;
	token_hash(cookie, strlen(cookie), st->session_hash);
	rc = store_biz_session_get(site->op->store, st->session_hash,
				   site->op->now(), &s);
	if (rc != OP_OK) {
		/* Broken is not absent: an outage must not look like
		 * signed out (and start a new sign-in). */
		st->store_down = rc == OP_E_STORE;
		st->session_hash[0] = '\0';
		return;
	}
	st->signed_in = true;
	st->issuer = arena_strdup(req->arena, s.issuer);
	st->subject = arena_strdup(req->arena, s.subject);
	st->email = s.email != NULL ? arena_strdup(req->arena, s.email) : NULL;
	st->id_token = s.id_token != NULL ? arena_strdup(req->arena, s.id_token)
					  : NULL;
	st->profile_id = s.profile_id;
	st->auth_time = s.auth_time;
	biz_session_release(&s);
}

static bool
biz_before(struct request *req)
{
	struct csrf_conf cc;

	if (req->route->flags & ROUTE_PREFIX)
		return true;
	load_session(req);
	if (biz_state_of(req)->store_down) {
		biz_error(req, 503, "The site is busy. Try again in a moment.");
		return false;
	}
	if ((req->route->flags & ROUTE_CSRF) && req->method == HTTP_POST) {
		csrf_conf_of(req, &cc);
		if (!csrf_check(req, &cc)) {
			biz_error(req, 403, "This form has expired or did not "
				  "come from this site. Go back, reload the "
				  "page and try again.");
			return false;
		}
	}
	return true;
}

static void
biz_error_page(struct request *req, int status, const char *msg)
{
	biz_error(req, status, msg);
}

/* The route table: the common routes, then each portal's. */
static void
build_routes(struct biz_site *site)
{
	size_t n_common = sizeof(common_routes) / sizeof(common_routes[0]);
	size_t per = sizeof(portal_routes) / sizeof(portal_routes[0]);
	size_t i, j, k = 0;

	site->routes = xcalloc(n_common + per * site->n_portals,
			       sizeof(struct route));
	for (i = 0; i < n_common; i++)
		site->routes[k++] = common_routes[i];
	for (i = 0; i < site->n_portals; i++) {
		for (j = 0; j < per; j++) {
			struct route *r = &site->routes[k++];

			r->methods = portal_routes[j].methods;
			r->path = xasprintf("%s%s", site->portals[i].path,
					    portal_routes[j].suffix);
			r->handler = portal_routes[j].fn;
			r->flags = portal_routes[j].flags;
		}
	}
	site->http.routes = site->routes;
	site->http.n_routes = k;
}



enum op_rc
biz_site_init(struct biz_site *site, struct onepass *op,
	      const struct templates *tmpl, struct outbox *outbox,
	      bool id_local, struct op_err *err)
{
	enum op_rc rc;

	memset(site, 0, sizeof(*site));
	site->op = op;
	site->tmpl = tmpl;
	site->outbox = outbox;
	rc = store_secret(op->store, "business.csrf", site->csrf_key);
	if (rc != OP_OK)
		return op_err_set(err, rc, "business site: store not ready");
	site->secure_cookies =
		strncmp(op->cfg->business_public_url, "https:", 6) == 0;
	http_url_origin(op->cfg->business_public_url, site->origin,
		  sizeof(site->origin));
	rc = biz_portals_init(site, id_local, err);
	if (rc != OP_OK) {
		biz_site_release(site);
		return rc;
	}
	build_routes(site);
	site->http.name = "business";
	site->http.before = biz_before;
	site->http.error_page = biz_error_page;
	site->http.csp = biz_csp;
	site->http.ctx = site;
	return OP_OK;
}

void
biz_site_release(struct biz_site *site)
{
	size_t n_common = sizeof(common_routes) / sizeof(common_routes[0]);
	size_t i;

	if (site->routes != NULL) {
		for (i = n_common; i < site->http.n_routes; i++)
			xfree((char *)site->routes[i].path);
		xfree(site->routes);
		site->routes = NULL;
	}
	biz_portals_release(site);
	sodium_memzero(site->csrf_key, sizeof(site->csrf_key));
}

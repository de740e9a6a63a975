/*
 * business.h - the business site: the portals (OpenID Connect clients of
 * any provider), the business profile directory, and the association
 * flow that ties an identity (issuer, subject) to profiles by mailing a
 * single-use link to each profile's registered address. Only
 * src/business/ includes this header.
 */
#ifndef BUSINESS_H
#define BUSINESS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/onepass.h"
#include "core/token.h"
#include "http/http.h"

struct templates;
struct tvars;
struct outbox;
struct rp_cache;
struct config;

#define BIZ_COOKIE_SESSION "bs_session"
#define BIZ_COOKIE_CSRF "bs_csrf"
#define BIZ_COOKIE_LOGIN "bs_login"	/* binds a sign-in to the browser */

#define BIZ_MAX_PORTALS 16

/* A portal as the site runs it. */
struct biz_portal {
	const char *slug;
	const char *name;
	const char *path;		/* "/customersource" */
	const char *audience;		/* "customer" or "partner" */
	int profile_type;		/* enum profile_type of the audience */
	char *issuer;			/* the provider */
	char *client_id;
	char *client_secret;
	char *redirect_uri;		/* public URL + path + "/callback" */
	bool ready;			/* has a client */
};

struct biz_site {
	struct onepass *op;
	const struct templates *tmpl;
	struct outbox *outbox;
	struct rp_cache *rp;
	unsigned char csrf_key[32];
	bool secure_cookies;
	char origin[256];
	struct biz_portal portals[BIZ_MAX_PORTALS];
	size_t n_portals;
	struct route *routes;		/* built from the portals */
	struct site http;
};

/*
 * Fills site for op: reads the portals from configuration, their client
 * registrations from the store (registering each portal without a client
 * with the local ID service when id_local is true), and builds the route
 * table. Release with biz_site_release().
 */
enum op_rc biz_site_init(struct biz_site *site, struct onepass *op,
			 const struct templates *tmpl, struct outbox *outbox,
			 bool id_local, struct op_err *err);
void biz_site_release(struct biz_site *site);

/* Fills site->portals from configuration and the store, registering
 * portals without a client with the local ID service (portals.c). */
enum op_rc biz_portals_init(struct biz_site *site, bool id_local,
			    struct op_err *err);
void biz_portals_release(struct biz_site *site);

/* What the policy learned about the caller; req->state points here. */
struct biz_state {
	bool signed_in;
	char session_hash[TOKEN_HASH_LEN + 1];
	const char *issuer;		/* arena copies */
	const char *subject;
	const char *email;
	const char *id_token;
	int64_t profile_id;
	int64_t auth_time;
	bool store_down;		/* the session could not be read */
	struct tvars *vars;
};

/* ---- shared helpers (site.c) ---- */

struct biz_site *biz_site_of(struct request *req);
struct biz_state *biz_state_of(struct request *req);
/* The portal whose path is req->path or a prefix of it, or NULL. */
struct biz_portal *biz_portal_of(struct request *req);
struct biz_portal *biz_portal_by_slug(struct biz_site *site,
				      const char *slug);
/* True when the caller has a business session from p's provider: an
 * identity is an issuer and a subject, so a sign-in at another provider
 * does not open this portal. */
bool biz_signed_in_at(struct request *req, const struct biz_portal *p);
struct tvars *biz_page_vars(struct request *req, const char *title);
void biz_render(struct request *req, int status, const char *name);
void biz_error(struct request *req, int status, const char *message);
void biz_audit(struct request *req, const char *event, const char *detail);
/* An absolute URL on the business site (in the arena). */
char *biz_url(struct request *req, const char *path_and_query);

/* ---- sign-in through the portal's provider (login.c) ---- */

/* Sends the browser to the portal's provider. purpose "login" or
 * "associate" (then link_hash names the link and the provider is asked
 * for a fresh password entry). */
void biz_login_start(struct request *req, struct biz_portal *p,
		     const char *purpose, const char *link_hash,
		     const char *return_to);
/* Ends the business session; returns the provider's logout URL (or "/"). */
const char *biz_session_end(struct request *req);

/* ---- association (assoc.c), called by the callback ---- */

/* Completes the association of link_hash for the identity that just
 * signed in again at auth_time; renders the outcome. */
void biz_assoc_complete(struct request *req, const char *link_hash,
			const char *issuer, const char *subject,
			int64_t auth_time, int64_t started_at);

/* ---- endpoints ---- */

void ep_biz_home(struct request *req);
void ep_biz_static(struct request *req);
void ep_biz_info(struct request *req);
void ep_biz_search(struct request *req);
void ep_biz_portal(struct request *req);
void ep_biz_callback(struct request *req);
void ep_biz_profile(struct request *req);
void ep_biz_signout(struct request *req);
void ep_biz_assoc_request(struct request *req);
void ep_biz_assoc_code(struct request *req);
void ep_biz_assoc_link(struct request *req);
void ep_biz_assoc_confirm(struct request *req);

#endif

/*
 * id.h - the ID service: its site (routes and policy) and the helpers its
 * endpoint files share. Only src/id/ includes this header.
 */
#ifndef ID_H
#define ID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/onepass.h"
#include "core/token.h"
#include "crypto/password.h"
#include "http/http.h"

struct templates;
struct tvars;
struct outbox;
struct keyring;

/* Routes whose callers are programs (token, userinfo...): no session, no
 * CSRF, errors as OAuth JSON. A site-level flag beside http.h's. */
#define ROUTE_API ROUTE_SITE_FIRST

#define ID_COOKIE_SESSION "op_session"
#define ID_COOKIE_EMAIL "op_email"
#define ID_COOKIE_CSRF "op_csrf"

/* The ID service's context; lives as long as its HTTP server. */
struct id_site {
	struct onepass *op;
	const struct templates *tmpl;
	struct outbox *outbox;		/* may be NULL (CLI, tests) */
	struct keyring *keys;		/* signing keys */
	struct password_params pw;
	unsigned char csrf_key[32];
	bool secure_cookies;		/* public URL is https */
	char origin[256];		/* scheme://host[:port] of public_url */
	struct site http;		/* what the HTTP layer serves */
};

/* Fills site for op; reads the CSRF key from the store. */
enum op_rc id_site_init(struct id_site *site, struct onepass *op,
			const struct templates *tmpl, struct outbox *outbox,
			struct keyring *keys);
void id_site_release(struct id_site *site);

/* What the policy learned about the caller; req->state points here. */
struct id_state {
	bool signed_in;
	int64_t user_id;
	const char *email;		/* arena copies */
	bool email_verified;
	char session_hash[65];
	char sid[TOKEN_STR_LEN + 1];	/* the session's public id */
	int64_t auth_time;
	bool store_down;		/* the session could not be read */
	struct tvars *vars;		/* page variables, made on demand */
};

/* ---- helpers shared by the endpoint files (site.c) ---- */

struct id_site *id_site_of(struct request *req);
struct id_state *id_state_of(struct request *req);
/* The page variables with the common ones set (id_name, csrf, year,
 * signed_in, user_email); the same object for the whole request. */
struct tvars *id_page_vars(struct request *req, const char *title);
/* Renders template name with the request's page variables at status. */
void id_render(struct request *req, int status, const char *name);
/* The site's error page. */
void id_error(struct request *req, int status, const char *message);
/* Writes an audit event; failures are logged, not returned. */
void id_audit(struct request *req, const char *event, int64_t user_id,
	      const char *detail);
/* Queues a mail from the ID service to to. vars may be NULL. */
enum op_rc id_mail(struct request *req, const char *to, const char *subject,
		   const char *template, struct tvars *vars);
/* The same with a Reply-To address (checked by the caller). */
enum op_rc id_mail_reply(struct request *req, const char *to,
			 const char *reply_to, const char *subject,
			 const char *template, struct tvars *vars);
/* Tells to that the password changed, with a link to reset it if that
 * was not them. */
enum op_rc id_mail_password_changed(struct request *req, const char *to);
/* An absolute URL on the ID service: public_url + path (in the arena). */
char *id_url(struct request *req, const char *path_and_query);
/* return_to if it is a safe same-site path, else fallback. */
const char *id_safe_return(const char *return_to, const char *fallback);
/* Starts a session for user_id and sets its cookie. */
enum op_rc id_session_start(struct request *req, int64_t user_id,
			    bool persistent, int64_t auth_time);
/* Ends the caller's session and clears the cookie. */
void id_session_end(struct request *req);
/* Creates a verification token for user_id and mails its link to email. */
enum op_rc id_send_verification(struct request *req, int64_t user_id,
				const char *email);
/* Checks a new password and its repetition; on a problem writes a
 * sentence into problem and returns false. */
bool id_new_password_ok(struct request *req, const char *pw, const char *pw2,
			const char *email, char *problem, size_t size);

/* ---- endpoints ---- */

void ep_root(struct request *req);
void ep_static(struct request *req);
void ep_signup(struct request *req);
void ep_verify(struct request *req);
void ep_signin(struct request *req);
void ep_signout(struct request *req);
void ep_forgot(struct request *req);
void ep_reset(struct request *req);
void ep_account(struct request *req);
void ep_account_password(struct request *req);
void ep_account_email(struct request *req);
void ep_account_email_confirm(struct request *req);
void ep_account_verify(struct request *req);
void ep_account_sessions(struct request *req);
void ep_account_delete(struct request *req);
void ep_help(struct request *req);
void ep_help_contact(struct request *req);
void ep_privacy(struct request *req);
void ep_terms(struct request *req);
void ep_account_site_remove(struct request *req);
void ep_discovery(struct request *req);
void ep_jwks(struct request *req);
void ep_authorize(struct request *req);
void ep_authorize_resume(struct request *req);
void ep_consent(struct request *req);
void ep_token(struct request *req);
void ep_userinfo(struct request *req);
void ep_revoke(struct request *req);
void ep_introspect(struct request *req);
void ep_logout(struct request *req);
void ep_logout_confirm(struct request *req);

#endif

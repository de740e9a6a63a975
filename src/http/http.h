/*
 * http.h - what a site (the ID service, the business site) sees of HTTP.
 * Only http/ includes <microhttpd.h>; handlers work on struct request.
 *
 * Lifecycle: the server parses the request line, query, cookies and (for
 * routes with ROUTE_FORM) an application/x-www-form-urlencoded body within
 * strict limits; bad input (oversized, invalid UTF-8, NUL bytes, duplicate
 * parameters, malformed cookies, too many parameters) is answered by the
 * site's error page before any handler runs. Then the router finds the
 * route, calls site->before (the site's policy: session, CSRF, login) and
 * the handler. The handler fills req->status, the body and headers; the
 * server adds the security headers to every response and sends it.
 *
 * Every string in a request lives in req->arena and dies with the request.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"

enum http_method {
	HTTP_GET = 1 << 0,
	HTTP_HEAD = 1 << 1,
	HTTP_POST = 1 << 2,
	HTTP_OTHER = 1 << 3,
};

struct param {
	const char *name;
	const char *value;	/* NUL-terminated, valid UTF-8, no NUL */
	size_t value_len;
};

struct params {
	struct param *v;
	size_t n;
};

/* The value of name, or NULL when absent. Names are unique: a request
 * with a repeated name is refused before handlers run. */
const char *params_get(const struct params *p, const char *name);

struct header {
	const char *name;
	const char *value;
	struct header *next;
};

struct route;
struct site;

struct request {
	struct arena *arena;
	enum http_method method;
	const char *method_name;
	const char *path;	/* percent-decoded, no query string */
	struct params query;
	struct params form;	/* filled for ROUTE_FORM routes on POST */
	struct params cookies;
	const char *client_ip;	/* textual address */
	const struct route *route;
	const struct site *site;
	void *state;		/* the site's per-request state (session) */

	/* The response, filled by the handler. */
	int status;		/* 0 means 200 */
	const char *content_type; /* default "text/html; charset=utf-8" */
	struct buf body;
	struct header *headers;	/* extra headers, in order */

	void *conn;		/* server internals */
};

/* A request header's value (case-insensitive name), or NULL. */
const char *request_header(struct request *req, const char *name);

/* Adds a header; refuses (returns -1, adds nothing) a name or value with
 * CR, LF or NUL. */
int response_header(struct request *req, const char *name,
		    const char *value);

struct cookie_spec {
	const char *name;
	const char *value;
	int64_t max_age;	/* <0: session cookie; 0: delete */
	bool secure;
	const char *path;	/* default "/" */
	const char *same_site;	/* default "Lax" */
	/* Always HttpOnly. */
};
/* Adds a Set-Cookie header; -1 for a value outside the cookie alphabet. */
int response_cookie(struct request *req, const struct cookie_spec *c);
/* status 302/303; location must be a same-site path or a URL the caller
 * has checked. Clears any body. */
void response_redirect(struct request *req, int status, const char *location);

/* A short name for people of an HTTP error status ("Not found"). */
const char *http_status_text(int status);
/* Writes scheme://host[:port] of url into out (for Origin checks). */
void http_url_origin(const char *url, char *out, size_t size);

/* ---- routing ---- */

typedef void (*route_handler)(struct request *req);

enum route_flags {
	ROUTE_FORM = 1 << 0,	/* parse a urlencoded POST body */
	ROUTE_CSRF = 1 << 1,	/* POST must carry a valid CSRF token */
	ROUTE_AUTH = 1 << 2,	/* a signed-in session is required */
	ROUTE_SLOW = 1 << 3,	/* run on the slow pool (password hashing) */
	ROUTE_PREFIX = 1 << 4,	/* path matches as a prefix ("/static/") */
	ROUTE_SITE_FIRST = 1 << 8, /* bits from here on are the site's own,
				    * read only by its before() hook */
};

struct route {
	unsigned methods;	/* enum http_method bits; HEAD implied by GET */
	const char *path;
	route_handler handler;
	unsigned flags;
};

struct site {
	const char *name;	/* for logs */
	const struct route *routes;
	size_t n_routes;
	/* Policy before the handler, from route->flags. Returns true to go
	 * on, false when it has answered the request itself. May be NULL. */
	bool (*before)(struct request *req);
	/* Fills an error page for status with a short message for people. */
	void (*error_page)(struct request *req, int status, const char *msg);
	/* Content-Security-Policy for every response of this site. */
	const char *csp;
	void *ctx;		/* the site's own context, for handlers */
};

struct http_config {
	const char *listen;	/* "host:port"; port 0 picks a free one */
	int threads;		/* epoll worker threads */
	int slow_threads;	/* threads for ROUTE_SLOW handlers */
	size_t max_body_bytes;
	size_t max_params;
	bool trust_proxy;	/* X-Forwarded-For for client_ip */
};

struct http_server;

/* Starts listening and serving site on its own threads. Returns a new
 * server, caller stops it with http_server_stop(). */
enum op_rc http_server_start(const struct http_config *hc,
			     const struct site *site,
			     struct http_server **out, struct op_err *err);
/* The port actually bound (useful with port 0). */
int http_server_port(const struct http_server *srv);
void http_server_stop(struct http_server *srv);

/* ---- parsers (pure; each has a fuzz target) ---- */

/*
 * Parses application/x-www-form-urlencoded text (a query string or a
 * body) of len bytes into out, decoding '+' and %XX. Returns OP_E_INVALID
 * for bad escapes, invalid UTF-8, NUL bytes or a repeated name, and
 * OP_E_LIMIT for more than max_params pairs. Strings go into a.
 */
enum op_rc form_parse(struct arena *a, const char *s, size_t len,
		      size_t max_params, struct params *out);
/* Parses a Cookie header. Malformed pairs are skipped; a repeated name
 * keeps the first. Returns OP_E_LIMIT past max_params. */
enum op_rc cookie_parse(struct arena *a, const char *header,
			size_t max_params, struct params *out);
/* True when s[0..len) is valid UTF-8 with no NUL and no overlong forms. */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8 s. */
size_t utf8_length(const char *s);
/* Percent-encodes s for a query component into a; borrowed result. */
char *url_encode(struct arena *a, const char *s);

/* ---- CSRF: a random per-browser cookie and a form token that is its MAC
 * under a server key; also checks Origin when the browser sends it. ---- */

struct csrf_conf {
	const char *cookie_name;
	const unsigned char *key;	/* 32 bytes */
	bool secure;
	const char *origin;	/* the site's public origin, e.g. http://h:p */
};
/* The token for forms of this page; sets the cookie when missing. */
const char *csrf_token(struct request *req, const struct csrf_conf *c);
/* True when the POST carries form field "csrf" matching the cookie and
 * any Origin header equals c->origin. */
bool csrf_check(struct request *req, const struct csrf_conf *c);

#endif

/*
 * response.c - what a handler may put in a response, and the one place
 * that turns a struct request into an MHD response. Every response, the
 * handlers' own, error pages, 404s and static files alike, leaves through
 * response_queue(), which adds the security headers (CSP, frame, referrer
 * and sniffing policy, and Cache-Control: no-store unless the handler
 * chose a caching policy). A header the handler set itself wins over the
 * default of the same name; the others are always sent.
 *
 * Headers are refused when they could split a response (CR, LF, other
 * controls); cookies are refused when their value leaves the RFC 6265
 * alphabet, so a handler cannot be tricked into injecting attributes.
 * The body buffer is handed to MHD, which frees it with xfree(): no copy.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"
#include "http/lex.h"

#define DEFAULT_CONTENT_TYPE "text/html; charset=utf-8"
#define DEFAULT_CSP                                                           \
	"default-src 'self'; object-src 'none'; base-uri 'none'; "            \
	"frame-ancestors 'none'"

static bool
token_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!http_is_tchar((unsigned char)*s))
			return false;
	return true;
}

/* A header value: no CR, LF or other control byte except HTAB. */
static bool
value_ok(const char *s)
{
	if (s == NULL)
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	return true;
}

static bool
cookie_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (!http_is_cookie_octet((unsigned char)*s))
			return false;
	return true;
}

/* A cookie Path attribute: printable ASCII without ';'. */
static bool
cookie_path_ok(const char *s)
{
	if (*s != '/')
		return false;
	for (; *s != '\0'; s++)
		if (*s < 0x21 || *s > 0x7e || *s == ';')
			return false;
	return true;
}

/* Appends a header whose name and value already live in the arena (or
 * are static). */
static void
header_append(struct request *req, const char *name, const char *value)
{
	struct header *h, **tail;

	h = arena_alloc(req->arena, sizeof(*h));
	h->name = name;
	h->value = value;
	h->next = NULL;
	for (tail = &req->headers; *tail != NULL; tail = &(*tail)->next)
		;
	*tail = h;
}

int
response_header(struct request *req, const char *name, const char *value)
{
	if (!token_ok(name) || !value_ok(value))
		return -1;
	header_append(req, arena_strdup(req->arena, name),
		      arena_strdup(req->arena, value));
	return 0;
}

int
response_cookie(struct request *req, const struct cookie_spec *c)
{
	const char *path = c->path != NULL ? c->path : "/";
	const char *same_site = c->same_site != NULL ? c->same_site : "Lax";
	char max_age[40] = "";
	const char *v;

	if (!token_ok(c->name) || c->value == NULL ||
	    !cookie_value_ok(c->value) || !cookie_path_ok(path))
		return -1;
	if (strcmp(same_site, "Lax") != 0 && strcmp(same_site, "Strict") != 0 &&
	    strcmp(same_site, "None") != 0)
		return -1;
	if (c->max_age >= 0)
		snprintf(max_age, sizeof(max_age), "; Max-Age=%lld",
			 (long long)c->max_age);
	v = arena_asprintf(req->arena,
			   "%s=%s; Path=%s; HttpOnly; SameSite=%s%s%s", c->name,
			   c->value, path, same_site,
			   c->secure ? "; Secure" : "", max_age);
	header_append(req, "Set-Cookie", v);
	return 0;
}

void
response_redirect(struct request *req, int status, const char *location)
{
	struct header **h;

	for (h = &req->headers; *h != NULL;) {
		if (strcasecmp((*h)->name, "Location") == 0)
			*h = (*h)->next;
		else
			h = &(*h)->next;
	}
	buf_reset(&req->body);
	req->status = status;
	if (response_header(req, "Location", location) != 0) {
		log_warnx("http: refused a redirect to a malformed location");
		http_error(req, 500, "The server built a broken address.");
	}
}

void
http_error(struct request *req, int status, const char *msg)
{
	buf_reset(&req->body);
	req->headers = NULL;
	req->content_type = NULL;
	req->status = status;
	if (req->site != NULL && req->site->error_page != NULL) {
		req->site->error_page(req, status, msg);
	} else {
		req->content_type = "text/plain; charset=utf-8";
		if (buf_addf(&req->body, "%d %s\n", status, msg) != 0)
			buf_reset(&req->body);
	}
	req->status = status;
}

static bool
has_header(const struct request *req, const char *name)
{
	const struct header *h;

	for (h = req->headers; h != NULL; h = h->next)
		if (strcasecmp(h->name, name) == 0)
			return true;
	return false;
}

/* Adds name: value to r unless the handler set a header of that name. */
static void
add_default(struct MHD_Response *r, const struct request *req,
	    const char *name, const char *value)
{
	if (has_header(req, name))
		return;
	if (MHD_add_response_header(r, name, value) != MHD_YES)
		log_warnx("http: cannot add header '%s'", name);
}

static void
add_headers(struct MHD_Response *r, const struct request *req)
{
	const struct site *site = req->site;
	const struct header *h;

	add_default(r, req, "Content-Type",
		    req->content_type != NULL ? req->content_type :
						DEFAULT_CONTENT_TYPE);
	for (h = req->headers; h != NULL; h = h->next)
		if (MHD_add_response_header(r, h->name, h->value) != MHD_YES)
			log_warnx("http: cannot add header '%s'", h->name);
	add_default(r, req, "Content-Security-Policy",
		    site != NULL && site->csp != NULL ? site->csp :
							DEFAULT_CSP);
	add_default(r, req, "X-Frame-Options", "DENY");
	add_default(r, req, "Referrer-Policy", "same-origin");
	add_default(r, req, "X-Content-Type-Options", "nosniff");
	add_default(r, req, "Cache-Control", "no-store");
}

enum MHD_Result
response_queue(struct conn *c)
{
	struct request *req = &c->req;
	int status = req->status != 0 ? req->status : 200;
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t len;
	char *body;

	if (status < 100 || status > 599) {
		log_warnx("http: handler set status %d", status);
		http_error(req, 500, "The server made a mistake.");
		status = 500;
	}
	body = buf_detach(&req->body, &len);
	r = MHD_create_response_from_buffer_with_free_callback(len, body,
							       xfree);
	if (r == NULL) {
		xfree(body);
		c->state = CONN_DONE;
		return MHD_NO;
	}
	add_headers(r, req);
	ret = MHD_queue_response(c->mc, (unsigned int)status, r);
	MHD_destroy_response(r);
	c->state = CONN_DONE;
	c->sent_status = status;
	return ret;
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 400: return "Bad request";
	case 403: return "Forbidden";
	case 404: return "Not found";
	case 405: return "Method not allowed";
	case 411: return "Length required";
	case 413: return "Request too large";
	case 415: return "Unsupported media type";
	case 429: return "Too many requests";
	case 502: return "The sign-in service did not answer";
	case 503: return "Service unavailable";
	default: return status >= 500 ? "Something went wrong" : "Error";
	}
}

void
http_url_origin(const char *url, char *out, size_t size)
{
	const char *p = strstr(url, "://");
	const char *slash = p != NULL ? strchr(p + 3, '/') : NULL;
	size_t n = slash != NULL ? (size_t)(slash - url) : strlen(url);

	snprintf(out, size, "%.*s", (int)n, url);
}

/*
 * request.c - turns what libmicrohttpd read into struct request: the
 * method, the client address, the path, the query and the cookies. The
 * path and the query are taken from the raw request target that the URI
 * log callback kept, not from MHD's own decoding, so that %00, bad
 * escapes, invalid UTF-8 and repeated names are seen and refused here
 * (MHD would silently truncate or keep one). Everything is copied into
 * the request's arena. Header lookups go to MHD, which keeps the headers
 * in the connection's memory pool for the life of the request.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "http/internal.h"
#include "http/lex.h"

uint64_t
http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

const char *
request_header(struct request *req, const char *name)
{
	struct conn *c = req->conn;

	if (c == NULL || c->mc == NULL)
		return NULL;
	return MHD_lookup_connection_value(c->mc, MHD_HEADER_KIND, name);
}

static enum http_method
method_of(const char *m)
{
	if (strcmp(m, "GET") == 0)
		return HTTP_GET;
	if (strcmp(m, "HEAD") == 0)
		return HTTP_HEAD;
	if (strcmp(m, "POST") == 0)
		return HTTP_POST;
	return HTTP_OTHER;
}

/* Percent-decodes the path s[0..n) ('+' stays '+') into the arena, or
 * returns NULL for a bad escape, a NUL, invalid UTF-8 or a "..". */
static const char *
path_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, o = 0;
	int hi, lo;

	if (n == 0 || s[0] != '/')
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (n - i < 3)
			return NULL;
		hi = http_hexval((unsigned char)s[i + 1]);
		lo = http_hexval((unsigned char)s[i + 2]);
		if (hi < 0 || lo < 0)
			return NULL;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	out[o] = '\0';
	if (!utf8_valid(out, o) || strstr(out, "..") != NULL)
		return NULL;
	return out;
}

struct header_scan {
	struct arena *a;
	const char *want;
	const char *last;	/* the last header named want */
	struct buf *join;	/* when set, all values joined with "; " */
};

static enum MHD_Result
header_scan_cb(void *cls, enum MHD_ValueKind kind, const char *key,
	       const char *value)
{
	struct header_scan *hs = cls;

	(void)kind;
	if (value == NULL || strcasecmp(key, hs->want) != 0)
		return MHD_YES;
	hs->last = value;
	if (hs->join != NULL) {
		if (hs->join->len > 0 && buf_adds(hs->join, "; ") != 0)
			return MHD_NO;
		if (buf_adds(hs->join, value) != 0)
			return MHD_NO;
	}
	return MHD_YES;
}

/* The textual address of the peer, or of the last X-Forwarded-For hop
 * when the proxy is trusted and that hop is an IP address. */
static const char *
client_ip(struct conn *c)
{
	const union MHD_ConnectionInfo *ci;
	struct header_scan hs = { .want = "X-Forwarded-For" };
	char text[INET6_ADDRSTRLEN];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *hop, *end;
	const struct sockaddr *sa;
	char *ip;

	if (c->srv->trust_proxy) {
		MHD_get_connection_values(c->mc, MHD_HEADER_KIND,
					  header_scan_cb, &hs);
		if (hs.last != NULL) {
			hop = strrchr(hs.last, ',');
			hop = hop != NULL ? hop + 1 : hs.last;
			while (*hop == ' ' || *hop == '\t')
				hop++;
			end = hop + strlen(hop);
			while (end > hop && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			ip = arena_strndup(c->req.arena, hop,
					   (size_t)(end - hop));
			if (inet_pton(AF_INET, ip, bin) == 1 ||
			    inet_pton(AF_INET6, ip, bin) == 1)
				return ip;
		}
	}
	ci = MHD_get_connection_info(c->mc,
				     MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return "-";
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET &&
	    inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		      text, sizeof(text)) != NULL)
		return arena_strdup(c->req.arena, text);
	if (sa->sa_family == AF_INET6 &&
	    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
		      text, sizeof(text)) != NULL)
		return arena_strdup(c->req.arena, text);
	return "-";
}

/* Parses every Cookie header of the request (normally one). */
static enum op_rc
request_cookies(struct conn *c)
{
	struct header_scan hs = { .want = "Cookie" };
	struct buf join;
	enum op_rc rc;

	buf_init(&join, 64 * 1024);
	hs.join = &join;
	MHD_get_connection_values(c->mc, MHD_HEADER_KIND, header_scan_cb, &hs);
	if (hs.last == NULL) {
		rc = cookie_parse(c->req.arena, NULL, c->srv->max_params,
				  &c->req.cookies);
		goto out;
	}
	rc = cookie_parse(c->req.arena, buf_str(&join), c->srv->max_params,
			  &c->req.cookies);
out:
	if (join.data != NULL)
		xfreezero(join.data, join.cap);
	return rc;
}

int
request_setup(struct conn *c, const char *method, const char **msg)
{
	struct request *req = &c->req;
	const char *uri = c->raw_uri, *q;
	size_t plen;
	enum op_rc rc;

	req->method = method_of(method);
	req->method_name = arena_strdup(req->arena, method);
	req->client_ip = client_ip(c);
	if (uri == NULL) {
		req->path = "";
		*msg = "The request has no address.";
		return 400;
	}
	q = strchr(uri, '?');
	plen = q != NULL ? (size_t)(q - uri) : strlen(uri);
	req->path = path_decode(req->arena, uri, plen);
	if (req->path == NULL) {
		req->path = "";	/* the error page may look at it */
		*msg = "The address of this request is not valid.";
		return 400;
	}
	if (q != NULL) {
		rc = form_parse(req->arena, q + 1, strlen(q + 1),
				c->srv->max_params, &req->query);
		if (rc != OP_OK) {
			*msg = rc == OP_E_LIMIT ?
				"The address has too many parameters." :
				"The address has a malformed or repeated "
				"parameter.";
			return 400;
		}
	}
	if (request_cookies(c) != OP_OK) {
		*msg = "The browser sent too many cookies.";
		return 400;
	}
	return 0;
}

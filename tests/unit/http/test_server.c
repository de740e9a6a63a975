/*
 * test_server.c - the HTTP layer end to end: a real server on
 * 127.0.0.1:0 serving a small test site, driven by libcurl (and by a raw
 * socket where curl would tidy the request up). Checks the security
 * headers on 200, 400, 404, 405 and 413 answers; refusal of duplicate
 * parameters, invalid UTF-8, NUL bytes and dot segments; body limits;
 * 415 and 405; HEAD; that a slow handler does not delay a page view;
 * Set-Cookie formatting; redirects; CSRF acceptance and refusal; client
 * address with and without a trusted proxy; listen address parsing.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/token.h"
#include "http/http.h"
#include "support/tap.h"

#define DEFAULT_CSP                                                           \
	"default-src 'self'; object-src 'none'; base-uri 'none'; "            \
	"frame-ancestors 'none'"

static const unsigned char csrf_key[32] = "0123456789abcdef0123456789abcde";
static const struct csrf_conf csrf_conf = {
	.cookie_name = "t_csrf",
	.key = csrf_key,
	.secure = false,
	.origin = "http://good.example",
};

/* ---- the test site ---- */

static void
h_hello(struct request *req)
{
	buf_adds(&req->body, "hello");
}

static void
h_form(struct request *req)
{
	const char *name = params_get(&req->form, "name");

	req->content_type = "text/plain; charset=utf-8";
	buf_addf(&req->body, "name=%s;n=%zu", name != NULL ? name : "(none)",
		 req->form.n);
}

static void
h_slow(struct request *req)
{
	struct timespec ts = { 0, 200 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	buf_addf(&req->body, "slow:%s",
		 params_get(&req->form, "pw") != NULL ?
			 params_get(&req->form, "pw") : "-");
}

static void
h_csrf_get(struct request *req)
{
	const char *a = csrf_token(req, &csrf_conf);
	const char *b = csrf_token(req, &csrf_conf);

	buf_addf(&req->body, "%s %s", a, strcmp(a, b) == 0 ? "same" : "diff");
}

static void
h_csrf_post(struct request *req)
{
	buf_adds(&req->body, "accepted");
}

static void
h_cookie(struct request *req)
{
	struct cookie_spec s1 = { .name = "sid", .value = "abc123",
				  .max_age = 3600, .secure = true };
	struct cookie_spec s2 = { .name = "gone", .value = "", .max_age = 0 };
	struct cookie_spec s3 = { .name = "sess", .value = "v-1_~",
				  .max_age = -1, .path = "/account",
				  .same_site = "Strict" };
	struct cookie_spec bad1 = { .name = "x", .value = "a;b",
				    .max_age = -1 };
	struct cookie_spec bad2 = { .name = "x", .value = "a b",
				    .max_age = -1 };
	struct cookie_spec bad3 = { .name = "x y", .value = "a",
				    .max_age = -1 };
	struct cookie_spec bad4 = { .name = "x", .value = "a",
				    .max_age = -1, .same_site = "Lax; x" };
	int refused = 0;

	if (response_cookie(req, &s1) != 0 || response_cookie(req, &s2) != 0 ||
	    response_cookie(req, &s3) != 0)
		buf_adds(&req->body, "good cookie refused;");
	refused += response_cookie(req, &bad1) == -1;
	refused += response_cookie(req, &bad2) == -1;
	refused += response_cookie(req, &bad3) == -1;
	refused += response_cookie(req, &bad4) == -1;
	refused += response_header(req, "X-Bad", "a\r\nSet-Cookie: x=1") == -1;
	refused += response_header(req, "X-Bad", "a\nb") == -1;
	refused += response_header(req, "X Bad", "a") == -1;
	refused += response_header(req, "X-Bad:", "a") == -1;
	buf_addf(&req->body, "refused=%d", refused);
	response_header(req, "X-Good", "yes");
}

static void
h_redirect(struct request *req)
{
	buf_adds(&req->body, "discarded");
	response_redirect(req, 303, "/hello?from=redirect");
}

static void
h_cache(struct request *req)
{
	response_header(req, "Cache-Control", "public, max-age=60");
	req->content_type = "text/css";
	buf_adds(&req->body, "body{}");
}

static void
h_static(struct request *req)
{
	buf_addf(&req->body, "static:%s", req->path);
}

static void
h_echo(struct request *req)
{
	const char *q = params_get(&req->query, "q");
	const char *hdr = request_header(req, "X-Test");
	const char *ck = params_get(&req->cookies, "k");

	req->content_type = "text/plain; charset=utf-8";
	buf_addf(&req->body, "q=%s;h=%s;c=%s;ip=%s;m=%s",
		 q != NULL ? q : "-", hdr != NULL ? hdr : "-",
		 ck != NULL ? ck : "-", req->client_ip, req->method_name);
}

static void
h_nobody(struct request *req)
{
	buf_addf(&req->body, "form=%zu", req->form.n);
}

static void
h_status(struct request *req)
{
	req->status = 201;
	buf_adds(&req->body, "created");
}

static const struct route routes[] = {
	{ HTTP_GET, "/hello", h_hello, 0 },
	{ HTTP_POST, "/form", h_form, ROUTE_FORM },
	{ HTTP_GET, "/slow", h_slow, ROUTE_SLOW },
	{ HTTP_POST, "/slow", h_slow, ROUTE_SLOW | ROUTE_FORM },
	{ HTTP_POST, "/slowcsrf", h_slow,
	  ROUTE_SLOW | ROUTE_FORM | ROUTE_CSRF },
	{ HTTP_GET, "/csrf", h_csrf_get, 0 },
	{ HTTP_POST, "/csrf", h_csrf_post, ROUTE_FORM | ROUTE_CSRF },
	{ HTTP_GET, "/cookie", h_cookie, 0 },
	{ HTTP_GET, "/redirect", h_redirect, 0 },
	{ HTTP_GET, "/cache", h_cache, 0 },
	{ HTTP_GET, "/static/", h_static, ROUTE_PREFIX },
	{ HTTP_GET | HTTP_POST, "/echo", h_echo, 0 },
	{ HTTP_POST, "/nobody", h_nobody, 0 },
	{ HTTP_GET, "/status", h_status, 0 },
};

static bool
t_before(struct request *req)
{
	if ((req->route->flags & ROUTE_CSRF) && req->method == HTTP_POST &&
	    !csrf_check(req, &csrf_conf)) {
		req->site->error_page(req, 403, "refused");
		return false;
	}
	return true;
}

static void
t_error_page(struct request *req, int status, const char *msg)
{
	req->status = status;
	buf_addf(&req->body, "<h1>%d</h1><p>%s</p>", status, msg);
}

static const struct site test_site = {
	.name = "test",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.before = t_before,
	.error_page = t_error_page,
	.csp = NULL,
};

static const struct site proxy_site = {
	.name = "proxy",
	.routes = routes,
	.n_routes = sizeof(routes) / sizeof(routes[0]),
	.before = t_before,
	.error_page = t_error_page,
	.csp = "default-src 'none'",
};

/* ---- a small libcurl client ---- */

static int port, proxy_port;

struct resp {
	long status;
	struct buf body;
	struct buf head;
	double seconds;
};

struct req_opts {
	const char *method;	/* NULL: GET */
	const char *path;
	const char *body;	/* POST body */
	long body_len;		/* -1: strlen(body) */
	const char *content_type;
	const char *cookie;
	const char *origin;
	const char *extra;	/* one more header line */
	bool chunked;
	int to_port;		/* 0: port */
};

static size_t
on_body(char *p, size_t size, size_t n, void *cls)
{
	struct resp *r = cls;

	buf_add(&r->body, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *cls)
{
	struct resp *r = cls;

	buf_add(&r->head, p, size * n);
	return size * n;
}

static void
resp_init(struct resp *r)
{
	r->status = 0;
	r->seconds = 0;
	buf_init(&r->body, 1 << 20);
	buf_init(&r->head, 1 << 16);
}

static void
resp_release(struct resp *r)
{
	buf_release(&r->body);
	buf_release(&r->head);
}

static bool
fetch(const struct req_opts *o, struct resp *r)
{
	struct curl_slist *hl = NULL;
	char url[512], line[512];
	CURL *h = curl_easy_init();
	CURLcode cc;

	resp_init(r);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s",
		 o->to_port ? o->to_port : port, o->path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (o->method != NULL && strcmp(o->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (o->method != NULL && strcmp(o->method, "GET") != 0 &&
		 strcmp(o->method, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, o->method);
	if (o->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, o->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
				 o->body_len >= 0 ? o->body_len :
						    (long)strlen(o->body));
	}
	if (o->content_type != NULL) {
		snprintf(line, sizeof(line), "Content-Type: %s",
			 o->content_type);
		hl = curl_slist_append(hl, line);
	} else if (o->body != NULL) {
		hl = curl_slist_append(hl, "Content-Type:");
	}
	if (o->chunked)
		hl = curl_slist_append(hl, "Transfer-Encoding: chunked");
	if (o->cookie != NULL) {
		snprintf(line, sizeof(line), "Cookie: %s", o->cookie);
		hl = curl_slist_append(hl, line);
	}
	if (o->origin != NULL) {
		snprintf(line, sizeof(line), "Origin: %s", o->origin);
		hl = curl_slist_append(hl, line);
	}
	if (o->extra != NULL)
		hl = curl_slist_append(hl, o->extra);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r->seconds);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	if (cc != CURLE_OK)
		printf("# curl %s: %s\n", o->path, curl_easy_strerror(cc));
	return cc == CURLE_OK;
}

static long
get(const char *path, struct resp *r)
{
	struct req_opts o = { .path = path };

	fetch(&o, r);
	return r->status;
}

/* The value of the nth (0-based) header called name, copied into out. */
static const char *
header_n(const struct resp *r, const char *name, int nth, char *out,
	 size_t outsz)
{
	const char *p = buf_str(&r->head), *eol;
	size_t nl = strlen(name), vl;

	for (; *p != '\0'; p = eol + (*eol != '\0')) {
		eol = strchr(p, '\n');
		if (eol == NULL)
			eol = p + strlen(p);
		if (strncasecmp(p, name, nl) != 0 || p[nl] != ':')
			continue;
		if (nth-- > 0)
			continue;
		p += nl + 1;
		while (*p == ' ')
			p++;
		vl = (size_t)(eol - p);
		while (vl > 0 && (p[vl - 1] == '\r' || p[vl - 1] == ' '))
			vl--;
		if (vl >= outsz)
			vl = outsz - 1;
		memcpy(out, p, vl);
		out[vl] = '\0';
		return out;
	}
	return NULL;
}

static char hbuf[1024];

static const char *
header(const struct resp *r, const char *name)
{
	return header_n(r, name, 0, hbuf, sizeof(hbuf));
}

static void
check_security_headers(const struct resp *r, const char *what,
		       const char *csp)
{
	char v[1024];

	is_str(header_n(r, "Content-Security-Policy", 0, v, sizeof(v)), csp,
	       "%s: CSP", what);
	is_str(header_n(r, "X-Frame-Options", 0, v, sizeof(v)), "DENY",
	       "%s: X-Frame-Options", what);
	is_str(header_n(r, "Referrer-Policy", 0, v, sizeof(v)), "same-origin",
	       "%s: Referrer-Policy", what);
	is_str(header_n(r, "X-Content-Type-Options", 0, v, sizeof(v)),
	       "nosniff", "%s: X-Content-Type-Options", what);
	is_str(header_n(r, "Cache-Control", 0, v, sizeof(v)), "no-store",
	       "%s: Cache-Control", what);
}

/* ---- a raw socket client, for requests curl would not send ---- */

/* Sends req (len bytes) and returns what the server answers before it
 * closes or goes quiet for a second, into out. */
static void
raw(int to_port, const char *req, size_t len, struct buf *out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct timeval tv = { 1, 0 };
	char chunk[4096];
	ssize_t n;
	size_t off = 0;
	int fd;

	buf_init(out, 1 << 20);
	sa.sin_port = htons((uint16_t)to_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		goto out;
	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	for (;;) {
		n = recv(fd, chunk, sizeof(chunk), 0);
		if (n <= 0)
			break;
		buf_add(out, chunk, (size_t)n);
	}
out:
	close(fd);
}

#define RAW(p, s, out) raw((p), (s), sizeof(s) - 1, (out))

static int
raw_status(const struct buf *b)
{
	const char *s = buf_str(b);
	int st = 0;

	if (strncmp(s, "HTTP/1.1 ", 9) != 0)
		return 0;
	for (s += 9; *s >= '0' && *s <= '9'; s++)
		st = st * 10 + (*s - '0');
	return st;
}

/* ---- the tests ---- */

static void
test_basic(void)
{
	struct req_opts o = { 0 };
	struct resp r;

	subtest("200, 404 and their headers");
	is_int(get("/hello", &r), 200, "GET /hello is 200");
	is_str(buf_str(&r.body), "hello", "body");
	is_str(header(&r, "Content-Type"), "text/html; charset=utf-8",
	       "default content type");
	check_security_headers(&r, "200", DEFAULT_CSP);
	resp_release(&r);

	is_int(get("/status", &r), 201, "handler status is sent");
	check_security_headers(&r, "201", DEFAULT_CSP);
	resp_release(&r);

	is_int(get("/nope", &r), 404, "unknown path is 404");
	is_str(buf_str(&r.body),
	       "<h1>404</h1><p>There is no page at this address.</p>",
	       "404 comes from the site's error page");
	check_security_headers(&r, "404", DEFAULT_CSP);
	resp_release(&r);

	is_int(get("/hello/", &r), 404, "exact routes do not match a prefix");
	resp_release(&r);
	is_int(get("/static/app.css", &r), 200, "prefix route");
	is_str(buf_str(&r.body), "static:/static/app.css", "prefix path");
	resp_release(&r);
	is_int(get("/static/caf%C3%A9", &r), 200, "path is percent-decoded");
	is_str(buf_str(&r.body), "static:/static/caf\xc3\xa9",
	       "decoded UTF-8 path");
	resp_release(&r);

	subtest("HEAD");
	o.method = "HEAD";
	o.path = "/hello";
	fetch(&o, &r);
	is_int(r.status, 200, "HEAD /hello is 200");
	is_int(r.body.len, 0, "HEAD has no body");
	is_str(header(&r, "Content-Length"), "5", "HEAD gives the length");
	check_security_headers(&r, "HEAD", DEFAULT_CSP);
	resp_release(&r);

	subtest("405");
	o.method = "PUT";
	fetch(&o, &r);
	is_int(r.status, 405, "PUT /hello is 405");
	is_str(header(&r, "Allow"), "GET, HEAD", "Allow for a GET route");
	check_security_headers(&r, "405", DEFAULT_CSP);
	resp_release(&r);
	o.method = "POST";
	o.body = "a=1";
	o.body_len = -1;
	o.content_type = "application/x-www-form-urlencoded";
	fetch(&o, &r);
	is_int(r.status, 405, "POST /hello is 405");
	resp_release(&r);
	o.method = "DELETE";
	o.body = NULL;
	o.path = "/echo";
	fetch(&o, &r);
	is_int(r.status, 405, "DELETE /echo is 405");
	is_str(header(&r, "Allow"), "GET, HEAD, POST",
	       "Allow for a GET and POST route");
	resp_release(&r);
}

static void
test_bad_input(void)
{
	static const struct {
		const char *path;
		const char *name;
	} bad[] = {
		{ "/echo?q=1&q=2", "duplicate query parameter" },
		{ "/echo?q=%FF", "invalid UTF-8 escaped in the query" },
		{ "/echo?q=%C0%AF", "overlong UTF-8 in the query" },
		{ "/echo?q=a%00b", "%00 in the query" },
		{ "/echo?q=%zz", "bad escape in the query" },
		{ "/echo%00", "%00 in the path" },
		{ "/ech%FF", "invalid UTF-8 in the path" },
		{ "/static/../hello", "dot segment" },
		{ "/static/%2e%2e/hello", "escaped dot segment" },
		{ "/echo?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", "too many "
		  "query parameters" },
	};
	struct req_opts o = { 0 };
	struct resp r;
	struct buf b;
	char cookies[600];
	size_t i;

	subtest("bad input is answered 400 before any handler");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		is_int(get(bad[i].path, &r), 400, "400: %s", bad[i].name);
		ok(strncmp(buf_str(&r.body), "<h1>400</h1>", 12) == 0,
		   "error page body: %s", bad[i].name);
		resp_release(&r);
	}
	get("/echo?q=1&q=2", &r);
	check_security_headers(&r, "400", DEFAULT_CSP);
	resp_release(&r);

	is_int(get("/echo?q=caf%C3%A9+au+lait&x", &r), 200,
	       "valid query is 200");
	ok(strncmp(buf_str(&r.body), "q=caf\xc3\xa9 au lait;", 16) == 0,
	   "query decoded");
	resp_release(&r);

	RAW(port, "GET /echo?q=caf\xe9 HTTP/1.1\r\nHost: x\r\n"
		  "Connection: close\r\n\r\n", &b);
	is_int(raw_status(&b), 400, "raw latin-1 byte in the query is 400");
	buf_release(&b);
	RAW(port, "GET /echo?q=caf\xc3\xa9 HTTP/1.1\r\nHost: x\r\n"
		  "Connection: close\r\n\r\n", &b);
	is_int(raw_status(&b), 200, "raw UTF-8 in the query is 200");
	buf_release(&b);
	RAW(port, "GET http://x/echo HTTP/1.1\r\nHost: x\r\n"
		  "Connection: close\r\n\r\n", &b);
	is_int(raw_status(&b), 400, "absolute-form target is 400");
	buf_release(&b);

	subtest("cookies");
	o.path = "/echo";
	o.cookie = "junk; k=v1; k=v2; bad=a b";
	fetch(&o, &r);
	is_int(r.status, 200, "malformed cookies are skipped");
	ok(strstr(buf_str(&r.body), ";c=v1;") != NULL, "first cookie wins");
	resp_release(&r);
	cookies[0] = '\0';
	for (i = 0; i < 9; i++) {
		size_t l = strlen(cookies);
		snprintf(cookies + l, sizeof(cookies) - l, "c%zu=1; ", i);
	}
	o.cookie = cookies;
	fetch(&o, &r);
	is_int(r.status, 400, "too many cookies is 400");
	resp_release(&r);
	RAW(port, "GET /echo HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\n"
		  "Cookie: k=two\r\nConnection: close\r\n\r\n", &b);
	is_int(raw_status(&b), 200, "two Cookie headers");
	ok(strstr(buf_str(&b), ";c=two;") != NULL,
	   "cookies of both headers are seen");
	buf_release(&b);

	subtest("headers and client address");
	o.cookie = NULL;
	o.extra = "X-Test: value";
	fetch(&o, &r);
	ok(strstr(buf_str(&r.body), ";h=value;") != NULL, "request_header");
	ok(strstr(buf_str(&r.body), ";ip=127.0.0.1;") != NULL,
	   "client address from the socket");
	resp_release(&r);
	o.extra = "X-Forwarded-For: 1.2.3.4";
	fetch(&o, &r);
	ok(strstr(buf_str(&r.body), ";ip=127.0.0.1;") != NULL,
	   "X-Forwarded-For ignored without trust_proxy");
	resp_release(&r);
	o.to_port = proxy_port;
	o.extra = "X-Forwarded-For: 1.2.3.4, 10.9.8.7";
	fetch(&o, &r);
	ok(strstr(buf_str(&r.body), ";ip=10.9.8.7;") != NULL,
	   "last X-Forwarded-For hop with trust_proxy");
	check_security_headers(&r, "site CSP", "default-src 'none'");
	resp_release(&r);
	o.extra = "X-Forwarded-For: 1.2.3.4, <script>";
	fetch(&o, &r);
	ok(strstr(buf_str(&r.body), ";ip=127.0.0.1;") != NULL,
	   "a hop that is no address is ignored");
	resp_release(&r);
}

static void
test_forms(void)
{
	struct req_opts o = {
		.method = "POST",
		.path = "/form",
		.body_len = -1,
		.content_type = "application/x-www-form-urlencoded",
	};
	struct resp r;
	struct buf b;
	char big[1100];
	const char *chunked;

	subtest("form bodies");
	o.body = "name=Ann+Lee&x=%C3%A9";
	fetch(&o, &r);
	is_int(r.status, 200, "form POST is 200");
	is_str(buf_str(&r.body), "name=Ann Lee;n=2", "form parsed");
	resp_release(&r);

	o.content_type = "application/x-www-form-urlencoded; charset=UTF-8";
	fetch(&o, &r);
	is_int(r.status, 200, "content type with charset");
	resp_release(&r);

	o.content_type = "application/x-www-form-urlencoded";
	o.body = "name=a&name=b";
	fetch(&o, &r);
	is_int(r.status, 400, "duplicate form field is 400");
	check_security_headers(&r, "form 400", DEFAULT_CSP);
	resp_release(&r);
	o.body = "name=%FF";
	fetch(&o, &r);
	is_int(r.status, 400, "invalid UTF-8 in form is 400");
	resp_release(&r);
	o.body = "name=a%00";
	fetch(&o, &r);
	is_int(r.status, 400, "%%00 in form is 400");
	resp_release(&r);
	o.body = "name=a\0b";
	o.body_len = 8;
	fetch(&o, &r);
	is_int(r.status, 400, "raw NUL in form is 400");
	resp_release(&r);
	o.body_len = -1;
	o.body = "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9";
	fetch(&o, &r);
	is_int(r.status, 400, "too many form fields is 400");
	resp_release(&r);

	o.body = "name=x";
	o.content_type = "text/plain";
	fetch(&o, &r);
	is_int(r.status, 415, "text/plain on a form route is 415");
	check_security_headers(&r, "415", DEFAULT_CSP);
	resp_release(&r);
	o.content_type = "multipart/form-data; boundary=x";
	fetch(&o, &r);
	is_int(r.status, 415, "multipart on a form route is 415");
	resp_release(&r);
	o.content_type = NULL;
	fetch(&o, &r);
	is_int(r.status, 415, "a body without content type is 415");
	resp_release(&r);
	o.body = "";
	fetch(&o, &r);
	is_int(r.status, 200, "an empty POST without content type is 200");
	is_str(buf_str(&r.body), "name=(none);n=0", "empty form");
	resp_release(&r);

	o.path = "/nobody";
	o.body = "a=1&a=1";
	o.content_type = "text/plain";
	fetch(&o, &r);
	is_int(r.status, 200, "a POST route without ROUTE_FORM ignores body");
	is_str(buf_str(&r.body), "form=0", "no form parsed");
	resp_release(&r);

	subtest("body limit");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "name=", 5);
	o.path = "/form";
	o.content_type = "application/x-www-form-urlencoded";
	o.body = big;
	fetch(&o, &r);
	is_int(r.status, 413, "body over max_body_bytes is 413");
	ok(strncmp(buf_str(&r.body), "<h1>413</h1>", 12) == 0,
	   "413 from the error page");
	check_security_headers(&r, "413", DEFAULT_CSP);
	resp_release(&r);
	o.path = "/nobody";
	fetch(&o, &r);
	is_int(r.status, 413, "the limit holds for bodies that are not forms");
	resp_release(&r);
	o.path = "/nowhere";
	fetch(&o, &r);
	is_int(r.status, 413, "an announced body over the limit is refused "
	       "before routing");
	check_security_headers(&r, "early 413", DEFAULT_CSP);
	resp_release(&r);
	big[1000] = '\0';
	o.path = "/form";
	fetch(&o, &r);
	is_int(r.status, 200, "body at the limit is accepted");
	is_int(r.body.len, 5 + 995 + 4, "and parsed");
	resp_release(&r);

	/* A chunked body has no Content-Length: libmicrohttpd could only
	 * cut it off mid-way, so it is refused before any of it is read. */
	chunked = "POST /form HTTP/1.1\r\nHost: x\r\n"
		  "Content-Type: application/x-www-form-urlencoded\r\n"
		  "Transfer-Encoding: chunked\r\n\r\n"
		  "400\r\n";
	buf_init(&b, 1 << 16);
	buf_adds(&b, chunked);
	for (int i = 0; i < 1024; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, "\r\n400\r\n");
	for (int i = 0; i < 1024; i++)
		buf_addch(&b, 'a');
	buf_adds(&b, "\r\n0\r\n\r\n");
	{
		struct buf ans;
		int st;

		raw(port, b.data, b.len, &ans);
		st = raw_status(&ans);
		is_int(st, 411, "chunked body refused with 411 before reading");
		buf_release(&ans);
	}
	buf_release(&b);
	is_int(get("/hello", &r), 200, "server still serves after that");
	resp_release(&r);
}

struct slow_arg {
	struct resp r;
	const char *path;
	const char *body;
};

static void *
slow_thread(void *p)
{
	struct slow_arg *a = p;
	struct req_opts o = {
		.path = a->path,
		.method = a->body != NULL ? "POST" : "GET",
		.body = a->body,
		.body_len = -1,
		.content_type = a->body != NULL ?
			"application/x-www-form-urlencoded" : NULL,
	};

	fetch(&o, &a->r);
	return NULL;
}

static void
test_slow(void)
{
	struct timespec ts = { 0, 30 * 1000 * 1000 };
	struct slow_arg a = { .path = "/slow" };
	struct slow_arg b = { .path = "/slow", .body = "pw=s3cret" };
	struct resp r;
	pthread_t t1, t2;
	double hello;

	subtest("slow routes leave page views fast");
	pthread_create(&t1, NULL, slow_thread, &a);
	pthread_create(&t2, NULL, slow_thread, &b);
	nanosleep(&ts, NULL);
	get("/hello", &r);
	hello = r.seconds;
	is_int(r.status, 200, "GET /hello during slow requests");
	ok(hello < 0.1, "GET /hello took %.1f ms (< 100 ms)", hello * 1000);
	resp_release(&r);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	is_int(a.r.status, 200, "slow GET answered");
	is_str(buf_str(&a.r.body), "slow:-", "slow GET body");
	ok(a.r.seconds >= 0.19, "slow GET took its 200 ms (%.0f ms)",
	   a.r.seconds * 1000);
	check_security_headers(&a.r, "slow", DEFAULT_CSP);
	is_int(b.r.status, 200, "slow form POST answered");
	is_str(buf_str(&b.r.body), "slow:s3cret", "slow POST saw its form");
	resp_release(&a.r);
	resp_release(&b.r);
}

static void
test_cookies_and_redirects(void)
{
	struct resp r;
	char v[256];

	subtest("Set-Cookie");
	is_int(get("/cookie", &r), 200, "GET /cookie");
	is_str(buf_str(&r.body), "refused=8",
	       "bad cookies and headers are refused");
	is_str(header_n(&r, "Set-Cookie", 0, v, sizeof(v)),
	       "sid=abc123; Path=/; HttpOnly; SameSite=Lax; Secure; "
	       "Max-Age=3600", "persistent secure cookie");
	is_str(header_n(&r, "Set-Cookie", 1, v, sizeof(v)),
	       "gone=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
	       "deleting cookie");
	is_str(header_n(&r, "Set-Cookie", 2, v, sizeof(v)),
	       "sess=v-1_~; Path=/account; HttpOnly; SameSite=Strict",
	       "session cookie with path and SameSite");
	ok(header_n(&r, "Set-Cookie", 3, v, sizeof(v)) == NULL,
	   "no refused cookie was sent");
	ok(header(&r, "X-Bad") == NULL, "no refused header was sent");
	is_str(header(&r, "X-Good"), "yes", "a good header is sent");
	resp_release(&r);

	subtest("redirect and caching");
	is_int(get("/redirect", &r), 303, "redirect status");
	is_str(header(&r, "Location"), "/hello?from=redirect", "Location");
	is_int(r.body.len, 0, "redirect clears the body");
	check_security_headers(&r, "303", DEFAULT_CSP);
	resp_release(&r);
	is_int(get("/cache", &r), 200, "GET /cache");
	is_str(header(&r, "Cache-Control"), "public, max-age=60",
	       "the handler's Cache-Control wins");
	ok(header_n(&r, "Cache-Control", 1, v, sizeof(v)) == NULL,
	   "and no-store is not added");
	is_str(header(&r, "Content-Type"), "text/css", "content type set");
	is_str(header(&r, "X-Frame-Options"), "DENY", "other headers stay");
	resp_release(&r);
}

static void
test_csrf(void)
{
	struct req_opts o = { .path = "/csrf" };
	struct resp r;
	char cookie[128], token[64], body[160], v[256], mac[TOKEN_STR_LEN + 1];
	const char *sc;

	subtest("CSRF");
	fetch(&o, &r);
	is_int(r.status, 200, "GET /csrf");
	sc = header_n(&r, "Set-Cookie", 0, v, sizeof(v));
	ok(sc != NULL && strncmp(sc, "t_csrf=", 7) == 0 &&
		   strstr(sc, "; HttpOnly; SameSite=Lax") != NULL &&
		   strstr(sc, "Max-Age") == NULL &&
		   strstr(sc, "Secure") == NULL,
	   "CSRF cookie set: session, HttpOnly, Lax, not Secure");
	if (sc == NULL)
		sc = "t_csrf=;";
	snprintf(cookie, sizeof(cookie), "%.*s",
		 (int)strcspn(sc, ";"), sc);
	is_int(strlen(cookie), 7 + TOKEN_STR_LEN, "cookie holds a token");
	snprintf(token, sizeof(token), "%.*s",
		 (int)strcspn(buf_str(&r.body), " "), buf_str(&r.body));
	ok(strstr(buf_str(&r.body), " same") != NULL,
	   "csrf_token is stable within a request");
	token_mac(csrf_key, cookie + 7, mac);
	is_str(token, mac, "form token is the MAC of the cookie");
	resp_release(&r);

	o.cookie = cookie;
	fetch(&o, &r);
	ok(header(&r, "Set-Cookie") == NULL,
	   "no new cookie when the browser has one");
	ok(strncmp(buf_str(&r.body), token, strlen(token)) == 0,
	   "same token from the same cookie");
	resp_release(&r);

	o.method = "POST";
	o.body = body;
	o.body_len = -1;
	o.content_type = "application/x-www-form-urlencoded";
	snprintf(body, sizeof(body), "csrf=%s&x=1", token);
	fetch(&o, &r);
	is_int(r.status, 200, "POST with cookie and token is accepted");
	is_str(buf_str(&r.body), "accepted", "handler ran");
	resp_release(&r);

	o.origin = "http://good.example";
	fetch(&o, &r);
	is_int(r.status, 200, "matching Origin is accepted");
	resp_release(&r);
	o.origin = "http://evil.example";
	fetch(&o, &r);
	is_int(r.status, 403, "foreign Origin is refused");
	check_security_headers(&r, "403", DEFAULT_CSP);
	resp_release(&r);
	o.origin = "null";
	fetch(&o, &r);
	is_int(r.status, 403, "Origin null is refused");
	resp_release(&r);
	o.origin = "http://good.example.evil";
	fetch(&o, &r);
	is_int(r.status, 403, "Origin with a suffix is refused");
	resp_release(&r);
	o.origin = NULL;

	o.cookie = NULL;
	fetch(&o, &r);
	is_int(r.status, 403, "missing cookie is refused");
	resp_release(&r);

	o.cookie = cookie;
	snprintf(body, sizeof(body), "csrf=%c%s&x=1",
		 token[0] == 'A' ? 'B' : 'A', token + 1);
	fetch(&o, &r);
	is_int(r.status, 403, "wrong token is refused");
	resp_release(&r);
	snprintf(body, sizeof(body), "x=1");
	fetch(&o, &r);
	is_int(r.status, 403, "missing token is refused");
	resp_release(&r);
	snprintf(body, sizeof(body), "csrf=%s", cookie + 7);
	fetch(&o, &r);
	is_int(r.status, 403, "the cookie value itself is not the token");
	resp_release(&r);
	o.cookie = "t_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	snprintf(body, sizeof(body), "csrf=%s", token);
	fetch(&o, &r);
	is_int(r.status, 403, "a token for another cookie is refused");
	resp_release(&r);

	/* On a slow route the policy runs on the slow pool, before the
	 * handler, and its refusal is what the client gets. */
	o.path = "/slowcsrf";
	fetch(&o, &r);
	is_int(r.status, 403, "slow route: wrong cookie refused by before");
	is_str(buf_str(&r.body), "<h1>403</h1><p>refused</p>",
	       "slow route: the refusal page, not the handler");
	resp_release(&r);
	o.cookie = cookie;
	snprintf(body, sizeof(body), "csrf=%s&pw=x", token);
	fetch(&o, &r);
	is_int(r.status, 200, "slow route: valid token accepted");
	is_str(buf_str(&r.body), "slow:x", "slow route: handler ran");
	resp_release(&r);
}

static void
test_listen(void)
{
	struct http_config hc = { .threads = 1, .slow_threads = 1,
				  .max_body_bytes = 100, .max_params = 4 };
	struct http_server *srv;
	struct op_err err;
	struct resp r;
	struct req_opts o = { .path = "/hello" };
	static const char *bad[] = { "bogus", "127.0.0.1", "127.0.0.1:",
				     "127.0.0.1:99999", "127.0.0.1:8x",
				     "example.com:80", "[::1:80", "1.2.3:80" };
	size_t i;

	subtest("listen addresses");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hc.listen = bad[i];
		is_int(http_server_start(&hc, &test_site, &srv, &err),
		       OP_E_INVALID, "'%s' is refused", bad[i]);
		ok(srv == NULL, "no server for '%s'", bad[i]);
	}
	hc.listen = "localhost:0";
	is_int(http_server_start(&hc, &test_site, &srv, &err), OP_OK,
	       "localhost:0 starts");
	if (srv != NULL) {
		ok(http_server_port(srv) > 0, "port 0 picked a port");
		o.to_port = http_server_port(srv);
		fetch(&o, &r);
		is_int(r.status, 200, "served on localhost");
		resp_release(&r);
		http_server_stop(srv);
	}
	hc.listen = "[::1]:0";
	if (http_server_start(&hc, &test_site, &srv, &err) == OP_OK) {
		char url[64];
		CURL *h = curl_easy_init();
		long st = 0;

		ok(http_server_port(srv) > 0, "[::1]:0 picked a port");
		snprintf(url, sizeof(url), "http://[::1]:%d/echo",
			 http_server_port(srv));
		resp_init(&r);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
		curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
		curl_easy_cleanup(h);
		is_int(st, 200, "served on [::1]");
		ok(strstr(buf_str(&r.body), ";ip=::1;") != NULL,
		   "IPv6 client address");
		resp_release(&r);
		http_server_stop(srv);
	} else {
		printf("# no IPv6 loopback here: %s\n", err.msg);
		ok(strstr(err.msg, "cannot listen") != NULL,
		   "[::1]:0 parsed; only the bind failed");
	}
}

static void
test_stop_with_slow_work(void)
{
	struct http_config hc = { .listen = "127.0.0.1:0", .threads = 2,
				  .slow_threads = 1, .max_body_bytes = 100,
				  .max_params = 4 };
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	struct slow_arg a[3] = { { .path = "/slow" }, { .path = "/slow" },
				 { .path = "/slow" } };
	struct http_server *srv;
	struct op_err err;
	pthread_t t[3];
	int saved = port, i, answered = 0;

	subtest("stopping with slow work queued");
	if (http_server_start(&hc, &test_site, &srv, &err) != OP_OK) {
		ok(0, "start: %s", err.msg);
		return;
	}
	port = http_server_port(srv);
	for (i = 0; i < 3; i++)
		pthread_create(&t[i], NULL, slow_thread, &a[i]);
	nanosleep(&ts, NULL);
	http_server_stop(srv);
	for (i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		if (a[i].r.status == 200 || a[i].r.status == 503)
			answered++;
		resp_release(&a[i].r);
	}
	port = saved;
	is_int(answered, 3, "slow work in flight is answered (200 or 503) "
	       "before the server stops");
}

int
main(void)
{
	struct http_config hc = {
		.listen = "127.0.0.1:0",
		.threads = 2,
		.slow_threads = 2,
		.max_body_bytes = 1000,
		.max_params = 8,
		.trust_proxy = false,
	};
	struct http_server *srv, *psrv;
	struct op_err err;

	log_set_level(LOG_WARN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!ok(http_server_start(&hc, &test_site, &srv, &err) == OP_OK,
		"server starts on 127.0.0.1:0"))
		return done_testing();
	port = http_server_port(srv);
	ok(port > 0, "bound port %d", port);
	hc.trust_proxy = true;
	if (!ok(http_server_start(&hc, &proxy_site, &psrv, &err) == OP_OK,
		"second server starts"))
		return done_testing();
	proxy_port = http_server_port(psrv);
	ok(proxy_port > 0 && proxy_port != port, "second server's own port");

	test_basic();
	test_bad_input();
	test_forms();
	test_slow();
	test_cookies_and_redirects();
	test_csrf();
	test_listen();
	test_stop_with_slow_work();

	http_server_stop(psrv);
	http_server_stop(srv);
	curl_global_cleanup();
	return done_testing();
}

/*
 * server.c - the libmicrohttpd daemon and the life of one request. MHD
 * runs a pool of threads, each with its own epoll loop; connections are
 * bounded in number, in header memory (the request line and headers must
 * fit in CONN_MEMORY bytes) and in idle time.
 *
 * A request is born in the URI log callback, which is the only place
 * that sees the raw request target: it makes the arena and struct conn.
 * The access handler then runs as in MHD's POST example: the first call
 * parses and routes (request.c, router.c) and decides any early answer;
 * the next calls take the body, kept in a bounded buffer only for
 * ROUTE_FORM routes and otherwise counted and dropped; the last call
 * parses the form and runs the handler, or hands the request to the slow
 * pool (slow.c), after which MHD calls once more to queue the answer.
 * Errors found before the body ends are answered when it ends, except a
 * Content-Length over the limit, answered at once (MHD stops reading).
 * The completion callback logs the request and frees the arena, which
 * wipes it.
 *
 * No lock is taken on the request path; the only state shared between
 * requests is an atomic count of those in flight, which lets
 * http_server_stop() finish answering them before it closes connections.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"

#define CONN_MEMORY ((size_t)32 * 1024)
#define CONN_TIMEOUT_SEC 30u
#define SLOW_QUEUE_PER_THREAD 64
#define STOP_GRACE_TICKS 200	/* of 10 ms: how long stop waits */

static const char form_type[] = "application/x-www-form-urlencoded";

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_info("http: %s", msg);
}

/* Called once per request, before MHD splits or decodes the target. */
static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *mc)
{
	struct http_server *srv = cls;
	struct arena *a = arena_new();
	struct conn *c = arena_alloc(a, sizeof(*c));

	atomic_fetch_add_explicit(&srv->inflight, 1, memory_order_relaxed);
	c->srv = srv;
	c->mc = mc;
	c->state = CONN_NEW;
	c->start_us = http_now_us();
	c->raw_uri = uri != NULL ? arena_strdup(a, uri) : NULL;
	buf_init(&c->upload, srv->max_body_bytes);
	c->req.arena = a;
	c->req.site = srv->site;
	c->req.conn = c;
	c->req.method_name = "-";
	buf_init(&c->req.body, HTTP_RESPONSE_MAX_BYTES);
	return c;
}

static void
upload_wipe(struct conn *c)
{
	if (c->upload.data != NULL)
		xfreezero(c->upload.data, c->upload.cap);
	c->upload.data = NULL;
	c->upload.len = 0;
	c->upload.cap = 0;
}

static void
completed_cb(void *cls, struct MHD_Connection *mc, void **con_cls,
	     enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;
	struct conn *c = *con_cls;
	const char *path;

	(void)mc;
	(void)toe;
	if (c == NULL)
		return;
	path = c->req.path;
	if (path == NULL || *path == '\0')
		path = "-";
	log_debug("http %s %s %s %d %lluus", srv->site->name,
		  c->req.method_name, path, c->sent_status,
		  (unsigned long long)(http_now_us() - c->start_us));
	upload_wipe(c);
	buf_release(&c->req.body);
	*con_cls = NULL;
	arena_free(c->req.arena);
	atomic_fetch_sub_explicit(&srv->inflight, 1, memory_order_release);
}

/* Remembers an answer to give once the body has been read. */
static enum MHD_Result
conn_defer(struct conn *c, int status, const char *msg)
{
	c->err_status = status;
	c->err_msg = msg;
	c->keep_body = false;
	c->state = CONN_BODY;
	return MHD_YES;
}

static enum MHD_Result
conn_refuse_now(struct conn *c, int status, const char *msg)
{
	upload_wipe(c);
	http_error(&c->req, status, msg);
	/* MHD 0.9.75 accepts a response only before the body or after it;
	 * mid-body it refuses, and closing is the way to stop reading. */
	if (response_queue(c) != MHD_YES)
		return MHD_NO;
	return MHD_YES;
}

static enum MHD_Result
conn_too_big(struct conn *c)
{
	return conn_refuse_now(c, 413, "The request is too large.");
}

static bool
is_form_type(const char *ct)
{
	size_t n = sizeof(form_type) - 1;

	if (strncasecmp(ct, form_type, n) != 0)
		return false;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* True when a Content-Length header announces more than max bytes. */
static bool
length_over(const char *cl, size_t max)
{
	size_t v = 0;

	for (; *cl >= '0' && *cl <= '9'; cl++) {
		if (v > (SIZE_MAX - 9) / 10)
			return true;
		v = v * 10 + (size_t)(*cl - '0');
	}
	return v > max;
}

/* A POST without Content-Type is accepted only when it has no body. */
static bool
body_announced(struct request *req)
{
	const char *cl = request_header(req, "Content-Length");

	if (request_header(req, "Transfer-Encoding") != NULL)
		return true;
	return cl != NULL && strcmp(cl, "0") != 0;
}

/* The first call: parse, route, choose what to do with the body. */
static enum MHD_Result
conn_begin(struct conn *c, const char *method)
{
	struct request *req = &c->req;
	const char *msg, *ct, *cl;
	unsigned allow;
	int status;

	status = request_setup(c, method, &msg);
	/* An announced body over the limit is refused before reading it. */
	cl = request_header(req, "Content-Length");
	if (cl != NULL && length_over(cl, c->srv->max_body_bytes))
		return conn_too_big(c);
	if (status != 0)
		return conn_defer(c, status, msg);
	req->route = router_match(req->site, req->path, req->method, &allow);
	if (req->route == NULL && allow == 0)
		return conn_defer(c, 404, "There is no page at this address.");
	if (req->route == NULL) {
		c->allow = allow;
		return conn_defer(c, 405, "This page does not take this "
				  "kind of request.");
	}
	/* A body of unknown length could only be cut off mid-way (see
	 * conn_refuse_now); browsers and OAuth clients always send a
	 * Content-Length, so refuse it before reading any of it. */
	if (request_header(req, "Transfer-Encoding") != NULL)
		return conn_refuse_now(c, 411, "Send the request with a "
				       "Content-Length.");
	if (req->method == HTTP_POST && (req->route->flags & ROUTE_FORM)) {
		ct = request_header(req, "Content-Type");
		if (ct != NULL ? !is_form_type(ct) : body_announced(req))
			return conn_defer(c, 415, "This page takes only "
					  "form submissions.");
		c->keep_body = true;
	}
	c->state = CONN_BODY;
	return MHD_YES;
}

static enum MHD_Result
conn_upload(struct conn *c, const char *data, size_t size)
{
	size_t max = c->srv->max_body_bytes;

	if (size > max || c->upload_bytes > max - size)
		return conn_too_big(c);
	c->upload_bytes += size;
	if (c->keep_body && buf_add(&c->upload, data, size) != 0)
		return conn_too_big(c);
	return MHD_YES;
}

/* The last call: the request is complete. */
static enum MHD_Result
conn_complete(struct conn *c)
{
	struct request *req = &c->req;
	enum op_rc rc;

	if (c->err_status != 0) {
		http_error(req, c->err_status, c->err_msg);
		if (c->err_status == 405 &&
		    response_header(req, "Allow",
				    router_allow(req->arena, c->allow)) != 0)
			log_warnx("http: cannot add the Allow header");
		return response_queue(c);
	}
	if (c->keep_body) {
		rc = form_parse(req->arena, buf_str(&c->upload),
				c->upload.len, c->srv->max_params, &req->form);
		upload_wipe(c);
		if (rc != OP_OK) {
			http_error(req, 400, rc == OP_E_LIMIT ?
				   "The form has too many fields." :
				   "The form has a malformed or repeated "
				   "field.");
			return response_queue(c);
		}
	}
	if (req->route->flags & ROUTE_SLOW) {
		if (slow_pool_push(c->srv->slow, c))
			return MHD_YES;
		http_error(req, 503, "The server is busy; please try again "
			   "in a moment.");
		return response_queue(c);
	}
	router_run(req);
	return response_queue(c);
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *mc, const char *url,
	  const char *method, const char *version, const char *upload_data,
	  size_t *upload_data_size, void **con_cls)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)mc;
	(void)url;
	(void)version;
	if (c == NULL)
		return MHD_NO;
	switch (c->state) {
	case CONN_NEW:
		return conn_begin(c, method);
	case CONN_BODY:
		if (*upload_data_size == 0)
			return conn_complete(c);
		if (conn_upload(c, upload_data, *upload_data_size) != MHD_YES)
			return MHD_NO;
		*upload_data_size = 0;
		return MHD_YES;
	case CONN_READY:
		return response_queue(c);
	case CONN_SLOW:
	case CONN_DONE:
		break;
	}
	return MHD_NO;
}

/* Parses "host:port", "[v6]:port"; "localhost" is 127.0.0.1 and an empty
 * host or "*" is every IPv4 address. */
static enum op_rc
parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6,
	     struct op_err *err)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const char *colon, *p, *orig = listen;
	char host[128];
	size_t hlen;
	long port = 0;

	memset(ss, 0, sizeof(*ss));
	colon = strrchr(listen, ':');
	if (colon == NULL || colon[1] == '\0')
		goto bad;
	for (p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			goto bad;
		port = port * 10 + (*p - '0');
	}
	if (port > 65535)
		goto bad;
	hlen = (size_t)(colon - listen);
	*v6 = hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']';
	if (*v6) {
		listen++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		goto bad;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	if (*v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			goto bad;
		return OP_OK;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (strcmp(host, "localhost") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else if (host[0] == '\0' || strcmp(host, "*") == 0)
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		goto bad;
	return OP_OK;
bad:
	return op_err_set(err, OP_E_INVALID,
			  "listen address '%s' is not host:port", orig);
}

/* Connections per server: what the descriptor limit allows for two
 * listeners plus the store and mail, within sane bounds. */
static unsigned int
connection_limit(void)
{
	struct rlimit rl;
	rlim_t n = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		n = rl.rlim_cur;
	n = n > 128 ? (n - 64) / 2 : 32;
	if (n > 10000)
		n = 10000;
	return (unsigned int)n;
}

enum op_rc
http_server_start(const struct http_config *hc, const struct site *site,
		  struct http_server **out, struct op_err *err)
{
	struct http_server *srv;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	unsigned int flags, threads;
	enum op_rc rc;
	bool v6 = false;

	*out = NULL;
	if (hc->listen == NULL || site == NULL || site->error_page == NULL)
		return op_err_set(err, OP_E_INVALID,
				  "http server needs a listen address and a "
				  "site with an error page");
	rc = parse_listen(hc->listen, &ss, &v6, err);
	if (rc != OP_OK)
		return rc;
	srv = xcalloc(1, sizeof(*srv));
	srv->site = site;
	srv->max_body_bytes = hc->max_body_bytes;
	srv->max_params = hc->max_params;
	srv->trust_proxy = hc->trust_proxy;
	srv->slow = slow_pool_new(hc->slow_threads,
				  (size_t)(hc->slow_threads > 0 ?
						   hc->slow_threads : 1) *
					  SLOW_QUEUE_PER_THREAD);
	if (srv->slow == NULL) {
		rc = op_err_set(err, OP_E_INTERNAL,
				"cannot start the slow-request threads");
		goto fail;
	}
	threads = hc->threads > 1 ? (unsigned int)hc->threads : 1;
	flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
	srv->daemon = MHD_start_daemon(
		flags, 0, NULL, NULL, access_cb, srv,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT_SEC,
		MHD_OPTION_URI_LOG_CALLBACK, uri_cb, srv,
		MHD_OPTION_NOTIFY_COMPLETED, completed_cb, srv,
		MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
		MHD_OPTION_END);
	if (srv->daemon == NULL) {
		rc = op_err_set(err, OP_E_INVALID, "cannot listen on '%s': %s",
				hc->listen, strerror(errno));
		goto fail;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : 0;
	*out = srv;
	return OP_OK;
fail:
	slow_pool_free(srv->slow);
	xfree(srv);
	return rc;
}

int
http_server_port(const struct http_server *srv)
{
	return srv->port;
}

void
http_server_stop(struct http_server *srv)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	MHD_socket fd;
	int i;

	if (srv == NULL)
		return;
	fd = MHD_quiesce_daemon(srv->daemon);
	/* Every suspended connection must be resumed before MHD stops. */
	slow_pool_stop(srv->slow);
	/* Give requests in flight (those just resumed included) a moment to
	 * be answered; idle keep-alive connections are not waited for. */
	for (i = 0; i < STOP_GRACE_TICKS; i++) {
		if (atomic_load_explicit(&srv->inflight,
					 memory_order_acquire) == 0)
			break;
		nanosleep(&tick, NULL);
	}
	MHD_stop_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	slow_pool_free(srv->slow);
	xfree(srv);
}

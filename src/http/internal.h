/*
 * internal.h - what the files of http/ share with each other and with
 * nobody else. struct conn is the server's per-request record: it holds
 * the public struct request, the libmicrohttpd connection, the state of
 * the request's life (headers, body, slow pool, answered) and the bounded
 * upload buffer. It lives in the request's own arena, so one arena_free()
 * releases (and wipes) everything.
 *
 * Threading: a conn is touched by one thread at a time. The MHD thread
 * that owns the connection hands it to a slow-pool worker under the pool's
 * lock while the connection is suspended; the worker hands it back with
 * MHD_resume_connection() and never touches it again.
 */
#ifndef HTTP_INTERNAL_H
#define HTTP_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "http/http.h"

/* The largest response body a handler may build. */
#define HTTP_RESPONSE_MAX_BYTES ((size_t)16 << 20)

enum conn_state {
	CONN_NEW,	/* the access handler has not run yet */
	CONN_BODY,	/* reading (or discarding) the request body */
	CONN_SLOW,	/* suspended, queued on or running in the slow pool */
	CONN_READY,	/* a response is prepared in req, to be queued */
	CONN_DONE,	/* the response is queued with MHD */
};

struct slow_pool;

struct http_server {
	struct MHD_Daemon *daemon;
	const struct site *site;
	struct slow_pool *slow;
	size_t max_body_bytes;
	size_t max_params;
	bool trust_proxy;
	int port;
	atomic_uint inflight;	/* requests begun and not completed */
};

struct conn {
	struct request req;
	struct http_server *srv;
	struct MHD_Connection *mc;
	enum conn_state state;
	const char *raw_uri;	/* as the client sent it, with the query */
	int err_status;		/* an answer decided before the body ends */
	const char *err_msg;
	unsigned allow;		/* the Allow set of a 405 */
	bool keep_body;		/* a form body: kept in upload and parsed */
	struct buf upload;	/* the form body, max_body_bytes at most */
	size_t upload_bytes;	/* body bytes seen, kept or not */
	const char *csrf_token;	/* csrf_token()'s answer for this request */
	int sent_status;	/* for the access log */
	uint64_t start_us;
};

/* ---- request.c ---- */

/* Fills method, client address, path, query and cookies of c->req from
 * the connection. Returns 0, or an HTTP status (400) with *msg set. */
int request_setup(struct conn *c, const char *method, const char **msg);
/* Monotonic microseconds, for the access log. */
uint64_t http_now_us(void);

/* ---- response.c ---- */

/* Replaces whatever the response holds by the site's error page for
 * status (or a plain-text one when the site has none). */
void http_error(struct request *req, int status, const char *msg);
/* Builds the MHD response from c->req, adds the security headers and
 * queues it. The body buffer is handed to MHD. */
enum MHD_Result response_queue(struct conn *c);

/* ---- router.c ---- */

/* The route for path and method, or NULL. When NULL, *allow holds the
 * methods of the routes whose path matched (0: no path matched). */
const struct route *router_match(const struct site *site, const char *path,
				 enum http_method method, unsigned *allow);
/* Runs site->before and then the route's handler. */
void router_run(struct request *req);
/* Formats an Allow header value for methods into a. */
const char *router_allow(struct arena *a, unsigned methods);

/* ---- slow.c ---- */

/* Returns a new pool of n threads with room for queue_len waiting jobs,
 * or NULL when a thread cannot start. Caller frees with slow_pool_free(),
 * which stops the pool first if needed. */
struct slow_pool *slow_pool_new(int n, size_t queue_len);
/* Refuses new jobs, answers the queued ones with 503 and joins the
 * threads. Call before MHD_stop_daemon(); the pool stays valid (pushes
 * fail) until slow_pool_free(). */
void slow_pool_stop(struct slow_pool *p);
void slow_pool_free(struct slow_pool *p);
/* Suspends c's connection and queues it; a worker runs before and the
 * handler, then resumes it. Returns false (nothing done) when the queue
 * is full or the pool is stopping. Call from the access handler only. */
bool slow_pool_push(struct slow_pool *p, struct conn *c);

#endif

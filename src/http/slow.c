/*
 * slow.c - the pool that runs ROUTE_SLOW handlers (password hashing takes
 * tens of milliseconds) off the MHD threads, so a storm of sign-ins never
 * delays page views. The MHD thread suspends the connection and queues
 * it; a worker runs site->before and the handler, marks the response
 * ready and resumes the connection; MHD then calls the access handler
 * again, which queues the prepared response.
 *
 * The queue is a bounded ring under one mutex and condition variable.
 * That lock is taken only for slow jobs, never on the ordinary request
 * path. When the ring is full the caller answers 503 at once. Stopping
 * answers the jobs still queued with 503 (their handlers do not run) and
 * joins the workers, so no connection stays suspended: MHD forbids
 * stopping a daemon that has one.
 */
#include <pthread.h>
#include <stdbool.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "http/internal.h"

struct slow_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn **ring;
	size_t cap, head, len;
	bool stopping;
	pthread_t *threads;
	int n_threads;
};

/* Runs (or refuses) one job and gives the connection back to MHD. After
 * MHD_resume_connection() the conn belongs to MHD again. */
static void
slow_finish(struct conn *c, bool run)
{
	struct MHD_Connection *mc = c->mc;

	if (run)
		router_run(&c->req);
	else
		http_error(&c->req, 503, "The server is shutting down.");
	c->state = CONN_READY;
	MHD_resume_connection(mc);
}

static void *
slow_main(void *arg)
{
	struct slow_pool *p = arg;
	struct conn *c;
	bool run;

	for (;;) {
		pthread_mutex_lock(&p->lock);
		while (p->len == 0 && !p->stopping)
			pthread_cond_wait(&p->cond, &p->lock);
		if (p->len == 0) {
			pthread_mutex_unlock(&p->lock);
			break;
		}
		c = p->ring[p->head];
		p->head = (p->head + 1) % p->cap;
		p->len--;
		run = !p->stopping;
		pthread_mutex_unlock(&p->lock);
		slow_finish(c, run);
	}
	return NULL;
}

struct slow_pool *
slow_pool_new(int n, size_t queue_len)
{
	struct slow_pool *p = xcalloc(1, sizeof(*p));
	int i, rc;

	if (n < 1)
		n = 1;
	if (queue_len < 1)
		queue_len = 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->cap = queue_len;
	p->ring = xcalloc(queue_len, sizeof(*p->ring));
	p->threads = xcalloc((size_t)n, sizeof(*p->threads));
	for (i = 0; i < n; i++) {
		rc = pthread_create(&p->threads[i], NULL, slow_main, p);
		if (rc != 0) {
			log_warnx("http: cannot start a slow-pool thread: "
				  "error %d", rc);
			break;
		}
		p->n_threads++;
	}
	if (p->n_threads < n) {
		slow_pool_free(p);
		return NULL;
	}
	return p;
}

void
slow_pool_stop(struct slow_pool *p)
{
	int i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	p->n_threads = 0;
}

void
slow_pool_free(struct slow_pool *p)
{
	if (p == NULL)
		return;
	slow_pool_stop(p);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	xfree(p->threads);
	xfree(p->ring);
	xfree(p);
}

bool
slow_pool_push(struct slow_pool *p, struct conn *c)
{
	bool queued = false;

	pthread_mutex_lock(&p->lock);
	if (!p->stopping && p->len < p->cap) {
		/* Suspend before a worker can see c, so its resume always
		 * follows this suspend. */
		c->state = CONN_SLOW;
		MHD_suspend_connection(c->mc);
		p->ring[(p->head + p->len) % p->cap] = c;
		p->len++;
		pthread_cond_signal(&p->cond);
		queued = true;
	}
	pthread_mutex_unlock(&p->lock);
	return queued;
}

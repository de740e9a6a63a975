/*
 * outbox.c - the worker that delivers the durable outbox.
 *
 * Messages are claimed from the store in batches (store_outbox_claim: a
 * lease, so several processes sharing one store never send a message
 * twice at once), handed to the transport one by one, and marked:
 *   - sent on success;
 *   - retry on a temporary failure (OP_E_MAIL or anything unexpected),
 *     after 30 s * 2^attempts, capped at one hour, plus up to 20% random
 *     jitter so a burst of failures does not retry in lockstep; a message
 *     older than three days is marked failed instead;
 *   - failed at once on a permanent failure (OP_E_INVALID).
 * The thread sleeps on a condition variable until outbox_kick() or one
 * second passes, so a message enqueued by another process is picked up
 * within about a second. Each thread has its own store connection (the
 * store's rule), so the worker and the request threads do not contend.
 *
 * This file logs (it is the boundary for mail): the pending and failed
 * counts at start, and each failure.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <sodium.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "store/store.h"

#define OUTBOX_LEASE_SEC	60
#define OUTBOX_BATCH		16
#define OUTBOX_RETRY_BASE_SEC	30
#define OUTBOX_RETRY_MAX_SEC	3600
#define OUTBOX_GIVE_UP_SEC	(3 * 24 * 3600)

struct outbox {
	struct onepass *op;
	struct mail_transport tr;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* signalled by kick and stop */
	bool kicked;		/* under mu */
	atomic_bool stop;
};

/* The delay before the next attempt when earlier attempts had failed
 * before the one that just failed: 30 s, 60 s, 120 s ... 1 h, + jitter. */
static int64_t
retry_delay(int earlier)
{
	int64_t d = OUTBOX_RETRY_BASE_SEC;
	int i;

	for (i = 0; i < earlier && d < OUTBOX_RETRY_MAX_SEC; i++)
		d *= 2;
	if (d > OUTBOX_RETRY_MAX_SEC)
		d = OUTBOX_RETRY_MAX_SEC;
	return d + (int64_t)randombytes_uniform((uint32_t)(d / 5) + 1);
}

static void
log_failed(struct onepass *op, const struct outbox_msg *m, const char *why)
{
	int64_t failed = -1;

	if (store_outbox_count(op->store, OUTBOX_FAILED, &failed) != OP_OK)
		failed = -1;
	log_warnx("mail %lld %s failed for good: %s (%lld failed in all)",
		  (long long)m->id, m->message_id, why, (long long)failed);
}

/* Sends m and records the outcome. Returns the store's result. */
static enum op_rc
deliver(struct onepass *op, const struct mail_transport *tr,
	const struct outbox_msg *m, size_t *n_sent)
{
	struct op_err err = { 0 };
	enum op_rc rc, src;
	int64_t now, delay;
	const char *why;

	rc = tr->send(tr->ctx, m->mail_from, m->rcpt, m->body, m->body_len,
		      &err);
	now = op->now();
	if (rc == OP_OK) {
		src = store_outbox_mark_sent(op->store, m->id, now);
		if (src == OP_OK)
			(*n_sent)++;
		return src;
	}
	why = err.msg[0] != '\0' ? err.msg : op_strerror(rc);
	if (rc == OP_E_INVALID || now - m->created_at >= OUTBOX_GIVE_UP_SEC) {
		src = store_outbox_mark_failed(op->store, m->id, why);
		log_failed(op, m, why);
		return src;
	}
	/* The claim counted the attempt that just failed. */
	delay = retry_delay(m->attempts > 0 ? m->attempts - 1 : 0);
	log_warnx("mail %lld %s not delivered, retry in %llds: %s",
		  (long long)m->id, m->message_id, (long long)delay, why);
	return store_outbox_mark_retry(op->store, m->id, now + delay, why);
}

/*
 * Claims one batch and delivers it, stopping early when stop is set
 * (claimed messages left over keep their lease and are claimed again
 * once it lapses). Sets *n_claimed.
 */
static enum op_rc
outbox_batch(struct onepass *op, const struct mail_transport *tr,
	     atomic_bool *stop, size_t *n_claimed, size_t *n_sent)
{
	struct outbox_msg *msgs = NULL;
	enum op_rc rc, mrc;
	size_t n = 0, i;

	rc = store_outbox_claim(op->store, op->now(), OUTBOX_LEASE_SEC,
				OUTBOX_BATCH, &msgs, &n);
	*n_claimed = rc == OP_OK ? n : 0;
	for (i = 0; rc == OP_OK && i < n; i++) {
		if (stop != NULL && atomic_load(stop))
			break;
		mrc = deliver(op, tr, &msgs[i], n_sent);
		if (mrc != OP_OK)
			rc = mrc;
	}
	for (i = 0; i < n; i++)
		outbox_msg_release(&msgs[i]);
	xfree(msgs);
	return rc;
}

enum op_rc
outbox_run_once(struct onepass *op, const struct mail_transport *tr,
		size_t *n_sent)
{
	size_t claimed, sent = 0;
	enum op_rc rc;

	/* Each claimed message leaves the due set (sent, failed, retried
	 * later, or leased), so this ends. */
	do {
		rc = outbox_batch(op, tr, NULL, &claimed, &sent);
	} while (rc == OP_OK && claimed > 0);
	if (n_sent != NULL)
		*n_sent = sent;
	return rc;
}

static void *
outbox_main(void *arg)
{
	struct outbox *ob = arg;
	bool store_failing = false;
	size_t claimed, sent;
	struct timespec ts;
	enum op_rc rc;

	while (!atomic_load(&ob->stop)) {
		pthread_mutex_lock(&ob->mu);
		ob->kicked = false;
		pthread_mutex_unlock(&ob->mu);
		sent = 0;
		rc = outbox_batch(ob->op, &ob->tr, &ob->stop, &claimed, &sent);
		if (rc != OP_OK && !store_failing)
			log_warnx("outbox: %s", op_strerror(rc));
		store_failing = rc != OP_OK;
		if (rc == OP_OK && claimed == OUTBOX_BATCH)
			continue;	/* more may be due now */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&ob->mu);
		while (!ob->kicked && !atomic_load(&ob->stop))
			if (pthread_cond_timedwait(&ob->cv, &ob->mu, &ts) ==
			    ETIMEDOUT)
				break;
		pthread_mutex_unlock(&ob->mu);
	}
	return NULL;
}

enum op_rc
outbox_start(struct onepass *op, const struct mail_transport *tr,
	     struct outbox **out)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));
	int64_t pending = 0, failed = 0;
	pthread_condattr_t ca;
	int e;

	if (store_outbox_count(op->store, OUTBOX_PENDING, &pending) != OP_OK ||
	    store_outbox_count(op->store, OUTBOX_FAILED, &failed) != OP_OK) {
		xfree(ob);
		return OP_E_STORE;
	}
	log_info("outbox: %lld pending, %lld failed, delivery by %s",
		 (long long)pending, (long long)failed, tr->name);
	ob->op = op;
	ob->tr = *tr;
	atomic_init(&ob->stop, false);
	pthread_mutex_init(&ob->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ob->cv, &ca);
	pthread_condattr_destroy(&ca);
	e = pthread_create(&ob->thread, NULL, outbox_main, ob);
	if (e != 0) {
		errno = e;
		log_warn("outbox: cannot start the worker");
		pthread_cond_destroy(&ob->cv);
		pthread_mutex_destroy(&ob->mu);
		xfree(ob);
		return OP_E_INTERNAL;
	}
	*out = ob;
	return OP_OK;
}

void
outbox_kick(struct outbox *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->mu);
	ob->kicked = true;
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
}

void
outbox_stop(struct outbox *ob)
{
	if (ob == NULL)
		return;
	pthread_mutex_lock(&ob->mu);
	atomic_store(&ob->stop, true);
	pthread_cond_signal(&ob->cv);
	pthread_mutex_unlock(&ob->mu);
	pthread_join(ob->thread, NULL);
	pthread_cond_destroy(&ob->cv);
	pthread_mutex_destroy(&ob->mu);
	xfree(ob);
}

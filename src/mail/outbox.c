/*
 * outbox.c - the worker that delivers the durable outbox.
 *
 * Messages are claimed from the store in batches (store_outbox_claim: a
 * lease, so several processes sharing one store never send a message
 * twice at once, and a message claimed by a process that died is claimed
 * again once the lease lapses), handed to the transport one by one, and
 * marked:
 *   - sent on success;
 *   - retry on a temporary failure (OP_E_MAIL or anything unexpected),
 *     after [mail] retry_sec (30 s) * 2^attempts, capped at one hour,
 *     plus up to 20% random jitter so a burst of failures does not retry
 *     in lockstep; a message older than [mail] max_age_sec (three days)
 *     is marked failed instead;
 *   - failed at once on a permanent failure (OP_E_INVALID).
 *
 * A message is sent at least once: it is marked only after the transport
 * answered, so a process killed between the two sends it again once the
 * lease lapses, with the same Message-ID (fixed when it was queued), by
 * which the resend can be recognised. The lease is [mail] timeout_sec +
 * OUTBOX_LEASE_SLACK_SEC + OUTBOX_CLOCK_MARGIN_SEC, and a delivery (or
 * a probe) is started only while at least timeout_sec + the margin of it
 * is left, so it always ends (the transport gives up at timeout_sec)
 * before another process can claim the message; a failure is marked only
 * while the claim holds. Claimed messages the worker will not get to in
 * time, or left when it stops, are released (due at once) rather than
 * left to lapse.
 *
 * Down or refusing? After the first failure of a batch the worker asks
 * the transport's probe (when it has one) whether the server answers at
 * all. When it does not, the failure is the server's, not the message's:
 * the message and the rest of the batch wait (5 s * 2^attempts, capped
 * at 5 min), and the worker probes again every second (every 5 s after
 * ten minutes) until the server answers; then every pending message is
 * made due at once (store_outbox_retry with id 0), so mail goes out
 * about a second after the server is back whatever its backoff was. The
 * worker also probes once when it starts.
 *
 * The thread sleeps on a condition variable until outbox_kick() or one
 * second passes, so a message enqueued by another process is picked up
 * within about a second. Each thread has its own store connection (the
 * store's rule), so the worker and the request threads do not contend.
 *
 * This file logs (it is the boundary for mail): the pending and failed
 * counts at start and whenever they change, each failure, and the
 * server going away and coming back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "store/store.h"

#define OUTBOX_BATCH		16
#define OUTBOX_RETRY_SEC	30	/* when there is no configuration */
#define OUTBOX_RETRY_MAX_SEC	3600
#define OUTBOX_DOWN_SEC		5	/* first wait while the server is down */
#define OUTBOX_DOWN_MAX_SEC	300
#define OUTBOX_MAX_AGE_SEC	(3 * 24 * 3600)
#define OUTBOX_TIMEOUT_SEC	30
#define OUTBOX_LEASE_SLACK_SEC	5	/* after a claim, when sends may start */
#define OUTBOX_CLOCK_MARGIN_SEC	2	/* clock skew between nodes */
#define OUTBOX_PROBE_FAST_MS	1000
#define OUTBOX_PROBE_SLOW_MS	5000
#define OUTBOX_PROBE_FAST_FOR_MS (10 * 60 * 1000)

struct policy {
	int64_t timeout;	/* longest delivery */
	int64_t lease;
	int64_t retry;		/* first wait after a temporary failure */
	int64_t max_age;
};

/* One delivery loop's state: the worker's, or one outbox_run_once's. */
struct run {
	struct onepass *op;
	const struct mail_transport *tr;
	struct policy pol;
	atomic_bool *stop;	/* may be NULL */
	bool down;		/* the last probe failed */
	int64_t down_since_ms;	/* monotonic */
	int64_t probed_ms;	/* monotonic, the last probe */
	size_t sent;
};

struct outbox {
	struct run run;
	struct mail_transport tr;
	int64_t pending, failed;	/* as last logged */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;	/* signalled by kick and stop */
	bool kicked;		/* under mu */
	atomic_bool stop;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
clamp(long v, int64_t lo, int64_t hi, int64_t def)
{
	if (v <= 0)
		return def;
	return v < lo ? lo : v > hi ? hi : v;
}

static void
policy_of(const struct onepass *op, struct policy *p)
{
	const struct config *cfg = op->cfg;

	p->timeout = cfg ? clamp(cfg->mail_timeout_sec, 1, 3600,
				 OUTBOX_TIMEOUT_SEC) : OUTBOX_TIMEOUT_SEC;
	p->retry = cfg ? clamp(cfg->mail_retry_sec, 1, OUTBOX_RETRY_MAX_SEC,
			       OUTBOX_RETRY_SEC) : OUTBOX_RETRY_SEC;
	p->max_age = cfg ? clamp(cfg->mail_max_age_sec, 60, INT32_MAX,
				 OUTBOX_MAX_AGE_SEC) : OUTBOX_MAX_AGE_SEC;
	p->lease = p->timeout + OUTBOX_LEASE_SLACK_SEC +
	    OUTBOX_CLOCK_MARGIN_SEC;
}

/* The wait after a failure when earlier attempts had failed before the
 * one that just failed: base, 2 base, 4 base ... max, + up to 20%. */
static int64_t
backoff(int64_t base, int64_t max, int earlier)
{
	int64_t d = base;
	int i;

	for (i = 0; i < earlier && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
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

/* The server answered after it had not: everything waiting goes now. */
static void
server_back(struct run *r)
{
	if (!r->down)
		return;
	r->down = false;
	log_info("mail: %s answers again; sending what waits", r->tr->name);
	if (store_outbox_retry(r->op->store, 0, r->op->now()) != OP_OK)
		log_warnx("outbox: cannot make the waiting mail due");
}

static void
server_down(struct run *r, const char *why)
{
	r->probed_ms = mono_ms();
	if (r->down)
		return;
	r->down = true;
	r->down_since_ms = r->probed_ms;
	/* why names the server. */
	log_warnx("mail: the server does not answer (%s); mail waits in the "
		  "outbox", why);
}

/* Asks the transport whether the server answers; updates r->down. */
static void
probe(struct run *r)
{
	struct op_err err = { 0 };

	if (r->tr->probe == NULL)
		return;
	if (r->tr->probe(r->tr->ctx, &err) == OP_OK) {
		r->probed_ms = mono_ms();
		server_back(r);
	} else {
		server_down(r, err.msg[0] != '\0' ? err.msg : "no answer");
	}
}

/* Marks m after a failure that was not its own (the server is down). */
static enum op_rc
defer(struct run *r, const struct outbox_msg *m, const char *why)
{
	int64_t now = r->op->now();

	if (now - m->created_at >= r->pol.max_age) {
		enum op_rc rc = store_outbox_mark_failed(r->op->store, m->id,
							 why);
		log_failed(r->op, m, why);
		return rc;
	}
	return store_outbox_mark_retry(r->op->store, m->id,
				       now + backoff(OUTBOX_DOWN_SEC,
						     OUTBOX_DOWN_MAX_SEC,
						     m->attempts > 0 ?
						     m->attempts - 1 : 0),
				       why);
}

/* Sends m and records the outcome; until is the end of the claim.
 * *probed tells whether this batch has probed already. Returns the
 * store's result. */
static enum op_rc
deliver(struct run *r, const struct outbox_msg *m, int64_t until,
	bool *probed)
{
	const struct mail_transport *tr = r->tr;
	struct op_err err = { 0 };
	enum op_rc rc, src;
	int64_t now, delay;
	char why[sizeof(err.msg)];

	rc = tr->send(tr->ctx, m->mail_from, m->rcpt, m->body, m->body_len,
		      &err);
	if (rc == OP_OK) {
		src = store_outbox_mark_sent(r->op->store, m->id,
					     r->op->now());
		if (src == OP_OK)
			r->sent++;
		server_back(r);
		return src;
	}
	snprintf(why, sizeof(why), "%s",
		 err.msg[0] != '\0' ? err.msg : op_strerror(rc));
	/* A probe may take as long as a delivery: only while the claim
	 * has that time left, so the mark below is still ours to make. */
	now = r->op->now();
	if (tr->probe != NULL && !*probed &&
	    now + r->pol.timeout + OUTBOX_CLOCK_MARGIN_SEC <= until) {
		*probed = true;
		probe(r);
		now = r->op->now();
	}
	if (now + OUTBOX_CLOCK_MARGIN_SEC >= until)
		return OP_OK;	/* the lease lapses: whoever claims it next */
	if (r->down)
		return defer(r, m, why);
	if (rc == OP_E_INVALID || now - m->created_at >= r->pol.max_age) {
		src = store_outbox_mark_failed(r->op->store, m->id, why);
		log_failed(r->op, m, why);
		return src;
	}
	/* The claim counted the attempt that just failed. */
	delay = backoff(r->pol.retry, OUTBOX_RETRY_MAX_SEC,
			m->attempts > 0 ? m->attempts - 1 : 0);
	log_warnx("mail %lld %s not delivered, retry in %llds: %s",
		  (long long)m->id, m->message_id, (long long)delay, why);
	return store_outbox_mark_retry(r->op->store, m->id, now + delay, why);
}

/*
 * Claims one batch and delivers it. A message is sent only while the
 * claim has time enough left for a whole delivery; the ones left over
 * (time short, or stop set) are released, or deferred when the server
 * turned out to be down. Sets *n_claimed.
 */
static enum op_rc
batch(struct run *r, size_t *n_claimed)
{
	struct outbox_msg *msgs = NULL;
	int64_t now, until;
	enum op_rc rc, mrc;
	size_t n = 0, i;
	bool probed = false, release = false;

	now = r->op->now();
	until = now + r->pol.lease;
	rc = store_outbox_claim(r->op->store, now, r->pol.lease, OUTBOX_BATCH,
				&msgs, &n);
	*n_claimed = rc == OP_OK ? n : 0;
	for (i = 0; rc == OP_OK && i < n; i++) {
		now = r->op->now();
		/* Past this the claim is no longer ours to mark. */
		if (now + OUTBOX_CLOCK_MARGIN_SEC >= until)
			break;
		if (r->stop != NULL && atomic_load(r->stop))
			release = true;
		if (now + r->pol.timeout + OUTBOX_CLOCK_MARGIN_SEC > until)
			release = true;
		if (release)
			mrc = store_outbox_mark_retry(r->op->store, msgs[i].id,
						      now,
						      msgs[i].last_error);
		else if (r->down && probed)
			mrc = defer(r, &msgs[i], "not tried: the mail server "
				    "does not answer");
		else
			mrc = deliver(r, &msgs[i], until, &probed);
		if (mrc != OP_OK)
			rc = mrc;
	}
	for (i = 0; i < n; i++)
		outbox_msg_release(&msgs[i]);
	xfree(msgs);
	return rc;
}

static void
run_init(struct run *r, struct onepass *op, const struct mail_transport *tr,
	 atomic_bool *stop)
{
	memset(r, 0, sizeof(*r));
	r->op = op;
	r->tr = tr;
	r->stop = stop;
	policy_of(op, &r->pol);
}

/* A delivered message's body is wiped from the store; this makes the
 * wiped bytes leave the store's files too (SQLite's WAL keeps them until
 * a checkpoint). */
static void
scrub(struct store *st)
{
	if (store_scrub(st) != OP_OK)
		log_warnx("outbox: store scrub failed");
}

enum op_rc
outbox_run_once(struct onepass *op, const struct mail_transport *tr,
		size_t *n_sent)
{
	struct run r;
	size_t claimed;
	enum op_rc rc;

	run_init(&r, op, tr, NULL);
	/* Each claimed message leaves the due set (sent, failed, retried
	 * later, or leased), so this ends. */
	do {
		rc = batch(&r, &claimed);
	} while (rc == OP_OK && claimed > 0 && !r.down);
	if (r.sent > 0)
		scrub(op->store);
	if (n_sent != NULL)
		*n_sent = r.sent;
	return rc;
}

/* Logs the pending and failed counts when they changed. */
static void
log_counts(struct outbox *ob)
{
	struct store *st = ob->run.op->store;
	int64_t pending, failed;

	if (store_outbox_count(st, OUTBOX_PENDING, &pending) != OP_OK ||
	    store_outbox_count(st, OUTBOX_FAILED, &failed) != OP_OK)
		return;
	if (pending == ob->pending && failed == ob->failed)
		return;
	ob->pending = pending;
	ob->failed = failed;
	log_info("outbox: %lld pending, %lld failed", (long long)pending,
		 (long long)failed);
}

static bool
probe_due(const struct run *r)
{
	int64_t now = mono_ms();
	int64_t every = now - r->down_since_ms < OUTBOX_PROBE_FAST_FOR_MS ?
	    OUTBOX_PROBE_FAST_MS : OUTBOX_PROBE_SLOW_MS;

	return r->down && now - r->probed_ms >= every;
}

static void *
outbox_main(void *arg)
{
	struct outbox *ob = arg;
	bool store_failing = false;
	struct timespec ts;
	size_t claimed, scrubbed_at = 0;
	enum op_rc rc;

	probe(&ob->run);
	while (!atomic_load(&ob->stop)) {
		pthread_mutex_lock(&ob->mu);
		ob->kicked = false;
		pthread_mutex_unlock(&ob->mu);
		if (probe_due(&ob->run))
			probe(&ob->run);
		rc = batch(&ob->run, &claimed);
		if (rc != OP_OK && !store_failing)
			log_warnx("outbox: %s", op_strerror(rc));
		store_failing = rc != OP_OK;
		if (rc == OP_OK && claimed == OUTBOX_BATCH && !ob->run.down)
			continue;	/* more may be due now */
		if (ob->run.sent != scrubbed_at) {
			scrub(ob->run.op->store);
			scrubbed_at = ob->run.sent;
		}
		log_counts(ob);
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
	pthread_condattr_t ca;
	int e;

	if (store_outbox_count(op->store, OUTBOX_PENDING, &ob->pending) !=
	    OP_OK ||
	    store_outbox_count(op->store, OUTBOX_FAILED, &ob->failed) !=
	    OP_OK) {
		xfree(ob);
		return OP_E_STORE;
	}
	log_info("outbox: %lld pending, %lld failed, delivery by %s",
		 (long long)ob->pending, (long long)ob->failed, tr->name);
	ob->tr = *tr;
	atomic_init(&ob->stop, false);
	run_init(&ob->run, op, &ob->tr, &ob->stop);
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

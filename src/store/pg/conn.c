/*
 * conn.c - the PostgreSQL backend's pool of connections: taking one for
 * the calling thread, giving it back, opening, checking and closing them,
 * and the transactions the backend opens for itself (pg_tx_begin/end).
 *
 * A thread takes a connection per call (or per transaction) and gives it
 * back after, so a node needs far fewer connections than it has threads,
 * and no connection is tied to a thread that is gone. The pool opens
 * connections lazily up to pool_size; a thread that finds all of them
 * busy waits up to PG_TAKE_WAIT_SEC for one.
 *
 * Surviving a database restart: a connection that failed (lost socket,
 * SQLSTATE class 08 or 57P) is marked broken and closed when given back,
 * so the next take opens a fresh one (statements are prepared again on
 * it). An idle connection is checked before it is handed out: an idle
 * connection never has anything to read, so readable or hung up means
 * the server has gone (a restart sends a FATAL message and closes) and
 * it is replaced at once, before any request fails on it. While the
 * database is unreachable, a failed connect makes the next ones fail fast
 * (OP_E_STORE, a 503 for the request) for PG_RETRY_MS, so a node under
 * load does not hammer a database that is starting up. The failure is
 * logged once, and so is the recovery.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/pg/db.h"

#define PG_TAKE_WAIT_SEC 10
#define PG_RETRY_MS 500
#define PG_CONNECT_TIMEOUT "5"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pg_first_line(const char *msg, char *out, size_t size)
{
	size_t n;

	if (msg == NULL)
		msg = "";
	n = strcspn(msg, "\r\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, msg, n);
	out[n] = '\0';
}

/* Notices (e.g. "relation already exists, skipping") would go to stderr
 * by default: they are for debugging only. */
static void
notice(void *arg, const char *msg)
{
	char line[256];

	(void)arg;
	pg_first_line(msg, line, sizeof(line));
	log_debug("store: postgresql says '%s'", line);
}

/* Opens a new connection (not yet on any list). */
static enum op_rc
conn_connect(struct pg_store *st, struct pg_conn **out, struct op_err *err)
{
	/*
	 * Defaults first: the URL's own settings come later and win.
	 * Over TCP, a database host that vanishes (rather than restarts)
	 * is noticed within about a minute, not the kernel's quarter of an
	 * hour. No GSSAPI encryption unless the URL asks: it loads
	 * Kerberos, whose exported store_profile_release() the onepass binary's
	 * own (store.h) would interpose.
	 */
	static const char *const keys[] = {
		"connect_timeout", "application_name", "client_encoding",
		"keepalives_idle", "keepalives_interval", "keepalives_count",
		"tcp_user_timeout", "gssencmode", "dbname", NULL,
	};
	const char *values[] = {
		PG_CONNECT_TIMEOUT, "onepass", "UTF8", "30", "10", "3",
		"30000", "disable", st->url, NULL,
	};
	struct pg_conn *c;
	char line[200];
	PGconn *pg;

	pg = PQconnectdbParams(keys, values, 1);
	if (pg == NULL)
		fatalx("store: libpq could not allocate a connection");
	if (PQstatus(pg) != CONNECTION_OK) {
		pg_first_line(PQerrorMessage(pg), line, sizeof(line));
		PQfinish(pg);
		return op_err_set(err, OP_E_STORE, "cannot connect to %s: %s",
				  st->where, line);
	}
	if (PQserverVersion(pg) < 100000) {
		PQfinish(pg);
		return op_err_set(err, OP_E_STORE,
				  "%s runs a PostgreSQL older than 10",
				  st->where);
	}
	PQsetNoticeProcessor(pg, notice, NULL);
	c = xcalloc(1, sizeof(*c));
	c->pg = pg;
	c->owner = st;
	*out = c;
	return OP_OK;
}

/* Closes c and frees it; c must be off owner->idle. */
static void
conn_free(struct pg_store *st, struct pg_conn *c)
{
	struct pg_conn **pp;

	pthread_mutex_lock(&st->mu);
	for (pp = &st->all; *pp != NULL; pp = &(*pp)->all_next) {
		if (*pp == c) {
			*pp = c->all_next;
			break;
		}
	}
	st->n_open--;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	PQfinish(c->pg);
	xfree(c);
}

/*
 * Opens a connection for a slot already counted in n_open: fails fast
 * while the database was found down less than PG_RETRY_MS ago, logs the
 * first failure and the recovery. On failure the slot is released.
 */
static enum op_rc
conn_open_slot(struct pg_store *st, struct pg_conn **out, struct op_err *err)
{
	struct pg_conn *c = NULL;
	enum op_rc rc;
	bool was_down;

	pthread_mutex_lock(&st->mu);
	if (st->down && now_ms() < st->retry_at_ms) {
		st->n_open--;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		return op_err_set(err, OP_E_STORE, "%s is unreachable",
				  st->where);
	}
	pthread_mutex_unlock(&st->mu);

	rc = conn_connect(st, &c, err);

	pthread_mutex_lock(&st->mu);
	was_down = st->down;
	if (rc != OP_OK) {
		st->n_open--;
		st->down = true;
		st->retry_at_ms = now_ms() + PG_RETRY_MS;
		pthread_cond_signal(&st->cv);
	} else {
		st->down = false;
		c->all_next = st->all;
		st->all = c;
	}
	pthread_mutex_unlock(&st->mu);
	if (rc != OP_OK && !was_down && st->opened)
		log_warnx("store: %s; requests fail until it is back",
			  err->msg);
	else if (rc == OP_OK && was_down)
		log_info("store: connected to %s again", st->where);
	if (rc == OP_OK)
		*out = c;
	return rc;
}

/*
 * An idle connection has nothing to read: if its socket is readable or
 * hung up, the server closed it (restart, idle timeout, terminated
 * backend) or sent something unasked. Either way it is not trusted.
 */
static bool
conn_idle_ok(struct pg_conn *c)
{
	struct pollfd pfd;
	int n;

	if (c->broken || PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		return false;
	pfd.fd = PQsocket(c->pg);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return false;
	do {
		n = poll(&pfd, 1, 0);
	} while (n == -1 && errno == EINTR);
	return n == 0;
}

static void
deadline_in(struct timespec *ts, int sec)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += sec;
}

enum op_rc
pg_conn_take(struct pg_store *st, struct pg_conn **out)
{
	struct op_err err = { 0 };

	return pg_conn_take_err(st, out, &err);
}

enum op_rc
pg_conn_take_err(struct pg_store *st, struct pg_conn **out,
		 struct op_err *err)
{
	struct pg_conn *c;
	struct timespec deadline;
	enum op_rc rc;
	int wrc = 0;

	c = pthread_getspecific(st->key);
	if (c != NULL) {
		c->depth++;
		*out = c;
		return OP_OK;
	}
	deadline_in(&deadline, PG_TAKE_WAIT_SEC);
	pthread_mutex_lock(&st->mu);
	for (;;) {
		if (st->idle != NULL) {
			c = st->idle;
			st->idle = c->next;
			c->next = NULL;
			break;
		}
		if (st->n_open < st->pool_size) {
			st->n_open++;	/* a slot for a new connection */
			break;
		}
		if (wrc == ETIMEDOUT)
			break;
		wrc = pthread_cond_timedwait(&st->cv, &st->mu, &deadline);
	}
	pthread_mutex_unlock(&st->mu);
	if (c == NULL && wrc == ETIMEDOUT) {
		op_err_set(err, OP_E_STORE,
			   "all %d connections to %s stayed busy for %d s",
			   st->pool_size, st->where, PG_TAKE_WAIT_SEC);
		log_warnx("store: %s", err->msg);
		return OP_E_STORE;
	}
	if (c != NULL && !conn_idle_ok(c)) {
		log_debug("store: replacing a stale connection to %s",
			  st->where);
		pthread_mutex_lock(&st->mu);
		st->n_open++;	/* keep the slot for the replacement */
		pthread_mutex_unlock(&st->mu);
		conn_free(st, c);
		c = NULL;
	}
	if (c == NULL) {
		rc = conn_open_slot(st, &c, err);
		if (rc != OP_OK)
			return rc;
	}
	if (pthread_setspecific(st->key, c) != 0) {
		pthread_mutex_lock(&st->mu);
		c->next = st->idle;
		st->idle = c;
		pthread_cond_signal(&st->cv);
		pthread_mutex_unlock(&st->mu);
		log_warnx("store: cannot attach a connection to this thread");
		return OP_E_STORE;
	}
	c->depth = 1;
	*out = c;
	return OP_OK;
}

void
pg_conn_give(struct pg_store *st, struct pg_conn *c)
{
	if (c == NULL || --c->depth > 0)
		return;
	pthread_setspecific(st->key, NULL);
	if (c->in_tx) {
		/* A transaction left open by a bug: never reuse it. */
		log_warnx("store: a transaction was left open; dropping its "
			  "connection");
		c->broken = true;
	}
	c->in_tx = c->explicit_tx = false;
	if (c->broken || PQstatus(c->pg) != CONNECTION_OK ||
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		conn_free(st, c);
		return;
	}
	pthread_mutex_lock(&st->mu);
	c->next = st->idle;
	st->idle = c;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
}

/* The pthread key's destructor: a thread exits while it holds c (it left
 * a transaction open). The connection is closed, never reused. */
void
pg_conn_thread_exit(void *arg)
{
	struct pg_conn *c = arg;

	c->broken = true;
	c->depth = 1;
	c->in_tx = c->explicit_tx = false;
	pg_conn_give(c->owner, c);
}

/* Maps a failed result (res may be NULL) to an op_rc; see db.h. */
enum op_rc
pg_result_error(struct pg_conn *c, const PGresult *res, const char *what)
{
	const char *state = NULL;
	char line[256];

	if (res != NULL)
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	pg_first_line(res != NULL ? PQresultErrorMessage(res)
			       : PQerrorMessage(c->pg),
		   line, sizeof(line));
	if (line[0] == '\0')
		pg_first_line(PQerrorMessage(c->pg), line, sizeof(line));
	if (PQstatus(c->pg) != CONNECTION_OK ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 ||
			       strncmp(state, "57P", 3) == 0))) {
		if (!c->broken)
			log_warnx("store: lost the connection to %s during "
				  "'%s': %s",
				  c->owner->where, what, line);
		c->broken = true;
		return OP_E_STORE;
	}
	if (state != NULL && strcmp(state, "26000") == 0) {
		/* Our prepared statements are gone (a pooler in between
		 * that does not keep sessions): start afresh. */
		log_warnx("store: prepared statement '%s' lost on %s", what,
			  c->owner->where);
		c->broken = true;
		return OP_E_STORE;
	}
	if (state != NULL && strcmp(state, "23505") == 0)
		return OP_E_EXISTS;
	if (state != NULL && strcmp(state, "23503") == 0)
		return OP_E_NOTFOUND;	/* no such user or client */
	log_warnx("store: statement '%s' failed: %s (SQLSTATE %s)", what, line,
		  state != NULL ? state : "none");
	/* Other constraints, and data the server refuses (bad UTF-8). */
	if (state != NULL &&
	    (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0))
		return OP_E_INVALID;
	return OP_E_STORE;
}

enum op_rc
pg_conn_exec(struct pg_conn *c, const char *sql, struct op_err *err)
{
	PGresult *res;
	enum op_rc rc = OP_OK;
	char line[200];

	if (c->broken)
		return op_err_set(err, OP_E_STORE, "connection to %s lost",
				  c->owner->where);
	res = PQexec(c->pg, sql);
	if (res == NULL || (PQresultStatus(res) != PGRES_COMMAND_OK &&
			    PQresultStatus(res) != PGRES_TUPLES_OK)) {
		pg_first_line(res != NULL ? PQresultErrorMessage(res)
				       : PQerrorMessage(c->pg),
			   line, sizeof(line));
		rc = pg_result_error(c, res, sql);
		if (rc == OP_OK || rc == OP_E_EXISTS || rc == OP_E_NOTFOUND)
			rc = OP_E_STORE;
		op_err_set(err, rc, "'%.40s' on %s: %s", sql, c->owner->where,
			   line);
	}
	PQclear(res);
	return rc;
}

/* ---- the backend's own transactions ---- */

enum op_rc
pg_tx_begin(struct pg_store *st, bool *own)
{
	struct pg_conn *c;
	enum op_rc rc;

	*own = false;
	rc = pg_conn_take(st, &c);
	if (rc != OP_OK)
		return rc;
	if (c->in_tx)
		return OP_OK;
	rc = pg_conn_exec(c, "BEGIN", NULL);
	if (rc != OP_OK) {
		pg_conn_give(st, c);
		return rc;
	}
	c->in_tx = true;
	*own = true;
	return OP_OK;
}

enum op_rc
pg_tx_end(struct pg_store *st, bool own, enum op_rc rc)
{
	struct pg_conn *c = pthread_getspecific(st->key);
	enum op_rc crc;

	if (c == NULL)
		return rc != OP_OK ? rc : OP_E_INTERNAL;
	if (own) {
		if (rc == OP_OK) {
			crc = pg_conn_exec(c, "COMMIT", NULL);
			if (crc != OP_OK)
				rc = crc;
		} else if (!c->broken) {
			pg_conn_exec(c, "ROLLBACK", NULL);
		}
		c->in_tx = false;
	}
	pg_conn_give(st, c);
	return rc;
}

enum op_rc
pg_sub_begin(struct pg_store *st, bool *own)
{
	struct pg_conn *c;
	enum op_rc rc;

	rc = pg_tx_begin(st, own);
	if (rc != OP_OK || *own)
		return rc;
	c = pthread_getspecific(st->key);
	rc = pg_conn_exec(c, "SAVEPOINT onepass_sub", NULL);
	if (rc != OP_OK)
		return pg_tx_end(st, false, rc);
	return OP_OK;
}

enum op_rc
pg_sub_end(struct pg_store *st, bool own, enum op_rc rc)
{
	struct pg_conn *c = pthread_getspecific(st->key);

	if (!own && c != NULL && !c->broken) {
		if (rc != OP_OK &&
		    pg_conn_exec(c, "ROLLBACK TO SAVEPOINT onepass_sub",
				 NULL) != OP_OK)
			log_warnx("store: a failed step could not be undone");
		if (pg_conn_exec(c, "RELEASE SAVEPOINT onepass_sub", NULL) !=
			    OP_OK &&
		    rc == OP_OK)
			rc = OP_E_STORE;
	}
	return pg_tx_end(st, own, rc);
}

/*
 * db.c - the SQLite backend's handle, its per-thread connections, the
 * statement cache and the query helpers; implements open, close, begin,
 * commit and rollback of struct store_backend (store/backend.h) and
 * exports the backend's only public symbol, store_backend_sqlite.
 *
 * Each thread gets its own connection, opened SQLITE_OPEN_NOMUTEX (it is
 * never shared) in WAL mode, found through a pthread key whose destructor
 * closes it when the thread exits. The store also keeps every open
 * connection on a list so store_close() can close those of threads still
 * alive; the list's mutex is taken only when a thread opens its first
 * connection, when a thread exits and at close, never per query.
 *
 * Writers wait for each other through busy_timeout; transactions start
 * with BEGIN IMMEDIATE so a transaction never has to upgrade a read lock
 * (which under WAL fails at once instead of waiting).
 *
 * It does not validate arguments: the facade (store.c) has done so.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/backend.h"
#include "store/sqlite/db.h"

#define SQ_BUSY_TIMEOUT_MS 5000

static void
conn_close(struct sq_conn *c)
{
	size_t i;
	int rc;

	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(c->stmt[i]);
	/* Closing rolls back any transaction the thread left open. */
	rc = sqlite3_close(c->db);
	if (rc != SQLITE_OK) {
		log_warnx("store: closing '%s': %s",
			  sqlite3_db_filename(c->db, "main"),
			  sqlite3_errstr(rc));
		sqlite3_close_v2(c->db);
	}
	xfree(c);
}

/* The pthread key's destructor: runs in a thread that exits. */
static void
conn_destroy(void *arg)
{
	struct sq_conn *c = arg;
	struct sq_store *st = c->owner;

	pthread_mutex_lock(&st->mu);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		st->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&st->mu);
	conn_close(c);
}

static enum op_rc
conn_exec(struct sq_conn *c, const char *sql, struct op_err *err)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return op_err_set(err, OP_E_STORE, "'%s' on '%s': %s", sql,
				  c->owner->path, sqlite3_errmsg(c->db));
	return OP_OK;
}

static enum op_rc
conn_open(struct sq_store *st, struct sq_conn **out, struct op_err *err)
{
	struct sq_conn *c;
	enum op_rc rc;
	int src;

	c = xcalloc(1, sizeof(*c));
	c->owner = st;
	src = sqlite3_open_v2(st->path, &c->db,
			      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				      SQLITE_OPEN_NOMUTEX,
			      NULL);
	if (src != SQLITE_OK) {
		rc = op_err_set(err, OP_E_STORE,
				"cannot open database '%s': %s", st->path,
				c->db != NULL ? sqlite3_errmsg(c->db)
					      : sqlite3_errstr(src));
		sqlite3_close(c->db);
		xfree(c);
		return rc;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, SQ_BUSY_TIMEOUT_MS);
	rc = conn_exec(c, "PRAGMA synchronous=NORMAL", err);
	if (rc == OP_OK)
		rc = conn_exec(c, "PRAGMA foreign_keys=ON", err);
	/* Deleted secrets (spent mail bodies, old hashes) are overwritten,
	 * not left in free pages. */
	if (rc == OP_OK)
		rc = conn_exec(c, "PRAGMA secure_delete=ON", err);
	if (rc != OP_OK) {
		conn_close(c);
		return rc;
	}

	pthread_mutex_lock(&st->mu);
	c->next = st->conns;
	if (st->conns != NULL)
		st->conns->prev = c;
	st->conns = c;
	pthread_mutex_unlock(&st->mu);
	if (pthread_setspecific(st->key, c) != 0) {
		/* Keep it on the list: sq_close will close it. */
		return op_err_set(err, OP_E_STORE,
				  "cannot attach a connection to this thread");
	}
	*out = c;
	return OP_OK;
}

enum op_rc
sq_conn_get(struct sq_store *st, struct sq_conn **out)
{
	struct op_err err;
	enum op_rc rc;

	*out = pthread_getspecific(st->key);
	if (*out != NULL)
		return OP_OK;
	rc = conn_open(st, out, &err);
	if (rc != OP_OK)
		log_warnx("store: %s", err.msg);
	return rc;
}

enum op_rc
sq_query_start(struct sq_store *st, enum sq_stmt id, struct sq_query *q)
{
	struct sq_conn *c;
	sqlite3_stmt *s;
	enum op_rc rc;
	int src;

	memset(q, 0, sizeof(*q));
	rc = sq_conn_get(st, &c);
	if (rc != OP_OK)
		return rc;
	if (sq_stmts[id].sql == NULL)
		fatalx("store: statement %d has no SQL", (int)id);
	q->conn = c;
	q->id = id;
	q->bind_err = SQLITE_OK;
	if (c->stmt[id] != NULL && !sqlite3_stmt_busy(c->stmt[id])) {
		q->stmt = c->stmt[id];
		return OP_OK;
	}
	/* Either never prepared, or in use further up this thread's stack
	 * (a list callback calling the store again): then use a private
	 * copy for this call. */
	src = sqlite3_prepare_v3(c->db, sq_stmts[id].sql, -1,
				 c->stmt[id] == NULL ? SQLITE_PREPARE_PERSISTENT
						     : 0,
				 &s, NULL);
	if (src != SQLITE_OK) {
		log_warnx("store: cannot prepare '%s': %s", sq_stmts[id].name,
			  sqlite3_errmsg(c->db));
		sqlite3_finalize(s);
		return OP_E_STORE;
	}
	if (c->stmt[id] == NULL)
		c->stmt[id] = s;
	else
		q->oneoff = true;
	q->stmt = s;
	return OP_OK;
}

void
sq_query_end(struct sq_query *q)
{
	if (q->stmt == NULL)
		return;
	if (q->oneoff) {
		sqlite3_finalize(q->stmt);
	} else {
		/* The step already reported any error; reset repeats it. */
		sqlite3_reset(q->stmt);
		sqlite3_clear_bindings(q->stmt);
	}
	q->stmt = NULL;
}

/*
 * Values are bound SQLITE_STATIC: every caller keeps them alive until
 * sq_query_end(), which clears the bindings before returning.
 */
void
sq_bind_int64(struct sq_query *q, int idx, int64_t v)
{
	if (q->bind_err == SQLITE_OK)
		q->bind_err = sqlite3_bind_int64(q->stmt, idx, v);
}

void
sq_bind_text(struct sq_query *q, int idx, const char *s)
{
	if (q->bind_err != SQLITE_OK)
		return;
	if (s == NULL)
		q->bind_err = sqlite3_bind_null(q->stmt, idx);
	else
		q->bind_err = sqlite3_bind_text(q->stmt, idx, s, -1,
						SQLITE_STATIC);
}

void
sq_bind_blob(struct sq_query *q, int idx, const void *p, size_t len)
{
	if (q->bind_err != SQLITE_OK)
		return;
	if (len > INT_MAX) {
		q->bind_err = SQLITE_TOOBIG;
		return;
	}
	q->bind_err = sqlite3_bind_blob(q->stmt, idx, p, (int)len,
					SQLITE_STATIC);
}

enum op_rc
sq_error(struct sq_conn *c, int sqlite_rc, const char *what)
{
	switch (sqlite_rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return OP_E_EXISTS;
	case SQLITE_CONSTRAINT_FOREIGNKEY:
		/* The referenced user does not exist. */
		return OP_E_NOTFOUND;
	default:
		break;
	}
	log_warnx("store: statement '%s' failed: %s (%s)", what,
		  sqlite3_errmsg(c->db), sqlite3_errstr(sqlite_rc));
	if ((sqlite_rc & 0xff) == SQLITE_CONSTRAINT)
		return OP_E_INVALID;
	return OP_E_STORE;
}

static enum op_rc
step_error(struct sq_query *q)
{
	return sq_error(q->conn, sqlite3_extended_errcode(q->conn->db),
			sq_stmts[q->id].name);
}

enum op_rc
sq_query_row(struct sq_query *q)
{
	int src;

	if (q->bind_err != SQLITE_OK)
		return sq_error(q->conn, q->bind_err, sq_stmts[q->id].name);
	src = sqlite3_step(q->stmt);
	if (src == SQLITE_ROW)
		return OP_OK;
	if (src == SQLITE_DONE)
		return OP_E_NOTFOUND;
	return step_error(q);
}

enum op_rc
sq_query_run(struct sq_query *q)
{
	int src;

	if (q->bind_err != SQLITE_OK)
		return sq_error(q->conn, q->bind_err, sq_stmts[q->id].name);
	do {
		src = sqlite3_step(q->stmt);
	} while (src == SQLITE_ROW);
	if (src == SQLITE_DONE)
		return OP_OK;
	return step_error(q);
}

enum op_rc
sq_query_update(struct sq_query *q)
{
	enum op_rc rc;

	rc = sq_query_run(q);
	if (rc == OP_OK && sqlite3_changes(q->conn->db) == 0)
		rc = OP_E_NOTFOUND;
	sq_query_end(q);
	return rc;
}

int64_t
sq_col_int64(const struct sq_query *q, int col)
{
	return sqlite3_column_int64(q->stmt, col);
}

char *
sq_col_str(const struct sq_query *q, int col)
{
	const char *s = sq_col_text(q, col);

	return s != NULL ? xstrdup(s) : NULL;
}

const char *
sq_col_text(const struct sq_query *q, int col)
{
	if (sqlite3_column_type(q->stmt, col) == SQLITE_NULL)
		return NULL;
	return (const char *)sqlite3_column_text(q->stmt, col);
}

void
sq_col_buf(const struct sq_query *q, int col, char *out, size_t size)
{
	const char *s = sq_col_text(q, col);
	size_t len;

	if (size == 0)
		return;
	len = s != NULL ? strnlen(s, size - 1) : 0;
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
}

bool
sq_col_null(const struct sq_query *q, int col)
{
	return sqlite3_column_type(q->stmt, col) == SQLITE_NULL;
}

/* Runs one of the transaction statements on this thread's connection. */
static enum op_rc
tx_stmt(struct sq_store *st, enum sq_stmt id)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(st, id, &q);
	if (rc != OP_OK)
		return rc;
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

static enum op_rc
sq_begin(void *h)
{
	struct sq_store *st = h;
	struct sq_conn *c;
	enum op_rc rc;

	rc = sq_conn_get(st, &c);
	if (rc != OP_OK)
		return rc;
	if (!sqlite3_get_autocommit(c->db))
		return OP_E_INVALID;
	return tx_stmt(st, ST_BEGIN);
}

static enum op_rc
sq_rollback(void *h)
{
	struct sq_store *st = h;
	struct sq_conn *c;
	enum op_rc rc;

	rc = sq_conn_get(st, &c);
	if (rc != OP_OK)
		return rc;
	if (sqlite3_get_autocommit(c->db))
		return OP_OK;
	return tx_stmt(st, ST_ROLLBACK);
}

/* A failed commit rolls back, so the connection is never left inside a
 * half-finished transaction. */
static enum op_rc
sq_commit(void *h)
{
	struct sq_store *st = h;
	struct sq_conn *c;
	enum op_rc rc;

	rc = sq_conn_get(st, &c);
	if (rc != OP_OK)
		return rc;
	if (sqlite3_get_autocommit(c->db))
		return OP_E_INVALID;
	rc = tx_stmt(st, ST_COMMIT);
	if (rc != OP_OK)
		sq_rollback(st);
	return rc;
}

enum op_rc
sq_tx_begin(struct sq_store *st, bool *own)
{
	struct sq_conn *c;
	enum op_rc rc;

	*own = false;
	rc = sq_conn_get(st, &c);
	if (rc != OP_OK)
		return rc;
	if (!sqlite3_get_autocommit(c->db))
		return OP_OK;
	rc = tx_stmt(st, ST_BEGIN);
	if (rc == OP_OK)
		*own = true;
	return rc;
}

enum op_rc
sq_tx_end(struct sq_store *st, bool own, enum op_rc rc)
{
	if (!own)
		return rc;
	if (rc != OP_OK) {
		sq_rollback(st);
		return rc;
	}
	return sq_commit(st);
}

static void
sq_close(void *h)
{
	struct sq_store *st = h;
	struct sq_conn *c, *next;

	if (st == NULL)
		return;
	/*
	 * After this no thread's exit runs conn_destroy for this store, and
	 * the connections of threads still alive are closed below. As
	 * store.h says, no thread may be using the store any more (a thread
	 * that is exiting at this very moment counts as using it).
	 */
	pthread_key_delete(st->key);
	pthread_mutex_lock(&st->mu);
	for (c = st->conns; c != NULL; c = next) {
		next = c->next;
		conn_close(c);
	}
	st->conns = NULL;
	pthread_mutex_unlock(&st->mu);
	pthread_mutex_destroy(&st->mu);
	xfree(st->path);
	xfree(st);
}

/* A clearer message than SQLite's "unable to open database file". */
static enum op_rc
check_parent_dir(const char *path, struct op_err *err)
{
	const char *slash = strrchr(path, '/');
	struct stat sb;
	char *dir;
	enum op_rc rc = OP_OK;

	if (slash == NULL || slash == path)
		return OP_OK;
	dir = xstrndup(path, (size_t)(slash - path));
	if (stat(dir, &sb) == -1)
		rc = op_err_set(err, OP_E_STORE,
				"directory '%s' of database '%s': %s", dir,
				path, strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		rc = op_err_set(err, OP_E_STORE,
				"'%s' of database '%s' is not a directory",
				dir, path);
	xfree(dir);
	return rc;
}

/*
 * Switching a new file to WAL needs an exclusive lock, and SQLite does not
 * call the busy handler for it: when several processes open a new file at
 * once, all but one get SQLITE_BUSY at once. Retry for up to the busy
 * timeout. Once the file is in WAL mode this is a no-op.
 */
static enum op_rc
set_wal(struct sq_conn *c, struct op_err *err)
{
	int src, waited_ms = 0;

	for (;;) {
		src = sqlite3_exec(c->db, "PRAGMA journal_mode=WAL", NULL, NULL,
				   NULL);
		if ((src & 0xff) != SQLITE_BUSY ||
		    waited_ms >= SQ_BUSY_TIMEOUT_MS)
			break;
		waited_ms += sqlite3_sleep(10);
	}
	if (src != SQLITE_OK)
		return op_err_set(err, OP_E_STORE,
				  "cannot set WAL mode on '%s': %s",
				  c->owner->path, sqlite3_errmsg(c->db));
	return OP_OK;
}

static enum op_rc
sq_open(const struct config *cfg, void **out, struct op_err *err)
{
	struct sq_store *st;
	struct sq_conn *c;
	enum op_rc rc;
	int version;

	*out = NULL;
	rc = check_parent_dir(cfg->store_path, err);
	if (rc != OP_OK)
		return rc;
	st = xcalloc(1, sizeof(*st));
	if (pthread_key_create(&st->key, conn_destroy) != 0) {
		xfree(st);
		return op_err_set(err, OP_E_STORE, "pthread_key_create failed");
	}
	pthread_mutex_init(&st->mu, NULL);
	st->path = xstrdup(cfg->store_path);

	rc = conn_open(st, &c, err);
	if (rc != OP_OK)
		goto out;
	/* Persistent in the file: only the first open changes anything. */
	rc = set_wal(c, err);
	if (rc != OP_OK)
		goto out;
	rc = sq_migrate(c, &version, err);
	if (rc != OP_OK)
		goto out;
	log_debug("store: '%s' at schema version %d", st->path, version);
	*out = st;
out:
	if (rc != OP_OK)
		sq_close(st);
	return rc;
}

const struct store_backend store_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.schema_version = sq_schema_version,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,

	.user_create = sq_user_create,
	.user_by_email = sq_user_by_email,
	.user_by_id = sq_user_by_id,
	.user_set_password = sq_user_set_password,
	.user_set_email = sq_user_set_email,
	.user_set_verified = sq_user_set_verified,
	.user_set_disabled = sq_user_set_disabled,
	.user_note_failure = sq_user_note_failure,
	.user_clear_failures = sq_user_clear_failures,
	.user_delete = sq_user_delete,
	.user_list = sq_user_list,

	.session_create = sq_session_create,
	.session_get = sq_session_get,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.session_delete_user = sq_session_delete_user,
	.session_list_user = sq_session_list_user,

	.onetime_create = sq_onetime_create,
	.onetime_consume = sq_onetime_consume,
	.onetime_peek = sq_onetime_peek,
	.onetime_revoke_user = sq_onetime_revoke_user,

	.throttle_hit = sq_throttle_hit,
	.throttle_get = sq_throttle_get,
	.throttle_clear = sq_throttle_clear,

	.outbox_add = sq_outbox_add,
	.outbox_claim = sq_outbox_claim,
	.outbox_mark_sent = sq_outbox_mark_sent,
	.outbox_mark_retry = sq_outbox_mark_retry,
	.outbox_mark_failed = sq_outbox_mark_failed,
	.outbox_list = sq_outbox_list,
	.outbox_get = sq_outbox_get,
	.outbox_count = sq_outbox_count,
	.outbox_retry = sq_outbox_retry,

	.audit_add = sq_audit_add,
	.audit_list = sq_audit_list,

	.secret = sq_secret,
	.gc = sq_gc,
	.scrub = sq_scrub,

	.client_create = sq_client_create,
	.client_get = sq_client_get,
	.client_by_name = sq_client_by_name,
	.client_list = sq_client_list,
	.client_delete = sq_client_delete,

	.key_add = sq_key_add,
	.key_list = sq_key_list,
	.key_retire = sq_key_retire,

	.authz_request_create = sq_authz_request_create,
	.authz_request_get = sq_authz_request_get,
	.authz_request_delete = sq_authz_request_delete,

	.code_create = sq_code_create,
	.code_consume = sq_code_consume,

	.token_create = sq_token_create,
	.token_get = sq_token_get,
	.token_use_refresh = sq_token_use_refresh,
	.token_revoke = sq_token_revoke,
	.token_revoke_family = sq_token_revoke_family,
	.token_revoke_grant = sq_token_revoke_grant,
	.token_revoke_sid = sq_token_revoke_sid,

	.grant_touch = sq_grant_touch,
	.grant_get = sq_grant_get,
	.grant_list = sq_grant_list,
	.grant_delete = sq_grant_delete,

	.profile_create = sq_profile_create,
	.profile_import = sq_profile_import,
	.profile_get = sq_profile_get,
	.profile_by_email = sq_profile_by_email,
	.profile_by_identity = sq_profile_by_identity,
	.profile_list = sq_profile_list,
	.profile_associate = sq_profile_associate,

	.assoc_link_create = sq_assoc_link_create,
	.assoc_link_get = sq_assoc_link_get,
	.assoc_link_by_code = sq_assoc_link_by_code,
	.assoc_link_consume = sq_assoc_link_consume,

	.biz_session_create = sq_biz_session_create,
	.biz_session_get = sq_biz_session_get,
	.biz_session_set_profile = sq_biz_session_set_profile,
	.biz_session_delete = sq_biz_session_delete,

	.biz_login_create = sq_biz_login_create,
	.biz_login_take = sq_biz_login_take,

	.portal_client_get = sq_portal_client_get,
	.portal_client_put = sq_portal_client_put,
};

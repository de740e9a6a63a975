/*
 * gc.c - deletes what has expired: the gc operation of struct
 * store_backend (store/backend.h).
 *
 * Expired rows already behave as absent (sessions, throttle windows,
 * pending authorization requests, tokens) or spent (one-time tokens,
 * codes), so collecting them changes no answer except that a collected
 * one-time token or code becomes OP_E_NOTFOUND instead of OP_E_EXPIRED,
 * and a spent code replayed after its expiry is no longer recognised
 * (OP_E_NOTFOUND instead of OP_E_CONFLICT). Revoked and spent tokens stay
 * until they expire. Association links go as soon as they are spent (a
 * collected one is OP_E_NOTFOUND instead of OP_E_EXPIRED); business
 * sessions and pending business sign-ins when they expire. Each table is
 * one DELETE in its own implicit transaction: a collection never holds
 * the write lock for long.
 */
#include "store/sqlite/db.h"

enum op_rc
sq_gc(void *h, int64_t now)
{
	static const enum sq_stmt stmts[] = {
		ST_GC_SESSIONS,
		ST_GC_ONETIME,
		ST_GC_THROTTLE,
		ST_GC_AUTHZ,
		ST_GC_CODES,
		ST_GC_TOKENS,
		ST_GC_BIZ_SESSIONS,
		ST_GC_BIZ_LOGINS,
		ST_GC_ASSOC_LINKS,
	};
	struct sq_query q;
	enum op_rc rc;
	size_t i;

	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		rc = sq_query_start(h, stmts[i], &q);
		if (rc != OP_OK)
			return rc;
		sq_bind_int64(&q, 1, now);
		rc = sq_query_run(&q);
		sq_query_end(&q);
		if (rc != OP_OK)
			return rc;
	}
	return OP_OK;
}

/* Checkpoints the WAL into the database and truncates it, so frames that
 * held since-deleted secrets (a delivered mail's link tokens) leave the
 * files; secure_delete has zeroed the freed pages. Best effort: a busy
 * database keeps its WAL until the next call. */
enum op_rc
sq_scrub(void *h)
{
	struct sq_conn *c;
	enum op_rc rc;
	int src;

	rc = sq_conn_get(h, &c);
	if (rc != OP_OK)
		return rc;
	src = sqlite3_wal_checkpoint_v2(c->db, NULL,
					SQLITE_CHECKPOINT_TRUNCATE, NULL,
					NULL);
	if (src != SQLITE_OK && src != SQLITE_BUSY && src != SQLITE_LOCKED)
		return sq_error(c, src, "wal checkpoint");
	return OP_OK;
}

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
 * row locks for long.
 */
#include "store/pg/db.h"

enum op_rc
pg_gc(void *h, int64_t now)
{
	static const enum pg_stmt stmts[] = {
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
	struct pg_query q;
	enum op_rc rc;
	size_t i;

	for (i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++) {
		rc = pg_query_start(h, stmts[i], &q);
		if (rc != OP_OK)
			return rc;
		pg_bind_int64(&q, 1, now);
		rc = pg_query_run(&q);
		pg_query_end(&q);
		if (rc != OP_OK)
			return rc;
	}
	return OP_OK;
}

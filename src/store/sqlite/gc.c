/*
 * gc.c - deletes what has expired: the gc operation of struct
 * store_backend (store/backend.h).
 *
 * Expired rows already behave as absent (sessions, throttle windows) or
 * spent (one-time tokens), so collecting them changes no answer except
 * that a long-expired one-time token becomes OP_E_NOTFOUND instead of
 * OP_E_EXPIRED. Each table is one DELETE in its own implicit transaction:
 * a collection never holds the write lock for long.
 */
#include "store/sqlite/db.h"

enum op_rc
sq_gc(void *h, int64_t now)
{
	static const enum sq_stmt stmts[] = {
		ST_GC_SESSIONS,
		ST_GC_ONETIME,
		ST_GC_THROTTLE,
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

/*
 * throttle.c - rate-limit counters shared by every node, in the PostgreSQL
 * backend: the throttle_* operations of struct store_backend
 * (store/backend.h).
 *
 * A counter is a fixed window that opens at the first event for its key
 * and lasts window_sec; a hit after the window has passed opens a new one.
 * The hit is one upsert with RETURNING, so concurrent hits all count.
 * Rows carry expires_at (end of the window) for store_gc().
 */
#include "store/pg/db.h"

enum op_rc
pg_throttle_hit(void *h, const char *key, int64_t now, int64_t window_sec,
		int *count_out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_THROTTLE_HIT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, key);
	pg_bind_int64(&q, 2, now);
	pg_bind_int64(&q, 3, window_sec);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		*count_out = (int)pg_col_int64(&q, 0);
	} else if (rc == OP_E_NOTFOUND) {
		/* An upsert always returns its row. */
		rc = OP_E_STORE;
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_throttle_get(void *h, const char *key, int64_t now, int64_t window_sec,
		int *count_out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_THROTTLE_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, key);
	pg_bind_int64(&q, 2, now);
	pg_bind_int64(&q, 3, window_sec);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		*count_out = (int)pg_col_int64(&q, 0);
	} else if (rc == OP_E_NOTFOUND) {
		*count_out = 0;
		rc = OP_OK;
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_throttle_clear(void *h, const char *key)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_THROTTLE_CLEAR, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, key);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

/*
 * throttle.c - rate-limit counters shared by every node, in the SQLite
 * backend: the throttle_* operations of struct store_backend
 * (store/backend.h).
 *
 * A counter is a fixed window that opens at the first event for its key
 * and lasts window_sec; a hit after the window has passed opens a new one.
 * The hit is one upsert with RETURNING, so concurrent hits all count.
 * Rows carry expires_at (end of the window) for store_gc().
 */
#include "store/sqlite/db.h"

enum op_rc
sq_throttle_hit(void *h, const char *key, int64_t now, int64_t window_sec,
		int *count_out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_THROTTLE_HIT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, key);
	sq_bind_int64(&q, 2, now);
	sq_bind_int64(&q, 3, window_sec);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		*count_out = (int)sq_col_int64(&q, 0);
		rc = sq_query_run(&q);
	} else if (rc == OP_E_NOTFOUND) {
		/* An upsert always returns its row. */
		rc = OP_E_STORE;
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_throttle_get(void *h, const char *key, int64_t now, int64_t window_sec,
		int *count_out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_THROTTLE_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, key);
	sq_bind_int64(&q, 2, now);
	sq_bind_int64(&q, 3, window_sec);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		*count_out = (int)sq_col_int64(&q, 0);
	} else if (rc == OP_E_NOTFOUND) {
		*count_out = 0;
		rc = OP_OK;
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_throttle_clear(void *h, const char *key)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_THROTTLE_CLEAR, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, key);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

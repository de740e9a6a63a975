/*
 * authz_request.c - pending authorization requests in the PostgreSQL backend:
 * the authz_request_* operations of struct store_backend
 * (store/backend.h).
 *
 * A request waits here, keyed by the hash of the random id in the sign-in
 * or consent page's URL, while the person signs in or consents. Expiry is
 * decided in the query, so an expired request behaves as absent until
 * store_gc() deletes it.
 */
#include <string.h>

#include "store/pg/db.h"

enum op_rc
pg_authz_request_create(void *h, const struct authz_request *r)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_AUTHZ_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, r->id);
	pg_bind_text(&q, 2, r->params);
	pg_bind_int64(&q, 3, r->created_at);
	pg_bind_int64(&q, 4, r->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_authz_request_get(void *h, const char *id, int64_t now,
		     struct authz_request *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_AUTHZ_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, id);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		memset(out, 0, sizeof(*out));
		pg_col_buf(&q, 0, out->id, sizeof(out->id));
		out->params = pg_col_str(&q, 1);
		out->created_at = pg_col_int64(&q, 2);
		out->expires_at = pg_col_int64(&q, 3);
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_authz_request_delete(void *h, const char *id)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_AUTHZ_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, id);
	return pg_query_update(&q);
}

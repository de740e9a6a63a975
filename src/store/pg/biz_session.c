/*
 * biz_session.c - the business site's sessions in the PostgreSQL backend:
 * the biz_session_* operations of struct store_backend (store/backend.h).
 *
 * As for the ID service's sessions (session.c), a session is keyed by the
 * hash of its cookie token, which is never stored, and expiry is decided
 * in the query (expires_at > now), so an expired row behaves as absent
 * until store_gc() deletes it. profile_id is a plain column (0: no
 * profile chosen yet), not a foreign key.
 */
#include <string.h>

#include "store/pg/db.h"

/* Reads a row selected with BIZ_SESSION_COLS (stmt.c) into out. */
static void
read_biz_session(const struct pg_query *q, struct biz_session *out)
{
	memset(out, 0, sizeof(*out));
	pg_col_buf(q, 0, out->hash, sizeof(out->hash));
	out->issuer = pg_col_str(q, 1);
	out->subject = pg_col_str(q, 2);
	out->email = pg_col_str(q, 3);
	out->id_token = pg_col_str(q, 4);
	out->profile_id = pg_col_int64(q, 5);
	out->auth_time = pg_col_int64(q, 6);
	out->created_at = pg_col_int64(q, 7);
	out->expires_at = pg_col_int64(q, 8);
}

enum op_rc
pg_biz_session_create(void *h, const struct biz_session *s)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_BIZ_SESSION_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, s->hash);
	pg_bind_text(&q, 2, s->issuer);
	pg_bind_text(&q, 3, s->subject);
	pg_bind_text(&q, 4, s->email);
	pg_bind_text(&q, 5, s->id_token);
	pg_bind_int64(&q, 6, s->profile_id);
	pg_bind_int64(&q, 7, s->auth_time);
	pg_bind_int64(&q, 8, s->created_at);
	pg_bind_int64(&q, 9, s->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_biz_session_get(void *h, const char *hash, int64_t now,
		   struct biz_session *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_BIZ_SESSION_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_biz_session(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_biz_session_set_profile(void *h, const char *hash, int64_t profile_id)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_BIZ_SESSION_SET_PROFILE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, profile_id);
	return pg_query_update(&q);
}

enum op_rc
pg_biz_session_delete(void *h, const char *hash)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_BIZ_SESSION_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	return pg_query_update(&q);
}

/*
 * biz_session.c - the business site's sessions in the SQLite backend:
 * the biz_session_* operations of struct store_backend (store/backend.h).
 *
 * As for the ID service's sessions (session.c), a session is keyed by the
 * hash of its cookie token, which is never stored, and expiry is decided
 * in the query (expires_at > now), so an expired row behaves as absent
 * until store_gc() deletes it. profile_id is a plain column (0: no
 * profile chosen yet), not a foreign key.
 */
#include <string.h>

#include "store/sqlite/db.h"

/* Reads a row selected with BIZ_SESSION_COLS (stmt.c) into out. */
static void
read_biz_session(const struct sq_query *q, struct biz_session *out)
{
	memset(out, 0, sizeof(*out));
	sq_col_buf(q, 0, out->hash, sizeof(out->hash));
	out->issuer = sq_col_str(q, 1);
	out->subject = sq_col_str(q, 2);
	out->email = sq_col_str(q, 3);
	out->id_token = sq_col_str(q, 4);
	out->profile_id = sq_col_int64(q, 5);
	out->auth_time = sq_col_int64(q, 6);
	out->created_at = sq_col_int64(q, 7);
	out->expires_at = sq_col_int64(q, 8);
}

enum op_rc
sq_biz_session_create(void *h, const struct biz_session *s)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_SESSION_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, s->hash);
	sq_bind_text(&q, 2, s->issuer);
	sq_bind_text(&q, 3, s->subject);
	sq_bind_text(&q, 4, s->email);
	sq_bind_text(&q, 5, s->id_token);
	sq_bind_int64(&q, 6, s->profile_id);
	sq_bind_int64(&q, 7, s->auth_time);
	sq_bind_int64(&q, 8, s->created_at);
	sq_bind_int64(&q, 9, s->expires_at);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_biz_session_get(void *h, const char *hash, int64_t now,
		   struct biz_session *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_SESSION_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_biz_session(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_biz_session_set_profile(void *h, const char *hash, int64_t profile_id)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_SESSION_SET_PROFILE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, profile_id);
	return sq_query_update(&q);
}

enum op_rc
sq_biz_session_delete(void *h, const char *hash)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_SESSION_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	return sq_query_update(&q);
}

/*
 * session.c - the sessions table of the SQLite backend: the session_*
 * operations of struct store_backend (store/backend.h).
 *
 * A session is keyed by the hash of its cookie token; the token itself is
 * never stored. Expiry is decided in the query (expires_at > now), so an
 * expired row behaves as absent until store_gc() deletes it. The public
 * session id (sid, named in ID tokens) is a plain column: NULL for
 * sessions made before schema version 2, read back as "".
 */
#include <stdio.h>
#include <string.h>

#include "core/xmalloc.h"
#include "store/sqlite/db.h"

/* Reads a row selected with SESSION_COLS (stmt.c) into out. */
static void
read_session(const struct sq_query *q, struct session *out)
{
	const char *hash;

	memset(out, 0, sizeof(*out));
	hash = sq_col_text(q, 0);
	if (hash != NULL)
		snprintf(out->hash, sizeof(out->hash), "%s", hash);
	out->user_id = sq_col_int64(q, 1);
	out->created_at = sq_col_int64(q, 2);
	out->last_seen_at = sq_col_int64(q, 3);
	out->expires_at = sq_col_int64(q, 4);
	out->auth_time = sq_col_int64(q, 5);
	out->persistent = sq_col_int64(q, 6) != 0;
	out->ip = sq_col_str(q, 7);
	out->user_agent = sq_col_str(q, 8);
	sq_col_buf(q, 9, out->sid, sizeof(out->sid));
}

enum op_rc
sq_session_create(void *h, const struct session *s)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SESSION_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, s->hash);
	sq_bind_int64(&q, 2, s->user_id);
	sq_bind_int64(&q, 3, s->created_at);
	sq_bind_int64(&q, 4, s->last_seen_at);
	sq_bind_int64(&q, 5, s->expires_at);
	sq_bind_int64(&q, 6, s->auth_time);
	sq_bind_int64(&q, 7, s->persistent);
	sq_bind_text(&q, 8, s->ip);
	sq_bind_text(&q, 9, s->user_agent);
	/* No sid (a caller that names none) is NULL, as in rows made
	 * before the column existed. */
	sq_bind_text(&q, 10, s->sid[0] != '\0' ? s->sid : NULL);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_session_get(void *h, const char *hash, int64_t now, struct session *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SESSION_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_session(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_session_touch(void *h, const char *hash, int64_t now)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SESSION_TOUCH, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, now);
	return sq_query_update(&q);
}

enum op_rc
sq_session_delete(void *h, const char *hash)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SESSION_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	return sq_query_update(&q);
}

enum op_rc
sq_session_delete_user(void *h, int64_t user_id, const char *except_hash)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h,
			    except_hash != NULL ? ST_SESSION_DELETE_USER_EXCEPT
						: ST_SESSION_DELETE_USER,
			    &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	if (except_hash != NULL)
		sq_bind_text(&q, 2, except_hash);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_session_list_user(void *h, int64_t user_id, int64_t now,
		     int (*cb)(const struct session *s, void *arg), void *arg)
{
	struct sq_query q;
	struct session s;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_SESSION_LIST_USER, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	sq_bind_int64(&q, 2, now);
	for (;;) {
		rc = sq_query_row(&q);
		if (rc != OP_OK)
			break;
		read_session(&q, &s);
		stop = cb(&s, arg);
		session_release(&s);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(&q);
	return rc;
}

/*
 * session.c - the sessions table of the PostgreSQL backend: the session_*
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
#include "store/pg/db.h"

/* Reads a row selected with SESSION_COLS (stmt.c) into out. */
static void
read_session(const struct pg_query *q, struct session *out)
{
	const char *hash;

	memset(out, 0, sizeof(*out));
	hash = pg_col_text(q, 0);
	if (hash != NULL)
		snprintf(out->hash, sizeof(out->hash), "%s", hash);
	out->user_id = pg_col_int64(q, 1);
	out->created_at = pg_col_int64(q, 2);
	out->last_seen_at = pg_col_int64(q, 3);
	out->expires_at = pg_col_int64(q, 4);
	out->auth_time = pg_col_int64(q, 5);
	out->persistent = pg_col_bool(q, 6);
	out->ip = pg_col_str(q, 7);
	out->user_agent = pg_col_str(q, 8);
	pg_col_buf(q, 9, out->sid, sizeof(out->sid));
}

enum op_rc
pg_session_create(void *h, const struct session *s)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_SESSION_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, s->hash);
	pg_bind_int64(&q, 2, s->user_id);
	pg_bind_int64(&q, 3, s->created_at);
	pg_bind_int64(&q, 4, s->last_seen_at);
	pg_bind_int64(&q, 5, s->expires_at);
	pg_bind_int64(&q, 6, s->auth_time);
	pg_bind_bool(&q, 7, s->persistent);
	pg_bind_text(&q, 8, s->ip);
	pg_bind_text(&q, 9, s->user_agent);
	/* No sid (a caller that names none) is NULL, as in rows made
	 * before the column existed. */
	pg_bind_text(&q, 10, s->sid[0] != '\0' ? s->sid : NULL);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_session_get(void *h, const char *hash, int64_t now, struct session *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_SESSION_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_session(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_session_touch(void *h, const char *hash, int64_t now)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_SESSION_TOUCH, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	return pg_query_update(&q);
}

enum op_rc
pg_session_delete(void *h, const char *hash)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_SESSION_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	return pg_query_update(&q);
}

enum op_rc
pg_session_delete_user(void *h, int64_t user_id, const char *except_hash)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h,
			    except_hash != NULL ? ST_SESSION_DELETE_USER_EXCEPT
						: ST_SESSION_DELETE_USER,
			    &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	if (except_hash != NULL)
		pg_bind_text(&q, 2, except_hash);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_session_list_user(void *h, int64_t user_id, int64_t now,
		     int (*cb)(const struct session *s, void *arg), void *arg)
{
	struct pg_query q;
	struct session s;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_SESSION_LIST_USER, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	pg_bind_int64(&q, 2, now);
	for (;;) {
		rc = pg_query_row(&q);
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
	pg_query_end(&q);
	return rc;
}

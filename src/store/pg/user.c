/*
 * user.c - the users table of the PostgreSQL backend: the user_*
 * operations of struct store_backend (store/backend.h).
 *
 * Uniqueness of sub and email_canon is the table's (UNIQUE constraints,
 * SQLSTATE 23505 mapped to OP_E_EXISTS), so two racing sign-ups cannot
 * both win. The failure counter is bumped and compared in one UPDATE ...
 * RETURNING so concurrent failed sign-ins, on any node, never lose a
 * count. Deleting a user removes its sessions and one-time tokens through
 * ON DELETE CASCADE. Ids come from an identity column, never reused.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/pg/db.h"

/* Reads a row selected with USER_COLS (stmt.c) into out. */
static void
read_user(const struct pg_query *q, struct user *out)
{
	memset(out, 0, sizeof(*out));
	out->id = pg_col_int64(q, 0);
	out->sub = pg_col_str(q, 1);
	out->email = pg_col_str(q, 2);
	out->email_canon = pg_col_str(q, 3);
	out->pw_hash = pg_col_str(q, 4);
	out->email_verified = pg_col_bool(q, 5);
	out->disabled = pg_col_bool(q, 6);
	out->needs_reset = pg_col_bool(q, 7);
	out->failed_logins = (int)pg_col_int64(q, 8);
	out->last_failed_at = pg_col_int64(q, 9);
	out->created_at = pg_col_int64(q, 10);
}

enum op_rc
pg_user_create(void *h, struct user *u)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_USER_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, u->sub);
	pg_bind_text(&q, 2, u->email);
	pg_bind_text(&q, 3, u->email_canon);
	pg_bind_text(&q, 4, u->pw_hash);
	pg_bind_bool(&q, 5, u->email_verified);
	pg_bind_int64(&q, 6, u->created_at);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		u->id = pg_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;	/* RETURNING always returns the row */
	pg_query_end(&q);
	return rc;
}

static enum op_rc
user_get(void *h, enum pg_stmt id, const char *key_s, int64_t key_i,
	 struct user *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	if (key_s != NULL)
		pg_bind_text(&q, 1, key_s);
	else
		pg_bind_int64(&q, 1, key_i);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_user(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_user_by_email(void *h, const char *email_canon, struct user *out)
{
	return user_get(h, ST_USER_BY_EMAIL, email_canon, 0, out);
}

enum op_rc
pg_user_by_id(void *h, int64_t id, struct user *out)
{
	return user_get(h, ST_USER_BY_ID, NULL, id, out);
}

/*
 * Runs an UPDATE/DELETE keyed by user id (?1) with up to two text values
 * (?2, ?3); OP_E_NOTFOUND when no row matched.
 */
static enum op_rc
user_write(void *h, enum pg_stmt id, int64_t user_id, const char *a,
	   const char *b)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	if (a != NULL)
		pg_bind_text(&q, 2, a);
	if (b != NULL)
		pg_bind_text(&q, 3, b);
	return pg_query_update(&q);
}

enum op_rc
pg_user_set_password(void *h, int64_t id, const char *pw_hash)
{
	return user_write(h, ST_USER_SET_PASSWORD, id, pw_hash, NULL);
}

enum op_rc
pg_user_set_email(void *h, int64_t id, const char *email,
		  const char *email_canon)
{
	return user_write(h, ST_USER_SET_EMAIL, id, email, email_canon);
}

enum op_rc
pg_user_set_verified(void *h, int64_t id)
{
	return user_write(h, ST_USER_SET_VERIFIED, id, NULL, NULL);
}

enum op_rc
pg_user_set_disabled(void *h, int64_t id, bool disabled)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_USER_SET_DISABLED, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_bool(&q, 2, disabled);
	return pg_query_update(&q);
}

enum op_rc
pg_user_note_failure(void *h, int64_t id, int64_t now, int max_failures,
		     int *failures_out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_USER_NOTE_FAILURE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_int64(&q, 2, now);
	pg_bind_int64(&q, 3, max_failures);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		*failures_out = (int)pg_col_int64(&q, 0);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_user_clear_failures(void *h, int64_t id)
{
	return user_write(h, ST_USER_CLEAR_FAILURES, id, NULL, NULL);
}

enum op_rc
pg_user_delete(void *h, int64_t id)
{
	return user_write(h, ST_USER_DELETE, id, NULL, NULL);
}

enum op_rc
pg_user_list(void *h, int (*cb)(const struct user *u, void *arg), void *arg)
{
	struct pg_query q;
	struct user u;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_USER_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = pg_query_row(&q);
		if (rc != OP_OK)
			break;
		read_user(&q, &u);
		stop = cb(&u, arg);
		user_release(&u);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	pg_query_end(&q);
	return rc;
}

/*
 * user.c - the users table of the SQLite backend: the user_* operations
 * of struct store_backend (store/backend.h).
 *
 * Uniqueness of sub and email_canon is the table's (UNIQUE constraints
 * mapped to OP_E_EXISTS), so two racing sign-ups cannot both win. The
 * failure counter is bumped and compared in one UPDATE ... RETURNING so
 * concurrent failed sign-ins never lose a count. Deleting a user removes
 * its sessions and one-time tokens through ON DELETE CASCADE.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/sqlite/db.h"

/* Reads a row selected with USER_COLS (stmt.c) into out. */
static void
read_user(const struct sq_query *q, struct user *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sq_col_int64(q, 0);
	out->sub = sq_col_str(q, 1);
	out->email = sq_col_str(q, 2);
	out->email_canon = sq_col_str(q, 3);
	out->pw_hash = sq_col_str(q, 4);
	out->email_verified = sq_col_int64(q, 5) != 0;
	out->disabled = sq_col_int64(q, 6) != 0;
	out->needs_reset = sq_col_int64(q, 7) != 0;
	out->failed_logins = (int)sq_col_int64(q, 8);
	out->last_failed_at = sq_col_int64(q, 9);
	out->created_at = sq_col_int64(q, 10);
}

enum op_rc
sq_user_create(void *h, struct user *u)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_USER_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, u->sub);
	sq_bind_text(&q, 2, u->email);
	sq_bind_text(&q, 3, u->email_canon);
	sq_bind_text(&q, 4, u->pw_hash);
	sq_bind_int64(&q, 5, u->email_verified);
	sq_bind_int64(&q, 6, u->created_at);
	rc = sq_query_run(&q);
	if (rc == OP_OK)
		u->id = sqlite3_last_insert_rowid(q.conn->db);
	sq_query_end(&q);
	return rc;
}

static enum op_rc
user_get(void *h, enum sq_stmt id, const char *key_s, int64_t key_i,
	 struct user *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	if (key_s != NULL)
		sq_bind_text(&q, 1, key_s);
	else
		sq_bind_int64(&q, 1, key_i);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_user(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_user_by_email(void *h, const char *email_canon, struct user *out)
{
	return user_get(h, ST_USER_BY_EMAIL, email_canon, 0, out);
}

enum op_rc
sq_user_by_id(void *h, int64_t id, struct user *out)
{
	return user_get(h, ST_USER_BY_ID, NULL, id, out);
}

/*
 * Runs an UPDATE/DELETE keyed by user id (?1) with up to two text values
 * (?2, ?3); OP_E_NOTFOUND when no row matched.
 */
static enum op_rc
user_write(void *h, enum sq_stmt id, int64_t user_id, const char *a,
	   const char *b)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	if (a != NULL)
		sq_bind_text(&q, 2, a);
	if (b != NULL)
		sq_bind_text(&q, 3, b);
	return sq_query_update(&q);
}

enum op_rc
sq_user_set_password(void *h, int64_t id, const char *pw_hash)
{
	return user_write(h, ST_USER_SET_PASSWORD, id, pw_hash, NULL);
}

enum op_rc
sq_user_set_email(void *h, int64_t id, const char *email,
		  const char *email_canon)
{
	return user_write(h, ST_USER_SET_EMAIL, id, email, email_canon);
}

enum op_rc
sq_user_set_verified(void *h, int64_t id)
{
	return user_write(h, ST_USER_SET_VERIFIED, id, NULL, NULL);
}

enum op_rc
sq_user_set_disabled(void *h, int64_t id, bool disabled)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_USER_SET_DISABLED, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_int64(&q, 2, disabled);
	return sq_query_update(&q);
}

enum op_rc
sq_user_note_failure(void *h, int64_t id, int64_t now, int max_failures,
		     int *failures_out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_USER_NOTE_FAILURE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_int64(&q, 2, now);
	sq_bind_int64(&q, 3, max_failures);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		*failures_out = (int)sq_col_int64(&q, 0);
		rc = sq_query_run(&q);
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_user_clear_failures(void *h, int64_t id)
{
	return user_write(h, ST_USER_CLEAR_FAILURES, id, NULL, NULL);
}

enum op_rc
sq_user_delete(void *h, int64_t id)
{
	return user_write(h, ST_USER_DELETE, id, NULL, NULL);
}

enum op_rc
sq_user_list(void *h, int (*cb)(const struct user *u, void *arg), void *arg)
{
	struct sq_query q;
	struct user u;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_USER_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = sq_query_row(&q);
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
	sq_query_end(&q);
	return rc;
}

/*
 * profile.c - the business profile directory in the SQLite backend: the
 * profile_* operations of struct store_backend (store/backend.h).
 *
 * A profile is unique by (email_canon, name, company, type), a UNIQUE
 * index mapped to OP_E_EXISTS, so two racing imports cannot both add one.
 * Import inserts row after row with one prepared statement inside one
 * BEGIN IMMEDIATE transaction; inside a transaction of the caller's it
 * works under a savepoint instead, so a failure undoes exactly its own
 * rows either way. Associate reads the old identity and writes the new
 * one in one write transaction, so the identity it returns is the one it
 * replaced even when two associations race.
 */
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/sqlite/db.h"

/* Reads a row selected with PROFILE_COLS (stmt.c) into out. */
static void
read_profile(const struct sq_query *q, struct profile *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sq_col_int64(q, 0);
	out->email = sq_col_str(q, 1);
	out->email_canon = sq_col_str(q, 2);
	out->name = sq_col_str(q, 3);
	out->company = sq_col_str(q, 4);
	out->type = (enum profile_type)sq_col_int64(q, 5);
	out->issuer = sq_col_str(q, 6);
	out->subject = sq_col_str(q, 7);
	out->associated_at = sq_col_int64(q, 8);
	out->created_at = sq_col_int64(q, 9);
}

/* Runs one of the savepoint statements. */
static enum op_rc
savepoint(void *h, enum sq_stmt id)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

/* Inserts p with the statement already started in q (reset after). */
static enum op_rc
insert_one(struct sq_query *q, struct profile *p)
{
	enum op_rc rc;

	sq_bind_text(q, 1, p->email);
	sq_bind_text(q, 2, p->email_canon);
	sq_bind_text(q, 3, p->name);
	sq_bind_text(q, 4, p->company);
	sq_bind_int64(q, 5, p->type);
	sq_bind_text(q, 6, p->issuer);
	sq_bind_text(q, 7, p->subject);
	sq_bind_int64(q, 8, p->issuer != NULL ? p->associated_at : 0);
	sq_bind_int64(q, 9, p->created_at);
	rc = sq_query_run(q);
	if (rc == OP_OK)
		p->id = sqlite3_last_insert_rowid(q->conn->db);
	sqlite3_reset(q->stmt);
	sqlite3_clear_bindings(q->stmt);
	return rc;
}

enum op_rc
sq_profile_create(void *h, struct profile *p)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	rc = insert_one(&q, p);
	sq_query_end(&q);
	return rc;
}

/* Inserts v[0..n), stopping at the first failure (its index in *bad). */
static enum op_rc
insert_all(void *h, struct profile *v, size_t n, size_t *bad)
{
	struct sq_query q;
	enum op_rc rc;
	size_t i;

	*bad = 0;
	rc = sq_query_start(h, ST_PROFILE_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	for (i = 0; i < n; i++) {
		rc = insert_one(&q, &v[i]);
		if (rc != OP_OK) {
			*bad = i;
			break;
		}
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_profile_import(void *h, struct profile *v, size_t n, size_t *bad_index)
{
	enum op_rc rc;
	size_t i;
	bool own;

	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	if (!own) {
		rc = savepoint(h, ST_SAVEPOINT);
		if (rc != OP_OK)
			return rc;
	}
	rc = insert_all(h, v, n, bad_index);
	if (rc != OP_OK) {
		/* The ids handed out belong to rows that no longer exist. */
		for (i = 0; i < n; i++)
			v[i].id = 0;
	}
	if (own)
		return sq_tx_end(h, own, rc);
	if (rc != OP_OK && savepoint(h, ST_SAVEPOINT_ROLLBACK) != OP_OK)
		log_warnx("store: profile import not undone: %s",
			  op_strerror(rc));
	if (savepoint(h, ST_SAVEPOINT_RELEASE) != OP_OK && rc == OP_OK)
		rc = OP_E_STORE;
	return rc;
}

enum op_rc
sq_profile_get(void *h, int64_t id, struct profile *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_profile(&q, out);
	sq_query_end(&q);
	return rc;
}

/* Calls cb for each row of the started query q; ends q. */
static enum op_rc
list(struct sq_query *q, int (*cb)(const struct profile *p, void *arg),
     void *arg)
{
	struct profile p;
	enum op_rc rc;
	int stop;

	for (;;) {
		rc = sq_query_row(q);
		if (rc != OP_OK)
			break;
		read_profile(q, &p);
		stop = cb(&p, arg);
		store_profile_release(&p);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(q);
	return rc;
}

enum op_rc
sq_profile_by_email(void *h, const char *email_canon,
		    int (*cb)(const struct profile *p, void *arg), void *arg)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_BY_EMAIL, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, email_canon);
	return list(&q, cb, arg);
}

enum op_rc
sq_profile_by_identity(void *h, const char *issuer, const char *subject,
		       int (*cb)(const struct profile *p, void *arg),
		       void *arg)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_BY_IDENTITY, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, issuer);
	sq_bind_text(&q, 2, subject);
	return list(&q, cb, arg);
}

enum op_rc
sq_profile_list(void *h, int (*cb)(const struct profile *p, void *arg),
		void *arg)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_LIST, &q);
	if (rc != OP_OK)
		return rc;
	return list(&q, cb, arg);
}

/* The identity profile id has now, as new strings (NULL when none). */
static enum op_rc
current_identity(void *h, int64_t id, char **issuer, char **subject)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PROFILE_IDENTITY, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		*issuer = sq_col_str(&q, 0);
		*subject = sq_col_str(&q, 1);
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_profile_associate(void *h, int64_t id, const char *issuer,
		     const char *subject, int64_t now, char **prev_issuer,
		     char **prev_subject)
{
	struct sq_query q;
	enum op_rc rc;
	bool own;

	*prev_issuer = NULL;
	*prev_subject = NULL;
	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = current_identity(h, id, prev_issuer, prev_subject);
	if (rc != OP_OK)
		goto out;
	rc = sq_query_start(h, ST_PROFILE_ASSOCIATE, &q);
	if (rc != OP_OK)
		goto out;
	sq_bind_int64(&q, 1, id);
	sq_bind_text(&q, 2, issuer);
	sq_bind_text(&q, 3, subject);
	sq_bind_int64(&q, 4, now);
	rc = sq_query_update(&q);
out:
	rc = sq_tx_end(h, own, rc);
	if (rc != OP_OK) {
		xfree(*prev_issuer);
		xfree(*prev_subject);
		*prev_issuer = NULL;
		*prev_subject = NULL;
	}
	return rc;
}

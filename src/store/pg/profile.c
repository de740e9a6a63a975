/*
 * profile.c - the business profile directory in the PostgreSQL backend:
 * the profile_* operations of struct store_backend (store/backend.h).
 *
 * A profile is unique by (email_canon, name, company, type), a UNIQUE
 * index mapped to OP_E_EXISTS, so two racing imports (on any nodes)
 * cannot both add one. Import inserts row after row with one prepared
 * statement inside one transaction; inside a transaction of the caller's
 * it works under a savepoint instead (pg_sub_begin), so a failure undoes
 * exactly its own rows either way. Associate reads the old identity with
 * SELECT ... FOR UPDATE and writes the new one in the same transaction,
 * so the identity it returns is the one it replaced even when two
 * associations race: the second waits for the first's row lock and reads
 * what the first wrote.
 */
#include <string.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/pg/db.h"

/* Reads a row selected with PROFILE_COLS (stmt.c) into out. */
static void
read_profile(const struct pg_query *q, struct profile *out)
{
	memset(out, 0, sizeof(*out));
	out->id = pg_col_int64(q, 0);
	out->email = pg_col_str(q, 1);
	out->email_canon = pg_col_str(q, 2);
	out->name = pg_col_str(q, 3);
	out->company = pg_col_str(q, 4);
	out->type = (enum profile_type)pg_col_int64(q, 5);
	out->issuer = pg_col_str(q, 6);
	out->subject = pg_col_str(q, 7);
	out->associated_at = pg_col_int64(q, 8);
	out->created_at = pg_col_int64(q, 9);
}

/* Inserts p with statement ST_PROFILE_INSERT; sets p->id. */
static enum op_rc
insert_one(void *h, struct profile *p)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, p->email);
	pg_bind_text(&q, 2, p->email_canon);
	pg_bind_text(&q, 3, p->name);
	pg_bind_text(&q, 4, p->company);
	pg_bind_int64(&q, 5, p->type);
	pg_bind_text(&q, 6, p->issuer);
	pg_bind_text(&q, 7, p->subject);
	pg_bind_int64(&q, 8, p->issuer != NULL ? p->associated_at : 0);
	pg_bind_int64(&q, 9, p->created_at);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		p->id = pg_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;	/* RETURNING always returns the row */
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_profile_create(void *h, struct profile *p)
{
	return insert_one(h, p);
}

enum op_rc
pg_profile_import(void *h, struct profile *v, size_t n, size_t *bad_index)
{
	enum op_rc rc;
	size_t i;
	bool own;

	*bad_index = 0;
	rc = pg_sub_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	for (i = 0; i < n; i++) {
		rc = insert_one(h, &v[i]);
		if (rc != OP_OK) {
			*bad_index = i;
			break;
		}
	}
	rc = pg_sub_end(h, own, rc);
	if (rc != OP_OK) {
		/* The ids handed out belong to rows that no longer exist. */
		for (i = 0; i < n; i++)
			v[i].id = 0;
	}
	return rc;
}

enum op_rc
pg_profile_get(void *h, int64_t id, struct profile *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_profile(&q, out);
	pg_query_end(&q);
	return rc;
}

/* Calls cb for each row of the started query q; ends q. */
static enum op_rc
list(struct pg_query *q, int (*cb)(const struct profile *p, void *arg),
     void *arg)
{
	struct profile p;
	enum op_rc rc;
	int stop;

	for (;;) {
		rc = pg_query_row(q);
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
	pg_query_end(q);
	return rc;
}

enum op_rc
pg_profile_by_email(void *h, const char *email_canon,
		    int (*cb)(const struct profile *p, void *arg), void *arg)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_BY_EMAIL, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, email_canon);
	return list(&q, cb, arg);
}

enum op_rc
pg_profile_by_identity(void *h, const char *issuer, const char *subject,
		       int (*cb)(const struct profile *p, void *arg),
		       void *arg)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_BY_IDENTITY, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, issuer);
	pg_bind_text(&q, 2, subject);
	return list(&q, cb, arg);
}

enum op_rc
pg_profile_list(void *h, int (*cb)(const struct profile *p, void *arg),
		void *arg)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_LIST, &q);
	if (rc != OP_OK)
		return rc;
	return list(&q, cb, arg);
}

/* The identity profile id has now, as new strings (NULL when none); the
 * row stays locked until the transaction ends. */
static enum op_rc
current_identity(void *h, int64_t id, char **issuer, char **subject)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PROFILE_IDENTITY, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		*issuer = pg_col_str(&q, 0);
		*subject = pg_col_str(&q, 1);
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_profile_associate(void *h, int64_t id, const char *issuer,
		     const char *subject, int64_t now, char **prev_issuer,
		     char **prev_subject)
{
	struct pg_query q;
	enum op_rc rc;
	bool own;

	*prev_issuer = NULL;
	*prev_subject = NULL;
	rc = pg_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = current_identity(h, id, prev_issuer, prev_subject);
	if (rc != OP_OK)
		goto out;
	rc = pg_query_start(h, ST_PROFILE_ASSOCIATE, &q);
	if (rc != OP_OK)
		goto out;
	pg_bind_int64(&q, 1, id);
	pg_bind_text(&q, 2, issuer);
	pg_bind_text(&q, 3, subject);
	pg_bind_int64(&q, 4, now);
	rc = pg_query_update(&q);
out:
	rc = pg_tx_end(h, own, rc);
	if (rc != OP_OK) {
		xfree(*prev_issuer);
		xfree(*prev_subject);
		*prev_issuer = NULL;
		*prev_subject = NULL;
	}
	return rc;
}

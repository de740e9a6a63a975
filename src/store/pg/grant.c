/*
 * grant.c - consents, and the sites an ID has signed in to, in the
 * PostgreSQL backend: the grant_* operations of struct store_backend
 * (store/backend.h).
 *
 * A grant is keyed by (user, client). Touch merges the new words into the
 * consented scope (store_scope_union, the facade's rule) inside one
 * transaction (or the caller's): it locks the row with SELECT ... FOR
 * UPDATE and updates it, or, when there is none yet, inserts it with ON
 * CONFLICT DO NOTHING; a sign-in racing on another node waits for the
 * lock (or for the winning insert, then locks its row), so neither loses
 * the other's words. Delete forgets the consent and revokes the client's
 * tokens for the ID in one transaction: either both happen or neither.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/backend.h"
#include "store/pg/db.h"

/* Reads a row selected with GRANT_COLS (stmt.c) into out. */
static void
read_grant(const struct pg_query *q, struct grant *out)
{
	memset(out, 0, sizeof(*out));
	out->user_id = pg_col_int64(q, 0);
	out->client_id = pg_col_str(q, 1);
	out->client_name = pg_col_str(q, 2);
	out->scope = pg_col_str(q, 3);
	out->first_at = pg_col_int64(q, 4);
	out->last_at = pg_col_int64(q, 5);
}

/* Locks the grant of (user_id, client_id) for this transaction and
 * returns its scope as a new string in *out; OP_E_NOTFOUND when there is
 * none. */
static enum op_rc
grant_lock(void *h, int64_t user_id, const char *client_id, char **out)
{
	struct pg_query q;
	enum op_rc rc;

	*out = NULL;
	rc = pg_query_start(h, ST_GRANT_LOCK, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	pg_bind_text(&q, 2, client_id);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		*out = pg_col_str(&q, 0);
	pg_query_end(&q);
	return rc;
}

/* Runs ST_GRANT_INSERT or ST_GRANT_UPDATE; *changed says whether a row
 * was written. */
static enum op_rc
grant_write(void *h, enum pg_stmt id, int64_t user_id, const char *client_id,
	    const char *scope, int64_t now, bool *changed)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	pg_bind_text(&q, 2, client_id);
	pg_bind_text(&q, 3, scope);
	pg_bind_int64(&q, 4, now);
	rc = pg_query_run(&q);
	*changed = rc == OP_OK && pg_query_changes(&q) > 0;
	pg_query_end(&q);
	return rc;
}

/* One try: update the locked row, or insert a new one. *done is false
 * when the row vanished or appeared in between (try again). */
static enum op_rc
grant_touch_once(void *h, int64_t user_id, const char *client_id,
		 const char *scope, int64_t now, bool *done)
{
	char *have = NULL, *merged = NULL;
	enum op_rc rc;

	rc = grant_lock(h, user_id, client_id, &have);
	if (rc == OP_OK) {
		merged = store_scope_union(have, scope);
		rc = grant_write(h, ST_GRANT_UPDATE, user_id, client_id,
				 merged, now, done);
	} else if (rc == OP_E_NOTFOUND) {
		merged = store_scope_union(NULL, scope);
		rc = grant_write(h, ST_GRANT_INSERT, user_id, client_id,
				 merged, now, done);
	}
	xfree(have);
	xfree(merged);
	return rc;
}

enum op_rc
pg_grant_touch(void *h, int64_t user_id, const char *client_id,
	       const char *scope, int64_t now)
{
	enum op_rc rc;
	bool own, done = false;
	int tries;

	rc = pg_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	for (tries = 0; rc == OP_OK && !done && tries < 5; tries++)
		rc = grant_touch_once(h, user_id, client_id, scope, now,
				      &done);
	if (rc == OP_OK && !done)
		rc = OP_E_STORE;	/* deleted and re-created each time */
	return pg_tx_end(h, own, rc);
}

enum op_rc
pg_grant_get(void *h, int64_t user_id, const char *client_id,
	     struct grant *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_GRANT_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	pg_bind_text(&q, 2, client_id);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_grant(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_grant_list(void *h, int64_t user_id,
	      int (*cb)(const struct grant *g, void *arg), void *arg)
{
	struct pg_query q;
	struct grant g;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_GRANT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	for (;;) {
		rc = pg_query_row(&q);
		if (rc != OP_OK)
			break;
		read_grant(&q, &g);
		stop = cb(&g, arg);
		grant_release(&g);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	pg_query_end(&q);
	return rc;
}

/*
 * The tokens are revoked whether or not a grant row existed, and that is
 * committed even when the answer is OP_E_NOTFOUND (no grant): a caller
 * asking to cut a client off never leaves its tokens alive.
 */
enum op_rc
pg_grant_delete(void *h, int64_t user_id, const char *client_id)
{
	struct pg_query q;
	enum op_rc rc, found;
	bool own;

	rc = pg_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = pg_query_start(h, ST_GRANT_DELETE, &q);
	if (rc != OP_OK)
		return pg_tx_end(h, own, rc);
	pg_bind_int64(&q, 1, user_id);
	pg_bind_text(&q, 2, client_id);
	found = pg_query_update(&q);
	if (found != OP_OK && found != OP_E_NOTFOUND)
		return pg_tx_end(h, own, found);
	rc = pg_token_revoke_grant(h, user_id, client_id);
	rc = pg_tx_end(h, own, rc);
	return rc != OP_OK ? rc : found;
}

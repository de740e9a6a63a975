/*
 * grant.c - consents, and the sites an ID has signed in to, in the SQLite
 * backend: the grant_* operations of struct store_backend
 * (store/backend.h).
 *
 * A grant is keyed by (user, client). Touch reads the consented scope,
 * merges the new words in (store_scope_union, the facade's rule) and
 * upserts, inside one BEGIN IMMEDIATE transaction (or the caller's), so
 * two sign-ins racing at one client cannot lose each other's words.
 * Delete forgets the consent and revokes the client's tokens for the ID
 * in one transaction: either both happen or neither.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/backend.h"
#include "store/sqlite/db.h"

/* Reads a row selected with GRANT_COLS (stmt.c) into out. */
static void
read_grant(const struct sq_query *q, struct grant *out)
{
	memset(out, 0, sizeof(*out));
	out->user_id = sq_col_int64(q, 0);
	out->client_id = sq_col_str(q, 1);
	out->client_name = sq_col_str(q, 2);
	out->scope = sq_col_str(q, 3);
	out->first_at = sq_col_int64(q, 4);
	out->last_at = sq_col_int64(q, 5);
}

/* The consented scope of (user_id, client_id) as a new string in *out,
 * NULL when there is no grant yet. */
static enum op_rc
grant_scope(void *h, int64_t user_id, const char *client_id, char **out)
{
	struct sq_query q;
	enum op_rc rc;

	*out = NULL;
	rc = sq_query_start(h, ST_GRANT_SCOPE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	sq_bind_text(&q, 2, client_id);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		*out = sq_col_str(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(&q);
	return rc;
}

static enum op_rc
grant_upsert(void *h, int64_t user_id, const char *client_id,
	     const char *scope, int64_t now)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_GRANT_UPSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	sq_bind_text(&q, 2, client_id);
	sq_bind_text(&q, 3, scope);
	sq_bind_int64(&q, 4, now);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_grant_touch(void *h, int64_t user_id, const char *client_id,
	       const char *scope, int64_t now)
{
	char *have = NULL, *merged = NULL;
	enum op_rc rc;
	bool own;

	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = grant_scope(h, user_id, client_id, &have);
	if (rc != OP_OK)
		goto out;
	merged = store_scope_union(have, scope);
	rc = grant_upsert(h, user_id, client_id, merged, now);
out:
	xfree(have);
	xfree(merged);
	return sq_tx_end(h, own, rc);
}

enum op_rc
sq_grant_get(void *h, int64_t user_id, const char *client_id,
	     struct grant *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_GRANT_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	sq_bind_text(&q, 2, client_id);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_grant(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_grant_list(void *h, int64_t user_id,
	      int (*cb)(const struct grant *g, void *arg), void *arg)
{
	struct sq_query q;
	struct grant g;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_GRANT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, user_id);
	for (;;) {
		rc = sq_query_row(&q);
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
	sq_query_end(&q);
	return rc;
}

/*
 * The tokens are revoked whether or not a grant row existed, and that is
 * committed even when the answer is OP_E_NOTFOUND (no grant): a caller
 * asking to cut a client off never leaves its tokens alive.
 */
enum op_rc
sq_grant_delete(void *h, int64_t user_id, const char *client_id)
{
	struct sq_query q;
	enum op_rc rc, found;
	bool own;

	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = sq_query_start(h, ST_GRANT_DELETE, &q);
	if (rc != OP_OK)
		return sq_tx_end(h, own, rc);
	sq_bind_int64(&q, 1, user_id);
	sq_bind_text(&q, 2, client_id);
	found = sq_query_update(&q);
	if (found != OP_OK && found != OP_E_NOTFOUND)
		return sq_tx_end(h, own, found);
	rc = sq_token_revoke_grant(h, user_id, client_id);
	rc = sq_tx_end(h, own, rc);
	return rc != OP_OK ? rc : found;
}

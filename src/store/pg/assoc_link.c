/*
 * assoc_link.c - association links in the PostgreSQL backend: the
 * assoc_link_* operations of struct store_backend (store/backend.h).
 *
 * A link is keyed by the hash of its long token and also found by the
 * hash of its short code, within the identity that asked for it. Create
 * locks the profile's row (FOR NO KEY UPDATE: creates for one profile
 * take turns, on every node), spends every unused link of the same
 * identity and profile and inserts the new one, in one transaction (or
 * under a savepoint in the caller's, so a taken hash spends nothing), so
 * at most one link per (identity, profile) is ever live. Consume is one
 * UPDATE whose WHERE clause checks (unused, not expired) and spends at
 * once; exactly one of two racing confirmations changes a row. Only when
 * it changes none does a second query tell "never existed"
 * (OP_E_NOTFOUND) from "spent or expired" (OP_E_EXPIRED); a link only
 * moves from live to spent, so the gap between the two cannot turn a
 * refusal into a success.
 */
#include <string.h>

#include "store/pg/db.h"

/* Reads a row selected with ASSOC_COLS (stmt.c) into out. */
static void
read_link(const struct pg_query *q, struct assoc_link *out)
{
	memset(out, 0, sizeof(*out));
	pg_col_buf(q, 0, out->hash, sizeof(out->hash));
	pg_col_buf(q, 1, out->code_hash, sizeof(out->code_hash));
	out->profile_id = pg_col_int64(q, 2);
	out->issuer = pg_col_str(q, 3);
	out->subject = pg_col_str(q, 4);
	out->portal = pg_col_str(q, 5);
	out->created_at = pg_col_int64(q, 6);
	out->expires_at = pg_col_int64(q, 7);
}

/* Locks the profile of l for this transaction; OP_E_NOTFOUND when there
 * is no such profile. */
static enum op_rc
lock_profile(void *h, const struct assoc_link *l)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_LOCK_PROFILE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, l->profile_id);
	rc = pg_query_row(&q);
	pg_query_end(&q);
	return rc;
}

static enum op_rc
revoke_older(void *h, const struct assoc_link *l)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_REVOKE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, l->issuer);
	pg_bind_text(&q, 2, l->subject);
	pg_bind_int64(&q, 3, l->profile_id);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

static enum op_rc
insert(void *h, const struct assoc_link *l)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, l->hash);
	pg_bind_text(&q, 2, l->code_hash);
	pg_bind_int64(&q, 3, l->profile_id);
	pg_bind_text(&q, 4, l->issuer);
	pg_bind_text(&q, 5, l->subject);
	pg_bind_text(&q, 6, l->portal);
	pg_bind_int64(&q, 7, l->created_at);
	pg_bind_int64(&q, 8, l->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_assoc_link_create(void *h, const struct assoc_link *l)
{
	enum op_rc rc;
	bool own;

	rc = pg_sub_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = lock_profile(h, l);
	if (rc == OP_OK)
		rc = revoke_older(h, l);
	if (rc == OP_OK)
		rc = insert(h, l);
	return pg_sub_end(h, own, rc);
}

enum op_rc
pg_assoc_link_get(void *h, const char *hash, int64_t now,
		  struct assoc_link *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_STATE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		if (!pg_col_null(&q, 8) || pg_col_int64(&q, 7) <= now)
			rc = OP_E_EXPIRED;
		else
			read_link(&q, out);
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_assoc_link_by_code(void *h, const char *issuer, const char *subject,
		      const char *code_hash, int64_t now,
		      struct assoc_link *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_BY_CODE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, issuer);
	pg_bind_text(&q, 2, subject);
	pg_bind_text(&q, 3, code_hash);
	pg_bind_int64(&q, 4, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_link(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_assoc_link_consume(void *h, const char *hash, int64_t now)
{
	struct pg_query q;
	struct assoc_link l;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ASSOC_CONSUME, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_update(&q);
	if (rc != OP_E_NOTFOUND)
		return rc;
	/* Why it matched nothing: absent, or spent or expired. */
	rc = pg_assoc_link_get(h, hash, now, &l);
	if (rc == OP_OK) {
		/* Live now, so absent when the update ran: inserted in
		 * between. */
		assoc_link_release(&l);
		rc = OP_E_NOTFOUND;
	}
	return rc;
}

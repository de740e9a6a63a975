/*
 * assoc_link.c - association links in the SQLite backend: the
 * assoc_link_* operations of struct store_backend (store/backend.h).
 *
 * A link is keyed by the hash of its long token and also found by the
 * hash of its short code, within the identity that asked for it. Create
 * spends every unused link of the same identity and profile and inserts
 * the new one in one write transaction, so at most one link per (identity,
 * profile) is ever live. Consume is one UPDATE whose WHERE clause checks
 * (unused, not expired) and spends at once; exactly one of two racing
 * confirmations changes a row. Only when it changes none does a second
 * query tell "never existed" (OP_E_NOTFOUND) from "spent or expired"
 * (OP_E_EXPIRED); a link only moves from live to spent, so the gap
 * between the two cannot turn a refusal into a success.
 */
#include <string.h>

#include "store/sqlite/db.h"

/* Reads a row selected with ASSOC_COLS (stmt.c) into out. */
static void
read_link(const struct sq_query *q, struct assoc_link *out)
{
	memset(out, 0, sizeof(*out));
	sq_col_buf(q, 0, out->hash, sizeof(out->hash));
	sq_col_buf(q, 1, out->code_hash, sizeof(out->code_hash));
	out->profile_id = sq_col_int64(q, 2);
	out->issuer = sq_col_str(q, 3);
	out->subject = sq_col_str(q, 4);
	out->portal = sq_col_str(q, 5);
	out->created_at = sq_col_int64(q, 6);
	out->expires_at = sq_col_int64(q, 7);
}

static enum op_rc
revoke_older(void *h, const struct assoc_link *l)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_ASSOC_REVOKE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, l->issuer);
	sq_bind_text(&q, 2, l->subject);
	sq_bind_int64(&q, 3, l->profile_id);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

static enum op_rc
insert(void *h, const struct assoc_link *l)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_ASSOC_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, l->hash);
	sq_bind_text(&q, 2, l->code_hash);
	sq_bind_int64(&q, 3, l->profile_id);
	sq_bind_text(&q, 4, l->issuer);
	sq_bind_text(&q, 5, l->subject);
	sq_bind_text(&q, 6, l->portal);
	sq_bind_int64(&q, 7, l->created_at);
	sq_bind_int64(&q, 8, l->expires_at);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_assoc_link_create(void *h, const struct assoc_link *l)
{
	enum op_rc rc;
	bool own;

	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = revoke_older(h, l);
	if (rc == OP_OK)
		rc = insert(h, l);
	return sq_tx_end(h, own, rc);
}

enum op_rc
sq_assoc_link_get(void *h, const char *hash, int64_t now,
		  struct assoc_link *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_ASSOC_STATE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		if (!sq_col_null(&q, 8) || sq_col_int64(&q, 7) <= now)
			rc = OP_E_EXPIRED;
		else
			read_link(&q, out);
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_assoc_link_by_code(void *h, const char *issuer, const char *subject,
		      const char *code_hash, int64_t now,
		      struct assoc_link *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_ASSOC_BY_CODE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, issuer);
	sq_bind_text(&q, 2, subject);
	sq_bind_text(&q, 3, code_hash);
	sq_bind_int64(&q, 4, now);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_link(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_assoc_link_consume(void *h, const char *hash, int64_t now)
{
	struct sq_query q;
	struct assoc_link l;
	enum op_rc rc;

	rc = sq_query_start(h, ST_ASSOC_CONSUME, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_update(&q);
	if (rc != OP_E_NOTFOUND)
		return rc;
	/* Why it matched nothing: absent, or spent or expired. */
	rc = sq_assoc_link_get(h, hash, now, &l);
	if (rc == OP_OK) {
		/* Live now, so absent when the update ran: inserted in
		 * between. */
		assoc_link_release(&l);
		rc = OP_E_NOTFOUND;
	}
	return rc;
}

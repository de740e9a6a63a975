/*
 * code.c - authorization codes in the SQLite backend: the code_*
 * operations of struct store_backend (store/backend.h).
 *
 * Consume is one UPDATE ... RETURNING that both checks (unused, not
 * expired) and spends the code, so of two token requests racing on one
 * code exactly one gets it. Only when it matches nothing does a second
 * query say why: no row (OP_E_NOTFOUND), already spent (OP_E_CONFLICT,
 * with the record, so the caller can revoke the tokens the first use
 * issued), or past its expiry (OP_E_EXPIRED). A code only ever moves from
 * live to spent or expired, so the gap between the two queries cannot
 * turn a refusal into a success.
 */
#include <string.h>

#include "store/sqlite/db.h"

/* Reads a row selected with CODE_COLS (stmt.c) into out. */
static void
read_code(const struct sq_query *q, struct auth_code *out)
{
	memset(out, 0, sizeof(*out));
	sq_col_buf(q, 0, out->hash, sizeof(out->hash));
	out->client_id = sq_col_str(q, 1);
	out->user_id = sq_col_int64(q, 2);
	out->redirect_uri = sq_col_str(q, 3);
	out->scope = sq_col_str(q, 4);
	out->nonce = sq_col_str(q, 5);
	out->code_challenge = sq_col_str(q, 6);
	out->sid = sq_col_str(q, 7);
	out->auth_time = sq_col_int64(q, 8);
	out->created_at = sq_col_int64(q, 9);
	out->expires_at = sq_col_int64(q, 10);
}

enum op_rc
sq_code_create(void *h, const struct auth_code *c)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_CODE_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, c->hash);
	sq_bind_text(&q, 2, c->client_id);
	sq_bind_int64(&q, 3, c->user_id);
	sq_bind_text(&q, 4, c->redirect_uri);
	sq_bind_text(&q, 5, c->scope);
	sq_bind_text(&q, 6, c->nonce);
	sq_bind_text(&q, 7, c->code_challenge);
	sq_bind_text(&q, 8, c->sid);
	sq_bind_int64(&q, 9, c->auth_time);
	sq_bind_int64(&q, 10, c->created_at);
	sq_bind_int64(&q, 11, c->expires_at);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

/* After a consume that matched nothing: the reason, with out filled when
 * the code was already spent. */
static enum op_rc
why_not(void *h, const char *hash, int64_t now, struct auth_code *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_CODE_STATE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		if (!sq_col_null(&q, 11)) {
			read_code(&q, out);
			rc = OP_E_CONFLICT;
		} else if (sq_col_int64(&q, 10) <= now) {
			rc = OP_E_EXPIRED;
		} else {
			/* Live and unspent now, so absent when the update
			 * ran: inserted in between. */
			rc = OP_E_NOTFOUND;
		}
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_code_consume(void *h, const char *hash, int64_t now,
		struct auth_code *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_CODE_CONSUME, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, hash);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		read_code(&q, out);
		/* Finish the statement so its write is final. */
		rc = sq_query_run(&q);
		if (rc != OP_OK)
			auth_code_release(out);
	}
	sq_query_end(&q);
	if (rc == OP_E_NOTFOUND)
		rc = why_not(h, hash, now, out);
	return rc;
}

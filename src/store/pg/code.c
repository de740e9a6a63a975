/*
 * code.c - authorization codes in the PostgreSQL backend: the code_*
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

#include "store/pg/db.h"

/* Reads a row selected with CODE_COLS (stmt.c) into out. */
static void
read_code(const struct pg_query *q, struct auth_code *out)
{
	memset(out, 0, sizeof(*out));
	pg_col_buf(q, 0, out->hash, sizeof(out->hash));
	out->client_id = pg_col_str(q, 1);
	out->user_id = pg_col_int64(q, 2);
	out->redirect_uri = pg_col_str(q, 3);
	out->scope = pg_col_str(q, 4);
	out->nonce = pg_col_str(q, 5);
	out->code_challenge = pg_col_str(q, 6);
	out->sid = pg_col_str(q, 7);
	out->auth_time = pg_col_int64(q, 8);
	out->created_at = pg_col_int64(q, 9);
	out->expires_at = pg_col_int64(q, 10);
}

enum op_rc
pg_code_create(void *h, const struct auth_code *c)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_CODE_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, c->hash);
	pg_bind_text(&q, 2, c->client_id);
	pg_bind_int64(&q, 3, c->user_id);
	pg_bind_text(&q, 4, c->redirect_uri);
	pg_bind_text(&q, 5, c->scope);
	pg_bind_text(&q, 6, c->nonce);
	pg_bind_text(&q, 7, c->code_challenge);
	pg_bind_text(&q, 8, c->sid);
	pg_bind_int64(&q, 9, c->auth_time);
	pg_bind_int64(&q, 10, c->created_at);
	pg_bind_int64(&q, 11, c->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

/* After a consume that matched nothing: the reason, with out filled when
 * the code was already spent. */
static enum op_rc
why_not(void *h, const char *hash, int64_t now, struct auth_code *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_CODE_STATE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		if (!pg_col_null(&q, 11)) {
			read_code(&q, out);
			rc = OP_E_CONFLICT;
		} else if (pg_col_int64(&q, 10) <= now) {
			rc = OP_E_EXPIRED;
		} else {
			/* Live and unspent now, so absent when the update
			 * ran: inserted in between. */
			rc = OP_E_NOTFOUND;
		}
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_code_consume(void *h, const char *hash, int64_t now,
		struct auth_code *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_CODE_CONSUME, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_code(&q, out);
	pg_query_end(&q);
	if (rc == OP_E_NOTFOUND)
		rc = why_not(h, hash, now, out);
	return rc;
}

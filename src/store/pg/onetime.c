/*
 * onetime.c - single-use e-mailed tokens (verification, reset, address
 * change) in the PostgreSQL backend: the onetime_* operations of struct
 * store_backend (store/backend.h).
 *
 * Consume is one UPDATE ... RETURNING that both checks (unused, not
 * expired, right kind) and spends the token, so two requests racing on
 * one link cannot both succeed. Only when it matches nothing does a second
 * query tell "never existed" (OP_E_NOTFOUND) from "spent or expired"
 * (OP_E_EXPIRED); that answer can only move from live to spent, so the
 * gap between the two queries is harmless.
 */
#include <stdio.h>
#include <string.h>

#include "store/pg/db.h"

/* Reads a row selected with ONETIME_COLS (stmt.c) into out. */
static void
read_onetime(const struct pg_query *q, struct onetime *out)
{
	const char *hash;

	memset(out, 0, sizeof(*out));
	hash = pg_col_text(q, 0);
	if (hash != NULL)
		snprintf(out->hash, sizeof(out->hash), "%s", hash);
	out->kind = (enum onetime_kind)pg_col_int64(q, 1);
	out->user_id = pg_col_int64(q, 2);
	out->data = pg_col_str(q, 3);
	out->created_at = pg_col_int64(q, 4);
	out->expires_at = pg_col_int64(q, 5);
}

enum op_rc
pg_onetime_create(void *h, const struct onetime *t)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ONETIME_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, t->hash);
	pg_bind_int64(&q, 2, t->kind);
	pg_bind_int64(&q, 3, t->user_id);
	pg_bind_text(&q, 4, t->data);
	pg_bind_int64(&q, 5, t->created_at);
	pg_bind_int64(&q, 6, t->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

/* After a consume that matched nothing: EXPIRED if the token exists with
 * this kind (so it is spent or past expiry), NOTFOUND otherwise. */
static enum op_rc
why_not(void *h, enum onetime_kind kind, const char *hash)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ONETIME_KIND_EXISTS, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, kind);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		rc = OP_E_EXPIRED;
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_onetime_consume(void *h, enum onetime_kind kind, const char *hash,
		   int64_t now, struct onetime *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ONETIME_CONSUME, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, kind);
	pg_bind_int64(&q, 3, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_onetime(&q, out);
	pg_query_end(&q);
	if (rc == OP_E_NOTFOUND)
		rc = why_not(h, kind, hash);
	return rc;
}

enum op_rc
pg_onetime_peek(void *h, enum onetime_kind kind, const char *hash,
		int64_t now, struct onetime *out)
{
	struct pg_query q;
	enum op_rc rc;
	bool spent;

	rc = pg_query_start(h, ST_ONETIME_PEEK, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, kind);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		spent = !pg_col_null(&q, 6) ||
			pg_col_int64(&q, 5) <= now;
		if (spent)
			rc = OP_E_EXPIRED;
		else
			read_onetime(&q, out);
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_onetime_revoke_user(void *h, enum onetime_kind kind, int64_t user_id)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_ONETIME_REVOKE_USER, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, user_id);
	pg_bind_int64(&q, 2, kind);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

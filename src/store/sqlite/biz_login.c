/*
 * biz_login.c - sign-ins the business site has started and not yet seen
 * come back, in the SQLite backend: the biz_login_* operations of struct
 * store_backend (store/backend.h).
 *
 * A pending sign-in is keyed by the hash of its state parameter. Take is
 * one DELETE ... RETURNING that only matches a row not yet expired, so a
 * state is redeemed at most once even when the same callback arrives
 * twice at the same moment; an expired row is left for store_gc().
 */
#include <string.h>

#include "store/sqlite/db.h"

/* Reads a row selected with BIZ_LOGIN_COLS (stmt.c) into out. */
static void
read_biz_login(const struct sq_query *q, struct biz_login *out)
{
	memset(out, 0, sizeof(*out));
	sq_col_buf(q, 0, out->state_hash, sizeof(out->state_hash));
	out->portal = sq_col_str(q, 1);
	out->nonce = sq_col_str(q, 2);
	out->verifier = sq_col_str(q, 3);
	out->purpose = sq_col_str(q, 4);
	out->link_hash = sq_col_str(q, 5);
	out->return_to = sq_col_str(q, 6);
	out->created_at = sq_col_int64(q, 7);
	out->expires_at = sq_col_int64(q, 8);
}

enum op_rc
sq_biz_login_create(void *h, const struct biz_login *l)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_LOGIN_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, l->state_hash);
	sq_bind_text(&q, 2, l->portal);
	sq_bind_text(&q, 3, l->nonce);
	sq_bind_text(&q, 4, l->verifier);
	sq_bind_text(&q, 5, l->purpose);
	sq_bind_text(&q, 6, l->link_hash);
	sq_bind_text(&q, 7, l->return_to);
	sq_bind_int64(&q, 8, l->created_at);
	sq_bind_int64(&q, 9, l->expires_at);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_biz_login_take(void *h, const char *state_hash, int64_t now,
		  struct biz_login *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_BIZ_LOGIN_TAKE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, state_hash);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		read_biz_login(&q, out);
		/* Finish the statement so the delete is final. */
		rc = sq_query_run(&q);
		if (rc != OP_OK)
			biz_login_release(out);
	}
	sq_query_end(&q);
	return rc;
}

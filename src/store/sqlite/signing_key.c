/*
 * signing_key.c - the ID token signing keys in the SQLite backend: the
 * key_* operations of struct store_backend (store/backend.h).
 *
 * The store keeps each key's private part as the signer hands it over
 * (PEM, or sealed) and never looks inside. A key is published until
 * retired; retired_at is NULL while it is not, read back as 0. Retiring
 * is a compare-and-set on retired_at IS NULL, so a second retire of the
 * same kid answers OP_E_NOTFOUND and keeps the first time.
 */
#include <string.h>

#include "store/sqlite/db.h"

/* Reads a row selected with KEY_COLS (stmt.c) into out. */
static void
read_key(const struct sq_query *q, struct signing_key *out)
{
	memset(out, 0, sizeof(*out));
	out->kid = sq_col_str(q, 0);
	out->alg = sq_col_str(q, 1);
	out->private_key = sq_col_str(q, 2);
	out->public_jwk = sq_col_str(q, 3);
	out->created_at = sq_col_int64(q, 4);
	out->retired_at = sq_col_null(q, 5) ? 0 : sq_col_int64(q, 5);
}

enum op_rc
sq_key_add(void *h, const struct signing_key *k)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_KEY_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, k->kid);
	sq_bind_text(&q, 2, k->alg);
	sq_bind_text(&q, 3, k->private_key);
	sq_bind_text(&q, 4, k->public_jwk);
	sq_bind_int64(&q, 5, k->created_at);
	if (k->retired_at != 0)
		sq_bind_int64(&q, 6, k->retired_at);
	else
		sq_bind_text(&q, 6, NULL);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_key_list(void *h, int (*cb)(const struct signing_key *k, void *arg),
	    void *arg)
{
	struct signing_key k;
	struct sq_query q;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_KEY_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = sq_query_row(&q);
		if (rc != OP_OK)
			break;
		read_key(&q, &k);
		stop = cb(&k, arg);
		signing_key_release(&k);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_key_retire(void *h, const char *kid, int64_t now)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_KEY_RETIRE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, kid);
	sq_bind_int64(&q, 2, now);
	return sq_query_update(&q);
}

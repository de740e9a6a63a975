/*
 * signing_key.c - the ID token signing keys in the PostgreSQL backend: the
 * key_* operations of struct store_backend (store/backend.h).
 *
 * The store keeps each key's private part as the signer hands it over
 * (PEM, or sealed) and never looks inside. A key is published until
 * retired; retired_at is NULL while it is not, read back as 0. Retiring
 * is a compare-and-set on retired_at IS NULL, so a second retire of the
 * same kid answers OP_E_NOTFOUND and keeps the first time.
 */
#include <string.h>

#include "store/pg/db.h"

/* Reads a row selected with KEY_COLS (stmt.c) into out. */
static void
read_key(const struct pg_query *q, struct signing_key *out)
{
	memset(out, 0, sizeof(*out));
	out->kid = pg_col_str(q, 0);
	out->alg = pg_col_str(q, 1);
	out->private_key = pg_col_str(q, 2);
	out->public_jwk = pg_col_str(q, 3);
	out->created_at = pg_col_int64(q, 4);
	out->retired_at = pg_col_null(q, 5) ? 0 : pg_col_int64(q, 5);
}

enum op_rc
pg_key_add(void *h, const struct signing_key *k)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_KEY_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, k->kid);
	pg_bind_text(&q, 2, k->alg);
	pg_bind_text(&q, 3, k->private_key);
	pg_bind_text(&q, 4, k->public_jwk);
	pg_bind_int64(&q, 5, k->created_at);
	if (k->retired_at != 0)
		pg_bind_int64(&q, 6, k->retired_at);
	else
		pg_bind_text(&q, 6, NULL);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_key_list(void *h, int (*cb)(const struct signing_key *k, void *arg),
	    void *arg)
{
	struct signing_key k;
	struct pg_query q;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_KEY_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = pg_query_row(&q);
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
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_key_retire(void *h, const char *kid, int64_t now)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_KEY_RETIRE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, kid);
	pg_bind_int64(&q, 2, now);
	return pg_query_update(&q);
}

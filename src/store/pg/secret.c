/*
 * secret.c - named 32-byte server secrets shared by every node (the CSRF
 * MAC key, ...) in the PostgreSQL backend: the secret operation of struct
 * store_backend (store/backend.h).
 *
 * The first call for a name draws a value from libsodium's CSPRNG and
 * inserts it unless the name exists (ON CONFLICT DO NOTHING); every call
 * then reads the stored value. Concurrent first calls, in this process or
 * another, therefore all return the one value that won the insert.
 */
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/pg/db.h"

#define SECRET_BYTES 32

static enum op_rc
secret_insert(void *h, const char *name)
{
	unsigned char fresh[SECRET_BYTES];
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_SECRET_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	randombytes_buf(fresh, sizeof(fresh));
	pg_bind_text(&q, 1, name);
	pg_bind_bytea(&q, 2, fresh, sizeof(fresh));
	rc = pg_query_run(&q);
	pg_query_end(&q);
	sodium_memzero(fresh, sizeof(fresh));
	return rc;
}

enum op_rc
pg_secret(void *h, const char *name, unsigned char out[32])
{
	struct pg_query q;
	unsigned char *v;
	size_t len;
	enum op_rc rc;

	rc = secret_insert(h, name);
	if (rc != OP_OK)
		return rc;
	rc = pg_query_start(h, ST_SECRET_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, name);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		v = pg_col_bytea(&q, 0, &len);
		if (v != NULL && len == SECRET_BYTES) {
			memcpy(out, v, SECRET_BYTES);
		} else {
			log_warnx("store: secret '%s' has the wrong size",
				  name);
			rc = OP_E_STORE;
		}
		if (v != NULL)
			xfreezero(v, len + 1);
	} else if (rc == OP_E_NOTFOUND) {
		/* Just inserted or already there: absent means broken. */
		rc = OP_E_STORE;
	}
	pg_query_end(&q);
	return rc;
}

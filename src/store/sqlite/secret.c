/*
 * secret.c - named 32-byte server secrets shared by every node (the CSRF
 * MAC key, ...) in the SQLite backend: the secret operation of struct
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
#include "store/sqlite/db.h"

#define SECRET_BYTES 32

static enum op_rc
secret_insert(void *h, const char *name)
{
	unsigned char fresh[SECRET_BYTES];
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SECRET_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	randombytes_buf(fresh, sizeof(fresh));
	sq_bind_text(&q, 1, name);
	sq_bind_blob(&q, 2, fresh, sizeof(fresh));
	rc = sq_query_run(&q);
	sq_query_end(&q);
	sodium_memzero(fresh, sizeof(fresh));
	return rc;
}

enum op_rc
sq_secret(void *h, const char *name, unsigned char out[32])
{
	struct sq_query q;
	enum op_rc rc;

	rc = secret_insert(h, name);
	if (rc != OP_OK)
		return rc;
	rc = sq_query_start(h, ST_SECRET_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, name);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		if (sqlite3_column_bytes(q.stmt, 0) == SECRET_BYTES) {
			memcpy(out, sqlite3_column_blob(q.stmt, 0),
			       SECRET_BYTES);
		} else {
			log_warnx("store: secret '%s' has the wrong size",
				  name);
			rc = OP_E_STORE;
		}
	} else if (rc == OP_E_NOTFOUND) {
		/* Just inserted or already there: absent means broken. */
		rc = OP_E_STORE;
	}
	sq_query_end(&q);
	return rc;
}

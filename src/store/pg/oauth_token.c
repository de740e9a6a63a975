/*
 * oauth_token.c - access and refresh tokens in the PostgreSQL backend: the
 * token_* operations of struct store_backend (store/backend.h).
 *
 * Tokens are keyed by the hash of the opaque value the client holds. A
 * token is live while it is neither revoked nor spent and now <
 * expires_at; token_get sees only live ones. A refresh token is spent
 * when it is rotated: one UPDATE ... RETURNING checks and spends it, so
 * of two racing refreshes exactly one wins; only when it matches nothing
 * does a second query say why (OP_E_CONFLICT with the record when it was
 * already spent - the caller then revokes the family - and OP_E_NOTFOUND
 * otherwise).
 *
 * The revocations have no time to record (the API passes none), so they
 * set revoked_at = 0, as onetime_revoke_user sets used_at = 0: the column
 * says "revoked", not when. They are idempotent and answer OP_OK even
 * when nothing matched.
 */
#include <string.h>

#include "store/pg/db.h"

/* Reads a row selected with TOKEN_COLS (stmt.c) into out. */
static void
read_token(const struct pg_query *q, struct oauth_token *out)
{
	memset(out, 0, sizeof(*out));
	pg_col_buf(q, 0, out->hash, sizeof(out->hash));
	out->kind = (enum oauth_token_kind)pg_col_int64(q, 1);
	out->client_id = pg_col_str(q, 2);
	out->user_id = pg_col_int64(q, 3);
	out->scope = pg_col_str(q, 4);
	out->family = pg_col_str(q, 5);
	out->sid = pg_col_str(q, 6);
	out->auth_time = pg_col_int64(q, 7);
	out->created_at = pg_col_int64(q, 8);
	out->expires_at = pg_col_int64(q, 9);
}

enum op_rc
pg_token_create(void *h, const struct oauth_token *t)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_TOKEN_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, t->hash);
	pg_bind_int64(&q, 2, t->kind);
	pg_bind_text(&q, 3, t->client_id);
	pg_bind_int64(&q, 4, t->user_id);
	pg_bind_text(&q, 5, t->scope);
	pg_bind_text(&q, 6, t->family);
	pg_bind_text(&q, 7, t->sid);
	pg_bind_int64(&q, 8, t->auth_time);
	pg_bind_int64(&q, 9, t->created_at);
	pg_bind_int64(&q, 10, t->expires_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_token_get(void *h, const char *hash, int64_t now, struct oauth_token *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_TOKEN_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_token(&q, out);
	pg_query_end(&q);
	return rc;
}

/* After a refresh that matched nothing: OP_E_CONFLICT with out filled
 * when it is a refresh token already spent (and not revoked), else
 * OP_E_NOTFOUND (unknown, an access token, revoked or expired). */
static enum op_rc
why_not(void *h, const char *hash, struct oauth_token *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_TOKEN_STATE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		if (pg_col_int64(&q, 1) == OAUTH_REFRESH &&
		    pg_col_null(&q, 11) && !pg_col_null(&q, 10)) {
			read_token(&q, out);
			rc = OP_E_CONFLICT;
		} else {
			rc = OP_E_NOTFOUND;
		}
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_token_use_refresh(void *h, const char *hash, int64_t now,
		     struct oauth_token *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_TOKEN_USE_REFRESH, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, hash);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_token(&q, out);
	pg_query_end(&q);
	if (rc == OP_E_NOTFOUND)
		rc = why_not(h, hash, out);
	return rc;
}

/* Runs one of the revocations: keyed by text ?1 = a, or, when user_id >
 * 0, by ?1 = user_id and ?2 = a. OP_OK whatever it matched. */
static enum op_rc
revoke(void *h, enum pg_stmt id, int64_t user_id, const char *a)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	if (user_id > 0) {
		pg_bind_int64(&q, 1, user_id);
		pg_bind_text(&q, 2, a);
	} else {
		pg_bind_text(&q, 1, a);
	}
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_token_revoke(void *h, const char *hash)
{
	return revoke(h, ST_TOKEN_REVOKE, 0, hash);
}

enum op_rc
pg_token_revoke_family(void *h, const char *family)
{
	return revoke(h, ST_TOKEN_REVOKE_FAMILY, 0, family);
}

enum op_rc
pg_token_revoke_grant(void *h, int64_t user_id, const char *client_id)
{
	return revoke(h, ST_TOKEN_REVOKE_GRANT, user_id, client_id);
}

enum op_rc
pg_token_revoke_sid(void *h, const char *sid)
{
	return revoke(h, ST_TOKEN_REVOKE_SID, 0, sid);
}

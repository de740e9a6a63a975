/*
 * client.c - registered OpenID Connect clients in the SQLite backend: the
 * client_* operations of struct store_backend (store/backend.h).
 *
 * client_id and name are each unique (PRIMARY KEY and UNIQUE, mapped to
 * OP_E_EXISTS), so two racing registrations cannot take one name.
 * Deleting a client deletes its codes, tokens and grants through ON
 * DELETE CASCADE (every connection runs with foreign_keys on).
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/sqlite/db.h"

/* Reads a row selected with CLIENT_COLS (stmt.c) into out. */
static void
read_client(const struct sq_query *q, struct client *out)
{
	memset(out, 0, sizeof(*out));
	out->client_id = sq_col_str(q, 0);
	out->secret_hash = sq_col_str(q, 1);
	out->name = sq_col_str(q, 2);
	out->redirect_uris = sq_col_str(q, 3);
	out->post_logout_uris = sq_col_str(q, 4);
	if (out->post_logout_uris == NULL)
		out->post_logout_uris = xstrdup("");
	out->first_party = sq_col_int64(q, 5) != 0;
	out->id_token_alg = sq_col_str(q, 6);
	out->created_at = sq_col_int64(q, 7);
}

enum op_rc
sq_client_create(void *h, const struct client *c)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_CLIENT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, c->client_id);
	sq_bind_text(&q, 2, c->secret_hash);
	sq_bind_text(&q, 3, c->name);
	sq_bind_text(&q, 4, c->redirect_uris);
	sq_bind_text(&q, 5,
		     c->post_logout_uris != NULL ? c->post_logout_uris : "");
	sq_bind_int64(&q, 6, c->first_party);
	sq_bind_text(&q, 7, c->id_token_alg);
	sq_bind_int64(&q, 8, c->created_at);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

static enum op_rc
client_get(void *h, enum sq_stmt id, const char *key, struct client *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, key);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_client(&q, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_client_get(void *h, const char *client_id, struct client *out)
{
	return client_get(h, ST_CLIENT_GET, client_id, out);
}

enum op_rc
sq_client_by_name(void *h, const char *name, struct client *out)
{
	return client_get(h, ST_CLIENT_BY_NAME, name, out);
}

enum op_rc
sq_client_list(void *h, int (*cb)(const struct client *c, void *arg),
	       void *arg)
{
	struct sq_query q;
	struct client c;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_CLIENT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = sq_query_row(&q);
		if (rc != OP_OK)
			break;
		read_client(&q, &c);
		stop = cb(&c, arg);
		client_release(&c);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_client_delete(void *h, const char *client_id)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_CLIENT_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, client_id);
	return sq_query_update(&q);
}

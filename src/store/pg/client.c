/*
 * client.c - registered OpenID Connect clients in the PostgreSQL backend: the
 * client_* operations of struct store_backend (store/backend.h).
 *
 * client_id and name are each unique (PRIMARY KEY and UNIQUE, mapped to
 * OP_E_EXISTS), so two racing registrations cannot take one name.
 * Deleting a client deletes its codes, tokens and grants through ON
 * DELETE CASCADE.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/pg/db.h"

/* Reads a row selected with CLIENT_COLS (stmt.c) into out. */
static void
read_client(const struct pg_query *q, struct client *out)
{
	memset(out, 0, sizeof(*out));
	out->client_id = pg_col_str(q, 0);
	out->secret_hash = pg_col_str(q, 1);
	out->name = pg_col_str(q, 2);
	out->redirect_uris = pg_col_str(q, 3);
	out->post_logout_uris = pg_col_str(q, 4);
	if (out->post_logout_uris == NULL)
		out->post_logout_uris = xstrdup("");
	out->first_party = pg_col_bool(q, 5);
	out->id_token_alg = pg_col_str(q, 6);
	out->created_at = pg_col_int64(q, 7);
}

enum op_rc
pg_client_create(void *h, const struct client *c)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_CLIENT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, c->client_id);
	pg_bind_text(&q, 2, c->secret_hash);
	pg_bind_text(&q, 3, c->name);
	pg_bind_text(&q, 4, c->redirect_uris);
	pg_bind_text(&q, 5,
		     c->post_logout_uris != NULL ? c->post_logout_uris : "");
	pg_bind_bool(&q, 6, c->first_party);
	pg_bind_text(&q, 7, c->id_token_alg);
	pg_bind_int64(&q, 8, c->created_at);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

static enum op_rc
client_get(void *h, enum pg_stmt id, const char *key, struct client *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, id, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, key);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_client(&q, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_client_get(void *h, const char *client_id, struct client *out)
{
	return client_get(h, ST_CLIENT_GET, client_id, out);
}

enum op_rc
pg_client_by_name(void *h, const char *name, struct client *out)
{
	return client_get(h, ST_CLIENT_BY_NAME, name, out);
}

enum op_rc
pg_client_list(void *h, int (*cb)(const struct client *c, void *arg),
	       void *arg)
{
	struct pg_query q;
	struct client c;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_CLIENT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = pg_query_row(&q);
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
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_client_delete(void *h, const char *client_id)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_CLIENT_DELETE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, client_id);
	return pg_query_update(&q);
}

/*
 * portal_client.c - the portals' client registrations at their OpenID
 * providers, in the SQLite backend: the portal_client_* operations of
 * struct store_backend (store/backend.h).
 *
 * One row per (portal, issuer), its primary key, so two nodes registering
 * the same portal on first start cannot both store a client: the second
 * gets OP_E_EXISTS and reads the first one's. The secret is stored as
 * given: the caller seals it when a master key is configured.
 */
#include <string.h>

#include "store/sqlite/db.h"

enum op_rc
sq_portal_client_get(void *h, const char *portal, const char *issuer,
		     struct portal_client *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PORTAL_CLIENT_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, portal);
	sq_bind_text(&q, 2, issuer);
	rc = sq_query_row(&q);
	if (rc == OP_OK) {
		memset(out, 0, sizeof(*out));
		out->portal = sq_col_str(&q, 0);
		out->issuer = sq_col_str(&q, 1);
		out->client_id = sq_col_str(&q, 2);
		out->client_secret = sq_col_str(&q, 3);
	}
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_portal_client_put(void *h, const struct portal_client *c)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_PORTAL_CLIENT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, c->portal);
	sq_bind_text(&q, 2, c->issuer);
	sq_bind_text(&q, 3, c->client_id);
	sq_bind_text(&q, 4, c->client_secret);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

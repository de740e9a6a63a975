/*
 * portal_client.c - the portals' client registrations at their OpenID
 * providers, in the PostgreSQL backend: the portal_client_* operations of
 * struct store_backend (store/backend.h).
 *
 * One row per (portal, issuer), its primary key, so two nodes registering
 * the same portal on first start cannot both store a client: the second
 * gets OP_E_EXISTS and reads the first one's. The secret is stored as
 * given: the caller seals it when a master key is configured.
 */
#include <string.h>

#include "store/pg/db.h"

enum op_rc
pg_portal_client_get(void *h, const char *portal, const char *issuer,
		     struct portal_client *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PORTAL_CLIENT_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, portal);
	pg_bind_text(&q, 2, issuer);
	rc = pg_query_row(&q);
	if (rc == OP_OK) {
		memset(out, 0, sizeof(*out));
		out->portal = pg_col_str(&q, 0);
		out->issuer = pg_col_str(&q, 1);
		out->client_id = pg_col_str(&q, 2);
		out->client_secret = pg_col_str(&q, 3);
	}
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_portal_client_put(void *h, const struct portal_client *c)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_PORTAL_CLIENT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, c->portal);
	pg_bind_text(&q, 2, c->issuer);
	pg_bind_text(&q, 3, c->client_id);
	pg_bind_text(&q, 4, c->client_secret);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

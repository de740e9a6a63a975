/*
 * db.c - the PostgreSQL backend's handle: open (parse the URL, migrate),
 * close, and the caller's transactions (begin, commit, rollback) of
 * struct store_backend (store/backend.h); exports the backend's only
 * public symbol, store_backend_pg.
 *
 * The URL is handed to libpq as is (postgresql:// or postgres://, every
 * libpq parameter allowed) and never logged: it may hold a password.
 * Log lines and errors name the database as "database 'NAME' on
 * HOST:PORT" instead. The pool (conn.c) holds at most [store] pool_size
 * connections.
 *
 * store_begin() takes a connection for the calling thread and keeps it
 * until store_commit()/store_rollback(), so every call in between runs in
 * that transaction (query.c runs each under a savepoint, so an answer
 * such as OP_E_EXISTS does not abort it).
 *
 * It does not validate arguments: the facade (store.c) has done so.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/backend.h"
#include "store/pg/db.h"

#define PG_POOL_DEFAULT 8
#define PG_POOL_MAX 1024

/* "database 'NAME' on HOST:PORT" from the URL's parts, or NULL with
 * err set when libpq cannot parse it. */
static char *
describe(const char *url, struct op_err *err)
{
	PQconninfoOption *opts, *o;
	const char *host = NULL, *port = NULL, *db = NULL, *user = NULL;
	char *errmsg = NULL, *out;

	opts = PQconninfoParse(url, &errmsg);
	if (opts == NULL) {
		/* libpq's message may quote the URL, password and all. */
		PQfreemem(errmsg);
		op_err_set(err, OP_E_INVALID,
			   "the postgresql store url does not parse (check "
			   "its syntax and percent-encoding)");
		return NULL;
	}
	for (o = opts; o->keyword != NULL; o++) {
		if (o->val == NULL || o->val[0] == '\0')
			continue;
		if (strcmp(o->keyword, "host") == 0)
			host = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0 && host == NULL)
			host = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			port = o->val;
		else if (strcmp(o->keyword, "dbname") == 0)
			db = o->val;
		else if (strcmp(o->keyword, "user") == 0)
			user = o->val;
	}
	out = xasprintf("database '%s' on %s:%s",
			db != NULL ? db : (user != NULL ? user : "(default)"),
			host != NULL ? host : "(default socket)",
			port != NULL ? port : "5432");
	PQconninfoFree(opts);
	return out;
}

static void
pgb_close(void *h)
{
	struct pg_store *st = h;
	struct pg_conn *c, *next;

	if (st == NULL)
		return;
	/* As store.h says, no thread uses the store any more. */
	pthread_key_delete(st->key);
	pthread_mutex_lock(&st->mu);
	for (c = st->all; c != NULL; c = next) {
		next = c->all_next;
		PQfinish(c->pg);
		xfree(c);
	}
	st->all = NULL;
	st->idle = NULL;
	pthread_mutex_unlock(&st->mu);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	xfree(st->where);
	xfreestr_secret(st->url);
	xfree(st);
}

static enum op_rc
pgb_open(const struct config *cfg, void **out, struct op_err *err)
{
	pthread_condattr_t ca;
	struct pg_store *st;
	struct pg_conn *c;
	enum op_rc rc;
	char *where;
	int version = 0;

	*out = NULL;
	if (cfg->store_pool_size < 0 || cfg->store_pool_size > PG_POOL_MAX)
		return op_err_set(err, OP_E_INVALID,
				  "'[store] pool_size' must be 1 to %d",
				  PG_POOL_MAX);
	where = describe(cfg->store_url, err);
	if (where == NULL)
		return OP_E_INVALID;
	st = xcalloc(1, sizeof(*st));
	st->where = where;
	st->url = xstrdup(cfg->store_url);
	st->pool_size = cfg->store_pool_size > 0 ? (int)cfg->store_pool_size
						 : PG_POOL_DEFAULT;
	if (pthread_key_create(&st->key, pg_conn_thread_exit) != 0) {
		xfree(st->where);
		xfreestr_secret(st->url);
		xfree(st);
		return op_err_set(err, OP_E_STORE, "pthread_key_create failed");
	}
	pthread_mutex_init(&st->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cv, &ca);
	pthread_condattr_destroy(&ca);

	rc = pg_conn_take_err(st, &c, err);
	if (rc != OP_OK)
		goto out;
	rc = pg_migrate(c, &version, err);
	pg_conn_give(st, c);
	if (rc != OP_OK)
		goto out;
	log_debug("store: %s at schema version %d", st->where, version);
	pthread_mutex_lock(&st->mu);
	st->opened = true;
	pthread_mutex_unlock(&st->mu);
	*out = st;
out:
	if (rc != OP_OK)
		pgb_close(st);
	return rc;
}

static enum op_rc
pgb_begin(void *h)
{
	struct pg_store *st = h;
	struct pg_conn *c;
	enum op_rc rc;

	rc = pg_conn_take(st, &c);
	if (rc != OP_OK)
		return rc;
	if (c->in_tx) {
		pg_conn_give(st, c);
		return OP_E_INVALID;
	}
	rc = pg_conn_exec(c, "BEGIN", NULL);
	if (rc != OP_OK) {
		pg_conn_give(st, c);
		return rc;
	}
	/* Kept until commit or rollback. */
	c->in_tx = c->explicit_tx = true;
	return OP_OK;
}

static enum op_rc
pgb_rollback(void *h)
{
	struct pg_store *st = h;
	struct pg_conn *c = pthread_getspecific(st->key);

	if (c == NULL || !c->explicit_tx)
		return OP_OK;
	if (!c->broken)
		pg_conn_exec(c, "ROLLBACK", NULL);
	c->in_tx = c->explicit_tx = false;
	pg_conn_give(st, c);
	return OP_OK;
}

/* A failed COMMIT ends the transaction too (PostgreSQL rolls it back). */
static enum op_rc
pgb_commit(void *h)
{
	struct pg_store *st = h;
	struct pg_conn *c = pthread_getspecific(st->key);
	enum op_rc rc;

	if (c == NULL || !c->explicit_tx)
		return OP_E_INVALID;
	rc = pg_conn_exec(c, "COMMIT", NULL);
	c->in_tx = c->explicit_tx = false;
	pg_conn_give(st, c);
	return rc;
}

const struct store_backend store_backend_pg = {
	.name = "postgresql",
	.open = pgb_open,
	.close = pgb_close,
	.schema_version = pg_schema_version,
	.begin = pgb_begin,
	.commit = pgb_commit,
	.rollback = pgb_rollback,

	.user_create = pg_user_create,
	.user_by_email = pg_user_by_email,
	.user_by_id = pg_user_by_id,
	.user_set_password = pg_user_set_password,
	.user_set_email = pg_user_set_email,
	.user_set_verified = pg_user_set_verified,
	.user_set_disabled = pg_user_set_disabled,
	.user_note_failure = pg_user_note_failure,
	.user_clear_failures = pg_user_clear_failures,
	.user_delete = pg_user_delete,
	.user_list = pg_user_list,

	.session_create = pg_session_create,
	.session_get = pg_session_get,
	.session_touch = pg_session_touch,
	.session_delete = pg_session_delete,
	.session_delete_user = pg_session_delete_user,
	.session_list_user = pg_session_list_user,

	.onetime_create = pg_onetime_create,
	.onetime_consume = pg_onetime_consume,
	.onetime_peek = pg_onetime_peek,
	.onetime_revoke_user = pg_onetime_revoke_user,

	.throttle_hit = pg_throttle_hit,
	.throttle_get = pg_throttle_get,
	.throttle_clear = pg_throttle_clear,

	.outbox_add = pg_outbox_add,
	.outbox_claim = pg_outbox_claim,
	.outbox_mark_sent = pg_outbox_mark_sent,
	.outbox_mark_retry = pg_outbox_mark_retry,
	.outbox_mark_failed = pg_outbox_mark_failed,
	.outbox_list = pg_outbox_list,
	.outbox_get = pg_outbox_get,
	.outbox_count = pg_outbox_count,
	.outbox_retry = pg_outbox_retry,

	.audit_add = pg_audit_add,
	.audit_list = pg_audit_list,

	.secret = pg_secret,
	.gc = pg_gc,

	.client_create = pg_client_create,
	.client_get = pg_client_get,
	.client_by_name = pg_client_by_name,
	.client_list = pg_client_list,
	.client_delete = pg_client_delete,

	.key_add = pg_key_add,
	.key_list = pg_key_list,
	.key_retire = pg_key_retire,

	.authz_request_create = pg_authz_request_create,
	.authz_request_get = pg_authz_request_get,
	.authz_request_delete = pg_authz_request_delete,

	.code_create = pg_code_create,
	.code_consume = pg_code_consume,

	.token_create = pg_token_create,
	.token_get = pg_token_get,
	.token_use_refresh = pg_token_use_refresh,
	.token_revoke = pg_token_revoke,
	.token_revoke_family = pg_token_revoke_family,
	.token_revoke_grant = pg_token_revoke_grant,
	.token_revoke_sid = pg_token_revoke_sid,

	.grant_touch = pg_grant_touch,
	.grant_get = pg_grant_get,
	.grant_list = pg_grant_list,
	.grant_delete = pg_grant_delete,

	.profile_create = pg_profile_create,
	.profile_import = pg_profile_import,
	.profile_get = pg_profile_get,
	.profile_by_email = pg_profile_by_email,
	.profile_by_identity = pg_profile_by_identity,
	.profile_list = pg_profile_list,
	.profile_associate = pg_profile_associate,

	.assoc_link_create = pg_assoc_link_create,
	.assoc_link_get = pg_assoc_link_get,
	.assoc_link_by_code = pg_assoc_link_by_code,
	.assoc_link_consume = pg_assoc_link_consume,

	.biz_session_create = pg_biz_session_create,
	.biz_session_get = pg_biz_session_get,
	.biz_session_set_profile = pg_biz_session_set_profile,
	.biz_session_delete = pg_biz_session_delete,

	.biz_login_create = pg_biz_login_create,
	.biz_login_take = pg_biz_login_take,

	.portal_client_get = pg_portal_client_get,
	.portal_client_put = pg_portal_client_put,
};

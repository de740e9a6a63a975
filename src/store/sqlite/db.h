/*
 * db.h - internals shared by the files of the SQLite backend (private to
 * src/store/sqlite/; nothing outside includes it).
 *
 * struct sq_store is the backend handle behind the facade's void *. Each
 * thread that calls the store gets its own struct sq_conn (found through a
 * pthread key, closed by the key's destructor at thread exit or by
 * sq_close). A connection caches one prepared statement per enum sq_stmt,
 * prepared on first use. A query runs through struct sq_query:
 *
 *	struct sq_query q;
 *	if ((rc = sq_query_start(st, ST_USER_BY_ID, &q)) != OP_OK)
 *		return rc;
 *	sq_bind_int64(&q, 1, id);
 *	rc = sq_query_row(&q);		(OP_OK with a row, OP_E_NOTFOUND)
 *	...read columns...
 *	sq_query_end(&q);
 *
 * Bind helpers record the first failure in the query and the next step
 * reports it, so call sites need not check each bind.
 */
#ifndef STORE_SQLITE_DB_H
#define STORE_SQLITE_DB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "core/onepass.h"
#include "store/store.h"

/* Every statement the backend runs; SQL text in stmt.c. */
enum sq_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_SCHEMA_VERSION,
	ST_SCHEMA_INSERT,

	ST_USER_INSERT,
	ST_USER_BY_EMAIL,
	ST_USER_BY_ID,
	ST_USER_SET_PASSWORD,
	ST_USER_SET_EMAIL,
	ST_USER_SET_VERIFIED,
	ST_USER_SET_DISABLED,
	ST_USER_NOTE_FAILURE,
	ST_USER_CLEAR_FAILURES,
	ST_USER_DELETE,
	ST_USER_LIST,

	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_TOUCH,
	ST_SESSION_DELETE,
	ST_SESSION_DELETE_USER,
	ST_SESSION_DELETE_USER_EXCEPT,
	ST_SESSION_LIST_USER,

	ST_ONETIME_INSERT,
	ST_ONETIME_CONSUME,
	ST_ONETIME_KIND_EXISTS,
	ST_ONETIME_PEEK,
	ST_ONETIME_REVOKE_USER,

	ST_THROTTLE_HIT,
	ST_THROTTLE_GET,
	ST_THROTTLE_CLEAR,

	ST_OUTBOX_INSERT,
	ST_OUTBOX_CLAIM_SELECT,
	ST_OUTBOX_CLAIM_UPDATE,
	ST_OUTBOX_MARK_SENT,
	ST_OUTBOX_MARK_RETRY,
	ST_OUTBOX_MARK_FAILED,
	ST_OUTBOX_LIST,
	ST_OUTBOX_GET,
	ST_OUTBOX_COUNT,
	ST_OUTBOX_RETRY_ONE,
	ST_OUTBOX_RETRY_ALL,
	ST_OUTBOX_STATUS,

	ST_AUDIT_INSERT,
	ST_AUDIT_LIST,

	ST_SECRET_INSERT,
	ST_SECRET_GET,

	ST_CLIENT_INSERT,
	ST_CLIENT_GET,
	ST_CLIENT_BY_NAME,
	ST_CLIENT_LIST,
	ST_CLIENT_DELETE,

	ST_KEY_INSERT,
	ST_KEY_LIST,
	ST_KEY_RETIRE,

	ST_AUTHZ_INSERT,
	ST_AUTHZ_GET,
	ST_AUTHZ_DELETE,

	ST_CODE_INSERT,
	ST_CODE_CONSUME,
	ST_CODE_STATE,

	ST_TOKEN_INSERT,
	ST_TOKEN_GET,
	ST_TOKEN_USE_REFRESH,
	ST_TOKEN_STATE,
	ST_TOKEN_REVOKE,
	ST_TOKEN_REVOKE_FAMILY,
	ST_TOKEN_REVOKE_GRANT,
	ST_TOKEN_REVOKE_SID,

	ST_GRANT_SCOPE,
	ST_GRANT_UPSERT,
	ST_GRANT_GET,
	ST_GRANT_LIST,
	ST_GRANT_DELETE,

	ST_GC_SESSIONS,
	ST_GC_ONETIME,
	ST_GC_THROTTLE,
	ST_GC_AUTHZ,
	ST_GC_CODES,
	ST_GC_TOKENS,

	ST_SAVEPOINT,
	ST_SAVEPOINT_RELEASE,
	ST_SAVEPOINT_ROLLBACK,

	ST_PROFILE_INSERT,
	ST_PROFILE_GET,
	ST_PROFILE_BY_EMAIL,
	ST_PROFILE_BY_IDENTITY,
	ST_PROFILE_LIST,
	ST_PROFILE_IDENTITY,
	ST_PROFILE_ASSOCIATE,

	ST_ASSOC_REVOKE,
	ST_ASSOC_INSERT,
	ST_ASSOC_STATE,
	ST_ASSOC_BY_CODE,
	ST_ASSOC_CONSUME,

	ST_BIZ_SESSION_INSERT,
	ST_BIZ_SESSION_GET,
	ST_BIZ_SESSION_SET_PROFILE,
	ST_BIZ_SESSION_DELETE,

	ST_BIZ_LOGIN_INSERT,
	ST_BIZ_LOGIN_TAKE,

	ST_PORTAL_CLIENT_GET,
	ST_PORTAL_CLIENT_INSERT,

	ST_GC_BIZ_SESSIONS,
	ST_GC_BIZ_LOGINS,
	ST_GC_ASSOC_LINKS,

	ST__COUNT
};

struct sq_stmt_def {
	const char *name;	/* for log lines */
	const char *sql;
};

/* Indexed by enum sq_stmt. */
extern const struct sq_stmt_def sq_stmts[ST__COUNT];

struct sq_store;

/* One thread's connection. */
struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	struct sq_store *owner;
	struct sq_conn *prev, *next;	/* in owner->conns, under owner->mu */
};

struct sq_store {
	char *path;
	pthread_key_t key;	/* -> this thread's struct sq_conn */
	pthread_mutex_t mu;	/* guards conns only */
	struct sq_conn *conns;
};

struct sq_query {
	struct sq_conn *conn;
	sqlite3_stmt *stmt;
	enum sq_stmt id;
	bool oneoff;		/* the cached one was busy: finalize at end */
	int bind_err;		/* first failed bind, SQLITE_OK if none */
};

/* The calling thread's connection, opened on first use. */
enum op_rc sq_conn_get(struct sq_store *st, struct sq_conn **out);

/* Prepares (or reuses) statement id on this thread's connection. */
enum op_rc sq_query_start(struct sq_store *st, enum sq_stmt id,
			  struct sq_query *q);
/* Resets the statement and clears its bindings (or finalizes it). */
void sq_query_end(struct sq_query *q);

void sq_bind_int64(struct sq_query *q, int idx, int64_t v);
/* Binds NULL when s is NULL. */
void sq_bind_text(struct sq_query *q, int idx, const char *s);
void sq_bind_blob(struct sq_query *q, int idx, const void *p, size_t len);

/* One step: OP_OK with a row ready, OP_E_NOTFOUND at the end. */
enum op_rc sq_query_row(struct sq_query *q);
/* Steps to the end, ignoring any row (for writes; for RETURNING after the
 * wanted row was read). */
enum op_rc sq_query_run(struct sq_query *q);
/* For an UPDATE/DELETE of one key: runs it, then ends the query;
 * OP_E_NOTFOUND when it changed no row. */
enum op_rc sq_query_update(struct sq_query *q);

int64_t sq_col_int64(const struct sq_query *q, int col);
/* Returns a new copy (xstrdup) of a text column, NULL when SQL NULL. */
char *sq_col_str(const struct sq_query *q, int col);
/* Borrowed text valid until the next step; NULL when SQL NULL. */
const char *sq_col_text(const struct sq_query *q, int col);
/* Copies a text column into out[size], cut to fit; "" when SQL NULL. */
void sq_col_buf(const struct sq_query *q, int col, char *out, size_t size);
bool sq_col_null(const struct sq_query *q, int col);

/* Maps an SQLite result (after a failed step) to an op_rc, logging the
 * failures that are not plain constraint answers. */
enum op_rc sq_error(struct sq_conn *c, int sqlite_rc, const char *what);

/*
 * Starts a write transaction (BEGIN IMMEDIATE) unless the caller already
 * has one open; *own says whether sq_tx_end must finish it. sq_tx_end
 * commits when rc is OP_OK and rolls back otherwise; returns the final rc.
 */
enum op_rc sq_tx_begin(struct sq_store *st, bool *own);
enum op_rc sq_tx_end(struct sq_store *st, bool own, enum op_rc rc);

/* migrate.c: applies pending migrations on c; version in *version_out. */
enum op_rc sq_migrate(struct sq_conn *c, int *version_out,
		      struct op_err *err);
/* migrate.c: the number of migrations this binary knows. */
int sq_migrate_latest(void);

/* The operations behind the vtable, one file per concept. */
enum op_rc sq_schema_version(void *h, int *version_out);

enum op_rc sq_user_create(void *h, struct user *u);
enum op_rc sq_user_by_email(void *h, const char *email_canon,
			    struct user *out);
enum op_rc sq_user_by_id(void *h, int64_t id, struct user *out);
enum op_rc sq_user_set_password(void *h, int64_t id, const char *pw_hash);
enum op_rc sq_user_set_email(void *h, int64_t id, const char *email,
			     const char *email_canon);
enum op_rc sq_user_set_verified(void *h, int64_t id);
enum op_rc sq_user_set_disabled(void *h, int64_t id, bool disabled);
enum op_rc sq_user_note_failure(void *h, int64_t id, int64_t now,
				int max_failures, int *failures_out);
enum op_rc sq_user_clear_failures(void *h, int64_t id);
enum op_rc sq_user_delete(void *h, int64_t id);
enum op_rc sq_user_list(void *h, int (*cb)(const struct user *u, void *arg),
			void *arg);

enum op_rc sq_session_create(void *h, const struct session *s);
enum op_rc sq_session_get(void *h, const char *hash, int64_t now,
			  struct session *out);
enum op_rc sq_session_touch(void *h, const char *hash, int64_t now);
enum op_rc sq_session_delete(void *h, const char *hash);
enum op_rc sq_session_delete_user(void *h, int64_t user_id,
				  const char *except_hash);
enum op_rc sq_session_list_user(void *h, int64_t user_id, int64_t now,
				int (*cb)(const struct session *s, void *arg),
				void *arg);

enum op_rc sq_onetime_create(void *h, const struct onetime *t);
enum op_rc sq_onetime_consume(void *h, enum onetime_kind kind,
			      const char *hash, int64_t now,
			      struct onetime *out);
enum op_rc sq_onetime_peek(void *h, enum onetime_kind kind, const char *hash,
			   int64_t now, struct onetime *out);
enum op_rc sq_onetime_revoke_user(void *h, enum onetime_kind kind,
				  int64_t user_id);

enum op_rc sq_throttle_hit(void *h, const char *key, int64_t now,
			   int64_t window_sec, int *count_out);
enum op_rc sq_throttle_get(void *h, const char *key, int64_t now,
			   int64_t window_sec, int *count_out);
enum op_rc sq_throttle_clear(void *h, const char *key);

enum op_rc sq_outbox_add(void *h, struct outbox_msg *m);
enum op_rc sq_outbox_claim(void *h, int64_t now, int64_t lease_sec,
			   size_t max, struct outbox_msg **out,
			   size_t *n_out);
enum op_rc sq_outbox_mark_sent(void *h, int64_t id, int64_t now);
enum op_rc sq_outbox_mark_retry(void *h, int64_t id, int64_t next_attempt_at,
				const char *error);
enum op_rc sq_outbox_mark_failed(void *h, int64_t id, const char *error);
enum op_rc sq_outbox_list(void *h, int status_filter,
			  int (*cb)(const struct outbox_msg *m, void *arg),
			  void *arg);
enum op_rc sq_outbox_get(void *h, int64_t id, struct outbox_msg *out);
enum op_rc sq_outbox_retry(void *h, int64_t id, int64_t now);
enum op_rc sq_outbox_count(void *h, enum outbox_status status,
			   int64_t *count_out);

enum op_rc sq_audit_add(void *h, const struct audit_event *ev);
enum op_rc sq_audit_list(void *h,
			 int (*cb)(const struct audit_event *ev, void *arg),
			 void *arg);

enum op_rc sq_secret(void *h, const char *name, unsigned char out[32]);
enum op_rc sq_gc(void *h, int64_t now);
enum op_rc sq_scrub(void *h);

enum op_rc sq_client_create(void *h, const struct client *c);
enum op_rc sq_client_get(void *h, const char *client_id, struct client *out);
enum op_rc sq_client_by_name(void *h, const char *name, struct client *out);
enum op_rc sq_client_list(void *h,
			  int (*cb)(const struct client *c, void *arg),
			  void *arg);
enum op_rc sq_client_delete(void *h, const char *client_id);

enum op_rc sq_key_add(void *h, const struct signing_key *k);
enum op_rc sq_key_list(void *h,
		       int (*cb)(const struct signing_key *k, void *arg),
		       void *arg);
enum op_rc sq_key_retire(void *h, const char *kid, int64_t now);

enum op_rc sq_authz_request_create(void *h, const struct authz_request *r);
enum op_rc sq_authz_request_get(void *h, const char *id, int64_t now,
				struct authz_request *out);
enum op_rc sq_authz_request_delete(void *h, const char *id);

enum op_rc sq_code_create(void *h, const struct auth_code *c);
enum op_rc sq_code_consume(void *h, const char *hash, int64_t now,
			   struct auth_code *out);

enum op_rc sq_token_create(void *h, const struct oauth_token *t);
enum op_rc sq_token_get(void *h, const char *hash, int64_t now,
			struct oauth_token *out);
enum op_rc sq_token_use_refresh(void *h, const char *hash, int64_t now,
				struct oauth_token *out);
enum op_rc sq_token_revoke(void *h, const char *hash);
enum op_rc sq_token_revoke_family(void *h, const char *family);
enum op_rc sq_token_revoke_grant(void *h, int64_t user_id,
				 const char *client_id);
enum op_rc sq_token_revoke_sid(void *h, const char *sid);

enum op_rc sq_grant_touch(void *h, int64_t user_id, const char *client_id,
			  const char *scope, int64_t now);
enum op_rc sq_grant_get(void *h, int64_t user_id, const char *client_id,
			struct grant *out);
enum op_rc sq_grant_list(void *h, int64_t user_id,
			 int (*cb)(const struct grant *g, void *arg),
			 void *arg);
enum op_rc sq_grant_delete(void *h, int64_t user_id, const char *client_id);

enum op_rc sq_profile_create(void *h, struct profile *p);
enum op_rc sq_profile_import(void *h, struct profile *v, size_t n,
			     size_t *bad_index);
enum op_rc sq_profile_get(void *h, int64_t id, struct profile *out);
enum op_rc sq_profile_by_email(void *h, const char *email_canon,
			       int (*cb)(const struct profile *p, void *arg),
			       void *arg);
enum op_rc sq_profile_by_identity(void *h, const char *issuer,
				  const char *subject,
				  int (*cb)(const struct profile *p,
					    void *arg),
				  void *arg);
enum op_rc sq_profile_list(void *h,
			   int (*cb)(const struct profile *p, void *arg),
			   void *arg);
enum op_rc sq_profile_associate(void *h, int64_t id, const char *issuer,
				const char *subject, int64_t now,
				char **prev_issuer, char **prev_subject);

enum op_rc sq_assoc_link_create(void *h, const struct assoc_link *l);
enum op_rc sq_assoc_link_get(void *h, const char *hash, int64_t now,
			     struct assoc_link *out);
enum op_rc sq_assoc_link_by_code(void *h, const char *issuer,
				 const char *subject, const char *code_hash,
				 int64_t now, struct assoc_link *out);
enum op_rc sq_assoc_link_consume(void *h, const char *hash, int64_t now);

enum op_rc sq_biz_session_create(void *h, const struct biz_session *s);
enum op_rc sq_biz_session_get(void *h, const char *hash, int64_t now,
			      struct biz_session *out);
enum op_rc sq_biz_session_set_profile(void *h, const char *hash,
				      int64_t profile_id);
enum op_rc sq_biz_session_delete(void *h, const char *hash);

enum op_rc sq_biz_login_create(void *h, const struct biz_login *l);
enum op_rc sq_biz_login_take(void *h, const char *state_hash, int64_t now,
			     struct biz_login *out);

enum op_rc sq_portal_client_get(void *h, const char *portal,
				const char *issuer,
				struct portal_client *out);
enum op_rc sq_portal_client_put(void *h, const struct portal_client *c);

#endif

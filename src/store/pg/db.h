/*
 * db.h - internals shared by the files of the PostgreSQL backend (private
 * to src/store/pg/; nothing outside includes it). src/store/pg/ is the
 * only place that includes <libpq-fe.h>.
 *
 * struct pg_store is the backend handle behind the facade's void *. It
 * owns a small pool of connections (at most [store] pool_size). A thread
 * takes one for the length of a call, or from store_begin() to
 * store_commit()/store_rollback(), and gives it back after; while it
 * holds one (a list callback calling the store again, a call inside a
 * transaction) every call on that thread reuses it, found through a
 * pthread key. A connection prepares each statement of enum pg_stmt the
 * first time it runs it and keeps it for its life.
 *
 * A query runs through struct pg_query, as in the SQLite backend:
 *
 *	struct pg_query q;
 *	if ((rc = pg_query_start(st, ST_USER_BY_ID, &q)) != OP_OK)
 *		return rc;
 *	pg_bind_int64(&q, 1, id);
 *	rc = pg_query_row(&q);	(OP_OK with a row, OP_E_NOTFOUND)
 *	...read columns...
 *	pg_query_end(&q);
 *
 * The first pg_query_row/run executes the statement; the whole result
 * comes back at once (libpq), so the connection is free for a nested
 * call while the caller walks the rows.
 */
#ifndef STORE_PG_DB_H
#define STORE_PG_DB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "core/onepass.h"
#include "store/store.h"

/* Every statement the backend runs; SQL text in stmt.c. */
enum pg_stmt {
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
	ST_OUTBOX_CLAIM,
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

	ST_GRANT_LOCK,
	ST_GRANT_INSERT,
	ST_GRANT_UPDATE,
	ST_GRANT_GET,
	ST_GRANT_LIST,
	ST_GRANT_DELETE,

	ST_GC_SESSIONS,
	ST_GC_ONETIME,
	ST_GC_THROTTLE,
	ST_GC_AUTHZ,
	ST_GC_CODES,
	ST_GC_TOKENS,

	ST_PROFILE_INSERT,
	ST_PROFILE_GET,
	ST_PROFILE_BY_EMAIL,
	ST_PROFILE_BY_IDENTITY,
	ST_PROFILE_LIST,
	ST_PROFILE_IDENTITY,
	ST_PROFILE_ASSOCIATE,

	ST_ASSOC_LOCK_PROFILE,
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

struct pg_stmt_def {
	const char *name;	/* for log lines, and the prepared name */
	const char *sql;
};

/* Indexed by enum pg_stmt. */
extern const struct pg_stmt_def pg_stmts[ST__COUNT];

/* Most parameters any statement takes. */
#define PG_MAX_PARAMS 12

struct pg_store;

/* One connection of the pool. While a thread holds it, depth counts the
 * nested takes of that thread and the flags describe its transaction. */
struct pg_conn {
	PGconn *pg;
	bool prepared[ST__COUNT];
	bool broken;		/* lost or unusable: closed when given
				 * back */
	int depth;		/* takes by the holding thread */
	bool in_tx;		/* a transaction is open on it */
	bool explicit_tx;	/* ... opened by store_begin() */
	struct pg_store *owner;
	struct pg_conn *next;	/* in owner->idle, under owner->mu */
	struct pg_conn *all_next; /* in owner->all, under owner->mu */
};

struct pg_store {
	char *url;		/* never logged: it may hold a password */
	char *where;		/* "database 'x' on host:port", for logs */
	int pool_size;
	pthread_key_t key;	/* -> the struct pg_conn this thread holds */
	pthread_mutex_t mu;	/* guards everything below */
	pthread_cond_t cv;	/* a connection was given back */
	struct pg_conn *idle;
	struct pg_conn *all;	/* every connection, to close them */
	int n_open;		/* connections open or being opened */
	int64_t retry_at_ms;	/* after a failed connect: fail fast
				 * until then */
	bool down;		/* the last connect failed (logged once) */
	bool opened;		/* open succeeded: failures are logged */
};

struct pg_query {
	struct pg_store *st;
	struct pg_conn *conn;
	enum pg_stmt id;
	int n_params;
	const char *values[PG_MAX_PARAMS];
	int lengths[PG_MAX_PARAMS];
	int formats[PG_MAX_PARAMS];
	char nums[PG_MAX_PARAMS][24];
	bool bind_err;		/* an index out of range: a bug */
	PGresult *res;		/* once executed */
	int row;		/* the current row, -1 before the first */
	int n_rows;
};

/* Takes the calling thread's connection (the one it holds, or one from
 * the pool) and gives it back; every take has its give-back. */
enum op_rc pg_conn_take(struct pg_store *st, struct pg_conn **out);
/* The same, with the reason of a failure in err. */
enum op_rc pg_conn_take_err(struct pg_store *st, struct pg_conn **out,
			    struct op_err *err);
void pg_conn_give(struct pg_store *st, struct pg_conn *c);

/* The first line of a libpq message (msg may be NULL), without its
 * newline, cut to fit out[size]. */
void pg_first_line(const char *msg, char *out, size_t size);

/* The pthread key's destructor (a thread exits holding a connection). */
void pg_conn_thread_exit(void *arg);

/*
 * Maps a failed result (res may be NULL) to an op_rc: 23505 (unique)
 * OP_E_EXISTS, 23503 (foreign key) OP_E_NOTFOUND, a lost connection
 * (marked broken) OP_E_STORE, other constraint and data errors
 * OP_E_INVALID, the rest OP_E_STORE. Logs what is not a plain answer.
 */
enum op_rc pg_result_error(struct pg_conn *c, const PGresult *res,
			   const char *what);

/* Runs sql (no parameters, may hold several statements) on c; detail in
 * err (may be NULL). For transaction control and migrations only. */
enum op_rc pg_conn_exec(struct pg_conn *c, const char *sql,
			struct op_err *err);

/* Takes this thread's connection for statement id. */
enum op_rc pg_query_start(struct pg_store *st, enum pg_stmt id,
			  struct pg_query *q);
/* Frees the result and gives the connection back. */
void pg_query_end(struct pg_query *q);

void pg_bind_int64(struct pg_query *q, int idx, int64_t v);
void pg_bind_bool(struct pg_query *q, int idx, bool v);
/* Binds NULL when s is NULL. */
void pg_bind_text(struct pg_query *q, int idx, const char *s);
/* Binds bytes in binary format. */
void pg_bind_bytea(struct pg_query *q, int idx, const void *p, size_t len);

/* Executes (first call) and moves to the next row: OP_OK with a row ready,
 * OP_E_NOTFOUND after the last. */
enum op_rc pg_query_row(struct pg_query *q);
/* Executes, ignoring any row. */
enum op_rc pg_query_run(struct pg_query *q);
/* For an UPDATE/DELETE of one key: runs it, then ends the query;
 * OP_E_NOTFOUND when it changed no row. */
enum op_rc pg_query_update(struct pg_query *q);
/* Rows the executed statement returned or changed. */
int64_t pg_query_changes(const struct pg_query *q);

int64_t pg_col_int64(const struct pg_query *q, int col);
bool pg_col_bool(const struct pg_query *q, int col);
/* Returns a new copy (xstrdup) of a text column, NULL when SQL NULL. */
char *pg_col_str(const struct pg_query *q, int col);
/* Borrowed text valid until pg_query_end; NULL when SQL NULL. */
const char *pg_col_text(const struct pg_query *q, int col);
/* Copies a text column into out[size], cut to fit; "" when SQL NULL. */
void pg_col_buf(const struct pg_query *q, int col, char *out, size_t size);
bool pg_col_null(const struct pg_query *q, int col);
/* Decodes a bytea column into a new buffer (xmalloc, NUL-terminated one
 * byte past *len_out); caller frees. NULL with *len_out 0 when SQL NULL
 * or undecodable. */
unsigned char *pg_col_bytea(const struct pg_query *q, int col,
			    size_t *len_out);

/*
 * Opens a transaction unless this thread has one open; *own says whether
 * pg_tx_end must finish it. pg_tx_end commits when rc is OP_OK and rolls
 * back otherwise; returns the final rc. Both take and give back the
 * connection, so the transaction's statements run on it.
 */
enum op_rc pg_tx_begin(struct pg_store *st, bool *own);
enum op_rc pg_tx_end(struct pg_store *st, bool own, enum op_rc rc);

/*
 * The same, for steps that must be all or none inside the caller's
 * transaction too: when joining one, pg_sub_begin sets a savepoint and
 * pg_sub_end rolls back to it on failure, so the caller's earlier work
 * stays and none of the step's does.
 */
enum op_rc pg_sub_begin(struct pg_store *st, bool *own);
enum op_rc pg_sub_end(struct pg_store *st, bool own, enum op_rc rc);

/* migrate.c: applies pending migrations on c; version in *version_out. */
enum op_rc pg_migrate(struct pg_conn *c, int *version_out,
		      struct op_err *err);
int pg_migrate_latest(void);

/* The operations behind the vtable, one file per concept. */
enum op_rc pg_schema_version(void *h, int *version_out);

enum op_rc pg_user_create(void *h, struct user *u);
enum op_rc pg_user_by_email(void *h, const char *email_canon,
			    struct user *out);
enum op_rc pg_user_by_id(void *h, int64_t id, struct user *out);
enum op_rc pg_user_set_password(void *h, int64_t id, const char *pw_hash);
enum op_rc pg_user_set_email(void *h, int64_t id, const char *email,
			     const char *email_canon);
enum op_rc pg_user_set_verified(void *h, int64_t id);
enum op_rc pg_user_set_disabled(void *h, int64_t id, bool disabled);
enum op_rc pg_user_note_failure(void *h, int64_t id, int64_t now,
				int max_failures, int *failures_out);
enum op_rc pg_user_clear_failures(void *h, int64_t id);
enum op_rc pg_user_delete(void *h, int64_t id);
enum op_rc pg_user_list(void *h, int (*cb)(const struct user *u, void *arg),
			void *arg);

enum op_rc pg_session_create(void *h, const struct session *s);
enum op_rc pg_session_get(void *h, const char *hash, int64_t now,
			  struct session *out);
enum op_rc pg_session_touch(void *h, const char *hash, int64_t now);
enum op_rc pg_session_delete(void *h, const char *hash);
enum op_rc pg_session_delete_user(void *h, int64_t user_id,
				  const char *except_hash);
enum op_rc pg_session_list_user(void *h, int64_t user_id, int64_t now,
				int (*cb)(const struct session *s, void *arg),
				void *arg);

enum op_rc pg_onetime_create(void *h, const struct onetime *t);
enum op_rc pg_onetime_consume(void *h, enum onetime_kind kind,
			      const char *hash, int64_t now,
			      struct onetime *out);
enum op_rc pg_onetime_peek(void *h, enum onetime_kind kind, const char *hash,
			   int64_t now, struct onetime *out);
enum op_rc pg_onetime_revoke_user(void *h, enum onetime_kind kind,
				  int64_t user_id);

enum op_rc pg_throttle_hit(void *h, const char *key, int64_t now,
			   int64_t window_sec, int *count_out);
enum op_rc pg_throttle_get(void *h, const char *key, int64_t now,
			   int64_t window_sec, int *count_out);
enum op_rc pg_throttle_clear(void *h, const char *key);

enum op_rc pg_outbox_add(void *h, struct outbox_msg *m);
enum op_rc pg_outbox_claim(void *h, int64_t now, int64_t lease_sec,
			   size_t max, struct outbox_msg **out,
			   size_t *n_out);
enum op_rc pg_outbox_mark_sent(void *h, int64_t id, int64_t now);
enum op_rc pg_outbox_mark_retry(void *h, int64_t id, int64_t next_attempt_at,
				const char *error);
enum op_rc pg_outbox_mark_failed(void *h, int64_t id, const char *error);
enum op_rc pg_outbox_list(void *h, int status_filter,
			  int (*cb)(const struct outbox_msg *m, void *arg),
			  void *arg);
enum op_rc pg_outbox_get(void *h, int64_t id, struct outbox_msg *out);
enum op_rc pg_outbox_count(void *h, enum outbox_status status,
			   int64_t *count_out);
enum op_rc pg_outbox_retry(void *h, int64_t id, int64_t now);

enum op_rc pg_audit_add(void *h, const struct audit_event *ev);
enum op_rc pg_audit_list(void *h,
			 int (*cb)(const struct audit_event *ev, void *arg),
			 void *arg);

enum op_rc pg_secret(void *h, const char *name, unsigned char out[32]);
enum op_rc pg_gc(void *h, int64_t now);

enum op_rc pg_client_create(void *h, const struct client *c);
enum op_rc pg_client_get(void *h, const char *client_id, struct client *out);
enum op_rc pg_client_by_name(void *h, const char *name, struct client *out);
enum op_rc pg_client_list(void *h,
			  int (*cb)(const struct client *c, void *arg),
			  void *arg);
enum op_rc pg_client_delete(void *h, const char *client_id);

enum op_rc pg_key_add(void *h, const struct signing_key *k);
enum op_rc pg_key_list(void *h,
		       int (*cb)(const struct signing_key *k, void *arg),
		       void *arg);
enum op_rc pg_key_retire(void *h, const char *kid, int64_t now);

enum op_rc pg_authz_request_create(void *h, const struct authz_request *r);
enum op_rc pg_authz_request_get(void *h, const char *id, int64_t now,
				struct authz_request *out);
enum op_rc pg_authz_request_delete(void *h, const char *id);

enum op_rc pg_code_create(void *h, const struct auth_code *c);
enum op_rc pg_code_consume(void *h, const char *hash, int64_t now,
			   struct auth_code *out);

enum op_rc pg_token_create(void *h, const struct oauth_token *t);
enum op_rc pg_token_get(void *h, const char *hash, int64_t now,
			struct oauth_token *out);
enum op_rc pg_token_use_refresh(void *h, const char *hash, int64_t now,
				struct oauth_token *out);
enum op_rc pg_token_revoke(void *h, const char *hash);
enum op_rc pg_token_revoke_family(void *h, const char *family);
enum op_rc pg_token_revoke_grant(void *h, int64_t user_id,
				 const char *client_id);
enum op_rc pg_token_revoke_sid(void *h, const char *sid);

enum op_rc pg_grant_touch(void *h, int64_t user_id, const char *client_id,
			  const char *scope, int64_t now);
enum op_rc pg_grant_get(void *h, int64_t user_id, const char *client_id,
			struct grant *out);
enum op_rc pg_grant_list(void *h, int64_t user_id,
			 int (*cb)(const struct grant *g, void *arg),
			 void *arg);
enum op_rc pg_grant_delete(void *h, int64_t user_id, const char *client_id);

enum op_rc pg_profile_create(void *h, struct profile *p);
enum op_rc pg_profile_import(void *h, struct profile *v, size_t n,
			     size_t *bad_index);
enum op_rc pg_profile_get(void *h, int64_t id, struct profile *out);
enum op_rc pg_profile_by_email(void *h, const char *email_canon,
			       int (*cb)(const struct profile *p, void *arg),
			       void *arg);
enum op_rc pg_profile_by_identity(void *h, const char *issuer,
				  const char *subject,
				  int (*cb)(const struct profile *p,
					    void *arg),
				  void *arg);
enum op_rc pg_profile_list(void *h,
			   int (*cb)(const struct profile *p, void *arg),
			   void *arg);
enum op_rc pg_profile_associate(void *h, int64_t id, const char *issuer,
				const char *subject, int64_t now,
				char **prev_issuer, char **prev_subject);

enum op_rc pg_assoc_link_create(void *h, const struct assoc_link *l);
enum op_rc pg_assoc_link_get(void *h, const char *hash, int64_t now,
			     struct assoc_link *out);
enum op_rc pg_assoc_link_by_code(void *h, const char *issuer,
				 const char *subject, const char *code_hash,
				 int64_t now, struct assoc_link *out);
enum op_rc pg_assoc_link_consume(void *h, const char *hash, int64_t now);

enum op_rc pg_biz_session_create(void *h, const struct biz_session *s);
enum op_rc pg_biz_session_get(void *h, const char *hash, int64_t now,
			      struct biz_session *out);
enum op_rc pg_biz_session_set_profile(void *h, const char *hash,
				      int64_t profile_id);
enum op_rc pg_biz_session_delete(void *h, const char *hash);

enum op_rc pg_biz_login_create(void *h, const struct biz_login *l);
enum op_rc pg_biz_login_take(void *h, const char *state_hash, int64_t now,
			     struct biz_login *out);

enum op_rc pg_portal_client_get(void *h, const char *portal,
				const char *issuer,
				struct portal_client *out);
enum op_rc pg_portal_client_put(void *h, const struct portal_client *c);

#endif

/*
 * backend.h - the contract between the store facade (store.c) and a
 * storage backend (store/sqlite/ now, store/pg/ later).
 *
 * A backend is a const table of function pointers, exported as a single
 * symbol (store_backend_sqlite). The facade has already checked every
 * argument (non-NULL, lengths, token hashes well formed, e-mail canonical,
 * kinds and statuses in range) before a call reaches the backend, so a
 * backend only moves bytes: it translates each operation into its query
 * language with bound parameters and maps its errors:
 *
 *   - absent row (or 0 rows changed by an update/delete of one key)
 *                                          -> OP_E_NOTFOUND
 *   - unique or primary key violation      -> OP_E_EXISTS
 *   - foreign key violation (no such user or client)
 *                                          -> OP_E_NOTFOUND
 *   - anything else (busy, I/O, corrupt)   -> OP_E_STORE, logged once by
 *                                             the backend with log_warnx
 *                                             naming the statement
 *
 * Each operation has the semantics written next to its twin in store.h;
 * docs/design/store-contract.md lists them op by op and the conformance
 * suites (tests/unit/store/test_store.c, test_store_oidc.c) prove each
 * backend against it.
 *
 * Threads: every function may be called from any thread. A backend keeps
 * one connection per calling thread, opened on first use, so no lock is
 * taken per call. Transactions (begin/commit/rollback) act on the calling
 * thread's connection only. Operations that need atomicity on their own
 * (onetime_consume, outbox_claim, throttle_hit, user_note_failure,
 * secret, code_consume, token_use_refresh, grant_touch, grant_delete,
 * profile_import, profile_associate, assoc_link_create,
 * assoc_link_consume, biz_login_take) are atomic whether or not the
 * caller has a transaction open.
 *
 * Records returned to the caller own their strings (allocated with
 * xmalloc.h); the facade's *_release() functions free them.
 */
#ifndef STORE_BACKEND_H
#define STORE_BACKEND_H

#include "store/store.h"

struct store_backend {
	const char *name;

	/* Opens the database named by cfg and applies pending migrations.
	 * Returns a new handle in *out, freed with close(). Detail in err. */
	enum op_rc (*open)(const struct config *cfg, void **out,
			   struct op_err *err);
	/* Closes every connection of h and frees it. */
	void (*close)(void *h);
	enum op_rc (*schema_version)(void *h, int *version_out);

	/* OP_E_INVALID when a transaction is already open (begin) or none
	 * is (commit). rollback with none open does nothing. */
	enum op_rc (*begin)(void *h);
	enum op_rc (*commit)(void *h);
	enum op_rc (*rollback)(void *h);

	enum op_rc (*user_create)(void *h, struct user *u);
	enum op_rc (*user_by_email)(void *h, const char *email_canon,
				    struct user *out);
	enum op_rc (*user_by_id)(void *h, int64_t id, struct user *out);
	enum op_rc (*user_set_password)(void *h, int64_t id,
					const char *pw_hash);
	enum op_rc (*user_set_email)(void *h, int64_t id, const char *email,
				     const char *email_canon);
	enum op_rc (*user_set_verified)(void *h, int64_t id);
	enum op_rc (*user_set_disabled)(void *h, int64_t id, bool disabled);
	enum op_rc (*user_note_failure)(void *h, int64_t id, int64_t now,
					int max_failures, int *failures_out);
	enum op_rc (*user_clear_failures)(void *h, int64_t id);
	enum op_rc (*user_delete)(void *h, int64_t id);
	enum op_rc (*user_list)(void *h,
				int (*cb)(const struct user *u, void *arg),
				void *arg);

	enum op_rc (*session_create)(void *h, const struct session *s);
	enum op_rc (*session_get)(void *h, const char *hash, int64_t now,
				  struct session *out);
	enum op_rc (*session_touch)(void *h, const char *hash, int64_t now);
	enum op_rc (*session_delete)(void *h, const char *hash);
	enum op_rc (*session_delete_user)(void *h, int64_t user_id,
					  const char *except_hash);
	enum op_rc (*session_list_user)(void *h, int64_t user_id, int64_t now,
					int (*cb)(const struct session *s,
						  void *arg),
					void *arg);

	enum op_rc (*onetime_create)(void *h, const struct onetime *t);
	enum op_rc (*onetime_consume)(void *h, enum onetime_kind kind,
				      const char *hash, int64_t now,
				      struct onetime *out);
	enum op_rc (*onetime_peek)(void *h, enum onetime_kind kind,
				   const char *hash, int64_t now,
				   struct onetime *out);
	enum op_rc (*onetime_revoke_user)(void *h, enum onetime_kind kind,
					  int64_t user_id);

	enum op_rc (*throttle_hit)(void *h, const char *key, int64_t now,
				   int64_t window_sec, int *count_out);
	enum op_rc (*throttle_get)(void *h, const char *key, int64_t now,
				   int64_t window_sec, int *count_out);
	enum op_rc (*throttle_clear)(void *h, const char *key);

	enum op_rc (*outbox_add)(void *h, struct outbox_msg *m);
	enum op_rc (*outbox_claim)(void *h, int64_t now, int64_t lease_sec,
				   size_t max, struct outbox_msg **out,
				   size_t *n_out);
	enum op_rc (*outbox_mark_sent)(void *h, int64_t id, int64_t now);
	enum op_rc (*outbox_mark_retry)(void *h, int64_t id,
					int64_t next_attempt_at,
					const char *error);
	enum op_rc (*outbox_mark_failed)(void *h, int64_t id,
					 const char *error);
	enum op_rc (*outbox_list)(void *h, int status_filter,
				  int (*cb)(const struct outbox_msg *m,
					    void *arg),
				  void *arg);
	enum op_rc (*outbox_get)(void *h, int64_t id, struct outbox_msg *out);
	enum op_rc (*outbox_count)(void *h, enum outbox_status status,
				   int64_t *count_out);
	/*
	 * id > 0: makes that message pending (from pending or failed),
	 * due at now, with attempts back to 0 and its claim (if any) kept;
	 * OP_E_NOTFOUND when no such id, OP_E_CONFLICT when it was sent.
	 * id == 0: every pending message due after now becomes due at now
	 * (claims kept); OP_OK even when there was none.
	 */
	enum op_rc (*outbox_retry)(void *h, int64_t id, int64_t now);

	enum op_rc (*audit_add)(void *h, const struct audit_event *ev);
	enum op_rc (*audit_list)(void *h,
				 int (*cb)(const struct audit_event *ev,
					   void *arg),
				 void *arg);

	/* The facade wipes out on failure. */
	enum op_rc (*secret)(void *h, const char *name, unsigned char out[32]);
	/* Every kind of expired row, sessions to tokens; also business
	 * sessions and pending business sign-ins past expires_at, and
	 * association links that are spent or past expires_at. */
	enum op_rc (*gc)(void *h, int64_t now);
	/* Makes deleted data unrecoverable from the backend's own files
	 * where it can (SQLite: checkpoint and truncate the WAL). May be
	 * NULL: nothing to do. */
	enum op_rc (*scrub)(void *h);

	/* ---- the OpenID Connect provider ---- */

	/* post_logout_uris NULL is stored as "". */
	enum op_rc (*client_create)(void *h, const struct client *c);
	enum op_rc (*client_get)(void *h, const char *client_id,
				 struct client *out);
	enum op_rc (*client_by_name)(void *h, const char *name,
				     struct client *out);
	enum op_rc (*client_list)(void *h,
				  int (*cb)(const struct client *c, void *arg),
				  void *arg);
	/* Also deletes the client's codes, tokens and grants. */
	enum op_rc (*client_delete)(void *h, const char *client_id);

	/* retired_at 0 is stored as "not retired". */
	enum op_rc (*key_add)(void *h, const struct signing_key *k);
	enum op_rc (*key_list)(void *h,
			       int (*cb)(const struct signing_key *k,
					 void *arg),
			       void *arg);
	enum op_rc (*key_retire)(void *h, const char *kid, int64_t now);

	enum op_rc (*authz_request_create)(void *h,
					   const struct authz_request *r);
	enum op_rc (*authz_request_get)(void *h, const char *id, int64_t now,
					struct authz_request *out);
	enum op_rc (*authz_request_delete)(void *h, const char *id);

	enum op_rc (*code_create)(void *h, const struct auth_code *c);
	enum op_rc (*code_consume)(void *h, const char *hash, int64_t now,
				   struct auth_code *out);

	enum op_rc (*token_create)(void *h, const struct oauth_token *t);
	enum op_rc (*token_get)(void *h, const char *hash, int64_t now,
				struct oauth_token *out);
	enum op_rc (*token_use_refresh)(void *h, const char *hash, int64_t now,
					struct oauth_token *out);
	/* The four revocations answer OP_OK even when nothing matched. */
	enum op_rc (*token_revoke)(void *h, const char *hash);
	enum op_rc (*token_revoke_family)(void *h, const char *family);
	enum op_rc (*token_revoke_grant)(void *h, int64_t user_id,
					 const char *client_id);
	enum op_rc (*token_revoke_sid)(void *h, const char *sid);

	/* Merges scope into the stored one with store_scope_union() inside
	 * one write transaction. */
	enum op_rc (*grant_touch)(void *h, int64_t user_id,
				  const char *client_id, const char *scope,
				  int64_t now);
	enum op_rc (*grant_get)(void *h, int64_t user_id,
				const char *client_id, struct grant *out);
	enum op_rc (*grant_list)(void *h, int64_t user_id,
				 int (*cb)(const struct grant *g, void *arg),
				 void *arg);
	/* One transaction: deletes the grant, revokes the tokens. */
	enum op_rc (*grant_delete)(void *h, int64_t user_id,
				   const char *client_id);

	/* ---- the business site ---- */

	/*
	 * Profiles. p->email_canon is already the canonical form of
	 * p->email (the facade computed or checked it). issuer and subject
	 * are both NULL (stored NULL, associated_at 0) or both set. create
	 * sets p->id; OP_E_EXISTS when (email_canon, name, company, type)
	 * is taken (exact byte comparison).
	 */
	enum op_rc (*profile_create)(void *h, struct profile *p);
	/*
	 * Inserts v[0..n) in order, all or none: in a transaction of its
	 * own, or inside the caller's (then undone to where it started,
	 * e.g. with a savepoint, so the caller's earlier work stays). Sets
	 * each v[i].id. On failure (OP_E_EXISTS, also for two equal rows in
	 * v) *bad_index is the index of the first row that failed. n > 0.
	 */
	enum op_rc (*profile_import)(void *h, struct profile *v, size_t n,
				     size_t *bad_index);
	enum op_rc (*profile_get)(void *h, int64_t id, struct profile *out);
	/* The three listings are in id order. */
	enum op_rc (*profile_by_email)(void *h, const char *email_canon,
				       int (*cb)(const struct profile *p,
						 void *arg),
				       void *arg);
	enum op_rc (*profile_by_identity)(void *h, const char *issuer,
					  const char *subject,
					  int (*cb)(const struct profile *p,
						    void *arg),
					  void *arg);
	enum op_rc (*profile_list)(void *h,
				   int (*cb)(const struct profile *p,
					     void *arg),
				   void *arg);
	/*
	 * Reads the identity the profile had and sets the new one with
	 * associated_at = now, in one write transaction (or the caller's).
	 * *prev_issuer and *prev_subject get new strings (xstrdup), or NULL
	 * when it had none; both NULL on any failure. OP_E_NOTFOUND when
	 * the profile does not exist.
	 */
	enum op_rc (*profile_associate)(void *h, int64_t id,
					const char *issuer,
					const char *subject, int64_t now,
					char **prev_issuer,
					char **prev_subject);

	/*
	 * Association links, keyed by the hash of the long token. create
	 * first spends (as revoked) every unused link of the same (issuer,
	 * subject, profile_id), then inserts l, in one write transaction
	 * (or the caller's); OP_E_EXISTS for a taken hash (nothing is then
	 * spent), OP_E_NOTFOUND when the profile does not exist.
	 */
	enum op_rc (*assoc_link_create)(void *h, const struct assoc_link *l);
	/* OP_E_NOTFOUND when no such hash; OP_E_EXPIRED when spent or
	 * now >= expires_at (out untouched). */
	enum op_rc (*assoc_link_get)(void *h, const char *hash, int64_t now,
				     struct assoc_link *out);
	/* The newest live (unspent, now < expires_at) link of (issuer,
	 * subject) whose code_hash matches; OP_E_NOTFOUND otherwise. */
	enum op_rc (*assoc_link_by_code)(void *h, const char *issuer,
					 const char *subject,
					 const char *code_hash, int64_t now,
					 struct assoc_link *out);
	/* One atomic check-and-spend (used_at = now): of concurrent callers
	 * exactly one gets OP_OK. Otherwise OP_E_NOTFOUND when no such
	 * hash, OP_E_EXPIRED when spent or now >= expires_at. */
	enum op_rc (*assoc_link_consume)(void *h, const char *hash,
					 int64_t now);

	/* Business sessions: as session_*; profile_id 0 means none.
	 * get: OP_E_NOTFOUND when absent or now >= expires_at.
	 * set_profile and delete: OP_E_NOTFOUND when no such hash. */
	enum op_rc (*biz_session_create)(void *h,
					 const struct biz_session *s);
	enum op_rc (*biz_session_get)(void *h, const char *hash, int64_t now,
				      struct biz_session *out);
	enum op_rc (*biz_session_set_profile)(void *h, const char *hash,
					      int64_t profile_id);
	enum op_rc (*biz_session_delete)(void *h, const char *hash);

	/* Pending business sign-ins. take reads and deletes in one atomic
	 * statement (DELETE ... RETURNING), only when now < expires_at:
	 * of concurrent callers exactly one gets OP_OK; otherwise
	 * OP_E_NOTFOUND (an expired row is left for gc). */
	enum op_rc (*biz_login_create)(void *h, const struct biz_login *l);
	enum op_rc (*biz_login_take)(void *h, const char *state_hash,
				     int64_t now, struct biz_login *out);

	/* Portal client registrations, keyed by (portal, issuer); the
	 * secret is stored as given. put: OP_E_EXISTS when taken. */
	enum op_rc (*portal_client_get)(void *h, const char *portal,
					const char *issuer,
					struct portal_client *out);
	enum op_rc (*portal_client_put)(void *h,
					const struct portal_client *c);
};

/*
 * The scope a grant holds after consenting to add on top of have: the
 * words of have, then those of add that have lacks, single spaces, no
 * duplicates. Both are space-separated words (have may be NULL or "").
 * Returns a new string, caller frees with xfree(). Semantics shared by
 * every backend, so it lives in the facade (store_oidc.c).
 */
char *store_scope_union(const char *have, const char *add);

extern const struct store_backend store_backend_sqlite;
extern const struct store_backend store_backend_pg;

#endif

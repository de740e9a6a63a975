/*
 * store.h - the only way callers reach data. Records are typed structs;
 * strings inside records returned by the store are owned by the record
 * and freed by its *_release() function.
 *
 * Connections: each thread that calls the store gets its own connection
 * (opened on first use, closed at thread exit or store_close), so the
 * request path takes no global lock. Transactions are per thread:
 * store_begin/commit/rollback act on the calling thread's connection.
 *
 * Lookups distinguish absent (OP_E_NOTFOUND) from broken (OP_E_STORE).
 * Unique violations return OP_E_EXISTS. E-mail addresses passed to the
 * store are already canonical (core/email.h).
 *
 * Nothing here is SQLite-specific; a PostgreSQL backend implements the same
 * functions behind the same header.
 */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/onepass.h"
#include "core/token.h"

struct config;
struct store;

/*
 * Opens the store named by cfg (store_path for SQLite), creating the
 * database and applying every pending migration. Returns a new store,
 * caller frees with store_close().
 */
enum op_rc store_open(const struct config *cfg, struct store **out,
		      struct op_err *err);
/* Closes every connection the store opened. No thread may use it after. */
void store_close(struct store *st);
/* Schema version after migrations (for `store check` and tests). */
enum op_rc store_schema_version(struct store *st, int *version_out);

enum op_rc store_begin(struct store *st);
enum op_rc store_commit(struct store *st);
/* Never fails from the caller's point of view; logs if it does. */
void store_rollback(struct store *st);

/* ---- users (IDs) ---- */

struct user {
	int64_t id;
	char *sub;		/* stable opaque subject, never the e-mail */
	char *email;		/* as the person typed it */
	char *email_canon;	/* canonical, unique */
	char *pw_hash;		/* argon2id encoded string */
	bool email_verified;
	bool disabled;
	bool needs_reset;	/* too many failures: only a reset unlocks */
	int failed_logins;	/* consecutive */
	int64_t last_failed_at;
	int64_t created_at;
};
void user_release(struct user *u);

/* Inserts u (sub, email, email_canon, pw_hash, email_verified,
 * created_at); sets u->id. OP_E_EXISTS if the address or sub is taken. */
enum op_rc store_user_create(struct store *st, struct user *u);
enum op_rc store_user_by_email(struct store *st, const char *email_canon,
			       struct user *out);
enum op_rc store_user_by_id(struct store *st, int64_t id, struct user *out);
enum op_rc store_user_set_password(struct store *st, int64_t id,
				   const char *pw_hash);
/* Changes the address; OP_E_EXISTS if another user has it. Marks it
 * verified (an address change only takes effect once verified). */
enum op_rc store_user_set_email(struct store *st, int64_t id,
				const char *email, const char *email_canon);
enum op_rc store_user_set_verified(struct store *st, int64_t id);
enum op_rc store_user_set_disabled(struct store *st, int64_t id,
				   bool disabled);
/* Adds one consecutive failure at now; returns the new count. Sets
 * needs_reset when the count reaches max_failures. */
enum op_rc store_user_note_failure(struct store *st, int64_t id, int64_t now,
				   int max_failures, int *failures_out);
/* Clears failures and needs_reset. */
enum op_rc store_user_clear_failures(struct store *st, int64_t id);
/* Deletes the user with its sessions and one-time tokens. */
enum op_rc store_user_delete(struct store *st, int64_t id);
/* Calls cb for every user in id order; a non-zero return stops. */
enum op_rc store_user_list(struct store *st,
			   int (*cb)(const struct user *u, void *arg),
			   void *arg);

/* ---- sessions of the ID service ---- */

struct session {
	char hash[TOKEN_HASH_LEN + 1];	/* hash of the cookie's token */
	int64_t user_id;
	int64_t created_at;
	int64_t last_seen_at;
	int64_t expires_at;
	int64_t auth_time;	/* last time the password was typed */
	bool persistent;	/* "Save my e-mail address and password" */
	char sid[TOKEN_STR_LEN + 1];	/* public session id ("sid" claim),
					 * random; set by the caller */
	char *ip;
	char *user_agent;
};
void session_release(struct session *s);

enum op_rc store_session_create(struct store *st, const struct session *s);
/* OP_E_NOTFOUND when absent or expired at now. */
enum op_rc store_session_get(struct store *st, const char *hash, int64_t now,
			     struct session *out);
enum op_rc store_session_touch(struct store *st, const char *hash,
			       int64_t now);
enum op_rc store_session_delete(struct store *st, const char *hash);
/* Deletes every session of user_id except except_hash (may be NULL). */
enum op_rc store_session_delete_user(struct store *st, int64_t user_id,
				     const char *except_hash);
/* Live sessions of user_id at now, newest first. */
enum op_rc store_session_list_user(struct store *st, int64_t user_id,
				   int64_t now,
				   int (*cb)(const struct session *s, void *arg),
				   void *arg);

/* ---- one-time tokens: e-mail verification, password reset, address
 * change. Stored as hashes, single use, expiring. ---- */

enum onetime_kind {
	ONETIME_VERIFY = 1,	/* data: the address being verified */
	ONETIME_RESET = 2,
	ONETIME_EMAIL_CHANGE = 3, /* data: the new address as typed */
};

struct onetime {
	char hash[TOKEN_HASH_LEN + 1];
	enum onetime_kind kind;
	int64_t user_id;
	char *data;		/* may be NULL */
	int64_t created_at;
	int64_t expires_at;
};
void onetime_release(struct onetime *t);

enum op_rc store_onetime_create(struct store *st, const struct onetime *t);
/*
 * Atomically marks the token used and returns it. OP_E_NOTFOUND when no
 * such token of that kind exists; OP_E_EXPIRED when it is spent or past
 * expires_at (an expired token stays unusable).
 */
enum op_rc store_onetime_consume(struct store *st, enum onetime_kind kind,
				 const char *hash, int64_t now,
				 struct onetime *out);
/* Like consume but changes nothing: for a GET that shows a form. */
enum op_rc store_onetime_peek(struct store *st, enum onetime_kind kind,
			      const char *hash, int64_t now,
			      struct onetime *out);
/* Spends every unused token of kind for user_id. */
enum op_rc store_onetime_revoke_user(struct store *st, enum onetime_kind kind,
				     int64_t user_id);

/* ---- throttling counters, shared by every node ---- */

/* Counts one event for key in a fixed window of window_sec starting at
 * the first event; returns the count in the current window. */
enum op_rc store_throttle_hit(struct store *st, const char *key, int64_t now,
			      int64_t window_sec, int *count_out);
/* The current count (0 when absent or the window has passed). */
enum op_rc store_throttle_get(struct store *st, const char *key, int64_t now,
			      int64_t window_sec, int *count_out);
enum op_rc store_throttle_clear(struct store *st, const char *key);

/* ---- mail outbox ---- */

enum outbox_status { OUTBOX_PENDING = 0, OUTBOX_SENT = 1, OUTBOX_FAILED = 2 };

struct outbox_msg {
	int64_t id;
	char *message_id;	/* <...@...>, stable across retries */
	char *mail_from;	/* envelope sender address */
	char *rcpt;		/* envelope recipient address */
	char *subject;		/* for listings, as given (not encoded) */
	char *body;		/* the whole RFC 5322 message, CRLF lines */
	size_t body_len;
	enum outbox_status status;
	int attempts;
	int64_t created_at;
	int64_t next_attempt_at;
	int64_t sent_at;
	char *last_error;	/* may be NULL */
};
void outbox_msg_release(struct outbox_msg *m);

/* Inserts m as pending (next_attempt_at = created_at); sets m->id. */
enum op_rc store_outbox_add(struct store *st, struct outbox_msg *m);
/*
 * Claims up to max pending messages due at now whose claim has lapsed,
 * holding each for lease_sec (safe across processes). Returns a new array
 * of *n_out messages in id order; caller releases each and xfree()s it.
 */
enum op_rc store_outbox_claim(struct store *st, int64_t now, int64_t lease_sec,
			      size_t max, struct outbox_msg **out,
			      size_t *n_out);
enum op_rc store_outbox_mark_sent(struct store *st, int64_t id, int64_t now);
enum op_rc store_outbox_mark_retry(struct store *st, int64_t id,
				   int64_t next_attempt_at, const char *error);
enum op_rc store_outbox_mark_failed(struct store *st, int64_t id,
				    const char *error);
/* status_filter < 0 lists all. Newest last. Body is not loaded. */
enum op_rc store_outbox_list(struct store *st, int status_filter,
			     int (*cb)(const struct outbox_msg *m, void *arg),
			     void *arg);
enum op_rc store_outbox_get(struct store *st, int64_t id,
			    struct outbox_msg *out);
enum op_rc store_outbox_count(struct store *st, enum outbox_status status,
			      int64_t *count_out);
/*
 * id > 0 (`onepass mail retry ID`): makes that message pending again,
 * from pending or failed, due at now, its attempts counted from 0 anew;
 * a claim in progress is left alone. OP_E_NOTFOUND when there is no such
 * message, OP_E_CONFLICT when it was sent already (its body is gone).
 * id == 0 (the outbox, when the mail server is back after an outage):
 * every pending message due later than now becomes due at now.
 */
enum op_rc store_outbox_retry(struct store *st, int64_t id, int64_t now);

/* ---- audit log ---- */

struct audit_event {
	int64_t id;		/* filled in listings; ignored by add */
	int64_t at;
	const char *event;	/* e.g. "signin.ok", "password.reset" */
	int64_t user_id;	/* 0 when none */
	const char *ip;		/* may be NULL */
	const char *detail;	/* may be NULL; never a secret */
};
enum op_rc store_audit_add(struct store *st, const struct audit_event *ev);
/* Oldest first. Strings in ev are valid only during the callback. */
enum op_rc store_audit_list(struct store *st,
			    int (*cb)(const struct audit_event *ev, void *arg),
			    void *arg);

/* ---- server secrets shared by every node (CSRF MAC key, ...) ---- */

/* Returns the 32-byte secret called name, creating it from the CSPRNG
 * the first time (concurrent first calls agree on one value). */
enum op_rc store_secret(struct store *st, const char *name,
			unsigned char out[32]);

/* ---- OpenID Connect: clients ---- */

struct client {
	char *client_id;	/* public, random */
	char *secret_hash;	/* SHA-256 hex of the secret; NULL: public */
	char *name;
	char *redirect_uris;	/* exact URIs, one per line */
	char *post_logout_uris;	/* one per line; may be "" */
	bool first_party;	/* skips consent */
	char *id_token_alg;	/* "RS256", "ES256" or "EdDSA" */
	int64_t created_at;
};
void client_release(struct client *c);

/* OP_E_EXISTS if client_id or name is taken. */
enum op_rc store_client_create(struct store *st, const struct client *c);
enum op_rc store_client_get(struct store *st, const char *client_id,
			    struct client *out);
enum op_rc store_client_by_name(struct store *st, const char *name,
				struct client *out);
/* Oldest first. */
enum op_rc store_client_list(struct store *st,
			     int (*cb)(const struct client *c, void *arg),
			     void *arg);
/* Deletes the client with its codes, tokens and consents. */
enum op_rc store_client_delete(struct store *st, const char *client_id);

/* ---- signing keys ---- */

struct signing_key {
	char *kid;
	char *alg;		/* "RS256", "ES256", "EdDSA" */
	char *private_key;	/* PEM, or sealed with the master key */
	char *public_jwk;	/* JSON object text */
	int64_t created_at;
	int64_t retired_at;	/* 0 while published in the JWKS */
};
void signing_key_release(struct signing_key *k);

enum op_rc store_key_add(struct store *st, const struct signing_key *k);
/* Every key, newest first (retired ones included: check retired_at). */
enum op_rc store_key_list(struct store *st,
			  int (*cb)(const struct signing_key *k, void *arg),
			  void *arg);
/* OP_E_NOTFOUND when no unretired key has that kid. */
enum op_rc store_key_retire(struct store *st, const char *kid, int64_t now);

/* ---- pending authorization requests (while the person signs in or
 * consents) ---- */

struct authz_request {
	char id[TOKEN_HASH_LEN + 1];	/* hash of the id in the URL */
	char *params;		/* the validated request, urlencoded */
	int64_t created_at;
	int64_t expires_at;
};
void authz_request_release(struct authz_request *r);

enum op_rc store_authz_request_create(struct store *st,
				      const struct authz_request *r);
/* OP_E_NOTFOUND when absent or expired at now. */
enum op_rc store_authz_request_get(struct store *st, const char *id,
				   int64_t now, struct authz_request *out);
enum op_rc store_authz_request_delete(struct store *st, const char *id);

/* ---- authorization codes: single use, bound to client, redirect URI
 * and PKCE challenge ---- */

struct auth_code {
	char hash[TOKEN_HASH_LEN + 1];
	char *client_id;
	int64_t user_id;
	char *redirect_uri;
	char *scope;		/* space-separated */
	char *nonce;		/* may be NULL */
	char *code_challenge;	/* S256 challenge, may be NULL */
	char *sid;		/* the ID service session */
	int64_t auth_time;
	int64_t created_at;
	int64_t expires_at;
};
void auth_code_release(struct auth_code *c);

enum op_rc store_code_create(struct store *st, const struct auth_code *c);
/*
 * Atomically spends the code and returns it. OP_E_NOTFOUND when unknown;
 * OP_E_EXPIRED when past expires_at; OP_E_CONFLICT when it was already
 * spent - then out is filled too, so the caller can revoke what the first
 * use issued (tokens whose family is the code's hash).
 */
enum op_rc store_code_consume(struct store *st, const char *hash,
			      int64_t now, struct auth_code *out);

/* ---- access and refresh tokens (opaque, stored hashed) ---- */

enum oauth_token_kind { OAUTH_ACCESS = 1, OAUTH_REFRESH = 2 };

struct oauth_token {
	char hash[TOKEN_HASH_LEN + 1];
	enum oauth_token_kind kind;
	char *client_id;
	int64_t user_id;
	char *scope;
	char *family;		/* the grant: the code's hash */
	char *sid;		/* may be NULL */
	int64_t auth_time;
	int64_t created_at;
	int64_t expires_at;
};
void oauth_token_release(struct oauth_token *t);

enum op_rc store_token_create(struct store *st, const struct oauth_token *t);
/* A live token: OP_E_NOTFOUND when unknown, revoked, spent or expired. */
enum op_rc store_token_get(struct store *st, const char *hash, int64_t now,
			   struct oauth_token *out);
/*
 * Spends a refresh token for rotation, atomically. OP_E_NOTFOUND when
 * unknown, revoked or expired; OP_E_CONFLICT when already spent (out is
 * filled: the caller revokes the family).
 */
enum op_rc store_token_use_refresh(struct store *st, const char *hash,
				   int64_t now, struct oauth_token *out);
enum op_rc store_token_revoke(struct store *st, const char *hash);
enum op_rc store_token_revoke_family(struct store *st, const char *family);
/* Revokes every token of user_id for client_id. */
enum op_rc store_token_revoke_grant(struct store *st, int64_t user_id,
				    const char *client_id);
/* Revokes every token issued under the ID service session sid. */
enum op_rc store_token_revoke_sid(struct store *st, const char *sid);

/* ---- consents and the sites an ID has signed in to ---- */

struct grant {
	int64_t user_id;
	char *client_id;
	char *client_name;	/* filled by store_grant_list */
	char *scope;		/* consented scope, space-separated */
	int64_t first_at;
	int64_t last_at;
};
void grant_release(struct grant *g);

/* Records a sign-in of user_id at client_id with scope (merged into the
 * consented scope) at now. */
enum op_rc store_grant_touch(struct store *st, int64_t user_id,
			     const char *client_id, const char *scope,
			     int64_t now);
/* OP_E_NOTFOUND when the ID never consented to/signed in at client. */
enum op_rc store_grant_get(struct store *st, int64_t user_id,
			   const char *client_id, struct grant *out);
/* Most recent first. */
enum op_rc store_grant_list(struct store *st, int64_t user_id,
			    int (*cb)(const struct grant *g, void *arg),
			    void *arg);
/* Forgets the consent and revokes the client's tokens for user_id. */
enum op_rc store_grant_delete(struct store *st, int64_t user_id,
			      const char *client_id);

/* ==== The business site ==== */

/* ---- the business profile directory ---- */

enum profile_type { PROFILE_CUSTOMER = 1, PROFILE_PARTNER = 2 };

struct profile {
	int64_t id;
	char *email;		/* as registered */
	char *email_canon;	/* canonical, not unique: one address may have
				 * several profiles */
	char *name;		/* the person's name */
	char *company;
	enum profile_type type;
	char *issuer;		/* associated identity: issuer and subject of */
	char *subject;		/* an OpenID provider; both NULL when none */
	int64_t associated_at;	/* 0 when none */
	int64_t created_at;
};
void store_profile_release(struct profile *p);

/* Inserts p; sets p->id. OP_E_EXISTS when the same address already has a
 * profile of that name, company and type. */
enum op_rc store_profile_create(struct store *st, struct profile *p);
/*
 * Inserts every profile of the array in one transaction: all or none.
 * On OP_E_EXISTS or OP_E_INVALID, *bad_index names the first culprit.
 */
enum op_rc store_profile_import(struct store *st, struct profile *v,
				size_t n, size_t *bad_index);
enum op_rc store_profile_get(struct store *st, int64_t id,
			     struct profile *out);
/* Profiles registered under an address, in id order. */
enum op_rc store_profile_by_email(struct store *st, const char *email_canon,
				  int (*cb)(const struct profile *p, void *arg),
				  void *arg);
/* Profiles associated with an identity, in id order. */
enum op_rc store_profile_by_identity(struct store *st, const char *issuer,
				     const char *subject,
				     int (*cb)(const struct profile *p,
					       void *arg),
				     void *arg);
/* Every profile in id order. */
enum op_rc store_profile_list(struct store *st,
			      int (*cb)(const struct profile *p, void *arg),
			      void *arg);
/*
 * Associates profile id with (issuer, subject) at now, replacing any
 * earlier association. Returns the identity it had before through
 * prev_issuer/prev_subject (new strings, caller frees with xfree; NULL
 * when it had none).
 */
enum op_rc store_profile_associate(struct store *st, int64_t id,
				   const char *issuer, const char *subject,
				   int64_t now, char **prev_issuer,
				   char **prev_subject);

/* ---- association links (mailed, single use, bound to the identity that
 * asked and to one profile) ---- */

struct assoc_link {
	char hash[TOKEN_HASH_LEN + 1];		/* of the long link token */
	char code_hash[TOKEN_HASH_LEN + 1];	/* of the short code */
	int64_t profile_id;
	char *issuer;		/* the identity that asked */
	char *subject;
	char *portal;		/* slug of the portal where it was asked */
	int64_t created_at;
	int64_t expires_at;
};
void assoc_link_release(struct assoc_link *l);

/* Inserts l and, in the same transaction, spends every older unused link
 * of the same identity and profile. */
enum op_rc store_assoc_link_create(struct store *st,
				   const struct assoc_link *l);
/* A live link by the hash of its token: OP_E_NOTFOUND when unknown;
 * OP_E_EXPIRED when spent or past expiry. */
enum op_rc store_assoc_link_get(struct store *st, const char *hash,
				int64_t now, struct assoc_link *out);
/* A live link of (issuer, subject) by the hash of its short code. */
enum op_rc store_assoc_link_by_code(struct store *st, const char *issuer,
				    const char *subject,
				    const char *code_hash, int64_t now,
				    struct assoc_link *out);
/* Atomically spends the link (single use): OP_E_EXPIRED when it was
 * spent or expired meanwhile. */
enum op_rc store_assoc_link_consume(struct store *st, const char *hash,
				    int64_t now);

/* ---- business site sessions and pending sign-ins ---- */

struct biz_session {
	char hash[TOKEN_HASH_LEN + 1];
	char *issuer;
	char *subject;
	char *email;		/* from the ID token, for display only */
	char *id_token;		/* for RP-initiated logout (id_token_hint) */
	int64_t profile_id;	/* the profile chosen in the switcher; 0 */
	int64_t auth_time;
	int64_t created_at;
	int64_t expires_at;
};
void biz_session_release(struct biz_session *s);

enum op_rc store_biz_session_create(struct store *st,
				    const struct biz_session *s);
/* OP_E_NOTFOUND when absent or expired at now. */
enum op_rc store_biz_session_get(struct store *st, const char *hash,
				 int64_t now, struct biz_session *out);
enum op_rc store_biz_session_set_profile(struct store *st, const char *hash,
					 int64_t profile_id);
enum op_rc store_biz_session_delete(struct store *st, const char *hash);

/* A sign-in started by the business site: what the callback needs. */
struct biz_login {
	char state_hash[TOKEN_HASH_LEN + 1];
	char *portal;		/* slug */
	char *nonce;
	char *verifier;		/* PKCE code_verifier */
	char *purpose;		/* "login" or "associate" */
	char *link_hash;	/* for "associate": the link being confirmed;
				 * may be NULL */
	char *return_to;	/* same-site path, may be NULL */
	int64_t created_at;
	int64_t expires_at;
};
void biz_login_release(struct biz_login *l);

enum op_rc store_biz_login_create(struct store *st,
				  const struct biz_login *l);
/* Atomically takes (reads and deletes) a pending sign-in by state hash:
 * OP_E_NOTFOUND when unknown, used or expired. */
enum op_rc store_biz_login_take(struct store *st, const char *state_hash,
				int64_t now, struct biz_login *out);

/* ---- the portals' client registrations (made on first start when the
 * ID service runs in the same process) ---- */

struct portal_client {
	char *portal;		/* slug */
	char *issuer;
	char *client_id;
	char *client_secret;	/* the portal's own credential; sealed with
				 * the master key when one is configured */
};
void portal_client_release(struct portal_client *c);

enum op_rc store_portal_client_get(struct store *st, const char *portal,
				   const char *issuer,
				   struct portal_client *out);
/* OP_E_EXISTS when the portal already has a client at that issuer. */
enum op_rc store_portal_client_put(struct store *st,
				   const struct portal_client *c);

/* Deletes expired sessions, one-time tokens, throttle rows, pending
 * authorization requests, codes and tokens, business sessions, pending
 * business sign-ins and spent association links. */
enum op_rc store_gc(struct store *st, int64_t now);
/* Makes deleted or overwritten data (a delivered message's body) leave
 * the store's files where the backend can; best effort, OP_OK when there
 * is nothing to do. */
enum op_rc store_scrub(struct store *st);

#endif

/*
 * stmt.c - every SQL statement the PostgreSQL backend runs, keyed by enum
 * pg_stmt (db.h): the PostgreSQL dialect of src/store/sqlite/stmt.c,
 * statement for statement. Each connection prepares a statement the first
 * time it needs it, under the enum's name, and keeps it (query.c).
 *
 * All values are bound parameters ($N); no statement is ever assembled
 * from strings at run time. Parameters whose type the server cannot infer
 * from a column carry a cast. Column lists shared by a reader function
 * are macros so the SELECT and the reader cannot drift apart. Time is
 * always passed in by the caller; no statement reads the server's clock.
 *
 * Where SQLite needs a transaction around several statements, PostgreSQL
 * does it in one: the outbox claim is one UPDATE over a sub-select FOR
 * UPDATE SKIP LOCKED (two nodes never claim the same message, and neither
 * waits for the other's rows).
 */
#include "store/pg/db.h"

#define USER_COLS                                                             \
	"id, sub, email, email_canon, pw_hash, email_verified, disabled, "     \
	"needs_reset, failed_logins, last_failed_at, created_at"
#define SESSION_COLS                                                          \
	"hash, user_id, created_at, last_seen_at, expires_at, auth_time, "     \
	"persistent, ip, user_agent, sid"
#define ONETIME_COLS "hash, kind, user_id, data, created_at, expires_at"
#define CLIENT_COLS                                                           \
	"client_id, secret_hash, name, redirect_uris, post_logout_uris, "      \
	"first_party, id_token_alg, created_at"
#define KEY_COLS "kid, alg, private_key, public_jwk, created_at, retired_at"
#define AUTHZ_COLS "id, params, created_at, expires_at"
#define CODE_COLS                                                             \
	"hash, client_id, user_id, redirect_uri, scope, nonce, "               \
	"code_challenge, sid, auth_time, created_at, expires_at"
#define TOKEN_COLS                                                            \
	"hash, kind, client_id, user_id, scope, family, sid, auth_time, "      \
	"created_at, expires_at"
#define GRANT_COLS                                                            \
	"g.user_id, g.client_id, c.name, g.scope, g.first_at, g.last_at"
#define OUTBOX_COLS                                                           \
	"id, message_id, mail_from, rcpt, subject, status, attempts, "         \
	"created_at, next_attempt_at, sent_at, last_error"
#define PROFILE_COLS                                                          \
	"id, email, email_canon, name, company, type, issuer, subject, "       \
	"associated_at, created_at"
#define ASSOC_COLS                                                            \
	"hash, code_hash, profile_id, issuer, subject, portal, created_at, "   \
	"expires_at"
#define BIZ_SESSION_COLS                                                      \
	"hash, issuer, subject, email, id_token, profile_id, auth_time, "      \
	"created_at, expires_at"
#define BIZ_LOGIN_COLS                                                        \
	"state_hash, portal, nonce, verifier, purpose, link_hash, return_to, " \
	"created_at, expires_at"
#define PORTAL_CLIENT_COLS "portal, issuer, client_id, client_secret"

#define S(id, sql) [id] = { #id, sql }

const struct pg_stmt_def pg_stmts[ST__COUNT] = {
	S(ST_SCHEMA_VERSION,
	  "SELECT coalesce(max(version), 0) FROM schema_version"),
	S(ST_SCHEMA_INSERT, "INSERT INTO schema_version (version) VALUES ($1)"),

	S(ST_USER_INSERT,
	  "INSERT INTO users (sub, email, email_canon, pw_hash, "
	  "email_verified, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
	  "RETURNING id"),
	S(ST_USER_BY_EMAIL,
	  "SELECT " USER_COLS " FROM users WHERE email_canon = $1"),
	S(ST_USER_BY_ID, "SELECT " USER_COLS " FROM users WHERE id = $1"),
	S(ST_USER_SET_PASSWORD, "UPDATE users SET pw_hash = $2 WHERE id = $1"),
	S(ST_USER_SET_EMAIL,
	  "UPDATE users SET email = $2, email_canon = $3, "
	  "email_verified = TRUE WHERE id = $1"),
	S(ST_USER_SET_VERIFIED,
	  "UPDATE users SET email_verified = TRUE WHERE id = $1"),
	S(ST_USER_SET_DISABLED, "UPDATE users SET disabled = $2 WHERE id = $1"),
	/* One statement, so concurrent failures never lose a count (the
	 * row lock serialises them; each sees the previous one's count). */
	S(ST_USER_NOTE_FAILURE,
	  "UPDATE users SET failed_logins = failed_logins + 1, "
	  "last_failed_at = $2, "
	  "needs_reset = CASE WHEN failed_logins + 1 >= $3::integer THEN TRUE "
	  "ELSE needs_reset END WHERE id = $1 RETURNING failed_logins"),
	S(ST_USER_CLEAR_FAILURES,
	  "UPDATE users SET failed_logins = 0, needs_reset = FALSE "
	  "WHERE id = $1"),
	S(ST_USER_DELETE, "DELETE FROM users WHERE id = $1"),
	S(ST_USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY id"),

	S(ST_SESSION_INSERT,
	  "INSERT INTO sessions (" SESSION_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
	S(ST_SESSION_GET,
	  "SELECT " SESSION_COLS " FROM sessions "
	  "WHERE hash = $1 AND expires_at > $2"),
	S(ST_SESSION_TOUCH,
	  "UPDATE sessions SET last_seen_at = $2 "
	  "WHERE hash = $1 AND expires_at > $2"),
	S(ST_SESSION_DELETE, "DELETE FROM sessions WHERE hash = $1"),
	S(ST_SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = $1"),
	S(ST_SESSION_DELETE_USER_EXCEPT,
	  "DELETE FROM sessions WHERE user_id = $1 AND hash <> $2"),
	S(ST_SESSION_LIST_USER,
	  "SELECT " SESSION_COLS " FROM sessions "
	  "WHERE user_id = $1 AND expires_at > $2 "
	  "ORDER BY created_at DESC, last_seen_at DESC, hash COLLATE \"C\""),

	S(ST_ONETIME_INSERT,
	  "INSERT INTO onetime (" ONETIME_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6)"),
	/* Check and spend in one statement: of two racing callers, the
	 * second waits for the first's row lock, then re-checks used_at IS
	 * NULL on the spent row and matches nothing. */
	S(ST_ONETIME_CONSUME,
	  "UPDATE onetime SET used_at = $3 "
	  "WHERE hash = $1 AND kind = $2 AND used_at IS NULL "
	  "AND expires_at > $3 RETURNING " ONETIME_COLS),
	S(ST_ONETIME_KIND_EXISTS,
	  "SELECT 1 FROM onetime WHERE hash = $1 AND kind = $2"),
	S(ST_ONETIME_PEEK,
	  "SELECT " ONETIME_COLS ", used_at FROM onetime "
	  "WHERE hash = $1 AND kind = $2"),
	/* used_at = 0 marks a token spent by revocation rather than use. */
	S(ST_ONETIME_REVOKE_USER,
	  "UPDATE onetime SET used_at = 0 "
	  "WHERE user_id = $1 AND kind = $2 AND used_at IS NULL"),

	/* A fixed window that opens at the first event: a hit after the
	 * window has passed starts a new one at count 1. One upsert, so
	 * concurrent hits from every node all count. */
	S(ST_THROTTLE_HIT,
	  "INSERT INTO throttle AS t (key, count, window_start, expires_at) "
	  "VALUES ($1, 1, $2::bigint, $2::bigint + $3::bigint) "
	  "ON CONFLICT (key) DO UPDATE SET "
	  "count = CASE WHEN t.window_start + $3::bigint <= $2::bigint "
	  "THEN 1 ELSE t.count + 1 END, "
	  "window_start = CASE WHEN t.window_start + $3::bigint <= $2::bigint "
	  "THEN $2::bigint ELSE t.window_start END, "
	  "expires_at = CASE WHEN t.window_start + $3::bigint <= $2::bigint "
	  "THEN $2::bigint + $3::bigint ELSE t.window_start + $3::bigint END "
	  "RETURNING count"),
	S(ST_THROTTLE_GET,
	  "SELECT count FROM throttle WHERE key = $1 "
	  "AND window_start + $3::bigint > $2::bigint"),
	S(ST_THROTTLE_CLEAR, "DELETE FROM throttle WHERE key = $1"),

	S(ST_OUTBOX_INSERT,
	  "INSERT INTO outbox (message_id, mail_from, rcpt, subject, body, "
	  "status, attempts, created_at, next_attempt_at, sent_at) "
	  "VALUES ($1, $2, $3, $4, $5, 0, 0, $6, $6, 0) RETURNING id"),
	/* Select the due messages whose claim has lapsed and stamp them in
	 * one statement; rows another node is claiming right now are
	 * skipped, not waited for. RETURNING has no order: outbox.c sorts. */
	S(ST_OUTBOX_CLAIM,
	  "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1 "
	  "WHERE id IN (SELECT id FROM outbox "
	  "WHERE status = 0 AND next_attempt_at <= $1 "
	  "AND (claimed_until IS NULL OR claimed_until < $1) "
	  "ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED) "
	  "RETURNING " OUTBOX_COLS ", body"),
	/* A delivered message's body holds live link tokens: it is not
	 * kept. */
	S(ST_OUTBOX_MARK_SENT,
	  "UPDATE outbox SET status = 1, sent_at = $2, claimed_until = NULL, "
	  "body = ''::bytea WHERE id = $1"),
	S(ST_OUTBOX_MARK_RETRY,
	  "UPDATE outbox SET next_attempt_at = $2, last_error = $3, "
	  "claimed_until = NULL WHERE id = $1"),
	S(ST_OUTBOX_MARK_FAILED,
	  "UPDATE outbox SET status = 2, last_error = $2, "
	  "claimed_until = NULL WHERE id = $1"),
	S(ST_OUTBOX_LIST,
	  "SELECT " OUTBOX_COLS " FROM outbox "
	  "WHERE $1::integer < 0 OR status = $1::integer ORDER BY id"),
	S(ST_OUTBOX_GET,
	  "SELECT " OUTBOX_COLS ", body FROM outbox WHERE id = $1"),
	S(ST_OUTBOX_COUNT, "SELECT count(*) FROM outbox WHERE status = $1"),
	S(ST_OUTBOX_RETRY_ONE,
	  "UPDATE outbox SET status = 0, next_attempt_at = $2, attempts = 0 "
	  "WHERE id = $1 AND status <> 1"),
	S(ST_OUTBOX_RETRY_ALL,
	  "UPDATE outbox SET next_attempt_at = $1 "
	  "WHERE status = 0 AND next_attempt_at > $1"),
	S(ST_OUTBOX_STATUS, "SELECT status FROM outbox WHERE id = $1"),

	S(ST_AUDIT_INSERT,
	  "INSERT INTO audit (at, event, user_id, ip, detail) "
	  "VALUES ($1, $2, $3, $4, $5)"),
	S(ST_AUDIT_LIST,
	  "SELECT id, at, event, user_id, ip, detail FROM audit ORDER BY id"),

	/* The first writer wins (a racing insert waits for it, then does
	 * nothing); everyone then reads the stored value. */
	S(ST_SECRET_INSERT,
	  "INSERT INTO secrets (name, value) VALUES ($1, $2) "
	  "ON CONFLICT (name) DO NOTHING"),
	S(ST_SECRET_GET, "SELECT value FROM secrets WHERE name = $1"),

	S(ST_CLIENT_INSERT,
	  "INSERT INTO clients (" CLIENT_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
	S(ST_CLIENT_GET,
	  "SELECT " CLIENT_COLS " FROM clients WHERE client_id = $1"),
	S(ST_CLIENT_BY_NAME,
	  "SELECT " CLIENT_COLS " FROM clients WHERE name = $1"),
	/* seq: insertion order, as SQLite's rowid. */
	S(ST_CLIENT_LIST,
	  "SELECT " CLIENT_COLS " FROM clients ORDER BY created_at, seq"),
	/* Codes, tokens and grants go with it (ON DELETE CASCADE). */
	S(ST_CLIENT_DELETE, "DELETE FROM clients WHERE client_id = $1"),

	S(ST_KEY_INSERT,
	  "INSERT INTO signing_keys (" KEY_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6)"),
	S(ST_KEY_LIST,
	  "SELECT " KEY_COLS " FROM signing_keys "
	  "ORDER BY created_at DESC, seq DESC"),
	S(ST_KEY_RETIRE,
	  "UPDATE signing_keys SET retired_at = $2 "
	  "WHERE kid = $1 AND retired_at IS NULL"),

	S(ST_AUTHZ_INSERT,
	  "INSERT INTO authz_requests (" AUTHZ_COLS ") "
	  "VALUES ($1, $2, $3, $4)"),
	S(ST_AUTHZ_GET,
	  "SELECT " AUTHZ_COLS " FROM authz_requests "
	  "WHERE id = $1 AND expires_at > $2"),
	S(ST_AUTHZ_DELETE, "DELETE FROM authz_requests WHERE id = $1"),

	S(ST_CODE_INSERT,
	  "INSERT INTO auth_codes (" CODE_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"),
	/* Check and spend in one statement: of two racing exchanges of
	 * one code, only one matches used_at IS NULL. */
	S(ST_CODE_CONSUME,
	  "UPDATE auth_codes SET used_at = $2 "
	  "WHERE hash = $1 AND used_at IS NULL AND expires_at > $2 "
	  "RETURNING " CODE_COLS),
	/* Why a consume matched nothing. */
	S(ST_CODE_STATE,
	  "SELECT " CODE_COLS ", used_at FROM auth_codes WHERE hash = $1"),

	S(ST_TOKEN_INSERT,
	  "INSERT INTO oauth_tokens (" TOKEN_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"),
	S(ST_TOKEN_GET,
	  "SELECT " TOKEN_COLS " FROM oauth_tokens "
	  "WHERE hash = $1 AND revoked_at IS NULL AND used_at IS NULL "
	  "AND expires_at > $2"),
	S(ST_TOKEN_USE_REFRESH,
	  "UPDATE oauth_tokens SET used_at = $2 "
	  "WHERE hash = $1 AND kind = 2 AND used_at IS NULL "
	  "AND revoked_at IS NULL AND expires_at > $2 "
	  "RETURNING " TOKEN_COLS),
	/* Why a use matched nothing. */
	S(ST_TOKEN_STATE,
	  "SELECT " TOKEN_COLS ", used_at, revoked_at FROM oauth_tokens "
	  "WHERE hash = $1"),
	/* revoked_at = 0: revoked, at a time the API does not pass. */
	S(ST_TOKEN_REVOKE,
	  "UPDATE oauth_tokens SET revoked_at = 0 "
	  "WHERE hash = $1 AND revoked_at IS NULL"),
	S(ST_TOKEN_REVOKE_FAMILY,
	  "UPDATE oauth_tokens SET revoked_at = 0 "
	  "WHERE family = $1 AND revoked_at IS NULL"),
	S(ST_TOKEN_REVOKE_GRANT,
	  "UPDATE oauth_tokens SET revoked_at = 0 "
	  "WHERE user_id = $1 AND client_id = $2 AND revoked_at IS NULL"),
	S(ST_TOKEN_REVOKE_SID,
	  "UPDATE oauth_tokens SET revoked_at = 0 "
	  "WHERE sid = $1 AND revoked_at IS NULL"),

	/* grant_touch: lock the row (when there is one) for the merge... */
	S(ST_GRANT_LOCK,
	  "SELECT scope FROM grants WHERE user_id = $1 AND client_id = $2 "
	  "FOR UPDATE"),
	/* ... or create it; a racing creator waits, then inserts nothing
	 * and locks the winner's row instead. */
	S(ST_GRANT_INSERT,
	  "INSERT INTO grants (user_id, client_id, scope, first_at, last_at) "
	  "VALUES ($1, $2, $3, $4, $4) "
	  "ON CONFLICT (user_id, client_id) DO NOTHING"),
	S(ST_GRANT_UPDATE,
	  "UPDATE grants SET scope = $3, last_at = $4 "
	  "WHERE user_id = $1 AND client_id = $2"),
	S(ST_GRANT_GET,
	  "SELECT " GRANT_COLS " FROM grants g "
	  "JOIN clients c ON c.client_id = g.client_id "
	  "WHERE g.user_id = $1 AND g.client_id = $2"),
	S(ST_GRANT_LIST,
	  "SELECT " GRANT_COLS " FROM grants g "
	  "JOIN clients c ON c.client_id = g.client_id "
	  "WHERE g.user_id = $1 ORDER BY g.last_at DESC, c.name COLLATE \"C\""),
	S(ST_GRANT_DELETE,
	  "DELETE FROM grants WHERE user_id = $1 AND client_id = $2"),

	S(ST_GC_SESSIONS, "DELETE FROM sessions WHERE expires_at <= $1"),
	S(ST_GC_ONETIME, "DELETE FROM onetime WHERE expires_at <= $1"),
	S(ST_GC_THROTTLE, "DELETE FROM throttle WHERE expires_at <= $1"),
	S(ST_GC_AUTHZ, "DELETE FROM authz_requests WHERE expires_at <= $1"),
	S(ST_GC_CODES, "DELETE FROM auth_codes WHERE expires_at <= $1"),
	S(ST_GC_TOKENS, "DELETE FROM oauth_tokens WHERE expires_at <= $1"),

	S(ST_PROFILE_INSERT,
	  "INSERT INTO profiles (email, email_canon, name, company, type, "
	  "issuer, subject, associated_at, created_at) "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id"),
	S(ST_PROFILE_GET,
	  "SELECT " PROFILE_COLS " FROM profiles WHERE id = $1"),
	/* The unique index (email_canon, name, company, type) serves it. */
	S(ST_PROFILE_BY_EMAIL,
	  "SELECT " PROFILE_COLS " FROM profiles WHERE email_canon = $1 "
	  "ORDER BY id"),
	S(ST_PROFILE_BY_IDENTITY,
	  "SELECT " PROFILE_COLS " FROM profiles "
	  "WHERE issuer = $1 AND subject = $2 ORDER BY id"),
	S(ST_PROFILE_LIST,
	  "SELECT " PROFILE_COLS " FROM profiles ORDER BY id"),
	/* Locked: a racing associate waits, then reads what this wrote. */
	S(ST_PROFILE_IDENTITY,
	  "SELECT issuer, subject FROM profiles WHERE id = $1 "
	  "FOR NO KEY UPDATE"),
	S(ST_PROFILE_ASSOCIATE,
	  "UPDATE profiles SET issuer = $2, subject = $3, associated_at = $4 "
	  "WHERE id = $1"),

	S(ST_ASSOC_LOCK_PROFILE,
	  "SELECT id FROM profiles WHERE id = $1 FOR NO KEY UPDATE"),
	/* used_at = 0 marks a link spent by a newer one rather than used. */
	S(ST_ASSOC_REVOKE,
	  "UPDATE assoc_links SET used_at = 0 WHERE issuer = $1 "
	  "AND subject = $2 AND profile_id = $3 AND used_at IS NULL"),
	S(ST_ASSOC_INSERT,
	  "INSERT INTO assoc_links (" ASSOC_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
	S(ST_ASSOC_STATE,
	  "SELECT " ASSOC_COLS ", used_at FROM assoc_links WHERE hash = $1"),
	S(ST_ASSOC_BY_CODE,
	  "SELECT " ASSOC_COLS " FROM assoc_links "
	  "WHERE code_hash = $3 AND issuer = $1 AND subject = $2 "
	  "AND used_at IS NULL AND expires_at > $4 "
	  "ORDER BY created_at DESC, seq DESC LIMIT 1"),
	/* Check and spend in one statement: of two racing confirmations
	 * of one link, only one matches used_at IS NULL. */
	S(ST_ASSOC_CONSUME,
	  "UPDATE assoc_links SET used_at = $2 "
	  "WHERE hash = $1 AND used_at IS NULL AND expires_at > $2"),

	S(ST_BIZ_SESSION_INSERT,
	  "INSERT INTO biz_sessions (" BIZ_SESSION_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
	S(ST_BIZ_SESSION_GET,
	  "SELECT " BIZ_SESSION_COLS " FROM biz_sessions "
	  "WHERE hash = $1 AND expires_at > $2"),
	S(ST_BIZ_SESSION_SET_PROFILE,
	  "UPDATE biz_sessions SET profile_id = $2 WHERE hash = $1"),
	S(ST_BIZ_SESSION_DELETE, "DELETE FROM biz_sessions WHERE hash = $1"),

	S(ST_BIZ_LOGIN_INSERT,
	  "INSERT INTO biz_logins (" BIZ_LOGIN_COLS ") "
	  "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"),
	/* Read and delete in one statement: a state is taken once (a
	 * racing take waits for the row lock, then finds it gone). */
	S(ST_BIZ_LOGIN_TAKE,
	  "DELETE FROM biz_logins WHERE state_hash = $1 AND expires_at > $2 "
	  "RETURNING " BIZ_LOGIN_COLS),

	S(ST_PORTAL_CLIENT_GET,
	  "SELECT " PORTAL_CLIENT_COLS " FROM portal_clients "
	  "WHERE portal = $1 AND issuer = $2"),
	S(ST_PORTAL_CLIENT_INSERT,
	  "INSERT INTO portal_clients (" PORTAL_CLIENT_COLS ") "
	  "VALUES ($1, $2, $3, $4)"),

	S(ST_GC_BIZ_SESSIONS,
	  "DELETE FROM biz_sessions WHERE expires_at <= $1"),
	S(ST_GC_BIZ_LOGINS, "DELETE FROM biz_logins WHERE expires_at <= $1"),
	S(ST_GC_ASSOC_LINKS,
	  "DELETE FROM assoc_links "
	  "WHERE expires_at <= $1 OR used_at IS NOT NULL"),
};

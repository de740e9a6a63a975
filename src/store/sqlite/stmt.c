/*
 * stmt.c - every SQL statement the SQLite backend runs, keyed by enum
 * sq_stmt (db.h). Each connection prepares a statement the first time it
 * needs it and keeps it for its life (db.c).
 *
 * All values are bound parameters (?N); no statement is ever assembled
 * from strings at run time. Column lists shared by a reader function are
 * macros so the SELECT and the reader cannot drift apart. Time is always
 * passed in by the caller; no statement reads SQLite's clock.
 */
#include "store/sqlite/db.h"

#define USER_COLS                                                             \
	"id, sub, email, email_canon, pw_hash, email_verified, disabled, "     \
	"needs_reset, failed_logins, last_failed_at, created_at"
#define SESSION_COLS                                                          \
	"hash, user_id, created_at, last_seen_at, expires_at, auth_time, "     \
	"persistent, ip, user_agent"
#define ONETIME_COLS "hash, kind, user_id, data, created_at, expires_at"
#define OUTBOX_COLS                                                           \
	"id, message_id, mail_from, rcpt, subject, status, attempts, "         \
	"created_at, next_attempt_at, sent_at, last_error"

#define S(id, sql) [id] = { #id, sql }

const struct sq_stmt_def sq_stmts[ST__COUNT] = {
	/* IMMEDIATE: take the write lock now, so a reader never has to
	 * upgrade (which fails at once with SQLITE_BUSY under WAL). */
	S(ST_BEGIN, "BEGIN IMMEDIATE"),
	S(ST_COMMIT, "COMMIT"),
	S(ST_ROLLBACK, "ROLLBACK"),
	S(ST_SCHEMA_VERSION,
	  "SELECT coalesce(max(version), 0) FROM schema_version"),
	S(ST_SCHEMA_INSERT, "INSERT INTO schema_version (version) VALUES (?1)"),

	S(ST_USER_INSERT,
	  "INSERT INTO users (sub, email, email_canon, pw_hash, "
	  "email_verified, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
	S(ST_USER_BY_EMAIL,
	  "SELECT " USER_COLS " FROM users WHERE email_canon = ?1"),
	S(ST_USER_BY_ID, "SELECT " USER_COLS " FROM users WHERE id = ?1"),
	S(ST_USER_SET_PASSWORD, "UPDATE users SET pw_hash = ?2 WHERE id = ?1"),
	S(ST_USER_SET_EMAIL,
	  "UPDATE users SET email = ?2, email_canon = ?3, email_verified = 1 "
	  "WHERE id = ?1"),
	S(ST_USER_SET_VERIFIED,
	  "UPDATE users SET email_verified = 1 WHERE id = ?1"),
	S(ST_USER_SET_DISABLED, "UPDATE users SET disabled = ?2 WHERE id = ?1"),
	/* One statement, so concurrent failures never lose a count. */
	S(ST_USER_NOTE_FAILURE,
	  "UPDATE users SET failed_logins = failed_logins + 1, "
	  "last_failed_at = ?2, "
	  "needs_reset = CASE WHEN failed_logins + 1 >= ?3 THEN 1 "
	  "ELSE needs_reset END WHERE id = ?1 RETURNING failed_logins"),
	S(ST_USER_CLEAR_FAILURES,
	  "UPDATE users SET failed_logins = 0, needs_reset = 0 WHERE id = ?1"),
	S(ST_USER_DELETE, "DELETE FROM users WHERE id = ?1"),
	S(ST_USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY id"),

	S(ST_SESSION_INSERT,
	  "INSERT INTO sessions (" SESSION_COLS ") "
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
	S(ST_SESSION_GET,
	  "SELECT " SESSION_COLS " FROM sessions "
	  "WHERE hash = ?1 AND expires_at > ?2"),
	S(ST_SESSION_TOUCH,
	  "UPDATE sessions SET last_seen_at = ?2 "
	  "WHERE hash = ?1 AND expires_at > ?2"),
	S(ST_SESSION_DELETE, "DELETE FROM sessions WHERE hash = ?1"),
	S(ST_SESSION_DELETE_USER, "DELETE FROM sessions WHERE user_id = ?1"),
	S(ST_SESSION_DELETE_USER_EXCEPT,
	  "DELETE FROM sessions WHERE user_id = ?1 AND hash <> ?2"),
	S(ST_SESSION_LIST_USER,
	  "SELECT " SESSION_COLS " FROM sessions "
	  "WHERE user_id = ?1 AND expires_at > ?2 "
	  "ORDER BY created_at DESC, last_seen_at DESC, hash"),

	S(ST_ONETIME_INSERT,
	  "INSERT INTO onetime (" ONETIME_COLS ") "
	  "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
	/* Check and spend in one statement: two racing callers cannot both
	 * see used_at IS NULL. */
	S(ST_ONETIME_CONSUME,
	  "UPDATE onetime SET used_at = ?3 "
	  "WHERE hash = ?1 AND kind = ?2 AND used_at IS NULL "
	  "AND expires_at > ?3 RETURNING " ONETIME_COLS),
	S(ST_ONETIME_KIND_EXISTS,
	  "SELECT 1 FROM onetime WHERE hash = ?1 AND kind = ?2"),
	S(ST_ONETIME_PEEK,
	  "SELECT " ONETIME_COLS ", used_at FROM onetime "
	  "WHERE hash = ?1 AND kind = ?2"),
	/* used_at = 0 marks a token spent by revocation rather than use. */
	S(ST_ONETIME_REVOKE_USER,
	  "UPDATE onetime SET used_at = 0 "
	  "WHERE user_id = ?1 AND kind = ?2 AND used_at IS NULL"),

	/* A fixed window that opens at the first event: a hit after the
	 * window has passed starts a new one at count 1. */
	S(ST_THROTTLE_HIT,
	  "INSERT INTO throttle (key, count, window_start, expires_at) "
	  "VALUES (?1, 1, ?2, ?2 + ?3) ON CONFLICT (key) DO UPDATE SET "
	  "count = CASE WHEN throttle.window_start + ?3 <= ?2 THEN 1 "
	  "ELSE throttle.count + 1 END, "
	  "window_start = CASE WHEN throttle.window_start + ?3 <= ?2 THEN ?2 "
	  "ELSE throttle.window_start END, "
	  "expires_at = CASE WHEN throttle.window_start + ?3 <= ?2 "
	  "THEN ?2 + ?3 ELSE throttle.window_start + ?3 END "
	  "RETURNING count"),
	S(ST_THROTTLE_GET,
	  "SELECT count FROM throttle WHERE key = ?1 "
	  "AND window_start + ?3 > ?2"),
	S(ST_THROTTLE_CLEAR, "DELETE FROM throttle WHERE key = ?1"),

	S(ST_OUTBOX_INSERT,
	  "INSERT INTO outbox (message_id, mail_from, rcpt, subject, body, "
	  "status, attempts, created_at, next_attempt_at, sent_at) "
	  "VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, ?6, 0)"),
	S(ST_OUTBOX_CLAIM_SELECT,
	  "SELECT " OUTBOX_COLS ", body FROM outbox "
	  "WHERE status = 0 AND next_attempt_at <= ?1 "
	  "AND (claimed_until IS NULL OR claimed_until < ?1) "
	  "ORDER BY id LIMIT ?2"),
	S(ST_OUTBOX_CLAIM_UPDATE,
	  "UPDATE outbox SET claimed_until = ?2, attempts = attempts + 1 "
	  "WHERE id = ?1"),
	S(ST_OUTBOX_MARK_SENT,
	  "UPDATE outbox SET status = 1, sent_at = ?2, claimed_until = NULL "
	  "WHERE id = ?1"),
	S(ST_OUTBOX_MARK_RETRY,
	  "UPDATE outbox SET next_attempt_at = ?2, last_error = ?3, "
	  "claimed_until = NULL WHERE id = ?1"),
	S(ST_OUTBOX_MARK_FAILED,
	  "UPDATE outbox SET status = 2, last_error = ?2, "
	  "claimed_until = NULL WHERE id = ?1"),
	S(ST_OUTBOX_LIST,
	  "SELECT " OUTBOX_COLS " FROM outbox "
	  "WHERE ?1 < 0 OR status = ?1 ORDER BY id"),
	S(ST_OUTBOX_GET,
	  "SELECT " OUTBOX_COLS ", body FROM outbox WHERE id = ?1"),
	S(ST_OUTBOX_COUNT, "SELECT count(*) FROM outbox WHERE status = ?1"),

	S(ST_AUDIT_INSERT,
	  "INSERT INTO audit (at, event, user_id, ip, detail) "
	  "VALUES (?1, ?2, ?3, ?4, ?5)"),
	S(ST_AUDIT_LIST,
	  "SELECT id, at, event, user_id, ip, detail FROM audit ORDER BY id"),

	/* The first writer wins; everyone then reads the stored value. */
	S(ST_SECRET_INSERT,
	  "INSERT INTO secrets (name, value) VALUES (?1, ?2) "
	  "ON CONFLICT (name) DO NOTHING"),
	S(ST_SECRET_GET, "SELECT value FROM secrets WHERE name = ?1"),

	S(ST_GC_SESSIONS, "DELETE FROM sessions WHERE expires_at <= ?1"),
	S(ST_GC_ONETIME, "DELETE FROM onetime WHERE expires_at <= ?1"),
	S(ST_GC_THROTTLE, "DELETE FROM throttle WHERE expires_at <= ?1"),
};

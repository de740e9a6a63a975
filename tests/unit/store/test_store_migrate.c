/*
 * test_store_migrate.c - the SQLite backend opening databases made by
 * older binaries: a database at schema version 1 (before the OpenID
 * Connect provider's tables) is migrated in place to the current version,
 * keeping every row, and ends up with exactly the schema of a new one.
 *
 * This is specific to SQLite (it builds the old file with sqlite3
 * directly); the backend-neutral suites are test_store.c and
 * test_store_oidc.c.
 */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/log.h"
#include "conformance.h"

/*
 * The schema as migration 1 created it, frozen: databases in the field
 * have exactly this. (The check below that a migrated database ends up
 * with the same schema as a new one also proves this copy faithful.)
 */
static const char v1_schema[] =
	"CREATE TABLE IF NOT EXISTS schema_version ("
	" version INTEGER PRIMARY KEY);"
	"INSERT INTO schema_version (version) VALUES (1);"
	"CREATE TABLE users ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" sub TEXT NOT NULL UNIQUE,"
	" email TEXT NOT NULL,"
	" email_canon TEXT NOT NULL UNIQUE,"
	" pw_hash TEXT NOT NULL,"
	" email_verified INTEGER NOT NULL DEFAULT 0,"
	" disabled INTEGER NOT NULL DEFAULT 0,"
	" needs_reset INTEGER NOT NULL DEFAULT 0,"
	" failed_logins INTEGER NOT NULL DEFAULT 0,"
	" last_failed_at INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE sessions ("
	" hash TEXT PRIMARY KEY,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" created_at INTEGER NOT NULL,"
	" last_seen_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" auth_time INTEGER NOT NULL,"
	" persistent INTEGER NOT NULL DEFAULT 0,"
	" ip TEXT,"
	" user_agent TEXT);"
	"CREATE INDEX sessions_user ON sessions (user_id);"
	"CREATE INDEX sessions_expires ON sessions (expires_at);"
	"CREATE TABLE onetime ("
	" hash TEXT PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" data TEXT,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER);"
	"CREATE INDEX onetime_user_kind ON onetime (user_id, kind);"
	"CREATE INDEX onetime_expires ON onetime (expires_at);"
	"CREATE TABLE throttle ("
	" key TEXT PRIMARY KEY,"
	" count INTEGER NOT NULL,"
	" window_start INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX throttle_expires ON throttle (expires_at);"
	"CREATE TABLE outbox ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" message_id TEXT NOT NULL UNIQUE,"
	" mail_from TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" body BLOB NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL,"
	" next_attempt_at INTEGER NOT NULL,"
	" claimed_until INTEGER,"
	" sent_at INTEGER NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox (status, next_attempt_at);"
	"CREATE TABLE audit ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" at INTEGER NOT NULL,"
	" event TEXT NOT NULL,"
	" user_id INTEGER NOT NULL DEFAULT 0,"
	" ip TEXT,"
	" detail TEXT);"
	"CREATE INDEX audit_user ON audit (user_id);"
	"CREATE TABLE secrets ("
	" name TEXT PRIMARY KEY,"
	" value BLOB NOT NULL);";

/* What a version-1 binary had stored; the hashes are token_hash() of
 * "v1-session" and "v1-reset". */
static const char v1_rows[] =
	"INSERT INTO users (sub, email, email_canon, pw_hash, created_at) "
	"VALUES ('sub-old', 'Old@Example.COM', 'old@example.com', "
	"'$argon2id$old', 10);"
	"INSERT INTO sessions (hash, user_id, created_at, last_seen_at, "
	"expires_at, auth_time, persistent, ip, user_agent) "
	"VALUES (?1, 1, 10, 10, 5000, 10, 1, '192.0.2.1', 'old-agent');"
	"INSERT INTO onetime (hash, kind, user_id, data, created_at, "
	"expires_at) VALUES (?2, 2, 1, NULL, 10, 5000);"
	"INSERT INTO outbox (message_id, mail_from, rcpt, subject, body, "
	"created_at, next_attempt_at) VALUES ('<m1@example.com>', "
	"'a@example.com', 'b@example.com', 'old mail', x'414243', 10, 10);"
	"INSERT INTO audit (at, event, user_id) VALUES (10, 'signin.ok', 1);"
	"INSERT INTO secrets (name, value) VALUES ('csrf', zeroblob(32));";

/* Runs sql (several statements); ?1 and ?2 of the first statement that
 * has them are bound to a and b. Returns false on any error. */
static bool
exec_bound(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s;
	const char *tail = sql;
	int rc;

	while (*tail != '\0') {
		if (sqlite3_prepare_v2(db, tail, -1, &s, &tail) != SQLITE_OK)
			return false;
		if (s == NULL)
			break;
		if (sqlite3_bind_parameter_count(s) >= 1)
			sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
		if (sqlite3_bind_parameter_count(s) >= 2)
			sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return false;
	}
	return true;
}

static bool
make_v1(const char *path, const char *session_hash, const char *reset_hash)
{
	sqlite3 *db = NULL;
	bool ok_;

	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return false;
	}
	ok_ = sqlite3_exec(db, v1_schema, NULL, NULL, NULL) == SQLITE_OK &&
	      exec_bound(db, v1_rows, session_hash, reset_hash);
	sqlite3_close(db);
	return ok_;
}

/* The schema of the database at path, as one string (caller xfrees). */
static char *
schema_of(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char *out = xstrdup(""), *next;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(db,
			       "SELECT type, name, tbl_name, "
			       "coalesce(sql, '') FROM sqlite_master "
			       "ORDER BY type, name",
			       -1, &s, NULL) != SQLITE_OK)
		goto out;
	while (sqlite3_step(s) == SQLITE_ROW) {
		next = xasprintf("%s%s %s %s %s\n", out,
				 sqlite3_column_text(s, 0),
				 sqlite3_column_text(s, 1),
				 sqlite3_column_text(s, 2),
				 sqlite3_column_text(s, 3));
		xfree(out);
		out = next;
	}
out:
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

static int
count_audit(const struct audit_event *ev, void *arg)
{
	(void)ev;
	(*(int *)arg)++;
	return 0;
}

static void
t_migrate_v1(const char *dir)
{
	char shash[TOKEN_HASH_LEN + 1], rhash[TOKEN_HASH_LEN + 1];
	unsigned char secret[32];
	char *path, *fresh_path, *migrated, *fresh;
	struct store *st = NULL, *st2 = NULL;
	struct session s;
	struct onetime t;
	struct outbox_msg m;
	struct user u;
	int version = 0, n = 0;

	subtest("MigrateFromV1");
	mkhash("v1-session", shash);
	mkhash("v1-reset", rhash);
	path = xasprintf("%s/v1.db", dir);
	if (!ok(make_v1(path, shash, rhash), "build a version-1 database")) {
		xfree(path);
		return;
	}
	if (!is_int(sqlite_open_path(path, &st), OP_OK,
		    "open it with this binary")) {
		xfree(path);
		return;
	}
	is_int(store_schema_version(st, &version), OP_OK, "schema version");
	is_int(version, 2, "migrated to version 2");

	is_int(store_user_by_email(st, "old@example.com", &u), OP_OK,
	       "old user kept");
	is_str(u.email, "Old@Example.COM", "with its address");
	is_str(u.pw_hash, "$argon2id$old", "and password hash");
	user_release(&u);
	is_int(store_session_get(st, shash, 100, &s), OP_OK,
	       "old session kept");
	is_str(s.sid, "", "an old session has no sid (NULL reads as \"\")");
	is_str(s.user_agent, "old-agent", "its columns intact");
	ok(s.persistent, "persistent kept");
	session_release(&s);
	is_int(store_onetime_consume(st, ONETIME_RESET, rhash, 100, &t), OP_OK,
	       "old one-time token still consumable");
	onetime_release(&t);
	is_int(store_outbox_get(st, 1, &m), OP_OK, "old mail kept");
	is_str(m.body, "ABC", "with its body");
	outbox_msg_release(&m);
	store_audit_list(st, count_audit, &n);
	is_int(n, 1, "old audit row kept");
	is_int(store_secret(st, "csrf", secret), OP_OK, "old secret kept");
	ok(is_zero(secret, sizeof(secret)), "with its value");

	is_int(mkclient(st, "client-a", "A", 100), OP_OK,
	       "new tables usable after the migration");
	is_int(mkcode(st, "code", "client-a", 1, 500), OP_OK,
	       "a code for the old user");
	is_int(store_grant_touch(st, 1, "client-a", "openid", 100), OP_OK,
	       "a grant for the old user");
	store_close(st);

	is_int(sqlite_open_path(path, &st), OP_OK, "open it again");
	version = 0;
	store_schema_version(st, &version);
	is_int(version, 2, "still version 2: nothing re-applied");
	is_int(consume_code(st, "code", 100), OP_OK, "data kept");
	store_close(st);

	fresh_path = xasprintf("%s/fresh-v2.db", dir);
	if (sqlite_open_path(fresh_path, &st2) == OP_OK)
		store_close(st2);
	migrated = schema_of(path);
	fresh = schema_of(fresh_path);
	ok(strstr(fresh, "auth_codes") != NULL, "read the schemas");
	is_str(migrated, fresh,
	       "a migrated database has the schema of a new one");
	xfree(migrated);
	xfree(fresh);
	xfree(fresh_path);
	xfree(path);
}

int
main(void)
{
	char *dir;

	/* Backends log only real failures: let them show. */
	log_set_level(LOG_WARN);
	dir = tap_tmpdir();
	t_migrate_v1(dir);
	tap_rmdir(dir);
	xfree(dir);
	return done_testing();
}

/*
 * test_store_migrate.c - the SQLite backend opening databases made by
 * older binaries: a database at schema version 1 (before the OpenID
 * Connect provider's tables) and one at version 2 (before the business
 * site's) are each migrated in place to the current version, keeping
 * every row, and end up with exactly the schema of a new one. It also
 * checks that the business site's lookups are served by an index.
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

/* The schema version this binary migrates to. */
#define LATEST 3

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

/*
 * Migration 2 as released, frozen: applied on top of v1_schema it gives
 * the databases a version-2 binary made.
 */
static const char v2_migration[] =
	"CREATE TABLE clients ("
	" client_id TEXT PRIMARY KEY,"
	" secret_hash TEXT,"
	" name TEXT NOT NULL UNIQUE,"
	" redirect_uris TEXT NOT NULL,"
	" post_logout_uris TEXT NOT NULL DEFAULT '',"
	" first_party INTEGER NOT NULL DEFAULT 0,"
	" id_token_alg TEXT NOT NULL,"
	" created_at INTEGER NOT NULL);"
	"CREATE TABLE signing_keys ("
	" kid TEXT PRIMARY KEY,"
	" alg TEXT NOT NULL,"
	" private_key TEXT NOT NULL,"
	" public_jwk TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" retired_at INTEGER);"
	"CREATE TABLE authz_requests ("
	" id TEXT PRIMARY KEY,"
	" params TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX authz_requests_expires ON authz_requests (expires_at);"
	"CREATE TABLE auth_codes ("
	" hash TEXT PRIMARY KEY,"
	" client_id TEXT NOT NULL"
	"  REFERENCES clients (client_id) ON DELETE CASCADE,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" redirect_uri TEXT NOT NULL,"
	" scope TEXT NOT NULL,"
	" nonce TEXT,"
	" code_challenge TEXT,"
	" sid TEXT,"
	" auth_time INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER);"
	"CREATE INDEX auth_codes_client ON auth_codes (client_id);"
	"CREATE INDEX auth_codes_user ON auth_codes (user_id);"
	"CREATE INDEX auth_codes_expires ON auth_codes (expires_at);"
	"CREATE TABLE oauth_tokens ("
	" hash TEXT PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" client_id TEXT NOT NULL"
	"  REFERENCES clients (client_id) ON DELETE CASCADE,"
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" scope TEXT NOT NULL,"
	" family TEXT NOT NULL,"
	" sid TEXT,"
	" auth_time INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER,"
	" revoked_at INTEGER);"
	"CREATE INDEX oauth_tokens_family ON oauth_tokens (family);"
	"CREATE INDEX oauth_tokens_grant ON oauth_tokens (user_id, client_id);"
	"CREATE INDEX oauth_tokens_sid ON oauth_tokens (sid);"
	"CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);"
	"CREATE INDEX oauth_tokens_expires ON oauth_tokens (expires_at);"
	"CREATE TABLE grants ("
	" user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" client_id TEXT NOT NULL"
	"  REFERENCES clients (client_id) ON DELETE CASCADE,"
	" scope TEXT NOT NULL,"
	" first_at INTEGER NOT NULL,"
	" last_at INTEGER NOT NULL,"
	" PRIMARY KEY (user_id, client_id));"
	"CREATE INDEX grants_client ON grants (client_id);"
	"ALTER TABLE sessions ADD COLUMN sid TEXT;"
	"INSERT INTO schema_version (version) VALUES (2);";

/* What a version-2 binary had stored on top of the version-1 rows; ?1 is
 * the hash of the code "v2-code". */
static const char v2_rows[] =
	"INSERT INTO clients (client_id, name, redirect_uris, id_token_alg, "
	"created_at) VALUES ('client-old', 'Old', 'https://rp.example.com/cb', "
	"'RS256', 10);"
	"INSERT INTO auth_codes (hash, client_id, user_id, redirect_uri, "
	"scope, auth_time, created_at, expires_at) VALUES (?1, 'client-old', "
	"1, 'https://rp.example.com/cb', 'openid', 10, 10, 5000);"
	"INSERT INTO grants (user_id, client_id, scope, first_at, last_at) "
	"VALUES (1, 'client-old', 'openid email', 10, 20);";

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

static bool
make_v2(const char *path, const char *session_hash, const char *reset_hash,
	const char *code_hash)
{
	sqlite3 *db = NULL;
	bool ok_;

	if (!make_v1(path, session_hash, reset_hash))
		return false;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return false;
	}
	ok_ = sqlite3_exec(db, v2_migration, NULL, NULL, NULL) == SQLITE_OK &&
	      exec_bound(db, v2_rows, code_hash, NULL);
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
	is_int(version, LATEST, "migrated to the latest version");

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
	is_int(version, LATEST, "still the latest: nothing re-applied");
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

static int
count_profile(const struct profile *p, void *arg)
{
	(void)p;
	(*(int *)arg)++;
	return 0;
}

static void
t_migrate_v2(const char *dir)
{
	char shash[TOKEN_HASH_LEN + 1], rhash[TOKEN_HASH_LEN + 1];
	char chash[TOKEN_HASH_LEN + 1], lhash[TOKEN_HASH_LEN + 1];
	char *path, *fresh_path, *migrated, *fresh, *pi, *ps;
	struct profile p = { 0 };
	struct assoc_link l = { 0 };
	struct store *st = NULL, *st2 = NULL;
	struct session s;
	struct grant g;
	int version = 0, n = 0;

	subtest("MigrateFromV2");
	mkhash("v1-session", shash);
	mkhash("v1-reset", rhash);
	mkhash("v2-code", chash);
	path = xasprintf("%s/v2.db", dir);
	if (!ok(make_v2(path, shash, rhash, chash),
		"build a version-2 database")) {
		xfree(path);
		return;
	}
	if (!is_int(sqlite_open_path(path, &st), OP_OK,
		    "open it with this binary")) {
		xfree(path);
		return;
	}
	is_int(store_schema_version(st, &version), OP_OK, "schema version");
	is_int(version, LATEST, "migrated to the latest version");
	is_int(store_session_get(st, shash, 100, &s), OP_OK,
	       "version-1 session kept");
	session_release(&s);
	is_int(store_grant_get(st, 1, "client-old", &g), OP_OK,
	       "version-2 grant kept");
	is_str(g.scope, "openid email", "with its scope");
	grant_release(&g);
	is_int(consume_code(st, "v2-code", 100), OP_OK,
	       "version-2 code still consumable");

	p.email = (char *)"Old@Example.COM";
	p.name = (char *)"Old Timer";
	p.company = (char *)"Contoso";
	p.type = PROFILE_PARTNER;
	p.created_at = 100;
	is_int(store_profile_create(st, &p), OP_OK,
	       "the profile directory is usable after the migration");
	is_int(store_profile_associate(st, p.id, "https://id.example.com",
				       "sub-old", 200, &pi, &ps),
	       OP_OK, "associate it");
	mkhash("v3-link", lhash);
	memcpy(l.hash, lhash, sizeof(l.hash));
	mkhash("v3-code", l.code_hash);
	l.profile_id = p.id;
	l.issuer = (char *)"https://id.example.com";
	l.subject = (char *)"sub-old";
	l.portal = (char *)"partnersource";
	l.created_at = 100;
	l.expires_at = 5000;
	is_int(store_assoc_link_create(st, &l), OP_OK, "links too");
	store_close(st);

	is_int(sqlite_open_path(path, &st), OP_OK, "open it again");
	version = 0;
	store_schema_version(st, &version);
	is_int(version, LATEST, "nothing re-applied");
	store_profile_by_email(st, "old@example.com", count_profile, &n);
	is_int(n, 1, "the profile was kept");
	is_int(store_assoc_link_consume(st, lhash, 200), OP_OK,
	       "and the link");
	store_close(st);

	fresh_path = xasprintf("%s/fresh-latest.db", dir);
	if (sqlite_open_path(fresh_path, &st2) == OP_OK)
		store_close(st2);
	migrated = schema_of(path);
	fresh = schema_of(fresh_path);
	ok(strstr(fresh, "assoc_links") != NULL, "read the schemas");
	is_str(migrated, fresh,
	       "a migrated database has the schema of a new one");
	xfree(migrated);
	xfree(fresh);
	xfree(fresh_path);
	xfree(path);
}

/* The query plan SQLite picks for sql, details separated by "; "
 * (caller xfrees). */
static char *
plan_of(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s = NULL;
	char *q = xasprintf("EXPLAIN QUERY PLAN %s", sql), *out, *next;

	out = xstrdup("");
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) == SQLITE_OK) {
		while (sqlite3_step(s) == SQLITE_ROW) {
			next = xasprintf("%s%s; ", out,
					 sqlite3_column_text(s, 3));
			xfree(out);
			out = next;
		}
	}
	sqlite3_finalize(s);
	xfree(q);
	return out;
}

static void
t_business_indexes(const char *dir)
{
	static const struct {
		const char *sql, *index, *what;
	} cases[] = {
		{ "SELECT * FROM profiles WHERE email_canon = ?1 ORDER BY id",
		  "profiles_key", "profiles by address" },
		{ "SELECT * FROM profiles WHERE issuer = ?1 AND subject = ?2",
		  "profiles_identity", "profiles by identity" },
		{ "SELECT * FROM assoc_links WHERE code_hash = ?3 AND "
		  "issuer = ?1 AND subject = ?2 AND used_at IS NULL",
		  "assoc_links_identity", "links by code" },
		{ "UPDATE assoc_links SET used_at = 0 WHERE issuer = ?1 AND "
		  "subject = ?2 AND profile_id = ?3 AND used_at IS NULL",
		  "assoc_links_identity", "links revoked by a newer one" },
		{ "DELETE FROM biz_sessions WHERE expires_at <= ?1",
		  "biz_sessions_expires", "business sessions collected" },
		{ "DELETE FROM biz_logins WHERE expires_at <= ?1",
		  "biz_logins_expires", "pending sign-ins collected" },
	};
	struct store *st = NULL;
	sqlite3 *db = NULL;
	char *path, *plan;
	size_t i;

	subtest("BusinessIndexes");
	path = xasprintf("%s/plans.db", dir);
	if (sqlite_open_path(path, &st) == OP_OK)
		store_close(st);
	if (!ok(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
			SQLITE_OK,
		"open a new database")) {
		sqlite3_close(db);
		xfree(path);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		plan = plan_of(db, cases[i].sql);
		ok(strstr(plan, cases[i].index) != NULL, "%s use %s (%s)",
		   cases[i].what, cases[i].index, plan);
		xfree(plan);
	}
	sqlite3_close(db);
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
	t_migrate_v2(dir);
	t_business_indexes(dir);
	tap_rmdir(dir);
	xfree(dir);
	return done_testing();
}

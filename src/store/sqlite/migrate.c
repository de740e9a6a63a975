/*
 * migrate.c - the SQLite schema, as an ordered list of migrations, and
 * the code that brings a database up to date at store_open().
 *
 * migrations[i] takes the schema from version i to version i + 1. The
 * list only ever grows: a released migration is never edited, a change is
 * a new entry. The SQL lives here as C strings (rather than .sql files)
 * so the binary carries its schema without a build step.
 *
 * Each applied version is a row of schema_version. All pending migrations
 * run in one BEGIN IMMEDIATE transaction, so two processes starting on
 * the same file at once serialise: the second waits (busy_timeout), then
 * finds nothing left to apply. A database newer than this binary is
 * refused rather than used.
 */
#include "store/sqlite/db.h"

static const char *const migrations[] = {
	/* 1: the initial schema. */
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
	" value BLOB NOT NULL);",

	/*
	 * 2: the OpenID Connect provider: clients, signing keys, pending
	 * authorization requests, codes, tokens and grants; the public
	 * session id. Sessions made before this migration keep sid NULL
	 * (read back as ""): they were never named in an ID token.
	 */
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

	"ALTER TABLE sessions ADD COLUMN sid TEXT;",

	/*
	 * 3: the business site: the profile directory, association links,
	 * business sessions, pending business sign-ins and the portals'
	 * client registrations. The unique index on profiles leads with
	 * email_canon, so it also serves the lookups by address; the
	 * identity index on links serves both the lookup by code (an
	 * identity has few links) and the revocation by a newer link.
	 */
	"CREATE TABLE profiles ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" email TEXT NOT NULL,"
	" email_canon TEXT NOT NULL,"
	" name TEXT NOT NULL,"
	" company TEXT NOT NULL,"
	" type INTEGER NOT NULL,"
	" issuer TEXT,"
	" subject TEXT,"
	" associated_at INTEGER NOT NULL DEFAULT 0,"
	" created_at INTEGER NOT NULL);"
	"CREATE UNIQUE INDEX profiles_key"
	" ON profiles (email_canon, name, company, type);"
	"CREATE INDEX profiles_identity ON profiles (issuer, subject);"

	"CREATE TABLE assoc_links ("
	" hash TEXT PRIMARY KEY,"
	" code_hash TEXT NOT NULL,"
	" profile_id INTEGER NOT NULL"
	"  REFERENCES profiles (id) ON DELETE CASCADE,"
	" issuer TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" portal TEXT NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL,"
	" used_at INTEGER);"
	"CREATE INDEX assoc_links_identity"
	" ON assoc_links (issuer, subject, profile_id);"
	"CREATE INDEX assoc_links_profile ON assoc_links (profile_id);"
	"CREATE INDEX assoc_links_expires ON assoc_links (expires_at);"

	"CREATE TABLE biz_sessions ("
	" hash TEXT PRIMARY KEY,"
	" issuer TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" email TEXT,"
	" id_token TEXT,"
	" profile_id INTEGER NOT NULL DEFAULT 0,"
	" auth_time INTEGER NOT NULL,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX biz_sessions_expires ON biz_sessions (expires_at);"

	"CREATE TABLE biz_logins ("
	" state_hash TEXT PRIMARY KEY,"
	" portal TEXT NOT NULL,"
	" nonce TEXT NOT NULL,"
	" verifier TEXT NOT NULL,"
	" purpose TEXT NOT NULL,"
	" link_hash TEXT,"
	" return_to TEXT,"
	" created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL);"
	"CREATE INDEX biz_logins_expires ON biz_logins (expires_at);"

	"CREATE TABLE portal_clients ("
	" portal TEXT NOT NULL,"
	" issuer TEXT NOT NULL,"
	" client_id TEXT NOT NULL,"
	" client_secret TEXT,"
	" PRIMARY KEY (portal, issuer));",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

int
sq_migrate_latest(void)
{
	return N_MIGRATIONS;
}

enum op_rc
sq_schema_version(void *h, int *version_out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_SCHEMA_VERSION, &q);
	if (rc != OP_OK)
		return rc;
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		*version_out = (int)sq_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;
	sq_query_end(&q);
	return rc;
}

static enum op_rc
mig_exec(struct sq_conn *c, const char *what, const char *sql,
	 struct op_err *err)
{
	if (sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return op_err_set(err, OP_E_STORE, "%s on '%s': %s", what,
				  c->owner->path, sqlite3_errmsg(c->db));
	return OP_OK;
}

static enum op_rc
record_version(struct sq_conn *c, int version, struct op_err *err)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(c->owner, ST_SCHEMA_INSERT, &q);
	if (rc != OP_OK)
		return op_err_set(err, rc, "cannot record schema version");
	sq_bind_int64(&q, 1, version);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	if (rc != OP_OK)
		return op_err_set(err, OP_E_STORE,
				  "cannot record schema version %d", version);
	return OP_OK;
}

enum op_rc
sq_migrate(struct sq_conn *c, int *version_out, struct op_err *err)
{
	enum op_rc rc;
	int v, version = 0;

	rc = mig_exec(c, "starting migrations", "BEGIN IMMEDIATE", err);
	if (rc != OP_OK)
		return rc;
	rc = mig_exec(c, "creating schema_version",
		      "CREATE TABLE IF NOT EXISTS schema_version ("
		      " version INTEGER PRIMARY KEY)",
		      err);
	if (rc != OP_OK)
		goto out;
	rc = sq_schema_version(c->owner, &version);
	if (rc != OP_OK) {
		rc = op_err_set(err, OP_E_STORE,
				"cannot read the schema version of '%s'",
				c->owner->path);
		goto out;
	}
	if (version > N_MIGRATIONS) {
		rc = op_err_set(err, OP_E_STORE,
				"database '%s' has schema version %d, newer "
				"than this program's %d",
				c->owner->path, version, N_MIGRATIONS);
		goto out;
	}
	for (v = version; v < N_MIGRATIONS; v++) {
		rc = mig_exec(c, "applying a migration", migrations[v], err);
		if (rc == OP_OK)
			rc = record_version(c, v + 1, err);
		if (rc != OP_OK)
			goto out;
	}
	rc = mig_exec(c, "committing migrations", "COMMIT", err);
	if (rc == OP_OK)
		*version_out = N_MIGRATIONS;
out:
	if (rc != OP_OK)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

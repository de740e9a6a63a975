/*
 * test_store_pg.c - the store conformance suite of test_store.c, run on
 * the PostgreSQL backend, plus what only PostgreSQL has: several handles
 * (nodes) on one database, concurrent first opens racing for the
 * migrations (advisory lock), the connection pool, and survival of a
 * connection the server drops.
 *
 * The suite is test_store.c itself, included with its main() renamed, so
 * both backends run exactly the same subtests. The factory (a fresh
 * schema per subtest) is in pg_factory.h. Without ONEPASS_TEST_PG_DSN it
 * reports one skipped test. OutboxRetry (store_outbox_retry, newer than
 * the shared suite) runs here on both backends, SQLite always.
 */
#define main test_store_sqlite_main
#include "test_store.c"
#undef main

#include "pg_factory.h"

/* ---- several nodes on one database ---- */

struct pg_opener {
	const char *url;
	pthread_barrier_t *barrier;
	enum op_rc rc;
	int version;
};

static void *
pg_worker_open(void *arg)
{
	struct pg_opener *o = arg;
	struct store *st = NULL;

	pthread_barrier_wait(o->barrier);
	o->rc = pg_open_url(o->url, &st);
	if (o->rc == OP_OK) {
		o->rc = store_schema_version(st, &o->version);
		store_close(st);
	}
	return NULL;
}

/* Nodes starting at once on a new database: the migrations run once,
 * under the advisory lock, and every node sees the result. */
static void
t_pg_open_concurrent(struct pg_ctx *c)
{
	struct pg_opener o[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t barrier;
	char name[64], *sql, *url;
	int i, round, failures = 0, mismatches = 0, version = 0;

	subtest("PgOpenConcurrent");
	pthread_barrier_init(&barrier, NULL, N_THREADS);
	for (round = 0; round < 5; round++) {
		snprintf(name, sizeof(name), "onepass_t%ld_race%d",
			 (long)getpid(), round);
		sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE; "
				"CREATE SCHEMA %s",
				name, name);
		pg_admin_exec(c, sql);
		xfree(sql);
		url = pg_url_for(c->dsn, name);
		for (i = 0; i < N_THREADS; i++) {
			o[i] = (struct pg_opener){ .url = url,
						   .barrier = &barrier };
			pthread_create(&th[i], NULL, pg_worker_open, &o[i]);
		}
		for (i = 0; i < N_THREADS; i++) {
			pthread_join(th[i], NULL);
			if (o[i].rc != OP_OK)
				failures++;
			else if (version == 0)
				version = o[i].version;
			else if (o[i].version != version)
				mismatches++;
		}
		xfree(url);
		sql = xasprintf("DROP SCHEMA %s CASCADE", name);
		pg_admin_exec(c, sql);
		xfree(sql);
	}
	pthread_barrier_destroy(&barrier);
	is_int(failures, 0, "5 rounds of %d simultaneous first opens",
	       N_THREADS);
	ok(version > 0, "the schema was created");
	is_int(mismatches, 0, "all see the same schema version");
}

/* Two handles are two nodes: what one writes, the other reads at once,
 * and single-use answers hold across them. */
static void
t_pg_two_nodes(struct store_factory *f, struct store *a)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct store *b = NULL;
	struct onetime t = { 0 }, got;
	struct user u;
	int64_t id;
	int n = 0;

	subtest("PgTwoNodes");
	is_int(f->open_again(f, &b), OP_OK, "second node opens");
	if (b == NULL)
		return;
	id = mkuser(a, "alice");
	is_int(store_user_by_email(b, "alice@example.com", &u), OP_OK,
	       "node b sees the user node a made");
	is_int(u.id, id, "same id");
	user_release(&u);
	mkhash("link", t.hash);
	t.kind = ONETIME_VERIFY;
	t.user_id = id;
	t.created_at = 100;
	t.expires_at = 5000;
	is_int(store_onetime_create(b, &t), OP_OK, "node b makes a token");
	mkhash("link", hash);
	is_int(store_onetime_consume(a, ONETIME_VERIFY, hash, 200, &got),
	       OP_OK, "node a spends it");
	onetime_release(&got);
	is_int(store_onetime_consume(b, ONETIME_VERIFY, hash, 200, &got),
	       OP_E_EXPIRED, "node b cannot spend it again");
	store_throttle_hit(a, "ip:192.0.2.1", 100, 60, &n);
	store_throttle_hit(b, "ip:192.0.2.1", 101, 60, &n);
	is_int(n, 2, "throttle counters are shared");
	store_close(b);
}

/* The connection pool: more threads than connections all get served,
 * and a connection the server drops is replaced without an error. */
struct pool_worker {
	struct store *st;
	int errors;
};

static void *
pg_worker_pool(void *arg)
{
	struct pool_worker *w = arg;
	struct user u;
	int i;

	for (i = 0; i < 50; i++) {
		if (store_user_by_email(w->st, "alice@example.com", &u) !=
		    OP_OK)
			w->errors++;
		user_release(&u);
	}
	return NULL;
}

static void
t_pg_pool(struct store_factory *f, struct store *st)
{
	struct pool_worker w[12];
	pthread_t th[12];
	struct pg_ctx *c = f->ctx;
	struct user u;
	char *sql;
	int i, errors = 0;

	subtest("PgPool");
	mkuser(st, "alice");
	for (i = 0; i < 12; i++) {
		w[i] = (struct pool_worker){ .st = st };
		pthread_create(&th[i], NULL, pg_worker_pool, &w[i]);
	}
	for (i = 0; i < 12; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	is_int(errors, 0, "12 threads on a pool of 4: no error");

	/* The server ends every session of this schema's store (as a
	 * restart would); the next calls get fresh connections. */
	sql = xasprintf("SELECT pg_terminate_backend(pid) FROM "
			"pg_stat_activity WHERE pid <> pg_backend_pid() "
			"AND application_name = 'onepass'");
	ok(pg_admin_exec(c, sql), "server drops the store's connections");
	xfree(sql);
	usleep(100 * 1000);
	is_int(store_user_by_email(st, "alice@example.com", &u), OP_OK,
	       "the next call works on a new connection");
	user_release(&u);
	is_int(store_begin(st), OP_OK, "a transaction after the drop");
	mkuser(st, "bob");
	is_int(store_commit(st), OP_OK, "commits");
	is_int(store_user_by_email(st, "bob@example.com", &u), OP_OK,
	       "and its write is there");
	user_release(&u);
}

/* An answer inside a caller's transaction does not abort it (as with
 * SQLite): the transaction goes on and commits. */
static void
t_pg_tx_answers(struct store *st)
{
	struct user u;

	subtest("PgTransactionAnswers");
	mkuser(st, "alice");
	is_int(store_begin(st), OP_OK, "begin");
	is_int(mkuser(st, "alice"), 0, "a taken address inside it");
	ok(mkuser(st, "bob") > 0, "the transaction goes on");
	is_int(store_commit(st), OP_OK, "and commits");
	is_int(store_user_by_email(st, "bob@example.com", &u), OP_OK,
	       "bob was stored");
	user_release(&u);
}

static void
t_pg_open_errors(struct pg_ctx *c)
{
	struct config cfg = { 0 };
	struct op_err err = { 0 };
	struct store *st = NULL;
	char *url;

	subtest("PgOpenErrors");
	cfg.store_url = (char *)"postgresql://u:secret@127.0.0.1:1/db";
	is_int(store_open(&cfg, &st, &err), OP_E_STORE,
	       "no server: store error");
	ok(strstr(err.msg, "127.0.0.1:1") != NULL &&
		   strstr(err.msg, "secret") == NULL,
	   "message names the server, not the password: %s", err.msg);
	cfg.store_url = (char *)"postgresql://u:se%ZZcret@127.0.0.1/db";
	is_int(store_open(&cfg, &st, &err), OP_E_INVALID,
	       "a URL libpq cannot parse is refused");
	ok(strstr(err.msg, "se%ZZ") == NULL, "without quoting it");
	url = pg_url_for(c->dsn, "onepass_no_such_schema_x");
	cfg.store_url = url;
	cfg.store_pool_size = -1;
	is_int(store_open(&cfg, &st, &err), OP_E_INVALID,
	       "a negative pool size is refused");
	xfree(url);
	cfg.store_url = (char *)"postgres://u@127.0.0.1:1/db";
	cfg.store_pool_size = 0;
	is_int(store_open(&cfg, &st, &err), OP_E_STORE,
	       "postgres:// is taken too");
	ok(st == NULL, "no store returned");
}


/* ---- store_outbox_retry, on both backends ---- */

static struct outbox_msg
mail_get(struct store *st, int64_t id)
{
	struct outbox_msg m;

	store_outbox_get(st, id, &m);
	return m;
}

static void
t_outbox_retry(struct store *st)
{
	struct outbox_msg m;
	int64_t m1, m2, m3, m4, ids[4] = { 0 };
	size_t n;

	subtest("OutboxRetry");
	mkmail(st, "<r1@example.com>", 100, &m1);
	mkmail(st, "<r2@example.com>", 100, &m2);
	mkmail(st, "<r3@example.com>", 100, &m3);
	is_int(claim(st, 100, 10, ids), 3, "three claimed");
	store_outbox_mark_failed(st, m1, "550 no such user");
	store_outbox_mark_retry(st, m2, 1000, "451 later");
	store_outbox_mark_sent(st, m3, 110);

	is_int(store_outbox_retry(st, m1, 200), OP_OK, "retry a failed one");
	m = mail_get(st, m1);
	ok(m.status == OUTBOX_PENDING && m.attempts == 0 &&
		   m.next_attempt_at == 200,
	   "pending again, due now, attempts from 0");
	outbox_msg_release(&m);
	is_int(store_outbox_retry(st, m3, 200), OP_E_CONFLICT,
	       "a sent one is CONFLICT");
	is_int(store_outbox_retry(st, m3 + 99, 200), OP_E_NOTFOUND,
	       "an unknown one is NOTFOUND");
	is_int(store_outbox_retry(st, -1, 200), OP_E_INVALID,
	       "a negative id is refused");

	is_int(store_outbox_retry(st, 0, 300), OP_OK, "retry every one");
	m = mail_get(st, m2);
	is_int(m.next_attempt_at, 300, "the one due later is due now");
	is_int(m.status, OUTBOX_PENDING, "still pending");
	outbox_msg_release(&m);
	m = mail_get(st, m1);
	is_int(m.next_attempt_at, 200, "one due already is left alone");
	outbox_msg_release(&m);
	n = claim(st, 300, 10, ids);
	ok(n == 2 && ids[0] == m1 && ids[1] == m2, "both claimed, in order");

	/* A claim in progress is left alone. */
	store_outbox_mark_sent(st, m1, 310);
	store_outbox_mark_sent(st, m2, 310);
	mkmail(st, "<r4@example.com>", 400, &m4);
	is_int(claim(st, 400, 10, ids), 1, "the new one claimed");
	is_int(store_outbox_retry(st, m4, 400), OP_OK, "retry it");
	is_int(claim(st, 410, 10, ids), 0, "its claim still holds");
	is_int(claim(st, 461, 10, ids), 1, "claimed again once it lapses");
	is_int(store_outbox_retry(st, 0, 500), OP_OK,
	       "retry with nothing due later");
}

/* ---- migrating a database made by an older binary ---- */

/*
 * The schema as migration 1 created it, frozen (the check below that a
 * migrated database ends up with exactly the schema of a new one also
 * proves this copy faithful).
 */
static const char pg_v1_schema[] =
	"CREATE TABLE schema_version (version INTEGER PRIMARY KEY);"
	"INSERT INTO schema_version (version) VALUES (1);"
	"CREATE TABLE users ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" sub TEXT NOT NULL UNIQUE,"
	" email TEXT NOT NULL,"
	" email_canon TEXT NOT NULL UNIQUE,"
	" pw_hash TEXT NOT NULL,"
	" email_verified BOOLEAN NOT NULL DEFAULT FALSE,"
	" disabled BOOLEAN NOT NULL DEFAULT FALSE,"
	" needs_reset BOOLEAN NOT NULL DEFAULT FALSE,"
	" failed_logins INTEGER NOT NULL DEFAULT 0,"
	" last_failed_at BIGINT NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL);"

	"CREATE TABLE sessions ("
	" hash TEXT PRIMARY KEY,"
	" user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" created_at BIGINT NOT NULL,"
	" last_seen_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" auth_time BIGINT NOT NULL,"
	" persistent BOOLEAN NOT NULL DEFAULT FALSE,"
	" ip TEXT,"
	" user_agent TEXT);"
	"CREATE INDEX sessions_user ON sessions (user_id);"
	"CREATE INDEX sessions_expires ON sessions (expires_at);"

	"CREATE TABLE onetime ("
	" hash TEXT PRIMARY KEY,"
	" kind INTEGER NOT NULL,"
	" user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
	" data TEXT,"
	" created_at BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL,"
	" used_at BIGINT);"
	"CREATE INDEX onetime_user_kind ON onetime (user_id, kind);"
	"CREATE INDEX onetime_expires ON onetime (expires_at);"

	"CREATE TABLE throttle ("
	" key TEXT PRIMARY KEY,"
	" count INTEGER NOT NULL,"
	" window_start BIGINT NOT NULL,"
	" expires_at BIGINT NOT NULL);"
	"CREATE INDEX throttle_expires ON throttle (expires_at);"

	"CREATE TABLE outbox ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" message_id TEXT NOT NULL UNIQUE,"
	" mail_from TEXT NOT NULL,"
	" rcpt TEXT NOT NULL,"
	" subject TEXT NOT NULL,"
	" body BYTEA NOT NULL,"
	" status INTEGER NOT NULL DEFAULT 0,"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" created_at BIGINT NOT NULL,"
	" next_attempt_at BIGINT NOT NULL,"
	" claimed_until BIGINT,"
	" sent_at BIGINT NOT NULL DEFAULT 0,"
	" last_error TEXT);"
	"CREATE INDEX outbox_due ON outbox (status, next_attempt_at);"

	"CREATE TABLE audit ("
	" id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
	" at BIGINT NOT NULL,"
	" event TEXT NOT NULL,"
	" user_id BIGINT NOT NULL DEFAULT 0,"
	" ip TEXT,"
	" detail TEXT);"
	"CREATE INDEX audit_user ON audit (user_id);"

	"CREATE TABLE secrets ("
	" name TEXT PRIMARY KEY,"
	" value BYTEA NOT NULL);";

/* What a version-1 binary had stored; $1 is the hash of "v1-session" in
 * the session, of "v1-reset" in the one-time token. */
static const char *const pg_v1_rows[] = {
	"INSERT INTO users (sub, email, email_canon, pw_hash, created_at) "
	"VALUES ('sub-old', 'Old@Example.COM', 'old@example.com', "
	"'$argon2id$old', 10)",
	"INSERT INTO sessions (hash, user_id, created_at, last_seen_at, "
	"expires_at, auth_time, persistent, ip, user_agent) "
	"VALUES ($1, 1, 10, 10, 5000, 10, TRUE, '192.0.2.1', 'old-agent')",
	"INSERT INTO onetime (hash, kind, user_id, data, created_at, "
	"expires_at) VALUES ($1, 2, 1, NULL, 10, 5000)",
	"INSERT INTO outbox (message_id, mail_from, rcpt, subject, body, "
	"created_at, next_attempt_at) VALUES ('<m1@example.com>', "
	"'a@example.com', 'b@example.com', 'old mail', '\\x414243', 10, 10)",
	"INSERT INTO audit (at, event, user_id) VALUES (10, 'signin.ok', 1)",
	"INSERT INTO secrets (name, value) VALUES ('csrf', "
	"decode(repeat('00', 32), 'hex'))",
};

/* Runs sql in schema name, with a and b for its $1 and $2 if it has
 * them. */
static bool
pg_exec_in(struct pg_ctx *c, const char *name, const char *sql,
	   const char *a, const char *b)
{
	const char *values[2] = { a, b };
	char *set = xasprintf("SET search_path = %s", name);
	/* As many parameters as the statement names. */
	int n = strstr(sql, "$2") != NULL ? 2 : strstr(sql, "$1") != NULL;
	PGresult *res;
	bool ok_;

	ok_ = pg_admin_exec(c, set);
	xfree(set);
	if (!ok_)
		return false;
	if (n == 0) {
		ok_ = pg_admin_exec(c, sql);
	} else {
		res = PQexecParams(c->admin, sql, n, NULL, values, NULL, NULL,
				   0);
		ok_ = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok_)
			printf("# %s: %s", sql, PQerrorMessage(c->admin));
		PQclear(res);
	}
	pg_admin_exec(c, "SET search_path = DEFAULT");
	return ok_;
}

/* The tables, columns, indexes and constraints of schema name, one per
 * line, sorted, with the schema name taken out (caller xfrees). */
static char *
pg_schema_of(struct pg_ctx *c, const char *name)
{
	static const char sql[] =
		"SELECT coalesce(string_agg(x, E'\\n' ORDER BY x), '') FROM ("
		" SELECT table_name || '.' || column_name || ' ' || data_type"
		"  || ' ' || is_nullable || ' ' || coalesce(column_default, '')"
		"  || ' ' || is_identity || ' ' || ordinal_position AS x"
		"  FROM information_schema.columns WHERE table_schema = $1"
		" UNION ALL SELECT indexname || ' ' ||"
		"  replace(indexdef, $1 || '.', '')"
		"  FROM pg_indexes WHERE schemaname = $1"
		" UNION ALL SELECT r.relname || ' ' || conname || ' ' ||"
		"  replace(pg_get_constraintdef(k.oid), $1 || '.', '')"
		"  FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid"
		"  JOIN pg_namespace n ON n.oid = k.connamespace"
		"  WHERE n.nspname = $1) s";
	const char *values[1] = { name };
	PGresult *res;
	char *out;

	res = PQexecParams(c->admin, sql, 1, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
		out = xstrdup(PQgetvalue(res, 0, 0));
	} else {
		printf("# schema of %s: %s", name, PQerrorMessage(c->admin));
		out = xstrdup("?");
	}
	PQclear(res);
	return out;
}

static int
count_pg_audit(const struct audit_event *ev, void *arg)
{
	(void)ev;
	++*(int *)arg;
	return 0;
}

/* A database at schema version 1 is brought up to date in place, keeps
 * every row, and ends up with exactly the schema of a new one. */
static void
t_pg_migrate_v1(struct store_factory *f, struct store *fresh)
{
	struct pg_ctx *c = f->ctx;
	char old[64], sh[TOKEN_HASH_LEN + 1], rh[TOKEN_HASH_LEN + 1];
	char *sql, *url, *want, *got;
	struct store *st = NULL;
	unsigned char secret[32];
	struct outbox_msg m;
	struct session s;
	struct onetime t;
	struct user u;
	bool made;
	size_t i;
	int v = 0, n = 0;

	subtest("PgMigrateFromV1");
	store_schema_version(fresh, &v);
	snprintf(old, sizeof(old), "onepass_t%ld_v1", (long)getpid());
	sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s",
			old, old);
	made = pg_admin_exec(c, sql);
	xfree(sql);
	mkhash("v1-session", sh);
	mkhash("v1-reset", rh);
	made = made && pg_exec_in(c, old, pg_v1_schema, NULL, NULL);
	for (i = 0; made && i < sizeof(pg_v1_rows) / sizeof(pg_v1_rows[0]);
	     i++)
		made = pg_exec_in(c, old, pg_v1_rows[i], i == 2 ? rh : sh,
				  NULL);
	ok(made, "a version-1 database with rows");
	url = pg_url_for(c->dsn, old);
	is_int(pg_open_url(url, &st), OP_OK, "opened by this binary");
	if (st == NULL)
		goto out;
	n = 0;
	store_schema_version(st, &n);
	is_int(n, v, "migrated to the current version");
	is_int(store_user_by_email(st, "old@example.com", &u), OP_OK,
	       "the user is kept");
	is_str(u.pw_hash, "$argon2id$old", "with its password hash");
	ok(!u.email_verified && !u.disabled, "and its flags");
	user_release(&u);
	is_int(store_session_get(st, sh, 100, &s), OP_OK, "the session too");
	ok(s.persistent && s.sid[0] == '\0', "persistent, without a sid");
	session_release(&s);
	is_int(store_onetime_consume(st, ONETIME_RESET, rh, 100, &t), OP_OK,
	       "the reset token works");
	onetime_release(&t);
	is_int(store_outbox_get(st, 1, &m), OP_OK, "the queued mail is kept");
	ok(m.body_len == 3 && memcmp(m.body, "ABC", 3) == 0, "with its body");
	outbox_msg_release(&m);
	n = 0;
	store_audit_list(st, count_pg_audit, &n);
	is_int(n, 1, "the audit log is kept");
	is_int(store_secret(st, "csrf", secret), OP_OK, "the secret is kept");
	ok(is_zero(secret, sizeof(secret)), "with its value");
	ok(mkuser(st, "new") > 1, "new rows get new ids");
	store_close(st);

	want = pg_schema_of(c, c->schema);
	got = pg_schema_of(c, old);
	ok(strlen(want) > 100, "the schema of a new database was read");
	is_str(got, want, "same schema as a new database");
	xfree(want);
	xfree(got);

	/* A database from a newer binary is refused, not used. */
	ok(pg_exec_in(c, old, "INSERT INTO schema_version VALUES (999)", NULL,
		      NULL),
	   "the database says version 999");
	{
		struct config cfg = { 0 };
		struct op_err err = { 0 };

		cfg.store_url = url;
		is_int(store_open(&cfg, &st, &err), OP_E_STORE,
		       "a newer database is refused");
		ok(strstr(err.msg, "newer") != NULL, "saying so: %s", err.msg);
	}
out:
	xfree(url);
	sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", old);
	pg_admin_exec(c, sql);
	xfree(sql);
}

int
main(void)
{
	struct sqlite_ctx sq_ctx = { 0 };
	struct store_factory sqlite = {
		.name = "sqlite",
		.open_fresh = sqlite_open_fresh,
		.open_again = sqlite_open_again,
		.ctx = &sq_ctx,
	};
	struct store_factory pg;
	struct pg_ctx ctx;

	log_set_level(LOG_WARN);
	sq_ctx.dir = tap_tmpdir();
	printf("# sqlite\n");
	run_one(&sqlite, "OutboxRetry", t_outbox_retry);
	tap_rmdir(sq_ctx.dir);
	xfree(sq_ctx.path);
	xfree(sq_ctx.dir);
	if (!pg_factory_init(&ctx, &pg))
		return pg_skip_all("test_store_pg");
	conformance_run(&pg);
	run_one(&pg, "OutboxRetry", t_outbox_retry);
	run_with_factory(&pg, "PgTwoNodes", t_pg_two_nodes);
	run_with_factory(&pg, "PgPool", t_pg_pool);
	run_one(&pg, "PgTransactionAnswers", t_pg_tx_answers);
	run_with_factory(&pg, "PgMigrateFromV1", t_pg_migrate_v1);
	t_pg_open_concurrent(&ctx);
	t_pg_open_errors(&ctx);
	pg_factory_done(&ctx);
	return done_testing();
}

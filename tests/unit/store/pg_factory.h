/*
 * pg_factory.h - the PostgreSQL factory of the store conformance suites
 * (conformance.h's struct store_factory), for the *_pg test binaries.
 *
 * ONEPASS_TEST_PG_DSN names a server the tests may use as they like (a
 * postgresql:// URL; scripts/run-tests.sh starts a throwaway one with
 * tests/support/pg.sh). Each open_fresh makes a new, empty schema,
 * "onepass_t<pid>_<n>", and opens the store with search_path set to it
 * (libpq's options parameter), so every subtest starts from nothing and
 * the store runs its own migrations in it; open_again opens the same
 * schema again. A schema is dropped when the next one is made, and the
 * last by pg_factory_done().
 *
 * pg_factory_init() returns false when ONEPASS_TEST_PG_DSN is unset; the
 * binary then reports one skipped test (TAP "# SKIP"), loudly, rather than
 * passing in silence.
 */
#ifndef STORE_PG_FACTORY_H
#define STORE_PG_FACTORY_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "conformance.h"

struct pg_ctx {
	const char *dsn;
	PGconn *admin;
	int seq;
	char schema[64];	/* of the last open_fresh, "" before */
	char *url;		/* the DSN with search_path set */
};

static inline bool
pg_admin_exec(struct pg_ctx *c, const char *sql)
{
	PGresult *res = PQexec(c->admin, sql);
	bool ok_ = PQresultStatus(res) == PGRES_COMMAND_OK ||
		   PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok_)
		printf("# %s: %s", sql, PQerrorMessage(c->admin));
	PQclear(res);
	return ok_;
}

static inline void
pg_drop_schema(struct pg_ctx *c)
{
	char *sql;

	if (c->schema[0] == '\0')
		return;
	sql = xasprintf("DROP SCHEMA IF EXISTS %s CASCADE", c->schema);
	pg_admin_exec(c, sql);
	xfree(sql);
	c->schema[0] = '\0';
}

/* The store's URL for schema name: the DSN plus options=-csearch_path. */
static inline char *
pg_url_for(const char *dsn, const char *name)
{
	return xasprintf("%s%coptions=-csearch_path%%3D%s", dsn,
			 strchr(dsn, '?') != NULL ? '&' : '?', name);
}

static inline enum op_rc
pg_open_url(const char *url, struct store **out)
{
	struct config cfg = { 0 };
	struct op_err err = { 0 };
	enum op_rc rc;

	cfg.store_url = (char *)url;
	cfg.store_pool_size = 4;
	rc = store_open(&cfg, out, &err);
	if (rc != OP_OK)
		printf("# store_open (postgresql): %s\n", err.msg);
	return rc;
}

static inline enum op_rc
pg_open_fresh(struct store_factory *f, struct store **out)
{
	struct pg_ctx *c = f->ctx;
	char *sql;
	bool made;

	pg_drop_schema(c);
	snprintf(c->schema, sizeof(c->schema), "onepass_t%ld_%d",
		 (long)getpid(), ++c->seq);
	sql = xasprintf("CREATE SCHEMA %s", c->schema);
	made = pg_admin_exec(c, sql);
	xfree(sql);
	if (!made)
		return OP_E_STORE;
	xfree(c->url);
	c->url = pg_url_for(c->dsn, c->schema);
	return pg_open_url(c->url, out);
}

static inline enum op_rc
pg_open_again(struct store_factory *f, struct store **out)
{
	struct pg_ctx *c = f->ctx;

	return pg_open_url(c->url, out);
}

/* Connects the admin session; false (nothing to release) when the
 * variable is unset. A DSN that does not work fails the binary. */
static inline bool
pg_factory_init(struct pg_ctx *c, struct store_factory *f)
{
	memset(c, 0, sizeof(*c));
	c->dsn = getenv("ONEPASS_TEST_PG_DSN");
	if (c->dsn == NULL || c->dsn[0] == '\0')
		return false;
	*f = (struct store_factory){
		.name = "postgresql",
		.open_fresh = pg_open_fresh,
		.open_again = pg_open_again,
		.ctx = c,
	};
	c->admin = PQconnectdb(c->dsn);
	if (PQstatus(c->admin) != CONNECTION_OK)
		printf("# ONEPASS_TEST_PG_DSN: %s", PQerrorMessage(c->admin));
	/* Quiet the NOTICEs of DROP ... IF EXISTS. */
	pg_admin_exec(c, "SET client_min_messages = warning");
	return true;
}

static inline void
pg_factory_done(struct pg_ctx *c)
{
	pg_drop_schema(c);
	PQfinish(c->admin);
	xfree(c->url);
	c->url = NULL;
}

/* One skipped test, for prove and for scripts/run-tests.sh's count. */
static inline int
pg_skip_all(const char *what)
{
	printf("# %s: ONEPASS_TEST_PG_DSN is not set; PostgreSQL not "
	       "tested\n",
	       what);
	ok(1, "# SKIP ONEPASS_TEST_PG_DSN not set (no PostgreSQL server)");
	return done_testing();
}

#endif

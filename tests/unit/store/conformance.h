/*
 * conformance.h - what the store conformance suites share: the factory a
 * backend's run provides, the helpers that make users and hashes, the
 * runner of one subtest on a fresh store, and the SQLite factory.
 *
 * test_store.c (the first records) and test_store_oidc.c (the OpenID
 * Connect provider's) each build their own binary from it, as does
 * test_store_migrate.c (SQLite databases made by older binaries); a
 * PostgreSQL run needs only a factory of its own. The functions are
 * static inline so a suite that does not use one compiles without a
 * warning.
 */
#ifndef STORE_CONFORMANCE_H
#define STORE_CONFORMANCE_H

#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/token.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "support/tap.h"

#define PW_HASH "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"

struct store_factory {
	const char *name;
	/* Returns a new, empty, migrated store. */
	enum op_rc (*open_fresh)(struct store_factory *f, struct store **out);
	/* Returns another handle on the database of the last open_fresh. */
	enum op_rc (*open_again)(struct store_factory *f, struct store **out);
	void *ctx;
};

static inline void
mkhash(const char *seed, char out[TOKEN_HASH_LEN + 1])
{
	token_hash(seed, strlen(seed), out);
}

/* Creates a user named name: sub "sub-NAME", e-mail "NAME@Example.COM"
 * typed, "name@example.com" canonical. Returns its id, 0 on failure. */
static inline int64_t
mkuser(struct store *st, const char *name)
{
	char sub[64], email[64], canon[64];
	struct user u = { 0 };
	size_t i;

	snprintf(sub, sizeof(sub), "sub-%s", name);
	snprintf(email, sizeof(email), "%s@Example.COM", name);
	snprintf(canon, sizeof(canon), "%s@example.com", name);
	for (i = 0; canon[i] != '\0'; i++)
		if (canon[i] >= 'A' && canon[i] <= 'Z')
			canon[i] = (char)(canon[i] - 'A' + 'a');
	u.sub = sub;
	u.email = email;
	u.email_canon = canon;
	u.pw_hash = (char *)PW_HASH;
	u.created_at = 1000;
	if (store_user_create(st, &u) != OP_OK)
		return 0;
	return u.id;
}

static inline bool
is_zero(const void *p, size_t len)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return false;
	return true;
}

/* ---- records of the OpenID Connect provider ---- */

#define CHALLENGE "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

static inline enum op_rc
mkclient(struct store *st, const char *id, const char *name,
	 int64_t created_at)
{
	struct client c = { 0 };
	char secret[TOKEN_HASH_LEN + 1];

	mkhash(id, secret);
	c.client_id = (char *)id;
	c.secret_hash = secret;
	c.name = (char *)name;
	c.redirect_uris = (char *)"https://rp.example.com/cb\n"
				  "http://localhost:8090/cb?portal=1";
	c.post_logout_uris = (char *)"https://rp.example.com/bye";
	c.id_token_alg = (char *)"RS256";
	c.created_at = created_at;
	return store_client_create(st, &c);
}

/* A code for client_id and user_id that expires at expires_at. */
static inline enum op_rc
mkcode(struct store *st, const char *seed, const char *client_id,
       int64_t user_id, int64_t expires_at)
{
	struct auth_code c = { 0 };

	mkhash(seed, c.hash);
	c.client_id = (char *)client_id;
	c.user_id = user_id;
	c.redirect_uri = (char *)"https://rp.example.com/cb";
	c.scope = (char *)"openid email";
	c.nonce = (char *)"n-0S6_WzA2Mj";
	c.code_challenge = (char *)CHALLENGE;
	c.sid = (char *)"sid-1";
	c.auth_time = 90;
	c.created_at = 100;
	c.expires_at = expires_at;
	return store_code_create(st, &c);
}

struct tokspec {
	const char *seed;
	enum oauth_token_kind kind;
	const char *client_id;
	int64_t user_id;
	const char *family_seed;
	const char *sid;	/* may be NULL */
	int64_t expires_at;
};

static inline enum op_rc
mktoken(struct store *st, const struct tokspec *ts)
{
	struct oauth_token t = { 0 };
	char family[TOKEN_HASH_LEN + 1];

	mkhash(ts->seed, t.hash);
	mkhash(ts->family_seed, family);
	t.kind = ts->kind;
	t.client_id = (char *)ts->client_id;
	t.user_id = ts->user_id;
	t.scope = (char *)"openid email offline_access";
	t.family = family;
	t.sid = (char *)ts->sid;
	t.auth_time = 90;
	t.created_at = 100;
	t.expires_at = ts->expires_at;
	return store_token_create(st, &t);
}

static inline enum op_rc
token_get(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_token_get(st, hash, now, &t);
	oauth_token_release(&t);
	return rc;
}

static inline enum op_rc
use_refresh(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct oauth_token t;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_token_use_refresh(st, hash, now, &t);
	oauth_token_release(&t);
	return rc;
}

static inline enum op_rc
consume_code(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct auth_code c;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_code_consume(st, hash, now, &c);
	auth_code_release(&c);
	return rc;
}

/* ---- running ---- */

/* Runs fn on a fresh store of f, then closes it. */
static inline void
run_one(struct store_factory *f, const char *name,
	void (*fn)(struct store *st))
{
	struct store *st = NULL;

	if (f->open_fresh(f, &st) != OP_OK || st == NULL) {
		ok(0, "%s: open a fresh %s store", name, f->name);
		return;
	}
	fn(st);
	store_close(st);
}

/* The same, for subtests that open the database again. */
static inline void
run_with_factory(struct store_factory *f, const char *name,
		 void (*fn)(struct store_factory *f, struct store *st))
{
	struct store *st = NULL;

	if (f->open_fresh(f, &st) != OP_OK || st == NULL) {
		ok(0, "%s: open a fresh %s store", name, f->name);
		return;
	}
	fn(f, st);
	store_close(st);
}

/* ---- the SQLite factory: each store a new file in ctx->dir ---- */

struct sqlite_ctx {
	char *dir;
	char *path;	/* of the last open_fresh */
	int seq;
};

static inline enum op_rc
sqlite_open_path(const char *path, struct store **out)
{
	struct config cfg = { 0 };
	struct op_err err = { 0 };
	enum op_rc rc;

	cfg.store_url = (char *)"";
	cfg.store_path = (char *)path;
	rc = store_open(&cfg, out, &err);
	if (rc != OP_OK)
		printf("# store_open '%s': %s\n", path, err.msg);
	return rc;
}

static inline enum op_rc
sqlite_open_fresh(struct store_factory *f, struct store **out)
{
	struct sqlite_ctx *c = f->ctx;

	xfree(c->path);
	c->path = xasprintf("%s/store-%d.db", c->dir, ++c->seq);
	return sqlite_open_path(c->path, out);
}

static inline enum op_rc
sqlite_open_again(struct store_factory *f, struct store **out)
{
	struct sqlite_ctx *c = f->ctx;

	return sqlite_open_path(c->path, out);
}

#endif

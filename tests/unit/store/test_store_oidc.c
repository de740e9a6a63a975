/*
 * test_store_oidc.c - the store conformance suite for the records of the
 * OpenID Connect provider (clients, signing keys, pending authorization
 * requests, codes, tokens, grants, the public session id), and its run on
 * SQLite.
 *
 * conformance_oidc_run() takes the same factory as test_store.c
 * (conformance.h, which also holds the helpers that make clients, codes
 * and tokens) and speaks to store.h alone, so any backend can be proved
 * with it. Migrating an SQLite database made at schema version 1 is
 * tested in test_store_migrate.c.
 *
 * Worker threads never call the TAP functions: they count what they saw
 * and the main thread asserts after joining them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "conformance.h"

/* ---- helpers ---- */

static enum op_rc
grant_scope(struct store *st, int64_t user_id, const char *client_id,
	    char *out, size_t size)
{
	struct grant g;
	enum op_rc rc;

	out[0] = '\0';
	rc = store_grant_get(st, user_id, client_id, &g);
	if (rc == OP_OK)
		snprintf(out, size, "%s", g.scope);
	grant_release(&g);
	return rc;
}

/* ---- clients ---- */

struct client_seen {
	int n;
	char ids[4][32];
};

static int
collect_client(const struct client *c, void *arg)
{
	struct client_seen *s = arg;

	if (s->n < 4)
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", c->client_id);
	s->n++;
	return 0;
}

static void
t_client_crud(struct store *st)
{
	struct client c = { 0 }, got;
	struct client_seen seen = { 0 };

	subtest("ClientCRUD");
	is_int(mkclient(st, "client-a", "CustomerSource", 200), OP_OK,
	       "create a confidential client");
	is_int(mkclient(st, "client-a", "Another", 201), OP_E_EXISTS,
	       "same client_id again is EXISTS");
	is_int(mkclient(st, "client-x", "CustomerSource", 201), OP_E_EXISTS,
	       "same name again is EXISTS");

	c.client_id = (char *)"client-b";
	c.name = (char *)"Portail \xc3\xa9t\xc3\xa9";
	c.redirect_uris = (char *)"http://127.0.0.1:9000/cb";
	c.id_token_alg = (char *)"EdDSA";
	c.first_party = true;
	c.created_at = 100;
	is_int(store_client_create(st, &c), OP_OK,
	       "create a public client (no secret, no logout URIs)");

	is_int(store_client_get(st, "client-a", &got), OP_OK, "get by id");
	is_str(got.client_id, "client-a", "client_id");
	is_str(got.name, "CustomerSource", "name");
	ok(got.secret_hash != NULL && strlen(got.secret_hash) == 64,
	   "secret hash kept");
	is_str(got.redirect_uris,
	       "https://rp.example.com/cb\nhttp://localhost:8090/cb?portal=1",
	       "redirect URIs, one per line");
	is_str(got.post_logout_uris, "https://rp.example.com/bye",
	       "post-logout URIs");
	ok(!got.first_party, "not first party");
	is_str(got.id_token_alg, "RS256", "alg");
	is_int(got.created_at, 200, "created_at");
	client_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");
	client_release(&got);

	is_int(store_client_by_name(st, "Portail \xc3\xa9t\xc3\xa9", &got),
	       OP_OK, "get by name");
	is_str(got.client_id, "client-b", "by name finds client-b");
	ok(got.secret_hash == NULL, "public client has no secret");
	is_str(got.post_logout_uris, "", "no logout URIs reads as \"\"");
	ok(got.first_party, "first party");
	is_str(got.id_token_alg, "EdDSA", "EdDSA");
	client_release(&got);
	is_int(store_client_by_name(st, "Nobody", &got), OP_E_NOTFOUND,
	       "absent name is NOTFOUND");
	is_int(store_client_get(st, "client-z", &got), OP_E_NOTFOUND,
	       "absent id is NOTFOUND");
	ok(got.client_id == NULL, "out record zeroed after NOTFOUND");

	is_int(store_client_list(st, collect_client, &seen), OP_OK, "list");
	is_int(seen.n, 2, "two clients");
	is_str(seen.ids[0], "client-b", "oldest first");
	is_str(seen.ids[1], "client-a", "then the newer");

	/* The facade refuses what a client must not be. */
	c.client_id = (char *)"client c";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "space in client_id refused");
	c.client_id = (char *)"";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "empty client_id refused");
	c.client_id = (char *)"client-c";
	c.name = (char *)"Bad\x01name";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "control character in name refused");
	c.name = (char *)"Bad \xc3\x28";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "ill-formed UTF-8 in name refused");
	c.name = (char *)"Bad \xc2\x85 NEL";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "C1 control in name refused");
	c.name = (char *)"Client C";
	c.redirect_uris = (char *)"https://rp.example.com/cb#frag";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "fragment in redirect URI refused");
	c.redirect_uris = (char *)"https://rp.example.com/cb\r\n"
				  "https://rp.example.com/2";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "CR in redirect URIs refused");
	c.redirect_uris = (char *)"/cb";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "relative redirect URI refused");
	c.redirect_uris = (char *)"javascript://x/%0aalert(1)";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "non-http scheme refused");
	c.redirect_uris = (char *)"https:///cb";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "URI without authority refused");
	c.redirect_uris = (char *)"https://rp.example.com/cb\n";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "empty line (trailing newline) refused");
	c.redirect_uris = (char *)"";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "no redirect URI refused");
	c.redirect_uris = (char *)"https://rp.example.com/cb";
	c.post_logout_uris = (char *)"https://rp.example.com/bye#x";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "bad post-logout URI refused");
	c.post_logout_uris = NULL;
	c.id_token_alg = (char *)"none";
	is_int(store_client_create(st, &c), OP_E_INVALID, "alg none refused");
	c.id_token_alg = (char *)"HS256";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "alg HS256 refused");
	c.id_token_alg = (char *)"ES256";
	c.secret_hash = (char *)"not-a-hash";
	is_int(store_client_create(st, &c), OP_E_INVALID,
	       "malformed secret hash refused");
	c.secret_hash = NULL;
	is_int(store_client_create(st, &c), OP_OK, "ES256 public client");
	is_int(store_client_get(st, "client x", &got), OP_E_INVALID,
	       "get with a space refused");
}

static void
t_client_delete(struct store *st)
{
	struct tokspec ts = { .seed = "tok-a", .kind = OAUTH_REFRESH,
			      .client_id = "client-a", .family_seed = "code-a",
			      .expires_at = 5000 };
	struct grant g;
	int64_t alice, bob;

	subtest("ClientDeleteCascades");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mkclient(st, "client-a", "A", 100);
	mkclient(st, "client-b", "B", 100);
	is_int(mkcode(st, "code-a", "client-a", alice, 5000), OP_OK,
	       "code for client-a");
	is_int(mkcode(st, "code-b", "client-b", alice, 5000), OP_OK,
	       "code for client-b");
	ts.user_id = alice;
	is_int(mktoken(st, &ts), OP_OK, "token for client-a");
	ts.seed = "tok-b";
	ts.client_id = "client-b";
	is_int(mktoken(st, &ts), OP_OK, "token for client-b");
	is_int(store_grant_touch(st, alice, "client-a", "openid", 100), OP_OK,
	       "grant for client-a");
	is_int(store_grant_touch(st, alice, "client-b", "openid", 100), OP_OK,
	       "grant for client-b");

	is_int(mkcode(st, "code-x", "client-x", alice, 5000), OP_E_NOTFOUND,
	       "code for an absent client is NOTFOUND");
	is_int(mkcode(st, "code-x", "client-a", alice + bob + 10, 5000),
	       OP_E_NOTFOUND, "code for an absent user is NOTFOUND");
	is_int(store_grant_touch(st, alice, "client-x", "openid", 100),
	       OP_E_NOTFOUND, "grant at an absent client is NOTFOUND");

	is_int(store_client_delete(st, "client-a"), OP_OK, "delete client-a");
	is_int(store_client_delete(st, "client-a"), OP_E_NOTFOUND,
	       "second delete is NOTFOUND");
	is_int(consume_code(st, "code-a", 200), OP_E_NOTFOUND,
	       "its code went with it");
	is_int(token_get(st, "tok-a", 200), OP_E_NOTFOUND,
	       "its token went with it");
	is_int(store_grant_get(st, alice, "client-a", &g), OP_E_NOTFOUND,
	       "its grant went with it");
	is_int(token_get(st, "tok-b", 200), OP_OK, "other client's token kept");
	is_int(store_grant_get(st, alice, "client-b", &g), OP_OK,
	       "other client's grant kept");
	grant_release(&g);

	is_int(store_user_delete(st, alice), OP_OK, "delete the user");
	is_int(consume_code(st, "code-b", 200), OP_E_NOTFOUND,
	       "user's code went with the user");
	is_int(token_get(st, "tok-b", 200), OP_E_NOTFOUND,
	       "user's token went with the user");
	is_int(store_grant_get(st, alice, "client-b", &g), OP_E_NOTFOUND,
	       "user's grant went with the user");
	is_int(store_client_get(st, "client-b", NULL), OP_E_INVALID,
	       "NULL out refused");
}

/* ---- signing keys ---- */

struct key_seen {
	int n;
	char kids[4][16];
	int64_t retired[4];
	bool pem_ok;
};

static int
collect_key(const struct signing_key *k, void *arg)
{
	struct key_seen *s = arg;

	if (s->n < 4) {
		snprintf(s->kids[s->n], sizeof(s->kids[0]), "%s", k->kid);
		s->retired[s->n] = k->retired_at;
	}
	if (strcmp(k->kid, "k1") == 0)
		s->pem_ok = strcmp(k->private_key, "-----BEGIN PRIVATE KEY-----"
						   "\nMC4\n-----END PRIVATE "
						   "KEY-----\n") == 0 &&
			    strcmp(k->public_jwk, "{\"kty\":\"OKP\"}") == 0 &&
			    strcmp(k->alg, "EdDSA") == 0;
	s->n++;
	return 0;
}

static void
t_keys(struct store *st)
{
	struct signing_key k = { 0 };
	struct key_seen seen = { 0 };

	subtest("Keys");
	k.kid = (char *)"k1";
	k.alg = (char *)"EdDSA";
	k.private_key = (char *)"-----BEGIN PRIVATE KEY-----\nMC4\n"
				"-----END PRIVATE KEY-----\n";
	k.public_jwk = (char *)"{\"kty\":\"OKP\"}";
	k.created_at = 100;
	is_int(store_key_add(st, &k), OP_OK, "add k1");
	is_int(store_key_add(st, &k), OP_E_EXISTS, "same kid is EXISTS");
	k.kid = (char *)"k2";
	k.alg = (char *)"RS256";
	k.created_at = 200;
	is_int(store_key_add(st, &k), OP_OK, "add k2");
	k.kid = (char *)"k0";
	k.created_at = 50;
	k.retired_at = 60;
	is_int(store_key_add(st, &k), OP_OK, "add k0, already retired");

	store_key_list(st, collect_key, &seen);
	is_int(seen.n, 3, "three keys");
	is_str(seen.kids[0], "k2", "newest first");
	is_str(seen.kids[1], "k1", "then k1");
	is_str(seen.kids[2], "k0", "retired ones included");
	is_int(seen.retired[0], 0, "k2 published");
	is_int(seen.retired[2], 60, "k0 retired at 60");
	ok(seen.pem_ok, "private key, JWK and alg read back");

	is_int(store_key_retire(st, "k1", 300), OP_OK, "retire k1");
	is_int(store_key_retire(st, "k1", 400), OP_E_NOTFOUND,
	       "retiring it twice is NOTFOUND");
	is_int(store_key_retire(st, "k0", 400), OP_E_NOTFOUND,
	       "retiring a retired key is NOTFOUND");
	is_int(store_key_retire(st, "k9", 400), OP_E_NOTFOUND,
	       "retiring an absent key is NOTFOUND");
	memset(&seen, 0, sizeof(seen));
	store_key_list(st, collect_key, &seen);
	is_int(seen.retired[1], 300, "k1 retired at the first time");

	k.kid = (char *)"k3";
	k.alg = (char *)"none";
	is_int(store_key_add(st, &k), OP_E_INVALID, "alg none refused");
	k.alg = (char *)"ES256";
	k.private_key = (char *)"";
	is_int(store_key_add(st, &k), OP_E_INVALID, "empty key refused");
	k.private_key = (char *)"x";
	k.retired_at = -1;
	is_int(store_key_add(st, &k), OP_E_INVALID, "negative time refused");
	is_int(store_key_retire(st, "k2", 0), OP_E_INVALID,
	       "retiring at time 0 refused");
	is_int(store_key_list(st, NULL, NULL), OP_E_INVALID,
	       "NULL callback refused");
}

/* ---- pending authorization requests ---- */

static void
t_authz_request(struct store *st)
{
	struct authz_request r = { 0 }, got;

	subtest("AuthzRequest");
	mkhash("req-1", r.id);
	r.params = (char *)"client_id=client-a&redirect_uri=https%3A%2F%2Frp"
			   ".example.com%2Fcb&scope=openid&state=xyz";
	r.created_at = 100;
	r.expires_at = 1000;
	is_int(store_authz_request_create(st, &r), OP_OK, "create");
	is_int(store_authz_request_create(st, &r), OP_E_EXISTS,
	       "same id again is EXISTS");
	is_int(store_authz_request_get(st, r.id, 999, &got), OP_OK,
	       "live before expires_at");
	is_str(got.id, r.id, "id");
	is_str(got.params, r.params, "params");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 1000, "expires_at");
	authz_request_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");
	is_int(store_authz_request_get(st, r.id, 1000, &got), OP_E_NOTFOUND,
	       "absent at expires_at");
	is_int(store_authz_request_delete(st, r.id), OP_OK, "delete");
	is_int(store_authz_request_delete(st, r.id), OP_E_NOTFOUND,
	       "delete again is NOTFOUND");
	is_int(store_authz_request_get(st, r.id, 500, &got), OP_E_NOTFOUND,
	       "deleted request is NOTFOUND");
	is_int(store_authz_request_get(st, "ABC", 500, &got), OP_E_INVALID,
	       "malformed id refused");
	r.params = (char *)"a=1\r\nb=2";
	mkhash("req-2", r.id);
	is_int(store_authz_request_create(st, &r), OP_E_INVALID,
	       "CR/LF in params refused");
}

/* ---- authorization codes ---- */

static void
t_code_single_use(struct store *st)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct auth_code c = { 0 }, got;
	int64_t alice;

	subtest("CodeSingleUse");
	alice = mkuser(st, "alice");
	mkclient(st, "client-a", "A", 100);
	is_int(mkcode(st, "code-1", "client-a", alice, 160), OP_OK, "create");
	is_int(mkcode(st, "code-1", "client-a", alice, 160), OP_E_EXISTS,
	       "same hash again is EXISTS");
	mkhash("code-1", hash);
	is_int(store_code_consume(st, hash, 150, &got), OP_OK, "consume");
	is_str(got.hash, hash, "hash");
	is_str(got.client_id, "client-a", "client_id");
	is_int(got.user_id, alice, "user_id");
	is_str(got.redirect_uri, "https://rp.example.com/cb", "redirect_uri");
	is_str(got.scope, "openid email", "scope");
	is_str(got.nonce, "n-0S6_WzA2Mj", "nonce");
	is_str(got.code_challenge, CHALLENGE, "code_challenge");
	is_str(got.sid, "sid-1", "sid");
	is_int(got.auth_time, 90, "auth_time");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 160, "expires_at");
	auth_code_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");

	is_int(store_code_consume(st, hash, 151, &got), OP_E_CONFLICT,
	       "second consume is CONFLICT");
	is_str(got.client_id, "client-a",
	       "CONFLICT fills the record (client)");
	is_str(got.hash, hash, "CONFLICT fills the record (hash = family)");
	is_int(got.user_id, alice, "CONFLICT fills the record (user)");
	auth_code_release(&got);
	is_int(store_code_consume(st, hash, 500, &got), OP_E_CONFLICT,
	       "a spent code stays CONFLICT after its expiry");
	auth_code_release(&got);

	is_int(mkcode(st, "code-2", "client-a", alice, 160), OP_OK, "code-2");
	is_int(consume_code(st, "code-2", 160), OP_E_EXPIRED,
	       "consume at expires_at is EXPIRED");
	is_int(consume_code(st, "code-2", 100), OP_OK,
	       "EXPIRED spent nothing (consumable at an earlier now)");
	mkhash("code-3", hash);
	is_int(store_code_consume(st, hash, 100, &got), OP_E_NOTFOUND,
	       "unknown code is NOTFOUND");
	ok(got.client_id == NULL, "out zeroed after NOTFOUND");

	/* Codes without the optional parts. */
	mkhash("code-4", c.hash);
	c.client_id = (char *)"client-a";
	c.user_id = alice;
	c.redirect_uri = (char *)"http://localhost:8090/cb?portal=1";
	c.scope = (char *)"openid";
	c.auth_time = 1;
	c.created_at = 100;
	c.expires_at = 200;
	is_int(store_code_create(st, &c), OP_OK,
	       "no nonce, challenge or sid");
	is_int(store_code_consume(st, c.hash, 150, &got), OP_OK, "consume it");
	ok(got.nonce == NULL && got.code_challenge == NULL && got.sid == NULL,
	   "absent parts read back NULL");
	auth_code_release(&got);

	mkhash("code-5", c.hash);
	c.scope = (char *)"openid  email";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "double space in scope refused");
	c.scope = (char *)" openid";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "leading space in scope refused");
	c.scope = (char *)"openid \"x\"";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "quote in scope refused");
	c.scope = (char *)"";
	is_int(store_code_create(st, &c), OP_E_INVALID, "empty scope refused");
	c.scope = (char *)"openid";
	c.code_challenge = (char *)"short";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "short challenge refused");
	c.code_challenge = (char *)CHALLENGE "+/";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "challenge outside the unreserved set refused");
	c.code_challenge = NULL;
	c.redirect_uri = (char *)"https://rp.example.com/cb\nhttps://x.y/";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "two redirect URIs refused");
	c.redirect_uri = (char *)"https://rp.example.com/cb";
	c.sid = (char *)"has space";
	is_int(store_code_create(st, &c), OP_E_INVALID, "bad sid refused");
	c.sid = (char *)"0123456789012345678901234567890123456789"
			"01234567890123456789012345";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "sid over 64 characters refused");
	c.sid = NULL;
	c.nonce = (char *)"bad\nnonce";
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "control character in nonce refused");
	c.nonce = NULL;
	c.hash[0] = 'G';
	is_int(store_code_create(st, &c), OP_E_INVALID,
	       "malformed hash refused");
}

/* ---- tokens ---- */

static void
t_tokens(struct store *st)
{
	struct tokspec ts = { .kind = OAUTH_ACCESS, .client_id = "client-a",
			      .family_seed = "fam-f", .sid = "sid-1",
			      .expires_at = 1000 };
	char hash[TOKEN_HASH_LEN + 1], fam[TOKEN_HASH_LEN + 1];
	struct oauth_token got;
	int64_t alice, bob;

	subtest("Tokens");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mkclient(st, "client-a", "A", 100);
	mkclient(st, "client-b", "B", 100);
	ts.user_id = alice;
	ts.seed = "acc-1";
	is_int(mktoken(st, &ts), OP_OK, "access token in family F");
	is_int(mktoken(st, &ts), OP_E_EXISTS, "same hash again is EXISTS");
	ts.seed = "ref-1";
	ts.kind = OAUTH_REFRESH;
	ts.expires_at = 9000;
	is_int(mktoken(st, &ts), OP_OK, "refresh token in family F");

	mkhash("acc-1", hash);
	mkhash("fam-f", fam);
	is_int(store_token_get(st, hash, 999, &got), OP_OK, "get a live token");
	is_str(got.hash, hash, "hash");
	is_int(got.kind, OAUTH_ACCESS, "kind");
	is_str(got.client_id, "client-a", "client_id");
	is_int(got.user_id, alice, "user_id");
	is_str(got.scope, "openid email offline_access", "scope");
	is_str(got.family, fam, "family");
	is_str(got.sid, "sid-1", "sid");
	is_int(got.auth_time, 90, "auth_time");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 1000, "expires_at");
	oauth_token_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");
	is_int(token_get(st, "acc-1", 1000), OP_E_NOTFOUND,
	       "expired token is NOTFOUND");
	is_int(token_get(st, "nope", 10), OP_E_NOTFOUND,
	       "unknown token is NOTFOUND");
	is_int(store_token_revoke(st, hash), OP_OK, "revoke");
	is_int(token_get(st, "acc-1", 500), OP_E_NOTFOUND,
	       "revoked token is NOTFOUND");
	is_int(store_token_revoke(st, hash), OP_OK, "revoke again is OK");
	mkhash("nope", hash);
	is_int(store_token_revoke(st, hash), OP_OK, "revoke unknown is OK");

	/* Rotation: a refresh token is spent once. */
	is_int(token_get(st, "ref-1", 500), OP_OK, "refresh token is live");
	mkhash("ref-1", hash);
	is_int(store_token_use_refresh(st, hash, 500, &got), OP_OK,
	       "use the refresh token");
	is_int(got.kind, OAUTH_REFRESH, "its record");
	is_str(got.family, fam, "with its family");
	oauth_token_release(&got);
	is_int(token_get(st, "ref-1", 500), OP_E_NOTFOUND,
	       "a spent refresh token is not live");
	is_int(store_token_use_refresh(st, hash, 501, &got), OP_E_CONFLICT,
	       "use it twice is CONFLICT");
	is_str(got.family, fam, "CONFLICT fills the record (family)");
	is_int(got.user_id, alice, "CONFLICT fills the record (user)");
	oauth_token_release(&got);
	is_int(use_refresh(st, "acc-2", 500), OP_E_NOTFOUND,
	       "unknown refresh token is NOTFOUND");
	ts.seed = "acc-2";
	ts.kind = OAUTH_ACCESS;
	mktoken(st, &ts);
	is_int(use_refresh(st, "acc-2", 500), OP_E_NOTFOUND,
	       "an access token cannot be used as a refresh token");
	is_int(token_get(st, "acc-2", 500), OP_OK,
	       "and that spent nothing");
	ts.seed = "ref-2";
	ts.kind = OAUTH_REFRESH;
	ts.expires_at = 600;
	mktoken(st, &ts);
	is_int(use_refresh(st, "ref-2", 600), OP_E_NOTFOUND,
	       "expired refresh token is NOTFOUND");
	ts.seed = "ref-3";
	ts.expires_at = 9000;
	mktoken(st, &ts);
	mkhash("ref-3", hash);
	store_token_revoke(st, hash);
	is_int(use_refresh(st, "ref-3", 500), OP_E_NOTFOUND,
	       "revoked refresh token is NOTFOUND");

	/* Family F: acc-2, ref-2, ref-3 (and the spent ref-1). */
	ts.family_seed = "fam-g";
	ts.seed = "acc-g";
	ts.kind = OAUTH_ACCESS;
	ts.sid = "sid-2";
	mktoken(st, &ts);
	ts.seed = "ref-g";
	ts.kind = OAUTH_REFRESH;
	mktoken(st, &ts);
	ts.seed = "ref-4";
	ts.family_seed = "fam-f";
	mktoken(st, &ts);
	is_int(store_token_revoke_family(st, fam), OP_OK, "revoke family F");
	is_int(token_get(st, "acc-2", 500), OP_E_NOTFOUND,
	       "family's access token revoked");
	is_int(token_get(st, "ref-4", 500), OP_E_NOTFOUND,
	       "family's refresh token revoked");
	is_int(use_refresh(st, "ref-1", 500), OP_E_NOTFOUND,
	       "the spent one revoked too: no longer CONFLICT");
	is_int(token_get(st, "acc-g", 500), OP_OK, "family G untouched");
	is_int(store_token_revoke_family(st, fam), OP_OK,
	       "revoke the family again is OK");

	/* By session: sid-2 covers family G. */
	ts.family_seed = "fam-h";
	ts.seed = "acc-h";
	ts.kind = OAUTH_ACCESS;
	ts.sid = NULL;
	mktoken(st, &ts);
	is_int(store_token_revoke_sid(st, "sid-2"), OP_OK, "revoke sid-2");
	is_int(token_get(st, "acc-g", 500), OP_E_NOTFOUND,
	       "token of sid-2 revoked");
	is_int(token_get(st, "ref-g", 500), OP_E_NOTFOUND,
	       "refresh token of sid-2 revoked");
	is_int(token_get(st, "acc-h", 500), OP_OK, "token without sid kept");
	is_int(store_token_revoke_sid(st, "sid-9"), OP_OK,
	       "revoke an unknown sid is OK");

	/* By grant: (alice, client-a) only. */
	ts.seed = "acc-b";
	ts.client_id = "client-b";
	mktoken(st, &ts);
	ts.seed = "acc-bob";
	ts.client_id = "client-a";
	ts.user_id = bob;
	mktoken(st, &ts);
	is_int(store_token_revoke_grant(st, alice, "client-a"), OP_OK,
	       "revoke alice at client-a");
	is_int(token_get(st, "acc-h", 500), OP_E_NOTFOUND,
	       "alice's token at client-a revoked");
	is_int(token_get(st, "acc-b", 500), OP_OK,
	       "alice's token at client-b kept");
	is_int(token_get(st, "acc-bob", 500), OP_OK,
	       "bob's token at client-a kept");

	ts.seed = "bad";
	ts.kind = (enum oauth_token_kind)3;
	is_int(mktoken(st, &ts), OP_E_INVALID, "unknown kind refused");
	ts.kind = OAUTH_ACCESS;
	ts.client_id = "";
	is_int(mktoken(st, &ts), OP_E_INVALID, "empty client_id refused");
	is_int(store_token_revoke_family(st, "F"), OP_E_INVALID,
	       "malformed family refused");
	is_int(store_token_revoke_sid(st, ""), OP_E_INVALID,
	       "empty sid refused");
	is_int(store_token_revoke_grant(st, 0, "client-a"), OP_E_INVALID,
	       "user 0 refused");
}

/* ---- grants ---- */

struct grant_seen {
	int n;
	char ids[4][16];
	char names[4][16];
	int64_t last[4];
};

static int
collect_grant(const struct grant *g, void *arg)
{
	struct grant_seen *s = arg;

	if (s->n < 4) {
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", g->client_id);
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s",
			 g->client_name);
		s->last[s->n] = g->last_at;
	}
	s->n++;
	return 0;
}

static void
t_grants(struct store *st)
{
	struct tokspec ts = { .kind = OAUTH_REFRESH, .client_id = "client-a",
			      .family_seed = "fam", .expires_at = 9000 };
	struct grant_seen seen = { 0 };
	struct grant g;
	char scope[256];
	int64_t alice, bob;

	subtest("Grants");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mkclient(st, "client-a", "Alpha", 100);
	mkclient(st, "client-b", "Beta", 100);
	mkclient(st, "client-c", "Gamma", 100);
	is_int(store_grant_get(st, alice, "client-a", &g), OP_E_NOTFOUND,
	       "no grant yet");
	is_int(store_grant_touch(st, alice, "client-a", "openid email", 100),
	       OP_OK, "first sign-in at client-a");
	is_int(store_grant_get(st, alice, "client-a", &g), OP_OK, "get");
	is_int(g.user_id, alice, "user_id");
	is_str(g.client_id, "client-a", "client_id");
	is_str(g.scope, "openid email", "scope");
	is_int(g.first_at, 100, "first_at");
	is_int(g.last_at, 100, "last_at");
	grant_release(&g);
	ok(is_zero(&g, sizeof(g)), "release zeroes the record");

	is_int(store_grant_touch(st, alice, "client-a",
				 "profile openid email offline_access", 200),
	       OP_OK, "sign in again with more scope");
	grant_scope(st, alice, "client-a", scope, sizeof(scope));
	is_str(scope, "openid email profile offline_access",
	       "scopes merged: existing words, then the new ones, once");
	is_int(store_grant_get(st, alice, "client-a", &g), OP_OK, "get");
	is_int(g.first_at, 100, "first_at kept");
	is_int(g.last_at, 200, "last_at moved");
	grant_release(&g);
	store_grant_touch(st, alice, "client-a", "email", 210);
	grant_scope(st, alice, "client-a", scope, sizeof(scope));
	is_str(scope, "openid email profile offline_access",
	       "a narrower sign-in keeps the consented scope");

	store_grant_touch(st, alice, "client-b", "openid", 150);
	store_grant_touch(st, alice, "client-c", "openid", 50);
	store_grant_touch(st, bob, "client-c", "openid", 500);
	is_int(store_grant_list(st, alice, collect_grant, &seen), OP_OK,
	       "list");
	is_int(seen.n, 3, "alice has three grants");
	is_str(seen.ids[0], "client-a", "most recent first");
	is_str(seen.names[0], "Alpha", "with the client's name");
	is_int(seen.last[0], 210, "and last_at");
	is_str(seen.ids[1], "client-b", "then client-b");
	is_str(seen.names[1], "Beta", "Beta");
	is_str(seen.ids[2], "client-c", "then client-c");
	store_grant_touch(st, alice, "client-c", "openid", 300);
	memset(&seen, 0, sizeof(seen));
	store_grant_list(st, alice, collect_grant, &seen);
	is_str(seen.ids[0], "client-c", "a new sign-in moves it first");

	/* Delete forgets the consent and cuts the client's tokens. */
	ts.user_id = alice;
	ts.seed = "a-at-a";
	mktoken(st, &ts);
	ts.seed = "a-at-b";
	ts.client_id = "client-b";
	mktoken(st, &ts);
	ts.seed = "b-at-a";
	ts.client_id = "client-a";
	ts.user_id = bob;
	mktoken(st, &ts);
	is_int(store_grant_delete(st, alice, "client-a"), OP_OK,
	       "delete alice's grant at client-a");
	is_int(store_grant_get(st, alice, "client-a", &g), OP_E_NOTFOUND,
	       "grant gone");
	is_int(token_get(st, "a-at-a", 500), OP_E_NOTFOUND,
	       "alice's token at client-a revoked");
	is_int(token_get(st, "a-at-b", 500), OP_OK,
	       "alice's token at client-b kept");
	is_int(token_get(st, "b-at-a", 500), OP_OK,
	       "bob's token at client-a kept");
	ts.seed = "a-at-a-2";
	ts.user_id = alice;
	mktoken(st, &ts);
	is_int(store_grant_delete(st, alice, "client-a"), OP_E_NOTFOUND,
	       "delete again is NOTFOUND");
	is_int(token_get(st, "a-at-a-2", 500), OP_E_NOTFOUND,
	       "but the client's tokens are revoked all the same");

	is_int(store_grant_touch(st, alice, "client-a", "openid  email", 1),
	       OP_E_INVALID, "malformed scope refused");
	is_int(store_grant_touch(st, alice, "client-a", NULL, 1),
	       OP_E_INVALID, "NULL scope refused");
	is_int(store_grant_list(st, alice, NULL, NULL), OP_E_INVALID,
	       "NULL callback refused");
}

/* ---- the public session id ---- */

static int
first_sid(const struct session *s, void *arg)
{
	snprintf(arg, TOKEN_STR_LEN + 1, "%s", s->sid);
	return 1;
}

static void
t_session_sid(struct store *st)
{
	struct session s = { 0 }, got;
	char sid[TOKEN_STR_LEN + 1], listed[TOKEN_STR_LEN + 1] = "";
	int64_t alice;

	subtest("SessionSid");
	alice = mkuser(st, "alice");
	token_new(sid);
	mkhash("sess-1", s.hash);
	s.user_id = alice;
	s.created_at = 100;
	s.last_seen_at = 100;
	s.expires_at = 1000;
	s.auth_time = 100;
	memcpy(s.sid, sid, sizeof(s.sid));
	is_int(store_session_create(st, &s), OP_OK, "create with a sid");
	is_int(store_session_get(st, s.hash, 200, &got), OP_OK, "get");
	is_str(got.sid, sid, "sid round trip");
	session_release(&got);
	store_session_list_user(st, alice, 200, first_sid, listed);
	is_str(listed, sid, "list returns the sid");

	mkhash("sess-2", s.hash);
	s.sid[0] = '\0';
	is_int(store_session_create(st, &s), OP_OK, "create without a sid");
	is_int(store_session_get(st, s.hash, 200, &got), OP_OK, "get");
	is_str(got.sid, "", "no sid reads back as \"\"");
	session_release(&got);

	mkhash("sess-3", s.hash);
	memcpy(s.sid, "has space", 10);
	is_int(store_session_create(st, &s), OP_E_INVALID,
	       "sid with a space refused");
	memset(s.sid, 'a', sizeof(s.sid));
	is_int(store_session_create(st, &s), OP_E_INVALID,
	       "sid without its NUL refused");
	is_int(store_session_get(st, s.hash, 200, &got), OP_E_NOTFOUND,
	       "nothing refused was stored");
}

/* ---- collection ---- */

static void
t_gc(struct store *st)
{
	struct tokspec ts = { .kind = OAUTH_ACCESS, .client_id = "client-a",
			      .family_seed = "fam", .expires_at = 500 };
	struct authz_request r = { 0 }, got;
	int64_t alice;

	subtest("GarbageCollectOidc");
	alice = mkuser(st, "alice");
	mkclient(st, "client-a", "A", 100);
	mkhash("req-dead", r.id);
	r.params = (char *)"scope=openid";
	r.created_at = 100;
	r.expires_at = 500;
	store_authz_request_create(st, &r);
	mkhash("req-live", r.id);
	r.expires_at = 1000;
	store_authz_request_create(st, &r);
	mkcode(st, "code-dead", "client-a", alice, 500);
	mkcode(st, "code-live", "client-a", alice, 1000);
	mkcode(st, "code-spent", "client-a", alice, 500);
	consume_code(st, "code-spent", 200);
	ts.user_id = alice;
	ts.seed = "tok-dead";
	mktoken(st, &ts);
	ts.seed = "ref-dead";
	ts.kind = OAUTH_REFRESH;
	mktoken(st, &ts);
	use_refresh(st, "ref-dead", 200);
	ts.seed = "tok-live";
	ts.expires_at = 1000;
	mktoken(st, &ts);

	is_int(consume_code(st, "code-dead", 600), OP_E_EXPIRED,
	       "expired code is EXPIRED before gc");
	is_int(consume_code(st, "code-spent", 600), OP_E_CONFLICT,
	       "spent code is CONFLICT before gc");
	is_int(use_refresh(st, "ref-dead", 600), OP_E_CONFLICT,
	       "spent refresh token is CONFLICT before gc");
	mkhash("req-dead", r.id);
	is_int(store_authz_request_create(st, &r), OP_E_EXISTS,
	       "expired request still holds its id before gc");
	ts.seed = "tok-dead";
	is_int(mktoken(st, &ts), OP_E_EXISTS,
	       "expired token still holds its hash before gc");

	is_int(store_gc(st, 600), OP_OK, "gc at 600");
	is_int(consume_code(st, "code-dead", 600), OP_E_NOTFOUND,
	       "expired code collected");
	is_int(consume_code(st, "code-spent", 600), OP_E_NOTFOUND,
	       "expired spent code collected");
	is_int(use_refresh(st, "ref-dead", 600), OP_E_NOTFOUND,
	       "expired refresh token collected");
	is_int(store_authz_request_create(st, &r), OP_OK,
	       "expired request collected (its id is free)");
	is_int(mktoken(st, &ts), OP_OK,
	       "expired token collected (its hash is free)");
	is_int(consume_code(st, "code-live", 600), OP_OK, "live code kept");
	is_int(token_get(st, "tok-live", 600), OP_OK, "live token kept");
	mkhash("req-live", r.id);
	is_int(store_authz_request_get(st, r.id, 600, &got), OP_OK,
	       "live request kept");
	authz_request_release(&got);
}

/* ---- concurrency ---- */

#define N_RACES 100
#define N_TOUCHERS 4
#define N_TOUCHES 25

struct racer {
	struct store *st;
	pthread_barrier_t *barrier;
	char hash[TOKEN_HASH_LEN + 1];
	bool refresh;
	enum op_rc rc;
	bool record_ok;
};

static void *
worker_race(void *arg)
{
	struct racer *r = arg;
	struct oauth_token t;
	struct auth_code c;

	pthread_barrier_wait(r->barrier);
	if (r->refresh) {
		r->rc = store_token_use_refresh(r->st, r->hash, 500, &t);
		r->record_ok = t.family != NULL;
		oauth_token_release(&t);
	} else {
		r->rc = store_code_consume(r->st, r->hash, 150, &c);
		r->record_ok = c.client_id != NULL &&
			       strcmp(c.hash, r->hash) == 0;
		auth_code_release(&c);
	}
	return NULL;
}

/* Races two threads on one fresh code (or refresh token) per round;
 * counts the winners and the losers that saw CONFLICT with a record. */
static void
race(struct store *st, int64_t user_id, bool refresh, int *wins,
     int *conflicts)
{
	struct tokspec ts = { .kind = OAUTH_REFRESH, .client_id = "client-a",
			      .user_id = user_id, .family_seed = "fam",
			      .expires_at = 9000 };
	pthread_barrier_t barrier;
	struct racer r[2];
	pthread_t th[2];
	char seed[32];
	enum op_rc rc;
	int i, j;

	*wins = *conflicts = 0;
	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < N_RACES; i++) {
		snprintf(seed, sizeof(seed), "%s-%d", refresh ? "ref" : "code",
			 i);
		ts.seed = seed;
		rc = refresh ? mktoken(st, &ts)
			     : mkcode(st, seed, "client-a", user_id, 160);
		if (rc != OP_OK)
			continue;
		for (j = 0; j < 2; j++) {
			r[j] = (struct racer){ .st = st, .barrier = &barrier,
					       .refresh = refresh };
			mkhash(seed, r[j].hash);
			pthread_create(&th[j], NULL, worker_race, &r[j]);
		}
		for (j = 0; j < 2; j++)
			pthread_join(th[j], NULL);
		for (j = 0; j < 2; j++) {
			if (r[j].rc == OP_OK && r[j].record_ok)
				(*wins)++;
			else if (r[j].rc == OP_E_CONFLICT && r[j].record_ok)
				(*conflicts)++;
		}
	}
	pthread_barrier_destroy(&barrier);
}

struct toucher {
	struct store *st;
	int64_t user_id;
	int index;
	int errors;
};

static void *
worker_touch(void *arg)
{
	struct toucher *w = arg;
	char scope[32];
	int i;

	for (i = 0; i < N_TOUCHES; i++) {
		snprintf(scope, sizeof(scope), "openid w%d-%d", w->index, i);
		if (store_grant_touch(w->st, w->user_id, "client-a", scope,
				      100 + i) != OP_OK)
			w->errors++;
	}
	return NULL;
}

static void
t_concurrency(struct store *st)
{
	struct toucher w[N_TOUCHERS];
	pthread_t th[N_TOUCHERS];
	char scope[4096], word[32];
	int i, j, wins, conflicts, errors = 0, missing = 0;
	int64_t alice;

	subtest("ConcurrencyOidc");
	alice = mkuser(st, "alice");
	mkclient(st, "client-a", "A", 100);
	race(st, alice, false, &wins, &conflicts);
	is_int(wins, N_RACES, "%d races: each code consumed exactly once",
	       N_RACES);
	is_int(conflicts, N_RACES, "the loser always sees CONFLICT, filled");
	race(st, alice, true, &wins, &conflicts);
	is_int(wins, N_RACES,
	       "%d races: each refresh token used exactly once", N_RACES);
	is_int(conflicts, N_RACES, "the loser always sees CONFLICT, filled");

	for (i = 0; i < N_TOUCHERS; i++) {
		w[i] = (struct toucher){ .st = st, .user_id = alice,
					 .index = i };
		pthread_create(&th[i], NULL, worker_touch, &w[i]);
	}
	for (i = 0; i < N_TOUCHERS; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	is_int(errors, 0, "%d threads x %d grant touches without error",
	       N_TOUCHERS, N_TOUCHES);
	grant_scope(st, alice, "client-a", scope, sizeof(scope));
	for (i = 0; i < N_TOUCHERS; i++) {
		for (j = 0; j < N_TOUCHES; j++) {
			snprintf(word, sizeof(word), " w%d-%d", i, j);
			if (strstr(scope, word) == NULL)
				missing++;
		}
	}
	is_int(missing, 0, "concurrent touches lost no scope word");
	ok(strncmp(scope, "openid ", 7) == 0 &&
		   strstr(scope + 7, "openid") == NULL,
	   "and kept one \"openid\", first");
}

/* ---- the suite ---- */

static void
conformance_oidc_run(struct store_factory *f)
{
	printf("# conformance (OpenID Connect records): %s\n", f->name);
	run_one(f, "ClientCRUD", t_client_crud);
	run_one(f, "ClientDeleteCascades", t_client_delete);
	run_one(f, "Keys", t_keys);
	run_one(f, "AuthzRequest", t_authz_request);
	run_one(f, "CodeSingleUse", t_code_single_use);
	run_one(f, "Tokens", t_tokens);
	run_one(f, "Grants", t_grants);
	run_one(f, "SessionSid", t_session_sid);
	run_one(f, "GarbageCollectOidc", t_gc);
	run_one(f, "ConcurrencyOidc", t_concurrency);
}

int
main(void)
{
	struct sqlite_ctx ctx = { 0 };
	struct store_factory sqlite = {
		.name = "sqlite",
		.open_fresh = sqlite_open_fresh,
		.open_again = sqlite_open_again,
		.ctx = &ctx,
	};

	/* Backends log only real failures: let them show. */
	log_set_level(LOG_WARN);
	ctx.dir = tap_tmpdir();
	conformance_oidc_run(&sqlite);
	tap_rmdir(ctx.dir);
	xfree(ctx.path);
	xfree(ctx.dir);
	return done_testing();
}

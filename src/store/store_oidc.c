/*
 * store_oidc.c - the store facade, continued: the records of the OpenID
 * Connect provider (clients, signing keys, pending authorization
 * requests, codes, tokens, grants). As in store.c, each function checks
 * its arguments, zeroes its out-record, and only then forwards the call to
 * the backend (store/backend.h); bad input is OP_E_INVALID before any
 * backend code runs.
 *
 * What is acceptable is decided here, once for every backend:
 *   - client and key ids: 1..128 printable ASCII characters, no space;
 *   - client names: 1..100 characters of well-formed UTF-8, no control
 *     characters (C0, DEL, C1);
 *   - redirect URIs: one per line ("\n", no empty line, no trailing
 *     newline), each an absolute http:// or https:// URI (scheme in
 *     lower case) with an authority, no fragment, no space or control
 *     character, at most 2048 bytes;
 *   - ID token algorithms: RS256, ES256, EdDSA;
 *   - code, token, family and request hashes: 64 lower-case hex digits;
 *   - scopes: RFC 6749 scope tokens (printable ASCII but '"' and '\')
 *     separated by single spaces, 1..1024 bytes;
 *   - session ids: printable ASCII without space, at most 64 bytes.
 * The rule that merges scopes (store_scope_union) lives here too, so a
 * grant's scope means the same in every backend.
 */
#include <stdint.h>
#include <string.h>

#include "core/xmalloc.h"
#include "store/facade.h"
#include "store/store.h"

#define STORE_CLIENT_ID_MAX 128
#define STORE_CLIENT_NAME_CHARS 100
#define STORE_CLIENT_NAME_MAX (4 * STORE_CLIENT_NAME_CHARS)	/* bytes */
#define STORE_URI_MAX 2048
#define STORE_URIS_MAX (16 * 1024)
#define STORE_KID_MAX 128
#define STORE_PEM_MAX (16 * 1024)
#define STORE_JWK_MAX (16 * 1024)
#define STORE_PARAMS_MAX (16 * 1024)
#define STORE_SCOPE_MAX 1024
#define STORE_NONCE_MAX 512
#define STORE_CHALLENGE_MIN 43
#define STORE_CHALLENGE_MAX 128

/* ---- argument checks ---- */


/* One absolute http(s) URI of len bytes at p (not NUL-terminated). */
static bool
valid_uri(const char *p, size_t len)
{
	size_t i, skip;

	if (len > STORE_URI_MAX)
		return false;
	if (len >= 8 && memcmp(p, "https://", 8) == 0)
		skip = 8;
	else if (len >= 7 && memcmp(p, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	/* An authority must follow the "//". */
	if (len == skip || p[skip] == '/' || p[skip] == '?')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c <= ' ' || c >= 0x7f || c == '#')
			return false;
	}
	return true;
}

/* One or more valid_uri, one per line. */
static bool
valid_uri_list(const char *s)
{
	size_t n;

	if (!valid_str(s, STORE_URIS_MAX))
		return false;
	for (;;) {
		n = strcspn(s, "\n");
		if (!valid_uri(s, n))
			return false;
		if (s[n] == '\0')
			return true;
		s += n + 1;
	}
}

static bool
valid_alg(const char *alg)
{
	static const char *const algs[] = { "RS256", "ES256", "EdDSA" };
	size_t i;

	if (alg == NULL)
		return false;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i]) == 0)
			return true;
	return false;
}

/* Scope tokens (RFC 6749 section 3.3) separated by single spaces. */
static bool
valid_scope(const char *s)
{
	unsigned char c;
	size_t i;

	if (!valid_str(s, STORE_SCOPE_MAX) || s[0] == ' ')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		c = (unsigned char)s[i];
		if (c == ' ') {
			if (s[i + 1] == ' ' || s[i + 1] == '\0')
				return false;
		} else if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
			return false;
		}
	}
	return true;
}

/* NULL, or an S256 code challenge: RFC 7636 unreserved characters. */
static bool
valid_opt_challenge(const char *s)
{
	size_t i, len;

	if (s == NULL)
		return true;
	len = strnlen(s, STORE_CHALLENGE_MAX + 1);
	if (len < STORE_CHALLENGE_MIN || len > STORE_CHALLENGE_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return false;
	}
	return true;
}

static bool
valid_opt_sid(const char *sid)
{
	return sid == NULL || valid_ident(sid, STORE_SID_MAX);
}

static bool
valid_token_kind(enum oauth_token_kind kind)
{
	return kind == OAUTH_ACCESS || kind == OAUTH_REFRESH;
}

/* ---- scopes ---- */

/* True when the n bytes at w are one of the space-separated words of s. */
static bool
has_word(const char *s, const char *w, size_t n)
{
	size_t len;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		len = strcspn(s, " ");
		if (len == n && len > 0 && memcmp(s, w, n) == 0)
			return true;
		s += len;
	}
	return false;
}

/* Appends to out (of length *len) each word of s that out lacks. */
static void
add_words(char *out, size_t *len, const char *s)
{
	size_t n;

	while (s != NULL && *s != '\0') {
		while (*s == ' ')
			s++;
		n = strcspn(s, " ");
		if (n > 0) {
			out[*len] = '\0';
			if (!has_word(out, s, n)) {
				if (*len > 0)
					out[(*len)++] = ' ';
				memcpy(out + *len, s, n);
				*len += n;
			}
		}
		s += n;
	}
	out[*len] = '\0';
}

char *
store_scope_union(const char *have, const char *add)
{
	size_t len = 0, cap;
	char *out;

	cap = (have != NULL ? strlen(have) : 0) +
	      (add != NULL ? strlen(add) : 0) + 2;
	out = xmalloc(cap);
	out[0] = '\0';
	add_words(out, &len, have);
	add_words(out, &len, add);
	return out;
}

/* ---- clients ---- */

void
client_release(struct client *c)
{
	if (c == NULL)
		return;
	xfree(c->client_id);
	xfreestr_secret(c->secret_hash);
	xfree(c->name);
	xfree(c->redirect_uris);
	xfree(c->post_logout_uris);
	xfree(c->id_token_alg);
	memset(c, 0, sizeof(*c));
}

enum op_rc
store_client_create(struct store *st, const struct client *c)
{
	if (st == NULL || c == NULL)
		REFUSE("argument");
	if (!valid_ident(c->client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	if (c->secret_hash != NULL && !valid_hash(c->secret_hash))
		REFUSE("secret_hash");
	if (!valid_text(c->name, STORE_CLIENT_NAME_MAX,
			STORE_CLIENT_NAME_CHARS))
		REFUSE("name");
	if (!valid_uri_list(c->redirect_uris))
		REFUSE("redirect_uris");
	if (c->post_logout_uris != NULL && c->post_logout_uris[0] != '\0' &&
	    !valid_uri_list(c->post_logout_uris))
		REFUSE("post_logout_uris");
	if (!valid_alg(c->id_token_alg))
		REFUSE("id_token_alg");
	return st->be->client_create(st->h, c);
}

enum op_rc
store_client_get(struct store *st, const char *client_id, struct client *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	return st->be->client_get(st->h, client_id, out);
}

enum op_rc
store_client_by_name(struct store *st, const char *name, struct client *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_text(name, STORE_CLIENT_NAME_MAX, STORE_CLIENT_NAME_CHARS))
		REFUSE("name");
	return st->be->client_by_name(st->h, name, out);
}

enum op_rc
store_client_list(struct store *st,
		  int (*cb)(const struct client *c, void *arg), void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	return st->be->client_list(st->h, cb, arg);
}

enum op_rc
store_client_delete(struct store *st, const char *client_id)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	return st->be->client_delete(st->h, client_id);
}

/* ---- signing keys ---- */

void
signing_key_release(struct signing_key *k)
{
	if (k == NULL)
		return;
	xfree(k->kid);
	xfree(k->alg);
	xfreestr_secret(k->private_key);
	xfree(k->public_jwk);
	memset(k, 0, sizeof(*k));
}

enum op_rc
store_key_add(struct store *st, const struct signing_key *k)
{
	if (st == NULL || k == NULL)
		REFUSE("argument");
	if (!valid_ident(k->kid, STORE_KID_MAX))
		REFUSE("kid");
	if (!valid_alg(k->alg))
		REFUSE("alg");
	if (!valid_str(k->private_key, STORE_PEM_MAX))
		REFUSE("private_key");
	if (!valid_str(k->public_jwk, STORE_JWK_MAX))
		REFUSE("public_jwk");
	if (k->retired_at < 0)
		REFUSE("retired_at");
	return st->be->key_add(st->h, k);
}

enum op_rc
store_key_list(struct store *st,
	       int (*cb)(const struct signing_key *k, void *arg), void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	return st->be->key_list(st->h, cb, arg);
}

enum op_rc
store_key_retire(struct store *st, const char *kid, int64_t now)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_ident(kid, STORE_KID_MAX))
		REFUSE("kid");
	/* retired_at 0 reads as "still published". */
	if (now <= 0)
		REFUSE("now");
	return st->be->key_retire(st->h, kid, now);
}

/* ---- pending authorization requests ---- */

void
authz_request_release(struct authz_request *r)
{
	if (r == NULL)
		return;
	xfree(r->params);
	memset(r, 0, sizeof(*r));
}

enum op_rc
store_authz_request_create(struct store *st, const struct authz_request *r)
{
	if (st == NULL || r == NULL)
		REFUSE("argument");
	if (!valid_hash(r->id))
		REFUSE("id");
	if (!valid_line(r->params, STORE_PARAMS_MAX))
		REFUSE("params");
	return st->be->authz_request_create(st->h, r);
}

enum op_rc
store_authz_request_get(struct store *st, const char *id, int64_t now,
			struct authz_request *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(id))
		REFUSE("id");
	return st->be->authz_request_get(st->h, id, now, out);
}

enum op_rc
store_authz_request_delete(struct store *st, const char *id)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(id))
		REFUSE("id");
	return st->be->authz_request_delete(st->h, id);
}

/* ---- authorization codes ---- */

void
auth_code_release(struct auth_code *c)
{
	if (c == NULL)
		return;
	xfree(c->client_id);
	xfree(c->redirect_uri);
	xfree(c->scope);
	xfree(c->nonce);
	xfree(c->code_challenge);
	xfree(c->sid);
	memset(c, 0, sizeof(*c));
}

enum op_rc
store_code_create(struct store *st, const struct auth_code *c)
{
	if (st == NULL || c == NULL)
		REFUSE("argument");
	if (!valid_hash(c->hash))
		REFUSE("hash");
	if (!valid_ident(c->client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	if (c->user_id <= 0)
		REFUSE("user_id");
	if (!valid_str(c->redirect_uri, STORE_URI_MAX) ||
	    !valid_uri(c->redirect_uri, strlen(c->redirect_uri)))
		REFUSE("redirect_uri");
	if (!valid_scope(c->scope))
		REFUSE("scope");
	if (c->nonce != NULL &&
	    !valid_text(c->nonce, STORE_NONCE_MAX, STORE_NONCE_MAX))
		REFUSE("nonce");
	if (!valid_opt_challenge(c->code_challenge))
		REFUSE("code_challenge");
	if (!valid_opt_sid(c->sid))
		REFUSE("sid");
	return st->be->code_create(st->h, c);
}

enum op_rc
store_code_consume(struct store *st, const char *hash, int64_t now,
		   struct auth_code *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->code_consume(st->h, hash, now, out);
}

/* ---- access and refresh tokens ---- */

void
oauth_token_release(struct oauth_token *t)
{
	if (t == NULL)
		return;
	xfree(t->client_id);
	xfree(t->scope);
	xfree(t->family);
	xfree(t->sid);
	memset(t, 0, sizeof(*t));
}

enum op_rc
store_token_create(struct store *st, const struct oauth_token *t)
{
	if (st == NULL || t == NULL)
		REFUSE("argument");
	if (!valid_hash(t->hash))
		REFUSE("hash");
	if (!valid_token_kind(t->kind))
		REFUSE("kind");
	if (!valid_ident(t->client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	if (t->user_id <= 0)
		REFUSE("user_id");
	if (!valid_scope(t->scope))
		REFUSE("scope");
	if (!valid_hash(t->family))
		REFUSE("family");
	if (!valid_opt_sid(t->sid))
		REFUSE("sid");
	return st->be->token_create(st->h, t);
}

enum op_rc
store_token_get(struct store *st, const char *hash, int64_t now,
		struct oauth_token *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->token_get(st->h, hash, now, out);
}

enum op_rc
store_token_use_refresh(struct store *st, const char *hash, int64_t now,
			struct oauth_token *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->token_use_refresh(st->h, hash, now, out);
}

enum op_rc
store_token_revoke(struct store *st, const char *hash)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->token_revoke(st->h, hash);
}

enum op_rc
store_token_revoke_family(struct store *st, const char *family)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(family))
		REFUSE("family");
	return st->be->token_revoke_family(st->h, family);
}

enum op_rc
store_token_revoke_grant(struct store *st, int64_t user_id,
			 const char *client_id)
{
	if (st == NULL || user_id <= 0)
		REFUSE("argument");
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	return st->be->token_revoke_grant(st->h, user_id, client_id);
}

enum op_rc
store_token_revoke_sid(struct store *st, const char *sid)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_ident(sid, STORE_SID_MAX))
		REFUSE("sid");
	return st->be->token_revoke_sid(st->h, sid);
}

/* ---- grants ---- */

void
grant_release(struct grant *g)
{
	if (g == NULL)
		return;
	xfree(g->client_id);
	xfree(g->client_name);
	xfree(g->scope);
	memset(g, 0, sizeof(*g));
}

enum op_rc
store_grant_touch(struct store *st, int64_t user_id, const char *client_id,
		  const char *scope, int64_t now)
{
	if (st == NULL || user_id <= 0)
		REFUSE("argument");
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	if (!valid_scope(scope))
		REFUSE("scope");
	return st->be->grant_touch(st->h, user_id, client_id, scope, now);
}

enum op_rc
store_grant_get(struct store *st, int64_t user_id, const char *client_id,
		struct grant *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (user_id <= 0)
		REFUSE("user_id");
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	return st->be->grant_get(st->h, user_id, client_id, out);
}

enum op_rc
store_grant_list(struct store *st, int64_t user_id,
		 int (*cb)(const struct grant *g, void *arg), void *arg)
{
	if (st == NULL || user_id <= 0 || cb == NULL)
		REFUSE("argument");
	return st->be->grant_list(st->h, user_id, cb, arg);
}

enum op_rc
store_grant_delete(struct store *st, int64_t user_id, const char *client_id)
{
	if (st == NULL || user_id <= 0)
		REFUSE("argument");
	if (!valid_ident(client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	return st->be->grant_delete(st->h, user_id, client_id);
}

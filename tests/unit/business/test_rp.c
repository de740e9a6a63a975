/*
 * test_rp.c - the OpenID Connect relying party (business/rp*.c) against a
 * fake provider served in-process by the project's own HTTP layer on
 * 127.0.0.1:0: discovery (issuer check, caching, refresh, redirects not
 * followed, size cap), the authorization URL (PKCE S256, encoding, an
 * endpoint with a query), the code exchange (form, client_secret_basic
 * with form-urlencoded credentials, provider errors), ID token validation
 * (every claim rule, RS256/ES256/EdDSA, "none", HS256, forged signatures,
 * kid handling, JWKS rotation and the refetch limiter), the logout URL,
 * seeding a cache without network, and concurrent validation.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "business/rp.h"
#include "business/rp_internal.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "crypto/jose.h"
#include "http/http.h"
#include "support/tap.h"

#define T0 ((int64_t)1700000000)
#define CLIENT_ID "portal:1"
#define CLIENT_SECRET "s3cr:t p@ss+/\xc3\xa9"
#define REDIRECT_URI "http://127.0.0.1:9/cb?x=1&y=2"
#define NONCE "n-0123456789abcdef"
#define HUGE_BYTES (300 * 1024)

static int64_t now_val = T0;

/* Shows why a call was refused, as a TAP comment. */
static void
diag_msg(const char *msg)
{
	if (msg[0] != '\0')
		printf("#   %s\n", msg);
}

static int64_t
fake_now(void)
{
	return now_val;
}

/* ---- the fake provider ---- */

enum disc_mode {
	DISC_OK,
	DISC_WRONG_ISS,		/* the issuer with a "/" added */
	DISC_NO_JWKS,
	DISC_BAD_JWKS_URI,	/* ftp:// */
	DISC_NO_END_SESSION,
	DISC_HUGE,
	DISC_REDIRECT,
	DISC_500,
	DISC_NOT_JSON,
};

static struct {
	pthread_mutex_t mu;
	char base[64];		/* http://127.0.0.1:PORT */
	enum disc_mode disc;
	char *jwks;		/* the JWKS document served */
	int jwks_status;	/* 0: 200 */
	bool jwks_huge;
	int token_status;	/* 0: 200 */
	char *token_body;
	bool token_huge;
	int n_disc, n_jwks, n_token;
	/* The last token request. */
	char *grant_type, *code, *redirect_uri, *verifier, *user, *pass;
	char *form_client_id;
} fake = { .mu = PTHREAD_MUTEX_INITIALIZER };

static void
set_str(char **dst, const char *s)
{
	xfree(*dst);
	*dst = s != NULL ? xstrdup(s) : NULL;
}

static int
counter(const int *n)
{
	int v;

	pthread_mutex_lock(&fake.mu);
	v = *n;
	pthread_mutex_unlock(&fake.mu);
	return v;
}

static void
huge_json(struct buf *b)
{
	size_t i;

	buf_adds(b, "{\"pad\":\"");
	for (i = 0; i < HUGE_BYTES; i++)
		buf_addch(b, 'x');
	buf_adds(b, "\"}");
}

static void
h_discovery(struct request *req)
{
	const char *iss = fake.base;
	const char *jwks = arena_asprintf(req->arena, "%s/jwks", fake.base);
	bool end = true;

	pthread_mutex_lock(&fake.mu);
	fake.n_disc++;
	req->content_type = "application/json";
	if (strncmp(req->path, "/tenant/", 8) == 0)
		iss = arena_asprintf(req->arena, "%s/tenant/", fake.base);
	switch (fake.disc) {
	case DISC_WRONG_ISS:
		iss = arena_asprintf(req->arena, "%s/", fake.base);
		break;
	case DISC_NO_JWKS:
		jwks = NULL;
		break;
	case DISC_BAD_JWKS_URI:
		jwks = "ftp://127.0.0.1/jwks";
		break;
	case DISC_NO_END_SESSION:
		end = false;
		break;
	case DISC_HUGE:
		huge_json(&req->body);
		goto out;
	case DISC_REDIRECT:
		response_redirect(req, 302, "/.well-known/real");
		goto out;
	case DISC_500:
		req->status = 500;
		buf_adds(&req->body, "{}");
		goto out;
	case DISC_NOT_JSON:
		buf_adds(&req->body, "<html>hello</html>");
		goto out;
	case DISC_OK:
		break;
	}
	buf_addf(&req->body,
		 "{\"issuer\":\"%s\",\"authorization_endpoint\":"
		 "\"%s/authorize?tenant=a\",\"token_endpoint\":\"%s/token\","
		 "\"response_types_supported\":[\"code\"]",
		 iss, fake.base, fake.base);
	if (jwks != NULL)
		buf_addf(&req->body, ",\"jwks_uri\":\"%s\"", jwks);
	if (end)
		buf_addf(&req->body, ",\"end_session_endpoint\":"
			 "\"%s/logout\"", fake.base);
	buf_adds(&req->body, "}");
out:
	pthread_mutex_unlock(&fake.mu);
}

static void
h_jwks(struct request *req)
{
	pthread_mutex_lock(&fake.mu);
	fake.n_jwks++;
	req->content_type = "application/json";
	if (fake.jwks_status != 0)
		req->status = fake.jwks_status;
	if (fake.jwks_huge)
		huge_json(&req->body);
	else
		buf_adds(&req->body, fake.jwks != NULL ? fake.jwks : "{}");
	pthread_mutex_unlock(&fake.mu);
}

/* Decodes "Basic base64(user:pass)" and form-decodes both halves. */
static void
record_basic(struct request *req)
{
	const char *h = request_header(req, "Authorization");
	char dec[512], *colon, *q;
	size_t n = 0;
	struct params p;

	set_str(&fake.user, NULL);
	set_str(&fake.pass, NULL);
	if (h == NULL || strncmp(h, "Basic ", 6) != 0 ||
	    sodium_base642bin((unsigned char *)dec, sizeof(dec) - 1, h + 6,
			      strlen(h + 6), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0)
		return;
	dec[n] = '\0';
	colon = strchr(dec, ':');
	if (colon == NULL)
		return;
	*colon = '\0';
	q = arena_asprintf(req->arena, "u=%s&p=%s", dec, colon + 1);
	if (form_parse(req->arena, q, strlen(q), 4, &p) != OP_OK)
		return;
	set_str(&fake.user, params_get(&p, "u"));
	set_str(&fake.pass, params_get(&p, "p"));
}

static void
h_token(struct request *req)
{
	pthread_mutex_lock(&fake.mu);
	fake.n_token++;
	set_str(&fake.grant_type, params_get(&req->form, "grant_type"));
	set_str(&fake.code, params_get(&req->form, "code"));
	set_str(&fake.redirect_uri, params_get(&req->form, "redirect_uri"));
	set_str(&fake.verifier, params_get(&req->form, "code_verifier"));
	set_str(&fake.form_client_id, params_get(&req->form, "client_id"));
	record_basic(req);
	req->content_type = "application/json";
	if (fake.token_status != 0)
		req->status = fake.token_status;
	if (fake.token_huge)
		huge_json(&req->body);
	else
		buf_adds(&req->body,
			 fake.token_body != NULL ? fake.token_body : "");
	pthread_mutex_unlock(&fake.mu);
}

static const struct route fake_routes[] = {
	{ HTTP_GET, "/.well-known/openid-configuration", h_discovery, 0 },
	{ HTTP_GET, "/tenant/.well-known/openid-configuration", h_discovery,
	  0 },
	{ HTTP_GET, "/.well-known/real", h_discovery, 0 },
	{ HTTP_GET, "/jwks", h_jwks, 0 },
	{ HTTP_POST, "/token", h_token, ROUTE_FORM },
};

static void
fake_error(struct request *req, int status, const char *msg)
{
	req->status = status;
	buf_addf(&req->body, "{\"error\":\"%d %s\"}", status, msg);
}

static const struct site fake_site = {
	.name = "fake-op",
	.routes = fake_routes,
	.n_routes = sizeof(fake_routes) / sizeof(fake_routes[0]),
	.error_page = fake_error,
};

static void
fake_reset(void)
{
	pthread_mutex_lock(&fake.mu);
	fake.disc = DISC_OK;
	fake.jwks_status = 0;
	fake.jwks_huge = false;
	fake.token_status = 0;
	fake.token_huge = false;
	set_str(&fake.token_body, NULL);
	pthread_mutex_unlock(&fake.mu);
}

/* ---- keys and tokens ---- */

static struct jose_key *k_rsa, *k_ec, *k_ed, *k_ed2, *k_rogue, *k_ec_enc;
static EVP_PKEY *raw_ed;	/* an Ed25519 key signing hand-made tokens */
static char *raw_ed_jwk;	/* its JWK, without a kid */

static char *
b64url(const void *p, size_t n)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	jose_b64url_add(&b, p, n);
	return buf_detach(&b, NULL);
}

static int
dump_cb(const char *p, size_t n, void *data)
{
	return buf_add(data, p, n);
}

/* Returns the compact JSON of o (caller xfrees); takes o. */
static char *
json_str(json_t *o)
{
	struct buf b;

	buf_init(&b, 1024 * 1024);
	json_dump_callback(o, dump_cb, &b, JSON_COMPACT);
	json_decref(o);
	return buf_detach(&b, NULL);
}

static char *
public_jwk(const struct jose_key *k)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	jose_key_public_jwk(k, &b);
	return buf_detach(&b, NULL);
}

/* k's public JWK with member set to value (NULL: removed). */
static char *
jwk_with(const struct jose_key *k, const char *member, const char *value)
{
	char *s = public_jwk(k);
	json_t *o = json_loads(s, 0, NULL);

	xfree(s);
	if (value == NULL)
		json_object_del(o, member);
	else
		json_object_set_new(o, member, json_string(value));
	return json_str(o);
}

/* {"keys":[...]} of the given JWK texts (NULL-terminated), into fake. */
static void
serve_jwks(const char *first, ...)
{
	struct buf b;
	const char *s;
	va_list ap;

	buf_init(&b, 1024 * 1024);
	buf_adds(&b, "{\"keys\":[");
	va_start(ap, first);
	for (s = first; s != NULL; s = va_arg(ap, const char *)) {
		if (s != first)
			buf_addch(&b, ',');
		buf_adds(&b, s);
	}
	va_end(ap);
	buf_adds(&b, "]}");
	pthread_mutex_lock(&fake.mu);
	xfree(fake.jwks);
	fake.jwks = buf_detach(&b, NULL);
	pthread_mutex_unlock(&fake.mu);
}

static char *jwk_rsa, *jwk_ec, *jwk_ed, *jwk_ed2, *jwk_ec_enc;

static void
keys_make(void)
{
	unsigned char pub[32];
	size_t n = sizeof(pub);
	char *x;

	if (jose_key_generate(JOSE_RS256, &k_rsa, NULL) != OP_OK ||
	    jose_key_generate(JOSE_ES256, &k_ec, NULL) != OP_OK ||
	    jose_key_generate(JOSE_EDDSA, &k_ed, NULL) != OP_OK ||
	    jose_key_generate(JOSE_EDDSA, &k_ed2, NULL) != OP_OK ||
	    jose_key_generate(JOSE_EDDSA, &k_rogue, NULL) != OP_OK ||
	    jose_key_generate(JOSE_ES256, &k_ec_enc, NULL) != OP_OK)
		fatalx("key generation failed");
	jwk_rsa = public_jwk(k_rsa);
	jwk_ec = public_jwk(k_ec);
	jwk_ed = public_jwk(k_ed);
	jwk_ed2 = public_jwk(k_ed2);
	jwk_ec_enc = jwk_with(k_ec_enc, "use", "enc");
	raw_ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (raw_ed == NULL ||
	    EVP_PKEY_get_raw_public_key(raw_ed, pub, &n) != 1)
		fatalx("raw Ed25519 key failed");
	x = b64url(pub, n);
	raw_ed_jwk = xasprintf("{\"kty\":\"OKP\",\"crv\":\"Ed25519\","
			       "\"x\":\"%s\"}", x);
	xfree(x);
}

static void
keys_free(void)
{
	jose_key_free(k_rsa);
	jose_key_free(k_ec);
	jose_key_free(k_ed);
	jose_key_free(k_ed2);
	jose_key_free(k_rogue);
	jose_key_free(k_ec_enc);
	EVP_PKEY_free(raw_ed);
	xfree(raw_ed_jwk);
	xfree(jwk_rsa);
	xfree(jwk_ec);
	xfree(jwk_ed);
	xfree(jwk_ed2);
	xfree(jwk_ec_enc);
}

/* The claims of a good token for the fake (a new reference). */
static json_t *
claims_good(void)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:s, s:b, s:I}",
			 "iss", fake.base, "aud", CLIENT_ID, "exp",
			 (json_int_t)(now_val + 300), "iat",
			 (json_int_t)now_val, "nonce", NONCE, "sub", "user-42",
			 "email", "ada@example.com", "email_verified", 1,
			 "auth_time", (json_int_t)(now_val - 10));
}

/* A token signed by k over claims (taken); caller xfrees. */
static char *
tok_sign(const struct jose_key *k, json_t *claims)
{
	char *payload = json_str(claims);
	struct buf b;

	buf_init(&b, 64 * 1024);
	if (jose_sign(k, "JWT", payload, strlen(payload), &b, NULL) != OP_OK)
		fatalx("jose_sign failed");
	xfree(payload);
	return buf_detach(&b, NULL);
}

/* A hand-made token: header and payload as given, signed by raw_ed when
 * sign, else with sig as the signature bytes. */
static char *
tok_raw(const char *header, const char *payload, bool sign, const char *sig)
{
	char *h = b64url(header, strlen(header));
	char *p = b64url(payload, strlen(payload));
	char *input = xasprintf("%s.%s", h, p), *s, *out;
	unsigned char edsig[64];
	size_t n = sizeof(edsig);
	EVP_MD_CTX *md;

	if (sign) {
		md = EVP_MD_CTX_new();
		if (md == NULL ||
		    EVP_DigestSignInit(md, NULL, NULL, NULL, raw_ed) != 1 ||
		    EVP_DigestSign(md, edsig, &n, (unsigned char *)input,
				   strlen(input)) != 1)
			fatalx("EdDSA signing failed");
		EVP_MD_CTX_free(md);
		s = b64url(edsig, n);
	} else {
		s = b64url(sig, strlen(sig));
	}
	out = xasprintf("%s.%s", input, s);
	xfree(h);
	xfree(p);
	xfree(input);
	xfree(s);
	return out;
}

static struct rp_cache *
cache_new(void)
{
	struct rp_cache_config cfg = { .timeout_sec = 5, .now = fake_now };

	return rp_cache_new(&cfg);
}

/* rp_validate_id_token of tok (taken) against the fake; the identity is
 * checked against the good claims when the answer is OP_OK. */
static enum op_rc
validate(struct rp_cache *c, char *tok, struct op_err *err)
{
	struct arena *a = arena_new();
	struct rp_identity id;
	enum op_rc rc;

	err->msg[0] = '\0';
	rc = rp_validate_id_token(c, fake.base, CLIENT_ID, NONCE, tok, a, &id,
				  err);
	if (rc == OP_OK && (id.subject == NULL ||
			    strcmp(id.subject, "user-42") != 0 ||
			    strcmp(id.issuer, fake.base) != 0 ||
			    strcmp(id.id_token, tok) != 0))
		rc = OP_E_INTERNAL;	/* a wrong identity fails the check */
	if (rc != OP_OK && id.subject != NULL)
		rc = OP_E_INTERNAL;	/* a refusal must leave no identity */
	arena_free(a);
	xfree(tok);
	return rc;
}

/* ---- tests ---- */

static bool
b64url_43(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return false;
	return i == 43;
}

static void
test_auth_url(void)
{
	struct rp_request r1, r2;
	struct rp_endpoints e = { .authorization_endpoint =
					  "https://op.example/auth?tenant=a" };
	struct rp_auth_params p = { .client_id = CLIENT_ID,
				    .redirect_uri = REDIRECT_URI,
				    .scope = "openid email",
				    .prompt = "login",
				    .max_age = 300,
				    .req = &r1 };
	struct arena *a = arena_new();
	struct params q;
	const char *u, *qs;

	subtest("state, nonce, verifier and the authorization URL");
	rp_request_new(&r1);
	rp_request_new(&r2);
	ok(b64url_43(r1.state) && b64url_43(r1.nonce) &&
		   b64url_43(r1.verifier),
	   "state, nonce and verifier are 43 base64url chars");
	ok(strcmp(r1.state, r1.nonce) != 0 &&
		   strcmp(r1.nonce, r1.verifier) != 0 &&
		   strcmp(r1.state, r2.state) != 0,
	   "they are all different");

	u = rp_auth_url(a, &e, &p);
	ok(strncmp(u, "https://op.example/auth?tenant=a&response_type=code&",
		   52) == 0,
	   "the endpoint's query is kept and joined with '&'");
	qs = strchr(u, '?') + 1;
	ok(strchr(u, ' ') == NULL && strstr(u, "openid%20email") != NULL,
	   "values are percent-encoded");
	is_int(form_parse(a, qs, strlen(qs), 32, &q), OP_OK,
	       "the query parses");
	is_str(params_get(&q, "tenant"), "a", "tenant kept");
	is_str(params_get(&q, "response_type"), "code", "response_type");
	is_str(params_get(&q, "client_id"), CLIENT_ID, "client_id");
	is_str(params_get(&q, "redirect_uri"), REDIRECT_URI, "redirect_uri");
	is_str(params_get(&q, "scope"), "openid email", "scope");
	is_str(params_get(&q, "state"), r1.state, "state");
	is_str(params_get(&q, "nonce"), r1.nonce, "nonce");
	is_str(params_get(&q, "code_challenge_method"), "S256", "S256");
	ok(params_get(&q, "code_challenge") != NULL &&
		   jose_pkce_s256_ok(r1.verifier,
				     params_get(&q, "code_challenge")),
	   "code_challenge is S256 of the verifier");
	ok(!jose_pkce_s256_ok(r2.verifier, params_get(&q, "code_challenge")),
	   "and not of another verifier");
	is_str(params_get(&q, "prompt"), "login", "prompt");
	is_str(params_get(&q, "max_age"), "300", "max_age");
	is_int(q.n, 11, "nothing else");

	e.authorization_endpoint = "https://op.example/auth";
	p.prompt = NULL;
	p.max_age = -1;
	u = rp_auth_url(a, &e, &p);
	ok(strncmp(u, "https://op.example/auth?response_type=code&", 43) == 0,
	   "no query: joined with '?'");
	ok(strstr(u, "prompt=") == NULL && strstr(u, "max_age=") == NULL,
	   "no prompt, no max_age when unset");
	p.max_age = 0;
	u = rp_auth_url(a, &e, &p);
	ok(strstr(u, "&max_age=0") != NULL, "max_age 0 is sent");
	e.authorization_endpoint = "https://op.example/auth?";
	u = rp_auth_url(a, &e, &p);
	ok(strncmp(u, "https://op.example/auth?response_type=code&", 43) == 0,
	   "an endpoint ending in '?' gets no second separator");
	arena_free(a);
}

static void
test_logout_url(void)
{
	struct rp_endpoints e = { .end_session_endpoint =
					  "https://op.example/logout" };
	struct arena *a = arena_new();
	struct params q;
	const char *u;

	subtest("logout URL");
	u = rp_logout_url(a, &e, "aaa.bbb.ccc", CLIENT_ID,
			  "https://biz.example/bye?x=1&y=2");
	ok(strncmp(u, "https://op.example/logout?id_token_hint=aaa.bbb.ccc&",
		   52) == 0, "id_token_hint first, after '?'");
	is_int(form_parse(a, strchr(u, '?') + 1, strlen(strchr(u, '?') + 1),
			  8, &q), OP_OK, "the query parses");
	is_str(params_get(&q, "client_id"), CLIENT_ID, "client_id");
	is_str(params_get(&q, "post_logout_redirect_uri"),
	       "https://biz.example/bye?x=1&y=2", "post_logout_redirect_uri");
	is_int(q.n, 3, "three parameters");
	e.end_session_endpoint = "https://op.example/logout?t=1";
	u = rp_logout_url(a, &e, "t", CLIENT_ID, NULL);
	is_str(u, "https://op.example/logout?t=1&id_token_hint=t"
		  "&client_id=portal%3A1", "joined to an existing query");
	e.end_session_endpoint = NULL;
	ok(rp_logout_url(a, &e, "t", CLIENT_ID, "https://b/") == NULL,
	   "NULL without an end_session_endpoint");
	arena_free(a);
}

static int
dead_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM, 0), port = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s >= 0 && bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (s >= 0)
		close(s);	/* nobody listens there now */
	return port;
}

static void
disc_refused(enum disc_mode m, const char *what)
{
	struct rp_cache *c = cache_new();
	struct arena *a = arena_new();
	struct rp_endpoints e;
	struct op_err err = { .msg = "" };

	pthread_mutex_lock(&fake.mu);
	fake.disc = m;
	pthread_mutex_unlock(&fake.mu);
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_E_INTERNAL,
	       "discovery refused: %s", what);
	diag_msg(err.msg);
	ok(e.token_endpoint == NULL, "no endpoints (%s)", what);
	fake_reset();
	arena_free(a);
	rp_cache_free(c);
}

static void
test_discovery(void)
{
	struct rp_cache *c = cache_new();
	struct arena *a = arena_new();
	struct rp_endpoints e;
	struct op_err err = { .msg = "" };
	char *want, *iss;
	int n0;

	subtest("discovery");
	n0 = counter(&fake.n_disc);
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_OK,
	       "good discovery");
	is_str(e.issuer, fake.base, "issuer");
	want = xasprintf("%s/authorize?tenant=a", fake.base);
	is_str(e.authorization_endpoint, want, "authorization_endpoint");
	xfree(want);
	want = xasprintf("%s/token", fake.base);
	is_str(e.token_endpoint, want, "token_endpoint");
	xfree(want);
	want = xasprintf("%s/logout", fake.base);
	is_str(e.end_session_endpoint, want, "end_session_endpoint");
	xfree(want);
	is_int(counter(&fake.n_disc), n0 + 1, "one fetch");

	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_OK, "again");
	now_val += RP_DISCOVERY_TTL_SEC - 1;
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_OK,
	       "again, 59:59 later");
	is_int(counter(&fake.n_disc), n0 + 1, "served from the cache");
	now_val += 1;
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_OK,
	       "again, an hour later");
	is_int(counter(&fake.n_disc), n0 + 2, "refreshed after an hour");

	pthread_mutex_lock(&fake.mu);
	fake.disc = DISC_NO_END_SESSION;
	pthread_mutex_unlock(&fake.mu);
	now_val += RP_DISCOVERY_TTL_SEC;
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_OK,
	       "refresh without an end_session_endpoint");
	ok(e.end_session_endpoint == NULL, "end_session_endpoint is NULL");
	fake_reset();

	pthread_mutex_lock(&fake.mu);
	fake.disc = DISC_500;
	pthread_mutex_unlock(&fake.mu);
	now_val += RP_DISCOVERY_TTL_SEC;
	is_int(rp_endpoints(c, fake.base, a, &e, &err), OP_E_INTERNAL,
	       "a failed refresh is an error");
	fake_reset();
	rp_cache_free(c);

	/* An issuer with a path and a trailing "/": the well-known URL
	 * drops the "/", the issuer is compared as given. */
	c = cache_new();
	iss = xasprintf("%s/tenant/", fake.base);
	is_int(rp_endpoints(c, iss, a, &e, &err), OP_OK,
	       "issuer with a path and a trailing '/'");
	is_str(e.issuer, iss, "its issuer");
	xfree(iss);
	rp_cache_free(c);

	disc_refused(DISC_WRONG_ISS, "issuer differs by a trailing '/'");
	disc_refused(DISC_NO_JWKS, "no jwks_uri");
	disc_refused(DISC_BAD_JWKS_URI, "jwks_uri is ftp://");
	disc_refused(DISC_HUGE, "a 300 KiB document");
	disc_refused(DISC_REDIRECT, "a redirect (not followed)");
	disc_refused(DISC_500, "HTTP 500");
	disc_refused(DISC_NOT_JSON, "not JSON");

	c = cache_new();
	iss = xasprintf("http://127.0.0.1:%d", dead_port());
	is_int(rp_endpoints(c, iss, a, &e, &err), OP_E_INTERNAL,
	       "an unreachable provider");
	xfree(iss);
	is_int(rp_endpoints(c, "ftp://127.0.0.1/", a, &e, &err),
	       OP_E_INTERNAL, "an ftp:// issuer");
	is_int(rp_endpoints(c, "https://a.example/x?y=1", a, &e, &err),
	       OP_E_INTERNAL, "an issuer with a query");
	rp_cache_free(c);
	arena_free(a);
}

static void token_body(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void
token_body(const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *s;

	buf_init(&b, 1024 * 1024);
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	s = buf_detach(&b, NULL);
	pthread_mutex_lock(&fake.mu);
	set_str(&fake.token_body, s);
	pthread_mutex_unlock(&fake.mu);
	xfree(s);
}

static enum op_rc
finish(struct rp_cache *c, const struct rp_request *req, struct op_err *err,
       struct rp_identity *id, struct arena *a)
{
	struct rp_endpoints e;
	struct rp_client cl = { .client_id = CLIENT_ID,
				.client_secret = CLIENT_SECRET,
				.redirect_uri = REDIRECT_URI };
	enum op_rc rc;

	err->msg[0] = '\0';
	rc = rp_endpoints(c, fake.base, a, &e, err);
	if (rc != OP_OK)
		return rc;
	return rp_finish(c, &e, &cl, "code/with+chars", req, a, id, err);
}

static void
test_finish(void)
{
	struct rp_cache *c = cache_new();
	struct arena *a = arena_new();
	struct rp_request req;
	struct rp_identity id;
	struct op_err err = { .msg = "" };
	char *tok;
	json_t *cl;

	subtest("code exchange");
	now_val = T0;
	serve_jwks(jwk_rsa, jwk_ec, jwk_ed, NULL);
	rp_request_new(&req);
	cl = claims_good();
	json_object_set_new(cl, "nonce", json_string(req.nonce));
	tok = tok_sign(k_rsa, cl);
	token_body("{\"access_token\":\"at-1\",\"token_type\":\"Bearer\","
		   "\"expires_in\":300,\"id_token\":\"%s\"}", tok);
	is_int(finish(c, &req, &err, &id, a), OP_OK, "a good exchange");
	diag_msg(err.msg);
	is_str(id.issuer, fake.base, "identity: issuer");
	is_str(id.subject, "user-42", "identity: subject");
	is_str(id.email, "ada@example.com", "identity: email");
	ok(id.email_verified, "identity: email_verified");
	is_int(id.auth_time, T0 - 10, "identity: auth_time");
	is_str(id.id_token, tok, "identity: the raw id_token");
	pthread_mutex_lock(&fake.mu);
	is_str(fake.grant_type, "authorization_code", "sent grant_type");
	is_str(fake.code, "code/with+chars", "sent the code");
	is_str(fake.redirect_uri, REDIRECT_URI, "sent redirect_uri");
	is_str(fake.verifier, req.verifier, "sent code_verifier");
	is_str(fake.user, CLIENT_ID, "Basic user is the client id");
	is_str(fake.pass, CLIENT_SECRET, "Basic password is the secret");
	ok(fake.form_client_id == NULL, "no client_id in the form");
	pthread_mutex_unlock(&fake.mu);
	{
		struct rp_endpoints e;
		struct rp_client pub = { .client_id = CLIENT_ID,
					 .redirect_uri = REDIRECT_URI };

		rp_endpoints(c, fake.base, a, &e, &err);
		is_int(rp_finish(c, &e, &pub, "c2", &req, a, &id, &err),
		       OP_OK, "a public client (no secret)");
		pthread_mutex_lock(&fake.mu);
		ok(fake.user == NULL, "sends no Basic credentials");
		is_str(fake.form_client_id, CLIENT_ID,
		       "and names itself in the form");
		pthread_mutex_unlock(&fake.mu);
	}

	token_body("{\"token_type\":\"bearer\",\"id_token\":\"%s\"}", tok);
	is_int(finish(c, &req, &err, &id, a), OP_OK,
	       "token_type is case-insensitive");
	token_body("{\"token_type\":\"mac\",\"id_token\":\"%s\"}", tok);
	is_int(finish(c, &req, &err, &id, a), OP_E_DENIED,
	       "token_type mac refused");
	token_body("{\"token_type\":\"Bearer\",\"access_token\":\"%s\"}", tok);
	is_int(finish(c, &req, &err, &id, a), OP_E_DENIED,
	       "no id_token refused");
	token_body("{\"token_type\":\"Bearer\",\"id_token\":\"%s\","
		   "\"id_token\":\"x\"}", tok);
	is_int(finish(c, &req, &err, &id, a), OP_E_INTERNAL,
	       "duplicate members: not a valid answer");

	/* The same token for another request: wrong nonce. */
	{
		struct rp_request other;

		rp_request_new(&other);
		token_body("{\"token_type\":\"Bearer\",\"id_token\":\"%s\"}",
			   tok);
		is_int(finish(c, &other, &err, &id, a), OP_E_DENIED,
		       "another request's nonce refused");
		ok(strstr(err.msg, "nonce") != NULL, "because of the nonce");
		ok(id.subject == NULL, "no identity");
	}
	xfree(tok);

	pthread_mutex_lock(&fake.mu);
	fake.token_status = 400;
	pthread_mutex_unlock(&fake.mu);
	token_body("{\"error\":\"invalid_grant\",\"error_description\":"
		   "\"%s\"}", "code spent");
	is_int(finish(c, &req, &err, &id, a), OP_E_DENIED,
	       "a 400 error answer is OP_E_DENIED");
	ok(strstr(err.msg, "invalid_grant") != NULL,
	   "with the error code in err: %s", err.msg);
	pthread_mutex_lock(&fake.mu);
	fake.token_status = 401;
	pthread_mutex_unlock(&fake.mu);
	token_body("{\"error\":\"%s\"}", "invalid_client");
	is_int(finish(c, &req, &err, &id, a), OP_E_DENIED, "401 as well");
	ok(strstr(err.msg, "invalid_client") != NULL, "invalid_client");
	token_body("{\"error\":\"%s\"}", "bad\\nline");
	is_int(finish(c, &req, &err, &id, a), OP_E_DENIED,
	       "an error code with a newline");
	ok(strchr(err.msg, '\n') == NULL, "is not copied into err");
	pthread_mutex_lock(&fake.mu);
	fake.token_status = 500;
	pthread_mutex_unlock(&fake.mu);
	is_int(finish(c, &req, &err, &id, a), OP_E_INTERNAL,
	       "a 500 answer is OP_E_INTERNAL");
	pthread_mutex_lock(&fake.mu);
	fake.token_status = 0;
	fake.token_huge = true;
	pthread_mutex_unlock(&fake.mu);
	is_int(finish(c, &req, &err, &id, a), OP_E_INTERNAL,
	       "a 300 KiB answer is refused");
	ok(strstr(err.msg, "more than") != NULL, "as too large: %s", err.msg);
	fake_reset();
	token_body("%snot json", "");
	is_int(finish(c, &req, &err, &id, a), OP_E_INTERNAL,
	       "a 200 that is not JSON");
	{
		struct rp_endpoints e;
		struct rp_client cl2 = { .client_id = CLIENT_ID,
					 .client_secret = CLIENT_SECRET,
					 .redirect_uri = REDIRECT_URI };

		rp_endpoints(c, fake.base, a, &e, &err);
		is_int(rp_finish(c, &e, &cl2, "", &req, a, &id, &err),
		       OP_E_DENIED, "an empty code");
	}
	fake_reset();
	rp_cache_free(c);
	arena_free(a);
}

/* One claims case: good claims with key set to v (NULL: removed). */
static void
claim_case(struct rp_cache *c, const char *key, json_t *v, enum op_rc want,
	   const char *what)
{
	json_t *cl = claims_good();
	struct op_err err;

	if (v == NULL)
		json_object_del(cl, key);
	else
		json_object_set_new(cl, key, v);
	is_int(validate(c, tok_sign(k_ec, cl), &err), want, "%s", what);
	if (want != OP_OK)
		diag_msg(err.msg);
}

static void
test_claims(void)
{
	struct rp_cache *c = cache_new();
	const int64_t n = T0;

	subtest("ID token claims");
	now_val = T0;
	serve_jwks(jwk_rsa, jwk_ec, jwk_ed, NULL);
	claim_case(c, "x", json_true(), OP_OK, "good claims (ES256)");
	claim_case(c, "iss", json_sprintf("%s/", fake.base), OP_E_DENIED,
		   "iss with a '/' more");
	claim_case(c, "iss", NULL, OP_E_DENIED, "no iss");
	claim_case(c, "iss", json_integer(1), OP_E_DENIED, "iss a number");
	claim_case(c, "aud", json_string("portal:2"), OP_E_DENIED,
		   "wrong aud");
	claim_case(c, "aud", NULL, OP_E_DENIED, "no aud");
	claim_case(c, "aud", json_pack("[]"), OP_E_DENIED, "aud []");
	claim_case(c, "aud", json_pack("[s]", CLIENT_ID), OP_OK,
		   "aud [us] without azp");
	claim_case(c, "aud", json_pack("[s,s]", "other", CLIENT_ID),
		   OP_E_DENIED, "aud [other, us] without azp");
	claim_case(c, "aud", json_pack("[s,i]", CLIENT_ID, 1), OP_E_DENIED,
		   "aud with a number in it");
	claim_case(c, "aud", json_pack("[s,s]", "a", "b"), OP_E_DENIED,
		   "aud array without us");
	claim_case(c, "azp", json_string("other"), OP_E_DENIED,
		   "azp is another client");
	claim_case(c, "azp", json_string(CLIENT_ID), OP_OK, "azp is us");
	claim_case(c, "nonce", json_string("n-other"), OP_E_DENIED,
		   "wrong nonce");
	claim_case(c, "nonce", json_string(NONCE "x"), OP_E_DENIED,
		   "nonce with a char more");
	claim_case(c, "nonce", NULL, OP_E_DENIED, "no nonce");
	claim_case(c, "exp", json_integer(n - 61), OP_E_DENIED,
		   "expired 61 s ago");
	claim_case(c, "exp", json_integer(n - 60), OP_E_DENIED,
		   "expired 60 s ago");
	claim_case(c, "exp", json_integer(n - 59), OP_OK,
		   "expired 59 s ago: within the leeway");
	claim_case(c, "exp", json_real((double)n + 10.5), OP_OK,
		   "exp as a real");
	claim_case(c, "exp", json_string("2099"), OP_E_DENIED,
		   "exp a string");
	claim_case(c, "exp", NULL, OP_E_DENIED, "no exp");
	claim_case(c, "iat", json_integer(n + 61), OP_E_DENIED,
		   "iat 61 s in the future");
	claim_case(c, "iat", json_integer(n + 60), OP_OK,
		   "iat 60 s in the future: within the leeway");
	claim_case(c, "iat", NULL, OP_E_DENIED, "no iat");
	claim_case(c, "nbf", json_integer(n + 120), OP_E_DENIED,
		   "nbf in the future");
	claim_case(c, "sub", json_string(""), OP_E_DENIED, "empty sub");
	claim_case(c, "sub", NULL, OP_E_DENIED, "no sub");
	claim_case(c, "sub", json_integer(42), OP_E_DENIED, "sub a number");
	{
		char s[257];

		memset(s, 's', 256);
		s[256] = '\0';
		claim_case(c, "sub", json_string(s), OP_E_DENIED,
			   "sub of 256 bytes");
		s[255] = '\0';
		/* Valid, so validate() answers OP_E_INTERNAL only because
		 * the identity is not user-42's. */
		claim_case(c, "sub", json_string(s), OP_E_INTERNAL,
			   "sub of 255 bytes accepted");
	}
	claim_case(c, "auth_time", json_string("1"), OP_E_DENIED,
		   "auth_time a string");
	claim_case(c, "auth_time", NULL, OP_OK, "no auth_time");
	claim_case(c, "email", json_integer(1), OP_E_DENIED,
		   "email a number");
	claim_case(c, "email", NULL, OP_OK, "no email");
	claim_case(c, "email_verified", json_string("true"), OP_E_DENIED,
		   "email_verified a string");
	{
		struct arena *a = arena_new();
		struct rp_identity id;
		struct op_err err;
		json_t *cl = claims_good();
		char *tok;

		json_object_del(cl, "email");
		json_object_del(cl, "email_verified");
		json_object_del(cl, "auth_time");
		tok = tok_sign(k_ec, cl);
		is_int(rp_validate_id_token(c, fake.base, CLIENT_ID, NULL, tok,
					    a, &id, &err), OP_OK,
		       "no nonce expected: the token's nonce is not needed");
		ok(id.email == NULL && !id.email_verified && id.auth_time == 0,
		   "optional claims absent: NULL, false, 0");
		is_int(rp_validate_id_token(c, fake.base, "portal:2", NULL,
					    tok, a, &id, &err), OP_E_DENIED,
		       "another client id");
		is_int(rp_validate_id_token(c, fake.base, CLIENT_ID, NULL,
					    "", a, &id, &err), OP_E_DENIED,
		       "an empty token");
		xfree(tok);
		arena_free(a);
	}
	rp_cache_free(c);
}

static void
test_algs(void)
{
	struct rp_cache *c = cache_new();
	struct op_err err;
	char *claims, *hdr, *hmac_sig, *enc_ec_jwk_nokid;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char *h64, *p64, *input;
	int n0;

	subtest("algorithms and keys");
	now_val = T0 + 100000;
	serve_jwks(jwk_rsa, jwk_ec, jwk_ed, jwk_ec_enc, raw_ed_jwk, NULL);
	claims = json_str(claims_good());
	is_int(validate(c, tok_sign(k_rsa, claims_good()), &err), OP_OK,
	       "RS256");
	is_int(validate(c, tok_sign(k_ec, claims_good()), &err), OP_OK,
	       "ES256");
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "EdDSA");
	n0 = counter(&fake.n_jwks);

	is_int(validate(c, tok_raw("{\"alg\":\"none\"}", claims, false, ""),
			&err), OP_E_DENIED, "alg none, empty signature");
	is_int(validate(c, tok_raw("{\"alg\":\"none\"}", claims, false, "x"),
			&err), OP_E_DENIED, "alg none with a signature");
	hdr = xasprintf("{\"alg\":\"HS256\",\"kid\":\"%s\"}",
			jose_key_kid(k_rsa));
	/* HMAC keyed with the public key: the classic confusion. */
	h64 = b64url(hdr, strlen(hdr));
	p64 = b64url(claims, strlen(claims));
	input = xasprintf("%s.%s", h64, p64);
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)jwk_rsa,
				    strlen(jwk_rsa));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)input,
				      strlen(input));
	crypto_auth_hmacsha256_final(&st, mac);
	hmac_sig = b64url(mac, sizeof(mac));
	is_int(validate(c, xasprintf("%s.%s", input, hmac_sig), &err),
	       OP_E_DENIED, "HS256 keyed with the public JWK");
	xfree(hdr);
	xfree(h64);
	xfree(p64);
	xfree(input);
	xfree(hmac_sig);

	hdr = xasprintf("{\"alg\":\"EdDSA\",\"kid\":\"%s\"}",
			jose_key_kid(k_ed));
	is_int(validate(c, tok_raw(hdr, claims, true, NULL), &err),
	       OP_E_DENIED, "a published kid, signed by another key");
	ok(strstr(err.msg, "signature") != NULL, "bad signature: %s",
	   err.msg);
	xfree(hdr);
	hdr = xasprintf("{\"alg\":\"ES256\",\"kid\":\"%s\"}",
			jose_key_kid(k_rsa));
	is_int(validate(c, tok_raw(hdr, claims, false,
				   "0123456789012345678901234567890123456789"
				   "012345678901234567890123"), &err),
	       OP_E_DENIED, "header alg ES256 with the RSA key's kid");
	ok(strstr(err.msg, "not a key for") != NULL, "alg mismatch: %s",
	   err.msg);
	xfree(hdr);
	{
		/* A token whose payload was swapped after signing. */
		char *good = tok_sign(k_ed, claims_good());
		char *d1 = strchr(good, '.'), *d2 = strchr(d1 + 1, '.');
		json_t *cl = claims_good();
		char *evil, *p;

		json_object_set_new(cl, "sub", json_string("admin"));
		p = json_str(cl);
		h64 = b64url(p, strlen(p));
		evil = xasprintf("%.*s.%s%s", (int)(d1 - good), good, h64, d2);
		is_int(validate(c, evil, &err), OP_E_DENIED,
		       "payload swapped after signing");
		xfree(p);
		xfree(h64);
		xfree(good);
	}
	is_int(validate(c, tok_sign(k_ec_enc, claims_good()), &err),
	       OP_E_DENIED, "a key published with use \"enc\" is not used");
	is_int(validate(c, tok_sign(k_rogue, claims_good()), &err),
	       OP_E_DENIED, "a key not in the JWKS");
	ok(strstr(err.msg, "kid") != NULL, "unknown kid: %s", err.msg);
	is_int(validate(c, tok_raw("{\"alg\":\"EdDSA\"}", claims, true, NULL),
			&err),
	       OP_E_DENIED, "no kid and two EdDSA keys: ambiguous");
	is_int(counter(&fake.n_jwks), n0,
	       "no JWKS refetch within a minute of the last");
	rp_cache_free(c);

	/* No kid, exactly one key of the alg; and a provider's own kid. */
	c = cache_new();
	enc_ec_jwk_nokid = jwk_with(k_ec, "kid", NULL);
	{
		char *ed_custom = xasprintf("%.*s,\"kid\":\"2024-key\"}",
					    (int)strlen(raw_ed_jwk) - 1,
					    raw_ed_jwk);

		serve_jwks(jwk_rsa, ed_custom, enc_ec_jwk_nokid, NULL);
		is_int(validate(c, tok_raw("{\"alg\":\"EdDSA\"}", claims, true,
					   NULL), &err),
		       OP_OK, "no kid, one EdDSA key: used");
		is_int(validate(c, tok_raw("{\"alg\":\"EdDSA\",\"kid\":"
					   "\"2024-key\",\"typ\":\"JWT\"}",
					   claims, true, NULL), &err),
		       OP_OK, "a kid the provider chose");
		is_int(validate(c, tok_sign(k_ec, claims_good()), &err),
		       OP_E_DENIED, "a kid while the JWKS key has none");
		xfree(ed_custom);
	}
	xfree(enc_ec_jwk_nokid);
	xfree(claims);
	rp_cache_free(c);
}

static void
test_rotation(void)
{
	struct rp_cache *c = cache_new();
	struct op_err err;
	int n0, i;
	int64_t t;

	subtest("JWKS rotation and the refetch limiter");
	now_val = t = T0 + 200000;
	serve_jwks(jwk_ed, NULL);
	n0 = counter(&fake.n_jwks);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "key 1 validates");
	is_int(counter(&fake.n_jwks), n0 + 1, "one JWKS fetch");
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "key 1 again");
	is_int(counter(&fake.n_jwks), n0 + 1, "from the cache");

	serve_jwks(jwk_ed, jwk_ed2, NULL);
	is_int(validate(c, tok_sign(k_ed2, claims_good()), &err),
	       OP_E_DENIED, "key 2 right after the fetch: unknown");
	is_int(counter(&fake.n_jwks), n0 + 1,
	       "no refetch within 60 s of the last fetch");
	now_val = t + 60;
	is_int(validate(c, tok_sign(k_ed2, claims_good()), &err), OP_OK,
	       "key 2 a minute later: refetched and known");
	is_int(counter(&fake.n_jwks), n0 + 2, "one refetch");

	/* A flood of forged kids. */
	for (i = 0; i < 20; i++)
		if (validate(c, tok_sign(k_rogue, claims_good()), &err) !=
		    OP_E_DENIED)
			break;
	is_int(i, 20, "20 tokens with an unknown kid refused");
	is_int(counter(&fake.n_jwks), n0 + 2, "and no refetch for them");
	now_val = t + 150;
	for (i = 0; i < 20; i++)
		if (validate(c, tok_sign(k_rogue, claims_good()), &err) !=
		    OP_E_DENIED)
			break;
	is_int(i, 20, "20 more, 90 s later, refused");
	is_int(counter(&fake.n_jwks), n0 + 3, "with exactly one refetch");
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "key 1 still validates");
	is_int(validate(c, tok_sign(k_ed2, claims_good()), &err), OP_OK,
	       "key 2 too");
	is_int(counter(&fake.n_jwks), n0 + 3, "without fetching");

	/* Key 1 withdrawn: after an hour the JWKS is refreshed. */
	serve_jwks(jwk_ed2, NULL);
	now_val = t + 150 + RP_JWKS_TTL_SEC;
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_E_DENIED,
	       "a withdrawn key is refused after the hourly refresh");
	is_int(counter(&fake.n_jwks), n0 + 4, "one refresh");
	is_int(validate(c, tok_sign(k_ed2, claims_good()), &err), OP_OK,
	       "key 2 validates");

	/* The provider's JWKS breaks: the cached one keeps working. */
	pthread_mutex_lock(&fake.mu);
	fake.jwks_status = 500;
	pthread_mutex_unlock(&fake.mu);
	now_val += RP_JWKS_TTL_SEC;
	is_int(validate(c, tok_sign(k_ed2, claims_good()), &err), OP_OK,
	       "a failed refresh keeps the cached keys");
	is_int(counter(&fake.n_jwks), n0 + 5, "after trying once");
	fake_reset();
	rp_cache_free(c);
}

static void
test_jwks_errors(void)
{
	struct rp_cache *c;
	struct op_err err;

	subtest("JWKS fetch errors");
	now_val = T0 + 300000;
	c = cache_new();
	pthread_mutex_lock(&fake.mu);
	fake.jwks_status = 404;
	pthread_mutex_unlock(&fake.mu);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err),
	       OP_E_INTERNAL, "JWKS answering 404: no keys at all");
	fake_reset();
	pthread_mutex_lock(&fake.mu);
	fake.jwks_huge = true;
	pthread_mutex_unlock(&fake.mu);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err),
	       OP_E_INTERNAL, "a 300 KiB JWKS is refused");
	ok(strstr(err.msg, "more than") != NULL, "as too large: %s", err.msg);
	fake_reset();
	serve_jwks("{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}",
		   "{\"kty\":\"RSA\",\"alg\":\"RS512\"}", "[]", "7", jwk_ed,
		   NULL);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "unusable entries of a JWKS are skipped");
	rp_cache_free(c);

	c = cache_new();
	pthread_mutex_lock(&fake.mu);
	set_str(&fake.jwks, "{\"keys\":{}}");
	pthread_mutex_unlock(&fake.mu);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err),
	       OP_E_INTERNAL, "\"keys\" not an array");
	rp_cache_free(c);
}

static void
test_seed(void)
{
	struct rp_cache *c = cache_new();
	struct arena *a = arena_new();
	struct rp_identity id;
	struct op_err err;
	char *disc, *jwks, *iss, *tok;
	json_t *cl;

	subtest("a cache seeded without network");
	now_val = T0;
	iss = xasprintf("http://127.0.0.1:%d", dead_port());
	disc = xasprintf("{\"issuer\":\"%s\",\"authorization_endpoint\":"
			 "\"%s/a\",\"token_endpoint\":\"%s/t\","
			 "\"jwks_uri\":\"%s/j\"}", iss, iss, iss, iss);
	jwks = xasprintf("{\"keys\":[%s]}", jwk_ed);
	is_int(rp_cache_seed(c, iss, disc, jwks, &err), OP_OK, "seeded");
	is_int(rp_cache_seed(c, "http://other.example", disc, jwks, &err),
	       OP_E_INVALID, "seeding another issuer's document fails");
	is_int(rp_cache_seed(c, iss, disc, "{}", &err), OP_E_INVALID,
	       "seeding a bad JWKS fails");
	cl = claims_good();
	json_object_set_new(cl, "iss", json_string(iss));
	tok = tok_sign(k_ed, cl);
	/* validate() compares against fake.base: call directly. */
	is_int(rp_validate_id_token(c, iss, CLIENT_ID, NONCE, tok, a, &id,
				    &err), OP_OK,
	       "a token validates from the seeded cache");
	is_str(id.issuer, iss, "its issuer");
	xfree(tok);
	tok = tok_sign(k_rogue, claims_good());
	is_int(rp_validate_id_token(c, iss, CLIENT_ID, NONCE, tok, a, &id,
				    &err), OP_E_DENIED,
	       "an unknown kid within the minute: no fetch, refused");
	xfree(tok);
	xfree(iss);
	xfree(disc);
	xfree(jwks);
	arena_free(a);
	rp_cache_free(c);
}

struct worker {
	struct rp_cache *c;
	int n_ok, n_denied, n_other;
	char *toks[4];
};

static void *
work(void *arg)
{
	struct worker *w = arg;
	struct arena *a;
	struct rp_identity id;
	struct op_err err;
	enum op_rc rc;
	int i;

	for (i = 0; i < 40; i++) {
		a = arena_new();
		rc = rp_validate_id_token(w->c, fake.base, CLIENT_ID, NONCE,
					  w->toks[i % 4], a, &id, &err);
		if (rc == OP_OK && strcmp(id.subject, "user-42") == 0)
			w->n_ok++;
		else if (rc == OP_E_DENIED)
			w->n_denied++;
		else
			w->n_other++;
		arena_free(a);
	}
	return NULL;
}

static void
test_threads(void)
{
	struct worker w[4];
	pthread_t t[4];
	struct rp_cache *c = cache_new();
	struct op_err err;
	int i, j, n_ok = 0, n_denied = 0, n_other = 0;

	subtest("concurrent validation with refetches");
	now_val = T0 + 400000;
	serve_jwks(jwk_rsa, jwk_ec, jwk_ed, jwk_ed2, NULL);
	is_int(validate(c, tok_sign(k_ed, claims_good()), &err), OP_OK,
	       "warm the cache");
	/* The first forged kid refetches the JWKS: the key set is replaced
	 * while the other threads verify with the old one. */
	now_val += RP_JWKS_REFETCH_SEC;
	for (i = 0; i < 4; i++) {
		w[i] = (struct worker){ .c = c };
		w[i].toks[0] = tok_sign(k_rsa, claims_good());
		w[i].toks[1] = tok_sign(k_ec, claims_good());
		w[i].toks[2] = tok_sign(i % 2 ? k_ed2 : k_ed, claims_good());
		w[i].toks[3] = tok_sign(k_rogue, claims_good());
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		n_ok += w[i].n_ok;
		n_denied += w[i].n_denied;
		n_other += w[i].n_other;
		for (j = 0; j < 4; j++)
			xfree(w[i].toks[j]);
	}
	is_int(n_ok, 120, "every good token validated on four threads");
	is_int(n_denied, 40, "every forged one refused");
	is_int(n_other, 0, "nothing else");
	rp_cache_free(c);
}

int
main(void)
{
	struct http_config hc = { .listen = "127.0.0.1:0", .threads = 2,
				  .slow_threads = 1,
				  .max_body_bytes = 64 * 1024,
				  .max_params = 32 };
	struct http_server *srv = NULL;
	struct op_err err = { .msg = "" };

	/* The fake is on loopback: no proxy from the environment. */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("https_proxy");
	unsetenv("HTTPS_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	log_set_level(LOG_QUIET);
	if (sodium_init() < 0)
		fatalx("sodium_init");
	keys_make();
	if (http_server_start(&hc, &fake_site, &srv, &err) != OP_OK) {
		ok(0, "fake provider starts: %s", err.msg);
		return done_testing();
	}
	snprintf(fake.base, sizeof(fake.base), "http://127.0.0.1:%d",
		 http_server_port(srv));

	test_auth_url();
	test_logout_url();
	test_discovery();
	test_finish();
	test_claims();
	test_algs();
	test_rotation();
	test_jwks_errors();
	test_seed();
	test_threads();

	http_server_stop(srv);
	keys_free();
	xfree(fake.jwks);
	xfree(fake.token_body);
	xfree(fake.grant_type);
	xfree(fake.code);
	xfree(fake.redirect_uri);
	xfree(fake.verifier);
	xfree(fake.user);
	xfree(fake.pass);
	xfree(fake.form_client_id);
	return done_testing();
}

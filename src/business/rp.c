/*
 * rp.c - the relying party's cache of providers and discovery, the
 * authorization URL (PKCE S256, state, nonce), the code exchange and the
 * logout URL. The JWKS lives in rp_jwks.c, the ID token check in
 * rp_idtoken.c, HTTP in rp_http.c.
 *
 * Discovery is fetched from issuer + "/.well-known/openid-configuration"
 * (a trailing "/" of the issuer dropped first, as OpenID Connect
 * Discovery 1.0 section 4 says), once per issuer and again when older
 * than an hour; a failed refresh is an error (no stale endpoints are
 * served). Endpoints may be http:// as well as https:// (see rp_http.c).
 */
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "business/rp_internal.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "http/http.h"

struct rp_cache *
rp_cache_new(const struct rp_cache_config *cfg)
{
	struct rp_cache *c = xcalloc(1, sizeof(*c));

	if (pthread_mutex_init(&c->mu, NULL) != 0)
		fatalx("rp: pthread_mutex_init failed");
	c->ca_file = cfg->ca_file != NULL ? xstrdup(cfg->ca_file) : NULL;
	c->timeout_sec = cfg->timeout_sec > 0 ? cfg->timeout_sec :
						RP_DEFAULT_TIMEOUT_SEC;
	c->now = cfg->now != NULL ? cfg->now : clock_now;
	rp_http_global_init();
	return c;
}

void
rp_cache_free(struct rp_cache *c)
{
	struct rp_provider *p, *next;

	if (c == NULL)
		return;
	for (p = c->providers; p != NULL; p = next) {
		next = p->next;
		rp_discovery_release(&p->d);
		rp_keyset_free(p->keys);
		xfree(p);
	}
	pthread_mutex_destroy(&c->mu);
	xfree(c->ca_file);
	xfree(c);
	rp_http_global_cleanup();
}

bool
rp_url_ok(const char *s)
{
	const char *host;
	size_t i;

	if (s == NULL)
		return false;
	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == '?' || *host == '@')
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		if (i >= RP_URL_MAX)
			return false;
		if ((unsigned char)s[i] <= 0x20 ||
		    (unsigned char)s[i] >= 0x7f || s[i] == '#')
			return false;
	}
	return true;
}

void
rp_discovery_release(struct rp_discovery *d)
{
	xfree(d->issuer);
	xfree(d->authorization_endpoint);
	xfree(d->token_endpoint);
	xfree(d->end_session_endpoint);
	xfree(d->jwks_uri);
	memset(d, 0, sizeof(*d));
}

/* The URL member name of o into *out (new string); required or not. */
static enum op_rc
discovery_url(json_t *o, const char *name, bool required, char **out,
	      struct op_err *err)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	if (v == NULL && !required)
		return OP_OK;
	if (!json_is_string(v))
		return op_err_set(err, OP_E_INVALID,
				  "discovery without a string '%s'", name);
	if (!rp_url_ok(json_string_value(v)))
		return op_err_set(err, OP_E_INVALID,
				  "discovery '%s' is not an http(s) URL",
				  name);
	*out = xstrdup(json_string_value(v));
	return OP_OK;
}

enum op_rc
rp_discovery_parse(const char *issuer, const char *json, size_t len,
		   struct rp_discovery *out, struct op_err *err)
{
	json_error_t jerr;
	json_t *o, *iss;
	enum op_rc rc = OP_E_INVALID;

	memset(out, 0, sizeof(*out));
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (o == NULL || !json_is_object(o)) {
		op_err_set(err, rc, "discovery is not a JSON object");
		goto out;
	}
	iss = json_object_get(o, "issuer");
	if (!json_is_string(iss) ||
	    strcmp(json_string_value(iss), issuer) != 0) {
		op_err_set(err, rc, "discovery names another issuer than '%s'",
			   issuer);
		goto out;
	}
	out->issuer = xstrdup(issuer);
	rc = discovery_url(o, "authorization_endpoint", true,
			   &out->authorization_endpoint, err);
	if (rc == OP_OK)
		rc = discovery_url(o, "token_endpoint", true,
				   &out->token_endpoint, err);
	if (rc == OP_OK)
		rc = discovery_url(o, "jwks_uri", true, &out->jwks_uri, err);
	if (rc == OP_OK)
		rc = discovery_url(o, "end_session_endpoint", false,
				   &out->end_session_endpoint, err);
out:
	json_decref(o);
	if (rc != OP_OK)
		rp_discovery_release(out);
	return rc;
}

struct rp_provider *
rp_provider_find(struct rp_cache *c, const char *issuer)
{
	struct rp_provider *p;

	for (p = c->providers; p != NULL; p = p->next)
		if (strcmp(p->d.issuer, issuer) == 0)
			return p;
	return NULL;
}

/* Installs d (taken over) as issuer's discovery, fetched at now; returns
 * the record. Call with mu held. */
static struct rp_provider *
provider_install(struct rp_cache *c, struct rp_discovery *d, int64_t now)
{
	struct rp_provider *p = rp_provider_find(c, d->issuer);

	if (p == NULL) {
		p = xcalloc(1, sizeof(*p));
		p->next = c->providers;
		c->providers = p;
	} else {
		rp_discovery_release(&p->d);
	}
	p->d = *d;
	memset(d, 0, sizeof(*d));
	p->discovered_at = now;
	return p;
}

static void
endpoints_copy(struct arena *a, const struct rp_discovery *d,
	       struct rp_endpoints *out)
{
	if (out == NULL)
		return;
	out->issuer = arena_strdup(a, d->issuer);
	out->authorization_endpoint = arena_strdup(a,
						   d->authorization_endpoint);
	out->token_endpoint = arena_strdup(a, d->token_endpoint);
	out->end_session_endpoint =
		d->end_session_endpoint != NULL ?
			arena_strdup(a, d->end_session_endpoint) : NULL;
}

/* Fetches and parses issuer's discovery document into d. */
static enum op_rc
discovery_fetch(struct rp_cache *c, const char *issuer,
		struct rp_discovery *d, struct op_err *err)
{
	struct rp_http_resp resp;
	struct rp_http_req req = { 0 };
	struct op_err why = { .msg = "" };
	size_t n = strlen(issuer);
	enum op_rc rc;
	char *url;

	if (n > 0 && issuer[n - 1] == '/')
		n--;
	url = xasprintf("%.*s%s", (int)n, issuer, RP_WELL_KNOWN);
	req.url = url;
	rc = rp_http_fetch(c, &req, &resp, err);
	if (rc != OP_OK)
		goto out;
	if (resp.status != 200) {
		rc = op_err_set(err, OP_E_INTERNAL, "'%s' answered %ld", url,
				resp.status);
	} else if (rp_discovery_parse(issuer, buf_str(&resp.body),
				      resp.body.len, d, &why) != OP_OK) {
		rc = op_err_set(err, OP_E_INTERNAL, "'%s': %s", url, why.msg);
	}
	rp_http_resp_release(&resp);
out:
	xfree(url);
	return rc;
}

enum op_rc
rp_provider_get(struct rp_cache *c, const char *issuer, struct arena *a,
		struct rp_endpoints *out, struct op_err *err)
{
	struct rp_discovery d;
	struct rp_provider *p;
	int64_t now = c->now();
	enum op_rc rc;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (issuer == NULL || !rp_url_ok(issuer) ||
	    strchr(issuer, '?') != NULL)
		return op_err_set(err, OP_E_INTERNAL,
				  "issuer is not an http(s) URL");
	pthread_mutex_lock(&c->mu);
	p = rp_provider_find(c, issuer);
	if (p != NULL && now - p->discovered_at < RP_DISCOVERY_TTL_SEC) {
		endpoints_copy(a, &p->d, out);
		pthread_mutex_unlock(&c->mu);
		return OP_OK;
	}
	pthread_mutex_unlock(&c->mu);

	/* Fetched unlocked; two threads may both fetch, the last wins. */
	rc = discovery_fetch(c, issuer, &d, err);
	if (rc != OP_OK)
		return rc;
	pthread_mutex_lock(&c->mu);
	p = provider_install(c, &d, now);
	endpoints_copy(a, &p->d, out);
	pthread_mutex_unlock(&c->mu);
	return OP_OK;
}

enum op_rc
rp_endpoints(struct rp_cache *c, const char *issuer, struct arena *a,
	     struct rp_endpoints *out, struct op_err *err)
{
	return rp_provider_get(c, issuer, a, out, err);
}

enum op_rc
rp_cache_seed(struct rp_cache *c, const char *issuer,
	      const char *discovery_json, const char *jwks_json,
	      struct op_err *err)
{
	struct rp_keyset *set = NULL, *old = NULL;
	struct rp_discovery d;
	struct rp_provider *p;
	int64_t now = c->now();
	enum op_rc rc;

	rc = rp_discovery_parse(issuer, discovery_json, strlen(discovery_json),
				&d, err);
	if (rc != OP_OK)
		return rc;
	rc = rp_jwks_parse(jwks_json, strlen(jwks_json), &set, err);
	if (rc != OP_OK) {
		rp_discovery_release(&d);
		return rc;
	}
	pthread_mutex_lock(&c->mu);
	p = provider_install(c, &d, now);
	old = p->keys;
	p->keys = set;
	p->jwks_fetched_at = now;
	p->jwks_tried_at = now;
	pthread_mutex_unlock(&c->mu);
	rp_keyset_put(c, old);
	return OP_OK;
}

/* ---- the authorization request ---- */

static void
b64url_32(const unsigned char bytes[32], char out[44])
{
	sodium_bin2base64(out, 44, bytes, 32,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void
rp_request_new(struct rp_request *r)
{
	unsigned char rnd[32];

	randombytes_buf(rnd, sizeof(rnd));
	b64url_32(rnd, r->state);
	randombytes_buf(rnd, sizeof(rnd));
	b64url_32(rnd, r->nonce);
	randombytes_buf(rnd, sizeof(rnd));
	b64url_32(rnd, r->verifier);
	sodium_memzero(rnd, sizeof(rnd));
}

/* What joins more parameters to url: "?", "&" or nothing. */
static const char *
query_sep(const char *url)
{
	size_t n = strlen(url);

	if (strchr(url, '?') == NULL)
		return "?";
	if (n > 0 && (url[n - 1] == '?' || url[n - 1] == '&'))
		return "";
	return "&";
}

char *
rp_auth_url(struct arena *a, const struct rp_endpoints *e,
	    const struct rp_auth_params *p)
{
	unsigned char hash[crypto_hash_sha256_BYTES];
	const char *scope = p->scope != NULL ? p->scope : "openid";
	char challenge[44];
	char *u;

	crypto_hash_sha256(hash, (const unsigned char *)p->req->verifier,
			   strlen(p->req->verifier));
	b64url_32(hash, challenge);
	u = arena_asprintf(a,
			   "%s%sresponse_type=code&client_id=%s"
			   "&redirect_uri=%s&scope=%s&state=%s&nonce=%s"
			   "&code_challenge=%s&code_challenge_method=S256",
			   e->authorization_endpoint,
			   query_sep(e->authorization_endpoint),
			   url_encode(a, p->client_id),
			   url_encode(a, p->redirect_uri),
			   url_encode(a, scope),
			   url_encode(a, p->req->state),
			   url_encode(a, p->req->nonce),
			   url_encode(a, challenge));
	if (p->prompt != NULL)
		u = arena_asprintf(a, "%s&prompt=%s", u,
				   url_encode(a, p->prompt));
	if (p->max_age >= 0)
		u = arena_asprintf(a, "%s&max_age=%lld", u,
				   (long long)p->max_age);
	return u;
}

char *
rp_logout_url(struct arena *a, const struct rp_endpoints *e,
	      const char *id_token, const char *client_id,
	      const char *post_logout_redirect_uri)
{
	const char *ep = e->end_session_endpoint;
	const char *sep;
	char *u;

	if (ep == NULL)
		return NULL;
	u = arena_strdup(a, ep);
	sep = query_sep(ep);
	if (id_token != NULL) {
		u = arena_asprintf(a, "%s%sid_token_hint=%s", u, sep,
				   url_encode(a, id_token));
		sep = "&";
	}
	if (client_id != NULL) {
		u = arena_asprintf(a, "%s%sclient_id=%s", u, sep,
				   url_encode(a, client_id));
		sep = "&";
	}
	if (post_logout_redirect_uri != NULL)
		u = arena_asprintf(a, "%s%spost_logout_redirect_uri=%s", u,
				   sep,
				   url_encode(a, post_logout_redirect_uri));
	return u;
}

/* ---- the code exchange ---- */

/* Copies an OAuth error code for a log line when it keeps to RFC 6749's
 * alphabet (%x20-21 / %x23-5B / %x5D-7E) and 64 bytes. */
static const char *
oauth_error_text(json_t *o)
{
	json_t *v = json_object_get(o, "error");
	const char *s;
	size_t i;

	if (!json_is_string(v))
		return "(no error code)";
	s = json_string_value(v);
	for (i = 0; s[i] != '\0'; i++)
		if (i >= 64 || s[i] < 0x20 || s[i] > 0x7e || s[i] == '"' ||
		    s[i] == '\\')
			return "(unprintable error code)";
	return i > 0 ? s : "(empty error code)";
}

/* The token endpoint's answer: the ID token (in a) or the refusal. */
static enum op_rc
token_response(const struct rp_http_resp *resp, struct arena *a,
	       const char **id_token, struct op_err *err)
{
	json_error_t jerr;
	json_t *o, *tt, *it;
	enum op_rc rc = OP_E_DENIED;

	*id_token = NULL;
	o = json_loadb(resp->body.data != NULL ? resp->body.data : "",
		       resp->body.len, JSON_REJECT_DUPLICATES, &jerr);
	if (o != NULL && !json_is_object(o)) {
		json_decref(o);
		o = NULL;
	}
	if (resp->status >= 400 && resp->status < 500) {
		op_err_set(err, rc, "token endpoint refused the code: %s",
			   o != NULL ? oauth_error_text(o) :
				       "(no JSON error)");
		goto out;
	}
	if (resp->status != 200) {
		rc = op_err_set(err, OP_E_INTERNAL,
				"token endpoint answered %ld", resp->status);
		goto out;
	}
	if (o == NULL) {
		rc = op_err_set(err, OP_E_INTERNAL,
				"token response is not a JSON object");
		goto out;
	}
	tt = json_object_get(o, "token_type");
	it = json_object_get(o, "id_token");
	if (!json_is_string(tt) ||
	    strcasecmp(json_string_value(tt), "Bearer") != 0) {
		op_err_set(err, rc, "token_type is not Bearer");
		goto out;
	}
	if (!json_is_string(it)) {
		op_err_set(err, rc, "token response without an id_token");
		goto out;
	}
	*id_token = arena_strdup(a, json_string_value(it));
	rc = OP_OK;
out:
	json_decref(o);
	return rc;
}

enum op_rc
rp_finish(struct rp_cache *c, const struct rp_endpoints *e,
	  const struct rp_client *cl, const char *code,
	  const struct rp_request *req, struct arena *a,
	  struct rp_identity *out, struct op_err *err)
{
	struct rp_http_resp resp;
	struct rp_http_req hr = { 0 };
	const char *id_token;
	enum op_rc rc;

	memset(out, 0, sizeof(*out));
	if (code == NULL || *code == '\0')
		return op_err_set(err, OP_E_DENIED, "no authorization code");
	hr.url = e->token_endpoint;
	hr.post = arena_asprintf(a,
				 "grant_type=authorization_code&code=%s"
				 "&redirect_uri=%s&code_verifier=%s",
				 url_encode(a, code),
				 url_encode(a, cl->redirect_uri),
				 url_encode(a, req->verifier));
	if (cl->client_secret != NULL) {
		/* RFC 6749 2.3.1: id and secret form-urlencoded, then
		 * Basic. */
		hr.user = url_encode(a, cl->client_id);
		hr.password = url_encode(a, cl->client_secret);
	} else {
		/* A public client (PKCE only) names itself in the form. */
		hr.post = arena_asprintf(a, "%s&client_id=%s", hr.post,
					 url_encode(a, cl->client_id));
	}
	rc = rp_http_fetch(c, &hr, &resp, err);
	if (rc != OP_OK)
		return rc;
	rc = token_response(&resp, a, &id_token, err);
	rp_http_resp_release(&resp);
	if (rc != OP_OK)
		return rc;
	return rp_validate_id_token(c, e->issuer, cl->client_id, req->nonce,
				    id_token, a, out, err);
}

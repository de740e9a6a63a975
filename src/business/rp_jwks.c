/*
 * rp_jwks.c - each provider's JWKS: parsed into an immutable,
 * reference-counted key set, cached per issuer, refreshed after an hour,
 * and refetched when a token names a kid we do not know, but never more
 * than once a minute per issuer: a flood of tokens with forged kids costs
 * the provider one request a minute at most.
 *
 * Only signing keys of the allowed algorithms are kept (RS256, ES256,
 * EdDSA: jose_key_import_jwk refuses the rest); a token's alg must be the
 * alg of the key that its kid names. A token without a kid is accepted
 * only when exactly one key of its alg is published.
 */
#include <string.h>

#include <jansson.h>

#include "business/rp_internal.h"
#include "core/xmalloc.h"

enum rp_pick {
	RP_PICK_OK,
	RP_PICK_NONE,		/* no key with that kid (or of that alg) */
	RP_PICK_ALG,		/* the kid is of a key of another alg */
	RP_PICK_AMBIGUOUS,	/* no kid, several keys of the alg */
};

void
rp_keyset_free(struct rp_keyset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++) {
		xfree(s->keys[i].kid);
		jose_key_free(s->keys[i].key);
	}
	xfree(s->keys);
	xfree(s);
}

/* Drops one reference; returns s when it was the last (the caller frees
 * it after unlocking), NULL otherwise. Call with mu held. */
static struct rp_keyset *
keyset_unref(struct rp_keyset *s)
{
	if (s == NULL || --s->refs > 0)
		return NULL;
	return s;
}

void
rp_keyset_put(struct rp_cache *c, struct rp_keyset *s)
{
	struct rp_keyset *dead;

	if (s == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	dead = keyset_unref(s);
	pthread_mutex_unlock(&c->mu);
	rp_keyset_free(dead);
}

static int
dump_cb(const char *p, size_t n, void *data)
{
	return buf_add(data, p, n);
}

/* Imports one JWK of a JWKS into s when it is a usable signing key. */
static void
keyset_add(struct rp_keyset *s, json_t *jwk)
{
	struct jose_key *key = NULL;
	json_t *use, *kid;
	struct buf text;

	if (!json_is_object(jwk))
		return;
	use = json_object_get(jwk, "use");
	if (use != NULL && (!json_is_string(use) ||
			    strcmp(json_string_value(use), "sig") != 0))
		return;
	kid = json_object_get(jwk, "kid");
	if (kid != NULL && (!json_is_string(kid) ||
			    json_string_length(kid) > RP_KID_MAX))
		return;
	buf_init(&text, 64 * 1024);
	if (json_dump_callback(jwk, dump_cb, &text, JSON_COMPACT) == 0 &&
	    jose_key_import_jwk(buf_str(&text), &key, NULL) == OP_OK) {
		s->keys[s->n].kid = kid != NULL ?
			xstrdup(json_string_value(kid)) : NULL;
		s->keys[s->n].key = key;
		s->n++;
	}
	buf_release(&text);
}

enum op_rc
rp_jwks_parse(const char *json, size_t len, struct rp_keyset **out,
	      struct op_err *err)
{
	struct rp_keyset *s;
	json_error_t jerr;
	json_t *o, *keys, *jwk;
	size_t i, n;
	enum op_rc rc = OP_E_INVALID;

	*out = NULL;
	o = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	keys = json_object_get(o, "keys");	/* NULL for a non-object */
	if (!json_is_array(keys)) {
		op_err_set(err, rc, "JWKS is not {\"keys\": [...]}");
		goto out;
	}
	n = json_array_size(keys);
	if (n > RP_JWKS_MAX_KEYS) {
		op_err_set(err, rc, "JWKS of %zu keys (at most %d)", n,
			   RP_JWKS_MAX_KEYS);
		goto out;
	}
	s = xcalloc(1, sizeof(*s));
	s->refs = 1;
	s->keys = xcalloc(n > 0 ? n : 1, sizeof(*s->keys));
	json_array_foreach(keys, i, jwk)
		keyset_add(s, jwk);
	*out = s;
	rc = OP_OK;
out:
	json_decref(o);
	return rc;
}

/* The key of s that should have signed j. */
static enum rp_pick
keyset_pick(const struct rp_keyset *s, const struct jose_jws *j,
	    const struct jose_key **out)
{
	const struct rp_key *k;
	size_t i, n_alg = 0;
	bool kid_seen = false;

	*out = NULL;
	for (i = 0; s != NULL && i < s->n; i++) {
		k = &s->keys[i];
		if (j->kid == NULL) {
			if (jose_key_alg(k->key) == j->alg) {
				n_alg++;
				*out = k->key;
			}
			continue;
		}
		if (k->kid == NULL || strcmp(k->kid, j->kid) != 0)
			continue;
		kid_seen = true;
		if (jose_key_alg(k->key) == j->alg) {
			*out = k->key;
			return RP_PICK_OK;
		}
	}
	if (j->kid != NULL)
		return kid_seen ? RP_PICK_ALG : RP_PICK_NONE;
	if (n_alg == 1)
		return RP_PICK_OK;
	*out = NULL;
	return n_alg == 0 ? RP_PICK_NONE : RP_PICK_AMBIGUOUS;
}

/* Fetches and parses the JWKS at uri. */
static enum op_rc
jwks_fetch(struct rp_cache *c, const char *uri, struct rp_keyset **out,
	   struct op_err *err)
{
	struct rp_http_resp resp;
	struct rp_http_req req = { .url = uri };
	struct op_err why = { .msg = "" };
	enum op_rc rc;

	*out = NULL;
	rc = rp_http_fetch(c, &req, &resp, err);
	if (rc != OP_OK)
		return rc;
	if (resp.status != 200)
		rc = op_err_set(err, OP_E_INTERNAL, "'%s' answered %ld", uri,
				resp.status);
	else if (rp_jwks_parse(buf_str(&resp.body), resp.body.len, out,
			       &why) != OP_OK)
		rc = op_err_set(err, OP_E_INTERNAL, "'%s': %s", uri, why.msg);
	rp_http_resp_release(&resp);
	return rc;
}

/* The verdict of a pick, as a result code and reason. */
static enum op_rc
pick_verdict(enum rp_pick pick, const struct jose_jws *j, bool fetch_failed,
	     struct op_err *err)
{
	const char *kid = j->kid != NULL ? j->kid : "(none)";

	switch (pick) {
	case RP_PICK_OK:
		return OP_OK;
	case RP_PICK_ALG:
		return op_err_set(err, OP_E_DENIED,
				  "kid '%.64s' is not a key for %s", kid,
				  jose_alg_name(j->alg));
	case RP_PICK_AMBIGUOUS:
		return op_err_set(err, OP_E_DENIED,
				  "no kid and several %s keys",
				  jose_alg_name(j->alg));
	case RP_PICK_NONE:
		break;
	}
	return op_err_set(err, OP_E_DENIED, "no %s key with kid '%.64s'%s",
			  jose_alg_name(j->alg), kid,
			  fetch_failed ? " (and the JWKS fetch failed)" : "");
}

/* Decides under the lock whether to fetch: takes a reference on the
 * cached set when not, and copies the JWKS URI (*uri) when so. */
static enum op_rc
jwks_plan(struct rp_cache *c, const char *issuer, const struct jose_jws *j,
	  int64_t now, struct rp_keyset **set, char **uri, struct op_err *err)
{
	const struct jose_key *k;
	struct rp_provider *p;
	enum rp_pick pick;
	bool fresh, may_fetch;

	*set = NULL;
	*uri = NULL;
	pthread_mutex_lock(&c->mu);
	p = rp_provider_find(c, issuer);
	if (p == NULL) {
		pthread_mutex_unlock(&c->mu);
		return op_err_set(err, OP_E_INTERNAL,
				  "issuer '%s' was not discovered", issuer);
	}
	fresh = p->keys != NULL &&
		now - p->jwks_fetched_at < RP_JWKS_TTL_SEC;
	pick = keyset_pick(p->keys, j, &k);
	may_fetch = p->keys == NULL ||
		    now - p->jwks_tried_at >= RP_JWKS_REFETCH_SEC;
	if (may_fetch && (!fresh || pick == RP_PICK_NONE)) {
		p->jwks_tried_at = now;
		*uri = xstrdup(p->d.jwks_uri);
	} else {
		*set = p->keys;
		(*set)->refs++;	/* p->keys != NULL: may_fetch would hold */
	}
	pthread_mutex_unlock(&c->mu);
	return OP_OK;
}

/* Fetches the JWKS at uri (taken over) and installs it for issuer; on
 * failure goes on with the cached set when there is one (*stale). Takes a
 * reference on the set it returns in *set. */
static enum op_rc
jwks_refresh(struct rp_cache *c, const char *issuer, char *uri, int64_t now,
	     struct rp_keyset **set, bool *stale, struct op_err *err)
{
	struct rp_keyset *got = NULL, *dead = NULL;
	struct rp_provider *p;
	enum op_rc rc;

	*set = NULL;
	*stale = false;
	rc = jwks_fetch(c, uri, &got, err);
	xfree(uri);
	pthread_mutex_lock(&c->mu);
	p = rp_provider_find(c, issuer);	/* never removed */
	if (rc == OP_OK) {
		dead = keyset_unref(p->keys);
		p->keys = got;
		p->jwks_fetched_at = now;
		got->refs++;	/* the cache's and ours */
		*set = got;
	} else if (p->keys != NULL) {
		*set = p->keys;
		(*set)->refs++;
		*stale = true;
		rc = OP_OK;
	}
	pthread_mutex_unlock(&c->mu);
	rp_keyset_free(dead);
	return rc;
}

enum op_rc
rp_jwks_key(struct rp_cache *c, const char *issuer, const struct jose_jws *j,
	    struct rp_keyset **set_out, const struct jose_key **key_out,
	    struct op_err *err)
{
	struct rp_keyset *set = NULL;
	int64_t now = c->now();
	bool stale = false;
	enum op_rc rc;
	char *uri;

	*set_out = NULL;
	*key_out = NULL;
	rc = jwks_plan(c, issuer, j, now, &set, &uri, err);
	if (rc == OP_OK && uri != NULL)
		rc = jwks_refresh(c, issuer, uri, now, &set, &stale, err);
	if (rc != OP_OK)
		return rc;
	rc = pick_verdict(keyset_pick(set, j, key_out), j, stale, err);
	if (rc != OP_OK) {
		rp_keyset_put(c, set);
		*key_out = NULL;
		return rc;
	}
	*set_out = set;
	return OP_OK;
}

#include <pthread.h>
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "id/keyring.h"
#include "store/store.h"

#define MAX_KEYS 32

struct keyring {
	struct onepass *op;
	unsigned char master[32];
	bool has_master;
	pthread_rwlock_t lock;
	struct jose_key *keys[MAX_KEYS];	/* newest first */
	int64_t created[MAX_KEYS];
	size_t n;
	int64_t activation_sec;	/* a new key signs only after this long in
				 * the JWKS, so clients can fetch it first */
	int64_t loaded_at;
};

enum op_rc
keyring_master_key(const char *b64, unsigned char out[32], bool *present)
{
	size_t len = 0;

	*present = false;
	if (b64 == NULL || b64[0] == '\0')
		return OP_OK;
	if (sodium_base642bin(out, 32, b64, strlen(b64), " \n", &len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    len != 32)
		return OP_E_INVALID;
	*present = true;
	return OP_OK;
}

struct newest_ctx {
	enum jose_alg alg;
	int64_t newest;
};

static int
note_newest(const struct signing_key *k, void *arg)
{
	struct newest_ctx *c = arg;

	if (jose_alg_from_name(k->alg) == c->alg && k->created_at > c->newest)
		c->newest = k->created_at;
	return 0;
}

enum op_rc
keyring_rotate(struct onepass *op, const unsigned char *master_key,
	       enum jose_alg alg, char **kid_out, struct op_err *err)
{
	struct newest_ctx nc = { alg, 0 };
	struct jose_key *k = NULL;
	struct signing_key sk = { 0 };
	struct buf jwk;
	char *priv = NULL;
	enum op_rc rc;

	buf_init(&jwk, 16384);
	rc = jose_key_generate(alg, &k, err);
	if (rc != OP_OK)
		goto out;
	rc = jose_key_export_private(k, master_key, &priv, err);
	if (rc != OP_OK)
		goto out;
	rc = jose_key_public_jwk(k, &jwk);
	if (rc != OP_OK)
		goto out;
	sk.kid = (char *)jose_key_kid(k);
	sk.alg = (char *)jose_alg_name(alg);
	sk.private_key = priv;
	sk.public_jwk = (char *)buf_str(&jwk);
	/* "Newest" orders keys: a rotation within the second of the last
	 * one still makes a strictly newer key. */
	rc = store_key_list(op->store, note_newest, &nc);
	if (rc != OP_OK)
		goto out;
	sk.created_at = op->now() > nc.newest ? op->now() : nc.newest + 1;
	rc = store_key_add(op->store, &sk);
	if (rc == OP_OK && kid_out != NULL)
		*kid_out = xstrdup(sk.kid);
out:
	xfreestr_secret(priv);
	buf_release(&jwk);
	jose_key_free(k);
	return rc;
}

struct load_ctx {
	struct keyring *kr;
	struct jose_key **keys;
	int64_t *created;
	size_t n;
	enum op_rc rc;
};

static int
load_one(const struct signing_key *sk, void *arg)
{
	struct load_ctx *c = arg;
	enum jose_alg alg = jose_alg_from_name(sk->alg);
	struct jose_key *k = NULL;
	struct op_err err = { 0 };

	if (sk->retired_at != 0 || alg == JOSE_ALG_NONE || c->n >= MAX_KEYS)
		return 0;
	if (jose_key_import_private(sk->private_key, alg,
				    c->kr->has_master ? c->kr->master : NULL,
				    &k, &err) != OP_OK) {
		log_warnx("signing key '%s' cannot be loaded: %s", sk->kid,
			  err.msg);
		c->rc = OP_E_CRYPTO;
		return 1;
	}
	c->created[c->n] = sk->created_at;
	c->keys[c->n++] = k;
	return 0;
}

/* Reads the published keys into a fresh array; swaps it in on success. */
static enum op_rc
keyring_load(struct keyring *kr)
{
	struct jose_key *keys[MAX_KEYS] = { 0 }, *old[MAX_KEYS];
	int64_t created[MAX_KEYS] = { 0 };
	struct load_ctx c = { .kr = kr, .keys = keys, .created = created,
			      .rc = OP_OK };
	size_t i, n_old;
	enum op_rc rc;

	rc = store_key_list(kr->op->store, load_one, &c);
	if (rc == OP_OK)
		rc = c.rc;
	if (rc != OP_OK || c.n == 0) {
		for (i = 0; i < c.n; i++)
			jose_key_free(keys[i]);
		return rc != OP_OK ? rc : OP_E_NOTFOUND;
	}
	pthread_rwlock_wrlock(&kr->lock);
	n_old = kr->n;
	memcpy(old, kr->keys, sizeof(old));
	memcpy(kr->keys, keys, sizeof(keys));
	memcpy(kr->created, created, sizeof(created));
	kr->n = c.n;
	kr->loaded_at = kr->op->now();
	pthread_rwlock_unlock(&kr->lock);
	for (i = 0; i < n_old; i++)
		jose_key_free(old[i]);
	return OP_OK;
}

/* Which algorithms have a published key. */
static int
note_alg(const struct signing_key *sk, void *arg)
{
	bool *seen = arg;
	enum jose_alg alg = jose_alg_from_name(sk->alg);

	if (sk->retired_at == 0 && alg != JOSE_ALG_NONE)
		seen[alg] = true;
	return 0;
}

enum op_rc
keyring_open(struct onepass *op, const unsigned char *master_key,
	     struct keyring **out, struct op_err *err)
{
	static const enum jose_alg algs[] = { JOSE_RS256, JOSE_ES256,
					      JOSE_EDDSA };
	struct keyring *kr = xcalloc(1, sizeof(*kr));
	bool seen[4] = { false };
	enum op_rc rc;
	size_t i;

	kr->op = op;
	kr->activation_sec = op->cfg->oidc_key_activation_sec;
	pthread_rwlock_init(&kr->lock, NULL);
	if (master_key != NULL) {
		memcpy(kr->master, master_key, 32);
		kr->has_master = true;
	}
	rc = store_key_list(op->store, note_alg, seen);
	for (i = 0; rc == OP_OK && i < sizeof(algs) / sizeof(algs[0]); i++) {
		if (seen[algs[i]])
			continue;
		rc = keyring_rotate(op, master_key, algs[i], NULL, err);
		if (rc == OP_OK)
			log_info("created a signing key for %s",
				 jose_alg_name(algs[i]));
	}
	if (rc == OP_OK)
		rc = keyring_load(kr);
	if (rc != OP_OK) {
		op_err_set(err, rc, "signing keys: %s", op_strerror(rc));
		keyring_free(kr);
		return rc;
	}
	*out = kr;
	return OP_OK;
}

void
keyring_free(struct keyring *kr)
{
	size_t i;

	if (kr == NULL)
		return;
	for (i = 0; i < kr->n; i++)
		jose_key_free(kr->keys[i]);
	pthread_rwlock_destroy(&kr->lock);
	sodium_memzero(kr->master, sizeof(kr->master));
	xfree(kr);
}

/* Reloads when the copy in memory is older than max_age_sec. */
static void
keyring_refresh_older(struct keyring *kr, int64_t max_age_sec)
{
	int64_t loaded;

	pthread_rwlock_rdlock(&kr->lock);
	loaded = kr->loaded_at;
	pthread_rwlock_unlock(&kr->lock);
	if (kr->op->now() - loaded < max_age_sec)
		return;
	if (keyring_load(kr) != OP_OK)
		log_warnx("signing keys could not be reloaded; keeping the "
			  "ones in memory");
}

static void
keyring_refresh(struct keyring *kr)
{
	keyring_refresh_older(kr, KEYRING_RELOAD_SEC);
}

/* The signer for alg: the newest key published for at least
 * activation_sec, else the one published longest (its oldest). kr->n
 * when there is none. Keys are held newest first. */
static size_t
keyring_signer(const struct keyring *kr, enum jose_alg alg, int64_t now)
{
	size_t i, oldest = kr->n;

	for (i = 0; i < kr->n; i++) {
		if (jose_key_alg(kr->keys[i]) != alg)
			continue;
		if (now - kr->created[i] >= kr->activation_sec)
			return i;
		oldest = i;
	}
	return oldest;
}

enum op_rc
keyring_sign(struct keyring *kr, enum jose_alg alg, const char *typ,
	     const char *payload, size_t len, struct buf *out)
{
	enum op_rc rc = OP_E_NOTFOUND;
	struct op_err err = { 0 };
	size_t i;

	keyring_refresh(kr);
	pthread_rwlock_rdlock(&kr->lock);
	i = keyring_signer(kr, alg, kr->op->now());
	if (i < kr->n)
		rc = jose_sign(kr->keys[i], typ, payload, len, out, &err);
	pthread_rwlock_unlock(&kr->lock);
	if (rc != OP_OK)
		log_warnx("signing with %s failed: %s", jose_alg_name(alg),
			  rc == OP_E_NOTFOUND ? "no key" : err.msg);
	return rc;
}

enum op_rc
keyring_jwks(struct keyring *kr, struct buf *out)
{
	enum op_rc rc = OP_OK;
	size_t i;

	/* Another node may have just created a key (several nodes starting
	 * on an empty database): the published set is read fresher than
	 * the signer. */
	keyring_refresh_older(kr, KEYRING_JWKS_FRESH_SEC);
	pthread_rwlock_rdlock(&kr->lock);
	if (buf_adds(out, "{\"keys\":[") != 0)
		rc = OP_E_LIMIT;
	for (i = 0; rc == OP_OK && i < kr->n; i++) {
		if (i > 0 && buf_addch(out, ',') != 0)
			rc = OP_E_LIMIT;
		if (rc == OP_OK)
			rc = jose_key_public_jwk(kr->keys[i], out);
	}
	if (rc == OP_OK && buf_adds(out, "]}") != 0)
		rc = OP_E_LIMIT;
	pthread_rwlock_unlock(&kr->lock);
	return rc;
}

/* Verifies with the key called kid; OP_E_NOTFOUND when there is none. */
static enum op_rc
verify_with(struct keyring *kr, const struct jose_jws *j)
{
	enum op_rc rc = OP_E_NOTFOUND;
	size_t i;

	pthread_rwlock_rdlock(&kr->lock);
	for (i = 0; i < kr->n; i++) {
		if (strcmp(jose_key_kid(kr->keys[i]), j->kid) != 0)
			continue;
		rc = jose_jws_verify(j, kr->keys[i]);
		break;
	}
	pthread_rwlock_unlock(&kr->lock);
	return rc;
}

enum op_rc
keyring_verify(struct keyring *kr, const struct jose_jws *j)
{
	enum op_rc rc;

	if (j->kid == NULL)
		return OP_E_DENIED;
	keyring_refresh(kr);
	rc = verify_with(kr, j);
	if (rc == OP_E_NOTFOUND) {
		/* A key another node made since the last load? */
		keyring_refresh_older(kr, KEYRING_JWKS_FRESH_SEC);
		rc = verify_with(kr, j);
	}
	return rc == OP_OK ? OP_OK : OP_E_DENIED;
}

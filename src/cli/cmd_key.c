/*
 * cmd_key.c - `onepass key list|rotate|retire`: the ID service's signing
 * keys. rotate adds a new key (it signs from then on, within
 * KEYRING_RELOAD_SEC on every node) while older ones stay in the JWKS
 * until retired.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/config.h"
#include "core/xmalloc.h"
#include "id/keyring.h"
#include "store/store.h"

struct list_ctx {
	int64_t now;
	int64_t activation_sec;
	char signer[4][128];	/* per enum jose_alg: the kid that signs */
	bool settled[4];	/* an old-enough signer was found */
	const char *kid;	/* for retire: the key looked for */
	bool found;
};

/* First pass, newest first as the keyring walks: an algorithm's signer
 * is its newest key published for activation_sec, else the one
 * published longest (its oldest) - as keyring_signer() decides. */
static int
find_signer(const struct signing_key *k, void *arg)
{
	struct list_ctx *c = arg;
	enum jose_alg alg = jose_alg_from_name(k->alg);
	bool old_enough = c->now - k->created_at >= c->activation_sec;

	if (k->retired_at != 0 || alg == JOSE_ALG_NONE || c->settled[alg])
		return 0;
	snprintf(c->signer[alg], sizeof(c->signer[alg]), "%s", k->kid);
	/* An old-enough key ends the search; a too-new one is kept only
	 * until an older key is seen. */
	c->settled[alg] = old_enough;
	return 0;
}

static const char *
key_role(const struct list_ctx *c, const struct signing_key *k)
{
	enum jose_alg alg = jose_alg_from_name(k->alg);
	const char *signer = c->signer[alg];

	if (k->retired_at != 0)
		return "retired";
	if (strcmp(signer, k->kid) == 0)
		return "current";
	/* Newer than the signer: waiting out the activation delay. */
	return c->now - k->created_at < c->activation_sec ? "next"
							  : "published";
}

static int
print_key(const struct signing_key *k, void *arg)
{
	struct list_ctx *c = arg;
	char when[32];
	time_t t = (time_t)k->created_at;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s\t%s\t%s\t%s\n", k->kid, k->alg, when, key_role(c, k));
	return 0;
}

static int
find_key(const struct signing_key *k, void *arg)
{
	struct list_ctx *c = arg;

	if (strcmp(k->kid, c->kid) != 0)
		return 0;
	c->found = k->retired_at == 0;
	c->kid = strcmp(key_role(c, k), "current") == 0 ? "" : c->kid;
	return 1;
}

static int
master_key(struct onepass *op, unsigned char out[32], bool *present)
{
	if (keyring_master_key(op->cfg->keys_master_key, out, present) !=
	    OP_OK) {
		fprintf(stderr, "onepass: '[keys] master_key' is not base64 "
				"of 32 bytes\n");
		return -1;
	}
	return 0;
}

static int
key_rotate(struct onepass *op, const char *alg_name)
{
	static const enum jose_alg all[] = { JOSE_RS256, JOSE_ES256,
					     JOSE_EDDSA };
	unsigned char mk[32];
	bool has_mk;
	struct op_err err = { 0 };
	struct audit_event ev = { 0 };
	char *kid = NULL;
	size_t i;
	int status = 0;

	if (master_key(op, mk, &has_mk) != 0)
		return 2;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (alg_name != NULL &&
		    jose_alg_from_name(alg_name) != all[i])
			continue;
		if (keyring_rotate(op, has_mk ? mk : NULL, all[i], &kid,
				   &err) != OP_OK) {
			fprintf(stderr, "onepass: %s key not created: %s\n",
				jose_alg_name(all[i]), err.msg);
			status = 1;
			continue;
		}
		ev.at = op->now();
		ev.event = "key.rotated";
		ev.detail = kid;
		store_audit_add(op->store, &ev);
		printf("%s\t%s\tnext\n", kid, jose_alg_name(all[i]));
		xfree(kid);
		kid = NULL;
	}
	sodium_memzero(mk, sizeof(mk));
	return status;
}

static int
key_retire(struct onepass *op, const char *kid)
{
	struct list_ctx c = { .kid = kid, .now = op->now(),
			      .activation_sec = op->cfg->oidc_key_activation_sec };
	struct audit_event ev = { 0 };

	if (store_key_list(op->store, find_signer, &c) != OP_OK ||
	    store_key_list(op->store, find_key, &c) != OP_OK || !c.found) {
		fprintf(stderr, "onepass: no published key '%s'\n", kid);
		return 1;
	}
	if (c.kid[0] == '\0') {
		fprintf(stderr, "onepass: '%s' is the current signing key of "
				"its algorithm; run 'onepass key rotate' first\n",
			kid);
		return 1;
	}
	if (store_key_retire(op->store, kid, op->now()) != OP_OK)
		return 1;
	ev.at = op->now();
	ev.event = "key.retired";
	ev.detail = kid;
	store_audit_add(op->store, &ev);
	printf("retired %s\n", kid);
	return 0;
}

int
cmd_key(struct onepass *op, int argc, char **argv)
{
	struct list_ctx c = { .now = op->now(),
			      .activation_sec = op->cfg->oidc_key_activation_sec };

	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_key_list(op->store, find_signer, &c) == OP_OK &&
			       store_key_list(op->store, print_key, &c) ==
				       OP_OK
			       ? 0
			       : 1;
	if (argc == 2 && strcmp(argv[1], "rotate") == 0)
		return key_rotate(op, NULL);
	if (argc == 4 && strcmp(argv[1], "rotate") == 0 &&
	    strcmp(argv[2], "--alg") == 0) {
		if (jose_alg_from_name(argv[3]) == JOSE_ALG_NONE) {
			fprintf(stderr, "onepass: --alg is RS256, ES256 or "
					"EdDSA\n");
			return 2;
		}
		return key_rotate(op, argv[3]);
	}
	if (argc == 3 && strcmp(argv[1], "retire") == 0)
		return key_retire(op, argv[2]);
	fprintf(stderr, "usage: onepass key list\n"
			"       onepass key rotate [--alg RS256|ES256|EdDSA]\n"
			"       onepass key retire KID\n");
	return 2;
}

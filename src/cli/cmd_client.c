/*
 * cmd_client.c - `onepass client add|list|remove`: the OpenID Connect
 * clients (relying parties) of the ID service. The secret is printed once
 * and only its SHA-256 is stored (it is 256 random bits, so a fast hash
 * is enough).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "core/buf.h"
#include "core/token.h"
#include "crypto/jose.h"
#include "store/store.h"

struct add_opts {
	const char *name;
	struct buf redirect;	/* one URI per line */
	struct buf post_logout;
	bool is_public;
	bool first_party;
	const char *alg;
};

static bool
uri_ok(const char *u)
{
	return (strncmp(u, "https://", 8) == 0 ||
		strncmp(u, "http://", 7) == 0) &&
	       strchr(u, '#') == NULL && strpbrk(u, " \r\n\t") == NULL;
}

static int
add_line(struct buf *b, const char *uri)
{
	if (!uri_ok(uri)) {
		fprintf(stderr, "onepass: '%s' is not an absolute http(s) URI "
				"without a fragment\n", uri);
		return -1;
	}
	if ((b->len > 0 && buf_addch(b, '\n') != 0) || buf_adds(b, uri) != 0)
		return -1;
	return 0;
}

static int
parse_add(int argc, char **argv, struct add_opts *o)
{
	int i;

	for (i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--public") == 0) {
			o->is_public = true;
		} else if (strcmp(a, "--first-party") == 0) {
			o->first_party = true;
		} else if (v == NULL) {
			fprintf(stderr, "onepass: '%s' needs a value\n", a);
			return -1;
		} else if (strcmp(a, "--name") == 0) {
			o->name = argv[++i];
		} else if (strcmp(a, "--redirect-uri") == 0) {
			if (add_line(&o->redirect, argv[++i]) != 0)
				return -1;
		} else if (strcmp(a, "--post-logout-redirect-uri") == 0) {
			if (add_line(&o->post_logout, argv[++i]) != 0)
				return -1;
		} else if (strcmp(a, "--id-token-alg") == 0) {
			o->alg = argv[++i];
		} else {
			fprintf(stderr, "onepass: unknown option '%s'\n", a);
			return -1;
		}
	}
	if (o->name == NULL || o->redirect.len == 0) {
		fprintf(stderr, "onepass: client add needs --name and at least "
				"one --redirect-uri\n");
		return -1;
	}
	if (jose_alg_from_name(o->alg) == JOSE_ALG_NONE) {
		fprintf(stderr, "onepass: --id-token-alg is RS256, ES256 or "
				"EdDSA\n");
		return -1;
	}
	return 0;
}

static int
client_add(struct onepass *op, int argc, char **argv)
{
	struct add_opts o = { .alg = "RS256" };
	unsigned char raw[16];
	char id[32], secret[TOKEN_STR_LEN + 1], hash[TOKEN_HASH_LEN + 1];
	struct client c = { 0 };
	struct audit_event ev = { 0 };
	enum op_rc rc;
	int status = 2;

	buf_init(&o.redirect, 16384);
	buf_init(&o.post_logout, 16384);
	if (parse_add(argc, argv, &o) != 0)
		goto out;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(id, sizeof(id), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_new(secret);
	token_hash(secret, strlen(secret), hash);
	c.client_id = id;
	c.secret_hash = o.is_public ? NULL : hash;
	c.name = (char *)o.name;
	c.redirect_uris = (char *)buf_str(&o.redirect);
	c.post_logout_uris = (char *)buf_str(&o.post_logout);
	c.first_party = o.first_party;
	c.id_token_alg = (char *)o.alg;
	c.created_at = op->now();
	rc = store_client_create(op->store, &c);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: client not added: %s\n",
			rc == OP_E_EXISTS ? "that name is taken"
					  : op_strerror(rc));
		status = 1;
		goto out;
	}
	ev.at = op->now();
	ev.event = "client.added";
	ev.detail = id;
	if (store_audit_add(op->store, &ev) != OP_OK)
		fprintf(stderr, "onepass: warning: audit event not written\n");
	printf("client_id: %s\n", id);
	if (!o.is_public)
		printf("client_secret: %s\n", secret);
	status = 0;
out:
	sodium_memzero(secret, sizeof(secret));
	buf_release(&o.redirect);
	buf_release(&o.post_logout);
	return status;
}

static int
print_client(const struct client *c, void *arg)
{
	char *uris = (char *)c->redirect_uris, *p;

	(void)arg;
	printf("%s\t%s\t%s%s\t%s\t", c->client_id, c->name,
	       c->secret_hash ? "confidential" : "public",
	       c->first_party ? ",first-party" : "", c->id_token_alg);
	for (p = uris; *p != '\0'; p++)
		putchar(*p == '\n' ? ' ' : *p);
	putchar('\n');
	return 0;
}

static int
client_remove(struct onepass *op, const char *which)
{
	struct client c = { 0 };
	struct audit_event ev = { 0 };
	enum op_rc rc;

	rc = store_client_get(op->store, which, &c);
	if (rc == OP_E_NOTFOUND)
		rc = store_client_by_name(op->store, which, &c);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: no client '%s'\n", which);
		return 1;
	}
	rc = store_client_delete(op->store, c.client_id);
	if (rc == OP_OK) {
		ev.at = op->now();
		ev.event = "client.removed";
		ev.detail = c.client_id;
		rc = store_audit_add(op->store, &ev);
		printf("removed %s (%s)\n", c.client_id, c.name);
	}
	client_release(&c);
	return rc == OP_OK ? 0 : 1;
}

int
cmd_client(struct onepass *op, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return client_add(op, argc, argv);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return store_client_list(op->store, print_client, NULL) ==
				       OP_OK ? 0 : 1;
	if (argc == 3 && strcmp(argv[1], "remove") == 0)
		return client_remove(op, argv[2]);
	fprintf(stderr,
		"usage: onepass client add --name NAME --redirect-uri URI "
		"[--redirect-uri URI2]\n"
		"                          [--post-logout-redirect-uri URI] "
		"[--public] [--first-party]\n"
		"                          [--id-token-alg RS256|ES256|EdDSA]\n"
		"       onepass client list\n"
		"       onepass client remove CLIENT_ID|NAME\n");
	return 2;
}

/*
 * portals.c - the portals as configured, each with its OpenID Connect
 * client. A portal without a configured client, served in the same
 * process as the ID service, is registered with it on first start as a
 * first-party client; the registration is kept in the store, so every
 * node and every restart uses the same client.
 */
#include <string.h>

#include <sodium.h>

#include "business/business.h"
#include "business/rp.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/store.h"

/* Registers portal p with the local ID service and records it. */
static enum op_rc
register_portal(struct biz_site *site, struct biz_portal *p)
{
	const struct config *cfg = site->op->cfg;
	unsigned char raw[16];
	char id[32], secret[TOKEN_STR_LEN + 1], hash[TOKEN_HASH_LEN + 1];
	struct client c = { 0 };
	struct portal_client pc = { 0 };
	char *logout = xasprintf("%s/", cfg->business_public_url);
	enum op_rc rc;

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(id, sizeof(id), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	token_new(secret);
	token_hash(secret, strlen(secret), hash);
	c.client_id = id;
	c.secret_hash = hash;
	c.name = (char *)p->name;
	c.redirect_uris = p->redirect_uri;
	c.post_logout_uris = logout;
	c.first_party = true;
	c.id_token_alg = "RS256";
	c.created_at = site->op->now();
	rc = store_begin(site->op->store);
	if (rc != OP_OK)
		goto out;
	rc = store_client_create(site->op->store, &c);
	if (rc == OP_OK) {
		pc.portal = (char *)p->slug;
		pc.issuer = p->issuer;
		pc.client_id = id;
		pc.client_secret = secret;
		rc = store_portal_client_put(site->op->store, &pc);
	}
	if (rc == OP_OK)
		rc = store_commit(site->op->store);
	else
		store_rollback(site->op->store);
	if (rc == OP_OK) {
		log_info("registered portal '%s' with the ID service as client "
			 "'%s'", p->name, id);
		p->client_id = xstrdup(id);
		p->client_secret = xstrdup(secret);
	}
out:
	sodium_memzero(secret, sizeof(secret));
	xfree(logout);
	return rc;
}

/* Finds the portal's client: configuration, then the store, then (for
 * the local ID service) a new registration. */
static enum op_rc
portal_client(struct biz_site *site, struct biz_portal *p, bool local)
{
	struct portal_client pc = { 0 };
	enum op_rc rc;
	int tries;

	for (tries = 0; tries < 2; tries++) {
		rc = store_portal_client_get(site->op->store, p->slug,
					     p->issuer, &pc);
		if (rc == OP_OK) {
			p->client_id = xstrdup(pc.client_id);
			p->client_secret = xstrdup(pc.client_secret);
			portal_client_release(&pc);
			return OP_OK;
		}
		if (rc != OP_E_NOTFOUND || !local)
			return rc;
		rc = register_portal(site, p);
		/* Another node registered it at the same moment: read it. */
		if (rc != OP_E_EXISTS)
			return rc;
	}
	return OP_E_CONFLICT;
}

enum op_rc
biz_portals_init(struct biz_site *site, bool id_local, struct op_err *err)
{
	const struct config *cfg = site->op->cfg;
	struct rp_cache_config rc_cfg = {
		.ca_file = cfg->business_ca_file[0] ? cfg->business_ca_file
						    : NULL,
		.timeout_sec = 10,
		.now = site->op->now,
	};
	enum op_rc rc;
	size_t i;

	site->rp = rp_cache_new(&rc_cfg);
	for (i = 0; i < cfg->n_portals && i < BIZ_MAX_PORTALS; i++) {
		const struct portal_config *pcfg = &cfg->portals[i];
		struct biz_portal *p = &site->portals[site->n_portals++];
		bool local;

		p->slug = pcfg->slug;
		p->name = pcfg->name;
		p->path = pcfg->path;
		p->audience = pcfg->audience;
		p->profile_type = strcmp(pcfg->audience, "partner") == 0
					  ? PROFILE_PARTNER
					  : PROFILE_CUSTOMER;
		local = pcfg->issuer[0] == '\0' ||
			strcmp(pcfg->issuer, cfg->id_public_url) == 0;
		p->issuer = xstrdup(pcfg->issuer[0] ? pcfg->issuer
						    : cfg->id_public_url);
		p->redirect_uri = xasprintf("%s%s/callback",
					    cfg->business_public_url, p->path);
		if (pcfg->client_id[0] != '\0') {
			p->client_id = xstrdup(pcfg->client_id);
			p->client_secret = xstrdup(pcfg->client_secret);
			p->ready = true;
			continue;
		}
		rc = portal_client(site, p, local && id_local);
		if (rc == OP_OK) {
			p->ready = true;
		} else if (rc == OP_E_NOTFOUND) {
			log_warnx("portal '%s' has no client at '%s': set "
				  "[portal_%s] client_id and client_secret",
				  p->name, p->issuer, p->slug);
		} else {
			return op_err_set(err, rc, "portal '%s': client "
					  "registration failed: %s", p->name,
					  op_strerror(rc));
		}
	}
	return OP_OK;
}

void
biz_portals_release(struct biz_site *site)
{
	size_t i;

	for (i = 0; i < site->n_portals; i++) {
		struct biz_portal *p = &site->portals[i];

		xfree(p->issuer);
		xfree(p->client_id);
		xfreestr_secret(p->client_secret);
		xfree(p->redirect_uri);
		memset(p, 0, sizeof(*p));
	}
	site->n_portals = 0;
	rp_cache_free(site->rp);
	site->rp = NULL;
}

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "config.h"
#include "log.h"
#include "xmalloc.h"

const struct config_key config_keys[] = {
#define CONFIG_KEY(sec, key, type, def, doc)                                  \
	{ #sec, #key, CONFIG_##type, def, doc },
#include "config_keys.def"
#undef CONFIG_KEY
	{ NULL, NULL, CONFIG_STR, NULL, NULL },
};

static const size_t config_offsets[] = {
#define CONFIG_KEY(sec, key, type, def, doc) offsetof(struct config, sec##_##key),
#include "config_keys.def"
#undef CONFIG_KEY
};

struct load_state {
	struct config *cfg;
	struct op_err *err;
	int failed;
};

static int
parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") ||
	    !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "false") || !strcasecmp(v, "no") ||
		 !strcmp(v, "0") || !strcasecmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

static int
parse_long(const char *v, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0')
		return -1;
	*out = n;
	return 0;
}

/* Sets key i from text; returns 0 or -1 when the value does not parse. */
static int
config_set(struct config *cfg, size_t i, const char *value)
{
	char *base = (char *)cfg + config_offsets[i];
	char **sp;

	switch (config_keys[i].type) {
	case CONFIG_STR:
		sp = (char **)(void *)base;
		xfree(*sp);
		*sp = xstrdup(value);
		return 0;
	case CONFIG_INT:
		return parse_long(value, (long *)(void *)base);
	case CONFIG_BOOL:
		return parse_bool(value, (bool *)(void *)base);
	}
	return -1;
}

static int
find_key(const char *section, const char *key)
{
	size_t i;

	for (i = 0; config_keys[i].section != NULL; i++)
		if (!strcmp(config_keys[i].section, section) &&
		    !strcmp(config_keys[i].key, key))
			return (int)i;
	return -1;
}

/* ---- portals: [portal_<slug>] sections ---- */

static const char *const portal_keys[] = {
	"name", "path", "audience", "issuer", "client_id", "client_secret",
	"enabled",
};

static char **
portal_field(struct portal_config *p, size_t k)
{
	switch (k) {
	case 0: return &p->name;
	case 1: return &p->path;
	case 2: return &p->audience;
	case 3: return &p->issuer;
	case 4: return &p->client_id;
	case 5: return &p->client_secret;
	}
	return NULL;
}

static void
portal_free(struct portal_config *p)
{
	size_t k;

	xfree(p->slug);
	for (k = 0; k < 5; k++)
		xfree(*portal_field(p, k));
	xfreestr_secret(p->client_secret);
	memset(p, 0, sizeof(*p));
}

static struct portal_config *
portal_add(struct config *cfg, const char *slug, const char *name,
	   const char *path, const char *audience)
{
	struct portal_config *p;

	if (cfg->n_portals >= CONFIG_MAX_PORTALS)
		return NULL;
	p = &cfg->portals[cfg->n_portals++];
	p->slug = xstrdup(slug);
	p->name = xstrdup(name);
	p->path = xstrdup(path);
	p->audience = xstrdup(audience);
	p->issuer = xstrdup("");
	p->client_id = xstrdup("");
	p->client_secret = xstrdup("");
	p->enabled = true;
	return p;
}

static struct portal_config *
portal_find(struct config *cfg, const char *slug)
{
	size_t i;

	for (i = 0; i < cfg->n_portals; i++)
		if (strcmp(cfg->portals[i].slug, slug) == 0)
			return &cfg->portals[i];
	return NULL;
}

static bool
slug_ok(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n <= 32 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789") == n;
}

/* Sets key of portal p; -1 for an unknown key or bad value. */
static int
portal_set(struct portal_config *p, const char *key, const char *value)
{
	size_t k;
	char **f;

	for (k = 0; k < sizeof(portal_keys) / sizeof(portal_keys[0]); k++) {
		if (strcmp(portal_keys[k], key) != 0)
			continue;
		if (k == 6)
			return parse_bool(value, &p->enabled);
		f = portal_field(p, k);
		xfree(*f);
		*f = xstrdup(value);
		return 0;
	}
	return -1;
}

static int
portal_entry(struct load_state *st, const char *slug, const char *key,
	     const char *value)
{
	struct portal_config *p = portal_find(st->cfg, slug);

	if (!slug_ok(slug)) {
		op_err_set(st->err, OP_E_INVALID, "bad portal section "
			   "'[portal_%s]': use lower-case letters and digits",
			   slug);
		return -1;
	}
	if (p == NULL)
		p = portal_add(st->cfg, slug, slug, "", "customer");
	if (p == NULL) {
		op_err_set(st->err, OP_E_INVALID, "more than %d portals",
			   CONFIG_MAX_PORTALS);
		return -1;
	}
	if (portal_set(p, key, value) != 0) {
		op_err_set(st->err, OP_E_INVALID, "bad key or value "
			   "'[portal_%s] %s'", slug, key);
		return -1;
	}
	return 0;
}

static enum op_rc
portals_env(struct config *cfg, struct op_err *err)
{
	char name[128];
	const char *v;
	size_t i, k, j;

	for (i = 0; i < cfg->n_portals; i++) {
		for (k = 0; k < sizeof(portal_keys) / sizeof(portal_keys[0]);
		     k++) {
			snprintf(name, sizeof(name), "ONEPASS_PORTAL_%s_%s",
				 cfg->portals[i].slug, portal_keys[k]);
			for (j = 0; name[j] != '\0'; j++)
				name[j] = (char)toupper((unsigned char)name[j]);
			v = getenv(name);
			if (v != NULL && portal_set(&cfg->portals[i],
						    portal_keys[k], v) != 0)
				return op_err_set(err, OP_E_INVALID,
						  "bad value in '%s'", name);
		}
	}
	return OP_OK;
}

static bool
portal_path_ok(const char *p)
{
	size_t n = strlen(p);

	return n >= 2 && n <= 64 && p[0] == '/' && p[n - 1] != '/' &&
	       strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789-/") == n &&
	       strstr(p, "//") == NULL;
}

/* Drops disabled portals and checks the rest. */
static enum op_rc
portals_check(struct config *cfg, struct op_err *err)
{
	size_t i, j, n = 0;

	for (i = 0; i < cfg->n_portals; i++) {
		struct portal_config *p = &cfg->portals[i];

		if (!p->enabled) {
			portal_free(p);
			continue;
		}
		if (p->name[0] == '\0' || !portal_path_ok(p->path) ||
		    (strcmp(p->audience, "customer") != 0 &&
		     strcmp(p->audience, "partner") != 0))
			return op_err_set(err, OP_E_INVALID, "portal '%s' needs "
					  "a name, a path like /name and an "
					  "audience customer or partner",
					  p->slug);
		if (n != i) {
			cfg->portals[n] = *p;
			memset(p, 0, sizeof(*p));
		}
		n++;
	}
	cfg->n_portals = n;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(cfg->portals[i].path,
				   cfg->portals[j].path) == 0)
				return op_err_set(err, OP_E_INVALID, "two "
						  "portals at '%s'",
						  cfg->portals[i].path);
	return OP_OK;
}

static int
config_ini_entry(void *user, const char *section, const char *name,
	    const char *value)
{
	struct load_state *st = user;
	int i;

	if (st->failed)
		return 0;
	if (strncmp(section, "portal_", 7) == 0) {
		if (portal_entry(st, section + 7, name, value) != 0) {
			st->failed = 1;
			return 0;
		}
		return 1;
	}
	i = find_key(section, name);
	if (i < 0) {
		op_err_set(st->err, OP_E_INVALID, "unknown key '[%s] %s'",
			   section, name);
		st->failed = 1;
		return 0;
	}
	if (config_set(st->cfg, (size_t)i, value) != 0) {
		op_err_set(st->err, OP_E_INVALID, "bad value for '[%s] %s'",
			   section, name);
		st->failed = 1;
		return 0;
	}
	return 1;
}

static enum op_rc
load_env(struct config *cfg, struct op_err *err)
{
	char name[128];
	const char *v;
	size_t i, j;

	for (i = 0; config_keys[i].section != NULL; i++) {
		snprintf(name, sizeof(name), "ONEPASS_%s_%s",
			 config_keys[i].section, config_keys[i].key);
		for (j = 0; name[j] != '\0'; j++)
			name[j] = (char)toupper((unsigned char)name[j]);
		v = getenv(name);
		if (v == NULL)
			continue;
		if (config_set(cfg, i, v) != 0)
			return op_err_set(err, OP_E_INVALID,
					  "bad value in '%s'", name);
	}
	return OP_OK;
}

static enum op_rc
config_check(const struct config *cfg, struct op_err *err)
{
	if (cfg->password_min_length < 1 ||
	    cfg->password_max_length < 64 ||
	    cfg->password_max_length < cfg->password_min_length)
		return op_err_set(err, OP_E_INVALID,
				  "password lengths: min >= 1, max >= 64 and >= min");
	if (cfg->password_argon2_memory_kib < 8 ||
	    cfg->password_argon2_passes < 1)
		return op_err_set(err, OP_E_INVALID, "argon2 parameters too low");
	if (cfg->server_threads < 1 || cfg->server_threads > 256 ||
	    cfg->server_slow_threads < 1 || cfg->server_slow_threads > 64)
		return op_err_set(err, OP_E_INVALID, "thread counts out of range");
	if (cfg->server_max_body_bytes < 1024 || cfg->server_max_params < 4)
		return op_err_set(err, OP_E_INVALID, "request limits too low");
	if (cfg->business_link_ttl_sec < 1 || cfg->business_session_hours < 1 ||
	    cfg->business_requests_per_identity < 1 ||
	    cfg->business_requests_per_address < 1 ||
	    cfg->tokens_verify_ttl_sec < 1 || cfg->tokens_reset_ttl_sec < 1 ||
	    cfg->oidc_code_ttl_sec < 1 || cfg->oidc_access_ttl_sec < 1 ||
	    cfg->oidc_refresh_ttl_sec < 1 || cfg->oidc_id_token_ttl_sec < 1 ||
	    cfg->oidc_request_ttl_sec < 1 || cfg->oidc_key_activation_sec < 0 ||
	    cfg->session_persistent_days < 1 || cfg->session_browser_hours < 1)
		return op_err_set(err, OP_E_INVALID, "lifetimes and limits "
				  "must be positive");
	if (cfg->server_data_dir[0] == '\0')
		return op_err_set(err, OP_E_INVALID, "data_dir is empty");
	return OP_OK;
}

/* Removes one trailing '/' from public URLs so paths can be appended. */
static void
trim_slash(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
}

enum op_rc
config_load(struct config *cfg, const char *path, const char *data_dir,
	    struct op_err *err)
{
	struct load_state st = { cfg, err, 0 };
	enum op_rc rc;
	size_t i;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; config_keys[i].section != NULL; i++)
		if (config_set(cfg, i, config_keys[i].def) != 0)
			fatalx("config: bad default for '%s'", config_keys[i].key);
	portal_add(cfg, "customersource", "CustomerSource", "/customersource",
		   "customer");
	portal_add(cfg, "partnersource", "PartnerSource", "/partnersource",
		   "partner");
	if (path != NULL) {
		r = ini_parse(path, config_ini_entry, &st);
		if (r < 0) {
			rc = op_err_set(err, OP_E_INVALID, "cannot read '%s'", path);
			goto fail;
		}
		if (st.failed) {
			rc = OP_E_INVALID;
			goto fail;
		}
		if (r > 0) {
			rc = op_err_set(err, OP_E_INVALID,
					"'%s' line %d does not parse", path, r);
			goto fail;
		}
	}
	rc = load_env(cfg, err);
	if (rc == OP_OK)
		rc = portals_env(cfg, err);
	if (rc == OP_OK)
		rc = portals_check(cfg, err);
	if (rc != OP_OK)
		goto fail;
	if (data_dir != NULL) {
		xfree(cfg->server_data_dir);
		cfg->server_data_dir = xstrdup(data_dir);
	}
	rc = config_check(cfg, err);
	if (rc != OP_OK)
		goto fail;
	trim_slash(cfg->id_public_url);
	trim_slash(cfg->business_public_url);
	if (cfg->store_url[0] == '\0')
		cfg->store_path = xasprintf("%s/onepass.db", cfg->server_data_dir);
	else if (!strncmp(cfg->store_url, "sqlite:", 7))
		cfg->store_path = xstrdup(cfg->store_url + 7);
	cfg->mail_dir = xasprintf("%s/mail", cfg->server_data_dir);
	return OP_OK;
fail:
	config_release(cfg);
	return rc;
}

void
config_release(struct config *cfg)
{
	size_t i;

	for (i = 0; config_keys[i].section != NULL; i++) {
		if (config_keys[i].type == CONFIG_STR) {
			char **sp = (char **)(void *)((char *)cfg + config_offsets[i]);
			xfree(*sp);
			*sp = NULL;
		}
	}
	for (i = 0; i < cfg->n_portals; i++)
		portal_free(&cfg->portals[i]);
	cfg->n_portals = 0;
	xfree(cfg->store_path);
	xfree(cfg->mail_dir);
	cfg->store_path = NULL;
	cfg->mail_dir = NULL;
}

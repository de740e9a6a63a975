/*
 * config.h - the immutable configuration: built-in defaults, then the INI
 * file, then ONEPASS_<SECTION>_<KEY> environment variables, then the
 * command line's --data-dir. Keys are listed once in config_keys.def.
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>

#include "onepass.h"

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL };

#define CONFIG_FIELD_STR char *
#define CONFIG_FIELD_INT long
#define CONFIG_FIELD_BOOL bool

#define CONFIG_MAX_PORTALS 16

/*
 * A portal of the business site: a section [portal_<slug>] with the keys
 * name, path, audience (customer|partner), issuer (empty: the local ID
 * service), client_id and client_secret (empty: registered with the local
 * ID service on first start). CustomerSource and PartnerSource exist by
 * default; "enabled = false" removes one. ONEPASS_PORTAL_<SLUG>_<KEY>
 * overrides a key of a portal that exists.
 */
struct portal_config {
	char *slug;
	char *name;
	char *path;
	char *audience;
	char *issuer;
	char *client_id;
	char *client_secret;
	bool enabled;
};

struct config {
#define CONFIG_KEY(sec, key, type, def, doc) CONFIG_FIELD_##type sec##_##key;
#include "config_keys.def"
#undef CONFIG_KEY
	struct portal_config portals[CONFIG_MAX_PORTALS];
	size_t n_portals;
	/* Derived at load. */
	char *store_path;	/* for sqlite: the file path */
	char *mail_dir;		/* <data_dir>/mail */
};

struct config_key {
	const char *section;
	const char *key;
	enum config_type type;
	const char *def;
	const char *doc;
};

/* The table of every key, ended by a zeroed entry. */
extern const struct config_key config_keys[];

/*
 * Loads defaults, then path (may be NULL), then the environment, then
 * data_dir (may be NULL). On error returns OP_E_INVALID with detail in err
 * and leaves cfg released. Release with config_release().
 */
enum op_rc config_load(struct config *cfg, const char *path,
		       const char *data_dir, struct op_err *err);
void config_release(struct config *cfg);

#endif

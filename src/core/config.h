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

struct config {
#define CONFIG_KEY(sec, key, type, def, doc) CONFIG_FIELD_##type sec##_##key;
#include "config_keys.def"
#undef CONFIG_KEY
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

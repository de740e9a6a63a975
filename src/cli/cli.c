/*
 * cli.c - global options and the subcommand table (git's commands[] with
 * needs-flags): each command says whether it needs the store; cli_main
 * loads the configuration, opens what the command needs, runs it, and
 * releases everything in reverse order.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "cli/cli.h"
#include "cli/cmd_mail.h"
#include "core/config.h"
#include "core/fsutil.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/store.h"

enum cli_flags {
	CLI_NEEDS_STORE = 1 << 0,
};

struct cli_command {
	const char *name;
	int (*fn)(struct onepass *op, int argc, char **argv);
	unsigned flags;
	const char *usage;
};

static int cmd_help(struct onepass *op, int argc, char **argv);

static const struct cli_command commands[] = {
	{ "serve", cmd_serve, CLI_NEEDS_STORE,
	  "serve                     run the ID service (and business site)" },
	{ "user", cmd_user, CLI_NEEDS_STORE,
	  "user list                 list IDs\n"
	  "  user disable EMAIL        disable an ID and end its sessions\n"
	  "  user enable EMAIL         enable a disabled ID" },
	{ "profile", cmd_profile, CLI_NEEDS_STORE,
	  "profile add --email E --name N --company C --type customer|partner"
	  "\n"
	  "                            add a business profile\n"
	  "  profile import FILE.csv   add the profiles of a CSV file "
	  "(email,name,\n"
	  "                            company,type), all or none\n"
	  "  profile list              list business profiles" },
	{ "client", cmd_client, CLI_NEEDS_STORE,
	  "client add --name NAME --redirect-uri URI [...]   register a "
	  "site\n"
	  "  client list               list registered sites\n"
	  "  client remove CLIENT_ID   remove a site and its tokens" },
	{ "key", cmd_key, CLI_NEEDS_STORE,
	  "key list                  list signing keys\n"
	  "  key rotate [--alg ALG]    add new signing keys\n"
	  "  key retire KID            drop an old key from the JWKS" },
	{ "mail", cmd_mail, CLI_NEEDS_STORE,
	  "mail list [--pending|--failed|--sent]   list messages\n"
	  "  mail show ID              print one message as sent\n"
	  "  mail retry ID             send a failed message again" },
	{ "store", cmd_store, CLI_NEEDS_STORE,
	  "store migrate             bring the database schema up to date\n"
	  "  store check               connect, report the schema version and "
	  "round trip" },
	{ "help", cmd_help, 0, "help                      this list" },
};

static const struct cli_command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: onepass [--data-dir DIR] [--config FILE] "
		   "COMMAND [ARGS]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i].usage);
	fprintf(f, "\nEvery configuration key can also be set by an "
		   "environment variable\nONEPASS_<SECTION>_<KEY>, which "
		   "wins over the file.\n");
}

static int
cmd_help(struct onepass *op, int argc, char **argv)
{
	(void)op;
	(void)argc;
	(void)argv;
	usage(stdout);
	return 0;
}

static enum log_level
level_of(const char *s)
{
	if (strcmp(s, "debug") == 0)
		return LOG_DEBUG;
	if (strcmp(s, "warn") == 0)
		return LOG_WARN;
	return LOG_INFO;
}

/* Moves --data-dir/--config (with "=VALUE" or a separate value) out of
 * argv, anywhere on the line; returns the remaining count or -1. */
static int
take_options(int argc, char **argv, const char **data_dir,
	     const char **config)
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		const char **slot = NULL;
		const char *a = argv[i];
		size_t klen = 0;

		if (strncmp(a, "--data-dir", 10) == 0) {
			slot = data_dir;
			klen = 10;
		} else if (strncmp(a, "--config", 8) == 0) {
			slot = config;
			klen = 8;
		}
		if (slot == NULL || (a[klen] != '\0' && a[klen] != '=')) {
			argv[n++] = argv[i];
			continue;
		}
		if (a[klen] == '=')
			*slot = a + klen + 1;
		else if (i + 1 < argc)
			*slot = argv[++i];
		else
			return -1;
	}
	argv[n] = NULL;
	return n;
}

int
cli_main(int argc, char **argv)
{
	const char *data_dir = NULL, *config_path = NULL;
	const struct cli_command *cmd;
	struct config cfg;
	struct onepass op = { 0 };
	struct op_err err = { 0 };
	int rc, n;

	n = take_options(argc - 1, argv + 1, &data_dir, &config_path);
	if (n < 0) {
		fprintf(stderr, "onepass: an option needs a value\n");
		return 2;
	}
	if (n == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(n == 0 ? stderr : stdout);
		return n == 0 ? 2 : 0;
	}
	cmd = find_command(argv[1]);
	if (cmd == NULL) {
		fprintf(stderr, "onepass: '%s' is not a command\n\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (sodium_init() < 0)
		fatalx("libsodium could not be initialised");
	if (config_load(&cfg, config_path, data_dir, &err) != OP_OK) {
		fprintf(stderr, "onepass: configuration: %s\n", err.msg);
		return 2;
	}
	log_set_level(level_of(cfg.log_level));
	op.cfg = &cfg;
	op.now = clock_now;
	if (cmd->flags & CLI_NEEDS_STORE) {
		if (fs_mkdir_p(cfg.server_data_dir, 0700, &err) != OP_OK) {
			fprintf(stderr, "onepass: %s\n", err.msg);
			config_release(&cfg);
			return 1;
		}
		if (store_open(&cfg, &op.store, &err) != OP_OK) {
			fprintf(stderr, "onepass: store: %s\n", err.msg);
			config_release(&cfg);
			return 1;
		}
	}
	rc = cmd->fn(&op, n, argv + 1);
	if (op.store != NULL)
		store_close(op.store);
	config_release(&cfg);
	return rc;
}

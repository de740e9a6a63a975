/*
 * cli.h - the `onepass` command line: global options (--data-dir,
 * --config) and the table of subcommands.
 */
#ifndef CLI_H
#define CLI_H

#include "core/onepass.h"

/* Runs the command line; returns the process exit status. */
int cli_main(int argc, char **argv);

/* Subcommands: argv[0] is the subcommand's name; options already removed.
 * op->cfg is loaded; op->store is open for commands that need it. */
int cmd_serve(struct onepass *op, int argc, char **argv);
int cmd_user(struct onepass *op, int argc, char **argv);
int cmd_client(struct onepass *op, int argc, char **argv);
int cmd_key(struct onepass *op, int argc, char **argv);
/* `profile add|import|list`: 0, 1 when refused or on a store failure, 2
 * on a usage error. */
int cmd_profile(struct onepass *op, int argc, char **argv);
/* `store migrate|check`: 0, 1 when the database fails, 2 on a usage
 * error. */
int cmd_store(struct onepass *op, int argc, char **argv);

#endif

/*
 * cmd_store.c - `onepass store migrate|check`: the operator's view of the
 * database, for either backend.
 *
 * The command table opens the store before these run (CLI_NEEDS_STORE),
 * and opening is what connects and brings the schema up to date (under a
 * lock, so nodes starting at the same time cannot race; see the backends'
 * migrate.c). So `migrate` only reports the version it left, and an
 * unreachable database never gets here: cli_main prints the store's error
 * (naming the database, never a password) and exits 1. `check` then
 * proves the connection answers and reports the schema version and the
 * round trip of a query, the median of a few, so an operator can tell a
 * slow network from a slow database. It reads nothing else and writes
 * nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/config.h"
#include "store/store.h"

#define CHECK_ROUNDS 5

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Which backend the configuration names, for people: never the URL,
 * which may hold a password. */
static const char *
backend_name(const struct config *cfg)
{
	const char *url = cfg->store_url != NULL ? cfg->store_url : "";

	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0)
		return "postgresql";
	return "sqlite";
}

static int
store_migrate(struct onepass *op)
{
	int version = 0;
	enum op_rc rc;

	rc = store_schema_version(op->store, &version);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: store: cannot read the schema "
				"version: %s\n",
			op_strerror(rc));
		return 1;
	}
	printf("schema version %d: up to date\n", version);
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
store_check(struct onepass *op)
{
	const struct config *cfg = op->cfg;
	double took[CHECK_ROUNDS], t0;
	int i, version = 0;
	enum op_rc rc = OP_OK;

	for (i = 0; i < CHECK_ROUNDS && rc == OP_OK; i++) {
		t0 = now_ms();
		rc = store_schema_version(op->store, &version);
		took[i] = now_ms() - t0;
	}
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: store: the database does not "
				"answer: %s\n",
			op_strerror(rc));
		return 1;
	}
	qsort(took, CHECK_ROUNDS, sizeof(took[0]), cmp_double);
	printf("backend: %s\n", backend_name(cfg));
	if (strcmp(backend_name(cfg), "sqlite") == 0)
		printf("file: %s\n", cfg->store_path);
	else
		printf("pool size: %ld\n", cfg->store_pool_size);
	printf("schema version: %d\n", version);
	printf("round trip: %.2f ms (median of %d)\n", took[CHECK_ROUNDS / 2],
	       CHECK_ROUNDS);
	printf("status: ok\n");
	return 0;
}

int
cmd_store(struct onepass *op, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "migrate") == 0)
		return store_migrate(op);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return store_check(op);
	fprintf(stderr, "usage: onepass store migrate|check\n");
	return 2;
}

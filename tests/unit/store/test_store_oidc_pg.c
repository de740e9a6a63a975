/*
 * test_store_oidc_pg.c - the store conformance suite of the OpenID
 * Connect provider's records (test_store_oidc.c, included with its main()
 * renamed, so both backends run exactly the same subtests) on the
 * PostgreSQL backend. The factory (a fresh schema per subtest) is in
 * pg_factory.h. Without ONEPASS_TEST_PG_DSN it reports one skipped test.
 */
#define main test_store_oidc_sqlite_main
#include "test_store_oidc.c"
#undef main

#include "pg_factory.h"

int
main(void)
{
	struct store_factory pg;
	struct pg_ctx ctx;

	log_set_level(LOG_WARN);
	if (!pg_factory_init(&ctx, &pg))
		return pg_skip_all("test_store_oidc_pg");
	conformance_oidc_run(&pg);
	pg_factory_done(&ctx);
	return done_testing();
}

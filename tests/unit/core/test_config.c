/* Unit tests of core/config.c: defaults, file, environment, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/xmalloc.h"
#include "support/tap.h"

static char *
write_file(const char *dir, const char *text)
{
	char *path = xasprintf("%s/onepass.ini", dir);
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

int
main(void)
{
	struct config cfg;
	struct op_err err = { 0 };
	char *dir = tap_tmpdir(), *path;

	unsetenv("ONEPASS_ID_LISTEN");
	is_int(config_load(&cfg, NULL, NULL, &err), OP_OK, "defaults load");
	is_str(cfg.id_listen, "127.0.0.1:8080", "default id listen");
	is_str(cfg.business_public_url, "http://localhost:8090",
	       "default business url");
	is_int(cfg.password_min_length, 15, "default min length 15");
	is_int(cfg.password_argon2_memory_kib, 19456, "OWASP memory minimum");
	is_str(cfg.store_path, "./var/onepass.db", "store path from data dir");
	config_release(&cfg);

	path = write_file(dir, "[id]\nname = Test ID\npublic_url = "
			       "https://id.example.com/\n[password]\n"
			       "min_length = 20\n");
	setenv("ONEPASS_ID_NAME", "From Env", 1);
	is_int(config_load(&cfg, path, "/tmp/dd", &err), OP_OK, "file loads");
	is_str(cfg.id_name, "From Env", "environment wins over the file");
	is_str(cfg.id_public_url, "https://id.example.com",
	       "trailing slash trimmed");
	is_int(cfg.password_min_length, 20, "int from file");
	is_str(cfg.server_data_dir, "/tmp/dd", "--data-dir wins");
	is_str(cfg.mail_dir, "/tmp/dd/mail", "mail dir derived");
	config_release(&cfg);
	unsetenv("ONEPASS_ID_NAME");
	xfree(path);

	path = write_file(dir, "[id]\nnosuchkey = 1\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "unknown key refused");
	ok(strstr(err.msg, "nosuchkey") != NULL, "error names the key");
	xfree(path);

	path = write_file(dir, "[password]\nmin_length = many\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "bad integer refused");
	xfree(path);

	path = write_file(dir, "[password]\nmax_length = 32\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "max_length under 64 refused");
	xfree(path);

	setenv("ONEPASS_SERVER_TRUST_PROXY", "maybe", 1);
	is_int(config_load(&cfg, NULL, NULL, &err), OP_E_INVALID,
	       "bad boolean in the environment refused");
	unsetenv("ONEPASS_SERVER_TRUST_PROXY");

	is_int(config_load(&cfg, "/nonexistent/x.ini", NULL, &err),
	       OP_E_INVALID, "missing file refused");

	subtest("portals");
	is_int(config_load(&cfg, NULL, NULL, &err), OP_OK, "defaults");
	is_int(cfg.n_portals, 2, "two portals by default");
	is_str(cfg.portals[0].name, "CustomerSource", "CustomerSource");
	is_str(cfg.portals[0].path, "/customersource", "at /customersource");
	is_str(cfg.portals[0].audience, "customer", "for customers");
	is_str(cfg.portals[1].path, "/partnersource", "PartnerSource path");
	config_release(&cfg);
	path = write_file(dir, "[portal_partnersource]\nenabled = false\n"
			       "[portal_support]\nname = Support Portal\n"
			       "path = /support\naudience = customer\n"
			       "issuer = https://id.example.com\n"
			       "client_id = abc\nclient_secret = s3cret\n");
	setenv("ONEPASS_PORTAL_SUPPORT_CLIENT_ID", "from-env", 1);
	is_int(config_load(&cfg, path, NULL, &err), OP_OK, "portal sections");
	is_int(cfg.n_portals, 2, "one disabled, one added");
	is_str(cfg.portals[1].slug, "support", "added portal");
	is_str(cfg.portals[1].client_id, "from-env", "environment wins");
	is_str(cfg.portals[1].client_secret, "s3cret", "secret from file");
	config_release(&cfg);
	unsetenv("ONEPASS_PORTAL_SUPPORT_CLIENT_ID");
	xfree(path);
	path = write_file(dir, "[portal_x]\nname = X\npath = /customersource\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "two portals on one path refused");
	xfree(path);
	path = write_file(dir, "[portal_bad]\nname = X\npath = /b\n"
			       "audience = everyone\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "unknown audience refused");
	xfree(path);
	path = write_file(dir, "[portal_Bad-Slug]\nname = X\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "bad slug refused");
	xfree(path);
	path = write_file(dir, "[portal_p]\nname = X\npath = /../etc\n");
	is_int(config_load(&cfg, path, NULL, &err), OP_E_INVALID,
	       "bad path refused");
	xfree(path);
	tap_rmdir(dir);
	xfree(dir);
	return done_testing();
}

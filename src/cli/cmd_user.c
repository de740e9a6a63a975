/*
 * cmd_user.c - `onepass user list|disable|enable`.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/email.h"
#include "store/store.h"

static int
print_user(const struct user *u, void *arg)
{
	char when[32];
	time_t t = (time_t)u->created_at;
	struct tm tm;

	(void)arg;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%lld\t%s\t%s\t%s\t%s\n", (long long)u->id, u->email,
	       u->email_verified ? "verified" : "unverified",
	       u->disabled ? "disabled" : "active", when);
	return 0;
}

static int
user_set_disabled(struct onepass *op, const char *email, bool disabled)
{
	char canon[EMAIL_MAX + 1];
	struct user u = { 0 };
	struct audit_event ev = { 0 };
	enum op_rc rc;

	if (!email_canonical(email, canon)) {
		fprintf(stderr, "onepass: '%s' is not an e-mail address\n",
			email);
		return 2;
	}
	rc = store_user_by_email(op->store, canon, &u);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: no ID for '%s'\n", email);
		return 1;
	}
	rc = store_user_set_disabled(op->store, u.id, disabled);
	if (rc == OP_OK && disabled)
		rc = store_session_delete_user(op->store, u.id, NULL);
	if (rc == OP_OK) {
		ev.at = op->now();
		ev.event = disabled ? "user.disabled" : "user.enabled";
		ev.user_id = u.id;
		ev.detail = "cli";
		rc = store_audit_add(op->store, &ev);
	}
	user_release(&u);
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: %s\n", op_strerror(rc));
		return 1;
	}
	printf("%s %s\n", email, disabled ? "disabled" : "enabled");
	return 0;
}

int
cmd_user(struct onepass *op, int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if (store_user_list(op->store, print_user, NULL) != OP_OK) {
			fprintf(stderr, "onepass: cannot list users\n");
			return 1;
		}
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "disable") == 0)
		return user_set_disabled(op, argv[2], true);
	if (argc == 3 && strcmp(argv[1], "enable") == 0)
		return user_set_disabled(op, argv[2], false);
	fprintf(stderr, "usage: onepass user list | disable EMAIL | "
			"enable EMAIL\n");
	return 2;
}

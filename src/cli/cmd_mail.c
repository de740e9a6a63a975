/*
 * cmd_mail.c - `onepass mail list|show`, for an operator (and the tests)
 * to see what the outbox holds without a mail server. It only reads the
 * store; delivery is the outbox worker's job. Text that came from people
 * (recipient, subject) has its control characters replaced in listings,
 * so a listing cannot drive the terminal; `show` prints the message
 * bytes as stored, CRLF lines included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_mail.h"
#include "store/store.h"

static const char *
status_name(enum outbox_status s)
{
	switch (s) {
	case OUTBOX_PENDING:
		return "pending";
	case OUTBOX_SENT:
		return "sent";
	case OUTBOX_FAILED:
		return "failed";
	}
	return "unknown";
}

/* Prints s with control characters shown as '?'. */
static void
put_clean(const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		putchar(c < 0x20 || c == 0x7f ? '?' : c);
	}
}

static int
print_msg(const struct outbox_msg *m, void *arg)
{
	char when[32] = "-";
	time_t t = (time_t)m->created_at;
	struct tm tm;

	(void)arg;
	if (gmtime_r(&t, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%lld  %-7s  %s  ", (long long)m->id, status_name(m->status),
	       when);
	put_clean(m->rcpt);
	fputs("  ", stdout);
	put_clean(m->subject);
	putchar('\n');
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: onepass mail list [--pending|--failed|--sent]\n"
			"       onepass mail show ID\n");
	return 2;
}

static int
mail_list(struct onepass *op, int argc, char **argv)
{
	int filter = -1;

	if (argc > 3)
		return usage();
	if (argc == 3) {
		if (strcmp(argv[2], "--pending") == 0)
			filter = OUTBOX_PENDING;
		else if (strcmp(argv[2], "--failed") == 0)
			filter = OUTBOX_FAILED;
		else if (strcmp(argv[2], "--sent") == 0)
			filter = OUTBOX_SENT;
		else
			return usage();
	}
	if (store_outbox_list(op->store, filter, print_msg, NULL) != OP_OK) {
		fprintf(stderr, "onepass: cannot list the outbox\n");
		return 1;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

static int
mail_show(struct onepass *op, const char *arg)
{
	struct outbox_msg m = { 0 };
	long long id;
	enum op_rc rc;
	char *end;
	int status = 0;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || id <= 0) {
		fprintf(stderr, "onepass: no message '%s'\n", arg);
		return 1;
	}
	rc = store_outbox_get(op->store, id, &m);
	if (rc == OP_E_NOTFOUND) {
		fprintf(stderr, "onepass: no message '%s'\n", arg);
		return 1;
	}
	if (rc != OP_OK) {
		fprintf(stderr, "onepass: cannot read message '%s': %s\n", arg,
			op_strerror(rc));
		return 1;
	}
	if (m.body_len > 0 && fwrite(m.body, 1, m.body_len, stdout) !=
	    m.body_len)
		status = 1;
	if (fflush(stdout) != 0)
		status = 1;
	outbox_msg_release(&m);
	return status;
}

int
cmd_mail(struct onepass *op, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return mail_list(op, argc, argv);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return mail_show(op, argv[2]);
	return usage();
}

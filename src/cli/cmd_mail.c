/*
 * cmd_mail.c - `onepass mail list|show|retry`, for an operator (and the
 * tests) to see what the outbox holds, with or without a mail server, and
 * to send a failed message again. Delivery is the outbox worker's job:
 * `retry` only makes the message pending and due, and a running `onepass
 * serve` sends it within about a second. Text that came from people or
 * from the mail server (recipient, subject, last error) has its control
 * characters replaced in listings, so a listing cannot drive the
 * terminal; `show` prints the message bytes as stored, CRLF lines
 * included.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dirent.h>

#include "cli/cmd_mail.h"
#include "core/config.h"
#include "core/xmalloc.h"
#include "store/store.h"

#define HEADER_SCAN_BYTES 8192

/* True when the file at path has the header "Message-ID: <mid>". */
static bool
file_has_message_id(const char *path, const char *mid)
{
	char head[HEADER_SCAN_BYTES + 1], *want;
	FILE *f = fopen(path, "rb");
	size_t n;
	bool found;

	if (f == NULL)
		return false;
	n = fread(head, 1, HEADER_SCAN_BYTES, f);
	fclose(f);
	head[n] = '\0';
	want = xasprintf("\r\nMessage-ID: %s\r\n", mid);
	found = strstr(head, want) != NULL;
	xfree(want);
	return found;
}

/* Copies the Maildir file of a delivered message to stdout. The store
 * does not keep a delivered message's body (it holds link tokens), so
 * `mail show` reads the copy the Maildir transport delivered. */
static int
show_from_maildir(const struct onepass *op, const char *mid)
{
	static const char *const subdirs[] = { "new", "cur" };
	char buf[65536], *dir, *path;
	struct dirent *e;
	size_t i, n;
	DIR *d;
	FILE *f;

	for (i = 0; i < 2; i++) {
		dir = xasprintf("%s/%s", op->cfg->mail_dir, subdirs[i]);
		d = opendir(dir);
		while (d != NULL && (e = readdir(d)) != NULL) {
			if (e->d_name[0] == '.')
				continue;
			path = xasprintf("%s/%s", dir, e->d_name);
			if (!file_has_message_id(path, mid)) {
				xfree(path);
				continue;
			}
			f = fopen(path, "rb");
			while (f != NULL && (n = fread(buf, 1, sizeof(buf), f)) > 0)
				fwrite(buf, 1, n, stdout);
			if (f != NULL)
				fclose(f);
			xfree(path);
			closedir(d);
			xfree(dir);
			return 0;
		}
		if (d != NULL)
			closedir(d);
		xfree(dir);
	}
	return -1;
}

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
	if (m->status != OUTBOX_SENT && m->last_error != NULL &&
	    m->last_error[0] != '\0') {
		fputs("  [", stdout);
		put_clean(m->last_error);
		putchar(']');
	}
	putchar('\n');
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: onepass mail list [--pending|--failed|--sent]\n"
			"       onepass mail show ID\n"
			"       onepass mail retry ID\n");
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

/* Reads a message ID; complains and returns 0 when arg is not one. */
static long long
parse_id(const char *arg)
{
	long long id;
	char *end;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || id <= 0) {
		fprintf(stderr, "onepass: no message '%s'\n", arg);
		return 0;
	}
	return id;
}

static int
mail_show(struct onepass *op, const char *arg)
{
	struct outbox_msg m = { 0 };
	long long id;
	enum op_rc rc;
	int status = 0;

	id = parse_id(arg);
	if (id == 0)
		return 1;
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
	if (m.body_len == 0 && m.status == OUTBOX_SENT) {
		if (show_from_maildir(op, m.message_id) != 0) {
			fprintf(stderr, "onepass: message %s was delivered; its "
				"body is not kept after delivery\n", arg);
			status = 1;
		}
	} else if (fwrite(m.body, 1, m.body_len, stdout) != m.body_len) {
		status = 1;
	}
	if (fflush(stdout) != 0)
		status = 1;
	outbox_msg_release(&m);
	return status;
}

/* Makes a failed (or waiting) message pending and due now. */
static int
mail_retry(struct onepass *op, const char *arg)
{
	long long id;
	enum op_rc rc;

	id = parse_id(arg);
	if (id == 0)
		return 1;
	rc = store_outbox_retry(op->store, id, op->now());
	switch (rc) {
	case OP_OK:
		printf("message %lld is pending: a running onepass serve "
		       "sends it within seconds\n", id);
		return fflush(stdout) == 0 ? 0 : 1;
	case OP_E_NOTFOUND:
		fprintf(stderr, "onepass: no message '%s'\n", arg);
		return 1;
	case OP_E_CONFLICT:
		fprintf(stderr, "onepass: message %lld was delivered already\n",
			id);
		return 1;
	default:
		fprintf(stderr, "onepass: cannot retry message %lld: %s\n", id,
			op_strerror(rc));
		return 1;
	}
}

int
cmd_mail(struct onepass *op, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return mail_list(op, argc, argv);
	if (argc == 3 && strcmp(argv[1], "show") == 0)
		return mail_show(op, argv[2]);
	if (argc == 3 && strcmp(argv[1], "retry") == 0)
		return mail_retry(op, argv[2]);
	return usage();
}

/*
 * test_outbox.c - mail_enqueue, the outbox worker and `onepass mail`
 * against a real SQLite store in a temporary directory, with a fake
 * clock and transports that fail on demand. Includes render.c to build a
 * small template set without files.
 *
 * The worker thread never calls the TAP functions: it only bumps an
 * atomic counter that the main thread asserts on.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "cli/cmd_mail.h"
#include "core/config.h"
#include "core/log.h"
#include "html/render.c"
#include "mail/mail.h"
#include "store/store.h"
#include "support/tap.h"

#define T0 1700000000	/* Tue, 14 Nov 2023 22:13:20 UTC */
#define DAY (24 * 3600)

static _Atomic int64_t fake_now = T0;

static int64_t
now_fn(void)
{
	return atomic_load(&fake_now);
}

struct fake {
	atomic_int rc;		/* what send returns */
	atomic_int calls;
	atomic_int probe_rc;	/* what probe returns */
	atomic_int probes;
	int64_t advance;	/* seconds the fake clock moves per send */
	long sleep_ms;		/* how long each send takes */
};

static enum op_rc
fake_send(void *ctx, const char *from, const char *rcpt, const char *msg,
	  size_t len, struct op_err *err)
{
	struct fake *f = ctx;
	struct timespec nap = { f->sleep_ms / 1000,
				(f->sleep_ms % 1000) * 1000000 };
	enum op_rc rc = (enum op_rc)atomic_load(&f->rc);

	(void)from;
	(void)rcpt;
	(void)msg;
	(void)len;
	if (f->sleep_ms > 0)
		nanosleep(&nap, NULL);
	atomic_fetch_add(&fake_now, f->advance);
	atomic_fetch_add(&f->calls, 1);
	if (rc != OP_OK)
		return op_err_set(err, rc, "fake transport: %s",
				  op_strerror(rc));
	return OP_OK;
}

static enum op_rc
fake_probe(void *ctx, struct op_err *err)
{
	struct fake *f = ctx;
	enum op_rc rc = (enum op_rc)atomic_load(&f->probe_rc);

	atomic_fetch_add(&f->probes, 1);
	if (rc != OP_OK)
		return op_err_set(err, rc, "fake server down");
	return OP_OK;
}

static struct templates *
mk_templates(void)
{
	static const char *const pairs[][2] = {
		{ "greet.txt", "Hello {{name}},\n\nYour link: {{link}}\n" },
		{ "greet.mail.html", "<p>Hello {{name}}</p>\n<p><a href=\""
		  "{{link}}\">Open</a></p>\n" },
		{ "plain.txt", "Just text for {{name}}.\n" },
	};
	size_t n = sizeof(pairs) / sizeof(pairs[0]), i;
	struct templates *t = xcalloc(1, sizeof(*t));

	t->v = xcalloc(n, sizeof(*t->v));
	for (i = 0; i < n; i++) {
		t->v[i].name = pairs[i][0];
		t->v[i].src = pairs[i][1];
		t->v[i].len = strlen(pairs[i][1]);
		if (tpl_parse(&t->v[i], false, NULL) != OP_OK)
			printf("# bad template %s\n", pairs[i][0]);
		t->n++;
	}
	qsort(t->v, t->n, sizeof(*t->v), tpl_cmp);
	return t;
}

static enum op_rc
enqueue(struct onepass *op, const struct templates *t, const char *tmpl,
	const char *to, const char *subject, struct arena *a)
{
	struct tvars *v = tvars_new(a);
	struct mail_spec m = {
		.to = to,
		.from = "onepass ID <no-reply@id.example.com>",
		.subject = subject,
		.template = tmpl,
		.vars = v,
	};

	tvars_set(v, "name", "Ann & <Bob>");
	tvars_set(v, "link", "https://id.example.com/verify?token=abc");
	return mail_enqueue(op, t, &m);
}

static int64_t
count(struct onepass *op, enum outbox_status s)
{
	int64_t n = -1;

	if (store_outbox_count(op->store, s, &n) != OP_OK)
		return -1;
	return n;
}

static size_t
count_files(const char *dir)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* True when some file in dir holds exactly body. */
static bool
file_with(const char *dir, const char *body, size_t len)
{
	char path[4096], *got;
	struct dirent *e;
	bool found = false;
	DIR *d = opendir(dir);
	FILE *f;
	size_t n;

	if (d == NULL)
		return false;
	got = xmalloc(len + 2);
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		if (f == NULL)
			continue;
		n = fread(got, 1, len + 1, f);
		fclose(f);
		found = n == len && memcmp(got, body, len) == 0;
	}
	closedir(d);
	xfree(got);
	return found;
}

static void
test_enqueue(struct onepass *op, const struct templates *t, struct arena *a)
{
	struct outbox_msg m = { 0 };
	char *mid;

	subtest("mail_enqueue");
	is_int(enqueue(op, t, "greet", "Ann@Example.com", "Welcome", a), OP_OK,
	       "enqueue greet");
	is_int(enqueue(op, t, "greet", "bob@example.com",
		       "Bienvenue \xc3\xa0 vous", a), OP_OK,
	       "enqueue greet, non-ASCII subject");
	is_int(enqueue(op, t, "plain", "carol@example.com", "Plain", a), OP_OK,
	       "enqueue text-only");
	is_int(count(op, OUTBOX_PENDING), 3, "three pending");

	is_int(store_outbox_get(op->store, 1, &m), OP_OK, "get the first");
	is_str(m.rcpt, "Ann@Example.com", "rcpt is the address as given");
	is_str(m.mail_from, "no-reply@id.example.com", "envelope sender");
	is_str(m.subject, "Welcome", "subject stored for listings");
	is_int(m.created_at, T0, "created at the injected now");
	ok(m.message_id != NULL && strlen(m.message_id) == 1 + 32 + 1 +
	   strlen("id.example.com") + 1 && m.message_id[0] == '<' &&
	   strstr(m.message_id, "@id.example.com>") != NULL,
	   "Message-ID <hex@domain-of-from>: %s", m.message_id);
	mid = m.message_id != NULL ? xasprintf("\r\nMessage-ID: %s\r\n",
					       m.message_id) : xstrdup("?");
	ok(m.body != NULL && strstr(m.body, mid) != NULL,
	   "the body carries the same Message-ID");
	xfree(mid);
	ok(m.body != NULL && strncmp(m.body, "Date: Tue, 14 Nov 2023 22:13:20 "
				     "+0000\r\n", 39) == 0, "dated now");
	ok(m.body != NULL && strstr(m.body, "multipart/alternative") != NULL,
	   "two alternatives when NAME.mail.html exists");
	ok(m.body != NULL && strstr(m.body, "Hello Ann & <Bob>,") != NULL,
	   "text part not escaped");
	ok(m.body != NULL &&
	   strstr(m.body, "<p>Hello Ann &amp; &lt;Bob&gt;</p>") != NULL,
	   "html part escaped");
	outbox_msg_release(&m);

	is_int(store_outbox_get(op->store, 3, &m), OP_OK, "get the third");
	ok(m.body != NULL && strstr(m.body, "multipart") == NULL &&
	   strstr(m.body, "Content-Type: text/plain; charset=utf-8") != NULL,
	   "text only without NAME.mail.html");
	outbox_msg_release(&m);

	is_int(enqueue(op, t, "nosuch", "dan@example.com", "X", a),
	       OP_E_NOTFOUND, "unknown template");
	is_int(enqueue(op, t, "greet", "dan@example.com\r\nBcc: e@x.com", "X",
		       a), OP_E_INVALID, "CRLF in to");
	is_int(enqueue(op, t, "greet", "dan@example.com", "X\r\nBcc: e@x.com",
		       a), OP_E_INVALID, "CRLF in subject");
	is_int(enqueue(op, t, "greet", "not an address", "X", a),
	       OP_E_INVALID, "bad address");
	is_int(count(op, OUTBOX_PENDING), 3, "nothing added by failures");
}

static void
test_deliver(struct onepass *op, const char *maildir)
{
	struct mail_transport tr;
	struct op_err err = { 0 };
	struct outbox_msg m;
	char *newdir = xasprintf("%s/new", maildir);
	char *bodies[4] = { NULL };
	size_t n = 99, lens[4] = { 0 };
	int64_t id;

	subtest("delivery into the Maildir");
	/* What was queued, to compare with what lands in the Maildir. */
	for (id = 1; id <= 3; id++) {
		memset(&m, 0, sizeof(m));
		if (store_outbox_get(op->store, id, &m) == OP_OK) {
			bodies[id] = xstrndup(m.body, m.body_len);
			lens[id] = m.body_len;
		}
		outbox_msg_release(&m);
	}
	is_int(maildir_transport(maildir, &tr, &err), OP_OK, "transport");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(n, 3, "three sent");
	is_int(count_files(newdir), 3, "three files in new/");
	for (id = 1; id <= 3; id++) {
		memset(&m, 0, sizeof(m));
		is_int(store_outbox_get(op->store, id, &m), OP_OK, "get %lld",
		       (long long)id);
		is_int(m.status, OUTBOX_SENT, "message %lld sent",
		       (long long)id);
		is_int(m.sent_at, T0, "sent_at is now");
		is_int(m.attempts, 1, "one attempt");
		ok(bodies[id] != NULL && file_with(newdir, bodies[id],
						   lens[id]),
		   "file %lld is the queued message", (long long)id);
		is_int(m.body_len, 0, "the store keeps no body (link tokens) "
		       "after delivery");
		outbox_msg_release(&m);
		xfree(bodies[id]);
	}
	is_int(count(op, OUTBOX_PENDING), 0, "none pending");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once again");
	is_int(n, 0, "nothing more to send");
	is_int(count_files(newdir), 3, "still three files");
	maildir_transport_release(&tr);
	xfree(newdir);
}

static void
test_retry(struct onepass *op, const struct templates *t, struct arena *a)
{
	struct fake f = { .rc = OP_E_MAIL };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .ctx = &f };
	struct outbox_msg m = { 0 };
	int64_t id, prev = 0, delay = 0;
	size_t n;
	int i;

	subtest("temporary failure: retry with backoff, then give up");
	atomic_init(&f.calls, 0);
	atomic_store(&fake_now, T0 + 100);
	is_int(enqueue(op, t, "plain", "erin@example.com", "Retry me", a),
	       OP_OK, "enqueue");
	id = 4;
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(n, 0, "nothing sent");
	is_int(atomic_load(&f.calls), 1, "one attempt");
	is_int(store_outbox_get(op->store, id, &m), OP_OK, "get");
	is_int(m.status, OUTBOX_PENDING, "still pending");
	ok(m.next_attempt_at >= T0 + 100 + 30 &&
	   m.next_attempt_at <= T0 + 100 + 36,
	   "first retry after 30 s + jitter <= 20%% (%lld)",
	   (long long)(m.next_attempt_at - T0 - 100));
	ok(m.last_error != NULL && strstr(m.last_error, "fake") != NULL,
	   "last_error recorded: %s", m.last_error ? m.last_error : "-");
	prev = m.next_attempt_at;
	outbox_msg_release(&m);

	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once before due");
	is_int(atomic_load(&f.calls), 1, "not retried before it is due");

	atomic_store(&fake_now, prev);
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once when due");
	is_int(atomic_load(&f.calls), 2, "retried when due");
	store_outbox_get(op->store, id, &m);
	ok(m.next_attempt_at >= prev + 60 && m.next_attempt_at <= prev + 72,
	   "second retry after 60 s + jitter (%lld)",
	   (long long)(m.next_attempt_at - prev));
	prev = m.next_attempt_at;
	outbox_msg_release(&m);

	/* Keep failing: the delay doubles up to one hour. */
	for (i = 0; i < 10; i++) {
		atomic_store(&fake_now, prev);
		outbox_run_once(op, &tr, &n);
		store_outbox_get(op->store, id, &m);
		delay = m.next_attempt_at - prev;
		prev = m.next_attempt_at;
		outbox_msg_release(&m);
	}
	ok(delay >= 3600 && delay <= 3600 + 720,
	   "delay capped at one hour + jitter (%lld)", (long long)delay);
	is_int(count(op, OUTBOX_PENDING), 1, "still pending after a day");

	atomic_store(&fake_now, T0 + 100 + 3 * DAY + 1);
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once after 3 days");
	store_outbox_get(op->store, id, &m);
	is_int(m.status, OUTBOX_FAILED, "older than 3 days: failed");
	outbox_msg_release(&m);
	is_int(count(op, OUTBOX_FAILED), 1, "one failed");
}

static void
test_permanent(struct onepass *op, const struct templates *t,
	       struct arena *a)
{
	struct fake f = { .rc = OP_E_INVALID };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .ctx = &f };
	struct outbox_msg m = { 0 };
	size_t n;

	subtest("permanent failure");
	atomic_init(&f.calls, 0);
	is_int(enqueue(op, t, "plain", "frank@example.com", "Refused", a),
	       OP_OK, "enqueue");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(atomic_load(&f.calls), 1, "one attempt");
	is_int(store_outbox_get(op->store, 5, &m), OP_OK, "get");
	is_int(m.status, OUTBOX_FAILED, "failed at once");
	ok(m.last_error != NULL && strstr(m.last_error, "invalid") != NULL,
	   "last_error: %s", m.last_error ? m.last_error : "-");
	outbox_msg_release(&m);
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once again");
	is_int(atomic_load(&f.calls), 1, "never retried");
}

/* Waits up to ms for calls to reach want; returns the milliseconds it
 * took, or -1. */
static long
wait_calls(struct fake *f, int want, long ms)
{
	struct timespec t0, t1, nap = { 0, 10 * 1000 * 1000 };
	long el;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		el = (t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (atomic_load(&f->calls) >= want)
			return el;
		if (el > ms)
			return -1;
		nanosleep(&nap, NULL);
	}
}

static void
test_worker(struct onepass *op, const struct templates *t, struct arena *a)
{
	struct fake f = { .rc = OP_OK };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .ctx = &f };
	struct outbox *ob = NULL;
	long ms;

	subtest("worker thread");
	atomic_init(&f.calls, 0);
	is_int(outbox_start(op, &tr, &ob), OP_OK, "outbox_start");
	is_int(enqueue(op, t, "plain", "gina@example.com", "Kicked", a), OP_OK,
	       "enqueue");
	outbox_kick(ob);
	ms = wait_calls(&f, 1, 3000);
	ok(ms >= 0 && ms < 900, "kicked message delivered in %ld ms", ms);
	is_int(enqueue(op, t, "plain", "hal@example.com", "Not kicked", a),
	       OP_OK, "enqueue without a kick (another process)");
	ms = wait_calls(&f, 2, 4000);
	ok(ms >= 0 && ms <= 2000, "picked up by polling in %ld ms", ms);
	outbox_stop(ob);
	is_int(count(op, OUTBOX_PENDING), 0, "nothing pending");
	is_int(count(op, OUTBOX_SENT), 5, "five sent in all");
	is_int(enqueue(op, t, "plain", "ian@example.com", "After stop", a),
	       OP_OK, "enqueue after stop");
	ms = wait_calls(&f, 3, 1500);
	is_int(ms, -1, "no delivery once stopped");
}

/* Runs cmd_mail with stdout in a file; returns its exit status and the
 * output (new string). */
static int
run_cmd(struct onepass *op, const char *dir, char **out, int argc, ...)
{
	char *argv[8], *path = xasprintf("%s/stdout", dir);
	int saved, fd, status, i;
	struct buf b;
	char chunk[4096];
	ssize_t r;
	va_list ap;

	va_start(ap, argc);
	for (i = 0; i < argc && i < 7; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[i] = NULL;
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fd, 1);
	status = cmd_mail(op, argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	buf_init(&b, 1 << 20);
	lseek(fd, 0, SEEK_SET);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)r);
	close(fd);
	*out = buf_detach(&b, NULL);
	xfree(path);
	return status;
}

static void
test_cli(struct onepass *op, const char *dir)
{
	static const char first[] = "1  sent     2023-11-14T22:13:20Z  "
		"Ann@Example.com  Welcome\n";
	struct outbox_msg m = { 0 };
	char *out = NULL;
	const char *p;
	int lines;

	subtest("onepass mail");
	is_int(run_cmd(op, dir, &out, 2, "mail", "list"), 0, "mail list");
	for (lines = 0, p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	is_int(lines, 8, "one line per message");
	ok(strncmp(out, first, strlen(first)) == 0, "line format: %.*s",
	   (int)strcspn(out, "\n"), out);
	ok(strstr(out, "\n4  failed   ") != NULL, "failed status shown");
	ok(strstr(out, "\n8  pending  ") != NULL &&
	   strstr(out, "ian@example.com  After stop\n") != NULL,
	   "pending status shown");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "list", "--failed"), 0,
	       "mail list --failed");
	ok(strncmp(out, "4  failed", 9) == 0 && strstr(out, "\n5  failed") &&
	   strstr(out, "sent") == NULL, "only failed ones");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "list", "--pending"), 0,
	       "mail list --pending");
	ok(strncmp(out, "8  pending", 10) == 0 && strchr(out, '\n') ==
	   out + strlen(out) - 1, "only the pending one");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "list", "--sent"), 0,
	       "mail list --sent");
	ok(strstr(out, "failed") == NULL && strstr(out, "pending") == NULL,
	   "only sent ones");
	xfree(out);

	is_int(run_cmd(op, dir, &out, 3, "mail", "show", "2"), 0, "mail show");
	store_outbox_get(op->store, 2, &m);
	{
		char *mid = xasprintf("\r\nMessage-ID: %s\r\n",
				      m.message_id);
		char *newdir = xasprintf("%s/mail/new", dir);
		ok(m.body_len == 0 && strstr(out, mid) != NULL &&
		   file_with(newdir, out, strlen(out)),
		   "prints the delivered message from the Maildir");
		xfree(mid);
		xfree(newdir);
	}
	outbox_msg_release(&m);
	xfree(out);

	is_int(run_cmd(op, dir, &out, 3, "mail", "show", "999"), 1,
	       "unknown ID");
	is_str(out, "", "nothing on stdout");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "show", "2x"), 1, "bad ID");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 1, "mail"), 2, "mail alone: usage");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 2, "mail", "send"), 2, "unknown verb");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "list", "--all"), 2,
	       "unknown option");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 2, "mail", "show"), 2, "show without ID");
	xfree(out);
}

static struct outbox_msg
get(struct onepass *op, int64_t id)
{
	struct outbox_msg m = { 0 };

	if (store_outbox_get(op->store, id, &m) != OP_OK)
		memset(&m, 0, sizeof(m));
	return m;
}

static void
test_cli_retry(struct onepass *op, const char *dir)
{
	struct fake f = { .rc = OP_OK };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .ctx = &f };
	struct outbox_msg m;
	int64_t now = now_fn();
	char *out = NULL;
	size_t n = 0;

	subtest("onepass mail retry");
	atomic_init(&f.calls, 0);
	m = get(op, 5);
	is_int(m.status, OUTBOX_FAILED, "message 5 failed (permanent)");
	outbox_msg_release(&m);
	is_int(run_cmd(op, dir, &out, 3, "mail", "retry", "5"), 0,
	       "mail retry 5");
	ok(strstr(out, "message 5 is pending") != NULL, "says so: %s", out);
	xfree(out);
	m = get(op, 5);
	is_int(m.status, OUTBOX_PENDING, "pending again");
	is_int(m.attempts, 0, "attempts counted anew");
	is_int(m.next_attempt_at, now, "due now");
	ok(m.last_error != NULL, "the last error is kept for the record");
	outbox_msg_release(&m);
	is_int(run_cmd(op, dir, &out, 3, "mail", "list", "--failed"), 0,
	       "mail list --failed");
	ok(strncmp(out, "4  failed", 9) == 0 && strstr(out, "\n5 ") == NULL,
	   "only 4 is failed now");
	ok(strstr(out, "  [fake transport: mail failure]\n") != NULL,
	   "the last error is listed: %s", out);
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "retry", "1"), 1,
	       "a sent message cannot be retried");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "retry", "999"), 1,
	       "unknown ID");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 3, "mail", "retry", "x1"), 1,
	       "not an ID");
	xfree(out);
	is_int(run_cmd(op, dir, &out, 2, "mail", "retry"), 2,
	       "retry without ID: usage");
	xfree(out);
	is_int(store_outbox_retry(op->store, 1, now), OP_E_CONFLICT,
	       "store: sent -> OP_E_CONFLICT");
	is_int(store_outbox_retry(op->store, 999, now), OP_E_NOTFOUND,
	       "store: unknown -> OP_E_NOTFOUND");

	/* id 0: every pending message due later becomes due now. */
	store_outbox_mark_retry(op->store, 5, now + 1000, "later");
	store_outbox_mark_retry(op->store, 8, now + 50, "later");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(n, 0, "nothing due");
	is_int(store_outbox_retry(op->store, 0, now), OP_OK, "retry all");
	m = get(op, 4);
	is_int(m.status, OUTBOX_FAILED, "a failed message stays failed");
	outbox_msg_release(&m);
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(n, 2, "both pending ones sent at once");
	is_int(count(op, OUTBOX_PENDING), 0, "none pending");
}

static long
wait_probes(struct fake *f, int want, long ms)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };
	long el;

	for (el = 0; el <= ms; el += 10) {
		if (atomic_load(&f->probes) >= want)
			return el;
		nanosleep(&nap, NULL);
	}
	return -1;
}

/* True when every message from..to is pending and due in [lo, hi] s. */
static bool
waiting(struct onepass *op, int64_t from, int64_t to, int64_t lo,
	int64_t hi)
{
	struct outbox_msg m;
	bool all = true;
	int64_t id, now = now_fn();

	for (id = from; id <= to; id++) {
		m = get(op, id);
		if (m.status != OUTBOX_PENDING || m.next_attempt_at < now + lo ||
		    m.next_attempt_at > now + hi)
			all = false;
		outbox_msg_release(&m);
	}
	return all;
}

static void
test_down(struct onepass *op, const struct templates *t, struct arena *a)
{
	struct fake f = { .rc = OP_E_MAIL, .probe_rc = OP_E_MAIL };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .probe = fake_probe, .ctx = &f };
	struct outbox *ob = NULL;
	struct outbox_msg m;
	long ms;
	size_t n;
	int i;

	subtest("the server is down: the batch waits, all go when it is back");
	atomic_init(&f.calls, 0);
	atomic_init(&f.probes, 0);
	for (i = 0; i < 3; i++)
		is_int(enqueue(op, t, "plain", "kim@example.com", "Down", a),
		       OP_OK, "enqueue %d", i + 9);
	is_int(outbox_start(op, &tr, &ob), OP_OK, "outbox_start");
	ms = wait_calls(&f, 1, 3000);
	ok(ms >= 0, "one message tried");
	ms = wait_probes(&f, 3, 4000);
	ok(ms >= 0, "probed at start, after the failure and again %ld ms "
	   "later (every second while down)", ms);
	is_int(atomic_load(&f.calls), 1, "the rest of the batch not tried");
	ok(waiting(op, 9, 11, 5, 6), "all three wait 5 s + jitter");
	m = get(op, 10);
	ok(m.last_error != NULL && strstr(m.last_error, "not tried") != NULL,
	   "the untried ones say why: %s", m.last_error ? m.last_error : "-");
	is_int(m.attempts, 1, "one claim counted");
	outbox_msg_release(&m);
	m = get(op, 9);
	ok(m.last_error != NULL && strstr(m.last_error, "fake transport") !=
	   NULL, "the tried one has its own error");
	outbox_msg_release(&m);

	/* The server comes back: the probe sees it, everything goes. */
	atomic_store(&f.rc, OP_OK);
	atomic_store(&f.probe_rc, OP_OK);
	ms = wait_calls(&f, 4, 4000);
	ok(ms >= 0 && ms <= 2500, "all delivered %ld ms after the server is "
	   "back, well before their 5 s backoff (fake clock stands still)",
	   ms);
	outbox_stop(ob);
	is_int(count(op, OUTBOX_PENDING), 0, "none pending");

	subtest("a refusal while the server does not answer is not final");
	atomic_store(&f.rc, OP_E_INVALID);
	atomic_store(&f.probe_rc, OP_E_MAIL);
	atomic_store(&f.calls, 0);
	is_int(enqueue(op, t, "plain", "lee@example.com", "Refused?", a),
	       OP_OK, "enqueue 12");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	ok(waiting(op, 12, 12, 5, 6), "waits: the probe failed too");
	atomic_store(&f.probe_rc, OP_OK);
	store_outbox_retry(op->store, 12, now_fn());
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	m = get(op, 12);
	is_int(m.status, OUTBOX_FAILED, "failed once the server answers "
	       "the probe and still refuses");
	outbox_msg_release(&m);
}

static void
test_config(struct onepass *op, struct config *cfg, const struct templates *t,
	    struct arena *a)
{
	struct fake f = { .rc = OP_E_MAIL, .probe_rc = OP_OK };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .probe = fake_probe, .ctx = &f };
	struct outbox_msg m;
	int64_t now;
	size_t n;

	subtest("[mail] retry_sec and max_age_sec");
	atomic_init(&f.calls, 0);
	atomic_init(&f.probes, 0);
	cfg->mail_retry_sec = 2;
	cfg->mail_max_age_sec = 600;
	is_int(enqueue(op, t, "plain", "max@example.com", "Greylisted", a),
	       OP_OK, "enqueue 13");
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(atomic_load(&f.probes), 1, "probed once: the server answers");
	ok(waiting(op, 13, 13, 2, 2), "first retry after retry_sec = 2");
	now = now_fn();
	atomic_store(&fake_now, now + 2);
	outbox_run_once(op, &tr, &n);
	ok(waiting(op, 13, 13, 4, 4), "then 4 s");
	atomic_store(&fake_now, now + 600);
	outbox_run_once(op, &tr, &n);
	m = get(op, 13);
	is_int(m.status, OUTBOX_FAILED, "failed after max_age_sec");
	outbox_msg_release(&m);
	cfg->mail_retry_sec = 30;
	cfg->mail_max_age_sec = 3 * DAY;
}

static void
test_lease(struct onepass *op, const struct templates *t, struct arena *a)
{
	struct fake f = { .rc = OP_OK, .advance = 10 };
	struct fake g = { .rc = OP_OK };
	struct mail_transport tr = { .name = "fake", .send = fake_send,
				     .ctx = &f };
	struct mail_transport fast = { .name = "fast", .send = fake_send,
				       .ctx = &g };
	struct outbox *ob = NULL;
	size_t n = 0;
	long ms;
	int i, sent;

	subtest("a send starts only while the claim has time for it");
	atomic_init(&f.calls, 0);
	atomic_init(&g.calls, 0);
	for (i = 0; i < 4; i++)
		enqueue(op, t, "plain", "ned@example.com", "Slow", a);
	/* Each send takes 10 s of the 37 s lease (timeout 30 + 7): after
	 * the first, the rest of the batch is released, not sent late. */
	is_int(outbox_run_once(op, &tr, &n), OP_OK, "run_once");
	is_int(n, 4, "all four sent");
	is_int(atomic_load(&f.calls), 4, "each once");

	subtest("stopping releases the claimed messages");
	f.advance = 0;
	f.sleep_ms = 150;
	atomic_store(&f.calls, 0);
	for (i = 0; i < 6; i++)
		enqueue(op, t, "plain", "ole@example.com", "Stop", a);
	is_int(outbox_start(op, &tr, &ob), OP_OK, "outbox_start");
	ms = wait_calls(&f, 1, 3000);
	ok(ms >= 0, "sending started");
	outbox_stop(ob);
	sent = atomic_load(&f.calls);
	ok(sent >= 1 && sent < 6, "stopped in the middle (%d sent)", sent);
	is_int(outbox_run_once(op, &fast, &n), OP_OK, "run_once at once");
	is_int((int)n, 6 - sent, "the rest is claimable at once");
	is_int(count(op, OUTBOX_PENDING), 0, "none pending");

	subtest("no probe without the lease time for it");
	{
		struct fake h = { .rc = OP_E_MAIL, .probe_rc = OP_E_MAIL,
				  .advance = 30 };
		struct mail_transport slow = { .name = "slow",
					       .send = fake_send,
					       .probe = fake_probe,
					       .ctx = &h };
		struct outbox_msg m;
		int64_t id;

		atomic_init(&h.calls, 0);
		atomic_init(&h.probes, 0);
		enqueue(op, t, "plain", "pia@example.com", "Slow fail", a);
		id = count(op, OUTBOX_PENDING) + count(op, OUTBOX_SENT) +
		    count(op, OUTBOX_FAILED);
		/* 30 s of the 37 s lease gone: no time for a 30 s probe. */
		is_int(outbox_run_once(op, &slow, &n), OP_OK, "run_once");
		is_int(atomic_load(&h.probes), 0, "not probed");
		ok(waiting(op, id, id, 30, 36), "a plain retry, marked in "
		   "time");
		h.advance = 36;
		store_outbox_retry(op->store, id, now_fn());
		is_int(outbox_run_once(op, &slow, &n), OP_OK, "run_once");
		m = get(op, id);
		ok(m.status == OUTBOX_PENDING && m.next_attempt_at ==
		   now_fn() - 36, "36 s gone: not marked, the claim lapses "
		   "and whoever claims it next tries again");
		outbox_msg_release(&m);
		h.advance = 0;
		atomic_store(&h.rc, OP_OK);
		atomic_fetch_add(&fake_now, 60);
		is_int(outbox_run_once(op, &slow, &n), OP_OK, "run_once");
		is_int(n, 1, "sent once the lease lapsed");
	}
}

int
main(void)
{
	struct config cfg;
	struct op_err err = { 0 };
	struct onepass op = { .now = now_fn };
	struct templates *t;
	struct arena *a;
	char *dir, *maildir;
	enum op_rc rc;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_QUIET);
	dir = tap_tmpdir();
	rc = config_load(&cfg, NULL, dir, &err);
	is_int(rc, OP_OK, "config_load: %s", err.msg);
	if (rc != OP_OK)
		return done_testing();
	rc = store_open(&cfg, &op.store, &err);
	is_int(rc, OP_OK, "store_open: %s", err.msg);
	if (rc != OP_OK) {
		config_release(&cfg);
		return done_testing();
	}
	op.cfg = &cfg;
	t = mk_templates();
	a = arena_new();
	maildir = xasprintf("%s/mail", dir);

	test_enqueue(&op, t, a);
	test_deliver(&op, maildir);
	test_retry(&op, t, a);
	test_permanent(&op, t, a);
	test_worker(&op, t, a);
	test_cli(&op, dir);
	test_cli_retry(&op, dir);
	test_down(&op, t, a);
	test_config(&op, &cfg, t, a);
	test_lease(&op, t, a);

	arena_free(a);
	templates_free(t);
	store_close(op.store);
	config_release(&cfg);
	xfree(maildir);
	tap_rmdir(dir);
	xfree(dir);
	return done_testing();
}

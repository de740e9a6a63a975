/*
 * test_smtp.c - the SMTP transport (mail/smtp.c): reading [mail] into a
 * target (URL, credentials, HELO name), the verdict on libcurl's results
 * and SMTP reply codes, the envelope check, and real deliveries through
 * libcurl to a small SMTP server that this test runs on loopback in a
 * thread, whose replies each case sets (greeting, RCPT, DATA, AUTH).
 *
 * The server thread never calls the TAP functions: it records what it saw
 * under a mutex and the main thread asserts on it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "mail/smtp.h"
#include "support/tap.h"

/* ---- a scripted SMTP server ---- */

struct fsrv {
	int lfd;
	int port;
	pthread_t thread;
	atomic_bool stop;
	atomic_int active;	/* connection threads running */
	pthread_mutex_t mu;
	/* the script (set before a case) */
	int greeting;		/* 220, or e.g. 554; 0: never greet */
	int rcpt_code;
	int data_code;
	bool auth;		/* offer AUTH PLAIN */
	const char *auth_plain;	/* the base64 accepted */
	int drop_mail;		/* hang up at the next N MAIL FROM */
	/* what was seen (under mu) */
	int conns, quits, mails, auths;
	char helo[256];
	char from[256], rcpt[256];
	struct buf data;	/* the last DATA, as on the wire */
};

static void
put(int fd, const char *s)
{
	size_t n = strlen(s);
	ssize_t w;

	while (n > 0) {
		w = write(fd, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Reads one CRLF line (without it) into line; false at EOF or stop. */
static bool
get_line(struct fsrv *fs, int fd, char *rb, size_t *rlen, char *line,
	 size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char *nl;
	ssize_t r;
	size_t n;

	for (;;) {
		nl = memchr(rb, '\n', *rlen);
		if (nl != NULL) {
			n = (size_t)(nl - rb);
			if (n > 0 && rb[n - 1] == '\r')
				n--;
			if (n >= size)
				n = size - 1;
			memcpy(line, rb, n);
			line[n] = '\0';
			n = (size_t)(nl - rb) + 1;
			memmove(rb, rb + n, *rlen - n);
			*rlen -= n;
			return true;
		}
		if (*rlen >= 8192)
			return false;
		if (poll(&p, 1, 100) == 0) {
			if (atomic_load(&fs->stop))
				return false;
			continue;
		}
		r = read(fd, rb + *rlen, 8192 - *rlen);
		if (r <= 0)
			return false;
		*rlen += (size_t)r;
	}
}

static void
copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void
reply_code(int fd, int code, const char *text)
{
	char out[300];

	snprintf(out, sizeof(out), "%d %s\r\n", code, text);
	put(fd, out);
}

static void
session(struct fsrv *fs, int fd)
{
	char rb[8192], line[1100];
	size_t rlen = 0;
	bool in_data = false;

	pthread_mutex_lock(&fs->mu);
	fs->conns++;
	pthread_mutex_unlock(&fs->mu);
	if (fs->greeting == 0) {
		while (get_line(fs, fd, rb, &rlen, line, sizeof(line)))
			;
		return;
	}
	reply_code(fd, fs->greeting, fs->greeting == 220 ? "fake ESMTP" :
		   "no service for you");
	if (fs->greeting != 220)
		return;
	while (get_line(fs, fd, rb, &rlen, line, sizeof(line))) {
		pthread_mutex_lock(&fs->mu);
		if (in_data) {
			if (strcmp(line, ".") == 0) {
				in_data = false;
				fs->mails += fs->data_code == 250;
				pthread_mutex_unlock(&fs->mu);
				reply_code(fd, fs->data_code, fs->data_code ==
					   250 ? "2.0.0 queued" :
					   "4.7.1 try again later");
				continue;
			}
			buf_addf(&fs->data, "%s\r\n", line);
			pthread_mutex_unlock(&fs->mu);
			continue;
		}
		if (strncasecmp(line, "EHLO ", 5) == 0) {
			copy(fs->helo, sizeof(fs->helo), line + 5);
			pthread_mutex_unlock(&fs->mu);
			put(fd, "250-fake\r\n");
			if (fs->auth)
				put(fd, "250-AUTH PLAIN\r\n");
			put(fd, "250 8BITMIME\r\n");
			continue;
		}
		if (strncasecmp(line, "AUTH PLAIN", 10) == 0) {
			bool good;

			/* Without an initial response, it comes next. */
			if (line[10] == '\0') {
				pthread_mutex_unlock(&fs->mu);
				put(fd, "334 \r\n");
				if (!get_line(fs, fd, rb, &rlen, line + 11,
					      sizeof(line) - 11))
					return;
				pthread_mutex_lock(&fs->mu);
			}
			good = fs->auth_plain != NULL &&
			    strcmp(line + 11, fs->auth_plain) == 0;
			fs->auths += good;
			pthread_mutex_unlock(&fs->mu);
			reply_code(fd, good ? 235 : 535, good ? "ok" :
				   "5.7.8 credentials invalid");
			continue;
		}
		if (strncasecmp(line, "MAIL FROM:", 10) == 0 &&
		    fs->drop_mail > 0) {
			fs->drop_mail--;	/* as an idle time-out would */
			pthread_mutex_unlock(&fs->mu);
			return;
		}
		if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			copy(fs->from, sizeof(fs->from), line + 10);
			pthread_mutex_unlock(&fs->mu);
			reply_code(fd, 250, "ok");
			continue;
		}
		if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			copy(fs->rcpt, sizeof(fs->rcpt), line + 8);
			pthread_mutex_unlock(&fs->mu);
			reply_code(fd, fs->rcpt_code, fs->rcpt_code == 250 ?
				   "ok" : fs->rcpt_code >= 500 ?
				   "5.1.1 <nobody>: no such user" :
				   "4.2.0 mailbox busy");
			continue;
		}
		if (strcasecmp(line, "DATA") == 0) {
			buf_reset(&fs->data);
			in_data = true;
			pthread_mutex_unlock(&fs->mu);
			reply_code(fd, 354, "go ahead");
			continue;
		}
		if (strcasecmp(line, "QUIT") == 0) {
			fs->quits++;
			pthread_mutex_unlock(&fs->mu);
			reply_code(fd, 221, "bye");
			return;
		}
		pthread_mutex_unlock(&fs->mu);
		reply_code(fd, 250, "ok");	/* RSET, NOOP */
	}
}

struct conn {
	struct fsrv *fs;
	int fd;
};

static void *
conn_main(void *arg)
{
	struct conn *c = arg;

	session(c->fs, c->fd);
	close(c->fd);
	atomic_fetch_sub(&c->fs->active, 1);
	xfree(c);
	return NULL;
}

/* Serves each connection in a thread of its own, as servers do. */
static void *
fsrv_main(void *arg)
{
	struct fsrv *fs = arg;
	struct pollfd p = { .fd = fs->lfd, .events = POLLIN };
	struct conn *c;
	pthread_t t;
	int fd;

	while (!atomic_load(&fs->stop)) {
		if (poll(&p, 1, 100) <= 0)
			continue;
		fd = accept(fs->lfd, NULL, NULL);
		if (fd == -1)
			continue;
		c = xcalloc(1, sizeof(*c));
		c->fs = fs;
		c->fd = fd;
		atomic_fetch_add(&fs->active, 1);
		if (pthread_create(&t, NULL, conn_main, c) != 0) {
			atomic_fetch_sub(&fs->active, 1);
			close(fd);
			xfree(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

static bool
fsrv_start(struct fsrv *fs)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);

	memset(fs, 0, sizeof(*fs));
	pthread_mutex_init(&fs->mu, NULL);
	buf_init(&fs->data, 1 << 20);
	fs->greeting = 220;
	fs->rcpt_code = 250;
	fs->data_code = 250;
	atomic_init(&fs->stop, false);
	atomic_init(&fs->active, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fs->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (fs->lfd == -1 || bind(fs->lfd, (struct sockaddr *)&sa,
				  sizeof(sa)) == -1 ||
	    listen(fs->lfd, 8) == -1 ||
	    getsockname(fs->lfd, (struct sockaddr *)&sa, &len) == -1)
		return false;
	fs->port = ntohs(sa.sin_port);
	return pthread_create(&fs->thread, NULL, fsrv_main, fs) == 0;
}

static void
fsrv_stop(struct fsrv *fs)
{
	struct timespec nap = { 0, 10 * 1000 * 1000 };

	atomic_store(&fs->stop, true);
	pthread_join(fs->thread, NULL);
	while (atomic_load(&fs->active) > 0)
		nanosleep(&nap, NULL);
	close(fs->lfd);
	buf_release(&fs->data);
	pthread_mutex_destroy(&fs->mu);
}

/* Sets the script and clears what was seen. */
static void
fsrv_script(struct fsrv *fs, int greeting, int rcpt, int data)
{
	pthread_mutex_lock(&fs->mu);
	fs->greeting = greeting;
	fs->rcpt_code = rcpt;
	fs->data_code = data;
	fs->conns = fs->quits = fs->mails = fs->auths = 0;
	fs->helo[0] = fs->from[0] = fs->rcpt[0] = '\0';
	buf_reset(&fs->data);
	pthread_mutex_unlock(&fs->mu);
}

/* ---- the target ---- */

static void
test_parse(void)
{
	struct smtp_opts o = { .timeout_sec = 30, .require_tls = true };
	struct smtp_target t;
	struct op_err err = { 0 };

	subtest("smtp_target_parse");
	o.url = "smtp://mail.example.com";
	o.helo_name = "node1.example.com";
	is_int(smtp_target_parse(&o, &t, &err), OP_OK, "plain host");
	is_str(t.url, "smtp://mail.example.com:25/node1.example.com",
	       "port 25, the HELO name as the path");
	is_str(t.host, "mail.example.com", "host");
	is_int(t.port, 25, "port");
	ok(!t.implicit_tls && t.require_tls, "STARTTLS required");
	ok(t.user == NULL && t.password == NULL, "no AUTH");
	ok(t.ca_file == NULL, "system CAs");
	smtp_target_release(&t);

	o.url = "smtps://u%40x:p%3Aw%20d@mail.example.com:465/from.url";
	o.helo_name = NULL;
	is_int(smtp_target_parse(&o, &t, &err), OP_OK, "smtps with userinfo");
	is_str(t.url, "smtps://mail.example.com:465/from.url",
	       "credentials left out of the URL libcurl gets");
	ok(t.implicit_tls, "TLS from the start");
	is_str(t.user, "u@x", "user percent-decoded");
	is_str(t.password, "p:w d", "password percent-decoded");
	is_str(t.helo, "from.url", "HELO name from the path");
	smtp_target_release(&t);

	o.user = "key-user";
	o.password = "key-pass";
	o.helo_name = "key.helo";
	is_int(smtp_target_parse(&o, &t, &err), OP_OK, "keys and URL");
	is_str(t.user, "key-user", "smtp_user wins");
	is_str(t.password, "key-pass", "smtp_password wins");
	is_str(t.helo, "key.helo", "helo_name wins");
	smtp_target_release(&t);
	o.user = o.password = o.helo_name = NULL;

	o.url = "smtp://[::1]:2525";
	is_int(smtp_target_parse(&o, &t, &err), OP_OK, "IPv6 literal");
	is_str(t.host, "[::1]", "bracketed host");
	is_int(t.port, 2525, "port 2525");
	ok(t.helo != NULL && t.helo[0] != '\0', "HELO name from the host "
	   "name: %s", t.helo ? t.helo : "-");
	ok(t.url != NULL && strncmp(t.url, "smtp://[::1]:2525/", 18) == 0,
	   "url %s", t.url ? t.url : "-");
	smtp_target_release(&t);

	o.url = "smtp://u;AUTH=PLAIN:pw@h.example.com/x.example";
	is_int(smtp_target_parse(&o, &t, &err), OP_OK, "login options");
	is_str(t.login_options, "AUTH=PLAIN", "kept for libcurl");
	is_str(t.user, "u", "user");
	smtp_target_release(&t);

	{
		static const char *const bad[] = {
			"", "http://mail.example.com", "smtp://",
			"smtp://h.example.com?x=1", "smtp://h.example.com#f",
			"smtp://h.example.com/bad%20name",
			"smtp://h.example.com/bad%0d%0aRCPT",
			"smtp://user@h.example.com",
			"smtp://:secretpw@h.example.com",
			"not a url at all",
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			o.url = bad[i];
			memset(&err, 0, sizeof(err));
			is_int(smtp_target_parse(&o, &t, &err), OP_E_INVALID,
			       "refused: '%s' (%s)", bad[i], err.msg);
			ok(t.url == NULL && t.password == NULL,
			   "nothing kept");
		}
	}
	o.url = "smtp://u:secretpw@h.example.com/bad%20helo";
	smtp_target_parse(&o, &t, &err);
	ok(strstr(err.msg, "secretpw") == NULL && strstr(err.msg, "helo"),
	   "the error names the problem, never the password: %s", err.msg);
	o.url = "smtp://h.example.com";
	o.timeout_sec = 0;
	is_int(smtp_target_parse(&o, &t, &err), OP_E_INVALID, "timeout 0");
	o.timeout_sec = 30;
	o.ca_file = "/nonexistent/ca.pem";
	is_int(smtp_target_parse(&o, &t, &err), OP_E_INVALID,
	       "unreadable ca_file: %s", err.msg);
	o.ca_file = NULL;
	o.user = "only-user";
	is_int(smtp_target_parse(&o, &t, &err), OP_E_INVALID,
	       "user without password");
}

static void
test_classify(void)
{
	static const struct {
		int cc;
		long reply;
		enum smtp_verdict want;
		const char *what;
	} v[] = {
		{ CURLE_OK, 250, SMTP_DELIVERED, "250" },
		{ CURLE_SEND_ERROR, 550, SMTP_PERMANENT, "550 to RCPT" },
		{ CURLE_SEND_ERROR, 553, SMTP_PERMANENT, "553 to MAIL" },
		{ CURLE_WEIRD_SERVER_REPLY, 554, SMTP_PERMANENT,
		  "554 after DATA" },
		{ CURLE_WEIRD_SERVER_REPLY, 552, SMTP_PERMANENT, "552 size" },
		{ CURLE_SEND_ERROR, 451, SMTP_TEMPORARY, "451" },
		{ CURLE_WEIRD_SERVER_REPLY, 452, SMTP_TEMPORARY, "452" },
		{ CURLE_WEIRD_SERVER_REPLY, 421, SMTP_TEMPORARY, "421" },
		{ CURLE_LOGIN_DENIED, 535, SMTP_TEMPORARY, "535 bad login" },
		{ CURLE_LOGIN_DENIED, 0, SMTP_TEMPORARY, "login denied" },
		{ CURLE_SEND_ERROR, 530, SMTP_TEMPORARY, "530 auth needed" },
		{ CURLE_SEND_ERROR, 534, SMTP_TEMPORARY, "534" },
		{ CURLE_SEND_ERROR, 538, SMTP_TEMPORARY, "538" },
		{ CURLE_COULDNT_CONNECT, 0, SMTP_TEMPORARY, "refused" },
		{ CURLE_COULDNT_RESOLVE_HOST, 0, SMTP_TEMPORARY, "DNS" },
		{ CURLE_OPERATION_TIMEDOUT, 0, SMTP_TEMPORARY, "time-out" },
		{ CURLE_OPERATION_TIMEDOUT, 354, SMTP_TEMPORARY,
		  "time-out in DATA" },
		{ CURLE_RECV_ERROR, 0, SMTP_TEMPORARY, "cut" },
		{ CURLE_SEND_ERROR, 0, SMTP_TEMPORARY, "send error" },
		{ CURLE_GOT_NOTHING, 0, SMTP_TEMPORARY, "nothing" },
		{ CURLE_SSL_CONNECT_ERROR, 0, SMTP_TEMPORARY, "TLS" },
		{ CURLE_PEER_FAILED_VERIFICATION, 0, SMTP_TEMPORARY,
		  "certificate" },
		{ CURLE_USE_SSL_FAILED, 250, SMTP_TEMPORARY, "no STARTTLS" },
	};
	size_t i;

	subtest("smtp_classify");
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		is_int(smtp_classify(v[i].cc, v[i].reply), v[i].want, "%s",
		       v[i].what);
}

static void
test_envelope(void)
{
	char long_addr[300];

	subtest("smtp_envelope_ok");
	ok(smtp_envelope_ok("ann@example.com"), "plain");
	ok(smtp_envelope_ok("\xc3\xa9l\xc3\xa8ve@example.fr"), "UTF-8");
	ok(!smtp_envelope_ok("ann@example.com>\r\nRCPT TO:<evil@example.com"),
	   "CRLF and a command");
	ok(!smtp_envelope_ok("ann@example.com\n"), "LF");
	ok(!smtp_envelope_ok("ann@example.com\r"), "CR");
	ok(!smtp_envelope_ok("ann @example.com"), "space");
	ok(!smtp_envelope_ok("<ann@example.com>"), "brackets");
	ok(!smtp_envelope_ok("annexample.com"), "no @");
	ok(!smtp_envelope_ok(""), "empty");
	ok(!smtp_envelope_ok(NULL), "NULL");
	memset(long_addr, 'a', sizeof(long_addr));
	memcpy(long_addr + 250, "@x.com", 7);
	ok(!smtp_envelope_ok(long_addr), "longer than 254");
}

/* ---- deliveries ---- */

#define MSG "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"			\
	"From: a@example.com\r\nTo: b@example.com\r\nSubject: t\r\n"	\
	"Message-ID: <x@example.com>\r\n\r\nline one\r\n"		\
	".a line that starts with a dot\r\n.\r\nlast\r\n"

static void
mk_config(struct config *cfg, const char *url)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->mail_smtp_url = (char *)url;
	cfg->mail_smtp_user = (char *)"";
	cfg->mail_smtp_password = (char *)"";
	cfg->mail_helo_name = (char *)"test.onepass.example";
	cfg->mail_ca_file = (char *)"";
	cfg->mail_require_tls = false;
	cfg->mail_timeout_sec = 5;
}

static enum op_rc
send1(struct mail_transport *tr, const char *rcpt, struct op_err *err)
{
	memset(err, 0, sizeof(*err));
	return tr->send(tr->ctx, "a@example.com", rcpt, MSG, strlen(MSG),
			err);
}

static void
test_deliver(struct fsrv *fs)
{
	struct mail_transport tr = { 0 };
	struct op_err err = { 0 };
	struct config cfg;
	char *url = xasprintf("smtp://127.0.0.1:%d", fs->port);
	const char *d;

	subtest("delivery through libcurl");
	mk_config(&cfg, url);
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport: %s",
	       err.msg);
	ok(tr.name != NULL && strstr(tr.name, "127.0.0.1") != NULL,
	   "named by its URL: %s", tr.name ? tr.name : "-");
	ok(tr.probe != NULL, "has a probe");
	fsrv_script(fs, 220, 250, 250);
	is_int(send1(&tr, "b@example.com", &err), OP_OK, "sent: %s",
	       err.msg);
	pthread_mutex_lock(&fs->mu);
	is_str(fs->helo, "test.onepass.example", "EHLO with helo_name");
	is_str(fs->from, "<a@example.com>", "MAIL FROM");
	is_str(fs->rcpt, "<b@example.com>", "RCPT TO");
	d = buf_str(&fs->data);
	ok(strstr(d, "\r\n..a line that starts with a dot\r\n..\r\nlast\r\n")
	   != NULL, "dot-stuffed on the wire");
	ok(strncmp(d, "Date: Tue", 9) == 0, "the message as given");
	pthread_mutex_unlock(&fs->mu);
	is_int(send1(&tr, "c@example.com", &err), OP_OK, "second");
	is_int(send1(&tr, "d@example.com", &err), OP_OK, "third");
	pthread_mutex_lock(&fs->mu);
	is_int(fs->mails, 3, "three messages");
	is_int(fs->conns, 1, "over one connection (kept between messages)");
	fs->drop_mail = 1;
	pthread_mutex_unlock(&fs->mu);
	is_int(send1(&tr, "e@example.com", &err), OP_OK, "the kept connection "
	       "closed by the server as it is reused: sent on a new one (%s)",
	       err.msg);
	pthread_mutex_lock(&fs->mu);
	ok(fs->mails == 4 && fs->conns == 2, "one more message, one more "
	   "connection (%d, %d)", fs->mails, fs->conns);
	fs->drop_mail = 2;
	pthread_mutex_unlock(&fs->mu);
	is_int(send1(&tr, "f@example.com", &err), OP_E_MAIL,
	       "closed again on the new connection: temporary, not a loop");
	pthread_mutex_lock(&fs->mu);
	ok(fs->mails == 4 && fs->conns == 3, "tried twice: on the kept "
	   "connection, then on one new one (%d, %d)", fs->mails, fs->conns);
	fs->drop_mail = 0;
	pthread_mutex_unlock(&fs->mu);

	subtest("refusals");
	fsrv_script(fs, 220, 550, 250);
	is_int(send1(&tr, "nobody@example.com", &err), OP_E_INVALID,
	       "550 to RCPT: permanent");
	ok(strstr(err.msg, "550 5.1.1 <nobody>: no such user") != NULL,
	   "the server's words in the error: %s", err.msg);
	fsrv_script(fs, 220, 450, 250);
	is_int(send1(&tr, "busy@example.com", &err), OP_E_MAIL,
	       "450 to RCPT: temporary: %s", err.msg);
	fsrv_script(fs, 220, 250, 451);
	is_int(send1(&tr, "later@example.com", &err), OP_E_MAIL,
	       "451 after DATA: temporary");
	ok(strstr(err.msg, "451") != NULL, "%s", err.msg);
	fsrv_script(fs, 220, 250, 250);
	is_int(send1(&tr, "b@example.com", &err), OP_OK,
	       "then delivered again: %s", err.msg);
	is_int(tr.send(tr.ctx, "a@example.com", "b@example.com\r\nDATA",
		       MSG, strlen(MSG), &err), OP_E_INVALID,
	       "CRLF in the recipient: refused");
	is_int(tr.send(tr.ctx, "a@example.com>\r\nRSET", "b@example.com",
		       MSG, strlen(MSG), &err), OP_E_INVALID,
	       "CRLF in the sender: refused");
	pthread_mutex_lock(&fs->mu);
	is_int(fs->mails, 1, "nothing more reached the server");
	pthread_mutex_unlock(&fs->mu);

	subtest("probe");
	fsrv_script(fs, 220, 250, 250);
	is_int(tr.probe(tr.ctx, &err), OP_OK, "the server answers");
	pthread_mutex_lock(&fs->mu);
	ok(fs->conns == 1 && fs->quits == 1 && fs->mails == 0 &&
	   fs->from[0] == '\0', "connected, EHLO, QUIT; no mail (%d %d)",
	   fs->conns, fs->quits);
	pthread_mutex_unlock(&fs->mu);
	fsrv_script(fs, 554, 250, 250);
	memset(&err, 0, sizeof(err));
	is_int(tr.probe(tr.ctx, &err), OP_E_MAIL, "554 greeting: fails");
	ok(strstr(err.msg, "554") != NULL, "%s", err.msg);
	smtp_transport_release(&tr);
	ok(tr.ctx == NULL, "released");

	subtest("TLS required");
	cfg.mail_require_tls = true;
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport");
	fsrv_script(fs, 220, 250, 250);
	is_int(send1(&tr, "b@example.com", &err), OP_E_MAIL,
	       "no STARTTLS offered: not sent (%s)", err.msg);
	pthread_mutex_lock(&fs->mu);
	ok(fs->from[0] == '\0' && fs->mails == 0, "no MAIL FROM in clear");
	pthread_mutex_unlock(&fs->mu);
	is_int(tr.probe(tr.ctx, &err), OP_E_MAIL, "the probe fails too");
	smtp_transport_release(&tr);
	xfree(url);
}

static void
test_auth(struct fsrv *fs)
{
	struct mail_transport tr = { 0 };
	struct op_err err = { 0 };
	struct config cfg;
	char *url = xasprintf("smtp://mailer:s3cret@127.0.0.1:%d", fs->port);

	subtest("AUTH PLAIN");
	mk_config(&cfg, url);
	/* base64("\0mailer\0s3cret") */
	fs->auth = true;
	fs->auth_plain = "AG1haWxlcgBzM2NyZXQ=";
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport");
	ok(strstr(tr.name, "s3cret") == NULL && strstr(tr.name, "mailer") ==
	   NULL, "no credentials in the name: %s", tr.name);
	fsrv_script(fs, 220, 250, 250);
	is_int(send1(&tr, "b@example.com", &err), OP_OK, "sent: %s",
	       err.msg);
	pthread_mutex_lock(&fs->mu);
	is_int(fs->auths, 1, "authenticated with the URL's credentials");
	pthread_mutex_unlock(&fs->mu);
	smtp_transport_release(&tr);

	cfg.mail_smtp_password = (char *)"wrong";
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport");
	fsrv_script(fs, 220, 250, 250);
	memset(&err, 0, sizeof(err));
	is_int(send1(&tr, "b@example.com", &err), OP_E_MAIL,
	       "535: temporary (the operator fixes the password, no message "
	       "is lost)");
	ok(strstr(err.msg, "wrong") == NULL, "no password in: %s", err.msg);
	smtp_transport_release(&tr);
	fs->auth = false;
	xfree(url);
}

static void
test_unreachable(void)
{
	struct mail_transport tr = { 0 };
	struct op_err err = { 0 };
	struct fsrv mute;
	struct config cfg;
	struct timespec t0, t1;
	char *url;
	long ms;

	subtest("no server, a mute server");
	if (!fsrv_start(&mute)) {
		ok(false, "server start");
		return;
	}
	url = xasprintf("smtp://127.0.0.1:%d", mute.port);
	fsrv_stop(&mute);	/* the port is closed now */
	mk_config(&cfg, url);
	cfg.mail_timeout_sec = 1;
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport");
	is_int(send1(&tr, "b@example.com", &err), OP_E_MAIL,
	       "connection refused: temporary (%s)", err.msg);
	is_int(tr.probe(tr.ctx, &err), OP_E_MAIL, "the probe fails");
	smtp_transport_release(&tr);
	xfree(url);

	if (!fsrv_start(&mute)) {
		ok(false, "server start");
		return;
	}
	fsrv_script(&mute, 0, 250, 250);
	url = xasprintf("smtp://127.0.0.1:%d", mute.port);
	mk_config(&cfg, url);
	cfg.mail_timeout_sec = 1;
	is_int(smtp_transport(&cfg, &tr, &err), OP_OK, "smtp_transport");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	is_int(send1(&tr, "b@example.com", &err), OP_E_MAIL,
	       "never greets: temporary (%s)", err.msg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(ms >= 900 && ms < 3000, "gave up after timeout_sec (%ld ms)", ms);
	smtp_transport_release(&tr);
	fsrv_stop(&mute);
	xfree(url);

	mk_config(&cfg, "ftp://example.com");
	memset(&tr, 0, sizeof(tr));
	is_int(smtp_transport(&cfg, &tr, &err), OP_E_INVALID,
	       "not smtp: refused at start (%s)", err.msg);
	ok(tr.send == NULL, "no transport");
}

int
main(void)
{
	struct fsrv fs;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_QUIET);
	test_parse();
	test_classify();
	test_envelope();
	if (!fsrv_start(&fs)) {
		ok(false, "the test SMTP server starts");
		return done_testing();
	}
	test_deliver(&fs);
	test_auth(&fs);
	fsrv_stop(&fs);
	test_unreachable();
	return done_testing();
}

/*
 * smtp.c - the SMTP transport: delivery to a mail server with libcurl,
 * the only file that speaks SMTP. Implements struct mail_transport
 * (mail.h).
 *
 * [mail] smtp_url is smtp://host[:port] (STARTTLS) or smtps://host[:port]
 * (TLS from the first byte). STARTTLS is required unless [mail]
 * require_tls is false, when it is used if the server offers it. The
 * server's certificate is always verified, against [mail] ca_file or the
 * system's authorities. AUTH is sent when a user name is set (in the URL
 * or [mail] smtp_user); the password never appears in a log, an error or
 * the URL handed to libcurl. libcurl takes the EHLO name from the URL's
 * path, so the URL it is given is rebuilt as scheme://host:port/HELO.
 *
 * One easy handle is kept between messages so its connection is reused:
 * a burst of mail costs one TCP and TLS handshake, one EHLO and one AUTH
 * (libcurl drops a connection the server has closed, and one idle for
 * more than SMTP_CONN_MAX_AGE seconds; one the server closes just as it
 * is reused fails before any reply, and is tried once more on a new
 * connection, since nothing was accepted). The worker is the only caller,
 * but a mutex keeps the handle safe for any caller. libcurl does the
 * SMTP dot-stuffing; messages already have CRLF lines.
 *
 * The verdict on a delivery comes from the last reply code and libcurl's
 * result (smtp_classify, smtp.h): OP_OK, OP_E_MAIL (temporary) or
 * OP_E_INVALID (permanent), with the server's last reply line, made
 * printable, in err. probe() connects, greets, authenticates, says NOOP
 * and QUIT on a handle of its own: the outbox uses it to tell a server
 * that is down from one that refused a message.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "mail/smtp.h"

#define SMTP_CONNECT_TIMEOUT_MAX	10
#define SMTP_CONN_MAX_AGE		30
#define SMTP_REPLY_MAX			200

struct smtp {
	struct smtp_target t;
	pthread_mutex_t mu;
	CURL *curl;		/* under mu */
};

/* ---- options ---- */

static bool
set(const char *s)
{
	return s != NULL && s[0] != '\0';
}

void
smtp_target_release(struct smtp_target *t)
{
	if (t == NULL)
		return;
	xfree(t->url);
	xfree(t->host);
	xfree(t->helo);
	xfree(t->user);
	xfreestr_secret(t->password);
	xfree(t->login_options);
	xfree(t->ca_file);
	memset(t, 0, sizeof(*t));
}

/* A name for EHLO: a domain of letters, digits, '-', '_' and '.', or an
 * address literal in brackets. */
static bool
helo_ok(const char *s)
{
	size_t n = strlen(s), i;
	bool literal;

	if (n == 0 || n > SMTP_HELO_MAX)
		return false;
	literal = s[0] == '[';
	if (literal && (n < 3 || s[n - 1] != ']'))
		return false;
	for (i = literal ? 1 : 0; i < (literal ? n - 1 : n); i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || (literal && c == ':')))
			return false;
	}
	return true;
}

bool
smtp_envelope_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	bool at = false;
	size_t n = 0;

	if (s == NULL)
		return false;
	for (; *p != '\0'; p++, n++) {
		if (*p <= ' ' || *p == 0x7f || *p == '<' || *p == '>')
			return false;
		if (*p == '@')
			at = true;
	}
	return at && n <= 254;
}

/* Gets one part of u as a new xmalloc'd string, or NULL when absent.
 * A part that may hold a secret is wiped in libcurl's copy. */
static enum op_rc
url_part(CURLU *u, CURLUPart what, unsigned flags, bool secret, char **out)
{
	CURLUcode uc;
	char *v = NULL;

	*out = NULL;
	uc = curl_url_get(u, what, &v, flags);
	if (uc == CURLUE_OK) {
		*out = xstrdup(v);
		if (secret)
			sodium_memzero(v, strlen(v));
		curl_free(v);
		return OP_OK;
	}
	curl_free(v);
	switch (uc) {
	case CURLUE_NO_USER:
	case CURLUE_NO_PASSWORD:
	case CURLUE_NO_OPTIONS:
	case CURLUE_NO_PORT:
	case CURLUE_NO_QUERY:
	case CURLUE_NO_FRAGMENT:
		return OP_OK;
	default:
		return OP_E_INVALID;
	}
}

/* The rest of parse: credentials, HELO, limits; u is the parsed URL. */
static enum op_rc
parse_rest(const struct smtp_opts *o, CURLU *u, struct smtp_target *t,
	   struct op_err *err)
{
	char *user = NULL, *pass = NULL, *path = NULL, host[256];
	enum op_rc rc = OP_OK;

	if (url_part(u, CURLUPART_USER, CURLU_URLDECODE, false, &user) !=
	    OP_OK ||
	    url_part(u, CURLUPART_PASSWORD, CURLU_URLDECODE, true, &pass) !=
	    OP_OK ||
	    url_part(u, CURLUPART_OPTIONS, 0, false, &t->login_options) !=
	    OP_OK ||
	    url_part(u, CURLUPART_PATH, CURLU_URLDECODE, false, &path) !=
	    OP_OK) {
		rc = op_err_set(err, OP_E_INVALID, "[mail] smtp_url: cannot "
				"read its parts");
		goto out;
	}
	t->user = xstrdup(set(o->user) ? o->user : set(user) ? user : "");
	t->password = xstrdup(set(o->password) ? o->password :
			      set(pass) ? pass : "");
	if (t->user[0] == '\0') {
		xfree(t->user);
		t->user = NULL;
		if (t->password[0] != '\0') {
			rc = op_err_set(err, OP_E_INVALID, "[mail] a password "
					"but no user name for SMTP AUTH");
			goto out;
		}
		xfreestr_secret(t->password);
		t->password = NULL;
	} else if (t->password[0] == '\0') {
		rc = op_err_set(err, OP_E_INVALID, "[mail] a user name but no "
				"password for SMTP AUTH");
		goto out;
	}
	if (set(o->helo_name)) {
		t->helo = xstrdup(o->helo_name);
	} else if (path != NULL && path[0] == '/' && path[1] != '\0') {
		t->helo = xstrdup(path + 1);
	} else {
		if (gethostname(host, sizeof(host)) == -1)
			host[0] = '\0';
		host[sizeof(host) - 1] = '\0';
		t->helo = xstrdup(helo_ok(host) ? host : "localhost");
	}
	if (!helo_ok(t->helo)) {
		rc = op_err_set(err, OP_E_INVALID, "[mail] helo_name (or the "
				"path of smtp_url) is not a host name");
		goto out;
	}
	if (o->timeout_sec < 1 || o->timeout_sec > SMTP_TIMEOUT_MAX) {
		rc = op_err_set(err, OP_E_INVALID, "[mail] timeout_sec must "
				"be 1 to %d", SMTP_TIMEOUT_MAX);
		goto out;
	}
	t->timeout_sec = o->timeout_sec;
	t->require_tls = o->require_tls;
	if (set(o->ca_file)) {
		if (access(o->ca_file, R_OK) == -1) {
			rc = op_err_set(err, OP_E_INVALID, "[mail] ca_file "
					"'%s' cannot be read", o->ca_file);
			goto out;
		}
		t->ca_file = xstrdup(o->ca_file);
	}
out:
	xfree(user);
	xfreestr_secret(pass);
	xfree(path);
	return rc;
}

enum op_rc
smtp_target_parse(const struct smtp_opts *o, struct smtp_target *t,
		  struct op_err *err)
{
	char *scheme = NULL, *query = NULL, *frag = NULL, *port = NULL;
	char *url = NULL;
	CURLU *u;
	enum op_rc rc;

	memset(t, 0, sizeof(*t));
	if (!set(o->url))
		return op_err_set(err, OP_E_INVALID, "[mail] smtp_url is "
				  "empty");
	u = curl_url();
	if (u == NULL)
		return op_err_set(err, OP_E_INTERNAL, "curl_url: no memory");
	/* The URL is not quoted in errors: it may hold a password. */
	rc = OP_E_INVALID;
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK) {
		op_err_set(err, rc, "[mail] smtp_url is not a URL");
		goto out;
	}
	if (url_part(u, CURLUPART_SCHEME, 0, false, &scheme) != OP_OK ||
	    scheme == NULL || (strcmp(scheme, "smtp") != 0 &&
			       strcmp(scheme, "smtps") != 0)) {
		op_err_set(err, rc, "[mail] smtp_url must start with smtp:// "
			   "or smtps://");
		goto out;
	}
	t->implicit_tls = strcmp(scheme, "smtps") == 0;
	if (url_part(u, CURLUPART_QUERY, 0, false, &query) != OP_OK ||
	    url_part(u, CURLUPART_FRAGMENT, 0, false, &frag) != OP_OK ||
	    query != NULL || frag != NULL) {
		op_err_set(err, rc, "[mail] smtp_url has a query or fragment");
		goto out;
	}
	if (url_part(u, CURLUPART_HOST, 0, false, &t->host) != OP_OK ||
	    t->host == NULL || t->host[0] == '\0' ||
	    url_part(u, CURLUPART_PORT, CURLU_DEFAULT_PORT, false, &port) !=
	    OP_OK || port == NULL) {
		op_err_set(err, rc, "[mail] smtp_url has no host");
		goto out;
	}
	t->port = strtol(port, NULL, 10);
	if (parse_rest(o, u, t, err) != OP_OK)
		goto out;
	/* What libcurl gets: no credentials, the HELO name as the path. */
	if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_PATH, t->helo, CURLU_URLENCODE) !=
	    CURLUE_OK ||
	    url_part(u, CURLUPART_URL, 0, false, &url) != OP_OK ||
	    url == NULL) {
		op_err_set(err, rc, "[mail] smtp_url cannot be rebuilt");
		goto out;
	}
	t->url = url;
	rc = OP_OK;
out:
	if (rc != OP_OK)
		smtp_target_release(t);
	xfree(scheme);
	xfree(query);
	xfree(frag);
	xfree(port);
	curl_url_cleanup(u);
	return rc;
}

/* ---- verdicts ---- */

enum smtp_verdict
smtp_classify(int curl_code, long reply)
{
	if (curl_code == CURLE_OK)
		return SMTP_DELIVERED;
	if (curl_code == CURLE_LOGIN_DENIED)
		return SMTP_TEMPORARY;
	if (reply >= 500 && reply <= 599) {
		switch (reply) {
		case 530:	/* authentication required */
		case 534:	/* mechanism too weak */
		case 535:	/* credentials invalid */
		case 538:	/* encryption required for the mechanism */
			return SMTP_TEMPORARY;
		default:
			return SMTP_PERMANENT;
		}
	}
	return SMTP_TEMPORARY;
}

/* ---- libcurl ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void
curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* The last lines the server sent, made printable: the one that explains
 * a failure may be followed by the answer to QUIT. */
#define SMTP_REPLY_LINES	4
struct last_reply {
	char text[SMTP_REPLY_LINES][SMTP_REPLY_MAX];
	unsigned next;
	char errbuf[CURL_ERROR_SIZE];	/* libcurl's own words */
};

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t size, void *arg)
{
	struct last_reply *r = arg;
	size_t i, n = 0;
	char *line;

	(void)h;
	/* Only the server's replies: never what we send (AUTH, the body).
	 * The kept handle has no place to write between transfers. */
	if (type != CURLINFO_HEADER_IN || r == NULL)
		return 0;
	line = r->text[r->next++ % SMTP_REPLY_LINES];
	for (i = 0; i < size && n + 1 < SMTP_REPLY_MAX; i++) {
		unsigned char c = (unsigned char)data[i];
		if (c == '\r' || c == '\n')
			break;
		line[n++] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	line[n] = '\0';
	return 0;
}

struct body {
	const char *p;
	size_t left;
};

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct body *b = arg;
	size_t n = size * nitems;

	if (n > b->left)
		n = b->left;
	memcpy(buf, b->p, n);
	b->p += n;
	b->left -= n;
	return n;
}

/* The options every handle of s has. Returns false when libcurl refuses
 * one (a libcurl without SMTP or TLS). */
static bool
setup(const struct smtp *s, CURL *c, struct last_reply *r)
{
	const struct smtp_target *t = &s->t;
	long ct = t->timeout_sec < SMTP_CONNECT_TIMEOUT_MAX ?
	    t->timeout_sec : SMTP_CONNECT_TIMEOUT_MAX;
	bool ok = true;

#define OPT(o, v) ok = ok && curl_easy_setopt(c, o, v) == CURLE_OK
	OPT(CURLOPT_URL, t->url);
	OPT(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	OPT(CURLOPT_NOSIGNAL, 1L);
	OPT(CURLOPT_TIMEOUT, t->timeout_sec);
	OPT(CURLOPT_CONNECTTIMEOUT, ct);
	OPT(CURLOPT_MAXAGE_CONN, (long)SMTP_CONN_MAX_AGE);
	OPT(CURLOPT_USE_SSL, t->require_tls || t->implicit_tls ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
	OPT(CURLOPT_SSL_VERIFYPEER, 1L);
	OPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (t->ca_file != NULL)
		OPT(CURLOPT_CAINFO, t->ca_file);
	if (t->user != NULL) {
		OPT(CURLOPT_USERNAME, t->user);
		OPT(CURLOPT_PASSWORD, t->password);
		if (t->login_options != NULL)
			OPT(CURLOPT_LOGIN_OPTIONS, t->login_options);
	}
	OPT(CURLOPT_DEBUGFUNCTION, debug_cb);
	OPT(CURLOPT_DEBUGDATA, r);
	OPT(CURLOPT_VERBOSE, 1L);
#undef OPT
	return ok;
}

/* Sets err from a failed transfer: the server's last line with the
 * error reply code libcurl acted on when there is one, else libcurl's
 * words. */
static enum op_rc
fail(const struct smtp *s, enum op_rc rc, CURLcode cc, long reply,
     const struct last_reply *r, struct op_err *err)
{
	char code[8];
	unsigned i, k;

	snprintf(code, sizeof(code), "%03ld", reply);
	for (i = 0; reply >= 400 && i < SMTP_REPLY_LINES && i < r->next;
	     i++) {
		k = (r->next - 1 - i) % SMTP_REPLY_LINES;
		if (strncmp(r->text[k], code, 3) == 0)
			return op_err_set(err, rc, "%s: %s", s->t.url,
					  r->text[k]);
	}
	return op_err_set(err, rc, "%s: %s", s->t.url,
			  r->errbuf[0] != '\0' ? r->errbuf :
			  curl_easy_strerror(cc));
}

/*
 * One transfer on the kept handle. A kept connection that the server
 * closed just as it was reused fails before any reply: nothing was
 * accepted, so that is tried once more, on a new connection.
 */
static CURLcode
perform(struct smtp *s, struct last_reply *r, struct body *b,
	const char *msg, size_t len, long *reply)
{
	long fresh = 1;
	CURLcode cc;
	int tries;

	for (tries = 0;; tries++) {
		cc = curl_easy_perform(s->curl);
		if (curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, reply) !=
		    CURLE_OK)
			*reply = 0;
		/* Not after a time-out: the two would take too long. */
		if (cc == CURLE_OK || *reply != 0 || tries > 0 ||
		    cc == CURLE_OPERATION_TIMEDOUT ||
		    curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &fresh) !=
		    CURLE_OK || fresh != 0)
			return cc;
		memset(r, 0, sizeof(*r));
		b->p = msg;
		b->left = len;
	}
}

static enum op_rc
smtp_send(void *ctx, const char *from, const char *rcpt, const char *msg,
	  size_t len, struct op_err *err)
{
	struct smtp *s = ctx;
	struct last_reply r = { .next = 0 };
	struct body b = { msg, len };
	struct curl_slist *to = NULL;
	char *mfrom, *mto;
	enum op_rc rc = OP_OK;
	long reply = 0;
	CURLcode cc;
	bool ok;

	/* The store checks these too; a CR or LF here would be a command. */
	if (!smtp_envelope_ok(from) || !smtp_envelope_ok(rcpt))
		return op_err_set(err, OP_E_INVALID, "smtp: envelope address "
				  "refused");
	mfrom = xasprintf("<%s>", from);
	mto = xasprintf("<%s>", rcpt);
	to = curl_slist_append(NULL, mto);
	pthread_mutex_lock(&s->mu);
	if (s->curl == NULL) {
		s->curl = curl_easy_init();
		if (s->curl != NULL && !setup(s, s->curl, &r)) {
			curl_easy_cleanup(s->curl);
			s->curl = NULL;
		}
	}
	ok = s->curl != NULL && to != NULL;
#define OPT(o, v) ok = ok && curl_easy_setopt(s->curl, o, v) == CURLE_OK
	OPT(CURLOPT_DEBUGDATA, &r);
	OPT(CURLOPT_ERRORBUFFER, r.errbuf);
	OPT(CURLOPT_MAIL_FROM, mfrom);
	OPT(CURLOPT_MAIL_RCPT, to);
	OPT(CURLOPT_UPLOAD, 1L);
	OPT(CURLOPT_READFUNCTION, read_cb);
	OPT(CURLOPT_READDATA, &b);
	OPT(CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
#undef OPT
	if (!ok) {
		rc = op_err_set(err, OP_E_MAIL, "%s: libcurl refused an "
				"option", s->t.url);
		goto out;
	}
	cc = perform(s, &r, &b, msg, len, &reply);
	switch (smtp_classify(cc, reply)) {
	case SMTP_DELIVERED:
		break;
	case SMTP_PERMANENT:
		rc = fail(s, OP_E_INVALID, cc, reply, &r, err);
		break;
	case SMTP_TEMPORARY:
		rc = fail(s, OP_E_MAIL, cc, reply, &r, err);
		break;
	}
out:
	if (s->curl != NULL) {
		/* Nothing of this message stays in the handle. */
		curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
		curl_easy_setopt(s->curl, CURLOPT_READDATA, NULL);
		curl_easy_setopt(s->curl, CURLOPT_DEBUGDATA, NULL);
		curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
	}
	pthread_mutex_unlock(&s->mu);
	curl_slist_free_all(to);
	xfree(mfrom);
	xfree(mto);
	return rc;
}

static size_t
discard_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	(void)p;
	(void)arg;
	return size * nmemb;
}

static enum op_rc
smtp_probe(void *ctx, struct op_err *err)
{
	struct smtp *s = ctx;
	struct last_reply r = { .next = 0 };
	enum op_rc rc = OP_OK;
	long reply = 0;
	CURLcode cc;
	CURL *c;

	c = curl_easy_init();
	if (c == NULL || !setup(s, c, &r) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, r.errbuf) != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "NOOP") != CURLE_OK ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb) !=
	    CURLE_OK) {
		rc = op_err_set(err, OP_E_MAIL, "%s: libcurl refused an "
				"option", s->t.url);
		goto out;
	}
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK) {
		if (curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply) !=
		    CURLE_OK)
			reply = 0;
		rc = fail(s, OP_E_MAIL, cc, reply, &r, err);
	}
out:
	/* Cleanup says QUIT. */
	if (c != NULL)
		curl_easy_cleanup(c);
	return rc;
}

enum op_rc
smtp_transport(const struct config *cfg, struct mail_transport *out,
	       struct op_err *err)
{
	struct smtp_opts o = {
		.url = cfg->mail_smtp_url,
		.user = cfg->mail_smtp_user,
		.password = cfg->mail_smtp_password,
		.helo_name = cfg->mail_helo_name,
		.ca_file = cfg->mail_ca_file,
		.require_tls = cfg->mail_require_tls,
		.timeout_sec = cfg->mail_timeout_sec,
	};
	const curl_version_info_data *vi;
	struct smtp *s;
	enum op_rc rc;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return op_err_set(err, OP_E_INTERNAL, "curl_global_init: %s",
				  curl_easy_strerror(curl_init_rc));
	vi = curl_version_info(CURLVERSION_NOW);
	if (!(vi->features & CURL_VERSION_SSL))
		return op_err_set(err, OP_E_INVALID, "libcurl has no TLS");
	s = xcalloc(1, sizeof(*s));
	rc = smtp_target_parse(&o, &s->t, err);
	if (rc != OP_OK) {
		xfree(s);
		return rc;
	}
	pthread_mutex_init(&s->mu, NULL);
	log_info("mail: SMTP to %s, %s%s%s", s->t.url,
		 s->t.implicit_tls ? "TLS" : s->t.require_tls ?
		 "STARTTLS required" : "STARTTLS when offered",
		 s->t.user != NULL ? ", AUTH as " : ", no AUTH",
		 s->t.user != NULL ? s->t.user : "");
	if (s->t.user != NULL && !s->t.implicit_tls && !s->t.require_tls)
		log_warnx("mail: [mail] require_tls is false: the SMTP "
			  "password goes in clear text to a server that "
			  "offers no STARTTLS");
	*out = (struct mail_transport){
		.name = s->t.url,
		.send = smtp_send,
		.probe = smtp_probe,
		.ctx = s,
	};
	return OP_OK;
}

void
smtp_transport_release(struct mail_transport *t)
{
	struct smtp *s;

	if (t == NULL || t->ctx == NULL)
		return;
	s = t->ctx;
	if (s->curl != NULL)
		curl_easy_cleanup(s->curl);
	pthread_mutex_destroy(&s->mu);
	smtp_target_release(&s->t);
	xfree(s);
	t->ctx = NULL;
}

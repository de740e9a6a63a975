/*
 * smtp.h - the inner parts of the SMTP transport (smtp.c), apart so that
 * its unit tests reach them: reading the [mail] keys into one target, the
 * check of envelope addresses, and the verdict on one delivery. The
 * transport itself is declared in mail.h.
 */
#ifndef MAIL_SMTP_H
#define MAIL_SMTP_H

#include <stdbool.h>

#include "core/onepass.h"

#define SMTP_HELO_MAX	255
#define SMTP_TIMEOUT_MAX	3600

/* The [mail] keys, as given. NULL and "" both mean "not set". */
struct smtp_opts {
	const char *url;	/* smtp[s]://[user[:password]@]host[:port][/helo] */
	const char *user;	/* wins over the URL's */
	const char *password;	/* wins over the URL's */
	const char *helo_name;	/* wins over the URL's path */
	const char *ca_file;
	bool require_tls;
	long timeout_sec;
};

/* What smtp_target_parse makes of them; every string is owned. */
struct smtp_target {
	char *url;		/* "smtp[s]://host:port/helo": what libcurl is
				 * given and what logs show (no credentials) */
	char *host;		/* as in the URL, IPv6 in brackets */
	long port;
	bool implicit_tls;	/* smtps:// */
	char *helo;
	char *user;		/* NULL: no AUTH */
	char *password;		/* NULL when user is; wiped on release */
	char *login_options;	/* the URL's ";AUTH=..." or NULL */
	char *ca_file;		/* NULL: the system's authorities */
	bool require_tls;	/* STARTTLS or nothing (smtp://) */
	long timeout_sec;
};

/*
 * Checks and splits the options. The user name and password are taken
 * from the keys when set, else from the URL (percent-decoded); the HELO
 * name from helo_name, else the URL's path, else the machine's host name.
 * OP_E_INVALID with the reason in err (never quoting a password).
 */
enum op_rc smtp_target_parse(const struct smtp_opts *o, struct smtp_target *t,
			     struct op_err *err);
void smtp_target_release(struct smtp_target *t);

/* True when s can go in MAIL FROM:<s> or RCPT TO:<s>: 1 to 254 printable
 * ASCII or UTF-8 octets, no space, control character, '<' or '>', one
 * '@' at least, so no value can add an SMTP command. */
bool smtp_envelope_ok(const char *s);

enum smtp_verdict {
	SMTP_DELIVERED,
	SMTP_TEMPORARY,		/* try again later */
	SMTP_PERMANENT,		/* the server refused this message for good */
};

/*
 * The verdict on one transfer from libcurl's result (a CURLcode) and the
 * last SMTP reply code (CURLINFO_RESPONSE_CODE, 0 when none came):
 *   - CURLE_OK: delivered;
 *   - a 5xx reply: permanent, except 530, 534, 535 and 538 (and
 *     CURLE_LOGIN_DENIED), which say our credentials or our TLS are
 *     wrong: that is the operator's to fix, and no message should be
 *     lost meanwhile, so they are temporary;
 *   - anything else (4xx, no connection, time-outs, TLS failures, a
 *     connection cut in the middle): temporary.
 */
enum smtp_verdict smtp_classify(int curl_code, long reply);

#endif

/*
 * mail.h - every message the flows send. mail_enqueue renders the text
 * and HTML alternatives of one template pair, builds an RFC 5322 message
 * and writes it to the durable outbox in the store; the outbox worker
 * delivers it through a transport (the Maildir by default, or SMTP).
 *
 * No value that a person supplied can add a header: every header value is
 * checked for CR, LF and NUL and refused, and non-ASCII text is encoded
 * (RFC 2047).
 */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/onepass.h"

struct templates;
struct tvars;

struct mail_spec {
	const char *to;		/* a checked address (core/email.h) */
	const char *from;	/* "Display Name <addr>" or "addr" */
	const char *reply_to;	/* may be NULL */
	const char *subject;	/* UTF-8, may be non-ASCII */
	const char *template;	/* base name: renders NAME.txt (text) and
				 * NAME.mail.html (HTML) */
	const struct tvars *vars;
};

/* The parts of a message, for mail_build. */
struct mail_parts {
	const char *from;
	const char *to;
	const char *reply_to;	/* may be NULL */
	const char *subject;
	const char *message_id;	/* "<...@domain>" */
	int64_t date;		/* Unix seconds */
	const char *text;	/* UTF-8 body, LF or CRLF lines */
	const char *html;	/* may be NULL for text-only */
};

/*
 * Builds a whole RFC 5322 message (CRLF lines, multipart/alternative when
 * html is set, quoted-printable bodies so no line exceeds 76 characters,
 * RFC 2047 encoded headers). Returns OP_E_INVALID when a header value
 * holds CR, LF or NUL or an address does not parse.
 */
enum op_rc mail_build(const struct mail_parts *p, struct buf *out);

/* Extracts the bare address of "Name <addr>" or "addr" into out. */
enum op_rc mail_addr_spec(const char *from, char *out, size_t out_size);

/* Renders, builds and stores the message as pending. */
enum op_rc mail_enqueue(struct onepass *op, const struct templates *t,
			const struct mail_spec *m);

/* ---- delivery ---- */

struct mail_transport {
	const char *name;
	/* Delivers one whole message. OP_E_MAIL for a temporary failure,
	 * OP_E_INVALID for a permanent one. */
	enum op_rc (*send)(void *ctx, const char *from, const char *rcpt,
			   const char *msg, size_t len, struct op_err *err);
	void *ctx;
	/* Optional, NULL where it has no meaning (the Maildir): OP_OK when
	 * the server takes a connection and greets now. After a failure the
	 * outbox asks, to tell a server that is down (every message waits
	 * and all go as soon as it answers) from one that refused this
	 * message. */
	enum op_rc (*probe)(void *ctx, struct op_err *err);
};

/* The Maildir transport: writes into dir/tmp then renames into dir/new.
 * Creates dir/{tmp,new,cur} when missing. */
enum op_rc maildir_transport(const char *dir, struct mail_transport *out,
			     struct op_err *err);
void maildir_transport_release(struct mail_transport *t);

struct config;

/* The SMTP transport (smtp.c) for [mail] smtp_url and the keys beside
 * it. OP_E_INVALID with the reason in err when they make no sense. It
 * does not connect: the outbox's first probe or delivery does. */
enum op_rc smtp_transport(const struct config *cfg, struct mail_transport *out,
			  struct op_err *err);
void smtp_transport_release(struct mail_transport *t);

struct outbox;

/* Starts the worker thread that delivers pending messages through tr. */
enum op_rc outbox_start(struct onepass *op, const struct mail_transport *tr,
			struct outbox **out);
/* Wakes the worker (after an enqueue). */
void outbox_kick(struct outbox *ob);
/* Stops the worker after its current message. */
void outbox_stop(struct outbox *ob);
/* Delivers every due message once, in the calling thread. Returns the
 * number delivered through n_sent (may be NULL). */
enum op_rc outbox_run_once(struct onepass *op, const struct mail_transport *tr,
			   size_t *n_sent);

#endif

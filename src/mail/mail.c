/*
 * mail.c - building messages (RFC 5322, MIME) and putting them in the
 * outbox.
 *
 * mail_build writes a whole message with CRLF line ends: the headers,
 * then either one text/plain part or a multipart/alternative body with a
 * text/plain part and a text/html part. A body whose lines all fit RFC
 * 5322's 998-octet limit is sent as it is (7bit or 8bit), so links stay
 * unbroken for every reader, people and programs alike; only a body with
 * a longer line is quoted-printable (RFC 2045). The boundary is "=_op_"
 * and 128 random bits in hex, which no body can be expected to contain.
 *
 * Header values come partly from people (addresses, display names), so
 * every one is checked before anything is written: a CR, LF, NUL or any
 * other control character (except tab) refuses the whole message with
 * OP_E_INVALID, as does text that is not UTF-8. Non-ASCII subjects and
 * display names become RFC 2047 "B" encoded-words, split on character
 * boundaries and folded so no header line exceeds 78 characters (only an
 * address longer than a line can make one longer, since an address cannot
 * be folded). Addresses go through core/email.h's one definition and keep
 * the case they were given.
 *
 * mail_enqueue renders a template pair, builds the message and stores it
 * as pending; delivery is the outbox worker's job (outbox.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/email.h"
#include "core/xmalloc.h"
#include "html/render.h"
#include "mail/mail.h"
#include "store/store.h"

#define HDR_LINE_MAX	78	/* RFC 5322 2.1.1 */
#define QP_LINE_MAX	76	/* RFC 2045 6.7 */
#define EW_MAX		75	/* RFC 2047 2: one encoded-word */
#define EW_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */
#define DISPLAY_MAX	256	/* longest display name accepted */
#define MSGID_MAX	250
#define MAIL_PART_MAX	(1024 * 1024)
#define MAIL_MSG_MAX	(4 * 1024 * 1024)

/* ---- checks ---- */

/* True when s is well-formed UTF-8 with no control character other than
 * tab (so no CR, LF or NUL) and no DEL. */
static bool
header_value_ok(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, k;
	uint32_t cp;

	while (*s != '\0') {
		if (*s < 0x80) {
			if ((*s < 0x20 && *s != '\t') || *s == 0x7f)
				return false;
			s++;
			continue;
		}
		if (*s >= 0xc2 && *s <= 0xdf) {
			n = 1;
			cp = *s & 0x1f;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			n = 2;
			cp = *s & 0x0f;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			n = 3;
			cp = *s & 0x07;
		} else {
			return false;
		}
		for (k = 1; k <= n; k++) {
			if ((s[k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		s += n + 1;
	}
	return true;
}

static bool
all_ascii(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* RFC 5322 atext. */
static bool
atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* A "<id@domain>" of printable ASCII without spaces or brackets inside. */
static bool
message_id_ok(const char *s)
{
	size_t i, len = strlen(s);
	bool at = false;

	if (len < 5 || len > MSGID_MAX || s[0] != '<' || s[len - 1] != '>')
		return false;
	for (i = 1; i + 1 < len; i++) {
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '<' || s[i] == '>')
			return false;
		if (s[i] == '@')
			at = true;
	}
	return at && s[1] != '@' && s[len - 2] != '@';
}

/* ---- addresses ---- */

struct addr {
	char name[DISPLAY_MAX + 1];	/* display name, unquoted; may be "" */
	char spec[EMAIL_MAX + 1];	/* addr-spec as given */
};

static const char *
trim_left(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static size_t
trim_len(const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n;
}

/* Copies the quoted-string starting at *s (after its opening quote) into
 * name, removing the backslash escapes; leaves *s after the closing one. */
static enum op_rc
unquote(const char **s, char *name, size_t size)
{
	const char *p = *s;
	size_t n = 0;

	for (; *p != '"'; p++) {
		if (*p == '\\')
			p++;
		if (*p == '\0' || n + 1 >= size)
			return OP_E_INVALID;
		name[n++] = *p;
	}
	name[n] = '\0';
	*s = p + 1;
	return OP_OK;
}

/* Parses "Name <addr>", "\"Name\" <addr>" or "addr". */
static enum op_rc
addr_parse(const char *in, struct addr *a)
{
	const char *s = trim_left(in), *lt, *gt;
	char canon[EMAIL_MAX + 1];
	size_t n;

	a->name[0] = '\0';
	if (!header_value_ok(in))
		return OP_E_INVALID;
	if (*s == '"') {
		s++;
		if (unquote(&s, a->name, sizeof(a->name)) != OP_OK)
			return OP_E_INVALID;
		s = trim_left(s);
		if (*s != '<')
			return OP_E_INVALID;
	}
	lt = strchr(s, '<');
	if (lt != NULL) {
		n = trim_len(s, (size_t)(lt - s));
		if (a->name[0] == '\0' && n > 0) {
			if (n > DISPLAY_MAX || memchr(s, '"', n) != NULL)
				return OP_E_INVALID;
			memcpy(a->name, s, n);
			a->name[n] = '\0';
		}
		s = lt + 1;
		gt = strchr(s, '>');
		if (gt == NULL || *trim_left(gt + 1) != '\0')
			return OP_E_INVALID;
		n = (size_t)(gt - s);
	} else {
		n = trim_len(s, strlen(s));
	}
	if (n == 0 || n > EMAIL_MAX)
		return OP_E_INVALID;
	memcpy(a->spec, s, n);
	a->spec[n] = '\0';
	if (strpbrk(a->spec, " \t<>\"") != NULL ||
	    !email_canonical(a->spec, canon))
		return OP_E_INVALID;
	return OP_OK;
}

enum op_rc
mail_addr_spec(const char *from, char *out, size_t out_size)
{
	struct addr a;
	size_t n;

	if (from == NULL || addr_parse(from, &a) != OP_OK)
		return OP_E_INVALID;
	n = strlen(a.spec);
	if (n >= out_size)
		return OP_E_LIMIT;
	memcpy(out, a.spec, n + 1);
	return OP_OK;
}

/* ---- header writing ---- */

/* Writes one header, folding before a token that would pass the limit. */
struct hdr {
	struct buf *out;
	size_t col;		/* characters on the current line */
	bool fail;		/* the buffer is full */
};

static void
hdr_add(struct hdr *h, const char *s, size_t n)
{
	if (buf_add(h->out, s, n) != 0)
		h->fail = true;
	h->col += n;
}

static void
hdr_adds(struct hdr *h, const char *s)
{
	hdr_add(h, s, strlen(s));
}

static void
hdr_start(struct hdr *h, const char *name)
{
	h->col = 0;
	hdr_add(h, name, strlen(name));
	hdr_add(h, ":", 1);
}

static void
hdr_fold(struct hdr *h)
{
	hdr_add(h, "\r\n", 2);
	h->col = 0;
}

/* Adds " " and a token that cannot be split, folding first if it would
 * not fit on this line but would on the next. */
static void
hdr_token(struct hdr *h, const char *s, size_t n)
{
	if (h->col + 1 + n > HDR_LINE_MAX && h->col > 1 &&
	    1 + n <= HDR_LINE_MAX)
		hdr_fold(h);
	hdr_add(h, " ", 1);
	hdr_add(h, s, n);
}

static void
hdr_end(struct hdr *h)
{
	hdr_add(h, "\r\n", 2);
}

static size_t
utf8_seq_len(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xf0)
		return 4;
	if (c >= 0xe0)
		return 3;
	return 2;
}

/* Adds s as RFC 2047 B encoded-words, each holding whole characters and
 * sized to what is left of the line. s is valid UTF-8. */
static void
hdr_encoded(struct hdr *h, const char *s, size_t n)
{
	char b64[EW_MAX + 1];
	size_t room, max_bytes, take, k;

	while (n > 0) {
		room = h->col < HDR_LINE_MAX ? HDR_LINE_MAX - h->col : 0;
		room = room > 1 + EW_OVERHEAD ? room - 1 - EW_OVERHEAD : 0;
		if (room > EW_MAX - EW_OVERHEAD)
			room = EW_MAX - EW_OVERHEAD;
		max_bytes = room / 4 * 3;
		take = 0;
		for (;;) {
			k = utf8_seq_len((unsigned char)s[take]);
			if (take + k > max_bytes || take + k > n)
				break;
			take += k;
			if (take == n)
				break;
		}
		if (take == 0) {
			hdr_fold(h);
			continue;
		}
		sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s,
				  take, sodium_base64_VARIANT_ORIGINAL);
		hdr_add(h, " =?UTF-8?B?", 11);
		hdr_add(h, b64, strlen(b64));
		hdr_add(h, "?=", 2);
		s += take;
		n -= take;
	}
}

/*
 * Adds text as plain words when it is ASCII made of single-space
 * separated words that each fit on a line, with no "=?" that a reader
 * could take for an encoded word; otherwise encoded. phrase limits the
 * plain form to atext words (a display name); a display name of other
 * printable ASCII becomes a quoted-string when it fits on a line.
 */
static void
hdr_text(struct hdr *h, const char *s, bool phrase)
{
	size_t n = strlen(s), i, w, start = h->col;
	bool plain = all_ascii(s, n) && strstr(s, "=?") == NULL && n > 0 &&
	    s[0] != ' ' && s[n - 1] != ' ' && strstr(s, "  ") == NULL &&
	    strchr(s, '\t') == NULL;
	bool quote = false;
	char q[2 * DISPLAY_MAX + 3];

	for (i = 0; plain && i < n; i++)
		if (phrase && s[i] != ' ' && !atext(s[i]))
			quote = true;
	if (plain && quote) {
		w = 0;
		q[w++] = '"';
		for (i = 0; i < n && w + 3 < sizeof(q); i++) {
			if (s[i] == '"' || s[i] == '\\')
				q[w++] = '\\';
			q[w++] = s[i];
		}
		q[w++] = '"';
		if (i == n && start + 1 + w <= HDR_LINE_MAX) {
			hdr_token(h, q, w);
			return;
		}
		plain = false;
	}
	for (i = 0; plain && i < n; i += w + 1) {
		w = strcspn(s + i, " ");
		if (w + 1 > HDR_LINE_MAX - (i == 0 ? start : 0))
			plain = false;
	}
	if (!plain) {
		hdr_encoded(h, s, n);
		return;
	}
	for (i = 0; i < n; i += w + 1) {
		w = strcspn(s + i, " ");
		hdr_token(h, s + i, w);
	}
}

static enum op_rc
hdr_address(struct hdr *h, const char *name, const char *value)
{
	struct addr a;
	char *angle;

	if (addr_parse(value, &a) != OP_OK)
		return OP_E_INVALID;
	hdr_start(h, name);
	if (a.name[0] == '\0') {
		hdr_token(h, a.spec, strlen(a.spec));
	} else {
		hdr_text(h, a.name, true);
		angle = xasprintf("<%s>", a.spec);
		hdr_token(h, angle, strlen(angle));
		xfree(angle);
	}
	hdr_end(h);
	return OP_OK;
}

static void
hdr_date(struct hdr *h, int64_t date)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu",
					   "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May",
					    "Jun", "Jul", "Aug", "Sep", "Oct",
					    "Nov", "Dec" };
	time_t t = (time_t)date;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	if (buf_addf(h->out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		     days[tm.tm_wday % 7], tm.tm_mday, months[tm.tm_mon % 12],
		     tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		     tm.tm_sec) != 0)
		h->fail = true;
}

/* ---- bodies ---- */

/* Adds one line (without its end) as quoted-printable. */
static void
qp_line(struct hdr *h, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;
	char tok[3];
	size_t i, tl;
	bool lit;

	h->col = 0;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		lit = (c >= 33 && c <= 126 && c != '=') ||
		    ((c == ' ' || c == '\t') && i + 1 < n);
		/* An mbox reader would mangle a line starting "From ". */
		if (i == 0 && n >= 5 && memcmp(s, "From ", 5) == 0)
			lit = false;
		if (lit) {
			tok[0] = (char)c;
			tl = 1;
		} else {
			tok[0] = '=';
			tok[1] = hex[c >> 4];
			tok[2] = hex[c & 15];
			tl = 3;
		}
		if (h->col + tl > QP_LINE_MAX - (i + 1 < n ? 1 : 0)) {
			hdr_add(h, "=\r\n", 3);
			h->col = 0;
		}
		hdr_add(h, tok, tl);
	}
}

/* Adds text (LF or CRLF lines) as quoted-printable with CRLF lines. The
 * result ends with CRLF exactly when text ends with a line end. */
static void
qp_body(struct hdr *h, const char *text)
{
	const char *s = text, *nl;
	size_t n;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		n = nl != NULL ? (size_t)(nl - s) : strlen(s);
		qp_line(h, s, nl != NULL && n > 0 && s[n - 1] == '\r' ?
			n - 1 : n);
		if (nl == NULL)
			break;
		hdr_add(h, "\r\n", 2);
		s = nl + 1;
	}
}

#define LINE_MAX_OCTETS 998	/* RFC 5322 2.1.1, without the CRLF */

/* The transfer encoding text needs: "7bit", "8bit" or NULL when a line
 * is too long (or holds a bare CR) and quoted-printable must be used. */
static const char *
plain_encoding(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t col = 0;
	bool ascii = true;

	for (; *s != '\0'; s++) {
		if (*s == '\n') {
			col = 0;
			continue;
		}
		if (*s == '\r' && s[1] != '\n')
			return NULL;
		if (*s >= 0x80)
			ascii = false;
		if (*s != '\r' && ++col > LINE_MAX_OCTETS)
			return NULL;
	}
	return ascii ? "7bit" : "8bit";
}

/* Adds text as it is, with CRLF line ends. */
static void
plain_body(struct hdr *h, const char *text)
{
	const char *s = text, *nl;
	size_t n;

	while (*s != '\0') {
		nl = strchr(s, '\n');
		n = nl != NULL ? (size_t)(nl - s) : strlen(s);
		if (nl != NULL && n > 0 && s[n - 1] == '\r')
			n--;
		hdr_add(h, s, n);
		if (nl == NULL)
			break;
		hdr_add(h, "\r\n", 2);
		s = nl + 1;
	}
}

/* The Content-Transfer-Encoding header, a blank line and the body. */
static void
body(struct hdr *h, const char *text)
{
	const char *enc = plain_encoding(text);

	if (buf_addf(h->out, "Content-Transfer-Encoding: %s\r\n\r\n",
		     enc != NULL ? enc : "quoted-printable") != 0)
		h->fail = true;
	if (enc != NULL)
		plain_body(h, text);
	else
		qp_body(h, text);
}

static void
part(struct hdr *h, const char *boundary, const char *type, const char *text)
{
	if (buf_addf(h->out, "--%s\r\nContent-Type: %s; charset=utf-8\r\n",
		     boundary, type) != 0)
		h->fail = true;
	body(h, text);
	hdr_add(h, "\r\n", 2);
}

/* ---- the message ---- */

static enum op_rc
build_headers(struct hdr *h, const struct mail_parts *p)
{
	hdr_date(h, p->date);
	if (hdr_address(h, "From", p->from) != OP_OK ||
	    hdr_address(h, "To", p->to) != OP_OK)
		return OP_E_INVALID;
	if (p->reply_to != NULL &&
	    hdr_address(h, "Reply-To", p->reply_to) != OP_OK)
		return OP_E_INVALID;
	hdr_start(h, "Subject");
	if (p->subject[0] != '\0')
		hdr_text(h, p->subject, false);
	hdr_end(h);
	hdr_start(h, "Message-ID");
	hdr_token(h, p->message_id, strlen(p->message_id));
	hdr_end(h);
	hdr_adds(h, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n");
	return OP_OK;
}

enum op_rc
mail_build(const struct mail_parts *p, struct buf *out)
{
	struct hdr h = { .out = out };
	size_t orig_len = out->len;
	bool had_data = out->data != NULL;
	unsigned char rnd[16];
	char boundary[5 + 2 * sizeof(rnd) + 1];
	enum op_rc rc;

	if (p->from == NULL || p->to == NULL || p->subject == NULL ||
	    p->message_id == NULL || p->text == NULL ||
	    !header_value_ok(p->subject) || !message_id_ok(p->message_id) ||
	    (p->reply_to != NULL && !header_value_ok(p->reply_to)))
		return OP_E_INVALID;
	rc = build_headers(&h, p);
	if (rc != OP_OK)
		goto out;
	if (p->html == NULL) {
		hdr_adds(&h, "Content-Type: text/plain; charset=utf-8\r\n");
		body(&h, p->text);
		if (out->len < 2 || memcmp(out->data + out->len - 2,
					   "\r\n", 2) != 0)
			hdr_add(&h, "\r\n", 2);
	} else {
		randombytes_buf(rnd, sizeof(rnd));
		memcpy(boundary, "=_op_", 5);
		sodium_bin2hex(boundary + 5, sizeof(boundary) - 5, rnd,
			       sizeof(rnd));
		if (buf_addf(out, "Content-Type: multipart/alternative;\r\n"
			     " boundary=\"%s\"\r\n\r\n", boundary) != 0)
			h.fail = true;
		part(&h, boundary, "text/plain", p->text);
		part(&h, boundary, "text/html", p->html);
		if (buf_addf(out, "--%s--\r\n", boundary) != 0)
			h.fail = true;
	}
	if (h.fail)
		rc = OP_E_LIMIT;
out:
	if (rc != OP_OK) {
		if (!had_data) {
			buf_release(out);
		} else {
			out->len = orig_len;
			out->data[orig_len] = '\0';
		}
	}
	return rc;
}

/* ---- the outbox ---- */

/* Releases a buffer that may hold a secret (mail carries link tokens). */
static void
buf_release_secret(struct buf *b)
{
	if (b->data != NULL)
		sodium_memzero(b->data, b->cap);
	buf_release(b);
}

static enum op_rc
render_pair(const struct templates *t, const struct mail_spec *m,
	    struct buf *text, struct buf *html)
{
	char *name = xasprintf("%s.txt", m->template);
	enum op_rc rc;

	rc = render(t, name, m->vars, RENDER_TEXT, text);
	xfree(name);
	if (rc != OP_OK)
		return rc;
	name = xasprintf("%s.mail.html", m->template);
	if (templates_has(t, name))
		rc = render(t, name, m->vars, RENDER_HTML, html);
	xfree(name);
	return rc;
}

enum op_rc
mail_enqueue(struct onepass *op, const struct templates *t,
	     const struct mail_spec *m)
{
	char from[EMAIL_MAX + 1], rcpt[EMAIL_MAX + 1], hex[33];
	unsigned char rnd[16];
	struct buf text, html, msg;
	struct outbox_msg om;
	struct mail_parts p;
	char *mid = NULL;
	int64_t now;
	enum op_rc rc;

	buf_init(&text, MAIL_PART_MAX);
	buf_init(&html, MAIL_PART_MAX);
	buf_init(&msg, MAIL_MSG_MAX);
	if (m->to == NULL || m->from == NULL || m->subject == NULL ||
	    m->template == NULL ||
	    mail_addr_spec(m->from, from, sizeof(from)) != OP_OK ||
	    mail_addr_spec(m->to, rcpt, sizeof(rcpt)) != OP_OK) {
		rc = OP_E_INVALID;
		goto out;
	}
	rc = render_pair(t, m, &text, &html);
	if (rc != OP_OK)
		goto out;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	mid = xasprintf("<%s@%s>", hex, strchr(from, '@') + 1);
	now = op->now();
	p = (struct mail_parts){
		.from = m->from,
		.to = m->to,
		.reply_to = m->reply_to,
		.subject = m->subject,
		.message_id = mid,
		.date = now,
		.text = buf_str(&text),
		.html = html.data != NULL ? buf_str(&html) : NULL,
	};
	rc = mail_build(&p, &msg);
	if (rc != OP_OK)
		goto out;
	om = (struct outbox_msg){
		.message_id = mid,
		.mail_from = from,
		.rcpt = rcpt,
		.subject = xstrdup(m->subject),
		.body = msg.data,
		.body_len = msg.len,
		.status = OUTBOX_PENDING,
		.created_at = now,
		.next_attempt_at = now,
	};
	rc = store_outbox_add(op->store, &om);
	xfree(om.subject);
out:
	xfree(mid);
	buf_release_secret(&text);
	buf_release_secret(&html);
	buf_release_secret(&msg);
	return rc;
}

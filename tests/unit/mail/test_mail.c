/*
 * test_mail.c - building messages (headers, MIME, quoted-printable,
 * RFC 2047), header injection, addresses, and the Maildir transport.
 * The message is taken apart again here: a small QP and encoded-word
 * decoder checks that what a mail reader sees is what was given.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/buf.h"
#include "core/email.h"
#include "core/onepass.h"
#include "core/xmalloc.h"
#include "mail/mail.h"
#include "support/tap.h"

#define LONG_URL "https://id.example.com/password/reset?token=" \
	"Zm9vYmFyYmF6cXV4cXV1eHh5enp5MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3Bx" \
	"&return_to=https%3A%2F%2Fportal.example.com%2Fcallback%3Fstate%3D" \
	"abcdefghijklmnopqrstuvwxyz0123456789&x=1"

static const char *TEXT =
	"Hello Zo\xc3\xab,\n"
	"\n"
	"Follow this link to choose a new password:\n"
	LONG_URL "\n"
	"a = b, 100% sure; trailing space here \n"
	"tab at the end\t\n"
	"From the team\n"
	".\n"
	"A line that is much longer than seventy-six characters, so it has to "
	"be broken by soft line breaks somewhere in the middle of it.\n"
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91 =3D already?\n"
	"last line without newline";

static const char *HTML =
	"<!doctype html><html><body><p>Hello Zo\xc3\xab,</p>\r\n"
	"<p><a href=\"" LONG_URL "\">Choose a new password</a></p>\r\n"
	"</body></html>\r\n";

/* ---- helpers that take a message apart ---- */

/* The value of header name (unfolded, CRLF removed), or NULL; new
 * string. Only the message's top-level header block is searched. */
static char *
header(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	const char *p = msg, *end;
	struct buf b;

	while (*p != '\0' && strncmp(p, "\r\n", 2) != 0) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			buf_init(&b, 1 << 16);
			p += nl + 1;
			for (;;) {
				end = strstr(p, "\r\n");
				buf_add(&b, p, (size_t)(end - p));
				p = end + 2;
				if (*p != ' ' && *p != '\t')
					break;
			}
			return buf_detach(&b, NULL);
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes quoted-printable [s, s+n); returns a new string or NULL when
 * the encoding is malformed (lowercase hex, bare '=', bad line end). */
static char *
qp_decode(const char *s, size_t n)
{
	struct buf b;
	size_t i;
	int h, l;

	buf_init(&b, 1 << 20);
	for (i = 0; i < n; i++) {
		if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') {
			buf_add(&b, "\r\n", 2);
			i++;
		} else if (s[i] == '\r' || s[i] == '\n') {
			goto bad;
		} else if (s[i] != '=') {
			buf_addch(&b, s[i]);
		} else if (i + 2 < n && s[i + 1] == '\r' && s[i + 2] == '\n') {
			i += 2;
		} else {
			if (i + 2 >= n)
				goto bad;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				goto bad;
			buf_addch(&b, (char)(h * 16 + l));
			i += 2;
		}
	}
	return buf_detach(&b, NULL);
bad:
	buf_release(&b);
	return NULL;
}

/* s with every lone LF made CRLF; new string. */
static char *
crlf(const char *s)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	for (; *s != '\0'; s++) {
		if (*s == '\n' && (b.len == 0 || b.data[b.len - 1] != '\r'))
			buf_addch(&b, '\r');
		buf_addch(&b, *s);
	}
	return buf_detach(&b, NULL);
}

/* Decodes every =?UTF-8?B?...?= word of v (ignoring the space between
 * words); returns a new string, or NULL when something else is there. */
static char *
ew_decode(const char *v, size_t *max_word)
{
	unsigned char bin[128];
	const char *p = v, *e;
	struct buf b;
	size_t binlen;

	*max_word = 0;
	buf_init(&b, 1 << 16);
	while (*p != '\0') {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (strncmp(p, "=?UTF-8?B?", 10) != 0)
			goto bad;
		e = strstr(p + 10, "?=");
		if (e == NULL)
			goto bad;
		if ((size_t)(e + 2 - p) > *max_word)
			*max_word = (size_t)(e + 2 - p);
		if (sodium_base642bin(bin, sizeof(bin), p + 10,
				      (size_t)(e - p - 10), NULL, &binlen, NULL,
				      sodium_base64_VARIANT_ORIGINAL) != 0)
			goto bad;
		buf_add(&b, bin, binlen);
		p = e + 2;
	}
	return buf_detach(&b, NULL);
bad:
	buf_release(&b);
	return NULL;
}

/* Checks CRLF everywhere and line lengths: returns the longest header
 * line and the longest body line through the pointers; false if a bare
 * CR or LF appears. */
static bool
lines_ok(const char *msg, size_t len, size_t *max_hdr, size_t *max_body)
{
	size_t i, start = 0, n;
	bool in_body = false;

	*max_hdr = *max_body = 0;
	for (i = 0; i < len; i++) {
		if (msg[i] == '\r' && (i + 1 >= len || msg[i + 1] != '\n'))
			return false;
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			return false;
		if (msg[i] != '\n')
			continue;
		n = i - 1 - start;
		if (n == 0)
			in_body = true;
		if (in_body && n > *max_body)
			*max_body = n;
		if (!in_body && n > *max_hdr)
			*max_hdr = n;
		start = i + 1;
	}
	return start == len;
}

/* The body of part number idx (0-based) between boundaries, with its
 * header block in hdrs; new strings. */
static bool
get_part(const char *msg, const char *boundary, int idx, char **hdrs,
	 char **body)
{
	char *delim = xasprintf("\r\n--%s", boundary), *first;
	const char *p, *end, *hend;
	bool found = false;
	int i;

	first = xasprintf("--%s\r\n", boundary);
	p = strstr(msg, first);
	for (i = 0; p != NULL && i < idx; i++) {
		p = strstr(p + 1, delim);
		if (p != NULL)
			p += 2;
	}
	if (p == NULL)
		goto out;
	p += strlen(first);
	hend = strstr(p, "\r\n\r\n");
	end = strstr(p, delim);
	if (hend == NULL || end == NULL || hend > end)
		goto out;
	*hdrs = xstrndup(p, (size_t)(hend - p));
	*body = xstrndup(hend + 4, (size_t)(end - hend - 4));
	found = true;
out:
	xfree(first);
	xfree(delim);
	return found;
}

static struct mail_parts
base_parts(void)
{
	return (struct mail_parts){
		.from = "onepass ID <no-reply@id.example.com>",
		.to = "Alice.Smith@Example.com",
		.reply_to = "support@business.example.com",
		.subject = "Reset your password",
		.message_id = "<0123abcd@id.example.com>",
		.date = 1700000000,	/* Tue, 14 Nov 2023 22:13:20 UTC */
		.text = TEXT,
		.html = HTML,
	};
}

static char *
build(const struct mail_parts *p, enum op_rc *rc)
{
	struct buf b;

	buf_init(&b, 1 << 20);
	*rc = mail_build(p, &b);
	return buf_detach(&b, NULL);
}

static void
test_headers(void)
{
	struct mail_parts p = base_parts();
	size_t max_hdr = 0, max_body = 0;
	enum op_rc rc;
	char *msg, *v;

	subtest("headers and structure");
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body),
	   "every line ends in CRLF, no bare CR or LF");
	ok(max_hdr <= 78, "header lines <= 78 (%zu)", max_hdr);
	ok(max_body <= 998, "body lines <= 998, RFC 5322 (%zu)", max_body);
	ok(strstr(msg, LONG_URL) != NULL,
	   "a long link stands unbroken in the raw message");
	ok(strncmp(msg, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", 39) == 0,
	   "Date first, RFC 5322 form, UTC");
	v = header(msg, "From");
	is_str(v, " onepass ID <no-reply@id.example.com>", "From");
	xfree(v);
	v = header(msg, "To");
	is_str(v, " Alice.Smith@Example.com", "To keeps its case");
	xfree(v);
	v = header(msg, "Reply-To");
	is_str(v, " support@business.example.com", "Reply-To");
	xfree(v);
	v = header(msg, "Subject");
	is_str(v, " Reset your password", "Subject");
	xfree(v);
	v = header(msg, "Message-ID");
	is_str(v, " <0123abcd@id.example.com>", "Message-ID");
	xfree(v);
	v = header(msg, "MIME-Version");
	is_str(v, " 1.0", "MIME-Version");
	xfree(v);
	v = header(msg, "Auto-Submitted");
	is_str(v, " auto-generated", "Auto-Submitted");
	xfree(v);
	ok(strstr(msg, "\r\nBcc") == NULL && strstr(msg, "\r\nCc") == NULL,
	   "no other recipients");
	xfree(msg);

	p.reply_to = NULL;
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build without Reply-To");
	v = header(msg, "Reply-To");
	ok(v == NULL, "no Reply-To header");
	xfree(v);
	xfree(msg);
}

static void
test_multipart(void)
{
	struct mail_parts p = base_parts();
	char *msg, *ct, *boundary, *hdrs = NULL, *body = NULL, *dec, *want;
	const char *q;
	enum op_rc rc;

	subtest("multipart/alternative, bodies as they are");
	msg = build(&p, &rc);
	ct = header(msg, "Content-Type");
	ok(ct != NULL && strncmp(ct, " multipart/alternative; boundary=\"=_op_",
				 39) == 0, "multipart/alternative: %s",
	   ct != NULL ? ct : "(none)");
	q = ct != NULL ? strstr(ct, "boundary=\"") : NULL;
	boundary = q != NULL ? xstrndup(q + 10, strcspn(q + 10, "\"")) :
	    xstrdup("?");
	is_int(strlen(boundary), 5 + 32, "boundary is =_op_ and 32 hex");
	ok(strspn(boundary + 5, "0123456789abcdef") == 32, "hex");

	ok(get_part(msg, boundary, 0, &hdrs, &body), "text part found");
	ok(hdrs != NULL && strstr(hdrs, "Content-Type: text/plain; "
				  "charset=utf-8") != NULL &&
	   strstr(hdrs, "Content-Transfer-Encoding: 8bit") != NULL,
	   "text part headers: UTF-8 text goes 8bit");
	ok(body != NULL && strstr(body, boundary) == NULL,
	   "boundary absent from the text body");
	want = crlf(TEXT);
	is_str(body, want, "text body is the input with CRLF lines");
	ok(body != NULL && strstr(body, LONG_URL) != NULL,
	   "long URL unbroken in the text part");
	xfree(want);
	xfree(hdrs);
	xfree(body);
	hdrs = body = NULL;

	ok(get_part(msg, boundary, 1, &hdrs, &body), "html part found");
	ok(hdrs != NULL && strstr(hdrs, "Content-Type: text/html; "
				  "charset=utf-8") != NULL &&
	   strstr(hdrs, "Content-Transfer-Encoding: 8bit") != NULL,
	   "html part headers");
	dec = crlf(HTML);
	is_str(body, dec, "HTML body is the input with CRLF lines");
	xfree(dec);
	xfree(hdrs);
	xfree(body);

	want = xasprintf("\r\n--%s--\r\n", boundary);
	ok(strlen(msg) > strlen(want) &&
	   strcmp(msg + strlen(msg) - strlen(want), want) == 0,
	   "ends with the closing delimiter");
	xfree(want);
	q = strstr(msg, "\r\n\r\n");
	ok(q != NULL && strncmp(q + 4, "--", 2) == 0,
	   "body starts with the first delimiter");
	xfree(boundary);
	xfree(ct);
	xfree(msg);
}

static void
test_text_only(void)
{
	struct mail_parts p = base_parts();
	size_t max_hdr = 0, max_body = 0;
	char *msg, *v, *dec, *want;
	const char *body;
	enum op_rc rc;

	subtest("text only");
	p.html = NULL;
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	v = header(msg, "Content-Type");
	is_str(v, " text/plain; charset=utf-8", "text/plain");
	xfree(v);
	v = header(msg, "Content-Transfer-Encoding");
	is_str(v, " 8bit", "8bit");
	xfree(v);
	ok(strstr(msg, "multipart") == NULL, "no multipart");
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body) && max_hdr <= 78 &&
	   max_body <= 998, "CRLF lines within limits");
	body = strstr(msg, "\r\n\r\n") + 4;
	dec = xstrdup(body);
	want = crlf(TEXT);
	/* The message ends with CRLF although the text did not. */
	ok(dec != NULL && strlen(dec) == strlen(want) + 2 &&
	   strncmp(dec, want, strlen(want)) == 0, "decoded body is the text");
	xfree(want);
	xfree(dec);
	xfree(msg);

	p.text = "ends with a newline\n";
	msg = build(&p, &rc);
	body = strstr(msg, "\r\n\r\n") + 4;
	is_str(body, "ends with a newline\r\n", "no extra line end");
	v = header(msg, "Content-Transfer-Encoding");
	is_str(v, " 7bit", "ASCII text goes 7bit");
	xfree(v);
	xfree(msg);
}

/* A line over RFC 5322's 998 octets cannot go as it is. */
static void
test_long_line_falls_back_to_qp(void)
{
	struct mail_parts p = base_parts();
	size_t max_hdr = 0, max_body = 0;
	char *text, *msg, *v, *dec, *want;
	const char *body;
	enum op_rc rc;
	struct buf b;
	int i;

	subtest("a line over 998 octets: quoted-printable");
	buf_init(&b, 1 << 16);
	buf_adds(&b, "short line\n");
	for (i = 0; i < 1000; i++)
		buf_addch(&b, (char)('a' + i % 26));
	buf_adds(&b, "\nend\n");
	text = buf_detach(&b, NULL);
	p.html = NULL;
	p.text = text;
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	v = header(msg, "Content-Transfer-Encoding");
	is_str(v, " quoted-printable", "quoted-printable chosen");
	xfree(v);
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body) && max_body <= 76,
	   "no body line over 76 (%zu)", max_body);
	body = strstr(msg, "\r\n\r\n") + 4;
	dec = qp_decode(body, strlen(body));
	want = crlf(text);
	is_str(dec, want, "decodes back to the text");
	xfree(want);
	xfree(dec);
	xfree(msg);
	xfree(text);
}

static void
test_qp_edges(void)
{
	struct mail_parts p = base_parts();
	size_t max_hdr = 0, max_body = 0;
	char *text, *msg, *dec, *want;
	const char *body;
	enum op_rc rc;
	struct buf b;
	int i;

	static const char X86[] = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

	subtest("quoted-printable edges");
	buf_init(&b, 1 << 16);
	/* Every byte value (but NUL), then lines of each length around the
	 * limit ending in a blank or an encoded character. */
	for (i = 1; i < 256; i++)
		buf_addch(&b, (char)i);
	buf_addch(&b, '\n');
	for (i = 70; i < 82; i++) {
		buf_addf(&b, "%.*s \n", i, X86);
		buf_addf(&b, "%.*s\xc3\xa9\n", i, X86);
		buf_addf(&b, "%.*s=\n", i, X86);
	}
	buf_adds(&b, "\r\r\n\n\n  \n\t\n");
	text = buf_detach(&b, NULL);
	p.html = NULL;
	p.text = text;
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body) && max_body <= 76,
	   "no body line over 76 (%zu)", max_body);
	body = strstr(msg, "\r\n\r\n") + 4;
	dec = qp_decode(body, strlen(body));
	want = crlf(text);
	is_str(dec, want, "every byte and every length decodes back");
	xfree(want);
	xfree(dec);
	xfree(msg);
	xfree(text);
}

static void
test_rfc2047(void)
{
	struct mail_parts p = base_parts();
	size_t max_hdr = 0, max_body = 0, max_word;
	char *msg, *v, *dec;
	enum op_rc rc;
	static const char *subj =
		"R\xc3\xa9initialisez votre mot de passe \xe2\x80\x94 "
		"\xc3\xbcn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9 "
		"\xe6\x97\xa5\xe6\x9c\xac"
		"\xe8\xaa\x9e\xe3\x81\xae\xe4\xbb\xb6\xe5\x90\x8d \xf0\x9f\x94"
		"\x91\xf0\x9f\x94\x91\xf0\x9f\x94\x91 and a long tail so "
		"that it "
		"needs several encoded words";
	static const char *long_ascii =
		"This subject is plain ASCII but much longer than one header "
		"line may be, so it must be folded at the spaces between words "
		"and stay readable";

	subtest("RFC 2047 and folding");
	p.subject = subj;
	p.from = "Zo\xc3\xab" " from Support <zoe@id.example.com>";
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body) && max_hdr <= 78,
	   "header lines <= 78 (%zu)", max_hdr);
	v = header(msg, "Subject");
	dec = v != NULL ? ew_decode(v, &max_word) : NULL;
	is_str(dec, subj, "subject decodes back");
	ok(max_word <= 75, "encoded words <= 75 (%zu)", max_word);
	ok(v != NULL && strncmp(v, " =?UTF-8?B?", 11) == 0,
	   "starts on the Subject line");
	ok(strstr(msg, "Subject: =?UTF-8?B?") != NULL, "Subject: =?UTF-8?B?");
	xfree(dec);
	xfree(v);
	v = header(msg, "From");
	ok(v != NULL && strncmp(v, " =?UTF-8?B?", 11) == 0 &&
	   strstr(v, "?= <zoe@id.example.com>") != NULL, "From encoded: %s",
	   v != NULL ? v : "(none)");
	if (v != NULL && strstr(v, " <") != NULL)
		*strstr(v, " <") = '\0';
	dec = v != NULL ? ew_decode(v, &max_word) : NULL;
	is_str(dec, "Zo\xc3\xab" " from Support", "display name decodes back");
	xfree(dec);
	xfree(v);
	xfree(msg);

	p = base_parts();
	p.subject = long_ascii;
	p.from = "\"Doe, John\" <j.doe@id.example.com>";
	p.to = "Ann Example <ann@example.com>";
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "build");
	ok(lines_ok(msg, strlen(msg), &max_hdr, &max_body) && max_hdr <= 78,
	   "header lines <= 78 (%zu)", max_hdr);
	v = header(msg, "Subject");
	ok(v != NULL && strcmp(v + 1, long_ascii) == 0,
	   "long ASCII subject folded at spaces, unfolds to itself");
	ok(strstr(msg, "Subject: This subject") != NULL &&
	   strstr(msg, "=?") == NULL, "not encoded");
	xfree(v);
	v = header(msg, "From");
	is_str(v, " \"Doe, John\" <j.doe@id.example.com>",
	       "display name with a comma quoted");
	xfree(v);
	v = header(msg, "To");
	is_str(v, " Ann Example <ann@example.com>", "To with a name");
	xfree(v);
	xfree(msg);

	p = base_parts();
	p.subject = "Looks like =?UTF-8?B?SGk=?= but is not";
	msg = build(&p, &rc);
	v = header(msg, "Subject");
	dec = v != NULL ? ew_decode(v, &max_word) : NULL;
	is_str(dec, p.subject, "a subject with =? is encoded, not passed");
	xfree(dec);
	xfree(v);
	xfree(msg);

	p.subject = "  two  spaces\tand tab ";
	msg = build(&p, &rc);
	v = header(msg, "Subject");
	dec = v != NULL ? ew_decode(v, &max_word) : NULL;
	is_str(dec, p.subject, "odd white space kept through encoding");
	xfree(dec);
	xfree(v);
	xfree(msg);

	p.subject = "";
	msg = build(&p, &rc);
	is_int(rc, OP_OK, "empty subject");
	ok(strstr(msg, "\r\nSubject:\r\n") != NULL, "empty Subject header");
	xfree(msg);
}

static void
test_injection(void)
{
	static const char *const evil[] = {
		"x\r\nBcc: evil@example.com",
		"x\nBcc: evil@example.com",
		"x\rBcc: evil@example.com",
		"\r\nBcc: x",
		"x\r\n",
		"\n",
		"x\x01y",
		"x\x7fy",
		"bad \xc3\x28 utf-8",
	};
	struct mail_parts p;
	struct buf b;
	size_t i, f;
	char *val;
	enum op_rc rc;

	subtest("header injection");
	buf_init(&b, 1 << 20);
	buf_adds(&b, "untouched");
	for (f = 0; f < 5; f++) {
		for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
			p = base_parts();
			/* Addresses get the payload after a valid address. */
			val = xasprintf("%s%s", f < 3 ? "ann@example.com" :
					"Subject", evil[i]);
			switch (f) {
			case 0: p.to = val; break;
			case 1: p.from = val; break;
			case 2: p.reply_to = val; break;
			case 3: p.subject = val; break;
			default: p.message_id = val; break;
			}
			rc = mail_build(&p, &b);
			is_int(rc, OP_E_INVALID,
			       "field %zu payload %zu refused", f, i);
			xfree(val);
		}
	}
	is_str(buf_str(&b), "untouched", "no output written");
	is_int(b.len, 9, "length unchanged");
	p = base_parts();
	p.from = "Evil\r\nBcc: x@example.com <ann@example.com>";
	is_int(mail_build(&p, &b), OP_E_INVALID, "CRLF in a display name");
	p = base_parts();
	p.to = "ann@example.com, bob@example.com";
	is_int(mail_build(&p, &b), OP_E_INVALID, "two addresses refused");
	p = base_parts();
	p.to = "not an address";
	is_int(mail_build(&p, &b), OP_E_INVALID, "not an address");
	p = base_parts();
	p.to = "ann@localhost";
	is_int(mail_build(&p, &b), OP_E_INVALID, "domain without a dot");
	p = base_parts();
	p.from = "Ann <ann@example.com> trailing";
	is_int(mail_build(&p, &b), OP_E_INVALID, "text after the address");
	p = base_parts();
	p.from = "Ann <ann@example.com";
	is_int(mail_build(&p, &b), OP_E_INVALID, "unclosed angle bracket");
	p = base_parts();
	p.message_id = "no-angle@example.com";
	is_int(mail_build(&p, &b), OP_E_INVALID, "Message-ID without <>");
	p = base_parts();
	p.message_id = "<a b@example.com>";
	is_int(mail_build(&p, &b), OP_E_INVALID, "Message-ID with a space");
	p = base_parts();
	p.text = NULL;
	is_int(mail_build(&p, &b), OP_E_INVALID, "no text");
	is_str(buf_str(&b), "untouched", "still no output");
	buf_release(&b);

	buf_init(&b, 600);
	p = base_parts();
	is_int(mail_build(&p, &b), OP_E_LIMIT, "buffer maximum hit");
	ok(b.data == NULL && b.len == 0, "buffer left empty");
	buf_release(&b);
}

static void
test_addr_spec(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "onepass ID <No-Reply@Id.Example.com>",
		  "No-Reply@Id.Example.com" },
		{ "ann@example.com", "ann@example.com" },
		{ "  ann@example.com  ", "ann@example.com" },
		{ "<ann@example.com>", "ann@example.com" },
		{ "\"Doe, John <x>\" <j@example.org>", "j@example.org" },
		{ "\"Quote \\\" in\" <q@example.org>", "q@example.org" },
		{ "Zo\xc3\xab <zoe@example.com>", "zoe@example.com" },
	};
	static const char *const bad[] = {
		"", "Name", "Name <>", "<ann@example.com", "a@b",
		"ann@example.com\r\n", "Name <ann@example.com>\nBcc: x@y.z",
		"\"unterminated <ann@example.com>", "a\"b <ann@example.com>",
		"Name <ann@example.com> <bob@example.com>", "Name <a <b@c.d>>",
		"ann @example.com",
	};
	char out[EMAIL_MAX + 1];
	size_t i;

	subtest("mail_addr_spec");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		out[0] = '\0';
		is_int(mail_addr_spec(cases[i].in, out, sizeof(out)), OP_OK,
		       "parses case %zu", i);
		is_str(out, cases[i].want, "addr-spec of case %zu", i);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(mail_addr_spec(bad[i], out, sizeof(out)), OP_E_INVALID,
		       "refuses bad case %zu", i);
	is_int(mail_addr_spec("ann@example.com", out, 15), OP_E_LIMIT,
	       "output too small");
	is_int(mail_addr_spec("ann@example.com", out, 16), OP_OK,
	       "output just big enough");
}

/* ---- Maildir ---- */

static size_t
count_files(const char *dir, char *name_out, size_t size)
{
	struct dirent *e;
	size_t n = 0;
	DIR *d = opendir(dir);

	if (d == NULL)
		return (size_t)-1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (name_out != NULL)
			snprintf(name_out, size, "%s", e->d_name);
		n++;
	}
	closedir(d);
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b;
	char chunk[4096];
	size_t n;

	buf_init(&b, 1 << 24);
	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_detach(&b, len);
}

static bool
is_dir_0700(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 0777) == 0700;
}

static void
test_maildir(void)
{
	struct mail_parts p = base_parts();
	struct mail_transport tr = { 0 };
	struct op_err err = { 0 };
	char *base = tap_tmpdir(), *dir, *path, *msg, *got;
	char name[512], name2[512];
	struct stat st;
	enum op_rc rc;
	size_t len, glen;

	subtest("maildir transport");
	dir = xasprintf("%s/data/mail", base);
	rc = maildir_transport(dir, &tr, &err);
	is_int(rc, OP_OK, "maildir_transport: %s", err.msg);
	is_str(tr.name, "maildir", "named maildir");
	path = xasprintf("%s/tmp", dir);
	ok(is_dir_0700(dir) && is_dir_0700(path), "dir and tmp/ made 0700");
	xfree(path);
	path = xasprintf("%s/new", dir);
	ok(is_dir_0700(path), "new/ made 0700");
	xfree(path);
	path = xasprintf("%s/cur", dir);
	ok(is_dir_0700(path), "cur/ made 0700");
	xfree(path);

	msg = build(&p, &rc);
	len = strlen(msg);
	rc = tr.send(tr.ctx, "no-reply@id.example.com",
		     "Alice.Smith@Example.com", msg, len, &err);
	is_int(rc, OP_OK, "delivered: %s", err.msg);
	path = xasprintf("%s/new", dir);
	is_int(count_files(path, name, sizeof(name)), 1, "one file in new/");
	xfree(path);
	path = xasprintf("%s/tmp", dir);
	is_int(count_files(path, NULL, 0), 0, "nothing left in tmp/");
	xfree(path);
	path = xasprintf("%s/new/%s", dir, name);
	got = slurp(path, &glen);
	ok(got != NULL && glen == len && memcmp(got, msg, len) == 0,
	   "file content identical to the message");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	   "file mode 0600");
	ok(strchr(name, '/') == NULL && strchr(name, ':') == NULL &&
	   strstr(name, ".M") != NULL && strstr(name, "P") != NULL,
	   "unique name: %s", name);
	xfree(got);
	xfree(path);

	rc = tr.send(tr.ctx, "a@example.com", "b@example.com", msg, len, &err);
	is_int(rc, OP_OK, "second delivery");
	path = xasprintf("%s/new", dir);
	is_int(count_files(path, name2, sizeof(name2)), 2, "two files");
	xfree(path);

	/* new/ replaced by a file: rename fails, tmp/ is cleaned up. */
	path = xasprintf("%s/new", dir);
	tap_rmdir(path);
	{
		FILE *f = fopen(path, "w");
		if (f != NULL)
			fclose(f);
	}
	rc = tr.send(tr.ctx, "a@example.com", "b@example.com", msg, len, &err);
	is_int(rc, OP_E_MAIL, "failure is temporary (OP_E_MAIL)");
	ok(strstr(err.msg, "maildir") != NULL, "error says where: %s",
	   err.msg);
	xfree(path);
	path = xasprintf("%s/tmp", dir);
	is_int(count_files(path, NULL, 0), 0, "nothing left in tmp/ on error");
	xfree(path);

	/* The whole maildir removed: recreated on the next delivery. */
	tap_rmdir(dir);
	rc = tr.send(tr.ctx, "a@example.com", "b@example.com", msg, len, &err);
	is_int(rc, OP_OK, "maildir recreated when missing: %s", err.msg);
	path = xasprintf("%s/new", dir);
	is_int(count_files(path, NULL, 0), 1, "delivered into new/");
	xfree(path);
	maildir_transport_release(&tr);
	ok(tr.ctx == NULL, "released");

	is_int(maildir_transport("", &tr, &err), OP_E_INVALID, "empty dir");
	path = xasprintf("%s/file", base);
	{
		FILE *f = fopen(path, "w");
		if (f != NULL)
			fclose(f);
	}
	xfree(dir);
	dir = xasprintf("%s/file/mail", base);
	is_int(maildir_transport(dir, &tr, &err), OP_E_MAIL,
	       "cannot create under a file");
	xfree(path);
	xfree(msg);
	xfree(dir);
	tap_rmdir(base);
	xfree(base);
}

/* Template variables (a name, a message of the contact form) end up in the
 * bodies, where a CR or LF is text: the header block stays as built. */
static void
test_body_injection(void)
{
	static const char *const evil[] = {
		"Hi\r\nBcc: evil@example.com\r\n\r\nrest\n",
		"Hi\nBcc: evil@example.com\n",
		"Hi\rBcc: evil@example.com\r",
		"\r\n\r\nBcc: evil@example.com\r\n",
	};
	struct mail_parts p;
	size_t i, max_hdr, max_body, n;
	const char *end;
	enum op_rc rc;
	char *msg, *head;

	subtest("a CR or LF in a body value adds no header");
	for (i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		p = base_parts();
		p.text = evil[i];
		p.html = i % 2 == 0 ? evil[i] : NULL;
		msg = build(&p, &rc);
		is_int(rc, OP_OK, "payload %zu built", i);
		end = msg != NULL ? strstr(msg, "\r\n\r\n") : NULL;
		n = end != NULL ? (size_t)(end - msg) + 2 : 0;
		head = msg != NULL ? xstrndup(msg, n) : xstrdup("");
		ok(end != NULL && strstr(head, "Bcc") == NULL,
		   "payload %zu: no Bcc in the header block", i);
		ok(strstr(head, "\r\nTo: Alice.Smith@Example.com\r\n") != NULL &&
		   strstr(head, "\r\nFrom: onepass ID <no-reply@id.example.com>"
			  "\r\n") != NULL, "payload %zu: headers as built", i);
		ok(msg != NULL && lines_ok(msg, strlen(msg), &max_hdr,
					   &max_body),
		   "payload %zu: CRLF lines only, no bare CR or LF", i);
		xfree(head);
		xfree(msg);
	}
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_headers();
	test_multipart();
	test_text_only();
	test_long_line_falls_back_to_qp();
	test_qp_edges();
	test_rfc2047();
	test_injection();
	test_body_injection();
	test_addr_spec();
	test_maildir();
	return done_testing();
}

/*
 * Fuzz target: mail_build with person-supplied header values. The input
 * is split at NUL bytes into to, from, reply-to, subject and text (missing
 * fields get a valid default). Beyond "no crash" it checks the promise of
 * mail.h: whatever the values, an accepted message has CRLF lines only,
 * header lines no longer than RFC 5322's hard limit, and exactly the
 * header fields mail_build writes, in its order: no value can add one.
 * A refused message leaves the output buffer as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/xmalloc.h"
#include "mail/mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {
	"Date:", "From:", "To:", "Reply-To:", "Subject:", "Message-ID:",
	"MIME-Version:", "Auto-Submitted:", "Content-Type:",
	"Content-Transfer-Encoding:",
};

/* Checks the header block of msg; aborts on a broken promise. */
static void
check_headers(const char *msg, size_t len, bool reply_to, bool text_only)
{
	size_t i = 0, k = 0, line, end;

	for (;;) {
		end = i;
		while (end < len && msg[end] != '\r' && msg[end] != '\n')
			end++;
		if (end + 1 >= len || msg[end] != '\r' || msg[end + 1] != '\n')
			abort();
		line = end - i;
		if (line == 0)
			break;		/* end of the header block */
		if (line > 998)
			abort();
		if (msg[i] != ' ') {
			if (k == 3 && !reply_to)
				k++;
			if (k >= sizeof(names) / sizeof(names[0]) ||
			    strncmp(msg + i, names[k], strlen(names[k])) != 0)
				abort();
			k++;
		}
		i = end + 2;
	}
	if (k != (text_only ? 10u : 9u))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = xmalloc(size + 1), *field[5], *p, *end;
	struct mail_parts mp = {
		.message_id = "<fuzz@id.example.com>",
		.date = 1700000000,
		.html = "<p>hi</p>",
	};
	struct buf b;
	size_t i, n = 0;
	enum op_rc rc;

	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	for (p = copy; n < 5 && p <= end; p += strlen(p) + 1)
		field[n++] = p;
	for (i = n; i < 5; i++)
		field[i] = NULL;
	mp.to = field[0] != NULL ? field[0] : "ann@example.com";
	mp.from = field[1] != NULL ? field[1] : "ID <id@example.com>";
	mp.reply_to = field[2] != NULL && field[2][0] != '\0' ? field[2] :
	    NULL;
	mp.subject = field[3] != NULL ? field[3] : "Subject";
	mp.text = field[4] != NULL ? field[4] : "text\n";
	if (size > 0 && data[0] & 1)
		mp.html = NULL;

	buf_init(&b, 1 << 20);
	buf_adds(&b, "kept");
	rc = mail_build(&mp, &b);
	if (rc != OP_OK && strcmp(buf_str(&b), "kept") != 0)
		abort();
	if (rc == OP_OK)
		check_headers(b.data + 4, b.len - 4, mp.reply_to != NULL,
			      mp.html == NULL);
	buf_release(&b);
	xfree(copy);
	return 0;
}

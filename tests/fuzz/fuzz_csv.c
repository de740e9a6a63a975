/*
 * Fuzz target: the CSV reader and the profile directory file on top of it
 * (business/csv.c), which read whatever file an operator imports. Each
 * input is read twice as plain CSV (tight and loose limits) and once as a
 * profile file; the invariants of what comes out are checked, not just
 * "no crash".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "business/csv.h"
#include "core/arena.h"
#include "core/email.h"
#include "core/xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_all(const char *in, size_t size, const struct csv_limits *lim)
{
	struct arena *a = arena_new();
	struct csv_reader r;
	struct csv_record rec;
	size_t i, lines = 1, last = 0, records = 0, bytes = 0;

	for (i = 0; i < size; i++)
		lines += in[i] == '\n';
	csv_reader_init(&r, in, size, lim);
	while (csv_read(&r, a, &rec)) {
		/* Records start on strictly later lines, within the input. */
		if (rec.line <= last || rec.line > lines)
			abort();
		last = rec.line;
		if (++records > size)
			abort();
		if (rec.blank ? rec.n != 0 || rec.error != NULL
			      : rec.n == 0 || rec.n > lim->max_fields)
			abort();
		for (i = 0; i < rec.n; i++) {
			if (rec.len[i] > lim->max_field ||
			    strlen(rec.field[i]) != rec.len[i])
				abort();
			bytes += rec.len[i];
		}
		/* Unquoting never adds bytes. */
		if (bytes > size)
			abort();
	}
	if (csv_read(&r, a, &rec))
		abort();
	csv_reader_release(&r);
	arena_free(a);
}

static void
read_profiles(const char *in, size_t size)
{
	struct arena *a = arena_new();
	struct csv_profiles p;
	char canon[EMAIL_MAX + 1];
	const unsigned char *s;
	enum op_rc rc;
	size_t i;

	rc = csv_profiles_parse(a, in, size, &p);
	if ((rc == OP_OK) != (p.n_problems == 0))
		abort();
	if (p.n_rows > CSV_PROFILES_MAX_ROWS)
		abort();
	for (i = 0; rc == OP_OK && i < p.n_rows; i++) {
		if (!email_canonical(p.rows[i].email, canon) ||
		    strcmp(canon, p.rows[i].email_canon) != 0 ||
		    strlen(canon) != strlen(p.rows[i].email))
			abort();
		if (p.rows[i].name[0] == '\0' ||
		    p.rows[i].company[0] == '\0')
			abort();
		if (p.rows[i].type != PROFILE_CUSTOMER &&
		    p.rows[i].type != PROFILE_PARTNER)
			abort();
		if (i > 0 && p.rows[i].line <= p.rows[i - 1].line)
			abort();
	}
	for (i = 0; i < p.n_problems; i++) {
		if (i > 0 && p.problems[i].line < p.problems[i - 1].line)
			abort();
		/* A reason never carries a control byte to the terminal. */
		s = (const unsigned char *)p.problems[i].reason;
		if (s[0] == '\0')
			abort();
		for (; *s != '\0'; s++)
			if (*s < 0x20 || *s == 0x7f)
				abort();
	}
	csv_profiles_release(&p);
	arena_free(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct csv_limits tight = { .max_field = 7,
						 .max_fields = 3 };
	static const struct csv_limits loose = { .max_field = 1000,
						 .max_fields = 16 };
	char *in;

	/* A copy of exactly size bytes, so reading past it is caught. */
	in = xmalloc(size > 0 ? size : 1);
	if (size > 0)
		memcpy(in, data, size);
	read_all(in, size, &tight);
	read_all(in, size, &loose);
	read_profiles(in, size);
	xfree(in);
	return 0;
}

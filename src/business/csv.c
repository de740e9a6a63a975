/*
 * csv.c - the strict CSV reader and the profile directory file on top of
 * it (csv.h).
 *
 * The reader walks the input once. The field being read grows in a
 * bounded buffer (its limit is the field limit, so an over-long field
 * costs no memory) and is copied into the arena when it ends; a record's
 * field pointers collect in fixed scratch arrays and are copied into the
 * arena when the record ends.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "business/csv.h"
#include "core/email.h"
#include "core/xmalloc.h"
#include "http/http.h"

#define PROFILE_TEXT_CHARS 200	/* the store's limit (store_biz.c) */
#define PROFILE_COLUMNS 4
#define PROFILE_MAX_FIELDS 16	/* more is an error of its own */
#define SHOW_MAX 32		/* bytes of a column name echoed back */

/* ---- the reader ---- */

void
csv_reader_init(struct csv_reader *r, const char *data, size_t len,
		const struct csv_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->p = data;
	r->end = data + len;
	r->line = 1;
	r->lim = *lim;
	if (r->lim.max_field == 0)
		r->lim.max_field = 1;
	if (r->lim.max_fields == 0)
		r->lim.max_fields = 1;
	buf_init(&r->field, r->lim.max_field);
	r->fields = xcalloc(r->lim.max_fields, sizeof(*r->fields));
	r->lens = xcalloc(r->lim.max_fields, sizeof(*r->lens));
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
}

void
csv_reader_release(struct csv_reader *r)
{
	buf_release(&r->field);
	xfree(r->fields);
	xfree(r->lens);
	r->fields = NULL;
	r->lens = NULL;
}

/* Keeps the first error of the record. */
static void
set_error(struct arena *a, struct csv_record *rec, const char *msg)
{
	if (rec->error == NULL)
		rec->error = arena_strdup(a, msg);
}

/* Appends c to the field being read. */
static void
add(struct csv_reader *r, struct arena *a, struct csv_record *rec, char c)
{
	if (c == '\0') {
		set_error(a, rec, "NUL byte");
		return;
	}
	if (buf_addch(&r->field, c) != 0 && rec->error == NULL)
		rec->error = arena_asprintf(a, "field longer than %zu bytes",
					    r->lim.max_field);
}

/* Reads the rest of an unquoted field; true when a comma ended it (more
 * fields follow), false at the end of the line or of the input. */
static bool
read_plain(struct csv_reader *r, struct arena *a, struct csv_record *rec)
{
	char c;

	while (r->p < r->end) {
		c = *r->p++;
		if (c == ',')
			return true;
		if (c == '\n') {
			r->line++;
			return false;
		}
		if (c == '\r') {
			if (r->p < r->end && *r->p == '\n') {
				r->p++;
				r->line++;
				return false;
			}
			set_error(a, rec, "CR without LF");
		} else if (c == '"') {
			set_error(a, rec, "quote inside an unquoted field");
		}
		add(r, a, rec, c);
	}
	return false;
}

/* Reads a quoted field from its opening quote; returns as read_plain. */
static bool
read_quoted(struct csv_reader *r, struct arena *a, struct csv_record *rec)
{
	char c;

	r->p++;
	for (;;) {
		if (r->p >= r->end) {
			set_error(a, rec, "unterminated quoted field");
			return false;
		}
		c = *r->p++;
		if (c == '"') {
			if (r->p < r->end && *r->p == '"') {
				r->p++;
				add(r, a, rec, '"');
				continue;
			}
			break;
		}
		if (c == '\n')
			r->line++;
		add(r, a, rec, c);
	}
	if (r->p >= r->end)
		return false;
	c = *r->p;
	if (c == ',') {
		r->p++;
		return true;
	}
	if (c == '\n' || (c == '\r' && r->p + 1 < r->end && r->p[1] == '\n'))
		return read_plain(r, a, rec);
	/* Read on to the end of the field, so the next record is found. */
	set_error(a, rec, "text after a closing quote");
	return read_plain(r, a, rec);
}

bool
csv_read(struct csv_reader *r, struct arena *a, struct csv_record *out)
{
	bool more = true, quoted = false;
	size_t n = 0;

	memset(out, 0, sizeof(*out));
	if (r->p >= r->end)
		return false;
	out->line = r->line;
	/* An empty line costs no memory, however many there are. */
	if (*r->p == '\n' ||
	    (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n')) {
		r->p += *r->p == '\n' ? 1 : 2;
		r->line++;
		out->blank = true;
		return true;
	}
	while (more) {
		buf_reset(&r->field);
		/* After a comma at the very end, one more, empty, field. */
		quoted = r->p < r->end && *r->p == '"';
		if (quoted)
			more = read_quoted(r, a, out);
		else
			more = read_plain(r, a, out);
		if (n == r->lim.max_fields) {
			if (out->error == NULL)
				out->error = arena_asprintf(
					a, "more than %zu fields",
					r->lim.max_fields);
		} else {
			r->fields[n] = arena_strndup(a, buf_str(&r->field),
						     r->field.len);
			r->lens[n] = r->field.len;
			n++;
		}
	}
	out->n = n;
	out->field = arena_alloc(a, n * sizeof(*out->field));
	out->len = arena_alloc(a, n * sizeof(*out->len));
	memcpy(out->field, r->fields, n * sizeof(*out->field));
	memcpy(out->len, r->lens, n * sizeof(*out->len));
	return true;
}

/* ---- the profile directory file ---- */

static const char *const columns[PROFILE_COLUMNS] = {
	"email", "name", "company", "type"
};
enum { COL_EMAIL, COL_NAME, COL_COMPANY, COL_TYPE };

/* Makes room for element n of an array of elements of size bytes that
 * grows by doubling (it is full when n is 0 or a power of two). */
static void *
grow(void *v, size_t n, size_t size)
{
	if ((n & (n - 1)) != 0)
		return v;
	return xrealloc(v, (n == 0 ? 1 : 2 * n) * size);
}

static void
add_problem(struct csv_profiles *p, size_t line, const char *reason)
{
	p->problems = grow(p->problems, p->n_problems, sizeof(*p->problems));
	p->problems[p->n_problems].line = line;
	p->problems[p->n_problems].reason = reason;
	p->n_problems++;
}

static void
add_row(struct csv_profiles *p, const struct csv_profile_row *row)
{
	p->rows = grow(p->rows, p->n_rows, sizeof(*p->rows));
	p->rows[p->n_rows++] = *row;
}

/* s without the spaces and tabs around it (in place: s is a copy in
 * the arena). */
static char *
trim(char *s)
{
	size_t len;

	while (*s == ' ' || *s == '\t')
		s++;
	len = strlen(s);
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	s[len] = '\0';
	return s;
}

static bool
ascii_caseeq(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)*a++;
		y = (unsigned char)*b++;
		if (x >= 'A' && x <= 'Z')
			x = (unsigned char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (unsigned char)(y - 'A' + 'a');
		if (x != y)
			return false;
	} while (x != '\0');
	return true;
}

/* s as it may be echoed to a terminal: printable ASCII, others as '?',
 * at most SHOW_MAX bytes. */
static const char *
show(struct arena *a, const char *s)
{
	size_t i, len = strnlen(s, SHOW_MAX + 1);
	char *out = arena_alloc(a, SHOW_MAX + 4);

	for (i = 0; i < len && i < SHOW_MAX; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (len > SHOW_MAX)
		memcpy(out + i, "...", 4);
	else
		out[i] = '\0';
	return out;
}

/* Maps the header's columns into col[]; false (with problems) when they
 * are not exactly the four. */
static bool
read_header(struct arena *a, struct csv_record *rec, int col[],
	    struct csv_profiles *out)
{
	size_t i, j;
	char *name;
	bool good = true;

	if (rec->error != NULL) {
		add_problem(out, rec->line,
			    arena_asprintf(a, "header: %s", rec->error));
		return false;
	}
	for (j = 0; j < PROFILE_COLUMNS; j++)
		col[j] = -1;
	for (i = 0; i < rec->n; i++) {
		name = trim(rec->field[i]);
		for (j = 0; j < PROFILE_COLUMNS; j++)
			if (ascii_caseeq(name, columns[j]))
				break;
		if (j == PROFILE_COLUMNS) {
			add_problem(out, rec->line,
				    arena_asprintf(a, "unknown column '%s'",
						   show(a, name)));
			good = false;
		} else if (col[j] >= 0) {
			add_problem(out, rec->line,
				    arena_asprintf(a,
						   "column '%s' appears twice",
						   columns[j]));
			good = false;
		} else {
			col[j] = (int)i;
		}
	}
	for (j = 0; j < PROFILE_COLUMNS; j++) {
		if (col[j] < 0) {
			add_problem(out, rec->line,
				    arena_asprintf(a, "missing column '%s'",
						   columns[j]));
			good = false;
		}
	}
	return good;
}

/* Why s is not an acceptable name or company, or NULL. */
static const char *
text_problem(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, len = strlen(s);

	if (len == 0)
		return "is empty";
	if (!utf8_valid(s, len))
		return "is not valid UTF-8";
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f ||
		    (p[i] == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return "holds a control character";
	}
	if (utf8_length(s) > PROFILE_TEXT_CHARS)
		return "is longer than 200 characters";
	return NULL;
}

const char *
csv_profile_check(struct arena *a, const char *email, const char *name,
		  const char *company, const char *type,
		  struct csv_profile_row *out)
{
	char canon[EMAIL_MAX + 1], *t;
	const char *why;

	out->email = trim(arena_strdup(a, email));
	out->name = trim(arena_strdup(a, name));
	out->company = trim(arena_strdup(a, company));
	t = trim(arena_strdup(a, type));
	if (out->email[0] == '\0')
		return "email is empty";
	if (!email_canonical(out->email, canon))
		return "email is not a valid address";
	why = text_problem(out->name);
	if (why != NULL)
		return arena_asprintf(a, "name %s", why);
	why = text_problem(out->company);
	if (why != NULL)
		return arena_asprintf(a, "company %s", why);
	if (ascii_caseeq(t, "customer"))
		out->type = PROFILE_CUSTOMER;
	else if (ascii_caseeq(t, "partner"))
		out->type = PROFILE_PARTNER;
	else
		return "type is neither customer nor partner";
	out->email_canon = arena_strdup(a, canon);
	return NULL;
}

/* Checks one data record; adds it to rows or to problems. */
static void
check_row(struct arena *a, struct csv_record *rec, const int col[],
	  struct csv_profiles *out)
{
	struct csv_profile_row row = { 0 };
	const char *why;

	if (rec->error != NULL) {
		add_problem(out, rec->line, rec->error);
		return;
	}
	if (rec->n != PROFILE_COLUMNS) {
		add_problem(out, rec->line,
			    arena_asprintf(a, "expected %d fields, found %zu",
					   PROFILE_COLUMNS, rec->n));
		return;
	}
	why = csv_profile_check(a, rec->field[col[COL_EMAIL]],
				rec->field[col[COL_NAME]],
				rec->field[col[COL_COMPANY]],
				rec->field[col[COL_TYPE]], &row);
	if (why != NULL) {
		add_problem(out, rec->line, why);
		return;
	}
	row.line = rec->line;
	add_row(out, &row);
}

/* Orders rows by profile identity, then by line. */
static int
row_cmp(const void *x, const void *y)
{
	const struct csv_profile_row *const *pa = x, *const *pb = y;
	const struct csv_profile_row *a = *pa, *b = *pb;
	int c;

	c = strcmp(a->email_canon, b->email_canon);
	if (c == 0)
		c = strcmp(a->name, b->name);
	if (c == 0)
		c = strcmp(a->company, b->company);
	if (c == 0)
		c = (int)a->type - (int)b->type;
	if (c == 0)
		c = a->line < b->line ? -1 : a->line > b->line;
	return c;
}

static bool
same_profile(const struct csv_profile_row *a, const struct csv_profile_row *b)
{
	return strcmp(a->email_canon, b->email_canon) == 0 &&
	       strcmp(a->name, b->name) == 0 &&
	       strcmp(a->company, b->company) == 0 && a->type == b->type;
}

static int
problem_cmp(const void *x, const void *y)
{
	const struct csv_problem *a = x, *b = y;

	return a->line < b->line ? -1 : a->line > b->line;
}

/* A row that repeats an earlier one is a problem; returns how many. */
static size_t
find_repeats(struct arena *a, struct csv_profiles *out)
{
	const struct csv_profile_row **v, *first;
	size_t i, found = 0;

	if (out->n_rows < 2)
		return 0;
	v = xcalloc(out->n_rows, sizeof(*v));
	for (i = 0; i < out->n_rows; i++)
		v[i] = &out->rows[i];
	qsort(v, out->n_rows, sizeof(*v), row_cmp);
	first = v[0];
	for (i = 1; i < out->n_rows; i++) {
		if (!same_profile(first, v[i])) {
			first = v[i];
			continue;
		}
		add_problem(out, v[i]->line,
			    arena_asprintf(a, "repeats line %zu",
					   first->line));
		found++;
	}
	xfree(v);
	return found;
}

enum op_rc
csv_profiles_parse(struct arena *a, const char *data, size_t len,
		   struct csv_profiles *out)
{
	struct csv_limits lim = { .max_field = CSV_PROFILES_MAX_FIELD,
				  .max_fields = PROFILE_MAX_FIELDS };
	int col[PROFILE_COLUMNS];
	struct csv_reader r;
	struct csv_record rec;
	size_t rows = 0;
	bool got;

	memset(out, 0, sizeof(*out));
	if (len > CSV_PROFILES_MAX_BYTES) {
		add_problem(out, 0, "the file is larger than 16 MiB");
		return OP_E_INVALID;
	}
	csv_reader_init(&r, data, len, &lim);
	do {
		got = csv_read(&r, a, &rec);
	} while (got && rec.blank);
	if (!got) {
		add_problem(out, 1, "no header row (email,name,company,type)");
		goto out;
	}
	if (!read_header(a, &rec, col, out))
		goto out;
	while (csv_read(&r, a, &rec)) {
		if (rec.blank)
			continue;
		if (++rows > CSV_PROFILES_MAX_ROWS) {
			add_problem(out, rec.line, "more than 100000 rows");
			break;
		}
		check_row(a, &rec, col, out);
	}
	if (find_repeats(a, out) > 0)
		qsort(out->problems, out->n_problems, sizeof(*out->problems),
		      problem_cmp);
out:
	csv_reader_release(&r);
	return out->n_problems == 0 ? OP_OK : OP_E_INVALID;
}

void
csv_profiles_release(struct csv_profiles *p)
{
	if (p == NULL)
		return;
	xfree(p->rows);
	xfree(p->problems);
	memset(p, 0, sizeof(*p));
}

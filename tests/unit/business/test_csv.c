/*
 * test_csv.c - business/csv.c: the strict CSV reader (table-driven: every
 * case is an input and the records it must give, with their line numbers
 * and errors), the profile directory file on top of it (header, row
 * checks, repeats, limits), and `onepass profile add|import|list` run
 * through cmd_profile() against a real SQLite store in a temporary data
 * directory.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "business/csv.h"
#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/store.h"
#include "support/tap.h"

/* ---- the reader ---- */

/*
 * The records of input as one string: "LINE:f1|f2" per record, records
 * separated by "; ", " (blank)" after a blank line's record and " !ERROR"
 * after a record with an error; CR and LF inside fields as \r and \n.
 * Reading on after the end must keep answering the end.
 */
static char *
records_of(const char *in, size_t len, const struct csv_limits *lim)
{
	struct csv_reader r;
	struct csv_record rec;
	struct arena *a = arena_new();
	struct buf b;
	size_t i, j;
	bool first = true;

	buf_init(&b, 1 << 20);
	csv_reader_init(&r, in, len, lim);
	while (csv_read(&r, a, &rec)) {
		buf_addf(&b, "%s%zu:", first ? "" : "; ", rec.line);
		first = false;
		for (i = 0; i < rec.n; i++) {
			if (i > 0)
				buf_addch(&b, '|');
			for (j = 0; j < rec.len[i]; j++) {
				if (rec.field[i][j] == '\n')
					buf_adds(&b, "\\n");
				else if (rec.field[i][j] == '\r')
					buf_adds(&b, "\\r");
				else
					buf_addch(&b, rec.field[i][j]);
			}
			if (strlen(rec.field[i]) != rec.len[i])
				buf_adds(&b, "<len mismatch>");
		}
		if (rec.blank)
			buf_adds(&b, " (blank)");
		if (rec.error != NULL)
			buf_addf(&b, " !%s", rec.error);
	}
	if (csv_read(&r, a, &rec) || rec.n != 0)
		buf_adds(&b, " <a record after the end>");
	csv_reader_release(&r);
	arena_free(a);
	return buf_detach(&b, NULL);
}

static const struct {
	const char *what;
	const char *in;
	size_t len;		/* 0: strlen(in) */
	size_t max_field;	/* 0: 64 */
	size_t max_fields;	/* 0: 8 */
	const char *want;
} reader_cases[] = {
	{ "plain records", "a,b,c\n1,2,3\n", 0, 0, 0, "1:a|b|c; 2:1|2|3" },
	{ "no line end at the end", "a,b\n1,2", 0, 0, 0, "1:a|b; 2:1|2" },
	{ "CRLF line ends", "a,b\r\n1,2\r\n", 0, 0, 0, "1:a|b; 2:1|2" },
	{ "mixed line ends", "a\r\nb\nc\r\n", 0, 0, 0, "1:a; 2:b; 3:c" },
	{ "comma inside quotes", "\"a,b\",c\n", 0, 0, 0, "1:a,b|c" },
	{ "doubled quote", "\"say \"\"hi\"\"\",x\n", 0, 0, 0,
	  "1:say \"hi\"|x" },
	{ "only a doubled quote", "\"\"\"\"\n", 0, 0, 0, "1:\"" },
	{ "LF inside quotes moves the line on",
	  "\"l1\nl2\",x\nnext,y\n", 0, 0, 0, "1:l1\\nl2|x; 3:next|y" },
	{ "CRLF inside quotes", "h\r\n\"l1\r\nl2\r\nl3\",x\r\nn,y\r\n", 0, 0,
	  0, "1:h; 2:l1\\r\\nl2\\r\\nl3|x; 5:n|y" },
	{ "a CR alone inside quotes is no line",
	  "\"a\rb\",c\nd\n", 0, 0, 0, "1:a\\rb|c; 2:d" },
	{ "byte order mark skipped", "\xef\xbb\xbf" "a,b\n", 0, 0, 0,
	  "1:a|b" },
	{ "byte order mark before a quote", "\xef\xbb\xbf\"a\",b\n", 0, 0, 0,
	  "1:a|b" },
	{ "a mark later is data", "a\n\xef\xbb\xbf" "b\n", 0, 0, 0,
	  "1:a; 2:\xef\xbb\xbf" "b" },
	{ "empty fields", ",,\n", 0, 0, 0, "1:||" },
	{ "comma at the very end", "a,", 0, 0, 0, "1:a|" },
	{ "quoted field at the very end", "a,\"b\"", 0, 0, 0, "1:a|b" },
	{ "quoted field then CRLF", "a,\"b\"\r\nc\r\n", 0, 0, 0,
	  "1:a|b; 2:c" },
	{ "blank lines", "a\n\nb\r\n\r\nc", 0, 0, 0,
	  "1:a; 2: (blank); 3:b; 4: (blank); 5:c" },
	{ "an empty quoted field is not blank", "\"\"\n", 0, 0, 0, "1:" },
	{ "spaces are data", " a , b \n", 0, 0, 0, "1: a | b " },
	{ "empty input", "", 0, 0, 0, "" },
	{ "only a mark", "\xef\xbb\xbf", 0, 0, 0, "" },
	{ "quote inside an unquoted field", "a\"b,c\nd\n", 0, 0, 0,
	  "1:a\"b|c !quote inside an unquoted field; 2:d" },
	{ "text after a closing quote", "\"ab\"c,d\ne\n", 0, 0, 0,
	  "1:abc|d !text after a closing quote; 2:e" },
	{ "space after a closing quote", "\"ab\" ,d\ne\n", 0, 0, 0,
	  "1:ab |d !text after a closing quote; 2:e" },
	{ "CR alone after a closing quote", "\"a\"\rb\nc\n", 0, 0, 0,
	  "1:a\\rb !text after a closing quote; 2:c" },
	{ "unterminated quote runs to the end", "x\n\"abc\nd,e\n", 0, 0, 0,
	  "1:x; 2:abc\\nd,e\\n !unterminated quoted field" },
	{ "CR without LF", "a\rb,c\nd\n", 0, 0, 0,
	  "1:a\\rb|c !CR without LF; 2:d" },
	{ "CR at the very end", "a\r", 0, 0, 0, "1:a\\r !CR without LF" },
	{ "NUL byte", "a\0b,c\nd\n", 8, 0, 0, "1:ab|c !NUL byte; 2:d" },
	{ "NUL inside quotes", "\"a\0\",c\n", 7, 0, 0, "1:a|c !NUL byte" },
	{ "field at the limit", "abcd,\"efgh\"\n", 0, 4, 0, "1:abcd|efgh" },
	{ "field over the limit", "abcde,f\ng\n", 0, 4, 0,
	  "1:abcd|f !field longer than 4 bytes; 2:g" },
	{ "quoted field over the limit", "\"ab\ncde\",f\ng\n", 0, 4, 0,
	  "1:ab\\nc|f !field longer than 4 bytes; 3:g" },
	{ "fields at the limit", "a,b,c\n", 0, 0, 3, "1:a|b|c" },
	{ "more fields than the limit", "a,b,c,d\ne\n", 0, 0, 3,
	  "1:a|b|c !more than 3 fields; 2:e" },
	{ "first error wins", "a\"\rb\n", 0, 0, 0,
	  "1:a\"\\rb !quote inside an unquoted field" },
};

static void
test_reader(void)
{
	struct csv_limits lim;
	char *got;
	size_t i, len;

	subtest("reader");
	for (i = 0; i < sizeof(reader_cases) / sizeof(reader_cases[0]); i++) {
		lim.max_field = reader_cases[i].max_field
					? reader_cases[i].max_field
					: 64;
		lim.max_fields = reader_cases[i].max_fields
					 ? reader_cases[i].max_fields
					 : 8;
		len = reader_cases[i].len ? reader_cases[i].len
					  : strlen(reader_cases[i].in);
		got = records_of(reader_cases[i].in, len, &lim);
		is_str(got, reader_cases[i].want, "%s", reader_cases[i].what);
		xfree(got);
	}
}

/* ---- the profile directory file ---- */

/* The problems of a parse as "LINE:reason; ..." and the row count. */
static char *
problems_of(const char *in, size_t len, size_t *n_rows, enum op_rc *rc)
{
	struct csv_profiles p;
	struct arena *a = arena_new();
	struct buf b;
	size_t i;

	buf_init(&b, 1 << 24);
	*rc = csv_profiles_parse(a, in, len, &p);
	for (i = 0; i < p.n_problems; i++)
		buf_addf(&b, "%s%zu:%s", i > 0 ? "; " : "",
			 p.problems[i].line, p.problems[i].reason);
	*n_rows = p.n_rows;
	csv_profiles_release(&p);
	arena_free(a);
	return buf_detach(&b, NULL);
}

static const struct {
	const char *what;
	const char *in;
	size_t rows;		/* valid rows when there is no problem */
	const char *want;	/* the problems */
} file_cases[] = {
	{ "header only", "email,name,company,type\n", 0, "" },
	{ "header in any order, any case, trimmed",
	  " Type ,EMAIL,\tname ,Company\r\npartner,a@x.com,A,Co\r\n", 1, "" },
	{ "header quoted", "\"email\",\"name\",\"company\",\"type\"\n", 0, "" },
	{ "blank lines skipped", "\n\nemail,name,company,type\n\n"
	  "a@x.com,A,C,customer\n\n", 1, "" },
	{ "empty file", "", 0, "1:no header row (email,name,company,type)" },
	{ "only blank lines", "\n\r\n", 0,
	  "1:no header row (email,name,company,type)" },
	{ "missing column", "email,name,company\na@x.com,A,C\n", 0,
	  "1:missing column 'type'" },
	{ "missing columns", "name\n", 0,
	  "1:missing column 'email'; 1:missing column 'company'; "
	  "1:missing column 'type'" },
	{ "extra column", "email,name,company,type,phone\n", 0,
	  "1:unknown column 'phone'" },
	{ "empty extra column", "email,name,company,type,\n", 0,
	  "1:unknown column ''" },
	{ "duplicate column", "email,name,Email,company,type\n", 0,
	  "1:column 'email' appears twice" },
	{ "a column name is never echoed raw",
	  "email,name,company,type,\x1b[2J\x7f" "x\n", 0,
	  "1:unknown column '?[2J?x'" },
	{ "a long column name is cut",
	  "email,name,company,type,"
	  "abcdefghijklmnopqrstuvwxyz0123456789\n", 0,
	  "1:unknown column 'abcdefghijklmnopqrstuvwxyz012345...'" },
	{ "header with a syntax error", "email,\"name\"x,company,type\n", 0,
	  "1:header: text after a closing quote" },
	{ "values trimmed, type any case",
	  "email,name,company,type\n  a@x.com , Ann , Co ,  PARTNER \n", 1,
	  "" },
	{ "quoted values with commas and quotes",
	  "email,name,company,type\n"
	  "\"a@x.com\",\"Lee, Ann\",\"\"\"Q\"\" Ltd\",customer\n", 1, "" },
	{ "every bad row, with its line",
	  "email,name,company,type\n"
	  "ok@x.com,Ok,Co,customer\n"
	  "a@x.com,A,\"Multi\nline\",customer\n"
	  "bad,B,C,customer\n"
	  "c@x.com,C,C,vendor\n"
	  "d@x.com,,C,customer\n"
	  "e@x.com,E,C\n"
	  "f@x.com,F,C,customer,extra\n"
	  "g@x.com,\"G\"x,C,customer\n"
	  "h@x.com,\xc3\x28,C,customer\n"
	  "i@x.com,I,C\xc2\x85,customer\n"
	  ",J,C,customer\n"
	  "k@x.com,K,\t,partner\n"
	  "\"l@x.com\",\"L\nM\nN\",C,customer\n"
	  "ok2@x.com,Ok,Co,customer\n"
	  "z@x.com,Z,\"unterminated,customer\n", 0,
	  "3:company holds a control character; "
	  "5:email is not a valid address; "
	  "6:type is neither customer nor partner; "
	  "7:name is empty; "
	  "8:expected 4 fields, found 3; "
	  "9:expected 4 fields, found 5; "
	  "10:text after a closing quote; "
	  "11:name is not valid UTF-8; "
	  "12:company holds a control character; "
	  "13:email is empty; "
	  "14:company is empty; "
	  "15:name holds a control character; "
	  "19:unterminated quoted field" },
	{ "a row after a multi-line field keeps its line",
	  "email,name,company,type\n"
	  "\"a@x.com\",A,\"line\nline\nline\",customer\n"
	  "b@x.com,B,C,vendor\n", 0,
	  "2:company holds a control character; "
	  "5:type is neither customer nor partner" },
	{ "rows repeated in the file",
	  "email,name,company,type\n"
	  "a@x.com,A,C,customer\n"
	  "b@x.com,B,C,customer\n"
	  "A@X.COM, A ,C,Customer\n"
	  "a@x.com,A,C,partner\n"
	  "a@x.com,A,C2,customer\n"
	  "bad,A,C,customer\n"
	  "a@x.com,A,C,CUSTOMER\n", 0,
	  "4:repeats line 2; 7:email is not a valid address; "
	  "8:repeats line 2" },
	{ "one address, several profiles",
	  "email,name,company,type\n"
	  "a@x.com,A,C,customer\n"
	  "a@x.com,A,C,partner\n"
	  "a@x.com,A,Other,customer\n"
	  "a@x.com,B,C,customer\n", 4, "" },
};

static void
test_file(void)
{
	size_t i, n_rows;
	enum op_rc rc;
	char *got;

	subtest("profile file");
	for (i = 0; i < sizeof(file_cases) / sizeof(file_cases[0]); i++) {
		got = problems_of(file_cases[i].in, strlen(file_cases[i].in),
				  &n_rows, &rc);
		is_str(got, file_cases[i].want, "%s", file_cases[i].what);
		if (file_cases[i].want[0] == '\0') {
			is_int(rc, OP_OK, "%s: OK", file_cases[i].what);
			is_int(n_rows, file_cases[i].rows, "%s: %zu rows",
			       file_cases[i].what, file_cases[i].rows);
		} else {
			is_int(rc, OP_E_INVALID, "%s: INVALID",
			       file_cases[i].what);
		}
		xfree(got);
	}
}

static void
test_file_rows(void)
{
	static const char in[] =
		"\xef\xbb\xbf" "Company,TYPE,email,name\r\n"
		"\"Lee, Co\",partner,\" Ann.Lee@Example.COM\",\"Ann \"\"A\"\" "
		"Lee\"\r\n"
		"Fabrikam,customer,bob@example.org,B\xc3\xb6" "b\r\n";
	struct csv_profiles p;
	struct arena *a = arena_new();

	subtest("profile file: the rows");
	is_int(csv_profiles_parse(a, in, strlen(in), &p), OP_OK, "parse");
	if (is_int(p.n_rows, 2, "two rows")) {
		is_int(p.rows[0].line, 2, "line of the first");
		is_str(p.rows[0].email, "Ann.Lee@Example.COM",
		       "address as written, trimmed");
		is_str(p.rows[0].email_canon, "ann.lee@example.com",
		       "canonical address");
		is_str(p.rows[0].name, "Ann \"A\" Lee", "name unquoted");
		is_str(p.rows[0].company, "Lee, Co", "company");
		is_int(p.rows[0].type, PROFILE_PARTNER, "type");
		is_int(p.rows[1].line, 3, "line of the second");
		is_str(p.rows[1].name, "B\xc3\xb6" "b", "UTF-8 name kept");
		is_int(p.rows[1].type, PROFILE_CUSTOMER, "customer");
	}
	csv_profiles_release(&p);
	ok(p.rows == NULL && p.n_rows == 0, "release empties it");
	arena_free(a);
}

static void
test_file_limits(void)
{
	struct buf b;
	char *in, *got, name[2 * 201 + 1];
	size_t i, n_rows;
	enum op_rc rc;

	subtest("profile file: limits");
	/* 200 characters is the most for a name or company. */
	for (i = 0; i < 200; i++)
		memcpy(name + 2 * i, "\xc3\xa9", 2);
	name[400] = '\0';
	buf_init(&b, 1 << 20);
	buf_addf(&b, "email,name,company,type\na@x.com,%s,C,customer\n",
		 name);
	got = problems_of(b.data, b.len, &n_rows, &rc);
	is_str(got, "", "a name of 200 characters");
	xfree(got);
	buf_reset(&b);
	buf_addf(&b, "email,name,company,type\na@x.com,%sx,C,customer\n",
		 name);
	got = problems_of(b.data, b.len, &n_rows, &rc);
	is_str(got, "2:name is longer than 200 characters",
	       "a name of 201 characters");
	xfree(got);

	/* 1000 bytes is the most for a field. */
	buf_reset(&b);
	buf_adds(&b, "email,name,company,type\na@x.com,A,\"");
	for (i = 0; i < 1000; i++)
		buf_addch(&b, i % 2 ? ',' : 'x');
	buf_adds(&b, "\",customer\nb@x.com,B,\"");
	for (i = 0; i < 1001; i++)
		buf_addch(&b, 'x');
	buf_adds(&b, "\",customer\nc@x.com,C,C,nope\n");
	got = problems_of(b.data, b.len, &n_rows, &rc);
	is_str(got, "2:company is longer than 200 characters; "
	       "3:field longer than 1000 bytes; "
	       "4:type is neither customer nor partner",
	       "a field of 1001 bytes is its row's error, and reading "
	       "goes on");
	xfree(got);
	buf_release(&b);

	/* 100000 rows is the most. */
	buf_init(&b, 8 << 20);
	buf_adds(&b, "email,name,company,type\n");
	for (i = 0; i < 100000; i++)
		buf_addf(&b, "p%zu@example.com,P %zu,C,customer\n", i, i);
	got = problems_of(b.data, b.len, &n_rows, &rc);
	is_str(got, "", "100000 rows");
	is_int(n_rows, 100000, "all of them read");
	xfree(got);
	buf_adds(&b, "\n\nlast@example.com,L,C,customer\n");
	got = problems_of(b.data, b.len, &n_rows, &rc);
	is_str(got, "100004:more than 100000 rows",
	       "row 100001 is refused, on its own line");
	xfree(got);
	buf_release(&b);

	/* 16 MiB is the most for the file. */
	in = xmalloc(CSV_PROFILES_MAX_BYTES + 1);
	memset(in, '\n', CSV_PROFILES_MAX_BYTES + 1);
	memcpy(in, "email,name,company,type\n", 24);
	got = problems_of(in, CSV_PROFILES_MAX_BYTES, &n_rows, &rc);
	is_str(got, "", "16 MiB (mostly blank lines) is read");
	xfree(got);
	got = problems_of(in, CSV_PROFILES_MAX_BYTES + 1, &n_rows, &rc);
	is_str(got, "0:the file is larger than 16 MiB", "one byte more is not");
	xfree(got);
	xfree(in);
}

static void
test_row_check(void)
{
	struct csv_profile_row row = { 0 };
	struct arena *a = arena_new();

	subtest("csv_profile_check");
	ok(csv_profile_check(a, " X@Example.com ", " X ", "C", "Partner",
			     &row) == NULL,
	   "a good row");
	is_str(row.email, "X@Example.com", "trimmed address");
	is_str(row.email_canon, "x@example.com", "canonical");
	is_str(row.name, "X", "trimmed name");
	is_int(row.type, PROFILE_PARTNER, "type");
	is_str(csv_profile_check(a, "x@example.com", "X", "C", "both", &row),
	       "type is neither customer nor partner", "bad type");
	is_str(csv_profile_check(a, "x@example.com", "", "C", "customer",
				 &row),
	       "name is empty", "empty name");
	is_str(csv_profile_check(a, "x", "X", "C", "customer", &row),
	       "email is not a valid address", "bad address");
	arena_free(a);
}

/* ---- onepass profile ---- */

static int64_t
now_fn(void)
{
	return 1700000000;
}

struct run {
	char *out;
	char *err;
	int status;
};

static char *
slurp(int fd)
{
	struct buf b;
	char chunk[4096];
	ssize_t r;

	buf_init(&b, 1 << 20);
	lseek(fd, 0, SEEK_SET);
	while ((r = read(fd, chunk, sizeof(chunk))) > 0)
		buf_add(&b, chunk, (size_t)r);
	return buf_detach(&b, NULL);
}

/* Runs cmd_profile with argv (NULL-terminated) and its stdout and stderr
 * in files of dir. */
static struct run
run(struct onepass *op, const char *dir, ...)
{
	char *argv[16], *opath, *epath;
	struct run res;
	int saved[2], fds[2], argc = 0;
	va_list ap;

	va_start(ap, dir);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	opath = xasprintf("%s/stdout", dir);
	epath = xasprintf("%s/stderr", dir);
	fflush(stdout);
	fflush(stderr);
	saved[0] = dup(1);
	saved[1] = dup(2);
	fds[0] = open(opath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	fds[1] = open(epath, O_RDWR | O_CREAT | O_TRUNC, 0600);
	dup2(fds[0], 1);
	dup2(fds[1], 2);
	res.status = cmd_profile(op, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(saved[0], 1);
	dup2(saved[1], 2);
	close(saved[0]);
	close(saved[1]);
	res.out = slurp(fds[0]);
	res.err = slurp(fds[1]);
	close(fds[0]);
	close(fds[1]);
	xfree(opath);
	xfree(epath);
	return res;
}

static void
run_free(struct run *r)
{
	xfree(r->out);
	xfree(r->err);
}

static char *
write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
	return path;
}

static int
count_event(const struct audit_event *ev, void *arg)
{
	if (strcmp(ev->event, "profile.imported") == 0)
		(*(int *)arg)++;
	return 0;
}

static void
test_cli(struct onepass *op, const char *dir)
{
	struct run r;
	char *path, *pi = NULL, *ps = NULL;
	int events = 0, fd;

	subtest("onepass profile");
	r = run(op, dir, "profile", "add", "--email", "Ann@Example.com",
		"--name", "Ann Lee", "--company", "Contoso", "--type",
		"customer", NULL);
	is_int(r.status, 0, "profile add");
	is_str(r.out, "1\n", "prints the new id");
	is_str(r.err, "", "nothing on stderr");
	run_free(&r);
	r = run(op, dir, "profile", "add", "--email", "ann@example.com",
		"--name", "Ann Lee", "--company", "Contoso", "--type",
		"Customer", NULL);
	is_int(r.status, 1, "the same profile again");
	is_str(r.out, "", "no id");
	ok(strstr(r.err, "already has a profile of that name") != NULL,
	   "says why: %.*s", (int)strcspn(r.err, "\n"), r.err);
	run_free(&r);
	r = run(op, dir, "profile", "add", "--email", "bob@example.com",
		"--name", "Bob", "--company", "Contoso", "--type", "vendor",
		NULL);
	is_int(r.status, 1, "a bad type");
	is_str(r.err, "onepass: profile not added: type is neither customer "
	       "nor partner\n", "says why");
	run_free(&r);
	r = run(op, dir, "profile", "add", "--email", "bob@example.com",
		"--name", "Bob", NULL);
	is_int(r.status, 2, "missing options: usage");
	run_free(&r);
	r = run(op, dir, "profile", "add", "--email", "bob@example.com",
		"--phone", "1", NULL);
	is_int(r.status, 2, "unknown option: usage");
	run_free(&r);
	r = run(op, dir, "profile", "add", "--email", NULL);
	is_int(r.status, 2, "option without a value: usage");
	run_free(&r);

	path = write_file(dir, "good.csv",
			  "\xef\xbb\xbf" "email,name,company,type\r\n"
			  "bob@example.com,\"Smith, Bob\",Fabrikam,partner\r\n"
			  "ann@example.com,Ann Lee,Contoso,partner\r\n");
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 0, "import a good file");
	is_str(r.out, "imported 2 profiles\n", "says how many");
	is_str(r.err, "", "nothing on stderr");
	run_free(&r);
	xfree(path);
	store_audit_list(op->store, count_event, &events);
	is_int(events, 1, "the import is in the audit log");

	is_int(store_profile_associate(op->store, 2, "https://id.example.com",
				       "sub-bob", 1700000001, &pi, &ps),
	       OP_OK, "associate profile 2");
	r = run(op, dir, "profile", "list", NULL);
	is_int(r.status, 0, "profile list");
	is_str(r.out,
	       "1\tAnn@Example.com\tAnn Lee\tContoso\tcustomer\tno\n"
	       "2\tbob@example.com\tSmith, Bob\tFabrikam\tpartner\tyes\n"
	       "3\tann@example.com\tAnn Lee\tContoso\tpartner\tno\n",
	       "one tab-separated line per profile");
	run_free(&r);

	path = write_file(dir, "bad.csv",
			  "email,name,company,type\n"
			  "new1@example.com,New,Co,customer\n"
			  "\"x@example.com\",\"two\nlines\",Co,customer\n"
			  "broken,B,Co,customer\n"
			  "new1@example.com,New,Co,customer\n"
			  "new2@example.com,New,Co,boss\n");
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 1, "import a file with bad rows");
	is_str(r.out, "", "nothing on stdout");
	is_str(r.err,
	       "line 3: name holds a control character\n"
	       "line 5: email is not a valid address\n"
	       "line 6: repeats line 2\n"
	       "line 7: type is neither customer nor partner\n"
	       "onepass: nothing imported (4 problems)\n",
	       "every bad row, by the line where it starts");
	run_free(&r);
	xfree(path);

	path = write_file(dir, "exists.csv",
			  "email,name,company,type\n"
			  "new1@example.com,New,Co,customer\n"
			  "ANN@example.com,Ann Lee,Contoso,customer\n"
			  "new2@example.com,New,Co,customer\n"
			  "bob@example.com,\"Smith, Bob\",Fabrikam,partner\n");
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 1, "import rows that exist already");
	is_str(r.err,
	       "line 3: profile 1 already has this address, name, company "
	       "and type\n"
	       "line 5: profile 2 already has this address, name, company "
	       "and type\n"
	       "onepass: nothing imported\n",
	       "every row that exists is reported");
	run_free(&r);
	xfree(path);

	path = write_file(dir, "cols.csv", "email,name,type,kind\n");
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 1, "a bad header");
	is_str(r.err,
	       "line 1: unknown column 'kind'\n"
	       "line 1: missing column 'company'\n"
	       "onepass: nothing imported (2 problems)\n",
	       "says what is wrong with it");
	run_free(&r);
	xfree(path);

	path = xasprintf("%s/huge.csv", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ok(fd >= 0 && ftruncate(fd, CSV_PROFILES_MAX_BYTES + 1) == 0,
	   "a file of 16 MiB + 1 byte");
	if (fd >= 0)
		close(fd);
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 1, "is refused");
	ok(strstr(r.err, "larger than 16 MiB") != NULL, "says why: %.*s",
	   (int)strcspn(r.err, "\n"), r.err);
	run_free(&r);
	xfree(path);

	path = xasprintf("%s/none.csv", dir);
	r = run(op, dir, "profile", "import", path, NULL);
	is_int(r.status, 1, "a missing file");
	ok(strstr(r.err, "No such file") != NULL, "says why");
	run_free(&r);
	xfree(path);

	r = run(op, dir, "profile", "list", NULL);
	ok(strncmp(r.out, "1\t", 2) == 0 && strstr(r.out, "\n4\t") == NULL,
	   "still three profiles: nothing of the refused files imported");
	run_free(&r);
	r = run(op, dir, "profile", NULL);
	is_int(r.status, 2, "profile alone: usage");
	ok(strstr(r.err, "usage:") != NULL, "prints the usage");
	run_free(&r);
	r = run(op, dir, "profile", "import", NULL);
	is_int(r.status, 2, "import without a file: usage");
	run_free(&r);
	xfree(pi);
	xfree(ps);
}

int
main(void)
{
	struct config cfg;
	struct op_err err = { 0 };
	struct onepass op = { .now = now_fn };
	char *dir;
	enum op_rc rc;

	if (sodium_init() < 0)
		return 1;
	log_set_level(LOG_QUIET);
	test_reader();
	test_file();
	test_file_rows();
	test_file_limits();
	test_row_check();

	dir = tap_tmpdir();
	rc = config_load(&cfg, NULL, dir, &err);
	is_int(rc, OP_OK, "config_load: %s", err.msg);
	if (rc == OP_OK) {
		rc = store_open(&cfg, &op.store, &err);
		is_int(rc, OP_OK, "store_open: %s", err.msg);
		op.cfg = &cfg;
		if (rc == OP_OK) {
			test_cli(&op, dir);
			store_close(op.store);
		}
		config_release(&cfg);
	}
	tap_rmdir(dir);
	xfree(dir);
	return done_testing();
}

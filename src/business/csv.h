/*
 * csv.h - a strict reader of comma-separated values (RFC 4180), and on
 * top of it the reader of the profile directory file that `onepass
 * profile import FILE.csv` loads.
 *
 * The reader takes the whole input in memory and hands out one record at
 * a time, each with the physical line (1-based) where it starts, its
 * fields unquoted into an arena. It accepts what RFC 4180 describes plus
 * what spreadsheets write: fields in double quotes may hold commas, CR,
 * LF and "" for a quote; records end with CRLF or LF (the last one may
 * have none); a UTF-8 byte order mark at the very start is skipped.
 * Everything else is an error of the record it occurs in: a quote inside
 * an unquoted field, text after a closing quote, a CR not followed by LF
 * outside quotes, a NUL byte, an unterminated quoted field (which runs to
 * the end of the input), a field longer than the limit or more fields
 * than the limit. The reader carries on after a record's error, so a
 * caller can report every bad record in one pass.
 *
 * Physical lines are counted by LF: a record that follows a quoted field
 * holding line breaks starts on the line after the last of them.
 *
 * Pure: no I/O, no global state; memory from the caller's arena (and a
 * scratch buffer inside the reader, freed by csv_reader_release).
 */
#ifndef CSV_H
#define CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"
#include "store/store.h"

struct csv_limits {
	size_t max_field;	/* bytes of one field once unquoted; > 0 */
	size_t max_fields;	/* fields of one record; > 0 */
};

struct csv_record {
	size_t line;		/* physical line where the record starts */
	size_t n;		/* number of fields, >= 1 (0 when blank) */
	char **field;		/* n NUL-terminated strings, in the arena;
				 * a NUL byte in the input is an error */
	size_t *len;		/* their lengths */
	bool blank;		/* an empty line (no field, nothing
				 * allocated) */
	const char *error;	/* NULL, or the record's first error (in the
				 * arena); the fields are then unreliable */
};

/* Private to csv.c; on the caller's stack. */
struct csv_reader {
	const char *p, *end;
	size_t line;
	struct csv_limits lim;
	struct buf field;	/* the field being read */
	char **fields;		/* lim.max_fields slots */
	size_t *lens;
};

/* Starts reading data[0..len) (which must outlive the reader). */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len,
		     const struct csv_limits *lim);
/* Frees the reader's scratch memory (not the records: they are in the
 * arena). */
void csv_reader_release(struct csv_reader *r);
/* Reads the next record into out, its strings allocated in a. Returns
 * false at the end of the input (out is then zeroed). */
bool csv_read(struct csv_reader *r, struct arena *a, struct csv_record *out);

/* ---- the profile directory file ---- */

#define CSV_PROFILES_MAX_BYTES (16u * 1024 * 1024)
#define CSV_PROFILES_MAX_ROWS 100000
#define CSV_PROFILES_MAX_FIELD 1000

/* One valid row (strings in the arena, trimmed of spaces and tabs). */
struct csv_profile_row {
	size_t line;
	const char *email;	/* as written */
	const char *email_canon;	/* core/email.h canonical form */
	const char *name;
	const char *company;
	enum profile_type type;
};

/* One thing wrong with the file. */
struct csv_problem {
	size_t line;		/* where the record starts; 0: the file */
	const char *reason;	/* in the arena; never echoes control
				 * characters from the file */
};

struct csv_profiles {
	struct csv_profile_row *rows;	/* xmalloc'd array */
	size_t n_rows;
	struct csv_problem *problems;	/* xmalloc'd array, in line order */
	size_t n_problems;
};

/*
 * The rules of one row, also for `onepass profile add`: checks the four
 * values (trimmed of spaces and tabs, as they are stored) and fills out
 * (strings in a; out->line is left alone). Returns NULL, or why the row
 * is refused (a static or arena string that never echoes the values).
 */
const char *csv_profile_check(struct arena *a, const char *email,
			      const char *name, const char *company,
			      const char *type, struct csv_profile_row *out);

/*
 * Reads a whole profile file: a header row that names exactly the
 * columns email, name, company and type (in any order, case-insensitive,
 * trimmed), then one profile per row. Blank lines are skipped. Each row
 * is checked: the address with email_canonical, name and company 1..200
 * characters of UTF-8 without control characters, type "customer" or
 * "partner" (case-insensitive); at most CSV_PROFILES_MAX_ROWS rows,
 * CSV_PROFILES_MAX_BYTES bytes and CSV_PROFILES_MAX_FIELD bytes a field.
 * A row that repeats an earlier one (same canonical address, name,
 * company and type) is a problem too.
 *
 * Returns OP_OK with every row in out->rows, or OP_E_INVALID with every
 * bad row in out->problems (one problem per row; a bad header or a limit
 * stops the reading, so rows after it are not checked). Either way the
 * caller calls csv_profiles_release().
 */
enum op_rc csv_profiles_parse(struct arena *a, const char *data, size_t len,
			      struct csv_profiles *out);
void csv_profiles_release(struct csv_profiles *p);

#endif

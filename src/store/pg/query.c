/*
 * query.c - running one statement of the PostgreSQL backend: binding
 * parameters, preparing the statement on the connection the first time,
 * executing it, walking the rows and reading columns.
 *
 * Every value is a bound parameter: integers and text are sent as text,
 * bytea in binary format; results come back as text. Statements are
 * named after their enum (stmt.c) and prepared once per connection, so a
 * request costs one round trip per statement.
 *
 * Inside a transaction opened by store_begin() each statement runs under
 * a savepoint, so an answer such as OP_E_EXISTS leaves the caller's
 * transaction usable, as it does with SQLite (PostgreSQL would otherwise
 * abort the whole transaction on the first error). The backend's own
 * short transactions do not need this: they end at the first error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/pg/db.h"

enum op_rc
pg_query_start(struct pg_store *st, enum pg_stmt id, struct pg_query *q)
{
	enum op_rc rc;

	memset(q, 0, sizeof(*q));
	if (pg_stmts[id].sql == NULL)
		fatalx("store: statement %d has no SQL", (int)id);
	q->st = st;
	q->id = id;
	q->row = -1;
	rc = pg_conn_take(st, &q->conn);
	if (rc != OP_OK)
		q->conn = NULL;
	return rc;
}

void
pg_query_end(struct pg_query *q)
{
	PQclear(q->res);
	q->res = NULL;
	if (q->conn != NULL)
		pg_conn_give(q->st, q->conn);
	q->conn = NULL;
}

/* The slot of parameter idx (1-based), or NULL (a bug, reported at run). */
static int
slot(struct pg_query *q, int idx)
{
	if (idx < 1 || idx > PG_MAX_PARAMS) {
		q->bind_err = true;
		return -1;
	}
	if (idx > q->n_params)
		q->n_params = idx;
	return idx - 1;
}

void
pg_bind_int64(struct pg_query *q, int idx, int64_t v)
{
	int i = slot(q, idx);

	if (i < 0)
		return;
	snprintf(q->nums[i], sizeof(q->nums[i]), "%lld", (long long)v);
	q->values[i] = q->nums[i];
	q->lengths[i] = 0;
	q->formats[i] = 0;
}

void
pg_bind_bool(struct pg_query *q, int idx, bool v)
{
	int i = slot(q, idx);

	if (i < 0)
		return;
	q->values[i] = v ? "t" : "f";
	q->lengths[i] = 0;
	q->formats[i] = 0;
}

void
pg_bind_text(struct pg_query *q, int idx, const char *s)
{
	int i = slot(q, idx);

	if (i < 0)
		return;
	q->values[i] = s;	/* NULL is SQL NULL */
	q->lengths[i] = 0;
	q->formats[i] = 0;
}

void
pg_bind_bytea(struct pg_query *q, int idx, const void *p, size_t len)
{
	int i = slot(q, idx);

	if (i < 0)
		return;
	if (len > (size_t)1 << 30) {
		q->bind_err = true;
		return;
	}
	/* A zero-length value must still be non-NULL. */
	q->values[i] = len > 0 ? p : "";
	q->lengths[i] = (int)len;
	q->formats[i] = 1;
}

/* Prepares statement id on c unless it already is. */
static enum op_rc
prepare(struct pg_conn *c, enum pg_stmt id)
{
	PGresult *res;
	enum op_rc rc = OP_OK;

	if (c->prepared[id])
		return OP_OK;
	res = PQprepare(c->pg, pg_stmts[id].name, pg_stmts[id].sql, 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_result_error(c, res, pg_stmts[id].name);
	else
		c->prepared[id] = true;
	PQclear(res);
	/* Preparing never answers EXISTS/NOTFOUND: any failure is ours. */
	if (rc != OP_OK && rc != OP_E_STORE)
		rc = OP_E_STORE;
	return rc;
}

/* Prepares and executes; the result (success only) goes to q->res. */
static enum op_rc
execute(struct pg_query *q)
{
	struct pg_conn *c = q->conn;
	ExecStatusType status;
	PGresult *res;
	enum op_rc rc;

	rc = prepare(c, q->id);
	if (rc != OP_OK)
		return rc;
	res = PQexecPrepared(c->pg, pg_stmts[q->id].name, q->n_params,
			     q->values, q->lengths, q->formats, 0);
	status = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
		rc = pg_result_error(c, res, pg_stmts[q->id].name);
		PQclear(res);
		return rc;
	}
	q->res = res;
	q->n_rows = PQntuples(res);
	q->row = -1;
	return OP_OK;
}

static enum op_rc
query_exec(struct pg_query *q)
{
	struct pg_conn *c = q->conn;
	enum op_rc rc;

	if (c == NULL)
		return OP_E_STORE;
	if (q->bind_err) {
		log_warnx("store: statement '%s': parameter out of range",
			  pg_stmts[q->id].name);
		return OP_E_INTERNAL;
	}
	if (c->broken)
		return OP_E_STORE;
	if (!c->explicit_tx)
		return execute(q);
	rc = pg_conn_exec(c, "SAVEPOINT onepass_stmt", NULL);
	if (rc != OP_OK)
		return rc;
	rc = execute(q);
	if (rc != OP_OK && !c->broken &&
	    pg_conn_exec(c, "ROLLBACK TO SAVEPOINT onepass_stmt", NULL) !=
		    OP_OK)
		return OP_E_STORE;
	if (!c->broken &&
	    pg_conn_exec(c, "RELEASE SAVEPOINT onepass_stmt", NULL) != OP_OK)
		return OP_E_STORE;
	return rc;
}

enum op_rc
pg_query_row(struct pg_query *q)
{
	enum op_rc rc;

	if (q->res == NULL) {
		rc = query_exec(q);
		if (rc != OP_OK)
			return rc;
	}
	if (q->row + 1 >= q->n_rows) {
		q->row = q->n_rows;
		return OP_E_NOTFOUND;
	}
	q->row++;
	return OP_OK;
}

enum op_rc
pg_query_run(struct pg_query *q)
{
	if (q->res != NULL)
		return OP_OK;
	return query_exec(q);
}

int64_t
pg_query_changes(const struct pg_query *q)
{
	const char *n;

	if (q->res == NULL)
		return 0;
	n = PQcmdTuples(q->res);
	return n != NULL && n[0] != '\0' ? strtoll(n, NULL, 10) : 0;
}

enum op_rc
pg_query_update(struct pg_query *q)
{
	enum op_rc rc;

	rc = pg_query_run(q);
	if (rc == OP_OK && pg_query_changes(q) == 0)
		rc = OP_E_NOTFOUND;
	pg_query_end(q);
	return rc;
}

/* ---- columns of the current row ---- */

const char *
pg_col_text(const struct pg_query *q, int col)
{
	if (q->res == NULL || q->row < 0 || q->row >= q->n_rows ||
	    col >= PQnfields(q->res) || PQgetisnull(q->res, q->row, col))
		return NULL;
	return PQgetvalue(q->res, q->row, col);
}

bool
pg_col_null(const struct pg_query *q, int col)
{
	return pg_col_text(q, col) == NULL;
}

int64_t
pg_col_int64(const struct pg_query *q, int col)
{
	const char *s = pg_col_text(q, col);

	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

bool
pg_col_bool(const struct pg_query *q, int col)
{
	const char *s = pg_col_text(q, col);

	return s != NULL && s[0] == 't';
}

char *
pg_col_str(const struct pg_query *q, int col)
{
	const char *s = pg_col_text(q, col);

	return s != NULL ? xstrdup(s) : NULL;
}

void
pg_col_buf(const struct pg_query *q, int col, char *out, size_t size)
{
	const char *s = pg_col_text(q, col);
	size_t len;

	if (size == 0)
		return;
	len = s != NULL ? strnlen(s, size - 1) : 0;
	if (len > 0)
		memcpy(out, s, len);
	out[len] = '\0';
}

unsigned char *
pg_col_bytea(const struct pg_query *q, int col, size_t *len_out)
{
	const char *s = pg_col_text(q, col);
	unsigned char *raw, *out;
	size_t len = 0;

	*len_out = 0;
	if (s == NULL)
		return NULL;
	raw = PQunescapeBytea((const unsigned char *)s, &len);
	if (raw == NULL)
		return NULL;
	out = xmalloc(len + 1);
	if (len > 0)
		memcpy(out, raw, len);
	out[len] = '\0';
	/* Bodies carry link tokens, secrets are secrets. */
	sodium_memzero(raw, len);
	PQfreemem(raw);
	*len_out = len;
	return out;
}

/*
 * outbox.c - the mail outbox in the PostgreSQL backend: the outbox_*
 * operations of struct store_backend (store/backend.h).
 *
 * Messages are queued pending and handed to mail workers by claim: one
 * UPDATE stamps the due messages whose claim has lapsed with claimed_until
 * = now + lease and one more attempt, choosing them in a sub-select FOR
 * UPDATE SKIP LOCKED. Two nodes claiming at once therefore never get the
 * same message (the row lock and the re-check of claimed_until after it
 * see to that) and neither waits for the other; a worker that dies, or a
 * node killed mid-delivery, simply lets the lease run out and another
 * node's worker takes the message. mark_sent/retry/failed release the
 * claim. The body is BYTEA, bound and read in binary.
 */
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "store/pg/db.h"

/* Reads a row selected with OUTBOX_COLS (stmt.c), plus the body as
 * column 11 when with_body, into out. */
static void
read_msg(const struct pg_query *q, bool with_body, struct outbox_msg *out)
{
	memset(out, 0, sizeof(*out));
	out->id = pg_col_int64(q, 0);
	out->message_id = pg_col_str(q, 1);
	out->mail_from = pg_col_str(q, 2);
	out->rcpt = pg_col_str(q, 3);
	out->subject = pg_col_str(q, 4);
	out->status = (enum outbox_status)pg_col_int64(q, 5);
	out->attempts = (int)pg_col_int64(q, 6);
	out->created_at = pg_col_int64(q, 7);
	out->next_attempt_at = pg_col_int64(q, 8);
	out->sent_at = pg_col_int64(q, 9);
	out->last_error = pg_col_str(q, 10);
	if (!with_body)
		return;
	out->body = (char *)pg_col_bytea(q, 11, &out->body_len);
	if (out->body == NULL) {
		out->body = xstrdup("");
		out->body_len = 0;
	}
}

enum op_rc
pg_outbox_add(void *h, struct outbox_msg *m)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_text(&q, 1, m->message_id);
	pg_bind_text(&q, 2, m->mail_from);
	pg_bind_text(&q, 3, m->rcpt);
	pg_bind_text(&q, 4, m->subject);
	pg_bind_bytea(&q, 5, m->body, m->body_len);
	pg_bind_int64(&q, 6, m->created_at);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		m->id = pg_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;	/* RETURNING always returns the row */
	pg_query_end(&q);
	return rc;
}

static int
by_id(const void *a, const void *b)
{
	const struct outbox_msg *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

enum op_rc
pg_outbox_claim(void *h, int64_t now, int64_t lease_sec, size_t max,
		struct outbox_msg **out, size_t *n_out)
{
	struct outbox_msg *v = NULL;
	struct pg_query q;
	size_t n = 0, cap = 0;
	enum op_rc rc;

	*out = NULL;
	*n_out = 0;
	rc = pg_query_start(h, ST_OUTBOX_CLAIM, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, now);
	pg_bind_int64(&q, 2, now + lease_sec);
	pg_bind_int64(&q, 3, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	for (;;) {
		rc = pg_query_row(&q);
		if (rc != OP_OK)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		read_msg(&q, true, &v[n++]);
	}
	pg_query_end(&q);
	if (rc != OP_E_NOTFOUND) {
		while (n > 0)
			outbox_msg_release(&v[--n]);
		xfree(v);
		return rc;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_id);
	*out = v;
	*n_out = n;
	return OP_OK;
}

enum op_rc
pg_outbox_mark_sent(void *h, int64_t id, int64_t now)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_MARK_SENT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_int64(&q, 2, now);
	return pg_query_update(&q);
}

enum op_rc
pg_outbox_mark_retry(void *h, int64_t id, int64_t next_attempt_at,
		     const char *error)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_MARK_RETRY, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_int64(&q, 2, next_attempt_at);
	pg_bind_text(&q, 3, error);
	return pg_query_update(&q);
}

enum op_rc
pg_outbox_mark_failed(void *h, int64_t id, const char *error)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_MARK_FAILED, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_text(&q, 2, error);
	return pg_query_update(&q);
}

enum op_rc
pg_outbox_list(void *h, int status_filter,
	       int (*cb)(const struct outbox_msg *m, void *arg), void *arg)
{
	struct outbox_msg m;
	struct pg_query q;
	enum op_rc rc;
	int stop;

	rc = pg_query_start(h, ST_OUTBOX_LIST, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, status_filter);
	for (;;) {
		rc = pg_query_row(&q);
		if (rc != OP_OK)
			break;
		read_msg(&q, false, &m);
		stop = cb(&m, arg);
		outbox_msg_release(&m);
		if (stop != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_outbox_get(void *h, int64_t id, struct outbox_msg *out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_GET, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		read_msg(&q, true, out);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_outbox_count(void *h, enum outbox_status status, int64_t *count_out)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_COUNT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, status);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		*count_out = pg_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;	/* count(*) always returns a row */
	pg_query_end(&q);
	return rc;
}

/* Tells OP_E_NOTFOUND (no such id) from OP_E_CONFLICT (sent) after a
 * retry of one message changed no row. */
static enum op_rc
retry_why_not(void *h, int64_t id)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_OUTBOX_STATUS, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	rc = pg_query_row(&q);
	if (rc == OP_OK)
		rc = pg_col_int64(&q, 0) == OUTBOX_SENT ? OP_E_CONFLICT :
		    OP_E_STORE;
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_outbox_retry(void *h, int64_t id, int64_t now)
{
	struct pg_query q;
	enum op_rc rc;

	if (id == 0) {
		rc = pg_query_start(h, ST_OUTBOX_RETRY_ALL, &q);
		if (rc != OP_OK)
			return rc;
		pg_bind_int64(&q, 1, now);
		rc = pg_query_run(&q);
		pg_query_end(&q);
		return rc;
	}
	rc = pg_query_start(h, ST_OUTBOX_RETRY_ONE, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, id);
	pg_bind_int64(&q, 2, now);
	rc = pg_query_update(&q);
	if (rc == OP_E_NOTFOUND)
		rc = retry_why_not(h, id);
	return rc;
}

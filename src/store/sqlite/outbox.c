/*
 * outbox.c - the mail outbox in the SQLite backend: the outbox_*
 * operations of struct store_backend (store/backend.h).
 *
 * Messages are queued pending and handed to mail workers by claim: in one
 * BEGIN IMMEDIATE transaction it selects the due messages whose claim has
 * lapsed (claimed_until < now), then stamps each with claimed_until = now
 * + lease and one more attempt. The write lock makes the select and the
 * stamps one step for every process on the file, so a message is never
 * claimed twice while its lease holds; a worker that dies simply lets the
 * lease run out. mark_sent/retry/failed release the claim.
 */
#include <string.h>

#include "core/xmalloc.h"
#include "store/sqlite/db.h"

/* Reads a row selected with OUTBOX_COLS (stmt.c), plus the body as
 * column 11 when with_body, into out. */
static void
read_msg(const struct sq_query *q, bool with_body, struct outbox_msg *out)
{
	const void *body;
	int len;

	memset(out, 0, sizeof(*out));
	out->id = sq_col_int64(q, 0);
	out->message_id = sq_col_str(q, 1);
	out->mail_from = sq_col_str(q, 2);
	out->rcpt = sq_col_str(q, 3);
	out->subject = sq_col_str(q, 4);
	out->status = (enum outbox_status)sq_col_int64(q, 5);
	out->attempts = (int)sq_col_int64(q, 6);
	out->created_at = sq_col_int64(q, 7);
	out->next_attempt_at = sq_col_int64(q, 8);
	out->sent_at = sq_col_int64(q, 9);
	out->last_error = sq_col_str(q, 10);
	if (!with_body)
		return;
	body = sqlite3_column_blob(q->stmt, 11);
	len = sqlite3_column_bytes(q->stmt, 11);
	out->body_len = len > 0 ? (size_t)len : 0;
	out->body = xmalloc(out->body_len + 1);
	if (out->body_len > 0)
		memcpy(out->body, body, out->body_len);
	out->body[out->body_len] = '\0';
}

enum op_rc
sq_outbox_add(void *h, struct outbox_msg *m)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_text(&q, 1, m->message_id);
	sq_bind_text(&q, 2, m->mail_from);
	sq_bind_text(&q, 3, m->rcpt);
	sq_bind_text(&q, 4, m->subject);
	sq_bind_blob(&q, 5, m->body, m->body_len);
	sq_bind_int64(&q, 6, m->created_at);
	rc = sq_query_run(&q);
	if (rc == OP_OK)
		m->id = sqlite3_last_insert_rowid(q.conn->db);
	sq_query_end(&q);
	return rc;
}

/* The select half of claim: up to max due messages, in id order. */
static enum op_rc
claim_select(void *h, int64_t now, size_t max, struct outbox_msg **out,
	     size_t *n_out)
{
	struct outbox_msg *v = NULL;
	struct sq_query q;
	size_t n = 0, cap = 0;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_CLAIM_SELECT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, now);
	sq_bind_int64(&q, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
	for (;;) {
		rc = sq_query_row(&q);
		if (rc != OP_OK)
			break;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		read_msg(&q, true, &v[n++]);
	}
	sq_query_end(&q);
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	*out = v;
	*n_out = n;
	return rc;
}

static enum op_rc
claim_stamp(void *h, struct outbox_msg *m, int64_t claimed_until)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_CLAIM_UPDATE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, m->id);
	sq_bind_int64(&q, 2, claimed_until);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	if (rc == OP_OK)
		m->attempts++;
	return rc;
}

static void
msgs_free(struct outbox_msg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		outbox_msg_release(&v[i]);
	xfree(v);
}

enum op_rc
sq_outbox_claim(void *h, int64_t now, int64_t lease_sec, size_t max,
		struct outbox_msg **out, size_t *n_out)
{
	struct outbox_msg *v = NULL;
	size_t i, n = 0;
	enum op_rc rc;
	bool own;

	*out = NULL;
	*n_out = 0;
	rc = sq_tx_begin(h, &own);
	if (rc != OP_OK)
		return rc;
	rc = claim_select(h, now, max, &v, &n);
	for (i = 0; rc == OP_OK && i < n; i++)
		rc = claim_stamp(h, &v[i], now + lease_sec);
	rc = sq_tx_end(h, own, rc);
	if (rc != OP_OK) {
		msgs_free(v, n);
		return rc;
	}
	*out = v;
	*n_out = n;
	return OP_OK;
}

enum op_rc
sq_outbox_mark_sent(void *h, int64_t id, int64_t now)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_MARK_SENT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_int64(&q, 2, now);
	return sq_query_update(&q);
}

enum op_rc
sq_outbox_mark_retry(void *h, int64_t id, int64_t next_attempt_at,
		     const char *error)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_MARK_RETRY, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_int64(&q, 2, next_attempt_at);
	sq_bind_text(&q, 3, error);
	return sq_query_update(&q);
}

enum op_rc
sq_outbox_mark_failed(void *h, int64_t id, const char *error)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_MARK_FAILED, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_text(&q, 2, error);
	return sq_query_update(&q);
}

enum op_rc
sq_outbox_list(void *h, int status_filter,
	       int (*cb)(const struct outbox_msg *m, void *arg), void *arg)
{
	struct outbox_msg m;
	struct sq_query q;
	enum op_rc rc;
	int stop;

	rc = sq_query_start(h, ST_OUTBOX_LIST, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, status_filter);
	for (;;) {
		rc = sq_query_row(&q);
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
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_outbox_get(void *h, int64_t id, struct outbox_msg *out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_GET, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		read_msg(&q, true, out);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_outbox_count(void *h, enum outbox_status status, int64_t *count_out)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_COUNT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, status);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		*count_out = sq_col_int64(&q, 0);
	else if (rc == OP_E_NOTFOUND)
		rc = OP_E_STORE;	/* count(*) always returns a row */
	sq_query_end(&q);
	return rc;
}

/* Tells OP_E_NOTFOUND (no such id) from OP_E_CONFLICT (sent) after a
 * retry of one message changed no row. */
static enum op_rc
retry_why_not(void *h, int64_t id)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_OUTBOX_STATUS, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	rc = sq_query_row(&q);
	if (rc == OP_OK)
		rc = sq_col_int64(&q, 0) == OUTBOX_SENT ? OP_E_CONFLICT :
		    OP_E_STORE;
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_outbox_retry(void *h, int64_t id, int64_t now)
{
	struct sq_query q;
	enum op_rc rc;

	if (id == 0) {
		rc = sq_query_start(h, ST_OUTBOX_RETRY_ALL, &q);
		if (rc != OP_OK)
			return rc;
		sq_bind_int64(&q, 1, now);
		rc = sq_query_run(&q);
		sq_query_end(&q);
		return rc;
	}
	rc = sq_query_start(h, ST_OUTBOX_RETRY_ONE, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, id);
	sq_bind_int64(&q, 2, now);
	rc = sq_query_update(&q);
	if (rc == OP_E_NOTFOUND)
		rc = retry_why_not(h, id);
	return rc;
}

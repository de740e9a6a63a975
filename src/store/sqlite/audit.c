/*
 * audit.c - the append-only audit log in the SQLite backend: the audit_*
 * operations of struct store_backend (store/backend.h).
 *
 * Rows refer to users by id without a foreign key, so the record of what
 * happened to an account outlives the account.
 */
#include "store/sqlite/db.h"

enum op_rc
sq_audit_add(void *h, const struct audit_event *ev)
{
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_AUDIT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	sq_bind_int64(&q, 1, ev->at);
	sq_bind_text(&q, 2, ev->event);
	sq_bind_int64(&q, 3, ev->user_id);
	sq_bind_text(&q, 4, ev->ip);
	sq_bind_text(&q, 5, ev->detail);
	rc = sq_query_run(&q);
	sq_query_end(&q);
	return rc;
}

enum op_rc
sq_audit_list(void *h, int (*cb)(const struct audit_event *ev, void *arg),
	      void *arg)
{
	struct audit_event ev;
	struct sq_query q;
	enum op_rc rc;

	rc = sq_query_start(h, ST_AUDIT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = sq_query_row(&q);
		if (rc != OP_OK)
			break;
		/* Strings borrowed from the statement: valid until the next
		 * step, which is after the callback returns. */
		ev.id = sq_col_int64(&q, 0);
		ev.at = sq_col_int64(&q, 1);
		ev.event = sq_col_text(&q, 2);
		ev.user_id = sq_col_int64(&q, 3);
		ev.ip = sq_col_text(&q, 4);
		ev.detail = sq_col_text(&q, 5);
		if (cb(&ev, arg) != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	sq_query_end(&q);
	return rc;
}

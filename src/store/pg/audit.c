/*
 * audit.c - the append-only audit log in the PostgreSQL backend: the audit_*
 * operations of struct store_backend (store/backend.h).
 *
 * Rows refer to users by id without a foreign key, so the record of what
 * happened to an account outlives the account.
 */
#include "store/pg/db.h"

enum op_rc
pg_audit_add(void *h, const struct audit_event *ev)
{
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_AUDIT_INSERT, &q);
	if (rc != OP_OK)
		return rc;
	pg_bind_int64(&q, 1, ev->at);
	pg_bind_text(&q, 2, ev->event);
	pg_bind_int64(&q, 3, ev->user_id);
	pg_bind_text(&q, 4, ev->ip);
	pg_bind_text(&q, 5, ev->detail);
	rc = pg_query_run(&q);
	pg_query_end(&q);
	return rc;
}

enum op_rc
pg_audit_list(void *h, int (*cb)(const struct audit_event *ev, void *arg),
	      void *arg)
{
	struct audit_event ev;
	struct pg_query q;
	enum op_rc rc;

	rc = pg_query_start(h, ST_AUDIT_LIST, &q);
	if (rc != OP_OK)
		return rc;
	for (;;) {
		rc = pg_query_row(&q);
		if (rc != OP_OK)
			break;
		/* Strings borrowed from the statement: valid until the next
		 * step, which is after the callback returns. */
		ev.id = pg_col_int64(&q, 0);
		ev.at = pg_col_int64(&q, 1);
		ev.event = pg_col_text(&q, 2);
		ev.user_id = pg_col_int64(&q, 3);
		ev.ip = pg_col_text(&q, 4);
		ev.detail = pg_col_text(&q, 5);
		if (cb(&ev, arg) != 0)
			break;
	}
	if (rc == OP_E_NOTFOUND)
		rc = OP_OK;
	pg_query_end(&q);
	return rc;
}

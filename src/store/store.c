/*
 * store.c - the store facade: the store_* functions of store.h up to the
 * server secrets and store_gc (those of the OpenID Connect provider are in
 * store_oidc.c). It picks the backend named by the configuration, checks
 * each argument, and only then forwards the call to the backend's table
 * (store/backend.h).
 *
 * The facade owns the semantics that must not differ between backends:
 * which arguments are acceptable (non-NULL, lengths, token hashes as 64
 * lower-case hex digits, canonical e-mail addresses, no CR/LF in anything
 * that ends up in a mail header), and a few normalisations (an over-long
 * user agent, audit detail or mail error is cut at a UTF-8 boundary rather
 * than refused, so a sign-in or a retry never fails for it). Bad input
 * returns OP_E_INVALID before any backend code runs, and out-records are
 * zeroed first so releasing one after a failure is always safe.
 *
 * It lower-cases nothing: callers pass addresses already canonical
 * (core/email.h), and an email_canon with upper case is refused so a
 * caller's mistake cannot create two accounts for one address.
 *
 * Backends log their own failures (once, naming the statement); the
 * facade only notes refused arguments at debug level.
 */
#include <string.h>

#include <sodium.h>

#include "core/config.h"
#include "core/email.h"
#include "core/log.h"
#include "core/xmalloc.h"
#include "store/facade.h"
#include "store/store.h"

#define STORE_SUB_MAX 255
#define STORE_PW_HASH_MAX 512
#define STORE_IP_MAX 64		/* an IPv6 text form is at most 45 */
#define STORE_USER_AGENT_MAX 512	/* longer is cut */
#define STORE_DATA_MAX 1024
#define STORE_KEY_MAX 512
#define STORE_EVENT_MAX 64
#define STORE_DETAIL_MAX 2048	/* longer is cut */
#define STORE_SECRET_NAME_MAX 64
#define STORE_MESSAGE_ID_MAX 255
#define STORE_SUBJECT_MAX 998	/* RFC 5322 line limit */
#define STORE_MAIL_ERROR_MAX 1024	/* longer is cut */
#define STORE_BODY_MAX (8u * 1024 * 1024)

/* A canonical address: printable ASCII without upper case or space. */
static bool
valid_canon(const char *e)
{
	size_t i;

	if (!valid_str(e, EMAIL_MAX) || strchr(e, '@') == NULL)
		return false;
	for (i = 0; e[i] != '\0'; i++) {
		unsigned char c = (unsigned char)e[i];
		if (c <= ' ' || c >= 0x7f || (c >= 'A' && c <= 'Z'))
			return false;
	}
	return true;
}

static bool
valid_kind(enum onetime_kind kind)
{
	return kind == ONETIME_VERIFY || kind == ONETIME_RESET ||
	       kind == ONETIME_EMAIL_CHANGE;
}

static bool
valid_status(int status)
{
	return status == OUTBOX_PENDING || status == OUTBOX_SENT ||
	       status == OUTBOX_FAILED;
}

/*
 * Returns s unchanged when it fits in max bytes; otherwise a new copy cut
 * to at most max bytes without splitting a UTF-8 sequence, stored in
 * *copy for the caller to xfree().
 */
static const char *
cut_utf8(const char *s, size_t max, char **copy)
{
	size_t len;

	*copy = NULL;
	if (s == NULL || strnlen(s, max + 1) <= max)
		return s;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	*copy = xstrndup(s, len);
	return *copy;
}

/* ---- lifecycle ---- */

/* Returns the backend cfg names, or NULL with the reason in err (every
 * failure here is OP_E_INVALID). */
static const struct store_backend *
pick_backend(const struct config *cfg, struct op_err *err)
{
	const char *url = cfg->store_url != NULL ? cfg->store_url : "";
	size_t scheme;

	if (url[0] == '\0' || strncmp(url, "sqlite:", 7) == 0) {
		if (cfg->store_path != NULL && cfg->store_path[0] != '\0')
			return &store_backend_sqlite;
		op_err_set(err, OP_E_INVALID,
			   "no database path for the sqlite store");
		return NULL;
	}
	if (strncmp(url, "postgresql://", 13) == 0 ||
	    strncmp(url, "postgres://", 11) == 0)
		return &store_backend_pg;
	/* Name only the scheme: the rest may hold a password. */
	scheme = strcspn(url, ":");
	if (scheme > 32)
		scheme = 32;
	op_err_set(err, OP_E_INVALID, "unsupported store url scheme '%.*s'",
		   (int)scheme, url);
	return NULL;
}

enum op_rc
store_open(const struct config *cfg, struct store **out, struct op_err *err)
{
	const struct store_backend *be;
	struct store *st;
	enum op_rc rc;
	void *h;

	if (out == NULL)
		return op_err_set(err, OP_E_INVALID, "store_open: no out");
	*out = NULL;
	if (cfg == NULL)
		return op_err_set(err, OP_E_INVALID, "store_open: no config");
	be = pick_backend(cfg, err);
	if (be == NULL)
		return OP_E_INVALID;
	rc = be->open(cfg, &h, err);
	if (rc != OP_OK)
		return rc;
	st = xcalloc(1, sizeof(*st));
	st->be = be;
	st->h = h;
	*out = st;
	return OP_OK;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->be->close(st->h);
	xfree(st);
}

enum op_rc
store_schema_version(struct store *st, int *version_out)
{
	if (st == NULL || version_out == NULL)
		REFUSE("argument");
	return st->be->schema_version(st->h, version_out);
}

enum op_rc
store_begin(struct store *st)
{
	if (st == NULL)
		REFUSE("store");
	return st->be->begin(st->h);
}

enum op_rc
store_commit(struct store *st)
{
	if (st == NULL)
		REFUSE("store");
	return st->be->commit(st->h);
}

void
store_rollback(struct store *st)
{
	enum op_rc rc;

	if (st == NULL)
		return;
	rc = st->be->rollback(st->h);
	if (rc != OP_OK)
		log_warnx("store: rollback failed: %s", op_strerror(rc));
}

/* ---- users ---- */

void
user_release(struct user *u)
{
	if (u == NULL)
		return;
	xfree(u->sub);
	xfree(u->email);
	xfree(u->email_canon);
	xfreestr_secret(u->pw_hash);
	memset(u, 0, sizeof(*u));
}

enum op_rc
store_user_create(struct store *st, struct user *u)
{
	if (st == NULL || u == NULL)
		REFUSE("argument");
	if (!valid_line(u->sub, STORE_SUB_MAX))
		REFUSE("sub");
	if (!valid_line(u->email, EMAIL_MAX))
		REFUSE("email");
	if (!valid_canon(u->email_canon))
		REFUSE("email_canon");
	if (!valid_line(u->pw_hash, STORE_PW_HASH_MAX))
		REFUSE("pw_hash");
	return st->be->user_create(st->h, u);
}

enum op_rc
store_user_by_email(struct store *st, const char *email_canon,
		    struct user *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_canon(email_canon))
		REFUSE("email_canon");
	return st->be->user_by_email(st->h, email_canon, out);
}

enum op_rc
store_user_by_id(struct store *st, int64_t id, struct user *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (id <= 0)
		REFUSE("id");
	return st->be->user_by_id(st->h, id, out);
}

enum op_rc
store_user_set_password(struct store *st, int64_t id, const char *pw_hash)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	if (!valid_line(pw_hash, STORE_PW_HASH_MAX))
		REFUSE("pw_hash");
	return st->be->user_set_password(st->h, id, pw_hash);
}

enum op_rc
store_user_set_email(struct store *st, int64_t id, const char *email,
		     const char *email_canon)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	if (!valid_line(email, EMAIL_MAX))
		REFUSE("email");
	if (!valid_canon(email_canon))
		REFUSE("email_canon");
	return st->be->user_set_email(st->h, id, email, email_canon);
}

enum op_rc
store_user_set_verified(struct store *st, int64_t id)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	return st->be->user_set_verified(st->h, id);
}

enum op_rc
store_user_set_disabled(struct store *st, int64_t id, bool disabled)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	return st->be->user_set_disabled(st->h, id, disabled);
}

enum op_rc
store_user_note_failure(struct store *st, int64_t id, int64_t now,
			int max_failures, int *failures_out)
{
	if (st == NULL || id <= 0 || failures_out == NULL)
		REFUSE("argument");
	if (max_failures <= 0)
		REFUSE("max_failures");
	return st->be->user_note_failure(st->h, id, now, max_failures,
					 failures_out);
}

enum op_rc
store_user_clear_failures(struct store *st, int64_t id)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	return st->be->user_clear_failures(st->h, id);
}

enum op_rc
store_user_delete(struct store *st, int64_t id)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	return st->be->user_delete(st->h, id);
}

enum op_rc
store_user_list(struct store *st, int (*cb)(const struct user *u, void *arg),
		void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	return st->be->user_list(st->h, cb, arg);
}

/* ---- sessions ---- */

void
session_release(struct session *s)
{
	if (s == NULL)
		return;
	xfree(s->ip);
	xfree(s->user_agent);
	memset(s, 0, sizeof(*s));
}

enum op_rc
store_session_create(struct store *st, const struct session *s)
{
	struct session norm;
	char *ua_copy;
	enum op_rc rc;

	if (st == NULL || s == NULL)
		REFUSE("argument");
	if (!valid_hash(s->hash))
		REFUSE("hash");
	if (s->user_id <= 0)
		REFUSE("user_id");
	if (!valid_opt_line(s->ip, STORE_IP_MAX))
		REFUSE("ip");
	/* "" (no public id) or an identifier ending inside the array. */
	if (strnlen(s->sid, sizeof(s->sid)) == sizeof(s->sid) ||
	    (s->sid[0] != '\0' && !valid_ident(s->sid, STORE_SID_MAX)))
		REFUSE("sid");
	norm = *s;
	norm.user_agent = (char *)cut_utf8(s->user_agent,
					   STORE_USER_AGENT_MAX, &ua_copy);
	rc = st->be->session_create(st->h, &norm);
	xfree(ua_copy);
	return rc;
}

enum op_rc
store_session_get(struct store *st, const char *hash, int64_t now,
		  struct session *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->session_get(st->h, hash, now, out);
}

enum op_rc
store_session_touch(struct store *st, const char *hash, int64_t now)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->session_touch(st->h, hash, now);
}

enum op_rc
store_session_delete(struct store *st, const char *hash)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->session_delete(st->h, hash);
}

enum op_rc
store_session_delete_user(struct store *st, int64_t user_id,
			  const char *except_hash)
{
	if (st == NULL || user_id <= 0)
		REFUSE("argument");
	if (except_hash != NULL && !valid_hash(except_hash))
		REFUSE("except_hash");
	return st->be->session_delete_user(st->h, user_id, except_hash);
}

enum op_rc
store_session_list_user(struct store *st, int64_t user_id, int64_t now,
			int (*cb)(const struct session *s, void *arg),
			void *arg)
{
	if (st == NULL || user_id <= 0 || cb == NULL)
		REFUSE("argument");
	return st->be->session_list_user(st->h, user_id, now, cb, arg);
}

/* ---- one-time tokens ---- */

void
onetime_release(struct onetime *t)
{
	if (t == NULL)
		return;
	xfree(t->data);
	memset(t, 0, sizeof(*t));
}

enum op_rc
store_onetime_create(struct store *st, const struct onetime *t)
{
	if (st == NULL || t == NULL)
		REFUSE("argument");
	if (!valid_hash(t->hash))
		REFUSE("hash");
	if (!valid_kind(t->kind))
		REFUSE("kind");
	if (t->user_id <= 0)
		REFUSE("user_id");
	if (!valid_opt_line(t->data, STORE_DATA_MAX))
		REFUSE("data");
	return st->be->onetime_create(st->h, t);
}

enum op_rc
store_onetime_consume(struct store *st, enum onetime_kind kind,
		      const char *hash, int64_t now, struct onetime *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_kind(kind))
		REFUSE("kind");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->onetime_consume(st->h, kind, hash, now, out);
}

enum op_rc
store_onetime_peek(struct store *st, enum onetime_kind kind,
		   const char *hash, int64_t now, struct onetime *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_kind(kind))
		REFUSE("kind");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->onetime_peek(st->h, kind, hash, now, out);
}

enum op_rc
store_onetime_revoke_user(struct store *st, enum onetime_kind kind,
			  int64_t user_id)
{
	if (st == NULL || user_id <= 0)
		REFUSE("argument");
	if (!valid_kind(kind))
		REFUSE("kind");
	return st->be->onetime_revoke_user(st->h, kind, user_id);
}

/* ---- throttling ---- */

enum op_rc
store_throttle_hit(struct store *st, const char *key, int64_t now,
		   int64_t window_sec, int *count_out)
{
	if (st == NULL || count_out == NULL)
		REFUSE("argument");
	if (!valid_str(key, STORE_KEY_MAX))
		REFUSE("key");
	if (window_sec <= 0)
		REFUSE("window_sec");
	return st->be->throttle_hit(st->h, key, now, window_sec, count_out);
}

enum op_rc
store_throttle_get(struct store *st, const char *key, int64_t now,
		   int64_t window_sec, int *count_out)
{
	if (st == NULL || count_out == NULL)
		REFUSE("argument");
	*count_out = 0;
	if (!valid_str(key, STORE_KEY_MAX))
		REFUSE("key");
	if (window_sec <= 0)
		REFUSE("window_sec");
	return st->be->throttle_get(st->h, key, now, window_sec, count_out);
}

enum op_rc
store_throttle_clear(struct store *st, const char *key)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_str(key, STORE_KEY_MAX))
		REFUSE("key");
	return st->be->throttle_clear(st->h, key);
}

/* ---- mail outbox ---- */

void
outbox_msg_release(struct outbox_msg *m)
{
	if (m == NULL)
		return;
	xfree(m->message_id);
	xfree(m->mail_from);
	xfree(m->rcpt);
	xfree(m->subject);
	/* The body may carry a sign-in or reset link. */
	xfreezero(m->body, m->body_len);
	xfree(m->last_error);
	memset(m, 0, sizeof(*m));
}

enum op_rc
store_outbox_add(struct store *st, struct outbox_msg *m)
{
	enum op_rc rc;

	if (st == NULL || m == NULL)
		REFUSE("argument");
	if (!valid_line(m->message_id, STORE_MESSAGE_ID_MAX))
		REFUSE("message_id");
	if (!valid_line(m->mail_from, EMAIL_MAX))
		REFUSE("mail_from");
	if (!valid_line(m->rcpt, EMAIL_MAX))
		REFUSE("rcpt");
	if (m->subject == NULL || strpbrk(m->subject, "\r\n") != NULL ||
	    strnlen(m->subject, STORE_SUBJECT_MAX + 1) > STORE_SUBJECT_MAX)
		REFUSE("subject");
	if (m->body == NULL || m->body_len == 0 ||
	    m->body_len > STORE_BODY_MAX)
		REFUSE("body");
	rc = st->be->outbox_add(st->h, m);
	if (rc == OP_OK) {
		m->status = OUTBOX_PENDING;
		m->attempts = 0;
		m->next_attempt_at = m->created_at;
		m->sent_at = 0;
	}
	return rc;
}

enum op_rc
store_outbox_claim(struct store *st, int64_t now, int64_t lease_sec,
		   size_t max, struct outbox_msg **out, size_t *n_out)
{
	if (st == NULL || out == NULL || n_out == NULL)
		REFUSE("argument");
	*out = NULL;
	*n_out = 0;
	if (lease_sec <= 0)
		REFUSE("lease_sec");
	if (max == 0)
		REFUSE("max");
	return st->be->outbox_claim(st->h, now, lease_sec, max, out, n_out);
}

enum op_rc
store_outbox_mark_sent(struct store *st, int64_t id, int64_t now)
{
	if (st == NULL || id <= 0)
		REFUSE("argument");
	return st->be->outbox_mark_sent(st->h, id, now);
}

enum op_rc
store_outbox_mark_retry(struct store *st, int64_t id, int64_t next_attempt_at,
			const char *error)
{
	char *copy;
	enum op_rc rc;

	if (st == NULL || id <= 0)
		REFUSE("argument");
	error = cut_utf8(error, STORE_MAIL_ERROR_MAX, &copy);
	rc = st->be->outbox_mark_retry(st->h, id, next_attempt_at, error);
	xfree(copy);
	return rc;
}

enum op_rc
store_outbox_mark_failed(struct store *st, int64_t id, const char *error)
{
	char *copy;
	enum op_rc rc;

	if (st == NULL || id <= 0)
		REFUSE("argument");
	error = cut_utf8(error, STORE_MAIL_ERROR_MAX, &copy);
	rc = st->be->outbox_mark_failed(st->h, id, error);
	xfree(copy);
	return rc;
}

enum op_rc
store_outbox_list(struct store *st, int status_filter,
		  int (*cb)(const struct outbox_msg *m, void *arg), void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	if (status_filter < 0)
		status_filter = -1;
	else if (!valid_status(status_filter))
		REFUSE("status_filter");
	return st->be->outbox_list(st->h, status_filter, cb, arg);
}

enum op_rc
store_outbox_get(struct store *st, int64_t id, struct outbox_msg *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (id <= 0)
		REFUSE("id");
	return st->be->outbox_get(st->h, id, out);
}

enum op_rc
store_outbox_count(struct store *st, enum outbox_status status,
		   int64_t *count_out)
{
	if (st == NULL || count_out == NULL)
		REFUSE("argument");
	*count_out = 0;
	if (!valid_status((int)status))
		REFUSE("status");
	return st->be->outbox_count(st->h, status, count_out);
}

enum op_rc
store_outbox_retry(struct store *st, int64_t id, int64_t now)
{
	if (st == NULL || id < 0)
		REFUSE("argument");
	if (st->be->outbox_retry == NULL)
		return OP_E_STORE;	/* a backend without it yet */
	return st->be->outbox_retry(st->h, id, now);
}

/* ---- audit log ---- */

enum op_rc
store_audit_add(struct store *st, const struct audit_event *ev)
{
	struct audit_event norm;
	char *copy;
	enum op_rc rc;

	if (st == NULL || ev == NULL)
		REFUSE("argument");
	if (!valid_line(ev->event, STORE_EVENT_MAX))
		REFUSE("event");
	if (ev->user_id < 0)
		REFUSE("user_id");
	if (!valid_opt_line(ev->ip, STORE_IP_MAX))
		REFUSE("ip");
	norm = *ev;
	norm.detail = cut_utf8(ev->detail, STORE_DETAIL_MAX, &copy);
	rc = st->be->audit_add(st->h, &norm);
	xfree(copy);
	return rc;
}

enum op_rc
store_audit_list(struct store *st,
		 int (*cb)(const struct audit_event *ev, void *arg), void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	return st->be->audit_list(st->h, cb, arg);
}

/* ---- secrets and collection ---- */

enum op_rc
store_secret(struct store *st, const char *name, unsigned char out[32])
{
	enum op_rc rc;

	if (st == NULL || out == NULL)
		REFUSE("argument");
	if (!valid_line(name, STORE_SECRET_NAME_MAX))
		REFUSE("name");
	rc = st->be->secret(st->h, name, out);
	if (rc != OP_OK)
		sodium_memzero(out, 32);
	return rc;
}

enum op_rc
store_gc(struct store *st, int64_t now)
{
	if (st == NULL)
		REFUSE("store");
	return st->be->gc(st->h, now);
}

enum op_rc
store_scrub(struct store *st)
{
	if (st == NULL)
		REFUSE("store");
	if (st->be->scrub == NULL)
		return OP_OK;
	return st->be->scrub(st->h);
}

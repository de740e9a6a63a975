/*
 * store_biz.c - the store facade, continued: the records of the business
 * site (the profile directory, association links, business sessions,
 * pending business sign-ins, the portals' client registrations). As in
 * store.c, each function checks its arguments, zeroes its out-record,
 * and only then forwards the call to the backend (store/backend.h); bad
 * input is OP_E_INVALID before any backend code runs.
 *
 * What is acceptable is decided here, once for every backend:
 *   - a profile's address: a valid address (core/email.h) without
 *     surrounding white space; email_canon is its canonical form, which
 *     the facade computes when the caller leaves it NULL and otherwise
 *     checks (a mismatch is refused, so no caller can file a profile
 *     under another address than the one shown);
 *   - profile names and companies: 1..200 characters of well-formed
 *     UTF-8 without control characters (C0, DEL, C1);
 *   - profile types: PROFILE_CUSTOMER, PROFILE_PARTNER;
 *   - issuers: 1..2048 bytes of printable ASCII without space;
 *     subjects: 1..255 bytes of UTF-8 without control characters;
 *   - portal slugs: 1..64 bytes of printable ASCII without space;
 *   - token, code, state and link hashes: 64 lower-case hex digits;
 *   - nonces: 1..512 bytes of printable ASCII without space; PKCE
 *     verifiers: 43..128 RFC 7636 unreserved characters;
 *   - purposes: "login", "associate";
 *   - return paths: NULL, or a same-site path ("/" not followed by "/"
 *     or "\"), printable ASCII without space, at most 2048 bytes;
 *   - ID tokens: NULL, or 1..16384 bytes of printable ASCII without space;
 *   - client ids: 1..128 bytes of printable ASCII without space; client
 *     secrets: NULL or 1..4096 bytes of UTF-8 without control characters.
 * Everything stored as text is valid UTF-8, so a PostgreSQL backend never
 * meets an encoding error.
 */
#include <stdint.h>
#include <string.h>

#include "core/email.h"
#include "core/xmalloc.h"
#include "store/facade.h"
#include "store/store.h"

#define STORE_PROFILE_CHARS 200
#define STORE_PROFILE_MAX (4 * STORE_PROFILE_CHARS)	/* bytes */
#define STORE_ISSUER_MAX 2048
#define STORE_SUBJECT_MAX 255
#define STORE_PORTAL_MAX 64
#define STORE_NONCE_MAX 512
#define STORE_VERIFIER_MIN 43
#define STORE_VERIFIER_MAX 128
#define STORE_RETURN_TO_MAX 2048
#define STORE_ID_TOKEN_MAX (16 * 1024)
#define STORE_CLIENT_ID_MAX 128
#define STORE_CLIENT_SECRET_MAX 4096

/* ---- argument checks ---- */


static bool
valid_issuer(const char *s)
{
	return valid_ident(s, STORE_ISSUER_MAX);
}

static bool
valid_subject(const char *s)
{
	return valid_text(s, STORE_SUBJECT_MAX, STORE_SUBJECT_MAX);
}

/* An RFC 7636 code_verifier. */
static bool
valid_verifier(const char *s)
{
	size_t i, len;

	if (s == NULL)
		return false;
	len = strnlen(s, STORE_VERIFIER_MAX + 1);
	if (len < STORE_VERIFIER_MIN || len > STORE_VERIFIER_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return false;
	}
	return true;
}

/* NULL, or a path on this site: "/x", never "//host" or "/\host". */
static bool
valid_opt_return_to(const char *s)
{
	if (s == NULL)
		return true;
	return valid_ident(s, STORE_RETURN_TO_MAX) && s[0] == '/' &&
	       s[1] != '/' && s[1] != '\\';
}

static bool
valid_purpose(const char *s)
{
	return s != NULL &&
	       (strcmp(s, "login") == 0 || strcmp(s, "associate") == 0);
}

static bool
valid_profile_type(enum profile_type t)
{
	return t == PROFILE_CUSTOMER || t == PROFILE_PARTNER;
}

/* True when canon is a canonical address (what email_canonical makes). */
static bool
valid_canon(const char *canon)
{
	char again[EMAIL_MAX + 1];

	return valid_str(canon, EMAIL_MAX) && email_canonical(canon, again) &&
	       strcmp(canon, again) == 0;
}

/*
 * Checks p and writes the canonical form of its address into canon.
 * Returns NULL, or the name of the first field refused.
 */
static const char *
check_profile(const struct profile *p, char canon[EMAIL_MAX + 1])
{
	if (!valid_line(p->email, EMAIL_MAX) ||
	    !email_canonical(p->email, canon) ||
	    strlen(canon) != strlen(p->email))
		return "email";
	if (p->email_canon != NULL && strcmp(p->email_canon, canon) != 0)
		return "email_canon";
	if (!valid_text(p->name, STORE_PROFILE_MAX, STORE_PROFILE_CHARS))
		return "name";
	if (!valid_text(p->company, STORE_PROFILE_MAX, STORE_PROFILE_CHARS))
		return "company";
	if (!valid_profile_type(p->type))
		return "type";
	if ((p->issuer == NULL) != (p->subject == NULL))
		return "identity";
	if (p->issuer != NULL &&
	    (!valid_issuer(p->issuer) || !valid_subject(p->subject)))
		return "identity";
	if (p->associated_at < 0)
		return "associated_at";
	return NULL;
}

/* ---- profiles ---- */

void
store_profile_release(struct profile *p)
{
	if (p == NULL)
		return;
	xfree(p->email);
	xfree(p->email_canon);
	xfree(p->name);
	xfree(p->company);
	xfree(p->issuer);
	xfree(p->subject);
	memset(p, 0, sizeof(*p));
}

enum op_rc
store_profile_create(struct store *st, struct profile *p)
{
	char canon[EMAIL_MAX + 1];
	struct profile norm;
	const char *what;
	enum op_rc rc;

	if (st == NULL || p == NULL)
		REFUSE("argument");
	what = check_profile(p, canon);
	if (what != NULL)
		REFUSE(what);
	norm = *p;
	norm.email_canon = canon;
	rc = st->be->profile_create(st->h, &norm);
	if (rc == OP_OK)
		p->id = norm.id;
	return rc;
}

enum op_rc
store_profile_import(struct store *st, struct profile *v, size_t n,
		     size_t *bad_index)
{
	char canon[EMAIL_MAX + 1];
	struct profile *norm;
	const char *what;
	size_t i, bad = 0;
	enum op_rc rc;

	if (bad_index != NULL)
		*bad_index = 0;
	if (st == NULL || (v == NULL && n > 0))
		REFUSE("argument");
	if (n == 0)
		return OP_OK;
	for (i = 0; i < n; i++) {
		what = check_profile(&v[i], canon);
		if (what != NULL) {
			if (bad_index != NULL)
				*bad_index = i;
			log_debug("store: %s: invalid %s at %zu", __func__,
				  what, i);
			return OP_E_INVALID;
		}
	}
	/* The backend gets each row with its canonical address. */
	norm = xcalloc(n, sizeof(*norm));
	for (i = 0; i < n; i++) {
		norm[i] = v[i];
		if (v[i].email_canon == NULL) {
			email_canonical(v[i].email, canon);
			norm[i].email_canon = xstrdup(canon);
		}
	}
	rc = st->be->profile_import(st->h, norm, n, &bad);
	for (i = 0; i < n; i++) {
		v[i].id = rc == OP_OK ? norm[i].id : 0;
		if (v[i].email_canon == NULL)
			xfree(norm[i].email_canon);
	}
	xfree(norm);
	if (rc != OP_OK && bad_index != NULL)
		*bad_index = bad < n ? bad : 0;
	return rc;
}

enum op_rc
store_profile_get(struct store *st, int64_t id, struct profile *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (id <= 0)
		REFUSE("id");
	return st->be->profile_get(st->h, id, out);
}

enum op_rc
store_profile_by_email(struct store *st, const char *email_canon,
		       int (*cb)(const struct profile *p, void *arg),
		       void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	if (!valid_canon(email_canon))
		REFUSE("email_canon");
	return st->be->profile_by_email(st->h, email_canon, cb, arg);
}

enum op_rc
store_profile_by_identity(struct store *st, const char *issuer,
			  const char *subject,
			  int (*cb)(const struct profile *p, void *arg),
			  void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	if (!valid_issuer(issuer))
		REFUSE("issuer");
	if (!valid_subject(subject))
		REFUSE("subject");
	return st->be->profile_by_identity(st->h, issuer, subject, cb, arg);
}

enum op_rc
store_profile_list(struct store *st,
		   int (*cb)(const struct profile *p, void *arg), void *arg)
{
	if (st == NULL || cb == NULL)
		REFUSE("argument");
	return st->be->profile_list(st->h, cb, arg);
}

enum op_rc
store_profile_associate(struct store *st, int64_t id, const char *issuer,
			const char *subject, int64_t now, char **prev_issuer,
			char **prev_subject)
{
	if (prev_issuer != NULL)
		*prev_issuer = NULL;
	if (prev_subject != NULL)
		*prev_subject = NULL;
	if (st == NULL || prev_issuer == NULL || prev_subject == NULL)
		REFUSE("argument");
	if (id <= 0)
		REFUSE("id");
	if (!valid_issuer(issuer))
		REFUSE("issuer");
	if (!valid_subject(subject))
		REFUSE("subject");
	/* associated_at 0 reads as "never associated". */
	if (now <= 0)
		REFUSE("now");
	return st->be->profile_associate(st->h, id, issuer, subject, now,
					 prev_issuer, prev_subject);
}

/* ---- association links ---- */

void
assoc_link_release(struct assoc_link *l)
{
	if (l == NULL)
		return;
	xfree(l->issuer);
	xfree(l->subject);
	xfree(l->portal);
	memset(l, 0, sizeof(*l));
}

enum op_rc
store_assoc_link_create(struct store *st, const struct assoc_link *l)
{
	if (st == NULL || l == NULL)
		REFUSE("argument");
	if (!valid_hash(l->hash))
		REFUSE("hash");
	if (!valid_hash(l->code_hash))
		REFUSE("code_hash");
	if (l->profile_id <= 0)
		REFUSE("profile_id");
	if (!valid_issuer(l->issuer))
		REFUSE("issuer");
	if (!valid_subject(l->subject))
		REFUSE("subject");
	if (!valid_ident(l->portal, STORE_PORTAL_MAX))
		REFUSE("portal");
	return st->be->assoc_link_create(st->h, l);
}

enum op_rc
store_assoc_link_get(struct store *st, const char *hash, int64_t now,
		     struct assoc_link *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->assoc_link_get(st->h, hash, now, out);
}

enum op_rc
store_assoc_link_by_code(struct store *st, const char *issuer,
			 const char *subject, const char *code_hash,
			 int64_t now, struct assoc_link *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_issuer(issuer))
		REFUSE("issuer");
	if (!valid_subject(subject))
		REFUSE("subject");
	if (!valid_hash(code_hash))
		REFUSE("code_hash");
	return st->be->assoc_link_by_code(st->h, issuer, subject, code_hash,
					  now, out);
}

enum op_rc
store_assoc_link_consume(struct store *st, const char *hash, int64_t now)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->assoc_link_consume(st->h, hash, now);
}

/* ---- business sessions ---- */

void
biz_session_release(struct biz_session *s)
{
	if (s == NULL)
		return;
	xfree(s->issuer);
	xfree(s->subject);
	xfree(s->email);
	xfreestr_secret(s->id_token);
	memset(s, 0, sizeof(*s));
}

enum op_rc
store_biz_session_create(struct store *st, const struct biz_session *s)
{
	if (st == NULL || s == NULL)
		REFUSE("argument");
	if (!valid_hash(s->hash))
		REFUSE("hash");
	if (!valid_issuer(s->issuer))
		REFUSE("issuer");
	if (!valid_subject(s->subject))
		REFUSE("subject");
	if (s->email != NULL && !valid_text(s->email, EMAIL_MAX, EMAIL_MAX))
		REFUSE("email");
	if (s->id_token != NULL && !valid_ident(s->id_token,
						STORE_ID_TOKEN_MAX))
		REFUSE("id_token");
	if (s->profile_id < 0)
		REFUSE("profile_id");
	return st->be->biz_session_create(st->h, s);
}

enum op_rc
store_biz_session_get(struct store *st, const char *hash, int64_t now,
		      struct biz_session *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->biz_session_get(st->h, hash, now, out);
}

enum op_rc
store_biz_session_set_profile(struct store *st, const char *hash,
			      int64_t profile_id)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	if (profile_id < 0)
		REFUSE("profile_id");
	return st->be->biz_session_set_profile(st->h, hash, profile_id);
}

enum op_rc
store_biz_session_delete(struct store *st, const char *hash)
{
	if (st == NULL)
		REFUSE("argument");
	if (!valid_hash(hash))
		REFUSE("hash");
	return st->be->biz_session_delete(st->h, hash);
}

/* ---- pending business sign-ins ---- */

void
biz_login_release(struct biz_login *l)
{
	if (l == NULL)
		return;
	xfree(l->portal);
	xfreestr_secret(l->nonce);
	xfreestr_secret(l->verifier);
	xfree(l->purpose);
	xfree(l->link_hash);
	xfree(l->return_to);
	memset(l, 0, sizeof(*l));
}

enum op_rc
store_biz_login_create(struct store *st, const struct biz_login *l)
{
	if (st == NULL || l == NULL)
		REFUSE("argument");
	if (!valid_hash(l->state_hash))
		REFUSE("state_hash");
	if (!valid_ident(l->portal, STORE_PORTAL_MAX))
		REFUSE("portal");
	if (!valid_ident(l->nonce, STORE_NONCE_MAX))
		REFUSE("nonce");
	if (!valid_verifier(l->verifier))
		REFUSE("verifier");
	if (!valid_purpose(l->purpose))
		REFUSE("purpose");
	if (l->link_hash != NULL && !valid_hash(l->link_hash))
		REFUSE("link_hash");
	if (!valid_opt_return_to(l->return_to))
		REFUSE("return_to");
	return st->be->biz_login_create(st->h, l);
}

enum op_rc
store_biz_login_take(struct store *st, const char *state_hash, int64_t now,
		     struct biz_login *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_hash(state_hash))
		REFUSE("state_hash");
	return st->be->biz_login_take(st->h, state_hash, now, out);
}

/* ---- the portals' client registrations ---- */

void
portal_client_release(struct portal_client *c)
{
	if (c == NULL)
		return;
	xfree(c->portal);
	xfree(c->issuer);
	xfree(c->client_id);
	xfreestr_secret(c->client_secret);
	memset(c, 0, sizeof(*c));
}

enum op_rc
store_portal_client_get(struct store *st, const char *portal,
			const char *issuer, struct portal_client *out)
{
	if (st == NULL || out == NULL)
		REFUSE("argument");
	memset(out, 0, sizeof(*out));
	if (!valid_ident(portal, STORE_PORTAL_MAX))
		REFUSE("portal");
	if (!valid_issuer(issuer))
		REFUSE("issuer");
	return st->be->portal_client_get(st->h, portal, issuer, out);
}

enum op_rc
store_portal_client_put(struct store *st, const struct portal_client *c)
{
	if (st == NULL || c == NULL)
		REFUSE("argument");
	if (!valid_ident(c->portal, STORE_PORTAL_MAX))
		REFUSE("portal");
	if (!valid_issuer(c->issuer))
		REFUSE("issuer");
	if (!valid_ident(c->client_id, STORE_CLIENT_ID_MAX))
		REFUSE("client_id");
	if (c->client_secret != NULL &&
	    !valid_text(c->client_secret, STORE_CLIENT_SECRET_MAX,
			STORE_CLIENT_SECRET_MAX))
		REFUSE("client_secret");
	return st->be->portal_client_put(st->h, c);
}

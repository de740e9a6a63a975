/*
 * test_store.c - the store conformance suite, and its run on SQLite.
 *
 * conformance_run() takes a factory that hands out empty, migrated stores
 * (and a second handle on the last one) and runs every subtest against
 * store.h alone, so the same suite proves any backend: a PostgreSQL run
 * only needs a factory of its own (a fresh schema per open_fresh). The
 * SQLite factory puts each store in a new file under a temporary
 * directory. main() also checks what is specific to opening (the choice
 * of backend by URL, a missing directory). The factory and the helpers
 * shared with test_store_oidc.c (the OpenID Connect records) are in
 * conformance.h.
 *
 * Worker threads never call the TAP functions: they count what they saw
 * and the main thread asserts after joining them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "conformance.h"

/* ---- helpers ---- */

static enum op_rc
mksession(struct store *st, const char *seed, int64_t user_id,
	  int64_t created_at, int64_t expires_at)
{
	struct session s = { 0 };

	mkhash(seed, s.hash);
	s.user_id = user_id;
	s.created_at = created_at;
	s.last_seen_at = created_at;
	s.expires_at = expires_at;
	s.auth_time = created_at;
	return store_session_create(st, &s);
}

static enum op_rc
mkonetime(struct store *st, const char *seed, enum onetime_kind kind,
	  int64_t user_id, const char *data, int64_t expires_at)
{
	struct onetime t = { 0 };

	mkhash(seed, t.hash);
	t.kind = kind;
	t.user_id = user_id;
	t.data = (char *)data;
	t.created_at = 900;
	t.expires_at = expires_at;
	return store_onetime_create(st, &t);
}

static enum op_rc
mkmail(struct store *st, const char *message_id, int64_t created_at,
       int64_t *id_out)
{
	static char body[] = "From: a@example.com\r\nTo: b@example.com\r\n"
			     "Subject: hi\r\n\r\nbody line\r\n";
	struct outbox_msg m = { 0 };
	enum op_rc rc;

	m.message_id = (char *)message_id;
	m.mail_from = (char *)"noreply@example.com";
	m.rcpt = (char *)"bob@example.com";
	m.subject = (char *)"hi";
	m.body = body;
	m.body_len = sizeof(body) - 1;
	m.created_at = created_at;
	rc = store_outbox_add(st, &m);
	*id_out = m.id;
	return rc;
}

static enum op_rc
consume(struct store *st, enum onetime_kind kind, const char *seed,
	int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct onetime t;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_onetime_consume(st, kind, hash, now, &t);
	onetime_release(&t);
	return rc;
}

static enum op_rc
session_get(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct session s;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_session_get(st, hash, now, &s);
	session_release(&s);
	return rc;
}

/* ---- users ---- */

static void
t_user_crud(struct store *st)
{
	struct user u = { 0 }, got;
	int64_t id;

	subtest("UserCRUD");
	u.sub = (char *)"sub-alice";
	u.email = (char *)"Alice@Example.COM";
	u.email_canon = (char *)"alice@example.com";
	u.pw_hash = (char *)PW_HASH;
	u.created_at = 1234;
	is_int(store_user_create(st, &u), OP_OK, "create alice");
	ok(u.id > 0, "create sets the id");
	id = u.id;

	u.sub = (char *)"sub-other";
	is_int(store_user_create(st, &u), OP_E_EXISTS,
	       "same address again is EXISTS");
	u.sub = (char *)"sub-alice";
	u.email = (char *)"x@example.com";
	u.email_canon = (char *)"x@example.com";
	is_int(store_user_create(st, &u), OP_E_EXISTS,
	       "same sub again is EXISTS");

	is_int(store_user_by_email(st, "alice@example.com", &got), OP_OK,
	       "lookup by address");
	is_int(got.id, id, "id");
	is_str(got.sub, "sub-alice", "sub");
	is_str(got.email, "Alice@Example.COM", "address as typed");
	is_str(got.email_canon, "alice@example.com", "canonical address");
	is_str(got.pw_hash, PW_HASH, "password hash");
	ok(!got.email_verified && !got.disabled && !got.needs_reset,
	   "new user unverified, enabled, no reset needed");
	is_int(got.failed_logins, 0, "no failures");
	is_int(got.created_at, 1234, "created_at");
	user_release(&got);
	ok(got.sub == NULL && got.pw_hash == NULL && got.id == 0,
	   "release zeroes the record");
	user_release(&got);
	ok(1, "releasing a zeroed record is a no-op");

	is_int(store_user_by_id(st, id, &got), OP_OK, "lookup by id");
	is_str(got.email_canon, "alice@example.com", "by id finds alice");
	user_release(&got);
	is_int(store_user_by_email(st, "nobody@example.com", &got),
	       OP_E_NOTFOUND, "absent address is NOTFOUND");
	ok(got.sub == NULL, "out record zeroed after NOTFOUND");
	is_int(store_user_by_id(st, id + 1000, &got), OP_E_NOTFOUND,
	       "absent id is NOTFOUND");

	is_int(store_user_set_password(st, id, "$argon2id$new"), OP_OK,
	       "set password");
	store_user_by_id(st, id, &got);
	is_str(got.pw_hash, "$argon2id$new", "password changed");
	user_release(&got);
	is_int(store_user_set_password(st, id + 1000, "$argon2id$new"),
	       OP_E_NOTFOUND, "set password of absent user");

	is_int(store_user_set_verified(st, id), OP_OK, "set verified");
	is_int(store_user_set_disabled(st, id, true), OP_OK, "disable");
	store_user_by_id(st, id, &got);
	ok(got.email_verified && got.disabled, "verified and disabled");
	user_release(&got);
	is_int(store_user_set_disabled(st, id, false), OP_OK, "enable");
	store_user_by_id(st, id, &got);
	ok(!got.disabled, "enabled again");
	user_release(&got);
	is_int(store_user_set_disabled(st, id + 1000, true), OP_E_NOTFOUND,
	       "disable absent user");
	is_int(store_user_set_verified(st, id + 1000), OP_E_NOTFOUND,
	       "verify absent user");

	/* The facade refuses bad input before the backend. */
	is_int(store_user_by_email(st, "Alice@example.com", &got),
	       OP_E_INVALID, "upper-case canonical address refused");
	is_int(store_user_by_email(st, "", &got), OP_E_INVALID,
	       "empty address refused");
	is_int(store_user_by_email(st, NULL, &got), OP_E_INVALID,
	       "NULL address refused");
	is_int(store_user_by_id(st, 0, &got), OP_E_INVALID, "id 0 refused");
	u.sub = (char *)"sub-new";
	u.email = (char *)"new@example.com\r\nBcc: x@example.com";
	u.email_canon = (char *)"new@example.com";
	is_int(store_user_create(st, &u), OP_E_INVALID,
	       "CR/LF in an address refused");
	u.email = (char *)"new@example.com";
	u.pw_hash = NULL;
	is_int(store_user_create(st, &u), OP_E_INVALID,
	       "missing password hash refused");
	u.pw_hash = (char *)PW_HASH;
	u.email_canon = (char *)"New@example.com";
	is_int(store_user_create(st, &u), OP_E_INVALID,
	       "upper case in email_canon refused");
	is_int(store_user_by_email(st, "new@example.com", &got),
	       OP_E_NOTFOUND, "nothing refused was stored");
	is_int(store_user_create(NULL, &u), OP_E_INVALID, "NULL store");
}

static void
t_user_failures(struct store *st)
{
	struct user got;
	int64_t id;
	int n = -1;

	subtest("UserFailures");
	id = mkuser(st, "alice");
	is_int(store_user_note_failure(st, id, 2000, 3, &n), OP_OK,
	       "first failure");
	is_int(n, 1, "count 1");
	store_user_note_failure(st, id, 2001, 3, &n);
	is_int(n, 2, "count 2");
	store_user_by_id(st, id, &got);
	ok(!got.needs_reset, "below max: no reset needed");
	is_int(got.failed_logins, 2, "stored count 2");
	is_int(got.last_failed_at, 2001, "last_failed_at");
	user_release(&got);
	store_user_note_failure(st, id, 2002, 3, &n);
	is_int(n, 3, "count 3");
	store_user_by_id(st, id, &got);
	ok(got.needs_reset, "at max: needs reset");
	user_release(&got);
	store_user_note_failure(st, id, 2003, 3, &n);
	is_int(n, 4, "counting goes on past max");

	is_int(store_user_clear_failures(st, id), OP_OK, "clear failures");
	store_user_by_id(st, id, &got);
	ok(!got.needs_reset && got.failed_logins == 0,
	   "cleared: count 0, no reset needed");
	user_release(&got);

	is_int(store_user_note_failure(st, id + 99, 2000, 3, &n),
	       OP_E_NOTFOUND, "failure of absent user");
	is_int(store_user_clear_failures(st, id + 99), OP_E_NOTFOUND,
	       "clear of absent user");
	is_int(store_user_note_failure(st, id, 2000, 0, &n), OP_E_INVALID,
	       "max_failures 0 refused");
}

static void
t_user_set_email(struct store *st)
{
	struct user got;
	int64_t alice, bob;

	subtest("UserSetEmail");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	is_int(store_user_set_email(st, bob, "ALICE@example.com",
				    "alice@example.com"),
	       OP_E_EXISTS, "taking another user's address is EXISTS");
	store_user_by_id(st, bob, &got);
	is_str(got.email_canon, "bob@example.com", "bob unchanged");
	user_release(&got);

	is_int(store_user_set_email(st, bob, "Robert@Example.com",
				    "robert@example.com"),
	       OP_OK, "change bob's address");
	is_int(store_user_by_email(st, "robert@example.com", &got), OP_OK,
	       "found by the new address");
	is_int(got.id, bob, "it is bob");
	is_str(got.email, "Robert@Example.com", "typed form kept");
	ok(got.email_verified, "a changed address is verified");
	user_release(&got);
	is_int(store_user_by_email(st, "bob@example.com", &got),
	       OP_E_NOTFOUND, "old address is free");
	is_int(store_user_set_email(st, bob + alice + 99, "z@example.com",
				    "z@example.com"),
	       OP_E_NOTFOUND, "change of absent user");
}

static void
t_user_delete(struct store *st)
{
	struct user got;
	int64_t alice, bob, carol;

	subtest("UserDeleteCascades");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mksession(st, "a1", alice, 100, 5000);
	mksession(st, "a2", alice, 100, 5000);
	mksession(st, "b1", bob, 100, 5000);
	mkonetime(st, "ta", ONETIME_RESET, alice, NULL, 5000);
	mkonetime(st, "tb", ONETIME_RESET, bob, NULL, 5000);

	is_int(store_user_delete(st, alice), OP_OK, "delete alice");
	is_int(store_user_by_id(st, alice, &got), OP_E_NOTFOUND,
	       "alice is gone");
	is_int(session_get(st, "a1", 200), OP_E_NOTFOUND,
	       "her first session is gone");
	is_int(session_get(st, "a2", 200), OP_E_NOTFOUND,
	       "her second session is gone");
	is_int(consume(st, ONETIME_RESET, "ta", 200), OP_E_NOTFOUND,
	       "her token is gone");
	is_int(session_get(st, "b1", 200), OP_OK, "bob's session stays");
	is_int(consume(st, ONETIME_RESET, "tb", 200), OP_OK,
	       "bob's token stays");
	is_int(store_user_delete(st, alice), OP_E_NOTFOUND,
	       "deleting again is NOTFOUND");
	is_int(mkuser(st, "alice") > 0, 1, "her address can be used again");
	carol = mkuser(st, "carol");
	store_user_delete(st, carol);
	ok(mkuser(st, "dave") > carol,
	   "the id of a deleted newest user is not reused");
}

struct user_seen {
	int n;
	int stop_after;
	int64_t ids[8];
	struct store *st;
	int nested;	/* users seen by a nested list in the callback */
	int nested_rc;
};

static int
count_user(const struct user *u, void *arg)
{
	(void)u;
	++*(int *)arg;
	return 0;
}

static int
collect_user(const struct user *u, void *arg)
{
	struct user_seen *seen = arg;

	if (seen->n < 8)
		seen->ids[seen->n] = u->id;
	seen->n++;
	if (seen->st != NULL && seen->n == 1)
		seen->nested_rc = store_user_list(seen->st, count_user,
						  &seen->nested);
	return seen->stop_after > 0 && seen->n >= seen->stop_after;
}

static void
t_user_list(struct store *st)
{
	struct user_seen seen = { 0 };
	int64_t a, b, c;

	subtest("UserList");
	c = mkuser(st, "carol");
	a = mkuser(st, "alice");
	b = mkuser(st, "bob");
	is_int(store_user_list(st, collect_user, &seen), OP_OK, "list");
	is_int(seen.n, 3, "three users");
	ok(seen.ids[0] == c && seen.ids[1] == a && seen.ids[2] == b,
	   "in id order");
	ok(c < a && a < b, "ids increase");

	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 2;
	is_int(store_user_list(st, collect_user, &seen), OP_OK,
	       "list with early stop");
	is_int(seen.n, 2, "a non-zero return stops the listing");

	memset(&seen, 0, sizeof(seen));
	seen.st = st;
	is_int(store_user_list(st, collect_user, &seen), OP_OK,
	       "list calling the store from its callback");
	is_int(seen.n, 3, "outer listing complete");
	is_int(seen.nested_rc, OP_OK, "nested listing works");
	is_int(seen.nested, 3, "nested listing complete");
	is_int(store_user_list(st, NULL, NULL), OP_E_INVALID,
	       "NULL callback refused");
}

/* ---- sessions ---- */

static void
t_session_expiry(struct store *st)
{
	char hash[TOKEN_HASH_LEN + 1], ua[600];
	struct session s = { 0 }, got;
	int64_t alice;

	subtest("SessionExpiry");
	alice = mkuser(st, "alice");
	mkhash("s1", s.hash);
	s.user_id = alice;
	s.created_at = 1000;
	s.last_seen_at = 1000;
	s.expires_at = 2000;
	s.auth_time = 999;
	s.persistent = true;
	s.ip = (char *)"192.0.2.1";
	s.user_agent = (char *)"Mozilla/5.0";
	is_int(store_session_create(st, &s), OP_OK, "create");
	is_int(store_session_create(st, &s), OP_E_EXISTS,
	       "same hash again is EXISTS");

	is_int(store_session_get(st, s.hash, 1999, &got), OP_OK,
	       "get before expiry");
	is_str(got.hash, s.hash, "hash");
	is_int(got.user_id, alice, "user_id");
	is_int(got.created_at, 1000, "created_at");
	is_int(got.last_seen_at, 1000, "last_seen_at");
	is_int(got.expires_at, 2000, "expires_at");
	is_int(got.auth_time, 999, "auth_time");
	ok(got.persistent, "persistent");
	is_str(got.ip, "192.0.2.1", "ip");
	is_str(got.user_agent, "Mozilla/5.0", "user agent");
	session_release(&got);
	ok(got.ip == NULL && got.hash[0] == '\0', "release zeroes");
	is_int(store_session_get(st, s.hash, 2000, &got), OP_E_NOTFOUND,
	       "get at expires_at is NOTFOUND");
	is_int(store_session_get(st, s.hash, 5000, &got), OP_E_NOTFOUND,
	       "get after expiry is NOTFOUND");

	is_int(store_session_touch(st, s.hash, 1500), OP_OK, "touch");
	store_session_get(st, s.hash, 1600, &got);
	is_int(got.last_seen_at, 1500, "touch moved last_seen_at");
	is_int(got.expires_at, 2000, "touch kept expires_at");
	session_release(&got);
	is_int(store_session_touch(st, s.hash, 2000), OP_E_NOTFOUND,
	       "touch of an expired session is NOTFOUND");

	mkhash("nobody", hash);
	is_int(store_session_get(st, hash, 100, &got), OP_E_NOTFOUND,
	       "unknown hash is NOTFOUND");
	is_int(store_session_touch(st, hash, 100), OP_E_NOTFOUND,
	       "touch of unknown hash");
	is_int(mksession(st, "orphan", alice + 99, 100, 200), OP_E_NOTFOUND,
	       "session of an absent user is NOTFOUND");

	is_int(store_session_delete(st, s.hash), OP_OK, "delete");
	is_int(store_session_get(st, s.hash, 1100, &got), OP_E_NOTFOUND,
	       "deleted session is gone");
	is_int(store_session_delete(st, s.hash), OP_E_NOTFOUND,
	       "deleting again is NOTFOUND");

	/* Hashes must look like token_hash() output. */
	is_int(store_session_get(st, "abc", 100, &got), OP_E_INVALID,
	       "short hash refused");
	memcpy(hash, s.hash, sizeof(hash));
	hash[0] = 'A';
	is_int(store_session_get(st, hash, 100, &got), OP_E_INVALID,
	       "upper-case hash refused");

	/* A long user agent is cut at a UTF-8 boundary, not refused. */
	memset(ua, 'a', 511);
	ua[511] = (char)0xc3;	/* "é" straddling byte 512 */
	ua[512] = (char)0xa9;
	memset(ua + 513, 'b', 50);
	ua[563] = '\0';
	mkhash("s2", s.hash);
	s.user_agent = ua;
	s.ip = NULL;
	is_int(store_session_create(st, &s), OP_OK,
	       "long user agent accepted");
	store_session_get(st, s.hash, 1000, &got);
	ok(got.user_agent != NULL && strlen(got.user_agent) == 511,
	   "cut before the split character");
	ok(got.ip == NULL, "NULL ip stays NULL");
	session_release(&got);
	mkhash("s3", s.hash);
	s.ip = (char *)"1.2.3.4\r\nX: y";
	is_int(store_session_create(st, &s), OP_E_INVALID,
	       "CR/LF in ip refused");
}

static void
t_session_delete_user(struct store *st)
{
	char keep[TOKEN_HASH_LEN + 1];
	int64_t alice, bob;

	subtest("SessionDeleteUser");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mksession(st, "a1", alice, 100, 5000);
	mksession(st, "a2", alice, 100, 5000);
	mksession(st, "a3", alice, 100, 5000);
	mksession(st, "b1", bob, 100, 5000);
	mkhash("a2", keep);
	is_int(store_session_delete_user(st, alice, keep), OP_OK,
	       "delete alice's sessions except a2");
	is_int(session_get(st, "a1", 200), OP_E_NOTFOUND, "a1 gone");
	is_int(session_get(st, "a2", 200), OP_OK, "a2 kept");
	is_int(session_get(st, "a3", 200), OP_E_NOTFOUND, "a3 gone");
	is_int(session_get(st, "b1", 200), OP_OK, "bob's kept");
	is_int(store_session_delete_user(st, alice, NULL), OP_OK,
	       "delete all of alice's sessions");
	is_int(session_get(st, "a2", 200), OP_E_NOTFOUND, "a2 gone");
	is_int(session_get(st, "b1", 200), OP_OK, "bob's still kept");
	is_int(store_session_delete_user(st, alice, NULL), OP_OK,
	       "deleting none is OK");
}

struct session_seen {
	int n;
	int stop_after;
	int64_t created[8];
};

static int
collect_session(const struct session *s, void *arg)
{
	struct session_seen *seen = arg;

	if (seen->n < 8)
		seen->created[seen->n] = s->created_at;
	seen->n++;
	return seen->stop_after > 0 && seen->n >= seen->stop_after;
}

static void
t_session_list(struct store *st)
{
	struct session_seen seen = { 0 };
	int64_t alice, bob;

	subtest("SessionListUser");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mksession(st, "a1", alice, 100, 5000);
	mksession(st, "a3", alice, 300, 5000);
	mksession(st, "a2", alice, 200, 5000);
	mksession(st, "old", alice, 50, 400);
	mksession(st, "b1", bob, 250, 5000);
	is_int(store_session_list_user(st, alice, 400, collect_session, &seen),
	       OP_OK, "list alice's live sessions");
	is_int(seen.n, 3, "three live sessions (expired one left out)");
	ok(seen.created[0] == 300 && seen.created[1] == 200 &&
		   seen.created[2] == 100,
	   "newest first");
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 1;
	store_session_list_user(st, alice, 400, collect_session, &seen);
	is_int(seen.n, 1, "a non-zero return stops the listing");
	memset(&seen, 0, sizeof(seen));
	store_session_list_user(st, alice + bob + 9, 0, collect_session,
				&seen);
	is_int(seen.n, 0, "no sessions for an unknown user");
}

/* ---- one-time tokens ---- */

static void
t_onetime(struct store *st)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct onetime got;
	int64_t alice;

	subtest("OnetimeConsumeOnce");
	alice = mkuser(st, "alice");
	is_int(mkonetime(st, "v1", ONETIME_VERIFY, alice, "alice@example.com",
			 2000),
	       OP_OK, "create a verification token");
	is_int(mkonetime(st, "v1", ONETIME_VERIFY, alice, NULL, 2000),
	       OP_E_EXISTS, "same hash again is EXISTS");
	is_int(mkonetime(st, "x", ONETIME_VERIFY, alice + 99, NULL, 2000),
	       OP_E_NOTFOUND, "token of an absent user is NOTFOUND");
	mkhash("v1", hash);

	is_int(store_onetime_peek(st, ONETIME_VERIFY, hash, 1000, &got),
	       OP_OK, "peek");
	is_str(got.data, "alice@example.com", "peek returns data");
	onetime_release(&got);
	is_int(store_onetime_peek(st, ONETIME_VERIFY, hash, 1000, &got),
	       OP_OK, "peek again: peek changes nothing");
	onetime_release(&got);

	is_int(store_onetime_consume(st, ONETIME_VERIFY, hash, 1000, &got),
	       OP_OK, "consume");
	is_str(got.hash, hash, "hash");
	is_int(got.kind, ONETIME_VERIFY, "kind");
	is_int(got.user_id, alice, "user_id");
	is_str(got.data, "alice@example.com", "data");
	is_int(got.created_at, 900, "created_at");
	is_int(got.expires_at, 2000, "expires_at");
	onetime_release(&got);
	ok(got.data == NULL && got.user_id == 0, "release zeroes");
	is_int(store_onetime_consume(st, ONETIME_VERIFY, hash, 1001, &got),
	       OP_E_EXPIRED, "second consume is EXPIRED");
	is_int(store_onetime_peek(st, ONETIME_VERIFY, hash, 1001, &got),
	       OP_E_EXPIRED, "peek of a spent token is EXPIRED");

	mkonetime(st, "r1", ONETIME_RESET, alice, NULL, 1500);
	is_int(consume(st, ONETIME_RESET, "r1", 1500), OP_E_EXPIRED,
	       "consume at expires_at is EXPIRED");
	mkhash("r1", hash);
	is_int(store_onetime_peek(st, ONETIME_RESET, hash, 1500, &got),
	       OP_E_EXPIRED, "peek at expires_at is EXPIRED");
	is_int(consume(st, ONETIME_RESET, "r1", 1400), OP_OK,
	       "an expired answer spent nothing: still usable before expiry");

	mkonetime(st, "c1", ONETIME_EMAIL_CHANGE, alice, "New@example.com",
		  2000);
	is_int(consume(st, ONETIME_RESET, "c1", 1000), OP_E_NOTFOUND,
	       "wrong kind is NOTFOUND");
	mkhash("c1", hash);
	is_int(store_onetime_peek(st, ONETIME_VERIFY, hash, 1000, &got),
	       OP_E_NOTFOUND, "peek with wrong kind is NOTFOUND");
	is_int(consume(st, ONETIME_EMAIL_CHANGE, "c1", 1000), OP_OK,
	       "right kind still works after a wrong-kind try");
	is_int(consume(st, ONETIME_RESET, "never", 1000), OP_E_NOTFOUND,
	       "unknown token is NOTFOUND");

	mkonetime(st, "n1", ONETIME_RESET, alice, NULL, 2000);
	mkhash("n1", hash);
	store_onetime_consume(st, ONETIME_RESET, hash, 1000, &got);
	ok(got.data == NULL, "NULL data stays NULL");
	onetime_release(&got);

	is_int(store_onetime_consume(st, (enum onetime_kind)7, hash, 1000,
				     &got),
	       OP_E_INVALID, "unknown kind refused");
	is_int(store_onetime_consume(st, ONETIME_RESET, "zz", 1000, &got),
	       OP_E_INVALID, "malformed hash refused");
}

static void
t_onetime_revoke(struct store *st)
{
	int64_t alice, bob;

	subtest("OnetimeRevokeUser");
	alice = mkuser(st, "alice");
	bob = mkuser(st, "bob");
	mkonetime(st, "ar1", ONETIME_RESET, alice, NULL, 5000);
	mkonetime(st, "ar2", ONETIME_RESET, alice, NULL, 5000);
	mkonetime(st, "av", ONETIME_VERIFY, alice, NULL, 5000);
	mkonetime(st, "br", ONETIME_RESET, bob, NULL, 5000);
	is_int(store_onetime_revoke_user(st, ONETIME_RESET, alice), OP_OK,
	       "revoke alice's reset tokens");
	is_int(consume(st, ONETIME_RESET, "ar1", 1000), OP_E_EXPIRED,
	       "first revoked token is spent");
	is_int(consume(st, ONETIME_RESET, "ar2", 1000), OP_E_EXPIRED,
	       "second revoked token is spent");
	is_int(consume(st, ONETIME_VERIFY, "av", 1000), OP_OK,
	       "other kinds untouched");
	is_int(consume(st, ONETIME_RESET, "br", 1000), OP_OK,
	       "other users untouched");
	is_int(store_onetime_revoke_user(st, ONETIME_RESET, alice), OP_OK,
	       "revoking nothing is OK");
}

/* ---- throttle ---- */

static void
t_throttle(struct store *st)
{
	int n = -1;

	subtest("Throttle");
	is_int(store_throttle_get(st, "ip:192.0.2.1", 100, 60, &n), OP_OK,
	       "get of an unknown key");
	is_int(n, 0, "unknown key counts 0");
	store_throttle_hit(st, "ip:192.0.2.1", 100, 60, &n);
	is_int(n, 1, "first hit opens a window at 1");
	store_throttle_hit(st, "ip:192.0.2.1", 110, 60, &n);
	is_int(n, 2, "second hit in the window");
	store_throttle_hit(st, "ip:192.0.2.1", 159, 60, &n);
	is_int(n, 3, "last second of the window still counts");
	store_throttle_get(st, "ip:192.0.2.1", 159, 60, &n);
	is_int(n, 3, "get sees 3");
	store_throttle_get(st, "ip:192.0.2.1", 160, 60, &n);
	is_int(n, 0, "window over: get sees 0");
	store_throttle_hit(st, "ip:192.0.2.1", 170, 60, &n);
	is_int(n, 1, "a hit after the window opens a new one");
	store_throttle_hit(st, "ip:192.0.2.1", 229, 60, &n);
	is_int(n, 2, "new window runs from its first hit");
	store_throttle_get(st, "ip:192.0.2.1", 230, 60, &n);
	is_int(n, 0, "new window over");

	store_throttle_hit(st, "acct:7", 100, 60, &n);
	is_int(n, 1, "keys are independent");
	is_int(store_throttle_clear(st, "acct:7"), OP_OK, "clear");
	store_throttle_get(st, "acct:7", 101, 60, &n);
	is_int(n, 0, "cleared key counts 0");
	is_int(store_throttle_clear(st, "acct:7"), OP_OK,
	       "clearing an absent key is OK");
	is_int(store_throttle_hit(st, "k", 100, 0, &n), OP_E_INVALID,
	       "window 0 refused");
	is_int(store_throttle_hit(st, "", 100, 60, &n), OP_E_INVALID,
	       "empty key refused");
}

/* ---- outbox ---- */

struct mail_seen {
	int n;
	int64_t ids[8];
	bool any_body;
	const char *last_error[8];
	char errbuf[8][32];
};

static int
collect_mail(const struct outbox_msg *m, void *arg)
{
	struct mail_seen *seen = arg;

	if (seen->n < 8) {
		seen->ids[seen->n] = m->id;
		seen->last_error[seen->n] = NULL;
		if (m->last_error != NULL) {
			snprintf(seen->errbuf[seen->n], 32, "%s",
				 m->last_error);
			seen->last_error[seen->n] = seen->errbuf[seen->n];
		}
	}
	if (m->body != NULL)
		seen->any_body = true;
	seen->n++;
	return 0;
}

static void
free_claim(struct outbox_msg *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		outbox_msg_release(&v[i]);
	xfree(v);
}

static size_t
claim(struct store *st, int64_t now, size_t max, int64_t ids[4])
{
	struct outbox_msg *v;
	size_t i, n;

	if (store_outbox_claim(st, now, 60, max, &v, &n) != OP_OK)
		return (size_t)-1;
	for (i = 0; i < n && i < 4; i++)
		ids[i] = v[i].id;
	free_claim(v, n);
	return n;
}

static void
t_outbox(struct store *st)
{
	struct outbox_msg *v, got;
	struct mail_seen seen = { 0 };
	int64_t m1, m2, m3, m4, ids[4], n64;
	size_t n;

	subtest("OutboxOrdering");
	is_int(mkmail(st, "<1@example.com>", 100, &m1), OP_OK, "queue m1");
	mkmail(st, "<2@example.com>", 100, &m2);
	mkmail(st, "<3@example.com>", 100, &m3);
	mkmail(st, "<4@example.com>", 300, &m4);
	ok(m1 < m2 && m2 < m3 && m3 < m4, "ids increase");
	is_int(mkmail(st, "<1@example.com>", 100, &n64), OP_E_EXISTS,
	       "same Message-ID again is EXISTS");
	store_outbox_count(st, OUTBOX_PENDING, &n64);
	is_int(n64, 4, "four pending");

	is_int(store_outbox_claim(st, 100, 60, 2, &v, &n), OP_OK, "claim 2");
	is_int(n, 2, "got two");
	ok(n == 2 && v[0].id == m1 && v[1].id == m2, "oldest first");
	ok(n == 2 && v[0].body != NULL && v[0].body_len > 0 &&
		   strstr(v[0].body, "body line\r\n") != NULL &&
		   strlen(v[0].body) == v[0].body_len,
	   "claimed message carries its body");
	is_int(n > 0 ? v[0].attempts : -1, 1, "claim counts an attempt");
	is_str(n > 0 ? v[0].rcpt : NULL, "bob@example.com", "rcpt");
	is_str(n > 0 ? v[0].message_id : NULL, "<1@example.com>",
	       "message id");
	free_claim(v, n);

	n = claim(st, 120, 10, ids);
	ok(n == 1 && ids[0] == m3, "next claim gets only m3 (m4 not due)");
	is_int(claim(st, 150, 10, ids), 0, "all leased: nothing to claim");
	is_int(claim(st, 160, 10, ids), 0,
	       "lease still held at claimed_until");
	n = claim(st, 161, 10, ids);
	ok(n == 2 && ids[0] == m1 && ids[1] == m2,
	   "lapsed leases are claimed again");

	is_int(store_outbox_mark_sent(st, m1, 165), OP_OK, "m1 sent");
	is_int(store_outbox_mark_retry(st, m2, 500, "451 try later"), OP_OK,
	       "m2 to retry at 500");
	is_int(store_outbox_mark_failed(st, m3, "550 no such user"), OP_OK,
	       "m3 failed");
	n = claim(st, 499, 10, ids);
	ok(n == 1 && ids[0] == m4, "m4 due; m2 waits; sent/failed never");
	n = claim(st, 500, 10, ids);
	ok(n == 1 && ids[0] == m2, "m2 due at next_attempt_at");

	is_int(store_outbox_get(st, m2, &got), OP_OK, "get m2");
	is_int(got.attempts, 3, "m2 attempted three times");
	is_int(got.status, OUTBOX_PENDING, "m2 pending");
	is_int(got.next_attempt_at, 500, "next_attempt_at");
	is_str(got.last_error, "451 try later", "last_error kept");
	outbox_msg_release(&got);
	ok(got.body == NULL && got.id == 0, "release zeroes");
	store_outbox_get(st, m1, &got);
	is_int(got.status, OUTBOX_SENT, "m1 sent");
	is_int(got.sent_at, 165, "sent_at");
	ok(got.body != NULL && got.body[got.body_len] == '\0',
	   "get loads the body");
	outbox_msg_release(&got);

	store_outbox_count(st, OUTBOX_PENDING, &n64);
	is_int(n64, 2, "two pending");
	store_outbox_count(st, OUTBOX_SENT, &n64);
	is_int(n64, 1, "one sent");
	store_outbox_count(st, OUTBOX_FAILED, &n64);
	is_int(n64, 1, "one failed");

	is_int(store_outbox_list(st, -1, collect_mail, &seen), OP_OK,
	       "list all");
	ok(seen.n == 4 && seen.ids[0] == m1 && seen.ids[3] == m4,
	   "all four, newest last");
	ok(!seen.any_body, "list does not load bodies");
	memset(&seen, 0, sizeof(seen));
	store_outbox_list(st, OUTBOX_FAILED, collect_mail, &seen);
	ok(seen.n == 1 && seen.ids[0] == m3, "list failed");
	is_str(seen.last_error[0], "550 no such user", "with its error");
	is_int(store_outbox_list(st, 9, collect_mail, &seen), OP_E_INVALID,
	       "unknown status refused");

	/* Claim inside a caller's transaction joins it. */
	store_outbox_mark_retry(st, m4, 600, NULL);
	is_int(store_begin(st), OP_OK, "begin");
	n = claim(st, 600, 10, ids);
	ok(n == 2 && ids[0] == m2 && ids[1] == m4, "claim in a transaction");
	store_rollback(st);
	n = claim(st, 600, 10, ids);
	is_int(n, 2, "rolled back: the claims were undone");

	is_int(store_outbox_mark_sent(st, m4 + 99, 1), OP_E_NOTFOUND,
	       "mark of an absent message");
	is_int(store_outbox_get(st, m4 + 99, &got), OP_E_NOTFOUND,
	       "get of an absent message");
	is_int(store_outbox_claim(st, 100, 60, 0, &v, &n), OP_E_INVALID,
	       "claim of 0 refused");
	got.message_id = (char *)"<5@example.com>";
	got.mail_from = (char *)"a@example.com";
	got.rcpt = (char *)"b@example.com";
	got.subject = (char *)"hi\r\nBcc: c@example.com";
	got.body = (char *)"x";
	got.body_len = 1;
	is_int(store_outbox_add(st, &got), OP_E_INVALID,
	       "CR/LF in the subject refused");
	got.subject = (char *)"hi";
	got.body_len = 0;
	is_int(store_outbox_add(st, &got), OP_E_INVALID, "empty body refused");
}

/* ---- audit ---- */

struct audit_seen {
	int n;
	int64_t last_id;
	bool ordered;
	char events[4][32];
	int64_t user_ids[4];
	bool ip_null[4], detail_null[4];
	size_t detail_len[4];
};

static int
collect_audit(const struct audit_event *ev, void *arg)
{
	struct audit_seen *seen = arg;

	if (ev->id <= seen->last_id)
		seen->ordered = false;
	seen->last_id = ev->id;
	if (seen->n < 4) {
		snprintf(seen->events[seen->n], 32, "%s", ev->event);
		seen->user_ids[seen->n] = ev->user_id;
		seen->ip_null[seen->n] = ev->ip == NULL;
		seen->detail_null[seen->n] = ev->detail == NULL;
		seen->detail_len[seen->n] =
			ev->detail != NULL ? strlen(ev->detail) : 0;
	}
	seen->n++;
	return 0;
}

static void
t_audit(struct store *st)
{
	struct audit_event ev = { 0 };
	struct audit_seen seen = { .ordered = true };
	char detail[3000];

	subtest("Audit");
	ev.at = 100;
	ev.event = "signin.ok";
	ev.user_id = 7;
	ev.ip = "192.0.2.1";
	ev.detail = "via password";
	is_int(store_audit_add(st, &ev), OP_OK, "add signin.ok");
	ev.at = 101;
	ev.event = "signin.failed";
	ev.user_id = 0;
	ev.ip = NULL;
	ev.detail = NULL;
	is_int(store_audit_add(st, &ev), OP_OK, "add signin.failed");
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	ev.event = "password.reset";
	ev.detail = detail;
	is_int(store_audit_add(st, &ev), OP_OK, "long detail accepted");

	is_int(store_audit_list(st, collect_audit, &seen), OP_OK, "list");
	is_int(seen.n, 3, "three events");
	ok(seen.ordered, "oldest first");
	is_str(seen.events[0], "signin.ok", "first event");
	is_int(seen.user_ids[0], 7, "its user");
	ok(!seen.ip_null[0] && !seen.detail_null[0], "with ip and detail");
	is_str(seen.events[1], "signin.failed", "second event");
	ok(seen.ip_null[1] && seen.detail_null[1], "NULL ip and detail kept");
	is_int(seen.detail_len[2], 2048, "long detail cut to 2048 bytes");

	ev.event = "";
	is_int(store_audit_add(st, &ev), OP_E_INVALID, "empty event refused");
}

/* ---- secrets ---- */

static void
t_secret(struct store_factory *f, struct store *st)
{
	unsigned char a[32], b[32], c[32], d[32];
	struct store *st2 = NULL;

	subtest("Secret");
	is_int(store_secret(st, "csrf", a), OP_OK, "first call creates");
	ok(!is_zero(a, sizeof(a)), "not all zero");
	is_int(store_secret(st, "csrf", b), OP_OK, "second call reads");
	ok(memcmp(a, b, 32) == 0, "stable across calls");
	store_secret(st, "other", c);
	ok(memcmp(a, c, 32) != 0, "names are independent");
	is_int(f->open_again(f, &st2), OP_OK, "second handle on the file");
	if (st2 != NULL) {
		is_int(store_secret(st2, "csrf", d), OP_OK,
		       "read through the second handle");
		ok(memcmp(a, d, 32) == 0, "same value across handles");
		store_close(st2);
	}
	is_int(store_secret(st, "", d), OP_E_INVALID, "empty name refused");
}

/* ---- transactions, migrations, gc ---- */

static void
t_transactions(struct store *st)
{
	struct user got;
	int64_t id;

	subtest("Transactions");
	is_int(store_begin(st), OP_OK, "begin");
	is_int(store_begin(st), OP_E_INVALID, "nested begin refused");
	id = mkuser(st, "alice");
	ok(id > 0, "create inside the transaction");
	is_int(store_user_by_email(st, "alice@example.com", &got), OP_OK,
	       "visible inside the transaction");
	user_release(&got);
	store_rollback(st);
	is_int(store_user_by_email(st, "alice@example.com", &got),
	       OP_E_NOTFOUND, "rollback undoes");

	is_int(store_begin(st), OP_OK, "begin");
	id = mkuser(st, "bob");
	mksession(st, "b1", id, 100, 500);
	is_int(store_commit(st), OP_OK, "commit");
	is_int(store_user_by_email(st, "bob@example.com", &got), OP_OK,
	       "commit keeps the user");
	user_release(&got);
	is_int(session_get(st, "b1", 200), OP_OK, "and the session");

	is_int(store_commit(st), OP_E_INVALID, "commit without begin");
	store_rollback(st);
	ok(1, "rollback without begin is harmless");
	is_int(mkuser(st, "carol") > 0, 1, "store usable afterwards");
}

static void
t_migrations(struct store_factory *f, struct store *st)
{
	struct store *st2 = NULL;
	int v1 = -1, v2 = -2;

	subtest("Migrations");
	is_int(store_schema_version(st, &v1), OP_OK, "schema version");
	ok(v1 > 0, "schema version > 0");
	mkuser(st, "alice");
	is_int(f->open_again(f, &st2), OP_OK, "open the same database again");
	if (st2 == NULL)
		return;
	is_int(store_schema_version(st2, &v2), OP_OK, "version again");
	is_int(v2, v1, "same version: nothing re-applied");
	is_int(mkuser(st2, "alice"), 0, "data kept: alice exists already");
	store_close(st2);
}

static void
t_gc(struct store *st)
{
	int64_t alice;
	int n;

	subtest("GarbageCollect");
	alice = mkuser(st, "alice");
	mksession(st, "live", alice, 100, 1000);
	mksession(st, "dead", alice, 100, 500);
	mkonetime(st, "tlive", ONETIME_RESET, alice, NULL, 1000);
	mkonetime(st, "tdead", ONETIME_RESET, alice, NULL, 500);
	store_throttle_hit(st, "kdead", 100, 60, &n);
	store_throttle_hit(st, "klive", 590, 60, &n);
	is_int(consume(st, ONETIME_RESET, "tdead", 600), OP_E_EXPIRED,
	       "expired token is EXPIRED before gc");
	is_int(store_gc(st, 600), OP_OK, "gc");
	is_int(session_get(st, "live", 600), OP_OK, "live session kept");
	is_int(consume(st, ONETIME_RESET, "tdead", 600), OP_E_NOTFOUND,
	       "expired token collected");
	is_int(consume(st, ONETIME_RESET, "tlive", 600), OP_OK,
	       "live token kept");
	store_throttle_get(st, "klive", 600, 60, &n);
	is_int(n, 1, "live throttle window kept");
	store_gc(st, 2000);
	is_int(session_get(st, "live", 600), OP_E_NOTFOUND,
	       "session collected once expired");
	store_throttle_get(st, "klive", 600, 60, &n);
	is_int(n, 0, "throttle row collected once its window ended");
}

/* ---- concurrency ---- */

#define N_THREADS 4
#define N_PER_THREAD 200
#define N_RACES 100

struct worker {
	struct store *st;
	int index;
	int errors;
	int hits_seen_max;
};

static void *
worker_users(void *arg)
{
	struct worker *w = arg;
	char name[32];
	struct user got;
	int64_t id;
	int i, n;

	for (i = 0; i < N_PER_THREAD; i++) {
		snprintf(name, sizeof(name), "t%d-%d", w->index, i);
		id = mkuser(w->st, name);
		snprintf(name, sizeof(name), "t%d-%d@example.com", w->index,
			 i);
		if (id <= 0 || store_user_by_email(w->st, name, &got) != OP_OK)
			w->errors++;
		else if (got.id != id)
			w->errors++;
		user_release(&got);
		if (store_throttle_hit(w->st, "shared", 100, 3600, &n) != OP_OK)
			w->errors++;
		else if (n > w->hits_seen_max)
			w->hits_seen_max = n;
	}
	return NULL;
}

struct racer {
	struct store *st;
	pthread_barrier_t *barrier;
	const char *seed;
	enum op_rc rc;
};

static void *
worker_consume(void *arg)
{
	struct racer *r = arg;
	char hash[TOKEN_HASH_LEN + 1];
	struct onetime got;

	mkhash(r->seed, hash);
	pthread_barrier_wait(r->barrier);
	r->rc = store_onetime_consume(r->st, ONETIME_RESET, hash, 1000, &got);
	onetime_release(&got);
	return NULL;
}

static void
t_concurrency(struct store *st)
{
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t barrier;
	struct racer r[2];
	char seed[32];
	int i, j, errors = 0, wins = 0, bad = 0, count = 0, n = 0;
	int64_t alice;

	subtest("Concurrency");
	for (i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .st = st, .index = i };
		pthread_create(&th[i], NULL, worker_users, &w[i]);
	}
	for (i = 0; i < N_THREADS; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	is_int(errors, 0, "%d threads x %d create+lookup without error",
	       N_THREADS, N_PER_THREAD);
	store_user_list(st, count_user, &count);
	is_int(count, N_THREADS * N_PER_THREAD, "every user stored");
	store_throttle_get(st, "shared", 200, 3600, &n);
	is_int(n, N_THREADS * N_PER_THREAD, "no throttle hit lost");

	alice = mkuser(st, "alice");
	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < N_RACES; i++) {
		snprintf(seed, sizeof(seed), "race-%d", i);
		if (mkonetime(st, seed, ONETIME_RESET, alice, NULL, 5000) !=
		    OP_OK) {
			bad++;
			continue;
		}
		for (j = 0; j < 2; j++) {
			r[j] = (struct racer){ .st = st, .barrier = &barrier,
					       .seed = seed };
			pthread_create(&th[j], NULL, worker_consume, &r[j]);
		}
		for (j = 0; j < 2; j++)
			pthread_join(th[j], NULL);
		for (j = 0; j < 2; j++) {
			if (r[j].rc == OP_OK)
				wins++;
			else if (r[j].rc != OP_E_EXPIRED)
				bad++;
		}
	}
	pthread_barrier_destroy(&barrier);
	is_int(wins, N_RACES, "%d races: each token consumed exactly once",
	       N_RACES);
	is_int(bad, 0, "the loser always sees EXPIRED");
}

/* ---- the suite ---- */

static void
conformance_run(struct store_factory *f)
{
	printf("# conformance: %s\n", f->name);
	run_one(f, "UserCRUD", t_user_crud);
	run_one(f, "UserFailures", t_user_failures);
	run_one(f, "UserSetEmail", t_user_set_email);
	run_one(f, "UserDeleteCascades", t_user_delete);
	run_one(f, "UserList", t_user_list);
	run_one(f, "SessionExpiry", t_session_expiry);
	run_one(f, "SessionDeleteUser", t_session_delete_user);
	run_one(f, "SessionListUser", t_session_list);
	run_one(f, "OnetimeConsumeOnce", t_onetime);
	run_one(f, "OnetimeRevokeUser", t_onetime_revoke);
	run_one(f, "Throttle", t_throttle);
	run_one(f, "OutboxOrdering", t_outbox);
	run_one(f, "Audit", t_audit);
	run_with_factory(f, "Secret", t_secret);
	run_one(f, "Transactions", t_transactions);
	run_with_factory(f, "Migrations", t_migrations);
	run_one(f, "GarbageCollect", t_gc);
	run_one(f, "Concurrency", t_concurrency);
}

/* ---- opening: backend choice and errors (not backend-neutral) ---- */

struct opener {
	const char *path;
	pthread_barrier_t *barrier;
	enum op_rc rc;
	int version;
};

static void *
worker_open(void *arg)
{
	struct opener *o = arg;
	struct store *st = NULL;

	pthread_barrier_wait(o->barrier);
	o->rc = sqlite_open_path(o->path, &st);
	if (o->rc == OP_OK) {
		o->rc = store_schema_version(st, &o->version);
		store_close(st);
	}
	return NULL;
}

/* Several processes starting on one new file at once: the migrations
 * run once, in one transaction, and every opener sees the result. */
static void
t_open_concurrent(const char *dir)
{
	struct opener o[N_THREADS];
	pthread_t th[N_THREADS];
	pthread_barrier_t barrier;
	char *path;
	int i, round, failures = 0, mismatches = 0, version = 0;

	subtest("OpenConcurrent");
	pthread_barrier_init(&barrier, NULL, N_THREADS);
	for (round = 0; round < 10; round++) {
		path = xasprintf("%s/race-%d.db", dir, round);
		for (i = 0; i < N_THREADS; i++) {
			o[i] = (struct opener){ .path = path,
						.barrier = &barrier };
			pthread_create(&th[i], NULL, worker_open, &o[i]);
		}
		for (i = 0; i < N_THREADS; i++) {
			pthread_join(th[i], NULL);
			if (o[i].rc != OP_OK)
				failures++;
			else if (version == 0)
				version = o[i].version;
			else if (o[i].version != version)
				mismatches++;
		}
		xfree(path);
	}
	pthread_barrier_destroy(&barrier);
	is_int(failures, 0, "10 rounds of %d simultaneous first opens",
	       N_THREADS);
	ok(version > 0, "the schema was created");
	is_int(mismatches, 0, "all see the same schema version");
}

static void
t_open(const char *dir)
{
	struct config cfg = { 0 };
	struct op_err err = { 0 };
	/* Not NULL, so the test sees store_open clear it. */
	struct store *st = (struct store *)&cfg;
	char *path;
	FILE *fp;

	subtest("Open");
	/* Nothing listens on port 1: refused at once. */
	cfg.store_url = (char *)"postgresql://u:secret@127.0.0.1:1/onepass";
	is_int(store_open(&cfg, &st, &err), OP_E_STORE,
	       "postgresql url without a server is a store error");
	ok(strstr(err.msg, "'onepass' on 127.0.0.1:1") != NULL &&
		   strstr(err.msg, "secret") == NULL,
	   "message names the database, not the password");
	ok(st == NULL, "no store returned");
	cfg.store_url = (char *)"mysql://u:secret@localhost/x";
	is_int(store_open(&cfg, &st, &err), OP_E_INVALID,
	       "unknown scheme refused");
	ok(strstr(err.msg, "mysql") != NULL &&
		   strstr(err.msg, "secret") == NULL,
	   "message names the scheme, not the password");

	cfg.store_url = (char *)"sqlite:";
	cfg.store_path = NULL;
	is_int(store_open(&cfg, &st, &err), OP_E_INVALID,
	       "sqlite without a path refused");

	path = xasprintf("%s/no-such-dir/onepass.db", dir);
	cfg.store_path = path;
	is_int(store_open(&cfg, &st, &err), OP_E_STORE,
	       "missing directory is a store error");
	ok(strstr(err.msg, "no-such-dir") != NULL,
	   "message names the directory");
	xfree(path);

	path = xasprintf("%s/garbage.db", dir);
	fp = fopen(path, "w");
	if (fp != NULL) {
		fputs("this is not an SQLite database, just text that is "
		      "long enough to fill a header page of junk bytes\n",
		      fp);
		fclose(fp);
	}
	cfg.store_path = path;
	is_int(store_open(&cfg, &st, &err), OP_E_STORE,
	       "a file that is not a database is refused");
	xfree(path);

	path = xasprintf("%s/explicit.db", dir);
	cfg.store_url = xasprintf("sqlite:%s", path);
	cfg.store_path = path;
	is_int(store_open(&cfg, &st, &err), OP_OK, "sqlite:PATH opens");
	store_close(st);
	xfree(cfg.store_url);
	xfree(path);
}

int
main(void)
{
	struct sqlite_ctx ctx = { 0 };
	struct store_factory sqlite = {
		.name = "sqlite",
		.open_fresh = sqlite_open_fresh,
		.open_again = sqlite_open_again,
		.ctx = &ctx,
	};

	/* Backends log only real failures: let them show. */
	log_set_level(LOG_WARN);
	ctx.dir = tap_tmpdir();
	conformance_run(&sqlite);
	t_open(ctx.dir);
	t_open_concurrent(ctx.dir);
	tap_rmdir(ctx.dir);
	xfree(ctx.path);
	xfree(ctx.dir);
	return done_testing();
}

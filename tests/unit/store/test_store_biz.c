/*
 * test_store_biz.c - the store conformance suite for the records of the
 * business site (profiles, association links, business sessions, pending
 * business sign-ins, portal client registrations), and its run on SQLite.
 *
 * conformance_biz_run() takes the same factory as test_store.c and
 * test_store_oidc.c (conformance.h) and speaks to store.h alone, so any
 * backend can be proved with it: a PostgreSQL run needs only a factory.
 * Migrating an SQLite database made at schema version 2 is tested in
 * test_store_migrate.c.
 *
 * Worker threads never call the TAP functions: they count what they saw
 * and the main thread asserts after joining them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/log.h"
#include "conformance.h"

#define ISS "https://id.example.com"
#define ISS2 "https://other.example.org/oidc"

/* ---- helpers ---- */

/* A profile as a directory file would give it (email_canon left NULL:
 * the facade computes it). */
static struct profile
prof(const char *email, const char *name, const char *company,
     enum profile_type type)
{
	struct profile p = { 0 };

	p.email = (char *)email;
	p.name = (char *)name;
	p.company = (char *)company;
	p.type = type;
	p.created_at = 100;
	return p;
}

static int64_t
mkprofile(struct store *st, const char *email, const char *name,
	  enum profile_type type)
{
	struct profile p = prof(email, name, "Contoso", type);

	if (store_profile_create(st, &p) != OP_OK)
		return 0;
	return p.id;
}

struct seen {
	int n;
	int64_t ids[8];
	char names[8][64];
};

static int
collect(const struct profile *p, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		s->ids[s->n] = p->id;
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", p->name);
	}
	s->n++;
	return 0;
}

static int
count_all(struct store *st)
{
	struct seen s = { 0 };

	if (store_profile_list(st, collect, &s) != OP_OK)
		return -1;
	return s.n;
}

struct linkspec {
	const char *seed;	/* token hash from seed, code hash from
				 * "code-" seed */
	int64_t profile_id;
	const char *subject;
	int64_t created_at;
	int64_t expires_at;
};

static enum op_rc
mklink(struct store *st, const struct linkspec *ls)
{
	struct assoc_link l = { 0 };
	char code[64];

	mkhash(ls->seed, l.hash);
	snprintf(code, sizeof(code), "code-%s", ls->seed);
	mkhash(code, l.code_hash);
	l.profile_id = ls->profile_id;
	l.issuer = (char *)ISS;
	l.subject = (char *)ls->subject;
	l.portal = (char *)"customersource";
	l.created_at = ls->created_at;
	l.expires_at = ls->expires_at;
	return store_assoc_link_create(st, &l);
}

static enum op_rc
link_get(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct assoc_link l;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_assoc_link_get(st, hash, now, &l);
	assoc_link_release(&l);
	return rc;
}

static enum op_rc
link_consume(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];

	mkhash(seed, hash);
	return store_assoc_link_consume(st, hash, now);
}

/* By the code of the link made from seed, for subject; the found link's
 * token hash goes to found (may be NULL). */
static enum op_rc
link_by_code(struct store *st, const char *seed, const char *subject,
	     int64_t now, char *found)
{
	char code[64], code_hash[TOKEN_HASH_LEN + 1];
	struct assoc_link l;
	enum op_rc rc;

	snprintf(code, sizeof(code), "code-%s", seed);
	mkhash(code, code_hash);
	rc = store_assoc_link_by_code(st, ISS, subject, code_hash, now, &l);
	if (found != NULL)
		snprintf(found, TOKEN_HASH_LEN + 1, "%s", l.hash);
	assoc_link_release(&l);
	return rc;
}

static struct biz_login
mklogin(const char *seed, int64_t expires_at)
{
	struct biz_login l = { 0 };

	mkhash(seed, l.state_hash);
	l.portal = (char *)"partnersource";
	l.nonce = (char *)"n-0S6_WzA2Mj";
	l.verifier = (char *)"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	l.purpose = (char *)"login";
	l.return_to = (char *)"/partnersource/downloads?x=1";
	l.created_at = 100;
	l.expires_at = expires_at;
	return l;
}

static enum op_rc
login_take(struct store *st, const char *seed, int64_t now)
{
	char hash[TOKEN_HASH_LEN + 1];
	struct biz_login l;
	enum op_rc rc;

	mkhash(seed, hash);
	rc = store_biz_login_take(st, hash, now, &l);
	biz_login_release(&l);
	return rc;
}

static struct biz_session
mksession(const char *seed, int64_t expires_at)
{
	struct biz_session s = { 0 };

	mkhash(seed, s.hash);
	s.issuer = (char *)ISS;
	s.subject = (char *)"sub-alice";
	s.email = (char *)"Alice@Example.COM";
	s.id_token = (char *)"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln";
	s.auth_time = 90;
	s.created_at = 100;
	s.expires_at = expires_at;
	return s;
}

/* ---- profiles ---- */

static void
t_profile_crud(struct store *st)
{
	struct profile p, got;
	struct seen seen = { 0 };
	char long_name[4 * 201 + 1];
	int64_t id1, id2, id3;
	size_t i;

	subtest("ProfileCRUD");
	p = prof("Ann.Lee@Example.COM", "Ann Lee", "Contoso Ltd",
		 PROFILE_CUSTOMER);
	is_int(store_profile_create(st, &p), OP_OK, "create a profile");
	ok(p.id > 0, "id set");
	id1 = p.id;

	is_int(store_profile_get(st, id1, &got), OP_OK, "get by id");
	is_int(got.id, id1, "id");
	is_str(got.email, "Ann.Lee@Example.COM", "address as registered");
	is_str(got.email_canon, "ann.lee@example.com",
	       "canonical address computed by the facade");
	is_str(got.name, "Ann Lee", "name");
	is_str(got.company, "Contoso Ltd", "company");
	is_int(got.type, PROFILE_CUSTOMER, "type");
	ok(got.issuer == NULL && got.subject == NULL,
	   "not associated: no identity");
	is_int(got.associated_at, 0, "associated_at 0");
	is_int(got.created_at, 100, "created_at");
	store_profile_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");
	store_profile_release(&got);

	/* Unique by (canonical address, name, company, type). */
	p = prof("ann.lee@example.com", "Ann Lee", "Contoso Ltd",
		 PROFILE_CUSTOMER);
	is_int(store_profile_create(st, &p), OP_E_EXISTS,
	       "same canonical address, name, company and type: EXISTS");
	p = prof("ANN.LEE@EXAMPLE.COM", "Ann Lee", "Contoso Ltd",
		 PROFILE_PARTNER);
	is_int(store_profile_create(st, &p), OP_OK,
	       "same person as a partner is another profile");
	id2 = p.id;
	p = prof("ann.lee@example.com", "Ann Lee", "Fabrikam",
		 PROFILE_CUSTOMER);
	p.email_canon = (char *)"ann.lee@example.com";
	is_int(store_profile_create(st, &p), OP_OK,
	       "another company; a matching email_canon is accepted");
	id3 = p.id;
	ok(id1 < id2 && id2 < id3, "ids increase");

	/* by_email lists the address's profiles in id order. */
	is_int(store_profile_by_email(st, "ann.lee@example.com", collect,
				      &seen),
	       OP_OK, "by_email");
	is_int(seen.n, 3, "three profiles under the address");
	ok(seen.ids[0] == id1 && seen.ids[1] == id2 && seen.ids[2] == id3,
	   "in id order");
	memset(&seen, 0, sizeof(seen));
	is_int(store_profile_by_email(st, "nobody@example.com", collect,
				      &seen),
	       OP_OK, "by_email of an unknown address");
	is_int(seen.n, 0, "lists nothing");
	is_int(store_profile_by_email(st, "Ann.Lee@example.com", collect,
				      &seen),
	       OP_E_INVALID, "a non-canonical address is refused");
	mkprofile(st, "zed@example.com", "Zed", PROFILE_CUSTOMER);
	memset(&seen, 0, sizeof(seen));
	is_int(store_profile_list(st, collect, &seen), OP_OK, "list");
	is_int(seen.n, 4, "four profiles");
	is_str(seen.names[3], "Zed", "in id order");

	is_int(store_profile_get(st, 9999, &got), OP_E_NOTFOUND,
	       "absent id is NOTFOUND");
	ok(got.email == NULL, "out record zeroed after NOTFOUND");
	is_int(store_profile_get(st, 0, &got), OP_E_INVALID, "id 0 refused");

	/* The facade refuses what a profile must not be. */
	p = prof("b@example.com", "B\xc3\xa9la", "Contoso", PROFILE_CUSTOMER);
	p.email_canon = (char *)"other@example.com";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "email_canon not the canonical form of email: refused");
	p.email_canon = (char *)"B@example.com";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "upper case in email_canon refused");
	p.email_canon = NULL;
	p.email = (char *)" b@example.com";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "white space around the address refused");
	p.email = (char *)"b@example";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "invalid address refused");
	p.email = (char *)"b@example.com";
	p.name = (char *)"";
	is_int(store_profile_create(st, &p), OP_E_INVALID, "empty name");
	p.name = (char *)"Tab\there";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "control character in name refused");
	p.name = (char *)"Bad \xc3\x28";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "ill-formed UTF-8 in name refused");
	p.name = (char *)"C1 \xc2\x85";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "C1 control in name refused");
	for (i = 0; i < 200; i++)
		memcpy(long_name + 2 * i, "\xc3\xa9", 2);
	long_name[400] = '\0';
	p.name = long_name;
	is_int(store_profile_create(st, &p), OP_OK,
	       "200 characters (400 bytes) accepted");
	memcpy(long_name + 400, "x", 2);
	p.name = long_name;
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "201 characters refused");
	p.name = (char *)"Bob";
	p.company = (char *)"";
	is_int(store_profile_create(st, &p), OP_E_INVALID, "empty company");
	p.company = (char *)"Del\x7f";
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "DEL in company refused");
	p.company = (char *)"Contoso";
	p.type = 3;
	is_int(store_profile_create(st, &p), OP_E_INVALID, "unknown type");
	p.type = PROFILE_PARTNER;
	p.issuer = (char *)ISS;
	is_int(store_profile_create(st, &p), OP_E_INVALID,
	       "issuer without subject refused");
	p.subject = (char *)"sub-bob";
	p.associated_at = 150;
	is_int(store_profile_create(st, &p), OP_OK,
	       "a profile created already associated");
	is_int(store_profile_get(st, p.id, &got), OP_OK, "get it");
	ok(got.issuer != NULL && strcmp(got.issuer, ISS) == 0 &&
		   got.subject != NULL &&
		   strcmp(got.subject, "sub-bob") == 0 &&
		   got.associated_at == 150,
	   "with its identity");
	store_profile_release(&got);
	is_int(count_all(st), 6, "nothing refused was stored");
	is_int(store_profile_list(st, NULL, NULL), OP_E_INVALID,
	       "NULL callback refused");
}

static void
t_profile_import(struct store *st)
{
	struct profile v[5], one;
	struct seen seen = { 0 };
	size_t bad = 99;
	int64_t kept;

	subtest("ProfileImport");
	kept = mkprofile(st, "kept@example.com", "Kept", PROFILE_CUSTOMER);
	v[0] = prof("a@example.com", "A", "Contoso", PROFILE_CUSTOMER);
	v[1] = prof("B@Example.com", "B", "Contoso", PROFILE_PARTNER);
	v[2] = prof("c@example.com", "C", "Fabrikam", PROFILE_CUSTOMER);
	is_int(store_profile_import(st, v, 3, &bad), OP_OK, "import three");
	ok(v[0].id > kept && v[1].id > v[0].id && v[2].id > v[1].id,
	   "each row got its id, in order");
	is_int(count_all(st), 4, "four profiles");
	is_int(store_profile_by_email(st, "b@example.com", collect, &seen),
	       OP_OK, "a row is found by its canonical address");
	is_int(seen.n, 1, "one");

	/* A row taken already: nothing of the batch is kept. */
	v[0] = prof("d@example.com", "D", "Contoso", PROFILE_CUSTOMER);
	v[1] = prof("e@example.com", "E", "Contoso", PROFILE_CUSTOMER);
	v[2] = prof("KEPT@example.com", "Kept", "Contoso", PROFILE_CUSTOMER);
	v[3] = prof("f@example.com", "F", "Contoso", PROFILE_CUSTOMER);
	bad = 99;
	is_int(store_profile_import(st, v, 4, &bad), OP_E_EXISTS,
	       "a row that exists: EXISTS");
	is_int(bad, 2, "bad_index names it");
	is_int(count_all(st), 4, "rolled back: nothing added");
	ok(v[0].id == 0 && v[1].id == 0, "no id handed out");

	/* Two equal rows in one batch. */
	v[2] = prof("g@example.com", "G", "Contoso", PROFILE_CUSTOMER);
	v[3] = prof("E@EXAMPLE.COM", "E", "Contoso", PROFILE_CUSTOMER);
	bad = 99;
	is_int(store_profile_import(st, v, 4, &bad), OP_E_EXISTS,
	       "a row repeated in the batch: EXISTS");
	is_int(bad, 3, "bad_index names the second copy");
	is_int(count_all(st), 4, "nothing added");

	/* An invalid row is refused before anything is written. */
	v[3] = prof("h@example.com", "H", "Contoso", PROFILE_CUSTOMER);
	v[1].name = (char *)"E\x01";
	bad = 99;
	is_int(store_profile_import(st, v, 4, &bad), OP_E_INVALID,
	       "an invalid row: INVALID");
	is_int(bad, 1, "bad_index names it");
	v[1].name = (char *)"E";
	v[3].email_canon = (char *)"x@example.com";
	is_int(store_profile_import(st, v, 4, &bad), OP_E_INVALID,
	       "a mismatched email_canon: INVALID");
	is_int(bad, 3, "bad_index names it");
	is_int(count_all(st), 4, "nothing added");
	v[3].email_canon = NULL;

	/* Inside a transaction of the caller's: a failure undoes only the
	 * import's own rows. */
	is_int(store_begin(st), OP_OK, "begin");
	one = prof("tx@example.com", "Tx", "Contoso", PROFILE_CUSTOMER);
	is_int(store_profile_create(st, &one), OP_OK,
	       "create inside the transaction");
	v[2] = prof("tx@example.com", "Tx", "Contoso", PROFILE_CUSTOMER);
	is_int(store_profile_import(st, v, 4, &bad), OP_E_EXISTS,
	       "import inside it fails at its third row");
	is_int(bad, 2, "bad_index 2");
	is_int(store_commit(st), OP_OK, "commit");
	is_int(count_all(st), 5, "the caller's row is kept, none of the "
	       "import's");
	v[2] = prof("g@example.com", "G", "Contoso", PROFILE_CUSTOMER);
	is_int(store_begin(st), OP_OK, "begin");
	is_int(store_profile_import(st, v, 4, &bad), OP_OK,
	       "import inside a transaction");
	store_rollback(st);
	is_int(count_all(st), 5, "rolled back with the caller's transaction");

	is_int(store_profile_import(st, v, 4, &bad), OP_OK, "import again");
	is_int(count_all(st), 9, "four more");
	is_int(store_profile_import(st, v, 0, &bad), OP_OK,
	       "an empty import does nothing");
	is_int(store_profile_import(st, NULL, 1, &bad), OP_E_INVALID,
	       "NULL array refused");
}

/* ---- association of profiles with identities ---- */

static void
t_profile_associate(struct store *st)
{
	struct seen seen = { 0 };
	char *pi = (char *)"x", *ps = (char *)"x";
	struct profile got;
	int64_t p1, p2;

	subtest("ProfileAssociate");
	p1 = mkprofile(st, "ann@example.com", "Ann", PROFILE_CUSTOMER);
	p2 = mkprofile(st, "ann@example.com", "Ann", PROFILE_PARTNER);
	is_int(store_profile_associate(st, p1, ISS, "sub-alice", 200, &pi,
				       &ps),
	       OP_OK, "associate p1 with alice");
	ok(pi == NULL && ps == NULL, "it had no identity before");
	is_int(store_profile_get(st, p1, &got), OP_OK, "get p1");
	is_str(got.issuer, ISS, "issuer");
	is_str(got.subject, "sub-alice", "subject");
	is_int(got.associated_at, 200, "associated_at");
	store_profile_release(&got);

	is_int(store_profile_associate(st, p2, ISS, "sub-alice", 210, &pi,
				       &ps),
	       OP_OK, "associate p2 with alice too");
	is_int(store_profile_by_identity(st, ISS, "sub-alice", collect,
					 &seen),
	       OP_OK, "by_identity");
	is_int(seen.n, 2, "alice has two profiles");
	ok(seen.ids[0] == p1 && seen.ids[1] == p2, "in id order");

	/* Moving p1 to bob returns alice. */
	is_int(store_profile_associate(st, p1, ISS, "sub-bob", 300, &pi, &ps),
	       OP_OK, "associate p1 with bob");
	ok(pi != NULL && strcmp(pi, ISS) == 0, "previous issuer returned");
	ok(ps != NULL && strcmp(ps, "sub-alice") == 0,
	   "previous subject returned");
	xfree(pi);
	xfree(ps);
	memset(&seen, 0, sizeof(seen));
	store_profile_by_identity(st, ISS, "sub-alice", collect, &seen);
	ok(seen.n == 1 && seen.ids[0] == p2, "alice keeps only p2");
	memset(&seen, 0, sizeof(seen));
	store_profile_by_identity(st, ISS, "sub-bob", collect, &seen);
	ok(seen.n == 1 && seen.ids[0] == p1, "bob has p1");
	memset(&seen, 0, sizeof(seen));
	store_profile_by_identity(st, ISS2, "sub-bob", collect, &seen);
	is_int(seen.n, 0, "the same subject at another issuer has none");
	is_int(store_profile_get(st, p1, &got), OP_OK, "get p1");
	is_int(got.associated_at, 300, "associated_at moved on");
	store_profile_release(&got);

	is_int(store_profile_associate(st, p1, ISS, "sub-bob", 310, &pi, &ps),
	       OP_OK, "associate with the same identity again");
	ok(pi != NULL && ps != NULL && strcmp(ps, "sub-bob") == 0,
	   "returns that identity");
	xfree(pi);
	xfree(ps);

	pi = ps = (char *)"x";
	is_int(store_profile_associate(st, 9999, ISS, "sub-bob", 300, &pi,
				       &ps),
	       OP_E_NOTFOUND, "unknown profile: NOTFOUND");
	ok(pi == NULL && ps == NULL, "no previous identity returned");
	is_int(store_profile_associate(st, p1, "https://x y", "sub", 300, &pi,
				       &ps),
	       OP_E_INVALID, "space in issuer refused");
	is_int(store_profile_associate(st, p1, ISS, "", 300, &pi, &ps),
	       OP_E_INVALID, "empty subject refused");
	is_int(store_profile_associate(st, p1, ISS, "a\nb", 300, &pi, &ps),
	       OP_E_INVALID, "control character in subject refused");
	is_int(store_profile_associate(st, p1, ISS, "sub", 0, &pi, &ps),
	       OP_E_INVALID, "now 0 refused");
	is_int(store_profile_associate(st, p1, ISS, "sub", 300, NULL, &ps),
	       OP_E_INVALID, "NULL prev_issuer refused");
	is_int(store_profile_by_identity(st, ISS, NULL, collect, &seen),
	       OP_E_INVALID, "by_identity without subject refused");
}

/* ---- association links ---- */

static void
t_assoc_links(struct store *st)
{
	struct linkspec ls = { .subject = "sub-alice", .created_at = 100,
			       .expires_at = 1000 };
	char found[TOKEN_HASH_LEN + 1], want[TOKEN_HASH_LEN + 1];
	struct assoc_link got, l = { 0 };
	int64_t p1, p2;

	subtest("AssocLinks");
	p1 = mkprofile(st, "ann@example.com", "Ann", PROFILE_CUSTOMER);
	p2 = mkprofile(st, "ann@example.com", "Ann", PROFILE_PARTNER);
	ls.profile_id = p1;
	ls.seed = "link-1";
	is_int(mklink(st, &ls), OP_OK, "create a link");
	mkhash("link-1", want);
	is_int(store_assoc_link_get(st, want, 200, &got), OP_OK, "get it");
	is_str(got.hash, want, "hash");
	mkhash("code-link-1", want);
	is_str(got.code_hash, want, "code hash");
	is_int(got.profile_id, p1, "profile");
	is_str(got.issuer, ISS, "issuer");
	is_str(got.subject, "sub-alice", "subject");
	is_str(got.portal, "customersource", "portal");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 1000, "expires_at");
	assoc_link_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");

	is_int(link_by_code(st, "link-1", "sub-alice", 200, found), OP_OK,
	       "found by its code within the identity that asked");
	mkhash("link-1", want);
	is_str(found, want, "the right link");
	is_int(link_by_code(st, "link-1", "sub-bob", 200, NULL),
	       OP_E_NOTFOUND, "not by another identity's code lookup");
	is_int(link_by_code(st, "link-9", "sub-alice", 200, NULL),
	       OP_E_NOTFOUND, "an unknown code is NOTFOUND");

	/* A newer link for the same identity and profile spends it. */
	ls.seed = "link-p2";
	ls.profile_id = p2;
	is_int(mklink(st, &ls), OP_OK, "a link for alice's other profile");
	ls.seed = "link-bob";
	ls.profile_id = p1;
	ls.subject = "sub-bob";
	is_int(mklink(st, &ls), OP_OK, "a link for bob on p1");
	ls.seed = "link-2";
	ls.subject = "sub-alice";
	ls.created_at = 150;
	is_int(mklink(st, &ls), OP_OK, "a newer link for alice on p1");
	is_int(link_get(st, "link-1", 200), OP_E_EXPIRED,
	       "the older link is spent");
	is_int(link_by_code(st, "link-1", "sub-alice", 200, NULL),
	       OP_E_NOTFOUND, "and no longer found by its code");
	is_int(link_consume(st, "link-1", 200), OP_E_EXPIRED,
	       "nor consumable");
	is_int(link_get(st, "link-2", 200), OP_OK, "the newer is live");
	is_int(link_get(st, "link-p2", 200), OP_OK,
	       "the link for another profile is untouched");
	is_int(link_get(st, "link-bob", 200), OP_OK,
	       "the link of another identity is untouched");

	/* A failed create spends nothing. */
	ls.seed = "link-2";
	is_int(mklink(st, &ls), OP_E_EXISTS, "a taken hash is EXISTS");
	is_int(link_get(st, "link-2", 200), OP_OK,
	       "and the live link was not spent by it");
	ls.seed = "link-x";
	ls.profile_id = 9999;
	is_int(mklink(st, &ls), OP_E_NOTFOUND,
	       "a link for an unknown profile is NOTFOUND");

	/* Single use. */
	is_int(link_consume(st, "link-2", 300), OP_OK, "consume");
	is_int(link_consume(st, "link-2", 300), OP_E_EXPIRED,
	       "consume again: EXPIRED");
	is_int(link_get(st, "link-2", 300), OP_E_EXPIRED, "get: EXPIRED");
	is_int(link_by_code(st, "link-2", "sub-alice", 300, NULL),
	       OP_E_NOTFOUND, "by code: NOTFOUND");
	is_int(link_consume(st, "link-none", 300), OP_E_NOTFOUND,
	       "an unknown link is NOTFOUND");

	/* Expiry: live while now < expires_at. */
	is_int(link_get(st, "link-p2", 999), OP_OK, "live at 999");
	is_int(link_by_code(st, "link-p2", "sub-alice", 999, NULL), OP_OK,
	       "found by code at 999");
	is_int(link_get(st, "link-p2", 1000), OP_E_EXPIRED,
	       "expired at expires_at");
	is_int(link_by_code(st, "link-p2", "sub-alice", 1000, NULL),
	       OP_E_NOTFOUND, "not found by code at expires_at");
	is_int(link_consume(st, "link-p2", 1000), OP_E_EXPIRED,
	       "not consumable at expires_at");
	is_int(link_consume(st, "link-p2", 999), OP_OK,
	       "a refused consume spent nothing");

	/* The facade refuses malformed links. */
	mkhash("link-bad", l.hash);
	mkhash("code-bad", l.code_hash);
	l.profile_id = p1;
	l.issuer = (char *)ISS;
	l.subject = (char *)"sub-alice";
	l.portal = (char *)"customer source";
	is_int(store_assoc_link_create(st, &l), OP_E_INVALID,
	       "space in portal refused");
	l.portal = (char *)"customersource";
	l.code_hash[0] = 'A';
	is_int(store_assoc_link_create(st, &l), OP_E_INVALID,
	       "upper-case hex in code hash refused");
	mkhash("code-bad", l.code_hash);
	l.profile_id = 0;
	is_int(store_assoc_link_create(st, &l), OP_E_INVALID,
	       "profile 0 refused");
	is_int(store_assoc_link_get(st, "abc", 100, &got), OP_E_INVALID,
	       "short hash refused");
	is_int(store_assoc_link_by_code(st, ISS, "sub", "xyz", 100, &got),
	       OP_E_INVALID, "malformed code hash refused");
}

/* ---- concurrency: a link and a pending sign-in are spent once ---- */

#define N_RACES 50

struct racer {
	struct store *st;
	pthread_barrier_t *barrier;
	char hash[TOKEN_HASH_LEN + 1];
	bool login;
	enum op_rc rc;
	bool record_ok;
};

static void *
worker_race(void *arg)
{
	struct racer *r = arg;
	struct biz_login l;

	pthread_barrier_wait(r->barrier);
	if (r->login) {
		r->rc = store_biz_login_take(r->st, r->hash, 200, &l);
		r->record_ok = l.verifier != NULL &&
			       strcmp(l.state_hash, r->hash) == 0;
		biz_login_release(&l);
	} else {
		r->rc = store_assoc_link_consume(r->st, r->hash, 200);
		r->record_ok = true;
	}
	return NULL;
}

/* Races two threads on one fresh link (or pending sign-in) per round;
 * counts the winners and the losers that got the expected refusal. */
static void
race(struct store *st, int64_t profile_id, bool login, int *wins,
     int *losses)
{
	struct linkspec ls = { .profile_id = profile_id,
			       .subject = "sub-alice", .created_at = 100,
			       .expires_at = 1000 };
	pthread_barrier_t barrier;
	struct biz_login bl;
	struct racer r[2];
	pthread_t th[2];
	char seed[32];
	enum op_rc rc;
	int i, j;

	*wins = *losses = 0;
	pthread_barrier_init(&barrier, NULL, 2);
	for (i = 0; i < N_RACES; i++) {
		snprintf(seed, sizeof(seed), "%s-%d", login ? "st" : "ln", i);
		if (login) {
			bl = mklogin(seed, 1000);
			rc = store_biz_login_create(st, &bl);
		} else {
			ls.seed = seed;
			rc = mklink(st, &ls);
		}
		if (rc != OP_OK)
			continue;
		for (j = 0; j < 2; j++) {
			r[j] = (struct racer){ .st = st, .barrier = &barrier,
					       .login = login };
			mkhash(seed, r[j].hash);
			pthread_create(&th[j], NULL, worker_race, &r[j]);
		}
		for (j = 0; j < 2; j++)
			pthread_join(th[j], NULL);
		for (j = 0; j < 2; j++) {
			if (r[j].rc == OP_OK && r[j].record_ok)
				(*wins)++;
			else if (r[j].rc == (login ? OP_E_NOTFOUND
						   : OP_E_EXPIRED))
				(*losses)++;
		}
	}
	pthread_barrier_destroy(&barrier);
}

static void
t_concurrency(struct store *st)
{
	int64_t p1;
	int wins, losses;

	subtest("ConcurrencyBiz");
	p1 = mkprofile(st, "ann@example.com", "Ann", PROFILE_CUSTOMER);
	race(st, p1, false, &wins, &losses);
	is_int(wins, N_RACES, "%d races: each link consumed exactly once",
	       N_RACES);
	is_int(losses, N_RACES, "the loser always sees EXPIRED");
	race(st, p1, true, &wins, &losses);
	is_int(wins, N_RACES,
	       "%d races: each pending sign-in taken exactly once", N_RACES);
	is_int(losses, N_RACES, "the loser always sees NOTFOUND");
}

/* ---- business sessions ---- */

static void
t_biz_session(struct store *st)
{
	struct biz_session s, got;
	char hash[TOKEN_HASH_LEN + 1];

	subtest("BizSession");
	s = mksession("bs-1", 1000);
	is_int(store_biz_session_create(st, &s), OP_OK, "create");
	is_int(store_biz_session_create(st, &s), OP_E_EXISTS,
	       "same hash again is EXISTS");
	is_int(store_biz_session_get(st, s.hash, 500, &got), OP_OK, "get");
	is_str(got.hash, s.hash, "hash");
	is_str(got.issuer, ISS, "issuer");
	is_str(got.subject, "sub-alice", "subject");
	is_str(got.email, "Alice@Example.COM", "email");
	is_str(got.id_token, s.id_token, "id_token");
	is_int(got.profile_id, 0, "no profile chosen");
	is_int(got.auth_time, 90, "auth_time");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 1000, "expires_at");
	biz_session_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");

	is_int(store_biz_session_set_profile(st, s.hash, 42), OP_OK,
	       "choose a profile");
	store_biz_session_get(st, s.hash, 500, &got);
	is_int(got.profile_id, 42, "profile_id set");
	biz_session_release(&got);
	is_int(store_biz_session_get(st, s.hash, 999, &got), OP_OK,
	       "live at 999");
	biz_session_release(&got);
	is_int(store_biz_session_get(st, s.hash, 1000, &got), OP_E_NOTFOUND,
	       "NOTFOUND at expires_at");
	ok(got.issuer == NULL, "out zeroed");

	s = mksession("bs-2", 1000);
	s.email = NULL;
	s.id_token = NULL;
	s.profile_id = 7;
	is_int(store_biz_session_create(st, &s), OP_OK,
	       "create without email or id_token, with a profile");
	store_biz_session_get(st, s.hash, 500, &got);
	ok(got.email == NULL && got.id_token == NULL,
	   "NULL email and id_token read back NULL");
	is_int(got.profile_id, 7, "profile_id");
	biz_session_release(&got);
	is_int(store_biz_session_delete(st, s.hash), OP_OK, "delete");
	is_int(store_biz_session_get(st, s.hash, 500, &got), OP_E_NOTFOUND,
	       "gone");
	is_int(store_biz_session_delete(st, s.hash), OP_E_NOTFOUND,
	       "delete again is NOTFOUND");
	is_int(store_biz_session_set_profile(st, s.hash, 1), OP_E_NOTFOUND,
	       "set_profile of an absent session is NOTFOUND");

	mkhash("bs-3", hash);
	s = mksession("bs-3", 1000);
	s.subject = NULL;
	is_int(store_biz_session_create(st, &s), OP_E_INVALID,
	       "no subject refused");
	s.subject = (char *)"sub-alice";
	s.id_token = (char *)"eyJ a.b";
	is_int(store_biz_session_create(st, &s), OP_E_INVALID,
	       "space in id_token refused");
	s.id_token = NULL;
	s.email = (char *)"a@b.c\r\nBcc: x";
	is_int(store_biz_session_create(st, &s), OP_E_INVALID,
	       "CR LF in email refused");
	s.email = NULL;
	s.profile_id = -1;
	is_int(store_biz_session_create(st, &s), OP_E_INVALID,
	       "negative profile refused");
	is_int(store_biz_session_get(st, hash, 500, &got), OP_E_NOTFOUND,
	       "nothing refused was stored");
	is_int(store_biz_session_set_profile(st, "zz", 1), OP_E_INVALID,
	       "malformed hash refused");
}

/* ---- pending business sign-ins ---- */

static void
t_biz_login(struct store *st)
{
	char link_hash[TOKEN_HASH_LEN + 1];
	struct biz_login l, got;

	subtest("BizLogin");
	l = mklogin("state-1", 1000);
	is_int(store_biz_login_create(st, &l), OP_OK, "create");
	is_int(store_biz_login_create(st, &l), OP_E_EXISTS,
	       "same state again is EXISTS");
	is_int(store_biz_login_take(st, l.state_hash, 500, &got), OP_OK,
	       "take");
	is_str(got.state_hash, l.state_hash, "state hash");
	is_str(got.portal, "partnersource", "portal");
	is_str(got.nonce, "n-0S6_WzA2Mj", "nonce");
	is_str(got.verifier, l.verifier, "verifier");
	is_str(got.purpose, "login", "purpose");
	ok(got.link_hash == NULL, "no link");
	is_str(got.return_to, "/partnersource/downloads?x=1", "return_to");
	is_int(got.created_at, 100, "created_at");
	is_int(got.expires_at, 1000, "expires_at");
	biz_login_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");
	is_int(login_take(st, "state-1", 500), OP_E_NOTFOUND,
	       "taken once only");

	l = mklogin("state-2", 1000);
	l.purpose = (char *)"associate";
	l.return_to = NULL;
	mkhash("link-1", link_hash);
	l.link_hash = link_hash;
	is_int(store_biz_login_create(st, &l), OP_OK,
	       "create an association sign-in");
	is_int(store_biz_login_take(st, l.state_hash, 1000, &got),
	       OP_E_NOTFOUND, "NOTFOUND at expires_at");
	is_int(store_biz_login_take(st, l.state_hash, 999, &got), OP_OK,
	       "an expired take deleted nothing: live at 999");
	is_str(got.purpose, "associate", "purpose");
	is_str(got.link_hash, l.link_hash, "link hash");
	ok(got.return_to == NULL, "NULL return_to reads back NULL");
	biz_login_release(&got);
	is_int(login_take(st, "state-none", 500), OP_E_NOTFOUND,
	       "unknown state is NOTFOUND");

	l = mklogin("state-3", 1000);
	l.purpose = (char *)"logout";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "unknown purpose refused");
	l.purpose = (char *)"login";
	l.verifier = (char *)"short";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "short verifier refused");
	l.verifier = (char *)"dBjftJeZ4CVP+mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "verifier outside the unreserved set refused");
	l.verifier = (char *)"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
	l.return_to = (char *)"//evil.example/x";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "protocol-relative return_to refused");
	l.return_to = (char *)"/\\evil.example";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "backslash return_to refused");
	l.return_to = (char *)"https://evil.example/";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "absolute return_to refused");
	l.return_to = NULL;
	l.link_hash = (char *)"not-a-hash";
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "malformed link hash refused");
	l.link_hash = NULL;
	l.portal = NULL;
	is_int(store_biz_login_create(st, &l), OP_E_INVALID,
	       "no portal refused");
	is_int(login_take(st, "state-3", 500), OP_E_NOTFOUND,
	       "nothing refused was stored");
}

/* ---- portal client registrations ---- */

static void
t_portal_client(struct store *st)
{
	struct portal_client c = { 0 }, got;

	subtest("PortalClient");
	c.portal = (char *)"customersource";
	c.issuer = (char *)ISS;
	c.client_id = (char *)"cs-client";
	c.client_secret = (char *)"sealed:v1:AAAA";
	is_int(store_portal_client_put(st, &c), OP_OK, "put");
	c.client_id = (char *)"cs-client-2";
	is_int(store_portal_client_put(st, &c), OP_E_EXISTS,
	       "the portal already has a client at that issuer: EXISTS");
	is_int(store_portal_client_get(st, "customersource", ISS, &got), OP_OK,
	       "get");
	is_str(got.portal, "customersource", "portal");
	is_str(got.issuer, ISS, "issuer");
	is_str(got.client_id, "cs-client", "the first client is kept");
	is_str(got.client_secret, "sealed:v1:AAAA", "secret as given");
	portal_client_release(&got);
	ok(is_zero(&got, sizeof(got)), "release zeroes the record");

	c.issuer = (char *)ISS2;
	c.client_secret = NULL;
	is_int(store_portal_client_put(st, &c), OP_OK,
	       "the same portal at another issuer, without a secret");
	is_int(store_portal_client_get(st, "customersource", ISS2, &got),
	       OP_OK, "get it");
	is_str(got.client_id, "cs-client-2", "its client");
	ok(got.client_secret == NULL, "no secret reads back NULL");
	portal_client_release(&got);
	is_int(store_portal_client_get(st, "partnersource", ISS, &got),
	       OP_E_NOTFOUND, "another portal: NOTFOUND");

	c.client_id = (char *)"";
	is_int(store_portal_client_put(st, &c), OP_E_INVALID,
	       "empty client id refused");
	c.client_id = (char *)"x";
	c.client_secret = (char *)"a\nb";
	is_int(store_portal_client_put(st, &c), OP_E_INVALID,
	       "newline in secret refused");
	c.client_secret = NULL;
	c.portal = (char *)"";
	is_int(store_portal_client_put(st, &c), OP_E_INVALID,
	       "empty portal refused");
	is_int(store_portal_client_get(st, "customersource", "", &got),
	       OP_E_INVALID, "empty issuer refused");
}

/* ---- collection ---- */

static void
t_gc(struct store *st)
{
	struct linkspec ls = { .subject = "sub-alice", .created_at = 100,
			       .expires_at = 500 };
	struct portal_client pc = { 0 }, gotc;
	struct biz_session s, got;
	struct biz_login l;
	int64_t p1, p2;

	subtest("GarbageCollectBiz");
	p1 = mkprofile(st, "ann@example.com", "Ann", PROFILE_CUSTOMER);
	p2 = mkprofile(st, "ann@example.com", "Ann", PROFILE_PARTNER);
	s = mksession("bs-dead", 500);
	store_biz_session_create(st, &s);
	s = mksession("bs-live", 1000);
	store_biz_session_create(st, &s);
	l = mklogin("st-dead", 500);
	store_biz_login_create(st, &l);
	l = mklogin("st-live", 1000);
	store_biz_login_create(st, &l);
	ls.profile_id = p1;
	ls.seed = "ln-dead";
	mklink(st, &ls);
	ls.profile_id = p2;
	ls.seed = "ln-spent";
	ls.expires_at = 1000;
	mklink(st, &ls);
	link_consume(st, "ln-spent", 200);
	ls.subject = "sub-bob";
	ls.seed = "ln-live";
	mklink(st, &ls);
	pc.portal = (char *)"customersource";
	pc.issuer = (char *)ISS;
	pc.client_id = (char *)"cs";
	store_portal_client_put(st, &pc);

	is_int(link_get(st, "ln-dead", 600), OP_E_EXPIRED,
	       "expired link is EXPIRED before gc");
	is_int(link_get(st, "ln-spent", 600), OP_E_EXPIRED,
	       "spent link is EXPIRED before gc");
	is_int(store_biz_session_create(st, &s), OP_E_EXISTS,
	       "live session holds its hash");
	s = mksession("bs-dead", 500);
	is_int(store_biz_session_create(st, &s), OP_E_EXISTS,
	       "expired session still holds its hash before gc");
	l = mklogin("st-dead", 500);
	is_int(store_biz_login_create(st, &l), OP_E_EXISTS,
	       "expired pending sign-in still holds its state before gc");

	is_int(store_gc(st, 600), OP_OK, "gc at 600");
	is_int(link_get(st, "ln-dead", 600), OP_E_NOTFOUND,
	       "expired link collected");
	is_int(link_get(st, "ln-spent", 600), OP_E_NOTFOUND,
	       "spent link collected before its expiry");
	is_int(link_get(st, "ln-live", 600), OP_OK, "live link kept");
	is_int(store_biz_session_create(st, &s), OP_OK,
	       "expired session collected (its hash is free)");
	is_int(store_biz_session_get(st, s.hash, 100, &got), OP_OK,
	       "the new one");
	biz_session_release(&got);
	s = mksession("bs-live", 1000);
	is_int(store_biz_session_get(st, s.hash, 600, &got), OP_OK,
	       "live session kept");
	biz_session_release(&got);
	is_int(login_take(st, "st-dead", 400), OP_E_NOTFOUND,
	       "expired pending sign-in collected");
	is_int(store_biz_login_create(st, &l), OP_OK,
	       "(its state is free)");
	is_int(login_take(st, "st-live", 600), OP_OK,
	       "live pending sign-in kept");
	is_int(count_all(st), 2, "profiles are never collected");
	is_int(store_portal_client_get(st, "customersource", ISS, &gotc),
	       OP_OK, "portal clients are never collected");
	portal_client_release(&gotc);
}

/* ---- the suite ---- */

static void
conformance_biz_run(struct store_factory *f)
{
	printf("# conformance (business site records): %s\n", f->name);
	run_one(f, "ProfileCRUD", t_profile_crud);
	run_one(f, "ProfileImport", t_profile_import);
	run_one(f, "ProfileAssociate", t_profile_associate);
	run_one(f, "AssocLinks", t_assoc_links);
	run_one(f, "ConcurrencyBiz", t_concurrency);
	run_one(f, "BizSession", t_biz_session);
	run_one(f, "BizLogin", t_biz_login);
	run_one(f, "PortalClient", t_portal_client);
	run_one(f, "GarbageCollectBiz", t_gc);
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
	conformance_biz_run(&sqlite);
	tap_rmdir(ctx.dir);
	xfree(ctx.path);
	xfree(ctx.dir);
	return done_testing();
}

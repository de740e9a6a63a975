/* Unit tests of crypto/password.c: argon2id, rehash, policy, blocklist. */
#include <string.h>

#include <sodium.h>

#include "crypto/password.h"
#include "support/tap.h"

int
main(void)
{
	struct password_params pp = {
		.opslimit = 2, .memlimit_bytes = 19456 * 1024,
		.min_length = 15, .max_length = 256,
	};
	struct password_params cheaper = pp;
	char hash[PASSWORD_HASH_MAX], text[256];
	char long_pw[201];

	if (sodium_init() < 0)
		return 1;
	subtest("hash and verify");
	is_int(password_hash(&pp, "correct horse battery staple", hash), OP_OK,
	       "hash");
	ok(strncmp(hash, "$argon2id$", 10) == 0, "argon2id encoding");
	ok(strstr(hash, "m=19456,t=2,p=1") != NULL, "parameters recorded");
	ok(password_verify(hash, "correct horse battery staple"), "verifies");
	ok(!password_verify(hash, "correct horse battery stapl"),
	   "one character less fails");
	ok(!password_verify(hash, ""), "empty fails");
	ok(!password_verify("$argon2i$junk", "x"), "non-argon2id refused");
	ok(!password_verify(NULL, "x"), "missing hash refused");
	ok(!password_needs_rehash(&pp, hash), "same parameters: no rehash");
	cheaper.memlimit_bytes = 20480 * 1024;
	ok(password_needs_rehash(&cheaper, hash), "changed memory: rehash");
	cheaper = pp;
	cheaper.opslimit = 3;
	ok(password_needs_rehash(&cheaper, hash), "changed passes: rehash");

	subtest("no truncation");
	memset(long_pw, 'k', 200);
	long_pw[200] = '\0';
	is_int(password_hash(&pp, long_pw, hash), OP_OK, "hash 200 chars");
	ok(password_verify(hash, long_pw), "200 chars verify");
	long_pw[199] = '\0';
	ok(!password_verify(hash, long_pw), "199-char prefix fails");

	subtest("policy");
	is_int(password_judge(&pp, "short", NULL), PASSWORD_TOO_SHORT, "short");
	is_int(password_judge(&pp, "fourteen chars", NULL), PASSWORD_TOO_SHORT,
	       "14 is too short");
	is_int(password_judge(&pp, "fifteen chars!!", NULL), PASSWORD_OK,
	       "15 is enough; no composition rules");
	is_int(password_judge(&pp, "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", NULL),
	       PASSWORD_TOO_SHORT, "length counts characters, not bytes");
	is_int(password_judge(&pp, "tab\tinside password", NULL),
	       PASSWORD_INVALID, "control characters refused");
	is_int(password_judge(&pp, "bad utf8 \xff\xfe passwords", NULL),
	       PASSWORD_INVALID, "invalid UTF-8 refused");
	memset(long_pw, 'k', 200);
	long_pw[200] = '\0';
	pp.max_length = 100;
	is_int(password_judge(&pp, long_pw, NULL), PASSWORD_TOO_LONG, "long");
	pp.max_length = 256;
	is_int(password_judge(&pp, "someone@example.com", "someone@example.com"),
	       PASSWORD_IS_EMAIL, "the address itself is refused");
	pp.min_length = 6;
	is_int(password_judge(&pp, "password", NULL), PASSWORD_COMMON,
	       "'password' is on the blocklist");
	is_int(password_judge(&pp, "PassWord", NULL), PASSWORD_COMMON,
	       "blocklist ignores case");
	is_int(password_judge(&pp, "iloveyou", NULL), PASSWORD_COMMON,
	       "'iloveyou' is on the blocklist");
	is_int(password_judge(&pp, "qwertyuiop", NULL), PASSWORD_COMMON,
	       "'qwertyuiop' is on the blocklist");
	is_int(password_judge(&pp, "violet kettle orbit", NULL), PASSWORD_OK,
	       "an uncommon passphrase passes");
	ok(blocklist_contains("123456"), "first entry of the list");
	ok(!blocklist_contains(""), "empty is not listed");
	password_problem_text(PASSWORD_TOO_SHORT, &pp, text, sizeof(text));
	ok(strstr(text, "at least 6 characters") != NULL,
	   "too-short text names the minimum");
	return done_testing();
}

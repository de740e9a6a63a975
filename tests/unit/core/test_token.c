/* Unit tests of core/token.c: length, alphabet, uniqueness, hashing. */
#include <string.h>

#include <sodium.h>

#include "core/token.h"
#include "support/tap.h"

int
main(void)
{
	char a[TOKEN_STR_LEN + 1], b[TOKEN_STR_LEN + 1];
	char h1[TOKEN_HASH_LEN + 1], h2[TOKEN_HASH_LEN + 1];
	char m1[TOKEN_STR_LEN + 1], m2[TOKEN_STR_LEN + 1];
	unsigned char key[32] = { 1 };
	int i, all_ok = 1;

	if (sodium_init() < 0)
		return 1;
	token_new(a);
	token_new(b);
	is_int((int)strlen(a), TOKEN_STR_LEN, "43 characters for 256 bits");
	ok(strcmp(a, b) != 0, "two tokens differ");
	ok(token_wellformed(a), "a fresh token is well-formed");
	for (i = 0; i < 1000; i++) {
		token_new(a);
		all_ok &= token_wellformed(a);
	}
	ok(all_ok, "1000 fresh tokens are well-formed (base64url)");
	ok(!token_wellformed(""), "empty is not a token");
	memcpy(b, a, sizeof(b));
	b[TOKEN_STR_LEN - 1] = '\0';
	ok(!token_wellformed(b), "one character short is not a token");
	memcpy(b, a, sizeof(b));
	b[5] = '=';
	ok(!token_wellformed(b), "'=' is outside the alphabet");
	b[5] = '%';
	ok(!token_wellformed(b), "'%%' is outside the alphabet");
	token_hash("abc", 3, h1);
	is_str(h1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "hash is hex SHA-256");
	token_hash("abd", 3, h2);
	ok(strcmp(h1, h2) != 0, "different input, different hash");
	ok(token_equal("same", "same"), "equal strings compare equal");
	ok(!token_equal("same", "sane"), "different strings differ");
	ok(!token_equal("same", "same!"), "different lengths differ");
	token_mac(key, "cookie", m1);
	token_mac(key, "cookie", m2);
	is_str(m1, m2, "MAC is deterministic");
	key[0] = 2;
	token_mac(key, "cookie", m2);
	ok(strcmp(m1, m2) != 0, "MAC depends on the key");
	return done_testing();
}

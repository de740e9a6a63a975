/*
 * test_assoc_code.c - business/assoc_code.c: the short association code.
 * Generation (shape, alphabet, spread of the 40 bits, hash of the
 * normalised form) and normalisation of what a person types
 * (table-driven, malformed input included).
 */
#include <string.h>

#include <sodium.h>

#include "business/assoc_code.h"
#include "core/token.h"
#include "support/tap.h"

#define ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

static const struct {
	const char *typed;
	const char *norm;	/* NULL: not a code */
} cases[] = {
	{ "K7Q4-M2XP", "K7Q4M2XP" },
	{ "K7Q4M2XP", "K7Q4M2XP" },
	{ "k7q4-m2xp", "K7Q4M2XP" },
	{ " k7q4 - m2xp ", "K7Q4M2XP" },
	{ "K-7-Q-4-M-2-X-P", "K7Q4M2XP" },
	{ "--K7Q4M2XP--", "K7Q4M2XP" },
	{ "OOOO-IIII", "00001111" },
	{ "oolL-iI01", "00111101" },
	{ "0123-4567", "01234567" },
	{ "89AB-CDEF", "89ABCDEF" },
	{ "GHJK-MNPQ", "GHJKMNPQ" },
	{ "RSTV-WXYZ", "RSTVWXYZ" },
	{ "", NULL },
	{ "   ", NULL },
	{ "----", NULL },
	{ "K7Q4-M2X", NULL },		/* 7 */
	{ "K7Q4-M2XPA", NULL },		/* 9 */
	{ "K7Q4-M2XU", NULL },		/* U is not in the alphabet */
	{ "K7Q4-M2X!", NULL },
	{ "K7Q4_M2XP", NULL },		/* only spaces and hyphens drop */
	{ "K7Q4\tM2XP", NULL },
	{ "K7Q4.M2XP", NULL },
	{ "K7Q4-M2X\xc3\x9f", NULL },	/* non-ASCII */
	{ "\xef\xbc\xab" "7Q4-M2XP", NULL },	/* fullwidth K */
	{ "K7Q4-M2XP\n", NULL },
	{ "K7Q4 M2XP K7Q4 M2XP", NULL },
	/* 64 bytes typed is the most; longer is refused unread. */
	{ "K7Q4M2XP                                                        ",
	  "K7Q4M2XP" },
	{ "K7Q4M2XP                                                         ",
	  NULL },
};

/* s for a test name: control and non-ASCII bytes as '?'. */
static const char *
show(const char *s, char out[80])
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < 79; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
	return out;
}

static void
test_normalise(void)
{
	char out[ASSOC_CODE_LEN + 1], hash[TOKEN_HASH_LEN + 1];
	char want[TOKEN_HASH_LEN + 1], name[80];
	size_t i;

	subtest("normalise");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool got = assoc_code_normalise(cases[i].typed, out);
		bool hashed = assoc_code_hash(cases[i].typed, hash);

		show(cases[i].typed, name);
		if (cases[i].norm == NULL) {
			ok(!got && out[0] == '\0' && !hashed &&
				   hash[0] == '\0',
			   "refuses '%s'", name);
			continue;
		}
		if (!ok(got, "accepts '%s'", name))
			continue;
		is_str(out, cases[i].norm, "normal form of '%s'", name);
		token_hash(cases[i].norm, ASSOC_CODE_LEN, want);
		ok(hashed && strcmp(hash, want) == 0,
		   "hash of '%s' is token_hash of its normal form", name);
	}
	ok(!assoc_code_normalise(NULL, out) && out[0] == '\0',
	   "refuses NULL");
	ok(!assoc_code_hash(NULL, hash) && hash[0] == '\0',
	   "no hash for NULL");
}

static void
test_new(void)
{
	char code[ASSOC_CODE_DISPLAY_LEN + 1], hash[TOKEN_HASH_LEN + 1];
	char again[TOKEN_HASH_LEN + 1], first[ASSOC_CODE_DISPLAY_LEN + 1];
	int seen[ASSOC_CODE_LEN][32] = { { 0 } };
	bool shape = true, hashes = true, differ = false;
	const char *p;
	size_t i, j, unused = 0;

	subtest("new");
	assoc_code_new(first, hash);
	for (i = 0; i < 4000; i++) {
		assoc_code_new(code, hash);
		if (strlen(code) != ASSOC_CODE_DISPLAY_LEN || code[4] != '-')
			shape = false;
		for (j = 0; j < ASSOC_CODE_DISPLAY_LEN; j++) {
			if (j == 4)
				continue;
			p = strchr(ALPHABET, code[j]);
			if (p == NULL || code[j] == '\0') {
				shape = false;
				continue;
			}
			seen[j < 4 ? j : j - 1][p - ALPHABET]++;
		}
		if (!assoc_code_hash(code, again) || strcmp(again, hash) != 0)
			hashes = false;
		if (strcmp(code, first) != 0)
			differ = true;
	}
	ok(shape, "always XXXX-XXXX from the alphabet");
	ok(hashes, "the hash given is the hash of the code typed back");
	ok(differ, "codes differ");
	/* 4000 codes: each of 32 values is expected 125 times in each
	 * position; never seeing one would mean lost bits. */
	for (i = 0; i < ASSOC_CODE_LEN; i++)
		for (j = 0; j < 32; j++)
			if (seen[i][j] < 40)
				unused++;
	is_int(unused, 0, "every character appears in every position");
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_normalise();
	test_new();
	return done_testing();
}

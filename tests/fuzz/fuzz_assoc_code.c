/*
 * Fuzz target: normalising a typed association code (business/
 * assoc_code.c), which sees whatever a person submits in the code form.
 * Checks the invariants of an accepted code: 8 characters of the
 * alphabet, a fixed point, typed only from the characters the rules
 * allow, and a hash that is token_hash of the normal form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "business/assoc_code.h"
#include "core/token.h"
#include "core/xmalloc.h"

#define ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
/* What may appear in an accepted input: the alphabet in either case,
 * the look-alikes O, I, L, and the separators. */
#define TYPEABLE ALPHABET "abcdefghjkmnpqrstvwxyzOoIiLl -"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[ASSOC_CODE_LEN + 1], again[ASSOC_CODE_LEN + 1];
	char shown[ASSOC_CODE_DISPLAY_LEN + 1];
	char hash[TOKEN_HASH_LEN + 1], want[TOKEN_HASH_LEN + 1];
	char *s = xstrndup((const char *)data, size);
	bool accepted, hashed;
	size_t i;

	accepted = assoc_code_normalise(s, out);
	hashed = assoc_code_hash(s, hash);
	if (accepted != hashed)
		abort();
	if (!accepted) {
		if (out[0] != '\0' || hash[0] != '\0')
			abort();
		goto out;
	}
	if (strlen(out) != ASSOC_CODE_LEN ||
	    strspn(out, ALPHABET) != ASSOC_CODE_LEN)
		abort();
	if (strlen(s) > 64 || strspn(s, TYPEABLE) != strlen(s))
		abort();
	/* The normal form and the displayed form normalise to themselves. */
	if (!assoc_code_normalise(out, again) || strcmp(out, again) != 0)
		abort();
	memcpy(shown, out, 4);
	shown[4] = '-';
	memcpy(shown + 5, out + 4, 5);
	if (!assoc_code_normalise(shown, again) || strcmp(out, again) != 0)
		abort();
	token_hash(out, ASSOC_CODE_LEN, want);
	if (strcmp(hash, want) != 0)
		abort();
	for (i = 0; i < ASSOC_CODE_LEN; i++)
		if (out[i] == 'O' || out[i] == 'I' || out[i] == 'L' ||
		    out[i] == 'U')
			abort();
out:
	xfree(s);
	return 0;
}

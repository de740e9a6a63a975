/*
 * assoc_code.h - the short association code mailed with each association
 * link, for a person who reads the message on another device than the
 * one signed in to the portal and types the code instead of following
 * the link.
 *
 * A code is 8 characters of Crockford's base32 alphabet without I, L, O
 * and U ("0123456789ABCDEFGHJKMNPQRSTVWXYZ"), 40 bits from the CSPRNG,
 * shown as "XXXX-XXXX". What a person types is normalised before it is
 * checked: upper case, spaces and hyphens dropped, O read as 0, I and L
 * read as 1; then it must be exactly 8 characters of the alphabet. Only
 * the hash (core/token.h token_hash) of the 8 normalised characters is
 * stored. 40 bits is not a secret on its own: the store only finds a code
 * within the identity that asked for it, and the caller throttles tries.
 *
 * Pure functions, thread-safe; no allocation.
 */
#ifndef ASSOC_CODE_H
#define ASSOC_CODE_H

#include <stdbool.h>

#include "core/token.h"

#define ASSOC_CODE_LEN 8		/* normalised: 8 alphabet characters */
#define ASSOC_CODE_DISPLAY_LEN 9	/* shown: "XXXX-XXXX" */

/*
 * Writes a fresh code as shown ("XXXX-XXXX" + NUL) into code, and the
 * hash to store into hash. The caller wipes code once it is mailed.
 */
void assoc_code_new(char code[ASSOC_CODE_DISPLAY_LEN + 1],
		    char hash[TOKEN_HASH_LEN + 1]);
/*
 * Normalises typed (a NUL-terminated string as received) into the 8
 * alphabet characters + NUL in out. Returns false, with out set to "",
 * when typed is not a code (NULL, too long, a character outside the
 * alphabet once mapped, or not exactly 8 of them).
 */
bool assoc_code_normalise(const char *typed, char out[ASSOC_CODE_LEN + 1]);
/*
 * The stored form of what was typed: assoc_code_normalise, then the hash
 * of the 8 characters. Returns false (hash set to "") when typed is not a
 * code, so junk never reaches the store.
 */
bool assoc_code_hash(const char *typed, char hash[TOKEN_HASH_LEN + 1]);

#endif

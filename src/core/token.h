/*
 * token.h - secret tokens: 256 bits from the OS CSPRNG (libsodium),
 * base64url without padding for the wire, SHA-256 hex for storage. Only
 * the hash is ever stored; lookups hash what the client presents.
 */
#ifndef TOKEN_H
#define TOKEN_H

#include <stdbool.h>
#include <stddef.h>

#define TOKEN_BYTES 32
#define TOKEN_STR_LEN 43	/* base64url of 32 bytes, no padding */
#define TOKEN_HASH_LEN 64	/* hex SHA-256 */

/* Writes a fresh token (TOKEN_STR_LEN chars + NUL) into out. */
void token_new(char out[TOKEN_STR_LEN + 1]);
/* Writes hex(SHA-256(s[0..len))) + NUL into out. */
void token_hash(const char *s, size_t len, char out[TOKEN_HASH_LEN + 1]);
/* True when s looks like a token we issued (length and alphabet). Callers
 * check this before hashing, so junk never reaches the store. */
bool token_wellformed(const char *s);
/* Constant-time equality of two strings; false if lengths differ. */
bool token_equal(const char *a, const char *b);
/* HMAC-SHA-256 of msg under key, as base64url (43 chars + NUL). */
void token_mac(const unsigned char key[32], const char *msg,
	       char out[TOKEN_STR_LEN + 1]);

#endif

/*
 * assoc_code.c - the short association code: generation from the CSPRNG
 * and normalisation of what a person types (assoc_code.h).
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "business/assoc_code.h"

/* Crockford's base32 without I, L, O, U: 32 characters. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/* Typing mistakes beyond these give up: a code is 9 characters shown. */
#define TYPED_MAX 64

/* The alphabet character c stands for once typed, or 0 when none. */
static char
normal_char(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		c = (unsigned char)(c - 'a' + 'A');
	if (c == 'O')
		return '0';
	if (c == 'I' || c == 'L')
		return '1';
	if (c == 'U' || c == '\0')
		return 0;
	return memchr(alphabet, c, sizeof(alphabet) - 1) != NULL ? (char)c
								  : 0;
}

void
assoc_code_new(char code[ASSOC_CODE_DISPLAY_LEN + 1],
	       char hash[TOKEN_HASH_LEN + 1])
{
	unsigned char raw[5];
	char norm[ASSOC_CODE_LEN + 1];
	uint64_t bits = 0;
	size_t i;

	randombytes_buf(raw, sizeof(raw));
	for (i = 0; i < sizeof(raw); i++)
		bits = (bits << 8) | raw[i];
	/* 40 bits, 5 per character, most significant first. */
	for (i = 0; i < ASSOC_CODE_LEN; i++)
		norm[i] = alphabet[(bits >> (35 - 5 * i)) & 0x1f];
	norm[ASSOC_CODE_LEN] = '\0';
	memcpy(code, norm, 4);
	code[4] = '-';
	memcpy(code + 5, norm + 4, 4);
	code[ASSOC_CODE_DISPLAY_LEN] = '\0';
	token_hash(norm, ASSOC_CODE_LEN, hash);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(&bits, sizeof(bits));
	sodium_memzero(norm, sizeof(norm));
}

bool
assoc_code_normalise(const char *typed, char out[ASSOC_CODE_LEN + 1])
{
	size_t i, n = 0;
	char c;

	out[0] = '\0';
	if (typed == NULL || strnlen(typed, TYPED_MAX + 1) > TYPED_MAX)
		return false;
	for (i = 0; typed[i] != '\0'; i++) {
		if (typed[i] == ' ' || typed[i] == '-')
			continue;
		c = normal_char((unsigned char)typed[i]);
		if (c == 0 || n == ASSOC_CODE_LEN) {
			sodium_memzero(out, ASSOC_CODE_LEN + 1);
			return false;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	if (n != ASSOC_CODE_LEN) {
		sodium_memzero(out, ASSOC_CODE_LEN + 1);
		return false;
	}
	return true;
}

bool
assoc_code_hash(const char *typed, char hash[TOKEN_HASH_LEN + 1])
{
	char norm[ASSOC_CODE_LEN + 1];

	hash[0] = '\0';
	if (!assoc_code_normalise(typed, norm))
		return false;
	token_hash(norm, ASSOC_CODE_LEN, hash);
	sodium_memzero(norm, sizeof(norm));
	return true;
}

/*
 * facade.h - what the files of the store facade share (store.c for the
 * first records, store_oidc.c for those of the OpenID Connect provider):
 * the facade's handle and the argument checks both use. Private to
 * src/store/; backends include backend.h, never this.
 */
#ifndef STORE_FACADE_H
#define STORE_FACADE_H

#include <stdbool.h>
#include <string.h>

#include "core/log.h"
#include "core/token.h"
#include "store/backend.h"

/* The public session id ("sid"): sessions, codes, tokens. */
#define STORE_SID_MAX 64

struct store {
	const struct store_backend *be;
	void *h;
};

/* Notes a refused argument at debug level and returns OP_E_INVALID. */
#define REFUSE(what)                                                          \
	do {                                                                  \
		log_debug("store: %s: invalid %s", __func__, (what));         \
		return OP_E_INVALID;                                          \
	} while (0)

/* Non-NULL, non-empty, at most max bytes. */
static inline bool
valid_str(const char *s, size_t max)
{
	return s != NULL && s[0] != '\0' && strnlen(s, max + 1) <= max;
}

/* valid_str and no CR or LF (it may reach a header or a log line). */
static inline bool
valid_line(const char *s, size_t max)
{
	return valid_str(s, max) && strpbrk(s, "\r\n") == NULL;
}

/* NULL, or a valid_line. */
static inline bool
valid_opt_line(const char *s, size_t max)
{
	return s == NULL || valid_line(s, max);
}

/* Exactly TOKEN_HASH_LEN lower-case hex digits, as token_hash() writes. */
static inline bool
valid_hash(const char *h)
{
	size_t i;

	if (h == NULL)
		return false;
	for (i = 0; h[i] != '\0'; i++) {
		if (i >= TOKEN_HASH_LEN)
			return false;
		if (!((h[i] >= '0' && h[i] <= '9') ||
		      (h[i] >= 'a' && h[i] <= 'f')))
			return false;
	}
	return i == TOKEN_HASH_LEN;
}

/* 1..max bytes of printable ASCII without space: client ids, key ids,
 * session ids. */
static inline bool
valid_ident(const char *s, size_t max)
{
	size_t i;

	if (!valid_str(s, max))
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

#endif

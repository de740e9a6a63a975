/*
 * facade.h - what the files of the store facade share (store.c for the
 * first records, store_oidc.c for those of the OpenID Connect provider):
 * the facade's handle and the argument checks both use. Private to
 * src/store/; backends include backend.h, never this.
 */
#ifndef STORE_FACADE_H
#define STORE_FACADE_H

#include <stdbool.h>
#include <stdint.h>
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

/*
 * Decodes the UTF-8 sequence at s into *cp and returns its length (1 to
 * 4), or 0 when it is ill-formed: a stray continuation byte, an overlong
 * form, a surrogate, above U+10FFFF, or cut short (the NUL ends it).
 */
static inline size_t
utf8_next(const unsigned char *s, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t i, n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* 1..max_chars characters (at most max_bytes bytes) of well-formed UTF-8
 * without control characters. */
static inline bool
valid_text(const char *s, size_t max_bytes, size_t max_chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, chars = 0;
	uint32_t c;

	if (!valid_str(s, max_bytes))
		return false;
	while (*p != '\0') {
		n = utf8_next(p, &c);
		if (n == 0 || c < 0x20 || c == 0x7f ||
		    (c >= 0x80 && c <= 0x9f) || ++chars > max_chars)
			return false;
		p += n;
	}
	return true;
}

#endif

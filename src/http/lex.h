/*
 * lex.h - character classes and small helpers the http/ parsers and
 * response builders share, so that what the server accepts and what it
 * emits are defined once: RFC 7230 tchar (header and cookie names), RFC
 * 6265 cookie-octet (cookie values), hex digits of %-escapes.
 */
#ifndef HTTP_LEX_H
#define HTTP_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "http/http.h"

static inline int
http_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline bool
http_is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static inline bool
http_is_cookie_octet(unsigned char c)
{
	return c == 0x21 || (c >= 0x23 && c <= 0x2b) ||
	       (c >= 0x2d && c <= 0x3a) || (c >= 0x3c && c <= 0x5b) ||
	       (c >= 0x5d && c <= 0x7e);
}

/* True when one of v[0..n) is named name[0..len). */
static inline bool
http_params_has(const struct param *v, size_t n, const char *name,
		size_t len)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strncmp(v[i].name, name, len) == 0 &&
		    v[i].name[len] == '\0')
			return true;
	return false;
}

#endif

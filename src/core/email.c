#include <ctype.h>
#include <string.h>

#include "email.h"

/* The atext of RFC 5322 less the characters that cause trouble in mail
 * headers and URLs; what real providers accept in practice. */
static bool
local_char(unsigned char c)
{
	return isalnum(c) || strchr(".!#$%&'*+/=?^_`{|}~-", c) != NULL;
}

static bool
domain_ok(const char *d, size_t len)
{
	size_t i, label = 0, dots = 0;

	if (len == 0 || len > 253 || d[0] == '.' || d[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)d[i];
		if (c == '.') {
			if (label == 0 || d[i - 1] == '-')
				return false;
			label = 0;
			dots++;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return false;
		if (label == 0 && c == '-')
			return false;
		if (++label > 63)
			return false;
	}
	return dots >= 1;
}

bool
email_canonical(const char *in, char out[EMAIL_MAX + 1])
{
	const char *s = in, *e, *at = NULL, *p;
	size_t len, i;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	len = (size_t)(e - s);
	if (len < 3 || len > EMAIL_MAX)
		return false;
	for (p = s; p < e; p++) {
		if (*p == '@') {
			if (at != NULL)
				return false;
			at = p;
		}
	}
	if (at == NULL || at == s || at - s > 64)
		return false;
	if (s[0] == '.' || at[-1] == '.')
		return false;
	for (p = s; p < at; p++) {
		if (!local_char((unsigned char)*p))
			return false;
		if (*p == '.' && p[1] == '.')
			return false;
	}
	if (!domain_ok(at + 1, (size_t)(e - at - 1)))
		return false;
	for (i = 0; i < len; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[len] = '\0';
	return true;
}

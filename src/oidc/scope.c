/* scope.c - scope words and registered URI lists. */
#include <string.h>

#include "oidc/oidc.h"

static const char *const supported[] = {
	"openid", "email", "profile", "offline_access",
};

/* Calls fn for each space-separated word of s; stops when fn is true. */
static bool
has_word(const char *s, const char *w, size_t wlen)
{
	const char *p = s;
	size_t n;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n == wlen && n > 0 && memcmp(p, w, n) == 0)
			return true;
		p += n;
	}
	return false;
}

bool
oidc_scope_has(const char *scope, const char *word)
{
	return scope != NULL && has_word(scope, word, strlen(word));
}

const char *
oidc_scope_filter(struct arena *a, const char *scope)
{
	struct buf b;
	const char *out;
	size_t i;

	buf_init(&b, 256);
	for (i = 0; i < sizeof(supported) / sizeof(supported[0]); i++) {
		if (!oidc_scope_has(scope, supported[i]))
			continue;
		if (b.len > 0)
			buf_addch(&b, ' ');
		buf_adds(&b, supported[i]);
	}
	out = arena_strdup(a, buf_str(&b));
	buf_release(&b);
	return out;
}

bool
oidc_scope_subset(const char *narrow, const char *wide)
{
	const char *p = narrow;
	size_t n;

	while (p != NULL && *p != '\0') {
		while (*p == ' ')
			p++;
		n = strcspn(p, " ");
		if (n > 0 && !has_word(wide ? wide : "", p, n))
			return false;
		p += n;
	}
	return true;
}

bool
oidc_uri_listed(const char *lines, const char *uri)
{
	const char *p = lines;
	size_t n, ulen = strlen(uri);

	if (ulen == 0)
		return false;
	while (p != NULL && *p != '\0') {
		n = strcspn(p, "\n");
		if (n == ulen && memcmp(p, uri, n) == 0)
			return true;
		p += n;
		if (*p == '\n')
			p++;
	}
	return false;
}

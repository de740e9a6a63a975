/*
 * cookie.c - the Cookie request header (RFC 6265 section 4.2):
 * "name=value; name2=value2". A browser may send cookies another site or
 * an old version of ours set, so a pair that is malformed (no '=', a name
 * that is not a token, a value outside the cookie-octet alphabet) is
 * skipped rather than failing the request, and when a name repeats the
 * first one wins (the browser sends the most specific path first). Spaces
 * around names and values are trimmed; a value in double quotes loses
 * them. Only more than max_params distinct cookies fails (OP_E_LIMIT).
 * Names and values are copied into the arena.
 */
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "http/lex.h"

static bool
is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool
all_chars(const char *s, size_t n, bool (*pred)(unsigned char))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!pred((unsigned char)s[i]))
			return false;
	return true;
}

/* A name that is a token and a value made of cookie-octets. */
static bool
pair_ok(const char *nb, const char *ne, const char *vb, const char *ve)
{
	return nb < ne && all_chars(nb, (size_t)(ne - nb), http_is_tchar) &&
	       all_chars(vb, (size_t)(ve - vb), http_is_cookie_octet);
}

/* Trims OWS on both sides of [*b, *e). */
static void
trim(const char **b, const char **e)
{
	while (*b < *e && is_ows(**b))
		(*b)++;
	while (*e > *b && is_ows((*e)[-1]))
		(*e)--;
}

enum op_rc
cookie_parse(struct arena *a, const char *header, size_t max_params,
	     struct params *out)
{
	const char *p, *end, *nb, *ne, *vb, *ve, *eq;
	struct param *v;
	size_t cap = 1, n = 0;

	out->v = NULL;
	out->n = 0;
	if (header == NULL)
		return OP_OK;
	for (p = header; *p != '\0'; p++)
		if (*p == ';')
			cap++;
	if (cap > max_params)
		cap = max_params;
	v = arena_alloc(a, (cap ? cap : 1) * sizeof(*v));
	for (p = header; *p != '\0'; p = *end ? end + 1 : end) {
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		eq = memchr(p, '=', (size_t)(end - p));
		if (eq == NULL)
			continue;
		nb = p;
		ne = eq;
		vb = eq + 1;
		ve = end;
		trim(&nb, &ne);
		trim(&vb, &ve);
		if (ve - vb >= 2 && *vb == '"' && ve[-1] == '"') {
			vb++;
			ve--;
		}
		if (!pair_ok(nb, ne, vb, ve))
			continue;
		if (http_params_has(v, n, nb, (size_t)(ne - nb)))
			continue;
		if (n == max_params)
			return OP_E_LIMIT;
		v[n].name = arena_strndup(a, nb, (size_t)(ne - nb));
		v[n].value = arena_strndup(a, vb, (size_t)(ve - vb));
		v[n].value_len = (size_t)(ve - vb);
		n++;
	}
	out->v = v;
	out->n = n;
	return OP_OK;
}

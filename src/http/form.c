/*
 * form.c - application/x-www-form-urlencoded: the query string and the
 * bodies of HTML forms. form_parse() is strict where browsers are
 * predictable: a bad %-escape, a NUL (raw or %00), bytes that are not
 * UTF-8 and a repeated name each make the whole input invalid, so a
 * handler never has to choose between two values or see a broken string.
 * Empty pairs ("a=1&&b=2") are skipped; "a" alone means a="".
 *
 * Decoding writes into one arena block sized for the worst case, so a
 * request costs two arena allocations however many pairs it has. Names
 * are checked for repeats pairwise; max_params bounds that work.
 *
 * Also here: params_get() and url_encode(), the inverse for links.
 */
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "http/lex.h"

/* Decodes s[0..n) ('+' and %XX) into dst, NUL-terminated; *out_len is the
 * decoded length. False for a bad escape or a NUL byte. */
static bool
form_decode(const char *s, size_t n, char *dst, size_t *out_len)
{
	size_t i, o = 0;
	unsigned char c;
	int hi, lo;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			if (n - i < 3)
				return false;
			hi = http_hexval((unsigned char)s[i + 1]);
			lo = http_hexval((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return false;
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (c == '\0')
			return false;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	*out_len = o;
	return true;
}

/* Counts the non-empty '&'-separated pairs of s[0..len), stopping once
 * past limit. */
static size_t
form_count(const char *s, size_t len, size_t limit)
{
	size_t i, n = 0;
	bool in_pair = false;

	for (i = 0; i < len; i++) {
		if (s[i] == '&') {
			in_pair = false;
		} else if (!in_pair) {
			in_pair = true;
			if (++n > limit)
				break;
		}
	}
	return n;
}

enum op_rc
form_parse(struct arena *a, const char *s, size_t len, size_t max_params,
	   struct params *out)
{
	const char *pair, *end, *eq, *stop = s + len;
	struct param *v;
	size_t count, n = 0, nlen, vlen;
	char *dst;

	out->v = NULL;
	out->n = 0;
	if (len == 0)
		return OP_OK;
	count = form_count(s, len, max_params);
	if (count > max_params)
		return OP_E_LIMIT;
	if (count == 0)
		return OP_OK;
	v = arena_alloc(a, count * sizeof(*v));
	/* Decoding never grows: each pair needs at most its own length plus
	 * two NULs. */
	dst = arena_alloc(a, len + 2 * count);
	for (pair = s; pair < stop; pair = end < stop ? end + 1 : stop) {
		end = memchr(pair, '&', (size_t)(stop - pair));
		if (end == NULL)
			end = stop;
		if (end == pair)
			continue;
		eq = memchr(pair, '=', (size_t)(end - pair));
		if (eq == NULL)
			eq = end;
		if (eq == pair)
			return OP_E_INVALID;	/* an empty name */
		if (!form_decode(pair, (size_t)(eq - pair), dst, &nlen) ||
		    !utf8_valid(dst, nlen) || http_params_has(v, n, dst, nlen))
			return OP_E_INVALID;
		v[n].name = dst;
		dst += nlen + 1;
		if (eq == end) {
			vlen = 0;
			*dst = '\0';
		} else if (!form_decode(eq + 1, (size_t)(end - eq - 1), dst,
					&vlen) || !utf8_valid(dst, vlen)) {
			return OP_E_INVALID;
		}
		v[n].value = dst;
		v[n].value_len = vlen;
		dst += vlen + 1;
		n++;
	}
	out->v = v;
	out->n = n;
	return OP_OK;
}

const char *
params_get(const struct params *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

char *
url_encode(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s), o = 0, i;
	char *out = arena_alloc(a, 3 * len + 1);
	unsigned char c;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0x0f];
		}
	}
	out[o] = '\0';
	return out;
}

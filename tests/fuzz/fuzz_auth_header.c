/*
 * fuzz_auth_header.c - an Authorization header value from arbitrary
 * bytes (inputs holding a NUL are not header values and are skipped),
 * through oidc_bearer() and oidc_client_creds() with an empty form.
 * Besides not crashing, the target checks:
 *   - a Bearer token comes from a "Bearer " header (any case), is the
 *     rest of it after the spaces that follow the scheme, is non-empty
 *     and at most 512 bytes, and such a header always yields one;
 *   - Bearer and Basic never both accept one header;
 *   - Basic yields a non-empty client_id and a secret that are the two
 *     form-urlencoded halves of the credential read literally (RFC 6749
 *     2.3.1), a well-formed credential is accepted, and a refusal sets
 *     *basic_failed;
 *   - the same credential with a client_secret in the form, or another
 *     client_id there, is refused; with the same client_id, accepted;
 *   - the credentials re-encoded as Basic give the same client back.
 * Any violation aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/arena.h"
#include "http/http.h"
#include "oidc/oidc.h"

#define BASIC_MAX 1024
#define BEARER_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one form-urlencoded value s[0..n) literally ('+' and %XX
 * only); NULL when it is not a valid UTF-8 string without NUL. */
static char *
value_decode(struct arena *a, const char *s, size_t n)
{
	char *out = arena_alloc(a, n + 1);
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '+') {
			out[o++] = ' ';
		} else if (s[i] == '%') {
			if (n - i < 3)
				return NULL;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				return NULL;
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else {
			out[o++] = s[i];
		}
		if (out[o - 1] == '\0')
			return NULL;
	}
	out[o] = '\0';
	return utf8_valid(out, o) ? out : NULL;
}

/* 1 with *id and *secret for a well-formed Basic credential, 0 for a
 * malformed one, -1 when a part holds a raw '&' (refusing it or reading
 * it literally are both fine). */
static int
basic_expect(struct arena *a, const char *h, const char **id,
	     const char **secret)
{
	const char *b64 = h + 6, *colon;
	unsigned char *bin;
	size_t len = strlen(b64), bin_len;

	if (strncasecmp(h, "Basic ", 6) != 0 || len == 0 || len > BASIC_MAX)
		return 0;
	/* The alphabet checked here: libsodium 1.0.18 decodes bytes
	 * 0x80-0xff as '/'. */
	if (strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789+/=") != len)
		return 0;
	bin = arena_alloc(a, len + 1);
	if (sodium_base642bin(bin, len, b64, len, NULL, &bin_len, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    memchr(bin, '\0', bin_len) != NULL)
		return 0;
	colon = memchr(bin, ':', bin_len);
	if (colon == NULL)
		return 0;
	*id = value_decode(a, (const char *)bin,
			   (size_t)(colon - (const char *)bin));
	*secret = value_decode(a, colon + 1,
			       bin_len - (size_t)(colon + 1 - (char *)bin));
	if (*id == NULL || (*id)[0] == '\0' || *secret == NULL)
		return 0;
	if (memchr(bin, '&', bin_len) != NULL)
		return -1;
	return 1;
}

static void
check_bearer(struct arena *a, const char *h)
{
	const char *t = oidc_bearer(a, h), *rest;
	size_t hl = strlen(h), tl;

	rest = h;
	if (strncasecmp(h, "Bearer ", 7) == 0)
		for (rest = h + 7; *rest == ' '; rest++)
			continue;
	if (t == NULL) {
		if (rest != h && *rest != '\0' && strlen(rest) <= BEARER_MAX)
			abort();	/* a usable token missed */
		return;
	}
	tl = strlen(t);
	if (rest == h || tl == 0 || tl > BEARER_MAX || t[0] == ' ' ||
	    tl > hl || strcmp(t, rest) != 0)
		abort();
}

/* Runs oidc_client_creds(h, form) and checks what it can be. */
static enum oidc_error
creds(struct arena *a, const char *h, const char *body,
      struct client_creds *cr)
{
	struct params form;
	enum oidc_error e;
	bool bf = false;

	if (form_parse(a, body, strlen(body), 4, &form) != OP_OK)
		abort();
	e = oidc_client_creds(a, h, &form, cr, &bf);
	if (e == OIDC_OK) {
		if (bf || cr->method != CLIENT_AUTH_BASIC ||
		    cr->client_id == NULL || cr->client_id[0] == '\0' ||
		    cr->client_secret == NULL)
			abort();
	} else if (e != OIDC_INVALID_CLIENT || !bf) {
		abort();
	}
	return e;
}

/* The credentials presented again as Basic give the same client. */
static void
reencode(struct arena *a, const char *id, const char *secret)
{
	const char *plain = arena_asprintf(a, "%s:%s", url_encode(a, id),
					   url_encode(a, secret));
	size_t n = sodium_base64_ENCODED_LEN(strlen(plain),
					     sodium_base64_VARIANT_ORIGINAL);
	struct client_creds cr;
	char *b64;

	if (n - 1 > BASIC_MAX)
		return;
	b64 = arena_alloc(a, n);
	sodium_bin2base64(b64, n, (const unsigned char *)plain, strlen(plain),
			  sodium_base64_VARIANT_ORIGINAL);
	if (creds(a, arena_asprintf(a, "bAsIc %s", b64), "", &cr) != OIDC_OK ||
	    strcmp(cr.client_id, id) != 0 ||
	    strcmp(cr.client_secret, secret) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *h, *id = NULL, *secret = NULL, *body;
	struct client_creds cr, cr2;
	enum oidc_error e;
	int want;

	if (sodium_init() < 0)
		abort();
	if (memchr(data, '\0', size) != NULL)
		goto out;
	h = arena_strndup(a, (const char *)data, size);

	check_bearer(a, h);
	e = creds(a, h, "", &cr);
	if (e == OIDC_OK && oidc_bearer(a, h) != NULL)
		abort();	/* one header, two schemes */
	want = basic_expect(a, h, &id, &secret);
	if (want == 1 && e != OIDC_OK)
		abort();	/* a well-formed credential refused */
	if (e != OIDC_OK)
		goto out;
	if (want == 0 || strcmp(cr.client_id, id) != 0 ||
	    strcmp(cr.client_secret, secret) != 0)
		abort();	/* not the credential that was sent */

	/* With a form: two methods refused, two clients refused. */
	if (creds(a, h, "client_secret=x", &cr2) != OIDC_INVALID_CLIENT)
		abort();
	body = arena_asprintf(a, "client_id=%s", url_encode(a, cr.client_id));
	if (creds(a, h, body, &cr2) != OIDC_OK ||
	    strcmp(cr2.client_id, cr.client_id) != 0)
		abort();
	body = arena_asprintf(a, "client_id=%s%%21",
			      url_encode(a, cr.client_id));
	if (creds(a, h, body, &cr2) != OIDC_INVALID_CLIENT)
		abort();
	reencode(a, cr.client_id, cr.client_secret);
out:
	arena_free(a);
	return 0;
}

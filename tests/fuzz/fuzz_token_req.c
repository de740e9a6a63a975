/*
 * fuzz_token_req.c - client authentication at the token endpoint: an
 * Authorization header and a form body from arbitrary bytes, through
 * form_parse() and oidc_client_creds(). The input is "HEADER\nBODY";
 * with no newline there is no header and it is all body. Besides not
 * crashing, the target checks the contract the endpoints rely on:
 *   - the answer is OK or invalid_client, and *basic_failed is set
 *     exactly when a header was sent and refused;
 *   - OK always names a non-empty client_id;
 *   - BASIC comes from a "Basic " header, with no client_secret in the
 *     form and no other client_id there, and its id and secret are the
 *     form-urlencoded parts of the credential read literally (RFC 6749
 *     2.3.1; a raw '&' is no separator);
 *   - without a header, POST and NONE are exactly the form's fields,
 *     and a non-empty client_id is always accepted;
 *   - a well-formed Basic credential is accepted, and credentials
 *     re-encoded as Basic authenticate the same client and secret.
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

#define FUZZ_MAX_PARAMS 64
#define BASIC_MAX 1024

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

/*
 * Reads a Basic header independently of creds.c. Returns 1 with *id and
 * *secret for a well-formed credential, 0 for a malformed one, and -1
 * when either part holds a raw '&' (which a server may refuse or read
 * literally).
 */
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

/* "Basic " + base64(urlencode(id) ":" urlencode(secret)), or NULL when
 * longer than the server takes. */
static const char *
basic_encode(struct arena *a, const char *id, const char *secret)
{
	const char *plain = arena_asprintf(a, "%s:%s", url_encode(a, id),
					   url_encode(a, secret));
	size_t n = sodium_base64_ENCODED_LEN(strlen(plain),
					     sodium_base64_VARIANT_ORIGINAL);
	char *b64;

	if (n - 1 > BASIC_MAX)
		return NULL;
	b64 = arena_alloc(a, n);
	sodium_bin2base64(b64, n, (const unsigned char *)plain, strlen(plain),
			  sodium_base64_VARIANT_ORIGINAL);
	return arena_asprintf(a, "Basic %s", b64);
}

/* Presents id and secret again as Basic: the same client must result. */
static void
reencode(struct arena *a, const char *id, const char *secret)
{
	struct params none = { NULL, 0 };
	struct client_creds cr;
	const char *h = basic_encode(a, id, secret);
	bool bf = true;

	if (h == NULL)
		return;
	if (oidc_client_creds(a, h, &none, &cr, &bf) != OIDC_OK || bf ||
	    cr.method != CLIENT_AUTH_BASIC ||
	    strcmp(cr.client_id, id) != 0 ||
	    strcmp(cr.client_secret, secret) != 0)
		abort();
}

static bool
same_str(const char *x, const char *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return strcmp(x, y) == 0;
}

static void
check(struct arena *a, const char *h, const struct params *form)
{
	const char *fid = params_get(form, "client_id");
	const char *fsecret = params_get(form, "client_secret");
	const char *id = NULL, *secret = NULL;
	struct client_creds cr;
	bool bf = h == NULL;
	enum oidc_error e;
	int want = 0;

	e = oidc_client_creds(a, h, form, &cr, &bf);
	if (e != OIDC_OK && e != OIDC_INVALID_CLIENT)
		abort();
	if (e != OIDC_OK) {
		if (bf != (h != NULL))
			abort();
	} else if (bf || cr.client_id == NULL || cr.client_id[0] == '\0') {
		abort();
	}

	if (h == NULL) {
		/* The form alone decides. */
		if ((e == OIDC_OK) != (fid != NULL && fid[0] != '\0'))
			abort();
		if (e == OIDC_OK &&
		    (!same_str(cr.client_id, fid) ||
		     !same_str(cr.client_secret, fsecret) ||
		     cr.method != (fsecret != NULL ? CLIENT_AUTH_POST
						   : CLIENT_AUTH_NONE)))
			abort();
		if (e == OIDC_OK && fsecret != NULL)
			reencode(a, cr.client_id, cr.client_secret);
		return;
	}

	want = basic_expect(a, h, &id, &secret);
	if (want == 1 && fsecret == NULL &&
	    (fid == NULL || strcmp(fid, id) == 0) && e != OIDC_OK)
		abort();	/* a well-formed credential refused */
	if (e != OIDC_OK)
		return;
	if (cr.method != CLIENT_AUTH_BASIC || strncasecmp(h, "Basic ", 6) != 0)
		abort();
	if (fsecret != NULL || (fid != NULL && strcmp(fid, cr.client_id) != 0))
		abort();	/* two methods, or two clients */
	if (want == 0 || cr.client_secret == NULL ||
	    strcmp(cr.client_id, id) != 0 ||
	    strcmp(cr.client_secret, secret) != 0)
		abort();	/* not the credential that was sent */
	reencode(a, cr.client_id, cr.client_secret);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	const char *s = (const char *)data, *nl, *h = NULL;
	struct params form;
	size_t len = size;

	if (sodium_init() < 0)
		abort();
	nl = memchr(s, '\n', size);
	if (nl != NULL) {
		/* A header value holds no NUL: stop at the first. */
		h = arena_strndup(a, s, (size_t)(nl - s));
		len = size - (size_t)(nl + 1 - s);
		s = nl + 1;
	}
	if (form_parse(a, s, len, FUZZ_MAX_PARAMS, &form) == OP_OK)
		check(a, h, &form);
	arena_free(a);
	return 0;
}

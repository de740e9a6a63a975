/*
 * fuzz_cookie.c - cookie_parse() on arbitrary header text. What it keeps
 * must be what the rest of the server assumes: at most max_params
 * cookies, unique token names, values in the RFC 6265 cookie-octet
 * alphabet with value_len their length. Any violation aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/xmalloc.h"
#include "http/http.h"

#define FUZZ_MAX_PARAMS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct params *p)
{
	const unsigned char *s;
	size_t i, j;

	if (p->n > FUZZ_MAX_PARAMS)
		abort();
	for (i = 0; i < p->n; i++) {
		if (p->v[i].name[0] == '\0' ||
		    strcspn(p->v[i].name, " \t;=,\"()<>@:\\/[]?{}") !=
			    strlen(p->v[i].name))
			abort();
		if (strlen(p->v[i].value) != p->v[i].value_len)
			abort();
		for (s = (const unsigned char *)p->v[i].value; *s; s++)
			if (*s <= 0x20 || *s >= 0x7f || *s == '"' ||
			    *s == ',' || *s == ';' || *s == '\\')
				abort();
		for (j = 0; j < i; j++)
			if (strcmp(p->v[i].name, p->v[j].name) == 0)
				abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	char *header = xstrndup((const char *)data, size);
	struct params p;
	enum op_rc rc;

	rc = cookie_parse(a, header, FUZZ_MAX_PARAMS, &p);
	if (rc == OP_OK)
		check(&p);
	else if (rc != OP_E_LIMIT || p.n != 0)
		abort();
	xfree(header);
	arena_free(a);
	return 0;
}

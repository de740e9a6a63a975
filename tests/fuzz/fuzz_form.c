/*
 * fuzz_form.c - form_parse() on arbitrary bytes (a query string or a
 * form body). Besides not crashing, what it accepts must keep the
 * contract handlers rely on: at most max_params pairs, unique non-empty
 * names, values that are valid UTF-8 without NUL and whose value_len is
 * their length. Any violation aborts, which libFuzzer reports.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "http/http.h"

#define FUZZ_MAX_PARAMS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(const struct params *p)
{
	size_t i, j, nl;

	if (p->n > FUZZ_MAX_PARAMS)
		abort();
	for (i = 0; i < p->n; i++) {
		nl = strlen(p->v[i].name);
		if (nl == 0 || !utf8_valid(p->v[i].name, nl))
			abort();
		if (strlen(p->v[i].value) != p->v[i].value_len ||
		    !utf8_valid(p->v[i].value, p->v[i].value_len))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(p->v[i].name, p->v[j].name) == 0)
				abort();
		if (params_get(p, p->v[i].name) != p->v[i].value)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct arena *a = arena_new();
	struct params p;
	enum op_rc rc;

	rc = form_parse(a, (const char *)data, size, FUZZ_MAX_PARAMS, &p);
	if (rc == OP_OK)
		check(&p);
	else if ((rc != OP_E_INVALID && rc != OP_E_LIMIT) || p.n != 0)
		abort();
	/* What url_encode produces must parse back to the same bytes. */
	if (rc == OP_OK && p.n > 0) {
		char *enc = url_encode(a, p.v[0].value);
		char *pair = arena_asprintf(a, "k=%s", enc);
		struct params q;

		if (form_parse(a, pair, strlen(pair), 1, &q) != OP_OK ||
		    q.n != 1 || strcmp(q.v[0].value, p.v[0].value) != 0)
			abort();
	}
	arena_free(a);
	return 0;
}

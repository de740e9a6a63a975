/*
 * Fuzz target: the template renderer, fed arbitrary template text with a
 * fixed set of variables, in both modes, with the embedded templates as
 * partials. Beyond "no crash" it checks the renderer's promises: a value
 * never reaches HTML unescaped, and a failed render leaves the output
 * buffer exactly as it was.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "html/render.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EVIL "<i\"'&>"

static struct tvars *
fixed_vars(struct arena *a)
{
	struct tvars *v = tvars_new(a), *it, *sub;
	int i;

	tvars_set(v, "a", "A");
	tvars_set(v, "s", EVIL);
	tvars_set(v, "e", "");
	tvars_set(v, "title", "Title & more");
	tvars_set(v, "id_name", "onepass ID");
	tvars_set(v, "csrf", "tok");
	tvars_set_bool(v, "t", true);
	tvars_set_bool(v, "f", false);
	tvars_set_bool(v, "signed_in", true);
	for (i = 0; i < 2; i++) {
		it = tvars_add_item(v, "l");
		tvars_setf(it, "n", "%d", i);
		tvars_set(it, "s", i ? "item<" : "");
		sub = tvars_add_item(it, "m");
		tvars_set(sub, "x", EVIL);
	}
	return v;
}

static void
one(const struct templates *t, const char *text, size_t len,
    const struct tvars *v, enum render_mode mode)
{
	struct buf b;
	enum op_rc rc;

	buf_init(&b, 1 << 20);
	buf_adds(&b, "prefix");
	rc = render_string(t, text, len, v, mode, &b);
	if (rc != OP_OK && (b.len != 6 || strcmp(buf_str(&b), "prefix") != 0))
		abort();
	if (rc == OP_OK && mode == RENDER_HTML &&
	    strstr(buf_str(&b), EVIL) != NULL && memmem(text, len, EVIL,
							strlen(EVIL)) == NULL)
		abort();
	buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct templates *t = NULL;
	struct arena *a = arena_new();
	struct tvars *v = fixed_vars(a);

	if (templates_load(NULL, &t, NULL) != OP_OK)
		abort();
	one(t, (const char *)data, size, v, RENDER_HTML);
	one(t, (const char *)data, size, v, RENDER_TEXT);
	one(NULL, (const char *)data, size, NULL, RENDER_HTML);
	templates_free(t);
	arena_free(a);
	return 0;
}

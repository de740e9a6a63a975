/*
 * render.h - the template engine. The only way a value reaches HTML is
 * escaped: there is no raw insertion. Templates are compiled into the
 * binary (scripts/gen-templates.sh); an operator may replace some of them
 * (help, privacy, terms) by files in a directory.
 *
 * Syntax (a small subset of Mustache):
 *   {{name}}            the value, HTML-escaped (TEXT mode: as is)
 *   {{#name}}..{{/name}} shown when name is true/non-empty; repeated for
 *                        each item when name is a list
 *   {{^name}}..{{/name}} shown when name is false/empty/absent
 *   {{>name}}           another template inserted here (partial)
 *   {{! comment }}
 * A name inside a list item is looked up in the item, then outward.
 * Unknown names render as empty. Errors (unbalanced sections, unknown
 * partial, depth over 16) make render fail, never emit a half page.
 */
#ifndef RENDER_H
#define RENDER_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/onepass.h"

struct tvars;

/* Returns new, empty variables allocated in a. */
struct tvars *tvars_new(struct arena *a);
/* Sets name to a copy (in the arena) of value; NULL value unsets. */
void tvars_set(struct tvars *v, const char *name, const char *value);
void tvars_setf(struct tvars *v, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tvars_set_bool(struct tvars *v, const char *name, bool value);
/* Appends an item to list name and returns its variables (looked up
 * before the parent's). */
struct tvars *tvars_add_item(struct tvars *v, const char *name);

struct templates;

/*
 * Returns the built-in templates, with those found in override_dir (may
 * be NULL or "") replacing the built-in one of the same file name. Caller
 * frees with templates_free().
 */
enum op_rc templates_load(const char *override_dir, struct templates **out,
			  struct op_err *err);
void templates_free(struct templates *t);
bool templates_has(const struct templates *t, const char *name);

enum render_mode { RENDER_HTML, RENDER_TEXT };

/* Renders template name (file name, e.g. "signin.html") into out. */
enum op_rc render(const struct templates *t, const char *name,
		  const struct tvars *v, enum render_mode mode,
		  struct buf *out);
/* Renders a template given as text (for tests and fuzzing). */
enum op_rc render_string(const struct templates *t, const char *text,
			 size_t len, const struct tvars *v,
			 enum render_mode mode, struct buf *out);

#endif

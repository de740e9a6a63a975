/*
 * render.c - the template engine: a small Mustache subset with no raw
 * insertion (render.h has the syntax).
 *
 * Each template is parsed once, when templates_load() runs, into an array
 * of nodes pointing into its text: literal text, a variable, a section or
 * inverted section (which records where its body ends), a partial.
 * Rendering walks that array and appends to one struct buf; it allocates
 * nothing per tag. render_string() parses into a temporary array first.
 * Values are HTML-escaped (& < > " ') in RENDER_HTML mode and copied as
 * they are in RENDER_TEXT mode (the text part of a mail).
 *
 * Names are looked up in a stack of contexts: the innermost list item
 * first, then outward to the variables render() was given and their
 * parents. A section, inverted-section, close or comment tag alone on its
 * line takes the line with it (as Mustache does), so text templates need
 * no tricks to avoid blank lines.
 *
 * Deliberately absent: {{{x}}} and {{&x}} (raw insertion: they are
 * errors), delimiter changes, lambdas, dotted names. Any error (bad
 * syntax, unknown partial, nesting deeper than RENDER_MAX_DEPTH, output
 * buffer full) leaves the output buffer as it was: a page is rendered
 * whole or not at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/embed.h"
#include "core/xmalloc.h"
#include "html/render.h"

#define RENDER_MAX_DEPTH	16
#define TEMPLATE_MAX_BYTES	(256 * 1024)
#define TAG_NAME_MAX		128

/* ---- variables ---- */

enum tval_kind { TVAL_STR, TVAL_BOOL, TVAL_LIST };

struct tvar {
	struct tvar *next;
	const char *name;
	size_t name_len;
	enum tval_kind kind;
	const char *str;	/* TVAL_STR */
	size_t str_len;
	bool b;			/* TVAL_BOOL */
	struct tvars *first;	/* TVAL_LIST: items in order */
	struct tvars *last;
};

struct tvars {
	struct arena *arena;
	const struct tvars *parent;	/* the owner of the list, for items */
	struct tvars *next;		/* the next item of the same list */
	struct tvar *vars;
};

struct tvars *
tvars_new(struct arena *a)
{
	struct tvars *v = arena_alloc(a, sizeof(*v));

	v->arena = a;
	return v;
}

static struct tvar *
tvars_find(const struct tvars *v, const char *name, size_t len)
{
	struct tvar *e;

	for (e = v->vars; e != NULL; e = e->next)
		if (e->name_len == len && memcmp(e->name, name, len) == 0)
			return e;
	return NULL;
}

/* The entry called name in v, created (as an empty string) if absent. */
static struct tvar *
tvars_slot(struct tvars *v, const char *name)
{
	size_t len = strlen(name);
	struct tvar *e = tvars_find(v, name, len);

	if (e != NULL)
		return e;
	e = arena_alloc(v->arena, sizeof(*e));
	e->name = arena_strndup(v->arena, name, len);
	e->name_len = len;
	e->kind = TVAL_STR;
	e->str = "";
	e->next = v->vars;
	v->vars = e;
	return e;
}

static void
tvars_unset(struct tvars *v, const char *name)
{
	size_t len = strlen(name);
	struct tvar **pp;

	for (pp = &v->vars; *pp != NULL; pp = &(*pp)->next) {
		if ((*pp)->name_len == len &&
		    memcmp((*pp)->name, name, len) == 0) {
			*pp = (*pp)->next;
			return;
		}
	}
}

static void
tvars_set_owned(struct tvars *v, const char *name, const char *value,
		size_t len)
{
	struct tvar *e = tvars_slot(v, name);

	e->kind = TVAL_STR;
	e->str = value;
	e->str_len = len;
	e->first = e->last = NULL;
}

void
tvars_set(struct tvars *v, const char *name, const char *value)
{
	size_t len;

	if (value == NULL) {
		tvars_unset(v, name);
		return;
	}
	len = strlen(value);
	tvars_set_owned(v, name, arena_strndup(v->arena, value, len), len);
}

void
tvars_setf(struct tvars *v, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		tvars_set_owned(v, name, "", 0);
		return;
	}
	p = arena_alloc(v->arena, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	tvars_set_owned(v, name, p, (size_t)n);
}

void
tvars_set_bool(struct tvars *v, const char *name, bool value)
{
	struct tvar *e = tvars_slot(v, name);

	e->kind = TVAL_BOOL;
	e->b = value;
	e->first = e->last = NULL;
}

struct tvars *
tvars_add_item(struct tvars *v, const char *name)
{
	struct tvar *e = tvars_slot(v, name);
	struct tvars *item;

	if (e->kind != TVAL_LIST) {
		e->kind = TVAL_LIST;
		e->first = e->last = NULL;
	}
	item = tvars_new(v->arena);
	item->parent = v;
	if (e->last != NULL)
		e->last->next = item;
	else
		e->first = item;
	e->last = item;
	return item;
}

static bool
tvar_truthy(const struct tvar *e)
{
	if (e == NULL)
		return false;
	switch (e->kind) {
	case TVAL_STR:
		return e->str_len > 0;
	case TVAL_BOOL:
		return e->b;
	case TVAL_LIST:
		return e->first != NULL;
	}
	return false;
}

/* ---- parsing ---- */

enum tnode_kind { TN_TEXT, TN_VAR, TN_SECTION, TN_INVERTED, TN_PARTIAL };

struct tnode {
	enum tnode_kind kind;
	uint32_t len;		/* of s */
	const char *s;		/* the text, or the tag's name */
	uint32_t end;		/* sections: index just past the body */
};

struct tpl {
	const char *name;	/* borrowed from the embedded table */
	const char *src;
	size_t len;
	char *owned;		/* an override file's contents, or NULL */
	struct tnode *nodes;
	size_t n_nodes;
};

struct templates {
	struct tpl *v;		/* sorted by name */
	size_t n;
};

struct parser {
	const char *src;
	size_t len;
	struct tnode *nodes;
	size_t n, cap;
	uint32_t open[RENDER_MAX_DEPTH];	/* indices of open sections */
	int n_open;
	const char *fail_at;	/* where the error was found */
	const char *fail_why;
};

static void
parser_push(struct parser *p, enum tnode_kind kind, const char *s,
	    size_t len)
{
	struct tnode *n;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 32;
		p->nodes = xrealloc(p->nodes, p->cap * sizeof(*p->nodes));
	}
	n = &p->nodes[p->n++];
	n->kind = kind;
	n->s = s;
	n->len = (uint32_t)len;
	n->end = 0;
}

static enum op_rc
parser_fail(struct parser *p, enum op_rc rc, const char *at, const char *why)
{
	p->fail_at = at;
	p->fail_why = why;
	return rc;
}

static bool
name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * When the tag [tag, close) stands alone on its line (only blanks around
 * it), returns true and sets *line_start to the first blank before it and
 * *after to just past the line's end. text is where the pending literal
 * text began: a tag before it on the same line makes this one not alone.
 */
static bool
standalone(const struct parser *p, const char *text, const char *tag,
	   const char *close, const char **line_start, const char **after)
{
	const char *end = p->src + p->len, *b = tag, *r = close;

	while (b > text && is_blank(b[-1]))
		b--;
	if (b != p->src && b[-1] != '\n')
		return false;
	while (r < end && is_blank(*r))
		r++;
	if (r < end && *r == '\n')
		r++;
	else if (r + 1 < end && r[0] == '\r' && r[1] == '\n')
		r += 2;
	else if (r != end)
		return false;
	*line_start = b;
	*after = r;
	return true;
}

/* Parses the inside of one tag, [in, in_end), found at tag. */
static enum op_rc
parse_tag(struct parser *p, const char *tag, const char *in,
	  const char *in_end, char *sigil_out, const char **name,
	  size_t *name_len)
{
	char sigil = 0;
	const char *s;

	while (in < in_end && is_blank(*in))
		in++;
	if (in == in_end)
		return parser_fail(p, OP_E_INVALID, tag, "empty tag");
	if (*in == '!') {
		*sigil_out = '!';
		return OP_OK;
	}
	if (*in == '{' || *in == '&')
		return parser_fail(p, OP_E_INVALID, tag,
				   "raw insertion is not supported");
	if (strchr("#^/>", *in) != NULL) {
		sigil = *in++;
		while (in < in_end && is_blank(*in))
			in++;
	}
	while (in_end > in && is_blank(in_end[-1]))
		in_end--;
	if (in == in_end)
		return parser_fail(p, OP_E_INVALID, tag, "tag without a name");
	if (in_end - in > TAG_NAME_MAX)
		return parser_fail(p, OP_E_INVALID, tag, "name too long");
	for (s = in; s < in_end; s++)
		if (!name_char((unsigned char)*s))
			return parser_fail(p, OP_E_INVALID, tag,
					   "bad character in tag");
	*sigil_out = sigil;
	*name = in;
	*name_len = (size_t)(in_end - in);
	return OP_OK;
}

/* Adds the node for a parsed tag, opening or closing sections. */
static enum op_rc
parser_tag_node(struct parser *p, const char *tag, char sigil,
		const char *name, size_t name_len)
{
	struct tnode *open;

	switch (sigil) {
	case '!':
		return OP_OK;
	case 0:
		parser_push(p, TN_VAR, name, name_len);
		return OP_OK;
	case '>':
		parser_push(p, TN_PARTIAL, name, name_len);
		return OP_OK;
	case '#':
	case '^':
		if (p->n_open == RENDER_MAX_DEPTH)
			return parser_fail(p, OP_E_LIMIT, tag,
					   "sections nested too deep");
		p->open[p->n_open++] = (uint32_t)p->n;
		parser_push(p, sigil == '#' ? TN_SECTION : TN_INVERTED, name,
			    name_len);
		return OP_OK;
	default:	/* '/' */
		if (p->n_open == 0)
			return parser_fail(p, OP_E_INVALID, tag,
					   "close tag without a section");
		open = &p->nodes[p->open[p->n_open - 1]];
		if (open->len != name_len ||
		    memcmp(open->s, name, name_len) != 0)
			return parser_fail(p, OP_E_INVALID, tag,
					   "close tag does not match");
		open->end = (uint32_t)p->n;
		p->n_open--;
		return OP_OK;
	}
}

static enum op_rc
parse(struct parser *p)
{
	const char *end = p->src + p->len, *text = p->src, *pos = p->src;
	const char *tag, *close, *name = NULL, *ls, *after;
	size_t name_len = 0;
	enum op_rc rc;
	char sigil;

	if (p->len > TEMPLATE_MAX_BYTES)
		return parser_fail(p, OP_E_LIMIT, p->src, "template too big");
	for (;;) {
		tag = memmem(pos, (size_t)(end - pos), "{{", 2);
		if (tag == NULL)
			break;
		close = memmem(tag + 2, (size_t)(end - tag - 2), "}}", 2);
		if (close == NULL)
			return parser_fail(p, OP_E_INVALID, tag,
					   "tag not closed");
		rc = parse_tag(p, tag, tag + 2, close, &sigil, &name,
			       &name_len);
		if (rc != OP_OK)
			return rc;
		close += 2;
		if (sigil != 0 && sigil != '>' &&
		    standalone(p, text, tag, close, &ls, &after)) {
			tag = ls;
			close = after;
		}
		if (tag > text)
			parser_push(p, TN_TEXT, text, (size_t)(tag - text));
		rc = parser_tag_node(p, tag, sigil, name, name_len);
		if (rc != OP_OK)
			return rc;
		text = pos = close;
	}
	if (p->n_open > 0)
		return parser_fail(p, OP_E_INVALID,
				   p->nodes[p->open[p->n_open - 1]].s,
				   "section not closed");
	if (end > text)
		parser_push(p, TN_TEXT, text, (size_t)(end - text));
	return OP_OK;
}

static size_t
line_of(const char *src, const char *at)
{
	size_t line = 1;

	for (; src < at; src++)
		if (*src == '\n')
			line++;
	return line;
}

/* ---- rendering ---- */

struct rctx {
	const struct templates *t;
	enum render_mode mode;
	struct buf *out;
	const struct tvars *stack[RENDER_MAX_DEPTH + 1];
	int n_stack;
	int depth;
};

static const struct tvar *
lookup(const struct rctx *c, const char *name, size_t len)
{
	const struct tvars *v;
	const struct tvar *e;
	int i;

	for (i = c->n_stack - 1; i > 0; i--) {
		e = tvars_find(c->stack[i], name, len);
		if (e != NULL)
			return e;
	}
	if (c->n_stack == 0)
		return NULL;
	for (v = c->stack[0]; v != NULL; v = v->parent) {
		e = tvars_find(v, name, len);
		if (e != NULL)
			return e;
	}
	return NULL;
}

static int
add_escaped(struct buf *b, const char *s, size_t n)
{
	const char *ent;
	size_t i, run = 0;

	for (i = 0; i < n; i++) {
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if (buf_add(b, s + run, i - run) != 0 || buf_adds(b, ent) != 0)
			return -1;
		run = i + 1;
	}
	return buf_add(b, s + run, n - run);
}

static const struct tpl *
tpl_find(const struct templates *t, const char *name, size_t len)
{
	size_t lo = 0, hi, mid;
	int cmp;

	if (t == NULL)
		return NULL;
	hi = t->n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		cmp = strncmp(t->v[mid].name, name, len);
		if (cmp == 0 && t->v[mid].name[len] != '\0')
			cmp = 1;
		if (cmp == 0)
			return &t->v[mid];
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static enum op_rc render_nodes(struct rctx *c, const struct tnode *nodes,
			       size_t from, size_t to);

/* Renders the body [from, to) of a section once for each list item. */
static enum op_rc
render_items(struct rctx *c, const struct tnode *nodes, size_t from,
	     size_t to, const struct tvars *item)
{
	enum op_rc rc = OP_OK;

	for (; item != NULL && rc == OP_OK; item = item->next) {
		c->stack[c->n_stack++] = item;
		rc = render_nodes(c, nodes, from, to);
		c->n_stack--;
	}
	return rc;
}

static enum op_rc
render_section(struct rctx *c, const struct tnode *nodes, size_t i)
{
	const struct tnode *n = &nodes[i];
	const struct tvar *e = lookup(c, n->s, n->len);
	bool show = tvar_truthy(e);
	enum op_rc rc;

	if (n->kind == TN_INVERTED)
		show = !show;
	if (!show)
		return OP_OK;
	if (c->depth >= RENDER_MAX_DEPTH)
		return OP_E_LIMIT;
	c->depth++;
	if (n->kind == TN_SECTION && e->kind == TVAL_LIST)
		rc = render_items(c, nodes, i + 1, n->end, e->first);
	else
		rc = render_nodes(c, nodes, i + 1, n->end);
	c->depth--;
	return rc;
}

static enum op_rc
render_partial(struct rctx *c, const struct tnode *n)
{
	const struct tpl *p = tpl_find(c->t, n->s, n->len);
	enum op_rc rc;

	if (p == NULL)
		return OP_E_INVALID;
	if (c->depth >= RENDER_MAX_DEPTH)
		return OP_E_LIMIT;
	c->depth++;
	rc = render_nodes(c, p->nodes, 0, p->n_nodes);
	c->depth--;
	return rc;
}

static enum op_rc
render_nodes(struct rctx *c, const struct tnode *nodes, size_t from,
	     size_t to)
{
	const struct tnode *n;
	const struct tvar *e;
	enum op_rc rc;
	size_t i;
	int r;

	for (i = from; i < to; i++) {
		n = &nodes[i];
		switch (n->kind) {
		case TN_TEXT:
			if (buf_add(c->out, n->s, n->len) != 0)
				return OP_E_LIMIT;
			break;
		case TN_VAR:
			e = lookup(c, n->s, n->len);
			if (e == NULL || e->kind != TVAL_STR)
				break;
			if (c->mode == RENDER_HTML)
				r = add_escaped(c->out, e->str, e->str_len);
			else
				r = buf_add(c->out, e->str, e->str_len);
			if (r != 0)
				return OP_E_LIMIT;
			break;
		case TN_SECTION:
		case TN_INVERTED:
			rc = render_section(c, nodes, i);
			if (rc != OP_OK)
				return rc;
			i = n->end - 1;
			break;
		case TN_PARTIAL:
			rc = render_partial(c, n);
			if (rc != OP_OK)
				return rc;
			break;
		}
	}
	return OP_OK;
}

/* Renders nodes into out; on error puts out back as it was. */
static enum op_rc
render_top(const struct templates *t, const struct tnode *nodes, size_t n,
	   const struct tvars *v, enum render_mode mode, struct buf *out)
{
	struct rctx c = { .t = t, .mode = mode, .out = out };
	size_t orig_len = out->len;
	bool had_data = out->data != NULL;
	enum op_rc rc;

	if (v != NULL)
		c.stack[c.n_stack++] = v;
	rc = render_nodes(&c, nodes, 0, n);
	if (rc == OP_OK)
		return OP_OK;
	if (!had_data) {
		buf_release(out);
	} else {
		out->len = orig_len;
		out->data[orig_len] = '\0';
	}
	return rc;
}

enum op_rc
render(const struct templates *t, const char *name, const struct tvars *v,
       enum render_mode mode, struct buf *out)
{
	const struct tpl *p = tpl_find(t, name, strlen(name));

	if (p == NULL)
		return OP_E_NOTFOUND;
	return render_top(t, p->nodes, p->n_nodes, v, mode, out);
}

enum op_rc
render_string(const struct templates *t, const char *text, size_t len,
	      const struct tvars *v, enum render_mode mode, struct buf *out)
{
	struct parser p = { .src = text, .len = len };
	enum op_rc rc;

	rc = parse(&p);
	if (rc == OP_OK)
		rc = render_top(t, p.nodes, p.n, v, mode, out);
	xfree(p.nodes);
	return rc;
}

/* ---- loading ---- */

/* True when s[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF) without NUL. */
static bool
utf8_ok(const unsigned char *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		if (s[i] == 0)
			return false;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf) {
			n = 1;
			cp = s[i] & 0x1f;
		} else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			n = 2;
			cp = s[i] & 0x0f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			n = 3;
			cp = s[i] & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += n + 1;
	}
	return true;
}

/*
 * Reads dir/name into a new buffer (caller frees with xfree()).
 * OP_E_NOTFOUND when there is no such file.
 */
static enum op_rc
read_override(const char *dir, const char *name, char **data_out,
	      size_t *len_out, struct op_err *err)
{
	char *path = xasprintf("%s/%s", dir, name), *data = NULL;
	enum op_rc rc = OP_OK;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (errno == ENOENT)
			rc = OP_E_NOTFOUND;
		else
			rc = op_err_set(err, OP_E_INVALID, "template '%s': %s",
					path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		rc = op_err_set(err, OP_E_INVALID,
				"template '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_size > TEMPLATE_MAX_BYTES) {
		rc = op_err_set(err, OP_E_LIMIT,
				"template '%s' is over %d bytes", path,
				TEMPLATE_MAX_BYTES);
		goto out;
	}
	data = xmalloc(TEMPLATE_MAX_BYTES + 2);
	while (got <= TEMPLATE_MAX_BYTES) {
		r = read(fd, data + got, TEMPLATE_MAX_BYTES + 1 - got);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = op_err_set(err, OP_E_INVALID,
					"template '%s': %s", path,
					strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > TEMPLATE_MAX_BYTES) {
		rc = op_err_set(err, OP_E_LIMIT,
				"template '%s' is over %d bytes", path,
				TEMPLATE_MAX_BYTES);
		goto out;
	}
	if (!utf8_ok((const unsigned char *)data, got)) {
		rc = op_err_set(err, OP_E_INVALID,
				"template '%s' is not valid UTF-8", path);
		goto out;
	}
	data[got] = '\0';
	*data_out = data;
	*len_out = got;
	data = NULL;
out:
	if (fd != -1)
		close(fd);
	xfree(data);
	xfree(path);
	return rc;
}

static int
tpl_cmp(const void *a, const void *b)
{
	return strcmp(((const struct tpl *)a)->name,
		      ((const struct tpl *)b)->name);
}

/* Parses tp; on error fills err with the file and line. */
static enum op_rc
tpl_parse(struct tpl *tp, bool overridden, struct op_err *err)
{
	struct parser p = { .src = tp->src, .len = tp->len };
	enum op_rc rc;

	rc = parse(&p);
	if (rc != OP_OK) {
		xfree(p.nodes);
		return op_err_set(err, rc, "%stemplate '%s' line %zu: %s",
				  overridden ? "replaced " : "", tp->name,
				  line_of(p.src, p.fail_at), p.fail_why);
	}
	tp->nodes = p.nodes;
	tp->n_nodes = p.n;
	return OP_OK;
}

enum op_rc
templates_load(const char *override_dir, struct templates **out,
	       struct op_err *err)
{
	const struct embedded_file *e;
	struct templates *t = xcalloc(1, sizeof(*t));
	struct tpl *tp;
	enum op_rc rc = OP_OK;
	size_t n = 0;

	for (e = embedded_templates; e->name != NULL; e++)
		n++;
	t->v = xcalloc(n ? n : 1, sizeof(*t->v));
	for (e = embedded_templates; e->name != NULL; e++) {
		tp = &t->v[t->n++];
		tp->name = e->name;
		tp->src = e->data;
		tp->len = e->len;
		if (override_dir != NULL && override_dir[0] != '\0') {
			rc = read_override(override_dir, e->name, &tp->owned,
					   &tp->len, err);
			if (rc == OP_E_NOTFOUND)
				rc = OP_OK;
			else if (rc == OP_OK)
				tp->src = tp->owned;
			else
				goto out;
		}
		rc = tpl_parse(tp, tp->owned != NULL, err);
		if (rc != OP_OK)
			goto out;
	}
	qsort(t->v, t->n, sizeof(*t->v), tpl_cmp);
out:
	if (rc != OP_OK) {
		templates_free(t);
		t = NULL;
	}
	*out = t;
	return rc;
}

void
templates_free(struct templates *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++) {
		xfree(t->v[i].nodes);
		xfree(t->v[i].owned);
	}
	xfree(t->v);
	xfree(t);
}

bool
templates_has(const struct templates *t, const char *name)
{
	return tpl_find(t, name, strlen(name)) != NULL;
}

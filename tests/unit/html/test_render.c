/*
 * test_render.c - the template engine: syntax, escaping, lookup, errors
 * (output untouched), limits, the embedded templates and overrides.
 * Includes render.c to build small template sets without files.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "html/render.c"
#include "support/tap.h"

/* A template set made of (name, text) pairs, for partials. */
static struct templates *
mk_templates(const char *const (*pairs)[2], size_t n)
{
	struct templates *t = xcalloc(1, sizeof(*t));
	struct op_err err = { 0 };
	size_t i;

	t->v = xcalloc(n, sizeof(*t->v));
	for (i = 0; i < n; i++) {
		t->v[i].name = pairs[i][0];
		t->v[i].src = pairs[i][1];
		t->v[i].len = strlen(pairs[i][1]);
		if (tpl_parse(&t->v[i], false, &err) != OP_OK)
			printf("# bad test template %s: %s\n", pairs[i][0],
			       err.msg);
		t->n++;
	}
	qsort(t->v, t->n, sizeof(*t->v), tpl_cmp);
	return t;
}

/* Renders text and returns a new string ("<rc name>" on error). */
static char *
rs(const struct templates *t, const char *text, const struct tvars *v,
   enum render_mode mode)
{
	struct buf b;
	enum op_rc rc;

	buf_init(&b, 1 << 20);
	rc = render_string(t, text, strlen(text), v, mode, &b);
	if (rc != OP_OK) {
		buf_release(&b);
		return xasprintf("<%s>", op_strerror(rc));
	}
	return buf_detach(&b, NULL);
}

static void
check(const struct templates *t, const char *text, const struct tvars *v,
      enum render_mode mode, const char *want, const char *name)
{
	char *got = rs(t, text, v, mode);

	is_str(got, want, "%s", name);
	xfree(got);
}

/* s with line ends shown as \n, for test names; borrowed until the
 * next call. */
static const char *
one_line(const char *s)
{
	static char out[128];
	size_t n = 0;

	for (; *s != '\0' && n + 3 < sizeof(out); s++) {
		if (*s == '\n') {
			out[n++] = '\\';
			out[n++] = 'n';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return out;
}

static enum op_rc
rc_of(const struct templates *t, const char *text, const struct tvars *v)
{
	struct buf b;
	enum op_rc rc;

	buf_init(&b, 1 << 20);
	rc = render_string(t, text, strlen(text), v, RENDER_HTML, &b);
	buf_release(&b);
	return rc;
}

static void
test_escaping(struct arena *a)
{
	struct tvars *v = tvars_new(a);

	subtest("escaping");
	tvars_set(v, "x", "a&b<c>d\"e'f");
	tvars_set(v, "plain", "hello world");
	check(NULL, "[{{x}}]", v, RENDER_HTML,
	      "[a&amp;b&lt;c&gt;d&quot;e&#39;f]", "every special char escaped");
	check(NULL, "{{x}}", v, RENDER_TEXT, "a&b<c>d\"e'f",
	      "TEXT mode emits as is");
	tvars_set(v, "y", "&&<<>>\"\"''");
	check(NULL, "{{y}}", v, RENDER_HTML,
	      "&amp;&amp;&lt;&lt;&gt;&gt;&quot;&quot;&#39;&#39;",
	      "runs of special chars");
	tvars_set(v, "s", "<script>alert(1)</script>");
	check(NULL, "<p title=\"{{s}}\">{{s}}</p>", v, RENDER_HTML,
	      "<p title=\"&lt;script&gt;alert(1)&lt;/script&gt;\">"
	      "&lt;script&gt;alert(1)&lt;/script&gt;</p>",
	      "script in attribute and text");
	tvars_set(v, "u", "Zo\xc3\xab \xe2\x82\xac");
	check(NULL, "{{u}}", v, RENDER_HTML, "Zo\xc3\xab \xe2\x82\xac",
	      "UTF-8 passes through");
	check(NULL, "{{plain}}", v, RENDER_HTML, "hello world",
	      "nothing to escape");
	tvars_set(v, "tpl", "{{plain}}");
	check(NULL, "{{tpl}}", v, RENDER_HTML, "{{plain}}",
	      "a value is never parsed as a template");
	check(NULL, "a & b < c", v, RENDER_HTML, "a & b < c",
	      "template text itself is not escaped");
}

static void
test_vars(struct arena *a)
{
	struct tvars *v = tvars_new(a);

	subtest("variables");
	tvars_set(v, "name", "Ann");
	check(NULL, "Hi {{name}}!", v, RENDER_HTML, "Hi Ann!", "simple");
	check(NULL, "Hi {{ name }}!", v, RENDER_HTML, "Hi Ann!",
	      "whitespace inside the tag");
	check(NULL, "Hi {{\tname\t}}!", v, RENDER_HTML, "Hi Ann!",
	      "tabs inside the tag");
	check(NULL, "[{{missing}}]", v, RENDER_HTML, "[]",
	      "missing name renders empty");
	check(NULL, "[{{missing}}]", NULL, RENDER_HTML, "[]",
	      "NULL variables render empty");
	tvars_set(v, "name", "Bob");
	check(NULL, "{{name}}", v, RENDER_HTML, "Bob", "set replaces");
	tvars_set(v, "name", NULL);
	check(NULL, "[{{name}}]", v, RENDER_HTML, "[]", "set NULL unsets");
	tvars_setf(v, "n", "%d-%s", 42, "x");
	check(NULL, "{{n}}", v, RENDER_HTML, "42-x", "setf");
	tvars_set_bool(v, "b", true);
	check(NULL, "[{{b}}]", v, RENDER_HTML, "[]",
	      "a bool renders empty as a variable");
	tvars_set(v, "b", "now a string");
	check(NULL, "{{b}}", v, RENDER_HTML, "now a string",
	      "bool replaced by string");
	tvars_set(v, "dotted.name-x_1", "ok");
	check(NULL, "{{dotted.name-x_1}}", v, RENDER_HTML, "ok",
	      "names with . - _ and digits");
	check(NULL, "no tags at all", v, RENDER_HTML, "no tags at all",
	      "plain text");
	check(NULL, "", v, RENDER_HTML, "", "empty template");
	check(NULL, "a }} b", v, RENDER_HTML, "a }} b", "lone }} is text");
	check(NULL, "x{{! a comment {with braces} }}y", v, RENDER_HTML, "xy",
	      "comment");
}

static void
test_sections(struct arena *a)
{
	struct tvars *v = tvars_new(a), *it, *sub;

	subtest("sections");
	tvars_set_bool(v, "yes", true);
	tvars_set_bool(v, "no", false);
	tvars_set(v, "str", "x");
	tvars_set(v, "empty", "");
	tvars_set(v, "who", "outer");
	check(NULL, "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", v, RENDER_HTML, "Y",
	      "bool sections");
	check(NULL, "{{#str}}S{{/str}}{{#empty}}E{{/empty}}", v, RENDER_HTML,
	      "S", "string sections");
	check(NULL, "{{#missing}}M{{/missing}}", v, RENDER_HTML, "",
	      "absent section hidden");
	check(NULL, "{{# yes }}in{{/ yes }}", v, RENDER_HTML, "in",
	      "whitespace in section tags");
	check(NULL, "{{^no}}a{{/no}}{{^yes}}b{{/yes}}{{^missing}}c{{/missing}}"
	      "{{^empty}}d{{/empty}}{{^str}}e{{/str}}", v, RENDER_HTML, "acd",
	      "inverted sections");
	check(NULL, "{{^list}}none{{/list}}", v, RENDER_HTML, "none",
	      "inverted on absent list");

	it = tvars_add_item(v, "items");
	tvars_set(it, "n", "1");
	it = tvars_add_item(v, "items");
	tvars_set(it, "n", "2");
	tvars_set(it, "who", "inner");
	sub = tvars_add_item(it, "subs");
	tvars_set(sub, "s", "a");
	sub = tvars_add_item(it, "subs");
	tvars_set(sub, "s", "b");
	it = tvars_add_item(v, "items");
	tvars_set(it, "n", "3<");
	check(NULL, "{{#items}}[{{n}}:{{who}}]{{/items}}", v, RENDER_HTML,
	      "[1:outer][2:inner][3&lt;:outer]",
	      "list items with outward lookup and shadowing");
	check(NULL, "{{#items}}{{#subs}}{{n}}{{s}}{{who}};{{/subs}}{{/items}}",
	      v, RENDER_HTML, "2ainner;2binner;",
	      "nested list looks up two levels out");
	check(NULL, "{{^items}}none{{/items}}", v, RENDER_HTML, "",
	      "inverted on a non-empty list");
	check(NULL, "{{#items}}{{#yes}}y{{/yes}}{{/items}}", v, RENDER_HTML,
	      "yyy", "bool of the root inside items");

	/* A list found in an item still sees the item (context stack). */
	it = tvars_add_item(v, "groups");
	tvars_set(it, "g", "G1");
	sub = tvars_add_item(it, "members");
	tvars_set(sub, "m", "m1");
	check(NULL, "{{#groups}}{{#members}}{{g}}/{{m}}{{/members}}"
	      "{{/groups}}", v, RENDER_HTML, "G1/m1", "group then member");

	tvars_add_item(v, "empties");
	check(NULL, "{{#empties}}x{{/empties}}", v, RENDER_HTML, "x",
	      "an item with no variables renders once");
	/* tvars_add_item on a name holding a string makes it a list. */
	tvars_set(v, "conv", "str");
	it = tvars_add_item(v, "conv");
	tvars_set(it, "k", "v");
	check(NULL, "{{#conv}}{{k}}{{/conv}}", v, RENDER_HTML, "v",
	      "string turned list");
	/* Item lookup goes to parents when rendering from an item. */
	check(NULL, "{{m}}-{{g}}-{{who}}-{{str}}-{{s}}", sub, RENDER_HTML,
	      "m1-G1-outer-x-", "rendering an item looks up its parents");
}

static void
test_standalone(struct arena *a)
{
	struct tvars *v = tvars_new(a), *it;

	subtest("standalone lines");
	tvars_set_bool(v, "b", true);
	it = tvars_add_item(v, "l");
	tvars_set(it, "x", "one");
	it = tvars_add_item(v, "l");
	tvars_set(it, "x", "two");
	check(NULL, "a\n{{#b}}\nline\n{{/b}}\nz\n", v, RENDER_TEXT,
	      "a\nline\nz\n", "section lines vanish");
	check(NULL, "a\r\n  {{#b}}  \r\nline\r\n\t{{/b}}\r\nz", v, RENDER_TEXT,
	      "a\r\nline\r\nz", "CRLF and indented tags");
	check(NULL, "{{#l}}\n- {{x}}\n{{/l}}\n", v, RENDER_TEXT,
	      "- one\n- two\n", "list, one line per item");
	check(NULL, "x\n{{! note }}\ny", v, RENDER_TEXT, "x\ny",
	      "comment line vanishes");
	check(NULL, "a {{#b}}b{{/b}} c\n", v, RENDER_TEXT, "a b c\n",
	      "inline tags keep their spaces");
	check(NULL, "{{x}}{{#b}}\nq\n{{/b}}", v, RENDER_TEXT, "\nq\n",
	      "a tag before it makes a section tag inline");
	check(NULL, "{{#b}}\n{{/b}}", v, RENDER_TEXT, "",
	      "tags at start and end of the text");
}

static void
test_partials(struct arena *a)
{
	static const char *const pairs[][2] = {
		{ "_head.html", "<h1>{{title}}</h1>" },
		{ "page.html",
		  "{{>_head.html}}<p>{{body}}</p>{{> _foot.html }}" },
		{ "_foot.html", "<footer>{{#items}}{{n}}{{/items}}</footer>" },
		{ "self.html", "x{{>self.html}}" },
		{ "ping.html", "{{>pong.html}}" },
		{ "pong.html", "{{>ping.html}}" },
		{ "lost.html", "a{{>nowhere.html}}b" },
		{ "lazy.html", "{{#no}}{{>nowhere.html}}{{/no}}ok" },
	};
	struct templates *t = mk_templates(pairs, sizeof(pairs) /
					   sizeof(pairs[0]));
	struct tvars *v = tvars_new(a), *it;
	struct buf b;

	subtest("partials");
	tvars_set(v, "title", "T&");
	tvars_set(v, "body", "B");
	it = tvars_add_item(v, "items");
	tvars_set(it, "n", "1");
	buf_init(&b, 1 << 16);
	is_int(render(t, "page.html", v, RENDER_HTML, &b), OP_OK,
	       "render a page with partials");
	is_str(buf_str(&b), "<h1>T&amp;</h1><p>B</p><footer>1</footer>",
	       "partials see the same variables");
	buf_reset(&b);
	is_int(render(t, "self.html", v, RENDER_HTML, &b), OP_E_LIMIT,
	       "self-recursive partial hits the depth limit");
	is_int(b.len, 0, "nothing emitted");
	is_int(render(t, "ping.html", v, RENDER_HTML, &b), OP_E_LIMIT,
	       "mutual recursion hits the depth limit");
	is_int(render(t, "lost.html", v, RENDER_HTML, &b), OP_E_INVALID,
	       "unknown partial is an error");
	is_int(b.len, 0, "nothing emitted for unknown partial");
	is_int(render(t, "lazy.html", v, RENDER_HTML, &b), OP_OK,
	       "unknown partial in a hidden section is not reached");
	is_str(buf_str(&b), "ok", "hidden section output");
	buf_reset(&b);
	is_int(render(t, "nope.html", v, RENDER_HTML, &b), OP_E_NOTFOUND,
	       "unknown template");
	ok(templates_has(t, "page.html") && !templates_has(t, "page.htm") &&
	   !templates_has(t, "page.html2") && !templates_has(t, ""),
	   "templates_has matches whole names");
	check(t, "[{{>_head.html}}]", v, RENDER_TEXT, "[<h1>T&</h1>]",
	      "render_string with a partial, TEXT mode");
	check(NULL, "{{>_head.html}}", v, RENDER_HTML, "<invalid input>",
	      "render_string without templates: partial unknown");
	buf_release(&b);
	templates_free(t);
}

static void
test_errors(struct arena *a)
{
	static const char *const bad[] = {
		"{{#a}}x", "x{{/a}}", "{{#a}}{{/b}}",
		"{{#a}}{{#b}}{{/a}}{{/b}}",
		"{{{x}}}", "{{&x}}", "{{ & x }}", "{{x", "{{", "a{{}}b",
		"{{ }}", "{{a b}}", "{{a<b}}", "{{=<% %>=}}", "{{#}}{{/}}",
		"{{>}}", "{{x}", "{{#a}}{{^a}}{{/a}}", "{{/}}", "{{a\n}}b{{",
		"{{a\"}}", "{{a}}{{{b}}}",
	};
	struct tvars *v = tvars_new(a);
	char deep[16 * 12 + 1], *p;
	size_t i;
	int k;

	subtest("errors");
	tvars_set_bool(v, "a", true);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(rc_of(NULL, bad[i], v), OP_E_INVALID, "refused: %s",
		       one_line(bad[i]));
	/* 16 nested sections render; 17 are refused. */
	for (k = 16; k <= 17; k++) {
		struct buf b;
		int j;

		buf_init(&b, 4096);
		for (j = 0; j < k; j++)
			buf_adds(&b, "{{#a}}");
		buf_adds(&b, "x");
		for (j = 0; j < k; j++)
			buf_adds(&b, "{{/a}}");
		is_int(rc_of(NULL, buf_str(&b), v), k == 16 ? OP_OK :
		       OP_E_LIMIT, "%d nested sections", k);
		buf_release(&b);
	}
	p = deep;
	for (k = 0; k < 16; k++) {
		memcpy(p, "{{^zz}}", 7);
		p += 7;
	}
	*p = '\0';
	is_int(rc_of(NULL, deep, v), OP_E_INVALID,
	       "16 unclosed inverted sections are unbalanced");
}

static void
test_unchanged_on_error(struct arena *a)
{
	struct tvars *v = tvars_new(a);
	struct buf b;
	const char *big;
	char *s;

	subtest("output unchanged on error");
	tvars_set(v, "x", "value");
	buf_init(&b, 64);
	buf_adds(&b, "prefix");
	is_int(render_string(NULL, "{{x}}{{#a}}", 11, v, RENDER_HTML, &b),
	       OP_E_INVALID, "unbalanced");
	is_str(buf_str(&b), "prefix", "buffer kept its contents");
	is_int(b.len, 6, "length kept");
	is_int(render_string(NULL, "{{x}}{{>p}}", 11, v, RENDER_HTML, &b),
	       OP_E_INVALID, "unknown partial after output");
	is_str(buf_str(&b), "prefix", "emitted text rolled back");
	big = "0123456789012345678901234567890123456789012345678901234567890";
	is_int(render_string(NULL, big, strlen(big), v, RENDER_HTML, &b),
	       OP_E_LIMIT, "buffer maximum hit");
	is_str(buf_str(&b), "prefix", "rolled back after the limit");
	tvars_set(v, "long", big);
	is_int(render_string(NULL, "<{{long}}>", 10, v, RENDER_HTML, &b),
	       OP_E_LIMIT, "value over the maximum");
	is_str(buf_str(&b), "prefix", "rolled back after a long value");
	tvars_set(v, "amp", "&&&&&&&&&&&&&&&&&&&&");
	is_int(render_string(NULL, "{{amp}}", 7, v, RENDER_HTML, &b),
	       OP_E_LIMIT, "escaping grows past the maximum");
	is_int(render_string(NULL, "{{amp}}", 7, v, RENDER_TEXT, &b), OP_OK,
	       "the same in TEXT mode fits");
	buf_release(&b);

	buf_init(&b, 64);
	is_int(render_string(NULL, "abc{{#a}}", 9, v, RENDER_HTML, &b),
	       OP_E_INVALID, "error into an empty buffer");
	ok(b.data == NULL && b.len == 0, "empty buffer left unallocated");
	buf_release(&b);

	s = xmalloc(TEMPLATE_MAX_BYTES + 2);
	memset(s, 'a', TEMPLATE_MAX_BYTES + 1);
	buf_init(&b, 1 << 20);
	is_int(render_string(NULL, s, TEMPLATE_MAX_BYTES + 1, v, RENDER_TEXT,
			     &b), OP_E_LIMIT, "template text over 256 KiB");
	is_int(render_string(NULL, s, TEMPLATE_MAX_BYTES, v, RENDER_TEXT, &b),
	       OP_OK, "256 KiB exactly");
	buf_release(&b);
	xfree(s);
}

/* Renders a ~5 KB page with 20 variables many times; reports the CPU
 * time of one render (thread CPU time, so a busy machine skews it less). */
static void
test_timing(struct arena *a)
{
	static const char *const pairs[][2] = {
		{ "_top.html", "<!doctype html><html lang=\"en\"><head>"
		  "<meta charset=\"utf-8\"><title>{{title}} - {{id_name}}"
		  "</title><link rel=\"stylesheet\" href=\"/static/style.css\">"
		  "</head><body><header><a href=\"/account\">{{id_name}}</a>"
		  "{{#signed_in}}<span>{{user_email}}</span><form method=\"post"
		  "\" action=\"/signout\"><input type=\"hidden\" name=\"csrf\" "
		  "value=\"{{csrf}}\"><button>Sign out</button></form>"
		  "{{/signed_in}}</header><main>\n" },
		{ "_bottom.html", "</main><footer><a href=\"/help\">Help</a> "
		  "<a href=\"/account\">Account Services</a> <a href=\"/privacy"
		  "\">Privacy Statement</a> <a href=\"/terms\">Terms of Use</a>"
		  " &copy; {{year}} {{id_name}}</footer></body></html>\n" },
	};
	struct templates *t = mk_templates(pairs, 2);
	struct tvars *v = tvars_new(a), *it;
	struct timespec t0, t1;
	struct buf src, out;
	double us;
	int i, iters = 20000;
	enum op_rc rc = OP_OK;

	subtest("timing");
	buf_init(&src, 1 << 20);
	buf_adds(&src, "{{>_top.html}}<h1>{{title}}</h1>\n");
	buf_adds(&src, "{{#error}}<div role=\"alert\">{{error}}</div>{{/error}}"
		 "{{#notice}}<div role=\"status\">{{notice}}</div>{{/notice}}");
	while (src.len < 4700)
		buf_adds(&src, "<section><h2>Change e-mail address</h2><p>Your"
			 " address is {{email}}. {{^email_verified}}It is not"
			 " verified yet.{{/email_verified}}</p><form method="
			 "\"post\" action=\"/account/email\"><input type=\""
			 "hidden\" name=\"csrf\" value=\"{{csrf}}\"><label>New"
			 " address <input name=\"email\"></label></form>"
			 "</section>\n");
	buf_adds(&src, "<table>{{#sessions}}<tr><td>{{created}}</td><td>"
		 "{{last_seen}}</td><td>{{ip}}</td><td>{{agent}}</td><td>"
		 "{{#current}}this one{{/current}}{{#persistent}}saved"
		 "{{/persistent}}</td></tr>{{/sessions}}</table>"
		 "{{>_bottom.html}}");
	tvars_set(v, "title", "Account Services");
	tvars_set(v, "id_name", "onepass ID");
	tvars_set(v, "csrf", "pJ3c0Cqz1l3V4wq5v8pXl2d3a0Zk9s7YbV2mQd6oT1E");
	tvars_set_bool(v, "signed_in", true);
	tvars_set(v, "user_email", "ann@example.com");
	tvars_set(v, "year", "2026");
	tvars_set(v, "email", "ann@example.com");
	tvars_set_bool(v, "email_verified", false);
	tvars_set(v, "notice", "Your password was changed.");
	for (i = 0; i < 3; i++) {
		it = tvars_add_item(v, "sessions");
		tvars_set(it, "created", "2026-01-02 10:00");
		tvars_set(it, "last_seen", "2026-01-03 11:00");
		tvars_set(it, "ip", "192.0.2.7");
		tvars_set(it, "agent", "Mozilla/5.0 (X11; Linux) <b>");
		tvars_set_bool(it, "current", i == 0);
		tvars_set_bool(it, "persistent", i == 1);
	}
	/* Parse once as a template, as templates_load does. */
	{
		struct tpl page = { .name = "page", .src = src.data,
				    .len = src.len };
		struct op_err err = { 0 };

		is_int(tpl_parse(&page, false, &err), OP_OK, "page parses");
		buf_init(&out, 1 << 20);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		for (i = 0; i < iters && rc == OP_OK; i++) {
			buf_reset(&out);
			rc = render_top(t, page.nodes, page.n_nodes, v,
					RENDER_HTML, &out);
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		is_int(rc, OP_OK, "timing renders succeed");
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / iters;
		printf("# render of a %zu-byte template (20 vars, output %zu "
		       "bytes): %.2f us per render (pre-parsed)\n", src.len,
		       out.len, us);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		for (i = 0; i < iters / 4 && rc == OP_OK; i++) {
			buf_reset(&out);
			rc = render_string(t, src.data, src.len, v,
					   RENDER_HTML, &out);
		}
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e3) / (iters / 4);
		printf("# the same through render_string (parse + render): "
		       "%.2f us\n", us);
		ok(strstr(buf_str(&out),
			  "Mozilla/5.0 (X11; Linux) &lt;b&gt;") != NULL,
		   "timing output escaped");
		xfree(page.nodes);
	}
	buf_release(&out);
	buf_release(&src);
	templates_free(t);
}

static void
test_embedded(struct arena *a)
{
	const struct embedded_file *e;
	struct templates *t = NULL;
	struct op_err err = { 0 };
	struct tvars *v = tvars_new(a), *it;
	struct buf b;
	enum op_rc rc;
	size_t n = 0;

	subtest("embedded templates");
	rc = templates_load(NULL, &t, &err);
	is_int(rc, OP_OK, "templates_load: %s", err.msg);
	if (rc != OP_OK)
		return;
	tvars_set(v, "title", "Title <&>");
	tvars_set(v, "id_name", "onepass ID");
	tvars_set(v, "csrf", "csrf-token");
	tvars_set(v, "year", "2026");
	tvars_set(v, "email", "ann@example.com");
	tvars_set(v, "error", "Something <wrong>");
	tvars_set(v, "status", "404");
	tvars_set(v, "message", "Not found");
	tvars_set_bool(v, "signed_in", true);
	it = tvars_add_item(v, "sessions");
	tvars_set(it, "ip", "192.0.2.1");
	buf_init(&b, 1 << 20);
	for (e = embedded_templates; e->name != NULL; e++) {
		n++;
		ok(templates_has(t, e->name), "has %s", e->name);
		buf_reset(&b);
		rc = render(t, e->name, v, strstr(e->name, ".txt") != NULL ?
			    RENDER_TEXT : RENDER_HTML, &b);
		is_int(rc, OP_OK, "renders %s", e->name);
		ok(strstr(buf_str(&b), "{{") == NULL, "%s: no tag left",
		   e->name);
		ok(strstr(buf_str(&b), "Something <wrong>") == NULL ||
		   strstr(e->name, ".txt") != NULL,
		   "%s: nothing unescaped", e->name);
	}
	printf("# %zu embedded templates\n", n);
	buf_release(&b);
	templates_free(t);
}

static void
write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		printf("# cannot write %s\n", path);
}

static void
test_override(struct arena *a)
{
	const char *name = embedded_templates[0].name;
	struct templates *t = NULL;
	struct op_err err = { 0 };
	struct tvars *v = tvars_new(a);
	char *dir = tap_tmpdir(), *path, *big;
	struct buf b;
	enum op_rc rc;

	subtest("override directory");
	if (name == NULL) {
		ok(1, "# skip no embedded template to override");
		tap_rmdir(dir);
		xfree(dir);
		return;
	}
	path = xasprintf("%s/%s", dir, name);
	write_file(path, "Custom {{who}} \xc3\xa9\n", 18);
	/* A file that matches no embedded name is ignored. */
	{
		char *other = xasprintf("%s/not-a-template.html", dir);
		write_file(other, "{{#broken", 9);
		xfree(other);
	}
	tvars_set(v, "who", "<op>");
	rc = templates_load(dir, &t, &err);
	is_int(rc, OP_OK, "load with override: %s", err.msg);
	buf_init(&b, 1 << 20);
	if (rc == OP_OK) {
		is_int(render(t, name, v, RENDER_HTML, &b), OP_OK,
		       "render the replaced %s", name);
		is_str(buf_str(&b), "Custom &lt;op&gt; \xc3\xa9\n",
		       "the file replaced the built-in");
		templates_free(t);
	}
	rc = templates_load("", &t, &err);
	is_int(rc, OP_OK, "empty override dir means built-in only");
	templates_free(t);

	write_file(path, "bad \xc3\x28 utf-8", 12);
	t = (struct templates *)1;
	is_int(templates_load(dir, &t, &err), OP_E_INVALID,
	       "invalid UTF-8 refused");
	ok(t == NULL, "no templates on error");
	ok(strstr(err.msg, "UTF-8") != NULL, "message: %s", err.msg);
	write_file(path, "overlong \xc0\xaf", 11);
	is_int(templates_load(dir, &t, &err), OP_E_INVALID,
	       "overlong UTF-8 refused");
	write_file(path, "nul \0 byte", 10);
	is_int(templates_load(dir, &t, &err), OP_E_INVALID, "NUL refused");
	write_file(path, "line 1\nline 2 {{#open}}\n", 24);
	is_int(templates_load(dir, &t, &err), OP_E_INVALID,
	       "unbalanced override refused");
	ok(strstr(err.msg, name) != NULL && strstr(err.msg, "line 2") != NULL,
	   "message names file and line: %s", err.msg);
	big = xmalloc(TEMPLATE_MAX_BYTES + 1);
	memset(big, 'x', TEMPLATE_MAX_BYTES + 1);
	write_file(path, big, TEMPLATE_MAX_BYTES + 1);
	is_int(templates_load(dir, &t, &err), OP_E_LIMIT,
	       "override over 256 KiB refused");
	write_file(path, big, TEMPLATE_MAX_BYTES);
	is_int(templates_load(dir, &t, &err), OP_OK, "256 KiB accepted");
	templates_free(t);
	xfree(big);
	unlink(path);
	mkdir(path, 0700);
	is_int(templates_load(dir, &t, &err), OP_E_INVALID,
	       "a directory in place of the file refused");
	buf_release(&b);
	xfree(path);
	tap_rmdir(dir);
	xfree(dir);
}

int
main(void)
{
	struct arena *a = arena_new();

	test_escaping(a);
	test_vars(a);
	test_sections(a);
	test_standalone(a);
	test_partials(a);
	test_errors(a);
	test_unchanged_on_error(a);
	test_timing(a);
	test_embedded(a);
	test_override(a);
	arena_free(a);
	return done_testing();
}

/* Unit tests of core/buf.c and core/arena.c: bounds and invariants. */
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/xmalloc.h"
#include "support/tap.h"

static void
test_buf_bounds(void)
{
	struct buf b;
	char *s;
	size_t n;

	subtest("buf bounds");
	buf_init(&b, 8);
	is_str(buf_str(&b), "", "empty buffer reads as empty string");
	is_int(buf_adds(&b, "abcd"), 0, "append within max");
	is_int(buf_addf(&b, "%d", 1234), 0, "formatted append to exactly max");
	is_str(buf_str(&b), "abcd1234", "contents");
	is_int(buf_addch(&b, 'x'), -1, "append past max fails");
	is_str(buf_str(&b), "abcd1234", "failed append leaves contents");
	is_int(buf_addf(&b, "%s", "y"), -1, "formatted append past max fails");
	buf_reset(&b);
	is_int((int)b.len, 0, "reset empties");
	is_int(buf_add(&b, "a\0b", 3), 0, "binary append");
	is_int((int)b.len, 3, "length counts NUL bytes");
	s = buf_detach(&b, &n);
	is_int((int)n, 3, "detach gives length");
	ok(b.data == NULL && b.len == 0, "detach leaves buffer empty");
	xfree(s);
	buf_release(&b);
}

static void
test_buf_growth(void)
{
	struct buf b;
	int i, fails = 0;

	subtest("buf growth");
	buf_init(&b, 1 << 20);
	for (i = 0; i < 10000; i++)
		fails += buf_adds(&b, "0123456789") != 0;
	is_int(fails, 0, "many appends succeed");
	is_int((int)b.len, 100000, "length after growth");
	ok(b.data[b.len] == '\0', "always NUL-terminated");
	buf_release(&b);
}

static void
test_arena(void)
{
	struct arena *a = arena_new();
	char *big, *s;
	int i, aligned = 1;

	subtest("arena");
	for (i = 0; i < 5000; i++) {
		void *p = arena_alloc(a, (size_t)(i % 97) + 1);
		aligned &= ((uintptr_t)p % 16) == 0;
	}
	ok(aligned, "allocations are 16-byte aligned");
	big = arena_alloc(a, 100000);
	memset(big, 'x', 100000);
	ok(big[99999] == 'x', "large allocation usable");
	s = arena_asprintf(a, "%s-%d", "id", 42);
	is_str(s, "id-42", "asprintf");
	is_str(arena_strndup(a, "abcdef", 3), "abc", "strndup");
	arena_free(a);
	arena_free(NULL);
	ok(1, "free of NULL arena is a no-op");
}

int
main(void)
{
	test_buf_bounds();
	test_buf_growth();
	test_arena();
	return done_testing();
}

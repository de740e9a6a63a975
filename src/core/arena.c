#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "log.h"
#include "xmalloc.h"

#define ARENA_BLOCK 8192

struct block {
	struct block *next;
	size_t size;	/* usable bytes after the header */
	size_t used;
	/* data follows, aligned */
};

struct arena {
	struct block *head;
};

#define BLOCK_HDR ((sizeof(struct block) + 15) & ~(size_t)15)

static struct block *
block_new(size_t size)
{
	struct block *b = xmalloc(BLOCK_HDR + size);

	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

struct arena *
arena_new(void)
{
	struct arena *a = xcalloc(1, sizeof(*a));

	a->head = block_new(ARENA_BLOCK);
	return a;
}

void
arena_free(struct arena *a)
{
	struct block *b, *next;

	if (a == NULL)
		return;
	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		xfreezero(b, BLOCK_HDR + b->used);
	}
	xfree(a);
}

void *
arena_alloc(struct arena *a, size_t size)
{
	struct block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;
	char *p;

	if (need < size)
		fatalx("arena: allocation of %zu bytes overflows", size);
	if (b->size - b->used < need) {
		b = block_new(need > ARENA_BLOCK / 2 ? need : ARENA_BLOCK);
		if (need > ARENA_BLOCK / 2 && a->head != NULL) {
			/* A big block goes behind the head, so the head's
			 * free space stays usable for small allocations. */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b + BLOCK_HDR + b->used;
	b->used += need;
	memset(p, 0, need);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_asprintf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return arena_strdup(a, "");
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

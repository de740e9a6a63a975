/*
 * arena.h - a per-request arena: many small allocations, one release.
 * Memory from an arena is never freed piecemeal and never outlives it.
 * arena_free wipes every block (request memory holds passwords and tokens).
 */
#ifndef ARENA_H
#define ARENA_H

#include <stddef.h>

struct arena;

/* Returns a new arena; caller frees with arena_free(). */
struct arena *arena_new(void);
void arena_free(struct arena *a);
/* Zeroed, 16-byte aligned memory valid until arena_free(). */
void *arena_alloc(struct arena *a, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_asprintf(struct arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif

/*
 * xmalloc.h - allocation that aborts on out-of-memory. No caller handles
 * OOM; every other error is returned. The only file allowed to call the
 * raw allocator is xmalloc.c (and arena.c through it).
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a new string, caller frees with xfree(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xfree(void *p);
/* Wipes len bytes (use strlen for strings) before freeing: for secrets. */
void xfreezero(void *p, size_t len);
/* xfreezero for a NUL-terminated string; NULL is fine. */
void xfreestr_secret(char *s);

#endif

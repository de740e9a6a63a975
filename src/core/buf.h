/*
 * buf.h - a bounded, growing byte buffer (curl's dynbuf model). Every
 * buffer has a maximum set at init; an append past it fails with -1 and
 * leaves the buffer unchanged. The contents are always NUL-terminated.
 */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;	/* NULL until the first append */
	size_t len;
	size_t cap;
	size_t max;	/* the most len may reach */
};

void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buffer can be used again. */
void buf_release(struct buf *b);
/* Keeps the allocation, forgets the contents. */
void buf_reset(struct buf *b);
/* Returns the contents (never NULL) and leaves b empty; caller frees with
 * xfree(). */
char *buf_detach(struct buf *b, size_t *len_out);
/* Returns 0, or -1 when the result would exceed max. */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addch(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* The contents as a string, "" when empty; borrowed. */
const char *buf_str(const struct buf *b);

#endif

/*
 * embed.h - files compiled into the binary by scripts/embed.c.
 */
#ifndef EMBED_H
#define EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name;	/* base name, e.g. "signin.html" */
	const char *data;	/* NUL-terminated */
	size_t len;
};

/* Templates (src/html/templates/), ended by a zeroed entry. */
extern const struct embedded_file embedded_templates[];
/* Static assets served under /static/ (src/html/static/). */
extern const struct embedded_file embedded_static[];
/* The password blocklist: one lower-case password a line, sorted. */
extern const struct embedded_file embedded_blocklist[];

/* The entry called name in table, or NULL. */
const struct embedded_file *embedded_find(const struct embedded_file *table,
					  const char *name);

#endif

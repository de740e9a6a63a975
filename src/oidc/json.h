/*
 * json.h - jansson at the protocol edges: dumping a value into a bounded
 * buffer without the library's own allocation escaping to callers.
 */
#ifndef OIDC_JSON_H
#define OIDC_JSON_H

#include <jansson.h>

#include "core/buf.h"
#include "core/onepass.h"

/* Appends v as compact JSON (keys in insertion order) to out. Does not
 * take ownership of v. */
enum op_rc json_dump_buf(const json_t *v, struct buf *out);

#endif

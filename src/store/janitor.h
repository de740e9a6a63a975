/*
 * janitor.h - a background thread of `onepass serve` that collects what
 * has expired in the store (store_gc) and scrubs its files (store_scrub)
 * at a fixed interval. Safe with several nodes: collecting twice is
 * harmless.
 */
#ifndef JANITOR_H
#define JANITOR_H

#include <stdint.h>

#include "core/onepass.h"

struct janitor;

/* Starts the thread; returns a new janitor, stop with janitor_stop(). */
enum op_rc janitor_start(struct onepass *op, int64_t interval_sec,
			 struct janitor **out);
/* Stops and joins the thread and frees the janitor; NULL is fine. */
void janitor_stop(struct janitor *j);

#endif

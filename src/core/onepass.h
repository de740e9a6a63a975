/*
 * onepass.h - the project's result codes, error detail and the context
 * object that reaches every layer.
 *
 * Time, randomness and the outside world are injected through struct
 * onepass: code reads op->now(), op->store, op->cfg, never globals.
 */
#ifndef ONEPASS_H
#define ONEPASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum op_rc {
	OP_OK = 0,
	OP_E_NOTFOUND,	/* the thing asked for is absent */
	OP_E_EXISTS,	/* a unique key is already taken */
	OP_E_CONFLICT,	/* a compare-and-swap lost */
	OP_E_INVALID,	/* bad input */
	OP_E_DENIED,	/* authentication failed */
	OP_E_EXPIRED,	/* a token or code is past its expiry or spent */
	OP_E_LIMIT,	/* a rate limit or size limit was hit */
	OP_E_STORE,	/* backend failure, temporary */
	OP_E_MAIL,	/* mail could not be built or delivered */
	OP_E_CRYPTO,	/* a crypto primitive failed */
	OP_E_INTERNAL,	/* an invariant broke */
};

/* Returns a static, lowercase name for rc. */
const char *op_strerror(enum op_rc rc);

/* Detail for multi-layer paths (parsers, backends, crypto). */
struct op_err {
	enum op_rc rc;
	const char *file;
	int line;
	const char *func;
	char msg[256];
};

#define op_err_set(e, code, ...)                                              \
	op_err_set_at((e), (code), __FILE__, __LINE__, __func__, __VA_ARGS__)

/* Fills e (which may be NULL) and returns code. */
enum op_rc op_err_set_at(struct op_err *e, enum op_rc code, const char *file,
			 int line, const char *func, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

struct config;
struct store;
struct mailer;

/* The context handed to every layer. Owned by cmd_serve / the CLI. */
struct onepass {
	const struct config *cfg;
	struct store *store;
	struct mailer *mailer;
	/* Unix seconds; replaced by tests. */
	int64_t (*now)(void);
};

/* The real clock. */
int64_t clock_now(void);

#endif

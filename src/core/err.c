#include <stdarg.h>
#include <stdio.h>

#include "onepass.h"

const char *
op_strerror(enum op_rc rc)
{
	switch (rc) {
	case OP_OK: return "ok";
	case OP_E_NOTFOUND: return "not found";
	case OP_E_EXISTS: return "already exists";
	case OP_E_CONFLICT: return "conflict";
	case OP_E_INVALID: return "invalid input";
	case OP_E_DENIED: return "denied";
	case OP_E_EXPIRED: return "expired";
	case OP_E_LIMIT: return "limit reached";
	case OP_E_STORE: return "store failure";
	case OP_E_MAIL: return "mail failure";
	case OP_E_CRYPTO: return "crypto failure";
	case OP_E_INTERNAL: return "internal error";
	}
	return "unknown error";
}

enum op_rc
op_err_set_at(struct op_err *e, enum op_rc code, const char *file, int line,
	      const char *func, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->rc = code;
	e->file = file;
	e->line = line;
	e->func = func;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

#include "oidc/json.h"

static int
append(const char *s, size_t n, void *arg)
{
	return buf_add(arg, s, n);
}

enum op_rc
json_dump_buf(const json_t *v, struct buf *out)
{
	if (json_dump_callback(v, append, out,
			       JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		return OP_E_LIMIT;
	return OP_OK;
}

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fsutil.h"
#include "core/xmalloc.h"

enum op_rc
fs_mkdir_p(const char *dir, mode_t mode, struct op_err *err)
{
	char *p = xstrdup(dir), *s;
	enum op_rc rc = OP_OK;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			rc = op_err_set(err, OP_E_INVALID, "cannot create '%s': %s",
					p, strerror(errno));
			break;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	xfree(p);
	return rc;
}

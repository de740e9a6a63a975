/*
 * fsutil.h - small file-system helpers.
 */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <sys/types.h>

#include "core/onepass.h"

/* Creates dir and its missing parents with mode (like mkdir -p). */
enum op_rc fs_mkdir_p(const char *dir, mode_t mode, struct op_err *err);

#endif

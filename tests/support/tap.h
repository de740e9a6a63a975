/*
 * tap.h - a small TAP producer for C unit tests (after h2o's picotest and
 * git's unit tests). Each check prints "ok N - name" or "not ok N - name";
 * done_testing() prints the plan and returns the exit status.
 */
#ifndef TAP_H
#define TAP_H

#include <stdbool.h>
#include <stdint.h>

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, ...)                                               \
	tap_is_int((int64_t)(got), (int64_t)(want), __FILE__, __LINE__,      \
		   __VA_ARGS__)
#define is_str(got, want, ...)                                               \
	tap_is_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)

bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool tap_is_int(int64_t got, int64_t want, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool tap_is_str(const char *got, const char *want, const char *file, int line,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Prints a "# name" line to group the checks that follow. */
void subtest(const char *name);
/* Prints the plan; returns 0 when every check passed, 1 otherwise. */
int done_testing(void);
/* Returns a new temporary directory's path (mkdtemp under $TMPDIR);
 * caller frees with xfree() after tap_rmdir(). */
char *tap_tmpdir(void);
void tap_rmdir(const char *dir);

#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xmalloc.h"
#include "support/tap.h"

static int n_tests, n_failed;

static bool
report(bool pass, const char *file, int line, const char *fmt, va_list ap)
{
	n_tests++;
	if (!pass)
		n_failed++;
	printf("%sok %d - ", pass ? "" : "not ", n_tests);
	vprintf(fmt, ap);
	printf("\n");
	if (!pass)
		printf("#   failed at %s:%d\n", file, line);
	fflush(stdout);
	return pass;
}

bool
tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(pass, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

bool
tap_is_int(int64_t got, int64_t want, const char *file, int line,
	   const char *fmt, ...)
{
	va_list ap;
	bool pass = got == want;

	va_start(ap, fmt);
	report(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got %lld, want %lld\n", (long long)got,
		       (long long)want);
	return pass;
}

bool
tap_is_str(const char *got, const char *want, const char *file, int line,
	   const char *fmt, ...)
{
	va_list ap;
	bool pass;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	va_start(ap, fmt);
	report(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got '%s', want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return pass;
}

void
subtest(const char *name)
{
	printf("# %s\n", name);
}

int
done_testing(void)
{
	printf("1..%d\n", n_tests);
	return n_failed == 0 && n_tests > 0 ? 0 : 1;
}

char *
tap_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *dir = xasprintf("%s/onepass-test-XXXXXX", base ? base : "/tmp");

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	return dir;
}

void
tap_rmdir(const char *dir)
{
	char *cmd;

	if (dir == NULL || strncmp(dir, "/tmp", 4) != 0)
		return;
	cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	xfree(cmd);
}

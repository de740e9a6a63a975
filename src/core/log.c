#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static enum log_level min_level = LOG_INFO;

void
log_set_level(enum log_level level)
{
	min_level = level;
}

/* One line, written with a single fwrite so threads do not interleave. */
static void
log_line(enum log_level level, const char *name, int errnum, const char *fmt,
	 va_list ap)
{
	char line[2048], msg[1536], ts[32];
	struct tm tm;
	time_t t;
	size_t i;
	int n;

	if (level < min_level)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* Keep one event per line: quote and escape the message. */
	for (i = 0; msg[i] != '\0'; i++) {
		unsigned char c = (unsigned char)msg[i];
		if (c == '\n' || c == '\r' || c == '"' || c == '\\' || c < 0x20)
			msg[i] = c == '"' ? '\'' : ' ';
	}
	t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (errnum)
		n = snprintf(line, sizeof(line), "ts=%s level=%s msg=\"%s: %s\"\n",
			     ts, name, msg, strerror(errnum));
	else
		n = snprintf(line, sizeof(line), "ts=%s level=%s msg=\"%s\"\n",
			     ts, name, msg);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fwrite(line, 1, (size_t)n, stderr);
}

#define LOG_FN(fn, lvl, name, witherr)                                        \
	void fn(const char *fmt, ...)                                          \
	{                                                                      \
		int e = errno;                                                 \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_line(lvl, name, witherr ? e : 0, fmt, ap);                 \
		va_end(ap);                                                    \
	}

LOG_FN(log_debug, LOG_DEBUG, "debug", 0)
LOG_FN(log_info, LOG_INFO, "info", 0)
LOG_FN(log_warn, LOG_WARN, "warn", 1)
LOG_FN(log_warnx, LOG_WARN, "warn", 0)

void
fatal(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_QUIET, "fatal", e, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line(LOG_QUIET, "fatal", 0, fmt, ap);
	va_end(ap);
	exit(1);
}

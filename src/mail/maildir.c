/*
 * maildir.c - the Maildir transport: delivery into a local directory,
 * the default when no SMTP server is configured (and what tests read).
 *
 * Implements struct mail_transport (mail.h). Each message is written to
 * DIR/tmp/UNIQUE, flushed with fsync, then renamed into DIR/new/UNIQUE,
 * so a reader of new/ never sees a partial file; the new/ directory is
 * synced after the rename so the delivery survives a crash. UNIQUE is
 * "SECONDS.MMICROSECONDS" "P<pid>Q<counter>R<random hex>.<host>" (the
 * modern Maildir form), unique across threads, processes and nodes that
 * share the directory. DIR, tmp, new and cur are created (mode 0700)
 * when missing. The file holds the message exactly as built: CRLF lines,
 * no Return-Path or Delivered-To added.
 *
 * Every failure is OP_E_MAIL (temporary: the outbox retries) and leaves
 * nothing behind in tmp/.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "core/xmalloc.h"
#include "mail/mail.h"

struct maildir {
	char *dir;
	char host[64];
	atomic_ulong counter;
};

/* Creates path and its missing parents, each with mode 0700. */
static int
mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; rc == 0 && *s != '\0'; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST)
			rc = -1;
		*s = '/';
	}
	if (rc == 0 && mkdir(p, 0700) == -1 && errno != EEXIST)
		rc = -1;
	xfree(p);
	return rc;
}

static enum op_rc
maildir_prepare(const char *dir, struct op_err *err)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	enum op_rc rc = OP_OK;
	char *path;
	size_t i;

	if (mkdir_p(dir) == -1)
		return op_err_set(err, OP_E_MAIL, "maildir '%s': %s", dir,
				  strerror(errno));
	for (i = 0; rc == OP_OK && i < sizeof(sub) / sizeof(sub[0]); i++) {
		path = xasprintf("%s/%s", dir, sub[i]);
		if (mkdir(path, 0700) == -1 && errno != EEXIST)
			rc = op_err_set(err, OP_E_MAIL, "maildir '%s': %s",
					path, strerror(errno));
		xfree(path);
	}
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int
sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc;

	if (fd == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Returns a new unique file name; caller frees with xfree(). */
static char *
unique_name(struct maildir *md)
{
	unsigned char rnd[6];
	char hex[2 * sizeof(rnd) + 1];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	return xasprintf("%lld.M%ldP%ldQ%luR%s.%s", (long long)ts.tv_sec,
			 ts.tv_nsec / 1000, (long)getpid(),
			 atomic_fetch_add(&md->counter, 1) + 1, hex, md->host);
}

static enum op_rc
maildir_send(void *ctx, const char *from, const char *rcpt, const char *msg,
	     size_t len, struct op_err *err)
{
	struct maildir *md = ctx;
	char *name = unique_name(md), *tmp, *new, *newdir;
	enum op_rc rc = OP_OK;
	const char *what;
	int fd, e;

	(void)from;
	(void)rcpt;
	tmp = xasprintf("%s/tmp/%s", md->dir, name);
	new = xasprintf("%s/new/%s", md->dir, name);
	newdir = xasprintf("%s/new", md->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1 && errno == ENOENT &&
	    maildir_prepare(md->dir, NULL) == OP_OK)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		rc = op_err_set(err, OP_E_MAIL, "maildir '%s': %s", tmp,
				strerror(errno));
		goto out;
	}
	what = "write";
	if (write_all(fd, msg, len) == -1)
		goto fail;
	what = "fsync";
	if (fsync(fd) == -1)
		goto fail;
	what = "close";
	e = close(fd);
	fd = -1;
	if (e == -1)
		goto fail;
	what = "rename";
	if (rename(tmp, new) == -1)
		goto fail;
	what = "fsync";
	if (sync_dir(newdir) == -1) {
		/* The file is in new/ already: delivered, not durable. */
		rc = op_err_set(err, OP_E_MAIL, "maildir '%s': %s: %s",
				newdir, what, strerror(errno));
		unlink(new);
	}
	goto out;
fail:
	rc = op_err_set(err, OP_E_MAIL, "maildir '%s': %s: %s", tmp, what,
			strerror(errno));
	if (fd != -1)
		close(fd);
	unlink(tmp);
out:
	xfree(newdir);
	xfree(new);
	xfree(tmp);
	xfree(name);
	return rc;
}

enum op_rc
maildir_transport(const char *dir, struct mail_transport *out,
		  struct op_err *err)
{
	struct maildir *md;
	enum op_rc rc;
	size_t i;

	if (dir == NULL || dir[0] == '\0')
		return op_err_set(err, OP_E_INVALID, "maildir: no directory");
	rc = maildir_prepare(dir, err);
	if (rc != OP_OK)
		return rc;
	md = xcalloc(1, sizeof(*md));
	md->dir = xstrdup(dir);
	atomic_init(&md->counter, 0);
	if (gethostname(md->host, sizeof(md->host)) == -1 ||
	    md->host[0] == '\0')
		memcpy(md->host, "localhost", sizeof("localhost"));
	md->host[sizeof(md->host) - 1] = '\0';
	/* '/' and ':' have meanings in Maildir names; keep it plain. */
	for (i = 0; md->host[i] != '\0'; i++) {
		char c = md->host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.'))
			md->host[i] = '_';
	}
	*out = (struct mail_transport){
		.name = "maildir",
		.send = maildir_send,
		.ctx = md,
	};
	return OP_OK;
}

void
maildir_transport_release(struct mail_transport *t)
{
	struct maildir *md;

	if (t == NULL || t->ctx == NULL)
		return;
	md = t->ctx;
	xfree(md->dir);
	xfree(md);
	t->ctx = NULL;
}

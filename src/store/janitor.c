#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "core/log.h"
#include "core/xmalloc.h"
#include "store/janitor.h"
#include "store/store.h"

struct janitor {
	struct onepass *op;
	int64_t interval_sec;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void *
janitor_main(void *arg)
{
	struct janitor *j = arg;
	struct timespec until;
	enum op_rc rc;

	pthread_mutex_lock(&j->mu);
	while (!j->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += j->interval_sec;
		while (!j->stop &&
		       pthread_cond_timedwait(&j->cv, &j->mu, &until) !=
			       ETIMEDOUT)
			;
		if (j->stop)
			break;
		pthread_mutex_unlock(&j->mu);
		rc = store_gc(j->op->store, j->op->now());
		if (rc == OP_OK)
			rc = store_scrub(j->op->store);
		if (rc != OP_OK)
			log_warnx("janitor: %s", op_strerror(rc));
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

enum op_rc
janitor_start(struct onepass *op, int64_t interval_sec, struct janitor **out)
{
	struct janitor *j = xcalloc(1, sizeof(*j));

	j->op = op;
	j->interval_sec = interval_sec > 0 ? interval_sec : 300;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&j->thread, NULL, janitor_main, j) != 0) {
		pthread_cond_destroy(&j->cv);
		pthread_mutex_destroy(&j->mu);
		xfree(j);
		return OP_E_INTERNAL;
	}
	*out = j;
	return OP_OK;
}

void
janitor_stop(struct janitor *j)
{
	if (j == NULL)
		return;
	pthread_mutex_lock(&j->mu);
	j->stop = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	pthread_cond_destroy(&j->cv);
	pthread_mutex_destroy(&j->mu);
	xfree(j);
}

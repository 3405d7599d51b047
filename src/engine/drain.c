/*
 * drain.c - stopping an engine on a stop signal, the way `sluice worker`
 * and a console hosting an engine both do: engine_stop on a thread of its
 * own while the calling thread takes further signals, each of which cuts
 * the drain shorter (engine_hurry), so that no signal ever ends the
 * process with runs left RUNNING.
 *
 * The caller blocks the signals in every thread beforehand; they are
 * taken here with sigtimedwait(), so nothing runs in a signal handler.
 */
#include "engine/engine_int.h"

#include <signal.h>
#include <string.h>
#include <time.h>

struct stopper {
	struct engine *eng;
	usec_t grace;
	struct err e;
	int rc;
	bool done;
	pthread_mutex_t lock;
};

static void *stopper_main(void *arg)
{
	struct stopper *st = arg;
	struct err e;
	err_clear(&e);
	int rc = engine_stop(st->eng, st->grace, &e);
	pthread_mutex_lock(&st->lock);
	st->e = e;
	st->rc = rc;
	st->done = true;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static bool stopper_done(struct stopper *st)
{
	pthread_mutex_lock(&st->lock);
	bool d = st->done;
	pthread_mutex_unlock(&st->lock);
	return d;
}

/* A stop signal within 100 ms, or 0. */
static int next_signal(const sigset_t *signals)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	if (!signals) {
		nanosleep(&ts, NULL);
		return 0;
	}
	int sig = sigtimedwait(signals, NULL, &ts);
	return sig > 0 ? sig : 0;
}

int engine_drain(struct engine *eng, usec_t grace, const sigset_t *signals,
		 struct err *e)
{
	struct stopper st = { .eng = eng, .grace = grace };
	pthread_mutex_init(&st.lock, NULL);
	pthread_t th;
	if (pthread_create(&th, NULL, stopper_main, &st) != 0) {
		pthread_mutex_destroy(&st.lock);
		return engine_stop(eng, grace, e);
	}
	for (int more = 0; !stopper_done(&st);) {
		int sig = next_signal(signals);
		if (!sig)
			continue;
		if (++more == 1)
			log_warn("%s again: drain cut short: cancelling the steps in flight; "
				 "their runs are handed back", strsignal(sig));
		else
			log_warn("%s again: not waiting for rollbacks: handing back the runs "
				 "still in flight", strsignal(sig));
		engine_hurry(eng);
	}
	pthread_join(th, NULL);
	pthread_mutex_destroy(&st.lock);
	if (st.rc < 0 && e)
		*e = st.e;
	return st.rc;
}

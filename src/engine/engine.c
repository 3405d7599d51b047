/*
 * engine.c - the engine's life: creating it (store, worker registration,
 * flow limits, first recovery), starting its threads, stopping them with a
 * grace period, aborting, and the slots every working thread owns.
 */
#include "config.h"            /* pthread_timedjoin_np */
#include "engine/engine_int.h"
#include "db/db.h"
#include "lake/lake.h"
#include "notify/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_WORKERS   2
#define DEFAULT_GRACE     (30 * USEC_PER_SEC)
#define DEFAULT_LEASE     (30 * USEC_PER_SEC)
/* A third of the lease: two beats may be missed before others reap us. */
#define DEFAULT_HEARTBEAT (10 * USEC_PER_SEC)
#define DEFAULT_POLL      (200 * USEC_PER_MSEC)
/* After the grace period, how long cancelled steps get to roll back. */
#define ROLLBACK_WAIT     (10 * USEC_PER_SEC)
/* engine_free of a left-behind engine: seconds its threads get to end. */
#define LEFT_BEHIND_JOIN  2

static atomic_int engine_seq;

/* A statement of this slot's step waits for a lock (or stopped waiting):
 * note it for the supervisor, which writes it as the step's detail (this
 * may be a batched writer's thread, which must not use the slot's store). */
static void slot_waiting(void *arg, const struct db_wait *w)
{
	struct slot *sl = arg;
	pthread_mutex_lock(&sl->eng->lock);
	if (sl->run) {
		free(sl->wait_note);
		sl->wait_note = w->over ? NULL
			: xasprintf("waiting for %s (%s), which another connection holds",
				    w->what, w->label);
		sl->wait_dirty = true;
	}
	pthread_mutex_unlock(&sl->eng->lock);
}

struct slot *engine_slot_new(struct engine *eng, int index, struct err *e)
{
	struct slot *sl = xcalloc(1, sizeof *sl);
	sl->eng = eng;
	sl->index = index;
	atomic_init(&sl->cancel, false);
	sl->store = store_open(eng->store_url, &eng->opt.store_opt, e);
	if (!sl->store) {
		free(sl);
		return NULL;
	}
	sl->conns = step_conns_new(eng->project, eng->opt.store_opt.read_only);
	step_conns_on_wait(sl->conns, slot_waiting, sl);
	return sl;
}

void engine_slot_free(struct slot *sl)
{
	if (!sl)
		return;
	step_conns_free(sl->conns);
	store_close(sl->store);
	free(sl->wait_note);
	free(sl);
}

unsigned engine_wake_count(struct engine *eng)
{
	pthread_mutex_lock(&eng->sleep_lock);
	unsigned seq = eng->sleep_seq;
	pthread_mutex_unlock(&eng->sleep_lock);
	return seq;
}

bool engine_sleep_since(struct engine *eng, unsigned seen, usec_t d)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	usec_t until = (usec_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000 + d;
	ts.tv_sec = until / USEC_PER_SEC;
	ts.tv_nsec = (until % USEC_PER_SEC) * 1000;
	pthread_mutex_lock(&eng->sleep_lock);
	while (!atomic_load(&eng->stopping) && eng->sleep_seq == seen) {
		if (pthread_cond_timedwait(&eng->sleep_cond, &eng->sleep_lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&eng->sleep_lock);
	return atomic_load(&eng->stopping);
}

bool engine_sleep(struct engine *eng, usec_t d)
{
	return engine_sleep_since(eng, engine_wake_count(eng), d);
}

void engine_wake(struct engine *eng)
{
	pthread_mutex_lock(&eng->sleep_lock);
	eng->sleep_seq++;
	pthread_cond_broadcast(&eng->sleep_cond);
	pthread_mutex_unlock(&eng->sleep_lock);
	pthread_mutex_lock(&eng->lock);
	eng->work_seq++;
	pthread_cond_broadcast(&eng->work_cond);
	pthread_cond_broadcast(&eng->done_cond);
	pthread_mutex_unlock(&eng->lock);
}

#define STORE_RETRY_PAUSE (250 * USEC_PER_MSEC)

bool engine_store_retry(struct engine *eng, struct store *s, usec_t *waited)
{
	if (!store_lost(s) || atomic_load(&eng->aborting))
		return false;
	if (atomic_load(&eng->stopping) && *waited >= eng->opt.grace)
		return false;
	struct timespec ts = { 0, STORE_RETRY_PAUSE * 1000 };
	nanosleep(&ts, NULL);
	*waited += STORE_RETRY_PAUSE;
	return true;
}

usec_t engine_store_down_for(struct engine *eng)
{
	return store_link_down_for(eng->link);
}

double engine_random(struct engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	unsigned r = rand_r(&eng->rand_state);
	pthread_mutex_unlock(&eng->lock);
	return (double)r / ((double)RAND_MAX + 1.0);
}

static char *make_worker_id(const struct engine_options *o)
{
	if (o->worker_id)
		return xstrdup(o->worker_id);
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	int n = atomic_fetch_add(&engine_seq, 1) + 1;
	bool fg = o->only_run || o->foreground;
	return xasprintf("%s%s:%ld:%d", fg ? "foreground:" : "", host,
			 (long)getpid(), n);
}

static int write_flow_limits(struct engine *eng, struct err *e)
{
	if (eng->opt.store_opt.read_only)
		return 0;
	for (size_t i = 0; i < eng->project->nflows; i++) {
		const struct project_flow *f = &eng->project->flows[i];
		if (store_flow_limit_set(eng->store, f->name, f->concurrency, e) < 0) {
			err_prefix(e, "flow %s: ", f->name);
			return -1;
		}
	}
	return 0;
}

static void apply_defaults(struct engine_options *o)
{
	if (o->workers == 0)
		o->workers = DEFAULT_WORKERS;
	if (o->workers < 0)
		o->workers = 0;
	if (!o->grace)
		o->grace = DEFAULT_GRACE;
	if (!o->lease)
		o->lease = DEFAULT_LEASE;
	if (!o->heartbeat)
		o->heartbeat = DEFAULT_HEARTBEAT;
	if (!o->poll)
		o->poll = DEFAULT_POLL;
}

static int engine_open_parts(struct engine *eng, struct err *e)
{
	if (engine_events_init(&eng->events, e) < 0)
		return -1;
	eng->store = store_open(eng->store_url, &eng->opt.store_opt, e);
	if (!eng->store)
		return -1;
	if (store_is_read_only(eng->store))
		return err_set(e, ERR_READONLY, "the engine cannot run on a read-only "
			       "control store");
	eng->lake = steps_open_lake(eng->project, e);
	if (!eng->lake) {
		err_prefix(e, "lake: ");
		return -1;
	}
	if (!eng->opt.no_log_sink) {
		eng->log_sink = store_log_sink_open(eng->store_url, &eng->opt.store_opt, e);
		if (!eng->log_sink)
			return -1;
		eng->log_sink_id = log_add_sink(LOG_INFO, store_log_sink_fn(), eng->log_sink);
	}
	eng->event_sink_id = log_add_sink(LOG_INFO, engine_events_log_sink, eng);
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	if (store_worker_register_pools(eng->store, eng->worker_id, host, (int64_t)getpid(),
					eng->pools_text, e) < 0)
		return -1;
	if (write_flow_limits(eng, e) < 0)
		return -1;
	return engine_recover_orphans(eng, eng->store, e);
}

static void copy_pools(struct engine *eng, const struct engine_options *opt)
{
	struct buf b = BUF_INIT;
	eng->pools = xcalloc(opt->npools + 1, sizeof *eng->pools);
	for (size_t i = 0; i < opt->npools; i++) {
		eng->pools[i] = xstrdup(opt->pools[i]);
		buf_printf(&b, "%s%s", i ? "," : "", opt->pools[i]);
	}
	eng->opt.pools = (const char *const *)eng->pools;
	eng->pools_text = opt->npools ? xstrdup(buf_str(&b)) : NULL;
	buf_free(&b);
}

bool engine_drain_asked(struct engine *eng)
{
	return atomic_load(&eng->drain_asked);
}

struct engine *engine_new(const struct project *p, const struct engine_options *opt,
			  struct err *e)
{
	if (!opt || !opt->store_url) {
		err_set(e, ERR_INVALID, "the engine needs a control store URL");
		return NULL;
	}
	struct engine *eng = xcalloc(1, sizeof *eng);
	eng->project = p;
	eng->opt = *opt;
	apply_defaults(&eng->opt);
	eng->store_url = xstrdup(opt->store_url);
	eng->worker_id = make_worker_id(opt);
	eng->opt.worker_id = eng->worker_id;
	copy_pools(eng, opt);
	eng->log_sink_id = eng->event_sink_id = -1;
	/* One link for every handle of the engine: a lost store is reported
	 * once, not once per thread. */
	eng->link = opt->store_opt.link;
	if (!eng->link) {
		eng->link = store_link_new();
		eng->own_link = true;
	}
	eng->opt.store_opt.link = eng->link;
	eng->rand_state = (unsigned)clock_monotonic_us() ^ (unsigned)getpid();
	pthread_mutex_init(&eng->lock, NULL);
	pthread_cond_init(&eng->work_cond, NULL);
	pthread_cond_init(&eng->done_cond, NULL);
	pthread_mutex_init(&eng->sleep_lock, NULL);
	pthread_mutex_init(&eng->fault_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&eng->sleep_cond, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&eng->stopping, false);
	atomic_init(&eng->aborting, false);
	atomic_init(&eng->hurry, 0);
	atomic_init(&eng->listening, false);
	atomic_init(&eng->event_areas, 0);
	eng->sched = engine_sched_new();
	eng->stopped = true;      /* nothing to stop until engine_start */
	if (engine_open_parts(eng, e) < 0) {
		engine_free(eng);
		return NULL;
	}
	eng->stopped = false;
	log_emit(LOG_INFO, 0, NULL, "engine", NULL, 0, "worker %s ready (%zu flow%s, "
		 "%zu task%s, %zu pipe%s)", eng->worker_id, p->nflows,
		 p->nflows == 1 ? "" : "s", p->ntasks, p->ntasks == 1 ? "" : "s",
		 p->npipes, p->npipes == 1 ? "" : "s");
	return eng;
}

const char *engine_worker_id(const struct engine *eng)
{
	return eng->worker_id;
}

void engine_set_only_run(struct engine *eng, int64_t run_id)
{
	eng->opt.only_run = run_id;
}

static void add_slot(struct engine *eng, struct slot *sl)
{
	pthread_mutex_lock(&eng->lock);
	eng->slots = xrealloc(eng->slots, (eng->nslots + 1) * sizeof *eng->slots);
	eng->slots[eng->nslots++] = sl;
	pthread_mutex_unlock(&eng->lock);
}

int engine_start(struct engine *eng, struct err *e)
{
	if (eng->threads_started)
		return err_set(e, ERR_CONFLICT, "the engine is already running");
	eng->threads_started = true;
	for (int i = 0; i < eng->opt.workers; i++) {
		struct slot *sl = engine_slot_new(eng, i, e);
		if (!sl)
			return -1;
		add_slot(eng, sl);
		if (pthread_create(&sl->thread, NULL, engine_worker_main, sl) != 0)
			return err_set(e, ERR_INTERNAL, "cannot start a worker thread");
		sl->started = true;
	}
	if (pthread_create(&eng->supervisor, NULL, engine_supervisor_main, eng) != 0)
		return err_set(e, ERR_INTERNAL, "cannot start the supervisor thread");
	eng->supervisor_started = true;
	if (!eng->opt.no_scheduler && !eng->opt.only_run) {
		if (pthread_create(&eng->scheduler, NULL, engine_scheduler_main, eng) != 0)
			return err_set(e, ERR_INTERNAL, "cannot start the scheduler thread");
		eng->scheduler_started = true;
	}
	if (!eng->opt.no_notifier && !eng->opt.only_run) {
		eng->notifier = notify_start(eng->store_url, &eng->opt.store_opt,
					     eng->project, e);
		if (!eng->notifier)
			return -1;
	}
	if (!eng->opt.only_run && engine_listener_start(eng, e) < 0)
		return -1;
	engine_event_simple(eng, ENGINE_EV_WORKER, eng->worker_id, 0, 0, "started");
	return 0;
}

void engine_request_stop(struct engine *eng)
{
	if (atomic_exchange(&eng->stopping, true))
		return;
	log_emit(LOG_INFO, 0, NULL, "engine", NULL, 0,
		 "worker %s stopping: no new work", eng->worker_id);
	engine_event_simple(eng, ENGINE_EV_WORKER, eng->worker_id, 0, 0, "stopping");
	engine_wake(eng);
}

void engine_fault(struct engine *eng, const struct err *cause, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&eng->fault_lock);
	bool first = !eng->faulted;
	if (first) {
		eng->faulted = true;
		eng->fault = *cause;
		err_prefix(&eng->fault, "%s: ", what);
	}
	struct err f = eng->fault;
	pthread_mutex_unlock(&eng->fault_lock);
	free(what);
	if (!first)
		return;
	log_emit(LOG_ERROR, 0, NULL, "engine", NULL, 0, "worker %s cannot go on: %s",
		 eng->worker_id, err_text(&f));
	engine_event_simple(eng, ENGINE_EV_WORKER, eng->worker_id, 0, 0, "failed");
	engine_request_stop(eng);
}

bool engine_failed(struct engine *eng, struct err *e)
{
	pthread_mutex_lock(&eng->fault_lock);
	bool faulted = eng->faulted;
	if (faulted && e)
		*e = eng->fault;
	pthread_mutex_unlock(&eng->fault_lock);
	return faulted;
}

void engine_abort(struct engine *eng)
{
	atomic_store(&eng->aborting, true);
	atomic_store(&eng->stopping, true);
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->nslots; i++) {
		struct slot *sl = eng->slots[i];
		if (sl->busy) {
			atomic_store(&sl->cancel, true);
			step_conns_cancel(sl->conns);
		}
	}
	pthread_mutex_unlock(&eng->lock);
}

bool engine_idle_done(struct engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	bool done = eng->only_run_done;
	pthread_mutex_unlock(&eng->lock);
	return done;
}

/* Join one thread: for ever, or until the CLOCK_REALTIME time `until`;
 * false when it is still running then. */
static bool join_one(pthread_t t, bool *started, const struct timespec *until)
{
	if (!*started)
		return true;
	if ((until ? pthread_timedjoin_np(t, NULL, until) : pthread_join(t, NULL)) != 0)
		return false;
	*started = false;
	return true;
}

static bool join_threads(struct engine *eng, const struct timespec *until)
{
	bool all = true;
	for (size_t i = 0; i < eng->nslots; i++)
		all = join_one(eng->slots[i]->thread, &eng->slots[i]->started, until) && all;
	all = join_one(eng->scheduler, &eng->scheduler_started, until) && all;
	all = join_one(eng->listener, &eng->listener_started, until) && all;
	return join_one(eng->supervisor, &eng->supervisor_started, until) && all;
}

/* Anything still executing?  (eng->lock held) */
static bool busy_locked(struct engine *eng)
{
	if (eng->active)
		return true;
	for (size_t i = 0; i < eng->nslots; i++)
		if (eng->slots[i]->busy)
			return true;
	return false;
}

/* Wait until nothing executes, the monotonic deadline passes, or an
 * operator hurried the drain to `hurry` (engine_hurry); true if drained. */
static bool wait_drained(struct engine *eng, usec_t until, int hurry)
{
	pthread_mutex_lock(&eng->lock);
	while (busy_locked(eng) && clock_monotonic_us() < until &&
	       atomic_load(&eng->hurry) < hurry) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&eng->done_cond, &eng->lock, &ts);
	}
	bool drained = !busy_locked(eng);
	pthread_mutex_unlock(&eng->lock);
	return drained;
}

void engine_hurry(struct engine *eng)
{
	atomic_fetch_add(&eng->hurry, 1);
	pthread_mutex_lock(&eng->lock);
	pthread_cond_broadcast(&eng->done_cond);
	pthread_mutex_unlock(&eng->lock);
}

bool engine_left_behind(const struct engine *eng)
{
	return eng->left_behind;
}

/* The grace period is over: steps still running are cancelled and roll
 * back; their drivers hand the runs back. */
static void cancel_in_flight(struct engine *eng)
{
	pthread_mutex_lock(&eng->lock);
	for (struct run_exec *rx = eng->active; rx; rx = rx->next_active) {
		pthread_mutex_lock(&rx->lock);
		if (rx->stop == STOP_NONE)
			rx->stop = STOP_SHUTDOWN;
		pthread_mutex_unlock(&rx->lock);
	}
	for (size_t i = 0; i < eng->nslots; i++) {
		if (eng->slots[i]->busy) {
			atomic_store(&eng->slots[i]->cancel, true);
			step_conns_cancel(eng->slots[i]->conns);
		}
	}
	pthread_mutex_unlock(&eng->lock);
}

/* Steps that did not stop when cancelled (or an operator would not wait
 * for their rollback): record their runs as handed back from here, on a
 * store handle of our own (the supervisor may still use eng->store), and
 * leave their threads behind for the process to end.  A run whose driver
 * is already recording its outcome is left to it.  Holding eng->lock
 * keeps every run_exec alive meanwhile; nothing that holds a run's lock
 * waits for eng->lock. */
static int hand_back_left(struct engine *eng, struct store *s, struct err *e)
{
	int n = 0;
	pthread_mutex_lock(&eng->lock);
	for (struct run_exec *rx = eng->active; rx; rx = rx->next_active) {
		pthread_mutex_lock(&rx->lock);
		bool mine = !rx->settling;
		rx->handed_back = mine;
		pthread_mutex_unlock(&rx->lock);
		if (!mine)
			continue;
		engine_exec_hand_back(eng, s, rx, "its step did not stop in time");
		n++;
	}
	eng->left_behind = true;
	pthread_mutex_unlock(&eng->lock);
	atomic_store(&eng->aborting, true);
	return err_set(e, ERR_TIMEOUT, "%d run%s handed back while %s step%s had not "
		       "stopped; the process must exit", n, n == 1 ? "" : "s",
		       n == 1 ? "its" : "their", n == 1 ? "" : "s");
}

/* Hand back what is left, unregister and go, without joining the
 * threads of steps that would not stop. */
static int leave_behind(struct engine *eng, struct err *e)
{
	struct err se;
	struct store *s = store_open(eng->store_url, &eng->opt.store_opt, &se);
	if (!s) {
		*e = se;
		err_prefix(e, "handing back the runs still in flight: ");
		atomic_store(&eng->aborting, true);
		eng->left_behind = true;
		return -1;
	}
	int rc = hand_back_left(eng, s, e);
	store_worker_remove(s, eng->worker_id, NULL);
	store_lease_release(s, "scheduler", eng->worker_id, NULL);
	store_close(s);
	return rc;
}

int engine_stop(struct engine *eng, usec_t grace, struct err *e)
{
	if (eng->stopped)
		return 0;
	if (!grace)
		grace = eng->opt.grace;
	engine_request_stop(eng);
	int rc = 0;
	if (!wait_drained(eng, clock_monotonic_us() + grace, 1)) {
		bool hurried = atomic_load(&eng->hurry) > 0;
		log_emit(LOG_WARN, 0, NULL, "engine", NULL, 0, "%s: cancelling the steps "
			 "still running; their runs are handed back",
			 hurried ? "drain cut short" : "grace period over");
		cancel_in_flight(eng);
		if (wait_drained(eng, clock_monotonic_us() + ROLLBACK_WAIT, 2))
			rc = err_set(e, ERR_TIMEOUT, "steps still running %s were cancelled",
				     hurried ? "when the drain was cut short"
					     : "after the grace period");
		else
			rc = leave_behind(eng, e);
	}
	if (eng->left_behind) {
		/* The listener ends within its tick once stopping; it uses the
		 * notifier, so it goes first (bounded: its connect may hang). */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LEFT_BEHIND_JOIN;
		if (!join_one(eng->listener, &eng->listener_started, &until))
			log_warn("worker %s: the store listener did not stop", eng->worker_id);
		else
			notify_stop(eng->notifier);
		eng->notifier = NULL;
		log_emit(LOG_WARN, 0, NULL, "engine", NULL, 0, "worker %s stopped, leaving "
			 "behind steps that did not stop", eng->worker_id);
		engine_event_simple(eng, ENGINE_EV_WORKER, eng->worker_id, 0, 0, "stopped");
		eng->stopped = true;
		return rc;
	}
	engine_wake(eng);
	join_threads(eng, NULL);
	notify_stop(eng->notifier);
	eng->notifier = NULL;
	/* Jobs nobody took (pipe refreshes, SQL tasks) are simply dropped:
	 * the next engine's scheduler queues them again. */
	struct job *j;
	while ((j = engine_job_take(eng, NULL)))
		engine_job_drop(eng, eng->store, j);
	struct err e2;
	if (store_worker_remove(eng->store, eng->worker_id, &e2) < 0 && rc == 0)
		rc = err_set(e, e2.code, "%s", e2.msg);
	store_lease_release(eng->store, "scheduler", eng->worker_id, NULL);
	log_emit(LOG_INFO, 0, NULL, "engine", NULL, 0, "worker %s stopped",
		 eng->worker_id);
	engine_event_simple(eng, ENGINE_EV_WORKER, eng->worker_id, 0, 0, "stopped");
	eng->stopped = true;
	return rc;
}

void engine_free(struct engine *eng)
{
	if (!eng)
		return;
	if (eng->left_behind) {
		/* Threads of steps that would not stop may still use all of it:
		 * free it only if they have ended by now (the process is
		 * about to end anyway: engine_left_behind). */
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += LEFT_BEHIND_JOIN;
		if (!join_threads(eng, &until))
			return;
	}
	if (!eng->stopped && !atomic_load(&eng->aborting))
		engine_stop(eng, USEC_PER_SEC, NULL);
	else if (atomic_load(&eng->aborting))
		join_threads(eng, NULL);
	notify_stop(eng->notifier);
	if (eng->event_sink_id >= 0)
		log_remove_sink(eng->event_sink_id);
	if (eng->log_sink_id >= 0)
		log_remove_sink(eng->log_sink_id);
	if (eng->log_sink)
		store_log_sink_close(eng->log_sink);
	for (size_t i = 0; i < eng->nslots; i++)
		engine_slot_free(eng->slots[i]);
	free(eng->slots);
	if (eng->lake)
		lake_close(eng->lake);
	store_close(eng->store);
	engine_sched_free(eng->sched);
	if (eng->own_link)
		store_link_free(eng->link);
	engine_events_destroy(&eng->events);
	pthread_mutex_destroy(&eng->lock);
	pthread_cond_destroy(&eng->work_cond);
	pthread_cond_destroy(&eng->done_cond);
	pthread_mutex_destroy(&eng->sleep_lock);
	pthread_mutex_destroy(&eng->fault_lock);
	pthread_cond_destroy(&eng->sleep_cond);
	free(eng->worker_id);
	for (size_t i = 0; i < eng->opt.npools; i++)
		free(eng->pools[i]);
	free(eng->pools);
	free(eng->pools_text);
	free(eng->store_url);
	free(eng);
}

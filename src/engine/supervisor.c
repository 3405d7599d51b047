/*
 * supervisor.c - the engine's watchful thread: heartbeats, step and run
 * timeouts, runs an operator moved to CANCELLING, and crash recovery.
 *
 * Recovery: a run RUNNING or CANCELLING whose worker has not beaten its
 * heart within the lease (or is not registered, or is a process on this
 * host that no longer exists) becomes CRASHED; with retries left it goes
 * CRASHED -> RETRYING, due now, and runs again under the same id, so its
 * ledger entries and planned extract windows stay valid.  The reason says
 * what was seen: the worker's process gone, or how long its heartbeat has
 * been silent.  After the control store was out of reach, every worker's
 * heartbeat is old for a reason that is not theirs: for one lease after it
 * is back, only workers whose process is seen gone are recovered.
 */
#include "engine/engine_int.h"
#include "notify/notify.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WATCH_TICK     (50 * USEC_PER_MSEC)
#define CANCEL_POLL    (500 * USEC_PER_MSEC)
#define RECANCEL       (250 * USEC_PER_MSEC)

/* (eng->lock held) */
static void cancel_run_locked(struct engine *eng, struct run_exec *rx,
			      enum run_stop why, const char *error)
{
	pthread_mutex_lock(&rx->lock);
	if (rx->stop == STOP_NONE || rx->stop == STOP_FAILED ||
	    (why == STOP_CANCEL && rx->stop == STOP_SHUTDOWN)) {
		rx->stop = why;
		if (error && why == STOP_TIMEOUT)
			err_set(&rx->error, ERR_TIMEOUT, "%s", error);
	}
	pthread_mutex_unlock(&rx->lock);
	for (size_t i = 0; i < eng->nslots; i++) {
		struct slot *sl = eng->slots[i];
		if (sl->run == rx) {
			atomic_store(&sl->cancel, true);
			step_conns_cancel(sl->conns);
			sl->last_cancel = clock_monotonic_us();
		}
	}
}

void engine_cancel_run_local(struct engine *eng, struct run_exec *rx, enum run_stop why)
{
	pthread_mutex_lock(&eng->lock);
	cancel_run_locked(eng, rx, why, NULL);
	pthread_mutex_unlock(&eng->lock);
}

void engine_cancel_here(struct engine *eng, int64_t run_id)
{
	pthread_mutex_lock(&eng->lock);
	for (struct run_exec *rx = eng->active; rx; rx = rx->next_active)
		if (rx->run->id == run_id)
			cancel_run_locked(eng, rx, STOP_CANCEL, NULL);
	pthread_mutex_unlock(&eng->lock);
}

static void watchdog(struct engine *eng)
{
	usec_t now = clock_monotonic_us();
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->nslots; i++) {
		struct slot *sl = eng->slots[i];
		if (sl->run && sl->deadline && now >= sl->deadline && !sl->timed_out) {
			sl->timed_out = true;
			atomic_store(&sl->cancel, true);
			step_conns_cancel(sl->conns);
			sl->last_cancel = now;
		} else if (sl->busy && atomic_load(&sl->cancel) &&
			   now - sl->last_cancel >= RECANCEL) {
			/* A cancel that arrives between two statements is lost:
			 * repeat it until the step notices. */
			step_conns_cancel(sl->conns);
			sl->last_cancel = now;
		}
	}
	for (struct run_exec *rx = eng->active; rx; rx = rx->next_active) {
		if (rx->deadline && now >= rx->deadline) {
			char lim[32];
			duration_format(rx->flow->timeout, lim, sizeof lim);
			char *msg = xasprintf("run timed out after %s (flow timeout)", lim);
			cancel_run_locked(eng, rx, STOP_TIMEOUT, msg);
			free(msg);
			rx->deadline = 0;
		}
	}
	pthread_mutex_unlock(&eng->lock);
}

/* What running steps wait for (slot_waiting's notes) into the store, as
 * the steps' detail, and onto the event queue for consoles. */
static void publish_wait_notes(struct engine *eng, struct store *s)
{
	struct note { int64_t run_id; const char *step; char *text; } notes[16];
	size_t n = 0;
	pthread_mutex_lock(&eng->lock);
	for (size_t i = 0; i < eng->nslots && n < ARRAY_LEN(notes); i++) {
		struct slot *sl = eng->slots[i];
		if (!sl->wait_dirty || !sl->run)
			continue;
		notes[n].run_id = sl->run->run->id;
		notes[n].step = sl->step;      /* the project's: outlives the run */
		notes[n].text = sl->wait_note ? xstrdup(sl->wait_note) : NULL;
		sl->wait_dirty = false;
		n++;
	}
	pthread_mutex_unlock(&eng->lock);
	for (size_t i = 0; i < n; i++) {
		struct err e;
		if (store_step_set_detail(s, notes[i].run_id, notes[i].step, notes[i].text,
					  &e) < 0)
			log_warn("run %lld step %s: cannot record what it waits for: %s",
				 (long long)notes[i].run_id, notes[i].step, err_text(&e));
		engine_event_step(eng, notes[i].run_id, notes[i].step, STEP_RUNNING, notes[i].text);
		free(notes[i].text);
	}
}

/* Runs an operator moved to CANCELLING: stop their steps. */
static void poll_cancels(struct engine *eng, struct store *s)
{
	int64_t ids[64];
	size_t n = 0;
	pthread_mutex_lock(&eng->lock);
	for (struct run_exec *rx = eng->active; rx && n < ARRAY_LEN(ids); rx = rx->next_active)
		if (!atomic_load(&rx->cancel_seen))
			ids[n++] = rx->run->id;
	pthread_mutex_unlock(&eng->lock);
	if (n == 0)
		return;
	/* One query for every CANCELLING run, not one per active run. */
	struct store_run_filter f = { .states = RUN_STATE_BIT(RUN_CANCELLING),
				      .limit = 10000 };
	struct vec cancelling = VEC_INIT;
	if (store_run_list(s, &f, &cancelling, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t k = 0; k < cancelling.len && !found; k++)
			found = ((struct store_run *)cancelling.items[k])->id == ids[i];
		if (!found)
			continue;
		pthread_mutex_lock(&eng->lock);
		for (struct run_exec *rx = eng->active; rx; rx = rx->next_active) {
			if (rx->run->id == ids[i]) {
				atomic_store(&rx->cancel_seen, true);
				cancel_run_locked(eng, rx, STOP_CANCEL, NULL);
				log_emit(LOG_WARN, ids[i], NULL, NULL, NULL, 0,
					 "cancel requested: stopping the steps at the next "
					 "safe point");
			}
		}
		pthread_mutex_unlock(&eng->lock);
	}
	store_run_list_free(&cancelling);
}

bool engine_run_may_retry(const struct project *p, const struct store_run *r,
		   const char *failed_step)
{
	const struct project_flow *f = project_flow(p, r->flow);
	if (!f)
		return false;
	int count = f->retries.count;
	const struct project_step *s = failed_step ? project_step(f, failed_step) : NULL;
	if (s && s->has_retries) {
		count = s->retries.count;
	} else if (!failed_step) {
		for (size_t i = 0; i < f->nsteps; i++)
			if (f->steps[i].has_retries && f->steps[i].retries.count > count)
				count = f->steps[i].retries.count;
	}
	return r->attempt <= count;
}

bool engine_worker_process_gone(const struct store_worker *w)
{
	char host[256] = "localhost";
	gethostname(host, sizeof host - 1);
	host[sizeof host - 1] = '\0';
	return str_eq(w->host, host) && w->pid > 0 && w->pid != (int64_t)getpid() &&
	       kill((pid_t)w->pid, 0) < 0 && errno == ESRCH;
}

/* Workers on this host whose process is gone: unregister them, so their
 * runs are recovered now instead of after the lease.  They move from
 * `workers` (the registered ones) to `gone`. */
static void reap_dead_local_workers(struct engine *eng, struct store *s,
				    struct vec *workers, struct vec *gone)
{
	for (size_t i = 0; i < workers->len;) {
		struct store_worker *w = workers->items[i];
		if (str_eq(w->id, eng->worker_id) || !engine_worker_process_gone(w)) {
			i++;
			continue;
		}
		log_warn("worker %s (pid %lld on this host) is gone; recovering "
			 "its runs", w->id, (long long)w->pid);
		store_worker_remove(s, w->id, NULL);
		vec_remove(workers, i);
		vec_push(gone, w);
	}
}

/* One event per lost worker and window, whatever the number of its runs. */
static void notify_worker_lost(struct engine *eng, struct store *s,
			       const struct store_run *r, const char *reason)
{
	char *object = xasprintf("worker:%s", r->worker ? r->worker : "?");
	char *text = xasprintf("%s: its run %lld of flow %s CRASHED and is recovered",
			       reason, (long long)r->id, r->flow);
	struct notify_msg m = { .event = NOTIFY_WORKER_LOST, .object = object,
				.run_id = r->id, .state = "CRASHED", .error = reason,
				.text = text };
	struct err e;
	if (notify_raise(s, eng->project, &m, &e) < 0)
		log_warn("run %lld: cannot queue the notification: %s", (long long)r->id,
			 err_text(&e));
	free(text);
	free(object);
}

/* A run kept for a foreground `sluice run` whose process is gone before
 * it started the run: nobody is there to do it or to report it, so it
 * fails now instead of running hours later for a worker nobody asked. */
static void fail_kept_run(struct engine *eng, struct store *s, struct store_run *r)
{
	struct err e;
	char *reason = xasprintf("the sluice run that created it (worker %s) exited "
				 "before starting it", r->worker ? r->worker : "?");
	if (engine_transition(eng, s, r, RUN_FAILED, reason, reason, 0, &e) < 0 &&
	    e.code != ERR_CONFLICT)
		log_warn("settling run %lld: %s", (long long)r->id, err_text(&e));
	free(reason);
}

static const struct store_worker *find_worker(const struct vec *ws, const char *id)
{
	for (size_t i = 0; id && i < ws->len; i++) {
		const struct store_worker *w = ws->items[i];
		if (str_eq(w->id, id))
			return w;
	}
	return NULL;
}

/* What was seen of the run's worker; caller frees. */
static char *crash_reason(const struct store_run *r, const struct vec *workers,
			  const struct vec *gone)
{
	const char *id = r->worker ? r->worker : "?";
	const struct store_worker *w = find_worker(gone, r->worker);
	if (w)
		return xasprintf("worker %s exited (pid %lld gone)", id, (long long)w->pid);
	w = find_worker(workers, r->worker);
	if (!w)
		return xasprintf("worker %s is no longer registered (it stopped, or "
				 "another engine found it gone)", id);
	return xasprintf("worker %s lost: no heartbeat for %llds", id,
			 (long long)((clock_now_us() - w->heartbeat) / USEC_PER_SEC));
}

static void recover_one(struct engine *eng, struct store *s, struct store_run *r,
			const char *reason)
{
	struct err e;
	if (r->state == RUN_PENDING) {
		fail_kept_run(eng, s, r);
		return;
	}
	if (engine_transition(eng, s, r, RUN_CRASHED, reason,
			      "the worker running it stopped without finishing", 0, &e) < 0) {
		if (e.code != ERR_CONFLICT && !store_lost(s))
			log_warn("recovering run %lld: %s", (long long)r->id, err_text(&e));
		return;
	}
	notify_worker_lost(eng, s, r, reason);
	if (engine_run_may_retry(eng->project, r, NULL)) {
		char *why = xasprintf("recovering: attempt %d of %d runs again in place",
				      r->attempt + 1, r->max_attempts);
		if (engine_transition(eng, s, r, RUN_RETRYING, why, NULL, clock_now_us(), &e) < 0)
			log_warn("retrying run %lld: %s", (long long)r->id, err_text(&e));
		free(why);
		return;
	}
	store_wm_clear_run(s, r->id, NULL, NULL);
	char *text = xasprintf("Run %lld of flow %s CRASHED (its worker %s died) and "
			       "has no retries left", (long long)r->id, r->flow,
			       r->worker ? r->worker : "?");
	char *object = xasprintf("flow:%s", r->flow);
	const struct project_flow *f = project_flow(eng->project, r->flow);
	struct notify_msg m = {
		.event = NOTIFY_RUN_CRASHED, .object = object, .run_id = r->id,
		.state = "CRASHED", .error = "the worker running it stopped without finishing",
		.text = text, .also = f ? f->notify : NULL, .nalso = f ? f->nnotify : 0,
	};
	struct err ne;
	if (notify_raise(s, eng->project, &m, &ne) < 0)
		log_warn("run %lld: cannot queue the notification: %s", (long long)r->id,
			 err_text(&ne));
	free(object);
	free(text);
}

/* Is this engine driving run `id`? */
static bool driving(struct engine *eng, int64_t id)
{
	pthread_mutex_lock(&eng->lock);
	bool found = false;
	for (struct run_exec *rx = eng->active; rx && !found; rx = rx->next_active)
		found = rx->run->id == id;
	pthread_mutex_unlock(&eng->lock);
	return found;
}

/* Runs the store says this engine runs, which it does not: the reply to
 * a claim, or a run's last transition, was lost with the connection to the
 * store (committed there, failed here), or a drain gave up recording one.
 * Its heartbeat is fresh, so nobody else would ever recover them.  A run
 * unchanged for a lease is safely past the moment of its claim. */
static void recover_own_strays(struct engine *eng, struct store *s,
			       const struct vec *runs)
{
	usec_t now = clock_now_us();
	for (size_t i = 0; i < runs->len; i++) {
		struct store_run *r = runs->items[i];
		if (!str_eq(r->worker, eng->worker_id) || now - r->updated < eng->opt.lease ||
		    driving(eng, r->id))
			continue;
		char *reason = xasprintf("worker %s is alive but not running it (a record "
					 "was lost with its control store connection)",
					 eng->worker_id);
		recover_one(eng, s, r, reason);
		free(reason);
	}
}

/* Within a lease of the store coming back after an outage? */
static bool store_just_back(struct engine *eng)
{
	usec_t back = store_link_back_at(eng->link);
	return back && clock_monotonic_us() - back < eng->opt.lease;
}

/* The look, in one read transaction: the workers, the runs nobody
 * alive holds, and the runs in flight (for this engine's strays). */
static int recovery_look(struct engine *eng, struct store *s, struct vec *workers,
			 struct vec *orphans, struct vec *in_flight, struct err *e)
{
	struct store_run_filter f = { .limit = 10000,
		.states = RUN_STATE_BIT(RUN_RUNNING) | RUN_STATE_BIT(RUN_CANCELLING) };
	if (store_read_begin(s, e) < 0)
		return -1;
	int rc = store_worker_list(s, workers, e) < 0 ||
		 store_runs_orphaned(s, eng->opt.lease, orphans, e) < 0 ||
		 store_run_list(s, &f, in_flight, e) < 0 ? -1 : 0;
	store_read_end(s);
	return rc;
}

int engine_recover_orphans(struct engine *eng, struct store *s, struct err *e)
{
	struct vec workers = VEC_INIT, gone = VEC_INIT, runs = VEC_INIT;
	struct vec in_flight = VEC_INIT;
	int rc = recovery_look(eng, s, &workers, &runs, &in_flight, e);
	if (rc == 0) {
		reap_dead_local_workers(eng, s, &workers, &gone);
		/* Their runs are orphans now: look again (seldom). */
		if (gone.len) {
			store_run_list_free(&runs);
			rc = store_runs_orphaned(s, eng->opt.lease, &runs, e);
		}
	}
	bool just_back = store_just_back(eng);
	for (size_t i = 0; rc == 0 && i < runs.len; i++) {
		struct store_run *r = runs.items[i];
		if (str_eq(r->worker, eng->worker_id) ||
		    (just_back && !find_worker(&gone, r->worker)))
			continue;
		char *reason = crash_reason(r, &workers, &gone);
		recover_one(eng, s, r, reason);
		free(reason);
	}
	if (rc == 0)
		recover_own_strays(eng, s, &in_flight);
	store_run_list_free(&runs);
	store_run_list_free(&in_flight);
	store_worker_list_free(&workers);
	store_worker_list_free(&gone);
	return rc;
}

int engine_recover(struct engine *eng, struct err *e)
{
	return engine_recover_orphans(eng, eng->store, e);
}

/* What the beat found that no event may have announced: wake whoever
 * acts on it. */
static void beat_apply(struct engine *eng, const struct store_beat *b)
{
	unsigned areas = 0;
	if (b->requests)
		areas |= STORE_AREA_BIT(STORE_AREA_REQUESTS);
	if (b->notify_due)
		areas |= STORE_AREA_BIT(STORE_AREA_NOTIFY);
	if (b->claimable)
		areas |= STORE_AREA_BIT(STORE_AREA_RUNS);
	if (areas)
		engine_events_raise(eng, areas);
}

/* True when requests for this worker wait (take_drain_request). */
static bool heartbeat(struct engine *eng, struct store *s)
{
	struct err e;
	struct store_beat b = { 0 };
	if (store_worker_beat(s, eng->worker_id, eng->opt.pools,
			      eng->opt.npools, &b, &e) == 0) {
		beat_apply(eng, &b);
		return b.for_me > 0;
	}
	if (e.code == ERR_NOTFOUND) {
		/* Someone reaped us (we stalled past the lease): come back. */
		char host[256] = "localhost";
		gethostname(host, sizeof host - 1);
		host[sizeof host - 1] = '\0';
		log_warn("worker %s was unregistered by another engine; registering again",
			 eng->worker_id);
		store_worker_register_pools(s, eng->worker_id, host, (int64_t)getpid(),
					    eng->pools_text, NULL);
		return false;
	}
	if (!store_lost(s))       /* a lost store was reported already */
		log_warn("worker %s: heartbeat failed: %s", eng->worker_id, err_text(&e));
	if (e.code == ERR_IO)
		engine_fault(eng, &e, "heartbeat");
	return false;
}

/* An operator's "drain" for this worker: say so, and let the process
 * (cmd/) stop as it does on SIGTERM.  Each engine learns of its requests
 * with its heartbeat (the scheduler's request loop runs on one engine
 * only), at no extra transaction while there are none. */
static void take_drain_request(struct engine *eng, struct store *s)
{
	if (atomic_load(&eng->drain_asked) || atomic_load(&eng->stopping))
		return;
	char *target = xasprintf("worker:%s", eng->worker_id);
	struct store_request *rq = NULL;
	struct err e;
	int rc = store_request_claim_target(s, eng->worker_id, target, &rq, &e);
	free(target);
	if (rc < 0 && !store_lost(s))
		log_warn("worker %s: requests: %s", eng->worker_id, err_text(&e));
	if (rc != 1)
		return;
	bool drain = str_eq(rq->kind, ENGINE_REQ_DRAIN);
	log_emit(LOG_INFO, 0, NULL, rq->target, NULL, 0, "request %lld: %s %s by %s",
		 (long long)rq->id, rq->kind, rq->target,
		 rq->requested_by ? rq->requested_by : "?");
	if (store_request_complete(s, rq->id, drain, drain ? "draining" : NULL,
				   drain ? NULL : "unknown request", &e) < 0)
		log_warn("request %lld: %s", (long long)rq->id, err_text(&e));
	if (drain)
		atomic_store(&eng->drain_asked, true);
	store_request_free(rq);
}

void *engine_supervisor_main(void *arg)
{
	struct engine *eng = arg;
	struct store *s = eng->store;
	usec_t next_beat = 0, next_cancel = 0, next_recover = 0;
	for (;;) {
		usec_t now = clock_monotonic_us();
		watchdog(eng);
		publish_wait_notes(eng, s);
		if (now >= next_cancel) {
			poll_cancels(eng, s);
			next_cancel = now + CANCEL_POLL;
		}
		if (now >= next_beat) {
			if (heartbeat(eng, s))
				take_drain_request(eng, s);
			next_beat = now + eng->opt.heartbeat;
		}
		if (now >= next_recover && !atomic_load(&eng->stopping)) {
			struct err e;
			if (engine_recover_orphans(eng, s, &e) < 0 && !store_lost(s))
				log_warn("crash recovery: %s", err_text(&e));
			/* With events the workers wake for runs handed back;
			 * a dead worker is seen a lease after its last beat
			 * anyway, so looking more often finds nothing sooner. */
			next_recover = now + (atomic_load(&eng->listening)
					      ? eng->opt.lease : eng->opt.heartbeat);
		}
		/* Keep watching while runs drain after a stop request. */
		pthread_mutex_lock(&eng->lock);
		bool idle = !eng->active;
		for (size_t i = 0; i < eng->nslots && idle; i++)
			idle = !eng->slots[i]->busy;
		bool workers_gone = true;
		for (size_t i = 0; i < eng->nslots; i++)
			if (eng->slots[i]->started && eng->slots[i] != eng->manual)
				workers_gone = workers_gone && !eng->slots[i]->busy;
		pthread_mutex_unlock(&eng->lock);
		if (atomic_load(&eng->aborting))
			break;
		if (atomic_load(&eng->stopping) && idle && workers_gone)
			break;
		struct timespec ts = { 0, WATCH_TICK * 1000 };
		nanosleep(&ts, NULL);
	}
	return NULL;
}

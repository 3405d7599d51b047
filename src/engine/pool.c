/*
 * pool.c - the worker threads and the in-process job queue.
 *
 * A worker first takes queued jobs (a step of a run another worker drives,
 * a pipe refresh, a SQL-file task), then claims a due run from the store
 * and drives it; when there is nothing it waits for a job or the poll
 * interval.  engine_work_once does one round of the same on the caller's
 * thread.
 */
#include "engine/engine_int.h"
#include "db/db.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void engine_job_push(struct engine *eng, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&eng->lock);
	if (eng->jobs_tail)
		eng->jobs_tail->next = j;
	else
		eng->jobs_head = j;
	eng->jobs_tail = j;
	eng->work_seq++;
	pthread_cond_signal(&eng->work_cond);
	pthread_mutex_unlock(&eng->lock);
}

/* (eng->lock held) */
static struct job *take_locked(struct engine *eng, struct run_exec *run)
{
	struct job *prev = NULL;
	for (struct job *j = eng->jobs_head; j; prev = j, j = j->next) {
		if (run && j->run != run)
			continue;
		if (prev)
			prev->next = j->next;
		else
			eng->jobs_head = j->next;
		if (eng->jobs_tail == j)
			eng->jobs_tail = prev;
		j->next = NULL;
		return j;
	}
	return NULL;
}

struct job *engine_job_take(struct engine *eng, struct run_exec *run)
{
	pthread_mutex_lock(&eng->lock);
	struct job *j = take_locked(eng, run);
	pthread_mutex_unlock(&eng->lock);
	return j;
}

bool engine_job_pipe_queued(struct engine *eng, const char *pipe)
{
	bool found = false;
	pthread_mutex_lock(&eng->lock);
	for (struct job *j = eng->jobs_head; j && !found; j = j->next)
		found = j->kind == JOB_PIPE && str_eq(j->name, pipe);
	pthread_mutex_unlock(&eng->lock);
	return found;
}

void engine_job_free(struct job *j)
{
	if (!j)
		return;
	free(j->name);
	free(j->file);
	free(j->condition);
	free(j);
}

static void set_busy(struct slot *sl, bool busy)
{
	struct engine *eng = sl->eng;
	pthread_mutex_lock(&eng->lock);
	sl->busy = busy;
	if (!busy)
		pthread_cond_broadcast(&eng->done_cond);
	pthread_mutex_unlock(&eng->lock);
}

static void run_pipe_job(struct slot *sl, struct job *j)
{
	struct engine *eng = sl->eng;
	const struct project_pipe *pipe = project_pipe(eng->project, j->name);
	struct err e;
	err_clear(&e);
	struct pipe_result res;
	memset(&res, 0, sizeof res);
	bool ok = false;
	char *summary = NULL;
	if (!pipe) {
		err_set(&e, ERR_NOTFOUND, "no pipe named %s in the project", j->name);
	} else {
		struct pipe_request req = { .force = j->force, .only_key = j->file };
		pthread_mutex_lock(&eng->lock);
		atomic_store(&sl->cancel, false);
		pthread_mutex_unlock(&eng->lock);
		struct pipe_env env = { eng->project, sl->store, sl->conns, eng->lake,
					&sl->cancel };
		ok = pipe_refresh(&env, pipe, &req, &res, &e) == 0;
	}
	char object[128];
	snprintf(object, sizeof object, "pipe:%s", j->name);
	if (ok) {
		summary = xasprintf("%d file%s loaded, %d failed, %d partial, %lld row%s",
				    res.files_loaded, res.files_loaded == 1 ? "" : "s",
				    res.files_failed, res.files_partial,
				    (long long)res.rows_loaded, res.rows_loaded == 1 ? "" : "s");
		if (res.files_loaded || res.files_failed || res.files_partial || j->request_id)
			log_emit(res.files_failed ? LOG_WARN : LOG_INFO, 0, NULL, object,
				 NULL, 0, "refresh: %s", summary);
	} else {
		summary = xstrdup(err_text(&e));
		log_emit(LOG_ERROR, 0, NULL, object, NULL, 0, "refresh failed: %s", summary);
	}
	engine_event_simple(eng, ENGINE_EV_PIPE, j->name, ok ? 0 : 1, 0, summary);
	if (j->request_id) {
		struct err e2;
		if (store_request_complete(sl->store, j->request_id, ok, ok ? summary : NULL,
					   ok ? NULL : summary, &e2) < 0)
			log_warn("request %lld: %s", (long long)j->request_id, err_text(&e2));
	}
	free(summary);
	pipe_result_free(&res);
	engine_sched_pipe_done(eng, j->name);
}

/* A task whose action is a SQL file: run the script on its connection in
 * one transaction and record the outcome in its history row. */
static void run_task_sql_job(struct slot *sl, struct job *j)
{
	struct engine *eng = sl->eng;
	const struct project_task *t = project_task(eng->project, j->name);
	struct err e;
	err_clear(&e);
	int rc = -1;
	if (!t || !t->sql_file) {
		err_set(&e, ERR_NOTFOUND, "task %s has no SQL file", j->name);
	} else {
		struct db *db = step_conns_get(sl->conns, t->connection, &e);
		char *sql = db ? file_read_all(t->sql_file, NULL, &e) : NULL;
		if (sql) {
			pthread_mutex_lock(&eng->lock);
			atomic_store(&sl->cancel, false);
			pthread_mutex_unlock(&eng->lock);
			rc = db_begin(db, &e);
			if (rc == 0)
				rc = db_exec_script(db, sql, &e);
			if (rc == 0 && atomic_load(&sl->cancel))
				rc = err_set(&e, ERR_CANCELLED, "the engine is stopping");
			if (rc == 0)
				rc = db_commit(db, &e);
			else
				db_rollback(db);
		}
		free(sql);
	}
	struct store_task_entry te = {
		.id = j->history_id, .task = j->name, .scheduled = j->scheduled,
		.completed = clock_now_us(),
		.state = rc == 0 ? TASK_SUCCEEDED : TASK_FAILED,
		.error = rc == 0 ? NULL : (char *)err_text(&e),
		.started = j->started, .condition = j->condition,
	};
	struct err e2;
	int urc;
	usec_t waited = 0;
	while ((urc = store_task_update(sl->store, &te, &e2)) < 0 &&
	       engine_store_retry(eng, sl->store, &waited))
		;
	if (urc < 0)
		log_warn("task %s: cannot record its outcome: %s", j->name, err_text(&e2));
	char object[128];
	snprintf(object, sizeof object, "task:%s", j->name);
	if (rc == 0)
		log_emit(LOG_INFO, 0, NULL, object, NULL, 0, "SQL file ran");
	else
		log_emit(LOG_ERROR, 0, NULL, object, NULL, 0, "SQL file failed: %s",
			 err_text(&e));
	engine_event_simple(eng, ENGINE_EV_TASK, j->name, te.state, 0, te.error);
	engine_sched_task_sql_done(eng, j->name, rc == 0);
}

/* A job that will not run because the engine is stopping: say so where
 * someone waits for it. */
void engine_job_drop(struct engine *eng, struct store *s, struct job *j)
{
	if (j->kind == JOB_PIPE) {
		if (j->request_id)
			store_request_complete(s, j->request_id, false, NULL,
					       "the engine stopped before it ran; "
					       "ask again", NULL);
		engine_sched_pipe_done(eng, j->name);
	} else if (j->kind == JOB_TASK_SQL) {
		struct store_task_entry te = {
			.id = j->history_id, .task = j->name, .scheduled = j->scheduled,
			.started = clock_now_us(), .completed = clock_now_us(),
			.state = TASK_CANCELLED, .error = "the engine stopped before it ran",
		};
		store_task_update(s, &te, NULL);
		engine_sched_task_sql_done(eng, j->name, false);
	}
	engine_job_free(j);
}

int engine_job_run(struct slot *sl, struct job *j)
{
	set_busy(sl, true);
	switch (j->kind) {
	case JOB_STEP:
		engine_exec_step_job(sl, j->run, j->step);
		break;
	case JOB_PIPE:
		run_pipe_job(sl, j);
		break;
	case JOB_TASK_SQL:
		run_task_sql_job(sl, j);
		break;
	}
	engine_job_free(j);
	set_busy(sl, false);
	return 1;
}

/* Earlier runs of the foreground run's flow that must go first: those in
 * RETRYING, which hold their slot (a retry must load its own staged rows
 * before anyone replaces them), and those a draining worker handed back
 * (PENDING again, started before), for the same reason.  No other engine
 * is alive to run them (that is why this one runs in the foreground), so
 * this one does, oldest first, when one is due and the flow has room; its
 * own run follows.  Says once what the run waits for.  1 claimed *out, 0
 * none is in the way, 2 one is in the way and not due yet, -1 error. */
static bool in_the_way(const struct store_run *r, const struct store_run *own)
{
	if (r->id == own->id)
		return false;
	return r->state == RUN_RETRYING || (r->started && r->id < own->id && !r->worker);
}

static int claim_run_in_the_way(struct slot *sl, const struct store_run *own, int limit,
				struct store_run **out, struct err *e)
{
	struct engine *eng = sl->eng;
	struct store_run_filter f = { .flow = own->flow, .limit = 100, .sort = RUN_SORT_OLDEST,
		.states = RUN_STATE_BIT(RUN_RETRYING) | RUN_STATE_BIT(RUN_PENDING) };
	struct vec v = VEC_INIT;
	if (store_run_list(sl->store, &f, &v, e) < 0)
		return -1;
	const struct store_run *r = NULL;
	for (size_t i = 0; i < v.len && !r; i++)
		if (in_the_way(v.items[i], own))
			r = v.items[i];
	int rc = r ? 2 : 0;
	if (r && !eng->retry_said) {
		log_emit(LOG_WARN, own->id, NULL, NULL, NULL, 0, "run %lld waits for run %lld "
			 "of flow %s, which is %s and goes first; no other engine is running, "
			 "so this one runs it first", (long long)own->id, (long long)r->id,
			 own->flow, r->state == RUN_RETRYING ? "RETRYING" : "handed back unfinished");
		eng->retry_said = true;
	}
	int64_t running = 0;
	struct store_run_filter rf = { .flow = own->flow,
		.states = RUN_STATE_BIT(RUN_RUNNING) | RUN_STATE_BIT(RUN_CANCELLING) };
	bool due = r && !(r->state == RUN_RETRYING && r->next_retry > clock_now_us());
	if (due && store_run_count(sl->store, &rf, &running, e) < 0)
		rc = -1;
	else if (due && (limit <= 0 || running < limit)) {
		struct err ce;
		if (store_run_claim_id(sl->store, r->id, eng->worker_id, out, &ce) == 0)
			rc = 1;
		else if (ce.code != ERR_CONFLICT)
			rc = (*e = ce, -1);
	}
	store_run_list_free(&v);
	return rc;
}

/* Is the foreground run due (it may wait in RETRYING)?  Claims it.
 * (One thread at a time: eng->only_claiming.) */
static int claim_only_run_locked(struct slot *sl, struct store_run **out, struct err *e)
{
	struct engine *eng = sl->eng;
	struct store_run *r = store_run_get(sl->store, eng->opt.only_run, e);
	if (!r)
		return -1;
	enum run_state st = r->state;
	usec_t now = clock_now_us();
	bool due = st == RUN_PENDING ||
		   (st == RUN_RETRYING && r->next_retry <= now) ||
		   ((st == RUN_SCHEDULED || st == RUN_LATE) && r->scheduled <= now);
	if (run_state_is_terminal(st)) {
		store_run_free(r);
		pthread_mutex_lock(&eng->lock);
		eng->only_run_done = true;
		pthread_cond_broadcast(&eng->done_cond);
		pthread_mutex_unlock(&eng->lock);
		return 0;
	}
	if (!due) {
		store_run_free(r);
		return 0;
	}
	/* claim_id ignores the flow's limit: respect it here (two foreground
	 * runs of a one-at-a-time flow take turns), as store_run_claim does:
	 * RETRYING runs hold their slot, and a RETRYING run (this one, say)
	 * waits only for running ones. */
	int limit = 1;
	int64_t active = 0;
	unsigned running = RUN_STATE_BIT(RUN_RUNNING) | RUN_STATE_BIT(RUN_CANCELLING);
	struct store_run_filter f = { .flow = r->flow,
		.states = st == RUN_RETRYING ? running : running | RUN_STATE_BIT(RUN_RETRYING) };
	int rc = store_flow_limit_get(sl->store, r->flow, &limit, e);
	if (rc >= 0)
		rc = store_run_count(sl->store, &f, &active, e);
	int in_the_way = 0;
	if (rc >= 0 && st != RUN_RETRYING)
		in_the_way = claim_run_in_the_way(sl, r, limit, out, e);
	store_run_free(r);
	if (rc < 0 || in_the_way < 0)
		return -1;
	if (*out)
		return 1;
	if (in_the_way || (limit > 0 && active >= limit))
		return 0;
	struct err ce;
	if (store_run_claim_id(sl->store, eng->opt.only_run, eng->worker_id, out, &ce) < 0) {
		if (ce.code == ERR_CONFLICT)
			return 0;         /* it moved meanwhile: look again */
		*e = ce;
		return -1;
	}
	return 1;
}

static int claim_only_run(struct slot *sl, struct store_run **out, struct err *e)
{
	struct engine *eng = sl->eng;
	*out = NULL;
	pthread_mutex_lock(&eng->lock);
	bool busy = eng->only_claiming || eng->active;
	if (!busy)
		eng->only_claiming = true;
	pthread_mutex_unlock(&eng->lock);
	if (busy)
		return 0;
	int rc = claim_only_run_locked(sl, out, e);
	pthread_mutex_lock(&eng->lock);
	eng->only_claiming = false;
	pthread_mutex_unlock(&eng->lock);
	return rc;
}

/* While events wake the engine's idle threads, one of them (the due
 * watcher) keeps the safety poll and wakes when the next retry or
 * scheduled run falls due (no event announces a time coming); the others
 * sleep until an event, so an idle engine asks the store once a poll, not
 * once a thread.  The watcher gives the role up when it takes work. */
#define IDLE_NOT_WATCHING (10 * ENGINE_SAFETY_POLL)

static bool take_due_watch(struct slot *sl)
{
	struct engine *eng = sl->eng;
	pthread_mutex_lock(&eng->lock);
	if (!eng->due_watcher)
		eng->due_watcher = sl;
	bool mine = eng->due_watcher == sl;
	pthread_mutex_unlock(&eng->lock);
	return mine;
}

/* `sl` found work: another idle thread takes the watch meanwhile. */
static void leave_due_watch(struct slot *sl)
{
	struct engine *eng = sl->eng;
	pthread_mutex_lock(&eng->lock);
	if (eng->due_watcher == sl) {
		eng->due_watcher = NULL;
		eng->work_seq++;
		pthread_cond_signal(&eng->work_cond);
	}
	pthread_mutex_unlock(&eng->lock);
}

/* One round of work on this slot: 1 did something, 0 nothing, -1 error. */
static int work_round(struct slot *sl, struct err *e)
{
	struct engine *eng = sl->eng;
	struct job *j = engine_job_take(eng, NULL);
	if (j && j->kind != JOB_STEP && atomic_load(&eng->stopping)) {
		engine_job_drop(eng, sl->store, j);
		return 1;
	}
	if (j) {
		leave_due_watch(sl);
		return engine_job_run(sl, j);
	}
	if (atomic_load(&eng->stopping))
		return 0;
	struct store_run *run = NULL;
	int rc;
	set_busy(sl, true);
	if (eng->opt.only_run)
		rc = claim_only_run(sl, &run, e);
	else
		rc = store_run_claim_pools(sl->store, eng->worker_id, NULL, eng->opt.pools,
					   eng->opt.npools, &run, e);
	if (rc == 1 && run) {
		leave_due_watch(sl);
		engine_exec_run(sl, run);
		store_run_free(run);
	}
	set_busy(sl, false);
	return rc < 0 ? -1 : rc;
}

/* How long an idle worker thread may sleep: without events, the fast
 * poll; with them, the watcher until the safety poll or the next due
 * time, whichever comes first, and the others much longer. */
static usec_t idle_wait_until_due(struct slot *sl)
{
	struct engine *eng = sl->eng;
	usec_t wait = engine_idle_wait(eng, eng->opt.poll);
	if (wait <= eng->opt.poll || eng->opt.only_run)
		return wait;
	if (!take_due_watch(sl))
		return IDLE_NOT_WATCHING;
	usec_t at = 0;
	struct err e;
	err_clear(&e);
	if (store_run_next_due(sl->store, eng->opt.pools, eng->opt.npools, &at, &e) < 0)
		return eng->opt.poll;
	if (at <= 0)
		return wait;
	usec_t now = clock_now_us();
	usec_t until = at > now ? at - now : 0;
	return until < eng->opt.poll ? eng->opt.poll : until < wait ? until : wait;
}

void *engine_worker_main(void *arg)
{
	struct slot *sl = arg;
	struct engine *eng = sl->eng;
	unsigned failures = 0;
	while (!atomic_load(&eng->aborting)) {
		struct err e;
		err_clear(&e);
		/* A wake that comes while this round claims (an event for a run
		 * queued meanwhile) must not be slept through. */
		pthread_mutex_lock(&eng->lock);
		unsigned seq = eng->work_seq;
		pthread_mutex_unlock(&eng->lock);
		int rc = work_round(sl, &e);
		if (rc < 0) {
			/* The store is unreachable or busy: back off, bounded.  A
			 * lost store was reported already, once for all threads. */
			if (e.code == ERR_IO)
				engine_fault(eng, &e, "claiming a run");
			if (failures++ % 50 == 0 && !store_lost(sl->store))
				log_warn("worker %s: %s", eng->worker_id, err_text(&e));
			engine_sleep(eng, eng->opt.poll * (failures < 10 ? failures : 10));
			continue;
		}
		failures = 0;
		if (rc == 1)
			continue;
		pthread_mutex_lock(&eng->lock);
		bool stop = atomic_load(&eng->stopping) && !eng->jobs_head;
		bool done = eng->opt.only_run && eng->only_run_done;
		if (!stop && !done && !eng->jobs_head && eng->work_seq == seq) {
			pthread_mutex_unlock(&eng->lock);
			usec_t wait = idle_wait_until_due(sl);
			pthread_mutex_lock(&eng->lock);
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			usec_t ns = ts.tv_nsec + wait * 1000;
			ts.tv_sec += ns / 1000000000;
			ts.tv_nsec = ns % 1000000000;
			if (eng->work_seq == seq)
				pthread_cond_timedwait(&eng->work_cond, &eng->lock, &ts);
		}
		pthread_mutex_unlock(&eng->lock);
		if (stop || done)
			break;
	}
	return NULL;
}

int engine_work_once(struct engine *eng, struct err *e)
{
	if (!eng->manual) {
		eng->manual = engine_slot_new(eng, -1, e);
		if (!eng->manual)
			return -1;
		pthread_mutex_lock(&eng->lock);
		eng->slots = xrealloc(eng->slots, (eng->nslots + 1) * sizeof *eng->slots);
		eng->slots[eng->nslots++] = eng->manual;
		pthread_mutex_unlock(&eng->lock);
	}
	return work_round(eng->manual, e);
}

/*
 * sched.c - the scheduler: operator requests, tasks and pipe polling.
 *
 * Every engine's scheduler thread claims operator requests.  Tasks and
 * pipes are driven by one engine at a time: the holder of the store lease
 * "scheduler" (renewed every few seconds; when its holder dies the lease
 * lapses and another engine's scheduler takes over).
 *
 * Tasks: the next tick of each started task is kept in memory.  On taking
 * the lease, the ticks that passed since a task's last recorded tick
 * while no scheduler ran are caught up as its `catchup` says: the latest
 * fires (the default), none does, or every one does, oldest first (at
 * most PROJECT_CATCHUP_MAX, the newest), each with its own tick time; the
 * ticks not fired are recorded MISSED with the reason.  A tick while the
 * task's previous run is still going is recorded SKIPPED (unless allow_overlap); a `when`
 * condition is evaluated on the scheduler's own data connections and its
 * result recorded; a flow action becomes a run (trigger task) whose
 * outcome is reconciled into the history when it finishes; a SQL action
 * runs on a worker.  After max_failures consecutive failures the task is
 * FAILED_AND_AUTO_SUSPENDED and a notification queued.  A successful run
 * fires the tasks that name this one in `after`.
 *
 * The lease holder also applies the project's retention (retention.c), a
 * few short transactions per tick.
 */
#include "engine/engine_int.h"
#include "notify/notify.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define LEASE_NAME   "scheduler"
#define LEASE_TTL    (15 * USEC_PER_SEC)
#define LEASE_RENEW  (5 * USEC_PER_SEC)
/* While store events wake the engines: renewing is most of what an idle
 * leader writes, so the lease is held longer (another engine takes over
 * within a minute of the leader's end, not 15 s). */
#define LEASE_TTL_EVENTS   (45 * USEC_PER_SEC)
#define LEASE_RENEW_EVENTS (15 * USEC_PER_SEC)
/* With events, SCHEDULED runs nobody took are looked for this often. */
#define LATE_CHECK        (10 * USEC_PER_SEC)
#define LATE_CHECK_EVENTS (30 * USEC_PER_SEC)
#define TICK_MAX     (250 * USEC_PER_MSEC)
#define MISSED_SCAN  100000
/* MISSED ticks recorded one by one; older ones share one entry. */
#define MISSED_ROWS  100

struct task_rt {
	const struct project_task *t;
	usec_t next_due;           /* 0 = no scheduled tick */
	bool started;
	bool known;                /* state read at least once */
	usec_t resumed_at;         /* failures count from here */
	bool executing;            /* a run or SQL job of this task is going */
	int  catchup_left;         /* missed ticks still to fire, from next_due on */
	int  sql_outcome;          /* 1 ok, 2 failed: reported by a worker */
};

struct sched {
	pthread_mutex_t lock;      /* sql_outcome, pipe_busy (workers write) */
	struct store *store;
	struct step_conns *conns;
	struct task_rt *tasks;
	size_t ntasks;
	usec_t *pipe_next;
	bool *pipe_busy;
	size_t npipes;
	bool leader, initialised;
	usec_t lease_until;        /* monotonic: renew before this */
	usec_t next_late_check;
	usec_t next_requests;      /* the safety look at requests, with events */
	usec_t next_changes;       /* the safety look at the change counters */
	usec_t next_mirror;        /* when to copy stream offsets into the store */
	struct store_watch watch;
	struct prune_pass prune;   /* retention, while a pass is going */
	usec_t next_prune;         /* when the next pass starts */
};

struct sched *engine_sched_new(void)
{
	struct sched *sc = xcalloc(1, sizeof *sc);
	pthread_mutex_init(&sc->lock, NULL);
	store_watch_init(&sc->watch);
	return sc;
}

void engine_sched_free(struct sched *sc)
{
	if (!sc)
		return;
	engine_prune_pass_end(&sc->prune);
	step_conns_free(sc->conns);
	store_close(sc->store);
	free(sc->tasks);
	free(sc->pipe_next);
	free(sc->pipe_busy);
	pthread_mutex_destroy(&sc->lock);
	free(sc);
}

static struct task_rt *task_rt(struct sched *sc, const char *name)
{
	for (size_t i = 0; i < sc->ntasks; i++)
		if (str_eq(sc->tasks[i].t->name, name))
			return &sc->tasks[i];
	return NULL;
}

static int sched_open(struct engine *eng, struct sched *sc, struct err *e)
{
	if (sc->store)
		return 0;
	sc->store = store_open(eng->store_url, &eng->opt.store_opt, e);
	if (!sc->store)
		return -1;
	sc->conns = step_conns_new(eng->project, eng->opt.store_opt.read_only);
	const struct project *p = eng->project;
	sc->ntasks = p->ntasks;
	sc->tasks = xcalloc(p->ntasks ? p->ntasks : 1, sizeof *sc->tasks);
	for (size_t i = 0; i < p->ntasks; i++)
		sc->tasks[i].t = &p->tasks[i];
	sc->npipes = p->npipes;
	sc->pipe_next = xcalloc(p->npipes ? p->npipes : 1, sizeof *sc->pipe_next);
	sc->pipe_busy = xcalloc(p->npipes ? p->npipes : 1, sizeof *sc->pipe_busy);
	return 0;
}

static void history_event(struct engine *eng, const struct store_task_entry *te)
{
	engine_event_simple(eng, ENGINE_EV_TASK, te->task, te->state, te->run_id, te->error);
}

static void task_log(const char *task, enum log_level lvl, int64_t run_id,
		     const char *fmt, ...) PRINTF_LIKE(4, 5);
static void task_log(const char *task, enum log_level lvl, int64_t run_id,
		     const char *fmt, ...)
{
	char object[160];
	snprintf(object, sizeof object, "task:%s", task);
	va_list ap;
	va_start(ap, fmt);
	char *msg = xvasprintf(fmt, ap);
	va_end(ap);
	log_emit(lvl, run_id, NULL, object, NULL, 0, "%s", msg);
	free(msg);
}

/* ---- conditions --------------------------------------------------------------------- */
static void maybe_auto_suspend(struct engine *eng, struct sched *sc, struct task_rt *rt);

struct cond_ctx {
	struct engine *eng;
	struct sched *sc;
	struct buf seen;           /* "stream_rows(s) = 812, ..." */
};

static int cond_stream(struct cond_ctx *cc, const char *func,
		       const struct project_stream *st, double *out, struct err *e)
{
	if (strcmp(func, "stream_has_data") == 0) {
		bool has = false;
		if (stream_has_data(st, cc->sc->conns, cc->sc->store, &has, e) < 0)
			return -1;
		*out = has ? 1 : 0;
	} else if (strcmp(func, "stream_rows") == 0) {
		int64_t rows = 0;
		if (stream_pending_rows(st, cc->sc->conns, cc->sc->store, &rows, e) < 0)
			return -1;
		*out = (double)rows;
	}
	return 0;
}

/* A stream over a table nothing has created yet (the first load has not
 * run) has no data: that is not the condition failing.  Asked only after
 * the stream's look failed, and said in the condition's text, so that a
 * table name mistyped in the project shows in the task's history. */
static bool stream_table_missing(struct cond_ctx *cc, const struct project_stream *st)
{
	struct err e;
	struct db *db = step_conns_get(cc->sc->conns, st->connection, &e);
	return db && db_table_exists(db, st->table, &e) == 0;
}

static int cond_call(const char *func, const char *arg, double *out, void *vctx,
		     struct err *e)
{
	struct cond_ctx *cc = vctx;
	const struct project_stream *st = project_stream(cc->eng->project, arg);
	if (!st)
		return err_set(e, ERR_NOTFOUND, "%s(%s): no stream named %s", func, arg, arg);
	if (strcmp(func, "stream_has_data") == 0 || strcmp(func, "stream_rows") == 0) {
		int rc = cond_stream(cc, func, st, out, e);
		if (rc < 0 && !stream_table_missing(cc, st))
			return -1;
		if (rc < 0) {
			*out = 0;
			buf_printf(&cc->seen, "%s%s(%s) = 0 (table %s does not exist yet)",
				   cc->seen.len ? ", " : "", func, arg, st->table);
			err_clear(e);
			return 0;
		}
	} else {
		BUG("project/cond.c let through a function the engine does not know");
	}
	buf_printf(&cc->seen, "%s%s(%s) = %lld", cc->seen.len ? ", " : "", func, arg,
		   (long long)*out);
	return 0;
}


/* 1 holds, 0 does not, -1 error; *text = what was seen (caller frees). */
static int eval_when(struct engine *eng, struct sched *sc, const struct project_task *t,
		     char **text, struct err *e)
{
	*text = NULL;
	if (!t->when)
		return 1;
	struct cond_ctx cc = { .eng = eng, .sc = sc, .seen = BUF_INIT };
	double v = 0;
	int rc = cond_eval(t->when, cond_call, &cc, &v, e);
	if (rc < 0) {
		*text = xasprintf("%s: error", t->when_text ? t->when_text : "when");
		buf_free(&cc.seen);
		return -1;
	}
	*text = xasprintf("%s%s%s%s: %s", t->when_text ? t->when_text : "when",
			  cc.seen.len ? " [" : "", buf_str(&cc.seen),
			  cc.seen.len ? "]" : "", v != 0 ? "true" : "false");
	buf_free(&cc.seen);
	return v != 0;
}

/* ---- firing ---------------------------------------------------------------------------- */
/* The tick's time as the task's tick_param wants it: a date is the day
 * the tick falls on in the schedule's time zone (UTC without one). */
static char *tick_text(const struct project *p, const struct project_task *t, usec_t tick)
{
	const struct project_flow *f = project_flow(p, t->flow);
	enum param_type type = PARAM_TIMESTAMP;
	for (size_t i = 0; f && i < f->nparams; i++)
		if (str_eq(f->params[i].name, t->tick_param))
			type = f->params[i].type;
	char iso[32];
	if (type != PARAM_DATE) {
		time_format_iso(tick, iso);
		return xstrdup(iso);
	}
	long off = 0;
	if (t->schedule.timezone && !tz_offset(t->schedule.timezone, tick, &off))
		off = 0;
	time_format_iso(tick + (usec_t)off * USEC_PER_SEC, iso);
	return xstrndup(iso, 10);
}

/* The task's parameters, and its tick_param set to the tick (caller frees
 * with engine_params_free). */
static struct project_kv *tick_params(const struct project *p, const struct project_task *t,
				      usec_t tick, size_t *n)
{
	struct project_kv *kv = xcalloc(t->nparams + 1, sizeof *kv);
	for (size_t i = 0; i < t->nparams; i++) {
		kv[i].key = xstrdup(t->params[i].key);
		kv[i].value = t->params[i].value ? xstrdup(t->params[i].value) : NULL;
	}
	*n = t->nparams;
	if (t->tick_param) {
		kv[*n].key = xstrdup(t->tick_param);
		kv[*n].value = tick_text(p, t, tick);
		(*n)++;
	}
	return kv;
}

static void add_history(struct engine *eng, struct sched *sc, struct store_task_entry *te)
{
	struct err e;
	if (store_task_add(sc->store, te, &te->id, &e) < 0 && !store_lost(sc->store))
		log_warn("task %s: cannot record its history: %s", te->task, err_text(&e));
	history_event(eng, te);
}

/* Fire one task now for tick `scheduled`; `why` goes into the run's
 * reason.  `manual`: an operator's execute (no overlap check).  Returns
 * the run id created, or 0; -1 when the store was out of reach before
 * anything was fired. */
static int64_t fire_task(struct engine *eng, struct sched *sc, struct task_rt *rt,
			 usec_t scheduled, const char *why, bool manual,
			 struct err *err_out)
{
	const struct project_task *t = rt->t;
	usec_t now = clock_now_us();
	struct store_task_entry te = { .task = t->name, .scheduled = scheduled,
				       .started = now };
	if (!manual && rt->executing && !t->allow_overlap) {
		te.state = TASK_SKIPPED;
		te.completed = now;
		te.error = "the previous run is still going (no overlap)";
		add_history(eng, sc, &te);
		task_log(t->name, LOG_WARN, 0, "tick skipped: %s", te.error);
		return 0;
	}
	struct err e;
	err_clear(&e);
	char *cond_text = NULL;
	int holds = eval_when(eng, sc, t, &cond_text, &e);
	te.condition = cond_text;
	if (holds <= 0) {
		te.state = holds < 0 ? TASK_FAILED : TASK_SKIPPED;
		te.completed = now;
		te.error = holds < 0 ? (char *)err_text(&e) : NULL;
		add_history(eng, sc, &te);
		task_log(t->name, holds < 0 ? LOG_ERROR : LOG_INFO, 0, "condition %s: %s",
			 holds < 0 ? "failed" : "false",
			 holds < 0 ? err_text(&e) : cond_text);
		if (holds < 0 && err_out)
			*err_out = e;
		free(cond_text);
		/* A condition that cannot be evaluated is a failure of the task,
		 * and counts toward max_failures like a failed run. */
		if (holds < 0)
			maybe_auto_suspend(eng, sc, rt);
		return 0;
	}
	int64_t run_id = 0;
	if (t->flow) {
		char *reason = xasprintf("task %s%s%s", t->name, why ? ": " : "", why ? why : "");
		size_t nkv = 0;
		struct project_kv *kv = tick_params(eng->project, t, scheduled, &nkv);
		struct engine_run_request req = {
			.flow = t->flow, .params = kv, .nparams = nkv,
			.trigger = TRIGGER_TASK, .trigger_detail = t->name, .reason = reason,
			.pool = t->pool,
		};
		int rc = engine_submit(sc->store, eng->project, &req, &run_id, &e);
		free(reason);
		engine_params_free(kv, nkv);
		if (rc < 0 && store_lost(sc->store)) {
			/* Nothing was fired: the tick fires when the store is back. */
			if (err_out)
				*err_out = e;
			free(cond_text);
			return -1;
		}
		if (rc < 0) {
			te.state = e.code == ERR_CONFLICT ? TASK_SKIPPED : TASK_FAILED;
			te.completed = now;
			te.error = (char *)err_text(&e);
			te.run_id = run_id;
			add_history(eng, sc, &te);
			task_log(t->name, LOG_WARN, run_id, "not run: %s", err_text(&e));
			if (e.code == ERR_IO)     /* the store cannot record runs */
				engine_fault(eng, &e, "task %s: cannot record its run", t->name);
			if (err_out)
				*err_out = e;
			free(cond_text);
			return 0;
		}
		te.state = TASK_EXECUTING;
		te.run_id = run_id;
		add_history(eng, sc, &te);
		rt->executing = true;
		task_log(t->name, LOG_INFO, run_id, "fired: run of flow %s queued", t->flow);
		engine_wake(eng);
	} else {
		te.state = TASK_EXECUTING;
		add_history(eng, sc, &te);
		rt->executing = true;
		struct job *j = xcalloc(1, sizeof *j);
		j->kind = JOB_TASK_SQL;
		j->name = xstrdup(t->name);
		j->history_id = te.id;
		j->scheduled = scheduled;
		j->started = te.started;
		j->condition = cond_text ? xstrdup(cond_text) : NULL;
		engine_job_push(eng, j);
		task_log(t->name, LOG_INFO, 0, "fired: SQL file queued");
	}
	free(cond_text);
	return run_id;
}

void engine_sched_task_sql_done(struct engine *eng, const char *task, bool ok)
{
	struct sched *sc = eng->sched;
	pthread_mutex_lock(&sc->lock);
	struct task_rt *rt = sc->tasks ? task_rt(sc, task) : NULL;
	if (rt)
		rt->sql_outcome = ok ? 1 : 2;
	pthread_mutex_unlock(&sc->lock);
	engine_wake(eng);
}

/* ---- outcomes -------------------------------------------------------------------------- */
static void fire_successors(struct engine *eng, struct sched *sc, const char *task)
{
	for (size_t i = 0; i < sc->ntasks; i++) {
		struct task_rt *rt = &sc->tasks[i];
		if (!rt->started)
			continue;
		for (size_t k = 0; k < rt->t->nafter; k++) {
			if (str_eq(rt->t->after[k], task)) {
				char *why = xasprintf("after %s succeeded", task);
				fire_task(eng, sc, rt, clock_now_us(), why, false, NULL);
				free(why);
			}
		}
	}
}

static void maybe_auto_suspend(struct engine *eng, struct sched *sc, struct task_rt *rt)
{
	const struct project_task *t = rt->t;
	if (t->max_failures <= 0)
		return;
	int failures = 0;
	struct err e;
	if (store_task_failures(sc->store, t->name, rt->resumed_at, &failures, &e) < 0) {
		log_warn("task %s: %s", t->name, err_text(&e));
		return;
	}
	if (failures < t->max_failures)
		return;
	char *object = xasprintf("task:%s", t->name);
	char *reason = xasprintf("%d consecutive failures", failures);
	if (store_object_set(sc->store, object, TASK_STATE_AUTO_SUSPENDED, reason,
			     "engine", &e) < 0) {
		log_warn("task %s: cannot suspend it: %s", t->name, err_text(&e));
	} else {
		rt->started = false;
		rt->next_due = 0;
		task_log(t->name, LOG_ERROR, 0, "FAILED_AND_AUTO_SUSPENDED after %s", reason);
		char *text = xasprintf("Task %s was suspended after %d consecutive failures "
				       "(FAILED_AND_AUTO_SUSPENDED); resume it with "
				       "'sluice task resume %s'", t->name, failures, t->name);
		struct notify_msg m = {
			.event = NOTIFY_TASK_SUSPENDED, .object = object,
			.state = "FAILED_AND_AUTO_SUSPENDED", .error = reason, .text = text,
		};
		if (notify_raise(sc->store, eng->project, &m, &e) < 0)
			log_warn("task %s: cannot queue the notification: %s", t->name,
				 err_text(&e));
		free(text);
	}
	free(reason);
	free(object);
}

/* A task that succeeded: channels told it was suspended hear it runs again. */
static void task_recovered(struct engine *eng, struct sched *sc, const char *task)
{
	if (!eng->project->nchannels)
		return;
	char *object = xasprintf("task:%s", task);
	char *text = xasprintf("task %s is healthy again: it succeeded", task);
	struct err e;
	if (notify_recovered(sc->store, eng->project, object, 0, text, &e) < 0)
		log_warn("task %s: cannot queue the recovery notification: %s", task,
			 err_text(&e));
	free(text);
	free(object);
}

static enum task_state task_outcome(enum run_state st)
{
	switch (st) {
	case RUN_COMPLETED: case RUN_CACHED: return TASK_SUCCEEDED;
	case RUN_CANCELLED: return TASK_CANCELLED;
	default: return TASK_FAILED;
	}
}

/* Bring task history up to date with the runs it started. */
static void reconcile_task(struct engine *eng, struct sched *sc, struct task_rt *rt)
{
	struct vec hist = VEC_INIT;
	if (store_task_list(sc->store, rt->t->name, PROJECT_CATCHUP_MAX + 10, 0, &hist,
			    NULL) < 0)
		return;
	bool executing = false;
	for (size_t i = hist.len; i-- > 0;) {
		struct store_task_entry *te = hist.items[i];
		if (te->state != TASK_EXECUTING)
			continue;
		if (!te->run_id) {
			executing = true;      /* a SQL job: its worker records it */
			continue;
		}
		struct store_run *r = store_run_get(sc->store, te->run_id, NULL);
		if (r && !run_state_is_terminal(r->state)) {
			executing = true;
			store_run_free(r);
			continue;
		}
		te->state = r ? task_outcome(r->state) : TASK_FAILED;
		te->completed = r && r->ended ? r->ended : clock_now_us();
		free(te->error);
		te->error = r ? xstrdup(r->error) : xstrdup("its run is gone");
		if (te->state == TASK_SUCCEEDED) {
			free(te->error);
			te->error = NULL;
		}
		struct err e;
		if (store_task_update(sc->store, te, &e) < 0)
			log_warn("task %s: %s", te->task, err_text(&e));
		history_event(eng, te);
		task_log(te->task, te->state == TASK_SUCCEEDED ? LOG_INFO : LOG_WARN,
			 te->run_id, "run finished: %s", task_state_name(te->state));
		store_run_free(r);
		if (te->state == TASK_SUCCEEDED) {
			task_recovered(eng, sc, rt->t->name);
			fire_successors(eng, sc, rt->t->name);
		} else if (te->state == TASK_FAILED) {
			maybe_auto_suspend(eng, sc, rt);
		}
	}
	store_task_list_free(&hist);
	int outcome;
	pthread_mutex_lock(&sc->lock);
	outcome = rt->sql_outcome;
	rt->sql_outcome = 0;
	pthread_mutex_unlock(&sc->lock);
	if (outcome == 1) {
		task_recovered(eng, sc, rt->t->name);
		fire_successors(eng, sc, rt->t->name);
	} else if (outcome == 2)
		maybe_auto_suspend(eng, sc, rt);
	rt->executing = executing;
}

/* ---- task states and ticks --------------------------------------------------------------- */
/* How many ticks passed after `last` up to `now` (at most MISSED_SCAN). */
static int count_missed(const struct schedule *s, usec_t last, usec_t now)
{
	int n = 0;
	for (usec_t t = schedule_next(s, last); t && t <= now && n < MISSED_SCAN;
	     t = schedule_next(s, t))
		n++;
	return n;
}

static const char *catchup_name(enum task_catchup c)
{
	return c == CATCHUP_NONE ? "none" : c == CATCHUP_ALL ? "all" : "latest";
}

static void record_missed(struct engine *eng, struct sched *sc, const struct project_task *t,
			  usec_t tick, usec_t now, const char *why)
{
	struct store_task_entry te = { .task = t->name, .scheduled = tick, .completed = now,
				       .state = TASK_MISSED, .error = (char *)why };
	add_history(eng, sc, &te);
}

/* Taking over: the ticks after `last` up to `now` passed while no
 * scheduler ran.  Those the task's catchup does not fire are recorded
 * MISSED (the oldest beyond MISSED_ROWS in one entry); the first to fire
 * becomes next_due, and catchup_left says how many follow it. */
static void catch_up(struct engine *eng, struct sched *sc, struct task_rt *rt, usec_t last,
		     usec_t now)
{
	const struct project_task *t = rt->t;
	int n = count_missed(&t->schedule, last, now);
	int fire = t->catchup == CATCHUP_NONE ? 0 : t->catchup == CATCHUP_LATEST ? 1
		   : n < PROJECT_CATCHUP_MAX ? n : PROJECT_CATCHUP_MAX;
	if (fire > n)
		fire = n;
	char since[24];
	time_format_short(last, since);
	char *why;
	if (t->catchup == CATCHUP_ALL)
		why = xasprintf("no scheduler ran at its time (the last tick recorded was at "
				"%s UTC); catchup all fires the newest %d missed ticks at most",
				since, PROJECT_CATCHUP_MAX);
	else
		why = xasprintf("no scheduler ran at its time (the last tick recorded was at "
				"%s UTC); catchup %s fires %s", since, catchup_name(t->catchup),
				t->catchup == CATCHUP_NONE ? "no missed tick"
				: "only the newest missed tick");
	int first_row = n - fire > MISSED_ROWS ? n - fire - MISSED_ROWS + 1 : 0;
	usec_t tick = schedule_next(&t->schedule, last), first_old = tick;
	rt->next_due = 0;
	for (int i = 0; tick && i < n; i++, tick = schedule_next(&t->schedule, tick)) {
		if (i >= n - fire) {
			if (!rt->next_due)
				rt->next_due = tick;
		} else if (i == first_row - 1) {
			char from[24];
			time_format_short(first_old, from);
			char *many = xasprintf("%d ticks from %s UTC to this one missed: %s",
					       first_row, from, why);
			record_missed(eng, sc, t, tick, now, many);
			free(many);
		} else if (i >= first_row) {
			record_missed(eng, sc, t, tick, now, why);
		}
	}
	if (n > fire)
		task_log(t->name, LOG_WARN, 0, "%d tick%s missed while no scheduler ran; "
			 "catchup %s fires %d", n, n == 1 ? "" : "s", catchup_name(t->catchup),
			 fire);
	rt->catchup_left = fire;
	if (!rt->next_due)
		rt->next_due = schedule_next(&t->schedule, now);
	free(why);
}

/* The newest tick recorded for a task (0 = never ran). */
static usec_t last_tick(struct sched *sc, const char *task)
{
	struct vec h = VEC_INIT;
	usec_t t = 0;
	if (store_task_list(sc->store, task, 1, 0, &h, NULL) == 0 && h.len) {
		const struct store_task_entry *x = h.items[0];
		t = x->scheduled ? x->scheduled : x->started;
	}
	store_task_list_free(&h);
	return t;
}

static void refresh_states(struct engine *eng, struct sched *sc, usec_t now)
{
	struct vec objs = VEC_INIT;
	if (store_object_list(sc->store, "task:", &objs, NULL) < 0)
		return;
	for (size_t i = 0; i < sc->ntasks; i++) {
		struct task_rt *rt = &sc->tasks[i];
		const struct store_object_state *o = NULL;
		for (size_t k = 0; k < objs.len; k++) {
			const struct store_object_state *x = objs.items[k];
			if (str_eq(x->object + 5, rt->t->name))
				o = x;
		}
		bool started = o ? str_eq(o->state, TASK_STATE_STARTED)
				 : !rt->t->start_suspended;
		usec_t since = o ? o->changed : 0;
		if (!rt->known && started) {
			/* Taking over: ticks missed while no scheduler ran (and
			 * the task was not suspended) fire once. */
			usec_t from = last_tick(sc, rt->t->name);
			if (from && from < since)
				from = since;
			rt->catchup_left = 0;
			if (from)
				catch_up(eng, sc, rt, from, now);
			else
				rt->next_due = schedule_next(&rt->t->schedule, now);
		} else if (rt->known && started && !rt->started) {
			rt->next_due = schedule_next(&rt->t->schedule, now);   /* resumed */
		}
		if (!started) {
			rt->next_due = 0;
			rt->catchup_left = 0;
		}
		rt->resumed_at = since;
		rt->started = started;
		rt->known = true;
	}
	store_object_list_free(&objs);
}

/* Fire the missed tick `due` and move on to the next one to catch up (or
 * back to the schedule).  Under catchup all each tick fires whether or
 * not the previous run is still going: the runs, one per period, queue
 * up behind one another by the flow's concurrency.  -1: the store is out
 * of reach, the tick fires when it is back. */
static int catch_up_tick(struct engine *eng, struct sched *sc, struct task_rt *rt,
			 usec_t due, usec_t now)
{
	char when[24];
	time_format_short(due, when);
	char *why = xasprintf("catch-up of the tick at %s UTC, missed while no scheduler ran",
			      when);
	int64_t rc = fire_task(eng, sc, rt, due, why, rt->t->catchup == CATCHUP_ALL, NULL);
	free(why);
	if (rc < 0)
		return -1;
	if (--rt->catchup_left > 0)
		rt->next_due = schedule_next(&rt->t->schedule, due);
	if (rt->catchup_left <= 0 || !rt->next_due || rt->next_due > now) {
		rt->catchup_left = 0;
		rt->next_due = schedule_next(&rt->t->schedule, now);
	}
	return 0;
}

static void tick_tasks(struct engine *eng, struct sched *sc, usec_t now)
{
	for (size_t i = 0; i < sc->ntasks; i++) {
		struct task_rt *rt = &sc->tasks[i];
		if (!rt->started || !rt->next_due || now < rt->next_due)
			continue;
		usec_t due = rt->next_due;
		if (rt->catchup_left > 0) {
			while (rt->catchup_left > 0 && rt->next_due <= now)
				if (catch_up_tick(eng, sc, rt, rt->next_due, now) < 0)
					return;
			continue;
		}
		rt->next_due = schedule_next(&rt->t->schedule, now);
		if (fire_task(eng, sc, rt, due, NULL, false, NULL) < 0) {
			rt->next_due = due;
			return;
		}
	}
}

/* ---- pipes ------------------------------------------------------------------------------- */
void engine_sched_pipe_done(struct engine *eng, const char *pipe)
{
	struct sched *sc = eng->sched;
	pthread_mutex_lock(&sc->lock);
	for (size_t i = 0; i < sc->npipes; i++)
		if (str_eq(eng->project->pipes[i].name, pipe))
			sc->pipe_busy[i] = false;
	pthread_mutex_unlock(&sc->lock);
}

static void queue_pipe(struct engine *eng, const char *name, bool force, const char *file,
		       int64_t request_id)
{
	struct job *j = xcalloc(1, sizeof *j);
	j->kind = JOB_PIPE;
	j->name = xstrdup(name);
	j->force = force;
	j->file = xstrdup(file);
	j->request_id = request_id;
	engine_job_push(eng, j);
}

static void tick_pipes(struct engine *eng, struct sched *sc, usec_t now)
{
	const struct project *p = eng->project;
	for (size_t i = 0; i < sc->npipes; i++) {
		if (sc->pipe_next[i] > now)
			continue;
		const struct project_pipe *pp = &p->pipes[i];
		usec_t poll = pp->poll ? pp->poll : 30 * USEC_PER_SEC;
		sc->pipe_next[i] = now + poll;
		char *object = xasprintf("pipe:%s", pp->name);
		struct store_object_state *o = NULL;
		/* PAUSED, or STOPPED_ON_ERROR: nothing to poll until resumed */
		bool paused = store_object_get(sc->store, object, &o, NULL) == 1 &&
			      !str_eq(o->state, "RUNNING");
		store_object_free(o);
		free(object);
		pthread_mutex_lock(&sc->lock);
		bool busy = sc->pipe_busy[i];
		if (!paused && !busy)
			sc->pipe_busy[i] = true;
		pthread_mutex_unlock(&sc->lock);
		if (!paused && !busy)
			queue_pipe(eng, pp->name, false, NULL, 0);
	}
}

/* ---- requests ------------------------------------------------------------------------------ */
static void request_done(struct sched *sc, struct store_request *rq, bool ok,
			 const char *result, const char *error)
{
	struct err e;
	if (store_request_complete(sc->store, rq->id, ok, result, error, &e) < 0)
		log_warn("request %lld: %s", (long long)rq->id, err_text(&e));
}

static void handle_request(struct engine *eng, struct sched *sc, struct store_request *rq)
{
	struct err e;
	err_clear(&e);
	log_emit(LOG_INFO, 0, NULL, rq->target, NULL, 0, "request %lld: %s %s by %s",
		 (long long)rq->id, rq->kind, rq->target,
		 rq->requested_by ? rq->requested_by : "?");
	if (str_eq(rq->kind, ENGINE_REQ_CANCEL) && str_starts_with(rq->target, "run:")) {
		int64_t id = 0;
		if (!str_to_i64(rq->target + 4, &id))
			request_done(sc, rq, false, NULL, "bad run id");
		else if (engine_cancel(sc->store, id, rq->requested_by, &e) < 0)
			request_done(sc, rq, false, NULL, err_text(&e));
		else
			request_done(sc, rq, true, "cancel requested", NULL);
	} else if (str_eq(rq->kind, ENGINE_REQ_REFRESH) && str_starts_with(rq->target, "pipe:")) {
		const char *name = rq->target + 5;
		if (!project_pipe(eng->project, name)) {
			request_done(sc, rq, false, NULL, "no such pipe in the project");
			return;
		}
		cJSON *args = rq->args ? cJSON_Parse(rq->args) : NULL;
		const cJSON *force = cJSON_GetObjectItemCaseSensitive(args, "force");
		const cJSON *file = cJSON_GetObjectItemCaseSensitive(args, "file");
		queue_pipe(eng, name, cJSON_IsTrue(force),
			   cJSON_IsString(file) ? file->valuestring : NULL, rq->id);
		cJSON_Delete(args);
	} else if (str_eq(rq->kind, ENGINE_REQ_EXECUTE) && str_starts_with(rq->target, "task:")) {
		struct task_rt *rt = task_rt(sc, rq->target + 5);
		if (!rt) {
			request_done(sc, rq, false, NULL, "no such task in the project");
			return;
		}
		char *why = xasprintf("executed by %s", rq->requested_by ? rq->requested_by : "?");
		int64_t run = fire_task(eng, sc, rt, clock_now_us(), why, true, &e);
		free(why);
		if (e.code != ERR_OK) {
			request_done(sc, rq, false, NULL, err_text(&e));
		} else {
			char *res = run ? xasprintf("{\"run\":%lld}", (long long)run)
					: xstrdup("executed");
			request_done(sc, rq, true, res, NULL);
			free(res);
		}
	} else {
		request_done(sc, rq, false, NULL, "unknown request");
	}
}

/* -1 when the store is out of reach (e says why): the tick stops there. */
static int take_requests(struct engine *eng, struct sched *sc, struct err *e)
{
	for (int i = 0; i < 32 && !atomic_load(&eng->stopping); i++) {
		struct store_request *rq = NULL;
		int rc = store_request_claim(sc->store, eng->worker_id, &rq, e);
		if (rc < 0 && store_lost(sc->store))
			return -1;
		if (rc <= 0) {
			if (rc < 0)
				log_warn("requests: %s", err_text(e));
			return 0;
		}
		handle_request(eng, sc, rq);
		store_request_free(rq);
	}
	return 0;
}

/* Whoever moves a run SCHEDULED -> LATE says so (this scheduler, or the
 * claim that found it overdue): the move happens once, so the message is
 * queued once. */
void engine_notify_late(struct engine *eng, struct store *s, const struct store_run *r)
{
	char *object = xasprintf("flow:%s", r->flow);
	char when[24], after[32];
	time_format_short(r->scheduled, when);
	duration_format(r->late_at - r->scheduled, after, sizeof after);
	char *text = xasprintf("Run %lld of flow %s is LATE: scheduled for %s UTC, not "
			       "started %s after (is a worker running?)",
			       (long long)r->id, r->flow, when, after);
	struct notify_msg m = { .event = NOTIFY_LATE_RUN, .object = object, .run_id = r->id,
				.state = "LATE", .text = text };
	struct err e;
	if (notify_raise(s, eng->project, &m, &e) < 0)
		log_warn("run %lld: cannot queue the notification: %s", (long long)r->id,
			 err_text(&e));
	free(text);
	free(object);
}

/* SCHEDULED runs nobody took within their flow's late_after become LATE.
 * Returns when the next one falls late (0: none waits), so the scheduler
 * wakes then rather than at its next safety look. */
static usec_t mark_late(struct engine *eng, struct sched *sc, usec_t now)
{
	struct vec runs = VEC_INIT;
	usec_t next = 0;
	if (store_runs_overdue(sc->store, now, 100, &runs, &next, NULL) < 0)
		return 0;
	for (size_t i = 0; i < runs.len; i++) {
		struct store_run *r = runs.items[i];
		char after[32];
		duration_format(r->late_at - r->scheduled, after, sizeof after);
		char *why = xasprintf("not started %s after its scheduled time (late_after)",
				      after);
		/* A claim may win the race: then the run is RUNNING, not late. */
		if (engine_transition(eng, sc->store, r, RUN_LATE, why, NULL, 0, NULL) == 0)
			engine_notify_late(eng, sc->store, r);
		free(why);
	}
	if (runs.len == 100)
		next = now;          /* more to mark */
	store_run_list_free(&runs);
	return next;
}

/* ---- the tick ------------------------------------------------------------------------------ */
/* Renewal is timed on clock_now_us, like the lease's expiry in the store,
 * so tests that move the clock see leases lapse and change hands. */
static int hold_lease(struct engine *eng, struct sched *sc, usec_t now, struct err *e)
{
	if (now < sc->lease_until)
		return sc->leader ? 1 : 0;
	char *holder = NULL;
	bool events = atomic_load(&eng->listening);
	int rc = store_lease_acquire(sc->store, LEASE_NAME, eng->worker_id,
				     events ? LEASE_TTL_EVENTS : LEASE_TTL,
				     &holder, e);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		if (!sc->leader)
			log_emit(LOG_INFO, 0, NULL, "engine", NULL, 0,
				 "worker %s is the scheduler now", eng->worker_id);
		sc->leader = true;
	} else {
		if (sc->leader)
			log_warn("worker %s lost the scheduler lease to %s",
				 eng->worker_id, holder ? holder : "?");
		sc->leader = false;
		sc->initialised = false;
		engine_prune_pass_end(&sc->prune);
		for (size_t i = 0; i < sc->ntasks; i++)
			sc->tasks[i].known = false;
	}
	sc->lease_until = now + (events ? LEASE_RENEW_EVENTS : LEASE_RENEW);
	free(holder);
	return rc;
}

/* Consoles never open data connections, so what they show of a stream
 * (offset, pending rows) is the copy the scheduler keeps in the store. */
#define MIRROR_EVERY (5 * USEC_PER_SEC)

static void mirror_streams(struct engine *eng, struct sched *sc)
{
	struct err e;
	err_clear(&e);
	if (stream_mirror_all(eng->project, sc->conns, sc->store, &e) < 0)
		log_emit(LOG_DEBUG, 0, NULL, "engine", NULL, 0,
			 "cannot copy stream offsets into the store: %s", err_text(&e));
}

/* What changed since the last tick: while events arrive they say so, and
 * the store's change counters are read only on the safety look. */
static unsigned changes_since_tick(struct engine *eng, struct sched *sc, usec_t now)
{
	const unsigned areas = STORE_AREA_BIT(STORE_AREA_OBJECTS) |
			       STORE_AREA_BIT(STORE_AREA_TASKS) |
			       STORE_AREA_BIT(STORE_AREA_RUNS);
	unsigned changed = engine_events_take(eng, areas);
	if (atomic_load(&eng->listening) && now < sc->next_changes)
		return changed;
	unsigned counted = ~0u;
	store_changed(sc->store, &sc->watch, &counted, NULL);
	sc->next_changes = now + ENGINE_SAFETY_POLL;
	return changed | counted;
}

int engine_scheduler_tick(struct engine *eng, usec_t now, struct err *e)
{
	struct sched *sc = eng->sched;
	if (sched_open(eng, sc, e) < 0)
		return -1;
	/* Requests (cancel, drain, execute ...) send events: without one,
	 * look only at the safety poll. */
	bool requests = engine_events_take(eng, STORE_AREA_BIT(STORE_AREA_REQUESTS)) ||
			!atomic_load(&eng->listening) || now >= sc->next_requests;
	if (requests) {
		if (take_requests(eng, sc, e) < 0)
			return -1;
		sc->next_requests = now + ENGINE_SAFETY_POLL;
	}
	int rc = hold_lease(eng, sc, now, e);
	if (rc <= 0)
		return rc;
	unsigned changed = ~0u;
	if (sc->initialised)
		changed = changes_since_tick(eng, sc, now);
	if (!sc->initialised || (changed & (STORE_AREA_BIT(STORE_AREA_OBJECTS) |
					     STORE_AREA_BIT(STORE_AREA_TASKS))))
		refresh_states(eng, sc, now);
	bool outcome = false;
	pthread_mutex_lock(&sc->lock);
	for (size_t i = 0; i < sc->ntasks; i++)
		outcome = outcome || sc->tasks[i].sql_outcome;
	pthread_mutex_unlock(&sc->lock);
	if (!sc->initialised || outcome ||
	    (changed & (STORE_AREA_BIT(STORE_AREA_RUNS) | STORE_AREA_BIT(STORE_AREA_TASKS))))
		for (size_t i = 0; i < sc->ntasks; i++)
			reconcile_task(eng, sc, &sc->tasks[i]);
	sc->initialised = true;
	if (!atomic_load(&eng->stopping)) {
		tick_tasks(eng, sc, now);
		tick_pipes(eng, sc, now);
	}
	/* A new SCHEDULED run may fall late before the next look. */
	if (changed & STORE_AREA_BIT(STORE_AREA_RUNS))
		sc->next_late_check = now;
	if (now >= sc->next_late_check) {
		usec_t next = mark_late(eng, sc, now);
		sc->next_late_check = now + (atomic_load(&eng->listening)
					     ? LATE_CHECK_EVENTS : LATE_CHECK);
		if (next && next < sc->next_late_check)
			sc->next_late_check = next;
	}
	if (eng->project->nstreams && now >= sc->next_mirror) {
		mirror_streams(eng, sc);
		sc->next_mirror = now + MIRROR_EVERY;
	}
	if (!atomic_load(&eng->stopping))
		engine_retention_tick(eng, &sc->prune, sc->store, &sc->next_prune, now);
	return 0;
}

/* How long the scheduler may sleep: until the next task tick, capped. */
static usec_t next_wait(struct engine *eng, struct sched *sc, usec_t now)
{
	usec_t wait = engine_idle_wait(eng, TICK_MAX);
	/* A retention pass goes on a few batches a tick until it ends: no
	 * event comes to take it further. */
	if (sc->leader && sc->prune.active && wait > TICK_MAX)
		wait = TICK_MAX;
	/* While events wake us, timers of our own still need their ticks. */
	usec_t timers[] = { sc->lease_until, sc->next_requests,
			    sc->leader ? sc->next_late_check : 0,
			    sc->leader && eng->project->nstreams ? sc->next_mirror : 0,
			    sc->leader ? sc->next_prune : 0 };
	for (size_t i = 0; i < ARRAY_LEN(timers); i++)
		if (timers[i] && timers[i] - now < wait)
			wait = timers[i] > now ? timers[i] - now : 0;
	for (size_t i = 0; sc->leader && i < sc->npipes; i++)
		if (sc->pipe_next[i] - now < wait)
			wait = sc->pipe_next[i] > now ? sc->pipe_next[i] - now : 0;
	for (size_t i = 0; i < sc->ntasks; i++) {
		usec_t due = sc->tasks[i].next_due;
		if (sc->tasks[i].started && due && due - now < wait)
			wait = due > now ? due - now : 0;
	}
	return wait;
}

void *engine_scheduler_main(void *arg)
{
	struct engine *eng = arg;
	struct sched *sc = eng->sched;
	unsigned failures = 0;
	while (!atomic_load(&eng->stopping)) {
		struct err e;
		err_clear(&e);
		usec_t now = clock_now_us();
		unsigned woken = engine_wake_count(eng);
		if (engine_scheduler_tick(eng, now, &e) < 0) {
			/* A lost store was reported already, once for all threads. */
			if (failures++ % 20 == 0 && !(sc->store && store_lost(sc->store)))
				log_warn("scheduler: %s", err_text(&e));
			/* A store that cannot write (a full disk) stops the
			 * engine, as a heartbeat's failure does: on PostgreSQL
			 * the heartbeat's row may fit where the lease's or a
			 * request's does not. */
			if (e.code == ERR_IO)
				engine_fault(eng, &e, "scheduler");
			engine_sleep(eng, TICK_MAX * 4);
			continue;
		}
		failures = 0;
		usec_t wait = sc->store ? next_wait(eng, sc, clock_now_us()) : TICK_MAX;
		if (wait > 0)
			engine_sleep_since(eng, woken, wait);
	}
	if (sc->leader && sc->store)
		store_lease_release(sc->store, LEASE_NAME, eng->worker_id, NULL);
	sc->leader = false;
	return NULL;
}

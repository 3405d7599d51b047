/*
 * exec.c - driving one claimed run: its steps in dependency order (ready
 * independent steps go to the job queue so idle workers run them in
 * parallel; the driver runs its own run's steps while it waits), the step
 * cache, step and run timeouts, cancellation, and the run's next state:
 * COMPLETED or CACHED (watermarks committed first), RETRYING (retry policy
 * with backoff and jitter; the SAME run id runs again), FAILED (with a
 * notification), CANCELLED, or back to RETRYING when the worker stops.
 */
#include "engine/engine_int.h"
#include "notify/notify.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

usec_t engine_retry_delay(struct engine *eng, const struct retry_policy *rp, int attempt)
{
	double d = (double)rp->delay;
	if (rp->exponential && attempt > 1) {
		d *= pow(2.0, attempt - 1);
		if (rp->max_delay && d > (double)rp->max_delay)
			d = (double)rp->max_delay;
	}
	if (rp->jitter > 0) {
		double j = rp->jitter > 1 ? 1 : rp->jitter;
		d *= 1.0 + j * (2.0 * engine_random(eng) - 1.0);
	}
	return d < 0 ? 0 : (usec_t)d;
}

int engine_transition(struct engine *eng, struct store *s, struct store_run *r,
		      enum run_state to, const char *reason, const char *error,
		      usec_t retry_at, struct err *e)
{
	enum run_state from = r->state;
	int rc = to == RUN_RETRYING
		? store_run_retry_at(s, r->id, retry_at, reason, error, e)
		: store_run_transition(s, r->id, to, reason, error, e);
	if (rc < 0)
		return -1;
	r->state = to;
	enum log_level lvl = to == RUN_FAILED || to == RUN_CRASHED ? LOG_ERROR
			   : to == RUN_RETRYING ? LOG_WARN : LOG_INFO;
	char object[160];
	snprintf(object, sizeof object, "flow:%s", r->flow);
	log_emit(lvl, r->id, NULL, object, NULL, 0, "run %lld: %s -> %s%s%s",
		 (long long)r->id, run_state_name(from), run_state_name(to),
		 reason ? ": " : "", reason ? reason : "");
	engine_event_run(eng, r->id, r->flow, to, reason);
	return 0;
}

/* ---- the step cache ---------------------------------------------------------------- */
static char *cache_value(int64_t rows_in, int64_t rows_out, const char *summary)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "rows_in", (double)rows_in);
	cJSON_AddNumberToObject(o, "rows_out", (double)rows_out);
	if (summary)
		cJSON_AddStringToObject(o, "summary", summary);
	char *txt = cJSON_PrintUnformatted(o);
	char *out = xstrdup(txt);
	cJSON_free(txt);
	cJSON_Delete(o);
	return out;
}

static void cache_read(const char *value, int64_t *rows_in, int64_t *rows_out)
{
	cJSON *o = cJSON_Parse(value ? value : "{}");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "rows_in");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "rows_out");
	*rows_in = cJSON_IsNumber(a) ? (int64_t)a->valuedouble : 0;
	*rows_out = cJSON_IsNumber(b) ? (int64_t)b->valuedouble : 0;
	cJSON_Delete(o);
}

/* ---- one step ---------------------------------------------------------------------- */
/* A step's state to record, and what it did. */
struct step_record {
	const char *step;
	enum step_state state;
	usec_t started;
	int64_t rows_in, rows_out;
	const struct err *err;        /* why it failed, or NULL */
	bool cached;
	const char *cache_key;
};

static void put_step(struct slot *sl, struct run_exec *rx, const struct step_record *r)
{
	struct store_step row = {
		.run_id = rx->run->id, .step = (char *)r->step, .state = r->state,
		.attempt = rx->run->attempt, .started = r->started,
		.ended = r->state == STEP_RUNNING || r->state == STEP_PENDING ? 0 : clock_now_us(),
		.rows_in = r->rows_in, .rows_out = r->rows_out,
		.error = r->err && r->err->code != ERR_OK ? (char *)err_text(r->err) : NULL,
		.cached = r->cached, .cache_key = (char *)r->cache_key,
	};
	struct err e;
	int rc;
	usec_t waited = 0;
	while ((rc = store_step_put(sl->store, &row, &e)) < 0 &&
	       engine_store_retry(sl->eng, sl->store, &waited))
		;
	if (rc < 0) {
		log_emit(LOG_WARN, rx->run->id, r->step, NULL, NULL, 0,
			 "cannot record the step's state: %s", err_text(&e));
		if (e.code == ERR_IO)
			engine_fault(rx->eng, &e, "run %lld step %s: cannot record %s",
				     (long long)rx->run->id, r->step, step_state_name(r->state));
	}
	engine_event_step(rx->eng, rx->run->id, r->step, r->state, row.error);
}

/* Try the cache: 1 hit (recorded), 0 miss (*key set when cacheable). */
static int try_cache(struct slot *sl, struct run_exec *rx, struct step_ctx *ctx,
		     char **key)
{
	const struct project_step *step = ctx->step;
	*key = NULL;
	/* A backfill rebuilds: a cached result would leave TABLE_backfill unbuilt. */
	if (!step->cache_expire || ctx->backfill)
		return 0;
	struct err e;
	err_clear(&e);
	*key = steps_cache_key(ctx, &e);
	if (!*key) {
		if (e.code != ERR_OK)
			log_emit(LOG_WARN, rx->run->id, step->name, NULL, NULL, 0,
				 "no cache key (running the step): %s", err_text(&e));
		return 0;
	}
	struct store_cache_entry *c = NULL;
	int rc = store_cache_get(sl->store, *key, &c, &e);
	if (rc <= 0) {
		if (rc < 0)
			log_emit(LOG_WARN, rx->run->id, step->name, NULL, NULL, 0,
				 "cache lookup failed (running the step): %s", err_text(&e));
		return 0;
	}
	cache_read(c->value, &ctx->rows_in, &ctx->rows_out);
	log_emit(LOG_INFO, rx->run->id, step->name, NULL, NULL, 0,
		 "cached: result of run %lld reused", (long long)c->run_id);
	usec_t now = clock_now_us();
	put_step(sl, rx, &(struct step_record){ .step = step->name, .state = STEP_CACHED,
			.started = now, .rows_in = ctx->rows_in, .rows_out = ctx->rows_out,
			.cached = true, .cache_key = *key });
	store_cache_free(c);
	return 1;
}

static void fill_ctx(struct slot *sl, struct run_exec *rx, size_t i, struct step_ctx *ctx)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->project = rx->eng->project;
	ctx->flow = rx->flow;
	ctx->step = &rx->flow->steps[i];
	ctx->run_id = rx->run->id;
	ctx->attempt = rx->run->attempt;
	ctx->run_start = rx->run->started ? rx->run->started : rx->run->created;
	ctx->params = rx->params;
	ctx->nparams = rx->nparams;
	ctx->backfill = rx->run->trigger == TRIGGER_BACKFILL;
	ctx->store = sl->store;
	ctx->conns = sl->conns;
	ctx->lake = rx->eng->lake;
	ctx->shared = rx->shared;
	ctx->cancel = &sl->cancel;
}

/* Give the watchdog (and the wait notes) what this slot runs now; NULL
 * rx clears it.  Returns whether the step timed out (when clearing). */
static bool watch(struct slot *sl, struct run_exec *rx, const char *step,
		  usec_t timeout)
{
	struct engine *eng = sl->eng;
	step_conns_doing(sl->conns, rx ? rx->run->id : 0, rx ? step : NULL);
	pthread_mutex_lock(&eng->lock);
	bool timed_out = sl->timed_out;
	sl->run = rx;
	sl->step = rx ? step : NULL;
	free(sl->wait_note);
	sl->wait_note = NULL;
	sl->wait_dirty = false;
	sl->deadline = rx && timeout ? clock_monotonic_us() + timeout : 0;
	sl->timed_out = false;
	if (rx) {
		pthread_mutex_lock(&rx->lock);
		bool stop = rx->stop == STOP_CANCEL || rx->stop == STOP_TIMEOUT ||
			    rx->stop == STOP_SHUTDOWN;
		pthread_mutex_unlock(&rx->lock);
		atomic_store(&sl->cancel, stop || atomic_load(&eng->aborting));
	} else
		atomic_store(&sl->cancel, false);
	pthread_mutex_unlock(&eng->lock);
	return timed_out;
}

static enum step_exec_state skipped_state(enum run_stop stop)
{
	/* SX_SKIPPED: recorded SKIPPED or CANCELLED when the run settles;
	 * SX_WAIT: runs again when the stopped run is retried. */
	return stop == STOP_SHUTDOWN ? SX_WAIT : SX_SKIPPED;
}

/* A step is over: record it in the run and wake the driver. */
static void step_over(struct run_exec *rx, size_t i, enum step_exec_state st,
		      const struct err *err, const struct step_ctx *ctx)
{
	pthread_mutex_lock(&rx->lock);
	rx->st[i] = st;
	rx->rows_in += ctx->rows_in;
	rx->rows_out += ctx->rows_out;
	rx->rows_deleted += ctx->rows_deleted;
	if (st == SX_FAILED && rx->stop == STOP_NONE) {
		rx->stop = STOP_FAILED;
		rx->error = *err;
		free(rx->failed_step);
		rx->failed_step = xstrdup(rx->flow->steps[i].name);
	} else if (st == SX_FAILED && rx->error.code == ERR_OK) {
		rx->error = *err;
	}
	rx->outstanding--;
	pthread_cond_broadcast(&rx->cond);
	pthread_mutex_unlock(&rx->lock);
}

void engine_exec_step_job(struct slot *sl, struct run_exec *rx, size_t i)
{
	const struct project_step *step = &rx->flow->steps[i];
	pthread_mutex_lock(&rx->lock);
	enum run_stop stop = rx->stop;
	if (stop != STOP_NONE || atomic_load(&rx->eng->stopping)) {
		if (stop == STOP_NONE)
			stop = STOP_SHUTDOWN;
		rx->st[i] = skipped_state(stop);
		rx->outstanding--;
		pthread_cond_broadcast(&rx->cond);
		pthread_mutex_unlock(&rx->lock);
		return;
	}
	rx->st[i] = SX_RUNNING;
	pthread_mutex_unlock(&rx->lock);

	struct step_ctx ctx;
	fill_ctx(sl, rx, i, &ctx);
	char *key = NULL;
	if (try_cache(sl, rx, &ctx, &key) == 1) {
		step_over(rx, i, SX_CACHED, NULL, &ctx);
		free(key);
		return;
	}
	usec_t started = clock_now_us();
	usec_t mono = clock_monotonic_us();
	put_step(sl, rx, &(struct step_record){ .step = step->name, .state = STEP_RUNNING,
			.started = started, .cache_key = key });

	struct err e;
	err_clear(&e);
	watch(sl, rx, step->name, step->timeout);
	int rc = steps_run(&ctx, &e);
	bool timed_out = watch(sl, NULL, NULL, 0);

	pthread_mutex_lock(&rx->lock);
	enum run_stop now_stop = rx->stop;
	pthread_mutex_unlock(&rx->lock);
	char took[32];
	duration_format(clock_monotonic_us() - mono, took, sizeof took);
	enum step_exec_state sx;
	if (rc == 0 && ctx.skipped) {
		/* The step chose to do nothing (an extract in a backfill): its
		 * dependents go on, and the record says it was skipped. */
		sx = SX_DONE;
		put_step(sl, rx, &(struct step_record){ .step = step->name,
				.state = STEP_SKIPPED, .started = started });
		log_emit(LOG_INFO, rx->run->id, step->name, NULL, NULL, 0, "skipped%s%s",
			 ctx.summary ? ": " : "", ctx.summary ? ctx.summary : "");
	} else if (rc == 0) {
		sx = SX_DONE;
		put_step(sl, rx, &(struct step_record){ .step = step->name,
				.state = STEP_COMPLETED, .started = started, .rows_in = ctx.rows_in,
				.rows_out = ctx.rows_out, .cache_key = key });
		log_emit(LOG_INFO, rx->run->id, step->name, NULL, NULL, 0,
			 "completed in %s: %lld row%s in, %lld out%s%s", took,
			 (long long)ctx.rows_in, ctx.rows_in == 1 ? "" : "s",
			 (long long)ctx.rows_out, ctx.summary ? "; " : "",
			 ctx.summary ? ctx.summary : "");
		if (key) {
			char *v = cache_value(ctx.rows_in, ctx.rows_out, ctx.summary);
			struct err ce;
			if (store_cache_put(sl->store, key, v, rx->run->id,
					    step->cache_expire, &ce) < 0)
				log_emit(LOG_WARN, rx->run->id, step->name, NULL, NULL, 0,
					 "cannot cache the result: %s", err_text(&ce));
			free(v);
		}
	} else {
		if (timed_out) {
			char lim[32];
			duration_format(step->timeout, lim, sizeof lim);
			err_set(&e, ERR_TIMEOUT, "step %s timed out after %s", step->name, lim);
		} else if (now_stop == STOP_TIMEOUT) {
			char lim[32];
			duration_format(rx->flow->timeout, lim, sizeof lim);
			err_set(&e, ERR_TIMEOUT, "run timed out after %s (flow timeout)", lim);
		} else if (now_stop == STOP_SHUTDOWN && e.code == ERR_CANCELLED) {
			err_set(&e, ERR_CANCELLED, "rolled back: the worker is stopping");
		} else if (now_stop == STOP_CANCEL && e.code == ERR_CANCELLED) {
			err_set(&e, ERR_CANCELLED, "cancelled by the operator; rolled back");
		}
		bool cancelled = e.code == ERR_CANCELLED &&
				 (now_stop == STOP_CANCEL || now_stop == STOP_SHUTDOWN);
		sx = cancelled ? (now_stop == STOP_SHUTDOWN ? SX_WAIT : SX_CANCELLED)
			       : SX_FAILED;
		put_step(sl, rx, &(struct step_record){ .step = step->name,
				.state = cancelled ? STEP_CANCELLED : STEP_FAILED, .started = started,
				.rows_in = ctx.rows_in, .rows_out = ctx.rows_out, .err = &e,
				.cache_key = key });
		log_emit(cancelled ? LOG_WARN : LOG_ERROR, rx->run->id, step->name, NULL,
			 NULL, 0, "%s after %s: %s", cancelled ? "cancelled" : "failed",
			 took, err_text(&e));
	}
	step_over(rx, i, sx, &e, &ctx);
	free(ctx.summary);
	free(key);
}

/* ---- the driver ------------------------------------------------------------------- */
static bool needs_done(const struct run_exec *rx, size_t i)
{
	const struct project_step *s = &rx->flow->steps[i];
	for (size_t k = 0; k < s->nneeds; k++) {
		const struct project_step *dep = project_step(rx->flow, s->needs[k]);
		if (!dep)
			return false;
		enum step_exec_state st = rx->st[dep - rx->flow->steps];
		if (st != SX_DONE && st != SX_CACHED)
			return false;
	}
	return true;
}

static void wait_run(struct run_exec *rx)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&rx->lock);
	if (rx->outstanding > 0)
		pthread_cond_timedwait(&rx->cond, &rx->lock, &ts);
	pthread_mutex_unlock(&rx->lock);
}

static void drive(struct slot *sl, struct run_exec *rx)
{
	struct engine *eng = sl->eng;
	size_t n = rx->flow->nsteps;
	size_t *ready = xcalloc(n ? n : 1, sizeof *ready);
	for (;;) {
		size_t nready = 0;
		pthread_mutex_lock(&rx->lock);
		bool no_new = rx->stop != STOP_NONE || atomic_load(&eng->stopping);
		for (size_t i = 0; i < n && !no_new; i++) {
			if (rx->st[i] == SX_WAIT && needs_done(rx, i)) {
				rx->st[i] = SX_QUEUED;
				rx->outstanding++;
				ready[nready++] = i;
			}
		}
		int outstanding = rx->outstanding;
		pthread_mutex_unlock(&rx->lock);
		for (size_t k = 1; k < nready; k++) {
			struct job *j = xcalloc(1, sizeof *j);
			j->kind = JOB_STEP;
			j->run = rx;
			j->step = ready[k];
			engine_job_push(eng, j);
		}
		if (nready) {
			engine_exec_step_job(sl, rx, ready[0]);
			continue;
		}
		if (outstanding == 0)
			break;
		struct job *j = engine_job_take(eng, rx);
		if (j) {
			engine_exec_step_job(sl, rx, j->step);
			engine_job_free(j);
			continue;
		}
		wait_run(rx);
	}
	free(ready);
}

/* ---- the outcome ------------------------------------------------------------------- */
/* Move to `to` on store `s`; when an operator got there first
 * (CANCELLING), settle on CANCELLED instead of retrying.  Logs what it
 * could not record. */
static void settle_on(struct engine *eng, struct store *s, struct run_exec *rx,
		      enum run_state to, const char *reason, const char *error,
		      usec_t retry_at)
{
	struct err e;
	int rc;
	usec_t waited = 0;
	while ((rc = engine_transition(eng, s, rx->run, to, reason, error, retry_at, &e)) < 0 &&
	       engine_store_retry(eng, s, &waited))
		;
	if (rc == 0)
		return;
	if (e.code == ERR_CONFLICT) {
		struct store_run *cur = store_run_get(s, rx->run->id, NULL);
		if (cur && cur->state == RUN_CANCELLING) {
			rx->run->state = RUN_CANCELLING;
			store_run_free(cur);
			if (engine_transition(eng, s, rx->run, RUN_CANCELLED,
					      "cancelled by the operator", error, 0, &e) == 0)
				return;
		} else {
			if (cur)
				log_emit(LOG_WARN, rx->run->id, NULL, NULL, NULL, 0,
					 "run %lld is %s now (another worker decided); "
					 "leaving it", (long long)rx->run->id,
					 run_state_name(cur->state));
			store_run_free(cur);
			return;
		}
	}
	log_emit(LOG_ERROR, rx->run->id, NULL, NULL, NULL, 0,
		 "cannot record the run's state %s: %s", run_state_name(to), err_text(&e));
	/* Left RUNNING in the store, the run waits for crash recovery; a
	 * foreground engine has nothing else to do, and a full disk stops
	 * every engine (engine_fault). */
	if (e.code == ERR_IO || eng->opt.only_run)
		engine_fault(eng, &e, "run %lld: cannot record %s", (long long)rx->run->id,
			     run_state_name(to));
}

static void settle(struct slot *sl, struct run_exec *rx, enum run_state to,
		   const char *reason, const char *error, usec_t retry_at)
{
	settle_on(sl->eng, sl->store, rx, to, reason, error, retry_at);
}

void engine_exec_hand_back(struct engine *eng, struct store *s, struct run_exec *rx,
		    const char *why)
{
	char *reason = xasprintf("handed back by draining worker %s%s%s",
				 eng->worker_id, why ? ": " : "", why ? why : "");
	settle_on(eng, s, rx, RUN_PENDING, reason, NULL, 0);
	free(reason);
}

/* Record the steps that never ran (their needs failed, or the run stopped). */
static void record_unstarted(struct slot *sl, struct run_exec *rx, enum step_state st)
{
	for (size_t i = 0; i < rx->flow->nsteps; i++)
		if (rx->st[i] == SX_WAIT || rx->st[i] == SX_SKIPPED)
			put_step(sl, rx, &(struct step_record){ .step = rx->flow->steps[i].name,
					.state = st });
}

static const struct retry_policy *failed_policy(const struct run_exec *rx)
{
	const struct project_step *s = rx->failed_step
		? project_step(rx->flow, rx->failed_step) : NULL;
	return s && s->has_retries ? &s->retries : &rx->flow->retries;
}

static void finish_failed(struct slot *sl, struct run_exec *rx)
{
	struct engine *eng = sl->eng;
	const char *error = rx->error.code ? err_text(&rx->error) : "failed";
	char *err_copy = xstrdup(error);
	record_unstarted(sl, rx, STEP_SKIPPED);
	const struct retry_policy *rp = failed_policy(rx);
	if (rx->run->attempt <= rp->count) {
		usec_t d = engine_retry_delay(eng, rp, rx->run->attempt);
		char when[32];
		duration_format(d, when, sizeof when);
		char *reason = xasprintf("attempt %d failed%s%s; retry %d of %d in %s",
					 rx->run->attempt, rx->failed_step ? " at step " : "",
					 rx->failed_step ? rx->failed_step : "",
					 rx->run->attempt, rp->count, when);
		settle(sl, rx, RUN_RETRYING, reason, err_copy, clock_now_us() + d);
		free(reason);
	} else {
		store_wm_clear_run(sl->store, rx->run->id, NULL, NULL);
		char *reason = rx->failed_step
			? xasprintf("step %s failed", rx->failed_step)
			: xstrdup("failed");
		settle(sl, rx, RUN_FAILED, reason, err_copy, 0);
		if (rx->run->state == RUN_FAILED) {
			char *text = xasprintf("Run %lld of flow %s FAILED after %d attempt%s%s%s: %s",
					       (long long)rx->run->id, rx->flow->name,
					       rx->run->attempt, rx->run->attempt == 1 ? "" : "s",
					       rx->failed_step ? " at step " : "",
					       rx->failed_step ? rx->failed_step : "", err_copy);
			char *object = xasprintf("flow:%s", rx->flow->name);
			struct notify_msg m = {
				.event = NOTIFY_RUN_FAILED, .object = object,
				.run_id = rx->run->id, .state = "FAILED", .step = rx->failed_step,
				.error = err_copy, .text = text, .also = rx->flow->notify,
				.nalso = rx->flow->nnotify,
			};
			struct err ne;
			if (notify_raise(sl->store, eng->project, &m, &ne) < 0)
				log_warn("run %lld: cannot queue the notification: %s",
					 (long long)rx->run->id, err_text(&ne));
			free(object);
			free(text);
		}
		free(reason);
	}
	free(err_copy);
}

/* Only extract steps plan watermark windows: other flows need no commit. */
static bool plans_windows(const struct project_flow *f)
{
	for (size_t i = 0; i < f->nsteps; i++)
		if (f->steps[i].kind == STEP_EXTRACT)
			return true;
	return false;
}

/* A good run: channels told of the flow's trouble hear it is over. */
static void recovered(struct slot *sl, struct run_exec *rx)
{
	if (!sl->eng->project->nchannels)
		return;
	char *object = xasprintf("flow:%s", rx->flow->name);
	char *text = xasprintf("flow %s is healthy again: run %lld completed",
			       rx->flow->name, (long long)rx->run->id);
	struct err e;
	if (notify_recovered(sl->store, sl->eng->project, object, rx->run->id, text, &e) < 0)
		log_warn("run %lld: cannot queue the recovery notification: %s",
			 (long long)rx->run->id, err_text(&e));
	free(text);
	free(object);
}

static void finish(struct slot *sl, struct run_exec *rx)
{
	pthread_mutex_lock(&rx->lock);
	bool handed_back = rx->handed_back;
	rx->settling = !handed_back;
	pthread_mutex_unlock(&rx->lock);
	if (handed_back)
		return;     /* the stopper recorded it while a step would not stop */
	size_t n = rx->flow->nsteps, done = 0, cached = 0;
	for (size_t i = 0; i < n; i++) {
		done += rx->st[i] == SX_DONE || rx->st[i] == SX_CACHED;
		cached += rx->st[i] == SX_CACHED;
	}
	if (rx->rows_in != rx->run->rows_in || rx->rows_out != rx->run->rows_out)
		store_run_set_rows(sl->store, rx->run->id, rx->rows_in, rx->rows_out, NULL);
	if (rx->rows_deleted != rx->run->rows_deleted)
		store_run_set_deleted(sl->store, rx->run->id, rx->rows_deleted, NULL);
	enum run_stop stop = rx->stop;
	if (stop == STOP_NONE && done == n) {
		struct err e;
		int nwm = 0, rc = 0;
		usec_t waited = 0;
		while (plans_windows(rx->flow) &&
		       (rc = store_wm_commit_run(sl->store, rx->run->id, &nwm, &e)) < 0 &&
		       engine_store_retry(sl->eng, sl->store, &waited))
			;
		if (rc < 0) {
			rx->stop = STOP_FAILED;
			rx->error = e;
			err_prefix(&rx->error, "committing the watermarks: ");
			finish_failed(sl, rx);
			return;
		}
		char *reason = xasprintf("%zu step%s %s", n, n == 1 ? "" : "s",
					 cached == n && n ? "answered from the cache"
					 : "completed");
		settle(sl, rx, cached == n && n ? RUN_CACHED : RUN_COMPLETED, reason, NULL, 0);
		free(reason);
		recovered(sl, rx);
		return;
	}
	if (stop == STOP_CANCEL) {
		record_unstarted(sl, rx, STEP_CANCELLED);
		store_wm_clear_run(sl->store, rx->run->id, NULL, NULL);
		settle(sl, rx, RUN_CANCELLED, "cancelled by the operator", NULL, 0);
		return;
	}
	if (stop == STOP_FAILED || stop == STOP_TIMEOUT) {
		finish_failed(sl, rx);
		return;
	}
	/* The worker is stopping with steps left: another engine continues
	 * the same attempt (stopping is not the run's failure). */
	engine_exec_hand_back(sl->eng, sl->store, rx, NULL);
}

/* ---- entry ------------------------------------------------------------------------- */
static int prepare(struct slot *sl, struct run_exec *rx, struct err *e)
{
	struct engine *eng = sl->eng;
	rx->flow = project_flow(eng->project, rx->run->flow);
	if (!rx->flow)
		return err_set(e, ERR_NOTFOUND, "flow %s is not in the project "
			       "(was it renamed or removed?)", rx->run->flow);
	struct project_kv *given = NULL;
	size_t ngiven = 0;
	if (engine_params_from_json(rx->run->params, &given, &ngiven, e) < 0)
		return -1;
	char *resolved = engine_params_resolve(rx->flow, given, ngiven, e);
	engine_params_free(given, ngiven);
	if (!resolved)
		return -1;
	int rc = engine_params_from_json(resolved, &rx->params, &rx->nparams, e);
	free(resolved);
	return rc;
}

/* What each step is defined by as this attempt starts, stored with the
 * run, so that the run detail can show what ran and how the project on
 * disk differs from it now.  A step whose SQL file cannot be read is left
 * out (the step itself fails and says why); a store that cannot take the
 * record costs the run nothing but a warning. */
static void record_defs(struct slot *sl, struct run_exec *rx)
{
	size_t n = rx->flow->nsteps, k = 0;
	struct store_step_def *defs = xcalloc(n ? n : 1, sizeof *defs);
	for (size_t i = 0; i < n; i++) {
		const struct project_step *step = &rx->flow->steps[i];
		struct err e;
		char *text = steps_def_text(sl->eng->project, step, &e);
		if (!text)
			continue;
		defs[k++] = (struct store_step_def){ .step = step->name, .text = text,
						     .file = (char *)steps_def_file(step) };
	}
	struct err e;
	if (store_run_defs_put(sl->store, rx->run->id, defs, k, &e) < 0)
		log_emit(LOG_WARN, rx->run->id, NULL, NULL, NULL, 0,
			 "the steps' definitions were not recorded: %s", err_text(&e));
	for (size_t i = 0; i < k; i++)
		free(defs[i].text);
	free(defs);
}

static void active_add(struct engine *eng, struct run_exec *rx)
{
	pthread_mutex_lock(&eng->lock);
	rx->next_active = eng->active;
	eng->active = rx;
	pthread_mutex_unlock(&eng->lock);
}

static void active_remove(struct engine *eng, struct run_exec *rx)
{
	pthread_mutex_lock(&eng->lock);
	for (struct run_exec **p = &eng->active; *p; p = &(*p)->next_active) {
		if (*p == rx) {
			*p = rx->next_active;
			break;
		}
	}
	if (eng->opt.only_run == rx->run->id &&
	    (run_state_is_terminal(rx->run->state)))
		eng->only_run_done = true;
	pthread_cond_broadcast(&eng->done_cond);
	pthread_mutex_unlock(&eng->lock);
}

void engine_exec_run(struct slot *sl, struct store_run *run)
{
	struct engine *eng = sl->eng;
	struct run_exec *rx = xcalloc(1, sizeof *rx);
	rx->eng = eng;
	rx->run = run;
	pthread_mutex_init(&rx->lock, NULL);
	pthread_cond_init(&rx->cond, NULL);
	atomic_init(&rx->cancel_seen, false);
	engine_event_run(eng, run->id, run->flow, RUN_RUNNING, run->reason);
	if (run->late_at_claim)
		engine_notify_late(eng, sl->store, run);
	struct err e;
	err_clear(&e);
	if (prepare(sl, rx, &e) < 0) {
		settle(sl, rx, RUN_FAILED, "cannot start", err_text(&e), 0);
		goto out;
	}
	log_emit(LOG_INFO, run->id, NULL, NULL, NULL, 0, "run %lld of flow %s: "
		 "attempt %d on %s", (long long)run->id, run->flow, run->attempt,
		 eng->worker_id);
	record_defs(sl, rx);
	rx->st = xcalloc(rx->flow->nsteps ? rx->flow->nsteps : 1, sizeof *rx->st);
	rx->shared = run_shared_new();
	if (rx->flow->timeout)
		rx->deadline = clock_monotonic_us() + rx->flow->timeout;
	active_add(eng, rx);
	drive(sl, rx);
	finish(sl, rx);
	active_remove(eng, rx);
	run_shared_free(rx->shared);
out:
	if (!rx->st)
		active_remove(eng, rx);
	engine_params_free(rx->params, rx->nparams);
	free(rx->st);
	free(rx->failed_step);
	pthread_mutex_destroy(&rx->lock);
	pthread_cond_destroy(&rx->cond);
	free(rx);
}

/*
 * backfill_run.c - the process working on a backfill, and the runs it
 * executes itself.
 *
 * Whoever takes a step holds the store lease "backfill:ID" as HOST:PID; a
 * heartbeat thread on its own store connection renews it and keeps this
 * process's worker row fresh, so an engine's crash recovery leaves runs
 * claimed here alone.  When the holder is gone (its pid is dead on this
 * host, or its lease lapsed elsewhere) the next taker wins.
 *
 * The validate step, and the rebuild when no engine was lent, run the
 * flow's steps here through steps_run: a run of its own with trigger
 * backfill, created SCHEDULED far ahead and claimed at once (so no engine
 * takes it first) with one attempt (so crash recovery ends it CRASHED and
 * never retries it outside backfill mode).
 */
#include "backfill/backfill_int.h"
#include "lake/lake.h"
#include "store/store.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_TTL        (30 * USEC_PER_SEC)
#define HEARTBEAT_EVERY  (5 * USEC_PER_SEC)
#define FAR_FUTURE       (INT64_C(100) * 365 * 24 * 3600 * USEC_PER_SEC)

const char *backfill_hostname(char *buf, size_t n)
{
	if (gethostname(buf, n - 1) < 0)
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	return buf;
}

static void *heartbeat_main(void *arg)
{
	struct bf *b = arg;
	const struct backfill_env *env = b->env;
	struct store *s = store_open(env->store_url, env->store_opt, &b->hb_err);
	char name[64];
	snprintf(name, sizeof name, "backfill:%lld", (long long)b->row->id);
	pthread_mutex_lock(&b->hb_lock);
	while (!b->hb_stop) {
		pthread_mutex_unlock(&b->hb_lock);
		if (s) {
			struct err e = { 0 };
			if (store_lease_acquire(s, name, b->holder, LEASE_TTL, NULL, &e) < 0 ||
			    (b->worker[0] && store_worker_heartbeat(s, b->worker, &e) < 0 &&
			     e.code != ERR_NOTFOUND))
				log_warn("backfill %lld: heartbeat: %s", (long long)b->row->id,
					 err_text(&e));
		}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += HEARTBEAT_EVERY / USEC_PER_SEC;
		pthread_mutex_lock(&b->hb_lock);
		if (!b->hb_stop)
			pthread_cond_timedwait(&b->hb_cond, &b->hb_lock, &ts);
	}
	pthread_mutex_unlock(&b->hb_lock);
	store_close(s);
	return NULL;
}

/* Is the process named by a holder "HOST:PID" gone?  Only answerable on
 * the same host; elsewhere the lease's expiry decides. */
bool backfill_holder_dead_here(const char *holder)
{
	char host[256];
	backfill_hostname(host, sizeof host);
	const char *colon = holder ? strrchr(holder, ':') : NULL;
	if (!colon || (size_t)(colon - holder) != strlen(host) ||
	    strncmp(holder, host, strlen(host)) != 0)
		return false;
	int64_t pid;
	if (!str_to_i64(colon + 1, &pid) || pid <= 0)
		return false;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

/* Take the backfill for this process: 0, or -1 with ERR_CONFLICT naming
 * the live holder. */
int backfill_take(struct bf *b, struct err *e)
{
	char host[256];
	snprintf(b->holder, sizeof b->holder, "%s:%ld", backfill_hostname(host, sizeof host),
		 (long)getpid());
	char name[64];
	snprintf(name, sizeof name, "backfill:%lld", (long long)b->row->id);
	for (int attempt = 0; attempt < 2; attempt++) {
		char *cur = NULL;
		int rc = store_lease_acquire(b->env->store, name, b->holder, LEASE_TTL, &cur, e);
		if (rc < 0)
			return -1;
		if (rc == 1) {
			free(cur);
			break;
		}
		if (attempt == 0 && backfill_holder_dead_here(cur)) {
			rc = store_lease_release(b->env->store, name, cur, e);
			free(cur);
			if (rc < 0)
				return -1;
			continue;
		}
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is being worked on by "
			"process %s (step %s, %s); wait for it, or if that process is gone, "
			"its claim lapses within %lld s", (long long)b->row->id, b->row->flow,
			cur ? cur : "?", b->row->step, backfill_state_name(b->row->state),
			(long long)(LEASE_TTL / USEC_PER_SEC));
		free(cur);
		return -1;
	}
	/* Someone may have moved it between our read and the lease. */
	struct store_backfill *now = store_backfill_get(b->env->store, b->row->id, e);
	if (!now) {
		store_lease_release(b->env->store, name, b->holder, NULL);
		return -1;
	}
	store_backfill_free(b->row);
	b->row = now;
	cJSON_Delete(b->rec);
	b->rec = backfill_record_of(now);
	pthread_mutex_init(&b->hb_lock, NULL);
	pthread_cond_init(&b->hb_cond, NULL);
	b->hb_stop = false;
	/* Without a URL to open its own connection there is no heartbeat: the
	 * lease then lapses after LEASE_TTL even while the step runs. */
	b->hb_running = b->env->store_url &&
			pthread_create(&b->hb, NULL, heartbeat_main, b) == 0;
	return 0;
}

void backfill_release(struct bf *b)
{
	if (!b->holder[0])
		return;
	if (b->hb_running) {
		pthread_mutex_lock(&b->hb_lock);
		b->hb_stop = true;
		pthread_cond_signal(&b->hb_cond);
		pthread_mutex_unlock(&b->hb_lock);
		pthread_join(b->hb, NULL);
		b->hb_running = false;
		pthread_mutex_destroy(&b->hb_lock);
		pthread_cond_destroy(&b->hb_cond);
	}
	if (b->worker[0]) {
		store_worker_remove(b->env->store, b->worker, NULL);
		b->worker[0] = '\0';
	}
	char name[64];
	snprintf(name, sizeof name, "backfill:%lld", (long long)b->row->id);
	store_lease_release(b->env->store, name, b->holder, NULL);
	b->holder[0] = '\0';
}

static bool needs_done(const struct project_flow *f, const struct project_step *s,
		       const bool *done)
{
	for (size_t n = 0; n < s->nneeds; n++)
		for (size_t i = 0; i < f->nsteps; i++)
			if (strcmp(f->steps[i].name, s->needs[n]) == 0 && !done[i])
				return false;
	return true;
}

static struct project_kv *params_kv(const cJSON *obj, size_t *n)
{
	size_t count = (size_t)cJSON_GetArraySize(obj), i = 0;
	struct project_kv *kv = xcalloc(count ? count : 1, sizeof *kv);
	const cJSON *v;
	cJSON_ArrayForEach(v, obj) {
		kv[i].key = v->string;
		kv[i].value = cJSON_IsString(v) ? v->valuestring : NULL;
		i++;
	}
	*n = count;
	return kv;
}

struct project_kv *backfill_params_of(const cJSON *rec, size_t *n)
{
	return params_kv(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "params"), n);
}

static char *params_json(const cJSON *rec)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "params");
	return obj ? cJSON_PrintUnformatted(obj) : xstrdup("{}");
}

int backfill_create_run(struct bf *b, const char *what, int64_t *run_id, struct err *e)
{
	char host[256], detail[32], reason[128];
	snprintf(detail, sizeof detail, "%lld", (long long)b->row->id);
	snprintf(reason, sizeof reason, "backfill %lld: %s, run by the backfill itself",
		 (long long)b->row->id, what);
	char *params = b->run_params ? xstrdup(b->run_params) : params_json(b->rec);
	/* SCHEDULED far ahead, then claimed at once: no engine takes it first,
	 * and with one attempt crash recovery ends it CRASHED, never retries. */
	struct store_run_spec spec = {
		.flow = b->row->flow, .params = params, .state = RUN_SCHEDULED,
		.trigger = TRIGGER_BACKFILL, .trigger_detail = detail, .max_attempts = 1,
		.environment = b->env->project->env.name,
		.scheduled = clock_now_us() + FAR_FUTURE, .reason = reason,
		.partition = b->run_partition,
	};
	int rc = store_run_create(b->env->store, &spec, run_id, e);
	free(params);
	if (rc < 0)
		return -1;
	snprintf(b->worker, sizeof b->worker, "foreground:backfill:%s:%ld",
		 backfill_hostname(host, sizeof host), (long)getpid());
	if (store_worker_register(b->env->store, b->worker, host, getpid(), e) < 0)
		return -1;
	struct store_run *r = NULL;
	if (store_run_claim_id(b->env->store, *run_id, b->worker, &r, e) < 0)
		return -1;
	store_run_free(r);
	return 0;
}

struct inproc {
	/* A partition's run has its partition's parameters, not the plan's:
	 * `own` holds them parsed, and `params` points into it (or the plan). */
	cJSON *own;
	struct project_kv *params;
	size_t nparams;
	int64_t rows_in, rows_out, rows_deleted;
	int failed_steps;
	struct err first;
	char *failed_step;
};

static void put_step(struct bf *b, int64_t run_id, const struct project_step *s,
		     enum step_state st, usec_t started, const struct step_ctx *ctx,
		     const struct err *err)
{
	struct store_step row = {
		.run_id = run_id, .step = s->name, .state = st, .attempt = 1,
		.started = started, .ended = st == STEP_RUNNING ? 0 : clock_now_us(),
		.rows_in = ctx ? ctx->rows_in : 0, .rows_out = ctx ? ctx->rows_out : 0,
		.error = err ? (char *)err_text(err) : NULL,
	};
	struct err e = { 0 };
	if (store_step_put(b->env->store, &row, &e) < 0)
		log_warn("backfill %lld: recording step %s: %s", (long long)b->row->id,
			 s->name, err_text(&e));
}

static int run_one_step(struct bf *b, int64_t run_id, usec_t run_start,
			const struct project_step *s, struct lake *lake,
			struct run_shared *shared, struct inproc *ip)
{
	atomic_bool never = false;
	struct step_ctx ctx = {
		.project = b->env->project, .flow = b->flow, .step = s, .run_id = run_id,
		.attempt = 1, .run_start = run_start, .params = ip->params,
		.nparams = ip->nparams,
		.backfill = true, .store = b->env->store, .conns = backfill_conns(b),
		.lake = lake, .shared = shared,
		.cancel = b->env->cancel ? b->env->cancel : &never,
	};
	usec_t started = clock_now_us();
	put_step(b, run_id, s, STEP_RUNNING, started, NULL, NULL);
	struct err e = { 0 };
	int rc = steps_run(&ctx, &e);
	put_step(b, run_id, s, rc < 0 ? STEP_FAILED : ctx.skipped ? STEP_SKIPPED
		 : STEP_COMPLETED, started, &ctx, rc < 0 ? &e : NULL);
	if (rc < 0) {
		if (!ip->failed_steps++) {
			ip->first = e;
			ip->failed_step = xstrdup(s->name);
		}
		backfill_say(b, "  %s: FAILED: %s", s->name, err_text(&e));
	} else {
		ip->rows_in += ctx.rows_in;
		ip->rows_out += ctx.rows_out;
		backfill_say(b, "  %s: %s, %lld rows in, %lld out%s%s", s->name,
		    ctx.skipped ? "skipped" : "done", (long long)ctx.rows_in,
		    (long long)ctx.rows_out, ctx.summary ? "; " : "",
		    ctx.summary ? ctx.summary : "");
		struct err re = { 0 };
		store_run_set_rows(b->env->store, run_id, ip->rows_in, ip->rows_out, &re);
		if (ctx.rows_deleted > 0) {
			ip->rows_deleted += ctx.rows_deleted;
			store_run_set_deleted(b->env->store, run_id, ip->rows_deleted, &re);
		}
	}
	free(ctx.summary);
	return rc;
}

/* Run the flow's steps that `want` selects, in dependency order, as run
 * `run_id`.  0 when every one succeeded; -1 with e set otherwise (the run
 * is settled either way). */
int backfill_run_steps(struct bf *b, int64_t run_id, bool (*want)(enum step_kind),
		 struct err *e)
{
	const struct project_flow *f = b->flow;
	struct lake *lake = NULL;
	bool needs_lake = false;
	for (size_t i = 0; i < f->nsteps; i++)
		needs_lake |= want(f->steps[i].kind) && !kind_skipped(f->steps[i].kind) &&
			      f->steps[i].kind == STEP_NORMALIZE;
	if (needs_lake) {
		lake = steps_open_lake(b->env->project, e);
		if (!lake)
			return -1;
	}
	struct run_shared *shared = run_shared_new();
	bool *done = xcalloc(f->nsteps ? f->nsteps : 1, sizeof(bool));
	struct inproc ip = { 0 };
	ip.own = b->run_params ? cJSON_Parse(b->run_params) : NULL;
	ip.params = ip.own ? params_kv(ip.own, &ip.nparams)
			   : backfill_params_of(b->rec, &ip.nparams);
	usec_t start = clock_now_us();
	size_t left = f->nsteps;
	while (left > 0 && ip.failed_steps == 0) {
		size_t i;
		for (i = 0; i < f->nsteps; i++)
			if (!done[i] && needs_done(f, &f->steps[i], done))
				break;
		if (i == f->nsteps)
			break;      /* a cycle: steps_validate refuses those */
		done[i] = true;
		left--;
		if (!want(f->steps[i].kind) || f->steps[i].kind == STEP_KIND_COUNT)
			continue;
		if (b->env->cancel && atomic_load(b->env->cancel)) {
			err_set(&ip.first, ERR_CANCELLED, "cancelled before step %s",
				f->steps[i].name);
			ip.failed_steps++;
			break;
		}
		run_one_step(b, run_id, start, &f->steps[i], lake, shared, &ip);
	}
	free(done);
	run_shared_free(shared);
	lake_close(lake);
	struct err te = { 0 };
	int rc = 0;
	if (ip.failed_steps) {
		enum run_state to = ip.first.code == ERR_CANCELLED ? RUN_CANCELLED : RUN_FAILED;
		store_run_transition(b->env->store, run_id, to, ip.failed_step
				     ? ip.failed_step : "cancelled", err_text(&ip.first), &te);
		*e = ip.first;
		if (ip.failed_step)
			err_prefix(e, "step %s: ", ip.failed_step);
		rc = -1;
	} else if (store_run_transition(b->env->store, run_id, RUN_COMPLETED,
					"backfill steps done", NULL, &te) < 0) {
		*e = te;
		rc = -1;
	}
	free(ip.failed_step);
	free(ip.params);
	cJSON_Delete(ip.own);
	return rc;
}

/* The worker `id` is gone: not registered, or registered on this host
 * with a pid that is dead. */
static bool worker_gone(struct store *s, const char *id)
{
	struct vec ws = VEC_INIT;
	if (store_worker_list(s, &ws, NULL) < 0)
		return false;
	bool gone = true;
	char host[256];
	backfill_hostname(host, sizeof host);
	for (size_t i = 0; i < ws.len; i++) {
		const struct store_worker *w = ws.items[i];
		if (strcmp(w->id, id) != 0)
			continue;
		gone = str_eq(w->host, host) && w->pid > 0 &&
		       kill((pid_t)w->pid, 0) < 0 && errno == ESRCH;
	}
	store_worker_list_free(&ws);
	return gone;
}

int backfill_settle_orphan(struct bf *b, int64_t run_id, struct err *e)
{
	struct store_run *r = store_run_get(b->env->store, run_id, e);
	if (!r)
		return -1;
	int rc = run_state_is_terminal(r->state) ? 0 : 1;
	if ((r->state == RUN_RUNNING || r->state == RUN_CANCELLING) && r->worker &&
	    worker_gone(b->env->store, r->worker)) {
		/* Whoever ran it died with it (this host knows): it crashed. */
		backfill_say(b, "run %lld was left %s by %s, which is gone: marked CRASHED",
		       (long long)run_id, run_state_name(r->state), r->worker);
		struct err te = { 0 };
		if (store_run_transition(b->env->store, run_id, RUN_CRASHED,
					 "the process running it is gone", NULL, &te) < 0)
			log_warn("run %lld: %s", (long long)run_id, err_text(&te));
		store_worker_remove(b->env->store, r->worker, NULL);
		rc = 0;
	}
	store_run_free(r);
	return rc;
}

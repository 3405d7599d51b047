/*
 * submit.c - what the command line and the console ask of the engine
 * through the store, with or without an engine running: submit a run
 * (parameters checked first), retry a finished run, cancel a run, suspend
 * or resume a task, and whether a live engine is there to take work.
 */
#include "engine/engine_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>


static int max_attempts_of(const struct project_flow *f)
{
	int count = f->retries.count;
	for (size_t i = 0; i < f->nsteps; i++)
		if (f->steps[i].has_retries && f->steps[i].retries.count > count)
			count = f->steps[i].retries.count;
	return 1 + (count > 0 ? count : 0);
}

static char *given_json(const struct project_kv *kv, size_t n)
{
	cJSON *o = cJSON_CreateObject();
	for (size_t i = 0; i < n; i++) {
		if (kv[i].value)
			cJSON_AddStringToObject(o, kv[i].key, kv[i].value);
		else
			cJSON_AddNullToObject(o, kv[i].key);
	}
	char *t = cJSON_PrintUnformatted(o);
	char *out = xstrdup(t);
	cJSON_free(t);
	cJSON_Delete(o);
	return out;
}

static int no_such_flow(const struct project *p, const char *name, struct err *e)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < p->nflows && i < 20; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", p->flows[i].name);
	err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project (%s%s)",
		name ? name : "", p->nflows ? "flows: " : "it has no flows", buf_str(&b));
	buf_free(&b);
	return -1;
}

#define IN_PROGRESS (RUN_STATE_BIT(RUN_PENDING) | RUN_STATE_BIT(RUN_LATE) | \
		     RUN_STATE_BIT(RUN_RUNNING) | RUN_STATE_BIT(RUN_RETRYING) | \
		     RUN_STATE_BIT(RUN_CANCELLING))

/* on_limit "refuse": is there room for one more run right now? */
static int check_refuse(struct store *s, const struct project_flow *f, struct err *e)
{
	if (f->on_limit != CONCURRENCY_REFUSE || f->concurrency <= 0)
		return 0;
	struct store_run_filter filt = { .flow = f->name, .states = IN_PROGRESS,
					 .limit = 3 };
	int64_t count = 0;
	if (store_run_count(s, &filt, &count, e) < 0)
		return -1;
	if (count < f->concurrency)
		return 0;
	struct vec runs = VEC_INIT;
	struct buf b = BUF_INIT;
	if (store_run_list(s, &filt, &runs, NULL) == 0) {
		for (size_t i = 0; i < runs.len; i++) {
			struct store_run *r = runs.items[i];
			buf_printf(&b, "%srun %lld is %s", i ? ", " : "", (long long)r->id,
				   run_state_name(r->state));
		}
	}
	err_set(e, ERR_CONFLICT, "flow %s is at its concurrency limit (%d run%s at a "
		"time, on_limit: refuse): %s", f->name, f->concurrency,
		f->concurrency == 1 ? "" : "s", buf_str(&b));
	store_run_list_free(&runs);
	buf_free(&b);
	return -1;
}

int engine_submit(struct store *s, const struct project *p,
		  const struct engine_run_request *req, int64_t *run_id,
		  struct err *e)
{
	if (run_id)
		*run_id = 0;
	const struct project_flow *f = project_flow(p, req->flow);
	if (!f)
		return no_such_flow(p, req->flow, e);
	struct err pe;
	err_clear(&pe);
	char *resolved = engine_params_resolve(f, req->params, req->nparams, &pe);
	if (resolved && check_refuse(s, f, e) < 0) {
		free(resolved);
		return -1;
	}
	char *params = resolved ? resolved : given_json(req->params, req->nparams);
	char *partition = project_partition_of(f, resolved);
	struct store_run_spec spec = {
		.flow = f->name, .params = params,
		.state = req->scheduled ? RUN_SCHEDULED : RUN_PENDING,
		.trigger = req->trigger, .trigger_detail = req->trigger_detail,
		.max_attempts = max_attempts_of(f),
		.environment = req->environment ? req->environment : p->env.name,
		.scheduled = req->scheduled, .parent_run = req->parent_run,
		.reason = req->reason ? req->reason : "submitted",
		.worker = req->reserved_for,
		.pool = req->pool ? req->pool : f->pool,
		.late_after = f->late_after,
		.partition = partition,
	};
	if (!resolved)
		spec.state = RUN_PENDING;
	int64_t id = 0;
	int rc = store_run_create(s, &spec, &id, e);
	free(params);
	free(partition);
	if (rc < 0)
		return -1;
	if (run_id)
		*run_id = id;
	if (resolved)
		return 0;
	/* A bad parameter fails the run before anything runs, naming it. */
	struct err te;
	if (store_run_transition(s, id, RUN_FAILED, "bad parameter", pe.msg, &te) < 0 &&
	    te.code != ERR_CONFLICT)
		log_warn("run %lld: cannot record the failure: %s", (long long)id,
			 err_text(&te));
	log_emit(LOG_INFO, id, NULL, NULL, NULL, 0, "run %lld of flow %s failed "
		 "before it started: %s", (long long)id, f->name, pe.msg);
	*e = pe;
	return -1;
}

int engine_retry(struct store *s, const struct project *p, int64_t run_id,
		 const char *reserved_for, int64_t *new_id, struct err *e)
{
	struct store_run *r = store_run_get(s, run_id, e);
	if (!r)
		return -1;
	if (!run_state_is_terminal(r->state)) {
		err_set(e, ERR_CONFLICT, "run %lld is %s; only a finished run can be "
			"retried (cancel it first)", (long long)run_id,
			run_state_name(r->state));
		store_run_free(r);
		return -1;
	}
	struct project_kv *kv = NULL;
	size_t n = 0;
	int rc = engine_params_from_json(r->params, &kv, &n, e);
	if (rc == 0) {
		char *reason = xasprintf("retry of run %lld", (long long)run_id);
		struct engine_run_request req = {
			.flow = r->flow, .params = kv, .nparams = n,
			.trigger = TRIGGER_RETRY, .parent_run = run_id, .reason = reason,
			.environment = r->environment, .reserved_for = reserved_for,
			.pool = r->pool,
		};
		rc = engine_submit(s, p, &req, new_id, e);
		free(reason);
	}
	engine_params_free(kv, n);
	store_run_free(r);
	return rc;
}

int engine_cancel(struct store *s, int64_t run_id, const char *by, struct err *e)
{
	for (int tries = 0; tries < 3; tries++) {
		struct store_run *r = store_run_get(s, run_id, e);
		if (!r)
			return -1;
		enum run_state st = r->state;
		store_run_free(r);
		enum run_state to;
		switch (st) {
		case RUN_SCHEDULED: case RUN_LATE: case RUN_PENDING: case RUN_RETRYING:
			to = RUN_CANCELLED;
			break;
		case RUN_RUNNING:
			to = RUN_CANCELLING;
			break;
		case RUN_CANCELLING:
			return 0;
		default:
			return err_set(e, ERR_CONFLICT, "run %lld has already finished (%s)",
				       (long long)run_id, run_state_name(st));
		}
		char *reason = xasprintf("%s by %s", to == RUN_CANCELLED ? "cancelled"
					 : "cancel requested", by ? by : "an operator");
		int rc = store_run_transition(s, run_id, to, reason, NULL, e);
		free(reason);
		if (rc == 0) {
			/* an operator's own decision, not a problem to warn of */
			log_emit(LOG_INFO, run_id, NULL, NULL, NULL, 0, "run %lld: %s -> %s "
				 "(asked by %s)", (long long)run_id, run_state_name(st),
				 run_state_name(to), by ? by : "an operator");
			return 0;
		}
		if (e && e->code != ERR_CONFLICT)
			return -1;
		/* It moved meanwhile (a worker claimed it): look again. */
	}
	return -1;
}

int engine_alive(struct store *s, usec_t lease, bool *alive, struct err *e)
{
	*alive = false;
	struct vec ws = VEC_INIT;
	if (store_worker_list(s, &ws, e) < 0)
		return -1;
	/* One killed on this host has not unregistered: it is not there,
	 * however fresh its last heartbeat (engine_worker_lost). */
	for (size_t i = 0; i < ws.len; i++)
		if (engine_worker_serving(ws.items[i], lease))
			*alive = true;
	store_worker_list_free(&ws);
	return 0;
}

char *engine_task_state(struct store *s, const struct project *p, const char *task,
			usec_t *since, struct err *e)
{
	const struct project_task *t = project_task(p, task);
	if (!t) {
		err_set(e, ERR_NOTFOUND, "no task named \"%s\" in the project", task);
		return NULL;
	}
	char *object = xasprintf("task:%s", task);
	struct store_object_state *o = NULL;
	int rc = store_object_get(s, object, &o, e);
	free(object);
	if (rc < 0)
		return NULL;
	char *state;
	if (rc == 1) {
		state = xstrdup(o->state);
		if (since)
			*since = o->changed;
	} else {
		state = xstrdup(t->start_suspended ? TASK_STATE_SUSPENDED : TASK_STATE_STARTED);
		if (since)
			*since = 0;
	}
	store_object_free(o);
	return state;
}

int engine_task_set(struct store *s, const struct project *p, const char *task,
		    bool started, const char *by, struct err *e)
{
	if (!project_task(p, task))
		return err_set(e, ERR_NOTFOUND, "no task named \"%s\" in the project", task);
	char *object = xasprintf("task:%s", task);
	int rc = store_object_set(s, object, started ? TASK_STATE_STARTED
				  : TASK_STATE_SUSPENDED,
				  started ? "resumed" : "suspended", by, e);
	if (rc == 0)
		log_emit(LOG_INFO, 0, NULL, object, NULL, 0, "%s by %s",
			 started ? "resumed" : "suspended", by ? by : "an operator");
	free(object);
	return rc;
}

/*
 * backfill.c - the guided rebuild of a flow's tables (DESIGN.md "Backfill").
 *
 * A backfill walks through seven steps, each started by an operator and
 * each leaving the backfill WAITING for the next word:
 *
 *   plan      (start)   the dry run: tables to rebuild, rows to read from
 *                       raw history, tasks to suspend; recorded as is
 *   suspend   (next)    the flow's STARTED tasks become SUSPENDED; which
 *                       ones is recorded first, so resume restores exactly
 *                       those
 *   rebuild   (next)    the flow runs in backfill mode (trigger backfill):
 *                       loads write TABLE_backfill, streams are read from
 *                       the start without moving, extract/ingest/http/
 *                       notify are skipped
 *   validate  (next)    the flow's validate steps, on the backfill tables
 *   compare   (next)    each target against its backfill (compare.c); the
 *                       channels that want backfill_waiting are told
 *   approve | discard   one transaction per connection: TABLE -> TABLE_old
 *                       (the previous TABLE_old dropped) and TABLE_backfill
 *                       -> TABLE; or the backfill tables dropped
 *   resume    (next)    the suspended tasks start again; the backfill ends
 *                       COMPLETED (approved) or DISCARDED
 *
 * Where it stands lives in the store (store_backfill_*): `step` is the
 * step taken last and `state` says whether it is done (WAITING), running
 * (WORKING) or failed (FAILED, retried by `next`).  What the steps learn
 * (the plan, the tasks suspended, the runs, the validation, the swap) is
 * kept in the backfill's JSON record (the store's plan column), so any
 * process on any host can continue.
 *
 * A process working on a step holds the store lease "backfill:ID" (renewed
 * by a heartbeat thread, which also keeps the process registered as a
 * worker so an engine's crash recovery leaves its runs alone).  A step
 * found WORKING whose holder is gone (its pid is dead on this host, or its
 * lease lapsed) was interrupted: it is recorded FAILED and run again.
 * Every step can be run again: suspend reuses the recorded task list,
 * rebuild adopts its run when that run is still going and otherwise starts
 * afresh, the swap records itself in the target database's ledger in its
 * own transaction, discard and resume are idempotent.
 */
#include "steps/steps_int.h"
#include "db/db.h"
#include "lake/lake.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LEASE_TTL        (30 * USEC_PER_SEC)
#define HEARTBEAT_EVERY  (5 * USEC_PER_SEC)
#define FAR_FUTURE       (INT64_C(100) * 365 * 24 * 3600 * USEC_PER_SEC)

/* What a command runs against a backfill; one per public entry point. */
struct bf {
	const struct backfill_env *env;
	struct store_backfill *row;
	cJSON *rec;                   /* the record: {"plan": ..., ...} */
	const struct project_flow *flow;
	struct step_conns *conns;
	char holder[300];
	char worker[320];
	/* the heartbeat */
	pthread_t hb;
	bool hb_running;
	pthread_mutex_t hb_lock;
	pthread_cond_t hb_cond;
	bool hb_stop;
	struct err hb_err;
};

/* ---- small helpers ---------------------------------------------------------------- */

static void say(const struct bf *b, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void say(const struct bf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	if (b->env->progress)
		b->env->progress(b->env->progress_arg, line);
	log_emit(LOG_INFO, 0, NULL, b->row ? b->row->flow : NULL, NULL, 0,
		 "backfill %lld: %s", b->row ? (long long)b->row->id : 0LL, line);
	free(line);
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t jint(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void jset(cJSON *o, const char *key, cJSON *v)
{
	if (cJSON_GetObjectItemCaseSensitive(o, key))
		cJSON_ReplaceItemInObjectCaseSensitive(o, key, v);
	else
		cJSON_AddItemToObject(o, key, v);
}

static void jset_int(cJSON *o, const char *key, int64_t v)
{
	jset(o, key, cJSON_CreateNumber((double)v));
}

static void jset_str(cJSON *o, const char *key, const char *v)
{
	jset(o, key, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void jset_time(cJSON *o, const char *key, usec_t t)
{
	char iso[32];
	if (!t) {
		jset(o, key, cJSON_CreateNull());
		return;
	}
	time_format_iso(t, iso);
	jset_str(o, key, iso);
}

static cJSON *jobj(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	if (!cJSON_IsObject(v)) {
		v = cJSON_CreateObject();
		jset(o, key, v);
	}
	return v;
}

static char *target_name(const char *table, const char *suffix)
{
	return xasprintf("%s%s", table, suffix);
}

static const char *hostname(char *buf, size_t n)
{
	if (gethostname(buf, n - 1) < 0)
		snprintf(buf, n, "localhost");
	buf[n - 1] = '\0';
	return buf;
}

/* ---- the plan ------------------------------------------------------------------------
 * Targets come from the flow's load steps; raw history from the streams the
 * flow reads, the pipes it ingests and the tables it normalizes (or, when
 * there are none, the tables its loads read). */

static bool kind_skipped(enum step_kind k)
{
	return k == STEP_EXTRACT || k == STEP_INGEST || k == STEP_HTTP || k == STEP_NOTIFY;
}

static void add_note(cJSON *plan, const char *list, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void add_note(cJSON *plan, const char *list, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *text = xvasprintf(fmt, ap);
	va_end(ap);
	cJSON *arr = cJSON_GetObjectItemCaseSensitive(plan, list);
	cJSON_AddItemToArray(arr, cJSON_CreateString(text));
	free(text);
}

static cJSON *find_target(cJSON *targets, const char *conn, const char *table)
{
	cJSON *t;
	cJSON_ArrayForEach(t, targets)
		if (str_eq(jstr(t, "connection"), conn) && str_eq(jstr(t, "table"), table))
			return t;
	return NULL;
}

/* 1 exists (rows in *rows when not NULL), 0 not, -1 error. */
static int table_rows(struct db *db, const char *table, int64_t *rows, struct err *e)
{
	int ex = db_table_exists(db, table, e);
	if (ex != 1)
		return ex;
	if (rows && db_row_count(db, table, rows, e) < 0)
		return -1;
	return 1;
}

static void plan_target(const struct project *p, struct step_conns *conns, cJSON *plan,
			const struct project_step *s)
{
	const char *conn = sj_string(s->spec, "connection");
	const char *table = sj_string(s->spec, "table");
	if (!conn || !table)
		return;
	cJSON *targets = cJSON_GetObjectItemCaseSensitive(plan, "targets");
	cJSON *t = find_target(targets, conn, table);
	if (t) {
		cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(t, "steps"),
				     cJSON_CreateString(s->name));
		return;
	}
	t = cJSON_CreateObject();
	cJSON_AddItemToArray(targets, t);
	jset_str(t, "table", table);
	jset_str(t, "connection", conn);
	cJSON *steps = cJSON_AddArrayToObject(t, "steps");
	cJSON_AddItemToArray(steps, cJSON_CreateString(s->name));
	const char *mode = sj_string(s->spec, "mode");
	jset_str(t, "mode", mode ? mode : "append");
	struct vec key = VEC_INIT;
	sj_strings(s->spec, "key", &key);
	const char *key_from = "load step";
	const struct project_table *note = project_table(p, table);
	if (key.len == 0 && note && (!note->connection || str_eq(note->connection, conn))) {
		for (size_t i = 0; i < note->nkey; i++)
			vec_push(&key, note->key[i]);
		key_from = "table note";
	}
	cJSON *k = cJSON_AddArrayToObject(t, "key");
	for (size_t i = 0; i < key.len; i++)
		cJSON_AddItemToArray(k, cJSON_CreateString(key.items[i]));
	jset_str(t, "key_from", key.len ? key_from : NULL);
	if (key.len == 0)
		add_note(plan, "problems", "table %s (load step %s) has no key: compare "
			 "needs one; set \"key\" on the load step or tables.%s.key",
			 table, s->name, table);
	vec_free(&key);
	char *bft = target_name(table, BACKFILL_SUFFIX), *old = target_name(table, BACKFILL_OLD_SUFFIX);
	jset_str(t, "backfill_table", bft);
	jset_str(t, "old_table", old);
	struct err e = { 0 };
	struct db *db = step_conns_get(conns, conn, &e);
	int64_t rows = 0;
	int ex = db ? table_rows(db, table, &rows, &e) : -1;
	if (ex < 0) {
		add_note(plan, "problems", "connection %s: %s", conn, err_text(&e));
	} else {
		jset(t, "exists", cJSON_CreateBool(ex == 1));
		if (ex == 1)
			jset_int(t, "rows", rows);
		else
			jset(t, "rows", cJSON_CreateNull());
		if (table_rows(db, bft, NULL, &e) == 1)
			add_note(plan, "warnings", "%s exists (left by an earlier backfill?): "
				 "the rebuild replaces it", bft);
		if (table_rows(db, old, NULL, &e) == 1)
			add_note(plan, "warnings", "%s (kept by the last backfill) is dropped "
				 "when this one is approved", old);
	}
	free(bft);
	free(old);
}

static void plan_source(struct step_conns *conns, cJSON *plan, const char *conn,
			const char *table, const char *via, const char *step)
{
	cJSON *sources = cJSON_GetObjectItemCaseSensitive(plan, "sources");
	if (find_target(sources, conn, table))
		return;
	cJSON *s = cJSON_CreateObject();
	cJSON_AddItemToArray(sources, s);
	jset_str(s, "table", table);
	jset_str(s, "connection", conn);
	jset_str(s, "via", via);
	jset_str(s, "step", step);
	struct err e = { 0 };
	struct db *db = step_conns_get(conns, conn, &e);
	int64_t rows = 0;
	int ex = db ? table_rows(db, table, &rows, &e) : -1;
	if (ex < 0)
		add_note(plan, "warnings", "cannot count %s on %s: %s", table, conn,
			 err_text(&e));
	if (ex == 1) {
		jset_int(s, "rows", rows);
		jset_int(plan, "rows_planned", jint(plan, "rows_planned") + rows);
	} else {
		jset(s, "rows", cJSON_CreateNull());
	}
	cJSON *reading = cJSON_GetObjectItemCaseSensitive(plan, "reading_steps");
	bool listed = false;
	cJSON *r;
	cJSON_ArrayForEach(r, reading)
		listed |= str_eq(r->valuestring, step);
	if (!listed)
		cJSON_AddItemToArray(reading, cJSON_CreateString(step));
}

static void plan_stream(const struct project *p, struct step_conns *conns, cJSON *plan,
			const char *name, const char *step)
{
	const struct project_stream *st = project_stream(p, name);
	if (!st)
		return;
	char *via = xasprintf("stream %s (all history)", name);
	plan_source(conns, plan, st->connection, st->table, via, step);
	free(via);
}

static void plan_sources(const struct project *p, const struct project_flow *f,
			 struct step_conns *conns, cJSON *plan)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct project_step *s = &f->steps[i];
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
		if (s->kind == STEP_INGEST) {
			const struct project_pipe *pp = project_pipe(p, sj_string(s->spec, "pipe"));
			if (pp) {
				char *via = xasprintf("pipe %s (raw table)", pp->name);
				plan_source(conns, plan, pp->connection, pp->table, via, s->name);
				free(via);
			}
		} else if (s->kind == STEP_NORMALIZE && from) {
			const char *conn = sj_string(from, "connection");
			if (!conn)
				conn = sj_string(s->spec, "connection");
			if (sj_string(from, "stream"))
				plan_stream(p, conns, plan, sj_string(from, "stream"), s->name);
			else if (sj_string(from, "table") && conn)
				plan_source(conns, plan, conn, sj_string(from, "table"),
					    "table", s->name);
		} else if (s->kind == STEP_LOAD) {
			struct vec consumes = VEC_INIT;
			sj_strings(s->spec, "consumes", &consumes);
			for (size_t k = 0; k < consumes.len; k++)
				plan_stream(p, conns, plan, consumes.items[k], s->name);
			vec_free(&consumes);
		}
	}
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(plan, "sources")) > 0)
		return;
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct project_step *s = &f->steps[i];
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
		if (s->kind != STEP_LOAD || !from || !sj_string(from, "table"))
			continue;
		const char *conn = sj_string(from, "connection");
		if (!conn)
			conn = sj_string(s->spec, "connection");
		if (conn)
			plan_source(conns, plan, conn, sj_string(from, "table"), "table", s->name);
	}
}

static const char *step_in_backfill(const struct project_flow *f, const struct project_step *s,
				    char *buf, size_t n)
{
	if (kind_skipped(s->kind))
		return "skipped";
	const char *conn = sj_string(s->spec, "connection");
	const char *table = sj_string(s->spec, "table");
	if (s->kind == STEP_LOAD && table)
		snprintf(buf, n, "writes %s%s", table, BACKFILL_SUFFIX);
	else if (s->kind == STEP_VALIDATE && table && flow_loads_table(f, conn, table))
		snprintf(buf, n, "checks %s%s", table, BACKFILL_SUFFIX);
	else if (s->kind == STEP_NORMALIZE &&
		 sj_string(cJSON_GetObjectItemCaseSensitive(s->spec, "from"), "stream"))
		snprintf(buf, n, "reads all history of stream %s",
			 sj_string(cJSON_GetObjectItemCaseSensitive(s->spec, "from"), "stream"));
	else
		snprintf(buf, n, "runs");
	return buf;
}

/* Defaults, then the given values, each checked against its declaration. */
static void plan_params(const struct project_flow *f, const struct project_kv *given,
			size_t ngiven, cJSON *plan)
{
	cJSON *out = cJSON_AddObjectToObject(plan, "params");
	for (size_t i = 0; i < ngiven; i++) {
		bool known = false;
		for (size_t k = 0; k < f->nparams; k++)
			known |= strcmp(f->params[k].name, given[i].key) == 0;
		if (!known)
			add_note(plan, "problems", "flow %s has no parameter \"%s\"", f->name,
				 given[i].key);
	}
	for (size_t k = 0; k < f->nparams; k++) {
		const struct project_param *pp = &f->params[k];
		const char *v = pp->default_value;
		bool have = pp->has_default;
		for (size_t i = 0; i < ngiven; i++)
			if (strcmp(given[i].key, pp->name) == 0) {
				v = given[i].value;
				have = true;
			}
		if (!have) {
			add_note(plan, "problems", "parameter \"%s\" of flow %s has no default: "
				 "give it (NAME=VALUE)", pp->name, f->name);
			continue;
		}
		struct err e = { 0 };
		if (param_check(pp, v, &e) < 0)
			add_note(plan, "problems", "%s", err_text(&e));
		if (v)
			cJSON_AddStringToObject(out, pp->name, v);
		else
			cJSON_AddNullToObject(out, pp->name);
	}
}

static char *task_state(struct store *s, const struct project_task *t, usec_t *since,
			char **by, char **reason, struct err *e)
{
	char *object = xasprintf("task:%s", t->name);
	struct store_object_state *o = NULL;
	int rc = store_object_get(s, object, &o, e);
	free(object);
	if (rc < 0)
		return NULL;
	char *state = xstrdup(rc == 1 ? o->state : t->start_suspended ? "SUSPENDED" : "STARTED");
	if (since)
		*since = rc == 1 ? o->changed : 0;
	if (by)
		*by = rc == 1 ? xstrdup(o->changed_by) : NULL;
	if (reason)
		*reason = rc == 1 ? xstrdup(o->reason) : NULL;
	store_object_free(o);
	return state;
}

static int plan_tasks_and_runs(const struct backfill_env *env, const struct project_flow *f,
			       cJSON *plan, struct err *e)
{
	const struct project *p = env->project;
	cJSON *tasks = cJSON_AddArrayToObject(plan, "tasks");
	for (size_t i = 0; i < p->ntasks; i++) {
		const struct project_task *t = &p->tasks[i];
		if (!str_eq(t->flow, f->name))
			continue;
		char *st = task_state(env->store, t, NULL, NULL, NULL, e);
		if (!st)
			return -1;
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "task", t->name);
		jset_str(o, "state", st);
		jset(o, "suspend", cJSON_CreateBool(strcmp(st, "STARTED") == 0));
		cJSON_AddItemToArray(tasks, o);
		free(st);
	}
	struct store_run_filter rf = {
		.flow = f->name, .limit = 20,
		.states = RUN_STATE_BIT(RUN_SCHEDULED) | RUN_STATE_BIT(RUN_LATE) |
			  RUN_STATE_BIT(RUN_PENDING) | RUN_STATE_BIT(RUN_RUNNING) |
			  RUN_STATE_BIT(RUN_RETRYING) | RUN_STATE_BIT(RUN_CANCELLING),
	};
	struct vec runs = VEC_INIT;
	if (store_run_list(env->store, &rf, &runs, e) < 0)
		return -1;
	cJSON *busy = cJSON_AddArrayToObject(plan, "runs_in_progress");
	for (size_t i = 0; i < runs.len; i++) {
		struct store_run *r = runs.items[i];
		if (r->trigger == TRIGGER_BACKFILL)
			continue;
		cJSON_AddItemToArray(busy, cJSON_CreateNumber((double)r->id));
		add_note(plan, "warnings", "run %lld of flow %s is %s: approving waits "
			 "until no run of the flow is in progress", (long long)r->id, f->name,
			 run_state_name(r->state));
	}
	store_run_list_free(&runs);
	return 0;
}

cJSON *backfill_plan(const struct backfill_env *env, const char *flow,
		     const struct project_kv *params, size_t nparams, struct err *e)
{
	const struct project_flow *f = project_flow(env->project, flow);
	if (!f) {
		err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project", flow);
		return NULL;
	}
	cJSON *plan = cJSON_CreateObject();
	jset_str(plan, "flow", f->name);
	cJSON_AddArrayToObject(plan, "problems");
	cJSON_AddArrayToObject(plan, "warnings");
	cJSON_AddArrayToObject(plan, "targets");
	cJSON_AddArrayToObject(plan, "sources");
	cJSON_AddArrayToObject(plan, "reading_steps");
	jset_int(plan, "rows_planned", 0);
	plan_params(f, params, nparams, plan);
	struct step_conns *conns = step_conns_new(env->project, true);
	for (size_t i = 0; i < f->nsteps; i++)
		if (f->steps[i].kind == STEP_LOAD)
			plan_target(env->project, conns, plan, &f->steps[i]);
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(plan, "targets")) == 0)
		add_note(plan, "problems", "flow %s has no load step: it builds no table a "
			 "backfill could rebuild", f->name);
	plan_sources(env->project, f, conns, plan);
	step_conns_free(conns);
	cJSON *steps = cJSON_AddArrayToObject(plan, "steps");
	for (size_t i = 0; i < f->nsteps; i++) {
		char what[300];
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "step", f->steps[i].name);
		jset_str(o, "kind", step_kind_name(f->steps[i].kind));
		jset_str(o, "backfill", step_in_backfill(f, &f->steps[i], what, sizeof what));
		cJSON_AddItemToArray(steps, o);
	}
	if (plan_tasks_and_runs(env, f, plan, e) < 0) {
		cJSON_Delete(plan);
		return NULL;
	}
	return plan;
}

/* ---- the record and the store ------------------------------------------------------------ */

static cJSON *record_of(const struct store_backfill *row)
{
	cJSON *rec = row->plan ? cJSON_Parse(row->plan) : NULL;
	if (!cJSON_IsObject(rec)) {
		cJSON_Delete(rec);
		rec = cJSON_CreateObject();
	}
	return rec;
}

/* Move to (step, state), saving the record; error NULL clears it. */
static int move(struct bf *b, const char *step, enum backfill_state state,
		const char *compare_json, const char *error, const char *note,
		struct err *e)
{
	char *rec = cJSON_PrintUnformatted(b->rec);
	int rc = store_backfill_update(b->env->store, b->row->id, step, state, rec,
				       compare_json, error, b->env->by, note, e);
	free(rec);
	if (rc < 0)
		return -1;
	free(b->row->step);
	b->row->step = xstrdup(step);
	b->row->state = state;
	return 0;
}

static int load_active(struct bf *b, const char *flow, struct err *e)
{
	b->flow = project_flow(b->env->project, flow);
	if (!b->flow)
		return err_set(e, ERR_NOTFOUND, "no flow named \"%s\" in the project", flow);
	int rc = store_backfill_active(b->env->store, flow, &b->row, e);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return err_set(e, ERR_NOTFOUND, "flow %s has no backfill in progress "
			       "(start one with 'sluice backfill start %s')", flow, flow);
	b->rec = record_of(b->row);
	return 0;
}

static void bf_free(struct bf *b)
{
	store_backfill_free(b->row);
	cJSON_Delete(b->rec);
	step_conns_free(b->conns);
}

static struct step_conns *conns_of(struct bf *b)
{
	if (!b->conns)
		b->conns = step_conns_new(b->env->project, false);
	return b->conns;
}

/* ---- ownership: the lease and its heartbeat ---------------------------------------------- */

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
static bool holder_dead_here(const char *holder)
{
	char host[256];
	hostname(host, sizeof host);
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
static int take(struct bf *b, struct err *e)
{
	char host[256];
	snprintf(b->holder, sizeof b->holder, "%s:%ld", hostname(host, sizeof host),
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
		if (attempt == 0 && holder_dead_here(cur)) {
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
	b->rec = record_of(now);
	pthread_mutex_init(&b->hb_lock, NULL);
	pthread_cond_init(&b->hb_cond, NULL);
	b->hb_stop = false;
	b->hb_running = pthread_create(&b->hb, NULL, heartbeat_main, b) == 0;
	return 0;
}

static void release(struct bf *b)
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

/* A step left WORKING by a process that is gone (we hold the lease now,
 * so it is gone) was interrupted: record that, then it runs again. */
static int settle_interrupted(struct bf *b, struct err *e)
{
	if (b->row->state != BACKFILL_WORKING)
		return 0;
	char *msg = xasprintf("interrupted: the process running step %s is gone",
			      b->row->step);
	say(b, "%s; running it again", msg);
	int rc = move(b, b->row->step, BACKFILL_FAILED, NULL, msg, "interrupted", e);
	free(msg);
	return rc;
}

static int begin_step(struct bf *b, const char *step, struct err *e)
{
	char note[400];
	snprintf(note, sizeof note, "started by process %s", b->holder);
	say(b, "step %s", step);
	return move(b, step, BACKFILL_WORKING, NULL, NULL, note, e);
}

static int fail_step(struct bf *b, const char *step, const struct err *why, struct err *e)
{
	char *msg = xasprintf("%s", err_text(why));
	struct err me = { 0 };
	int rc = move(b, step, BACKFILL_FAILED, NULL, msg, "failed", &me);
	free(msg);
	*e = *why;
	err_prefix(e, "backfill %lld: step %s failed: ", (long long)b->row->id, step);
	if (rc < 0)
		err_prefix(e, "(and recording that failed: %s) ", err_text(&me));
	return -1;
}

/* ---- the targets ----------------------------------------------------------------------------- */

struct target {
	const char *table, *connection;
	char *backfill, *old;
	const char **key;
	size_t nkey;
};

static size_t targets_of(const cJSON *rec, struct target **out)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "targets");
	size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
	struct target *t = xcalloc(n ? n : 1, sizeof *t);
	const cJSON *o;
	cJSON_ArrayForEach(o, arr) {
		t[i].table = jstr(o, "table");
		t[i].connection = jstr(o, "connection");
		t[i].backfill = target_name(t[i].table, BACKFILL_SUFFIX);
		t[i].old = target_name(t[i].table, BACKFILL_OLD_SUFFIX);
		const cJSON *key = cJSON_GetObjectItemCaseSensitive(o, "key");
		t[i].nkey = (size_t)cJSON_GetArraySize(key);
		t[i].key = xcalloc(t[i].nkey ? t[i].nkey : 1, sizeof(char *));
		size_t k = 0;
		const cJSON *kv;
		cJSON_ArrayForEach(kv, key)
			t[i].key[k++] = kv->valuestring;
		i++;
	}
	*out = t;
	return n;
}

static void targets_free(struct target *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].backfill);
		free(t[i].old);
		free(t[i].key);
	}
	free(t);
}

/* Drop every TABLE_backfill, one transaction per connection. */
static int drop_backfill_tables(struct bf *b, cJSON *dropped, struct err *e)
{
	struct target *t;
	size_t n = targets_of(b->rec, &t);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct db *db = step_conns_get(conns_of(b), t[i].connection, e);
		if (!db) {
			rc = -1;
			break;
		}
		int ex = db_table_exists(db, t[i].backfill, e);
		if (ex < 0 || (ex == 1 && db_drop_table(db, t[i].backfill, true, e) < 0)) {
			rc = -1;
			break;
		}
		if (ex == 1 && dropped)
			cJSON_AddItemToArray(dropped, cJSON_CreateString(t[i].backfill));
	}
	targets_free(t, n);
	return rc;
}

/* ---- suspend and resume ----------------------------------------------------------------------- */

static bool json_has(const cJSON *arr, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
		if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
			return true;
	return false;
}

static int step_suspend(struct bf *b, struct err *e)
{
	const struct project *p = b->env->project;
	/* Record the list before touching a task: a rerun after a crash then
	 * knows which SUSPENDED tasks are ours. */
	cJSON *ours = cJSON_GetObjectItemCaseSensitive(b->rec, "suspended");
	if (!cJSON_IsArray(ours)) {
		ours = cJSON_CreateArray();
		jset(b->rec, "suspended", ours);
	}
	for (size_t i = 0; i < p->ntasks; i++) {
		const struct project_task *t = &p->tasks[i];
		if (!str_eq(t->flow, b->row->flow))
			continue;
		char *st = task_state(b->env->store, t, NULL, NULL, NULL, e);
		if (!st)
			return -1;
		if (strcmp(st, "STARTED") == 0 && !json_has(ours, t->name))
			cJSON_AddItemToArray(ours, cJSON_CreateString(t->name));
		free(st);
	}
	if (move(b, "suspend", BACKFILL_WORKING, NULL, NULL, "tasks to suspend recorded", e) < 0)
		return -1;
	char reason[128];
	snprintf(reason, sizeof reason, "suspended by backfill %lld of flow %s",
		 (long long)b->row->id, b->row->flow);
	const cJSON *v;
	cJSON_ArrayForEach(v, ours) {
		char *object = xasprintf("task:%s", v->valuestring);
		int rc = store_object_set(b->env->store, object, "SUSPENDED", reason,
					  b->env->by, e);
		free(object);
		if (rc < 0)
			return -1;
		say(b, "task %s suspended", v->valuestring);
	}
	if (cJSON_GetArraySize(ours) == 0)
		say(b, "no started task triggers flow %s", b->row->flow);
	return move(b, "suspend", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

static int step_resume(struct bf *b, struct err *e)
{
	bool approved = str_eq(jstr(b->rec, "decision"), "approve");
	cJSON *ours = cJSON_GetObjectItemCaseSensitive(b->rec, "suspended");
	cJSON *resumed = cJSON_CreateArray(), *left = cJSON_CreateArray();
	char mark[64];
	snprintf(mark, sizeof mark, "backfill %lld ", (long long)b->row->id);
	const cJSON *v;
	cJSON_ArrayForEach(v, ours) {
		const struct project_task *t = project_task(b->env->project, v->valuestring);
		if (!t)
			continue;
		char *by = NULL, *reason = NULL;
		char *st = task_state(b->env->store, t, NULL, &by, &reason, e);
		if (!st) {
			cJSON_Delete(resumed);
			cJSON_Delete(left);
			return -1;
		}
		/* Only what we suspended, and only if nobody changed it since. */
		bool mine = strcmp(st, "SUSPENDED") == 0 && reason && strstr(reason, mark);
		int rc = 0;
		if (mine) {
			char *object = xasprintf("task:%s", t->name);
			char why[160];
			snprintf(why, sizeof why, "resumed by backfill %lld (%s)",
				 (long long)b->row->id, approved ? "approved" : "discarded");
			rc = store_object_set(b->env->store, object, "STARTED", why,
					      b->env->by, e);
			free(object);
			cJSON_AddItemToArray(resumed, cJSON_CreateString(t->name));
			say(b, "task %s started again", t->name);
		} else if (strcmp(st, "STARTED") != 0) {
			cJSON *o = cJSON_CreateObject();
			jset_str(o, "task", t->name);
			jset_str(o, "state", st);
			jset_str(o, "changed_by", by);
			cJSON_AddItemToArray(left, o);
			say(b, "task %s left %s: %s changed it during the backfill", t->name,
			    st, by ? by : "someone");
		}
		free(st);
		free(by);
		free(reason);
		if (rc < 0) {
			cJSON_Delete(resumed);
			cJSON_Delete(left);
			return -1;
		}
	}
	jset(b->rec, "resumed", resumed);
	jset(b->rec, "left_alone", left);
	return move(b, "resume", approved ? BACKFILL_COMPLETED : BACKFILL_DISCARDED,
		    NULL, NULL, approved ? "completed" : "discarded", e);
}

/* ---- runs in this process ------------------------------------------------------------------
 * The validate step (and the rebuild when no engine runner was given)
 * runs steps here through steps_run, as a run of its own with trigger
 * backfill, claimed by this process as worker "backfill:HOST:PID". */

static bool needs_done(const struct project_flow *f, const struct project_step *s,
		       const bool *done)
{
	for (size_t n = 0; n < s->nneeds; n++)
		for (size_t i = 0; i < f->nsteps; i++)
			if (strcmp(f->steps[i].name, s->needs[n]) == 0 && !done[i])
				return false;
	return true;
}

static struct project_kv *params_of(const cJSON *rec, size_t *n)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "params");
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

static char *params_json(const cJSON *rec)
{
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(rec, "plan"), "params");
	return obj ? cJSON_PrintUnformatted(obj) : xstrdup("{}");
}

static int create_own_run(struct bf *b, const char *what, int64_t *run_id, struct err *e)
{
	char host[256], detail[32], reason[128];
	snprintf(detail, sizeof detail, "%lld", (long long)b->row->id);
	snprintf(reason, sizeof reason, "backfill %lld: %s, run by the backfill itself",
		 (long long)b->row->id, what);
	char *params = params_json(b->rec);
	/* SCHEDULED far ahead, then claimed at once: no engine takes it first,
	 * and with one attempt crash recovery ends it CRASHED, never retries. */
	struct store_run_spec spec = {
		.flow = b->row->flow, .params = params, .state = RUN_SCHEDULED,
		.trigger = TRIGGER_BACKFILL, .trigger_detail = detail, .max_attempts = 1,
		.environment = b->env->project->env.name,
		.scheduled = clock_now_us() + FAR_FUTURE, .reason = reason,
	};
	int rc = store_run_create(b->env->store, &spec, run_id, e);
	free(params);
	if (rc < 0)
		return -1;
	snprintf(b->worker, sizeof b->worker, "backfill:%s:%ld", hostname(host, sizeof host),
		 (long)getpid());
	if (store_worker_register(b->env->store, b->worker, host, getpid(), e) < 0)
		return -1;
	struct store_run *r = NULL;
	if (store_run_claim_id(b->env->store, *run_id, b->worker, &r, e) < 0)
		return -1;
	store_run_free(r);
	return 0;
}

struct inproc {
	int64_t rows_in, rows_out;
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
	size_t np;
	struct project_kv *params = params_of(b->rec, &np);
	struct step_ctx ctx = {
		.project = b->env->project, .flow = b->flow, .step = s, .run_id = run_id,
		.attempt = 1, .run_start = run_start, .params = params, .nparams = np,
		.backfill = true, .store = b->env->store, .conns = conns_of(b),
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
		say(b, "  %s: FAILED: %s", s->name, err_text(&e));
	} else {
		ip->rows_in += ctx.rows_in;
		ip->rows_out += ctx.rows_out;
		say(b, "  %s: %s, %lld rows in, %lld out%s%s", s->name,
		    ctx.skipped ? "skipped" : "done", (long long)ctx.rows_in,
		    (long long)ctx.rows_out, ctx.summary ? "; " : "",
		    ctx.summary ? ctx.summary : "");
		struct err re = { 0 };
		store_run_set_rows(b->env->store, run_id, ip->rows_in, ip->rows_out, &re);
	}
	free(ctx.summary);
	free(params);
	return rc;
}

/* Run the flow's steps that `want` selects, in dependency order, as run
 * `run_id`.  0 when every one succeeded; -1 with e set otherwise (the run
 * is settled either way). */
static int run_steps_here(struct bf *b, int64_t run_id, bool (*want)(enum step_kind),
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
	return rc;
}

/* ---- rebuild ----------------------------------------------------------------------------------- */

static bool want_all(enum step_kind k)
{
	(void)k;
	return true;
}

static bool want_validate(enum step_kind k)
{
	return k == STEP_VALIDATE;
}

/* The recorded rebuild run, if it is still going, is adopted. */
static int rebuild_adopt(struct bf *b, int64_t *run_id, bool *adopt, struct err *e)
{
	*adopt = false;
	*run_id = jint(jobj(b->rec, "rebuild"), "run_id");
	if (!*run_id)
		return 0;
	struct store_run *r = store_run_get(b->env->store, *run_id, e);
	if (!r)
		return e->code == ERR_NOTFOUND ? (err_clear(e), 0) : -1;
	bool live = !run_state_is_terminal(r->state);
	bool ours = r->worker && str_starts_with(r->worker, "backfill:");
	store_run_free(r);
	if (live && ours && b->env->hooks && b->env->hooks->finish)
		ours = false;   /* an engine settles a run whose worker is gone */
	if (live && ours) {
		/* Run by an earlier process of ours that is gone: it crashed. */
		struct err te = { 0 };
		store_run_transition(b->env->store, *run_id, RUN_CRASHED,
				     "the backfill process running it is gone", NULL, &te);
		return 0;
	}
	*adopt = live;
	return 0;
}

static int rebuild_submit(struct bf *b, int64_t *run_id, struct err *e)
{
	cJSON *dropped = cJSON_CreateArray();
	int rc = drop_backfill_tables(b, dropped, e);
	if (rc == 0 && cJSON_GetArraySize(dropped) > 0)
		say(b, "dropped tables left by an earlier rebuild");
	cJSON_Delete(dropped);
	if (rc < 0)
		return -1;
	const struct backfill_hooks *h = b->env->hooks;
	if (h && h->submit) {
		size_t np;
		struct project_kv *params = params_of(b->rec, &np);
		rc = h->submit(h->arg, b->row->flow, params, np, b->row->id, run_id, e);
		free(params);
		return rc;
	}
	return create_own_run(b, "rebuild", run_id, e);
}

static void rebuild_progress(struct bf *b, int64_t run_id, cJSON *out);

static int step_rebuild(struct bf *b, struct err *e)
{
	int64_t run_id = 0;
	bool adopt = false;
	if (rebuild_adopt(b, &run_id, &adopt, e) < 0)
		return -1;
	cJSON *rb = jobj(b->rec, "rebuild");
	if (!adopt) {
		if (rebuild_submit(b, &run_id, e) < 0)
			return -1;
		jset_time(rb, "started", clock_now_us());
	}
	jset_int(rb, "run_id", run_id);
	if (move(b, "rebuild", BACKFILL_WORKING, NULL, NULL, adopt ? "following run"
		 : "run created", e) < 0)
		return -1;
	say(b, "%s run %lld of flow %s in backfill mode", adopt ? "following" : "started",
	    (long long)run_id, b->row->flow);
	const struct backfill_hooks *h = b->env->hooks;
	int rc;
	if (h && h->finish)
		rc = h->finish(h->arg, run_id, e);
	else
		rc = run_steps_here(b, run_id, want_all, e);
	struct store_run *r = store_run_get(b->env->store, run_id, rc < 0 ? NULL : e);
	if (!r)
		return -1;
	rebuild_progress(b, run_id, rb);
	jset_time(rb, "ended", r->ended);
	jset_str(rb, "state", run_state_name(r->state));
	if (r->state != RUN_COMPLETED && r->state != RUN_CACHED) {
		if (rc == 0 || e->code == ERR_OK)
			err_set(e, ERR_INVALID, "run %lld %s%s%s", (long long)run_id,
				run_state_name(r->state), r->error ? ": " : "",
				r->error ? r->error : "");
		store_run_free(r);
		return -1;
	}
	store_run_free(r);
	say(b, "rebuild done: run %lld, %lld rows read, %lld written", (long long)run_id,
	    (long long)jint(rb, "rows_read"), (long long)jint(rb, "rows_written"));
	return move(b, "rebuild", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

/* ---- validate ------------------------------------------------------------------------------------ */

static int validation_json(struct bf *b, int64_t run_id, cJSON *out, int *errors,
			   struct err *e)
{
	struct vec v = VEC_INIT;
	if (store_validation_list(b->env->store, run_id, NULL, &v, e) < 0)
		return -1;
	cJSON *checks = cJSON_CreateArray();
	int failed_err = 0, failed_warn = 0;
	for (size_t i = 0; i < v.len; i++) {
		const struct store_validation *sv = v.items[i];
		cJSON *c = cJSON_CreateObject();
		jset_str(c, "step", sv->step);
		jset_str(c, "check", sv->check);
		jset_str(c, "severity", sv->severity == SEVERITY_ERROR ? "error" : "warn");
		jset(c, "passed", cJSON_CreateBool(sv->passed));
		jset_int(c, "violations", sv->violations);
		jset_str(c, "sample", sv->sample);
		cJSON_AddItemToArray(checks, c);
		if (!sv->passed && sv->severity == SEVERITY_ERROR)
			failed_err++;
		else if (!sv->passed)
			failed_warn++;
	}
	store_validation_list_free(&v);
	jset(out, "checks", checks);
	jset_int(out, "failed_errors", failed_err);
	jset_int(out, "failed_warnings", failed_warn);
	*errors = failed_err;
	return 0;
}

/* Every target must have been built; its rows are recorded. */
static int check_built(struct bf *b, cJSON *out, struct err *e)
{
	struct target *t;
	size_t n = targets_of(b->rec, &t);
	cJSON *tables = cJSON_CreateArray();
	jset(out, "tables", tables);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct db *db = step_conns_get(conns_of(b), t[i].connection, e);
		int64_t rows = 0;
		int ex = db ? table_rows(db, t[i].backfill, &rows, e) : -1;
		if (ex < 0) {
			rc = -1;
		} else if (ex == 0) {
			rc = err_set(e, ERR_INVALID, "%s was not built by the rebuild (on %s); "
				     "run 'backfill next' to rebuild again, or discard",
				     t[i].backfill, t[i].connection);
		} else {
			cJSON *o = cJSON_CreateObject();
			jset_str(o, "table", t[i].backfill);
			jset_str(o, "connection", t[i].connection);
			jset_int(o, "rows", rows);
			cJSON_AddItemToArray(tables, o);
		}
	}
	targets_free(t, n);
	return rc;
}

static int step_validate(struct bf *b, struct err *e)
{
	cJSON *val = cJSON_CreateObject();
	jset(b->rec, "validation", val);
	if (check_built(b, val, e) < 0)
		return -1;
	bool any = false;
	for (size_t i = 0; i < b->flow->nsteps; i++)
		any |= b->flow->steps[i].kind == STEP_VALIDATE;
	int errors = 0;
	if (any) {
		int64_t run_id = 0;
		if (create_own_run(b, "validate", &run_id, e) < 0)
			return -1;
		jset_int(val, "run_id", run_id);
		if (move(b, "validate", BACKFILL_WORKING, NULL, NULL, "run created", e) < 0)
			return -1;
		struct err re = { 0 };
		int rc = run_steps_here(b, run_id, want_validate, &re);
		if (validation_json(b, run_id, val, &errors, e) < 0)
			return -1;
		if (rc < 0 && errors == 0) {
			*e = re;
			return -1;
		}
	} else {
		jset(val, "checks", cJSON_CreateArray());
		say(b, "flow %s has no validate step: only checked that every table was "
		    "built", b->row->flow);
	}
	jset(val, "passed", cJSON_CreateBool(errors == 0));
	if (errors > 0)
		return err_set(e, ERR_INVALID, "%d check%s of severity error failed on the "
			       "backfill tables (see 'backfill status %s'); discard, fix the "
			       "flow and start again", errors, errors == 1 ? "" : "s",
			       b->row->flow);
	say(b, "validation passed (%d check%s)",
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "checks")),
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(val, "checks")) == 1 ? "" : "s");
	return move(b, "validate", BACKFILL_WAITING, NULL, NULL, NULL, e);
}

/* ---- compare ----------------------------------------------------------------------------------------- */

static void tell_waiting(struct bf *b, const cJSON *cmp)
{
	struct buf text = BUF_INIT;
	buf_printf(&text, "Backfill %lld of flow %s waits for approval:",
		   (long long)b->row->id, b->row->flow);
	const cJSON *t;
	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(cmp, "tables"))
		buf_printf(&text, " %s: %lld changed, %lld only in current, %lld only in the "
			   "backfill (score %.4f);", jstr(t, "table"),
			   (long long)jint(t, "changed"), (long long)jint(t, "only_current"),
			   (long long)jint(t, "only_backfill"),
			   cJSON_GetObjectItemCaseSensitive(t, "score")->valuedouble);
	buf_printf(&text, " approve with 'sluice backfill approve %s' or discard.",
		   b->row->flow);
	struct err e = { 0 };
	const struct backfill_hooks *h = b->env->hooks;
	int rc = 0;
	if (h && h->notify) {
		rc = h->notify(h->arg, buf_str(&text), &e);
	} else {
		const struct project *p = b->env->project;
		for (size_t i = 0; i < p->nchannels && rc == 0; i++)
			if (p->channels[i].events & NOTIFY_BACKFILL_WAITING)
				rc = store_notify_enqueue(b->env->store, p->channels[i].name,
							  BACKFILL_EVENT, buf_str(&text), NULL, &e);
	}
	if (rc < 0)
		log_warn("backfill %lld: notification not queued: %s", (long long)b->row->id,
			 err_text(&e));
	buf_free(&text);
}

static int step_compare(struct bf *b, int samples, struct err *e)
{
	struct target *t;
	size_t n = targets_of(b->rec, &t);
	cJSON *cmp = cJSON_CreateObject();
	cJSON *tables = cJSON_AddArrayToObject(cmp, "tables");
	double worst = 0;
	bool identical = true;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (t[i].nkey == 0) {
			rc = err_set(e, ERR_INVALID, "table %s has no key: compare needs one "
				     "(set \"key\" on its load step or tables.%s.key)",
				     t[i].table, t[i].table);
			break;
		}
		struct db *db = step_conns_get(conns_of(b), t[i].connection, e);
		if (!db) {
			rc = -1;
			break;
		}
		if (db_table_exists(db, t[i].table, e) == 0)
			say(b, "%s does not exist yet: every row of %s is new", t[i].table,
			    t[i].backfill);
		struct compare_request req = { t[i].table, t[i].backfill, t[i].key, t[i].nkey,
					       samples, true };
		struct compare_result r;
		rc = compare_tables(db, &req, &r, e);
		if (rc < 0)
			break;
		cJSON *j = compare_result_json(&r);
		jset_str(j, "connection", t[i].connection);
		cJSON_AddItemToArray(tables, j);
		worst = r.score > worst ? r.score : worst;
		identical &= compare_result_identical(&r);
		say(b, "%s: %lld rows now, %lld rebuilt; %lld only now, %lld only rebuilt, "
		    "%lld changed, %lld unchanged; score %.4f", t[i].table,
		    (long long)r.rows_current, (long long)r.rows_backfill,
		    (long long)r.only_current, (long long)r.only_backfill,
		    (long long)r.changed, (long long)r.unchanged, r.score);
		compare_result_free(&r);
	}
	targets_free(t, n);
	if (rc < 0) {
		cJSON_Delete(cmp);
		return -1;
	}
	cJSON_AddNumberToObject(cmp, "score", worst);
	cJSON_AddBoolToObject(cmp, "identical", identical);
	jset_time(cmp, "at", clock_now_us());
	char *text = cJSON_PrintUnformatted(cmp);
	rc = move(b, "compare", BACKFILL_WAITING, text, NULL, "waiting for approval", e);
	free(text);
	if (rc == 0)
		tell_waiting(b, cmp);
	cJSON_Delete(cmp);
	return rc;
}

/* ---- approve: the swap ------------------------------------------------------------------------------
 * Per connection, one transaction: for each target, drop TABLE_old, rename
 * TABLE to TABLE_old and TABLE_backfill to TABLE, and carry index names
 * along (a load creates its indexes by name "IF NOT EXISTS": an index
 * named TABLE_backfill_* left on TABLE would keep the next backfill's
 * table from getting its own).  Both dialects roll DDL back, so a reader
 * sees the old tables or the new ones, never a missing one.  The ledger
 * entry "backfill:ID:swap" commits with it, so a rerun after a crash
 * knows which connections are done. */

static int list_indexes(struct db *db, const char *table, struct vec *names, struct err *e)
{
	const char *params[] = { table };
	const char *sql = db_kind(db) == DB_POSTGRES
		? "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
		  "WHERE i.indrelid = to_regclass(quote_ident($1)) ORDER BY 1"
		: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 "
		  "AND sql IS NOT NULL ORDER BY 1";
	struct db_cursor *c = db_query(db, sql, params, 1, e);
	if (!c)
		return -1;
	int rc;
	while ((rc = db_cursor_next(c, e)) == 1)
		vec_push(names, xstrdup(db_cursor_text(c, 0)));
	db_cursor_close(c);
	return rc < 0 ? -1 : 0;
}

static int relation_exists(struct db *db, const char *name, struct err *e)
{
	const char *params[] = { name };
	int64_t n = 0;
	const char *sql = db_kind(db) == DB_POSTGRES
		? "SELECT count(*) FROM pg_class WHERE oid = to_regclass(quote_ident($1))"
		: "SELECT count(*) FROM sqlite_master WHERE name = $1";
	if (db_query_int(db, sql, params, 1, &n, e) < 0)
		return -1;
	return n > 0;
}

/* SQLite has no ALTER INDEX: the index is made again under its new name
 * from its columns (an index on expressions or a partial one keeps its
 * name). */
static int sqlite_rename_index(struct db *db, const char *table, const char *from,
			       const char *to, struct err *e)
{
	const char *params[] = { from };
	int64_t uniq = 0, partial = 0;
	struct db_cursor *c = db_query(db, "SELECT \"unique\", partial FROM "
				       "pragma_index_list($1) WHERE name = $2",
				       (const char *[]){ table, from }, 2, e);
	if (!c)
		return -1;
	if (db_cursor_next(c, e) == 1) {
		str_to_i64(db_cursor_text(c, 0), &uniq);
		str_to_i64(db_cursor_text(c, 1), &partial);
	}
	db_cursor_close(c);
	if (partial)
		return 0;
	struct buf sql = BUF_INIT;
	buf_printf(&sql, "CREATE %sINDEX ", uniq ? "UNIQUE " : "");
	char *q = db_quote_ident(db, to), *qt = db_quote_ident(db, table);
	buf_printf(&sql, "%s ON %s (", q, qt);
	free(q);
	free(qt);
	c = db_query(db, "SELECT name, \"desc\", coll FROM pragma_index_xinfo($1) "
		     "WHERE key ORDER BY seqno", params, 1, e);
	if (!c) {
		buf_free(&sql);
		return -1;
	}
	int rc, n = 0;
	bool expr = false;
	while ((rc = db_cursor_next(c, e)) == 1) {
		const char *name = db_cursor_text(c, 0);
		if (!name) {
			expr = true;
			continue;
		}
		char *qn = db_quote_ident(db, name);
		buf_printf(&sql, "%s%s COLLATE %s%s", n++ ? ", " : "", qn,
			   db_cursor_text(c, 2), str_eq(db_cursor_text(c, 1), "1") ? " DESC" : "");
		free(qn);
	}
	db_cursor_close(c);
	buf_puts(&sql, ")");
	if (rc == 0 && !expr && n > 0) {
		char *qf = db_quote_ident(db, from);
		char *drop = xasprintf("DROP INDEX %s", qf);
		free(qf);
		rc = db_exec(db, drop, NULL, 0, NULL, e);
		free(drop);
		if (rc == 0)
			rc = db_exec(db, buf_str(&sql), NULL, 0, NULL, e);
	}
	buf_free(&sql);
	return rc < 0 ? -1 : 0;
}

/* Indexes of `table` named "<from_prefix>_rest" become "<to_prefix>_rest";
 * to_prefix NULL drops them (SQLite's TABLE_old keeps no indexes: making
 * them again would cost a build for a copy kept only in case). */
static int carry_indexes(struct db *db, const char *table, const char *from_prefix,
			 const char *to_prefix, struct err *e)
{
	struct vec names = VEC_INIT;
	if (list_indexes(db, table, &names, e) < 0)
		return -1;
	size_t fl = strlen(from_prefix);
	int rc = 0;
	for (size_t i = 0; i < names.len && rc == 0; i++) {
		const char *name = names.items[i];
		if (strncmp(name, from_prefix, fl) != 0 || name[fl] != '_')
			continue;
		if (to_prefix && str_starts_with(name + fl, BACKFILL_OLD_SUFFIX "_") &&
		    strcmp(to_prefix, from_prefix) != 0 && !str_starts_with(to_prefix, from_prefix))
			continue;
		char *qn = db_quote_ident(db, name);
		if (!to_prefix) {
			char *sql = xasprintf("DROP INDEX %s", qn);
			rc = db_exec(db, sql, NULL, 0, NULL, e);
			free(sql);
			free(qn);
			continue;
		}
		char *to = xasprintf("%s%s", to_prefix, name + fl);
		int taken = strlen(to) > 63 && db_kind(db) == DB_POSTGRES ? 1
			    : relation_exists(db, to, e);
		if (taken < 0) {
			rc = -1;
		} else if (!taken && db_kind(db) == DB_POSTGRES) {
			char *qto = db_quote_ident(db, to);
			char *sql = xasprintf("ALTER INDEX %s RENAME TO %s", qn, qto);
			rc = db_exec(db, sql, NULL, 0, NULL, e);
			free(sql);
			free(qto);
		} else if (!taken) {
			rc = sqlite_rename_index(db, table, name, to, e);
		}
		free(to);
		free(qn);
	}
	vec_free_all(&names, free);
	return rc;
}

static int swap_one(struct db *db, const struct target *t, cJSON *done, struct err *e)
{
	if (db_table_exists(db, t->backfill, e) != 1)
		return e->code ? -1 : err_set(e, ERR_NOTFOUND, "%s is missing on %s: nothing "
					      "to swap in", t->backfill, t->connection);
	if (db_drop_table(db, t->old, true, e) < 0)
		return -1;
	int ex = db_table_exists(db, t->table, e);
	if (ex < 0)
		return -1;
	if (ex == 1) {
		if (db_rename_table(db, t->table, t->old, e) < 0)
			return -1;
		if (carry_indexes(db, t->old, t->table, db_kind(db) == DB_POSTGRES
				  ? t->old : NULL, e) < 0)
			return -1;
	}
	if (db_rename_table(db, t->backfill, t->table, e) < 0 ||
	    carry_indexes(db, t->table, t->backfill, t->table, e) < 0)
		return -1;
	cJSON *o = cJSON_CreateObject();
	jset_str(o, "table", t->table);
	jset_str(o, "connection", t->connection);
	jset_str(o, "old_table", ex == 1 ? t->old : NULL);
	cJSON_AddItemToArray(done, o);
	return 0;
}

/* SQLite rewrites references to a renamed table in views, triggers and
 * other tables' foreign keys; a swap must leave them naming TABLE. */
static void sqlite_plain_renames(struct db *db, bool on)
{
	if (db_kind(db) != DB_SQLITE)
		return;
	db_exec(db, on ? "PRAGMA legacy_alter_table = ON" : "PRAGMA legacy_alter_table = OFF",
		NULL, 0, NULL, NULL);
	db_exec(db, on ? "PRAGMA foreign_keys = OFF" : "PRAGMA foreign_keys = ON",
		NULL, 0, NULL, NULL);
}

static int swap_connection(struct bf *b, const char *conn, const struct target *t,
			   size_t n, int64_t run_id, cJSON *done, struct err *e)
{
	struct db *db = step_conns_get(conns_of(b), conn, e);
	if (!db || db_ledger_ensure(db, e) < 0)
		return -1;
	char key[64];
	snprintf(key, sizeof key, "backfill:%lld:swap", (long long)b->row->id);
	char *info = NULL;
	int rc = db_ledger_get(db, key, &info, e);
	if (rc != 0) {
		if (rc == 1) {
			cJSON *prev = cJSON_Parse(info);
			cJSON *o;
			cJSON_ArrayForEach(o, prev)
				cJSON_AddItemToArray(done, cJSON_Duplicate(o, true));
			cJSON_Delete(prev);
			say(b, "%s: swapped already", conn);
		}
		free(info);
		return rc < 0 ? -1 : 0;
	}
	cJSON *mine = cJSON_CreateArray();
	sqlite_plain_renames(db, true);
	rc = db_begin(db, e);
	for (size_t i = 0; i < n && rc == 0; i++)
		if (str_eq(t[i].connection, conn))
			rc = swap_one(db, &t[i], mine, e);
	if (rc == 0) {
		char *text = cJSON_PrintUnformatted(mine);
		rc = db_ledger_put(db, key, run_id, text, e);
		free(text);
	}
	if (rc == 0)
		rc = db_commit(db, e);
	if (rc < 0)
		db_rollback(db);
	sqlite_plain_renames(db, false);
	if (rc == 0) {
		cJSON *o;
		cJSON_ArrayForEach(o, mine) {
			say(b, "%s: %s swapped in (the previous table kept as %s)", conn,
			    jstr(o, "table"), jstr(o, "old_table") ? jstr(o, "old_table") : "nothing");
			cJSON_AddItemToArray(done, cJSON_Duplicate(o, true));
		}
	}
	cJSON_Delete(mine);
	if (rc < 0)
		err_prefix(e, "swapping on %s (nothing changed there): ", conn);
	return rc;
}

/* Runs of the flow that could write a target while it is swapped, or that
 * wrote one after the rebuild began (their rows are not in the backfill). */
static int runs_in_the_way(struct bf *b, bool force, struct err *e)
{
	usec_t since = 0;
	const char *started = jstr(jobj(b->rec, "rebuild"), "started");
	if (started)
		time_parse_iso(started, &since);
	struct store_run_filter rf = { .flow = b->row->flow, .since = since, .limit = 50 };
	struct vec runs = VEC_INIT;
	if (store_run_list(b->env->store, &rf, &runs, e) < 0)
		return -1;
	int rc = 0;
	for (size_t i = 0; i < runs.len && rc == 0; i++) {
		struct store_run *r = runs.items[i];
		if (r->trigger == TRIGGER_BACKFILL)
			continue;
		if (!run_state_is_terminal(r->state))
			rc = err_set(e, ERR_CONFLICT, "run %lld of flow %s is %s: wait until it "
				     "ends (or cancel it), then approve", (long long)r->id,
				     r->flow, run_state_name(r->state));
		else if ((r->state == RUN_COMPLETED || r->state == RUN_CACHED) && !force)
			rc = err_set(e, ERR_CONFLICT, "run %lld of flow %s completed after the "
				     "rebuild began: what it loaded is not in the backfill tables; "
				     "discard and start again, or approve with --force to lose it",
				     (long long)r->id, r->flow);
	}
	store_run_list_free(&runs);
	return rc;
}

static int step_approve(struct bf *b, struct err *e)
{
	struct target *t;
	size_t n = targets_of(b->rec, &t);
	cJSON *done = cJSON_CreateArray();
	int64_t run_id = jint(jobj(b->rec, "rebuild"), "run_id");
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first &= !str_eq(t[k].connection, t[i].connection);
		if (first)
			rc = swap_connection(b, t[i].connection, t, n, run_id, done, e);
	}
	targets_free(t, n);
	cJSON *sw = jobj(b->rec, "swap");
	jset(sw, "tables", done);
	if (rc < 0)
		return -1;
	jset_time(sw, "at", clock_now_us());
	return move(b, "approve", BACKFILL_WAITING, NULL, NULL, "swapped", e);
}

static int step_discard(struct bf *b, struct err *e)
{
	cJSON *dropped = cJSON_CreateArray();
	jset(jobj(b->rec, "discard"), "dropped", dropped);
	if (drop_backfill_tables(b, dropped, e) < 0)
		return -1;
	const cJSON *v;
	cJSON_ArrayForEach(v, dropped)
		say(b, "dropped %s", v->valuestring);
	jset_time(jobj(b->rec, "discard"), "at", clock_now_us());
	return move(b, "discard", BACKFILL_WAITING, NULL, NULL, "backfill tables dropped", e);
}

/* ---- the driver ----------------------------------------------------------------------------------------- */

static const char *const ORDER[] = { "plan", "suspend", "rebuild", "validate", "compare" };

static const char *step_after(const struct store_backfill *row)
{
	if (row->state == BACKFILL_FAILED || row->state == BACKFILL_WORKING)
		return row->step;           /* run it again */
	for (size_t i = 0; i + 1 < ARRAY_LEN(ORDER); i++)
		if (strcmp(row->step, ORDER[i]) == 0)
			return ORDER[i + 1];
	if (strcmp(row->step, "approve") == 0 || strcmp(row->step, "discard") == 0)
		return "resume";
	return NULL;
}

static int run_named(struct bf *b, const char *step, int samples, bool force,
		     struct err *e)
{
	if (begin_step(b, step, e) < 0)
		return -1;
	int rc;
	if (strcmp(step, "suspend") == 0)
		rc = step_suspend(b, e);
	else if (strcmp(step, "rebuild") == 0)
		rc = step_rebuild(b, e);
	else if (strcmp(step, "validate") == 0)
		rc = step_validate(b, e);
	else if (strcmp(step, "compare") == 0)
		rc = step_compare(b, samples, e);
	else if (strcmp(step, "approve") == 0)
		rc = runs_in_the_way(b, force, e) < 0 ? -1 : step_approve(b, e);
	else if (strcmp(step, "discard") == 0)
		rc = step_discard(b, e);
	else if (strcmp(step, "resume") == 0)
		rc = step_resume(b, e);
	else
		rc = err_set(e, ERR_INTERNAL, "no backfill step named %s", step);
	if (rc < 0) {
		struct err why = *e;
		return fail_step(b, step, &why, e);
	}
	return 0;
}

/* Load, take, settle an interrupted step; then `pick` says what to run. */
static int with_backfill(const struct backfill_env *env, const char *flow,
			 const char *(*pick)(struct bf *b, struct err *e),
			 int samples, bool force, int64_t *id, struct err *e)
{
	struct bf b = { .env = env };
	int rc = load_active(&b, flow, e);
	if (rc == 0)
		rc = take(&b, e);
	if (rc == 0) {
		if (id)
			*id = b.row->id;
		rc = settle_interrupted(&b, e);
		const char *step = rc == 0 ? pick(&b, e) : NULL;
		if (step)
			rc = run_named(&b, step, samples, force, e);
		else
			rc = -1;
		release(&b);
	}
	bf_free(&b);
	return rc;
}

static const char *pick_next(struct bf *b, struct err *e)
{
	const char *next = step_after(b->row);
	if (next && strcmp(next, "approve") != 0 && strcmp(next, "discard") != 0 &&
	    !(strcmp(b->row->step, "compare") == 0 && b->row->state == BACKFILL_WAITING))
		return next;
	if (next && b->row->state == BACKFILL_FAILED)
		return next;        /* a confirmed approve or discard that failed */
	err_set(e, ERR_CONFLICT, "backfill %lld of flow %s waits for approval: run "
		"'sluice backfill approve %s' or 'sluice backfill discard %s'",
		(long long)b->row->id, b->row->flow, b->row->flow, b->row->flow);
	return NULL;
}

static const char *pick_approve(struct bf *b, struct err *e)
{
	bool at_compare = strcmp(b->row->step, "compare") == 0 &&
			  b->row->state == BACKFILL_WAITING;
	bool retry = strcmp(b->row->step, "approve") == 0 &&
		     b->row->state == BACKFILL_FAILED;
	if (at_compare || retry) {
		jset_str(b->rec, "decision", "approve");
		return "approve";
	}
	if (jstr(b->rec, "decision"))
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was %s already: run "
			"'sluice backfill next %s' to resume its tasks", (long long)b->row->id,
			b->row->flow, str_eq(jstr(b->rec, "decision"), "approve")
			? "approved" : "discarded", b->row->flow);
	else
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is at step %s (%s): "
			"approving comes after compare; run 'sluice backfill next %s'",
			(long long)b->row->id, b->row->flow, b->row->step,
			backfill_state_name(b->row->state), b->row->flow);
	return NULL;
}

static const char *pick_discard(struct bf *b, struct err *e)
{
	if (str_eq(jstr(b->rec, "decision"), "approve")) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s was approved%s: it can no "
			"longer be discarded; run 'sluice backfill next %s' to finish",
			(long long)b->row->id, b->row->flow,
			strcmp(b->row->step, "approve") == 0 ? " and its swap has begun" : "",
			b->row->flow);
		return NULL;
	}
	if (strcmp(b->row->step, "resume") == 0) {
		err_set(e, ERR_CONFLICT, "backfill %lld of flow %s is resuming its tasks: run "
			"'sluice backfill next %s'", (long long)b->row->id, b->row->flow,
			b->row->flow);
		return NULL;
	}
	jset_str(b->rec, "decision", "discard");
	return "discard";
}

int backfill_next(const struct backfill_env *env, const char *flow, int samples,
		  struct err *e)
{
	return with_backfill(env, flow, pick_next, samples, false, NULL, e);
}

int backfill_approve(const struct backfill_env *env, const char *flow, bool force,
		     struct err *e)
{
	return with_backfill(env, flow, pick_approve, 0, force, NULL, e);
}

int backfill_discard(const struct backfill_env *env, const char *flow, struct err *e)
{
	return with_backfill(env, flow, pick_discard, 0, false, NULL, e);
}

int backfill_start(const struct backfill_env *env, const char *flow,
		   const struct project_kv *params, size_t nparams, int64_t *id,
		   struct err *e)
{
	struct store_backfill *cur = NULL;
	int rc = store_backfill_active(env->store, flow, &cur, e);
	if (rc != 0) {
		if (rc == 1)
			err_set(e, ERR_CONFLICT, "flow %s already has backfill %lld (step %s, "
				"%s): continue it with 'sluice backfill next %s' or discard it",
				flow, (long long)cur->id, cur->step,
				backfill_state_name(cur->state), flow);
		store_backfill_free(cur);
		return -1;
	}
	cJSON *plan = backfill_plan(env, flow, params, nparams, e);
	if (!plan)
		return -1;
	const cJSON *problems = cJSON_GetObjectItemCaseSensitive(plan, "problems");
	if (cJSON_GetArraySize(problems) > 0) {
		struct buf why = BUF_INIT;
		const cJSON *p;
		cJSON_ArrayForEach(p, problems)
			buf_printf(&why, "%s%s", why.len ? "; " : "", p->valuestring);
		err_set(e, ERR_INVALID, "cannot backfill flow %s: %s", flow, buf_str(&why));
		buf_free(&why);
		cJSON_Delete(plan);
		return -1;
	}
	cJSON *rec = cJSON_CreateObject();
	cJSON_AddItemToObject(rec, "plan", plan);
	char *text = cJSON_PrintUnformatted(rec);
	rc = store_backfill_create(env->store, flow, "plan", text, env->by, id, e);
	free(text);
	cJSON_Delete(rec);
	return rc;
}

/* ---- status ------------------------------------------------------------------------------------------------
 * Everything a view needs, from the store alone (so it works read-only and
 * from any host). */

static void rebuild_progress(struct bf *b, int64_t run_id, cJSON *out)
{
	struct store *s = b->env->store;
	const cJSON *plan = cJSON_GetObjectItemCaseSensitive(b->rec, "plan");
	const cJSON *reading = cJSON_GetObjectItemCaseSensitive(plan, "reading_steps");
	int64_t planned = jint(plan, "rows_planned");
	int total = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(plan, "steps"));
	struct store_run *r = store_run_get(s, run_id, NULL);
	struct vec steps = VEC_INIT;
	store_step_list(s, run_id, &steps, NULL);
	int64_t read = 0, written = 0;
	int done = 0;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < steps.len; i++) {
		const struct store_step *st = steps.items[i];
		if (json_has(reading, st->step))
			read += st->rows_in;
		written = st->rows_out > 0 && st->state == STEP_COMPLETED ? written + st->rows_out
									  : written;
		done += st->state != STEP_RUNNING && st->state != STEP_PENDING;
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "step", st->step);
		jset_str(o, "state", step_state_name(st->state));
		jset_int(o, "rows_in", st->rows_in);
		jset_int(o, "rows_out", st->rows_out);
		jset_str(o, "error", st->error);
		cJSON_AddItemToArray(arr, o);
	}
	store_step_list_free(&steps);
	bool finished = r && (r->state == RUN_COMPLETED || r->state == RUN_CACHED);
	double fs = total > 0 ? (double)done / total : 0;
	double fr = planned > 0 ? (double)read / (double)planned : fs;
	double f = finished ? 1.0 : (fr < fs ? fr : fs);
	jset_int(out, "run_id", run_id);
	jset_str(out, "run_state", r ? run_state_name(r->state) : NULL);
	jset_int(out, "rows_planned", planned);
	jset_int(out, "rows_read", read);
	jset_int(out, "rows_written", written);
	jset_int(out, "steps_total", total);
	jset_int(out, "steps_done", done);
	jset(out, "fraction", cJSON_CreateNumber(f > 1 ? 1 : f));
	jset(out, "steps", arr);
	jset_str(out, "error", r ? r->error : NULL);
	store_run_free(r);
}

static const char *const VIEW_STEPS[] = { "plan", "suspend", "rebuild", "validate",
					  "compare", "approve", "resume" };

static size_t step_index(const char *step)
{
	if (strcmp(step, "discard") == 0)
		return 5;
	for (size_t i = 0; i < ARRAY_LEN(VIEW_STEPS); i++)
		if (strcmp(VIEW_STEPS[i], step) == 0)
			return i;
	return 0;
}

/* The holder named in the newest "started by process HOST:PID" note. */
static void working_json(const struct store_backfill *row, const struct vec *hist,
			 cJSON *out)
{
	if (row->state != BACKFILL_WORKING) {
		jset(out, "working", cJSON_CreateNull());
		return;
	}
	const char *holder = NULL;
	usec_t since = 0;
	for (size_t i = hist->len; i-- > 0 && !holder;) {
		const struct store_backfill_event *ev = hist->items[i];
		if (ev->note && str_starts_with(ev->note, "started by process ")) {
			holder = ev->note + strlen("started by process ");
			since = ev->at;
		}
	}
	cJSON *w = cJSON_CreateObject();
	jset_str(w, "process", holder);
	jset_time(w, "since", since);
	/* Known only on the process's own host; elsewhere its lease decides. */
	jset(w, "alive", holder && holder_dead_here(holder) ? cJSON_CreateFalse()
		: cJSON_CreateNull());
	jset(out, "working", w);
}

static void next_json(const struct store_backfill *row, const cJSON *rec, cJSON *out)
{
	cJSON *n = cJSON_CreateObject();
	cJSON *actions = cJSON_AddArrayToObject(n, "actions");
	const char *step = row->step, *decision = jstr(rec, "decision");
	char text[256];
	if (!backfill_state_is_active(row->state)) {
		snprintf(text, sizeof text, "finished: %s",
			 row->state == BACKFILL_COMPLETED ? "approved, tables swapped, tasks resumed"
							  : "discarded, tasks resumed");
	} else if (row->state == BACKFILL_WORKING) {
		snprintf(text, sizeof text, "step %s is running", step);
	} else if (row->state == BACKFILL_FAILED) {
		snprintf(text, sizeof text, "step %s failed: 'next' runs it again", step);
		cJSON_AddItemToArray(actions, cJSON_CreateString("next"));
	} else if (strcmp(step, "compare") == 0) {
		snprintf(text, sizeof text, "waiting for approval: approve swaps the tables, "
			 "discard drops the backfill tables");
		cJSON_AddItemToArray(actions, cJSON_CreateString("approve"));
	} else {
		static const char *const what[] = {
			"suspend the flow's tasks", "rebuild the tables as TABLE_backfill",
			"validate the backfill tables", "compare them with the current tables",
		};
		size_t i = step_index(step);
		snprintf(text, sizeof text, "next: %s", i < 4 ? what[i] : "resume the tasks");
		cJSON_AddItemToArray(actions, cJSON_CreateString("next"));
	}
	bool can_discard = backfill_state_is_active(row->state) && !str_eq(decision, "approve")
			   && strcmp(step, "resume") != 0 && row->state != BACKFILL_WORKING;
	if (can_discard)
		cJSON_AddItemToArray(actions, cJSON_CreateString("discard"));
	jset_str(n, "text", text);
	jset(out, "next", n);
}

static void steps_json(const struct store_backfill *row, const cJSON *rec,
		       const struct vec *hist, cJSON *out)
{
	cJSON *arr = cJSON_CreateArray();
	size_t cur = step_index(row->step);
	const char *decision = jstr(rec, "decision");
	for (size_t i = 0; i < ARRAY_LEN(VIEW_STEPS); i++) {
		const char *name = VIEW_STEPS[i];
		if (i == 5 && str_eq(decision, "discard"))
			name = "discard";
		const char *status = i < cur ? "done" : i > cur ? "pending"
			: row->state == BACKFILL_WAITING || !backfill_state_is_active(row->state)
			? "done" : row->state == BACKFILL_WORKING ? "working" : "failed";
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "step", name);
		jset_str(o, "status", status);
		for (size_t h = hist->len; h-- > 0;) {
			const struct store_backfill_event *ev = hist->items[h];
			if (strcmp(ev->step, name) == 0) {
				jset_str(o, "by", ev->by);
				jset_time(o, "at", ev->at);
				break;
			}
		}
		cJSON_AddItemToArray(arr, o);
	}
	jset(out, "steps", arr);
}

static cJSON *history_json(const struct vec *hist)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < hist->len; i++) {
		const struct store_backfill_event *ev = hist->items[i];
		cJSON *o = cJSON_CreateObject();
		jset_str(o, "step", ev->step);
		jset_str(o, "state", backfill_state_name(ev->state));
		jset_str(o, "by", ev->by);
		jset_str(o, "note", ev->note);
		jset_time(o, "at", ev->at);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

static void copy_member(cJSON *out, const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
	jset(out, key, v ? cJSON_Duplicate(v, true) : cJSON_CreateNull());
}

static cJSON *status_of(const struct backfill_env *env, struct store_backfill *row,
			struct err *e)
{
	struct vec hist = VEC_INIT;
	if (store_backfill_history(env->store, row->id, &hist, e) < 0)
		return NULL;
	struct bf b = { .env = env, .row = row, .rec = record_of(row) };
	cJSON *o = cJSON_CreateObject();
	jset_int(o, "id", row->id);
	jset_str(o, "flow", row->flow);
	jset_str(o, "step", row->step);
	jset_str(o, "state", backfill_state_name(row->state));
	jset(o, "active", cJSON_CreateBool(backfill_state_is_active(row->state)));
	jset_str(o, "decision", jstr(b.rec, "decision"));
	jset_str(o, "error", row->error);
	jset_str(o, "created_by", row->created_by);
	jset_time(o, "created", row->created);
	jset_time(o, "updated", row->updated);
	jset_time(o, "ended", row->ended);
	next_json(row, b.rec, o);
	working_json(row, &hist, o);
	steps_json(row, b.rec, &hist, o);
	copy_member(o, b.rec, "plan");
	copy_member(o, b.rec, "suspended");
	cJSON *rb = cJSON_Duplicate(jobj(b.rec, "rebuild"), true);
	if (jint(rb, "run_id"))
		rebuild_progress(&b, jint(rb, "run_id"), rb);
	jset(o, "rebuild", rb);
	copy_member(o, b.rec, "validation");
	cJSON *cmp = row->compare ? cJSON_Parse(row->compare) : NULL;
	jset(o, "compare", cmp ? cmp : cJSON_CreateNull());
	copy_member(o, b.rec, "swap");
	copy_member(o, b.rec, "discard");
	copy_member(o, b.rec, "resumed");
	copy_member(o, b.rec, "left_alone");
	jset(o, "history", history_json(&hist));
	cJSON_Delete(b.rec);
	store_backfill_history_free(&hist);
	return o;
}

cJSON *backfill_status(const struct backfill_env *env, const char *flow, struct err *e)
{
	struct store_backfill *row = NULL;
	int rc = store_backfill_active(env->store, flow, &row, e);
	if (rc < 0)
		return NULL;
	if (rc == 0) {
		struct vec v = VEC_INIT;
		if (store_backfill_list(env->store, flow, 1, &v, e) < 0)
			return NULL;
		row = v.len ? v.items[0] : NULL;
		vec_free(&v);
	}
	if (!row) {
		err_set(e, ERR_NOTFOUND, "flow %s has never had a backfill", flow);
		return NULL;
	}
	cJSON *o = status_of(env, row, e);
	store_backfill_free(row);
	return o;
}

cJSON *backfill_status_list(const struct backfill_env *env, int limit, struct err *e)
{
	struct vec v = VEC_INIT;
	if (store_backfill_list(env->store, NULL, limit, &v, e) < 0)
		return NULL;
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < v.len; i++) {
		const struct store_backfill *row = v.items[i];
		cJSON *rec = record_of(row);
		cJSON *o = cJSON_CreateObject();
		jset_int(o, "id", row->id);
		jset_str(o, "flow", row->flow);
		jset_str(o, "step", row->step);
		jset_str(o, "state", backfill_state_name(row->state));
		jset(o, "active", cJSON_CreateBool(backfill_state_is_active(row->state)));
		jset_str(o, "decision", jstr(rec, "decision"));
		jset_str(o, "created_by", row->created_by);
		jset_time(o, "created", row->created);
		jset_time(o, "updated", row->updated);
		jset_str(o, "error", row->error);
		cJSON_AddItemToArray(arr, o);
		cJSON_Delete(rec);
	}
	store_backfill_list_free(&v);
	return arr;
}

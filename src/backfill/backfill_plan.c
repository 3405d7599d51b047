/*
 * backfill_plan.c - a backfill's dry run: the tables its flow's load steps
 * write (each rebuilt as TABLE_backfill and compared by its key), the raw
 * history it reads (the streams the flow reads, from their start; the raw
 * tables of the pipes it ingests; the tables it normalizes; else the
 * tables or queries its loads read), the tasks to suspend, and whatever
 * would stop it.  It only reads: connections open read-only.
 */
#include "backfill/backfill_int.h"
#include "db/db.h"
#include "store/store.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
		if (str_eq(steps_json_string(t, "connection"), conn) &&
		    str_eq(steps_json_string(t, "table"), table))
			return t;
	return NULL;
}

/* 1 exists (rows in *rows when not NULL), 0 not, -1 error. */
int backfill_table_rows(struct db *db, const char *table, int64_t *rows, struct err *e)
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
	const char *conn = steps_json_string(s->spec, "connection");
	const char *table = steps_json_string(s->spec, "table");
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
	const char *mode = steps_json_string(s->spec, "mode");
	jset_str(t, "mode", mode ? mode : "append");
	struct vec key = VEC_INIT;
	steps_json_strings(s->spec, "key", &key);
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
	int ex = db ? backfill_table_rows(db, table, &rows, &e) : -1;
	if (ex < 0) {
		add_note(plan, "problems", "connection %s: %s", conn, err_text(&e));
	} else {
		jset(t, "exists", cJSON_CreateBool(ex == 1));
		if (ex == 1)
			jset_int(t, "rows", rows);
		else
			jset(t, "rows", cJSON_CreateNull());
		if (backfill_table_rows(db, bft, NULL, &e) == 1)
			add_note(plan, "warnings", "%s exists (left by an earlier backfill?): "
				 "the rebuild replaces it", bft);
		if (backfill_table_rows(db, old, NULL, &e) == 1)
			add_note(plan, "warnings", "%s (kept by the last backfill) is dropped "
				 "when this one is approved", old);
	}
	free(bft);
	free(old);
}

static void add_reader(cJSON *plan, const char *step);

/* The step that reads `table` in a backfill: one that lists it in its
 * "inputs" (a SQL transform reading a raw table), else `fallback`. */
static const char *reader_of(const struct project_flow *f, const char *table,
			     const char *fallback)
{
	for (size_t i = 0; i < f->nsteps; i++) {
		struct vec inputs = VEC_INIT;
		steps_json_strings(f->steps[i].spec, "inputs", &inputs);
		bool found = false;
		for (size_t k = 0; k < inputs.len && !found; k++)
			found = str_eq(inputs.items[k], table);
		vec_free(&inputs);
		if (found)
			return f->steps[i].name;
	}
	return fallback;
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
	int ex = db ? backfill_table_rows(db, table, &rows, &e) : -1;
	if (ex < 0)
		add_note(plan, "warnings", "cannot count %s on %s: %s", table, conn,
			 err_text(&e));
	if (ex == 1) {
		jset_int(s, "rows", rows);
		jset_int(plan, "rows_planned", jint(plan, "rows_planned") + rows);
	} else {
		jset(s, "rows", cJSON_CreateNull());
	}
	add_reader(plan, step);
}

static void add_reader(cJSON *plan, const char *step)
{
	cJSON *reading = cJSON_GetObjectItemCaseSensitive(plan, "reading_steps");
	bool listed = false;
	cJSON *r;
	cJSON_ArrayForEach(r, reading)
		listed |= str_eq(r->valuestring, step);
	if (!listed)
		cJSON_AddItemToArray(reading, cJSON_CreateString(step));
}

/* A load that reads a query reads its rows: counted when the query needs
 * no parameters (":name" would have to be bound). */
static void plan_query(struct step_conns *conns, cJSON *plan, const struct project_step *s,
		       const cJSON *from)
{
	const char *query = steps_json_string(from, "query");
	const char *conn = steps_json_string(from, "connection");
	if (!conn)
		conn = steps_json_string(s->spec, "connection");
	cJSON *src = cJSON_CreateObject();
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(plan, "sources"), src);
	jset_str(src, "table", NULL);
	jset_str(src, "connection", conn);
	jset_str(src, "via", "the load's query");
	jset_str(src, "step", s->name);
	jset(src, "rows", cJSON_CreateNull());
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(plan, "reading_steps"),
			     cJSON_CreateString(s->name));
	struct err e = { 0 };
	struct db *db = conn ? step_conns_get(conns, conn, &e) : NULL;
	if (!db || strchr(query, ':'))
		return;
	struct buf q = BUF_INIT;
	buf_printf(&q, "SELECT count(*) FROM (%s) q", query);
	while (q.len > 0 && (q.data[q.len - 1] == ';' || q.data[q.len - 1] == ' '))
		q.data[--q.len] = '\0';
	int64_t rows = 0;
	if (db_query_int(db, buf_str(&q), NULL, 0, &rows, &e) == 1) {
		jset_int(src, "rows", rows);
		jset_int(plan, "rows_planned", jint(plan, "rows_planned") + rows);
	}
	buf_free(&q);
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
			const struct project_pipe *pp = project_pipe(p, steps_json_string(s->spec, "pipe"));
			if (pp) {
				char *via = xasprintf("pipe %s (raw table)", pp->name);
				plan_source(conns, plan, pp->connection, pp->table, via,
					    reader_of(f, pp->table, s->name));
				free(via);
			}
		} else if (s->kind == STEP_NORMALIZE && from) {
			const char *conn = steps_json_string(from, "connection");
			if (!conn)
				conn = steps_json_string(s->spec, "connection");
			if (steps_json_string(from, "stream"))
				plan_stream(p, conns, plan, steps_json_string(from, "stream"), s->name);
			else if (steps_json_string(from, "table") && conn)
				plan_source(conns, plan, conn, steps_json_string(from, "table"),
					    "table", s->name);
		} else if (s->kind == STEP_LOAD) {
			struct vec consumes = VEC_INIT;
			steps_json_strings(s->spec, "consumes", &consumes);
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
		if (s->kind != STEP_LOAD || !from || !steps_json_string(from, "table"))
			continue;
		const char *conn = steps_json_string(from, "connection");
		if (!conn)
			conn = steps_json_string(s->spec, "connection");
		if (conn)
			plan_source(conns, plan, conn, steps_json_string(from, "table"), "table", s->name);
	}
	for (size_t i = 0; i < f->nsteps; i++) {
		const struct project_step *s = &f->steps[i];
		const cJSON *from = cJSON_GetObjectItemCaseSensitive(s->spec, "from");
		if (s->kind == STEP_LOAD && from && steps_json_string(from, "query"))
			plan_query(conns, plan, s, from);
	}
}

static const char *step_in_backfill(const struct project_flow *f, const struct project_step *s,
				    char *buf, size_t n)
{
	if (kind_skipped(s->kind))
		return "skipped";
	const char *conn = steps_json_string(s->spec, "connection");
	const char *table = steps_json_string(s->spec, "table");
	if (s->kind == STEP_LOAD && table)
		snprintf(buf, n, "writes %s%s", table, BACKFILL_SUFFIX);
	else if (s->kind == STEP_VALIDATE && table && steps_flow_loads_table(f, conn, table))
		snprintf(buf, n, "checks %s%s", table, BACKFILL_SUFFIX);
	else if (s->kind == STEP_NORMALIZE &&
		 steps_json_string(cJSON_GetObjectItemCaseSensitive(s->spec, "from"), "stream"))
		snprintf(buf, n, "reads all history of stream %s",
			 steps_json_string(cJSON_GetObjectItemCaseSensitive(s->spec, "from"), "stream"));
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

char *backfill_task_state(struct store *s, const struct project_task *t, usec_t *since,
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
		char *st = backfill_task_state(env->store, t, NULL, NULL, NULL, e);
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

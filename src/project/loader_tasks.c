/*
 * loader_tasks.c - tasks: schedules and zones, `when` conditions, the
 * action (a flow with parameters, or a SQL file), and the graph `after`
 * makes.
 *
 * Tasks are read after flows and streams so that every reference can be
 * resolved on the spot.
 */
#include "project/project_int.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_schedule(struct ld *L, const cJSON *obj, const char *path,
			   struct project_task *t)
{
	struct project *p = L->p;
	const char *text = spec_at_string(p, obj, path, "schedule", false, L->d);
	if (text) {
		struct err e;
		err_clear(&e);
		char *sp = spec_path_key(path, "schedule");
		if (schedule_parse(text, &t->schedule, &e) < 0)
			ld_error(L, sp, "%s", e.msg);
		free(sp);
	}
	const char *tz = spec_at_string(p, obj, path, "timezone", false, L->d);
	if (!tz)
		return;
	char *zp = spec_path_key(path, "timezone");
	if (!tz_valid(tz)) {
		ld_error(L, zp, "unknown time zone \"%.64s\" (IANA names such as "
			 "\"Europe/London\", as found in %s)", tz, env_tzdir());
	} else if (!text) {
		ld_warn(L, zp, "a time zone has no effect without a schedule");
	} else if (t->schedule.kind == SCHEDULE_INTERVAL) {
		ld_warn(L, zp, "a time zone has no effect on an interval schedule; "
			"intervals count from the Unix epoch");
	}
	t->schedule.timezone = xstrdup(tz);
	free(zp);
}

struct when_check {
	struct ld *L;
	const char *path;
};

static void check_call(const struct cond *c, void *ctx)
{
	struct when_check *w = ctx;
	struct project *p = w->L->p;
	if (project_stream(p, c->arg))
		return;
	const char **names = xcalloc(p->nstreams + 1, sizeof *names);
	for (size_t i = 0; i < p->nstreams; i++)
		names[i] = p->streams[i].name;
	ld_error_in_string(w->L, w->path, c->pos, "%s: unknown stream \"%.64s\"%s", c->func,
			   c->arg, p->nstreams ? proj_suggest_text(c->arg, names, p->nstreams)
					       : " (there are no streams in the file)");
	free(names);
}

static void walk_calls(const struct cond *c, void (*cb)(const struct cond *, void *), void *ctx)
{
	if (!c)
		return;
	if (c->op == COND_CALL)
		cb(c, ctx);
	walk_calls(c->left, cb, ctx);
	walk_calls(c->right, cb, ctx);
}

static void parse_when(struct ld *L, const cJSON *obj, const char *path,
		       struct project_task *t)
{
	const char *text = spec_at_string(L->p, obj, path, "when", false, L->d);
	if (!text)
		return;
	char *wp = spec_path_key(path, "when");
	struct err e;
	size_t at = 0;
	t->when_text = xstrdup(text);
	t->when = cond_parse(text, &at, &e);
	if (!t->when) {
		ld_error_in_string(L, wp, at, "%s", e.msg);
	} else {
		struct when_check w = { L, wp };
		walk_calls(t->when, check_call, &w);
	}
	free(wp);
}

/* Parameters for the flow: declared, of the right type, none missing. */
static void parse_task_params(struct ld *L, const cJSON *obj, const char *path,
			      struct project_task *t)
{
	struct project *p = L->p;
	const cJSON *params = spec_at_object(p, obj, path, "params", false, L->d);
	const struct project_flow *f = project_flow(p, t->flow);
	char *pp = spec_path_key(path, "params");
	if (params && !t->flow)
		ld_error(L, pp, "params go with a flow; a SQL task takes none");
	t->params = xcalloc((size_t)cJSON_GetArraySize(params) + 1, sizeof *t->params);
	for (const cJSON *m = params ? params->child : NULL; m; m = m->next) {
		char *mp = spec_path_key(pp, m->string);
		char *value;
		if (!pjson_scalar_text(m, &value)) {
			ld_error(L, mp, "a parameter value is a string, number, boolean or null, "
				 "not %s", pjson_type_name(m));
			free(mp);
			continue;
		}
		struct project_kv *kv = &t->params[t->nparams++];
		kv->key = xstrdup(m->string);
		kv->value = value;
		const struct project_param *decl = NULL;
		for (size_t i = 0; f && i < f->nparams; i++)
			if (strcmp(f->params[i].name, m->string) == 0)
				decl = &f->params[i];
		if (t->tick_param && str_eq(m->string, t->tick_param)) {
			ld_error(L, mp, "\"%.64s\" is the task's tick_param: each run's tick "
				 "time is its value", m->string);
		} else if (f && !decl) {
			ld_ref(L, mp, "parameter", m->string, f->params, f->nparams,
			       sizeof *f->params);
		} else if (decl) {
			struct err e;
			err_clear(&e);
			if (param_check(decl, value, &e) < 0)
				ld_error(L, mp, "%s", e.msg);
		}
		free(mp);
	}
	for (size_t i = 0; f && i < f->nparams; i++) {
		const struct project_param *decl = &f->params[i];
		bool given = false;
		for (size_t k = 0; k < t->nparams; k++)
			given = given || strcmp(t->params[k].key, decl->name) == 0;
		given = given || (t->tick_param && str_eq(t->tick_param, decl->name));
		if (!decl->has_default && !given)
			ld_error(L, params ? pp : path, "missing required parameter \"%s\" of "
				 "flow \"%s\" (it has no default)", decl->name, f->name);
	}
	free(pp);
}

static void parse_sql(struct ld *L, const cJSON *obj, const char *path,
		      struct project_task *t)
{
	struct project *p = L->p;
	const char *sql = spec_at_string(p, obj, path, "sql", false, L->d);
	const char *conn = spec_at_string(p, obj, path, "connection", false, L->d);
	char *sp = spec_path_key(path, "sql");
	char *cp = spec_path_key(path, "connection");
	if (sql) {
		t->sql_file = project_path(p, sql);
		struct stat st;
		if (!*sql)
			ld_error(L, sp, "the SQL file name is empty");
		else if (stat(t->sql_file, &st) < 0)
			ld_error(L, sp, "no such file \"%.200s\" (looked for %.400s)", sql,
				 t->sql_file);
		else if (!S_ISREG(st.st_mode))
			ld_error(L, sp, "\"%.200s\" is not a regular file", sql);
		else if (access(t->sql_file, R_OK) < 0)
			ld_error(L, sp, "\"%.200s\" cannot be read (permissions)", sql);
		if (t->flow)
			ld_error(L, sp, "a task runs a flow or a SQL file, not both");
		if (!conn)
			ld_error(L, path, "missing required key \"connection\" (the SQL file "
				 "runs on it)");
	}
	if (conn) {
		t->connection = xstrdup(conn);
		if (!sql)
			ld_error(L, cp, "connection goes with sql; a task that runs a flow "
				 "uses the flow's connections");
		else
			ld_ref_connection(L, cp, conn);
	}
	free(sp);
	free(cp);
}

static void parse_catchup(struct ld *L, const cJSON *obj, const char *path,
			  struct project_task *t)
{
	static const char *const modes[] = {
		[CATCHUP_LATEST] = "latest", [CATCHUP_NONE] = "none", [CATCHUP_ALL] = "all",
	};
	int mode;
	t->catchup = ld_enum_member(L, obj, path, "catchup", modes, ARRAY_LEN(modes), &mode)
		? (enum task_catchup)mode : CATCHUP_LATEST;
	const char *tp = spec_at_string(L->p, obj, path, "tick_param", false, L->d);
	if (!tp)
		return;
	t->tick_param = xstrdup(tp);
	const struct project_flow *f = t->flow ? project_flow(L->p, t->flow) : NULL;
	const struct project_param *decl = NULL;
	for (size_t i = 0; f && i < f->nparams; i++)
		if (str_eq(f->params[i].name, tp))
			decl = &f->params[i];
	char *kp = spec_path_key(path, "tick_param");
	if (!t->flow)
		ld_error(L, kp, "tick_param names a parameter of the task's flow; this task "
			 "runs SQL, not a flow");
	else if (f && !decl)
		ld_ref(L, kp, "parameter", tp, f->params, f->nparams, sizeof *f->params);
	else if (decl && decl->type != PARAM_DATE && decl->type != PARAM_TIMESTAMP &&
		 decl->type != PARAM_TEXT)
		ld_error(L, kp, "tick_param \"%.64s\" is a parameter of type %s; the tick's "
			 "time goes into a date, timestamp or text parameter", tp,
			 param_type_name(decl->type));
	free(kp);
}

static void parse_task(struct ld *L, const cJSON *obj, const char *path, void *slot)
{
	static const char *const keys[] = {
		"name", "schedule", "timezone", "when", "after", "flow", "params", "sql",
		"connection", "max_failures", "overlap", "suspended", "pool",
		"catchup", "tick_param", NULL,
	};
	struct project_task *t = slot;
	struct project *p = L->p;
	t->path_in_file = xstrdup(path);
	t->name = ld_name(L, obj, path);
	spec_at_unknown_keys(p, obj, path, keys, L->d);
	parse_schedule(L, obj, path, t);
	parse_when(L, obj, path, t);
	char **after_paths;
	t->nafter = ld_string_list(L, obj, path, "after", &t->after, &after_paths);
	vec_push(&L->after_paths, after_paths);   /* one per task, in order */
	const char *flow = spec_at_string(p, obj, path, "flow", false, L->d);
	if (flow) {
		char *fp = spec_path_key(path, "flow");
		t->flow = xstrdup(flow);
		ld_ref(L, fp, "flow", flow, p->flows, p->nflows, sizeof *p->flows);
		free(fp);
	}
	parse_catchup(L, obj, path, t);
	parse_task_params(L, obj, path, t);
	parse_sql(L, obj, path, t);
	if (!t->flow && !t->sql_file)
		ld_error(L, path, "a task runs a flow (\"flow\") or a SQL file (\"sql\" with "
			 "\"connection\"); this one has neither");
	if (t->schedule.kind == SCHEDULE_NONE && !t->nafter &&
	    !cJSON_GetObjectItemCaseSensitive(obj, "schedule"))
		ld_error(L, path, "a task needs a \"schedule\" or \"after\" (the tasks it "
			 "follows)");
	int64_t mf = spec_at_int(p, obj, path, "max_failures", 10, L->d);
	if (mf < 0 || mf > 1000000) {
		ld_member_error(L, path, "max_failures", "max_failures counts failures in a "
				"row (0 = never suspend), not %lld", (long long)mf);
		mf = 10;
	}
	t->max_failures = (int)mf;
	t->allow_overlap = spec_at_bool(p, obj, path, "overlap", false, L->d);
	t->start_suspended = spec_at_bool(p, obj, path, "suspended", false, L->d);
	t->pool = ld_pool(L, obj, path);
	if (t->pool && !t->flow)
		ld_member_error(L, path, "pool", "a pool routes a flow's runs; this task "
				"runs SQL, not a flow");
}

/* ---- the `after` graph --------------------------------------------------------------- */

struct after_graph {
	struct ld *L;
	struct graph g;
	char ***edge_paths;
};

static void report_task_cycle(const size_t *cycle, size_t len, size_t edge, void *ctx)
{
	struct after_graph *ag = ctx;
	const struct project *p = ag->L->p;
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < len; i++)
		buf_printf(&b, "%s -> ", p->tasks[cycle[i]].name);
	buf_puts(&b, p->tasks[cycle[0]].name);
	ld_error(ag->L, ag->edge_paths[cycle[len - 1]][edge], "cycle in after: %s", buf_str(&b));
	buf_free(&b);
}

static void check_after(struct ld *L)
{
	struct project *p = L->p;
	struct after_graph ag = { L, { p->ntasks, NULL, NULL }, NULL };
	ag.g.adj = xcalloc(p->ntasks + 1, sizeof *ag.g.adj);
	ag.g.nadj = xcalloc(p->ntasks + 1, sizeof *ag.g.nadj);
	ag.edge_paths = xcalloc(p->ntasks + 1, sizeof *ag.edge_paths);
	for (size_t i = 0; i < p->ntasks; i++) {
		struct project_task *t = &p->tasks[i];
		char **paths = L->after_paths.items[i];
		ag.g.adj[i] = xcalloc(t->nafter + 1, sizeof **ag.g.adj);
		ag.edge_paths[i] = paths;
		for (size_t k = 0; k < t->nafter; k++) {
			if (!ld_ref(L, paths[k], "task", t->after[k], p->tasks, p->ntasks,
				    sizeof *p->tasks))
				continue;
			size_t j = (size_t)(project_task(p, t->after[k]) - p->tasks);
			/* edge_paths[i][e] must follow adj[i][e]: keep them in step. */
			char *tmp = paths[ag.g.nadj[i]];
			paths[ag.g.nadj[i]] = paths[k];
			paths[k] = tmp;
			ag.g.adj[i][ag.g.nadj[i]++] = j;
		}
	}
	proj_find_cycles(&ag.g, report_task_cycle, &ag);
	for (size_t i = 0; i < p->ntasks; i++) {
		ld_free_strings(ag.edge_paths[i], p->tasks[i].nafter);
		free(ag.g.adj[i]);
	}
	vec_free(&L->after_paths);
	free(ag.g.adj);
	free(ag.g.nadj);
	free(ag.edge_paths);
}

void ld_load_tasks(struct ld *L)
{
	void *items;
	L->p->ntasks = ld_named_array(L, "tasks", "task", sizeof(struct project_task), &items,
				      parse_task);
	L->p->tasks = items;
	check_after(L);
}

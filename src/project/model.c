/*
 * model.c - the loaded project as data: lookups by name, names of the
 * enumerations, freeing, and the cycle search the task and step graphs
 * share.
 */
#include "project/project_int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ---- names -------------------------------------------------------------------- */

static const char *const step_kind_names[STEP_KIND_COUNT] = {
	"extract", "ingest", "normalize", "sql", "validate", "load", "http", "notify",
};

const char *step_kind_name(enum step_kind k)
{
	return (unsigned)k < STEP_KIND_COUNT ? step_kind_names[k] : "?";
}

bool step_kind_parse(const char *s, enum step_kind *out)
{
	for (int i = 0; i < STEP_KIND_COUNT; i++) {
		if (strcmp(s, step_kind_names[i]) == 0) {
			*out = (enum step_kind)i;
			return true;
		}
	}
	return false;
}

const char *param_type_name(enum param_type t)
{
	static const char *const names[] = {
		"text", "int", "numeric", "bool", "date", "timestamp",
	};
	return (unsigned)t < ARRAY_LEN(names) ? names[t] : "?";
}

const char *table_kind_name(enum table_kind k)
{
	static const char *const names[] = {
		"raw", "staging", "temp", "dimension", "fact", "backfill", "old", "other",
	};
	return (unsigned)k < ARRAY_LEN(names) ? names[k] : "?";
}

const char *pipe_format_name(enum pipe_format f)
{
	static const char *const names[] = { "ndjson", "json", "csv", "parquet" };
	return (unsigned)f < ARRAY_LEN(names) ? names[f] : "?";
}

const char *on_error_name(enum on_error o)
{
	static const char *const names[] = {
		"skip_file", "continue", "abort", "skip_file_N", "skip_file_N%",
		"abort_statement",
	};
	return (unsigned)o < ARRAY_LEN(names) ? names[o] : "?";
}

const char *pipe_on_error_text(const struct project_pipe *pipe, char buf[32])
{
	if (pipe->on_error == ON_ERROR_SKIP_FILE_N)
		snprintf(buf, 32, "skip_file_%d", pipe->on_error_limit);
	else if (pipe->on_error == ON_ERROR_SKIP_FILE_PERCENT)
		snprintf(buf, 32, "skip_file_%d%%", pipe->on_error_limit);
	else
		snprintf(buf, 32, "%s", on_error_name(pipe->on_error));
	return buf;
}

const char *stream_mode_name(enum stream_mode m)
{
	return m == STREAM_APPEND_ONLY ? "append_only" : m == STREAM_DEFAULT ? "default" : "?";
}

const char *connection_kind_name(enum connection_kind k)
{
	return k == CONN_SQLITE ? "sqlite" : k == CONN_POSTGRES ? "postgres" : "?";
}

const char *notify_event_name(enum notify_event ev)
{
	switch (ev) {
	case NOTIFY_RUN_FAILED: return "run_failed";
	case NOTIFY_TASK_SUSPENDED: return "task_suspended";
	case NOTIFY_BACKFILL_WAITING: return "backfill_waiting";
	case NOTIFY_PIPE_FILE_FAILED: return "pipe_file_failed";
	case NOTIFY_RUN_CRASHED: return "run_crashed";
	case NOTIFY_WORKER_LOST: return "worker_lost";
	case NOTIFY_LATE_RUN: return "late_run";
	}
	return "?";
}

enum notify_severity notify_event_severity(enum notify_event ev)
{
	switch (ev) {
	case NOTIFY_RUN_FAILED: case NOTIFY_RUN_CRASHED: case NOTIFY_TASK_SUSPENDED:
		return NOTIFY_SEV_ERROR;
	case NOTIFY_PIPE_FILE_FAILED: case NOTIFY_WORKER_LOST: case NOTIFY_LATE_RUN:
		return NOTIFY_SEV_WARNING;
	case NOTIFY_BACKFILL_WAITING:
		return NOTIFY_SEV_INFO;
	}
	return NOTIFY_SEV_ERROR;
}

const char *notify_severity_name(enum notify_severity s)
{
	return s == NOTIFY_SEV_ERROR ? "error" : s == NOTIFY_SEV_WARNING ? "warning" : "info";
}

static bool any_glob(char *const *globs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (fnmatch(globs[i], name, 0) == 0)
			return true;
	return false;
}

static bool route_matches(const struct project_route *r, enum notify_event ev,
			  const char *object)
{
	if (!(r->events & (unsigned)ev) || notify_event_severity(ev) < r->min_severity)
		return false;
	if (!r->nflows && !r->ntasks && !r->npipes)
		return true;
	const char *colon = object ? strchr(object, ':') : NULL;
	if (!colon)
		return false;
	const char *name = colon + 1;
	size_t kl = (size_t)(colon - object);
	if (kl == 4 && strncmp(object, "flow", 4) == 0)
		return any_glob(r->flows, r->nflows, name);
	if (kl == 4 && strncmp(object, "task", 4) == 0)
		return any_glob(r->tasks, r->ntasks, name);
	if (kl == 4 && strncmp(object, "pipe", 4) == 0)
		return any_glob(r->pipes, r->npipes, name);
	return false;
}

uint64_t project_route(const struct project *p, enum notify_event ev, const char *object)
{
	uint64_t out = 0;
	if (!p->nroutes) {
		unsigned want = (unsigned)ev | (ev == NOTIFY_RUN_CRASHED ? NOTIFY_RUN_FAILED : 0);
		for (size_t i = 0; i < p->nchannels && i < PROJECT_MAX_CHANNELS; i++)
			if (p->channels[i].events & want)
				out |= UINT64_C(1) << i;
		return out;
	}
	for (size_t r = 0; r < p->nroutes; r++) {
		if (!route_matches(&p->routes[r], ev, object))
			continue;
		for (size_t k = 0; k < p->routes[r].nchannels; k++)
			for (size_t i = 0; i < p->nchannels && i < PROJECT_MAX_CHANNELS; i++)
				if (str_eq(p->channels[i].name, p->routes[r].channels[k]))
					out |= UINT64_C(1) << i;
	}
	return out;
}

/* ---- lookups ---------------------------------------------------------------------- */

#define FIND(array, count, field, key)                                   \
	do {                                                             \
		for (size_t i_ = 0; key && i_ < (count); i_++)           \
			if (strcmp((array)[i_].field, key) == 0)         \
				return &(array)[i_];                     \
		return NULL;                                             \
	} while (0)

const struct project_connection *project_connection(const struct project *p, const char *name)
{
	FIND(p->connections, p->nconnections, name, name);
}

const struct project_pipe *project_pipe(const struct project *p, const char *name)
{
	FIND(p->pipes, p->npipes, name, name);
}

const struct project_stream *project_stream(const struct project *p, const char *name)
{
	FIND(p->streams, p->nstreams, name, name);
}

const struct project_task *project_task(const struct project *p, const char *name)
{
	FIND(p->tasks, p->ntasks, name, name);
}

const struct project_flow *project_flow(const struct project *p, const char *name)
{
	FIND(p->flows, p->nflows, name, name);
}

const struct project_step *project_step(const struct project_flow *f, const char *name)
{
	FIND(f->steps, f->nsteps, name, name);
}

const struct project_table *project_table(const struct project *p, const char *name)
{
	FIND(p->tables, p->ntables, name, name);
}

const struct project_channel *project_channel(const struct project *p, const char *name)
{
	FIND(p->channels, p->nchannels, name, name);
}

bool project_check_pg_name(const struct project *p, struct diags *d, const char *conn,
			   const char *path, const char *what, const char *name)
{
	const struct project_connection *c = conn ? project_connection(p, conn) : NULL;
	size_t n = name ? strlen(name) : 0;
	if (!c || n <= PG_NAME_MAX || (c->kind != CONN_POSTGRES && !c->postgres_env))
		return true;
	if (c->kind == CONN_POSTGRES)
		project_diag(p, d, DIAG_ERROR, path, "%s name \"%.40s...\" is %zu bytes; "
			     "PostgreSQL keeps %d and cuts the rest (connection \"%s\" is "
			     "PostgreSQL)", what, name, n, PG_NAME_MAX, c->name);
	else
		project_diag(p, d, DIAG_WARNING, path, "%s name \"%.40s...\" is %zu bytes; "
			     "PostgreSQL keeps %d and cuts the rest (connection \"%s\" is "
			     "PostgreSQL in environment %s)", what, name, n, PG_NAME_MAX,
			     c->name, c->postgres_env);
	return false;
}

char *project_path(const struct project *p, const char *relative)
{
	return path_join(p->dir, relative);
}

/* ---- cycles -------------------------------------------------------------------------- */

struct dfs {
	const struct graph *g;
	unsigned char *color;      /* 0 unseen, 1 on the stack, 2 done */
	size_t *stack, depth;
	void (*report)(const size_t *cycle, size_t len, size_t edge, void *ctx);
	void *ctx;
};

static void dfs_visit(struct dfs *s, size_t v)
{
	s->color[v] = 1;
	s->stack[s->depth++] = v;
	for (size_t k = 0; k < s->g->nadj[v]; k++) {
		size_t w = s->g->adj[v][k];
		if (s->color[w] == 0) {
			dfs_visit(s, w);
		} else if (s->color[w] == 1) {
			size_t from = s->depth;
			while (from > 0 && s->stack[from - 1] != w)
				from--;
			s->report(s->stack + from - 1, s->depth - from + 1, k, s->ctx);
		}
	}
	s->depth--;
	s->color[v] = 2;
}

void proj_find_cycles(const struct graph *g,
		       void (*report)(const size_t *cycle, size_t len, size_t edge, void *ctx),
		       void *ctx)
{
	struct dfs s = { g, xcalloc(g->n + 1, 1), xcalloc(g->n + 1, sizeof(size_t)), 0,
			 report, ctx };
	for (size_t v = 0; v < g->n; v++)
		if (s.color[v] == 0)
			dfs_visit(&s, v);
	free(s.color);
	free(s.stack);
}

/* ---- freeing ----------------------------------------------------------------------------- */

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_kvs(struct project_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_flow(struct project_flow *f)
{
	free(f->name);
	free(f->description);
	for (size_t i = 0; i < f->nparams; i++) {
		free(f->params[i].name);
		free(f->params[i].default_value);
		free(f->params[i].description);
	}
	free(f->params);
	for (size_t i = 0; i < f->nsteps; i++) {
		free(f->steps[i].name);
		free_strings(f->steps[i].needs, f->steps[i].nneeds);
		free(f->steps[i].path_in_file);
	}
	free(f->steps);
	free_strings(f->notify, f->nnotify);
	free(f->pool);
	if (f->partition) {
		free(f->partition->param);
		free(f->partition->column);
		free(f->partition);
	}
	free(f->path_in_file);
}

static void free_task(struct project_task *t)
{
	free(t->name);
	schedule_free(&t->schedule);
	cond_free(t->when);
	free(t->when_text);
	free_strings(t->after, t->nafter);
	free(t->flow);
	free_kvs(t->params, t->nparams);
	free(t->sql_file);
	free(t->connection);
	free(t->pool);
	free(t->tick_param);
	free(t->path_in_file);
}

static void free_pipe(struct project_pipe *x)
{
	free(x->name);
	free(x->path);
	free(x->pattern);
	free(x->connection);
	free(x->table);
	free(x->document);
	for (size_t i = 0; i < x->ncolumns; i++) {
		free(x->columns[i].name);
		free(x->columns[i].type);
		free(x->columns[i].source);
	}
	free(x->columns);
	for (size_t i = 0; i < x->nnull_if; i++)
		free(x->null_if[i]);
	free(x->null_if);
	free(x->pattern_regex);
	free(x->archive);
	free(x->path_in_file);
}

void project_free(struct project *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nconnections; i++) {
		free(p->connections[i].name);
		free(p->connections[i].url);
		free(p->connections[i].password_env);
		free(p->connections[i].postgres_env);
		free(p->connections[i].path);
	}
	free(p->connections);
	free(p->lake.url);
	free(p->lake.endpoint);
	free(p->lake.region);
	free(p->lake.access_key_env);
	free(p->lake.secret_key_env);
	for (size_t i = 0; i < p->npipes; i++)
		free_pipe(&p->pipes[i]);
	free(p->pipes);
	for (size_t i = 0; i < p->nstreams; i++) {
		struct project_stream *s = &p->streams[i];
		free(s->name);
		free(s->connection);
		free(s->table);
		free(s->offset_column);
		free(s->watermark_column);
		free(s->path_in_file);
	}
	free(p->streams);
	for (size_t i = 0; i < p->ntasks; i++)
		free_task(&p->tasks[i]);
	free(p->tasks);
	for (size_t i = 0; i < p->nflows; i++)
		free_flow(&p->flows[i]);
	free(p->flows);
	for (size_t i = 0; i < p->nchannels; i++) {
		struct project_channel *c = &p->channels[i];
		free(c->name);
		free(c->webhook_env);
		free(c->secret_env);
		free(c->smtp_url);
		free(c->smtp_url_env);
		free(c->username_env);
		free(c->password_env);
		free(c->ca_file);
		free(c->from);
		free_strings(c->to, c->nto);
		free(c->path_in_file);
	}
	free(p->channels);
	for (size_t i = 0; i < p->nroutes; i++) {
		struct project_route *r = &p->routes[i];
		free_strings(r->flows, r->nflows);
		free_strings(r->tasks, r->ntasks);
		free_strings(r->pipes, r->npipes);
		free_strings(r->channels, r->nchannels);
	}
	free(p->routes);
	for (size_t i = 0; i < p->ntables; i++) {
		struct project_table *t = &p->tables[i];
		free(t->name);
		free(t->connection);
		free(t->description);
		free_strings(t->key, t->nkey);
		free_kvs(t->column_notes, t->ncolumn_notes);
		free(t->path_in_file);
	}
	free(p->tables);
	free_strings(p->env_names, p->nenv_names);
	free(p->env.name);
	free(p->file);
	free(p->dir);
	free(p->name);
	free(p->control_url);
	free(p->text);
	cJSON_Delete(p->root);
	pjson_free(p->positions);
	free(p);
}

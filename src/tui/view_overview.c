/*
 * view_overview.c - health at a glance: runs, tasks, pipes and streams by
 * state, rows moved per minute over the last half hour, the engine's
 * workers and their heartbeats, the store; and under them the problems,
 * one selectable row each: failed and crashed runs, lost workers, files
 * that failed to load, pipes stopped on error, auto-suspended tasks, late
 * runs and backfills waiting for approval.  Enter opens the object; the
 * natural action (R retry, u resume, F reload, a approve) is one key away
 * and asks first.
 *
 * Every number is read from the store (indexed counts and short lists:
 * cheap at 100,000 runs), and from the project for what exists.  Counts
 * are written as "3 FAILED", the state spelled out in its colour, so a
 * monochrome terminal loses nothing.
 */
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_pager.h"
#include "tui/widget_sparkline.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

#define SPARK_MINUTES 30
#define LW 10


static void count(struct tui_doc *d, int64_t n, const char *state, bool always)
{
	if (!n && !always)
		return;
	char num[32];
	tui_fmt_count(n, num, sizeof num);
	tui_doc_printf(d, n ? R_NORMAL : R_DIM, "%s ", num);
	if (n)
		tui_doc_state(d, state, 0);
	else
		tui_doc_put(d, R_DIM, state);
	tui_doc_put(d, R_NORMAL, "  ");
}

static void label(struct tui_doc *d, const char *text)
{
	tui_doc_cell(d, R_TITLE, LW, false, text);
}

static void runs_block(struct tui_doc *d, const struct tui_data *data, struct err *e)
{
	/* unfinished runs are few among many finished ones: list them (an
	 * index of their own) instead of counting every run there is */
	static const enum run_state active[] = { RUN_RUNNING, RUN_PENDING, RUN_RETRYING,
		RUN_SCHEDULED, RUN_LATE, RUN_CANCELLING };
	int64_t all[RUN_STATE_COUNT] = { 0 }, day[RUN_STATE_COUNT];
	struct store_run_filter af = { .limit = 10000 };
	for (size_t i = 0; i < ARRAY_LEN(active); i++)
		af.states |= RUN_STATE_BIT(active[i]);
	struct vec runs = VEC_INIT;
	if (store_run_list(data->store, &af, &runs, e) < 0 ||
	    store_run_counts(data->store, NULL, data->now - 24 * 3600 * USEC_PER_SEC,
			     day, e) < 0) {
		store_run_list_free(&runs);
		return;
	}
	for (size_t i = 0; i < runs.len; i++)
		all[((struct store_run *)runs.items[i])->state]++;
	store_run_list_free(&runs);
	label(d, "RUNS");
	for (size_t i = 0; i < ARRAY_LEN(active); i++)
		count(d, all[active[i]], run_state_name(active[i]), i < 2);
	tui_doc_put(d, R_DIM, "(now)");
	tui_doc_nl(d);
	label(d, "");
	static const enum run_state done[] = { RUN_COMPLETED, RUN_CACHED, RUN_FAILED,
		RUN_CRASHED, RUN_CANCELLED };
	for (size_t i = 0; i < ARRAY_LEN(done); i++)
		count(d, day[done[i]], run_state_name(done[i]),
		      done[i] == RUN_COMPLETED || done[i] == RUN_FAILED);
	tui_doc_put(d, R_DIM, "(last 24h)");
	tui_doc_nl(d);
}

static void tasks_block(struct tui_doc *d, const struct tui_data *data,
			const struct vec *objs)
{
	int64_t started = 0, suspended = 0, auto_susp = 0;
	for (size_t i = 0; i < data->project->ntasks; i++) {
		const struct project_task *pt = &data->project->tasks[i];
		char name[256];
		snprintf(name, sizeof name, "task:%s", pt->name);
		const char *state = pt->start_suspended ? "SUSPENDED" : "STARTED";
		for (size_t k = 0; k < objs->len; k++) {
			const struct store_object_state *o = objs->items[k];
			if (str_eq(o->object, name))
				state = o->state;
		}
		if (str_eq(state, "STARTED"))
			started++;
		else if (str_eq(state, "SUSPENDED"))
			suspended++;
		else
			auto_susp++;
	}
	label(d, "TASKS");
	count(d, started, "STARTED", true);
	count(d, suspended, "SUSPENDED", true);
	count(d, auto_susp, "FAILED_AND_AUTO_SUSPENDED", false);
	tui_doc_nl(d);
}

static void pipes_block(struct tui_doc *d, const struct tui_data *data,
			const struct vec *objs, struct err *e)
{
	int64_t running = 0, paused = 0, stopped = 0, failed = 0;
	for (size_t i = 0; i < data->project->npipes; i++) {
		const struct project_pipe *pp = &data->project->pipes[i];
		char name[256];
		snprintf(name, sizeof name, "pipe:%s", pp->name);
		bool is_paused = false, is_stopped = false;
		for (size_t k = 0; k < objs->len; k++) {
			const struct store_object_state *o = objs->items[k];
			if (str_eq(o->object, name) && str_eq(o->state, "PAUSED"))
				is_paused = true;
			if (str_eq(o->object, name) && str_eq(o->state, "STOPPED_ON_ERROR"))
				is_stopped = true;
		}
		is_paused ? paused++ : is_stopped ? stopped++ : running++;
		int64_t c[LOAD_STATUS_COUNT];
		if (store_load_counts(data->store, pp->name, c, e) == 0)
			failed += c[LOAD_FAILED];
	}
	label(d, "PIPES");
	count(d, running, "RUNNING", true);
	count(d, paused, "PAUSED", true);
	count(d, stopped, "STOPPED_ON_ERROR", false);
	char num[32];
	tui_fmt_count(failed, num, sizeof num);
	tui_doc_printf(d, failed ? R_NORMAL : R_DIM, "%s file%s ", num, failed == 1 ? "" : "s");
	if (failed)
		tui_doc_state(d, "LOAD_FAILED", 0);
	else
		tui_doc_put(d, R_DIM, "LOAD_FAILED");
	tui_doc_nl(d);
}

static void streams_block(struct tui_doc *d, const struct tui_data *data, struct err *e)
{
	struct vec mirror = VEC_INIT;
	if (store_stream_list(data->store, &mirror, e) < 0)
		return;
	int64_t with = 0, empty = 0, unknown = 0;
	for (size_t i = 0; i < data->project->nstreams; i++) {
		int64_t rows = -1;
		for (size_t k = 0; k < mirror.len; k++) {
			const struct store_stream_offset *m = mirror.items[k];
			if (str_eq(m->stream, data->project->streams[i].name))
				rows = m->pending_rows;
		}
		rows > 0 ? with++ : rows == 0 ? empty++ : unknown++;
	}
	store_stream_list_free(&mirror);
	label(d, "STREAMS");
	tui_doc_printf(d, R_NORMAL, "%lld with pending rows  %lld caught up", (long long)with,
		       (long long)empty);
	if (unknown)
		tui_doc_printf(d, R_DIM, "  %lld not seen yet", (long long)unknown);
	tui_doc_nl(d);
}

/* Rows moved per minute: runs' rows out by the minute they ended, and
 * loads made outside runs (pipes polled by the engine) by their minute. */
static void rows_block(struct tui_doc *d, const struct tui_data *data, struct err *e)
{
	double per_min[SPARK_MINUTES];
	for (int i = 0; i < SPARK_MINUTES; i++)
		per_min[i] = 0;
	usec_t minute = 60 * USEC_PER_SEC;
	usec_t start = data->now - SPARK_MINUTES * minute;
	/* runs that ended in the last half hour and started in the last six
	 * (the created_at index keeps this to the recent few) */
	struct store_run_filter f = { .limit = 10000,
				      .since = data->now - 6 * 3600 * USEC_PER_SEC };
	struct vec runs = VEC_INIT;
	if (store_run_list(data->store, &f, &runs, e) == 0) {
		for (size_t i = 0; i < runs.len; i++) {
			const struct store_run *r = runs.items[i];
			if (r->ended >= start && r->ended <= data->now) {
				int b = (int)((r->ended - start) / minute);
				per_min[b < SPARK_MINUTES ? b : SPARK_MINUTES - 1] += (double)r->rows_out;
			}
		}
	}
	store_run_list_free(&runs);
	for (size_t p = 0; p < data->project->npipes; p++) {
		for (int off = 0; off < 5000; off += 200) {
			struct vec loads = VEC_INIT;
			if (store_load_list(data->store, data->project->pipes[p].name, 0, 200, off,
					    &loads, e) < 0)
				break;
			bool older = loads.len < 200;
			for (size_t i = 0; i < loads.len; i++) {
				const struct store_load *l = loads.items[i];
				if (l->loaded < start) {
					older = true;
					break;
				}
				if (l->run_id == 0 && l->loaded <= data->now) {
					int b = (int)((l->loaded - start) / minute);
					per_min[b < SPARK_MINUTES ? b : SPARK_MINUTES - 1] +=
						(double)l->rows_loaded;
				}
			}
			store_load_list_free(&loads);
			if (older)
				break;
		}
	}
	double total = 0;
	for (int i = 0; i < SPARK_MINUTES; i++)
		total += per_min[i];
	label(d, "ROWS/MIN");
	struct buf spark = BUF_INIT;
	tui_sparkline(per_min, SPARK_MINUTES, SPARK_MINUTES, theme_utf8(), &spark);
	tui_doc_put(d, R_STATE_RUNNING, buf_str(&spark));
	buf_free(&spark);
	char last[32], sum[32];
	tui_fmt_count((int64_t)per_min[SPARK_MINUTES - 1], last, sizeof last);
	tui_fmt_count((int64_t)total, sum, sizeof sum);
	tui_doc_printf(d, R_NORMAL, "  %s this minute, %s in %d min", last, sum,
		       SPARK_MINUTES);
	tui_doc_nl(d);
}

static void engine_block(struct tui_doc *d, const struct tui_data *data, struct err *e)
{
	struct vec workers = VEC_INIT;
	if (store_worker_list(data->store, &workers, e) < 0)
		return;
	label(d, "ENGINE");
	if (!workers.len) {
		tui_doc_put(d, R_STATE_WARN, "no worker");
		tui_doc_put(d, R_NORMAL, ": runs wait until `sluice worker` (or a console "
			    "with an engine) runs");
		tui_doc_nl(d);
	}
	for (size_t i = 0; i < workers.len; i++) {
		const struct store_worker *w = workers.items[i];
		char ago[32];
		tui_fmt_ago(data->now, w->heartbeat, ago, sizeof ago);
		bool stale = data->now - w->heartbeat > 30 * USEC_PER_SEC;
		if (i)
			label(d, "");
		if (i == 3 && workers.len > 4) {
			tui_doc_printf(d, R_DIM, "and %zu more workers", workers.len - 3);
			tui_doc_nl(d);
			break;
		}
		tui_doc_printf(d, R_NORMAL, "%s on %s, heartbeat ", w->id, w->host);
		tui_doc_put(d, stale ? R_STATE_FAILED : R_NORMAL, ago);
		if (stale)
			tui_doc_put(d, R_STATE_FAILED, " (LOST?)");
		tui_doc_nl(d);
	}
	store_worker_list_free(&workers);
	label(d, "STORE");
	tui_doc_printf(d, R_NORMAL, "%s  %s", store_backend(data->store),
		       store_url(data->store));
	tui_doc_nl(d);
}

/* ---- the problems: one row each, keyed "KIND:NAME" ----------------------- */

enum { P_WHEN, P_STATE, P_OBJECT, P_PROBLEM, P_DO, P_NCOLS };
static const struct tui_column problem_cols[] = {
	TUI_COL_TIME("WHEN", 9, .drop = 3),
	TUI_COL_STATE("STATE", 11),
	TUI_COL_TEXT("OBJECT", 28, .path = true),
	TUI_COL_FLEX("PROBLEM", 10, .drop = 1),
	TUI_COL_TEXT("DO", 9, .drop = 2),
};
static const struct tui_list_spec problem_spec = {
	problem_cols, ARRAY_LEN(problem_cols), 0, true, "problems",
	"Problems are what needs an operator: failed and crashed runs, lost "
	"workers, files that failed to load, stopped pipes, auto-suspended "
	"tasks, late runs and backfills waiting for approval.",
};

#define PROBLEM_RUNS 20
#define PROBLEM_FILES 5

static void add_problem(struct tui_list *l, const char *key, usec_t now, usec_t at,
			const char *state, const char *object, const char *problem,
			const char *action)
{
	struct tui_ago_cell when = { "-", "0" };
	if (at)
		tui_ago_cell(&when, now, at);
	char first[300];
	tui_first_line(problem, first, sizeof first);
	const char *cells[P_NCOLS] = { when.text, state, object, first, action };
	const char *sort[P_NCOLS] = { when.sort };
	tui_list_add_sorted(l, key, cells, sort);
}

/* "retried as run 15 (PENDING)" when a retry of `id` exists (the newest). */
static void retried_as(const struct tui_data *data, int64_t id, char *out, size_t n,
		       struct err *e)
{
	struct store_run_filter f = { .parent_run = id, .limit = 1 };
	struct vec kids = VEC_INIT;
	if (store_run_list(data->store, &f, &kids, e) == 0 && kids.len) {
		const struct store_run *k = kids.items[0];
		snprintf(out, n, "retried as run %lld (%s)", (long long)k->id,
			 run_state_name(k->state));
	}
	store_run_list_free(&kids);
}

static void run_problems(struct tui_list *l, const struct tui_data *data, struct err *e)
{
	struct store_run_filter f = {
		.states = RUN_STATE_BIT(RUN_FAILED) | RUN_STATE_BIT(RUN_CRASHED) |
			  RUN_STATE_BIT(RUN_LATE),
		.limit = PROBLEM_RUNS,
	};
	struct vec runs = VEC_INIT;
	if (store_run_list(data->store, &f, &runs, e) == 0) {
		for (size_t i = 0; i < runs.len; i++) {
			const struct store_run *r = runs.items[i];
			bool late = r->state == RUN_LATE;
			char key[64], object[300];
			snprintf(key, sizeof key, "run:%lld", (long long)r->id);
			snprintf(object, sizeof object, "run %lld %s", (long long)r->id, r->flow);
			char retried[300] = "";
			if (!late)
				retried_as(data, r->id, retried, sizeof retried, e);
			const char *why = late ? "not started at its scheduled time"
				: *retried ? retried
				: r->error && *r->error ? r->error : "(no error recorded)";
			add_problem(l, key, data->now, late ? r->scheduled
				    : r->ended ? r->ended : r->updated,
				    run_state_name(r->state), object, why,
				    late || *retried ? "" : "R retry");
		}
	}
	store_run_list_free(&runs);
}

static void worker_problems(struct tui_list *l, const struct tui_data *data, struct err *e)
{
	struct vec workers = VEC_INIT;
	if (store_worker_list(data->store, &workers, e) < 0)
		return;
	for (size_t i = 0; i < workers.len; i++) {
		const struct store_worker *w = workers.items[i];
		if (!engine_worker_lost(w, 0))
			continue;
		char key[300], object[300], why[300], ago[32];
		tui_fmt_ago(data->now, w->heartbeat, ago, sizeof ago);
		snprintf(key, sizeof key, "worker:%s", w->id);
		snprintf(object, sizeof object, "worker %s", w->id);
		snprintf(why, sizeof why, "no heartbeat since %s; %lld run%s in flight", ago,
			 (long long)w->in_flight, w->in_flight == 1 ? "" : "s");
		add_problem(l, key, data->now, w->heartbeat, "LOST", object, why, "");
	}
	store_worker_list_free(&workers);
}

static void pipe_problems(struct tui_list *l, const struct tui_data *data,
			  const struct vec *objs, struct err *e)
{
	for (size_t p = 0; p < data->project->npipes; p++) {
		const char *name = data->project->pipes[p].name;
		char key[600], object[600];
		const struct store_object_state *o = tui_object_state(objs, "pipe", name);
		if (o && str_eq(o->state, "STOPPED_ON_ERROR")) {
			snprintf(key, sizeof key, "pipe:%s", name);
			snprintf(object, sizeof object, "pipe %s", name);
			add_problem(l, key, data->now, o->changed, o->state, object,
				    o->reason ? o->reason : "stopped on error", "u resume");
		}
		struct vec loads = VEC_INIT;
		if (store_load_list(data->store, name, 1u << LOAD_FAILED, PROBLEM_FILES, 0,
				    &loads, e) == 0) {
			for (size_t i = 0; i < loads.len; i++) {
				const struct store_load *ld = loads.items[i];
				char *why = xasprintf("%s: %s", name,
						      ld->first_error ? ld->first_error : "");
				snprintf(key, sizeof key, "file:%s:%s", name, ld->file_key);
				add_problem(l, key, data->now, ld->loaded,
					    load_status_name(ld->status), ld->file_key, why,
					    "F reload");
				free(why);
			}
		}
		store_load_list_free(&loads);
	}
}

static void task_problems(struct tui_list *l, const struct tui_data *data,
			  const struct vec *objs)
{
	for (size_t i = 0; i < data->project->ntasks; i++) {
		const char *name = data->project->tasks[i].name;
		const struct store_object_state *o = tui_object_state(objs, "task", name);
		if (!o || !str_eq(o->state, "FAILED_AND_AUTO_SUSPENDED"))
			continue;
		char key[300], object[300];
		snprintf(key, sizeof key, "task:%s", name);
		snprintf(object, sizeof object, "task %s", name);
		add_problem(l, key, data->now, o->changed, "AUTO_SUSPENDED", object,
			    o->reason ? o->reason : "suspended after failing", "u resume");
	}
}

static void backfill_problems(struct tui_list *l, const struct tui_data *data,
			      struct err *e)
{
	struct vec bfs = VEC_INIT;
	if (store_backfill_list(data->store, NULL, 50, &bfs, e) < 0)
		return;
	for (size_t i = 0; i < bfs.len; i++) {
		const struct store_backfill *b = bfs.items[i];
		if (b->state != BACKFILL_WAITING || !str_eq(b->step, "compare"))
			continue;
		char key[64], object[300], why[300];
		snprintf(key, sizeof key, "backfill:%lld", (long long)b->id);
		snprintf(object, sizeof object, "backfill %lld %s", (long long)b->id, b->flow);
		snprintf(why, sizeof why, "compared, waiting for approval (started by %s)",
			 b->created_by ? b->created_by : "?");
		add_problem(l, key, data->now, b->updated, "WAITING", object, why, "a approve");
	}
	store_backfill_list_free(&bfs);
}

static void problems_read(struct tui_view *v, const struct tui_data *data,
			  const struct vec *objs, struct err *e)
{
	struct tui_list *l = tui_list_view_list(v);
	tui_list_begin(l);
	run_problems(l, data, e);
	worker_problems(l, data, e);
	pipe_problems(l, data, objs, e);
	task_problems(l, data, objs);
	backfill_problems(l, data, e);
	tui_list_end(l);
	tui_list_set_empty(l, "No problems: no failed or late runs, lost workers, "
			   "failed files, stopped pipes, suspended tasks or backfills "
			   "waiting for approval.");
}

/* The row's kind ("run") in `kind` and what follows the colon. */
static const char *problem_kind(const char *key, char *kind, size_t n)
{
	const char *colon = strchr(key, ':');
	BUG_ON(!colon);
	snprintf(kind, n, "%.*s", (int)(colon - key), key);
	return colon + 1;
}

static int open_problem(struct tui *t, const char *key)
{
	char kind[16];
	const char *name = problem_kind(key, kind, sizeof kind);
	if (str_eq(kind, "run"))
		return tui_open_run(t, strtoll(name, NULL, 10));
	if (str_eq(kind, "backfill"))
		return tui_open_backfill(t, strtoll(name, NULL, 10));
	if (str_eq(kind, "task"))
		return tui_open_task_history(t, name);
	if (str_eq(kind, "pipe"))
		return tui_open_loads(t, name);
	if (str_eq(kind, "file")) {
		char *pipe = xstrdup(name);
		*strchr(pipe, ':') = '\0';
		int rd = tui_open_loads(t, pipe);
		free(pipe);
		return rd;
	}
	int i = tui_view_index("workers");
	BUG_ON(!str_eq(kind, "worker") || i < 0);
	int rd = tui_switch(t, (size_t)i);
	struct tui_view *w = tui_top(t);
	if (w->ops->select)
		w->ops->select(w, name);
	return rd;
}

static int overview_detail(struct tui_view *v)
{
	return tui_list_view_open_selected(v, open_problem);
}

/* The natural action of each kind of problem: the key, and the command
 * it asks to run: BEFORE NAME [MIDDLE FILE] AFTER. */
struct problem_fix {
	const char *kind;
	int key;
	const char *before, *middle, *after;
};
static const struct problem_fix fixes[] = {
	{ "run", 'R', "retry ", NULL, "" },
	{ "task", 'u', "task resume ", NULL, "" },
	{ "pipe", 'u', "pipe resume ", NULL, "" },
	{ "file", 'F', "pipe refresh ", " --force --file ", "" },
	{ "backfill", 'a', "backfill approve ", NULL, " --yes" },
};

static char *fix_question(const char *kind, const char *name, const char *file)
{
	if (str_eq(kind, "run"))
		return xasprintf("Retry run %s? A new run of its flow starts with the "
				 "same parameters.", name);
	if (str_eq(kind, "task"))
		return xasprintf("Resume task %s? It fires again on its schedule.", name);
	if (str_eq(kind, "pipe"))
		return xasprintf("Resume pipe %s? It takes new files again.", name);
	if (str_eq(kind, "file"))
		return xasprintf("Reload %s into pipe %s's table? The rows it loaded "
				 "before are replaced by the file's current contents.",
				 file, name);
	return xasprintf("Approve backfill %s? The rebuilt tables replace the current "
			 "ones in one transaction; the current ones are kept as "
			 "TABLE_old.", name);
}

static int act_fix(struct tui *t, const struct tui_action *a, int key)
{
	struct tui_view *v = tui_top(t);
	const char *sel = tui_list_view_selected(v);
	if (!sel)
		return tui_message(t, true, "%s: nothing selected", a->name);
	char kind[16];
	const char *rest = problem_kind(sel, kind, sizeof kind);
	const struct problem_fix *fix = NULL;
	for (size_t i = 0; i < ARRAY_LEN(fixes); i++)
		if (str_eq(fixes[i].kind, kind) && fixes[i].key == key)
			fix = &fixes[i];
	if (!fix)
		return tui_message(t, true, "%s does not apply to %s %s", a->name, kind, rest);
	/* a file's row is PIPE:KEY */
	char *name = xstrdup(rest), *file = NULL;
	if (fix->middle) {
		file = strchr(name, ':');
		*file++ = '\0';
	}
	struct buf cmd = BUF_INIT;
	buf_puts(&cmd, fix->before);
	tui_quote_word(&cmd, name);
	if (file) {
		buf_puts(&cmd, fix->middle);
		tui_quote_word(&cmd, file);
	}
	buf_puts(&cmd, fix->after);
	char *question = fix_question(kind, name, file);
	int rd = tui_confirm_command(t, question, a->name, buf_str(&cmd));
	free(question);
	buf_free(&cmd);
	free(name);
	return rd;
}

static const struct tui_action overview_actions[] = {
	{ .keys = { 'R' }, .label = "R", .name = "retry",
	  .help = "retry the selected failed run", .mutates = true, .run = act_fix },
	{ .keys = { 'u' }, .label = "u", .name = "resume",
	  .help = "resume the selected task or pipe", .mutates = true, .run = act_fix },
	{ .keys = { 'F' }, .label = "F", .name = "reload",
	  .help = "reload the selected file (replacing its rows)", .mutates = true,
	  .run = act_fix },
	{ .keys = { 'a' }, .label = "a", .name = "approve",
	  .help = "approve the selected backfill", .mutates = true, .run = act_fix },
};

static void overview_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct tui_doc d;
	tui_doc_begin(&d, tui_list_view_head(v));
	v->clock = 0;
	if (!data->store || !data->project) {
		tui_doc_end(&d);
		tui_list_begin(tui_list_view_list(v));
		tui_list_end(tui_list_view_list(v));
		return;
	}
	struct err e;
	err_clear(&e);
	struct vec objs = VEC_INIT;
	store_object_list(data->store, NULL, &objs, &e);
	runs_block(&d, data, &e);
	tasks_block(&d, data, &objs);
	pipes_block(&d, data, &objs, &e);
	streams_block(&d, data, &e);
	rows_block(&d, data, &e);
	engine_block(&d, data, &e);
	problems_read(v, data, &objs, &e);
	store_object_list_free(&objs);
	if (e.code != ERR_OK)
		tui_doc_put(&d, R_ERROR, err_text(&e));
	tui_doc_heading(&d, "PROBLEMS");
	tui_doc_end(&d);
	v->clock = 10 * USEC_PER_SEC;     /* heartbeats age, minutes pass */
}

/* The summary above the problems, but the problems keep the room they
 * need (up to half the body): in an incident they are what matters. */
static void overview_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	struct tui *t = v->tui;
	struct tui_list_view *lv = v->state;
	if (t->store && t->cfg->project_model) {
		int want = lv->list.nshown ? (int)lv->list.nshown + 1 : 3;
		if (want > h / 2)
			want = h / 2;
		int top = (int)lv->head->lines.len;
		if (top > h - want)
			top = h - want;
		tui_pager_draw(lv->head, w, 0, 0, top, width);
		tui_list_draw(&lv->list, w, top, 0, h - top, width);
		return;
	}
	for (int i = 0; i < h; i++)
		tui_fill(w, i, 0, width, theme_attr(R_NORMAL));
	char *why = tui_no_store_reason(t);
	char *notice = xasprintf(
		"No control store is open, so there is nothing to show yet.\n\n"
		"The overview counts runs, tasks and pipes by state, lists what "
		"needs an operator and draws the rows moved per minute, all read "
		"from the control store of a project.\n\n%s\n\n"
		"Press ? for help, : for the command prompt, q to quit.", why);
	tui_notice(w, 0, 0, h, width, notice);
	free(notice);
	free(why);
}

static void overview_where(struct tui_view *v, struct buf *out)
{
	struct tui *t = v->tui;
	if (!t->store) {
		buf_puts(out, "no store");
		return;
	}
	tui_list_view_where(v, out);
}

static void overview_open(struct tui_view *v)
{
	tui_list_view_open(v, &problem_spec);
	tui_list_view_head(v);
}

const struct tui_view_ops view_overview_ops = {
	.name = "overview",
	.title = "Overview",
	.key = '1',
	.in_tabs = true,
	.summary = "health at a glance, and the problems to act on",
	.areas = ~STORE_AREA_BIT(STORE_AREA_LOGS),
	.actions = overview_actions,
	.nactions = ARRAY_LEN(overview_actions),
	.open = overview_open,
	.refresh = overview_refresh,
	.draw = overview_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = overview_detail,
	.selected = tui_list_view_selected,
	.where = overview_where,
	.close = tui_list_view_close,
};

/*
 * view_overview.c - health at a glance: runs, tasks, pipes and streams by
 * state, rows moved per minute over the last half hour, the engine's
 * workers and their heartbeats, the store, and the recent failures with
 * their first error line.
 *
 * Every number is read from the store (indexed counts and short lists:
 * cheap at 100,000 runs), and from the project for what exists.  Counts
 * are written as "3 FAILED", the state spelled out in its colour, so a
 * monochrome terminal loses nothing.
 */
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

struct overview {
	struct tui_pager pager;       /* first: the page operations use it */
};

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

struct failure {
	usec_t at;
	char *text;
	char *state;
};

static int by_time_desc(const void *a, const void *b)
{
	const struct failure *fa = *(struct failure *const *)a, *fb = *(struct failure *const *)b;
	return fa->at < fb->at ? 1 : fa->at > fb->at ? -1 : 0;
}

static void failures_block(struct tui_doc *d, const struct tui_data *data, struct err *e)
{
	struct vec all = VEC_INIT;
	struct store_run_filter f = {
		.states = RUN_STATE_BIT(RUN_FAILED) | RUN_STATE_BIT(RUN_CRASHED),
		.limit = 6,
	};
	struct vec runs = VEC_INIT;
	if (store_run_list(data->store, &f, &runs, e) == 0) {
		for (size_t i = 0; i < runs.len; i++) {
			const struct store_run *r = runs.items[i];
			struct failure *fl = xcalloc(1, sizeof *fl);
			char first[300];
			tui_first_line(r->error, first, sizeof first);
			fl->at = r->ended ? r->ended : r->updated;
			fl->state = xstrdup(run_state_name(r->state));
			fl->text = xasprintf("run %lld %s: %s", (long long)r->id, r->flow,
					     *first ? first : "(no error recorded)");
			vec_push(&all, fl);
		}
	}
	store_run_list_free(&runs);
	for (size_t p = 0; p < data->project->npipes; p++) {
		struct vec loads = VEC_INIT;
		if (store_load_list(data->store, data->project->pipes[p].name,
				    1u << LOAD_FAILED, 3, 0, &loads, e) == 0) {
			for (size_t i = 0; i < loads.len; i++) {
				const struct store_load *l = loads.items[i];
				struct failure *fl = xcalloc(1, sizeof *fl);
				char first[300];
				tui_first_line(l->first_error, first, sizeof first);
				fl->at = l->loaded;
				fl->state = xstrdup(load_status_name(l->status));
				fl->text = xasprintf("pipe %s %s: %s", l->pipe, l->file_key, first);
				vec_push(&all, fl);
			}
		}
		store_load_list_free(&loads);
	}
	vec_sort(&all, by_time_desc);
	tui_doc_heading(d, "RECENT FAILURES");
	if (!all.len) {
		tui_doc_put(d, R_DIM, "  none");
		tui_doc_nl(d);
	}
	for (size_t i = 0; i < all.len; i++) {
		struct failure *fl = all.items[i];
		if (i < 6) {
			char ago[32];
			tui_fmt_ago(data->now, fl->at, ago, sizeof ago);
			tui_doc_put(d, R_NORMAL, "  ");
			tui_doc_cell(d, R_DIM, 9, false, ago);
			tui_doc_put(d, R_NORMAL, " ");
			tui_doc_state(d, fl->state, 11);
			tui_doc_put(d, R_NORMAL, " ");
			tui_doc_put(d, R_NORMAL, fl->text);
			tui_doc_nl(d);
		}
		free(fl->text);
		free(fl->state);
		free(fl);
	}
	vec_free(&all);
}

static void overview_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct overview *o = v->state;
	struct tui_doc d;
	tui_doc_begin(&d, &o->pager);
	v->clock = 0;
	if (!data->store || !data->project) {
		tui_doc_end(&d);
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
	failures_block(&d, data, &e);
	store_object_list_free(&objs);
	if (e.code != ERR_OK) {
		tui_doc_nl(&d);
		tui_doc_put(&d, R_ERROR, err_text(&e));
	}
	tui_doc_end(&d);
	v->clock = 10 * USEC_PER_SEC;     /* heartbeats age, minutes pass */
}

static void overview_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	struct overview *o = v->state;
	struct tui *t = v->tui;
	if (t->store && t->cfg->project_model) {
		tui_pager_draw(&o->pager, w, 0, 0, h, width);
		return;
	}
	for (int i = 0; i < h; i++)
		tui_fill(w, i, 0, width, theme_attr(R_NORMAL));
	char *why = tui_no_store_reason(t);
	char *notice = xasprintf(
		"No control store is open, so there is nothing to show yet.\n\n"
		"The overview counts runs, tasks and pipes by state, lists recent "
		"failures and draws the rows moved per minute, all read from the "
		"control store of a project.\n\n%s\n\n"
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
	tui_page_where(v, out);
}

static void overview_open(struct tui_view *v)
{
	struct overview *o = xcalloc(1, sizeof *o);
	tui_pager_init(&o->pager);
	v->state = o;
	v->stale = true;
}

static void overview_close(struct tui_view *v)
{
	struct overview *o = v->state;
	tui_pager_free(&o->pager);
	free(o);
	v->state = NULL;
}

const struct tui_view_ops view_overview_ops = {
	.name = "overview",
	.title = "Overview",
	.key = '1',
	.in_tabs = true,
	.summary = "health at a glance: states, failures, rows per minute",
	.areas = ~STORE_AREA_BIT(STORE_AREA_LOGS),
	.open = overview_open,
	.refresh = overview_refresh,
	.draw = overview_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.slash = "search",
	.where = overview_where,
	.close = overview_close,
};

/*
 * view_runs.c - flow runs: state, trigger, rows, errors; and the same list
 * for one flow, pushed from the flows view, under the watermarks of the
 * tables its extract steps read (value, when it moved, which run).
 *
 * A store may hold a hundred thousand runs, so the view reads a window:
 * the newest 500, growing by 500 (up to 5,000) as the selection reaches
 * its end; the status line says how many there are in all.  The `/`
 * filter applies to the rows read, and when it names run states (FAILED,
 * "runn") and no flow, the store is asked for runs in those states, so
 * old failures are found too.  Enter opens the run's detail.
 */
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_list.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"
#include "steps/steps.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct tui_column columns[] = {
	TUI_COL_NUMBER("ID", 7),
	TUI_COL_TEXT("FLOW", 18, .weight = 1),
	TUI_COL_STATE("STATE", 10),
	TUI_COL_TEXT("TRIGGER", 8, .drop = 3),
	TUI_COL_TIME("STARTED", 9, .drop = 2),
	TUI_COL_NUMBER("TOOK", 7, .drop = 4),
	TUI_COL_NUMBER("ROWS", 9, .drop = 5),
	TUI_COL_FLEX("ERROR", 5, .drop = 1),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, true, "runs",
	"Runs are executions of flows, with every state change recorded.",
};

/* A finished run has nothing to cancel: say so before asking. */
static char *refuse_finished(struct tui *t, const char *key)
{
	struct tui_data d = tui_data_now(t);
	int64_t id = strtoll(key, NULL, 10);
	struct store_run *r = d.store ? store_run_get(d.store, id, NULL) : NULL;
	char *why = r && run_state_is_terminal(r->state)
		? xasprintf("run %s is %s: there is nothing to cancel", key,
			    run_state_name(r->state))
		: NULL;
	store_run_free(r);
	return why;
}

/* c, R and L: on the runs list and on a run's page alike */
#define RUN_ACTIONS_SHARED \
	{ .keys = { 'c' }, .label = "c", .name = "cancel run", \
	  .help = "cancel the selected run (refused when it has finished)", \
	  .mutates = true, .command = "cancel %s", .refuse = refuse_finished, \
	  .confirm = "Cancel run %s? Steps in flight roll back; finished " \
		     "steps stay committed." }, \
	{ .keys = { 'R' }, .label = "R", .name = "retry", \
	  .help = "retry the selected run (a new run with the same parameters)", \
	  .mutates = true, .command = "retry %s" }, \
	{ .keys = { 'L' }, .label = "L", .name = "logs", \
	  .help = "the selected run's log records", \
	  .command = "logs %s" },

const struct tui_action tui_run_actions[] = {
	RUN_ACTIONS_SHARED
	TUI_MARK_ACTION,
};

/* A run's page has one run: d opens its steps' definitions. */
const struct tui_action tui_run_page_actions[] = {
	RUN_ACTIONS_SHARED
	{ .keys = { 'd' }, .label = "d", .name = "definition",
	  .help = "the SQL (or spec) the run's steps used, and what changed on disk since",
	  .run = tui_act_definition },
};

static void runs_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
	struct tui_list_view *lv = v->state;
	lv->window = TUI_WINDOW_STEP;
	lv->marks = true;
}

/* Run states whose names hold the filter, when it names no flow. */
static unsigned state_mask(const struct tui_data *d, const char *filter)
{
	if (!filter || strlen(filter) < 3)
		return 0;
	for (size_t i = 0; d->project && i < d->project->nflows; i++)
		if (tui_strcasestr(d->project->flows[i].name, filter))
			return 0;
	unsigned mask = 0;
	for (int st = 0; st < RUN_STATE_COUNT; st++)
		if (tui_strcasestr(run_state_name((enum run_state)st), filter))
			mask |= RUN_STATE_BIT(st);
	return mask;
}

/* The ERROR column holds the error, or else why a queued run waits (a
 * pool no live worker serves). */
static void run_row_cells(const struct store_run *r, usec_t now, const struct vec *workers,
			  char cells[][64], char sort[][32])
{
	snprintf(cells[0], 64, "%lld", (long long)r->id);
	/* a partitioned flow's run names its partition, which / then finds */
	snprintf(cells[1], 64, "%s%s%s", r->flow, r->partition ? " " : "",
		 r->partition ? r->partition : "");
	snprintf(cells[2], 64, "%s", run_state_name(store_run_shown_state(r, now)));
	snprintf(cells[3], 64, "%s", run_trigger_name(r->trigger));
	usec_t when = r->started ? r->started : r->created;
	tui_fmt_ago(now, when, cells[4], 64);
	snprintf(sort[4], 32, "%lld", (long long)when);
	tui_fmt_took(now, r->started, r->ended, cells[5], 64);
	usec_t took = r->started ? (r->ended ? r->ended : now) - r->started : -1;
	snprintf(sort[5], 32, "%lld", (long long)took);
	tui_fmt_count(r->rows_out, cells[6], 64);
	tui_first_line(r->error, cells[7], 64);
	char *waiting = r->error ? NULL : engine_run_waiting(r, workers, 0);
	if (!waiting)
		waiting = engine_run_worker_lost(r, workers, now, 0);
	if (waiting)
		snprintf(cells[7], 64, "%s", waiting);
	free(waiting);
}

static void runs_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list_view *lv = v->state;
	struct tui_list *l = &lv->list;
	lv->mask = state_mask(d, v->filter);
	struct store_run_filter f = {
		.flow = lv->arg,
		.states = lv->mask,
		.sort = RUN_SORT_NEWEST,
		.limit = lv->window,
	};
	struct vec runs = VEC_INIT, workers = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_run_list(d->store, &f, &runs, &e) < 0 ||
	    store_run_count(d->store, &f, &lv->total, &e) < 0 ||
	    store_worker_list(d->store, &workers, &e) < 0) {
		store_run_list_free(&runs);
		store_worker_list_free(&workers);
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < runs.len; i++) {
		const struct store_run *r = runs.items[i];
		char cells[8][64], sort[8][32];
		memset(sort, 0, sizeof sort);
		run_row_cells(r, d->now, &workers, cells, sort);
		const char *cp[8], *sp[8];
		for (int c = 0; c < 8; c++) {
			cp[c] = cells[c];
			sp[c] = sort[c][0] ? sort[c] : NULL;
		}
		tui_list_add_sorted(l, cells[0], cp, sp);
	}
	tui_list_end(l);
	store_run_list_free(&runs);
	store_worker_list_free(&workers);
	char *empty = lv->arg
		? xasprintf("Flow %s has no runs yet.\n\nPress Esc to go back; "
			    "in the flows view, r starts one.", lv->arg)
		: xstrdup("No runs yet.\n\nRuns are executions of flows. Start one "
			  "from the flows view (r), or with :run FLOW.");
	tui_list_set_empty(l, empty);
	free(empty);
	v->clock = 5 * USEC_PER_SEC;    /* "3s ago", "running for 12s" */
}

/* ---- one flow's runs, under its watermarks ---------------------------------- */

#define WM_MAX_SHOWN 8

static void wm_heading(struct tui_doc *d, const int *w)
{
	static const char *const head[] = { "STEP", "TABLE", "WATERMARK", "MOVED", "BY RUN",
					    "PENDING" };
	tui_doc_put(d, R_NORMAL, "  ");
	for (size_t i = 0; i < ARRAY_LEN(head); i++) {
		tui_doc_cell(d, R_COLHEAD, w[i], false, head[i]);
		tui_doc_put(d, R_NORMAL, " ");
	}
	tui_doc_nl(d);
}

static void wm_line(struct tui_doc *d, const int *w, const struct steps_watermark *r,
		    usec_t now)
{
	const struct store_watermark *wm = r->wm;
	char moved[32] = "-", run[24] = "-", pending[160] = "-";
	if (wm && wm->committed_at)
		tui_fmt_ago(now, wm->committed_at, moved, sizeof moved);
	if (wm && wm->committed_run)
		snprintf(run, sizeof run, "%lld", (long long)wm->committed_run);
	if (wm && wm->pending)
		snprintf(pending, sizeof pending, "run %lld: up to %s",
			 (long long)wm->pending_run, wm->pending_end ? wm->pending_end : "?");
	const char *cells[] = { r->step, r->table,
				wm && wm->committed ? wm->committed : "(never extracted)",
				moved, run, pending };
	tui_doc_put(d, R_NORMAL, "  ");
	for (size_t i = 0; i < ARRAY_LEN(cells); i++) {
		enum tui_role role = i == 2 && !(wm && wm->committed) ? R_DIM : R_NORMAL;
		tui_doc_cell(d, role, w[i], i == 4, cells[i]);
		tui_doc_put(d, R_NORMAL, " ");
	}
	tui_doc_nl(d);
}

/* Where each table the flow extracts stands: above its runs, because the
 * runs are what move it. */
static void flow_watermarks(struct tui_view *v, const struct tui_data *d)
{
	struct tui_pager *head = tui_list_view_head(v);
	const char *flow = tui_list_view_arg(v);
	struct vec rows = VEC_INIT;
	struct err e;
	err_clear(&e);
	struct tui_doc doc;
	tui_doc_begin(&doc, head);
	if (d->project && steps_watermarks(d->project, d->store, flow, &rows, &e) < 0) {
		tui_doc_put(&doc, R_ERROR, err_text(&e));
		tui_doc_nl(&doc);
	}
	if (rows.len) {
		static const int w[] = { 14, 18, 26, 9, 6, 30 };
		tui_doc_put(&doc, R_TITLE, "WATERMARKS");
		tui_doc_nl(&doc);
		wm_heading(&doc, w);
		for (size_t i = 0; i < rows.len && i < WM_MAX_SHOWN; i++)
			wm_line(&doc, w, rows.items[i], d->now);
		if (rows.len > WM_MAX_SHOWN)
			tui_doc_printf(&doc, R_DIM, "  and %zu more: :show watermarks --flow %s\n",
				       rows.len - WM_MAX_SHOWN, flow);
		tui_doc_nl(&doc);
	}
	tui_doc_end(&doc);
	steps_watermarks_free(&rows);
}

static void flow_runs_refresh(struct tui_view *v, const struct tui_data *d)
{
	runs_refresh(v, d);
	if (d->store)
		flow_watermarks(v, d);
}

static void runs_filter(struct tui_view *v, const char *text)
{
	tui_list_view_filter(v, text);
	struct tui_list_view *lv = v->state;
	struct tui_data d = tui_data_now(v->tui);
	if (d.store && state_mask(&d, text) != lv->mask)
		tui_refresh_view(v->tui, v);
}

static int runs_key(struct tui_view *v, int key)
{
	int rd = tui_list_view_key(v, key);
	struct tui_list_view *lv = v->state;
	struct tui_list *l = &lv->list;
	/* at the end of the window: read more, if the store has more */
	if (l->nshown && l->sel + 1 == l->nshown && !l->filter &&
	    (int64_t)l->rows.len < lv->total && lv->window < TUI_WINDOW_MAX) {
		lv->window += TUI_WINDOW_STEP;
		tui_refresh_view(v->tui, v);
		rd = (rd == TUI_UNHANDLED ? 0 : rd) | RD_BODY | RD_STATUS;
	}
	return rd;
}

static int runs_detail(struct tui_view *v)
{
	const char *id = tui_list_view_selected(v);
	if (!id)
		return TUI_UNHANDLED;
	int64_t run;
	if (!str_to_i64(id, &run))
		return TUI_UNHANDLED;
	return tui_open_run(v->tui, run);
}

static bool runs_select(struct tui_view *v, const char *key)
{
	if (tui_list_view_select(v, key))
		return true;
	/* not in the window: open it directly */
	int64_t run;
	if (str_to_i64(key, &run) && run > 0) {
		tui_open_run(v->tui, run);
		return true;
	}
	return false;
}

static void runs_where(struct tui_view *v, struct buf *out)
{
	struct tui_list_view *lv = v->state;
	tui_list_view_where(v, out);
	if (lv->total > (int64_t)lv->list.rows.len) {
		char n[32];
		tui_fmt_count(lv->total, n, sizeof n);
		buf_printf(out, " (newest %zu of %s)", lv->list.rows.len, n);
	}
	if (lv->mask)
		buf_puts(out, ", by state in the store");
}

#define RUNS_OPS(NAME, TITLE, KEY, TABS, AREAS, REFRESH)			\
	.name = NAME, .title = TITLE, .key = KEY, .in_tabs = TABS,		\
	.summary = "flow runs: state, trigger, rows, errors",			\
	.areas = AREAS,								\
	.actions = tui_run_actions, .nactions = TUI_NRUN_ACTIONS + 1,		\
	.open = runs_open, .refresh = REFRESH,					\
	.draw = tui_list_view_draw, .handle_key = runs_key,			\
	.select = runs_select, .filter = runs_filter,				\
	.detail = runs_detail, .selected = tui_list_view_selected,		\
	.where = runs_where, .close = tui_list_view_close,			\
	.marked = tui_list_view_marked, .unmark = tui_list_view_unmark

const struct tui_view_ops view_runs_ops = {
	RUNS_OPS("runs", "Runs", '6', true, STORE_AREA_BIT(STORE_AREA_RUNS), runs_refresh)
};
const struct tui_view_ops view_flow_runs_ops = {
	RUNS_OPS("flow runs", "Runs", 0, false, STORE_AREA_BIT(STORE_AREA_RUNS) |
		 STORE_AREA_BIT(STORE_AREA_WATERMARKS), flow_runs_refresh)
};

int tui_open_flow_runs(struct tui *t, const char *flow)
{
	return tui_list_view_push(t, &view_flow_runs_ops, "Runs of", flow);
}

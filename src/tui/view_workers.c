/*
 * view_workers.c - the engines serving the project, one row each (k9s's
 * nodes view): host, pid, the pools it serves, when it started, its last
 * heartbeat, its runs in flight, and LOST (red) once the heartbeat is
 * older than the lease.  Read-only mode views it; in operator mode D asks
 * a worker to drain (`worker drain ID`) and C cancels its runs (`worker
 * cancel-runs ID`), each asking first, naming the worker.
 */
#include "engine/engine.h"
#include "store/store.h"
#include "tui/widget_list.h"
#include "tui/views.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_FLEX("WORKER", 12),
	TUI_COL_TEXT("HOST", 10),
	TUI_COL_NUMBER("PID", 7),
	TUI_COL_TEXT("POOLS", 8),
	TUI_COL_TIME("STARTED", 9),
	TUI_COL_TIME("HEARTBEAT", 9),
	TUI_COL_NUMBER("RUNS", 4),
	TUI_COL_STATE("STATE", 5),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "workers",
	"Every engine registered in the control store: `sluice worker` processes "
	"(on any host) and foreground `sluice run`s.  A worker whose heartbeat is "
	"older than the lease is LOST; its runs are recovered by the others.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'D' }, .label = "D", .name = "drain",
	  .help = "ask a worker to drain: no new runs, finish or hand back, exit",
	  .mutates = true, .command = "worker drain %s",
	  .confirm = "Drain worker %s? It takes no new runs, lets its runs finish "
		     "or hands them back within its grace period, and exits." },
	{ .keys = { 'C' }, .label = "C", .name = "cancel runs",
	  .help = "cancel every run the worker is running",
	  .mutates = true, .command = "worker cancel-runs %s",
	  .confirm = "Cancel every running run of worker %s? Their steps in "
		     "flight roll back." },
};

static void workers_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void add_row(struct tui_list *l, const struct tui_data *d,
		    const struct store_worker *w)
{
	char pid[24], runs[24];
	struct tui_ago_cell started, beat;
	snprintf(pid, sizeof pid, "%lld", (long long)w->pid);
	snprintf(runs, sizeof runs, "%lld", (long long)w->in_flight);
	tui_ago_cell(&started, d->now, w->started);
	tui_ago_cell(&beat, d->now, w->heartbeat);
	const char *cells[] = { w->id, w->host ? w->host : "", pid,
				w->pools ? w->pools : "-", started.text, beat.text, runs,
				engine_worker_lost(w, 0) ? "LOST" : "LIVE" };
	const char *sort[] = { NULL, NULL, NULL, NULL, started.sort, beat.sort, NULL, NULL };
	tui_list_add_sorted(l, w->id, cells, sort);
}

static void workers_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec ws = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_worker_list(d->store, &ws, &e) < 0) {
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < ws.len; i++)
		add_row(l, d, ws.items[i]);
	tui_list_end(l);
	store_worker_list_free(&ws);
	tui_list_set_empty(l, "No engine serves this project.\n\nStart one with "
			   "`sluice worker` (add --pool NAME for a pool's runs).");
	v->clock = 5 * USEC_PER_SEC;    /* heartbeats age; LOST comes with time */
}

const struct tui_view_ops view_workers_ops = {
	.name = "workers",
	.title = "Workers",
	.key = '0',
	.in_tabs = false,
	.summary = "the engines serving the project: pools, heartbeats, lost ones",
	.areas = STORE_AREA_BIT(STORE_AREA_WORKERS) | STORE_AREA_BIT(STORE_AREA_RUNS),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = workers_open,
	.refresh = workers_refresh,
	TUI_LIST_VIEW_OPS,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

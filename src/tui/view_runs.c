/*
 * view_runs.c - flow runs: state, trigger, rows, errors.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "ID", 7, 0, true, true, false },
	{ "FLOW", 16, 0, false, false, false },
	{ "STATE", 10, 0, false, false, true },
	{ "TRIGGER", 8, 0, false, false, false },
	{ "STARTED", 9, 0, false, false, false },
	{ "TOOK", 6, 0, true, false, false },
	{ "ROWS", 8, 0, true, true, false },
	{ "ERROR", 0, 8, false, false, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, true, "runs",
	"Runs are executions of flows, with every state change recorded.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'c' }, .label = "c", .name = "cancel",
	  .help = "cancel the selected run",
	  .mutates = true, .command = "cancel %s",
	  .confirm = "Cancel run %s? Steps in flight roll back; finished "
		     "steps stay committed." },
	{ .keys = { 'R' }, .label = "R", .name = "retry",
	  .help = "retry the selected run",
	  .mutates = true, .command = "retry %s" },
};

static void runs_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void runs_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_runs_ops = {
	.name = "runs",
	.title = "Runs",
	.key = '6',
	.in_tabs = true,
	.summary = "flow runs: state, trigger, rows, errors",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = runs_open,
	.refresh = runs_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

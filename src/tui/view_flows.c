/*
 * view_flows.c - flows, their last run and what is running.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "NAME", 20, 0, false, false, false },
	{ "STEPS", 5, 0, true, true, false },
	{ "TRIGGERED BY", 0, 14, false, false, false },
	{ "LAST RUN", 10, 0, false, false, false },
	{ "LAST STATE", 10, 0, false, false, true },
	{ "RUNNING", 7, 0, true, true, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "flows",
	"Flows are ordered steps that move and shape data: extract, "
	"ingest, transform, validate, load.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'r' }, .label = "r", .name = "run",
	  .help = "start a run of the selected flow",
	  .mutates = true, .command = "run %s" },
};

static void flows_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void flows_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_flows_ops = {
	.name = "flows",
	.title = "Flows",
	.key = '5',
	.in_tabs = true,
	.summary = "flows, their last run and what is running",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = flows_open,
	.refresh = flows_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

/*
 * view_backfills.c - rebuilds of a flow's outputs, step by step.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "FLOW", 20, 0, false, false, false },
	{ "STEP", 12, 0, false, false, false },
	{ "STATE", 12, 0, false, false, true },
	{ "STARTED", 9, 0, false, false, false },
	{ "BY", 10, 0, false, false, false },
	{ "DIFFERENCES", 0, 10, false, false, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "backfills",
	"A backfill rebuilds a flow's outputs from raw history, compares "
	"them with the current tables and waits for approval.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'n' }, .label = "n", .name = "next",
	  .help = "go on to the backfill's next step",
	  .mutates = true, .command = "backfill next %s" },
	{ .keys = { 'a' }, .label = "a", .name = "approve",
	  .help = "swap the rebuilt tables into place",
	  .mutates = true, .command = "backfill approve %s",
	  .confirm = "Approve the backfill of %s? The rebuilt tables "
		     "replace the current ones in one transaction; the "
		     "current ones are kept as TABLE_old." },
	{ .keys = { 'd' }, .label = "d", .name = "discard",
	  .help = "discard the rebuilt tables",
	  .mutates = true, .command = "backfill discard %s",
	  .confirm = "Discard the backfill of %s? The rebuilt tables are "
		     "dropped and the tasks resume." },
};

static void backfills_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void backfills_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_backfills_ops = {
	.name = "backfills",
	.title = "Backfills",
	.key = '8',
	.in_tabs = true,
	.summary = "rebuilds of a flow's outputs, step by step",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = backfills_open,
	.refresh = backfills_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

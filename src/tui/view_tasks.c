/*
 * view_tasks.c - schedules and conditions that trigger flows.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "NAME", 18, 0, false, false, false },
	{ "STATE", 10, 0, false, false, true },
	{ "SCHEDULE", 0, 12, false, false, false },
	{ "NEXT", 9, 0, false, false, false },
	{ "LAST", 9, 0, false, false, false },
	{ "LAST STATE", 10, 0, false, false, true },
	{ "FAILS", 5, 0, true, true, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "tasks",
	"Tasks trigger flows or SQL on a schedule, optionally when a "
	"condition holds.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'x' }, .label = "x", .name = "execute",
	  .help = "run the selected task once now",
	  .mutates = true, .command = "task execute %s" },
	{ .keys = { 's' }, .label = "s", .name = "suspend",
	  .help = "suspend the selected task",
	  .mutates = true, .command = "task suspend %s" },
	{ .keys = { 'u' }, .label = "u", .name = "resume",
	  .help = "resume the selected task",
	  .mutates = true, .command = "task resume %s" },
};

static void tasks_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void tasks_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_tasks_ops = {
	.name = "tasks",
	.title = "Tasks",
	.key = '4',
	.in_tabs = true,
	.summary = "schedules and conditions that trigger flows",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = tasks_open,
	.refresh = tasks_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

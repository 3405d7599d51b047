/*
 * view_logs.c - structured log records from runs and the engine.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "TIME", 19, 0, false, false, false },
	{ "LEVEL", 5, 0, false, false, true },
	{ "RUN", 6, 0, true, true, false },
	{ "OBJECT", 16, 0, false, false, false },
	{ "MESSAGE", 0, 10, false, false, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "log records",
	"Logs are the structured records of runs, steps and the engine, "
	"kept in the control store.",
};

static void logs_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void logs_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_logs_ops = {
	.name = "logs",
	.title = "Logs",
	.key = '9',
	.in_tabs = true,
	.summary = "structured log records from runs and the engine",
	.open = logs_open,
	.refresh = logs_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

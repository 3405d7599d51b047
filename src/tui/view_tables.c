/*
 * view_tables.c - the table catalogue: kinds, rows, last loads.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "NAME", 24, 0, false, false, false },
	{ "KIND", 9, 0, false, false, false },
	{ "CONNECTION", 11, 0, false, false, false },
	{ "ROWS", 10, 0, true, true, false },
	{ "LAST LOAD", 10, 0, false, false, false },
	{ "DESCRIPTION", 0, 10, false, false, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "tables",
	"The catalogue lists every table the project touches, with its "
	"kind, row count, last load and description.",
};

static void tables_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void tables_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_tables_ops = {
	.name = "tables",
	.title = "Tables",
	.key = '7',
	.in_tabs = true,
	.summary = "the table catalogue: kinds, rows, last loads",
	.open = tables_open,
	.refresh = tables_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

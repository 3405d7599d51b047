/*
 * view_streams.c - change tracking over tables: offsets and pending rows.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "NAME", 18, 0, false, false, false },
	{ "TABLE", 0, 14, false, false, false },
	{ "MODE", 11, 0, false, false, false },
	{ "PENDING", 9, 0, true, true, false },
	{ "HAS DATA", 8, 0, false, false, false },
	{ "OFFSET", 12, 0, true, true, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "streams",
	"Streams track changes to a table: an offset, and the rows beyond"
	" it that a flow has not consumed yet.",
};

static void streams_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void streams_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_streams_ops = {
	.name = "streams",
	.title = "Streams",
	.key = '3',
	.in_tabs = true,
	.summary = "change tracking over tables: offsets and pending rows",
	.open = streams_open,
	.refresh = streams_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

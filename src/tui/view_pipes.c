/*
 * view_pipes.c - continuous loads of new lake files into raw tables.
 *
 * A list view: the columns and actions are declared here; drawing,
 * sorting, filtering and details come from view_list.c.  Rows come from
 * refresh, which shows the empty state while no control store is open.
 */
#include "tui_int.h"

static const struct tui_column columns[] = {
	{ "NAME", 18, 0, false, false, false },
	{ "STATE", 14, 0, false, false, true },
	{ "PENDING", 7, 0, true, true, false },
	{ "LAST FILE", 0, 12, false, false, false },
	{ "LAST LOAD", 10, 0, false, false, false },
	{ "ERROR", 0, 8, false, false, false },
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), 0, false, "pipes",
	"Pipes load new files from the lake into raw tables, keeping a "
	"load history per file.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'p' }, .label = "p", .name = "pause",
	  .help = "pause the selected pipe",
	  .mutates = true, .command = "pipe pause %s" },
	{ .keys = { 'u' }, .label = "u", .name = "resume",
	  .help = "resume the selected pipe",
	  .mutates = true, .command = "pipe resume %s" },
	{ .keys = { 'f' }, .label = "f", .name = "refresh",
	  .help = "load the pipe's new files now",
	  .mutates = true, .command = "pipe refresh %s" },
	{ .keys = { 'F' }, .label = "F", .name = "force reload",
	  .help = "reload every file, even those already loaded",
	  .mutates = true, .command = "pipe refresh %s --force",
	  .confirm = "Reload every file of pipe %s, including files it "
		     "has already loaded? Rows from those files will be "
		     "loaded again." },
};

static void pipes_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void pipes_refresh(struct tui_view *v, const struct tui_data *d)
{
	tui_list_view_no_store(v, d);
}

const struct tui_view_ops view_pipes_ops = {
	.name = "pipes",
	.title = "Pipes",
	.key = '2',
	.in_tabs = true,
	.summary = "continuous loads of new lake files into raw tables",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = pipes_open,
	.refresh = pipes_refresh,
	.draw = tui_list_view_draw,
	.handle_key = tui_list_view_key,
	.select = tui_list_view_select,
	.filter = tui_list_view_filter,
	.detail = tui_list_view_detail,
	.selected = tui_list_view_selected,
	.where = tui_list_view_where,
	.close = tui_list_view_close,
};

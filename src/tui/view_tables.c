/*
 * view_tables.c - the table catalogue: every table the project touches,
 * by kind, with rows, last load, the flows that read and write it and its
 * description; Enter previews its rows (view_table.c).
 *
 * Row counts and columns need a data connection, which the console never
 * opens: the catalogue is `show tables --json`, run through the command
 * layer when the view is first shown, when the schema area of the store
 * changes, and on `r`.  Without that command (or when it fails) the view
 * lists what the project declares and says why the rest is missing.
 */
#include "project/project.h"
#include "store/store.h"
#include "tui/keys.h"
#include "tui/widget_list.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_TEXT("NAME", 20, .weight = 1),
	TUI_COL_TEXT("KIND", 9, .drop = 2),
	TUI_COL_TEXT("CONNECTION", 10, .drop = 4),
	TUI_COL_NUMBER("ROWS", 10),
	TUI_COL_TIME("LAST LOAD", 9, .drop = 3),
	TUI_COL_FLEX("DESCRIPTION", 10, .drop = 5),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "tables",
	"The catalogue lists every table the project touches, with its kind, "
	"row count, last load and description.",
};

static int act_reload(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	tui_refresh_view(t, v);
	return RD_BODY | RD_STATUS;
}

static const struct tui_action actions[] = {
	{ .keys = { 'r' }, .label = "r", .name = "reload",
	  .help = "read the catalogue again (row counts, columns)",
	  .run = act_reload },
};

static void tables_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static const cJSON *item(const cJSON *o, const char *a, const char *b)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, a);
	return it ? it : b ? cJSON_GetObjectItemCaseSensitive(o, b) : NULL;
}

static const char *text_of(const cJSON *it)
{
	return cJSON_IsString(it) ? it->valuestring : "";
}

static void from_catalogue(struct tui_list *l, const cJSON *json, usec_t now)
{
	const cJSON *arr = cJSON_IsArray(json) ? json : item(json, "tables", NULL);
	for (const cJSON *t = cJSON_IsArray(arr) ? arr->child : NULL; t; t = t->next) {
		const char *name = text_of(item(t, "name", "table"));
		char rows[32] = "?";
		struct tui_ago_cell last = { "-", "0" };
		const cJSON *r = item(t, "rows", "row_count");
		if (cJSON_IsNumber(r))
			tui_fmt_count((int64_t)r->valuedouble, rows, sizeof rows);
		else if (cJSON_IsFalse(item(t, "exists", NULL)))
			snprintf(rows, sizeof rows, "missing");
		const cJSON *ll = item(t, "last_load", "last_loaded");
		if (cJSON_IsObject(ll))
			ll = item(ll, "at", NULL);
		usec_t at = 0;
		if (cJSON_IsString(ll) && time_parse_iso(ll->valuestring, &at))
			;
		else if (cJSON_IsNumber(ll))
			at = (usec_t)ll->valuedouble;
		if (at)
			tui_ago_cell(&last, now, at);
		const char *cells[] = { name, text_of(item(t, "kind", NULL)),
					text_of(item(t, "connection", NULL)), rows, last.text,
					text_of(item(t, "description", NULL)) };
		const char *sort[] = { NULL, NULL, NULL, NULL, last.sort, NULL };
		tui_list_add_sorted(l, name, cells, sort);
	}
}

static void from_project(struct tui_list *l, const struct project *p)
{
	for (size_t i = 0; i < p->ntables; i++) {
		const struct project_table *pt = &p->tables[i];
		const char *cells[] = { pt->name, table_kind_name(pt->kind), pt->connection,
					"?", "-", pt->description ? pt->description : "" };
		tui_list_add(l, pt->name, cells);
	}
	for (size_t i = 0; i < p->npipes; i++) {
		if (project_table(p, p->pipes[i].table))
			continue;
		const char *cells[] = { p->pipes[i].table, "raw", p->pipes[i].connection,
					"?", "-", "" };
		tui_list_add(l, p->pipes[i].table, cells);
	}
}

static void tables_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_project(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct err e;
	err_clear(&e);
	cJSON *json = tui_fetch_json(v->tui, "show tables --json", &e);
	tui_list_begin(l);
	if (json)
		from_catalogue(l, json, d->now);
	else
		from_project(l, d->project);
	tui_list_end(l);
	cJSON_Delete(json);
	if (!json)
		tui_message(v->tui, true, "catalogue: %s (showing the project's tables)",
			    err_text(&e));
	tui_list_set_empty(l, "The project touches no tables yet.");
}

static int tables_detail(struct tui_view *v)
{
	return tui_list_view_open_selected(v, tui_open_table);
}

const struct tui_view_ops view_tables_ops = {
	.name = "tables",
	.title = "Tables",
	.key = '7',
	.in_tabs = true,
	.summary = "the table catalogue; Enter previews rows and columns",
	.areas = STORE_AREA_BIT(STORE_AREA_SCHEMA),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = tables_open,
	.refresh = tables_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = tables_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

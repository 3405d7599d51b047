/*
 * view_table.c - a table's rows, a page at a time, like a pager: column
 * names and types stay on top, the rows scroll both ways, and moving past
 * the last row (or the first) reads the next (or previous) page through
 * `show table NAME --offset N --json`.  One page is held at a time.  `c`
 * shows the columns instead: name, type, not null, key, and the note the
 * project file has for it.
 */
#include "project/project.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define PAGE_ROWS 100
#define MAX_CELL 40

struct table_page {
	struct tui_pager pager;     /* first: the page operations use it */
	char *table;
	int64_t offset;
	bool more;                  /* another page follows */
	int rows;                   /* rows in this page */
	bool columns;               /* showing the columns, not the rows */
	char *error;
};

static void pad_cell(struct buf *b, const char *s, int width)
{
	int w = tui_text_width(s);
	if (w > width) {
		/* an ellipsis marks the cut */
		char *cut = tui_text_cut(s, width - 1);
		buf_puts(b, cut);
		buf_puts(b, theme_sym(SYM_ELLIPSIS));
		w = tui_text_width(cut) + 1;
		free(cut);
	} else {
		buf_puts(b, s);
	}
	for (; w < width; w++)
		buf_putc(b, ' ');
}

/* Values may hold newlines and tabs: one line per row. */
static char *flat(const cJSON *v)
{
	if (!v || cJSON_IsNull(v))
		return xstrdup("NULL");
	char *s = cJSON_IsString(v) ? xstrdup(v->valuestring) : cJSON_PrintUnformatted(v);
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s;
}

static void render_rows(struct table_page *tp, const cJSON *json)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "columns");
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(json, "rows");
	int ncols = cJSON_GetArraySize(cols);
	int *w = xcalloc(ncols ? (size_t)ncols : 1, sizeof *w);
	int i = 0;
	for (const cJSON *c = cols ? cols->child : NULL; c; c = c->next, i++) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
		w[i] = tui_text_width(cJSON_IsString(name) ? name->valuestring : "");
		int tw = tui_text_width(cJSON_IsString(type) ? type->valuestring : "");
		w[i] = tw > w[i] ? tw : w[i];
	}
	for (const cJSON *r = rows ? rows->child : NULL; r; r = r->next) {
		i = 0;
		for (const cJSON *v = r->child; v && i < ncols; v = v->next, i++) {
			char *s = flat(v);
			int vw = tui_text_width(s);
			free(s);
			if (vw > w[i])
				w[i] = vw > MAX_CELL ? MAX_CELL : vw;
		}
	}
	struct buf names = BUF_INIT, types = BUF_INIT;
	i = 0;
	for (const cJSON *c = cols ? cols->child : NULL; c; c = c->next, i++) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
		if (i) {
			buf_puts(&names, " | ");
			buf_puts(&types, " | ");
		}
		pad_cell(&names, cJSON_IsString(name) ? name->valuestring : "", w[i]);
		pad_cell(&types, cJSON_IsString(type) ? type->valuestring : "", w[i]);
	}
	tui_pager_add_line(&tp->pager, buf_str(&names));
	tui_pager_add_line(&tp->pager, buf_str(&types));
	tui_pager_set_header(&tp->pager, 2);
	buf_free(&names);
	buf_free(&types);
	tp->rows = 0;
	for (const cJSON *r = rows ? rows->child : NULL; r; r = r->next, tp->rows++) {
		struct buf line = BUF_INIT;
		i = 0;
		for (const cJSON *v = r->child; v && i < ncols; v = v->next, i++) {
			char *s = flat(v);
			if (i)
				buf_puts(&line, " | ");
			pad_cell(&line, s, w[i]);
			free(s);
		}
		tui_pager_add_line(&tp->pager, buf_str(&line));
		buf_free(&line);
	}
	if (!tp->rows)
		tui_pager_add_line(&tp->pager, tp->offset ? "(no more rows)" : "(the table is empty)");
	free(w);
}

static const char *json_text(const cJSON *o, const char *key, const char *none)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : none;
}

/* One change: when, the run, the column, what changed and the types. */
static void change_line(const cJSON *c, int wcol, int wchange, char *line, size_t n)
{
	char at[24] = "?", types[160], runs[32];
	usec_t when;
	if (time_parse_iso(json_text(c, "at", ""), &when))
		time_format_short(when, at);
	const char *old = json_text(c, "old_type", NULL);
	const char *new = json_text(c, "new_type", NULL);
	if (old && new)
		snprintf(types, sizeof types, "%s -> %s", old, new);
	else
		snprintf(types, sizeof types, "%s", old ? old : new ? new : "");
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(c, "run");
	snprintf(runs, sizeof runs, "run %lld",
		 cJSON_IsNumber(run) ? (long long)run->valuedouble : 0LL);
	snprintf(line, n, "%s  %-8s %-*.*s  %-*s  %s", at, runs, wcol, wcol,
		 json_text(c, "column", "?"), wchange, json_text(c, "change", "?"), types);
}

/* The schema changes the loads saw, listed under the columns (newest
 * first, as show table gives them), or why they could not be read. */
static void render_changes(struct table_page *tp, const cJSON *json)
{
	const char *why = json_text(json, "schema_changes_error", NULL);
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(json, "schema_changes");
	int n = cJSON_GetArraySize(list);
	char line[512];
	if (why) {
		snprintf(line, sizeof line, "Schema changes not read: %s", why);
		tui_pager_add_line(&tp->pager, "");
		tui_pager_add_line(&tp->pager, line);
	}
	if (!n)
		return;
	tui_pager_add_line(&tp->pager, "");
	snprintf(line, sizeof line, "%d SCHEMA CHANGE%s, newest first", n, n == 1 ? "" : "S");
	tui_pager_add_line(&tp->pager, line);
	int wcol = 6, wchange = 6;          /* as wide as the widest listed */
	for (const cJSON *c = list->child; c; c = c->next) {
		int w1 = tui_text_width(json_text(c, "column", "?"));
		int w2 = tui_text_width(json_text(c, "change", "?"));
		wcol = w1 > wcol ? (w1 > 28 ? 28 : w1) : wcol;
		wchange = w2 > wchange ? w2 : wchange;
	}
	for (const cJSON *c = list->child; c; c = c->next) {
		change_line(c, wcol, wchange, line, sizeof line);
		tui_pager_add_line(&tp->pager, line);
	}
}

static void render_columns(struct table_page *tp, const cJSON *json,
			   const struct project *p)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(json, "columns");
	const struct project_table *pt = p ? project_table(p, tp->table) : NULL;
	char line[512];
	snprintf(line, sizeof line, "%-28s %-22s %-8s %-4s %s", "COLUMN", "TYPE", "NULL",
		 "KEY", "NOTE");
	tui_pager_add_line(&tp->pager, line);
	tui_pager_set_header(&tp->pager, 1);
	for (const cJSON *c = cols ? cols->child : NULL; c; c = c->next) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(c, "type");
		const char *n = cJSON_IsString(name) ? name->valuestring : "?";
		const char *note = "";
		for (size_t i = 0; pt && i < pt->ncolumn_notes; i++)
			if (str_eq(pt->column_notes[i].key, n))
				note = pt->column_notes[i].value ? pt->column_notes[i].value : "";
		snprintf(line, sizeof line, "%-28s %-22s %-8s %-4s %s", n,
			 cJSON_IsString(type) ? type->valuestring : "?",
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "not_null"))
				 ? "not null" : "",
			 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "primary_key"))
				 ? "key" : "",
			 note);
		tui_pager_add_line(&tp->pager, line);
	}
	if (pt && pt->description) {
		tui_pager_add_line(&tp->pager, "");
		tui_pager_add_line(&tp->pager, pt->description);
	}
	render_changes(tp, json);
}

static void table_refresh(struct tui_view *v, const struct tui_data *d)
{
	struct table_page *tp = v->state;
	struct buf line = BUF_INIT;
	buf_puts(&line, "show table ");
	tui_quote_word(&line, tp->table);
	buf_printf(&line, " --limit %d --offset %lld --json", PAGE_ROWS, (long long)tp->offset);
	struct err e;
	err_clear(&e);
	cJSON *json = tui_fetch_json(v->tui, buf_str(&line), &e);
	buf_free(&line);
	tui_pager_clear(&tp->pager);
	free(tp->error);
	tp->error = NULL;
	if (!json) {
		tp->error = xstrdup(err_text(&e));
		tui_pager_set_header(&tp->pager, 0);
		tui_pager_add_line(&tp->pager, "The rows could not be read:");
		tui_pager_add_line(&tp->pager, tp->error);
		return;
	}
	tp->more = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "more"));
	if (tp->columns)
		render_columns(tp, json, d->project);
	else
		render_rows(tp, json);
	cJSON_Delete(json);
}

static int table_key(struct tui_view *v, int key)
{
	struct table_page *tp = v->state;
	struct tui_pager *p = &tp->pager;
	size_t before = p->top;
	bool down = key == TK(KEY_DOWN) || key == 'j' || key == TK(KEY_NPAGE) ||
		    key == ' ' || key == TK_CTRL('f');
	bool up = key == TK(KEY_UP) || key == 'k' || key == TK(KEY_PPAGE) ||
		  key == TK_CTRL('b');
	int rd = tui_pager_key(p, key);
	if (tp->columns || tp->error)
		return rd;
	/* at an end of the page: the next or previous page */
	if ((down && p->top == before && tp->more) || key == ']') {
		if (!tp->more)
			return tui_message(v->tui, false, "the last page");
		tp->offset += tp->rows;
		tui_refresh_view(v->tui, v);
		p->top = 0;
		return RD_BODY | RD_STATUS;
	}
	if ((up && p->top == before && tp->offset > 0) || key == '[') {
		if (tp->offset == 0)
			return tui_message(v->tui, false, "the first page");
		tp->offset = tp->offset > PAGE_ROWS ? tp->offset - PAGE_ROWS : 0;
		tui_refresh_view(v->tui, v);
		p->top = p->lines.len;     /* clamped to the last screenful */
		return RD_BODY | RD_STATUS;
	}
	return rd;
}

static int act_columns(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct table_page *tp = v->state;
	tp->columns = !tp->columns;
	tp->pager.top = 0;
	tp->pager.left = 0;
	tui_refresh_view(t, v);
	return RD_BODY | RD_STATUS | RD_TABS;
}

static const struct tui_action actions[] = {
	{ .keys = { 'c' }, .label = "c", .name = "columns",
	  .help = "the columns with their types and notes, or the rows again",
	  .run = act_columns },
	{ .keys = { ']' }, .label = "]", .name = "next page",
	  .help = "the next page of rows" },
	{ .keys = { '[' }, .label = "[", .name = "previous page",
	  .help = "the previous page of rows" },
};

static void table_where(struct tui_view *v, struct buf *out)
{
	struct table_page *tp = v->state;
	if (tp->columns) {
		buf_puts(out, "columns");
		return;
	}
	size_t first = tp->rows ? (size_t)tp->offset + tp->pager.top + 1 : 0;
	size_t rows_shown = tp->pager.page_rows > 2 ? (size_t)tp->pager.page_rows - 2 : 1;
	size_t last = tp->pager.top + rows_shown < (size_t)tp->rows
		? (size_t)tp->offset + tp->pager.top + rows_shown
		: (size_t)tp->offset + (size_t)tp->rows;
	buf_printf(out, "rows %zu-%zu%s", first, last, tp->more ? " of more" : "");
	if (tp->pager.left > 0)
		buf_printf(out, ", col %d", tp->pager.left + 1);
	if (tp->pager.search)
		buf_printf(out, ", search \"%s\"%s", tp->pager.search,
			   tp->pager.match == SIZE_MAX ? " not found" : "");
}

static void table_open(struct tui_view *v)
{
	struct table_page *tp = xcalloc(1, sizeof *tp);
	tui_pager_init(&tp->pager);
	v->state = tp;
}

static void table_close(struct tui_view *v)
{
	struct table_page *tp = v->state;
	tui_pager_free(&tp->pager);
	free(tp->table);
	free(tp->error);
	free(tp);
	v->state = NULL;
}

static const struct tui_view_ops view_table_ops = {
	.name = "table",
	.title = "Table",
	.summary = "a table's rows a page at a time; c for its columns",
	.areas = 0,       /* rows change with loads; read on demand */
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = table_open,
	.refresh = table_refresh,
	.draw = tui_page_draw,
	.handle_key = table_key,
	.filter = tui_page_filter,
	.where = table_where,
	.close = table_close,
};

int tui_open_table(struct tui *t, const char *table)
{
	struct tui_view *v = tui_view_new(t, &view_table_ops, "Table %s", table);
	struct table_page *tp = v->state;
	tp->table = xstrdup(table);
	return tui_push_view(t, v);
}

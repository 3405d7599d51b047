/*
 * view_loads.c - one pipe's load history, newest first: every attempt at
 * every file with its status, rows, errors and first error; Enter shows
 * one attempt in full; F reloads the chosen file (it asks first: the
 * file's rows are replaced).  A loaded file whose content changed in the
 * lake since is not reloaded by the pipe: its newest attempt says so, in
 * the list and in full, with F as the way to reload it.
 */
#include "store/store.h"
#include "tui/keys.h"
#include "tui/widget_list.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_NUMBER("ID", 6, .drop = 5),
	TUI_COL_FLEX("FILE", 16, .weight = 1, .path = true),
	TUI_COL_STATE("STATUS", 16),
	TUI_COL_NUMBER("ROWS", 8, .drop = 3),
	TUI_COL_NUMBER("ERRORS", 6, .drop = 4),
	TUI_COL_TIME("LOADED", 9, .drop = 2),
	TUI_COL_FLEX("FIRST ERROR", 12, .drop = 1),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "loads",
	"A pipe's load history: one row per attempt at a file.",
};

#define FILE_COL 1
#define LOADS_ROWS 1000

/* The attempt `id` among the pipe's changed files (store_load_changed),
 * or NULL. */
static const struct store_load *changed_of(const struct vec *changed, int64_t id)
{
	for (size_t i = 0; i < changed->len; i++)
		if (((const struct store_load *)changed->items[i])->id == id)
			return changed->items[i];
	return NULL;
}

static int act_reload(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	if (!r)
		return tui_message(t, true, "reload: no file selected");
	const char *pipe = tui_list_view_arg(v), *file = r->cells[FILE_COL];
	struct buf cmd = BUF_INIT;
	buf_puts(&cmd, "pipe refresh ");
	tui_quote_word(&cmd, pipe);
	buf_puts(&cmd, " --force --file ");
	tui_quote_word(&cmd, file);
	char *question = xasprintf("Reload %s into pipe %s's table? The rows it "
				   "loaded before are replaced by the file's current "
				   "contents.", file, pipe);
	int rd = tui_confirm_command(t, question, "reload", buf_str(&cmd));
	free(question);
	buf_free(&cmd);
	return rd;
}

static const struct tui_action actions[] = {
	{ .keys = { 'F' }, .label = "F", .name = "reload file",
	  .help = "reload the selected file (replacing its rows)",
	  .mutates = true, .run = act_reload },
};

static void loads_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void loads_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec list = VEC_INIT, changed = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_load_list(d->store, tui_list_view_arg(v), 0, LOADS_ROWS, 0, &list, &e) < 0 ||
	    store_load_changed(d->store, tui_list_view_arg(v), LOADS_ROWS, &changed, &e) < 0) {
		store_load_list_free(&list);
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < list.len; i++) {
		const struct store_load *ld = list.items[i];
		char id[24], rows[32], errs[32], first[400];
		struct tui_ago_cell at;
		snprintf(id, sizeof id, "%lld", (long long)ld->id);
		tui_fmt_count(ld->rows_loaded, rows, sizeof rows);
		tui_fmt_count(ld->error_count, errs, sizeof errs);
		tui_ago_cell(&at, d->now, ld->loaded);
		tui_first_line(ld->first_error, first, sizeof first);
		if (changed_of(&changed, ld->id))
			snprintf(first, sizeof first, "CHANGED in the lake since loaded, not "
				 "reloaded: F reloads it");
		const char *cells[] = { id, ld->file_key, load_status_name(ld->status), rows,
					errs, at.text, first };
		const char *sort[] = { NULL, NULL, NULL, NULL, NULL, at.sort, NULL };
		tui_list_add_sorted(l, id, cells, sort);
	}
	tui_list_end(l);
	store_load_list_free(&list);
	store_load_list_free(&changed);
	char *empty = xasprintf("Pipe %s has not loaded any file yet.",
				tui_list_view_arg(v));
	tui_list_set_empty(l, empty);
	free(empty);
	v->clock = 10 * USEC_PER_SEC;
}

static int loads_detail(struct tui_view *v)
{
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	struct tui_data d = tui_data_now(v->tui);
	int64_t id;
	if (!r || !d.store || !str_to_i64(r->key, &id))
		return TUI_UNHANDLED;
	/* the list keeps cells; read the attempt again for every field */
	struct vec list = VEC_INIT, changed = VEC_INIT;
	struct store_load *ld = NULL;
	store_load_changed(d.store, tui_list_view_arg(v), LOADS_ROWS, &changed, NULL);
	if (store_load_list(d.store, tui_list_view_arg(v), 0, LOADS_ROWS, 0, &list, NULL) == 0)
		for (size_t i = 0; i < list.len && !ld; i++)
			if (((struct store_load *)list.items[i])->id == id)
				ld = list.items[i];
	if (!ld) {
		store_load_list_free(&list);
		store_load_list_free(&changed);
		return tui_list_view_detail(v);
	}
	struct buf b = BUF_INIT;
	char when[96], n1[32], n2[32], n3[32];
	tui_fmt_when(d.now, ld->loaded, when, sizeof when);
	tui_fmt_count(ld->rows_parsed, n1, sizeof n1);
	tui_fmt_count(ld->rows_loaded, n2, sizeof n2);
	tui_fmt_count(ld->error_count, n3, sizeof n3);
	buf_printf(&b, "pipe          %s\nfile          %s\nstatus        %s\n"
		   "loaded        %s\nsize          %lld bytes\nchecksum      %s\n"
		   "rows parsed   %s\nrows loaded   %s\nerrors        %s\n",
		   ld->pipe, ld->file_key, load_status_name(ld->status), when,
		   (long long)ld->size, ld->checksum ? ld->checksum : "-", n1, n2, n3);
	if (ld->run_id)
		buf_printf(&b, "run           %lld\n", (long long)ld->run_id);
	if (ld->first_error) {
		buf_printf(&b, "\nFIRST ERROR\n%s\n", ld->first_error);
		if (ld->first_error_line)
			buf_printf(&b, "at line %lld, column %lld%s%s\n",
				   (long long)ld->first_error_line,
				   (long long)ld->first_error_column,
				   ld->first_error_column_name ? " (" : "",
				   ld->first_error_column_name ? ld->first_error_column_name : "");
		if (ld->first_error_column_name)
			buf_puts(&b, ")\n");
	}
	const struct store_load *ch = changed_of(&changed, ld->id);
	if (ch) {
		char seen[96];
		tui_fmt_when(d.now, ch->seen_at, seen, sizeof seen);
		buf_printf(&b, "\nCHANGED IN THE LAKE SINCE LOADED\n"
			   "seen          %s\nsize          %lld bytes\nchecksum      %s\n"
			   "The pipe does not reload a file it loaded.  F reloads this one:\n"
			   "pipe refresh %s --force --file %s\n", seen,
			   (long long)ch->seen_size, ch->seen_checksum, ld->pipe, ld->file_key);
	}
	char *title = xasprintf("Load %s", r->key);
	int rd = tui_push_page(v->tui, title, buf_str(&b));
	free(title);
	buf_free(&b);
	store_load_list_free(&list);
	store_load_list_free(&changed);
	return rd;
}

static const struct tui_view_ops view_loads_ops = {
	.name = "loads",
	.title = "Loads",
	.summary = "a pipe's load history; F reloads a file",
	.areas = STORE_AREA_BIT(STORE_AREA_PIPES),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = loads_open,
	.refresh = loads_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = loads_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

int tui_open_loads(struct tui *t, const char *pipe)
{
	return tui_list_view_push(t, &view_loads_ops, "Loads of", pipe);
}

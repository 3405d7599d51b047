/*
 * view_pipes.c - the project's pipes: state, files loaded and failed, the
 * last file, the last error; Enter lists a pipe's load history, where one
 * file can be reloaded.
 *
 * The store gives the pipe's object state ("pipe:NAME" PAUSED or
 * STOPPED_ON_ERROR with its error, else RUNNING) and its load history
 * (counts by status, the newest load, the newest failure, the loaded
 * files changed in the lake since), read on every change.  LAST ERROR
 * shows the most pressing of: why the pipe stopped, files changed since
 * they were loaded (not reloaded: Enter, then F on one, reloads it), the
 * newest failure.  What needs the lake (files
 * pending, a stopped pipe's missing prefix or table) the console never
 * finds out itself: it asks `show pipes --json` when the view is shown,
 * at most every PIPES_LAKE_EVERY while it stays shown, and on `r`, and
 * keeps that answer in between.
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
	TUI_COL_TEXT("NAME", 14, .weight = 1),
	TUI_COL_STATE("STATE", 20),
	TUI_COL_NUMBER("PENDING", 7, .drop = 4),
	TUI_COL_NUMBER("LOADED", 6, .drop = 5),
	TUI_COL_NUMBER("FAILED", 6, .drop = 3),
	TUI_COL_TIME("LAST LOAD", 9, .drop = 2),
	TUI_COL_FLEX("LAST ERROR", 10, .drop = 1),
	TUI_COL_FLEX("LAST FILE", 10, .drop = 6, .weight = 1, .path = true),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "pipes",
	"Pipes load new files from the lake into raw tables, keeping a "
	"load history per file.",
};

#define PIPES_LAKE_EVERY (30 * USEC_PER_SEC)

/* The last answer of `show pipes --json` (one console per process). */
static cJSON *lake_status;
static usec_t lake_status_at;

static int act_lake(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	lake_status_at = 0;
	tui_refresh_view(t, tui_top(t));
	return RD_BODY | RD_STATUS;
}

static const struct tui_action actions[] = {
	{ .keys = { 'r' }, .label = "r", .name = "reload",
	  .help = "ask the lake again: pending files, stopped pipes",
	  .run = act_lake },
	{ .keys = { 'p' }, .label = "p", .name = "pause",
	  .help = "pause the selected pipe",
	  .mutates = true, .command = "pipe pause %s" },
	{ .keys = { 'u' }, .label = "u", .name = "resume",
	  .help = "resume the selected pipe (paused, or stopped on error)",
	  .mutates = true, .command = "pipe resume %s" },
	{ .keys = { 'f' }, .label = "f", .name = "refresh",
	  .help = "load the pipe's new files now",
	  .mutates = true, .command = "pipe refresh %s" },
	{ .keys = { 'v' }, .label = "v", .name = "validate",
	  .help = "list every error in the pipe's pending files, loading nothing",
	  .command = "pipe validate %s" },
	{ .keys = { 'F' }, .label = "F", .name = "force reload",
	  .help = "reload every file, even those already loaded",
	  .mutates = true, .command = "pipe refresh %s --force",
	  .confirm = "Reload every file of pipe %s, including files it "
		     "has already loaded? Their rows are replaced by the "
		     "files' current contents." },
	TUI_MARK_ACTION,
};

static void pipes_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
	((struct tui_list_view *)v->state)->marks = true;
}

static const cJSON *lake_entry(const char *pipe)
{
	for (const cJSON *it = cJSON_IsArray(lake_status) ? lake_status->child : NULL; it;
	     it = it->next) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		if (cJSON_IsString(n) && str_eq(n->valuestring, pipe))
			return it;
	}
	return NULL;
}

/* Set by an operator or by on_error abort: news that the lake's answer
 * may not have yet. */
static bool set_state(const char *state)
{
	return str_eq(state, "PAUSED") || str_eq(state, "STOPPED_ON_ERROR");
}

/* "2 files changed since loaded, not reloaded: KEY ..." or nothing. */
static void changed_cell(const struct tui_data *d, const struct project_pipe *pp,
			 char *out, size_t n, struct err *e)
{
	enum { MAX = 1000 };
	struct vec v = VEC_INIT;
	if (store_load_changed(d->store, pp->name, MAX, &v, e) == 0 && v.len)
		snprintf(out, n, "%zu%s file%s changed since loaded, not reloaded: %s "
			 "(Enter, F reloads)", v.len, v.len == MAX ? "+" : "",
			 v.len == 1 ? "" : "s", ((const struct store_load *)v.items[0])->file_key);
	store_load_list_free(&v);
}

static void pipe_row(struct tui_list *l, const struct project_pipe *pp,
		     const struct tui_data *d, const struct vec *objs, struct err *e)
{
	const struct store_object_state *o = tui_object_state(objs, "pipe", pp->name);
	const char *state = o && set_state(o->state) ? o->state : "RUNNING";
	char pending[32] = "?";
	const cJSON *lake = lake_entry(pp->name);
	const cJSON *ls = cJSON_GetObjectItemCaseSensitive(lake, "state");
	const cJSON *lp = cJSON_GetObjectItemCaseSensitive(lake, "pending_files");
	if (cJSON_IsString(ls) && str_eq(state, "RUNNING") && !set_state(ls->valuestring))
		state = ls->valuestring;
	if (cJSON_IsNumber(lp))
		tui_fmt_count((int64_t)lp->valuedouble, pending, sizeof pending);
	char loaded[32] = "-", failed[32] = "-", last_file[256] = "-", error[512] = "";
	struct tui_ago_cell last_at = { "-", "0" };
	if (d->store) {
		int64_t counts[LOAD_STATUS_COUNT];
		if (store_load_counts(d->store, pp->name, counts, e) == 0) {
			tui_fmt_count(counts[LOAD_LOADED] + counts[LOAD_PARTIALLY_LOADED],
				      loaded, sizeof loaded);
			tui_fmt_count(counts[LOAD_FAILED], failed, sizeof failed);
		}
		struct vec v = VEC_INIT;
		unsigned ok = (1u << LOAD_LOADED) | (1u << LOAD_PARTIALLY_LOADED);
		if (store_load_list(d->store, pp->name, ok, 1, 0, &v, e) == 0 && v.len) {
			const struct store_load *ld = v.items[0];
			snprintf(last_file, sizeof last_file, "%s", ld->file_key);
			tui_ago_cell(&last_at, d->now, ld->loaded);
		}
		store_load_list_free(&v);
		unsigned bad = (1u << LOAD_FAILED) | (1u << LOAD_PARTIALLY_LOADED);
		if (o && str_eq(state, "STOPPED_ON_ERROR")) {
			char first[300];
			tui_first_line(o->reason, first, sizeof first);
			snprintf(error, sizeof error, "stopped by on_error %s: %s (u resumes)",
				 o->changed_by ? o->changed_by : "abort", first);
		} else {
			changed_cell(d, pp, error, sizeof error, e);
		}
		if (!*error && store_load_list(d->store, pp->name, bad, 1, 0, &v, e) == 0 &&
		    v.len) {
			const struct store_load *ld = v.items[0];
			char first[300];
			tui_first_line(ld->first_error, first, sizeof first);
			snprintf(error, sizeof error, "%s: %s", ld->file_key, first);
		}
		store_load_list_free(&v);
	}
	const char *cells[] = { pp->name, state, pending, loaded, failed, last_at.text,
				error, last_file };
	const char *sort[] = { NULL, NULL, NULL, NULL, NULL, last_at.sort, NULL, NULL };
	tui_list_add_sorted(l, pp->name, cells, sort);
}

static void pipes_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_project(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec objs = VEC_INIT;
	struct err e;
	err_clear(&e);
	usec_t mono = clock_monotonic_us();
	if (!lake_status_at || mono - lake_status_at >= PIPES_LAKE_EVERY) {
		struct err le;
		err_clear(&le);
		cJSON_Delete(lake_status);
		lake_status = tui_fetch_json(v->tui, "show pipes --json", &le);
		lake_status_at = mono;
		if (!lake_status)
			tui_message(v->tui, true, "pending files unknown: %s", err_text(&le));
	}
	if (d->store)
		store_object_list(d->store, "pipe:", &objs, &e);
	tui_list_begin(l);
	for (size_t i = 0; i < d->project->npipes; i++)
		pipe_row(l, &d->project->pipes[i], d, &objs, &e);
	tui_list_end(l);
	store_object_list_free(&objs);
	tui_list_set_empty(l, "The project declares no pipes.\n\nPipes load new lake "
			   "files into raw tables; they are declared in sluice.json "
			   "under \"pipes\".");
	if (e.code != ERR_OK)
		tui_message(v->tui, true, "pipes: %s", err_text(&e));
	v->clock = 10 * USEC_PER_SEC;
}

static int pipes_detail(struct tui_view *v)
{
	return tui_list_view_open_selected(v, tui_open_loads);
}

static void pipes_close(struct tui_view *v)
{
	cJSON_Delete(lake_status);
	lake_status = NULL;
	lake_status_at = 0;
	tui_list_view_close(v);
}

const struct tui_view_ops view_pipes_ops = {
	.name = "pipes",
	.title = "Pipes",
	.key = '2',
	.in_tabs = true,
	.summary = "continuous loads of new lake files into raw tables",
	.areas = STORE_AREA_BIT(STORE_AREA_PIPES) | STORE_AREA_BIT(STORE_AREA_OBJECTS),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = pipes_open,
	.refresh = pipes_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = pipes_detail,
	.selected = tui_list_view_selected,
	.close = pipes_close,
};

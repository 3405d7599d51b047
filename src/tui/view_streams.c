/*
 * view_streams.c - change tracking over tables: each stream's mode, its
 * offset and pending rows, and the tasks whose conditions watch it.
 *
 * The truth of a stream's offset lives in the stream's own database; the
 * store keeps a mirror for display (store_stream_list), updated whenever
 * the engine reads or commits an offset, so the console needs no data
 * connection.  "?" means the mirror has not seen the stream yet.
 */
#include "project/project.h"
#include "store/store.h"
#include "tui/widget_list.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_TEXT("NAME", 18, .weight = 1),
	TUI_COL_TEXT("MODE", 11, .drop = 4),
	TUI_COL_TEXT("TABLE", 16, .drop = 3, .weight = 1),
	TUI_COL_NUMBER("PENDING", 9),
	TUI_COL_FLEX("OFFSET", 10, .drop = 5),
	TUI_COL_TIME("UPDATED", 9, .drop = 2),
	TUI_COL_FLEX("WATCHED BY", 10, .drop = 6),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "streams",
	"Streams track the changes in a table beyond an offset; flows consume "
	"them and tasks watch them.",
};

static void streams_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

struct watchers {
	const char *stream;
	bool hit;
};

static void watch_call(const char *func, const char *arg, void *ctx)
{
	(void)func;
	struct watchers *w = ctx;
	if (str_eq(arg, w->stream))
		w->hit = true;
}

/* A task watches a stream when a call in its condition names it. */
static bool watches(const struct project_task *task, const void *stream)
{
	struct watchers w = { stream, false };
	if (task->when)
		cond_walk_calls(task->when, watch_call, &w);
	return w.hit;
}

static void streams_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_project(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec mirror = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (d->store)
		store_stream_list(d->store, &mirror, &e);
	tui_list_begin(l);
	for (size_t i = 0; i < d->project->nstreams; i++) {
		const struct project_stream *ps = &d->project->streams[i];
		const struct store_stream_offset *m = NULL;
		for (size_t k = 0; k < mirror.len; k++)
			if (str_eq(((struct store_stream_offset *)mirror.items[k])->stream, ps->name))
				m = mirror.items[k];
		char pending[32] = "?", watched[256];
		struct tui_ago_cell updated = { "-", "0" };
		if (m && m->pending_rows >= 0)
			tui_fmt_count(m->pending_rows, pending, sizeof pending);
		if (m)
			tui_ago_cell(&updated, d->now, m->updated);
		tui_task_names(d->project, watches, ps->name, watched, sizeof watched);
		const char *cells[] = { ps->name, stream_mode_name(ps->mode), ps->table,
					pending, m && m->offset ? m->offset : "(start)",
					updated.text, watched };
		const char *sort[] = { NULL, NULL, NULL, NULL, NULL, updated.sort, NULL };
		tui_list_add_sorted(l, ps->name, cells, sort);
	}
	tui_list_end(l);
	store_stream_list_free(&mirror);
	tui_list_set_empty(l, "The project declares no streams.\n\nStreams are declared "
			   "in sluice.json under \"streams\".");
	if (e.code != ERR_OK)
		tui_message(v->tui, true, "streams: %s", err_text(&e));
	v->clock = 10 * USEC_PER_SEC;
}

static int streams_detail(struct tui_view *v)
{
	return tui_list_view_detail_as(v, "Stream");
}

const struct tui_view_ops view_streams_ops = {
	.name = "streams",
	.title = "Streams",
	.key = '3',
	.in_tabs = true,
	.summary = "change tracking over tables: offsets and pending rows",
	.areas = STORE_AREA_BIT(STORE_AREA_WATERMARKS),
	.open = streams_open,
	.refresh = streams_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = streams_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

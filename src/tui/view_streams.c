/*
 * view_streams.c - change tracking over tables: each stream's mode, its
 * offset and pending rows, and the tasks whose conditions watch it.
 *
 * The truth of a stream's offset lives in the stream's own database; the
 * store keeps a mirror for display (store_stream_list), updated whenever
 * the engine reads or commits an offset, so the console needs no data
 * connection.  "?" means the mirror has not seen the stream yet.
 */
#include "tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	{ "NAME", 18, 0, false, false, false },
	{ "MODE", 11, 0, false, false, false },
	{ "TABLE", 16, 0, false, false, false },
	{ "PENDING", 9, 0, true, true, false },
	{ "OFFSET", 0, 10, false, false, false },
	{ "UPDATED", 9, 0, false, true, false },
	{ "WATCHED BY", 0, 10, false, false, false },
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

static void watched_by(const struct project *p, const char *stream, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < p->ntasks; i++) {
		struct watchers w = { stream, false };
		if (p->tasks[i].when)
			cond_walk_calls(p->tasks[i].when, watch_call, &w);
		if (w.hit)
			buf_printf(&b, "%s%s", b.len ? "," : "", p->tasks[i].name);
	}
	snprintf(out, n, "%s", b.len ? buf_str(&b) : "-");
	buf_free(&b);
}

static void streams_refresh(struct tui_view *v, const struct tui_data *d)
{
	struct tui_list *l = tui_list_view_list(v);
	if (!d->project) {
		tui_list_view_no_store(v, d);
		return;
	}
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
		char pending[32] = "?", updated[32] = "-", when[32] = "0", watched[256];
		if (m && m->pending_rows >= 0)
			tui_fmt_count(m->pending_rows, pending, sizeof pending);
		if (m) {
			tui_fmt_ago(d->now, m->updated, updated, sizeof updated);
			snprintf(when, sizeof when, "%lld", (long long)m->updated);
		}
		watched_by(d->project, ps->name, watched, sizeof watched);
		const char *cells[] = { ps->name, stream_mode_name(ps->mode), ps->table,
					pending, m && m->offset ? m->offset : "(start)",
					updated, watched };
		const char *sort[] = { NULL, NULL, NULL, NULL, NULL, when, NULL };
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

const struct tui_view_ops view_streams_ops = {
	.name = "streams",
	.title = "Streams",
	.key = '3',
	.in_tabs = true,
	.summary = "change tracking over tables: offsets and pending rows",
	.areas = STORE_AREA_BIT(STORE_AREA_WATERMARKS),
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

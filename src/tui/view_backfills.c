/*
 * view_backfills.c - the store's backfills, newest first, and the actions
 * that step one through its procedure: n (next step), a (approve: swap the
 * rebuilt tables in) and d (discard), the last two asking first with the
 * focus on Cancel.  Enter opens the backfill (view_backfill.c).
 *
 * Rows are keyed by backfill id; the actions name the flow, as the
 * `backfill` commands do (a flow has at most one active backfill).
 */
#include "store/store.h"
#include "tui/keys.h"
#include "tui/widget_list.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_NUMBER("ID", 5),
	TUI_COL_TEXT("FLOW", 18, .weight = 1),
	TUI_COL_TEXT("STEP", 9, .drop = 3),
	TUI_COL_STATE("STATE", 10),
	TUI_COL_TIME("UPDATED", 9, .drop = 2),
	TUI_COL_TEXT("BY", 12, .drop = 4),
	TUI_COL_FLEX("DIFFERENCES", 10, .drop = 1),
};

#define FLOW_COL 1

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "backfills",
	"A backfill rebuilds a flow's outputs from raw history, compares "
	"them with the current tables and waits for approval.",
};

static void backfills_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void backfills_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec list = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_backfill_list(d->store, NULL, 500, &list, &e) < 0) {
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < list.len; i++) {
		const struct store_backfill *b = list.items[i];
		char id[24], diff[256];
		struct tui_ago_cell updated;
		snprintf(id, sizeof id, "%lld", (long long)b->id);
		tui_ago_cell(&updated, d->now, b->updated);
		tui_backfill_summary(b->compare, diff, sizeof diff);
		if (!*diff && b->error)
			tui_first_line(b->error, diff, sizeof diff);
		const char *cells[] = { id, b->flow, b->step, backfill_state_name(b->state),
					updated.text, b->created_by ? b->created_by : "", diff };
		const char *sort[] = { NULL, NULL, NULL, NULL, updated.sort, NULL, NULL };
		tui_list_add_sorted(l, id, cells, sort);
	}
	tui_list_end(l);
	store_backfill_list_free(&list);
	tui_list_set_empty(l, "No backfill has been started.\n\nA backfill rebuilds a "
			   "flow's tables from all raw history and shows how they would "
			   "change before anything is replaced. Start one from the flows "
			   "view (B) or with :backfill start FLOW.");
	v->clock = 10 * USEC_PER_SEC;
}

/* The actions name the flow of the selected backfill. */
static const char *backfills_selected(struct tui_view *v)
{
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	return r ? r->cells[FLOW_COL] : NULL;
}

static int backfills_detail(struct tui_view *v)
{
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	int64_t id;
	if (!r || !str_to_i64(r->key, &id))
		return TUI_UNHANDLED;
	return tui_open_backfill(v->tui, id);
}

const struct tui_view_ops view_backfills_ops = {
	.name = "backfills",
	.title = "Backfills",
	.key = '8',
	.in_tabs = true,
	.summary = "rebuilds of a flow's outputs, step by step",
	.areas = STORE_AREA_BIT(STORE_AREA_BACKFILLS),
	.actions = tui_backfill_actions,
	.nactions = TUI_NBACKFILL_STEP_ACTIONS,      /* not C: that is the page's */
	.open = backfills_open,
	.refresh = backfills_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = backfills_detail,
	.selected = backfills_selected,
	.close = tui_list_view_close,
};

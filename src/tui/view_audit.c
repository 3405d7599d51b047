/*
 * view_audit.c - the operators' actions, newest first: when, who and from
 * which host, through what, the action and its object (`sluice show
 * audit`).  Read from the store, where each record was written in the
 * transaction of the action it records.
 */
#include "store/store.h"
#include "tui/widget_list.h"
#include "tui/views.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_TIME("WHEN", 9),
	TUI_COL_TEXT("ACTION", 8),
	TUI_COL_TEXT("OBJECT", 16, .weight = 1),
	TUI_COL_TEXT("VIA", 12, .drop = 2),
	TUI_COL_TEXT("COMMAND", 14, .drop = 1, .weight = 1),
	/* last: user@host is as long as the machine's names */
	TUI_COL_FLEX("BY", 12),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "audit records",
	"The audit records who started, cancelled, retried, approved, discarded, "
	"suspended, resumed or forced what, when, and from which user and host.",
};

#define AUDIT_ROWS 1000

static void audit_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void add_row(struct tui_list *l, const struct tui_data *d,
		    const struct store_audit *a)
{
	char id[24];
	struct tui_ago_cell when;
	snprintf(id, sizeof id, "%lld", (long long)a->id);
	tui_ago_cell(&when, d->now, a->at);
	char *by = xasprintf("%s@%s", a->user, a->host);
	const char *cells[] = { when.text, a->action, a->object, a->via,
				a->command ? a->command : "", by };
	const char *sort[] = { when.sort, NULL, NULL, NULL, NULL, NULL };
	tui_list_add_sorted(l, id, cells, sort);
	free(by);
}

static void audit_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec rows = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_audit_list(d->store, AUDIT_ROWS, &rows, &e) < 0) {
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < rows.len; i++)
		add_row(l, d, rows.items[i]);
	tui_list_end(l);
	store_audit_list_free(&rows);
	tui_list_set_empty(l, "No operator has acted yet.\n\nStarting, cancelling or "
			   "retrying runs, suspending or resuming tasks and pipes, forced "
			   "reloads and backfill decisions are recorded here.");
	v->clock = 30 * USEC_PER_SEC;   /* "3m ago" ages */
}

static int audit_detail(struct tui_view *v)
{
	return tui_list_view_detail_as(v, "Audit record");
}

const struct tui_view_ops view_audit_ops = {
	.name = "audit",
	.title = "Audit",
	.key = 0,
	.in_tabs = false,
	.summary = "the operators' actions: who did what, when, from where",
	/* a record commits with its action, whatever the action changed */
	.areas = ~STORE_AREA_BIT(STORE_AREA_LOGS),
	.open = audit_open,
	.refresh = audit_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = audit_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

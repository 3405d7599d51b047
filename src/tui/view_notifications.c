/*
 * view_notifications.c - the notification queue, newest first: what was
 * sent where, what waits, what failed and why (secrets masked), with r to
 * queue a FAILED message again and D to drop it (asking first).  Both go
 * through the command layer (`notify retry|drop ID`), so read-only mode
 * refuses them in one place.
 */
#include "store/store.h"
#include "tui/widget_list.h"
#include "tui/views.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_NUMBER("ID", 5, .drop = 6),
	TUI_COL_TEXT("CHANNEL", 10, .drop = 4),
	TUI_COL_TEXT("EVENT", 18, .drop = 3),
	TUI_COL_TEXT("OBJECT", 20, .weight = 1),
	TUI_COL_STATE("STATE", 8),
	TUI_COL_NUMBER("TRIES", 5, .drop = 5),
	TUI_COL_TIME("QUEUED", 9, .drop = 2),
	TUI_COL_FLEX("LAST ERROR", 12, .drop = 1),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "notifications",
	"Messages to Slack, email and webhooks wait here until sent; a failed "
	"delivery is retried with backoff, and one that failed for good can be "
	"retried (r) or dropped (D).",
};

static const struct tui_action actions[] = {
	{ .keys = { 'r' }, .label = "r", .name = "retry",
	  .help = "queue a FAILED notification again, due now",
	  .mutates = true, .command = "notify retry %s" },
	{ .keys = { 'D' }, .label = "D", .name = "drop",
	  .help = "delete a FAILED notification",
	  .mutates = true, .command = "notify drop %s",
	  .confirm = "Drop notification %s? It will not be sent." },
};

static void notifications_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
}

static void add_row(struct tui_list *l, const struct tui_data *d,
		    const struct store_notification *n)
{
	char id[24], tries[16], event[48];
	struct tui_ago_cell queued;
	snprintf(id, sizeof id, "%lld", (long long)n->id);
	snprintf(tries, sizeof tries, "%d", n->attempts);
	if (n->occurrences > 1)
		snprintf(event, sizeof event, "%s x%d", n->event, n->occurrences);
	else
		snprintf(event, sizeof event, "%s", n->event);
	tui_ago_cell(&queued, d->now, n->created);
	char error[256] = "";
	if (n->last_error) {
		char *masked = log_mask(n->last_error);
		tui_first_line(masked, error, sizeof error);
		free(masked);
	}
	const char *cells[] = { id, n->channel, event, n->object ? n->object : "",
				notify_state_name(n->state), tries, queued.text, error };
	const char *sort[] = { NULL, NULL, NULL, NULL, NULL, NULL, queued.sort, NULL };
	tui_list_add_sorted(l, id, cells, sort);
}

static void notifications_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec q = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_notify_list(d->store, 0, 500, &q, &e) < 0) {
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < q.len; i++)
		add_row(l, d, q.items[i]);
	tui_list_end(l);
	store_notify_list_free(&q);
	tui_list_set_empty(l, "No notifications.\n\nChannels are declared under "
			   "\"notifications\" in the project; ':notify test CHANNEL' sends "
			   "a test message.");
	v->clock = 5 * USEC_PER_SEC;
}

const struct tui_view_ops view_notifications_ops = {
	.name = "notifications",
	.title = "Notifications",
	.key = 0,
	.in_tabs = false,
	.summary = "the notification queue: sent, pending, failed",
	.areas = STORE_AREA_BIT(STORE_AREA_NOTIFY),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = notifications_open,
	.refresh = notifications_refresh,
	TUI_LIST_VIEW_OPS,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

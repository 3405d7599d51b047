/*
 * view_overview.c - health at a glance: counts by state, recent failures,
 * rows moved per minute.
 *
 * Those numbers come from the control store; while none is open the view
 * says so, and what the operator can do about it, instead of showing
 * zeros that would look like a healthy, idle system.
 */
#include "tui_int.h"

#include <stdlib.h>

struct overview {
	char *notice;
};

static void overview_open(struct tui_view *v)
{
	v->state = xcalloc(1, sizeof(struct overview));
	v->stale = true;
}

static void overview_refresh(struct tui_view *v, const struct tui_data *d)
{
	struct overview *o = v->state;
	free(o->notice);
	o->notice = xasprintf(
		"No control store is open, so there is nothing to show yet.\n\n"
		"The overview counts runs, tasks and pipes by state, lists recent "
		"failures and draws the rows moved per minute, all read from the "
		"control store of a project.\n\n%s\n\n"
		"Press ? for help, : for the command prompt, q to quit.",
		d->cfg->project ? "This console was started without a control store."
				: "No project is loaded: start sluice in a directory "
				  "holding a sluice.json.");
	v->clock = 0;
}

static void overview_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	struct overview *o = v->state;
	for (int i = 0; i < h; i++)
		tui_fill(w, i, 0, width, theme_attr(R_NORMAL));
	tui_notice(w, 0, 0, h, width, o->notice ? o->notice : "");
}

static void overview_where(struct tui_view *v, struct buf *out)
{
	(void)v;
	buf_puts(out, "no store");
}

static void overview_close(struct tui_view *v)
{
	struct overview *o = v->state;
	free(o->notice);
	free(o);
	v->state = NULL;
}

const struct tui_view_ops view_overview_ops = {
	.name = "overview",
	.title = "Overview",
	.key = '1',
	.in_tabs = true,
	.summary = "health at a glance: states, failures, rows per minute",
	.open = overview_open,
	.refresh = overview_refresh,
	.draw = overview_draw,
	.where = overview_where,
	.close = overview_close,
};

/*
 * view_page.c - a page of text over the current view: a row's details, a
 * command's result, help.  The frame pushes it; Esc or q pops it.
 */
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>

struct tui_pager *tui_page_pager(struct tui_view *v)
{
	return v->state;
}

void tui_page_open(struct tui_view *v)
{
	struct tui_pager *p = xcalloc(1, sizeof *p);
	tui_pager_init(p);
	v->state = p;
}

void tui_page_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	tui_pager_draw(v->state, w, 0, 0, h, width);
}

int tui_page_key(struct tui_view *v, int key)
{
	return tui_pager_key(v->state, key);
}

void tui_page_filter(struct tui_view *v, const char *text)
{
	if (!tui_pager_search(v->state, text) && text && *text)
		tui_message(v->tui, true, "\"%s\" not found", text);
}

void tui_page_where(struct tui_view *v, struct buf *out)
{
	tui_pager_where(v->state, out);
}

void tui_page_close(struct tui_view *v)
{
	tui_pager_free(v->state);
	free(v->state);
	v->state = NULL;
}

const struct tui_view_ops tui_page_ops = {
	.name = "page",
	.title = "Page",
	.summary = "a page of text",
	.open = tui_page_open,
	.draw = tui_page_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.where = tui_page_where,
	.close = tui_page_close,
};

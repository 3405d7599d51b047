/*
 * view_list.c - the operations every list view shares.
 *
 * Most views are one table of objects (pipes, tasks, runs ...).  Their
 * files declare columns and actions and fill rows in refresh; these
 * functions do the rest: drawing, keys (navigation, sorting), selection
 * by key, filtering, and a detail page listing every column of the
 * selected row for views that have nothing richer to show.
 */
#include "tui/keys.h"
#include "tui/draw.h"
#include "tui/widget_list.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

#define list_view tui_list_view

struct tui_list *tui_list_view_list(struct tui_view *v)
{
	struct list_view *lv = v->state;
	return &lv->list;
}

void tui_list_view_open(struct tui_view *v, const struct tui_list_spec *spec)
{
	struct list_view *lv = xcalloc(1, sizeof *lv);
	lv->spec = spec;
	lv->total = -1;
	tui_list_init(&lv->list, spec->cols, spec->ncols);
	tui_list_sort(&lv->list, spec->sort_col, spec->sort_desc);
	v->state = lv;
	v->stale = true;
}

int tui_list_view_push(struct tui *t, const struct tui_view_ops *ops,
		       const char *lead, const char *arg)
{
	struct tui_view *v = tui_view_new(t, ops, "%s %s", lead, arg);
	struct list_view *lv = v->state;
	lv->arg = xstrdup(arg);
	return tui_push_view(t, v);
}

const char *tui_list_view_arg(struct tui_view *v)
{
	struct list_view *lv = v->state;
	return lv->arg;
}

struct tui_pager *tui_list_view_head(struct tui_view *v)
{
	struct list_view *lv = v->state;
	if (!lv->head) {
		lv->head = xcalloc(1, sizeof *lv->head);
		tui_pager_init(lv->head);
	}
	return lv->head;
}

void tui_list_view_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	struct list_view *lv = v->state;
	int top = lv->head ? (int)lv->head->lines.len : 0;
	if (top > h / 2)
		top = h / 2;
	if (top > 0)
		tui_pager_draw(lv->head, w, 0, 0, top, width);
	tui_list_draw(&lv->list, w, top, 0, h - top, width);
}

int tui_list_view_key(struct tui_view *v, int key)
{
	struct tui_list *l = tui_list_view_list(v);
	switch (key) {
	case '<':
		tui_list_sort_step(l, -1);
		return RD_BODY | RD_STATUS;
	case '>':
		tui_list_sort_step(l, 1);
		return RD_BODY | RD_STATUS;
	case 'I':
		tui_list_sort(l, l->sort_col < 0 ? 0 : l->sort_col, !l->sort_desc);
		return RD_BODY | RD_STATUS;
	}
	return tui_list_key(l, key);
}

bool tui_list_view_select(struct tui_view *v, const char *key)
{
	return tui_list_select_key(tui_list_view_list(v), key);
}

void tui_list_view_filter(struct tui_view *v, const char *text)
{
	tui_list_set_filter(tui_list_view_list(v), text);
}

int tui_list_view_detail(struct tui_view *v)
{
	return tui_list_view_detail_as(v, v->ops->title);
}

int tui_list_view_detail_as(struct tui_view *v, const char *lead)
{
	struct tui_list *l = tui_list_view_list(v);
	const struct tui_row *r = tui_list_selected(l);
	if (!r)
		return TUI_UNHANDLED;
	int label = 0;
	for (size_t i = 0; i < l->ncols; i++) {
		int w = tui_text_width(l->cols[i].title);
		label = w > label ? w : label;
	}
	struct buf text = BUF_INIT;
	for (size_t i = 0; i < l->ncols; i++)
		buf_printf(&text, "%-*s  %s\n", label, l->cols[i].title, r->cells[i]);
	char *title = xasprintf("%s %s", lead, r->key);
	int rd = tui_push_page(v->tui, title, buf_str(&text));
	free(title);
	buf_free(&text);
	return rd;
}

int tui_list_view_open_selected(struct tui_view *v,
				int (*open)(struct tui *t, const char *key))
{
	const char *key = tui_list_view_selected(v);
	if (!key)
		return TUI_UNHANDLED;
	return open(v->tui, key);
}

const char *tui_list_view_selected(struct tui_view *v)
{
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	return r ? r->key : NULL;
}

int tui_list_view_act_mark(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct list_view *lv = v->state;
	BUG_ON(!lv->marks);      /* only views that mark list the action */
	return tui_list_toggle_mark(&lv->list) ? RD_BODY | RD_STATUS : RD_NONE;
}

void tui_list_view_marked(struct tui_view *v, struct vec *keys)
{
	tui_list_marked(tui_list_view_list(v), keys);
}

void tui_list_view_unmark(struct tui_view *v)
{
	tui_list_clear_marks(tui_list_view_list(v));
}

void tui_list_view_where(struct tui_view *v, struct buf *out)
{
	tui_list_where(tui_list_view_list(v), out);
}

void tui_list_view_close(struct tui_view *v)
{
	struct list_view *lv = v->state;
	tui_list_free(&lv->list);
	if (lv->head)
		tui_pager_free(lv->head);
	free(lv->head);
	free(lv->arg);
	free(lv);
	v->state = NULL;
}

bool tui_list_view_no_store(struct tui_view *v, const struct tui_data *d)
{
	if (d->store)
		return false;
	struct list_view *lv = v->state;
	struct tui_list *l = &lv->list;
	tui_list_begin(l);
	tui_list_end(l);
	char *why = tui_no_store_reason(v->tui);
	char *msg = xasprintf(
		"No control store is open, so there are no %s to show.\n\n%s\n\n%s",
		lv->spec->what, lv->spec->about, why);
	tui_list_set_empty(l, msg);
	free(msg);
	free(why);
	v->clock = 0;
	return true;
}

bool tui_list_view_no_project(struct tui_view *v, const struct tui_data *d)
{
	if (d->project)
		return false;
	tui_list_view_no_store(v, d);
	return true;
}

void tui_list_view_error(struct tui_view *v, const struct err *e)
{
	struct list_view *lv = v->state;
	struct tui_list *l = &lv->list;
	tui_list_begin(l);
	tui_list_end(l);
	char *msg = xasprintf("The %s could not be read.\n\n%s", lv->spec->what,
			      err_text(e));
	tui_list_set_empty(l, msg);
	free(msg);
}

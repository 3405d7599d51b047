/*
 * widget_list.c - the table every list view is made of.
 *
 * Rows are strings (cells) under declared columns; the widget filters
 * (substring, case-insensitive, over every cell, so typing "fail" finds
 * FAILED and LOAD_FAILED rows), sorts by any column (numbers as numbers,
 * stable), keeps the selection on the same object across refreshes (by
 * row key), scrolls, and draws with numbers right-aligned and state names
 * coloured.  It holds exactly the rows the view gives it: a view that
 * reads a big table gives it a bounded window of rows, not the table.
 */
#include "tui/widget_list.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

void tui_list_init(struct tui_list *l, const struct tui_column *cols, size_t ncols)
{
	memset(l, 0, sizeof *l);
	l->cols = cols;
	l->ncols = ncols;
	l->sort_col = -1;
}

static void row_free(struct tui_row *r, size_t ncols)
{
	for (size_t i = 0; i < ncols; i++) {
		free(r->cells[i]);
		if (r->sort)
			free(r->sort[i]);
	}
	free(r->cells);
	free(r->sort);
	free(r->key);
	free(r);
}

static void rows_clear(struct tui_list *l)
{
	for (size_t i = 0; i < l->rows.len; i++)
		row_free(l->rows.items[i], l->ncols);
	vec_clear(&l->rows);
	l->nshown = 0;
}

void tui_list_free(struct tui_list *l)
{
	rows_clear(l);
	vec_free(&l->rows);
	free(l->shown);
	free(l->filter);
	free(l->empty);
	free(l->keep_key);
	vec_free_all(&l->marks, free);
	free(l->natural);
	free(l->cw);
	free(l->cut);
	memset(l, 0, sizeof *l);
}

const struct tui_row *tui_list_selected(const struct tui_list *l)
{
	if (l->nshown == 0)
		return NULL;
	return l->rows.items[l->shown[l->sel]];
}

static bool row_matches(const struct tui_list *l, const struct tui_row *r)
{
	if (!l->filter)
		return true;
	for (size_t i = 0; i < l->ncols; i++)
		if (r->cells[i] && tui_strcasestr(r->cells[i], l->filter))
			return true;
	return r->key && tui_strcasestr(r->key, l->filter);
}

/* A cell as a number: "1,234" counts, so do "12.5" and "-3". */
static bool number_of(const char *s, double *out)
{
	char tmp[64];
	size_t n = 0;
	for (const char *p = s; *p && n + 1 < sizeof tmp; p++)
		if (*p != ',')
			tmp[n++] = *p;
	tmp[n] = '\0';
	return str_to_double(tmp, out);
}

static int compare_rows(const struct tui_list *l, size_t ia, size_t ib)
{
	const struct tui_row *a = l->rows.items[ia], *b = l->rows.items[ib];
	const char *ca = a->cells[l->sort_col], *cb = b->cells[l->sort_col];
	if (a->sort && a->sort[l->sort_col])
		ca = a->sort[l->sort_col];
	if (b->sort && b->sort[l->sort_col])
		cb = b->sort[l->sort_col];
	int c = 0;
	if (l->cols[l->sort_col].numeric) {
		double da, db;
		bool na = number_of(ca, &da), nb = number_of(cb, &db);
		if (na != nb)
			return na ? -1 : 1;  /* blanks and dashes last, either way */
		if (na)
			c = da < db ? -1 : da > db ? 1 : 0;
	}
	if (c == 0)
		c = strcasecmp(ca, cb);
	if (c == 0)
		c = strcmp(ca, cb);
	if (l->sort_desc)
		c = -c;
	if (c == 0)   /* stable: ties keep the order the view gave */
		c = ia < ib ? -1 : ia > ib ? 1 : 0;
	return c;
}

/* Merge sort on the index array: qsort has no context argument and is
 * not stable. */
static void sort_indexes(const struct tui_list *l, size_t *v, size_t *tmp, size_t n)
{
	if (n < 2)
		return;
	size_t half = n / 2;
	sort_indexes(l, v, tmp, half);
	sort_indexes(l, v + half, tmp, n - half);
	size_t i = 0, j = half, k = 0;
	while (i < half && j < n)
		tmp[k++] = compare_rows(l, v[i], v[j]) <= 0 ? v[i++] : v[j++];
	while (i < half)
		tmp[k++] = v[i++];
	while (j < n)
		tmp[k++] = v[j++];
	memcpy(v, tmp, n * sizeof *v);
}

static bool find_key(const struct tui_list *l, const char *key, size_t *at)
{
	for (size_t i = 0; key && i < l->nshown; i++) {
		const struct tui_row *r = l->rows.items[l->shown[i]];
		if (str_eq(r->key, key)) {
			*at = i;
			return true;
		}
	}
	return false;
}

/* Filter and sort again, keeping the selection on `keep` if it is shown. */
static void rebuild(struct tui_list *l, const char *keep)
{
	l->laid_width = 0;
	free(l->shown);
	l->shown = xcalloc(l->rows.len ? l->rows.len : 1, sizeof *l->shown);
	l->nshown = 0;
	for (size_t i = 0; i < l->rows.len; i++)
		if (row_matches(l, l->rows.items[i]))
			l->shown[l->nshown++] = i;
	if (l->sort_col >= 0 && (size_t)l->sort_col < l->ncols) {
		size_t *tmp = xcalloc(l->nshown ? l->nshown : 1, sizeof *tmp);
		sort_indexes(l, l->shown, tmp, l->nshown);
		free(tmp);
	}
	size_t at;
	if (find_key(l, keep, &at))
		l->sel = at;
	else if (l->sel >= l->nshown)
		l->sel = l->nshown ? l->nshown - 1 : 0;
	if (l->top > l->sel)
		l->top = l->sel;
}

static char *selected_key(const struct tui_list *l)
{
	const struct tui_row *r = tui_list_selected(l);
	return r ? xstrdup(r->key) : NULL;
}

void tui_list_begin(struct tui_list *l)
{
	free(l->keep_key);
	l->keep_key = selected_key(l);
	rows_clear(l);
}

void tui_list_add(struct tui_list *l, const char *key, const char *const *cells)
{
	tui_list_add_sorted(l, key, cells, NULL);
}

void tui_list_add_sorted(struct tui_list *l, const char *key, const char *const *cells,
			 const char *const *sort)
{
	struct tui_row *r = xcalloc(1, sizeof *r);
	r->key = xstrdup(key ? key : "");
	r->cells = xcalloc(l->ncols ? l->ncols : 1, sizeof *r->cells);
	for (size_t i = 0; i < l->ncols; i++)
		r->cells[i] = xstrdup(cells[i] ? cells[i] : "");
	if (sort) {
		r->sort = xcalloc(l->ncols ? l->ncols : 1, sizeof *r->sort);
		for (size_t i = 0; i < l->ncols; i++)
			r->sort[i] = xstrdup(sort[i]);
	}
	vec_push(&l->rows, r);
}

/* Marks of rows no longer there go: an action must not reach an object
 * the operator cannot see. */
static void prune_marks(struct tui_list *l)
{
	size_t kept = 0;
	for (size_t i = 0; i < l->marks.len; i++) {
		char *key = l->marks.items[i];
		bool present = false;
		for (size_t r = 0; r < l->rows.len && !present; r++)
			present = str_eq(((struct tui_row *)l->rows.items[r])->key, key);
		if (present)
			l->marks.items[kept++] = key;
		else
			free(key);
	}
	l->marks.len = kept;
}

bool tui_list_is_marked(const struct tui_list *l, const char *key)
{
	for (size_t i = 0; i < l->marks.len; i++)
		if (str_eq(l->marks.items[i], key))
			return true;
	return false;
}

bool tui_list_toggle_mark(struct tui_list *l)
{
	const struct tui_row *r = tui_list_selected(l);
	if (!r)
		return false;
	bool found = false;
	for (size_t i = 0; i < l->marks.len && !found; i++) {
		if (str_eq(l->marks.items[i], r->key)) {
			free(l->marks.items[i]);
			l->marks.items[i] = l->marks.items[--l->marks.len];
			found = true;
		}
	}
	if (!found)
		vec_push(&l->marks, xstrdup(r->key));
	if (l->sel + 1 < l->nshown)
		l->sel++;
	l->laid_width = 0;      /* the column of marks comes or goes */
	return true;
}

void tui_list_marked(const struct tui_list *l, struct vec *keys)
{
	for (size_t i = 0; i < l->nshown; i++) {
		const struct tui_row *r = l->rows.items[l->shown[i]];
		if (tui_list_is_marked(l, r->key))
			vec_push(keys, xstrdup(r->key));
	}
}

void tui_list_clear_marks(struct tui_list *l)
{
	vec_free_all(&l->marks, free);
	l->laid_width = 0;
}

void tui_list_end(struct tui_list *l)
{
	prune_marks(l);
	rebuild(l, l->keep_key);
	free(l->keep_key);
	l->keep_key = NULL;
}

void tui_list_set_empty(struct tui_list *l, const char *message)
{
	free(l->empty);
	l->empty = xstrdup(message);
}

void tui_list_set_filter(struct tui_list *l, const char *text)
{
	char *keep = selected_key(l);
	free(l->filter);
	l->filter = text && *text ? xstrdup(text) : NULL;
	rebuild(l, keep);
	free(keep);
}

void tui_list_sort(struct tui_list *l, int col, bool desc)
{
	if (col >= (int)l->ncols)
		col = (int)l->ncols - 1;
	char *keep = selected_key(l);
	l->sort_col = col < 0 ? -1 : col;
	l->sort_desc = desc;
	rebuild(l, keep);
	free(keep);
}

void tui_list_sort_step(struct tui_list *l, int delta)
{
	if (l->ncols == 0)
		return;
	int n = (int)l->ncols;
	int col = l->sort_col < 0 ? (delta > 0 ? 0 : n - 1)
				  : ((l->sort_col + delta) % n + n) % n;
	tui_list_sort(l, col, false);
}

bool tui_list_select_key(struct tui_list *l, const char *key)
{
	size_t at;
	if (!find_key(l, key, &at))
		return false;
	l->sel = at;
	return true;
}

int tui_list_key(struct tui_list *l, int key)
{
	size_t page = l->page > 1 ? (size_t)l->page : 1;
	size_t last = l->nshown ? l->nshown - 1 : 0;
	size_t before = l->sel;
	switch (key) {
	case TK(KEY_UP): case 'k': case TK_CTRL('p'):
		if (l->sel > 0)
			l->sel--;
		break;
	case TK(KEY_DOWN): case 'j': case TK_CTRL('n'):
		if (l->sel < last)
			l->sel++;
		break;
	case TK(KEY_PPAGE): case TK_CTRL('b'):
		l->sel = l->sel > page ? l->sel - page : 0;
		break;
	case TK(KEY_NPAGE): case TK_CTRL('f'): case ' ':
		l->sel = l->sel + page < last ? l->sel + page : last;
		break;
	case TK(KEY_HOME): case 'g':
		l->sel = 0;
		break;
	case TK(KEY_END): case 'G':
		l->sel = last;
		break;
	default:
		return TUI_UNHANDLED;
	}
	return l->sel != before ? RD_BODY | RD_STATUS : RD_NONE;
}

/* ---- layout: which columns show, how wide, how their values are cut ---- */

static int natural_width(const struct tui_list *l, size_t c)
{
	int w = tui_text_width(l->cols[c].title) + ((int)c == l->sort_col ? 1 : 0);
	for (size_t i = 0; i < l->nshown; i++) {
		const struct tui_row *r = l->rows.items[l->shown[i]];
		int cw = tui_text_width(r->cells[c]);
		w = cw > w ? cw : w;
	}
	return w;
}

static int used_width(const struct tui_list *l, const int *cw)
{
	int used = -1;
	for (size_t i = 0; i < l->ncols; i++)
		if (cw[i] >= 0)
			used += cw[i] + 1;
	return used;
}

/* The columns that fit: each at its width (a flexible one at its least),
 * dropping the highest `drop` first while they do not. */
static void drop_columns(const struct tui_list *l, int width, int *cw)
{
	for (size_t i = 0; i < l->ncols; i++)
		cw[i] = l->cols[i].width > 0 ? l->cols[i].width : l->cols[i].min;
	while (used_width(l, cw) > width) {
		int victim = -1;
		for (size_t i = 0; i < l->ncols; i++)
			if (cw[i] >= 0 && l->cols[i].drop > 0 &&
			    (victim < 0 || l->cols[i].drop >= l->cols[victim].drop))
				victim = (int)i;
		if (victim < 0)
			return;      /* what is left is clipped at the edge */
		cw[victim] = -1;
	}
}

/* Spare width to the weighted columns whose cells need it; returns what
 * is left. */
static int grow_weighted(const struct tui_list *l, int spare, int *cw)
{
	while (spare > 0) {
		int total = 0, given = 0;
		for (size_t i = 0; i < l->ncols; i++)
			if (cw[i] >= 0 && l->cols[i].weight > 0 && l->natural[i] > cw[i])
				total += l->cols[i].weight;
		if (total == 0)
			break;
		for (size_t i = 0; i < l->ncols && given < spare; i++) {
			if (cw[i] < 0 || l->cols[i].weight <= 0 || l->natural[i] <= cw[i])
				continue;
			int share = spare * l->cols[i].weight / total;
			share = share < 1 ? 1 : share;
			share = share < l->natural[i] - cw[i] ? share : l->natural[i] - cw[i];
			share = share < spare - given ? share : spare - given;
			cw[i] += share;
			given += share;
		}
		spare -= given;
	}
	return spare;
}

/* The flexible columns share what is left: one whose cells need less than
 * its share takes what they need (at least its least width), and the
 * others share the rest equally. */
static void share_flexible(const struct tui_list *l, int spare, int *cw)
{
	int nflex = 0, left = spare;
	for (size_t i = 0; i < l->ncols; i++)
		if (cw[i] >= 0 && l->cols[i].width == 0) {
			nflex++;
			left += cw[i];
			cw[i] = 0;       /* 0: not given its width yet */
		}
	for (bool settled = false; nflex > 0 && !settled;) {
		settled = true;
		for (size_t i = 0; i < l->ncols; i++) {
			if (cw[i] != 0 || l->cols[i].width > 0)
				continue;
			int need = l->natural[i] > l->cols[i].min ? l->natural[i] : l->cols[i].min;
			if (need > left / nflex)
				continue;
			cw[i] = need > 0 ? need : 1;
			left -= cw[i];
			nflex--;
			settled = false;
		}
	}
	for (size_t i = 0; i < l->ncols; i++) {
		if (cw[i] != 0 || l->cols[i].width > 0)
			continue;
		int share = left / nflex;
		cw[i] = share > l->cols[i].min ? share : l->cols[i].min;
		left -= cw[i];
		nflex--;
	}
}

struct cut_pair {
	char *cut;
	const char *value;
};

static int compare_cut_pairs(const void *a, const void *b)
{
	const struct cut_pair *x = a, *y = b;
	int c = strcmp(x->cut, y->cut);
	return c ? c : strcmp(x->value, y->value);
}

/* Would two different values of column c read the same, cut this way? */
static bool cut_collides(const struct tui_list *l, size_t c, int width, enum tui_cut how)
{
	struct cut_pair *v = xcalloc(l->nshown ? l->nshown : 1, sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < l->nshown; i++) {
		const char *value = ((const struct tui_row *)l->rows.items[l->shown[i]])->cells[c];
		if (tui_text_width(value) > width) {
			v[n].value = value;
			v[n++].cut = tui_text_fit(value, width, how);
		}
	}
	qsort(v, n, sizeof *v, compare_cut_pairs);
	bool clash = false;
	for (size_t i = 1; i < n && !clash; i++)
		clash = str_eq(v[i - 1].cut, v[i].cut) && !str_eq(v[i - 1].value, v[i].value);
	for (size_t i = 0; i < n; i++)
		free(v[i].cut);
	free(v);
	return clash;
}

/* Width for column c taken from the flexible columns, down to their
 * least, up to `want`.  Returns what was given. */
static int borrow_from_flexible(const struct tui_list *l, size_t c, int want, int *cw)
{
	int given = 0;
	for (size_t i = l->ncols; i-- > 0 && given < want;) {
		if (i == c || cw[i] < 0 || l->cols[i].width > 0 || cw[i] <= l->cols[i].min)
			continue;
		int take = cw[i] - l->cols[i].min;
		take = take < want - given ? take : want - given;
		cw[i] -= take;
		given += take;
	}
	cw[c] += given;
	return given;
}

/* Never two different values cut to the same text: cut such a column in
 * the middle, and if that is not enough widen it from the flexible
 * columns. */
static void choose_cuts(struct tui_list *l, int *cw)
{
	for (size_t c = 0; c < l->ncols; c++) {
		l->cut[c] = l->cols[c].path ? TUI_CUT_PATH : TUI_CUT_END;
		if (cw[c] < 0 || l->natural[c] <= cw[c] || l->cols[c].numeric)
			continue;
		if (!cut_collides(l, c, cw[c], l->cut[c]))
			continue;
		l->cut[c] = TUI_CUT_MIDDLE;
		while (cw[c] < l->natural[c] && cut_collides(l, c, cw[c], TUI_CUT_MIDDLE))
			if (!borrow_from_flexible(l, c, 1, cw))
				break;
	}
}

static void lay_out(struct tui_list *l, int width)
{
	if (l->laid_width == width && l->cw)
		return;
	size_t n = l->ncols ? l->ncols : 1;
	free(l->natural);
	free(l->cw);
	free(l->cut);
	l->natural = xcalloc(n, sizeof *l->natural);
	l->cw = xcalloc(n, sizeof *l->cw);
	l->cut = xcalloc(n, sizeof *l->cut);
	for (size_t i = 0; i < l->ncols; i++)
		l->natural[i] = natural_width(l, i);
	drop_columns(l, width, l->cw);
	int spare = width - used_width(l, l->cw);
	spare = grow_weighted(l, spare > 0 ? spare : 0, l->cw);
	share_flexible(l, spare, l->cw);
	choose_cuts(l, l->cw);
	l->laid_width = width;
}

static void draw_header(const struct tui_list *l, WINDOW *w, int y, int x,
			int width, const int *cw)
{
	attr_t a = theme_attr(R_COLHEAD);
	tui_fill(w, y, x, width, a);
	int cx = x;
	for (size_t i = 0; i < l->ncols && cx < x + width; i++) {
		if (cw[i] < 0)
			continue;
		int cwid = cw[i] < x + width - cx ? cw[i] : x + width - cx;
		char title[128];
		snprintf(title, sizeof title, "%s%s", l->cols[i].title,
			 (int)i == l->sort_col
				 ? theme_sym(l->sort_desc ? SYM_SORT_DOWN : SYM_SORT_UP)
				 : "");
		tui_put_cell(w, y, cx, cwid, title, l->cols[i].right, a);
		cx += cw[i] + 1;
	}
}

/* While rows are marked, a column of two cells before the others holds
 * the mark, so that it shows without colour too. */
#define MARK_WIDTH 2

static void draw_row(const struct tui_list *l, WINDOW *w, int y, int x,
		     int width, const int *cw, const struct tui_row *r, bool selected)
{
	bool marked = l->marks.len && tui_list_is_marked(l, r->key);
	attr_t base = theme_attr(selected ? R_SELECTED : marked ? R_MATCH : R_NORMAL);
	tui_fill(w, y, x, width, base);
	int cx = x;
	if (l->marks.len) {
		tui_put(w, y, x, MARK_WIDTH, 0, marked ? "*" : "", base);
		cx += MARK_WIDTH;
	}
	for (size_t i = 0; i < l->ncols && cx < x + width; i++) {
		if (cw[i] < 0)
			continue;
		int cwid = cw[i] < x + width - cx ? cw[i] : x + width - cx;
		attr_t a = base;
		if (l->cols[i].state && !selected && !marked)
			a = theme_attr(theme_state_role(r->cells[i]));
		tui_put_cell_cut(w, y, cx, cwid, r->cells[i], l->cols[i].right, a,
				 (enum tui_cut)l->cut[i]);
		cx += cw[i] + 1;
	}
}

void tui_list_draw(struct tui_list *l, WINDOW *w, int y, int x, int h, int width)
{
	if (h < 1 || width < 1)
		return;
	int mw = l->marks.len && width > MARK_WIDTH ? MARK_WIDTH : 0;
	lay_out(l, width - mw);
	const int *cw = l->cw;
	tui_fill(w, y, x, mw, theme_attr(R_COLHEAD));
	draw_header(l, w, y, x + mw, width - mw, cw);
	for (int i = 1; i < h; i++)
		tui_fill(w, y + i, x, width, theme_attr(R_NORMAL));
	l->page = h - 1;
	if (l->rows.len == 0) {
		tui_notice(w, y + 1, x, h - 1, width, l->empty ? l->empty : "Nothing to show.");
	} else if (l->nshown == 0) {
		char *msg = xasprintf("No rows match the filter \"%s\".\n"
				      "Press / and clear the text, or Esc, to see them all.",
				      l->filter);
		tui_notice(w, y + 1, x, h - 1, width, msg);
		free(msg);
	} else if (l->page > 0) {
		size_t page = (size_t)l->page;
		if (l->sel < l->top)
			l->top = l->sel;
		if (l->sel >= l->top + page)
			l->top = l->sel - page + 1;
		if (l->top + page > l->nshown)
			l->top = l->nshown > page ? l->nshown - page : 0;
		for (size_t i = 0; i < page && l->top + i < l->nshown; i++) {
			size_t at = l->top + i;
			draw_row(l, w, y + 1 + (int)i, x, width, cw,
				 l->rows.items[l->shown[at]], at == l->sel);
		}
	}
}

void tui_list_where(const struct tui_list *l, struct buf *out)
{
	buf_printf(out, "%zu/%zu", l->nshown ? l->sel + 1 : 0, l->nshown);
	if (l->marks.len)
		buf_printf(out, ", %zu marked", l->marks.len);
	if (l->filter)
		buf_printf(out, " of %zu, filter \"%s\"", l->rows.len, l->filter);
	if (l->sort_col >= 0)
		buf_printf(out, ", by %s%s", l->cols[l->sort_col].title,
			   theme_sym(l->sort_desc ? SYM_SORT_DOWN : SYM_SORT_UP));
}

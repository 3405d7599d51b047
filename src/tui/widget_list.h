/*
 * widget_list.h - a table of rows: columns, sorting, filtering, selection.
 */
#ifndef SLUICE_TUI_WIDGET_LIST_H
#define SLUICE_TUI_WIDGET_LIST_H

#include "core/core.h"
#include "tui/draw.h"

/* ---- list / table widget (widget_list.c) -------------------------------- */
struct tui_column {
	const char *title;
	int width;          /* columns; 0: takes what the others leave */
	int min;            /* a flexible column's least width */
	bool right;         /* right-aligned (numbers) */
	bool numeric;       /* sorts as a number */
	bool state;         /* a state name: coloured by theme_state_role */
	/* Narrow screens: 0, always shown; else dropped when the columns do
	 * not fit, the highest number first. */
	int drop;
	/* Spare width goes to columns with a weight (names, keys), in
	 * proportion, up to what their cells need, before flexible columns
	 * take the rest. */
	int weight;
	bool path;          /* cut in the middle, keeping the file name */
};
/* The kinds of column the views use, so that a table of columns reads as
 * what they hold.  A time column shows "3m ago" and sorts by the time
 * (its rows give sort keys, see tui_ago_cell).  The optional tail sets
 * the narrow-screen and spare-width fields: .drop = 3, .weight = 1. */
#define TUI_COL_TEXT(t, w, ...)   { .title = t, .width = w, __VA_ARGS__ }
#define TUI_COL_FLEX(t, m, ...)   { .title = t, .min = m, __VA_ARGS__ }
#define TUI_COL_NUMBER(t, w, ...) { .title = t, .width = w, .right = true, .numeric = true, \
				    __VA_ARGS__ }
#define TUI_COL_STATE(t, w, ...)  { .title = t, .width = w, .state = true, __VA_ARGS__ }
#define TUI_COL_TIME(t, w, ...)   { .title = t, .width = w, .numeric = true, __VA_ARGS__ }

struct tui_row {
	char  *key;         /* identifies the object (name, run id) */
	char **cells;       /* one per column, owned */
	char **sort;        /* NULL, or per column what sorts (a time as a
			       number under "3m ago"); NULL cells sort by
			       the cell */
};

struct tui_list {
	const struct tui_column *cols;
	size_t ncols;
	struct vec rows;    /* struct tui_row * */
	size_t *shown;      /* indexes into rows: filtered, in sort order */
	size_t nshown;
	size_t sel, top;    /* into shown */
	int    sort_col;    /* -1: the order rows were added */
	bool   sort_desc;
	char  *filter;      /* NULL: none */
	char  *empty;       /* shown when there are no rows at all */
	char  *keep_key;    /* selection to restore after an update */
	struct vec marks;   /* keys of the marked rows (char *), k9s's Space:
			       they outlive updates while their rows do */
	int    page;        /* rows visible at the last draw */
	/* the layout for the last width drawn at, kept until it or the
	 * rows shown change */
	int   *natural;     /* per column: the widest of its title and cells */
	int   *cw;          /* per column: its width, or -1 when dropped */
	unsigned char *cut; /* per column: enum tui_cut */
	int    laid_width;  /* 0: lay out again */
};

void tui_list_init(struct tui_list *l, const struct tui_column *cols, size_t ncols);
void tui_list_free(struct tui_list *l);
/* Refill: begin (remembers the selected key), add rows, end (filters,
 * sorts, puts the selection back on the same key when it is still there). */
void tui_list_begin(struct tui_list *l);
void tui_list_add(struct tui_list *l, const char *key, const char *const *cells);
/* The same with sort keys (may hold NULLs) for cells that do not sort as
 * they read. */
void tui_list_add_sorted(struct tui_list *l, const char *key, const char *const *cells,
			 const char *const *sort);
void tui_list_end(struct tui_list *l);
void tui_list_set_empty(struct tui_list *l, const char *message);
void tui_list_set_filter(struct tui_list *l, const char *text);  /* NULL or "" clears */
void tui_list_sort(struct tui_list *l, int col, bool desc);
void tui_list_sort_step(struct tui_list *l, int delta);          /* < and > */
const struct tui_row *tui_list_selected(const struct tui_list *l);
bool tui_list_select_key(struct tui_list *l, const char *key);
/* Marks: toggle the selected row's and move down (false: no row);
 * the marked keys in the order shown; forget them all. */
bool tui_list_toggle_mark(struct tui_list *l);
bool tui_list_is_marked(const struct tui_list *l, const char *key);
void tui_list_marked(const struct tui_list *l, struct vec *keys);
void tui_list_clear_marks(struct tui_list *l);
/* Navigation keys; RD_BODY|RD_STATUS when something moved, TUI_UNHANDLED else. */
int  tui_list_key(struct tui_list *l, int key);
void tui_list_draw(struct tui_list *l, WINDOW *w, int y, int x, int h, int width);
/* "3/10", then the filter and sort, for the status line. */
void tui_list_where(const struct tui_list *l, struct buf *out);

#endif

/*
 * tui_int.h - what the console's files share: the frame, views, actions,
 * widgets, the theme and drawing helpers.  Nothing outside src/tui
 * includes this (the console's unit test does, to drive widgets directly).
 *
 * The shape, borrowed from tig and htop:
 *  - a view is one file, view_NAME.c, with one static operations table;
 *    the registry (views.c) lists them, and nothing else names a view;
 *  - keys map to actions in tables (the frame's own in keys.c, each
 *    view's in its file); an action returns what must be redrawn and says
 *    whether it mutates, so read-only mode is checked in one place;
 *  - widgets (list, pager, dialog, form, line editor, sparkline) know
 *    nothing of the frame: they draw into a window and answer keys.
 */
#ifndef SLUICE_TUI_INT_H
#define SLUICE_TUI_INT_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

#include <cjson/cJSON.h>

#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"

/* ---- keys ------------------------------------------------------------------
 * One int per key press: a character (Unicode code point, control
 * characters included), a curses key code moved above the Unicode range,
 * or Alt+character. */
#define TK_KEYBASE  0x200000
#define TK(k)       (TK_KEYBASE + (k))        /* TK(KEY_UP) */
#define TK_META(c)  (0x400000 | (c))          /* Esc then c, quickly */
#define TK_ESC      27
#define TK_CTRL(c)  ((c) & 0x1f)
#define TK_IS_META(k) (((k) & 0x400000) != 0)

bool tui_key_is_enter(int key);
bool tui_key_is_backspace(int key);
/* "Up", "^L", "Enter", "x"; out needs 16 bytes. */
void tui_key_name(int key, char out[16]);

/* ---- redraw masks: what an action changed ------------------------------- */
enum {
	RD_NONE   = 0,
	RD_HEADER = 1 << 0,
	RD_TABS   = 1 << 1,
	RD_BODY   = 1 << 2,
	RD_STATUS = 1 << 3,
	RD_KEYS   = 1 << 4,
	RD_ALL    = (1 << 5) - 1,
	RD_CLEAR  = 1 << 5,     /* forget what the terminal shows; repaint all */
};
#define TUI_UNHANDLED (-1)     /* a key handler did not want the key */

/* ---- theme -------------------------------------------------------------------
 * Roles, not colours: a role has a colour style and a monochrome style
 * (bold, reverse, underline) so that nothing is lost without colour. */
enum tui_role {
	R_NORMAL, R_HEADER, R_HEADER_PROD, R_MODE_OPERATOR, R_MODE_READONLY,
	R_MODE_PROD, R_TAB, R_TAB_KEY, R_TAB_ACTIVE, R_COLHEAD, R_SELECTED,
	R_STATUS, R_ERROR, R_INFO, R_KEYBAR, R_KEYBAR_KEY, R_BORDER, R_TITLE,
	R_DIM, R_MATCH, R_BUTTON, R_BUTTON_FOCUS, R_FIELD, R_FIELD_FOCUS,
	R_STATE_OK, R_STATE_RUNNING, R_STATE_WAITING, R_STATE_WARN,
	R_STATE_FAILED, R_STATE_PAUSED,
	R_COUNT
};

enum tui_sym {
	SYM_HLINE, SYM_VLINE, SYM_ULCORNER, SYM_URCORNER, SYM_LLCORNER,
	SYM_LRCORNER, SYM_SEP, SYM_ELLIPSIS, SYM_SORT_UP, SYM_SORT_DOWN,
	SYM_CRUMB, SYM_COUNT
};

/* Decide colour (terminal can, no --no-color, no NO_COLOR) and symbols
 * (UTF-8 locale or ASCII).  Call after newterm(). */
void theme_init(bool want_color, bool utf8);
bool theme_color(void);
bool theme_utf8(void);
attr_t theme_attr(enum tui_role r);   /* includes the colour pair */
const char *theme_sym(enum tui_sym s);
/* The role that colours a state name: FAILED, RUNNING, PAUSED ... */
enum tui_role theme_state_role(const char *state);

/* ---- drawing helpers (draw.c) --------------------------------------------
 * Text is UTF-8; widths are display columns.  Undecodable bytes and
 * control characters are drawn as '?', tabs as spaces, so that data can
 * never move the cursor or corrupt the screen. */
int  tui_text_width(const char *s);
/* A copy of s cut at a character boundary to at most `width` columns. */
char *tui_text_cut(const char *s, int width);
/* Draw s at (y, x), skipping its first `skip` columns, using at most
 * `width` columns.  Returns the columns drawn. */
int  tui_put(WINDOW *w, int y, int x, int width, int skip, const char *s, attr_t a);
/* Draw s with one role per byte of s (roles[i] an enum tui_role), the
 * same clipping as tui_put; `over` (when not 0) replaces every role's
 * attribute (a highlighted line). */
int  tui_put_styled(WINDOW *w, int y, int x, int width, int skip, const char *s,
		    const unsigned char *roles, attr_t over);
/* Draw s in a cell of `width` columns, aligned, cut with an ellipsis and
 * padded with spaces in the same attribute. */
void tui_put_cell(WINDOW *w, int y, int x, int width, const char *s,
		  bool right, attr_t a);
void tui_fill(WINDOW *w, int y, int x, int width, attr_t a);
void tui_hline(WINDOW *w, int y, int x, int width, attr_t a);
void tui_box(WINDOW *w, int y, int x, int h, int width, attr_t a);
/* Break `text` into lines of at most `width` columns at spaces; the
 * vector owns the strings. */
void tui_wrap(const char *text, int width, struct vec *out);
/* A framed, wrapped message centred in the area (empty states). */
void tui_notice(WINDOW *w, int y, int x, int h, int width, const char *text);
/* Case-insensitive (ASCII) substring search; NULL when absent. */
const char *tui_strcasestr(const char *hay, const char *needle);

/* ---- line editor (widget_edit.c) ---------------------------------------- */
struct tui_edit {
	struct buf text;
	size_t cursor;      /* byte offset */
};
void tui_edit_init(struct tui_edit *ed, const char *text);
void tui_edit_free(struct tui_edit *ed);
const char *tui_edit_text(const struct tui_edit *ed);
/* Returns RD_STATUS-ish non-zero when the text or cursor changed,
 * 0 when the key was an editing key with no effect, TUI_UNHANDLED
 * for keys the editor does not take (Enter, Esc, Tab, Up, Down ...). */
int  tui_edit_key(struct tui_edit *ed, int key);
/* Draw in `width` columns, scrolled so the cursor shows; returns the
 * cursor's column relative to x. */
int  tui_edit_draw(const struct tui_edit *ed, WINDOW *w, int y, int x,
		   int width, attr_t a);

/* ---- list / table widget (widget_list.c) -------------------------------- */
struct tui_column {
	const char *title;
	int width;          /* columns; 0: takes what the others leave */
	int min;            /* a flexible column's least width */
	bool right;         /* right-aligned (numbers) */
	bool numeric;       /* sorts as a number */
	bool state;         /* a state name: coloured by theme_state_role */
};
/* The kinds of column the views use, so that a table of columns reads as
 * what they hold.  A time column shows "3m ago" and sorts by the time
 * (its rows give sort keys, see tui_ago_cell). */
#define TUI_COL_TEXT(title, width)   { title, width, 0, false, false, false }
#define TUI_COL_FLEX(title, min)     { title, 0, min, false, false, false }
#define TUI_COL_NUMBER(title, width) { title, width, 0, true, true, false }
#define TUI_COL_STATE(title, width)  { title, width, 0, false, false, true }
#define TUI_COL_TIME(title, width)   { title, width, 0, false, true, false }

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
	int    page;        /* rows visible at the last draw */
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
/* Navigation keys; RD_BODY|RD_STATUS when something moved, TUI_UNHANDLED else. */
int  tui_list_key(struct tui_list *l, int key);
void tui_list_draw(struct tui_list *l, WINDOW *w, int y, int x, int h, int width);
/* "3/10", then the filter and sort, for the status line. */
void tui_list_where(const struct tui_list *l, struct buf *out);

/* ---- pager (widget_pager.c) -------------------------------------------------
 * Long text scrolled both ways, like pspg: header lines stay on top while
 * the rest scrolls; Left/Right move sideways. */
struct tui_pager {
	struct vec lines;   /* char *, owned */
	struct vec roles;   /* unsigned char * per line (a role per byte), or
			       NULL for a plain line; owned */
	size_t header;      /* leading lines that never scroll vertically */
	size_t top;         /* first body line shown */
	int    left;        /* columns scrolled sideways */
	int    widest;
	int    page_rows, page_cols;
	char  *search;
	size_t match;       /* line of the current match, or SIZE_MAX */
};

void tui_pager_init(struct tui_pager *p);
void tui_pager_free(struct tui_pager *p);
void tui_pager_set_text(struct tui_pager *p, const char *text);
void tui_pager_add_line(struct tui_pager *p, const char *line);
/* A line with a role per byte (copied; roles may be NULL). */
void tui_pager_add_styled(struct tui_pager *p, const char *line,
			  const unsigned char *roles);
/* Forget the lines but keep the scroll position and search: a page that
 * is written again on refresh stays where the operator was. */
void tui_pager_clear(struct tui_pager *p);
void tui_pager_set_header(struct tui_pager *p, size_t lines);
/* Find `text` (case-insensitive) from the top; true if found.  n/N repeat. */
bool tui_pager_search(struct tui_pager *p, const char *text);
int  tui_pager_key(struct tui_pager *p, int key);
void tui_pager_draw(struct tui_pager *p, WINDOW *w, int y, int x, int h, int width);
void tui_pager_where(const struct tui_pager *p, struct buf *out);

/* ---- styled documents (doc.c) ------------------------------------------------
 * Pages with coloured states (run detail, a backfill, the overview) are
 * written line by line into a pager with a role per byte.  Data passes
 * through unchanged except that control characters become '?', so text
 * from databases cannot break the layout; '\n' in a put starts a new
 * line. */
struct tui_doc {
	struct tui_pager *pager;
	struct buf text, roles;
};
void tui_doc_begin(struct tui_doc *d, struct tui_pager *p);   /* clears p */
void tui_doc_put(struct tui_doc *d, enum tui_role r, const char *s);
void tui_doc_printf(struct tui_doc *d, enum tui_role r, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
/* s in a cell of `width` columns (cut with an ellipsis, padded). */
void tui_doc_cell(struct tui_doc *d, enum tui_role r, int width, bool right,
		  const char *s);
/* A state name in its role, padded to `width` (0: no padding). */
void tui_doc_state(struct tui_doc *d, const char *state, int width);
void tui_doc_nl(struct tui_doc *d);
/* A section title on its own line, after a blank line unless first. */
void tui_doc_heading(struct tui_doc *d, const char *title);
/* "label    value" with the label in a column of `lw`. */
void tui_doc_field(struct tui_doc *d, int lw, const char *label, const char *value);
void tui_doc_end(struct tui_doc *d);    /* flushes the last line */
struct tui_data;
/* Pages about one record of the control store.  When none is open: say
 * so, end the document and return true (the page has nothing more to do). */
bool tui_doc_no_store(struct tui_doc *d, const struct tui_data *data);
/* When the record could not be read: "Run 12: not found" in the error
 * role, and end the document. */
void tui_doc_error(struct tui_doc *d, const struct err *e, const char *fmt, ...)
	PRINTF_LIKE(3, 4);

/* ---- confirmation dialog (widget_dialog.c) --------------------------------
 * Two buttons, Cancel and the action; Cancel has the focus, so Enter
 * straight away cancels. */
enum tui_dialog_result { DIALOG_OPEN, DIALOG_CANCEL, DIALOG_CONFIRM };
struct tui_dialog {
	char *title, *message, *confirm_label;
	bool  focus_confirm;
};
struct tui_dialog *tui_dialog_new(const char *title, const char *message,
				  const char *confirm_label);
void tui_dialog_free(struct tui_dialog *d);
/* DIALOG_OPEN (and *redraw set) while the dialog stays open. */
enum tui_dialog_result tui_dialog_key(struct tui_dialog *d, int key, int *redraw);
void tui_dialog_draw(const struct tui_dialog *d, WINDOW *w, int h, int width);

/* ---- form (widget_form.c): named fields, each a line editor ------------- */
typedef bool (*tui_field_check)(const char *value, const void *arg,
				char *msg, size_t n);
struct tui_form_field {
	char *name, *label, *hint;
	bool required;
	tui_field_check check;
	const void *check_arg;    /* passed to check */
	struct tui_edit edit;
};
enum tui_form_result { FORM_OPEN, FORM_CANCEL, FORM_SUBMIT };
struct tui_form {
	char *title, *submit_label;
	struct vec fields;       /* struct tui_form_field * */
	size_t focus;            /* == nfields: the submit button */
	char  *error;            /* why the last submit was refused */
};
struct tui_form *tui_form_new(const char *title, const char *submit_label);
void tui_form_add(struct tui_form *f, const char *name, const char *label,
		  const char *value, const char *hint, bool required,
		  tui_field_check check);
/* The same with an argument for the check (a declared parameter). */
void tui_form_add_checked(struct tui_form *f, const char *name, const char *label,
			  const char *value, const char *hint, bool required,
			  tui_field_check check, const void *check_arg);
void tui_form_free(struct tui_form *f);
const char *tui_form_value(const struct tui_form *f, const char *name);
enum tui_form_result tui_form_key(struct tui_form *f, int key, int *redraw);
/* Draws centred in the window; returns the cursor position in *cy, *cx
 * (-1 when the submit button has the focus). */
void tui_form_draw(const struct tui_form *f, WINDOW *w, int h, int width,
		   int *cy, int *cx);
/* Checks for common parameter types. */
bool tui_check_integer(const char *value, const void *arg, char *msg, size_t n);
bool tui_check_date(const char *value, const void *arg, char *msg, size_t n);
/* arg: a struct project_param; checks the value against its type. */
bool tui_check_param(const char *value, const void *arg, char *msg, size_t n);

/* ---- sparkline (widget_sparkline.c) ------------------------------------------
 * The last `width` values as a row of bars scaled to the largest; zero is
 * the lowest bar, a NaN a gap. */
void tui_sparkline(const double *values, size_t n, int width, bool utf8,
		   struct buf *out);
void tui_sparkline_draw(WINDOW *w, int y, int x, int width,
			const double *values, size_t n, attr_t a);

/* ---- views -------------------------------------------------------------- */
struct tui;
struct tui_view;

/* What a view reads on refresh.  The frame does not care where rows come
 * from; views take what they need from here. */
struct tui_data {
	const struct tui_config *cfg;
	const struct project *project;   /* NULL: none loaded */
	struct store *store;             /* the console's read-only handle; NULL: none */
	usec_t now;
};

struct tui_action {
	int keys[3];          /* 0-terminated unless all three are used */
	const char *label;    /* how help and the key bar name the keys: "c" */
	const char *name;     /* "cancel": used in hints and refusals */
	const char *help;     /* one line for the help view */
	bool mutates;         /* refused in read-only mode */
	/* View actions on the selection: the command line ("%s" is the
	 * selected row's key) and, for destructive ones, the question asked
	 * first (default answer Cancel). */
	const char *command;
	const char *confirm;
	/* Frame actions run code instead of a command. */
	int (*run)(struct tui *t, const struct tui_action *a, int key);
};

struct tui_view_ops {
	const char *name;      /* "pipes": `:pipes`, the tab, completion */
	const char *title;     /* "Pipes" */
	int key;               /* '2' switches to it; 0: none */
	bool in_tabs;          /* shown in the bar of views */
	const char *summary;   /* one line for the help view */
	unsigned areas;        /* STORE_AREA_BIT()s the view shows: it is
				  refreshed when one of them changes */
	const char *slash;     /* what / does here for the key hints
				  ("search"); NULL: "filter" */
	const struct tui_action *actions;   /* keys of this view, or NULL */
	size_t nactions;

	void (*open)(struct tui_view *v);                  /* sets v->state */
	void (*refresh)(struct tui_view *v, const struct tui_data *d);
	void (*draw)(struct tui_view *v, WINDOW *w, int h, int width);
	int  (*handle_key)(struct tui_view *v, int key);  /* RD mask or TUI_UNHANDLED */
	bool (*select)(struct tui_view *v, const char *key);
	void (*filter)(struct tui_view *v, const char *text);
	/* Open the selection (a detail page, a sub-view).  RD mask, or
	 * TUI_UNHANDLED when nothing is selected. */
	int  (*detail)(struct tui_view *v);
	/* The row key the view's actions work on, or NULL. */
	const char *(*selected)(struct tui_view *v);
	void (*where)(struct tui_view *v, struct buf *out);
	void (*close)(struct tui_view *v);
};

struct tui_view {
	const struct tui_view_ops *ops;
	struct tui *tui;
	void  *state;
	char  *title;          /* pages: their own title; else NULL */
	char  *filter;         /* the filter (or page search) in force, or NULL */
	bool   owned;          /* pages: freed when closed */
	bool   stale;          /* data changed since the last refresh */
	usec_t clock;          /* set by refresh: refresh again this often
				  while shown (relative times); 0: never */
	usec_t next_clock;
};

/* The registry: every switchable view, in tab order.  Help is last. */
extern const struct tui_view_ops *const tui_views[];
extern const size_t tui_nviews;

/* Generic list views (view_list.c): a view whose body is one tui_list.
 * A view file gives columns and an empty-state text, and uses these as
 * its operations. */
struct tui_list_spec {
	const struct tui_column *cols;
	size_t ncols;
	int sort_col;               /* initial sort, -1: as given */
	bool sort_desc;
	const char *what;           /* "pipes": used in messages */
	const char *about;          /* what they are, one sentence, for empty states */
};
/* The state of a list view (v->state).  Views over big tables (runs)
 * hold a window of `window` rows and know how many there are in all. */
struct tui_list_view {
	struct tui_list list;
	const struct tui_list_spec *spec;
	char *arg;          /* the object a pushed list is about, or NULL */
	int window;         /* rows to read; 0: the view reads them all */
	int64_t total;      /* rows in the store; -1: not counted */
	unsigned mask;      /* a view's own store-side filter (run states) */
	struct tui_pager *head;  /* lines above the list about its object (a
				    flow's watermarks), or NULL; owned */
};
#define TUI_WINDOW_STEP 500
#define TUI_WINDOW_MAX  5000
struct tui_list *tui_list_view_list(struct tui_view *v);
void tui_list_view_open(struct tui_view *v, const struct tui_list_spec *spec);
/* Push a list over the current view about one object (a pipe's loads, a
 * task's history): `arg` is that object's name, the title `lead` and the
 * name ("Loads of" and "p1": "Loads of p1"). */
int  tui_list_view_push(struct tui *t, const struct tui_view_ops *ops,
			const char *lead, const char *arg);
const char *tui_list_view_arg(struct tui_view *v);
/* The head above the list, made empty on first use; drawn in at most half
 * the body when it has lines. */
struct tui_pager *tui_list_view_head(struct tui_view *v);
void tui_list_view_draw(struct tui_view *v, WINDOW *w, int h, int width);
int  tui_list_view_key(struct tui_view *v, int key);
bool tui_list_view_select(struct tui_view *v, const char *key);
void tui_list_view_filter(struct tui_view *v, const char *text);
int  tui_list_view_detail(struct tui_view *v);
/* Enter on rows that name objects another view shows (a pipe's loads):
 * open(t, selected key), or TUI_UNHANDLED when nothing is selected. */
int  tui_list_view_open_selected(struct tui_view *v,
				 int (*open)(struct tui *t, const char *key));
const char *tui_list_view_selected(struct tui_view *v);
void tui_list_view_where(struct tui_view *v, struct buf *out);
void tui_list_view_close(struct tui_view *v);
/* The operations every list view takes from the list widget as they are;
 * a view's own ops name the rest (open, refresh, detail, selected, close). */
#define TUI_LIST_VIEW_OPS						\
	.draw = tui_list_view_draw, .handle_key = tui_list_view_key,	\
	.select = tui_list_view_select, .filter = tui_list_view_filter,	\
	.where = tui_list_view_where
/* The empty state when no control store is open: true when that is the
 * case (the view has nothing more to do). */
bool tui_list_view_no_store(struct tui_view *v, const struct tui_data *d);
/* The same for views of what the project declares: true when no project
 * is loaded. */
bool tui_list_view_no_project(struct tui_view *v, const struct tui_data *d);
/* The empty state when reading failed. */
void tui_list_view_error(struct tui_view *v, const struct err *e);

/* Pages: a pager pushed over the current view (details, results).  The
 * help view is a page too and shares these operations. */
extern const struct tui_view_ops tui_page_ops;
struct tui_pager *tui_page_pager(struct tui_view *v);
void tui_page_open(struct tui_view *v);
void tui_page_draw(struct tui_view *v, WINDOW *w, int h, int width);
int  tui_page_key(struct tui_view *v, int key);
void tui_page_filter(struct tui_view *v, const char *text);
void tui_page_where(struct tui_view *v, struct buf *out);
void tui_page_close(struct tui_view *v);

/* The actions on a run, shared by the runs list and a run's page
 * (view_runs.c): c cancel, R retry, L logs. */
#define TUI_NRUN_ACTIONS 3
extern const struct tui_action tui_run_actions[TUI_NRUN_ACTIONS];
/* The actions on a backfill (view_backfill.c): n next, a approve, d
 * discard, shared by the backfills list and a backfill's pages; then C,
 * the comparison, which only the backfill's own page has. */
#define TUI_NBACKFILL_STEP_ACTIONS 3
extern const struct tui_action tui_backfill_actions[TUI_NBACKFILL_STEP_ACTIONS + 1];

/* Views pushed over others (each in its view file). */
int  tui_open_run(struct tui *t, int64_t run_id);          /* view_run.c */
int  tui_open_flow_runs(struct tui *t, const char *flow);  /* view_runs.c */
int  tui_open_run_form(struct tui *t, const char *flow);   /* view_flows.c */
int  tui_open_loads(struct tui *t, const char *pipe);      /* view_loads.c */
int  tui_open_task_history(struct tui *t, const char *task); /* view_tasks.c */
int  tui_open_table(struct tui *t, const char *table);     /* view_table.c */
int  tui_open_backfill(struct tui *t, int64_t id);         /* view_backfill.c */
/* "2 tables: 12 changed, 3 new, 0 gone" from a comparison's JSON; "" when
 * there is none. */
void tui_backfill_summary(const char *compare_json, char *out, size_t n);

/* ---- modal layer: a dialog or form over the body ------------------------ */
struct tui_modal_ops {
	/* Returns an RD mask; sets *done when the modal must close. */
	int  (*key)(void *m, struct tui *t, int key, bool *done);
	void (*draw)(void *m, WINDOW *w, int h, int width, int *cy, int *cx);
	void (*free)(void *m);
	const char *const *hints; /* key bar: {"Enter choose", "Esc cancel", NULL} */
};

/* ---- the frame ---------------------------------------------------------- */
enum tui_input { INPUT_NORMAL, INPUT_PROMPT, INPUT_FILTER };

struct tui {
	const struct tui_config *cfg;
	char user_host[128];
	bool production;
	int rows, cols;
	bool too_small;
	WINDOW *header, *tabs, *body, *keybar, *status, *input;

	struct tui_view *views;     /* one per registry entry */
	size_t current;             /* the base view shown */
	struct vec pages;           /* struct tui_view * over the base; top last */

	const struct tui_modal_ops *modal_ops;
	void *modal;

	enum tui_input input_mode;
	struct tui_edit filter;     /* INPUT_FILTER */
	char *filter_before;        /* restored by Esc */

	char *message;
	bool  message_error;
	unsigned dirty;
	bool  quit;
	usec_t last_frame;
	char *history_path;
	char *history_error;
	char *matches;              /* completions listed in the key bar */
	int status_cx;              /* cursor column in the status line, or -1 */
	int modal_cy, modal_cx;     /* cursor in a form, or modal_cy -1 */

	/* the control store, read-only (data.c) */
	struct store *store;
	char *store_error;          /* why it did not open */
	struct store_watch watch;
	usec_t next_poll;           /* monotonic; 0: no store to poll */
	usec_t last_poll;
	FILE *trace;                /* SLUICE_CONSOLE_TRACE: key and frame times */
};

/* Open every registry view (refreshing the first), and close them all
 * with any pages and modal.  No curses calls: tests drive a frame
 * without a terminal. */
void tui_open_views(struct tui *t);
void tui_close_views(struct tui *t);
/* The view on top: the last page, else the current base view. */
struct tui_view *tui_top(struct tui *t);
int  tui_message(struct tui *t, bool error, const char *fmt, ...) PRINTF_LIKE(3, 4);
int  tui_switch(struct tui *t, size_t index);
/* A view to push over the others: owned (closing frees it), opened, and
 * stale when it has a refresh, so that pushing it reads it. */
struct tui_view *tui_view_new(struct tui *t, const struct tui_view_ops *ops,
			      const char *title_fmt, ...) PRINTF_LIKE(3, 4);
int  tui_push_view(struct tui *t, struct tui_view *v);
int  tui_push_page(struct tui *t, const char *title, const char *text);
int  tui_pop(struct tui *t);
int  tui_open_help(struct tui *t);
int  tui_open_modal(struct tui *t, const struct tui_modal_ops *ops, void *m);
/* Show a form over the body; on submit call `submit` (which typically
 * builds a command line from the values and calls tui_command) and
 * close.  The frame owns the form from here on. */
typedef int (*tui_form_submit_fn)(struct tui *t, const struct tui_form *f, void *arg);
int  tui_open_form(struct tui *t, struct tui_form *form, tui_form_submit_fn submit,
		   void *arg);
/* Ask before running `command`; default Cancel. */
int  tui_confirm_command(struct tui *t, const char *question, const char *label,
			 const char *command);
/* Run a command line: the console's own (help, quit, view names), else
 * the command layer's.  Returns an RD mask. */
int  tui_command(struct tui *t, const char *line);
/* Index of the registry view called `name`, or -1. */
int  tui_view_index(const char *name);
void tui_refresh_view(struct tui *t, struct tui_view *v);
void tui_mark_stale(struct tui *t);

/* data.c: the control store and commands that answer in JSON. */
#define TUI_POLL_USEC USEC_PER_SEC        /* ask the store at most this often */
void tui_store_open(struct tui *t);
void tui_store_close(struct tui *t);
/* What the views say when there is no store: why, with the real error
 * when there is one.  Caller frees. */
char *tui_no_store_reason(const struct tui *t);
/* Ask the store what changed (if due, or now when `force`); refreshes the
 * views that show a changed area.  Returns the milliseconds until the
 * next poll is due, or -1 when there is no store. */
int  tui_store_poll(struct tui *t, bool force);
/* Mark views showing any of `areas` stale; refresh the top one if so. */
void tui_mark_areas(struct tui *t, unsigned areas);
struct tui_data tui_data_now(struct tui *t);
/* Run a command for its output, with no side effect on the screen. */
int  tui_fetch(struct tui *t, const char *line, struct buf *out, struct err *e);
/* The same, parsing the output as JSON (caller frees with cJSON_Delete). */
cJSON *tui_fetch_json(struct tui *t, const char *line, struct err *e);
/* Quote a word for a command line (single quotes when needed). */
void tui_quote_word(struct buf *b, const char *word);
/* "3m ago" / "in 5m"; "-" for 0. */
void tui_fmt_ago(usec_t now, usec_t t, char *out, size_t n);
/* "2026-11-21 13:05:09 UTC (3m ago)"; "-" for 0. */
void tui_fmt_when(usec_t now, usec_t t, char *out, size_t n);
/* A time as a list cell: "3m ago" (or "in 5m") to show and the time
 * itself as the sort key, for TUI_COL_TIME columns.  A view first fills
 * the cell with what a row without a time shows: "-", and "0" to sort it
 * as the oldest or "" to sort it last either way. */
struct tui_ago_cell {
	char text[32];
	char sort[32];
};
void tui_ago_cell(struct tui_ago_cell *c, usec_t now, usec_t at);
/* 1234567 -> "1,234,567". */
void tui_fmt_count(int64_t v, char *out, size_t n);
/* Duration between two times, "-" when either is 0 (end 0 and start set:
 * up to now). */
void tui_fmt_took(usec_t now, usec_t start, usec_t end, char *out, size_t n);
/* The first line of s, at most n-1 bytes. */
void tui_first_line(const char *s, char *out, size_t n);
/* What store_object_list says of the object KIND:NAME ("pipe:p1"), or
 * NULL when it holds nothing for it. */
const struct store_object_state *tui_object_state(const struct vec *objs,
						  const char *kind, const char *name);
/* The names of the project's tasks that `pick` chooses, joined by commas;
 * "-" when none. */
void tui_task_names(const struct project *p,
		    bool (*pick)(const struct project_task *task, const void *arg),
		    const void *arg, char *out, size_t n);
/* Trace a key or a frame to SLUICE_CONSOLE_TRACE (no-op without it). */
void tui_trace(struct tui *t, const char *what, int key);

/* keys.c: the frame's action table and key dispatch. */
extern const struct tui_action tui_global_actions[];
extern const size_t tui_nglobal_actions;
extern const struct tui_action tui_nav_actions[];
extern const size_t tui_nnav_actions;
int  tui_dispatch(struct tui *t, int key);
bool tui_action_has_key(const struct tui_action *a, int key);

/* frame.c: layout and the frame's own windows. */
bool tui_layout(struct tui *t);         /* (re)create windows; false if too small */
void tui_free_windows(struct tui *t);
void tui_render(struct tui *t);

/* prompt.c: the `:` prompt through readline's callback interface. */
int  tui_prompt_init(struct tui *t, struct err *e);
void tui_prompt_done(struct tui *t);
int  tui_prompt_open(struct tui *t);
int  tui_prompt_cancel(struct tui *t);
int  tui_prompt_key(struct tui *t, int key);
/* Draw the prompt line; returns the cursor column. */
int  tui_prompt_draw(struct tui *t, WINDOW *w, int width);
/* The console's own completion words (help, quit, view names). */
void tui_builtin_words(struct vec *out);

#define TUI_MIN_COLS 80
#define TUI_MIN_ROWS 24
#define TUI_FRAME_USEC (100 * USEC_PER_MSEC)   /* at most 10 frames a second */

#endif

/*
 * views.h - what a view is and what views share: the operations table
 * every view file fills, the registry (views.c), generic list views
 * (view_list.c) and pages (view_page.c), the actions and pushed views
 * that more than one view uses, styled documents (doc.c) and the
 * formatting helpers of data.c.  The frame itself (struct tui) is in
 * tui_int.h; a view that calls into it includes that as well.
 *
 * The shape, borrowed from tig: a view is one file, view_NAME.c, with one
 * static operations table; the registry lists them, and nothing else
 * names a view.
 */
#ifndef SLUICE_TUI_VIEWS_H
#define SLUICE_TUI_VIEWS_H

#include "core/core.h"
#include "tui/draw.h"
#include "tui/widget_list.h"
#include "tui/widget_pager.h"

struct project;
struct project_task;
struct store;
struct store_object_state;
struct tui_config;

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
	/* Why the action cannot apply to the row `key` (a finished run has
	 * nothing to cancel), said up front instead of asking; NULL: it can.
	 * Caller frees. */
	char *(*refuse)(struct tui *t, const char *key);
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
	/* The view's own keys that are not actions ("n/N next"), NULL-ended
	 * "KEY name" pairs hinted before the actions, which are hinted in
	 * their order while they fit; with them the view names its / here,
	 * and only Enter and : follow.  NULL: the actions, then Enter, / and :. */
	const char *const *hints;

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
	/* Rows marked with Space: their keys, in the order shown, which the
	 * view's actions then work on together; unmark forgets them.  NULL:
	 * the view has no marks. */
	void (*marked)(struct tui_view *v, struct vec *keys);
	void (*unmark)(struct tui_view *v);
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
	bool marks;         /* Space marks rows for actions on them all */
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
/* The same page titled "LEAD KEY" ("Stream orders_stream"): for views
 * whose title is plural. */
int  tui_list_view_detail_as(struct tui_view *v, const char *lead);
/* Enter on rows that name objects another view shows (a pipe's loads):
 * open(t, selected key), or TUI_UNHANDLED when nothing is selected. */
int  tui_list_view_open_selected(struct tui_view *v,
				 int (*open)(struct tui *t, const char *key));
const char *tui_list_view_selected(struct tui_view *v);
void tui_list_view_marked(struct tui_view *v, struct vec *keys);
void tui_list_view_unmark(struct tui_view *v);
/* Space on a view whose spec has marks: one entry of its actions, so that
 * the key bar and help name it. */
#define TUI_MARK_ACTION							\
	{ .keys = { ' ' }, .label = "Space", .name = "mark",		\
	  .help = "mark the row; c, R, s, u ... then act on every marked row", \
	  .run = tui_list_view_act_mark }
int  tui_list_view_act_mark(struct tui *t, const struct tui_action *a, int key);
void tui_list_view_where(struct tui_view *v, struct buf *out);
void tui_list_view_close(struct tui_view *v);
/* The operations every list view takes from the list widget as they are;
 * a view's own ops name the rest (open, refresh, detail, selected, close). */
#define TUI_LIST_VIEW_OPS						\
	.draw = tui_list_view_draw, .handle_key = tui_list_view_key,	\
	.select = tui_list_view_select, .filter = tui_list_view_filter,	\
	.where = tui_list_view_where, .marked = tui_list_view_marked,	\
	.unmark = tui_list_view_unmark
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
 * (view_runs.c): c cancel, R retry, L logs; then Space, which only the
 * list has.  A run's page has d, its steps' definitions, instead. */
#define TUI_NRUN_ACTIONS 3
extern const struct tui_action tui_run_actions[TUI_NRUN_ACTIONS + 1];
extern const struct tui_action tui_run_page_actions[TUI_NRUN_ACTIONS + 1];
/* The actions on a backfill (view_backfill.c): n next, a approve, d
 * discard, shared by the backfills list and a backfill's pages; then C,
 * the comparison, and [ ] and o, the partition grid's cursor and its run,
 * which only the backfill's own page has. */
#define TUI_NBACKFILL_STEP_ACTIONS 3
extern const struct tui_action tui_backfill_actions[TUI_NBACKFILL_STEP_ACTIONS + 3];

/* Views pushed over others (each in its view file). */
int  tui_open_run(struct tui *t, int64_t run_id);          /* view_run.c */
int  tui_open_flow_runs(struct tui *t, const char *flow);  /* view_runs.c */
int  tui_open_run_form(struct tui *t, const char *flow);   /* view_flows.c */
int  tui_open_flow_graph(struct tui *t, const char *flow); /* view_graph.c */
/* The selected run's step definitions (view_def.c): an action's run. */
int  tui_act_definition(struct tui *t, const struct tui_action *a, int key);
int  tui_open_loads(struct tui *t, const char *pipe);      /* view_loads.c */
int  tui_open_task_history(struct tui *t, const char *task); /* view_tasks.c */
int  tui_open_table(struct tui *t, const char *table);     /* view_table.c */
int  tui_open_backfill(struct tui *t, int64_t id);         /* view_backfill.c */
/* "2 tables: 12 changed, 3 new, 0 gone" from a comparison's JSON; "" when
 * there is none. */
void tui_backfill_summary(const char *compare_json, char *out, size_t n);

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

/* ---- formatting views share (data.c) ---------------------------------- */
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

#endif

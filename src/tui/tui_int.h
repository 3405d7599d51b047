/*
 * tui_int.h - the console's core, shared by its files: the frame (struct
 * tui), the modal layer, key dispatch, layout, the prompt and the store
 * the views read.  Nothing outside src/tui includes this (the console's
 * unit test does, to drive frames and widgets directly).
 *
 * The headers, one per part, borrowed from tig and htop:
 *  - keys.h, theme.h, draw.h: key codes and redraw masks, roles and
 *    symbols, drawing text by display width;
 *  - widget_NAME.h, one per widget (list, pager, dialog, form, line
 *    editor, sparkline): widgets know nothing of the frame, they draw
 *    into a window and answer keys;
 *  - views.h: the operations table of a view (one file each,
 *    view_NAME.c) and what views share;
 *  - this file: the frame.  Keys map to actions in tables (the frame's
 *    own in keys.c, each view's in its file); an action returns what
 *    must be redrawn and says whether it mutates, so read-only mode is
 *    checked in one place.
 */
#ifndef SLUICE_TUI_INT_H
#define SLUICE_TUI_INT_H

#include "store/store.h"
#include "tui/draw.h"
#include "tui/keys.h"
#include "tui/tui.h"
#include "tui/views.h"
#include "tui/widget_edit.h"

struct cJSON;
struct tui_script;
struct tui_form;

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
	char *engines[3];           /* the header's engines, long to short forms
				       ("no engine"); NULL: none (read) */
	bool  engines_none;
	usec_t next_engines;        /* monotonic: read them again (heartbeats age) */
	struct store_watch watch;
	usec_t next_poll;           /* monotonic; 0: no store to poll */
	usec_t last_poll;
	/* PostgreSQL: the store's events (LISTEN); NULL on SQLite or while
	 * its connection is down, when the store is asked every second. */
	struct store_listener *listener;
	bool listen;                /* the store is one that sends events */
	FILE *trace;                /* SLUICE_CONSOLE_TRACE: key and frame times */
	struct tui_script *script;  /* SLUICE_CONSOLE_SCRIPT, or NULL (script.c) */
};

/* Open every registry view (refreshing the first), and close them all
 * with any pages and modal.  No curses calls: tests drive a frame
 * without a terminal. */
void tui_open_views(struct tui *t);
void tui_close_views(struct tui *t);
/* Show `cfg` from now on (`:env`, `:project`): views and store reopened. */
void tui_reopen(struct tui *t, const struct tui_config *cfg);
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
/* Ask once before running every command of `commands` (taken) for the
 * rows marked in `v`, whose marks go once they have run; then one line
 * says how many were done.  `what` titles the dialog ("retry 3 runs"). */
int  tui_confirm_bulk(struct tui *t, struct tui_view *v, const char *what,
		      const char *question, const char *label, struct vec *commands);
/* Run a command line: the console's own (help, quit, view names), else
 * the command layer's.  Returns an RD mask. */
int  tui_command(struct tui *t, const char *line);
/* Index of the registry view called `name`, or -1. */
int  tui_view_index(const char *name);
void tui_refresh_view(struct tui *t, struct tui_view *v);
void tui_mark_stale(struct tui *t);

/* data.c: the control store and commands that answer in JSON. */
/* Ask the store this often when no events reach the console (no engine
 * serves a SQLite store's events, a PostgreSQL listener is down). */
#define TUI_POLL_USEC (2 * USEC_PER_SEC)
/* While the store's events arrive: a safety look this often (events are
 * lost while a connection is down), and views that age with the clock
 * (heartbeats, "5 min ago") are refreshed no more often than this. */
#define TUI_EVENTS_POLL_USEC (30 * USEC_PER_SEC)
/* The listener's fd, or -1; on news, the store is asked at once (but
 * not more often than frames go out). */
int   tui_events_fd(const struct tui *t);
void  tui_events_read(struct tui *t);
#define TUI_ENGINES_USEC (5 * USEC_PER_SEC)  /* the header's engines, at least */
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
struct cJSON *tui_fetch_json(struct tui *t, const char *line, struct err *e);
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

/* script.c: SLUICE_CONSOLE_SCRIPT and :save-screen. */
int  tui_script_load(struct tui *t, const char *path, struct err *e);
/* Steps left: the loop takes the next one when the last is drawn. */
bool tui_script_pending(const struct tui *t);
int  tui_script_step(struct tui *t);    /* RD mask */
void tui_script_done(struct tui *t);
/* Write the screen as text, as `tmux capture-pane -p` prints it. */
int  tui_save_screen(struct tui *t, const char *path);

/* Below 80x24 the frame degrades (fewer columns, a shorter header and
 * hints); below this it says it needs more. */
#define TUI_MIN_COLS 40
#define TUI_MIN_ROWS 12
#define TUI_FULL_COLS 80      /* the width the frame is designed for */
#define TUI_FRAME_USEC (100 * USEC_PER_MSEC)   /* at most 10 frames a second */

#endif

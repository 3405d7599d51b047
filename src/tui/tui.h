/*
 * tui.h - the console: sluice's ncurses operator interface.
 *
 * One call, tui_run(), takes over the terminal until the operator quits
 * (or the terminal hangs up, or SIGTERM arrives) and gives it back in the
 * state it found it.  The console shows a header (project, environment,
 * control store, user@host, OPERATOR or READ-ONLY, PRODUCTION when it is),
 * a bar of views, the current view, a status line and a bar of key hints.
 *
 * The console does not run commands itself beyond its own few (help, quit,
 * the view names; `:env` and `:project` ask `switch_to` for what to show
 * next): everything typed at the `:` prompt, and every action a
 * view offers on its selection, becomes a command line handed to
 * `execute`, which the command layer (cmd/) supplies.  Tab completion asks
 * `complete` for names.  Both are optional: without them the console still
 * works and says plainly that no command layer is connected.
 *
 * What the views show comes from the control store, read through the
 * console's own read-only handle.  The console asks the store whether
 * anything changed (store_changed: cheap) at most once a second, and
 * refreshes only the views that show a changed area.  Events from other
 * threads (an in-process engine's queue) reach the console through a
 * wake-up descriptor: any thread writes to it (tui_wake), the console's
 * loop wakes, calls `on_wake`, and asks the store at once.  What only a
 * data connection knows (the table catalogue, row previews, a backfill's
 * comparison) comes from commands with --json output, run through
 * `execute`.
 *
 * Threads: tui_run and every callback it makes run on the calling thread,
 * which must be the only one touching ncurses or readline.  tui_wake is
 * safe from any thread and from signal handlers.
 */
#ifndef SLUICE_TUI_H
#define SLUICE_TUI_H

#include "core/core.h"

struct project;

/* Run one command line from the prompt or a view action ("cancel 42").
 * Put the result text in `out` (one line goes to the status line, more
 * lines open a result page) and return 0, or return -1 with `e` set; the
 * message is shown as an error.  The command layer enforces read-only
 * mode; the console also refuses view actions marked as mutating. */
typedef int (*tui_execute_fn)(void *arg, const char *line, struct buf *out,
			      struct err *e);

/* Offer completions for the word being typed at the prompt.  `line` is the
 * whole line, `word` the (possibly empty) prefix under the cursor and
 * `word_index` its position (0: the command itself).  Push candidates that
 * start with `word` onto `out` as xstrdup'ed strings (the console frees
 * them); duplicates of the console's own names are dropped. */
typedef void (*tui_complete_fn)(void *arg, const char *line, const char *word,
				int word_index, struct vec *out);

/* True if `line` would change anything (run, cancel, pause ...).  Lets the
 * console refuse a typed command in read-only mode before running it. */
typedef bool (*tui_mutates_fn)(void *arg, const char *line);

/* Called on the console's thread after the wake-up descriptor became
 * readable; it must drain the descriptor (or leave on_wake NULL and the
 * console reads it once per wake-up: an eventfd counter, or up to 64
 * bytes of a pipe). */
typedef void (*tui_wake_fn)(void *arg);

/* `:env NAME` and `:project DIR [ENV]`: open another environment of the
 * project (`env` set, `dir` NULL) or another project directory (`dir` set,
 * `env` NULL for the one the console is on now) as starting the console
 * there would, worker daemon included.  Returns the configuration to show
 * from now on, or NULL with `e` set and nothing changed.  The returned one
 * and the one in use before must both stay valid until the next call (the
 * console lets go of the old one only after it has the new one) and until
 * tui_run returns. */
typedef const struct tui_config *(*tui_switch_fn)(void *arg, const char *env,
						  const char *dir, struct err *e);

struct tui_config {
	const char *project;      /* project name; NULL: no project loaded */
	const char *environment;  /* NULL: "default" */
	bool production;          /* marked production; an environment named
				     "prod" or "production" counts as well */
	const char *store_label;  /* control store as shown ("sqlite:.sluice/control.db",
				     a URL without password); NULL: none open */
	bool read_only;           /* refuse mutating actions; header says READ-ONLY */
	bool no_color;            /* --no-color; a non-empty NO_COLOR also turns colour off */
	const char *history_path; /* prompt history; NULL: tui_default_history_path() */
	const char *commands_help; /* the command layer's list of commands, one per
				      line, for the help view; NULL: none connected */
	const struct project *project_model; /* the loaded project (borrowed: it must
				      outlive tui_run); the views list its flows,
				      tasks, pipes and streams and compute next
				      ticks from it.  NULL: none loaded */
	const char *store_url;    /* the control store the views read.  The
				     console opens its own handle, always
				     read-only, on its own thread: it never
				     writes the store itself, every change goes
				     through `execute`.  NULL: none */
	const char *store_password; /* PostgreSQL password, or NULL */
	const char *problem;      /* why no project or no store is open, as an
				     error reads ("sluice.json:3:5: ...", "control
				     store PATH: ..."); NULL: none, or no reason */
	const char *notice;       /* said on the status line when the console
				     opens ("started worker pid 42"); NULL: none */
	bool notice_is_error;

	tui_execute_fn  execute;  /* all optional; NULL: not connected */
	tui_complete_fn complete;
	tui_mutates_fn  mutates;
	tui_wake_fn     on_wake;
	tui_switch_fn   switch_to;
	void *arg;                /* passed to every callback */

	int wake_fd;              /* > 2: polled for events; 0 or -1: none */
};

/* Take over the terminal and run the console until the operator quits.
 * Sets the locale from the environment (setlocale(LC_ALL, "")) and draws
 * UTF-8 only when its character set is UTF-8.  Returns 0 when the
 * operator quit, or -1 with `e` set: ERR_IO when there
 * is no usable terminal (stdin/stdout not a tty, unknown TERM),
 * ERR_CANCELLED when SIGHUP, SIGTERM or SIGINT ended it (the terminal is
 * restored first in every case). */
int tui_run(const struct tui_config *cfg, struct err *e);

/* A wake-up descriptor for tui_config.wake_fd: an eventfd, non-blocking and
 * close-on-exec.  Returns the descriptor (the caller closes it) or -1. */
int tui_wake_open(struct err *e);
/* Make the console's loop wake up.  Any thread, async-signal-safe. */
void tui_wake(int fd);

/* $XDG_STATE_HOME/sluice/history, else ~/.local/state/sluice/history;
 * NULL when neither XDG_STATE_HOME nor HOME is set.  Caller frees. */
char *tui_default_history_path(void);

/* Whether the header marks this environment as production. */
bool tui_is_production(const struct tui_config *cfg);

#endif

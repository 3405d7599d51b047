/*
 * tui.c - the console's main loop: one poll() over the terminal, the
 * wake-up descriptor and a self-pipe for signals, with a timeout that is
 * the next thing due (a frame held back by the frame cap, a view's clock).
 *
 * The pspg/tmux pattern: signal handlers only set flags and write a byte
 * to the self-pipe; the loop does the work (resize and repaint on
 * SIGWINCH, leave cleanly on SIGHUP and SIGTERM).  Keys and events only
 * set redraw bits; the frame is drawn when something is dirty and at most
 * ten times a second.  With nothing happening the loop sleeps in poll()
 * with no timeout at all, so an idle console costs no CPU.
 */
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/widget_edit.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* How long a key's escape sequence may take to arrive whole. */
#define ESCDELAY_MS 25

static volatile sig_atomic_t got_winch, got_hup, got_term, got_int;
static int sig_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	switch (sig) {
	case SIGWINCH: got_winch = 1; break;
	case SIGHUP:   got_hup = 1; break;
	case SIGTERM:  got_term = 1; break;
	case SIGINT:   got_int = 1; break;
	}
	if (sig_pipe[1] >= 0) {
		char c = 0;
		ssize_t n = write(sig_pipe[1], &c, 1);
		(void)n;     /* a full pipe already holds a wake-up */
	}
	errno = saved;
}

static const int handled_signals[] = { SIGWINCH, SIGHUP, SIGTERM, SIGINT };

struct saved_signals {
	struct sigaction old[ARRAY_LEN(handled_signals)];
};

/* Installed before newterm(), so ncurses sees them taken and installs
 * its own only for SIGTSTP (suspend and resume keep working). */
/* A BUG in any thread of the console process must leave a readable
 * message on a sane terminal, not raw mode over a half-drawn frame. */
static void give_terminal_back(void)
{
	endwin();
}

static void install_signals(struct saved_signals *s)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_LEN(handled_signals); i++)
		sigaction(handled_signals[i], &sa, &s->old[i]);
	got_winch = got_hup = got_term = got_int = 0;
}

static void restore_signals(const struct saved_signals *s)
{
	for (size_t i = 0; i < ARRAY_LEN(handled_signals); i++)
		sigaction(handled_signals[i], &s->old[i], NULL);
}

/* ---- public helpers ----------------------------------------------------- */

int tui_wake_open(struct err *e)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_IO, "cannot create the console's wake-up descriptor: %s",
			       strerror(errno));
	return fd;
}

void tui_wake(int fd)
{
	uint64_t one = 1;
	ssize_t n = write(fd, &one, sizeof one);
	(void)n;     /* EAGAIN: the counter is full, the console wakes anyway */
}

char *tui_default_history_path(void)
{
	char *dir = env_xdg_dir(ENV_XDG_STATE);
	char *path = dir ? xasprintf("%s/history", dir) : NULL;
	free(dir);
	return path;
}

bool tui_is_production(const struct tui_config *cfg)
{
	const char *env = cfg->environment;
	return cfg->production ||
	       (env && (strcasecmp(env, "prod") == 0 || strcasecmp(env, "production") == 0));
}

/* ---- set-up and tear-down ---------------------------------------------- */

static void user_host(char *out, size_t n)
{
	const char *user = getenv("USER");
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_name)
		user = pw->pw_name;
	char host[256] = "localhost";
	if (gethostname(host, sizeof host) == 0)
		host[sizeof host - 1] = '\0';
	snprintf(out, n, "%s@%s", user ? user : "?", host);
}

void tui_open_views(struct tui *t)
{
	t->views = xcalloc(tui_nviews, sizeof *t->views);
	for (size_t i = 0; i < tui_nviews; i++) {
		struct tui_view *v = &t->views[i];
		v->ops = tui_views[i];
		v->tui = t;
		v->stale = true;
		v->ops->open(v);
	}
	t->current = 0;
	tui_refresh_view(t, &t->views[0]);
}

void tui_close_views(struct tui *t)
{
	while (t->pages.len)
		tui_pop(t);
	vec_free(&t->pages);
	if (t->modal) {
		t->modal_ops->free(t->modal);
		t->modal = NULL;
	}
	for (size_t i = 0; t->views && i < tui_nviews; i++) {
		struct tui_view *v = &t->views[i];
		if (v->ops->close)
			v->ops->close(v);
		free(v->filter);
	}
	free(t->views);
	t->views = NULL;
}

/* Show another project or environment: every view, page and mark of the
 * old one goes (they name its objects), and the store handle is the new
 * one's.  The view the operator was on stays on. */
void tui_reopen(struct tui *t, const struct tui_config *cfg)
{
	size_t current = t->current;
	tui_close_views(t);
	tui_store_close(t);
	for (size_t i = 0; i < ARRAY_LEN(t->engines); i++) {
		free(t->engines[i]);
		t->engines[i] = NULL;
	}
	t->engines_none = false;
	free(t->store_error);
	t->store_error = NULL;
	t->cfg = cfg;
	t->production = tui_is_production(cfg);
	tui_store_open(t);
	tui_open_views(t);
	if (current)
		tui_switch(t, current);
	t->dirty |= RD_ALL | RD_CLEAR;
}

/* The sequences VT220s, xterm, rxvt and the Linux console send for the
 * keys an operator pages with.  A terminfo entry such as vt100 names
 * none of them, and without these ESC [ 6 ~ would arrive as Esc, '[',
 * '6', '~': close the page and switch to view 6.  Defined only where the
 * terminfo entry has not already taken the sequence. */
static const struct { const char *seq; int key; } known_sequences[] = {
	{ "\033[A", KEY_UP }, { "\033[B", KEY_DOWN },
	{ "\033[C", KEY_RIGHT }, { "\033[D", KEY_LEFT },
	{ "\033OA", KEY_UP }, { "\033OB", KEY_DOWN },
	{ "\033OC", KEY_RIGHT }, { "\033OD", KEY_LEFT },
	{ "\033[5~", KEY_PPAGE }, { "\033[6~", KEY_NPAGE },
	{ "\033[1~", KEY_HOME }, { "\033[4~", KEY_END },
	{ "\033[7~", KEY_HOME }, { "\033[8~", KEY_END },
	{ "\033[H", KEY_HOME }, { "\033[F", KEY_END },
	{ "\033OH", KEY_HOME }, { "\033OF", KEY_END },
	{ "\033[Z", KEY_BTAB }, { "\033[2~", KEY_IC }, { "\033[3~", KEY_DC },
	{ "\033OP", KEY_F(1) }, { "\033OQ", KEY_F(2) },
	{ "\033OR", KEY_F(3) }, { "\033OS", KEY_F(4) },
	{ "\033[11~", KEY_F(1) }, { "\033[12~", KEY_F(2) },
	{ "\033[13~", KEY_F(3) }, { "\033[14~", KEY_F(4) },
	{ "\033[15~", KEY_F(5) }, { "\033[17~", KEY_F(6) },
	{ "\033[18~", KEY_F(7) }, { "\033[19~", KEY_F(8) },
	{ "\033[20~", KEY_F(9) }, { "\033[21~", KEY_F(10) },
	{ "\033[23~", KEY_F(11) }, { "\033[24~", KEY_F(12) },
	{ "\033[[A", KEY_F(1) }, { "\033[[B", KEY_F(2) },   /* the Linux console */
	{ "\033[[C", KEY_F(3) }, { "\033[[D", KEY_F(4) },
	{ "\033[[E", KEY_F(5) },
};

static void define_known_keys(void)
{
	for (size_t i = 0; i < ARRAY_LEN(known_sequences); i++)
		if (key_defined(known_sequences[i].seq) == 0)
			define_key(known_sequences[i].seq, known_sequences[i].key);
}

static void setup_curses(struct tui *t, bool utf8)
{
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	set_escdelay(ESCDELAY_MS);
	curs_set(0);
	/* Keys are read from a 1x1 pad: wgetch on a window would refresh
	 * it outside the frame, a pad it never refreshes. */
	t->input = newpad(1, 1);
	keypad(t->input, TRUE);
	nodelay(t->input, TRUE);
	define_known_keys();
	bool want_color = !t->cfg->no_color && !env_no_color();
	theme_init(want_color, utf8);
}

static void resize(struct tui *t)
{
	struct winsize ws;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
	tui_layout(t);
	t->dirty |= RD_ALL | RD_CLEAR;
}

/* ---- the loop ----------------------------------------------------------- */

/* After ESC '[' (or ESC 'O') that curses did not know as a key: the rest
 * of the control sequence, read up to its final byte (0x40-0x7E) and
 * dropped whole, so that no part of it acts as a key.  Returns false when
 * nothing followed the introducer within the escape delay: then it was
 * Esc and the character, typed. */
static bool skip_sequence(struct tui *t, wint_t introducer)
{
	wtimeout(t->input, ESCDELAY_MS);
	wint_t c;
	int rc = wget_wch(t->input, &c);
	bool any = rc == OK;
	/* SS3 (ESC O) carries one final character; CSI parameters and
	 * intermediates (0x20-0x3F) until the final byte */
	while (rc == OK && introducer == '[' && c >= 0x20 && c <= 0x3f)
		rc = wget_wch(t->input, &c);
	nodelay(t->input, TRUE);
	if (any)
		tui_trace(t, "dropped sequence", (int)introducer);
	return any;
}

static void read_keys(struct tui *t)
{
	wint_t wch;
	int rc;
	while (!t->quit && (rc = wget_wch(t->input, &wch)) != ERR) {
		int key = rc == KEY_CODE_YES ? TK((int)wch) : (int)wch;
		if (key == TK(KEY_RESIZE))
			continue;
		tui_trace(t, "key", key);
		if (key == TK_ESC) {
			/* Esc followed at once by a character is Alt+character:
			 * curses has already waited ESCDELAY for it */
			wint_t next;
			int rc2 = wget_wch(t->input, &next);
			if (rc2 == OK && (next == '[' || next == 'O') && skip_sequence(t, next))
				continue;
			if (rc2 == OK && (next == TK_ESC || t->input_mode != INPUT_PROMPT)) {
				/* Alt+key means something only to readline; elsewhere
				 * (and Esc twice anywhere) it is Esc, then the key,
				 * typed quickly */
				t->dirty |= (unsigned)tui_dispatch(t, TK_ESC);
				key = (int)next;
			} else if (rc2 == OK) {
				key = TK_META((int)next);
			} else if (rc2 == KEY_CODE_YES) {
				t->dirty |= (unsigned)tui_dispatch(t, TK_ESC);
				key = TK((int)next);
			}
		}
		t->dirty |= (unsigned)tui_dispatch(t, key);
	}
}

static void drain(int fd)
{
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf);
	(void)n;
}

static int view_clock_timeout(struct tui *t, usec_t now)
{
	struct tui_view *v = tui_top(t);
	if (!v->clock || !v->next_clock)
		return -1;
	/* Woken by the store's events, a view need not ask it every few
	 * seconds for what only ages with the clock. */
	usec_t every = t->listener && v->clock < TUI_EVENTS_POLL_USEC
		? TUI_EVENTS_POLL_USEC : v->clock;
	usec_t due = v->next_clock - v->clock + every;
	if (now >= due) {
		tui_refresh_view(t, v);
		t->dirty |= RD_BODY | RD_STATUS;
		return (int)((every + 999) / 1000);
	}
	return (int)((due - now + 999) / 1000);
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static int run_loop(struct tui *t, struct err *e)
{
	const struct tui_config *cfg = t->cfg;
	int wake = cfg->wake_fd > 2 ? cfg->wake_fd : -1;
	for (;;) {
		if (got_winch) {
			got_winch = 0;
			resize(t);
		}
		if (got_hup)
			return err_set(e, ERR_CANCELLED, "the terminal hung up");
		if (got_term)
			return err_set(e, ERR_CANCELLED, "terminated by SIGTERM");
		if (got_int) {
			got_int = 0;
			if (t->input_mode == INPUT_PROMPT)
				t->dirty |= (unsigned)tui_prompt_cancel(t);
			else if (t->input_mode != INPUT_NORMAL || t->modal)
				t->dirty |= (unsigned)tui_dispatch(t, TK_ESC);
			else
				return err_set(e, ERR_CANCELLED, "interrupted");
		}
		if (t->quit)
			return 0;

		int timeout = tui_store_poll(t, false);
		usec_t now = clock_monotonic_us();
		timeout = min_timeout(timeout, view_clock_timeout(t, now));
		if (t->dirty) {
			usec_t due = t->last_frame + TUI_FRAME_USEC;
			/* the frame cap keeps a busy store from costing CPU; a
			 * script waits for each frame, so it is not held back */
			if (now >= due || tui_script_pending(t)) {
				tui_render(t);
				t->last_frame = now;
			} else {
				timeout = min_timeout(timeout, (int)((due - now + 999) / 1000));
			}
		}
		/* a script's next step once the last one is on the screen */
		if (!t->dirty && tui_script_pending(t)) {
			t->dirty |= (unsigned)tui_script_step(t);
			continue;
		}

		struct pollfd fds[4] = {
			{ .fd = STDIN_FILENO, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
			{ .fd = wake, .events = POLLIN },     /* -1: ignored */
			{ .fd = tui_events_fd(t), .events = POLLIN },
		};
		int rc = poll(fds, 4, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return err_set(e, ERR_IO, "poll: %s", strerror(errno));
		}
		if (fds[1].revents & POLLIN)
			drain(sig_pipe[0]);
		if (fds[3].fd >= 0 && (fds[3].revents & (POLLIN | POLLHUP | POLLERR)))
			tui_events_read(t);
		if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return err_set(e, ERR_CANCELLED, "the terminal hung up");
		if (fds[0].revents & POLLIN)
			read_keys(t);
		if (wake >= 0 && (fds[2].revents & POLLIN)) {
			if (cfg->on_wake)
				cfg->on_wake(cfg->arg);
			else
				drain(wake);
			/* ask the store now, but not more often than frames go out */
			usec_t at = clock_monotonic_us();
			if (t->store && at - t->last_poll >= TUI_FRAME_USEC)
				tui_store_poll(t, true);
			else if (t->store && t->next_poll > t->last_poll + TUI_FRAME_USEC)
				t->next_poll = t->last_poll + TUI_FRAME_USEC;
			else if (!t->store)
				tui_mark_stale(t);
		}
	}
}

static bool has_cap(const char *name)
{
	const char *cap = tigetstr(name);
	return cap && cap != (const char *)-1;
}

/* Without an alternate screen (vt100, linux) the last frame would stay
 * under the shell prompt: erase it, as `clear` does. */
static void leave_screen_clear(void)
{
	if (has_cap("smcup") || !has_cap("clear"))
		return;
	putp(tigetstr("clear"));
	fflush(stdout);
}

static bool can_address_cursor(void)
{
	return has_cap("cup");
}

int tui_run(const struct tui_config *cfg, struct err *e)
{
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return err_set(e, ERR_IO, "the console needs a terminal (stdin and stdout "
			       "must be a tty); use a command or `sluice shell` instead");
	setlocale(LC_ALL, "");
	bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;

	struct tui t;
	memset(&t, 0, sizeof t);
	t.cfg = cfg;
	t.production = tui_is_production(cfg);
	t.status_cx = -1;
	t.modal_cy = -1;
	const char *script = getenv("SLUICE_CONSOLE_SCRIPT");
	if (script && *script && tui_script_load(&t, script, e) < 0)
		return -1;    /* before anything is allocated or the terminal taken */
	t.history_path = cfg->history_path ? xstrdup(cfg->history_path)
					   : tui_default_history_path();
	user_host(t.user_host, sizeof t.user_host);
	const char *trace = getenv("SLUICE_CONSOLE_TRACE");
	if (trace && *trace)
		t.trace = file_open_log(trace);
	tui_trace(&t, "start", 0);

	if (pipe(sig_pipe) < 0)
		return err_set(e, ERR_IO, "pipe: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
		fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
	}
	struct saved_signals saved;
	install_signals(&saved);
	int rc = -1;
	SCREEN *screen = NULL;
	if (tui_prompt_init(&t, e) < 0)
		goto out;
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		const char *term = getenv("TERM");
		err_set(e, ERR_IO, "cannot use the terminal: TERM=%s is not in the terminfo "
			"database; use `sluice shell` or commands instead",
			term ? term : "(unset)");
		goto out;
	}
	set_term(screen);
	if (!can_address_cursor()) {
		/* TERM=dumb: curses would draw nothing and still act on keys */
		const char *term = getenv("TERM");
		err_set(e, ERR_IO, "cannot use the terminal: TERM=%s cannot move the "
			"cursor, which the console needs; use `sluice shell` or commands "
			"instead", term ? term : "(unset)");
		endwin();
		goto out;
	}
	bug_set_hook(give_terminal_back);
	setup_curses(&t, utf8);
	tui_store_open(&t);
	tui_open_views(&t);
	tui_layout(&t);
	if (t.history_error) {
		tui_message(&t, true, "%s", t.history_error);
	} else if (cfg->notice) {
		tui_message(&t, cfg->notice_is_error, "%s", cfg->notice);
	}
	t.dirty = RD_ALL | RD_CLEAR;
	rc = run_loop(&t, e);
	tui_close_views(&t);
	tui_store_close(&t);
	tui_free_windows(&t);
	delwin(t.input);
	bug_set_hook(NULL);
	endwin();
	leave_screen_clear();
out:
	tui_prompt_done(&t);
	if (screen)
		delscreen(screen);
	restore_signals(&saved);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	sig_pipe[0] = sig_pipe[1] = -1;
	tui_edit_free(&t.filter);
	free(t.filter_before);
	free(t.message);
	free(t.matches);
	free(t.history_path);
	free(t.history_error);
	free(t.store_error);
	for (size_t i = 0; i < ARRAY_LEN(t.engines); i++)
		free(t.engines[i]);
	tui_script_done(&t);
	if (t.trace)
		fclose(t.trace);
	return rc;
}

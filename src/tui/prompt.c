/*
 * prompt.c - the `:` command prompt: GNU readline inside ncurses.
 *
 * readline's callback interface lets the console keep its one poll()
 * loop: the loop hands each key to tui_prompt_key, which feeds readline
 * the bytes through a custom rl_getc_function and calls
 * rl_callback_read_char.  readline never touches the terminal: its
 * prep/deprep hooks do nothing (ncurses owns the tty modes), its output
 * stream is /dev/null, it catches no signals and leaves LINES/COLUMNS
 * alone, and its redisplay hook only marks the status line dirty; the
 * frame draws rl_display_prompt and rl_line_buffer itself.  Cursor keys
 * arrive from curses already decoded, so they call readline's functions
 * directly instead of being turned back into escape sequences.
 *
 * History lives in a file and is appended line by line, so two consoles
 * (or a crash) lose nothing.  Tab completion offers the console's own
 * words and whatever the command layer adds.
 *
 * readline is global state, so there is one prompt per process; that
 * matches the one console per process that ncurses allows anyway.
 */
#include "store/store.h"
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/tui_int.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <readline/readline.h>
#include <readline/history.h>

#define HISTORY_MAX 1000

static struct tui *ptui;             /* readline's callbacks take no argument */
static unsigned char pending[64];    /* bytes of the key being fed */
static size_t npending, pending_at;
static FILE *devnull;
static bool installed;
static struct vec candidates;        /* the current completion candidates */
static size_t next_candidate;

static int getc_hook(FILE *f)
{
	(void)f;
	if (pending_at < npending)
		return pending[pending_at++];
	return EOF;    /* never reached: readline only reads what is pending */
}

static int input_available_hook(void)
{
	return pending_at < npending;
}

static void redisplay_hook(void)
{
	if (ptui)
		ptui->dirty |= RD_STATUS;
}

static void no_prep(int meta)
{
	(void)meta;
}

static void no_deprep(void)
{
}

static void save_history(struct tui *t, const char *line)
{
	if (history_length > 0) {
		HIST_ENTRY *last = history_get(history_base + history_length - 1);
		if (last && strcmp(last->line, line) == 0)
			return;
	}
	add_history(line);
	if (!t->history_path)
		return;
	int rc;
	if (file_exists(t->history_path)) {
		rc = append_history(1, t->history_path);
	} else {
		char *dir = path_dirname(t->history_path);
		mkdir_p(dir, 0700, NULL);
		free(dir);
		rc = write_history(t->history_path);
	}
	if (rc == 0)
		rc = history_truncate_file(t->history_path, HISTORY_MAX);
	if (rc != 0)
		tui_message(t, true, "history not saved to %s: %s",
			    t->history_path, strerror(rc));
}

static void leave_prompt(struct tui *t)
{
	rl_callback_handler_remove();
	installed = false;
	t->input_mode = INPUT_NORMAL;
	free(t->matches);
	t->matches = NULL;
	t->dirty |= RD_STATUS | RD_KEYS;
}

static void on_line(char *line)
{
	struct tui *t = ptui;
	leave_prompt(t);
	if (!line)        /* ^D on an empty line */
		return;
	char *s = str_trim(line);
	if (*s) {
		save_history(t, s);
		int rd = tui_command(t, s);
		if (rd > 0)
			t->dirty |= (unsigned)rd;
	}
	free(line);
}

static char *candidate_generator(const char *text, int state)
{
	(void)text;
	if (state == 0)
		next_candidate = 0;
	if (next_candidate < candidates.len)
		return xstrdup(candidates.items[next_candidate++]);
	return NULL;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int word_index_at(int start)
{
	int words = 0;
	bool in_word = false;
	for (int i = 0; i < start && rl_line_buffer[i]; i++) {
		bool space = rl_line_buffer[i] == ' ' || rl_line_buffer[i] == '\t';
		if (!space && !in_word)
			words++;
		in_word = !space;
	}
	return words;
}

static char **complete_hook(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;    /* never fall back to file names */
	vec_free_all(&candidates, free);
	struct vec all = VEC_INIT;
	int word_index = word_index_at(start);
	if (word_index == 0)
		tui_builtin_words(&all);
	const struct tui_config *cfg = ptui->cfg;
	if (cfg->complete)
		cfg->complete(cfg->arg, rl_line_buffer, text, word_index, &all);
	vec_sort(&all, compare_strings);
	for (size_t i = 0; i < all.len; i++) {
		char *c = all.items[i];
		bool dup = candidates.len > 0 &&
			   strcmp(candidates.items[candidates.len - 1], c) == 0;
		if (!dup && str_starts_with(c, text))
			vec_push(&candidates, c);
		else
			free(c);
	}
	vec_free(&all);
	if (candidates.len == 0)
		return NULL;
	return rl_completion_matches(text, candidate_generator);
}

/* readline would print the list below the line; show it in the key bar. */
static void show_matches_hook(char **matches, int n, int max_length)
{
	(void)max_length;
	struct buf b = BUF_INIT;
	for (int i = 1; i <= n; i++)
		buf_printf(&b, "%s%s", i > 1 ? "  " : "", matches[i]);
	free(ptui->matches);
	ptui->matches = buf_detach(&b);
	ptui->dirty |= RD_KEYS;
}

int tui_prompt_init(struct tui *t, struct err *e)
{
	ptui = t;
	devnull = fopen("/dev/null", "w");
	if (!devnull)
		return err_set(e, ERR_IO, "cannot open /dev/null: %s", strerror(errno));
	rl_readline_name = "sluice";
	rl_instream = stdin;
	rl_outstream = devnull;
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_change_environment = 0;
	rl_prep_term_function = no_prep;
	rl_deprep_term_function = no_deprep;
	rl_getc_function = getc_hook;
	rl_input_available_hook = input_available_hook;
	rl_redisplay_function = redisplay_hook;
	rl_attempted_completion_function = complete_hook;
	rl_completion_display_matches_hook = show_matches_hook;
	/* Before newterm(): readline's own terminfo set-up must not replace
	 * the terminal that ncurses is about to open. */
	rl_initialize();
	rl_variable_bind("bell-style", "none");
	rl_variable_bind("show-all-if-ambiguous", "on");
	rl_variable_bind("enable-bracketed-paste", "off");
	using_history();
	stifle_history(HISTORY_MAX);
	if (t->history_path) {
		int rc = read_history(t->history_path);
		if (rc != 0 && rc != ENOENT)
			t->history_error = xasprintf("cannot read history %s: %s",
						     t->history_path, strerror(rc));
	}
	return 0;
}

void tui_prompt_done(struct tui *t)
{
	if (installed)
		leave_prompt(t);
	vec_free_all(&candidates, free);
	clear_history();
	if (devnull) {
		rl_outstream = stdout;
		fclose(devnull);
		devnull = NULL;
	}
	ptui = NULL;
}

int tui_prompt_open(struct tui *t)
{
	using_history();    /* Up starts from the newest line again */
	rl_callback_handler_install(":", on_line);
	installed = true;
	t->input_mode = INPUT_PROMPT;
	return RD_STATUS | RD_KEYS;
}

int tui_prompt_cancel(struct tui *t)
{
	if (!installed)
		return RD_NONE;
	rl_free_line_state();
	rl_callback_sigcleanup();
	rl_replace_line("", 1);
	leave_prompt(t);
	return RD_STATUS | RD_KEYS;
}

static void feed(const unsigned char *bytes, size_t n)
{
	if (n > sizeof pending)
		n = sizeof pending;
	memcpy(pending, bytes, n);
	npending = n;
	pending_at = 0;
	while (installed && pending_at < npending)
		rl_callback_read_char();
	npending = pending_at = 0;
}

static void feed_char(int c, bool meta)
{
	unsigned char bytes[MB_LEN_MAX + 1];
	size_t n = 0;
	if (meta)
		bytes[n++] = TK_ESC;
	if (c < 0x80) {
		bytes[n++] = (unsigned char)c;
	} else {
		mbstate_t st;
		memset(&st, 0, sizeof st);
		size_t len = wcrtomb((char *)bytes + n, (wchar_t)c, &st);
		if (len == (size_t)-1)
			return;     /* not representable in this locale */
		n += len;
	}
	feed(bytes, n);
}

int tui_prompt_key(struct tui *t, int key)
{
	if (t->matches) {
		free(t->matches);
		t->matches = NULL;
		t->dirty |= RD_KEYS;
	}
	if (key == TK_ESC)
		return tui_prompt_cancel(t);
	if (tui_key_is_enter(key)) {
		feed((const unsigned char *)"\r", 1);
		return RD_STATUS;
	}
	if (tui_key_is_backspace(key)) {
		if (rl_end == 0)
			return tui_prompt_cancel(t);   /* like vim's : line */
		rl_rubout(1, 0);
		return RD_STATUS;
	}
	switch (key) {
	case TK(KEY_UP):    rl_get_previous_history(1, 0); return RD_STATUS;
	case TK(KEY_DOWN):  rl_get_next_history(1, 0); return RD_STATUS;
	case TK(KEY_LEFT):  rl_backward_char(1, 0); return RD_STATUS;
	case TK(KEY_RIGHT): rl_forward_char(1, 0); return RD_STATUS;
	case TK(KEY_HOME):  rl_beg_of_line(1, 0); return RD_STATUS;
	case TK(KEY_END):   rl_end_of_line(1, 0); return RD_STATUS;
	case TK(KEY_DC):    rl_delete(1, 0); return RD_STATUS;
	}
	if (TK_IS_META(key)) {
		feed_char(key & ~0x400000, true);
		return RD_STATUS;
	}
	if (key >= TK_KEYBASE)
		return RD_NONE;      /* other function keys mean nothing here */
	feed_char(key, false);
	return RD_STATUS;
}

int tui_prompt_draw(struct tui *t, WINDOW *w, int width)
{
	(void)t;
	const char *prompt = rl_display_prompt ? rl_display_prompt : ":";
	const char *line = rl_line_buffer ? rl_line_buffer : "";
	size_t point = rl_point > 0 ? (size_t)rl_point : 0;
	char *head = xstrndup(line, point);
	int cursor = tui_text_width(prompt) + tui_text_width(head);
	free(head);
	char *full = xasprintf("%s%s", prompt, line);
	int skip = cursor >= width ? cursor - width + 1 : 0;
	attr_t a = theme_attr(R_STATUS);
	int drawn = tui_put(w, 0, 0, width, skip, full, a);
	tui_fill(w, 0, drawn, width - drawn, a);
	free(full);
	return cursor - skip;
}

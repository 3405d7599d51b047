/*
 * script.c - SLUICE_CONSOLE_SCRIPT: keys and commands read from a file as
 * if typed, and :save-screen, which writes what the terminal shows.
 *
 * Tests of screens at rest (help, a view over a fixed store) need no
 * clock: the loop takes the next step only once the previous one has been
 * handled and its frame drawn, so `2` then `:save-screen pipes.txt`
 * saves the pipes view exactly as an operator would see it, without
 * polling the terminal for text to appear (tig's TIG_SCRIPT and
 * :save-display do the same).
 *
 * The file, one step a line (parsed whole before the terminal is taken, so
 * a mistake is reported with its line and column and nothing runs):
 *   # a comment             blank lines and comments are skipped
 *   :COMMAND                a command line, run as if typed at the : prompt
 *   KEYS                    each character a key; <Name> a named key
 *                           (<Enter>, <Esc>, <Up>, <^L>, <M-x>, <F5>, ...)
 *                           and <lt> the character '<'
 * After the last step the console goes on reading the terminal.
 */
#include "tui/keys.h"
#include "tui/theme.h"     /* curses */
#include "tui/tui_int.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct script_step {
	char *command;    /* a command line, or NULL for a key */
	int key;
};

struct tui_script {
	struct vec steps; /* struct script_step * */
	size_t next;
};

static void add_step(struct tui_script *s, char *command, int key)
{
	struct script_step *st = xcalloc(1, sizeof *st);
	st->command = command;
	st->key = key;
	vec_push(&s->steps, st);
}

/* One UTF-8 character of s as a code point; *len its bytes, 0 if invalid. */
static int decode_char(const char *s, size_t *len)
{
	mbstate_t ps;
	memset(&ps, 0, sizeof ps);
	wchar_t wc;
	size_t n = mbrtowc(&wc, s, strlen(s), &ps);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*len = 0;
		return -1;
	}
	*len = n;
	return (int)wc;
}

/* Where a mistake is: "SLUICE_CONSOLE_SCRIPT: FILE:LINE:COL: ". */
#define AT "SLUICE_CONSOLE_SCRIPT: %s:%d:%d: "

/* The key named at p ("<Enter>"), or -1 with e set; *end after the '>'. */
static int parse_name(const char *p, const char **end, const char *path, int lineno,
		      int col, struct err *e)
{
	const char *close = strchr(p, '>');
	if (!close)
		return err_set(e, ERR_PARSE, AT "'<' starts a key name but no '>' ends it "
			       "(write <lt> for '<')", path, lineno, col);
	char *name = xstrndup(p + 1, (size_t)(close - p - 1));
	int key = str_eq(name, "lt") ? '<' : tui_key_parse(name);
	if (key < 0)
		err_set(e, ERR_PARSE, AT "unknown key <%s>", path, lineno, col, name);
	free(name);
	*end = close + 1;
	return key;
}

static int parse_keys(struct tui_script *s, const char *line, const char *path,
		      int lineno, struct err *e)
{
	for (const char *p = line; *p;) {
		int col = (int)(p - line) + 1;
		int key;
		if (*p == '<') {
			key = parse_name(p, &p, path, lineno, col, e);
			if (key < 0)
				return -1;
		} else {
			size_t len;
			key = decode_char(p, &len);
			if (len == 0)
				return err_set(e, ERR_PARSE, AT "not a character in this "
					       "locale's encoding", path, lineno, col);
			p += len;
		}
		add_step(s, NULL, key);
	}
	return 0;
}

static void script_free(struct tui_script *s)
{
	for (size_t i = 0; i < s->steps.len; i++) {
		struct script_step *st = s->steps.items[i];
		free(st->command);
		free(st);
	}
	vec_free(&s->steps);
	free(s);
}

int tui_script_load(struct tui *t, const char *path, struct err *e)
{
	size_t len;
	char *text = file_read_all(path, &len, e);
	if (!text) {
		char why[sizeof e->where + sizeof e->msg + 2];
		snprintf(why, sizeof why, "%s", err_text(e));
		return err_set(e, e->code, "SLUICE_CONSOLE_SCRIPT: %s", why);
	}
	struct tui_script *s = xcalloc(1, sizeof *s);
	int lineno = 0, rc = 0;
	for (char *line = text, *end; rc == 0 && line && *line; line = end) {
		end = strchr(line, '\n');
		if (end)
			*end++ = '\0';
		lineno++;
		size_t n = strlen(line);
		if (n && line[n - 1] == '\r')
			line[--n] = '\0';
		const char *first = line + strspn(line, " \t");
		if (!*first || *first == '#')
			continue;
		if (*first == ':')
			add_step(s, xstrdup(first + 1), 0);
		else
			rc = parse_keys(s, line, path, lineno, e);
	}
	free(text);
	if (rc < 0) {
		script_free(s);
		return -1;
	}
	t->script = s;
	return 0;
}

bool tui_script_pending(const struct tui *t)
{
	return t->script && t->script->next < t->script->steps.len;
}

int tui_script_step(struct tui *t)
{
	struct script_step *st = t->script->steps.items[t->script->next++];
	tui_trace(t, st->command ? "script-command" : "script-key", st->key);
	if (st->command)
		return tui_command(t, st->command);
	return tui_dispatch(t, st->key);
}

void tui_script_done(struct tui *t)
{
	if (t->script)
		script_free(t->script);
	t->script = NULL;
}

/* ---- :save-screen ---------------------------------------------------------- */

/* Row y of what the terminal shows, as tmux's capture-pane prints it:
 * UTF-8, the second cell of a wide character skipped, trailing blanks
 * dropped. */
static void screen_row(int y, int cols, struct buf *out)
{
	wchar_t *w = xcalloc((size_t)cols + 1, sizeof *w);
	if (mvwinnwstr(curscr, y, 0, w, cols) == ERR)
		w[0] = L'\0';
	size_t keep = out->len;    /* after the last non-blank */
	for (const wchar_t *p = w; *p; p++) {
		char mb[MB_LEN_MAX];
		mbstate_t ps;
		memset(&ps, 0, sizeof ps);
		size_t n = wcrtomb(mb, *p, &ps);
		if (n == (size_t)-1) {
			mb[0] = '?';
			n = 1;
		}
		buf_append(out, mb, n);
		if (*p != L' ')
			keep = out->len;
	}
	out->len = keep;
	buf_putc(out, '\n');
	free(w);
}

int tui_save_screen(struct tui *t, const char *path)
{
	if (!path || !*path)
		return tui_message(t, true, "usage: save-screen FILE");
	int rows, cols;
	getmaxyx(curscr, rows, cols);
	struct buf text = BUF_INIT;
	for (int y = 0; y < rows; y++)
		screen_row(y, cols, &text);
	struct err e = { 0 };
	int rc = file_write_atomic(path, buf_str(&text), text.len, &e);
	buf_free(&text);
	if (rc < 0)
		return tui_message(t, true, "save-screen: %s", err_text(&e));
	/* No message: it would be on the next screen saved, and the prompt
	 * closing already shows the line was taken. */
	return RD_NONE;
}

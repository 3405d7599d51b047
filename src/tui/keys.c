/*
 * keys.c - keys to actions, in tables (the htop way).
 *
 * Every key the console answers is in a table: the frame's own actions
 * here, each view's in its file.  An action returns what must be redrawn.
 * A key goes, in order, to the prompt or filter being edited, to an open
 * dialog, to the top view's actions, to the view switch keys, to the
 * frame's actions, and last to the view's own key handler.
 *
 * Read-only mode is checked here, once, for every action marked as
 * mutating, whatever view declared it; the command layer checks again.
 */
#include "tui/keys.h"
#include "tui/tui.h"
#include "tui/widget_edit.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

bool tui_key_is_enter(int key)
{
	return key == '\r' || key == '\n' || key == TK(KEY_ENTER);
}

bool tui_key_is_backspace(int key)
{
	return key == TK(KEY_BACKSPACE) || key == 0x7f || key == TK_CTRL('h');
}

/* Names of the keys that are not one printable character, for the key
 * bar and help (tui_key_name) and for scripts (tui_key_parse). */
static const struct { int key; const char *name; } key_names[] = {
	{ TK(KEY_UP), "Up" }, { TK(KEY_DOWN), "Down" },
	{ TK(KEY_LEFT), "Left" }, { TK(KEY_RIGHT), "Right" },
	{ TK(KEY_PPAGE), "PgUp" }, { TK(KEY_NPAGE), "PgDn" },
	{ TK(KEY_HOME), "Home" }, { TK(KEY_END), "End" },
	{ TK(KEY_BTAB), "S-Tab" }, { TK(KEY_DC), "Delete" },
	{ TK(KEY_BACKSPACE), "Backspace" }, { TK(KEY_ENTER), "Enter" },
	{ '\r', "Enter" }, { '\n', "Enter" }, { '\t', "Tab" },
	{ TK_ESC, "Esc" }, { ' ', "Space" }, { 0x7f, "Backspace" },
};

void tui_key_name(int key, char out[16])
{
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++)
		if (key_names[i].key == key) {
			snprintf(out, 16, "%s", key_names[i].name);
			return;
		}
	if (key >= TK(KEY_F(1)) && key <= TK(KEY_F(12)))
		snprintf(out, 16, "F%d", key - TK(KEY_F(0)));
	else if (key > 0 && key < 0x20)
		snprintf(out, 16, "^%c", key + '@');
	else if (TK_IS_META(key))
		snprintf(out, 16, "M-%c", key & 0x7f);
	else if (key >= TK_KEYBASE)
		snprintf(out, 16, "key %d", key - TK_KEYBASE);
	else
		snprintf(out, 16, "%lc", (wint_t)key);
}

int tui_key_parse(const char *name)
{
	/* the first name of a key is the one a terminal sends: Enter is \r */
	for (size_t i = 0; i < ARRAY_LEN(key_names); i++)
		if (str_eq(key_names[i].name, name))
			return str_eq(name, "Enter") ? '\r' : key_names[i].key;
	if (name[0] == '^' && name[1] >= '@' && name[1] <= '_' && !name[2])
		return name[1] - '@';
	if (name[0] == 'M' && name[1] == '-' && name[2] > ' ' && name[2] < 0x7f && !name[3])
		return TK_META(name[2]);
	if (name[0] == 'F' && name[1] >= '1' && name[1] <= '9') {
		char *end;
		long n = strtol(name + 1, &end, 10);
		if (!*end && n >= 1 && n <= 12)
			return TK(KEY_F((int)n));
	}
	return -1;
}

bool tui_action_has_key(const struct tui_action *a, int key)
{
	for (size_t i = 0; i < ARRAY_LEN(a->keys) && a->keys[i]; i++)
		if (a->keys[i] == key)
			return true;
	return false;
}

/* ---- the frame's actions ------------------------------------------------ */

static int act_quit(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	if (t->pages.len)
		return tui_pop(t);
	t->quit = true;
	return RD_NONE;
}

static int act_back(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	if (t->pages.len)
		return tui_pop(t);
	struct tui_view *v = tui_top(t);
	struct vec marked = VEC_INIT;
	if (v->ops->marked)
		v->ops->marked(v, &marked);
	if (marked.len) {        /* Esc forgets the marks first */
		size_t n = marked.len;
		vec_free_all(&marked, free);
		v->ops->unmark(v);
		return tui_message(t, false, "%zu mark%s cleared", n, n == 1 ? "" : "s") |
		       RD_BODY;
	}
	if (v->filter && v->ops->filter) {
		v->ops->filter(v, NULL);
		free(v->filter);
		v->filter = NULL;
		return RD_BODY | RD_STATUS;
	}
	return RD_NONE;
}

static int act_help(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	return tui_open_help(t);
}

static int act_prompt(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	return tui_prompt_open(t);
}

static int act_filter(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	if (!v->ops->filter)
		return tui_message(t, true, "%s has nothing to filter", v->ops->title);
	t->input_mode = INPUT_FILTER;
	tui_edit_init(&t->filter, v->filter);
	free(t->filter_before);
	t->filter_before = xstrdup(v->filter);
	return RD_STATUS | RD_KEYS;
}

static int act_open(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	int rd = v->ops->detail ? v->ops->detail(v) : TUI_UNHANDLED;
	if (rd == TUI_UNHANDLED)
		return tui_message(t, false, "nothing selected to open");
	return rd;
}

static int step_view(struct tui *t, int dir)
{
	size_t n = tui_nviews, i = t->current;
	do
		i = (i + n + (size_t)(dir > 0 ? 1 : n - 1)) % n;
	while (!tui_views[i]->in_tabs && i != t->current);
	return tui_switch(t, i);
}

static int act_next_view(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	return step_view(t, 1);
}

static int act_prev_view(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	return step_view(t, -1);
}

static int act_refresh(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	/* F5 reads the top view again even when the store says nothing
	 * changed: what an operator presses when in doubt */
	tui_mark_stale(t);
	tui_refresh_view(t, tui_top(t));
	return RD_ALL;
}

static int act_redraw(struct tui *t, const struct tui_action *a, int key)
{
	(void)t; (void)a; (void)key;
	return RD_ALL | RD_CLEAR;
}

/* Navigation belongs to whatever widget the view shows. */
static int act_forward(struct tui *t, const struct tui_action *a, int key)
{
	(void)a;
	struct tui_view *v = tui_top(t);
	int rd = v->ops->handle_key ? v->ops->handle_key(v, key) : TUI_UNHANDLED;
	return rd == TUI_UNHANDLED ? RD_NONE : rd;
}

const struct tui_action tui_global_actions[] = {
	{ .keys = { 'q', TK(KEY_F(10)) }, .label = "q F10", .name = "quit",
	  .help = "quit; closes a page first",
	  .run = act_quit },
	{ .keys = { TK_ESC }, .label = "Esc", .name = "back",
	  .help = "close a page, dialog or prompt; clear the filter",
	  .run = act_back },
	{ .keys = { '?', TK(KEY_F(1)) }, .label = "? F1", .name = "help",
	  .help = "this help",
	  .run = act_help },
	{ .keys = { ':' }, .label = ":", .name = "command",
	  .help = "open the command prompt",
	  .run = act_prompt },
	{ .keys = { '/', TK(KEY_F(3)), TK(KEY_F(4)) }, .label = "/ F3 F4", .name = "filter",
	  .help = "filter the list (state names match too); search a page",
	  .run = act_filter },
	{ .keys = { '\r', '\n', TK(KEY_ENTER) }, .label = "Enter", .name = "open",
	  .help = "open the selected row's details",
	  .run = act_open },
	{ .keys = { '\t' }, .label = "Tab", .name = "next view",
	  .help = "switch to the next view",
	  .run = act_next_view },
	{ .keys = { TK(KEY_BTAB) }, .label = "S-Tab", .name = "previous view",
	  .help = "switch to the previous view",
	  .run = act_prev_view },
	{ .keys = { TK(KEY_F(5)) }, .label = "F5", .name = "refresh",
	  .help = "read the control store again now",
	  .run = act_refresh },
	{ .keys = { TK_CTRL('l') }, .label = "^L", .name = "redraw",
	  .help = "repaint the whole screen",
	  .run = act_redraw },
};
const size_t tui_nglobal_actions = ARRAY_LEN(tui_global_actions);

/* Moving around: handed to whatever widget the view shows. */
const struct tui_action tui_nav_actions[] = {
	{ .keys = { TK(KEY_UP), 'k' }, .label = "Up k", .name = "up",
	  .help = "move up a line",
	  .run = act_forward },
	{ .keys = { TK(KEY_DOWN), 'j' }, .label = "Down j", .name = "down",
	  .help = "move down a line",
	  .run = act_forward },
	{ .keys = { TK(KEY_PPAGE), TK_CTRL('b') }, .label = "PgUp ^B", .name = "page up",
	  .help = "move up a page",
	  .run = act_forward },
	{ .keys = { TK(KEY_NPAGE), TK_CTRL('f'), ' ' }, .label = "PgDn ^F Space",
	  .name = "page down",
	  .help = "move down a page",
	  .run = act_forward },
	{ .keys = { TK(KEY_HOME), 'g' }, .label = "Home g", .name = "first",
	  .help = "go to the first line",
	  .run = act_forward },
	{ .keys = { TK(KEY_END), 'G' }, .label = "End G", .name = "last",
	  .help = "go to the last line",
	  .run = act_forward },
	{ .keys = { TK(KEY_LEFT), 'h' }, .label = "Left h", .name = "left",
	  .help = "scroll left (pages)",
	  .run = act_forward },
	{ .keys = { TK(KEY_RIGHT), 'l' }, .label = "Right l", .name = "right",
	  .help = "scroll right (pages)",
	  .run = act_forward },
	{ .keys = { 'n', 'N' }, .label = "n N", .name = "next match",
	  .help = "next / previous search match (pages)",
	  .run = act_forward },
	{ .keys = { '<', '>' }, .label = "< >", .name = "sort",
	  .help = "sort by the previous / next column",
	  .run = act_forward },
	{ .keys = { 'I' }, .label = "I", .name = "reverse",
	  .help = "reverse the sort order",
	  .run = act_forward },
};
const size_t tui_nnav_actions = ARRAY_LEN(tui_nav_actions);

/* ---- view actions on the selection -------------------------------------- */

/* `tmpl` with each "%s" replaced by `key`; no printf, so a key can never
 * be read as a format. */
static char *fill_template(const char *tmpl, const char *key)
{
	struct buf b = BUF_INIT;
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '%' && p[1] == 's') {
			buf_puts(&b, key);
			p++;
		} else {
			buf_putc(&b, *p);
		}
	}
	return buf_detach(&b);
}

/* An action on the rows marked with Space, all of them after one
 * question that says how many; TUI_UNHANDLED when none is marked. */
static int run_on_marks(struct tui *t, struct tui_view *v, const struct tui_action *a)
{
	struct vec keys = VEC_INIT, commands = VEC_INIT;
	v->ops->marked(v, &keys);
	if (!keys.len)
		return TUI_UNHANDLED;
	struct buf list = BUF_INIT;
	char *refused = NULL;
	for (size_t i = 0; i < keys.len; i++) {
		char *why = a->refuse ? a->refuse(t, keys.items[i]) : NULL;
		if (why) {           /* the others go ahead; the first refusal is said */
			if (!refused)
				refused = why;
			else
				free(why);
			continue;
		}
		vec_push(&commands, fill_template(a->command, keys.items[i]));
		buf_printf(&list, "%s%s", list.len ? ", " : "", (const char *)keys.items[i]);
	}
	if (!commands.len) {
		int rd = tui_message(t, true, "%s: %s", a->name, refused);
		free(refused);
		buf_free(&list);
		vec_free_all(&keys, free);
		return rd;
	}
	free(refused);
	size_t n = commands.len;
	char *what = xasprintf("%s: %zu %s", a->name, n, v->ops->name);
	char *question = xasprintf("%c%s: %zu %s (%s)?",
				   a->name[0] >= 'a' && a->name[0] <= 'z'
				   ? a->name[0] - 'a' + 'A' : a->name[0], a->name + 1,
				   n, v->ops->name, buf_str(&list));
	int rd = tui_confirm_bulk(t, v, what, question, a->name, &commands);
	free(question);
	free(what);
	buf_free(&list);
	vec_free_all(&keys, free);
	return rd;
}

static int run_action(struct tui *t, const struct tui_action *a, int key)
{
	if (a->mutates && t->cfg->read_only)
		return tui_message(t, true, "read-only mode: %s refused", a->name);
	if (a->run)
		return a->run(t, a, key);
	struct tui_view *v = tui_top(t);
	if (!a->command) {       /* a key the view's handler answers */
		int rd = v->ops->handle_key ? v->ops->handle_key(v, key) : TUI_UNHANDLED;
		return rd == TUI_UNHANDLED ? RD_NONE : rd;
	}
	if (v->ops->marked) {
		int rd = run_on_marks(t, v, a);
		if (rd != TUI_UNHANDLED)
			return rd;
	}
	const char *sel = v->ops->selected ? v->ops->selected(v) : NULL;
	if (!sel)
		return tui_message(t, true, "%s: nothing selected", a->name);
	char *why = a->refuse ? a->refuse(t, sel) : NULL;
	if (why) {
		int rd = tui_message(t, true, "%s", why);
		free(why);
		return rd;
	}
	char *command = fill_template(a->command, sel);
	int rd;
	if (a->confirm) {
		char *question = fill_template(a->confirm, sel);
		rd = tui_confirm_command(t, question, a->name, command);
		free(question);
	} else {
		rd = tui_command(t, command);
	}
	free(command);
	return rd;
}

/* ---- the `/` filter line ------------------------------------------------ */

static void apply_filter(struct tui_view *v, const char *text)
{
	free(v->filter);
	v->filter = text && *text ? xstrdup(text) : NULL;
	v->ops->filter(v, v->filter);
}

static int filter_key(struct tui *t, int key)
{
	struct tui_view *v = tui_top(t);
	if (key == TK_ESC || tui_key_is_enter(key)) {
		if (key == TK_ESC)
			apply_filter(v, t->filter_before);
		else if (v->filter)
			tui_message(t, false, "filter \"%s\" (Esc clears it)", v->filter);
		t->input_mode = INPUT_NORMAL;
		tui_edit_free(&t->filter);
		return RD_BODY | RD_STATUS | RD_KEYS;
	}
	int rd = tui_edit_key(&t->filter, key);
	if (rd == TUI_UNHANDLED) {
		/* Up, Down, PgUp ... move in the filtered list meanwhile */
		rd = v->ops->handle_key && key >= TK_KEYBASE ? v->ops->handle_key(v, key)
							      : TUI_UNHANDLED;
		return rd == TUI_UNHANDLED ? RD_NONE : rd;
	}
	if (rd > 0)
		apply_filter(v, tui_edit_text(&t->filter));
	return RD_BODY | RD_STATUS;
}

/* ---- dispatch ----------------------------------------------------------- */

static int find_and_run(struct tui *t, const struct tui_action *table, size_t n,
			int key, bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (tui_action_has_key(&table[i], key)) {
			*found = true;
			return run_action(t, &table[i], key);
		}
	*found = false;
	return RD_NONE;
}

static int dispatch_normal(struct tui *t, int key)
{
	struct tui_view *v = tui_top(t);
	bool found;
	int rd = find_and_run(t, v->ops->actions, v->ops->nactions, key, &found);
	if (found)
		return rd;
	for (size_t i = 0; i < tui_nviews; i++)
		if (tui_views[i]->key && tui_views[i]->key == key)
			return str_eq(tui_views[i]->name, "help") ? tui_open_help(t)
								 : tui_switch(t, i);
	rd = find_and_run(t, tui_global_actions, tui_nglobal_actions, key, &found);
	if (found)
		return rd;
	rd = find_and_run(t, tui_nav_actions, tui_nnav_actions, key, &found);
	if (found)
		return rd;
	rd = v->ops->handle_key ? v->ops->handle_key(v, key) : TUI_UNHANDLED;
	return rd == TUI_UNHANDLED ? RD_NONE : rd;
}

int tui_dispatch(struct tui *t, int key)
{
	int rd = RD_NONE;
	if (t->message) {      /* a message lasts until the next key */
		free(t->message);
		t->message = NULL;
		rd |= RD_STATUS;
	}
	int r;
	if (t->input_mode == INPUT_PROMPT) {
		r = tui_prompt_key(t, key);
	} else if (t->input_mode == INPUT_FILTER) {
		r = filter_key(t, key);
	} else if (t->modal) {
		void *m = t->modal;
		const struct tui_modal_ops *ops = t->modal_ops;
		bool done = false;
		r = ops->key(m, t, key, &done);
		if (done) {
			t->modal = NULL;
			t->modal_ops = NULL;
			ops->free(m);
			r = (r > 0 ? r : 0) | RD_BODY | RD_KEYS;
		}
	} else {
		r = dispatch_normal(t, key);
	}
	return rd | (r > 0 ? r : 0);
}

/*
 * frame.c - the screen's layout and the frame's own lines.
 *
 *   row 0        header: project, environment, store, user@host, mode
 *   row 1        the bar of views (or where a page sits: "runs > Run 42")
 *   rows 2..n-3  the body: the top view, and a dialog over it
 *   row n-2      key hints for what can be done now
 *   row n-1      status: messages and the prompt on the left, the
 *                view's position on the right
 *
 * Each line is its own window and is drawn only when its redraw bit is
 * set; every window goes out with wnoutrefresh and the terminal is
 * updated once per frame with doupdate, so ncurses sends only the cells
 * that changed.  Below 80x24 the frame degrades: list views drop their
 * least important columns, the header its labels and user@host, the key
 * bar the hints that do not fit (help and quit stay).  Below 40x12 the
 * whole screen says what size it needs instead.
 */
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_edit.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void tui_free_windows(struct tui *t)
{
	WINDOW **wins[] = { &t->header, &t->tabs, &t->body, &t->keybar, &t->status };
	for (size_t i = 0; i < ARRAY_LEN(wins); i++)
		if (*wins[i]) {
			delwin(*wins[i]);
			*wins[i] = NULL;
		}
}

bool tui_layout(struct tui *t)
{
	tui_free_windows(t);
	getmaxyx(stdscr, t->rows, t->cols);
	t->too_small = t->rows < TUI_MIN_ROWS || t->cols < TUI_MIN_COLS;
	if (t->too_small)
		return false;
	t->header = newwin(1, t->cols, 0, 0);
	t->tabs = newwin(1, t->cols, 1, 0);
	t->body = newwin(t->rows - 4, t->cols, 2, 0);
	t->keybar = newwin(1, t->cols, t->rows - 2, 0);
	t->status = newwin(1, t->cols, t->rows - 1, 0);
	return true;
}

/* ---- header ------------------------------------------------------------- */

/* A header field, and how it gives way when the line is short: first
 * the field of `drop` order 1 (user@host), then the labels (the store's
 * first, then the project's), then each
 * shrinkable value to its least width (in `shrink` order), then the field
 * of `drop` order 2 (the project), then values below their least, then
 * the rest in `drop` order.  The environment neither shrinks nor
 * goes, nor loses its label: an operator must see where they are. */
struct field {
	const char *label;
	const char *value;
	int width;       /* the value's width as it will be drawn */
	int full;        /* the value's whole width */
	int least;       /* shrunk to no less before anything goes */
	int shrink;      /* order of shrinking (1 first); 0: never */
	int drop;        /* order of going (1 first); 0: never */
	int grow;        /* order of taking room back (1 first) */
	enum tui_cut cut;
	bool hidden;
	bool bare;       /* shown without its label */
};

static int fields_width(const struct field *f, size_t n)
{
	int total = 0, shown = 0;
	for (size_t i = 0; i < n; i++)
		if (!f[i].hidden) {
			total += (shown++ ? 3 : 0) + f[i].width +
				 (f[i].bare ? 0 : tui_text_width(f[i].label));
		}
	return total;
}

static void shrink_fields(struct field *f, size_t n, int room, bool to_least)
{
	for (int order = 1; order <= (int)n; order++)
		for (size_t i = 0; i < n; i++) {
			int excess = fields_width(f, n) - room;
			if (excess <= 0)
				return;
			if (f[i].hidden || f[i].shrink != order)
				continue;
			int floor = to_least ? f[i].least : 4;
			int target = f[i].width - excess;
			target = target > floor ? target : floor;
			f[i].width = target < f[i].width ? target : f[i].width;
		}
}

static void drop_fields(struct field *f, size_t n, int room, int upto)
{
	for (int order = 1; order <= upto; order++)
		for (size_t i = 0; i < n; i++)
			if (f[i].drop == order && fields_width(f, n) > room)
				f[i].hidden = true;
}

/* Room left over goes back to what was shrunk, the most important first. */
static void regrow_fields(struct field *f, size_t n, int room)
{
	for (int order = 1; order <= (int)n; order++)
		for (size_t i = 0; i < n; i++) {
			int spare = room - fields_width(f, n);
			if (spare <= 0)
				return;
			if (f[i].hidden || f[i].grow != order || f[i].width >= f[i].full)
				continue;
			int more = f[i].full - f[i].width;
			f[i].width += more < spare ? more : spare;
		}
}

/* Fit the fields in `room` columns.  Labels go before values are cut,
 * the store's first: "store: " is worth less than seven more characters
 * of which store. */
static void fit_fields(struct field *f, size_t n, int room)
{
	drop_fields(f, n, room, 1);
	for (int order = (int)n; order >= 1; order--)
		for (size_t i = 0; i < n; i++)
			if (f[i].drop == order && order > 1 && fields_width(f, n) > room)
				f[i].bare = true;
	shrink_fields(f, n, room, true);
	drop_fields(f, n, room, 2);       /* the project before the store */
	shrink_fields(f, n, room, false);
	drop_fields(f, n, room, (int)n);
	regrow_fields(f, n, room);
}

/* In production the environment reads PRODUCTION, in its own loud
 * attribute, whatever the environment is called. */
static char *env_text(const struct tui *t)
{
	const char *env = t->cfg->environment ? t->cfg->environment : "default";
	if (!t->production)
		return xstrdup(env);
	if (tui_is_production(&(struct tui_config){ .environment = env }))
		return xstrdup("PRODUCTION");
	return xasprintf("PRODUCTION (%s)", env);
}

/* The longest of the engines' forms ("engine vm:944 since 22:48", "engine
 * vm:944", "1 engine"; "no engine" in red) that fits right-aligned before
 * the mode while the fields keep what tells an operator where they are:
 * the environment whole, the project's start and the store's end (its
 * scheme and file with the directory above); user@host may go.  "no
 * engine" shows whenever the line has room for a field.  Returns where
 * the fields must end: `right` when no form fits. */
#define HEADER_PROJECT_KEEP 12
#define HEADER_STORE_KEEP   30
static int draw_engines(struct tui *t, const struct field *f, size_t n, int x,
			int right, attr_t base)
{
	int least = 0;
	for (size_t i = 0; i < n; i++) {
		if (f[i].drop == 1)
			continue;
		int keep = f[i].cut == TUI_CUT_URL ? HEADER_STORE_KEEP :
			   f[i].shrink ? HEADER_PROJECT_KEEP : f[i].width;
		int value = keep < f[i].width ? keep : f[i].width;
		least += (least ? 3 : 0) + value + (f[i].drop ? 0 : tui_text_width(f[i].label));
	}
	/* "no engine" is the most urgent news: it always shows, taking its
	 * room from the fields. */
	int room = t->engines_none && right - x > 30 ? INT_MAX : right - 1 - x - least;
	for (size_t i = 0; i < ARRAY_LEN(t->engines); i++) {
		int width = t->engines[i] ? tui_text_width(t->engines[i]) : 0;
		if (!width || width + 1 > room)
			continue;
		int ex = right - width - 1;
		tui_put(t->header, 0, ex, width, 0, t->engines[i],
			t->engines_none ? theme_attr(R_STATE_FAILED) | A_BOLD : base | A_BOLD);
		return ex - 1;
	}
	return right;
}

static void draw_header(struct tui *t)
{
	WINDOW *w = t->header;
	const struct tui_config *cfg = t->cfg;
	attr_t base = theme_attr(t->production ? R_HEADER_PROD : R_HEADER);
	tui_fill(w, 0, 0, t->cols, base);

	const char *mode = cfg->read_only ? " READ-ONLY " : " OPERATOR ";
	int right = t->cols - tui_text_width(mode);
	tui_put(w, 0, right, t->cols - right, 0, mode,
		theme_attr(cfg->read_only ? R_MODE_READONLY : R_MODE_OPERATOR));

	char *env = env_text(t);
	struct field f[] = {
		{ .label = "project: ", .value = cfg->project ? cfg->project : "(none)",
		  .least = 8, .shrink = 3, .drop = 2, .grow = 2, .cut = TUI_CUT_MIDDLE },
		{ .label = "env: ", .value = env },
		{ .label = "store: ", .value = cfg->store_label ? cfg->store_label : "(none)",
		  .least = HEADER_STORE_KEEP, .shrink = 2, .drop = 3, .grow = 1,
		  .cut = TUI_CUT_URL },
		{ .label = "", .value = t->user_host,
		  .least = 8, .shrink = 1, .drop = 1, .grow = 3, .cut = TUI_CUT_END },
	};
	for (size_t i = 0; i < ARRAY_LEN(f); i++)
		f[i].width = f[i].full = tui_text_width(f[i].value);
	/* The name "sluice" tells the least: narrower than 60 columns it
	 * goes, and it gives its room to the engines when they need it. */
	int x = 1, brand = t->cols >= TUI_FULL_COLS * 3 / 4 ? 8 : 0;
	int end = draw_engines(t, f, ARRAY_LEN(f), x + brand, right, base);
	if (end == right && brand) {
		end = draw_engines(t, f, ARRAY_LEN(f), x, right, base);
		brand = end == right ? brand : 0;
	}
	end--;
	if (brand) {
		x += tui_put(w, 0, x, 8, 0, "sluice", base | A_BOLD);
		x += 2;
	}
	fit_fields(f, ARRAY_LEN(f), end - x);
	bool first = true;
	for (size_t i = 0; i < ARRAY_LEN(f) && x < end; i++) {
		if (f[i].hidden)
			continue;
		if (!first) {
			tui_put(w, 0, x + 1, end - x - 1, 0, theme_sym(SYM_SEP), base);
			x += 3;
			if (x >= end)
				break;
		}
		first = false;
		if (!f[i].bare)
			x += tui_put(w, 0, x, end - x, 0, f[i].label, base);
		int vw = f[i].width < end - x ? f[i].width : end - x;
		if (vw <= 0)
			break;
		attr_t va = base | A_BOLD;
		if (i == 1 && t->production)
			va = theme_attr(R_MODE_PROD);
		tui_put_cell_cut(w, 0, x, vw, f[i].value, false, va, f[i].cut);
		x += vw;
	}
	free(env);
}

/* ---- the bar of views --------------------------------------------------- */

static void draw_crumbs(struct tui *t)
{
	WINDOW *w = t->tabs;
	attr_t a = theme_attr(R_TAB);
	struct buf b = BUF_INIT;
	buf_printf(&b, " %s", t->views[t->current].ops->name);
	for (size_t i = 0; i < t->pages.len; i++) {
		struct tui_view *v = t->pages.items[i];
		buf_printf(&b, " %s %s", theme_sym(SYM_CRUMB),
			   v->title ? v->title : v->ops->title);
	}
	int x = tui_put(w, 0, 0, t->cols - 12, 0, buf_str(&b), theme_attr(R_TITLE));
	(void)x;
	const char *back = "Esc back ";
	tui_put(w, 0, t->cols - tui_text_width(back), t->cols, 0, back, a);
	buf_free(&b);
}

/* A tab: its key, a space and its name. */
static int tab_width(const struct tui_view_ops *ops)
{
	char key[16];
	tui_key_name(ops->key, key);
	return tui_text_width(key) + 1 + tui_text_width(ops->name);
}

static void draw_tabs(struct tui *t)
{
	WINDOW *w = t->tabs;
	tui_fill(w, 0, 0, t->cols, theme_attr(R_TAB));
	if (t->pages.len) {
		draw_crumbs(t);
		return;
	}
	/* Scroll only as far as the current tab's last column needs: the gap
	 * after a tab is not part of it (counting it scrolled one column too
	 * far, so the logs tab at 80 columns lost the bar's left margin). */
	int start_x = 0;
	for (int x = 1, i = 0; i < (int)tui_nviews; i++) {
		if (!tui_views[i]->in_tabs)
			continue;
		int end = x + tab_width(tui_views[i]);
		if ((size_t)i == t->current && end > t->cols)
			start_x = end - t->cols;
		x = end + 1;
	}
	int x = 1 - start_x;
	for (size_t i = 0; i < tui_nviews; i++) {
		const struct tui_view_ops *ops = tui_views[i];
		if (!ops->in_tabs)
			continue;
		char key[16];
		tui_key_name(ops->key, key);
		bool active = i == t->current;
		int tw = tab_width(ops);
		if (x >= 0 && x + tw <= t->cols) {
			attr_t a = theme_attr(active ? R_TAB_ACTIVE : R_TAB);
			int kx = x + tui_put(w, 0, x, tw, 0, key,
					     active ? a : theme_attr(R_TAB_KEY));
			kx += tui_put(w, 0, kx, 1, 0, " ", a);
			tui_put(w, 0, kx, tw, 0, ops->name, a);
		}
		x += tw + 1;
	}
}

/* ---- key hints ---------------------------------------------------------- */

static int hint(WINDOW *w, int x, int cols, const char *key, const char *label)
{
	int need = tui_text_width(key) + 1 + tui_text_width(label) + 2;
	if (x + need - 2 > cols)
		return x;
	x += tui_put(w, 0, x, cols - x, 0, key, theme_attr(R_KEYBAR_KEY));
	x += tui_put(w, 0, x, cols - x, 0, " ", theme_attr(R_KEYBAR));
	x += tui_put(w, 0, x, cols - x, 0, label, theme_attr(R_KEYBAR));
	return x + 2;
}

static int hint_pair(WINDOW *w, int x, int cols, const char *pair)
{
	const char *sp = strchr(pair, ' ');
	if (!sp)
		return hint(w, x, cols, pair, "");
	char *key = xstrndup(pair, (size_t)(sp - pair));
	x = hint(w, x, cols, key, sp + 1);
	free(key);
	return x;
}

static void draw_keybar(struct tui *t)
{
	WINDOW *w = t->keybar;
	int cols = t->cols, x = 0;
	tui_fill(w, 0, 0, cols, theme_attr(R_KEYBAR));
	if (t->input_mode == INPUT_PROMPT) {
		if (t->matches) {
			tui_put(w, 0, 0, cols, 0, t->matches, theme_attr(R_INFO));
			return;
		}
		static const char *const p[] = { "Enter run", "Tab complete",
			"Up/Down history", "Esc cancel", NULL };
		for (size_t i = 0; p[i]; i++)
			x = hint_pair(w, x, cols, p[i]);
		return;
	}
	if (t->input_mode == INPUT_FILTER) {
		static const char *const f[] = { "Enter keep", "Esc undo",
			"^U clear", NULL };
		for (size_t i = 0; f[i]; i++)
			x = hint_pair(w, x, cols, f[i]);
		return;
	}
	if (t->modal) {
		for (size_t i = 0; t->modal_ops->hints[i]; i++)
			x = hint_pair(w, x, cols, t->modal_ops->hints[i]);
		return;
	}
	/* On a narrow screen the hints that do not fit are left out, but
	 * help and quit (or close) keep their room at the end. */
	const char *last[] = { "? help", t->pages.len ? "q close" : "q quit" };
	int keep = 0;
	for (size_t i = 0; i < ARRAY_LEN(last); i++)
		keep += tui_text_width(last[i]) + 2;
	int lead = cols - keep;
	struct tui_view *v = tui_top(t);
	for (size_t i = 0; v->ops->hints && !t->pages.len && v->ops->hints[i]; i++)
		x = hint_pair(w, x, lead, v->ops->hints[i]);
	for (size_t i = 0; i < v->ops->nactions; i++) {
		const struct tui_action *a = &v->ops->actions[i];
		if (!(a->mutates && t->cfg->read_only))
			x = hint(w, x, lead, a->label, a->name);
	}
	if (t->pages.len) {
		static const char *const pg[] = { "Esc back", "/ search",
			"Left/Right scroll", NULL };
		for (size_t i = 0; pg[i]; i++)
			x = hint_pair(w, x, lead, pg[i]);
	} else {
		static const char *const g[] = { "Enter open", "/ filter", ": command", NULL };
		for (size_t i = 0; g[i]; i++) {
			if (i == 1 && v->ops->hints)
				continue;
			x = i == 1 && v->ops->slash ? hint(w, x, lead, "/", v->ops->slash)
						    : hint_pair(w, x, lead, g[i]);
		}
	}
	for (size_t i = 0; i < ARRAY_LEN(last); i++)
		x = hint_pair(w, x, cols, last[i]);
}

/* ---- status line -------------------------------------------------------- */

static int draw_status(struct tui *t)
{
	WINDOW *w = t->status;
	int cols = t->cols;
	tui_fill(w, 0, 0, cols, theme_attr(R_STATUS));
	if (t->input_mode == INPUT_PROMPT)
		return tui_prompt_draw(t, w, cols);
	struct tui_view *v = tui_top(t);
	struct buf where = BUF_INIT;
	buf_printf(&where, "%s ", v->title ? v->title : v->ops->name);
	if (v->ops->where)
		v->ops->where(v, &where);
	int ww = tui_text_width(buf_str(&where));
	int room = cols - ww - 2;
	if (t->input_mode == INPUT_FILTER) {
		int x = tui_put(w, 0, 0, cols, 0, "/", theme_attr(R_TITLE));
		int c = tui_edit_draw(&t->filter, w, 0, x, (room > 20 ? room : cols) - x,
				      theme_attr(R_STATUS));
		if (room > 20)
			tui_put(w, 0, cols - ww - 1, ww, 0, buf_str(&where), theme_attr(R_DIM));
		buf_free(&where);
		return x + c;
	}
	bool show_where = true;
	if (t->message) {
		int mw = tui_text_width(t->message);
		show_where = mw <= room;
		tui_put_cell(w, 0, 0, show_where ? mw : cols, t->message, false,
			     theme_attr(t->message_error ? R_ERROR : R_INFO));
	}
	if (show_where)
		tui_put(w, 0, cols - ww - 1, ww, 0, buf_str(&where), theme_attr(R_DIM));
	buf_free(&where);
	return -1;
}

/* ---- the frame ---------------------------------------------------------- */

static void draw_too_small(struct tui *t)
{
	werase(stdscr);
	char *need = xasprintf("need %dx%d, have %dx%d", TUI_MIN_COLS, TUI_MIN_ROWS,
			       t->cols, t->rows);
	const char *lines[] = { "terminal too small", need,
				"enlarge it, or press q to quit" };
	int y = t->rows / 2 - 1;
	for (size_t i = 0; i < ARRAY_LEN(lines); i++, y++) {
		if (y < 0 || y >= t->rows)
			continue;
		int lw = tui_text_width(lines[i]);
		tui_put(stdscr, y, lw < t->cols ? (t->cols - lw) / 2 : 0, t->cols, 0, lines[i],
			theme_attr(i < 2 ? R_ERROR : R_NORMAL));
	}
	free(need);
	curs_set(0);
	wnoutrefresh(stdscr);
}

void tui_render(struct tui *t)
{
	unsigned d = t->dirty;
	t->dirty = 0;
	if (d & RD_CLEAR)
		clearok(curscr, TRUE);
	if (t->too_small) {
		draw_too_small(t);
		doupdate();
		tui_trace(t, "frame", (int)d);
		return;
	}
	if (d & RD_HEADER) {
		draw_header(t);
		wnoutrefresh(t->header);
	}
	if (d & RD_TABS) {
		draw_tabs(t);
		wnoutrefresh(t->tabs);
	}
	if (d & RD_BODY) {
		struct tui_view *v = tui_top(t);
		int h, w;
		getmaxyx(t->body, h, w);
		werase(t->body);
		v->ops->draw(v, t->body, h, w);
		t->modal_cy = -1;
		if (t->modal)
			t->modal_ops->draw(t->modal, t->body, h, w,
					   &t->modal_cy, &t->modal_cx);
		wnoutrefresh(t->body);
	}
	if (d & RD_KEYS) {
		draw_keybar(t);
		wnoutrefresh(t->keybar);
	}
	if (d & RD_STATUS) {
		t->status_cx = draw_status(t);
		wnoutrefresh(t->status);
	}
	/* The cursor shows only while something is being typed; the window
	 * refreshed last decides where it goes. */
	WINDOW *cw = NULL;
	int cy = 0, cx = 0;
	if (t->input_mode != INPUT_NORMAL && t->status_cx >= 0) {
		cw = t->status;
		cx = t->status_cx;
	} else if (t->modal && t->modal_cy >= 0) {
		cw = t->body;
		cy = t->modal_cy;
		cx = t->modal_cx;
	}
	if (cw) {
		wmove(cw, cy, cx);
		wnoutrefresh(cw);
		curs_set(1);
	} else {
		curs_set(0);
	}
	doupdate();
	tui_trace(t, "frame", (int)d);
}

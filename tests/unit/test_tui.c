/*
 * test_tui.c - the console's widgets and frame logic, driven directly.
 *
 * Widgets draw into real curses windows (a screen opened with newterm on
 * /dev/null) and are read back cell by cell; the frame's key dispatch,
 * actions, confirmations and command routing run on a frame without a
 * terminal, with a command layer that records what it was asked to do.
 * The tmux tests in tests/console cover the same things on a real
 * terminal; these pin down the details.
 */
#include "testutil.h"

#include <locale.h>
#include <math.h>
#include <poll.h>
#include <wchar.h>

#include "store/store.h"
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_edit.h"
#include "tui/widget_list.h"
#include "tui/widget_pager.h"
#include "tui/widget_dialog.h"
#include "tui/widget_form.h"
#include "tui/widget_sparkline.h"
#include "tui/views.h"
#include "tui/tui_int.h"

/* ---- a curses screen on /dev/null --------------------------------------- */

static SCREEN *screen;
static FILE *scr_out, *scr_in;

static void curses_up(void)
{
	ck_assert_ptr_nonnull(setlocale(LC_ALL, "C.UTF-8"));
	scr_out = fopen("/dev/null", "w");
	scr_in = fopen("/dev/null", "r");
	screen = newterm("xterm-256color", scr_out, scr_in);
	ck_assert_ptr_nonnull(screen);
	set_term(screen);
	theme_init(false, true);     /* monochrome: attributes are testable */
}

static void curses_down(void)
{
	endwin();
	delscreen(screen);
	fclose(scr_out);
	fclose(scr_in);
}

/* Line y of w as UTF-8, trailing spaces removed.  Caller frees. */
static char *line_of(WINDOW *w, int y)
{
	int width = getmaxx(w);
	struct buf b = BUF_INIT;
	for (int x = 0; x < width; x++) {
		cchar_t cc;
		wchar_t wch[CCHARW_MAX + 1];
		attr_t a;
		short pair;
		mvwin_wch(w, y, x, &cc);
		getcchar(&cc, wch, &a, &pair, NULL);
		if (wch[0] == 0)
			continue;      /* the second cell of a wide character */
		char mb[16];
		mbstate_t st;
		memset(&st, 0, sizeof st);
		size_t n = wcrtomb(mb, wch[0], &st);
		if (n != (size_t)-1)
			buf_append(&b, mb, n);
	}
	char *s = buf_detach(&b);
	if (!s)
		return xstrdup("");
	size_t len = strlen(s);
	while (len > 0 && s[len - 1] == ' ')
		s[--len] = '\0';
	return s;
}

static attr_t attr_at(WINDOW *w, int y, int x)
{
	cchar_t cc;
	wchar_t wch[CCHARW_MAX + 1];
	attr_t a;
	short pair;
	mvwin_wch(w, y, x, &cc);
	getcchar(&cc, wch, &a, &pair, NULL);
	return a;
}

/* Does any line of w contain s? */
static bool window_has(WINDOW *w, const char *s)
{
	for (int y = 0; y < getmaxy(w); y++) {
		char *line = line_of(w, y);
		bool found = strstr(line, s) != NULL;
		free(line);
		if (found)
			return true;
	}
	return false;
}

/* ---- text --------------------------------------------------------------- */

START_TEST(text_widths_count_columns)
{
	ck_assert_int_eq(tui_text_width("hello"), 5);
	ck_assert_int_eq(tui_text_width("h\xc3\xa9llo"), 5);          /* é */
	ck_assert_int_eq(tui_text_width("\xe6\x97\xa5\xe6\x9c\xac"), 4); /* two wide */
	ck_assert_int_eq(tui_text_width("a\tb"), 9);
	ck_assert_int_eq(tui_text_width("\xff\xfe"), 2);              /* invalid: '?' each */
}
END_TEST

START_TEST(text_from_data_cannot_reach_the_terminal)
{
	WINDOW *w = newwin(3, 30, 0, 0);
	tui_put(w, 0, 0, 30, 0, "\x1b[31mred\x07\r\n", A_NORMAL);
	char *line = line_of(w, 0);
	ck_assert_str_eq(line, "?[31mred???");
	free(line);
	/* clipped to its width, and scrolled sideways */
	int drawn = tui_put(w, 1, 0, 5, 2, "abcdefghij", A_NORMAL);
	ck_assert_int_eq(drawn, 5);
	line = line_of(w, 1);
	ck_assert_str_eq(line, "cdefg");
	free(line);
	/* cells: numbers to the right, long text cut with an ellipsis */
	tui_put_cell(w, 2, 0, 6, "42", true, A_NORMAL);
	tui_put_cell(w, 2, 7, 6, "orders_pipeline", false, A_NORMAL);
	line = line_of(w, 2);
	ck_assert_str_eq(line, "    42 order\xe2\x80\xa6");
	free(line);
	delwin(w);
}
END_TEST

START_TEST(text_wraps_at_spaces_and_breaks_long_words)
{
	struct vec lines = VEC_INIT;
	tui_wrap("aaa bbb ccc\n\nx abcdefghijkl", 7, &lines);
	ck_assert_int_eq(lines.len, 6);
	ck_assert_str_eq(lines.items[0], "aaa bbb");
	ck_assert_str_eq(lines.items[1], "ccc");
	ck_assert_str_eq(lines.items[2], "");
	ck_assert_str_eq(lines.items[3], "x");         /* a long word starts a line */
	ck_assert_str_eq(lines.items[4], "abcdefg");
	ck_assert_str_eq(lines.items[5], "hijkl");
	vec_free_all(&lines, free);
}
END_TEST

START_TEST(ascii_symbols_without_utf8)
{
	theme_init(false, false);
	WINDOW *w = newwin(3, 10, 0, 0);
	tui_box(w, 0, 0, 3, 10, A_NORMAL);
	char *top = line_of(w, 0), *mid = line_of(w, 1);
	ck_assert_str_eq(top, "+--------+");
	ck_assert_str_eq(mid, "|        |");
	free(top);
	free(mid);
	delwin(w);
}
END_TEST

/* ---- line editor -------------------------------------------------------- */

static void type(struct tui_edit *ed, const wchar_t *s)
{
	for (; *s; s++)
		tui_edit_key(ed, (int)*s);
}

START_TEST(edit_handles_utf8_and_emacs_keys)
{
	setlocale(LC_ALL, "C.UTF-8");
	struct tui_edit ed;
	tui_edit_init(&ed, NULL);
	type(&ed, L"h\u00e9l");
	ck_assert_str_eq(tui_edit_text(&ed), "h\xc3\xa9l");
	tui_edit_key(&ed, TK(KEY_BACKSPACE));
	tui_edit_key(&ed, 0x7f);
	ck_assert_str_eq(tui_edit_text(&ed), "h");
	tui_edit_key(&ed, TK(KEY_LEFT));
	type(&ed, L"x");
	ck_assert_str_eq(tui_edit_text(&ed), "xh");
	tui_edit_key(&ed, TK_CTRL('e'));
	type(&ed, L" two words");
	tui_edit_key(&ed, TK_CTRL('w'));
	ck_assert_str_eq(tui_edit_text(&ed), "xh two ");
	tui_edit_key(&ed, TK_CTRL('a'));
	tui_edit_key(&ed, TK_CTRL('k'));
	ck_assert_str_eq(tui_edit_text(&ed), "");
	ck_assert_int_eq(tui_edit_key(&ed, '\r'), TUI_UNHANDLED);
	ck_assert_int_eq(tui_edit_key(&ed, TK(KEY_UP)), TUI_UNHANDLED);
	tui_edit_free(&ed);
}
END_TEST

/* ---- list --------------------------------------------------------------- */

static const struct tui_column cols[] = {
	{ .title = "NAME", .width = 10 },
	{ .title = "STATE", .width = 11, .state = true },
	{ .title = "ROWS", .width = 6, .right = true, .numeric = true },
};

static void fill(struct tui_list *l, const char *const rows[][3], size_t n)
{
	tui_list_begin(l);
	for (size_t i = 0; i < n; i++)
		tui_list_add(l, rows[i][0], rows[i]);
	tui_list_end(l);
}

static const char *const some_rows[][3] = {
	{ "alpha", "LOADED", "9" },
	{ "bravo", "FAILED", "10" },
	{ "charlie", "LOAD_FAILED", "100" },
	{ "delta", "RUNNING", "-" },
};

static const char *key_at(const struct tui_list *l, size_t i)
{
	return ((struct tui_row *)l->rows.items[l->shown[i]])->key;
}

START_TEST(list_sorts_numbers_as_numbers)
{
	struct tui_list l;
	tui_list_init(&l, cols, 3);
	fill(&l, some_rows, 4);
	tui_list_sort(&l, 2, false);
	ck_assert_str_eq(key_at(&l, 0), "alpha");
	ck_assert_str_eq(key_at(&l, 1), "bravo");
	ck_assert_str_eq(key_at(&l, 2), "charlie");
	ck_assert_str_eq(key_at(&l, 3), "delta");      /* not a number: last */
	tui_list_sort(&l, 2, true);
	ck_assert_str_eq(key_at(&l, 0), "charlie");
	ck_assert_str_eq(key_at(&l, 3), "delta");      /* last either way */
	tui_list_sort_step(&l, -1);                     /* to STATE, ascending */
	ck_assert_int_eq(l.sort_col, 1);
	ck_assert_str_eq(key_at(&l, 0), "bravo");       /* FAILED < LOAD_FAILED ... */
	ck_assert_str_eq(key_at(&l, 2), "alpha");
	struct buf where = BUF_INIT;
	tui_list_where(&l, &where);                     /* still on alpha */
	ck_assert_str_eq(buf_str(&where), "3/4, by STATE\xe2\x96\xb2");
	buf_free(&where);
	tui_list_free(&l);
}
END_TEST

START_TEST(list_filters_on_state_names_and_keeps_the_selection)
{
	struct tui_list l;
	tui_list_init(&l, cols, 3);
	fill(&l, some_rows, 4);
	ck_assert(tui_list_select_key(&l, "charlie"));
	tui_list_set_filter(&l, "fail");
	ck_assert_int_eq(l.nshown, 2);                  /* FAILED and LOAD_FAILED */
	ck_assert_str_eq(tui_list_selected(&l)->key, "charlie");
	tui_list_set_filter(&l, "nothing like it");
	ck_assert_int_eq(l.nshown, 0);
	ck_assert_ptr_null(tui_list_selected(&l));
	tui_list_set_filter(&l, NULL);
	ck_assert_int_eq(l.nshown, 4);

	/* a refresh with the rows in another order keeps the same object */
	ck_assert(tui_list_select_key(&l, "bravo"));
	const char *const again[][3] = {
		{ "echo", "PAUSED", "1" }, { "bravo", "LOADED", "11" }, { "alpha", "LOADED", "9" },
	};
	fill(&l, again, 3);
	ck_assert_str_eq(tui_list_selected(&l)->key, "bravo");
	/* and when the object is gone, the selection stays in range */
	ck_assert(tui_list_select_key(&l, "alpha"));
	fill(&l, again, 1);
	ck_assert_str_eq(tui_list_selected(&l)->key, "echo");
	tui_list_free(&l);
}
END_TEST

START_TEST(list_moves_with_keys)
{
	struct tui_list l;
	tui_list_init(&l, cols, 3);
	fill(&l, some_rows, 4);
	l.page = 2;
	ck_assert_int_eq(tui_list_key(&l, 'k'), RD_NONE);   /* already at the top */
	ck_assert_int_eq(tui_list_key(&l, 'j'), RD_BODY | RD_STATUS);
	ck_assert_int_eq(l.sel, 1);
	tui_list_key(&l, TK(KEY_NPAGE));
	ck_assert_int_eq(l.sel, 3);
	tui_list_key(&l, 'g');
	ck_assert_int_eq(l.sel, 0);
	tui_list_key(&l, 'G');
	ck_assert_int_eq(l.sel, 3);
	ck_assert_int_eq(tui_list_key(&l, 'x'), TUI_UNHANDLED);
	tui_list_free(&l);
}
END_TEST

START_TEST(list_draws_columns_selection_and_empty_state)
{
	WINDOW *w = newwin(12, 40, 0, 0);
	struct tui_list l;
	tui_list_init(&l, cols, 3);
	const char *const rows[][3] = {
		{ "averyveryverylongname", "FAILED", "100" }, { "b", "LOADED", "7" },
	};
	fill(&l, rows, 2);
	tui_list_draw(&l, w, 0, 0, 12, 40);
	char *head = line_of(w, 0), *r1 = line_of(w, 1), *r2 = line_of(w, 2);
	ck_assert_str_eq(head, "NAME       STATE         ROWS");
	ck_assert_str_eq(r1, "averyvery\xe2\x80\xa6 FAILED         100");
	ck_assert_str_eq(r2, "b          LOADED           7");
	ck_assert(attr_at(w, 1, 0) & A_REVERSE);            /* the selection */
	ck_assert(!(attr_at(w, 2, 0) & A_REVERSE));
	ck_assert(attr_at(w, 2, 11) == theme_attr(R_STATE_OK));
	free(head);
	free(r1);
	free(r2);

	werase(w);
	fill(&l, rows, 0);
	tui_list_set_empty(&l, "No control store is open, so there are no pipes.");
	tui_list_draw(&l, w, 0, 0, 12, 40);
	ck_assert(window_has(w, "No control store is open"));
	ck_assert(window_has(w, "\xe2\x94\x8c"));           /* the box */
	tui_list_free(&l);
	delwin(w);
}
END_TEST

/* Task conditions that differ only in their value must not read the same
 * when cut; a path keeps its file name. */
START_TEST(list_never_cuts_two_values_alike)
{
	static const struct tui_column ccols[] = {
		TUI_COL_TEXT("CONDITION", 14),
		TUI_COL_FLEX("FILE", 8, .path = true),
	};
	WINDOW *w = newwin(6, 40, 0, 0);
	struct tui_list l;
	tui_list_init(&l, ccols, 2);
	tui_list_begin(&l);
	tui_list_add(&l, "a", (const char *const[]){ "stream_rows(orders) > 100",
						     "orders/2026/11/21/165925203361.json" });
	tui_list_add(&l, "b", (const char *const[]){ "stream_rows(orders) > 1000", "x" });
	tui_list_end(&l);
	tui_list_draw(&l, w, 0, 0, 6, 40);
	char *r1 = line_of(w, 1), *r2 = line_of(w, 2);
	ck_assert_str_eq(r1, "stream\xe2\x80\xa6) > 100 \xe2\x80\xa6/165925203361.json");
	ck_assert_str_eq(r2, "stream\xe2\x80\xa6 > 1000 x");
	free(r1);
	free(r2);
	tui_list_free(&l);
	delwin(w);

	char *cut = tui_text_fit("orders/2026/11/21/165925203361.json", 26, TUI_CUT_PATH);
	ck_assert_str_eq(cut, "orders/\xe2\x80\xa6/165925203361.json");
	free(cut);
	cut = tui_text_fit("sqlite:/srv/acme/.sluice/control.db", 27, TUI_CUT_URL);
	ck_assert_str_eq(cut, "sqlite:\xe2\x80\xa6/.sluice/control.db");
	free(cut);
}
END_TEST

/* ---- pager -------------------------------------------------------------- */

START_TEST(pager_scrolls_both_ways_and_searches)
{
	WINDOW *w = newwin(10, 40, 0, 0);
	struct tui_pager p;
	tui_pager_init(&p);
	struct buf text = BUF_INIT;
	buf_puts(&text, "HEADER\n");
	for (int i = 1; i <= 100; i++) {
		buf_printf(&text, "line %d", i);
		if (i == 50)
			for (int j = 0; j < 20; j++)
				buf_puts(&text, " .........");
		buf_putc(&text, '\n');
	}
	tui_pager_set_text(&p, buf_str(&text));
	buf_free(&text);
	tui_pager_set_header(&p, 1);
	tui_pager_draw(&p, w, 0, 0, 10, 40);
	char *l0 = line_of(w, 0), *l1 = line_of(w, 1);
	ck_assert_str_eq(l0, "HEADER");
	ck_assert_str_eq(l1, "line 1");
	free(l0);
	free(l1);

	tui_pager_key(&p, 'j');
	ck_assert_int_eq(p.top, 1);
	tui_pager_key(&p, 'G');
	ck_assert_int_eq(p.top, 91);                 /* 100 lines, 9 rows under the header */
	ck_assert_int_eq(tui_pager_key(&p, 'G'), RD_NONE);
	tui_pager_key(&p, 'g');
	ck_assert_int_eq(p.top, 0);
	for (int i = 0; i < 100; i++)
		tui_pager_key(&p, TK(KEY_RIGHT));
	ck_assert_int_eq(p.left, p.widest - 40);      /* no further than the widest line */
	tui_pager_key(&p, '0');
	ck_assert_int_eq(p.left, 0);

	ck_assert(tui_pager_search(&p, "LINE 77"));
	ck_assert_int_eq(p.match, 77);
	tui_pager_draw(&p, w, 0, 0, 10, 40);
	l0 = line_of(w, 0);
	ck_assert_str_eq(l0, "HEADER");              /* the header stays */
	free(l0);
	ck_assert(window_has(w, "line 77"));
	ck_assert(tui_pager_search(&p, "line 5"));
	ck_assert_int_eq(p.match, 5);
	tui_pager_key(&p, 'n');
	ck_assert_int_eq(p.match, 50);
	tui_pager_key(&p, 'N');
	ck_assert_int_eq(p.match, 5);
	ck_assert(!tui_pager_search(&p, "absent"));
	struct buf where = BUF_INIT;
	tui_pager_where(&p, &where);
	ck_assert(strstr(buf_str(&where), "not found"));
	buf_free(&where);
	tui_pager_free(&p);
	delwin(w);
}
END_TEST

/* ---- dialog and form ---------------------------------------------------- */

START_TEST(dialog_defaults_to_cancel)
{
	int rd;
	struct tui_dialog *d = tui_dialog_new("Confirm", "Cancel run 42?", "Cancel run");
	ck_assert_int_eq(tui_dialog_key(d, '\r', &rd), DIALOG_CANCEL);
	ck_assert_int_eq(tui_dialog_key(d, TK_ESC, &rd), DIALOG_CANCEL);
	ck_assert_int_eq(tui_dialog_key(d, 'q', &rd), DIALOG_CANCEL);
	ck_assert_int_eq(tui_dialog_key(d, 'z', &rd), DIALOG_OPEN);
	ck_assert_int_eq(tui_dialog_key(d, '\t', &rd), DIALOG_OPEN);
	ck_assert_int_eq(rd, RD_BODY);
	ck_assert_int_eq(tui_dialog_key(d, '\r', &rd), DIALOG_CONFIRM);
	tui_dialog_free(d);

	d = tui_dialog_new("Confirm", "Cancel run 42?", "Cancel run");
	ck_assert_int_eq(tui_dialog_key(d, 'y', &rd), DIALOG_CONFIRM);
	WINDOW *w = newwin(20, 80, 0, 0);
	tui_dialog_draw(d, w, 20, 80);
	ck_assert(window_has(w, "Cancel run 42?"));
	ck_assert(window_has(w, "[ Cancel ]  [ Cancel run ]"));
	tui_dialog_free(d);
	delwin(w);
}
END_TEST

static void type_keys(struct tui_form *f, const char *s)
{
	int rd;
	for (; *s; s++)
		tui_form_key(f, *s, &rd);
}

START_TEST(form_checks_before_it_submits)
{
	int rd;
	struct tui_form *f = tui_form_new("Run orders_etl", "Start");
	tui_form_add(f, "flow", "flow", NULL, "the flow to run", true, NULL);
	tui_form_add(f, "days", "days", "1", "how many days back", false, tui_check_integer);
	tui_form_add(f, "since", "since", NULL, "YYYY-MM-DD", false, tui_check_date);

	ck_assert_int_eq(tui_form_key(f, '\r', &rd), FORM_OPEN);
	ck_assert_str_eq(f->error, "flow: a value is required");
	ck_assert_int_eq(f->focus, 0);
	type_keys(f, "orders");
	tui_form_key(f, '\t', &rd);
	type_keys(f, "x");
	ck_assert_int_eq(tui_form_key(f, '\r', &rd), FORM_OPEN);
	ck_assert_str_eq(f->error, "days: \"1x\" is not a whole number");
	ck_assert_int_eq(f->focus, 1);
	tui_form_key(f, 0x7f, &rd);
	tui_form_key(f, TK(KEY_DOWN), &rd);
	type_keys(f, "2024-13-01");
	ck_assert_int_eq(tui_form_key(f, '\r', &rd), FORM_OPEN);
	ck_assert_int_eq(f->focus, 2);
	tui_form_key(f, TK_CTRL('u'), &rd);
	type_keys(f, "2024-01-05");

	WINDOW *w = newwin(20, 80, 0, 0);
	int cy, cx;
	tui_form_draw(f, w, 20, 80, &cy, &cx);
	ck_assert(window_has(w, "flow*  orders"));
	ck_assert(window_has(w, "[ Start ]"));
	ck_assert_int_ge(cy, 0);
	delwin(w);

	ck_assert_int_eq(tui_form_key(f, '\r', &rd), FORM_SUBMIT);
	ck_assert_str_eq(tui_form_value(f, "flow"), "orders");
	ck_assert_str_eq(tui_form_value(f, "days"), "1");
	ck_assert_str_eq(tui_form_value(f, "since"), "2024-01-05");
	ck_assert_ptr_null(tui_form_value(f, "nope"));
	ck_assert_int_eq(tui_form_key(f, TK_ESC, &rd), FORM_CANCEL);
	tui_form_free(f);
}
END_TEST

/* ---- sparkline ---------------------------------------------------------- */

START_TEST(sparkline_scales_to_the_largest)
{
	const double v[] = { 0, 1, 2, 4, 8, NAN };
	struct buf b = BUF_INIT;
	tui_sparkline(v, 6, 6, true, &b);
	ck_assert_str_eq(buf_str(&b), "\u2581\u2582\u2583\u2585\u2588 ");
	buf_reset(&b);
	tui_sparkline(v, 6, 6, false, &b);
	ck_assert_str_eq(buf_str(&b), "_.,-# ");
	buf_reset(&b);
	tui_sparkline(v, 5, 2, false, &b);          /* the newest values */
	ck_assert_str_eq(buf_str(&b), "-#");
	buf_reset(&b);
	const double quiet[] = { 0, 0, 0 };
	tui_sparkline(quiet, 3, 10, false, &b);
	ck_assert_str_eq(buf_str(&b), "___");
	buf_free(&b);
}
END_TEST

/* ---- key tables and the registry ---------------------------------------- */

START_TEST(view_actions_never_shadow_frame_keys)
{
	int reserved[] = { 'j', 'k', 'g', 'G', ' ', '<', '>', 'I', TK_CTRL('b'),
			   TK_CTRL('f'), TK(KEY_UP), TK(KEY_DOWN), '1', '2', '3', '4',
			   '5', '6', '7', '8', '9', '?' };
	for (size_t i = 0; i < tui_nviews; i++) {
		const struct tui_view_ops *ops = tui_views[i];
		ck_assert_ptr_nonnull(ops->open);
		ck_assert_ptr_nonnull(ops->draw);
		ck_assert_int_ge(tui_view_index(ops->name), 0);
		ck_assert_int_eq((size_t)tui_view_index(ops->name), i);
		for (size_t j = 0; j < i && ops->key; j++)  /* 0: no key of its own */
			ck_assert_int_ne(ops->key, tui_views[j]->key);
		for (size_t a = 0; a < ops->nactions; a++) {
			const struct tui_action *act = &ops->actions[a];
			ck_assert(act->label && act->name && act->help);
			ck_assert_msg(act->run || act->command, "%s: %s does nothing",
				      ops->name, act->name);
			for (size_t g = 0; g < tui_nglobal_actions; g++)
				for (size_t k = 0; k < 3 && act->keys[k]; k++)
					ck_assert_msg(!tui_action_has_key(
							      &tui_global_actions[g], act->keys[k]),
						      "%s: %s shadows %s", ops->name,
						      act->name, tui_global_actions[g].name);
			/* Space marks rows in lists (k9s); it pages elsewhere */
			for (size_t r = 0; r < ARRAY_LEN(reserved); r++)
				ck_assert_msg(!tui_action_has_key(act, reserved[r]) ||
					      (reserved[r] == ' ' && str_eq(act->name, "mark")),
					      "%s: %s takes a navigation key",
					      ops->name, act->name);
		}
	}
	for (size_t g = 0; g < tui_nglobal_actions; g++)
		ck_assert(!tui_global_actions[g].mutates);
}
END_TEST

/* ---- the frame, without a terminal -------------------------------------- */

static struct vec executed;

static int record_execute(void *arg, const char *line, struct buf *out, struct err *e)
{
	(void)arg;
	vec_push(&executed, xstrdup(line));
	if (str_starts_with(line, "retry"))
		return err_set(e, ERR_CONFLICT, "run 42 has not failed");
	if (str_starts_with(line, "show"))
		buf_puts(out, "ID  FLOW\n42  orders\n");
	else
		buf_printf(out, "ok: %s\n", line);
	return 0;
}

static bool record_mutates(void *arg, const char *line)
{
	(void)arg;
	return str_starts_with(line, "run ");
}

static struct tui_config frame_cfg;
static struct tui frame;

static void frame_up(void)
{
	memset(&frame_cfg, 0, sizeof frame_cfg);
	frame_cfg.execute = record_execute;
	frame_cfg.mutates = record_mutates;
	memset(&frame, 0, sizeof frame);
	frame.cfg = &frame_cfg;
	tui_open_views(&frame);
	executed = (struct vec)VEC_INIT;
}

static void frame_down(void)
{
	tui_close_views(&frame);
	tui_edit_free(&frame.filter);
	free(frame.filter_before);
	free(frame.message);
	vec_free_all(&executed, free);
}

static void keys(const int *k)
{
	for (; *k; k++)
		tui_dispatch(&frame, *k);
}

static const char *last_executed(void)
{
	return executed.len ? executed.items[executed.len - 1] : "";
}

static void give_runs_a_row(void)
{
	int runs = tui_view_index("runs");
	tui_command(&frame, "runs");
	ck_assert_int_eq(frame.current, runs);
	struct tui_list *l = tui_list_view_list(&frame.views[runs]);
	const char *cells[] = { "42", "orders", "RUNNING", "manual", "1m ago", "1m", "1000", "" };
	tui_list_begin(l);
	tui_list_add(l, "42", cells);
	tui_list_end(l);
}

START_TEST(destructive_actions_ask_and_default_to_cancel)
{
	give_runs_a_row();
	keys((int[]){ 'c', 0 });
	ck_assert_ptr_nonnull(frame.modal);
	keys((int[]){ '\r', 0 });                 /* Enter on the default: Cancel */
	ck_assert_ptr_null(frame.modal);
	ck_assert_int_eq(executed.len, 0);
	ck_assert_str_eq(frame.message, "not confirmed: nothing was done");

	keys((int[]){ 'c', '\t', '\r', 0 });
	ck_assert_int_eq(executed.len, 1);
	ck_assert_str_eq(last_executed(), "cancel 42");
	ck_assert_str_eq(frame.message, "ok: cancel 42");
	ck_assert(!frame.message_error);

	/* a command refreshes the views: without a store the row is gone */
	ck_assert_ptr_null(tui_list_view_selected(&frame.views[frame.current]));
	give_runs_a_row();
	keys((int[]){ 'R', 0 });                  /* no question for a retry */
	ck_assert_str_eq(last_executed(), "retry 42");
	ck_assert(frame.message_error);
	ck_assert_str_eq(frame.message, "run 42 has not failed");
}
END_TEST

START_TEST(read_only_refuses_mutating_actions)
{
	frame_cfg.read_only = true;
	give_runs_a_row();
	keys((int[]){ 'c', 0 });
	ck_assert_ptr_null(frame.modal);
	ck_assert(frame.message_error);
	ck_assert_str_eq(frame.message, "read-only mode: cancel run refused");
	tui_command(&frame, "run orders_etl");
	ck_assert_str_eq(frame.message, "read-only mode: run refused");
	ck_assert_int_eq(executed.len, 0);
	tui_command(&frame, "show runs");          /* reading is fine */
	ck_assert_int_eq(executed.len, 1);
}
END_TEST

START_TEST(commands_switch_views_open_pages_and_quit)
{
	tui_command(&frame, "tasks");
	ck_assert_int_eq(frame.current, tui_view_index("tasks"));
	tui_command(&frame, "runs abc");
	ck_assert_int_eq(frame.current, tui_view_index("runs"));
	ck_assert_str_eq(frame.message, "runs: no \"abc\" here");
	tui_command(&frame, "runs 99");           /* a run id opens the run */
	ck_assert_int_eq(frame.pages.len, 1);
	ck_assert_str_eq(tui_top(&frame)->title, "Run 99");
	keys((int[]){ TK_ESC, 0 });

	tui_command(&frame, "show runs");          /* several lines: a page */
	ck_assert_int_eq(frame.pages.len, 1);
	ck_assert_str_eq(tui_top(&frame)->title, "show runs");
	keys((int[]){ 'q', 0 });                  /* q closes the page first */
	ck_assert_int_eq(frame.pages.len, 0);
	ck_assert(!frame.quit);

	keys((int[]){ '?', 0 });
	ck_assert_str_eq(tui_top(&frame)->ops->name, "help");
	keys((int[]){ TK_ESC, 0 });
	ck_assert_int_eq(frame.pages.len, 0);

	frame_cfg.execute = NULL;
	tui_command(&frame, "frobnicate");
	ck_assert(strstr(frame.message, "unknown command \"frobnicate\""));
	keys((int[]){ 'q', 0 });
	ck_assert(frame.quit);
}
END_TEST

START_TEST(filter_applies_as_typed_and_esc_undoes)
{
	give_runs_a_row();
	struct tui_list *l = tui_list_view_list(&frame.views[frame.current]);
	keys((int[]){ '/', 'r', 'u', 'n', 0 });
	ck_assert_int_eq(frame.input_mode, INPUT_FILTER);
	ck_assert_str_eq(l->filter, "run");         /* RUNNING matches */
	ck_assert_int_eq(l->nshown, 1);
	keys((int[]){ 'x', 0 });
	ck_assert_int_eq(l->nshown, 0);
	keys((int[]){ TK_ESC, 0 });
	ck_assert_int_eq(frame.input_mode, INPUT_NORMAL);
	ck_assert_ptr_null(l->filter);
	keys((int[]){ '/', 'o', 'r', 'd', '\r', 0 });
	ck_assert_str_eq(l->filter, "ord");
	keys((int[]){ TK_ESC, 0 });                 /* Esc in the view clears it */
	ck_assert_ptr_null(l->filter);
	keys((int[]){ '\r', 0 });                   /* Enter opens the row */
	ck_assert_int_eq(frame.pages.len, 1);
	ck_assert_str_eq(tui_top(&frame)->title, "Run 42");
}
END_TEST

static int submitted;

static int submit_run(struct tui *t, const struct tui_form *f, void *arg)
{
	ck_assert_str_eq(arg, "orders_etl");
	submitted++;
	char *line = xasprintf("run %s days=%s", (char *)arg, tui_form_value(f, "days"));
	int rd = tui_command(t, line);
	free(line);
	return rd;
}

START_TEST(forms_collect_parameters_for_a_command)
{
	struct tui_form *f = tui_form_new("Run orders_etl", "Start");
	tui_form_add(f, "days", "days", NULL, NULL, true, tui_check_integer);
	tui_open_form(&frame, f, submit_run, "orders_etl");
	ck_assert_ptr_nonnull(frame.modal);
	keys((int[]){ 'q', '\r', 0 });           /* q is text here, and not a number */
	ck_assert_ptr_nonnull(frame.modal);
	ck_assert_int_eq(submitted, 0);
	keys((int[]){ 0x7f, '7', '\r', 0 });
	ck_assert_ptr_null(frame.modal);
	ck_assert_int_eq(submitted, 1);
	ck_assert_str_eq(last_executed(), "run orders_etl days=7");
	ck_assert(!frame.quit);

	f = tui_form_new("Run orders_etl", "Start");
	tui_open_form(&frame, f, submit_run, "orders_etl");
	keys((int[]){ TK_ESC, 0 });
	ck_assert_ptr_null(frame.modal);
	ck_assert_int_eq(submitted, 1);
}
END_TEST

START_TEST(wake_descriptor_wakes_poll)
{
	struct err e;
	int fd = tui_wake_open(&e);
	ck_assert_int_gt(fd, 2);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	for (int i = 0; i < 3; i++)
		tui_wake(fd);                   /* never blocks, any number of times */
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	uint64_t n;
	ck_assert_int_eq(read(fd, &n, sizeof n), sizeof n);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	close(fd);
}
END_TEST


/* ---- phase 2: formats, sort keys, styled pages, comparisons ---------------- */

START_TEST(formats_for_numbers_words_and_lines)
{
	char out[64];
	tui_fmt_count(1234567, out, sizeof out);
	ck_assert_str_eq(out, "1,234,567");
	tui_fmt_count(-1000, out, sizeof out);
	ck_assert_str_eq(out, "-1,000");
	tui_fmt_count(999, out, sizeof out);
	ck_assert_str_eq(out, "999");
	tui_fmt_ago(1000, 0, out, sizeof out);
	ck_assert_str_eq(out, "-");
	tui_first_line("first\nsecond", out, sizeof out);
	ck_assert_str_eq(out, "first");
	struct buf b = BUF_INIT;
	tui_quote_word(&b, "orders_etl");
	buf_putc(&b, ' ');
	tui_quote_word(&b, "label=from the console");
	buf_putc(&b, ' ');
	tui_quote_word(&b, "it's");
	ck_assert_str_eq(buf_str(&b), "orders_etl 'label=from the console' 'it'\\''s'");
	buf_free(&b);
}
END_TEST

START_TEST(list_sorts_by_sort_keys_and_counts_with_commas)
{
	static const struct tui_column when_rows[] = {
		{ .title = "WHEN", .width = 8, .numeric = true },
		{ .title = "ROWS", .width = 8, .right = true, .numeric = true },
	};
	struct tui_list l;
	tui_list_init(&l, when_rows, 2);
	tui_list_begin(&l);
	tui_list_add_sorted(&l, "a", (const char *[]){ "2h ago", "1,200" },
			    (const char *[]){ "100", NULL });
	tui_list_add_sorted(&l, "b", (const char *[]){ "5m ago", "900" },
			    (const char *[]){ "7100", NULL });
	tui_list_add_sorted(&l, "c", (const char *[]){ "3d ago", "10,000" },
			    (const char *[]){ "5", NULL });
	tui_list_end(&l);
	tui_list_sort(&l, 0, true);               /* newest first, not "5m" < "3d" */
	ck_assert_str_eq(((struct tui_row *)l.rows.items[l.shown[0]])->key, "b");
	ck_assert_str_eq(((struct tui_row *)l.rows.items[l.shown[2]])->key, "c");
	tui_list_sort(&l, 1, false);              /* 900 < 1,200 < 10,000 */
	ck_assert_str_eq(((struct tui_row *)l.rows.items[l.shown[0]])->key, "b");
	ck_assert_str_eq(((struct tui_row *)l.rows.items[l.shown[1]])->key, "a");
	ck_assert_str_eq(((struct tui_row *)l.rows.items[l.shown[2]])->key, "c");
	tui_list_free(&l);
}
END_TEST

START_TEST(styled_pages_keep_state_attributes_and_scroll)
{
	struct tui_pager p;
	tui_pager_init(&p);
	struct tui_doc d;
	tui_doc_begin(&d, &p);
	tui_doc_put(&d, R_NORMAL, "run 7 ");
	tui_doc_state(&d, "FAILED", 0);
	tui_doc_put(&d, R_NORMAL, " bad\x1b[2Jbytes\nsecond line");
	tui_doc_end(&d);
	ck_assert_int_eq(p.lines.len, 2);
	WINDOW *w = newwin(4, 40, 0, 0);
	tui_pager_draw(&p, w, 0, 0, 4, 40);
	char *line = line_of(w, 0);
	ck_assert_str_eq(line, "run 7 FAILED bad?[2Jbytes");
	free(line);
	ck_assert(attr_at(w, 0, 6) & A_REVERSE);     /* FAILED: monochrome mark */
	ck_assert(!(attr_at(w, 0, 0) & A_REVERSE));
	/* sideways, the roles stay with their characters */
	p.widest = 60;
	p.left = 4;
	werase(w);
	tui_pager_draw(&p, w, 0, 0, 4, 20);
	line = line_of(w, 0);
	ck_assert(str_starts_with(line, "7 FAILED"));
	free(line);
	ck_assert(attr_at(w, 0, 2) & A_REVERSE);
	/* a refresh keeps the position */
	tui_doc_begin(&d, &p);
	tui_doc_put(&d, R_NORMAL, "again");
	tui_doc_end(&d);
	ck_assert_int_eq(p.lines.len, 1);
	delwin(w);
	tui_pager_free(&p);
}
END_TEST

START_TEST(comparison_summaries_read_what_is_there)
{
	char out[128];
	tui_backfill_summary("{\"tables\":[{\"table\":\"a\",\"changed\":12,"
			     "\"only_backfill\":3,\"only_current\":1},"
			     "{\"table\":\"b\",\"changed\":\"1000\"}]}", out, sizeof out);
	ck_assert_str_eq(out, "2 tables: 1,012 changed, 3 new, 1 gone");
	tui_backfill_summary(NULL, out, sizeof out);
	ck_assert_str_eq(out, "");
	tui_backfill_summary("not json", out, sizeof out);
	ck_assert_str_eq(out, "");
}
END_TEST

static Suite *tui_suite(void)
{
	Suite *s = suite_create("tui");
	TCase *tc = tcase_create("widgets");
	tcase_add_checked_fixture(tc, curses_up, curses_down);
	tcase_add_test(tc, text_widths_count_columns);
	tcase_add_test(tc, text_from_data_cannot_reach_the_terminal);
	tcase_add_test(tc, text_wraps_at_spaces_and_breaks_long_words);
	tcase_add_test(tc, ascii_symbols_without_utf8);
	tcase_add_test(tc, edit_handles_utf8_and_emacs_keys);
	tcase_add_test(tc, list_sorts_numbers_as_numbers);
	tcase_add_test(tc, list_filters_on_state_names_and_keeps_the_selection);
	tcase_add_test(tc, list_moves_with_keys);
	tcase_add_test(tc, list_draws_columns_selection_and_empty_state);
	tcase_add_test(tc, list_never_cuts_two_values_alike);
	tcase_add_test(tc, pager_scrolls_both_ways_and_searches);
	tcase_add_test(tc, dialog_defaults_to_cancel);
	tcase_add_test(tc, form_checks_before_it_submits);
	tcase_add_test(tc, sparkline_scales_to_the_largest);
	tcase_add_test(tc, formats_for_numbers_words_and_lines);
	tcase_add_test(tc, list_sorts_by_sort_keys_and_counts_with_commas);
	tcase_add_test(tc, styled_pages_keep_state_attributes_and_scroll);
	tcase_add_test(tc, comparison_summaries_read_what_is_there);
	suite_add_tcase(s, tc);

	tc = tcase_create("frame");
	tcase_add_checked_fixture(tc, frame_up, frame_down);
	tcase_add_test(tc, view_actions_never_shadow_frame_keys);
	tcase_add_test(tc, destructive_actions_ask_and_default_to_cancel);
	tcase_add_test(tc, read_only_refuses_mutating_actions);
	tcase_add_test(tc, commands_switch_views_open_pages_and_quit);
	tcase_add_test(tc, filter_applies_as_typed_and_esc_undoes);
	tcase_add_test(tc, forms_collect_parameters_for_a_command);
	tcase_add_test(tc, wake_descriptor_wakes_poll);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(tui_suite)

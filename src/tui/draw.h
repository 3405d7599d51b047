/*
 * draw.h - drawing text into curses windows by display width, safely:
 * what every widget and view draws with.
 */
#ifndef SLUICE_TUI_DRAW_H
#define SLUICE_TUI_DRAW_H

#include "core/core.h"
#include "tui/theme.h"

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
/* How a value too wide for its cell is cut: its end, its middle (two
 * names that differ at the end stay different), a path's middle
 * directories (orders/…/165925203361.json), or a URL's middle, keeping
 * its scheme and as much of its end as fits (sqlite:…prod/.sluice/control.db). */
enum tui_cut { TUI_CUT_END, TUI_CUT_MIDDLE, TUI_CUT_PATH, TUI_CUT_URL };
/* A copy of s that fits in `width` columns, cut as `how` says with an
 * ellipsis where text was left out; s itself when it fits. */
char *tui_text_fit(const char *s, int width, enum tui_cut how);
/* Draw s in a cell of `width` columns, aligned, cut with an ellipsis and
 * padded with spaces in the same attribute. */
void tui_put_cell(WINDOW *w, int y, int x, int width, const char *s,
		  bool right, attr_t a);
void tui_put_cell_cut(WINDOW *w, int y, int x, int width, const char *s,
		      bool right, attr_t a, enum tui_cut how);
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

#endif

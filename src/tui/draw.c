/*
 * draw.c - putting text on the screen safely.
 *
 * Everything the console shows passes through tui_put: names, error
 * messages and rows that came from databases and files.  It decodes UTF-8
 * with the C library (so a non-UTF-8 locale shows '?' for what it cannot
 * represent), counts display columns, never writes past the given width,
 * and turns control characters into '?' so that data cannot move the
 * cursor or send escape sequences to the terminal.
 */
#include "tui/draw.h"
#include "tui/theme.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>

/* Decode one character of s (n bytes left): its code point, length in
 * bytes and display width, with every oddity made printable. */
static size_t next_char(const char *s, size_t n, mbstate_t *st, wchar_t *wc, int *cw)
{
	size_t len = mbrtowc(wc, s, n, st);
	if (len == (size_t)-1 || len == (size_t)-2 || len == 0) {
		memset(st, 0, sizeof *st);
		*wc = L'?';
		len = 1;
	}
	if (*wc == L'\t') {
		*cw = 1;    /* the caller expands tabs */
		return len;
	}
	int w = wcwidth(*wc);
	if (*wc < 0x20 || *wc == 0x7f || (*wc >= 0x80 && *wc < 0xa0) || w < 0) {
		*wc = L'?';
		w = 1;
	}
	*cw = w;
	return len;
}

static void put_wc(WINDOW *w, int y, int x, wchar_t wc, attr_t a)
{
	cchar_t cc;
	wchar_t ws[2] = { wc, 0 };
	setcchar(&cc, ws, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
	mvwadd_wch(w, y, x, &cc);
}

int tui_text_width(const char *s)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = s ? strlen(s) : 0;
	int col = 0;
	while (n > 0) {
		wchar_t wc;
		int cw;
		size_t len = next_char(s, n, &st, &wc, &cw);
		col += wc == L'\t' ? 8 - col % 8 : cw;
		s += len;
		n -= len;
	}
	return col;
}

char *tui_text_cut(const char *s, int width)
{
	/* One pass: the longest prefix that ends before the first byte of a
	 * character (or at the end) and fits.  Columns only grow along the
	 * string, so the scan stops at the first one that does not fit. */
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = strlen(s), at = 0, best = 0;
	int col = 0;
	while (col <= width) {
		if (at == n || ((unsigned char)s[at] & 0xc0) != 0x80)
			best = at;
		if (at == n)
			break;
		wchar_t wc;
		int cw;
		at += next_char(s + at, n - at, &st, &wc, &cw);
		col += wc == L'\t' ? 8 - col % 8 : cw;
	}
	return xstrndup(s, best);
}

int tui_put(WINDOW *w, int y, int x, int width, int skip, const char *s, attr_t a)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = s ? strlen(s) : 0;
	int col = 0, drawn = 0;
	while (n > 0 && drawn < width) {
		wchar_t wc;
		int cw;
		size_t len = next_char(s, n, &st, &wc, &cw);
		s += len;
		n -= len;
		if (wc == L'\t') {
			wc = L' ';
			cw = 8 - col % 8;
			for (int i = 0; i < cw && drawn < width; i++, col++)
				if (col >= skip)
					put_wc(w, y, x + drawn++, wc, a);
			continue;
		}
		if (col + cw <= skip) {
			col += cw;
			continue;
		}
		if (col < skip) {
			/* a wide character cut by the left edge: show its
			 * visible part as spaces */
			for (int i = col + cw - skip; i > 0 && drawn < width; i--)
				put_wc(w, y, x + drawn++, L' ', a);
			col += cw;
			continue;
		}
		if (drawn + cw > width)
			break;
		put_wc(w, y, x + drawn, wc, a);
		drawn += cw;
		col += cw;
	}
	return drawn;
}

void tui_fill(WINDOW *w, int y, int x, int width, attr_t a)
{
	for (int i = 0; i < width; i++)
		put_wc(w, y, x + i, L' ', a);
}

/* The longest end of s, from a character boundary, that fits. */
static const char *text_tail(const char *s, int width)
{
	const char *p = s;
	while (*p && tui_text_width(p) > width) {
		p++;
		while (((unsigned char)*p & 0xc0) == 0x80)
			p++;
	}
	return p;
}

static char *cut_end(const char *s, int width)
{
	const char *ell = theme_sym(SYM_ELLIPSIS);
	char *head = tui_text_cut(s, width - tui_text_width(ell));
	char *out = xasprintf("%s%s", head, ell);
	free(head);
	return out;
}

/* The start and, a little longer, the end: names tend to differ at the
 * end (orders_eu, orders_us; count > 100, count > 1000). */
static char *cut_middle(const char *s, int width)
{
	const char *ell = theme_sym(SYM_ELLIPSIS);
	int room = width - tui_text_width(ell);
	if (room < 2)
		return cut_end(s, width);
	char *head = tui_text_cut(s, room / 2);
	const char *tail = text_tail(s, room - tui_text_width(head));
	char *out = xasprintf("%s%s%s", head, ell, tail);
	free(head);
	return out;
}

/* The first directory and the file name, else the file name's end. */
static char *cut_path(const char *s, int width)
{
	const char *ell = theme_sym(SYM_ELLIPSIS);
	const char *first = strchr(s, '/'), *last = strrchr(s, '/');
	if (!last)
		return cut_middle(s, width);
	if (first != last) {
		char *out = xasprintf("%.*s%s%s", (int)(first - s + 1), s, ell, last);
		if (tui_text_width(out) <= width)
			return out;
		free(out);
	}
	char *out = xasprintf("%s%s", ell, last);
	if (tui_text_width(out) <= width)
		return out;
	free(out);
	return cut_middle(last + 1, width);
}

static char *cut_url(const char *s, int width)
{
	const char *ell = theme_sym(SYM_ELLIPSIS);
	const char *colon = strchr(s, ':');
	int scheme = colon ? (int)(colon - s + 1) : 0;
	if (!colon || scheme > 12 || width - scheme - tui_text_width(ell) < 8)
		return cut_middle(s, width);
	const char *tail = text_tail(s + scheme, width - scheme - tui_text_width(ell));
	return xasprintf("%.*s%s%s", scheme, s, ell, tail);
}

char *tui_text_fit(const char *s, int width, enum tui_cut how)
{
	if (tui_text_width(s) <= width)
		return xstrdup(s);
	if (width <= 1)
		return tui_text_cut(s, width);
	switch (how) {
	case TUI_CUT_MIDDLE: return cut_middle(s, width);
	case TUI_CUT_PATH:   return cut_path(s, width);
	case TUI_CUT_URL:    return cut_url(s, width);
	case TUI_CUT_END:    break;
	}
	return cut_end(s, width);
}

void tui_put_cell_cut(WINDOW *w, int y, int x, int width, const char *s,
		      bool right, attr_t a, enum tui_cut how)
{
	if (width <= 0)
		return;
	if (how == TUI_CUT_END || tui_text_width(s) <= width) {
		tui_put_cell(w, y, x, width, s, right, a);
		return;
	}
	char *cut = tui_text_fit(s, width, how);
	tui_put_cell(w, y, x, width, cut, right, a);
	free(cut);
}

void tui_put_cell(WINDOW *w, int y, int x, int width, const char *s,
		  bool right, attr_t a)
{
	if (width <= 0)
		return;
	int tw = tui_text_width(s);
	if (tw <= width) {
		int pad = width - tw;
		if (right) {
			tui_fill(w, y, x, pad, a);
			tui_put(w, y, x + pad, tw, 0, s, a);
		} else {
			tui_put(w, y, x, tw, 0, s, a);
			tui_fill(w, y, x + tw, pad, a);
		}
		return;
	}
	int drawn = tui_put(w, y, x, width - 1, 0, s, a);
	tui_fill(w, y, x + drawn, width - 1 - drawn, a);
	tui_put(w, y, x + width - 1, 1, 0, theme_sym(SYM_ELLIPSIS), a);
}

void tui_hline(WINDOW *w, int y, int x, int width, attr_t a)
{
	const char *h = theme_sym(SYM_HLINE);
	for (int i = 0; i < width; i++)
		tui_put(w, y, x + i, 1, 0, h, a);
}

void tui_box(WINDOW *w, int y, int x, int h, int width, attr_t a)
{
	if (h < 2 || width < 2)
		return;
	tui_put(w, y, x, 1, 0, theme_sym(SYM_ULCORNER), a);
	tui_hline(w, y, x + 1, width - 2, a);
	tui_put(w, y, x + width - 1, 1, 0, theme_sym(SYM_URCORNER), a);
	for (int i = 1; i < h - 1; i++) {
		tui_put(w, y + i, x, 1, 0, theme_sym(SYM_VLINE), a);
		tui_put(w, y + i, x + width - 1, 1, 0, theme_sym(SYM_VLINE), a);
	}
	tui_put(w, y + h - 1, x, 1, 0, theme_sym(SYM_LLCORNER), a);
	tui_hline(w, y + h - 1, x + 1, width - 2, a);
	tui_put(w, y + h - 1, x + width - 1, 1, 0, theme_sym(SYM_LRCORNER), a);
}

/* Bytes of the longest prefix of s[0..n) that fits in `width` columns
 * (at least one character, so that wrapping always makes progress). */
static size_t fit_prefix(const char *s, size_t n, int width)
{
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t used = 0;
	int col = 0;
	while (used < n) {
		wchar_t wc;
		int cw;
		size_t len = next_char(s + used, n - used, &st, &wc, &cw);
		if (col + cw > width && used > 0)
			break;
		col += cw;
		used += len;
	}
	return used;
}

static void wrap_paragraph(const char *p, size_t n, int width, struct vec *out)
{
	struct buf line = BUF_INIT;
	int line_w = 0;
	size_t i = 0;
	for (;;) {
		while (i < n && p[i] == ' ')
			i++;
		if (i >= n)
			break;
		size_t start = i;
		while (i < n && p[i] != ' ')
			i++;
		char *word = xstrndup(p + start, i - start);
		int ww = tui_text_width(word);
		if (line_w > 0 && line_w + 1 + ww > width) {
			vec_push(out, buf_detach(&line));
			line_w = 0;
		}
		const char *rest = word;
		size_t rest_n = strlen(word);
		while (ww > width) {
			/* a word longer than the line: break it hard */
			int room = width - line_w - (line_w ? 1 : 0);
			size_t cut = fit_prefix(rest, rest_n, room);
			if (line_w)
				buf_putc(&line, ' ');
			buf_append(&line, rest, cut);
			vec_push(out, buf_detach(&line));
			line_w = 0;
			rest += cut;
			rest_n -= cut;
			ww = tui_text_width(rest);
		}
		if (rest_n > 0) {
			if (line_w > 0) {
				buf_putc(&line, ' ');
				line_w++;
			}
			buf_append(&line, rest, rest_n);
			line_w += ww;
		}
		free(word);
	}
	vec_push(out, line.data ? buf_detach(&line) : xstrdup(""));
}

void tui_wrap(const char *text, int width, struct vec *out)
{
	if (width < 1)
		width = 1;
	const char *p = text ? text : "";
	for (;;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		wrap_paragraph(p, n, width, out);
		if (!nl)
			break;
		p = nl + 1;
	}
}

const char *tui_strcasestr(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return n == 0 ? hay : NULL;
}

void tui_notice(WINDOW *w, int y, int x, int h, int width, const char *text)
{
	int inner = width - 8 < 68 ? width - 8 : 68;
	if (inner < 10 || h < 3)
		return;
	struct vec lines = VEC_INIT;
	tui_wrap(text, inner, &lines);
	int widest = 0;
	for (size_t i = 0; i < lines.len; i++) {
		int lw = tui_text_width(lines.items[i]);
		widest = lw > widest ? lw : widest;
	}
	int bh = (int)lines.len + 4, bw = widest + 6;
	if (bh > h)
		bh = h;
	int by = y + (h - bh) / 2, bx = x + (width - bw) / 2;
	tui_box(w, by, bx, bh, bw, theme_attr(R_BORDER));
	for (int i = 1; i < bh - 1; i++)
		tui_fill(w, by + i, bx + 1, bw - 2, theme_attr(R_NORMAL));
	for (size_t i = 0; i < lines.len && (int)i < bh - 4; i++)
		tui_put(w, by + 2 + (int)i, bx + 3, widest, 0, lines.items[i],
			theme_attr(i == 0 ? R_TITLE : R_NORMAL));
	vec_free_all(&lines, free);
}


int tui_put_styled(WINDOW *w, int y, int x, int width, int skip, const char *s,
		   const unsigned char *roles, attr_t over)
{
	if (!roles)
		return tui_put(w, y, x, width, skip, s, over ? over : theme_attr(R_NORMAL));
	size_t n = strlen(s), i = 0;
	int col = 0, drawn = 0;
	while (i < n && drawn < width) {
		size_t j = i;
		while (j < n && roles[j] == roles[i])
			j++;
		char *run = xstrndup(s + i, j - i);
		int rw = tui_text_width(run);
		if (col + rw > skip) {
			int sk = skip > col ? skip - col : 0;
			attr_t a = over ? over : theme_attr((enum tui_role)roles[i]);
			drawn += tui_put(w, y, x + drawn, width - drawn, sk, run, a);
		}
		col += rw;
		free(run);
		i = j;
	}
	return drawn;
}

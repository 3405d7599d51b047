/*
 * widget_pager.c - long text, scrolled both ways (help, details, results,
 * table previews).
 *
 * Like pspg: lines are never wrapped, Left/Right scroll sideways, and a
 * few header lines (a table preview's column names) stay put while the
 * rest scrolls under them.  Search is case-insensitive; the line of the
 * current match is highlighted and n/N move between matches.
 */
#include "tui/widget_pager.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_STEP 8

void tui_pager_init(struct tui_pager *p)
{
	memset(p, 0, sizeof *p);
	p->match = SIZE_MAX;
}

void tui_pager_free(struct tui_pager *p)
{
	vec_free_all(&p->lines, free);
	vec_free_all(&p->roles, free);
	free(p->search);
	tui_pager_init(p);
}

void tui_pager_add_styled(struct tui_pager *p, const char *line,
			  const unsigned char *roles)
{
	size_t n = strlen(line);
	unsigned char *copy = NULL;
	if (roles) {
		copy = xmalloc(n + 1);
		memcpy(copy, roles, n);
		copy[n] = 0;
	}
	vec_push(&p->roles, copy);     /* NULL for a plain line */
	vec_push(&p->lines, xstrdup(line));
	int w = tui_text_width(line);
	if (w > p->widest)
		p->widest = w;
}

void tui_pager_clear(struct tui_pager *p)
{
	vec_free_all(&p->lines, free);
	vec_free_all(&p->roles, free);
	p->widest = 0;
}

static const unsigned char *line_roles(const struct tui_pager *p, size_t i)
{
	return i < p->roles.len ? p->roles.items[i] : NULL;
}

void tui_pager_add_line(struct tui_pager *p, const char *line)
{
	tui_pager_add_styled(p, line, NULL);
}

void tui_pager_set_text(struct tui_pager *p, const char *text)
{
	tui_pager_clear(p);
	p->top = 0;
	p->left = 0;
	p->match = SIZE_MAX;
	const char *s = text ? text : "";
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char *line = xstrndup(s, n);
		tui_pager_add_line(p, line);
		free(line);
		s += n + (nl ? 1 : 0);
	}
}

void tui_pager_set_header(struct tui_pager *p, size_t lines)
{
	p->header = lines;
}

static size_t body_lines(const struct tui_pager *p)
{
	return p->lines.len > p->header ? p->lines.len - p->header : 0;
}

static size_t body_rows(const struct tui_pager *p)
{
	int rows = p->page_rows - (int)p->header;
	return rows > 1 ? (size_t)rows : 1;
}

static size_t max_top(const struct tui_pager *p)
{
	size_t n = body_lines(p), rows = body_rows(p);
	return n > rows ? n - rows : 0;
}

static int max_left(const struct tui_pager *p)
{
	int m = p->widest - p->page_cols;
	return m > 0 ? m : 0;
}

static bool line_matches(const struct tui_pager *p, size_t i)
{
	return p->search && tui_strcasestr(p->lines.items[i], p->search);
}

/* Move to the next (dir 1) or previous (dir -1) match from `from`. */
static bool find_match(struct tui_pager *p, size_t from, int dir)
{
	for (size_t i = from; i >= p->header && i < p->lines.len;) {
		if (line_matches(p, i)) {
			p->match = i;
			size_t body = i - p->header;
			if (body < p->top || body >= p->top + body_rows(p))
				p->top = body < max_top(p) ? body : max_top(p);
			return true;
		}
		if (dir > 0)
			i++;
		else if (i-- == p->header)
			break;
	}
	return false;
}

bool tui_pager_search(struct tui_pager *p, const char *text)
{
	free(p->search);
	p->search = text && *text ? xstrdup(text) : NULL;
	p->match = SIZE_MAX;
	if (!p->search)
		return false;
	return find_match(p, p->header, 1);
}

int tui_pager_key(struct tui_pager *p, int key)
{
	size_t top = p->top, page = body_rows(p);
	int left = p->left;
	switch (key) {
	case TK(KEY_UP): case 'k': case TK_CTRL('p'):
		p->top = p->top > 0 ? p->top - 1 : 0;
		break;
	case TK(KEY_DOWN): case 'j': case TK_CTRL('n'):
		p->top = p->top < max_top(p) ? p->top + 1 : p->top;
		break;
	case TK(KEY_PPAGE): case TK_CTRL('b'): case 'b':
		p->top = p->top > page ? p->top - page : 0;
		break;
	case TK(KEY_NPAGE): case TK_CTRL('f'): case ' ':
		p->top = p->top + page < max_top(p) ? p->top + page : max_top(p);
		break;
	case TK(KEY_HOME): case 'g':
		p->top = 0;
		break;
	case TK(KEY_END): case 'G':
		p->top = max_top(p);
		break;
	case TK(KEY_LEFT): case 'h':
		p->left = p->left > SIDE_STEP ? p->left - SIDE_STEP : 0;
		break;
	case TK(KEY_RIGHT): case 'l':
		p->left = p->left + SIDE_STEP < max_left(p) ? p->left + SIDE_STEP : max_left(p);
		break;
	case '0': case TK_CTRL('a'):
		p->left = 0;
		break;
	case '$': case TK_CTRL('e'):
		p->left = max_left(p);
		break;
	case 'n': case 'N':
		if (!p->search)
			return TUI_UNHANDLED;
		if (key == 'n')
			find_match(p, p->match == SIZE_MAX ? p->header : p->match + 1, 1);
		else if (p->match != SIZE_MAX && p->match > p->header)
			find_match(p, p->match - 1, -1);
		return RD_BODY | RD_STATUS;
	default:
		return TUI_UNHANDLED;
	}
	return p->top != top || p->left != left ? RD_BODY | RD_STATUS : RD_NONE;
}

void tui_pager_draw(struct tui_pager *p, WINDOW *w, int y, int x, int h, int width)
{
	p->page_rows = h;
	p->page_cols = width;
	if (p->top > max_top(p))
		p->top = max_top(p);
	if (p->left > max_left(p))
		p->left = max_left(p);
	int row = 0;
	for (size_t i = 0; i < p->header && row < h && i < p->lines.len; i++, row++) {
		attr_t a = theme_attr(R_COLHEAD);
		tui_fill(w, y + row, x, width, a);
		tui_put(w, y + row, x, width, p->left, p->lines.items[i], a);
	}
	for (size_t i = p->header + p->top; row < h; i++, row++) {
		attr_t a = theme_attr(i == p->match ? R_MATCH : R_NORMAL);
		tui_fill(w, y + row, x, width, a);
		if (i < p->lines.len)
			tui_put_styled(w, y + row, x, width, p->left, p->lines.items[i],
				       line_roles(p, i), i == p->match ? a : 0);
	}
}

void tui_pager_where(const struct tui_pager *p, struct buf *out)
{
	size_t n = body_lines(p);
	size_t first = n ? p->top + 1 : 0;
	size_t last = p->top + body_rows(p) < n ? p->top + body_rows(p) : n;
	buf_printf(out, "lines %zu-%zu/%zu", first, last, n);
	if (p->left > 0)
		buf_printf(out, ", col %d", p->left + 1);
	if (p->search)
		buf_printf(out, ", search \"%s\"%s", p->search,
			   p->match == SIZE_MAX ? " not found" : "");
}

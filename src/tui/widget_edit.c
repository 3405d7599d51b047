/*
 * widget_edit.c - a one-line text editor for the filter and form fields.
 *
 * The `:` prompt uses readline (history, completion); this is the small
 * editor for places where that would be too much: emacs-style keys,
 * UTF-8 aware, scrolled sideways so the cursor always shows.
 */
#include "tui/widget_edit.h"
#include "tui/keys.h"
#include "tui/draw.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

void tui_edit_init(struct tui_edit *ed, const char *text)
{
	ed->text = (struct buf)BUF_INIT;
	buf_puts(&ed->text, text ? text : "");
	ed->cursor = ed->text.len;
}

void tui_edit_free(struct tui_edit *ed)
{
	buf_free(&ed->text);
	ed->cursor = 0;
}

const char *tui_edit_text(const struct tui_edit *ed)
{
	return buf_str(&ed->text);
}

static bool is_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

static size_t prev_char(const struct tui_edit *ed, size_t at)
{
	if (at == 0)
		return 0;
	at--;
	while (at > 0 && is_cont(ed->text.data[at]))
		at--;
	return at;
}

static size_t next_char(const struct tui_edit *ed, size_t at)
{
	if (at >= ed->text.len)
		return ed->text.len;
	at++;
	while (at < ed->text.len && is_cont(ed->text.data[at]))
		at++;
	return at;
}

static void delete_range(struct tui_edit *ed, size_t from, size_t to)
{
	if (to <= from)
		return;
	memmove(ed->text.data + from, ed->text.data + to, ed->text.len - to + 1);
	ed->text.len -= to - from;
	ed->cursor = from;
}

static int insert_char(struct tui_edit *ed, int key)
{
	char mb[MB_LEN_MAX];
	mbstate_t st;
	memset(&st, 0, sizeof st);
	size_t n = wcrtomb(mb, (wchar_t)key, &st);
	if (n == (size_t)-1)
		return 0;     /* not representable in this locale */
	buf_reserve(&ed->text, n);
	char *d = ed->text.data;
	memmove(d + ed->cursor + n, d + ed->cursor, ed->text.len - ed->cursor + 1);
	memcpy(d + ed->cursor, mb, n);
	ed->text.len += n;
	ed->cursor += n;
	return RD_STATUS;
}

static size_t word_start(const struct tui_edit *ed)
{
	size_t at = ed->cursor;
	while (at > 0 && ed->text.data[at - 1] == ' ')
		at--;
	while (at > 0 && ed->text.data[at - 1] != ' ')
		at--;
	return at;
}

int tui_edit_key(struct tui_edit *ed, int key)
{
	if (!ed->text.data)
		buf_puts(&ed->text, "");
	size_t before = ed->cursor;
	switch (key) {
	case TK(KEY_LEFT): case TK_CTRL('b'):
		ed->cursor = prev_char(ed, ed->cursor);
		break;
	case TK(KEY_RIGHT): case TK_CTRL('f'):
		ed->cursor = next_char(ed, ed->cursor);
		break;
	case TK(KEY_HOME): case TK_CTRL('a'):
		ed->cursor = 0;
		break;
	case TK(KEY_END): case TK_CTRL('e'):
		ed->cursor = ed->text.len;
		break;
	case TK(KEY_DC): case TK_CTRL('d'):
		if (ed->cursor >= ed->text.len)
			return 0;
		delete_range(ed, ed->cursor, next_char(ed, ed->cursor));
		return RD_STATUS;
	case TK_CTRL('u'):
		delete_range(ed, 0, ed->cursor);
		return RD_STATUS;
	case TK_CTRL('k'):
		delete_range(ed, ed->cursor, ed->text.len);
		return RD_STATUS;
	case TK_CTRL('w'):
		delete_range(ed, word_start(ed), ed->cursor);
		return RD_STATUS;
	default:
		if (tui_key_is_backspace(key)) {
			if (ed->cursor == 0)
				return 0;
			delete_range(ed, prev_char(ed, ed->cursor), ed->cursor);
			return RD_STATUS;
		}
		if (key >= 0x20 && key != 0x7f && key < TK_KEYBASE)
			return insert_char(ed, key);
		return TUI_UNHANDLED;
	}
	return ed->cursor != before ? RD_STATUS : 0;
}

int tui_edit_draw(const struct tui_edit *ed, WINDOW *w, int y, int x,
		  int width, attr_t a)
{
	const char *text = tui_edit_text(ed);
	char *head = xstrndup(text, ed->cursor);
	int cursor = tui_text_width(head);
	free(head);
	int skip = cursor >= width ? cursor - width + 1 : 0;
	int drawn = tui_put(w, y, x, width, skip, text, a);
	tui_fill(w, y, x + drawn, width - drawn, a);
	return cursor - skip;
}

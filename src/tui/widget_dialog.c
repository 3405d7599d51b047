/*
 * widget_dialog.c - "are you sure?" before anything destructive.
 *
 * The focus starts on Cancel, so Enter (or Esc, or q, or n) straight away
 * does nothing harmful; the action needs a deliberate move to its button
 * and Enter, or a `y`.
 */
#include "tui/widget_dialog.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"

#include <stdlib.h>
#include <string.h>

struct tui_dialog *tui_dialog_new(const char *title, const char *message,
				  const char *confirm_label)
{
	struct tui_dialog *d = xcalloc(1, sizeof *d);
	d->title = xstrdup(title ? title : "Confirm");
	d->message = xstrdup(message ? message : "");
	d->confirm_label = xstrdup(confirm_label ? confirm_label : "OK");
	d->focus_confirm = false;
	return d;
}

void tui_dialog_free(struct tui_dialog *d)
{
	if (!d)
		return;
	free(d->title);
	free(d->message);
	free(d->confirm_label);
	free(d);
}

enum tui_dialog_result tui_dialog_key(struct tui_dialog *d, int key, int *redraw)
{
	*redraw = RD_NONE;
	switch (key) {
	case TK(KEY_LEFT): case TK(KEY_RIGHT): case '\t': case TK(KEY_BTAB):
	case 'h': case 'l':
		d->focus_confirm = !d->focus_confirm;
		*redraw = RD_BODY;
		return DIALOG_OPEN;
	case TK_ESC: case 'q': case 'n': case 'N':
		return DIALOG_CANCEL;
	case 'y': case 'Y':
		return DIALOG_CONFIRM;
	default:
		if (tui_key_is_enter(key))
			return d->focus_confirm ? DIALOG_CONFIRM : DIALOG_CANCEL;
		return DIALOG_OPEN;
	}
}

void tui_dialog_draw(const struct tui_dialog *d, WINDOW *w, int h, int width)
{
	int inner = width - 10 < 56 ? width - 10 : 56;
	if (inner < 20 || h < 8)
		return;
	struct vec lines = VEC_INIT;
	tui_wrap(d->message, inner, &lines);
	char *cancel = xstrdup("[ Cancel ]");
	char *ok = xasprintf("[ %s ]", d->confirm_label);
	int buttons = tui_text_width(cancel) + 2 + tui_text_width(ok);
	int widest = buttons;
	for (size_t i = 0; i < lines.len; i++) {
		int lw = tui_text_width(lines.items[i]);
		widest = lw > widest ? lw : widest;
	}
	int bw = widest + 6;
	int bh = (int)lines.len + 6;
	if (bh > h)
		bh = h;
	int by = (h - bh) / 2, bx = (width - bw) / 2;
	attr_t border = theme_attr(R_BORDER), normal = theme_attr(R_NORMAL);
	for (int i = 0; i < bh; i++)
		tui_fill(w, by + i, bx, bw, normal);
	tui_box(w, by, bx, bh, bw, border);
	char *title = xasprintf(" %s ", d->title);
	tui_put(w, by, bx + 2, bw - 4, 0, title, theme_attr(R_TITLE));
	for (size_t i = 0; i < lines.len && (int)i < bh - 6; i++)
		tui_put(w, by + 2 + (int)i, bx + 3, widest, 0, lines.items[i], normal);
	int row = by + bh - 3;
	int col = bx + (bw - buttons) / 2;
	col += tui_put(w, row, col, bw, 0, cancel,
		       theme_attr(d->focus_confirm ? R_BUTTON : R_BUTTON_FOCUS));
	col += 2;
	tui_put(w, row, col, bw, 0, ok,
		theme_attr(d->focus_confirm ? R_BUTTON_FOCUS : R_BUTTON));
	free(title);
	free(cancel);
	free(ok);
	vec_free_all(&lines, free);
}

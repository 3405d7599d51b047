/*
 * widget_edit.h - a one-line text editor (filters, form fields).
 */
#ifndef SLUICE_TUI_WIDGET_EDIT_H
#define SLUICE_TUI_WIDGET_EDIT_H

#include "core/core.h"
#include "tui/draw.h"

/* ---- line editor (widget_edit.c) ---------------------------------------- */
struct tui_edit {
	struct buf text;
	size_t cursor;      /* byte offset */
};
void tui_edit_init(struct tui_edit *ed, const char *text);
void tui_edit_free(struct tui_edit *ed);
const char *tui_edit_text(const struct tui_edit *ed);
/* Returns RD_STATUS-ish non-zero when the text or cursor changed,
 * 0 when the key was an editing key with no effect, TUI_UNHANDLED
 * for keys the editor does not take (Enter, Esc, Tab, Up, Down ...). */
int  tui_edit_key(struct tui_edit *ed, int key);
/* Draw in `width` columns, scrolled so the cursor shows; returns the
 * cursor's column relative to x. */
int  tui_edit_draw(const struct tui_edit *ed, WINDOW *w, int y, int x,
		   int width, attr_t a);

#endif

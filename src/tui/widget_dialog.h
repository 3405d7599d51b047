/*
 * widget_dialog.h - a yes/no question before a destructive action.
 */
#ifndef SLUICE_TUI_WIDGET_DIALOG_H
#define SLUICE_TUI_WIDGET_DIALOG_H

#include "tui/draw.h"

/* ---- confirmation dialog (widget_dialog.c) --------------------------------
 * Two buttons, Cancel and the action; Cancel has the focus, so Enter
 * straight away cancels. */
enum tui_dialog_result { DIALOG_OPEN, DIALOG_CANCEL, DIALOG_CONFIRM };
struct tui_dialog {
	char *title, *message, *confirm_label;
	bool  focus_confirm;
};
struct tui_dialog *tui_dialog_new(const char *title, const char *message,
				  const char *confirm_label);
void tui_dialog_free(struct tui_dialog *d);
/* DIALOG_OPEN (and *redraw set) while the dialog stays open. */
enum tui_dialog_result tui_dialog_key(struct tui_dialog *d, int key, int *redraw);
void tui_dialog_draw(const struct tui_dialog *d, WINDOW *w, int h, int width);

#endif

/*
 * keys.h - the console's vocabulary for keys: one int per key press, and
 * what a key handler answers (the parts of the screen to redraw).  Shared
 * by widgets, views and the frame; the frame's key dispatch is in
 * tui_int.h.
 */
#ifndef SLUICE_TUI_KEYS_H
#define SLUICE_TUI_KEYS_H

#include "core/core.h"

/* ---- keys ------------------------------------------------------------------
 * One int per key press: a character (Unicode code point, control
 * characters included), a curses key code moved above the Unicode range,
 * or Alt+character. */
#define TK_KEYBASE  0x200000
#define TK(k)       (TK_KEYBASE + (k))        /* TK(KEY_UP) */
#define TK_META(c)  (0x400000 | (c))          /* Esc then c, quickly */
#define TK_ESC      27
#define TK_CTRL(c)  ((c) & 0x1f)
#define TK_IS_META(k) (((k) & 0x400000) != 0)

bool tui_key_is_enter(int key);
bool tui_key_is_backspace(int key);
/* "Up", "^L", "Enter", "x"; out needs 16 bytes. */
void tui_key_name(int key, char out[16]);
/* The key a name from tui_key_name stands for ("Up", "^L", "M-x", "F5";
 * "Enter" is Return), or -1. */
int  tui_key_parse(const char *name);

/* ---- redraw masks: what an action changed ------------------------------- */
enum {
	RD_NONE   = 0,
	RD_HEADER = 1 << 0,
	RD_TABS   = 1 << 1,
	RD_BODY   = 1 << 2,
	RD_STATUS = 1 << 3,
	RD_KEYS   = 1 << 4,
	RD_ALL    = (1 << 5) - 1,
	RD_CLEAR  = 1 << 5,     /* forget what the terminal shows; repaint all */
};
#define TUI_UNHANDLED (-1)     /* a key handler did not want the key */

#endif

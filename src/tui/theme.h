/*
 * theme.h - roles and symbols: what the terminal can show (colour or
 * monochrome, UTF-8 or ASCII), decided once at start-up.  Also the one
 * place that includes curses for the console's headers.
 */
#ifndef SLUICE_TUI_THEME_H
#define SLUICE_TUI_THEME_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <curses.h>

/* ---- theme -------------------------------------------------------------------
 * Roles, not colours: a role has a colour style and a monochrome style
 * (bold, reverse, underline) so that nothing is lost without colour. */
enum tui_role {
	R_NORMAL, R_HEADER, R_HEADER_PROD, R_MODE_OPERATOR, R_MODE_READONLY,
	R_MODE_PROD, R_TAB, R_TAB_KEY, R_TAB_ACTIVE, R_COLHEAD, R_SELECTED,
	R_STATUS, R_ERROR, R_INFO, R_KEYBAR, R_KEYBAR_KEY, R_BORDER, R_TITLE,
	R_DIM, R_MATCH, R_BUTTON, R_BUTTON_FOCUS, R_FIELD, R_FIELD_FOCUS,
	R_STATE_OK, R_STATE_RUNNING, R_STATE_WAITING, R_STATE_WARN,
	R_STATE_FAILED, R_STATE_PAUSED,
	R_COUNT
};

enum tui_sym {
	SYM_HLINE, SYM_VLINE, SYM_ULCORNER, SYM_URCORNER, SYM_LLCORNER,
	SYM_LRCORNER, SYM_SEP, SYM_ELLIPSIS, SYM_SORT_UP, SYM_SORT_DOWN,
	SYM_CRUMB, SYM_COUNT
};

/* Decide colour (terminal can, no --no-color, no NO_COLOR) and symbols
 * (UTF-8 locale or ASCII).  Call after newterm(). */
void theme_init(bool want_color, bool utf8);
bool theme_color(void);
bool theme_utf8(void);
attr_t theme_attr(enum tui_role r);   /* includes the colour pair */
const char *theme_sym(enum tui_sym s);
/* The role that colours a state name: FAILED, RUNNING, PAUSED ... */
enum tui_role theme_state_role(const char *state);

#endif

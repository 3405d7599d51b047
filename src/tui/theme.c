/*
 * theme.c - roles to attributes, and the symbols the console draws with.
 *
 * Every role has a colour style and a monochrome style.  Monochrome is
 * not an afterthought: it is what vt100, NO_COLOR and --no-color get, so
 * each role there still stands out by bold, reverse or underline, and the
 * things that must not be missed (production, failures, errors) also say
 * so in words elsewhere.  Symbols are UTF-8 in a UTF-8 locale and plain
 * ASCII otherwise: no alternate character set, which some terminals and
 * multiplexers mangle.
 */
#include "tui/theme.h"
#include "core/core.h"

#include <string.h>
#include <strings.h>

struct style {
	short fg, bg;        /* -1: the terminal's default */
	attr_t color_attr;   /* added to the colour pair */
	attr_t mono;         /* without colour */
};

static const struct style styles[R_COUNT] = {
	[R_NORMAL]        = { -1, -1, 0, 0 },
	[R_HEADER]        = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_BOLD | A_UNDERLINE },
	[R_HEADER_PROD]   = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[R_MODE_OPERATOR] = { COLOR_BLACK, COLOR_GREEN, A_BOLD, A_BOLD },
	[R_MODE_READONLY] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE },
	[R_MODE_PROD]     = { COLOR_YELLOW, COLOR_RED, A_BOLD,
			      A_REVERSE | A_BOLD | A_UNDERLINE },
	[R_TAB]           = { -1, -1, 0, 0 },
	[R_TAB_KEY]       = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
	[R_TAB_ACTIVE]    = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD },
	[R_COLHEAD]       = { COLOR_CYAN, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[R_SELECTED]      = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[R_STATUS]        = { -1, -1, 0, 0 },
	[R_ERROR]         = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[R_INFO]          = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[R_KEYBAR]        = { -1, -1, 0, 0 },
	[R_KEYBAR_KEY]    = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[R_BORDER]        = { COLOR_CYAN, -1, 0, 0 },
	[R_TITLE]         = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[R_DIM]           = { COLOR_BLUE, -1, A_BOLD, 0 },
	[R_MATCH]         = { COLOR_BLACK, COLOR_YELLOW, 0, A_REVERSE | A_UNDERLINE },
	[R_BUTTON]        = { -1, -1, 0, 0 },
	[R_BUTTON_FOCUS]  = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD },
	[R_FIELD]         = { -1, -1, A_UNDERLINE, A_UNDERLINE },
	[R_FIELD_FOCUS]   = { COLOR_BLACK, COLOR_CYAN, 0, A_REVERSE },
	[R_STATE_OK]      = { COLOR_GREEN, -1, 0, 0 },
	[R_STATE_RUNNING] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
	[R_STATE_WAITING] = { COLOR_YELLOW, -1, 0, A_UNDERLINE },
	[R_STATE_WARN]    = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[R_STATE_FAILED]  = { COLOR_RED, -1, A_BOLD, A_REVERSE | A_BOLD },
	[R_STATE_PAUSED]  = { COLOR_MAGENTA, -1, 0, A_UNDERLINE },
};

static const char *const syms_utf8[SYM_COUNT] = {
	[SYM_HLINE] = "\u2500", [SYM_VLINE] = "\u2502",
	[SYM_ULCORNER] = "\u250c", [SYM_URCORNER] = "\u2510",
	[SYM_LLCORNER] = "\u2514", [SYM_LRCORNER] = "\u2518",
	[SYM_SEP] = "\u2502", [SYM_ELLIPSIS] = "\u2026",
	[SYM_SORT_UP] = "\u25b2", [SYM_SORT_DOWN] = "\u25bc",
	[SYM_CRUMB] = "\u203a",
};

static const char *const syms_ascii[SYM_COUNT] = {
	[SYM_HLINE] = "-", [SYM_VLINE] = "|",
	[SYM_ULCORNER] = "+", [SYM_URCORNER] = "+",
	[SYM_LLCORNER] = "+", [SYM_LRCORNER] = "+",
	[SYM_SEP] = "|", [SYM_ELLIPSIS] = "~",
	[SYM_SORT_UP] = "^", [SYM_SORT_DOWN] = "v",
	[SYM_CRUMB] = ">",
};

static bool use_color;
static bool use_utf8;

void theme_init(bool want_color, bool utf8)
{
	use_utf8 = utf8;
	use_color = false;
	if (!want_color || !has_colors() || start_color() == ERR)
		return;
	bool defaults = use_default_colors() == OK;
	for (int r = 0; r < R_COUNT; r++) {
		short fg = styles[r].fg, bg = styles[r].bg;
		if (!defaults) {
			fg = fg < 0 ? COLOR_WHITE : fg;
			bg = bg < 0 ? COLOR_BLACK : bg;
		}
		if (r + 1 >= COLOR_PAIRS)
			return;
		init_pair((short)(r + 1), fg, bg);
	}
	use_color = true;
}

bool theme_color(void) { return use_color; }
bool theme_utf8(void) { return use_utf8; }

attr_t theme_attr(enum tui_role r)
{
	if ((int)r < 0 || r >= R_COUNT)
		return A_NORMAL;
	if (!use_color)
		return styles[r].mono;
	if (styles[r].fg < 0 && styles[r].bg < 0)
		return styles[r].color_attr;
	return COLOR_PAIR(r + 1) | styles[r].color_attr;
}

const char *theme_sym(enum tui_sym s)
{
	return use_utf8 ? syms_utf8[s] : syms_ascii[s];
}

/* State names from every object: runs (Prefect's model), tasks, task
 * history, pipes, load history, validations. */
static const struct {
	const char *name;
	enum tui_role role;
} state_roles[] = {
	{ "COMPLETED", R_STATE_OK }, { "CACHED", R_STATE_OK },
	{ "SUCCEEDED", R_STATE_OK }, { "LOADED", R_STATE_OK },
	{ "STARTED", R_STATE_OK }, { "PASSED", R_STATE_OK },
	{ "OK", R_STATE_OK }, { "APPROVED", R_STATE_OK }, { "LIVE", R_STATE_OK },
	{ "RUNNING", R_STATE_RUNNING }, { "EXECUTING", R_STATE_RUNNING },
	{ "RETRYING", R_STATE_RUNNING }, { "CANCELLING", R_STATE_RUNNING },
	{ "REBUILDING", R_STATE_RUNNING }, { "COMPARING", R_STATE_RUNNING },
	{ "SCHEDULED", R_STATE_WAITING }, { "PENDING", R_STATE_WAITING },
	{ "WAITING", R_STATE_WAITING }, { "PLANNED", R_STATE_WAITING },
	{ "LATE", R_STATE_WARN }, { "SKIPPED", R_STATE_WARN }, { "MISSED", R_STATE_WARN },
	{ "PARTIALLY_LOADED", R_STATE_WARN }, { "WARN", R_STATE_WARN },
	{ "WARNING", R_STATE_WARN },
	{ "FAILED", R_STATE_FAILED }, { "CRASHED", R_STATE_FAILED },
	{ "LOST", R_STATE_FAILED },
	{ "LOAD_FAILED", R_STATE_FAILED }, { "ERROR", R_STATE_FAILED },
	{ "FAILED_AND_AUTO_SUSPENDED", R_STATE_FAILED },
	{ "STOPPED_MISSING_TABLE", R_STATE_FAILED },
	{ "STOPPED_MISSING_PATH", R_STATE_FAILED },
	{ "STOPPED_ON_ERROR", R_STATE_FAILED },
	{ "PAUSED", R_STATE_PAUSED }, { "SUSPENDED", R_STATE_PAUSED },
	{ "CANCELLED", R_STATE_PAUSED }, { "DISCARDED", R_STATE_PAUSED },
};

enum tui_role theme_state_role(const char *state)
{
	if (!state)
		return R_NORMAL;
	for (size_t i = 0; i < ARRAY_LEN(state_roles); i++)
		if (strcasecmp(state, state_roles[i].name) == 0)
			return state_roles[i].role;
	return R_NORMAL;
}

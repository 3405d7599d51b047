/*
 * widget_pager.h - long text scrolled both ways, with search.
 */
#ifndef SLUICE_TUI_WIDGET_PAGER_H
#define SLUICE_TUI_WIDGET_PAGER_H

#include "core/core.h"
#include "tui/draw.h"

/* ---- pager (widget_pager.c) -------------------------------------------------
 * Long text scrolled both ways, like pspg: header lines stay on top while
 * the rest scrolls; Left/Right move sideways. */
struct tui_pager {
	struct vec lines;   /* char *, owned */
	struct vec roles;   /* unsigned char * per line (a role per byte), or
			       NULL for a plain line; owned */
	size_t header;      /* leading lines that never scroll vertically */
	size_t top;         /* first body line shown */
	int    left;        /* columns scrolled sideways */
	int    widest;
	int    page_rows, page_cols;
	char  *search;
	size_t match;       /* line of the current match, or SIZE_MAX */
};

void tui_pager_init(struct tui_pager *p);
void tui_pager_free(struct tui_pager *p);
void tui_pager_set_text(struct tui_pager *p, const char *text);
void tui_pager_add_line(struct tui_pager *p, const char *line);
/* A line with a role per byte (copied; roles may be NULL). */
void tui_pager_add_styled(struct tui_pager *p, const char *line,
			  const unsigned char *roles);
/* Forget the lines but keep the scroll position and search: a page that
 * is written again on refresh stays where the operator was. */
void tui_pager_clear(struct tui_pager *p);
void tui_pager_set_header(struct tui_pager *p, size_t lines);
/* Find `text` (case-insensitive) from the top; true if found.  n/N repeat. */
bool tui_pager_search(struct tui_pager *p, const char *text);
int  tui_pager_key(struct tui_pager *p, int key);
void tui_pager_draw(struct tui_pager *p, WINDOW *w, int y, int x, int h, int width);
void tui_pager_where(const struct tui_pager *p, struct buf *out);

#endif

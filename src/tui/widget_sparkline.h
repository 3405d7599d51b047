/*
 * widget_sparkline.h - a row of bars for a series (rows per minute).
 */
#ifndef SLUICE_TUI_WIDGET_SPARKLINE_H
#define SLUICE_TUI_WIDGET_SPARKLINE_H

#include "core/core.h"
#include "tui/draw.h"

/* ---- sparkline (widget_sparkline.c) ------------------------------------------
 * The last `width` values as a row of bars scaled to the largest; zero is
 * the lowest bar, a NaN a gap. */
void tui_sparkline(const double *values, size_t n, int width, bool utf8,
		   struct buf *out);
void tui_sparkline_draw(WINDOW *w, int y, int x, int width,
			const double *values, size_t n, attr_t a);

#endif

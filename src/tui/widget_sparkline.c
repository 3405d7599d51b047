/*
 * widget_sparkline.c - a row of small bars: rows moved per minute.
 *
 * Bars are scaled to the largest value shown, so the shape reads at a
 * glance; the number itself belongs next to it.  Zero is the lowest bar
 * (a quiet minute is still a minute), a missing value (NaN) is a gap, so
 * "nothing happened" and "we do not know" look different.
 */
#include "tui/widget_sparkline.h"
#include "tui/theme.h"
#include "tui/draw.h"

#include <math.h>

static const char *const bars_utf8[8] = {
	"\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586", "\u2587", "\u2588",
};
static const char *const bars_ascii[8] = { "_", ".", ",", ":", "-", "=", "+", "#" };

void tui_sparkline(const double *values, size_t n, int width, bool utf8,
		   struct buf *out)
{
	const char *const *bars = utf8 ? bars_utf8 : bars_ascii;
	if (width <= 0)
		return;
	size_t first = n > (size_t)width ? n - (size_t)width : 0;
	double max = 0;
	for (size_t i = first; i < n; i++)
		if (!isnan(values[i]) && values[i] > max)
			max = values[i];
	for (size_t i = first; i < n; i++) {
		double v = values[i];
		if (isnan(v)) {
			buf_putc(out, ' ');
			continue;
		}
		int level = 0;
		if (v > 0 && max > 0) {
			/* positive values never share the zero bar */
			level = 1 + (int)floor(v / max * 6.999);
			level = level > 7 ? 7 : level;
		}
		buf_puts(out, bars[level]);
	}
}

void tui_sparkline_draw(WINDOW *w, int y, int x, int width,
			const double *values, size_t n, attr_t a)
{
	struct buf b = BUF_INIT;
	tui_sparkline(values, n, width, theme_utf8(), &b);
	int drawn = tui_put(w, y, x, width, 0, buf_str(&b), a);
	tui_fill(w, y, x + drawn, width - drawn, a);
	buf_free(&b);
}

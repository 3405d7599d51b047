/*
 * doc.c - writing styled pages: a run's detail, a backfill, the overview.
 *
 * A page is a pager whose lines carry a role per byte, so that a state
 * keeps its colour (and its monochrome attribute) wherever it is drawn and
 * however the page is scrolled sideways.  Views write their page again on
 * every refresh; tui_doc_begin keeps the operator's scroll position.
 */
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_pager.h"
#include "tui/views.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void tui_doc_begin(struct tui_doc *d, struct tui_pager *p)
{
	d->pager = p;
	d->text = (struct buf)BUF_INIT;
	d->roles = (struct buf)BUF_INIT;
	tui_pager_clear(p);
}

void tui_doc_nl(struct tui_doc *d)
{
	buf_puts(&d->text, "");
	buf_puts(&d->roles, "");
	tui_pager_add_styled(d->pager, buf_str(&d->text),
			     (const unsigned char *)buf_str(&d->roles));
	buf_reset(&d->text);
	buf_reset(&d->roles);
}

void tui_doc_put(struct tui_doc *d, enum tui_role r, const char *s)
{
	/* Roles may be 0 (R_NORMAL): the pager copies as many roles as the
	 * line has bytes, never up to a NUL. */
	for (const char *p = s ? s : ""; *p; p++) {
		if (*p == '\n') {
			tui_doc_nl(d);
			continue;
		}
		char c = *p;
		if ((unsigned char)c < 0x20 || c == 0x7f)
			c = c == '\t' ? ' ' : '?';
		buf_putc(&d->text, c);
		buf_putc(&d->roles, (char)r);
	}
}

void tui_doc_printf(struct tui_doc *d, enum tui_role r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = xvasprintf(fmt, ap);
	va_end(ap);
	tui_doc_put(d, r, s);
	free(s);
}

void tui_doc_cell(struct tui_doc *d, enum tui_role r, int width, bool right,
		  const char *s)
{
	const char *text = s ? s : "";
	int tw = tui_text_width(text);
	if (tw > width) {
		/* leave a column to mark the cut */
		char *cut = tui_text_cut(text, width - 1);
		tui_doc_put(d, r, cut);
		tui_doc_put(d, r, theme_sym(SYM_ELLIPSIS));
		int pad = width - tui_text_width(cut) - 1;
		for (int i = 0; i < pad; i++)
			tui_doc_put(d, r, " ");
		free(cut);
		return;
	}
	if (right)
		for (int i = tw; i < width; i++)
			tui_doc_put(d, R_NORMAL, " ");
	tui_doc_put(d, r, text);
	if (!right)
		for (int i = tw; i < width; i++)
			tui_doc_put(d, R_NORMAL, " ");
}

void tui_doc_state(struct tui_doc *d, const char *state, int width)
{
	enum tui_role r = theme_state_role(state);
	if (width > 0)
		tui_doc_cell(d, r, width, false, state);
	else
		tui_doc_put(d, r, state);
}

void tui_doc_heading(struct tui_doc *d, const char *title)
{
	if (d->pager->lines.len > 0 || d->text.len > 0) {
		if (d->text.len > 0)
			tui_doc_nl(d);
		tui_doc_nl(d);
	}
	tui_doc_put(d, R_TITLE, title);
	tui_doc_nl(d);
}

void tui_doc_field(struct tui_doc *d, int lw, const char *label, const char *value)
{
	tui_doc_cell(d, R_DIM, lw, false, label);
	tui_doc_put(d, R_NORMAL, " ");
	tui_doc_put(d, R_NORMAL, value ? value : "-");
	tui_doc_nl(d);
}

void tui_doc_end(struct tui_doc *d)
{
	if (d->text.len > 0)
		tui_doc_nl(d);
	buf_free(&d->text);
	buf_free(&d->roles);
}

bool tui_doc_no_store(struct tui_doc *d, const struct tui_data *data)
{
	if (data->store)
		return false;
	tui_doc_put(d, R_NORMAL, "No control store is open.");
	tui_doc_end(d);
	return true;
}

void tui_doc_error(struct tui_doc *d, const struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *what = xvasprintf(fmt, ap);
	va_end(ap);
	tui_doc_printf(d, R_ERROR, "%s: %s", what, err_text(e));
	free(what);
	tui_doc_end(d);
}

/*
 * widget_form.c - a few named fields to fill in, then submit (parameters
 * for a run, a backfill's window).
 *
 * Tab/Down and Shift-Tab/Up move between fields and the submit button,
 * every field is a line editor, Enter submits from anywhere, Esc cancels.
 * A submit checks required fields and each field's check first; a refused
 * submit keeps the form open, says why, and puts the focus on the field.
 */
#include "tui/widget_form.h"
#include "project/project.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_edit.h"

#include <stdlib.h>
#include <string.h>

struct tui_form *tui_form_new(const char *title, const char *submit_label)
{
	struct tui_form *f = xcalloc(1, sizeof *f);
	f->title = xstrdup(title ? title : "");
	f->submit_label = xstrdup(submit_label ? submit_label : "OK");
	return f;
}

void tui_form_add(struct tui_form *f, const char *name, const char *label,
		  const char *value, const char *hint, bool required,
		  tui_field_check check)
{
	tui_form_add_checked(f, name, label, value, hint, required, check, NULL);
}

void tui_form_add_checked(struct tui_form *f, const char *name, const char *label,
			  const char *value, const char *hint, bool required,
			  tui_field_check check, const void *check_arg)
{
	struct tui_form_field *fl = xcalloc(1, sizeof *fl);
	fl->name = xstrdup(name);
	fl->label = xstrdup(label ? label : name);
	fl->hint = xstrdup(hint);
	fl->required = required;
	fl->check = check;
	fl->check_arg = check_arg;
	tui_edit_init(&fl->edit, value);
	vec_push(&f->fields, fl);
}

static void field_free(void *p)
{
	struct tui_form_field *fl = p;
	free(fl->name);
	free(fl->label);
	free(fl->hint);
	tui_edit_free(&fl->edit);
	free(fl);
}

void tui_form_free(struct tui_form *f)
{
	if (!f)
		return;
	vec_free_all(&f->fields, field_free);
	free(f->title);
	free(f->submit_label);
	free(f->error);
	free(f);
}

const char *tui_form_value(const struct tui_form *f, const char *name)
{
	for (size_t i = 0; i < f->fields.len; i++) {
		const struct tui_form_field *fl = f->fields.items[i];
		if (str_eq(fl->name, name))
			return tui_edit_text(&fl->edit);
	}
	return NULL;
}

static void set_error(struct tui_form *f, size_t field, const char *msg)
{
	free(f->error);
	f->error = xstrdup(msg);
	f->focus = field;
}

static bool form_valid(struct tui_form *f)
{
	for (size_t i = 0; i < f->fields.len; i++) {
		struct tui_form_field *fl = f->fields.items[i];
		const char *v = tui_edit_text(&fl->edit);
		char msg[256];
		if (*v == '\0') {
			if (!fl->required)
				continue;
			snprintf(msg, sizeof msg, "%s: a value is required", fl->label);
			set_error(f, i, msg);
			return false;
		}
		if (fl->check && !fl->check(v, fl->check_arg, msg, sizeof msg)) {
			char *full = xasprintf("%s: %s", fl->label, msg);
			set_error(f, i, full);
			free(full);
			return false;
		}
	}
	free(f->error);
	f->error = NULL;
	return true;
}

enum tui_form_result tui_form_key(struct tui_form *f, int key, int *redraw)
{
	size_t stops = f->fields.len + 1;    /* the fields, then the button */
	*redraw = RD_NONE;
	if (key == TK_ESC)
		return FORM_CANCEL;
	if (tui_key_is_enter(key)) {
		if (form_valid(f))
			return FORM_SUBMIT;
		*redraw = RD_BODY;
		return FORM_OPEN;
	}
	switch (key) {
	case '\t': case TK(KEY_DOWN):
		f->focus = (f->focus + 1) % stops;
		*redraw = RD_BODY;
		return FORM_OPEN;
	case TK(KEY_BTAB): case TK(KEY_UP):
		f->focus = (f->focus + stops - 1) % stops;
		*redraw = RD_BODY;
		return FORM_OPEN;
	}
	if (f->focus < f->fields.len) {
		struct tui_form_field *fl = f->fields.items[f->focus];
		int rd = tui_edit_key(&fl->edit, key);
		if (rd > 0)
			*redraw = RD_BODY;
	}
	return FORM_OPEN;
}

void tui_form_draw(const struct tui_form *f, WINDOW *w, int h, int width,
		   int *cy, int *cx)
{
	*cy = *cx = -1;
	int bw = width - 4 < 72 ? width - 4 : 72;
	int nf = (int)f->fields.len;
	int bh = nf + 8;
	if (bw < 30 || bh > h)
		return;
	int by = (h - bh) / 2, bx = (width - bw) / 2;
	attr_t normal = theme_attr(R_NORMAL);
	for (int i = 0; i < bh; i++)
		tui_fill(w, by + i, bx, bw, normal);
	tui_box(w, by, bx, bh, bw, theme_attr(R_BORDER));
	char *title = xasprintf(" %s ", f->title);
	tui_put(w, by, bx + 2, bw - 4, 0, title, theme_attr(R_TITLE));
	free(title);

	int label_w = 0;
	for (int i = 0; i < nf; i++) {
		const struct tui_form_field *fl = f->fields.items[i];
		int lw = tui_text_width(fl->label) + (fl->required ? 1 : 0);
		label_w = lw > label_w ? lw : label_w;
	}
	if (label_w > bw / 2)
		label_w = bw / 2;
	int field_x = bx + 3 + label_w + 2;
	int field_w = bx + bw - 3 - field_x;
	for (int i = 0; i < nf; i++) {
		const struct tui_form_field *fl = f->fields.items[i];
		bool focus = f->focus == (size_t)i;
		char *label = xasprintf("%s%s", fl->label, fl->required ? "*" : "");
		tui_put_cell(w, by + 2 + i, bx + 3, label_w, label, true,
			     theme_attr(focus ? R_TITLE : R_NORMAL));
		free(label);
		int c = tui_edit_draw(&fl->edit, w, by + 2 + i, field_x, field_w,
				      theme_attr(focus ? R_FIELD_FOCUS : R_FIELD));
		if (focus) {
			*cy = by + 2 + i;
			*cx = field_x + c;
		}
	}
	int info = by + 3 + nf;
	if (f->error) {
		tui_put(w, info, bx + 3, bw - 6, 0, f->error, theme_attr(R_ERROR));
	} else if (f->focus < f->fields.len) {
		const struct tui_form_field *fl = f->fields.items[f->focus];
		if (fl->hint)
			tui_put(w, info, bx + 3, bw - 6, 0, fl->hint, theme_attr(R_DIM));
	}
	char *button = xasprintf("[ %s ]", f->submit_label);
	const char *esc = "Esc cancel";
	int total = tui_text_width(button) + 3 + tui_text_width(esc);
	int col = bx + (bw - total) / 2;
	col += tui_put(w, by + bh - 3, col, bw, 0, button,
		       theme_attr(f->focus == f->fields.len ? R_BUTTON_FOCUS : R_BUTTON));
	tui_put(w, by + bh - 3, col + 3, bw, 0, esc, theme_attr(R_DIM));
	free(button);
}

bool tui_check_integer(const char *value, const void *arg, char *msg, size_t n)
{
	(void)arg;
	int64_t v;
	if (str_to_i64(value, &v))
		return true;
	snprintf(msg, n, "\"%s\" is not a whole number", value);
	return false;
}

bool tui_check_date(const char *value, const void *arg, char *msg, size_t n)
{
	(void)arg;
	usec_t t;
	if (strlen(value) == 10 && time_parse_iso(value, &t))
		return true;
	snprintf(msg, n, "\"%s\" is not a date (YYYY-MM-DD)", value);
	return false;
}

bool tui_check_param(const char *value, const void *arg, char *msg, size_t n)
{
	const struct project_param *param = arg;
	struct err e;
	err_clear(&e);
	if (param_check(param, value, &e) == 0)
		return true;
	snprintf(msg, n, "%s", e.msg);
	return false;
}

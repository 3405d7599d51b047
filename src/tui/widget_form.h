/*
 * widget_form.h - a dialog of named fields, each a line editor.
 */
#ifndef SLUICE_TUI_WIDGET_FORM_H
#define SLUICE_TUI_WIDGET_FORM_H

#include "core/core.h"
#include "tui/draw.h"
#include "tui/widget_edit.h"

/* ---- form (widget_form.c): named fields, each a line editor ------------- */
typedef bool (*tui_field_check)(const char *value, const void *arg,
				char *msg, size_t n);
struct tui_form_field {
	char *name, *label, *hint;
	bool required;
	tui_field_check check;
	const void *check_arg;    /* passed to check */
	struct tui_edit edit;
};
enum tui_form_result { FORM_OPEN, FORM_CANCEL, FORM_SUBMIT };
struct tui_form {
	char *title, *submit_label;
	struct vec fields;       /* struct tui_form_field * */
	size_t focus;            /* == nfields: the submit button */
	char  *error;            /* why the last submit was refused */
};
struct tui_form *tui_form_new(const char *title, const char *submit_label);
void tui_form_add(struct tui_form *f, const char *name, const char *label,
		  const char *value, const char *hint, bool required,
		  tui_field_check check);
/* The same with an argument for the check (a declared parameter). */
void tui_form_add_checked(struct tui_form *f, const char *name, const char *label,
			  const char *value, const char *hint, bool required,
			  tui_field_check check, const void *check_arg);
void tui_form_free(struct tui_form *f);
const char *tui_form_value(const struct tui_form *f, const char *name);
enum tui_form_result tui_form_key(struct tui_form *f, int key, int *redraw);
/* Draws centred in the window; returns the cursor position in *cy, *cx
 * (-1 when the submit button has the focus). */
void tui_form_draw(const struct tui_form *f, WINDOW *w, int h, int width,
		   int *cy, int *cx);
/* Checks for common parameter types. */
bool tui_check_integer(const char *value, const void *arg, char *msg, size_t n);
bool tui_check_date(const char *value, const void *arg, char *msg, size_t n);
/* arg: a struct project_param; checks the value against its type. */
bool tui_check_param(const char *value, const void *arg, char *msg, size_t n);

#endif

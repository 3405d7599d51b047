/*
 * views.c - the registry of views, and moving between them.
 *
 * The registry is the only place that lists views: adding one is a new
 * view_NAME.c and a line here.  Over the current view the frame keeps a
 * stack of pages (help, details, command results) that Esc and q pop,
 * and at most one modal (a confirmation or a form).  Command lines from
 * the prompt and from view actions come through tui_command, which knows
 * the console's own commands and hands the rest to the command layer.
 */
#include "tui/views.h"
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/widget_pager.h"
#include "tui/widget_dialog.h"
#include "tui/widget_form.h"
#include "tui/tui_int.h"
#include "project/project.h"

#include <stdlib.h>
#include <string.h>

extern const struct tui_view_ops view_overview_ops, view_pipes_ops, view_streams_ops,
	view_tasks_ops, view_flows_ops, view_runs_ops, view_tables_ops,
	view_backfills_ops, view_notifications_ops, view_logs_ops, view_workers_ops,
	view_audit_ops, view_help_ops;

const struct tui_view_ops *const tui_views[] = {
	&view_overview_ops,
	&view_pipes_ops,
	&view_streams_ops,
	&view_tasks_ops,
	&view_flows_ops,
	&view_runs_ops,
	&view_tables_ops,
	&view_backfills_ops,
	&view_notifications_ops,
	&view_logs_ops,
	&view_workers_ops,
	&view_audit_ops,
	&view_help_ops,
};
const size_t tui_nviews = ARRAY_LEN(tui_views);

int tui_view_index(const char *name)
{
	for (size_t i = 0; i < tui_nviews; i++)
		if (str_eq(tui_views[i]->name, name))
			return (int)i;
	return -1;
}

void tui_builtin_words(struct vec *out)
{
	vec_push(out, xstrdup("help"));
	vec_push(out, xstrdup("quit"));
	vec_push(out, xstrdup("save-screen"));
	vec_push(out, xstrdup("env"));
	vec_push(out, xstrdup("project"));
	for (size_t i = 0; i < tui_nviews; i++)
		vec_push(out, xstrdup(tui_views[i]->name));
}

struct tui_view *tui_top(struct tui *t)
{
	if (t->pages.len)
		return t->pages.items[t->pages.len - 1];
	return &t->views[t->current];
}

int tui_message(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(t->message);
	t->message = xvasprintf(fmt, ap);
	va_end(ap);
	t->message_error = error;
	return RD_STATUS;
}

void tui_refresh_view(struct tui *t, struct tui_view *v)
{
	struct tui_data d = tui_data_now(t);
	/* A view's reads in one transaction: one snapshot of the store, and
	 * one transaction where an overview asks seven questions.  Without
	 * it each read is its own (the read's error says what went wrong). */
	bool snapshot = t->store && store_read_begin(t->store, NULL) == 0;
	if (v->ops->refresh)
		(v->ops->refresh)(v, &d);    /* parenthesised: curses defines refresh() */
	if (snapshot)
		store_read_end(t->store);
	v->stale = false;
	v->next_clock = v->clock ? clock_monotonic_us() + v->clock : 0;
}

void tui_mark_stale(struct tui *t)
{
	if (t->store) {
		/* the store says what changed */
		tui_store_poll(t, true);
		return;
	}
	tui_mark_areas(t, ~0u);
}

static void close_page(struct tui_view *v)
{
	if (!v->owned)
		return;
	if (v->ops->close)
		v->ops->close(v);
	free(v->title);
	free(v->filter);
	free(v);
}

int tui_pop(struct tui *t)
{
	if (!t->pages.len)
		return RD_NONE;
	close_page(vec_pop(&t->pages));
	struct tui_view *v = tui_top(t);
	if (v->stale)
		tui_refresh_view(t, v);
	return RD_TABS | RD_BODY | RD_STATUS | RD_KEYS;
}

int tui_switch(struct tui *t, size_t index)
{
	while (t->pages.len)
		close_page(vec_pop(&t->pages));
	t->current = index;
	struct tui_view *v = &t->views[index];
	if (v->stale)
		tui_refresh_view(t, v);
	return RD_TABS | RD_BODY | RD_STATUS | RD_KEYS;
}

int tui_push_view(struct tui *t, struct tui_view *v)
{
	vec_push(&t->pages, v);
	if (v->stale)
		tui_refresh_view(t, v);
	return RD_TABS | RD_BODY | RD_STATUS | RD_KEYS;
}

struct tui_view *tui_view_new(struct tui *t, const struct tui_view_ops *ops,
			      const char *title_fmt, ...)
{
	struct tui_view *v = xcalloc(1, sizeof *v);
	v->ops = ops;
	v->tui = t;
	va_list ap;
	va_start(ap, title_fmt);
	v->title = xvasprintf(title_fmt, ap);
	va_end(ap);
	v->owned = true;
	v->stale = ops->refresh != NULL;
	ops->open(v);
	return v;
}

int tui_push_page(struct tui *t, const char *title, const char *text)
{
	struct tui_view *v = tui_view_new(t, &tui_page_ops, "%s", title);
	tui_pager_set_text(tui_page_pager(v), text);
	return tui_push_view(t, v);
}

int tui_open_help(struct tui *t)
{
	int i = tui_view_index("help");
	struct tui_view *help = &t->views[i];
	for (size_t p = 0; p < t->pages.len; p++)
		if (t->pages.items[p] == help) {
			while (tui_top(t) != help)
				close_page(vec_pop(&t->pages));
			return RD_ALL;
		}
	return tui_push_view(t, help);
}

int tui_open_modal(struct tui *t, const struct tui_modal_ops *ops, void *m)
{
	if (t->modal) {
		ops->free(m);
		return tui_message(t, true, "close the open dialog first");
	}
	t->modal_ops = ops;
	t->modal = m;
	return RD_BODY | RD_KEYS;
}

/* ---- confirmation before a command -------------------------------------- */

struct confirm {
	struct tui_dialog *dialog;
	char *command;
	/* a bulk action: its name, the commands, and the view whose marks
	 * it took (they are forgotten once it has run) */
	char *name;
	struct vec commands;
	struct tui_view *marks_of;
};

/* Each command of a bulk action in turn, all of them whatever one says;
 * then one line: how many were done, the answers, the first failure. */
static int run_batch(struct tui *t, const char *name, const struct vec *commands)
{
	const struct tui_config *cfg = t->cfg;
	struct buf said = BUF_INIT, failed = BUF_INIT;
	size_t done = 0;
	for (size_t i = 0; i < commands->len; i++) {
		const char *line = commands->items[i];
		struct buf out = BUF_INIT;
		struct err e;
		err_clear(&e);
		if (cfg->execute && cfg->execute(cfg->arg, line, &out, &e) == 0) {
			/* "run 15: retry of run 12": what it names is enough */
			char first[80];
			tui_first_line(buf_str(&out), first, sizeof first);
			first[strcspn(first, ":")] = '\0';
			if (*first)
				buf_printf(&said, "%s%s", said.len ? ", " : "", first);
			done++;
		} else if (!failed.len) {
			buf_printf(&failed, "; %s: %s", line, cfg->execute ? err_text(&e)
				   : "no command layer connected");
		}
		buf_free(&out);
	}
	tui_mark_stale(t);
	int rd = tui_message(t, failed.len > 0, "%s: %zu of %zu done%s%s%s%s", name, done,
			     commands->len, said.len ? " (" : "", buf_str(&said),
			     said.len ? ")" : "", buf_str(&failed));
	buf_free(&said);
	buf_free(&failed);
	return rd | RD_BODY;
}

static int confirm_key(void *m, struct tui *t, int key, bool *done)
{
	struct confirm *c = m;
	int rd;
	switch (tui_dialog_key(c->dialog, key, &rd)) {
	case DIALOG_OPEN:
		return rd;
	case DIALOG_CANCEL:
		*done = true;
		return tui_message(t, false, "not confirmed: nothing was done");
	case DIALOG_CONFIRM:
		*done = true;
		if (!c->commands.len)
			return tui_command(t, c->command);
		if (c->marks_of->ops->unmark)
			c->marks_of->ops->unmark(c->marks_of);
		return run_batch(t, c->name, &c->commands);
	}
	return RD_NONE;
}

static void confirm_draw(void *m, WINDOW *w, int h, int width, int *cy, int *cx)
{
	struct confirm *c = m;
	*cy = *cx = -1;
	tui_dialog_draw(c->dialog, w, h, width);
}

static void confirm_free(void *m)
{
	struct confirm *c = m;
	tui_dialog_free(c->dialog);
	free(c->command);
	free(c->name);
	vec_free_all(&c->commands, free);
	free(c);
}

static const char *const confirm_hints[] = {
	"Enter choose", "Tab switch", "y yes", "Esc cancel", NULL,
};

static const struct tui_modal_ops confirm_ops = {
	confirm_key, confirm_draw, confirm_free, confirm_hints,
};

static struct confirm *confirm_new(const char *what, const char *question,
				   const char *label)
{
	struct confirm *c = xcalloc(1, sizeof *c);
	char *title = xasprintf("Confirm: %s", what);
	char *button = xasprintf("%c%s", label[0] >= 'a' && label[0] <= 'z'
					 ? label[0] - 'a' + 'A' : label[0], label + 1);
	c->dialog = tui_dialog_new(title, question, button);
	free(title);
	free(button);
	return c;
}

int tui_confirm_command(struct tui *t, const char *question, const char *label,
			const char *command)
{
	struct confirm *c = confirm_new(command, question, label);
	c->command = xstrdup(command);
	return tui_open_modal(t, &confirm_ops, c);
}

int tui_confirm_bulk(struct tui *t, struct tui_view *v, const char *what,
		     const char *question, const char *label, struct vec *commands)
{
	struct confirm *c = confirm_new(what, question, label);
	c->name = xstrdup(label);
	c->commands = *commands;
	*commands = (struct vec)VEC_INIT;
	c->marks_of = v;
	return tui_open_modal(t, &confirm_ops, c);
}

/* ---- forms: parameters, then an action ---------------------------------- */

struct form_modal {
	struct tui_form *form;
	tui_form_submit_fn submit;
	void *arg;
};

static int form_modal_key(void *m, struct tui *t, int key, bool *done)
{
	struct form_modal *fm = m;
	int rd;
	switch (tui_form_key(fm->form, key, &rd)) {
	case FORM_OPEN:
		return rd;
	case FORM_CANCEL:
		*done = true;
		return tui_message(t, false, "cancelled: nothing was done");
	case FORM_SUBMIT:
		*done = true;
		return fm->submit(t, fm->form, fm->arg);
	}
	return RD_NONE;
}

static void form_modal_draw(void *m, WINDOW *w, int h, int width, int *cy, int *cx)
{
	struct form_modal *fm = m;
	tui_form_draw(fm->form, w, h, width, cy, cx);
}

static void form_modal_free(void *m)
{
	struct form_modal *fm = m;
	tui_form_free(fm->form);
	free(fm);
}

static const char *const form_hints[] = {
	"Tab next", "S-Tab previous", "Enter submit", "Esc cancel", NULL,
};

static const struct tui_modal_ops form_modal_ops = {
	form_modal_key, form_modal_draw, form_modal_free, form_hints,
};

int tui_open_form(struct tui *t, struct tui_form *form, tui_form_submit_fn submit,
		  void *arg)
{
	struct form_modal *fm = xcalloc(1, sizeof *fm);
	fm->form = form;
	fm->submit = submit;
	fm->arg = arg;
	return tui_open_modal(t, &form_modal_ops, fm);
}

/* ---- command lines ------------------------------------------------------ */

static int run_external(struct tui *t, const char *line, const char *verb)
{
	const struct tui_config *cfg = t->cfg;
	if (cfg->read_only && cfg->mutates && cfg->mutates(cfg->arg, line))
		return tui_message(t, true, "read-only mode: %s refused", verb);
	if (!cfg->execute)
		return tui_message(t, true, "unknown command \"%s\": with no command layer "
				   "connected, only help, quit and view names work", verb);
	struct buf out = BUF_INIT;
	struct err e;
	err_clear(&e);
	int rd;
	int rc = cfg->execute(cfg->arg, line, &out, &e);
	const char *text = buf_str(&out);
	size_t len = strlen(text);
	while (len > 0 && text[len - 1] == '\n')
		len--;
	if (rc < 0) {
		/* A command that fails with a listing (pipe validate's errors) shows
		 * it; the status line says why it failed. */
		rd = memchr(text, '\n', len) ? tui_push_page(t, line, text) : RD_NONE;
		rd |= tui_message(t, true, "%s", err_text(&e));
	} else {
		if (len == 0)
			rd = tui_message(t, false, "%s: done", verb);
		else if (memchr(text, '\n', len))
			rd = tui_push_page(t, line, text);
		else
			rd = tui_message(t, false, "%.*s", (int)len, text);
	}
	buf_free(&out);
	tui_mark_stale(t);    /* the command may have changed what views show */
	return rd | RD_BODY;
}

/* `:env` alone: where the console is and where it could go. */
static int say_environments(struct tui *t)
{
	const struct project *p = t->cfg->project_model;
	if (!p)
		return tui_message(t, true, "usage: env NAME (no project is loaded)");
	struct buf known = BUF_INIT;
	for (size_t i = 0; i < p->nenv_names; i++)
		buf_printf(&known, "%s%s", i ? ", " : "", p->env_names[i]);
	int rd = tui_message(t, false, "environment %s; usage: env NAME (known: %s%sdefault)",
			     p->env.name, buf_str(&known), known.len ? ", " : "");
	buf_free(&known);
	return rd;
}

/* `:env NAME`, `:project DIR [ENV]`: the command layer opens the other
 * one whole first (project, store, worker), so a refusal leaves the
 * console as it was. */
static int switch_console(struct tui *t, const struct vec *words)
{
	const struct tui_config *cfg = t->cfg;
	const char *verb = words->items[0];
	bool env = str_eq(verb, "env");
	if (env && words->len == 1)
		return say_environments(t);
	if (words->len < 2 || words->len > (env ? 2u : 3u))
		return tui_message(t, true, env ? "usage: env NAME"
					       : "usage: project DIR [ENV]");
	if (!cfg->switch_to)
		return tui_message(t, true, "%s: no command layer is connected", verb);
	const char *name = env ? words->items[1] : words->len > 2 ? words->items[2] : NULL;
	struct err e;
	err_clear(&e);
	const struct tui_config *next =
		cfg->switch_to(cfg->arg, name, env ? NULL : words->items[1], &e);
	if (!next)
		return tui_message(t, true, "%s: %s", verb, err_text(&e));
	tui_reopen(t, next);
	const char *where_env = next->environment ? next->environment : "default";
	if (next->notice)
		return tui_message(t, next->notice_is_error, "project %s, environment %s: %s",
				   next->project, where_env, next->notice);
	return tui_message(t, false, "project %s, environment %s", next->project, where_env);
}

int tui_command(struct tui *t, const char *line)
{
	struct vec words = VEC_INIT;
	str_split(line, " \t", &words);
	int rd = RD_NONE;
	if (words.len == 0)
		goto out;
	const char *verb = words.items[0];
	const char *arg = words.len > 1 ? words.items[1] : NULL;
	int index = tui_view_index(verb);
	if (str_eq(verb, "q") || str_eq(verb, "quit") || str_eq(verb, "exit")) {
		t->quit = true;
	} else if (str_eq(verb, "help") || str_eq(verb, "?")) {
		rd = tui_open_help(t);
	} else if (str_eq(verb, "save-screen")) {
		rd = words.len == 2 ? tui_save_screen(t, arg)
				    : tui_message(t, true, "usage: save-screen FILE");
	} else if (str_eq(verb, "env") || str_eq(verb, "project")) {
		rd = switch_console(t, &words);
	} else if (index >= 0) {
		rd = tui_switch(t, (size_t)index);
		struct tui_view *v = &t->views[index];
		if (arg && !(v->ops->select && v->ops->select(v, arg)))
			rd |= tui_message(t, true, "%s: no \"%s\" here", verb, arg);
	} else {
		rd = run_external(t, line, verb);
	}
out:
	vec_free_all(&words, free);
	return rd;
}

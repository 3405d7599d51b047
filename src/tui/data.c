/*
 * data.c - where the views' data comes from: the control store, read
 * through the console's own read-only handle, and commands that answer in
 * JSON for what only a data connection knows.
 *
 * Change detection is the store's (store_changed: PRAGMA data_version on
 * SQLite, a dozen counters otherwise).  The loop asks at most once a
 * second, or at once when the engine's wake-up descriptor says something
 * happened or a command ran; only views that show a changed area are
 * marked stale, and only the view on top is read again now.  The others
 * are read when they come back on top.  An idle console therefore costs
 * one cheap query a second and no redraw.
 *
 * Formatting helpers for times and numbers live here too, so that every
 * view writes "3m ago" and "1,234" the same way.
 */
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"
#include "tui/tui.h"
#include "tui/keys.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* The header's engines: the live engines serving the project. */
static void read_engines(struct tui *t)
{
	struct vec ws = VEC_INIT;
	t->next_engines = clock_monotonic_us() + TUI_ENGINES_USEC;
	if (store_worker_list(t->store, &ws, NULL) < 0)
		return;               /* the poll says what is wrong with the store */
	const struct store_worker *one = NULL;
	size_t n = 0;
	for (size_t i = 0; i < ws.len; i++)
		if (engine_worker_serving(ws.items[i], 0)) {
			one = ws.items[i];
			n++;
		}
	for (size_t i = 0; i < ARRAY_LEN(t->engines); i++) {
		free(t->engines[i]);
		t->engines[i] = NULL;
	}
	t->engines_none = n == 0;
	if (n == 1) {
		char since[24];
		time_format_short(one->started, since);
		const char *host = one->host ? one->host : "?";
		t->engines[0] = xasprintf("engine %s:%lld since %.5s", host,
					  (long long)one->pid, since + 11);
		t->engines[1] = xasprintf("engine %s:%lld", host, (long long)one->pid);
		t->engines[2] = xstrdup("1 engine");
	} else {
		t->engines[0] = n ? xasprintf("%zu engines", n) : xstrdup("no engine");
	}
	store_worker_list_free(&ws);
	t->dirty |= RD_HEADER;
}

void tui_store_open(struct tui *t)
{
	const struct tui_config *cfg = t->cfg;
	if (!cfg->store_url)
		return;
	struct store_options opt = {
		.read_only = true,
		.password = cfg->store_password,
		.busy_timeout_ms = 1000,
	};
	struct err e;
	err_clear(&e);
	t->store = store_open(cfg->store_url, &opt, &e);
	if (!t->store) {
		free(t->store_error);
		t->store_error = xstrdup(err_text(&e));
		tui_message(t, true, "cannot read the control store: %s", t->store_error);
		return;
	}
	if (store_is_snapshot(t->store))
		tui_message(t, false, "control store: read as a snapshot (its -shm file is "
			    "missing and this user may not create it); read again when "
			    "it changes");
	store_watch_init(&t->watch);
	/* Refused (ERR_INVALID) by a store that sends no events. */
	t->listener = store_listener_open(cfg->store_url, &opt, &e);
	t->listen = t->listener || e.code != ERR_INVALID;
	unsigned changed = 0;
	store_changed(t->store, &t->watch, &changed, NULL);   /* prime */
	t->last_poll = clock_monotonic_us();
	t->next_poll = t->last_poll + TUI_POLL_USEC;
	read_engines(t);
}

char *tui_no_store_reason(const struct tui *t)
{
	const struct tui_config *cfg = t->cfg;
	if (!cfg->project)
		return cfg->problem ? xasprintf("No project is loaded: %s", cfg->problem)
			: xstrdup("No project is loaded: start sluice in a directory holding "
				  "a sluice.json.");
	const char *why = cfg->problem ? cfg->problem : t->store_error;
	return why ? xasprintf("The control store cannot be read: %s", why)
		   : xstrdup("This console was started without a control store.");
}

void tui_store_close(struct tui *t)
{
	store_listener_close(t->listener);
	t->listener = NULL;
	store_close(t->store);
	t->store = NULL;
	t->next_poll = 0;
}

struct tui_data tui_data_now(struct tui *t)
{
	struct tui_data d = {
		.cfg = t->cfg,
		.project = t->cfg->project_model,
		.store = t->store,
		.now = clock_now_us(),
	};
	return d;
}

static bool view_shows(const struct tui_view *v, unsigned areas)
{
	return (v->ops->areas & areas) != 0;
}

void tui_mark_areas(struct tui *t, unsigned areas)
{
	if (!areas)
		return;
	for (size_t i = 0; i < tui_nviews; i++)
		if (view_shows(&t->views[i], areas))
			t->views[i].stale = true;
	for (size_t i = 0; i < t->pages.len; i++) {
		struct tui_view *v = t->pages.items[i];
		if (view_shows(v, areas))
			v->stale = true;
	}
	struct tui_view *top = tui_top(t);
	if (top->stale) {
		tui_refresh_view(t, top);
		t->dirty |= RD_BODY | RD_STATUS;
	}
}

int tui_store_poll(struct tui *t, bool force)
{
	if (!t->store)
		return -1;
	usec_t now = clock_monotonic_us();
	if (!force && now < t->next_poll)
		return (int)((t->next_poll - now + 999) / 1000);
	unsigned changed = 0;
	struct err e;
	err_clear(&e);
	if (store_changed(t->store, &t->watch, &changed, &e) < 0) {
		/* say it once, keep trying: a busy or restarting server */
		if (!t->message)
			tui_message(t, true, "control store: %s", err_text(&e));
		t->dirty |= RD_STATUS;
	}
	if (t->listen && !t->listener) {
		/* Listening again: what was missed meanwhile was just read. */
		struct store_options opt = { .read_only = true,
					     .password = t->cfg->store_password };
		t->listener = store_listener_open(t->cfg->store_url, &opt, NULL);
	}
	usec_t every = t->listener ? TUI_EVENTS_POLL_USEC : TUI_POLL_USEC;
	t->last_poll = now;
	t->next_poll = now + every;
	if ((changed & STORE_AREA_BIT(STORE_AREA_WORKERS)) || now >= t->next_engines)
		read_engines(t);
	tui_mark_areas(t, changed);
	return (int)(every / 1000);
}

int tui_events_fd(const struct tui *t)
{
	return t->listener ? store_listener_fd(t->listener) : -1;
}

void tui_events_read(struct tui *t)
{
	unsigned areas = 0;
	if (store_listener_read(t->listener, &areas, NULL) < 0) {
		/* Lost: poll every second until it can listen again. */
		store_listener_close(t->listener);
		t->listener = NULL;
		t->next_poll = t->last_poll + TUI_POLL_USEC;
		return;
	}
	if (!areas)
		return;
	usec_t at = clock_monotonic_us();
	if (at - t->last_poll >= TUI_FRAME_USEC)
		tui_store_poll(t, true);
	else if (t->next_poll > t->last_poll + TUI_FRAME_USEC)
		t->next_poll = t->last_poll + TUI_FRAME_USEC;
}

/* ---- commands for data --------------------------------------------------- */

int tui_fetch(struct tui *t, const char *line, struct buf *out, struct err *e)
{
	const struct tui_config *cfg = t->cfg;
	if (!cfg->execute)
		return err_set(e, ERR_INVALID, "no command layer is connected to "
			       "this console, so \"%s\" cannot run", line);
	return cfg->execute(cfg->arg, line, out, e);
}

cJSON *tui_fetch_json(struct tui *t, const char *line, struct err *e)
{
	struct buf out = BUF_INIT;
	if (tui_fetch(t, line, &out, e) < 0) {
		buf_free(&out);
		return NULL;
	}
	/* Diagnostics may come before the document: start at its first
	 * bracket. */
	const char *text = buf_str(&out);
	const char *start = text + strcspn(text, "{[");
	cJSON *json = *start ? cJSON_Parse(start) : NULL;
	if (!json) {
		char first[160];
		tui_first_line(text, first, sizeof first);
		err_set(e, ERR_PARSE, "\"%s\" did not answer in JSON%s%s", line,
			*first ? ": " : "", first);
	}
	buf_free(&out);
	return json;
}

void tui_quote_word(struct buf *b, const char *word)
{
	bool plain = *word != '\0';
	for (const char *p = word; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_.:/=,@+", *p))
			plain = false;
	if (plain) {
		buf_puts(b, word);
		return;
	}
	buf_putc(b, '\'');
	for (const char *p = word; *p; p++) {
		if (*p == '\'')
			buf_puts(b, "'\\''");
		else
			buf_putc(b, *p);
	}
	buf_putc(b, '\'');
}

/* ---- formatting -------------------------------------------------------------- */

void tui_fmt_ago(usec_t now, usec_t t, char *out, size_t n)
{
	if (!t) {
		snprintf(out, n, "-");
		return;
	}
	time_format_relative(now, t, out, n);
}

void tui_ago_cell(struct tui_ago_cell *c, usec_t now, usec_t at)
{
	tui_fmt_ago(now, at, c->text, sizeof c->text);
	snprintf(c->sort, sizeof c->sort, "%lld", (long long)at);
}

void tui_fmt_when(usec_t now, usec_t t, char *out, size_t n)
{
	if (!t) {
		snprintf(out, n, "-");
		return;
	}
	char abs[24], rel[32];
	time_format_short(t, abs);
	time_format_relative(now, t, rel, sizeof rel);
	snprintf(out, n, "%s UTC (%s)", abs, rel);
}

void tui_fmt_count(int64_t v, char *out, size_t n)
{
	char digits[32];
	snprintf(digits, sizeof digits, "%lld", (long long)(v < 0 ? -v : v));
	size_t len = strlen(digits), o = 0;
	char tmp[48];
	if (v < 0)
		tmp[o++] = '-';
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			tmp[o++] = ',';
		tmp[o++] = digits[i];
	}
	tmp[o] = '\0';
	snprintf(out, n, "%s", tmp);
}

void tui_fmt_took(usec_t now, usec_t start, usec_t end, char *out, size_t n)
{
	if (!start) {
		snprintf(out, n, "-");
		return;
	}
	usec_t stop = end ? end : now;
	duration_format(stop > start ? stop - start : 0, out, n);
}

void tui_first_line(const char *s, char *out, size_t n)
{
	if (!s) {
		out[0] = '\0';
		return;
	}
	size_t len = strcspn(s, "\r\n");
	if (len >= n)
		len = n - 1;
	memcpy(out, s, len);
	out[len] = '\0';
}

void tui_trace(struct tui *t, const char *what, int key)
{
	if (!t->trace)
		return;
	fprintf(t->trace, "%s %lld %lld %d\n", what, (long long)clock_monotonic_us(),
		(long long)clock_now_us(), key);
	fflush(t->trace);
}

/* ---- what the project and the store say of objects ------------------------ */

const struct store_object_state *tui_object_state(const struct vec *objs,
						  const char *kind, const char *name)
{
	size_t klen = strlen(kind);
	for (size_t i = 0; i < objs->len; i++) {
		const struct store_object_state *o = objs->items[i];
		if (!strncmp(o->object, kind, klen) && o->object[klen] == ':' &&
		    str_eq(o->object + klen + 1, name))
			return o;
	}
	return NULL;
}

void tui_task_names(const struct project *p,
		    bool (*pick)(const struct project_task *task, const void *arg),
		    const void *arg, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; i < p->ntasks; i++)
		if (pick(&p->tasks[i], arg))
			buf_printf(&b, "%s%s", b.len ? "," : "", p->tasks[i].name);
	snprintf(out, n, "%s", b.len ? buf_str(&b) : "-");
	buf_free(&b);
}

/*
 * view_logs.c - the store's log records, live.
 *
 * The view holds a window of at most LOG_WINDOW records (a few screens)
 * and pages through the store by id (store_log_query with before/after),
 * so a million records cost what a hundred do.  It follows by default:
 * new records are read after the newest id it holds when the store says
 * the logs changed, and the cursor stays on the last one.  Moving up
 * pauses; End (or f) follows again.
 *
 * Filters (run, step, object, minimum level) go to the store; the search
 * (`/`) highlights every occurrence on screen, and n/N move to the next or
 * previous record that has it, asking the store for it when it is outside
 * the window.  `m` marks the start of a selection; `s` saves the selection
 * (or, without a mark, the records on screen) to a file, written
 * atomically.
 */
#include "store/store.h"
#include "tui/keys.h"
#include "tui/theme.h"
#include "tui/draw.h"
#include "tui/widget_form.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#define LOG_WINDOW 600          /* records held */
#define LOG_PAGE   200          /* records read when paging */

struct logline {
	struct store_log *rec;
	char *text;                 /* the rendered line */
};

struct logs {
	struct vec lines;           /* struct logline *, ascending id */
	bool follow, wrap;
	size_t sel, top;            /* cursor and first line shown */
	int left;                   /* sideways scroll (no wrap) */
	bool at_start, at_end;      /* nothing before / after the window */
	int64_t run_id;             /* filters: 0 / NULL = any */
	char *step, *object;
	enum log_level level;
	char *search;
	bool marked;
	int64_t mark_id;            /* the selection's other end */
	int page;                   /* rows at the last draw */
	char *error;                /* the last read failed */
	bool loaded;
};

static struct logs *L(struct tui_view *v) { return v->state; }

static void line_free(void *p)
{
	struct logline *ll = p;
	struct vec one = VEC_INIT;
	vec_push(&one, ll->rec);
	store_log_list_free(&one);
	free(ll->text);
	free(ll);
}

static void render(struct logline *ll)
{
	const struct store_log *r = ll->rec;
	struct buf b = BUF_INIT;
	char ts[24];
	time_format_short(r->time, ts);
	buf_printf(&b, "%s %-5s ", ts + 11, log_level_name(r->level));
	if (r->run_id || r->step) {
		buf_puts(&b, "[");
		if (r->run_id)
			buf_printf(&b, "run %lld", (long long)r->run_id);
		if (r->step)
			buf_printf(&b, "%s%s", r->run_id ? " " : "", r->step);
		buf_puts(&b, "] ");
	}
	if (r->object)
		buf_printf(&b, "%s: ", r->object);
	buf_puts(&b, r->message ? r->message : "");
	if (r->fields) {
		cJSON *f = cJSON_Parse(r->fields);
		for (cJSON *it = f ? f->child : NULL; it; it = it->next)
			buf_printf(&b, " %s=%s", it->string,
				   cJSON_IsString(it) ? it->valuestring : "?");
		cJSON_Delete(f);
	}
	ll->text = buf_detach(&b);
}

static struct logline *wrap_rec(struct store_log *rec)
{
	struct logline *ll = xcalloc(1, sizeof *ll);
	ll->rec = rec;
	render(ll);
	return ll;
}

static int64_t id_at(struct logs *lg, size_t i)
{
	return ((struct logline *)lg->lines.items[i])->rec->id;
}

static void base_filter(const struct logs *lg, struct store_log_filter *f)
{
	memset(f, 0, sizeof *f);
	f->run_id = lg->run_id;
	f->step = lg->step;
	f->object = lg->object;
	f->min_level = lg->level;
}

/* Query into `out` (ascending); false with lg->error set on failure. */
static bool query(struct tui_view *v, const struct store_log_filter *f, struct vec *out)
{
	struct logs *lg = L(v);
	struct tui_data d = tui_data_now(v->tui);
	free(lg->error);
	lg->error = NULL;
	if (!d.store)
		return false;
	struct err e;
	err_clear(&e);
	if (store_log_query(d.store, f, out, &e) < 0) {
		lg->error = xstrdup(err_text(&e));
		store_log_list_free(out);
		return false;
	}
	return true;
}

/* Replace the window by `recs` (taken). */
static void set_window(struct logs *lg, struct vec *recs)
{
	vec_free_all(&lg->lines, line_free);
	for (size_t i = 0; i < recs->len; i++)
		vec_push(&lg->lines, wrap_rec(recs->items[i]));
	vec_free(recs);
	lg->sel = lg->lines.len ? lg->lines.len - 1 : 0;
	lg->top = 0;
}

/* Drop records from the front (dir < 0) or the back to stay bounded. */
static void trim(struct logs *lg, int from_front)
{
	while (lg->lines.len > LOG_WINDOW) {
		if (from_front) {
			line_free(lg->lines.items[0]);
			vec_remove(&lg->lines, 0);
			lg->sel = lg->sel ? lg->sel - 1 : 0;
			lg->top = lg->top ? lg->top - 1 : 0;
			lg->at_start = false;
		} else {
			line_free(vec_pop(&lg->lines));
			lg->at_end = false;
			lg->follow = false;
		}
	}
	if (lg->sel >= lg->lines.len)
		lg->sel = lg->lines.len ? lg->lines.len - 1 : 0;
}

static void load_newest(struct tui_view *v)
{
	struct logs *lg = L(v);
	struct store_log_filter f;
	base_filter(lg, &f);
	f.limit = LOG_PAGE;
	struct vec recs = VEC_INIT;
	if (!query(v, &f, &recs))
		return;
	lg->at_start = recs.len < LOG_PAGE;
	lg->at_end = true;
	set_window(lg, &recs);
	lg->loaded = true;
}

static void load_oldest(struct tui_view *v)
{
	struct logs *lg = L(v);
	struct store_log_filter f;
	base_filter(lg, &f);
	f.limit = LOG_PAGE;
	f.from_oldest = true;
	struct vec recs = VEC_INIT;
	if (!query(v, &f, &recs))
		return;
	lg->at_start = true;
	lg->at_end = recs.len < LOG_PAGE;
	set_window(lg, &recs);
	lg->sel = 0;
}

/* Read what came after the window; returns records added. */
static size_t load_after(struct tui_view *v)
{
	struct logs *lg = L(v);
	if (!lg->lines.len) {
		load_newest(v);
		return lg->lines.len;
	}
	struct store_log_filter f;
	base_filter(lg, &f);
	f.after_id = id_at(lg, lg->lines.len - 1);
	f.limit = LOG_PAGE;
	struct vec recs = VEC_INIT;
	if (!query(v, &f, &recs))
		return 0;
	size_t n = recs.len;
	if (n == LOG_PAGE && lg->follow) {
		/* a flood: jump to the newest rather than read it all */
		store_log_list_free(&recs);
		load_newest(v);
		return n;
	}
	for (size_t i = 0; i < n; i++)
		vec_push(&lg->lines, wrap_rec(recs.items[i]));
	vec_free(&recs);
	lg->at_end = n < LOG_PAGE;
	trim(lg, 1);
	return n;
}

static size_t load_before(struct tui_view *v)
{
	struct logs *lg = L(v);
	if (!lg->lines.len || lg->at_start)
		return 0;
	struct store_log_filter f;
	base_filter(lg, &f);
	f.before_id = id_at(lg, 0);
	f.limit = LOG_PAGE;
	struct vec recs = VEC_INIT;
	if (!query(v, &f, &recs))
		return 0;
	size_t n = recs.len;
	lg->at_start = n < LOG_PAGE;
	struct vec merged = VEC_INIT;
	for (size_t i = 0; i < n; i++)
		vec_push(&merged, wrap_rec(recs.items[i]));
	for (size_t i = 0; i < lg->lines.len; i++)
		vec_push(&merged, lg->lines.items[i]);
	vec_free(&recs);
	vec_free(&lg->lines);
	lg->lines = merged;
	lg->sel += n;
	lg->top += n;
	trim(lg, 0);
	return n;
}

static void logs_refresh(struct tui_view *v, const struct tui_data *d)
{
	struct logs *lg = L(v);
	v->clock = 0;
	if (!d->store)
		return;
	if (!lg->loaded) {
		load_newest(v);
		return;
	}
	if (lg->follow) {
		load_after(v);
		lg->sel = lg->lines.len ? lg->lines.len - 1 : 0;
	} else if (lg->at_end) {
		/* paused: the window stays put, but say that more came */
		struct store_log_filter f;
		base_filter(lg, &f);
		f.after_id = lg->lines.len ? id_at(lg, lg->lines.len - 1) : 0;
		f.limit = 1;
		struct vec recs = VEC_INIT;
		if (query(v, &f, &recs) && recs.len)
			lg->at_end = false;
		store_log_list_free(&recs);
	}
}

/* ---- drawing --------------------------------------------------------------- */

static enum tui_role level_role(enum log_level l)
{
	switch (l) {
	case LOG_DEBUG: return R_DIM;
	case LOG_INFO:  return R_NORMAL;
	case LOG_WARN:  return R_STATE_WARN;
	case LOG_ERROR: return R_STATE_FAILED;
	}
	return R_NORMAL;
}

static bool selected_line(const struct logs *lg, size_t i)
{
	if (!lg->marked)
		return i == lg->sel;
	int64_t id = ((struct logline *)lg->lines.items[i])->rec->id;
	int64_t cur = ((struct logline *)lg->lines.items[lg->sel])->rec->id;
	int64_t lo = cur < lg->mark_id ? cur : lg->mark_id;
	int64_t hi = cur < lg->mark_id ? lg->mark_id : cur;
	return id >= lo && id <= hi;
}

/* The line's roles: level word in its colour, matches highlighted. */
static unsigned char *line_roles(const struct logs *lg, const char *text,
				 const struct store_log *r)
{
	size_t n = strlen(text);
	unsigned char *roles = xcalloc(n + 1, 1);
	memset(roles, R_NORMAL, n);
	if (r->level == LOG_DEBUG)
		memset(roles, R_DIM, n);
	for (size_t i = 0; i < 8 && i < n; i++)
		roles[i] = R_DIM;
	for (size_t i = 9; i < 14 && i < n; i++)
		roles[i] = (unsigned char)level_role(r->level);
	if (lg->search && *lg->search) {
		size_t sl = strlen(lg->search);
		for (const char *p = text; (p = tui_strcasestr(p, lg->search)); p += sl)
			memset(roles + (p - text), R_MATCH, sl);
	}
	return roles;
}

static void draw_line(WINDOW *w, int y, int width, const char *text,
		      const unsigned char *roles, bool sel, int skip)
{
	attr_t base = theme_attr(sel ? R_SELECTED : R_NORMAL);
	tui_fill(w, y, 0, width, base);
	tui_put_styled(w, y, 0, width, skip, text, roles, sel ? base : 0);
}

/* Rows record i takes at this width. */
static int rec_rows(struct logs *lg, size_t i, int width)
{
	if (!lg->wrap)
		return 1;
	int tw = tui_text_width(((struct logline *)lg->lines.items[i])->text);
	return tw <= width ? 1 : (tw + width - 1) / width;
}

static void keep_visible(struct logs *lg, int h, int width)
{
	if (lg->sel < lg->top)
		lg->top = lg->sel;
	for (;;) {
		int rows = 0;
		for (size_t i = lg->top; i <= lg->sel && i < lg->lines.len; i++)
			rows += rec_rows(lg, i, width);
		if (rows <= h || lg->top >= lg->sel)
			break;
		lg->top++;
	}
	/* no empty rows below the last record while earlier ones exist
	 * (a taller window after a resize shows more, not less) */
	int below = 0;
	for (size_t i = lg->top; i < lg->lines.len && below <= h; i++)
		below += rec_rows(lg, i, width);
	while (lg->top > 0 && below + rec_rows(lg, lg->top - 1, width) <= h) {
		lg->top--;
		below += rec_rows(lg, lg->top, width);
	}
}

static void logs_draw(struct tui_view *v, WINDOW *w, int h, int width)
{
	struct logs *lg = L(v);
	lg->page = h;
	for (int y = 0; y < h; y++)
		tui_fill(w, y, 0, width, theme_attr(R_NORMAL));
	if (!lg->lines.len) {
		const char *msg = lg->error ? lg->error
			: !v->tui->store ? "No control store is open, so there are no "
					   "log records to show."
			: (lg->run_id || lg->step || lg->object || lg->level > LOG_DEBUG)
			? "No log records match the filters.\n\nPress c to clear them."
			: "No log records yet.\n\nRuns, pipes and the engine write their "
			  "records to the control store; they appear here as they come.";
		tui_notice(w, 0, 0, h, width, msg);
		return;
	}
	keep_visible(lg, h, width);
	int y = 0;
	for (size_t i = lg->top; i < lg->lines.len && y < h; i++) {
		struct logline *ll = lg->lines.items[i];
		unsigned char *roles = line_roles(lg, ll->text, ll->rec);
		bool sel = selected_line(lg, i);
		if (!lg->wrap) {
			draw_line(w, y++, width, ll->text, roles, sel, lg->left);
		} else {
			size_t n = strlen(ll->text), at = 0;
			while (at < n && y < h) {
				/* cut by columns at a character boundary */
				size_t end = at;
				int cols = 0;
				while (end < n) {
					size_t len = 1;
					while (end + len < n && ((unsigned char)ll->text[end + len] & 0xc0) == 0x80)
						len++;
					char *ch = xstrndup(ll->text + end, len);
					int cw = tui_text_width(ch);
					free(ch);
					if (cols + cw > width)
						break;
					cols += cw;
					end += len;
				}
				if (end == at)
					end = at + 1;
				char *part = xstrndup(ll->text + at, end - at);
				draw_line(w, y++, width, part, roles + at, sel, 0);
				free(part);
				at = end;
			}
		}
		free(roles);
	}
}

/* ---- keys -------------------------------------------------------------------- */

static void move_to(struct tui_view *v, long delta)
{
	struct logs *lg = L(v);
	if (!lg->lines.len)
		return;
	long target = (long)lg->sel + delta;
	if (target < 0) {
		size_t got = load_before(v);
		target += (long)got;
		if (target < 0)
			target = 0;
	}
	if (target >= (long)lg->lines.len && !lg->at_end) {
		load_after(v);
	}
	if (target >= (long)lg->lines.len)
		target = (long)lg->lines.len - 1;
	lg->sel = (size_t)target;
	if (delta < 0)
		lg->follow = false;
}

static int follow_now(struct tui_view *v)
{
	struct logs *lg = L(v);
	lg->follow = true;
	if (!lg->at_end)
		load_newest(v);
	else
		load_after(v);
	lg->sel = lg->lines.len ? lg->lines.len - 1 : 0;
	return RD_BODY | RD_STATUS;
}

/* Next (dir 1) or previous record holding the search, reading the store
 * beyond the window. */
static int find(struct tui_view *v, int dir)
{
	struct logs *lg = L(v);
	if (!lg->search)
		return tui_message(v->tui, true, "no search: press / first");
	for (size_t i = lg->sel + (size_t)(dir > 0 ? 1 : -1);
	     i < lg->lines.len; i += (size_t)dir) {
		if (tui_strcasestr(((struct logline *)lg->lines.items[i])->text, lg->search)) {
			lg->sel = i;
			lg->follow = false;
			return RD_BODY | RD_STATUS;
		}
	}
	if (!lg->lines.len)
		return RD_NONE;
	struct store_log_filter f;
	base_filter(lg, &f);
	f.search = lg->search;
	f.limit = 1;
	if (dir > 0)
		f.after_id = id_at(lg, lg->lines.len - 1);
	else
		f.before_id = id_at(lg, 0);
	struct vec hit = VEC_INIT;
	if (!query(v, &f, &hit) || !hit.len) {
		store_log_list_free(&hit);
		return tui_message(v->tui, true, "\"%s\": no more %s", lg->search,
				   dir > 0 ? "below" : "above");
	}
	int64_t id = ((struct store_log *)hit.items[0])->id;
	store_log_list_free(&hit);
	/* a window around the hit: a page before it, and it with what follows */
	base_filter(lg, &f);
	f.before_id = id;
	f.limit = LOG_PAGE / 2;
	struct vec before = VEC_INIT, after = VEC_INIT;
	if (!query(v, &f, &before))
		return RD_BODY | RD_STATUS;
	base_filter(lg, &f);
	f.after_id = id - 1;
	f.limit = LOG_PAGE / 2;
	if (!query(v, &f, &after)) {
		store_log_list_free(&before);
		return RD_BODY | RD_STATUS;
	}
	lg->at_start = before.len < LOG_PAGE / 2;
	lg->at_end = after.len < LOG_PAGE / 2;
	size_t at = before.len;
	for (size_t i = 0; i < after.len; i++)
		vec_push(&before, after.items[i]);
	vec_free(&after);
	set_window(lg, &before);
	lg->sel = at;
	lg->follow = false;
	return RD_BODY | RD_STATUS;
}

static int logs_key(struct tui_view *v, int key)
{
	struct logs *lg = L(v);
	long page = lg->page > 1 ? lg->page - 1 : 1;
	switch (key) {
	case TK(KEY_UP): case 'k': case TK_CTRL('p'):
		move_to(v, -1);
		break;
	case TK(KEY_DOWN): case 'j': case TK_CTRL('n'):
		move_to(v, 1);
		break;
	case TK(KEY_PPAGE): case TK_CTRL('b'):
		move_to(v, -page);
		break;
	case TK(KEY_NPAGE): case TK_CTRL('f'): case ' ':
		move_to(v, page);
		break;
	case TK(KEY_HOME): case 'g':
		load_oldest(v);
		lg->follow = false;
		break;
	case TK(KEY_END): case 'G':
		return follow_now(v);
	case TK(KEY_LEFT): case 'h':
		lg->left = lg->left > 8 ? lg->left - 8 : 0;
		break;
	case TK(KEY_RIGHT): case 'l':
		if (!lg->wrap)
			lg->left += 8;
		break;
	case 'n':
		return find(v, 1);
	case 'N':
		return find(v, -1);
	default:
		return TUI_UNHANDLED;
	}
	return RD_BODY | RD_STATUS;
}

static int act_pause(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct logs *lg = L(v);
	if (lg->follow) {
		lg->follow = false;
		return tui_message(t, false, "paused: new records wait below; p or End follows again");
	}
	return follow_now(v) | tui_message(t, false, "following");
}

static int act_wrap(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct logs *lg = L(tui_top(t));
	lg->wrap = !lg->wrap;
	lg->left = 0;
	return RD_BODY | tui_message(t, false, "wrap %s", lg->wrap ? "on" : "off");
}

static int act_level(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct logs *lg = L(v);
	lg->level = (enum log_level)((lg->level + 1) % (LOG_ERROR + 1));
	load_newest(v);
	lg->follow = true;
	return RD_BODY | tui_message(t, false, "level %s and above", log_level_name(lg->level));
}

static int act_clear(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct logs *lg = L(v);
	lg->run_id = 0;
	free(lg->step);
	free(lg->object);
	lg->step = lg->object = NULL;
	lg->level = LOG_DEBUG;
	lg->marked = false;
	lg->follow = true;
	load_newest(v);
	return RD_BODY | tui_message(t, false, "filters cleared: every record, following");
}

static int act_mark(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct logs *lg = L(tui_top(t));
	if (!lg->lines.len)
		return RD_NONE;
	if (lg->marked) {
		lg->marked = false;
		return RD_BODY | tui_message(t, false, "selection cleared");
	}
	lg->marked = true;
	lg->mark_id = id_at(lg, lg->sel);
	lg->follow = false;
	return RD_BODY | tui_message(t, false, "selection starts here; move, then s saves it");
}

/* ---- filters form ---------------------------------------------------------- */

static bool check_level(const char *value, const void *arg, char *msg, size_t n)
{
	(void)arg;
	enum log_level l;
	if (log_level_parse(value, &l))
		return true;
	snprintf(msg, n, "\"%s\" is not a level (debug, info, warn, error)", value);
	return false;
}

static int submit_filters(struct tui *t, const struct tui_form *f, void *arg)
{
	(void)t;
	struct tui_view *v = arg;
	struct logs *lg = L(v);
	const char *run = tui_form_value(f, "run"), *level = tui_form_value(f, "level");
	int64_t id = 0;
	if (*run)
		str_to_i64(run, &id);
	lg->run_id = id;
	free(lg->step);
	free(lg->object);
	lg->step = *tui_form_value(f, "step") ? xstrdup(tui_form_value(f, "step")) : NULL;
	lg->object = *tui_form_value(f, "object") ? xstrdup(tui_form_value(f, "object")) : NULL;
	enum log_level l = LOG_DEBUG;
	if (*level)
		log_level_parse(level, &l);
	lg->level = l;
	lg->follow = true;
	lg->marked = false;
	load_newest(v);
	return RD_BODY | RD_STATUS;
}

static int act_filters(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct logs *lg = L(v);
	struct tui_form *f = tui_form_new("Show log records", "Apply");
	char run[24] = "";
	if (lg->run_id)
		snprintf(run, sizeof run, "%lld", (long long)lg->run_id);
	tui_form_add(f, "run", "run", run, "a run id; empty: every run", false,
		     tui_check_integer);
	tui_form_add(f, "step", "step", lg->step, "a step name; empty: any", false, NULL);
	tui_form_add(f, "object", "object", lg->object,
		     "pipe:NAME, task:NAME ... exactly; empty: any", false, NULL);
	tui_form_add_checked(f, "level", "level", log_level_name(lg->level),
			     "debug, info, warn or error: this and above", false,
			     check_level, NULL);
	return tui_open_form(t, f, submit_filters, v);
}

/* ---- saving ------------------------------------------------------------------- */

static int submit_save(struct tui *t, const struct tui_form *f, void *arg)
{
	struct tui_view *v = arg;
	struct logs *lg = L(v);
	const char *path = tui_form_value(f, "path");
	struct buf b = BUF_INIT;
	size_t n = 0;
	if (lg->marked) {
		for (size_t i = 0; i < lg->lines.len; i++)
			if (selected_line(lg, i)) {
				buf_printf(&b, "%s\n", ((struct logline *)lg->lines.items[i])->text);
				n++;
			}
	} else {
		int rows = lg->page > 0 ? lg->page : 1;
		for (size_t i = lg->top; i < lg->lines.len && rows > 0; i++, n++) {
			buf_printf(&b, "%s\n", ((struct logline *)lg->lines.items[i])->text);
			rows -= rec_rows(lg, i, getmaxx(t->body));
		}
	}
	struct err e;
	err_clear(&e);
	int rc = file_write_atomic(path, b.data ? b.data : "", b.len, &e);
	buf_free(&b);
	if (rc < 0)
		return tui_message(t, true, "not saved: %s", err_text(&e));
	lg->marked = false;
	return RD_BODY | tui_message(t, false, "saved %zu record%s to %s", n,
				     n == 1 ? "" : "s", path);
}

static int act_save(struct tui *t, const struct tui_action *a, int key)
{
	(void)a; (void)key;
	struct tui_view *v = tui_top(t);
	struct logs *lg = L(v);
	if (!lg->lines.len)
		return tui_message(t, true, "save: no records to save");
	struct tui_form *f = tui_form_new(lg->marked ? "Save the selected records"
						     : "Save the records on screen", "Save");
	tui_form_add(f, "path", "file", "sluice-logs.txt",
		     "written whole or not at all (a temporary file, then renamed)",
		     true, NULL);
	return tui_open_form(t, f, submit_save, v);
}

/* In the order they matter: what does not fit at 80 columns is last. */
static const struct tui_action actions[] = {
	{ .keys = { 'p' }, .label = "p", .name = "pause",
	  .help = "pause or resume following new records", .run = act_pause },
	{ .keys = { 'F' }, .label = "F", .name = "filter",
	  .help = "filter by run, step, object and level", .run = act_filters },
	{ .keys = { 'v' }, .label = "v", .name = "level",
	  .help = "minimum level: debug, info, warn, error", .run = act_level },
	{ .keys = { 'm' }, .label = "m", .name = "mark",
	  .help = "start (or clear) a selection at the cursor", .run = act_mark },
	{ .keys = { 's' }, .label = "s", .name = "save",
	  .help = "save the selection, or the records on screen, to a file",
	  .run = act_save },
	{ .keys = { 'w' }, .label = "w", .name = "wrap",
	  .help = "wrap long records, or scroll sideways", .run = act_wrap },
	{ .keys = { 'c' }, .label = "c", .name = "clear",
	  .help = "clear the filters and follow", .run = act_clear },
};

/* The search and its moves come first: they were the keys left off. */
static const char *const hints[] = { "/ search", "n/N next", NULL };

/* ---- the rest of the operations ------------------------------------------------ */

static void logs_filter(struct tui_view *v, const char *text)
{
	struct logs *lg = L(v);
	free(lg->search);
	lg->search = text && *text ? xstrdup(text) : NULL;
}

/* `:logs 42` shows run 42's records. */
static bool logs_select(struct tui_view *v, const char *key)
{
	struct logs *lg = L(v);
	int64_t id;
	if (!str_to_i64(key, &id) || id <= 0)
		return false;
	lg->run_id = id;
	free(lg->step);
	free(lg->object);
	lg->step = lg->object = NULL;
	lg->follow = true;
	lg->marked = false;
	load_newest(v);
	return true;
}

static int logs_detail(struct tui_view *v)
{
	struct logs *lg = L(v);
	if (!lg->lines.len)
		return TUI_UNHANDLED;
	const struct store_log *r = ((struct logline *)lg->lines.items[lg->sel])->rec;
	struct buf b = BUF_INIT;
	char when[96];
	tui_fmt_when(clock_now_us(), r->time, when, sizeof when);
	buf_printf(&b, "id       %lld\ntime     %s\nlevel    %s\n", (long long)r->id, when,
		   log_level_name(r->level));
	if (r->run_id)
		buf_printf(&b, "run      %lld\n", (long long)r->run_id);
	if (r->step)
		buf_printf(&b, "step     %s\n", r->step);
	if (r->object)
		buf_printf(&b, "object   %s\n", r->object);
	buf_printf(&b, "\n%s\n", r->message ? r->message : "");
	if (r->fields) {
		cJSON *f = cJSON_Parse(r->fields);
		if (f && f->child) {
			buf_puts(&b, "\nFIELDS\n");
			for (cJSON *it = f->child; it; it = it->next) {
				char *val = cJSON_IsString(it) ? xstrdup(it->valuestring)
							       : cJSON_PrintUnformatted(it);
				buf_printf(&b, "  %s = %s\n", it->string, val);
				free(val);
			}
		}
		cJSON_Delete(f);
	}
	char *title = xasprintf("Log %lld", (long long)r->id);
	int rd = tui_push_page(v->tui, title, buf_str(&b));
	free(title);
	buf_free(&b);
	return rd;
}

static const char *logs_selected(struct tui_view *v)
{
	(void)v;
	return NULL;
}

static void logs_where(struct tui_view *v, struct buf *out)
{
	struct logs *lg = L(v);
	if (lg->lines.len) {
		char id[32];
		tui_fmt_count(id_at(lg, lg->sel), id, sizeof id);
		buf_printf(out, "#%s ", id);
	}
	buf_puts(out, lg->follow ? "following" : lg->at_end ? "paused" : "paused, more below");
	if (lg->run_id)
		buf_printf(out, ", run %lld", (long long)lg->run_id);
	if (lg->step)
		buf_printf(out, ", step %s", lg->step);
	if (lg->object)
		buf_printf(out, ", %s", lg->object);
	if (lg->level > LOG_DEBUG)
		buf_printf(out, ", %s+", log_level_name(lg->level));
	if (lg->search)
		buf_printf(out, ", search \"%s\"", lg->search);
	if (lg->marked)
		buf_puts(out, ", selecting");
	if (lg->wrap)
		buf_puts(out, ", wrap");
}

static void logs_open(struct tui_view *v)
{
	struct logs *lg = xcalloc(1, sizeof *lg);
	lg->follow = true;
	lg->level = LOG_DEBUG;
	v->state = lg;
	v->stale = true;
}

static void logs_close(struct tui_view *v)
{
	struct logs *lg = L(v);
	vec_free_all(&lg->lines, line_free);
	free(lg->step);
	free(lg->object);
	free(lg->search);
	free(lg->error);
	free(lg);
	v->state = NULL;
}

const struct tui_view_ops view_logs_ops = {
	.name = "logs",
	.title = "Logs",
	.key = '9',
	.in_tabs = true,
	.summary = "log records, live: follow, pause, filter, search, save",
	.areas = STORE_AREA_BIT(STORE_AREA_LOGS),
	.slash = "search",
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.hints = hints,
	.open = logs_open,
	.refresh = logs_refresh,
	.draw = logs_draw,
	.handle_key = logs_key,
	.select = logs_select,
	.filter = logs_filter,
	.detail = logs_detail,
	.selected = logs_selected,
	.where = logs_where,
	.close = logs_close,
};

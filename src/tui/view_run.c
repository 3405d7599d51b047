/*
 * view_run.c - one run in detail: what it is (flow, parameters, trigger,
 * attempt, worker, times), its error in full, its steps (state, rows,
 * duration, error), its validation results and every state transition
 * with its time and reason.  Cancel, retry and the run's logs are one key
 * away.
 *
 * A page of styled text read from the store on every change of the runs
 * area, so a running run's steps tick along while it is watched.
 */
#include "engine/engine.h"
#include "store/store.h"
#include "tui/theme.h"
#include "tui/widget_pager.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

struct run_page {
	struct tui_pager pager;     /* first: the page operations use it */
	int64_t id;
	char key[24];
};

#define LW 10

static void summary(struct tui_doc *d, const struct store_run *r, usec_t now)
{
	char buf[256];
	tui_doc_printf(d, R_TITLE, "Run %lld  ", (long long)r->id);
	tui_doc_printf(d, R_NORMAL, "%s  ", r->flow);
	tui_doc_state(d, run_state_name(store_run_shown_state(r, now)), 0);
	tui_doc_printf(d, R_NORMAL, "  attempt %d of %d", r->attempt, r->max_attempts);
	tui_doc_nl(d);
	snprintf(buf, sizeof buf, "%s%s%s", run_trigger_name(r->trigger),
		 r->trigger_detail ? " " : "", r->trigger_detail ? r->trigger_detail : "");
	tui_doc_field(d, LW, "trigger", buf);
	if (r->parent_run) {
		snprintf(buf, sizeof buf, "retry of run %lld", (long long)r->parent_run);
		tui_doc_field(d, LW, "parent", buf);
	}
	tui_doc_field(d, LW, "params", r->params);
	tui_doc_field(d, LW, "worker", r->worker);
	if (r->environment)
		tui_doc_field(d, LW, "env", r->environment);
	tui_fmt_when(now, r->created, buf, sizeof buf);
	tui_doc_field(d, LW, "created", buf);
	if (r->scheduled && r->scheduled != r->created) {
		tui_fmt_when(now, r->scheduled, buf, sizeof buf);
		tui_doc_field(d, LW, "scheduled", buf);
	}
	tui_fmt_when(now, r->started, buf, sizeof buf);
	tui_doc_field(d, LW, "started", buf);
	tui_fmt_when(now, r->ended, buf, sizeof buf);
	tui_doc_field(d, LW, "ended", buf);
	if (r->state == RUN_RETRYING && r->next_retry) {
		tui_fmt_when(now, r->next_retry, buf, sizeof buf);
		tui_doc_field(d, LW, "next try", buf);
	}
	tui_fmt_took(now, r->started, r->ended, buf, sizeof buf);
	tui_doc_field(d, LW, "took", buf);
	char in[32], out[32];
	tui_fmt_count(r->rows_in, in, sizeof in);
	tui_fmt_count(r->rows_out, out, sizeof out);
	snprintf(buf, sizeof buf, "%s in, %s out", in, out);
	tui_doc_field(d, LW, "rows", buf);
	if (r->reason)
		tui_doc_field(d, LW, "reason", r->reason);
	if (r->pool)
		tui_doc_field(d, LW, "pool", r->pool);
	if (r->error) {
		tui_doc_heading(d, "ERROR");
		tui_doc_put(d, R_STATE_FAILED, r->error);
		tui_doc_nl(d);
		/* the detail repeats the first line: show what follows it */
		const char *rest = r->error_detail;
		if (rest && str_starts_with(rest, r->error))
			rest += strlen(r->error);
		while (rest && (*rest == '\n' || *rest == '\r'))
			rest++;
		if (rest && *rest) {
			tui_doc_put(d, R_NORMAL, rest);
			tui_doc_nl(d);
		}
	}
}

/* The steps on one time axis, the run's length across TIMELINE_W cells:
 * where each started, how long it took, what ran side by side. */
#define TIMELINE_W 40

static void timeline_bar(struct tui_doc *d, usec_t from, usec_t len, usec_t start,
			 usec_t end)
{
	int at = (int)((start - from) * TIMELINE_W / len);
	int n = (int)(((end - start) * TIMELINE_W + len - 1) / len);
	at = at < 0 ? 0 : at > TIMELINE_W - 1 ? TIMELINE_W - 1 : at;
	n = n < 1 ? 1 : n > TIMELINE_W - at ? TIMELINE_W - at : n;
	const char *full = theme_utf8() ? "\u2588" : "#";
	struct buf bar = BUF_INIT;
	for (int i = 0; i < TIMELINE_W; i++)
		buf_puts(&bar, i >= at && i < at + n ? full : " ");
	tui_doc_put(d, R_STATE_RUNNING, buf_str(&bar));
	buf_free(&bar);
}

static void timeline(struct tui_doc *d, const struct store_run *r, const struct vec *list,
		     usec_t now)
{
	usec_t from = r->started, to = r->ended ? r->ended : now;
	for (size_t i = 0; i < list->len; i++) {
		const struct store_step *st = list->items[i];
		if (st->started && (!from || st->started < from))
			from = st->started;
		if (st->ended > to)
			to = st->ended;
	}
	if (!from || to <= from)
		return;
	tui_doc_heading(d, "TIMELINE");
	for (size_t i = 0; i < list->len; i++) {
		const struct store_step *st = list->items[i];
		if (!st->started)
			continue;
		char offset[32], took[32];
		tui_fmt_took(now, from, st->started, offset, sizeof offset);
		tui_fmt_took(now, st->started, st->ended, took, sizeof took);
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_cell(d, R_NORMAL, 16, false, st->step);
		tui_doc_put(d, R_DIM, " |");
		timeline_bar(d, from, to - from, st->started, st->ended ? st->ended : now);
		tui_doc_printf(d, R_DIM, "| +%s %s", offset, took);
		tui_doc_nl(d);
	}
}

static void steps(struct tui_doc *d, const struct vec *list, usec_t now)
{
	tui_doc_heading(d, "STEPS");
	if (!list->len) {
		tui_doc_put(d, R_DIM, "  no step has started yet");
		tui_doc_nl(d);
		return;
	}
	static const char *const head[] = { "STEP", "STATE", "TRY", "ROWS IN",
					    "ROWS OUT", "TOOK", "ERROR" };
	static const int width[] = { 16, 10, 3, 10, 10, 8, 0 };
	tui_doc_put(d, R_NORMAL, "  ");
	for (size_t i = 0; i < ARRAY_LEN(head); i++) {
		if (width[i])
			tui_doc_cell(d, R_COLHEAD, width[i], i >= 2 && i <= 5, head[i]);
		else
			tui_doc_put(d, R_COLHEAD, head[i]);
		tui_doc_put(d, R_NORMAL, " ");
	}
	tui_doc_nl(d);
	for (size_t i = 0; i < list->len; i++) {
		const struct store_step *st = list->items[i];
		char n[32];
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_cell(d, R_NORMAL, 16, false, st->step);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_state(d, step_state_name(st->state), 10);
		snprintf(n, sizeof n, "%d", st->attempt);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_NORMAL, 3, true, n);
		tui_fmt_count(st->rows_in, n, sizeof n);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_NORMAL, 10, true, n);
		tui_fmt_count(st->rows_out, n, sizeof n);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_NORMAL, 10, true, n);
		tui_fmt_took(now, st->started, st->ended, n, sizeof n);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_NORMAL, 8, true, n);
		tui_doc_put(d, R_NORMAL, " ");
		if (st->error) {
			char first[512];
			tui_first_line(st->error, first, sizeof first);
			tui_doc_put(d, R_STATE_FAILED, first);
		} else if (st->cached) {
			tui_doc_put(d, R_DIM, "from the cache");
		} else if (st->detail) {
			tui_doc_put(d, R_STATE_WAITING, st->detail);
		}
		tui_doc_nl(d);
	}
}

static void validations(struct tui_doc *d, const struct vec *list)
{
	if (!list->len)
		return;
	tui_doc_heading(d, "VALIDATION");
	for (size_t i = 0; i < list->len; i++) {
		const struct store_validation *val = list->items[i];
		char n[32];
		tui_doc_put(d, R_NORMAL, "  ");
		tui_doc_cell(d, R_NORMAL, 16, false, val->step);
		tui_doc_put(d, R_NORMAL, " ");
		tui_doc_cell(d, R_NORMAL, 24, false, val->check);
		tui_doc_put(d, R_NORMAL, " ");
		const char *verdict = val->passed ? "PASSED"
				      : val->severity == SEVERITY_WARN ? "WARN" : "FAILED";
		tui_doc_state(d, verdict, 7);
		tui_fmt_count(val->violations, n, sizeof n);
		tui_doc_printf(d, R_NORMAL, " %s violation%s", n,
			       val->violations == 1 ? "" : "s");
		tui_doc_nl(d);
		if (val->sample && !val->passed) {
			tui_doc_put(d, R_DIM, val->sample);
			tui_doc_nl(d);
		}
	}
}

static void transitions(struct tui_doc *d, const struct vec *list)
{
	tui_doc_heading(d, "TRANSITIONS");
	const char *arrow = theme_utf8() ? " \u2192 " : " -> ";
	for (size_t i = 0; i < list->len; i++) {
		const struct store_transition *tr = list->items[i];
		char at[24];
		time_format_short(tr->at, at);
		tui_doc_printf(d, R_DIM, "  %s  ", at);
		if (tr->has_from)
			tui_doc_state(d, run_state_name(tr->from), 0);
		else
			tui_doc_put(d, R_DIM, "(new)");
		tui_doc_put(d, R_NORMAL, arrow);
		tui_doc_state(d, run_state_name(tr->to), 0);
		if (tr->reason)
			tui_doc_printf(d, R_NORMAL, "  %s", tr->reason);
		if (tr->worker)
			tui_doc_printf(d, R_DIM, "  (%s)", tr->worker);
		tui_doc_nl(d);
	}
}

/* A queued run of a pool no live worker serves, or a running run whose
 * worker is lost: say so under the summary. */
static void waiting(struct tui_doc *d, struct store *s, const struct store_run *r)
{
	struct vec ws = VEC_INIT;
	char *note = NULL;
	if (store_worker_list(s, &ws, NULL) == 0) {
		note = r->pool ? engine_run_waiting(r, &ws, 0) : NULL;
		if (!note)
			note = engine_run_worker_lost(r, &ws, clock_now_us(), 0);
	}
	if (note) {
		tui_doc_put(d, R_STATE_WARN, note);
		tui_doc_nl(d);
	}
	free(note);
	store_worker_list_free(&ws);
}

static void run_refresh(struct tui_view *v, const struct tui_data *data)
{
	struct run_page *rp = v->state;
	struct tui_doc d;
	tui_doc_begin(&d, &rp->pager);
	v->clock = 0;
	if (tui_doc_no_store(&d, data))
		return;
	struct err e;
	err_clear(&e);
	struct store_run *r = store_run_get(data->store, rp->id, &e);
	if (!r) {
		tui_doc_error(&d, &e, "Run %lld", (long long)rp->id);
		return;
	}
	struct vec st = VEC_INIT, tr = VEC_INIT, val = VEC_INIT;
	summary(&d, r, data->now);
	waiting(&d, data->store, r);
	if (store_step_list(data->store, rp->id, &st, &e) == 0)
	{
		steps(&d, &st, data->now);
		timeline(&d, r, &st, data->now);
	}
	if (store_validation_list(data->store, rp->id, NULL, &val, &e) == 0)
		validations(&d, &val);
	if (store_run_transitions(data->store, rp->id, &tr, &e) == 0)
		transitions(&d, &tr);
	if (e.code != ERR_OK) {
		tui_doc_nl(&d);
		tui_doc_put(&d, R_ERROR, err_text(&e));
	}
	tui_doc_end(&d);
	if (!run_state_is_terminal(r->state))
		v->clock = USEC_PER_SEC;     /* the running clock ticks */
	store_step_list_free(&st);
	store_transition_list_free(&tr);
	store_validation_list_free(&val);
	store_run_free(r);
}

static void run_open(struct tui_view *v)
{
	struct run_page *rp = xcalloc(1, sizeof *rp);
	tui_pager_init(&rp->pager);
	v->state = rp;
}

static const char *run_selected(struct tui_view *v)
{
	struct run_page *rp = v->state;
	return rp->key;
}

static void run_close(struct tui_view *v)
{
	struct run_page *rp = v->state;
	tui_pager_free(&rp->pager);
	free(rp);
	v->state = NULL;
}

static const struct tui_view_ops view_run_ops = {
	.name = "run",
	.title = "Run",
	.summary = "one run: steps, validation, transitions",
	.areas = STORE_AREA_BIT(STORE_AREA_RUNS),
	.actions = tui_run_page_actions,
	.nactions = TUI_NRUN_ACTIONS + 1,
	.open = run_open,
	.refresh = run_refresh,
	.draw = tui_page_draw,
	.handle_key = tui_page_key,
	.filter = tui_page_filter,
	.selected = run_selected,
	.where = tui_page_where,
	.close = run_close,
};

int tui_open_run(struct tui *t, int64_t run_id)
{
	struct tui_view *v = tui_view_new(t, &view_run_ops, "Run %lld", (long long)run_id);
	struct run_page *rp = v->state;
	rp->id = run_id;
	snprintf(rp->key, sizeof rp->key, "%lld", (long long)run_id);
	return tui_push_view(t, v);
}

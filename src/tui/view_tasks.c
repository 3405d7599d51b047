/*
 * view_tasks.c - the project's tasks: state, schedule, next tick, last
 * result, consecutive failures; Enter lists a task's history.
 *
 * A task's state is its object state in the store ("task:NAME": STARTED,
 * SUSPENDED, FAILED_AND_AUTO_SUSPENDED), or what the project declares when
 * nobody has set one.  The next tick is the project's schedule evaluated
 * now (schedule_next), shown only for a started task with a schedule;
 * tasks that follow others say "after X".
 */
#include "project/project.h"
#include "store/store.h"
#include "tui/widget_list.h"
#include "tui/views.h"
#include "tui/tui_int.h"

#include <stdlib.h>
#include <string.h>

static const struct tui_column columns[] = {
	TUI_COL_TEXT("NAME", 16, .weight = 1),
	TUI_COL_STATE("STATE", 10),
	TUI_COL_FLEX("SCHEDULE", 10, .drop = 3),
	TUI_COL_TIME("NEXT", 9, .drop = 2),
	TUI_COL_TIME("LAST", 9, .drop = 4),
	TUI_COL_STATE("RESULT", 10, .drop = 1),
	TUI_COL_NUMBER("FAILS", 5, .drop = 5),
	TUI_COL_FLEX("ACTION", 10, .drop = 6),
};

static const struct tui_list_spec spec = {
	columns, ARRAY_LEN(columns), -1, false, "tasks",
	"Tasks trigger flows or SQL on a schedule, optionally when a "
	"condition holds.",
};

static const struct tui_action actions[] = {
	{ .keys = { 'x' }, .label = "x", .name = "execute",
	  .help = "run the selected task once now",
	  .mutates = true, .command = "task execute %s" },
	{ .keys = { 's' }, .label = "s", .name = "suspend",
	  .help = "suspend the selected task",
	  .mutates = true, .command = "task suspend %s",
	  .confirm = "Suspend task %s? It fires no more until it is resumed." },
	{ .keys = { 'u' }, .label = "u", .name = "resume",
	  .help = "resume the selected task",
	  .mutates = true, .command = "task resume %s" },
	TUI_MARK_ACTION,
};

static void tasks_open(struct tui_view *v)
{
	tui_list_view_open(v, &spec);
	((struct tui_list_view *)v->state)->marks = true;
}

/* The task's state and since when; "STARTED" unless the store says. */
static const char *task_state(const struct project_task *pt, const struct vec *objs,
			      usec_t *since)
{
	const struct store_object_state *o = tui_object_state(objs, "task", pt->name);
	if (o) {
		*since = o->changed;
		return o->state;
	}
	*since = 0;
	return pt->start_suspended ? "SUSPENDED" : "STARTED";
}

static void schedule_text(const struct project_task *pt, char *out, size_t n)
{
	struct buf b = BUF_INIT;
	if (pt->schedule.kind != SCHEDULE_NONE)
		buf_puts(&b, pt->schedule.text);
	if (pt->schedule.timezone)
		buf_printf(&b, " %s", pt->schedule.timezone);
	for (size_t i = 0; i < pt->nafter; i++)
		buf_printf(&b, "%s%s", i ? "," : (b.len ? "; after " : "after "), pt->after[i]);
	if (pt->when_text)
		buf_printf(&b, " when %s", pt->when_text);
	snprintf(out, n, "%s", b.len ? buf_str(&b) : "-");
	buf_free(&b);
}

static void tasks_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_project(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec objs = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (d->store)
		store_object_list(d->store, "task:", &objs, &e);
	tui_list_begin(l);
	for (size_t i = 0; i < d->project->ntasks; i++) {
		const struct project_task *pt = &d->project->tasks[i];
		usec_t since;
		const char *state = task_state(pt, &objs, &since);
		char sched[256], result[32] = "-", fails[16] = "-", action[256];
		/* no next tick, or no last one: sorts last either way */
		struct tui_ago_cell next = { "-", "" }, last = { "-", "" };
		schedule_text(pt, sched, sizeof sched);
		if (str_eq(state, "STARTED") && pt->schedule.kind != SCHEDULE_NONE) {
			usec_t at = schedule_next(&pt->schedule, d->now);
			if (at)
				tui_ago_cell(&next, d->now, at);
		}
		struct store_task_entry *te = NULL;
		if (d->store && store_task_last(d->store, pt->name, &te, &e) == 1) {
			tui_ago_cell(&last, d->now, te->completed ? te->completed : te->scheduled);
			snprintf(result, sizeof result, "%s", task_state_name(te->state));
		}
		store_task_free(te);
		int nfail = 0;
		if (d->store && store_task_failures(d->store, pt->name,
						    str_eq(state, "STARTED") ? since : 0,
						    &nfail, &e) == 0)
			snprintf(fails, sizeof fails, "%d", nfail);
		if (pt->flow)
			snprintf(action, sizeof action, "run %s", pt->flow);
		else
			snprintf(action, sizeof action, "sql %s", pt->sql_file ? pt->sql_file : "");
		const char *cells[] = { pt->name, state, sched, next.text, last.text, result,
					fails, action };
		const char *sort[] = { NULL, NULL, NULL, next.sort, last.sort, NULL, NULL,
				       NULL };
		tui_list_add_sorted(l, pt->name, cells, sort);
	}
	tui_list_end(l);
	store_object_list_free(&objs);
	tui_list_set_empty(l, "The project declares no tasks.\n\nTasks are declared in "
			   "sluice.json under \"tasks\".");
	if (e.code != ERR_OK)
		tui_message(v->tui, true, "tasks: %s", err_text(&e));
	v->clock = 5 * USEC_PER_SEC;     /* "in 3m" counts down */
}

static int tasks_detail(struct tui_view *v)
{
	return tui_list_view_open_selected(v, tui_open_task_history);
}

const struct tui_view_ops view_tasks_ops = {
	.name = "tasks",
	.title = "Tasks",
	.key = '4',
	.in_tabs = true,
	.summary = "schedules and conditions that trigger flows; next ticks",
	.areas = STORE_AREA_BIT(STORE_AREA_TASKS) | STORE_AREA_BIT(STORE_AREA_OBJECTS),
	.actions = actions,
	.nactions = ARRAY_LEN(actions),
	.open = tasks_open,
	.refresh = tasks_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = tasks_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

/* ---- a task's history ---------------------------------------------------- */

static const struct tui_column hist_columns[] = {
	TUI_COL_NUMBER("ID", 6, .drop = 5),
	TUI_COL_TEXT("SCHEDULED", 19, .drop = 2),
	TUI_COL_STATE("STATE", 10),
	TUI_COL_NUMBER("TOOK", 7, .drop = 3),
	TUI_COL_NUMBER("RUN", 7, .drop = 4),
	TUI_COL_FLEX("CONDITION / ERROR", 12),
};

static const struct tui_list_spec hist_spec = {
	hist_columns, ARRAY_LEN(hist_columns), -1, false, "task history",
	"Every tick of a task is recorded: when, what it decided, how it ended.",
};

#define HISTORY_ROWS 500

static void hist_open(struct tui_view *v)
{
	tui_list_view_open(v, &hist_spec);
}

static void hist_refresh(struct tui_view *v, const struct tui_data *d)
{
	if (tui_list_view_no_store(v, d))
		return;
	struct tui_list *l = tui_list_view_list(v);
	struct vec list = VEC_INIT;
	struct err e;
	err_clear(&e);
	if (store_task_list(d->store, tui_list_view_arg(v), HISTORY_ROWS, 0, &list, &e) < 0) {
		tui_list_view_error(v, &e);
		return;
	}
	tui_list_begin(l);
	for (size_t i = 0; i < list.len; i++) {
		const struct store_task_entry *te = list.items[i];
		char id[24], sched[24], took[32], run[24] = "-", text[512];
		snprintf(id, sizeof id, "%lld", (long long)te->id);
		time_format_short(te->scheduled, sched);
		tui_fmt_took(d->now, te->started, te->completed, took, sizeof took);
		if (te->run_id)
			snprintf(run, sizeof run, "%lld", (long long)te->run_id);
		char first[400];
		tui_first_line(te->error, first, sizeof first);
		snprintf(text, sizeof text, "%s%s%s", te->condition ? te->condition : "",
			 te->condition && *first ? "; " : "", first);
		const char *cells[] = { id, sched, task_state_name(te->state), took, run, text };
		tui_list_add(l, id, cells);
	}
	tui_list_end(l);
	store_task_list_free(&list);
	char *empty = xasprintf("Task %s has not fired yet.", tui_list_view_arg(v));
	tui_list_set_empty(l, empty);
	free(empty);
}

/* Enter on a tick that started a run opens the run. */
static int hist_detail(struct tui_view *v)
{
	const struct tui_row *r = tui_list_selected(tui_list_view_list(v));
	int64_t run;
	if (r && str_to_i64(r->cells[4], &run))
		return tui_open_run(v->tui, run);
	return tui_list_view_detail(v);
}

static const struct tui_view_ops view_task_history_ops = {
	.name = "task history",
	.title = "Task history",
	.summary = "a task's ticks: state, condition, error, run",
	.areas = STORE_AREA_BIT(STORE_AREA_TASKS),
	.open = hist_open,
	.refresh = hist_refresh,
	TUI_LIST_VIEW_OPS,
	.detail = hist_detail,
	.selected = tui_list_view_selected,
	.close = tui_list_view_close,
};

int tui_open_task_history(struct tui *t, const char *task)
{
	return tui_list_view_push(t, &view_task_history_ops, "History of", task);
}

/*
 * cmd_task.c - `task execute|suspend|resume`, `show tasks` and
 * `show task-history`.
 *
 * Suspending and resuming write the task's state in the store, which every
 * engine's scheduler reads.  `execute` asks an engine to run the task now
 * (an operator request, kind "execute", target "task:NAME"); it waits a
 * few seconds to report the run it started.  With no engine alive the
 * request waits for the next `sluice worker` or console, and the command
 * says so.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXECUTE_WAIT (5 * USEC_PER_SEC)

static int exec_task_switch(struct cmd_ctx *ctx, const struct cmd_args *args, bool start,
			    struct err *e)
{
	const char *name = args->positional.items[0];
	int rc = EXIT_OK;
	if (engine_task_set(ctx->store, ctx->project, name, start, ctx->user, e) < 0)
		rc = e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	else
		fprintf(ctx->out, "task %s: %s\n", name,
			start ? TASK_STATE_STARTED : TASK_STATE_SUSPENDED);
	return rc;
}

static int exec_task_suspend(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	return exec_task_switch(ctx, args, false, e);
}

static int exec_task_resume(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	return exec_task_switch(ctx, args, true, e);
}

static int exec_task_execute(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	const char *name = args->positional.items[0];
	if (!project_task(ctx->project, name)) {
		err_set(e, ERR_NOTFOUND, "no task named \"%s\" in the project", name);
		return EXIT_USAGE;
	}
	char *target = xasprintf("task:%s", name);
	int64_t id = 0;
	bool alive = false;
	if (store_request_add(ctx->store, ENGINE_REQ_EXECUTE, target, NULL, ctx->user,
			      &id, e) < 0 || engine_alive(ctx->store, 0, &alive, e) < 0) {
		free(target);
		return EXIT_FAILED;
	}
	free(target);
	if (!alive) {
		fprintf(ctx->out, "request %lld: task %s will run when an engine starts "
			"(no engine is running: start 'sluice worker')\n", (long long)id, name);
		return EXIT_OK;
	}
	usec_t until = clock_monotonic_us() + EXECUTE_WAIT;
	while (clock_monotonic_us() < until) {
		struct store_request *rq = store_request_get(ctx->store, id, e);
		if (!rq)
			return EXIT_FAILED;
		enum request_state st = rq->state;
		if (st == REQUEST_DONE) {
			/* the engine's result says more than "executed" or not */
			bool more = rq->result && !str_eq(rq->result, "executed");
			fprintf(ctx->out, "task %s executed%s%s\n", name, more ? ": " : "",
				more ? rq->result : "");
		} else if (st == REQUEST_FAILED) {
			err_set(e, ERR_INVALID, "task %s: %s", name,
				rq->error ? rq->error : "failed");
		}
		store_request_free(rq);
		if (st == REQUEST_DONE)
			return EXIT_OK;
		if (st == REQUEST_FAILED)
			return EXIT_FAILED;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	fprintf(ctx->out, "request %lld: task %s queued for the engine\n", (long long)id, name);
	return EXIT_OK;
}

/* ---- show tasks ------------------------------------------------------------------ */
static void fmt_time(usec_t t, char *out, size_t n)
{
	if (!t) {
		snprintf(out, n, "-");
		return;
	}
	char s[24];
	time_format_short(t, s);
	snprintf(out, n, "%s", s);
}

static char *task_action(const struct project_task *t)
{
	if (t->flow)
		return xasprintf("flow %s", t->flow);
	if (t->sql_file)
		return xasprintf("sql %s", t->sql_file);
	return xstrdup("-");
}

static int exec_show_tasks(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	static const int widths[] = { -22, -25, -20, -19, -10, -19, 0 };
	bool json = args->format == CMD_FORMAT_JSON;
	const struct project *p = ctx->project;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	struct cmd_table tt = { .ncols = 7, .format = args->format, .widths = widths };
	cmd_table_add(&tt, "TASK", "STATE", "SCHEDULE", "NEXT", "LAST", "LAST AT", "ACTION");
	usec_t now = clock_now_us();
	for (size_t i = 0; i < p->ntasks; i++) {
		const struct project_task *t = &p->tasks[i];
		char *state = engine_task_state(ctx->store, p, t->name, NULL, e);
		if (!state) {
			if (arr)
				cJSON_Delete(arr);
			cmd_table_free(&tt);
			return EXIT_FAILED;
		}
		struct vec h = VEC_INIT;
		store_task_list(ctx->store, t->name, 1, 0, &h, NULL);
		const struct store_task_entry *last = h.len ? h.items[0] : NULL;
		usec_t next = str_eq(state, TASK_STATE_STARTED)
			? schedule_next(&t->schedule, now) : 0;
		char *action = task_action(t);
		const char *sched = t->schedule.text ? t->schedule.text : "-";
		if (json) {
			cJSON *to = cJSON_CreateObject();
			cJSON_AddStringToObject(to, "name", t->name);
			cJSON_AddStringToObject(to, "state", state);
			cmd_json_add_str(to, "schedule", t->schedule.text);
			cmd_json_add_str(to, "timezone", t->schedule.timezone);
			cmd_json_add_str(to, "when", t->when_text);
			cJSON *after = cJSON_CreateArray();
			for (size_t k = 0; k < t->nafter; k++)
				cJSON_AddItemToArray(after, cJSON_CreateString(t->after[k]));
			cJSON_AddItemToObject(to, "after", after);
			cmd_json_add_str(to, "flow", t->flow);
			cmd_json_add_str(to, "sql_file", t->sql_file);
			cmd_json_add_time(to, "next", next);
			cmd_json_add_str(to, "last_state", last ? task_state_name(last->state) : NULL);
			cmd_json_add_time(to, "last_scheduled", last ? last->scheduled : 0);
			if (last && last->run_id)
				cJSON_AddNumberToObject(to, "last_run", (double)last->run_id);
			else
				cJSON_AddNullToObject(to, "last_run");
			cJSON_AddItemToArray(arr, to);
		} else {
			char nexts[24], lasts[24];
			fmt_time(next, nexts, sizeof nexts);
			fmt_time(last ? last->started : 0, lasts, sizeof lasts);
			char schedbuf[64];
			if (t->schedule.kind == SCHEDULE_NONE && t->nafter)
				snprintf(schedbuf, sizeof schedbuf, "after %s%s", t->after[0],
					 t->nafter > 1 ? ",..." : "");
			else
				snprintf(schedbuf, sizeof schedbuf, "%s", sched);
			cmd_table_add(&tt, t->name, state, schedbuf, nexts,
				      last ? task_state_name(last->state) : "-", lasts, action);
		}
		free(action);
		free(state);
		store_task_list_free(&h);
	}
	if (json) {
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
		cmd_table_free(&tt);
	} else {
		cmd_table_print(ctx->out, &tt);
	}
	return EXIT_OK;
}

/* ---- show task-history --------------------------------------------------------------- */
static void print_history(FILE *fp, enum cmd_format format, const struct vec *h)
{
	static const int widths[] = { -19, -19, -19, -10, -7, 0 };
	struct cmd_table tt = { .ncols = 6, .format = format, .widths = widths };
	cmd_table_add(&tt, "SCHEDULED", "STARTED", "COMPLETED", "STATE", "RUN",
		      "CONDITION / ERROR");
	for (size_t i = 0; i < h->len; i++) {
		const struct store_task_entry *t = h->items[i];
		char a[24], b[24], c[24], run[24] = "-";
		fmt_time(t->scheduled, a, sizeof a);
		fmt_time(t->started, b, sizeof b);
		fmt_time(t->completed, c, sizeof c);
		if (t->run_id)
			snprintf(run, sizeof run, "%lld", (long long)t->run_id);
		char *why = xasprintf("%s%s%s", t->condition ? t->condition : "",
				      t->condition && t->error ? "; " : "",
				      t->error ? t->error : "");
		cmd_table_add(&tt, a, b, c, task_state_name(t->state), run, why);
		free(why);
	}
	cmd_table_print(fp, &tt);
}

static int exec_show_task_history(struct cmd_ctx *ctx, const struct cmd_args *args,
				  struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_OK;
	int64_t limit = 50;
	const char *lim = cmd_opt_value(args, "--limit");
	if (lim && (!str_to_i64(lim, &limit) || limit < 1 || limit > 10000))
		rc = cmd_usage_error(self, e, "--limit takes a number from 1 to 10000");
	const char *name = rc == EXIT_OK ? (const char *)args->positional.items[0] : NULL;
	if (name && !project_task(ctx->project, name)) {
		err_set(e, ERR_NOTFOUND, "no task named \"%s\" in the project", name);
		rc = EXIT_USAGE;
	}
	struct vec h = VEC_INIT;
	if (rc == EXIT_OK && store_task_list(ctx->store, name, (int)limit, 0, &h, e) < 0)
		rc = EXIT_FAILED;
	if (rc == EXIT_OK && args->format == CMD_FORMAT_JSON) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < h.len; i++) {
			const struct store_task_entry *t = h.items[i];
			cJSON *to = cJSON_CreateObject();
			cJSON_AddNumberToObject(to, "id", (double)t->id);
			cmd_json_add_time(to, "scheduled", t->scheduled);
			cmd_json_add_time(to, "started", t->started);
			cmd_json_add_time(to, "completed", t->completed);
			cJSON_AddStringToObject(to, "state", task_state_name(t->state));
			cmd_json_add_str(to, "condition", t->condition);
			cmd_json_add_str(to, "error", t->error);
			if (t->run_id)
				cJSON_AddNumberToObject(to, "run", (double)t->run_id);
			else
				cJSON_AddNullToObject(to, "run");
			cJSON_AddItemToArray(arr, to);
		}
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
	} else if (rc == EXIT_OK) {
		print_history(ctx->out, args->format, &h);
	}
	store_task_list_free(&h);
	return rc;
}

const struct cmd_entry cmd_task_entries[] = {
	{ .name = "task execute", .usage = "TASK",
	  .summary = "run a task now (an engine does it)",
	  .help = "Queues an operator request; a running engine fires the task at once,\n"
		  "whether the task is started or suspended, and this command reports the\n"
		  "run it started.  With no engine running, the request waits for one.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_TASK } },
	  .exec = exec_task_execute,
	  .audit = { "start", "task" } },
	{ .name = "task suspend", .usage = "TASK",
	  .summary = "stop a task's schedule (runs in flight finish)",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_TASK } },
	  .exec = exec_task_suspend,
	  .audit = { "suspend", "task" } },
	{ .name = "task resume", .usage = "TASK",
	  .summary = "start a task's schedule again (failures count afresh)",
	  .help = "Also clears FAILED_AND_AUTO_SUSPENDED.  Ticks missed while suspended do\n"
		  "not run; the next tick is the first after now.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_TASK } },
	  .exec = exec_task_resume,
	  .audit = { "resume", "task" } },
	{ .name = "show tasks", .usage = "[--json]",
	  .summary = "list tasks: state, schedule, next tick, last outcome",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_tasks },
	{ .name = "show task-history", .usage = "TASK [--limit N] [--json]",
	  .summary = "a task's history: ticks, outcomes, conditions",
	  .help = "Newest first; --limit N (-n) rows, default 50.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = { { "--limit", "-n", CMD_KIND_NUMBER } },
	  .args = { 1, 1, { CMD_KIND_TASK } },
	  .exec = exec_show_task_history },
	{ .name = NULL },
};

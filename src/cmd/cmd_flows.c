/*
 * cmd_flows.c - `show flows`, `show runs` and `show run`: the flow-state
 * record (pipeline, environment, state, started, completed, failed) as a
 * table for people or JSON for scripts.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

static void short_time(usec_t t, char out[24])
{
	if (t)
		time_format_short(t, out);
	else
		snprintf(out, 24, "-");
}

static void run_duration(const struct store_run *r, char *out, size_t n)
{
	if (!r->started) {
		snprintf(out, n, "-");
		return;
	}
	usec_t end = r->ended ? r->ended : clock_now_us();
	duration_format(end - r->started, out, n);
}

/* Why a queued run has nobody to take it, for runs of a pool no live
 * worker serves; NULL otherwise.  Caller frees. */
static char *waiting_note(const struct store_run *r, const struct vec *workers)
{
	return workers ? engine_run_waiting(r, workers, 0) : NULL;
}

static cJSON *run_json(const struct store_run *r, const struct vec *workers)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)r->id);
	cJSON_AddStringToObject(o, "flow", r->flow);
	cJSON_AddStringToObject(o, "state",
				run_state_name(store_run_shown_state(r, clock_now_us())));
	cmd_json_add_str(o, "reason", r->reason);
	cJSON_AddStringToObject(o, "trigger", run_trigger_name(r->trigger));
	cmd_json_add_str(o, "trigger_detail", r->trigger_detail);
	cJSON_AddNumberToObject(o, "attempt", r->attempt);
	cJSON_AddNumberToObject(o, "max_attempts", r->max_attempts);
	cmd_json_add_str(o, "environment", r->environment);
	cmd_json_add_str(o, "worker", r->worker);
	cmd_json_add_str(o, "pool", r->pool);
	char *waiting = waiting_note(r, workers);
	cmd_json_add_str(o, "waiting", waiting);
	free(waiting);
	cmd_json_add_str(o, "partition", r->partition);
	cmd_json_add_time(o, "created", r->created);
	cmd_json_add_time(o, "scheduled", r->scheduled);
	cmd_json_add_time(o, "started", r->started);
	cmd_json_add_time(o, "ended", r->ended);
	cmd_json_add_time(o, "next_retry", r->next_retry);
	cmd_json_add_time(o, "late_at", r->late_at);
	cJSON_AddNumberToObject(o, "rows_in", (double)r->rows_in);
	cJSON_AddNumberToObject(o, "rows_out", (double)r->rows_out);
	if (r->rows_deleted >= 0)
		cJSON_AddNumberToObject(o, "rows_deleted", (double)r->rows_deleted);
	else
		cJSON_AddNullToObject(o, "rows_deleted");
	cmd_json_add_str(o, "error", r->error);
	if (r->parent_run)
		cJSON_AddNumberToObject(o, "parent_run", (double)r->parent_run);
	else
		cJSON_AddNullToObject(o, "parent_run");
	/* As stored, in their declared types; through no double, so that a
	 * 20-digit number prints as it was given. */
	cJSON *params = cJSON_Parse(r->params ? r->params : "{}");
	cJSON_AddItemToObject(o, "params", cJSON_IsObject(params) ? cJSON_CreateRaw(r->params)
			      : cJSON_CreateObject());
	cJSON_Delete(params);
	return o;
}

/* ---- show flows ------------------------------------------------------------------ */
static int exec_show_flows(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	static const int widths[] = { -24, 5, -9, -10, -8, -10, -19, 0 };
	bool json = args->format == CMD_FORMAT_JSON;
	const struct project *p = ctx->project;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	struct cmd_table t = { .ncols = 8, .format = args->format, .widths = widths };
	cmd_table_add(&t, "FLOW", "STEPS", "LIMIT", "RETRIES", "RUNNING", "LAST",
		      "LAST STARTED", "LAST RUN");
	for (size_t i = 0; i < p->nflows; i++) {
		const struct project_flow *f = &p->flows[i];
		struct store_run_filter filt = { .flow = f->name, .limit = 1 };
		struct vec last = VEC_INIT;
		int64_t counts[RUN_STATE_COUNT];
		if (store_run_list(ctx->store, &filt, &last, e) < 0 ||
		    store_run_counts(ctx->store, f->name, 0, counts, e) < 0) {
			store_run_list_free(&last);
			cJSON_Delete(arr);
			cmd_table_free(&t);
			return EXIT_FAILED;
		}
		int64_t running = counts[RUN_RUNNING] + counts[RUN_CANCELLING];
		const struct store_run *r = last.len ? last.items[0] : NULL;
		if (json) {
			cJSON *fo = cJSON_CreateObject();
			cJSON_AddStringToObject(fo, "name", f->name);
			cmd_json_add_str(fo, "description", f->description);
			cJSON_AddNumberToObject(fo, "steps", (double)f->nsteps);
			cJSON_AddNumberToObject(fo, "concurrency", f->concurrency);
			cJSON_AddStringToObject(fo, "on_limit", f->on_limit == CONCURRENCY_REFUSE
						? "refuse" : "wait");
			cJSON_AddNumberToObject(fo, "retries", f->retries.count);
			cJSON *cnt = cJSON_CreateObject();
			for (int s = 0; s < RUN_STATE_COUNT; s++)
				cJSON_AddNumberToObject(cnt, run_state_name(s), (double)counts[s]);
			cJSON_AddItemToObject(fo, "runs", cnt);
			cJSON_AddItemToObject(fo, "last_run", r ? run_json(r, NULL)
					      : cJSON_CreateNull());
			cJSON_AddItemToArray(arr, fo);
		} else {
			char limit[32], started[24], nsteps[24], retries[24], nrunning[24];
			if (f->concurrency > 0)
				snprintf(limit, sizeof limit, "%d %s", f->concurrency,
					 f->on_limit == CONCURRENCY_REFUSE ? "refuse" : "wait");
			else
				snprintf(limit, sizeof limit, "none");
			short_time(r ? r->started : 0, started);
			char lastid[24] = "-";
			if (r)
				snprintf(lastid, sizeof lastid, "%lld", (long long)r->id);
			snprintf(nsteps, sizeof nsteps, "%zu", f->nsteps);
			snprintf(retries, sizeof retries, "%d", f->retries.count);
			snprintf(nrunning, sizeof nrunning, "%lld", (long long)running);
			cmd_table_add(&t, f->name, nsteps, limit, retries, nrunning,
				      r ? run_state_name(r->state) : "-", started, lastid);
		}
		store_run_list_free(&last);
	}
	if (json) {
		cmd_json_print(ctx->out, arr);
		cmd_table_free(&t);
	} else {
		cmd_table_print(ctx->out, &t);
	}
	cJSON_Delete(arr);
	return EXIT_OK;
}

/* ---- show runs ---------------------------------------------------------------------- */
static int parse_states(const char *text, unsigned *mask, struct err *e)
{
	struct vec words = VEC_INIT;
	str_split(text, ",", &words);
	*mask = 0;
	int rc = 0;
	for (size_t i = 0; i < words.len && rc == 0; i++) {
		enum run_state st;
		if (!run_state_parse(words.items[i], &st))
			rc = err_set(e, ERR_INVALID, "unknown run state '%s' (expected one of "
				     "SCHEDULED, LATE, PENDING, RUNNING, RETRYING, COMPLETED, "
				     "CACHED, FAILED, CANCELLING, CANCELLED, CRASHED)",
				     (char *)words.items[i]);
		else
			*mask |= RUN_STATE_BIT(st);
	}
	vec_free_all(&words, free);
	return rc;
}

/* The ERROR column: the run's error, or else why it waits. */
static void print_runs(FILE *fp, enum cmd_format format, const struct vec *runs,
		       const struct vec *workers)
{
	static const int widths[] = { -7, -22, -10, -12, -7, -19, -9, 9, 9, 0 };
	struct cmd_table t = { .ncols = 10, .format = format, .widths = widths };
	cmd_table_add(&t, "RUN", "FLOW", "STATE", "TRIGGER", "ATTEMPT", "STARTED",
		      "DURATION", "ROWS IN", "ROWS OUT", "ERROR");
	for (size_t i = 0; i < runs->len; i++) {
		const struct store_run *r = runs->items[i];
		char id[24], started[24], took[32], att[16], in[24], out[24];
		snprintf(id, sizeof id, "%lld", (long long)r->id);
		short_time(r->started, started);
		run_duration(r, took, sizeof took);
		snprintf(att, sizeof att, "%d/%d", r->attempt, r->max_attempts);
		snprintf(in, sizeof in, "%lld", (long long)r->rows_in);
		snprintf(out, sizeof out, "%lld", (long long)r->rows_out);
		char *waiting = r->error ? NULL : waiting_note(r, workers);
		cmd_table_add(&t, id, r->flow,
			      run_state_name(store_run_shown_state(r, clock_now_us())),
			      run_trigger_name(r->trigger), att, started, took, in, out,
			      r->error ? r->error : waiting ? waiting : "");
		free(waiting);
	}
	cmd_table_print(fp, &t);
}

static int exec_show_runs(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	struct store_run_filter f = { .flow = cmd_opt_value(args, "--flow"), .limit = 20,
				      .partition = cmd_opt_value(args, "--partition") };
	int rc = EXIT_OK;
	const char *lim = cmd_opt_value(args, "--limit");
	int64_t n;
	if (lim && (!str_to_i64(lim, &n) || n < 1 || n > 10000))
		rc = cmd_usage_error(self, e, "--limit takes a number from 1 to 10000");
	else if (cmd_opt_value(args, "--state") &&
		 parse_states(cmd_opt_value(args, "--state"), &f.states, e) < 0)
		rc = EXIT_USAGE;
	if (lim && rc == EXIT_OK)
		f.limit = (int)n;
	bool json = args->format == CMD_FORMAT_JSON;
	struct vec runs = VEC_INIT, workers = VEC_INIT;
	if (rc == EXIT_OK && (store_run_list(ctx->store, &f, &runs, e) < 0 ||
			      store_worker_list(ctx->store, &workers, e) < 0))
		rc = EXIT_FAILED;
	if (rc == EXIT_OK && json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < runs.len; i++)
			cJSON_AddItemToArray(arr, run_json(runs.items[i], &workers));
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
	} else if (rc == EXIT_OK) {
		print_runs(ctx->out, args->format, &runs, &workers);
	}
	store_run_list_free(&runs);
	store_worker_list_free(&workers);
	return rc;
}

/* ---- show run -------------------------------------------------------------------------- */
static cJSON *step_json(const struct store_step *s)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "step", s->step);
	cJSON_AddStringToObject(o, "state", step_state_name(s->state));
	cJSON_AddNumberToObject(o, "attempt", s->attempt);
	cmd_json_add_time(o, "started", s->started);
	cmd_json_add_time(o, "ended", s->ended);
	if (s->started && s->ended)
		cJSON_AddNumberToObject(o, "duration_ms",
					(double)((s->ended - s->started) / USEC_PER_MSEC));
	else
		cJSON_AddNullToObject(o, "duration_ms");
	cJSON_AddNumberToObject(o, "rows_in", (double)s->rows_in);
	cJSON_AddNumberToObject(o, "rows_out", (double)s->rows_out);
	cmd_json_add_str(o, "error", s->error);
	cJSON_AddBoolToObject(o, "cached", s->cached);
	cmd_json_add_str(o, "detail", s->detail);
	return o;
}

static cJSON *transition_json(const struct store_transition *t)
{
	cJSON *o = cJSON_CreateObject();
	cmd_json_add_time(o, "at", t->at);
	cmd_json_add_str(o, "from", t->has_from ? run_state_name(t->from) : NULL);
	cJSON_AddStringToObject(o, "to", run_state_name(t->to));
	cmd_json_add_str(o, "reason", t->reason);
	cmd_json_add_str(o, "worker", t->worker);
	return o;
}

/* The checks of the run's validate steps, each failure with its sample
 * rows indented under it: what an operator decides an approval on. */
static void print_validation_text(FILE *fp, const struct vec *checks)
{
	if (!checks->len)
		return;
	int failed = 0;
	for (size_t i = 0; i < checks->len; i++)
		failed += !((const struct store_validation *)checks->items[i])->passed;
	fprintf(fp, "\nVALIDATION: %zu check%s, %d failed\n", checks->len,
		checks->len == 1 ? "" : "s", failed);
	fprintf(fp, "%-24s %-6s %-8s %10s %s\n", "STEP", "RESULT", "SEVERITY", "VIOLATIONS",
		"CHECK");
	for (size_t i = 0; i < checks->len; i++) {
		const struct store_validation *v = checks->items[i];
		fprintf(fp, "%-24s %-6s %-8s %10lld %s\n", v->step, v->passed ? "passed" : "FAILED",
			v->severity == SEVERITY_ERROR ? "error" : "warn",
			(long long)v->violations, v->check);
		for (const char *line = v->passed ? NULL : v->sample; line && *line;) {
			size_t n = strcspn(line, "\n");
			fprintf(fp, "    %.*s\n", (int)n, line);
			line += n + (line[n] == '\n');
		}
	}
}

static void print_run_text(FILE *fp, const struct store_run *r, struct vec *steps,
			   struct vec *trans, const struct vec *workers)
{
	char took[32], created[24], started[24], ended[24];
	run_duration(r, took, sizeof took);
	short_time(r->created, created);
	short_time(r->started, started);
	short_time(r->ended, ended);
	fprintf(fp, "run %lld  flow %s  %s\n", (long long)r->id, r->flow,
		run_state_name(store_run_shown_state(r, clock_now_us())));
	fprintf(fp, "  trigger      %s%s%s\n", run_trigger_name(r->trigger),
		r->trigger_detail ? " " : "", r->trigger_detail ? r->trigger_detail : "");
	if (r->parent_run)
		fprintf(fp, "  retry of     run %lld\n", (long long)r->parent_run);
	fprintf(fp, "  environment  %s\n", r->environment ? r->environment : "-");
	fprintf(fp, "  params       %s\n", r->params ? r->params : "{}");
	fprintf(fp, "  attempt      %d of %d\n", r->attempt, r->max_attempts);
	fprintf(fp, "  worker       %s\n", r->worker ? r->worker : "-");
	if (r->pool)
		fprintf(fp, "  pool         %s\n", r->pool);
	if (r->partition)
		fprintf(fp, "  partition    %s\n", r->partition);
	char *waiting = waiting_note(r, workers);
	if (waiting)
		fprintf(fp, "  %s\n", waiting);
	free(waiting);
	fprintf(fp, "  created      %s\n", created);
	if (r->scheduled && r->scheduled != r->created) {
		char when[24];
		short_time(r->scheduled, when);
		fprintf(fp, "  scheduled    %s\n", when);
	}
	fprintf(fp, "  started      %s\n  ended        %s\n"
		"  duration     %s\n", started, ended, took);
	fprintf(fp, "  rows         %lld in, %lld out", (long long)r->rows_in,
		(long long)r->rows_out);
	if (r->rows_deleted > 0)
		fprintf(fp, ", %lld deleted replacing partition %s", (long long)r->rows_deleted,
			r->partition ? r->partition : "?");
	fputc('\n', fp);
	if (r->reason)
		fprintf(fp, "  reason       %s\n", r->reason);
	if (r->error)
		fprintf(fp, "  error        %s\n", r->error);
	fprintf(fp, "\n%-24s %-10s %-7s %-9s %9s %9s %s\n", "STEP", "STATE", "ATTEMPT",
		"DURATION", "ROWS IN", "ROWS OUT", "ERROR");
	for (size_t i = 0; i < steps->len; i++) {
		const struct store_step *s = steps->items[i];
		char d[32] = "-";
		if (s->started && s->ended)
			duration_format(s->ended - s->started, d, sizeof d);
		fprintf(fp, "%-24s %-10s %-7d %-9s %9lld %9lld %s\n", s->step,
			step_state_name(s->state), s->attempt, d, (long long)s->rows_in,
			(long long)s->rows_out, s->error ? s->error : s->detail ? s->detail : "");
	}
	fprintf(fp, "\n%-19s %-10s    %-10s %s\n", "AT", "FROM", "TO", "REASON");
	for (size_t i = 0; i < trans->len; i++) {
		const struct store_transition *t = trans->items[i];
		char at[24];
		short_time(t->at, at);
		fprintf(fp, "%-19s %-10s -> %-10s %s\n", at,
			t->has_from ? run_state_name(t->from) : "", run_state_name(t->to),
			t->reason ? t->reason : "");
	}
}

static int exec_show_run(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int64_t id = 0;
	bool json = args->format == CMD_FORMAT_JSON;
	if (cmd_parse_run_id(args->entry, args->positional.items[0], &id, e) != EXIT_OK)
		return EXIT_USAGE;
	struct store_run *r = store_run_get(ctx->store, id, e);
	if (!r)
		return e->code == ERR_NOTFOUND ? EXIT_FAILED : EXIT_FAILED;
	struct vec steps = VEC_INIT, trans = VEC_INIT, workers = VEC_INIT, checks = VEC_INIT;
	int rc = EXIT_OK;
	if (store_step_list(ctx->store, id, &steps, e) < 0 ||
	    store_run_transitions(ctx->store, id, &trans, e) < 0 ||
	    store_worker_list(ctx->store, &workers, e) < 0 ||
	    store_validation_list(ctx->store, id, NULL, &checks, e) < 0) {
		rc = EXIT_FAILED;
	} else if (json) {
		cJSON *root = run_json(r, &workers);
		cJSON *sa = cJSON_CreateArray(), *ta = cJSON_CreateArray();
		for (size_t i = 0; i < steps.len; i++)
			cJSON_AddItemToArray(sa, step_json(steps.items[i]));
		for (size_t i = 0; i < trans.len; i++)
			cJSON_AddItemToArray(ta, transition_json(trans.items[i]));
		cJSON_AddItemToObject(root, "steps", sa);
		cJSON_AddItemToObject(root, "transitions", ta);
		cJSON *va = cJSON_AddArrayToObject(root, "validation");
		for (size_t i = 0; i < checks.len; i++)
			cJSON_AddItemToArray(va, steps_check_json(checks.items[i]));
		cmd_json_print(ctx->out, root);
		cJSON_Delete(root);
	} else {
		print_run_text(ctx->out, r, &steps, &trans, &workers);
		print_validation_text(ctx->out, &checks);
	}
	store_validation_list_free(&checks);
	store_worker_list_free(&workers);
	store_step_list_free(&steps);
	store_transition_list_free(&trans);
	store_run_free(r);
	return rc;
}

const struct cmd_entry cmd_flows_entries[] = {
	{ .name = "show flows", .usage = "[--json]",
	  .summary = "list flows with their limits and last run",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_flows },
	{ .name = "show runs", .usage = "[--flow F] [--state S] [--partition P] [-n N]",
	  .summary = "list runs, newest first",
	  .help = "--state takes one or more states, comma separated:\n"
		  "SCHEDULED LATE PENDING RUNNING RETRYING COMPLETED CACHED FAILED\n"
		  "CANCELLING CANCELLED CRASHED (any case).  --limit N (-n), default 20;\n"
		  "--partition P: runs of a partitioned flow's partition P (2026-03-01);\n"
		  "--json prints a JSON array.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = {
		{ "--flow", NULL, CMD_KIND_FLOW },
		{ "--state", NULL, CMD_KIND_CHOICE,
		  "scheduled|late|pending|running|retrying|completed|cached|failed|"
		  "cancelling|cancelled|crashed" },
		{ "--limit", "-n", CMD_KIND_NUMBER },
		{ "--partition", NULL, CMD_KIND_TEXT },
	  },
	  .exec = exec_show_runs },
	{ .name = "show run", .usage = "RUN [--json]",
	  .summary = "one run: its steps, every transition and its validation checks",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .args = { 1, 1, { CMD_KIND_RUN } },
	  .exec = exec_show_run },
	{ .name = NULL },
};

/*
 * cmd_store.c - `store prune [--dry-run]`: the project's retention applied
 * now, by an operator, with what it deletes per kind shown first.
 *
 * Engines apply the same retention on their own (retention.c); this is
 * for a store that grew before that, or an operator who wants it now.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"

#include <stdlib.h>

/* As the project file would say it: "14d", "12h", else "90m", "30s". */
static void kept_for(usec_t age, char *out, size_t n)
{
	static const struct { usec_t unit; const char *name; } units[] = {
		{ 86400 * USEC_PER_SEC, "d" }, { 3600 * USEC_PER_SEC, "h" },
		{ 60 * USEC_PER_SEC, "m" },
	};
	if (age <= 0) {
		snprintf(out, n, "forever");
		return;
	}
	for (size_t i = 0; i < ARRAY_LEN(units); i++) {
		if (age % units[i].unit == 0) {
			snprintf(out, n, "%lld%s", (long long)(age / units[i].unit), units[i].name);
			return;
		}
	}
	duration_format(age, out, n);
}

static void print_counts(struct cmd_ctx *ctx, const struct project_retention *pr,
			 const struct store_prune_stats *st)
{
	const struct {
		const char *kind;
		usec_t age;
		int64_t n;
		const char *which;
	} rows[] = {
		{ "logs", pr->logs, st->logs, pr->log_rows ? "older, or beyond log_rows" : "older" },
		{ "runs", pr->runs, st->runs, "finished, with steps and transitions" },
		{ "transitions", pr->transitions, st->transitions, "of finished runs" },
		{ "task_history", pr->task_history, st->tasks, "finished ticks" },
		{ "load_history", pr->load_history, st->loads,
		  "of files no longer in the lake, or superseded" },
		{ "notifications", pr->notifications, st->notifications, "sent or failed" },
		{ "requests", pr->requests, st->requests, "done or failed" },
		{ "cache", 0, st->cache, "expired step results" },
	};
	struct cmd_table t = { .ncols = 4 };
	cmd_table_add(&t, "KIND", "KEPT FOR", "ROWS", "WHICH");
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		char age[32], n[24];
		if (i + 1 == ARRAY_LEN(rows))
			snprintf(age, sizeof age, "-");
		else
			kept_for(rows[i].age, age, sizeof age);
		snprintf(n, sizeof n, "%lld", (long long)rows[i].n);
		cmd_table_add(&t, rows[i].kind, age, n, rows[i].which);
	}
	cmd_table_print(ctx->out, &t);
}

static int exec_store_prune(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	bool dry_run = cmd_opt_flag(args, "--dry-run");
	struct store_prune_stats st;
	if (engine_prune(ctx->project, ctx->store, true, &st, e) < 0)
		return EXIT_FAILED;
	fprintf(ctx->out, "%s (retention from %s):\n", dry_run ? "would delete" : "deleting",
		ctx->project->file);
	print_counts(ctx, &ctx->project->retention, &st);
	if (dry_run)
		return EXIT_OK;
	if (engine_prune(ctx->project, ctx->store, false, &st, e) < 0)
		return EXIT_FAILED;
	struct buf text = BUF_INIT;
	engine_prune_stats_text(&st, &text);
	fprintf(ctx->out, "deleted %s\n", text.len ? buf_str(&text) : "nothing");
	buf_free(&text);
	return EXIT_OK;
}

const struct cmd_entry cmd_store_entries[] = {
	{ .name = "store prune", .usage = "[--dry-run]",
	  .summary = "apply the project's retention to the control store now",
	  .help = "Deletes what the project's \"retention\" no longer keeps (see\n"
	  "doc/project-file.md): old log records, finished runs with their steps\n"
	  "and transitions, task history, sent notifications, done requests,\n"
	  "expired cache entries, and the load history of files the lake no longer\n"
	  "holds (a file still in the lake keeps its record, or its pipe would load\n"
	  "it again).  Prints what it deletes per kind first; --dry-run (-n) only\n"
	  "prints.  Short transactions: engines and consoles go on meanwhile.\n"
	  "Engines do this on their own every retention.every (default 1h).",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = { { "--dry-run", "-n" } },
	  .exec = exec_store_prune },
	{ .name = NULL },
};

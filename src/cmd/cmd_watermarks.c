/*
 * cmd_watermarks.c - `show watermarks`: how far each extracted table has
 * been read, when its watermark last moved and by which run, and the
 * window a run has planned but not yet committed.
 *
 * Every table the project's extract steps read is listed, extracted or
 * not; a watermark the store keeps for a step no longer in the project is
 * listed after them, marked so.
 */
#include "cmd/cmd_int.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *watermark_json(const struct steps_watermark *r)
{
	const struct store_watermark *w = r->wm;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "flow", r->flow);
	cJSON_AddStringToObject(o, "step", r->step);
	cJSON_AddStringToObject(o, "table", r->table);
	cJSON_AddBoolToObject(o, "in_project", r->declared);
	cmd_json_add_str(o, "watermark", w ? w->committed : NULL);
	cmd_json_add_time(o, "moved_at", w ? w->committed_at : 0);
	if (w && w->committed_run)
		cJSON_AddNumberToObject(o, "run", (double)w->committed_run);
	else
		cJSON_AddNullToObject(o, "run");
	if (w && w->pending) {
		cJSON *p = cJSON_AddObjectToObject(o, "pending");
		cmd_json_add_str(p, "start", w->pending_start);
		cmd_json_add_str(p, "end", w->pending_end);
		cJSON_AddNumberToObject(p, "run", (double)w->pending_run);
		cmd_json_add_time(p, "planned_at", w->planned_at);
	} else {
		cJSON_AddNullToObject(o, "pending");
	}
	return o;
}

static void watermark_row(struct cmd_table *t, const struct steps_watermark *r)
{
	const struct store_watermark *w = r->wm;
	char moved[24] = "-", run[24] = "-";
	if (w && w->committed_at)
		time_format_short(w->committed_at, moved);
	if (w && w->committed_run)
		snprintf(run, sizeof run, "%lld", (long long)w->committed_run);
	char *pending = w && w->pending ?
		xasprintf("run %lld: (%s, %s]", (long long)w->pending_run,
			  w->pending_start ? w->pending_start : "start",
			  w->pending_end ? w->pending_end : "?") : NULL;
	char *step = r->declared ? xstrdup(r->step) :
		xasprintf("%s (not in the project)", r->step);
	cmd_table_add(t, r->flow, step, r->table,
		      w && w->committed ? w->committed : "(never extracted)", moved, run,
		      pending);
	free(step);
	free(pending);
}

static int exec_show_watermarks(struct cmd_ctx *ctx, const struct cmd_args *args,
				struct err *e)
{
	const struct cmd_entry *self = args->entry;
	const char *flow = cmd_opt_value(args, "--flow");
	bool json = args->format == CMD_FORMAT_JSON;
	int rc = EXIT_OK;
	if (flow && !project_flow(ctx->project, flow))
		rc = cmd_usage_error(self, e, "no flow named %s in %s", flow, ctx->project->file);
	struct vec rows = VEC_INIT;
	if (rc == EXIT_OK && steps_watermarks(ctx->project, ctx->store, flow, &rows, e) < 0)
		rc = EXIT_FAILED;
	if (rc == EXIT_OK && json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < rows.len; i++)
			cJSON_AddItemToArray(arr, watermark_json(rows.items[i]));
		cmd_json_print(ctx->out, arr);
		cJSON_Delete(arr);
	} else if (rc == EXIT_OK && rows.len == 0 && args->format != CMD_FORMAT_CSV) {
		fprintf(ctx->out, "no extract steps in %s\n", ctx->project->file);
	} else if (rc == EXIT_OK) {
		struct cmd_table t = { .ncols = 7, .format = args->format };
		cmd_table_add(&t, "FLOW", "STEP", "TABLE", "WATERMARK", "MOVED", "RUN", "PENDING");
		for (size_t i = 0; i < rows.len; i++)
			watermark_row(&t, rows.items[i]);
		cmd_table_print(ctx->out, &t);
	}
	steps_watermarks_free(&rows);
	return rc;
}

const struct cmd_entry cmd_watermarks_entries[] = {
	{ .name = "show watermarks", .usage = "[--flow FLOW] [--json]",
	  .summary = "how far each extracted table has been read, when and by which run",
	  .help = "One line per table an extract step reads: its watermark (the newest\n"
	  "value read and committed; the next window starts above it), when it\n"
	  "moved and the run that moved it, and a window a run has planned but not\n"
	  "committed yet (run N: (start, end]).  A watermark the store keeps for a\n"
	  "step that is no longer in the project is listed last, marked so.\n"
	  "Times are UTC; --json prints a JSON array.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE,
	  .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = { { "--flow", NULL, CMD_KIND_FLOW } },
	  .exec = exec_show_watermarks },
	{ .name = NULL },
};

/*
 * cmd_step_def.c - `show step RUN STEP [--diff]`: the definition a step
 * of a run used (its SQL file's text, or its spec as JSON), as the engine
 * recorded it when the run started, and how the project on disk differs
 * from it now.  The console's definition page shows the same
 * (steps_def_view_load).
 */
#include "cmd/cmd_int.h"
#include "steps/steps.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

/* The diff's lines as an array of strings, each with its mark. */
static cJSON *diff_json(const char *diff)
{
	cJSON *a = cJSON_CreateArray();
	for (const char *p = diff; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = xasprintf("%.*s", (int)len, p);
		cJSON_AddItemToArray(a, cJSON_CreateString(line));
		free(line);
		p += len + (nl != NULL);
	}
	return a;
}

static cJSON *def_json(const struct steps_def_view *v)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "run", (double)v->run_id);
	cJSON_AddStringToObject(o, "flow", v->flow);
	cJSON_AddStringToObject(o, "step", v->step);
	cmd_json_add_str(o, "file", v->file);
	cJSON_AddBoolToObject(o, "recorded", v->recorded);
	if (v->recorded) {
		cJSON *u = cJSON_AddObjectToObject(o, "used");
		cJSON_AddStringToObject(u, "hash", v->used.hash);
		cJSON_AddStringToObject(u, "text", v->used.text);
	}
	if (v->now) {
		cJSON *n = cJSON_AddObjectToObject(o, "now");
		cJSON_AddStringToObject(n, "hash", v->now_hash);
		cJSON_AddStringToObject(n, "text", v->now);
	} else {
		cJSON_AddStringToObject(o, "now_error", err_text(&v->now_err));
	}
	if (v->diff) {
		cJSON_AddBoolToObject(o, "changed", v->changes > 0);
		cJSON_AddNumberToObject(o, "changed_lines", v->changes);
		cJSON_AddItemToObject(o, "diff", diff_json(v->diff));
	}
	return o;
}

static void print_def_text(FILE *fp, const struct steps_def_view *v, bool diff)
{
	fprintf(fp, "Run:   %lld (flow %s)\nStep:  %s\n", (long long)v->run_id, v->flow,
		v->step);
	fprintf(fp, "File:  %s\n", v->file ? v->file : "- (the step's spec, as JSON)");
	if (v->recorded)
		fprintf(fp, "Used:  sha256 %.12s, recorded when the run started\n", v->used.hash);
	else
		fprintf(fp, "Used:  not recorded (the run started before definitions were kept)\n");
	if (!v->now)
		fprintf(fp, "Now:   %s\n", err_text(&v->now_err));
	else if (!v->diff)
		fprintf(fp, "Now:   sha256 %.12s\n", v->now_hash);
	else if (v->changes)
		fprintf(fp, "Now:   sha256 %.12s, differs by %d line%s\n", v->now_hash, v->changes,
			v->changes == 1 ? "" : "s");
	else
		fprintf(fp, "Now:   sha256 %.12s, the same\n", v->now_hash);
	fputc('\n', fp);
	if (diff && v->diff) {
		fputs(v->diff, fp);
		return;
	}
	const char *text = v->recorded ? v->used.text : v->now;
	if (text) {
		fputs(text, fp);
		if (*text && text[strlen(text) - 1] != '\n')
			fputc('\n', fp);
	}
}

static int exec_show_step(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int64_t id = 0;
	if (cmd_parse_run_id(args->entry, args->positional.items[0], &id, e) != EXIT_OK)
		return EXIT_USAGE;
	struct steps_def_view v;
	if (steps_def_view_load(ctx->project, ctx->store, id, args->positional.items[1],
				&v, e) < 0)
		return EXIT_FAILED;
	bool diff = cmd_opt_flag(args, "--diff");
	if (args->format == CMD_FORMAT_JSON) {
		cJSON *o = def_json(&v);
		cmd_json_print(ctx->out, o);
		cJSON_Delete(o);
	} else {
		print_def_text(ctx->out, &v, diff);
	}
	steps_def_view_free(&v);
	return EXIT_OK;
}

const struct cmd_entry cmd_step_def_entries[] = {
	{ .name = "show step", .usage = "RUN STEP [--diff] [--json]",
	  .summary = "the definition a step of a run used, and the file on disk now",
	  .help = "The SQL file a step ran (a sql step's \"file\", a load's \"from.file\"),\n"
		  "or its spec as JSON, as recorded when the run started, with its\n"
		  "SHA-256 and whether the project on disk differs now.  --diff prints\n"
		  "the line difference instead: '-' lines the run used that are gone,\n"
		  "'+' lines on disk now that the run did not have.  The JSON carries\n"
		  "both texts and the diff's lines.",
	  .flags = CMD_NEEDS_PROJECT | CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .options = { { "--diff", NULL, CMD_KIND_NONE } },
	  .args = { 2, 2, { CMD_KIND_RUN, CMD_KIND_TEXT } },
	  .exec = exec_show_step },
	{ .name = NULL },
};

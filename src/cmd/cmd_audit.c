/*
 * cmd_audit.c - `show audit`: the operators' actions, newest first: when,
 * who (user and host), through what (command line, console, shell), the
 * action and its object, and the command given.  The store writes each
 * record in the transaction of the action it records (store/audit.c); the
 * commands that are recorded say so in their entries (`.audit`).
 */
#include "cmd/cmd_int.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *audit_json(const struct store_audit *a)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "id", (double)a->id);
	cmd_json_add_time(o, "at", a->at);
	cJSON_AddStringToObject(o, "action", a->action);
	cJSON_AddStringToObject(o, "object", a->object);
	cJSON_AddStringToObject(o, "user", a->user);
	cJSON_AddStringToObject(o, "host", a->host);
	cJSON_AddStringToObject(o, "via", a->via);
	cmd_json_add_str(o, "command", a->command);
	return o;
}

static int exec_show_audit(struct cmd_ctx *ctx, const struct cmd_args *args,
			   struct err *e)
{
	int64_t limit = 100;
	const char *lim = cmd_opt_value(args, "--limit");
	if (lim && (!str_to_i64(lim, &limit) || limit < 1 || limit > 10000))
		return cmd_usage_error(args->entry, e,
				       "--limit takes a number from 1 to 10000");
	struct vec rows = VEC_INIT;
	if (store_audit_list(ctx->store, (int)limit, &rows, e) < 0)
		return EXIT_FAILED;
	static const int widths[] = { -19, -8, -24, -12, -16, -12, 0 };
	bool json = args->format == CMD_FORMAT_JSON;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	struct cmd_table t = { .ncols = 7, .format = args->format, .widths = widths };
	cmd_table_add(&t, "AT", "ACTION", "OBJECT", "USER", "HOST", "VIA", "COMMAND");
	for (size_t i = 0; i < rows.len; i++) {
		const struct store_audit *a = rows.items[i];
		if (json) {
			cJSON_AddItemToArray(arr, audit_json(a));
			continue;
		}
		char at[24];
		time_format_short(a->at, at);
		cmd_table_add(&t, at, a->action, a->object, a->user, a->host, a->via,
			      a->command ? a->command : "-");
	}
	if (json) {
		cmd_json_print(ctx->out, arr);
		cmd_table_free(&t);
	} else {
		cmd_table_print(ctx->out, &t);
	}
	cJSON_Delete(arr);
	store_audit_list_free(&rows);
	return EXIT_OK;
}

const struct cmd_entry cmd_audit_entries[] = {
	{ .name = "show audit", .usage = "[--limit N] [--json]",
	  .summary = "list the operators' actions: who did what, when, from where",
	  .help = "One row per action an operator took, newest first (default 100, at\n"
		  "most 10000): when, the action (start, cancel, retry, approve, discard,\n"
		  "suspend, pause, resume, force, drain), its object, the user and host it\n"
		  "came from, through what (command line, console, shell) and the command\n"
		  "with secrets masked.  Each record is written in the transaction of the\n"
		  "action itself: an action that failed left none.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .options = { { "--limit", "-n", CMD_KIND_NUMBER } },
	  .exec = exec_show_audit },
	{ .name = NULL },
};

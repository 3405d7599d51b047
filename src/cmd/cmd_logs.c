/*
 * cmd_logs.c - `sluice logs`: structured log records from the control
 * store, filtered by run, level, step and object, as text or JSON lines.
 *
 * -f follows: it asks the store cheaply whether the log area changed
 * (store_changed: PRAGMA data_version on SQLite, one indexed read on
 * PostgreSQL) and only then reads the records after the last id it
 * printed, a page at a time, so memory stays bounded however long it runs.
 */
#include "cmd/cmd_int.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PAGE 500
#define FOLLOW_POLL_MS 300

static volatile sig_atomic_t follow_stop;

static void on_stop(int sig)
{
	(void)sig;
	follow_stop = 1;
}

static void print_text(FILE *fp, const struct store_log *l)
{
	char at[32];
	time_format_iso(l->time, at);
	fprintf(fp, "%s %-5s", at, log_level_name(l->level));
	if (l->run_id)
		fprintf(fp, " [run %lld%s%s]", (long long)l->run_id, l->step ? " " : "",
			l->step ? l->step : "");
	else if (l->step)
		fprintf(fp, " [%s]", l->step);
	if (l->object)
		fprintf(fp, " %s:", l->object);
	fprintf(fp, " %s", l->message ? l->message : "");
	cJSON *fields = l->fields ? cJSON_Parse(l->fields) : NULL;
	for (cJSON *f = fields ? fields->child : NULL; f; f = f->next)
		fprintf(fp, " %s=%s", f->string, cJSON_IsString(f) ? f->valuestring : "?");
	cJSON_Delete(fields);
	fputc('\n', fp);
}

static void print_json_line(FILE *fp, const struct store_log *l)
{
	cJSON *o = cJSON_CreateObject();
	char at[32];
	time_format_iso(l->time, at);
	cJSON_AddNumberToObject(o, "id", (double)l->id);
	cJSON_AddStringToObject(o, "time", at);
	cJSON_AddStringToObject(o, "level", log_level_name(l->level));
	if (l->run_id)
		cJSON_AddNumberToObject(o, "run", (double)l->run_id);
	else
		cJSON_AddNullToObject(o, "run");
	if (l->step)
		cJSON_AddStringToObject(o, "step", l->step);
	else
		cJSON_AddNullToObject(o, "step");
	if (l->object)
		cJSON_AddStringToObject(o, "object", l->object);
	else
		cJSON_AddNullToObject(o, "object");
	cJSON_AddStringToObject(o, "message", l->message ? l->message : "");
	cJSON *fields = l->fields ? cJSON_Parse(l->fields) : NULL;
	cJSON_AddItemToObject(o, "fields", fields ? fields : cJSON_CreateObject());
	char *t = cJSON_PrintUnformatted(o);
	fprintf(fp, "%s\n", t);
	cJSON_free(t);
	cJSON_Delete(o);
}

/* Print one page; *last = the highest id printed.  Returns how many. */
static int print_page(struct cmd_ctx *ctx, struct store_log_filter *f, bool json,
		      int64_t *last, struct err *e)
{
	struct vec page = VEC_INIT;
	if (store_log_query(ctx->store, f, &page, e) < 0)
		return -1;
	for (size_t i = 0; i < page.len; i++) {
		const struct store_log *l = page.items[i];
		if (json)
			print_json_line(ctx->out, l);
		else
			print_text(ctx->out, l);
		if (l->id > *last)
			*last = l->id;
	}
	int n = (int)page.len;
	store_log_list_free(&page);
	fflush(ctx->out);
	return n;
}

static int follow(struct cmd_ctx *ctx, struct store_log_filter *f, bool json,
		  int64_t last, struct err *e)
{
	struct sigaction sa, old_int, old_term;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	follow_stop = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	struct store_watch w;
	store_watch_init(&w);
	int rc = EXIT_OK;
	while (!follow_stop) {
		unsigned changed = 0;
		if (store_changed(ctx->store, &w, &changed, e) < 0) {
			rc = EXIT_FAILED;
			break;
		}
		if (changed & STORE_AREA_BIT(STORE_AREA_LOGS)) {
			int n;
			do {
				f->after_id = last;
				f->before_id = 0;
				f->limit = PAGE;
				n = print_page(ctx, f, json, &last, e);
			} while (n == PAGE && !follow_stop);
			if (n < 0) {
				rc = EXIT_FAILED;
				break;
			}
		}
		struct timespec ts = { 0, FOLLOW_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	return rc;
}

static int exec_logs(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	struct store_log_filter f = {
		.step = cmd_opt_value(args, "--step"), .object = cmd_opt_value(args, "--object"),
		.search = cmd_opt_value(args, "--search"), .min_level = LOG_DEBUG, .limit = 100,
	};
	int rc = EXIT_OK;
	const char *run = cmd_opt_value(args, "--run");
	const char *level = cmd_opt_value(args, "--level");
	const char *lim = cmd_opt_value(args, "--limit");
	int64_t n = 0;
	if (run && cmd_parse_run_id(self, run, &f.run_id, e) != EXIT_OK)
		rc = EXIT_USAGE;
	else if (level && !log_level_parse(level, &f.min_level))
		rc = cmd_usage_error(self, e, "unknown level '%s' (debug, info, warn, error)",
				     level);
	else if (lim && (!str_to_i64(lim, &n) || n < 1 || n > 10000))
		rc = cmd_usage_error(self, e, "--limit takes a number from 1 to 10000");
	if (rc == EXIT_OK) {
		if (lim)
			f.limit = (int)n;
		bool json = args->format == CMD_FORMAT_JSON;
		int64_t last = 0;
		if (print_page(ctx, &f, json, &last, e) < 0)
			rc = EXIT_FAILED;
		else if (cmd_opt_flag(args, "--follow")) {
			if (!last && store_log_last_id(ctx->store, &last, e) < 0)
				rc = EXIT_FAILED;
			else
				rc = follow(ctx, &f, json, last, e);
		}
	}
	return rc;
}

const struct cmd_entry cmd_logs_entries[] = {
	{ .name = "logs", .usage = "[--run N] [--level L] [-f] [--json]",
	  .summary = "show log records from the control store (-f follows)",
	  .help = "Filters: --run N, --level L (debug info warn error), --step S,\n"
	  "--object O (\"pipe:orders\"), --search TEXT; --limit N (-n).\n"
	  "Shows the newest records (default 100) oldest first.  -f keeps printing\n"
	  "new records as they are written, until interrupted.  --json prints one\n"
	  "JSON object a line.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .options = {
		{ "--run", NULL, CMD_KIND_RUN },
		{ "--level", NULL, CMD_KIND_CHOICE, "debug|info|warn|error" },
		{ "--step", NULL, CMD_KIND_TEXT },
		{ "--object", NULL, CMD_KIND_TEXT },
		{ "--follow", "-f" },
		{ "--limit", "-n", CMD_KIND_NUMBER },
		{ "--search", NULL, CMD_KIND_TEXT },
	  },
	  .exec = exec_logs },
	{ .name = NULL },
};

/*
 * cmd_workers.c - `show workers`: every engine registered in the control
 * store (the k9s nodes view): host, pid, pools, started, last heartbeat,
 * runs in flight, and LOST when its heartbeat is older than the lease (or
 * its process is seen gone on this host).
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "store/store.h"

#include <cjson/cJSON.h>
#include <stdlib.h>

static cJSON *worker_json(const struct store_worker *w, bool lost)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", w->id);
	cmd_json_add_str(o, "host", w->host);
	cJSON_AddNumberToObject(o, "pid", (double)w->pid);
	cJSON *pools = cJSON_CreateArray();
	struct vec names = VEC_INIT;
	if (w->pools)
		str_split(w->pools, ",", &names);
	for (size_t i = 0; i < names.len; i++)
		cJSON_AddItemToArray(pools, cJSON_CreateString(names.items[i]));
	vec_free_all(&names, free);
	cJSON_AddItemToObject(o, "pools", pools);
	cmd_json_add_time(o, "started", w->started);
	cmd_json_add_time(o, "heartbeat", w->heartbeat);
	cJSON_AddNumberToObject(o, "runs_in_flight", (double)w->in_flight);
	cJSON_AddStringToObject(o, "state", lost ? "LOST" : "LIVE");
	return o;
}

static void worker_row(struct cmd_table *t, const struct store_worker *w, bool lost,
		       usec_t now)
{
	char pid[24], started[24], beat[32], flight[24];
	snprintf(pid, sizeof pid, "%lld", (long long)w->pid);
	time_format_short(w->started, started);
	time_format_relative(now, w->heartbeat, beat, sizeof beat);
	snprintf(flight, sizeof flight, "%lld", (long long)w->in_flight);
	cmd_table_add(t, w->id, w->host, pid, w->pools ? w->pools : "-", started, beat,
		      flight, lost ? "LOST" : "live");
}

static int exec_show_workers(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	static const int widths[] = { -28, -16, 7, -12, -19, -10, 6, 0 };
	struct vec ws = VEC_INIT;
	if (store_worker_list(ctx->store, &ws, e) < 0)
		return EXIT_FAILED;
	usec_t now = clock_now_us();
	bool json = args->format == CMD_FORMAT_JSON;
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	struct cmd_table t = { .ncols = 8, .format = args->format, .widths = widths };
	cmd_table_add(&t, "WORKER", "HOST", "PID", "POOLS", "STARTED", "HEARTBEAT",
		      "RUNS", "STATE");
	for (size_t i = 0; i < ws.len; i++) {
		const struct store_worker *w = ws.items[i];
		bool lost = engine_worker_lost(w, 0);
		if (json)
			cJSON_AddItemToArray(arr, worker_json(w, lost));
		else
			worker_row(&t, w, lost, now);
	}
	if (json) {
		cmd_json_print(ctx->out, arr);
		cmd_table_free(&t);
	} else {
		cmd_table_print(ctx->out, &t);
	}
	cJSON_Delete(arr);
	store_worker_list_free(&ws);
	return EXIT_OK;
}

/* ---- worker drain, worker cancel-runs ------------------------------------------- */
/* The registered worker `id`, live: a drain nobody takes would wait for
 * ever, and a foreground `sluice run` has no drain to do. */
static struct store_worker *live_worker(struct cmd_ctx *ctx, const char *id,
					 struct vec *ws, struct err *e)
{
	struct store_worker *w = engine_worker_find(ctx->store, id, ws, e);
	if (!w || !engine_worker_lost(w, 0))
		return w;
	err_set(e, ERR_CONFLICT, "worker %s is LOST (no heartbeat within the lease): there "
		"is nothing to drain; its runs are recovered by the other engines", id);
	return NULL;
}

static int exec_worker_drain(struct cmd_ctx *ctx, const struct cmd_args *args,
			     struct err *e)
{
	const char *id = args->positional.items[0];
	struct vec ws = VEC_INIT;
	const struct store_worker *w = live_worker(ctx, id, &ws, e);
	int rc = w ? EXIT_OK : e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	if (w && str_starts_with(id, "foreground:"))
		rc = (err_set(e, ERR_CONFLICT, "worker %s is a foreground `sluice run`: "
			      "cancel its run instead", id), EXIT_FAILED);
	else if (w && engine_worker_drain(ctx->store, id, ctx->user, e) < 0)
		rc = EXIT_FAILED;
	store_worker_list_free(&ws);
	if (rc == EXIT_OK)
		fprintf(ctx->out, "drain of worker %s requested: it takes no new runs and "
			"exits once its runs finish or are handed back\n", id);
	return rc;
}

static int exec_worker_cancel_runs(struct cmd_ctx *ctx, const struct cmd_args *args,
				   struct err *e)
{
	const char *id = args->positional.items[0];
	int n = 0;
	if (engine_worker_cancel_runs(ctx->store, id, ctx->user, &n, e) < 0)
		return e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	if (args->format == CMD_FORMAT_JSON) {
		cJSON *o = cJSON_CreateObject();
		cmd_json_add_str(o, "worker", id);
		cJSON_AddNumberToObject(o, "cancelled", n);
		cmd_json_print(ctx->out, o);
		cJSON_Delete(o);
	} else {
		fprintf(ctx->out, "%d run%s of worker %s asked to cancel\n", n,
			n == 1 ? "" : "s", id);
	}
	return EXIT_OK;
}

const struct cmd_entry cmd_workers_entries[] = {
	{ .name = "show workers", .usage = "[--json]",
	  .summary = "list the engines serving the project, lost ones flagged",
	  .help = "One row per engine registered in the control store: id, host, pid,\n"
		  "the pools it serves (- : runs without a pool), when it started, its\n"
		  "last heartbeat, its runs in flight, and LOST when the heartbeat is\n"
		  "older than the lease (30s) or its process is gone from this host.",
	  .flags = CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON | CMD_PRINTS_CSV,
	  .exec = exec_show_workers },
	{ .name = "worker drain", .usage = "WORKER",
	  .summary = "ask one worker to drain and exit",
	  .help = "The worker (an id from `sluice show workers`) takes no new runs, lets\n"
		  "its runs finish or hands them back (PENDING) within its grace\n"
		  "period, and exits, as on SIGTERM.  It sees the request with its next\n"
		  "heartbeat (10s).  An id no worker has is an error, exit 2, as for\n"
		  "`worker cancel-runs`; a LOST worker or a foreground run, exit 1.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_TEXT } },
	  .exec = exec_worker_drain,
	  .audit = { "drain", "worker" } },
	{ .name = "worker cancel-runs", .usage = "WORKER",
	  .summary = "cancel every run one worker is running",
	  .help = "Each RUNNING run of the worker becomes CANCELLING; the worker rolls\n"
		  "its open steps back and records CANCELLED.  An id no worker has (and\n"
		  "no run names) is an error, exit 2.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE, .formats = CMD_PRINTS_JSON,
	  .args = { 1, 1, { CMD_KIND_TEXT } },
	  .exec = exec_worker_cancel_runs,
	  .audit = { "cancel", "runs of worker" } },
	{ .name = NULL },
};

/*
 * cmd_worker.c - `sluice worker`: the engine alone, headless, running
 * tasks, pipes and queued runs until a signal.
 *
 * SIGTERM, SIGHUP or SIGINT start the drain: take no new work, let steps
 * in flight finish or roll back within the grace period (--grace, default
 * 30 s), hand back the runs with steps left (PENDING, the attempt kept,
 * for any engine), unregister and exit 0.  Further signals shorten the
 * drain but never leave a run RUNNING: the second ends the grace period
 * (statements are cancelled and roll back), the third stops waiting for
 * the rollbacks and hands the runs back at once (engine_drain).  The
 * signals are blocked in every thread and taken with sigtimedwait(), so
 * no code runs in a signal handler.
 *
 * A control store on a server that goes away (a restart, a failover) is
 * reconnected with a backoff, saying so once when it is lost and once when
 * it is back; a store out of reach for longer than --store-timeout
 * (default 5 minutes; 0 waits for ever) makes the worker give up: it
 * cancels what it runs and exits 1, so that a service manager notices
 * (crash recovery settles its runs when the store is back).
 *
 * Exit status: 0 stopped by a signal after the drain; 1 the engine could
 * not start or keep going (the control store failed: a full disk or an I/O
 * error stops the worker, drained, with the error; out of reach too long;
 * or a run's state could not be recorded while draining); 2 usage, or a
 * project file that cannot be read or is invalid.  Never 130 or 143: a
 * signal is the normal way to stop a worker.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "project/project.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The control store has been out of reach longer than `limit` (0: never
 * give up): the worker cannot record anything, so it stops at once. */
static void give_up_without_store(struct engine *eng, usec_t limit)
{
	usec_t down = engine_store_down_for(eng);
	if (!limit || down <= limit)
		return;
	char took[32];
	duration_format(down, took, sizeof took);
	log_error("the control store has been out of reach for %s (--store-timeout): "
		  "giving up; statements cancelled, crash recovery settles the runs "
		  "when the store is back", took);
	engine_abort(eng);
	fflush(NULL);
	_exit(EXIT_FAILED);
}

enum { MAX_POOLS = 16 };

/* The --pool names, checked: names as the project file's "pool" takes. */
static int worker_pools(const struct cmd_args *args, const char **pools, size_t *n,
			struct err *e)
{
	*n = 0;
	for (size_t i = 0; i < args->names.len; i++) {
		if (!str_eq(args->names.items[i], "--pool"))
			continue;
		const char *name = args->values.items[i];
		if (!str_is_identifier(name))
			return cmd_usage_error(args->entry, e, "--pool takes a pool name "
					       "(letters, digits and _), not \"%s\"", name);
		if (*n == MAX_POOLS)
			return cmd_usage_error(args->entry, e, "at most %d --pool options",
					       MAX_POOLS);
		pools[(*n)++] = name;
	}
	return EXIT_OK;
}

static int exec_worker(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int64_t workers = 2;
	usec_t grace = 30 * USEC_PER_SEC, store_timeout = ENGINE_STORE_TIMEOUT;
	const char *w = cmd_opt_value(args, "--workers");
	const char *g = cmd_opt_value(args, "--grace");
	const char *st = cmd_opt_value(args, "--store-timeout");
	const char *metrics_at = cmd_opt_value(args, "--metrics");
	struct engine_metrics *metrics = NULL;
	const char *pools[MAX_POOLS];
	size_t npools = 0;
	int rc = worker_pools(args, pools, &npools, e);
	if (rc != EXIT_OK)
		return rc;
	if (w && (!str_to_i64(w, &workers) || workers < 1 || workers > 64))
		rc = cmd_usage_error(self, e, "--workers takes a number from 1 to 64");
	else if (g && (!duration_parse(g, &grace) || grace < 0))
		rc = cmd_usage_error(self, e, "--grace takes a duration like 30s or 2m");
	else if (st && (!duration_parse(st, &store_timeout) || store_timeout < 0))
		rc = cmd_usage_error(self, e, "--store-timeout takes a duration like 5m "
				     "(0: never give up)");
	else if (metrics_at && !(metrics = engine_metrics_bind(metrics_at, e)))
		rc = e->code == ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
	if (rc != EXIT_OK)
		return rc;

	sigset_t set, old;
	cmd_block_stop_signals(&set, &old);   /* every engine thread inherits it */

	struct engine_options opt = {
		.store_url = cmd_ctx_store_url(ctx),
		.workers = (int)workers,
		.grace = grace ? grace : 1,
		.pools = pools, .npools = npools,
	};
	struct engine *eng = engine_new(ctx->project, &opt, e);
	if (!eng) {
		engine_metrics_free(metrics);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return EXIT_FAILED;
	}
	if (engine_start(eng, e) < 0 ||
	    (metrics && engine_metrics_start(metrics, eng, e) < 0)) {
		engine_metrics_free(metrics);
		engine_abort(eng);
		engine_free(eng);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return EXIT_FAILED;
	}
	if (metrics)
		log_info("worker %s: metrics on http://%s/metrics", engine_worker_id(eng),
			 engine_metrics_address(metrics));
	log_info("worker %s: %d worker thread%s; stop with SIGTERM (grace %llds)",
		 engine_worker_id(eng), (int)workers, workers == 1 ? "" : "s",
		 (long long)(grace / USEC_PER_SEC));
	int sig;
	struct err fault;
	bool failed = false;
	bool asked = false;
	while (!(sig = cmd_wait_signal(&set, 1000)) && !(failed = engine_failed(eng, &fault)) &&
	       !(asked = engine_drain_asked(eng)))
		give_up_without_store(eng, store_timeout);
	if (failed)
		log_error("stopping: %s", err_text(&fault));
	else if (asked)
		log_info("drain requested by an operator: draining (in-flight steps have "
			 "%llds to finish)", (long long)(grace / USEC_PER_SEC));
	else
		log_info("%s: draining (in-flight steps have %llds to finish; signal "
			 "again to cut it short)", strsignal(sig),
			 (long long)(grace / USEC_PER_SEC));
	struct err de;
	err_clear(&de);
	int drc = engine_drain(eng, grace ? grace : 1, &set, &de);
	engine_metrics_free(metrics);
	rc = EXIT_OK;
	if (drc < 0 && de.code != ERR_TIMEOUT) {
		*e = de;
		rc = EXIT_FAILED;
	} else if (drc < 0) {
		log_warn("%s", err_text(&de));
	}
	if (failed) {
		*e = fault;          /* the store failure, not the drain, is the news */
		rc = EXIT_FAILED;
	}
	if (engine_left_behind(eng)) {
		/* Steps that would not stop still hold threads: end the process
		 * here (their transactions roll back with it). */
		if (rc != EXIT_OK)
			log_error("%s", err_text(e));
		fflush(NULL);
		_exit(rc);
	}
	engine_free(eng);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

const struct cmd_entry cmd_worker_entries[] = {
	{ .name = "worker",
	  .usage = "[--workers N] [--grace DURATION] [--store-timeout DURATION] "
		   "[--metrics [ADDRESS:]PORT] [--pool NAME]...",
	  .summary = "the engine alone: tasks, pipes, runs; until a signal",
	  .help = "N worker threads (default 2) run flow steps; one scheduler at a time\n"
	  "(across every worker sharing the control store) fires tasks and polls\n"
	  "pipes.  SIGTERM/SIGHUP/SIGINT drain: no new work, steps in flight get\n"
	  "the grace period (default 30s) to finish or roll back, unfinished runs\n"
	  "are handed back (PENDING, same attempt), then exit 0.  A second signal\n"
	  "ends the grace period now; a third stops waiting for rollbacks.  No\n"
	  "run is left RUNNING.  Logs go to stderr.\n"
	  "A control store that goes away is reconnected (said once when lost,\n"
	  "once when back); out of reach longer than --store-timeout (default\n"
	  "5m; 0 = never give up) the worker cancels its work and exits 1.\n"
	  "--metrics serves Prometheus metrics at http://ADDRESS:PORT/metrics\n"
	  "(127.0.0.1 when only a port is given; no authentication, so another\n"
	  "interface must be named by its IP address).\n"
	  "--pool NAME (repeatable) takes only runs of those pools (a flow's or\n"
	  "task's \"pool\"); without it, only runs with no pool.  A drain asked\n"
	  "from the console's workers view stops it as SIGTERM does.\n"
	  "Exit status: 0 stopped by a signal, 1 could not start or keep going,\n"
	  "2 usage or an invalid project.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE | CMD_CLI_ONLY,
	  .options = {
		{ "--workers", "-j", CMD_KIND_NUMBER },
		{ "--grace", NULL, CMD_KIND_DURATION },
		{ "--store-timeout", NULL, CMD_KIND_DURATION },
		{ "--metrics", NULL, CMD_KIND_TEXT },
		{ "--pool", NULL, CMD_KIND_TEXT, NULL, true },
	  },
	  .exec = exec_worker },
	{ .name = NULL },
};

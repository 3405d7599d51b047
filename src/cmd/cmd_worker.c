/*
 * cmd_worker.c - `sluice worker`: the engine alone, headless, running
 * tasks, pipes and queued runs until a signal.
 *
 * SIGTERM, SIGHUP or SIGINT: take no new work, let steps in flight finish
 * or roll back within the grace period (--grace, default 30 s), record
 * their states (a run with steps left goes back to RETRYING, due now, for
 * another engine), unregister and exit 0.  A second signal aborts at once:
 * statements in flight are cancelled and the process exits 1; crash
 * recovery settles the runs.
 *
 * A control store on a server that goes away (a restart, a failover) is
 * reconnected with a backoff, saying so once when it is lost and once when
 * it is back; a store out of reach for longer than --store-timeout
 * (default 5 minutes; 0 waits for ever) makes the worker give up: it
 * cancels what it runs and exits 1, so that a service manager notices
 * (crash recovery settles its runs when the store is back).
 *
 * Exit status: 0 stopped by a signal after the drain; 1 the engine could
 * not start or keep going (control store unusable or out of reach too
 * long, a second signal); 2 usage, or a project file that cannot be read
 * or is invalid.  Never 130 or 143: a signal is the normal way to stop a
 * worker.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "project/project.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct stopper {
	struct engine *eng;
	usec_t grace;
	struct err e;
	int rc;
	bool done;
	pthread_mutex_t lock;
};

static void *stopper_main(void *arg)
{
	struct stopper *st = arg;
	err_clear(&st->e);
	int rc = engine_stop(st->eng, st->grace, &st->e);
	pthread_mutex_lock(&st->lock);
	st->rc = rc;
	st->done = true;
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static bool stopper_done(struct stopper *st)
{
	pthread_mutex_lock(&st->lock);
	bool d = st->done;
	pthread_mutex_unlock(&st->lock);
	return d;
}

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

static int exec_worker(struct cmd_ctx *ctx, int argc, char **argv, struct err *e)
{
	static const struct cmd_opt_spec specs[] = {
		{ "--workers", "-j", true, false }, { "--grace", NULL, true, false },
		{ "--store-timeout", NULL, true, false },
		{ "--metrics", NULL, true, false }, { NULL, NULL, false, false } };
	const struct cmd_entry *self = cmd_lookup("worker");
	struct cmd_opts o;
	if (cmd_parse_opts(self, argc, argv, specs, &o, e) < 0)
		return EXIT_USAGE;
	int64_t workers = 2;
	usec_t grace = 30 * USEC_PER_SEC, store_timeout = ENGINE_STORE_TIMEOUT;
	const char *w = cmd_opt_value(&o, "--workers");
	const char *g = cmd_opt_value(&o, "--grace");
	const char *st = cmd_opt_value(&o, "--store-timeout");
	const char *metrics_at = cmd_opt_value(&o, "--metrics");
	struct engine_metrics *metrics = NULL;
	int rc = EXIT_OK;
	if (o.positional.len)
		rc = cmd_usage_error(self, e, "unexpected argument '%s'",
				     (char *)o.positional.items[0]);
	else if (w && (!str_to_i64(w, &workers) || workers < 1 || workers > 64))
		rc = cmd_usage_error(self, e, "--workers takes a number from 1 to 64");
	else if (g && (!duration_parse(g, &grace) || grace < 0))
		rc = cmd_usage_error(self, e, "--grace takes a duration like 30s or 2m");
	else if (st && (!duration_parse(st, &store_timeout) || store_timeout < 0))
		rc = cmd_usage_error(self, e, "--store-timeout takes a duration like 5m "
				     "(0: never give up)");
	else if (metrics_at && !(metrics = engine_metrics_bind(metrics_at, e)))
		rc = e->code == ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
	cmd_opts_free(&o);
	if (rc != EXIT_OK)
		return rc;

	sigset_t set, old;
	cmd_block_stop_signals(&set, &old);   /* every engine thread inherits it */

	struct engine_options opt = {
		.store_url = cmd_ctx_store_url(ctx),
		.workers = (int)workers,
		.grace = grace ? grace : 1,
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
	while (!(sig = cmd_wait_signal(&set, 1000)))
		give_up_without_store(eng, store_timeout);
	log_info("%s: stopping (in-flight steps have %llds to finish; signal again "
		 "to abort)", strsignal(sig), (long long)(grace / USEC_PER_SEC));
	struct stopper stop = { .eng = eng, .grace = grace ? grace : 1 };
	pthread_mutex_init(&stop.lock, NULL);
	pthread_t th;
	pthread_create(&th, NULL, stopper_main, &stop);
	while (!stopper_done(&stop)) {
		if (cmd_wait_signal(&set, 100)) {
			log_error("second signal: aborting; statements cancelled, crash "
				  "recovery settles the runs");
			engine_abort(eng);
			fflush(NULL);
			_exit(EXIT_FAILED);
		}
	}
	pthread_join(th, NULL);
	pthread_mutex_destroy(&stop.lock);
	engine_metrics_free(metrics);
	rc = EXIT_OK;
	if (stop.rc < 0 && stop.e.code != ERR_TIMEOUT) {
		*e = stop.e;
		rc = EXIT_FAILED;
	} else if (stop.rc < 0) {
		log_warn("%s", err_text(&stop.e));
	}
	engine_free(eng);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

const struct cmd_entry cmd_worker_entries[] = {
	{ "worker", "[--workers N] [--grace DURATION] [--store-timeout DURATION] "
	  "[--metrics [ADDRESS:]PORT]",
	  "the engine alone: tasks, pipes, runs; until a signal",
	  "N worker threads (default 2) run flow steps; one scheduler at a time\n"
	  "(across every worker sharing the control store) fires tasks and polls\n"
	  "pipes.  SIGTERM/SIGHUP/SIGINT drain: no new work, steps in flight get\n"
	  "the grace period (default 30s) to finish or roll back, then exit 0.\n"
	  "A second signal aborts at once (exit 1).  Logs go to stderr.\n"
	  "A control store that goes away is reconnected (said once when lost,\n"
	  "once when back); out of reach longer than --store-timeout (default\n"
	  "5m; 0 = never give up) the worker cancels its work and exits 1.\n"
	  "--metrics serves Prometheus metrics at http://ADDRESS:PORT/metrics\n"
	  "(127.0.0.1 when only a port is given; no authentication, so another\n"
	  "interface must be named by its IP address).\n"
	  "Exit status: 0 stopped by a signal, 1 could not start or keep going,\n"
	  "2 usage or an invalid project.",
	  CMD_MUTATES | CMD_NEEDS_STORE | CMD_CLI_ONLY, exec_worker },
	{ NULL, NULL, NULL, NULL, 0, NULL },
};

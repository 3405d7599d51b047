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
#include "cmd/daemon.h"
#include "engine/engine.h"
#include "project/project.h"
#include "store/store.h"

#include <errno.h>
#include <stdint.h>

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

/* A stop signal within ms, or 0.  `sluice worker stop --grace D` sends
 * SIGTERM with sigqueue() and the grace period in milliseconds as its
 * value: the drain takes that instead of the one given at start. */
static int wait_stop_signal(const sigset_t *set, int ms, usec_t *grace)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	siginfo_t si;
	int sig = sigtimedwait(set, &si, &ts);
	if (sig <= 0)
		return 0;
	if (si.si_code == SI_QUEUE && si.si_value.sival_int > 0)
		*grace = (usec_t)si.si_value.sival_int * 1000;
	return sig;
}

enum { MAX_POOLS = 16 };

struct worker_options {
	int workers;
	const char *pools[MAX_POOLS];   /* --pool: only runs of these pools */
	size_t npools;
	usec_t grace, store_timeout;
	const char *metrics_at;
	bool detach;
	int64_t log_max;
};

/* The engine until a stop signal or a failure, then the drain.  In a
 * daemon, `detached`: the parent waiting in daemon_spawn hears that it is
 * up, or why it is not. */
static int run_engine(struct cmd_ctx *ctx, const struct worker_options *wo,
		      bool detached, struct err *e)
{
	struct engine_metrics *metrics = NULL;
	if (wo->metrics_at && !(metrics = engine_metrics_bind(wo->metrics_at, e)))
		return e->code == ERR_INVALID ? EXIT_USAGE : EXIT_FAILED;
	usec_t grace = wo->grace;
	sigset_t set, old;
	cmd_block_stop_signals(&set, &old);   /* every engine thread inherits it */

	struct engine_options opt = {
		.store_url = cmd_ctx_store_url(ctx),
		.workers = wo->workers,
		.grace = grace ? grace : 1,
		.pools = wo->pools, .npools = wo->npools,
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
		 engine_worker_id(eng), wo->workers, wo->workers == 1 ? "" : "s",
		 (long long)(grace / USEC_PER_SEC));
	if (detached)
		daemon_ready();
	int sig;
	struct err fault;
	bool failed = false;
	bool asked = false;
	while (!(sig = wait_stop_signal(&set, 1000, &grace)) &&
	       !(failed = engine_failed(eng, &fault)) && !(asked = engine_drain_asked(eng)))
		give_up_without_store(eng, wo->store_timeout);
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
	int rc = EXIT_OK;
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

/* The --pool names, checked: names as the project file's "pool" takes. */
static int worker_pools(const struct cmd_args *args, struct worker_options *wo,
			struct err *e)
{
	wo->npools = 0;
	for (size_t i = 0; i < args->names.len; i++) {
		if (!str_eq(args->names.items[i], "--pool"))
			continue;
		const char *name = args->values.items[i];
		if (!str_is_identifier(name))
			return cmd_usage_error(args->entry, e, "--pool takes a pool name "
					       "(letters, digits and _), not \"%s\"", name);
		if (wo->npools == MAX_POOLS)
			return cmd_usage_error(args->entry, e, "at most %d --pool options",
					       MAX_POOLS);
		wo->pools[wo->npools++] = name;
	}
	return EXIT_OK;
}

static int parse_worker_options(const struct cmd_args *args, struct worker_options *wo,
				struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int64_t workers = 2;
	*wo = (struct worker_options){
		.grace = 30 * USEC_PER_SEC, .store_timeout = ENGINE_STORE_TIMEOUT,
		.metrics_at = cmd_opt_value(args, "--metrics"),
		.detach = cmd_opt_flag(args, "--detach"),
		.log_max = 10 * 1024 * 1024,
	};
	const char *w = cmd_opt_value(args, "--workers");
	const char *g = cmd_opt_value(args, "--grace");
	const char *st = cmd_opt_value(args, "--store-timeout");
	const char *lm = cmd_opt_value(args, "--log-max");
	if (w && (!str_to_i64(w, &workers) || workers < 1 || workers > 64))
		return cmd_usage_error(self, e, "--workers takes a number from 1 to 64");
	if (g && (!duration_parse(g, &wo->grace) || wo->grace < 0))
		return cmd_usage_error(self, e, "--grace takes a duration like 30s or 2m");
	if (st && (!duration_parse(st, &wo->store_timeout) || wo->store_timeout < 0))
		return cmd_usage_error(self, e, "--store-timeout takes a duration like 5m "
				       "(0: never give up)");
	if (lm && (!str_to_i64(lm, &wo->log_max) || wo->log_max < 1024))
		return cmd_usage_error(self, e, "--log-max takes a size in bytes, at "
				       "least 1024");
	if (lm && !wo->detach)
		return cmd_usage_error(self, e, "--log-max is for --detach (a foreground "
				       "worker logs to stderr)");
	wo->workers = (int)workers;
	return worker_pools(args, wo, e);
}

/* `worker --detach`: refuse when one is alive, else start the daemon and
 * return in the parent once it is up; the daemon goes on into the engine. */
static int detach_worker(struct cmd_ctx *ctx, const struct worker_options *wo,
			 struct err *e)
{
	struct daemon_files f;
	daemon_files_init(&f, ctx->project->dir, ctx->project->env.name);
	struct daemon_info live;
	daemon_probe(&f, &live);
	int rc;
	if (live.running) {
		char since[32];
		daemon_since_text(live.since, since);
		err_set(e, ERR_CONFLICT, "a worker already runs for this project: pid %ld "
			"on %s since %s (log: %s)", live.pid, live.host, since, f.log);
		daemon_files_free(&f);
		return EXIT_RUNNING;
	}
	/* The daemon opens the store for itself: a connection must not be
	 * shared across fork. */
	store_close(ctx->store);
	ctx->store = NULL;
	long pid = 0;
	int r = daemon_spawn(&f, wo->log_max, &pid, e);
	if (r > 0) {
		fprintf(ctx->out, "worker started: pid %ld, log %s\n", pid, f.log);
		rc = EXIT_OK;
	} else if (r < 0) {
		rc = e->code == ERR_CONFLICT ? EXIT_RUNNING : EXIT_FAILED;
	} else {
		rc = run_engine(ctx, wo, true, e);
		if (rc != EXIT_OK)
			log_error("%s", err_text(e));
		daemon_failed(e);      /* a no-op once it said it was up */
		daemon_exiting(&f);
		fflush(NULL);
		_exit(rc);
	}
	daemon_files_free(&f);
	return rc;
}

static int exec_worker(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	struct worker_options wo;
	int rc = parse_worker_options(args, &wo, e);
	if (rc != EXIT_OK)
		return rc;
	if (wo.detach)
		return detach_worker(ctx, &wo, e);
	return run_engine(ctx, &wo, false, e);
}

/* The runs the daemon `pid` on `host` has in flight ("HOST:PID:N" is its
 * engine's worker id). */
static int runs_in_flight(struct cmd_ctx *ctx, const struct daemon_info *d, struct vec *ids,
			  struct err *e)
{
	struct store_run_filter rf = { .states = RUN_STATE_BIT(RUN_RUNNING), .limit = 10000 };
	struct vec runs = VEC_INIT;
	/* Opened only now: whether a daemon runs is the lock's to say, even
	 * with the store out of reach. */
	if (cmd_ctx_store(ctx, e) < 0 || store_run_list(ctx->store, &rf, &runs, e) < 0)
		return -1;
	char *prefix = xasprintf("%s:%ld:", d->host, d->pid);
	for (size_t i = 0; i < runs.len; i++) {
		const struct store_run *r = runs.items[i];
		if (r->worker && strncmp(r->worker, prefix, strlen(prefix)) == 0)
			vec_push(ids, (void *)(intptr_t)r->id);
	}
	free(prefix);
	vec_free_all(&runs, (void (*)(void *))store_run_free);
	return 0;
}

static int exec_worker_status(struct cmd_ctx *ctx, const struct cmd_args *args,
			      struct err *e)
{
	(void)args;
	struct daemon_files f;
	daemon_files_init(&f, ctx->project->dir, ctx->project->env.name);
	struct daemon_info live;
	daemon_probe(&f, &live);
	int rc = EXIT_OK;
	if (!live.running) {
		fprintf(ctx->out, "worker: not running (log: %s)\n", f.log);
		rc = EXIT_NOT_RUNNING;
	} else {
		char since[32];
		daemon_since_text(live.since, since);
		fprintf(ctx->out, "worker: running\npid: %ld\nhost: %s\nsince: %s\nlog: %s\n",
			live.pid, live.host, since, f.log);
		struct vec ids = VEC_INIT;
		if (runs_in_flight(ctx, &live, &ids, e) < 0) {
			fprintf(ctx->out, "runs in flight: unknown (%s)\n", err_text(e));
			err_clear(e);
		} else {
			fprintf(ctx->out, "runs in flight: %zu", ids.len);
			for (size_t i = 0; i < ids.len; i++)
				fprintf(ctx->out, "%s%lld", i ? ", " : " (",
					(long long)(intptr_t)ids.items[i]);
			fprintf(ctx->out, "%s\n", ids.len ? ")" : "");
		}
		vec_free(&ids);
	}
	daemon_files_free(&f);
	return rc;
}

/* After the daemon is gone: what became of the runs it had. */
static void report_handed_back(struct cmd_ctx *ctx, const struct vec *ids, struct err *e)
{
	for (size_t i = 0; i < ids->len; i++) {
		int64_t id = (int64_t)(intptr_t)ids->items[i];
		struct store_run *r = store_run_get(ctx->store, id, e);
		if (!r) {
			err_clear(e);
			continue;
		}
		fprintf(ctx->out, "run %lld (%s): %s%s\n", (long long)id, r->flow,
			run_state_name(r->state),
			r->state == RUN_PENDING ? " (handed back)" : "");
		store_run_free(r);
	}
}

static int exec_worker_stop(struct cmd_ctx *ctx, const struct cmd_args *args,
			    struct err *e)
{
	usec_t grace = 0;
	const char *g = cmd_opt_value(args, "--grace");
	if (g && (!duration_parse(g, &grace) || grace < 0 || grace > 24 * 3600 * USEC_PER_SEC))
		return cmd_usage_error(args->entry, e, "--grace takes a duration like "
				       "30s or 2m (at most 24h)");
	struct daemon_files f;
	daemon_files_init(&f, ctx->project->dir, ctx->project->env.name);
	struct daemon_info live;
	daemon_probe(&f, &live);
	int rc = EXIT_OK;
	struct vec ids = VEC_INIT;
	if (!live.running || !live.pid) {
		fprintf(ctx->out, "worker: not running\n");
		rc = EXIT_NOT_RUNNING;
		goto out;
	}
	if (runs_in_flight(ctx, &live, &ids, e) < 0)
		err_clear(e);    /* the report is less complete; stop anyway */
	/* grace 0 (not given) leaves the daemon's own; else in ms, at least 1. */
	union sigval v = { .sival_int = g ? (int)(grace / 1000) + !(grace / 1000) : 0 };
	if (sigqueue((pid_t)live.pid, SIGTERM, v) < 0) {
		rc = EXIT_FAILED;
		err_set(e, ERR_IO, "cannot signal the worker (pid %ld): %s", live.pid,
			strerror(errno));
		goto out;
	}
	fprintf(ctx->out, "stopping worker pid %ld (draining%s%s)\n", live.pid,
		g ? ", grace " : "", g ? g : "");
	/* The daemon holds the lock until its very end. */
	for (;;) {
		struct daemon_info now;
		daemon_probe(&f, &now);
		if (!now.running)
			break;
		usleep(50 * 1000);
	}
	fprintf(ctx->out, "worker pid %ld stopped\n", live.pid);
	report_handed_back(ctx, &ids, e);
out:
	vec_free(&ids);
	daemon_files_free(&f);
	return rc;
}

const struct cmd_entry cmd_worker_entries[] = {
	{ .name = "worker",
	  .usage = "[--workers N] [--grace DURATION] [--store-timeout DURATION] "
		   "[--metrics [ADDRESS:]PORT] [--pool NAME]... [--detach [--log-max BYTES]]",
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
	  "--detach starts it as this project's daemon instead: in the\n"
	  "background, its own session, holding .sluice/worker.lock for its\n"
	  "life, pid in .sluice/worker.pid, log in .sluice/worker.log (rotated\n"
	  "past --log-max bytes, default 10 MiB; 3 old ones kept); with --env\n"
	  "NAME those are worker-NAME.*, one daemon per environment.  Returns once\n"
	  "it is up, printing its pid; see worker status and worker stop.\n"
	  "Exit status: 0 stopped by a signal (--detach: started), 1 could not\n"
	  "start or keep going, 2 usage or an invalid project, 5 (--detach) a\n"
	  "worker already runs for this project.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE | CMD_CLI_ONLY,
	  .options = {
		{ "--workers", "-j", CMD_KIND_NUMBER },
		{ "--grace", NULL, CMD_KIND_DURATION },
		{ "--store-timeout", NULL, CMD_KIND_DURATION },
		{ "--metrics", NULL, CMD_KIND_TEXT },
		{ "--pool", NULL, CMD_KIND_TEXT, NULL, true },
		{ "--detach", "-d", CMD_KIND_NONE },
		{ "--log-max", NULL, CMD_KIND_NUMBER },
	  },
	  .exec = exec_worker },
	{ .name = "worker status",
	  .usage = "",
	  .summary = "whether this project's worker daemon runs: pid, host, since, runs",
	  .help = "Says whether a worker daemon (worker --detach) holds this project's\n"
	  "lock (.sluice/worker.lock), and if so its pid, host, start time, log\n"
	  "file and the runs it has in flight.\n"
	  "Exit status: 0 running, 6 not running.",
	  .flags = CMD_NEEDS_PROJECT | CMD_CLI_ONLY,
	  .exec = exec_worker_status },
	{ .name = "worker stop",
	  .usage = "[--grace DURATION]",
	  .summary = "stop this project's worker daemon: drain, then report",
	  .help = "Sends the daemon SIGTERM; it drains as `worker` does on a signal:\n"
	  "no new work, steps in flight get the grace period (--grace, else the\n"
	  "one it was started with) to finish or roll back, unfinished runs are\n"
	  "handed back (PENDING).  Waits until it is gone, then says what became\n"
	  "of the runs it had.\n"
	  "Exit status: 0 stopped, 6 not running.",
	  .flags = CMD_MUTATES | CMD_NEEDS_PROJECT | CMD_CLI_ONLY,
	  .options = {
		{ "--grace", NULL, CMD_KIND_DURATION },
	  },
	  .exec = exec_worker_stop },
	{ .name = NULL },
};

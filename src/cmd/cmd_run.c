/*
 * cmd_run.c - `run`, `cancel` and `retry`: starting and stopping flow runs.
 *
 * `sluice run FLOW` creates the run (parameters checked first: a bad one
 * fails the run in PENDING and the command says which) and prints its id.
 * Then:
 *   - when a live engine is there (a `sluice worker` or a console with a
 *     heartbeat within 30 s), the run is left queued for it, and the
 *     command says so; --wait follows it until it settles.  Ctrl-C asks
 *     for the cancel and goes on following, so the status is the run's
 *     real outcome (a step may still complete); a second Ctrl-C stops
 *     waiting (exit 128 + the signal) and the run goes on;
 *   - when none is, the command does the work itself: an embedded engine
 *     on this process (two worker threads, no scheduler) runs exactly this
 *     run in the foreground, with or without --wait, so `sluice run`
 *     always gets the run done.  That engine is made before the run (one
 *     that cannot start leaves no run), and the run is kept for it alone:
 *     if the process dies before starting it, crash recovery fails it
 *     rather than let a worker run it later.  Ctrl-C (or SIGTERM) cancels
 *     the run (its steps roll back; it ends CANCELLED); a second one
 *     aborts at once and crash recovery settles the run later.
 * Progress goes to stderr; the exit status is 0 for COMPLETED or CACHED,
 * 1 for FAILED or CRASHED, 3 for CANCELLED (and 0 for a queued run that
 * was not waited for, 128 + N when signal N stopped the wait).  A control
 * store that goes away while a run is followed is waited for (it
 * reconnects by itself; the warning names it) up to --store-timeout
 * (default 5 minutes), then the command gives up on the run with exit 1,
 * saying it was the control store.
 */
#include "cmd/cmd_int.h"
#include "engine/engine.h"
#include "notify/notify.h"
#include "project/project.h"
#include "store/store.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FOLLOW_POLL_MS 200
/* Following a queued run: how often to look for a live engine, and how
 * long without one before giving up (the lease). */
#define ALIVE_CHECK  (2 * USEC_PER_SEC)
#define ALONE_LIMIT  (30 * USEC_PER_SEC)

static int exit_for_state(enum run_state st)
{
	switch (st) {
	case RUN_COMPLETED: case RUN_CACHED: return EXIT_OK;
	case RUN_CANCELLED: return EXIT_CANCELLED;
	default: return EXIT_FAILED;
	}
}

/* ---- following a run ------------------------------------------------------------- */
struct follow {
	enum run_state last_state;
	int last_attempt;
	struct vec seen;          /* "step:STATE" strings already printed */
	usec_t next_alive_check;  /* monotonic; following a queued run */
	usec_t alone_since;       /* no engine alive since (monotonic); 0 = one is */
};

static bool seen_before(struct follow *f, const char *key)
{
	for (size_t i = 0; i < f->seen.len; i++)
		if (strcmp(f->seen.items[i], key) == 0)
			return true;
	vec_push(&f->seen, xstrdup(key));
	return false;
}

static void print_steps(struct cmd_ctx *ctx, struct store *s, int64_t id, struct follow *f)
{
	struct vec steps = VEC_INIT;
	if (store_step_list(s, id, &steps, NULL) < 0)
		return;
	for (size_t i = 0; i < steps.len; i++) {
		struct store_step *st = steps.items[i];
		char key[512];
		snprintf(key, sizeof key, "%d:%s:%s:%s", st->attempt, st->step,
			 step_state_name(st->state), st->detail ? st->detail : "");
		if (seen_before(f, key))
			continue;
		if (st->state == STEP_RUNNING) {
			fprintf(ctx->errout, "  step %s: RUNNING%s%s\n", st->step,
				st->detail ? ", " : "", st->detail ? st->detail : "");
			continue;
		}
		char took[32] = "";
		if (st->started && st->ended)
			duration_format(st->ended - st->started, took, sizeof took);
		fprintf(ctx->errout, "  step %s: %s%s%s, %lld row%s in, %lld out%s%s\n",
			st->step, step_state_name(st->state), *took ? " in " : "", took,
			(long long)st->rows_in, st->rows_in == 1 ? "" : "s",
			(long long)st->rows_out, st->error ? ": " : "",
			st->error ? st->error : "");
	}
	store_step_list_free(&steps);
}

/* Print what changed; 1 when the run has settled (*final set), 0 not yet,
 * -1 store error. */
static int follow_once(struct cmd_ctx *ctx, struct store *s, int64_t id,
		       struct follow *f, enum run_state *final, struct err *e)
{
	struct store_run *r = store_run_get(s, id, e);
	if (!r)
		return -1;
	print_steps(ctx, s, id, f);
	if (r->state != f->last_state || r->attempt != f->last_attempt) {
		fprintf(ctx->errout, "run %lld: %s", (long long)id, run_state_name(r->state));
		if (r->state == RUN_RUNNING)
			fprintf(ctx->errout, " (attempt %d of %d)", r->attempt, r->max_attempts);
		if (r->reason && r->state != RUN_RUNNING)
			fprintf(ctx->errout, ": %s", r->reason);
		if (r->state == RUN_RETRYING && r->next_retry) {
			char when[64];
			time_format_relative(clock_now_us(), r->next_retry, when, sizeof when);
			fprintf(ctx->errout, " (next attempt %s)", when);
		}
		fputc('\n', ctx->errout);
		f->last_state = r->state;
		f->last_attempt = r->attempt;
	}
	int rc = 0;
	if (run_state_is_terminal(r->state)) {
		char took[32] = "?";
		if (r->started && r->ended)
			duration_format(r->ended - r->started, took, sizeof took);
		fprintf(ctx->errout, "run %lld %s in %s: %lld row%s in, %lld out%s%s\n",
			(long long)id, run_state_name(r->state), took,
			(long long)r->rows_in, r->rows_in == 1 ? "" : "s",
			(long long)r->rows_out, r->error ? "; error: " : "",
			r->error ? r->error : "");
		*final = r->state;
		rc = 1;
	}
	store_run_free(r);
	fflush(ctx->errout);
	return rc;
}

/* Following a queued run: true (e set) once no engine has been alive for
 * the lease, so that nothing will move the run on (its worker died, or
 * stopped because its control store failed). */
static bool left_alone(struct store *s, int64_t id, struct follow *f, struct err *e)
{
	usec_t now = clock_monotonic_us();
	if (now < f->next_alive_check)
		return false;
	f->next_alive_check = now + ALIVE_CHECK;
	bool alive = true;
	if (engine_alive(s, 0, &alive, NULL) < 0 || alive) {
		f->alone_since = 0;
		return false;
	}
	if (!f->alone_since)
		f->alone_since = now;
	if (now - f->alone_since < ALONE_LIMIT)
		return false;
	struct store_run *r = store_run_get(s, id, NULL);
	err_set(e, ERR_TIMEOUT, "no engine has been alive for %llds to go on with run %lld "
		"(%s); it waits for one (sluice worker), and `sluice show run %lld` "
		"tells how it ends", (long long)(ALONE_LIMIT / USEC_PER_SEC), (long long)id,
		r ? run_state_name(r->state) : "?", (long long)id);
	store_run_free(r);
	return true;
}

static void follow_free(struct follow *f)
{
	vec_free_all(&f->seen, free);
}

/* Our own engine says when something changed, so a short run is reported
 * when it ends, not at the next poll of the store. */
static int wait_engine_event(struct engine *eng, const sigset_t *set)
{
	int sig = cmd_wait_signal_or_fd(set, engine_event_fd(eng), FOLLOW_POLL_MS);
	struct engine_event ev[64];
	while (engine_events_drain(eng, ev, ARRAY_LEN(ev)) == ARRAY_LEN(ev))
		;
	return sig;
}

/* Following failed: when it was because the control store is out of
 * reach, keep waiting for it, up to `limit` (0: for ever). */
static bool wait_for_store(struct store *s, usec_t limit, usec_t *lost_since)
{
	if (!store_lost(s))
		return false;
	usec_t now = clock_monotonic_us();
	if (!*lost_since)
		*lost_since = now;
	return !limit || now - *lost_since <= limit;
}

/* The first stop signal: ask for the cancel and keep following, so the
 * exit status is the run's real outcome (a step may still complete). */
static void request_cancel(struct cmd_ctx *ctx, struct store *s, int64_t id,
			   struct engine *eng, int sig)
{
	if (eng)
		fprintf(ctx->errout, "sluice: %s: cancelling run %lld (again to abort)\n",
			strsignal(sig), (long long)id);
	else
		fprintf(ctx->errout, "sluice: %s: cancel of run %lld requested; waiting "
			"for its outcome (again to stop waiting; the run goes on)\n",
			strsignal(sig), (long long)id);
	struct err ce;
	if (engine_cancel(s, id, ctx->user, &ce) < 0) {
		fprintf(ctx->errout, "sluice: %s\n", err_text(&ce));
		/* The store did not take the request: our own engine stops the
		 * run anyway. */
		if (eng && ce.code != ERR_CONFLICT)
			engine_cancel_here(eng, id);
	}
	fflush(ctx->errout);
}

/* The second stop signal while following another engine's run. */
static void stopped_waiting(struct cmd_ctx *ctx, struct store *s, int64_t id, int sig)
{
	struct store_run *r = store_run_get(s, id, NULL);
	fprintf(ctx->errout, "sluice: %s again: stopped waiting; run %lld is %s and goes "
		"on without us (sluice show run %lld)\n", strsignal(sig), (long long)id,
		r ? run_state_name(r->state) : "in an unknown state", (long long)id);
	store_run_free(r);
	fflush(ctx->errout);
}

/* Follow a run some engine executes; `eng` is ours when in the foreground. */
static int follow_run(struct cmd_ctx *ctx, struct store *s, int64_t id,
		      struct engine *eng, usec_t store_timeout, struct err *e)
{
	struct follow f = { .last_state = RUN_STATE_COUNT, .seen = VEC_INIT };
	sigset_t set, old;
	cmd_block_stop_signals(&set, &old);
	int signals = 0, stop_sig = 0, rc;
	enum run_state final = RUN_FAILED;
	usec_t lost_since = 0;
	for (;;) {
		rc = follow_once(ctx, s, id, &f, &final, e);
		if (rc < 0 && wait_for_store(s, store_timeout, &lost_since))
			rc = 0;
		else if (rc == 0)
			lost_since = 0;
		if (rc < 0 && store_lost(s))
			err_prefix(e, "run %lld: gave up following it: ", (long long)id);
		if (rc != 0)
			break;
		if ((eng && engine_failed(eng, e)) || (!eng && left_alone(s, id, &f, e))) {
			/* No outcome will come: our store cannot record it, or
			 * no engine is left to produce it. */
			rc = -1;
			break;
		}
		if (eng && engine_idle_done(eng)) {
			/* The foreground engine gave up on it (it crashed or was
			 * claimed elsewhere): report what the store says. */
			rc = follow_once(ctx, s, id, &f, &final, e);
			if (rc == 0) {
				struct store_run *r = store_run_get(s, id, NULL);
				final = r ? r->state : RUN_FAILED;
				store_run_free(r);
				rc = 1;
			}
			break;
		}
		int sig = eng ? wait_engine_event(eng, &set) : cmd_wait_signal(&set, FOLLOW_POLL_MS);
		if (!sig)
			continue;
		if (++signals == 1) {
			request_cancel(ctx, s, id, eng, sig);
		} else if (eng) {
			fprintf(ctx->errout, "sluice: aborting; crash recovery will settle "
				"run %lld\n", (long long)id);
			fflush(ctx->errout);
			engine_abort(eng);
			_exit(EXIT_FAILED);
		} else {
			stopped_waiting(ctx, s, id, sig);
			stop_sig = sig;
			break;
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	follow_free(&f);
	if (rc < 0)
		return EXIT_FAILED;
	if (rc == 0)
		return stop_sig ? 128 + stop_sig : EXIT_FAILED;
	if (final == RUN_FAILED || final == RUN_CRASHED) {
		struct store_run *r = store_run_get(s, id, NULL);
		err_set(e, ERR_INVALID, "run %lld %s%s%s", (long long)id,
			run_state_name(final), r && r->error ? ": " : "",
			r && r->error ? r->error : "");
		store_run_free(r);
	} else if (final == RUN_CANCELLED) {
		err_set(e, ERR_CANCELLED, "run %lld was cancelled", (long long)id);
	}
	return exit_for_state(final);
}

/* ---- where the run is done -------------------------------------------------------- */
/* With a live engine the run is queued for it.  With none, this process
 * does it: its engine is made before the run, so that one which cannot
 * start (a lake credential that is not set, say) leaves no run behind,
 * and the run is kept for it alone, so that if this process dies before
 * starting it, crash recovery fails the run instead of a worker running
 * it hours later. */
struct dispatch {
	bool here;
	struct engine *eng;
	sigset_t set, old;
};

static int dispatch_begin(struct cmd_ctx *ctx, struct dispatch *d, struct err *e)
{
	memset(d, 0, sizeof *d);
	if (ctx->surface == SURFACE_CONSOLE)
		return 0;             /* the console's own engine takes it */
	bool alive = false;
	if (engine_alive(ctx->store, 0, &alive, e) < 0)
		return -1;
	if (alive)
		return 0;
	struct engine_options opt = {
		.store_url = cmd_ctx_store_url(ctx),
		/* our handle's link: a lost store is said once for the process */
		.store_opt = { .read_only = false, .link = store_link_of(ctx->store) },
		.workers = 2,
		.no_scheduler = true,
		.no_notifier = true,
		.foreground = true,
	};
	d->here = true;
	cmd_block_stop_signals(&d->set, &d->old);    /* before the engine's threads exist */
	d->eng = engine_new(ctx->project, &opt, e);
	if (!d->eng) {
		pthread_sigmask(SIG_SETMASK, &d->old, NULL);
		err_prefix(e, "no engine is running and this one cannot start, so no run "
			   "was made: ");
		return -1;
	}
	return 0;
}

/* The run could not be made: nothing to do. */
static void dispatch_abandon(struct dispatch *d)
{
	if (!d->eng)
		return;
	engine_free(d->eng);
	pthread_sigmask(SIG_SETMASK, &d->old, NULL);
	d->eng = NULL;
}

/* Whom the new run is for: this process's engine, or any. */
static const char *dispatch_worker(const struct dispatch *d)
{
	return d->eng ? engine_worker_id(d->eng) : NULL;
}

static int run_here(struct cmd_ctx *ctx, struct dispatch *d, int64_t id,
		    usec_t store_timeout, struct err *e)
{
	fprintf(ctx->errout, "no engine is running: running run %lld here\n", (long long)id);
	engine_set_only_run(d->eng, id);
	int rc = EXIT_FAILED;
	if (engine_start(d->eng, e) == 0) {
		rc = follow_run(ctx, ctx->store, id, d->eng, store_timeout, e);
	} else {
		struct err fe;
		if (store_run_transition(ctx->store, id, RUN_FAILED, "its engine could not "
					 "start", err_text(e), &fe) < 0 && fe.code != ERR_CONFLICT)
			fprintf(ctx->errout, "sluice: %s\n", err_text(&fe));
	}
	if (rc == EXIT_FAILED && store_lost(ctx->store)) {
		/* Gave up on a store out of reach: nothing can be recorded, so
		 * stop at once; crash recovery settles the run when it is back. */
		engine_abort(d->eng);
		engine_free(d->eng);
		d->eng = NULL;
		pthread_sigmask(SIG_SETMASK, &d->old, NULL);
		return rc;
	}
	struct err se;
	engine_stop(d->eng, 5 * USEC_PER_SEC, &se);
	/* Failure notifications were queued; nobody else may be there to send. */
	struct err ne;
	if (notify_send_due(ctx->store, ctx->project, 20, NULL, &ne) < 0)
		fprintf(ctx->errout, "sluice: notifications: %s\n", err_text(&ne));
	engine_free(d->eng);
	d->eng = NULL;
	pthread_sigmask(SIG_SETMASK, &d->old, NULL);
	return rc;
}

/* After the run was made: leave it to a live engine, follow it, or do it. */
static int dispatch_run(struct cmd_ctx *ctx, struct dispatch *d, int64_t id, bool wait,
			usec_t store_timeout, struct err *e)
{
	if (d->here)
		return run_here(ctx, d, id, store_timeout, e);
	if (ctx->surface == SURFACE_CONSOLE)
		return EXIT_OK;
	fprintf(ctx->errout, "run %lld is queued for the engine that is running%s\n",
		(long long)id, wait ? "" : " (follow it with: sluice show run ID, or "
		"sluice run --wait next time)");
	if (!wait)
		return EXIT_OK;
	return follow_run(ctx, ctx->store, id, NULL, store_timeout, e);
}

/* ---- run ------------------------------------------------------------------------------ */
static int add_param(const struct cmd_entry *self, struct vec *kv, const char *text,
		     struct err *e)
{
	const char *eq = strchr(text, '=');
	if (!eq || eq == text)
		return cmd_usage_error(self, e, "parameter '%s' is not KEY=VALUE", text), -1;
	struct project_kv *p = xcalloc(1, sizeof *p);
	p->key = xstrndup(text, (size_t)(eq - text));
	p->value = xstrdup(eq + 1);
	vec_push(kv, p);
	return 0;
}

static void free_kv(struct vec *kv)
{
	for (size_t i = 0; i < kv->len; i++) {
		struct project_kv *p = kv->items[i];
		free(p->key);
		free(p->value);
		free(p);
	}
	vec_free(kv);
}

/* --at: an instant ("2026-12-07T09:30:00Z"; without an offset, UTC) or a
 * time from now ("+90s", "in 5m"). */
static int parse_at(const struct cmd_entry *self, const char *text, usec_t *at,
		    struct err *e)
{
	usec_t d;
	const char *rel = text[0] == '+' ? text + 1
			  : strncmp(text, "in ", 3) == 0 ? text + 3 : NULL;
	if (rel && duration_parse(rel, &d) && d >= 0) {
		*at = clock_now_us() + d;
		return EXIT_OK;
	}
	if (!rel && time_parse_iso(text, at))
		return EXIT_OK;
	return cmd_usage_error(self, e, "--at takes a time: 2026-12-07T09:30:00Z (UTC "
			       "unless an offset is given), or +DURATION such as +90s, not "
			       "'%s'", text);
}

/* A scheduled run is left for an engine, whether or not one runs now. */
static int scheduled_run(struct cmd_ctx *ctx, int64_t id, usec_t at, bool wait,
			 usec_t store_timeout, struct err *e)
{
	char when[24];
	time_format_short(at, when);
	bool alive = true;
	if (ctx->surface == SURFACE_CLI && engine_alive(ctx->store, 0, &alive, NULL) == 0 &&
	    !alive)
		fprintf(ctx->errout, "run %lld is SCHEDULED for %s UTC; no engine is running "
			"now: it starts when one does (sluice worker), LATE if after its "
			"flow's late_after\n", (long long)id, when);
	else if (ctx->surface == SURFACE_CLI)
		fprintf(ctx->errout, "run %lld is SCHEDULED for %s UTC\n", (long long)id, when);
	if (!wait || ctx->surface != SURFACE_CLI)
		return EXIT_OK;
	return follow_run(ctx, ctx->store, id, NULL, store_timeout, e);
}

/* The new run's id: alone on the command line, where scripts read it; in
 * words at the console and shell, where it is the only message. */
static void print_new_run(struct cmd_ctx *ctx, int64_t id, const char *what)
{
	if (ctx->surface == SURFACE_CLI)
		fprintf(ctx->out, "%lld\n", (long long)id);
	else
		fprintf(ctx->out, "run %lld: %s\n", (long long)id, what);
	fflush(ctx->out);
}

static int exec_run(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	const struct cmd_entry *self = args->entry;
	int rc = EXIT_OK;
	struct vec kv = VEC_INIT;
	usec_t store_timeout = ENGINE_STORE_TIMEOUT;
	const char *st = cmd_opt_value(args, "--store-timeout");
	if (st && (!duration_parse(st, &store_timeout) || store_timeout < 0)) {
		rc = cmd_usage_error(self, e, "--store-timeout takes a duration like 5m "
				     "(0: never give up)");
		goto out;
	}
	usec_t at = 0;
	const char *at_text = cmd_opt_value(args, "--at");
	if (at_text && (rc = parse_at(self, at_text, &at, e)) != EXIT_OK)
		goto out;
	for (size_t i = 0; i < args->names.len; i++)
		if (strcmp(args->names.items[i], "--param") == 0 &&
		    add_param(self, &kv, args->values.items[i], e) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	for (size_t i = 1; i < args->positional.len; i++)
		if (add_param(self, &kv, args->positional.items[i], e) < 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	struct project_kv *params = xcalloc(kv.len ? kv.len : 1, sizeof *params);
	for (size_t i = 0; i < kv.len; i++)
		params[i] = *(struct project_kv *)kv.items[i];
	struct dispatch d;
	memset(&d, 0, sizeof d);
	if (!at && project_flow(ctx->project, args->positional.items[0]) &&
	    dispatch_begin(ctx, &d, e) < 0) {
		free(params);
		rc = EXIT_FAILED;
		goto out;
	}
	struct engine_run_request req = {
		.flow = args->positional.items[0], .params = params, .nparams = kv.len,
		.trigger = ctx->surface == SURFACE_CLI ? TRIGGER_COMMAND_LINE : TRIGGER_MANUAL,
		.trigger_detail = ctx->user,
		.reason = ctx->surface == SURFACE_CLI ? "sluice run" : "run from the console",
		.reserved_for = dispatch_worker(&d),
		.scheduled = at,
	};
	int64_t id = 0;
	int src = engine_submit(ctx->store, ctx->project, &req, &id, e);
	free(params);
	if (src < 0) {
		dispatch_abandon(&d);
		if (id)
			fprintf(ctx->out, "%lld\n", (long long)id);
		rc = e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
		if (id)
			err_prefix(e, "run %lld FAILED before it started: ", (long long)id);
		goto out;
	}
	print_new_run(ctx, id, req.flow);
	if (at)
		rc = scheduled_run(ctx, id, at, cmd_opt_flag(args, "--wait"), store_timeout, e);
	else
		rc = dispatch_run(ctx, &d, id, cmd_opt_flag(args, "--wait"), store_timeout, e);
out:
	free_kv(&kv);
	return rc;
}

/* ---- cancel and retry ------------------------------------------------------------------- */

static int exec_cancel(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int64_t id = 0;
	int rc = cmd_parse_run_id(args->entry, args->positional.items[0], &id, e);
	if (rc != EXIT_OK)
		return rc;
	if (engine_cancel(ctx->store, id, ctx->user, e) < 0)
		return e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	struct store_run *r = store_run_get(ctx->store, id, e);
	if (!r)
		return EXIT_FAILED;
	if (r->state == RUN_CANCELLING)
		fprintf(ctx->out, "run %lld: CANCELLING (its worker stops the steps at the "
			"next safe point and rolls back)\n", (long long)id);
	else
		fprintf(ctx->out, "run %lld: %s\n", (long long)id, run_state_name(r->state));
	store_run_free(r);
	return EXIT_OK;
}

static int exec_retry(struct cmd_ctx *ctx, const struct cmd_args *args, struct err *e)
{
	int64_t id = 0;
	int rc = cmd_parse_run_id(args->entry, args->positional.items[0], &id, e);
	bool wait = cmd_opt_flag(args, "--wait");
	if (rc != EXIT_OK)
		return rc;
	struct store_run *r = store_run_get(ctx->store, id, e);
	if (!r)
		return e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	bool known = project_flow(ctx->project, r->flow) != NULL;
	store_run_free(r);
	struct dispatch d;
	memset(&d, 0, sizeof d);
	if (known && dispatch_begin(ctx, &d, e) < 0)
		return EXIT_FAILED;
	int64_t new_id = 0;
	if (engine_retry(ctx->store, ctx->project, id, known ? dispatch_worker(&d) : NULL,
			 &new_id, e) < 0) {
		if (known)
			dispatch_abandon(&d);
		if (new_id)
			fprintf(ctx->out, "%lld\n", (long long)new_id);
		return e->code == ERR_NOTFOUND ? EXIT_USAGE : EXIT_FAILED;
	}
	char what[64];
	snprintf(what, sizeof what, "retry of run %lld", (long long)id);
	print_new_run(ctx, new_id, what);
	return dispatch_run(ctx, &d, new_id, wait, ENGINE_STORE_TIMEOUT, e);
}

const struct cmd_entry cmd_run_entries[] = {
	{ .name = "run", .usage = "FLOW [KEY=VALUE]... [--at TIME] [--wait] "
	  "[--store-timeout DURATION]",
	  .summary = "start a run of a flow and print its id",
	  .help = "Parameters: KEY=VALUE words or --param KEY=VALUE (-p), repeated.\n"
	  "They are checked against the flow's declarations before the run\n"
	  "starts; a bad one fails the run (in PENDING) with a message naming it.\n"
	  "With a live engine (sluice worker, or a console) the run is queued for\n"
	  "it (the command says so), and --wait follows it to the end (Ctrl-C asks\n"
	  "for the cancel and waits for the outcome; twice stops waiting, the run\n"
	  "goes on).  With none, this command runs it itself in the foreground\n"
	  "(Ctrl-C cancels it; twice aborts); if it cannot start that engine, no\n"
	  "run is made, and a run whose command dies before starting it ends\n"
	  "FAILED, never run later.  A control store that goes away meanwhile is\n"
	  "waited for up to --store-timeout (default 5m; 0 = for ever), then it\n"
	  "gives up (exit 1).  Progress goes to stderr.  Exit status: 0 COMPLETED\n"
	  "or CACHED (or queued without --wait), 1 FAILED or CRASHED (or the\n"
	  "control store failed), 2 usage, 3 CANCELLED, 128+N stopped waiting on\n"
	  "signal N.\n"
	  "--at TIME makes the run SCHEDULED for TIME (2026-12-07T09:30:00Z, UTC\n"
	  "without an offset, or +90s from now): an engine starts it then, never\n"
	  "before; this command never runs it itself.  Not started within the\n"
	  "flow's late_after (default 1m) it becomes LATE, and still runs when an\n"
	  "engine can.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = {
		{ "--wait", "-w" },
		{ "--param", "-p", CMD_KIND_PARAM, NULL, true },
		{ "--store-timeout", NULL, CMD_KIND_DURATION },
		{ "--at", NULL, CMD_KIND_TEXT },
	  },
	  .args = { 1, CMD_ARGS_MANY, { CMD_KIND_FLOW, CMD_KIND_PARAM } },
	  .exec = exec_run,
	  .audit = { "start", "flow" } },
	{ .name = "cancel", .usage = "RUN",
	  .summary = "cancel a run (queued: now; running: at a safe point)",
	  .help = "A queued run becomes CANCELLED; a running one CANCELLING, and the engine\n"
	  "running it rolls its open step back and records CANCELLED.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .args = { 1, 1, { CMD_KIND_RUN } },
	  .exec = exec_cancel,
	  .audit = { "cancel", "run" } },
	{ .name = "retry", .usage = "RUN [--wait]",
	  .summary = "run a finished run's flow again, same parameters",
	  .help = "The new run has trigger 'retry' and points at RUN as its parent.  It is\n"
	  "queued or run here exactly as 'sluice run' does.",
	  .flags = CMD_MUTATES | CMD_NEEDS_STORE,
	  .options = { { "--wait", "-w" } },
	  .args = { 1, 1, { CMD_KIND_RUN } },
	  .exec = exec_retry,
	  .audit = { "retry", "run" } },
	{ .name = NULL },
};

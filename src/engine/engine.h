/*
 * engine.h - the job engine: runs flows, fires tasks, polls pipes, acts on
 * operator requests, recovers crashed runs, and tells a console what
 * happened through an event queue.
 *
 * Threads (all started by engine_start, each with its own store handle):
 *   - N worker threads (default 2), each with its own data connections
 *     (struct step_conns).  A worker claims a due run from the store and
 *     drives it: it runs the flow's steps in dependency order, handing
 *     ready independent steps to idle workers through an in-process job
 *     queue and running its own run's steps while it waits.  Workers also
 *     take in-process jobs: pipe refreshes and SQL-file tasks.
 *   - one supervisor thread: worker heartbeat, step and run timeouts
 *     (cancelling the step's statements), noticing runs an operator moved
 *     to CANCELLING, and crash recovery (runs whose worker is gone become
 *     CRASHED and, with retries left, are retried in place).
 *   - one scheduler thread (unless no_scheduler): operator requests, and,
 *     while it holds the store lease "scheduler", tasks and pipe polling.
 *     Task `when` conditions are evaluated there, on the scheduler's own
 *     data connections (never a console's); pipe refreshes and SQL-file
 *     tasks are queued for the workers.
 *   - the notification sender (notify.h), unless no_notifier.
 * The engine never touches a terminal; the console embeds it and reads
 * engine_event_fd().
 *
 * Exactly once: the engine commits a run's planned watermarks only after
 * every step succeeded, re-runs a recovered or retried run under the same
 * run id (so the steps' ledger entries "store:STORE:run:ID:step:NAME" and
 * planned extract windows stay valid), and never moves data itself.
 *
 * Time: everything scheduled reads clock_now_us(), so tests replace the
 * clock and drive the scheduler with engine_scheduler_tick; timeouts and
 * waits are measured on the monotonic clock.
 *
 * Errors: fallible calls fill a struct err and return -1 (or NULL).
 */
#ifndef SLUICE_ENGINE_H
#define SLUICE_ENGINE_H

#include "core/core.h"
#include "store/store.h"

#include <signal.h>

struct engine;
struct project;
struct project_kv;

struct engine_options {
	const char *store_url;        /* the control store (required) */
	struct store_options store_opt;
	int  workers;                 /* worker threads; 0 = 2; -1 = none (tests
					 drive engine_work_once themselves) */
	bool no_scheduler;            /* no tasks, pipes or requests */
	bool no_notifier;             /* no Slack sender thread */
	bool no_log_sink;             /* the caller already sends logs to the store */
	int64_t only_run;             /* claim only this run (the foreground
					 `sluice run`); 0 = any due run */
	bool foreground;              /* the foreground `sluice run`, whose run
					 is made after the engine (see
					 engine_set_only_run) */
	usec_t grace;                 /* engine_stop's default grace; 0 = 30 s */
	usec_t lease;                 /* a worker is gone after this long without
					 a heartbeat; 0 = 30 s */
	usec_t heartbeat;             /* 0 = 10 s */
	usec_t poll;                  /* how often idle workers look for due
					 runs while no store events arrive
					 (listen.c); 0 = 200 ms */
	const char *worker_id;        /* NULL = "HOST:PID:N" (or "foreground:..."
					 with only_run or foreground) */
	const char *const *pools;     /* take only runs of these pools (copied);
					 none: only runs without a pool */
	size_t npools;
};

/* Create an engine for a loaded, valid project (borrowed: it must outlive
 * the engine).  Opens the engine's store handle, registers the worker,
 * writes every flow's concurrency limit to the store and settles runs
 * left by workers that are gone (crash recovery).  No thread runs yet. */
struct engine *engine_new(const struct project *p, const struct engine_options *opt,
			  struct err *e);
/* Start the threads. */
int   engine_start(struct engine *eng, struct err *e);
/* Ask the engine to stop taking new work (no new runs, steps or jobs);
 * returns at once.  Safe from any thread (not from a signal handler). */
void  engine_request_stop(struct engine *eng);
/* Stop (the drain): no new work; steps in flight get `grace` (0 = the
 * option's) to finish, then their statements are cancelled and they roll
 * back (for up to 10 s).  Runs with steps left are handed back: RUNNING
 * -> PENDING with the reason "handed back by draining worker ID", the
 * attempt kept (a drain is not the run's failure), so any engine takes
 * them next.  Joins every thread and unregisters the worker.  Returns 0
 * after a clean drain, -1 when something had to be cancelled (ERR_TIMEOUT)
 * or a state could not be recorded (e says what).
 * A step that does not stop even when cancelled (or an engine_hurry past
 * the rollback wait) does not keep runs RUNNING: its run is handed back
 * from here and its thread is left behind (engine_left_behind). */
int   engine_stop(struct engine *eng, usec_t grace, struct err *e);
/* Cut a drain short (another stop signal arrived); safe from any thread
 * (not from a signal handler), before or during engine_stop.  The first
 * call ends the grace period at once (statements in flight are cancelled
 * and roll back, their runs handed back); the next stops waiting for the
 * rollbacks: runs still in flight are handed back at once. */
void  engine_hurry(struct engine *eng);
/* engine_stop on a thread of its own, while this thread takes the
 * signals of `signals` (blocked by the caller in every thread; NULL:
 * none): each one that arrives meanwhile calls engine_hurry.  What a
 * process calls on its first stop signal, so that no further signal ends
 * it with runs left RUNNING.  Returns what engine_stop returns. */
int   engine_drain(struct engine *eng, usec_t grace, const sigset_t *signals,
		   struct err *e);
/* True when engine_stop handed back runs whose steps had not stopped: their
 * threads may still run, engine_free frees the engine only if they end
 * within 2 s, and the process should end (_exit) soon; their transactions
 * roll back when it does. */
bool  engine_left_behind(const struct engine *eng);
/* Give up at once: cancel every statement in flight, without waiting or
 * recording anything (crash recovery settles the runs).  The caller exits
 * afterwards (a foreground `sluice run` interrupted twice, an engine that
 * failed to start).  Safe from any thread. */
void  engine_abort(struct engine *eng);
/* How long the control store has been out of reach (store.h, "losing the
 * server"), 0 while it is not: the engine keeps trying to reconnect and
 * records what it could not meanwhile once it is back; whoever runs it
 * decides when to give up (`sluice worker --store-timeout`). */
usec_t engine_store_down_for(struct engine *eng);
#define ENGINE_STORE_TIMEOUT (5 * 60 * USEC_PER_SEC)   /* the default limit */
/* Stop (grace 0 if not stopped yet) and free. */
void  engine_free(struct engine *eng);
const char *engine_worker_id(const struct engine *eng);
/* The foreground `sluice run` makes its engine first (so that one that
 * cannot start, say for a lake credential that is not set, leaves no run
 * behind), then the run, kept for this engine's worker
 * (engine_run_request.reserved_for), and names it here before
 * engine_start.  If the process dies before the engine claims the run,
 * crash recovery fails it: it never runs later on another worker. */
void  engine_set_only_run(struct engine *eng, int64_t run_id);
/* True once the engine's only_run has reached a final state (or stop
 * was requested and everything drained). */
bool  engine_idle_done(struct engine *eng);
/* True when the engine cannot go on and has stopped taking work: its
 * control store failed in a way retrying will not mend (a full disk or an
 * I/O error: the file system's, ERR_IO), or, for an only_run engine, a
 * state of its run could not be recorded.  *e (may be NULL) gets the
 * first such failure, which names the store ("run 7: cannot record
 * COMPLETED: control store /srv/etl/.sluice/control.db: database or disk
 * is full").  An ENGINE_EV_WORKER event "failed" announces it. */
bool  engine_failed(struct engine *eng, struct err *e);
/* An operator asked this worker to drain (a "drain" request for
 * "worker:ID", taken by the supervisor): the process should stop as on
 * SIGTERM.  Any thread. */
bool  engine_drain_asked(struct engine *eng);

/* ---- metrics ---------------------------------------------------------------------
 * `sluice worker --metrics`: Prometheus metrics over HTTP (GET /metrics),
 * served on a thread of their own with its own read-only store handle;
 * what they say is in doc/metrics.md.  Bind first (so a bad address or a
 * port in use is reported before the engine starts), start once the
 * engine exists, free before the engine.
 * `listen` is PORT (on 127.0.0.1), ADDRESS:PORT or [V6ADDRESS]:PORT, with
 * "localhost" allowed as an address; other names are refused (ERR_INVALID):
 * the metrics have no authentication, so a non-loopback interface must be
 * named by its address.  Port 0 takes a free port. */
struct engine_metrics;
struct engine_metrics *engine_metrics_bind(const char *listen, struct err *e);
/* Where it listens: "127.0.0.1:9464", "[::1]:9464". */
const char *engine_metrics_address(const struct engine_metrics *em);
int   engine_metrics_start(struct engine_metrics *em, struct engine *eng, struct err *e);
/* Stop serving (joins the thread) and free; NULL is fine. */
void  engine_metrics_free(struct engine_metrics *em);
/* ---- retention -------------------------------------------------------------
 * The project's `retention`, applied by the scheduler-lease holder every
 * `retention.every`, a few short transactions per scheduler tick. */
/* One whole pass now (`sluice store prune`): the store's kinds, then each
 * pipe's load history (only of files the lake no longer holds; a pipe
 * whose prefix cannot be listed keeps its history, with a warning).  With
 * dry_run nothing is deleted and *stats says what would be. */
int   engine_prune(const struct project *p, struct store *s, bool dry_run,
		   struct store_prune_stats *stats, struct err *e);
/* "log records 12, runs 3" (kinds with something only); "" if none. */
void  engine_prune_stats_text(const struct store_prune_stats *st, struct buf *out);

/* ---- runs ------------------------------------------------------------------- */
struct engine_run_request {
	const char *flow;
	const struct project_kv *params;   /* as given, text values; may be NULL */
	size_t nparams;
	enum run_trigger trigger;
	const char *trigger_detail;        /* task name, ...; NULL */
	int64_t parent_run;                /* TRIGGER_RETRY: the run retried */
	const char *reason;                /* first transition; NULL = "submitted" */
	usec_t scheduled;                  /* 0 = due now (PENDING); else SCHEDULED */
	const char *environment;           /* NULL = the project's */
	const char *reserved_for;          /* only this worker may claim it (the
					      foreground engine); NULL = any */
	const char *pool;                  /* NULL = the flow's */
};
/* Create a run of a flow, ready for any engine.  Works without a running
 * engine (it only writes the store).  Parameters are checked against
 * the flow's declarations and defaults applied before the run exists for
 * workers; the stored params hold the resolved values.
 *   - unknown flow: ERR_NOTFOUND, nothing created;
 *   - bad, unknown or missing parameter: the run is created and failed in
 *     PENDING with a message naming the parameter; returns -1 with
 *     ERR_INVALID and *run_id set;
 *   - the flow is at its concurrency limit with on_limit "refuse":
 *     ERR_CONFLICT naming the runs in the way, nothing created. */
int   engine_submit(struct store *s, const struct project *p,
		    const struct engine_run_request *req, int64_t *run_id,
		    struct err *e);
/* A new run of a finished run's flow with the same parameters, trigger
 * retry, parent_run set.  ERR_CONFLICT when the run has not finished. */
int   engine_retry(struct store *s, const struct project *p, int64_t run_id,
		   const char *reserved_for, int64_t *new_id, struct err *e);
/* Ask for a run to stop: a queued run (SCHEDULED, LATE, PENDING, RETRYING)
 * becomes CANCELLED at once; a RUNNING one CANCELLING, and the engine
 * that owns it stops its steps at the next safe point and records
 * CANCELLED.  ERR_CONFLICT when it has already finished. */
int   engine_cancel(struct store *s, int64_t run_id, const char *by, struct err *e);
/* Stop a run this engine drives as an operator's cancel would (its steps
 * roll back, it settles CANCELLED), without asking the store: for when
 * the store could not take engine_cancel.  Nothing when the run is not
 * being driven here.  Safe from any thread. */
void  engine_cancel_here(struct engine *eng, int64_t run_id);
/* Is an engine that takes queued runs alive (a worker, other than a
 * foreground `sluice run`, with a heartbeat within `lease`; 0 = 30 s, and
 * not one registered from this host whose process is gone)? */
int   engine_alive(struct store *s, usec_t lease, bool *alive, struct err *e);

/* ---- workers, as operators see them (workers.c) ---------------------------------- */
/* Lost: no heartbeat within `lease` (0 = 30 s), or registered from this
 * host with its process gone. */
bool  engine_worker_lost(const struct store_worker *w, usec_t lease);
/* A live engine that takes queued runs: not lost, and not a foreground
 * `sluice run` (which takes only its own). */
bool  engine_worker_serving(const struct store_worker *w, usec_t lease);
/* Does `w` take runs of `pool` (NULL: runs without a pool)? */
bool  engine_worker_serves(const struct store_worker *w, const char *pool);
/* Why queued run `r` has nobody to take it: "waiting: no live worker
 * serves pool X" when no live worker in `workers` (store_worker_list)
 * serves its pool; "scheduled for TIME UTC" for a SCHEDULED run whose
 * time is to come; NULL otherwise.  Caller frees. */
char *engine_run_waiting(const struct store_run *r, const struct vec *workers,
			 usec_t lease);
/* Why a RUNNING or CANCELLING run is not moving: "LOST worker W: last
 * heartbeat 10m ago" when its worker in `workers` is lost (or gone from
 * the list), until recovery moves the run; NULL otherwise.  Caller frees. */
char *engine_run_worker_lost(const struct store_run *r, const struct vec *workers,
			     usec_t now, usec_t lease);
/* Worker `id` from store_worker_list (into *ws, the caller's to free with
 * store_worker_list_free), or NULL: ERR_NOTFOUND "no worker ID is
 * registered", or the store's error. */
struct store_worker *engine_worker_find(struct store *s, const char *id, struct vec *ws,
					struct err *e);
/* Ask worker `id` to drain (a "drain" request only it takes): it stops
 * taking runs, lets those it has finish or hands them back within its
 * grace, and exits. */
int   engine_worker_drain(struct store *s, const char *id, const char *by,
			  struct err *e);
/* Cancel every RUNNING run of worker `id`; *cancelled counts them.
 * ERR_NOTFOUND when no worker `id` is registered and no run names it. */
int   engine_worker_cancel_runs(struct store *s, const char *id, const char *by,
				int *cancelled, struct err *e);

/* ---- tasks --------------------------------------------------------------------- */
/* Task states kept in the store's object states ("task:NAME"). */
#define TASK_STATE_STARTED    "STARTED"
#define TASK_STATE_SUSPENDED  "SUSPENDED"
#define TASK_STATE_AUTO_SUSPENDED "FAILED_AND_AUTO_SUSPENDED"
/* The task's state word (a task never set is STARTED, or SUSPENDED when
 * declared start_suspended); *since = when it was last set (0 = never).
 * Caller frees. */
char *engine_task_state(struct store *s, const struct project *p, const char *task,
			usec_t *since, struct err *e);
/* Operator: suspend or resume (STARTED) a task.  ERR_NOTFOUND unknown. */
int   engine_task_set(struct store *s, const struct project *p, const char *task,
		      bool started, const char *by, struct err *e);

/* ---- operator requests -----------------------------------------------------------
 * Kinds the engine acts on (cmd/ and the console enqueue them with
 * store_request_add):
 *   "cancel"  "run:ID"
 *   "refresh" "pipe:NAME"  args {"force": true, "file": "KEY"} (both optional)
 *   "execute" "task:NAME"
 * Anything else is completed FAILED with "unknown request". */
#define ENGINE_REQ_CANCEL  "cancel"
#define ENGINE_REQ_REFRESH "refresh"
#define ENGINE_REQ_EXECUTE "execute"
/*   "drain"   "worker:ID"  taken only by that worker (its supervisor, not
 *             the scheduler): it stops taking runs and exits, as on SIGTERM */
#define ENGINE_REQ_DRAIN   "drain"

/* ---- driving the engine by hand (tests, benchmarks) -------------------------------
 * One scheduler tick at `now` on the calling thread: requests, reconcile
 * finished task runs (history, auto-suspension, `after` successors), fire
 * due tasks, queue due pipe refreshes.  Takes the scheduler lease first;
 * returns 0 without doing anything when another engine holds it. */
int   engine_scheduler_tick(struct engine *eng, usec_t now, struct err *e);
/* Do one piece of work on the calling thread, as a worker would: an
 * in-process job (pipe refresh, SQL task) or else one due run from the
 * store, driven to its next resting state (COMPLETED, CACHED, FAILED,
 * RETRYING, CANCELLED).  1 did something, 0 nothing due, -1 error.
 * Use with workers = -1; the supervisor need not run (but timeouts and
 * cancellation need engine_start's supervisor). */
int   engine_work_once(struct engine *eng, struct err *e);
/* Crash recovery pass now (also done by engine_new and the supervisor). */
int   engine_recover(struct engine *eng, struct err *e);

/* ---- events for a console -----------------------------------------------------------
 * Every run and step state change, task history entry, pipe refresh and
 * log record is also put on a bounded in-process queue.  The console
 * polls engine_event_fd() (readable when events wait) and drains.  When
 * the queue overflows, the engine never blocks: the queue is emptied and
 * replaced by one ENGINE_EV_RESYNC, meaning "re-read everything". */
enum engine_event_kind {
	ENGINE_EV_RUN,       /* run_id, object = flow, state = enum run_state */
	ENGINE_EV_STEP,      /* run_id, object = step, state = enum step_state */
	ENGINE_EV_TASK,      /* object = task, state = enum task_state, run_id */
	ENGINE_EV_PIPE,      /* object = pipe; state 0 refreshed, 1 failed; text = summary */
	ENGINE_EV_LOG,       /* level, run_id, object, text = message */
	ENGINE_EV_WORKER,    /* text = "started", "stopping", "stopped", "failed" */
	ENGINE_EV_RESYNC,
};
struct engine_event {
	enum engine_event_kind kind;
	usec_t  at;
	int64_t run_id;
	int     state;
	enum log_level level;
	char    object[96];
	char    text[240];   /* truncated */
};
#define ENGINE_EVENT_QUEUE 4096
/* Readable (eventfd or pipe) while events wait; owned by the engine. */
int    engine_event_fd(const struct engine *eng);
/* Move up to `max` events into out, oldest first; returns how many. */
size_t engine_events_drain(struct engine *eng, struct engine_event *out, size_t max);

#endif

/*
 * engine_int.h - what the files of the engine share: the engine itself,
 * the per-thread slots (store handle, data connections, what the slot is
 * running and until when), the in-process job queue, and the record of a
 * run being driven.
 *
 * Locking: eng->lock guards the job queue, the slot fields marked
 * "eng->lock", the list of active runs and the stop flags.  A run's own
 * lock guards its step states.  A run's lock may be taken while holding
 * eng->lock, never the other way round.
 */
#ifndef SLUICE_ENGINE_INT_H
#define SLUICE_ENGINE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine/engine.h"
#include "project/project.h"
#include "steps/steps.h"
#include "store/store.h"

struct lake;
struct notifier;
struct run_exec;

/* One thread's means of doing work. */
struct slot {
	struct engine *eng;
	int index;
	struct store *store;          /* this thread's own handle */
	struct step_conns *conns;     /* this thread's data connections */
	pthread_t thread;
	bool started;
	/* what it runs now (eng->lock) */
	struct run_exec *run;         /* the run whose step it executes, or NULL */
	atomic_bool cancel;           /* the step_ctx cancel flag */
	usec_t deadline;              /* monotonic; 0 = none */
	bool timed_out;
	usec_t last_cancel;           /* monotonic: when statements were last cancelled */
	bool busy;
	const char *step;             /* the step of `run` it executes (eng->lock) */
	char *wait_note;              /* what that step waits for now, or NULL */
	bool wait_dirty;              /* wait_note not in the store yet (eng->lock) */
};

enum job_kind { JOB_STEP, JOB_PIPE, JOB_TASK_SQL };

struct job {
	enum job_kind kind;
	struct run_exec *run;         /* JOB_STEP */
	size_t step;                  /* JOB_STEP: index in the flow */
	char *name;                   /* JOB_PIPE: pipe; JOB_TASK_SQL: task */
	bool force;                   /* JOB_PIPE */
	char *file;                   /* JOB_PIPE: one key, or NULL */
	int64_t request_id;           /* JOB_PIPE from a request; 0 */
	int64_t history_id;           /* JOB_TASK_SQL: its task history row */
	usec_t scheduled;             /* JOB_TASK_SQL, and what its history row */
	usec_t started;               /* says already, kept for the outcome */
	char *condition;
	struct job *next;
};

enum step_exec_state { SX_WAIT, SX_QUEUED, SX_RUNNING, SX_DONE, SX_CACHED,
		       SX_FAILED, SX_CANCELLED, SX_SKIPPED };

enum run_stop { STOP_NONE, STOP_FAILED, STOP_CANCEL, STOP_TIMEOUT, STOP_SHUTDOWN };

/* A run being driven by one worker. */
struct run_exec {
	struct engine *eng;
	struct store_run *run;
	const struct project_flow *flow;
	struct project_kv *params;    /* resolved; owned */
	size_t nparams;
	struct run_shared *shared;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum step_exec_state *st;     /* per flow step (lock) */
	int outstanding;              /* queued + running steps (lock) */
	enum run_stop stop;           /* (lock) */
	struct err error;             /* the first failure (lock) */
	char *failed_step;            /* its step (lock) */
	int64_t rows_in, rows_out;    /* (lock) */
	int64_t rows_deleted;         /* by partition replacements (lock) */
	usec_t deadline;              /* run timeout, monotonic; 0 = none */
	atomic_bool cancel_seen;      /* the store says CANCELLING */
	bool settling;                /* the driver records the outcome (lock) */
	bool handed_back;             /* the stopper recorded it instead (lock) */
	struct run_exec *next_active; /* eng->active (eng->lock) */
};

struct event_queue {
	pthread_mutex_t lock;
	struct engine_event *items;
	size_t head, len;
	bool overflowed;
	int fd[2];                    /* eventfd in fd[0] (fd[1] = -1) or a pipe */
	bool signalled;
};

struct engine {
	const struct project *project;
	struct engine_options opt;
	char *store_url;
	char *worker_id;
	char **pools;                 /* the pools served (opt.pools, copied) */
	char *pools_text;             /* "a,b" as the store keeps it; NULL none */
	atomic_bool drain_asked;      /* an operator's drain request arrived */
	struct store *store;          /* the supervisor's handle */
	struct store_link *link;      /* every handle's (store.h, "losing the server") */
	bool own_link;
	struct lake *lake;            /* shared by every thread */
	struct store_log_sink *log_sink;
	int log_sink_id, event_sink_id;
	struct notifier *notifier;

	pthread_mutex_t lock;
	pthread_cond_t work_cond;     /* jobs queued, or stop */
	unsigned work_seq;            /* bumped with every work_cond signal (lock):
					 a wake between a worker's claim and its
					 wait is not lost */
	pthread_cond_t done_cond;     /* a run finished / a slot went idle */
	struct job *jobs_head, *jobs_tail;
	struct run_exec *active;      /* runs being driven */
	struct slot **slots;          /* workers, then the manual slot */
	size_t nslots;
	struct slot *manual;          /* engine_work_once's slot */
	bool threads_started;
	atomic_bool stopping;         /* no new work */
	atomic_bool aborting;
	atomic_int hurry;             /* engine_hurry calls: 1 ends the grace, 2 the
					 rollback wait */
	bool left_behind;             /* engine_stop handed back runs whose steps
					 would not stop; their threads live on */
	pthread_mutex_t fault_lock;   /* its own: engine_fault may be called while
					 eng->lock is held */
	bool faulted;                 /* (fault_lock) */
	struct err fault;             /* the first store failure (fault_lock) */
	bool only_run_done;           /* (lock) */
	bool only_claiming;           /* a thread is claiming only_run (lock) */
	struct slot *due_watcher;     /* the one idle worker thread that keeps the
					 safety poll and the next due time while
					 events wake the others (lock) */
	bool retry_said;              /* the foreground run said it waits for a retry */
	bool stopped;

	pthread_t supervisor, scheduler, listener;
	bool supervisor_started, scheduler_started, listener_started;
	atomic_bool listening;        /* store events arrive (listen.c) */
	atomic_uint event_areas;      /* areas events named, not yet taken */
	pthread_mutex_t sleep_lock;   /* for interruptible sleeps */
	pthread_cond_t sleep_cond;
	unsigned sleep_seq;            /* bumped by engine_wake: ends a sleep early */

	struct sched *sched;          /* scheduler state (sched.c) */
	struct event_queue events;
	unsigned rand_state;
};

/* httpd.c: GET or HEAD of `path` answered with what render writes; any
 * other path 404, other methods 405; one connection at a time, bounded. */
struct httpd;
typedef void (*httpd_render_fn)(void *arg, struct buf *body);
/* Parse `listen` (see engine_metrics_bind), bind and listen. */
struct httpd *engine_httpd_bind(const char *listen, const char *path, struct err *e);
const char *engine_httpd_address(const struct httpd *h);
int   engine_httpd_start(struct httpd *h, httpd_render_fn render, void *arg, struct err *e);
void  engine_httpd_free(struct httpd *h);

/* engine.c */
struct slot *engine_slot_new(struct engine *eng, int index, struct err *e);
/* The control store failed in a way that retrying will not mend (a full
 * disk, an I/O error: ERR_IO), or a foreground engine could not record
 * its run: remember the first such failure (what: context, "run 7: cannot
 * record COMPLETED"), log it, wake followers (ENGINE_EV_WORKER "failed")
 * and stop taking work (engine_request_stop: so not under eng->lock
 * unless the engine is stopping already).  Any thread. */
void  engine_fault(struct engine *eng, const struct err *cause, const char *fmt, ...)
	PRINTF_LIKE(3, 4);
void  engine_slot_free(struct slot *sl);
/* Sleep up to `d` unless the engine stops; true if it is stopping. */
bool  engine_sleep(struct engine *eng, usec_t d);
/* A loop that works, then sleeps, reads engine_wake_count before its work
 * and sleeps with engine_sleep_since: a wake that came during the work
 * ends the sleep at once instead of waiting for the next timer. */
unsigned engine_wake_count(struct engine *eng);
bool  engine_sleep_since(struct engine *eng, unsigned seen, usec_t d);
void  engine_wake(struct engine *eng);
double engine_random(struct engine *eng);          /* [0, 1) */
/* A store call on `s` failed.  When it was because the store is out of
 * reach, wait a moment and return true: call again (it reconnects when
 * the server is back).  False when it failed for another reason, or the
 * engine is aborting, or it is stopping and has waited its grace
 * (*waited, zero at first, adds up the waits).  What must be recorded
 * (a step's or a run's state) is recorded this way, so an outage of the
 * store delays a run's record instead of losing it. */
bool  engine_store_retry(struct engine *eng, struct store *s, usec_t *waited);

/* jobs (pool.c) */
void  engine_job_push(struct engine *eng, struct job *j);
/* A queued job for `run` (any job when run is NULL); NULL when none. */
struct job *engine_job_take(struct engine *eng, struct run_exec *run);
void  engine_job_free(struct job *j);
void  engine_job_drop(struct engine *eng, struct store *s, struct job *j);
int   engine_job_run(struct slot *sl, struct job *j);
void *engine_worker_main(void *arg);
bool  engine_job_pipe_queued(struct engine *eng, const char *pipe);

/* runs (exec.c) */
/* Drive a claimed run (state RUNNING) to its next resting state. */
void  engine_exec_run(struct slot *sl, struct store_run *run);
void  engine_exec_step_job(struct slot *sl, struct run_exec *rx, size_t step);
/* Hand an unfinished run back for any engine (RUNNING -> PENDING, the
 * attempt kept; CANCELLED when an operator asked to cancel it), through
 * store handle `s`; `why` (may be NULL) is added to the reason. */
void  engine_exec_hand_back(struct engine *eng, struct store *s, struct run_exec *rx,
		     const char *why);
/* Parse params JSON text into key/values; -1 on junk. */
int   engine_params_from_json(const char *json, struct project_kv **out, size_t *n,
		       struct err *e);
void  engine_params_free(struct project_kv *kv, size_t n);
/* Typed, defaulted params of `flow` from `given`; returns a JSON object text
 * (caller frees) or NULL with ERR_INVALID naming the parameter. */
char *engine_params_resolve(const struct project_flow *flow, const struct project_kv *given,
		     size_t ngiven, struct err *e);
/* The retry delay before attempt `attempt` + 1. */
usec_t engine_retry_delay(struct engine *eng, const struct retry_policy *rp, int attempt);
/* Record a run transition and put it on the event queue. */
int   engine_transition(struct engine *eng, struct store *s, struct store_run *r,
			enum run_state to, const char *reason, const char *error,
			usec_t retry_at, struct err *e);

/* supervisor.c */
void *engine_supervisor_main(void *arg);
void  engine_cancel_run_local(struct engine *eng, struct run_exec *rx,
			      enum run_stop why);
int   engine_recover_orphans(struct engine *eng, struct store *s, struct err *e);
/* A worker registered from this host whose process no longer exists. */
bool  engine_worker_process_gone(const struct store_worker *w);
/* The id prefix of the foreground `sluice run`'s engine. */
#define FOREGROUND_PREFIX "foreground:"
/* Flow of a store run and whether its retry policy allows another attempt. */
bool  engine_run_may_retry(const struct project *p, const struct store_run *r,
		    const char *failed_step);

/* sched.c */
struct sched *engine_sched_new(void);
void  engine_sched_free(struct sched *sc);
void *engine_scheduler_main(void *arg);
/* Queue the late_run notification of run `r`, which the caller has just
 * moved SCHEDULED -> LATE. */
void  engine_notify_late(struct engine *eng, struct store *s, const struct store_run *r);
/* A flow run triggered by a task finished (called by the scheduler). */
void  engine_sched_task_sql_done(struct engine *eng, const char *task, bool ok);
/* A pipe refresh job finished (the pipe may be queued again). */
void  engine_sched_pipe_done(struct engine *eng, const char *pipe);

/* retention.c: a pass of pruning, taken a budget of batches at a time. */
struct prune_pass {
	struct store_retention r;
	usec_t load_age;              /* load history; 0 = keep */
	bool dry_run, active, store_done;
	int stage;                    /* store_prune_some's */
	size_t pipe;                  /* the pipe whose history is next */
	bool pipe_begun;
	struct pipe_prune pp;
	struct store_prune_stats stats;
};
void  engine_prune_pass_start(struct prune_pass *pp, const struct project *p, bool dry_run);
/* 1 more to do, 0 done, -1 a store error (the pass is over). */
int   engine_prune_pass_step(struct prune_pass *pp, const struct project *p, struct store *s,
		      struct lake *lake, int *budget, struct err *e);
void  engine_prune_pass_end(struct prune_pass *pp);
/* On every tick of the scheduler-lease holder. */
void  engine_retention_tick(struct engine *eng, struct prune_pass *pp, struct store *s,
		     usec_t *next_due, usec_t now);

/* events.c */
int   engine_events_init(struct event_queue *q, struct err *e);
void  engine_events_destroy(struct event_queue *q);
void  engine_events_push(struct engine *eng, const struct engine_event *ev);
void  engine_event_run(struct engine *eng, int64_t run_id, const char *flow,
		enum run_state st, const char *text);
void  engine_event_step(struct engine *eng, int64_t run_id, const char *step,
		 enum step_state st, const char *text);
void  engine_event_simple(struct engine *eng, enum engine_event_kind kind,
		   const char *object, int state, int64_t run_id, const char *text);
void  engine_events_log_sink(const struct log_record *rec, void *arg);

/* ---- store events (listen.c) ----------------------------------------------- */
/* While store events arrive, idle threads look at the store only this
 * often, as a last net: events say what changed, and every heartbeat's
 * looks (store_worker_beat) catch what no event announces (a retry or a
 * notification falling due) or what was missed in a reconnect race, and
 * wake the thread concerned (engine_beat_apply). */
#define ENGINE_SAFETY_POLL (5 * 60 * USEC_PER_SEC)
/* Starts the thread that listens for store events (listen.c). */
int   engine_listener_start(struct engine *eng, struct err *e);
void *engine_listener_main(void *arg);
/* How long an idle thread waits for work: `fast` while no events arrive,
 * else the safety poll. */
usec_t engine_idle_wait(struct engine *eng, usec_t fast);
/* Of `areas`, those events named since the last take (and forget them). */
unsigned engine_events_take(struct engine *eng, unsigned areas);
/* As if the store had announced a change to `areas`: wakes the threads
 * that act on them. */
void  engine_events_raise(struct engine *eng, unsigned areas);

#endif

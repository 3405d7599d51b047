/*
 * store.h - the control store: everything sluice remembers about its own
 * work (runs and their transitions, step runs, task history, pipe load
 * history, watermarks, logs, object states, workers, the step cache,
 * schema changes, notifications, validation results, backfills and
 * operator requests).
 *
 * It is built on db/ (db.h): the same connection layer as data
 * connections, one body of portable SQL with $N placeholders, and a small
 * per-dialect table for identity columns, claiming and locking.  Backends:
 * SQLite (default: "sqlite:PROJECT/.sluice/control.db", WAL, busy timeout;
 * the directory is created when missing) and PostgreSQL (for a team).
 * The control store wants a database of its own.
 *
 * Schema: versioned, forward-only migrations, each in one transaction.
 * Opening an older store migrates it in place; a store written by a newer
 * sluice is refused with ERR_VERSION; read-only opens never migrate.
 *
 * Times are microseconds since the epoch, UTC (usec_t), taken from
 * clock_now_us(), so tests move time with clock_set_source().  0 means
 * "not set" for every time field.  Ids are positive int64; 0 means none.
 *
 * Losing the server: see "losing the server" below; a PostgreSQL handle
 * reconnects by itself.
 *
 * Threads: a struct store is one database connection and belongs to one
 * thread at a time.  Other threads open their own (store_open again with
 * the same URL); SQLite in WAL mode lets them read while one writes, and
 * writers wait up to the busy timeout.  The log sink (below) is the one
 * object that may be used from any thread.
 *
 * Errors: every fallible call fills a struct err (NULL allowed) and
 * returns -1 or NULL.  Codes: ERR_NOTFOUND (no such run, ...), ERR_CONFLICT
 * (a state forbids it: illegal transition, an active backfill, a
 * watermark planned by another live run), ERR_READONLY (any write on a
 * read-only store), ERR_VERSION (a store from a newer sluice), ERR_INVALID
 * (bad argument), ERR_DB (the database said no; the message says which
 * control store and what it was doing).  Lookups that may find nothing
 * return 1 found, 0 absent, -1 error.
 *
 * Ownership: every struct returned is owned by the caller and freed with
 * the matching *_free; list functions fill a caller's struct vec (which
 * must be empty or initialised with VEC_INIT) with pointers to owned
 * structs, freed with the matching *_list_free, which also empties the
 * vec.  All strings inside a returned struct belong to that struct.
 * Input strings are copied; NULL is accepted wherever "none" makes sense.
 */
#ifndef SLUICE_STORE_H
#define SLUICE_STORE_H

#include "core/core.h"

struct store;
struct store_link;

/* ---- opening -------------------------------------------------------------- */
struct store_options {
	bool read_only;          /* monitor mode: read-only at the server/SQLite */
	const char *password;    /* PostgreSQL password (from password_env); never logged */
	int busy_timeout_ms;     /* SQLite: wait for a writer; 0 = 5000 */
	struct store_link *link; /* shared by handles that report a lost server
				    together (below); NULL = the handle's own */
};

/* Open (and create and migrate, unless read-only) the store at `url`, a
 * db.h URL: "sqlite:PATH" (PATH resolved by the caller; its directory is
 * created) or a PostgreSQL URI / conninfo.  Read-only: the database must
 * exist and be at this binary's schema version, else ERR_NOTFOUND or
 * ERR_VERSION with a message that says what to do. */
struct store *store_open(const char *url, const struct store_options *opt,
			 struct err *e);
void  store_close(struct store *s);
/* Several reads in one transaction: one snapshot, and one transaction
 * for the server to count instead of one per statement (a console's
 * refresh, crash recovery's look).  Only reads between them; an error
 * inside is returned by the read that failed, and store_read_end ends the
 * transaction whatever happened. */
int   store_read_begin(struct store *s, struct err *e);
void  store_read_end(struct store *s);
bool  store_is_read_only(const struct store *s);
/* A read-only SQLite store read as an immutable snapshot, because its -shm
 * file is missing and this user may not create it (db_is_snapshot): it
 * shows what the file held when opened.  store_changed opens it again
 * when the file changes, normally once a writer has left a -shm there. */
bool  store_is_snapshot(const struct store *s);
/* The URL with any password hidden, for headers and messages. */
const char *store_url(const struct store *s);
/* "sqlite" or "postgresql". */
const char *store_backend(const struct store *s);

/* ---- identity ---------------------------------------------------------------
 * Every control store has an id, a random UUID made with the store
 * (migration 6 gave stores older than identities one).  Everything sluice
 * writes into a data database to make its work exactly-once (ledger
 * entries, stream offsets and windows) names the store that owns it, so
 * that a run never takes another store's record as its own: a new
 * .sluice/, a switched control store or a second project writing to the
 * same warehouse each have their own.
 *
 * A store older than identities (`legacy`) wrote records without an id.
 * It may adopt such records as its own where nothing says they are
 * someone else's (the rules are in doc/architecture.md, "Exactly once");
 * a store made with an id never wrote one, so none is its own. */
struct store_identity {
	char   *id;               /* NULL only below schema version 5 */
	usec_t  created;          /* when the id was made */
	bool    legacy;           /* the store held work before it had an id */
	int64_t legacy_runs_upto; /* its runs up to this id began without one */
};
const struct store_identity *store_identity(const struct store *s);
/* Shorthand for store_identity(s)->id. */
const char *store_id(const struct store *s);
/* ---- losing the server -----------------------------------------------------
 * A PostgreSQL server restarts, fails over, or the network drops.  Before
 * each statement that does not continue a transaction, a handle checks its
 * connection (db_alive: a server going away closes the socket, which is
 * read without waiting) and, when it died, connects again; so the next
 * statement after a restart just works.  A statement that was running when
 * the connection broke fails, its message starting "control store URL:
 * connection lost:", and so does a later statement of the same
 * transaction (it was rolled back with the connection); callers roll back
 * as on any error, and the next transaction reconnects.
 *
 * While the server cannot be reached, statements fail at once with
 * "control store URL is unreachable: WHY", and one handle of a link at a
 * time tries to connect again, after 0.25 s, then doubling up to every
 * 2 s.  Handles sharing a link (an engine's threads; struct store_options)
 * report together: one warning when the store is lost, one note when it is
 * back, however many handles found out.  SQLite stores are files: none of
 * this applies to them. */
struct store_link *store_link_new(void);
void  store_link_free(struct store_link *l);        /* after its handles */
/* The link a handle reports to (its own when opened without one). */
struct store_link *store_link_of(struct store *s);
/* How long the store has been unreachable (monotonic), 0 when it is not
 * known to be; and when (monotonic) it was last found again after being
 * lost, 0 never. */
usec_t store_link_down_for(struct store_link *l);
usec_t store_link_back_at(struct store_link *l);
/* Whether this handle's last failure was that the store could not be
 * reached (connection lost, or unreachable): worth trying again later. */
bool  store_lost(const struct store *s);

/* The newest schema version this binary knows. */
int   store_schema_latest(void);
/* The version of the open store (== store_schema_latest() once open). */
int   store_schema_version(struct store *s, int *version, struct err *e);
/* Create or migrate the store at `url` up to `version` (0 = latest) and
 * close it.  For tests of migration and for upgrade tooling; refuses to
 * go backwards (ERR_VERSION). */
int   store_migrate(const char *url, const struct store_options *opt,
		    int version, struct err *e);

/* ---- change detection ------------------------------------------------------
 * Every write bumps a counter per area in the same transaction, so a
 * reader in another process learns cheaply that something changed and
 * which views to refresh.  On SQLite the probe first asks PRAGMA
 * data_version (no I/O when nothing was committed) and only then reads
 * the counters; on PostgreSQL it is one indexed read of a dozen rows. */
enum store_area {
	STORE_AREA_RUNS,          /* runs, step runs, transitions, validation */
	STORE_AREA_TASKS,         /* task history */
	STORE_AREA_PIPES,         /* load history */
	STORE_AREA_WATERMARKS,    /* watermarks and the stream offset mirror */
	STORE_AREA_LOGS,
	STORE_AREA_OBJECTS,       /* object states, flow limits, leases */
	STORE_AREA_WORKERS,       /* workers and heartbeats */
	STORE_AREA_CACHE,
	STORE_AREA_SCHEMA,        /* schema changes */
	STORE_AREA_NOTIFY,        /* notification queue */
	STORE_AREA_BACKFILLS,
	STORE_AREA_REQUESTS,
	STORE_AREA_COUNT
};
#define STORE_AREA_BIT(a) (1u << (a))

struct store_watch {             /* opaque to callers; store_watch_init */
	int64_t seen[STORE_AREA_COUNT];
	int64_t data_version;     /* SQLite; -1 before the first probe */
	int64_t own_commits;      /* this connection's commits seen */
	bool primed;
};
void  store_watch_init(struct store_watch *w);

/* ---- events (listen.c) ------------------------------------------------------
 * On PostgreSQL every write transaction also sends a notification on this
 * channel (pg_notify, delivered at its commit) whose payload is the
 * bitmask of its areas.  A listener is a connection of its own that
 * LISTENs on it: poll its fd, then read the areas that changed.  While a
 * listener's connection is down notifications are lost: after opening a
 * new one, look at everything once. */
#define STORE_EVENTS_CHANNEL "sluice_store"
/* On SQLite, an engine serves a Unix socket beside the store file
 * (PATH-events.sock, mode 0600; evsock.c): every writer pokes it after a
 * commit and it passes that on to subscribers, without areas (all).  A
 * listener on SQLite is such a subscriber: NULL (ERR_NOTFOUND) while no
 * engine serves it. */
struct store_listener;
/* NULL with ERR_INVALID on a store that cannot send events. */
struct store_listener *store_listener_open(const char *url, const struct store_options *opt,
					   struct err *e);
int   store_listener_fd(const struct store_listener *l);
/* Reads what arrived without waiting: *areas gets the areas changed since
 * the last read (0: none).  -1 when the connection is lost. */
int   store_listener_read(struct store_listener *l, unsigned *areas, struct err *e);
void  store_listener_close(struct store_listener *l);

/* Serve the event socket of a "sqlite:PATH" store: NULL with ERR_CONFLICT
 * when another process serves it (subscribe to that one instead). */
struct store_event_server;
struct store_event_server *store_event_serve(const char *url, struct err *e);
/* Wait up to timeout_ms for clients; *poked when one committed something
 * (its subscribers have been told).  -1 on a failed poll. */
int   store_event_server_wait(struct store_event_server *srv, int timeout_ms, bool *poked);
void  store_event_server_close(struct store_event_server *srv);
/* Sets *changed to the bitmask of areas changed since the last call with
 * this watch (all areas on the first call) and remembers the new state.
 * A watch belongs to one struct store (it counts that connection's own
 * commits, which SQLite's data_version does not show). */
int   store_changed(struct store *s, struct store_watch *w, unsigned *changed,
		    struct err *e);

/* ---- runs ------------------------------------------------------------------ */
enum run_state {
	RUN_SCHEDULED,    /* waits for its scheduled time */
	RUN_LATE,         /* its time passed and nothing took it yet */
	RUN_PENDING,      /* ready for a worker */
	RUN_RUNNING,
	RUN_RETRYING,     /* failed; waits for next_retry, then runs again */
	RUN_COMPLETED,
	RUN_CACHED,       /* every step answered from the cache */
	RUN_FAILED,
	RUN_CANCELLING,   /* asked to stop; its worker is winding down */
	RUN_CANCELLED,
	RUN_CRASHED,      /* its worker died (heartbeat lost) */
	RUN_STATE_COUNT
};
#define RUN_STATE_BIT(st) (1u << (st))

const char *run_state_name(enum run_state st);          /* "RUNNING" */
bool  run_state_parse(const char *s, enum run_state *out); /* case-insensitive */
bool  run_state_is_terminal(enum run_state st);
/* The table store_run_transition enforces:
 *   SCHEDULED  -> LATE PENDING RUNNING CANCELLED
 *   LATE       -> PENDING RUNNING CANCELLED
 *   PENDING    -> RUNNING CANCELLED FAILED
 *   RUNNING    -> COMPLETED CACHED FAILED RETRYING CANCELLING CANCELLED CRASHED
 *                 PENDING
 *   RETRYING   -> PENDING RUNNING FAILED CANCELLED
 *   CANCELLING -> CANCELLED COMPLETED FAILED CRASHED
 *   CRASHED    -> RETRYING
 *   other terminal states -> nothing (a retry of a finished run is a new
 *                 run whose parent_run points at it).
 * PENDING -> FAILED: a bad parameter fails the run before anything runs.
 * RUNNING -> PENDING: a draining worker (SIGTERM, SIGHUP, a console closing)
 * hands back a run it did not finish.  Stopping is not the run's failure:
 * PENDING -> RUNNING keeps the attempt, where RETRYING -> RUNNING counts one.
 * CRASHED -> RETRYING: crash recovery marks a run whose worker died
 * CRASHED (so its history always shows the crash) and, when its retries
 * allow, retries the SAME run in place, so its ledger entries
 * "store:STORE:run:ID:step:NAME" and planned extract windows stay valid
 * and no row is appended twice.  CRASHED counts as terminal (ended is set) until then. */
bool  run_transition_allowed(enum run_state from, enum run_state to);

enum run_trigger {
	TRIGGER_MANUAL,        /* the console */
	TRIGGER_TASK,          /* trigger_detail: the task name */
	TRIGGER_BACKFILL,      /* trigger_detail: the backfill id */
	TRIGGER_RETRY,         /* parent_run: the run retried */
	TRIGGER_COMMAND_LINE,
	TRIGGER_SCHEDULE,
	RUN_TRIGGER_COUNT
};
const char *run_trigger_name(enum run_trigger t);        /* "manual" */
bool  run_trigger_parse(const char *s, enum run_trigger *out);

struct store_run {
	int64_t id;
	char   *flow;
	char   *params;          /* JSON object text; "{}" when none */
	enum run_state state;
	char   *reason;          /* reason given with the last transition */
	enum run_trigger trigger;
	char   *trigger_detail;  /* task name, backfill id; NULL */
	int     attempt;         /* 1 for the first; +1 at each RETRYING -> RUNNING */
	int     max_attempts;    /* 1 + retries */
	char   *environment;     /* NULL when none */
	char   *worker;          /* the worker that claimed it; NULL */
	usec_t  created, scheduled, started, ended, next_retry, updated;
	char   *error;           /* first line of the last error; NULL */
	char   *error_detail;    /* the full text */
	int64_t rows_in, rows_out;
	int64_t rows_deleted;    /* by its loads' partition replacements; -1 not
				    recorded (a run of a store older than version 14) */
	int64_t parent_run;      /* 0 unless a retry of another run */
	char   *pool;            /* only workers serving it take the run; NULL */
	usec_t  late_at;         /* SCHEDULED: LATE if not started by then; 0 never */
	char   *partition;       /* a partitioned flow's period ("2026-03-01"); NULL */
	bool    late_at_claim;   /* set by the claim that returned it when that claim
				    itself moved it SCHEDULED -> LATE (no engine had
				    marked it), so its claimant says it was late */
};

/* What store_run_create needs; unset fields take the defaults shown. */
struct store_run_spec {
	const char *flow;              /* required */
	const char *params;            /* JSON text; NULL = "{}" */
	enum run_state state;          /* RUN_PENDING or RUN_SCHEDULED (0 = SCHEDULED!) */
	enum run_trigger trigger;
	const char *trigger_detail;
	int max_attempts;              /* 0 = 1 */
	const char *environment;
	usec_t scheduled;              /* 0 = now */
	int64_t parent_run;
	const char *reason;            /* for the first transition; NULL = "created" */
	const char *worker;            /* PENDING: kept for this worker alone (the
					  foreground `sluice run`); NULL = any */
	const char *pool;              /* NULL = runs on workers with no pool */
	usec_t late_after;             /* SCHEDULED: LATE when not started this
					  long after `scheduled`; 0 = never */
	const char *partition;         /* NULL = not a partitioned run */
};

/* Insert a run and its first transition (from nothing) in one
 * transaction.  ERR_INVALID for a missing flow or a state other than
 * SCHEDULED or PENDING. */
int   store_run_create(struct store *s, const struct store_run_spec *spec,
		       int64_t *id, struct err *e);
/* ERR_NOTFOUND when there is no such run. */
struct store_run *store_run_get(struct store *s, int64_t id, struct err *e);
void  store_run_free(struct store_run *r);
void  store_run_list_free(struct vec *runs);

/* Move a run to `to`, checking the move against the table above inside
 * the transaction that makes it (ERR_CONFLICT "run 12: cannot go from
 * COMPLETED to RUNNING"), and record the transition (time, from, to,
 * reason) in the same transaction.  `error` (may be NULL) becomes the
 * run's error (first line and full text).  Side effects: RUNNING sets
 * started (first time) and, from RETRYING, attempt + 1; a terminal state
 * sets ended; RETRYING sets next_retry to now (see store_run_retry_at). */
int   store_run_transition(struct store *s, int64_t run_id, enum run_state to,
			   const char *reason, const char *error, struct err *e);
/* RUNNING -> RETRYING, due again at `when` (the engine's retry delay). */
int   store_run_retry_at(struct store *s, int64_t run_id, usec_t when,
			 const char *reason, const char *error, struct err *e);
/* Give a run no worker has taken yet (RETRYING, SCHEDULED, or PENDING not
 * reserved for a worker) to the workers of `pool` (NULL: those with none).
 * *moved is 1 when it was such a run, 0 when it was taken or ended. */
int   store_run_repool(struct store *s, int64_t run_id, const char *pool, int *moved,
		       struct err *e);
/* Rows read and written so far (totals, not increments). */
int   store_run_set_rows(struct store *s, int64_t run_id, int64_t rows_in,
			 int64_t rows_out, struct err *e);
/* Rows its loads deleted replacing its partition so far (a total). */
int   store_run_set_deleted(struct store *s, int64_t run_id, int64_t rows_deleted,
			    struct err *e);
/* The state to show for `r` at `now`: LATE for a SCHEDULED run past its
 * late_at that no engine has marked yet (none was running), else its
 * state.  What an operator reads; the store's state is moved to LATE by
 * the engine's scheduler, or on the way to RUNNING when it is claimed. */
enum run_state store_run_shown_state(const struct store_run *r, usec_t now);
/* SCHEDULED runs past their late_at (oldest first, at most `limit`), to be
 * moved to LATE; and *next, the earliest late_at still to come among
 * SCHEDULED runs (0 none), so the scheduler sleeps until then. */
int   store_runs_overdue(struct store *s, usec_t now, int limit, struct vec *out,
			 usec_t *next, struct err *e);

struct store_transition {
	int64_t id;
	int64_t run_id;
	usec_t  at;
	bool    has_from;        /* false for the creating transition */
	enum run_state from, to;
	char   *reason;          /* NULL when none was given */
	char   *worker;          /* who made it, when known */
};
/* Oldest first. */
int   store_run_transitions(struct store *s, int64_t run_id, struct vec *out,
			    struct err *e);
void  store_transition_list_free(struct vec *v);

enum store_run_sort {
	RUN_SORT_NEWEST,         /* id descending (default) */
	RUN_SORT_OLDEST,
	RUN_SORT_STARTED,        /* most recently started first */
	RUN_SORT_UPDATED,        /* most recently changed first */
};

struct store_run_filter {
	const char *flow;        /* NULL = every flow */
	unsigned states;         /* RUN_STATE_BIT mask; 0 = every state */
	usec_t since;            /* created at or after; 0 = any time */
	int64_t parent_run;      /* 0 = any */
	const char *partition;   /* NULL = any */
	enum store_run_sort sort;
	int limit;               /* 0 = 100; at most 10000 */
	int offset;
};
int   store_run_list(struct store *s, const struct store_run_filter *f,
		     struct vec *out, struct err *e);
/* Rows that match `f`, ignoring limit and offset. */
int   store_run_count(struct store *s, const struct store_run_filter *f,
		      int64_t *count, struct err *e);
/* counts[state] for runs of `flow` (NULL = all) created since `since`
 * (0 = ever).  One indexed GROUP BY: cheap at 100,000 runs. */
int   store_run_counts(struct store *s, const char *flow, usec_t since,
		       int64_t counts[RUN_STATE_COUNT], struct err *e);

/* ---- claiming ----------------------------------------------------------------
 * A run is due when PENDING, RETRYING with next_retry <= now, or SCHEDULED
 * or LATE with scheduled <= now.  Claiming moves the oldest due run whose
 * flow is below its concurrency limit to RUNNING, owned by `worker`, and
 * records the transition (a SCHEDULED run claimed after its late_at goes
 * through LATE on the way, both recorded, so its history says it was
 * late).  Two claimers never get the same run:
 * PostgreSQL selects with FOR UPDATE SKIP LOCKED and serialises the limit
 * check per flow with a transaction-level advisory lock; SQLite claims
 * inside BEGIN IMMEDIATE.
 *
 * Concurrency limits live in the store (the engine writes every flow's
 * limit at start-up, so every worker on every host sees the same): a
 * flow without a row is limited to 1 run at a time (the project default),
 * and a limit of 0 means unlimited.  RUNNING, CANCELLING and RETRYING runs
 * count: a run waiting for its retry keeps its slot, since its next
 * attempt goes on from what the earlier ones left in the flow's shared
 * staging tables.  A due RETRYING run waits only for RUNNING and
 * CANCELLING ones.  A PENDING run that names a worker is kept for that
 * worker (the foreground `sluice run`) and no other claims it. */
int   store_flow_limit_set(struct store *s, const char *flow, int limit,
			   struct err *e);
/* 1 and *limit set, 0 if not stored (the default 1 applies), -1 error. */
int   store_flow_limit_get(struct store *s, const char *flow, int *limit,
			   struct err *e);
/* 1 and *out set (caller frees), 0 when nothing is due, -1 error.
 * `flow` restricts the claim to one flow when non-NULL. */
int   store_run_claim(struct store *s, const char *worker, const char *flow,
		      struct store_run **out, struct err *e);
/* The same for a worker serving `pools` (npools names; none: it takes only
 * runs without a pool, as store_run_claim does).  A worker with pools
 * takes only runs of those pools. */
int   store_run_claim_pools(struct store *s, const char *worker, const char *flow,
			    const char *const *pools, size_t npools,
			    struct store_run **out, struct err *e);
/* When the earliest RETRYING, SCHEDULED or LATE run of these pools (none:
 * runs without a pool) falls due: 1 and *at set, 0 when none waits, -1
 * error.  An engine that wakes on events sleeps until then at the most,
 * since nothing announces a retry's time coming. */
int   store_run_next_due(struct store *s, const char *const *pools, size_t npools,
			 usec_t *at, struct err *e);
/* Claim one particular run now, due or not (the operator's "run it
 * now"): it must be SCHEDULED, LATE, PENDING or RETRYING (ERR_CONFLICT
 * otherwise; ERR_NOTFOUND without it); the concurrency limit is not
 * checked.  0 with *out set (caller frees), -1 error. */
int   store_run_claim_id(struct store *s, int64_t run_id, const char *worker,
			 struct store_run **out, struct err *e);

/* ---- step runs ----------------------------------------------------------- */
enum step_state {
	STEP_PENDING, STEP_RUNNING, STEP_COMPLETED, STEP_CACHED, STEP_FAILED,
	STEP_SKIPPED, STEP_CANCELLED, STEP_STATE_COUNT
};
const char *step_state_name(enum step_state st);
bool  step_state_parse(const char *s, enum step_state *out);

/* One row per (run, step); the attempt field tells which try it is. */
struct store_step {
	int64_t id;              /* ignored by store_step_put */
	int64_t run_id;
	char   *step;
	enum step_state state;
	int     attempt;
	usec_t  started, ended;
	int64_t rows_in, rows_out;
	char   *error;           /* first line */
	char   *error_detail;
	bool    cached;
	char   *cache_key;
	char   *detail;          /* what it waits for now, while RUNNING; NULL */
};
/* Insert or replace the row for (run_id, step); ERR_NOTFOUND without the
 * run.  `error_detail` NULL with `error` set stores error as both. */
int   store_step_put(struct store *s, const struct store_step *st, struct err *e);
/* Set (NULL: clear) the detail of a step that is RUNNING; nothing when
 * the step has moved on meanwhile (its own record wins). */
int   store_step_set_detail(struct store *s, int64_t run_id, const char *step,
			    const char *detail, struct err *e);
/* 1 found, 0 absent, -1 error. */
int   store_step_get(struct store *s, int64_t run_id, const char *step,
		     struct store_step **out, struct err *e);
/* In the order the steps started (unstarted last, by name). */
int   store_step_list(struct store *s, int64_t run_id, struct vec *out,
		      struct err *e);
void  store_step_free(struct store_step *st);
void  store_step_list_free(struct vec *v);

/* ---- task history ------------------------------------------------------------ */
enum task_state {
	TASK_SCHEDULED, TASK_EXECUTING, TASK_SUCCEEDED, TASK_FAILED,
	TASK_SKIPPED, TASK_CANCELLED,
	TASK_MISSED,      /* a tick that passed while no scheduler ran, not fired
			     (the task's catchup); `error` says why */
	TASK_STATE_COUNT
};
const char *task_state_name(enum task_state st);
bool  task_state_parse(const char *s, enum task_state *out);

struct store_task_entry {
	int64_t id;
	char   *task;
	usec_t  scheduled, started, completed;
	enum task_state state;
	char   *condition;       /* "stream_rows(orders_stream) = 812 > 500: true" */
	char   *error;
	int64_t run_id;
};
/* Insert; *id set when non-NULL.  `task` required. */
int   store_task_add(struct store *s, const struct store_task_entry *t,
		     int64_t *id, struct err *e);
/* Replace every field of row t->id (ERR_NOTFOUND when absent). */
int   store_task_update(struct store *s, const struct store_task_entry *t,
			struct err *e);
/* Newest first. */
int   store_task_list(struct store *s, const char *task, int limit, int offset,
		      struct vec *out, struct err *e);
/* The newest entry in a final state (SUCCEEDED, FAILED, SKIPPED,
 * CANCELLED, MISSED): 1, 0 none, -1 error. */
int   store_task_last(struct store *s, const char *task,
		      struct store_task_entry **out, struct err *e);
/* FAILED entries after the last SUCCEEDED one and completed at or after `since`
 * (pass the time the task was last resumed, so resuming starts afresh;
 * 0 = ever).  SKIPPED and CANCELLED neither count nor reset. */
int   store_task_failures(struct store *s, const char *task, usec_t since,
			  int *count, struct err *e);
void  store_task_free(struct store_task_entry *t);
void  store_task_list_free(struct vec *v);

/* ---- load history (pipes) -------------------------------------------------------
 * One row per load attempt of a file; lookups answer with the newest.
 *
 * One attempt, one row: `attempt` names what the row records, and a second
 * row with the same (pipe, file, attempt) is not added.  A committed load
 * is "gen:N", N the load generation its ledger entry carries (1, and one
 * more for every forced reload), so two processes that both record the
 * same commit (one loaded it, the other found it in the ledger) leave one
 * row; an unforced failed attempt is "after:ID", the newest row it was
 * decided on (0 for none), so refreshes that raced to the same bad file
 * leave one row too.  A forced failed attempt has none (NULL): it is its
 * own record. */
enum load_status { LOAD_LOADED, LOAD_FAILED, LOAD_PARTIALLY_LOADED, LOAD_STATUS_COUNT };
const char *load_status_name(enum load_status st);      /* "LOAD_FAILED" */
bool  load_status_parse(const char *s, enum load_status *out);

struct store_load {
	int64_t id;
	char   *pipe;
	char   *file_key;
	int64_t size;
	char   *checksum;         /* hex SHA-256 */
	int64_t rows_parsed, rows_loaded, error_count;
	char   *first_error;      /* message; NULL when none */
	int64_t first_error_line, first_error_column;   /* 0 = unknown */
	char   *first_error_column_name;
	enum load_status status;
	usec_t  loaded;
	int64_t run_id;
	char   *attempt;          /* "gen:N", "after:ID" or NULL (see above) */
	usec_t  mtime;            /* the file's modification time in the lake
				     listing it was loaded from; 0 unknown */
	/* How the file was found when looked at again after this attempt
	 * (its size or time had changed): seen_checksum NULL when never. */
	int64_t seen_size;
	usec_t  seen_mtime;
	char   *seen_checksum;
	usec_t  seen_at;
	/* NULL: this store loaded it.  Else the file's rows were committed by
	 * another control store (its id), or by a sluice older than store ids
	 * ("unknown"), and this store adopted the fact from the ledger. */
	char   *loaded_by;
};
/* Add an attempt; *id (may be NULL) is its id, or 0 when the attempt was
 * on record already (nothing added). */
int   store_load_add(struct store *s, const struct store_load *l, int64_t *id,
		     struct err *e);
/* Newest attempt for (pipe, key): 1, 0 never seen, -1 error. */
int   store_load_get(struct store *s, const char *pipe, const char *file_key,
		     struct store_load **out, struct err *e);
/* Newest first; status_mask (1u << load_status) 0 = all. */
int   store_load_list(struct store *s, const char *pipe, unsigned status_mask,
		      int limit, int offset, struct vec *out, struct err *e);
/* counts[status] over all attempts of the pipe. */
int   store_load_counts(struct store *s, const char *pipe,
			int64_t counts[LOAD_STATUS_COUNT], struct err *e);
/* Remember how attempt `id`'s file was found when looked at again.
 * *news (may be NULL): this call is the first to record that checksum for
 * it (of two processes looking at once, one is). */
int   store_load_seen(struct store *s, int64_t id, int64_t size, usec_t mtime,
		      const char *checksum, bool *news, struct err *e);
/* Files of the pipe loaded (LOADED or PARTIALLY_LOADED, their newest
 * attempt) whose content has changed in the lake since: seen_checksum
 * differs from checksum.  Newest first, at most `limit`. */
int   store_load_changed(struct store *s, const char *pipe, int limit, struct vec *out,
			 struct err *e);
void  store_load_free(struct store_load *l);
void  store_load_list_free(struct vec *v);

/* ---- watermarks --------------------------------------------------------------
 * Per (flow, step, table): the committed value (canonical text of the
 * watermark column) and at most one pending window (start, end] planned
 * by a run before it extracts.  A retried or recovered run asks again and
 * gets the same window, so it re-extracts exactly the same rows. */
struct store_watermark {
	char   *flow, *step, *table;
	char   *committed;        /* NULL: nothing extracted yet */
	usec_t  committed_at;
	int64_t committed_run;
	bool    pending;
	char   *pending_start;    /* == committed at planning time; may be NULL */
	char   *pending_end;
	int64_t pending_run;
	usec_t  planned_at;
};
/* 1 found, 0 none, -1 error. */
int   store_wm_get(struct store *s, const char *flow, const char *step,
		   const char *table, struct store_watermark **out, struct err *e);
/* Plan the window (committed, end] for `run_id` and return it in *out
 * (caller frees).  If this run already planned one, that window is
 * returned unchanged and `start` and `end` are ignored.  `start` is the
 * committed value the caller found `end` above (NULL: none); if the
 * watermark has moved since, ERR_CONFLICT.  A window planned by another
 * run that has not finished is ERR_CONFLICT; one left by a finished or
 * missing run is replaced. */
int   store_wm_plan(struct store *s, const char *flow, const char *step,
		    const char *table, int64_t run_id, const char *start,
		    const char *end, struct store_watermark **out, struct err *e);
/* Pending -> committed for the one window `run_id` planned for this
 * table (its rows are durable: an extract's lake file); ERR_CONFLICT if
 * that run has no window planned there. */
int   store_wm_commit(struct store *s, const char *flow, const char *step,
		      const char *table, int64_t run_id, struct err *e);
/* Pending -> committed for every window `run_id` planned, in one
 * transaction; *n (may be NULL) = windows committed. */
int   store_wm_commit_run(struct store *s, int64_t run_id, int *n, struct err *e);
/* Drop the pending windows of `run_id` (the run was abandoned).  The
 * window stays on record (pending_start, pending_end, pending_run,
 * planned_at with pending false) for store_wm_adopt. */
int   store_wm_clear_run(struct store *s, int64_t run_id, int *n, struct err *e);
/* Commit the window a run that has ended left behind (cleared, or still
 * pending), if it starts at the committed value: the caller found that
 * window's result durable (an extract's lake file written before its
 * commit was lost).  1 committed, 0 no such window, -1 error. */
int   store_wm_adopt(struct store *s, const char *flow, const char *step,
		     const char *table, struct err *e);
/* Set the committed value directly (operator reset, backfill); clears any
 * pending window.  `value` NULL = start from the beginning. */
int   store_wm_set(struct store *s, const char *flow, const char *step,
		   const char *table, const char *value, struct err *e);
/* By flow, step, table; `flow` NULL = all. */
int   store_wm_list(struct store *s, const char *flow, struct vec *out,
		    struct err *e);
void  store_wm_free(struct store_watermark *w);
void  store_wm_list_free(struct vec *v);

/* ---- stream offset mirror -----------------------------------------------------
 * For display only: the truth is _sluice_stream_offsets in the stream's
 * own database. */
struct store_stream_offset {
	char   *stream;
	char   *offset;          /* canonical text; NULL = start */
	int64_t pending_rows;    /* -1 = unknown */
	usec_t  updated;
};
int   store_stream_mirror(struct store *s, const char *stream, const char *offset,
			  int64_t pending_rows, struct err *e);
int   store_stream_list(struct store *s, struct vec *out, struct err *e);
void  store_stream_list_free(struct vec *v);

/* ---- logs --------------------------------------------------------------------- */
struct store_log {
	int64_t id;
	usec_t  time;
	enum log_level level;
	int64_t run_id;           /* 0 = none */
	char   *step, *object;    /* NULL = none */
	char   *message;
	char   *fields;           /* JSON object text {"k":"v",...}; NULL = none */
};

/* Append one record (already masked by core's log_emit); *id when non-NULL. */
int   store_log_append(struct store *s, const struct log_record *rec,
		       int64_t *id, struct err *e);

/* A window of records.  Paging is by id, never by offset, so it stays
 * cheap over millions of records:
 *   after_id  > 0: the `limit` records just after it (tailing, next page);
 *   before_id > 0: the `limit` records just before it (previous page);
 *   neither:       the newest `limit` records (the oldest with from_oldest).
 * The result is always in ascending id order.  Filters combine (AND);
 * `search` is a case-insensitive (ASCII) substring of the message. */
struct store_log_filter {
	int64_t run_id;           /* 0 = any */
	const char *step;         /* NULL = any */
	const char *object;       /* NULL = any; exact */
	enum log_level min_level; /* LOG_DEBUG = all */
	const char *search;       /* NULL or "" = none */
	int64_t before_id, after_id;
	bool from_oldest;         /* no bounds: the oldest page, not the newest */
	int limit;                /* 0 = 200; at most 10000 */
};
int   store_log_query(struct store *s, const struct store_log_filter *f,
		      struct vec *out, struct err *e);
/* Highest log id, 0 when empty (where a "follow" starts). */
int   store_log_last_id(struct store *s, int64_t *id, struct err *e);
void  store_log_list_free(struct vec *v);

/* The persistent log sink for core's log_add_sink.
 *
 * Threading model: core calls sinks from any thread while holding its
 * global log lock, so the sink must never touch the database there (that
 * would stall every logging thread on I/O, and deadlock against a thread
 * that holds the SQLite write lock and then logs).  The sink function only
 * copies the record into a bounded in-memory queue; a writer thread owned
 * by the sink, with its own connection, drains the queue in batches of up
 * to 500 records per transaction.  When the queue is full (10,000
 * records) new records are dropped and counted, and the writer records a
 * WARN saying how many were lost once it catches up.  Records the writer
 * thread itself emits (for example a failing write) are not queued, so
 * the sink can never feed itself; a write failure is kept for
 * store_log_sink_error.
 *
 * Use:  ls = store_log_sink_open(url, &opt, &e);
 *       id = log_add_sink(LOG_INFO, store_log_sink_fn(), ls);
 *       ...
 *       log_remove_sink(id); store_log_sink_close(ls);
 * A read-only store cannot have a sink (ERR_READONLY). */
struct store_log_sink;
struct store_log_sink *store_log_sink_open(const char *url,
					   const struct store_options *opt,
					   struct err *e);
log_sink_fn store_log_sink_fn(void);
/* Wait until every record queued before the call is committed. */
void  store_log_sink_flush(struct store_log_sink *ls);
/* Records dropped because the queue was full, since open. */
uint64_t store_log_sink_dropped(struct store_log_sink *ls);
/* The last write error (code ERR_OK when none); copied into *e. */
void  store_log_sink_error(struct store_log_sink *ls, struct err *e);
/* Flush, stop the writer, close.  Remove it from core's sinks first. */
void  store_log_sink_close(struct store_log_sink *ls);

/* ---- object states ---------------------------------------------------------------
 * Operator-set state of named objects: "pipe:orders_pipe" PAUSED,
 * "task:nightly" SUSPENDED / STARTED / FAILED_AND_AUTO_SUSPENDED, ... The
 * state words belong to the modules that set them. */
struct store_object_state {
	char  *object;
	char  *state;
	char  *reason;            /* NULL = none */
	char  *changed_by;        /* "alice@bastion", "engine" */
	usec_t changed;
};
int   store_object_set(struct store *s, const char *object, const char *state,
		       const char *reason, const char *changed_by, struct err *e);
/* 1 found, 0 never set, -1 error. */
int   store_object_get(struct store *s, const char *object,
		       struct store_object_state **out, struct err *e);
/* Objects whose name starts with `prefix` ("pipe:"; NULL = all), by name. */
int   store_object_list(struct store *s, const char *prefix, struct vec *out,
			struct err *e);
void  store_object_free(struct store_object_state *o);
void  store_object_list_free(struct vec *v);

/* ---- workers ---------------------------------------------------------------------- */
struct store_worker {
	char   *id;
	char   *host;
	int64_t pid;
	usec_t  started, heartbeat;
	char   *pools;            /* "a,b": the pools it serves; NULL: none */
	int64_t in_flight;        /* its RUNNING and CANCELLING runs */
};
/* Insert or replace (a restarted worker with the same id starts afresh). */
int   store_worker_register(struct store *s, const char *id, const char *host,
			    int64_t pid, struct err *e);
/* The same for a worker serving `pools` ("a,b"; NULL none). */
int   store_worker_register_pools(struct store *s, const char *id, const char *host,
				  int64_t pid, const char *pools, struct err *e);
/* ERR_NOTFOUND if the worker is not registered (it was reaped). */
int   store_worker_heartbeat(struct store *s, const char *id, struct err *e);
/* What an engine's heartbeat learns in the heartbeat's own transaction,
 * so that an idle engine asks the store nothing else: events say what
 * changed, the beat catches what no event announces (a retry falling
 * due, a notification's next attempt) or what was missed while a
 * connection was down. */
struct store_beat {
	int64_t for_me;         /* PENDING requests for this worker ("worker:ID") */
	int64_t requests;       /* PENDING requests for the scheduler */
	int64_t notify_due;     /* notifications due, or whose sender died */
	int64_t claimable;      /* runs of the beat's pools a claim would take now */
};
/* Heartbeat, filling *b (pools as store_run_claim_pools takes them). */
int   store_worker_beat(struct store *s, const char *id, const char *const *pools,
			size_t npools, struct store_beat *b, struct err *e);
/* A clean exit. */
int   store_worker_remove(struct store *s, const char *id, struct err *e);
int   store_worker_list(struct store *s, struct vec *out, struct err *e);
void  store_worker_list_free(struct vec *v);
/* Runs in RUNNING or CANCELLING, or PENDING runs kept for a worker, whose
 * worker's last heartbeat is older than now - lease, or whose worker is
 * not registered at all: the runs crash recovery must settle.  Oldest
 * first. */
int   store_runs_orphaned(struct store *s, usec_t lease, struct vec *out,
			  struct err *e);

/* ---- leases ----------------------------------------------------------------------
 * A named lease held by one holder at a time, for "one scheduler at a
 * time" across hosts; it lapses at its expiry so a dead holder frees it. */
/* 1 acquired or renewed, 0 held by someone else (*current set to the
 * holder when non-NULL; caller frees), -1 error. */
int   store_lease_acquire(struct store *s, const char *name, const char *holder,
			  usec_t ttl, char **current, struct err *e);
int   store_lease_release(struct store *s, const char *name, const char *holder,
			  struct err *e);

/* ---- step cache --------------------------------------------------------------- */
struct store_cache_entry {
	char   *key;
	char   *value;            /* the step's recorded result, JSON text */
	int64_t run_id;           /* the run that produced it */
	usec_t  created, expires; /* expires 0 = never */
};
/* 1 found and not expired, 0 absent or expired, -1 error. */
int   store_cache_get(struct store *s, const char *key,
		      struct store_cache_entry **out, struct err *e);
/* Insert or replace; `ttl` 0 = never expires.  Purges expired entries. */
int   store_cache_put(struct store *s, const char *key, const char *value,
		      int64_t run_id, usec_t ttl, struct err *e);
int   store_cache_delete(struct store *s, const char *key, struct err *e);
/* Delete every expired entry; *n removed when non-NULL. */
int   store_cache_purge(struct store *s, int64_t *n, struct err *e);
void  store_cache_free(struct store_cache_entry *c);

/* ---- schema changes ------------------------------------------------------------- */
enum schema_change_kind { SCHEMA_ADDED, SCHEMA_WIDENED, SCHEMA_DROPPED_IN_SOURCE,
			  SCHEMA_CHANGE_COUNT };
const char *schema_change_name(enum schema_change_kind k); /* "added" */
bool  schema_change_parse(const char *s, enum schema_change_kind *out);

struct store_schema_change {
	int64_t id;
	char   *connection, *table, *column;
	enum schema_change_kind kind;
	char   *old_type, *new_type;   /* NULL where it does not apply */
	int64_t run_id;
	usec_t  at;
};
int   store_schema_change_add(struct store *s, const struct store_schema_change *c,
			      struct err *e);
/* Newest first; `connection`, `table` NULL = all. */
int   store_schema_change_list(struct store *s, const char *connection,
			       const char *table, int limit, struct vec *out,
			       struct err *e);
void  store_schema_change_list_free(struct vec *v);

/* ---- notification queue -------------------------------------------------------------
 * A message waits PENDING until due; a sender claims it (SENDING), then
 * marks it SENT or failed.  A retryable failure (429, 5xx, network) puts
 * it back PENDING with next_attempt = now + max(retry_after, backoff),
 * backoff = 10s * 2^(attempts-1) capped at 1h; after
 * STORE_NOTIFY_MAX_ATTEMPTS attempts, or a permanent failure, it is
 * FAILED.  A SENDING claim older than 5 minutes (a sender that died) is
 * claimable again. */
#define STORE_NOTIFY_MAX_ATTEMPTS 8
#define STORE_NOTIFY_BACKOFF      (10 * USEC_PER_SEC)
#define STORE_NOTIFY_BACKOFF_MAX  (3600 * USEC_PER_SEC)

enum notify_state { NOTIFY_PENDING, NOTIFY_SENDING, NOTIFY_SENT, NOTIFY_FAILED,
		    NOTIFY_STATE_COUNT };
const char *notify_state_name(enum notify_state st);

struct store_notification {
	int64_t id;
	char   *channel, *event, *text;
	enum notify_state state;
	int     attempts;         /* sends tried so far */
	usec_t  created, next_attempt, sent;
	char   *last_error;
	char   *object;           /* "flow:x", "task:y", "pipe:z", or NULL */
	char   *detail;           /* JSON of the event (notify.h), or NULL */
	int     occurrences;      /* events folded into this message, >= 1 */
	usec_t  first_at;         /* the first of them */
};

/* The event that goes with a notification: `detail` is opaque here. */
struct store_notify_new {
	const char *channel, *event, *object, *text, *detail;
	usec_t window;   /* collapse with the same event on the same object and
			    channel raised within it; 0 = never */
};
/* Queue `m`, or fold it into a message not yet sent for the same channel,
 * event and object raised within m->window (its count grows, its text and
 * detail become m's).  When the last such message has gone already, the
 * new one is held until that one's window ends, so an object failing over
 * and over sends at most one message per window.  1 queued, 0 folded,
 * -1 error. */
int   store_notify_raise(struct store *s, const struct store_notify_new *m, int64_t *id,
			 struct err *e);
/* `object` is healthy again: the channels whose last message about it was
 * a problem (any event but "recovered" and "test") go on `channels`
 * (char *, owned), and messages about it held for later are made due now
 * so that they arrive before the recovery. */
int   store_notify_unrecovered(struct store *s, const char *object, struct vec *channels,
			       struct err *e);
/* An operator's hand on a FAILED message: send it again now (attempts
 * start over), or delete it.  ERR_NOTFOUND / ERR_CONFLICT otherwise. */
int   store_notify_retry(struct store *s, int64_t id, struct err *e);
int   store_notify_drop(struct store *s, int64_t id, struct err *e);
int   store_notify_enqueue(struct store *s, const char *channel, const char *event,
			   const char *text, int64_t *id, struct err *e);
/* 1 and *out (the claimed message, attempts already counted), 0 nothing
 * due, -1 error. */
int   store_notify_claim(struct store *s, struct store_notification **out,
			 struct err *e);
/* Both need the message to be SENDING (claimed), else ERR_CONFLICT. */
int   store_notify_sent(struct store *s, int64_t id, struct err *e);
/* retryable false = give up now.  retry_after: the server's Retry-After
 * (0 = none). */
int   store_notify_failed(struct store *s, int64_t id, const char *error,
			  bool retryable, usec_t retry_after, struct err *e);
int   store_notify_get(struct store *s, int64_t id,
		       struct store_notification **out, struct err *e);
/* Newest first; state_mask (1u << notify_state) 0 = all. */
int   store_notify_list(struct store *s, unsigned state_mask, int limit,
			struct vec *out, struct err *e);
void  store_notify_free(struct store_notification *n);
void  store_notify_list_free(struct vec *v);

/* ---- metrics ------------------------------------------------------------------------
 * What a worker's /metrics reports, read from the store so that every
 * worker on a shared store reports the same numbers.  History (runs that
 * ended, their steps, pipe load attempts) is read incrementally: a
 * struct store_metrics keeps running totals and where its reading stopped,
 * and each store_metrics_read adds what is new, so a scrape stays cheap
 * however long the history.  A reader started after store_prune removed
 * old rows counts less than one started before (both are counters; a new
 * worker is a new series to Prometheus). */
#define STORE_DURATION_BUCKETS 12
/* Upper bounds of the duration histograms' buckets, in seconds. */
extern const double store_duration_buckets[STORE_DURATION_BUCKETS];

struct store_metric {
	char   *label[2];         /* the series' label values; NULL past the last */
	int64_t value;            /* a count or a sum; histograms: observations */
	double  sum;              /* histograms: seconds in all */
	int64_t le[STORE_DURATION_BUCKETS];   /* histograms: cumulative counts */
};
/* Where a reader of a growing table stopped (see metric_reads.c). */
struct store_tail {
	int64_t settled;          /* every row up to this id is counted */
	int64_t *ids;             /* rows above it counted already */
	size_t n, cap;
};
struct store_metrics {
	/* totals over history, added to by each read */
	struct vec runs_ended;    /* flow, state: entries into a final state
				     (COMPLETED CACHED FAILED CANCELLED CRASHED) */
	struct vec run_seconds;   /* flow: runs that ended (not CRASHED), start to end */
	struct vec step_seconds;  /* flow, step: the steps of those runs */
	struct vec flow_rows;     /* flow: rows written by those runs */
	struct vec pipe_rows;     /* pipe: rows loaded */
	struct vec pipe_files;    /* pipe, status: load attempts */
	/* snapshots, replaced by each read */
	int64_t runs_now[RUN_STATE_COUNT];     /* runs in each state now */
	struct vec stream_pending;/* stream: pending rows (the scheduler's copy;
				     unknown ones left out) */
	struct vec task_failures; /* task: FAILED entries in its history */
	int64_t notifications[NOTIFY_STATE_COUNT];
	int64_t size_bytes;       /* the store's tables */
	struct vec workers;       /* struct store_worker */
	struct store_tail run_tail, step_tail, load_tail;
};
/* Bring *m up to date (start from a zeroed struct; keep it for the next
 * call; free with store_metrics_free).  On error *m keeps what it had
 * and the next call reads again what this one could not. */
int   store_metrics_read(struct store *s, struct store_metrics *m, struct err *e);
void  store_metrics_free(struct store_metrics *m);
/* The series of one of those vecs with these labels (b NULL for one),
 * made at 0 when missing: a series should exist before its first event. */
struct store_metric *store_metric_series(struct vec *v, const char *a, const char *b);

/* ---- validation results ----------------------------------------------------------- */
enum check_severity { SEVERITY_WARN, SEVERITY_ERROR };

struct store_validation {
	int64_t id;
	int64_t run_id;
	char   *step;
	char   *check;            /* the check's name */
	enum check_severity severity;
	bool    passed;
	int64_t violations;
	char   *sample;           /* a few offending rows as text; NULL */
	usec_t  at;
};
int   store_validation_add(struct store *s, const struct store_validation *v,
			   struct err *e);
/* In the order added; `step` NULL = all steps of the run. */
int   store_validation_list(struct store *s, int64_t run_id, const char *step,
			    struct vec *out, struct err *e);
void  store_validation_list_free(struct vec *v);

/* ---- backfills -----------------------------------------------------------------------
 * The guided rebuild of a flow (DESIGN.md "Backfill").  The procedure and
 * its step names ("plan", "suspend", "rebuild", "validate", "compare",
 * "approve", "resume") belong to steps/; the store keeps where each
 * backfill stands and who moved it, so another operator can continue.
 * At most one active (WAITING, WORKING or FAILED) backfill per flow,
 * enforced by a unique index. */
enum backfill_state {
	BACKFILL_WAITING,    /* for the operator to take the next step */
	BACKFILL_WORKING,    /* a step is running */
	BACKFILL_FAILED,     /* the current step failed; may be retried */
	BACKFILL_COMPLETED,  /* approved, swapped, tasks resumed */
	BACKFILL_DISCARDED,
	BACKFILL_STATE_COUNT
};
const char *backfill_state_name(enum backfill_state st);
bool  backfill_state_is_active(enum backfill_state st);

struct store_backfill {
	int64_t id;
	char   *flow;
	char   *step;             /* current step name */
	enum backfill_state state;
	char   *plan;             /* JSON; NULL */
	char   *compare;          /* JSON compare summary; NULL */
	char   *error;            /* of the failed step; NULL */
	char   *created_by;
	usec_t  created, updated, ended;
};
struct store_backfill_event {
	int64_t id, backfill_id;
	char   *step;
	enum backfill_state state;
	char   *by;
	char   *note;
	usec_t  at;
};
/* Start one at `step` WAITING.  ERR_CONFLICT "flow X already has backfill
 * N (step compare, WAITING)" when one is active. */
int   store_backfill_create(struct store *s, const char *flow, const char *step,
			    const char *plan_json, const char *by, int64_t *id,
			    struct err *e);
/* Move to (step, state) and record who (`by`) and why (`note`) in the
 * history, in one transaction.  plan/compare/error NULL leave the stored
 * value (error NULL clears it unless the state is FAILED).  Moving a
 * COMPLETED or DISCARDED backfill is ERR_CONFLICT. */
struct store_backfill_move {
	const char *step;
	enum backfill_state state;
	const char *plan_json, *compare_json, *error;
	const char *by, *note;
	bool quiet;                 /* the record saved as a step works: no
				       history event */
};
int   store_backfill_update(struct store *s, int64_t id,
			    const struct store_backfill_move *m, struct err *e);
struct store_backfill *store_backfill_get(struct store *s, int64_t id,
					  struct err *e);
/* 1 found, 0 none active, -1 error. */
int   store_backfill_active(struct store *s, const char *flow,
			    struct store_backfill **out, struct err *e);
/* Newest first; `flow` NULL = all. */
int   store_backfill_list(struct store *s, const char *flow, int limit,
			  struct vec *out, struct err *e);
/* Oldest first. */
int   store_backfill_history(struct store *s, int64_t id, struct vec *out,
			     struct err *e);
void  store_backfill_free(struct store_backfill *b);
void  store_backfill_list_free(struct vec *v);
void  store_backfill_history_free(struct vec *v);

/* ---- operator requests ------------------------------------------------------------------
 * How a console or the command line asks an engine (possibly in another
 * process or on another host) to act: "refresh" "pipe:orders", "cancel"
 * "run:12".  The kinds and targets belong to cmd/ and engine/. */
enum request_state { REQUEST_PENDING, REQUEST_CLAIMED, REQUEST_DONE,
		     REQUEST_FAILED, REQUEST_STATE_COUNT };
const char *request_state_name(enum request_state st);

struct store_request {
	int64_t id;
	char   *kind, *target;
	char   *args;             /* JSON; NULL */
	char   *requested_by;
	usec_t  requested, claimed, completed;
	enum request_state state;
	char   *claimed_by;
	char   *result;           /* text or JSON on success; NULL */
	char   *error;            /* on failure */
};
int   store_request_add(struct store *s, const char *kind, const char *target,
			const char *args_json, const char *requested_by,
			int64_t *id, struct err *e);
/* The oldest PENDING request, now CLAIMED by `worker`: 1, 0 none, -1.
 * Requests for one worker (target "worker:ID") are left to it. */
int   store_request_claim(struct store *s, const char *worker,
			  struct store_request **out, struct err *e);
/* The same among requests whose target is `target` ("worker:ID"). */
int   store_request_claim_target(struct store *s, const char *worker,
				 const char *target, struct store_request **out,
				 struct err *e);
/* ok: DONE with result; else FAILED with error.  ERR_CONFLICT unless CLAIMED. */
int   store_request_complete(struct store *s, int64_t id, bool ok,
			     const char *result, const char *error, struct err *e);
struct store_request *store_request_get(struct store *s, int64_t id,
					struct err *e);
int   store_request_list(struct store *s, int limit, struct vec *out,
			 struct err *e);
void  store_request_free(struct store_request *r);
void  store_request_list_free(struct vec *v);

/* ---- audit ----------------------------------------------------------------------------
 * The operators' actions (audit.c).  store_audit_next announces one on
 * this handle; the next commit on it writes the row in its own
 * transaction, so the record and the change commit together; a rollback
 * or store_audit_drop forgets it.  `by` is "user@host"; `via` the surface
 * ("command line", "console", "shell"); `command` is stored with secrets
 * masked. */
struct store_audit {
	int64_t id;
	usec_t  at;
	char   *action;           /* "cancel", "retry", "force" ... */
	char   *object;           /* "run 13", "pipe orders" */
	char   *user, *host, *via;
	char   *command;          /* the command line; NULL */
};
void  store_audit_next(struct store *s, const char *action, const char *object,
		       const char *by, const char *via, const char *command);
void  store_audit_drop(struct store *s);
/* Newest first; limit 0 = 100. */
int   store_audit_list(struct store *s, int limit, struct vec *out, struct err *e);
void  store_audit_list_free(struct vec *v);

/* ---- step definitions ---------------------------------------------------------------------
 * What each step of a run was defined by when the run started (step_defs.c):
 * a SQL file's text, or the step's spec as JSON.  Each distinct text is
 * stored once, keyed by its SHA-256; a run keeps (step, file, hash). */
struct store_step_def {
	char *step;
	char *file;               /* the SQL file, relative to the project; NULL: a spec */
	char *hash;               /* SHA-256 of text, hex */
	char *text;
};
/* Replace run_id's definitions with defs[0..n) in one transaction. */
int   store_run_defs_put(struct store *s, int64_t run_id,
			 const struct store_step_def *defs, size_t n, struct err *e);
/* step's definition in run_id: 1 found (*out filled), 0 none recorded, -1. */
int   store_run_def_get(struct store *s, int64_t run_id, const char *step,
			struct store_step_def *out, struct err *e);
void  store_step_def_clear(struct store_step_def *d);

/* ---- retention ----------------------------------------------------------------------------
 * Pruning in batches of at most a thousand rows per transaction, so readers
 * and writers are never held up long.  0 in a field means "keep".  Runs
 * are pruned only in a terminal state, with their steps, transitions and
 * validation results; transitions may go sooner than their runs.  Load
 * history is pruned per pipe by store_load_prune, which must know which
 * files the lake still holds (steps/ lists them). */
struct store_retention {
	usec_t  log_age;           /* delete log records older than this */
	int64_t log_max;           /* keep at most this many log records */
	usec_t  run_age;           /* finished runs older than this */
	usec_t  transition_age;    /* transitions of finished runs (the runs stay) */
	usec_t  task_age;          /* task history */
	usec_t  notify_age;        /* SENT / FAILED notifications */
	usec_t  request_age;       /* DONE / FAILED requests */
};
struct store_prune_stats {
	int64_t logs, runs, transitions, tasks, notifications, requests, cache, loads;
};
/* Everything `r` asks for, and expired cache entries; on SQLite it ends
 * by refreshing the query planner's statistics (a sampled ANALYZE).
 * `stats` may be NULL.  ERR_READONLY on a read-only store. */
int   store_prune(struct store *s, const struct store_retention *r,
		  struct store_prune_stats *stats, struct err *e);
/* The same within a budget of *budget transactions, spent as it goes,
 * from *stage on (0 at first; advanced as kinds are done); what was
 * deleted is added to *stats.  1 when the budget ran out (come back with
 * the same *stage for more), 0 when done, -1 on error. */
int   store_prune_some(struct store *s, const struct store_retention *r, int *stage,
		       int *budget, struct store_prune_stats *stats, struct err *e);
/* A dry run: what store_prune would delete now, per kind (loads not
 * counted). */
int   store_prune_count(struct store *s, const struct store_retention *r,
			struct store_prune_stats *stats, struct err *e);
/* Load history of `pipe` recorded before `before`: a record goes when a
 * newer one of its file exists, or when present(key) says the lake no
 * longer holds its file; the newest record of a file still there stays,
 * or the pipe would load that file again.  Walks the history from
 * *after_id (0 at first; advanced as it goes) within *budget batches:
 * 1 more to do, 0 done, -1 error.  Adds to *total what went (with
 * dry_run, what would go). */
int   store_load_prune(struct store *s, const char *pipe, usec_t before,
		       bool (*present)(const char *key, void *arg), void *arg,
		       bool dry_run, int64_t *after_id, int *budget, int64_t *total,
		       struct err *e);

#endif

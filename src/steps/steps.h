/*
 * steps.h - the work itself: step kinds, pipes, streams, backfill, compare.
 *
 * Each step kind lives in its own file (steps/extract.c, steps/load.c, ...)
 * with a static operations table: how to validate its keys in the project
 * file, how to run it, and what its cache key depends on.  The engine runs
 * a step through steps_run() and never looks inside.
 *
 * A step runs on one engine worker thread with that thread's connections
 * (struct step_conns), its own store handle and the shared lake.  It
 * checks ctx->cancel at safe points (between batches) and, when set, rolls
 * back its open transaction and fails with ERR_CANCELLED.  A step that
 * writes a database commits its rows and its ledger entry
 * ("store:STORE:run:ID:step:NAME") in one transaction, and on a retried or
 * recovered run skips the work when that entry already exists.
 *
 * Pipes and streams are also used outside flows: the engine polls pipes,
 * the command line refreshes them, tasks ask streams whether they have
 * data.  Those entry points are below.
 */
#ifndef SLUICE_STEPS_H
#define SLUICE_STEPS_H

#include <stdatomic.h>

#include "core/core.h"

struct project;
struct project_flow;
struct project_step;
struct project_pipe;
struct project_stream;
struct project_kv;
struct diags;
struct store_options;
struct store;
struct store_watermark;
struct lake;
struct db;
struct db_wait;

/* ---- connections of one worker thread -------------------------------------
 * Opened on first use by name from the project, kept open for the thread's
 * life, read-only when the project, its environment or `read_only` says
 * so.  The password comes from the connection's password_env variable
 * (registered as a secret); a named variable that is unset is an error.
 * The project must outlive the set.
 *
 * Writers wait for each other: SQLite lets one connection at a time write
 * a file, and a statement of these connections waits up to
 * STEP_LOCK_WAIT for the write lock (a db_cancel, hence a step's cancel or
 * timeout, ends the wait).  A wait that lasts a second is logged ("wh:
 * waiting for the write lock on wh.db, which another connection holds"),
 * with the run and step set by step_conns_doing, and so is its end. */
#define STEP_LOCK_WAIT (10 * 60 * USEC_PER_SEC)
struct step_conns;
struct step_conns *step_conns_new(const struct project *p, bool read_only);
/* What the connections are used for now, for the wait records: a run's
 * step (run_id and step), or nothing (0, NULL).  `step` is borrowed. */
void step_conns_doing(struct step_conns *c, int64_t run_id, const char *step);
/* Also tell fn about every wait (and its end), from the waiting thread:
 * the engine shows it as the step's state.  Set before the first
 * step_conns_get. */
void step_conns_on_wait(struct step_conns *c,
			void (*fn)(void *arg, const struct db_wait *w), void *arg);
/* The open connection named `name`; ERR_NOTFOUND for an unknown name.
 * The db belongs to the set: do not close it.  A kept connection is tested
 * first (db_alive; with a round trip after 10 s idle), and one the server
 * dropped is reopened in place, so a restarted server fails no step that
 * starts after it is back; when it cannot be reopened, the error says so. */
struct db *step_conns_get(struct step_conns *c, const char *name, struct err *e);
/* Interrupt whatever statement any of these connections is running
 * (db_cancel); safe from another thread.  The engine calls this right
 * after setting a step's cancel flag, so a long COPY stops at once instead
 * of at the next batch boundary. */
void step_conns_cancel(struct step_conns *c);
/* Roll back any transaction left open on these connections and close
 * connections that no longer answer, so the next step starts clean (a
 * lost PostgreSQL connection is reopened on its next step_conns_get).
 * steps_run calls it after a failed step. */
void step_conns_reset(struct step_conns *c);
void step_conns_free(struct step_conns *c);

/* Opens the project's lake (file, s3, http), resolving credentials from the
 * environment variables the project names. */
struct lake *steps_open_lake(const struct project *p, struct err *e);

/* ---- running a step -------------------------------------------------------- */

/* State shared by the steps of one run (guarded by its own lock): the
 * stream windows read by earlier steps, which the consuming load step
 * commits. */
struct run_shared;
struct run_shared *run_shared_new(void);
void run_shared_free(struct run_shared *rs);

struct step_ctx {
	const struct project *project;
	const struct project_flow *flow;
	const struct project_step *step;
	int64_t run_id;
	int     attempt;
	usec_t  run_start;            /* the run's start: an extract window's end */
	const struct project_kv *params;   /* validated, with defaults applied */
	size_t  nparams;
	bool    backfill;             /* rebuild mode: see steps_backfill_* */
	struct store *store;          /* this thread's store handle */
	struct step_conns *conns;
	struct lake *lake;
	struct run_shared *shared;
	atomic_bool *cancel;          /* set by the engine; never NULL */

	/* filled by the step */
	int64_t rows_in;
	int64_t rows_out;
	char   *summary;              /* one line for the run detail, or NULL; freed by caller */
	bool    skipped;              /* nothing was done on purpose (backfill mode
					 skips extract, ingest, http and notify):
					 record the step SKIPPED, not COMPLETED */
};

/* Validate every step's kind-specific keys (and pipes' and streams'
 * references that need step knowledge), adding diagnostics at their
 * positions.  Returns the number of errors added. */
size_t steps_validate(const struct project *p, struct diags *d);

/* Run one step.  0 on success; -1 with e set (ERR_CANCELLED when
 * ctx->cancel stopped it).  A step whose work was already committed by an
 * earlier attempt of the same run (its ledger entry exists) succeeds
 * without doing it again and says so in ctx->summary.  After a failure
 * every transaction the step left open on ctx->conns is rolled back. */
int steps_run(struct step_ctx *ctx, struct err *e);

/* The cache key of a step in this run: sha256 (hex) over the step's
 * definition (its JSON object), the parameter values, the text of any SQL
 * file it runs, and its inputs as the kind defines them (sql and validate:
 * row count and max watermark of the tables listed in "inputs"; load: the
 * same for its source table, or the source query's row count).  Returns
 * NULL with e->code == ERR_OK when the kind is never cached (extract,
 * ingest, http, notify: they have effects outside their result), NULL
 * with e set on error.  Caller frees. */
char *steps_cache_key(struct step_ctx *ctx, struct err *e);

/* Extract windows (steps/extract.c): a step plans its window in the store
 * (store_wm_plan) before reading; it ends at the newest watermark the
 * source holds up to the source's own clock less the lag.  An extract
 * into the lake commits its window itself as soon as each file is written
 * (store_wm_commit); an extract into staging tables leaves it pending,
 * and the engine commits the run's pending windows when the run completes
 * (store_wm_commit_run) and drops them when it fails for good
 * (store_wm_clear_run), so the next run's window reaches back over them.
 * See doc/architecture.md, "Exactly once". */

/* One extracted table's watermark, for display: every table the
 * project's extract steps read (in project order), then any the store
 * still holds for steps no longer in the project. */
struct steps_watermark {
	const char *flow, *step, *table;   /* borrowed from the project or wm */
	struct store_watermark *wm;        /* NULL: never extracted (owned) */
	bool declared;                     /* false: no longer in the project */
};
/* The rows for `flow` (NULL: every flow); free with steps_watermarks_free. */
int   steps_watermarks(const struct project *p, struct store *s, const char *flow,
		       struct vec *out, struct err *e);
void  steps_watermarks_free(struct vec *v);

/* ---- pipes ------------------------------------------------------------------
 * A pipe loads new files under a lake prefix into a raw table (steps/pipe.c).
 *
 * Exactly once: each file's rows and its ledger entry "pipe:NAME:KEY" (with
 * the file's checksum) commit in one transaction in the target database.
 * The control store's load history is written after the commit; a file
 * whose ledger entry exists but whose history does not say LOADED (a crash
 * came between) gets its history written from the ledger, never reloaded.
 * Concurrent refreshes of one pipe (engine and command line, two hosts)
 * are serialised per table inside the load transaction (PostgreSQL
 * advisory lock; SQLite's write lock), so a file is never loaded twice and
 * _sluice_id values commit in increasing order (streams rely on it).
 *
 * The load history says which files were loaded and what they were: one
 * row per attempt (see store.h: two refreshes at once that race to the
 * same file leave one row).
 *
 * Which files a refresh tries, in key order (the lake's keys sort by time):
 *   - never attempted: yes;
 *   - forced: yes;
 *   - attempted before: the file is looked at again only when its size or
 *     its time in the listing differs from when it was last seen, and then
 *     by its checksum (the file is read, nothing loaded):
 *       - LOAD_FAILED: tried again when its checksum changed (fixed, even
 *         to the same size); an unchanged failed file is not tried again,
 *         under any on_error, so it is not re-read and re-recorded on every
 *         poll;
 *       - LOADED or PARTIALLY_LOADED: not reloaded (Snowpipe's rule), but a
 *         changed checksum is reported: a warning in the log, a
 *         notification on pipe_file_failed channels, and in the pipe's
 *         status (changed_files) until the file is reloaded with
 *         `pipe refresh NAME --force --file KEY` or changes back.
 * A forced reload of a file replaces its earlier rows (deleted in the same
 * transaction: the _sluice_id range its ledger entry records, and its
 * _sluice_file), so forcing never duplicates.
 * Failed files are never moved, changed or deleted.
 *
 * on_error abort and abort_statement stop the pipe at its first bad file:
 * the store object "pipe:NAME" becomes STOPPED_ON_ERROR with the error,
 * and refreshes load nothing (and fail, saying so) until `pipe resume`;
 * after that an unchanged failed file is skipped by the rule above.  Under
 * abort_statement the whole refresh is one transaction, so the bad file
 * keeps every other file of that refresh out too. */
enum pipe_state {
	PIPE_RUNNING,
	PIPE_PAUSED,                  /* store object "pipe:NAME" is PAUSED */
	PIPE_STOPPED_MISSING_TABLE,   /* its table was dropped after files were loaded */
	PIPE_STOPPED_MISSING_PATH,    /* the lake (or, on file: lakes, the prefix's
					 directory) does not exist */
	PIPE_STOPPED_ON_ERROR,        /* store object "pipe:NAME" is STOPPED_ON_ERROR:
					 on_error abort met a bad file */
	PIPE_STATE_COUNT
};
const char *pipe_state_name(enum pipe_state st);   /* "STOPPED_MISSING_TABLE" */

struct pipe_result {
	int files_seen;               /* matching keys under the prefix */
	int files_loaded;
	int files_partial;
	int files_failed;
	int files_skipped;            /* loaded before */
	int files_changed;            /* of those, changed in the lake since (not
					 reloaded; see the rules above) */
	int files_reconciled;         /* committed before, history written now */
	int files_adopted;            /* ... by another control store (of those) */
	int64_t rows_parsed;
	int64_t rows_loaded;
	enum pipe_state state;        /* the state the refresh found */
	char *first_error;            /* "KEY:LINE:COL: message", or NULL; caller frees */
};

struct pipe_request {
	bool force;                   /* reload files loaded before */
	const char *only_key;         /* just this file, or NULL */
	int64_t run_id;               /* the run it belongs to, or 0 */
};

/* Load new files under the pipe's prefix into its table, each file in one
 * transaction with its ledger entry (abort_statement: all of them in one);
 * record load history in the store.  A paused pipe loads nothing unless
 * req->force (out->state says so; the call still succeeds); a stopped one
 * (STOPPED_*) fails unless req->force.  Bad files are recorded and the
 * refresh goes on, except under on_error abort and abort_statement: the
 * refresh stops at the first bad file, stops the pipe (STOPPED_ON_ERROR)
 * and fails with its error (ERR_PARSE/ERR_INVALID, e->where
 * "KEY:LINE:COL").  Other errors (database, lake) fail the refresh; files
 * committed before stay committed.  `cancel` is checked between batches;
 * when set, the open file's transaction rolls back and ERR_CANCELLED is
 * returned.  `out` is filled in either case; free it with
 * pipe_result_free. */
int  pipe_refresh(const struct project *p, const struct project_pipe *pipe,
		  const struct pipe_request *req, struct store *store,
		  struct step_conns *conns, struct lake *lake, atomic_bool *cancel,
		  struct pipe_result *out, struct err *e);
void pipe_result_free(struct pipe_result *r);

/* Pending files (those a refresh would try, by the rules above) under the
 * pipe's prefix: never attempted, or failed and different in size or time
 * since (probably fixed).  Lists the lake and reads the store; reads no
 * file. */
int  pipe_pending(const struct project_pipe *pipe, struct store *store,
		  struct lake *lake, int64_t *count, struct err *e);

/* Rejected files: those under the pipe's prefix (matching its pattern)
 * whose newest attempt left them LOAD_FAILED or PARTIALLY_LOADED, whoever
 * made it (a run, the engine's poll, `pipe refresh`); files removed from
 * the lake since do not count.  Appended to `out` in key order as struct
 * store_load * (free with store_load_list_free).  Lists the lake and reads
 * the store; reads no file. */
int  pipe_rejected(const struct project_pipe *pipe, struct store *store,
		   struct lake *lake, struct vec *out, struct err *e);
/* Retention of a pipe's load history: a record older than `before` goes
 * when a newer one of its file exists or its file is no longer in the
 * lake; the newest record of a file still there stays, however old, since
 * it is what keeps the pipe from loading the file again.  begin lists the
 * pipe's prefix once (ERR_NOTFOUND: no lake or directory; nothing is
 * pruned then), history walks the records within *budget batches (1 more
 * to do, 0 done; nothing goes while the listing is empty, which may be a
 * lake that is not there), end frees the listing. */
struct pipe_prune {
	const struct project_pipe *pipe;
	struct lake_listing *files;
	int64_t after_id;
};
int  pipe_prune_begin(struct pipe_prune *pp, const struct project_pipe *pipe,
		      struct lake *lake, struct err *e);
int  pipe_prune_history(struct pipe_prune *pp, struct store *store, usec_t before,
			bool dry_run, int *budget, int64_t *total, struct err *e);
void pipe_prune_end(struct pipe_prune *pp);

/* What `show pipes` and the console show of one pipe. */
struct pipe_status {
	enum pipe_state state;
	char   *state_reason;         /* why paused or stopped; NULL when running */
	int64_t pending;              /* files; -1 when the lake could not be listed */
	char   *last_file;            /* newest LOADED/PARTIALLY_LOADED key; NULL */
	usec_t  last_loaded;
	char   *last_error;           /* "KEY:LINE:COL: message" of the newest failure */
	usec_t  last_error_at;
	int64_t files_loaded, files_partial, files_failed;   /* attempts, by status */
	int64_t changed_files;        /* loaded files changed in the lake since */
	char   *changed_file;         /* the newest of them found; NULL */
};
/* Fill *out (free with pipe_status_free).  `conns` may be NULL: the table
 * is then not checked (STOPPED_MISSING_TABLE is not reported). */
int  pipe_status(const struct project *p, const struct project_pipe *pipe,
		 struct store *store, struct step_conns *conns, struct lake *lake,
		 struct pipe_status *out, struct err *e);
void pipe_status_free(struct pipe_status *st);
/* "pipe orders: 2 files changed in the lake since they were loaded and were
 * not reloaded (newest: KEY); reload one with: sluice pipe refresh orders
 * --force --file KEY", or NULL when none changed.  Caller frees. */
char *pipe_changed_warning(const struct project_pipe *pipe, const struct pipe_status *st);

/* Operator switches: store object "pipe:NAME" PAUSED / RUNNING, with who
 * and why.  Pausing a paused pipe (or resuming a running one) is not an
 * error; *changed (may be NULL) says whether anything changed.  Resuming
 * also clears STOPPED_ON_ERROR. */
int  pipe_pause(struct store *store, const struct project_pipe *pipe,
		const char *by, const char *reason, bool *changed, struct err *e);
int  pipe_resume(struct store *store, const struct project_pipe *pipe,
		 const char *by, bool *changed, struct err *e);
/* The state an operator or on_error abort set (RUNNING, PAUSED or
 * STOPPED_ON_ERROR) and its reason (NULL when RUNNING; caller frees). */
int  pipe_stored_state(struct store *store, const struct project_pipe *pipe,
		       enum pipe_state *state, char **reason, struct err *e);

/* ---- streams ------------------------------------------------------------------
 * Change tracking over a table (steps/stream.c).  The offset lives in
 * _sluice_stream_offsets in the stream's own database.
 *
 * append_only: the offset is a value of offset_column (default _sluice_id);
 * pending rows are those with offset_column > offset.
 * default: the offset is a pair (watermark, tie-breaker): watermark_column
 * (default last_updated) and, when the table has it, offset_column as the
 * tie-breaker; pending rows are those with (watermark, tie-breaker) >
 * offset, compared as a pair, so rows that share the offset's watermark
 * (equal timestamps) but come after it are not lost, and an updated row
 * (its watermark moved forward) is pending again.  Rows whose watermark is
 * NULL are never pending.
 *
 * Windows: the first read of a stream in a run fixes the window (offset,
 * upper bound], kept in the run's shared state and in _sluice_stream_windows
 * in the stream's database, so a retried or recovered attempt of the same run
 * reads exactly the same rows.  The load step that declares `consumes`
 * moves the offset to the upper bound inside its own transaction
 * (stream_commit_consumed); a run that fails leaves the offset where it
 * was.  In backfill mode (ctx->backfill) reads take all history and never
 * advance anything. */

/* Rows beyond the stream's offset; cheap (an indexed count). */
int  stream_pending_rows(const struct project_stream *s, struct step_conns *conns,
			 struct store *store, int64_t *rows, struct err *e);
/* Whether any row is beyond the offset (an EXISTS probe). */
int  stream_has_data(const struct project_stream *s, struct step_conns *conns,
		     struct store *store, bool *has, struct err *e);

struct stream_status {
	char   *offset;               /* "42", "2022-11-03 14:20:49.962 / 812"; NULL = start */
	usec_t  offset_updated;       /* 0 when never advanced */
	int64_t offset_run;           /* the run that advanced it last; 0 */
	int64_t pending;
	bool    has_data;
};
int  stream_status(const struct project_stream *s, struct step_conns *conns,
		   struct store *store, struct stream_status *out, struct err *e);
void stream_status_free(struct stream_status *st);

/* A read of a stream inside a run: the query for the rows of this run's
 * window (fixing the window on first use), in stream order.  `select_list`
 * is SQL the caller built with quoted identifiers ("\"doc\", \"_sluice_file\"")
 * or NULL for "*".  The connection is the stream's own (from ctx->conns).
 * Free with stream_query_free. */
struct stream_query {
	struct db *db;
	char  *sql;
	char  *params[4];
	int    nparams;
};
int  stream_query(struct step_ctx *ctx, const struct project_stream *s,
		  const char *select_list, struct stream_query *out, struct err *e);
void stream_query_free(struct stream_query *q);
/* Fix this run's window of `s` now if no step fixed it yet, without reading
 * it (for cache keys and steps that read the stream's table themselves).
 * *window (may be NULL; caller frees) receives a one-line description. */
int  stream_fix_window(struct step_ctx *ctx, const struct project_stream *s,
		       char **window, struct err *e);

/* Advance `stream`'s offset to what the steps of this run read of it (the
 * window in ctx->shared, or saved by an earlier attempt of the run), inside
 * the transaction the caller holds open on `db`, which must be the
 * stream's own connection (the same struct db from ctx->conns; else
 * ERR_INVALID, as when no transaction is open).  The caller commits; a
 * rollback leaves the offset where it was.  Nothing read in this run:
 * nothing to do, 0 (with a warning in the log).  Called by the load step;
 * a no-op in backfill mode. */
int  stream_commit_consumed(struct step_ctx *ctx, struct db *db, const char *stream,
			    struct err *e);

/* Write every stream's status into the control store's offset mirror (for
 * the console, which never opens data connections). */
int  stream_mirror_all(const struct project *p, struct step_conns *conns,
		       struct store *store, struct err *e);

/* ---- run_shared: stream windows ------------------------------------------------
 * Implemented with run_shared in steps.c; the text is opaque to it (stream.c
 * writes and reads it).  Safe from any thread of the run. */
/* The window of `stream` fixed in this run, or NULL; caller frees. */
char *run_shared_stream_window_get(struct run_shared *rs, const char *stream);
/* Keep `window` for `stream` unless one is kept already, and return the one
 * kept (so two steps racing to fix a window agree); caller frees. */
char *run_shared_stream_window_set(struct run_shared *rs, const char *stream,
				   const char *window);

/* ---- backfill and compare ----------------------------------------------------
 * Owned by steps/backfill.c and steps/compare.c (DESIGN.md "Backfill").
 *
 * Compare: a table with its rebuilt copy, on one connection, by a key,
 * inside the database: one pass (a full outer join on the key, keeping the
 * rows that differ, with conditional aggregates per kind and per column),
 * a uniqueness check of the key when no primary key or unique index proves
 * it, and one small query for samples.  Never reads a table into memory. */
struct cJSON;

enum compare_kind { COMPARE_ONLY_CURRENT, COMPARE_ONLY_BACKFILL, COMPARE_CHANGED,
		    COMPARE_KIND_COUNT };
const char *compare_kind_name(enum compare_kind k);   /* "only_current" */

struct compare_request {
	const char *current;          /* "fact_orders" */
	const char *backfill;         /* "fact_orders_backfill" */
	const char *const *key;       /* column names; at least one */
	size_t nkey;
	int samples;                  /* wanted per kind; 0 = 5 */
	bool missing_current_is_empty;   /* a current table that does not exist
					    compares as empty (a first build) */
};

/* One column of the union of both tables' columns (current's order, then
 * the columns only the backfill has).  A column one table lacks compares
 * with NULL. */
struct compare_column {
	char   *name;
	bool    key;
	char   *type_current;         /* dialect spelling; NULL = not in current */
	char   *type_backfill;        /* NULL = not in the backfill */
	int64_t changed;              /* rows in both whose values differ */
};

/* A row side by side: values in the order of result->columns (NULL for SQL
 * NULL or a column that side lacks); `current` NULL for a row only in the
 * backfill, `backfill` NULL for one only in current; `differs` (changed
 * rows only) marks the cells that differ. */
struct compare_sample {
	enum compare_kind kind;
	char **current;
	char **backfill;
	bool  *differs;
};

struct compare_result {
	char   *current, *backfill;
	char  **key;
	size_t  nkey;
	int64_t rows_current, rows_backfill;
	int64_t only_current, only_backfill, changed, unchanged;
	double  score;                /* (only_current + only_backfill + changed)
					 / max(rows); 0 when both are empty */
	struct compare_column *columns;
	size_t  ncolumns;
	struct compare_sample *samples;   /* at most req->samples of each kind;
					     changed ones chosen to show every
					     changed column where possible */
	size_t  nsamples;
};

/* Compare on `db`.  ERR_NOTFOUND when a table is missing; ERR_INVALID when
 * a key column is missing or the key repeats in either table (the message
 * shows a repeated value).  On error *out is empty. */
int   compare_tables(struct db *db, const struct compare_request *req,
		     struct compare_result *out, struct err *e);
/* The same when the two tables live on different connections (`cur`
 * holds req->current, `bf` req->backfill; the same handle falls back to
 * compare_tables).  Neither database can join the other's table, so both
 * are read in key order (bytewise for text) and merged in this process,
 * holding one row of each side and the samples; values are compared in
 * their canonical text, decimals normalised.  The same counts, columns
 * and samples as compare_tables; a repeated key is refused when met. */
int   compare_tables_across(struct db *cur, struct db *bf,
			    const struct compare_request *req,
			    struct compare_result *out, struct err *e);
/* No row differs and both tables have the same columns. */
bool  compare_result_identical(const struct compare_result *r);
/* {"table", "backfill_table", "key", "rows_current", "rows_backfill",
 *  "only_current", "only_backfill", "changed", "unchanged", "score",
 *  "identical", "columns": [{"name", "key", "changed", "type_current",
 *  "type_backfill", "status": same|added|dropped|retyped}],
 *  "samples": {"only_current": [{"key", "current"}], "only_backfill":
 *  [{"key", "backfill"}], "changed": [{"key", "changed": [columns],
 *  "current", "backfill"}]}}; values are canonical text or null.  The
 *  caller owns the tree (cJSON_Delete). */
struct cJSON *compare_result_json(const struct compare_result *r);
void  compare_result_free(struct compare_result *r);

/* The procedure (steps/backfill.c).  Step names, in order: "plan" (taken
 * by start), "suspend", "rebuild", "validate", "compare" (each taken by
 * next), "approve" or "discard", "resume" (next).  The store's backfill row
 * says which step was taken last and whether it is done (WAITING), running
 * (WORKING) or failed (FAILED: next runs it again); its plan column holds
 * the procedure's JSON record (see backfill_status).  One active backfill
 * per flow (the store enforces it). */
#define BACKFILL_SUFFIX     "_backfill"
#define BACKFILL_OLD_SUFFIX "_old"

/* What a caller above steps/ lends the procedure; each may be NULL. */
struct backfill_hooks {
	/* Create a run of `flow` in backfill mode (trigger backfill,
	 * trigger_detail the backfill id) that an engine will execute. */
	int  (*submit)(void *arg, const char *flow, const struct project_kv *params,
		       size_t nparams, int64_t backfill_id, int64_t *run_id,
		       struct err *e);
	/* Return once run `run_id` is in a final state, executing it here
	 * when no engine takes it.  The run's state says how it went. */
	int  (*finish)(void *arg, int64_t run_id, struct err *e);
	/* Tell the channels that want backfill_waiting. */
	int  (*notify)(void *arg, const char *text, struct err *e);
	void *arg;
};
/* Without submit/finish the rebuild runs the flow's steps in this process
 * through steps_run (one after another, in dependency order); without
 * notify, messages are queued with store_notify_enqueue for every channel
 * whose "on" has backfill_waiting. */

struct backfill_env {
	const struct project *project;
	struct store *store;
	/* The store again, for the heartbeat thread's own connection, which
	 * keeps this process's claim on a backfill while a long step runs
	 * (NULL: no heartbeat; the claim lapses after 30 s). */
	const char *store_url;
	const struct store_options *store_opt;
	const char *by;                    /* "alice@bastion", for the history */
	atomic_bool *cancel;               /* stops an in-process run; may be NULL */
	void (*progress)(void *arg, const char *line);   /* may be NULL */
	void *progress_arg;
	const struct backfill_hooks *hooks;   /* may be NULL */
};

/* The dry run, as JSON (caller owns): {"flow", "params", "targets": [{"table",
 * "connection", "steps", "mode", "key", "key_from", "backfill_table",
 * "old_table", "exists", "rows"}], "sources": [{"table", "connection", "via",
 * "step", "rows"}], "rows_planned", "reading_steps", "steps": [{"step",
 * "kind", "backfill"}], "tasks": [{"task", "state", "suspend"}],
 * "runs_in_progress", "problems", "warnings"}.  Problems (no load step, a
 * target without a key, a bad parameter, an unreachable connection) make
 * start refuse; warnings do not.  Reads only: connections open read-only.
 * NULL with ERR_NOTFOUND for an unknown flow. */
struct cJSON *backfill_plan(const struct backfill_env *env, const char *flow,
			    const struct project_kv *params, size_t nparams,
			    struct err *e);
/* Plan and create the backfill at ("plan", WAITING).  ERR_CONFLICT when
 * the flow has an active backfill; ERR_INVALID listing the plan's
 * problems. */
int   backfill_start(const struct backfill_env *env, const char *flow,
		     const struct project_kv *params, size_t nparams, int64_t *id,
		     struct err *e);
/* Take the next step (or run a failed or interrupted one again) and wait
 * for it to finish.  ERR_NOTFOUND: no active backfill; ERR_CONFLICT:
 * another live process works on it, or it waits for approve/discard.
 * `samples`: rows of each kind kept by compare (0 = 5). */
int   backfill_next(const struct backfill_env *env, const char *flow, int samples,
		    struct err *e);
/* After compare: swap every target in (one transaction per connection).
 * Refused while a run of the flow is in progress, and (unless `force`)
 * when one completed after the rebuild began. */
int   backfill_approve(const struct backfill_env *env, const char *flow, bool force,
		       struct err *e);
/* Drop the backfill tables, leaving the current ones untouched; refused
 * once approved. */
int   backfill_discard(const struct backfill_env *env, const char *flow,
		       struct err *e);
/* The flow's active backfill, or else its newest, as JSON for views:
 * {"id", "flow", "step", "state", "active", "decision", "error",
 * "created_by", "created", "updated", "ended", "next": {"text", "actions"},
 * "working": null | {"process", "since", "alive"}, "steps": [{"step",
 * "status": done|working|failed|pending, "by", "at"}], "plan", "suspended",
 * "rebuild": {"run_id", "run_state", "rows_planned", "rows_read",
 * "rows_written", "steps_total", "steps_done", "fraction", "steps",
 * "started", "ended", "error"}, "validation": {"passed", "checks",
 * "tables", "failed_errors", "failed_warnings", "run_id"}, "compare":
 * {"tables": [compare_result_json + "connection"], "score", "identical",
 * "at"}, "swap", "discard", "resumed", "left_alone", "history": [{"step",
 * "state", "by", "note", "at"}]}.  Reads only.  ERR_NOTFOUND when the
 * flow never had one. */
struct cJSON *backfill_status(const struct backfill_env *env, const char *flow,
			      struct err *e);
/* Newest first, every flow: [{"id", "flow", "step", "state", "active",
 * "decision", "created_by", "created", "updated", "error"}]. */
struct cJSON *backfill_status_list(const struct backfill_env *env, int limit,
				   struct err *e);


#endif

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
 * ("run:ID:step:NAME") in one transaction, and on a retried or recovered
 * run skips the work when that entry already exists.
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
struct store;
struct lake;
struct db;

/* ---- connections of one worker thread -------------------------------------
 * Opened on first use by name from the project, kept open for the thread's
 * life, read-only when the project, its environment or `read_only` says
 * so.  The password comes from the connection's password_env variable
 * (registered as a secret); a named variable that is unset is an error.
 * The project must outlive the set. */
struct step_conns;
struct step_conns *step_conns_new(const struct project *p, bool read_only);
/* The open connection named `name`; ERR_NOTFOUND for an unknown name.
 * The db belongs to the set: do not close it. */
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
 * (store_wm_plan) before reading.  An extract into the lake commits its
 * window itself as soon as each file is written; an extract into staging
 * tables leaves it pending, and the engine commits the run's pending
 * windows when the run completes (store_wm_commit_run) and drops them when
 * it fails for good (store_wm_clear_run), so the next run's window reaches
 * back over them.  See doc/architecture.md, "Exactly once". */

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
 * Which files a refresh tries, in key order (the lake's keys sort by time):
 *   - never attempted: yes;
 *   - LOADED or PARTIALLY_LOADED before: no, unless forced;
 *   - LOAD_FAILED before: under skip_file and continue, only when its size
 *     changed since (the file was replaced) or when forced; under abort,
 *     always (an abort pipe stays stopped at its bad file until it is fixed).
 * A forced reload of a file replaces its earlier rows (deleted in the same
 * transaction: the _sluice_id range its ledger entry records, and its
 * _sluice_file), so forcing never duplicates.
 * Failed files are never moved, changed or deleted. */
enum pipe_state {
	PIPE_RUNNING,
	PIPE_PAUSED,                  /* store object "pipe:NAME" is PAUSED */
	PIPE_STOPPED_MISSING_TABLE,   /* its table was dropped after files were loaded */
	PIPE_STOPPED_MISSING_PATH,    /* the lake (or, on file: lakes, the prefix's
					 directory) does not exist */
	PIPE_STATE_COUNT
};
const char *pipe_state_name(enum pipe_state st);   /* "STOPPED_MISSING_TABLE" */

struct pipe_result {
	int files_seen;               /* matching keys under the prefix */
	int files_loaded;
	int files_partial;
	int files_failed;
	int files_skipped;            /* loaded before */
	int files_reconciled;         /* committed before, history written now */
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
 * transaction with its ledger entry; record load history in the store.
 * A paused or stopped pipe loads nothing unless req->force (out->state says
 * which; the call still succeeds).  Bad files are recorded and the refresh
 * goes on, except under on_error abort: the refresh stops at the first bad
 * file and fails with its error (ERR_PARSE/ERR_INVALID, e->where
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
 * pipe's prefix.  Lists the lake and reads the store; reads no file. */
int  pipe_pending(const struct project_pipe *pipe, struct store *store,
		  struct lake *lake, int64_t *count, struct err *e);

/* What `show pipes` and the console show of one pipe. */
struct pipe_status {
	enum pipe_state state;
	char   *state_reason;         /* why paused or stopped; NULL when running */
	int64_t pending;              /* files; -1 when the lake could not be listed */
	char   *last_file;            /* newest LOADED/PARTIALLY_LOADED key; NULL */
	usec_t  last_loaded;
	char   *last_error;           /* newest failed or partial load: "KEY:LINE:COL: message" */
	usec_t  last_error_at;
	int64_t files_loaded, files_partial, files_failed;   /* attempts, by status */
};
/* Fill *out (free with pipe_status_free).  `conns` may be NULL: the table
 * is then not checked (STOPPED_MISSING_TABLE is not reported). */
int  pipe_status(const struct project *p, const struct project_pipe *pipe,
		 struct store *store, struct step_conns *conns, struct lake *lake,
		 struct pipe_status *out, struct err *e);
void pipe_status_free(struct pipe_status *st);

/* Operator switches: store object "pipe:NAME" PAUSED / RUNNING, with who
 * and why.  Pausing a paused pipe (or resuming a running one) is not an
 * error; *changed (may be NULL) says whether anything changed. */
int  pipe_pause(struct store *store, const struct project_pipe *pipe,
		const char *by, const char *reason, bool *changed, struct err *e);
int  pipe_resume(struct store *store, const struct project_pipe *pipe,
		 const char *by, bool *changed, struct err *e);

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
			 int64_t *rows, struct err *e);
/* Whether any row is beyond the offset (an EXISTS probe). */
int  stream_has_data(const struct project_stream *s, struct step_conns *conns,
		     bool *has, struct err *e);

struct stream_status {
	char   *offset;               /* "42", "2022-11-03 14:20:49.962 / 812"; NULL = start */
	usec_t  offset_updated;       /* 0 when never advanced */
	int64_t offset_run;           /* the run that advanced it last; 0 */
	int64_t pending;
	bool    has_data;
};
int  stream_status(const struct project_stream *s, struct step_conns *conns,
		   struct stream_status *out, struct err *e);
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

#endif

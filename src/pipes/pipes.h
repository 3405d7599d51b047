/*
 * pipes.h - pipes and streams, and the data connections they and the step
 * kinds run on.
 *
 * A pipe loads new files from a lake prefix into a raw table; a stream
 * tracks changes over a table by an offset kept in the table's own
 * database.  Both are used inside flows (steps/: the ingest, normalize
 * and load kinds) and outside them: the engine polls pipes, the command
 * line refreshes them, tasks ask streams whether they have data.
 *
 * The worker's data connections (struct step_conns) live here because
 * pipes and streams are the lowest of their users: steps/, backfill/,
 * the engine and the command line all build on this module, and it on
 * nothing above db/, store/, project/, lake/, format/ and notify/.
 */
#ifndef SLUICE_PIPES_H
#define SLUICE_PIPES_H

#include <stdatomic.h>

#include "core/core.h"
#include "db/db.h"
#include "format/format.h"

struct project;
struct project_pipe;
struct project_stream;
struct store;
struct lake;
struct lake_listing;

/* ---- connections of one worker thread -------------------------------------
 * Opened on first use by name from the project, kept open for the thread's
 * life, read-only when the project, its environment or `read_only` says
 * so.  The password comes from the connection's password_env variable
 * (registered as a secret); a named variable that is unset is an error.
 * The project must outlive the set.
 *
 * Writers wait for each other: SQLite lets one connection at a time write
 * a file, and a statement of these connections waits up to the
 * connection's lock_wait (STEP_LOCK_WAIT when not set) for the write lock (a db_cancel, hence a step's cancel or
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

/* The project a set of connections was made for. */
const struct project *step_conns_project(const struct step_conns *c);

/* The format/ type that reads values for a column of this database type
 * (FT_TEXT for anything format/ keeps as text): a raw table's typed
 * columns, and the step kinds' loads. */
enum fmt_type pipes_fmt_type(struct db_coltype t);
/* The pipe's CSV options for the reader (pointing into the pipe). */
struct fmt_csv_opts pipes_csv_opts(const struct project_pipe *pipe);

/* ---- state shared by the steps of one run ----------------------------------
 * Guarded by its own lock, so steps running in parallel may use it: the
 * stream windows read by earlier steps of the run, which the consuming
 * load step commits (pipes/run_shared.c). */
struct run_shared;
struct run_shared *run_shared_new(void);
void run_shared_free(struct run_shared *rs);


/* ---- pipes ------------------------------------------------------------------
 * A pipe loads new files under a lake prefix into a raw table (pipes/pipe.c).
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
 * committed before stay committed.  env->cancel is checked between batches;
 * when set, the open file's transaction rolls back and ERR_CANCELLED is
 * returned.  `out` is filled in either case; free it with
 * pipe_result_free. */
struct pipe_env {
	const struct project *project;
	struct store *store;
	struct step_conns *conns;     /* the pipe's connection comes from here */
	struct lake *lake;
	atomic_bool *cancel;
};
int  pipe_refresh(const struct pipe_env *env, const struct project_pipe *pipe,
		  const struct pipe_request *req, struct pipe_result *out, struct err *e);
void pipe_result_free(struct pipe_result *r);

/* Pending files (those a refresh would try, by the rules above) under the
 * pipe's prefix: never attempted, or failed and different in size or time
 * since (probably fixed).  Lists the lake and reads the store; reads no
 * file. */
int  pipe_pending(const struct project_pipe *pipe, struct store *store,
		  struct lake *lake, int64_t *count, struct err *e);

/* ---- validation (pipe_validate.c) ------------------------------------------
 * Snowflake's VALIDATION_MODE = RETURN_ALL_ERRORS: read the pending files
 * (or the one file `only_key`, whatever its state) as a refresh would, with
 * the pipe's format, CSV options and declared column types, and list every
 * bad record.  Nothing is written anywhere: no table, no ledger, no load
 * history.  Problems kept are capped at PIPE_VALIDATE_MAX (errors counts
 * them all); a file that cannot be read further is one problem (fatal). */
#define PIPE_VALIDATE_MAX 10000
struct pipe_problem {
	char *key;
	long line;                    /* 0: no place in the file (I/O) */
	int col;
	char *column;                 /* NULL when no column is concerned */
	char *message;
	bool fatal;                   /* the rest of the file could not be read */
};
struct pipe_validation {
	int files;                    /* files read */
	int64_t records;              /* records read, good and bad */
	int64_t errors;               /* bad records (and unreadable files) */
	struct vec problems;          /* struct pipe_problem *, in file order */
};
int  pipe_validate(const struct project_pipe *pipe, struct store *store, struct lake *lake,
		   const char *only_key, atomic_bool *cancel, struct pipe_validation *out,
		   struct err *e);
void pipe_validation_free(struct pipe_validation *v);

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

/* The pipe of the project that loads `table` on `conn`, or NULL. */
const struct project_pipe *pipe_loading_table(const struct project *p, const char *conn,
					      const char *table);
/* A pipe's table that a stream found missing: 0 not made yet, for the
 * pipe has loaded no file (with `make`, a pipe with a declared shape
 * makes it now, empty, as its first file would, and 1 is returned); -1
 * when it went missing after files were loaded into it (e says so, as the
 * pipe's stop does), or on error. */
int  pipe_table_before_first_file(struct db *db, struct store *store,
				  const struct project_pipe *pipe, bool make, struct err *e);

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

/* Who reads or consumes a stream inside a run: what a step kind passes
 * down from its context (steps_stream_reader in steps.h fills it). */
struct stream_reader {
	const struct project *project;
	struct store *store;
	struct step_conns *conns;
	struct run_shared *shared;    /* the run's; may be NULL */
	int64_t run_id;
	const char *step;             /* the step's name, for the log; may be NULL */
	const char *consumer;         /* the consuming load's table (commit only) */
	bool backfill;                /* rebuild mode: all history, nothing advanced */
};

/* ---- streams ------------------------------------------------------------------
 * Change tracking over a table (pipes/stream.c).  The offset lives in
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
 * was.  In backfill mode (r->backfill) reads take all history and never
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
 * or NULL for "*".  The connection is the stream's own (from r->conns).
 * Free with stream_query_free. */
struct stream_query {
	struct db *db;
	char  *sql;
	char  *params[12];
	int    nparams;
};
int  stream_query(const struct stream_reader *r, const struct project_stream *s,
		  const char *select_list, struct stream_query *out, struct err *e);
/* The same query of every column for a step's own SQL ({{stream:NAME}}),
 * its placeholders numbered from $first_param so that it can go into a
 * statement that binds first_param - 1 parameters of its own. */
int  stream_window_select(const struct stream_reader *r, const struct project_stream *s,
			  int first_param, struct stream_query *out, struct err *e);
void stream_query_free(struct stream_query *q);
/* Default mode: the window's deleted rows (from the delete log the first
 * window installs) come to stream_window_select with this column =
 * 'DELETE', the others with 'INSERT' or 'UPDATE'.  append_only streams
 * have no such column. */
#define STREAM_ACTION "_sluice_action"
/* How many deleted rows this run's window of `s` holds (0 in append_only
 * mode and in backfill). */
int  stream_window_deletes(const struct stream_reader *r, const struct project_stream *s,
			   int64_t *n, struct err *e);
/* Fix this run's window of `s` now if no step fixed it yet, without reading
 * it (for cache keys and steps that read the stream's table themselves).
 * *window (may be NULL; caller frees) receives a one-line description. */
int  stream_fix_window(const struct stream_reader *r, const struct project_stream *s,
		       char **window, struct err *e);

/* Advance `stream`'s offset to what the steps of this run read of it (the
 * window in r->shared, or saved by an earlier attempt of the run), inside
 * the transaction the caller holds open on `db`, which must be the
 * stream's own connection (the same struct db from r->conns; else
 * ERR_INVALID, as when no transaction is open).  The caller commits; a
 * rollback leaves the offset where it was.  Nothing read in this run:
 * nothing to do, 0 (with a warning in the log).  Called by the load step;
 * a no-op in backfill mode. */
int  stream_commit_consumed(const struct stream_reader *r, struct db *db,
			    const char *stream, struct err *e);

/* Write every stream's status into the control store's offset mirror (for
 * the console, which never opens data connections). */
int  stream_mirror_all(const struct project *p, struct step_conns *conns,
		       struct store *store, struct err *e);

#endif

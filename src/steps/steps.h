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
 * life, read-only when the project or the mode says so. */
struct step_conns;
struct step_conns *step_conns_new(const struct project *p, bool read_only);
/* The open connection named `name`; ERR_NOTFOUND for an unknown name. */
struct db *step_conns_get(struct step_conns *c, const char *name, struct err *e);
/* Interrupt whatever statement any of these connections is running
 * (db_cancel); safe from another thread. */
void step_conns_cancel(struct step_conns *c);
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
};

/* Validate every step's kind-specific keys (and pipes' and streams'
 * references that need step knowledge), adding diagnostics at their
 * positions.  Returns the number of errors added. */
size_t steps_validate(const struct project *p, struct diags *d);

/* Run one step.  0 on success; -1 with e set (ERR_CANCELLED when
 * ctx->cancel stopped it). */
int steps_run(struct step_ctx *ctx, struct err *e);

/* The cache key of a step in this run: its definition, its inputs (as the
 * step kind defines them) and the parameters.  NULL when the step kind is
 * never cached.  Caller frees. */
char *steps_cache_key(struct step_ctx *ctx, struct err *e);

/* ---- pipes ------------------------------------------------------------------ */
struct pipe_result {
	int files_seen;
	int files_loaded;
	int files_partial;
	int files_failed;
	int files_skipped;            /* loaded before */
	int64_t rows_loaded;
	char *first_error;            /* "KEY:LINE:COL: message", or NULL; caller frees */
};

struct pipe_request {
	bool force;                   /* reload files loaded before */
	const char *only_key;         /* just this file, or NULL */
	int64_t run_id;               /* the run it belongs to, or 0 */
};

/* Load new files under the pipe's prefix into its table, each file in one
 * transaction with its ledger entry; record load history in the store.
 * A paused pipe loads nothing unless req->force.  Failed files stay in the
 * lake untouched, with their error on record. */
int  pipe_refresh(const struct project *p, const struct project_pipe *pipe,
		  const struct pipe_request *req, struct store *store,
		  struct step_conns *conns, struct lake *lake, atomic_bool *cancel,
		  struct pipe_result *out, struct err *e);
void pipe_result_free(struct pipe_result *r);

/* Pending files (not yet loaded) under the pipe's prefix. */
int  pipe_pending(const struct project_pipe *pipe, struct store *store,
		  struct lake *lake, int64_t *count, struct err *e);

/* ---- streams ------------------------------------------------------------------ */
/* Rows beyond the stream's offset; cheap (an indexed count). */
int  stream_pending_rows(const struct project_stream *s, struct step_conns *conns,
			 int64_t *rows, struct err *e);

#endif

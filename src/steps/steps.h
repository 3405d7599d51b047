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

#endif

/*
 * steps.h - the step kinds: what a flow's steps do.
 *
 * Each step kind lives in its own file (steps/extract.c, steps/step_load.c, ...)
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
 * Step kinds build on pipes/ (the ingest kind refreshes a pipe; normalize
 * reads a stream and load consumes one) and on the connections it keeps
 * (struct step_conns), so this header includes pipes/pipes.h.
 */
#ifndef SLUICE_STEPS_H
#define SLUICE_STEPS_H

#include <stdatomic.h>

#include "core/core.h"
#include "pipes/pipes.h"
#include "store/store.h"

struct project;
struct project_flow;
struct project_step;
struct project_kv;
struct diags;
struct store;
struct store_watermark;
struct lake;

/* Opens the project's lake (file, s3, http), resolving credentials from the
 * environment variables the project names. */
struct lake *steps_open_lake(const struct project *p, struct err *e);

/* ---- running a step -------------------------------------------------------- */

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
	int64_t rows_deleted;         /* rows a load's partition replacement deleted */
	char   *summary;              /* one line for the run detail, or NULL; freed by caller */
	bool    skipped;              /* nothing was done on purpose (backfill mode
					 skips extract, ingest, http and notify):
					 record the step SKIPPED, not COMPLETED */
};

/* What a read or commit of a stream by this step needs to know (pipes.h). */
struct stream_reader steps_stream_reader(const struct step_ctx *ctx);

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

/* ---- a partition's rows (step_load.c) -------------------------------------
 * The condition that picks a partition's rows of a table: `column` read as
 * text, from $1 (the partition's first value) to before $2 (the next
 * partition's), so that a date and a timestamp column compare alike on
 * both dialects.  A load that replaces a partition deletes and checks by
 * it, and a backfill counts each partition's rows by it, so they agree on
 * what a partition holds.  Caller frees. */
char *steps_partition_condition(struct db *db, const char *column);
/* The rows of `table` in the partition from `lo` to before `hi`. */
int   steps_partition_rows(struct db *db, const char *table, const char *column,
			   const char *lo, const char *hi, int64_t *rows, struct err *e);

/* ---- reading a step's JSON (step_kinds.c) ---------------------------------
 * The project was validated, so these only guard against absent keys.
 * backfill/ reads load steps (table, key, mode) with them too. */
struct cJSON;
const char *steps_json_string(const struct cJSON *obj, const char *key);       /* NULL if absent */
bool  steps_json_bool(const struct cJSON *obj, const char *key, bool fallback);
/* A string or an array of strings; pointers borrowed from the JSON. */
void  steps_json_strings(const struct cJSON *obj, const char *key, struct vec *out);
/* A JSON scalar as text (numbers as written, true/false); caller frees;
 * NULL for null or absent. */
char *steps_json_scalar_text(const struct cJSON *item);
/* One check a validate step recorded, as `show run` and `backfill status`
 * print it: {"step", "check", "severity": error|warn, "passed",
 * "violations", "sample": a few offending rows, one a line, or null}. */
struct store_validation;
struct cJSON *steps_check_json(const struct store_validation *v);

/* A step's definition (step_def.c): the SQL file it runs ("file", or a
 * load's "from.file", relative to the project), else NULL; its text (the
 * file's, else the spec as JSON), caller frees, NULL with e on error; the
 * file's path to open, caller frees, NULL when the step has none. */
const char *steps_def_file(const struct project_step *s);
char *steps_def_text(const struct project *p, const struct project_step *s,
		     struct err *e);
char *steps_def_path(const struct project *p, const struct project_step *s);

/* A step of a run beside its definition on disk now, for the console and
 * `show step`: what the run recorded (used; recorded false for runs that
 * started before definitions were kept), the text now (NULL, now_err says
 * why: the file cannot be read, the step is gone), and their line diff
 * (linediff; NULL unless both are there).  ERR_NOTFOUND when the run
 * does not exist, or neither the run nor the project knows the step. */
struct steps_def_view {
	int64_t run_id;
	char *flow, *step;
	char *file;                   /* the SQL file, relative; NULL: a spec */
	char *path;                   /* the file to edit; NULL: a spec or gone */
	bool recorded;
	struct store_step_def used;
	char *now;
	char now_hash[65];            /* "" when now is NULL */
	struct err now_err;
	char *diff;
	int changes;
};
int   steps_def_view_load(const struct project *p, struct store *s, int64_t run_id,
			  const char *step, struct steps_def_view *out, struct err *e);
void  steps_def_view_free(struct steps_def_view *v);

/* The tables a step reads and writes, as the project declares them (the
 * tables view, the flow graph): one entry a use, in the step's order. */
struct steps_table_use {
	char *connection, *table;   /* owned; connection NULL when undeclared */
	bool writes;
	int kind;                   /* enum table_kind: TABLE_STAGING (an extract's or normalize's
				       target), TABLE_RAW (a pipe's, by ingest),
				       else TABLE_OTHER */
};
void  steps_table_uses(const struct project *p, const struct project_step *s,
		       struct vec *out);
void  steps_table_uses_free(struct vec *uses);

/* True when a load step of `flow` writes `table` on `connection`: in
 * backfill mode the steps that read it (validate) read TABLE_backfill. */
bool  steps_flow_loads_table(const struct project_flow *flow, const char *connection,
		       const char *table);

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

/* The SQL dialect of a project connection (SQLite when unknown: check
 * reports an unknown connection itself). */
enum db_kind steps_connection_kind(const struct project *p, const char *conn);

#endif

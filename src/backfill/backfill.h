/*
 * backfill.h - backfill and compare: rebuild a flow's tables beside the
 * current ones, compare the two, and swap them in on approval
 * (DESIGN.md "Backfill").
 *
 * The procedure runs the flow's steps through steps/ (steps_run, in
 * backfill mode), or lends the runs to an engine through hooks, so it
 * sits above steps/ and below cmd/.
 */
#ifndef SLUICE_BACKFILL_H
#define SLUICE_BACKFILL_H

#include <stdatomic.h>

#include "core/core.h"

struct project;
struct project_kv;
struct store;
struct store_options;
struct db;

/* ---- backfill and compare ----------------------------------------------------
 * Owned by backfill/backfill*.c and backfill/compare.c (DESIGN.md "Backfill").
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

/* The procedure (backfill/backfill.c).  Step names, in order: "plan" (taken
 * by start), "suspend", "rebuild", "validate", "compare" (each taken by
 * next), "approve" or "discard", "resume" (next).  The store's backfill row
 * says which step was taken last and whether it is done (WAITING), running
 * (WORKING) or failed (FAILED: next runs it again); its plan column holds
 * the procedure's JSON record (see backfill_status).  One active backfill
 * per flow (the store enforces it). */
#define BACKFILL_SUFFIX     "_backfill"
#define BACKFILL_OLD_SUFFIX "_old"

/* A run the procedure asks for. */
struct backfill_submit {
	const char *flow;
	const struct project_kv *params;
	size_t nparams;
	int64_t backfill_id;
	const char *what;             /* "rebuild", "partition 2026-03-01" */
	const char *pool;             /* NULL = the flow's (see serve) */
};

/* What a caller above steps/ lends the procedure; each may be NULL. */
struct backfill_hooks {
	/* Create a run in backfill mode (trigger backfill, trigger_detail the
	 * backfill id) that an engine will execute. */
	int  (*submit)(void *arg, const struct backfill_submit *req, int64_t *run_id,
		       struct err *e);
	/* Return once run `run_id` is in a final state, executing it here
	 * when no engine takes it.  The run's state says how it went. */
	int  (*finish)(void *arg, int64_t run_id, struct err *e);
	/* Tell the channels that want backfill_waiting. */
	int  (*notify)(void *arg, const char *text, struct err *e);
	/* A partitioned rebuild submits runs and watches them: make sure an
	 * engine takes them meanwhile.  When none is alive, start one here
	 * with `workers` threads that serves only a pool of its own, named in
	 * *pool (kept by the hooks until unserve); NULL: a live engine takes
	 * the flow's runs. */
	int  (*serve)(void *arg, int64_t backfill_id, int workers, const char **pool,
		      struct err *e);
	void (*unserve)(void *arg);
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
/* Partitioned backfills (backfill_partitions.c): a range of a partitioned
 * flow's partitions, one run each, rebuilt into TABLE_backfill (which
 * starts as a copy of TABLE, so partitions outside the range, or skipped,
 * keep their rows).  Which partitions run follows Airflow 3's reprocess
 * behaviour, judged by each partition's latest run (a backfill's runs
 * count once it was approved):
 *   none    every partition whose latest run did not complete (never run,
 *           failed, crashed, cancelled);
 *   failed  only those whose latest run FAILED or CRASHED;
 *   all     every one. */
enum backfill_reprocess { REPROCESS_NONE, REPROCESS_FAILED, REPROCESS_ALL };
const char *backfill_reprocess_name(enum backfill_reprocess r);
bool  backfill_reprocess_parse(const char *s, enum backfill_reprocess *out);
struct backfill_range {
	const char *from, *to;        /* partitions, both included: keys or values */
	enum backfill_reprocess reprocess;
	int  max_active;              /* runs at once; 0 = 1 */
	bool backwards;               /* newest partition first */
};
#define BACKFILL_MAX_PARTITIONS 10000
/* The dry run of a range: backfill_plan's document plus "partitions":
 * {"param", "grain", "from", "to", "reprocess", "max_active", "backwards",
 * "list": [{"key", "value", "action": run|skip, "why", "last_run",
 * "last_state"}], "to_run", "to_skip"}.  ERR_INVALID for a flow without a
 * partition or a bad range (reversed, before the partition's start, more
 * than BACKFILL_MAX_PARTITIONS). */
struct cJSON *backfill_plan_range(const struct backfill_env *env, const char *flow,
				  const struct project_kv *params, size_t nparams,
				  const struct backfill_range *range, struct err *e);
/* backfill_start for a range: the plan above is recorded, and the rebuild
 * step runs the partitions marked "run", at most max_active at a time; a
 * rebuild run again (after a failure, a pause or a crash) keeps the
 * partitions that completed and runs the others again. */
int   backfill_start_range(const struct backfill_env *env, const char *flow,
			   const struct project_kv *params, size_t nparams,
			   const struct backfill_range *range, int64_t *id, struct err *e);
/* Pause (no new partition runs; those running finish, then the rebuild
 * stops, FAILED "paused"), resume (the pause lifted; 'next' goes on) or
 * cancel (no new runs; `cancel_run` is called for each partition run still
 * going, and the rebuild stops for good: discard follows) the flow's
 * partitioned backfill.  ERR_NOTFOUND without one; ERR_CONFLICT when the
 * backfill is past its rebuild. */
enum backfill_control { BACKFILL_PAUSE, BACKFILL_RESUME, BACKFILL_CANCEL };
int   backfill_control(const struct backfill_env *env, const char *flow,
		       enum backfill_control what,
		       int (*cancel_run)(void *arg, int64_t run_id, struct err *e),
		       void *arg, struct err *e);

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

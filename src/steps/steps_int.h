/*
 * steps_int.h - shared by the files of steps/: the operations table every
 * step kind provides, and helpers the kinds have in common.
 *
 * Adding a step kind: write steps/KIND.c with a `const struct step_ops
 * step_KIND_ops`, declare it here, list it in the kind table in step_kinds.c.
 */
#ifndef SLUICE_STEPS_INT_H
#define SLUICE_STEPS_INT_H

#include "steps/steps.h"
#include "project/project.h"
#include "db/db.h"
#include "format/format.h"

struct step_ops {
	enum step_kind kind;
	/* Parse and check the kind's keys (spec_* helpers, project_diag);
	 * return the number of errors added. */
	size_t (*validate)(const struct project *p, const struct project_flow *f,
			   const struct project_step *s, struct diags *d);
	/* Do the work; see steps_run in steps.h. */
	int (*run)(struct step_ctx *ctx, struct err *e);
	/* Append what the result depends on besides the step's definition and
	 * the parameters (e.g. source row counts and max watermark) to `key`;
	 * NULL when the kind is never cached (side effects, like notify). */
	int (*cache_inputs)(struct step_ctx *ctx, struct buf *key, struct err *e);
};

extern const struct step_ops step_extract_ops;
extern const struct step_ops step_ingest_ops;
extern const struct step_ops step_normalize_ops;
extern const struct step_ops step_sql_ops;
extern const struct step_ops step_validate_ops;
extern const struct step_ops step_load_ops;
extern const struct step_ops step_http_ops;
extern const struct step_ops step_notify_ops;

/* ---- flow parameters in SQL (step_params.c) -------------------------------------
 * SQL text names parameters as :name.  They are rewritten to $1..$N and
 * their values bound, never pasted.  Recognised outside string literals,
 * quoted identifiers, comments, PostgreSQL dollar quotes and :: casts.
 * A $N written by the user on PostgreSQL is refused (it would collide with
 * the numbering); an unknown :name is an error naming it and its line. */
struct sql_bound {
	char  *sql;                /* with $1..$N */
	char **values;             /* N values, NULL = SQL NULL; owned */
	int    nvalues;
};
/* Answer a parameter's value: 1 found (*value may be NULL for SQL NULL;
 * the string must live until the call that bound it returns), 0 unknown,
 * -1 error. */
typedef int (*param_lookup_fn)(void *arg, const char *name, const char **value,
			       struct err *e);
int  steps_sql_bind_with(enum db_kind kind, const char *sql, param_lookup_fn lookup,
		   void *arg, struct sql_bound *out, struct err *e);
/* The same with the step's parameters and the built-ins :run_id,
 * :window_start and :window_end (see step_params.c for what the window is). */
int  steps_bind_sql(struct step_ctx *ctx, enum db_kind kind, const char *sql,
		    struct sql_bound *out, struct err *e);
void steps_sql_bound_free(struct sql_bound *b);

/* ---- {{stream:NAME}} and {{table:NAME}} in step SQL (step_stream_sql.c) -----------
 * {{stream:NAME}}: the window of the stream for this run as a subquery.
 * {{table:NAME}}: the quoted name the run reads, step_read_table's.
 * check: for streams, unknown ones and ones on another connection than
 * `conn` (NULL: not checked); for tables, a malformed {{table:}} or an
 * unknown {{word:...}}, and with a flow, warnings for the tables it loads
 * on `conn` that the SQL names bare (a backfill would read the live
 * table).  expand: both, in bound SQL (after steps_bind_sql), appending
 * the windows' parameters.  cache: the windows into a cache key. */
size_t steps_check_refs(const struct project *p, const struct project_flow *f,
			const struct project_step *s, const char *key, const char *conn,
			const char *text, struct diags *d);
int    steps_expand_refs(struct step_ctx *ctx, const struct db *db, const char *conn,
			 struct sql_bound *b, struct err *e);
int    steps_cache_streams(struct step_ctx *ctx, const char *text, struct buf *key,
			   struct err *e);
/* Where `word` first stands as a bare identifier in the SQL (any case; not
 * in a literal, a quoted identifier, a comment, a {{...}} placeholder or a
 * :parameter): its offset; (size_t)-1 when nowhere or the SQL does not lex. */
size_t steps_sql_find_word(enum db_kind kind, const char *sql, const char *word);

/* One statement of a script and the line it starts on (1-based). */
struct sql_stmt {
	char *text;
	int   line;
};
/* Split a script into statements at top-level semicolons, respecting
 * quotes, comments, dollar quoting (PostgreSQL) and the BEGIN ... END
 * bodies of triggers.  Empty statements are dropped.  Items are struct
 * sql_stmt *, freed with steps_sql_stmts_free.  Fails only on an unterminated
 * quote or comment (ERR_PARSE with its line). */
int  steps_sql_split(enum db_kind kind, const char *sql, struct vec *out, struct err *e);
void steps_sql_stmts_free(struct vec *v);
/* The statement's first keyword, upper-cased, into out ("" if none). */
void steps_sql_first_word(const char *stmt, char *out, size_t n);

/* ---- helpers the kinds share (step_kinds.c) ---------------------------------- */
/* The connection `name` for this step, with an error that names the step. */
struct db *step_db(struct step_ctx *ctx, const char *name, struct err *e);
/* ERR_CANCELLED when the engine asked this step to stop. */
int   step_check_cancel(const struct step_ctx *ctx, struct err *e);
/* End the transaction open on db: commit when rc (the work's result) is 0
 * and the step has not been cancelled meanwhile (a cancel that came while
 * the work ran still undoes it); else roll back.  Returns the outcome. */
int   step_end_transaction(const struct step_ctx *ctx, struct db *db, int rc,
			   struct err *e);
/* ---- the step ledger (ledger.c) ------------------------------------------------ */
/* "store:STORE_ID:run:ID:step:NAME" (plus ":SUFFIX" when suffix is
 * non-NULL): the entry is this control store's own; caller frees. */
char *step_ledger_key(const struct step_ctx *ctx, const char *suffix);
/* Is this step's work already committed in `db` (an earlier attempt of
 * the same run of this store)?  1 yes, and the rows the entry recorded
 * are added to ctx->rows_in and rows_out; 0 no; -1 error, including an
 * entry from before store ids that sluice cannot attribute (ERR_CONFLICT,
 * saying how to settle it).  Creates the ledger if missing. */
int   step_ledger_done(struct step_ctx *ctx, struct db *db, const char *suffix,
		       struct err *e);
/* Write the entry inside the caller's transaction, with the rows the work
 * read and wrote and what it did (`what`, may be NULL). */
int   step_ledger_put(struct step_ctx *ctx, struct db *db, const char *suffix,
		      int64_t rows_in, int64_t rows_out, const char *what,
		      struct err *e);
/* Log with the run, the step and an object ("table:NAME", or NULL). */
void  step_log(const struct step_ctx *ctx, enum log_level level, const char *object,
	       const char *fmt, ...) PRINTF_LIKE(4, 5);
/* Replace ctx->summary. */
void  step_summary(struct step_ctx *ctx, const char *fmt, ...) PRINTF_LIKE(2, 3);
/* The table a load writes (`table`, or `table`_backfill in backfill mode);
 * caller frees. */
char *step_target_table(const struct step_ctx *ctx, const char *table);
/* The table a step reads: TABLE_backfill in a backfill of a flow that loads
 * TABLE on `conn`, TABLE otherwise.  Caller frees. */
char *step_read_table(const struct step_ctx *ctx, const char *conn, const char *table);
/* Canonical timestamp text of t ("2026-11-21 13:05:09.123456"); out[32]. */
void  steps_format_ts(usec_t t, char out[32]);
/* Read a SQL file named in a step (relative to the project directory). */
char *step_read_sql_file(const struct project *p, const char *file, struct err *e);
/* Append "table:rows:maxwm;" for each input of the step (cache keys).
 * An input is "table" or "table.column" (the column's max also counts). */
int   steps_cache_tables(struct step_ctx *ctx, struct db *db, const struct vec *inputs,
			 struct buf *key, struct err *e);

/* ---- validation helpers (step_kinds.c) ------------------------------------------- */
/* The path of a key of a step ("flows[1].steps[0].from"); caller frees. */
char  *step_spec_path(const struct project_step *s, const char *key);
/* The step's member `key` (v) is absent: "missing key" at the step; or it
 * is there but wrong: `expected` ("expected an array ...") at the key. */
void   step_spec_bad_member(const struct project *p, const struct project_step *s,
		       const char *key, const cJSON *v, const char *expected,
		       struct diags *d);

/* ---- schema drift (drift.c) ---------------------------------------------------
 * Bring `table` on `db` in line with the source columns before a load, in
 * the caller's transaction: create it when missing (from the columns; with
 * an index on `key` when given), add columns the source has and the table
 * lacks, widen columns whose source type is wider (within a family: whole
 * numbers to numeric to floating point, varchar to longer text, date to
 * timestamp), and note columns the table has and the source lacks (they
 * are kept and filled NULL).  The changes made are appended to `changes`
 * (struct store_schema_change *); once the caller's transaction has
 * committed, step_drift_commit records them in the store and logs them, so a
 * load that rolls back leaves no record of changes that did not happen.
 * `connection` is the connection's name, for the records.  *created is set
 * when the table was made. */
struct drift_source {
	const char *const *names;
	const struct db_coltype *types;
	/* per column, may be NULL: true when the type is only a guess from a
	 * value (SQLite expressions); a guessed type adds a column but never
	 * widens one */
	const bool *guessed;
	int ncols;
};
/* The table to shape: `connection` is the connection's name, for the
 * records; `key` (may be empty) is indexed when the table is created. */
struct drift_target {
	struct db *db;
	const char *connection;
	const char *table;
	const char *const *key;
	int nkey;
};
int  step_drift_apply(struct step_ctx *ctx, const struct drift_target *to,
		      const struct drift_source *src, struct vec *changes, bool *created,
		      struct err *e);
int  step_drift_commit(struct step_ctx *ctx, struct vec *changes, struct err *e);
void step_drift_changes_free(struct vec *changes);

/* ---- merge (merge.c) ---------------------------------------------------------
 * A load's merge into `table` on `db`, inside the caller's transaction.
 * step_merge_stage creates the scratch table m->stage (the source's columns,
 * named after `seed`) for the caller to fill with the source's rows;
 * step_merge_apply (m->staged: the rows staged) then refuses a NULL key and a
 * key on more than one row (unless `latest_by` orders a key's rows: then
 * the latest is taken, and different rows tied at the latest are refused),
 * updates the target's matched rows whose values differ, in place and
 * only in the source's columns, inserts the rows with new keys, and drops
 * the scratch tables.  On -1 nothing is written that the caller's rollback
 * does not undo; a refusal's message names the key columns, a few of the
 * key values and the number of rows. */
struct merge {
	struct db *db;
	const char *table;
	const char *source_name;         /* for messages: "stg_orders", "from.query" */
	const struct db_column *cols;    /* the source's columns (name, type) */
	int ncols;
	const char *const *key;
	int nkey;
	const char *const *latest_by;    /* may be empty */
	int nlatest;
	int64_t staged;                  /* set by the caller */

	char stage[64], latest[80];      /* the scratch tables */
	/* what step_merge_apply did */
	int64_t superseded;              /* rows not the latest of their key */
	int64_t updated, inserted;
	int64_t deleted;                 /* keys of a stream's 'DELETE' rows */
};
int  step_merge_stage(struct merge *m, const char *seed, struct err *e);
int  step_merge_apply(struct merge *m, struct err *e);

/* ---- a query into a table (step_load.c) -------------------------------------------
 * Inside the caller's open transaction on li->db: shape li->table after the
 * query's columns (step_drift_apply, changes appended to `changes`), empty it
 * when li->replace, and move the query's rows in (INSERT ... SELECT when
 * q->db == li->db, else a streaming copy that checks ctx->cancel).  The
 * extract step uses it for staging tables. */
struct load_query {
	struct db *db;                /* the source */
	const char *sql;
	const char *const *params;
	int nparams;
};
struct load_into {
	struct db *db;                /* the target, in a transaction */
	const char *connection;       /* the target's connection name */
	const char *table;
	bool replace;
	const char *const *key;       /* indexed when the table is created */
	int nkey;
};
int  step_load_query_into(struct step_ctx *ctx, const struct load_query *q,
			  const struct load_into *li, struct vec *changes, int64_t *rows,
			  struct err *e);

#endif
